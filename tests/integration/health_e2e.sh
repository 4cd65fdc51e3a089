#!/bin/sh
# health_e2e.sh: datacentre health end to end with real parts on loopback:
# ward-netpoll polling a switch served by snmpsim, three servers behind it
# reporting over HTTPS, the collector's health engine and a webhook
# receiver. The switch's responder stops: the switch is DOWN, the quiet
# servers UNREACHABLE, and exactly one notification goes out. Maintenance
# suppresses; an acknowledgement stops reminders; a dead webhook endpoint
# is retried while ingest carries on.
. "$top_srcdir/tests/integration/lib.sh"
require_cmd curl
require_cmd jq
require_cmd sqlite3
require_cmd snmpsimd
require_cmd snmpget
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || skip "python3 is not installed"
make_test_ca

# wait_for DESCRIPTION 'SHELL TEST' [SECONDS]: polls the test, evaluated
# afresh each time, until it succeeds; fails after SECONDS (default 20).
wait_for() {
	i=0
	while ! eval "$2" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt $((${3:-20} * 10)) ] || fail "timed out waiting for $1;
collector log:
$(tail -15 "$T/collector.log")"
		sleep 0.1
	done
}
free_port() {
	echo $(( ($(od -An -N2 -tu2 /dev/urandom) % 20000) + 30000 ))
}

# ------------------------------------------------------------ the parts
# The webhook receiver (HTTPS, the test CA's certificate); it answers 200.
start_hook() {
	rm -f "$T/hook.port"
	"$PY" "$top_srcdir/tests/integration/webhook_rx.py" --log "$T/hook.log" \
	    --portfile "$T/hook.port" --statusfile "$T/hook.status" \
	    --cert "$T/server.crt" --key "$T/server.key" \
	    ${1:+--port "$1"} 2>> "$T/hook.err" &
	HOOK_PID=$!
	wait_for "the webhook receiver" '[ -s "$T/hook.port" ]' 10
	HOOK_PORT=$(cat "$T/hook.port")
}
start_hook
at_exit 'kill $HOOK_PID 2>/dev/null'

# The core switch of datacentre dca: an HPE ProCurve recording served by
# snmpsim (which, as root, drops to nobody: it must read the data).
SIM=$T/sim
mkdir -p "$SIM/data" "$SIM/cache"
cp "$top_srcdir/tests/data/snmp/procurve_2810_24g.snmprec" \
    "$SIM/data/dca-sw-core.snmprec"
sim_user=""
if [ "$(id -u)" = 0 ]; then
	chmod 711 "$T"
	chmod -R a+rX "$SIM"
	chown nobody "$SIM/cache"
	sim_user="--process-user=nobody --process-group=nogroup"
fi
for attempt in 1 2 3 4 5; do
	SIM_PORT=$(free_port)
	# shellcheck disable=SC2086
	snmpsimd --data-dir="$SIM/data" --cache-dir="$SIM/cache" \
	    --agent-udpv4-endpoint="127.0.0.1:$SIM_PORT" $sim_user \
	    --logging-method=file:"$SIM/log" > "$SIM/out" 2>&1 &
	SIM_PID=$!
	i=0
	while kill -0 $SIM_PID 2>/dev/null && [ $i -lt 60 ] &&
	    ! snmpget -v2c -c dca-sw-core -t 1 -r 0 "127.0.0.1:$SIM_PORT" \
	    1.3.6.1.2.1.1.5.0 >/dev/null 2>&1; do
		sleep 0.25
		i=$((i + 1))
	done
	kill -0 $SIM_PID 2>/dev/null && break
	SIM_PID=
done
[ -n "$SIM_PID" ] || fail "snmpsimd did not start: $(cat "$SIM/out")"
at_exit 'kill $SIM_PID 2>/dev/null'

