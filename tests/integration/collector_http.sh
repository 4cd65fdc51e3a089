#!/bin/sh
# collector_http.sh: the real ward-collector over HTTPS on loopback with a
# throwaway CA: health, routing, token auth, body limits, TLS checks, refusals
# of unsafe configurations, and a clean stop on SIGTERM.
. "$top_srcdir/tests/integration/lib.sh"
require_cmd openssl
require_cmd curl

make_test_ca

# Tokens first, through the same database the server will use.
collector_conf "$T/collector.conf" 1
agent=$("$WARD_COLLECTOR" -c "$T/collector.conf" token add --role agent --name a1 2>/dev/null)
reader=$("$WARD_COLLECTOR" -c "$T/collector.conf" token add --role read --name r1 2>/dev/null)
[ -n "$agent" ] && [ -n "$reader" ] || fail "token add failed"

start_collector
pid=$COLLECTOR_PID
port=$PORT
URL=https://127.0.0.1:$port
CURL="curl -sS --cacert $T/ca.crt"

# code METHOD PATH [CURL-ARGS...]: the status of a request, body in $T/body.
code() {
	m=$1 p=$2
	shift 2
	$CURL -o "$T/body" -D "$T/headers" -w '%{http_code}' -X "$m" "$@" "$URL$p" 2>/dev/null || true
}
expect() {	# expect STATUS METHOD PATH [CURL-ARGS...]
	want=$1
	shift
	got=$(code "$@")
	[ "$got" = "$want" ] || fail "$1 $2: got $got, expected $want: $(cat "$T/body" 2>/dev/null)"
}

expect 200 GET /healthz
[ "$(cat "$T/body")" = '{"status":"ok"}' ] || fail "healthz body: $(cat "$T/body")"
assert_contains "$(cat "$T/headers")" "application/json; charset=utf-8"
assert_contains "$(cat "$T/headers")" "X-Content-Type-Options: nosniff"
assert_contains "$(cat "$T/headers")" "Cache-Control: no-store"
ok "/healthz answers 200 over HTTPS with the usual headers"

set +e
curl -sS -o /dev/null "$URL/healthz" 2> "$T/curl.err"
rc=$?
set -e
[ "$rc" = 60 ] || fail "curl without the CA exited $rc, expected 60 (certificate not verified)"
ok "the certificate does not verify without the CA"

expect 404 GET /no/such/path
assert_contains "$(cat "$T/body")" '"error"'
expect 405 POST /healthz
assert_contains "$(cat "$T/headers")" "Allow: GET"
expect 405 GET /api/v1/reports
assert_contains "$(cat "$T/headers")" "Allow: POST"
ok "404 for an unknown path, 405 with Allow for a wrong method"

expect 401 POST /api/v1/reports -d '{}'
[ "$(cat "$T/body")" = '{"error":"missing bearer token"}' ] || fail "401 body: $(cat "$T/body")"
assert_contains "$(cat "$T/headers")" "WWW-Authenticate: Bearer"
expect 401 POST /api/v1/reports -d '{}' -H "Authorization: Bearer ward_notatoken"
[ "$(cat "$T/body")" = '{"error":"invalid or revoked token"}' ] || fail "401 body: $(cat "$T/body")"
expect 401 POST /api/v1/reports -d '{}' -H "Authorization: Basic $agent"
expect 403 POST /api/v1/reports -d '{}' -H "Authorization: Bearer $reader"
assert_contains "$(cat "$T/body")" "agent or admin"
assert_contains "$(cat "$T/body")" "read role"
assert_not_contains "$(cat "$T/body")" "$reader"
ok "401 without a token or with a bad one, 403 for a read token on reports"

head -c 10485760 /dev/zero > "$T/big"
expect 413 POST /api/v1/reports -H "Authorization: Bearer $agent" \
    -H 'Content-Type: application/json' --data-binary @"$T/big"
expect 413 POST /api/v1/reports -H "Authorization: Bearer $agent" \
    -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' \
    --data-binary @"$T/big"
expect 200 GET /healthz
ok "413 for a 10 MB body, with and without Content-Length"

# Bytes that are not UTF-8, a newline and an escape in a path: a 404 whose
# JSON holds them escaped (not a 500 for a message JSON cannot hold), and
# nothing of them raw in the log, where a newline would forge a line.
expect 404 GET '/api/v1/datacentres/%ff%0a2026-01-01T00:00:00.000Z%20ward-collector%5B1%5D:%20FORGED%1b%5B2J/health' \
    -H "Authorization: Bearer $reader"
python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["error"])' "$T/body" > "$T/error" ||
    fail "the 404's body is not JSON: $(cat "$T/body")"
