#!/usr/bin/env bash
# Build the offline base images the examples and integration tests use in place
# of Docker Hub images (unreachable here). They are made from files on this machine,
# Debian's packages (debootstrap) and, for the JVM example's plugins, Maven Central:
#   multistage-local/busybox:1     busybox-static, every applet linked   (≈ alpine)
#   multistage-local/node:20-slim  busybox + this machine's node + libs  (≈ node:20-alpine)
#   multistage-local/node:20       Debian bookworm + build tools + node + npm (≈ node:20)
#   multistage-local/httpd:1       busybox httpd serving /usr/share/nginx/html on :80 (≈ nginx)
#   multistage-local/golang:1.26   busybox + this machine's Go toolchain (≈ golang:1.26)
#   multistage-local/composer:2    Debian bookworm + php8.2-cli, php8.2-fpm, composer (≈ composer:2)
#   multistage-local/php:8.2-fpm-slim  busybox + that PHP's php-fpm and extensions (≈ php:8.2-fpm-alpine)
#   multistage-local/maven:3-jdk17 busybox + this machine's OpenJDK 17 + Maven + a local repository
#                                  with the JVM example's plugins (≈ maven:3.9-eclipse-temurin-17)
#   multistage-local/jre:17-slim   busybox + a jlink-made Java runtime (≈ eclipse-temurin:17-jre-alpine)
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
add_libs() { # $1: root dir, rest: ELF files; copies the shared libraries they load into the root
  local root=$1 lib
  shift
  for lib in $(for f in "$@"; do ldd "$f" 2>/dev/null | grep -o '/[^ ]*' || true; done | sort -u); do
    [ -e "$root$lib" ] && continue
    case $lib in "$root"/*) continue ;; esac
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}
add_node() { # $1: root dir; copies this machine's node (and its libraries) into it
  mkdir -p "$1/usr/local/bin"
  cp "$node_bin" "$1/usr/local/bin/node"
  add_libs "$1" "$node_bin"
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

# The PHP example (seed 003's Laravel app). composer:2 is PHP's CLI with Composer; the
# stand-in is Debian bookworm (debootstrap, kept under $state/debootstrap like node:20's) with
# php8.2-cli, php8.2-fpm, composer and unzip. php:8.2-fpm-alpine is PHP-FPM on a small base;
# the stand-in is busybox with that root's php and php-fpm, their extensions (not intl, whose
# ICU data is 30 MB and which the official image does not ship), the libraries they load, and
# the official image's FPM settings (foreground, listen on 9000, logs to stderr, www-data).
# Skipped, with a note, without debootstrap or Debian's mirror.
if ! have multistage-local/composer:2 || ! have multistage-local/php:8.2-fpm-slim; then
  php_root="$(cd "$state" && pwd)/debootstrap/bookworm-php"
  if [ ! -f "$php_root/.complete" ] && command -v debootstrap >/dev/null; then
    log "debootstrap bookworm with php8.2-cli, php8.2-fpm, composer (about a minute once)"
    rm -rf "$php_root" && mkdir -p "$php_root"
    if debootstrap --variant=minbase --include=php8.2-cli,php8.2-fpm,composer,unzip \
      bookworm "$php_root" http://deb.debian.org/debian >"$state/debootstrap-php.log" 2>&1; then
      rm -rf "$php_root/var/cache/apt/archives/"*.deb "$php_root/var/lib/apt/lists/"*
      touch "$php_root/.complete"
    else
      log "debootstrap failed (see $state/debootstrap-php.log)"
    fi
  fi
  if [ -f "$php_root/.complete" ]; then
    if ! have multistage-local/composer:2; then
      root="$work/composer"
      mkdir -p "$root"
      cp -a "$php_root/." "$root/"
      rm -f "$root/.complete"
      import "$root" multistage-local/composer:2 -c "$path_env" -c 'ENV COMPOSER_HOME=/tmp' \
        -c 'ENV COMPOSER_ALLOW_SUPERUSER=1' -c 'WORKDIR /app' -c 'CMD ["composer"]'
    fi
    if ! have multistage-local/php:8.2-fpm-slim; then
      root="$work/php-fpm"
      busybox_root "$root"
      ext=$(chroot "$php_root" php8.2 -r 'echo ini_get("extension_dir");')
      mkdir -p "$root/usr/local/bin" "$root/usr/local/sbin" "$root/usr/bin" "$root/usr/sbin" "$root$ext" \
        "$root/etc/php/8.2" "$root/run/php" "$root/var/www/html"
      cp "$php_root/usr/bin/php8.2" "$root/usr/bin/php8.2"
      cp "$php_root/usr/sbin/php-fpm8.2" "$root/usr/sbin/php-fpm8.2"
      ln -s /usr/bin/php8.2 "$root/usr/local/bin/php"
      ln -s /usr/sbin/php-fpm8.2 "$root/usr/local/sbin/php-fpm"
      for so in "$php_root$ext"/*.so; do
        case $(basename "$so") in intl.so) continue ;; esac
        cp "$so" "$root$ext/"
      done
      # conf.d holds absolute links into mods-available, which resolve inside the image.
      for dir in cli fpm mods-available; do cp -a "$php_root/etc/php/8.2/$dir" "$root/etc/php/8.2/"; done
      rm -f "$root/etc/php/8.2/"*/conf.d/*intl.ini "$root/etc/php/8.2/mods-available/intl.ini"
      # The libraries, as the Debian root resolves them (its ldd, in its own tree).
      for lib in $(for f in /usr/bin/php8.2 /usr/sbin/php-fpm8.2 "$root$ext"/*.so; do
        chroot "$php_root" ldd "${f#"$root"}" | grep -o '/[^ ]*' || true; done | sort -u); do
        [ -e "$root$lib" ] && continue
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$php_root$lib" "$root$lib"
      done
      # Debian's PHP reads the system time zone database.
      [ -d "$php_root/usr/share/zoneinfo" ] && mkdir -p "$root/usr/share" && cp -a "$php_root/usr/share/zoneinfo" "$root/usr/share/"
      printf 'www-data:x:33:33:www-data:/var/www:/bin/false\n' >>"$root/etc/passwd"
      printf 'www-data:x:33:\n' >>"$root/etc/group"
      printf '[global]\nerror_log = /proc/self/fd/2\ndaemonize = no\n\n[www]\nlisten = 9000\nuser = www-data\ngroup = www-data\naccess.log = /proc/self/fd/2\nclear_env = no\ncatch_workers_output = yes\n' \
        >"$root/etc/php/8.2/fpm/pool.d/zz-docker.conf"
      chown 33:33 "$root/var/www/html"
      import "$root" multistage-local/php:8.2-fpm-slim -c "$path_env" -c 'WORKDIR /var/www/html' \
        -c 'EXPOSE 9000' -c 'CMD ["php-fpm"]'
    fi
  else
    log "no Debian root with PHP: skipping multistage-local/composer:2 and multistage-local/php:8.2-fpm-slim (the php-laravel example needs them)"
  fi
fi

# The JVM example (seed 004). maven:3-eclipse-temurin-17 is a JDK with Maven; the stand-in
# is busybox with this machine's OpenJDK 17 and Maven, plus a local repository holding the
# Maven Central artifacts the example's build needs, fetched here once (a build has no
# network, so it runs `mvn -o`). eclipse-temurin:17-jre-alpine is a JRE on a small base;
# the stand-in is busybox with a Java runtime that jlink makes from the same JDK (java.se
# and the JDK's HTTP server, no debug symbols, man pages or headers). Skipped, with a note,
# when the JDK, Maven or Maven Central is missing.
jdk=/usr/lib/jvm/java-17-openjdk-amd64
jvm_app="$(cd "$(dirname "$0")/.." && pwd)/examples/jvm-service/app"
jdk_elves() { # the JDK's programs and the libraries a headless JVM loads
  find -L "$1" -type f \( -path "$1/bin/*" -o -name '*.so' \) \
    ! -name 'libawt_xawt.so' ! -name 'libjawt.so' ! -name 'libsplashscreen.so' ! -name 'libatk-wrapper.so' 2>/dev/null
}
if ! have multistage-local/maven:3-jdk17; then
  if [ -x "$jdk/bin/javac" ] && command -v mvn >/dev/null; then
    root="$work/maven"
    busybox_root "$root"
    mkdir -p "$root/opt/java" "$root/usr/share/maven" "$root/root/.m2"
    (cd "$jdk" && tar -c --dereference --exclude=./lib/src.zip --exclude=./man --exclude=./docs . 2>/dev/null) |
      tar -C "$root/opt/java" -x
    cp -rL /usr/share/maven/. "$root/usr/share/maven/"
    ln -s ../../usr/share/maven/bin/mvn "$root/usr/bin/mvn" 2>/dev/null || ln -sf /usr/share/maven/bin/mvn "$root/usr/bin/mvn"
    add_libs "$root" $(jdk_elves "$root/opt/java")
    # Fetch what the example's build needs (plugins, JUnit, Surefire's provider) by building
    # a copy of it here, with a repository of its own.
    cp -r "$jvm_app" "$work/jvm-app" && rm -rf "$work/jvm-app/target"
    if mvn -B -q -Dmaven.repo.local="$root/root/.m2/repository" -f "$work/jvm-app/pom.xml" \
      dependency:go-offline package >"$state/maven-fetch.log" 2>&1; then
      find "$root/root/.m2/repository" -name '_remote.repositories' -delete
      import "$root" multistage-local/maven:3-jdk17 \
        -c 'ENV JAVA_HOME=/opt/java' -c 'ENV MAVEN_HOME=/usr/share/maven' \
        -c 'ENV PATH=/opt/java/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        -c 'ENV HOME=/root' -c 'CMD ["mvn", "--version"]'
    else
      log "Maven could not fetch the JVM example's plugins (see $state/maven-fetch.log): skipping multistage-local/maven:3-jdk17"
    fi
  else
    log "OpenJDK 17 or Maven is not installed: skipping multistage-local/maven:3-jdk17 (the jvm-service example needs it)"
  fi
fi
if ! have multistage-local/jre:17-slim; then
  if [ -x "$jdk/bin/jlink" ] && [ -d "$jdk/jmods" ]; then
    root="$work/jre"
    busybox_root "$root"
    mkdir -p "$root/opt"
    "$jdk/bin/jlink" --module-path "$jdk/jmods" --add-modules java.se,jdk.httpserver,jdk.unsupported,jdk.crypto.ec,jdk.zipfs \
      --strip-debug --no-man-pages --no-header-files --compress=2 --output "$root/opt/java"
    add_libs "$root" $(jdk_elves "$root/opt/java")
    import "$root" multistage-local/jre:17-slim -c 'ENV JAVA_HOME=/opt/java' \
      -c 'ENV PATH=/opt/java/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' -c 'CMD ["java", "-version"]'
  else
    log "no jlink or jmods in $jdk: skipping multistage-local/jre:17-slim (the jvm-service example needs it)"
  fi
fi
rm -rf "$work"
