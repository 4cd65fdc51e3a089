# idsync_db.sh: sourced by tests that need a real ward-idsync database:
# idsync_gen's staff in three slapd directories (idsync_fixture.sh), read
# by the real ward-idsync with the matching rules etc/idsync.conf ships.
# Needs lib.sh and make_test_ca first.

. "$top_srcdir/tests/integration/idsync_fixture.sh"

# idsync_db_require: skips the test when a program the fixture needs is
# missing.
idsync_db_require() {
	for _c in slapd slapadd slappasswd ldapsearch; do
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
