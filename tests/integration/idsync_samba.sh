#!/bin/sh
# idsync_samba.sh: ward-idsync against real Active Directory: three Samba
# AD domain controllers (samba_lib.sh) holding the generated staff. Reads
# over LDAPS in pages; objectGUID and objectSid decoded as Samba's own tools
# print them; the persons the same as from the slapd directories holding
# the same staff. Then incremental reads: adds, modifies, renames and
# deletes after a run are picked up by reading only what changed, person
# ids stay, and the result is what a full read gives; another DC, a
# restored one, another scope, an old full read, or an account that cannot
# see the tombstones mean a full read, as the log says. Then write-back:
# each primary account gets its person's id, a threshold stops it before
# anything is written, a DC killed mid-apply leaves the state whole and the
# next run finishes the job, a second apply writes nothing, values are
# replaced and cleared as persons change, someone else's value is left
# alone, and every write is in the audit. Last, incremental reads by
# DirSync: the same changes picked up, the same result as a full read; a
# cookie the DC refuses, or an account without the right DirSync needs,
# mean a full read, as the log says.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/samba_lib.sh"
. "$top_srcdir/tests/integration/idsync_fixture.sh"

for c in slapd slapadd slappasswd sqlite3; do
	require_cmd "$c"
done
samba_setup

GEN=$top_builddir/tests/integration/idsync_gen
"$GEN" "$T" 150 || fail "idsync_gen failed"
for d in $SAMBA_DOMAINS; do
	samba_load "$d" "$T/$d.ldif"
done
W=$SAMBA_WRITE_ATTR

# ids CMD...: ward-idsync inside the namespace, where the DCs are.
ids() {
	samba_exec "$WARD_IDSYNC" "$@"
}

# samba_conf FILE [EXTRA-GLOBAL [EXTRA-DOMAIN [ONLY]]]: the three DCs over
# LDAPS, reading as svc-ward, EXTRA-DOMAIN in each [domain] (or in ONLY's);
# the matching sections as etc/idsync.conf ships them.
samba_conf() {
	{
		printf '[log]\nlevel = info\n[idsync]\ndatabase = %s\n%s\n' \
		    "${DB:-$T/idsync.db}" "${2:-}"
		for d in $SAMBA_DOMAINS; do
			cat <<CONF
[domain "$d"]
uri = ldaps://$(samba_ip "$d")
base = DC=$d,DC=test
bind_dn = CN=svc-ward,OU=Service Accounts,DC=$d,DC=test
bind_password_file = $T/svc.password
ca_file = $T/samba-ca.crt
page_size = 50
CONF
			[ -z "${4:-}" ] || [ "$4" = "$d" ] && printf '%s\n' "${3:-}"
		done
		sed -n '/^\[match\]/,$p' "$top_srcdir/etc/idsync.conf" |
		    sed "/^\[match\]/a nicknames = $top_srcdir/data/nicknames.txt"
	} > "$1"
}
samba_conf "$T/idsync.conf"
run 0 "$WARD_IDSYNC" -n -c "$T/idsync.conf"

# ------------------------------------------------------------ full reads
run 0 ids -c "$T/idsync.conf" run
printf '%s\n' "$OUT" > "$T/run1.log"
for d in $SAMBA_DOMAINS; do
	n=$(ldbsearch -H "$(samba_ldb "$d")" -b "DC=$d,DC=test" \
	    '(&(objectCategory=person)(objectClass=user))' dn | grep -c '^dn: ')
	pages=$(printf '%s\n' "$OUT" | sed -n "s/.*domain $d: \([0-9]*\) accounts in \([0-9]*\) pages from ldaps:.*/\1 \2/p")
	[ "$pages" = "$n $(( (n + 49) / 50 ))" ] ||
	    fail "domain $d: expected $n accounts in pages of 50, got '$pages': $OUT"
	assert_contains "$OUT" "domain $d: 1 referrals not followed"
	assert_contains "$OUT" "domain $d: $n accounts in $(( (n + 49) / 50 )) pages from ldaps://$(samba_ip "$d") "
done
assert_contains "$OUT" "a full read: no earlier read to continue from"
ok "LDAPS reads of three Samba DCs in pages of 50; the referral to the configuration is not followed"

# objectGUID and objectSid as ldbsearch prints them, for every account.
sqlite3 -separator , "$T/idsync.db" \
    "SELECT domain, sam, guid, sid FROM accounts ORDER BY 1, 2" > "$T/ours.csv"
