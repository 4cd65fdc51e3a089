#!/bin/sh
# collector_notify.sh: notifications through the real ward-collector to a
# webhook receiver over HTTPS and an SMTP server with STARTTLS, both started
# here on loopback: a burst is one message, a failing or dead endpoint is
# retried while reports keep being accepted, secrets never reach the log, a
# server without STARTTLS gets nothing; and the maintenance API and CLI.
. "$top_srcdir/tests/integration/lib.sh"
require_cmd curl
require_cmd jq
require_cmd sqlite3
# Debian's python3 (with python3-aiosmtpd), whatever else is on PATH.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || skip "python3 is not installed"
"$PY" -c 'import aiosmtpd' 2>/dev/null ||
    skip "python3-aiosmtpd is not installed (./quickstart installs it)"
make_test_ca
RX=$top_srcdir/tests/integration

umask 077
printf 'hook-bearer-s3cret\n' > "$T/hook.secret"
printf 'smtp-pw-s3cret\n' > "$T/smtp.secret"
umask 022

# wait_for DESCRIPTION 'SHELL TEST': up to 20 s for the test, evaluated
# afresh each time, to succeed.
wait_for() {
	i=0
	while ! eval "$2" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 200 ] || fail "timed out waiting for $1; log:
$(tail -20 "$T/collector.log")"
		sleep 0.1
	done
}

# The webhook receiver, HTTPS with the test CA's certificate.
start_hook() {
	rm -f "$T/hook.port"
	"$PY" "$RX/webhook_rx.py" --log "$T/hook.log" --portfile "$T/hook.port" \
	    --statusfile "$T/hook.status" --cert "$T/server.crt" \
	    --key "$T/server.key" ${1:+--port "$1"} 2>> "$T/hook.err" &
	HOOK_PID=$!
	wait_for "the webhook receiver" '[ -s "$T/hook.port" ]'
	HOOK_PORT=$(cat "$T/hook.port")
}
start_hook
at_exit 'kill $HOOK_PID 2>/dev/null'

