"""The run report: rows per zone, suite results, the model, sample predictions, step timings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from dp_core.domain import CUSTOMER_FEATURES
from dp_core.resources import Resources
from dp_core.storage import Zone


def suite_results(resources: Resources) -> dict[str, Any]:
    """The stored results of each suite, read back from beside the data."""
    store = resources.store
    stored = {
        "staging": store.uri(Zone.STAGING, "transactions", "_validation", "staging.json"),
        "curated": store.uri(Zone.CURATED, CUSTOMER_FEATURES, "_validation", "curated.json"),
    }
    results = {}
    for suite, uri in stored.items():
        summary = json.loads(store.read_text(uri))
        results[suite] = {
            "success": summary["success"],
            "rows": summary["rows"],
            **summary["statistics"],
            "failed": {
                e["reason"] or e["type"]: e["unexpected_count"]
                for e in summary["expectations"]
                if not e["success"]
            },
            "location": uri,
        }
    return results


def build_report(
    resources: Resources, steps: dict[str, dict[str, Any]], seconds: dict[str, float]
) -> dict[str, Any]:
    zones = {
        "raw": steps["stage"]["raw"],
        "staging": steps["validate"]["staging_rows"],
        "quarantined": steps["validate"]["quarantined_rows"],
        "duplicates": steps["stage"]["duplicates"],
        "curated": steps["curate"]["curated"],
    }
    train = steps["train"]
    return {
        "target": resources.settings.target.value,
        "generated": steps["generate"],
        "rows": zones,
        "invariant": {
            "raw == staging + quarantined + duplicates": zones["raw"]
            == zones["staging"] + zones["quarantined"] + zones["duplicates"],
        },
        "quarantine_reasons": steps["validate"]["reasons"],
        "expectations": suite_results(resources),
        "model": {
            "name": train["model_name"],
            "version": train["version"],
            "alias": resources.settings.mlflow.champion_alias,
            "champion_version": steps["promote"]["version"]
            if steps["promote"]["decision"] == "promoted"
            else train["champion_version"],
            "promotion": {
                "decision": steps["promote"]["decision"],
                "gates": {g["gate"]: g["passed"] for g in steps["promote"]["gates"]},
                "report": steps["promote"]["report"],
            },
            "holdout": {k: v for k, v in train["metrics"].items() if k.startswith("holdout_")},
        },
        "spark": spark_facts(resources),
        "seconds": seconds,
    }


def spark_facts(resources: Resources) -> dict[str, Any]:
    """The master the steps ran on and how many executors it had (none: ran elsewhere, pods)."""
    session = resources.__dict__.get("spark")  # only if this process started one
    executors = (
        session.sparkContext._jsc.sc().getExecutorMemoryStatus().size() - 1 if session else None
    )
    return {"master": resources.settings.spark.master, "executors": executors}


def write_report(report: dict[str, Any], runs_dir: Path) -> Path:
    path = runs_dir / "latest" / "report.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, default=str))
    return path


def print_summary(report: dict[str, Any], console: Console) -> None:
    zones = Table(title="rows per zone")
    for column in ("zone", "rows"):
        zones.add_column(column)
    for zone, rows in report["rows"].items():
        zones.add_row(zone, f"{rows:,}")
    console.print(zones)

    model = report["model"]
    console.print(
        f"model [bold]{model['name']}[/] v{model['version']}"
        f" (champion v{model['champion_version']}),"
        f" holdout ROC AUC {model['holdout']['holdout_roc_auc']:.4f};"
        f" invariant holds: {all(report['invariant'].values())}"
    )
    samples = Table(title="sample predictions")
    for column in ("customer", "status", "decision", "score", "cold start"):
        samples.add_column(column)
    for sample in report.get("predictions", []):
        body = sample["response"]
        samples.add_row(
            sample["request"].get("customer_id", "?"),
            str(sample["status"]),
            str(body.get("decision", body.get("error"))),
            f"{body['score']:.4f}" if "score" in body else "-",
            str(body.get("cold_start", "-")),
        )
    console.print(samples)
    timings = Table(title="wall seconds per step")
    timings.add_column("step")
    timings.add_column("seconds")
    for step, seconds in report["seconds"].items():
        timings.add_row(step, f"{seconds:.1f}")
    console.print(timings)
