#!/bin/sh
# collector_health.sh: the health engine in the real collector, fed real
# reports over HTTPS: soft then hard check states and their alerts,
# acknowledgement, recovery, threshold rules, checks that stop being
# reported, flapping, STALE hosts, and one dead switch giving one alert
# while the hosts behind it go UNREACHABLE, recorded and not notified.
. "$top_srcdir/tests/integration/lib.sh"
require_cmd curl
require_cmd jq
require_cmd sqlite3
make_test_ca

collector_conf "$T/collector.conf" 1
agent=$("$WARD_COLLECTOR" -c "$T/collector.conf" token add --role agent --name agents 2>/dev/null)
reader=$("$WARD_COLLECTOR" -c "$T/collector.conf" token add --role read --name helpdesk 2>/dev/null)
oncall=$("$WARD_COLLECTOR" -c "$T/collector.conf" token add --role operate --name oncall-jo 2>/dev/null)
[ -n "$agent" ] && [ -n "$reader" ] && [ -n "$oncall" ] || fail "token add failed"
start_collector "" "[health]
max_attempts = 2
stale_intervals = 3
evaluate_interval = 1s
[parent \"sw-core\"]
children = srv-*"

# report HOST SEQ 'CHECKS' 'METRICS' [KIND]: one report, ts now.
report() {
	printf '{"schema":1,"agent":{"id":"%s"},"seq":%s,"ts":"%s","interval_s":60,"host":{"name":"%s","datacentre":"thurrock","kind":"%s"},"checks":[%s],"metrics":[%s]}' \
	    "$1" "$2" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" "${5:-server}" \
	    "$3" "$4" > "$T/r.json"
	code=$(curl -sS --cacert "$T/ca.crt" -o "$T/reply" -w '%{http_code}' \
	    -H "Authorization: Bearer $agent" --data-binary @"$T/r.json" \
	    "$URL/api/v1/reports" 2>/dev/null || echo 000)
	[ "$code" = 200 ] || fail "report $1 $2 refused ($code): $(cat "$T/reply")"
}
chk() {	# chk NAME STATUS: a check object
	printf '{"name":"%s","status":%s,"output":"%s is %s"}' "$1" "$2" "$1" "$2"
}
get() {	# get PATH [TOKEN]: body in $T/body, prints the status
	curl -sS --cacert "$T/ca.crt" -o "$T/body" -w '%{http_code}' \
	    -H "Authorization: Bearer ${2:-$reader}" "$URL$1" 2>/dev/null || echo 000
}
j() { jq -r "$1" "$T/body"; }
db() { sqlite3 "$T/ward.db" "$1"; }
# wait_for DESC CONDITION
wait_for() {
	i=0
	while ! eval "$2"; do
		i=$((i + 1))
		[ $i -lt 150 ] || fail "timed out waiting for $1"
		sleep 0.1
	done
}

# ------------------------------------------------- soft, hard, ack, ok
report pas-app01 1 "$(chk ntp 0)" ""
report pas-app01 2 "$(chk ntp 2)" ""
[ "$(db "select state_type || ' ' || attempt from checks where name = 'ntp'")" = "soft 1" ] ||
    fail "first CRITICAL is not soft 1: $(db 'select * from checks')"
[ "$(db "select count(*) from alerts")" = 0 ] || fail "a soft state raised an alert"
report pas-app01 3 "$(chk ntp 2)" ""
[ "$(db "select state_type || ' ' || hard_status from checks where name = 'ntp'")" = "hard 2" ] ||
    fail "second CRITICAL is not hard"
[ "$(get '/api/v1/alerts')" = 200 ] || fail "alerts: $(cat "$T/body")"
[ "$(j '.total')" = 1 ] || fail "one alert expected: $(cat "$T/body")"
[ "$(j '.alerts[0].kind')" = check ] || fail "kind: $(cat "$T/body")"
[ "$(j '.alerts[0].severity')" = critical ] || fail "severity"
[ "$(j '.alerts[0].host')" = pas-app01 ] || fail "host"
[ "$(j '.alerts[0].runbook')" = runbooks/check.md ] || fail "runbook"
id=$(j '.alerts[0].id')
ok "a check is soft, then hard after max_attempts: one alert, with its runbook"

[ "$(curl -sS --cacert "$T/ca.crt" -o "$T/body" -w '%{http_code}' -X POST \
    -H "Authorization: Bearer $reader" -d '{}' "$URL/api/v1/alerts/$id/ack")" = 403 ] ||
    fail "a read token acknowledged: $(cat "$T/body")"
[ "$(curl -sS --cacert "$T/ca.crt" -o "$T/body" -w '%{http_code}' -X POST \
    -H "Authorization: Bearer $oncall" -d '{"comment":"looking; <b>ntp</b> \u001b[2J"}' \
    "$URL/api/v1/alerts/$id/ack")" = 200 ] || fail "ack: $(cat "$T/body")"
[ "$(curl -sS --cacert "$T/ca.crt" -o "$T/body" -w '%{http_code}' -X POST \
    -H "Authorization: Bearer $oncall" "$URL/api/v1/alerts/$id/ack")" = 409 ] ||
    fail "a second ack: $(cat "$T/body")"
assert_contains "$(cat "$T/body")" "already acknowledged"
[ "$(curl -sS --cacert "$T/ca.crt" -o "$T/body" -w '%{http_code}' -X POST \
    -H "Authorization: Bearer $oncall" "$URL/api/v1/alerts/99999/ack")" = 404 ] ||
    fail "ack of nothing: $(cat "$T/body")"
[ "$(curl -sS --cacert "$T/ca.crt" -o "$T/body" -w '%{http_code}' -X POST \
    -H "Authorization: Bearer $oncall" -d '[1,' "$URL/api/v1/alerts/$id/ack")" = 400 ] ||
    fail "a bad ack body: $(cat "$T/body")"
[ "$(get "/api/v1/alerts/$id")" = 200 ] || fail "alert $id"
[ "$(j '.status')" = acknowledged ] || fail "status: $(cat "$T/body")"
[ "$(j '.acknowledged.by')" = oncall-jo ] || fail "acked by"
[ "$(j '.acknowledged.comment')" = "$(printf 'looking; <b>ntp</b> \033[2J')" ] ||
    fail "comment not kept as given"
[ "$(j '[.history[].event] | join(",")')" = "opened,acknowledged" ] ||
    fail "history: $(cat "$T/body")"
ok "acknowledged by an operate token (who and comment kept); read tokens, repeats and bad bodies refused"

report pas-app01 4 "$(chk ntp 0)" ""
[ "$(get "/api/v1/alerts/$id")" = 200 ] || fail "alert $id"
[ "$(j '.status')" = resolved ] || fail "not resolved: $(cat "$T/body")"
[ "$(get '/api/v1/alerts')" = 200 ] && [ "$(j '.total')" = 0 ] ||
    fail "resolved alert still active"
[ "$(get '/api/v1/alerts?status=resolved')" = 200 ] && [ "$(j '.total')" = 1 ] ||
    fail "resolved list"
ok "recovery resolves the alert at once"

# ------------------------------------------------------------ rules
fs() {	# fs PCT: a filesystem metric for /var
	printf '{"name":"fs.used_pct","value":%s,"labels":{"mount":"/var"}},{"name":"cpu.count","value":4},{"name":"load.5","value":1}' "$1"
}
report pas-app01 5 "$(chk ntp 0)" "$(fs 96.5)"
report pas-app01 6 "$(chk ntp 0)" "$(fs 97)"
[ "$(get '/api/v1/alerts?kind=disk_usage')" = 200 ] && [ "$(j '.total')" = 1 ] ||
    fail "disk_usage alert: $(cat "$T/body")"
[ "$(j '.alerts[0].check')" = 'disk_usage{mount=/var}' ] || fail "rule check name"
assert_contains "$(j '.alerts[0].summary')" "fs.used_pct = 97; critical above 95"
[ "$(get '/api/v1/hosts/pas-app01')" = 200 ] || fail "host"
[ "$(j '.checks[] | select(.name == "disk_usage{mount=/var}") | .status')" = 2 ] ||
    fail "rule result not among the host's checks: $(cat "$T/body")"
ok "a built-in threshold rule (disk_usage) raises a critical alert on its series"

# The filesystem goes (unmounted): its rule result and alert go with it.
report pas-app01 7 "$(chk ntp 0)" '{"name":"cpu.count","value":4}'
[ "$(get '/api/v1/alerts?kind=disk_usage')" = 200 ] && [ "$(j '.total')" = 0 ] ||
    fail "alert for a vanished series: $(cat "$T/body")"
[ "$(db "select count(*) from checks where name like 'disk_usage%'")" = 0 ] ||
    fail "the rule's check stayed"
ok "a series no longer reported takes its rule check and alert with it"

# A check the agent reports under a rule's name (memory) takes the rule's
# place for that host: the rule's OK from mem.used_pct does not overwrite
# the agent's CRITICAL at every report (which hid the alert and flapped).
for seq in 1 2 3 4; do
	report pas-mem01 $seq "$(chk memory 2)" '{"name":"mem.used_pct","value":10}'
done
[ "$(db "select c.source || ' ' || c.state_type || ' ' || c.hard_status || ' ' || c.flapping from checks c join hosts h on h.id = c.host_id where h.name = 'pas-mem01' and c.name = 'memory'")" = "agent hard 2 0" ] ||
    fail "the agent's memory check: $(db "select c.* from checks c join hosts h on h.id = c.host_id where h.name = 'pas-mem01'")"
[ "$(get '/api/v1/alerts?host=pas-mem01')" = 200 ] && [ "$(j '.total')" = 1 ] &&
    [ "$(j '.alerts[0].check')" = memory ] && [ "$(j '.alerts[0].severity')" = critical ] ||
    fail "pas-mem01's alerts: $(cat "$T/body")"
report pas-mem01 5 "$(chk memory 0)" '{"name":"mem.used_pct","value":10}'
[ "$(get '/api/v1/alerts?host=pas-mem01')" = 200 ] && [ "$(j '.total')" = 0 ] ||
    fail "pas-mem01's alert after its OK: $(cat "$T/body")"
ok "a check reported under a rule's name takes the rule's place: its CRITICAL holds, one alert, no flapping"

# ------------------------------------------------------------ flapping
n=8
while [ $n -lt 40 ]; do
	report pas-app01 $n "$(chk ntp $(( (n % 2) * 2 )))" ""
	n=$((n + 1))
done
[ "$(db "select flapping from checks where name = 'ntp'")" = 1 ] || fail "not flapping"
[ "$(get '/api/v1/alerts?kind=flapping')" = 200 ] && [ "$(j '.total')" = 1 ] ||
    fail "flapping alerts: $(cat "$T/body")"
[ "$(db "select count(*) from alerts where kind = 'check' and status != 'resolved'")" -le 1 ] ||
    fail "a storm of check alerts"
[ "$(db "select count(*) from alerts where kind = 'check'")" -le 3 ] ||
    fail "flapping opened many check alerts: $(db 'select id, status from alerts')"
while [ $n -lt 70 ]; do
	report pas-app01 $n "$(chk ntp 0)" ""
	n=$((n + 1))
done
[ "$(db "select flapping from checks where name = 'ntp'")" = 0 ] || fail "still flapping"
[ "$(get '/api/v1/alerts')" = 200 ] && [ "$(j '.total')" = 0 ] ||
    fail "alerts left after settling: $(cat "$T/body")"
ok "a flapping check gives one flapping alert, not a storm, and it resolves when it settles"

# ------------------------------------------ a dead switch, one alert
report sw-core 1 "$(chk alive 0),$(chk snmp 0)" "" switch
for h in srv-a srv-b srv-c; do report $h 1 "$(chk ntp 0)" ""; done
report lonely 1 "" ""
db "UPDATE hosts SET last_seen_ms = last_seen_ms - 600000 WHERE name = 'lonely'"
wait_for "lonely to go STALE" '[ "$(db "select state from hosts where name = '"'lonely'"'")" = STALE ]'
[ "$(get '/api/v1/alerts?kind=host_stale')" = 200 ] && [ "$(j '.alerts[0].host')" = lonely ] ||
    fail "no host_stale alert: $(cat "$T/body")"
ok "a host silent for three intervals is STALE, with a critical host_stale alert"

report sw-core 2 "$(chk alive 2),$(chk snmp 2)" "" switch
# The switch's alive check is failing but soft: the quiet servers behind
# it wait rather than alert.
db "UPDATE hosts SET last_seen_ms = last_seen_ms - 600000 WHERE name LIKE 'srv-%'"
sleep 2.5
[ "$(db "select count(*) from hosts where name like 'srv-%' and state = 'UP'")" = 3 ] ||
    fail "children alerted before the parent's state was known: $(db 'select name, state from hosts')"
report sw-core 3 "$(chk alive 2),$(chk snmp 2)" "" switch
wait_for "sw-core DOWN and its children UNREACHABLE" \
    '[ "$(db "select group_concat(state) from (select state from hosts where name like '"'srv-%'"' or name = '"'sw-core'"' order by name)")" = "UNREACHABLE,UNREACHABLE,UNREACHABLE,DOWN" ]'
[ "$(db "select count(*) from alerts where status != 'resolved' and suppressed is null and datacentre = 'thurrock' and kind like 'host_%'")" = 2 ] ||
    fail "expected host_down for sw-core and host_stale for lonely only: $(db 'select kind, host_id, suppressed from alerts where status != "resolved"')"
[ "$(get '/api/v1/alerts?kind=host_unreachable')" = 200 ] && [ "$(j '.total')" = 3 ] ||
    fail "unreachable alerts: $(cat "$T/body")"
assert_contains "$(j '.alerts[0].suppressed')" "parent sw-core is down"
[ "$(get '/api/v1/alerts?kind=host_down')" = 200 ] && [ "$(j '.alerts[0].host')" = sw-core ] ||
    fail "no host_down for sw-core"
[ "$(get '/api/v1/alerts?host=sw-core&kind=check')" = 200 ] && [ "$(j '.alerts[0].suppressed')" = "the host does not answer" ] ||
    fail "the dead switch's own check alert was not suppressed: $(cat "$T/body")"
ok "a dead switch: one host_down alert; the three hosts behind it UNREACHABLE, recorded and suppressed"

[ "$(get '/api/v1/datacentres/thurrock/health')" = 200 ] || fail "dc health: $(cat "$T/body")"
[ "$(j '.health')" = critical ] || fail "health: $(cat "$T/body")"
[ "$(j '.worst_state')" = DOWN ] || fail "worst"
[ "$(j '.states.UNREACHABLE')" = 3 ] || fail "unreachable count"
# The three behind it, and the switch's own snmp check.
[ "$(j '.alerts.suppressed')" = 4 ] || fail "suppressed count: $(cat "$T/body")"
[ "$(j '[.critical_problems[].kind] | sort | join(",")')" = "host_down,host_stale" ] ||
    fail "critical problems: $(cat "$T/body")"
[ "$(get '/api/v1/datacentres/nowhere/health')" = 404 ] || fail "unknown dc"
ok "the datacentre's health rolls up states and alerts"

# The switch comes back; so do its hosts.
report sw-core 4 "$(chk alive 0),$(chk snmp 0)" "" switch
for h in srv-a srv-b srv-c; do report $h 2 "$(chk ntp 0)" ""; done
wait_for "everything behind sw-core UP" \
    '[ "$(db "select count(*) from hosts where state = '"'UP'"' and (name like '"'srv-%'"' or name = '"'sw-core'"')")" = 4 ]'
[ "$(get '/api/v1/alerts?kind=host_unreachable')" = 200 ] && [ "$(j '.total')" = 0 ] ||
    fail "unreachable alerts left"
[ "$(get '/api/v1/alerts?kind=host_down')" = 200 ] && [ "$(j '.total')" = 0 ] ||
    fail "host_down left"
ok "when the switch answers again everything behind it is UP and resolved"

# ------------------------------------------------------------ SIGHUP
# A rule added to the running collector's file applies without a
# restart; a file that does not load changes nothing.
cat >> "$T/collector.conf" <<'CONF'
[rule "pas_queue"]
metric = check.pas_queue.depth
warning = 100
critical = 500
max_attempts = 1
CONF
kill -HUP "$COLLECTOR_PID"
wait_for "the reload" 'grep -q "configuration reloaded: 1 \[rule\], 1 \[parent\]" "$T/collector.log"'
report pas-app01 70 "$(chk ntp 0)" '{"name":"check.pas_queue.depth","value":750}'
[ "$(get '/api/v1/alerts?kind=pas_queue')" = 200 ] && [ "$(j '.total')" = 1 ] ||
    fail "the reloaded rule did not apply: $(cat "$T/body")"
printf '[rule "broken"]\nmetric = no.such.metric\nwarning = 1\n' >> "$T/collector.conf"
kill -HUP "$COLLECTOR_PID"
wait_for "the refused reload" 'grep -q "keeping the running configuration" "$T/collector.log"'
assert_contains "$(cat "$T/collector.log")" 'metric "no.such.metric": ward collects no such metric'
kill -0 "$COLLECTOR_PID" || fail "a bad reload stopped the collector"
report pas-app01 71 "$(chk ntp 0)" '{"name":"check.pas_queue.depth","value":10}'
[ "$(get '/api/v1/alerts?kind=pas_queue')" = 200 ] && [ "$(j '.total')" = 0 ] ||
    fail "the running rules changed after a refused reload: $(cat "$T/body")"
ok "SIGHUP applies new rules at once; a file that does not load changes nothing"

# Paging the alerts: a page that holds the last one has no next link,
# however full it is (pas-mem01's one alert is not the first of all), and
# every alert comes once.
[ "$(get '/api/v1/alerts?status=all&host=pas-mem01&limit=1')" = 200 ] &&
    [ "$(j '.total'),$(j '.alerts | length')" = 1,1 ] && [ "$(j '.alerts[0].id')" -gt 1 ] ||
    fail "pas-mem01's alert: $(cat "$T/body")"
[ "$(j '.next')" = null ] || fail "a full last page links to another: $(j '.next')"
[ "$(get '/api/v1/alerts?status=all&limit=1000')" = 200 ] || fail "alerts: $(cat "$T/body")"
all=$(j '.total')
next="/api/v1/alerts?status=all&limit=2" pages=0 seen=""
while [ "$next" != null ]; do
	[ "$(get "$next")" = 200 ] || fail "$next: $(cat "$T/body")"
	[ "$(j '.alerts | length')" -gt 0 ] || fail "$next: an empty page"
	seen="$seen $(j '[.alerts[].id] | join(" ")')"
	next=$(j '.next')
	pages=$((pages + 1))
done
[ "$pages" = $(((all + 1) / 2)) ] && [ "$(echo $seen | tr ' ' '\n' | sort -u | wc -l)" = "$all" ] ||
    fail "$pages pages of 2 for $all alerts: $seen"
ok "alerts page by page: each once, and no link past the last page"

# --------------------------------------------------------- bad config
bad() {	# bad TEXT EXPECTED
	printf '%s\n' "$1" > "$T/bad.conf"
	run 1 "$WARD_COLLECTOR" -n -c "$T/bad.conf"
	assert_contains "$OUT" "$2"
}
bad '[rule "x"]
metric = fs.usedpct
warning = 80' 'metric "fs.usedpct": ward collects no such metric'
bad '[rule "disk_usage"]
metric = fs.used_pct
warning = 95
critical = 85' 'warning 95 is above critical 85'
bad '[parent "a"]
children = b
[parent "b"]
children = a' 'go round in a circle: a -> b -> a'
bad '[health]
flap_low = 70' 'flap_low (70) is above flap_high (50)'
bad '[parent "sw1"]
children =' 'bad.conf:2: [parent "sw1"] children: empty'
bad '[rule "x"]
metric = fs.used_pct
warning = abc' 'bad.conf:3: [rule "x"] warning'
ok "unknown metrics, warning beyond critical and dependency cycles are refused at -n"
