/* route_datacentre_health.c: GET /api/v1/datacentres/{name}/health: one
 * datacentre's roll-up: its hosts by state, its worst state, its live
 * alerts by severity, and the critical problems by name. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/db.h"
#include "collector/collector.h"


#define SQL_DCH_STATES \
	"SELECT state, count(*) FROM hosts WHERE datacentre = ?1 GROUP BY 1"
#define SQL_DCH_ALERTS \
	"SELECT severity, suppressed IS NOT NULL, count(*) FROM alerts" \
	" WHERE datacentre = ?1 AND status != 'resolved' GROUP BY 1, 2"
#define SQL_DCH_CRITICAL \
	"SELECT " ALERT_COLUMNS " FROM alerts a" \
	" LEFT JOIN hosts h ON h.id = a.host_id" \
	" WHERE a.datacentre = ?1 AND a.status != 'resolved'" \
	"  AND a.severity = 'critical' AND a.suppressed IS NULL" \
	" ORDER BY a.opened_ms LIMIT 100"

static void
dch_get(struct request *req, struct reply *rep)
{
	const char	*dc = req->params[0];
	struct db	*db;
	sqlite3_stmt	*st;
	json_t		*body, *states, *alerts, *crit;
	char		 err[512];
	int64_t		 hosts = 0, n, warn = 0, critical = 0, suppressed = 0;
	int		 rc, i, worst = HOST_UP;
	uint64_t	 counts[HOST_STATE_COUNT];

	memset(counts, 0, sizeof counts);
	if ((db = query_db(req->c->store, err, sizeof err)) == NULL ||
	    (st = db_stmt(db, SQL_DCH_STATES, err, sizeof err)) == NULL)
		goto fail;
	sqlite3_bind_text(st, 1, dc, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n = sqlite3_column_int64(st, 1);
		hosts += n;
		if ((i = query_host_state_from_name((const char *)
		    sqlite3_column_text(st, 0))) >= 0)
			counts[i] += (uint64_t)n;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(db, "counting hosts", err, sizeof err);
		goto fail;
	}
	if (hosts == 0) {
		reply_error(rep, 404, "no hosts report datacentre \"%s\"", dc);
		return;
	}
	states = json_object();
	for (i = 0; i < HOST_STATE_COUNT; i++) {
		json_object_set_new(states, query_host_state_name(i),
		    json_integer((json_int_t)counts[i]));
		if (counts[i] > 0)
			worst = i;
	}

	if ((st = db_stmt(db, SQL_DCH_ALERTS, err, sizeof err)) == NULL) {
		json_decref(states);
		goto fail;
	}
	sqlite3_bind_text(st, 1, dc, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n = sqlite3_column_int64(st, 2);
		if (sqlite3_column_int(st, 1))
			suppressed += n;
		else if (strcmp((const char *)sqlite3_column_text(st, 0),
		    "critical") == 0)
			critical += n;
		else
			warn += n;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(states);
		db_error(db, "counting alerts", err, sizeof err);
		goto fail;
	}

	if ((st = db_stmt(db, SQL_DCH_CRITICAL, err, sizeof err)) == NULL) {
		json_decref(states);
		goto fail;
	}
	sqlite3_bind_text(st, 1, dc, -1, SQLITE_STATIC);
	crit = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(crit, alert_json(req->c->cfg, st));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(states);
		json_decref(crit);
		db_error(db, "listing critical alerts", err, sizeof err);
		goto fail;
	}

	body = json_object();
	json_object_set_new(body, "datacentre", json_string(dc));
	/* critical: something is down or a critical problem is open;
	 * degraded: anything less than all well. */
	json_object_set_new(body, "health", json_string(critical > 0 ||
	    worst == HOST_DOWN ? "critical" : warn > 0 || worst != HOST_UP ?
	    "degraded" : "ok"));
	json_object_set_new(body, "hosts", json_integer(hosts));
	json_object_set_new(body, "states", states);
	json_object_set_new(body, "worst_state",
	    json_string(query_host_state_name(worst)));
	alerts = json_object();
	json_object_set_new(alerts, "critical", json_integer(critical));
	json_object_set_new(alerts, "warning", json_integer(warn));
	json_object_set_new(alerts, "suppressed", json_integer(suppressed));
	json_object_set_new(body, "alerts", alerts);
	json_object_set_new(body, "critical_problems", crit);
	reply_json(rep, 200, body);
	return;

fail:
	query_fail(req, rep, err);
}

const struct route_entry route_datacentre_health = {
	"GET", "/api/v1/datacentres/{name}/health", ROLES_READ, dch_get,
	"One datacentre's health: hosts by state, worst state, live alerts, "
	"critical problems.",
};
