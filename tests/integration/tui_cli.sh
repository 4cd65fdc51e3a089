#!/bin/sh
# tui_cli.sh: ward's helpdesk commands against a real ward-collector over
# HTTPS: what each prints and its exit status, --json, columns cut to the
# width, hostile names escaped, near matches for a typo, and one clear line
# for a wrong token, a collector that is down, a certificate that does not
# verify, a missing token; alerts and acknowledgement when the collector
# keeps alerts, "not available on this collector" when it does not; status
# and its exit code, asset by any name, end of life, CSV, and person:
# one line and exit 69 while the collector has no identity database, then
# each person's account in every domain from the idsync.db the real
# ward-idsync made from three slapd directories.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/idsync_db.sh"
require_cmd curl
require_cmd jq
require_cmd python3
idsync_db_require
make_test_ca

# Alerts light up when this collector has the health engine.
if "$WARD_COLLECTOR" --config-reference=markdown | grep -q max_attempts; then
	health='[health]
max_attempts = 1
evaluate_interval = 1s'
else
	health=
fi
# And end of life when it tracks it: the shipped catalogue and mapping.
if "$WARD_COLLECTOR" --config-reference=markdown | grep -q horizon; then
	eol=yes
	health="$health
[eol]
mapping = $top_srcdir/data/eol-mapping
snapshot = $top_srcdir/data/eol-snapshot.json"
else
	eol=
fi
collector_conf "$T/collector.conf" 1
agent=$("$WARD_COLLECTOR" -c "$T/collector.conf" token add --role agent --name agents 2>/dev/null)
"$WARD_COLLECTOR" -c "$T/collector.conf" token add --role read --name helpdesk > "$T/read.token" 2>/dev/null
"$WARD_COLLECTOR" -c "$T/collector.conf" token add --role operate --name ops > "$T/operate.token" 2>/dev/null
chmod 600 "$T/read.token" "$T/operate.token"
[ -n "$agent" ] && [ -s "$T/read.token" ] || fail "token add failed"
start_collector "" "$health"

post() {
	code=$(curl -sS --cacert "$T/ca.crt" -o "$T/reply" -w '%{http_code}' \
	    -H "Authorization: Bearer $agent" -H 'Content-Type: application/json' \
	    --data-binary @"$1" "$URL/api/v1/reports" 2>/dev/null || echo 000)
	[ "$code" = 200 ] || fail "reports refused ($code): $(cat "$T/reply")"
}
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }

# The estate: nine servers in three datacentres, one with a failing check,
# one switch, a host in no datacentre, one named with terminal escapes.
now=$(date +%s)
{
	printf '['
	for i in 1 2 3 4 5 6 7 8 9; do
		case $((i % 3)) in
		0) dc=basildon ;; 1) dc=southend ;; 2) dc=orsett ;;
		esac
		st=0 out="NTP OK: offset 0.001"
		[ $i = 4 ] && st=2 out="NTP CRITICAL: no sync"
		printf '{"schema":1,"agent":{"id":"agent-srv-0%d"},"seq":1,"ts":"%s","host":{"name":"srv-0%d","fqdn":"srv-0%d.btuh.test","datacentre":"%s","kind":"server","vendor":"Dell Inc.","model":"PowerEdge R640","serial":"SN0%d","addresses":["10.9.0.%d"],"os":{"id":"rhel","version_id":"7.9","pretty_name":"Red Hat Enterprise Linux Server 7.9 (Maipo)"},"uptime_s":864000},"metrics":[{"name":"cpu.util","value":12.5,"unit":"percent"}],"checks":[{"name":"ntp","status":%d,"output":"%s"},{"name":"disk","status":0,"output":"DISK OK"}]},' \
		    $i "$(iso "$now")" $i $i $dc $i $i $st "$out"
	done
	printf '{"schema":1,"agent":{"id":"sw-bas-core1"},"seq":1,"ts":"%s","host":{"name":"bas-core1","datacentre":"basildon","kind":"switch"}},' "$(iso "$now")"
	printf '{"schema":1,"agent":{"id":"lonely-1"},"seq":1,"ts":"%s","host":{"name":"lonely"}},' "$(iso "$now")"
	printf '{"schema":1,"agent":{"id":"evil-1"},"seq":1,"ts":"%s","host":{"name":"evil\\u001b[2J\\u001b]0;owned\\u0007","datacentre":"orsett"}}' "$(iso "$now")"
	printf ']'
} > "$T/estate.json"
post "$T/estate.json"

WARD_URL=$URL
WARD_CA_FILE=$T/ca.crt
WARD_TOKEN_FILE=$T/read.token
TZ=UTC
LC_ALL=C.UTF-8
export WARD_URL WARD_CA_FILE WARD_TOKEN_FILE TZ LC_ALL
unset COLUMNS NO_COLOR
ESC=$(printf '\033')

