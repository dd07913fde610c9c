from __future__ import annotations

import pandas as pd
import pytest

from dp_core.resources import Resources
from dp_core.settings import Settings
from dp_pipeline.generate import (
    DEFECT_KINDS,
    GenerateSpec,
    clean_transactions,
    generate,
    landing_dir,
)

pytestmark = pytest.mark.pipeline
SPEC = GenerateSpec(rows=20_000, days=10, seed=3)


def test_same_seed_same_rows() -> None:
    pd.testing.assert_frame_equal(clean_transactions(SPEC), clean_transactions(SPEC))
    other = clean_transactions(GenerateSpec(rows=20_000, days=10, seed=4))
    assert not other["amount"].equals(clean_transactions(SPEC)["amount"])


def test_clean_rows_are_valid_and_labelled() -> None:
    frame = clean_transactions(SPEC)
    assert frame["transaction_id"].is_unique
    assert (frame["amount"].astype(float) > 0).all()
    assert 0.005 < frame["is_fraud"].astype(int).mean() < 0.05
    assert frame["date"].nunique() == 10


def test_files_carry_two_percent_defects(settings: Settings) -> None:
    resources = Resources(settings)
    summary = generate(resources, SPEC)
    files = sorted((landing_dir(resources) / "transactions").glob("date=*/part-00000.csv"))
    assert len(files) == 10
    frame = pd.concat(pd.read_csv(f, dtype=str, keep_default_na=False) for f in files)
    per_kind = int(SPEC.rows * 0.02) // len(DEFECT_KINDS)
    assert summary == {
        "rows": SPEC.rows + per_kind,
        "clean_rows": SPEC.rows,
        "days": SPEC.days,
        "defects_per_kind": per_kind,
    }
    assert len(frame) == SPEC.rows + per_kind
    assert frame["transaction_id"].duplicated().sum() == per_kind
    assert frame["amount"].str.startswith("-").sum() == per_kind
    assert (
        ~frame["currency"].isin(["EUR", "USD", "GBP"]) & (frame["currency"] != "")
    ).sum() == per_kind
    assert (
        frame[["customer_id", "merchant_id", "amount", "timestamp"]] == ""
    ).sum().sum() == per_kind
