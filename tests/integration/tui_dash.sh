#!/bin/sh
# tui_dash.sh: the dashboard driven in tmux at fixed sizes against a real
# ward-collector, asserting on what a person sees: the estate, drilling
# into a datacentre and a host, search, filter, help, alerts (or "not
# available"), hostile names shown escaped, resize, the collector stopped
# and started again, NO_COLOR, and the terminal given back on q and SIGTERM;
# then at 80x24 and 200x50 every tab (Network, EOL and Identity too),
# sorting, acknowledging an alert with a comment, and --readonly; and a
# host's sparklines over the last hours, in blocks and in ASCII. Identity
# says plainly when the collector has no ward-idsync database; with the
# one the real ward-idsync made from three slapd directories it shows each
# domain, finds a person (/ in the tab, and the global search) and opens
# them with their accounts.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/idsync_db.sh"
require_cmd curl
require_cmd tmux
require_cmd jq
idsync_db_require
make_test_ca

if "$WARD_COLLECTOR" --config-reference=markdown | grep -q max_attempts; then
	health='[health]
max_attempts = 1
evaluate_interval = 1s'
else
	health=
fi
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

iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
now=$(date +%s)
{
	printf '['
	for i in 1 2 3 4 5 6 7; do
		case $((i % 3)) in
		0) dc=basildon ;; 1) dc=southend ;; 2) dc=orsett ;;
		esac
		st=0 out="NTP OK: offset 0.001"
		[ $i = 4 ] && st=2 out="NTP CRITICAL: no sync"
		printf '{"schema":1,"agent":{"id":"agent-srv-0%d"},"seq":1,"ts":"%s","host":{"name":"srv-0%d","fqdn":"srv-0%d.btuh.test","datacentre":"%s","kind":"server","vendor":"Dell Inc.","model":"PowerEdge R640","serial":"SN0%d","addresses":["10.9.0.%d"],"os":{"id":"debian","version_id":"12","pretty_name":"Debian GNU/Linux 12 (bookworm)","kernel":"6.1.0-13-amd64","arch":"x86_64"},"uptime_s":864000},"metrics":[{"name":"cpu.util","value":12.5,"unit":"percent"},{"name":"fs.used","value":81.2,"unit":"percent","labels":{"mount":"/var"}}],"checks":[{"name":"ntp","status":%d,"output":"%s"},{"name":"disk","status":0,"output":"DISK OK"},{"name":"raid","status":1,"output":"RAID degraded"}],"interfaces":[{"name":"eth0","index":2,"oper":"up","admin":"up","speed_bps":1000000000,"in_octets":123456789,"out_octets":98765432,"in_errors":0,"out_errors":0}]},' \
		    $i "$(iso "$now")" $i $i $dc $i $i $st "$out"
	done
	# Escapes that would clear the screen, colour it and retitle the
	# pane if they reached the terminal.
	printf '{"schema":1,"agent":{"id":"evil-1"},"seq":1,"ts":"%s","host":{"name":"evil\\u001b[2J\\u001b[31mRED\\u001b]2;owned\\u0007","datacentre":"orsett"}}' "$(iso "$now")"
	printf ']'
} > "$T/estate.json"
code=$(curl -sS --cacert "$T/ca.crt" -o "$T/reply" -w '%{http_code}' \
    -H "Authorization: Bearer $agent" -H 'Content-Type: application/json' \
    --data-binary @"$T/estate.json" "$URL/api/v1/reports" 2>/dev/null || echo 000)
[ "$code" = 200 ] || fail "reports refused ($code): $(cat "$T/reply")"