# The collector: a problem is hard at its second result, hosts are judged
# every second and go STALE after two missed intervals; the servers dca-srv*
# are reached only through dca-sw-core; one webhook route. No reminders
# yet: they are turned on later.
health() {	# health RENOTIFY: the [health], [parent] and [notify] sections
	cat <<CONF
[health]
max_attempts = 2
stale_intervals = 2
evaluate_interval = 1s
renotify = $1
[parent "dca-sw-core"]
children = dca-srv*
[notify "oncall"]
type = webhook
url = https://127.0.0.1:$HOOK_PORT/ward
ca_file = $T/ca.crt
group_wait = 0
retry_max = 1s
CONF
}
collector_conf "$T/collector.conf" 1 "" "$(health 0)"
run 0 "$WARD_COLLECTOR" -n -c "$T/collector.conf"
C="$WARD_COLLECTOR -c $T/collector.conf"
agent=$($C token add --role agent --name servers 2>/dev/null)
reader=$($C token add --role read --name helpdesk 2>/dev/null)
operator=$($C token add --role operate --name alice 2>/dev/null)
(umask 077; $C token add --role agent --name netpoll-dca > "$T/np.token" \
    2>/dev/null)
[ -n "$agent" ] && [ -n "$reader" ] && [ -n "$operator" ] &&
    [ -s "$T/np.token" ] || fail "token add failed"
start_collector "" "$(health 0)"

# ward-netpoll, polling every second (the hidden cadence option) with a
# short timeout and no retries, so the switch's silence shows at once.
umask 077
cat > "$T/np.secrets" <<SEC
[community "core"]
community = dca-sw-core
SEC
umask 022
cat > "$T/netpoll.conf" <<CONF
[log]
level = debug
[netpoll]
datacentre = dca
state_dir = $T/np
secrets_file = $T/np.secrets
interval = 10s
cadence = 1s
timeout = 300ms
[collector]
url = $URL
ca_file = $T/ca.crt
token_file = $T/np.token
retry_max = 1s
[device "dca-sw-core"]
address = 127.0.0.1
port = $SIM_PORT
credentials = core
kind = switch
retries = 0
CONF
run 0 "$WARD_NETPOLL" -n -c "$T/netpoll.conf"
"$WARD_NETPOLL" -f -c "$T/netpoll.conf" 2> "$T/netpoll.log" &
NP_PID=$!
at_exit 'kill $NP_PID 2>/dev/null'

# ------------------------------------------------------------- helpers
seq=0
# report HOST DATACENTRE STATUS: one report of a check "service", ts now,
# every 10 s by its own account.
report() {
	seq=$((seq + 1))
	printf '{"schema":1,"agent":{"id":"%s"},"seq":%s,"ts":"%s","interval_s":10,"host":{"name":"%s","datacentre":"%s"},"checks":[{"name":"service","status":%s,"output":"service status %s"}],"metrics":[{"name":"load.1","value":0.4}]}' \
	    "$1" "$seq" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" "$2" "$3" "$3" \
	    > "$T/r.json"
	code=$(curl -sS --cacert "$T/ca.crt" -o "$T/reply" -w '%{http_code}' \
	    -H "Authorization: Bearer $agent" --data-binary @"$T/r.json" \
	    "$URL/api/v1/reports" 2>/dev/null || echo 000)
	[ "$code" = 200 ] || fail "report of $1 refused ($code): $(cat "$T/reply")"
}
servers() {
	for s in dca-srv01 dca-srv02 dca-srv03; do
		report "$s" dca 0
	done
}
get() {	# get PATH: body in $T/body; prints the status
	curl -sS --cacert "$T/ca.crt" -o "$T/body" -w '%{http_code}' \
	    -H "Authorization: Bearer $reader" "$URL$1" 2>/dev/null || echo 000
}
post() {	# post PATH BODY: as the operator; body in $T/body; the status
	curl -sS --cacert "$T/ca.crt" -o "$T/body" -w '%{http_code}' -X POST \
	    -H "Authorization: Bearer $operator" \
	    -H 'Content-Type: application/json' --data-binary "$2" \
	    "$URL$1" 2>/dev/null || echo 000
}
j() { jq -r "$1" "$T/body"; }
db() { sqlite3 -cmd '.timeout 5000' "$T/ward.db" "$1"; }
host_state() {
	[ "$(get "/api/v1/hosts/$1")" = 200 ] && j .state
}
# alert_id HOST KIND: the id of HOST's live alert of KIND
alert_id() {
	db "SELECT a.id FROM alerts a JOIN hosts h ON h.id = a.host_id
	    WHERE h.name = '$1' AND a.kind = '$2' AND a.status != 'resolved'"
}
# delivered FILTER: how many alerts, over every message the receiver
# got, match the jq FILTER
delivered() {
	[ -f "$T/hook.log" ] || { echo 0; return; }
	jq -r .body "$T/hook.log" | jq -s "[.[].alerts[] | select($1)] | length"
}
# queued HOST-PATTERN: notifications ever queued for alerts of these hosts
queued() {
	db "SELECT count(*) FROM notifications n JOIN alerts a ON
	    a.id = n.alert_id JOIN hosts h ON h.id = a.host_id
	    WHERE h.name GLOB '$1'"
}

