#!/bin/sh
# tui.sh: the ward dashboard with 10 000 hosts against a real collector:
# its first paints, each keystroke's redraw and its peak RSS, beside the
# physical limit of the same run: curl fetching the same pages of JSON and
# jq and python parsing them. See bench/README.md.
#
#   WARD_BENCH_HOSTS (10000), WARD_BENCH_ROUNDS (3), WARD_BENCH_PRESSES (20)
. "${top_srcdir:?run through make bench}/bench/lib.sh"

HOSTS=${WARD_BENCH_HOSTS:-10000}
ROUNDS=${WARD_BENCH_ROUNDS:-3}
PRESSES=${WARD_BENCH_PRESSES:-20}
WARD_TUI=$top_builddir/tui/ward
DRIVE=$top_srcdir/bench/tui_drive.py
[ -x "$WARD_TUI" ] || die "build ward first (make bench)"
for c in curl jq python3; do
	need "$c"
done

make_ca
start_collector tui
(umask 077; "$WARD_COLLECTOR" -c "$B/tui.conf" token add --role read \
    --name bench-read > "$B/read.token" 2>/dev/null) ||
    die "ward-collector token add --role read failed"
python3 "$DRIVE" fill "$COLLECTOR_URL" "$B/ca.crt" "$B/tui.token" "$HOSTS" ||
    die "filling the collector failed"
have=$(curl -fsS --cacert "$B/ca.crt" -H "Authorization: Bearer $(cat "$B/read.token")" \
    "$COLLECTOR_URL/api/v1/hosts?limit=1" | jq .total)
[ "$have" = "$HOSTS" ] || die "the collector has $have hosts, not $HOSTS"

WARD_URL=$COLLECTOR_URL WARD_CA_FILE=$B/ca.crt WARD_TOKEN_FILE=$B/read.token
TERM=xterm-256color LC_ALL=C.UTF-8 TZ=UTC
export WARD_URL WARD_CA_FILE WARD_TOKEN_FILE TERM LC_ALL TZ

# The pages ward asks for, as it does: limit 1000, following "next".
pages() {
	next="/api/v1/hosts?limit=1000"
	i=0
	: > "$B/urls"
	while [ "$next" != null ]; do
		i=$((i + 1))
		printf '%s\n' "$COLLECTOR_URL$next" >> "$B/urls"
		next=$(curl -fsS --cacert "$B/ca.crt" \
		    -H "Authorization: Bearer $(cat "$B/read.token")" \
		    "$COLLECTOR_URL$next" | jq -r .next)
	done
}
pages
npages=$(wc -l < "$B/urls")

now_ns() { date +%s%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

: > "$B/ward.jsonl"
: > "$B/curl.s"
: > "$B/jq.s"
: > "$B/py.s"
r=0
# Interleaved, so a slow spell of the machine touches both sides.
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	python3 "$DRIVE" drive "$WARD_TUI" "$HOSTS" 200 50 "$PRESSES" \
	    >> "$B/ward.jsonl" || die "driving ward failed"
	# One curl, one connection, every page (ward's fetch thread keeps
	# its connection too).
	set --
	k=0
	while read -r u; do
		k=$((k + 1))
		set -- "$@" "$u" -o "$B/page$k.json"
	done < "$B/urls"
	t0=$(now_ns)
	curl -fsS --cacert "$B/ca.crt" \
	    -H "Authorization: Bearer $(cat "$B/read.token")" "$@" ||
	    die "curl failed"
	t1=$(now_ns)
	echo "$(( (t1 - t0) / 1000 ))" | awk '{ print $1 / 1e6 }' >> "$B/curl.s"
	set --
	k=0
	while [ $k -lt "$npages" ]; do
		k=$((k + 1))
		set -- "$@" "$B/page$k.json"
	done
	t0=$(now_ns)
	n=$(jq -s '[.[].hosts[]] | length' "$@")
	t1=$(now_ns)
	[ "$n" = "$HOSTS" ] || die "jq counted $n hosts"
	echo "$(( (t1 - t0) / 1000 ))" | awk '{ print $1 / 1e6 }' >> "$B/jq.s"
	python3 "$DRIVE" parse "$@" | jq -r .parse_s >> "$B/py.s"
done

# The median of the rounds, field by field.
wmed() { jq -r "$1" "$B/ward.jsonl" | median; }
overview=$(wmed .overview_s)
hosts=$(wmed .hosts_s)
rss=$(wmed .hwm_kib)
curl_s=$(median < "$B/curl.s")
jq_s=$(median < "$B/jq.s")
py_s=$(median < "$B/py.s")
limit_py=$(awk -v a="$curl_s" -v b="$py_s" 'BEGIN { print a + b }')
limit_jq=$(awk -v a="$curl_s" -v b="$jq_s" 'BEGIN { print a + b }')

printf '\nward dashboard, %d hosts, 200x50, median of %d rounds (%d pages of 1000)\n\n' \
    "$HOSTS" "$ROUNDS" "$npages"
printf '%-42s %10s\n' "" "seconds"
printf '%-42s %10.3f\n' "ward: start to the overview" "$overview"
printf '%-42s %10.3f\n' "ward: 2 to the list of every host" "$hosts"
printf '%-42s %10.3f\n' "curl: the same pages, one connection" "$curl_s"
printf '%-42s %10.3f\n' "python json.load of them" "$py_s"
printf '%-42s %10.3f\n' "jq -s of them (with its start)" "$jq_s"
printf '\n%-42s %10s\n' "ward's list over curl + python" "$(ratio "$hosts" "$limit_py")"
printf '%-42s %10s\n' "ward's list over curl + jq" "$(ratio "$hosts" "$limit_jq")"
printf '\n%-30s %10s %10s %10s %8s\n' "keystroke redraw" "median ms" "p90 ms" \
    "bytes" "/ 16.7ms"
for k in "j (down a line)" "PgDn (a page)" "G, g (last, first host)" \
    "s (sort by the next column)"; do
	m=$(jq -r --arg k "$k" '.keys[$k].median_ms' "$B/ward.jsonl" | median)
	p=$(jq -r --arg k "$k" '.keys[$k].p90_ms' "$B/ward.jsonl" | median)
	b=$(jq -r --arg k "$k" '.keys[$k].bytes' "$B/ward.jsonl" | median)
	printf '%-30s %10.2f %10.2f %10d %8s\n' "$k" "$m" "$p" "$b" \
	    "$(ratio "$m" 16.7)"
done
printf '\n%-42s %10d KiB\n' "ward peak RSS (VmHWM)" "$rss"
printf '%-42s %10d KiB\n' "the JSON it holds (the pages, on disk)" \
    "$(cat "$B"/page*.json | wc -c | awk '{ print int($1 / 1024) }')"
