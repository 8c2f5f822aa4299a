#!/bin/sh
# Tests for src/hello.sh, run in the builder image.
set -e
out=$(sh /out/app/hello.sh)
case "$out" in
  "hello from a scratch image, version "*) echo "ok - greeting: $out" ;;
  *) echo "not ok - unexpected output: $out"; exit 1 ;;
esac
