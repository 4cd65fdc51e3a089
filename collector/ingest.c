/* ingest.c: commits validated reports (validate.c): all of a body in one
 * transaction, so a body is taken whole or not at all, and a replayed
 * report is acknowledged without being stored twice. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "common/wjson.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "collector/collector.h"

/* ------------------------------------------------------------ storing */

/* Binds a JSON string member, or NULL when absent. */
static void
bind_str(sqlite3_stmt *st, int col, json_t *obj, const char *key)
{
	const char	*s = obj != NULL ?
	    json_string_value(json_object_get(obj, key)) : NULL;

	if (s != NULL)
		sqlite3_bind_text(st, col, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, col);
}

static void
bind_int(sqlite3_stmt *st, int col, json_t *obj, const char *key)
{
	json_t	*v = json_object_get(obj, key);

	if (json_is_integer(v))
		sqlite3_bind_int64(st, col, json_integer_value(v));
	else
		sqlite3_bind_null(st, col);
}

static int
step_done(struct db *db, sqlite3_stmt *st, const char *what, char *err,
    size_t errlen)
{
	int	 rc = sqlite3_step(st);

	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	db_error(db, what, err, errlen);
	return -1;
}

#define SQL_HOST_FIND \
	"SELECT id, name, last_report_ms FROM hosts WHERE agent_id = ?1"
#define SQL_REPORT_SEEN \
	"SELECT 1 FROM reports WHERE host_id = ?1 AND seq = ?2"
#define SQL_HOST_INSERT \
	"INSERT INTO hosts (agent_id, name, first_seen_ms, last_seen_ms," \
	"  last_report_ms, last_seq) VALUES (?1, ?2, ?3, ?3, ?4, ?5)" \
	" RETURNING id"
/* What a host is (kind, hardware, OS, firmware, addresses) stays when a
 * report leaves it out: a poller that cannot reach a device says nothing
 * of its model, and the model is still the device's. "" clears it. */
#define KEEP(col, n)	"  " col " = NULLIF(coalesce(?" #n ", " col "), '')"
#define SQL_HOST_UPDATE \
	"UPDATE hosts SET name = ?2, fqdn = ?3, datacentre = ?4," \
	"  kind = coalesce(?5, kind)," KEEP("machine_id", 6) "," \
	KEEP("vendor", 7) "," KEEP("model", 8) "," KEEP("serial", 9) "," \
	KEEP("bios_date", 10) "," KEEP("os_id", 11) "," \
	KEEP("os_version_id", 12) "," KEEP("os_pretty_name", 13) "," \
	KEEP("kernel", 14) "," KEEP("arch", 15) "," KEEP("fw_vendor", 16) "," \
	KEEP("fw_product", 17) "," KEEP("fw_version", 18) "," \
	KEEP("fw_family", 19) "," KEEP("addresses", 20) "," \
	"  uptime_s = ?21, interval_s = ?22," \
	"  agent_version = ?23, last_report_ms = ?24" \
	" WHERE id = ?1"
#define SQL_HOST_SEEN \
	"UPDATE hosts SET last_seen_ms = ?2, last_seq = max(last_seq, ?3)," \
	"  dropped_total = CASE WHEN dropped_total > 9223372036854775807 - ?4" \
	"    THEN 9223372036854775807 ELSE dropped_total + ?4 END" \
	" WHERE id = ?1"
#define SQL_RENAME \
	"INSERT INTO host_renames (host_id, old_name, new_name, at_ms)" \
	" VALUES (?1, ?2, ?3, ?4)"
#define SQL_REPORT_INSERT \
	"INSERT INTO reports (host_id, seq, ts_ms, received_ms, metrics," \
	"  checks, dropped) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
#define SQL_SERIES_UPSERT \
	"INSERT INTO series (host_id, name, labels, unit, last_ts_ms," \
	"  last_value) VALUES (?1, ?2, ?3, ?4, ?5, ?6)" \
	" ON CONFLICT (host_id, name, labels) DO UPDATE SET" \
	"  unit = coalesce(excluded.unit, unit)," \
	"  last_value = CASE WHEN last_ts_ms IS NULL OR" \
	"    excluded.last_ts_ms > last_ts_ms THEN excluded.last_value" \
	"    ELSE last_value END," \
	"  last_ts_ms = max(coalesce(last_ts_ms, excluded.last_ts_ms)," \
	"    excluded.last_ts_ms)" \
	" RETURNING id"
