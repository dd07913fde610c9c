"""Synthetic card transactions with a hidden fraud rule and deliberate defects.

The hidden rule. Each customer has a typical spend `mu` (log-normal). A transaction is fraud with
probability `sigmoid(z)`, where

    z = -7.0 + 5.0·[amount > 3·mu] + 3.0·[country ∈ RISKY_COUNTRIES] + 2.4·[hour < 6 UTC]
        + 1.2·[channel = online] + 2.8·[another transaction of the customer < 10 min before]

so fraud shows as unusual spend for that customer, risky geography, night time, card-not-present
and bursts; none of it is in the raw record except through the customer's own history.

About 2% of rows carry one defect each: a required field left empty, a negative amount, an
unknown currency, an unparsable timestamp, or the row sent twice (same transaction id).
The output is deterministic for a given seed, row count, day count and start date.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from dp_core.resources import Resources
from dp_pipeline.schema import CHANNELS, COUNTRIES, CURRENCIES, RISKY_COUNTRIES, TRANSACTIONS

DEFECT_KINDS = (
    "missing_field",
    "negative_amount",
    "unknown_currency",
    "bad_timestamp",
    "duplicate",
)
DEFECT_RATE = 0.02
ROWS_PER_CUSTOMER = 40


@dataclass(frozen=True)
class GenerateSpec:
    rows: int = 200_000
    days: int = 30
    seed: int = 42
    start: datetime = datetime(2026, 10, 1, tzinfo=UTC)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-z)))


def clean_transactions(spec: GenerateSpec) -> pd.DataFrame:
    """The transactions before any defect: typed, ordered by time, labelled by the hidden rule."""
    rng = np.random.default_rng(spec.seed)
    n = spec.rows
    n_customers = max(n // ROWS_PER_CUSTOMER, 1)
    n_merchants = max(n // 100, 10)

    customer = rng.integers(0, n_customers, n)
    mu = rng.lognormal(mean=3.5, sigma=0.7, size=n_customers)
    home = rng.integers(0, len(COUNTRIES) - len(RISKY_COUNTRIES), n_customers)
    seconds = rng.uniform(0, spec.days * 86_400, n)
    hour = (seconds // 3600) % 24
    # Fewer purchases at night: re-draw the hour of 60% of night transactions into daytime.
    night = hour < 6
    moved = night & (rng.random(n) < 0.6)
    seconds[moved] += rng.integers(8, 18, moved.sum()) * 3600 - hour[moved] * 3600
    seconds = np.clip(seconds, 0, spec.days * 86_400 - 1)
    seconds = np.floor(seconds * 1000) / 1000

    unusual = rng.random(n) < 0.04
    amount = np.where(
        unusual,
        mu[customer] * rng.uniform(3.5, 12, n),
        mu[customer] * rng.lognormal(0, 0.35, n),
    ).round(2)
    abroad = rng.random(n) < 0.08
    country_idx = np.where(abroad, rng.integers(0, len(COUNTRIES), n), home[customer])
    channel_idx = rng.choice(len(CHANNELS), n, p=[0.55, 0.38, 0.07])

    frame = pd.DataFrame(
        {
            "customer": customer,
            "seconds": seconds,
            "amount": amount,
            "country_idx": country_idx,
            "channel_idx": channel_idx,
            "merchant": rng.integers(0, n_merchants, n),
            "currency_idx": rng.choice(len(CURRENCIES), n, p=[0.6, 0.3, 0.1]),
        }
    ).sort_values(["customer", "seconds"], kind="stable")
    gap = frame.groupby("customer")["seconds"].diff().fillna(np.inf).to_numpy()
    frame = frame.assign(burst=gap < 600)

    country = np.asarray(COUNTRIES)[frame["country_idx"].to_numpy()]
    hour_of_day = (frame["seconds"].to_numpy() // 3600) % 24
    z = (
        -7.0
        + 5.0 * (frame["amount"].to_numpy() > 3 * mu[frame["customer"].to_numpy()])
        + 3.0 * np.isin(country, RISKY_COUNTRIES)
        + 2.4 * (hour_of_day < 6)
        + 1.2 * (frame["channel_idx"].to_numpy() == CHANNELS.index("online"))
        + 2.8 * frame["burst"].to_numpy()
    )
    frame = frame.assign(is_fraud=rng.random(n) < _sigmoid(z))
    frame = frame.sort_values("seconds", kind="stable").reset_index(drop=True)

    timestamps = pd.Timestamp(spec.start) + pd.to_timedelta(frame["seconds"], unit="s")
    return pd.DataFrame(
        {
            "transaction_id": np.char.add(
                f"tx-{spec.seed}-", np.char.zfill(np.arange(n).astype(str), 9)
            ),
            "customer_id": np.char.add(
                "c-", np.char.zfill(frame["customer"].to_numpy().astype(str), 7)
            ),
            "merchant_id": np.char.add(
                "m-", np.char.zfill(frame["merchant"].to_numpy().astype(str), 6)
            ),
            "amount": frame["amount"].map("{:.2f}".format),
            "currency": np.asarray(CURRENCIES)[frame["currency_idx"].to_numpy()],
            "channel": np.asarray(CHANNELS)[frame["channel_idx"].to_numpy()],
            "country": np.asarray(COUNTRIES)[frame["country_idx"].to_numpy()],
            "timestamp": timestamps.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3] + "Z",
            "is_fraud": frame["is_fraud"].astype(int).astype(str),
            "date": timestamps.dt.strftime("%Y-%m-%d"),
        }
    )


def inject_defects(clean: pd.DataFrame, seed: int) -> pd.DataFrame:
    """About DEFECT_RATE of rows broken, one defect kind each, spread evenly over the kinds."""
    rng = np.random.default_rng(seed + 1)
    frame = clean.copy()
    n = len(frame)
    picked = rng.choice(n, size=int(n * DEFECT_RATE), replace=False)
    kinds = np.array_split(picked, len(DEFECT_KINDS))
    missing, negative, currency, timestamp, duplicate = kinds
    required = ["customer_id", "merchant_id", "amount", "timestamp"]
    for i, column in enumerate(required):
        frame.loc[frame.index[missing[i :: len(required)]], column] = ""
    frame.loc[frame.index[negative], "amount"] = "-" + frame.loc[frame.index[negative], "amount"]
    frame.loc[frame.index[currency], "currency"] = rng.choice(["XXX", "BTC", "EU"], len(currency))
    frame.loc[frame.index[timestamp], "timestamp"] = rng.choice(
        ["2026-13-45T25:61:00Z", "yesterday", "1696118400x"], len(timestamp)
    )
    replayed = frame.iloc[np.sort(duplicate)]
    return pd.concat([frame, replayed]).sort_index(kind="stable").reset_index(drop=True)


def landing_dir(resources: Resources) -> Path:
    """Where `generate` writes files before `ingest` lands them in the raw zone."""
    return Path(resources.local_dir("landing"))


def generate(resources: Resources, spec: GenerateSpec) -> dict[str, int]:
    """One CSV per day under the landing folder's `transactions/date=…/`; rows per defect kind."""
    frame = inject_defects(clean_transactions(spec), spec.seed)
    target = landing_dir(resources) / TRANSACTIONS
    shutil.rmtree(target, ignore_errors=True)
    for date, day in frame.groupby("date", sort=True):
        folder = target / f"date={date}"
        folder.mkdir(parents=True)
        day.drop(columns="date").to_csv(folder / "part-00000.csv", index=False)
    per_kind = int(spec.rows * DEFECT_RATE) // len(DEFECT_KINDS)
    return {
        "rows": len(frame),
        "clean_rows": spec.rows,
        "days": spec.days,
        "defects_per_kind": per_kind,
    }
