from __future__ import annotations

import pandas as pd
import pytest

from dp_core.model_inputs import INPUTS, build_inputs

pytestmark = pytest.mark.core

FEATURES = {
    "txn_count_1h": 2,
    "txn_count_24h": 5,
    "txn_count_7d": 9,
    "amount_sum_24h": 120.0,
    "amount_avg_7d": 20.0,
    "distinct_merchants_24h": 3,
    "last_txn_at": pd.Timestamp("2026-10-01T11:59:00Z").timestamp(),
}


def _row(**extra: object) -> dict[str, object]:
    return {
        "amount": 80.0,
        "channel": "online",
        "country": "NG",
        "event_timestamp": pd.Timestamp("2026-10-01T12:00:00Z"),
        **extra,
    }


def test_known_customer_inputs() -> None:
    inputs = build_inputs(pd.DataFrame([_row(**FEATURES)]))
    assert list(inputs.columns) == list(INPUTS)
    row = inputs.iloc[0]
    assert row["amount_to_avg_7d"] == 4.0
    assert row["hour"] == 12
    assert row["channel"] == 1
    assert row["country"] == 9
    assert row["secs_since_last_txn"] == 60
    assert row["txn_count_24h"] == 5


def test_cold_start_inputs_are_documented_defaults() -> None:
    empty = dict.fromkeys(FEATURES)
    row = build_inputs(pd.DataFrame([_row(country="ZZ", **empty)])).iloc[0]
    assert row["amount_to_avg_7d"] == 1.0
    assert row["txn_count_1h"] == 0
    assert row["secs_since_last_txn"] == -1
    assert row["country"] == -1


def test_slices_change_nothing_but_memory() -> None:
    frame = pd.DataFrame(
        [_row(**FEATURES), _row(country="ZZ"), _row(**FEATURES), _row(channel="pos")]
    )
    whole = build_inputs(frame)
    assert whole.equals(build_inputs(frame, slice_rows=3))
    assert [list(whole.iloc[i]) for i in range(4)] == [
        list(build_inputs(frame.iloc[[i]]).iloc[0]) for i in range(4)
    ]
