#!/bin/sh
# idsync_target_samba.sh: provisioning into real Active Directory. The
# persons come from the slapd directories (idsync_db.sh); the target is an
# OU of a Samba AD domain controller (samba_lib.sh), written over LDAPS by
# svc-ward with rights on that OU only: a user per person (enabled, no
# password required), found again by msDS-cloudExtensionAttribute10; then
# a married name renames the user, a leaver's user is disabled, one back
# is enabled, and a second apply has nothing to do.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/samba_lib.sh"
. "$top_srcdir/tests/integration/idsync_db.sh"

idsync_db_require ldapmodify sqlite3
samba_setup
# svc-ward's password is the Samba cache's; the slapd directories get it
# too (idsync_db_start makes its own).
make_test_ca
idsync_db_make "$T/idsync.db" 60

S="DC=southend,DC=test"
OU="OU=Group People,$S"
A=$SAMBA_WRITE_ATTR
LDB=$(samba_ldb southend)
printf 'dn: %s\nobjectClass: organizationalUnit\n\n' "$OU" |
    ldbadd -H "$LDB" > /dev/null || fail "ldbadd $OU"
sid=$(ldbsearch -H "$LDB" -b "$S" "(sAMAccountName=svc-ward)" objectSid |
    sed -n 's/^objectSid: //p')
[ -n "$sid" ] || fail "no svc-ward in southend"
# Create users in the OU, and read and write theirs (inherited).
_samba_grant "$LDB" "$OU" "(A;CI;RPWPCCLCLO;;;$sid)"

# The slapd sources and the Samba target: run on the host, apply in the
# namespace, where the DC is.
{
	cat <<CONF
[target]
uri = ldaps://$(samba_ip southend)
ca_file = $T/samba-ca.crt
bind_dn = CN=svc-ward,OU=Service Accounts,$S
bind_password_file = $T/samba-svc.password
base = $OU
page_size = 50
rdn = cn
object_classes = top person organizationalPerson user
attributes = cn=display_name displayName=display_name sn=sn
attributes = givenName=given_name mail=mail sAMAccountName=username
attributes = employeeID=employee_id $A=id
leaver = userAccountControl=546
active = userAccountControl=544
unique = sAMAccountName
CONF
} | idsync_db_conf "$T/target.conf" "$T/idsync.db"
# The slapd directories have svc.password; the DC's svc-ward its own.
cp "$SAMBA_CACHE/svc.password" "$T/samba-svc.password"
chmod 600 "$T/samba-svc.password"
run 0 "$WARD_IDSYNC" -n -c "$T/target.conf"

apply() {
	samba_exec "$WARD_IDSYNC" -c "$T/target.conf" apply "$@"
}
# users FILTER ATTR: ATTR of the users in the OU matching FILTER.
users() {
	ldbsearch -H "$LDB" -b "$OU" "(&(objectClass=user)$1)" "$2" |
	    sed -n "s/^$2: //p"
}
run 0 "$WARD_IDSYNC" -c "$T/target.conf" export --persons "$T/persons.csv"
nadd=$(awk -F, 'NR > 1 && $4 == "active"' "$T/persons.csv" | wc -l)

run 0 apply --dry-run
assert_contains "$OUT" "target ldaps://$(samba_ip southend): $nadd to add, 0 to modify, 0 to rename, 0 to disable; 0 entries"
run 0 apply
[ "$(users "($A=*)" dn | wc -l)" = "$nadd" ] ||
    fail "the OU holds $(users "($A=*)" dn | wc -l) users, not $nadd"
