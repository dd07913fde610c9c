from __future__ import annotations

import pandas as pd
import pytest

from dp_pipeline.suites import curated_suite, staging_suite
from dp_pipeline.validation import run_suite, split

pytestmark = pytest.mark.pipeline

GOOD = {
    "transaction_id": "t",
    "customer_id": "c-1",
    "merchant_id": "m-1",
    "amount_raw": "10.00",
    "amount": 10.0,
    "currency": "EUR",
    "channel": "pos",
    "country": "DE",
    "timestamp_raw": "2026-10-01T10:00:00.000Z",
    "event_timestamp": pd.Timestamp("2026-10-01T10:00:00Z"),
    "is_fraud": 0,
}

DEFECTS = {
    "missing_customer_id": {"customer_id": None},
    "missing_merchant_id": {"merchant_id": None},
    "missing_transaction_id": {"transaction_id": None},
    "missing_amount": {"amount_raw": None, "amount": None},
    "unparsable_amount": {"amount_raw": "ten", "amount": None},
    "negative_amount": {"amount_raw": "-5", "amount": -5.0},
    "missing_timestamp": {"timestamp_raw": None, "event_timestamp": None},
    "unparsable_timestamp": {"timestamp_raw": "yesterday", "event_timestamp": None},
    "unknown_currency": {"currency": "XXX"},
    "missing_currency": {"currency": None},
    "unknown_channel": {"channel": "fax"},
    "unknown_country": {"country": "ZZ"},
}


def test_each_defect_kind_is_caught_with_exactly_its_reason() -> None:
    rows = [GOOD] + [{**GOOD, **change} for change in DEFECTS.values()]
    frame = pd.DataFrame(rows)
    run = run_suite(staging_suite(), frame)
    passed, quarantined = split(frame, run)
    assert len(passed) == 1
    assert len(quarantined) == len(DEFECTS)
    assert quarantined["reason"].tolist() == list(DEFECTS)
    assert not run.success
    assert run.summary["rows"] == len(rows)


def test_clean_rows_pass_and_are_kept() -> None:
    frame = pd.DataFrame([GOOD, {**GOOD, "transaction_id": "u"}])
    run = run_suite(staging_suite(), frame)
    passed, quarantined = split(frame, run)
    assert run.success
    assert len(passed) == 2
    assert quarantined.empty


def test_curated_suite_rejects_duplicate_states_and_negative_counts() -> None:
    row = {
        "customer_id": "c-1",
        "event_timestamp": pd.Timestamp("2026-10-01T10:00:00Z"),
        **{
            c: 1
            for c in ("txn_count_1h", "txn_count_24h", "txn_count_7d", "distinct_merchants_24h")
        },
        **{c: 1.0 for c in ("amount_sum_1h", "amount_sum_24h", "amount_sum_7d", "amount_avg_7d")},
    }
    assert run_suite(curated_suite(), pd.DataFrame([row])).success
    bad = run_suite(curated_suite(), pd.DataFrame([row, row, {**row, "txn_count_1h": 0}]))
    failed = {e["type"] for e in bad.summary["expectations"] if not e["success"]}
    assert failed == {"expect_compound_columns_to_be_unique", "expect_column_values_to_be_between"}
