from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dp_training.data import Dataset
from dp_training.train import fit, holdout_metrics

pytestmark = pytest.mark.training


def _dataset(seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.normal(size=(2_000, 3)), columns=["a", "b", "c"])
    y = pd.Series((x["a"] + rng.normal(scale=0.5, size=2_000) > 1).astype("int32"))
    return Dataset(x.iloc[:1_500], y.iloc[:1_500], x.iloc[1_500:], y.iloc[1_500:])


def test_fingerprint_changes_with_data_and_config() -> None:
    data = _dataset(0)
    assert data.fingerprint("p") == _dataset(0).fingerprint("p")
    assert data.fingerprint("p") != _dataset(1).fingerprint("p")
    assert data.fingerprint("p") != data.fingerprint("q")


def test_fit_learns_the_signal() -> None:
    data = _dataset(0)
    metrics = holdout_metrics(np.asarray(fit(data).predict(data.holdout_x)), data)
    assert metrics["holdout_roc_auc"] > 0.9
    assert metrics["holdout_rows"] == 500