# --- ward host: the helpdesk's answer
run 0 "$WARD_TUI" host srv-04
for want in "name:          srv-04" "state:         UP" \
    "datacentre:    southend" "fqdn:          srv-04.btuh.test" \
    "addresses:     10.9.0.4" "model:         PowerEdge R640" \
    "serial:        SN04" "os:            Red Hat Enterprise Linux Server 7.9 (Maipo)" \
    "uptime:        10d 0h" "last report:   $(date -u -d "@$now" '+%Y-%m-%d %H:%M:%S') UTC" \
    "agent id:      agent-srv-04" "checks:        1 of 2 failing" \
    "CRITICAL  ntp    NTP CRITICAL: no sync"; do
	assert_contains "$OUT" "$want"
done
assert_not_contains "$OUT" "DISK OK"
assert_not_contains "$OUT" "$ESC"
run 0 "$WARD_TUI" host SRV-01.BTUH.TEST
assert_contains "$OUT" "checks:        all 2 OK"
run 0 "$WARD_TUI" host sw-bas-core1
assert_contains "$OUT" "name:          bas-core1"
ok "host: state, where, what, last report, the failing check; by FQDN and agent id"

run 3 "$WARD_TUI" host srv-4
assert_contains "$OUT" 'no host is called "srv-4"'
assert_contains "$OUT" "did you mean: srv-01 (southend), srv-02 (orsett)"
assert_contains "$OUT" "srv-04 (southend)"
run 3 "$WARD_TUI" host "nothing-like-it"
assert_not_contains "$OUT" "did you mean"
run 3 "$WARD_TUI" host "$(printf 'no\033[2Jpe')"
assert_contains "$OUT" 'no host is called "no\x1b[2Jpe"'
assert_not_contains "$OUT" 'x5c'
assert_not_contains "$OUT" "$ESC"
# "." and ".." are names, not the path's own; an empty one is no name.
run 3 "$WARD_TUI" host ..
assert_contains "$OUT" 'no host is called ".."'
run 3 "$WARD_TUI" host .
assert_contains "$OUT" 'no host is called "."'
run 2 "$WARD_TUI" host ''
assert_contains "$OUT" "the host's name is empty"
run 2 "$WARD_TUI" asset ''
assert_contains "$OUT" "the query is empty"
ok "host: unknown names exit 3 with near matches, escaped; '.', '..' are names, '' a usage error"

run 0 "$WARD_TUI" host --json srv-04
printf '%s\n' "$OUT" > "$T/host.json"
[ "$(jq -r .agent_id "$T/host.json")" = agent-srv-04 ] || fail "--json: $OUT"
[ "$(jq -r '.checks | length' "$T/host.json")" = 2 ] || fail "--json checks"
run 0 "$WARD_TUI" --json host srv-04
printf '%s\n' "$OUT" | jq -e '.name == "srv-04"' > /dev/null || fail "global --json"
ok "host --json: the API's JSON"

# --- ward hosts
run 0 "$WARD_TUI" hosts
printf '%s\n' "$OUT" > "$T/hosts.txt"
[ "$(wc -l < "$T/hosts.txt")" = 13 ] || fail "hosts: $(wc -l < "$T/hosts.txt") lines: $OUT"
head -1 "$T/hosts.txt" | grep -q '^NAME  *STATE  *DATACENTRE  *KIND  *ADDRESS  *LAST REPORT  *OS$' ||
    fail "hosts header: $(head -1 "$T/hosts.txt")"
grep -q '^srv-05  *UP  *orsett  *server  *10\.9\.0\.5  *[0-9]*s  *Red Hat' "$T/hosts.txt" ||
    fail "hosts row: $OUT"
grep -q '^lonely  *UP  *-  ' "$T/hosts.txt" || fail "no datacentre shows -: $OUT"
assert_contains "$OUT" 'evil\x1b[2J\x1b]0;owned\x07'
assert_not_contains "$OUT" "$ESC"
# Columns line up: STATE starts at the same place on every line.
awk '{ print index($0, " UP ") ? index($0, " UP ") : index($0, " STATE ") }' \
    "$T/hosts.txt" | sort -u > "$T/cols"
[ "$(wc -l < "$T/cols")" = 1 ] || fail "columns not aligned: $OUT"
ok "hosts: aligned columns, every host, escapes shown escaped"

COLUMNS=50 run 0 "$WARD_TUI" hosts
[ "$(printf '%s\n' "$OUT" | wc -L)" -le 50 ] ||
    fail "COLUMNS=50: a line is wider than 50: $OUT"
assert_not_contains "$OUT" "Red Hat"
assert_contains "$OUT" "srv-04"
assert_contains "$OUT" "STATE"
COLUMNS=30 run 0 "$WARD_TUI" hosts
[ "$(printf '%s\n' "$OUT" | wc -L)" -le 30 ] ||
    fail "COLUMNS=30: a line is wider than 30: $OUT"
ok "hosts: cut to the terminal width (the OS goes first)"

run 0 "$WARD_TUI" hosts --datacentre basildon
[ "$(printf '%s\n' "$OUT" | wc -l)" = 5 ] || fail "--datacentre basildon: $OUT"
assert_contains "$OUT" bas-core1
run 0 "$WARD_TUI" hosts --datacentre basildon --kind switch
[ "$(printf '%s\n' "$OUT" | wc -l)" = 2 ] || fail "--kind switch: $OUT"
run 0 "$WARD_TUI" hosts --datacentre ''
[ "$(printf '%s\n' "$OUT" | tail -n +2 | awk '{print $1}')" = lonely ] ||
    fail "--datacentre '': $OUT"
