#!/bin/sh
# idsync_target.sh: provisioning a target directory (a fourth slapd) when
# things are not simple: the [target] settings checked, saying what is
# wrong; a threshold stops apply before anything is written; entries that
# are someone else's are left alone, a name one of them holds is an error
# naming it, and a person whose username one of them holds is not added,
# saying so, while the other entries are written; persons who share a
# display name get names of their own; the target killed mid-apply, and
# ward-idsync killed mid-apply, leave an audit that says what happened
# and the next apply finishes the job; a wrong password; a person gone
# from every domain has the entry disabled, not deleted; export --ldif
# refuses an RDN that can change; more leavers than max_disables stop the
# run and the apply.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/idsync_db.sh"

idsync_db_require ldapmodify sqlite3
make_test_ca
# Among the staff, one whose names carry terminal escapes.
idsync_db_hostile "$T/hostile.ldif"
idsync_db_make "$T/idsync.db" 120 "$T/hostile.ldif"
idsync_db_target
P="OU=Provisioned,DC=target,DC=test"
A=msDS-cloudExtensionAttribute10

# conf FILE [EXTRA]: the three directories, the target provisioned with
# usernames and UPNs unique in it, and EXTRA (sections or settings) after
# it.
conf() {
	{
		idsync_db_provision
		printf 'unique = sAMAccountName userPrincipalName\n%s\n' "${2:-}"
	} |
	    idsync_db_conf "$1" "$T/idsync.db"
}
# bad EXTRA MESSAGE: a configuration -n refuses, saying MESSAGE.
bad() {
	conf "$T/bad.conf" "$1"
	run 1 "$WARD_IDSYNC" -n -c "$T/bad.conf"
	assert_contains "$OUT" "$2"
}
# target LDIF on standard input, as the target's manager.
target() {
	cat > "$T/target-change.ldif"
	ldapmodify -x -H "ldap://127.0.0.1:$PLAIN_target" \
	    -D "CN=Manager,DC=target,DC=test" -y "$T/root.password" \
	    -f "$T/target-change.ldif" > "$T/ldapmodify.out" 2>&1 ||
	    fail "ldapmodify target: $(cat "$T/ldapmodify.out")"
}
# ours: the number of entries holding a person id.
ours() {
	idsync_db_entries "$P" "(&($A=*)(!($A=legacy-0042)))" dn | grep -c '^dn:'
}
# get ID ATTR: an attribute of person ID's entry.
get() {
	idsync_db_entries "$P" "($A=$1)" "$2" | idsync_db_value "$2"
}
# audited WHERE: audit rows of the target.
audited() {
	sqlite3 "$T/idsync.db" "SELECT count(*) FROM audit WHERE domain = 'target' AND $1"
}
# apply_bg CONF: apply in the background, its pid in apply_pid, its output
# in $T/apply.log; returns once it has printed the target's plan.
apply_bg() {
	# Gone first: the background shell may truncate it only after the
	# first look below, which would then read the last apply's plan.
	rm -f "$T/apply.log"
	"$WARD_IDSYNC" -c "$1" apply > "$T/apply.log" 2>&1 &
	apply_pid=$!
	wait_for_line "$T/apply.log" '^target ldaps' "$apply_pid"
}

# ------------------------------------------------------------ settings
conf "$T/t.conf"
run 0 "$WARD_IDSYNC" -n -c "$T/t.conf"
printf '[target]\nuri = ldaps://127.0.0.1:1\nbase = %s\n' "$P" |
    idsync_db_conf "$T/bad.conf" "$T/idsync.db"
run 1 "$WARD_IDSYNC" -n -c "$T/bad.conf"
assert_contains "$OUT" "[target] uri is set: attributes must map one attribute from id"
bad "[target]
anchor = description" \
    "[target] anchor = description: attributes must map it from id (description=id)"
bad "[target]
uri = ldap://127.0.0.1:$PLAIN_target
starttls = no" \
    "[target] uri: ldap://127.0.0.1:$PLAIN_target with starttls = no would send the bind password in the clear"
printf '[target]\nleaver = sn=gone\n' |
    idsync_db_conf "$T/bad.conf" "$T/idsync.db"
run 1 "$WARD_IDSYNC" -n -c "$T/bad.conf"
assert_contains "$OUT" "[target] leaver: sn is also in attributes"
bad "[target]
attributes = mail=employee_id" "[target] attributes: mail is mapped twice"
bad "[target]
unique = telephoneNumber" "[target] unique: telephoneNumber is not one of attributes' targets"
printf '[target]\nuri = ldaps://127.0.0.1:1\n' |
    idsync_db_conf "$T/bad.conf" "$T/idsync.db"
