#!/bin/sh
# idsync_kill.sh: ward-idsync killed at any moment of a run leaves the last
# state whole. On about 10 000 accounts in three slapd directories (so
# that a save takes long enough to be caught in), runs whose plan deletes
# most of southend's accounts (a narrow filter, --force) are stopped
# while they read and at moments spread over matching and saving, and
# killed. Before each kill the test asks SQLite whether the run holds the
# database's write lock (it saves in one transaction, from the end of
# reading to the end); either way the database is intact afterwards and
# is the last state exactly, unless the run had committed before the
# kill. A review command (a decision) made while a run saves waits for
# the save instead of failing. The next run takes the lock, records the
# killed run as interrupted, and saves. A first run writes its new
# database's file directly (a rollback journal, not WAL): killed while
# it saves, it leaves the database whole and empty, and the next run
# saves the same state the run into a database in WAL mode saved; with
# another connection holding the database open it saves through WAL.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/idsync_db.sh"

idsync_db_require sqlite3
make_test_ca
idsync_db_make "$T/idsync.db" 6000
run 0 "$WARD_IDSYNC" -c "$T/idsync.conf" export --accounts "$T/before.csv"
sqlite3 "$T/idsync.db" ".backup '$T/kill0.db'" ||
    fail "sqlite3: cannot copy the state"

# The run to kill: southend narrowed to its service accounts, into a copy
# of the state, logging at debug.
sed -e "s|^database = .*|database = $T/kill.db|" \
    -e '/^\[domain "southend"\]/,/^\[/ s/^filter = .*/filter = (\&(objectClass=user)(sAMAccountName=svc-*))/' \
    -e '/^\[idsync\]/i [log]\nlevel = debug' \
    "$T/idsync.conf" > "$T/kill.conf"
grep -q 'sAMAccountName=svc-\*' "$T/kill.conf" || fail "kill.conf: no narrow filter"

# fresh: the copy of the state each try starts from.
fresh() {
	rm -f "$T/kill.db" "$T/kill.db-wal" "$T/kill.db-shm" "$T/kill.log"
	cp "$T/kill0.db" "$T/kill.db"
}

# start_run: the run in the background ($victim); waits for a line of its
# log matching $1.
start_run() {
	"$WARD_IDSYNC" -c "$T/kill.conf" run --force > "$T/kill.log" 2>&1 &
	victim=$!
	wait_for_line "$T/kill.log" "$1" "$victim"
}

# ms_of LINE-PATTERN: the millisecond of the day of the first log line
# matching it.
ms_of() {
	grep -m1 "$1" "$T/kill.log" | sed 's/^[0-9-]*T\([0-9]*\):\([0-9]*\):\([0-9]*\)\.\([0-9]*\)Z.*/\1 \2 \3 \4/' |
	    awk '{ print (($1 * 60 + $2) * 60 + $3) * 1000 + $4 }'
}

# One run to the end, for how long it takes from the end of reading.
fresh
run 0 "$WARD_IDSYNC" -c "$T/kill.conf" run --force
printf '%s\n' "$OUT" > "$T/kill.log"
assert_contains "$OUT" "going on as --force says"
window=$(( $(ms_of ': run [0-9]*: saved ') - $(ms_of 'read [0-9]* accounts from 3 domains') ))
[ "$window" -gt 0 ] || fail "no time between reading and saving: $window ms"
echo "# matching and saving took $window ms"

# killed: after the kill, the database is whole, and the last state unless
# the run committed; counts the kills made with the write lock held.
held=0
unheld=0
killed() {
	kill -KILL "$victim" 2>/dev/null || true
	wait "$victim" 2>/dev/null || true
	[ "$(sqlite3 "$T/kill.db" "PRAGMA integrity_check")" = ok ] ||
	    fail "the state is damaged after a run was killed ($1)"
	_outcome=$(sqlite3 "$T/kill.db" \
	    "SELECT outcome FROM runs ORDER BY id DESC LIMIT 1")
	[ "$_outcome" = ok ] && return 0
	[ "$_outcome" = running ] ||
	    fail "a killed run's outcome is '$_outcome' ($1)"
	run 0 "$WARD_IDSYNC" -c "$T/kill.conf" export --accounts "$T/kill.csv"
	cmp -s "$T/before.csv" "$T/kill.csv" ||
	    fail "a run killed $1 changed the state"
	if [ "$locked" = 1 ]; then
		held=$((held + 1))
	else
		unheld=$((unheld + 1))
	fi
}

