"""The training set: staged transactions with point-in-time features, split by time."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pandas as pd

from dp_core.model_inputs import build_inputs
from dp_core.resources import Resources
from dp_core.storage import Zone
from dp_features.steps import training_set

EVENT_COLUMNS = ["transaction_id", "customer_id", "event_timestamp", "amount", "channel", "country"]
LABEL = "is_fraud"
HOLDOUT_FRACTION = 0.2


@dataclass(frozen=True)
class Dataset:
    train_x: pd.DataFrame
    train_y: pd.Series
    holdout_x: pd.DataFrame
    holdout_y: pd.Series

    def fingerprint(self, config: str) -> str:
        """A hash of every input, label and the training `config`: equal only for equal runs."""
        digest = hashlib.sha256(config.encode())
        for part in (self.train_x, self.train_y, self.holdout_x, self.holdout_y):
            digest.update(pd.util.hash_pandas_object(part, index=False).to_numpy().tobytes())
        return digest.hexdigest()[:16]


def load_dataset(resources: Resources) -> Dataset:
    """Events from staging joined with features as of just before each, the last 20% held out."""
    store = resources.store
    events = store.read_parquet(
        store.uri(Zone.STAGING, "transactions"), columns=[*EVENT_COLUMNS, LABEL]
    )
    frame = training_set(
        resources.feature_store, events, resources.settings.feast.historical_batch_rows
    )
    frame = frame.sort_values(["event_timestamp", "transaction_id"]).reset_index(drop=True)
    inputs, labels = build_inputs(frame), frame[LABEL].astype("int32")
    cut = int(len(frame) * (1 - HOLDOUT_FRACTION))
    return Dataset(inputs.iloc[:cut], labels.iloc[:cut], inputs.iloc[cut:], labels.iloc[cut:])
