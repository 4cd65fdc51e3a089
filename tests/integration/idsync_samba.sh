#!/bin/sh
# idsync_samba.sh: ward-idsync against real Active Directory: three Samba
# AD domain controllers (samba_lib.sh) holding the generated staff. Reads
# over LDAPS in pages; objectGUID and objectSid decoded as Samba's own tools
# print them; the persons the same as from the slapd directories holding
# the same staff.
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

# samba_conf FILE [EXTRA-GLOBAL [EXTRA-DOMAIN]]: the three DCs over LDAPS,
# reading as svc-ward; the matching sections as etc/idsync.conf ships them.
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
${3:-}
CONF
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
