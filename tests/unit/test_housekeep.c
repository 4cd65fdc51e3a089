/* test_housekeep.c: retention on a real store filled through ingest: raw
 * samples and report records past raw_retention go, roll-ups stay until
 * rollup_retention, dead series go last, tiny batches reach the same end
 * in many transactions, and a stop request is honoured between them. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/db.h"
#include "common/wjson.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "collector/collector.h"
#include "tests/unit/testutil.h"

#define DAY_MS		86400000LL
#define HOUR_MS		3600000LL
/* 2026-11-23T12:00:00Z */
#define NOW_MS		1795435200000LL

static struct store *
fresh_store(void)
{
	static int	 n;
	char		 name[32], err[512];
	char		*path;
	struct store	*st;

	snprintf(name, sizeof name, "housekeep-%d.db", n++);
	path = tu_path(tu_tmpdir(), name);
	st = store_open(path, 0, err, sizeof err);
	if (st == NULL)
		fail_msg("store_open: %s", err);
	free(path);
	return st;
}

/* Ingests one report from agent at ts_ms with metrics "a" and "b" (and "c"
 * when with_c), received at ts_ms. */
static void
ingest_at(struct store *st, const char *agent, int64_t seq, int64_t ts_ms,
    int with_c)
{
	struct ingest_result	 res;
	json_t			*doc;
	char			*text, ts[WTIME_ISO8601_LEN], err[512];
	int			 status;

	wtime_format_iso8601(ts, sizeof ts, ts_ms);
	xasprintf(&text, "{\"schema\":1,\"agent\":{\"id\":\"%s\"},\"seq\":%lld,"
	    "\"ts\":\"%s\",\"host\":{\"name\":\"%s\"},\"metrics\":["
	    "{\"name\":\"a\",\"value\":1},{\"name\":\"b\",\"value\":2}%s]}",
	    agent, (long long)seq, ts, agent,
	    with_c ? ",{\"name\":\"c\",\"value\":3}" : "");
	doc = wjson_parse(text, strlen(text), NULL, err, sizeof err);
	assert_non_null(doc);
	if (ingest_reports(st, doc, ts_ms, &res, &status, err,
	    sizeof err) != 0)
		fail_msg("ingest: %s", err);
	json_decref(doc);
	free(text);
}

static int64_t
count(struct store *st, const char *sql)
{
	sqlite3_stmt	*s;
	char		 err[512];
	int64_t		 n;

	s = db_stmt(store_db(st), sql, err, sizeof err);
	if (s == NULL)
		fail_msg("%s", err);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	n = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return n;
}

/*
 * Two hosts, one report an hour for 20 days; metric "c" stops 12 days
 * before now. Raw retention 8 days, roll-ups 10 days.
 */
static struct store *
filled_store(struct store_config *sc)
{
	struct store	*st = fresh_store();
	int64_t		 h;

	for (h = 0; h < 20 * 24; h++) {
		int64_t	 ts = NOW_MS - 20 * DAY_MS + h * HOUR_MS;

		ingest_at(st, "h1", h + 1, ts, ts < NOW_MS - 12 * DAY_MS);
		ingest_at(st, "h2", h + 1, ts, 0);
	}
	memset(sc, 0, sizeof *sc);
	sc->raw_retention_ms = 8 * DAY_MS;
	sc->rollup_retention_ms = 10 * DAY_MS;
	return st;
}

