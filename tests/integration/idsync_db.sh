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

# idsync_db_make DB [PERSONS]: generates PERSONS (default 120) people plus
# the hard cases, starts the three directories (stopped at exit), and runs
# ward-idsync once into DB.
idsync_db_make() {
	"$top_builddir/tests/integration/idsync_gen" "$T" "${2:-120}" ||
	    fail "idsync_gen failed"
	openssl rand -hex 16 | tr -d "\n" > "$T/svc.password"
	openssl rand -hex 16 | tr -d "\n" > "$T/root.password"
	chmod 600 "$T/svc.password" "$T/root.password"
	FX_DIR=$T
	FX_SVC_HASH=$(slappasswd -T "$T/svc.password") ||
	    fail "slappasswd failed"
	FX_ROOT_HASH=$(slappasswd -T "$T/root.password") ||
	    fail "slappasswd failed"
	{
		printf '[idsync]\ndatabase = %s\n' "$1"
		for _d in btuh meht southend; do
			fx_start_slapd $_d
			at_exit "fx_stop_slapd $_d"
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
		sed -n '/^\[match\]/,$p' "$top_srcdir/etc/idsync.conf" |
		    sed "/^\[match\]/a nicknames = $top_srcdir/data/nicknames.txt"
	} > "$T/idsync.conf"
	"$WARD_IDSYNC" -c "$T/idsync.conf" run > "$T/idsync-run.log" 2>&1 ||
	    fail "ward-idsync run failed: $(tail -5 "$T/idsync-run.log")"
}
