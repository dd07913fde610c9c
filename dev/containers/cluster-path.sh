#!/usr/bin/env bash
# The cluster path in `make test`: build and push every image, check the image contract, run the
# e2e suite on the pods target; the registry started here is stopped whatever happens.
set -euo pipefail
cd "$(dirname "$0")/../.."
started_registry=0
curl -fsS http://127.0.0.1:5005/v2/ >/dev/null 2>&1 || started_registry=1
trap '[ "$started_registry" = 1 ] && bash dev/containers/registry.sh down' EXIT
timed="bash dev/timed.sh"
$timed "images: engine, base, build, push" make --no-print-directory images
$timed "image contract" make --no-print-directory image-contract
$timed "e2e on the pods target" make --no-print-directory pods-test
