#!/bin/sh
# idsync_hostile.sh: what a broken or hostile directory sends in an entry
# and ward-idsync must refuse, value by value, without failing the run or
# losing the account: a value that is not UTF-8, one holding a NUL, one
# over 64 KiB, and an attribute of 100 001 values (100 000 are kept). slapd
# stores none of those (it checks its syntaxes), so ldap_ranged.py, the
# stand-in LDAPS server of idsync_ranged.sh, sends them with --hostile;
# everything else ward-idsync does with it is real (TLS, bind, paged
# search, the state).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/idsync_fixture.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || skip "python3 is not installed"
require_cmd sqlite3
make_test_ca
BASE="DC=btuh,DC=test"
fx_start_standin ldap "$BASE" --hostile
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
assert_contains "$OUT" "domain btuh: 3 accounts in 1 page from ldaps://127.0.0.1:"
assert_contains "$OUT" "domain btuh: 4 attribute values were not valid UTF-8, held a NUL, or were over their size limits; left out"
q() {
	sqlite3 "$T/idsync.db" "$1"
}
[ "$(q "SELECT count(*) FROM accounts")" = 3 ] || fail "accounts: $(q "SELECT sam FROM accounts")"
row=$(q "SELECT json_array_length(json_extract(attrs, '$.proxyAddresses')),
    json_extract(attrs, '$.proxyAddresses[0]'),
    json_type(attrs, '$.displayName'), json_type(attrs, '$.title'),
    json_type(attrs, '$.department'), display_name, mail
    FROM accounts WHERE sam = 'hkovac'")
[ "$row" = "100000|SMTP:hana.kovac@btuh.test|||||" ] ||
    fail "Hana's row (values kept, the first, refused ones): $row"
last=$(q "SELECT value FROM accounts, json_each(json_extract(attrs,
    '$.proxyAddresses')) WHERE sam = 'hkovac' ORDER BY key DESC LIMIT 1")
[ "$last" = "smtp:hk099999@btuh.test" ] || fail "the last value kept: $last"
ok "a hostile entry: its bad values left out one by one and counted, 100 000 of 100 001 values kept in order, the account and the run whole"

# The next run finds the same: nothing is taken for a change.
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run
assert_contains "$OUT" "accounts:  3 (0 new, 0 gone, 0 changed)"
ok "the same hostile entry read again is no change"

# The same person in a second domain, of as many addresses, none of them
# shared: weighing the pair compares the two lists of 100 000 (each with
# each, that took twenty seconds), and names and nothing else make a
# conflict for a person.
fx_start_standin meht "DC=meht,DC=test" --hostile
cat >> "$T/idsync.conf" <<CONF
link = 16
review = 8
blocking = surname-given, given-initial
$(fx_standin_domain meht meht "DC=meht,DC=test")
[compare "givenName"]
comparator = name
agree = 6
disagree = -4
[compare "sn"]
comparator = name
agree = 6
disagree = -3
CONF
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run
assert_contains "$OUT" "domain meht: 4 attribute values were not valid UTF-8, held a NUL, or were over their size limits; left out"
pair=$(q "SELECT group_concat(ca.domain, ',') FROM conflict_accounts ca
    JOIN accounts a USING (domain, guid) WHERE a.sam = 'hkovac'
    GROUP BY ca.conflict_id")
[ "$pair" = "btuh,meht" ] || [ "$pair" = "meht,btuh" ] ||
    fail "Hana's two accounts, one conflict: $pair"
[ "$(q "SELECT count(*) FROM links l JOIN accounts a USING (domain, guid)
    WHERE a.sam = 'hkovac' AND l.reason LIKE 'exact:%'")" = 0 ] ||
    fail "Hana's accounts linked by an address they do not share"
ok "two hostile entries of one name in two domains: weighed, 100 000 addresses each, none shared, a conflict"
