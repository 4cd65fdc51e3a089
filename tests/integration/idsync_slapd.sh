#!/bin/sh
# idsync_slapd.sh: ward-idsync against three real directories: slapd on
# loopback with an AD-compatible schema (tests/data/idsync/ad.schema), a
# size limit so that reads must page, LDAPS and StartTLS with a test CA,
# filled with generated staff whose ground truth is known. Checks the
# links (no false merge, hard cases linked), the exports, that a second run
# changes nothing, decisions, and that failures (a domain down or hung, a
# wrong password, a loose secret file, a threshold) change nothing and say
# why.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/idsync_fixture.sh"

for c in slapd slapadd slappasswd ldapsearch ldapmodify faketime; do
	require_cmd "$c"
done
make_test_ca

GEN=$top_builddir/tests/integration/idsync_gen
"$GEN" "$T" 300 || fail "idsync_gen failed"

# The account ward-idsync reads as, and the directory manager the test
# changes entries as; passwords only ever in files, without a newline
# (slappasswd -T hashes all of the file).
openssl rand -hex 16 | tr -d "\n" > "$T/svc.password"
openssl rand -hex 16 | tr -d "\n" > "$T/root.password"
chmod 600 "$T/svc.password" "$T/root.password"
SVC_HASH=$(slappasswd -T "$T/svc.password") || fail "slappasswd failed"
ROOT_HASH=$(slappasswd -T "$T/root.password") || fail "slappasswd failed"

FX_DIR=$T
FX_SVC_HASH=$SVC_HASH
FX_ROOT_HASH=$ROOT_HASH
for d in btuh meht southend; do
	fx_start_slapd $d
	at_exit "fx_stop_slapd $d"
done
DEAD=$(_fx_port)

# idsync_conf FILE [EXTRA-GLOBAL]: btuh over LDAPS; meht over StartTLS;
# southend after a server that is not there (failover); the matching
# sections exactly as etc/idsync.conf ships them.
idsync_conf() {
	cat > "$1" <<CONF
[log]
level = info
[idsync]
database = $T/idsync.db
${2:-}
[domain "btuh"]
uri = ldaps://127.0.0.1:$TLS_btuh
base = DC=btuh,DC=test
bind_dn = CN=svc-ward,OU=Service Accounts,DC=btuh,DC=test
bind_password_file = ${PWFILE:-$T/svc.password}
ca_file = $T/ca.crt
filter = (objectClass=user)
page_size = 50
[domain "meht"]
uri = ldap://127.0.0.1:$PLAIN_meht
starttls = yes
base = DC=meht,DC=test
bind_dn = CN=svc-ward,OU=Service Accounts,DC=meht,DC=test
bind_password_file = $T/svc.password
ca_file = $T/ca.crt
filter = (objectClass=user)
page_size = 50
timeout = ${TIMEOUT:-2m}
[domain "southend"]
uri = ldaps://127.0.0.1:$DEAD ldaps://127.0.0.1:$TLS_southend
base = DC=southend,DC=test
bind_dn = CN=svc-ward,OU=Service Accounts,DC=southend,DC=test
bind_password_file = $T/svc.password
ca_file = $T/ca.crt
filter = ${SOUTHEND_FILTER:-(objectClass=user)}
page_size = 50
CONF
	sed -n '/^\[match\]/,$p' "$top_srcdir/etc/idsync.conf" |
	    sed "/^\[match\]/a nicknames = $top_srcdir/data/nicknames.txt" \
	    >> "$1"
}
idsync_conf "$T/idsync.conf"
run 0 "$WARD_IDSYNC" -n -c "$T/idsync.conf"

# ------------------------------------------------------------ first run
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run
printf "%s\n" "$OUT" > "$T/run1.log"
assert_contains "$OUT" "conflicts:"
for d in btuh meht southend; do
	pages=$(printf "%s\n" "$OUT" | sed -n "s/.*domain $d: [0-9]* accounts in \([0-9]*\) pages.*/\1/p")
	[ -n "$pages" ] && [ "$pages" -ge 3 ] ||
	    fail "domain $d was not read in pages of 50: $OUT"
done
assert_contains "$OUT" "ldaps://127.0.0.1:$DEAD"
assert_contains "$OUT" "trying the next server"
ok "first run: three domains read in pages, over LDAPS and StartTLS, with failover"

# slapd keeps no update sequence numbers: every read is full, and the log
# says why.
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" plan
for d in btuh meht southend; do
	assert_contains "$OUT" "domain $d: $(($(grep -c "^$d," "$T/truth.csv") + 1)) accounts in"
done
assert_contains "$OUT" "a full read: the server keeps no update sequence numbers (no highestCommittedUSN and dsServiceName in its root DSE: not Active Directory)"
ok "slapd: no update sequence numbers, so full reads, as the log says"

