#!/bin/sh
# collector_api.sh: the query API and /metrics through the real
# ward-collector over HTTPS: every route with its roles and errors, paging
# that covers every host once, hostile query strings, and a /metrics text
# that follows the exposition format and moves with what arrives.
. "$top_srcdir/tests/integration/lib.sh"
require_cmd curl
require_cmd jq
require_cmd sqlite3
make_test_ca

collector_conf "$T/collector.conf" 1
agent=$("$WARD_COLLECTOR" -c "$T/collector.conf" token add --role agent --name agents 2>/dev/null)
reader=$("$WARD_COLLECTOR" -c "$T/collector.conf" token add --role read --name helpdesk 2>/dev/null)
admin=$("$WARD_COLLECTOR" -c "$T/collector.conf" token add --role admin --name ops 2>/dev/null)
[ -n "$agent" ] && [ -n "$reader" ] && [ -n "$admin" ] || fail "token add failed"
start_collector "" "[health]
evaluate_interval = 1s"

# get PATH [TOKEN [CURL-ARGS...]]: prints the status; body in $T/body.
get() {
	p=$1 tok=${2:-$reader}
	shift
	[ $# -gt 0 ] && shift
	curl -sS --cacert "$T/ca.crt" -o "$T/body" -D "$T/headers" \
	    -w '%{http_code}' -H "Authorization: Bearer $tok" "$@" \
	    "$URL$p" 2>/dev/null || echo 000
}
# expect STATUS PATH [TOKEN [CURL-ARGS...]]
expect() {
	want=$1
	shift
	got=$(get "$@")
	[ "$got" = "$want" ] ||
	    fail "GET $1: status $got, expected $want: $(cat "$T/body")"
	# Every error answer is kept, to show none carries internals.
	case $got in 2*) ;; *) { cat "$T/body"; echo; } >> "$T/errors" ;; esac
}
body() { cat "$T/body"; }
j() { jq -r "$1" "$T/body"; }
post() {	# post FILE: the reports in FILE must be accepted
	code=$(curl -sS --cacert "$T/ca.crt" -o "$T/reply" -w '%{http_code}' \
	    -H "Authorization: Bearer $agent" -H 'Content-Type: application/json' \
	    --data-binary @"$1" "$URL/api/v1/reports" 2>/dev/null || echo 000)
	[ "$code" = 200 ] || fail "reports refused ($code): $(cat "$T/reply")"
}
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }

