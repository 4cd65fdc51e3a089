#!/bin/sh
# idsync_delta.sh: a run matches again only what changed, and leaves
# exactly what matching every account would. Generated staff in three
# slapd directories (idsync_db.sh); then rounds of changes made over LDAP:
# married names, typos, new and changed employee numbers, leavers deleted,
# joiners added, titles, a mail address shared by more and more accounts
# until it passes the identifier limit and back, blocks past max_block,
# and link and never-link decisions. After each round the same database
# is run twice, once as it is (matching what changed) and once with
# --full, and the two saved states must be the same row for row: links,
# components, persons, conflicts and the run's counts.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/idsync_db.sh"

idsync_db_require ldapmodify sqlite3
make_test_ca
idsync_db_start 400
# Small blocks, so that changes push some past the limit and back.
idsync_db_conf "$T/idsync.conf.in" "$T/idsync.db" < /dev/null
sed '/^\[match\]/a max_block = 6' "$T/idsync.conf.in" > "$T/idsync.conf"
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run
total=$(sqlite3 "$T/idsync.db" "SELECT count(*) FROM accounts")

# dump DB: the saved state, with each person named by its first account
# (new persons' ids are random) and without the clock.
dump() {
	sqlite3 "$1" <<'SQL'
CREATE TEMP TABLE canon AS SELECT person_id AS id,
    min(domain || '/' || guid) AS c FROM links GROUP BY person_id;
SELECT 'account', a.domain, a.guid, a.dn, a.kind, a.enabled, k.component,
    a.first_seen_run, a.changed_run, hex(a.attrs_sum),
    (SELECT c FROM canon WHERE id = l.person_id), l.role, l.reason, l.score,
    l.via_domain, l.via_guid, l.detail, l.linked_run
    FROM accounts a LEFT JOIN links l ON l.domain = a.domain AND l.guid = a.guid
    LEFT JOIN components k ON k.domain = a.domain AND k.guid = a.guid
    ORDER BY a.domain, a.guid;
SELECT 'stray component', domain, guid FROM components
    WHERE (domain, guid) NOT IN (SELECT domain, guid FROM accounts);
SELECT 'person', c.c, p.created_run,
    CASE WHEN p.created_run = (SELECT max(id) FROM runs) THEN NULL
    ELSE p.created_ms END, p.display_name, p.given_name, p.sn,
    p.employee_id, p.status, p.mail, p.username, p.upn, p.lifecycle
    FROM persons p JOIN canon c ON c.id = p.id ORDER BY 2;
SELECT 'conflict', x.run_id, x.kind,
    CASE WHEN x.kind = 'attribute' THEN replace(x.summary, m0.person_id,
    (SELECT c FROM canon WHERE id = m0.person_id)) ELSE x.summary END,
    x.best, (SELECT group_concat(m.domain || '/' || m.guid || '/' ||
    coalesce((SELECT c FROM canon WHERE id = m.person_id), '-') || '/' ||
    coalesce(m.score, '-') || '/' || coalesce(m.detail, '-'), ' | ')
    FROM (SELECT * FROM conflict_accounts WHERE conflict_id = x.id
    ORDER BY rowid) m)
    FROM conflicts x LEFT JOIN (SELECT conflict_id, min(person_id) AS
    person_id FROM conflict_accounts GROUP BY conflict_id) m0
    ON m0.conflict_id = x.id ORDER BY 2, 3, 4, 6;
SELECT 'run', id, command, outcome, forced, accounts, persons, conflicts,
    accounts_added, accounts_removed, accounts_modified, persons_created,
    persons_removed, links_added, links_removed, settled
    FROM runs WHERE id = (SELECT max(id) FROM runs);
SQL
}

: > "$T/gone"
# The accounts that come to share one mail address: 17, from all three.
for d in btuh meht southend; do
	awk -v RS= -F '\n' '$1 ~ /^dn: CN=.*,OU=Staff,/ && ++n % 23 == 7 { print $1 }' \
	    "$T/$d.ldif" | head -6
done | head -17 > "$T/keep"
[ "$(wc -l < "$T/keep")" = 17 ] || fail "not 17 accounts to share a mail address"

# shared N: the first N of $T/keep carry shared.desk@group.test, the
# others their own again.
shared() {
	awk -v n="$1" '{
		printf "%s\nchangetype: modify\nreplace: mail\n", $0
		if (NR <= n)
			print "mail: shared.desk@group.test"
		else
			printf "mail: own%d@group.test\n", NR
		print ""
	}' "$T/keep"
}

