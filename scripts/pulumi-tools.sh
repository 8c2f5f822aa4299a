#!/usr/bin/env bash
# Build (once) and cache the binaries a real `pulumi up` needs in this repo's e2e tests:
#   - the Pulumi CLI, from its Go module, through the wrapper module tools/pulumi (go.sum committed);
#   - `multistage-gen-sdk`, Pulumi's Go and Python SDK generators (tools/pulumi/gen-sdk);
#   - `pulumi-language-yaml`, the YAML language host (for the YAML program through the component
#     package), from github.com/pulumi/pulumi-yaml through its own wrapper module tools/pulumi-yaml:
#     it resolves pkg/v3 v3.206.0 and does not compile against the CLI's module;
#   - `pulumi-resource-pulumi-nodejs`, the host Pulumi starts for dynamic providers (the
#     docker-cli back end): a shim that runs @pulumi/pulumi's dynamic-provider entry with node.
# Users install Pulumi the normal way and need none of this.
#
# Cached outside the repo in $MULTISTAGE_TOOLS (default ~/.cache/pulumi-multistage/tools/<version>);
# a second run takes seconds. Prints the bin directory on stdout: PATH="$(bash scripts/pulumi-tools.sh):$PATH".
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
module_dir="$repo/tools/pulumi"
# The version the module proxy serves (it refuses some releases, v3.270.0 among them); the CLI and
# the Node.js SDK talk over a versioned gRPC protocol, so this CLI runs every SDK in the peer range
# (the package and e2e tests run it on 3.142.0 and on the newest).
version=$(sed -n 's#^\(require \)\{0,1\}\s*github.com/pulumi/pulumi/pkg/v3 \(v[0-9.]*\)$#\2#p' "$module_dir/go.mod")
tools=${MULTISTAGE_TOOLS:-$HOME/.cache/pulumi-multistage/tools/$version}
bin="$tools/bin"
log() { printf '[pulumi-tools] %s\n' "$*" >&2; }

[ -n "$version" ] || { log "cannot read the pinned pkg/v3 version from $module_dir/go.mod"; exit 1; }
command -v go >/dev/null || { log "Go is not installed: the Pulumi CLI is built from its Go module (Go 1.26 or later)"; exit 1; }
mkdir -p "$bin"

if [ -x "$bin/pulumi" ] && [ "$("$bin/pulumi" version 2>/dev/null)" = "$version" ]; then
  log "pulumi $version cached in $bin"
else
  log "building pulumi $version from github.com/pulumi/pulumi/pkg/v3 (a few minutes on 2 cores; module cache: $(go env GOMODCACHE))"
  started=$(date +%s)
  # `go build` fetches only the .mod and .zip of the versions go.sum pins (the proxy refuses
  # .info for some pseudo-versions, which `go mod download` would ask for).
  if ! (cd "$module_dir" && go build -mod=readonly -trimpath -tags osusergo,grpcnotrace \
    -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
    -o "$bin/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi 2>"$tools/build.log"); then
    log "the build failed (is the Go module proxy $(go env GOPROXY) reachable?); last lines of $tools/build.log:"
    tail -n 8 "$tools/build.log" >&2
    exit 1
  fi
  mv "$bin/pulumi.tmp" "$bin/pulumi"
  log "built pulumi $("$bin/pulumi" version) in $(($(date +%s) - started))s ($(du -sh "$bin/pulumi" | cut -f1))"
fi

# gen-sdk: Pulumi's own Go and Python SDK generators (pkg/v3 codegen), in the CLI's module; what
# `pulumi package gen-sdk` would ask those languages' hosts for (they cannot be built here).
if [ -x "$bin/multistage-gen-sdk" ] && [ "$(cat "$bin/multistage-gen-sdk.version" 2>/dev/null)" = "$version $(cat "$module_dir/gen-sdk/main.go" | sha256sum | cut -c1-16)" ]; then
  log "multistage-gen-sdk cached in $bin"
else
  log "building multistage-gen-sdk (tools/pulumi/gen-sdk) against pkg/v3 $version"
  started=$(date +%s)
  if ! (cd "$module_dir" && go build -mod=readonly -trimpath -o "$bin/multistage-gen-sdk.tmp" ./gen-sdk 2>"$tools/build-gen-sdk.log"); then
    log "the build failed; last lines of $tools/build-gen-sdk.log:"
    tail -n 8 "$tools/build-gen-sdk.log" >&2
    exit 1
  fi
  mv "$bin/multistage-gen-sdk.tmp" "$bin/multistage-gen-sdk"
  echo "$version $(cat "$module_dir/gen-sdk/main.go" | sha256sum | cut -c1-16)" >"$bin/multistage-gen-sdk.version"
  log "built multistage-gen-sdk in $(($(date +%s) - started))s"
fi

yaml_dir="$repo/tools/pulumi-yaml"
yaml_version=$(sed -n 's#^\s*github.com/pulumi/pulumi-yaml \(v[0-9.]*\).*$#\1#p' "$yaml_dir/go.mod")
[ -n "$yaml_version" ] || { log "cannot read the pinned pulumi-yaml version from $yaml_dir/go.mod"; exit 1; }
if [ -x "$bin/pulumi-language-yaml" ] && [ "$(cat "$bin/pulumi-language-yaml.version" 2>/dev/null)" = "$yaml_version" ]; then
  log "pulumi-language-yaml $yaml_version cached in $bin"
else
  log "building pulumi-language-yaml $yaml_version from github.com/pulumi/pulumi-yaml"
  started=$(date +%s)
  if ! (cd "$yaml_dir" && go build -mod=readonly -trimpath \
    -ldflags "-X github.com/pulumi/pulumi-yaml/pkg/version.Version=$yaml_version" \
    -o "$bin/pulumi-language-yaml.tmp" github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml 2>"$tools/build-yaml.log"); then
    log "the build failed; last lines of $tools/build-yaml.log:"
    tail -n 8 "$tools/build-yaml.log" >&2
    exit 1
  fi
  mv "$bin/pulumi-language-yaml.tmp" "$bin/pulumi-language-yaml"
  echo "$yaml_version" >"$bin/pulumi-language-yaml.version"
  log "built pulumi-language-yaml $yaml_version in $(($(date +%s) - started))s"
fi

# Pulumi starts `pulumi-resource-pulumi-nodejs` from PATH for dynamic providers, in the
# program's directory; the entry point comes from the @pulumi/pulumi that program uses.
cat >"$bin/pulumi-resource-pulumi-nodejs" <<'SH'
#!/bin/sh
entry=$(node -e 'process.stdout.write(require.resolve("@pulumi/pulumi/cmd/dynamic-provider", { paths: [process.cwd()] }))') || exit 1
exec node "$entry" "$@"
SH
chmod +x "$bin/pulumi-resource-pulumi-nodejs"

echo "$bin"
