"""The e2e suite: `pytest e2e --target embedded|stack|kind|oci`.

A target is a file under targets/ with endpoints and capabilities. A test that needs a capability
the target lacks is skipped with the reason; on stack every capability is present, with
`kafka_replicas` when the stack runs three Kafka brokers (`make stack-test` does).
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from dp_core.resources import Resources
from e2e.target import DAYS, ROWS, Target

TARGETS = Path(__file__).parent / "targets"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--target", default="embedded", choices=[p.stem for p in TARGETS.glob("*.toml")]
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requires(capability): skip when the target lacks it")


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Target:
    name = request.config.getoption("--target")
    spec = tomllib.loads((TARGETS / f"{name}.toml").read_text())
    target = Target(
        name,
        spec["dp_target"],
        frozenset(spec["capabilities"]),
        pods=frozenset(spec.get("pods", [])),
    )
    # Kafka's replicas are an option of the stack (`kafka.brokers = 3`, which make stack-test
    # sets): the tests of a broker's loss run where the target's settings have three brokers.
    if "process_control" in target.capabilities and target.settings().kafka.brokers >= 3:
        return replace(target, capabilities=target.capabilities | {"kafka_replicas"})
    return target


@pytest.fixture(autouse=True)
def _capabilities(request: pytest.FixtureRequest, target: Target) -> None:
    for marker in request.node.iter_markers("requires"):
        missing = [c for c in marker.args if c not in target.capabilities]
        if missing:
            pytest.skip(f"target '{target.name}' lacks {', '.join(missing)}")


@pytest.fixture(scope="session")
def resources(target: Target) -> Resources:
    os.environ["DP_TARGET"] = target.dp_target
    return Resources(target.settings())


@pytest.fixture(scope="session")
def flow(target: Target) -> dict[str, Any]:
    """The whole flow, run once as the target runs it (`dp run`, or the kind overlay's Jobs
    under `dp pods flow`); its report."""
    # The flow's promotion runs its gates with a short load gate (tests/test_promotion.py
    # exercises the gates themselves).
    runs = {
        "DP_RUNS_DIR": str(target.state_dir / "e2e-runs"),
        "DP_PROMOTION__LOAD_DURATION_S": "10",
    }
    if target.pods:
        target.dp("pods", "flow", env=runs)
    else:
        target.dp("run", "--rows", str(ROWS), "--days", str(DAYS), env=runs)
    runs_dir = Path(runs["DP_RUNS_DIR"])
    return json.loads((runs_dir / "latest" / "report.json").read_text())  # type: ignore[no-any-return]
