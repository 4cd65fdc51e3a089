#!/bin/sh
# idsync.sh: ward-idsync's match quality on generated staff of three
# directories whose ground truth is known: precision, recall and F1 over
# pairs of accounts (precision first: a false merge gives someone another
# person's access), with the hand-set weights and with the weights
# ward-idsync estimate gives; then the run's time beside ldapsearch paging
# the same entries and attributes out of the same slapd servers, its peak
# RSS, and the least a first run could take here (reading the entries and
# writing the saved state once); then, each beside ldapsearch timed just
# before it, a second run with nothing changed (which matches every
# account again: the first settled nothing), a third after 1 % of the
# accounts changed (which matches again only what that touched), a fourth
# with nothing changed, and a fifth after it (the state settled). See
# bench/README.md.
#
#   WARD_BENCH_PERSONS (182000 generated persons: 3 x 100 000 accounts,
#   about 5 minutes; 20000 gives about 33000 accounts in one)
. "${top_srcdir:?run through make bench}/bench/lib.sh"
fail() {
	die "$@"
}
. "$top_srcdir/tests/integration/idsync_fixture.sh"

PERSONS=${WARD_BENCH_PERSONS:-182000}
IDSYNC=$top_builddir/idsync/ward-idsync
GEN=$top_builddir/tests/integration/idsync_gen
[ -x "$IDSYNC" ] && [ -x "$GEN" ] ||
    die "build ward-idsync and tests/integration/idsync_gen first (make bench)"
for c in slapd slapadd slappasswd ldapsearch ldapmodify sqlite3 openssl; do
	need "$c"
done

make_ca
"$GEN" "$B" "$PERSONS" || die "idsync_gen failed"
openssl rand -hex 16 | tr -d '\n' > "$B/svc.password"
openssl rand -hex 16 | tr -d '\n' > "$B/root.password"
chmod 600 "$B/svc.password" "$B/root.password"
FX_DIR=$B
FX_SVC_HASH=$(slappasswd -T "$B/svc.password")
FX_ROOT_HASH=$(slappasswd -T "$B/root.password")
# Active Directory's MaxPageSize.
FX_PAGE_LIMIT=1000
for d in btuh meht southend; do
	fx_start_slapd "$d"
	bench_track "$FX_PID"
done

{
	printf '[log]\nlevel = info\n[idsync]\ndatabase = %s/idsync.db\n' "$B"
	for d in btuh meht southend; do
		eval "port=\$TLS_$d"
		cat <<CONF
[domain "$d"]
uri = ldaps://127.0.0.1:$port
base = DC=$d,DC=test
bind_dn = CN=svc-ward,OU=Service Accounts,DC=$d,DC=test
bind_password_file = $B/svc.password
ca_file = $B/ca.crt
filter = (objectClass=user)
page_size = 1000
CONF
	done
	sed -n '/^\[match\]/,$p' "$top_srcdir/etc/idsync.conf" |
	    sed "/^\[match\]/a nicknames = $top_srcdir/data/nicknames.txt"
} > "$B/idsync.conf"
"$IDSYNC" -n -c "$B/idsync.conf" > /dev/null || die "bad bench configuration"

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# timed_run LOG: one ward-idsync run; sets run_ms, and hwm (its peak RSS
# in kB, read from /proc while it works).
timed_run() {
	t0=$(now_ms)
	"$IDSYNC" -c "$B/idsync.conf" run > "$1" 2>&1 &
	pid=$!
	hwm=0
	while kill -0 "$pid" 2>/dev/null; do
		v=$(sed -n "s/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$pid/status" 2>/dev/null)
		[ -n "$v" ] && hwm=$v
		sleep 0.05
	done
	wait "$pid" || die "ward-idsync run failed: $(tail -3 "$1")"
	t1=$(now_ms)
	run_ms=$((t1 - t0))
}

