"""Fixtures shared by every test: settings pointed at a fresh state directory."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dp_core.settings import Settings, get_settings


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Embedded settings whose state lives in the test's own folder."""
    for name in list(__import__("os").environ):
        if name.startswith("DP_"):
            monkeypatch.delenv(name)
    get_settings.cache_clear()
    yield Settings(target="embedded", state_dir=tmp_path / "state", runs_dir=tmp_path / "runs")
    get_settings.cache_clear()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def free_port() -> Callable[[], int]:
    """A function giving a port nobody listens on right now."""
    return _free_port
