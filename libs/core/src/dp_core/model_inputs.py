"""Model inputs from a transaction and its customer's features: one function for training and API.

`input_row` is the definition; `build_inputs` applies it to a frame for training, so the two
cannot drift. Cold start (a customer without features) is documented here: counts are zero, the
7-day average is the transaction's own amount, and the time since the last transaction is -1.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any, cast

import numpy as np
import pandas as pd

from dp_core.domain import CHANNELS, COUNTRIES

INPUTS = (
    "amount",
    "amount_to_avg_7d",
    "hour",
    "channel",
    "country",
    "txn_count_1h",
    "txn_count_24h",
    "txn_count_7d",
    "amount_sum_24h",
    "distinct_merchants_24h",
    "secs_since_last_txn",
)
_CHANNEL = {v: float(i) for i, v in enumerate(CHANNELS)}
_COUNTRY = {v: float(i) for i, v in enumerate(COUNTRIES)}


def _number(value: Any, default: float) -> float:
    """A feature as float; `default` when missing (None or NaN)."""
    if value is None:
        return default
    number = float(value)
    return default if math.isnan(number) else number


def input_row(
    amount: float, channel: str, country: str, at: datetime, features: dict[str, Any]
) -> list[float]:
    """The model's inputs, in INPUTS order, for one transaction at `at` (timezone-aware)."""
    average = _number(features.get("amount_avg_7d"), amount) or amount
    last = _number(features.get("last_txn_at"), math.nan)
    return [
        amount,
        amount / average if average else 1.0,
        float(at.astimezone(UTC).hour),
        _CHANNEL.get(channel, -1.0),
        _COUNTRY.get(country, -1.0),
        _number(features.get("txn_count_1h"), 0.0),
        _number(features.get("txn_count_24h"), 0.0),
        _number(features.get("txn_count_7d"), 0.0),
        _number(features.get("amount_sum_24h"), 0.0),
        _number(features.get("distinct_merchants_24h"), 0.0),
        -1.0 if math.isnan(last) else at.timestamp() - last,
    ]


def build_inputs(frame: pd.DataFrame, slice_rows: int = 100_000) -> pd.DataFrame:
    """Columns: amount, channel, country, event_timestamp (UTC) and the feature view's features.

    Rows go through `input_row` as dicts, `slice_rows` at a time, so Python objects never
    outgrow a slice however long the frame.
    """
    when = pd.to_datetime(frame["event_timestamp"], utc=True)
    features = frame.drop(columns=["event_timestamp"])
    blocks = [np.empty((0, len(INPUTS)))]
    for start in range(0, len(frame), slice_rows):
        part = slice(start, start + slice_rows)
        records = cast(list[dict[str, Any]], features.iloc[part].to_dict("records"))
        rows = [
            input_row(float(r["amount"]), r["channel"], r["country"], t.to_pydatetime(), r)
            for r, t in zip(records, when.iloc[part], strict=True)
        ]
        blocks.append(np.array(rows, dtype="float64"))
    return pd.DataFrame(np.vstack(blocks), columns=list(INPUTS), index=frame.index)