# The run's own account of its phases: the domains are read at once, so
# reading is the wall time of the slowest, not the sum of their times (or
# of loading the last state, which goes on meanwhile, if that is longer).
phases() {
	read_ms=$(sed -n 's/.*read [0-9]* accounts from [0-9]* domains in \([0-9]*\) ms.*/\1/p' "$1")
	match_ms=$(sed -n 's/.*matched [0-9]* of [0-9]* accounts in \([0-9]*\) ms.*/\1/p' "$1")
	again=$(sed -n 's/.*matched \([0-9]*\) of [0-9]* accounts in.*/\1/p' "$1")
	pairs=$(sed -n 's/.*ms: \([0-9]*\) pairs compared.*/\1/p' "$1")
	save_ms=$(sed -n 's/.*planned and saved in \([0-9]*\) ms.*/\1/p' "$1")
}

# The same entries and attributes paged out by ldapsearch, domain after
# domain.
attrs="objectGUID objectSid sAMAccountName userPrincipalName mail proxyAddresses
    givenName sn displayName employeeID employeeNumber department title
    telephoneNumber mobile manager userAccountControl accountExpires pwdLastSet
    lastLogonTimestamp whenChanged uSNChanged memberOf"
ldapsearch_all() {
	for d in btuh meht southend; do
		eval "port=\$TLS_$d"
		# shellcheck disable=SC2086
		LDAPTLS_CACERT=$B/ca.crt LDAPTLS_REQCERT=demand ldapsearch -x \
		    -LLL -H "ldaps://127.0.0.1:$port" \
		    -D "CN=svc-ward,OU=Service Accounts,DC=$d,DC=test" \
		    -y "$B/svc.password" -b "DC=$d,DC=test" \
		    -E pr=1000/noprompt '(objectClass=user)' $attrs \
		    > "$B/ldapsearch-$d.ldif" || die "ldapsearch $d failed"
	done
}
# Once untimed first: slapd's first reads of its database after starting
# are slower, and neither side should pay for them.
ldapsearch_all

timed_run "$B/run.log"
phases "$B/run.log"

t0=$(now_ms)
ldapsearch_all
ldap_ms=$(($(now_ms) - t0))

# joined CONF OUT: the accounts of CONF's database joined with the truth:
# domain,guid,sam,person_id,kind,reason,truth_person,truth_kind,case
joined() {
	"$IDSYNC" -c "$1" export --accounts "$B/accounts.csv" \
	    2>> "$B/run.log" ||
	    die "export failed"
	awk -F, 'NR == FNR { if (FNR > 1) t[$1 "," $2] = $4 "," $5 "," $6; next }
	    FNR > 1 && ($1 "," $2) in t { print $0 "," t[$1 "," $2] }' \
	    "$B/truth.csv" "$B/accounts.csv" > "$2"
}
joined "$B/idsync.conf" "$B/joined.csv"

# quality all|hard [JOINED]: pairs counted by groups, not one by one: sum
# of k(k-1)/2 over persons found, persons true, and their intersections.
quality() {
	awk -F, -v sel="$1" '
	    sel == "hard" && ($9 == "random" || $9 == "") { next }
	    {
		if ($7 != "") { t[$7]++ }
		if ($4 != "") { p[$4]++ }
		if ($7 != "" && $4 != "") { c[$4 SUBSEP $7]++ }
		if ($6 == "conflict" && $7 != "") { w[$7]++ }
	    }
	    END {
		for (k in t) truth += t[k] * (t[k] - 1) / 2
		for (k in p) found += p[k] * (p[k] - 1) / 2
		for (k in c) right += c[k] * (c[k] - 1) / 2
		pr = found ? right / found : 1
		rc = truth ? right / truth : 1
		f1 = pr + rc ? 2 * pr * rc / (pr + rc) : 0
		printf "%-12s %8d %8d %8d %9.4f %7.4f %7.4f\n", sel, truth,
		    found, right, pr, rc, f1
	    }' "${2:-$B/joined.csv}"
}