run 0 "$WARD_TUI" hosts sn07
[ "$(printf '%s\n' "$OUT" | tail -n +2 | awk '{print $1}')" = srv-07 ] ||
    fail "hosts QUERY by serial: $OUT"
run 0 "$WARD_TUI" hosts --state STALE
[ -z "$OUT" ] || fail "no stale hosts: $OUT"
run 2 "$WARD_TUI" hosts --state SIDEWAYS
assert_contains "$OUT" "state: not a host state"
run 2 "$WARD_TUI" hosts --colour
assert_contains "$OUT" "unknown option --colour"
run 2 "$WARD_TUI" hosts --limit 0
run 0 "$WARD_TUI" hosts --json --limit 3
printf '%s\n' "$OUT" | jq -e '(.hosts | length) == 3 and .total == 12 and (.next | type) == "string"' \
    > /dev/null || fail "hosts --json --limit 3: $OUT"
run 0 "$WARD_TUI" hosts --json
printf '%s\n' "$OUT" | jq -e '(.hosts | length) == 12 and .next == null' > /dev/null ||
    fail "hosts --json: $OUT"
ok "hosts: filters, text query, bad state (exit 2), --json with --limit"

# Every page is followed: more hosts than one page holds (delivered 275
# to a body, within the collector's limit).
i=1
while [ $i -le 1100 ]; do
	{
		printf '['
		j=0
		while [ $j -lt 275 ]; do
			[ $j -gt 0 ] && printf ','
			printf '{"schema":1,"agent":{"id":"bulk-%04d"},"seq":1,"ts":"%s","host":{"name":"bulk-%04d","datacentre":"thurrock"}}' \
			    $i "$(iso "$now")" $i
			i=$((i + 1))
			j=$((j + 1))
		done
		printf ']'
	} > "$T/bulk.json"
	post "$T/bulk.json"
done
run 0 "$WARD_TUI" hosts --datacentre thurrock
[ "$(printf '%s\n' "$OUT" | grep -c '^bulk-')" = 1100 ] || fail "paging: $(printf '%s\n' "$OUT" | grep -c '^bulk-') hosts"
[ "$(printf '%s\n' "$OUT" | grep '^bulk-' | sort -u | wc -l)" = 1100 ] || fail "a host twice"
ok "hosts: 1100 hosts over two pages, each once"

# --- ward search
run 0 "$WARD_TUI" search srv-0
[ "$(printf '%s\n' "$OUT" | sed -n 2p | awk '{print $1}')" = srv-01 ] || fail "search: $OUT"
run 0 "$WARD_TUI" search 10.9.0.7
assert_contains "$OUT" "srv-07"
assert_contains "$OUT" "address"
run 0 "$WARD_TUI" search Red Hat
[ "$(printf '%s\n' "$OUT" | grep -c '^srv-')" = 9 ] || fail "search words: $OUT"
run 3 "$WARD_TUI" search zzz-nothing
assert_contains "$OUT" 'nothing matches "zzz-nothing"'
run 0 "$WARD_TUI" search --json srv-03
printf '%s\n' "$OUT" | jq -e '.results[0].name == "srv-03"' > /dev/null || fail "search --json"
ok "search: best first, by address, several words; nothing found exits 3"

# --- ward dc
run 0 "$WARD_TUI" dc
printf '%s\n' "$OUT" | head -1 | grep -q '^DATACENTRE  HOSTS  *UP .*STALE  *.*WORST  *LAST REPORT  *KINDS$' ||
    fail "dc header: $OUT"
printf '%s\n' "$OUT" | grep -q '^basildon  *4  *4 ' || fail "dc basildon: $OUT"
printf '%s\n' "$OUT" | grep -q '^(none)  *1  *1 ' || fail "dc unassigned: $OUT"
printf '%s\n' "$OUT" | grep -q 'server 3, switch 1' || fail "dc kinds: $OUT"
run 0 "$WARD_TUI" dc basildon
assert_contains "$OUT" "datacentre:    basildon"
assert_contains "$OUT" "hosts:         4"
assert_contains "$OUT" "worst state:   UP"
run 0 "$WARD_TUI" dc '(none)'
assert_contains "$OUT" "hosts:         1"
run 3 "$WARD_TUI" dc atlantis
assert_contains "$OUT" 'no hosts report datacentre "atlantis"'
assert_contains "$OUT" "the datacentres are: basildon, orsett, southend, thurrock"
run 0 "$WARD_TUI" dc --json
printf '%s\n' "$OUT" | jq -e '.hosts == 1112' > /dev/null || fail "dc --json: $OUT"
ok "dc: every datacentre by state, one datacentre, an unknown one exits 3"

