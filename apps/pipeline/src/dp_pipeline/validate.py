"""Validate: the raw → staging suite splits typed rows into staging and quarantine."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd

from dp_core.resources import Resources
from dp_core.storage import ObjectStore, Zone
from dp_pipeline.schema import TRANSACTIONS
from dp_pipeline.stage import TYPED
from dp_pipeline.suites import staging_suite
from dp_pipeline.validation import run_suite, split

RESULTS_DIR = "_validation"
STAGING_COLUMNS = (
    "transaction_id",
    "customer_id",
    "merchant_id",
    "amount",
    "currency",
    "channel",
    "country",
    "event_timestamp",
    "is_fraud",
    "date",
)


@dataclass(frozen=True)
class ValidateResult:
    typed_rows: int
    staging_rows: int
    quarantined_rows: int
    reasons: dict[str, int]
    suite_success: bool


def results_uri(store: ObjectStore, zone: Zone, dataset: str, suite: str) -> str:
    """Where a suite's results are stored: beside the data they describe."""
    return store.uri(zone, dataset, RESULTS_DIR, f"{suite}.json")


def load_typed(store: ObjectStore) -> pd.DataFrame:
    frame = store.read_parquet(store.uri(Zone.STAGING, TYPED))
    frame["date"] = frame["date"].astype(str)
    frame["event_timestamp"] = pd.to_datetime(frame["event_timestamp"], utc=True)
    return frame.sort_values(["date", "transaction_id"], na_position="last").reset_index(drop=True)


def validate(resources: Resources) -> ValidateResult:
    """staging/typed → staging/transactions + quarantine/transactions (with `reason`)."""
    store = resources.store
    typed = load_typed(store)
    run = run_suite(staging_suite(), typed)
    passed, quarantined = split(typed, run)
    store.write_parquet(
        passed[list(STAGING_COLUMNS)], store.uri(Zone.STAGING, TRANSACTIONS), ["date"]
    )
    store.write_parquet(quarantined, store.uri(Zone.QUARANTINE, TRANSACTIONS), ["date"])
    store.write_text(
        results_uri(store, Zone.STAGING, TRANSACTIONS, "staging"),
        json.dumps(run.summary, indent=2, default=str),
    )
    reasons = quarantined["reason"].str.split(";").explode().value_counts().sort_index()
    return ValidateResult(
        typed_rows=len(typed),
        staging_rows=len(passed),
        quarantined_rows=len(quarantined),
        reasons={str(k): int(v) for k, v in reasons.items()},
        suite_success=run.success,
    )
