#!/bin/sh
# agent_checks.sh: ward-agent runs Debian's monitoring-plugins and reports
# their state, output and perfdata; a missing plugin and a hanging one are
# UNKNOWN with the reason.
. "$top_srcdir/tests/integration/lib.sh"
require_cmd sqlite3
P=/usr/lib/nagios/plugins
[ -x "$P/check_dummy" ] && [ -x "$P/check_disk" ] ||
    skip "monitoring-plugins-basic is not installed (./quickstart installs it)"

cat > "$T/hang" <<'SH'
#!/bin/sh
sleep 60
SH
chmod 755 "$T/hang"
cat > "$T/agent.conf" <<CONF
[agent]
state_dir = $T
id_file = $T/id

[check "dummy"]
command = $P/check_dummy 1 "hello"

[check "disk_root"]
command = $P/check_disk -w 1% -c 1% -p /

[check "missing"]
command = $P/check_no_such_plugin -w 1

[check "hang"]
command = $T/hang
timeout = 1s
CONF

run 0 "$WARD_AGENT" -c "$T/agent.conf" --print
printf '%s\n' "$OUT" > "$T/r.json"
q() {
	sqlite3 :memory: "select $1 from (select readfile('$T/r.json') as j)"
}
check() {
	q "(select json_extract(c.value, '\$.$2') from json_each(j, '\$.checks') c
	    where json_extract(c.value, '\$.name') = '$1')"
}
[ "$(q 'json_valid(j)')" = 1 ] || fail "not JSON: $OUT"

[ "$(check dummy status)" = 1 ] || fail "dummy: status $(check dummy status)"
[ "$(check dummy output)" = "WARNING: hello" ] ||
    fail "dummy: output $(check dummy output)"
ok "check_dummy 1 hello: WARNING, its output"

st=$(check disk_root status)
case $st in
0|1|2) ;;
*) fail "check_disk: status '$st', output $(check disk_root output)" ;;
esac
assert_contains "$(check disk_root perfdata)" "/="
n=$(q "(select count(*) from json_each(j, '\$.metrics') m
    where json_extract(m.value, '\$.name') like 'check.disk_root.%'
    and json_extract(m.value, '\$.labels.label') = '/')")
[ "$n" = 1 ] || fail "check_disk: $n perfdata metrics for /"
ok "check_disk on /: status $st, perfdata as metrics"

[ "$(check missing status)" = 3 ] || fail "missing: status $(check missing status)"
[ "$(check missing output)" = "cannot run $P/check_no_such_plugin: No such file or directory" ] ||
    fail "missing: output $(check missing output)"
ok "a missing plugin: UNKNOWN, cannot run, why"

[ "$(check hang status)" = 3 ] || fail "hang: status $(check hang status)"
[ "$(check hang output)" = "timed out after 1s" ] ||
    fail "hang: output $(check hang output)"
pgrep -f "$T/hang" >/dev/null 2>&1 && fail "the hanging plugin still runs"
ok "a hanging plugin: UNKNOWN, timed out, killed"
