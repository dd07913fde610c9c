"""`dp --preflight`: what a container must have for a subcommand, checked without running it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dp_cli import preflight
from dp_core.errors import MissingDependency

pytestmark = pytest.mark.cli


def dp(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dp_cli", *args], capture_output=True, text=True, env=env
    )


def test_every_subcommand_of_dp_has_a_preflight() -> None:
    import typer

    from dp_cli.main import app

    assert set(typer.main.get_command(app).commands) == set(preflight.MODULES)  # type: ignore[attr-defined]


def test_preflight_passes_where_everything_is_installed() -> None:
    done = dp("--preflight", "stream")
    assert done.returncode == 0, done.stderr
    assert '"ok": true' in done.stdout


def test_a_missing_module_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(preflight.MODULES, "stream", ["dp_pipeline.stream", "dp_not_installed"])
    with pytest.raises(MissingDependency, match="import dp_not_installed"):
        preflight.check("stream")


def test_a_spark_step_needs_java(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(MissingDependency, match="'java' is not on PATH"):
        preflight.check("curate")
    assert preflight.check("validate")["ok"]  # pandas and GX only: no JVM


def test_the_failure_is_one_line_and_exit_2() -> None:
    done = dp("--preflight", "nope")
    assert done.returncode != 0
    done = dp("--preflight", "stage", env={"PATH": "/nonexistent", "HOME": "/tmp"})
    assert done.returncode == 2
    assert "error: dp stage cannot run here: 'java' is not on PATH" in done.stdout + done.stderr
