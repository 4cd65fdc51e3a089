#!/bin/bash
# agent_footprint.sh: ward-agent's CPU time per collection and peak memory
# beside Debian's zabbix_agentd and prometheus-node-exporter collecting
# comparable data at the same interval, side by side in one run. See
# bench/README.md.
#
#   WARD_BENCH_INTERVAL (10 s), WARD_BENCH_INTERVALS (6 measured collections)
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"	# /dev/tcp is bash's
. "${top_srcdir:?run through make bench}/bench/lib.sh"

INTERVAL=${WARD_BENCH_INTERVAL:-10}
K=${WARD_BENCH_INTERVALS:-6}
[ "$INTERVAL" -ge 10 ] || die "WARD_BENCH_INTERVAL: ward-agent's shortest interval is 10 s"
[ "$K" -ge 1 ] || die "WARD_BENCH_INTERVALS must be at least 1"
ZABBIX_AGENTD=${ZABBIX_AGENTD:-/usr/sbin/zabbix_agentd}
NODE_EXPORTER=${NODE_EXPORTER:-/usr/bin/prometheus-node-exporter}
[ -x "$ZABBIX_AGENTD" ] || die "$ZABBIX_AGENTD is missing (package zabbix-agent; ./quickstart bench installs it)"
[ -x "$NODE_EXPORTER" ] || die "$NODE_EXPORTER is missing (package prometheus-node-exporter; ./quickstart bench installs it)"
[ -x "$WARD_AGENT" ] || die "$WARD_AGENT is not built"
need curl
need sqlite3
need pgrep

