#!/usr/bin/env bash
# Build the bench's two non-Node images offline, from Debian's own binaries on the host
# (no registry, nothing downloaded inside docker):
#   netlab-netperf:TAG  iperf3 and sockperf (the network-limit steps of `make bench`)
#   netlab-pybase:TAG   Debian's python3 (3.11 on bookworm) and the stdlib it needs, running the Python
#                       baselines (bench/baselines/python/: pyrpc.py, seeds.py, flaskdata.py), plus
#                       Debian's python3-flask, python3-httpbin and gunicorn (the seed 000 Flask
#                       server and httpbin under gunicorn), copied from /usr/lib/python3/dist-packages
# Each image is a folder holding the binaries, the shared libraries ldd lists, the loader and
# a minimal /etc (uid 1000 user), fed to `docker import`, as scripts/node-image/build.sh does.
# Idempotent: installs the Debian packages only when missing, and skips an image whose
# `netlab.inputs` label already matches the hash of its inputs. Where the packages cannot be
# installed (not Debian, or not root) it says so and builds nothing: `make bench` then runs
# without the network-limit steps and the Python baselines, and says which are missing.
#   scripts/bench-images/build.sh            both images, tag ${NETLAB_TAG:-dev}
#   scripts/bench-images/build.sh --force    rebuild even when the hash matches
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TAG=${NETLAB_TAG:-dev}
FORCE=${1:-}

say() { printf '\033[1mbench-images:\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31mbench-images: %s\033[0m\n' "$*" >&2; exit 1; }

# --- Debian packages (only when missing, as scripts/setup.sh does) -------------------------
missing=()
[ -x /usr/bin/iperf3 ] || missing+=(iperf3)
[ -x /usr/bin/sockperf ] || missing+=(sockperf)
[ -x /usr/bin/python3 ] || missing+=(python3)
[ -d /usr/lib/python3/dist-packages/flask ] || missing+=(python3-flask)
[ -d /usr/lib/python3/dist-packages/httpbin ] || missing+=(python3-httpbin)
[ -d /usr/lib/python3/dist-packages/gunicorn ] || missing+=(gunicorn)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    say "note: ${missing[*]} not installed (needs Debian's packages and root): the bench images are not built"
    exit 0
  fi
  say "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # iperf3's debconf question (start a daemon?) defaults to no under noninteractive.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- helpers -------------------------------------------------------------------------------
# copy_with_libs ROOTFS FILE...: each file at its own path, plus every library ldd lists for it
# at the path the loader looks for it (symlinks resolved).
copy_with_libs() {
  local rootfs=$1 f lib
  shift
  for f in "$@"; do
    mkdir -p "$rootfs$(dirname "$f")"
    cp -L "$f" "$rootfs$f"
    for lib in $(ldd "$f" | grep -o '/[^ ]*'); do
      [ -e "$rootfs$lib" ] && continue
      mkdir -p "$rootfs$(dirname "$lib")"
      cp -L "$lib" "$rootfs$lib"
    done
  done
}

# minimal_etc ROOTFS USER: passwd/group with root, USER (uid 1000) and nobody; name lookups
# through files and Docker's DNS.
minimal_etc() {
  local rootfs=$1 user=$2
  mkdir -p "$rootfs"/{etc,tmp,home/"$user"}
  chmod 1777 "$rootfs/tmp"
  printf 'root:x:0:0:root:/root:/usr/sbin/nologin\n%s:x:1000:1000::/home/%s:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' \
    "$user" "$user" >"$rootfs/etc/passwd"
  printf 'root:x:0:\n%s:x:1000:\nnogroup:x:65534:\n' "$user" >"$rootfs/etc/group"
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
  chown 1000:1000 "$rootfs/home/$user"
}

# up_to_date IMAGE HASH: the image exists and was built from these inputs.
up_to_date() {
  [ "$FORCE" != --force ] || return 1
  [ "$(docker image inspect -f '{{ index .Config.Labels "netlab.inputs" }}' "$1" 2>/dev/null || true)" = "$2" ]
}

# import_rootfs ROOTFS IMAGE HASH CHANGE...: tar the folder into a local image with the label.
import_rootfs() {
  local rootfs=$1 image=$2 hash=$3
  shift 3
  local changes=(--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    --change "LABEL netlab.inputs=$hash" --change 'USER 1000:1000')
  local c
  for c in "$@"; do changes+=(--change "$c"); done
  tar -C "$rootfs" -c . | docker import "${changes[@]}" - "$image" >/dev/null
}

