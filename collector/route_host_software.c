/* route_host_software.c: GET /api/v1/hosts/{name}/software: the software
 * installed on one host, as its last report listing it said. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "common/str.h"
#include "collector/collector.h"

#define SQL_SOFTWARE_WHEN \
	"SELECT software_ms FROM hosts WHERE id = ?1"
#define SQL_SOFTWARE_LIST \
	"SELECT name, type, installed FROM software WHERE host_id = ?1" \
	" AND (?2 IS NULL OR name LIKE ?2 ESCAPE '\\')" \
	" ORDER BY name COLLATE NOCASE, name"

static void
host_software_get(struct request *req, struct reply *rep)
{
	struct query_host	 host;
	struct db		*db;
	sqlite3_stmt		*st;
	json_t			*list = NULL, *e, *body, *updated;
	const char		*q;
	char			 err[512], *pattern = NULL;
	int			 rc;

	memset(&host, 0, sizeof host);
	if (query_param(req, rep, "q", 1, 255, &q) == -1)
		return;
	if ((db = query_db(req->c->store, err, sizeof err)) == NULL)
		goto fail;
	if (query_host_find(req, rep, db, req->params[0], &host) == -1)
		goto done;

	if ((st = db_stmt(db, SQL_SOFTWARE_WHEN, err, sizeof err)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, host.id);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		db_error(db, "reading the host", err, sizeof err);
		goto fail;
	}
	updated = query_json_time(st, 0);
	sqlite3_reset(st);

	if ((st = db_stmt(db, SQL_SOFTWARE_LIST, err, sizeof err)) == NULL) {
		json_decref(updated);
		goto fail;
	}
	sqlite3_bind_int64(st, 1, host.id);
	if (q != NULL) {
		pattern = str_like_pattern(q);
		sqlite3_bind_text(st, 2, pattern, -1, SQLITE_STATIC);
	}
	list = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		e = json_object();
		json_object_set_new(e, "name", query_json_text(st, 0));
		json_object_set_new(e, "type", query_json_text(st, 1));
		json_object_set_new(e, "installed", query_json_text(st, 2));
		json_array_append_new(list, e);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(updated);
		db_error(db, "reading software", err, sizeof err);
		goto fail;
	}
	body = json_object();
	json_object_set_new(body, "host", query_json_string(host.name));
	json_object_set_new(body, "agent_id",
	    query_json_string(host.agent_id));
	/* null: no report has listed this host's software yet, which is
	 * not the same as an empty list. */
	json_object_set_new(body, "updated", updated);
	json_object_set_new(body, "count",
	    json_integer((json_int_t)json_array_size(list)));
	json_object_set_new(body, "software", list);
	list = NULL;
	reply_json(rep, 200, body);
	goto done;

fail:
	query_fail(req, rep, err);
done:
	json_decref(list);
	free(pattern);
	query_host_clear(&host);
}

const struct route_entry route_host_software = {
	"GET", "/api/v1/hosts/{name}/software", ROLES_READ,
	host_software_get,
	"The software installed on one host, as last reported (q: name "
	"contains).",
};