# ---------------------------------------------------------- all is well
servers
report dcb-app01 dcb 0
report dcb-db01 dcb 0
wait_for "the switch reported by netpoll" '[ "$(host_state dca-sw-core)" = UP ]'
[ "$(j .kind)" = switch ] && [ "$(j .model)" = J9021A ] &&
    [ "$(j .datacentre)" = dca ] || fail "the switch: $(cat "$T/body")"
[ "$(j '.checks[] | select(.name == "alive") | .status')" = 0 ] ||
    fail "alive is not OK: $(cat "$T/body")"
for s in dca-srv01 dca-srv02 dca-srv03; do
	[ "$(host_state $s)" = UP ] || fail "$s is not UP: $(cat "$T/body")"
done
ok "ward-netpoll reports the switch (alive OK) beside three servers behind it"

# ------------------------------------------------------------ maintenance
[ "$(post /api/v1/maintenance '{"scope":"host","target":"dcb-db01","starts":"now","ends":"+1h","reason":"firmware update"}')" = 201 ] ||
    fail "maintenance: $(cat "$T/body")"
win=$(j .id)
report dcb-db01 dcb 2
report dcb-db01 dcb 2
report dcb-app01 dcb 2
report dcb-app01 dcb 2
db_alert=$(alert_id dcb-db01 check)
app_alert=$(alert_id dcb-app01 check)
[ -n "$db_alert" ] && [ -n "$app_alert" ] ||
    fail "hard CRITICAL checks raised no alerts: $(db 'SELECT * FROM alerts')"
wait_for "dcb-app01's alert at the receiver" \
    '[ "$(delivered ".host == \"dcb-app01\" and .event == \"opened\"")" = 1 ]'
[ "$(get "/api/v1/alerts/$db_alert")" = 200 ] || fail "alert $db_alert"
assert_contains "$(j .suppressed)" "maintenance"
assert_contains "$(j .suppressed)" "$win"
[ "$(queued dcb-db01)" = 0 ] ||
    fail "a notification was queued for dcb-db01 in maintenance"
[ "$(delivered '.host == "dcb-db01"')" = 0 ] || fail "dcb-db01 was notified"
ok "maintenance: dcb-db01's alert is recorded as suppressed by window $win, nothing sent; dcb-app01's is"

# -------------------------------------------------- the switch goes dark
# The servers' last word is now; then the switch's responder stops.
servers
kill "$SIM_PID"
wait "$SIM_PID" 2>/dev/null || true
wait_for "the switch DOWN" '[ "$(host_state dca-sw-core)" = DOWN ]'
[ "$(j '.checks[] | select(.name == "alive") | .status')" = 2 ] ||
    fail "alive is not CRITICAL: $(cat "$T/body")"
