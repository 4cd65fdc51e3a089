#!/bin/sh
# idsync_ranged.sh: ranged retrieval, as Active Directory answers when a
# multi-valued attribute holds more values than MaxValRange: the account's
# first answer says memberOf;range=0-2 and ward-idsync asks for the rest
# ("memberOf;range=3-*", then "6-*") until a range ends in "*". No server
# that runs here ranges values unasked, so ldap_ranged.py, a stand-in LDAPS
# server for this alone, answers as AD would; everything else ward-idsync
# does with it is real (TLS, bind, paged search, the state).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/idsync_fixture.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || skip "python3 is not installed"
require_cmd sqlite3
make_test_ca
BASE="DC=btuh,DC=test"
fx_start_standin ldap "$BASE"
cat > "$T/idsync.conf" <<CONF
[log]
level = info
[idsync]
database = $T/idsync.db
$(fx_standin_domain btuh ldap "$BASE")
[match]
nicknames = $top_srcdir/data/nicknames.txt
CONF
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run
assert_contains "$OUT" "domain btuh: 2 accounts in 1 page from ldaps://127.0.0.1:"
assert_contains "$OUT" "domain btuh: 1 attribute had more values than one answer holds, read range by range"
grep -q "^search CN=Rana Amin,OU=Staff,$BASE scope 0 memberOf;range=3-\*\$" "$T/ldap.log" &&
    grep -q "^search CN=Rana Amin,OU=Staff,$BASE scope 0 memberOf;range=6-\*\$" "$T/ldap.log" ||
    fail "the ranges asked for: $(cat "$T/ldap.log")"
[ "$(grep -c ';range=' "$T/ldap.log")" = 2 ] ||
    fail "ranges asked for more than needed: $(cat "$T/ldap.log")"
groups=$(sqlite3 "$T/idsync.db" "SELECT group_concat(substr(value, 4, 8), ',')
    FROM accounts, json_each(json_extract(attrs, '$.memberOf'))
    WHERE sam = 'ramin'")
[ "$groups" = "Group 00,Group 01,Group 02,Group 03,Group 04,Group 05,Group 06,Group 07" ] ||
    fail "Rana's groups: $groups"
[ "$(sqlite3 "$T/idsync.db" "SELECT json_array_length(json_extract(attrs, '$.memberOf')) FROM accounts WHERE sam = 'oberg'")" = 2 ] ||
    fail "Ola's two groups"
ok "ranged retrieval: memberOf of eight values read in three answers (0-2, 3-5, 6-*), in order; two values in one"
