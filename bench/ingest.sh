#!/bin/sh
# ingest.sh: durable ingest throughput of ward-collector (metric values per
# second committed, many agents over HTTPS) beside the raw SQLite limit for
# the same rows, measured in one run. See bench/README.md.
#
#   WARD_BENCH_AGENTS (50), WARD_BENCH_REPORTS (40 per agent),
#   WARD_BENCH_ROUNDS (3: the median is shown)
. "${top_srcdir:?run through make bench}/bench/lib.sh"

AGENTS=${WARD_BENCH_AGENTS:-50}
REPORTS=${WARD_BENCH_REPORTS:-40}
ROUNDS=${WARD_BENCH_ROUNDS:-3}
LOAD=$top_builddir/bench/ingest_load
RAW=$top_builddir/bench/ingest_raw
[ -x "$LOAD" ] && [ -x "$RAW" ] || die "build the bench programs first (make bench)"
need curl
need sqlite3

# One base time for every run, so each stores the very same rows.
BASE_MS=$(( ($(date +%s) / 86400 - 7) * 86400000 ))

make_ca

# ward_run NAME [--fresh]: one collector with its own database, driven by
# ingest_load; prints ingest_load's result line plus the collector's CPU.
ward_run() {
	_name=$1
	shift
	start_collector "$_name"
	_t0=$(proc_cpu_ticks "$COLLECTOR_PID")
	_line=$("$LOAD" --url "$COLLECTOR_URL" --ca-file "$B/ca.crt" \
	    --token-file "$B/$_name.token" --agents "$AGENTS" \
	    --reports "$REPORTS" --base-ms "$BASE_MS" "$@") ||
	    die "ingest_load against ward-collector failed (log: $(tail -3 "$B/$_name.log"))"
	_t1=$(proc_cpu_ticks "$COLLECTOR_PID")
	bench_stop "$COLLECTOR_PID"
	# Acknowledged means committed: every value must be in the database.
	_rows=$(sqlite3 "$B/$_name.db" 'SELECT count(*) FROM samples')
	[ "$_rows" = "$(kv values "$_line")" ] ||
	    die "ward-collector acknowledged $(kv values "$_line") values but stored $_rows"
	echo "$_line collector_cpu_s=$(awk -v t=$((_t1 - _t0)) -v hz="$CLK_TCK" \
	    'BEGIN { printf "%.2f", t / hz }')"
}

echo "ingest: $AGENTS agents x $REPORTS reports each, over HTTPS to a real ward-collector"
echo "(WAL, synchronous=FULL, one transaction per report), beside the same rows"
echo "inserted straight into SQLite by one writer with the same durability."
echo

# Each setup runs ROUNDS times, interleaved so a slow spell of the disk
# hits all three alike; the table shows each one's median round.
# Results go into files, not $(...): a subshell would not stop its
# collector on exit.
for r in $(seq "$ROUNDS"); do
	"$RAW" --database "$B/raw$r.db" --agents "$AGENTS" --reports "$REPORTS" \
	    --base-ms "$BASE_MS" >> "$B/raw.results" || die "ingest_raw failed"
	[ "$(sqlite3 "$B/raw$r.db" 'SELECT count(*) FROM samples')" = \
	    "$(kv values "$(tail -1 "$B/raw.results")")" ] ||
	    die "ingest_raw did not store every value"
	ward_run "kept$r" >> "$B/kept.results"
	ward_run "fresh$r" --fresh >> "$B/fresh.results"
	for t in series rollups_hourly reports checks interfaces; do
		[ "$(sqlite3 "$B/kept$r.db" "SELECT count(*) FROM $t")" = \
		    "$(sqlite3 "$B/raw$r.db" "SELECT count(*) FROM $t")" ] ||
		    die "the raw run and ward-collector stored different $t rows"
	done
	rm -f "$B"/*"$r".db*
done

# median FILE: the result line with the median values_per_s.
median() {
	awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^values_per_s=/) {
	    split($i, kv, "="); print kv[2] "\t" $0 } }' "$1" |
	    sort -n | awk -v n="$ROUNDS" 'NR == int((n + 1) / 2)' | cut -f2-
}
KEPT=$(median "$B/kept.results")
FRESH=$(median "$B/fresh.results")
RAWL=$(median "$B/raw.results")
RAW_VPS=$(kv values_per_s "$RAWL")

# rounds FILE: every round's values/s on one line.
rounds() {
	sed -e 's/.*values_per_s=\([0-9]*\).*/\1/' "$1" | tr '\n' ' '
}
row() {
	printf '%-47s %9s %9s %7s %7s %6s %6s\n' "$@"
}
pct() {
	awk -v c="$1" -v s="$2" 'BEGIN { printf "%.0f%%", 100 * c / s }'
}
row "" "values/s" "reports/s" "p50 ms" "p99 ms" "CPU" "x raw"
for l in "ward-collector, connection kept|$KEPT" \
    "ward-collector, new TLS connection a report|$FRESH"; do
	name=${l%%|*}
	line=${l#*|}
	row "$name" "$(kv values_per_s "$line")" "$(kv reports_per_s "$line")" \
	    "$(kv p50_ms "$line")" "$(kv p99_ms "$line")" \
	    "$(pct "$(kv collector_cpu_s "$line")" "$(kv seconds "$line")")" \
	    "$(ratio "$(kv values_per_s "$line")" "$RAW_VPS")"
done
row "raw SQLite, one writer, a transaction a report" "$RAW_VPS" \
    "$(kv reports_per_s "$RAWL")" "" "" \
    "$(pct "$(kv cpu_s "$RAWL")" "$(kv seconds "$RAWL")")" "1.00"
echo
echo "$(kv values "$RAWL") values in $(kv reports "$RAWL") reports per run; median of $ROUNDS round(s);"
echo "CPU: the collector's (or the raw writer's) CPU time over the run's wall time."
echo "values/s of every round: $(rounds "$B/kept.results")(kept)"
echo "                         $(rounds "$B/fresh.results")(fresh)"
echo "                         $(rounds "$B/raw.results")(raw)"
echo "ratio ward/raw: $(ratio "$(kv values_per_s "$KEPT")" "$RAW_VPS") (connection kept), $(ratio "$(kv values_per_s "$FRESH")" "$RAW_VPS") (new connection a report); aim: >= 0.50"
