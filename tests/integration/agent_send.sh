#!/bin/sh
# agent_send.sh: the real ward-agent reporting to the real ward-collector
# over HTTPS with a test CA: --once, the spool while the collector is down
# and its replay in order, the collector killed again and again under a
# running agent with nothing lost or doubled, a full spool dropping oldest
# first and saying so, a report the collector refuses, wrong tokens, wrong
# CAs, insecure URLs, a second agent on one spool, and SIGHUP.
. "$top_srcdir/tests/integration/lib.sh"
require_cmd openssl
require_cmd curl
require_cmd sqlite3

make_test_ca
collector_conf "$T/collector.conf" 1
(umask 077
"$WARD_COLLECTOR" -c "$T/collector.conf" token add --role agent --name a1 \
    > "$T/token" 2>/dev/null) || fail "token add failed"
(umask 077
"$WARD_COLLECTOR" -c "$T/collector.conf" token add --role read --name r1 \
    > "$T/read-token" 2>/dev/null) || fail "token add failed"
start_collector

# agent_conf FILE STATE-DIR [EXTRA-LINES]: an agent reporting to $URL.
agent_conf() {
	mkdir -p "$2"
	cat > "$1" <<CONF
[log]
level = debug
[agent]
datacentre = southend
state_dir = $2
id_file = $2/id
cadence = 200ms
[collector]
url = $URL
ca_file = $T/ca.crt
token_file = $T/token
retry_max = 1s
timeout = 5s
${3:-}
CONF
}

db() {
	sqlite3 "$T/ward.db" "$1"
}

# seqs AGENT-ID: the agent's stored seqs in order, comma-separated.
seqs() {
	db "select group_concat(seq) from (select r.seq from reports r join
	    hosts h on h.id = r.host_id where h.agent_id = '$1' order by r.seq)"
}

maxseq() {
	db "select coalesce(max(seq), 0) from reports r join hosts h on
	    h.id = r.host_id where h.agent_id = '$1'"
}

spooled() {
	ls "$1/spool" | grep -c '\.json$' || true
}

# wait_for DESC CMD: until CMD succeeds, at most ~20 s.
wait_for() {
	desc=$1
	shift
	i=0
	while ! eval "$1"; do
		i=$((i + 1))
		[ $i -lt 200 ] || fail "timed out waiting for $desc"
		sleep 0.1
	done
}

# ---------------------------------------------------------------- --once
agent_conf "$T/a1.conf" "$T/a1"
run 0 "$WARD_AGENT" -c "$T/a1.conf" --once
assert_contains "$OUT" "report 1 delivered"
id1=$(cat "$T/a1/id")
[ "$(db "select name || '|' || datacentre || '|' || kind from hosts
    where agent_id = '$id1'")" = "$(hostname)|southend|server" ] ||
    fail "host row: $(db 'select * from hosts')"
[ "$(seqs "$id1")" = 1 ] || fail "seqs: $(seqs "$id1")"
[ "$(spooled "$T/a1")" = 0 ] || fail "the spool is not empty"
ok "--once delivers one report; the host appears with its identity"

# The token never reaches a log or the terminal.
assert_not_contains "$OUT" "$(cat "$T/token")"

# ------------------------------------------- collector down, then back
kill "$COLLECTOR_PID"
wait "$COLLECTOR_PID" 2>/dev/null || true
run 1 "$WARD_AGENT" -c "$T/a1.conf" --once
assert_contains "$OUT" "report 2 not delivered"
assert_contains "$OUT" "127.0.0.1:$PORT"
assert_contains "$OUT" "stays in the spool"
run 1 "$WARD_AGENT" -c "$T/a1.conf" --once
[ "$(spooled "$T/a1")" = 2 ] || fail "expected 2 spooled, got $(spooled "$T/a1")"
restart_collector
run 0 "$WARD_AGENT" -c "$T/a1.conf" --once
assert_contains "$OUT" "report 4 delivered (3 in all)"
[ "$(seqs "$id1")" = 1,2,3,4 ] || fail "seqs after replay: $(seqs "$id1")"
[ "$(db "select group_concat(seq) from (select seq from reports order by
    received_ms, seq)")" = 1,2,3,4 ] || fail "replayed out of order"
ok "collector down: --once exits 1 and spools; the next run replays in order"

# ------------------------------------- a refused report is dropped alone
# A report this collector will never take (schema 99) sits in the spool
# between good ones: only it is dropped, and the next report says so.
printf '{"schema":99,"agent":{"id":"%s"},"seq":5,"ts":"2026-01-01T00:00:00Z","host":{"name":"x"}}' \
    "$id1" > "$T/a1/spool/00000000000000000005-1-0.json" 2>/dev/null ||
    fail "cannot plant a bad report"
