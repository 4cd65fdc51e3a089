#!/bin/sh
# idsync_identity.sh: the consolidated identity against three real slapd
# directories: per-attribute precedence (names from the account changed
# last, mail from a preferred mail domain, employeeID that must agree or is
# a conflict), joiners, movers and leavers, and the unique username and UPN
# with collisions, kept from run to run. Then what is done with it: the
# LDIF export loaded into a fresh target slapd (adds, then the modifies of
# movers and leavers), the same target provisioned by apply (adds,
# renames, modifies, leavers disabled), and the JSON run report read with
# jq.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/idsync_db.sh"

idsync_db_require ldapmodify jq base64 sqlite3
make_test_ca
idsync_db_start 40

# user DOMAIN CN SAM GUID-BYTE GIVEN SN MAIL EMPLOYEEID WHENCHANGED UAC
user() {
	cat <<LDIF
dn: CN=$2,OU=Staff,DC=$1,DC=test
changetype: add
objectClass: user
cn: $2
sAMAccountName: $3
objectGUID:: $(printf "\\$4\\$4\\$4\\$4\\$4\\$4\\$4\\$4\\$4\\$4\\$4\\$4\\$4\\$4\\$4\\$4" | base64)
givenName: $5
sn: $6
displayName: $5 $6
mail: $7
employeeID: $8
whenChanged: $9
userAccountControl: ${10}
department: Pharmacy

LDIF
}

# Zoë Ørsted-Brown: one employee number in two domains; meht changed last
# and has her married name; her btuh address is the preferred one.
# Kim and Keith Lowe: two people whose usernames collide.
# Ed Dunne: two accounts a person will link though their numbers differ.
# Ivo Quist: every account disabled or expired, a leaver.
# Una Vance: her own account disabled, her admin account enabled: no
# leaver while it is, and a conflict that names it.
{
	user btuh "Zoe Orsted" zorsted 301 Zoe Orsted zoe.orsted@btuh.test \
	    Z9100 20250102030405.0Z 512
	user btuh "Kim Lowe" kimlowe 302 Kim Lowe kim.lowe@btuh.test \
	    K9201 20260101000000.0Z 512
	user btuh "Ed Dunne" edunne 303 Ed Dunne ed.dunne@btuh.test \
	    D9301 20260101000000.0Z 512
	user btuh "Ivo Quist" iquist 304 Ivo Quist ivo.quist@btuh.test \
	    Q9401 20260101000000.0Z 514
	user btuh "Una Vance" uvance 305 Una Vance una.vance@btuh.test \
	    V9501 20260101000000.0Z 514
	user btuh "adm-uvance" adm-uvance 306 Una Vance adm.uvance@btuh.test \
	    V9501 20260101000000.0Z 512
} | idsync_db_modify btuh
{
	user meht "Zoe Orsted-Brown" zoe.ob 311 "Zoë" "Ørsted-Brown" \
	    z.orsted-brown@meht.test Z9100 20260301000000.0Z 512
	user meht "Keith Lowe" keith.lowe 312 Keith Lowe \
	    keith.lowe@meht.test K9202 20260101000000.0Z 512
	user meht "Edward Dunne" edward.dunne 313 Edward Dunne \
	    edward.dunne@meht.test D9302 20260101000000.0Z 512
	user meht "Ivo Quist" ivo.quist 314 Ivo Quist ivo.quist@meht.test \
	    Q9401 20260101000000.0Z 512
} | idsync_db_modify meht
# Zoë's meht account: her title as meht keeps it, and a note.
idsync_db_modify meht <<LDIF
dn: CN=Zoe Orsted-Brown,OU=Staff,DC=meht,DC=test
changetype: modify
add: employeeType
employeeType: Pharmacist
-
add: description
description: Locum
-
add: title
title: not read in meht
LDIF
# Ivo's meht account expired in 2022 (accountExpires is a FILETIME).
idsync_db_modify meht <<LDIF
dn: CN=Ivo Quist,OU=Staff,DC=meht,DC=test
changetype: modify
replace: accountExpires
accountExpires: 133000000000000000
LDIF

idsync_conf() { idsync_db_conf "$1" "$T/idsync.db"; }

# The target directory: a fourth slapd; OU=People takes the LDIF exports,
# OU=Provisioned is provisioned by apply.
idsync_db_target
LDIF_CONF="[target]
base = OU=People,DC=target,DC=test
object_classes = top person organizationalPerson inetOrgPerson user
attributes = uid=username cn=display_name displayName=display_name
attributes = givenName=given_name sn=sn mail=mail employeeNumber=employee_id
attributes = userPrincipalName=upn employeeID=id department=department
leaver = userAccountControl=514
active = userAccountControl=512"

