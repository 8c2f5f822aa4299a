#!/usr/bin/env bash
# Everything a newcomer needs, then the main job: install, build, start a private
# Docker engine and registry on 127.0.0.1, and build the node-service example for
# dev and production, pushed to that registry and pinned by digest.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --ignore-scripts --no-audit --no-fund
npm run build
bash scripts/docker-up.sh
npx ts-node --transpile-only scripts/build-example.ts "${1:-node-service}" dev production
