#!/bin/sh
# netpoll_http.sh: ward-netpoll's URL checks against local web servers with
# a test CA: a certificate valid for 400 days, one expiring in 5 days, one
# for another host name; pages that answer 500, too slowly, or without the
# expected text. Each gives its own status, output and metrics, through
# probe and through --once to the real collector, where the certificate
# expiring in 5 days raises a cert_expiry alert; and the daemon runs the
# checks every cycle and stops cleanly in the middle of one.
. "$top_srcdir/tests/integration/lib.sh"
require_cmd python3
require_cmd openssl
require_cmd curl
require_cmd jq
require_cmd sqlite3

NP=$WARD_NETPOLL

# ---------------------------------------------------------------- certificates
W=$T/web
mkdir -p "$W"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$W/ca.key" -out "$W/ca.crt" -subj "/CN=ward web test CA" \
    -days 800 2>/dev/null || fail "openssl: cannot make the web CA"
# web_cert NAME DAYS SAN: NAME.crt signed by the web CA.
web_cert() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$W/$1.key" -out "$W/$1.csr" -subj "/CN=$1.web.test" \
	    2>/dev/null || fail "openssl: cannot make the key for $1"
	printf 'subjectAltName = %s\n' "$3" > "$W/$1.ext"
	openssl x509 -req -in "$W/$1.csr" -CA "$W/ca.crt" -CAkey "$W/ca.key" \
	    -CAcreateserial -out "$W/$1.crt" -days "$2" -extfile "$W/$1.ext" \
	    2>/dev/null || fail "openssl: cannot sign the certificate for $1"
}
web_cert long 400 "IP:127.0.0.1, DNS:portal.web.test"
web_cert short 5 "IP:127.0.0.1, DNS:expiring.web.test"
web_cert wrong 400 "DNS:elsewhere.web.test"

python3 "$top_srcdir/tests/integration/https_fixture.py" --dir "$W" \
    --portfile "$W/ports" long short wrong 2> "$W/log" &
WEB_PID=$!
at_exit 'kill $WEB_PID 2>/dev/null'
i=0
while [ ! -f "$W/ports" ]; do
	kill -0 "$WEB_PID" 2>/dev/null || fail "web fixture died: $(cat "$W/log")"
	i=$((i + 1))
	[ $i -lt 100 ] || fail "web fixture did not start"
	sleep 0.1
done
port() {
	sed -n "s/^$1 //p" "$W/ports"
}
LONG=$(port long)
SHORT=$(port short)
WRONG=$(port wrong)
PLAIN=$(port plain)
# A port where nothing listens.
DEAD=$(( ($(od -An -N2 -tu2 /dev/urandom) % 20000) + 30000 ))

# ---------------------------------------------------------------- probe
probe() {
	set +e
	"$NP" "$@" > "$T/probe.json" 2> "$T/probe.err"
	PROBE_RC=$?
	set -e
}
# pcheck NAME FIELD, pmetric NAME: from the probe's report.
pcheck() {
	jq -r ".checks[] | select(.name == \"$1\") | .$2" "$T/probe.json"
}
pmetric() {
	jq -r ".metrics[] | select(.name == \"$1\") | .value" "$T/probe.json"
}
# between VALUE LOW HIGH
between() {
	awk -v v="$1" -v lo="$2" -v hi="$3" \
	    'BEGIN { exit !(v != "" && v + 0 >= lo && v + 0 <= hi) }'
}

