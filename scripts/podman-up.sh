#!/usr/bin/env bash
# Make Podman and Buildah ready to build and push here, daemonless, for engine: "podman" /
# "buildah" (the docker-cli back end): Debian's packages (podman 4.3, buildah 1.28), run rootful
# with the vfs storage driver in $MULTISTAGE_STATE (default <repo>/.multistage)/podman, and a
# registries.conf that sends docker.io names to the local registry of scripts/docker-up.sh (where
# scripts/buildkit-up.sh pushed the offline base images), so the same Dockerfiles build with every
# engine and nothing is asked of the internet. Nothing runs afterwards: there is no daemon.
# Idempotent. Appends the engines' variables to $MULTISTAGE_STATE/env.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
state=${MULTISTAGE_STATE:-$repo/.multistage}
log() { printf '[podman-up] %s\n' "$*" >&2; }

[ -f "$state/env" ] || { log "run scripts/docker-up.sh first (no $state/env)"; exit 1; }
# shellcheck disable=SC1091
. "$state/env"
registry=$MULTISTAGE_REGISTRY

if [ ! -x /usr/bin/podman ] || [ ! -x /usr/bin/buildah ]; then
  [ "$(id -u)" = 0 ] || { log "podman and buildah are missing (run as root, or apt-get install podman buildah)"; exit 1; }
  log "installing podman and buildah with apt"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman buildah >"$state/podman-apt.log" 2>&1 || {
    log "apt-get install podman buildah failed; last lines of $state/podman-apt.log:"
    tail -n 8 "$state/podman-apt.log" >&2
    exit 1
  }
fi

conf="$state/containers"
mkdir -p "$conf" "$state/podman/root" "$state/podman/run"
cat >"$conf/storage.conf" <<CONF
[storage]
driver = "vfs"
graphroot = "$state/podman/root"
runroot = "$state/podman/run"
CONF
# docker.io names (FROM node:20, multistage-local/golang:1.26) resolve in the local registry, as
# buildkitd's mirror does; nothing falls back to Docker Hub.
cat >"$conf/registries.conf" <<CONF
unqualified-search-registries = ["docker.io"]
short-name-mode = "permissive"

[[registry]]
prefix = "docker.io"
location = "$registry"
insecure = true

[[registry]]
location = "$registry"
insecure = true
CONF

# The base images must be in the registry (buildkit-up.sh pushes them).
code=$(curl -s -o /dev/null -w '%{http_code}' -u "$MULTISTAGE_REGISTRY_USER:$MULTISTAGE_REGISTRY_PASSWORD" \
  -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
  "http://$registry/v2/multistage-local/busybox/manifests/1")
[ "$code" = 200 ] || { log "the registry has no multistage-local/busybox:1 (HTTP $code): run scripts/buildkit-up.sh first, it pushes the base images"; exit 1; }

export CONTAINERS_STORAGE_CONF="$conf/storage.conf" CONTAINERS_REGISTRIES_CONF="$conf/registries.conf"
podman info --format '{{.Store.GraphDriverName}}' >/dev/null 2>"$state/podman-info.log" || {
  log "podman does not run here; last lines of $state/podman-info.log:"
  tail -n 8 "$state/podman-info.log" >&2
  exit 1
}

grep -v -E '^export (MULTISTAGE_PODMAN|MULTISTAGE_BUILDAH|CONTAINERS_STORAGE_CONF|CONTAINERS_REGISTRIES_CONF)=' "$state/env" >"$state/env.tmp" || true
cat >>"$state/env.tmp" <<ENV
export MULTISTAGE_PODMAN=/usr/bin/podman
export MULTISTAGE_BUILDAH=/usr/bin/buildah
export CONTAINERS_STORAGE_CONF=$conf/storage.conf
export CONTAINERS_REGISTRIES_CONF=$conf/registries.conf
ENV
mv "$state/env.tmp" "$state/env"
log "ready: $(podman --version), $(buildah --version | cut -d' ' -f1-3), vfs storage in $state/podman"
