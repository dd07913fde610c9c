from __future__ import annotations

import pytest
from feast import FeatureService, FeatureView

from dp_features.repo import FEATURES, PUSH_SOURCE, SERVICE, VIEW, definitions, feature_refs

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
