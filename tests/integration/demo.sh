#!/bin/sh
# demo.sh: ward-demo, the demo generator, through a real ward-collector over
# HTTPS: a simulated estate across the eight datacentres with the OS mix,
# the agent's metric names, history, problems and a rename; new sequence
# numbers on every run; clear errors for a wrong token, a missing CA, a dead
# collector; a daemon that outlives the collector and stops on SIGTERM.
. "$top_srcdir/tests/integration/lib.sh"
require_cmd sqlite3
WARD_DEMO=$top_builddir/agents/ward-demo

make_test_ca
collector_conf "$T/collector.conf" 1
(umask 077; "$WARD_COLLECTOR" -c "$T/collector.conf" token add --role agent \
    --name demo-estate > "$T/token" 2>/dev/null) || fail "token add failed"
(umask 077; "$WARD_COLLECTOR" -c "$T/collector.conf" token add --role read \
    --name helpdesk > "$T/read-token" 2>/dev/null) || fail "token add failed"
start_collector

# demo_conf FILE [EXTRA-LINES]: 40 hosts, 2 hours of history every 10 min.
demo_conf() {
	cat > "$1" <<CONF
[log]
level = debug
[collector]
url = $URL
ca_file = $T/ca.crt
token_file = $T/token
timeout = 10s
[demo]
hosts = 40
seed = 7
history = 2h
history_step = 10m
batch = 16
state_file = $T/demo.state
${2:-}
CONF
}
demo_conf "$T/demo.conf"
rows() {
	sqlite3 "$T/ward.db" "$1"
}

# The program says what it is.
run 0 "$WARD_DEMO" --help
assert_contains "$OUT" "the demo generator"
assert_contains "$OUT" "Not a monitoring agent"
assert_contains "$OUT" "--once"
run 0 "$WARD_DEMO" -n -c "$T/demo.conf"
[ "$OUT" = "configuration OK" ] || fail "-n said: $OUT"
man=$top_builddir/docs/man/ward-demo.8
[ -f "$man" ] || fail "no man page $man"
if command -v groff >/dev/null 2>&1; then
	warnings=$(groff -man -Tutf8 -ww -z "$man" 2>&1) ||
	    fail "groff failed on $man: $warnings"
	[ -z "$warnings" ] || fail "$man: $warnings"
fi
grep -q 'history_step' "$man" || fail "$man lacks the option reference"
ok "--help, -n and the man page say what ward-demo is"

# Two runs at one instant print the same reports; another seed, others.
at=2026-03-10T11:00:00Z
run 0 "$WARD_DEMO" -c "$T/demo.conf" --print --at $at
printf '%s\n' "$OUT" > "$T/p1.json"
run 0 "$WARD_DEMO" -c "$T/demo.conf" --print --at $at
printf '%s\n' "$OUT" | cmp -s - "$T/p1.json" || fail "two runs at $at differ"
sed 's/^seed = 7$/seed = 8/' "$T/demo.conf" > "$T/seed8.conf"
run 0 "$WARD_DEMO" -c "$T/seed8.conf" --print --at $at
printf '%s\n' "$OUT" | cmp -s - "$T/p1.json" && fail "seeds 7 and 8 agree"
run 2 "$WARD_DEMO" -c "$T/demo.conf" --print --at yesterday
assert_contains "$OUT" '--at "yesterday"'
run 2 "$WARD_DEMO" -c "$T/demo.conf" --print --at 1969-01-01T00:00:00Z
assert_contains "$OUT" "sequence number would not be positive"
ok "the same seed and instant give the same reports; another seed differs"

# The first run fills two hours of history, then sends the round for now.
before=$(date +%s)
run 0 "$WARD_DEMO" -c "$T/demo.conf" --once
assert_contains "$OUT" "filling history:"
assert_contains "$OUT" "0 duplicates"
assert_not_contains "$OUT" "$(cat "$T/token")"
[ "$(rows "SELECT count(*) FROM hosts")" = 40 ] ||
    fail "$(rows "SELECT count(*) FROM hosts") hosts, expected 40"
[ "$(rows "SELECT count(DISTINCT datacentre) FROM hosts")" = 8 ] ||
    fail "datacentres: $(rows "SELECT DISTINCT datacentre FROM hosts")"
