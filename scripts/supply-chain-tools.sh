#!/usr/bin/env bash
# Build (once) and cache the real supply-chain tools the publish pipeline runs for `signing` and
# attestations beside the image, and that the tests verify with:
#   - cosign (github.com/sigstore/cosign/v2), through the wrapper module tools/cosign;
#   - syft (github.com/anchore/syft), through tools/syft (go.sum committed in both).
# Cached outside the repo in $MULTISTAGE_SUPPLY_CHAIN_TOOLS (default
# ~/.cache/pulumi-multistage/supply-chain/<cosign>-<syft>); a second run takes a second.
# Users install cosign and syft the normal way (or set MULTISTAGE_COSIGN / MULTISTAGE_SYFT).
#
# Appends MULTISTAGE_COSIGN and MULTISTAGE_SYFT to $MULTISTAGE_STATE/env when it exists (the
# tests read it), and prints the bin directory on stdout.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
state=${MULTISTAGE_STATE:-$repo/.multistage}
log() { printf '[supply-chain-tools] %s\n' "$*" >&2; }
version_of() { sed -n "s#^require $1 \(v[0-9.]*\)\$#\1#p" "$2"; }
cosign_version=$(version_of github.com/sigstore/cosign/v2 "$repo/tools/cosign/go.mod")
syft_version=$(version_of github.com/anchore/syft "$repo/tools/syft/go.mod")
[ -n "$cosign_version" ] && [ -n "$syft_version" ] || { log "cannot read the pinned versions in tools/cosign and tools/syft"; exit 1; }
command -v go >/dev/null || { log "Go is not installed: cosign and syft are built from their Go modules"; exit 1; }
tools=${MULTISTAGE_SUPPLY_CHAIN_TOOLS:-$HOME/.cache/pulumi-multistage/supply-chain/$cosign_version-$syft_version}
bin="$tools/bin"
mkdir -p "$bin"

build() { # $1: name, $2: module dir, $3: ldflags, $4: package
  local name=$1 dir=$2 ldflags=$3 package=$4
  [ -x "$bin/$name" ] && return 0
  log "building $name from its Go module (a few minutes on 2 cores when the Go caches are cold)"
  local started
  started=$(date +%s)
  if ! (cd "$dir" && go build -mod=readonly -trimpath -ldflags "$ldflags" -o "$bin/$name.tmp" "$package") 2>"$tools/build-$name.log"; then
    log "the $name build failed (is the Go module proxy $(go env GOPROXY) reachable?); last lines of $tools/build-$name.log:"
    tail -n 8 "$tools/build-$name.log" >&2
    exit 1
  fi
  mv "$bin/$name.tmp" "$bin/$name"
  log "built $name in $(($(date +%s) - started))s"
}
build cosign "$repo/tools/cosign" "-X sigs.k8s.io/release-utils/version.gitVersion=$cosign_version" \
  github.com/sigstore/cosign/v2/cmd/cosign
build syft "$repo/tools/syft" "-X main.version=$syft_version" github.com/anchore/syft/cmd/syft

if [ -f "$state/env" ]; then
  grep -v -E '^export (MULTISTAGE_COSIGN|MULTISTAGE_SYFT)=' "$state/env" >"$state/env.tmp" || true
  printf 'export MULTISTAGE_COSIGN=%s\nexport MULTISTAGE_SYFT=%s\n' "$bin/cosign" "$bin/syft" >>"$state/env.tmp"
  mv "$state/env.tmp" "$state/env"
fi
echo "$bin"
