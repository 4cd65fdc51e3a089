#!/bin/sh
# collector_ingest.sh: reports through the real ward-collector over HTTPS:
# stored once, replays idempotent, bad input refused with nothing stored,
# revoked tokens refused, and every acknowledged report survives SIGKILL.
. "$top_srcdir/tests/integration/lib.sh"
require_cmd curl
require_cmd sqlite3
make_test_ca
collector_conf "$T/collector.conf" 1
agent=$("$WARD_COLLECTOR" -c "$T/collector.conf" token add --role agent --name dc1-agents 2>/dev/null)
spare=$("$WARD_COLLECTOR" -c "$T/collector.conf" token add --role agent --name spare 2>/dev/null)
[ -n "$agent" ] && [ -n "$spare" ] || fail "token add failed"
start_collector

now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
base=$(( $(date +%s) - 3600 ))
report() {	# report AGENT SEQ [EXTRA-MEMBERS]: collected SEQ*10 s after base
	printf '{"schema":1,"agent":{"id":"%s"},"seq":%s,"ts":"%s","host":{"name":"%s","datacentre":"orsett"},"metrics":[{"name":"load.1","value":%s}]%s}' \
	    "$1" "$2" "$(date -u -d "@$((base + $2 * 10))" +%Y-%m-%dT%H:%M:%SZ)" \
	    "host-$1" "$2" "${3:-}"
}
post() {	# post TOKEN BODY-FILE: prints the status, body in $T/reply
	curl -sS --cacert "$T/ca.crt" -o "$T/reply" -w '%{http_code}' \
	    -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
	    --data-binary @"$2" "$URL/api/v1/reports" 2>/dev/null || echo 000
}
rows() {
	sqlite3 "$T/ward.db" "$1"
}

report a1 1 > "$T/r1.json"
[ "$(post "$agent" "$T/r1.json")" = 200 ] || fail "good report: $(cat "$T/reply")"
assert_contains "$(cat "$T/reply")" '"accepted":1'
[ "$(rows "SELECT name || ' ' || datacentre FROM hosts")" = "host-a1 orsett" ] ||
    fail "host not stored"
[ "$(post "$agent" "$T/r1.json")" = 200 ] || fail "replay refused"
assert_contains "$(cat "$T/reply")" '"duplicates":1'
[ "$(rows "SELECT count(*) FROM reports")" = 1 ] || fail "replay stored twice"
ok "a report is stored once; its replay is acknowledged and not stored again"

# What a host is stays when a report leaves it out (a poller that cannot
# reach a device says nothing of its model); "" clears a field.
printf '{"schema":1,"agent":{"id":"sw9"},"seq":1,"ts":"%s","host":{"name":"sw9","kind":"switch","vendor":"Cisco","model":"WS-C3750-48PS-S","serial":"CAT0952N20R","uptime_s":100,"firmware":{"family":"cisco-ios","version":"12.2(55)SE10"},"addresses":["10.1.1.9"]}}' \
    "$(date -u -d "@$((base + 10))" +%Y-%m-%dT%H:%M:%SZ)" > "$T/id1.json"
printf '{"schema":1,"agent":{"id":"sw9"},"seq":2,"ts":"%s","host":{"name":"sw9"},"checks":[{"name":"alive","status":2}]}' \
    "$(date -u -d "@$((base + 20))" +%Y-%m-%dT%H:%M:%SZ)" > "$T/id2.json"
printf '{"schema":1,"agent":{"id":"sw9"},"seq":3,"ts":"%s","host":{"name":"sw9","serial":""}}' \
    "$(date -u -d "@$((base + 30))" +%Y-%m-%dT%H:%M:%SZ)" > "$T/id3.json"
for f in id1 id2; do
	[ "$(post "$agent" "$T/$f.json")" = 200 ] || fail "$f: $(cat "$T/reply")"
done
[ "$(rows "SELECT kind || '|' || vendor || '|' || model || '|' || serial ||
    '|' || fw_version || '|' || addresses || '|' || ifnull(uptime_s, 'null')
    FROM hosts WHERE agent_id = 'sw9'")" = \
    'switch|Cisco|WS-C3750-48PS-S|CAT0952N20R|12.2(55)SE10|["10.1.1.9"]|null' ] ||
    fail "identity after a bare report: $(rows "SELECT * FROM hosts WHERE agent_id = 'sw9'")"
[ "$(post "$agent" "$T/id3.json")" = 200 ] || fail "id3: $(cat "$T/reply")"
[ "$(rows "SELECT ifnull(serial, 'null') || '|' || model FROM hosts
    WHERE agent_id = 'sw9'")" = 'null|WS-C3750-48PS-S' ] ||
    fail "an empty serial did not clear it"
ok "a report without the model keeps it; an empty string clears a field"

# Bad input: the right status, a message naming the field, nothing stored.
bad() {	# bad STATUS NEEDLE FILE
	got=$(post "$agent" "$3")
	[ "$got" = "$1" ] || fail "$3: status $got, expected $1: $(cat "$T/reply")"
	assert_contains "$(cat "$T/reply")" "$2"
}
printf '{"schema":1,' > "$T/b1.json"
bad 400 '"error":"report: ' "$T/b1.json"
report a2 1 | sed 's/"seq":1/"seq":"1"/' > "$T/b2.json"
bad 400 'report.seq: expected an integer, got string' "$T/b2.json"
python_free_deep() { i=0; while [ $i -lt 200 ]; do printf '['; i=$((i+1)); done; }
python_free_deep > "$T/b3.json"
bad 400 'nesting deeper than' "$T/b3.json"
{ printf '{"schema":1,"agent":{"id":"a2"},"seq":1,"ts":"%s","host":{"name":"' "$now"
  head -c 100000 /dev/zero | tr '\0' 'x'; printf '"}}'; } > "$T/b4.json"
