"""Great Expectations suites, one per zone boundary, each expectation naming its reason code."""

from __future__ import annotations

import great_expectations as gx
from great_expectations.expectations import (
    ExpectColumnValuesToBeBetween,
    ExpectColumnValuesToBeInSet,
    ExpectColumnValuesToNotBeNull,
    ExpectCompoundColumnsToBeUnique,
    ExpectTableRowCountToBeBetween,
)

from dp_pipeline.schema import CHANNELS, COUNTRIES, CURRENCIES, REQUIRED_COLUMNS

FEATURE_COUNT_COLUMNS = ("txn_count_1h", "txn_count_24h", "txn_count_7d", "distinct_merchants_24h")
FEATURE_AMOUNT_COLUMNS = ("amount_sum_1h", "amount_sum_24h", "amount_sum_7d", "amount_avg_7d")


def _raw_field(column: str) -> str:
    return {"amount": "amount_raw", "timestamp": "timestamp_raw"}.get(column, column)


def _given(column: str) -> dict[str, str]:
    """Check a parsed column only where its raw text is present (absence has its own reason)."""
    return {"row_condition": f"{column}.notnull()", "condition_parser": "pandas"}


def staging_suite() -> gx.ExpectationSuite:
    """raw → staging: row-level rules; a row failing any of them goes to quarantine."""
    expectations: list[gx.expectations.Expectation] = [
        ExpectColumnValuesToNotBeNull(column=_raw_field(c), meta={"reason": f"missing_{c}"})
        for c in REQUIRED_COLUMNS
    ]
    expectations += [
        ExpectColumnValuesToNotBeNull(
            column="amount", meta={"reason": "unparsable_amount"}, **_given("amount_raw")
        ),
        ExpectColumnValuesToBeBetween(
            column="amount", min_value=0, meta={"reason": "negative_amount"}
        ),
        ExpectColumnValuesToNotBeNull(
            column="event_timestamp",
            meta={"reason": "unparsable_timestamp"},
            **_given("timestamp_raw"),
        ),
        ExpectColumnValuesToBeInSet(
            column="currency", value_set=list(CURRENCIES), meta={"reason": "unknown_currency"}
        ),
        ExpectColumnValuesToNotBeNull(column="currency", meta={"reason": "missing_currency"}),
        ExpectColumnValuesToBeInSet(
            column="channel", value_set=list(CHANNELS), meta={"reason": "unknown_channel"}
        ),
        ExpectColumnValuesToBeInSet(
            column="country", value_set=list(COUNTRIES), meta={"reason": "unknown_country"}
        ),
        ExpectColumnValuesToBeInSet(
            column="is_fraud", value_set=[0, 1], meta={"reason": "bad_label"}
        ),
    ]
    return gx.ExpectationSuite(name="staging", expectations=expectations)


def curated_suite() -> gx.ExpectationSuite:
    """staging → curated: table-level rules on the customer aggregates; a failure stops the step."""
    expectations: list[gx.expectations.Expectation] = [
        ExpectTableRowCountToBeBetween(min_value=1),
        ExpectColumnValuesToNotBeNull(column="customer_id"),
        ExpectColumnValuesToNotBeNull(column="event_timestamp"),
        ExpectCompoundColumnsToBeUnique(column_list=["customer_id", "event_timestamp"]),
    ]
    expectations += [
        ExpectColumnValuesToBeBetween(column=c, min_value=1) for c in FEATURE_COUNT_COLUMNS
    ]
    expectations += [
        ExpectColumnValuesToBeBetween(column=c, min_value=0) for c in FEATURE_AMOUNT_COLUMNS
    ]
    return gx.ExpectationSuite(name="curated", expectations=expectations)