echo 5 > "$T/a1/seq"
run 0 "$WARD_AGENT" -c "$T/a1.conf" --once
assert_contains "$OUT" "schema: version 99 is not supported"
assert_contains "$OUT" "dropping the report"
[ "$(seqs "$id1")" = 1,2,3,4,6 ] || fail "seqs: $(seqs "$id1")"
run 0 "$WARD_AGENT" -c "$T/a1.conf" --once
[ "$(db "select dropped from reports r join hosts h on h.id = r.host_id
    where h.agent_id = '$id1' and seq = 7")" = 1 ] ||
    fail "report 7 does not carry dropped = 1"
[ "$(db "select dropped_total from hosts where agent_id = '$id1'")" = 1 ] ||
    fail "dropped_total is not 1"
ok "a report the collector refuses (400) is dropped alone and counted"

# ------------------------------- a spooled report its user cannot read
# --once runs as [daemon] user, as the daemon does. A spooled report that
# user cannot read (root left it) is kept, and the reports after it wait;
# once it is readable again all go, in order.
chmod 755 "$T"
chmod 644 "$T/ca.crt"
agent_conf "$T/nb.conf" "$T/nb" "[daemon]
user = nobody"
chown nobody "$T/nb"
run 0 "$WARD_AGENT" -c "$T/nb.conf" --once
idn=$(cat "$T/nb/id")
[ "$(stat -c %U "$T/nb/seq")" = nobody ] || fail "--once did not run as nobody"
kill "$COLLECTOR_PID"
wait "$COLLECTOR_PID" 2>/dev/null || true
run 1 "$WARD_AGENT" -c "$T/nb.conf" --once
restart_collector
f=$(ls "$T/nb/spool" | grep '\.json$')
chown root "$T/nb/spool/$f"
chmod 600 "$T/nb/spool/$f"
run 1 "$WARD_AGENT" -c "$T/nb.conf" --once
assert_contains "$OUT" "$f: Permission denied; it and the reports after it are kept"
[ "$(spooled "$T/nb")" = 2 ] && [ -e "$T/nb/spool/$f" ] || fail "the unreadable report was not kept"
[ "$(seqs "$idn")" = 1 ] || fail "seqs with one unreadable: $(seqs "$idn")"
chown nobody "$T/nb/spool/$f"
run 0 "$WARD_AGENT" -c "$T/nb.conf" --once
[ "$(seqs "$idn")" = 1,2,3,4 ] || fail "seqs once readable: $(seqs "$idn")"
ok "a spooled report the agent's user cannot read: kept, the rest wait, all sent once it is readable"

# The sequence file is lost but the id is not: the agent must not number
# from 1 again, or its reports would be taken for replays and dropped.
rm "$T/a1/seq"
run 0 "$WARD_AGENT" -c "$T/a1.conf" --once
assert_contains "$OUT" "numbering reports from"
s=$(cat "$T/a1/seq")
[ "$s" -gt 1700000000 ] || fail "seq restarted at $s"
[ "$(db "select count(*) from reports r join hosts h on h.id = r.host_id
    where h.agent_id = '$id1' and seq = $s")" = 1 ] || fail "report $s not stored"
ok "a lost sequence file: numbering continues from the clock, the report is stored"

# A damaged one likewise, and the agent goes on.
echo garbage > "$T/a1/seq"
run 0 "$WARD_AGENT" -c "$T/a1.conf" --once
assert_contains "$OUT" "seq: not a sequence number"
s=$(cat "$T/a1/seq")
[ "$s" -gt 1700000000 ] || fail "seq after a damaged file: $s"
ok "a damaged sequence file: numbering from the clock, the report stored"

# ----------------------------------------------------- wrong credentials
printf 'ward_not-a-real-token-at-all-but-long-enough-xx\n' > "$T/bad-token"
chmod 600 "$T/bad-token"
agent_conf "$T/a2.conf" "$T/a2"
sed -i "s|^token_file = .*|token_file = $T/bad-token|" "$T/a2.conf"
run 1 "$WARD_AGENT" -c "$T/a2.conf" --once
assert_contains "$OUT" "401: invalid or revoked token"
assert_not_contains "$OUT" "ward_not-a-real-token"
[ "$(spooled "$T/a2")" = 1 ] || fail "the refused report was not kept"
sed -i "s|^token_file = .*|token_file = $T/read-token|" "$T/a2.conf"
run 1 "$WARD_AGENT" -c "$T/a2.conf" --once
assert_contains "$OUT" "403"
assert_contains "$OUT" "needs the agent or admin role"
[ "$(spooled "$T/a2")" = 2 ] || fail "the refused reports were not kept"
ok "a bad or read-only token: 401/403 named, the token never shown, reports kept"

