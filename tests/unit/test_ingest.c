/* test_ingest.c: report validation (every rule in docs/report.md) and
 * storage in a real SQLite database: all or nothing, idempotent replays,
 * renames, roll-ups, hostile strings kept as data. */
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

/* 2026-11-23T12:00:00Z */
#define NOW_MS		1795435200000LL
#define TS_NOW		"2026-11-23T12:00:00Z"

static struct store *
fresh_store(void)
{
	static int	 n;
	char		 name[32], err[512];
	char		*path;
	struct store	*st;

	snprintf(name, sizeof name, "ingest-%d.db", n++);
	path = tu_path(tu_tmpdir(), name);
	st = store_open(path, 0, err, sizeof err);
	if (st == NULL)
		fail_msg("store_open: %s", err);
	free(path);
	return st;
}

/* A valid report; extra is spliced in as further members of the report
 * object (may be ""), host_extra into the host object. */
static char *
report_json(const char *agent, long long seq, const char *ts,
    const char *name, const char *host_extra, const char *extra)
{
	char	*s;

	xasprintf(&s, "{\"schema\":1,\"agent\":{\"id\":\"%s\","
	    "\"version\":\"0.1.0\"},\"seq\":%lld,\"ts\":\"%s\","
	    "\"host\":{\"name\":\"%s\"%s}%s}", agent, seq, ts, name,
	    host_extra, extra);
	return s;
}

static int
ingest_text(struct store *st, const char *text, struct ingest_result *res,
    int *status, char *err, size_t errlen)
{
	json_t	*doc;
	int	 rc;

	doc = wjson_parse(text, strlen(text), NULL, err, errlen);
	if (doc == NULL)
		fail_msg("test JSON does not parse: %s: %s", err, text);
	rc = ingest_reports(st, doc, NOW_MS, res, status, err, errlen);
	json_decref(doc);
	return rc;
}

