#!/bin/sh
# collector_software.sh: a host's installed software through the real
# ward-collector: a report's list replaces the host's whole, a report
# without one keeps it, a late replay of an old report does not bring an
# old list back, bad entries are refused naming the field, and
# /api/v1/hosts/{name}/software answers with the list, filtered by q.
. "$top_srcdir/tests/integration/lib.sh"
require_cmd curl
require_cmd jq
make_test_ca

collector_conf "$T/collector.conf" 1
agent=$("$WARD_COLLECTOR" -c "$T/collector.conf" token add --role agent --name agents 2>/dev/null)
reader=$("$WARD_COLLECTOR" -c "$T/collector.conf" token add --role read --name helpdesk 2>/dev/null)
[ -n "$agent" ] && [ -n "$reader" ] || fail "token add failed"
start_collector

post() {	# post STATUS JSON: the answer must be STATUS; body in $T/reply
	code=$(printf '%s' "$2" | curl -sS --cacert "$T/ca.crt" -o "$T/reply" \
	    -w '%{http_code}' -H "Authorization: Bearer $agent" \
	    -H 'Content-Type: application/json' --data-binary @- \
	    "$URL/api/v1/reports" 2>/dev/null || echo 000)
	[ "$code" = "$1" ] || fail "report answered $code, not $1: $(cat "$T/reply")"
}
get() {		# get PATH: 200 expected; body in $T/body
	code=$(curl -sS --cacert "$T/ca.crt" -o "$T/body" -w '%{http_code}' \
	    -H "Authorization: Bearer $reader" "$URL$1" 2>/dev/null || echo 000)
	[ "$code" = 200 ] || fail "GET $1: $code: $(cat "$T/body")"
}
j() { jq -r "$1" "$T/body"; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
now=$(date +%s)
report() {	# report SEQ AGE-S [SOFTWARE-JSON]
	sw=""
	[ -n "${3:-}" ] && sw=",\"software\":$3"
	printf '{"schema":1,"agent":{"id":"pas-db1"},"seq":%d,"ts":"%s","host":{"name":"pas-db1"}%s}' \
	    "$1" "$(iso $((now - $2)))" "$sw"
}

post 200 "$(report 1 300)"
get /api/v1/hosts/pas-db1/software
[ "$(j .updated)" = null ] && [ "$(j .count)" = 0 ] ||
    fail "before any list: $(cat "$T/body")"
ok "no list reported yet: updated is null"

post 200 "$(report 2 200 '[{"name":"openssl_3.0.15-1~deb12u1_amd64","type":"application","installed":"2026-10-01T09:30:00+00:00"},{"name":"linux-image-6.1.0-26-amd64","type":"operatingSystem","installed":"2026-09-14"},{"name":"Oracle Database 19c"}]')"
get /api/v1/hosts/pas-db1/software
[ "$(j .count)" = 3 ] || fail "count: $(cat "$T/body")"
[ "$(j .updated)" = "$(iso $((now - 200)))" ] || fail "updated: $(j .updated)"
[ "$(j '.software[] | select(.name | startswith("openssl")) | .installed')" = \
    "2026-10-01T09:30:00+00:00" ] || fail "installed date"
[ "$(j '.software[] | select(.name == "Oracle Database 19c") | .type')" = null ] ||
    fail "an entry without a type"
get "/api/v1/hosts/pas-db1/software?q=SSL"
[ "$(j .count)" = 1 ] && [ "$(j '.software[0].name')" = \
    "openssl_3.0.15-1~deb12u1_amd64" ] || fail "q=SSL: $(cat "$T/body")"
get "/api/v1/hosts/pas-db1/software?q=%25"
[ "$(j .count)" = 0 ] || fail "q=% matched as a wildcard"
ok "a list is stored and served, filtered by q (literally)"

post 200 "$(report 3 100)"
get /api/v1/hosts/pas-db1/software
[ "$(j .count)" = 3 ] || fail "a report without a list dropped it"
post 200 "$(report 4 50 '[{"name":"openssl_3.0.16-1~deb12u1_amd64","type":"application"}]')"
get /api/v1/hosts/pas-db1/software
[ "$(j .count)" = 1 ] && [ "$(j '.software[0].name')" = \
    "openssl_3.0.16-1~deb12u1_amd64" ] || fail "not replaced: $(cat "$T/body")"
ok "a report without a list keeps it; a new list replaces it whole"

# A report from before, delivered late (a spool replay), keeps its data
# but does not bring its old list back.
printf '{"schema":1,"agent":{"id":"pas-db1"},"seq":5,"ts":"%s","host":{"name":"pas-db1"},"software":[{"name":"old-package"}]}' \
    "$(iso $((now - 400)))" > "$T/late.json"
post 200 "$(cat "$T/late.json")"
get /api/v1/hosts/pas-db1/software
[ "$(j '.software[0].name')" = "openssl_3.0.16-1~deb12u1_amd64" ] ||
    fail "a late report rolled the list back: $(cat "$T/body")"
post 200 "$(report 6 40 '[]')"
get /api/v1/hosts/pas-db1/software
[ "$(j .count)" = 0 ] && [ "$(j .updated)" != null ] ||
    fail "an empty list: $(cat "$T/body")"
ok "a late replay does not roll back; an empty list empties it"

# Bad entries: the whole report is refused, naming the field.
bad() {		# bad SOFTWARE-JSON EXPECTED-TEXT
	post 400 "$(report 7 30 "$1")"
	assert_contains "$(cat "$T/reply")" "$2"
}
bad '[{"type":"application"}]' 'report.software[0].name'
bad '[{"name":"x","type":"firmware"}]' 'report.software[0].type: use unknown'
bad '[{"name":"x","installed":"yesterday"}]' 'report.software[0].installed'
bad '[{"name":"x","installed":"2026-13-45T99:00:00Z"}]' 'report.software[0].installed'
bad '[{"name":"x","installed":"2026-13-45"}]' 'report.software[0].installed'
bad '[{"name":"x","installed":"2026-02-30"}]' 'report.software[0].installed'
bad '[{"name":""}]' 'report.software[0].name: length 0'
bad '{"name":"x"}' 'report.software'
bad '["x"]' 'report.software[0]: expected an object'
get /api/v1/hosts/pas-db1/software
[ "$(j .count)" = 0 ] || fail "a refused report changed the list"
ok "bad entries refused, naming the field; nothing of them stored"

code=$(curl -sS --cacert "$T/ca.crt" -o "$T/body" -w '%{http_code}' \
    -H "Authorization: Bearer $reader" "$URL/api/v1/hosts/no-such-host/software")
[ "$code" = 404 ] || fail "unknown host: $code"
ok "an unknown host is 404"
