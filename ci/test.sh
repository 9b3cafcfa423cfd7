#!/usr/bin/env bash
# ci/test.sh PRESET: run the whole suite of a built preset through CTest.
set -euo pipefail
preset=${1:-asan}
cd "$(dirname "$0")/.."
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --preset "$preset" "${@:2}"