# --- CSV for the lists: every column, times as ISO-8601, absent as empty
run 0 "$WARD_TUI" hosts --csv --datacentre southend
printf '%s\n' "$OUT" > "$T/hosts.csv"
[ "$(head -1 "$T/hosts.csv")" = "NAME,STATE,DATACENTRE,KIND,ADDRESS,LAST REPORT,OS" ] ||
    fail "csv header: $OUT"
grep -qx "srv-04,UP,southend,server,10.9.0.4,$(iso "$now"),Red Hat Enterprise Linux Server 7.9 (Maipo)" \
    "$T/hosts.csv" || fail "csv row: $OUT"
COLUMNS=30 run 0 "$WARD_TUI" --csv hosts
assert_contains "$OUT" "Red Hat Enterprise Linux Server 7.9 (Maipo)"
assert_contains "$OUT" 'evil\x1b[2J\x1b]0;owned\x07'
assert_not_contains "$OUT" "$ESC"
printf '%s\n' "$OUT" | python3 -c '
import csv, sys
rows = list(csv.reader(sys.stdin))
assert len(rows) == 1 + 1112, len(rows)
assert all(len(r) == 7 for r in rows), [r for r in rows if len(r) != 7][:3]
lonely = [r for r in rows if r[0] == "lonely"][0]
assert lonely[2] == "" and lonely[4] == "", lonely
' || fail "hosts --csv does not parse as 7 columns: $(printf '%s\n' "$OUT" | head -5)"
# A name a spreadsheet would run as a formula is written after a '.
printf '[{"schema":1,"agent":{"id":"formula-1"},"seq":1,"ts":"%s","host":{"name":"=HYPERLINK(\\"http://x.test\\",\\"ok\\")","datacentre":"orsett"}}]' \
    "$(iso "$now")" > "$T/formula.json"
post "$T/formula.json"
run 0 "$WARD_TUI" hosts --csv --datacentre orsett
assert_contains "$OUT" "\"'=HYPERLINK(\"\"http://x.test\"\",\"\"ok\"\")\",UP,orsett"
printf '%s\n' "$OUT" | python3 -c '
import csv, sys
rows = list(csv.reader(sys.stdin))
assert all(len(r) == 7 for r in rows), rows
assert not any(r[0].startswith("=") for r in rows), rows
' || fail "a formula cell: $OUT"
run 0 "$WARD_TUI" dc --csv
printf '%s\n' "$OUT" | grep -q '^DATACENTRE,HOSTS,UP,.*,WORST,LAST REPORT,KINDS$' || fail "dc --csv: $OUT"
printf '%s\n' "$OUT" | grep -q '^basildon,4,4,.*,"server 3, switch 1"$' ||
    fail "dc --csv quoting: $OUT"
run 0 "$WARD_TUI" search --csv srv-03
[ "$(printf '%s\n' "$OUT" | sed -n 2p | cut -d, -f1-3)" = "srv-03,UP,basildon" ] || fail "search --csv: $OUT"
run 2 "$WARD_TUI" host --csv srv-01
assert_contains "$OUT" "--csv is for lists"
run 2 "$WARD_TUI" --csv host srv-01
run 2 "$WARD_TUI" hosts --csv --json
assert_contains "$OUT" "choose one"
ok "--csv: header and every column, quoted where needed, ISO times, escapes kept; refused for one thing and with --json"

# --- person: a collector without ward-idsync's database says so
run 69 "$WARD_TUI" person whitfield
assert_contains "$OUT" "ward: person: not served by the collector at $URL: identity: not configured (set [identity] db"
[ "$(printf '%s\n' "$OUT" | wc -l)" = 1 ] || fail "person: more than one line: $OUT"
run 2 "$WARD_TUI" person
assert_contains "$OUT" "say whom"
run 2 "$WARD_TUI" person w
assert_contains "$OUT" "2 to 255 bytes"
run 2 "$WARD_TUI" person --id x whitfield
kill "$COLLECTOR_PID"
wait "$COLLECTOR_PID" 2>/dev/null || true
collector_conf "$T/collector.conf" "$PORT" "" "$health
[identity]
db = $T/idsync.db"
restart_collector
run 69 "$WARD_TUI" person whitfield
assert_contains "$OUT" "identity: no ward-idsync database yet"
[ "$(printf '%s\n' "$OUT" | wc -l)" = 1 ] || fail "person: more than one line: $OUT"
ok "person: no [identity] db, or no database yet: one line saying which, exit 69"

# The real ward-idsync over three directories of generated staff, and
# one account whose names carry terminal escapes.
idsync_db_hostile "$T/hostile.ldif"
idsync_db_make "$T/idsync.db" 120 "$T/hostile.ldif"
# sam_of PERSON DOMAIN [KIND]: that account's username, from the truth.
sam_of() {
	awk -F, -v p="$1" -v d="$2" -v k="${3:-person}" \
	    '$4 == p && $1 == d && $5 == k { print $3 }' "$T/truth.csv"
}
btuh_h01=$(sam_of H01 btuh)
meht_h01=$(sam_of H01 meht)
[ -n "$btuh_h01" ] && [ -n "$meht_h01" ] || fail "no H01 in the truth"
COLUMNS=200 run 0 "$WARD_TUI" person Whitfield
printf '%s\n' "$OUT" > "$T/whitfield.txt"
assert_contains "$OUT" "Jonathon Whitfield  employee E7000101  active  id "
for acct in "btuh[\\]$btuh_h01 .* enabled  *never  *primary  *person " \
    "meht[\\]$meht_h01 .* enabled  *never  *primary  *person " \
    "btuh[\\]adm-jwhitfield .* enabled  .*secondary  *admin "; do
	grep -q "^  $acct" "$T/whitfield.txt" || fail "person Whitfield: no $acct: $OUT"
