#!/usr/bin/env bash
# bench/profile_cgi.sh: where the time of one validate-device request goes, without the
# web server: process start and dynamic linking, config load, the database connection,
# the queries; the same request through pgbouncer; and relinked variants of the binary
# (what build or query changes would buy).
#
#   bench/profile_cgi.sh
#
# Environment (defaults in brackets):
#   HTTVPS_BIN_DIR    the binaries to measure [build/release/bin]
#   HTTVPS_BUILD_DIR  their build directory, for the relinked variants [the parent of the bin dir]
#   RUNS              hyperfine runs per command, over all rounds [100]
#   ROUNDS            rounds: every round runs every command RUNS/ROUNDS times, so load
#                     that comes and goes hits all commands alike [10]
#   ITERATIONS        connections/query sequences timed by bench/pq_timing.c, over all rounds [200]
#   PGBOUNCER         1: also through pgbouncer (transaction pooling) [1 when installed]
#   RELINK            1: relink variants of validate-device from the build directory's
#                     objects, in a temporary directory [1 when the objects are there]
#   SAVE_VARIANTS     a directory to copy the relinked variants to, for bench/cgi.sh VARIANT= []
#
# Durable PostgreSQL settings (fsync and synchronous_commit on), a private cluster on a
# Unix socket, everything in a temporary directory that goes away on exit. Figures are
# medians over all rounds of this run; they vary from run to run, most on a busy machine.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN_DIR=${HTTVPS_BIN_DIR:-$root/build/release/bin}
RUNS=${RUNS:-100}
ROUNDS=${ROUNDS:-10}
ITERATIONS=${ITERATIONS:-200}
BENCH_NAME=bench/profile_cgi.sh
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"

for v in RUNS ROUNDS ITERATIONS; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, not '${!v}'"
done
per_round=$(((RUNS + ROUNDS - 1) / ROUNDS))
[ "$per_round" -ge 2 ] || per_round=2
iter_round=$(((ITERATIONS + ROUNDS - 1) / ROUNDS))
BIN_DIR=$(cd "$BIN_DIR" 2>/dev/null && pwd) || die "binary directory not found (build it: ci/build.sh release)"
BUILD_DIR=${HTTVPS_BUILD_DIR:-$(dirname "$BIN_DIR")}
for b in httvps issue-key validate-device; do
  [ -x "$BIN_DIR/$b" ] || die "$BIN_DIR/$b is missing (build it: ci/build.sh release)"
done
for t in hyperfine cc c++ jq openssl ldd perl; do
  command -v "$t" >/dev/null || die "$t not found (apt-get install -y hyperfine gcc g++ jq openssl perl)"
done
[ -x /usr/bin/time ] || die "/usr/bin/time not found (apt-get install -y time)"
[ -f /usr/include/postgresql/libpq-fe.h ] || die "libpq-fe.h not found (apt-get install -y libpq-dev)"
if [ -z "${PGBOUNCER:-}" ]; then
  if command -v pgbouncer >/dev/null; then PGBOUNCER=1; else PGBOUNCER=0; fi
fi
if [ -z "${RELINK:-}" ]; then
  if grep -q '^build bin/validate-device:' "$BUILD_DIR/build.ninja" 2>/dev/null; then RELINK=1; else RELINK=0; fi
fi

bench_init
echo "== machine"
bench_machine
echo "hyperfine:  $(hyperfine --version | awk '{print $2}'), $ROUNDS rounds x $per_round runs per command (+3 warm-ups a round); medians"
echo "binaries:   $BIN_DIR ($("$BIN_DIR/validate-device" --version))"

bench_cluster
bench_config "$tmp/direct.toml" "$db_url"
export HTTVPS_CONFIG="$tmp/direct.toml"
unset HTTVPS_DATABASE_URL
bench_seed 1 1
read -r gw token <"$tmp/pairs.txt"
if [ "$PGBOUNCER" = 1 ]; then
  bench_pgbouncer transaction 4
  bench_config "$tmp/pgbouncer.toml" "$pgb_url"
