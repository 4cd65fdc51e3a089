#!/bin/sh
# netpoll.sh: one full poll cycle of ward-netpoll over N simulated switches
# (system group, IF-MIB, ENTITY-MIB) beside prometheus-snmp-exporter and
# snmpbulkwalk polling the same devices, in one run. See bench/README.md.
#
#   NETPOLL_BENCH_N ("100 1000 5000": the device counts, one cycle each),
#   NETPOLL_BENCH_RESPONDERS (4 responder processes),
#   NETPOLL_BENCH_PARALLEL (64 scrapes at once: ward-netpoll's concurrency),
#   NETPOLL_BENCH_WALK_MAX (1000: snmpbulkwalk's devices, then extrapolated)
. "${top_srcdir:?run through make bench}/bench/lib.sh"

NS=${NETPOLL_BENCH_N:-100 1000 5000}
R=${NETPOLL_BENCH_RESPONDERS:-4}
PAR=${NETPOLL_BENCH_PARALLEL:-64}
WALK_MAX=${NETPOLL_BENCH_WALK_MAX:-1000}
WARD_NETPOLL=$top_builddir/agents/ward-netpoll
RESPONDER=$top_builddir/bench/snmp_responder
EXPORTER=${SNMP_EXPORTER:-/usr/bin/prometheus-snmp-exporter}
RECORDING=/usr/share/doc/snmpsim/examples/data/cisco_16_switch.snmprec.gz
COMMUNITY=bench-ro
[ -x "$RESPONDER" ] || die "build the bench programs first (make bench)"
[ -x "$WARD_NETPOLL" ] || die "$WARD_NETPOLL is not built"
[ -x "$EXPORTER" ] || die "$EXPORTER is missing (package prometheus-snmp-exporter; ./quickstart bench installs it)"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (package time; ./quickstart bench installs it)"
[ -f "$RECORDING" ] || die "$RECORDING is missing (package snmpsim)"
need snmpbulkwalk
need snmpget
need curl
need sqlite3
NMAX=0
for n in $NS; do
	case $n in
	''|*[!0-9]*|0) die "NETPOLL_BENCH_N: $n is not a device count" ;;
	esac
	[ "$n" -le "$NMAX" ] || NMAX=$n
done
[ "$R" -ge 1 ] 2>/dev/null || die "NETPOLL_BENCH_RESPONDERS: $R"

# resp_ticks: the responders' CPU ticks, the total and the busiest's,
# as "TOTAL T0 T1 ..." (one per process).
resp_ticks() {
	_all=""
	_sum=0
	for _p in $RESP_PIDS; do
		_t=$(proc_cpu_ticks "$_p")
		_all="$_all ${_t:-0}"
		_sum=$((_sum + ${_t:-0}))
	done
	echo "$_sum$_all"
}
# resp_use BEFORE AFTER WALL: the responders' CPU seconds, and the busiest
# one's share of a core over WALL seconds.
resp_use() {
	awk -v a="$1" -v b="$2" -v w="$3" -v hz="$CLK_TCK" 'BEGIN {
	    na = split(a, x, " "); split(b, y, " "); max = 0
	    for (i = 2; i <= na; i++) if (y[i] - x[i] > max) max = y[i] - x[i]
	    printf "%.2f %.0f%%\n", (y[1] - x[1]) / hz,
	        (w > 0 ? 100 * max / hz / w : 0) }'
}
now() {
	date +%s.%N
}
secs() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'
}

