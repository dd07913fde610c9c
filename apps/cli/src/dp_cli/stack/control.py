"""`dp stack up|down|status`: bring services up in order, health-checked; stop only ours."""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.table import Table

from dp_cli.stack.base import Service, StackContext
from dp_cli.stack.credentials import load_or_create
from dp_cli.stack.processes import ProcessDir
from dp_cli.stack.services import SERVICES
from dp_core.settings import Settings


class ServiceFailed(RuntimeError):
    """A service did not become healthy; the message points at its log."""


@dataclass(frozen=True)
class Status:
    name: str
    url: str
    pid: int | None
    healthy: bool


def context(settings: Settings) -> StackContext:
    root = settings.state_dir / "stack"
    return StackContext(settings=settings, root=root, creds=load_or_create(root))


def _wait_healthy(ctx: StackContext, processes: ProcessDir, service: Service) -> None:
    deadline = time.monotonic() + service.start_timeout_s
    while time.monotonic() < deadline:
        if service.healthy(ctx):
            return
        if processes.pid(service.name) is None:
            break
        time.sleep(0.3)
    log = processes.log_file(service.name)
    tail = log.read_text(errors="replace").splitlines()[-15:] if log.exists() else []
    raise ServiceFailed(f"{service.name} is not healthy; log {log}:\n" + "\n".join(tail))


def up(settings: Settings, only: list[str] | None = None, echo=print) -> list[Status]:  # type: ignore[no-untyped-def]
    """Start every service not already running, in dependency order; bootstrap each once healthy."""
    ctx = context(settings)
    processes = ProcessDir(ctx.root)
    for service in _enabled(ctx):
        if only and service.name not in only:
            continue
        if processes.pid(service.name) is None:
            if service.prepare:
                service.prepare(ctx)
            processes.start(service.name, service.command(ctx), service.env(ctx), cwd=ctx.repo)
            started = time.monotonic()
            _wait_healthy(ctx, processes, service)
            echo(f"started {service.name} in {time.monotonic() - started:.1f}s")
        elif not service.healthy(ctx):
            _wait_healthy(ctx, processes, service)
        if service.bootstrap:
            service.bootstrap(ctx)
    return status(settings)


def down(settings: Settings, only: list[str] | None = None) -> list[str]:
    """Stop the services this stack started (by PID), last first; data stays."""
    processes = ProcessDir(settings.state_dir / "stack")
    stopped = []
    for service in reversed(SERVICES):
        if only and service.name not in only:
            continue
        if processes.stop(service.name):
            stopped.append(service.name)
    return stopped


def status(settings: Settings) -> list[Status]:
    ctx = context(settings)
    processes = ProcessDir(ctx.root)
    return [
        Status(s.name, s.url(ctx), processes.pid(s.name), s.healthy(ctx)) for s in _enabled(ctx)
    ]


def _enabled(ctx: StackContext) -> list[Service]:
    """The services these settings run (`down` stops whatever was started, enabled or not)."""
    return [service for service in SERVICES if service.enabled(ctx)]


def status_table(rows: list[Status]) -> Table:
    table = Table(title="stack")
    for column in ("service", "url", "pid", "healthy"):
        table.add_column(column)
    for row in rows:
        mark = "[green]yes[/]" if row.healthy else "[red]no[/]"
        table.add_row(row.name, row.url, str(row.pid or "-"), mark)
    return table
