/* route_persons.c: GET /api/v1/persons?q=: the helpdesk's person search,
 * by name, employee number, or any of their accounts' username, UPN or
 * mail; each person with their account in every domain. */
#include "config.h"

#include <stdlib.h>

#include "common/db.h"
#include "common/str.h"
#include "collector/collector.h"

/* ?1: the LIKE pattern, ?2: the text as typed (employee numbers match
 * whole), ?3: the limit. */
#define SQL_PERSONS_FIND \
	"SELECT p.id, p.display_name, p.employee_id, p.status FROM persons p" \
	" WHERE p.display_name LIKE ?1 ESCAPE '\\'" \
	"  OR p.given_name LIKE ?1 ESCAPE '\\' OR p.sn LIKE ?1 ESCAPE '\\'" \
	"  OR p.employee_id = ?2" \
	"  OR p.id IN (SELECT l.person_id FROM links l JOIN accounts a" \
	"   ON a.domain = l.domain AND a.guid = l.guid" \
	"   WHERE a.sam LIKE ?1 ESCAPE '\\' OR a.upn LIKE ?1 ESCAPE '\\'" \
	"   OR a.mail LIKE ?1 ESCAPE '\\')" \
	" ORDER BY p.display_name COLLATE NOCASE, p.id LIMIT ?3"
#define SQL_PERSON_ACCOUNTS \
	"SELECT " IDENTITY_ACCOUNT_COLUMNS " FROM links l JOIN accounts a" \
	" ON a.domain = l.domain AND a.guid = l.guid WHERE l.person_id = ?1" \
	" ORDER BY l.role <> 'primary', a.domain, a.sam"
#define SQL_UNLINKED_FIND \
	"SELECT " IDENTITY_ACCOUNT_COLUMNS " FROM accounts a" \
	" LEFT JOIN links l ON l.domain = a.domain AND l.guid = a.guid" \
	" WHERE l.person_id IS NULL AND (a.sam LIKE ?1 ESCAPE '\\'" \
	"  OR a.upn LIKE ?1 ESCAPE '\\' OR a.mail LIKE ?1 ESCAPE '\\'" \
	"  OR a.display_name LIKE ?1 ESCAPE '\\' OR a.employee_id = ?2)" \
	" ORDER BY a.display_name COLLATE NOCASE, a.domain, a.sam LIMIT ?3"

/* A person's accounts, primary first. */
int
identity_person_accounts(struct db *db, const char *id, json_t *list,
    char *err, size_t errlen)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_stmt(db, SQL_PERSON_ACCOUNTS, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(list, identity_account_json(st, 0));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(db, "reading accounts", err, errlen);
		return -1;
	}
	return 0;
}

static void
persons_get(struct request *req, struct reply *rep)
{
	struct db	*db;
	sqlite3_stmt	*st;
	json_t		*persons = NULL, *unlinked = NULL, *p, *accounts, *body;
	const char	*q;
	char		 err[512], *pattern = NULL;
	int64_t		 limit;
	size_t		 i;
	int		 rc, truncated = 0;

	if (query_param(req, rep, "q", 2, 255, &q) == -1 ||
	    query_param_int(req, rep, "limit", 1, 200, 50, &limit) == -1)
		return;
	if (q == NULL) {
		reply_error(rep, 400, "q: required (a name, employee number, "
		    "username, UPN or mail; 2 to 255 bytes)");
		return;
	}
	if ((db = identity_open(req, rep)) == NULL)
		return;
	pattern = str_like_pattern(q);
	if ((st = db_stmt(db, SQL_PERSONS_FIND, err, sizeof err)) == NULL)
		goto fail;
	sqlite3_bind_text(st, 1, pattern, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, q, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, limit + 1);
	persons = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((int64_t)json_array_size(persons) == limit) {
			truncated = 1;
			continue;
		}
		p = json_object();
		json_object_set_new(p, "id", query_json_text(st, 0));
		json_object_set_new(p, "display_name", query_json_text(st, 1));
		json_object_set_new(p, "employee_id", query_json_text(st, 2));
		json_object_set_new(p, "status", query_json_text(st, 3));
		json_array_append_new(persons, p);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(db, "finding persons", err, sizeof err);
		goto fail;
	}
	/* Accounts after the search: the search's statement is done. */
	for (i = 0; i < json_array_size(persons); i++) {
		p = json_array_get(persons, i);
		accounts = json_array();
		json_object_set_new(p, "accounts", accounts);
		if (identity_person_accounts(db, json_string_value(
		    json_object_get(p, "id")), accounts, err, sizeof err) == -1)
			goto fail;
	}
	if ((st = db_stmt(db, SQL_UNLINKED_FIND, err, sizeof err)) == NULL)
		goto fail;
	sqlite3_bind_text(st, 1, pattern, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, q, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, limit);
	unlinked = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(unlinked, identity_account_json(st, 0));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(db, "finding unlinked accounts", err, sizeof err);
		goto fail;
	}
	body = json_object();
	json_object_set_new(body, "q", query_json_string(q));
	json_object_set_new(body, "count",
	    json_integer((json_int_t)json_array_size(persons)));
	json_object_set_new(body, "truncated", json_boolean(truncated));
	json_object_set_new(body, "persons", persons);
	json_object_set_new(body, "unlinked", unlinked);
	reply_json(rep, 200, body);
	free(pattern);
	db_close(db);
	return;

fail:
	json_decref(persons);
	json_decref(unlinked);
	free(pattern);
	query_fail(req, rep, err);
	db_close(db);
}

const struct route_entry route_persons = {
	"GET", "/api/v1/persons", ROLES_READ, persons_get,
	"People found by name, employee number, or any account's username, "
	"UPN or mail, each with their accounts.",
};
