"""Publish the DAGs repository template (`dags/`) as a real Git repository the runtime reads.

A local bare repository stands in for the team's remote: the runtime's GitDagBundle clones and
fetches it exactly as it would the real one. Each publication is one commit on the tracked ref,
made from the files Git would track (ignored files such as `.venv` stay out).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

IDENTITY = {
    "GIT_AUTHOR_NAME": "data-platform",
    "GIT_AUTHOR_EMAIL": "data-platform@localhost",
    "GIT_COMMITTER_NAME": "data-platform",
    "GIT_COMMITTER_EMAIL": "data-platform@localhost",
}


def _git(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env=os.environ | IDENTITY,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def tracked_files(source: Path) -> list[str]:
    """The files of `source` Git would commit (tracked or new, never ignored), relative to it."""
    listed = _git("ls-files", "--cached", "--others", "--exclude-standard", "-z", ".", cwd=source)
    return sorted(name for name in listed.split("\0") if name and (source / name).is_file())


def publish_dags(source: Path, bare: Path, ref: str) -> str:
    """Commit `source`'s files onto `ref` of the bare repository `bare` (created if missing);
    the commit id of `ref` afterwards (unchanged when nothing changed)."""
    if not (bare / "HEAD").exists():
        bare.mkdir(parents=True, exist_ok=True)
        _git("init", "--quiet", "--bare", f"--initial-branch={ref}", str(bare))
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        _git("init", "--quiet", f"--initial-branch={ref}", cwd=work)
        if _git("ls-remote", "--heads", str(bare), ref):
            _git("fetch", "--quiet", str(bare), ref, cwd=work)
            _git("reset", "--quiet", "--soft", "FETCH_HEAD", cwd=work)
        for name in tracked_files(source):
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, work / name)
        _git("add", "--all", cwd=work)
        if _git("status", "--porcelain", cwd=work):
            _git("commit", "--quiet", "-m", "Publish the DAGs", cwd=work)
            _git("push", "--quiet", str(bare), f"HEAD:refs/heads/{ref}", cwd=work)
        return _git("rev-parse", "HEAD", cwd=work)
