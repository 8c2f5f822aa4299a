#!/usr/bin/env bash
# Generate the multistage package's Go and Python SDKs from the schema its provider serves
# (schema.json with the package's version), with Pulumi's own generators (multistage-gen-sdk,
# built and cached by scripts/pulumi-tools.sh): <out>/go (a module: multistage/, go.mod, go.sum)
# and <out>/python. The npm package ships sdk/python and sdk/go (committed; a test keeps them
# current), so Python and Go users need neither a language host nor `pulumi package add`.
# Usage: bash scripts/gen-sdks.sh [out dir, default sdk]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$repo/sdk}" && cd "${1:-$repo/sdk}" && pwd)
bin=$(bash "$repo/scripts/pulumi-tools.sh")
[ -f "$repo/lib/provider/index.js" ] || (cd "$repo" && npm run build >/dev/null)
rm -rf "$out/go" "$out/python"
# The schema the provider serves (with the package's version), in a file of its own: the SDKs go
# into the npm package beside the package's schema.json, and no second copy with them.
schema=$(mktemp)
trap 'rm -f "$schema"' EXIT
node -e 'process.stdout.write(require(process.argv[1]).packageSchema())' "$repo/lib/provider" >"$schema"
"$bin/multistage-gen-sdk" "$schema" "$out"
# The Go SDK as a module of its own (what the npm package ships in sdk/go): its go.mod and go.sum.
cp "$repo/tools/sdk-go/go.mod" "$repo/tools/sdk-go/go.sum" "$out/go/"