fi
psql_at() { "$pgbin/psql" -X -qAt -h "$sock" -U postgres -d postgres -v ON_ERROR_STOP=1 -c "$1"; }

V=$BIN_DIR/validate-device
cc -O2 -o "$tmp/trivial" "$root/bench/trivial_cgi.c"
cc -O2 -DWITH_LIBPQ -I/usr/include/postgresql -o "$tmp/trivial_pq" "$root/bench/trivial_cgi.c" -lpq
# What a libpq built without LDAP and GSSAPI would still load: OpenSSL.
cc -O2 -o "$tmp/trivial_ssl" "$root/bench/trivial_cgi.c" -Wl,--no-as-needed -lssl -lcrypto
cc -O2 -I/usr/include/postgresql -o "$tmp/pq_timing" "$root/bench/pq_timing.c" -lpq

# One validate-device request as fcgiwrap would start it: CGI environment, body on stdin.
cgi_env=(env -i "PATH=$PATH" "HOME=${HOME:-/root}" GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=POST
  PATH_INFO=/api/v1/validate-device SCRIPT_NAME= CONTENT_TYPE=application/json REMOTE_ADDR=127.0.0.1
  "HTTP_AUTHORIZATION=Bearer $gw")
printf '{"token":"%s"}' "$token" >"$tmp/body"
cgi_env+=("CONTENT_LENGTH=$(wc -c <"$tmp/body")")
check_cgi() {  # check_cgi CONFIG BINARY: one CGI run must answer 200 allowed
  "${cgi_env[@]}" "HTTVPS_CONFIG=$1" "$2" <"$tmp/body" >"$tmp/answer" 2>"$tmp/logs/cgi.err" || true
  if ! head -1 "$tmp/answer" | grep -q '^Status: 200' || ! grep -q '"verdict":"allowed"' "$tmp/answer"; then
    die "$2 as CGI with $1 did not answer 200 allowed: $(head -c 400 "$tmp/answer") $(head -c 400 "$tmp/logs/cgi.err")"
  fi
}
check_cgi "$tmp/direct.toml" "$V"
if [ "$PGBOUNCER" = 1 ]; then check_cgi "$tmp/pgbouncer.toml" "$V"; fi

# ---- relinked variants (built now, measured with everything else) ----------------------

