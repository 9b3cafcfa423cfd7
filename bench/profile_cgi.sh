#!/usr/bin/env bash
# bench/profile_cgi.sh: where the time of one validate-device request goes, without the
# web server: process start and dynamic linking, config load, the database connection,
# the queries; then the same request through pgbouncer, and relinked variants of the
# binary (what build changes would buy).
#
#   bench/profile_cgi.sh
#
# Environment (defaults in brackets):
#   HTTVPS_BIN_DIR    the binaries to measure [build/release/bin]
#   HTTVPS_BUILD_DIR  their build directory, for the relinked variants [the parent of the bin dir]
#   RUNS              hyperfine runs per command [100]
#   ITERATIONS        connections/query sequences timed by bench/pq_timing.c [200]
#   PGBOUNCER         1: also through pgbouncer (transaction pooling) [1 when installed]
#   RELINK            1: relink variants of validate-device from the build directory's
#                     objects, in a temporary directory [1 when the objects are there]
#   SAVE_VARIANTS     a directory to copy the relinked variants to, for bench/cgi.sh VARIANT= []
#
# Durable PostgreSQL settings (fsync and synchronous_commit on), a private cluster on a
# Unix socket, everything in a temporary directory that goes away on exit. Each figure is
# a median from this run; run to run they vary, most on a busy machine.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN_DIR=${HTTVPS_BIN_DIR:-$root/build/release/bin}
RUNS=${RUNS:-100}
ITERATIONS=${ITERATIONS:-200}
BENCH_NAME=bench/profile_cgi.sh
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"

