#!/bin/sh
# The app: prints a greeting and its version.
dir=$(dirname "$0")
echo "hello from a scratch image, version $(cat "$dir/VERSION")"
