#!/usr/bin/env bash
# `make images`: every app image from apps/Dockerfile (and Airflow's runtime from
# apps/airflow/Dockerfile), pushed to the local registry; the pushed
# digests written into the overlays with `kustomize edit set image`, so deployments pin digests:
#   kind: localhost:5005/data-platform/<app>@sha256:…   oci: <OCIR path>/data-platform/<app>@sha256:…
# Figures (build seconds, size, digest) go to reports/images.json.
#   BASE=local (default): the Debian-built base from `make base-images` (no image registry needed)
#   BASE=public: the Dockerfile's default base, python:3.11.14-slim-bookworm
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$REPO"

APPS=(${APPS:-pipeline features training promotion serving api airflow})
BASE="${BASE:-local}"
KUSTOMIZE="${KUSTOMIZE:-$REPO/.cache/bin/kustomize}"
tag="$(git rev-parse --short=12 HEAD)$(git diff --quiet HEAD -- apps libs pyproject.toml uv.lock || echo -dirty)"
base_args=()
[ "$BASE" = local ] && base_args=(--build-arg "PYTHON_IMAGE=$BASE_PYTHON_IMAGE")
build_args=()
[ "$ENGINE" = podman ] && build_args=(--network host --layers)
# A network that intercepts TLS (a corporate proxy, this sandbox) needs its CA while building.
ca_bundle="${DP_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
[ -s "$ca_bundle" ] && build_args+=(--secret "id=ca_bundle,src=$ca_bundle")

# Storage that is short stops the build here, with the numbers (a cold build wrote 14 GB here).
storage="$(engine info --format '{{.Store.GraphRoot}}')"
free_gb=$(($(df --output=avail -k "$storage" | tail -1) / 1024 / 1024))
echo "engine storage $storage: $free_gb GB free"
if [ "$free_gb" -lt "${DP_IMAGES_MIN_FREE_GB:-15}" ]; then
  echo "need ${DP_IMAGES_MIN_FREE_GB:-15} GB free under $storage to build every image; free some" \
    "(\`$ENGINE image prune -a\` removes every image no container uses)" >&2
  exit 1
fi

# A remote registry (DP_REGISTRY, e.g. OCIR from the delivery pipeline) takes the pipeline's
# credentials; the local one needs none.
if [ -n "${REGISTRY_USER:-}" ] && [ -n "${REGISTRY_PASSWORD:-}" ]; then
  printf '%s' "$REGISTRY_PASSWORD" | engine login --username "$REGISTRY_USER" --password-stdin "${REGISTRY%%/*}"
fi
mkdir -p reports "$STATE/images"
report="reports/images.json"
echo "{" >"$report.tmp"
for i in "${!APPS[@]}"; do
  app="${APPS[$i]}"
  ref="$REGISTRY/data-platform/$app:$tag"
  started=$(date +%s)
  echo "==> build $ref"
  recipe=(-f apps/Dockerfile --target "$app" --build-arg "APP=$app")
  [ "$app" = airflow ] && recipe=(-f apps/airflow/Dockerfile)
  engine build "${build_args[@]}" "${base_args[@]}" "${recipe[@]}" -t "$ref" . \
    >"$STATE/images/$app.build.log" 2>&1 \
    || { tail -30 "$STATE/images/$app.build.log"; exit 1; }
  seconds=$(($(date +%s) - started))
  if [ "$ENGINE" = podman ]; then
    engine push --digestfile "$STATE/images/$app.digest" "$ref" >/dev/null 2>&1
    digest="$(cat "$STATE/images/$app.digest")"
  else
    engine push "$ref" >/dev/null
    digest="$(engine image inspect --format '{{index .RepoDigests 0}}' "$ref" | cut -d@ -f2)"
  fi
  size=$(engine image inspect --format '{{.Size}}' "$ref")
  echo "<== $app: $seconds s, $((size / 1000000)) MB, $digest"
  sep=","; [ "$i" -eq $((${#APPS[@]} - 1)) ] && sep=""
  printf '  "%s": {"ref": "%s", "digest": "%s", "build_s": %s, "size_mb": %s}%s\n' \
    "$app" "$ref" "$digest" "$seconds" "$((size / 1000000))" "$sep" >>"$report.tmp"
  # Pin the digest in the kind overlay (this registry); oci below, on its OCIR paths.
  (cd k8s/overlays/kind/images && "$KUSTOMIZE" edit set image "data-platform/$app=$REGISTRY/data-platform/$app@$digest")
done
echo "}" >>"$report.tmp"
mv "$report.tmp" "$report"
# The same digests on oci's OCIR paths (the release pipeline's bump, without its commit).
"$REPO/.venv/bin/python" dev/release/bump.py images --images "$report"
# Earlier commits' images stay in the engine's storage until removed: keep only this commit's
# (the registry keeps what was pushed), by image id since a pushed image keeps its repository
# with tag <none>; removing an image removes the layers only it used. What this commit's images
# share with the next (platform, dependencies) stays as its cache; stages outside an image's
# chain (Spark's jars) stay as cache for DP_IMAGES_CACHE_HOURS, then go.
ours=$(engine images --format '{{.ID}} {{.Repository}}:{{.Tag}}' | grep " $REGISTRY/data-platform/" || true)
current=$(grep ":$tag\$" <<<"$ours" | cut -d' ' -f1 | sort -u)
stale=$(cut -d' ' -f1 <<<"$ours" | sort -u | grep -vxF "${current:-none}" | grep . || true)
[ -z "$stale" ] || engine rmi -f $stale >/dev/null
engine image prune -f --filter "until=${DP_IMAGES_CACHE_HOURS:-72}h" >/dev/null
echo "engine storage: $(echo "$stale" | grep -c . || true) earlier image(s) removed," \
  "$(($(df --output=avail -k "$storage" | tail -1) / 1024 / 1024)) GB free"
echo "images pushed to $REGISTRY; digests in k8s/overlays/kind/images, k8s/overlays/oci/common/images and $report"
