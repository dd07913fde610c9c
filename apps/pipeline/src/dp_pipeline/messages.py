"""The `transactions` topic's message: JSON, schema version 1, keyed by customer id."""

from __future__ import annotations

from typing import Any

from dp_pipeline.schema import RAW_COLUMNS

SCHEMA_VERSION = 1
FIELDS = RAW_COLUMNS  # a message carries exactly the fields of a raw record
BAD_KINDS = (
    "unparsable_json",
    "unsupported_schema_version",
    "missing_customer_id",
    "negative_amount",
    "unknown_currency",
    "unparsable_timestamp",
)


def message(row: dict[str, Any]) -> dict[str, Any]:
    """A valid message for a transaction (fields as produced by the generator)."""
    return {"schema_version": SCHEMA_VERSION, **{f: row[f] for f in FIELDS}}


def break_message(valid: dict[str, Any], kind: str) -> bytes:
    """`valid` broken in one way the stream must send to the dead-letter topic."""
    import json

    if kind == "unparsable_json":
        return (
            b'{"schema_version": 1, "transaction_id": "' + valid["transaction_id"].encode() + b'", '
        )
    broken = dict(valid)
    if kind == "unsupported_schema_version":
        broken["schema_version"] = 99
    elif kind == "missing_customer_id":
        broken.pop("customer_id")
    elif kind == "negative_amount":
        broken["amount"] = -abs(float(broken["amount"]))
    elif kind == "unknown_currency":
        broken["currency"] = "XXX"
    elif kind == "unparsable_timestamp":
        broken["timestamp"] = "yesterday"
    return json.dumps(broken).encode()
