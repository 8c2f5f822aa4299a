#!/usr/bin/env bash
# Build the offline base images the examples and integration tests use in place
# of Docker Hub images (unreachable here). They are made from files already on
# this machine, so no download is needed:
#   multistage-local/busybox:1     busybox-static, every applet linked   (≈ alpine)
#   multistage-local/node:20-slim  busybox + this machine's node + libs  (≈ node:20-alpine)
#   multistage-local/node:20       Debian bookworm + build tools + node + npm (≈ node:20)
#   multistage-local/httpd:1       busybox httpd serving /usr/share/nginx/html on :80 (≈ nginx)
#   multistage-local/golang:1.26   busybox + this machine's Go toolchain (≈ golang:1.26)
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
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
add_node() { # $1: root dir; copies this machine's node (and its libraries) into it
  mkdir -p "$1/usr/local/bin"
  cp "$node_bin" "$1/usr/local/bin/node"
  for lib in $(ldd "$node_bin" | grep -o '/[^ ]*'); do
    [ -e "$1$lib" ] && continue
    mkdir -p "$1$(dirname "$lib")"
    cp -L "$lib" "$1$lib"
  done
}
add_npm() { # $1: root dir
  mkdir -p "$1/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$1/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"
}

if ! have multistage-local/node:20-slim; then
  root="$work/node-slim"
  busybox_root "$root"
  add_node "$root"
  import "$root" multistage-local/node:20-slim -c "$path_env" -c 'CMD ["node"]'
fi

# node:20 is Debian with a build toolchain (buildpack-deps) plus node and npm; the
# stand-in is the same: debootstrap of bookworm with build-essential, python3 and git,
# kept under $state/debootstrap for later runs. Without Debian's mirror, it falls
# back to busybox + node + npm (same tools for the examples, far smaller).
if ! have multistage-local/node:20; then
  debian="$state/debootstrap/bookworm"
  if [ ! -f "$debian/.complete" ] && command -v debootstrap >/dev/null; then
    log "debootstrap bookworm with build-essential, python3, git (takes a few minutes once)"
    rm -rf "$debian" && mkdir -p "$debian"
    if debootstrap --variant=minbase --include=build-essential,python3,git,ca-certificates \
      bookworm "$debian" http://deb.debian.org/debian >"$state/debootstrap.log" 2>&1; then
      rm -rf "$debian/var/cache/apt/archives/"*.deb "$debian/var/lib/apt/lists/"*
      touch "$debian/.complete"
    else
      log "debootstrap failed (see $state/debootstrap.log); using the small fallback"
    fi
  fi
  root="$work/node-full"
  if [ -f "$debian/.complete" ]; then
    mkdir -p "$root"
    cp -a "$debian/." "$root/"
    rm -f "$root/.complete"
  else
    busybox_root "$root"
  fi
  add_node "$root"
  add_npm "$root"
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
# golang:1.26 is Debian with the Go toolchain; the stand-in is busybox with this machine's
# GOROOT (cgo off, so no C toolchain is needed; GOPROXY off: the examples use the standard
# library only). Skipped, with a note, when Go is not installed.
if ! have multistage-local/golang:1.26; then
  if command -v go >/dev/null; then
    goroot=$(go env GOROOT)
    root="$work/golang"
    busybox_root "$root"
    mkdir -p "$root/usr/local/go"
    tar -C "$goroot" --exclude=./test --exclude=./api --exclude=./doc -c . | tar -C "$root/usr/local/go" -x
    import "$root" multistage-local/golang:1.26 \
      -c 'ENV PATH=/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      -c 'ENV GOTOOLCHAIN=local' -c 'ENV GOPROXY=off' -c 'ENV CGO_ENABLED=0' -c 'ENV HOME=/root' \
      -c 'WORKDIR /go' -c 'CMD ["go", "version"]'
  else
    log "Go is not installed: skipping multistage-local/golang:1.26 (the go-service example needs it)"
  fi
fi
rm -rf "$work"