# One person, every value, as the DC has it.
# (A display name of one person: a shared one is made unique.)
one=$(awk -F, 'NR > 1 && $4 == "active" { n[$2]++; r[NR] = $1 "," $2 "," $6; d[NR] = $2 }
    END { for (i = 2; i <= NR; i++) if ((i in r) && n[d[i]] == 1 && d[i] ~ /^[A-Za-z]+ [A-Za-z]+$/) { print r[i]; exit } }' \
    "$T/persons.csv")
[ -n "$one" ] || fail "no active person with a unique two-word display name in $T/persons.csv"
one_id=${one%%,*}
one_user=${one##*,}
one_name=$(echo "$one" | cut -d, -f2)
[ "$(users "($A=$one_id)" sAMAccountName)" = "$one_user" ] &&
    [ "$(users "($A=$one_id)" displayName)" = "$one_name" ] &&
    [ "$(users "($A=$one_id)" userAccountControl)" = 544 ] &&
    [ "$(users "($A=$one_id)" dn)" = "CN=$one_name,$OU" ] ||
    fail "person $one_id in the DC: $(ldbsearch -H "$LDB" -b "$OU" "($A=$one_id)")"
[ "$(sqlite3 "$T/idsync.db" "SELECT count(DISTINCT guid) FROM audit WHERE domain = 'target' AND outcome = 'done'")" = "$nadd" ] ||
    fail "the audit does not hold every user added"
run 0 apply
assert_contains "$OUT" "0 to add, 0 to modify, 0 to rename, 0 to disable; $nadd entries"
ok "apply provisions Active Directory: $nadd users made over LDAPS in an OU, enabled, audited; again, nothing to do"

# The person marries (her only account, in btuh, renamed), and another
# person leaves (every account disabled).
acct() {
	awk -F, -v p="$1" '$4 == p { print $1, $3 }' "$T/accounts.csv"
}
run 0 "$WARD_IDSYNC" -c "$T/target.conf" export --accounts "$T/accounts.csv"
acct "$one_id" | while read -r d sam; do
	idsync_db_modify "$d" <<LDIF
$(idsync_db_dn "$d" "$sam")
changetype: modify
replace: sn
sn: Zzmarried
-
replace: displayName
displayName: ${one_name%% *} Zzmarried
-
replace: whenChanged
whenChanged: 20261101000000.0Z
LDIF
done
two=$(awk -F, -v o="$one_id" 'NR > 1 && $4 == "active" && $1 != o { print $1 }' "$T/persons.csv" | head -1)
acct "$two" | while read -r d sam; do
	idsync_db_modify "$d" <<LDIF
$(idsync_db_dn "$d" "$sam")
changetype: modify
replace: userAccountControl
userAccountControl: 514
LDIF
done
run 0 "$WARD_IDSYNC" -c "$T/target.conf" run
run 0 apply
# (An account that waited on a conflict with her may now be a person of
# its own: an add.)
assert_contains "$OUT" " 1 to modify, 1 to rename, 1 to disable;"
[ "$(users "($A=$one_id)" dn)" = "CN=${one_name%% *} Zzmarried,$OU" ] &&
    [ "$(users "($A=$one_id)" sn)" = Zzmarried ] ||
    fail "the married name in the DC: $(ldbsearch -H "$LDB" -b "$OU" "($A=$one_id)" dn sn)"
[ "$(users "($A=$two)" userAccountControl)" = 546 ] ||
    fail "the leaver is not disabled in the DC"

# The leaver comes back.
acct "$two" | while read -r d sam; do
	idsync_db_modify "$d" <<LDIF
$(idsync_db_dn "$d" "$sam")
changetype: modify
replace: userAccountControl
userAccountControl: 512
LDIF
done
run 0 "$WARD_IDSYNC" -c "$T/target.conf" run
run 0 apply
assert_contains "$OUT" "0 to add, 1 to modify, 0 to rename, 0 to disable"
[ "$(users "($A=$two)" userAccountControl)" = 544 ] ||
    fail "the leaver back is not enabled in the DC"
run 0 apply
assert_contains "$OUT" "0 to add, 0 to modify, 0 to rename, 0 to disable;"
ok "a married name renames the user in AD, a leaver's user is disabled, one back is enabled"
