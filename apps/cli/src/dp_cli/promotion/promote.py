"""Promote the challenger through the gates, or roll the champion back; record every decision.

A decision is written twice: as `promotion.*` tags on the judged MLflow version (who, when,
the outcome, each gate's verdict and figures) and as a JSON report under
`<runs_dir>/promotions/`, `latest.json` being the newest.
"""

from __future__ import annotations

import getpass
import json
import os
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dp_cli.api_process import challenger_api
from dp_cli.checks import check_serving
from dp_cli.promotion.gates import GATES, NEEDS_API, Candidate, GateResult
from dp_core.champion import alias_version
from dp_core.errors import CheckFailed
from dp_core.inference import ModelUnavailable
from dp_core.resources import Resources

PREVIOUS = "promotion.previous_champion"


class PromotionRefused(CheckFailed):
    """A gate failed: the champion stays where it was."""


def promote(resources: Resources) -> dict[str, Any]:
    """Judge the challenger with every gate in order; all pass → it becomes the champion."""
    settings = resources.settings
    registry, client = settings.mlflow, resources.mlflow
    challenger = alias_version(client, registry, registry.challenger_alias)
    champion = _version_or_none(resources, registry.champion_alias)
    started = datetime.now(UTC)
    reports = _report_dir(resources, started, challenger)
    if challenger == champion:
        client.delete_registered_model_alias(registry.model_name, registry.challenger_alias)
        return _record(resources, reports, challenger, champion, "unchanged", [], started)

    results: list[GateResult] = []
    with ExitStack() as stack:
        api_url = ""
        if NEEDS_API & set(settings.promotion.gates):
            api_url = stack.enter_context(challenger_api(resources, reports / "api.log"))
        candidate = Candidate(resources, challenger, champion, reports, api_url)
        for gate in settings.promotion.gates:
            results.append(GATES[gate](candidate))
            if not results[-1].passed:
                break
    if not all(r.passed for r in results):
        report = _record(resources, reports, challenger, champion, "refused", results, started)
        failed = results[-1]
        raise PromotionRefused(
            f"version {challenger} stays challenger: the {failed.gate} gate failed "
            f"({failed.reason}); report: {report['report']}"
        )
    client.set_registered_model_alias(registry.model_name, registry.champion_alias, challenger)
    client.delete_registered_model_alias(registry.model_name, registry.challenger_alias)
    if champion is not None:
        client.set_model_version_tag(registry.model_name, challenger, PREVIOUS, champion)
    if "serving" in settings.promotion.gates:  # returns once the server serves it
        results.append(GateResult("live", True, "the champion is served", check_serving(resources)))
    return _record(resources, reports, challenger, champion, "promoted", results, started)


def rollback(resources: Resources) -> dict[str, Any]:
    """Move the champion back to the version it replaced (the `promotion.previous_champion` tag)."""
    settings = resources.settings
    registry, client = settings.mlflow, resources.mlflow
    current = alias_version(client, registry, registry.champion_alias)
    previous = client.get_model_version(registry.model_name, current).tags.get(PREVIOUS)
    if not previous:
        raise CheckFailed(f"version {current} replaced no earlier champion: no rollback")
    started = datetime.now(UTC)
    reports = _report_dir(resources, started, previous)
    client.set_registered_model_alias(registry.model_name, registry.champion_alias, previous)
    results = []
    if "serving" in settings.promotion.gates:
        results.append(GateResult("live", True, "the champion is served", check_serving(resources)))
    return _record(resources, reports, previous, current, "rolled_back", results, started)


def _version_or_none(resources: Resources, alias: str) -> str | None:
    try:
        return alias_version(resources.mlflow, resources.settings.mlflow, alias)
    except ModelUnavailable:
        return None


def _report_dir(resources: Resources, started: datetime, version: str) -> Path:
    folder = resources.settings.runs_dir / "promotions" / f"{started:%Y%m%dT%H%M%S}-v{version}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _record(
    resources: Resources,
    reports: Path,
    version: str,
    replaced: str | None,
    decision: str,
    results: list[GateResult],
    started: datetime,
) -> dict[str, Any]:
    """The decision as tags on `version` and as `report.json` (and `promotions/latest.json`)."""
    registry = resources.settings.mlflow
    by = os.environ.get("DP_ACTOR") or _user()
    report: dict[str, Any] = {
        "model": registry.model_name,
        "version": version,
        "decision": decision,
        "replaced": replaced,
        "by": by,
        "at": started.isoformat(),
        "seconds": round((datetime.now(UTC) - started).total_seconds(), 1),
        "gates": [
            {"gate": r.gate, "passed": r.passed, "reason": r.reason, "figures": r.figures}
            for r in results
        ],
        "report": str(reports / "report.json"),
    }
    tags = {
        "promotion.decision": decision,
        "promotion.by": by,
        "promotion.at": report["at"],
        "promotion.against": replaced or "",
        "promotion.report": report["report"],
        **{f"promotion.gate.{r.gate}": json.dumps(_tag(r))[:4900] for r in results},
    }
    for key, value in tags.items():
        resources.mlflow.set_model_version_tag(registry.model_name, version, key, value)
    text = json.dumps(report, indent=2, default=str)
    (reports / "report.json").write_text(text)
    (reports.parent / "latest.json").write_text(text)
    return report


def _user() -> str:
    """Who runs this (a container's uid may have no name)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


def _tag(result: GateResult) -> dict[str, Any]:
    return {"passed": result.passed, "reason": result.reason, "figures": result.figures}