# The responder against snmpsim: ward-netpoll probe must read the same
# report of the same recording from both (snmpsim is how the tests meet
# it), and shows what a device costs each. snmpsimd starts first, so its
# port cannot be one the responders bind.
udp_free() {
	! grep -q "$(printf ':%04X ' "$1")" /proc/net/udp /proc/net/udp6 \
	    2>/dev/null
}
SIM_PID=
snmpsim_start() {
	command -v snmpsimd > /dev/null 2>&1 || return 0
	mkdir -p "$B/sim/data" "$B/sim/cache"
	cp "$B/switch.snmprec" "$B/sim/data/$COMMUNITY.snmprec"
	_user=""
	if [ "$(id -u)" = 0 ]; then	# snmpsim drops to nobody
		chmod 711 "$B"
		chmod -R a+rX "$B/sim"
		chown nobody "$B/sim/cache"
		_user="--process-user=nobody --process-group=nogroup"
	fi
	for _attempt in 1 2 3 4 5; do
		SIM_PORT=$(free_port)
		udp_free "$SIM_PORT" || continue
		# shellcheck disable=SC2086
		snmpsimd --data-dir="$B/sim/data" --cache-dir="$B/sim/cache" \
		    --agent-udpv4-endpoint="127.0.0.1:$SIM_PORT" $_user \
		    --logging-method=file:"$B/sim/log" > "$B/sim/out" 2>&1 &
		SIM_PID=$!
		bench_track "$SIM_PID"
		for _i in $(seq 120); do
			kill -0 "$SIM_PID" 2>/dev/null || break
			snmpget -v2c -c "$COMMUNITY" -t 1 -r 0 \
			    "127.0.0.1:$SIM_PORT" 1.3.6.1.2.1.1.5.0 \
			    > /dev/null 2>&1 && return 0
			sleep 0.5
		done
		bench_stop "$SIM_PID"
	done
	die "snmpsimd did not start: $(tail -3 "$B/sim/out")"
}
snmpsim_check() {
	if [ -z "$SIM_PID" ]; then
		SIMCHECK="snmpsimd is not installed: not compared"
		return 0
	fi
	_t0=$(now)
	"$WARD_NETPOLL" probe "snmp://$COMMUNITY@127.0.0.1:$SIM_PORT" \
	    > "$B/sim.json" 2>/dev/null || die "ward-netpoll probe of snmpsimd failed"
	_t1=$(now)
	"$WARD_NETPOLL" probe "snmp://$COMMUNITY@127.0.0.1:$(head -1 "$B/ports")" \
	    > "$B/resp.json" 2>/dev/null || die "ward-netpoll probe of snmp_responder failed"
	_t2=$(now)
	bench_stop "$SIM_PID"
	# The two reports differ only in their times.
	if [ "$(sed 's/"[a-z_]*_ms": *[0-9]*//g' "$B/sim.json")" != \
	    "$(sed 's/"[a-z_]*_ms": *[0-9]*//g' "$B/resp.json")" ]; then
		die "snmp_responder and snmpsimd serve the recording differently"
	fi
	SIMCHECK="same report from both; one device: $(secs "$_t0" "$_t1") s from snmpsimd, $(secs "$_t1" "$_t2") s from snmp_responder"
}


# ------------------------------------------------------------ responders
# Debian's snmpsim recording of a Cisco 3750 stack, served by R processes
# of snmp_responder, each device its own UDP port on 127.0.0.1; device i
# is on responder i mod R, so every run spreads over all of them.
zcat "$RECORDING" > "$B/switch.snmprec"
IFACES=$(grep -c '^1\.3\.6\.1\.2\.1\.2\.2\.1\.2\.' "$B/switch.snmprec")
HCIN=$(grep -c '^1\.3\.6\.1\.2\.1\.31\.1\.1\.1\.6\.' "$B/switch.snmprec")
ENTITIES=$(grep -c '^1\.3\.6\.1\.2\.1\.47\.1\.1\.1\.1\.5\.' "$B/switch.snmprec")
snmpsim_start
PER=$(( (NMAX + R - 1) / R ))
RESP_PIDS=""
for r in $(seq 0 $((R - 1))); do
	"$RESPONDER" -r "$B/switch.snmprec" -n "$PER" > "$B/resp$r.out" \
	    2> "$B/resp$r.log" &
	bench_track $!
	RESP_PIDS="$RESP_PIDS $!"
done
r=0
for p in $RESP_PIDS; do
	for _i in $(seq 100); do
		grep -q '^ready' "$B/resp$r.out" && break
		kill -0 "$p" 2>/dev/null ||
		    die "snmp_responder did not start: $(cat "$B/resp$r.log")"
		sleep 0.1
	done
	grep -q '^ready' "$B/resp$r.out" || die "snmp_responder is not ready"
	grep -v '^ready' "$B/resp$r.out" > "$B/resp$r.ports"
	r=$((r + 1))
done
# paste -d'\n' takes a line of each file in turn: the interleaving.
# shellcheck disable=SC2046
paste -d'\n' $(seq 0 $((R - 1)) | sed "s|.*|$B/resp&.ports|") |
    grep . > "$B/ports"
[ "$(wc -l < "$B/ports")" -ge "$NMAX" ] || die "responders bound too few ports"

# ------------------------------------------------------------ exporter
sed "s/@COMMUNITY@/$COMMUNITY/" "$top_srcdir/bench/netpoll_snmp.yml" \
    > "$B/snmp.yml"
"$EXPORTER" --config.file="$B/snmp.yml" --dry-run > "$B/exporter.log" 2>&1 ||
    die "snmp_exporter refuses $B/snmp.yml: $(tail -2 "$B/exporter.log")"