done
[ "$(grep -c '^  [a-z]*\\' "$T/whitfield.txt")" = 3 ] || fail "person Whitfield: not 3 accounts: $OUT"
assert_not_contains "$OUT" "x5c"
ok "person by surname: the person, each domain's account, primary and the admin account secondary"

COLUMNS=200 run 0 "$WARD_TUI" person "$meht_h01"
assert_contains "$OUT" "Jonathon Whitfield  employee E7000101  active"
COLUMNS=200 run 0 "$WARD_TUI" person E7000101
assert_contains "$OUT" "Jonathon Whitfield  employee E7000101  active"
ok "person by another domain's username, and by employee number: the same person"

COLUMNS=200 run 0 "$WARD_TUI" person thackeray
assert_contains "$OUT" "Gillian Thackeray  employee E7000114  leaver"
printf '%s\n' "$OUT" | grep -q "^  btuh[\\]$(sam_of H14 btuh)  .* disabled  " ||
    fail "person thackeray: the btuh account not disabled: $OUT"
assert_not_contains "$OUT" " enabled "
ok "person: a leaver's disabled accounts shown as disabled"

# pwdLastSet 0 on an enabled account: the helpdesk sees why the next
# logon asks for a new password.
must=$(sqlite3 "$T/idsync.db" "select a.sam from links l join accounts a using (domain, guid)
    where json_extract(a.attrs, '$.pwdLastSet[0]') = '0' and a.enabled = 1
    and (a.expires_ms is null or a.expires_ms <= 0 or a.expires_ms > 4000000000000)
    order by a.sam limit 1")
[ -n "$must" ] || fail "no enabled account with pwdLastSet 0"
COLUMNS=200 run 0 "$WARD_TUI" person "$must"
printf '%s\n' "$OUT" | grep "[\\]$must " | grep -q " must change password " ||
    fail "person $must: $OUT"

COLUMNS=200 run 0 "$WARD_TUI" person nurses
assert_contains "$OUT" "Accounts linked to no person"
printf '%s\n' "$OUT" | grep -q '^  btuh\\ward7.nurses  .*  shared ' || fail "unlinked btuh: $OUT"
printf '%s\n' "$OUT" | grep -q '^  meht\\ward-7-nurses  .*  shared ' || fail "unlinked meht: $OUT"
assert_not_contains "$OUT" "employee"
ok "person: matching accounts linked to nobody, listed as such"

run 0 "$WARD_TUI" person --json whitfield
printf '%s\n' "$OUT" > "$T/person.json"
jq -e '.persons[0].display_name == "Jonathon Whitfield" and
    (.persons[0].accounts | length) == 3 and .q == "whitfield"' \
    "$T/person.json" > /dev/null || fail "person --json: $OUT"
pid=$(jq -r '.persons[0].id' "$T/person.json")
run 0 "$WARD_TUI" person --csv whitfield
[ "$(printf '%s\n' "$OUT" | head -1)" = "PERSON ID,PERSON,EMPLOYEE,STATUS,DOMAIN,USERNAME,UPN,MAIL,STATE,EXPIRES,ROLE,KIND,NAME,LINKED BY" ] ||
    fail "person --csv header: $OUT"
printf '%s\n' "$OUT" | grep -q "^$pid,Jonathon Whitfield,E7000101,active,meht,$meht_h01," ||
    fail "person --csv row: $OUT"
[ "$(printf '%s\n' "$OUT" | wc -l)" = 4 ] || fail "person --csv: not 3 rows: $OUT"
ok "person --json: the API's JSON; --csv: a record an account with its person"

COLUMNS=200 run 0 "$WARD_TUI" person --id "$pid"
dept=$(sqlite3 "$T/idsync.db" "select department from persons where id = '$pid'")
title=$(sqlite3 "$T/idsync.db" "select title from persons where id = '$pid'")
[ -n "$dept" ] && [ -n "$title" ] || fail "Whitfield has no department or title"
for want in "name:          Jonathon Whitfield" "employee:      E7000101" \
    "title:         $title" "department:    $dept" \
    "status:        active" "id:            $pid" "accounts:" \
    "conflicts:     none"; do
	assert_contains "$OUT" "$want"
done
printf '%s\n' "$OUT" | grep -q "^  btuh[\\]adm-jwhitfield .* secondary " || fail "person --id: $OUT"
# Kerridge's two accounts are a conflict for a person to decide.
kid=$("$WARD_TUI" person --json kerridge | jq -r '.persons[0].id')
COLUMNS=200 run 0 "$WARD_TUI" person --id "$kid"
assert_contains "$OUT" "conflicts:"
printf '%s\n' "$OUT" | grep -q "^  #[0-9]*  review  .*kerridge" || fail "person --id conflicts: $OUT"
assert_contains "$OUT" "meht\\$(sam_of H13 meht)"
COLUMNS=200 run 0 "$WARD_TUI" person zzhostile
assert_contains "$OUT" 'Eve Zzhostile\x1b[2J\x1b]0;owned\x07  employee E7999999'
assert_contains "$OUT" 'btuh\zzhostile\x1b[31m '
assert_not_contains "$OUT" "$ESC"
assert_not_contains "$OUT" 'x5c'
ok "person: names with terminal escapes shown escaped, the account's backslash kept"
run 3 "$WARD_TUI" person --id no-such-person
run 3 "$WARD_TUI" person zzqqy
assert_contains "$OUT" 'no person or account matches "zzqqy"'
ok "person --id: one person with their conflicts; nobody found exits 3"

# search finds people too once the collector serves identity: after the
# hosts, each with their accounts; --json carries them as "persons".
COLUMNS=200 run 0 "$WARD_TUI" search Whitfield
assert_contains "$OUT" "Jonathon Whitfield"
assert_contains "$(printf '%s\n' "$OUT" | grep 'Jonathon Whitfield')" "person"
assert_contains "$(printf '%s\n' "$OUT" | grep 'Jonathon Whitfield')" "btuh\\$btuh_h01"
run 0 "$WARD_TUI" --json search Whitfield
[ "$(printf '%s\n' "$OUT" | jq -r '.persons[0].display_name')" = \
    "Jonathon Whitfield" ] || fail "search --json persons: $OUT"
run 3 "$WARD_TUI" search zzqqy
ok "search: people by name after the hosts, with their accounts"

# --- asset and eol, when the collector tracks end of life
if [ -n "$eol" ]; then
	day() { date -u -d "$1" +%Y-%m-%d; }
	printf 'vendor,model,end_of_sale,end_of_sw_maintenance,end_of_security_support,last_date_of_support,source\nDell,PowerEdge R640,,,,%s,test: 100 days left\n' \
	    "$(day '+100 days')" > "$T/hw.csv"
	"$WARD_COLLECTOR" -c "$T/collector.conf" eol import-hardware "$T/hw.csv" > /dev/null 2>&1 ||
	    fail "import-hardware failed"
	printf '[{"schema":1,"agent":{"id":"agent-deb01"},"seq":1,"ts":"%s","host":{"name":"eol-deb01","datacentre":"basildon","kind":"server","vendor":"Dell Inc.","model":"PowerEdge R640","serial":"DEBSN1","addresses":["10.9.1.1"],"os":{"id":"debian","version_id":"13","pretty_name":"Debian GNU/Linux 13 (trixie)"}}}]' \
	    "$(iso "$now")" > "$T/deb.json"
	post "$T/deb.json"

	run 0 "$WARD_TUI" asset DEBSN1
	for want in "name:          eol-deb01" "found by:      serial" \
	    "what:          server, Dell Inc. PowerEdge R640" \
	    "datacentre:    basildon" "addresses:     10.9.1.1" "state:         UP" \
	    "os:            Debian GNU/Linux 13 (trixie)" "lifecycle:     ending" \
	    "end of life:   $(day '+100 days') (in 100 days), of its hardware" \
	    "os/firmware:   supported" "hardware:      ending" \
	    "  what:        Dell PowerEdge R640"; do
		assert_contains "$OUT" "$want"
	done
	run 0 "$WARD_TUI" asset srv-04
	assert_contains "$OUT" "lifecycle:     extended"
	assert_contains "$OUT" "of its software"
	assert_contains "$OUT" "os/firmware:   extended"
	assert_not_contains "$OUT" "found by"
	run 0 "$WARD_TUI" asset 10.9.0.7
	assert_contains "$OUT" "name:          srv-07"
	assert_contains "$OUT" "found by:      address"
	run 4 "$WARD_TUI" asset srv-0
	assert_contains "$OUT" "things match \"srv-0\""
	assert_contains "$OUT" "srv-05"
	run 3 "$WARD_TUI" asset zzz-nothing
	assert_contains "$OUT" 'nothing is called or matches "zzz-nothing"'
	run 0 "$WARD_TUI" asset --json DEBSN1
	printf '%s\n' "$OUT" | jq -e '.host.name == "eol-deb01" and
	    .host.lifecycle.status == "ending" and .host.matched_by == "serial"
	    and (.alerts | type) != "string"' > /dev/null || fail "asset --json: $OUT"
	ok "asset: by serial, name, address: what, where, state, lifecycle of OS and hardware; several exit 4, none 3"

	run 0 "$WARD_TUI" eol
	printf '%s\n' "$OUT" | head -1 | grep -q '^NAME  *STATUS  *END OF LIFE  *DAYS  *OF  *PRODUCT  *DATACENTRE$' ||
	    fail "eol header: $OUT"
	# The most overdue first, the undated last.
	[ "$(printf '%s\n' "$OUT" | sed -n 2p | awk '{print $1, $2}')" = "srv-01 extended" ] ||
	    fail "eol order: $OUT"
	printf '%s\n' "$OUT" | grep -q "^eol-deb01  *ending  *$(day '+100 days')  *100  *hardware  *Dell PowerEdge R640" ||
	    fail "eol row: $OUT"
	run 0 "$WARD_TUI" eol --within 200
	[ "$(printf '%s\n' "$OUT" | tail -n +2 | awk '{print $1}')" = eol-deb01 ] ||
	    fail "eol --within 200: $OUT"
	run 0 "$WARD_TUI" eol --within 50
	[ -z "$OUT" ] || fail "eol --within 50: $OUT"
	run 0 "$WARD_TUI" eol --csv --within 200
	[ "$(printf '%s\n' "$OUT" | sed -n 2p)" = "eol-deb01,ending,$(day '+100 days'),100,hardware,Dell PowerEdge R640,basildon" ] ||
	    fail "eol --csv: $OUT"
	run 0 "$WARD_TUI" eol --json --within 200
	printf '%s\n' "$OUT" | jq -e '.total == 1 and .assets[0].name == "eol-deb01"' > /dev/null ||
	    fail "eol --json: $OUT"
	run 2 "$WARD_TUI" eol --within soon
	assert_contains "$OUT" "--within"
	ok "eol: soonest end first, --within DAYS, --csv, --json; a bad --within exits 2"
else
	run 69 "$WARD_TUI" eol
	assert_contains "$OUT" "not available on this collector"
	ok "eol: not available on this collector (exit 69)"
fi

# --- alerts, when the collector keeps them
if [ -n "$health" ]; then
	# A check seen CRITICAL is an alert once the engine has run.
	i=0
	while :; do
		run 0 "$WARD_TUI" alerts
		case $OUT in *srv-04*) break ;; esac
		i=$((i + 1))
		[ $i -lt 50 ] || fail "no alert for srv-04: $OUT"
		sleep 0.2
	done
	printf '%s\n' "$OUT" | head -1 | grep -q '^ID  SEVERITY  STATUS  HOST' || fail "alerts header: $OUT"
	assert_contains "$OUT" "critical  open"
	assert_contains "$OUT" "NTP CRITICAL: no sync"
	id=$(printf '%s\n' "$OUT" | awk '/srv-04/ { print $1; exit }')
	run 0 "$WARD_TUI" alert "$id"
	assert_contains "$OUT" "status:        open"
	assert_contains "$OUT" "runbook:       runbooks/"
	run 0 "$WARD_TUI" host srv-04
	assert_contains "$OUT" "open alerts:   1"
	run 7 "$WARD_TUI" ack "$id"
	assert_contains "$OUT" "the token may not do this"
	assert_contains "$OUT" "operate"
	WARD_TOKEN_FILE=$T/operate.token run 0 "$WARD_TUI" ack "$id" --comment "on it"
	[ "$OUT" = "alert $id acknowledged by ops" ] || fail "ack: $OUT"
	WARD_TOKEN_FILE=$T/operate.token run 4 "$WARD_TUI" ack "$id"
	assert_contains "$OUT" "already acknowledged"
	run 0 "$WARD_TUI" alert "$id"
	assert_contains "$OUT" "acknowledged:  by ops"
	assert_contains "$OUT" "comment:       on it"
	run 0 "$WARD_TUI" alerts --json
	printf '%s\n' "$OUT" | jq -e ".alerts[0].status == \"acknowledged\"" > /dev/null ||
	    fail "alerts --json: $OUT"
	run 0 "$WARD_TUI" alerts --severity warning
	[ -z "$OUT" ] || fail "no warnings: $OUT"
	run 3 "$WARD_TUI" alert 999999
	assert_contains "$OUT" "no alert 999999"
	run 0 "$WARD_TUI" dc southend
	assert_contains "$OUT" "health:        critical"
	assert_contains "$OUT" "critical 1"
	run 2 "$WARD_TUI" --readonly ack "$id"
	assert_contains "$OUT" "--readonly"
	ok "alerts: listed, one shown, acknowledged with operate (read: 403, exit 7; twice: exit 4; --readonly: 2)"

	# A live critical alert: status says so and exits 8.
	run 8 "$WARD_TUI" status
	printf '%s\n' "$OUT" | head -1 | grep -q '^DATACENTRE  *HEALTH  *HOSTS  *UP .* DOWN  *CRITICAL  *WARNING$' ||
	    fail "status header: $OUT"
	printf '%s\n' "$OUT" | grep -q '^southend  *critical  *3  *3 .* 1  *0$' || fail "status southend: $OUT"
	printf '%s\n' "$OUT" | grep -q '^orsett  *ok  ' || fail "status orsett: $OUT"
	printf '%s\n' "$OUT" | grep -q '^(none)  *ok  *1  *1 ' || fail "status (none): $OUT"
	[ "$(printf '%s\n' "$OUT" | wc -l)" = 6 ] || fail "status: a line per datacentre: $OUT"
	run 8 "$WARD_TUI" status --json
	printf '%s\n' "$OUT" | jq -e '.critical == true and ([.datacentres[] |
	    select(.health == "critical")] | length) == 1' > /dev/null || fail "status --json: $OUT"
	run 8 "$WARD_TUI" status --csv
	printf '%s\n' "$OUT" | grep -q '^southend,critical,3,3,' || fail "status --csv: $OUT"
	ok "status: a line per datacentre with its health; exit 8 while a critical alert is live"
