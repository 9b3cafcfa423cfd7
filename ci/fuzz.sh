#!/usr/bin/env bash
# ci/fuzz.sh [SECONDS]: builds the libFuzzer targets with clang (preset "fuzz") and runs
# each for SECONDS (default 60) on a scratch copy of its corpus. A crash fails the run and
# its input is copied into tools/*/fuzz/corpus/<target>/ as a regression input, which
# the ordinary test build then replays on every run.
set -euo pipefail
seconds=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ ! -f build/fuzz/CMakeCache.txt ]; then cmake --preset fuzz >/dev/null; fi
targets=(cgi_request config field_values crypto_decode links admin_token list_query telegram socks5 ss_chunks tunnel_frames ws_frames hello spool ss_manager_stat outline_api usage_batch)
if ! cmake --build build/fuzz -j "$(nproc 2>/dev/null || echo 2)" --target "${targets[@]/#/fuzz_}" >build/fuzz/build.log 2>&1; then
  grep -E 'error|FAILED' build/fuzz/build.log | head -20 >&2
  echo "fuzz: the clang build failed (build/fuzz/build.log)" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
for t in "${targets[@]}"; do
  mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
  corpus=$(ls -d tools/*/fuzz/corpus/"$t")  # tools/core or tools/tunnel
  cp "$corpus"/* "$work/$t/corpus/"
  if build/fuzz/bin/fuzz_"$t" "$work/$t/corpus" -max_total_time="$seconds" -rss_limit_mb=2048 \
      -timeout=10 -artifact_prefix="$work/$t/artifacts/" -print_final_stats=0 >"$work/$t/log" 2>&1; then
    echo "ok - fuzz_$t: $(grep -Eo 'Done [0-9]+ runs' "$work/$t/log" | tail -1 || echo 'ran') in ${seconds}s"
  else
    failed=$((failed + 1))
    echo "not ok - fuzz_$t crashed:" >&2
    tail -30 "$work/$t/log" >&2
    for a in "$work/$t/artifacts/"*; do
      [ -f "$a" ] || continue
      cp "$a" "$corpus/regression-$(basename "$a")"
      echo "saved regression input $corpus/regression-$(basename "$a")" >&2
    done
  fi
done
echo "$(( ${#targets[@]} - failed )) passed, $failed failed"
[ "$failed" -eq 0 ]