# The estate: srv-01..srv-20 spread over three datacentres and none, two
# hosts sharing a name, a renamed host, hostile names, and srv-01 with an
# hour of load.1 every ten minutes.
now=$(date +%s)
{
	printf '['
	i=1
	while [ $i -le 20 ]; do
		n=$(printf '%02d' $i)
		case $((i % 4)) in
		0) dc='"datacentre":"basildon",' ;;
		1) dc='"datacentre":"southend",' ;;
		2) dc='"datacentre":"orsett",' ;;
		3) dc='' ;;
		esac
		kind=server
		[ $((i % 5)) = 0 ] && kind=switch
		printf '{"schema":1,"agent":{"id":"srv-%s"},"seq":1,"ts":"%s","host":{"name":"srv-%s","fqdn":"srv-%s.btuh.test",%s"kind":"%s","serial":"SN%s","addresses":["10.9.0.%d"],"os":{"pretty_name":"Debian GNU/Linux 12 (bookworm)"}},"metrics":[{"name":"load.1","value":0.5}]},' \
		    "$n" "$(iso $((now - 3600)))" "$n" "$n" "$dc" "$kind" "$n" "$i"
		i=$((i + 1))
	done
	for s in 2 3 4 5 6; do
		printf '{"schema":1,"agent":{"id":"srv-01"},"seq":%d,"ts":"%s","host":{"name":"srv-01","fqdn":"srv-01.btuh.test","datacentre":"southend","serial":"SN01","addresses":["10.9.0.1"],"os":{"pretty_name":"Debian GNU/Linux 12 (bookworm)"}},"metrics":[{"name":"load.1","value":%d},{"name":"fs.used","value":%d,"unit":"percent","labels":{"mount":"/var"}},{"name":"fs.used","value":10,"unit":"percent","labels":{"mount":"/"}}],"checks":[{"name":"ntp","status":2,"output":"NTP CRITICAL: no sync"}],"interfaces":[{"name":"eth0","index":2,"oper":"up"}]},' \
		    $s "$(iso $((now - 3600 + (s - 1) * 600)))" $s $((50 + s))
	done
	printf '{"schema":1,"agent":{"id":"shared-a"},"seq":1,"ts":"%s","host":{"name":"shared","datacentre":"orsett"}},' "$(iso "$now")"
	printf '{"schema":1,"agent":{"id":"shared-b"},"seq":1,"ts":"%s","host":{"name":"shared","datacentre":"basildon"}},' "$(iso "$now")"
	printf '{"schema":1,"agent":{"id":"ren-1"},"seq":1,"ts":"%s","host":{"name":"before-rename"}},' "$(iso $((now - 60)))"
	printf '{"schema":1,"agent":{"id":"ren-1"},"seq":2,"ts":"%s","host":{"name":"after-rename"}},' "$(iso "$now")"
	printf '{"schema":1,"agent":{"id":"evil-1"},"seq":1,"ts":"%s","host":{"name":"x%s); DROP TABLE hosts; --\\u001b[2J","datacentre":"orsett"}},' "$(iso "$now")" "'"
	printf '{"schema":1,"agent":{"id":"weird-1"},"seq":1,"ts":"%s","host":{"name":"we\\"ird\\\\na\\nme","datacentre":"q\\"uote"}},' "$(iso "$now")"
	printf '{"schema":1,"agent":{"id":"pct-1"},"seq":1,"ts":"%s","host":{"name":"100%%_done"}}' "$(iso "$now")"
	printf ']'
} > "$T/estate.json"
post "$T/estate.json"
nhosts=26
[ "$(sqlite3 "$T/ward.db" 'SELECT count(*) FROM hosts')" = $nhosts ] ||
    fail "estate: $(sqlite3 "$T/ward.db" 'SELECT count(*) FROM hosts') hosts stored"
[ "$(sqlite3 "$T/ward.db" "SELECT count(*) FROM sqlite_master WHERE name IN ('hosts_name_nocase', 'hosts_fqdn_nocase')")" = 2 ] ||
    fail "migration 2 (query indexes) not applied"

# --- roles
for p in /api/v1/datacentres /api/v1/hosts /api/v1/hosts/srv-01 \
    /api/v1/hosts/srv-01/metrics/load.1 '/api/v1/search?q=srv' /metrics; do
	code=$(curl -sS --cacert "$T/ca.crt" -o "$T/body" -w '%{http_code}' \
	    "$URL$p" 2>/dev/null || echo 000)
	[ "$code" = 401 ] || fail "GET $p without a token: $code"
	expect 401 "$p" ward_forged_token_value
	expect 403 "$p" "$agent"
	assert_contains "$(body)" "needs the read, operate or admin role"
	expect 200 "$p" "$reader"
	expect 200 "$p" "$admin"
done
ok "every query route and /metrics: 401 without or with a bad token, 403 for an agent token, 200 for read and admin"

# --- datacentres
expect 200 /api/v1/datacentres
[ "$(j '.hosts')" = $nhosts ] || fail "datacentres: hosts $(j .hosts)"
[ "$(j '.datacentres[] | select(.datacentre == "basildon") | .hosts')" = 6 ] ||
    fail "basildon: $(body)"
[ "$(j '.datacentres[] | select(.datacentre == "basildon") | .kinds.switch')" = 1 ] ||
    fail "basildon switches: $(body)"
