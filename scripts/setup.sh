#!/usr/bin/env bash
# Fresh-machine setup for sdp, idempotent: every step checks first and does nothing when done.
# Called by both README commands (scripts/demo.sh and scripts/test.sh).
#   --browser   also make sure Debian's chromium is installed (browser tests)
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=0
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=1 ;;
    *) echo "setup: unknown option $arg" >&2; exit 2 ;;
  esac
done

source scripts/color.sh
say() { printf '%s[setup]%s %s\n' "$BOLD" "$RESET" "$*"; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

is_debian_root() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }

apt_updated=0
apt_install() {
  is_debian_root || die "please install: $* (Debian/Ubuntu: sudo apt-get install -y $*)"
  if [ "$apt_updated" = 0 ]; then apt-get update -q >/dev/null; apt_updated=1; fi
  say "installing $* (apt)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
}

# --- npm dependencies ---------------------------------------------------------------------------
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies (better-sqlite3 compiles from source: about a minute)"
  npm ci --no-audit --no-fund --loglevel=error
fi

# --- Docker engine ------------------------------------------------------------------------------
docker_ok() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }
if ! docker_ok; then
  command -v dockerd >/dev/null 2>&1 || apt_install docker.io
  command -v docker >/dev/null 2>&1 || die "the docker client is missing: install docker.io (or Docker Engine)"
  if [ "$(id -u)" = 0 ] && command -v dockerd >/dev/null 2>&1; then
    if ! pgrep -x dockerd >/dev/null 2>&1; then
      say "starting dockerd in the background (log: /var/log/sdp-dockerd.log)"
      setsid nohup dockerd >/var/log/sdp-dockerd.log 2>&1 < /dev/null &
    fi
    for _ in $(seq 1 120); do docker_ok && break; sleep 0.5; done
  fi
  docker_ok || die "no Docker engine answers on /var/run/docker.sock. Start Docker (sudo systemctl start docker) or see /var/log/sdp-dockerd.log"
fi

