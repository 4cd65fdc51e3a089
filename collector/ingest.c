/* ingest.c: validates reports (docs/report.md) and commits them. Every
 * report in a body is checked before anything is stored, and all of them
 * are stored in one transaction, so a body is taken whole or not at all. */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "common/str.h"
#include "common/wjson.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "collector/collector.h"

#define REPORT_SCHEMA_CURRENT	1
#define REPORT_SCHEMA_OLDEST	1
#define REPORTS_PER_BODY_MAX	500
#define FUTURE_SLACK_MS		(5 * 60 * 1000LL)
#define PAST_LIMIT_MS		(400 * 86400 * 1000LL)
#define METRICS_MAX		20000
#define CHECKS_MAX		1000
#define INTERFACES_MAX		10000
#define LABELS_MAX		16
#define ADDRESSES_MAX		64
#define TEXT_MAX		255
#define OUTPUT_MAX		4096

#define CHARS_ID	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-"
#define CHARS_METRIC	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-"
#define CHARS_LABEL	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"

static const char *const host_kinds[] = {
	"server", "switch", "router", "firewall", "ups", "pdu", "bmc",
	"storage", "appliance", "other", NULL,
};
static const char *const if_states[] = {
	"up", "down", "testing", "unknown", "dormant", "notPresent",
	"lowerLayerDown", NULL,
};
static const char *const if_counters[] = {
	"in_octets", "out_octets", "in_errors", "out_errors", "in_discards",
	"out_discards", NULL,
};

