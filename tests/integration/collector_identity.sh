#!/bin/sh
# collector_identity.sh: the identity routes through the real collector,
# reading (read-only) the idsync.db that the real ward-idsync made from
# three real slapd directories of generated staff. Every answer is checked
# against that database itself: the summary's counts, a person found by
# surname, username, employee number and mail with each domain's account,
# unlinked accounts, conflicts; and the errors: not configured, no
# database yet, a bad q, an unknown person, the wrong role.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/idsync_db.sh"
idsync_db_require curl jq sqlite3
make_test_ca
idsync_db_make "$T/idsync.db"
idb() { sqlite3 "$T/idsync.db" "$1"; }

# The collector, first without [identity], then with it.
collector_conf "$T/collector.conf" 1
reader=$("$WARD_COLLECTOR" -c "$T/collector.conf" token add --role read --name helpdesk 2>/dev/null)
agent=$("$WARD_COLLECTOR" -c "$T/collector.conf" token add --role agent --name agents 2>/dev/null)
[ -n "$reader" ] && [ -n "$agent" ] || fail "token add failed"
get() {		# get STATUS PATH [TOKEN]: body in $T/body
	code=$(curl -sS --cacert "$T/ca.crt" -o "$T/body" -w '%{http_code}' \
	    -H "Authorization: Bearer ${3:-$reader}" "$URL$2" 2>/dev/null ||
	    echo 000)
	[ "$code" = "$1" ] || fail "GET $2: $code, not $1: $(cat "$T/body")"
}
j() { jq -r "$1" "$T/body"; }

start_collector
get 503 /api/v1/identity/summary
assert_contains "$(cat "$T/body")" "identity: not configured (set [identity] db"
get 503 "/api/v1/persons?q=smith"
assert_contains "$(cat "$T/body")" "identity: not configured"
get 200 /metrics
assert_not_contains "$(cat "$T/body")" "ward_identity_"
stop() { kill "$COLLECTOR_PID"; wait "$COLLECTOR_PID" 2>/dev/null || true; }
stop
start_collector "" "[identity]
db = $T/not-yet.db"
get 503 /api/v1/identity/summary
assert_contains "$(cat "$T/body")" "identity: no ward-idsync database yet"
get 200 /metrics
grep -qx 'ward_identity_up 0' "$T/body" || fail "no ward_identity_up 0: $(cat "$T/body")"
# One an earlier ward-idsync left (schema 8): until it runs again.
stop
cp "$T/idsync.db" "$T/old.db"
sqlite3 "$T/old.db" "PRAGMA user_version = 8" || fail "sqlite3 failed"
start_collector "" "[identity]
db = $T/old.db"
get 503 /api/v1/identity/conflicts
assert_contains "$(cat "$T/body")" "older than this collector reads"
ok "no [identity] db, no database there, or one too old: 503 saying which; /metrics says ward_identity_up 0"

stop
start_collector "" "[identity]
db = $T/idsync.db"
run 0 "$WARD_COLLECTOR" -n -c "$T/collector.conf"

get 200 /api/v1/identity/summary
[ "$(j .persons)" = "$(idb "select count(*) from persons")" ] ||
    fail "persons: $(j .persons)"
[ "$(j .conflicts)" = "$(idb "select count(*) from conflicts")" ] ||
    fail "conflicts: $(j .conflicts)"
[ "$(j .last_run.outcome)" = ok ] && [ "$(j .last_run.command)" = run ] ||
    fail "last_run: $(j -c .last_run)"
[ "$(j '[.domains[].domain] | join(",")')" = btuh,meht,southend ] ||
    fail "domains: $(j -c .domains)"
