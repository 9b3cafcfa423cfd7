#!/usr/bin/env bash
# shellcheck shell=bash
# The admin panel (webadmin-wasm/): build with Emscripten, install into nginx's www
# directory, report its size. Source it for the functions, or run it:
#
#   ci/lib/panel.sh build [BUILD_DIR]   emcmake + build (default build/wasm-admin)
#   ci/lib/panel.sh size [BUILD_DIR]    JS + wasm bytes, raw and gzipped
#
#   panel_build BUILD_DIR          configures (once) and builds; BUILD_DIR/www holds the result
#   panel_install BUILD_DIR WWW    copies index.html, style.css, admin.js, admin.wasm into WWW;
#                                  without a build it leaves WWW as it is and says so
#   panel_gzip_bytes BUILD_DIR     prints the gzipped size of admin.js + admin.wasm
#
# The budget is 300 KB gzipped for JS + wasm (docs/admin-panel.md); panel_build fails
# above it.

_panel_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PANEL_BUDGET_BYTES=$((300 * 1024))

panel_gzip_bytes() {
  local dir=$1/www
  echo $(($(gzip -9c "$dir/admin.js" | wc -c) + $(gzip -9c "$dir/admin.wasm" | wc -c)))
}

panel_build() {
  local build=${1:-$_panel_root/build/wasm-admin}
  command -v emcmake >/dev/null || { echo "panel: emcmake not found (install emscripten)" >&2; return 1; }
  # Debian's emscripten needs Node's global modules (acorn) for optimised builds.
  export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}
  if [ ! -f "$build/CMakeCache.txt" ]; then
    emcmake cmake -S "$_panel_root/webadmin-wasm" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel >"$build.configure.log" 2>&1 ||
      { cat "$build.configure.log" >&2; echo "panel: emcmake configure failed" >&2; return 1; }
  fi
  cmake --build "$build" >&2 || { echo "panel: build failed" >&2; return 1; }
  local size
  size=$(panel_gzip_bytes "$build")
  echo "panel: built $build/www (JS + wasm $size bytes gzipped, budget $PANEL_BUDGET_BYTES)" >&2
  if [ "$size" -gt "$PANEL_BUDGET_BYTES" ]; then
    echo "panel: over the size budget" >&2
    return 1
  fi
}

panel_install() {
  local build=$1 www=$2 f
  if [ ! -f "$build/www/admin.wasm" ]; then
    echo "panel: no panel build in $build (make panel); nginx serves a placeholder" >&2
    return 0
  fi
  mkdir -p "$www"
  for f in index.html style.css admin.js admin.wasm; do
    cp "$build/www/$f" "$www/$f.new" && mv "$www/$f.new" "$www/$f"
  done
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  case "${1:-}" in
    build) panel_build "${2:-$_panel_root/build/wasm-admin}" ;;
    size)
      b=${2:-$_panel_root/build/wasm-admin}
      echo "admin.js   $(wc -c <"$b/www/admin.js") bytes, $(gzip -9c "$b/www/admin.js" | wc -c) gzipped"
      echo "admin.wasm $(wc -c <"$b/www/admin.wasm") bytes, $(gzip -9c "$b/www/admin.wasm" | wc -c) gzipped"
      echo "total      $(panel_gzip_bytes "$b") bytes gzipped (budget $PANEL_BUDGET_BYTES)"
      ;;
    *)
      echo "usage: ci/lib/panel.sh build|size [BUILD_DIR]" >&2
      exit 2
      ;;
  esac
fi
