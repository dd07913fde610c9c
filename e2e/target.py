"""A target of the e2e suite: its endpoints, capabilities and how to run `dp` against it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dp_core.settings import Settings


@dataclass(frozen=True)
class Target:
    name: str
    dp_target: str
    capabilities: frozenset[str]
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

    def dp(
        self, *args: str, check: bool = True, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run a `dp` step as a user would; its JSON summary is on stdout."""
        return subprocess.run(
            [sys.executable, "-m", "dp_cli", *args],
            env={**self.env(), **(env or {})},
            capture_output=True,
            text=True,
            timeout=900,
            check=check,
        )

    def dp_json(self, *args: str) -> dict[str, Any]:
        return json.loads(self.dp(*args).stdout)  # type: ignore[no-any-return]
