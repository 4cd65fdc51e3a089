/* ingest_raw.c: the raw limit for ingest: the rows ward-collector stores for
 * the benchmark's reports, inserted straight into SQLite by one minimal
 * writer, one transaction per report, with the collector's durability. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "common/db.h"
#include "common/log.h"
#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "collector/collector.h"
#include "bench/synth.h"

/* The rows of collector/ingest.c, each in the fewest statements: the host
 * in one upsert, then the report, series, sample, roll-up, check and
 * interface rows. */
#define SQL_HOST \
	"INSERT INTO hosts (agent_id, name, fqdn, datacentre, kind," \
	"  machine_id, vendor, model, serial, os_id, os_version_id," \
	"  os_pretty_name, kernel, arch, addresses, uptime_s, interval_s," \
	"  agent_version, first_seen_ms, last_seen_ms, last_report_ms," \
	"  last_seq) VALUES (?1, ?2, ?3, ?4, 'server', ?5, ?6, ?7, ?8, ?9," \
	"  ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?18, ?19, ?20)" \
	" ON CONFLICT (agent_id) DO UPDATE SET name = excluded.name," \
	"  fqdn = excluded.fqdn, datacentre = excluded.datacentre," \
	"  machine_id = excluded.machine_id, vendor = excluded.vendor," \
	"  model = excluded.model, serial = excluded.serial," \
	"  os_id = excluded.os_id, os_version_id = excluded.os_version_id," \
	"  os_pretty_name = excluded.os_pretty_name," \
	"  kernel = excluded.kernel, arch = excluded.arch," \
	"  addresses = excluded.addresses, uptime_s = excluded.uptime_s," \
	"  interval_s = excluded.interval_s," \
	"  agent_version = excluded.agent_version," \
	"  last_seen_ms = excluded.last_seen_ms," \
	"  last_report_ms = excluded.last_report_ms," \
	"  last_seq = excluded.last_seq" \
	" RETURNING id"
#define SQL_REPORT \
	"INSERT INTO reports (host_id, seq, ts_ms, received_ms, metrics," \
	"  checks, dropped) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)"
#define SQL_SERIES \
	"INSERT INTO series (host_id, name, labels, unit, last_ts_ms," \
	"  last_value) VALUES (?1, ?2, ?3, ?4, ?5, ?6)" \
	" ON CONFLICT (host_id, name, labels) DO UPDATE SET" \
	"  last_ts_ms = excluded.last_ts_ms, last_value = excluded.last_value" \
	" RETURNING id"
#define SQL_SAMPLE \
	"INSERT INTO samples (series_id, ts_ms, value) VALUES (?1, ?2, ?3)"
#define SQL_ROLLUP \
	"INSERT INTO rollups_hourly (series_id, hour_ms, min, avg, max," \
	"  count) VALUES (?1, ?2, ?3, ?3, ?3, 1)" \
	" ON CONFLICT (series_id, hour_ms) DO UPDATE SET" \
	"  min = min(min, excluded.min), max = max(max, excluded.max)," \
	"  avg = (avg * count + excluded.avg) / (count + 1)," \
	"  count = count + 1"
#define SQL_CHECK \
	"INSERT INTO checks (host_id, name, status, output, perfdata, ts_ms)" \
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6)" \
	" ON CONFLICT (host_id, name) DO UPDATE SET status = excluded.status," \
	"  output = excluded.output, perfdata = excluded.perfdata," \
	"  ts_ms = excluded.ts_ms"
#define SQL_IFACE \
	"INSERT INTO interfaces (host_id, name, idx, admin, oper, speed_bps," \
	"  in_octets, out_octets, in_errors, out_errors, in_discards," \
	"  out_discards, ts_ms)" \
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)" \
	" ON CONFLICT (host_id, name) DO UPDATE SET idx = excluded.idx," \
	"  admin = excluded.admin, oper = excluded.oper," \
	"  speed_bps = excluded.speed_bps, in_octets = excluded.in_octets," \
	"  out_octets = excluded.out_octets, in_errors = excluded.in_errors," \
	"  out_errors = excluded.out_errors," \
	"  in_discards = excluded.in_discards," \
	"  out_discards = excluded.out_discards, ts_ms = excluded.ts_ms"

enum { S_BEGIN, S_COMMIT, S_HOST, S_REPORT, S_SERIES, S_SAMPLE, S_ROLLUP,
    S_CHECK, S_IFACE, S_COUNT };

static const char *const sql_text[S_COUNT] = {
	"BEGIN IMMEDIATE", "COMMIT", SQL_HOST, SQL_REPORT, SQL_SERIES,
	SQL_SAMPLE, SQL_ROLLUP, SQL_CHECK, SQL_IFACE,
};