# stop_now: stops the run, and says whether it holds the write lock.
stop_now() {
	kill -STOP "$victim" 2>/dev/null || return 1
	if sqlite3 "$T/kill.db" "BEGIN IMMEDIATE; ROLLBACK;" 2>/dev/null; then
		locked=0
	else
		locked=1
	fi
}

# While reading.
fresh
start_run 'page 1 of the search'
stop_now || fail "the run ended while reading"
[ "$locked" = 0 ] || fail "a run holds the write lock while it reads"
killed "while reading"

# From the end of reading to the end, at moments spread over the window.
try=0
while [ $try -lt 40 ] && [ $held -lt 4 ]; do
	try=$((try + 1))
	fresh
	start_run 'read [0-9]* accounts from 3 domains'
	delay=$(( (try * 37) % (window + 1) ))
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	stop_now || { wait "$victim" || true; continue; }
	killed "$delay ms after reading (try $try)"
done
[ $held -ge 4 ] ||
    fail "in $try tries, $held runs were killed while they saved"
ok "a run killed while reading ($unheld) or saving ($held times): the state stays whole and as it was"

# A decision made while a run saves waits for it.
fresh
start_run 'read [0-9]* accounts from 3 domains'
i=0
while :; do
	stop_now || fail "the run ended before it saved"
	[ "$locked" = 1 ] && break
	kill -CONT "$victim"
	i=$((i + 1))
	[ $i -lt 2000 ] || fail "the run never took the write lock"
	sleep 0.001
done
a=$(awk -F, '$1 == "btuh" && $5 == "person" { print $3; exit }' "$T/before.csv")
b=$(awk -F, '$1 == "meht" && $5 == "person" { print $3; exit }' "$T/before.csv")
"$WARD_IDSYNC" -c "$T/kill.conf" never-link "btuh\\$a" "meht\\$b" \
    > "$T/decide.log" 2>&1 &
decider=$!
# Longer than SQLite's usual wait for a lock.
sleep 6
kill -0 "$decider" 2>/dev/null ||
    fail "the decision did not wait for the save: $(cat "$T/decide.log")"
kill -CONT "$victim"
wait "$victim" || fail "the run failed: $(tail -5 "$T/kill.log")"
wait "$decider" || fail "the decision failed: $(cat "$T/decide.log")"
[ "$(sqlite3 "$T/kill.db" "SELECT count(*) FROM decisions WHERE kind = 'never-link'")" = 1 ] ||
    fail "the decision is not saved"
assert_contains "$(cat "$T/decide.log")" "kill.db: waiting for ward-idsync run (pid $victim) to finish saving its state (up to 10 minutes)"
ok "a decision made while a run saves waits for the save, then is saved"

# The next run after a kill.
fresh
start_run 'read [0-9]* accounts from 3 domains'
until stop_now && [ "$locked" = 1 ]; do
	kill -CONT "$victim" 2>/dev/null || fail "the run ended before it saved"
	sleep 0.001
done
killed "while saving"
run 0 "$WARD_IDSYNC" -c "$T/kill.conf" run --force
run 0 "$WARD_IDSYNC" -c "$T/kill.conf" history 2
assert_contains "$OUT" "interrupted"
n=$("$WARD_IDSYNC" -c "$T/kill.conf" export --accounts - |
    grep -c '^southend,' || true)
[ "$n" -le 3 ] || fail "the run after a killed one left southend $n accounts"
ok "after a run killed while saving, the next run records it as interrupted and saves"

# A first run, into a new database, writes its file directly.
sed -e "s|^database = .*|database = $T/first.db|" \
    -e '/^\[idsync\]/i [log]\nlevel = debug' \
    "$T/idsync.conf" > "$T/first.conf"