static int
in_list(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/* A string field: absent is fine unless required; length in [min, max]
 * bytes; every byte from charset when one is given. */
static int
check_str(json_t *obj, const char *path, const char *key, int required,
    size_t min, size_t max, const char *charset, const char **out, char *err,
    size_t errlen)
{
	const char	*s = NULL;
	size_t		 len;
	int		 rc;

	rc = wjson_get_string(obj, path, key, required, &s, err, errlen);
	if (out != NULL)
		*out = rc == 0 ? s : NULL;
	if (rc != 0)
		return rc == 1 ? 0 : -1;
	len = strlen(s);
	if (len < min || len > max) {
		snprintf(err, errlen, "%s.%s: length %zu is outside %zu..%zu "
		    "bytes", path, key, len, min, max);
		return -1;
	}
	if (charset != NULL && strspn(s, charset) != len) {
		snprintf(err, errlen, "%s.%s: byte %zu is not allowed (use "
		    "A-Z a-z 0-9 _ .%s -)", path, key, strspn(s, charset) + 1,
		    strchr(charset, ':') != NULL ? " :" : "");
		return -1;
	}
	return 0;
}

static int
check_strings(json_t *obj, const char *path, const char *const *keys,
    char *err, size_t errlen)
{
	for (; *keys != NULL; keys++)
		if (check_str(obj, path, *keys, 0, 0, TEXT_MAX, NULL, NULL,
		    err, errlen) == -1)
			return -1;
	return 0;
}

static int
check_array(json_t *obj, const char *path, const char *key, size_t max,
    json_t **out, char *err, size_t errlen)
{
	int	 rc;

	*out = NULL;
	rc = wjson_get_array(obj, path, key, 0, out, err, errlen);
	if (rc == -1)
		return -1;
	if (rc == 0 && json_array_size(*out) > max) {
		snprintf(err, errlen, "%s.%s: %zu entries, at most %zu allowed",
		    path, key, json_array_size(*out), max);
		return -1;
	}
	return 0;
}

static int
check_host(json_t *report, const char *path, char *err, size_t errlen)
{
	static const char *const host_strings[] = {
		"fqdn", "datacentre", "machine_id", "vendor", "model", "serial",
		"bios_date", NULL,
	};
	static const char *const os_strings[] = {
		"id", "version_id", "pretty_name", "kernel", "arch", NULL,
	};
	static const char *const fw_strings[] = {
		"vendor", "product", "version", "family", NULL,
	};
	char		 hpath[64], sub[80];
	json_t		*host, *o, *addrs, *a;
	const char	*kind;
	int64_t		 i64;
	size_t		 i;

	snprintf(hpath, sizeof hpath, "%s.host", path);
	if (wjson_get_object(report, path, "host", 1, &host, err, errlen) != 0)
		return -1;
	if (check_str(host, hpath, "name", 1, 1, TEXT_MAX, NULL, NULL, err,
	    errlen) == -1 || check_strings(host, hpath, host_strings, err,
	    errlen) == -1)
		return -1;
	if (check_str(host, hpath, "kind", 0, 1, 32, NULL, &kind, err,
	    errlen) == -1)
		return -1;
	if (kind != NULL && !in_list(kind, host_kinds)) {
		snprintf(err, errlen, "%s.kind: unknown kind (use server, "
		    "switch, router, firewall, ups, pdu, bmc, storage, "
		    "appliance or other)", hpath);
		return -1;
	}
	snprintf(sub, sizeof sub, "%s.os", hpath);
	o = NULL;
	if (wjson_get_object(host, hpath, "os", 0, &o, err, errlen) == -1 ||
	    (o != NULL && check_strings(o, sub, os_strings, err, errlen) == -1))
		return -1;
	o = NULL;
	snprintf(sub, sizeof sub, "%s.firmware", hpath);
	if (wjson_get_object(host, hpath, "firmware", 0, &o, err, errlen) ==
	    -1 || (o != NULL && check_strings(o, sub, fw_strings, err,
	    errlen) == -1))
		return -1;
	if (check_array(host, hpath, "addresses", ADDRESSES_MAX, &addrs, err,
	    errlen) == -1)
		return -1;
	json_array_foreach(addrs, i, a) {
		if (!json_is_string(a) || json_string_length(a) == 0 ||
		    json_string_length(a) > 64) {
			snprintf(err, errlen, "%s.addresses[%zu]: expected an "
			    "address string of 1..64 bytes", hpath, i);
			return -1;
		}
	}
	if (wjson_get_int(host, hpath, "uptime_s", 0, 0, INT64_MAX, &i64, err,
	    errlen) == -1)
		return -1;
	return 0;
}

static int
check_metrics(json_t *report, const char *path, char *err, size_t errlen)
{
	json_t		*metrics, *m, *labels, *v;
	const char	*key;
	char		 mpath[96];
	double		 value;
	size_t		 i;

	if (check_array(report, path, "metrics", METRICS_MAX, &metrics, err,
	    errlen) == -1)
		return -1;
	json_array_foreach(metrics, i, m) {
		snprintf(mpath, sizeof mpath, "%s.metrics[%zu]", path, i);
		if (!json_is_object(m)) {
			snprintf(err, errlen, "%s: expected an object, got %s",
			    mpath, wjson_type_name(m));
			return -1;
		}
		if (check_str(m, mpath, "name", 1, 1, 128, CHARS_METRIC, NULL,
		    err, errlen) == -1 ||
		    wjson_get_number(m, mpath, "value", 1, &value, err,
		    errlen) != 0 ||
		    check_str(m, mpath, "unit", 0, 0, 32, NULL, NULL, err,
		    errlen) == -1)
			return -1;
		if (!isfinite(value)) {
			snprintf(err, errlen, "%s.value: not a finite number",
			    mpath);
			return -1;
		}
		labels = NULL;
		if (wjson_get_object(m, mpath, "labels", 0, &labels, err,
		    errlen) == -1)
			return -1;
		if (labels == NULL)
			continue;
		if (json_object_size(labels) > LABELS_MAX) {
			snprintf(err, errlen, "%s.labels: %zu labels, at most "
			    "%d allowed", mpath, json_object_size(labels),
			    LABELS_MAX);
			return -1;
		}
		json_object_foreach(labels, key, v) {
			size_t	 klen = strlen(key);
			char	 vis[80];

			if (klen == 0 || klen > 64 ||
			    strspn(key, CHARS_LABEL) != klen) {
				snprintf(err, errlen, "%s.labels: key \"%s\" is "
				    "not 1..64 of A-Z a-z 0-9 _ . -", mpath,
				    str_vis(vis, sizeof vis, key));
				return -1;
			}
			if (!json_is_string(v) ||
			    json_string_length(v) > TEXT_MAX) {
				snprintf(err, errlen, "%s.labels.%s: expected "
				    "a string of at most %d bytes", mpath, key,
				    TEXT_MAX);
				return -1;
			}
		}
	}
	return 0;
}

static int
check_checks(json_t *report, const char *path, char *err, size_t errlen)
{
	json_t		*checks, *c, *other;
	const char	*name, *oname;
	char		 cpath[96];
	int64_t		 status;
	size_t		 i, j;

	if (check_array(report, path, "checks", CHECKS_MAX, &checks, err,
	    errlen) == -1)
		return -1;
	json_array_foreach(checks, i, c) {
		snprintf(cpath, sizeof cpath, "%s.checks[%zu]", path, i);
		if (!json_is_object(c)) {
			snprintf(err, errlen, "%s: expected an object, got %s",
			    cpath, wjson_type_name(c));
			return -1;
		}
		if (check_str(c, cpath, "name", 1, 1, 128, CHARS_METRIC, &name,
		    err, errlen) == -1 ||
		    wjson_get_int(c, cpath, "status", 1, 0, 3, &status, err,
		    errlen) != 0 ||
		    check_str(c, cpath, "output", 0, 0, OUTPUT_MAX, NULL, NULL,
		    err, errlen) == -1 ||
		    check_str(c, cpath, "perfdata", 0, 0, OUTPUT_MAX, NULL,
		    NULL, err, errlen) == -1)
			return -1;
		/* Names are few per report; quadratic is fine at <= 1000. */
		for (j = 0; j < i; j++) {
			other = json_array_get(checks, j);
			oname = json_string_value(json_object_get(other,
			    "name"));
			if (oname != NULL && strcmp(oname, name) == 0) {
				snprintf(err, errlen, "%s.name: \"%s\" repeats "
				    "checks[%zu]", cpath, name, j);
				return -1;
			}
		}
	}
	return 0;
}

static int
check_interfaces(json_t *report, const char *path, char *err, size_t errlen)
{
	json_t		*ifs, *f;
	const char	*state;
	char		 fpath[96];
	int64_t		 i64;
	size_t		 i, k;

	if (check_array(report, path, "interfaces", INTERFACES_MAX, &ifs, err,
	    errlen) == -1)
		return -1;
	json_array_foreach(ifs, i, f) {
		snprintf(fpath, sizeof fpath, "%s.interfaces[%zu]", path, i);
		if (!json_is_object(f)) {
			snprintf(err, errlen, "%s: expected an object, got %s",
			    fpath, wjson_type_name(f));
			return -1;
		}
		if (check_str(f, fpath, "name", 1, 1, TEXT_MAX, NULL, NULL,
		    err, errlen) == -1 ||
		    check_str(f, fpath, "alias", 0, 0, TEXT_MAX, NULL, NULL,
		    err, errlen) == -1 ||
		    check_str(f, fpath, "type", 0, 0, 64, NULL, NULL, err,
		    errlen) == -1 ||
		    check_str(f, fpath, "mac", 0, 0, 64, NULL, NULL, err,
		    errlen) == -1 ||
		    wjson_get_int(f, fpath, "index", 0, 0, INT64_MAX, &i64, err,
		    errlen) == -1 ||
		    wjson_get_int(f, fpath, "speed_bps", 0, 0, INT64_MAX, &i64,
		    err, errlen) == -1)
			return -1;
		for (k = 0; if_counters[k] != NULL; k++)
			if (wjson_get_int(f, fpath, if_counters[k], 0, 0,
			    INT64_MAX, &i64, err, errlen) == -1)
				return -1;
		if (check_str(f, fpath, "admin", 0, 1, 32, NULL, &state, err,
		    errlen) == -1)
			return -1;
		if (state != NULL && !in_list(state, if_states))
			goto bad_state;
		if (check_str(f, fpath, "oper", 0, 1, 32, NULL, &state, err,
		    errlen) == -1)
			return -1;
		if (state != NULL && !in_list(state, if_states))
			goto bad_state;
	}
	return 0;

bad_state:
	snprintf(err, errlen, "%s: admin/oper must be up, down, testing, "
	    "unknown, dormant, notPresent or lowerLayerDown", fpath);
	return -1;
}

static int
check_report(json_t *r, const char *path, int64_t now_ms, char *err,
    size_t errlen)
{
	json_t		*agent;
	const char	*ts;
	char		 apath[64], vis[80];
	int64_t		 schema, i64, ts_ms;

	if (!json_is_object(r)) {
		snprintf(err, errlen, "%s: expected an object, got %s", path,
		    wjson_type_name(r));
		return -1;
	}
	if (wjson_get_int(r, path, "schema", 1, INT64_MIN, INT64_MAX, &schema,
	    err, errlen) != 0)
		return -1;
	if (schema < REPORT_SCHEMA_OLDEST || schema > REPORT_SCHEMA_CURRENT) {
		snprintf(err, errlen, "%s.schema: version %" PRId64 " is not "
		    "supported (this collector accepts %d..%d)", path, schema,
		    REPORT_SCHEMA_OLDEST, REPORT_SCHEMA_CURRENT);
		return -1;
	}
	snprintf(apath, sizeof apath, "%s.agent", path);
	if (wjson_get_object(r, path, "agent", 1, &agent, err, errlen) != 0 ||
	    check_str(agent, apath, "id", 1, 1, 64, CHARS_ID, NULL, err,
	    errlen) == -1 ||
	    check_str(agent, apath, "version", 0, 0, 64, NULL, NULL, err,
	    errlen) == -1)
		return -1;
	if (wjson_get_int(r, path, "seq", 1, 1, INT64_MAX, &i64, err,
	    errlen) != 0 ||
	    wjson_get_int(r, path, "interval_s", 0, 10, 86400, &i64, err,
	    errlen) == -1 ||
	    wjson_get_int(r, path, "dropped", 0, 0, INT64_MAX, &i64, err,
	    errlen) == -1)
		return -1;
	if (wjson_get_string(r, path, "ts", 1, &ts, err, errlen) != 0)
		return -1;
	if (wtime_parse_iso8601(ts, &ts_ms, err, errlen) == -1) {
		char	 reason[256];

		str_copy(reason, err, sizeof reason);
		snprintf(err, errlen, "%s.ts: %s", path, reason);
		return -1;
	}
	if (ts_ms > now_ms + FUTURE_SLACK_MS) {
		snprintf(err, errlen, "%s.ts: \"%s\" is more than 5 minutes in "
		    "the future (check the agent's clock)", path,
		    str_vis(vis, sizeof vis, ts));
		return -1;
	}
	if (ts_ms < now_ms - PAST_LIMIT_MS) {
		snprintf(err, errlen, "%s.ts: \"%s\" is more than 400 days old",
		    path, str_vis(vis, sizeof vis, ts));
		return -1;
	}
	if (check_host(r, path, err, errlen) == -1 ||
	    check_metrics(r, path, err, errlen) == -1 ||
	    check_checks(r, path, err, errlen) == -1 ||
	    check_interfaces(r, path, err, errlen) == -1)
		return -1;
	return 0;
}

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
#define SQL_HOST_UPDATE \
	"UPDATE hosts SET name = ?2, fqdn = ?3, datacentre = ?4," \
	"  kind = ?5, machine_id = ?6, vendor = ?7, model = ?8," \
	"  serial = ?9, bios_date = ?10, os_id = ?11, os_version_id = ?12," \
	"  os_pretty_name = ?13, kernel = ?14, arch = ?15, fw_vendor = ?16," \
	"  fw_product = ?17, fw_version = ?18, fw_family = ?19," \
	"  addresses = ?20, uptime_s = ?21, interval_s = ?22," \
	"  agent_version = ?23, last_report_ms = ?24" \
	" WHERE id = ?1"
#define SQL_HOST_SEEN \
	"UPDATE hosts SET last_seen_ms = ?2, last_seq = max(last_seq, ?3)," \
	"  dropped_total = dropped_total + ?4 WHERE id = ?1"
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
	"    excluded.last_ts_ms >= last_ts_ms THEN excluded.last_value" \
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
	sqlite3_bind_text(st, 5, kind != NULL ? kind : "server", -1,
	    SQLITE_STATIC);
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
		for (k = 0; if_counters[k] != NULL; k++)
			bind_int(st, 10 + (int)k, f, if_counters[k]);
		sqlite3_bind_int64(st, 16, ts_ms);
		if (step_done(db, st, "storing an interface", err, errlen) ==
		    -1)
			return -1;
	}
	return 0;
}

