#!/usr/bin/env bash
# Local stand-ins for the public images docker/compose.yaml names, for a machine that reaches the Debian
# mirror and the npm registry but no image registry (Docker Hub). Each is built from Debian bookworm packages
# and tagged with the public name, so `docker compose up --build` finds it without pulling:
#   node:20-bookworm   bookworm + build-essential + python3 + the host's Node 20 (node, npm, headers copied)
#   postgres:15        bookworm + postgresql-15 + an entrypoint honouring POSTGRES_USER/PASSWORD/DB
#   eclipse-mosquitto:2  bookworm + mosquitto + mosquitto-clients + /mosquitto-no-auth.conf
#   nats:2.10-alpine   bookworm + nats-server (Debian's 2.9) + wget; entrypoint nats-server
# They are stand-ins, not copies: enough for the compose file's commands and health checks.
# Needs root, debootstrap and a running Docker daemon. Builds run on the host network (containers on a
# bridge may have no outbound access). Usage: sudo docker/offline/build-standins.sh [workdir]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="${1:-/var/tmp/eqprop-standins}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
base=eqprop-standin/bookworm:base
mkdir -p "$work"

# one base root file system for all four images
if ! docker image inspect "$base" >/dev/null 2>&1; then
  if [ ! -x "$work/rootfs/bin/sh" ]; then
    rm -rf "$work/rootfs"
    debootstrap --variant=minbase --include=ca-certificates bookworm "$work/rootfs" "$mirror"
  fi
  rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
  tar -C "$work/rootfs" -c . | docker import -c 'CMD ["bash"]' -c 'ENV LANG=C.UTF-8' - "$base"
fi

# node: the host's binary and npm (the image only needs the Node 20 the project runs on)
node_bin="$(readlink -f "$(command -v node)")"
npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
ctx="$work/node-context"
rm -rf "$ctx" && mkdir -p "$ctx"
cp "$node_bin" "$ctx/node"
cp -a "$npm_dir" "$ctx/npm"
# the headers node-gyp compiles against (no download from nodejs.org)
node_inc="$(dirname "$(dirname "$node_bin")")/include/node"
[ -f "$node_inc/node_api.h" ] || { echo "no Node headers at $node_inc" >&2; exit 1; }
cp -a "$node_inc" "$ctx/include"
# certificate authorities the host added (e.g. an egress proxy's): npm in the image must trust them too
mkdir -p "$ctx/extra-ca"
cp /usr/local/share/ca-certificates/*.crt "$ctx/extra-ca/" 2>/dev/null || true
cp "$here/node.Dockerfile" "$ctx/Dockerfile"
docker build --network host -t node:20-bookworm "$ctx"

for img in postgres mosquitto nats; do
  case "$img" in
    postgres) tag=postgres:15 ;;
    mosquitto) tag=eclipse-mosquitto:2 ;;
    nats) tag=nats:2.10-alpine ;;
  esac
  docker build --network host -t "$tag" -f "$here/$img.Dockerfile" "$here"
done
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E '^(node:20-bookworm|postgres:15|eclipse-mosquitto:2|nats:2.10-alpine|eqprop-standin)'
