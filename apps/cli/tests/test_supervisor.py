"""The stack supervisor on real processes: start in order, health-check, bootstrap, stop by PID."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from dp_cli.stack import control
from dp_cli.stack.base import Service, StackContext, http_ok
from dp_cli.stack.credentials import load_or_create
from dp_cli.stack.processes import ProcessDir
from dp_core.settings import Settings

pytestmark = pytest.mark.cli


def web_service(name: str, port: int, calls: list[str]) -> Service:
    """A real HTTP server as a stack service; records its bootstrap."""
    return Service(
        name=name,
        url=lambda ctx: f"http://127.0.0.1:{port}",
        command=lambda ctx: [sys.executable, "-m", "http.server", str(port), "-b", "127.0.0.1"],
        healthy=lambda ctx: http_ok(f"http://127.0.0.1:{port}/"),
        bootstrap=lambda ctx: calls.append(name),
        start_timeout_s=20,
    )


@pytest.fixture
def two_services(
    monkeypatch: pytest.MonkeyPatch, free_port: Callable[[], int]
) -> tuple[list[str], list[int]]:
    calls: list[str] = []
    ports = [free_port(), free_port()]
    services = (web_service("first", ports[0], calls), web_service("second", ports[1], calls))
    monkeypatch.setattr(control, "SERVICES", services)
    return calls, ports


def test_up_starts_in_order_bootstraps_and_down_stops_everything(
    settings: Settings, two_services: tuple[list[str], list[int]]
) -> None:
    calls, ports = two_services
    try:
        rows = control.up(settings, echo=lambda *_: None)
        assert [(r.name, r.healthy) for r in rows] == [("first", True), ("second", True)]
        assert calls == ["first", "second"]
        assert httpx.get(f"http://127.0.0.1:{ports[1]}/").status_code == 200
        pids = [r.pid for r in rows]
        control.up(settings, echo=lambda *_: None)  # already running: same processes
        assert [r.pid for r in control.status(settings)] == pids
    finally:
        stopped = control.down(settings)
    assert stopped == ["second", "first"]  # last started, first stopped
    assert not any(r.healthy or r.pid for r in control.status(settings))


def test_a_service_that_dies_fails_with_its_log(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = Service(
        name="broken",
        url=lambda ctx: "http://127.0.0.1:1",
        command=lambda ctx: [sys.executable, "-c", "print('bad config'); raise SystemExit(3)"],
        healthy=lambda ctx: False,
        start_timeout_s=20,
    )
    monkeypatch.setattr(control, "SERVICES", (broken,))
    with pytest.raises(control.ServiceFailed, match=r"broken is not healthy[\s\S]*bad config"):
        control.up(settings, echo=lambda *_: None)
    assert control.down(settings) == []


SPAWNS_A_CHILD = """
import pathlib, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
pathlib.Path(sys.argv[1]).write_text(str(child.pid))
time.sleep(60)
"""


def test_stop_kills_the_whole_process_group_and_forgets_stale_pids(tmp_path: Path) -> None:
    processes = ProcessDir(tmp_path)
    child_pid = tmp_path / "child.pid"
    pid = processes.start("sleeper", [sys.executable, "-c", SPAWNS_A_CHILD, str(child_pid)], {})
    assert processes.pid("sleeper") == pid
    deadline = time.monotonic() + 10
    while not child_pid.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    grandchild = int(child_pid.read_text())
    assert processes.stop("sleeper", timeout_s=5)
    assert processes.pid("sleeper") is None
    time.sleep(0.5)
    assert not Path(f"/proc/{grandchild}").exists() or "Z" in _state(grandchild)
    assert not processes.stop("sleeper")
    processes.pid_file("ghost").write_text("999999")
    assert processes.pid("ghost") is None
    assert not processes.pid_file("ghost").exists()


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().split()[2]


def test_credentials_are_generated_once_and_private(tmp_path: Path) -> None:
    first = load_or_create(tmp_path)
    assert load_or_create(tmp_path) == first
    assert (tmp_path / "credentials.json").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "bao-token").read_text() == first.bao_token
    assert load_or_create(tmp_path / "other") != first


def test_context_postgres_uri_carries_generated_credentials(settings: Settings) -> None:
    ctx = control.context(settings)
    assert isinstance(ctx, StackContext)
    uri = ctx.postgres_uri("feast")
    assert uri.endswith(f"@127.0.0.1:{settings.endpoints.port('postgres')}/feast")
    assert ctx.creds.postgres_password in uri
    assert len(ctx.creds.postgres_password) >= 16


def test_a_killed_service_whose_parent_lives_on_counts_as_gone(tmp_path: Path) -> None:
    """`dp stack run` starts the services and lives on: a service killed then is its zombie,
    and `dp stack up` (another process) must see it as gone to start it again."""
    parent_script = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", parent_script], stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        processes = ProcessDir(tmp_path)
        processes.pid_file("svc").parent.mkdir(parents=True)
        processes.pid_file("svc").write_text(str(child))
        assert processes.pid("svc") == child
        os.kill(child, signal.SIGKILL)
        time.sleep(0.5)
        assert _state(child) == "Z"  # the parent has not reaped it
        assert processes.pid("svc") is None
    finally:
        parent.kill()
        parent.wait()