# smtp NAME [ARGS...]: an SMTP server on a free port; sets SMTP_PORT.
start_smtp() {
	name=$1
	shift
	for attempt in 1 2 3 4 5 6; do
		SMTP_PORT=$(( ($(od -An -N2 -tu2 /dev/urandom) % 30000) + 20000 ))
		rm -f "$T/$name.ready"
		"$PY" "$RX/smtp_rx.py" --port "$SMTP_PORT" --log "$T/$name.log" \
		    --ready "$T/$name.ready" "$@" 2>> "$T/$name.err" &
		pid=$!
		i=0
		while [ ! -s "$T/$name.ready" ] && kill -0 $pid 2>/dev/null &&
		    [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		[ -s "$T/$name.ready" ] && break
		kill $pid 2>/dev/null || true
	done
	[ -s "$T/$name.ready" ] || fail "smtp server did not start: $(cat "$T/$name.err")"
	at_exit "kill $pid 2>/dev/null"
}
start_smtp smtp --cert "$T/server.crt" --key "$T/server.key" \
    --user ward --password-file "$T/smtp.secret"
MAIL_PORT=$SMTP_PORT
start_smtp plain
PLAIN_PORT=$SMTP_PORT

NOTIFY="[notify \"hook\"]
type = webhook
url = https://127.0.0.1:$HOOK_PORT/alerts
ca_file = $T/ca.crt
secret = $T/hook.secret
group_wait = 2s
retry_max = 2s
[notify \"mail\"]
type = email
url = smtp://127.0.0.1:$MAIL_PORT
ca_file = $T/ca.crt
mail_from = ward@ward.test
mail_to = oncall@ward.test, noc@ward.test
smtp_user = ward
secret = $T/smtp.secret
min_severity = critical
group_wait = 1s
[notify \"plain\"]
type = email
url = smtp://127.0.0.1:$PLAIN_PORT
mail_from = ward@ward.test
mail_to = oncall@ward.test
group_wait = 0
retry_max = 1s
[group \"web\"]
hosts = web-*"

# --- bad [notify] sections are refused at -n, naming what is wrong
collector_conf "$T/bad.conf" 1 "" "[notify \"m\"]
type = email
url = smtp://127.0.0.1:25
mail_from = ward@ward.test"
run 1 "$WARD_COLLECTOR" -n -c "$T/bad.conf"
assert_contains "$OUT" "[notify \"m\"] (line"
assert_contains "$OUT" "mail_to: required for type = email"
collector_conf "$T/bad.conf" 1 "" "[notify \"w\"]
type = webhook
url = http://hooks.ward.test/x"
run 1 "$WARD_COLLECTOR" -n -c "$T/bad.conf"
assert_contains "$OUT" "url: a webhook needs https://"
collector_conf "$T/bad.conf" 1 "" "[notify \"w\"]
type = webhook
url = https://hooks.ward.test/x
secret = $T/nonexistent.secret"
run 1 "$WARD_COLLECTOR" -n -c "$T/bad.conf"
assert_contains "$OUT" "secret"
ok "bad [notify] sections fail -n with the section, line and key"

collector_conf "$T/collector.conf" 1 "" "$NOTIFY"
run 0 "$WARD_COLLECTOR" -n -c "$T/collector.conf"
agent=$("$WARD_COLLECTOR" -c "$T/collector.conf" token add --role agent --name agents 2>/dev/null)
reader=$("$WARD_COLLECTOR" -c "$T/collector.conf" token add --role read --name helpdesk 2>/dev/null)
operator=$("$WARD_COLLECTOR" -c "$T/collector.conf" token add --role operate --name alice 2>/dev/null)
[ -n "$agent" ] && [ -n "$reader" ] && [ -n "$operator" ] || fail "token add failed"
start_collector "" "$NOTIFY"

seq=0
report() {	# report HOST...: one report per host, all accepted
	seq=$((seq + 1))
	{
		printf '['
		sep=
		for h in "$@"; do
			printf '%s{"schema":1,"agent":{"id":"%s"},"seq":%s,"ts":"%s","host":{"name":"%s","datacentre":"orsett"},"metrics":[{"name":"load.1","value":0.5}]}' \
			    "$sep" "$h" "$seq" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$h"
			sep=,
		done
		printf ']'
	} > "$T/r.json"
	code=$(curl -sS --cacert "$T/ca.crt" -o "$T/reply" -w '%{http_code}' \
	    -H "Authorization: Bearer $agent" --data-binary @"$T/r.json" \
	    "$URL/api/v1/reports" 2>/dev/null || echo 000)
	[ "$code" = 200 ] || fail "reports refused ($code): $(cat "$T/reply")"
}
db() { sqlite3 -cmd '.timeout 5000' "$T/ward.db" "$@"; }
now_ms() { echo $(( $(date +%s) * 1000 )); }

# queue HOST KIND SEVERITY SUMMARY ROUTE...: an open alert on HOST and an
# outbox row for it on each ROUTE, as an alert change would leave them.
queue() {
	h=$1 kind=$2 sev=$3 summary=$4
	shift 4
	t=$(now_ms)
	db "INSERT INTO alerts (key, kind, host_id, datacentre, severity,
	    status, summary, opened_ms, updated_ms)
	    SELECT 'test/' || name || '/$kind/$t', '$kind', id, datacentre,
	    '$sev', 'open', '$summary', $t, $t FROM hosts WHERE name = '$h'"
	for route in "$@"; do
		db "INSERT INTO notifications (alert_id, event, channel,
		    created_ms, next_attempt_ms) SELECT max(id), 'opened',
		    '$route', $t, $t FROM alerts"
	done
}
hook_lines() { [ -f "$T/hook.log" ] && wc -l < "$T/hook.log" || echo 0; }
hook_attempts() {
	db "SELECT coalesce(max(attempts), 0) FROM notifications
	    WHERE channel = 'hook' AND sent_ms IS NULL"
}
sent_count() {
	db "SELECT count(*) FROM notifications
	    WHERE channel IN ('hook', 'mail') AND sent_ms IS NOT NULL"
}
plain_attempts() {
	db "SELECT coalesce(max(attempts), 0) FROM notifications
	    WHERE channel = 'plain'"
}

hosts=$(seq -f 'web-%02g' 1 10)
# shellcheck disable=SC2086
report $hosts

# --- a burst of ten alerts: one webhook message, one mail
for h in $hosts; do
	queue "$h" host_down critical "$h does not answer" hook mail
done
wait_for "the webhook message" '[ "$(hook_lines)" -ge 1 ]'
wait_for "the mail" '[ -s "$T/smtp.log" ]'
wait_for "all sent" '[ "$(sent_count)" = 20 ]'
sleep 1
[ "$(hook_lines)" = 1 ] || fail "the burst went as $(hook_lines) webhook messages"
[ "$(wc -l < "$T/smtp.log")" = 1 ] || fail "the burst went as $(wc -l < "$T/smtp.log") mails"
jq -e '.authorization == "Bearer hook-bearer-s3cret" and
    .content_type == "application/json" and .path == "/alerts"' \
    "$T/hook.log" > /dev/null || fail "webhook request: $(cat "$T/hook.log")"
jq -r .body "$T/hook.log" > "$T/hook.body"
jq -e '.count == 10 and (.alerts | length) == 10 and .route == "hook" and
    .summary == "10 alerts: 10 opened" and
    ([.alerts[].host] | sort) == ([range(1; 11)] | map("web-" +
    (if . < 10 then "0" else "" end) + tostring)) and
    .alerts[0].runbook == "runbooks/host_down.md" and
    .alerts[0].severity == "critical"' "$T/hook.body" > /dev/null ||
    fail "webhook body: $(cat "$T/hook.body")"
[ "$(db "SELECT count(*) FROM alert_events WHERE event = 'notified'
    AND actor = 'hook'")" = 10 ] || fail "notified events not recorded"
[ "$(db "SELECT min(notifications) FROM alerts")" = 2 ] ||
    fail "alerts.notifications: $(db 'SELECT notifications FROM alerts')"
ok "a burst of ten alerts is one webhook message (bearer token, JSON) and one mail"

jq -e '.tls == true and .login == "ward" and .mail_from == "ward@ward.test"
    and (.rcpt_tos | sort) == ["noc@ward.test", "oncall@ward.test"]' \
    "$T/smtp.log" > /dev/null || fail "smtp envelope: $(cat "$T/smtp.log")"
jq -r .data "$T/smtp.log" > "$T/mail.txt"
for hdr in "Date: " "From: ward@ward.test" "To: oncall@ward.test" \
    "Message-ID: <ward." "Subject: [ward] 10 alerts: 10 opened" \
    "Content-Type: text/plain; charset=utf-8" "MIME-Version: 1.0"; do
	grep -qF "$hdr" "$T/mail.txt" || fail "mail lacks \"$hdr\": $(cat "$T/mail.txt")"
done
assert_contains "$(cat "$T/mail.txt")" "OPENED CRITICAL host_down on web-07 (orsett)"
assert_contains "$(cat "$T/mail.txt")" "runbook: runbooks/host_down.md"
grep -q "$(printf '\r')$" "$T/mail.txt" || fail "mail lines do not end in CRLF"
ok "the mail went over STARTTLS with a login, RFC 5322 headers, a line per alert"

# --- a server that cannot do STARTTLS gets nothing: failed, retried
queue web-01 disk_usage critical "disk full" plain
wait_for "a refused plain SMTP attempt" '[ "$(plain_attempts)" -ge 2 ]'
[ ! -s "$T/plain.log" ] || fail "a mail went without TLS: $(cat "$T/plain.log")"
assert_contains "$(db "SELECT last_error FROM notifications WHERE channel = 'plain'")" \
    "smtp://127.0.0.1:$PLAIN_PORT"
ok "a mail server without STARTTLS is never sent to in the clear; the row is retried"

# --- the endpoint fails: retries with backoff, reports still accepted
echo 500 > "$T/hook.status"
queue web-02 disk_usage warning "disk 91% full" hook
wait_for "retries" '[ "$(hook_attempts)" -ge 3 ]'
report $hosts
assert_contains "$(db "SELECT last_error FROM notifications WHERE channel = 'hook'
    AND sent_ms IS NULL")" "HTTP 500"

# ... then is down altogether.
kill "$HOOK_PID"
wait "$HOOK_PID" 2>/dev/null || true
before=$(hook_attempts)
wait_for "retries while down" '[ "$(hook_attempts)" -ge $((before + 2)) ]'
for i in 1 2 3; do
	report $hosts
done
[ "$(grep -c 'notify hook:.*will retry' "$T/collector.log")" = 1 ] ||
    fail "failures not logged once: $(grep 'notify hook' "$T/collector.log")"
ok "a failing, then dead, webhook is retried with backoff; reports are accepted meanwhile; logged once"

# ... and comes back on its port: delivered, and said so once.
: > "$T/hook.log"
rm -f "$T/hook.status"
start_hook "$HOOK_PORT"
wait_for "delivery after recovery" '[ "$(hook_lines)" -ge 1 ]'
jq -r .body "$T/hook.log" | jq -e '.count == 1 and
    .alerts[0].summary == "disk 91% full" and .alerts[0].host == "web-02"' \
    > /dev/null || fail "after recovery: $(cat "$T/hook.log")"
wait_for "the recovery line" \
    'grep -q "notify hook: delivering again" "$T/collector.log"'
ok "the endpoint back: the waiting notification is delivered, recovery logged"

# Secrets: in no log, no reply, no database row.
for s in hook-bearer-s3cret smtp-pw-s3cret; do
	! grep -q "$s" "$T/collector.log" || fail "$s in the collector's log"
	! db "SELECT * FROM notifications" | grep -q "$s" ||
	    fail "$s in the outbox"
done
ok "the bearer token and SMTP password appear in no log and no outbox row"

# --- maintenance: API
mreq() {	# mreq METHOD PATH TOKEN [BODY]: status; reply in $T/m.json
	curl -sS --cacert "$T/ca.crt" -o "$T/m.json" -w '%{http_code}' \
	    -X "$1" -H "Authorization: Bearer $3" \
	    ${4:+-H 'Content-Type: application/json' --data-binary "$4"} \
	    "$URL$2" 2>/dev/null || echo 000
}
mexpect() {	# mexpect STATUS METHOD PATH TOKEN [BODY]
	want=$1
	shift
	got=$(mreq "$@")
	[ "$got" = "$want" ] ||
	    fail "$1 $2 ${4:-}: status $got, expected $want: $(cat "$T/m.json")"
}
mj() { jq -r "$1" "$T/m.json"; }

mexpect 403 POST /api/v1/maintenance "$reader" '{"scope":"host","target":"web-01","starts":"now","ends":"+1h","reason":"x"}'
mexpect 403 POST /api/v1/maintenance "$agent" '{}'
mexpect 401 POST /api/v1/maintenance ward_forged '{}'
mexpect 400 POST /api/v1/maintenance "$operator" 'not json'
mexpect 400 POST /api/v1/maintenance "$operator" '[]'
assert_contains "$(mj .error)" "expected an object"
mexpect 400 POST /api/v1/maintenance "$operator" '{"scope":"host","target":"web-01","starts":"now","ends":"+1h"}'
assert_contains "$(mj .error)" "reason: missing"
mexpect 400 POST /api/v1/maintenance "$operator" '{"scope":"rack","target":"r1","starts":"now","ends":"+1h","reason":"x"}'
assert_contains "$(mj .error)" "scope:"
mexpect 400 POST /api/v1/maintenance "$operator" '{"scope":"host","target":"web-01","starts":"now","ends":"+1h","reason":"x","colour":"red"}'
assert_contains "$(mj .error)" "colour: unknown field"
mexpect 400 POST /api/v1/maintenance "$operator" '{"scope":"host","target":"web-01","starts":5,"ends":"+1h","reason":"x"}'
assert_contains "$(mj .error)" "starts: expected a string"
mexpect 400 POST /api/v1/maintenance "$operator" '{"scope":"group","target":"db","recur":"weekly sun 02:00 2h","tz":"Europe/London","reason":"x"}'
assert_contains "$(mj .error)" 'target: no [group "db"]'
mexpect 400 POST /api/v1/maintenance "$operator" '{"scope":"group","target":"web","recur":"weekly sn 02:00 2h","tz":"Europe/London","reason":"x"}'
assert_contains "$(mj .error)" 'recur: "sn" is not a day'
mexpect 400 POST /api/v1/maintenance "$operator" '{"scope":"group","target":"web","recur":"weekly sun 02:00 2h","tz":"Europe/Lundon","reason":"x"}'
assert_contains "$(mj .error)" 'tz: "Europe/Lundon": no such time zone'
mexpect 400 POST /api/v1/maintenance "$operator" '{"scope":"host","target":"web-01","starts":"2020-01-01T00:00:00Z","ends":"2020-01-01T01:00:00Z","reason":"x"}'
assert_contains "$(mj .error)" "ends: already past"
ok "POST /api/v1/maintenance: operate role only; every bad field named in a 400"

mexpect 201 POST /api/v1/maintenance "$operator" '{"scope":"host","target":"web-03","starts":"now","ends":"+2h","reason":"replacing a disk"}'
one=$(mj .id)
[ "$(mj .author)" = alice ] || fail "author: $(cat "$T/m.json")"
[ "$(mj .state)" = active ] || fail "state: $(cat "$T/m.json")"
mexpect 201 POST /api/v1/maintenance "$operator" '{"scope":"group","target":"web","recur":"weekly sun 02:00 2h","tz":"Europe/London","reason":"patching \"web\" <b>"}'
two=$(mj .id)
[ "$(mj .recur)" = "weekly sun 02:00 2h" ] || fail "recur: $(cat "$T/m.json")"
[ "$(mj '.next.starts | test("^20[0-9-]+T0[12]:00:00Z$")')" = true ] ||
    fail "next occurrence: $(cat "$T/m.json")"
mexpect 200 GET /api/v1/maintenance "$reader"
[ "$(mj "[.active[].id] | index($one) != null")" = true ] || fail "list: $(cat "$T/m.json")"
[ "$(mj "[.active[], .upcoming[]] | map(select(.id == $two)) | .[0].reason")" = 'patching "web" <b>' ] ||
    fail "list: $(cat "$T/m.json")"
mexpect 400 GET '/api/v1/maintenance?recent=forever' "$reader"
mexpect 403 DELETE "/api/v1/maintenance/$one" "$reader"
mexpect 200 DELETE "/api/v1/maintenance/$one" "$operator"
[ "$(mj .state)" = deleted ] && [ "$(mj .deleted_by)" = alice ] ||
    fail "delete: $(cat "$T/m.json")"
mexpect 409 DELETE "/api/v1/maintenance/$one" "$operator"
mexpect 404 DELETE /api/v1/maintenance/99999 "$operator"
mexpect 404 DELETE /api/v1/maintenance/abc "$operator"
mexpect 200 GET /api/v1/maintenance "$reader"
[ "$(mj ".ended[] | select(.id == $one) | .state")" = deleted ] ||
    fail "deleted window not in history: $(cat "$T/m.json")"
ok "maintenance windows: created with the token's name as author, listed, deleted as history"

# --- maintenance: the command line, on the same database
C="$WARD_COLLECTOR -c $T/collector.conf"
three=$($C maintenance add --scope datacentre --target orsett --start now \
    --end +30m --reason "UPS test" --author bob 2>/dev/null) ||
    fail "maintenance add failed"
run 0 $C maintenance list
assert_contains "$OUT" "UPS test"
assert_contains "$OUT" "weekly sun 02:00 2h Europe/London"
run 1 $C maintenance add --scope host --target web-01 --recur "daily 01:30 30m" --reason x
assert_contains "$OUT" "tz: missing"
run 2 $C maintenance add --scope host --bogus x
run 0 $C maintenance delete "$three"
[ "$(db "SELECT deleted_by FROM maintenance WHERE id = $three")" = "$(id -un)" ] ||
    fail "deleted_by: $(db "SELECT * FROM maintenance WHERE id = $three")"
run 1 $C maintenance delete 99999
assert_contains "$OUT" "does not exist"
ok "ward-collector maintenance add, list, delete"

# --- end to end: reports -> hard CRITICAL checks -> alerts -> notifications
# A window on db-02 first: its alert is recorded as suppressed, not sent.
mexpect 201 POST /api/v1/maintenance "$operator" '{"scope":"host","target":"db-02","starts":"now","ends":"+1h","reason":"firmware update"}'
win=$(mj .id)
: > "$T/hook.log"
creport() {	# creport STATUS HOST...: one report per host with check "raid"
	st=$1
	shift
	seq=$((seq + 1))
	{
		printf '['
		sep=
		for h in "$@"; do
			printf '%s{"schema":1,"agent":{"id":"%s"},"seq":%s,"ts":"%s","host":{"name":"%s","datacentre":"thurrock"},"checks":[{"name":"raid","status":%s,"output":"RAID %s"}]}' \
			    "$sep" "$h" "$seq" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$h" "$st" "$st"
			sep=,
		done
		printf ']'
	} > "$T/r.json"
	code=$(curl -sS --cacert "$T/ca.crt" -o "$T/reply" -w '%{http_code}' \
	    -H "Authorization: Bearer $agent" --data-binary @"$T/r.json" \
	    "$URL/api/v1/reports" 2>/dev/null || echo 000)
	[ "$code" = 200 ] || fail "reports refused ($code): $(cat "$T/reply")"
}
dbs=$(seq -f 'db-%02g' 1 10)
# shellcheck disable=SC2086
creport 0 $dbs
for i in 1 2 3; do
	# shellcheck disable=SC2086
	creport 2 $dbs
done
check_alerts() {
	db "SELECT count(*) FROM alerts a JOIN hosts h ON h.id = a.host_id
	    WHERE h.name LIKE 'db-%' AND a.kind = 'check'"
}
# Only the db hosts' messages: one of the earlier alerts (web-03's, say)
# may still be on its way out on a busy machine.
db_hook_lines() {
	jq -r .body "$T/hook.log" 2>/dev/null | grep -c '"host":"db-' || true
}
wait_for "ten alerts from hard CRITICAL checks" '[ "$(check_alerts)" = 10 ]'
wait_for "the grouped message" '[ "$(db_hook_lines)" -ge 1 ]'
sleep 3
[ "$(db_hook_lines)" = 1 ] ||
    fail "ten alerts went as $(db_hook_lines) webhook messages: $(cat "$T/hook.log")"
jq -r .body "$T/hook.log" | grep '"host":"db-' > "$T/e2e.body"
jq -e '.count == 9 and ([.alerts[].host] | index("db-02")) == null and
    ([.alerts[].event] | unique) == ["opened"] and
    .alerts[0].kind == "check" and .alerts[0].runbook == "runbooks/check.md"' \
    "$T/e2e.body" > /dev/null || fail "e2e body: $(cat "$T/e2e.body")"
[ "$(db "SELECT suppressed IS NOT NULL FROM alerts a JOIN hosts h ON
    h.id = a.host_id WHERE h.name = 'db-02'")" = 1 ] ||
    fail "db-02's alert not recorded as suppressed: $(db "SELECT * FROM alerts")"
assert_contains "$(db "SELECT suppressed FROM alerts a JOIN hosts h ON
    h.id = a.host_id WHERE h.name = 'db-02'")" "$win"
[ "$(db "SELECT count(*) FROM notifications n JOIN alerts a ON a.id =
    n.alert_id JOIN hosts h ON h.id = a.host_id WHERE h.name = 'db-02'")" = 0 ] ||
    fail "a notification was queued for db-02 in maintenance"
ok "reports with hard CRITICAL checks on ten hosts: one webhook message of nine; the host in maintenance suppressed, not sent"

# A route taken out of the configuration while a notification waits for
# it: given up at the reload, and said so; nothing is left that no route
# would ever send or give up on.
echo 500 > "$T/hook.status"
queue web-03 disk_usage warning "disk 95% full" hook
wait_for "a failed attempt" '[ "$(hook_attempts)" -ge 1 ]'
awk '/^\[notify "hook"\]/ { skip = 1; next } /^\[/ { skip = 0 } !skip' \
    "$T/collector.conf" > "$T/collector.conf.new"
mv "$T/collector.conf.new" "$T/collector.conf"
kill -HUP "$COLLECTOR_PID"
wait_for "the orphans given up" 'grep -q "gave up on 1 notification(s) queued for route hook, which the configuration no longer has" "$T/collector.log"'
[ "$(db "SELECT count(*) FROM notifications WHERE channel = 'hook' AND
    sent_ms IS NULL AND failed_ms IS NULL")" = 0 ] ||
    fail "a removed route's notification still waits"
assert_contains "$(db "SELECT last_error FROM notifications WHERE channel = 'hook'
    ORDER BY id DESC LIMIT 1")" "its route is no longer configured"
ok "a route removed by SIGHUP: what waited for it is given up and logged"

# A message delivered whose outcome the database does not take (a full
# disk; here a trigger refuses the update): it is kept, recorded once the
# database takes it, and never sent again meanwhile.
rm -f "$T/hook.status"
: > "$T/hook.log"
cat >> "$T/collector.conf" <<CONF
[notify "hook2"]
type = webhook
url = https://127.0.0.1:$HOOK_PORT/alerts
ca_file = $T/ca.crt
secret = $T/hook.secret
group_wait = 1s
retry_max = 2s
CONF
kill -HUP "$COLLECTOR_PID"
wait_for "the reload" '[ "$(grep -c "configuration reloaded" "$T/collector.log")" -ge 2 ]'
db "CREATE TABLE fault (on_ INTEGER); INSERT INTO fault VALUES (1);
    CREATE TRIGGER fault_sent BEFORE UPDATE OF sent_ms ON notifications
    WHEN (SELECT on_ FROM fault) BEGIN SELECT RAISE(ABORT, 'disk full'); END"
queue web-04 disk_usage warning "disk 97% full" hook2
wait_for "the delivery" '[ "$(hook_lines)" -ge 1 ]'
wait_for "the refused record" 'grep -q "notify hook2:.*disk full" "$T/collector.log"'
sleep 3
[ "$(hook_lines)" = 1 ] || fail "sent $(hook_lines) times while its outcome was not recorded"
db "UPDATE fault SET on_ = 0"
wait_for "the record" '[ "$(db "SELECT count(*) FROM notifications WHERE channel = '"'hook2'"' AND sent_ms IS NOT NULL")" = 1 ]'
sleep 2
[ "$(hook_lines)" = 1 ] || fail "sent again after its outcome was recorded: $(hook_lines)"
db "DROP TRIGGER fault_sent; DROP TABLE fault"
ok "a message delivered whose outcome the database refused: recorded later, never sent twice"

# A maintenance window ending: an alert it held back is news and is sent;
# one that had paged before the window (and was acknowledged) is not
# paged again as "opened".
alert_of() {
	db "SELECT a.id FROM alerts a JOIN hosts h ON h.id = a.host_id
	    WHERE h.name = '$1' AND a.kind = 'check' AND a.status != 'resolved'"
}
rows_of() { db "SELECT count(*) FROM notifications WHERE alert_id = $1"; }
a1=$(alert_of db-01)
a2=$(alert_of db-02)
[ -n "$a1" ] && [ -n "$a2" ] || fail "no alerts on db-01, db-02"
[ "$(rows_of "$a1")" -ge 1 ] && [ "$(rows_of "$a2")" = 0 ] ||
    fail "db-01 paged $(rows_of "$a1"), db-02 held back $(rows_of "$a2")"
mexpect 200 POST "/api/v1/alerts/$a1/ack" "$operator" '{"comment":"on it"}'
before=$(rows_of "$a1")
mexpect 201 POST /api/v1/maintenance "$operator" '{"scope":"host","target":"db-01","starts":"now","ends":"+8s","reason":"reboot"}'
wait_for "db-01 suppressed" '[ -n "$(db "SELECT suppressed FROM alerts WHERE id = $a1")" ]'
i=0
while [ -n "$(db "SELECT suppressed FROM alerts WHERE id = $a1")" ]; do
	i=$((i + 1))
	[ $i -lt 300 ] || fail "db-01's window never ended"
	sleep 0.1
done
mexpect 200 DELETE "/api/v1/maintenance/$win" "$operator"
wait_for "db-02's opened" '[ "$(rows_of "$a2")" -ge 1 ]'
[ "$(rows_of "$a1")" = "$before" ] ||
    fail "db-01, paged and acknowledged, paged again after its window: $(db "SELECT event, channel FROM notifications WHERE alert_id = $a1")"
ok "a window ending sends what it held back, and does not page again what had paged"

# Told per route: an alert paged as a warning to hook2 only, critical by
# the end of its window, is news to mail (critical only), not to hook2.
queue web-05 disk_usage warning "disk 92% full" hook2
a3=$(db "SELECT max(id) FROM alerts")
wait_for "hook2's page" '[ "$(db "SELECT count(*) FROM notifications WHERE alert_id = $a3 AND sent_ms IS NOT NULL")" = 1 ]'
db "UPDATE alerts SET severity = 'critical', suppressed = 'maintenance 999' WHERE id = $a3"
wait_for "the window's end" '[ -z "$(db "SELECT suppressed FROM alerts WHERE id = $a3")" ]'
[ "$(db "SELECT group_concat(channel, ',') FROM (SELECT channel FROM notifications WHERE alert_id = $a3 ORDER BY channel)")" = "hook2,mail,plain" ] ||
    fail "after the window: $(db "SELECT channel, event FROM notifications WHERE alert_id = $a3")"
ok "a window ending tells each route that had not heard of the alert, and no other"
