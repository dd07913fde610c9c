"""`dp` leaves through `leave`: exit codes and atexit handlers as Python's own exit gives them."""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = """
import atexit, sys
from dp_cli.main import leave
atexit.register(lambda: print("atexit handler ran", flush=True))
print("result", end="")
leave({code})
"""


@pytest.mark.parametrize(
    ("code", "status", "stderr"), [("None", 0, ""), ("3", 3, ""), ("'no target'", 1, "no target")]
)
def test_leave_keeps_code_output_and_atexit_handlers(code: str, status: int, stderr: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(code=code)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == status
    assert done.stdout == "resultatexit handler ran\n"
    assert done.stderr.strip() == stderr


def test_unknown_command_exits_2() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dp_cli", "no-such-step"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "No such command" in done.stderr
