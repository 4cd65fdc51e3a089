#!/bin/sh
# idsync_decide.sh: conflicts decided in bulk. Generated staff in three
# slapd directories (idsync_db.sh); "export --conflicts" writes every
# conflict as rows of decisions to fill in, "decide" reads them back and
# the next run applies them. A file with any fault (a word that is no
# decision, an account not in the state, an account missing, a pair
# decided both ways, a quote left open, not text, too long, missing)
# records nothing and names the line.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/idsync_db.sh"

idsync_db_require sqlite3
make_test_ca
idsync_db_start 400
idsync_db_conf "$T/idsync.conf" "$T/idsync.db" < /dev/null
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run

decisions() {
	sqlite3 "$T/idsync.db" "SELECT count(*) FROM decisions"
}

# person_of DOMAIN GUID: its person, or nothing.
person_of() {
	sqlite3 "$T/idsync.db" "SELECT person_id FROM links WHERE domain = '$1' AND guid = '$2'"
}

run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" export --conflicts "$T/c.csv"
head -n 1 "$T/c.csv" | grep -qx 'decision,account,other,conflict_id,kind,score,account_name,other_name,summary' ||
    fail "export --conflicts: header $(head -n 1 "$T/c.csv")"
conflicts=$(sqlite3 "$T/idsync.db" "SELECT count(*) FROM conflicts")
pairs=$(sqlite3 "$T/idsync.db" "SELECT count(*) FROM conflicts c WHERE (SELECT count(*) FROM conflict_accounts WHERE conflict_id = c.id) = 2")
[ "$pairs" -ge 3 ] || fail "only $pairs conflicts of two accounts to decide"
rows=$(($(wc -l < "$T/c.csv") - 1))
# A row for each account after a conflict's first, at least one each.
want=$(sqlite3 "$T/idsync.db" "SELECT sum(max(n - 1, 1)) FROM (SELECT count(*) AS n FROM conflict_accounts GROUP BY conflict_id)")
[ "$rows" = "$want" ] || fail "export --conflicts: $rows rows for $conflicts conflicts, expected $want"
# The first row is the first conflict "conflicts" lists.
first=$(sed -n 2p "$T/c.csv" | cut -d, -f4)
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" conflicts --limit 1
assert_contains "$OUT" "conflict $first ("
ok "export --conflicts: $rows rows for $conflicts conflicts, in the order conflicts lists them"

# The first three pairs: link, never-link, and left alone.
awk -F, 'NR > 1 && $2 != "" && $3 != "" && $5 == "review" { print }' "$T/c.csv" |
    head -n 3 > "$T/pairs"