run 1 "$WARD_IDSYNC" -n -c "$T/bad.conf"
assert_contains "$OUT" "[target] uri is set: base, where the entries go, is needed too"
run 1 "$WARD_IDSYNC" -c "$T/t.conf" export --ldif "$T/x.ldif"
assert_contains "$OUT" "[target] rdn = cn comes from display_name, which can change, and LDIF records cannot follow an entry's rename"
ok "[target] settings are checked, naming what is wrong; export --ldif refuses an RDN that can change"

# ------------------------------------------------------------ first apply
run 0 "$WARD_IDSYNC" -c "$T/t.conf" export --persons "$T/persons.csv"
# Persons with a display name of their own, and those sharing one.
awk -F, 'NR > 1 && $4 == "active" { n[$2]++; id[NR] = $1; dn[NR] = $2; u[NR] = $6 }
    END { for (i in id) print (n[dn[i]] > 1 ? "shared" : "own") "," id[i] "," dn[i] "," u[i] }' \
    "$T/persons.csv" | sort > "$T/names.csv"
nadd=$(wc -l < "$T/names.csv")
grep -q '^shared,' "$T/names.csv" || fail "no two persons share a display name"
# Someone else's entries: one without the anchor that holds the name the
# first person will want, one whose anchor is not a person id.
taken=$(grep '^own,[^,]*,[A-Za-z ]*,' "$T/names.csv" | head -1)
taken_id=$(echo "$taken" | cut -d, -f2)
taken_name=$(echo "$taken" | cut -d, -f3)
# And one elsewhere in the target holding another person's username.
sam=$(grep '^own,[^,]*,[A-Za-z ]*,' "$T/names.csv" | sed -n 2p)
sam_id=$(echo "$sam" | cut -d, -f2)
sam_user=$(echo "$sam" | cut -d, -f4)
target <<LDIF
dn: cn=Holder,OU=People,DC=target,DC=test
changetype: add
objectClass: inetOrgPerson
objectClass: user
cn: Holder
sn: Holder
sAMAccountName: $sam_user
LDIF
target <<LDIF
dn: cn=$taken_name,$P
changetype: add
objectClass: inetOrgPerson
cn: $taken_name
sn: Someone Else

dn: cn=Legacy Entry,$P
changetype: add
objectClass: inetOrgPerson
objectClass: user
cn: Legacy Entry
sn: Entry
$A: legacy-0042
LDIF

# apply --dry-run shows every change, a hostile name's escapes as text.
run 0 "$WARD_IDSYNC" -c "$T/t.conf" apply --dry-run
assert_contains "$OUT" "  displayName: Eve Zzhostile\\x1b[2J\\x1b]0;owned\\x07"
printf '%s' "$OUT" | grep -q "$(printf '\033')" &&
    fail "apply --dry-run printed a raw escape"
[ "$(ours)" = 0 ] || fail "apply --dry-run wrote to the target"
# So do the review commands.
run 0 "$WARD_IDSYNC" -c "$T/t.conf" person zzhostile
assert_contains "$OUT" 'Eve Zzhostile\x1b[2J\x1b]0;owned\x07'
assert_contains "$OUT" 'btuh\zzhostile\x1b[31m'
printf '%s' "$OUT" | grep -q "$(printf '\033')" &&
    fail "person printed a raw escape"
run 0 "$WARD_IDSYNC" -c "$T/t.conf" plan --full
printf '%s' "$OUT" | grep -q "$(printf '\033')" &&
    fail "plan printed a raw escape"
ok "apply --dry-run writes nothing, and shows a hostile name's escapes as text"

conf "$T/limit.conf" "[idsync]
max_creates = 10"
run 2 "$WARD_IDSYNC" -c "$T/limit.conf" apply
assert_contains "$OUT" "the plan creates $((nadd - 1)) (target entries to add), more than max_creates = 10; nothing was written"
[ "$(ours)" = 0 ] || fail "apply past a threshold wrote $(ours) entries"
[ "$(audited 1)" = 0 ] || fail "apply past a threshold has audit rows"
ok "apply past max_creates stops (exit 2) before writing anything"

run 1 "$WARD_IDSYNC" -c "$T/t.conf" apply
assert_contains "$OUT" "$((nadd - 1)) to add, 0 to modify"
assert_contains "$OUT" "1 entry whose anchor is not a person id: left alone"
assert_contains "$OUT" "1 person not added: a value that must be unique is another entry's"
assert_contains "$OUT" "target: person $sam_id is not added: sAMAccountName $sam_user is taken by cn=Holder,"
assert_contains "$OUT" "add cn=$taken_name,$P failed: Already exists (68): an entry of that name is there without $A"
assert_contains "$OUT" "target: 1 write failed"
[ "$(ours)" = $((nadd - 2)) ] || fail "the target holds $(ours) entries, not $((nadd - 2))"
[ -z "$(get "$sam_id" cn)" ] || fail "a person whose username is taken was added"
[ "$(idsync_db_entries "$P" "(cn=$taken_name)" sn | idsync_db_value sn)" = "Someone Else" ] ||
    fail "someone else's entry was changed"
