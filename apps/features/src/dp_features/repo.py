"""The feature repository: one set of Feast definitions for every target.

Only the location of the curated data and the S3 endpoint come from settings; the entity, the
view and the service are the same everywhere.
"""

from __future__ import annotations

from datetime import timedelta

from feast import Entity, FeatureService, FeatureView, Field, FileSource, PushSource, ValueType
from feast.data_format import ParquetFormat
from feast.types import Float64, Int64

from dp_core.domain import CUSTOMER_FEATURES

ENTITY = "customer"
ENTITY_KEY = "customer_id"
VIEW = "customer_activity"
PUSH_SOURCE = "customer_activity_push"
SERVICE = "fraud_model"
TTL = timedelta(days=30)

COUNT_FEATURES = ("txn_count_1h", "txn_count_24h", "txn_count_7d", "distinct_merchants_24h")
AMOUNT_FEATURES = (
    "amount_sum_1h",
    "amount_sum_24h",
    "amount_sum_7d",
    "amount_avg_7d",
    "last_txn_at",
    "secs_since_prev_txn",
    "last_amount",
)
FEATURES = COUNT_FEATURES + AMOUNT_FEATURES


def definitions(curated_uri: str, s3_endpoint: str | None) -> list[object]:
    """Entity, source, view and service over the curated customer features at `curated_uri`."""
    customer = Entity(name=ENTITY, join_keys=[ENTITY_KEY], value_type=ValueType.STRING)
    source = FileSource(
        name=f"curated_{CUSTOMER_FEATURES}",
        path=f"{curated_uri}/**/*.parquet",
        file_format=ParquetFormat(),
        timestamp_field="event_timestamp",
        s3_endpoint_override=s3_endpoint,
    )
    # The stream job pushes fresh rows here; batch retrieval and materialisation read `source`.
    push = PushSource(name=PUSH_SOURCE, batch_source=source)
    view = FeatureView(
        name=VIEW,
        entities=[customer],
        ttl=TTL,
        schema=[Field(name=f, dtype=Int64) for f in COUNT_FEATURES]
        + [Field(name=f, dtype=Float64) for f in AMOUNT_FEATURES],
        source=push,
        online=True,
        description="A customer's card activity right after their latest transaction.",
    )
    service = FeatureService(name=SERVICE, features=[view])
    return [customer, push, view, service]


def feature_refs() -> list[str]:
    """The service's features as `view:feature` references."""
    return [f"{VIEW}:{name}" for name in FEATURES]
