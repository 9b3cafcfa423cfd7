#!/usr/bin/env bash
# ci/build.sh PRESET: configure and build with a CMake preset (release or asan).
set -euo pipefail
preset=${1:-release}
cd "$(dirname "$0")/.."
if [ ! -f "build/$preset/CMakeCache.txt" ]; then
  cmake --preset "$preset" >/dev/null
fi
cmake --build --preset "$preset" -j "$(nproc 2>/dev/null || echo 2)"