run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" export --accounts "$T/accounts.csv"
[ "$(head -1 "$T/accounts.csv")" = "domain,objectGUID,sAMAccountName,person_id,kind,link_reason" ] ||
    fail "export --accounts header: $(head -1 "$T/accounts.csv")"
truth_rows=$(($(wc -l < "$T/truth.csv") - 1))
rows=$(($(wc -l < "$T/accounts.csv") - 1))
# Each directory also holds the svc-ward account the test reads as.
[ "$rows" -eq $((truth_rows + 3)) ] ||
    fail "export has $rows accounts, the directories $((truth_rows + 3))"
# Whether a conflict holds an account is a lookup, not a scan of every
# conflict's accounts for each account (minutes at 300,000 accounts).
command -v sqlite3 > /dev/null &&
    { sqlite3 "$T/idsync.db" "EXPLAIN QUERY PLAN SELECT 1 FROM
    conflict_accounts c WHERE c.domain = 'btuh' AND c.guid = 'x'" |
    grep -q 'USING .*INDEX conflict_accounts_account' ||
    fail "conflict_accounts is scanned for each account"; }
# One file for two exports, and one where nothing can be written beside
# it: usage error, and an error naming the file asked for.
run 2 "$WARD_IDSYNC" -c "$T/idsync.conf" export --accounts "$T/x.csv" --persons "$T/x.csv"
assert_contains "$OUT" "--accounts and --persons both name $T/x.csv"
run 1 "$WARD_IDSYNC" -c "$T/idsync.conf" export --accounts "$T/no-such-dir/a.csv"
assert_contains "$OUT" "$T/no-such-dir/a.csv: cannot write beside it: No such file or directory"
ok "export --accounts: the exact header, one row per account ($rows); one file twice, or nowhere to write, refused"

# Join the export with the ground truth on (domain, objectGUID):
# domain,guid,sam,person_id,kind,reason,truth_person,truth_kind,case
awk -F, 'NR == FNR { if (FNR > 1) t[$1 "," $2] = $4 "," $5 "," $6; next }
    FNR > 1 && ($1 "," $2) in t { print $0 "," t[$1 "," $2] }' \
    "$T/truth.csv" "$T/accounts.csv" > "$T/joined.csv"
[ "$(wc -l < "$T/joined.csv")" -eq "$truth_rows" ] ||
    fail "only $(wc -l < "$T/joined.csv") of $truth_rows accounts found by objectGUID"

# Kinds by the [kinds] rules agree with what the generator meant.
bad=$(awk -F, '$5 != $8 { print $1 "/" $3 ": " $5 ", not " $8 }' "$T/joined.csv")
[ -z "$bad" ] || fail "kinds: $bad"
ok "objectGUIDs decode to the generator's; every account's kind is right"

# Precision first: no person holds accounts of two people.
awk -F, '$4 != "" { if (($4) in p && p[$4] != $7) print $4 ": " p[$4] " and " $7; p[$4] = $7 }' \
    "$T/joined.csv" > "$T/false-merges"
[ ! -s "$T/false-merges" ] || fail "false merges: $(cat "$T/false-merges")"

# Pairs: precision and recall over every pair of accounts of one person.
awk -F, '
    { n++; tp[n] = $7; pp[n] = $4 }
    END {
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) {
		same = tp[i] != "" && tp[i] == tp[j]
		got = pp[i] != "" && pp[i] == pp[j]
		if (same && got) hit++
		if (same) truth++
		if (got) found++
	}
	printf "pairs: %d true, %d linked, %d right; precision %.3f recall %.3f\n",
	    truth, found, hit, found ? hit / found : 1, truth ? hit / truth : 1
    }' "$T/joined.csv" > "$T/quality"
cat "$T/quality"
grep -q "precision 1.000" "$T/quality" || fail "precision below 1: $(cat "$T/quality")"
recall=$(sed -n 's/.*recall \([0-9.]*\)/\1/p' "$T/quality")
awk -v r="$recall" 'BEGIN { exit !(r >= 0.6) }' ||
    fail "recall $recall is below 0.6"
ok "no false merge; $(cat "$T/quality")"

# person_of TRUTH-PERSON DOMAIN: the person id of that account.
person_of() {
	awk -F, -v p="$1" -v d="$2" '$7 == p && $1 == d && $5 != "admin" { print $4 }' "$T/joined.csv"
}
same_person() {
	what=$1
	shift
	first=
	for d in "$@"; do
		pid=$(person_of "$what" "$d")
		[ -n "$pid" ] || fail "$what: the $d account has no person"
		[ -z "$first" ] || [ "$pid" = "$first" ] ||
		    fail "$what: the $d account is person $pid, not $first"
		first=$pid
	done
}
same_person H01 btuh meht
same_person H02 btuh southend
same_person H03 btuh meht southend
same_person H04 btuh southend
same_person H05 meht southend
same_person H06 btuh meht
same_person H07 btuh meht
same_person H08 btuh meht
same_person H09 meht southend
same_person H10 btuh southend
same_person H11 btuh meht
same_person H12 btuh meht
same_person H14 btuh southend
ok "typos, nicknames, married names, diacritics, an alias and a leaver: linked"

