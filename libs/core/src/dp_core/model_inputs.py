"""Model inputs from a transaction and its customer's features: one function for training and API.

Cold start (a customer without features) is documented here: counts are zero, the 7-day average
is the transaction's own amount, and the time since the last transaction is -1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dp_core.domain import CHANNELS, COUNTRIES

EPOCH = pd.Timestamp(0, tz="UTC")
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


def _code(values: pd.Series, vocabulary: tuple[str, ...]) -> np.ndarray:
    """Index in the vocabulary, -1 for an unknown value."""
    lookup = {v: i for i, v in enumerate(vocabulary)}
    return values.map(lambda v: lookup.get(v, -1)).to_numpy(dtype="float64")


def build_inputs(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns: amount, channel, country, event_timestamp (UTC) and the feature view's features."""
    amount = frame["amount"].astype("float64")
    avg = frame["amount_avg_7d"].astype("float64").fillna(amount).replace(0, np.nan).fillna(amount)
    last = frame["last_txn_at"].astype("float64")
    when = pd.to_datetime(frame["event_timestamp"], utc=True)
    now = (when - EPOCH).dt.total_seconds()
    return pd.DataFrame(
        {
            "amount": amount,
            "amount_to_avg_7d": amount / avg,
            "hour": when.dt.hour.astype("float64"),
            "channel": _code(frame["channel"], CHANNELS),
            "country": _code(frame["country"], COUNTRIES),
            "txn_count_1h": frame["txn_count_1h"].astype("float64").fillna(0.0),
            "txn_count_24h": frame["txn_count_24h"].astype("float64").fillna(0.0),
            "txn_count_7d": frame["txn_count_7d"].astype("float64").fillna(0.0),
            "amount_sum_24h": frame["amount_sum_24h"].astype("float64").fillna(0.0),
            "distinct_merchants_24h": frame["distinct_merchants_24h"].astype("float64").fillna(0.0),
            "secs_since_last_txn": (now - last).fillna(-1.0),
        },
        index=frame.index,
    )[list(INPUTS)]
