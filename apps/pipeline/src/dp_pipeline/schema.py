"""The transaction record as produced, as typed, and the reference values the checks use."""

from __future__ import annotations

from dp_core.domain import CHANNELS, COUNTRIES, CURRENCIES, RISKY_COUNTRIES

__all__ = ["CHANNELS", "COUNTRIES", "CURRENCIES", "RISKY_COUNTRIES"]

RAW_COLUMNS = (
    "transaction_id",
    "customer_id",
    "merchant_id",
    "amount",
    "currency",
    "channel",
    "country",
    "timestamp",
    "is_fraud",
)
REQUIRED_COLUMNS = ("transaction_id", "customer_id", "merchant_id", "amount", "timestamp")
TRANSACTIONS = "transactions"
