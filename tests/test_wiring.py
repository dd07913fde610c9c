"""Every resource of the embedded target builds from settings alone (no server needed)."""

from __future__ import annotations

import pytest

from dp_core.resources import Resources
from dp_core.secrets import EnvSecretStore
from dp_core.settings import Settings
from dp_core.storage import Zone
from dp_features.store import feature_store
from dp_serving.client import InProcessModelClient, V2HttpModelClient, build_model_client


def test_embedded_resources_build(settings: Settings) -> None:
    resources = Resources(settings)
    assert resources.store.uri(Zone.RAW).startswith("file://")
    assert isinstance(resources.secrets, EnvSecretStore)
    assert resources.mlflow_tracking_uri.startswith("sqlite:///")
    assert feature_store(resources).config.online_store.type == "sqlite"
    assert isinstance(build_model_client(settings), InProcessModelClient)
    spark = resources.spark
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    assert spark.range(3).count() == 3


def test_remote_model_client_is_chosen_by_settings(settings: Settings) -> None:
    settings.model_server.mode = "v2_http"
    assert isinstance(build_model_client(settings), V2HttpModelClient)


@pytest.mark.parametrize("target", ["stack", "kind", "oci"])
def test_every_target_has_a_profile(target: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DP_TARGET", target)
    assert Settings().target.value == target