# target_load FILE: applies an export to the target as its manager.
target_load() {
	ldapmodify -x -H "ldap://127.0.0.1:$PLAIN_target" \
	    -D "CN=Manager,DC=target,DC=test" -y "$T/root.password" \
	    -f "$1" > "$T/target.out" 2>&1 ||
	    fail "the target refused $1: $(cat "$T/target.out")"
}
# target_get UID ATTR: an attribute of the entry the LDIF made.
target_get() {
	idsync_db_entries "OU=People,DC=target,DC=test" "(uid=$1)" "$2" |
	    idsync_db_value "$2"
}
# prov_get ID ATTR: an attribute of the entry apply made for person ID.
P="OU=Provisioned,DC=target,DC=test"
prov_get() {
	idsync_db_entries "$P" "(msDS-cloudExtensionAttribute10=$1)" "$2" |
	    idsync_db_value "$2"
}
prov_count() {
	idsync_db_entries "$P" "(msDS-cloudExtensionAttribute10=*)" dn |
	    grep -c '^dn:'
}
TARGET_LINE="target ldaps://127.0.0.1:$TLS_target:"

idsync_conf "$T/idsync.conf" <<CONF
[precedence "mail"]
rule = mail-domains
order = btuh.test meht.test
[username]
upn_suffix = group.test
$LDIF_CONF
CONF
# meht keeps job titles in employeeType, and a note in description.
sed -i '/^\[domain "meht"\]/a attributes = title=employeeType description' "$T/idsync.conf"
run 0 "$WARD_IDSYNC" -n -c "$T/idsync.conf"

# Bad rules are refused with what and where.
idsync_conf "$T/bad.conf" <<CONF
[precedence "manager"]
rule = latest
CONF
run 1 "$WARD_IDSYNC" -n -c "$T/bad.conf"
assert_contains "$OUT" "[precedence \"manager\"]: not displayName, givenName, sn, employeeID, mail, department or title"
idsync_conf "$T/bad.conf" <<CONF
[precedence "sn"]
rule = domains
order = btuh nowhere
CONF
run 1 "$WARD_IDSYNC" -n -c "$T/bad.conf"
assert_contains "$OUT" "order: \"nowhere\" is no [domain]"
for bad in "objectGUID=extensionAttribute1:objectGUID is read as it is" \
    "title=userAccountControl:userAccountControl is read as it is" \
    "title=title:an attribute from itself" \
    "9lives:not NAME or NAME=SOURCE" \
    "title=a-b title=c:name one attribute twice" \
    "title=employeeType mail=employeeType:name one attribute twice"; do
	idsync_conf "$T/bad.conf" < /dev/null
	sed -i '/^\[domain "btuh"\]/a attributes = '"${bad%%:*}" "$T/bad.conf"
	run 1 "$WARD_IDSYNC" -n -c "$T/bad.conf"
	# At the line that says it, not the section's.
	ln=$(grep -n '^attributes = ' "$T/bad.conf" | cut -d: -f1)
	assert_contains "$OUT" "bad.conf:$ln: [domain \"btuh\"] attributes: "
	assert_contains "$OUT" "${bad#*:}"
done
# Files a run reads: there, at -n.
idsync_conf "$T/bad.conf" < /dev/null
sed -i "0,/^ca_file = .*/s##ca_file = $T/no-such-ca.crt#" "$T/bad.conf"
run 1 "$WARD_IDSYNC" -n -c "$T/bad.conf"
ln=$(grep -n "^ca_file = $T/no-such-ca.crt" "$T/bad.conf" | cut -d: -f1)
assert_contains "$OUT" "bad.conf:$ln: [domain \"btuh\"] ca_file $T/no-such-ca.crt: No such file or directory"
idsync_conf "$T/bad.conf" < /dev/null
sed -i "s#^nicknames = .*#nicknames = $T/no-such-nicknames.txt#" "$T/bad.conf"
run 1 "$WARD_IDSYNC" -n -c "$T/bad.conf"
assert_contains "$OUT" "[match] nicknames $T/no-such-nicknames.txt: No such file or directory"
idsync_conf "$T/bad.conf" < /dev/null
sed -i -e '/^\[idsync\]/a writeback_attribute = employeeType' \
    -e '/^\[domain "meht"\]/a attributes = title=employeeType' "$T/bad.conf"
