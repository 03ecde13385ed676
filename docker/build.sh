#!/usr/bin/env bash
# Builds the sdp image for docker-compose.yml without any registry: no node base image can be pulled
# here, so the base (sdp/runtime:local) is a root filesystem assembled from this machine's own node,
# git and busybox, imported with `docker import`; docker/Dockerfile then adds the project on top.
#   bash docker/build.sh      -> sdp/runtime:local, sdp/sdp:local
# Idempotent: the base is rebuilt only when its recipe changes; the project layer on every run.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/color.sh
say() { printf '%s[docker]%s %s\n' "$BOLD" "$RESET" "$*"; }
die() { printf '[docker] error: %s\n' "$*" >&2; exit 1; }

RECIPE=1
base_current() {
  [ "$(docker image inspect -f '{{index .Config.Labels "sdp.recipe"}}' sdp/runtime:local 2>/dev/null)" = "$RECIPE" ]
}

# copies an ELF binary's shared libraries (and the loader) into the rootfs at the same paths
copy_libs() {
  local root=$1 bin=$2 lib
  for lib in $(ldd "$bin" 2>/dev/null | grep -o '/[^ ]*' || true); do
    [ -e "$root$lib" ] && continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}

if ! base_current; then
  node_bin=$(command -v node) || die "node is missing"
  git_bin=$(command -v git) || die "git is missing"
  [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || die "a static busybox is missing (apt-get install busybox-static, or run scripts/setup.sh)"
  git_core=$("$git_bin" --exec-path)
  say "building sdp/runtime:local from this machine's node $("$node_bin" --version), $("$git_bin" --version) and busybox"
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
  mkdir -p "$root"/{bin,usr/bin,etc,tmp,data,opt/sdp} && chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"; done
  cp "$node_bin" "$root/usr/bin/node" && copy_libs "$root" "$node_bin"
  cp "$git_bin" "$root/usr/bin/git" && copy_libs "$root" "$git_bin"
  mkdir -p "$root$git_core" && cp -a "$git_core/." "$root$git_core/"
  for f in "$root$git_core"/*; do [ -f "$f" ] && [ ! -L "$f" ] && copy_libs "$root" "${f#"$root"}"; done
  [ -d /usr/share/git-core/templates ] && mkdir -p "$root/usr/share/git-core" && cp -a /usr/share/git-core/templates "$root/usr/share/git-core/"
  # https git remotes need the CA bundle; the rest of /etc is written here
  [ -d /etc/ssl/certs ] && mkdir -p "$root/etc/ssl" && cp -aL /etc/ssl/certs "$root/etc/ssl/"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
  printf 'hosts: files dns\n' > "$root/etc/nsswitch.conf"
  mkdir -p "$root/root"
  tar -C "$root" -c . | docker import \
    -c 'ENV PATH=/usr/bin:/bin' -c 'ENV HOME=/root' -c 'WORKDIR /opt/sdp' \
    -c "LABEL sdp.recipe=$RECIPE" - sdp/runtime:local >/dev/null
  rm -rf "$root"; trap - EXIT
fi

node scripts/build-cli.js   # the compiled CLI the image runs (dist/cli), when stale
[ -f ui/build/index.html ] || die "ui/build is missing: run 'npm run setup' (or 'npm run build:ui') first"
say "building sdp/sdp:local (docker/Dockerfile)"
docker build -q -f docker/Dockerfile -t sdp/sdp:local . >/dev/null
say "ready: $(docker run --rm sdp/sdp:local --version | tr -d '\n') in sdp/sdp:local"
