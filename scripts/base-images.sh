#!/usr/bin/env bash
# Build the offline base images the examples and integration tests use in place
# of Docker Hub images (unreachable here). They are made from files already on
# this machine, so no download is needed:
#   multistage-local/busybox:1     busybox-static, every applet linked   (≈ alpine)
#   multistage-local/node:20-slim  busybox + this machine's node + libs  (≈ node:20-alpine)
#   multistage-local/node:20       the slim image + npm + corepack       (≈ node:20)
#   multistage-local/httpd:1       busybox httpd serving /usr/share/nginx/html on :80 (≈ nginx)
#   busybox:1.36-musl              a second name for the busybox image, for COPY --from
# Usage: base-images.sh <docker-cli> <state-dir>. Skips images that already exist.
set -euo pipefail
docker_cli=$1
state=$2
work="$state/rootfs"
log() { printf '[base-images] %s\n' "$*" >&2; }
have() { "$docker_cli" image inspect "$1" >/dev/null 2>&1; }

busybox_root() { # $1: dir
  mkdir -p "$1/bin" "$1/sbin" "$1/usr/bin" "$1/usr/sbin" "$1/tmp" "$1/etc" "$1/root"
  chmod 1777 "$1/tmp"
  cp /bin/busybox "$1/bin/busybox"
  for applet in $(/bin/busybox --list-full); do
    [ -e "$1/$applet" ] || ln -s /bin/busybox "$1/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$1/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$1/etc/group"
}

import() { # $1: dir, $2: tag, rest: --change options
  local dir=$1 tag=$2
  shift 2
  tar -C "$dir" -c . | "$docker_cli" import "$@" - "$tag" >/dev/null
  log "built $tag"
}

path_env='ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
rm -rf "$work"

if ! have multistage-local/busybox:1; then
  busybox_root "$work/busybox"
  import "$work/busybox" multistage-local/busybox:1 -c "$path_env" -c 'CMD ["sh"]'
fi

node_bin=$(readlink -f "$(command -v node)")
if ! have multistage-local/node:20-slim || ! have multistage-local/node:20; then
  root="$work/node"
  busybox_root "$root"
  mkdir -p "$root/usr/local/bin"
  cp "$node_bin" "$root/usr/local/bin/node"
  # the dynamic libraries node links against, at the paths the loader expects
  for lib in $(ldd "$node_bin" | grep -o '/[^ ]*'); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  import "$root" multistage-local/node:20-slim -c "$path_env" -c 'CMD ["node"]'
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  mkdir -p "$root/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  import "$root" multistage-local/node:20 -c "$path_env" -c 'CMD ["node"]'
fi

# Docker Hub's busybox:1.36-musl is a static busybox build, like Debian's busybox-static:
# the examples copy from it by that name (COPY --from= takes no build arg).
have busybox:1.36-musl || "$docker_cli" tag multistage-local/busybox:1 busybox:1.36-musl

if ! have multistage-local/httpd:1; then
  busybox_root "$work/httpd"
  mkdir -p "$work/httpd/usr/share/nginx/html"
  echo 'stand-in web server' >"$work/httpd/usr/share/nginx/html/index.html"
  import "$work/httpd" multistage-local/httpd:1 -c "$path_env" -c 'EXPOSE 80' \
    -c 'CMD ["httpd", "-f", "-p", "80", "-h", "/usr/share/nginx/html"]'
fi
rm -rf "$work"
