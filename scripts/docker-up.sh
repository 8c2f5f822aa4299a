#!/usr/bin/env bash
# Start a private Docker engine and an authenticated OCI registry on 127.0.0.1 for
# the integration tests, the examples and the README quick start.
#
# Idempotent: a second call reuses the engine and registry that already answer.
# Everything lives under $MULTISTAGE_STATE (default: <repo>/.multistage); the
# environment to use them is written to $MULTISTAGE_STATE/env (source it).
# Stop with scripts/docker-down.sh, which kills exactly the PIDs started here.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
state=${MULTISTAGE_STATE:-$repo/.multistage}
port=${MULTISTAGE_REGISTRY_PORT:-5055}
user=${MULTISTAGE_REGISTRY_USER:-multistage}
password=${MULTISTAGE_REGISTRY_PASSWORD:-multistage-test-password}
mkdir -p "$state"
sock="$state/docker.sock"
log() { printf '[docker-up] %s\n' "$*" >&2; }

# --- packages ---------------------------------------------------------------
need=()
[ -x /usr/sbin/dockerd ] || need+=(docker.io)
[ -x /usr/bin/docker-registry ] || need+=(docker-registry)
command -v htpasswd >/dev/null || need+=(apache2-utils)
[ -x /bin/busybox ] || need+=(busybox-static)
command -v curl >/dev/null || need+=(curl)
command -v debootstrap >/dev/null || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    log "missing Debian packages: ${need[*]} (run as root, or install them)"; exit 1
  fi
  log "installing ${need[*]} with apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
# Debian's CLI speaks BuildKit without the buildx plugin; a newer CLI earlier on
# PATH may not, so the tools use this one explicitly.
docker_cli=/usr/bin/docker

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# --- engine -----------------------------------------------------------------
if alive "$state/dockerd.pid" && DOCKER_HOST="unix://$sock" "$docker_cli" version >/dev/null 2>&1; then
  log "engine already running (pid $(cat "$state/dockerd.pid"))"
else
  log "starting dockerd (data root $state/docker)"
  rm -f "$sock" "$state/dockerd.pid"
  mkdir -p "$state/docker" "$state/exec"
  nohup /usr/sbin/dockerd \
    --data-root "$state/docker" --exec-root "$state/exec" \
    --host "unix://$sock" --pidfile "$state/dockerd.pid" \
    --insecure-registry "127.0.0.1:$port" >"$state/dockerd.log" 2>&1 &
  for _ in $(seq 1 60); do
    DOCKER_HOST="unix://$sock" "$docker_cli" version >/dev/null 2>&1 && break
    sleep 1
  done
  if ! DOCKER_HOST="unix://$sock" "$docker_cli" version >/dev/null 2>&1; then
    log "dockerd did not answer within 60s; last lines of $state/dockerd.log:"
    tail -n 20 "$state/dockerd.log" >&2 || true
    exit 1
  fi
fi

# --- registry ---------------------------------------------------------------
if alive "$state/registry.pid" && curl -s -o /dev/null "http://127.0.0.1:$port/v2/"; then
  log "registry already running on 127.0.0.1:$port (pid $(cat "$state/registry.pid"))"
else
  log "starting registry on 127.0.0.1:$port"
  mkdir -p "$state/registry-data"
  htpasswd -Bbn "$user" "$password" >"$state/htpasswd"
  cat >"$state/registry.yml" <<YML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $state/registry-data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
auth:
  htpasswd:
    realm: multistage-test
    path: $state/htpasswd
YML
  nohup /usr/bin/docker-registry serve "$state/registry.yml" >"$state/registry.log" 2>&1 &
  echo $! >"$state/registry.pid"
  for _ in $(seq 1 30); do
    curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break
    sleep 0.5
  done
  curl -s -o /dev/null "http://127.0.0.1:$port/v2/" || { log "registry did not answer"; tail -n 20 "$state/registry.log" >&2; exit 1; }
fi

# --- offline base images ----------------------------------------------------
export DOCKER_HOST="unix://$sock"
bash "$repo/scripts/base-images.sh" "$docker_cli" "$state"

cat >"$state/env" <<ENV
export DOCKER_HOST=unix://$sock
export MULTISTAGE_DOCKER_CLI=$docker_cli
export MULTISTAGE_REGISTRY=127.0.0.1:$port
export MULTISTAGE_REGISTRY_USER=$user
export MULTISTAGE_REGISTRY_PASSWORD=$password
ENV
log "ready: source $state/env"
