#!/bin/sh
# collector_tokens.sh: `ward-collector token add|list|revoke` against a real
# database: the token is printed once, alone; only its hash is kept.
. "$top_srcdir/tests/integration/lib.sh"

cat > "$T/collector.conf" <<CONF
[http]
listen = 127.0.0.1:1
tls = no
[store]
database = $T/ward.db
CONF
C="$WARD_COLLECTOR -c $T/collector.conf"

# add: the token alone on stdout, nothing else there.
$C token add --role agent --name dc1-netpoll > "$T/out" 2> "$T/err" ||
    fail "token add failed: $(cat "$T/err")"
[ "$(wc -l < "$T/out")" -eq 1 ] || fail "token add printed more than one line: $(cat "$T/out")"
token=$(cat "$T/out")
printf '%s\n' "$token" | grep -Eqx 'ward_[A-Za-z0-9_-]{43}' ||
    fail "token has the wrong shape: $token"
assert_not_contains "$(cat "$T/err")" "$token"
assert_contains "$(cat "$T/err")" "shown once"
ok "token add prints the token once, alone on stdout"

# The database is private and holds no token.
mode=$(stat -c %a "$T/ward.db")
[ "$mode" = 600 ] || fail "ward.db is mode $mode, expected 600"
if grep -qaF -- "${token#ward_}" "$T"/ward.db*; then
	fail "the token is stored in the database"
fi
grep -qaF dc1-netpoll "$T/ward.db" || fail "the token's name is not in the database"
ok "ward.db is mode 0600 and holds no token"

# The short form works too; a second token differs.
run 0 $C token add read helpdesk
token2=$(printf '%s\n' "$OUT" | grep '^ward_')
[ -n "$token2" ] && [ "$token2" != "$token" ] || fail "second token: $OUT"

# list: header, one line per token, never a token.
run 0 $C token list
assert_contains "$OUT" "NAME"
assert_contains "$OUT" "dc1-netpoll"
assert_contains "$OUT" "helpdesk"
assert_contains "$OUT" "never"
assert_not_contains "$OUT" "ward_"
assert_not_contains "$OUT" "${token#ward_}"
[ "$($C token list 2>/dev/null | wc -l)" -eq 3 ] || fail "list: $OUT"
ok "token list shows names and roles, no secrets"

# Refusals.
run 1 $C token add --role agent --name dc1-netpoll
assert_contains "$OUT" 'token "dc1-netpoll" already exists; revoke it first'
run 2 $C token add --role root --name x
assert_contains "$OUT" 'unknown role "root"'
run 1 $C token add --role agent --name 'bad name'
assert_contains "$OUT" '"bad name"'
run 2 $C token add --role agent
assert_contains "$OUT" "--name"
run 1 $C token revoke nobody
assert_contains "$OUT" '"nobody"'
run 2 $C token frobnicate
assert_contains "$OUT" "frobnicate"
ok "duplicate names, bad roles and names, unknown tokens are refused"

# revoke: shown as revoked; the name can be reused.
run 0 $C token revoke dc1-netpoll
run 0 $C token list
assert_contains "$OUT" "revoked"
run 1 $C token revoke dc1-netpoll
run 0 $C token add --role agent --name dc1-netpoll
ok "token revoke"
