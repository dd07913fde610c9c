"""What every service of the stack is made of: its context, its declaration, and probes."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from dp_cli.stack.credentials import Credentials
from dp_core.settings import Settings


class MissingTool(RuntimeError):
    """A binary the stack needs is not installed."""


class StateMismatch(RuntimeError):
    """A service's data was made for other settings than the current ones."""


@dataclass(frozen=True)
class StackContext:
    settings: Settings
    root: Path
    creds: Credentials
    repo: Path = field(default_factory=Path.cwd)

    def data(self, name: str) -> Path:
        path = self.root / "data" / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def port(self, name: str) -> int:
        return self.settings.endpoints.port(name)

    def url(self, name: str) -> str:
        return self.settings.endpoints.url(name)

    def postgres_uri(self, database: str, role: str | None = None) -> str:
        """`database` as `role` (one of the clients' roles), or as the admin."""
        c = self.creds
        user, password = (
            (role, c.postgres_roles()[role]) if role else (c.postgres_user, c.postgres_password)
        )
        return (
            f"postgresql+psycopg://{user}:{password}"
            f"@{self.settings.endpoints.address('postgres')}/{database}"
        )

    def s3_env(self) -> dict[str, str]:
        return {
            "AWS_ACCESS_KEY_ID": self.creds.s3_access_key,
            "AWS_SECRET_ACCESS_KEY": self.creds.s3_secret_key,
            "AWS_DEFAULT_REGION": self.settings.storage.region,
            "MLFLOW_S3_ENDPOINT_URL": self.url("seaweedfs"),
        }

    def dp_env(self) -> dict[str, str]:
        """What a `dp` process of this stack needs beyond its profile."""
        return {
            "DP_TARGET": "stack",
            "DP_STATE_DIR": str(self.settings.state_dir),
            "OMP_NUM_THREADS": "1",
            "DP_LOG_LEVEL": "INFO",  # services log their own events; libraries stay quiet
        }


@dataclass(frozen=True)
class Service:
    name: str
    url: Callable[[StackContext], str]
    command: Callable[[StackContext], list[str]]
    healthy: Callable[[StackContext], bool]
    env: Callable[[StackContext], dict[str, str]] = lambda ctx: {}
    prepare: Callable[[StackContext], None] | None = None
    bootstrap: Callable[[StackContext], None] | None = None
    start_timeout_s: float = 60.0
    # Whether the settings want it at all (the stack's second and third Kafka brokers).
    enabled: Callable[[StackContext], bool] = lambda ctx: True


def tool(name: str, *candidates: str) -> str:
    """A binary from PATH, beside this Python (the venv), or one of `candidates` (globs)."""
    here = Path(sys.executable).parent / name
    found = shutil.which(name) or (str(here) if here.exists() else None)
    for pattern in candidates:
        found = found or next(iter(sorted(glob.glob(pattern), reverse=True)), None)
    if not found:
        raise MissingTool(f"'{name}' is not installed; run `make stack-setup`")
    return found


def tcp_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def as_service_user(command: list[str]) -> list[str]:
    """Postgres refuses to run as root: run it as the `postgres` user when we are root."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command