#define SQL_SAMPLE_INSERT \
	"INSERT OR IGNORE INTO samples (series_id, ts_ms, value)" \
	" VALUES (?1, ?2, ?3)"
#define SQL_ROLLUP_UPSERT \
	"INSERT INTO rollups_hourly (series_id, hour_ms, min, avg, max," \
	"  count) VALUES (?1, ?2, ?3, ?3, ?3, 1)" \
	" ON CONFLICT (series_id, hour_ms) DO UPDATE SET" \
	"  min = min(min, excluded.min), max = max(max, excluded.max)," \
	"  avg = (avg * count + excluded.avg) / (count + 1)," \
	"  count = count + 1"
#define SQL_CHECK_UPSERT \
	"INSERT INTO checks (host_id, name, status, output, perfdata, ts_ms)" \
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6)" \
	" ON CONFLICT (host_id, name) DO UPDATE SET status = excluded.status," \
	"  output = excluded.output, perfdata = excluded.perfdata," \
	"  ts_ms = excluded.ts_ms WHERE excluded.ts_ms >= ts_ms"
#define SQL_IFACE_UPSERT \
	"INSERT INTO interfaces (host_id, name, idx, alias, type, admin," \
	"  oper, speed_bps, mac, in_octets, out_octets, in_errors," \
	"  out_errors, in_discards, out_discards, ts_ms)" \
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13," \
	"  ?14, ?15, ?16)" \
	" ON CONFLICT (host_id, name) DO UPDATE SET idx = excluded.idx," \
	"  alias = excluded.alias, type = excluded.type," \
	"  admin = excluded.admin, oper = excluded.oper," \
	"  speed_bps = excluded.speed_bps, mac = excluded.mac," \
	"  in_octets = excluded.in_octets, out_octets = excluded.out_octets," \
	"  in_errors = excluded.in_errors, out_errors = excluded.out_errors," \
	"  in_discards = excluded.in_discards," \
	"  out_discards = excluded.out_discards, ts_ms = excluded.ts_ms" \
	" WHERE excluded.ts_ms >= ts_ms"

#define SQL_SOFTWARE_CLEAR \
	"DELETE FROM software WHERE host_id = ?1"
#define SQL_SOFTWARE_INSERT \
	"INSERT OR IGNORE INTO software (host_id, name, type, installed)" \
	" VALUES (?1, ?2, ?3, ?4)"
#define SQL_SOFTWARE_WHEN \
	"UPDATE hosts SET software_ms = ?2 WHERE id = ?1"

/* Identity fields are taken only from a report newer than the last one,
 * so a replayed old report does not roll a host's facts back. */
static int
store_host_identity(struct db *db, int64_t host_id, json_t *r, json_t *host,
    int64_t ts_ms, char *err, size_t errlen)
{
	sqlite3_stmt	*st;
	json_t		*os, *fw, *addrs;
	const char	*kind;
	char		*addr_text = NULL;
	int		 rc;

	if ((st = db_stmt(db, SQL_HOST_UPDATE, err, errlen)) == NULL)
		return -1;
	os = json_object_get(host, "os");
	fw = json_object_get(host, "firmware");
	addrs = json_object_get(host, "addresses");
	kind = json_string_value(json_object_get(host, "kind"));
	sqlite3_bind_int64(st, 1, host_id);
	bind_str(st, 2, host, "name");
	bind_str(st, 3, host, "fqdn");
	bind_str(st, 4, host, "datacentre");
	if (kind != NULL)
		sqlite3_bind_text(st, 5, kind, -1, SQLITE_STATIC);
	bind_str(st, 6, host, "machine_id");
	bind_str(st, 7, host, "vendor");
	bind_str(st, 8, host, "model");
	bind_str(st, 9, host, "serial");
	bind_str(st, 10, host, "bios_date");
	bind_str(st, 11, os, "id");
	bind_str(st, 12, os, "version_id");
	bind_str(st, 13, os, "pretty_name");
	bind_str(st, 14, os, "kernel");
	bind_str(st, 15, os, "arch");
	bind_str(st, 16, fw, "vendor");
	bind_str(st, 17, fw, "product");
	bind_str(st, 18, fw, "version");
	bind_str(st, 19, fw, "family");
	if (json_is_array(addrs)) {
		addr_text = wjson_dump(addrs);
		sqlite3_bind_text(st, 20, addr_text, -1, SQLITE_TRANSIENT);
	}
	bind_int(st, 21, host, "uptime_s");
	if (json_is_integer(json_object_get(r, "interval_s")))
		bind_int(st, 22, r, "interval_s");
	else
		sqlite3_bind_int(st, 22, 60);
	bind_str(st, 23, json_object_get(r, "agent"), "version");
	sqlite3_bind_int64(st, 24, ts_ms);
	rc = step_done(db, st, "updating host", err, errlen);
	free(addr_text);
	return rc;
}

