#!/usr/bin/env bash
# `make registry-up` / `make registry-down`: a real image registry (Debian's docker-registry,
# CNCF distribution 2.8) on 127.0.0.1:5005, the address ctlptl gives kind, storing under the
# state dir. `make images` pushes to it; the kind overlay pulls from it by digest.
set -euo pipefail
source "$(dirname "$0")/common.sh"
dir="$STATE/registry"
pidfile="$dir/registry.pid"
running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

case "${1:-up}" in
up)
  case "$REGISTRY" in
    localhost:*|127.0.0.1:*) ;;
    *) echo "registry $REGISTRY is remote (DP_REGISTRY): nothing to start"; exit 0 ;;
  esac
  command -v docker-registry >/dev/null || apt_install docker-registry
  if running; then echo "registry already up on $REGISTRY"; exit 0; fi
  mkdir -p "$dir/data"
  cat >"$dir/config.yml" <<CONFIG
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $dir/data}
  delete: {enabled: true}
http:
  addr: 127.0.0.1:${REGISTRY##*:}
CONFIG
  setsid docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:${REGISTRY##*:}/v2/" >/dev/null 2>&1 && { echo "registry up on $REGISTRY"; exit 0; }
    sleep 0.1
  done
  echo "the registry did not answer; log: $dir/registry.log" >&2
  tail -5 "$dir/registry.log" >&2
  exit 1
  ;;
down)
  if running; then kill "$(cat "$pidfile")" && rm -f "$pidfile" && echo "registry stopped"; else echo "registry not running"; fi
  ;;
*)
  echo "usage: $0 up|down" >&2
  exit 2
  ;;
esac
