"""Each step of the flow as a plain function of the resources, returning a JSON-able summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dp_core.resources import Resources


def landing_dir(resources: Resources) -> Path:
    """Where `generate` writes files before `ingest` lands them in the raw zone."""
    return Path(resources.local_dir("landing"))


def generate(resources: Resources, rows: int, days: int) -> dict[str, Any]:
    from dp_pipeline.generate import GenerateSpec
    from dp_pipeline.generate import generate as run

    spec = GenerateSpec(rows=rows, days=days, seed=resources.settings.seed)
    return run(spec, landing_dir(resources))


def ingest(resources: Resources) -> dict[str, Any]:
    from dp_pipeline.ingest import ingest as run

    return {"files": run(landing_dir(resources), resources.store)}


def stage(resources: Resources) -> dict[str, Any]:
    from dp_pipeline.stage import stage as run

    result = run(resources.spark, resources.store)
    return {"raw": result.raw_rows, "typed": result.typed_rows, "duplicates": result.duplicates}


def validate(resources: Resources) -> dict[str, Any]:
    from dataclasses import asdict

    from dp_pipeline.validate import validate as run

    return asdict(run(resources.store))


def curate(resources: Resources) -> dict[str, Any]:
    from dp_pipeline.curate import curate as run

    rows, suite = run(resources.spark, resources.store)
    return {"curated": rows, "suite_success": suite.success}


def features(resources: Resources) -> dict[str, Any]:
    from dataclasses import asdict

    from dp_features.steps import run_features

    return asdict(run_features(resources))


def train(resources: Resources) -> dict[str, Any]:
    from dp_training.train import train as run

    return run(resources).to_dict()