sw_alert=$(alert_id dca-sw-core host_down)
[ -n "$sw_alert" ] || fail "no host_down alert for the switch: $(db 'SELECT * FROM alerts')"
wait_for "the host_down notification" \
    '[ "$(delivered ".host == \"dca-sw-core\"")" -ge 1 ]'
ok "the switch's responder stopped: netpoll says alive CRITICAL, the switch is DOWN"

unreachable() {
	[ "$(get '/api/v1/hosts?datacentre=dca&state=UNREACHABLE')" = 200 ] &&
	    j '.hosts | length'
}
wait_for "three servers UNREACHABLE" '[ "$(unreachable)" = 3 ]' 40
for s in dca-srv01 dca-srv02 dca-srv03; do
	id=$(alert_id $s host_unreachable)
	[ -n "$id" ] || fail "$s has no host_unreachable alert"
	[ "$(get "/api/v1/alerts/$id")" = 200 ] || fail "alert $id"
	[ "$(j .suppressed)" = "parent dca-sw-core is down" ] ||
	    fail "$s's alert is not suppressed by its parent: $(cat "$T/body")"
done
[ "$(db "SELECT count(*) FROM alerts a JOIN hosts h ON h.id = a.host_id
    WHERE h.name GLOB 'dca-srv*' AND a.kind IN ('host_stale', 'host_down')")" = 0 ] ||
    fail "a server was alerted as STALE or DOWN: $(db 'SELECT kind, summary FROM alerts')"
# The outbox is written with each alert change: nothing queued is
# nothing sent, now or later.
[ "$(queued 'dca-srv*')" = 0 ] || fail "a notification was queued for a server"
[ "$(queued dca-sw-core)" = 1 ] ||
    fail "the incident queued $(queued dca-sw-core) notifications: $(db 'SELECT * FROM notifications')"
[ "$(delivered '.host | startswith("dca-")')" = 1 ] ||
    fail "the incident was notified more than once: $(cat "$T/hook.log")"
[ "$(delivered '.host == "dca-sw-core" and .kind == "host_down" and .event == "opened" and .severity == "critical" and .runbook == "runbooks/host_down.md"')" = 1 ] ||
    fail "the notification: $(cat "$T/hook.log")"
ok "the quiet servers are UNREACHABLE, suppressed; the receiver got exactly one notification (host_down of the switch)"

[ "$(get /api/v1/datacentres/dca/health)" = 200 ] || fail "health: $(cat "$T/body")"
[ "$(j .health)" = critical ] && [ "$(j .worst_state)" = DOWN ] &&
    [ "$(j .states.DOWN)" = 1 ] && [ "$(j .states.UNREACHABLE)" = 3 ] &&
    [ "$(j .alerts.suppressed)" -ge 3 ] &&
    [ "$(j '.critical_problems | map(.kind) | join(",")')" = host_down ] ||
    fail "datacentre dca: $(cat "$T/body")"
ok "datacentre dca: critical, 1 DOWN, 3 UNREACHABLE, one critical problem"

# ----------------------------------------------- reminders, acknowledged
# Reminders every 2 s from now (a restart applies the configuration): the
# switch's and dcb-app01's open alerts are reminded until acknowledged.
collector_conf "$T/collector.conf" "$PORT" "" "$(health 2s)"
kill "$COLLECTOR_PID"
wait "$COLLECTOR_PID" 2>/dev/null || true
restart_collector
reminders() {	# reminders ALERT-ID [AFTER-MS]: reminder events since
	db "SELECT count(*) FROM alert_events WHERE alert_id = $1 AND
	    event = 'reminder' AND at_ms > ${2:-0}"
}
wait_for "a reminder of the switch's alert" \
    '[ "$(delivered ".id == $sw_alert and .event == \"reminder\"")" -ge 1 ]'