chmod 644 "$T/bad-token"
sed -i "s|^token_file = .*|token_file = $T/bad-token|" "$T/a2.conf"
run 1 "$WARD_AGENT" -n -c "$T/a2.conf"
assert_contains "$OUT" "$T/bad-token"
assert_not_contains "$OUT" "ward_not-a-real-token"
ok "a token file others can read is refused"

# -n finds what the sender would fail on at each report: a token file of
# two lines, a CA file that is not there, a URL with no host; each at
# its line.
printf 'ward_not-a-real-token-at-all-but-long-enough-xx\nsecond line\n' > "$T/two-token"
chmod 600 "$T/two-token"
agent_conf "$T/a5.conf" "$T/a5"
sed -i "s|^token_file = .*|token_file = $T/two-token|" "$T/a5.conf"
run 1 "$WARD_AGENT" -n -c "$T/a5.conf"
assert_contains "$OUT" "a5.conf:11: [collector] token_file: the token holds a space or a line break"
assert_not_contains "$OUT" "ward_not-a-real-token"
agent_conf "$T/a5.conf" "$T/a5"
sed -i "s|^ca_file = .*|ca_file = $T/no-such-ca.crt|" "$T/a5.conf"
run 1 "$WARD_AGENT" -n -c "$T/a5.conf"
assert_contains "$OUT" "a5.conf:10: [collector] ca_file $T/no-such-ca.crt: No such file or directory"
agent_conf "$T/a5.conf" "$T/a5"
sed -i "s|^url = .*|url = https://|" "$T/a5.conf"
run 1 "$WARD_AGENT" -n -c "$T/a5.conf"
assert_contains "$OUT" 'a5.conf:9: [collector] url "https://": no host'
ok "-n: a token of two lines, a missing CA file, a URL without a host; each at its line"

# A CA that did not sign the collector's certificate.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/other.key" -out "$T/other.crt" -subj "/CN=other CA" \
    -days 2 2>/dev/null
agent_conf "$T/a3.conf" "$T/a3"
sed -i "s|^ca_file = .*|ca_file = $T/other.crt|" "$T/a3.conf"
run 1 "$WARD_AGENT" -c "$T/a3.conf" --once
assert_contains "$OUT" "certificate"
[ "$(spooled "$T/a3")" = 1 ] || fail "the report was not kept"
ok "a collector certificate that does not verify is an error, reports kept"

# The collector's own certificate given as the CA: it is a leaf signed by
# the test CA, not a trust anchor, and is refused as such.
sed -i "s|^ca_file = .*|ca_file = $T/server.crt|" "$T/a3.conf"
run 1 "$WARD_AGENT" -c "$T/a3.conf" --once
assert_contains "$OUT" "certificate"
[ "$(spooled "$T/a3")" = 2 ] || fail "the report was not kept"
ok "the server's own leaf certificate as ca_file is not a CA: refused"

agent_conf "$T/a4.conf" "$T/a4"
sed -i "s|^url = .*|url = http://10.1.2.3:8443|" "$T/a4.conf"
run 1 "$WARD_AGENT" -n -c "$T/a4.conf"
assert_contains "$OUT" "plain http:// is only allowed to a loopback address"
sed -i "s|^url = .*|url = ftp://127.0.0.1/|" "$T/a4.conf"
run 1 "$WARD_AGENT" -n -c "$T/a4.conf"
assert_contains "$OUT" "use https://"
agent_conf "$T/a5.conf" "$T/a5"
sed -i '/^url = /d' "$T/a5.conf"
run 1 "$WARD_AGENT" -f -c "$T/a5.conf"
assert_contains "$OUT" "[collector] url is not set"
ok "insecure or missing URLs are configuration errors"

# ------------------------------- the daemon, with the collector killed
agent_conf "$T/d.conf" "$T/d"
"$WARD_AGENT" -f -c "$T/d.conf" 2> "$T/d.log" &
AGENT_PID=$!
at_exit 'kill $AGENT_PID 2>/dev/null'
wait_for "the daemon's first report" '[ -s "$T/d/id" ] && [ -n "$(seqs "$(cat "$T/d/id")")" ]'
idd=$(cat "$T/d/id")

