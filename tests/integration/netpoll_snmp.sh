#!/bin/sh
# netpoll_snmp.sh: ward-netpoll against real SNMP agents on loopback:
# Debian's snmpd (v2c and a v3 authPriv user) and snmpsim serving Debian's
# recordings (a Cisco 3750 stack, a Linksys router), a UPS-MIB recording of
# our own and a slow device. Each failure is its own, distinct outcome;
# a dead device costs its own timeouts while the rest finish; and --once
# delivers every device to the real collector, which shows model, serial,
# firmware and interfaces.
. "$top_srcdir/tests/integration/lib.sh"
require_cmd snmpd
require_cmd snmpsimd
require_cmd snmpget
require_cmd openssl
require_cmd curl
require_cmd sqlite3

NP=$WARD_NETPOLL
SIMDATA=/usr/share/doc/snmpsim/examples/data
[ -f "$SIMDATA/cisco_16_switch.snmprec.gz" ] ||
    skip "snmpsim's example recordings are not installed"

free_port() {
	echo $(( ($(od -An -N2 -tu2 /dev/urandom) % 20000) + 30000 ))
}

# wait_snmp PORT COMMUNITY: until the agent answers sysName.
wait_snmp() {
	i=0
	while ! snmpget -v2c -c "$2" -t 1 -r 0 "127.0.0.1:$1" \
	    1.3.6.1.2.1.1.5.0 >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 60 ] || fail "no SNMP agent on port $1 with $2"
		sleep 0.5
	done
}

