"""The card-transaction domain's reference values, shared by the checks, features and API."""

from __future__ import annotations

CURRENCIES = ("EUR", "USD", "GBP")
CHANNELS = ("pos", "online", "atm")
COUNTRIES = ("DE", "FR", "NL", "ES", "IT", "GB", "US", "PL", "BR", "NG", "RU", "VN")
RISKY_COUNTRIES = ("BR", "NG", "RU", "VN")
# The curated dataset of customer-level aggregates: written by curate, read by Feast.
CUSTOMER_FEATURES = "customer_features"