probe --ca-file "$W/ca.crt" probe "https://127.0.0.1:$LONG/ok"
[ $PROBE_RC = 0 ] || fail "probe /ok: $(cat "$T/probe.err")"
[ "$(pcheck http.probe status)" = 0 ] || fail "probe /ok: $(cat "$T/probe.json")"
out=$(pcheck http.probe output)
assert_contains "$out" "HTTP OK: 200 in "
assert_contains "$out" "certificate expires "
days=$(pmetric http.cert_days_left)
between "$days" 399 400 || fail "cert_days_left $days, not 399-400"
t=$(pmetric http.response_time_s)
between "$t" 0.000001 10 || fail "response_time_s $t"
[ "$(jq -r '.metrics[] | select(.name == "http.cert_days_left") |
    .labels.check' "$T/probe.json")" = probe ] || fail "metric label"
[ "$(pcheck alive status)" = 0 ] || fail "alive"
[ "$(jq -r .host.kind "$T/probe.json")" = appliance ] || fail "kind"
ok "probe https: $out; cert_days_left $days"

# TLS verification is always on: the system's store does not know our CA.
probe probe "https://127.0.0.1:$LONG/ok"
[ $PROBE_RC = 1 ] || fail "untrusted CA accepted"
out=$(pcheck http.probe output)
assert_contains "$out" "HTTP certificate: "
[ "$(pcheck http.probe status)" = 2 ] || fail "untrusted CA: not CRITICAL"
[ "$(pmetric http.cert_days_left)" = "" ] || fail "days from an untrusted cert"
# It reached the server, which is alive.
[ "$(pcheck alive status)" = 0 ] || fail "untrusted CA: alive"
ok "probe: an unknown CA is refused: $out"

# The server's own certificate as --ca-file: a leaf, not a CA.
probe --ca-file "$W/long.crt" probe "https://127.0.0.1:$LONG/ok"
[ $PROBE_RC = 1 ] || fail "a leaf certificate was taken as a CA"
assert_contains "$(pcheck http.probe output)" "HTTP certificate: "
ok "probe: the server's leaf certificate as --ca-file is refused"

probe --ca-file "$W/ca.crt" --body-regex 'status: (healthy|ok)$' probe \
    "https://127.0.0.1:$LONG/ok"
[ $PROBE_RC = 0 ] || fail "regex on /ok: $(pcheck http.probe output)"
assert_contains "$(pcheck http.probe output)" "body matches /status: (healthy|ok)\$/"
ok "probe: the body matches a regex"

probe --ca-file "$W/ca.crt" --body-regex healthy probe \
    "https://127.0.0.1:$LONG/maintenance"
[ $PROBE_RC = 1 ] || fail "no match accepted"
out=$(pcheck http.probe output)
assert_contains "$out" "HTTP body: no match for /healthy/ in 21 bytes (200 in "
ok "probe: $out"

probe --ca-file "$W/ca.crt" probe "https://127.0.0.1:$LONG/error"
[ $PROBE_RC = 1 ] || fail "500 accepted"
out=$(pcheck http.probe output)
assert_contains "$out" "HTTP status: 500, expected 200"
[ "$(pmetric http.status)" = 500 ] || fail "http.status metric"
probe --ca-file "$W/ca.crt" --expect-status 500 probe \
    "https://127.0.0.1:$LONG/error"
[ $PROBE_RC = 0 ] || fail "--expect-status 500: $(pcheck http.probe output)"
ok "probe: $out; and OK when 500 is expected"

probe --ca-file "$W/ca.crt" probe "https://127.0.0.1:$SHORT/ok"
[ $PROBE_RC = 0 ] || fail "short cert: $(pcheck http.probe output)"
days=$(pmetric http.cert_days_left)
between "$days" 4.9 5 || fail "short cert_days_left $days"
ok "probe: a certificate expiring in $days days (the collector's rule judges it)"

probe --ca-file "$W/ca.crt" probe "https://127.0.0.1:$WRONG/ok"
[ $PROBE_RC = 1 ] || fail "wrong host name accepted"
out=$(pcheck http.probe output)
assert_contains "$out" "HTTP certificate: "
assert_contains "$out" "127.0.0.1"
ok "probe: a certificate for another name: $out"

probe probe "http://127.0.0.1:$PLAIN/ok"
[ $PROBE_RC = 0 ] || fail "plain http: $(pcheck http.probe output)"
[ "$(pmetric http.cert_days_left)" = "" ] || fail "days on plain http"
ok "probe: plain http, no certificate metric"

probe probe "https://127.0.0.1:$DEAD/"
[ $PROBE_RC = 1 ] || fail "dead port"
assert_contains "$(pcheck http.probe output)" "HTTP connect: "
[ "$(pcheck alive status)" = 2 ] || fail "dead port: alive"
ok "probe: nothing listening: alive CRITICAL"

run 1 "$NP" --body-regex 'a(' probe "http://127.0.0.1:$PLAIN/ok"
assert_contains "$OUT" "--body-regex: "
run 1 "$NP" probe "https://user:pw@127.0.0.1:$LONG/ok"
assert_contains "$OUT" "a user or password in the URL is not supported"
assert_not_contains "$OUT" "pw@"
run 1 "$NP" --expect-status 99 probe "http://127.0.0.1:$PLAIN/ok"
assert_contains "$OUT" "--expect-status"
ok "probe: bad regex, credentials in the URL and a bad status refused"

# ---------------------------------------------------------------- -n
# bad_conf LINES EXPECTED: a config with [http] lines is refused, saying so.
bad_conf() {
	printf '[netpoll]\nstate_dir = %s\ninterval = 60s\n%s\n' "$T/bad" "$1" \
	    > "$T/bad.conf"
	run 1 "$NP" -n -c "$T/bad.conf"
	assert_contains "$OUT" "$2"
}
bad_conf '[http "a"]
url = ftp://127.0.0.1/' 'line 4: [http "a"] url: not an http:// or https:// URL'
bad_conf '[http "a"]
url = https://127.0.0.1/
body_regex = (unclosed' '[http "a"] body_regex: '
bad_conf '[http "a"]
url = https://127.0.0.1/
timeout = 2s
warning_time = 2s' 'warning_time: must be shorter than timeout'
bad_conf '[http "a"]
url = https://127.0.0.1/
host = web
[http "b"]
url = https://127.0.0.1/x
host = web
interval = 30s' 'line 7: [http "b"] interval: the checks of host web run together; line 4 says every 60s'
bad_conf '[http "a b"]
url = https://127.0.0.1/' 'a check name is 1-48 letters'
bad_conf '[http "a"]
url = https://127.0.0.1/
[http "a"]
url = https://127.0.0.1/' 'duplicate label'
bad_conf '[http "a"]
url = https://127.0.0.1/
expect_status = 600' 'expect_status'
ok "-n: a bad URL, regex, warning_time, interval, name and status are refused"

# ---------------------------------------------------------------- --once
make_test_ca
collector_conf "$T/collector.conf" 1
(umask 077
"$WARD_COLLECTOR" -c "$T/collector.conf" token add --role agent --name np \
    > "$T/token" 2>/dev/null) || fail "token add failed"
reader=$("$WARD_COLLECTOR" -c "$T/collector.conf" token add --role read \
    --name helpdesk 2>/dev/null) || fail "token add read failed"
start_collector "" "[health]
max_attempts = 1
evaluate_interval = 1s"

umask 077
printf '[community "core"]\ncommunity = not-used-here\n' > "$T/secrets"
umask 022
cat > "$T/netpoll.conf" <<CONF
[log]
level = debug
[netpoll]
datacentre = basildon
state_dir = $T/state
secrets_file = $T/secrets
include_dir = $T/netpoll.d
timeout = 500ms
concurrency = 16
[collector]
url = $URL
ca_file = $T/ca.crt
token_file = $T/token
retry_max = 1s

# A device that does not answer SNMP; its management page is checked and
# reported with it.
[device "core-sw9"]
address = 127.0.0.1
port = $DEAD
credentials = core
retries = 0
[http "sw9-mgmt"]
url = https://127.0.0.1:$LONG/ok
host = core-sw9
ca_file = $W/ca.crt

# One host, several checks.
[http "portal-ok"]
url = https://127.0.0.1:$LONG/ok
host = portal
body_regex = ^status: healthy
warning_time = 5s
ca_file = $W/ca.crt
[http "portal-500"]
url = https://127.0.0.1:$LONG/error
host = portal
ca_file = $W/ca.crt
[http "portal-slow"]
url = https://127.0.0.1:$LONG/slow
host = portal
timeout = 1s
ca_file = $W/ca.crt
[http "portal-maint"]
url = https://127.0.0.1:$LONG/maintenance
host = portal
body_regex = healthy
ca_file = $W/ca.crt
[http "portal-big"]
url = https://127.0.0.1:$LONG/big
host = portal
body_regex = healthy
body_max = 1k
ca_file = $W/ca.crt

# Hosts of their own.
[http "expiring"]
url = https://127.0.0.1:$SHORT/ok
ca_file = $W/ca.crt
datacentre = southend
[http "wronghost"]
url = https://127.0.0.1:$WRONG/ok
ca_file = $W/ca.crt
[http "dead-web"]
url = https://127.0.0.1:$DEAD/
CONF
mkdir -p "$T/netpoll.d"
cat > "$T/netpoll.d/plain.conf" <<CONF
[http "intranet"]
url = http://127.0.0.1:$PLAIN/ok
body_regex = healthy
CONF
run 0 "$NP" -n -c "$T/netpoll.conf"
# A fault in an included file is put at its own file and line.
printf '\n[http "intranet2"]\nurl = ftp://127.0.0.1/\n' > "$T/netpoll.d/zz-bad.conf"
run 1 "$NP" -n -c "$T/netpoll.conf"
assert_contains "$OUT" "$T/netpoll.d/zz-bad.conf:2: [http \"intranet2\"] url: not an http:// or https:// URL"
printf '[http "intranet"]\nurl = http://127.0.0.1:%s/ok\n' "$PLAIN" > "$T/netpoll.d/zz-bad.conf"
run 1 "$NP" -n -c "$T/netpoll.conf"
assert_contains "$OUT" "$T/netpoll.d/zz-bad.conf:1: [http \"intranet\"] is already defined ($T/netpoll.d/plain.conf:1)"
rm "$T/netpoll.d/zz-bad.conf"
run 0 "$NP" -n -c "$T/netpoll.conf"

set +e
"$NP" -c "$T/netpoll.conf" --once > "$T/once.log" 2>&1
rc=$?
set -e
[ $rc = 0 ] || fail "--once exited $rc: $(cat "$T/once.log")"
assert_contains "$(cat "$T/once.log")" "6 device reports delivered"
ok "--once: a device and five hosts of URL checks delivered"

db() {
	sqlite3 "$T/ward.db" "$1"
}
# chk AGENT CHECK: "status|output" of a check in the collector.
chk() {
	db "select c.status || '|' || c.output from checks c join hosts h
	    on h.id = c.host_id where h.agent_id = '$1' and c.name = '$2'"
}
expect_check() {
	got=$(chk "$1" "$2")
	case $got in
	"$3|$4"*) ;;
	*) fail "$1 $2: got \"$got\", expected \"$3|$4...\"" ;;
	esac
}
P=netpoll:basildon:portal
expect_check $P http.portal-ok 0 "HTTP OK: 200 in "
assert_contains "$(chk $P http.portal-ok)" "body matches /^status: healthy/"
expect_check $P http.portal-500 2 "HTTP status: 500, expected 200"
expect_check $P http.portal-slow 2 "HTTP timeout: connected, but no complete answer within 1s"
expect_check $P http.portal-maint 2 "HTTP body: no match for /healthy/ in 21 bytes"
expect_check $P http.portal-big 2 "HTTP body: no match for /healthy/ in the first 1024 bytes"
expect_check $P alive 0 "the server answers (5 of 5 HTTP checks got through)"
[ "$(db "select name || '|' || kind || '|' || datacentre from hosts
    where agent_id = '$P'")" = "portal|appliance|basildon" ] ||
    fail "portal's identity: $(db "select * from hosts where agent_id = '$P'")"