run 1 "$WARD_IDSYNC" -n -c "$T/bad.conf"
assert_contains "$OUT" "writeback_attribute = employeeType: ward-idsync reads that attribute"
idsync_conf "$T/bad.conf" <<CONF
[username]
pattern = %i%X
CONF
run 1 "$WARD_IDSYNC" -n -c "$T/bad.conf"
ln=$(grep -n '^pattern = ' "$T/bad.conf" | cut -d: -f1)
assert_contains "$OUT" "bad.conf:$ln: [username] pattern: \"%i%X\": %X is not"
idsync_conf "$T/bad.conf" <<CONF
[username]
pattern = staff
CONF
run 1 "$WARD_IDSYNC" -n -c "$T/bad.conf"
assert_contains "$OUT" "uses no name"
idsync_conf "$T/bad.conf" <<CONF
[target]
rdn = title
CONF
run 1 "$WARD_IDSYNC" -n -c "$T/bad.conf"
assert_contains "$OUT" "[target] rdn = title: attributes maps no value to title"
idsync_conf "$T/bad.conf" <<CONF
[target]
attributes = uid=username title=jobtitle
CONF
run 1 "$WARD_IDSYNC" -n -c "$T/bad.conf"
assert_contains "$OUT" "\"jobtitle\" is not id, username"
idsync_conf "$T/bad.conf" <<CONF
[target]
leaver = disabled
CONF
run 1 "$WARD_IDSYNC" -n -c "$T/bad.conf"
assert_contains "$OUT" "[target] leaver: \"disabled\" is not ATTRIBUTE=VALUE"
ok "precedence, username and target settings are checked, errors say what"

# field PERSON N: column N of the person's row in persons.csv.
persons() {
	run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" export --persons "$T/persons.csv"
	run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" export --accounts "$T/accounts.csv"
}
person_of() {
	awk -F, -v d="$1" -v s="$2" '$1 == d && $3 == s { print $4 }' \
	    "$T/accounts.csv"
}
field() {
	awk -F, -v p="$1" -v n="$2" '$1 == p { print $n }' "$T/persons.csv"
}

run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run
persons
head -1 "$T/persons.csv" | grep -q '^person_id,display_name,employeeID,status,lifecycle,username,upn,mail,' ||
    fail "persons.csv header: $(head -1 "$T/persons.csv")"
zoe=$(person_of btuh zorsted)
[ -n "$zoe" ] && [ "$(person_of meht zoe.ob)" = "$zoe" ] ||
    fail "Zoë's two accounts are not one person"
[ "$(field "$zoe" 2)" = "Zoë Ørsted-Brown" ] ||
    fail "displayName is not from the account changed last: $(field "$zoe" 2)"
[ "$(field "$zoe" 8)" = "zoe.orsted@btuh.test" ] ||
    fail "mail is not from the preferred domain: $(field "$zoe" 8)"
[ "$(field "$zoe" 3)" = "Z9100" ] || fail "Zoë's employeeID: $(field "$zoe" 3)"
ok "precedence: names from the account changed last, mail from the preferred domain"

[ "$(field "$zoe" 6)" = "zorstedbrown" ] ||
    fail "Zoë's username is not transliterated ASCII: $(field "$zoe" 6)"
[ "$(field "$zoe" 7)" = "zorstedbrown@group.test" ] ||
    fail "Zoë's UPN: $(field "$zoe" 7)"
kim=$(person_of btuh kimlowe)
keith=$(person_of meht keith.lowe)
[ -n "$kim" ] && [ -n "$keith" ] && [ "$kim" != "$keith" ] ||
    fail "Kim and Keith Lowe are not two persons"
pair=$(printf "%s\n%s\n" "$(field "$kim" 6)" "$(field "$keith" 6)" | sort | tr '\n' ' ')
[ "$pair" = "klowe klowe2 " ] || fail "Lowe usernames: $pair"
dups=$(awk -F, 'NR > 1 { print $6 }' "$T/persons.csv" | sort | uniq -d)
[ -z "$dups" ] || fail "usernames given twice: $dups"
[ "$(awk -F, 'NR > 1 && $6 == "" ' "$T/persons.csv" | wc -l)" -eq 0 ] ||
    fail "a person without a username"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" person "$(field "$kim" 6)"
assert_contains "$OUT" "person $kim"
assert_contains "$OUT" "username $(field "$kim" 6)  UPN $(field "$kim" 6)@group.test"
ok "usernames: first initial and surname in ASCII, unique with a number, with UPNs, shown by person"

ivo=$(person_of btuh iquist)
[ -n "$ivo" ] && [ "$(person_of meht ivo.quist)" = "$ivo" ] ||
    fail "Ivo's accounts are not one person"
[ "$(field "$ivo" 4),$(field "$ivo" 5)" = "leaver,leaver" ] ||
    fail "Ivo (disabled and expired) is not a leaver: $(grep "^$ivo" "$T/persons.csv")"
[ "$(field "$zoe" 4),$(field "$zoe" 5)" = "active,joiner" ] ||
    fail "Zoë on the first run: $(field "$zoe" 4),$(field "$zoe" 5)"
[ "$(sqlite3 "$T/idsync.db" "SELECT department FROM persons WHERE id = '$zoe'")" = Pharmacy ] ||
    fail "Zoë's department is not consolidated"
