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
