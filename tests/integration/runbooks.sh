#!/bin/sh
# runbooks.sh: every alert kind ward raises has runbooks/KIND.md with the
# sections operators rely on, listed in the index and installed; what a page
# says a built-in rule does is what rules.c does; its config snippets parse.
. "$top_srcdir/tests/integration/lib.sh"

R=$top_srcdir/runbooks
SECTIONS='## What it means
## Look at it in ward
## First checks
## Escalate
## How it resolves'

# The kinds issues 4 and 6 name. The sources add any kind added there later, so a
# new kind without a page fails here rather than in an operator's hands.
KINDS='host_down host_stale host_unreachable check flapping
systemd_failed_units fs_responding disk_usage inode_usage memory swap
load_per_core interface_errors interface_tx_errors ups_on_battery
ups_battery_low ups_runtime_low cert_expiry eol_horizon eol_passed'

alerts_c=$top_srcdir/collector/alerts.c
if [ -f "$alerts_c" ]; then
	k=$(sed -n '/alert_builtin_kinds\[\] = {/,/};/p' "$alerts_c" |
	    grep -o '"[A-Za-z0-9_]*"' | tr -d '"')
	[ -n "$k" ] || fail "$alerts_c: found no alert_builtin_kinds[]"
	KINDS="$KINDS $k"
fi

# The built-in rules, one a line: name metric warning critical direction
# divide_by for_ms (NULL where unset).
: > "$T/rules"
rules_c=$top_srcdir/collector/rules.c
if [ -f "$rules_c" ]; then
	sed -n '/rule_defaults\[\] = {/,/^};/p' "$rules_c" | sed '1d;$d' |
	    tr -d '\n\t' | sed 's/},/}\n/g' |
	    awk -F, '{
		for (i = 1; i <= NF; i++)
			gsub(/[{}" ]/, "", $i)
		if ($1 != "")
			print $1, $2, $5, $6, $7, $8, $9
	    }' > "$T/rules"
	[ "$(wc -l < "$T/rules")" -ge 11 ] ||
	    fail "$rules_c: could not read rule_defaults[] (got: $(cat "$T/rules"))"
	KINDS="$KINDS $(cut -d' ' -f1 "$T/rules")"
fi

KINDS=$(printf '%s\n' $KINDS | sort -u)
n=0
for k in $KINDS; do
	f=$R/$k.md
	[ -f "$f" ] || fail "alert kind $k has no runbook: write runbooks/$k.md"
	head -n1 "$f" | grep -q "^# $k: " ||
	    fail "runbooks/$k.md: the first line must be \"# $k: what it is\""
	printf '%s\n' "$SECTIONS" | while IFS= read -r s; do
		grep -qxF "$s" "$f" ||
		    fail "runbooks/$k.md: no \"$s\" section"
	done || exit 1
	grep -qF '(README.md#who-to-call)' "$f" ||
	    fail "runbooks/$k.md: Escalate must point to README.md#who-to-call"
	grep -qF "]($k.md)" "$R/README.md" ||
	    fail "runbooks/README.md: the index does not link $k.md"
	n=$((n + 1))
done
grep -qxF '## Who to call' "$R/README.md" ||
    fail "runbooks/README.md: no \"## Who to call\" section"
ok "$n alert kinds each have a runbook with its sections, in the index"

# What the rule pages say matches the built-in defaults.
while read -r name metric warn crit dir div for_ms; do
	f=$R/$name.md
	want="[rule \"$name\"]
metric = $metric"
	[ "$warn" = NULL ] || want="$want
warning = $warn"
	[ "$crit" = NULL ] || want="$want
critical = $crit"
	[ "$dir" != RULE_BELOW ] || want="$want
direction = below"
	[ "$div" = NULL ] || want="$want
divide_by = $div"
	ms=$(($for_ms))
	[ "$ms" = 0 ] || want="$want
for = $((ms / 60000))m"
	printf '%s\n' "$want" | while IFS= read -r line; do
		grep -qxF "$line" "$f" || fail "runbooks/$name.md: the built-in" \
		    "rule has \"$line\" (collector/rules.c); the page does not say so"
	done || exit 1
done < "$T/rules"
[ ! -s "$T/rules" ] ||
    ok "$(wc -l < "$T/rules") rule pages give the built-in defaults"

# Every page is installed, and every link between pages leads somewhere.
for f in "$R"/*.md; do
	b=${f##*/}
	grep -qF "runbooks/$b" "$top_srcdir/Makefile.am" ||
	    fail "runbooks/$b is not in dist_runbooks_DATA in Makefile.am"
	grep -o '](\([A-Za-z0-9_]*\.md\)' "$f" | sed 's/^](//' |
	    while read -r l; do
		[ -f "$R/$l" ] || fail "runbooks/$b links $l, which does not exist"
	done || exit 1
done
ok "every runbook is installed and its links resolve"

# The configuration the pages show is accepted as shown.
if ! "$WARD_COLLECTOR" --config-reference=markdown | grep -q '^### \[rule '
then
	echo "# ward-collector has no [rule] sections: snippets not checked"
	exit 0
fi
mkdir "$T/db"
printf '[http]\nlisten = 127.0.0.1:8443\ntls = no\n[store]\ndatabase = %s\n' \
    "$T/db/ward.db" > "$T/base.conf"
n=0
for f in "$R"/*.md; do
	awk -v out="$T/snip" '
		/^```ini$/ { n++; on = 1; next }
		/^```/ { on = 0 }
		on { print > (out "." n) }
	' "$f"
	for s in "$T"/snip.*; do
		[ -f "$s" ] || continue
		# [check] sections are agent.conf's; the rest collector.conf's.
		if grep -q '^\[check "' "$s"; then
			cp "$s" "$T/c.conf"
			prog=$WARD_AGENT
		else
			cat "$T/base.conf" "$s" > "$T/c.conf"
			prog=$WARD_COLLECTOR
		fi
		out=$("$prog" -n -c "$T/c.conf" 2>&1) ||
		    fail "runbooks/${f##*/}: ${prog##*/} -n refuses the snippet:
$(cat "$s")
$out"
		n=$((n + 1))
		rm -f "$s"
	done
done
ok "$n configuration snippets in the runbooks pass -n"