/* Stores one validated report; *duplicate set when it was stored before. */
static int
store_report(struct db *db, json_t *r, int64_t now_ms, int *duplicate,
    char *err, size_t errlen)
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
	free(old_name);
	return 0;

fail:
	free(old_name);
	return -1;
}

int
ingest_validate(json_t *doc, int64_t now_ms, char *err, size_t errlen)
{
	json_t	*r;
	char	 path[32];
	size_t	 i, n;

	if (!json_is_array(doc))
		return check_report(doc, "report", now_ms, err, errlen);
	n = json_array_size(doc);
	if (n == 0) {
		snprintf(err, errlen, "report: empty array");
		return -1;
	}
	if (n > REPORTS_PER_BODY_MAX) {
		snprintf(err, errlen, "report: %zu reports in one body, at most "
		    "%d allowed", n, REPORTS_PER_BODY_MAX);
		return -1;
	}
	json_array_foreach(doc, i, r) {
		snprintf(path, sizeof path, "report[%zu]", i);
		if (check_report(r, path, now_ms, err, errlen) == -1)
			return -1;
	}
	return 0;
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
	if (ingest_validate(doc, now_ms, err, errlen) == -1)
		return -1;
	n = json_is_array(doc) ? json_array_size(doc) : 1;

	*status = 503;
	if (db_begin(db, err, errlen) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		r = json_is_array(doc) ? json_array_get(doc, i) : doc;
		if (store_report(db, r, now_ms, &dup, err, errlen) == -1) {
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
