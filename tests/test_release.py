"""`make release` (dev/release/bump.py) on a throw-away GitOps checkout: one commit on a release
branch, after which the rendered oci overlay runs exactly the pushed digests and the champion's
version, and kind ↔ oci parity still holds. The digests are made up here, and the expected
references are built here from them and the overlay's OCIR paths."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).parents[1]
sys.path.insert(0, str(REPO / "dev" / "k8s"))
from parity import differences  # noqa: E402

from tests.test_workload_identity import templates  # noqa: E402

KUSTOMIZE = REPO / ".cache" / "bin" / "kustomize"
OCIR = "fra.ocir.io/tenancy-namespace/data-platform"
IDENTITY = ["-c", "user.name=test", "-c", "user.email=test@example.invalid"]


def built_images() -> list[str]:
    script = (REPO / "dev/containers/images.sh").read_text()
    found = re.search(r"APPS=\(\$\{APPS:-([a-z ]+)\}\)", script)
    assert found, "dev/containers/images.sh no longer lists its images this way"
    return found.group(1).split()


def render(path: Path) -> list[dict[str, Any]]:
    out = subprocess.run(
        [str(KUSTOMIZE), "build", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *IDENTITY, "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def gitops(tmp_path: Path) -> Path:
    """A GitOps checkout holding this repository's manifests (with the kind overlay's generated
    dev secrets, which only kind renders), committed on main."""
    subprocess.run(["bash", "dev/cluster/secrets.sh"], cwd=REPO, check=True, capture_output=True)
    scratch = tmp_path / "gitops"
    shutil.copytree(REPO / "k8s", scratch / "k8s", ignore=shutil.ignore_patterns(".render"))
    git(scratch.parent, "init", "-q", "-b", "main", str(scratch))
    git(scratch, "add", "-A")
    git(scratch, "commit", "-q", "-m", "manifests")
    return scratch


def release(repo: Path, images: Path, version: str, *more: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            str(REPO / "dev/release/bump.py"),
            "release",
            "--repo",
            str(repo),
            "--images",
            str(images),
            "--model-version",
            version,
            *more,
        ],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(repo.parent)},
    )


def test_release_pins_the_pushed_digests_and_the_champion_on_a_branch(
    gitops: Path, tmp_path: Path
) -> None:
    digests = {
        app: "sha256:" + hashlib.sha256(f"{app}-pushed".encode()).hexdigest()
        for app in built_images()
    }
    report = tmp_path / "images.json"
    report.write_text(json.dumps({a: {"ref": "-", "digest": d} for a, d in digests.items()}))

    done = release(gitops, report, "7")
    assert done.returncode == 0, done.stderr
    branch = git(gitops, "rev-parse", "--abbrev-ref", "HEAD").strip()
    assert branch.startswith("release/")
    assert branch.endswith("-model-v7")
    assert git(gitops, "rev-list", "--count", "main..HEAD").strip() == "1"
    changed = set(git(gitops, "diff", "--name-only", "main", "HEAD").split())
    assert changed == {
        "k8s/overlays/oci/common/images/kustomization.yaml",
        "k8s/overlays/oci/apps/airflow/release.env",
        "k8s/overlays/oci/apps/serving/release.yaml",
    }

    oci = render(gitops / "k8s/overlays/oci")
    used = {
        container["image"]
        for pod in templates(oci).values()
        for container in pod.get("initContainers", []) + pod["containers"]
        if "/data-platform/" in container["image"]
    }
    expected = {f"{OCIR}/{app}@{digest}" for app, digest in digests.items()}
    assert used, "the oci overlay runs none of our images"
    assert used <= expected, used - expected
    serving = templates(oci)["serving"]["containers"][0]
    pinned = {e["name"]: e.get("value") for e in serving["env"]}
    assert pinned["DP_MODEL_SERVER__PINNED_VERSION"] == "7"
    airflow = next(
        o for o in oci if o["kind"] == "ConfigMap" and "airflow-config" in o["metadata"]["name"]
    )
    assert json.loads(airflow["data"]["DP_IMAGE_DIGESTS"]) == digests
    assert differences(render(gitops / "k8s/overlays/kind"), oci) == []

    # The same release again, from the release branch: a new branch, and no commit on it.
    again = release(gitops, report, "7", "--branch", "release/again")
    assert again.returncode == 0, again.stderr
    assert "nothing to release" in again.stdout
    assert git(gitops, "rev-parse", "HEAD") == git(gitops, "rev-parse", branch)


def test_release_refuses_a_dirty_overlay_and_a_non_digest(gitops: Path, tmp_path: Path) -> None:
    report = tmp_path / "images.json"
    report.write_text(json.dumps({"api": {"digest": "latest"}}))
    refused = release(gitops, report, "3")
    assert refused.returncode != 0
    assert "is not a digest" in refused.stderr
    assert git(gitops, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    report.write_text(json.dumps({"api": {"digest": "sha256:" + "0" * 64}}))
    path = gitops / "k8s/overlays/oci/apps/serving/release.yaml"
    path.write_text(path.read_text() + "# edited by hand\n")
    dirty = release(gitops, report, "3")
    assert dirty.returncode != 0
    assert "uncommitted changes" in dirty.stderr
