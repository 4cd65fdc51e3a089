/* route_alert.c: GET /api/v1/alerts/{id}: one alert with its history. */
#include "config.h"

#include <stdio.h>

#include "common/db.h"
#include "common/str.h"
#include "collector/collector.h"

#define SQL_ALERT_ONE \
	"SELECT " ALERT_COLUMNS " FROM alerts a" \
	" LEFT JOIN hosts h ON h.id = a.host_id WHERE a.id = ?1"
#define SQL_ALERT_EVENTS \
	"SELECT at_ms, event, actor, detail FROM alert_events" \
	" WHERE alert_id = ?1 ORDER BY at_ms, rowid"

/* The {id} of the path, or -1 after answering 400. */
int64_t
route_alert_id(const struct request *req, struct reply *rep)
{
	char	 why[128];
	int64_t	 id;

	if (str_parse_int64(req->params[0], 1, INT64_MAX, &id, why,
	    sizeof why) == -1) {
		reply_error(rep, 400, "alert id: %s", why);
		return -1;
	}
	return id;
}

static void
alert_get(struct request *req, struct reply *rep)
{
	struct db	*db;
	sqlite3_stmt	*st;
	json_t		*a, *events, *e;
	char		 err[512];
	int64_t		 id;
	int		 rc;

	if ((id = route_alert_id(req, rep)) == -1)
		return;
	if ((db = query_db(req->c->store, err, sizeof err)) == NULL ||
	    (st = db_stmt(db, SQL_ALERT_ONE, err, sizeof err)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		if (rc == SQLITE_DONE) {
			reply_error(rep, 404, "no alert %lld", (long long)id);
			return;
		}
		db_error(db, "reading an alert", err, sizeof err);
		goto fail;
	}
	a = alert_json(req->c->cfg, st);
	sqlite3_reset(st);
	if ((st = db_stmt(db, SQL_ALERT_EVENTS, err, sizeof err)) == NULL) {
		json_decref(a);
		goto fail;
	}
	sqlite3_bind_int64(st, 1, id);
	events = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		e = json_object();
		json_object_set_new(e, "at", query_json_time(st, 0));
		json_object_set_new(e, "event", query_json_text(st, 1));
		json_object_set_new(e, "actor", query_json_text(st, 2));
		json_object_set_new(e, "detail", query_json_text(st, 3));
		json_array_append_new(events, e);
	}
	sqlite3_reset(st);
	json_object_set_new(a, "history", events);
	if (rc != SQLITE_DONE) {
		json_decref(a);
		db_error(db, "reading an alert's history", err, sizeof err);
		goto fail;
	}
	reply_json(rep, 200, a);
	return;

fail:
	query_fail(req, rep, err);
}

const struct route_entry route_alert = {
	"GET", "/api/v1/alerts/{id}", ROLES_READ, alert_get,
	"One alert, with its history: opened, notified, acknowledged, "
	"suppressed, resolved.",
};