[ "$(get legacy-0042 sn)" = Entry ] || fail "the legacy entry was changed"
[ "$(audited "outcome = 'failed' AND guid = '$taken_id'")" -ge 1 ] ||
    fail "the failed add is not in the audit"
ok "someone else's entries left alone; a name one holds fails that add, a username one holds stops it, each named; the rest written"

# Persons who share a display name: each named with the username.
grep '^shared,' "$T/names.csv" | while IFS=, read -r _ id name user; do
	[ "$(get "$id" cn)" = "$name ($user)" ] ||
	    fail "person $id sharing \"$name\": cn is \"$(get "$id" cn)\""
done
ok "persons sharing a display name get names of their own: $(grep -c '^shared,' "$T/names.csv") of them"

# Someone else's entries out of the way: the next apply adds both.
target <<LDIF
dn: cn=$taken_name,$P
changetype: modrdn
newrdn: cn=$taken_name (old)
deleteoldrdn: 1

dn: cn=Holder,OU=People,DC=target,DC=test
changetype: delete
LDIF
run 0 "$WARD_IDSYNC" -c "$T/t.conf" apply
assert_contains "$OUT" "2 to add, 0 to modify, 0 to rename, 0 to disable"
[ "$(ours)" = "$nadd" ] || fail "the target holds $(ours) entries, not $nadd"

# ------------------------------------------------------------ faults
# The target killed mid-apply. A new mapping gives every entry a value:
# as many writes as entries. Should the writes all be done before the
# kill lands, the mapping changes again and it is tried again.
mid=
for try in status lifecycle status lifecycle; do
	conf "$T/t.conf" "[target]
attributes = employeeType=$try"
	apply_bg "$T/t.conf"
	kill -9 "$(fx_pid target)"
	set +e
	wait "$apply_pid"
	got=$?
	set -e
	fx_restart_slapd target
	OUT=$(cat "$T/apply.log")
	if [ "$got" = 1 ]; then
		mid=$try
		break
	fi
	[ "$got" = 0 ] || fail "apply exited $got: $OUT"
done
[ -n "$mid" ] || fail "the target was never killed mid-apply"
done_n=$(printf '%s\n' "$OUT" | sed -n 's/.*stopped after \([0-9]*\) of \([0-9]*\) writes: .*/\1/p')
total_n=$(printf '%s\n' "$OUT" | sed -n 's/.*stopped after \([0-9]*\) of \([0-9]*\) writes: .*/\2/p')
[ -n "$done_n" ] && [ "$done_n" -lt "$total_n" ] ||
    fail "apply did not say where it stopped: $OUT"
assert_contains "$OUT" "Can't contact LDAP server"
run 0 "$WARD_IDSYNC" -c "$T/t.conf" history 1
assert_contains "$OUT" "failed"
assert_contains "$OUT" "stopped after $done_n of $total_n writes"
run 0 "$WARD_IDSYNC" -c "$T/t.conf" apply
run 0 "$WARD_IDSYNC" -c "$T/t.conf" apply
assert_contains "$OUT" "0 to add, 0 to modify, 0 to rename, 0 to disable; $nadd entries"
[ "$(idsync_db_entries "$P" "(&($A=*)(employeeType=*))" dn | grep -c '^dn:')" -ge "$nadd" ] ||
    fail "after the next apply not every entry has employeeType"
ok "the target killed mid-apply ($done_n of $total_n written): apply exits 1 saying where; the next apply finishes"

# ward-idsync killed mid-apply: the target stopped so that a write hangs,
# the program killed, the target let go. The write's audit row says it
# was pending; the next apply calls it interrupted and finishes.
if [ "$mid" = status ]; then next=lifecycle; else next=status; fi
conf "$T/t.conf" "[target]
attributes = employeeType=$next"
apply_bg "$T/t.conf"
kill -STOP "$(fx_pid target)"
i=0
until [ "$(audited "outcome = 'pending'")" -ge 1 ]; do
	i=$((i + 1))
	if [ $i -ge 2000 ] || ! kill -0 "$apply_pid" 2>/dev/null; then
		kill -CONT "$(fx_pid target)"
		fail "no write was pending: $(cat "$T/apply.log")"
	fi
	sleep 0.005
