"""Every resource of the embedded target builds from settings alone (no server needed), each
target's profile loads, and the clients the settings choose are the ones handed out."""

from __future__ import annotations

import pytest

from dp_core.model_client import InProcessModelClient, V2HttpModelClient
from dp_core.resources import Resources
from dp_core.secrets import EnvSecretStore
from dp_core.settings import Settings, Target
from dp_core.storage import Zone


def test_embedded_resources_build_and_close(settings: Settings) -> None:
    resources = Resources(settings)
    assert resources.store.uri(Zone.RAW).startswith("file://")
    assert isinstance(resources.secrets, EnvSecretStore)
    assert resources.mlflow.tracking_uri.startswith("sqlite:///")
    assert resources.feature_store.config.online_store.type == "sqlite"
    assert isinstance(resources.model_client, InProcessModelClient)
    spark = resources.spark
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    assert spark.range(3).count() == 3
    resources.close()
    assert spark.sparkContext._jsc is None  # stopped by close()


def test_close_goes_on_when_one_closer_fails(settings: Settings) -> None:
    closed: list[str] = []
    resources = Resources(settings)
    resources._closers += [lambda: closed.append("first"), lambda: 1 / 0]
    resources.close()
    assert closed == ["first"]


def test_remote_model_client_is_chosen_by_settings(settings: Settings) -> None:
    settings.model_server.mode = "v2_http"
    assert isinstance(Resources(settings).model_client, V2HttpModelClient)


@pytest.mark.parametrize("target", [t.value for t in Target])
def test_every_target_loads_its_profile(target: str, settings: Settings) -> None:
    loaded = Settings(target=target, state_dir=settings.state_dir)
    assert loaded.target.value == target
    remote = target != "embedded"
    assert loaded.mlflow.server is remote
    assert loaded.model_server.mode == ("v2_http" if remote else "in_process")
