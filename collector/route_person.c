/* route_person.c: GET /api/v1/persons/{id}: one person, their account in
 * each domain, and the open conflicts that touch them. */
#include "config.h"

#include <string.h>

#include "common/db.h"
#include "common/str.h"
#include "collector/collector.h"

#define SQL_PERSON \
	"SELECT id, display_name, given_name, sn, employee_id, status," \
	" created_ms, department, title FROM persons WHERE id = ?1"

static void
person_get(struct request *req, struct reply *rep)
{
	struct db	*db;
	sqlite3_stmt	*st;
	json_t		*body = NULL, *list;
	const char	*id = req->params[0];
	char		 err[512], vis[160];
	int		 rc;

	if ((db = identity_open(req, rep)) == NULL)
		return;
	if ((st = db_stmt(db, SQL_PERSON, err, sizeof err)) == NULL)
		goto fail;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		body = json_object();
		json_object_set_new(body, "id", query_json_text(st, 0));
		json_object_set_new(body, "display_name",
		    query_json_text(st, 1));
		json_object_set_new(body, "given_name", query_json_text(st, 2));
		json_object_set_new(body, "sn", query_json_text(st, 3));
		json_object_set_new(body, "employee_id", query_json_text(st, 4));
		json_object_set_new(body, "status", query_json_text(st, 5));
		json_object_set_new(body, "created", query_json_time(st, 6));
		json_object_set_new(body, "department", query_json_text(st, 7));
		json_object_set_new(body, "title", query_json_text(st, 8));
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE) {
		reply_error(rep, 404, "no person \"%s\"", str_vis(vis,
		    sizeof vis, id));
		db_close(db);
		return;
	}
	if (rc != SQLITE_ROW) {
		db_error(db, "reading the person", err, sizeof err);
		goto fail;
	}
	list = json_array();
	json_object_set_new(body, "accounts", list);
	if (identity_person_accounts(db, id, list, err, sizeof err) == -1)
		goto fail;
	list = json_array();
	json_object_set_new(body, "conflicts", list);
	if (identity_conflicts(db, id, 100, list, err, sizeof err) == -1)
		goto fail;
	reply_json(rep, 200, body);
	db_close(db);
	return;

fail:
	json_decref(body);
	query_fail(req, rep, err);
	db_close(db);
}

const struct route_entry route_person = {
	"GET", "/api/v1/persons/{id}", ROLES_READ, person_get,
	"One person: their account in each domain, and open conflicts.",
};