static void
check_retained(struct store *st)
{
	/* Samples: 8 days x 24 h of a and b on two hosts; c is older. */
	assert_int_equal(count(st, "SELECT count(*) FROM samples"),
	    8 * 24 * 2 * 2);
	assert_int_equal(count(st, "SELECT count(*) FROM samples WHERE ts_ms "
	    "< " "1795435200000 - 8 * 86400000"), 0);
	/* Roll-ups: one per hour per series for 10 days, c gone. */
	assert_int_equal(count(st, "SELECT count(*) FROM rollups_hourly"),
	    10 * 24 * 2 * 2);
	/* Report records: 8 days of both hosts. */
	assert_int_equal(count(st, "SELECT count(*) FROM reports"),
	    8 * 24 * 2);
	/* The dead series went; the hosts stay. */
	assert_int_equal(count(st, "SELECT count(*) FROM series"), 4);
	assert_int_equal(count(st, "SELECT count(*) FROM series WHERE "
	    "name = 'c'"), 0);
	assert_int_equal(count(st, "SELECT count(*) FROM hosts"), 2);
}

static void
test_retention(void **state)
{
	struct store_config	 sc;
	struct housekeep_result	 res;
	struct store		*st;
	char			 err[512];

	(void)state;
	st = filled_store(&sc);
	assert_int_equal(count(st, "SELECT count(*) FROM samples"),
	    20 * 24 * 2 * 2 + 8 * 24);
	assert_int_equal(housekeep_run(st, &sc, NOW_MS, 100000, NULL, &res,
	    err, sizeof err), 0);
	check_retained(st);
	assert_int_equal(res.samples, 12 * 24 * 2 * 2 + 8 * 24);
	assert_int_equal(res.reports, 12 * 24 * 2);
	assert_int_equal(res.series, 1);

	/* A second run finds nothing to do. */
	assert_int_equal(housekeep_run(st, &sc, NOW_MS, 100000, NULL, &res,
	    err, sizeof err), 0);
	assert_int_equal(res.samples + res.rollups + res.reports + res.series,
	    0);
	store_close(st);
}

/* Tiny batches: many transactions, none over the bound, same result. */
static void
test_small_batches(void **state)
{
	struct store_config	 sc;
	struct housekeep_result	 res;
	struct store		*st;
	char			 err[512];

	(void)state;
	st = filled_store(&sc);
	assert_int_equal(housekeep_run(st, &sc, NOW_MS, 7, NULL, &res, err,
	    sizeof err), 0);
	check_retained(st);
	/* Every deleted row needed room in some batch of 7. */
	assert_true(res.transactions >= (res.samples + res.rollups +
	    res.reports + res.series) / 7);
	store_close(st);
}

static int	 stop_after;
static int
stop_soon(void)
{
	return stop_after-- <= 0;
}

static void
test_stop(void **state)
{
	struct store_config	 sc;
	struct housekeep_result	 res;
	struct store		*st;
	char			 err[512];

	(void)state;
	st = filled_store(&sc);
	stop_after = 3;
	assert_int_equal(housekeep_run(st, &sc, NOW_MS, 10, stop_soon, &res,
	    err, sizeof err), 0);
	assert_int_equal(res.transactions, 3);
	assert_true(res.samples + res.rollups <= 30);
	/* What was committed stays; the rest is done by the next run. */
	stop_after = 1000000;
	assert_int_equal(housekeep_run(st, &sc, NOW_MS, 100000, stop_soon,
	    &res, err, sizeof err), 0);
	check_retained(st);
	store_close(st);
}

/* Ingest can go on while housekeeping runs through another connection. */
static void
test_beside_ingest(void **state)
{
	struct store_config	 sc;
	struct housekeep_result	 res;
	struct store		*st, *other;
	char			 err[512];

	(void)state;
	st = filled_store(&sc);
	other = store_open(db_path(store_db(st)), 0, err, sizeof err);
	assert_non_null(other);
	assert_int_equal(housekeep_run(other, &sc, NOW_MS, 50, NULL, &res,
	    err, sizeof err), 0);
	check_retained(other);
	ingest_at(st, "h2", 100000, NOW_MS, 0);
	assert_int_equal(count(other, "SELECT count(*) FROM samples"),
	    8 * 24 * 2 * 2 + 2);
	store_close(other);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retention),
		cmocka_unit_test(test_small_batches),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_beside_ingest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
