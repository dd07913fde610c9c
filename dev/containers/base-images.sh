#!/usr/bin/env bash
# `make base-images`: the apps' base image built from Debian's packages, so `make images` needs
# no image registry (an air-gapped build: Debian, PyPI and Maven Central mirrors are enough).
#   localhost/data-platform/base-python:3.11-bookworm  Debian bookworm (minbase) + Python 3.11
# The Dockerfile's default base (python:3.11.14-slim-bookworm) is the public equivalent. Rebuilt
# only when this recipe changes (its hash is the image's `dp.recipe` label), so CI runs on the
# same machine reuse it.
set -euo pipefail
source "$(dirname "$0")/common.sh"

SUITE=bookworm
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
PACKAGES=python3.11,python3-venv,ca-certificates,libgomp1
recipe="$(cat "$0" | sha256sum | cut -c1-16)"

have="$(engine image inspect --format '{{index .Labels "dp.recipe"}}' "$BASE_PYTHON_IMAGE" 2>/dev/null || true)"
if [ "$have" = "$recipe" ]; then
  echo "$BASE_PYTHON_IMAGE is up to date (recipe $recipe)"
  exit 0
fi
command -v debootstrap >/dev/null || apt_install debootstrap

started=$(date +%s)
rootfs="$(mktemp -d "${TMPDIR:-/tmp}/dp-rootfs.XXXXXX")"
trap 'sudo_if_needed rm -rf "$rootfs"' EXIT
echo "debootstrap $SUITE ($PACKAGES) from $MIRROR"
sudo_if_needed debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$rootfs" "$MIRROR" >/dev/null
# Security and point-release updates, as the public image has them; then no apt lists or caches.
cat <<SOURCES | sudo_if_needed tee "$rootfs/etc/apt/sources.list" >/dev/null
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY $SUITE-security main
SOURCES
sudo_if_needed chroot "$rootfs" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get upgrade -y -qq >/dev/null'
sudo_if_needed chroot "$rootfs" sh -c 'apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin'
sudo_if_needed ln -sf python3.11 "$rootfs/usr/bin/python"
sudo_if_needed tar -C "$rootfs" --numeric-owner -c . | engine import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["python3"]' \
  --change "LABEL dp.recipe=$recipe" \
  --change "LABEL org.opencontainers.image.description=Debian $SUITE minbase with Python 3.11 from Debian" \
  - "$BASE_PYTHON_IMAGE" >/dev/null
size="$(engine image inspect --format '{{.Size}}' "$BASE_PYTHON_IMAGE")"
echo "$BASE_PYTHON_IMAGE built in $(($(date +%s) - started)) s, $((size / 1000000)) MB"
