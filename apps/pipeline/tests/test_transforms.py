from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
from pyspark.sql import DataFrame, SparkSession

from dp_pipeline import curate, stage
from dp_pipeline.schema import RAW_COLUMNS

pytestmark = pytest.mark.pipeline


def _raw(spark: SparkSession, rows: list[tuple[str, ...]]) -> DataFrame:
    return spark.createDataFrame(rows, schema=stage.RAW_SCHEMA)


def _tx(
    tid: str, amount: str = "10.00", ts: str = "2026-10-01T10:00:00.000Z", **kw: str
) -> tuple[str, ...]:
    base = {
        "transaction_id": tid,
        "customer_id": kw.get("customer", "c-1"),
        "merchant_id": kw.get("merchant", "m-1"),
        "amount": amount,
        "currency": "EUR",
        "channel": "pos",
        "country": "DE",
        "timestamp": ts,
        "is_fraud": "0",
    }
    return (*[base[c] for c in RAW_COLUMNS], "2026-10-01")


def test_stage_types_fields_and_keeps_raw_text(spark: SparkSession) -> None:
    typed = stage.transform(
        _raw(spark, [_tx("a"), _tx("b", amount="ten", ts="yesterday"), _tx("c", amount=" ")])
    )
    rows = {r["transaction_id"]: r for r in typed.collect()}
    assert rows["a"]["amount"] == 10.0
    assert rows["a"]["event_timestamp"].replace(tzinfo=None) == datetime(2026, 10, 1, 10)
    assert rows["b"]["amount"] is None
    assert rows["b"]["amount_raw"] == "ten"
    assert rows["b"]["event_timestamp"] is None
    assert rows["b"]["timestamp_raw"] == "yesterday"
    assert rows["c"]["amount_raw"] is None


def test_stage_removes_replays_but_not_missing_ids(spark: SparkSession) -> None:
    raw = _raw(spark, [_tx("a"), _tx("a"), _tx("b"), _tx(" "), _tx(" ")])
    typed = stage.transform(raw)
    ids = sorted(str(r["transaction_id"]) for r in typed.collect())
    assert ids == ["None", "None", "a", "b"]


def test_curate_windows_count_what_happened_before(spark: SparkSession) -> None:
    times = [
        "2026-10-01T10:00:00",
        "2026-10-01T10:30:00",
        "2026-10-01T12:00:00",
        "2026-10-05T12:00:00",
    ]
    frame = pd.DataFrame(
        {
            "customer_id": "c-1",
            "merchant_id": ["m-1", "m-2", "m-1", "m-3"],
            "amount": [10.0, 20.0, 30.0, 40.0],
            "event_timestamp": pd.to_datetime(times, utc=True),
        }
    )
    out = curate.transform(spark.createDataFrame(frame)).orderBy("event_timestamp").toPandas()
    assert out["txn_count_1h"].tolist() == [1, 2, 1, 1]
    assert out["txn_count_24h"].tolist() == [1, 2, 3, 1]
    assert out["txn_count_7d"].tolist() == [1, 2, 3, 4]
    assert out["amount_sum_24h"].tolist() == [10.0, 30.0, 60.0, 40.0]
    assert out["distinct_merchants_24h"].tolist() == [1, 2, 2, 1]
    assert out["secs_since_prev_txn"].tolist()[1:] == [1800.0, 5400.0, 4 * 86400.0]
    assert out["amount_avg_7d"].iloc[-1] == 25.0
    assert out["last_txn_at"].iloc[0] == datetime(2026, 10, 1, 10, tzinfo=UTC).timestamp()
