#!/usr/bin/env bash
# The CGI behind real nginx + fcgiwrap, rendered from the same template as the local
# stack (templates/nginx/local.conf.in via ci/lib/web.sh), on a private prefix and a free
# port: status codes, content types, request ids and body limits as a client sees them.
source "$(dirname "$0")/lib.sh"
WEB_NAME=nginx_cgi_test
source "$(dirname "$0")/web_fixture.sh"

# Health, through nginx -> fcgiwrap -> httvps -> PostgreSQL.
req "$base/api/v1/health"
expect_eq "GET /api/v1/health is 200" 200 "$STATUS"
expect_eq "health is application/json" application/json "$CTYPE"
expect_eq "health reports the database up" up "$(jqb .database.status)"
expect_eq "health reports status ok" ok "$(jqb .status)"
check "health carries a generated X-Request-Id" -- test -n "$(header X-Request-Id)"
expect_eq "health is not cached" no-store "$(header Cache-Control)"

req -H 'X-Request-Id: abc-123' "$base/api/v1/health"
expect_eq "a client's X-Request-Id is echoed" abc-123 "$(header X-Request-Id)"

# Routing errors are problem+json with the request id in the body too.
req -H 'X-Request-Id: nope-1' "$base/api/v1/nope"
expect_eq "unknown path is 404" 404 "$STATUS"
expect_eq "404 is problem+json" application/problem+json "$CTYPE"
expect_eq "404 body carries the request id" nope-1 "$(jqb .request_id)"
expect_eq "404 names the path as instance" /api/v1/nope "$(jqb .instance)"

req -X POST -H 'Content-Type: application/json' --data '{}' "$base/api/v1/health"
expect_eq "POST /api/v1/health is 405" 405 "$STATUS"
expect_eq "405 is problem+json" application/problem+json "$CTYPE"

# 1.5 MB: under nginx's 2m, over the CGI's 1 MiB, so the CGI itself must refuse it.
# fcgiwrap writes the whole body into the CGI's stdin before it reads any reply, so a CGI
# that answers without consuming its stdin makes that write fail (EPIPE) and fcgiwrap
# answers "502 ... An error occurred while reading the request" instead.
head -c 1572864 /dev/zero | tr '\0' 'a' >"$TEST_TMP/big"
req -X POST -H 'Content-Type: application/json' --data-binary "@$TEST_TMP/big" "$base/api/v1/health"
if [ "$STATUS" = 502 ]; then
  echo "# 502 from fcgiwrap: '$BODY' -- the CGI must read (drain) its stdin before answering 413" >&2
fi
expect_eq "a 1.5 MB body is 413" 413 "$STATUS"
expect_eq "413 comes from the CGI as problem+json" application/problem+json "$CTYPE"
expect_eq "413 code is too_large" too_large "$(jqb .code)"

# Beyond nginx's own limit nginx answers; the CGI never runs.
head -c 2200000 /dev/zero >"$TEST_TMP/huge"
req -X POST --data-binary "@$TEST_TMP/huge" "$base/api/v1/health"
expect_eq "a body over client_max_body_size is refused by nginx with 413" 413 "$STATUS"

# nginx passes a raw query string through; a bad %-escape is the CGI's 400.
req -H 'X-Request-Id: bad-escape-1' "$base/api/v1/health?x=%zz"
expect_eq "a bad %-escape in the query is 400" 400 "$STATUS"
expect_eq "400 is problem+json" application/problem+json "$CTYPE"
expect_eq "400 code is usage" usage "$(jqb .code)"

# Static files: the admin panel's place, with the security headers.
req "$base/"
expect_eq "/ serves the static index" 200 "$STATUS"
expect_contains "/ is HTML" text/html "$CTYPE"
expect_eq "static responses say nosniff" nosniff "$(header X-Content-Type-Options)"
expect_eq "static responses send no referrer" no-referrer "$(header Referrer-Policy)"

# Database down: the config is read on every request, so pointing it at a socket
# directory where no server listens takes the database away without touching the shared
# fixture cluster.
write_config "host=$TEST_TMP/no-such-dir user=postgres dbname=nothing connect_timeout=2"
req "$base/api/v1/health"
expect_eq "health with the database down is 503" 503 "$STATUS"
expect_eq "503 is problem+json" application/problem+json "$CTYPE"
expect_eq "503 reports the database down" down "$(jqb .health.database.status)"
check "503 says when to retry" -- test -n "$(header Retry-After)"

# fcgiwrap -f hands the CGI's stderr to nginx, so its JSON log lines (with the request id)
# land in nginx's error log rather than on a terminal.
check "CGI log lines reach nginx's error log with the request id" -- grep -q '"request_id":"bad-escape-1"' "$prefix/logs/error.log"

# Cleanup leaves nothing: stop now and check the recorded processes are gone.
nginx_pid=$(web_pid "$run" nginx || echo 0)
fcgi_pid=$(web_pid "$run" fcgiwrap || echo 0)
web_stop "$run"
check "nginx is gone after web_stop" -- test "$nginx_pid" != 0 -a ! -e "/proc/$nginx_pid"
check "fcgiwrap's process group is gone after web_stop" -- bash -c "! kill -0 -- -$fcgi_pid 2>/dev/null"
check "pid files and socket are removed" -- test ! -e "$run/nginx.pid" -a ! -e "$run/fcgiwrap.pid" -a ! -e "$run/fcgiwrap.sock"
