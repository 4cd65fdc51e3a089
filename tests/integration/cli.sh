#!/bin/sh
# cli.sh: every program answers --help, --version and -n the same way, says
# what is wrong with a bad config (file, line, key), and its man page renders.
. "$top_srcdir/tests/integration/lib.sh"

version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h")
[ -n "$version" ] || fail "no PACKAGE_VERSION in config.h"

for spec in agents/ward-agent:agent.conf:8 agents/ward-netpoll:netpoll.conf:8 \
    collector/ward-collector:collector.conf:8 idsync/ward-idsync:idsync.conf:8 \
    tui/ward:ward.conf:1; do
	prog=${spec%%:*}
	rest=${spec#*:}
	conf=${rest%%:*}
	section=${rest#*:}
	name=${prog##*/}
	bin=$top_builddir/$prog

	run 0 "$bin" --help
	assert_contains "$OUT" "usage: $name"
	assert_contains "$OUT" "--check-config"
	run 0 "$bin" --version
	[ "$OUT" = "$name (ward) $version" ] || fail "$name --version said: $OUT"
	run 2 "$bin" --no-such-option
	assert_contains "$OUT" "Try '$name --help'"

	# The shipped example configuration is valid; the reporters' name a
	# collector but no token yet, and -n says so, as the daemon would.
	case $name in
	ward-agent|ward-netpoll)
		run 1 "$bin" -n -c "$top_srcdir/etc/$conf"
		assert_contains "$OUT" "[collector] url is set but token_file is not" ;;
	*)
		# Valid where ward is installed: -n also checks what the
		# machine has, its user "ward" and the files under /etc/ward
		# it names; where they are missing, -n says which.
		if grep -q '^user = ward$' "$top_srcdir/etc/$conf" &&
		    ! id ward > /dev/null 2>&1; then
			run 1 "$bin" -n -c "$top_srcdir/etc/$conf"
			assert_contains "$OUT" "[daemon] user: user \"ward\" does not exist"
		elif grep -q '^ca_file = /etc/ward/ad-ca.crt$' \
		    "$top_srcdir/etc/$conf" && [ ! -e /etc/ward/ad-ca.crt ]; then
			run 1 "$bin" -n -c "$top_srcdir/etc/$conf"
			assert_contains "$OUT" "ca_file /etc/ward/ad-ca.crt: No such file or directory"
		else
			run 0 "$bin" -n -c "$top_srcdir/etc/$conf"
			[ "$OUT" = "configuration OK" ] ||
			    fail "$name -n said: $OUT"
			run 0 "$bin" -n -v -c "$top_srcdir/etc/$conf"
			assert_contains "$OUT" "[log]"
		fi ;;
	esac

	# Bad configs: each error names the file, the line and the key.
	printf '[log]\nlevel = info\ncolour = blue\n' > "$T/unknown.conf"
	run 1 "$bin" -n -c "$T/unknown.conf"
	assert_contains "$OUT" "$T/unknown.conf:3: [log] colour: unknown key"
	printf '[log]\nlevel = loud\n' > "$T/badenum.conf"
	run 1 "$bin" -n -c "$T/badenum.conf"
	assert_contains "$OUT" "$T/badenum.conf:2: [log] level:"
	assert_contains "$OUT" "debug"
	printf '[log]\nsyslog = maybe\n' > "$T/badbool.conf"
	run 1 "$bin" -n -c "$T/badbool.conf"
	assert_contains "$OUT" "$T/badbool.conf:2: [log] syslog:"
	printf '[logging]\nlevel = info\n' > "$T/badsection.conf"
	run 1 "$bin" -n -c "$T/badsection.conf"
	assert_contains "$OUT" "$T/badsection.conf:1: unknown section [logging]"
	run 1 "$bin" -n -c "$T/does-not-exist.conf"
	assert_contains "$OUT" "$T/does-not-exist.conf"

	# What is not built yet says so and does not pretend to work. The
	# collector serves (collector_http.sh tests it); the agent sends, and
	# says what its example configuration lacks for that (agent_send.sh).
	case $name in
	ward-collector) ;;
	ward-agent|ward-netpoll)
		run 1 "$bin" -c "$top_srcdir/etc/$conf"
		assert_contains "$OUT" "token_file is not" ;;
	ward)
		# Its commands need a collector the example does not name
		# (tui_cli.sh and tui_dash.sh test them against one).
		run 1 "$bin" -c "$top_srcdir/etc/$conf" hosts
		assert_contains "$OUT" "no collector URL" ;;
	ward-idsync)
		# It reads, matches and writes back (idsync_slapd.sh,
		# idsync_samba.sh); the example names no attribute to write.
		run 2 "$bin" -c "$top_srcdir/etc/$conf"
		assert_contains "$OUT" "no command"
		run 1 "$bin" -c "$top_srcdir/etc/$conf" apply
		assert_contains "$OUT" "nothing to write: set [idsync] writeback_attribute, or [target] uri" ;;
	*)
		run 69 "$bin" -c "$top_srcdir/etc/$conf"
		assert_contains "$OUT" "not built yet" ;;
	esac

	# The man page renders without warnings and lists the options.
	man=$top_builddir/docs/man/$name.$section
	[ -f "$man" ] || fail "no man page $man"
	warnings=$(groff -man -Tutf8 -ww -z "$man" 2>&1) ||
	    fail "groff failed on $man"
	[ -z "$warnings" ] || fail "groff warnings for $man: $warnings"
	rendered=$(MANWIDTH=80 man -l "$man" 2>&1 | col -b | tr -s ' \t\n' '   ')
	assert_contains "$rendered" "configuration OK"
	assert_contains "$rendered" "level"
	assert_not_contains "$rendered" "%CONFIG_OPTIONS%"
	ok "$name: --help, --version, -n, bad configs, man page"
done

# The dashboard's configuration is optional; the daemons' is not.
run 0 "$WARD_TUI" -n -c "$top_srcdir/etc/ward.conf"
printf '[collector]\nurl = https://127.0.0.1:1\n' > "$T/notoken.conf"
run 1 "$WARD_AGENT" -n -c "$T/notoken.conf"
assert_contains "$OUT" "[collector] url is set but token_file is not"
printf '[netpoll]\ndatacentre = basildon\n[collector]\nurl = https://127.0.0.1:1\n' > "$T/notoken.conf"
run 1 "$WARD_NETPOLL" -n -c "$T/notoken.conf"
assert_contains "$OUT" "[collector] url is set but token_file is not"
run 1 "$WARD_AGENT" -f -n -c "$T/missing.conf"
run 2 "$WARD_TUI" -f
ok "optional and required configuration files"