admin_person() {
	awk -F, -v s="$1" '$3 == s && $1 == "btuh" { print $4 }' "$T/joined.csv"
}
[ "$(admin_person adm-jwhitfield)" = "$(person_of H01 btuh)" ] ||
    fail "adm-jwhitfield is not Jonathon Whitfield's"
[ "$(admin_person adm-jsmith)" = "$(person_of N01 btuh)" ] ||
    fail "adm-jsmith is not the radiologist John Smith's"
grep -q '^btuh,[^,]*,adm-jsmith,[^,]*,admin,' "$T/accounts.csv" ||
    fail "adm-jsmith is not an admin account"
ok "admin accounts join their owners' persons as secondary accounts"

differ() {
	a=$(person_of "$1" "$2")
	b=$(person_of "$3" "$4")
	[ -z "$a" ] || [ "$a" != "$b" ] || fail "$1 and $3 are one person ($a)"
}
differ N01 btuh N02 meht
differ N03 meht N04 southend
differ N05 btuh N06 btuh
differ N07 btuh N08 southend
differ N07 meht N08 southend
differ N09 btuh N10 meht
differ N11 meht N12 southend
same_person N05 btuh meht
same_person N07 btuh meht
bad=$(awk -F, '($8 == "shared" || $8 == "service") && $4 != ""' "$T/joined.csv")
[ -z "$bad" ] || fail "shared or service accounts linked: $bad"
ok "namesakes, a father and son, twins, shared and service accounts: apart"

grep -q '^meht,[^,]*,danny.kerridge,,person,conflict$' "$T/accounts.csv" ||
    fail "the uncertain Kerridge pair is not waiting on a conflict: $(grep -i kerridge "$T/accounts.csv")"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" conflicts --all
printf "%s\n" "$OUT" > "$T/conflicts.txt"
assert_contains "$OUT" "btuh\\dkerridge"
assert_contains "$OUT" "meht\\danny.kerridge"
assert_contains "$OUT" "may be one person"
assert_contains "$OUT" "givenName agree"
nc=$(sqlite3 "$T/idsync.db" 'SELECT count(*) FROM conflicts')
assert_contains "$OUT" "$nc conflicts over "
# Where something contradicts first, then the likeliest pair: --limit 1
# shows one of those, or else the highest score of a pair to review.
other=$(sqlite3 "$T/idsync.db" "SELECT count(*) FROM conflicts WHERE kind != 'review'")
best=$(sqlite3 "$T/idsync.db" "SELECT printf('%.1f', max(a.score)) FROM
    conflict_accounts a JOIN conflicts c ON c.id = a.conflict_id
    WHERE c.kind = 'review'")
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" conflicts --limit 1
[ "$(printf '%s\n' "$OUT" | grep -c '^conflict ')" = 1 ] ||
    fail "conflicts --limit 1 listed otherwise: $OUT"
[ "$nc" -gt 1 ] && assert_contains "$OUT" "the first 1 follow"
if [ "$other" -gt 0 ]; then
	assert_not_contains "$OUT" "(review)"
else
	assert_contains "$OUT" "(review)"
	assert_contains "$OUT" "score $best"
fi
# An account that waits is one conflict with all its candidates.
subjects=$(sqlite3 "$T/idsync.db" "SELECT count(*), count(DISTINCT
    f.domain || ':' || f.guid), max(n) FROM conflicts c JOIN conflict_accounts f
    ON f.rowid = (SELECT min(rowid) FROM conflict_accounts
    WHERE conflict_id = c.id) JOIN (SELECT conflict_id, count(*) AS n
    FROM conflict_accounts GROUP BY conflict_id) m ON m.conflict_id = c.id
    WHERE c.kind = 'review' AND f.person_id IS NULL")
case $subjects in
0\|*|*\|2) fail "no account waits on more than one candidate: $subjects" ;;
esac
[ "${subjects%%|*}" = "$(echo "$subjects" | cut -d'|' -f2)" ] ||
    fail "an account waits in more than one review conflict: $subjects"
# Those of one account.
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" conflicts 'meht\danny.kerridge'
assert_contains "$OUT" "conflicts hold meht\\danny.kerridge"
assert_contains "$OUT" "btuh\\dkerridge"
[ "$(printf '%s\n' "$OUT" | grep -c '^conflict ')" -lt "$nc" ] ||
    fail "conflicts ACCOUNT listed every conflict"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" conflicts 'btuh\ward7.nurses'