# stop_snmpd DIR: by snmpd's own pid file (faketime runs snmpd as its
# child). snmpd writes its state as it exits; wait for that before the
# directory goes.
stop_snmpd() {
	p=$(cat "$T/$1/pid" 2>/dev/null) || return 0
	kill "$p" 2>/dev/null || return 0
	i=0
	while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

# ---------------------------------------------------------------- snmpd
SNMPD_PORT=$(free_port)
mkdir -p "$T/snmpd/persist"
cat > "$T/snmpd/snmpd.conf" <<CONF
agentAddress udp:127.0.0.1:$SNMPD_PORT
rocommunity s3cret-ro 127.0.0.1
createUser wardv3 SHA "authPass123" AES "privPass123"
rouser wardv3 priv
CONF
MIBS=: snmpd -f -Lf "$T/snmpd/log" -I -smux,mteTrigger,mteTriggerConf -C \
    -c "$T/snmpd/snmpd.conf" --persistentDir="$T/snmpd/persist" \
    -p "$T/snmpd/pid" &
at_exit 'stop_snmpd snmpd'
wait_snmp "$SNMPD_PORT" s3cret-ro

# ---------------------------------------------------------------- snmpsim
# As root snmpsim drops to nobody, who must read the data and write the
# index cache.
SIM=$T/sim
mkdir -p "$SIM/data" "$SIM/cache"
zcat "$SIMDATA/cisco_16_switch.snmprec.gz" > "$SIM/data/cisco16.snmprec"
cp "$SIMDATA/recorded/linksys-system.snmprec" "$SIM/data/linksys.snmprec"
cp "$top_srcdir/tests/data/snmp/ups_rfc1628.snmprec" "$SIM/data/ups.snmprec"
cp "$top_srcdir/tests/data/snmp/slow.snmprec" "$SIM/data/slow.snmprec"
cp "$top_srcdir/tests/data/snmp/arista_7050_sensors.snmprec" \
    "$SIM/data/arista.snmprec"
cp "$top_srcdir/tests/data/snmp/windows_hrsw1.snmprec" "$SIM/data/hrsw1.snmprec"
cp "$top_srcdir/tests/data/snmp/windows_hrsw2.snmprec" "$SIM/data/hrsw2.snmprec"
sim_user=""
if [ "$(id -u)" = 0 ]; then
	chmod 711 "$T"
	chmod -R a+rX "$SIM"
	chown nobody "$SIM/cache"
	sim_user="--process-user=nobody --process-group=nogroup"
fi
SIM_PORT=$(free_port)
# shellcheck disable=SC2086
snmpsimd --data-dir="$SIM/data" --cache-dir="$SIM/cache" \
    --agent-udpv4-endpoint="127.0.0.1:$SIM_PORT" $sim_user \
    --variation-modules-dir=/usr/share/snmpsim/variation \
    --logging-method=file:"$SIM/log" > "$SIM/out" 2>&1 &
SIM_PID=$!
at_exit 'kill $SIM_PID 2>/dev/null'
wait_snmp "$SIM_PORT" cisco16
wait_snmp "$SIM_PORT" ups

# A port where nothing listens: bind it, then free it.
DEAD_PORT=$(free_port)

umask 077
cat > "$T/secrets" <<SEC
[community "core"]
community = s3cret-ro
[community "wrong"]
community = not-the-community
[community "sim-cisco"]
community = cisco16
[community "sim-ups"]
community = ups
[community "sim-linksys"]
community = linksys
[community "sim-slow"]
community = slow
[usm "ops"]
user = wardv3
auth_protocol = sha
auth_passphrase = authPass123
priv_protocol = aes
priv_passphrase = privPass123
[usm "badauth"]
user = wardv3
auth_passphrase = wrongAuth123
priv_passphrase = privPass123
[usm "badpriv"]
user = wardv3
auth_passphrase = authPass123
priv_passphrase = wrongPriv123
[usm "stranger"]
user = nobody-here
auth_passphrase = authPass123
priv_passphrase = privPass123
SEC
umask 022

# ---------------------------------------------------------------- probe
# probe SPEC...: runs ward-netpoll probe, keeps the JSON in $T/probe.json.
probe() {
	set +e
	"$NP" --secrets "$T/secrets" "$@" > "$T/probe.json" 2> "$T/probe.err"
	PROBE_RC=$?
	set -e
}
check_output() {
	jq -r '.checks[] | select(.name == "snmp") | .output' "$T/probe.json"
}

probe probe "snmp://cisco16@127.0.0.1:$SIM_PORT"
[ $PROBE_RC = 0 ] || fail "probe cisco16: $(cat "$T/probe.err")"
[ "$(jq -r .host.model "$T/probe.json")" = WS-C3750-48PS-S ] ||
    fail "cisco16 model: $(jq .host "$T/probe.json")"
[ "$(jq -r .host.serial "$T/probe.json")" = CAT0952N20R ] ||
    fail "cisco16 serial (chassis 3001, not index 1)"
[ "$(jq -r .host.firmware.version "$T/probe.json")" = "12.2(55)SE10" ] ||
    fail "cisco16 firmware"
[ "$(jq -r .host.firmware.family "$T/probe.json")" = cisco-ios ] ||
    fail "cisco16 family"
n=$(jq '.interfaces | length' "$T/probe.json")
[ "$n" -ge 50 ] || fail "cisco16: $n interfaces"
assert_not_contains "$(cat "$T/probe.json")" "cisco16"
ok "probe: the Cisco stack's chassis model, serial, firmware, $n interfaces"

probe --credentials sim-cisco probe "snmpv1://127.0.0.1:$SIM_PORT"
[ $PROBE_RC = 0 ] && [ "$(jq -r .host.serial "$T/probe.json")" = CAT0952N20R ] ||
    fail "SNMPv1 (GETNEXT) probe: $(check_output)"
ok "probe: SNMPv1 walks with GETNEXT"

probe probe "snmp://ups@127.0.0.1:$SIM_PORT"
[ $PROBE_RC = 0 ] || fail "probe ups"
[ "$(jq -r .host.kind "$T/probe.json")" = ups ] ||
    fail "ups kind: $(cat "$T/probe.json" "$T/probe.err")"
[ "$(jq -r .host.model "$T/probe.json")" = "5PX 3000" ] || fail "ups model"
[ "$(jq '.metrics[] | select(.name == "ups.runtime_s") | .value' \
    "$T/probe.json")" = 2820 ] || fail "ups runtime"
[ "$(jq '.checks[] | select(.name == "ups.output") | .status' \
    "$T/probe.json")" = 0 ] || fail "ups output check"
ok "probe: UPS-MIB battery, runtime, output"

# ENTITY-SENSOR-MIB: readings in their units (scale and precision applied),
# named by their entity (entPhysicalName, else entPhysicalDescr); a sensor
# that says it does not work is a WARNING.
probe probe "snmp://arista@127.0.0.1:$SIM_PORT"
[ $PROBE_RC = 0 ] || fail "probe arista: $(cat "$T/probe.err")"
sensor() {	# METRIC SENSOR-NAME
	jq -r --arg m "$1" --arg s "$2" '.metrics[] |
	    select(.name == $m and .labels.sensor == $s) |
	    "\(.value) \(.unit)"' "$T/probe.json"
}
[ "$(sensor sensor.temperature_c "Cpu temp sensor")" = "45.2 C" ] ||
    fail "temperature: $(jq -c .metrics "$T/probe.json")"
[ "$(sensor sensor.fan_rpm "Fan Tray 1 Fan 1 Sensor 1")" = "7200 rpm" ] ||
    fail "fan"
[ "$(sensor sensor.voltage_ac_v "PowerSupply1 input voltage")" = "231 V" ] ||
    fail "voltage"
[ "$(sensor sensor.current_a "PowerSupply1 output current")" = "15.5 A" ] ||
    fail "current (milli)"
[ "$(sensor sensor.power_w "PowerSupply1 output power")" = "186.2 W" ] ||
    fail "power (one decimal place)"
[ -z "$(sensor sensor.temperature_c "Rear temp sensor")" ] ||
    fail "a nonoperational sensor's reading was reported"
[ "$(jq -r '.checks[] | select(.name == "sensors") |
    "\(.status) \(.output)"' "$T/probe.json")" = \
    "1 1 of 6 sensors not working: Rear temp sensor" ] ||
    fail "sensors check: $(jq -c .checks "$T/probe.json")"
[ "$(jq -r .host.model "$T/probe.json")" = DCS-7050SX3-48YC8 ] ||
    fail "arista model"
ok "probe: ENTITY-SENSOR-MIB temperature, fan, voltage, current, power; a broken sensor is a WARNING"

probe probe "snmp://linksys@127.0.0.1:$SIM_PORT"
[ $PROBE_RC = 0 ] || fail "probe linksys"
assert_contains "$(check_output)" "unrecognised device (sysObjectID 1.3.6.1.4.1.3955.1.1)"
ok "probe: an unrecognised device is reported, saying so"

probe --credentials ops probe "snmpv3://wardv3@127.0.0.1:$SNMPD_PORT"
[ $PROBE_RC = 0 ] || fail "v3 authPriv: $(check_output)"
[ "$(jq -r .host.os.id "$T/probe.json")" = linux ] || fail "snmpd os"
assert_contains "$(jq -r '.metrics[].name' "$T/probe.json")" "mem.total_bytes"
ok "probe: SNMPv3 authPriv (SHA/AES) against snmpd, HOST-RESOURCES-MIB"

# Each failure, its own outcome; never the secret.
expect_failure() {
	want=$1
	shift
	probe "$@"
	[ $PROBE_RC = 1 ] || fail "$*: exit $PROBE_RC"
	out=$(check_output)
	assert_contains "$out" "SNMP $want:"
	[ "$(jq '.checks[] | select(.name == "snmp") | .status' \
	    "$T/probe.json")" = 2 ] || fail "$*: not CRITICAL"
	assert_not_contains "$(cat "$T/probe.json" "$T/probe.err")" "Pass123"
	assert_not_contains "$(cat "$T/probe.json" "$T/probe.err")" "not-the-comm"
	ok "probe: $want: $out"
}
expect_failure community --credentials wrong probe "snmp://127.0.0.1:$SNMPD_PORT"
expect_failure auth --credentials badauth probe "snmpv3://127.0.0.1:$SNMPD_PORT"
expect_failure decryption --credentials badpriv probe "snmpv3://127.0.0.1:$SNMPD_PORT"
expect_failure unknown-user --credentials stranger probe "snmpv3://127.0.0.1:$SNMPD_PORT"
expect_failure timeout --credentials core probe "snmp://127.0.0.1:$DEAD_PORT"

run 1 "$NP" probe "ftp://127.0.0.1/"
assert_contains "$OUT" "use snmp://"
run 1 "$NP" probe "snmpv3://ops@127.0.0.1:$SNMPD_PORT"
assert_contains "$OUT" "no [usm] entry"

# ---------------------------------------------------------------- --once
make_test_ca
collector_conf "$T/collector.conf" 1
(umask 077
"$WARD_COLLECTOR" -c "$T/collector.conf" token add --role agent --name np \
    > "$T/token" 2>/dev/null) || fail "token add failed"
start_collector

cat > "$T/netpoll.conf" <<CONF
[log]
level = debug
[netpoll]
datacentre = basildon
state_dir = $T/state
secrets_file = $T/secrets
include_dir = $T/netpoll.d
timeout = 1s
concurrency = 8
[collector]
url = $URL
ca_file = $T/ca.crt
token_file = $T/token
retry_max = 1s
[device "core-sw1"]
address = 127.0.0.1
port = $SIM_PORT
credentials = sim-cisco
[device "ups-a"]
address = 127.0.0.1
port = $SIM_PORT
credentials = sim-ups
datacentre = southend
[device "srv-snmpd"]
address = 127.0.0.1
port = $SNMPD_PORT
version = 3
credentials = ops
[device "dead-sw"]
address = 127.0.0.1
port = $DEAD_PORT
credentials = core
kind = switch
CONF
mkdir -p "$T/netpoll.d"
cat > "$T/netpoll.d/edge.conf" <<CONF
[device "gw-linksys"]
address = 127.0.0.1
port = $SIM_PORT
credentials = sim-linksys
[device "slow-srv"]
address = 127.0.0.1
port = $SIM_PORT
credentials = sim-slow
timeout = 3s
CONF
run 0 "$NP" -n -c "$T/netpoll.conf"

set +e
"$NP" -c "$T/netpoll.conf" --once > "$T/once.log" 2>&1
rc=$?
set -e
[ $rc = 0 ] || fail "--once exited $rc: $(cat "$T/once.log")"
assert_contains "$(cat "$T/once.log")" "6 device reports delivered"

# The dead device costs its own timeouts: the live ones finished first.
order=$(sed -n 's/.*ward-netpoll\[[0-9]*\]: \([a-z0-9-]*\): .*/\1/p' \
    "$T/once.log" | tr '\n' ' ')
case $order in
*dead-sw*) ;;
*) fail "no line for dead-sw in: $order" ;;
esac
for dev in core-sw1 ups-a srv-snmpd gw-linksys; do
	case $order in
	*"$dev"*dead-sw*) ;;
	*) fail "$dev did not finish before dead-sw: $order" ;;
	esac
