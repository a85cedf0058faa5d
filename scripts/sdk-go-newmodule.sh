#!/usr/bin/env bash
# A new user's first Go project, against a fresh clone of this repository's commit (HEAD, or the
# one given): a module outside the repository that requires the SDK
# (github.com/minicrm/crm/sdk/go/crmsdk) through a replace directive to the clone, with the
# program of sdk/go/crmsdk/internal/newuser. It builds and vets offline (GOPROXY=off: only the
# module cache) and runs against a live service (scripts/with-service.sh, or CRM_BASE_URL).
#
# Usage: scripts/sdk-go-newmodule.sh [commit]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rev="${1:-HEAD}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

git clone -q "$root" "$work/crm"
git -C "$work/crm" checkout -q --detach "$rev"
echo "SDK from a fresh clone at $(git -C "$work/crm" rev-parse --short HEAD)"

mkdir "$work/app"
goversion="$(sed -n 's/^go //p' "$work/crm/go.mod")"
cat >"$work/app/go.mod" <<MOD
module example.com/crmuser

go $goversion

require github.com/minicrm/crm v0.0.0-00010101000000-000000000000

replace github.com/minicrm/crm => $work/crm
MOD
# The checksums of the SDK's dependencies, as the repository has them: go takes the program's from
# here instead of asking the checksum database.
cp "$work/crm/go.sum" "$work/app/go.sum"
cp "$work/crm/sdk/go/crmsdk/internal/newuser/main.go" "$work/app/main.go"

export GOFLAGS=-mod=mod GOPROXY=off GOWORK=off GOTOOLCHAIN=local
(cd "$work/app" && go build -o crmuser . && go vet .)
echo "built and vetted example.com/crmuser"
unset GOFLAGS GOPROXY GOWORK
"$root/scripts/with-service.sh" "$work/app/crmuser"