static sqlite3		*handle;
static sqlite3_stmt	*stmts[S_COUNT];

static void
die_sql(const char *what)
{
	fprintf(stderr, "ingest_raw: %s: %s (%d)\n", what,
	    sqlite3_errmsg(handle), sqlite3_extended_errcode(handle));
	exit(1);
}

/* Steps a statement to its end; returns the first row's first column. */
static int64_t
run(int which)
{
	sqlite3_stmt	*st = stmts[which];
	int64_t		 v = 0;
	int		 rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	if (rc != SQLITE_DONE)
		die_sql(sql_text[which]);
	sqlite3_reset(st);
	return v;
}

static void
text(int which, int col, const char *s)
{
	sqlite3_bind_text(stmts[which], col, s, -1, SQLITE_STATIC);
}

static void
store(const struct synth_report *r, int64_t now_ms)
{
	sqlite3_stmt	*st;
	int64_t		 host_id, series_id, hour_ms;
	char		 addresses[40];
	size_t		 i, k;

	run(S_BEGIN);
	snprintf(addresses, sizeof addresses, "[\"%s\"]", r->address);
	text(S_HOST, 1, r->agent_id);
	text(S_HOST, 2, r->host_name);
	text(S_HOST, 3, r->fqdn);
	text(S_HOST, 4, r->datacentre);
	text(S_HOST, 5, r->machine_id);
	text(S_HOST, 6, r->vendor);
	text(S_HOST, 7, r->model);
	text(S_HOST, 8, r->serial);
	text(S_HOST, 9, r->os_id);
	text(S_HOST, 10, r->os_version_id);
	text(S_HOST, 11, r->os_pretty_name);
	text(S_HOST, 12, r->kernel);
	text(S_HOST, 13, r->arch);
	text(S_HOST, 14, addresses);
	st = stmts[S_HOST];
	sqlite3_bind_int64(st, 15, r->uptime_s);
	sqlite3_bind_int(st, 16, SYNTH_INTERVAL_S);
	text(S_HOST, 17, PACKAGE_VERSION);
	sqlite3_bind_int64(st, 18, now_ms);
	sqlite3_bind_int64(st, 19, r->ts_ms);
	sqlite3_bind_int64(st, 20, r->seq);
	host_id = run(S_HOST);

	st = stmts[S_REPORT];
	sqlite3_bind_int64(st, 1, host_id);
	sqlite3_bind_int64(st, 2, r->seq);
	sqlite3_bind_int64(st, 3, r->ts_ms);
	sqlite3_bind_int64(st, 4, now_ms);
	sqlite3_bind_int64(st, 5, (int64_t)r->nmetrics);
	sqlite3_bind_int64(st, 6, (int64_t)r->nchecks);
	run(S_REPORT);

	hour_ms = r->ts_ms - r->ts_ms % 3600000;
	for (i = 0; i < r->nmetrics; i++) {
		st = stmts[S_SERIES];
		sqlite3_bind_int64(st, 1, host_id);
		text(S_SERIES, 2, r->metrics[i].name);
		text(S_SERIES, 3, r->metrics[i].labels);
		if (r->metrics[i].unit != NULL)
			text(S_SERIES, 4, r->metrics[i].unit);
		else
			sqlite3_bind_null(st, 4);
		sqlite3_bind_int64(st, 5, r->ts_ms);
		sqlite3_bind_double(st, 6, r->metrics[i].value);
		series_id = run(S_SERIES);

		st = stmts[S_SAMPLE];
		sqlite3_bind_int64(st, 1, series_id);
		sqlite3_bind_int64(st, 2, r->ts_ms);
		sqlite3_bind_double(st, 3, r->metrics[i].value);
		run(S_SAMPLE);

		st = stmts[S_ROLLUP];
		sqlite3_bind_int64(st, 1, series_id);
		sqlite3_bind_int64(st, 2, hour_ms);
		sqlite3_bind_double(st, 3, r->metrics[i].value);
		run(S_ROLLUP);
	}
	for (i = 0; i < r->nchecks; i++) {
		st = stmts[S_CHECK];
		sqlite3_bind_int64(st, 1, host_id);
		text(S_CHECK, 2, r->checks[i].name);
		sqlite3_bind_int(st, 3, r->checks[i].status);
		text(S_CHECK, 4, r->checks[i].output);
		text(S_CHECK, 5, r->checks[i].perfdata);
		sqlite3_bind_int64(st, 6, r->ts_ms);
		run(S_CHECK);
	}
	for (i = 0; i < r->nifaces; i++) {
		st = stmts[S_IFACE];
		sqlite3_bind_int64(st, 1, host_id);
		text(S_IFACE, 2, r->ifaces[i].name);
		sqlite3_bind_int(st, 3, r->ifaces[i].index);
		text(S_IFACE, 4, r->ifaces[i].admin);
		text(S_IFACE, 5, r->ifaces[i].oper);
		sqlite3_bind_int64(st, 6, r->ifaces[i].speed_bps);
		for (k = 0; k < 6; k++)
			sqlite3_bind_int64(st, 7 + (int)k,
			    r->ifaces[i].counters[k]);
		sqlite3_bind_int64(st, 13, r->ts_ms);
		run(S_IFACE);
	}
	run(S_COMMIT);
}