[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer"
[[ "$ITERATIONS" =~ ^[1-9][0-9]*$ ]] || die "ITERATIONS must be a positive integer"
BIN_DIR=$(cd "$BIN_DIR" 2>/dev/null && pwd) || die "binary directory not found (build it: ci/build.sh release)"
BUILD_DIR=${HTTVPS_BUILD_DIR:-$(dirname "$BIN_DIR")}
for b in httvps issue-key validate-device; do
  [ -x "$BIN_DIR/$b" ] || die "$BIN_DIR/$b is missing (build it: ci/build.sh release)"
done
for t in hyperfine cc jq openssl ldd; do
  command -v "$t" >/dev/null || die "$t not found (apt-get install -y hyperfine gcc jq openssl)"
done
[ -f /usr/include/postgresql/libpq-fe.h ] || die "libpq-fe.h not found (apt-get install -y libpq-dev)"
if [ -z "${PGBOUNCER:-}" ]; then
  if command -v pgbouncer >/dev/null; then PGBOUNCER=1; else PGBOUNCER=0; fi
fi
if [ -z "${RELINK:-}" ]; then
  if grep -q '^build bin/validate-device:' "$BUILD_DIR/build.ninja" 2>/dev/null; then RELINK=1; else RELINK=0; fi
fi
if [ -x /usr/bin/time ]; then gnu_time=/usr/bin/time; else gnu_time=; fi

bench_init
echo "== machine"
bench_machine
echo "hyperfine:  $(hyperfine --version | awk '{print $2}'), $RUNS runs per command after 10 warm-ups; medians"
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
gw_id=$(psql_at "SELECT id FROM gateways WHERE credential_prefix = '${gw:0:12}'")
IFS='|' read -r device_id region_id node_id < <(psql_at "SELECT d.id, d.region_id, coalesce(d.node_id, 0)
  FROM device_credentials c JOIN devices d ON d.id = c.device_id
 WHERE c.kind = 'gateway_token' AND c.prefix = '${token:0:12}'")
[ -n "$device_id" ] && [ -n "$region_id" ] || die "cannot find the seeded device"

cc -O2 -o "$tmp/trivial" "$root/bench/trivial_cgi.c"
cc -O2 -DWITH_LIBPQ -I/usr/include/postgresql -o "$tmp/trivial_pq" "$root/bench/trivial_cgi.c" -lpq
# What a libpq built without LDAP and GSSAPI would still load: OpenSSL.
cc -O2 -o "$tmp/trivial_ssl" "$root/bench/trivial_cgi.c" -Wl,--no-as-needed -lssl -lcrypto
cc -O2 -I/usr/include/postgresql -o "$tmp/pq_timing" "$root/bench/pq_timing.c" -lpq

# ---- helpers ---------------------------------------------------------------------------

# hf NAME-PREFIX HYPERFINE-ARGS... : runs hyperfine, stores "name median_us user_us sys_us"
# lines in $tmp/hf.txt (names as given with -n).
hf() {
  local json="$tmp/hf-$RANDOM.json"
  hyperfine --style none --warmup 10 --runs "$RUNS" --export-json "$json" "$@" >"$tmp/logs/hyperfine.log" 2>&1 ||
    die "hyperfine failed: $(tail -5 "$tmp/logs/hyperfine.log")"
  jq -r '.results[] | "\(.command)\t\(.median * 1e6 | floor)\t\(.user * 1e6 | floor)\t\(.system * 1e6 | floor)"' \
    "$json" >>"$tmp/hf.txt"
}
med() { awk -F'\t' -v n="$1" '$1 == n {print $2; f = 1} END {if (!f) exit 1}' "$tmp/hf.txt" || die "no figure for '$1'"; }
medq() { awk -F'\t' -v n="$1" '$1 == n {print $2}' "$tmp/hf.txt"; }  # empty when absent
cpu() { awk -F'\t' -v n="$1" '$1 == n {print $3 + $4}' "$tmp/hf.txt"; }
faults() { if [ -n "$gnu_time" ]; then "$gnu_time" -f %R "$@" 2>&1 >/dev/null | tail -1; else echo "-"; fi; }
nlibs() { ldd "$1" | grep -c '=>' || true; }

# ld.so's own account (LD_DEBUG=statistics), medians of 21 runs: startup and relocation time
# in microseconds (TSC cycles / MHz), and the number of relocations.
mhz=$(awk -F': *' '/^cpu MHz/ {print $2; exit}' /proc/cpuinfo)
ld_stats() {  # ld_stats BINARY -> "startup_us relocation_us relocations relative_relocations"
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

cgi_env=(env -i "PATH=$PATH" "HOME=${HOME:-/root}" GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=POST
  PATH_INFO=/api/v1/validate-device SCRIPT_NAME= CONTENT_TYPE=application/json REMOTE_ADDR=127.0.0.1
  "HTTP_AUTHORIZATION=Bearer $gw")
printf '{"token":"%s"}' "$token" >"$tmp/body"
cgi_env+=("CONTENT_LENGTH=$(wc -c <"$tmp/body")")
check_cgi() {  # check_cgi CONFIG BINARY: one CGI run must answer 200 allowed
  "${cgi_env[@]}" "HTTVPS_CONFIG=$1" "$2" <"$tmp/body" >"$tmp/answer" 2>"$tmp/logs/cgi.err" || true
  head -1 "$tmp/answer" | grep -q '^Status: 200' && grep -q '"verdict":"allowed"' "$tmp/answer" ||
    die "$2 as CGI with $1 did not answer 200 allowed: $(head -c 400 "$tmp/answer") $(head -c 400 "$tmp/logs/cgi.err")"
}
check_cgi "$tmp/direct.toml" "$BIN_DIR/validate-device"
if [ "$PGBOUNCER" = 1 ]; then check_cgi "$tmp/pgbouncer.toml" "$BIN_DIR/validate-device"; fi

# ---- (a) process start and dynamic linking ---------------------------------------------

echo "== measuring process start" >&2
V=$BIN_DIR/validate-device
hf -N -n "trivial" "$tmp/trivial --version" -n "trivial+libpq" "$tmp/trivial_pq --version" \
  -n "trivial+openssl" "$tmp/trivial_ssl --version" -n "version" "$V --version"
LD_BIND_NOW=1 hf -N -n "version, LD_BIND_NOW=1" "$V --version"
GNUTLS_NO_IMPLICIT_INIT=1 hf -N -n "version, GNUTLS_NO_IMPLICIT_INIT=1" "$V --version"

# ---- (b) config load -------------------------------------------------------------------

echo "== measuring config load" >&2
# --token is a required option of validate-device; --check-config exits before it is used.
hf -N -n "check-config" "$V --check-config --config $tmp/direct.toml --token $token"

# ---- (c, d) connection and queries, as db.cpp makes them --------------------------------

echo "== measuring the connection and the queries" >&2
printf '%s\n' \
  "gateway_by_prefix	${gw:0:12}" \
  "gateway_touch	$gw_id	127.0.0.1" \
  "credentials_by_prefix	gateway_token	${token:0:12}" \
  "access_facts	$device_id" \
  "region_has_node	$region_id" \
  "tx_begin" \
  "device_seen	$device_id	\\N" \
  "tx_commit" \
  "gateway_nodes_for_device	$region_id	$node_id" >"$tmp/steps.tsv"
pq() {  # pq MODE CONNINFO OUT
  "$tmp/pq_timing" "$1" "$2" "$ITERATIONS" validate-device "$root"/sql/queries/*.sql <"$tmp/steps.tsv" >"$3" ||
    die "pq_timing $1 failed"
}
pq fresh "$db_url" "$tmp/pq-fresh.tsv"
pq reuse "$db_url" "$tmp/pq-reuse.tsv"
if [ "$PGBOUNCER" = 1 ]; then pq fresh "$pgb_url" "$tmp/pq-pgb.tsv"; fi
pqv() { awk -F'\t' -v n="$2" '$1 == n {print $3 == "" ? "-" : $2}' "$1"; }  # median of phase N in file
pqsum() { awk -F'\t' '$1 != "connect" && $1 != "disconnect" && $1 != "total" {s += $2} END {print s}' "$1"; }
hf -N -n "httvps health (CLI)" "$BIN_DIR/httvps --config $tmp/direct.toml health" \
  -n "httvps --version" "$BIN_DIR/httvps --version"

# ---- the whole request ---------------------------------------------------------------

echo "== measuring whole CGI runs" >&2
"${cgi_env[@]}" "HTTVPS_CONFIG=$tmp/direct.toml" hyperfine --style none --warmup 10 --runs "$RUNS" \
  --export-json "$tmp/cgi-direct.json" -n "cgi direct" "$V < $tmp/body" >"$tmp/logs/hyperfine.log" 2>&1 ||
  die "hyperfine failed: $(tail -5 "$tmp/logs/hyperfine.log")"
jq -r '.results[] | "\(.command)\t\(.median * 1e6 | floor)\t\(.user * 1e6 | floor)\t\(.system * 1e6 | floor)"' \
  "$tmp/cgi-direct.json" >>"$tmp/hf.txt"
if [ "$PGBOUNCER" = 1 ]; then
  "${cgi_env[@]}" "HTTVPS_CONFIG=$tmp/pgbouncer.toml" hyperfine --style none --warmup 10 --runs "$RUNS" \
    --export-json "$tmp/cgi-pgb.json" -n "cgi pgbouncer" "$V < $tmp/body" >"$tmp/logs/hyperfine.log" 2>&1 ||
    die "hyperfine failed: $(tail -5 "$tmp/logs/hyperfine.log")"
  jq -r '.results[] | "\(.command)\t\(.median * 1e6 | floor)\t\(.user * 1e6 | floor)\t\(.system * 1e6 | floor)"' \
    "$tmp/cgi-pgb.json" >>"$tmp/hf.txt"
fi

# ---- report ----------------------------------------------------------------------------

echo
echo "== (a) process start: median wall time of '--version', CPU = user + system"
printf '| %-44s | %4s | %11s | %9s | %7s |\n' program libs "wall µs" "CPU µs" faults
printf '| %-44s | %4s | %11s | %9s | %7s |\n' "$(printf -- '-%.0s' {1..44})" "---:" "----------:" "--------:" "------:"
row_a() {  # row_a LABEL NAME BINARY
  printf '| %-44s | %4s | %11s | %9s | %7s |\n' "$1" "$(nlibs "$3")" "$(med "$2")" "$(cpu "$2")" "$(faults "$3" --version)"
}
row_a "trivial C (libc only)" trivial "$tmp/trivial"
row_a "trivial C + libssl, libcrypto" trivial+openssl "$tmp/trivial_ssl"
row_a "trivial C + libpq (Debian: LDAP, GSSAPI)" trivial+libpq "$tmp/trivial_pq"
row_a "validate-device" version "$V"
row_a "validate-device, LD_BIND_NOW=1" "version, LD_BIND_NOW=1" "$V"
row_a "validate-device, GNUTLS_NO_IMPLICIT_INIT=1" "version, GNUTLS_NO_IMPLICIT_INIT=1" "$V"
read -r ld_start ld_reloc ld_n ld_rel < <(ld_stats "$V")
read -r tl_start tl_reloc tl_n tl_rel < <(ld_stats "$tmp/trivial")
echo
echo "ld.so (LD_DEBUG=statistics, median of 21): validate-device ${ld_start} µs in the loader, ${ld_reloc} µs relocating" \
  "($ld_n relocations, $ld_rel relative); trivial C ${tl_start} µs, ${tl_reloc} µs ($tl_n, $tl_rel)"
echo "shared libraries of validate-device: $(ldd "$V" | awk '/=>/ {print $1}' | sed 's/\.so.*//' | tr '\n' ' ')"

echo
echo "== (c, d) the database, timed by the client (bench/pq_timing.c), median µs of $ITERATIONS"
header="| phase | new backend | warm backend (one connection) |"
sep="| --- | ---: | ---: |"
if [ "$PGBOUNCER" = 1 ]; then header="$header through pgbouncer |"; sep="$sep ---: |"; fi
echo "$header"
echo "$sep"
while IFS=$'\t' read -r phase _; do
  line="| $phase | $(pqv "$tmp/pq-fresh.tsv" "$phase") | $(pqv "$tmp/pq-reuse.tsv" "$phase") |"
  if [ "$PGBOUNCER" = 1 ]; then line="$line $(pqv "$tmp/pq-pgb.tsv" "$phase") |"; fi
  echo "$line"
done <"$tmp/pq-fresh.tsv"
echo
echo "cross-check: 'httvps health' (CLI: connect, 2 queries) $(med "httvps health (CLI)") µs" \
  "vs 'httvps --version' $(med "httvps --version") µs"

echo
echo "== the breakdown of one validate-device request (CGI, no web server), median µs"
start=$(med version)
libpq=$(($(med trivial+libpq) - $(med trivial)))
config=$(($(med check-config) - start))
connect=$(pqv "$tmp/pq-fresh.tsv" connect)
queries=$(pqsum "$tmp/pq-fresh.tsv")
commits=$(($(pqv "$tmp/pq-fresh.tsv" gateway_touch) + $(pqv "$tmp/pq-fresh.tsv" tx_commit)))
total=$(med "cgi direct")
rest=$((total - start - config - connect - queries))
if [ "$PGBOUNCER" = 1 ]; then
  p_connect=$(pqv "$tmp/pq-pgb.tsv" connect)
  p_queries=$(pqsum "$tmp/pq-pgb.tsv")
  p_commits=$(($(pqv "$tmp/pq-pgb.tsv" gateway_touch) + $(pqv "$tmp/pq-pgb.tsv" tx_commit)))
  p_total=$(med "cgi pgbouncer")
  p_rest=$((p_total - start - config - p_connect - p_queries))
fi
share() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f%%", 100 * a / b }'; }
brow() {  # brow LABEL DIRECT [PGBOUNCER]
  local line
  line=$(printf '| %-52s | %8s | %5s |' "$1" "$2" "$(share "$2" "$total")")
  if [ "$PGBOUNCER" = 1 ]; then line="$line $(printf '%8s | %5s |' "$3" "$(share "$3" "$p_total")")"; fi
  echo "$line"
}
if [ "$PGBOUNCER" = 1 ]; then
  echo "| part | direct µs | share | pgbouncer µs | share |"
  echo "| --- | ---: | ---: | ---: | ---: |"
else
  echo "| part | direct µs | share |"
  echo "| --- | ---: | ---: |"
fi
brow "process start, dynamic linking, static init" "$start" "$start"
brow "  of which libpq and the libraries it pulls in" "$libpq" "$libpq"
brow "config load" "$config" "$config"
brow "database connect" "$connect" "${p_connect:-}"
brow "queries (9 round trips)" "$queries" "${p_queries:-}"
brow "  of which the 2 commits (gateway_touch, COMMIT)" "$commits" "${p_commits:-}"
brow "the rest: request, JSON, crypto, exit (by difference)" "$rest" "${p_rest:-}"
brow "total: one validate-device CGI run" "$total" "${p_total:-}"
echo
cpu_line="CPU of the CGI process itself (user + system, mean): direct $(cpu "cgi direct") µs"
if [ "$PGBOUNCER" = 1 ]; then cpu_line="$cpu_line; through pgbouncer $(cpu "cgi pgbouncer") µs"; fi
echo "$cpu_line"

# ---- relinked variants ------------------------------------------------------------------

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
  [ -n "$obj" ] && [ -n "$link_libs" ] || die "cannot read the link of validate-device from $ninja_file"
  cp "$BUILD_DIR/$obj" "$rl/main.o"
  libs=()
  for l in $link_libs; do
    case "$l" in
      /*) libs+=("$l") ;;
      *.a) cp "$BUILD_DIR/$l" "$rl/$(basename "$l")"; libs+=("$rl/$(basename "$l")") ;;
      *) libs+=("$l") ;;
    esac
  done
  # toml++ compiled into config.cpp (TOML_HEADER_ONLY=1) instead of libtomlplusplus.so.
  cfg_dir=$(jq -r '.[] | select(.file | endswith("/tools/core/config.cpp")) | .directory' "$BUILD_DIR/compile_commands.json" | head -1)
  cfg_cmd=$(jq -r '.[] | select(.file | endswith("/tools/core/config.cpp")) | .command' "$BUILD_DIR/compile_commands.json" | head -1)
  [ -n "$cfg_cmd" ] || die "config.cpp is not in $BUILD_DIR/compile_commands.json"
  cfg_cmd=$(sed -e 's/-DTOML_HEADER_ONLY=0/-DTOML_HEADER_ONLY=1/' -e 's/-DTOML_SHARED_LIB=1//' \
    -e "s| -o [^ ]*config.cpp.o| -o $rl/config.cpp.o|" <<<"$cfg_cmd")
  (cd "$cfg_dir" && eval "$cfg_cmd") >"$tmp/logs/relink.log" 2>&1 || die "compiling config.cpp header-only failed: $(tail -5 "$tmp/logs/relink.log")"
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
  sf_dir=$(jq -r '.[] | select(.file | endswith("/generated/sql_files.cpp")) | .directory' "$BUILD_DIR/compile_commands.json" | head -1)
  sf_cmd=$(jq -r '.[] | select(.file | endswith("/generated/sql_files.cpp")) | .command' "$BUILD_DIR/compile_commands.json" | head -1)
  sf_src=$(jq -r '.[] | select(.file | endswith("/generated/sql_files.cpp")) | .file' "$BUILD_DIR/compile_commands.json" | head -1)
  [ -n "$sf_cmd" ] && [ -f "$sf_src" ] || die "sql_files.cpp is not in $BUILD_DIR/compile_commands.json"
  cp "$sf_src" "$rl/sql_files.cpp"
  perl -0pi -e '
    s/UPDATE gateways SET last_heartbeat_at = now\(\), last_address = \$2 WHERE id = \$1;/UPDATE gateways SET last_heartbeat_at = now(), last_address = \$2 WHERE id = \$1\n   AND (last_heartbeat_at IS NULL OR last_heartbeat_at < now() - interval \x2730 seconds\x27 OR last_address IS DISTINCT FROM \$2);/ or die "gateway_touch not found\n";
    s/UPDATE devices SET last_seen_at = now\(\), hwid = coalesce\(hwid, \$2\) WHERE id = \$1;/UPDATE devices SET last_seen_at = now(), hwid = coalesce(hwid, \$2) WHERE id = \$1\n   AND (last_seen_at IS NULL OR last_seen_at < now() - interval \x2760 seconds\x27 OR (hwid IS NULL AND \$2::text IS NOT NULL));/ or die "device_seen not found\n";
  ' "$rl/sql_files.cpp" 2>>"$tmp/logs/relink.log" || die "patching the queries failed: $(tail -2 "$tmp/logs/relink.log")"
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
  psql_at "UPDATE devices SET last_seen_at = now() - interval '1 hour'" >/dev/null
  check_cgi "$tmp/direct.toml" "$rl/vd-throttled"
  [ "$(psql_at "SELECT count(*) FROM devices WHERE last_seen_at > now() - interval '1 minute'")" = 1 ] ||
    die "the throttled variant did not record last_seen_at"
  hf -N -n "r as-built" "$rl/vd-as-built --version" -n "r znow" "$rl/vd-znow --version" \
    -n "r toml-ho" "$rl/vd-toml-ho --version" -n "r toml-ho-static-cxx" "$rl/vd-toml-ho-static-cxx --version"
  cgi_hf() {  # cgi_hf NAME CONFIG BINARY
    "${cgi_env[@]}" "HTTVPS_CONFIG=$2" hyperfine --style none --warmup 10 --runs "$RUNS" \
      --export-json "$rl/$1.json" -n "$1" "$3 < $tmp/body" >"$tmp/logs/hyperfine.log" 2>&1 ||
      die "hyperfine failed: $(tail -5 "$tmp/logs/hyperfine.log")"
    jq -r '.results[] | "\(.command)\t\(.median * 1e6 | floor)\t\(.user * 1e6 | floor)\t\(.system * 1e6 | floor)"' \
      "$rl/$1.json" >>"$tmp/hf.txt"
  }
  for v in vd-as-built vd-toml-ho-static-cxx vd-throttled; do
    cgi_hf "cgi $v" "$tmp/direct.toml" "$rl/$v"
    if [ "$PGBOUNCER" = 1 ]; then cgi_hf "cgi pgb $v" "$tmp/pgbouncer.toml" "$rl/$v"; fi
  done
  echo
  echo "== relinked validate-device (same objects, link or SQL changes only), median µs"
  if [ "$PGBOUNCER" = 1 ]; then
    echo "| variant | libs | --version wall | --version CPU | faults | CGI run, direct | CGI run, pgbouncer |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  else
    echo "| variant | libs | --version wall | --version CPU | faults | CGI run, direct |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  fi
  rrow() {  # rrow LABEL NAME BINARY
    local line v=${3##*/}
    line="| $1 | $(nlibs "$3") | ${2:+$(med "$2")} | ${2:+$(cpu "$2")} | $(faults "$3" --version) |"
    line="$line $(medq "cgi $v") |"
    if [ "$PGBOUNCER" = 1 ]; then line="$line $(medq "cgi pgb $v") |"; fi
    echo "$line"
  }
  rrow "as built (relinked copy)" "r as-built" "$rl/vd-as-built"
  rrow "-Wl,-z,now" "r znow" "$rl/vd-znow"
  rrow "toml++ header-only (no libtomlplusplus.so)" "r toml-ho" "$rl/vd-toml-ho"
  rrow "toml++ header-only, -static-libstdc++ -static-libgcc" "r toml-ho-static-cxx" "$rl/vd-toml-ho-static-cxx"
  rrow "throttled last-seen/heartbeat writes (SQL)" "" "$rl/vd-throttled"
  if [ -n "${SAVE_VARIANTS:-}" ]; then
    mkdir -p "$SAVE_VARIANTS"
    for v in "${variants[@]}"; do cp "$rl/$v" "$SAVE_VARIANTS/"; done
    note "variants copied to $SAVE_VARIANTS"
  fi
fi
echo
echo "load avg at end: $(cut -d' ' -f1-3 /proc/loadavg)"
