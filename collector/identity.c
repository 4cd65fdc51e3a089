/* identity.c: ward-idsync's database, read-only, for the identity routes:
 * [identity] db, opening it per request, and the JSON of an account. */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/db.h"
#include "common/log.h"
#include "collector/collector.h"
#include "idsync/conflict_order.h"

const struct cfg_option identity_options[] = {
	{ "db", CFG_PATH, NULL, 0, 0, NULL, 0,
	  offsetof(struct identity_config, db),
	  "ward-idsync's database (its [idsync] database, idsync.db), read "
	  "only, for the identity routes (/api/v1/persons and friends). Not "
	  "set: those routes answer 503 saying identity is not configured. "
	  "The collector's [daemon] user must be able to read it and its "
	  "directory." },
	{ "stale_after", CFG_DURATION, "2h", 0, 30LL * 86400000, NULL, 0,
	  offsetof(struct identity_config, stale_after_ms),
	  "Raise identity_stale (critical) when no ward-idsync run has "
	  "succeeded for this long (its timer runs every half hour); 0: "
	  "never. A run or apply that fails, stops at a threshold or is "
	  "interrupted raises identity_run (warning) whatever this says." },
	CFG_OPTIONS_END
};

/* The tables read here, as ward-idsync's migrations 1 to 11 made them
 * (9: the conflicts' order; 11: persons' department and title). */
#define IDENTITY_SCHEMA_MIN	11

struct db *
identity_db(const struct collector_config *cfg, int64_t busy_timeout_ms,
    enum identity_state *state, char *err, size_t errlen)
{
	struct db_options	 o;
	struct db		*db;
	int			 version;

	if (cfg == NULL || cfg->identity.db == NULL ||
	    cfg->identity.db[0] == '\0') {
		*state = IDENTITY_UNSET;
		return NULL;
	}
	if (access(cfg->identity.db, F_OK) == -1) {
		*state = IDENTITY_MISSING;
		return NULL;
	}
	memset(&o, 0, sizeof o);
	o.flags = DB_READONLY;
	o.busy_timeout_ms = busy_timeout_ms;
	if ((db = db_open(cfg->identity.db, &o, err, errlen)) == NULL) {
		*state = IDENTITY_ERROR;
		return NULL;
	}
	/* Read once: a first save by ward-idsync may take the lock between
	 * two reads, and a version that cannot be read is no old one. */
	*state = IDENTITY_OK;
	if ((version = db_schema_version(db)) == -1) {
		snprintf(err, errlen, "%s: its schema version cannot be read "
		    "(busy, or not a database)", cfg->identity.db);
		*state = IDENTITY_ERROR;
	} else if (version == 0)
		*state = IDENTITY_FOREIGN;
	else if (version < IDENTITY_SCHEMA_MIN)
		*state = IDENTITY_OLD;
	if (*state == IDENTITY_OK)
		return db;
	db_close(db);
	return NULL;
}

struct db *
identity_open(struct request *req, struct reply *rep)
{
	const struct collector_config	*cfg = req->c->cfg;
	enum identity_state		 state;
	struct db			*db;
	char				 err[512];

	if ((db = identity_db(cfg, 0, &state, err, sizeof err)) != NULL)
		return db;
	switch (state) {
	case IDENTITY_UNSET:
		reply_error(rep, 503, "identity: not configured (set "
		    "[identity] db to ward-idsync's database)");
		break;
	case IDENTITY_MISSING:
		reply_error(rep, 503, "identity: no ward-idsync database yet "
		    "(it is made by the first \"ward-idsync run\")");
		break;
	case IDENTITY_FOREIGN:
		log_warnx("%s: not a ward-idsync database", cfg->identity.db);
		reply_error(rep, 503, "identity: no ward-idsync database yet "
		    "([identity] db is not one)");
		break;
	case IDENTITY_OLD:
		log_warnx("%s: a ward-idsync database older than this "
		    "collector reads (schema %d or later)", cfg->identity.db,
		    IDENTITY_SCHEMA_MIN);
		reply_error(rep, 503, "identity: ward-idsync's database is "
		    "older than this collector reads; the next \"ward-idsync "
		    "run\" brings it up to date");
		break;
	default:
		query_fail(req, rep, err);
		break;
	}
	return NULL;
}