# changes ROUND DOMAIN: an LDIF of that round's changes to the domain.
changes() {
	awk -v r="$1" -v RS= -F '\n' '
	    FILENAME != ARGV[ARGC - 1] { skip[$0] = 1; next }
	    $1 ~ /^dn: CN=.*,OU=Staff,/ && !($1 in skip) {
		n++; gn = ""; dept = ""
		for (i = 2; i <= NF; i++) {
			if ($i ~ /^givenName: /) gn = substr($i, 12)
			if ($i ~ /^department: /) dept = substr($i, 13)
		}
		if ((n + r) % 37 == 0)
			printf "%s\nchangetype: modify\nreplace: sn\nsn: Marlowe\n\n", $1
		else if ((n + r) % 41 == 0 && gn != "")
			printf "%s\nchangetype: modify\nreplace: givenName\ngivenName: %se\n\n", $1, gn
		else if ((n + 2 * r) % 43 == 0)
			printf "%s\nchangetype: modify\nreplace: employeeID\nemployeeID: E99%05d\n\n", $1, n
		else if ((n + 3 * r) % 53 == 0)
			printf "%s\nchangetype: delete\n\n", $1
		else if ((n + r) % 29 == 0)
			printf "%s\nchangetype: modify\nreplace: title\ntitle: Locum %d\n\n", $1, r
		else if ((n + r) % 31 == 0 && dept != "")
			printf "%s\nchangetype: modify\nreplace: sn\nsn: Okafor\n\n", $1
	    }' RS='\n' "$T/keep" "$T/gone" RS= "$T/$2.ldif"
}

# joiners ROUND: in meht, four people with the names of btuh staff.
joiners() {
	awk -v r="$1" -v RS= -F '\n' '$1 ~ /^dn: CN=.*,OU=Staff,/ &&
	    ++n % 61 == r && k < 4 {
		gn = sn = ""
		for (i = 2; i <= NF; i++) {
			if ($i ~ /^givenName: /) gn = substr($i, 12)
			if ($i ~ /^sn: /) sn = substr($i, 5)
		}
		if (gn == "" || sn == "")
			next
		k++
		printf "dn: CN=%s %s J%d%d,OU=Staff,DC=meht,DC=test\n", gn, sn, r, k
		printf "changetype: add\nobjectClass: user\ncn: %s %s J%d%d\n", gn, sn, r, k
		printf "sn: %s\ngivenName: %s\nsAMAccountName: joiner%d%d\n", sn, gn, r, k
		printf "department: Pharmacy\ntitle: Pharmacist\n"
		printf "userAccountControl: 512\nobjectGUID:: GUID%d%d\n\n", r, k
	}' "$T/btuh.ldif" > "$T/joiners.ldif"
	for k in 1 2 3 4; do
		g=$(openssl rand -base64 16)
		sed -i "s|GUID$1$k\$|$g|" "$T/joiners.ldif"
	done
}

modify() {
	eval "_port=\$PLAIN_$1"
	ldapmodify -x -H "ldap://127.0.0.1:$_port" -D "CN=Manager,DC=$1,DC=test" \
	    -y "$T/root.password" -f "$2" > "$T/ldapmodify.out" 2>&1 ||
	    fail "ldapmodify $1 $2: $(cat "$T/ldapmodify.out")"
}

# settled DOMAIN KIND: an account of DOMAIN's of KIND in a settled
# component, as domain\sAMAccountName.
settled() {
	sqlite3 -separator '\' "$T/idsync.db" "SELECT a.domain, a.sam FROM
	    accounts a JOIN components USING (domain, guid) LEFT JOIN links l
	    USING (domain, guid) WHERE a.domain = '$1' AND a.kind = 'person'
	    AND $2 ORDER BY a.guid LIMIT 1 OFFSET 3"
}

