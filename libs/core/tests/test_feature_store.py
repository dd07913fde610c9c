"""The Feast store from settings: one set of definitions; registry and online store per target."""

from __future__ import annotations

import pytest

from dp_core.feature_store import curated_uri, repo_config
from dp_core.resources import Resources
from dp_core.settings import Settings

pytestmark = pytest.mark.core


def test_repo_config_follows_settings(settings: Settings) -> None:
    resources = Resources(settings)
    config = repo_config(resources)
    assert config.online_store.type == "sqlite"
    assert config.registry.path == settings.feast.registry
    assert curated_uri(resources) == f"{settings.state_dir}/lake/curated/customer_features"

    redis = settings.model_copy(deep=True)
    redis.feast.online_store = {"type": "redis", "connection_string": "127.0.0.1:1"}
    assert repo_config(Resources(redis)).online_store.connection_string == "127.0.0.1:1"
