/* route_host.c: GET /api/v1/hosts/{name}: one host's identity, renames,
 * state, the latest value of each of its metric series, its checks, its
 * interfaces and its lifecycle. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "common/wtime.h"
#include "collector/collector.h"

/* A report holds at most 20000 metrics; series beyond that are old ones. */
#define HOST_SERIES_MAX		20000

#define SQL_HOST_DETAIL \
	"SELECT id, agent_id, name, fqdn, datacentre, kind, machine_id," \
	"  vendor, model, serial, bios_date, os_id, os_version_id," \
	"  os_pretty_name, kernel, arch, fw_vendor, fw_product, fw_version," \
	"  fw_family, addresses, uptime_s, interval_s, agent_version," \
	"  first_seen_ms, last_seen_ms, last_report_ms, last_seq," \
	"  dropped_total, state, state_since_ms FROM hosts WHERE id = ?1"
#define SQL_HOST_RENAMES \
	"SELECT old_name, new_name, at_ms FROM host_renames" \
	" WHERE host_id = ?1 ORDER BY at_ms, rowid"
#define SQL_HOST_SERIES \
	"SELECT name, labels, unit, last_value, last_ts_ms FROM series" \
	" WHERE host_id = ?1 ORDER BY name, labels LIMIT ?2"
#define SQL_HOST_CHECKS \
	"SELECT name, status, output, perfdata, ts_ms, source, kind," \
	"  state_type, attempt, max_attempts, hard_status, last_change_ms," \
	"  last_hard_change_ms, flapping, percent_change FROM checks" \
	" WHERE host_id = ?1 ORDER BY name"
#define SQL_HOST_INTERFACES \
	"SELECT name, idx, alias, type, admin, oper, speed_bps, mac," \
	"  in_octets, out_octets, in_errors, out_errors, in_discards," \
	"  out_discards, ts_ms FROM interfaces" \
	" WHERE host_id = ?1 ORDER BY idx IS NULL, idx, name"

static const char *const check_status_names[] = {
	"OK", "WARNING", "CRITICAL", "UNKNOWN",
};

