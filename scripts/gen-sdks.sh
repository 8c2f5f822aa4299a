#!/usr/bin/env bash
# Generate the multistage package's Go and Python SDKs from the schema its provider serves
# (schema.json with the package's version), with Pulumi's own generators (multistage-gen-sdk,
# built and cached by scripts/pulumi-tools.sh): <out>/go/multistage and <out>/python.
# Users of Python, Go and C# normally get the same from `pulumi package add`, which asks their
# language's host to generate; those hosts cannot be built on this project's machine.
# Usage: bash scripts/gen-sdks.sh [out dir, default sdk]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$repo/sdk}" && cd "${1:-$repo/sdk}" && pwd)
bin=$(bash "$repo/scripts/pulumi-tools.sh")
[ -f "$repo/lib/provider/index.js" ] || (cd "$repo" && npm run build >/dev/null)
rm -rf "$out/go" "$out/python"
node -e 'process.stdout.write(require(process.argv[1]).packageSchema())' "$repo/lib/provider" >"$out/schema.json"
"$bin/multistage-gen-sdk" "$out/schema.json" "$out"
# The Go SDK as a module of its own (what the npm package ships in sdk/go): its go.mod and go.sum.
cp "$repo/tools/sdk-go/go.mod" "$repo/tools/sdk-go/go.sum" "$out/go/"