static int
store_metrics(struct db *db, int64_t host_id, json_t *metrics, int64_t ts_ms,
    char *err, size_t errlen)
{
	sqlite3_stmt	*series, *sample, *rollup;
	json_t		*m, *labels;
	char		*label_text;
	int64_t		 series_id, hour_ms;
	double		 value;
	size_t		 i;
	int		 rc;

	hour_ms = ts_ms - (((ts_ms % 3600000) + 3600000) % 3600000);
	json_array_foreach(metrics, i, m) {
		if ((series = db_stmt(db, SQL_SERIES_UPSERT, err, errlen)) ==
		    NULL)
			return -1;
		value = json_number_value(json_object_get(m, "value"));
		labels = json_object_get(m, "labels");
		label_text = NULL;
		if (json_is_object(labels) && json_object_size(labels) > 0)
			label_text = json_dumps(labels,
			    JSON_COMPACT | JSON_SORT_KEYS);
		sqlite3_bind_int64(series, 1, host_id);
		bind_str(series, 2, m, "name");
		sqlite3_bind_text(series, 3, label_text ? label_text : "", -1,
		    SQLITE_TRANSIENT);
		free(label_text);
		bind_str(series, 4, m, "unit");
		sqlite3_bind_int64(series, 5, ts_ms);
		sqlite3_bind_double(series, 6, value);
		if (sqlite3_step(series) != SQLITE_ROW) {
			db_error(db, "storing a metric series", err, errlen);
			return -1;
		}
		series_id = sqlite3_column_int64(series, 0);
		sqlite3_reset(series);

		if ((sample = db_stmt(db, SQL_SAMPLE_INSERT, err, errlen)) ==
		    NULL)
			return -1;
		sqlite3_bind_int64(sample, 1, series_id);
		sqlite3_bind_int64(sample, 2, ts_ms);
		sqlite3_bind_double(sample, 3, value);
		if (step_done(db, sample, "storing a sample", err, errlen) ==
		    -1)
			return -1;
		/* The same (series, ts) twice in one report: keep the first
		 * and count it once in the roll-up. */
		if (sqlite3_changes(db_handle(db)) == 0)
			continue;
		if ((rollup = db_stmt(db, SQL_ROLLUP_UPSERT, err, errlen)) ==
		    NULL)
			return -1;
		sqlite3_bind_int64(rollup, 1, series_id);
		sqlite3_bind_int64(rollup, 2, hour_ms);
		sqlite3_bind_double(rollup, 3, value);
		rc = step_done(db, rollup, "updating a roll-up", err, errlen);
		if (rc == -1)
			return -1;
	}
	return 0;
}

static int
store_checks(struct db *db, int64_t host_id, json_t *checks, int64_t ts_ms,
    char *err, size_t errlen)
{
	sqlite3_stmt	*st;
	json_t		*c;
	size_t		 i;

	json_array_foreach(checks, i, c) {
		if ((st = db_stmt(db, SQL_CHECK_UPSERT, err, errlen)) == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, host_id);
		bind_str(st, 2, c, "name");
		bind_int(st, 3, c, "status");
		bind_str(st, 4, c, "output");
		bind_str(st, 5, c, "perfdata");
		sqlite3_bind_int64(st, 6, ts_ms);
		if (step_done(db, st, "storing a check", err, errlen) == -1)
			return -1;
	}
	return 0;
}

