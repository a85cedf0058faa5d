#!/usr/bin/env bash
# Installs the SDK as a new user would, outside the repository: `npm pack` here, then a fresh
# project (`"type": "module"`) in a temporary directory that runs `npm install <tarball>`, type-checks
# scripts/smoke/main.ts under `strict` (the SDK's declarations included: skipLibCheck off) and runs
# it with node (ESM import, resources, money; no network). `make sdk-ts-smoke` and CI run it.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$here"
tarball="$(npm pack --silent --pack-destination "$work" | tail -n 1)"
echo "packed $tarball ($(du -k "$work/$tarball" | cut -f1) KiB)"
if tar -tzf "$work/$tarball" | grep -Eq '^package/(dist/test|test|scripts|node_modules)/'; then
  echo "the tarball ships files it should not:" >&2
  tar -tzf "$work/$tarball" >&2
  exit 1
fi

mkdir "$work/app"
cp scripts/smoke/main.ts scripts/smoke/tsconfig.json "$work/app/"
cd "$work/app"
printf '{ "name": "sdk-smoke", "version": "0.0.0", "private": true, "type": "module" }\n' >package.json
npm install --no-audit --no-fund --loglevel=error "$work/$tarball"
# The compiler of the SDK's own dev dependencies: the new project needs nothing but the SDK.
"$here/node_modules/.bin/tsc" -p tsconfig.json --noEmit
"$here/node_modules/.bin/tsc" -p tsconfig.json
node main.js
echo "smoke install: ok (npm install of the tarball, strict type check, ESM run)"