done
kill -9 "$apply_pid"
wait "$apply_pid" 2>/dev/null || true
kill -CONT "$(fx_pid target)"
run 0 "$WARD_IDSYNC" -c "$T/t.conf" apply
assert_contains "$OUT" "1 write of an apply that was stopped has no known outcome"
[ "$(audited "outcome = 'interrupted'")" = 1 ] || fail "the killed write is not interrupted in the audit"
[ "$(audited "outcome = 'pending'")" = 0 ] || fail "a write is still pending"
run 0 "$WARD_IDSYNC" -c "$T/t.conf" apply
assert_contains "$OUT" "0 to add, 0 to modify, 0 to rename, 0 to disable"
ok "ward-idsync killed mid-apply: the write it died in is interrupted in the audit, the next apply finishes"

# A wrong password: nothing is read or written, and the password is not
# in what is said.
printf 'not-the-password' > "$T/wrong.password"
chmod 600 "$T/wrong.password"
conf "$T/wrong.conf" "[target]
attributes = employeeType=$next"
sed -i "s|^bind_password_file = $T/root.password|bind_password_file = $T/wrong.password|" "$T/wrong.conf"
grep -q "wrong.password" "$T/wrong.conf" || fail "no wrong password in the configuration"
run 1 "$WARD_IDSYNC" -c "$T/wrong.conf" apply
assert_contains "$OUT" "apply: target: "
assert_contains "$OUT" "Invalid credentials (49)"
assert_not_contains "$OUT" "not-the-password"
ok "a wrong password: apply exits 1 saying so, without the password"

# A person gone from every domain: the entry gets the leaver flag and
# stays.
conf "$T/t.conf"
run 0 "$WARD_IDSYNC" -c "$T/t.conf" export --accounts "$T/accounts.csv"
gone=$(awk -F, 'NR > 1 && $4 != "" { n[$4]++; d[$4] = $1; s[$4] = $3 }
    END { for (p in n) if (n[p] == 1 && d[p] == "btuh") print s[p], p }' \
    "$T/accounts.csv" | sort | while read -r sam id; do
	[ -n "$(get "$id" cn)" ] && { echo "$sam $id"; break; }
    done)
gone_sam=${gone% *}
gone_id=${gone#* }
printf '%s\nchangetype: delete\n' "$(idsync_db_dn btuh "$gone_sam")" |
    idsync_db_modify btuh
run 0 "$WARD_IDSYNC" -c "$T/t.conf" run
run 0 "$WARD_IDSYNC" -c "$T/t.conf" apply
assert_contains "$OUT" " 1 to disable;"
assert_contains "$OUT" "1 entry of persons no longer known: given the leaver flag, never deleted"
[ "$(get "$gone_id" userAccountControl)" = 514 ] ||
    fail "the entry of a person gone is not disabled: $(idsync_db_entries "$P" "($A=$gone_id)")"
ok "a person gone from every domain: the entry disabled, not deleted"

# Two persons leave at once against max_disables = 1: the run stops (exit
# 2) until --force, and so does the apply that would disable their
# entries.
run 0 "$WARD_IDSYNC" -c "$T/t.conf" export --accounts "$T/accounts.csv"
awk -F, 'NR > 1 && $4 != "" { n[$4]++; d[$4] = $1; s[$4] = $3 }
    END { for (p in n) if (n[p] == 1) print d[p], s[p], p }' \
    "$T/accounts.csv" | sort | while read -r d sam id; do
	[ "$id" != "$gone_id" ] && [ "$(get "$id" userAccountControl)" = 512 ] &&
	    echo "$d $sam $id"
    done | head -2 > "$T/leaving"
[ "$(wc -l < "$T/leaving")" = 2 ] || fail "no two persons of one account to disable"
while read -r d sam id; do
	printf '%s\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 514\n' \
	    "$(idsync_db_dn "$d" "$sam")" | idsync_db_modify "$d"
done < "$T/leaving"
conf "$T/dis.conf" "[idsync]
max_disables = 1"
run 2 "$WARD_IDSYNC" -c "$T/dis.conf" run
assert_contains "$OUT" "the plan disables 2 (persons who became leavers), more than max_disables = 1"
run 0 "$WARD_IDSYNC" -c "$T/dis.conf" run --force
assert_contains "$OUT" "2 became leavers"
run 2 "$WARD_IDSYNC" -c "$T/dis.conf" apply
assert_contains "$OUT" "the plan disables 2 (target entries to disable), more than max_disables = 1; nothing was written"
while read -r d sam id; do
	[ "$(get "$id" userAccountControl)" = 512 ] || fail "a stopped apply disabled $sam"
done < "$T/leaving"
run 0 "$WARD_IDSYNC" -c "$T/dis.conf" apply --force
while read -r d sam id; do
	[ "$(get "$id" userAccountControl)" = 514 ] || fail "$sam's entry is not disabled"
done < "$T/leaving"
ok "two leavers against max_disables = 1: run and apply stop (exit 2) until --force"