# [domain "meht"] attributes: title from employeeType, description kept.
[ "$(sqlite3 "$T/idsync.db" "SELECT title FROM persons WHERE id = '$zoe'")" = Pharmacist ] ||
    fail "Zoë's title from meht's employeeType: $(sqlite3 "$T/idsync.db" "SELECT title FROM persons WHERE id = '$zoe'")"
[ "$(sqlite3 "$T/idsync.db" "SELECT json_extract(attrs, '$.title[0]') || ',' ||
    json_extract(attrs, '$.description[0]') || ',' || ifnull(json_extract(attrs, '$.employeeType'), 'none')
    FROM accounts WHERE domain = 'meht' AND sam = 'zoe.ob'")" = "Pharmacist,Locum,none" ] ||
    fail "Zoë's meht account: $(sqlite3 "$T/idsync.db" "SELECT attrs FROM accounts WHERE domain = 'meht' AND sam = 'zoe.ob'")"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" person 'meht\zoe.ob'
assert_contains "$OUT" "
    description: Locum"
assert_not_contains "$OUT" "employeeType"
una=$(person_of btuh uvance)
[ -n "$una" ] && [ "$(person_of btuh adm-uvance)" = "$una" ] ||
    fail "Una's admin account is not hers"
[ "$(field "$una" 4)" = "active" ] ||
    fail "Una, her admin account enabled, is a leaver: $(grep "^$una" "$T/persons.csv")"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" conflicts btuh\\adm-uvance
assert_contains "$OUT" "(live-admin): every own account of person $una is disabled or expired, but admin account btuh\\adm-uvance is enabled"
cp "$T/persons.csv" "$T/persons1.csv"
npersons=$(($(wc -l < "$T/persons.csv") - 1))

# The first run made every person: all adds, which a fresh directory
# takes whole.
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" export --ldif "$T/run1.ldif"
assert_contains "$OUT" "$npersons adds, 0 modifies"
[ "$(grep -c '^changetype: add$' "$T/run1.ldif")" -eq "$npersons" ] ||
    fail "run1.ldif: not one add per person"
target_load "$T/run1.ldif"
n=$(ldapsearch -x -LLL -H "ldap://127.0.0.1:$PLAIN_target" \
    -D "CN=Manager,DC=target,DC=test" -y "$T/root.password" \
    -b "OU=People,DC=target,DC=test" -s one "(objectClass=user)" dn |
    grep -c '^dn:')
[ "$n" -eq "$npersons" ] || fail "the target holds $n entries, not $npersons"
[ "$(target_get zorstedbrown displayName)" = "Zoë Ørsted-Brown" ] ||
    fail "Zoë's displayName in the target: $(target_get zorstedbrown displayName)"
[ "$(target_get zorstedbrown mail)" = "zoe.orsted@btuh.test" ] ||
    fail "Zoë's mail in the target"
[ "$(target_get zorstedbrown employeeNumber)" = "Z9100" ] ||
    fail "Zoë's employeeNumber in the target"
[ "$(target_get zorstedbrown department)" = "Pharmacy" ] ||
    fail "Zoë's department in the target"
[ "$(target_get zorstedbrown employeeID)" = "$zoe" ] ||
    fail "Zoë's person id in the target"
[ "$(target_get zorstedbrown userPrincipalName)" = "zorstedbrown@group.test" ] ||
    fail "Zoë's UPN in the target"
[ "$(target_get zorstedbrown userAccountControl)" = "512" ] ||
    fail "Zoë is not enabled in the target"
ivo_user=$(field "$ivo" 6)
[ "$(target_get "$ivo_user" userAccountControl)" = "514" ] ||
    fail "Ivo, a leaver, is not disabled in the target"
ok "export --ldif: one add per person, loaded into a fresh directory, mapped, leavers disabled"

# Provisioning: apply writes OU=Provisioned itself, an entry per person
# named by display name, but none for Ivo, a leaver.
idsync_db_provision | idsync_conf "$T/provision.conf"
run 0 "$WARD_IDSYNC" -n -c "$T/provision.conf"
nleavers=$(awk -F, 'NR > 1 && $4 == "leaver"' "$T/persons.csv" | wc -l)
nadd=$((npersons - nleavers))
run 0 "$WARD_IDSYNC" -c "$T/provision.conf" apply --dry-run --out "$T/first.plan"
assert_contains "$OUT" "$TARGET_LINE $nadd to add, 0 to modify, 0 to rename, 0 to disable; 0 entries hold a person's id"
assert_contains "$OUT" "$nleavers leaver"
assert_contains "$OUT" "add cn=Zoë Ørsted-Brown,$P"
assert_contains "$OUT" "  msDS-cloudExtensionAttribute10: $zoe"
[ "$(prov_count)" = 0 ] || fail "apply --dry-run wrote to the target"
# In the history as what it was, not as an apply.
run 0 "$WARD_IDSYNC" -c "$T/provision.conf" history 1
assert_contains "$OUT" "  apply --dry-run  "
assert_contains "$OUT" "dry run; nothing written"
run 0 "$WARD_IDSYNC" -c "$T/provision.conf" apply
assert_contains "$OUT" "wrote $nadd changes to the target"
[ "$(prov_count)" = "$nadd" ] ||
    fail "the target holds $(prov_count) entries, not $nadd"