run 1 "$WARD_AGENT" -c "$T/d.conf" --once
assert_contains "$OUT" "in use by another ward-agent"
ok "a second agent cannot share the running agent's spool"

for round in 1 2 3 4; do
	sleep 0.7
	kill -KILL "$COLLECTOR_PID"
	wait "$COLLECTOR_PID" 2>/dev/null || true
	sleep 0.8
	restart_collector
done
sleep 0.5
kill -TERM "$AGENT_PID"
wait "$AGENT_PID" || fail "the agent did not stop cleanly: $(tail -5 "$T/d.log")"
# Whatever it could not send yet is delivered by the next run.
run 0 "$WARD_AGENT" -c "$T/d.conf" --once
last=$(cat "$T/d/seq")
[ "$last" -gt 8 ] || fail "only $last reports in about 7 s"
want=$(seq -s, 1 "$last")
[ "$(seqs "$idd")" = "$want" ] ||
    fail "stored seqs $(seqs "$idd"), expected 1..$last"
[ "$(db "select count(*) from reports r join hosts h on h.id = r.host_id
    where h.agent_id = '$idd'")" = "$last" ] || fail "a report stored twice"
assert_contains "$(cat "$T/d.log")" "accepts reports again"
assert_not_contains "$(cat "$T/d.log")" "$(cat "$T/token")"
ok "collector SIGKILLed 4 times under a running agent: all $last reports stored once, in order"

# ------------------------------------------ a full spool drops the oldest
kill "$COLLECTOR_PID"
wait "$COLLECTOR_PID" 2>/dev/null || true
agent_conf "$T/f.conf" "$T/f" "[spool]
max_size = 64k"
"$WARD_AGENT" -f -c "$T/f.conf" 2> "$T/f.log" &
AGENT_PID=$!
wait_for "the spool to overflow" 'grep -q "full (max_size)" "$T/f.log"'
wait_for "more drops" '[ "$(cat "$T/f/seq" 2>/dev/null || echo 0)" -gt 25 ]'
[ "$(du -sb "$T/f/spool" | cut -f1)" -le $((64 * 1024 + 8192)) ] ||
    fail "the spool outgrew max_size: $(du -sb "$T/f/spool")"
restart_collector
# Drained, and the report telling of the last drops delivered too.
wait_for "the spool to drain" '[ "$(spooled "$T/f")" = 0 ] && [ "$(cat "$T/f/spool/dropped")" = 0 ]'
kill -TERM "$AGENT_PID"
wait "$AGENT_PID" || true
idf=$(cat "$T/f/id")
stored=$(db "select count(*) from reports r join hosts h on h.id = r.host_id
    where h.agent_id = '$idf'")
last=$(db "select max(seq) from reports r join hosts h on h.id = r.host_id
    where h.agent_id = '$idf'")
dropped=$(db "select dropped_total from hosts where agent_id = '$idf'")
first=$(db "select min(seq) from reports r join hosts h on h.id = r.host_id
    where h.agent_id = '$idf'")
[ "$first" -gt 1 ] || fail "the oldest reports were not the ones dropped"
[ "$((stored + dropped))" = "$last" ] ||
    fail "stored $stored + dropped $dropped != $last reports made"
[ "$(seqs "$idf")" = "$(seq -s, "$first" "$last")" ] ||
    fail "gaps after the dropped ones: $(seqs "$idf")"
ok "a full spool dropped the $dropped oldest; the collector was told exactly that"

# --------------------------------------------------------------- SIGHUP
sed -i "s|^token_file = .*|token_file = $T/read-token|" "$T/d.conf"
"$WARD_AGENT" -f -c "$T/d.conf" 2> "$T/h.log" &
AGENT_PID=$!
wait_for "a 403" 'grep -q "403" "$T/h.log"'
before=$(maxseq "$idd")
sed -i "s|^token_file = .*|token_file = $T/token|" "$T/d.conf"
kill -HUP "$AGENT_PID"
wait_for "delivery after reload" '[ "$(maxseq "$idd")" -gt "$before" ]'
assert_contains "$(cat "$T/h.log")" "configuration reloaded"
printf '[agent\n' >> "$T/d.conf"
kill -HUP "$AGENT_PID"
wait_for "the bad reload to be refused" 'grep -q "keeping the running configuration" "$T/h.log"'
kill -0 "$AGENT_PID" || fail "a bad reload killed the agent"
kill -TERM "$AGENT_PID"
wait "$AGENT_PID" || fail "the agent did not stop cleanly"
ok "SIGHUP applies a fixed token; a broken file keeps the running configuration"
