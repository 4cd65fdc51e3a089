/* route_metrics.c: GET /metrics: ward-collector's own health and each host's
 * up/stale state in the Prometheus text exposition format 0.0.4. */
#include "config.h"

#include <sys/stat.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/db.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "collector/collector.h"

#define METRICS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"
#define METRICS_ROUTES_MAX	128

#define SQL_METRICS_STATES \
	"SELECT state, count(*)" \
	" FROM hosts GROUP BY 1"
#define SQL_METRICS_HOSTS \
	"SELECT name, agent_id, coalesce(datacentre, ''), last_seen_ms," \
	"  state FROM hosts ORDER BY name, id"
#define SQL_METRICS_DROPPED \
	"SELECT coalesce(sum(dropped_total), 0) FROM hosts"

/* Label values escape backslash, double quote and newline, nothing else. */
static void
metrics_label(struct buf *b, const char *name, const char *value)
{
	buf_printf(b, "%s=\"", name);
	for (; *value != '\0'; value++) {
		if (*value == '\\')
			buf_append_str(b, "\\\\");
		else if (*value == '"')
			buf_append_str(b, "\\\"");
		else if (*value == '\n')
			buf_append_str(b, "\\n");
		else
			buf_append_char(b, *value);
	}
	buf_append_char(b, '"');
}

static void
metrics_family(struct buf *b, const char *name, const char *type,
    const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
metrics_counters(struct buf *b)
{
	int	 i;

	for (i = 0; i < STATS_COUNTER_COUNT; i++) {
		metrics_family(b, stats_counter_name(i), "counter",
		    stats_counter_help(i));
		buf_printf(b, "%s %" PRIu64 "\n", stats_counter_name(i),
		    stats_get(i));
	}
}

static void
metrics_histograms(struct buf *b)
{
	struct stats_histogram_snapshot	 h;
	const char			*name;
	int				 i, k;

	for (i = 0; i < STATS_HIST_COUNT; i++) {
		name = stats_histogram_name(i);
		stats_histogram_get(i, &h);
		metrics_family(b, name, "histogram", stats_histogram_help(i));
		for (k = 0; k < STATS_HIST_BUCKETS; k++)
			buf_printf(b, "%s_bucket{le=\"%g\"} %" PRIu64 "\n",
			    name, h.le_s[k], h.cumulative[k]);
		buf_printf(b, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name,
		    h.cumulative[STATS_HIST_BUCKETS]);
		buf_printf(b, "%s_sum %.9f\n%s_count %" PRIu64 "\n", name,
		    h.sum_s, name, h.count);
	}
}

static void
metrics_route(struct buf *b, const struct route_entry *e,
    const struct stats_route_count *counts, size_t n)
{
	static const char *const classes[STATS_STATUS_CLASSES] = {
		"1xx", "2xx", "3xx", "4xx", "5xx",
	};
	const uint64_t	*by_class = NULL;
	char		 label[256];
	size_t		 i;
	int		 k, always;

	for (i = 0; i < n; i++)
		if (counts[i].route == e)
			by_class = counts[i].by_class;
	if (e != NULL)
		snprintf(label, sizeof label, "%s %s", e->method, e->pattern);
	else
		snprintf(label, sizeof label, "unmatched");
	for (k = 0; k < STATS_STATUS_CLASSES; k++) {
		/* 2xx, 4xx and 5xx of every route from the start, so rates
		 * work from the first scrape; the rest once seen. */
		always = e != NULL && (k == 1 || k == 3 || k == 4);
		if (!always && (by_class == NULL || by_class[k] == 0))
			continue;
		buf_append_str(b, "ward_http_requests_total{");
		metrics_label(b, "route", label);
		buf_append_char(b, ',');
		metrics_label(b, "code", classes[k]);
		buf_printf(b, "} %" PRIu64 "\n", by_class != NULL ?
		    by_class[k] : 0);
	}
}

static void
metrics_requests(struct buf *b)
{
	struct stats_route_count	 counts[METRICS_ROUTES_MAX];
	const struct route_entry	*const *rp;
	size_t				 n;

	n = stats_requests(counts, METRICS_ROUTES_MAX);
	if (n > METRICS_ROUTES_MAX)
		n = METRICS_ROUTES_MAX;
	metrics_family(b, "ward_http_requests_total", "counter",
	    "HTTP requests answered, by route and status class.");
	for (rp = route_table; *rp != NULL; rp++)
		metrics_route(b, *rp, counts, n);
	metrics_route(b, NULL, counts, n);
}

static void
metrics_file_size(struct buf *b, const char *path, const char *file)
{
	struct stat	 sb;

	buf_append_str(b, "ward_db_size_bytes{");
	metrics_label(b, "file", file);
	buf_printf(b, "} %lld\n", stat(path, &sb) == 0 ?
	    (long long)sb.st_size : 0LL);
}

static int
metrics_database(struct buf *b, struct db *db, int64_t now_ms, char *err,
    size_t errlen)
{
	sqlite3_stmt	*st;
	uint64_t	 states[HOST_STATE_COUNT];
	char		*wal;
	int		 rc, i, up;

	metrics_family(b, "ward_db_size_bytes", "gauge",
	    "Size of the database files: the main file and its write-ahead "
	    "log.");
	metrics_file_size(b, db_path(db), "main");
	xasprintf(&wal, "%s-wal", db_path(db));
	metrics_file_size(b, wal, "wal");
	free(wal);

	if ((st = db_stmt(db, SQL_METRICS_DROPPED, err, errlen)) == NULL)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		db_error(db, "summing dropped reports", err, errlen);
		sqlite3_reset(st);
		return -1;
	}
	metrics_family(b, "ward_agent_dropped_reports_total", "counter",
	    "Reports agents dropped from full spools, as they said in later "
	    "reports.");
	buf_printf(b, "ward_agent_dropped_reports_total %lld\n",
	    (long long)sqlite3_column_int64(st, 0));
	sqlite3_reset(st);

	if ((st = db_stmt(db, SQL_METRICS_STATES, err, errlen)) == NULL)
		return -1;
	memset(states, 0, sizeof states);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((i = query_host_state_from_name((const char *)
		    sqlite3_column_text(st, 0))) >= 0)
			states[i] = (uint64_t)sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(db, "counting hosts by state", err, errlen);
		return -1;
	}
	metrics_family(b, "ward_hosts", "gauge", "Hosts by state.");
	for (i = 0; i < HOST_STATE_COUNT; i++) {
		buf_append_str(b, "ward_hosts{");
		metrics_label(b, "state", query_host_state_name(i));
		buf_printf(b, "} %" PRIu64 "\n", states[i]);
	}

	/* Two families, so the hosts are walked twice; each is one run. */
	for (i = 0; i < 2; i++) {
		if (i == 0)
			metrics_family(b, "ward_host_up", "gauge",
			    "1 while a host reports on time, 0 when it is "
			    "stale.");
		else
			metrics_family(b, "ward_host_last_report_age_seconds",
			    "gauge", "Seconds since the collector last "
			    "received a report from the host.");
		if ((st = db_stmt(db, SQL_METRICS_HOSTS, err, errlen)) == NULL)
			return -1;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			buf_append_str(b, i == 0 ? "ward_host_up{" :
			    "ward_host_last_report_age_seconds{");
			metrics_label(b, "host", (const char *)
			    sqlite3_column_text(st, 0));
			buf_append_char(b, ',');
			metrics_label(b, "agent_id", (const char *)
			    sqlite3_column_text(st, 1));
			buf_append_char(b, ',');
			metrics_label(b, "datacentre", (const char *)
			    sqlite3_column_text(st, 2));
			if (i == 0) {
				up = strcmp((const char *)sqlite3_column_text(
				    st, 4), "UP") == 0;
				buf_printf(b, "} %d\n", up);
			} else
				buf_printf(b, "} %.3f\n", (double)(now_ms -
				    sqlite3_column_int64(st, 3)) / 1000.0);
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			db_error(db, "listing hosts", err, errlen);
			return -1;
		}
	}
	return 0;
}