# A tmux server of our own, stopped by its PID at exit.
SOCK=$T/tmux.sock
tm() { tmux -S "$SOCK" -f /dev/null "$@"; }
# run-ward NAME [mono]: ward in a pane; the shell's PID in $T/NAME.pid
# (ward is its child), what ward exited with said on the screen.
cat > "$T/run-ward" <<EOF
#!/bin/sh
echo \$\$ > "$T/\$1.pid"
WARD_URL=$URL WARD_CA_FILE=$T/ca.crt WARD_TOKEN_FILE=$T/read.token
TZ=UTC LC_ALL=C.UTF-8
export WARD_URL WARD_CA_FILE WARD_TOKEN_FILE TZ LC_ALL
[ "\$2" = mono ] && { NO_COLOR=1; export NO_COLOR; }
ARGS=
# A session's own token or options.
[ -f "$T/\$1.env" ] && . "$T/\$1.env"
"$WARD_TUI" -d 1 \$ARGS
echo "ward ended with EXIT=\$?"
exec sleep 600
EOF
chmod +x "$T/run-ward"
tm new-session -d -s dash -x 120 -y 40 "$T/run-ward dash"
TMUX_PID=$(tm display-message -p '#{pid}')
at_exit 'kill $TMUX_PID 2>/dev/null'

screen() { tm capture-pane -p -t "$1"; }
# wait_for PANE TEXT: until TEXT is on the screen (10 s).
wait_for() {
	i=0
	while [ $i -lt 100 ]; do
		case $(screen "$1") in *"$2"*) return 0 ;; esac
		sleep 0.1
		i=$((i + 1))
	done
	fail "\"$2\" did not appear; the screen:
$(screen "$1")"
}
# wait_gone PANE TEXT
wait_gone() {
	i=0
	while [ $i -lt 100 ]; do
		case $(screen "$1") in *"$2"*) ;; *) return 0 ;; esac
		sleep 0.1
		i=$((i + 1))
	done
	fail "\"$2\" stayed; the screen:
$(screen "$1")"
}
keys() { p=$1; shift; tm send-keys -t "$p" "$@"; sleep 0.3; }
# typing PANE TEXT: TEXT typed as it is.
typing() { tm send-keys -t "$1" -l "$2"; sleep 0.3; }

# --- the overview
wait_for dash "updated "
S=$(screen dash)
assert_contains "$S" "[1 Overview]"
assert_contains "$S" " 2 Hosts "
assert_contains "$S" "hosts 8"
assert_contains "$S" "UP 8"
printf '%s\n' "$S" | grep -q '^ southend  *3  *3 .*UP ' || fail "overview row: $S"
printf '%s\n' "$S" | grep -q '^ DATACENTRE  *HOSTS  *UP .*WORST' || fail "overview header: $S"
assert_contains "$S" "Latest alerts"
if [ -n "$health" ]; then
	# Eight open alerts (a RAID warning on each server, srv-04's NTP):
	# the header counts them all, the overview lists the latest five.
	wait_for dash "critical 1  warning 7"
	[ "$(screen dash | grep -cE '^ +#[0-9]+  (warning|critical) ')" = 5 ] ||
	    fail "latest alerts: $(screen dash)"
fi
ok "overview: the estate in the header, one row per datacentre with its worst state"

# --- drill into a datacentre, then a host, and back
keys dash j j
keys dash Enter
wait_for dash "> Datacentre: southend"
S=$(screen dash)
assert_contains "$S" "srv-01"
assert_contains "$S" "srv-04"
assert_not_contains "$S" "srv-02"
keys dash j
keys dash Enter
wait_for dash "> Host: srv-04"
wait_for dash "Interfaces (1)"
S=$(screen dash)
for want in "srv-04  UP" "datacentre     southend" "serial         SN04" \
    "os             Debian GNU/Linux 12 (bookworm)" "Checks (3)" \
    "CRITICAL  ntp" "NTP CRITICAL: no sync" "Metrics (2)" "cpu.util" \
    "mount=/var" "81.2" "eth0" "1.0 Gb/s"; do
	assert_contains "$S" "$want"
done
# Failing checks come first, the worst first.
[ "$(printf '%s\n' "$S" | grep -n 'CRITICAL  ntp' | cut -d: -f1)" -lt \
    "$(printf '%s\n' "$S" | grep -n 'WARNING   raid' | cut -d: -f1)" ] ||
    fail "checks order: $S"
[ "$(printf '%s\n' "$S" | grep -n 'WARNING   raid' | cut -d: -f1)" -lt \
    "$(printf '%s\n' "$S" | grep -n 'OK        disk' | cut -d: -f1)" ] ||
    fail "checks order: $S"