else
	run 69 "$WARD_TUI" alerts
	assert_contains "$OUT" "alerts: not available on this collector"
	run 69 "$WARD_TUI" ack 1
	run 0 "$WARD_TUI" host srv-04
	assert_not_contains "$OUT" "open alerts"
	run 0 "$WARD_TUI" dc basildon
	assert_contains "$OUT" "health:        not available on this collector"
	run 0 "$WARD_TUI" status
	assert_contains "$OUT" "health judged by host states alone"
	ok "alerts: not available on this collector (exit 69); host, dc and status without them"
fi
run 2 "$WARD_TUI" ack twelve
assert_contains "$OUT" '"twelve" is not an alert id'

# --- errors: one clear line and a distinct status each
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/other.key" -out "$T/other.crt" -subj "/CN=another CA" \
    -days 2 2>/dev/null
echo ward_not_a_real_token > "$T/bad.token"
chmod 600 "$T/bad.token"
WARD_TOKEN_FILE=$T/bad.token run 7 "$WARD_TUI" dc
assert_contains "$OUT" "refused the token"
assert_not_contains "$OUT" ward_not_a_real_token
run 7 "$WARD_TUI" --token-file "$T/bad.token" hosts
chmod 644 "$T/bad.token"
WARD_TOKEN_FILE=$T/bad.token run 1 "$WARD_TUI" dc
assert_contains "$OUT" "readable by group or others"
: > "$T/empty.conf"
WARD_TOKEN_FILE= run 1 "$WARD_TUI" -c "$T/empty.conf" dc
assert_contains "$OUT" "no token"
WARD_URL= run 1 "$WARD_TUI" -c "$T/empty.conf" dc
assert_contains "$OUT" "no collector URL"
printf '[collector]\nurl = %s\nca_file = ca.crt\ntoken_file = read.token\n' \
    "$URL" > "$T/ward.conf"
