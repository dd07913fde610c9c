"""The features step: apply the definitions, materialise online, retrieve training sets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
from feast import FeatureStore

from dp_core.domain import CUSTOMER_FEATURES
from dp_core.feature_store import curated_uri
from dp_core.resources import Resources
from dp_core.storage import Zone
from dp_features.repo import SERVICE, definitions

# Training rows ask for the state just before their own transaction.
AS_OF_OFFSET = timedelta(milliseconds=1)


@dataclass(frozen=True)
class FeaturesResult:
    applied: list[str]
    materialized_from: str
    materialized_to: str
    online_customers: int


def apply(store: FeatureStore, resources: Resources) -> list[str]:
    """Register the definitions (idempotent: the same objects apply as no change)."""
    objects = definitions(curated_uri(resources), resources.settings.storage.endpoint_url)
    store.apply(objects)  # type: ignore[arg-type]
    return sorted(getattr(o, "name", "") for o in objects)


def materialize(store: FeatureStore, resources: Resources) -> tuple[datetime, datetime]:
    """Load the latest curated state of every customer into the online store."""
    curated = resources.store.read_parquet(
        resources.store.uri(Zone.CURATED, CUSTOMER_FEATURES), columns=["event_timestamp"]
    )
    start = pd.Timestamp(curated["event_timestamp"].min()).to_pydatetime() - timedelta(seconds=1)
    end = datetime.now(UTC)
    store.materialize(start_date=start, end_date=end)
    return start, end


def run_features(resources: Resources) -> FeaturesResult:
    """Apply the definitions and materialise every customer's latest state online."""
    store = resources.feature_registry_writer
    applied = apply(store, resources)
    start, end = materialize(store, resources)
    customers = resources.store.read_parquet(
        resources.store.uri(Zone.CURATED, CUSTOMER_FEATURES), columns=["customer_id"]
    )
    return FeaturesResult(applied, start.isoformat(), end.isoformat(), customers.nunique().item())


def training_set(store: FeatureStore, events: pd.DataFrame, batch_rows: int) -> pd.DataFrame:
    """Point-in-time-correct features for each event (customer_id, event_timestamp, …).

    Each event gets the customer's state as of just before it, so its own transaction never
    leaks into its features; the event's other columns are passed through. Feast's join pairs
    each event with all of its customer's earlier states before keeping the latest, so its
    memory grows with the events times the customers' histories; joining `batch_rows` events at
    a time gives the same rows within a memory that no longer grows with the table.
    """
    entity_df = events.assign(event_timestamp=events["event_timestamp"] - AS_OF_OFFSET)
    service = store.get_feature_service(SERVICE)
    frames = [
        store.get_historical_features(
            entity_df=entity_df.iloc[start : start + batch_rows], features=service
        ).to_df()
        for start in range(0, max(len(entity_df), 1), batch_rows)
    ]
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return frame.assign(event_timestamp=frame["event_timestamp"] + AS_OF_OFFSET)
