#!/usr/bin/env bash
# Runs a command against a live service: builds the binary, starts it on a free loopback port with
# a fresh database on the local PostgreSQL (TEST_DATABASE_URL's server), exports CRM_BASE_URL, runs
# "$@", then stops the service and drops the database. When CRM_BASE_URL is already set, "$@" runs
# against that service instead. Used by the TypeScript SDK tests and the portal's browser check.
set -euo pipefail
if [ -n "${CRM_BASE_URL:-}" ]; then
  exec "$@"
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
base="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
db="crm_live_$(date +%s)_$$"
dburl="${base%%\?*}"; dburl="${dburl%/*}/$db?sslmode=disable"

(cd "$root" && CGO_ENABLED=0 go build -o "$work/crm" ./cmd/crm)

cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  psql "$base" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# The work directory is the service's cwd, so a developer's .env in the repository is not read.
touch "$work/service.log"
(cd "$work" && DATABASE_URL="$dburl" HTTP_ADDR=127.0.0.1:0 LOG_LEVEL=info \
  JWT_SECRET_KEY="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
  exec ./crm serve >"$work/service.log" 2>&1) &
pid=$!

addr=""
for _ in $(seq 1 600); do
  addr="$(sed -n 's/.*"msg":"listening","addr":"\([^"]*\)".*/\1/p' "$work/service.log" | head -1)"
  [ -n "$addr" ] && curl -fsS "http://$addr/readyz" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/service.log"; echo "service exited" >&2; exit 1; }
  sleep 0.1
done
[ -n "$addr" ] || { cat "$work/service.log"; echo "service did not become ready" >&2; exit 1; }

export CRM_BASE_URL="http://$addr"
echo "service ready at $CRM_BASE_URL (database $db)"
rc=0
"$@" || rc=$?
if [ "$rc" -ne 0 ]; then
  echo "--- service log (last 200 lines)" >&2
  tail -n 200 "$work/service.log" >&2
fi
exit "$rc"
