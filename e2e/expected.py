"""Expected values computed here, independently of the code under test.

The curated features as docs/architecture.md defines them, for a customer's latest transaction,
in plain Python over the raw events: counts and sums over the last 1 h / 24 h / 7 d (the
transaction itself included, and the events at most the window's length minus one second before
it: the curated zone's windows are ranges of whole seconds), the
7-day average, distinct merchants over 24 h, the time of the transaction, the seconds since the
previous one, its amount. Money is rounded to cents, half up, as the curated zone stores it;
where two implementations sum floats in another order a tie can land a cent apart, so money is
compared to the cent (`CENT`).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd

CENT = 0.01 + 1e-9
MONEY = ("amount_sum_1h", "amount_sum_24h", "amount_sum_7d", "amount_avg_7d", "last_amount")
WINDOW_SECONDS = {"1h": 3_600, "24h": 86_400, "7d": 7 * 86_400}


def latest_state(events: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """customer_id → the features after that customer's latest event.

    `events`: customer_id, merchant_id, amount, event_timestamp (one row per transaction).
    """
    result: dict[str, dict[str, Any]] = {}
    for customer, rows in events.groupby("customer_id"):
        seconds = pd.to_datetime(rows["event_timestamp"], utc=True).map(lambda t: t.timestamp())
        ordered = rows.assign(_t=seconds).sort_values("_t")
        now = float(ordered["_t"].iloc[-1])
        state: dict[str, Any] = {}
        for name, length in WINDOW_SECONDS.items():
            inside = ordered[ordered["_t"] >= now - (length - 1)]
            state[f"txn_count_{name}"] = len(inside)
            state[f"amount_sum_{name}"] = cents(sum(inside["amount"]))
        week = ordered[ordered["_t"] >= now - (WINDOW_SECONDS["7d"] - 1)]
        day = ordered[ordered["_t"] >= now - (WINDOW_SECONDS["24h"] - 1)]
        state["amount_avg_7d"] = cents(sum(week["amount"]) / len(week))
        state["distinct_merchants_24h"] = day["merchant_id"].nunique()
        state["last_txn_at"] = now
        previous = ordered["_t"].iloc[-2] if len(ordered) > 1 else None
        state["secs_since_prev_txn"] = None if previous is None else now - float(previous)
        state["last_amount"] = float(ordered["amount"].iloc[-1])
        result[str(customer)] = state
    return result


# The model's inputs as docs/architecture.md lists them, in the model's order; channels and
# countries are coded by their position in the domain's reference lists (unknown: -1).
CHANNELS = ("pos", "online", "atm")
COUNTRIES = ("DE", "FR", "NL", "ES", "IT", "GB", "US", "PL", "BR", "NG", "RU", "VN")


def model_inputs(transaction: dict[str, Any], features: dict[str, Any]) -> list[float]:
    """One transaction's model inputs from its customer's online features (None: no history)."""
    at = pd.Timestamp(transaction["timestamp"]).timestamp()
    amount = float(transaction["amount"])
    average = features.get("amount_avg_7d") or amount
    last = features.get("last_txn_at")
    return [
        amount,
        amount / average,
        float(pd.Timestamp(transaction["timestamp"]).tz_convert("UTC").hour),
        float(CHANNELS.index(transaction["channel"]))
        if transaction["channel"] in CHANNELS
        else -1.0,
        float(COUNTRIES.index(transaction["country"]))
        if transaction["country"] in COUNTRIES
        else -1.0,
        float(features.get("txn_count_1h") or 0),
        float(features.get("txn_count_24h") or 0),
        float(features.get("txn_count_7d") or 0),
        float(features.get("amount_sum_24h") or 0),
        float(features.get("distinct_merchants_24h") or 0),
        -1.0 if last is None else at - float(last),
    ]


def _position(values: tuple[str, ...], value: str) -> float:
    return float(values.index(value)) if value in values else -1.0


def cents(value: float) -> float:
    """Rounded to cents, half up (48.665 → 48.67), from the value's shortest decimal form."""
    return float(Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
