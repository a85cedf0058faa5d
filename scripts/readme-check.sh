#!/usr/bin/env bash
# readme-check: the README's walk-through, run as written against a live service (make readme-check).
#
# It takes every ```sh and ```bash block of the README's sections "Quick start" and "Using the API"
# (level-2 headings, with their subsections; README_CHECK_SECTIONS="A|B" names others), in order,
# and runs them one after the other in ONE bash process under `set -euo pipefail`, so that a
# variable set by one block is there for the next, exactly as for a reader pasting them into one
# shell. The service is a fresh one: scripts/with-service.sh builds cmd/crm, starts it on a free
# loopback port with a throwaway database on the local PostgreSQL (TEST_DATABASE_URL's server) and
# a random JWT secret, and at the end stops it by its pid and drops the database. `localhost:8080`
# in the blocks is replaced by that service's address.
#
# Every `curl` of a block runs through a shell function that records the HTTP status of each
# answer (curl's --write-out, on stderr; stdout is the reader's, untouched) and fails the check on
# any status outside 2xx that the README does not announce. Markers, an HTML comment on the line
# directly above a block's opening fence (invisible on GitHub):
#
#   <!-- readme-check: skip -->            the block is not run (e.g. `make run`, Docker); a reason
#   <!-- readme-check: skip (why) -->      may follow in parentheses
#   <!-- readme-check: expect 412 -->      the block may answer these statuses besides 2xx, and
#   <!-- readme-check: expect 409 412 -->  must answer each of them at least once
#
# A marker that is not followed by a shell block, or an unknown one, fails the check. A command
# that passes its own --write-out is checked by curl's --fail-with-body instead (statuses >= 400).
# Any other failing command fails the check too (set -e), with the README line it came from.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
sections="${README_CHECK_SECTIONS:-Quick start|Using the API}"