[ "$(rows "SELECT count(*) FROM hosts WHERE datacentre NOT IN ('basildon',
    'orsett', 'thurrock', 'broomfield', 'braintree', 'st-andrews',
    'southend', 'rochford')")" = 0 ] || fail "a datacentre outside the eight"
ok "40 hosts across the eight datacentres"

# The OS mix: Windows and Linux, many releases, real os-release style ids.
[ "$(rows "SELECT count(*) FROM hosts WHERE os_id = 'windows'")" -ge 10 ] ||
    fail "too few Windows hosts"
[ "$(rows "SELECT count(*) FROM hosts WHERE os_id IN ('rhel', 'centos',
    'ubuntu', 'debian', 'sles')")" -ge 10 ] || fail "too few Linux hosts"
[ "$(rows "SELECT count(DISTINCT os_pretty_name) FROM hosts")" -ge 8 ] ||
    fail "OS mix too narrow: $(rows "SELECT DISTINCT os_pretty_name FROM hosts")"
[ "$(rows "SELECT count(*) FROM hosts WHERE os_id NOT IN ('windows', 'rhel',
    'centos', 'ubuntu', 'debian', 'sles')")" = 0 ] || fail "unknown os ids"
[ "$(rows "SELECT count(*) FROM hosts WHERE os_id = 'windows' AND
    os_version_id NOT IN ('6.1.7601', '6.3.9600', '10.0.14393',
    '10.0.17763', '10.0.20348')")" = 0 ] || fail "odd Windows version ids"
[ "$(rows "SELECT count(*) FROM hosts WHERE fqdn NOT LIKE '%.btuh.test' AND
    fqdn NOT LIKE '%.meht.test' AND fqdn NOT LIKE '%.southend.test'")" = 0 ] ||
    fail "an FQDN outside .test: $(rows "SELECT fqdn FROM hosts")"
[ "$(rows "SELECT count(*) FROM hosts WHERE vendor IS NULL OR model IS NULL
    OR serial IS NULL OR bios_date IS NULL OR kernel IS NULL OR
    os_version_id IS NULL OR addresses NOT LIKE '%10.%' OR uptime_s IS NULL
    OR length(agent_id) <> 32")" = 0 ] || fail "a host lacks identity"
ok "Windows Server and Linux releases with real version ids, hardware, .test names"

# The metric names, units and labels are ward-agent's own.
cat > "$T/agent.conf" <<CONF
[agent]
state_dir = $T
id_file = $T/agent-id
[check "load"]
command = /usr/lib/nagios/plugins/check_load -r -w 4,3,2 -c 8,6,4
CONF
run 0 "$WARD_AGENT" -c "$T/agent.conf" --print
printf '%s\n' "$OUT" > "$T/agent.json"
sqlite3 "$T/ward.db" "SELECT DISTINCT name || ' ' || coalesce(unit, '')
    FROM series ORDER BY 1" > "$T/demo-metrics"
sqlite3 :memory: "SELECT DISTINCT json_extract(m.value, '\$.name') || ' ' ||
    coalesce(json_extract(m.value, '\$.unit'), '') FROM json_each(
    readfile('$T/agent.json'), '\$.metrics') m ORDER BY 1" > "$T/agent-metrics"
for m in cpu.count cpu.util load.1 load.5 load.15 mem.total_bytes \
    mem.available_bytes mem.used_pct swap.total_bytes fs.size_bytes \
    fs.used_pct fs.inodes_used_pct net.rx_bytes_per_s net.tx_bytes_per_s \
    net.rx_packets_per_s net.rx_errors_per_s net.tx_drops_per_s procs.count \
    check.load.load1 check.load.scaled_load15; do
	a=$(grep "^$m " "$T/agent-metrics" || true)
	d=$(grep "^$m " "$T/demo-metrics" || true)
	[ -n "$d" ] || fail "ward-demo sends no $m"
	[ -z "$a" ] || [ "$a" = "$d" ] || fail "$m: agent says '$a', demo '$d'"
done
missing=$(comm -23 "$T/agent-metrics" "$T/demo-metrics")
[ -z "$missing" ] || fail "ward-agent sends what ward-demo does not: $missing"
[ "$(rows "SELECT count(*) FROM series WHERE name LIKE 'fs.%' AND labels NOT
    LIKE '%\"device\"%\"fstype\"%\"mount\"%'")" = 0 ] ||
    fail "fs metrics without the agent's labels"