# --- offline base images ------------------------------------------------------------------------
# No registry is reachable, so the images the demo and tests run are built from Debian packages.
# Each carries the recipe version as a label; bump it when a recipe changes.
RECIPE=1
image_current() {
  [ "$(docker image inspect -f '{{index .Config.Labels "sdp.recipe"}}' "$1" 2>/dev/null)" = "$RECIPE" ]
}
# ldd fails on a static binary, which is the one that runs in an empty rootfs
have_static_busybox() { [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; }
busybox_rootfs() {  # $1: target dir; a minimal userland: busybox with every applet linked
  local root=$1
  mkdir -p "$root"/{bin,etc,tmp,www,src} && chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"; done
  echo 'root:x:0:0:root:/:/bin/sh' > "$root/etc/passwd"
  echo 'root:x:0:' > "$root/etc/group"
  echo 'nobody:x:65534:65534:nobody:/:/bin/false' >> "$root/etc/passwd"
}

if ! image_current sdp/busybox:local; then
  have_static_busybox || apt_install busybox-static
  say "building image sdp/busybox:local from Debian's busybox-static"
  tmp=$(mktemp -d); busybox_rootfs "$tmp"
  tar -C "$tmp" -c . | docker import \
    -c 'ENV PATH=/bin' -c 'CMD ["/bin/sh"]' -c "LABEL sdp.recipe=$RECIPE" - sdp/busybox:local >/dev/null
  rm -rf "$tmp"
fi

# A Caddy image built the way the official `caddy:2` is (Alpine-like userland, /etc/caddy/Caddyfile
# serving :80, XDG dirs /config and /data, default command `caddy run` on that Caddyfile), with
# nothing sdp-specific inside: the gateway must work with what users pull from their registry.
# Tagged caddy:2 only when no real caddy:2 is there (an image without our recipe label is kept).
CADDY_IMAGE=caddy:2
caddy_is_foreign() {
  docker image inspect "$CADDY_IMAGE" >/dev/null 2>&1 \
    && [ -z "$(docker image inspect -f '{{index .Config.Labels "sdp.recipe"}}' "$CADDY_IMAGE")" ]
}
if ! caddy_is_foreign && ! image_current "$CADDY_IMAGE"; then
  command -v caddy >/dev/null 2>&1 || apt_install caddy
  have_static_busybox || apt_install busybox-static
  say "building image $CADDY_IMAGE from Debian's caddy, laid out like the official image"
  tmp=$(mktemp -d); busybox_rootfs "$tmp"
  caddy_bin=$(command -v caddy)
  mkdir -p "$tmp/usr/bin" "$tmp/etc/caddy" "$tmp/usr/share/caddy" "$tmp/data/caddy" "$tmp/config/caddy" "$tmp/srv"
  cp "$caddy_bin" "$tmp/usr/bin/caddy"
  # the binary needs its shared libraries (libc, libzstd) and the loader, at the same paths
  for lib in $(ldd "$caddy_bin" | grep -o '/[^ ]*'); do mkdir -p "$tmp$(dirname "$lib")"; cp -L "$lib" "$tmp$lib"; done
  # the official image's default site: a welcome page on :80
  printf ':80 {\n\troot * /usr/share/caddy\n\tfile_server\n}\n' > "$tmp/etc/caddy/Caddyfile"
  echo '<!doctype html><title>Caddy works!</title><h1>Caddy works!</h1>' > "$tmp/usr/share/caddy/index.html"
  tar -C "$tmp" -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV XDG_CONFIG_HOME=/config' -c 'ENV XDG_DATA_HOME=/data' \
    -c 'EXPOSE 80' -c 'EXPOSE 443' -c 'EXPOSE 443/udp' -c 'EXPOSE 2019' -c 'WORKDIR /srv' \
    -c 'CMD ["caddy","run","--config","/etc/caddy/Caddyfile","--adapter","caddyfile"]' \
    -c "LABEL sdp.recipe=$RECIPE" - "$CADDY_IMAGE" >/dev/null
  rm -rf "$tmp"
fi

# --- promtool, which checks /metrics in the tests -------------------------------------------------
# Only the promtool binary out of Debian's prometheus package: installing the package itself would
# also add a system user and start a Prometheus server, neither of which sdp wants.
if ! command -v promtool >/dev/null 2>&1; then
  if is_debian_root; then
    if [ "$apt_updated" = 0 ]; then apt-get update -q >/dev/null; apt_updated=1; fi
    say "installing promtool (the binary only, from Debian's prometheus package)"
    tmp=$(mktemp -d)
    (cd "$tmp" && apt-get download -q prometheus >/dev/null 2>&1) || die "apt-get download prometheus failed (promtool is needed by the metrics test)"
    dpkg-deb --fsys-tarfile "$tmp"/prometheus_*.deb | tar -x -C "$tmp" ./usr/bin/promtool
    install -m 0755 "$tmp/usr/bin/promtool" /usr/local/bin/promtool
    rm -rf "$tmp"
  else
    say "promtool not found: the metrics check will be skipped (put promtool from a Prometheus release on PATH)"
  fi
fi

# --- browser for UI tests -----------------------------------------------------------------------
if [ "$want_browser" = 1 ] && [ ! -x /usr/bin/chromium ]; then
  apt_install chromium
fi

# --- UI, built static and served by the reconciler ----------------------------------------------
if [ -f ui/svelte.config.js ]; then
  newest_src=$(find ui/src ui/static ui/svelte.config.js ui/vite.config.ts -newer ui/build/index.html 2>/dev/null | head -1 || true)
  if [ ! -f ui/build/index.html ] || [ -n "$newest_src" ]; then
    say "building the UI"
    npm run --silent build:ui >/dev/null
  fi
fi

# --- the CLI, compiled (bin/sdp.js also rebuilds it when a source changed) ----------------------
node scripts/build-cli.js

say "ready: docker $(docker version --format '{{.Server.Version}}'), images sdp/busybox:local $CADDY_IMAGE"
