# Sourced by the container scripts: which engine builds and runs images, and the project-owned
# podman configuration (nothing under /etc is edited). See docs/deployment/containers.md.
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${DP_STATE_DIR:-$REPO/.dp}"
export CONTAINERS_CONF="$REPO/dev/containers/containers.conf"
export CONTAINERS_REGISTRIES_CONF="$REPO/dev/containers/registries.conf"
# The registry `make registry-up` starts, at the address ctlptl gives kind (dev/cluster/ctlptl.yaml).
REGISTRY="${DP_REGISTRY:-localhost:5005}"
PODMAN_SOCKET="$STATE/podman/podman.sock"
BASE_PYTHON_IMAGE="localhost/data-platform/base-python:3.11-bookworm"

# A Docker daemon that answers (not podman's compatible socket) is used as is; otherwise podman.
if [ -z "${ENGINE:-}" ]; then
  docker_os="$(docker info --format '{{.OperatingSystem}}' 2>/dev/null || true)"
  if [ -n "${docker_os//[[:space:]]/}" ] && ! grep -qi podman <<<"$docker_os" \
    && [ "${DOCKER_HOST:-}" != "unix://$PODMAN_SOCKET" ]; then
    ENGINE=docker
  else
    ENGINE=podman
  fi
fi

sudo_if_needed() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  echo "installing $* from Debian"
  sudo_if_needed apt-get update -qq
  DEBIAN_FRONTEND=noninteractive sudo_if_needed apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# The engine's CLI (podman reads this project's configuration from the variables above).
engine() {
  "$ENGINE" "$@"
}