[ "$(rows "SELECT count(*) FROM series WHERE name LIKE 'net.%' AND labels NOT
    LIKE '{\"iface\":%'")" = 0 ] || fail "net metrics without iface"
ok "metric names, units and labels match ward-agent's"

# History: two hours back, several reports per host, rates that move.
oldest=$(rows "SELECT min(ts_ms) / 1000 FROM reports")
[ "$oldest" -ge $((before - 7200 - 5)) ] && [ "$oldest" -le $((before - 6000)) ] ||
    fail "oldest report at $oldest, expected about 2 h before $before"
[ "$(rows "SELECT min(n) FROM (SELECT count(*) AS n FROM reports GROUP BY
    host_id)")" -ge 3 ] || fail "a host with fewer than 3 reports"
[ "$(rows "SELECT count(DISTINCT s.value) FROM samples s JOIN series x ON
    x.id = s.series_id WHERE x.name = 'cpu.util'")" -ge 100 ] ||
    fail "cpu.util does not move"
ok "two hours of history, oldest first"

# A realistic minority goes wrong.
[ "$(rows "SELECT count(*) FROM checks WHERE status = 2")" -ge 3 ] ||
    fail "no CRITICAL checks: $(rows "SELECT name, status FROM checks WHERE status > 0")"
[ "$(rows "SELECT count(*) FROM checks WHERE name = 'systemd_failed_units'
    AND status = 2 AND output LIKE '%failed unit%.service%'")" -ge 1 ] ||
    fail "no failed units"
[ "$(rows "SELECT count(*) FROM series x JOIN samples s ON s.series_id = x.id
    AND s.ts_ms = x.last_ts_ms WHERE x.name = 'fs.used_pct' AND
    s.value > 88")" -ge 2 ] || fail "no disks nearly full"
[ "$(rows "SELECT count(*) FROM hosts WHERE last_report_ms < (SELECT
    max(last_report_ms) FROM hosts) - 15 * 60000")" = 4 ] ||
    fail "expected 4 hosts that stopped reporting: $(rows "SELECT name,
    last_report_ms FROM hosts ORDER BY last_report_ms LIMIT 6")"
[ "$(rows "SELECT count(*) FROM host_renames")" = 1 ] ||
    fail "expected one rename: $(rows "SELECT * FROM host_renames")"
rows "SELECT old_name || ' ' || new_name FROM host_renames" |
    grep -Eq '^(bth|mid|suh)[a-z]+[0-9]+ ' || fail "the rename is not from a legacy name"
ok "critical checks, failed units, full disks, 4 stale hosts, one rename"

# A second run: only the round for now, new sequence numbers, no duplicates.
n1=$(rows "SELECT count(*) FROM reports")
max1=$(rows "SELECT max(seq) FROM reports")
run 0 "$WARD_DEMO" -c "$T/demo.conf" --once
assert_not_contains "$OUT" "filling history"
assert_contains "$OUT" "36 reports acknowledged (36 new, 0 duplicates) in 1 round"
[ "$(rows "SELECT count(*) FROM reports")" = $((n1 + 36)) ] ||
    fail "the second run stored $(( $(rows "SELECT count(*) FROM reports") - n1 )) reports, expected 36"
[ "$(rows "SELECT min(seq) FROM reports WHERE seq > $max1")" -gt "$max1" ] ||
    fail "no new sequence numbers"
[ "$(rows "SELECT count(*) FROM hosts WHERE last_seq <= $max1 AND
    last_report_ms > (SELECT max(last_report_ms) FROM hosts) - 60000")" = 0 ] ||
    fail "a live host kept its old sequence number"
ok "a second run sends new sequence numbers and no duplicates"

# Without a state file a restart fills the history again: the collector
# acknowledges what it has as duplicates and stores nothing twice.
sed '/^state_file/d' "$T/demo.conf" > "$T/nostate.conf"
n2=$(rows "SELECT count(*) FROM reports")
run 0 "$WARD_DEMO" -c "$T/nostate.conf" --once
assert_contains "$OUT" "filling history:"
dups=$(printf '%s\n' "$OUT" | sed -n 's/.*new, \([0-9]*\) duplicates.*/\1/p')
[ -n "$dups" ] && [ "$dups" -gt 300 ] || fail "expected the history as duplicates: $OUT"
[ "$(rows "SELECT count(*) FROM reports")" -lt $((n2 + 80)) ] ||
    fail "history stored twice"
