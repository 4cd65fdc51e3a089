/* route_identity_summary.c: GET /api/v1/identity/summary: per domain, the
 * accounts ward-idsync read and how many it linked; persons, conflicts
 * and its last run. */
#include "config.h"

#include <string.h>

#include "common/db.h"
#include "collector/collector.h"

#define SQL_LAST_RUN \
	"SELECT id, command, outcome, started_ms, finished_ms FROM runs" \
	" WHERE outcome <> 'running' ORDER BY id DESC LIMIT 1"
#define SQL_COUNTS \
	"SELECT (SELECT count(*) FROM persons)," \
	" (SELECT count(*) FROM persons WHERE status = 'leaver')," \
	" (SELECT count(*) FROM conflicts)"
/* Every domain that has accounts or was read, with the newest run that
 * read it. */
#define SQL_DOMAINS \
	"WITH d AS (SELECT domain FROM accounts UNION" \
	"  SELECT domain FROM run_domains)," \
	" last AS (SELECT rd.domain, rd.error, r.started_ms FROM run_domains rd" \
	"  JOIN runs r ON r.id = rd.run_id WHERE rd.run_id = (SELECT" \
	"  max(run_id) FROM run_domains x WHERE x.domain = rd.domain))" \
	" SELECT d.domain," \
	"  (SELECT count(*) FROM accounts a WHERE a.domain = d.domain)," \
	"  (SELECT count(*) FROM links l WHERE l.domain = d.domain)," \
	"  (SELECT count(*) FROM accounts a WHERE a.domain = d.domain" \
	"   AND a.kind = 'person' AND NOT EXISTS (SELECT 1 FROM links l" \
	"   WHERE l.domain = a.domain AND l.guid = a.guid))," \
	"  (SELECT count(*) FROM accounts a WHERE a.domain = d.domain" \
	"   AND a.enabled = 0)," \
	"  (SELECT CASE WHEN last.error IS NULL THEN last.started_ms END" \
	"   FROM last WHERE last.domain = d.domain)," \
	"  (SELECT last.error FROM last WHERE last.domain = d.domain)" \
	" FROM d ORDER BY d.domain"

static void
identity_summary_get(struct request *req, struct reply *rep)
{
	struct db	*db;
	sqlite3_stmt	*st;
	json_t		*body = NULL, *run = json_null(), *domains, *d;
	char		 err[512];
	int		 rc;

	if ((db = identity_open(req, rep)) == NULL)
		return;
	if ((st = db_stmt(db, SQL_LAST_RUN, err, sizeof err)) == NULL)
		goto fail;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		run = json_object();
		json_object_set_new(run, "id", query_json_int(st, 0));
		json_object_set_new(run, "command", query_json_text(st, 1));
		json_object_set_new(run, "outcome", query_json_text(st, 2));
		json_object_set_new(run, "started", query_json_time(st, 3));
		json_object_set_new(run, "finished", query_json_time(st, 4));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_error(db, "reading runs", err, sizeof err);
		goto fail;
	}
	body = json_object();
	json_object_set_new(body, "last_run", run);
	run = NULL;
	if ((st = db_stmt(db, SQL_COUNTS, err, sizeof err)) == NULL)
		goto fail;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		db_error(db, "counting persons", err, sizeof err);
		goto fail;
	}
	json_object_set_new(body, "persons", query_json_int(st, 0));
	json_object_set_new(body, "leavers", query_json_int(st, 1));
	json_object_set_new(body, "conflicts", query_json_int(st, 2));
	sqlite3_reset(st);

	if ((st = db_stmt(db, SQL_DOMAINS, err, sizeof err)) == NULL)
		goto fail;
	domains = json_array();
	json_object_set_new(body, "domains", domains);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		d = json_object();
		json_object_set_new(d, "domain", query_json_text(st, 0));
		json_object_set_new(d, "accounts", query_json_int(st, 1));
		json_object_set_new(d, "linked", query_json_int(st, 2));
		json_object_set_new(d, "unmatched", query_json_int(st, 3));
		json_object_set_new(d, "disabled", query_json_int(st, 4));
		json_object_set_new(d, "last_read", query_json_time(st, 5));
		json_object_set_new(d, "error", query_json_text(st, 6));
		json_array_append_new(domains, d);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(db, "reading domains", err, sizeof err);
		goto fail;
	}
	reply_json(rep, 200, body);
	db_close(db);
	return;

fail:
	json_decref(run);
	json_decref(body);
	query_fail(req, rep, err);
	db_close(db);
}

const struct route_entry route_identity_summary = {
	"GET", "/api/v1/identity/summary", ROLES_READ, identity_summary_get,
	"Identity: per domain, accounts linked and unmatched; persons, "
	"conflicts, the last ward-idsync run.",
};