accounts=$(($(wc -l < "$B/accounts.csv") - 1))
conflicts=$(sqlite3 "$B/idsync.db" 'SELECT count(*) FROM conflicts')
waiting=$(awk -F, '$6 == "conflict"' "$B/joined.csv" | wc -l)
echo "ward-idsync: match quality on $PERSONS generated persons ($accounts accounts in three slapd directories)"
printf '%-12s %8s %8s %8s %9s %7s %7s\n' pairs true linked right precision recall F1
quality all
quality hard
echo "conflicts: $conflicts for a person to decide; $waiting accounts wait on them without a person"

# The same staff matched again, into a fresh database, with the weights
# ward-idsync estimate gives from the first run's accounts (EM).
t0=$(now_ms)
"$IDSYNC" -c "$B/idsync.conf" estimate --write "$B/weights.conf" \
    2>> "$B/run.log" || die "estimate failed"
est_ms=$(($(now_ms) - t0))
sed -e "/^\[match\]/a weights_file = $B/weights.conf" \
    -e "s|^database = .*|database = $B/estimated.db|" "$B/idsync.conf" \
    > "$B/estimated.conf"
"$IDSYNC" -c "$B/estimated.conf" run > "$B/estimated.log" 2>&1 ||
    die "the run with estimated weights failed: $(tail -3 "$B/estimated.log")"
joined "$B/estimated.conf" "$B/joined-estimated.csv"
echo
echo "with weights estimated by EM (ward-idsync estimate: $est_ms ms; the weights in $B/weights.conf):"
printf '%-12s %8s %8s %8s %9s %7s %7s\n' pairs true linked right precision recall F1
quality all "$B/joined-estimated.csv"
quality hard "$B/joined-estimated.csv"
echo "conflicts: $(sqlite3 "$B/estimated.db" 'SELECT count(*) FROM conflicts')"
echo
echo "ward-idsync run: $run_ms ms (reading $read_ms ms, the last state loaded alongside; matching $match_ms ms with $pairs pairs compared, the accounts' rows written alongside; planning and saving what is left $save_ms ms; the remainder starting and ending), peak RSS $((hwm / 1024)) MiB"
echo "ldapsearch paging the same entries and attributes: $ldap_ms ms"
awk -v r="$run_ms" -v rd="$read_ms" -v l="$ldap_ms" 'BEGIN {
	printf "ratio: the whole run %.2fx ldapsearch; its reading %.2fx\n",
	    l ? r / l : 0, l ? rd / l : 0 }'
# The least a first run could take here: reading the entries (ldapsearch's
# time) and writing the state the run saved once, as SQLite copies a
# database (VACUUM INTO: page by page, no journal, no row-by-row index
# building). Matching and all the rest come on top.
t0=$(now_ms)
sqlite3 "$B/idsync.db" "VACUUM INTO '$B/floor.db'" ||
    die "sqlite3: VACUUM INTO failed"
write_ms=$(($(now_ms) - t0))
state_mib=$(($(stat -c %s "$B/floor.db") / 1048576))
rm -f "$B/floor.db"
echo "SQLite writing the saved state ($state_mib MiB) once: $write_ms ms"
awk -v w="$write_ms" -v l="$ldap_ms" 'BEGIN {
	printf "floor of a first run (reading, then writing the state once): %.2fx ldapsearch\n",
	    l ? (l + w) / l : 0 }'

# ldap_beside: ldapsearch timed just before the run that follows, into
# near_ms: this machine's speed drifts within a sitting (ldapsearch's own
# times differ by a quarter), and a ratio is fairest against its
# neighbour.
ldap_beside() {
	t0=$(now_ms)
	ldapsearch_all
	near_ms=$(($(now_ms) - t0))
}