static int64_t
count_rows(struct store *st, const char *table)
{
	sqlite3_stmt	*s;
	char		*sql;
	int64_t		 n;

	xasprintf(&sql, "SELECT count(*) FROM %s", table);
	assert_int_equal(sqlite3_prepare_v2(db_handle(store_db(st)), sql, -1,
	    &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	free(sql);
	return n;
}

/* The first column of the first row of sql, as text (caller frees). */
static char *
query_text(struct store *st, const char *sql)
{
	sqlite3_stmt	*s;
	char		*out = NULL;

	assert_int_equal(sqlite3_prepare_v2(db_handle(store_db(st)), sql, -1,
	    &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW &&
	    sqlite3_column_type(s, 0) != SQLITE_NULL)
		out = xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return out;
}

static void
assert_query(struct store *st, const char *sql, const char *want)
{
	char	*got = query_text(st, sql);

	if (got == NULL || strcmp(got, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", sql,
		    got ? got : "(null)", want);
	free(got);
}

static void
test_full_report_stored(void **state)
{
	struct ingest_result	 res;
	struct store		*st = fresh_store();
	char			 err[512];
	char			*r;
	int			 status;

	(void)state;
	r = report_json("a1", 1, TS_NOW, "pas-app01",
	    ",\"fqdn\":\"pas-app01.btuh.test\",\"datacentre\":\"basildon\","
	    "\"kind\":\"server\",\"vendor\":\"Dell Inc.\",\"model\":"
	    "\"PowerEdge R640\",\"serial\":\"7XJ2K93\",\"os\":{\"id\":\"rhel\","
	    "\"version_id\":\"7.9\",\"kernel\":\"3.10.0\",\"arch\":\"x86_64\"},"
	    "\"addresses\":[\"10.20.1.15\"],\"uptime_s\":86400",
	    ",\"interval_s\":30,\"dropped\":2,"
	    "\"metrics\":[{\"name\":\"cpu.util\",\"value\":12.5,\"unit\":"
	    "\"percent\"},{\"name\":\"fs.used_pct\",\"value\":81,\"labels\":"
	    "{\"mount\":\"/var\",\"dev\":\"sda2\"}}],"
	    "\"checks\":[{\"name\":\"ntp\",\"status\":1,\"output\":\"NTP WARN\","
	    "\"perfdata\":\"offset=0.5s;0.1;1\"}],"
	    "\"interfaces\":[{\"name\":\"eth0\",\"index\":2,\"oper\":\"up\","
	    "\"admin\":\"up\",\"speed_bps\":1000000000,\"in_octets\":5}]");
	assert_int_equal(ingest_text(st, r, &res, &status, err, sizeof err), 0);
	assert_int_equal(status, 200);
	assert_int_equal(res.accepted, 1);
	assert_int_equal(res.duplicates, 0);
	assert_query(st, "SELECT name || '|' || fqdn || '|' || datacentre || '|'"
	    " || kind || '|' || model || '|' || os_id || '|' || os_version_id"
	    " || '|' || addresses || '|' || interval_s || '|' || last_seq ||"
	    " '|' || dropped_total FROM hosts WHERE agent_id = 'a1'",
	    "pas-app01|pas-app01.btuh.test|basildon|server|PowerEdge R640|rhel"
	    "|7.9|[\"10.20.1.15\"]|30|1|2");
	/* Labels are stored canonically: sorted keys. */
	assert_query(st, "SELECT labels FROM series WHERE name = 'fs.used_pct'",
	    "{\"dev\":\"sda2\",\"mount\":\"/var\"}");
	assert_query(st, "SELECT last_value FROM series WHERE name = 'cpu.util'",
	    "12.5");
	assert_query(st, "SELECT status || ' ' || output FROM checks", "1 NTP WARN");
	assert_query(st, "SELECT oper || ' ' || speed_bps FROM interfaces",
	    "up 1000000000");
	assert_int_equal(count_rows(st, "samples"), 2);
	assert_int_equal(count_rows(st, "reports"), 1);
	free(r);
	store_close(st);
}

static void
test_replay_is_idempotent(void **state)
{
	struct ingest_result	 res;
	struct store		*st = fresh_store();
	char			 err[512];
	char			*r;
	int			 status;

	(void)state;
	r = report_json("a1", 7, TS_NOW, "h1", "",
	    ",\"metrics\":[{\"name\":\"m\",\"value\":1}]");
	assert_int_equal(ingest_text(st, r, &res, &status, err, sizeof err), 0);
	assert_int_equal(res.accepted, 1);
	assert_int_equal(ingest_text(st, r, &res, &status, err, sizeof err), 0);
	assert_int_equal(status, 200);
	assert_int_equal(res.accepted, 0);
	assert_int_equal(res.duplicates, 1);
	assert_int_equal(count_rows(st, "reports"), 1);
	assert_int_equal(count_rows(st, "samples"), 1);
	assert_query(st, "SELECT count FROM rollups_hourly", "1");
	free(r);
	store_close(st);
}

static void
test_bad_report_in_array_stores_nothing(void **state)
{
	struct ingest_result	 res;
	struct store		*st = fresh_store();
	char			 err[512];
	char			*a, *b, *c, *body;
	int			 status;

	(void)state;
	a = report_json("a1", 1, TS_NOW, "h1", "", "");
	b = report_json("a1", 2, TS_NOW, "h1", "",
	    ",\"metrics\":[{\"name\":\"m\",\"value\":\"high\"}]");
	c = report_json("a2", 1, TS_NOW, "h2", "", "");
	xasprintf(&body, "[%s,%s,%s]", a, b, c);
	assert_int_equal(ingest_text(st, body, &res, &status, err, sizeof err),
	    -1);
	assert_int_equal(status, 400);
	assert_string_equal(err, "report[1].metrics[0].value: expected a "
	    "number, got string");
	assert_int_equal(count_rows(st, "hosts"), 0);
	assert_int_equal(count_rows(st, "reports"), 0);
	free(body);
	xasprintf(&body, "[%s,%s]", a, c);
	assert_int_equal(ingest_text(st, body, &res, &status, err, sizeof err),
	    0);
	assert_int_equal(res.accepted, 2);
	assert_int_equal(count_rows(st, "hosts"), 2);
	free(a);
	free(b);
	free(c);
	free(body);
	store_close(st);
}

struct bad_case {
	const char	*report;	/* whole body */
	const char	*error;		/* expected in err */
};

static void
test_every_rule(void **state)
{
	static const struct bad_case cases[] = {
	{ "{}", "report.schema: missing" },
	{ "[]", "report: empty array" },
	{ "7", "report: expected an object, got integer" },
	{ "{\"schema\":2}", "report.schema: version 2 is not supported" },
	{ "{\"schema\":\"1\"}", "report.schema: expected an integer" },
	{ "{\"schema\":1}", "report.agent: missing" },
	{ "{\"schema\":1,\"agent\":{\"id\":\"a b\"}}",
	  "report.agent.id: byte 2 is not allowed" },
	{ "{\"schema\":1,\"agent\":{\"id\":\"\"}}",
	  "report.agent.id: length 0 is outside 1..64 bytes" },
	{ "{\"schema\":1,\"agent\":{\"id\":\"a\"},\"seq\":0}",
	  "report.seq: 0 is out of range" },
	{ "{\"schema\":1,\"agent\":{\"id\":\"a\"},\"seq\":1.5}",
	  "report.seq: expected an integer" },
	{ "{\"schema\":1,\"agent\":{\"id\":\"a\"},\"seq\":1,\"interval_s\":5}",
	  "report.interval_s: 5 is out of range" },
	{ "{\"schema\":1,\"agent\":{\"id\":\"a\"},\"seq\":1}", "report.ts: missing" },
	{ "{\"schema\":1,\"agent\":{\"id\":\"a\"},\"seq\":1,\"ts\":\"yesterday\"}",
	  "report.ts: " },
	{ "{\"schema\":1,\"agent\":{\"id\":\"a\"},\"seq\":1,"
	  "\"ts\":\"2030-01-01T00:00:00Z\"}", "more than 5 minutes in the future" },
	{ "{\"schema\":1,\"agent\":{\"id\":\"a\"},\"seq\":1,"
	  "\"ts\":\"2020-01-01T00:00:00Z\"}", "more than 400 days old" },
	{ "{\"schema\":1,\"agent\":{\"id\":\"a\"},\"seq\":1,\"ts\":\"" TS_NOW "\"}",
	  "report.host: missing" },
	{ "{\"schema\":1,\"agent\":{\"id\":\"a\"},\"seq\":1,\"ts\":\"" TS_NOW "\","
	  "\"host\":{\"name\":\"\"}}", "report.host.name: length 0" },
	{ "{\"schema\":1,\"agent\":{\"id\":\"a\"},\"seq\":1,\"ts\":\"" TS_NOW "\","
	  "\"host\":{\"name\":\"h\",\"kind\":\"toaster\"}}",
	  "report.host.kind: unknown kind" },
	{ "{\"schema\":1,\"agent\":{\"id\":\"a\"},\"seq\":1,\"ts\":\"" TS_NOW "\","
	  "\"host\":{\"name\":\"h\",\"os\":{\"id\":7}}}",
	  "report.host.os.id: expected a string, got integer" },
	{ "{\"schema\":1,\"agent\":{\"id\":\"a\"},\"seq\":1,\"ts\":\"" TS_NOW "\","
	  "\"host\":{\"name\":\"h\",\"addresses\":[1]}}",
	  "report.host.addresses[0]: expected an address" },
	{ "{\"schema\":1,\"agent\":{\"id\":\"a\"},\"seq\":1,\"ts\":\"" TS_NOW "\","
	  "\"host\":{\"name\":\"h\"},\"metrics\":{}}",
	  "report.metrics: expected an array, got object" },
	{ "{\"schema\":1,\"agent\":{\"id\":\"a\"},\"seq\":1,\"ts\":\"" TS_NOW "\","
	  "\"host\":{\"name\":\"h\"},\"metrics\":[{\"name\":\"a b\",\"value\":1}]}",
	  "report.metrics[0].name: byte 2 is not allowed" },
	{ "{\"schema\":1,\"agent\":{\"id\":\"a\"},\"seq\":1,\"ts\":\"" TS_NOW "\","
	  "\"host\":{\"name\":\"h\"},\"metrics\":[{\"name\":\"m\"}]}",
	  "report.metrics[0].value: missing" },
	{ "{\"schema\":1,\"agent\":{\"id\":\"a\"},\"seq\":1,\"ts\":\"" TS_NOW "\","
	  "\"host\":{\"name\":\"h\"},\"metrics\":[{\"name\":\"m\",\"value\":1,"
	  "\"labels\":{\"k\":1}}]}", "report.metrics[0].labels.k: expected a string" },
	{ "{\"schema\":1,\"agent\":{\"id\":\"a\"},\"seq\":1,\"ts\":\"" TS_NOW "\","
	  "\"host\":{\"name\":\"h\"},\"metrics\":[{\"name\":\"m\",\"value\":1,"
	  "\"labels\":{\"a b\":\"x\"}}]}", "report.metrics[0].labels: key \"a b\"" },
	{ "{\"schema\":1,\"agent\":{\"id\":\"a\"},\"seq\":1,\"ts\":\"" TS_NOW "\","
	  "\"host\":{\"name\":\"h\"},\"checks\":[{\"name\":\"c\",\"status\":4}]}",
	  "report.checks[0].status: 4 is out of range" },
	{ "{\"schema\":1,\"agent\":{\"id\":\"a\"},\"seq\":1,\"ts\":\"" TS_NOW "\","
	  "\"host\":{\"name\":\"h\"},\"checks\":[{\"name\":\"c\",\"status\":0},"
	  "{\"name\":\"c\",\"status\":1}]}", "report.checks[1].name: \"c\" repeats checks[0]" },
	{ "{\"schema\":1,\"agent\":{\"id\":\"a\"},\"seq\":1,\"ts\":\"" TS_NOW "\","
	  "\"host\":{\"name\":\"h\"},\"interfaces\":[{\"name\":\"e\",\"oper\":\"sideways\"}]}",
	  "report.interfaces[0]: admin/oper must be" },
	{ "{\"schema\":1,\"agent\":{\"id\":\"a\"},\"seq\":1,\"ts\":\"" TS_NOW "\","
	  "\"host\":{\"name\":\"h\"},\"interfaces\":[{\"name\":\"e\",\"in_octets\":-1}]}",
	  "report.interfaces[0].in_octets: -1 is out of range" },
	};
	struct ingest_result	 res;
	struct store		*st = fresh_store();
	char			 err[512];
	size_t			 i;
	int			 status;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		err[0] = '\0';
		if (ingest_text(st, cases[i].report, &res, &status, err,
		    sizeof err) != -1 || status != 400)
			fail_msg("case %zu accepted: %s", i, cases[i].report);
		assert_contains(err, cases[i].error);
	}
	assert_int_equal(count_rows(st, "hosts"), 0);
	store_close(st);
}

static void
test_size_limits(void **state)
{
	struct ingest_result	 res;
	struct store		*st = fresh_store();
	struct buf		 b;
	char			 err[512];
	char			*r, *longname;
	size_t			 i;
	int			 status;

	(void)state;
	/* 20001 metrics */
	buf_init(&b, 0);
	buf_append_str(&b, ",\"metrics\":[");
	for (i = 0; i < 20001; i++)
		buf_printf(&b, "%s{\"name\":\"m%zu\",\"value\":1}", i ? "," : "",
		    i);
	buf_append_str(&b, "]");
	r = report_json("a1", 1, TS_NOW, "h", "", buf_cstr(&b));
	assert_int_equal(ingest_text(st, r, &res, &status, err, sizeof err),
	    -1);
	assert_contains(err, "report.metrics: 20001 entries, at most 20000");
	free(r);
	buf_free(&b);

	/* 501 reports in one body */
	buf_init(&b, 0);
	buf_append_str(&b, "[");
	for (i = 0; i < 501; i++) {
		r = report_json("a1", (long long)i + 1, TS_NOW, "h", "", "");
		buf_printf(&b, "%s%s", i ? "," : "", r);
		free(r);
	}
	buf_append_str(&b, "]");
	assert_int_equal(ingest_text(st, buf_cstr(&b), &res, &status, err,
	    sizeof err), -1);
	assert_contains(err, "501 reports in one body, at most 500");
	buf_free(&b);

	/* host name of 256 bytes */
	longname = xmalloc(257);
	memset(longname, 'x', 256);
	longname[256] = '\0';
	r = report_json("a1", 1, TS_NOW, longname, "", "");
	assert_int_equal(ingest_text(st, r, &res, &status, err, sizeof err),
	    -1);
	assert_contains(err, "report.host.name: length 256 is outside 1..255");
	free(r);
	free(longname);
	assert_int_equal(count_rows(st, "hosts"), 0);
	store_close(st);
}

static void
test_hostile_strings_are_data(void **state)
{
	struct ingest_result	 res;
	struct store		*st = fresh_store();
	char			 err[512];
	char			*r, *got;
	int			 status;

	(void)state;
	r = report_json("a1", 1, TS_NOW,
	    "x'); DROP TABLE hosts; --\\u001b[2J\\u001b]0;pwned\\u0007",
	    ",\"model\":\"<script>alert(1)</script>\"", "");
	assert_int_equal(ingest_text(st, r, &res, &status, err, sizeof err), 0);
	got = query_text(st, "SELECT name FROM hosts");
	assert_non_null(got);
	assert_string_equal(got,
	    "x'); DROP TABLE hosts; --\x1b[2J\x1b]0;pwned\x07");
	free(got);
	assert_query(st, "SELECT model FROM hosts",
	    "<script>alert(1)</script>");
	free(r);
	store_close(st);
}

static void
test_rename_and_old_replay(void **state)
{
	struct ingest_result	 res;
	struct store		*st = fresh_store();
	char			 err[512];
	char			*r;
	int			 status;

	(void)state;
	r = report_json("a1", 5, "2026-11-23T11:00:00Z", "old-name",
	    ",\"os\":{\"id\":\"centos\",\"version_id\":\"7\"}", "");
	assert_int_equal(ingest_text(st, r, &res, &status, err, sizeof err), 0);
	free(r);
	r = report_json("a1", 6, "2026-11-23T11:01:00Z", "new-name",
	    ",\"os\":{\"id\":\"rocky\",\"version_id\":\"9.4\"}", "");
	assert_int_equal(ingest_text(st, r, &res, &status, err, sizeof err), 0);
	free(r);
	assert_int_equal(count_rows(st, "hosts"), 1);
	assert_query(st, "SELECT old_name || '>' || new_name FROM host_renames",
	    "old-name>new-name");
	/* An older report replayed late is stored but does not roll the
	 * host's identity back. */
	r = report_json("a1", 4, "2026-11-23T10:59:00Z", "old-name",
	    ",\"os\":{\"id\":\"centos\",\"version_id\":\"7\"}", ",\"dropped\":3");
	assert_int_equal(ingest_text(st, r, &res, &status, err, sizeof err), 0);
	assert_int_equal(res.accepted, 1);
	free(r);
	assert_query(st, "SELECT name || ' ' || os_id || ' ' || os_version_id ||"
	    " ' ' || last_seq || ' ' || dropped_total FROM hosts",
	    "new-name rocky 9.4 6 3");
	assert_int_equal(count_rows(st, "host_renames"), 1);
	assert_int_equal(count_rows(st, "reports"), 3);
	store_close(st);
}

static void
test_rollup_maths(void **state)
{
	static const char *const ts[] = {
		"2026-11-23T11:05:00Z", "2026-11-23T11:35:00Z",
		"2026-11-23T11:59:59Z", "2026-11-23T12:00:00Z",
	};
	static const double values[] = { 10, 20, 60, 5 };
	struct ingest_result	 res;
	struct store		*st = fresh_store();
	char			 err[512], metric[96];
	char			*r;
	size_t			 i;
	int			 status;

	(void)state;
	for (i = 0; i < 4; i++) {
		snprintf(metric, sizeof metric, ",\"metrics\":[{\"name\":"
		    "\"cpu.util\",\"value\":%g}]", values[i]);
		r = report_json("a1", (long long)i + 1, ts[i], "h", "", metric);
		assert_int_equal(ingest_text(st, r, &res, &status, err,
		    sizeof err), 0);
		free(r);
	}
	assert_int_equal(count_rows(st, "rollups_hourly"), 2);
	assert_query(st, "SELECT min || ' ' || avg || ' ' || max || ' ' || count"
	    " FROM rollups_hourly ORDER BY hour_ms LIMIT 1", "10.0 30.0 60.0 3");
	assert_query(st, "SELECT min || ' ' || max || ' ' || count FROM "
	    "rollups_hourly ORDER BY hour_ms DESC LIMIT 1", "5.0 5.0 1");
	assert_query(st, "SELECT last_value FROM series", "5.0");
	store_close(st);
}

static void
test_commit_failure_is_503(void **state)
{
	struct ingest_result	 res;
	struct store		*st = fresh_store(), *ro;
	char			 err[512];
	char			*r, *path;
	int			 status;

	(void)state;
	path = xstrdup(db_path(store_db(st)));
	store_close(st);
	ro = store_open(path, 1, err, sizeof err);
	assert_non_null(ro);
	r = report_json("a1", 1, TS_NOW, "h", "", "");
	assert_int_equal(ingest_text(ro, r, &res, &status, err, sizeof err),
	    -1);
	assert_int_equal(status, 503);
	assert_int_equal(res.accepted, 0);
	assert_contains(err, path);
	free(r);
	free(path);
	store_close(ro);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_report_stored),
		cmocka_unit_test(test_replay_is_idempotent),
		cmocka_unit_test(test_bad_report_in_array_stores_nothing),
		cmocka_unit_test(test_every_rule),
		cmocka_unit_test(test_size_limits),
		cmocka_unit_test(test_hostile_strings_are_data),
		cmocka_unit_test(test_rename_and_old_replay),
		cmocka_unit_test(test_rollup_maths),
		cmocka_unit_test(test_commit_failure_is_503),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
