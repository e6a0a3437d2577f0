#!/usr/bin/env bash
# Build a minimal Node runtime image offline, for machines with no container registry:
# the Node 24 binary, bash (the health checks use its /dev/tcp and /dev/udp, as they do in
# the official image, which has bash too), the shared libraries ldd lists for both, the
# dynamic loader and a minimal /etc with a non-root `node` user (uid 1000, as in the official image).
#   scripts/node-image/build.sh IMAGE:TAG
set -euo pipefail
image=${1:?usage: build.sh IMAGE:TAG}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
node_bin=$(PATH="$ROOT/.tools/node/bin:$PATH" command -v node)
case "$("$node_bin" --version)" in v24.*) ;; *) echo "build.sh: need Node 24, found $("$node_bin" --version) at $node_bin" >&2; exit 1 ;; esac

rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs"/{usr/bin,etc,tmp,home/node,app}
chmod 1777 "$rootfs/tmp"
cp "$node_bin" "$rootfs/usr/bin/node"
bash_bin=$(command -v bash)
mkdir -p "$rootfs/bin"
cp -L "$bash_bin" "$rootfs/bin/bash"
# Copy each library at the path the loader will look for it (and resolve symlinks).
for lib in $( (ldd "$node_bin"; ldd "$bash_bin") | grep -o '/[^ ]*' | sort -u); do
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
done
cat >"$rootfs/etc/passwd" <<'P'
root:x:0:0:root:/root:/usr/sbin/nologin
node:x:1000:1000::/home/node:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
P
printf 'root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
chown 1000:1000 "$rootfs/home/node"
tar -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["node"]' - "$image" >/dev/null
docker run --rm "$image" node -e 'process.stdout.write(process.version + "\n")' | grep -q '^v24\.' \
  || { echo "build.sh: $image does not run node" >&2; exit 1; }
docker run --rm "$image" bash -c 'exit 0' || { echo "build.sh: $image does not run bash" >&2; exit 1; }
echo "built $image" >&2
