#!/bin/sh
# fuzz.sh: builds each libFuzzer target in tests/fuzz with clang (ASan and
# UBSan on) and runs it briefly from its seed corpus. A crash, a leak or a
# sanitizer report fails the test. Longer runs: WARD_FUZZ_SECONDS=600.
. "$top_srcdir/tests/integration/lib.sh"
require_cmd clang

seconds=${WARD_FUZZ_SECONDS:-10}
src=$top_srcdir
# The objects a target needs: common/ and the module it fuzzes.
common="$src/common/backoff.c $src/common/buf.c $src/common/cfg.c
    $src/common/log.c $src/common/str.c $src/common/wjson.c
    $src/common/wtime.c $src/common/xmalloc.c $src/common/db.c"
libs="$(pkg-config --libs jansson inih sqlite3 libcrypto) -lunistring -lm"
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
    -I$top_builddir -I$src
    $(pkg-config --cflags jansson inih sqlite3 libcrypto)
    -DWARD_DATADIR=\"$src/data\""

idsync=idsync_decode:idsync/decode.c:idsync/normalise.c:idsync/compare.c
idsync=$idsync:idsync/nickname.c:idsync/index.c:idsync/account.c
eol=collector/eol.c:collector/eol_map.c
for target in report:collector/validate.c cfg:: $idsync \
    snmp_value:agents/snmp_value.c ssh_parse:agents/ssh_parse.c \
    eol_reply:$eol eol_hw:$eol:collector/eol_hw.c; do
	name=${target%%:*}
	extra=${target#*:}
	extra_src=""
	for f in $(echo "$extra" | tr ':' ' '); do
		extra_src="$extra_src $src/$f"
	done
	# shellcheck disable=SC2086
	clang $flags -o "$T/fuzz_$name" "$src/tests/fuzz/fuzz_$name.c" \
	    $common $extra_src $libs ||
	    fail "fuzz_$name does not build"
	mkdir -p "$T/corpus_$name"
	cp "$src/tests/fuzz/corpus/$name/"* "$T/corpus_$name/"
	if ! "$T/fuzz_$name" -max_total_time="$seconds" -rss_limit_mb=1024 \
	    -max_len=65536 -print_final_stats=1 -artifact_prefix="$T/" \
	    "$T/corpus_$name" > "$T/fuzz_$name.log" 2>&1; then
		tail -60 "$T/fuzz_$name.log"
		fail "fuzz_$name found a crash (input saved under $T)"
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$T/fuzz_$name.log")
	ok "fuzz_$name: $runs inputs in ${seconds}s, no crash"
done
