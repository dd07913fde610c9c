#!/usr/bin/env bash
# CI's run of `make release`: the GitOps bump on a scratch clone of this repository, with the
# digests `make images` pushed (reports/images.json); the rendered oci overlay must then run
# exactly those digests. Nothing is pushed; the clone is removed.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -s reports/images.json ] || { echo "no reports/images.json: run make images first" >&2; exit 1; }
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
git clone -q . "$scratch/gitops"
make --no-print-directory release RELEASE_REPO="$scratch/gitops" MODEL_VERSION=1
.venv/bin/python - "$scratch/gitops" <<'PY'
import json, subprocess, sys
import yaml
pushed = {a: i["digest"] for a, i in json.load(open("reports/images.json")).items()}
rendered = subprocess.run(
    [".cache/bin/kustomize", "build", f"{sys.argv[1]}/k8s/overlays/oci"],
    capture_output=True, text=True, check=True,
).stdout
docs = [d for d in yaml.safe_load_all(rendered) if d]
pods = [d["spec"]["template"]["spec"] for d in docs if d["kind"] in ("Deployment", "StatefulSet")]
containers = [c for p in pods for c in p.get("initContainers", []) + p["containers"]]
used = {c["image"] for c in containers if "/data-platform/" in c["image"]}
wrong = sorted(u for u in used if u.split("@")[-1] != pushed.get(u.split("/")[-1].split("@")[0]))
assert used and not wrong, f"the oci overlay runs images that were not pushed: {wrong}"
serving = next(c for c in containers if c["name"] == "serving")
pinned = {e["name"]: e.get("value") for e in serving["env"]}["DP_MODEL_SERVER__PINNED_VERSION"]
assert pinned == "1", f"the serving pods pin '{pinned}', not the released v1"
print(f"release bump: {len(used)} images pinned to the pushed digests; model v1 pinned")
PY