keys dash Escape
wait_gone dash "> Host:"
assert_contains "$(screen dash)" "> Datacentre: southend"
keys dash BSpace
wait_gone dash "> Datacentre:"
assert_contains "$(screen dash)" "[1 Overview]"
ok "drill down: datacentre, host (identity, checks failing first, metrics, interfaces) and back"

# --- hostile names are shown escaped, never sent to the terminal
keys dash 2
wait_for dash "[2 Hosts]"
wait_for dash 'evil\x1b[2J\x1b[31mRED'
S=$(screen dash)
assert_contains "$S" "8 hosts"
assert_contains "$S" "srv-07"
# Opened, the whole name shows, escaped.
keys dash /
typing dash evil
keys dash Enter
wait_for dash '1 found for "evil"'
keys dash Enter
wait_for dash 'evil\x1b[2J\x1b[31mRED\x1b]2;owned\x07  UP'
assert_contains "$(screen dash)" '> Host: evil\x1b[2J\x1b[31mRED\x1b]2;owned\x07'
assert_contains "$(screen dash)" "datacentre     orsett"
[ "$(tm display-message -p -t dash '#{pane_title}')" != owned ] ||
    fail "the pane title was set by a host name"
tm capture-pane -e -p -t dash > "$T/colour"
if grep "RED" "$T/colour" | grep -q "$(printf '\033')\[31mRED"; then
	fail "a host name coloured the screen"
fi
keys dash Escape Escape
wait_for dash "[2 Hosts]"
wait_gone dash "> Search"
ok "hostile host name: shown as \\x1b... escapes; the screen, colours and title untouched"

# --- filter and search
keys dash '\'
typing dash 'srv-0[12]'
keys dash Enter
wait_for dash "filter: srv-0[12]"
wait_for dash "0 hosts match the filter"
keys dash '\'
keys dash BSpace BSpace BSpace BSpace Enter
wait_for dash "filter: srv-0"
wait_for dash "7 hosts match the filter"
assert_not_contains "$(screen dash)" "evil"
keys dash /
typing dash sn06
keys dash Enter
wait_for dash "> Search: sn06"
wait_for dash '1 found for "sn06"'
S=$(screen dash)
printf '%s\n' "$S" | grep -q '^ srv-06  *UP  *basildon  *server  *serial' || fail "search row: $S"
keys dash Enter
wait_for dash "> Host: srv-06"
wait_for dash "serial         SN06"
keys dash q
ok "filter (\\) on the collector, search (/) and open a result"

# q quit: the terminal is given back and ward said 0.
wait_for dash "ward ended with EXIT=0"
assert_not_contains "$(screen dash)" "[1 Overview]"
assert_not_contains "$(screen dash)" "[2 Hosts]"
ok "q: exit 0 and the terminal restored (the dashboard's screen is gone)"

# --- help, alerts, resize, the collector going away and coming back
tm new-session -d -s two -x 120 -y 40 "$T/run-ward two"
wait_for two "updated "
keys two '?'
wait_for two "ward dashboard keys"
assert_contains "$(screen two)" "filter this list"
keys two x
wait_gone two "ward dashboard keys"
keys two 3
wait_for two "[3 Alerts]"
if [ -n "$health" ]; then
	wait_for two "NTP CRITICAL: no sync"
	S=$(screen two)
	printf '%s\n' "$S" | grep -q '^ *[0-9][0-9]*  critical  open  *srv-04  *southend  *check' ||
	    fail "alerts row: $S"
	wait_for two "critical 1"
	keys two g
	keys two Enter
	wait_for two "> Alert: #"
	wait_for two "History"
	assert_contains "$(screen two)" "opened"
	keys two Escape
	ok "alerts: the open alert listed, opened with its history; the header counts it"
else
	wait_for two "Alerts: not available on this collector"
	assert_contains "$(screen two)" "alerts n/a"
	ok "alerts: not available on this collector, said so, nothing made up"
fi
keys two 1
wait_for two "[1 Overview]"