[ "$(prov_get "$zoe" cn)" = "Zoë Ørsted-Brown" ] &&
    [ "$(prov_get "$zoe" sAMAccountName)" = zorstedbrown ] &&
    [ "$(prov_get "$zoe" mail)" = zoe.orsted@btuh.test ] &&
    [ "$(prov_get "$zoe" userPrincipalName)" = zorstedbrown@group.test ] &&
    [ "$(prov_get "$zoe" userAccountControl)" = 512 ] ||
    fail "Zoë's entry: $(idsync_db_entries "$P" "(msDS-cloudExtensionAttribute10=$zoe)")"
[ -z "$(prov_get "$ivo" cn)" ] || fail "Ivo, a leaver, was given an entry"
[ "$(sqlite3 "$T/idsync.db" "SELECT count(DISTINCT guid) FROM audit WHERE domain = 'target' AND outcome = 'done'")" = "$nadd" ] ||
    fail "the audit does not hold every entry added"
run 0 "$WARD_IDSYNC" -c "$T/provision.conf" apply
assert_contains "$OUT" "$TARGET_LINE 0 to add, 0 to modify, 0 to rename, 0 to disable; $nadd entries hold a person's id"
ok "apply provisions the target: an entry per person, leavers none, audited; again, nothing to do"

run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" export --report "$T/report1.json"
jq -e --argjson n "$npersons" '.run.command == "run" and .run.outcome == "ok"
    and .run.duration_ms >= 0 and (.run.started | test("^2[0-9-]+T"))
    and .counts.persons == $n and .counts.persons_created == $n
    and (.domains | length) == 3
    and ([.domains[] | select(.read == "full" and .accounts > 0 and .pages >= 1 and .error == null)] | length) == 3
    and ([.domains[].domain] == ["btuh", "meht", "southend"])
    and .state.persons_by_lifecycle.joiner + .state.persons_by_lifecycle.leaver == $n
    and .state.persons_by_status.leaver >= 1' "$T/report1.json" > /dev/null ||
    fail "report after the first run: $(cat "$T/report1.json")"
ok "export --report: the last run's counts, each domain's read, timings, the state"

# A second run on the same data: the same usernames, nobody moved.
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run
persons
awk -F, 'NR > 1 { print $1, $6, $7 }' "$T/persons1.csv" > "$T/names1"
awk -F, 'NR > 1 { print $1, $6, $7 }' "$T/persons.csv" > "$T/names2"
cmp -s "$T/names1" "$T/names2" ||
    fail "usernames changed on a run with no change: $(diff "$T/names1" "$T/names2")"
[ "$(field "$zoe" 5)" = "unchanged" ] || fail "Zoë on run 2: $(field "$zoe" 5)"
[ "$(field "$ivo" 5)" = "leaver" ] || fail "Ivo on run 2: $(field "$ivo" 5)"
ok "joiners on the first run, leavers, unchanged on the second"

# Kim marries: a mover, who keeps her username; Keith leaves; Ivo is
# back (his btuh account enabled): a joiner again.
kim_user=$(field "$kim" 6)
idsync_db_modify btuh <<LDIF
dn: CN=Kim Lowe,OU=Staff,DC=btuh,DC=test
changetype: modify
replace: sn
sn: Abara
-
replace: displayName
displayName: Kim Abara
-
replace: whenChanged
whenChanged: 20260601000000.0Z

dn: CN=Ivo Quist,OU=Staff,DC=btuh,DC=test
changetype: modify
replace: userAccountControl
userAccountControl: 512

dn: CN=adm-uvance,OU=Staff,DC=btuh,DC=test
changetype: modify
replace: userAccountControl
userAccountControl: 514
LDIF
idsync_db_modify meht <<LDIF
dn: CN=Keith Lowe,OU=Staff,DC=meht,DC=test
changetype: modify
replace: userAccountControl
userAccountControl: 514
LDIF
# plan --out: the change set, saved for whoever approves it.
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" plan --out "$T/state.plan"
head -n 1 "$T/state.plan" | grep -qx '# ward-idsync plan' &&
    grep -q "^persons: .* 2 became leavers)\$" "$T/state.plan" &&
    grep -q "^~ person $keith \"Keith Lowe\" becomes a leaver\$" "$T/state.plan" &&
    [ "$(stat -c %a "$T/state.plan")" = 600 ] ||
    fail "plan --out: $(cat "$T/state.plan")"
