#!/bin/sh
# systemd_units.sh: etc/ward-collector.service, etc/ward-agent.service and
# etc/ward-idsync.service with its timer pass `systemd-analyze verify`
# without a word, and `systemd-analyze security` rates the services well
# exposed as little as they are. Both run offline, without a running
# systemd; running the units needs one and is not tested.
. "$top_srcdir/tests/integration/lib.sh"
require_cmd systemd-analyze

# Point ExecStart at the built programs: verify checks they exist.
for spec in ward-collector:collector ward-agent:agents ward-idsync:idsync; do
	unit=${spec%%:*}
	sed -e "s|/usr/sbin/$unit |$top_builddir/${spec#*:}/$unit |" \
	    "$top_srcdir/etc/$unit.service" > "$T/$unit.service"
	grep -q "^ExecStart=$top_builddir/" "$T/$unit.service" ||
	    fail "$unit.service: ExecStart is not /usr/sbin/$unit"
done

# verify: exit 0 is not enough, it only warns about bad values and keys.
verify() {
	set +e
	OUT=$(cd "$T" && systemd-analyze verify --man=no "./$1" 2>&1)
	got=$?
	set -e
}
cp "$top_srcdir/etc/ward-idsync.timer" "$T/ward-idsync.timer"
verify ward-idsync.timer
[ "$got" = 0 ] && [ -z "$OUT" ] ||
    fail "systemd-analyze verify ward-idsync.timer ($got): $OUT"
for unit in ward-collector ward-agent ward-idsync; do
	verify $unit.service
	[ "$got" = 0 ] && [ -z "$OUT" ] ||
	    fail "systemd-analyze verify $unit.service ($got): $OUT"
done
# The check can fail: a bad value and an unknown key are caught.
sed -e 's/^NoNewPrivileges=yes/NoNewPrivileges=perhaps/' \
    -e 's/^Restart=on-failure/Restart=on-failure\nRestartt=always/' \
    "$T/ward-agent.service" > "$T/broken.service"
verify broken.service
assert_contains "$OUT" "Failed to parse boolean value"
assert_contains "$OUT" "Unknown key"
ok "the units pass systemd-analyze verify without a warning"

# security: the exposure score, 0 (locked down) to 10 (wide open), times
# ten. The agent needs more of the host (all of /proc, plugins), so it may
# score a little higher; both must stay well inside "OK".
security() {	# security UNIT MAX-TIMES-TEN
	set +e
	OUT=$(cd "$T" && systemd-analyze security --offline=true \
	    --threshold="$2" "./$1" 2>&1)
	got=$?
	set -e
	[ "$got" = 0 ] || fail "$1: exposure above $(($2 / 10)).$(($2 % 10)):
$(printf '%s\n' "$OUT" | grep -E '✗|Overall')"
	printf '%s\n' "$OUT" | grep 'Overall exposure level'
}
security ward-collector.service 15
security ward-agent.service 20
security ward-idsync.service 15
sed -e '/^NoNewPrivileges=/d' -e '/^ProtectSystem=/d' \
    -e '/^CapabilityBoundingSet=/d' -e '/^SystemCallFilter=/d' \
    -e '/^PrivateDevices=/d' \
    "$T/ward-agent.service" > "$T/loose.service"
set +e
(cd "$T" && systemd-analyze security --offline=true --threshold=20 \
    ./loose.service >/dev/null 2>&1)
got=$?
set -e
[ "$got" != 0 ] ||
    fail "a loosened unit still scores under 2.0: the check proves nothing"
ok "systemd-analyze security: collector and idsync at most 1.5, agent at most 2.0"

# The timer starts the service, and a run is bounded.
grep -qx 'Type=oneshot' "$top_srcdir/etc/ward-idsync.service" ||
    fail "ward-idsync.service is not a oneshot"
grep -q '^TimeoutStartSec=' "$top_srcdir/etc/ward-idsync.service" ||
    fail "ward-idsync.service does not bound a run"
grep -q '^ExecStart=/usr/sbin/ward-idsync -c /etc/ward/idsync.conf run$' \
    "$top_srcdir/etc/ward-idsync.service" ||
    fail "ward-idsync.service does not run \"ward-idsync run\""
grep -qx 'Persistent=true' "$top_srcdir/etc/ward-idsync.timer" ||
    fail "ward-idsync.timer does not make up missed runs"
ok "ward-idsync.timer starts one bounded run of ward-idsync.service"

# The choices that keep the agent useful stay made.
agent=$top_srcdir/etc/ward-agent.service
for line in 'ProtectHome=read-only' 'User=ward' 'NoNewPrivileges=yes' \
    'ProtectSystem=strict' 'StateDirectory=ward ward/agent'; do
	grep -qx "$line" "$agent" || fail "ward-agent.service lacks $line"
done
for key in ProtectProc ProcSubset PrivateUsers MemoryDenyWriteExecute; do
	grep -q "^$key=" "$agent" &&
	    fail "ward-agent.service sets $key: it blinds the agent or kills plugins"
done
ok "the agent still sees every process, /proc and /home's filesystem"
