#!/usr/bin/env bash
# Installs every Debian package httvps builds, tests or runs with.
# Idempotent: when every package is already present it does nothing (no apt-get update).
set -euo pipefail

packages=(
  # build
  g++ cmake make pkg-config ninja-build
  libcli11-dev nlohmann-json3-dev libtomlplusplus-dev libcpp-httplib-dev
  libpq-dev libssl-dev catch2 libqrencode-dev
  # fuzzing (clang's libFuzzer)
  clang libclang-rt-14-dev
  # local stack and system tests
  postgresql postgresql-client nginx-light fcgiwrap curl jq procps psmisc openssl python3
  # an independent WebSocket client for tests/system/tunnel_ws_interop_test.sh
  python3-websockets
  # real peers: a Shadowsocks node and client; load generators and a pooler for bench/
  shadowsocks-libev wrk hyperfine pgbouncer
  # the admin panel: Emscripten builds it, chromium runs its browser tests (with npm's playwright-core)
  emscripten chromium nodejs
  # bench/tunnel.sh: a throughput meter and v2ray (VLESS over WebSocket) to compare against
  iperf3 v2ray
)

# npm comes with NodeSource's nodejs; Debian ships it as a package of its own.
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present" >&2
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
# Debian enables a system PostgreSQL cluster and nginx on install; httvps runs its own,
# private instances and never needs the system ones listening.
if command -v pg_lsclusters >/dev/null 2>&1; then
  pg_lsclusters -h 2>/dev/null | while read -r ver name _; do
    "${sudo_cmd[@]}" pg_ctlcluster "$ver" "$name" stop 2>/dev/null || true
  done
fi
"${sudo_cmd[@]}" service nginx stop >/dev/null 2>&1 || true
"${sudo_cmd[@]}" service shadowsocks-libev stop >/dev/null 2>&1 || true
"${sudo_cmd[@]}" service pgbouncer stop >/dev/null 2>&1 || true
"${sudo_cmd[@]}" service iperf3 stop >/dev/null 2>&1 || true
"${sudo_cmd[@]}" service v2ray stop >/dev/null 2>&1 || true
echo "install-deps: done" >&2