if [ "$RELINK" = 1 ]; then
  echo "== relinking variants of validate-device in $tmp/relink" >&2
  rl="$tmp/relink"
  mkdir -p "$rl"
  ninja_file="$BUILD_DIR/build.ninja"
  obj=$(awk '$1 == "build" && $2 == "bin/validate-device:" {print $4; exit}' "$ninja_file")
  link_libs=$(awk '$1 == "build" && $2 == "bin/validate-device:" {f = 1; next}
    f && /^ *LINK_LIBRARIES = / {sub(/^ *LINK_LIBRARIES = */, ""); print; exit}
    f && /^build / {exit}' "$ninja_file")
  link_flags=$(awk '$1 == "build" && $2 == "bin/validate-device:" {f = 1; next}
    f && /^ *FLAGS = / {sub(/^ *FLAGS = */, ""); print; exit} f && /^build / {exit}' "$ninja_file")
  if [ -z "$obj" ] || [ -z "$link_libs" ]; then die "cannot read the link of validate-device from $ninja_file"; fi
  cp "$BUILD_DIR/$obj" "$rl/main.o"
  libs=()
  for l in $link_libs; do
    case "$l" in
      /*) libs+=("$l") ;;
      *.a) cp "$BUILD_DIR/$l" "$rl/$(basename "$l")"; libs+=("$rl/$(basename "$l")") ;;
      *) libs+=("$l") ;;
    esac
  done
  compile_cmd() {  # compile_cmd SUFFIX: "directory<TAB>command" of the file ending in SUFFIX
    jq -r --arg s "$1" '.[] | select(.file | endswith($s)) | "\(.directory)\t\(.command)"' \
      "$BUILD_DIR/compile_commands.json" | head -1
  }
  # toml++ compiled into config.cpp (TOML_HEADER_ONLY=1) instead of libtomlplusplus.so.
  IFS=$'\t' read -r cfg_dir cfg_cmd < <(compile_cmd /tools/core/config.cpp)
  [ -n "$cfg_cmd" ] || die "config.cpp is not in $BUILD_DIR/compile_commands.json"
  cfg_cmd=$(sed -e 's/-DTOML_HEADER_ONLY=0/-DTOML_HEADER_ONLY=1/' -e 's/-DTOML_SHARED_LIB=1//' \
    -e "s| -o [^ ]*config.cpp.o| -o $rl/config.cpp.o|" <<<"$cfg_cmd")
  (cd "$cfg_dir" && eval "$cfg_cmd") >"$tmp/logs/relink.log" 2>&1 ||
    die "compiling config.cpp header-only failed: $(tail -5 "$tmp/logs/relink.log")"
  core_ho="$rl/libhttvps_core_ho.a"
  cp "$rl/libhttvps_core.a" "$core_ho"
  (cd "$rl" && ar r "$core_ho" config.cpp.o)
  libs_ho=()
  for l in "${libs[@]}"; do
    case "$l" in
      */libtomlplusplus.so*) ;;
      */libhttvps_core.a) libs_ho+=("$core_ho") ;;
      *) libs_ho+=("$l") ;;
    esac
  done
  # Throttled bookkeeping writes: the gateway heartbeat and the device's last_seen_at are
  # written at most every 30 s / 60 s (and whenever the address changes or a hwid binds),
  # so most validations write nothing and their COMMITs wait for no WAL flush. The queries
  # are patched in a copy of the generated sql_files.cpp; the repository is not touched.
  IFS=$'\t' read -r sf_dir sf_cmd < <(compile_cmd /generated/sql_files.cpp)
  sf_src=$(sed -n 's/.* -c \([^ ]*sql_files\.cpp\).*/\1/p' <<<"$sf_cmd")
  if [ -z "$sf_cmd" ] || [ ! -f "$sf_src" ]; then die "sql_files.cpp is not in $BUILD_DIR/compile_commands.json"; fi
  cp "$sf_src" "$rl/sql_files.cpp"
  perl -0pi -e '
    s/UPDATE gateways SET last_heartbeat_at = now\(\), last_address = \$2 WHERE id = \$1;/UPDATE gateways SET last_heartbeat_at = now(), last_address = \$2 WHERE id = \$1\n   AND (last_heartbeat_at IS NULL OR last_heartbeat_at < now() - interval \x2730 seconds\x27 OR last_address IS DISTINCT FROM \$2);/ or die "gateway_touch not found\n";
    s/UPDATE devices SET last_seen_at = now\(\), hwid = coalesce\(hwid, \$2\) WHERE id = \$1;/UPDATE devices SET last_seen_at = now(), hwid = coalesce(hwid, \$2) WHERE id = \$1\n   AND (last_seen_at IS NULL OR last_seen_at < now() - interval \x2760 seconds\x27 OR (hwid IS NULL AND \$2::text IS NOT NULL));/ or die "device_seen not found\n";
  ' "$rl/sql_files.cpp" 2>>"$tmp/logs/relink.log" || die "patching the queries failed (did they change? RELINK=0 skips the variants): $(tail -2 "$tmp/logs/relink.log")"
  sf_cmd=$(sed -e "s| -o [^ ]*sql_files.cpp.o| -o $rl/sql_files.cpp.o|" -e "s| -c [^ ]*sql_files.cpp| -c $rl/sql_files.cpp|" <<<"$sf_cmd")
  sf_cmd=$(sed -e "s| -o [^ ]*sql_files.cpp.o| -o $rl/sql_files.cpp.o|" -e "s| -c [^ ]*sql_files.cpp| -c $rl/sql_files.cpp|" <<<"$sf_cmd")
  (cd "$sf_dir" && eval "$sf_cmd") >>"$tmp/logs/relink.log" 2>&1 || die "compiling the patched sql_files.cpp failed: $(tail -5 "$tmp/logs/relink.log")"
  core_th="$rl/libhttvps_core_throttled.a"
  cp "$rl/libhttvps_core.a" "$core_th"
  (cd "$rl" && ar r "$core_th" sql_files.cpp.o)
  libs_th=()
  for l in "${libs[@]}"; do
    case "$l" in */libhttvps_core.a) libs_th+=("$core_th") ;; *) libs_th+=("$l") ;; esac
  done

  relink() {  # relink OUT LIBS-ARRAY-NAME EXTRA-FLAGS...
    local out=$1 arr="$2[@]"
    shift 2
    # shellcheck disable=SC2086  # FLAGS is a list of words, as ninja passes it
    c++ $link_flags "$@" "$rl/main.o" -o "$rl/$out" "${!arr}" >>"$tmp/logs/relink.log" 2>&1 ||
      die "linking $out failed: $(tail -5 "$tmp/logs/relink.log")"
  }
  relink vd-as-built libs
  relink vd-znow libs -Wl,-z,now
  relink vd-toml-ho libs_ho
  relink vd-toml-ho-static-cxx libs_ho -static-libstdc++ -static-libgcc
  relink vd-throttled libs_th
  variants=(vd-as-built vd-znow vd-toml-ho vd-toml-ho-static-cxx vd-throttled)
  for v in "${variants[@]}"; do check_cgi "$tmp/direct.toml" "$rl/$v"; done
  # The throttled variant still records a device that was not seen for a while.
  psql_at "UPDATE devices SET last_seen_at = now() - interval '1 hour'" >/dev/null
  check_cgi "$tmp/direct.toml" "$rl/vd-throttled"
  [ "$(psql_at "SELECT count(*) FROM devices WHERE last_seen_at > now() - interval '1 minute'")" = 1 ] ||
    die "the throttled variant did not record last_seen_at"
  if [ -n "${SAVE_VARIANTS:-}" ]; then
    mkdir -p "$SAVE_VARIANTS"
    for v in "${variants[@]}"; do cp "$rl/$v" "$SAVE_VARIANTS/"; done
    note "variants copied to $SAVE_VARIANTS"
  fi
