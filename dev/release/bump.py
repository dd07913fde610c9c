"""The GitOps bump: what a release deploys, written into the oci overlay that ArgoCD syncs.

    bump.py images  [--repo PATH] [--images reports/images.json]
    bump.py release [--repo PATH] [--images reports/images.json] [--model-version N] [--branch B]

`images` pins each pushed digest in k8s/overlays/oci/common/images (`kustomize edit set image`,
keeping the image's OCIR path); `make images` runs it after a build. `release` (`make release`,
the Jenkinsfile's last stage) does the same, pins the same digests for the steps Airflow starts
(apps/airflow/release.env) and the champion's model version (apps/serving/release.yaml;
MLflow's `champion` on TARGET unless given), commits them on a new branch of `--repo` and prints
the commit; merging the branch is the deployment (ArgoCD syncs the oci overlay).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

IMAGES = Path("k8s/overlays/oci/common/images")
RELEASE = Path("k8s/overlays/oci/apps/serving/release.yaml")
STEP_IMAGES = Path("k8s/overlays/oci/apps/airflow/release.env")
KUSTOMIZE = Path(__file__).resolve().parents[2] / ".cache" / "bin" / "kustomize"
PINNED_TEMPLATE = """\
# Written by `make release` (dev/release/bump.py); holds nothing else. The champion version this
# release serves; empty until the first release (the server then follows the alias).
apiVersion: apps/v1
kind: Deployment
metadata:
  name: serving
spec:
  template:
    spec:
      containers:
        - name: serving
          env:
            - {{name: DP_MODEL_SERVER__PINNED_VERSION, value: "{version}"}}
"""


def pushed_digests(report: Path) -> dict[str, str]:
    """Image → digest from `make images`' report."""
    images = json.loads(report.read_text())
    digests = {app: info["digest"] for app, info in images.items()}
    for app, digest in digests.items():
        if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
            raise SystemExit(f"data-platform/{app}: '{digest}' is not a digest")
    return digests


def set_images(repo: Path, digests: dict[str, str]) -> None:
    """Pin each digest on the image's OCIR path, as kustomize itself edits the component."""
    component = repo / IMAGES
    listed = yaml.safe_load((component / "kustomization.yaml").read_text())["images"]
    paths = {i["name"]: i["newName"] for i in listed}
    for app, digest in sorted(digests.items()):
        name = f"data-platform/{app}"
        if name not in paths:
            raise SystemExit(f"{component}: no OCIR path for {name}; add its newName once")
        subprocess.run(
            [str(KUSTOMIZE), "edit", "set", "image", f"{name}={paths[name]}@{digest}"],
            cwd=component,
            check=True,
        )


def pin_step_images(repo: Path, digests: dict[str, str]) -> None:
    pinned = json.dumps(dict(sorted(digests.items())), separators=(",", ":"))
    (repo / STEP_IMAGES).write_text(
        "# Written by `make release` (dev/release/bump.py); holds nothing else. The step images"
        " Airflow\n# starts, by digest (the same digests as common/images); {} until the first"
        f" release.\nDP_IMAGE_DIGESTS={pinned}\n"
    )


def pin_model(repo: Path, version: str) -> None:
    if not version.isdigit():
        raise SystemExit(f"'{version}' is not a registered model version")
    (repo / RELEASE).write_text(PINNED_TEMPLATE.format(version=version))


def champion() -> str:
    """The version MLflow's champion alias names on TARGET (the settings' registry)."""
    from dp_core.champion import champion_version
    from dp_core.resources import Resources
    from dp_core.settings import get_settings

    with Resources(get_settings()) as resources:
        return champion_version(resources.mlflow, resources.settings.mlflow)


def git(repo: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "data-platform release",
        "GIT_AUTHOR_EMAIL": "release@data-platform.invalid",
        **os.environ,
    }
    env.setdefault("GIT_COMMITTER_NAME", env["GIT_AUTHOR_NAME"])
    env.setdefault("GIT_COMMITTER_EMAIL", env["GIT_AUTHOR_EMAIL"])
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def release(repo: Path, digests: dict[str, str], version: str, branch: str) -> str:
    """The bump as one commit on `branch`; its diff."""
    written = [str(IMAGES), str(STEP_IMAGES), str(RELEASE)]
    if git(repo, "status", "--porcelain", "--", *written).strip():
        raise SystemExit(f"{repo}: the oci overlay has uncommitted changes; commit or stash them")
    git(repo, "switch", "-c", branch)
    set_images(repo, digests)
    pin_step_images(repo, digests)
    pin_model(repo, version)
    git(repo, "add", "--", *written)
    if not git(repo, "diff", "--cached", "--name-only").strip():
        return ""  # this exact release is already on the branch it started from
    images = ", ".join(f"{app}@{d[7:19]}" for app, d in sorted(digests.items()))
    git(repo, "commit", "-q", "-m", f"release: model v{version}; images {images}")
    return git(repo, "show", "--format=%H %s", "HEAD")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("action", choices=("images", "release"))
    parser.add_argument("--repo", type=Path, default=Path("."))
    parser.add_argument("--images", type=Path, default=Path("reports/images.json"))
    parser.add_argument("--model-version", help="default: MLflow's champion on TARGET")
    parser.add_argument("--branch", help="default: release/<commit>-model-v<version>")
    parser.add_argument("--push", action="store_true", help="push the branch to `origin`")
    args = parser.parse_args()
    repo = args.repo.resolve()
    digests = pushed_digests(args.images)
    if args.action == "images":
        set_images(repo, digests)
        return 0
    version = args.model_version or champion()
    head = git(repo, "rev-parse", "--short=12", "HEAD").strip()
    branch = args.branch or f"release/{head}-model-v{version}"
    shown = release(repo, digests, version, branch)
    print(shown or f"nothing to release: {branch} already deploys these digests and v{version}")
    if args.push and shown:
        git(repo, "push", "--set-upstream", "origin", branch)
    print(f"branch {branch} in {repo}: push it and merge it; ArgoCD syncs the oci overlay")
    return 0


if __name__ == "__main__":
    sys.exit(main())