ok "portal: one report, five checks: OK, 500, timeout, no match, match beyond body_max"

E=netpoll:southend:expiring
expect_check $E http.expiring 0 "HTTP OK: 200 in "
expect_check netpoll:basildon:wronghost http.wronghost 2 "HTTP certificate: "
expect_check netpoll:basildon:dead-web http.dead-web 2 "HTTP connect: "
expect_check netpoll:basildon:dead-web alive 2 "no HTTP check reached the server: HTTP connect: "
expect_check netpoll:basildon:intranet http.intranet 0 "HTTP OK: 200 in "
expect_check netpoll:basildon:core-sw9 http.sw9-mgmt 0 "HTTP OK: 200 in "
expect_check netpoll:basildon:core-sw9 snmp 2 "SNMP timeout:"
# Host states are judged every evaluate_interval.
i=0
while [ "$(db "select state from hosts
    where agent_id = 'netpoll:basildon:dead-web'")" != DOWN ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "dead-web is not DOWN"
	sleep 0.1
done
ok "hosts of their own; an include file's check; a device's check in its report; a dead server DOWN"

# The metrics, through the API.
api() {
	curl -sS --cacert "$T/ca.crt" -H "Authorization: Bearer $reader" \
	    "$URL$1"
}
api /api/v1/hosts/portal > "$T/portal.json"
metric() {
	jq -r ".metrics[] | select(.name == \"$2\" and .labels.check == \"$3\")
	    | .value" "$1"
}
between "$(metric "$T/portal.json" http.response_time_s portal-ok)" \
    0.000001 5 || fail "portal-ok response time: $(jq .metrics "$T/portal.json")"
between "$(metric "$T/portal.json" http.cert_days_left portal-ok)" 399 400 ||
    fail "portal-ok cert_days_left"
[ "$(metric "$T/portal.json" http.status portal-500)" = 500 ] ||
    fail "portal-500 http.status"
[ "$(metric "$T/portal.json" http.response_time_s portal-slow)" = "" ] ||
    fail "a response time for a check that timed out"
api /api/v1/hosts/expiring > "$T/expiring.json"
between "$(metric "$T/expiring.json" http.cert_days_left expiring)" 4.9 5 ||
    fail "expiring cert_days_left: $(jq .metrics "$T/expiring.json")"
ok "metrics: http.response_time_s, http.status, http.cert_days_left labelled by check"

# The certificate expiring in 5 days raises the collector's cert_expiry
# alert; the one with 400 days left does not.
api '/api/v1/alerts?kind=cert_expiry' > "$T/alerts.json"
[ "$(jq -r .total "$T/alerts.json")" = 1 ] ||
    fail "cert_expiry alerts: $(cat "$T/alerts.json")"
[ "$(jq -r '.alerts[0].host' "$T/alerts.json")" = expiring ] ||
    fail "cert_expiry host: $(cat "$T/alerts.json")"
[ "$(jq -r '.alerts[0].severity' "$T/alerts.json")" = critical ] ||
    fail "cert_expiry severity"
[ "$(jq -r '.alerts[0].check' "$T/alerts.json")" = 'cert_expiry{check=expiring}' ] ||
    fail "cert_expiry check: $(cat "$T/alerts.json")"
summary=$(jq -r '.alerts[0].summary' "$T/alerts.json")
ok "collector: cert_expiry for the certificate expiring in 5 days: $summary"

# ---------------------------------------------------------------- daemon
# Every cycle runs the checks again; SIGTERM in the middle of one (the
# slow page) stops the daemon without a false report.
n0=$(db "select last_seq from hosts where agent_id = '$P'")
sed -i 's/^concurrency = 16$/concurrency = 16\ncadence = 2s/' "$T/netpoll.conf"
"$NP" -f -c "$T/netpoll.conf" > "$T/daemon.log" 2>&1 &
NP_PID=$!
at_exit 'kill $NP_PID 2>/dev/null'
i=0
while [ "$(db "select last_seq from hosts where agent_id = '$P'")" -lt \
    $((n0 + 2)) ]; do
	kill -0 "$NP_PID" 2>/dev/null || fail "daemon died: $(cat "$T/daemon.log")"
	i=$((i + 1))
	[ $i -lt 300 ] || fail "the daemon did not report portal twice"
	sleep 0.1
done
# Most of a cycle is the slow page's timeout: stop it about there.
sleep 0.3
kill -TERM "$NP_PID"
i=0
while kill -0 "$NP_PID" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "the daemon did not stop on SIGTERM"
	sleep 0.1
done
wait "$NP_PID" || fail "the daemon exited $?: $(tail -5 "$T/daemon.log")"
assert_contains "$(cat "$T/daemon.log")" "stopping"
assert_not_contains "$(cat "$T/daemon.log")" "HTTP stopped"
ok "daemon: portal reported every cycle; SIGTERM stopped it cleanly"

# --once runs as [daemon] user, as the daemon does. A host whose oldest
# spooled report that user cannot read (root left it) waits; the other
# hosts' reports are delivered all the same.
chmod 755 "$T"
chmod 644 "$T/ca.crt"
mkdir -p "$T/nb-state"
chown nobody "$T/nb-state"
cat > "$T/nb.conf" <<CONF
[daemon]
user = nobody
[netpoll]
datacentre = basildon
state_dir = $T/nb-state
timeout = 500ms
[collector]
url = $URL
ca_file = $T/ca.crt
token_file = $T/token
retry_max = 1s
[http "nb-one"]
url = https://127.0.0.1:$DEAD/
[http "nb-two"]
url = https://127.0.0.1:$DEAD/
CONF
kill "$COLLECTOR_PID"
wait "$COLLECTOR_PID" 2>/dev/null || true
run 1 "$NP" -c "$T/nb.conf" --once
restart_collector
f=$(ls "$T/nb-state/spool/nb-one" | grep '\.json$' | head -n 1)
[ -n "$f" ] && [ "$(stat -c %U "$T/nb-state/spool/nb-one/$f")" = nobody ] ||
    fail "--once did not spool as nobody: $(ls -l "$T/nb-state/spool/nb-one")"
chown root "$T/nb-state/spool/nb-one/$f"
chmod 600 "$T/nb-state/spool/nb-one/$f"
run 1 "$NP" -c "$T/nb.conf" --once
assert_contains "$OUT" "Permission denied; it and the reports after it are kept"
nb() {
	db "select count(*) from reports r join hosts h on h.id = r.host_id
	    where h.agent_id = 'netpoll:basildon:$1'"
}
[ "$(nb nb-one)" = 0 ] && [ "$(nb nb-two)" = 2 ] ||
    fail "nb-one $(nb nb-one), nb-two $(nb nb-two) reports"
[ -e "$T/nb-state/spool/nb-one/$f" ] || fail "the unreadable report was not kept"
ok "--once runs as its user; a host's unreadable spool waits, the other hosts' go"