/* Each command's last run that ended, and when one last ended ok; a run
 * killed, which the next found interrupted, has no end: its start stands
 * for it. */
#define SQL_METRICS_IDENTITY_RUNS \
	"SELECT r.command, coalesce(r.finished_ms, r.started_ms) AS finished_ms," \
	"  r.outcome = 'ok' AS ok," \
	"  (SELECT max(o.finished_ms) FROM runs o WHERE o.command = r.command" \
	"   AND o.outcome = 'ok') AS last_ok" \
	" FROM runs r WHERE r.id IN (SELECT max(id) FROM runs" \
	"  WHERE outcome <> 'running' GROUP BY command) ORDER BY r.command"
#define SQL_METRICS_IDENTITY_PERSONS \
	"SELECT s.status, (SELECT count(*) FROM persons p" \
	"  WHERE p.status = s.status)" \
	" FROM (SELECT 'active' AS status UNION ALL SELECT 'leaver') s"
#define SQL_METRICS_IDENTITY_CONFLICTS \
	"SELECT kind, count(*) FROM conflicts GROUP BY kind ORDER BY kind"
#define SQL_METRICS_IDENTITY_WAITING \
	"SELECT count(*) FROM accounts a WHERE a.kind = 'person' AND" \
	" NOT EXISTS (SELECT 1 FROM links l WHERE l.domain = a.domain" \
	" AND l.guid = a.guid)"

/* Rows of sql as one gauge family: each row's text columns (the first
 * nlabels) are the labels named by labels[], the next its value. */