for d in $SAMBA_DOMAINS; do
	ldbsearch -H "$(samba_ldb "$d")" -b "DC=$d,DC=test" \
	    '(&(objectCategory=person)(objectClass=user))' \
	    sAMAccountName objectGUID objectSid |
	    awk -v d="$d" '/^# record/ { if (s != "") print d "," s "," g "," i; s = g = i = "" }
		/^sAMAccountName: / { s = $2 } /^objectGUID: / { g = $2 }
		/^objectSid: / { i = $2 }
		END { if (s != "") print d "," s "," g "," i }'
done | LC_ALL=C sort > "$T/samba.csv"
LC_ALL=C sort "$T/ours.csv" > "$T/ours.sorted"
[ "$(wc -l < "$T/samba.csv")" -gt 250 ] || fail "ldbsearch listed too few accounts"
cmp -s "$T/ours.sorted" "$T/samba.csv" ||
    fail "GUIDs or SIDs differ from ldbsearch's: $(diff "$T/ours.sorted" "$T/samba.csv" | head)"
ok "objectGUID and objectSid of $(wc -l < "$T/samba.csv") accounts decode as ldbsearch prints them"

# The same staff in slapd: the same persons.
openssl rand -hex 16 | tr -d "\n" > "$T/slapd-svc.password"
openssl rand -hex 16 | tr -d "\n" > "$T/root.password"
chmod 600 "$T/slapd-svc.password" "$T/root.password"
make_test_ca
FX_DIR=$T
FX_SVC_HASH=$(slappasswd -T "$T/slapd-svc.password") || fail "slappasswd failed"
FX_ROOT_HASH=$(slappasswd -T "$T/root.password") || fail "slappasswd failed"
for d in $SAMBA_DOMAINS; do
	fx_start_slapd "$d"
	at_exit "fx_stop_slapd $d"
done
{
	printf '[idsync]\ndatabase = %s\n' "$T/slapd.db"
	for d in $SAMBA_DOMAINS; do
		eval "port=\$TLS_$d"
		cat <<CONF
[domain "$d"]
uri = ldaps://127.0.0.1:$port
base = DC=$d,DC=test
bind_dn = CN=svc-ward,OU=Service Accounts,DC=$d,DC=test
bind_password_file = $T/slapd-svc.password
ca_file = $T/ca.crt
filter = (objectClass=user)
page_size = 50
CONF
	done
	sed -n '/^\[match\]/,$p' "$top_srcdir/etc/idsync.conf" |
	    sed "/^\[match\]/a nicknames = $top_srcdir/data/nicknames.txt"
} > "$T/slapd.conf"
run 0 "$WARD_IDSYNC" -c "$T/slapd.conf" run
run 0 "$WARD_IDSYNC" -c "$T/slapd.conf" export --accounts "$T/slapd-accounts.csv"
run 0 ids -c "$T/idsync.conf" export --accounts "$T/accounts1.csv"

# groups EXPORT: the persons as sets of (domain, sAMAccountName) of the
# generated staff, one line each, sorted; unlinked accounts as their own,
# with why.
groups() {
	awk -F, 'NR == FNR { if (FNR > 1) staff[$1 "\\" $3] = 1; next }
	    FNR > 1 && ($1 "\\" $3) in staff {
		if ($4 == "") print "(" $6 ") " $1 "\\" $3
		else m[$4] = m[$4] " " $1 "\\" $3
	    }
	    END { for (p in m) print m[p] }' "$T/truth.csv" "$1" |
	    while IFS= read -r line; do
		printf '%s\n' "$line" | tr ' ' '\n' | LC_ALL=C sort | tr '\n' ' '
		echo
	    done | LC_ALL=C sort
}
groups "$T/slapd-accounts.csv" > "$T/slapd.groups"
groups "$T/accounts1.csv" > "$T/samba.groups"
[ "$(wc -l < "$T/samba.groups")" -gt 200 ] || fail "too few persons from Samba"
cmp -s "$T/slapd.groups" "$T/samba.groups" ||
    fail "Samba's persons differ from slapd's: $(diff "$T/slapd.groups" "$T/samba.groups" | head)"
for d in $SAMBA_DOMAINS; do
	fx_stop_slapd "$d"
done
ok "the persons from Samba are the persons from slapd, account for account ($(wc -l < "$T/samba.groups"))"

# ------------------------------------------------------------ incremental
# Nothing changed: each domain is read from its mark, and nothing moves.
run 0 ids -c "$T/idsync.conf" run
for d in $SAMBA_DOMAINS; do
	assert_contains "$OUT" "domain $d: $(grep -c "^$d," "$T/accounts1.csv") accounts, read incrementally from ldaps://$(samba_ip "$d"): 0 changed, 0 gone, since USN"