run 2 "$WARD_IDSYNC" -c "$T/idsync.conf" run --out "$T/state.plan"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run
persons
[ "$(field "$kim" 2),$(field "$kim" 5),$(field "$kim" 6)" = "Kim Abara,mover,$kim_user" ] ||
    fail "Kim after her name changed: $(grep "^$kim" "$T/persons.csv")"
[ "$(field "$keith" 4),$(field "$keith" 5)" = "leaver,leaver" ] ||
    fail "Keith disabled: $(grep "^$keith" "$T/persons.csv")"
[ "$(field "$ivo" 4),$(field "$ivo" 5)" = "active,joiner" ] ||
    fail "Ivo back: $(grep "^$ivo" "$T/persons.csv")"
[ "$(field "$una" 4),$(field "$una" 5)" = "leaver,leaver" ] ||
    fail "Una, her admin account disabled too: $(grep "^$una" "$T/persons.csv")"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" conflicts btuh\\adm-uvance
assert_contains "$OUT" "no conflicts hold"
ok "a mover keeps the username, a leaver, a leaver back is a joiner; a live admin account holds off leaving"

# Nobody new: modifies only, for the mover, the leaver and the one back.
keith_user=$(field "$keith" 6)
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" export --ldif "$T/run3.ldif"
assert_contains "$OUT" " 0 adds, "
grep -q "^dn: uid=$kim_user,OU=People,DC=target,DC=test\$" "$T/run3.ldif" ||
    fail "no record for Kim: $(cat "$T/run3.ldif")"
grep -q "^dn: uid=zorstedbrown," "$T/run3.ldif" &&
    fail "Zoë did not change, but has a record"
target_load "$T/run3.ldif"
[ "$(target_get "$kim_user" sn)" = "Abara" ] &&
    [ "$(target_get "$kim_user" displayName)" = "Kim Abara" ] ||
    fail "Kim's new name is not in the target"
[ "$(target_get "$keith_user" userAccountControl)" = "514" ] ||
    fail "Keith left, but is enabled in the target"
[ "$(target_get "$ivo_user" userAccountControl)" = "512" ] ||
    fail "Ivo is back, but disabled in the target"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" export --report -
printf "%s\n" "$OUT" | sed -n '/^{/,/^}/p' > "$T/report3.json"
jq -e '.counts.persons_created == 0 and .state.persons_by_lifecycle.mover >= 1
    and .counts.accounts_modified >= 3' "$T/report3.json" > /dev/null ||
    fail "report after the third run: $(cat "$T/report3.json")"
ok "export --ldif: movers' new values, leavers disabled, a leaver back enabled"

# The same changes provisioned: Kim's entry renamed and her surname
# changed, Keith's and Una's disabled, Ivo, back, added; by a saved plan,
# which apply writes only while it is what apply would write.
run 0 "$WARD_IDSYNC" -c "$T/provision.conf" apply --dry-run --out "$T/apply.plan"
assert_contains "$OUT" "$TARGET_LINE 1 to add, 1 to modify, 1 to rename, 2 to disable; $nadd entries"
# (slapd gives the DN's suffix as its own suffix is written.)
printf '%s\n' "$OUT" | grep -qix "rename cn=Kim Lowe,$P -> cn=Kim Abara,$P" ||
    fail "no rename of Kim's entry: $OUT"
assert_contains "$OUT" "  sn: Lowe -> Abara"
assert_contains "$OUT" "  userAccountControl: 512 -> 514"
[ "$(stat -c %a "$T/apply.plan")" = 600 ] || fail "the saved plan is mode $(stat -c %a "$T/apply.plan")"
head -n 1 "$T/apply.plan" | grep -qx '# ward-idsync apply plan' &&
    grep -q "^  sn: Lowe -> Abara\$" "$T/apply.plan" ||
    fail "the saved plan: $(cat "$T/apply.plan")"
audits() { sqlite3 "$T/idsync.db" "SELECT count(*) FROM audit"; }
before=$(audits)
run 1 "$WARD_IDSYNC" -c "$T/provision.conf" apply --plan "$T/first.plan"
assert_contains "$OUT" "$T/first.plan is stale: what apply would write now is not what it says (line 1 of its changes: "
assert_contains "$OUT" "nothing was written"
sed 's/Abara/Abbott/' "$T/apply.plan" > "$T/tampered.plan"
run 1 "$WARD_IDSYNC" -c "$T/provision.conf" apply --plan "$T/tampered.plan"
assert_contains "$OUT" "$T/tampered.plan: changed since it was made"
# Its own digest right, its last newline gone: stale, and said at once.
sed -n '4,$p' "$T/apply.plan" | head -c -1 > "$T/body"
{
	sed -n '1,2p' "$T/apply.plan"
	printf '# sha256 %s\n' "$(sha256sum < "$T/body" | cut -d' ' -f1)"
	cat "$T/body"
} > "$T/cut.plan"
run 1 timeout 60 "$WARD_IDSYNC" -c "$T/provision.conf" apply --plan "$T/cut.plan"
assert_contains "$OUT" "$T/cut.plan is stale"
printf 'hello\n' > "$T/junk.plan"
run 1 "$WARD_IDSYNC" -c "$T/provision.conf" apply --plan "$T/junk.plan"
assert_contains "$OUT" "$T/junk.plan: not a saved plan"
run 1 "$WARD_IDSYNC" -c "$T/provision.conf" apply --plan "$T/none.plan"
assert_contains "$OUT" "$T/none.plan: No such file or directory"
run 2 "$WARD_IDSYNC" -c "$T/provision.conf" apply --out "$T/x.plan"
assert_contains "$OUT" "give both"
[ "$(audits)" = "$before" ] && [ "$(prov_count)" = "$nadd" ] ||
    fail "a refused plan wrote to the target"
