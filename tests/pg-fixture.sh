#!/usr/bin/env bash
# CTest fixture: tests/pg-fixture.sh start DIR HTTVPS_BIN | stop DIR
# start: a private cluster (ci/pg-cluster.sh, fsync off) plus a database
# `httvps_template` migrated by the httvps binary under test; writes DIR/env with
# HTTVPS_TEST_PGHOST for the tests to read.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cmd=$1
dir=$2
case "$cmd" in
  start)
    bin=$3
    sock=$("$root/ci/pg-cluster.sh" start "$dir" --fast)
    psql=(psql -X -q -v ON_ERROR_STOP=1 -h "$sock" -U postgres -d postgres)
    "${psql[@]}" -c "DROP DATABASE IF EXISTS httvps_template" 2>/dev/null
    "${psql[@]}" -c "CREATE DATABASE httvps_template"
    HTTVPS_CONFIG= HTTVPS_DATABASE_URL="host=$sock user=postgres dbname=httvps_template" \
      "$bin" --log-level warn migrate up >/dev/null
    printf 'HTTVPS_TEST_PGHOST=%s\n' "$sock" >"$dir/env"
    echo "pg fixture: cluster at $sock, template migrated"
    ;;
  stop)
    "$root/ci/pg-cluster.sh" stop "$dir"
    ;;
  *)
    echo "usage: pg-fixture.sh start DIR HTTVPS_BIN | stop DIR" >&2
    exit 2
    ;;
esac
