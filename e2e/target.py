"""A target of the e2e suite: its endpoints, capabilities and how to run `dp` against it.

How a target runs the flow and controls its services is its own business: on `stack` every
service is a process of `dp stack`; on `pods` the platform's own workloads are pods of
`dp pods` (podman) and the infrastructure stays processes, and the flow runs as the kind
overlay's Jobs. Tests call `stop`, `start`, `kill` and `step` and never care which.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from dp_core.api_keys import api_headers
from dp_core.resources import Resources
from dp_core.settings import Settings

# The flow every test of the suite reads: `dp run`'s rows and days, and the Airflow DAG's run.
ROWS, DAYS = 40_000, 14

# The batch steps as the kind overlay's Jobs run them (see k8s/base/*/…-job.yaml).
JOBS = {
    "generate": "pipeline-generate",
    "ingest": "pipeline-generate",
    "stage": "pipeline-stage",
    "validate": "pipeline-validate",
    "curate": "pipeline-curate",
    "features": "features-materialize",
    "train": "training",
}


@dataclass(frozen=True)
class Target:
    name: str
    dp_target: str
    capabilities: frozenset[str]
    pods: frozenset[str] = frozenset()
    state_dir: Path = field(default_factory=lambda: Path(os.environ.get("DP_STATE_DIR", ".dp")))

    def endpoint(self, name: str) -> str:
        """A declared service's URL (dp_core.endpoints) as the target's settings reach it, or
        DP_E2E_<NAME> (an ingress, say)."""
        url = os.environ.get(f"DP_E2E_{name.upper()}") or self.settings().endpoints.url(name)
        return url.rstrip("/")

    def env(self) -> dict[str, str]:
        return {**os.environ, "DP_TARGET": self.dp_target, "DP_STATE_DIR": str(self.state_dir)}

    def settings(self) -> Settings:
        return Settings(target=self.dp_target, state_dir=self.state_dir)

    def api_headers(self) -> dict[str, str]:
        """What the developer's own client sends to the API (its key, where keys are needed)."""
        return api_headers(Resources(self.settings()))

    def dp(
        self, *args: str, check: bool = True, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run a `dp` step as a user would; its JSON summary is on stdout."""
        return subprocess.run(
            [sys.executable, "-m", "dp_cli", *args],
            env={**self.env(), **(env or {})},
            capture_output=True,
            text=True,
            timeout=1800,
            check=check,
        )

    def dp_json(self, *args: str) -> dict[str, Any]:
        return json.loads(self.dp(*args).stdout)  # type: ignore[no-any-return]

    # --- what differs between targets ------------------------------------------------------

    def step(self, name: str) -> dict[str, Any]:
        """Run one batch step where this target runs it; its JSON summary."""
        if not self.pods:
            return self.dp_json(name)
        ran = json.loads(self.dp("pods", "job", JOBS[name]).stdout.splitlines()[-1])
        summaries: list[dict[str, Any]] = ran["steps"]
        return summaries[-1]

    def stop(self, service: str) -> None:
        self._control(service, "down")

    def start(self, service: str) -> None:
        self._control(service, "up")

    def kill(self, service: str) -> None:
        """SIGKILL a service: a crash, not a stop (its state is what a crash leaves)."""
        if service in self.pods:
            self.dp("pods", "kill", service)
            return
        pid = int((self.state_dir / "stack" / "pids" / f"{service}.pid").read_text())
        os.killpg(pid, signal.SIGKILL)

    def service_environ(self, service: str) -> dict[str, str]:
        """The environment a running service of the stack was started with (a pod's is the
        pod's: tested in test_pods_manifests)."""
        if service in self.pods:
            pytest.skip("a pod's environment is the pod's: tested in test_pods_manifests")
        pid = int((self.state_dir / "stack" / "pids" / f"{service}.pid").read_text())
        raw = Path(f"/proc/{pid}/environ").read_text()
        return dict(item.split("=", 1) for item in raw.split("\0") if "=" in item)

    def _control(self, service: str, action: str) -> None:
        group = "pods" if service in self.pods else "stack"
        self.dp(group, action, "--only", service)