/* The columns IDENTITY_ACCOUNT_COLUMNS select, from col on. */
json_t *
identity_account_json(sqlite3_stmt *st, int col)
{
	json_t	*a = json_object();
	int64_t	 expires;

	json_object_set_new(a, "domain", query_json_text(st, col));
	json_object_set_new(a, "sam", query_json_text(st, col + 1));
	json_object_set_new(a, "upn", query_json_text(st, col + 2));
	json_object_set_new(a, "mail", query_json_text(st, col + 3));
	json_object_set_new(a, "display_name", query_json_text(st, col + 4));
	json_object_set_new(a, "employee_id", query_json_text(st, col + 5));
	json_object_set_new(a, "kind", query_json_text(st, col + 6));
	json_object_set_new(a, "enabled",
	    json_boolean(sqlite3_column_int(st, col + 7) != 0));
	/* AD's "never" is 0 or the largest FILETIME: no expiry either way. */
	expires = sqlite3_column_int64(st, col + 8);
	json_object_set_new(a, "expires", sqlite3_column_type(st, col + 8) ==
	    SQLITE_NULL || expires <= 0 || expires >= INT64_MAX / 2 ?
	    json_null() : query_json_time_ms(expires));
	json_object_set_new(a, "role", query_json_text(st, col + 9));
	json_object_set_new(a, "reason", query_json_text(st, col + 10));
	json_object_set_new(a, "score", query_json_real(st, col + 11));
	/* pwdLastSet 0: the password must be changed at the next logon. */
	json_object_set_new(a, "password_must_change",
	    json_boolean(sqlite3_column_int(st, col + 12) != 0));
	return a;
}

/* The conflicts of the last run whose accounts include one of person's
 * (NULL: all), in the order ward-idsync conflicts gives them, at most
 * limit (+1 to tell a cut list). */
int
identity_conflicts(struct db *db, const char *person, int64_t limit,
    json_t *list, char *err, size_t errlen)
{
	sqlite3_stmt	*cs, *as;
	json_t		*c, *accounts, *a;
	int		 rc;

	if ((cs = db_stmt(db, "SELECT id, kind, summary FROM conflicts c"
	    " WHERE ?1 IS NULL OR EXISTS (SELECT 1 FROM conflict_accounts x"
	    "  JOIN links l ON l.domain = x.domain AND l.guid = x.guid"
	    "  WHERE x.conflict_id = c.id AND l.person_id = ?1)"
	    " OR EXISTS (SELECT 1 FROM conflict_accounts x"
	    "  WHERE x.conflict_id = c.id AND x.person_id = ?1)"
	    " ORDER BY " IDSYNC_CONFLICT_ORDER " LIMIT ?2", err,
	    errlen)) == NULL ||
	    (as = db_stmt(db, "SELECT x.domain, a.sam, a.display_name,"
	    " x.person_id, x.score, x.detail FROM conflict_accounts x"
	    " LEFT JOIN accounts a ON a.domain = x.domain AND a.guid = x.guid"
	    " WHERE x.conflict_id = ?1 ORDER BY x.rowid", err, errlen)) == NULL)
		return -1;
	if (person != NULL)
		sqlite3_bind_text(cs, 1, person, -1, SQLITE_STATIC);
	sqlite3_bind_int64(cs, 2, limit);
	while ((rc = sqlite3_step(cs)) == SQLITE_ROW) {
		c = json_object();
		json_object_set_new(c, "id", query_json_int(cs, 0));
		json_object_set_new(c, "kind", query_json_text(cs, 1));
		json_object_set_new(c, "summary", query_json_text(cs, 2));
		accounts = json_array();
		sqlite3_bind_int64(as, 1, sqlite3_column_int64(cs, 0));
		while (sqlite3_step(as) == SQLITE_ROW) {
			a = json_object();
			json_object_set_new(a, "domain", query_json_text(as, 0));
			json_object_set_new(a, "sam", query_json_text(as, 1));
			json_object_set_new(a, "display_name",
			    query_json_text(as, 2));
			json_object_set_new(a, "person_id",
			    query_json_text(as, 3));
			json_object_set_new(a, "score", query_json_real(as, 4));
			json_object_set_new(a, "detail", query_json_text(as, 5));
			json_array_append_new(accounts, a);
		}
		sqlite3_reset(as);
		json_object_set_new(c, "accounts", accounts);
		json_array_append_new(list, c);
	}
	sqlite3_reset(cs);
	if (rc != SQLITE_DONE) {
		db_error(db, "reading conflicts", err, errlen);
		return -1;
	}
	return 0;
}