done
assert_contains "$OUT" "links:     0 made, 0 broken"
run 0 ids -c "$T/idsync.conf" export --accounts "$T/accounts2.csv"
cmp -s "$T/accounts1.csv" "$T/accounts2.csv" ||
    fail "an incremental run with no changes changed links: $(diff "$T/accounts1.csv" "$T/accounts2.csv" | head)"
ok "a second run reads only changes (none) and changes nothing"

# person_of DOMAIN SAM [EXPORT]: the person id of an account.
person_of() {
	awk -F, -v d="$1" -v s="$2" '$1 == d && $3 == s { print $4 }' \
	    "${3:-$T/accounts1.csv}"
}
# dn_of DOMAIN SAM: its DN as the DC has it.
dn_of() {
	ldbsearch -H "$(samba_ldb "$1")" -b "DC=$1,DC=test" \
	    "(sAMAccountName=$2)" dn | sed -n 's/^dn: //p'
}
# truth_sam DOMAIN CASE-OR-PERSON: the sAMAccountName the generator gave.
truth_sam() {
	awk -F, -v d="$1" -v p="$2" '$1 == d && $4 == p && $5 == "person" { print $3 }' "$T/truth.csv"
}

# Changes, made on the DCs as an administrator would:
# - southend gets Jon Whitfield, with the mobile of btuh's Jonathon
#   Whitfield (H01): a new account that joins an existing person;
# - btuh's Catherine Ashworth (H02) gets another title;
# - meht's Bob Pennington (H03) is renamed (his DN changes, his GUID not);
# - southend's Liz Hartley-Moore (H04) is deleted: her btuh account stays;
# - a southend person's only account is deleted: the person goes.
whitfield=$(person_of btuh "$(truth_sam btuh H01)")
ashworth=$(truth_sam btuh H02)
pennington=$(truth_sam meht H03)
hartley=$(truth_sam southend H04)
lone=$(awk -F, 'NR > 1 && $5 == "person" { n[$4]++; d[$4] = $1; s[$4] = $3 }
    END { for (p in n) if (n[p] == 1 && d[p] == "southend" && p ~ /^R/) print s[p] }' \
    "$T/truth.csv" | LC_ALL=C sort | head -n 1)
[ -n "$whitfield" ] && [ -n "$ashworth" ] && [ -n "$pennington" ] &&
    [ -n "$hartley" ] && [ -n "$lone" ] || fail "the generator's hard cases are not where expected"
lone_person=$(person_of southend "$lone")
hartley_person=$(person_of southend "$hartley")
[ "$hartley_person" = "$(person_of btuh "$(truth_sam btuh H04)")" ] ||
    fail "Hartley-Moore's two accounts were not one person to begin with"
ldbadd -H "$(samba_ldb southend)" > /dev/null <<LDIF || fail "ldbadd whitfieldj"
dn: CN=Jon Whitfield,OU=Staff,DC=southend,DC=test
objectClass: user
sn: Whitfield
givenName: Jon
sAMAccountName: whitfieldj
department: Radiology
title: Radiographer
mobile: 07700 900101
userAccountControl: 512
LDIF
ldbmodify -H "$(samba_ldb btuh)" > /dev/null <<LDIF || fail "ldbmodify $ashworth"
dn: $(dn_of btuh "$ashworth")
changetype: modify
replace: title
title: Chief Pharmacist
LDIF
old_dn=$(dn_of meht "$pennington")
ldbrename -H "$(samba_ldb meht)" "$old_dn" \
    "CN=Robert Pennington (Estates),OU=Staff,DC=meht,DC=test" > /dev/null ||
    fail "ldbrename $old_dn"
ldbdel -H "$(samba_ldb southend)" "$(dn_of southend "$hartley")" > /dev/null ||
    fail "ldbdel $hartley"
ldbdel -H "$(samba_ldb southend)" "$(dn_of southend "$lone")" > /dev/null ||
    fail "ldbdel $lone"

n1=$(($(wc -l < "$T/accounts1.csv") - 1))
p1=$(sqlite3 "$T/idsync.db" "SELECT count(*) FROM persons")
run 0 ids -c "$T/idsync.conf" run
printf '%s\n' "$OUT" > "$T/run3.log"
assert_contains "$OUT" "domain btuh: $(grep -c '^btuh,' "$T/accounts1.csv") accounts, read incrementally from ldaps://127.0.0.2: 1 changed, 0 gone"
assert_contains "$OUT" "domain meht: $(grep -c '^meht,' "$T/accounts1.csv") accounts, read incrementally from ldaps://127.0.0.3: 1 changed, 0 gone"
assert_contains "$OUT" "domain southend: $(($(grep -c '^southend,' "$T/accounts1.csv") - 1)) accounts, read incrementally from ldaps://127.0.0.4: 1 changed, 2 gone"
assert_contains "$OUT" "accounts:  $((n1 - 1)) (1 new, 2 gone, 1 changed)"
assert_contains "$OUT" "persons:   $((p1 - 1)) (0 new, 1 gone, 0 became leavers)"
run 0 ids -c "$T/idsync.conf" export --accounts "$T/accounts3.csv"
[ "$(person_of southend whitfieldj "$T/accounts3.csv")" = "$whitfield" ] ||
    fail "the new southend account did not join Whitfield's person: $(grep whitfieldj "$T/accounts3.csv")"
[ "$(person_of btuh "$ashworth" "$T/accounts3.csv")" = "$(person_of btuh "$ashworth")" ] ||
    fail "a modified account changed person"
[ "$(person_of meht "$pennington" "$T/accounts3.csv")" = "$(person_of meht "$pennington")" ] ||
    fail "a renamed account changed person"
[ "$(sqlite3 "$T/idsync.db" "SELECT dn FROM accounts WHERE domain = 'meht' AND sam = '$pennington'")" = \
    "CN=Robert Pennington (Estates),OU=Staff,DC=meht,DC=test" ] ||
    fail "the renamed account's DN is not the new one"
[ "$(sqlite3 "$T/idsync.db" "SELECT title FROM accounts WHERE domain = 'btuh' AND sam = '$ashworth'" 2>/dev/null || true)" = "" ]
sqlite3 "$T/idsync.db" "SELECT attrs FROM accounts WHERE domain = 'btuh' AND sam = '$ashworth'" |
    grep -q '"title":\["Chief Pharmacist"\]' || fail "the modified title is not in the state"
grep -q "^southend,[^,]*,$hartley," "$T/accounts3.csv" && fail "the deleted account is still there"
grep -q "^southend,[^,]*,$lone," "$T/accounts3.csv" && fail "the deleted account is still there"
[ "$(sqlite3 "$T/idsync.db" "SELECT count(*) FROM persons WHERE id = '$hartley_person'")" = 1 ] ||
    fail "Hartley-Moore's person went with one of her accounts"
[ "$(sqlite3 "$T/idsync.db" "SELECT count(*) FROM persons WHERE id = '$lone_person'")" = 0 ] ||
    fail "the person of a deleted sole account is still there"
# Every account there before and still there keeps its person.
awk -F, 'NR == FNR { p[$1 "," $2] = $4; next }
    ($1 "," $2) in p && p[$1 "," $2] != $4 { print $1 "\\" $3 ": " p[$1 "," $2] " -> " $4 }' \
    "$T/accounts1.csv" "$T/accounts3.csv" > "$T/moved"
[ ! -s "$T/moved" ] || fail "person ids changed: $(cat "$T/moved")"
ok "an add, a modify, a rename and two deletes are read incrementally; person ids stay"

# What the increments built is what a full read gives.
samba_conf "$T/full.conf" "" "incremental = no"
run 0 ids -c "$T/full.conf" plan
assert_contains "$OUT" "a full read: incremental = no"
assert_contains "$OUT" "accounts:  $((n1 - 1)) (0 new, 0 gone, 0 changed)"
assert_contains "$OUT" "persons:   $((p1 - 1)) (0 new, 0 gone, 0 became leavers)"
assert_contains "$OUT" "links:     0 made, 0 broken"
ok "the state after incremental reads is the one a full read gives"

# The mark belongs to one DC, one database of it, one scope, and a full
# read not too long ago: otherwise a full read, and the log says why.
sqlite3 "$T/idsync.db" "UPDATE domain_marks SET invocation_id = '00000000-0000-0000-0000-000000000001' WHERE domain = 'btuh';
    UPDATE domain_marks SET server = 'CN=NTDS Settings,CN=DC2' WHERE domain = 'meht';
    UPDATE domain_marks SET full_ms = full_ms - 2 * 86400000 WHERE domain = 'southend'"
run 0 ids -c "$T/idsync.conf" run
assert_contains "$OUT" "domain btuh: $(grep -c '^btuh,' "$T/accounts3.csv") accounts in"
assert_contains "$OUT" "a full read: the domain controller's invocationId changed ("
assert_contains "$OUT" "was 00000000-0000-0000-0000-000000000001): it was restored or reinstalled"
assert_contains "$OUT" "a full read: another domain controller answered (CN=NTDS Settings,CN=DCMEHT,CN=Servers,"
assert_contains "$OUT" "the last read was of CN=NTDS Settings,CN=DC2)"
assert_contains "$OUT" "a full read: the last full read was 2d ago (full_read_interval = 1d)"
assert_contains "$OUT" "links:     0 made, 0 broken"
SOUTHEND_FILTER='filter = (&(objectCategory=person)(objectClass=user)(sAMAccountName=*))'
samba_conf "$T/scope.conf" "" "$SOUTHEND_FILTER" southend
run 0 ids -c "$T/scope.conf" run
assert_contains "$OUT" "domain btuh: $(grep -c '^btuh,' "$T/accounts3.csv") accounts, read incrementally"
assert_contains "$OUT" "a full read: base, filter or attributes changed since the last read"
run 0 ids -c "$T/scope.conf" run
assert_not_contains "$OUT" "a full read"
ok "another DC, a restored DC, another scope or an old full read: a full read, and why"

# An account that cannot see the tombstones would miss deletions: full
# reads, with a warning.
upw=$(printf '"%s"' "$(cat "$T/svc.password")" | iconv -t UTF-16LE | base64 -w0)
ldbadd -H "$(samba_ldb southend)" > /dev/null <<LDIF || fail "ldbadd svc-plain"
dn: CN=svc-plain,OU=Service Accounts,DC=southend,DC=test
objectClass: user
sAMAccountName: svc-plain
userAccountControl: 66048
unicodePwd:: $upw
LDIF
sed 's/CN=svc-ward,OU=Service Accounts,DC=southend/CN=svc-plain,OU=Service Accounts,DC=southend/' \
    "$T/scope.conf" > "$T/plain.conf"
run 0 ids -c "$T/plain.conf" plan
assert_contains "$OUT" "warning: domain southend:"
assert_contains "$OUT" "a full read: CN=svc-plain,OU=Service Accounts,DC=southend,DC=test sees no deleted objects in CN=Deleted Objects (no tombstone is visible there): it needs List Contents and Read Property there"
ok "an account that cannot list CN=Deleted Objects: full reads, and a warning"

# ------------------------------------------------------------ write-back
# values DOMAIN: "GUID VALUE" of every account holding the attribute, as
# the DC itself has them.
values() {
	ldbsearch -H "$(samba_ldb "$1")" -b "DC=$1,DC=test" "($W=*)" \
	    objectGUID "$W" |
	    awk -v w="$W" '/^# record/ { if (g != "") print g " " v; g = v = "" }
		/^objectGUID: / { g = $2 } $1 == w ":" { v = $2 }
		END { if (g != "") print g " " v }' | LC_ALL=C sort
}
# wanted DOMAIN: "GUID PERSON" of the domain's primary accounts, but the
# one holding someone else's value.
wanted() {
	sqlite3 -separator ' ' "$T/idsync.db" "SELECT guid, person_id FROM links
	    WHERE domain = '$1' AND role = 'primary' ORDER BY guid" |
	    grep -v "^$foreign " | LC_ALL=C sort
}
audited() {
	sqlite3 "$T/idsync.db" "SELECT count(*) FROM audit WHERE $1"
}

# Someone else's value is never touched.
foreign=$(sqlite3 "$T/idsync.db" "SELECT guid FROM accounts WHERE domain = 'meht' AND sam = '$pennington'")
ldbmodify -H "$(samba_ldb meht)" > /dev/null <<LDIF || fail "ldbmodify $pennington"
dn: $(dn_of meht "$pennington")
changetype: modify
add: $W
$W: HR-PAYROLL-7731
LDIF

# A threshold stops the first write-back before anything is written.
samba_conf "$T/apply.conf" "writeback_attribute = $W
max_creates = 20"
run 2 ids -c "$T/apply.conf" apply
sets=$(($(wanted btuh | wc -l) + $(wanted meht | wc -l) + $(wanted southend | wc -l)))
assert_contains "$OUT" "write-back of $W: $sets to set, 0 to replace, 0 to clear"
assert_contains "$OUT" "1 account holds a value ward-idsync did not write: left alone"
assert_contains "$OUT" "more than max_creates = 20; nothing was written"
for d in $SAMBA_DOMAINS; do
	[ "$(values "$d" | grep -vc HR-PAYROLL)" = 0 ] ||
	    fail "a stopped apply wrote to $d: $(values "$d" | head -3)"
done
[ "$(audited 1)" = 0 ] || fail "a stopped apply has audit rows"
ok "write-back past max_creates stops (exit 2) before writing anything"

# The first write-back, with btuh's DC killed while it writes there.
samba_conf "$T/apply.conf" "writeback_attribute = $W
mode = apply"
run 0 ids -c "$T/apply.conf" export --accounts "$T/before-apply.csv"
nbtuh=$(wanted btuh | wc -l)
# The plan is printed when it is made, and btuh is written first: the DC
# dies as its writes begin.
rm -f "$T/apply1.log"
samba_exec "$WARD_IDSYNC" -c "$T/apply.conf" apply > "$T/apply1.log" 2>&1 &
apply_pid=$!
wait_for_line "$T/apply1.log" '^write-back of' "$apply_pid"
samba_kill btuh
set +e
wait "$apply_pid"
got=$?
set -e
OUT=$(cat "$T/apply1.log")
[ "$got" = 1 ] || fail "an apply whose DC died exited $got: $OUT"
done_btuh=$(audited "domain = 'btuh' AND outcome = 'done'")
[ "$done_btuh" -lt "$nbtuh" ] && [ "$(audited "domain = 'btuh' AND outcome = 'failed'")" = 1 ] ||
    fail "btuh's DC was not killed mid-apply ($done_btuh of $nbtuh written): $OUT"
assert_contains "$OUT" "domain btuh: ldaps://127.0.0.2: stopped after $done_btuh of its $nbtuh writes: Can't contact LDAP server"
for d in meht southend; do
	assert_contains "$OUT" "domain $d: wrote $W to $(wanted "$d" | wc -l) accounts"
	[ "$(values "$d" | grep -v HR-PAYROLL)" = "$(wanted "$d")" ] ||
	    fail "$d's values are not its persons' ids: $(values "$d" | head -3)"
done
run 0 ids -c "$T/apply.conf" export --accounts "$T/after-apply.csv"
cmp -s "$T/before-apply.csv" "$T/after-apply.csv" ||
    fail "a failed apply changed the state"
run 0 ids -c "$T/apply.conf" history 1
assert_contains "$OUT" "apply"
assert_contains "$OUT" "failed"
assert_contains "$OUT" "stopped after $done_btuh of its $nbtuh writes"
samba_start btuh
ok "a DC killed mid-apply ($done_btuh of $nbtuh written in btuh): the others written, the state unchanged, the history says where it stopped"

# The next run (mode = apply) finishes the job. (The write the DC died
# in may have landed or not: the values read now say.)
left=$(( nbtuh - $(values btuh | wc -l) ))
[ "$left" -gt 0 ] || fail "btuh holds every value after its DC died"
run 0 ids -c "$T/apply.conf" run
assert_contains "$OUT" "write-back of $W: $left to set, 0 to replace, 0 to clear"
for d in $SAMBA_DOMAINS; do
	[ "$(values "$d" | grep -v HR-PAYROLL)" = "$(wanted "$d")" ] ||
	    fail "$d's values are not its persons' ids after the next run"
done
[ "$(values meht | grep -c ' HR-PAYROLL-7731$')" = 1 ] ||
    fail "someone else's value was touched"
ok "the next run writes the rest: every primary account holds its person's id"

# A second apply writes nothing.
n=$(audited 1)
run 0 ids -c "$T/apply.conf" apply
assert_contains "$OUT" "write-back of $W: 0 to set, 0 to replace, 0 to clear; $sets already hold their person's id"
[ "$(audited 1)" = "$n" ] || fail "a second apply wrote something"
ok "a second apply writes nothing"

# Every write is in the audit: who, when, as whom, before and after.
[ "$(audited "outcome = 'done' AND by_user = 'root' AND before IS NULL AND after IS NOT NULL AND finished_ms >= started_ms")" -ge $((sets - 1)) ] ||
    fail "the audit does not hold one row per value written"
[ "$(audited "domain = 'btuh' AND bind_dn = 'CN=svc-ward,OU=Service Accounts,DC=btuh,DC=test'")" -ge "$nbtuh" ] ||
    fail "the audit does not say which account wrote"
interrupted=$(audited "outcome IN ('failed', 'interrupted')")
[ "$interrupted" -le 1 ] || fail "$interrupted writes failed or interrupted"
run 0 ids -c "$T/apply.conf" audit 3
assert_contains "$OUT" "done  btuh:"
assert_contains "$OUT" "$W: (none) -> "
assert_contains "$OUT" "(by root as CN=svc-ward,OU=Service Accounts,DC=btuh,DC=test)"
ok "every write is audited with who, when, as whom, before and after"

# Replace and clear: an account decided to be someone else (it becomes a
# person of its own: its value is replaced), an account that became a
# service account (no person: its value is cleared), and a value someone
# set to another person's id (put back).
pa=$(truth_sam btuh H06)
pb=$(truth_sam meht H07)
pc=$(truth_sam southend H09)
old_a=$(person_of btuh "$pa" "$T/after-apply.csv")
old_c=$(person_of southend "$pc" "$T/after-apply.csv")
run 0 ids -c "$T/apply.conf" unlink "btuh\\$pa"
ldbrename -H "$(samba_ldb meht)" "$(dn_of meht "$pb")" \
    "CN=svc-moved,OU=Service Accounts,DC=meht,DC=test" > /dev/null ||
    fail "ldbrename $pb"
ldbmodify -H "$(samba_ldb southend)" > /dev/null <<LDIF || fail "ldbmodify $pc"
dn: $(dn_of southend "$pc")
changetype: modify
replace: $W
$W: $old_a
LDIF
run 0 ids -c "$T/apply.conf" run
assert_contains "$OUT" "write-back of $W: 0 to set, 2 to replace, 1 to clear"
new_a=$(sqlite3 "$T/idsync.db" "SELECT person_id FROM links l JOIN accounts a USING (domain, guid) WHERE a.domain = 'btuh' AND a.sam = '$pa'")
[ -n "$new_a" ] && [ "$new_a" != "$old_a" ] || fail "the unlinked account has no person of its own"
for d in $SAMBA_DOMAINS; do
	[ "$(values "$d" | grep -v HR-PAYROLL)" = "$(wanted "$d")" ] ||
	    fail "$d's values are not its persons' ids after replace and clear"
done
[ "$(audited "after IS NULL AND outcome = 'done'")" = 1 ] || fail "no clear in the audit"
[ "$(audited "before = '$old_a' AND after = '$old_c' AND outcome = 'done'")" = 1 ] ||
    fail "the value set to another person's id is not put back in the audit"
ok "values replaced and cleared as persons change; a tampered value is put back"

# ------------------------------------------------------------ DirSync
# The same domains read with incremental_method = dirsync, into a database
# of their own: a full read that keeps a DirSync cookie, then only what
# DirSync says changed.
DB=$T/dirsync.db
samba_conf "$T/dirsync.conf" "" "incremental_method = dirsync"
DB=
run 0 ids -c "$T/dirsync.conf" run
assert_contains "$OUT" "a full read: no earlier read to continue from"
[ "$(sqlite3 "$T/dirsync.db" "SELECT count(*) FROM domain_marks WHERE length(dirsync_cookie) > 0")" = 3 ] ||
    fail "the full reads kept no DirSync cookies: $(sqlite3 "$T/dirsync.db" "SELECT domain, length(dirsync_cookie) FROM domain_marks")"
run 0 ids -c "$T/dirsync.conf" export --accounts "$T/ds1.csv"
count_of() {
	sqlite3 "$T/dirsync.db" "SELECT count(*) FROM accounts WHERE domain = '$1'"
}
run 0 ids -c "$T/dirsync.conf" run
for d in $SAMBA_DOMAINS; do
	assert_contains "$OUT" "domain $d: $(count_of "$d") accounts, read incrementally from ldaps://$(samba_ip "$d") by DirSync: 0 changed, 0 gone"
done
assert_contains "$OUT" "links:     0 made, 0 broken"
ok "incremental_method = dirsync: a full read keeps a cookie; the next run reads by DirSync (nothing changed)"

# An add (meht), a modify (btuh), a rename (southend) and a delete (btuh).
pick() {
	awk -F, -v d="$1" 'NR > 1 && $1 == d && $5 == "person" && $4 ~ /^R/ { print $3 }' \
	    "$T/truth.csv" | LC_ALL=C sort | while read -r s; do
		grep -q "^$1,[^,]*,$s," "$T/ds1.csv" && [ "$s" != "$2" ] &&
		    { echo "$s"; break; }
	done
}
ds_del=$(pick btuh "")
ds_ren=$(pick southend "")
[ -n "$ds_del" ] && [ -n "$ds_ren" ] || fail "no accounts to change for DirSync"
nb=$(count_of btuh)
nm=$(count_of meht)
ns=$(count_of southend)
ldbadd -H "$(samba_ldb meht)" > /dev/null <<LDIF || fail "ldbadd quillfeathera"
dn: CN=Ada Quillfeather,OU=Staff,DC=meht,DC=test
objectClass: user
sn: Quillfeather
givenName: Ada
sAMAccountName: quillfeathera
department: Audiology
title: Audiologist
userAccountControl: 512
LDIF
ldbmodify -H "$(samba_ldb btuh)" > /dev/null <<LDIF || fail "ldbmodify $ashworth"
dn: $(dn_of btuh "$ashworth")
changetype: modify
replace: title
title: Director of Pharmacy
LDIF
ldbrename -H "$(samba_ldb southend)" "$(dn_of southend "$ds_ren")" \
    "CN=Renamed By DirSync,OU=Staff,DC=southend,DC=test" > /dev/null ||
    fail "ldbrename $ds_ren"
ldbdel -H "$(samba_ldb btuh)" "$(dn_of btuh "$ds_del")" > /dev/null ||
    fail "ldbdel $ds_del"
run 0 ids -c "$T/dirsync.conf" run
printf '%s\n' "$OUT" > "$T/ds-run.log"
assert_contains "$OUT" "domain btuh: $((nb - 1)) accounts, read incrementally from ldaps://127.0.0.2 by DirSync: 1 changed, 1 gone"
assert_contains "$OUT" "domain meht: $((nm + 1)) accounts, read incrementally from ldaps://127.0.0.3 by DirSync: 1 changed, 0 gone"
assert_contains "$OUT" "domain southend: $ns accounts, read incrementally from ldaps://127.0.0.4 by DirSync: 1 changed, 0 gone"
assert_contains "$OUT" "accounts:  $((nb + nm + ns)) (1 new, 1 gone, 1 changed)"
run 0 ids -c "$T/dirsync.conf" export --accounts "$T/ds2.csv"
grep -q "^meht,[^,]*,quillfeathera," "$T/ds2.csv" || fail "the added account is not there"
grep -q "^btuh,[^,]*,$ds_del," "$T/ds2.csv" && fail "the deleted account is still there"
sqlite3 "$T/dirsync.db" "SELECT attrs FROM accounts WHERE domain = 'btuh' AND sam = '$ashworth'" |
    grep -q '"title":\["Director of Pharmacy"\]' || fail "the modified title is not in the state"
# Read again whole: what DirSync did not send (the name) is there.
sqlite3 "$T/dirsync.db" "SELECT attrs FROM accounts WHERE domain = 'btuh' AND sam = '$ashworth'" |
    grep -q '"sn":\[' || fail "the modified account lost its other attributes"
[ "$(sqlite3 "$T/dirsync.db" "SELECT dn FROM accounts WHERE domain = 'southend' AND sam = '$ds_ren'")" = \
    "CN=Renamed By DirSync,OU=Staff,DC=southend,DC=test" ] ||
    fail "the renamed account's DN is not the new one"
awk -F, 'NR == FNR { p[$1 "," $2] = $4; next }
    ($1 "," $2) in p && p[$1 "," $2] != $4 { print $1 "\\" $3 ": " p[$1 "," $2] " -> " $4 }' \
    "$T/ds1.csv" "$T/ds2.csv" > "$T/ds-moved"
[ ! -s "$T/ds-moved" ] || fail "person ids changed: $(cat "$T/ds-moved")"
DB=$T/dirsync.db
samba_conf "$T/dirsync-full.conf" "" "incremental = no"
DB=
run 0 ids -c "$T/dirsync-full.conf" plan
assert_contains "$OUT" "a full read: incremental = no"
assert_contains "$OUT" "(0 new, 0 gone, 0 changed)"
assert_contains "$OUT" "links:     0 made, 0 broken"
ok "an add, a modify, a rename and a delete read by DirSync; person ids stay; the state is what a full read gives"

# A cookie the DC refuses: a full read, and why; the next run is by
# DirSync again.
sqlite3 "$T/dirsync.db" "UPDATE domain_marks SET dirsync_cookie = X'0102030405' WHERE domain = 'meht'"
run 0 ids -c "$T/dirsync.conf" run
assert_contains "$OUT" "domain meht: $((nm + 1)) accounts in"
assert_contains "$OUT" "a full read: the domain controller refused the DirSync cookie of the last read ("
assert_contains "$OUT" "domain btuh: $((nb - 1)) accounts, read incrementally from ldaps://127.0.0.2 by DirSync: 0 changed, 0 gone"
assert_contains "$OUT" "links:     0 made, 0 broken"
run 0 ids -c "$T/dirsync.conf" run
assert_contains "$OUT" "domain meht: $((nm + 1)) accounts, read incrementally from ldaps://127.0.0.3 by DirSync: 0 changed, 0 gone"
ok "a DirSync cookie the DC refuses means a full read, and the log says why"

# Without Replicating Directory Changes: full reads, with a warning naming
# the right.
sed 's/CN=svc-ward,OU=Service Accounts,DC=southend/CN=svc-plain,OU=Service Accounts,DC=southend/' \
    "$T/dirsync.conf" > "$T/dirsync-plain.conf"
run 0 ids -c "$T/dirsync-plain.conf" plan
assert_contains "$OUT" "warning: domain southend: $ns accounts in"
assert_contains "$OUT" "a full read: CN=svc-plain,OU=Service Accounts,DC=southend,DC=test lacks the Replicating Directory Changes right (DS-Replication-Get-Changes, 1131f6aa-9c07-11d1-f79f-00c04fc2dcd2) on DC=southend,DC=test, which DirSync needs"
assert_contains "$OUT" "links:     0 made, 0 broken"
ok "an account without Replicating Directory Changes: full reads, and a warning naming the right"