ok "without a state file the history is resent and acknowledged as duplicates"

# A datacentre cut off: its servers report until the estate's first start,
# then fall silent (quickstart stops its core switch's SNMP responder).
# Another seed, so these 40 hosts are new to the collector.
sed -e 's/^seed = 7$/seed = 9/' -e "s|^state_file = .*|state_file = $T/outage.state|" \
    "$T/demo.conf" > "$T/outage.conf"
printf 'outage = thurock\n' | cat "$T/outage.conf" - > "$T/typo.conf"
run 1 "$WARD_DEMO" -n -c "$T/typo.conf"
assert_contains "$OUT" '[demo] outage: "thurock": not one of the datacentres (basildon,'
echo "outage = thurrock" >> "$T/outage.conf"
run 0 "$WARD_DEMO" -n -c "$T/outage.conf"
run 2 "$WARD_DEMO" -c "$T/outage.conf" --list --once
assert_contains "$OUT" "--list goes alone"

# --list: every host with its datacentre, role, system, problems, agent id;
# the same bytes every time.
run 0 "$WARD_DEMO" -c "$T/outage.conf" --list
printf '%s\n' "$OUT" > "$T/list"
run 0 "$WARD_DEMO" -c "$T/outage.conf" --list
printf '%s\n' "$OUT" | cmp -s - "$T/list" || fail "two --list runs differ"
[ "$(wc -l < "$T/list")" = 40 ] || fail "--list: $(wc -l < "$T/list") lines"
awk -F '\t' 'NF != 6 || length($6) != 32 || $6 ~ /[^0-9a-f]/' "$T/list" |
    grep -q . &&
    fail "--list lines not name, datacentre, role, system, problems, id:
$(cat "$T/list")"
[ "$(cut -f2 "$T/list" | sort -u | wc -l)" = 8 ] || fail "--list: not 8 datacentres"
[ "$(grep -c 'stale' "$T/list")" = 4 ] || fail "--list: not 4 stale hosts"
[ "$(grep -c 'renamed-from:' "$T/list")" = 1 ] || fail "--list: no rename"
grep -q 'disk-full' "$T/list" || fail "--list: no full disk"
thurrock=$(awk -F '\t' '$2 == "thurrock"' "$T/list" | wc -l)
[ "$thurrock" -ge 1 ] || fail "--list: nobody in thurrock"
[ "$(awk -F '\t' '($2 == "thurrock") != ($5 ~ /outage/)' "$T/list" | wc -l)" = 0 ] ||
    fail "--list: outage not exactly on thurrock's hosts: $(cat "$T/list")"
ok "--list: 40 hosts, their datacentres and problems, the cut-off ones marked"

# --print takes the instant as the first start: thurrock says nothing.
run 0 "$WARD_DEMO" -c "$T/outage.conf" --print --at $at
assert_not_contains "$OUT" '"datacentre":"thurrock"'
assert_contains "$OUT" '"datacentre":"orsett"'
sed '/^outage/d' "$T/outage.conf" > "$T/no-outage.conf"
run 0 "$WARD_DEMO" -c "$T/no-outage.conf" --print --at $at
assert_contains "$OUT" '"datacentre":"thurrock"'

# Through the collector: thurrock's hosts filled the history and then
# missed the round for now, with the four stale hosts.
silent=$(awk -F '\t' '$5 ~ /stale|outage/' "$T/list" | wc -l)
run 0 "$WARD_DEMO" -c "$T/outage.conf" --once
assert_contains "$OUT" "outage: thurrock is cut off; its $thurrock servers are silent"
assert_contains "$OUT" "; $silent silent (stale or cut off)"
ids() {	# ids AWK-CONDITION: the agent ids of the listed hosts, quoted
	awk -F '\t' "$1 { printf \"%s'%s'\", n++ ? \",\" : \"\", \$6 }" "$T/list"
}
last=$(rows "SELECT max(last_report_ms) FROM hosts WHERE agent_id IN ($(ids 1))")
[ "$(rows "SELECT count(*) FROM hosts WHERE agent_id IN
    ($(ids '$2 == "thurrock"'))")" = "$thurrock" ] ||
    fail "thurrock's hosts did not report before the first start"
