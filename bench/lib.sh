# lib.sh: sourced by the benchmarks: a private temp dir removed at exit,
# processes started here and stopped by PID, a throwaway CA, free loopback
# ports, and CPU and memory read from /proc.
set -eu

: "${top_builddir:?run through make bench (top_builddir unset)}"
: "${top_srcdir:?run through make bench (top_srcdir unset)}"

WARD_AGENT=$top_builddir/agents/ward-agent
WARD_COLLECTOR=$top_builddir/collector/ward-collector
CLK_TCK=$(getconf CLK_TCK)

B=$(mktemp -d "${TMPDIR:-/tmp}/ward-bench.XXXXXX")
_bench_pids=""

die() {
	echo "bench: $*" >&2
	exit 1
}

# bench_stop PID: SIGTERM, up to 5 s to exit, then SIGKILL.
bench_stop() {
	kill -TERM "$1" 2>/dev/null || return 0
	for _i in $(seq 50); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# bench_track PID: stop PID at exit.
bench_track() {
	_bench_pids="$1 $_bench_pids"
}

_bench_exit() {
	rc=$?
	set +e
	for p in $_bench_pids; do
		bench_stop "$p"
	done
	[ -n "${WARD_KEEP_TMP:-}" ] || rm -rf "$B"
	exit $rc
}
trap _bench_exit EXIT
trap 'exit 143' TERM INT

need() {
	command -v "$1" >/dev/null 2>&1 ||
	    die "$1 is not installed (./quickstart bench installs it)"
}

# port_free PORT: nothing listens on PORT (TCP, IPv4 or IPv6).
port_free() {
	_hex=$(printf ':%04X ' "$1")
	! grep -q "$_hex" /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# free_port [LOW HIGH]: a port in LOW-HIGH (20000-49999) nothing listens on.
free_port() {
	_lo=${1:-20000}
	_hi=${2:-49999}
	while :; do
		_p=$(( ($(od -An -N2 -tu2 /dev/urandom) % (_hi - _lo + 1)) + _lo ))
		port_free "$_p" && { echo "$_p"; return; }
	done
}

# make_ca: a throwaway CA ($B/ca.crt) and a certificate for 127.0.0.1
# ($B/server.crt, key $B/server.key, mode 0600).
make_ca() {
	need openssl
	(umask 077
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$B/ca.key" -out "$B/ca.crt" -subj "/CN=ward bench CA" \
	    -days 2 2>/dev/null &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$B/server.key" -out "$B/server.csr" -subj "/CN=127.0.0.1" \
	    2>/dev/null &&
	printf 'subjectAltName = IP:127.0.0.1\n' > "$B/san.ext" &&
	openssl x509 -req -in "$B/server.csr" -CA "$B/ca.crt" \
	    -CAkey "$B/ca.key" -CAcreateserial -out "$B/server.crt" -days 2 \
	    -extfile "$B/san.ext" 2>/dev/null) ||
	    die "openssl could not make the bench CA"
}

# start_collector NAME: a collector on a free loopback port with database
# $B/NAME.db and an agent token in $B/NAME.token; sets COLLECTOR_PID and
# COLLECTOR_URL. Needs make_ca first.
start_collector() {
	_name=$1
	COLLECTOR_PID=
	for _attempt in 1 2 3 4 5; do
		_port=$(free_port)
		cat > "$B/$_name.conf" <<CONF
[log]
level = warning
[http]
listen = 127.0.0.1:$_port
tls_cert = $B/server.crt
tls_key = $B/server.key
[store]
database = $B/$_name.db
CONF
		(umask 077; "$WARD_COLLECTOR" -c "$B/$_name.conf" token add \
		    --role agent --name "bench-$_name" > "$B/$_name.token" \
		    2>/dev/null) || die "ward-collector token add failed"
		"$WARD_COLLECTOR" -f -c "$B/$_name.conf" >/dev/null \
		    2>> "$B/$_name.log" &
		COLLECTOR_PID=$!
		COLLECTOR_URL=https://127.0.0.1:$_port
		for _i in $(seq 100); do
			curl -fsS --cacert "$B/ca.crt" -o /dev/null \
			    "$COLLECTOR_URL/healthz" 2>/dev/null && break
			kill -0 "$COLLECTOR_PID" 2>/dev/null || break
			sleep 0.1
		done
		if curl -fsS --cacert "$B/ca.crt" -o /dev/null \
		    "$COLLECTOR_URL/healthz" 2>/dev/null; then
			bench_track "$COLLECTOR_PID"
			return 0
		fi
		bench_stop "$COLLECTOR_PID"
		grep -q "Address already in use" "$B/$_name.log" ||
		    die "ward-collector did not start: $(tail -3 "$B/$_name.log")"
	done
	die "no free port for ward-collector"
}

# proc_cpu_ticks PID: user + system clock ticks of PID, and of the
# children it has waited for (plugins, helpers).
proc_cpu_ticks() {
	# The command name may hold spaces: the fields start after ") ".
	sed -e 's/^.*) //' "/proc/$1/stat" 2>/dev/null |
	    awk '{ print $12 + $13 + $14 + $15 }'
}

# proc_tree PID: PID and all its descendants, one a line.
proc_tree() {
	echo "$1"
	for _c in $(pgrep -P "$1"); do
		proc_tree "$_c"
	done
}

# tree_cpu_ticks PID: proc_cpu_ticks summed over PID's process tree (for
# daemons that fork long-lived workers).
tree_cpu_ticks() {
	_sum=0
	for _p in $(proc_tree "$1"); do
		_t=$(proc_cpu_ticks "$_p")
		_sum=$((_sum + ${_t:-0}))
	done
	echo "$_sum"
}

# tree_kib FIELD PID: a /proc/PID/status field (VmHWM, VmRSS) in KiB,
# summed over the process tree.
tree_kib() {
	_sum=0
	for _p in $(proc_tree "$2"); do
		_v=$(awk -v f="$1:" '$1 == f { print $2 }' "/proc/$_p/status" \
		    2>/dev/null)
		_sum=$((_sum + ${_v:-0}))
	done
	echo "$_sum"
}

# tree_pss_kib PID: proportional set size summed over the process tree:
# pages shared between a daemon's forked workers counted once.
tree_pss_kib() {
	_sum=0
	for _p in $(proc_tree "$1"); do
		_v=$(awk '$1 == "Pss:" { print $2 }' "/proc/$_p/smaps_rollup" \
		    2>/dev/null)
		_sum=$((_sum + ${_v:-0}))
	done
	echo "$_sum"
}

# ratio A B: A/B to two decimals (awk: the shell has no floats).
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a";
	    else printf "%.2f\n", a / b }'
}

# kv KEY LINE: the value of KEY in a line of key=value pairs.
kv() {
	printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}
