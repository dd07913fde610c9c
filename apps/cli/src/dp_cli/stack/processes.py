"""Start, find and stop detached service processes by PID file; one log file per service."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ProcessDir:
    """Where a stack keeps its PID files and logs."""

    root: Path

    def pid_file(self, name: str) -> Path:
        return self.root / "pids" / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.root / "logs" / f"{name}.log"

    def pid(self, name: str) -> int | None:
        """The PID of a running service started by us, or None (stale files are removed)."""
        path = self.pid_file(name)
        if not path.exists():
            return None
        pid = int(path.read_text().strip())
        if _alive(pid):
            return pid
        path.unlink()
        return None

    def start(
        self, name: str, command: list[str], env: dict[str, str], cwd: Path | None = None
    ) -> int:
        """Run `command` in its own session, output appended to the service's log."""
        for folder in ("pids", "logs"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        with open(self.log_file(name), "ab") as log:
            process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **env},
                cwd=cwd,
                start_new_session=True,
            )
        self.pid_file(name).write_text(str(process.pid))
        return process.pid

    def stop(self, name: str, timeout_s: float = 20.0) -> bool:
        """SIGTERM the service's process group, SIGKILL after `timeout_s`; False if not running."""
        pid = self.pid(name)
        if pid is None:
            return False
        _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _alive(pid):
            _signal_group(pid, signal.SIGKILL)
        self.pid_file(name).unlink(missing_ok=True)
        return True


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie counts as gone: ours is reaped here; another process's (the `dp stack run` that
    # started it and lives on) can only be recognised by its state.
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] == "Z"
