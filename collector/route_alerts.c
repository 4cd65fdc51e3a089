/* route_alerts.c: GET /api/v1/alerts: alerts newest first, filtered by
 * status, severity, kind, datacentre and host, paged by id. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/db.h"
#include "common/xmalloc.h"
#include "collector/collector.h"

#define ALERTS_LIMIT_DEFAULT	100
#define ALERTS_LIMIT_MAX	1000

/* ?1 status set ('active': open and acknowledged), ?2 severity, ?3 kind,
 * ?4 datacentre, ?5 host name; NULL when not asked for. */
#define SQL_ALERTS_WHERE \
	" WHERE (?1 = 'all' OR (?1 = 'active' AND a.status != 'resolved')" \
	"    OR a.status = ?1)" \
	"  AND (?2 IS NULL OR a.severity = ?2)" \
	"  AND (?3 IS NULL OR a.kind = ?3)" \
	"  AND (?4 IS NULL OR coalesce(a.datacentre, '') = ?4)" \
	"  AND (?5 IS NULL OR h.name = ?5 COLLATE NOCASE)"
#define SQL_ALERTS_COUNT \
	"SELECT count(*) FROM alerts a LEFT JOIN hosts h ON h.id = a.host_id" \
	SQL_ALERTS_WHERE
#define SQL_ALERTS_PAGE \
	"SELECT " ALERT_COLUMNS " FROM alerts a" \
	" LEFT JOIN hosts h ON h.id = a.host_id" SQL_ALERTS_WHERE \
	"  AND a.id < ?6 ORDER BY a.id DESC LIMIT ?7"

static const char *const alerts_statuses[] = {
	"active", "open", "acknowledged", "resolved", "all", NULL,
};

static int
alerts_one_of(const char *v, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(v, *list) == 0)
			return 1;
	return 0;
}

static void
alerts_get(struct request *req, struct reply *rep)
{
	const struct collector_config	*cfg = req->c->cfg;
	struct db			*db;
	sqlite3_stmt			*st;
	json_t				*list, *body;
	const char			*status, *severity, *kind, *dc, *host;
	const char			*v[5];
	char				 err[512], *link, *esc;
	struct buf			 b;
	int64_t				 limit, before, total, last = 0, n = 0;
	int				 rc, i, more = 0;
	static const char *const names[5] = {
		"status", "severity", "kind", "datacentre", "host",
	};

	if (query_param_int(req, rep, "limit", 1, ALERTS_LIMIT_MAX,
	    ALERTS_LIMIT_DEFAULT, &limit) == -1 ||
	    query_param_int(req, rep, "before", 1, INT64_MAX, INT64_MAX,
	    &before) == -1 ||
	    query_param(req, rep, "status", 1, 16, &status) == -1 ||
	    query_param(req, rep, "severity", 1, 16, &severity) == -1 ||
	    query_param(req, rep, "kind", 1, 64, &kind) == -1 ||
	    query_param(req, rep, "datacentre", 0, 255, &dc) == -1 ||
	    query_param(req, rep, "host", 1, 255, &host) == -1)
		return;
	if (status == NULL)
		status = "active";
	if (!alerts_one_of(status, alerts_statuses)) {
		reply_error(rep, 400, "status: use active (the default), open, "
		    "acknowledged, resolved or all");
		return;
	}
	if (severity != NULL && strcmp(severity, "warning") != 0 &&
	    strcmp(severity, "critical") != 0) {
		reply_error(rep, 400, "severity: use warning or critical");
		return;
	}
	v[0] = status;
	v[1] = severity;
	v[2] = kind;
	v[3] = dc;
	v[4] = host;

	if ((db = query_db(req->c->store, err, sizeof err)) == NULL ||
	    (st = db_stmt(db, SQL_ALERTS_COUNT, err, sizeof err)) == NULL)
		goto fail;
	for (i = 0; i < 5; i++)
		if (v[i] != NULL)
			sqlite3_bind_text(st, i + 1, v[i], -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		db_error(db, "counting alerts", err, sizeof err);
		goto fail;
	}
	total = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);

	if ((st = db_stmt(db, SQL_ALERTS_PAGE, err, sizeof err)) == NULL)
		goto fail;
	for (i = 0; i < 5; i++)
		if (v[i] != NULL)
			sqlite3_bind_text(st, i + 1, v[i], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, before);
	/* One more than asked for says whether there is a next page. */
	sqlite3_bind_int64(st, 7, limit + 1);
	list = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == limit) {
			more = 1;
			continue;
		}
		json_array_append_new(list, alert_json(cfg, st));
		last = sqlite3_column_int64(st, 0);
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(list);
		db_error(db, "listing alerts", err, sizeof err);
		goto fail;
	}
	body = json_object();
	json_object_set_new(body, "alerts", list);
	json_object_set_new(body, "total", json_integer(total));
	if (more) {
		buf_init(&b, 0);
		buf_printf(&b, "/api/v1/alerts?limit=%" PRId64 "&before=%"
		    PRId64, limit, last);
		for (i = 0; i < 5; i++) {
			if (v[i] == NULL)
				continue;
			esc = query_url_escape(v[i]);
			buf_printf(&b, "&%s=%s", names[i], esc);
			free(esc);
		}
		link = buf_detach(&b, NULL);
		json_object_set_new(body, "next", json_string(link));
		free(link);
	} else
		json_object_set_new(body, "next", json_null());
	reply_json(rep, 200, body);
	return;

fail:
	query_fail(req, rep, err);
}

const struct route_entry route_alerts = {
	"GET", "/api/v1/alerts", ROLES_READ, alerts_get,
	"Alerts, newest first: status (active by default), severity, kind, "
	"datacentre, host; paged by before=ID.",
};