# ------------------------------------------------------------ measuring
# cpu_ns PID: CPU time of PID's process tree in ns: every live thread's
# run time from schedstat (exact, unlike 10 ms ticks), plus what children
# it has waited for used (plugins; ticks are all the kernel keeps of those).
cpu_ns() {
	_ns=0
	for _p in $(proc_tree "$1"); do
		for _t in /proc/"$_p"/task/*/schedstat; do
			read -r _run _rest < "$_t" 2>/dev/null || continue
			_ns=$((_ns + _run))
		done
		_c=$(sed -e 's/^.*) //' "/proc/$_p/stat" 2>/dev/null |
		    awk '{ print $14 + $15 }')
		_ns=$((_ns + ${_c:-0} * 1000000000 / CLK_TCK))
	done
	echo "$_ns"
}

# ------------------------------------------------------------ ward-agent
make_ca
start_collector footprint
mkdir -p "$B/agent"
cat > "$B/agent.conf" <<CONF
# ward-agent for the footprint benchmark: no plugin checks, since the
# others run none either.
[log]
level = warning
[agent]
interval = ${INTERVAL}s
state_dir = $B/agent
id_file = $B/agent/id
[collector]
url = $COLLECTOR_URL
ca_file = $B/ca.crt
token_file = $B/footprint.token
CONF
"$WARD_AGENT" -n -c "$B/agent.conf" >/dev/null ||
    die "ward-agent refuses the bench configuration ($B/agent.conf)"
"$WARD_AGENT" -f -c "$B/agent.conf" > /dev/null 2>> "$B/agent.log" &
WARD_PID=$!
bench_track "$WARD_PID"

reports_in() {
	sqlite3 "$B/footprint.db" 'SELECT count(*) FROM reports' 2>/dev/null ||
	    echo 0
}

# ------------------------------------------------------------ zabbix_agentd
ZPORT=$(free_port 20000 32767)	# zabbix_agentd takes none above 32767
mkdir -p "$B/zabbix"
cat > "$B/zabbix/zabbix_agentd.conf" <<CONF
# Passive checks only, on loopback, everything under the bench's temp dir.
PidFile=$B/zabbix/zabbix_agentd.pid
LogType=file
LogFile=$B/zabbix/zabbix_agentd.log
LogFileSize=0
Server=127.0.0.1
ListenIP=127.0.0.1
ListenPort=$ZPORT
Hostname=bench.test
AllowRoot=1
Timeout=5
CONF
"$ZABBIX_AGENTD" -f -c "$B/zabbix/zabbix_agentd.conf" > /dev/null 2>&1 &
ZABBIX_PID=$!
bench_track "$ZABBIX_PID"

# zbx_get KEY: asks the agent for one item, as zabbix_get does (Debian 12
# ships no zabbix_get): "ZBXD" 0x01, the key's length as 8 little-endian
# bytes (4 of length, 4 reserved), the key; the answer comes framed alike.
zbx_get() {
	local n=${#1} hdr
	exec 3<>"/dev/tcp/127.0.0.1/$ZPORT" || return 1
	hdr=$(printf '\\%03o\\%03o\\%03o\\%03o\\000\\000\\000\\000' \
	    $((n & 255)) $((n >> 8 & 255)) $((n >> 16 & 255)) $((n >> 24 & 255)))
	# shellcheck disable=SC2059
	printf "ZBXD\\001$hdr%s" "$1" >&3
	tail -c +14 <&3 | tr '\0' ' '
	exec 3<&-
}

# ------------------------------------------------------------ node exporter
NPORT=$(free_port)
# The collectors that gather what ward-agent reports: identity (uname, os,
# dmi), CPU, load, memory, filesystems, interfaces, processes and boot time.
"$NODE_EXPORTER" --web.listen-address="127.0.0.1:$NPORT" \
    --collector.disable-defaults --collector.cpu --collector.loadavg \
    --collector.meminfo --collector.filesystem --collector.netdev \
    --collector.stat --collector.processes --collector.uname \
    --collector.os --collector.dmi --no-collector.systemd \
    > /dev/null 2> "$B/node_exporter.log" &
NODE_PID=$!
bench_track "$NODE_PID"

# ------------------------------------------------------------ start-up
for _i in $(seq $((INTERVAL * 30))); do
	[ "$(reports_in)" -ge 1 ] && break
	kill -0 "$WARD_PID" 2>/dev/null ||
	    die "ward-agent exited: $(tail -3 "$B/agent.log")"
	sleep 0.1
done
[ "$(reports_in)" -ge 1 ] || die "ward-agent delivered no report in $((INTERVAL * 3)) s: $(tail -3 "$B/agent.log")"
for _i in $(seq 50); do
	zbx_get agent.ping 2>/dev/null | grep -q '^1' && break
	kill -0 "$ZABBIX_PID" 2>/dev/null ||
	    die "zabbix_agentd exited: $(tail -3 "$B/zabbix/zabbix_agentd.log")"
	sleep 0.1
done
zbx_get agent.ping 2>/dev/null | grep -q '^1' ||
    die "zabbix_agentd does not answer on 127.0.0.1:$ZPORT"
for _i in $(seq 50); do
	curl -fsS -o /dev/null "http://127.0.0.1:$NPORT/metrics" 2>/dev/null && break
	sleep 0.1
done
curl -fsS -o /dev/null "http://127.0.0.1:$NPORT/metrics" ||
    die "node exporter does not answer: $(tail -3 "$B/node_exporter.log")"

# Zabbix is asked for what ward-agent reported: the same filesystems and
# interfaces, as the collector stored them.
MOUNTS=$(sqlite3 "$B/footprint.db" "SELECT DISTINCT json_extract(labels, '\$.mount') FROM series WHERE name = 'fs.used_pct'")
IFACES=$(sqlite3 "$B/footprint.db" "SELECT name FROM interfaces")
ZKEYS="system.hostname system.uname system.uptime system.boottime
system.cpu.num system.cpu.util[,idle] system.cpu.util[,user]
system.cpu.util[,system] system.cpu.util[,iowait]
system.cpu.load[all,avg1] system.cpu.load[all,avg5] system.cpu.load[all,avg15]
vm.memory.size[total] vm.memory.size[available] vm.memory.size[pused]
system.swap.size[,total] system.swap.size[,pused] proc.num
vfs.fs.discovery net.if.discovery"
for m in $MOUNTS; do
	ZKEYS="$ZKEYS vfs.fs.size[$m,total] vfs.fs.size[$m,pused] vfs.fs.inode[$m,pused]"
done
for i in $IFACES; do
	for d in in out; do
		for w in bytes packets errors dropped; do
			ZKEYS="$ZKEYS net.if.$d[$i,$w]"
		done
	done
done

# collect_others: one collection by zabbix_agentd (every key asked) and by
# the node exporter (one scrape); sets ZVALUES and NVALUES.
collect_others() {
	local k v
	ZVALUES=0
	for k in $ZKEYS; do
		v=$(zbx_get "$k") || die "zabbix_agentd: no answer for $k"
		case $v in
		ZBX_NOTSUPPORTED*) echo "zabbix_agentd: $k: $v" >> "$B/zabbix/unsupported" ;;
		?*) ZVALUES=$((ZVALUES + 1)) ;;
		esac
	done
	curl -fsS -o "$B/scrape.txt" "http://127.0.0.1:$NPORT/metrics" ||
	    die "node exporter scrape failed"
	NVALUES=$(grep -vc '^#' "$B/scrape.txt")
}

# peak_pss: the largest proportional set size seen so far, per program.
PSS_WARD=0 PSS_ZABBIX=0 PSS_NODE=0
sample_pss() {
	local v
	v=$(tree_pss_kib "$WARD_PID"); [ "$v" -gt "$PSS_WARD" ] && PSS_WARD=$v
	v=$(tree_pss_kib "$ZABBIX_PID"); [ "$v" -gt "$PSS_ZABBIX" ] && PSS_ZABBIX=$v
	v=$(tree_pss_kib "$NODE_PID"); [ "$v" -gt "$PSS_NODE" ] && PSS_NODE=$v
	return 0
}

echo "agent footprint: ward-agent, zabbix_agentd and prometheus-node-exporter side"
echo "by side on this host, each collecting every $INTERVAL s; $K collections measured"
echo "after one to warm up."
echo

# One warm-up collection each (ward-agent's first is already in), then the
# measured window.
collect_others
sample_pss
R0=$(reports_in)
W0=$(cpu_ns "$WARD_PID") Z0=$(cpu_ns "$ZABBIX_PID") N0=$(cpu_ns "$NODE_PID")
START=$(date +%s)
for k in $(seq "$K"); do
	_wait=$((START + k * INTERVAL - $(date +%s)))
	[ "$_wait" -le 0 ] || sleep "$_wait"
	collect_others
	sample_pss
done
# Let ward-agent's collection for the last interval land too.
for _i in $(seq $((INTERVAL * 20))); do
	[ $(($(reports_in) - R0)) -ge "$K" ] && break
	sleep 0.1
done
W1=$(cpu_ns "$WARD_PID") Z1=$(cpu_ns "$ZABBIX_PID") N1=$(cpu_ns "$NODE_PID")
R1=$(reports_in)
sample_pss
kill -0 "$WARD_PID" 2>/dev/null || die "ward-agent died during the run: $(tail -3 "$B/agent.log")"
kill -0 "$ZABBIX_PID" 2>/dev/null || die "zabbix_agentd died during the run"
kill -0 "$NODE_PID" 2>/dev/null || die "node exporter died during the run"
WCOLL=$((R1 - R0))
[ "$WCOLL" -ge 1 ] || die "ward-agent delivered no report during the run"
WVALUES=$(sqlite3 "$B/footprint.db" 'SELECT metrics FROM reports ORDER BY received_ms DESC LIMIT 1')

RSS_WARD=$(tree_kib VmHWM "$WARD_PID")
RSS_ZABBIX=$(tree_kib VmHWM "$ZABBIX_PID")
RSS_NODE=$(tree_kib VmHWM "$NODE_PID")
NPROC_ZABBIX=$(proc_tree "$ZABBIX_PID" | wc -l)

# per_coll NS0 NS1 N: ms of CPU per collection.
per_coll() {
	awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.2f", (b - a) / n / 1e6 }'
}
mib() {
	awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'
}
WCPU=$(per_coll "$W0" "$W1" "$WCOLL")
ZCPU=$(per_coll "$Z0" "$Z1" "$K")
NCPU=$(per_coll "$N0" "$N1" "$K")

row() {
	printf '%-34s %8s %7s %9s %9s %6s %7s\n' "$@"
}
row "" "CPU ms" "values" "peak RSS" "peak PSS" "procs" "colls"
row "" "/coll" "/coll" "MiB" "MiB" "" ""
row "ward-agent (sends to a collector)" "$WCPU" "$WVALUES" "$(mib "$RSS_WARD")" \
    "$(mib "$PSS_WARD")" "$(proc_tree "$WARD_PID" | wc -l)" "$WCOLL"
row "zabbix_agentd (passive checks)" "$ZCPU" "$ZVALUES" "$(mib "$RSS_ZABBIX")" \
    "$(mib "$PSS_ZABBIX")" "$NPROC_ZABBIX" "$K"
row "prometheus-node-exporter (scrape)" "$NCPU" "$NVALUES" "$(mib "$RSS_NODE")" \
    "$(mib "$PSS_NODE")" "1" "$K"
echo
echo "CPU: user+system time of the program's processes and threads over the"
echo "measured window, per collection. Peak RSS: VmHWM summed over the"
echo "program's processes (counts pages its forked workers share once each);"
echo "peak PSS: the largest proportional set size sampled, shared pages split."
if [ -s "$B/zabbix/unsupported" ]; then
	echo "zabbix_agentd did not support $(sort -u "$B/zabbix/unsupported" | wc -l) keys (not counted):"
	sort -u "$B/zabbix/unsupported" | head -5 | sed 's/^/    /'
fi
echo
echo "ward/zabbix_agentd:  CPU $(ratio "$WCPU" "$ZCPU"), peak RSS $(ratio "$RSS_WARD" "$RSS_ZABBIX"), peak PSS $(ratio "$PSS_WARD" "$PSS_ZABBIX")"
echo "ward/node-exporter:  CPU $(ratio "$WCPU" "$NCPU"), peak RSS $(ratio "$RSS_WARD" "$RSS_NODE"), peak PSS $(ratio "$PSS_WARD" "$PSS_NODE")"
echo "aim: a fraction (< 1) of either"
