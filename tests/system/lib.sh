# Shared helpers for tests/system/*.sh. Source it; it sets -euo pipefail.
# Every check counts; the script ends with "N passed, N failed" and fails when any failed.
set -euo pipefail

: "${HTTVPS_BIN_DIR:?HTTVPS_BIN_DIR must point at the built binaries}"
: "${HTTVPS_SOURCE_DIR:?HTTVPS_SOURCE_DIR must point at the source tree}"
HTTVPS=${HTTVPS_BIN_DIR}/httvps
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/httvps-test.XXXXXX")
chmod 755 "$TEST_TMP"
_passed=0
_failed=0
_cleanups=()

on_exit() {
  local code=$?
  for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do eval "${_cleanups[$i]}" >/dev/null 2>&1 || true; done
  rm -rf "$TEST_TMP"
  echo "$_passed passed, $_failed failed"
  if [ "$_failed" -gt 0 ] || [ "$code" -ne 0 ]; then exit 1; fi
}
trap on_exit EXIT

# defer 'command': run at exit, newest first.
defer() { _cleanups+=("$1"); }

pass() { _passed=$((_passed + 1)); echo "ok - $*"; }
fail() { _failed=$((_failed + 1)); echo "not ok - $*" >&2; }

# check DESCRIPTION -- COMMAND...: passes when COMMAND succeeds.
check() {
  local desc=$1; shift; [ "$1" = "--" ] && shift
  if "$@"; then pass "$desc"; else fail "$desc"; fi
}

# expect_exit CODE DESCRIPTION -- COMMAND...: runs COMMAND with stdout/stderr captured in
# $OUT and $ERR, passes when it exits with CODE.
expect_exit() {
  local want=$1 desc=$2; shift 2; [ "$1" = "--" ] && shift
  local code=0
  "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || code=$?
  OUT=$(cat "$TEST_TMP/out")
  ERR=$(cat "$TEST_TMP/err")
  if [ "$code" -eq "$want" ]; then
    pass "$desc (exit $code)"
  else
    fail "$desc: expected exit $want, got $code; stdout: ${OUT:0:400}; stderr: ${ERR:0:400}"
  fi
}

expect_eq() {
  local desc=$1 want=$2 got=$3
  if [ "$want" = "$got" ]; then pass "$desc"; else fail "$desc: expected '$want', got '$got'"; fi
}

expect_contains() {
  local desc=$1 needle=$2 hay=$3
  if [[ "$hay" == *"$needle"* ]]; then pass "$desc"; else fail "$desc: '$needle' not in '${hay:0:400}'"; fi
}

expect_not_contains() {
  local desc=$1 needle=$2 hay=$3
  if [[ "$hay" != *"$needle"* ]]; then pass "$desc"; else fail "$desc: '$needle' found in '${hay:0:400}'"; fi
}

# fresh_db: creates an empty-of-data, migrated database from the fixture's template and
# exports HTTVPS_DATABASE_URL for it; dropped at exit.
fresh_db() {
  : "${HTTVPS_TEST_PG_ENV:?}"
  # shellcheck disable=SC1090
  source "$HTTVPS_TEST_PG_ENV"
  local name
  name="t_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
  psql -X -q -h "$HTTVPS_TEST_PGHOST" -U postgres -d postgres -c "CREATE DATABASE $name TEMPLATE httvps_template"
  export HTTVPS_DATABASE_URL="host=$HTTVPS_TEST_PGHOST user=postgres dbname=$name"
  TEST_DB=$name
  defer "psql -X -q -h '$HTTVPS_TEST_PGHOST' -U postgres -d postgres -c 'DROP DATABASE IF EXISTS $name WITH (FORCE)'"
}

# sql 'SELECT ...': runs SQL against the test database, prints unaligned tuples.
sql() { psql -X -q -At -h "$HTTVPS_TEST_PGHOST" -U postgres -d "$TEST_DB" -v ON_ERROR_STOP=1 -c "$1"; }

# free_port: a loopback TCP port that was free a moment ago (bind to port 0, read it back).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_port PORT [SECONDS]: until something accepts on 127.0.0.1:PORT (default 10 s);
# fails when nothing does by then.
wait_port() {
  local i tries=$((${2:-10} * 20))
  for ((i = 0; i < tries; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

# wait_closed PORT [SECONDS]: until nothing accepts on 127.0.0.1:PORT any more (default 5 s).
wait_closed() {
  local i tries=$((${2:-5} * 20))
  for ((i = 0; i < tries; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null || return 0
    sleep 0.05
  done
  return 1
}

# wait_for_fresh_minute: rate limits count in windows aligned to the minute; a test that
# needs N hits inside one window starts early enough in a minute to finish inside it.
wait_for_fresh_minute() {
  local s
  s=$((10#$(date +%S)))
  if [ "$s" -ge 40 ]; then sleep $((61 - s)); fi
}