assert_contains "$(cat "$T/error")" '\xff\x0a2026-01-01'
assert_contains "$(cat "$T/error")" '\x1b[2J'
grep -q '^2026-01-01T00:00:00.000Z ward-collector\[1\]: FORGED' "$T/collector.log" &&
    fail "a request forged a log line: $(grep FORGED "$T/collector.log")"
[ "$(tr -d '\n' < "$T/collector.log" | tr -d '[:print:]' | wc -c)" = 0 ] ||
    fail "the log holds control bytes"
ok "a path with bytes that are not UTF-8 and control bytes: a JSON 404 holding them escaped, none raw in the log"

# The log has one line per request, names tokens by name, never the token.
log=$(cat "$T/collector.log")
assert_contains "$log" "POST /api/v1/reports 403"
assert_contains "$log" "token=r1"
assert_not_contains "$log" "${agent#ward_}"
assert_not_contains "$log" "${reader#ward_}"
ok "requests are logged without tokens"

# SIGTERM: a clean stop, exit 0, pidfile removed.
[ "$(cat "$T/collector.pid")" = "$pid" ] || fail "pidfile holds $(cat "$T/collector.pid"), expected $pid"
kill -TERM "$pid"
set +e
wait "$pid"
rc=$?
set -e
[ "$rc" = 0 ] || fail "collector exited $rc after SIGTERM: $(cat "$T/collector.log")"
[ ! -e "$T/collector.pid" ] || fail "pidfile left behind"
ok "SIGTERM stops it with exit 0 and removes the pidfile"

# Unsafe configurations are refused.
chmod 644 "$T/server.key"
run 1 "$WARD_COLLECTOR" -f -c "$T/collector.conf"
assert_contains "$OUT" "$T/server.key"
chmod 600 "$T/server.key"
printf '[http]\nlisten = 0.0.0.0:%s\ntls = no\n' "$port" > "$T/plain.conf"
run 1 "$WARD_COLLECTOR" -n -c "$T/plain.conf"
assert_contains "$OUT" "[http] tls = no is only allowed on a loopback address"
printf '[http]\nlisten = :%s\ntls = no\n' "$port" > "$T/plain.conf"
run 1 "$WARD_COLLECTOR" -n -c "$T/plain.conf"
assert_contains "$OUT" "only allowed on a loopback address"
printf '[http]\nlisten = [::1]:%s\ntls = no\n' "$port" > "$T/plain.conf"
run 0 "$WARD_COLLECTOR" -n -c "$T/plain.conf"
printf '[http]\nlisten = localhost:%s\n' "$port" > "$T/plain.conf"
run 1 "$WARD_COLLECTOR" -n -c "$T/plain.conf"
assert_contains "$OUT" "not a numeric"
printf '[http]\nlisten = 127.0.0.1:%s\n' "$port" > "$T/plain.conf"
run 1 "$WARD_COLLECTOR" -n -c "$T/plain.conf"
assert_contains "$OUT" "tls_cert and tls_key are required"
ok "a group-readable key, plain HTTP off loopback, bad listen are refused"

# -n reads the certificate and checks the key is its: what the server
# would fail on at start (libmicrohttpd says only that TLS failed), at the
# line that set it.
pair() {	# pair CERT KEY: an [http] section with them at lines 3 and 4
	printf '[http]\nlisten = 127.0.0.1:%s\ntls_cert = %s\ntls_key = %s\n' \
	    "$port" "$1" "$2" > "$T/pair.conf"
}
pair "$T/server.crt" "$T/server.key"
run 0 "$WARD_COLLECTOR" -n -c "$T/pair.conf"
pair "$T/nonexistent.crt" "$T/server.key"
run 1 "$WARD_COLLECTOR" -n -c "$T/pair.conf"
assert_contains "$OUT" "pair.conf:3: [http] tls_cert $T/nonexistent.crt: No such file or directory"
pair "$T/san.ext" "$T/server.key"
run 1 "$WARD_COLLECTOR" -n -c "$T/pair.conf"
assert_contains "$OUT" "pair.conf:3: [http] tls_cert $T/san.ext: no PEM certificate in it"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/other.key" 2>/dev/null ||
    fail "openssl: another key"
chmod 600 "$T/other.key"
pair "$T/server.crt" "$T/other.key"
run 1 "$WARD_COLLECTOR" -n -c "$T/pair.conf"
assert_contains "$OUT" "pair.conf:4: [http] tls_key is not the key of the certificate in tls_cert $T/server.crt"
assert_not_contains "$OUT" "PRIVATE KEY"
pair "$T/server.crt" "$T/server.key"
printf '[daemon]\nuser = no-such-user-ward\n' >> "$T/pair.conf"
run 1 "$WARD_COLLECTOR" -n -c "$T/pair.conf"
assert_contains "$OUT" 'pair.conf:6: [daemon] user: user "no-such-user-ward" does not exist'
ok "-n reads the certificate, checks the key is its and that the user exists, naming the line"
