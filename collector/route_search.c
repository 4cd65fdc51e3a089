/* route_search.c: GET /api/v1/search?q=: one search box for the helpdesk.
 * Results are typed ({"type": "host", ...}) so other kinds of thing can
 * join the same list. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "collector/collector.h"

#define SEARCH_TEXT_MAX		256
#define SEARCH_LIMIT_DEFAULT	50
#define SEARCH_LIMIT_MAX	1000

/* ?1 the LIKE pattern; the same fields as GET /api/v1/hosts?q=. */
#define SQL_SEARCH_WHERE \
	" WHERE name LIKE ?1 ESCAPE '\\' OR fqdn LIKE ?1 ESCAPE '\\'" \
	"  OR serial LIKE ?1 ESCAPE '\\' OR model LIKE ?1 ESCAPE '\\'" \
	"  OR os_pretty_name LIKE ?1 ESCAPE '\\'" \
	"  OR EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid(addresses)" \
	"    THEN addresses END) WHERE value LIKE ?1 ESCAPE '\\')"
#define SQL_SEARCH_COUNT	"SELECT count(*) FROM hosts" SQL_SEARCH_WHERE
/* Best first: the name itself, then names that start with it, then the
 * rest, each by name. ?2 the text, ?3 now, ?4 the limit. */
#define SQL_SEARCH_HOSTS \
	"SELECT name, agent_id, fqdn, datacentre, kind," \
	"  state," \
	"  CASE WHEN name LIKE ?1 ESCAPE '\\' THEN 'name'" \
	"    WHEN fqdn LIKE ?1 ESCAPE '\\' THEN 'fqdn'" \
	"    WHEN serial LIKE ?1 ESCAPE '\\' THEN 'serial'" \
	"    WHEN model LIKE ?1 ESCAPE '\\' THEN 'model'" \
	"    WHEN os_pretty_name LIKE ?1 ESCAPE '\\' THEN 'os'" \
	"    ELSE 'address' END" \
	" FROM hosts" SQL_SEARCH_WHERE \
	" ORDER BY name = ?2 COLLATE NOCASE DESC," \
	"  substr(name, 1, length(?2)) = ?2 COLLATE NOCASE DESC," \
	"  name COLLATE NOCASE, id LIMIT ?4"

static void
search_get(struct request *req, struct reply *rep)
{
	struct db	*db;
	sqlite3_stmt	*st;
	json_t		*results, *r, *body;
	const char	*q;
	char		*like = NULL, *esc, *url, err[512];
	int64_t		 limit, total;
	int		 rc;

	if (query_param(req, rep, "q", 1, SEARCH_TEXT_MAX, &q) == -1 ||
	    query_param_int(req, rep, "limit", 1, SEARCH_LIMIT_MAX,
	    SEARCH_LIMIT_DEFAULT, &limit) == -1)
		return;
	if (q == NULL) {
		reply_error(rep, 400, "q: missing; say what to search for "
		    "(1 to %d bytes)", SEARCH_TEXT_MAX);
		return;
	}
	like = str_like_pattern(q);
	if ((db = query_db(req->c->store, err, sizeof err)) == NULL ||
	    (st = db_stmt(db, SQL_SEARCH_COUNT, err, sizeof err)) == NULL)
		goto fail;
	sqlite3_bind_text(st, 1, like, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		db_error(db, "counting search results", err, sizeof err);
		sqlite3_reset(st);
		goto fail;
	}
	total = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);

	if ((st = db_stmt(db, SQL_SEARCH_HOSTS, err, sizeof err)) == NULL)
		goto fail;
	sqlite3_bind_text(st, 1, like, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, q, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, wtime_now_ms());
	sqlite3_bind_int64(st, 4, limit);
	results = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = json_object();
		json_object_set_new(r, "type", json_string("host"));
		json_object_set_new(r, "name", query_json_text(st, 0));
		json_object_set_new(r, "agent_id", query_json_text(st, 1));
		json_object_set_new(r, "fqdn", query_json_text(st, 2));
		json_object_set_new(r, "datacentre", query_json_text(st, 3));
		json_object_set_new(r, "kind", query_json_text(st, 4));
		json_object_set_new(r, "state", query_json_text(st, 5));
		json_object_set_new(r, "matched", query_json_text(st, 6));
		esc = query_url_escape((const char *)
		    sqlite3_column_text(st, 1));
		xasprintf(&url, "/api/v1/hosts/%s", esc);
		json_object_set_new(r, "url", json_string(url));
		free(url);
		free(esc);
		json_array_append_new(results, r);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(db, "searching hosts", err, sizeof err);
		json_decref(results);
		goto fail;
	}
	body = json_object();
	json_object_set_new(body, "q", query_json_string(q));
	json_object_set_new(body, "results", results);
	json_object_set_new(body, "total", json_integer(total));
	json_object_set_new(body, "truncated", json_boolean(total >
	    (int64_t)json_array_size(results)));
	reply_json(rep, 200, body);
	free(like);
	return;

fail:
	free(like);
	query_fail(req, rep, err);
}

const struct route_entry route_search = {
	"GET", "/api/v1/search", ROLES_READ, search_get,
	"Search hosts by name, FQDN, serial, address, model or OS.",
};
