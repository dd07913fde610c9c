"""The transaction record as produced, as typed, and the reference values the checks use."""

from __future__ import annotations

CURRENCIES = ("EUR", "USD", "GBP")
CHANNELS = ("pos", "online", "atm")
COUNTRIES = ("DE", "FR", "NL", "ES", "IT", "GB", "US", "PL", "BR", "NG", "RU", "VN")
RISKY_COUNTRIES = ("BR", "NG", "RU", "VN")

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
CUSTOMER_FEATURES = "customer_features"
