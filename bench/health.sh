#!/bin/sh
# health.sh: the health engine's cost per ingested report at 10 000 hosts,
# beside ingest without it, in one run (bench/health_cost.c).
set -eu
: "${top_builddir:?run from a build tree (see bench/README.md)}"
exec "$top_builddir/bench/health_cost" "${WARD_BENCH_HOSTS:-10000}" \
    "${WARD_BENCH_ROUNDS:-2}"
