/* route_datacentres.c: GET /api/v1/datacentres: each datacentre's hosts by
 * kind and state, its worst state and latest report; hosts that name no
 * datacentre are one more entry, "datacentre": null. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "collector/collector.h"

#define SQL_DATACENTRES \
	"SELECT nullif(datacentre, '') AS dc, kind," \
	"  state," \
	"  count(*), max(last_report_ms), max(last_seen_ms)" \
	" FROM hosts GROUP BY dc, kind, state ORDER BY dc IS NULL, dc"

struct dc_entry {
	json_t		*obj;
	json_t		*kinds;
	uint64_t	 states[HOST_STATE_COUNT];
	int64_t		 hosts;
	int64_t		 last_report_ms;
	int64_t		 last_seen_ms;
};

static void
dc_state_counts(json_t *obj, const uint64_t *states)
{
	json_t	*s = json_object();
	int	 i;

	for (i = 0; i < HOST_STATE_COUNT; i++)
		json_object_set_new(s, query_host_state_name(i),
		    json_integer((json_int_t)states[i]));
	json_object_set_new(obj, "states", s);
}

static void
dc_finish(struct dc_entry *e, json_t *list)
{
	int	 i, worst = HOST_UP;

	if (e->obj == NULL)
		return;
	for (i = 0; i < HOST_STATE_COUNT; i++)
		if (e->states[i] > 0)
			worst = i;
	json_object_set_new(e->obj, "hosts", json_integer(e->hosts));
	json_object_set_new(e->obj, "kinds", e->kinds);
	dc_state_counts(e->obj, e->states);
	json_object_set_new(e->obj, "worst_state",
	    json_string(query_host_state_name(worst)));
	json_object_set_new(e->obj, "last_report",
	    query_json_time_ms(e->last_report_ms));
	json_object_set_new(e->obj, "last_seen",
	    query_json_time_ms(e->last_seen_ms));
	json_array_append_new(list, e->obj);
	memset(e, 0, sizeof *e);
}

static void
dc_start(struct dc_entry *e, const char *name)
{
	char	*esc, *url;

	e->obj = json_object();
	e->kinds = json_object();
	json_object_set_new(e->obj, "datacentre", query_json_string(name));
	json_object_set_new(e->obj, "unassigned", json_boolean(name == NULL));
	esc = query_url_escape(name != NULL ? name : "");
	xasprintf(&url, "/api/v1/hosts?datacentre=%s", esc);
	json_object_set_new(e->obj, "hosts_url", json_string(url));
	free(url);
	free(esc);
	e->last_report_ms = INT64_MIN;
	e->last_seen_ms = INT64_MIN;
}

static void
datacentres_get(struct request *req, struct reply *rep)
{
	struct dc_entry	 e;
	struct db	*db;
	sqlite3_stmt	*st;
	json_t		*list, *body;
	const char	*dc, *kind, *state_name;
	char		*current = NULL, err[512];
	uint64_t	 totals[HOST_STATE_COUNT];
	int64_t		 n, all = 0;
	int		 rc, state, first = 1;

	if ((db = query_db(req->c->store, err, sizeof err)) == NULL ||
	    (st = db_stmt(db, SQL_DATACENTRES, err, sizeof err)) == NULL) {
		query_fail(req, rep, err);
		return;
	}
	memset(&e, 0, sizeof e);
	memset(totals, 0, sizeof totals);
	list = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		dc = (const char *)sqlite3_column_text(st, 0);
		kind = (const char *)sqlite3_column_text(st, 1);
		state_name = (const char *)sqlite3_column_text(st, 2);
		n = sqlite3_column_int64(st, 3);
		if (first || (dc == NULL) != (current == NULL) ||
		    (dc != NULL && strcmp(dc, current) != 0)) {
			dc_finish(&e, list);
			free(current);
			current = dc != NULL ? xstrdup(dc) : NULL;
			dc_start(&e, dc);
			first = 0;
		}
		json_object_set_new(e.kinds, kind, json_integer(n +
		    json_integer_value(json_object_get(e.kinds, kind))));
		if ((state = query_host_state_from_name(state_name)) >= 0) {
			e.states[state] += (uint64_t)n;
			totals[state] += (uint64_t)n;
		}
		e.hosts += n;
		all += n;
		if (sqlite3_column_int64(st, 4) > e.last_report_ms)
			e.last_report_ms = sqlite3_column_int64(st, 4);
		if (sqlite3_column_int64(st, 5) > e.last_seen_ms)
			e.last_seen_ms = sqlite3_column_int64(st, 5);
	}
	sqlite3_reset(st);
	free(current);
	if (rc != SQLITE_DONE) {
		db_error(db, "counting hosts by datacentre", err, sizeof err);
		if (e.obj != NULL) {
			json_decref(e.obj);
			json_decref(e.kinds);
		}
		json_decref(list);
		query_fail(req, rep, err);
		return;
	}
	dc_finish(&e, list);
	body = json_object();
	json_object_set_new(body, "datacentres", list);
	json_object_set_new(body, "hosts", json_integer(all));
	dc_state_counts(body, totals);
	reply_json(rep, 200, body);
}

const struct route_entry route_datacentres = {
	"GET", "/api/v1/datacentres", ROLES_READ, datacentres_get,
	"Datacentres: hosts by kind and state, worst state, last report.",
};
