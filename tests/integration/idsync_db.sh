# idsync_db.sh: sourced by tests that need a real ward-idsync database:
# idsync_gen's staff in three slapd directories (idsync_fixture.sh), read
# by the real ward-idsync with the matching rules etc/idsync.conf ships.
# Needs lib.sh and make_test_ca first.

. "$top_srcdir/tests/integration/idsync_fixture.sh"

# idsync_db_require [CMD...]: skips the test when a program the fixture
# needs, or one of the CMDs the test does, is missing.
idsync_db_require() {
	for _c in slapd slapadd slappasswd ldapsearch "$@"; do
		require_cmd "$_c"
	done
}

# idsync_db_start [PERSONS [LDIF]]: generates PERSONS (default 120)
# people plus the hard cases, with the entries of the file LDIF added to
# btuh, and starts the three directories (stopped at exit).
idsync_db_start() {
	"$top_builddir/tests/integration/idsync_gen" "$T" "${1:-120}" ||
	    fail "idsync_gen failed"
	if [ -n "${2:-}" ]; then
		printf '\n' >> "$T/btuh.ldif"
		cat "$2" >> "$T/btuh.ldif"
	fi
	openssl rand -hex 16 | tr -d "\n" > "$T/svc.password"
	openssl rand -hex 16 | tr -d "\n" > "$T/root.password"
	chmod 600 "$T/svc.password" "$T/root.password"
	FX_DIR=$T
	FX_SVC_HASH=$(slappasswd -T "$T/svc.password") ||
	    fail "slappasswd failed"
	FX_ROOT_HASH=$(slappasswd -T "$T/root.password") ||
	    fail "slappasswd failed"
	for _d in btuh meht southend; do
		fx_start_slapd $_d
		at_exit "fx_stop_slapd $_d"
	done
}

# idsync_db_conf FILE DB: ward-idsync's configuration for the three
# directories into DB, the sections on standard input added, and the
# matching sections exactly as etc/idsync.conf ships them.
idsync_db_conf() {
	{
		printf '[idsync]\ndatabase = %s\n' "$2"
		for _d in btuh meht southend; do
			eval _port=\$TLS_$_d
			cat <<CONF
[domain "$_d"]
uri = ldaps://127.0.0.1:$_port
base = DC=$_d,DC=test
bind_dn = CN=svc-ward,OU=Service Accounts,DC=$_d,DC=test
bind_password_file = $T/svc.password
ca_file = $T/ca.crt
filter = (objectClass=user)
page_size = 50
CONF
		done
		cat
		sed -n '/^\[match\]/,$p' "$top_srcdir/etc/idsync.conf" |
		    sed "/^\[match\]/a nicknames = $top_srcdir/data/nicknames.txt"
	} > "$1"
}

# idsync_db_make DB [PERSONS [LDIF]]: the directories as idsync_db_start
# makes them, and ward-idsync run once into DB ($T/idsync.conf).
idsync_db_make() {
	idsync_db_start "${2:-120}" "${3:-}"
	idsync_db_conf "$T/idsync.conf" "$1" < /dev/null
	"$WARD_IDSYNC" -c "$T/idsync.conf" run > "$T/idsync-run.log" 2>&1 ||
	    fail "ward-idsync run failed: $(tail -5 "$T/idsync-run.log")"
}

# idsync_db_hostile FILE: an LDIF entry for btuh whose names carry
# terminal escapes (search for zzhostile; employee number E7999999).
idsync_db_hostile() {
	cat > "$1" <<LDIF
dn: CN=Hostile Name,OU=Staff,DC=btuh,DC=test
objectClass: top
objectClass: person
objectClass: organizationalPerson
objectClass: inetOrgPerson
objectClass: user
cn: Hostile Name
sn:: $(printf 'Zzhostile\033[2J' | base64 -w0)
givenName: Eve
displayName:: $(printf 'Eve Zzhostile\033[2J\033]0;owned\007' | base64 -w0)
sAMAccountName:: $(printf 'zzhostile\033[31m' | base64 -w0)
userPrincipalName: zzhostile@btuh.test
employeeID: E7999999
userAccountControl: 512
objectGUID:: $(head -c 16 /dev/urandom | base64)
LDIF
}

