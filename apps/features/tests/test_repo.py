from __future__ import annotations

import pytest
from feast import FeatureService, FeatureView

from dp_core.resources import Resources
from dp_core.settings import Settings
from dp_features.repo import FEATURES, PUSH_SOURCE, SERVICE, VIEW, definitions, feature_refs
from dp_features.store import curated_uri, repo_config

pytestmark = pytest.mark.features


def test_one_view_and_service_over_the_curated_zone() -> None:
    _entity, push, view, service = definitions("s3://dp-curated/customer_features", "http://s3:1")
    assert push.name == PUSH_SOURCE
    assert isinstance(view, FeatureView)
    assert view.name == VIEW
    assert isinstance(service, FeatureService)
    assert service.name == SERVICE
    assert [f.name for f in view.features] == list(FEATURES)
    assert view.stream_source.name == PUSH_SOURCE
    assert view.batch_source.path == "s3://dp-curated/customer_features/**/*.parquet"
    assert feature_refs()[0] == f"{VIEW}:{FEATURES[0]}"


def test_repo_config_follows_settings(settings: Settings) -> None:
    resources = Resources(settings)
    config = repo_config(resources)
    assert config.online_store.type == "sqlite"
    assert config.registry.path == settings.feast.registry
    assert curated_uri(resources) == f"{settings.state_dir}/lake/curated/customer_features"

    redis = settings.model_copy(deep=True)
    redis.feast.online_store = {"type": "redis", "connection_string": "127.0.0.1:1"}
    assert repo_config(Resources(redis)).online_store.connection_string == "127.0.0.1:1"
