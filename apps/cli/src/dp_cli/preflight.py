"""`dp --preflight <subcommand>`: can this subcommand run in this environment (an image, say)?

It imports every module the subcommand runs (the step's own, so their imports too) and checks
the tools it starts, without touching a service. `--help` would not do: subcommands import
their app lazily, so a missing distribution surfaces only when the step runs. The image
contract (`make image-contract`) runs this for every container of every rendered workload.
"""

from __future__ import annotations

import importlib.util
import shutil
from importlib import import_module
from typing import Any

from dp_cli.main import BATCH_FLOW
from dp_core.errors import MissingDependency

SPARK = ("stage", "curate", "stream", "run")
MODULES: dict[str, list[str]] = {
    **{name: [ref.split(":")[0]] for name, ref in BATCH_FLOW.items()},
    "produce": ["dp_pipeline.produce"],
    "dlq": ["dp_pipeline.dlq"],
    "stream": ["dp_pipeline.stream"],
    "serve": ["dp_serving.server"],
    "api": ["dp_api.app", "uvicorn"],
    "run": [ref.split(":")[0] for ref in BATCH_FLOW.values()] + ["dp_api.app", "dp_cli.report"],
    "stack": ["dp_cli.stack.control"],
    "settings": ["dp_core.settings_report"],
    "pods": ["dp_cli.pods.runner"],
    "check": ["dp_cli.checks", "dp_cli.api_process"],
    # Its gates score the holdout (training), start an API of the challenger and run Locust.
    "promote": ["dp_cli.promotion.promote", "dp_training.train", "dp_api.app"],
}
# Installed, but run as programs of their own, never imported by `dp`: Locust patches the whole
# interpreter with gevent when imported (a RecursionError after ssl is loaded).
PROGRAMS: dict[str, list[str]] = {"promote": ["locust"]}


def check(subcommand: str) -> dict[str, Any]:
    """What was checked; raises MissingDependency naming everything that is missing."""
    if subcommand not in MODULES:
        raise MissingDependency(f"no preflight for '{subcommand}' (known: {sorted(MODULES)})")
    problems = []
    for module in MODULES[subcommand]:
        try:
            import_module(module)
        except ImportError as exc:
            problems.append(f"import {module}: {exc}")
    problems += [
        f"module {name} is not installed"
        for name in PROGRAMS.get(subcommand, [])
        if importlib.util.find_spec(name) is None
    ]
    tools = ["java"] if subcommand in SPARK else []
    problems += [f"'{tool}' is not on PATH" for tool in tools if shutil.which(tool) is None]
    if subcommand in SPARK:
        from dp_core.settings import get_settings

        jars = get_settings().spark.jars_dir
        if jars is not None and not any(jars.glob("*.jar")):
            problems.append(f"spark.jars_dir {jars} holds no jars")
    if problems:
        raise MissingDependency(f"dp {subcommand} cannot run here: " + "; ".join(problems))
    return {"subcommand": subcommand, "imports": MODULES[subcommand], "tools": tools, "ok": True}
