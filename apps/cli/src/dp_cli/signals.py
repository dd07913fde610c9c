"""Turning SIGTERM into a normal exit, so commands that start services always stop them."""

from __future__ import annotations

import signal
import sys


def stop_on_sigterm() -> None:
    """SIGTERM (a CI timeout, `kill`) raises SystemExit(143): `finally` blocks run."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