for _attempt in 1 2 3 4 5; do
	EPORT=$(free_port)
	"$EXPORTER" --config.file="$B/snmp.yml" \
	    --web.listen-address="127.0.0.1:$EPORT" --log.level=warn \
	    > /dev/null 2>> "$B/exporter.log" &
	EXPORTER_PID=$!
	for _i in $(seq 50); do
		curl -fsS -o /dev/null "http://127.0.0.1:$EPORT/" 2>/dev/null &&
		    break
		kill -0 "$EXPORTER_PID" 2>/dev/null || break
		sleep 0.1
	done
	if curl -fsS -o /dev/null "http://127.0.0.1:$EPORT/" 2>/dev/null; then
		bench_track "$EXPORTER_PID"
		break
	fi
	bench_stop "$EXPORTER_PID"
	EXPORTER_PID=
done
[ -n "$EXPORTER_PID" ] || die "snmp_exporter did not start: $(tail -3 "$B/exporter.log")"

make_ca
umask 077
printf '[community "bench"]\ncommunity = %s\n' "$COMMUNITY" > "$B/secrets"
umask 022

# ------------------------------------------------------------ the runs
# ward_run N: ward-netpoll --once over the first N devices, twice (the
# first cycle makes each device's state and spool, the second is what a
# daemon's every later cycle does), reporting to a collector of its own;
# sets W1 and W2 to the cycles' result lines, and W_VALUES.
ward_run() {
	_n=$1
	start_collector "ward$_n"
	_d=$B/ward$_n
	mkdir -p "$_d/devices"
	cat > "$_d/netpoll.conf" <<CONF
[log]
level = info
[netpoll]
datacentre = bench
state_dir = $_d/state
secrets_file = $B/secrets
include_dir = $_d/devices
[collector]
url = $COLLECTOR_URL
ca_file = $B/ca.crt
token_file = $B/ward$_n.token
retry_max = 1s
CONF
	head -n "$_n" "$B/ports" | awk '{ printf "[device \"sw%05d\"]\n" \
	    "address = 127.0.0.1\nport = %s\ncredentials = bench\n" \
	    "kind = switch\n", NR, $1 }' > "$_d/devices/bench.conf"
	"$WARD_NETPOLL" -n -c "$_d/netpoll.conf" > /dev/null 2> "$_d/check.log" ||
	    die "ward-netpoll refuses $_d/netpoll.conf: $(tail -2 "$_d/check.log")"
	W1=$(ward_cycle "$_n" 1) || exit 1
	W2=$(ward_cycle "$_n" 2) || exit 1
	bench_stop "$COLLECTOR_PID"
	# "SNMP OK: 1055 values; ...": the values each device answered.
	W_VALUES=$(sqlite3 "$B/ward$_n.db" "SELECT output FROM checks
	    WHERE name = 'snmp' LIMIT 1" | sed -n 's/^SNMP OK: \([0-9]*\) values.*/\1/p')
	rm -rf "$_d/state"
}

# ward_cycle N K: the K-th --once over N devices; prints its result line.
ward_cycle() {
	_r0=$(resp_ticks)
	_t0=$(now)
	/usr/bin/time -f '%U %S %M' -o "$_d/time" \
	    "$WARD_NETPOLL" -c "$_d/netpoll.conf" --once > "$_d/log$2" 2>&1 ||
	    die "ward-netpoll --once over $1 devices failed: $(grep -v ': polled' "$_d/log$2" | tail -3)"
	_t1=$(now)
	_r1=$(resp_ticks)
	_wall=$(secs "$_t0" "$_t1")
	# Every device is in the collector with this cycle's report (its
	# K-th), up, with model, serial and all its interfaces.
	_ok=$(sqlite3 "$B/ward$1.db" "SELECT count(*) FROM hosts h
	    WHERE h.agent_id LIKE 'netpoll:bench:sw%'
	    AND (SELECT count(*) FROM reports r WHERE r.host_id = h.id) = $2
	    AND h.model IS NOT NULL AND h.serial IS NOT NULL
	    AND (SELECT count(*) FROM interfaces i WHERE i.host_id = h.id) = $IFACES
	    AND (SELECT status FROM checks c WHERE c.host_id = h.id
	        AND c.name = 'snmp') = 0")
	[ "$_ok" = "$1" ] ||
	    die "ward: $_ok of $1 devices in the collector with report $2, model, serial, $IFACES interfaces and SNMP OK"
	# The log's last "polled" line: when the SNMP part of the cycle ended.
	_last=$(grep ': polled' "$_d/log$2" | tail -1 | cut -d' ' -f1)
	_use=$(resp_use "$_r0" "$_r1" "$_wall")
	echo "cycle=$_wall polled=$(secs "$_t0" "$(date -d "$_last" +%s.%N)")" \
	    "cpu=$(awk '{ printf "%.2f", $1 + $2 }' "$_d/time")" \
	    "rss=$(awk '{ printf "%.1f", $3 / 1024 }' "$_d/time")" \
	    "resp_cpu=${_use% *} resp_busy=${_use#* }"
}

# exporter_run N: the first N devices scraped through snmp_exporter, PAR
# at a time; sets E_*.
exporter_run() {
	_n=$1
	_d=$B/exp$_n
	mkdir -p "$_d"
	head -n "$_n" "$B/ports" | awk -v e="$EPORT" -v d="$_d" '{
	    printf "url = \"http://127.0.0.1:%s/snmp?module=ward_bench&target=127.0.0.1:%s\"\n", e, $1
	    printf "output = \"%s/%d.txt\"\n", d, NR }' > "$B/curl$_n.conf"
	_e0=$(proc_cpu_ticks "$EXPORTER_PID")
	_r0=$(resp_ticks)
	_t0=$(now)
	curl -sS --no-progress-meter --fail --max-time 120 --parallel \
	    --parallel-max "$PAR" \
	    -K "$B/curl$_n.conf" 2> "$_d.err" ||
	    die "snmp_exporter scrapes failed: $(head -3 "$_d.err")"
	_t1=$(now)
	_r1=$(resp_ticks)
	_e1=$(proc_cpu_ticks "$EXPORTER_PID")
	E_CYCLE=$(secs "$_t0" "$_t1")
	E_CPU=$(awk -v t=$((_e1 - _e0)) -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')
	E_RSS=$(awk '$1 == "VmHWM:" { printf "%.1f", $2 / 1024 }' "/proc/$EXPORTER_PID/status")
	E_RESP=$(resp_use "$_r0" "$_r1" "$E_CYCLE")
	# Every target answered all its interfaces' 64-bit counters.
	_bad=$(cd "$_d" && for f in *.txt; do
		[ "$(grep -c '^ifHCInOctets{' "$f")" = "$HCIN" ] || echo "$f"
	done | wc -l)
	[ "$(find "$_d" -name '*.txt' | wc -l)" = "$_n" ] && [ "$_bad" = 0 ] ||
	    die "snmp_exporter: $_bad of $_n scrapes without $HCIN ifHCInOctets series"
	# Samples a target, less the exporter's own snmp_scrape_* ones.
	E_VALUES=$(grep -v '^#' "$_d/1.txt" | grep -vc '^snmp_scrape_')
	rm -rf "$_d"
}

# walk_run N: snmpbulkwalk device by device, as an operator's script
# would: the system group's scalars with snmpget, then ifTable, ifXTable
# and entPhysicalTable each walked whole. Runs at most WALK_MAX devices
# and extrapolates linearly past them; sets K_*.
walk_run() {
	_n=$1
	_m=$_n
	[ "$_m" -le "$WALK_MAX" ] || _m=$WALK_MAX
	_d=$B/walk$_n
	mkdir -p "$_d"
	head -n "$_m" "$B/ports" > "$_d/ports"
	cat > "$_d/walk.sh" <<'SCRIPT'
i=0
while read -r port; do
	i=$((i + 1))
	a="-v2c -c $1 -t 2 -r 1 -On 127.0.0.1:$port"
	{ snmpget $a 1.3.6.1.2.1.1.1.0 1.3.6.1.2.1.1.2.0 1.3.6.1.2.1.1.3.0 \
	    1.3.6.1.2.1.1.4.0 1.3.6.1.2.1.1.5.0 1.3.6.1.2.1.1.6.0 &&
	snmpbulkwalk $a 1.3.6.1.2.1.2.2 &&
	snmpbulkwalk $a 1.3.6.1.2.1.31.1.1 &&
	snmpbulkwalk $a 1.3.6.1.2.1.47.1.1.1; } > "$2/$i.txt" || exit 1
done < "$2/ports"
SCRIPT
	_r0=$(resp_ticks)
	_t0=$(now)
	MIBS=: /usr/bin/time -f '%U %S' -o "$_d/time" \
	    sh "$_d/walk.sh" "$COMMUNITY" "$_d" 2> "$_d.err" ||
	    die "snmpbulkwalk failed: $(tail -3 "$_d.err")"
	_t1=$(now)
	_r1=$(resp_ticks)
	_wall=$(secs "$_t0" "$_t1")
	K_RESP=$(resp_use "$_r0" "$_r1" "$_wall")
	K_CYCLE=$(awk -v w="$_wall" -v n="$_n" -v m="$_m" 'BEGIN { printf "%.2f", w * n / m }')
	K_CPU=$(awk -v n="$_n" -v m="$_m" '{ printf "%.2f", ($1 + $2) * n / m }' "$_d/time")
	K_DONE=$_m
	_bad=$(cd "$_d" && for i in $(seq "$_m"); do
		[ "$(grep -c '^\.1\.3\.6\.1\.2\.1\.31\.1\.1\.1\.6\.' "$i.txt")" = "$HCIN" ] ||
		    echo "$i"
	done | wc -l)
	[ "$_bad" = 0 ] || die "snmpbulkwalk: $_bad of $_m devices without $HCIN ifHCInOctets"
	K_VALUES=$(wc -l < "$_d/1.txt")
	rm -rf "$_d"
}

row() {
	printf '%-36s %9s %8s %7s %7s %7s %8s %8s\n' "$@"
}

snmpsim_check
echo "netpoll: one full poll cycle over N simulated switches (Debian's snmpsim"
echo "recording of a Cisco 3750 stack: $IFACES interfaces, $ENTITIES entities), each its own"
echo "UDP port, served by $R snmp_responder processes on 127.0.0.1; the pollers"
echo "read the system group, IF-MIB ifTable + ifXTable and ENTITY-MIB."
echo "snmp_responder against snmpsimd: $SIMCHECK."
echo

for n in $NS; do
	ward_run "$n"
	exporter_run "$n"
	walk_run "$n"
	echo "N = $n devices"
	row "" "cycle s" "ward/x" "val/dev" "CPU s" "RSS MiB" "resp CPU" "busiest"
	row "ward-netpoll --once, first cycle" "$(kv cycle "$W1")" \
	    "$(ratio "$(kv cycle "$W1")" "$(kv cycle "$W1")")" "$W_VALUES" \
	    "$(kv cpu "$W1")" "$(kv rss "$W1")" "$(kv resp_cpu "$W1")" \
	    "$(kv resp_busy "$W1")"
	row "ward-netpoll --once, next cycle" "$(kv cycle "$W2")" \
	    "" "$W_VALUES" \
	    "$(kv cpu "$W2")" "$(kv rss "$W2")" "$(kv resp_cpu "$W2")" \
	    "$(kv resp_busy "$W2")"
	W_CYCLE=$(kv cycle "$W1")
	row "snmp_exporter, $PAR scrapes at once" "$E_CYCLE" \
	    "$(ratio "$W_CYCLE" "$E_CYCLE")" "$E_VALUES" "$E_CPU" "$E_RSS" $E_RESP
	_k="snmpbulkwalk, device by device"
	[ "$K_DONE" = "$n" ] || _k="snmpbulkwalk, by device (x$n/$K_DONE)"
	row "$_k" "$K_CYCLE" "$(ratio "$W_CYCLE" "$K_CYCLE")" "$K_VALUES" \
	    "$K_CPU" "" $K_RESP
	echo "ward-netpoll had polled every device $(kv polled "$W1") s (first cycle) and $(kv polled "$W2") s"
	echo "(next) after it started; the rest of each cycle is delivery to the collector."
	echo "ward/snmp_exporter: $(ratio "$(kv cycle "$W1")" "$E_CYCLE") (first cycle), $(ratio "$(kv cycle "$W2")" "$E_CYCLE") (next);" \
	    "ward/snmpbulkwalk: $(ratio "$(kv cycle "$W1")" "$K_CYCLE"), $(ratio "$(kv cycle "$W2")" "$K_CYCLE")"
	[ "$K_DONE" = "$n" ] ||
	    echo "snmpbulkwalk ran over the first $K_DONE devices; its cycle and CPU are that run's times $n/$K_DONE."
	echo
done
echo "cycle: wall time of one poll of every device (ward-netpoll: until the"
echo "collector acknowledged every report, the first cycle making each device's"
echo "state and spool; snmp_exporter: until curl had every scrape). ward/x:"
echo "ward-netpoll's first cycle over the other's (below 1: ward is faster)."
echo "val/dev: values one device answered (ward: varbinds; the exporter: samples;"
echo "snmpbulkwalk: lines, whole tables). CPU: user+system seconds of the poller"
echo "(the exporter's process; snmpbulkwalk's processes and their shell). RSS:"
echo "peak (snmp_exporter's since it started). resp CPU: the $R responders' CPU"
echo "seconds during that cycle; busiest: the busiest responder's share of one"
echo "core over the cycle, far below 100% when no poller waits on them."
echo "aim: ward/snmp_exporter below 1, and 1000 devices in seconds"