fi

# ---- (c, d) connection and queries, as db.cpp makes them --------------------------------
# The statements of one allowed validation are not listed here but captured: one CGI run
# with log_statement=all, its "execute <unnamed>" entries and their parameters read back
# from the server log and matched to the named queries under sql/queries by their text.
# pq_timing then replays exactly that sequence, so the profile follows the code.

echo "== measuring the connection and the queries" >&2
pg_log="$(cat "$tmp/pg/location")/postgres.log"
[ -f "$pg_log" ] || die "server log $pg_log not found"
psql_at "ALTER DATABASE postgres SET log_statement = 'all'" >/dev/null
log_from=$(($(stat -c %s "$pg_log") + 1))
check_cgi "$tmp/direct.toml" "$BIN_DIR/validate-device"
sleep 0.2  # the backend logs before it answers; the file is written by then, but be safe
tail -c "+$log_from" "$pg_log" >"$tmp/cgi-statements.log"
psql_at "ALTER DATABASE postgres RESET log_statement" >/dev/null
# Prints "NAME<TAB>PARAM..." per statement (\N for NULL). Query files first, then the log.
awk '
  function norm(t) { gsub(/[ \t\r\n]+/, " ", t); sub(/^ /, "", t); sub(/[ ;]+$/, "", t); return t }
  function flush_query() { if (qname != "") { names[norm(qbody)] = qname }; qname = ""; qbody = "" }
  function flush_entry(   text, rest, p, v, c, i) {
    if (entry ~ /LOG:  execute <unnamed>: /) {
      text = substr(entry, index(entry, "execute <unnamed>: ") + 19)
      if (!(norm(text) in names)) { print "unknown statement: " text > "/dev/stderr"; bad = 1 }
      n++; step[n] = names[norm(text)]; params[n] = ""
    } else if (entry ~ /DETAIL:  parameters: / && n > 0) {
      rest = substr(entry, index(entry, "parameters: ") + 12)
      while (match(rest, /^\$[0-9]+ = /)) {
        rest = substr(rest, RLENGTH + 1)
        if (substr(rest, 1, 4) == "NULL") { v = "\\N"; rest = substr(rest, 5) }
        else {
          v = ""; i = 2
          while (i <= length(rest)) {
            c = substr(rest, i, 1)
            if (c == "\047" && substr(rest, i + 1, 1) == "\047") { v = v c; i += 2; continue }
            if (c == "\047") break
            v = v c; i++
          }
          rest = substr(rest, i + 1)
        }
        params[n] = params[n] "\t" v
        sub(/^, /, "", rest)
      }
    }
    entry = ""
  }
  FILENAME ~ /\.sql$/ {
    if (FNR == 1) flush_query()
    if ($0 ~ /^-- name:/) { flush_query(); qname = $0; sub(/^-- name: */, "", qname); sub(/[ \r]+$/, "", qname); next }
    if (qname != "") qbody = qbody $0 "\n"
    next
  }
  !done_sql { flush_query(); done_sql = 1 }
  /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] / { flush_entry(); entry = $0; next }
  /^\t/ { entry = entry "\n" substr($0, 2); next }
  END { flush_entry(); for (i = 1; i <= n; i++) print step[i] params[i]; exit bad }