assert_contains "$OUT" "no conflicts hold btuh\\ward7.nurses"
run 1 "$WARD_IDSYNC" -c "$T/idsync.conf" conflicts 'btuh\nobody-at-all'
assert_contains "$OUT" "no account"
run 2 "$WARD_IDSYNC" -c "$T/idsync.conf" conflicts --limit 0
run 2 "$WARD_IDSYNC" -c "$T/idsync.conf" conflicts --bogus
ok "conflicts: the uncertain pair, with its score and what agreed; the likeliest first, or one account's"

run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" person 'meht\bob.pennington'
assert_contains "$OUT" "btuh\\rpennington"
assert_contains "$OUT" "southend\\penningtonr"
assert_contains "$OUT" "givenName agree"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" person 'btuh\ward7.nurses'
assert_contains "$OUT" "shared account: never linked"
run 1 "$WARD_IDSYNC" -c "$T/idsync.conf" person nobody-at-all
assert_contains "$OUT" "no person or account matches"
# The domain in any case; % and _ are letters, not wildcards; an empty
# query is refused; more than 50 persons are said to be more.
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" person 'MEHT\bob.pennington'
assert_contains "$OUT" "btuh\\rpennington"
run 1 "$WARD_IDSYNC" -c "$T/idsync.conf" person '%'
assert_contains "$OUT" "no person or account matches"
run 1 "$WARD_IDSYNC" -c "$T/idsync.conf" person ''
assert_contains "$OUT" "the query is empty"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" person e
assert_contains "$OUT" 'more than 50 persons match "e": the first 50 are above'
[ "$(printf '%s\n' "$OUT" | grep -c '^person ')" = 50 ] || fail "person e: not 50 persons"
ok "person: accounts in each domain and why they are linked; literal, bounded queries"

run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" export --persons "$T/persons.csv"
[ "$(head -1 "$T/persons.csv")" = "person_id,display_name,employeeID,status,lifecycle,username,upn,mail,btuh,meht,southend,secondary" ] ||
    fail "export --persons header: $(head -1 "$T/persons.csv")"
grep -q "^$(person_of H14 btuh),[^,]*,E7000114,leaver," "$T/persons.csv" ||
    fail "the Thackeray leaver: $(grep Thackeray "$T/persons.csv")"
grep -q "^$(person_of H01 btuh),.*,btuh\\\\adm-jwhitfield\$" "$T/persons.csv" ||
    fail "Whitfield's admin account is not in his secondary column"
ok "export --persons: one row per person, leavers, secondary accounts"

# ------------------------------------------------------------ second run
cp "$T/accounts.csv" "$T/accounts1.csv"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run
assert_contains "$OUT" "persons:   $(($(wc -l < "$T/persons.csv") - 1)) (0 new, 0 gone, 0 became leavers)"
assert_contains "$OUT" "links:     0 made, 0 broken"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" export --accounts "$T/accounts2.csv"
cmp -s "$T/accounts1.csv" "$T/accounts2.csv" ||
    fail "a second run changed links: $(diff "$T/accounts1.csv" "$T/accounts2.csv" | head)"
ok "a second run on the same directories changes nothing; person ids stay"

# ------------------------------------------------------------ settled runs
# A run that found nothing to write settled the state: the next one on
# the same directories skips matching, and leaves what matching would.
settle() {
	for _i in 1 2 3; do
		run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run
		case $OUT in *"nothing changed since run"*) return 0 ;; esac
	done
	fail "three runs on unchanged directories never settled: $OUT"
}
settle
assert_contains "$OUT" "matching skipped"
assert_contains "$OUT" "links:     0 made, 0 broken"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" history 1
assert_contains "$OUT" "nothing changed since run"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" export --report "$T/settled.json"
jq -e '.run.settled == true and .counts.links_added == 0' "$T/settled.json" > /dev/null ||
    fail "report of a run after a settled one: $(cat "$T/settled.json")"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" export --accounts "$T/settled.csv"
cmp -s "$T/accounts1.csv" "$T/settled.csv" ||
    fail "a settled run changed links: $(diff "$T/accounts1.csv" "$T/settled.csv" | head)"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" export --persons "$T/settled-persons.csv"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" plan
assert_contains "$OUT" "nothing changed since run"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run --full
assert_contains "$OUT" "matching every account, as --full says"
assert_contains "$OUT" "links:     0 made, 0 broken"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" export --accounts "$T/full.csv"
cmp -s "$T/accounts1.csv" "$T/full.csv" ||
    fail "a full run after a settled one changed links: $(diff "$T/accounts1.csv" "$T/full.csv" | head)"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" export --persons "$T/full-persons.csv"
