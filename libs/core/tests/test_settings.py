from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from dp_core.settings import Settings, Target, get_settings

pytestmark = pytest.mark.core


def test_embedded_defaults_live_under_the_state_dir(settings: Settings) -> None:
    state = settings.state_dir
    assert settings.target is Target.EMBEDDED
    assert settings.storage.zone_uri == f"file://{state}/lake/{{zone}}"
    assert settings.mlflow.tracking_uri == f"sqlite:///{state}/mlflow/mlflow.db"
    assert settings.feast.online_store == {"type": "sqlite", "path": str(state / "feast/online.db")}
    assert settings.model_server.mode == "in_process"
    assert settings.secrets.backend == "env"


def test_stack_profile_points_at_real_services(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DP_TARGET", "stack")
    stack = Settings()
    assert stack.storage.zone_uri == "s3://dp-{zone}"
    assert stack.model_server.mode == "v2_http"
    assert stack.feast.online_store["type"] == "redis"
    assert stack.secrets.backend == "openbao"


def test_environment_overrides_the_profile_with_nested_names(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DP_TARGET", "stack")
    monkeypatch.setenv("DP_MODEL_SERVER__MODE", "in_process")
    monkeypatch.setenv("DP_API__PORT", "19999")
    overridden = Settings(state_dir=tmp_path)
    assert overridden.model_server.mode == "in_process"
    assert overridden.api.port == 19999
    assert overridden.storage.endpoint_url == "http://127.0.0.1:18333"


def test_zone_template_must_name_the_zone(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="zone"):
        Settings(state_dir=tmp_path, storage={"zone_uri": "s3://one-bucket"})


def test_get_settings_is_built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    get_settings.cache_clear()
    monkeypatch.setenv("DP_SEED", "7")
    first = get_settings()
    monkeypatch.setenv("DP_SEED", "8")
    assert get_settings() is first
    assert first.seed == 7
    get_settings.cache_clear()
