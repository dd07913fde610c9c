"""The batch flow on Spark's own executors (`local-cluster`: separate executor JVMs, so closures,
serialization, shuffles and broadcasts cross process boundaries) gives what local mode gives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

pytestmark = pytest.mark.integration
ROWS, DAYS = 20_000, 10
EXECUTORS = "local-cluster[2,1,1024]"  # 2 executors, 1 core and 1 GiB each


def run_flow(root: Path, master: str, port: int) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DP_")} | {
        "DP_STATE_DIR": str(root / "state"),
        "DP_RUNS_DIR": str(root / "runs"),
        "DP_ENDPOINTS__PORTS__API": str(port),
        "DP_SPARK__MASTER": master,
        "DP_SPARK__DRIVER_MEMORY": "1g",
    }
    subprocess.run(
        [sys.executable, "-m", "dp_cli", "run", "--rows", str(ROWS), "--days", str(DAYS)],
        env=env,
        check=True,
        timeout=1200,
        capture_output=True,
    )
    report: dict[str, Any] = json.loads((root / "runs" / "latest" / "report.json").read_text())
    return report


def curated(root: Path) -> pd.DataFrame:
    frame = pd.read_parquet(root / "state" / "lake" / "curated" / "customer_features")
    frame["date"] = frame["date"].astype(str)
    return frame.sort_values(["customer_id", "event_timestamp"]).reset_index(drop=True)


def test_executors_give_the_same_zones_features_and_model(
    tmp_path: Path, free_port: Callable[[], int]
) -> None:
    local = run_flow(tmp_path / "local", "local[2]", free_port())
    cluster = run_flow(tmp_path / "cluster", EXECUTORS, free_port())
    assert local["spark"] == {"master": "local[2]", "executors": 0}  # the driver runs the tasks
    assert cluster["spark"] == {"master": EXECUTORS, "executors": 2}
    assert cluster["rows"] == local["rows"]
    assert cluster["quarantine_reasons"] == local["quarantine_reasons"]
    pd.testing.assert_frame_equal(curated(tmp_path / "cluster"), curated(tmp_path / "local"))
    assert cluster["model"]["holdout"] == pytest.approx(local["model"]["holdout"], abs=1e-9)