# extract README BASE PRELUDE: the runnable script of README's blocks, on stdout.
extract() {
  awk -v sections="$sections" -v base="$2" -v prelude="$3" -v readme="$1" '
    function fail(msg) { printf "readme-check: %s:%d: %s\n", readme, NR, msg > "/dev/stderr"; bad = 1; exit 1 }
    function out(s) { print s; ol++ }
    BEGIN {
      n = split(sections, a, "|"); for (i = 1; i <= n; i++) want[a[i]] = 1
      hostport = base; sub(/^http:\/\//, "", hostport)
      out("source \"" prelude "\"")
    }
    infence {
      if ($0 ~ /^```[ \t]*$/) {
        infence = 0
        if (run) out("__rc_end")
        next
      }
      if (run) {
        line = $0
        gsub(/http:\/\/localhost:8080/, base, line)
        gsub(/localhost:8080/, hostport, line)
        out(line)
      }
      next
    }
    pending && $0 !~ /^```/ { fail("the readme-check marker of line " pending " must be directly followed by a ```sh block") }
    /^```/ {
      lang = substr($0, 4); gsub(/[ \t]/, "", lang)
      infence = 1; run = 0
      shell = (lang == "sh" || lang == "bash")
      if (pending && !(shell && inscope)) fail("the readme-check marker of line " pending " is not above a ```sh block of a checked section")
      if (shell && inscope && mode != "skip") {
        run = 1; blocks++
        # the first line of the block is README line NR+1 and script line ol+2
        out(sprintf("__rc_begin %d %d %d \x27%s\x27", blocks, NR + 1, (NR + 1) - (ol + 2), expect))
      }
      pending = 0; mode = ""; expect = ""
      next
    }
    /^## / { inscope = (substr($0, 4) in want); next }
    /^<!-- *readme-check:/ {
      m = $0
      sub(/^<!-- *readme-check: */, "", m); sub(/ *-->[ \t]*$/, "", m)
      if (m ~ /^skip( \(.*\))?$/) { mode = "skip"; expect = "" }
      else if (m ~ /^expect( [1-5][0-9][0-9])+$/) { mode = "expect"; expect = substr(m, 8) }
      else fail("unknown readme-check marker: " $0)
      pending = NR
      next
    }
    END {
      if (bad) exit 1
      if (infence) { fail("unterminated code block") }
      if (blocks == 0) { printf "readme-check: no shell blocks in the sections %s of %s\n", sections, readme > "/dev/stderr"; exit 1 }
    }
  ' "$1"
}

if [ "${1:-}" = "--run" ]; then
  # Inside scripts/with-service.sh: CRM_BASE_URL is the live service.
  readme="$2"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  cat >"$work/prelude.sh" <<'PRELUDE'
set -euo pipefail
__RC_DIR="$(dirname "${BASH_SOURCE[0]}")"
__RC_README="${__RC_README:?}"
__RC_STDOUT="$(readlink "/proc/$$/fd/1" 2>/dev/null || true)"
__RC_BLOCK=0 __RC_OFF=0 __RC_EXPECT=""
trap 'echo "readme-check: FAILED (exit $?) at $__RC_README:$((LINENO + __RC_OFF)), block $__RC_BLOCK" >&2' ERR

# __rc_begin N FIRST_LINE OFFSET 'EXPECTED STATUSES': announces a block and shows its text.
__rc_begin() {
  __RC_BLOCK=$1 __RC_OFF=$3 __RC_EXPECT=$4
  : >"$__RC_DIR/seen"; : >"$__RC_DIR/failures"
  local last
  last=$(awk -v s="$2" 'NR >= s && /^```/ { print NR - 1; exit }' "$__RC_README")
  printf '\n--- block %d, %s:%d-%d%s\n' "$1" "$__RC_README" "$2" "$last" "${4:+ (expects $4)}"
  sed -n "$2,${last}p" "$__RC_README" | sed 's/^/  $ /'
  echo "---"
}

# __rc_end: the block is over; fail on a status it did not announce, or one it announced but
# never answered.
__rc_end() {
  if [ -s "$__RC_DIR/failures" ]; then
    echo "readme-check: block $__RC_BLOCK failed:" >&2
    sed 's/^/  /' "$__RC_DIR/failures" >&2
    exit 1
  fi
  local s
  for s in $__RC_EXPECT; do
    if ! grep -qx "$s" "$__RC_DIR/seen"; then
      echo "readme-check: block $__RC_BLOCK announces HTTP $s, which no request of it answered (statuses: $(tr '\n' ' ' <"$__RC_DIR/seen"))" >&2
      exit 1
    fi
  done
}

# curl as the reader runs it, plus a check of every answer's status.
curl() {
  local a own_w=0 rc=0 st msg bad=0 errf
  for a in "$@"; do
    case $a in -w | --write-out | -w?*) own_w=1 ;; esac
  done
  if [ "$own_w" = 1 ]; then
    if [ -z "$__RC_EXPECT" ]; then
      command curl --max-time 30 --fail-with-body "$@" || rc=$?
    else
      command curl --max-time 30 "$@" || rc=$?
    fi
    [ "$rc" = 0 ] || echo "curl exited $rc (its own --write-out: status not seen): curl $*" >>"$__RC_DIR/failures"
    return "$rc"
  fi
  errf=$(mktemp "$__RC_DIR/curl.XXXXXX")
  command curl --max-time 30 "$@" --write-out '%{stderr}__RC_STATUS=%{http_code}\n' 2>"$errf" || rc=$?
  sed 's/__RC_STATUS=[0-9]*$//' "$errf" | grep -v '^$' >&2 || true
  for st in $(sed -n 's/.*__RC_STATUS=\([0-9]*\)$/\1/p' "$errf"); do
    echo "$st" >>"$__RC_DIR/seen"
    case " $__RC_EXPECT " in *" $st "*) continue ;; esac
    case $st in 2??) ;; *)
      msg="HTTP $st, which the README does not announce: curl $*"
      echo "readme-check: $msg" >&2
      echo "$msg" >>"$__RC_DIR/failures"
      bad=1
      ;;
    esac
  done
  rm -f "$errf"
  if [ "$rc" != 0 ]; then
    echo "curl exited $rc: curl $*" >>"$__RC_DIR/failures"
  elif [ "$bad" = 1 ]; then
    rc=22
  fi
  # A newline after an answer printed to the log, so the next one starts on its own line.
  if [ -n "$__RC_STDOUT" ] && [ "$(readlink "/proc/$BASHPID/fd/1" 2>/dev/null)" = "$__RC_STDOUT" ]; then
    echo
  fi
  return "$rc"
}
PRELUDE
  extract "$readme" "${CRM_BASE_URL:?}" "$work/prelude.sh" >"$work/readme.sh"
  cd "$work"
  __RC_README="$readme" bash "$work/readme.sh"
  echo
  echo "readme-check: every block of $readme ran; no unexpected status"
  exit 0
fi

readme="$(cd "$(dirname "${1:-$root/README.md}")" && pwd)/$(basename "${1:-$root/README.md}")"
for tool in curl jq go psql; do
  command -v "$tool" >/dev/null || { echo "readme-check: $tool is needed" >&2; exit 1; }
done
# Fail on a broken marker before building anything.
extract "$readme" "http://127.0.0.1:1" /dev/null >/dev/null
# Always a fresh service (the walk-through registers its users): a CRM_BASE_URL of the caller's
# environment is not used.
exec env -u CRM_BASE_URL "$root/scripts/with-service.sh" "$0" --run "$readme"