done
ok "--once: six devices in parallel; the dead one finished last ($order)"

db() {
	sqlite3 "$T/ward.db" "$1"
}
[ "$(db "select model || '|' || serial || '|' || fw_product || '|' ||
    fw_version || '|' || kind || '|' || datacentre from hosts
    where agent_id = 'netpoll:basildon:core-sw1'")" = \
    "WS-C3750-48PS-S|CAT0952N20R|Cisco IOS|12.2(55)SE10|switch|basildon" ] ||
    fail "core-sw1 in the collector: $(db "select * from hosts")"
n=$(db "select count(*) from interfaces i join hosts h on h.id = i.host_id
    where h.agent_id = 'netpoll:basildon:core-sw1'")
[ "$n" -ge 50 ] || fail "core-sw1 has $n interfaces in the collector"
[ "$(db "select kind || '|' || model from hosts
    where agent_id = 'netpoll:southend:ups-a'")" = "ups|5PX 3000" ] ||
    fail "ups-a in the collector"
[ "$(db "select c.status from checks c join hosts h on h.id = c.host_id
    where h.agent_id = 'netpoll:basildon:dead-sw' and c.name = 'snmp'")" = 2 ] ||
    fail "dead-sw is not reported down"
[ "$(db "select c.status from checks c join hosts h on h.id = c.host_id
    where h.agent_id = 'netpoll:basildon:slow-srv' and c.name = 'snmp'")" = 0 ] ||
    fail "the slow device within its timeout is not OK"
ok "collector: core-sw1 with model, serial, firmware and $n interfaces; ups-a; dead-sw down; slow-srv up"

# A second run: each device's seq moves on by one, its own.
s1=$(db "select last_seq from hosts where agent_id = 'netpoll:basildon:core-sw1'")
run 0 "$NP" -c "$T/netpoll.conf" --once
s2=$(db "select last_seq from hosts where agent_id = 'netpoll:basildon:core-sw1'")
[ "$s2" = $((s1 + 1)) ] || fail "core-sw1 seq $s1 then $s2"
[ "$(db "select count(*) from reports")" = 12 ] || fail "not 12 reports"
ok "--once again: per-device sequence numbers, nothing doubled"

# Installed software (hrSWInstalled): Debian's snmpd lists the dpkg
# database but has no hrSWInstalledLastChange, so its table is walked on
# the first poll and then once a day, not on every poll.
sw_of() {	# sw_of DEVICE: "COUNT|SOFTWARE_MS" in the collector
	db "select (select count(*) from software s where s.host_id = h.id)
	    || '|' || ifnull(h.software_ms, 'null') from hosts h
	    where h.agent_id = 'netpoll:basildon:$1'"
}
sw1=$(sw_of srv-snmpd)
[ "${sw1%%|*}" -gt 100 ] || fail "srv-snmpd software: $sw1"
db "select s.name from software s join hosts h on h.id = s.host_id
    where h.agent_id = 'netpoll:basildon:srv-snmpd'" | grep -q '^snmpd_' ||
    fail "snmpd is not among srv-snmpd's software"
[ "$(sw_of core-sw1)" = "0|null" ] ||
    fail "a switch without HOST-RESOURCES-MIB has a software list"
[ -f "$T/state/software/srv-snmpd" ] || fail "no software state kept"
[ "$(sw_of srv-snmpd)" = "$sw1" ] || fail "the table was walked again"
ok "software: snmpd's dpkg list (${sw1%%|*} packages) walked once, not on the next poll"

# The collector away: --once fails, the reports wait, and are delivered.
kill "$COLLECTOR_PID"
wait "$COLLECTOR_PID" 2>/dev/null || true
run 1 "$NP" -c "$T/netpoll.conf" --once
assert_contains "$OUT" "not delivered"
restart_collector
run 0 "$NP" -c "$T/netpoll.conf" --once
[ "$(db "select count(*) from reports")" = 24 ] ||
    fail "spooled reports were not replayed: $(db "select count(*) from reports")"
ok "collector down: reports spooled per device and replayed"

# A device taken out while its reports wait: they are named, not left
# behind in silence.
mkdir -p "$T/state/spool/gone-sw"
printf '{}' > "$T/state/spool/gone-sw/00000000000000000001-1-0.json"
run 0 "$NP" -c "$T/netpoll.conf" --once
assert_contains "$OUT" "$T/state/spool/gone-sw: 1 report(s) spooled for device gone-sw, which the configuration no longer has"
rm -r "$T/state/spool/gone-sw"
ok "reports spooled for a device no longer configured are named"

# A second netpoll on the same state is refused.
exec 9> "$T/state/lock"
flock 9
run 1 "$NP" -c "$T/netpoll.conf" --once
assert_contains "$OUT" "in use by another ward-netpoll"
exec 9>&-
ok "one ward-netpoll per state directory"

# ------------------------------------------------- shared engine IDs
# Two devices cloned from one configuration share an SNMPv3 engine ID but
# not its clock (one runs 500 times fast: its engine time is far outside
# the other's window). net-snmp keeps one clock and one set of keys per
# engine ID and user; polled at once they would push each other out of
# the time window. They are polled in turn, and a third device with the
# same engine ID and wrong keys for the same user fails on its own.
require_cmd faketime
dup_snmpd() {	# NAME PORT [faketime spec]
	mkdir -p "$T/$1/persist"
	cat > "$T/$1/snmpd.conf" <<CONF
agentAddress udp:127.0.0.1:$2
exactEngineID 0x80001f880477617264746573742d636c6f6e65
createUser wardv3 SHA "authPass123" AES "privPass123"
rouser wardv3 priv
CONF
	if [ -n "${3:-}" ]; then
		FAKETIME_DONT_FAKE_MONOTONIC=0 faketime -f "$3" env MIBS=: \
		    snmpd -f -Lf "$T/$1/log" -I -smux,mteTrigger,mteTriggerConf \
		    -C -c "$T/$1/snmpd.conf" --persistentDir="$T/$1/persist" \
		    -p "$T/$1/pid" &
	else
		MIBS=: snmpd -f -Lf "$T/$1/log" -I -smux,mteTrigger,mteTriggerConf \
		    -C -c "$T/$1/snmpd.conf" --persistentDir="$T/$1/persist" \
		    -p "$T/$1/pid" &
	fi
}
DUPA_PORT=$(free_port)
DUPB_PORT=$(free_port)
dup_snmpd dupa "$DUPA_PORT"
at_exit 'stop_snmpd dupa'
dup_snmpd dupb "$DUPB_PORT" "+0 x500"
at_exit 'stop_snmpd dupb'
v3get() {
	snmpget -v3 -l authPriv -u wardv3 -a SHA -A authPass123 -x AES \
	    -X privPass123 -Oqv -t 1 -r 0 "127.0.0.1:$1" 1.3.6.1.6.3.10.2.1.3.0 2>/dev/null
}
i=0
until ta=$(v3get "$DUPA_PORT") && tb=$(v3get "$DUPB_PORT") &&
    [ $((tb - ta)) -gt 300 ]; do
	i=$((i + 1))
	[ $i -lt 60 ] || fail "the clone's clock did not run ahead"
	sleep 0.5
done
cat > "$T/netpoll-dup.conf" <<CONF
[netpoll]
datacentre = basildon
state_dir = $T/state-dup
secrets_file = $T/secrets
timeout = 1s
concurrency = 8
[collector]
url = $URL
ca_file = $T/ca.crt
token_file = $T/token
retry_max = 1s
[device "clone-a"]
address = 127.0.0.1
port = $DUPA_PORT
version = 3
credentials = ops
[device "clone-b"]
address = 127.0.0.1
port = $DUPB_PORT
version = 3
credentials = ops
CONF
run 0 "$NP" -c "$T/netpoll-dup.conf" --once
for dev in clone-a clone-b; do
	[ "$(db "select c.status from checks c join hosts h on h.id = c.host_id
	    where h.agent_id = 'netpoll:basildon:$dev' and c.name = 'snmp'")" = 0 ] ||
	    fail "$dev: $(db "select c.output from checks c join hosts h
	    on h.id = c.host_id where h.agent_id = 'netpoll:basildon:$dev'")"
done
ok "one engine ID, two clocks (engine times $ta and $tb): both polled, in turn"

cat >> "$T/netpoll-dup.conf" <<CONF
[device "clone-c"]
address = 127.0.0.1
port = $DUPA_PORT
version = 3
credentials = badauth
CONF
run 0 "$NP" -c "$T/netpoll-dup.conf" --once
out=$(db "select c.output from checks c join hosts h on h.id = c.host_id
    where h.agent_id = 'netpoll:basildon:clone-c' and c.name = 'snmp'")
assert_contains "$out" "SNMP auth:"
for dev in clone-a clone-b; do
	[ "$(db "select c.status from checks c join hosts h on h.id = c.host_id
	    where h.agent_id = 'netpoll:basildon:$dev' and c.name = 'snmp'")" = 0 ] ||
	    fail "$dev failed beside clone-c"
done
ok "one engine ID, wrong keys on one device: only that device fails ($out)"

# ------------------------------------------------- software LastChange
# A Windows server's hrSWInstalledLastChange: the table is walked on the
# first poll, not while LastChange stays, and again when it moves (the
# same device answering with a later recording).
cat > "$T/netpoll-sw.conf" <<CONF
[netpoll]
datacentre = basildon
state_dir = $T/state-sw
secrets_file = $T/secrets
timeout = 2s
[collector]
url = $URL
ca_file = $T/ca.crt
token_file = $T/token
retry_max = 1s
[device "pas-app1"]
address = 127.0.0.1
port = $SIM_PORT
credentials = sim-hrsw
CONF
printf '[community "sim-hrsw"]\ncommunity = hrsw1\n' >> "$T/secrets"
run 0 "$NP" -c "$T/netpoll-sw.conf" --once
a=$(sw_of pas-app1)
[ "${a%%|*}" = 2 ] || fail "pas-app1 first poll: $a"
[ "$(db "select installed from software s join hosts h on h.id = s.host_id
    where h.agent_id = 'netpoll:basildon:pas-app1' and s.name like 'PAS%'")" = \
    2026-11-01 ] || fail "hrSWInstalledDate"
grep -q '^software 1 1 4200 ' "$T/state-sw/software/pas-app1" ||
    fail "state: $(cat "$T/state-sw/software/pas-app1")"
sleep 1
run 0 "$NP" -c "$T/netpoll-sw.conf" --once
[ "$(sw_of pas-app1)" = "$a" ] || fail "walked again with LastChange unmoved"
sed -i 's/^community = hrsw1$/community = hrsw2/' "$T/secrets"
run 0 "$NP" -c "$T/netpoll-sw.conf" --once
b=$(sw_of pas-app1)
[ "${b%%|*}" = 3 ] && [ "${b#*|}" -gt "${a#*|}" ] ||
    fail "LastChange moved, list not replaced: $a then $b"
grep -q '^software 1 1 96000 ' "$T/state-sw/software/pas-app1" ||
    fail "state after the move: $(cat "$T/state-sw/software/pas-app1")"
ok "software: walked at first, not while hrSWInstalledLastChange stays, again when it moves"

# A state file that is not one: said, and the table walked again.
echo garbage > "$T/state-sw/software/pas-app1"
run 0 "$NP" -c "$T/netpoll-sw.conf" --once
assert_contains "$OUT" "not a ward-netpoll software state file"
grep -q '^software 1 1 96000 ' "$T/state-sw/software/pas-app1" ||
    fail "state not rewritten"
ok "software: a damaged state file is named and replaced"

# SIGHUP: a shorter interval applies at once, not when the old schedule
# comes round; a device moved to another address is another device, and
# the old one's counters make no rates against the new one's.
cat > "$T/netpoll-rl.conf" <<CONF
[netpoll]
datacentre = basildon
state_dir = $T/state-rl
secrets_file = $T/secrets
timeout = 2s
interval = 10m
[collector]
url = $URL
ca_file = $T/ca.crt
token_file = $T/token
retry_max = 1s
[device "rl-sw"]
address = 127.0.0.1
port = $SNMPD_PORT
version = 3
credentials = ops
CONF
rl_reports() {
	db "select count(*) from reports r join hosts h on h.id = r.host_id
	    where h.agent_id = 'netpoll:basildon:rl-sw'"
}
"$NP" -f -c "$T/netpoll-rl.conf" > "$T/rl.log" 2>&1 &
rl=$!
at_exit "kill $rl 2>/dev/null"
i=0
until [ "$(rl_reports)" -ge 1 ]; do
	i=$((i + 1))
	[ $i -lt 300 ] || fail "rl-sw's first report: $(tail -5 "$T/rl.log")"
	sleep 0.1
done
moved=$(($(date +%s) * 1000))
sed -i -e "s/^port = $SNMPD_PORT\$/port = $SIM_PORT/" -e '/^version = 3$/d' \
    -e 's/^credentials = ops$/credentials = sim-cisco/' \
    -e 's/^interval = 10m$/interval = 10s/' "$T/netpoll-rl.conf"
kill -HUP "$rl"
i=0
until [ "$(rl_reports)" -ge 3 ]; do
	i=$((i + 1))
	[ $i -lt 450 ] || fail "no polls at the new interval: $(rl_reports) reports; $(tail -5 "$T/rl.log")"
	sleep 0.1
done
kill "$rl"
wait "$rl" 2>/dev/null || true
max=$(db "select coalesce(max(v.value), 0) from samples v join series s on
    s.id = v.series_id join hosts h on h.id = s.host_id where
    h.agent_id = 'netpoll:basildon:rl-sw' and s.name like 'net.%_per_s'
    and v.ts_ms >= $moved")
awk -v m="$max" 'BEGIN { exit !(m < 1e10) }' ||
    fail "rates across the move: $max"
ok "SIGHUP: a shorter interval at once; a device moved keeps no counters of the old one"
