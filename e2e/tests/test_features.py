"""Offline retrieval and online values agree with the curated data."""

from __future__ import annotations

import asyncio
from typing import Any

import pandas as pd
import pytest

from dp_api.features import OnlineFeatures
from dp_core.resources import Resources
from dp_core.storage import Zone
from dp_features.repo import FEATURES, feature_refs
from dp_features.steps import training_set


@pytest.fixture(scope="module")
def curated(flow: dict[str, Any], resources: Resources) -> pd.DataFrame:
    store = resources.store
    return store.read_parquet(store.uri(Zone.CURATED, "customer_features"))


def test_online_values_are_each_customers_latest_state(
    curated: pd.DataFrame, resources: Resources
) -> None:
    latest = (
        curated.sort_values("event_timestamp")
        .groupby("customer_id")
        .tail(1)
        .set_index("customer_id")
    )
    sample = sorted(latest.index)[:20]
    online = (
        resources.feature_store.get_online_features(
            features=feature_refs(), entity_rows=[{"customer_id": c} for c in sample]
        )
        .to_df()
        .set_index("customer_id")
    )
    for name in FEATURES:
        expected = latest.loc[sample, name].astype(float)
        assert online.loc[sample, name].astype(float).tolist() == pytest.approx(
            expected.tolist(), nan_ok=True
        )


def test_offline_retrieval_is_point_in_time(curated: pd.DataFrame, resources: Resources) -> None:
    customer = curated["customer_id"].value_counts().index[0]
    history = curated[curated["customer_id"] == customer].sort_values("event_timestamp")
    second, third = history.iloc[1], history.iloc[2]
    events = pd.DataFrame(
        {"customer_id": [customer], "event_timestamp": [third["event_timestamp"]]}
    )
    row = training_set(resources.feature_store, events).iloc[0]
    # As of just before the third transaction, the state is the one after the second.
    assert row["last_txn_at"] == pytest.approx(second["last_txn_at"])
    assert row["txn_count_7d"] == second["txn_count_7d"]


def test_the_apis_feature_read_equals_the_feast_sdks(
    curated: pd.DataFrame, resources: Resources
) -> None:
    """The request path's read (Feast's async online store where it has one) = the SDK's."""
    features = OnlineFeatures(resources.feature_store)
    customers = [*sorted(curated["customer_id"].unique())[:10], "c-never-seen"]

    async def read_all() -> list[dict[str, Any]]:
        return [await features.aread(c) for c in customers]

    assert asyncio.run(read_all()) == [features.read(c) for c in customers]
    assert all(v is None for v in features.read("c-never-seen").values())
