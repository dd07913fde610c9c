"""The Tiltfile judged the way Tilt judges it: loaded in a fresh clone, with `local()` and
`kustomize()` executed, and images matched to the manifests by their normalized names."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

REPO = Path(__file__).parents[1]
sys.path.insert(0, str(REPO / "dev" / "k8s"))
from tilt_api import TiltfileError, evaluate  # noqa: E402
from validate import image_name, tilt_names_exist  # noqa: E402


def fresh_clone(into: Path) -> Path:
    """The tracked files as they are now, without anything gitignored (secrets.env, .cache)."""
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, tracked.split("\0")):
        source = REPO / name
        if source.is_file():
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return into


def test_tilt_up_loads_on_a_fresh_clone(tmp_path: Path) -> None:
    clone = fresh_clone(tmp_path / "clone")
    assert not (clone / "k8s/overlays/kind/secrets.env").exists()
    declared = evaluate(clone / "Tiltfile", {}, run=True)
    assert "k8s/overlays/kind" in declared.rendered
    objects = [o for o in yaml.safe_load_all(declared.rendered["k8s/overlays/kind"]) if o]
    assert tilt_names_exist(declared, objects, {}) == []


def test_a_kustomize_that_needs_a_missing_file_fails_the_load(tmp_path: Path) -> None:
    clone = fresh_clone(tmp_path / "clone")
    tiltfile = clone / "Tiltfile"
    without_secrets = tiltfile.read_text().replace(
        "    local('bash dev/cluster/secrets.sh', quiet=True)\n", ""
    )
    assert without_secrets != tiltfile.read_text()
    tiltfile.write_text(without_secrets)
    with pytest.raises(TiltfileError, match=r"secrets\.env"):
        evaluate(tiltfile, {}, run=True)


def test_images_match_by_normalized_name_not_by_path() -> None:
    declared = SimpleNamespace(
        images={"data-platform/api": {}}, k8s_resources={}, contexts=["kind-data-platform"]
    )

    deployment = {
        "kind": "Deployment",
        "metadata": {"name": "api"},
        "spec": {
            "template": {
                "spec": {
                    "containers": [{"image": "localhost:5005/data-platform/api@sha256:" + "0" * 64}]
                }
            }
        },
    }
    # `data-platform/api` is docker.io/data-platform/api: Tilt would not build what kind pulls.
    found = tilt_names_exist(declared, [deployment], {})
    assert "image docker.io/data-platform/api is built but no manifest uses it" in found
    assert "image localhost:5005/data-platform/api is used but Tilt does not build it" in found
    assert image_name("localhost:5005/data-platform/api:dev") == "localhost:5005/data-platform/api"
