#!/usr/bin/env bash
# Start a standalone BuildKit daemon beside the Docker engine of scripts/docker-up.sh, and
# register it as the buildx builder "multistage". Debian's Docker 20.10 engine builds with
# its own BuildKit (the `docker` driver), which cannot export a registry cache nor build
# several platforms into one index; a standalone buildkitd (oci worker, Debian's runc) can.
#
#   - buildkitd, buildctl: github.com/moby/buildkit, through the wrapper module tools/buildkit;
#   - docker-buildx: github.com/docker/buildx, through tools/buildx (go.sum committed in both);
#   built once and cached outside the repo ($MULTISTAGE_BUILDKIT_TOOLS, default
#   ~/.cache/pulumi-multistage/buildkit/<versions>).
#
# The daemon listens on a unix socket in $MULTISTAGE_STATE (default <repo>/.multistage), with
# its own root and PID file; scripts/docker-down.sh stops it. It reads the base images from
# the local registry, where this script pushes them: `docker.io` is mirrored to the registry,
# so the same Dockerfiles build with either builder. Needs scripts/docker-up.sh first.
# Idempotent. Appends the builder's variables to $MULTISTAGE_STATE/env.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
state=${MULTISTAGE_STATE:-$repo/.multistage}
log() { printf '[buildkit-up] %s\n' "$*" >&2; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

[ -f "$state/env" ] || { log "run scripts/docker-up.sh first (no $state/env)"; exit 1; }
# shellcheck disable=SC1091
. "$state/env"
registry=$MULTISTAGE_REGISTRY

version_of() { sed -n "s#^require $1 \(v[0-9.]*\)\$#\1#p" "$2"; }
bk_version=$(version_of github.com/moby/buildkit "$repo/tools/buildkit/go.mod")
bx_version=$(version_of github.com/docker/buildx "$repo/tools/buildx/go.mod")
[ -n "$bk_version" ] && [ -n "$bx_version" ] || { log "cannot read the pinned versions in tools/buildkit and tools/buildx"; exit 1; }
tools=${MULTISTAGE_BUILDKIT_TOOLS:-$HOME/.cache/pulumi-multistage/buildkit/$bk_version-$bx_version}
bin="$tools/bin"
mkdir -p "$bin"

# --- packages ---------------------------------------------------------------
if [ ! -x /usr/sbin/runc ]; then
  [ "$(id -u)" = 0 ] || { log "Debian's runc is missing (run as root, or apt-get install runc)"; exit 1; }
  log "installing runc with apt"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq runc >/dev/null
fi
command -v go >/dev/null || { log "Go is not installed: buildkitd and buildx are built from their Go modules"; exit 1; }

# --- binaries ---------------------------------------------------------------
build() { # $1: module dir, $2: ldflags, rest: packages
  local dir=$1 ldflags=$2
  shift 2
  (cd "$dir" && go build -mod=readonly -trimpath -ldflags "$ldflags" -o "$bin/" "$@") 2>"$tools/build.log" || {
    log "the build in $dir failed (is the Go module proxy $(go env GOPROXY) reachable?); last lines of $tools/build.log:"
    tail -n 8 "$tools/build.log" >&2
    exit 1
  }
}
if [ ! -x "$bin/buildkitd" ] || [ ! -x "$bin/buildctl" ]; then
  log "building buildkitd and buildctl $bk_version (a few minutes on 2 cores when the Go caches are cold)"
  started=$(date +%s)
  build "$repo/tools/buildkit" "-X github.com/moby/buildkit/version.Version=$bk_version" \
    github.com/moby/buildkit/cmd/buildkitd github.com/moby/buildkit/cmd/buildctl
  log "built buildkitd in $(($(date +%s) - started))s"
fi
if [ ! -x "$bin/docker-buildx" ]; then
  log "building docker-buildx $bx_version"
  started=$(date +%s)
  (cd "$repo/tools/buildx" && go build -mod=readonly -trimpath \
    -ldflags "-X github.com/docker/buildx/version.Version=$bx_version" \
    -o "$bin/docker-buildx" github.com/docker/buildx/cmd/buildx) 2>"$tools/build.log" || {
    log "the buildx build failed; last lines of $tools/build.log:"; tail -n 8 "$tools/build.log" >&2; exit 1
  }
  log "built docker-buildx in $(($(date +%s) - started))s"
fi

# --- TLS ----------------------------------------------------------------------
# The daemon also listens on tcp://127.0.0.1 with mutual TLS, as a shared build farm would,
# so that the tcp:// endpoint with TLS files is tested for real. A CA made here signs the
# server's certificate (for 127.0.0.1 and localhost) and a client's.
tls_port=${MULTISTAGE_BUILDKIT_TLS_PORT:-5056}
tls_addr="tcp://127.0.0.1:$tls_port"
tls="$state/buildkit-tls"
if [ ! -f "$tls/client.pem" ]; then
  rm -rf "$tls" && mkdir -p "$tls"
  (
    cd "$tls"
    ec() { openssl ecparam -name prime256v1 -genkey -noout -out "$1" 2>/dev/null; }
    ec ca-key.pem
    openssl req -x509 -new -key ca-key.pem -subj "/CN=multistage test CA" -days 3650 -out ca.pem 2>/dev/null
    sign() { # $1: name, $2: subject CN, $3: extensions
      ec "$1-key.pem"
      openssl req -new -key "$1-key.pem" -subj "/CN=$2" -out "$1.csr" 2>/dev/null
      printf '%s\n' "$3" >"$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 3650 \
        -extfile "$1.ext" -out "$1.pem" 2>/dev/null
      rm -f "$1.csr" "$1.ext"
    }
    sign server localhost "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth"
    sign client multistage "extendedKeyUsage=clientAuth"
    chmod 600 ./*-key.pem
  ) || { log "could not make the TLS certificates with openssl"; exit 1; }
fi

# --- daemon -----------------------------------------------------------------
# start_daemon NAME ADDR GRPC: a buildkitd with its own root ($state/NAME → buildkit[-N]), config
# and log, listening as GRPC says; waits until it answers on ADDR. The registry speaks plain HTTP
# on loopback; docker.io is mirrored to it (the offline base images).
start_daemon() {
  local name=$1 daemon_addr=$2 grpc=$3 root="$state/${1/buildkitd/buildkit}"
  rm -f "${daemon_addr#unix://}" "$state/$name.pid"
  mkdir -p "$root"
  cat >"$state/$name.toml" <<TOML
root = "$root"
# What a build may be allowed (buildx --allow, the component's allow): RUN --security=insecure.
insecure-entitlements = ["security.insecure"]
[grpc]
$grpc
[worker.oci]
  enabled = true
  binary = "/usr/sbin/runc"
  snapshotter = "overlayfs"
  gc = true
[worker.containerd]
  enabled = false
[registry."$registry"]
  http = true
  insecure = true
[registry."docker.io"]
  mirrors = ["$registry"]
TOML
  nohup "$bin/buildkitd" --config "$state/$name.toml" --oci-worker-net host >"$state/$name.log" 2>&1 &
  echo $! >"$state/$name.pid"
  for _ in $(seq 1 60); do
    "$bin/buildctl" --addr "$daemon_addr" debug workers >/dev/null 2>&1 && break
    alive "$state/$name.pid" || break
    sleep 0.5
  done
}
sock="$state/buildkitd.sock"
addr="unix://$sock"
tls_ok() {
  "$bin/buildctl" --addr "$tls_addr" --tlscacert "$tls/ca.pem" --tlscert "$tls/client.pem" \
    --tlskey "$tls/client-key.pem" debug workers >/dev/null 2>&1
}
if alive "$state/buildkitd.pid" && "$bin/buildctl" --addr "$addr" debug workers >/dev/null 2>&1 && tls_ok; then
  log "buildkitd already running (pid $(cat "$state/buildkitd.pid"))"
else
  if alive "$state/buildkitd.pid"; then
    # Ours, started with another configuration (no TLS listener): restart it.
    pid=$(cat "$state/buildkitd.pid")
    log "restarting buildkitd (pid $pid)"
    kill "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  fi
  log "starting buildkitd $bk_version on $addr (root $state/buildkit)"
  start_daemon buildkitd "$addr" "$(printf '  address = ["%s", "%s"]\n  [grpc.tls]\n    cert = "%s"\n    key = "%s"\n    ca = "%s"' "$addr" "$tls_addr" "$tls/server.pem" "$tls/server-key.pem" "$tls/ca.pem")"
  for _ in $(seq 1 20); do tls_ok && break; sleep 0.25; done
  if ! "$bin/buildctl" --addr "$addr" debug workers >/dev/null 2>&1 || ! tls_ok; then
    log "buildkitd did not answer on $addr and $tls_addr; last lines of $state/buildkitd.log:"
    tail -n 20 "$state/buildkitd.log" >&2 || true
    exit 1
  fi
fi

# --- buildx builder ---------------------------------------------------------
export BUILDX_CONFIG="$state/buildx"
if ! "$bin/docker-buildx" inspect multistage >/dev/null 2>&1; then
  "$bin/docker-buildx" create --name multistage --driver remote "$addr" >/dev/null
fi
"$bin/docker-buildx" inspect --bootstrap multistage >/dev/null
log "builder multistage: $("$bin/docker-buildx" inspect multistage | grep -m1 -E 'Platforms:' | sed 's/ *Platforms: *//')"

# --- a builder of two nodes ---------------------------------------------------
# A second daemon (its own state, no TLS) beside the first, and the buildx builder
# "multistage-nodes": the first daemon declared as the linux/amd64 node, the second as the
# linux/arm64 one, as a build farm with a machine per platform is registered. A build of both
# platforms runs each on its own node (no emulation: the seed apps cross-compile).
sock2="$state/buildkitd-2.sock"
addr2="unix://$sock2"
if alive "$state/buildkitd-2.pid" && "$bin/buildctl" --addr "$addr2" debug workers >/dev/null 2>&1; then
  log "second buildkitd already running (pid $(cat "$state/buildkitd-2.pid"))"
else
  log "starting a second buildkitd on $addr2 (root $state/buildkit-2)"
  start_daemon buildkitd-2 "$addr2" "  address = [\"$addr2\"]"
  "$bin/buildctl" --addr "$addr2" debug workers >/dev/null 2>&1 || {
    log "the second buildkitd did not answer on $addr2; last lines of $state/buildkitd-2.log:"
    tail -n 20 "$state/buildkitd-2.log" >&2 || true
    exit 1
  }
fi
if ! "$bin/docker-buildx" inspect multistage-nodes >/dev/null 2>&1; then
  "$bin/docker-buildx" create --name multistage-nodes --driver remote --node nodes-amd64 --platform linux/amd64 "$addr" >/dev/null
  "$bin/docker-buildx" create --append --name multistage-nodes --driver remote --node nodes-arm64 --platform linux/arm64 "$addr2" >/dev/null
fi
"$bin/docker-buildx" inspect --bootstrap multistage-nodes >/dev/null
log "builder multistage-nodes: nodes-amd64 (linux/amd64) on $addr, nodes-arm64 (linux/arm64) on $addr2"

# --- base images in the registry ---------------------------------------------
# buildkitd pulls from registries only: push the engine's offline base images under the names
# the mirror of docker.io resolves (multistage-local/node:20 → $registry/multistage-local/node:20).
cfg=$(mktemp -d)
trap 'rm -rf "$cfg"' EXIT
docker() { DOCKER_CONFIG="$cfg" "$MULTISTAGE_DOCKER_CLI" "$@"; }
echo "$MULTISTAGE_REGISTRY_PASSWORD" | docker login --username "$MULTISTAGE_REGISTRY_USER" --password-stdin "$registry" >/dev/null 2>&1
for image in $(docker image ls --format '{{.Repository}}:{{.Tag}}' | grep -E '^(multistage-local/|busybox:)'); do
  case $image in */*) remote="$registry/$image" ;; *) remote="$registry/library/$image" ;; esac
  id=$(docker image inspect --format '{{.Id}}' "$image")
  marker="$state/base-pushed/$(echo "$remote" | tr '/:' '__')"
  [ -f "$marker" ] && [ "$(cat "$marker")" = "$id" ] && continue
  docker tag "$image" "$remote"
  docker push "$remote" >/dev/null
  mkdir -p "$state/base-pushed"
  echo "$id" >"$marker"
  log "pushed $image as $remote"
done

grep -v -E '^export (MULTISTAGE_BUILDX|BUILDX_CONFIG|MULTISTAGE_BUILDER|MULTISTAGE_BUILDER_NODES|MULTISTAGE_BUILDKIT_ADDR|MULTISTAGE_BUILDKIT_TLS_ADDR|MULTISTAGE_BUILDKIT_TLS_DIR)=' "$state/env" >"$state/env.tmp" || true
cat >>"$state/env.tmp" <<ENV
export MULTISTAGE_BUILDX=$bin/docker-buildx
export BUILDX_CONFIG=$state/buildx
export MULTISTAGE_BUILDER=multistage
export MULTISTAGE_BUILDER_NODES=multistage-nodes
export MULTISTAGE_BUILDKIT_ADDR=$addr
export MULTISTAGE_BUILDKIT_TLS_ADDR=$tls_addr
export MULTISTAGE_BUILDKIT_TLS_DIR=$tls
ENV
mv "$state/env.tmp" "$state/env"
log "ready: builder multistage ($addr; with mutual TLS on $tls_addr)"
