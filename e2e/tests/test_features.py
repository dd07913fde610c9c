"""Offline retrieval and online values agree with the curated data."""

from __future__ import annotations

import asyncio
from typing import Any

import pandas as pd
import pytest

from dp_core.domain import CUSTOMER_FEATURES
from dp_core.resources import Resources
from dp_core.storage import Zone
from dp_features.repo import ENTITY_KEY, FEATURES, VIEW, feature_refs
from dp_features.steps import training_set


@pytest.fixture(scope="module")
def curated(flow: dict[str, Any], resources: Resources) -> pd.DataFrame:
    store = resources.store
    return store.read_parquet(store.uri(Zone.CURATED, CUSTOMER_FEATURES))


def batch_only(customers: pd.Index, resources: Resources, n: int) -> list[str]:
    """The first `n` customers the stream has never seen (its states are tested in
    test_streaming.py, against batch plus streamed history): their online state is the batch's."""
    store = resources.store
    uri = store.uri(Zone.RAW, "transactions_stream")
    streamed = (
        set(store.read_parquet(uri, columns=["customer_id"])["customer_id"])
        if store.list_files(uri, ".parquet")
        else set()
    )
    return [c for c in sorted(customers) if c not in streamed][:n]


def test_online_values_are_each_customers_latest_state(
    curated: pd.DataFrame, resources: Resources
) -> None:
    latest = (
        curated.sort_values("event_timestamp")
        .groupby("customer_id")
        .tail(1)
        .set_index("customer_id")
    )
    sample = batch_only(latest.index, resources, 20)
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
    row = training_set(resources.feature_store, events, batch_rows=1_000).iloc[0]
    # As of just before the third transaction, the state is the one after the second.
    assert row["last_txn_at"] == pytest.approx(second["last_txn_at"])
    assert row["txn_count_7d"] == second["txn_count_7d"]


def test_the_apis_feature_read_equals_the_feast_sdks(
    curated: pd.DataFrame, resources: Resources
) -> None:
    """The request path's read (Feast's async online store where it has one) = the SDK's."""
    features = resources.online_features(VIEW, FEATURES, ENTITY_KEY)
    customers = [*sorted(curated["customer_id"].unique())[:10], "c-never-seen"]

    async def read_all() -> list[dict[str, Any]]:
        return [await features.aread(c) for c in customers]

    assert asyncio.run(read_all()) == [features.read(c) for c in customers]
    assert all(v is None for v in features.read("c-never-seen").values())


def redis_as(resources: Resources, user: str | None) -> Any:
    """A plain redis-py client of the target's Redis, as `user` (None: anonymous)."""
    import redis

    at = resources.settings.endpoints
    login = {} if user is None else {"username": user}
    if user is not None:
        login["password"] = resources.secrets.get(f"redis/{user}")["password"]
    return redis.Redis(host=at.host, port=at.port("redis"), socket_timeout=5, **login)


@pytest.mark.requires("services")
def test_redis_users_read_and_write_only_as_allowed(resources: Resources) -> None:
    """No anonymous user; `reader` reads and cannot write; `writer` writes."""
    import redis

    with pytest.raises(redis.AuthenticationError):
        redis_as(resources, None).get("x")
    reader = redis_as(resources, "reader")
    assert reader.ping()
    with pytest.raises(redis.exceptions.NoPermissionError):
        reader.set("e2e:reader-may-not-write", "1")
    writer = redis_as(resources, "writer")
    assert writer.set("e2e:writer-may-write", "1", ex=60)
    with pytest.raises(redis.exceptions.NoPermissionError):
        writer.flushall()


@pytest.mark.requires("services")
def test_redis_holds_each_customers_latest_event_time(
    curated: pd.DataFrame, resources: Resources
) -> None:
    """Read Redis itself (redis-py, Feast's documented key layout), not through our reader:
    each curated customer has a hash whose event time is their latest curated row's."""
    from feast.infra.key_encoding_utils import serialize_entity_key
    from feast.protos.feast.types.EntityKey_pb2 import EntityKey
    from feast.protos.feast.types.Value_pb2 import Value
    from google.protobuf.timestamp_pb2 import Timestamp

    settings = resources.settings
    client = redis_as(resources, "reader")
    latest = curated.groupby("customer_id")["event_timestamp"].max()
    sample = batch_only(latest.index, resources, 25)
    for customer in sample:
        entity = EntityKey(join_keys=["customer_id"], entity_values=[Value(string_val=customer)])
        key = serialize_entity_key(entity, entity_key_serialization_version=3)
        stored = client.hget(key + settings.feast.project.encode(), f"_ts:{VIEW}")
        assert stored is not None, f"no online row for {customer}"
        seconds = Timestamp.FromString(stored).seconds
        assert seconds == int(pd.Timestamp(latest[customer]).timestamp()), customer
