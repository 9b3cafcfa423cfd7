#!/usr/bin/env bash
# The admin panel in the real Debian chromium, driven by playwright-core (panel_test.mjs):
# the panel built by ci/lib/panel.sh, served by nginx with the CGI API behind it, as on
# the local stack. Screenshots go to <build>/browser-artifacts/.
source "$HTTVPS_SOURCE_DIR/tests/system/lib.sh"
panel_build=${HTTVPS_PANEL_BUILD:-$HTTVPS_SOURCE_DIR/build/wasm-admin}
if [ ! -f "$panel_build/www/admin.wasm" ]; then
  echo "skipped: no panel build in $panel_build (ci/lib/panel.sh build; make test builds it)"
  exit 77
fi
for tool in chromium node npm; do
  command -v "$tool" >/dev/null || { fail "$tool is installed (ci/install-deps.sh)"; exit 1; }
done
# shellcheck source=ci/lib/panel.sh
source "$HTTVPS_SOURCE_DIR/ci/lib/panel.sh"
panel_install "$panel_build" "$TEST_TMP/nginx/www"
WEB_NAME=panel_browser_test
source "$HTTVPS_SOURCE_DIR/tests/system/web_fixture.sh"
export HTTVPS_CONFIG="$config"
unset HTTVPS_DATABASE_URL

# playwright-core from npm into tests/browser/node_modules, exactly as package-lock.json
# says; it downloads no browser.
browser_dir="$HTTVPS_SOURCE_DIR/tests/browser"
if [ ! -f "$browser_dir/node_modules/playwright-core/package.json" ] ||
  [ "$browser_dir/package-lock.json" -nt "$browser_dir/node_modules/.package-lock.json" ]; then
  (cd "$browser_dir" && npm ci --no-audit --no-fund --loglevel=error) || { fail "npm ci installs playwright-core"; exit 1; }
fi

for role in owner viewer; do
  printf '%s-password-123' "$role" >"$TEST_TMP/pw-$role"
  "$HTTVPS" admin create "${role}1" --role "$role" --password-file "$TEST_TMP/pw-$role" >/dev/null
done
"$HTTVPS" region create local >/dev/null
"$HTTVPS" node create local-ss --region local --host 127.0.0.1 --port 8388 >/dev/null
"$HTTVPS" plan create demo --data-limit 50GB --duration 30d >/dev/null
"$HTTVPS" user create ursula --plan demo >/dev/null
uid=$(sql "SELECT id FROM users WHERE username='ursula'")
sql "INSERT INTO usage_rollups SELECT 'day', 'user', $uid, date_trunc('day', now()) - g * interval '1 day', g * 1000000, g * 9000000, g * 10000000 FROM generate_series(0, 9) g" >/dev/null

req "$base/"
expect_eq "nginx serves the panel at /" "200 text/html" "$STATUS ${CTYPE%%;*}"
expect_contains "with a CSP that allows only its own files and wasm" "script-src 'self' 'wasm-unsafe-eval'" \
  "$(header Content-Security-Policy)"
req "$base/admin.wasm"
expect_eq "and the wasm as application/wasm" "200 application/wasm" "$STATUS $CTYPE"

artifacts="$(dirname "$HTTVPS_BIN_DIR")/browser-artifacts"
mkdir -p "$artifacts"
if PANEL_URL="$base/" OWNER_PASSWORD="$(cat "$TEST_TMP/pw-owner")" VIEWER_PASSWORD="$(cat "$TEST_TMP/pw-viewer")" \
  ARTIFACTS="$artifacts" NODE_PATH="$browser_dir/node_modules" node "$browser_dir/panel_test.mjs"; then
  pass "the panel passes its browser test (screenshots in $artifacts)"
else
  fail "the panel's browser test"
fi
expect_eq "the browser's changes are in the audit log as the owner" "1 1 1" \
  "$(sql "SELECT count(*) FROM audit_log WHERE action='plan.create' AND actor='admin:owner1'") $(sql "SELECT count(*) FROM audit_log WHERE action='device.issue' AND actor='admin:owner1'") $(sql "SELECT count(*) FROM audit_log WHERE action='device.revoke' AND actor='admin:owner1'")"
expect_eq "the viewer changed nothing" 0 "$(sql "SELECT count(*) FROM audit_log WHERE actor='admin:viewer1' AND action NOT IN ('admin.login','admin.logout')")"