# Killed mid-save (again if it had saved first: the kill comes late).
try=0
while :; do
	try=$((try + 1))
	rm -f "$T/first.db"*
	"$WARD_IDSYNC" -c "$T/first.conf" run > "$T/first.log" 2>&1 &
	victim=$!
	wait_for_line "$T/first.log" 'matching: weighing pairs took' "$victim"
	kill -KILL "$victim"
	wait "$victim" 2>/dev/null || true
	grep -q ': run [0-9]*: saved ' "$T/first.log" || break
	[ $try -lt 5 ] || fail "a first run saved before it could be killed, 5 times"
done
assert_contains "$(cat "$T/first.log")" "first.db: a first save, written to the database file directly"
# What it left, looked at in a copy (SQLite rolls a journal back when a
# connection that may write opens the database).
mkdir "$T/killed"
cp "$T/first.db"* "$T/killed/"
[ "$(sqlite3 "$T/killed/first.db" "PRAGMA integrity_check")" = ok ] ||
    fail "the database is damaged after a first run was killed"
[ "$(sqlite3 "$T/killed/first.db" "SELECT count(*) FROM accounts")" = 0 ] ||
    fail "a first run killed before its commit left accounts"
# A reader reads the state as it was, or, when the run had begun to
# write the file (the journal then must be rolled back), says so; which
# one depends on how far the save had gone (test_db makes the second).
set +e
out=$("$WARD_IDSYNC" -c "$T/first.conf" history 2>&1)
rc=$?
set -e
if [ $rc = 0 ]; then
	assert_contains "$out" "run 1  run  "
	assert_contains "$out" "  running"
else
	assert_contains "$out" "a writer was stopped in a transaction; the next program to open the database for writing rolls it back"
fi
# The next run rolls it back itself, then saves.
run 0 "$WARD_IDSYNC" -c "$T/first.conf" run
assert_contains "$OUT" "first.db: a first save, written to the database file directly"
[ ! -e "$T/first.db-journal" ] || fail "the journal is left after the next run"
[ "$(sqlite3 "$T/first.db" "PRAGMA journal_mode")" = wal ] ||
    fail "the database is not back in WAL mode after a first save"
[ "$(sqlite3 "$T/first.db" "PRAGMA integrity_check")" = ok ] ||
    fail "the database a first save wrote is damaged"
# The same accounts, kinds and reasons as the first run into idsync.db
# (person ids are new).
"$WARD_IDSYNC" -c "$T/first.conf" export --accounts - | cut -d, -f1-3,5- |
    sort > "$T/first.csv"
cut -d, -f1-3,5- "$T/before.csv" | sort > "$T/before-cut.csv"
[ "$(wc -l < "$T/first.csv")" -gt 100 ] || fail "the first save saved no accounts"
cmp -s "$T/before-cut.csv" "$T/first.csv" ||
    fail "a first save written directly saved other links: $(diff "$T/before-cut.csv" "$T/first.csv" | head -5)"
ok "a first run writes its database file directly; killed, it leaves the database whole and empty; the next saves the same state"

# Another connection holding the new database open: through WAL.
rm -f "$T/first.db"*
sqlite3 "$T/first.db" "PRAGMA journal_mode=wal" > /dev/null
mkfifo "$T/hold"
sqlite3 -cmd "SELECT count(*) FROM sqlite_master;" "$T/first.db" \
    < "$T/hold" > /dev/null &
holder=$!
at_exit "kill $holder 2>/dev/null"
# Its input open until the run is done: sqlite3 waits for more.
exec 9> "$T/hold"
i=0
until [ -f "$T/first.db-shm" ]; do
	i=$((i + 1))
	[ $i -lt 2000 ] || fail "sqlite3 did not open the database"
	sleep 0.005
done
run 0 "$WARD_IDSYNC" -c "$T/first.conf" run
assert_contains "$OUT" "first.db: a first save, through the write-ahead log: another connection has the database open"
exec 9>&-
wait "$holder" || fail "sqlite3 holding the database failed"
"$WARD_IDSYNC" -c "$T/first.conf" export --accounts - | cut -d, -f1-3,5- |
    sort > "$T/first.csv"
cmp -s "$T/before-cut.csv" "$T/first.csv" ||
    fail "a first save through WAL saved other links"
ok "with another connection holding a new database open, a first save goes through WAL"
