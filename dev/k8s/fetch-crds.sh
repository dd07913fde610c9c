#!/usr/bin/env bash
# CRDs of operators our manifests target that ../shared/crds does not hold, for offline schema
# validation: cert-manager's, from its Go module (the Go module proxy serves the whole repository
# tree, deploy/crds included). Into .cache/crds/<operator>/; fetched once per version.
set -euo pipefail
CERT_MANAGER_VERSION=v1.21.2  # as argocd/edge/cert-manager.yaml's chart
repo="$(cd "$(dirname "$0")/../.." && pwd)"
out="$repo/.cache/crds/cert-manager"
stamp="$out/.version"
if [ "$(cat "$stamp" 2>/dev/null)" = "$CERT_MANAGER_VERSION" ]; then exit 0; fi
dir="$(cd "$(mktemp -d)" && GOFLAGS=-mod=mod go mod download -json \
  "github.com/cert-manager/cert-manager@$CERT_MANAGER_VERSION" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')"
rm -rf "$out" && mkdir -p "$out"
cp "$dir"/deploy/crds/*.yaml "$out"/
rm -f "$out"/README.md
echo "$CERT_MANAGER_VERSION" >"$stamp"
echo "cert-manager CRDs $CERT_MANAGER_VERSION in $out"
