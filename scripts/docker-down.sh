#!/usr/bin/env bash
# Stop the engine and registry scripts/docker-up.sh started: exactly the PIDs it recorded.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
state=${MULTISTAGE_STATE:-$repo/.multistage}
for name in buildkitd-2 buildkitd registry dockerd; do
  pidfile="$state/$name.pid"
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    echo "[docker-down] stopped $name (pid $pid)" >&2
  fi
  rm -f "$pidfile"
done
rm -f "$state/env"
