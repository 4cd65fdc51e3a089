# lib.sh: sourced by every integration test: a private temp dir cleaned up on
# exit, the programs' paths, skip/require helpers and assertions.
set -eu

: "${top_builddir:?run through make check (top_builddir unset)}"
: "${top_srcdir:?run through make check (top_srcdir unset)}"

WARD_AGENT=$top_builddir/agents/ward-agent
WARD_NETPOLL=$top_builddir/agents/ward-netpoll
WARD_COLLECTOR=$top_builddir/collector/ward-collector
WARD_IDSYNC=$top_builddir/idsync/ward-idsync
WARD_TUI=$top_builddir/tui/ward

T=$(mktemp -d "${TMPDIR:-/tmp}/ward-it.XXXXXX")
_cleanups=""

# at_exit CMD: run CMD (a string) at exit, last registered first.
at_exit() {
	_cleanups="$1
$_cleanups"
}

_on_exit() {
	rc=$?
	set +e
	printf '%s\n' "$_cleanups" | while IFS= read -r c; do
		[ -n "$c" ] && eval "$c"
	done
	[ -n "${WARD_KEEP_TMP:-}" ] || rm -rf "$T"
	exit $rc
}
trap _on_exit EXIT
trap 'exit 143' TERM INT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

ok() {
	echo "ok - $*"
}

# skip REASON: exit 77, which the harness counts as skipped.
skip() {
	echo "SKIP: $*"
	exit 77
}

require_root() {
	[ "$(id -u)" = 0 ] || skip "needs root: $*"
}

require_cmd() {
	command -v "$1" >/dev/null 2>&1 ||
	    skip "$1 is not installed (./quickstart installs it)"
}

# run EXPECTED_STATUS CMD...: runs CMD, keeps stdout+stderr in $OUT, fails
# unless it exits with EXPECTED_STATUS.
run() {
	want=$1
	shift
	set +e
	OUT=$("$@" 2>&1)
	got=$?
	set -e
	[ "$got" = "$want" ] ||
	    fail "'$*' exited $got, expected $want; output:
$OUT"
}

assert_contains() {
	case $1 in
	*"$2"*) ;;
	*) fail "expected \"$2\" in:
$1" ;;
	esac
}

assert_not_contains() {
	case $1 in
	*"$2"*) fail "did not expect \"$2\" in:
$1" ;;
	*) ;;
	esac
}

# wait_for_line FILE PATTERN PID: waits (up to about 30 s) until FILE has a
# line matching PATTERN (grep's), failing if PID ends first. FILE should
# not exist before PID starts writing it: a shell may truncate it late.
wait_for_line() {
	_w=0
	until grep -q "$2" "$1" 2>/dev/null; do
		_w=$((_w + 1))
		[ $_w -lt 6000 ] && kill -0 "$3" 2>/dev/null ||
		    fail "no line '$2' in $1: $(tail -5 "$1" 2>/dev/null)"
		sleep 0.005
	done
}

# make_test_ca: a throwaway CA ($T/ca.crt) and a server certificate for
# 127.0.0.1 ($T/server.crt, key $T/server.key mode 0600).
make_test_ca() {
	require_cmd openssl
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/ca.key" -out "$T/ca.crt" -subj "/CN=ward test CA" \
	    -days 2 2>/dev/null || fail "openssl: cannot make the CA"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/server.key" -out "$T/server.csr" -subj "/CN=127.0.0.1" \
	    2>/dev/null || fail "openssl: cannot make the server key"
	printf 'subjectAltName = IP:127.0.0.1\n' > "$T/san.ext"
	openssl x509 -req -in "$T/server.csr" -CA "$T/ca.crt" \
	    -CAkey "$T/ca.key" -CAcreateserial -out "$T/server.crt" -days 2 \
	    -extfile "$T/san.ext" 2>/dev/null ||
	    fail "openssl: cannot sign the server certificate"
	chmod 600 "$T/server.key"
}

# collector_conf FILE PORT [EXTRA-HTTP-LINES [EXTRA-STORE-LINES]]: a
# collector config in $T.
collector_conf() {
	cat > "$1" <<CONF
[log]
level = debug
[daemon]
pidfile = $T/collector.pid
[http]
listen = 127.0.0.1:$2
tls_cert = $T/server.crt
tls_key = $T/server.key
${3:-}
[store]
database = $T/ward.db
${4:-}
CONF
}

# collector_wait: waits until the collector at $PORT answers /healthz.
collector_wait() {
	i=0
	while [ $i -lt 100 ]; do
		curl -fsS --cacert "$T/ca.crt" -o /dev/null \
		    "https://127.0.0.1:$PORT/healthz" 2>/dev/null && return 0
		kill -0 "$COLLECTOR_PID" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	fail "collector did not answer /healthz: $(cat "$T/collector.log")"
}

# start_collector [EXTRA-HTTP-LINES [EXTRA-STORE-LINES]]: starts
# ward-collector -f on a free
# port with $T/collector.conf; sets COLLECTOR_PID, PORT and URL. Needs
# make_test_ca first. It is stopped at exit.
start_collector() {
	COLLECTOR_PID=
	for attempt in 1 2 3 4 5 6 7 8; do
		PORT=$(( ($(od -An -N2 -tu2 /dev/urandom) % 30000) + 20000 ))
		collector_conf "$T/collector.conf" "$PORT" "${1:-}" "${2:-}"
		"$WARD_COLLECTOR" -f -c "$T/collector.conf" \
		    2>> "$T/collector.log" &
		COLLECTOR_PID=$!
		collector_wait && break
		wait "$COLLECTOR_PID" || true
		COLLECTOR_PID=
		grep -q "Address already in use" "$T/collector.log" ||
		    fail "collector did not start: $(cat "$T/collector.log")"
	done
	[ -n "$COLLECTOR_PID" ] || fail "no free port found"
	at_exit 'kill $COLLECTOR_PID 2>/dev/null'
	URL=https://127.0.0.1:$PORT
}

# restart_collector: starts it again with the same configuration and port.
restart_collector() {
	"$WARD_COLLECTOR" -f -c "$T/collector.conf" 2>> "$T/collector.log" &
	COLLECTOR_PID=$!
	collector_wait || fail "collector did not restart: $(tail -5 "$T/collector.log")"
}
