"""The target switch: sources in their documented order, and every way it must fail fast."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from dp_core import settings as settings_module
from dp_core.settings import Settings, SettingsError, Target, get_settings

pytestmark = pytest.mark.core


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No DP_* variable and an empty working folder (no `.env`): only what the test sets."""
    for name in list(__import__("os").environ):
        if name.startswith("DP_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_embedded_defaults_live_under_the_state_dir(settings: Settings) -> None:
    state = settings.state_dir
    assert settings.target is Target.EMBEDDED
    assert settings.storage.zone_uri == f"file://{state}/lake/{{zone}}"
    assert settings.mlflow.tracking_uri == f"sqlite:///{state}/mlflow/mlflow.db"
    assert settings.feast.online_store == {"type": "sqlite", "path": str(state / "feast/online.db")}
    assert settings.model_server.mode == "in_process"
    assert settings.secrets.backend == "env"


def test_stack_profile_points_at_real_services(clean_env: Path) -> None:
    stack = Settings(target="stack")
    assert stack.storage.zone_uri == "s3://dp-{zone}"
    assert stack.storage.endpoint_url == "http://127.0.0.1:18333"
    assert stack.mlflow.tracking_uri == "http://127.0.0.1:18500"
    assert stack.feast.registry == "postgresql+psycopg://127.0.0.1:18432/feast"
    assert stack.feast.online_store == {"type": "redis", "connection_string": "127.0.0.1:18379"}
    assert stack.model_server.url == "http://127.0.0.1:18080"
    assert stack.kafka.bootstrap_servers == "127.0.0.1:19092"
    assert stack.secrets.url == "http://127.0.0.1:18200"


def test_moving_a_port_moves_every_client(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DP_ENDPOINTS__PORTS__SEAWEEDFS", "28333")
    monkeypatch.setenv("DP_ENDPOINTS__PORTS__REDIS", "28379")
    moved = Settings(target="stack")
    assert moved.endpoints.port("seaweedfs") == 28333
    assert moved.storage.endpoint_url == "http://127.0.0.1:28333"
    assert moved.feast.online_store["connection_string"] == "127.0.0.1:28379"


def test_kind_and_oci_reach_kafka_on_the_port_forward_listener(clean_env: Path) -> None:
    for target in ("kind", "oci"):
        cluster = Settings(target=target)
        assert cluster.target.value == target
        assert cluster.kafka.bootstrap_servers == "127.0.0.1:19094"
        assert cluster.storage.endpoint_url == "http://127.0.0.1:18333"


def test_environment_overrides_the_profile_with_nested_names(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DP_TARGET", "stack")
    monkeypatch.setenv("DP_MODEL_SERVER__MODE", "in_process")
    monkeypatch.setenv("DP_STORAGE__ENDPOINT_URL", "http://seaweedfs:18333")
    overridden = Settings()
    assert overridden.target is Target.STACK
    assert overridden.model_server.mode == "in_process"
    assert overridden.storage.endpoint_url == "http://seaweedfs:18333"


def test_target_comes_from_dotenv_when_the_environment_is_silent(clean_env: Path) -> None:
    (clean_env / ".env").write_text("DP_TARGET=stack\nBAO_TOKEN=not-a-setting\n")
    from_dotenv = Settings()
    assert from_dotenv.target is Target.STACK
    assert from_dotenv.model_server.mode == "v2_http"  # the stack profile, not embedded values


def test_environment_wins_over_dotenv_and_argument_wins_over_both(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (clean_env / ".env").write_text("DP_TARGET=stack\n")
    monkeypatch.setenv("DP_TARGET", "kind")
    assert Settings().target is Target.KIND
    assert Settings(target="embedded").target is Target.EMBEDDED


def test_unknown_target_is_an_error_listing_the_known_ones(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DP_TARGET", "kinde")
    with pytest.raises(SettingsError, match=r"unknown target .kinde.*embedded, stack, kind, oci"):
        Settings()


def _profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **files: str) -> None:
    folder = tmp_path / "profiles"
    folder.mkdir()
    for name, text in files.items():
        (folder / f"{name}.toml").write_text(text)
    monkeypatch.setattr(settings_module, "PROFILES_DIR", folder)


def test_a_target_without_its_profile_is_an_error_naming_the_file(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _profiles(clean_env, monkeypatch, embedded="", stack="")
    with pytest.raises(SettingsError, match=r"target 'kind' has no profile: .*kind\.toml"):
        Settings(target="kind")


@pytest.mark.parametrize(
    ("profile", "named"),
    [
        ('[model_servr]\nmode = "v2_http"\n', "model_servr"),  # a misspelled section
        ('[model_server]\nmod = "v2_http"\n', "model_server.mod"),  # a misspelled key
        ('target = "oci"\n', "target"),  # only the resolver names the target
    ],
)
def test_an_unknown_key_in_a_profile_is_an_error_naming_it(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, profile: str, named: str
) -> None:
    _profiles(clean_env, monkeypatch, stack=profile)
    with pytest.raises(SettingsError, match=rf"stack\.toml: unknown keys {re.escape(named)}$"):
        Settings(target="stack")


def test_a_misspelled_nested_variable_is_an_error(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DP_MODEL_SERVER__MOD", "v2_http")
    with pytest.raises(ValidationError, match=r"model_server\.mod"):
        Settings()


def test_an_unknown_service_port_is_an_error(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DP_ENDPOINTS__PORTS__SEAWEED", "1")
    with pytest.raises(ValidationError, match="unknown services"):
        Settings()


def test_zone_template_must_name_the_zone(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="zone"):
        Settings(state_dir=tmp_path, storage={"zone_uri": "s3://one-bucket"})


def test_get_settings_is_built_once(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    get_settings.cache_clear()
    monkeypatch.setenv("DP_SEED", "7")
    first = get_settings()
    monkeypatch.setenv("DP_SEED", "8")
    assert get_settings() is first
    assert first.seed == 7
    get_settings.cache_clear()


def test_show_names_each_source_and_masks_secrets(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dp_core.settings_report import describe

    (clean_env / ".env").write_text("DP_SEED=9\n")
    registry = "postgresql+psycopg://feast:hunter2@db:5432/feast"  # pragma: allowlist secret
    monkeypatch.setenv("DP_FEAST__REGISTRY", registry)
    rows = {key: (value, source) for key, value, source in describe(Settings(target="stack"))}
    assert rows["seed"] == ("9", ".env")
    assert rows["model_server.mode"] == ("v2_http", "profiles/stack.toml")
    assert rows["storage.endpoint_url"] == ("http://127.0.0.1:18333", "derived")
    assert rows["spark.master"] == ("local[2]", "default")
    assert rows["feast.registry"] == (
        "postgresql+psycopg://feast:****@db:5432/feast",
        "environment",
    )
    assert "hunter2" not in str(rows)


def test_with_a_tracking_server_artifacts_go_where_the_server_keeps_them(clean_env: Path) -> None:
    """A local artifact folder would exist only where training ran, not in the serving pod."""
    assert Settings(target="stack").mlflow.artifact_root == ""
    embedded = Settings(target="embedded")
    assert embedded.mlflow.artifact_root == f"file://{embedded.state_dir}/mlflow/artifacts"