[ "$(rows "SELECT count(*) FROM hosts WHERE agent_id IN
    ($(ids '$2 == "thurrock"')) AND last_report_ms >= $last")" = 0 ] ||
    fail "a thurrock host reported after the first start"
[ "$(rows "SELECT count(*) FROM hosts WHERE agent_id IN ($(ids 1))
    AND last_report_ms = $last")" = $((40 - silent)) ] ||
    fail "expected $((40 - silent)) hosts in the round for now"
ok "outage = thurrock: its $thurrock servers report until the first start, then are silent"

# A wrong token: a clear error, non-zero, the token not shown.
(umask 077; echo "wrong-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')" > "$T/bad-token")
sed "s|^token_file = .*|token_file = $T/bad-token|" "$T/demo.conf" > "$T/bad.conf"
run 1 "$WARD_DEMO" -c "$T/bad.conf" --once
assert_contains "$OUT" "HTTP 401"
assert_contains "$OUT" "token_file"
assert_not_contains "$OUT" "$(cat "$T/bad-token")"
sed "s|^token_file = .*|token_file = $T/read-token|" "$T/demo.conf" > "$T/read.conf"
run 1 "$WARD_DEMO" -c "$T/read.conf" --once
assert_contains "$OUT" "HTTP 403"
assert_contains "$OUT" "agent role"
chmod 644 "$T/bad-token"
run 1 "$WARD_DEMO" -n -c "$T/bad.conf"
assert_contains "$OUT" "chmod 600"
ok "an unknown token is 401, a read token 403, a readable token file refused"

# The CA: a missing file is named; none at all fails verification.
sed "s|^ca_file = .*|ca_file = $T/no-such-ca.crt|" "$T/demo.conf" > "$T/noca.conf"
run 1 "$WARD_DEMO" -n -c "$T/noca.conf"
assert_contains "$OUT" "ca_file: $T/no-such-ca.crt: No such file"
sed '/^ca_file/d' "$T/demo.conf" > "$T/sysca.conf"
run 1 "$WARD_DEMO" -c "$T/sysca.conf" --once
assert_contains "$OUT" "SSL"
assert_contains "$OUT" "certificate"
sed "s|^url = .*|url = http://127.0.0.1:$PORT|" "$T/demo.conf" > "$T/http.conf"
run 1 "$WARD_DEMO" -n -c "$T/http.conf"
assert_contains "$OUT" "[collector] url"
ok "a missing CA file is named; an unverifiable certificate fails; no plain http"

# A dead collector: --once fails clearly; the daemon keeps trying and
# carries on when the collector is back, then stops on SIGTERM.
kill "$COLLECTOR_PID"
wait "$COLLECTOR_PID" 2>/dev/null || true
run 1 "$WARD_DEMO" -c "$T/demo.conf" --once
assert_contains "$OUT" "Couldn't connect"
demo_conf "$T/daemon.conf" "interval = 10s"
"$WARD_DEMO" -f -c "$T/daemon.conf" 2> "$T/daemon.log" &
DEMO_PID=$!
at_exit 'kill $DEMO_PID 2>/dev/null'
i=0
until grep -q "Couldn't connect" "$T/daemon.log"; do
	[ $i -lt 100 ] || fail "the daemon did not report the dead collector: $(cat "$T/daemon.log")"
	kill -0 $DEMO_PID 2>/dev/null || fail "the daemon died: $(cat "$T/daemon.log")"
	sleep 0.1
	i=$((i + 1))
done
restart_collector
i=0
until grep -q "acknowledges reports again" "$T/daemon.log"; do
	[ $i -lt 250 ] || fail "the daemon did not recover: $(cat "$T/daemon.log")"
	kill -0 $DEMO_PID 2>/dev/null || fail "the daemon died: $(cat "$T/daemon.log")"
	sleep 0.1
	i=$((i + 1))
done
kill -TERM $DEMO_PID
rc=0
wait $DEMO_PID || rc=$?
[ $rc = 0 ] || fail "the daemon exited $rc on SIGTERM: $(cat "$T/daemon.log")"
grep -q stopping "$T/daemon.log" || fail "no clean stop: $(cat "$T/daemon.log")"
ok "a dead collector: --once exits 1; the daemon retries, recovers, stops on SIGTERM"
