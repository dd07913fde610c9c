#!/usr/bin/env bash
# `make engine-setup`: a container engine for `make base-images`, `make images` and `make pods-up`.
# On a machine where Docker answers, it is used as is. Otherwise Debian's podman with runc, with
# this project's configuration (dev/containers/*.conf through CONTAINERS_CONF and
# CONTAINERS_REGISTRIES_CONF; nothing under /etc is edited), and podman's Docker-compatible API
# on a socket for the Docker CLI and Tilt. Idempotent.
set -euo pipefail
source "$(dirname "$0")/common.sh"

if [ "$ENGINE" = docker ]; then
  echo "Docker answers ($(docker version --format '{{.Server.Version}}')): images and the registry use it."
  command -v podman >/dev/null || echo "note: the pods target runs 'podman kube play'; install podman for it."
  exit 0
fi

missing=()
command -v podman >/dev/null || missing+=(podman)
command -v runc >/dev/null || missing+=(runc)
command -v docker-registry >/dev/null || missing+=(docker-registry)
command -v debootstrap >/dev/null || missing+=(debootstrap)
# podman kube play builds its pause image around catatonit.
command -v catatonit >/dev/null || [ -x /usr/libexec/podman/catatonit ] || missing+=(catatonit)
((${#missing[@]} == 0)) || apt_install "${missing[@]}"

# Podman's Docker API for the Docker CLI and Tilt (`export DOCKER_HOST=unix://...`).
mkdir -p "$(dirname "$PODMAN_SOCKET")"
pidfile="$STATE/podman/service.pid"
if ! { [ -S "$PODMAN_SOCKET" ] && kill -0 "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null; }; then
  rm -f "$PODMAN_SOCKET"
  setsid podman system service --time=0 "unix://$PODMAN_SOCKET" >"$STATE/podman/service.log" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 50); do [ -S "$PODMAN_SOCKET" ] && break; sleep 0.1; done
fi
engine info --format 'podman {{.Version.Version}}: runtime {{.Host.OCIRuntime.Name}}, storage {{.Store.GraphDriverName}}, network {{.Host.NetworkBackend}}'
echo "Docker CLI and Tilt: export DOCKER_HOST=unix://$PODMAN_SOCKET"