static void
usage(void)
{
	fprintf(stderr, "usage: ingest_raw --database FILE [--agents N] "
	    "[--reports R] [--base-ms MS]\n"
	    "  FILE must not exist yet: it is made with ward-collector's "
	    "schema.\n"
	    "Stores the reports ingest_load sends with the same options, "
	    "agent by agent\nin turn, one transaction each, and prints one "
	    "line of key=value results.\n");
	exit(2);
}

static int64_t
arg_int(const char *opt, const char *s, int64_t min, int64_t max)
{
	char	 why[128];
	int64_t	 v;

	if (s == NULL)
		usage();
	if (str_parse_int64(s, min, max, &v, why, sizeof why) == -1) {
		fprintf(stderr, "ingest_raw: %s: %s\n", opt, why);
		exit(2);
	}
	return v;
}

int
main(int argc, char **argv)
{
	struct synth_report	**reports;
	struct store		*st;
	struct timespec		 t0, t1, c0, c1;
	const char		*path = NULL;
	char			 err[1024];
	int64_t			 nreports = 40, base_ms, i, values = 0, n;
	unsigned		 agents = 50, k;
	double			 secs, cpu;
	int			 ai, s;

	log_init("ingest_raw", 0, LOG_LEVEL_WARNING);
	base_ms = synth_base_ms(wtime_now_ms());
	for (ai = 1; ai < argc; ai++) {
		if (strcmp(argv[ai], "--database") == 0 && ai + 1 < argc)
			path = argv[++ai];
		else if (strcmp(argv[ai], "--agents") == 0)
			agents = (unsigned)arg_int("--agents", argv[++ai], 1,
			    10000);
		else if (strcmp(argv[ai], "--reports") == 0)
			nreports = arg_int("--reports", argv[++ai], 1, 50000);
		else if (strcmp(argv[ai], "--base-ms") == 0)
			base_ms = arg_int("--base-ms", argv[++ai], 0,
			    INT64_MAX / 2);
		else
			usage();
	}
	if (path == NULL)
		usage();

	/* The collector's own store_open: same schema, WAL and
	 * synchronous=FULL, so only the path from report to row differs. */
	if ((st = store_open(path, 0, err, sizeof err)) == NULL) {
		fprintf(stderr, "ingest_raw: %s\n", err);
		return 1;
	}
	handle = db_handle(store_db(st));
	for (s = 0; s < S_COUNT; s++)
		if (sqlite3_prepare_v3(handle, sql_text[s], -1,
		    SQLITE_PREPARE_PERSISTENT, &stmts[s], NULL) != SQLITE_OK)
			die_sql(sql_text[s]);

	/* Made before the clock starts, as ingest_load makes its bodies. */
	n = (int64_t)agents * nreports;
	reports = xcalloc((size_t)n, sizeof *reports);
	for (i = 0; i < nreports; i++)
		for (k = 0; k < agents; k++) {
			reports[i * agents + k] = synth_report_new(k, i + 1,
			    base_ms);
			values += (int64_t)reports[i * agents + k]->nmetrics;
		}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	for (i = 0; i < n; i++)
		store(reports[i], wtime_now_ms());
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cpu = (double)(c1.tv_sec - c0.tv_sec) +
	    (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;

	printf("agents=%u reports=%" PRId64 " values=%" PRId64
	    " seconds=%.3f values_per_s=%.0f reports_per_s=%.1f cpu_s=%.2f\n",
	    agents, n, values, secs, (double)values / secs, (double)n / secs,
	    cpu);
	for (i = 0; i < n; i++)
		synth_report_free(reports[i]);
	free(reports);
	for (s = 0; s < S_COUNT; s++)
		sqlite3_finalize(stmts[s]);
	store_close(st);
	return 0;
}