# beside_ratio: the last run against ldapsearch just before it, and
# against the first timing.
beside_ratio() {
	awk -v r="$run_ms" -v n="$near_ms" -v l="$ldap_ms" 'BEGIN {
		printf "ratio: %.2fx ldapsearch just before it (%d ms); %.2fx the first timing\n",
		    n ? r / n : 0, n, l ? r / l : 0 }'
}

# A second run, nothing changed: the first found every account new, so
# none is settled yet and all are matched again.
full_ms=$run_ms
full_hwm=$hwm
ldap_beside
timed_run "$B/run1b.log"
phases "$B/run1b.log"
echo
echo "a second run, nothing changed (every account matched again: $again of $accounts): ward-idsync run: $run_ms ms (reading $read_ms ms; matching $match_ms ms; planning and saving $save_ms ms), peak RSS $((hwm / 1024)) MiB"
beside_ratio

# 1 % of the accounts changed: every hundredth account entry of each
# directory gets a new title and telephone number, written as the
# directory's manager; then ward-idsync runs again.
changed=0
for d in btuh meht southend; do
	awk '/^dn::? / { dn = $0; n++ }
	    /^sAMAccountName: / && n % 100 == 0 {
		printf "%s\nchangetype: modify\nreplace: title\n", dn
		printf "title: Acting Manager\n-\nreplace: telephoneNumber\n"
		printf "telephoneNumber: +44 1632 96%04d\n\n", n % 10000
	    }' "$B/$d.ldif" > "$B/change-$d.ldif"
	changed=$((changed + $(grep -c '^changetype' "$B/change-$d.ldif")))
	eval "port=\$PLAIN_$d"
	ldapmodify -x -H "ldap://127.0.0.1:$port" \
	    -D "CN=Manager,DC=$d,DC=test" -y "$B/root.password" \
	    -f "$B/change-$d.ldif" > /dev/null ||
	    die "ldapmodify $d failed"
done
ldap_beside
timed_run "$B/run2.log"
phases "$B/run2.log"
modified=$(sed -n 's/^accounts:.* \([0-9]*\) changed).*/\1/p' "$B/run2.log")
how=incrementally
grep -q 'a full read' "$B/run2.log" && how="in full (the directories keep no update sequence numbers)"
echo
echo "after $changed accounts changed ($(awk -v c="$changed" -v a="$accounts" 'BEGIN { printf "%.1f", a ? 100 * c / a : 0 }') %): ward-idsync run: $run_ms ms (read $how: $read_ms ms; matching $again accounts again $match_ms ms; planning and saving $save_ms ms; ${modified:-?} accounts modified in the plan), peak RSS $((hwm / 1024)) MiB"
beside_ratio
awk -v r="$run_ms" -v f="$full_ms" 'BEGIN {
	printf "%.2fx the first run\n", f ? r / f : 0 }'

# And again with nothing changed: what a scheduled run mostly is.
ldap_beside
timed_run "$B/run3.log"
phases "$B/run3.log"
modified=$(sed -n 's/^accounts:.* \([0-9]*\) changed).*/\1/p' "$B/run3.log")
echo
if grep -q 'nothing changed since run' "$B/run3.log"; then
	how="matching skipped: the run before left the links and persons it started from"
else
	how="matching $again accounts again $match_ms ms; planning and saving $save_ms ms; ${modified:-?} accounts modified in the plan"
fi
echo "again, nothing changed: ward-idsync run: $run_ms ms (reading $read_ms ms; $how), peak RSS $((hwm / 1024)) MiB"
beside_ratio

# Once more: the run before wrote nothing (it settled the state), so
# this one finds nothing to match.
ldap_beside
timed_run "$B/run4.log"
phases "$B/run4.log"
grep -q 'nothing changed since run' "$B/run4.log" ||
    die "the run after a settled one matched again: $(grep 'matching every account' "$B/run4.log")"
echo
echo "once more, nothing changed since a run that settled the state: ward-idsync run: $run_ms ms (reading $read_ms ms; matching skipped), peak RSS $((hwm / 1024)) MiB"
beside_ratio
