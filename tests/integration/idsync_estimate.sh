#!/bin/sh
# idsync_estimate.sh: weights estimated from the data. On the generated
# staff of three slapd directories, estimate gives every rule's levels
# m and u and a weight of the right sign, keeps the veto as set, and
# writes a file that runs then use; matching with the estimated weights
# merges no two real persons (the generator's truth says who is who).
# A weights file that is wrong is refused, naming the file and what.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/idsync_db.sh"

idsync_db_require sqlite3
make_test_ca
idsync_db_make "$T/idsync.db" 300

run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" estimate
printf '%s\n' "$OUT" > "$T/estimate.out"
assert_contains "$OUT" "# Weights estimated from "
assert_contains "$OUT" "# m: by expectation-maximisation over "
for r in employeeID givenName sn department title mobile; do
	assert_contains "$OUT" "[compare \"$r\"]"
done
# weight RULE LEVEL: the weight estimate gives.
weight() {
	awk -v r="[compare \"$1\"]" -v l="$2" '$0 == r { on = 1; next }
	    /^\[/ { on = 0 } on && $1 == l && $2 == "=" { print $3 }' "$T/estimate.out"
}
for r in givenName sn; do
	a=$(weight "$r" agree)
	d=$(weight "$r" disagree)
	awk -v a="$a" -v d="$d" 'BEGIN { exit !(a > 3 && d < 0) }' ||
	    fail "$r: agree $a, disagree $d"
done
# Names and job alone stay below link (16): namesakes are conflicts.
sum=$(for r in givenName sn department title; do weight "$r" agree; done |
    awk '{ s += $1 } END { print s }')
awk -v s="$sum" 'BEGIN { exit !(s < 16) }' ||
    fail "names and job agreeing weigh $sum, not below link"
[ "$(weight employeeID disagree)" = -30 ] ||
    fail "the veto changed: $(weight employeeID disagree)"
assert_contains "$OUT" "was -30: veto, kept"
ok "estimate: m, u and a weight of the right sign for each rule; names and job below link ($sum); the veto kept as set"

run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" estimate --write "$T/weights.conf"
assert_contains "$OUT" "[match] weights_file = $T/weights.conf makes runs use them"
cmp -s "$T/weights.conf" "$T/estimate.out" ||
    fail "the file is not what estimate prints: $(diff "$T/estimate.out" "$T/weights.conf" | head)"

# A fresh database matched with the estimated weights.
sed "/^\[match\]/a weights_file = $T/weights.conf" "$T/idsync.conf" |
    sed "s|^database = .*|database = $T/estimated.db|" > "$T/estimated.conf"
run 0 "$WARD_IDSYNC" -n -c "$T/estimated.conf"
run 0 "$WARD_IDSYNC" -c "$T/estimated.conf" run
run 0 "$WARD_IDSYNC" -c "$T/estimated.conf" export --accounts "$T/accounts.csv"
# person_id,truth: persons holding accounts of two real persons.
awk -F, 'NR == FNR { if (FNR > 1) t[$1 "," $2] = $4; next }
    FNR > 1 && $4 != "" && t[$1 "," $2] != "" { print $4 "," t[$1 "," $2] }' \
    "$T/truth.csv" "$T/accounts.csv" | sort -u > "$T/pairs.csv"
merged=$(cut -d, -f1 "$T/pairs.csv" | uniq -d | wc -l)
linked=$(awk -F, 'NR > 1 && $4 != "" { n[$4]++ } END { for (p in n) if (n[p] > 1) c++; print c + 0 }' "$T/accounts.csv")
[ "$merged" = 0 ] || fail "$merged persons merge two real persons"
[ "$linked" -gt 50 ] || fail "only $linked persons have more than one account"
ok "matching with the estimated weights: $linked persons of several accounts, none merging two real persons"

# The weights are part of what a run follows from: once the state has
# settled, new weights in the same file are matched again.
for i in 1 2 3; do
	run 0 "$WARD_IDSYNC" -c "$T/estimated.conf" run
	case $OUT in *"nothing changed since run"*) break ;; esac
done
assert_contains "$OUT" "nothing changed since run"
awk '/^\[compare "sn"\]/ { s = 1 } s && /^agree = / { $0 = "agree = 1.5"; s = 0 } { print }' \
    "$T/weights.conf" > "$T/weights.new" && mv "$T/weights.new" "$T/weights.conf"
grep -q '^agree = 1.5$' "$T/weights.conf" || fail "the weights file was not changed"
run 0 "$WARD_IDSYNC" -c "$T/estimated.conf" run
assert_contains "$OUT" "matching every account: the configuration, nickname table or program changed since run"
ok "new weights in the same file: the next run matches again"

# Wrong files, refused with the file and what.
printf '[compare "nosuch"]\nagree = 3\n' > "$T/bad.weights"
sed "s|^weights_file = .*|weights_file = $T/bad.weights|" "$T/estimated.conf" > "$T/bad.conf"
run 1 "$WARD_IDSYNC" -n -c "$T/bad.conf"
assert_contains "$OUT" "$T/bad.weights: [compare \"nosuch\"]: not a [compare] section of the configuration"
printf '[compare "sn"]\nagree = lots\n' > "$T/bad.weights"
run 1 "$WARD_IDSYNC" -n -c "$T/bad.conf"
assert_contains "$OUT" "$T/bad.weights: [compare \"sn\"] agree = \"lots\": not a weight"
printf '[compare "sn"]\ncomparator = exact\n' > "$T/bad.weights"
run 1 "$WARD_IDSYNC" -n -c "$T/bad.conf"
assert_contains "$OUT" "comparator exact: the configuration says name (estimate again)"
rm -f "$T/bad.weights"
run 1 "$WARD_IDSYNC" -n -c "$T/bad.conf"
assert_contains "$OUT" "$T/bad.weights: No such file or directory"
# A file that would lift the veto does not.
printf '[compare "employeeID"]\ndisagree = 5\n' > "$T/bad.weights"
run 0 "$WARD_IDSYNC" -c "$T/bad.conf" estimate
assert_contains "$OUT" "was -30: veto, kept"
ok "a wrong weights file is refused, naming it and what; a veto cannot be lifted by one"