cmp -s "$T/settled-persons.csv" "$T/full-persons.csv" ||
    fail "a full run consolidated otherwise: $(diff "$T/settled-persons.csv" "$T/full-persons.csv" | head)"
# Another configuration (a page size), or a decision: matched again.
sed 's/^page_size = 50$/page_size = 49/' "$T/idsync.conf" > "$T/paged.conf"
run 0 "$WARD_IDSYNC" -c "$T/paged.conf" run
assert_contains "$OUT" "matching every account: the configuration, nickname table or program changed since run"
settle
# A database whose runs an earlier version saved: matched once, then
# settled again.
sqlite3 "$T/idsync.db" "UPDATE runs SET basis = NULL, settled = NULL" ||
    fail "sqlite3 failed"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run
assert_contains "$OUT" "was saved by an earlier version of ward-idsync"
settle
ok "a settled state: the next run skips matching and leaves what a full one would; --full, a new configuration, an earlier version's runs match again"

# A new account joins the person that exists: Whitfield starts in
# southend, as Jon, with his own mobile.
cat > "$T/new.ldif" <<LDIF
dn: CN=Jon Whitfield,OU=Staff,DC=southend,DC=test
changetype: add
objectClass: user
cn: Jon Whitfield
sn: Whitfield
givenName: Jon
sAMAccountName: whitfieldj
department: Radiology
title: Radiographer
mobile: 07700 900101
objectGUID:: $(printf '\001\002\003\004\005\006\007\010\011\012\013\014\015\016\017\020' | base64)
userAccountControl: 512
LDIF
ldapmodify -x -H "ldap://127.0.0.1:$PLAIN_southend" \
    -D "CN=Manager,DC=southend,DC=test" -y "$T/root.password" \
    -f "$T/new.ldif" > /dev/null || fail "ldapmodify add failed"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" plan
assert_contains "$OUT" "+ account southend\\whitfieldj (person, 04030201-0605-0807-090a-0b0c0d0e0f10)"
assert_contains "$OUT" "+ link southend\\whitfieldj to person $(person_of H01 btuh)"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" export --accounts "$T/accounts3.csv"
cmp -s "$T/accounts1.csv" "$T/accounts3.csv" || fail "plan changed the state"
ok "plan prints the change and changes nothing"

# ------------------------------------------------------------ decisions
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" link 'btuh\dkerridge' 'meht\danny.kerridge'
assert_contains "$OUT" "recorded"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" never-link 'btuh\jsmith' 'meht\john.smith'
run 2 "$WARD_IDSYNC" -c "$T/idsync.conf" link 'btuh\dkerridge'
run 1 "$WARD_IDSYNC" -c "$T/idsync.conf" link 'btuh\dkerridge' 'nowhere\nobody'
assert_contains "$OUT" "no account"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" export --accounts "$T/accounts4.csv"
k1=$(awk -F, '$3 == "dkerridge" { print $4 }' "$T/accounts4.csv")
k2=$(awk -F, '$3 == "danny.kerridge" { print $4 "," $6 }' "$T/accounts4.csv")
[ -n "$k1" ] && [ "$k2" = "$k1,manual" ] ||
    fail "link decision not applied: $k1 / $k2"
js=$(awk -F, '$1 == "meht" && $3 == "john.smith" { print $4 }' "$T/accounts4.csv")
[ -n "$js" ] && [ "$js" != "$(person_of N01 btuh)" ] ||
    fail "never-link: meht\\john.smith should have a person of his own, got '$js'"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" conflicts --all
assert_not_contains "$OUT" "kerridge"
jw=$(awk -F, '$3 == "whitfieldj" { print $4 }' "$T/accounts4.csv")
[ "$jw" = "$(person_of H01 btuh)" ] ||
    fail "the new account did not join the existing person (got '$jw')"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" unlink 'southend\whitfieldj'
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" export --accounts "$T/accounts5.csv"
jw=$(awk -F, '$3 == "whitfieldj" { print $4 }' "$T/accounts5.csv")
[ -n "$jw" ] && [ "$jw" != "$(person_of H01 btuh)" ] ||
    fail "unlink: southend\\whitfieldj is still Whitfield's ($jw)"
ok "link, never-link and unlink decisions; a new account joins its person"

# A decision alone, on a settled state, is matched in the next run.
settle
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" unlink 'meht\bob.pennington'
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run
assert_contains "$OUT" "matching what changed: decisions were made since run"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" export --accounts "$T/accounts6.csv"
p1=$(awk -F, '$1 == "btuh" && $3 == "rpennington" { print $4 }' "$T/accounts6.csv")
p2=$(awk -F, '$1 == "meht" && $3 == "bob.pennington" { print $4 }' "$T/accounts6.csv")
[ -n "$p1" ] && [ "$p1" != "$p2" ] ||
    fail "unlink on a settled state not applied: both $p1"