for d in btuh meht southend; do
	[ "$(j ".domains[] | select(.domain == \"$d\") |
	    \"\(.accounts) \(.linked) \(.disabled)\"")" = \
	    "$(idb "select count(*) from accounts where domain = '$d'") $(idb "select count(*) from links where domain = '$d'") $(idb "select count(*) from accounts where domain = '$d' and enabled = 0")" ] ||
	    fail "$d counts: $(j -c ".domains[] | select(.domain == \"$d\")")"
	[ "$(j ".domains[] | select(.domain == \"$d\") | .unmatched")" = \
	    "$(idb "select count(*) from accounts a where domain = '$d' and kind = 'person' and not exists (select 1 from links l where l.domain = a.domain and l.guid = a.guid)")" ] ||
	    fail "$d unmatched"
	[ "$(j ".domains[] | select(.domain == \"$d\") | .error")" = null ] ||
	    fail "$d error"
done
ok "summary: per-domain accounts, linked, unmatched and disabled, as idsync.db holds them"

# /metrics: what an alert on a sync that stopped or fails is written on.
get 200 /metrics
metric() { awk -v k="$1" '$1 == k { print $2 }' "$T/body"; }
finished=$(idb "select finished_ms / 1000.0 from runs where command = 'run' order by id desc limit 1")
[ "$(metric ward_identity_up)" = 1 ] &&
    [ "$(metric 'ward_identity_last_run_success{command="run"}')" = 1 ] &&
    awk -v a="$(metric 'ward_identity_last_run_timestamp_seconds{command="run"}')" \
        -v b="$(metric 'ward_identity_last_success_timestamp_seconds{command="run"}')" \
        -v f="$finished" 'BEGIN { exit !(a == b && a - f < 0.001 && f - a < 0.001) }' &&
    [ "$(metric 'ward_identity_persons{status="active"}')" = "$(idb "select count(*) from persons where status = 'active'")" ] &&
    [ "$(metric 'ward_identity_persons{status="leaver"}')" = "$(idb "select count(*) from persons where status = 'leaver'")" ] &&
    [ "$(metric 'ward_identity_conflicts{kind="review"}')" = "$(idb "select count(*) from conflicts where kind = 'review'")" ] &&
    [ "$(metric ward_identity_accounts_waiting)" = "$(idb "select count(*) from accounts a where kind = 'person' and not exists (select 1 from links l where l.domain = a.domain and l.guid = a.guid)")" ] ||
    fail "identity metrics: $(grep ward_identity "$T/body")"
ok "/metrics: ward-idsync's last runs, persons, conflicts and waiting accounts, as idsync.db holds them"

# A person with accounts in two or more domains, found four ways.
pid=$(idb "select person_id from links group by person_id
    having count(distinct domain) >= 2 order by person_id limit 1")
[ -n "$pid" ] || fail "no person with accounts in two domains"
sn=$(idb "select sn from persons where id = '$pid'")
sam=$(idb "select a.sam from links l join accounts a using (domain, guid)
    where l.person_id = '$pid' order by a.domain limit 1")
want=$(idb "select a.domain || '\\' || a.sam from links l join accounts a
    using (domain, guid) where l.person_id = '$pid' order by 1" | tr '\n' ' ')
has_person() {	# the reply lists $pid with exactly its accounts
	got=$(j ".persons[] | select(.id == \"$pid\") | [.accounts[] |
	    \"\(.domain)\\\\\(.sam)\"] | sort | join(\" \")")
	[ "$got " = "$want" ] || fail "$1: person $pid: \"$got\", want \"$want\""
}
get 200 "/api/v1/persons?q=$(printf %s "$sn" | jq -sRr @uri)"
has_person "by surname $sn"
get 200 "/api/v1/persons?q=$(printf %s "$sam" | tr a-z A-Z | jq -sRr @uri)"
has_person "by username $sam in capitals"
eid=$(idb "select employee_id from persons where id = '$pid'")
if [ -n "$eid" ]; then
	get 200 "/api/v1/persons?q=$eid"
	has_person "by employee number $eid"
fi
[ "$(j '.persons[0].accounts[0].role')" = primary ] ||
    fail "accounts not primary first"
ok "a person by surname, username (any case) and employee number, with each domain's account"

get 200 "/api/v1/persons/$pid"
[ "$(j .department)" = "$(idb "select ifnull(department, 'null') from persons where id = '$pid'")" ] &&
    [ "$(j .title)" = "$(idb "select ifnull(title, 'null') from persons where id = '$pid'")" ] &&
    [ "$(j .department)" != null ] || fail "department and title: $(cat "$T/body")"
[ "$(j .id)" = "$pid" ] && [ "$(j '.accounts | length')" = \
    "$(idb "select count(*) from links where person_id = '$pid'")" ] ||
    fail "person detail: $(cat "$T/body")"
[ "$(j '.accounts[] | select(.enabled == false) | .sam' | wc -l)" = \
    "$(idb "select count(*) from links l join accounts a using (domain, guid)
    where l.person_id = '$pid' and a.enabled = 0")" ] || fail "enabled flags"
# pwdLastSet 0: the password must be changed at the next logon.
mpid=$(idb "select l.person_id from links l join accounts a using (domain, guid)
    where json_extract(a.attrs, '$.pwdLastSet[0]') = '0' and a.enabled = 1
    order by 1 limit 1")
[ -n "$mpid" ] || fail "no account with pwdLastSet 0"
get 200 "/api/v1/persons/$mpid"
[ "$(j '[.accounts[] | select(.password_must_change) | .sam] | sort | join(" ")')" = \
    "$(idb "select group_concat(sam, ' ') from (select a.sam from links l
    join accounts a using (domain, guid) where l.person_id = '$mpid' and
    json_extract(a.attrs, '$.pwdLastSet[0]') = '0' order by a.sam)")" ] &&
    [ "$(j '[.accounts[] | select(.password_must_change == false)] | length')" = \
    "$(idb "select count(*) from links l join accounts a using (domain, guid)
    where l.person_id = '$mpid' and json_extract(a.attrs, '$.pwdLastSet[0]') <> '0'")" ] ||
    fail "password_must_change: $(cat "$T/body")"
msam=$(idb "select a.domain || '\\' || a.sam from links l join accounts a using (domain, guid)
    where l.person_id = '$mpid' and json_extract(a.attrs, '$.pwdLastSet[0]') = '0'
    and a.enabled = 1 order by 1 limit 1")
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" person "$msam"
printf '%s\n' "$OUT" | grep -qF "  $msam  " &&
    printf '%s\n' "$OUT" | grep -F "  $msam  " | grep -q "enabled, password must change" ||
    fail "person $msam: $OUT"
get 404 /api/v1/persons/no-such-person
ok "one person: accounts and flags (enabled, password must change) as idsync.db holds them; an unknown id is 404"

# Accounts linked to nobody are found too, as unlinked.
usam=$(idb "select a.sam from accounts a where not exists (select 1 from
    links l where l.domain = a.domain and l.guid = a.guid) and a.sam <> ''
    order by a.sam limit 1")
if [ -n "$usam" ]; then
	get 200 "/api/v1/persons?q=$(printf %s "$usam" | jq -sRr @uri)"
	assert_contains "$(j '[.unlinked[].sam] | join(" ")')" "$usam"
	[ "$(j ".unlinked[] | select(.sam == \"$usam\") | .role")" = null ] ||
	    fail "an unlinked account has a role"
fi
get 200 /api/v1/identity/conflicts
[ "$(j .count)" = "$(idb "select count(*) from conflicts")" ] ||
    fail "conflicts: $(j .count)"
if [ "$(j .count)" -gt 0 ]; then
	cid=$(j '.conflicts[0].id')
	[ "$(j '.conflicts[0].accounts | length')" = \
	    "$(idb "select count(*) from conflict_accounts where conflict_id = $cid")" ] ||
	    fail "conflict $cid accounts"
fi
# In the order ward-idsync conflicts lists them.
api=$(j '[.conflicts[].id] | join(" ")')
cli=$("$WARD_IDSYNC" -c "$T/idsync.conf" conflicts --all |
    sed -n 's/^conflict \([0-9]*\) .*/\1/p' | head -200 | paste -sd' ' -)
[ "$api" = "$cli" ] || fail "API order $api, ward-idsync conflicts $cli"
ok "unlinked accounts ($usam) and conflicts ($(j .count)) as idsync.db holds them, in ward-idsync's order"

get 400 "/api/v1/persons"
assert_contains "$(cat "$T/body")" "q: required"
get 400 "/api/v1/persons?q=x"
get 400 "/api/v1/persons?q=smith&limit=0"
get 200 "/api/v1/persons?q=%25%25"
[ "$(j .count)" = 0 ] || fail "q=%% matched as a wildcard"
get 200 "/api/v1/persons?q=x%27%20OR%201%3D1%20--"
[ "$(j .count)" = 0 ] || fail "SQL in q"
get 403 /api/v1/identity/summary "$agent"
ok "bad q refused; % and SQL are text; an agent token may not read identity"

# Read-only: the collector never writes idsync.db, and ward-idsync can
# run while the collector serves it.
before=$(idb "select count(*) from runs")
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run
get 200 /api/v1/identity/summary
[ "$(j .last_run.id)" = $((before + 1)) ] || fail "the new run is not served"
ok "ward-idsync runs while the collector reads; the new run is served"

# A run that fails (a wrong bind password): the last run is no success,
# and the last success stays the run before.
ok_at=$(idb "select finished_ms / 1000.0 from runs where outcome = 'ok' and command = 'run' order by id desc limit 1")
sed 's#^bind_password_file = .*#bind_password_file = '"$T"'/wrong.password#' "$T/idsync.conf" > "$T/wrong.conf"
printf 'not-the-password' > "$T/wrong.password"
chmod 600 "$T/wrong.password"
run 1 "$WARD_IDSYNC" -c "$T/wrong.conf" run
get 200 /metrics
[ "$(metric 'ward_identity_last_run_success{command="run"}')" = 0 ] &&
    awk -v s="$(metric 'ward_identity_last_success_timestamp_seconds{command="run"}')" \
        -v r="$(metric 'ward_identity_last_run_timestamp_seconds{command="run"}')" \
        -v o="$ok_at" 'BEGIN { exit !(s - o < 0.001 && o - s < 0.001 && r > s) }' ||
    fail "after a failed run: $(grep ward_identity_last "$T/body")"
# A run killed, which the next found interrupted (no end of its own).
idb_w() { sqlite3 "$T/idsync.db" "$1"; }
idb_w "INSERT INTO runs (command, started_ms, outcome, forced, message) VALUES ('apply', 1795442585000, 'interrupted', 0, 'killed')" ||
    fail "sqlite3 insert"
get 200 /metrics
[ "$(metric 'ward_identity_last_run_success{command="apply"}')" = 0 ] &&
    [ "$(metric 'ward_identity_last_run_timestamp_seconds{command="apply"}')" = 1795442585 ] ||
    fail "an interrupted apply: $(grep 'command="apply"' "$T/body")"
ok "/metrics after a failed run and an interrupted one: the last run no success, the last success the run before"

# Alerts on ward-idsync's runs: identity_run (one for runs, one for
# applies) while the last that ended did not succeed, restated when a
# later one fails otherwise; identity_stale once no run has succeeded for
# stale_after; each resolved by a success.
stop
start_collector "[identity]
db = $T/idsync.db
stale_after = 4s
[health]
evaluate_interval = 1s"
wdb() { sqlite3 -cmd '.timeout 5000' "$T/ward.db" "$1"; }
# alert_is KEY STATUS [SUMMARY-PART]: waits until KEY's newest alert is.
alert_is() {
	i=0
	until [ "$(wdb "SELECT status FROM alerts WHERE key = '$1' ORDER BY id DESC LIMIT 1")" = "$2" ] &&
	    wdb "SELECT summary FROM alerts WHERE key = '$1' ORDER BY id DESC LIMIT 1" | grep -qF -- "${3:-}"; do
		i=$((i + 1))
		[ $i -lt 300 ] || fail "no $2 $1 alert${3:+ saying \"$3\"}: $(wdb "SELECT key, status, summary FROM alerts WHERE kind LIKE 'identity%'")"
		sleep 0.1
	done
}
# The failed run above, and the interrupted apply inserted after it.
alert_is identity:run open "ward-idsync run "
alert_is identity:run open ") failed: "
alert_is identity:run open "Invalid credentials"
alert_is identity:apply open "was interrupted (killed, or the machine stopped): killed"
[ "$(wdb "SELECT group_concat(kind || ' ' || severity || ' ' || coalesce(host_id, 'none'), ',') FROM alerts WHERE key LIKE 'identity:%'")" = "identity_run warning none,identity_run warning none" ] ||
    fail "identity_run: $(wdb "SELECT * FROM alerts WHERE kind = 'identity_run'")"
get 200 "/api/v1/alerts?status=open"
[ "$(jq -r '[.alerts[] | select(.kind == "identity_run") | .runbook] | unique | join(" ")' "$T/body")" = runbooks/identity_run.md ] ||
    fail "identity_run in /api/v1/alerts: $(cat "$T/body")"
# A run that succeeds ends the runs' alert, not the applies'.
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run
alert_is identity:run resolved
last=$(idb "SELECT max(id) FROM runs")
[ "$(wdb "SELECT e.detail FROM alert_events e JOIN alerts a ON a.id = e.alert_id WHERE a.key = 'identity:run' AND e.event = 'resolved' ORDER BY e.rowid DESC LIMIT 1")" = "ward-idsync run $last succeeded" ] ||
    fail "resolved: $(wdb "SELECT * FROM alert_events")"
sleep 1.5
alert_is identity:apply open "was interrupted"
now_ms=$(($(date +%s) * 1000))
idb_w "INSERT INTO runs (command, started_ms, finished_ms, outcome, forced, message) VALUES ('apply --dry-run', $now_ms, $now_ms, 'ok', 0, 'dry run; nothing written')" ||
    fail "sqlite3 insert"
sleep 1.5
alert_is identity:apply open "was interrupted"
idb_w "INSERT INTO runs (command, started_ms, finished_ms, outcome, forced, message) VALUES ('apply', $now_ms, $now_ms, 'ok', 0, NULL)" ||
    fail "sqlite3 insert"
alert_is identity:apply resolved
# Failed, then stopped at a threshold: one alert, restated.
run 1 "$WARD_IDSYNC" -c "$T/wrong.conf" run
alert_is identity:run open ") failed: "
alert_is identity:run open "Invalid credentials"
sed '/^\[domain "southend"\]/,/^\[/ s/^filter = .*/filter = (\&(objectClass=user)(sAMAccountName=svc-*))/' \
    "$T/idsync.conf" > "$T/narrow.conf"
run 2 "$WARD_IDSYNC" -c "$T/narrow.conf" run
alert_is identity:run open "stopped before changing anything: "
alert_is identity:run open "max_deletes"
[ "$(wdb "SELECT count(*) FROM alert_events e JOIN alerts a ON a.id = e.alert_id WHERE a.key = 'identity:run' AND a.status = 'open' AND e.event IN ('opened', 'restated')")" = 2 ] ||
    fail "not one alert restated: $(wdb "SELECT a.id, e.event, e.detail FROM alert_events e JOIN alerts a ON a.id = e.alert_id WHERE a.key = 'identity:run'")"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run
alert_is identity:run resolved
ok "identity_run: a failed run (saying why), one stopped at a threshold (the same alert, restated) and an interrupted apply, each kept apart; resolved by the next success of its command; a dry run is no apply"

# No run has succeeded for longer than stale_after (4 s): critical, the
# last success named; ended by one.
last=$(idb "SELECT max(id) FROM runs WHERE command = 'run' AND outcome = 'ok'")
alert_is identity:stale open "no ward-idsync run has succeeded for more than 4s: the last did at "
alert_is identity:stale open "(run $last)"
[ "$(wdb "SELECT kind || ' ' || severity FROM alerts WHERE key = 'identity:stale' ORDER BY id DESC LIMIT 1")" = "identity_stale critical" ] ||
    fail "identity_stale is not critical"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run
last=$(idb "SELECT max(id) FROM runs")
i=0
until [ "$(wdb "SELECT count(*) FROM alert_events WHERE event = 'resolved' AND detail = 'ward-idsync run $last succeeded' AND alert_id IN (SELECT id FROM alerts WHERE key = 'identity:stale')")" = 1 ]; do
	i=$((i + 1))
	[ $i -lt 300 ] || fail "identity_stale not resolved by run $last: $(wdb "SELECT * FROM alert_events")"
	sleep 0.1
done
# [identity] db no longer set: nothing is left open.
stop
start_collector "[health]
evaluate_interval = 1s"
i=0
until [ "$(wdb "SELECT count(*) FROM alerts WHERE kind LIKE 'identity%' AND status <> 'resolved'")" = 0 ]; do
	i=$((i + 1))
	[ $i -lt 300 ] || fail "identity alerts left open without [identity] db"
	sleep 0.1
done
ok "identity_stale: critical after stale_after without a success, naming the last; resolved by a run, and by [identity] db going"