for round in 1 2 3 4; do
	case $round in
	1) shared 16 ;;
	2) shared 17 ;;
	3) shared 14 ;;
	4) : ;;
	esac > "$T/shared.ldif"
	for d in btuh meht southend; do
		[ "$round" != 4 ] || break
		changes "$round" "$d" > "$T/change-$d.ldif"
		awk -v d="DC=$d," 'BEGIN { RS = ""; FS = "\n"; ORS = "\n\n" } index($1, d)' \
		    "$T/shared.ldif" >> "$T/change-$d.ldif"
		modify "$d" "$T/change-$d.ldif"
		awk -v RS= -F '\n' '$2 == "changetype: delete" { print $1 }' \
		    "$T/change-$d.ldif" >> "$T/gone"
	done
	if [ "$round" != 4 ]; then
		joiners "$round"
		modify meht "$T/joiners.ldif"
	fi
	case $round in
	2)	run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" export --accounts "$T/a.csv"
		a=$(awk -F, '$1 == "btuh" && $5 == "person" { print $1 "\\" $3; exit }' "$T/a.csv")
		b=$(awk -F, '$1 == "southend" && $5 == "person" && $4 == "" { print $1 "\\" $3; exit }' "$T/a.csv")
		[ -n "$b" ] || b=$(awk -F, '$1 == "southend" && $5 == "person" { print $1 "\\" $3; exit }' "$T/a.csv")
		run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" link "$a" "$b" ;;
	3)	run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" export --accounts "$T/a.csv"
		pair=$(awk -F, 'NR > 1 && $4 != "" && $5 == "person" { if ($4 in s) { print s[$4], $1 "\\" $3; exit } s[$4] = $1 "\\" $3 }' "$T/a.csv")
		[ -n "$pair" ] || fail "no person with two accounts"
		# shellcheck disable=SC2086
		run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" never-link $pair ;;
	4)	# Decisions alone, on accounts whose components settled: a
		# person's two accounts never one, two persons' one.
		pid=$(sqlite3 "$T/idsync.db" "SELECT l.person_id FROM links l
		    JOIN accounts a USING (domain, guid) JOIN components
		    USING (domain, guid) WHERE a.kind = 'person' GROUP BY
		    l.person_id HAVING count(*) = 2 ORDER BY l.person_id LIMIT 1")
		# The two accounts that choice counted (an admin account of
		# the person's is not one of them).
		pair=$(sqlite3 -separator '\' "$T/idsync.db" "SELECT a.domain,
		    a.sam FROM links l JOIN accounts a USING (domain, guid)
		    JOIN components USING (domain, guid)
		    WHERE l.person_id = '$pid' AND a.kind = 'person'" |
		    tr '\n' ' ')
		# shellcheck disable=SC2086
		run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" never-link $pair
		a=$(settled btuh "l.person_id IS NOT NULL")
		b=$(settled meht "l.person_id IS NULL")
		[ -n "$pid" ] && [ -n "$a" ] && [ -n "$b" ] ||
		    fail "no settled accounts to decide on: '$pid' '$a' '$b'"
		run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" link "$a" "$b" ;;
	esac

	sqlite3 "$T/idsync.db" ".backup '$T/before.db'" || fail "sqlite3 .backup"
	run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run
	assert_contains "$OUT" "matching what changed"
	again=$(printf '%s\n' "$OUT" | sed -n 's/.*matching \([0-9]*\) accounts again.*/\1/p')
	[ -n "$again" ] && [ "$again" -lt "$total" ] ||
	    fail "round $round: not matched in part: $OUT"
	printf '%s\n' "$OUT" > "$T/delta-$round.log"
	dump "$T/idsync.db" > "$T/delta-$round.dump"
	sqlite3 "$T/idsync.db" ".backup '$T/delta.db'" || fail "sqlite3 .backup"
	sqlite3 "$T/idsync.db" ".restore '$T/before.db'" || fail "sqlite3 .restore"
	run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run --full
	dump "$T/idsync.db" > "$T/full-$round.dump"
	cmp -s "$T/delta-$round.dump" "$T/full-$round.dump" ||
	    fail "round $round: matching $again of $total accounts again left another state than matching all: $(diff "$T/delta-$round.dump" "$T/full-$round.dump" | head -20)"
	# Go on from the state matching in part left.
	sqlite3 "$T/idsync.db" ".restore '$T/delta.db'" || fail "sqlite3 .restore"
	echo "round $round: $again of $total accounts matched again"
	total=$(sqlite3 "$T/idsync.db" "SELECT count(*) FROM accounts")
done
[ "$(sqlite3 "$T/idsync.db" "SELECT count(*) FROM components WHERE
    (domain, guid) NOT IN (SELECT domain, guid FROM accounts)")" = 0 ] ||
    fail "components of accounts gone are left"
grep -q "blocks or identifiers past their limit or back" "$T/delta-2.log" ||
    fail "round 2 logged no limits crossed"
crossed=$(sed -n 's/.*gone, \([0-9]*\) blocks or identifiers past.*/\1/p' "$T/delta-2.log")
[ "${crossed:-0}" -gt 0 ] || fail "round 2: no block or identifier crossed its limit: $(cat "$T/delta-2.log")"
ok "three rounds of changes, and one of decisions alone: matching what changed leaves the state matching every account does, row for row"

# Nothing changed: what did not settle is matched again until it does;
# then a run skips matching.
for i in 1 2 3 4; do
	run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" run
	case $OUT in *"nothing changed since run"*) break ;; esac
done
assert_contains "$OUT" "nothing changed since run"
ok "with nothing changed the state settles, and matching is skipped"