run 0 "$WARD_IDSYNC" -c "$T/provision.conf" apply --plan "$T/apply.plan"
assert_contains "$OUT" "$T/apply.plan is what apply would write now"
idsync_db_entries "$P" "(msDS-cloudExtensionAttribute10=$kim)" dn |
    grep -qix "dn: cn=Kim Abara,$P" &&
    [ "$(prov_get "$kim" sn)" = Abara ] &&
    [ "$(prov_get "$kim" sAMAccountName)" = "$kim_user" ] ||
    fail "Kim's entry: $(idsync_db_entries "$P" "(msDS-cloudExtensionAttribute10=$kim)")"
[ "$(prov_get "$keith" userAccountControl)" = 514 ] &&
    [ "$(prov_get "$una" userAccountControl)" = 514 ] ||
    fail "Keith and Una left, but an entry is enabled"
[ "$(prov_get "$ivo" userAccountControl)" = 512 ] ||
    fail "Ivo is back, but has no enabled entry"
[ "$(prov_count)" = $((nadd + 1)) ] || fail "the target holds $(prov_count) entries"
run 0 "$WARD_IDSYNC" -c "$T/provision.conf" apply
assert_contains "$OUT" "$TARGET_LINE 0 to add, 0 to modify, 0 to rename, 0 to disable"
ok "apply by a saved plan: a mover's entry renamed and modified, a leaver's disabled, one back added; a stale, changed or foreign plan writes nothing"

# Nothing changed since: the movers and the joiner of the run before are
# unchanged now, and rewriting that is no change to settle from; the run
# after finds the state settled and skips matching.
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run
persons
[ "$(field "$kim" 5),$(field "$ivo" 5)" = "unchanged,unchanged" ] ||
    fail "Kim and Ivo a run later: $(field "$kim" 5),$(field "$ivo" 5)"
[ "$(sqlite3 "$T/idsync.db" "SELECT settled FROM runs ORDER BY id DESC LIMIT 1")" = 1 ] ||
    fail "a run that only found movers unchanged did not settle"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run
assert_contains "$OUT" "nothing changed since run"
ok "movers are unchanged a run later, and that run settles: the next skips matching"

# A state as schema version 11 left it: accounts' kind checked with a
# list. Migration 12 rebuilds the table under the links that refer to it:
# every row stays, the links still find their accounts. Migration 13
# drops the accounts' sums (made another way now): the run works them
# out again from the rows, finds no account changed and no link made or
# broken, and writes them; the run after it finds nothing changed.
accounts_before=$(sqlite3 "$T/idsync.db" "SELECT count(*) || ',' || (SELECT count(*) FROM links JOIN accounts USING (domain, guid)) FROM accounts")
sqlite3 "$T/idsync.db" "PRAGMA foreign_keys=OFF; BEGIN;
CREATE TABLE accounts_old (domain TEXT NOT NULL, guid TEXT NOT NULL,
  dn TEXT NOT NULL, sam TEXT, upn TEXT, mail TEXT, display_name TEXT,
  employee_id TEXT, sid TEXT, kind TEXT NOT NULL
  CHECK (kind IN ('person', 'admin', 'service', 'shared')),
  enabled INTEGER NOT NULL, expires_ms INTEGER, attrs TEXT NOT NULL,
  first_seen_run INTEGER NOT NULL, changed_run INTEGER NOT NULL,
  attrs_sum BLOB, content_sum BLOB, PRIMARY KEY (domain, guid));
INSERT INTO accounts_old SELECT * FROM accounts;
DROP TABLE accounts;
ALTER TABLE accounts_old RENAME TO accounts;
CREATE INDEX accounts_sam ON accounts(sam COLLATE NOCASE);
PRAGMA user_version = 11; COMMIT;" || fail "sqlite3: the accounts of version 11"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run
assert_contains "$OUT" "schema migrated to version 13 (2 migrations applied)"
assert_contains "$OUT" " (0 new, 0 gone, 0 changed)"
assert_contains "$OUT" "links:     0 made, 0 broken"
[ "$(sqlite3 "$T/idsync.db" "SELECT count(*) FROM accounts WHERE attrs_sum IS NULL OR content_sum IS NULL")" = 0 ] ||
    fail "accounts left without sums after the run"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run
