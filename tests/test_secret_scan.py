"""The secret scan `make lint` runs catches a planted key, and the tracked tree passes it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).parents[1]
HOOK = [sys.executable, "-m", "detect_secrets.pre_commit_hook", "--baseline", ".secrets.baseline"]


def test_a_planted_key_is_found(tmp_path: Path) -> None:
    planted = tmp_path / "settings.py"
    key = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEYzz"  # built here so this file stays clean
    planted.write_text(f'aws_secret_access_key = "{key}"\n')
    done = subprocess.run([*HOOK, str(planted)], cwd=REPO, capture_output=True, text=True)
    assert done.returncode != 0
    assert "Secret Keyword" in done.stdout


def test_the_tracked_tree_has_no_unreviewed_secret() -> None:
    files = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    files = [f for f in files if f != "uv.lock" and (REPO / f).exists()]
    done = subprocess.run([*HOOK, *files], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:]