static int
metrics_rows(struct buf *b, struct db *db, const char *sql, const char *name,
    const char *const *labels, int nlabels, double scale, char *err,
    size_t errlen)
{
	sqlite3_stmt	*st;
	const char	*v;
	int		 rc, i;

	if ((st = db_stmt(db, sql, err, errlen)) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, nlabels) == SQLITE_NULL)
			continue;
		buf_append_str(b, name);
		for (i = 0; i < nlabels; i++) {
			v = (const char *)sqlite3_column_text(st, i);
			buf_append_char(b, i == 0 ? '{' : ',');
			metrics_label(b, labels[i], v != NULL ? v : "");
		}
		if (nlabels > 0)
			buf_append_char(b, '}');
		buf_printf(b, " %.15g\n", sqlite3_column_double(st, nlabels) *
		    scale);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(db, name, err, errlen);
		return -1;
	}
	return 0;
}

/*
 * ward-idsync's runs and what they left, when [identity] db is set: what
 * an alert on a sync that stopped running, or that fails, is written on
 * (time() - ward_identity_last_success_timestamp_seconds{command="run"}).
 * A database not there to read is ward_identity_up 0, not a failed
 * scrape.
 */
static int
metrics_identity(struct buf *b, const struct collector_config *cfg,
    char *err, size_t errlen)
{
	static const char *const command[] = { "command" };
	static const char *const status[] = { "status" };
	static const char *const kind[] = { "kind" };
	static const char *const runs[][2] = {
		{ "ward_identity_last_run_timestamp_seconds", "When the last "
		  "finished run of each ward-idsync command ended." },
		{ "ward_identity_last_run_success", "1 when the last finished "
		  "run of the command ended ok, else 0 (failed, stopped by a "
		  "threshold, interrupted)." },
		{ "ward_identity_last_success_timestamp_seconds", "When the "
		  "last run of the command that ended ok ended." },
	};
	enum identity_state	 state;
	struct db		*db;
	char			*sql;
	int			 i, rc = 0;

	if (cfg == NULL || cfg->identity.db == NULL ||
	    cfg->identity.db[0] == '\0')
		return 0;
	db = identity_db(cfg, 0, &state, err, errlen);
	metrics_family(b, "ward_identity_up", "gauge", "1 when ward-idsync's "
	    "database ([identity] db) can be read, else 0.");
	buf_printf(b, "ward_identity_up %d\n", db != NULL);
	if (db == NULL)
		return 0;
	for (i = 0; i < 3 && rc == 0; i++) {
		metrics_family(b, runs[i][0], "gauge", runs[i][1]);
		/* One query, its value column moved to the i-th. */
		xasprintf(&sql, "SELECT command, %s FROM (%s)", i == 0 ?
		    "finished_ms" : i == 1 ? "ok" : "last_ok",
		    SQL_METRICS_IDENTITY_RUNS);
		rc = metrics_rows(b, db, sql, runs[i][0], command, 1, i == 1 ?
		    1 : 0.001, err, errlen);
		free(sql);
	}
	if (rc == 0) {
		metrics_family(b, "ward_identity_persons", "gauge",
		    "Persons by status.");
		rc = metrics_rows(b, db, SQL_METRICS_IDENTITY_PERSONS,
		    "ward_identity_persons", status, 1, 1, err, errlen);
	}
	if (rc == 0) {
		metrics_family(b, "ward_identity_conflicts", "gauge",
		    "Conflicts waiting for a person to decide, by kind.");
		rc = metrics_rows(b, db, SQL_METRICS_IDENTITY_CONFLICTS,
		    "ward_identity_conflicts", kind, 1, 1, err, errlen);
	}
	if (rc == 0) {
		metrics_family(b, "ward_identity_accounts_waiting", "gauge",
		    "Person accounts linked to no person.");
		rc = metrics_rows(b, db, SQL_METRICS_IDENTITY_WAITING,
		    "ward_identity_accounts_waiting", NULL, 0, 1, err,
		    errlen);
	}
	db_close(db);
	return rc;
}

static void
metrics_get(struct request *req, struct reply *rep)
{
	struct db	*db;
	struct buf	 b;
	char		 err[512];

	/* Its size follows the number of hosts, not anything a client
	 * sends. */
	buf_init(&b, 0);
	metrics_counters(&b);
	metrics_histograms(&b);
	metrics_requests(&b);
	if ((db = query_db(req->c->store, err, sizeof err)) == NULL ||
	    metrics_database(&b, db, wtime_now_ms(), err, sizeof err) == -1 ||
	    metrics_identity(&b, req->c->cfg, err, sizeof err) == -1) {
		buf_free(&b);
		query_fail(req, rep, err);
		return;
	}
	rep->status = 200;
	rep->text = buf_detach(&b, NULL);
	rep->content_type = METRICS_CONTENT_TYPE;
}

const struct route_entry route_metrics = {
	"GET", "/metrics", ROLES_READ, metrics_get,
	"ward-collector's own health for Prometheus (text format 0.0.4).",
};