ok "a decision on a settled state is applied by the next run"

# ------------------------------------------------------------ failures
cp "$T/idsync.db" "$T/before.db"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" export --accounts "$T/before.csv"

# A domain down: the run fails, names it, and changes nothing.
fx_stop_slapd meht
run 1 "$WARD_IDSYNC" -c "$T/idsync.conf" run
assert_contains "$OUT" "domain meht: ldap://127.0.0.1:$PLAIN_meht: cannot connect: nothing answers there, or it is unreachable"
assert_contains "$OUT" "nothing was changed"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" export --accounts "$T/after.csv"
cmp -s "$T/before.csv" "$T/after.csv" || fail "a failed run changed the state"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" history 1
assert_contains "$OUT" "failed"
assert_contains "$OUT" "domain meht"
fx_restart_slapd meht
ok "a domain down: the run fails naming it, nothing changes, history says so"

# A domain that hangs: the run gives up after the timeout.
kill -STOP "$(fx_pid meht)"
TIMEOUT=2s idsync_conf "$T/hung.conf"
run 1 "$WARD_IDSYNC" -c "$T/hung.conf" run
assert_contains "$OUT" "domain meht"
kill -CONT "$(fx_pid meht)"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" export --accounts "$T/after.csv"
cmp -s "$T/before.csv" "$T/after.csv" || fail "a timed-out run changed the state"
ok "a hung domain: the run times out and changes nothing"

# A hung domain over LDAPS: libldap bounds neither the handshake of an
# ldaps:// connection (it retried its reads on a processor, for good) nor
# anything after; the run gives up at connect_timeout. (timeout(1) only
# turns a hang into a failure.)
kill -STOP "$(fx_pid btuh)"
idsync_conf "$T/hung-tls.conf"
sed -i "/^uri = ldaps:\/\/127.0.0.1:$TLS_btuh\$/a connect_timeout = 1s" "$T/hung-tls.conf"
run 1 timeout 120 "$WARD_IDSYNC" -c "$T/hung-tls.conf" run
kill -CONT "$(fx_pid btuh)"
assert_contains "$OUT" "domain btuh: ldaps://127.0.0.1:$TLS_btuh: no TLS handshake within 1s (connect_timeout): the server takes the connection but does not answer"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" export --accounts "$T/after.csv"
cmp -s "$T/before.csv" "$T/after.csv" || fail "a timed-out run changed the state"
ok "a hung domain over LDAPS: the run gives up at connect_timeout and changes nothing"

# Two runs never overlap: while one waits on a stopped server, another
# refuses to start.
kill -STOP "$(fx_pid meht)"
"$WARD_IDSYNC" -c "$T/hung.conf" run > "$T/first.log" 2>&1 &
first=$!
i=0
while [ ! -s "$T/idsync.db.lock" ] && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
run 1 "$WARD_IDSYNC" -c "$T/idsync.conf" run
assert_contains "$OUT" "another ward-idsync run holds the lock"
assert_contains "$OUT" "already running as pid $first"
kill -CONT "$(fx_pid meht)"
wait "$first" || true
ok "a second run refuses while one holds the lock"

# A wrong password: a clear error, and the password never shown.
openssl rand -hex 16 > "$T/wrong.password"
chmod 600 "$T/wrong.password"
PWFILE=$T/wrong.password idsync_conf "$T/wrong.conf"
run 1 "$WARD_IDSYNC" -c "$T/wrong.conf" run
assert_contains "$OUT" "domain btuh: ldaps://127.0.0.1:$TLS_btuh: bind as CN=svc-ward,OU=Service Accounts,DC=btuh,DC=test failed: Invalid credentials (49)"
assert_not_contains "$OUT" "$(cat "$T/wrong.password")"
assert_not_contains "$OUT" "$(cat "$T/svc.password")"
ok "a wrong password: the run fails with the bind error, no password shown"

# A secret file others can read is refused before anything is read.
cp "$T/svc.password" "$T/loose.password"
chmod 644 "$T/loose.password"
PWFILE=$T/loose.password idsync_conf "$T/loose.conf"
run 1 "$WARD_IDSYNC" -n -c "$T/loose.conf"
assert_contains "$OUT" "loose.password: secret file is readable by group or others (mode 0644)"
run 1 "$WARD_IDSYNC" -c "$T/loose.conf" run
ok "a secret file of mode 0644 is refused"

# The wrong CA: the certificate does not verify.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/other.key" -out "$T/other.crt" -subj "/CN=other CA" -days 2 \
    2>/dev/null || fail "openssl: cannot make a second CA"