# --- netlab-netperf: iperf3 + sockperf -----------------------------------------------------
# sockperf takes an IP with -i but resolves names in a feed file (-f), so the client's feed
# files name the compose service; the server's feed serves TCP and UDP on one port in one process.
build_netperf() {
  local image=netlab-netperf:$TAG hash rootfs
  hash=$( (echo netperf-v1; sha256sum "${BASH_SOURCE[0]}" /usr/bin/iperf3 /usr/bin/sockperf;
    dpkg-query -W -f '${Version}\n' iperf3 sockperf 2>/dev/null || true) | sha256sum | cut -c1-16)
  if up_to_date "$image" "$hash"; then say "$image is up to date"; return 0; fi
  rootfs=$(mktemp -d)
  copy_with_libs "$rootfs" /usr/bin/iperf3 /usr/bin/sockperf
  minimal_etc "$rootfs" netperf
  mkdir -p "$rootfs/etc/sockperf"
  printf 'T:0.0.0.0:11111\nU:0.0.0.0:11111\n' >"$rootfs/etc/sockperf/server.feed"
  printf 'T:netperf-sockperf:11111\n' >"$rootfs/etc/sockperf/tcp.feed"
  printf 'U:netperf-sockperf:11111\n' >"$rootfs/etc/sockperf/udp.feed"
  import_rootfs "$rootfs" "$image" "$hash" 'WORKDIR /tmp' 'CMD ["iperf3", "--version"]'
  rm -rf "$rootfs"
  docker run --rm --network none "$image" iperf3 --version | grep -q '^iperf 3' \
    || die "$image does not run iperf3"
  docker run --rm --network none "$image" sockperf --version 2>&1 | grep -q 'version' \
    || die "$image does not run sockperf"
  say "built $image"
}

# --- netlab-pybase: python3.11 + stdlib + the Python baselines -------------------------------
build_pybase() {
  local image=netlab-pybase:$TAG hash rootfs ver
  ver=$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  local python=/usr/bin/python$ver lib=/usr/lib/python$ver
  local scripts=("$ROOT"/bench/baselines/python/*.py) dist=/usr/lib/python3/dist-packages
  hash=$( (echo pybase-v2; sha256sum "${BASH_SOURCE[0]}" "${scripts[@]}" "$python";
    dpkg-query -W -f '${Version}\n' "python$ver" "libpython$ver-stdlib" python3-flask python3-httpbin \
      gunicorn 2>/dev/null || true) | sha256sum | cut -c1-16)
  if up_to_date "$image" "$hash"; then say "$image is up to date"; return 0; fi
  rootfs=$(mktemp -d)
  copy_with_libs "$rootfs" "$python"
  ln -s "python$ver" "$rootfs/usr/bin/python3"
  # The stdlib minus what a server never imports (tests, GUI, installers, caches): about half of its 54 MB.
  mkdir -p "$rootfs$lib"
  tar -C "$lib" -c \
    --exclude=./test --exclude=./idlelib --exclude=./tkinter --exclude=./turtledemo \
    --exclude=./ensurepip --exclude=./lib2to3 --exclude=./pydoc_data --exclude=./distutils \
    --exclude='./config-*' --exclude=./sitecustomize.py \
    --exclude='__pycache__' --exclude='./lib-dynload/_test*' --exclude='./lib-dynload/xx*' . \
    | tar -C "$rootfs$lib" -x
  copy_with_libs "$rootfs" "$lib"/lib-dynload/*.so
  # Flask, httpbin and gunicorn: the top-level entries of dist-packages that importing them
  # (and gunicorn's gthread worker) loads, with their .dist-info/.egg-info (entry points).
  local tops
  tops=$("$python" - <<'PY'
import sys
import flask, httpbin, httpbin.core, gunicorn.app.wsgiapp, gunicorn.workers.gthread, gunicorn.glogging
D = "/usr/lib/python3/dist-packages/"
tops = {f[len(D):].split("/")[0] for f in (getattr(m, "__file__", None) or "" for m in list(sys.modules.values())) if f.startswith(D)}
print("\n".join(sorted(tops)))
PY
  ) || die "Debian's python3-flask, python3-httpbin or gunicorn does not import"
  mkdir -p "$rootfs$dist"
  local top info
  for top in $tops; do
    cp -a "$dist/$top" "$rootfs$dist/"
    for info in "$dist/${top%%.*}"-*.dist-info "$dist/${top%%.*}"-*.egg-info; do
      [ -e "$info" ] && cp -a "$info" "$rootfs$dist/"
    done
  done
  find "$rootfs$dist" -name __pycache__ -prune -exec rm -rf {} +
  # C extensions among them (markupsafe, brotli) and the libraries they link
  local so
  while IFS= read -r so; do copy_with_libs "$rootfs" "$so"; done < <(find "$dist" -name '*.so' -path "$dist/*" \
    | grep -F -f <(printf '%s/%s\n' "$dist" $tops) || true)
  minimal_etc "$rootfs" python
  mkdir -p "$rootfs/app"
  cp "${scripts[@]}" "$rootfs/app/"
  import_rootfs "$rootfs" "$image" "$hash" 'WORKDIR /app' 'ENV PYTHONDONTWRITEBYTECODE=1' \
    'ENV PYTHONUNBUFFERED=1' 'CMD ["python3", "/app/pyrpc.py"]'
  rm -rf "$rootfs"
  docker run --rm --network none "$image" python3 -c \
    'import xmlrpc.server, xmlrpc.client, multiprocessing.connection, pickle, hmac, threading, socketserver, flask, httpbin, gunicorn.app.wsgiapp, gunicorn.workers.gthread; print("ok")' \
    | grep -qx ok || die "$image cannot import its baselines' modules"
  say "built $image"
}

command -v docker >/dev/null && docker info >/dev/null 2>&1 || die "the Docker engine is not answering (run scripts/setup.sh)"
build_netperf
build_pybase
