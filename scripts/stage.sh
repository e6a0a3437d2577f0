#!/usr/bin/env bash
# Stage what the images copy: the tsc build (dist/) and production-only node_modules,
# into .build/image/. Nothing is downloaded inside `docker build` (no registry reaches
# containers on our machines); npm runs here, on the host.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
[ -x .tools/node/bin/node ] && export PATH="$ROOT/.tools/node/bin:$PATH"
out=.build/image
mkdir -p "$out"
rm -rf dist && npx tsc -p tsconfig.build.json
want=$( (sha256sum package-lock.json; node --version) | sha256sum | cut -d' ' -f1)
if [ ! -f "$out/node_modules/.netlab-lock-hash" ] || [ "$(cat "$out/node_modules/.netlab-lock-hash")" != "$want" ]; then
  cp package.json package-lock.json "$out/"
  (cd "$out" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$want" >"$out/node_modules/.netlab-lock-hash"
fi
cp package.json "$out/package.json"
rm -rf "$out/dist" && cp -r dist "$out/dist"
# the faults service's shipped proxies (FAULTS_CONFIG in its image): JSON, which tsc does not copy
cp services/faults/proxies.json "$out/dist/services/faults/proxies.json"
# an empty directory the RPC image copies to /data (owned by uid 1000) for its store volume
mkdir -p "$out/empty-dir"
# the containers' health checks (bash, no Node process: scripts/healthcheck.sh)
cp scripts/healthcheck.sh "$out/healthcheck.sh"
