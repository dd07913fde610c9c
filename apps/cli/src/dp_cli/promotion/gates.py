"""The gates a challenger passes, in the order `promotion.gates` lists them.

Each gate judges the challenger on its real path (the challenger's model on the model server, an
API process of its own pointed at it) and returns what it measured, pass or not.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dp_cli.checks import check_api, check_serving
from dp_core.champion import load_version
from dp_core.errors import CheckFailed
from dp_core.inference import ModelRejected, ModelUnavailable
from dp_core.model_inputs import input_row
from dp_core.resources import Resources
from dp_core.storage import Zone


@dataclass(frozen=True)
class Candidate:
    """What the gates judge: the challenger's version against the champion's (None: the first)."""

    resources: Resources
    challenger: str
    champion: str | None
    reports: Path
    api_url: str = ""  # the challenger's own API, where a gate needs one


@dataclass(frozen=True)
class GateResult:
    gate: str
    passed: bool
    reason: str
    figures: dict[str, Any] = field(default_factory=dict)


def quality(candidate: Candidate) -> GateResult:
    """Holdout ROC AUC and average precision no worse than the champion's beyond the tolerance,
    both scored here on the same holdout rows."""
    from dp_training.data import load_dataset
    from dp_training.train import holdout_metrics

    resources = candidate.resources
    registry, tolerance = resources.settings.mlflow, resources.settings.promotion.max_metric_drop
    data = load_dataset(resources)
    rows = data.holdout_x.to_numpy(dtype="float64")

    def measured(version: str) -> dict[str, float]:
        metrics = holdout_metrics(load_version(registry, version).score(rows), data)
        return {k: v for k, v in metrics.items() if k.startswith("holdout_")}

    challenger = measured(candidate.challenger)
    figures: dict[str, Any] = {"challenger": challenger, "tolerance": tolerance}
    if candidate.champion is None:
        return GateResult("quality", True, "no champion yet: nothing to be worse than", figures)
    champion = figures["champion"] = measured(candidate.champion)
    worse = [
        f"{metric} {challenger[metric]:.4f} < champion's {champion[metric]:.4f} - {tolerance}"
        for metric in ("holdout_roc_auc", "holdout_average_precision")
        if challenger[metric] < champion[metric] - tolerance
    ]
    return GateResult("quality", not worse, "; ".join(worse) or "not worse", figures)


def serving(candidate: Candidate) -> GateResult:
    """The model server serves the challenger, with the registry's scores (`dp check serving`)."""
    alias = candidate.resources.settings.mlflow.challenger_alias
    return _check("serving", lambda: check_serving(candidate.resources, alias=alias))


def api(candidate: Candidate) -> GateResult:
    """An API pointed at the challenger answers as the API must (`dp check api`)."""
    alias = candidate.resources.settings.mlflow.challenger_alias
    return _check(
        "api", lambda: check_api(candidate.resources, base_url=candidate.api_url, alias=alias)
    )


def _check(gate: str, run: Callable[[], dict[str, Any]]) -> GateResult:
    try:
        return GateResult(gate, True, "answers as the registry says", run())
    except (CheckFailed, ModelUnavailable, ModelRejected, OSError) as exc:
        return GateResult(gate, False, str(exc))


def load(candidate: Candidate) -> GateResult:
    """The Locust SLO gate (`make load`, loadtests/slos.toml) against the challenger's API."""
    settings = candidate.resources.settings
    script = settings.promotion.load_test.resolve()
    if not script.is_file():
        return GateResult("load", False, f"the load test is not at {script}")
    verdict = candidate.reports / "load.json"
    command = [
        sys.executable,
        str(script),
        "--target",
        settings.target.value,
        "--path",
        "api",
        "--duration",
        str(settings.promotion.load_duration_s),
        "--reports",
        str(candidate.reports),
        "--json",
        str(verdict),
    ]
    env = {**os.environ, "DP_E2E_API": candidate.api_url}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if not verdict.exists():
        return GateResult("load", False, f"the load test wrote no verdict: {done.stderr[-500:]}")
    figures = json.loads(verdict.read_text())
    missed = [name for name, row in figures["objectives"].items() if not row["passed"]]
    reason = "missed " + ", ".join(missed) if missed else "every SLO met"
    return GateResult("load", done.returncode == 0 and not missed, reason, figures)


def shadow(candidate: Candidate) -> GateResult:
    """The most recent transactions, as requests with today's online features, scored by the
    champion and by the challenger: the score drift and the decisions that would change."""
    from dp_api.routes import decide
    from dp_features.repo import ENTITY_KEY, FEATURES, VIEW

    resources = candidate.resources
    settings = resources.settings
    if candidate.champion is None:
        return GateResult("shadow", True, "no champion yet: nothing to compare with")
    recent = resources.store.read_parquet(
        resources.store.uri(Zone.STAGING, "transactions"),
        columns=["customer_id", "event_timestamp", "amount", "channel", "country"],
    ).nlargest(settings.promotion.shadow_requests, "event_timestamp")
    online = resources.online_features(VIEW, FEATURES, ENTITY_KEY)
    rows = np.array(
        [
            input_row(
                float(r["amount"]),
                str(r["channel"]),
                str(r["country"]),
                _utc(r["event_timestamp"]),
                online.read(str(r["customer_id"])),
            )
            for r in recent.to_dict("records")
        ],
        dtype="float64",
    )
    try:
        champion = np.asarray(asyncio.run(_scores(resources, settings.mlflow.champion_alias, rows)))
        challenger = np.asarray(
            asyncio.run(_scores(resources, settings.mlflow.challenger_alias, rows))
        )
    except (ModelUnavailable, ModelRejected) as exc:
        return GateResult("shadow", False, str(exc))
    drift = np.abs(challenger - champion)
    flips = sum(
        decide(float(a), settings.api) != decide(float(b), settings.api)
        for a, b in zip(champion, challenger, strict=True)
    )
    figures = {
        "requests": len(rows),
        "mean_abs_score_drift": float(drift.mean()),
        "p95_abs_score_drift": float(np.quantile(drift, 0.95)),
        "max_abs_score_drift": float(drift.max()),
        "decisions_changed": int(flips),
        "mean_score": {"champion": float(champion.mean()), "challenger": float(challenger.mean())},
    }
    return GateResult("shadow", True, "drift reported", figures)


def _utc(value: Any) -> datetime:
    at = pd.Timestamp(value)
    return (at.tz_localize("UTC") if at.tzinfo is None else at).to_pydatetime()


async def _scores(resources: Resources, alias: str, rows: np.ndarray) -> list[float]:
    client = resources.model_client_for(alias, poll_seconds=0)
    await client.start()
    try:
        return (await client.predict(rows)).values
    finally:
        await client.close()


GATES: dict[str, Callable[[Candidate], GateResult]] = {
    "quality": quality,
    "serving": serving,
    "api": api,
    "load": load,
    "shadow": shadow,
}
NEEDS_API = frozenset({"api", "load"})