bad 400 'longer than' "$T/b4.json"
report a2 1 | sed 's/"ts":"[^"]*"/"ts":"2099-01-01T00:00:00Z"/' > "$T/b5.json"
grep -q 2099 "$T/b5.json" || fail "test bug: no future ts"
bad 400 'more than 5 minutes in the future' "$T/b5.json"
printf '[%s,%s]' "$(report a2 1)" "$(report a2 2 ',"checks":[{"name":"x","status":9}]')" > "$T/b6.json"
bad 400 'report[1].checks[0].status: 9 is out of range' "$T/b6.json"
report a2 1 '"' > "$T/b7.json"
bad 400 'report: ' "$T/b7.json"
[ "$(rows "SELECT count(*) FROM hosts WHERE agent_id = 'a2'")" = 0 ] ||
    fail "something of a rejected report was stored"
ok "malformed JSON, wrong types, deep nesting, huge strings, future clocks: 400, nothing stored"

# Hostile strings are data.
printf '{"schema":1,"agent":{"id":"a3"},"seq":1,"ts":"%s","host":{"name":"x%s); DROP TABLE hosts; --\\u001b[2J"}}' "$now" "'" > "$T/h.json"
[ "$(post "$agent" "$T/h.json")" = 200 ] || fail "hostile name refused: $(cat "$T/reply")"
[ "$(rows "SELECT count(*) FROM hosts")" = 3 ] || fail "hosts table damaged"
rows "SELECT hex(name) FROM hosts WHERE agent_id = 'a3'" | grep -q 1B5B324A ||
    fail "escape sequence not stored as given"
ok "SQL and terminal escapes in a report are stored as data"

# One series twice in a report, at one time: the first value stands, the
# same for the latest value and for the samples.
printf '{"schema":1,"agent":{"id":"a1"},"seq":50,"ts":"%s","host":{"name":"host-a1","datacentre":"orsett"},"metrics":[{"name":"dup","value":1},{"name":"dup","value":2}]}' \
    "$(date -u -d "@$((base + 500))" +%Y-%m-%dT%H:%M:%SZ)" > "$T/dup.json"
[ "$(post "$agent" "$T/dup.json")" = 200 ] || fail "a series twice: $(cat "$T/reply")"
[ "$(rows "SELECT s.last_value || ',' || group_concat(v.value) FROM series s JOIN samples v ON v.series_id = s.id WHERE s.name = 'dup'")" = "1.0,1.0" ] ||
    fail "a series twice, latest and samples: $(rows "SELECT s.last_value, v.value FROM series s JOIN samples v ON v.series_id = s.id WHERE s.name = 'dup'")"
ok "a series twice in one report: its first value is the latest and the sample"

# The dropped count stops at the largest integer instead of turning into
# a float that no later report moves.
for seq in 51 52 53; do
	d=9223372036854775807
	[ $seq = 53 ] && d=5
	printf '{"schema":1,"agent":{"id":"a1"},"seq":%s,"ts":"%s","host":{"name":"host-a1","datacentre":"orsett"},"dropped":%s}' \
	    $seq "$(date -u -d "@$((base + seq * 10))" +%Y-%m-%dT%H:%M:%SZ)" $d > "$T/drop.json"
	[ "$(post "$agent" "$T/drop.json")" = 200 ] || fail "dropped $d: $(cat "$T/reply")"
done
[ "$(rows "SELECT typeof(dropped_total) || ' ' || dropped_total FROM hosts WHERE agent_id = 'a1'")" = "integer 9223372036854775807" ] ||
    fail "dropped_total after the largest twice: $(rows "SELECT typeof(dropped_total), dropped_total FROM hosts WHERE agent_id = 'a1'")"
ok "the dropped count stops at the largest integer"

# A revoked token is refused at once.
"$WARD_COLLECTOR" -c "$T/collector.conf" token revoke spare 2>/dev/null ||
    fail "token revoke failed"
report a4 1 > "$T/r4.json"
[ "$(post "$spare" "$T/r4.json")" = 401 ] || fail "revoked token accepted"
ok "a revoked token gets 401"

# SIGKILL while reports arrive: every acknowledged report is there exactly
# once after restart; unacknowledged ones are sent again until they are.
acked=0 seq=1 kills=0
while [ $seq -le 60 ]; do
	report k1 $seq > "$T/k.json"
	if [ $((seq % 12)) = 0 ] && [ $kills -lt 5 ]; then
		post "$agent" "$T/k.json" > "$T/k.status" &
		cpid=$!
		kill -KILL "$COLLECTOR_PID"
		wait "$COLLECTOR_PID" 2>/dev/null || true
		wait $cpid || true
		kills=$((kills + 1))
		restart_collector
		[ "$(cat "$T/k.status")" = 200 ] || continue   # not acked: resend
	elif [ "$(post "$agent" "$T/k.json")" != 200 ]; then
		fail "seq $seq refused: $(cat "$T/reply")"
	fi
	acked=$((acked + 1))
	seq=$((seq + 1))
done
[ "$(rows "SELECT count(*) FROM reports r JOIN hosts h ON h.id = r.host_id WHERE h.agent_id = 'k1'")" = 60 ] ||
    fail "after $kills kills: $(rows "SELECT count(*) FROM reports") reports stored, 60 acknowledged"
[ "$(rows "SELECT count(*) FROM samples s JOIN series x ON x.id = s.series_id JOIN hosts h ON h.id = x.host_id WHERE h.agent_id = 'k1'")" = 60 ] ||
    fail "samples do not match the acknowledged reports"
[ "$(rows "PRAGMA integrity_check")" = ok ] || fail "database damaged"
ok "killed with SIGKILL $kills times: all 60 acknowledged reports present once"