[ "$(j '.datacentres[-1].datacentre')" = null ] || fail "unassigned not last: $(body)"
[ "$(j '.datacentres[-1].unassigned')" = true ] || fail "unassigned not flagged"
[ "$(j '.datacentres[-1].hosts')" = 7 ] || fail "unassigned hosts: $(j '.datacentres[-1].hosts')"
[ "$(j '.datacentres[-1].worst_state')" = UP ] || fail "worst state"
ok "datacentres: counts by kind and state, the unassigned group last"

# --- paging: every host exactly once, in name order
: > "$T/ids"
next="/api/v1/hosts?limit=7"
pages=0
while [ "$next" != null ]; do
	expect 200 "$next"
	[ "$(j .total)" = $nhosts ] || fail "total $(j .total)"
	j '.hosts[].agent_id' >> "$T/ids"
	j '.hosts[].name' >> "$T/names"
	next=$(j .next)
	pages=$((pages + 1))
	[ $pages -le 10 ] || fail "paging does not end"
done
[ $pages = 4 ] || fail "$pages pages of 7 for $nhosts hosts"
[ "$(wc -l < "$T/ids")" = $nhosts ] || fail "$(wc -l < "$T/ids") hosts over the pages"
[ "$(sort -u "$T/ids" | wc -l)" = $nhosts ] || fail "a host came twice: $(sort "$T/ids" | uniq -d)"
sqlite3 "$T/ward.db" 'SELECT agent_id FROM hosts' | sort > "$T/all"
sort "$T/ids" | cmp -s - "$T/all" || fail "the pages are not the hosts"
head -1 "$T/names" | grep -q '^100%_done$' || fail "not sorted by name: $(head -3 "$T/names")"
expect 400 "/api/v1/hosts?cursor=bm9wZQ"
assert_contains "$(body)" '"error":"cursor: '
expect 400 "/api/v1/hosts?limit=5000"
assert_contains "$(body)" '"error":"limit: '
ok "hosts: $pages pages of 7 cover all $nhosts hosts once; bad cursor and limit are 400"

# --- filters and the text query
count() { expect 200 "/api/v1/hosts" "$reader" --get "$@"; j .total; }
[ "$(count --data-urlencode datacentre=orsett)" = 7 ] || fail "datacentre=orsett: $(body)"
[ "$(count --data-urlencode datacentre=)" = 7 ] || fail "datacentre= (none): $(body)"
[ "$(count --data-urlencode kind=switch)" = 4 ] || fail "kind=switch"
[ "$(count --data-urlencode kind=switch --data-urlencode datacentre=basildon)" = 1 ] ||
    fail "kind and datacentre together"
