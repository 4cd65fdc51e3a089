#!/bin/sh
# agent_print.sh: ward-agent --print on this machine writes one valid report
# (schema 1) naming this host, its root filesystem and its CPU count; and
# without --print the agent refuses to start without a collector to send to.
. "$top_srcdir/tests/integration/lib.sh"
require_cmd sqlite3

cat > "$T/agent.conf" <<CONF
[agent]
datacentre = basildon
state_dir = $T
id_file = $T/id
CONF

run 0 "$WARD_AGENT" -c "$T/agent.conf" --print
printf '%s\n' "$OUT" > "$T/r.json"
q() {
	sqlite3 :memory: "select $1 from (select readfile('$T/r.json') as j)"
}
[ "$(q 'json_valid(j)')" = 1 ] || fail "not JSON: $OUT"
[ "$(q "json_extract(j, '\$.schema')")" = 1 ] || fail "schema is not 1"
[ "$(q "json_extract(j, '\$.seq')")" = 1 ] || fail "seq is not 1"
[ "$(q "json_extract(j, '\$.host.name')")" = "$(hostname)" ] ||
    fail "host.name is not $(hostname)"
[ "$(q "json_extract(j, '\$.host.datacentre')")" = basildon ] ||
    fail "no datacentre"
[ "$(q "json_extract(j, '\$.host.kind')")" = server ] || fail "no kind"
id=$(q "json_extract(j, '\$.agent.id')")
[ "$id" = "$(cat "$T/id")" ] || fail "agent.id $id is not the saved id"
case $id in
????????????????????????????????) ;;
*) fail "agent.id $id is not 32 characters" ;;
esac
ts=$(q "json_extract(j, '\$.ts')")
case $ts in
20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z) ;;
*) fail "ts $ts is not ISO-8601 UTC" ;;
esac
metric() {
	q "(select json_extract(m.value, '\$.value') from json_each(j, '\$.metrics') m
	    where json_extract(m.value, '\$.name') = '$1' ${2:-})"
}
[ "$(metric cpu.count)" = "$(nproc --all)" ] ||
    fail "cpu.count $(metric cpu.count), nproc --all says $(nproc --all)"
[ -n "$(metric fs.size_bytes "and json_extract(m.value, '\$.labels.mount') = '/'")" ] ||
    fail "no fs.size_bytes for /"
[ -n "$(metric cpu.util)" ] || fail "no cpu.util (--print samples twice)"
[ -n "$(metric mem.used_pct)" ] || fail "no mem.used_pct"
[ -n "$(metric load.1)" ] || fail "no load.1"
[ -n "$(metric procs.count)" ] || fail "no procs.count"
[ "$(q "(select count(*) from json_each(j, '\$.interfaces') i
    where json_extract(i.value, '\$.name') = 'lo')")" = 1 ] ||
    fail "no interface lo"
for a in $(hostname -I 2>/dev/null); do
	[ "$(q "(select count(*) from json_each(j, '\$.host.addresses') a
	    where a.value = '$a')")" = 1 ] ||
	    fail "address $a (hostname -I) not in host.addresses"
done
ok "--print: a valid report for $(hostname)"

# The id is kept; --print does not advance the sequence.
run 0 "$WARD_AGENT" -c "$T/agent.conf" --print
printf '%s\n' "$OUT" > "$T/r.json"
[ "$(q "json_extract(j, '\$.agent.id')")" = "$id" ] || fail "the id changed"
echo 41 > "$T/seq"
run 0 "$WARD_AGENT" -c "$T/agent.conf" --print
printf '%s\n' "$OUT" > "$T/r.json"
[ "$(q "json_extract(j, '\$.seq')")" = 42 ] || fail "seq is not 42"
[ "$(cat "$T/seq")" = 41 ] || fail "--print wrote the sequence number"
ok "--print: the id is kept, the sequence number is read, not written"

# Without --print the agent sends, and says what it lacks for that before
# it would detach.
run 1 "$WARD_AGENT" -c "$T/agent.conf"
assert_contains "$OUT" "[collector] url is not set"
ok "without --print and without a collector: a clear error (1)"

# A check name the collector would reject is a config error.
printf '[check "bad name"]\ncommand = /bin/true\n' > "$T/badcheck.conf"
run 1 "$WARD_AGENT" -n -c "$T/badcheck.conf"
assert_contains "$OUT" "$T/badcheck.conf: line 1: [check \"bad name\"]"
printf '[check "x"]\ncommand = check_disk | head\n' > "$T/badcmd.conf"
run 1 "$WARD_AGENT" -n -c "$T/badcmd.conf"
assert_contains "$OUT" "[check \"x\"] command: unquoted '|'"
printf '[log]\nlevel = info\n[daemon]\nuser = no-such-user-ward\n' > "$T/baduser.conf"
run 1 "$WARD_AGENT" -n -c "$T/baduser.conf"
assert_contains "$OUT" "$T/baduser.conf:4: [daemon] user: user \"no-such-user-ward\" does not exist"
ok "bad check names, commands and a user that does not exist are config errors"

# An argument the agent takes none of ("once" for "--once"): a usage error.
run 2 "$WARD_AGENT" -n -c "$T/agent.conf" once
assert_contains "$OUT" 'ward-agent: unexpected argument "once"'
ok "a stray argument is a usage error (2)"