tm resize-window -t two -x 80 -y 24
sleep 0.5
wait_for two "[1 Overview]"
S=$(screen two)
[ "$(printf '%s\n' "$S" | wc -l)" -le 24 ] || fail "more than 24 lines"
assert_contains "$S" "southend"
assert_contains "$S" "WORST"
assert_contains "$S" "Enter open"
tm resize-window -t two -x 200 -y 50
sleep 0.5
wait_for two "LAST REPORT  KINDS"
tm resize-window -t two -x 120 -y 40
ok "resize to 80x24 and 200x50 while running"

keys two 2
wait_for two "srv-05"
keys two 1
wait_for two "[1 Overview]"
kill "$COLLECTOR_PID"
wait "$COLLECTOR_PID" 2>/dev/null || true
wait_for two "collector unreachable since "
wait_for two "stale: data from "
S=$(screen two)
assert_contains "$S" "southend"
assert_contains "$S" "hosts 8"
# It still answers keys while the collector is away, showing what it had,
# and says plainly when it has nothing.
keys two 2
wait_for two "[2 Hosts]"
assert_contains "$(screen two)" "srv-05"
keys two /
typing two zzz
keys two Enter
wait_for two "search: no data: the collector is unreachable"
keys two Escape
wait_for two "srv-05"
restart_collector
wait_for two "updated "
wait_gone two "stale: data from"
ok "collector stopped: unreachable since HH:MM, the last data kept and marked stale, keys work; back: fresh"

ward_pid=$(pgrep -P "$(cat "$T/two.pid")" | head -1)
[ -n "$ward_pid" ] || fail "no ward under the pane's shell"
kill -TERM "$ward_pid"
wait_for two "ward ended with EXIT=0"
assert_not_contains "$(screen two)" "[2 Hosts]"
ok "SIGTERM: a clean exit, the terminal restored"

# --- NO_COLOR: attributes only; with colour, states are coloured
tm new-session -d -s mono -x 120 -y 40 "$T/run-ward mono mono"
tm new-session -d -s colour -x 120 -y 40 "$T/run-ward colour"
wait_for mono "updated "
wait_for colour "updated "
tm capture-pane -e -p -t colour > "$T/colour"
tm capture-pane -e -p -t mono > "$T/mono"
grep -q "$(printf '\033')\[32m" "$T/colour" || fail "no green for UP with colour"
if grep -q "$(printf '\033')\[3[0-7]m" "$T/mono"; then
	fail "NO_COLOR: colours used: $(cat -v "$T/mono" | head -5)"
fi
grep -q "$(printf '\033')\[[0-9;]*7m" "$T/mono" || fail "NO_COLOR: no reverse video either"
ok "NO_COLOR: no colours, reverse and bold only; colours otherwise"
keys mono q

# --- --mouse: a click on a tab opens it, on a row selects it, a second
# click opens it, the wheel scrolls; X10 mouse reports as a terminal
# sends them (ESC [ M, then button, column and line, each plus 32).
echo 'ARGS=--mouse' > "$T/mouse.env"
tm new-session -d -s mouse -x 120 -y 40 "$T/run-ward mouse"
wait_for mouse "updated "
mouse_at() {	# mouse_at PANE BUTTON X Y (0-based): one report
	tm send-keys -t "$1" -l "$(printf '\033[M%b%b%b' \
	    "\\0$(printf %o $((32 + $2)))" \
	    "\\0$(printf %o $((33 + $3)))" \
	    "\\0$(printf %o $((33 + $4)))")"
	sleep 0.2
}
click() { mouse_at "$1" 0 "$2" "$3"; mouse_at "$1" 3 "$2" "$3"; sleep 0.3; }
tab=$(screen mouse | sed -n 2p)
x=$(printf '%s\n' "$tab" | awk '{ print index($0, " 2 Hosts") }')
[ "$x" -gt 0 ] || fail "no Hosts tab: $tab"
click mouse "$x" 1
wait_for mouse "[2 Hosts]"
# The tab line can be on the screen before the rows under it.
wait_for mouse " srv-03 "
y=$(( $(screen mouse | grep -n ' srv-03 ' | head -1 | cut -d: -f1) - 1 ))
[ "$y" -gt 2 ] || fail "no srv-03 row: $(screen mouse)"
click mouse 10 "$y"
tm capture-pane -e -p -t mouse | sed -n "$((y + 1))p" |
    grep -q "$(printf '\033')\[[0-9;]*7m.*srv-03" ||
    fail "a click did not select srv-03: $(tm capture-pane -e -p -t mouse | sed -n "$((y + 1))p" | cat -v)"