[ "$(count --data-urlencode q=SRV-0)" = 9 ] || fail "q=SRV-0: $(j .total)"
[ "$(count --data-urlencode q=sn13)" = 1 ] || fail "q by serial"
[ "$(count --data-urlencode q=10.9.0.17)" = 1 ] || fail "q by address"
[ "$(count --data-urlencode q=bookworm)" = 20 ] || fail "q by OS name"
[ "$(count --data-urlencode q=%)" = 1 ] || fail "q=% must match only a literal %"
[ "$(count --data-urlencode q=srv_0)" = 0 ] || fail "q=_ must be literal"
[ "$(count --data-urlencode "q='; DROP TABLE hosts; --")" = 0 ] || fail "SQL in q"
[ "$(count --data-urlencode "q=$(printf 'x\033[2J\033]0;owned\007')")" = 0 ] || fail "escapes in q"
[ "$(count --data-urlencode "q=DROP TABLE")" = 1 ] || fail "the evil host is data"
[ "$(sqlite3 "$T/ward.db" 'SELECT count(*) FROM hosts')" = $nhosts ] || fail "hosts damaged"
expect 400 "/api/v1/hosts?q=%FF%FE"
[ "$(body)" = '{"error":"q: not valid UTF-8"}' ] || fail "bad UTF-8: $(body)"
head -c 10000 /dev/zero | tr '\0' 'q' > "$T/bigq"
expect 400 /api/v1/hosts "$reader" --get --data-urlencode "q@$T/bigq"
assert_contains "$(body)" '"error":"q: 10000 bytes long'
expect 400 "/api/v1/hosts?state=DOWNISH"
assert_contains "$(body)" '"error":"state: '
# A NUL byte would cut a value short (q=srv-0 matching as q=srv): refused.
expect 400 "/api/v1/hosts?q=srv%00-99"
[ "$(body)" = '{"error":"q: a NUL byte (%00) in a query parameter"}' ] ||
    fail "NUL in q: $(body)"
expect 400 "/api/v1/hosts?st%00ate=UP"
assert_contains "$(body)" 'a NUL byte (%00) in a query parameter'
ok "filters by datacentre (and none), kind, state; q over name, serial, address, OS; wildcards, SQL, escapes and NULs are data or refused"

# --- state: a host not heard from for 3 intervals is STALE
sqlite3 "$T/ward.db" "UPDATE hosts SET last_seen_ms = last_seen_ms - 7200000 WHERE agent_id = 'srv-03'"
# The health engine judges states every evaluate_interval (1 s here).
i=0
until [ "$(sqlite3 "$T/ward.db" "SELECT state FROM hosts WHERE agent_id = 'srv-03'")" = STALE ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "srv-03 never became STALE"
	sleep 0.1
done
expect 200 "/api/v1/hosts?state=stale"
[ "$(j '[.hosts[].agent_id] | join(",")')" = srv-03 ] || fail "state=stale: $(body)"
[ "$(j '.hosts[0].state')" = STALE ] || fail "stale host state"
expect 200 /api/v1/datacentres
[ "$(j '.datacentres[-1].worst_state')" = STALE ] || fail "worst state of unassigned: $(body)"
[ "$(j '.states.STALE')" = 1 ] || fail "STALE total"
ok "a host silent for three intervals is STALE in lists, filters and roll-ups"

# --- one host
expect 200 /api/v1/hosts/srv-01
[ "$(j .agent_id)" = srv-01 ] || fail "detail: $(body)"
[ "$(j .last_seq)" = 6 ] || fail "last_seq"
[ "$(j .addresses[0])" = 10.9.0.1 ] || fail "addresses"
[ "$(j '[.metrics[].name] | join(",")')" = "fs.used,fs.used,load.1" ] || fail "metrics: $(j .metrics)"
[ "$(j '.metrics[] | select(.name == "load.1") | .value')" = 6 ] || fail "latest load.1"
[ "$(j '.metrics[] | select(.labels.mount == "/var") | .unit')" = percent ] || fail "labels"
[ "$(j '.checks[0].status_text')" = CRITICAL ] || fail "checks"
[ "$(j '.interfaces[0].name')" = eth0 ] || fail "interfaces"
expect 200 /api/v1/hosts/SRV-07.BTUH.TEST
[ "$(j .agent_id)" = srv-07 ] || fail "by FQDN in any case"
expect 200 /api/v1/hosts/after-rename
[ "$(j '.renames[0].old_name')" = before-rename ] || fail "rename history: $(body)"
expect 409 /api/v1/hosts/shared
[ "$(j '[.candidates[].agent_id] | join(",")')" = shared-a,shared-b ] || fail "409: $(body)"
expect 200 "$(j '.candidates[1].url')"
[ "$(j .datacentre)" = basildon ] || fail "by agent id from the 409"
expect 404 "/api/v1/hosts/no-such-host"
[ "$(body)" = '{"error":"no host is called \"no-such-host\" (by name, FQDN or agent id)"}' ] ||
    fail "404: $(body)"
expect 404 "/api/v1/hosts/x%27%3B%20DROP%20TABLE%20hosts%3B%1B%5B2J%FF"
assert_contains "$(body)" '\\x1b[2J\\xff'
ok "host detail by name, FQDN, agent id; 409 lists the agent ids; 404 names it"

# --- a metric's series
expect 200 /api/v1/hosts/srv-01/metrics/load.1
[ "$(j .resolution)" = raw ] || fail "resolution $(j .resolution)"
[ "$(j '.series[0].points | length')" = 6 ] || fail "points: $(body)"
[ "$(j '.series[0].points[-1][1]')" = 6 ] || fail "last point"
expect 200 "/api/v1/hosts/srv-01/metrics/load.1?from=-400d&to=now"
[ "$(j .resolution)" = hour ] || fail "a long range is hourly: $(j .resolution)"
[ "$(j '[.series[0].points[][4]] | add')" = 6 ] || fail "roll-up counts: $(body)"
expect 200 /api/v1/hosts/srv-01/metrics/load.1 "$reader" --get \
    --data-urlencode "from=$(iso $((now - 1900)))" --data-urlencode "to=$(iso $((now - 600)))"
[ "$(j '.series[0].points | length')" = 3 ] || fail "ISO range: $(body)"
expect 200 "/api/v1/hosts/srv-01/metrics/fs.used?labels=mount=/var"
[ "$(j '.series | length')" = 1 ] || fail "labels filter"
[ "$(j '.series[0].points[-1][1]')" = 56 ] || fail "labels value"
expect 400 "/api/v1/hosts/srv-01/metrics/load.1?from=yesterday"
assert_contains "$(body)" '"error":"from: '
expect 400 "/api/v1/hosts/srv-01/metrics/load.1?to=2026-13-01"
assert_contains "$(body)" '"error":"to: '
expect 404 /api/v1/hosts/srv-01/metrics/no.such
expect 404 /api/v1/hosts/nobody/metrics/load.1
expect 409 /api/v1/hosts/shared/metrics/load.1
ok "series: raw for 6 hours, hourly for 400 days, ISO ranges, label filter; bad from/to are 400"

# --- search
expect 400 /api/v1/search
[ "$(body)" = '{"error":"q: missing; say what to search for (1 to 256 bytes)"}' ] || fail "$(body)"
expect 200 "/api/v1/search?q=srv-1"
[ "$(j .total)" = 10 ] || fail "search total: $(j .total)"
[ "$(j '.results[0].type')" = host ] || fail "typed results"
[ "$(j '.results[0].name')" = srv-10 ] || fail "order: $(body)"
expect 200 "/api/v1/search?q=srv-07.BTUH"
[ "$(j '.results[0].matched')" = fqdn ] || fail "matched: $(body)"
expect 200 /api/v1/search "$reader" --get --data-urlencode "q=$(printf '\033[2J')"
[ "$(j .total)" = 1 ] || fail "an escape sequence is searched as text: $(body)"
[ "$(j '.results[0].agent_id')" = evil-1 ] || fail "escape search"
ok "search: typed results, best first; q required; escapes are data"

# --- errors name the parameter, never internals
errors=$(cat "$T/errors")
for needle in SELECT sqlite SQLITE "$T" ward.db "no such"; do
	assert_not_contains "$errors" "$needle"
done
ok "$(wc -l < "$T/errors") error answers, none with SQL, paths or database messages"

# --- /metrics
expect 200 /metrics
assert_contains "$(cat "$T/headers")" "Content-Type: text/plain; version=0.0.4"
cp "$T/body" "$T/m1"
# Every line is a HELP or TYPE comment or a sample of the 0.0.4 grammar.
name='[a-zA-Z_:][a-zA-Z0-9_:]*'
lv='"([^"\\]|\\[\\"n])*"'
label="[a-zA-Z_][a-zA-Z0-9_]*=$lv"
if LC_ALL=C grep -Ev "^(# HELP $name .*|# TYPE $name (counter|gauge|histogram|summary|untyped)|$name(\\{$label(,$label)*\\})? ([-+]?[0-9.]+([eE][-+]?[0-9]+)?|[-+]Inf|NaN))\$" "$T/m1" > "$T/badlines"; then
	fail "lines outside the exposition format: $(head -5 "$T/badlines")"
fi
# One TYPE per family.
[ -z "$(grep '^# TYPE' "$T/m1" | awk '{print $3}' | sort | uniq -d)" ] || fail "a family typed twice"
mval() {	# mval SERIES FILE: the value of the sample line for SERIES
	awk -v k="$1" 'index($0, k " ") == 1 { print $NF; exit }' "$2"
}
[ "$(mval 'ward_host_up{host="srv-03",agent_id="srv-03",datacentre=""}' "$T/m1")" = 0 ] ||
    fail "stale host not 0"
[ "$(mval 'ward_host_up{host="srv-04",agent_id="srv-04",datacentre="basildon"}' "$T/m1")" = 1 ] ||
    fail "up host not 1"
grep -qF 'ward_host_up{host="we\"ird\\na\nme",agent_id="weird-1",datacentre="q\"uote"} 1' "$T/m1" ||
    fail "label values not escaped: $(grep weird "$T/m1")"
[ "$(mval 'ward_hosts{state="STALE"}' "$T/m1")" = 1 ] || fail "hosts by state"
[ "$(mval ward_reports_accepted_total "$T/m1")" = 32 ] || fail "accepted: $(mval ward_reports_accepted_total "$T/m1")"
[ "$(mval 'ward_db_size_bytes{file="main"}' "$T/m1")" -gt 0 ] || fail "db size"
[ "$(mval 'ward_http_requests_total{route="GET /api/v1/hosts/{name}",code="4xx"}' "$T/m1")" -ge 4 ] ||
    fail "request counts by route and class"
[ "$(mval 'ward_http_requests_total{route="GET /metrics",code="4xx"}' "$T/m1")" -ge 2 ] ||
    fail "401/403 on /metrics counted"

# Counters move with what arrives: a new report, a replay, a bad one.
printf '{"schema":1,"agent":{"id":"late-1"},"seq":1,"ts":"%s","host":{"name":"late"}}' "$(iso "$now")" > "$T/late.json"
post "$T/late.json"
post "$T/late.json"
curl -sS --cacert "$T/ca.crt" -o /dev/null -H "Authorization: Bearer $agent" \
    --data-binary '{"schema":1' "$URL/api/v1/reports" 2>/dev/null || true
expect 200 /metrics
cp "$T/body" "$T/m2"
for c in received:3 accepted:1 duplicates:1 rejected:1 failed:0; do
	n=${c%%:*} d=${c#*:}
	a=$(mval "ward_reports_${n}_total" "$T/m1")
	b=$(mval "ward_reports_${n}_total" "$T/m2")
	[ $((b - a)) = "$d" ] || fail "ward_reports_${n}_total moved by $((b - a)), expected $d"
done
a=$(mval ward_ingest_duration_seconds_count "$T/m1")
b=$(mval ward_ingest_duration_seconds_count "$T/m2")
[ $((b - a)) = 3 ] || fail "ingest histogram count moved by $((b - a))"
[ "$(mval 'ward_ingest_duration_seconds_bucket{le="+Inf"}' "$T/m2")" = "$b" ] || fail "+Inf bucket != count"
[ "$(mval 'ward_hosts{state="UP"}' "$T/m2")" = $nhosts ] || fail "the new host is not counted UP"
ok "/metrics: every line parses, labels escaped, counters and the ingest histogram move with reports"

# The log names what failed; replies did not.
assert_not_contains "$(cat "$T/collector.log")" "$reader"

# A host named like another's agent id does not take that host's url (the
# one every list and 409 gives for it), and is found by its own.
printf '{"schema":1,"agent":{"id":"impostor-1"},"seq":1,"ts":"%s","host":{"name":"shared-a","datacentre":"southend"}}' "$(iso "$now")" > "$T/impostor.json"
post "$T/impostor.json"
expect 200 /api/v1/hosts/shared-a
[ "$(j .agent_id),$(j .name),$(j .datacentre)" = shared-a,shared,orsett ] ||
    fail "shared-a's url gave another host: $(body)"
expect 200 /api/v1/hosts/impostor-1
[ "$(j .name)" = shared-a ] || fail "the impostor by its agent id: $(body)"
ok "a host named like another's agent id leaves that host's url to it"