# idsync_db_target: a fourth slapd with the same schema as the target
# directory, empty but for OU=People, OU=Provisioned and the fixture's
# service account; PLAIN_target and TLS_target its ports. Stopped at exit.
idsync_db_target() {
	cat > "$T/target.ldif" <<LDIF
dn: DC=target,DC=test
objectClass: dcObject
objectClass: organization
o: target
dc: target

dn: OU=People,DC=target,DC=test
objectClass: organizationalUnit
ou: People

dn: OU=Provisioned,DC=target,DC=test
objectClass: organizationalUnit
ou: Provisioned

dn: OU=Service Accounts,DC=target,DC=test
objectClass: organizationalUnit
ou: Service Accounts
LDIF
	fx_start_slapd target
	at_exit "fx_stop_slapd target"
}

# idsync_db_provision: a [target] section provisioning OU=Provisioned of
# the target as its manager, entries named by display name (so that a
# new name is a rename) and found again by msDS-cloudExtensionAttribute10.
idsync_db_provision() {
	cat <<CONF
[target]
uri = ldaps://127.0.0.1:$TLS_target
ca_file = $T/ca.crt
bind_dn = CN=Manager,DC=target,DC=test
bind_password_file = $T/root.password
base = OU=Provisioned,DC=target,DC=test
page_size = 20
rdn = cn
object_classes = top person organizationalPerson inetOrgPerson user
attributes = cn=display_name displayName=display_name sn=sn
attributes = givenName=given_name mail=mail sAMAccountName=username
attributes = userPrincipalName=upn employeeID=employee_id
attributes = msDS-cloudExtensionAttribute10=id
leaver = userAccountControl=514
active = userAccountControl=512
CONF
}

# idsync_db_entries BASE FILTER ATTR...: the target's entries, as
# ldapsearch prints them unwrapped.
idsync_db_entries() {
	_b=$1
	_f=$2
	shift 2
	ldapsearch -x -LLL -o ldif-wrap=no \
	    -H "ldap://127.0.0.1:$PLAIN_target" \
	    -D "CN=Manager,DC=target,DC=test" -y "$T/root.password" \
	    -b "$_b" "$_f" "$@"
}

# idsync_db_value ATTR: ATTR's values (base64 decoded) in the LDIF on
# standard input.
idsync_db_value() {
	awk -v a="$1" 'index($0, a ":: ") == 1 { print "b64 " substr($0, length(a) + 4) }
	    index($0, a ": ") == 1 { print "txt " substr($0, length(a) + 3) }' |
	    while read -r _how _v; do
		if [ "$_how" = b64 ]; then
			printf "%s" "$_v" | base64 -d
			echo
		else
			printf "%s\n" "$_v"
		fi
	    done
}

# idsync_db_dn DOMAIN SAM: the "dn:" line (or "dn::", base64, for a name
# that is not plain ASCII) of the account, as an LDIF change record takes
# it.
idsync_db_dn() {
	eval "_port=\$PLAIN_$1"
	_dn=$(ldapsearch -x -LLL -o ldif-wrap=no -H "ldap://127.0.0.1:$_port" \
	    -D "CN=Manager,DC=$1,DC=test" -y "$T/root.password" \
	    -b "DC=$1,DC=test" "(sAMAccountName=$2)" dn | grep '^dn::\? ')
	[ -n "$_dn" ] || fail "no account $2 in $1"
	printf '%s\n' "$_dn"
}

# idsync_db_modify DOMAIN: applies the LDIF on standard input to the
# domain as its manager.
idsync_db_modify() {
	eval "_port=\$PLAIN_$1"
	ldapmodify -x -H "ldap://127.0.0.1:$_port" \
	    -D "CN=Manager,DC=$1,DC=test" -y "$T/root.password" \
	    > "$T/ldapmodify.out" 2>&1 ||
	    fail "ldapmodify $1: $(cat "$T/ldapmodify.out")"
}