/* The host's row, with the state the health engine gave it. */
static int
host_identity(struct db *db, int64_t host_id, json_t *h,
    char *err, size_t errlen)
{
	sqlite3_stmt	*st;
	json_t		*os, *fw, *addrs;
	const char	*text;
	int		 rc;

	if ((st = db_stmt(db, SQL_HOST_DETAIL, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, host_id);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		if (rc == SQLITE_DONE)
			snprintf(err, errlen, "host %lld vanished while being "
			    "read", (long long)host_id);
		else
			db_error(db, "reading a host", err, errlen);
		sqlite3_reset(st);
		return -1;
	}
	json_object_set_new(h, "id", query_json_int(st, 0));
	json_object_set_new(h, "agent_id", query_json_text(st, 1));
	json_object_set_new(h, "name", query_json_text(st, 2));
	json_object_set_new(h, "fqdn", query_json_text(st, 3));
	json_object_set_new(h, "datacentre", query_json_text(st, 4));
	json_object_set_new(h, "kind", query_json_text(st, 5));
	json_object_set_new(h, "state", query_json_text(st, 29));
	json_object_set_new(h, "state_since", query_json_time(st, 30));
	json_object_set_new(h, "machine_id", query_json_text(st, 6));
	json_object_set_new(h, "vendor", query_json_text(st, 7));
	json_object_set_new(h, "model", query_json_text(st, 8));
	json_object_set_new(h, "serial", query_json_text(st, 9));
	json_object_set_new(h, "bios_date", query_json_text(st, 10));
	os = json_object();
	json_object_set_new(os, "id", query_json_text(st, 11));
	json_object_set_new(os, "version_id", query_json_text(st, 12));
	json_object_set_new(os, "pretty_name", query_json_text(st, 13));
	json_object_set_new(os, "kernel", query_json_text(st, 14));
	json_object_set_new(os, "arch", query_json_text(st, 15));
	json_object_set_new(h, "os", os);
	fw = json_object();
	json_object_set_new(fw, "vendor", query_json_text(st, 16));
	json_object_set_new(fw, "product", query_json_text(st, 17));
	json_object_set_new(fw, "version", query_json_text(st, 18));
	json_object_set_new(fw, "family", query_json_text(st, 19));
	json_object_set_new(h, "firmware", fw);
	addrs = NULL;
	if ((text = (const char *)sqlite3_column_text(st, 20)) != NULL)
		addrs = json_loads(text, 0, NULL);
	if (!json_is_array(addrs)) {
		json_decref(addrs);
		addrs = json_array();
	}
	json_object_set_new(h, "addresses", addrs);
	json_object_set_new(h, "uptime_s", query_json_int(st, 21));
	json_object_set_new(h, "interval_s", query_json_int(st, 22));
	json_object_set_new(h, "agent_version", query_json_text(st, 23));
	json_object_set_new(h, "first_seen", query_json_time(st, 24));
	json_object_set_new(h, "last_seen", query_json_time(st, 25));
	json_object_set_new(h, "last_report", query_json_time(st, 26));
	json_object_set_new(h, "last_seq", query_json_int(st, 27));
	json_object_set_new(h, "dropped_total", query_json_int(st, 28));
	sqlite3_reset(st);
	return 0;
}

static int
host_renames(struct db *db, int64_t host_id, json_t *h, char *err,
    size_t errlen)
{
	sqlite3_stmt	*st;
	json_t		*list, *r;
	int		 rc;

	if ((st = db_stmt(db, SQL_HOST_RENAMES, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, host_id);
	list = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = json_object();
		json_object_set_new(r, "old_name", query_json_text(st, 0));
		json_object_set_new(r, "new_name", query_json_text(st, 1));
		json_object_set_new(r, "at", query_json_time(st, 2));
		json_array_append_new(list, r);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(list);
		db_error(db, "reading renames", err, errlen);
		return -1;
	}
	json_object_set_new(h, "renames", list);
	return 0;
}

static int
host_series(struct db *db, int64_t host_id, json_t *h, char *err,
    size_t errlen)
{
	sqlite3_stmt	*st;
	json_t		*list, *m, *labels;
	const char	*text;
	int		 rc, n = 0;

	if ((st = db_stmt(db, SQL_HOST_SERIES, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, host_id);
	sqlite3_bind_int(st, 2, HOST_SERIES_MAX + 1);
	list = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (++n > HOST_SERIES_MAX)
			continue;
		m = json_object();
		json_object_set_new(m, "name", query_json_text(st, 0));
		labels = NULL;
		text = (const char *)sqlite3_column_text(st, 1);
		if (text != NULL && text[0] != '\0')
			labels = json_loads(text, 0, NULL);
		if (!json_is_object(labels)) {
			json_decref(labels);
			labels = json_object();
		}
		json_object_set_new(m, "labels", labels);
		json_object_set_new(m, "unit", query_json_text(st, 2));
		json_object_set_new(m, "value", query_json_real(st, 3));
		json_object_set_new(m, "ts", query_json_time(st, 4));
		json_array_append_new(list, m);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(list);
		db_error(db, "reading metric series", err, errlen);
		return -1;
	}
	json_object_set_new(h, "metrics", list);
	json_object_set_new(h, "metrics_truncated",
	    json_boolean(n > HOST_SERIES_MAX));
	return 0;
}

static int
host_checks(struct db *db, int64_t host_id, json_t *h, char *err,
    size_t errlen)
{
	sqlite3_stmt	*st;
	json_t		*list, *c;
	int64_t		 status;
	int		 rc;

	if ((st = db_stmt(db, SQL_HOST_CHECKS, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, host_id);
	list = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		status = sqlite3_column_int64(st, 1);
		c = json_object();
		json_object_set_new(c, "name", query_json_text(st, 0));
		json_object_set_new(c, "status", json_integer(status));
		json_object_set_new(c, "status_text", json_string(
		    status >= 0 && status <= 3 ? check_status_names[status] :
		    "UNKNOWN"));
		json_object_set_new(c, "output", query_json_text(st, 2));
		json_object_set_new(c, "perfdata", query_json_text(st, 3));
		json_object_set_new(c, "ts", query_json_time(st, 4));
		/* Its state machine (see the health engine). */
		json_object_set_new(c, "source", query_json_text(st, 5));
		json_object_set_new(c, "kind", query_json_text(st, 6));
		json_object_set_new(c, "state_type", query_json_text(st, 7));
		json_object_set_new(c, "attempt", query_json_int(st, 8));
		json_object_set_new(c, "max_attempts", query_json_int(st, 9));
		status = sqlite3_column_int64(st, 10);
		json_object_set_new(c, "hard_status", json_integer(status));
		json_object_set_new(c, "hard_status_text", json_string(
		    status >= 0 && status <= 3 ? check_status_names[status] :
		    "UNKNOWN"));
		json_object_set_new(c, "last_change", query_json_time(st, 11));
		json_object_set_new(c, "last_hard_change", query_json_time(st,
		    12));
		json_object_set_new(c, "flapping", json_boolean(
		    sqlite3_column_int(st, 13)));
		json_object_set_new(c, "percent_state_change",
		    query_json_real(st, 14));
		json_array_append_new(list, c);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(list);
		db_error(db, "reading checks", err, errlen);
		return -1;
	}
	json_object_set_new(h, "checks", list);
	return 0;
}

static int
host_interfaces(struct db *db, int64_t host_id, json_t *h, char *err,
    size_t errlen)
{
	static const char *const names[] = {
		"name", "index", "alias", "type", "admin", "oper", "speed_bps",
		"mac", "in_octets", "out_octets", "in_errors", "out_errors",
		"in_discards", "out_discards",
	};
	sqlite3_stmt	*st;
	json_t		*list, *f;
	size_t		 i;
	int		 rc;

	if ((st = db_stmt(db, SQL_HOST_INTERFACES, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, host_id);
	list = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		f = json_object();
		for (i = 0; i < sizeof names / sizeof names[0]; i++)
			json_object_set_new(f, names[i],
			    sqlite3_column_type(st, (int)i) == SQLITE_INTEGER ?
			    query_json_int(st, (int)i) :
			    query_json_text(st, (int)i));
		json_object_set_new(f, "ts", query_json_time(st, 14));
		json_array_append_new(list, f);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(list);
		db_error(db, "reading interfaces", err, errlen);
		return -1;
	}
	json_object_set_new(h, "interfaces", list);
	return 0;
}

/* Its end of life: software, hardware, the worse of the two. */
static int
host_lifecycle(const struct request *req, struct db *db, int64_t host_id,
    json_t *h, char *err, size_t errlen)
{
	json_t	*l;

	if ((l = eol_host_lifecycle(db, req->c, host_id, wtime_now_ms(), err,
	    errlen)) == NULL)
		return -1;
	json_object_set_new(h, "lifecycle", l);
	return 0;
}

static void
host_get(struct request *req, struct reply *rep)
{
	struct query_host	 host;
	struct db		*db;
	json_t			*h;
	char			 err[512];

	if ((db = query_db(req->c->store, err, sizeof err)) == NULL) {
		query_fail(req, rep, err);
		return;
	}
	if (query_host_find(req, rep, db, req->params[0], &host) == -1)
		return;
	h = json_object();
	if (host_identity(db, host.id, h, err,
	    sizeof err) == -1 ||
	    host_renames(db, host.id, h, err, sizeof err) == -1 ||
	    host_series(db, host.id, h, err, sizeof err) == -1 ||
	    host_checks(db, host.id, h, err, sizeof err) == -1 ||
	    host_interfaces(db, host.id, h, err, sizeof err) == -1 ||
	    host_lifecycle(req, db, host.id, h, err, sizeof err) == -1) {
		json_decref(h);
		query_host_clear(&host);
		query_fail(req, rep, err);
		return;
	}
	query_host_clear(&host);
	reply_json(rep, 200, h);
}

const struct route_entry route_host = {
	"GET", "/api/v1/hosts/{name}", ROLES_READ, host_get,
	"One host: identity, renames, state, latest metrics, checks, "
	"interfaces, lifecycle.",
};