sed "s|^ca_file = $T/ca.crt|ca_file = $T/other.crt|" "$T/idsync.conf" > "$T/ca.conf"
run 1 "$WARD_IDSYNC" -c "$T/ca.conf" run
assert_contains "$OUT" "domain btuh: ldaps://127.0.0.1:$TLS_btuh: the TLS handshake failed: the server's certificate does not verify"
ok "an unknown CA: the certificate is not accepted"

# An expired certificate, over LDAPS and over StartTLS: the run fails
# saying when it expired.
faketime '2020-01-01 00:00:00' openssl x509 -req -in "$T/server.csr" \
    -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial -out "$T/expired.crt" \
    -days 30 -extfile "$T/san.ext" 2>/dev/null ||
    fail "openssl: cannot make an expired certificate"
# with_cert DOMAIN FILE: restarts the domain's slapd showing FILE.
with_cert() {
	sed -i "s|^TLSCertificateFile .*|TLSCertificateFile $2|" \
	    "$T/slapd-$1/slapd.conf"
	fx_stop_slapd "$1"
	fx_restart_slapd "$1"
}
with_cert btuh "$T/expired.crt"
run 1 "$WARD_IDSYNC" -c "$T/idsync.conf" run
assert_contains "$OUT" "domain btuh: ldaps://127.0.0.1:$TLS_btuh: the TLS handshake failed: the server's certificate expired on 2020-01-31 00:00 UTC"
with_cert btuh "$T/server.crt"
with_cert meht "$T/expired.crt"
run 1 "$WARD_IDSYNC" -c "$T/idsync.conf" run
assert_contains "$OUT" "domain meht: ldap://127.0.0.1:$PLAIN_meht: StartTLS failed: "
assert_contains "$OUT" "(the TLS handshake failed: the server's certificate expired on 2020-01-31 00:00 UTC)"
with_cert meht "$T/server.crt"
ok "an expired certificate, over LDAPS or StartTLS: the run fails saying when it expired"

# A DC killed in the middle of a read: meht read a page of one entry at a
# time, its slapd stopped after the third page and killed. (Should the
# read end before the stop lands, it is tried again.)
sed -e 's/^level = info/level = debug/' \
    -e '/^\[domain "meht"\]/,/^\[/ s/^page_size = 50/page_size = 1/' \
    "$T/idsync.conf" > "$T/slow.conf"
mid=
for try in 1 2 3; do
	# (Gone first: the background shell may truncate it late.)
	rm -f "$T/slow.log"
	"$WARD_IDSYNC" -c "$T/slow.conf" run > "$T/slow.log" 2>&1 &
	slow=$!
	wait_for_line "$T/slow.log" \
	    "127.0.0.1:$PLAIN_meht: page 3 of the search" "$slow"
	kill -STOP "$(fx_pid meht)"
	kill -KILL "$(fx_pid meht)"
	set +e
	wait "$slow"
	got=$?
	set -e
	rm -f "$T/slapd-meht/slapd.pid"
	fx_restart_slapd meht
	OUT=$(cat "$T/slow.log")
	if [ "$got" = 1 ]; then
		mid=$try
		break
	fi
	[ "$got" = 0 ] || fail "a run exited $got: $OUT"
done
[ -n "$mid" ] || fail "meht's slapd was never killed mid-read"
assert_contains "$OUT" "domain meht: ldap://127.0.0.1:$PLAIN_meht: the connection failed during page "
assert_contains "$OUT" "nothing was changed"
ok "a DC killed mid-read: the run fails naming the page, and changes nothing"

run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" export --accounts "$T/after.csv"
cmp -s "$T/before.csv" "$T/after.csv" || fail "a failed run changed the state"

# Thresholds: a filter that loses a domain's staff stops the run.
SOUTHEND_FILTER='(&(objectClass=user)(sAMAccountName=svc-*))' \
    idsync_conf "$T/narrow.conf"
run 2 "$WARD_IDSYNC" -c "$T/narrow.conf" run
assert_contains "$OUT" "more than max_deletes"
assert_contains "$OUT" "nothing was changed"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" export --accounts "$T/after.csv"
cmp -s "$T/before.csv" "$T/after.csv" || fail "a stopped run changed the state"
run 0 "$WARD_IDSYNC" -c "$T/narrow.conf" run --force
assert_contains "$OUT" "going on as --force says"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" history 3
assert_contains "$OUT" "ok (forced)"
assert_contains "$OUT" "stopped"
n=$("$WARD_IDSYNC" -c "$T/idsync.conf" export --accounts - | grep -c '^southend,')
[ "$n" -le 3 ] || fail "after --force southend still has $n accounts"
ok "a run past max_deletes stops (exit 2) until --force"