click mouse 10 "$y"
wait_for mouse "> Host: "
assert_contains "$(screen mouse | sed -n 2p)" "srv-03"
keys mouse Escape
wait_for mouse "[2 Hosts]"
ok "--mouse: a click opens a tab, selects a row, a second click opens it"
keys mouse q
wait_for mouse "ward ended with EXIT=0"
keys colour q
wait_for mono "ward ended with EXIT=0"
wait_for colour "ward ended with EXIT=0"

# --- network devices: a switch with a port down, one up, one switched
# off, and a UPS without interfaces
{
	printf '[{"schema":1,"agent":{"id":"sw-bas-core1"},"seq":1,"ts":"%s","host":{"name":"bas-core1","datacentre":"basildon","kind":"switch"},"interfaces":[' "$(iso "$now")"
	printf '{"name":"ge-0/0/1","index":1,"oper":"up","admin":"up","speed_bps":1000000000,"in_errors":0,"out_errors":0},'
	printf '{"name":"ge-0/0/2","index":2,"oper":"down","admin":"up","speed_bps":1000000000,"alias":"uplink to pacs","in_errors":3,"out_errors":4},'
	printf '{"name":"ge-0/0/3","index":3,"oper":"down","admin":"down"}]},'
	printf '{"schema":1,"agent":{"id":"ups-bas-1"},"seq":1,"ts":"%s","host":{"name":"bas-ups1","datacentre":"basildon","kind":"ups"}}]' "$(iso "$now")"
} > "$T/net.json"
code=$(curl -sS --cacert "$T/ca.crt" -o "$T/reply" -w '%{http_code}' \
    -H "Authorization: Bearer $agent" -H 'Content-Type: application/json' \
    --data-binary @"$T/net.json" "$URL/api/v1/reports" 2>/dev/null || echo 000)
[ "$code" = 200 ] || fail "reports refused ($code): $(cat "$T/reply")"

# --- Identity without ward-idsync's database: said plainly, no alarm
tm new-session -d -s idn -x 80 -y 24 "$T/run-ward idn"
wait_for idn "updated "
keys idn 6
wait_for idn "Identity: not configured on this collector"
S=$(screen idn)
assert_contains "$S" "The collector says: identity: not configured (set [identity]"
assert_contains "$S" "/ find person"
assert_contains "$S" "updated "
assert_not_contains "$S" "collector failing"
assert_not_contains "$S" "stale: data from"
keys idn /
typing idn smith
keys idn Enter
wait_for idn "people: not served by this collector: identity: not configured"
keys idn q
wait_for idn "ward ended with EXIT=0"
ok "Identity without [identity] db: the tab says so plainly, the header stays healthy"

# Now with the database the real ward-idsync made, one account's names
# carrying terminal escapes.
idsync_db_hostile "$T/hostile.ldif"
idsync_db_make "$T/idsync.db" 120 "$T/hostile.ldif"
kill "$COLLECTOR_PID"
wait "$COLLECTOR_PID" 2>/dev/null || true
collector_conf "$T/collector.conf" "$PORT" "" "$health
[identity]
db = $T/idsync.db"
restart_collector
curl -fsS --cacert "$T/ca.crt" -H "Authorization: Bearer $(cat "$T/read.token")" \
    -o "$T/summary.json" "$URL/api/v1/identity/summary" || fail "identity summary"
# sam_of PERSON DOMAIN: that person's account there, from the truth.
sam_of() {
	awk -F, -v p="$1" -v d="$2" '$4 == p && $1 == d && $5 == "person" { print $3 }' \
	    "$T/truth.csv"
}

# row PANE HEADING N: the Nth row of the list under the column headings
# that start with HEADING.
row() { screen "$1" | sed -n "/^ *$2[^a-z]/,\$p" | sed -n "$(($3 + 1))p"; }
# line_of PANE TEXT: the line number TEXT is on.
line_of() { screen "$1" | grep -n -F -- "$2" | head -1 | cut -d: -f1; }