[ "$(post "/api/v1/alerts/$sw_alert/ack" '{"comment":"core switch RMA, engineer on site"}')" = 200 ] ||
    fail "ack: $(cat "$T/body")"
[ "$(j .by)" = alice ] || fail "ack: $(cat "$T/body")"
acked=$(db "SELECT acked_ms FROM alerts WHERE id = $sw_alert")
wait_for "the acknowledgement notified" \
    '[ "$(delivered ".id == $sw_alert and .event == \"acknowledged\"")" = 1 ]'
# dcb-app01, still open, is reminded twice more: the switch's alert had
# the same chances, and took none.
wait_for "two more reminders of dcb-app01" \
    '[ "$(reminders "$app_alert" "$acked")" -ge 2 ]'
[ "$(reminders "$sw_alert" "$acked")" = 0 ] ||
    fail "the acknowledged alert was reminded: $(db "SELECT * FROM alert_events WHERE alert_id = $sw_alert")"
[ "$(reminders "$db_alert")" = 0 ] || fail "the suppressed alert was reminded"
[ "$(get "/api/v1/alerts/$sw_alert")" = 200 ] || fail "alert $sw_alert"
[ "$(j .status)" = acknowledged ] && [ "$(j .acknowledged.by)" = alice ] ||
    fail "alert $sw_alert: $(cat "$T/body")"
[ "$(queued 'dca-srv*')" = 0 ] || fail "a server was notified"
ok "reminders every renotify; POST .../ack by alice stops them (dcb-app01 is reminded on, the switch not)"

# ------------------------------------------------- the webhook goes dark
# The receiver stops; dcb-app01 recovers, and its resolution waits.
kill "$HOOK_PID"
wait "$HOOK_PID" 2>/dev/null || true
report dcb-app01 dcb 0
resolved_row() {
	db "SELECT id FROM notifications WHERE alert_id = $app_alert AND
	    event = 'resolved'"
}
wait_for "the resolution queued" '[ -n "$(resolved_row)" ]'
row=$(resolved_row)
attempts() {	# the most attempts of a notification still waiting
	db "SELECT coalesce(max(attempts), 0) FROM notifications WHERE
	    channel = 'oncall' AND sent_ms IS NULL AND failed_ms IS NULL"
}
wait_for "retries while the receiver is down" '[ "$(attempts)" -ge 2 ]'
[ -n "$(db "SELECT group_concat(last_error) FROM notifications WHERE
    channel = 'oncall' AND sent_ms IS NULL")" ] ||
    fail "no error recorded for the failed delivery"
# Ingest goes on meanwhile: every report is accepted and stored.
stored() {
	db "SELECT count(*) FROM reports r JOIN hosts h ON h.id = r.host_id
	    WHERE h.name GLOB 'dcb-*'"
}
n0=$(stored)
for i in 1 2 3 4 5; do
	report dcb-app01 dcb 0
	report dcb-db01 dcb 0
done
[ "$(stored)" = $((n0 + 10)) ] ||
    fail "reports were lost while the webhook was down: $n0, then $(stored)"
[ "$(db "SELECT sent_ms IS NULL FROM notifications WHERE id = $row")" = 1 ] ||
    fail "the notification counts as sent with nobody listening"
tries=$(attempts)
start_hook "$HOOK_PORT"
wait_for "delivery once the receiver is back" \
    '[ "$(db "SELECT sent_ms IS NOT NULL FROM notifications WHERE id = $row")" = 1 ]'
[ "$(delivered ".id == $app_alert and .event == \"resolved\"")" = 1 ] ||
    fail "the resolution did not arrive: $(cat "$T/hook.log")"
ok "webhook endpoint down: tried $tries times while 10 reports were accepted; delivered once it is back"

# Over the whole run, nothing about the servers left the collector.
[ "$(delivered '.host | startswith("dca-srv")')" = 0 ] ||
    fail "a server was notified: $(cat "$T/hook.log")"
ok "no notification about the servers behind the switch"