# ------------------------------------------------------------ config
run 1 "$WARD_IDSYNC" -c "$T/idsync.conf" apply
assert_contains "$OUT" "apply: nothing to write: set [idsync] writeback_attribute, or [target] uri"
idsync_conf "$T/apply.conf" "mode = apply"
run 1 "$WARD_IDSYNC" -n -c "$T/apply.conf"
assert_contains "$OUT" "mode = apply: there is nothing to write: set writeback_attribute, or [target] uri"
idsync_conf "$T/apply.conf" "writeback_attribute = employeeID"
run 1 "$WARD_IDSYNC" -n -c "$T/apply.conf"
assert_contains "$OUT" "writeback_attribute = employeeID: ward-idsync reads that attribute"
sed 's|^starttls = yes|starttls = no|' "$T/idsync.conf" > "$T/plain.conf"
run 1 "$WARD_IDSYNC" -n -c "$T/plain.conf"
assert_contains "$OUT" "would send the bind password in the clear"
cat > "$T/plain2.conf" <<CONF
[domain "btuh"]
uri = ldap://dc1.btuh.test
starttls = no
allow_plaintext = yes
base = DC=btuh,DC=test
CONF
run 1 "$WARD_IDSYNC" -n -c "$T/plain2.conf"
assert_contains "$OUT" "allow_plaintext: only for loopback addresses, and ldap://dc1.btuh.test is not one"
run 2 "$WARD_IDSYNC" -c "$T/idsync.conf"
assert_contains "$OUT" "no command"
ok "apply needs writeback_attribute, never one that is read; plain binds refused"

# A filter the server would refuse is refused before any run, by -n too,
# naming the line and where in the filter.
sed 's#^filter = .*#filter = (\&(objectCategory=person)(objectClass=user)#' \
    "$T/idsync.conf" > "$T/filter.conf"
line=$(grep -n '^filter = ' "$T/filter.conf" | head -1 | cut -d: -f1)
run 1 "$WARD_IDSYNC" -n -c "$T/filter.conf"
assert_contains "$OUT" "filter.conf:$line: [domain \"btuh\"] filter: \"(&(objectCategory=person)(objectClass=user)\": not an LDAP filter: ')' expected at character 44"
run 1 "$WARD_IDSYNC" -c "$T/filter.conf" run
assert_contains "$OUT" "not an LDAP filter"
ok "a broken filter is refused at -n, with its line"

# Directories where the filter finds no one: a first run saves an empty
# state, and the runs after it find nothing changed.
sed -e "s#^database = .*#database = $T/empty.db#" \
    -e 's#^filter = .*#filter = (sAMAccountName=nobody-here-at-all)#' \
    "$T/idsync.conf" > "$T/empty.conf"
run 0 "$WARD_IDSYNC" -c "$T/empty.conf" run
assert_contains "$OUT" "saved 0 accounts, 0 persons, 0 conflicts"
run 0 "$WARD_IDSYNC" -c "$T/empty.conf" run --full
assert_contains "$OUT" "saved 0 accounts"
ok "no account in any domain: an empty state, run after run"

# Two entries holding one objectGUID (a directory restored or copied
# wrong): the first DN is read, the other named, and the account is not
# taken over by the copy.
cat > "$T/copy.ldif" <<LDIF
dn: CN=Zz Copy,OU=Staff,DC=southend,DC=test
changetype: add
objectClass: user
cn: Zz Copy
sn: Copy
givenName: Zz
sAMAccountName: zzcopy
objectGUID:: $(printf '\001\002\003\004\005\006\007\010\011\012\013\014\015\016\017\020' | base64)
userAccountControl: 512
LDIF
ldapmodify -x -H "ldap://127.0.0.1:$PLAIN_southend" \
    -D "CN=Manager,DC=southend,DC=test" -y "$T/root.password" \
    -f "$T/copy.ldif" > /dev/null || fail "ldapmodify add failed"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" plan
assert_contains "$OUT" "domain southend: objectGUID 04030201-0605-0807-090a-0b0c0d0e0f10 is on two entries, cn=Jon Whitfield,ou=Staff,dc=southend,dc=test and cn=Zz Copy,ou=Staff,dc=southend,dc=test: only the first is read"
assert_not_contains "$OUT" "zzcopy"
ok "one objectGUID on two entries: the first read, the other named"

# A database where no lock can be made is not "another run".
sed -e "s#^database = .*#database = $T/no-such-dir/idsync.db#" \
    "$T/idsync.conf" > "$T/nodir.conf"
run 1 "$WARD_IDSYNC" -c "$T/nodir.conf" run
assert_contains "$OUT" "cannot take the run's lock: $T/no-such-dir/idsync.db.lock: No such file or directory"
assert_not_contains "$OUT" "another ward-idsync run"
ok "a lock that cannot be made says why, not that another run holds it"