[ "$(wc -l < "$T/pairs")" = 3 ] || fail "fewer than three review pairs"
pair() { sed -n "${1}p" "$T/pairs" | cut -d, -f"$2"; }
a1=$(pair 1 2); b1=$(pair 1 3); a2=$(pair 2 2); b2=$(pair 2 3)
{
	head -n 1 "$T/c.csv"
	printf 'link%s\n' "$(sed -n 1p "$T/pairs")"
	printf '# a comment\n\n'
	printf 'never-link%s\r\n' "$(sed -n 2p "$T/pairs")"
	sed -n 3p "$T/pairs"
	# The same link again, a copied row: one decision.
	printf 'link%s\n' "$(sed -n 1p "$T/pairs")"
} > "$T/decide.csv"
before=$(decisions)
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" decide "$T/decide.csv"
assert_contains "$OUT" "recorded 2 decisions from $T/decide.csv (1 link, 1 never-link, 0 unlink; 1 repeated, counted once)"
[ "$(decisions)" = $((before + 2)) ] || fail "decide recorded $(($(decisions) - before)) decisions"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run
p1=$(person_of "${a1%%:*}" "${a1#*:}")
[ -n "$p1" ] && [ "$p1" = "$(person_of "${b1%%:*}" "${b1#*:}")" ] ||
    fail "link: $a1 and $b1 are not one person ($p1)"
p2=$(person_of "${a2%%:*}" "${a2#*:}")
[ -z "$p2" ] || [ "$p2" != "$(person_of "${b2%%:*}" "${b2#*:}")" ] ||
    fail "never-link: $a2 and $b2 are one person"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" conflicts "$a2"
assert_not_contains "$OUT" "${b2#*:}"
ok "decide: a link and a never-link from the exported file, applied by the next run"

# Names as people write them, from standard input, after the BOM a
# spreadsheet's "CSV UTF-8" starts with; unlink by itself.
sam1=$(sqlite3 "$T/idsync.db" "SELECT sam FROM accounts WHERE domain = '${a1%%:*}' AND guid = '${a1#*:}'")
before=$(decisions)
printf '\357\273\277unlink,%s\\%s\n' "${a1%%:*}" "$sam1" > "$T/unlink.csv"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" decide - < "$T/unlink.csv"
assert_contains "$OUT" "recorded 1 decisions from - (0 link, 0 never-link, 1 unlink)"
[ "$(decisions)" = $((before + 1)) ] || fail "decide - recorded nothing"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run
[ "$(person_of "${a1%%:*}" "${a1#*:}")" != "$p1" ] || fail "unlink: $a1 is still $p1's"
ok "decide -: an unlink by DOMAIN\\NAME from standard input, after a BOM"

# Faults: each named with its line, and nothing recorded.
faulty() {
	before=$(decisions)
	run 1 "$WARD_IDSYNC" -c "$T/idsync.conf" decide "$T/bad.csv"
	assert_contains "$OUT" "nothing was recorded"
	[ "$(decisions)" = "$before" ] || fail "a faulty file recorded decisions: $OUT"
}
{
	printf 'link,%s,%s\n' "$a2" "$b2"		# 1: fine alone
	printf 'merge,%s,%s\n' "$a2" "$b2"		# 2
	printf 'link,btuh:00000000-0000-0000-0000-000000000000,%s\n' "$b2" # 3
	printf 'never-link,%s\n' "$a2"			# 4
	printf 'link,%s,%s\n' "$a2" "$a2"		# 5
	printf 'never-link,%s,%s\n' "$b2" "$a2"		# 6: against line 1
	printf 'link,meht\\no\033[31mone,%s\n' "$a2"	# 7: hostile
} > "$T/bad.csv"
faulty
assert_contains "$OUT" "line 2: \"merge\" is no decision"
assert_contains "$OUT" "line 3: "
assert_contains "$OUT" "line 4: never-link names two accounts"
assert_contains "$OUT" "line 5: "
assert_contains "$OUT" "line 6: never-link, where line 1 decided otherwise"
assert_contains "$OUT" "line 7: "
assert_contains "$OUT" "6 faults"
case $OUT in *"$(printf '\033')"*) fail "an escape reached the output: $OUT" ;; esac
printf 'link,"%s,%s\n' "$a2" "$b2" > "$T/bad.csv"
faulty
assert_contains "$OUT" "line 1: a quote is never closed"
printf 'link,%s\000,%s\n' "$a2" "$b2" > "$T/bad.csv"
faulty
assert_contains "$OUT" "not text"
head -c 70000000 /dev/zero | tr '\000' '#' > "$T/bad.csv"
faulty
assert_contains "$OUT" "longer than 64 MiB"
run 1 "$WARD_IDSYNC" -c "$T/idsync.conf" decide "$T/none.csv"
assert_contains "$OUT" "$T/none.csv: No such file or directory"
run 2 "$WARD_IDSYNC" -c "$T/idsync.conf" decide
assert_contains "$OUT" "decide FILE"
ok "decide: faults named by line (no decision, unknown account, one account missing, one account twice, a pair both ways, hostile bytes, an open quote, a NUL, 64 MiB, no file); nothing recorded"

# new-person: an account that waits, never one person with any of its
# candidates; the next run makes its person. One by the command, one by
# a file.
subjects=$(sqlite3 -separator ' ' "$T/idsync.db" "SELECT f.domain, f.guid,
    (SELECT count(*) FROM conflict_accounts WHERE conflict_id = c.id) - 1 AS n
    FROM conflicts c JOIN conflict_accounts f ON f.rowid = (SELECT min(rowid)
    FROM conflict_accounts WHERE conflict_id = c.id)
    WHERE c.kind = 'review' AND f.person_id IS NULL ORDER BY n DESC, f.guid LIMIT 2")
set -- $subjects
[ $# = 6 ] || fail "fewer than two accounts wait on review conflicts"
sd=$1 sg=$2 td=$4 tg=$5
# candidates DOMAIN GUID: how many accounts its conflicts offer it.
candidates() {
	sqlite3 "$T/idsync.db" "SELECT count(DISTINCT o.domain || o.guid)
	    FROM conflict_accounts s JOIN conflicts c ON c.id = s.conflict_id
	    JOIN conflict_accounts o ON o.conflict_id = c.id
	    WHERE s.domain = '$1' AND s.guid = '$2' AND c.kind IN ('review', 'ambiguous')
	    AND NOT (o.domain = '$1' AND o.guid = '$2')
	    AND (s.score IS NULL OR o.score IS NULL)"
}
cands=$(candidates "$sd" "$sg")
tcands=$(candidates "$td" "$tg")
# never_links DOMAIN GUID: its never-link decisions after $before.
never_links() {
	sqlite3 "$T/idsync.db" "SELECT count(*) FROM decisions WHERE id > $before
	    AND kind = 'never-link' AND a_domain = '$1' AND a_guid = '$2'"
}
before=$(decisions)
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" new-person "$sd:$sg"
assert_contains "$OUT" "recorded: $sd:$sg is a person of its own, never one person with $cands account"
[ "$(decisions)" = $((before + cands)) ] && [ "$(never_links "$sd" "$sg")" = "$cands" ] ||
    fail "new-person recorded $(($(decisions) - before)) decisions for $cands candidates"
# A file: new-person against a link of the same account is a fault.
tc=$(sqlite3 "$T/idsync.db" "SELECT o.domain || ':' || o.guid FROM conflict_accounts s
    JOIN conflicts c ON c.id = s.conflict_id JOIN conflict_accounts o ON o.conflict_id = c.id
    WHERE s.domain = '$td' AND s.guid = '$tg' AND c.kind = 'review'
    AND NOT (o.domain = '$td' AND o.guid = '$tg') LIMIT 1")
printf 'link,%s,%s\nnew-person,%s:%s\n' "$tc" "$td:$tg" "$td" "$tg" > "$T/bad.csv"
faulty
assert_contains "$OUT" "line 2: new-person, where line 1 decided otherwise"
printf 'decision,account\nnew-person,%s:%s\n' "$td" "$tg" > "$T/np.csv"
before=$(decisions)
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" decide "$T/np.csv"
assert_contains "$OUT" "recorded $tcands decisions from $T/np.csv (0 link, $tcands never-link, 0 unlink; $tcands of the never-link for 1 new-person)"
[ "$(never_links "$td" "$tg")" = "$tcands" ] || fail "decide new-person: not $tcands never-link"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run
for a in "$sd $sg" "$td $tg"; do
	set -- $a
	p=$(person_of "$1" "$2")
	[ -n "$p" ] || fail "new-person: $1:$2 has no person after the run"
	[ "$(sqlite3 "$T/idsync.db" "SELECT count(*) FROM links WHERE person_id = '$p'")" = 1 ] ||
	    fail "new-person: $1:$2's person has other accounts"
	run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" conflicts "$1:$2"
	assert_contains "$OUT" "no conflicts hold"
done
# Linked now, or offered nothing: an error, and nothing recorded.
before=$(decisions)
run 1 "$WARD_IDSYNC" -c "$T/idsync.conf" new-person "$sd:$sg"
assert_contains "$OUT" "is person $(person_of "$sd" "$sg")'s already: unlink it first"
svc=$(sqlite3 "$T/idsync.db" "SELECT domain || ':' || guid FROM accounts WHERE kind = 'service' LIMIT 1")
[ -n "$svc" ] || fail "no service account"
run 1 "$WARD_IDSYNC" -c "$T/idsync.conf" new-person "$svc"
assert_contains "$OUT" "no conflict offers $svc a candidate"
printf 'new-person,%s\n' "$svc" > "$T/bad.csv"
faulty
assert_contains "$OUT" "line 1: no conflict offers $svc a candidate"
[ "$(decisions)" = "$before" ] || fail "a refused new-person recorded decisions"
run 2 "$WARD_IDSYNC" -c "$T/idsync.conf" new-person
assert_contains "$OUT" "new-person ACCOUNT"
ok "new-person, by command and by file: accounts that wait never one person with their $cands and $tcands candidates, persons of their own at the next run; against a link, linked or offered nothing: refused"
