#!/bin/sh
# collector_housekeep.sh: the running collector deletes what is past its
# retention on its own schedule while reports keep arriving: old samples
# and report records go, recent ones and the hourly roll-ups stay.
. "$top_srcdir/tests/integration/lib.sh"
require_cmd curl
require_cmd sqlite3
make_test_ca
collector_conf "$T/collector.conf" 1
token=$("$WARD_COLLECTOR" -c "$T/collector.conf" token add --role agent --name a 2>/dev/null)
[ -n "$token" ] || fail "token add failed"
start_collector "" "raw_retention = 1h
rollup_retention = 1d
housekeeping_interval = 1s
housekeeping_batch = 10"
run 0 "$WARD_COLLECTOR" -n -c "$T/collector.conf"
assert_contains "$(cat "$T/collector.conf")" "housekeeping_batch = 10"

# report SEQ SECONDS-AGO: one report with 30 metrics, collected then.
report() {
	ts=$(date -u -d "@$(( $(date +%s) - $2 ))" +%Y-%m-%dT%H:%M:%SZ)
	m=$(seq 1 30 | sed 's/.*/{"name":"m&","value":&}/' | paste -sd,)
	printf '{"schema":1,"agent":{"id":"hk"},"seq":%s,"ts":"%s","host":{"name":"hk"},"metrics":[%s]}' \
	    "$1" "$ts" "$m" > "$T/r.json"
	curl -fsS --cacert "$T/ca.crt" -o /dev/null \
	    -H "Authorization: Bearer $token" --data-binary @"$T/r.json" \
	    "$URL/api/v1/reports" || fail "report $1 refused"
}
rows() {
	sqlite3 "$T/ward.db" "$1"
}
report 1 10800
report 2 7200
report 3 60
[ "$(rows 'SELECT count(*) FROM samples')" = 90 ] || fail "samples not stored"

i=0
until [ "$(rows 'SELECT count(*) FROM samples')" = 30 ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "old samples not deleted: $(rows 'SELECT count(*) FROM samples'); $(tail -3 "$T/collector.log")"
	sleep 0.1
done
[ "$(rows "SELECT count(*) FROM samples WHERE ts_ms < (strftime('%s','now') - 3600) * 1000")" = 0 ] ||
    fail "a sample older than an hour is left"
[ "$(rows 'SELECT count(*) FROM rollups_hourly')" -ge 60 ] || fail "roll-ups were deleted"
assert_contains "$(cat "$T/collector.log")" "housekeeping: deleted"
ok "samples past raw_retention deleted in batches of 10; roll-ups kept"

# Reports keep flowing while housekeeping runs every second.
for s in 4 5 6 7 8; do report $s 1; done
[ "$(rows 'SELECT count(*) FROM reports')" -ge 5 ] || fail "reports lost"
ok "ingest goes on beside housekeeping"

printf '[store]\nraw_retention = 2d\nrollup_retention = 1d\n' > "$T/bad.conf"
run 1 "$WARD_COLLECTOR" -n -c "$T/bad.conf"
assert_contains "$OUT" "rollup_retention must be at least raw_retention"
ok "roll-ups kept for less than raw samples is a configuration error"