' "$root"/sql/queries/*.sql "$tmp/cgi-statements.log" >"$tmp/steps.tsv" ||
  die "cannot match the statements of a CGI run to sql/queries (log: $tmp/cgi-statements.log)"
nsteps=$(wc -l <"$tmp/steps.tsv")
[ "$nsteps" -ge 3 ] || die "captured only $nsteps statements from a CGI run: $(head -c 600 "$tmp/cgi-statements.log")"

pqrun() {  # pqrun MODE CONNINFO OUT
  "$tmp/pq_timing" "$1" "$2" "$iter_round" validate-device "$root"/sql/queries/*.sql <"$tmp/steps.tsv" >>"$3" ||
    die "pq_timing $1 failed"
}

# ---- the commands, measured in rounds ---------------------------------------------------

# Started directly (hyperfine -N): process start, config load, the CLI's health check.
# The env(1) rows start through env like their variable-setting neighbours, so that the
# cost of env itself cancels out between them.
direct_cmds=(
  -n "trivial" "$tmp/trivial --version"
  -n "trivial+openssl" "$tmp/trivial_ssl --version"
  -n "trivial+libpq" "$tmp/trivial_pq --version"
  -n "version" "$V --version"
)
# The relinked copies start right after the binary they are compared with; the command
# that talks to the database comes last, so a backend ending does not overlap them.
if [ "$RELINK" = 1 ]; then
  for v in vd-as-built vd-znow vd-toml-ho vd-toml-ho-static-cxx; do direct_cmds+=(-n "r $v" "$rl/$v --version"); done
fi
direct_cmds+=(
  # --token is a required option of validate-device; --check-config exits before using it.
  -n "check-config" "$V --check-config --config $tmp/direct.toml --token $token"
  -n "env version" "env $V --version"
  -n "env LD_BIND_NOW=1 version" "env LD_BIND_NOW=1 $V --version"
  -n "env GNUTLS_NO_IMPLICIT_INIT=1 version" "env GNUTLS_NO_IMPLICIT_INIT=1 $V --version"
  -n "httvps --version" "$BIN_DIR/httvps --version"
)
direct_cmds+=(-n "httvps health (CLI)" "$BIN_DIR/httvps --config $tmp/direct.toml health")
# Whole CGI runs through a shell (for the body on stdin; hyperfine subtracts the shell).
cgi_cmds=(-n "cgi direct" "HTTVPS_CONFIG=$tmp/direct.toml $V < $tmp/body")
if [ "$PGBOUNCER" = 1 ]; then cgi_cmds+=(-n "cgi pgbouncer" "HTTVPS_CONFIG=$tmp/pgbouncer.toml $V < $tmp/body"); fi
if [ "$RELINK" = 1 ]; then
  for v in vd-as-built vd-toml-ho-static-cxx vd-throttled; do
    cgi_cmds+=(-n "cgi $v" "HTTVPS_CONFIG=$tmp/direct.toml $rl/$v < $tmp/body")
    if [ "$PGBOUNCER" = 1 ]; then cgi_cmds+=(-n "cgi pgb $v" "HTTVPS_CONFIG=$tmp/pgbouncer.toml $rl/$v < $tmp/body"); fi
  done
fi

: >"$tmp/times.tsv"  # NAME<TAB>wall µs, one line per run
: >"$tmp/cpu.tsv"    # NAME<TAB>user+system µs (mean of a round), one line per round
collect() {  # collect JSON
  jq -r '.results[] | .command as $c | .times[] | "\($c)\t\(. * 1e6 | floor)"' "$1" >>"$tmp/times.tsv"
  jq -r '.results[] | "\(.command)\t\((.user + .system) * 1e6 | floor)"' "$1" >>"$tmp/cpu.tsv"
}
for ((r = 1; r <= ROUNDS; r++)); do
  echo "== round $r of $ROUNDS (load avg $(cut -d' ' -f1 /proc/loadavg))" >&2
  hyperfine -N --style none --warmup 3 --runs "$per_round" --export-json "$tmp/direct-$r.json" "${direct_cmds[@]}" \
    >"$tmp/logs/hyperfine.log" 2>&1 || die "hyperfine failed: $(tail -5 "$tmp/logs/hyperfine.log")"
  collect "$tmp/direct-$r.json"
  "${cgi_env[@]}" hyperfine --style none --warmup 3 --runs "$per_round" --export-json "$tmp/cgi-$r.json" \
    "${cgi_cmds[@]}" >"$tmp/logs/hyperfine.log" 2>&1 || die "hyperfine failed: $(tail -5 "$tmp/logs/hyperfine.log")"
  collect "$tmp/cgi-$r.json"
  pqrun fresh "$db_url" "$tmp/pq-fresh.tsv"
  pqrun reuse "$db_url" "$tmp/pq-reuse.tsv"
  if [ "$PGBOUNCER" = 1 ]; then pqrun fresh "$pgb_url" "$tmp/pq-pgb.tsv"; fi
done

# ---- report ----------------------------------------------------------------------------

med() {  # med NAME: median wall µs over all rounds; fails when NAME was not measured
  awk -F'\t' -v n="$1" '$1 == n {print $2}' "$tmp/times.tsv" | sort -n |
    awk '{v[NR] = $1} END {if (NR == 0) exit 1; print v[int((NR + 1) / 2)]}' || die "no figure for '$1'"
}
medq() { awk -F'\t' -v n="$1" '$1 == n {print $2}' "$tmp/times.tsv" | sort -n | awk '{v[NR] = $1} END {if (NR) print v[int((NR + 1) / 2)]}'; }
cpu() { awk -F'\t' -v n="$1" '$1 == n {s += $2; k++} END {if (k) printf "%.0f", s / k}' "$tmp/cpu.tsv"; }
# pqv FILE PHASE: the median over rounds of the per-round medians of PHASE; empty when absent.
pqv() { awk -F'\t' -v n="$2" '$1 == n && $2 != "" {print $2}' "$1" | sort -n | awk '{v[NR] = $1} END {if (NR) print v[int((NR + 1) / 2)]}'; }
pqphases() { awk -F'\t' '!seen[$1]++ {print $1}' "$1"; }
pqsum() {  # the queries: every phase but connect, disconnect and total
  local s=0 p
  while read -r p; do
    case "$p" in connect | disconnect | total) ;; *) s=$((s + $(pqv "$1" "$p"))) ;; esac
  done < <(pqphases "$1")
  echo "$s"
}
# The statements that end with a commit: the autocommitted heartbeat and the COMMIT.
pqcommits() {
  local a b
  a=$(pqv "$1" gateway_touch)
  b=$(pqv "$1" tx_commit)
  echo $((${a:-0} + ${b:-0}))
}

faults() { /usr/bin/time -f %R "$@" 2>&1 >/dev/null | tail -1; }  # minor page faults of one run
nlibs() { ldd "$1" | grep -c '=>' || true; }

# ld.so's own account (LD_DEBUG=statistics), median of 21 runs: time in the loader and in
# relocation, in µs (TSC cycles / MHz), and the number of relocations.
mhz=$(awk -F': *' '/^cpu MHz/ {print $2; exit}' /proc/cpuinfo)
ld_stats() {  # ld_stats BINARY -> "loader_us relocation_us relocations relative_relocations"
  local i
  for ((i = 0; i < 21; i++)); do
    LD_DEBUG=statistics "$1" --version 2>&1 >/dev/null | awk '
      /total startup time in dynamic loader/ {s = $(NF - 1)}
      /time needed for relocation/ {r = $(NF - 2)}
      /number of relocations:/ && !/final/ {n = $NF}
      /number of relative relocations/ {rr = $NF}
      END {print s, r, n, rr}'
  done | sort -n -k1,1 | sed -n 11p | awk -v mhz="$mhz" '{printf "%.0f %.0f %s %s\n", $1 / mhz, $2 / mhz, $3, $4}'
}

echo
echo "== (a) process start: '--version', median wall µs; CPU = user + system, mean"
echo "| program | libs | wall µs | CPU µs | page faults |"
echo "| --- | ---: | ---: | ---: | ---: |"
row_a() {  # row_a LABEL NAME BINARY [VAR=VALUE]: VAR is set for the page-fault count too
  echo "| $1 | $(nlibs "$3") | $(med "$2") | $(cpu "$2") | $(faults ${4:+env "$4"} "$3" --version) |"
}
row_a "trivial C (libc only)" trivial "$tmp/trivial"
row_a "trivial C + libssl, libcrypto" trivial+openssl "$tmp/trivial_ssl"
row_a "trivial C + libpq (Debian's: with LDAP, GSSAPI)" trivial+libpq "$tmp/trivial_pq"
row_a "validate-device" version "$V"
row_a "validate-device (started through env)" "env version" "$V" X_UNUSED=1
row_a "validate-device, LD_BIND_NOW=1 (through env)" "env LD_BIND_NOW=1 version" "$V" LD_BIND_NOW=1
row_a "validate-device, GNUTLS_NO_IMPLICIT_INIT=1 (through env)" "env GNUTLS_NO_IMPLICIT_INIT=1 version" "$V" \
  GNUTLS_NO_IMPLICIT_INIT=1
read -r ld_start ld_reloc ld_n ld_rel < <(ld_stats "$V")
read -r tl_start tl_reloc tl_n tl_rel < <(ld_stats "$tmp/trivial")
echo
echo "ld.so (LD_DEBUG=statistics, median of 21): validate-device $ld_start µs in the loader, $ld_reloc µs of it" \
  "relocating ($ld_n relocations, $ld_rel relative); trivial C $tl_start µs, $tl_reloc µs ($tl_n, $tl_rel)"
echo "shared libraries of validate-device: $(ldd "$V" | awk '/=>/ {print $1}' | sed 's/\.so.*//' | tr '\n' ' ')"

echo
echo "== (c, d) the database, timed by the client (bench/pq_timing.c), median µs of $ITERATIONS"
echo "statements captured from a real CGI run: $(cut -f1 "$tmp/steps.tsv" | tr '\n' ' ')"
header="| phase | new backend | warm backend (one connection) |"
sep="| --- | ---: | ---: |"
if [ "$PGBOUNCER" = 1 ]; then header="$header through pgbouncer |"; sep="$sep ---: |"; fi
echo "$header"
echo "$sep"
while read -r phase; do
  line="| $phase | $(pqv "$tmp/pq-fresh.tsv" "$phase") | $(pqv "$tmp/pq-reuse.tsv" "$phase") |"
  if [ "$PGBOUNCER" = 1 ]; then line="$line $(pqv "$tmp/pq-pgb.tsv" "$phase") |"; fi
  echo "$line"
done < <(pqphases "$tmp/pq-fresh.tsv")
echo
echo "cross-check: 'httvps health' (CLI: connect, 2 queries) $(med "httvps health (CLI)") µs" \
  "vs 'httvps --version' $(med "httvps --version") µs"

echo
echo "== (b) and the breakdown of one validate-device request (CGI, no web server), median µs"
start=$(med version)
libpq=$(($(med trivial+libpq) - $(med trivial)))
config=$(($(med check-config) - start))
connect=$(pqv "$tmp/pq-fresh.tsv" connect)
queries=$(pqsum "$tmp/pq-fresh.tsv")
commits=$(pqcommits "$tmp/pq-fresh.tsv")
total=$(med "cgi direct")
rest=$((total - start - config - connect - queries))
if [ "$PGBOUNCER" = 1 ]; then
  p_connect=$(pqv "$tmp/pq-pgb.tsv" connect)
  p_queries=$(pqsum "$tmp/pq-pgb.tsv")
  p_commits=$(pqcommits "$tmp/pq-pgb.tsv")
  p_total=$(med "cgi pgbouncer")
  p_rest=$((p_total - start - config - p_connect - p_queries))
fi
share() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f%%", 100 * a / b }'; }
brow() {  # brow LABEL DIRECT [PGBOUNCER]
  local line
  line="| $1 | $2 | $(share "$2" "$total") |"
  if [ "$PGBOUNCER" = 1 ]; then line="$line $3 | $(share "$3" "$p_total") |"; fi
  echo "$line"
}
if [ "$PGBOUNCER" = 1 ]; then
  echo "| part | direct µs | share | through pgbouncer µs | share |"
  echo "| --- | ---: | ---: | ---: | ---: |"
else
  echo "| part | direct µs | share |"
  echo "| --- | ---: | ---: |"
fi
brow "process start, dynamic linking, static init ('--version')" "$start" "$start"
brow "... of which loading libpq and the 20 libraries it pulls in" "$libpq" "$libpq"
brow "config load ('--check-config' minus '--version')" "$config" "$config"
brow "database connect" "$connect" "${p_connect:-}"
brow "queries ($(wc -l <"$tmp/steps.tsv") round trips)" "$queries" "${p_queries:-}"
brow "... of which the 2 commits (gateway_touch, COMMIT)" "$commits" "${p_commits:-}"
brow "the rest: request, JSON, crypto, exit (by difference)" "$rest" "${p_rest:-}"
brow "total: one validate-device CGI run" "$total" "${p_total:-}"
echo
cpu_line="CPU of the CGI process (user + system, mean): direct $(cpu "cgi direct") µs"
if [ "$PGBOUNCER" = 1 ]; then cpu_line="$cpu_line, through pgbouncer $(cpu "cgi pgbouncer") µs"; fi
echo "$cpu_line"

if [ "$RELINK" = 1 ]; then
  echo
  echo "== relinked validate-device: the same objects, only the link or the SQL changed; median µs"
  if [ "$PGBOUNCER" = 1 ]; then
    echo "| variant | libs | --version wall | --version CPU | page faults | CGI run, direct | CGI run, pgbouncer |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  else
    echo "| variant | libs | --version wall | --version CPU | page faults | CGI run, direct |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  fi
  rrow() {  # rrow LABEL VARIANT
    local line
    line="| $1 | $(nlibs "$rl/$2") | $(medq "r $2") | $(cpu "r $2") | $(faults "$rl/$2" --version) | $(medq "cgi $2") |"
    if [ "$PGBOUNCER" = 1 ]; then line="$line $(medq "cgi pgb $2") |"; fi
    echo "$line"
  }
  rrow "as built (relinked copy)" vd-as-built
  rrow "-Wl,-z,now" vd-znow
  rrow "toml++ header-only (no libtomlplusplus.so)" vd-toml-ho
  rrow "toml++ header-only + -static-libstdc++ -static-libgcc" vd-toml-ho-static-cxx
  rrow "throttled heartbeat/last-seen writes (SQL only)" vd-throttled
fi
echo
echo "load avg at end: $(cut -d' ' -f1-3 /proc/loadavg)"