static int
store_interfaces(struct db *db, int64_t host_id, json_t *ifs, int64_t ts_ms,
    char *err, size_t errlen)
{
	sqlite3_stmt	*st;
	json_t		*f;
	size_t		 i, k;

	json_array_foreach(ifs, i, f) {
		if ((st = db_stmt(db, SQL_IFACE_UPSERT, err, errlen)) == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, host_id);
		bind_str(st, 2, f, "name");
		bind_int(st, 3, f, "index");
		bind_str(st, 4, f, "alias");
		bind_str(st, 5, f, "type");
		bind_str(st, 6, f, "admin");
		bind_str(st, 7, f, "oper");
		bind_int(st, 8, f, "speed_bps");
		bind_str(st, 9, f, "mac");
		for (k = 0; validate_if_counters[k] != NULL; k++)
			bind_int(st, 10 + (int)k, f, validate_if_counters[k]);
		sqlite3_bind_int64(st, 16, ts_ms);
		if (step_done(db, st, "storing an interface", err, errlen) ==
		    -1)
			return -1;
	}
	return 0;
}

/* A report's software list replaces the host's whole. */
static int
store_software(struct db *db, int64_t host_id, json_t *list, int64_t ts_ms,
    char *err, size_t errlen)
{
	sqlite3_stmt	*st;
	json_t		*e;
	size_t		 i;

	if (list == NULL)
		return 0;
	if ((st = db_stmt(db, SQL_SOFTWARE_CLEAR, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, host_id);
	if (step_done(db, st, "replacing the software list", err, errlen) ==
	    -1)
		return -1;
	json_array_foreach(list, i, e) {
		if ((st = db_stmt(db, SQL_SOFTWARE_INSERT, err,
		    errlen)) == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, host_id);
		bind_str(st, 2, e, "name");
		bind_str(st, 3, e, "type");
		bind_str(st, 4, e, "installed");
		if (step_done(db, st, "storing software", err, errlen) == -1)
			return -1;
	}
	if ((st = db_stmt(db, SQL_SOFTWARE_WHEN, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, host_id);
	sqlite3_bind_int64(st, 2, ts_ms);
	return step_done(db, st, "recording the software list", err, errlen);
}

/* Stores one validated report; *duplicate set when it was stored before. */
static int
store_report(struct db *db, const struct health_engine *health, json_t *r,
    int64_t now_ms, int *duplicate, char *err, size_t errlen)
{
	sqlite3_stmt	*st;
	json_t		*host = json_object_get(r, "host");
	json_t		*metrics = json_object_get(r, "metrics");
	json_t		*checks = json_object_get(r, "checks");
	const char	*agent_id, *name, *ts;
	char		*old_name = NULL;
	int64_t		 seq, ts_ms, host_id, last_report_ms = INT64_MIN;
	int64_t		 dropped;
	int		 rc, newer;

	*duplicate = 0;
	agent_id = json_string_value(json_object_get(json_object_get(r,
	    "agent"), "id"));
	name = json_string_value(json_object_get(host, "name"));
	seq = json_integer_value(json_object_get(r, "seq"));
	dropped = json_integer_value(json_object_get(r, "dropped"));
	ts = json_string_value(json_object_get(r, "ts"));
	if (wtime_parse_iso8601(ts, &ts_ms, err, errlen) == -1)
		return -1;

	if ((st = db_stmt(db, SQL_HOST_FIND, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, agent_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		host_id = sqlite3_column_int64(st, 0);
		if (strcmp((const char *)sqlite3_column_text(st, 1), name) != 0)
			old_name = xstrdup((const char *)
			    sqlite3_column_text(st, 1));
		last_report_ms = sqlite3_column_int64(st, 2);
		sqlite3_reset(st);
	} else if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		if ((st = db_stmt(db, SQL_HOST_INSERT, err, errlen)) == NULL)
			return -1;
		sqlite3_bind_text(st, 1, agent_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now_ms);
		sqlite3_bind_int64(st, 4, ts_ms);
		sqlite3_bind_int64(st, 5, seq);
		if (sqlite3_step(st) != SQLITE_ROW) {
			db_error(db, "adding a host", err, errlen);
			return -1;
		}
		host_id = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	} else {
		db_error(db, "looking up a host", err, errlen);
		return -1;
	}

	if ((st = db_stmt(db, SQL_REPORT_SEEN, err, errlen)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, host_id);
	sqlite3_bind_int64(st, 2, seq);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW) {
		*duplicate = 1;
		free(old_name);
		return 0;
	}

	newer = ts_ms >= last_report_ms;
	if (newer) {
		if (store_host_identity(db, host_id, r, host, ts_ms, err,
		    errlen) == -1)
			goto fail;
		if (old_name != NULL) {
			if ((st = db_stmt(db, SQL_RENAME, err, errlen)) == NULL)
				goto fail;
			sqlite3_bind_int64(st, 1, host_id);
			sqlite3_bind_text(st, 2, old_name, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 4, now_ms);
			if (step_done(db, st, "recording a rename", err,
			    errlen) == -1)
				goto fail;
		}
	}
	if ((st = db_stmt(db, SQL_HOST_SEEN, err, errlen)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, host_id);
	sqlite3_bind_int64(st, 2, now_ms);
	sqlite3_bind_int64(st, 3, seq);
	sqlite3_bind_int64(st, 4, dropped);
	if (step_done(db, st, "updating host", err, errlen) == -1)
		goto fail;

	if ((st = db_stmt(db, SQL_REPORT_INSERT, err, errlen)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, host_id);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_bind_int64(st, 3, ts_ms);
	sqlite3_bind_int64(st, 4, now_ms);
	sqlite3_bind_int64(st, 5, (int64_t)json_array_size(metrics));
	sqlite3_bind_int64(st, 6, (int64_t)json_array_size(checks));
	sqlite3_bind_int64(st, 7, dropped);
	if (step_done(db, st, "recording the report", err, errlen) == -1)
		goto fail;

	if (store_metrics(db, host_id, metrics, ts_ms, err, errlen) == -1 ||
	    store_checks(db, host_id, checks, ts_ms, err, errlen) == -1 ||
	    store_interfaces(db, host_id, json_object_get(r, "interfaces"),
	    ts_ms, err, errlen) == -1)
		goto fail;
	/* An old report replayed late does not bring back an old list. */
	if (newer && store_software(db, host_id, json_object_get(r,
	    "software"), ts_ms, err, errlen) == -1)
		goto fail;
	/* States move forward in time only: a late replay is history. */
	if (newer && health != NULL && evaluate_report(db, health, host_id, r,
	    ts_ms, now_ms, err, errlen) == -1)
		goto fail;
	free(old_name);
	return 0;

fail:
	free(old_name);
	return -1;
}

int
ingest_reports(struct store *st, json_t *doc, int64_t now_ms,
    struct ingest_result *res, int *status, char *err, size_t errlen)
{
	struct db	*db = store_db(st);
	json_t		*r;
	size_t		 i, n;
	int		 dup;

	memset(res, 0, sizeof *res);
	*status = 400;
	if (validate_reports(doc, now_ms, err, errlen) == -1)
		return -1;
	n = json_is_array(doc) ? json_array_size(doc) : 1;

	*status = 503;
	if (db_begin(db, err, errlen) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		r = json_is_array(doc) ? json_array_get(doc, i) : doc;
		if (store_report(db, store_health(st), r, now_ms, &dup, err,
		    errlen) == -1) {
			db_rollback(db);
			memset(res, 0, sizeof *res);
			return -1;
		}
		if (dup)
			res->duplicates++;
		else
			res->accepted++;
	}
	if (db_commit(db, err, errlen) == -1) {
		memset(res, 0, sizeof *res);
		return -1;
	}
	*status = 200;
	return 0;
}