assert_contains "$OUT" "nothing changed since run"
[ "$(sqlite3 "$T/idsync.db" "SELECT count(*) || ',' || (SELECT count(*) FROM links JOIN accounts USING (domain, guid)) FROM accounts")" = "$accounts_before" ] ||
    fail "accounts and their links before the migration: $accounts_before, after: $(sqlite3 "$T/idsync.db" "SELECT count(*) FROM accounts")"
[ -z "$(sqlite3 "$T/idsync.db" "PRAGMA foreign_key_check")" ] ||
    fail "rows whose references broke: $(sqlite3 "$T/idsync.db" "PRAGMA foreign_key_check")"
assert_contains "$(sqlite3 "$T/idsync.db" "SELECT sql FROM sqlite_master WHERE name = 'accounts'")" "kind = 'person' OR"
run 19 sqlite3 "$T/idsync.db" "PRAGMA foreign_keys=ON; INSERT INTO accounts (domain, guid, dn, kind, enabled, attrs, first_seen_run, changed_run) VALUES ('btuh', 'x', 'CN=x', 'robot', 1, '{}', 1, 1)"
assert_contains "$OUT" "CHECK constraint failed"
ok "a state of schema version 11 migrates to 13 whole: same accounts and links, nothing changed, kinds still checked"

# A state saved before persons had a department and title, as migration
# 11 leaves it: the run that fills them in finds no movers in that.
sqlite3 "$T/idsync.db" "UPDATE persons SET department = NULL, title = NULL, jobs_known = NULL" ||
    fail "sqlite3 update"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run --full
persons
[ "$(field "$zoe" 5)" = unchanged ] &&
    [ "$(sqlite3 "$T/idsync.db" "SELECT department || ',' || jobs_known FROM persons WHERE id = '$zoe'")" = "Pharmacy,1" ] ||
    fail "Zoë after her department was filled in: $(field "$zoe" 5), $(sqlite3 "$T/idsync.db" "SELECT department, jobs_known FROM persons WHERE id = '$zoe'")"
ok "a state from before department and title: filled in by the next run, and no one a mover for it"

# Linking Ed's two accounts by decision: their employee numbers differ, so
# the person has none and there is a conflict naming both. And Ivo loses
# his expired meht account, which changes none of his values: still a
# mover.
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" link 'btuh\edunne' 'meht\edward.dunne'
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" unlink 'meht\ivo.quist'
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run
persons
[ "$(person_of btuh iquist)" = "$ivo" ] && [ "$(person_of meht ivo.quist)" != "$ivo" ] ||
    fail "unlink: meht\\ivo.quist is still Ivo's"
[ "$(field "$ivo" 2),$(field "$ivo" 5)" = "Ivo Quist,mover" ] ||
    fail "Ivo lost an account: $(grep "^$ivo" "$T/persons.csv")"
ed=$(person_of btuh edunne)
[ -n "$ed" ] && [ "$(person_of meht edward.dunne)" = "$ed" ] ||
    fail "the link decision did not make Ed one person"
[ -z "$(field "$ed" 3)" ] || fail "Ed's employeeID should be empty: $(field "$ed" 3)"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" conflicts
assert_contains "$OUT" "(attribute): employeeID disagrees among the accounts of person $ed: btuh\\edunne D9301, meht\\edward.dunne D9302"
assert_contains "$OUT" "employeeID D9302"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" export --report "$T/report4.json"
jq -e '.state.conflicts_by_kind.attribute == 1' "$T/report4.json" > /dev/null ||
    fail "report: the attribute conflict: $(cat "$T/report4.json")"
ok "employeeID must agree: otherwise empty, and a conflict naming the accounts"

# With employeeID by domain order instead, btuh's number wins.
idsync_conf "$T/idsync.conf" <<CONF
[precedence "employeeID"]
rule = domains
order = btuh
[precedence "mail"]
rule = mail-domains
order = meht.test
[username]
upn_suffix = group.test
CONF
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run
persons
[ "$(field "$ed" 3)" = "D9301" ] || fail "employeeID by domains: $(field "$ed" 3)"
[ "$(field "$zoe" 8)" = "z.orsted-brown@meht.test" ] ||
    fail "mail after the preference changed: $(field "$zoe" 8)"
[ "$(field "$zoe" 5)" = "mover" ] || fail "Zoë's mail changed: $(field "$zoe" 5)"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" conflicts
assert_not_contains "$OUT" "(attribute)"
ok "precedence by domain order; a changed preference is a move"