for size in 80x24 200x50; do
	w=${size%x*} h=${size#*x}
	tm new-session -d -s "s$w" -x "$w" -y "$h" "$T/run-ward s$w"
	P=s$w
	wait_for $P "updated "
	S=$(screen $P)
	[ "$(printf '%s\n' "$S" | wc -l)" -le "$h" ] || fail "$size: too many lines"
	for t in "4 Network" "5 EOL" "6 Identity"; do
		assert_contains "$S" "$t"
	done

	# Network: the port that is down comes first, the one switched off last.
	keys $P 4
	wait_for $P "[4 Network]"
	wait_for $P "2 devices, 0 not UP; 1 ports down"
	wait_gone $P "loaded..."
	S=$(screen $P)
	printf '%s\n' "$(row $P DEVICE 1)" | grep -q '^ bas-core1  *UP  *ge-0/0/2  *down' ||
	    fail "$size network: the down port first: $S"
	[ "$(line_of $P ge-0/0/1)" -lt "$(line_of $P ge-0/0/3)" ] || fail "$size: admin down last: $S"
	assert_contains "$S" "bas-ups1"
	if [ "$w" = 200 ]; then
		assert_contains "$S" "uplink to pacs"
		printf '%s\n' "$(row $P DEVICE 1)" | grep -q ' 7  *uplink' || fail "errors summed: $S"
	fi
	tm capture-pane -e -p -t $P | grep 'ge-0/0/2' | grep -q "$(printf '\033')\[[0-9;]*31m" ||
	    fail "$size: the down port is not red"
	keys $P Enter
	wait_for $P "> Host: bas-core1"
	wait_for $P "Interfaces (3)"
	keys $P Escape
	wait_for $P "[4 Network]"

	# EOL: the counts and each asset's lifecycle.
	keys $P 5
	wait_for $P "[5 EOL]"
	if [ -n "$eol" ]; then
		wait_for $P "assets    10 assets"
		wait_for $P "srv-07"
		[ "$w" = 80 ] || wait_for $P "Debian 12 (Bookworm)"
		S=$(screen $P)
		printf '%s\n' "$S" | grep -q '^ srv-01  *extended  *2026-07-11 ' ||
		    fail "$size eol row: $S"
		assert_contains "$S" "catalogue: snapshot as of"
		keys $P Enter
		wait_for $P "> Host: "
		keys $P Escape
	else
		wait_for $P "End of life: not available on this collector"
	fi

	# Identity: each domain as the last run found it, then conflicts.
	keys $P 6
	wait_for $P "[6 Identity]"
	wait_for $P "$(jq -r .persons "$T/summary.json") people  $(jq -r .leavers "$T/summary.json") leavers"
	wait_for $P "Conflicts waiting for a decision"
	S=$(screen $P)
	assert_contains "$S" "last run #1 run ok, finished "
	for dom in btuh meht southend; do
		want=$(jq -r --arg d $dom '.domains[] | select(.domain == $d) |
		    "\(.domain) +\(.accounts) +\(.linked) +\(.unmatched) +\(.disabled) "' \
		    "$T/summary.json")
		printf '%s\n' "$S" | grep -qE "^   $want" || fail "$size identity: no \"$want\": $S"
	done
	# / in the tab finds people: a leaver, each account disabled.
	keys $P /
	wait_for $P "find person:"
	typing $P thackeray
	keys $P Enter
	wait_for $P '1 person found for "thackeray"'
	printf '%s\n' "$(row $P NAME 1)" | grep -q "^ Gillian Thackeray  *leaver .*btuh[\\]$(sam_of H14 btuh) (disabled)" ||
	    fail "$size person search: $(screen $P)"
	keys $P Enter
	wait_for $P "> Person: Gillian Thackeray"
	wait_for $P "Accounts (2)"
	S=$(screen $P)
	assert_contains "$S" "employee       E7000114"
	printf '%s\n' "$S" | grep -q "^   btuh[\\]$(sam_of H14 btuh)  *disabled  *never  *primary" ||
	    fail "$size person: $S"
	printf '%s\n' "$S" | grep -q "^   southend[\\]$(sam_of H14 southend)  *disabled " ||
	    fail "$size person: $S"
	assert_not_contains "$S" "x5c"
	tm capture-pane -e -p -t $P | grep "$(sam_of H14 btuh)" |
	    grep -q "$(printf '\033')\[[0-9;]*31m" || fail "$size: disabled is not red"
	keys $P Escape Escape
	wait_gone $P "> People"
	# Names with terminal escapes: shown escaped, the screen untouched.
	keys $P /
	typing $P zzhostile
	keys $P Enter
	wait_for $P '1 person found for "zzhostile"'
	S=$(screen $P)
	assert_contains "$S" 'Eve Zzhostile\x1b[2J'
	assert_contains "$S" 'btuh\zzhostile\x1b[31m'
	assert_contains "$S" "[6 Identity]"
	[ "$(tm display-message -p -t $P '#{pane_title}')" != owned ] ||
	    fail "$size: the pane title was set by a person's name"
	keys $P Escape
	wait_gone $P "> People"
	# And the global search, from another tab: hosts first, then people.
	keys $P 2
	wait_for $P "srv-05"
	keys $P /
	wait_for $P "search:"
	typing $P whitfield
	keys $P Enter
	wait_for $P '0 hosts and 1 person found for "whitfield"'
	printf '%s\n' "$(row $P NAME 1)" | grep -q '^ Jonathon Whitfield  *active  *-  *person  *name ' ||
	    fail "$size global search: $(screen $P)"
	keys $P Enter
	wait_for $P "> Person: Jonathon Whitfield"
	wait_for $P "Accounts (3)"
	printf '%s\n' "$(screen $P)" | grep -q "^   meht[\\]$(sam_of H01 meht)  *enabled  *never  *primary" ||
	    fail "$size: Whitfield's meht account: $(screen $P)"
	keys $P Escape Escape
	keys $P /
	typing $P srv-0
	keys $P Enter
	wait_for $P '7 found for "srv-0"'
	keys $P Escape

	# Sorting: s moves along the columns, S reverses; the heading says.
	keys $P 2
	wait_for $P "srv-05"
	keys $P s
	wait_for $P "sort: NAME▲"
	printf '%s\n' "$(row $P NAME 1)" | grep -q '^ bas-core1 ' || fail "$size sorted by name: $(screen $P)"
	keys $P S
	wait_for $P "sort: NAME▼"
	printf '%s\n' "$(row $P NAME 1)" | grep -q '^ srv-07 ' || fail "$size name reversed: $(screen $P)"
	assert_contains "$(screen $P)" "NAME▼"
	keys $P s
	wait_for $P "sort: STATE▲"
	keys $P F6
	wait_for $P "sort: "
	assert_not_contains "$(screen $P)" "sort: STATE"
	keys $P q
	wait_for $P "ward ended with EXIT=0"
done
ok "80x24 and 200x50: Network (down ports first, in red), EOL, Identity (domains, a person found in the tab and by the global search, opened), sort by column and reversed"

# --- acknowledging from the Alerts tab, and --readonly
if [ -n "$health" ]; then
	printf 'WARD_TOKEN_FILE=%s\n' "$T/operate.token" > "$T/ops.env"
	printf 'ARGS=--readonly\nWARD_TOKEN_FILE=%s\n' "$T/operate.token" > "$T/ro.env"
	tm new-session -d -s ops -x 200 -y 50 "$T/run-ward ops"
	tm new-session -d -s ro -x 120 -y 40 "$T/run-ward ro"
	tm new-session -d -s rd -x 120 -y 40 "$T/run-ward rd"
	keys ops 3
	wait_for ops "NTP CRITICAL: no sync"
	assert_contains "$(screen ops)" "a ack"
	# The critical one first: by severity, worst first.
	keys ops s s S
	wait_for ops "sort: SEVERITY▼"
	printf '%s\n' "$(row ops ID 1)" | grep -q 'critical  *open  *srv-04' || fail "severity sort: $(screen ops)"
	keys ops g a
	wait_for ops "acknowledge #"
	typing ops "on it"
	keys ops Enter
	wait_for ops "acknowledged by ops"
	i=0
	until screen ops | grep -q 'critical  *acknowledged  *srv-04'; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "not shown acknowledged: $(screen ops)"
		sleep 0.1
	done
	keys ops Enter
	wait_for ops "> Alert: #"
	wait_for ops "by ops at "
	assert_contains "$(screen ops)" ": on it"
	ok "a on the Alerts tab: a comment prompt, acknowledged by the token's name, the list refreshed"

	keys rd 3
	wait_for rd "NTP CRITICAL: no sync"
	keys rd a
	wait_for rd "acknowledge #"
	keys rd Enter
	wait_for rd "not acknowledged: the token may not"
	keys ro 3
	wait_for ro "NTP CRITICAL: no sync"
	assert_not_contains "$(screen ro)" "a ack"
	keys ro a
	wait_for ro "read-only (--readonly): acknowledging is off"
	assert_not_contains "$(screen ro)" "acknowledge #"
	keys ro '?'
	wait_for ro "ward dashboard keys"
	assert_not_contains "$(screen ro)" "acknowledge the alert"
	keys ro x
	for p in ops ro rd; do keys $p q; wait_for $p "ward ended with EXIT=0"; done
	ok "a with a read token: refused, said why; --readonly: no a in the hints or help, a refused"
fi

# --- sparklines: five hours of a climbing CPU and a flat /var reported
# every three minutes, in blocks on a UTF-8 terminal and in ASCII on another
{
	printf '['
	k=0
	while [ $k -le 100 ]; do
		[ $k -gt 0 ] && printf ','
		printf '{"schema":1,"agent":{"id":"spark-01"},"seq":%d,"ts":"%s","host":{"name":"spark-01","datacentre":"orsett","kind":"server"},"metrics":[{"name":"cpu.util","value":%d,"unit":"percent"},{"name":"fs.used_pct","value":40,"unit":"percent","labels":{"mount":"/var"}}]}' \
		    $((k + 1)) "$(iso $((now - 300 * 60 + k * 180)))" $k
		k=$((k + 1))
	done
	printf ']'
} > "$T/spark.json"
code=$(curl -sS --cacert "$T/ca.crt" -o "$T/reply" -w '%{http_code}' \
    -H "Authorization: Bearer $agent" -H 'Content-Type: application/json' \
    --data-binary @"$T/spark.json" "$URL/api/v1/reports" 2>/dev/null || echo 000)
[ "$code" = 200 ] || fail "reports refused ($code): $(cat "$T/reply")"
printf 'LC_ALL=C\n' > "$T/ascii.env"
for p in spark ascii; do
	tm new-session -d -s $p -x 200 -y 50 "$T/run-ward $p"
	wait_for $p "updated "
	keys $p /
	typing $p spark-01
	keys $p Enter
	wait_for $p '1 found for "spark-01"'
	keys $p Enter
	wait_for $p "> Host: spark-01"
	wait_for $p "Last 6 hours"
	wait_for $p "min 0%  max 100%"
done
S=$(screen spark)
line=$(printf '%s\n' "$S" | grep '^   cpu.util ')
case $line in *"▁"*"█"*"now 100%  min 0%  max 100%"*) ;;
*) fail "cpu.util sparkline: $line" ;;
esac
# An hour before the first sample: no data there, so blank, not zero.
case $line in *"   ▁"*) ;; *) fail "no gap before the first sample: $line" ;; esac
line=$(printf '%s\n' "$S" | grep '^   fs.used_pct /var ')
case $line in *"▄▄▄▄▄▄▄▄▄▄"*"now 40%"*) ;; *) fail "fs /var sparkline: $line" ;; esac
line=$(screen ascii | grep '^   cpu.util ')
case $line in *_*"#"*"now 100%"*) ;; *) fail "ASCII sparkline: $line" ;; esac
case $line in *"▁"*) fail "blocks on a terminal that is not UTF-8: $line" ;; esac
for p in spark ascii; do keys $p q; wait_for $p "ward ended with EXIT=0"; done
ok "host sparklines: the last hours of each main series, blocks on UTF-8, ASCII otherwise, gaps left blank"