WARD_URL= WARD_CA_FILE= WARD_TOKEN_FILE= run 0 "$WARD_TUI" -c "$T/ward.conf" host srv-01
assert_contains "$OUT" "name:          srv-01"
WARD_CA_FILE=$T/other.crt run 6 "$WARD_TUI" -c "$T/ward.conf" host srv-01
WARD_URL=http://127.0.0.1:$PORT run 1 "$WARD_TUI" dc
assert_contains "$OUT" "use https://"
WARD_CA_FILE=$T/other.crt run 6 "$WARD_TUI" dc
assert_contains "$OUT" "failed TLS verification"
WARD_URL=https://localhost:$PORT run 6 "$WARD_TUI" hosts
assert_contains "$OUT" "failed TLS verification"
WARD_CA_FILE=$T/missing.crt run 1 "$WARD_TUI" dc
assert_contains "$OUT" "$T/missing.crt"
run 2 "$WARD_TUI" frobnicate
assert_contains "$OUT" 'no command "frobnicate"'
run 0 "$WARD_TUI" hosts --help
assert_contains "$OUT" "usage: ward hosts"
assert_contains "$OUT" "--datacentre NAME"
run 0 "$WARD_TUI" --help
assert_contains "$OUT" "host NAME"
assert_contains "$OUT" "asset QUERY"
assert_contains "$OUT" "person QUERY"
assert_contains "$OUT" "dc [NAME]"
run 2 "$WARD_TUI" dash < /dev/null
assert_contains "$OUT" "needs a terminal"
# An https:// URL at a port that answers plain HTTP: said so, not taken
# for a certificate problem.
python3 -u -m http.server 0 --bind 127.0.0.1 > "$T/plain.out" 2>&1 &
plain=$!
at_exit "kill $plain 2>/dev/null"
i=0
until grep -q ' port [0-9]' "$T/plain.out" || [ $i -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
pport=$(sed -n 's/.* port \([0-9]*\).*/\1/p' "$T/plain.out" | head -n 1)
[ -n "$pport" ] || fail "no plain HTTP server: $(cat "$T/plain.out")"
WARD_URL=https://127.0.0.1:$pport run 6 "$WARD_TUI" dc
assert_contains "$OUT" "https://127.0.0.1:$pport does not answer in TLS"
assert_not_contains "$OUT" "ca_file"
kill "$plain"
kill "$COLLECTOR_PID"
wait "$COLLECTOR_PID" 2>/dev/null || true
run 5 "$WARD_TUI" host srv-04
assert_contains "$OUT" "cannot reach the collector at $URL"
ok "errors: wrong token 7, unsafe token file 1, no token/URL 1, other CA and wrong name 6, down 5, usage 2; ward.conf and its overrides"
