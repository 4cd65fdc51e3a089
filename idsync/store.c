/* store.c: idsync.db: accounts, persons and their links, conflicts, the
 * decisions people made, where each domain's next read starts, the run
 * history and the audit of what was written to directories. A run's new
 * state replaces the old in one transaction, so a failed or killed run
 * changes nothing. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/buf.h"
#include "common/daemon.h"
#include "common/db.h"
#include "common/log.h"
#include "common/wtime.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "idsync/idsync.h"

struct store {
	struct db	*db;
	int		 writable;
};

static size_t	 state_find(const struct state *, const char *,
		    const char *);

static const struct db_migration store_migrations[] = {
	{ 1, "identity state and run history",
	  "CREATE TABLE runs ("
	  "  id INTEGER PRIMARY KEY,"
	  "  command TEXT NOT NULL,"
	  "  started_ms INTEGER NOT NULL,"
	  "  finished_ms INTEGER,"
	  "  outcome TEXT NOT NULL,"
	  "  message TEXT,"
	  "  forced INTEGER NOT NULL DEFAULT 0,"
	  "  accounts INTEGER, persons INTEGER, conflicts INTEGER,"
	  "  accounts_added INTEGER, accounts_removed INTEGER,"
	  "  accounts_modified INTEGER,"
	  "  persons_created INTEGER, persons_removed INTEGER,"
	  "  links_added INTEGER, links_removed INTEGER);"
	  "CREATE TABLE run_domains ("
	  "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	  "  domain TEXT NOT NULL,"
	  "  uri TEXT, accounts INTEGER, pages INTEGER, skipped INTEGER,"
	  "  read_ms INTEGER, error TEXT,"
	  "  PRIMARY KEY (run_id, domain));"
	  "CREATE TABLE persons ("
	  "  id TEXT PRIMARY KEY,"
	  "  created_run INTEGER NOT NULL,"
	  "  created_ms INTEGER NOT NULL,"
	  "  display_name TEXT, given_name TEXT, sn TEXT, employee_id TEXT,"
	  "  status TEXT NOT NULL CHECK (status IN ('active', 'leaver')));"
	  "CREATE TABLE accounts ("
	  "  domain TEXT NOT NULL,"
	  "  guid TEXT NOT NULL,"
	  "  dn TEXT NOT NULL,"
	  "  sam TEXT, upn TEXT, mail TEXT, display_name TEXT,"
	  "  employee_id TEXT, sid TEXT,"
	  "  kind TEXT NOT NULL"
	  "    CHECK (kind IN ('person', 'admin', 'service', 'shared')),"
	  "  enabled INTEGER NOT NULL,"
	  "  expires_ms INTEGER,"
	  "  attrs TEXT NOT NULL,"
	  "  first_seen_run INTEGER NOT NULL,"
	  "  changed_run INTEGER NOT NULL,"
	  "  PRIMARY KEY (domain, guid));"
	  "CREATE INDEX accounts_sam ON accounts(sam COLLATE NOCASE);"
	  "CREATE TABLE links ("
	  "  domain TEXT NOT NULL,"
	  "  guid TEXT NOT NULL,"
	  "  person_id TEXT NOT NULL REFERENCES persons(id),"
	  "  role TEXT NOT NULL CHECK (role IN ('primary', 'secondary')),"
	  "  reason TEXT NOT NULL,"
	  "  score REAL,"
	  "  via_domain TEXT, via_guid TEXT, detail TEXT,"
	  "  linked_run INTEGER NOT NULL,"
	  "  PRIMARY KEY (domain, guid),"
	  "  FOREIGN KEY (domain, guid) REFERENCES accounts(domain, guid));"
	  /* The rule that matters most, kept by the database as well. */
	  "CREATE UNIQUE INDEX links_one_primary ON links(person_id, domain)"
	  "  WHERE role = 'primary';"
	  "CREATE INDEX links_person ON links(person_id);"
	  "CREATE TABLE conflicts ("
	  "  id INTEGER PRIMARY KEY,"
	  "  run_id INTEGER NOT NULL,"
	  "  kind TEXT NOT NULL,"
	  "  summary TEXT NOT NULL);"
	  "CREATE TABLE conflict_accounts ("
	  "  conflict_id INTEGER NOT NULL"
	  "    REFERENCES conflicts(id) ON DELETE CASCADE,"
	  "  domain TEXT NOT NULL,"
	  "  guid TEXT NOT NULL,"
	  "  person_id TEXT, score REAL, detail TEXT);"
	  "CREATE INDEX conflict_accounts_conflict"
	  "  ON conflict_accounts(conflict_id);"
	  "CREATE TABLE decisions ("
	  "  id INTEGER PRIMARY KEY,"
	  "  kind TEXT NOT NULL"
	  "    CHECK (kind IN ('link', 'never-link', 'unlink')),"
	  "  a_domain TEXT NOT NULL, a_guid TEXT NOT NULL,"
	  "  b_domain TEXT, b_guid TEXT, person_id TEXT,"
	  "  created_ms INTEGER NOT NULL,"
	  "  created_by TEXT NOT NULL);" },
	{ 2, "incremental reads",
	  /* Saved with the state it belongs to, in one transaction. */
	  "CREATE TABLE domain_marks ("
	  "  domain TEXT PRIMARY KEY,"
	  "  server TEXT NOT NULL,"
	  "  invocation_id TEXT NOT NULL,"
	  "  usn INTEGER NOT NULL,"
	  "  scope TEXT NOT NULL,"
	  "  full_ms INTEGER NOT NULL,"
	  "  run_id INTEGER NOT NULL);"
	  "ALTER TABLE run_domains ADD COLUMN incremental INTEGER;"
	  "ALTER TABLE run_domains ADD COLUMN changed INTEGER;"
	  "ALTER TABLE run_domains ADD COLUMN gone INTEGER;"
	  "ALTER TABLE run_domains ADD COLUMN why_full TEXT;" },
	{ 3, "the audit of writes to directories",
	  "ALTER TABLE runs ADD COLUMN writes INTEGER;"
	  "ALTER TABLE runs ADD COLUMN write_failures INTEGER;"
	  "CREATE TABLE audit ("
	  "  id INTEGER PRIMARY KEY,"
	  "  run_id INTEGER NOT NULL,"
	  "  started_ms INTEGER NOT NULL,"
	  "  finished_ms INTEGER,"
	  "  by_user TEXT NOT NULL,"
	  "  bind_dn TEXT,"
	  "  domain TEXT NOT NULL,"
	  "  guid TEXT NOT NULL,"
	  "  dn TEXT NOT NULL,"
	  "  attribute TEXT NOT NULL,"
	  "  before TEXT,"
	  "  after TEXT,"
	  "  outcome TEXT NOT NULL CHECK (outcome IN"
	  "    ('pending', 'done', 'failed', 'interrupted')),"
	  "  error TEXT);"
	  "CREATE INDEX audit_account ON audit(domain, guid);" },
	{ 4, "the consolidated identity's mail, username, UPN and lifecycle",
	  /* Added columns only: readers of the first ones are unchanged. */
	  "ALTER TABLE persons ADD COLUMN mail TEXT;"
	  "ALTER TABLE persons ADD COLUMN username TEXT;"
	  "ALTER TABLE persons ADD COLUMN upn TEXT;"
	  "ALTER TABLE persons ADD COLUMN lifecycle TEXT;"
	  "CREATE UNIQUE INDEX persons_username ON persons(username);" },
	{ 5, "conflicts found by account",
	  /* export --accounts asks, for each account, whether a conflict
	   * holds it: without this, a scan of conflict_accounts each time
	   * (18 minutes over 300,000 accounts). */
	  "CREATE INDEX conflict_accounts_account"
	  "  ON conflict_accounts(domain, guid);" },
	{ 6, "incremental reads by DirSync",
	  /* The cookie is the mark of incremental_method = dirsync; NULL
	   * for uSNChanged's marks. */
	  "ALTER TABLE domain_marks ADD COLUMN dirsync_cookie BLOB;" },
	{ 7, "sums that tell a changed row from the last state's",
	  /* SHA-256, as account_sum gives them and of what a conflict says;
	   * NULL in rows saved before: those are written again once. */
	  "ALTER TABLE accounts ADD COLUMN attrs_sum BLOB;"
	  "ALTER TABLE accounts ADD COLUMN content_sum BLOB;"
	  "ALTER TABLE conflicts ADD COLUMN sum BLOB;" },
	{ 8, "what a run's state follows from",
	  /* basis: the sum of the program and its configuration; settled:
	   * the run saved without a link or person to write (till version
	   * 10, without any row). NULL in runs before: the
	   * next run matches every account. */
	  "ALTER TABLE runs ADD COLUMN basis TEXT;"
	  "ALTER TABLE runs ADD COLUMN decision_max INTEGER;"
	  "ALTER TABLE runs ADD COLUMN settled INTEGER;" },
	{ 9, "conflicts in the order a person should take them",
	  /* best: the highest score among a conflict's accounts, NULL if
	   * none has one. Contradictions first, then the pairs to review,
	   * likeliest first: `conflicts` and the collector's API ask in
	   * this order, and the index answers without a sort. */
	  "ALTER TABLE conflicts ADD COLUMN best REAL;"
	  "UPDATE conflicts SET best = (SELECT max(score) FROM "
	  "  conflict_accounts WHERE conflict_id = conflicts.id);"
	  "CREATE INDEX conflicts_order ON conflicts"
	  "  (kind = 'review', best IS NULL, best DESC, id);" },
	{ 10, "what the next run need not match again",
	  /* Per account, the key of the first account of its component (of
	   * pairs, persons and link decisions) when the run found that
	   * component settled; none: the next run matches it again. A
	   * table of its own: rewriting the accounts' wide rows to change
	   * a column costs seconds when every account's changes. */
	  "CREATE TABLE components ("
	  "  domain TEXT NOT NULL,"
	  "  guid TEXT NOT NULL,"
	  "  component TEXT NOT NULL,"
	  "  PRIMARY KEY (domain, guid)) WITHOUT ROWID;" },
	{ 11, "a person's department and job title",
	  /* Consolidated as the names are; a change of either is a move.
	   * Filled by the next run; until then jobs_known is NULL, and what
	   * that run finds is no move. */
	  "ALTER TABLE persons ADD COLUMN department TEXT;"
	  "ALTER TABLE persons ADD COLUMN title TEXT;"
	  "ALTER TABLE persons ADD COLUMN jobs_known INTEGER;" },
	{ 12, "an account's kind checked without a list",
	  /* SQLite checks "kind IN (four values)" by building a table of
	   * the four for each statement it runs: 0.4 s of writing a first
	   * state's 300 000 accounts, one statement each. The same check,
	   * written out, costs nothing. The table is rebuilt (SQLite cannot
	   * change a CHECK in place); links' references to it stay. */
	  "CREATE TABLE accounts_new ("
	  "  domain TEXT NOT NULL,"
	  "  guid TEXT NOT NULL,"
	  "  dn TEXT NOT NULL,"
	  "  sam TEXT, upn TEXT, mail TEXT, display_name TEXT,"
	  "  employee_id TEXT, sid TEXT,"
	  "  kind TEXT NOT NULL"
	  "    CHECK (kind = 'person' OR kind = 'admin' OR kind = 'service'"
	  "    OR kind = 'shared'),"
	  "  enabled INTEGER NOT NULL,"
	  "  expires_ms INTEGER,"
	  "  attrs TEXT NOT NULL,"
	  "  first_seen_run INTEGER NOT NULL,"
	  "  changed_run INTEGER NOT NULL,"
	  "  attrs_sum BLOB, content_sum BLOB,"
	  "  PRIMARY KEY (domain, guid));"
	  "INSERT INTO accounts_new (domain, guid, dn, sam, upn, mail,"
	  "  display_name, employee_id, sid, kind, enabled, expires_ms, attrs,"
	  "  first_seen_run, changed_run, attrs_sum, content_sum)"
	  "  SELECT domain, guid, dn, sam, upn, mail, display_name,"
	  "  employee_id, sid, kind, enabled, expires_ms, attrs,"
	  "  first_seen_run, changed_run, attrs_sum, content_sum"
	  "  FROM accounts ORDER BY domain, guid;"
	  "DROP TABLE accounts;"
	  "ALTER TABLE accounts_new RENAME TO accounts;"
	  "CREATE INDEX accounts_sam ON accounts(sam COLLATE NOCASE);", 1 },
	{ 13, "accounts' sums made without JSON",
	  /* The sums are worked out again from each row's attributes, by
	   * the next run's loading (as for rows saved before there were
	   * sums), and written once: else every account would look
	   * changed to it. */
	  "UPDATE accounts SET attrs_sum = NULL, content_sum = NULL;", 0 },
};

/* A new database's page size in bytes. */
#define STORE_PAGE_SIZE		16384

/* SQLite's page cache while a run's state is saved, in KiB. */
#define STORE_SAVE_CACHE_KIB	"32768"

/* What a command waiting for the database says: a run that is saving
 * holds it, most likely. Malloc'd. */
static char *
store_wait_notice(const char *path)
{
	char	*lock, *s;
	pid_t	 pid;

	xasprintf(&lock, "%s.lock", path);
	pid = daemon_pidfile_read(lock);
	free(lock);
	if (pid > 0 && (kill(pid, 0) == 0 || errno == EPERM))
		xasprintf(&s, "%s: waiting for ward-idsync run (pid %ld) to "
		    "finish saving its state (up to %d minutes)", path,
		    (long)pid, STORE_WAIT_MS / 60000);
	else
		xasprintf(&s, "%s: waiting for another writer to finish (up "
		    "to %d minutes)", path, STORE_WAIT_MS / 60000);
	return s;
}

struct store *
store_open(const char *path, unsigned flags, char *err, size_t errlen)
{
	struct store		*st;
	struct db_options	 o;
	char			*notice = NULL;

	memset(&o, 0, sizeof o);
	/* A state of 300 000 accounts is 600 MB: pages four times SQLite's
	 * default make a first run's save a second shorter (fewer pages to
	 * write, spill and checkpoint), and a run that changes a few rows
	 * writes little either way. */
	o.page_size = STORE_PAGE_SIZE;
	if (flags & STORE_READONLY) {
		if (access(path, F_OK) == -1) {
			snprintf(err, errlen, "%s: no database yet (it is made "
			    "by the first \"ward-idsync run\")", path);
			return NULL;
		}
		o.flags = DB_READONLY;
	}
	if (flags & STORE_WAIT) {
		o.busy_timeout_ms = STORE_WAIT_MS;
		o.busy_notice = notice = store_wait_notice(path);
	}
	st = xcalloc(1, sizeof *st);
	st->db = db_open(path, &o, err, errlen);
	free(notice);
	if (st->db == NULL)
		goto fail;
	if (db_migrate(st->db, store_migrations, sizeof store_migrations /
	    sizeof store_migrations[0], err, errlen) == -1)
		goto fail;
	/*
	 * The write-ahead log is copied into the database once, at
	 * store_close, not whenever a commit finds it past a thousand
	 * pages: a save's commit then waits only for the log to reach the
	 * disk, and the copy (a sync of the whole file) is done while the
	 * run frees its memory.
	 */
	if (!(flags & STORE_READONLY)) {
		if (db_exec(st->db, "PRAGMA wal_autocheckpoint = 0", err,
		    errlen) == -1)
			goto fail;
		st->writable = 1;
	}
	return st;

fail:
	store_close(st);
	return NULL;
}

void
store_close(struct store *st)
{
	char	 why[512];

	if (st == NULL)
		return;
	/* As much of the log as no reader still needs; the last
	 * connection's close copies and removes the rest. */
	if (st->writable && db_exec(st->db, "PRAGMA wal_checkpoint(PASSIVE)",
	    why, sizeof why) == -1)
		log_warnx("%s", why);
	db_close(st->db);
	free(st);
}

struct db *
store_db(struct store *st)
{
	return st->db;
}

int
store_lock(const char *path, char *err, size_t errlen)
{
	char	*lock, why[512];
	int	 rc;

	xasprintf(&lock, "%s.lock", path);
	rc = daemon_pidfile_create(lock, why, sizeof why);
	if (rc == -1 && errno == EWOULDBLOCK)
		snprintf(err, errlen, "another ward-idsync run holds the lock "
		    "(%s)", why);
	else if (rc == -1)
		snprintf(err, errlen, "cannot take the run's lock: %s", why);
	free(lock);
	return rc;
}

void
store_unlock(void)
{
	daemon_pidfile_remove();
}

static sqlite3_stmt *
store_stmt(struct store *st, const char *sql, char *err, size_t errlen)
{
	return db_stmt(st->db, sql, err, errlen);
}

static int
store_step_done(struct store *st, sqlite3_stmt *stmt, const char *what,
    char *err, size_t errlen)
{
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		db_error(st->db, what, err, errlen);
		sqlite3_reset(stmt);
		return -1;
	}
	sqlite3_reset(stmt);
	return 0;
}

static void
bind_text(sqlite3_stmt *stmt, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(stmt, i);
	else
		sqlite3_bind_text(stmt, i, s, -1, SQLITE_TRANSIENT);
}

/* A run that was running when the lock was free was killed. */
int
store_run_begin(struct store *st, const char *command, int64_t now_ms,
    int forced, int64_t *run_id, char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;

	if (db_begin(st->db, err, errlen) == -1)
		return -1;
	if (db_exec(st->db, "UPDATE runs SET outcome = 'interrupted', "
	    "message = 'the run stopped before it finished; nothing of it "
	    "was applied' WHERE outcome = 'running'", err, errlen) == -1)
		goto fail;
	if ((stmt = store_stmt(st, "INSERT INTO runs (command, started_ms, "
	    "outcome, forced) VALUES (?, ?, 'running', ?)", err,
	    errlen)) == NULL)
		goto fail;
	sqlite3_bind_text(stmt, 1, command, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, now_ms);
	sqlite3_bind_int(stmt, 3, forced);
	if (store_step_done(st, stmt, "insert run", err, errlen) == -1)
		goto fail;
	*run_id = sqlite3_last_insert_rowid(db_handle(st->db));
	return db_commit(st->db, err, errlen);

fail:
	db_rollback(st->db);
	return -1;
}

int
store_run_domain(struct store *st, int64_t run_id, const char *domain,
    const struct read_stats *rs, const char *error, char *err,
    size_t errlen)
{
	sqlite3_stmt	*stmt;

	if ((stmt = store_stmt(st, "INSERT OR REPLACE INTO run_domains "
	    "(run_id, domain, uri, accounts, pages, skipped, read_ms, error, "
	    "incremental, changed, gone, why_full) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", err,
	    errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, run_id);
	bind_text(stmt, 2, domain);
	bind_text(stmt, 3, rs->uri[0] != '\0' ? rs->uri : NULL);
	sqlite3_bind_int64(stmt, 4, (int64_t)rs->accounts);
	sqlite3_bind_int64(stmt, 5, (int64_t)rs->pages);
	sqlite3_bind_int64(stmt, 6, (int64_t)rs->skipped);
	sqlite3_bind_int64(stmt, 7, rs->read_ms);
	bind_text(stmt, 8, error);
	sqlite3_bind_int(stmt, 9, rs->incremental);
	sqlite3_bind_int64(stmt, 10, (int64_t)rs->changed);
	sqlite3_bind_int64(stmt, 11, (int64_t)rs->gone);
	bind_text(stmt, 12, rs->why_full[0] != '\0' ? rs->why_full : NULL);
	return store_step_done(st, stmt, "insert run domain", err, errlen);
}

int
store_load_mark(struct store *st, const char *domain, struct read_mark *mark,
    char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;
	const void	*cookie;
	int		 rc, cookie_len;

	memset(mark, 0, sizeof *mark);
	str_copy(mark->domain, domain, sizeof mark->domain);

	if ((stmt = store_stmt(st, "SELECT server, invocation_id, usn, scope, "
	    "full_ms, dirsync_cookie FROM domain_marks WHERE domain = ?", err,
	    errlen)) == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, domain, -1, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		str_copy(mark->server, (const char *)sqlite3_column_text(stmt,
		    0), sizeof mark->server);
		str_copy(mark->invocation, (const char *)sqlite3_column_text(
		    stmt, 1), sizeof mark->invocation);
		mark->usn = sqlite3_column_int64(stmt, 2);
		mark->scope = xstrdup((const char *)sqlite3_column_text(stmt,
		    3));
		mark->full_ms = sqlite3_column_int64(stmt, 4);
		cookie = sqlite3_column_blob(stmt, 5);
		cookie_len = sqlite3_column_bytes(stmt, 5);
		if (cookie != NULL && cookie_len > 0) {
			mark->cookie = xmalloc((size_t)cookie_len);
			memcpy(mark->cookie, cookie, (size_t)cookie_len);
			mark->cookie_len = (size_t)cookie_len;
		}
	} else if (rc != SQLITE_DONE) {
		db_error(st->db, "load domain mark", err, errlen);
		sqlite3_reset(stmt);
		return -1;
	}
	sqlite3_reset(stmt);
	return 0;
}

int
store_run_writes(struct store *st, int64_t run_id, size_t writes,
    size_t failed, char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;

	if ((stmt = store_stmt(st, "UPDATE runs SET writes = ?, "
	    "write_failures = ? WHERE id = ?", err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, (int64_t)writes);
	sqlite3_bind_int64(stmt, 2, (int64_t)failed);
	sqlite3_bind_int64(stmt, 3, run_id);
	return store_step_done(st, stmt, "update run writes", err, errlen);
}

/* ------------------------------------------------------------ audit */

int
store_audit_begin(struct store *st, const struct audit_entry *ae,
    int64_t now_ms, int64_t *id, char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;

	if ((stmt = store_stmt(st, "INSERT INTO audit (run_id, started_ms, "
	    "by_user, bind_dn, domain, guid, dn, attribute, before, after, "
	    "outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')", err,
	    errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, ae->run_id);
	sqlite3_bind_int64(stmt, 2, now_ms);
	bind_text(stmt, 3, ae->by);
	bind_text(stmt, 4, ae->bind_dn);
	bind_text(stmt, 5, ae->domain);
	bind_text(stmt, 6, ae->guid);
	bind_text(stmt, 7, ae->dn);
	bind_text(stmt, 8, ae->attribute);
	bind_text(stmt, 9, ae->before);
	bind_text(stmt, 10, ae->after);
	if (store_step_done(st, stmt, "insert audit", err, errlen) == -1)
		return -1;
	*id = sqlite3_last_insert_rowid(db_handle(st->db));
	return 0;
}

int
store_audit_end(struct store *st, int64_t id, const char *error,
    int64_t now_ms, char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;

	if ((stmt = store_stmt(st, "UPDATE audit SET finished_ms = ?, "
	    "outcome = ?, error = ? WHERE id = ?", err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, now_ms);
	sqlite3_bind_text(stmt, 2, error == NULL ? "done" : "failed", -1,
	    SQLITE_STATIC);
	bind_text(stmt, 3, error);
	sqlite3_bind_int64(stmt, 4, id);
	return store_step_done(st, stmt, "update audit", err, errlen);
}

int
store_audit_interrupted(struct store *st, size_t *count, char *err,
    size_t errlen)
{
	if (db_exec(st->db, "UPDATE audit SET outcome = 'interrupted', "
	    "error = 'the apply stopped before it knew whether this was "
	    "written' WHERE outcome = 'pending'", err, errlen) == -1)
		return -1;
	*count = (size_t)sqlite3_changes(db_handle(st->db));
	return 0;
}

/* Run run_id ends: outcome, the plan's counts, and for a run that saved
 * the state its basis and whether it settled. */
static int
store_run_update(struct store *st, int64_t run_id, const char *outcome,
    const char *message, const struct plan *plan,
    const struct run_basis *basis, int settled, int64_t now_ms, char *err,
    size_t errlen)
{
	sqlite3_stmt	*stmt;

	if ((stmt = store_stmt(st, "UPDATE runs SET finished_ms = ?, "
	    "outcome = ?, message = ?, accounts = ?, persons = ?, "
	    "conflicts = ?, accounts_added = ?, accounts_removed = ?, "
	    "accounts_modified = ?, persons_created = ?, persons_removed = ?, "
	    "links_added = ?, links_removed = ?, basis = ?, decision_max = ?, "
	    "settled = ? WHERE id = ?", err, errlen)) == NULL)
		return -1;
	/* The statement is kept: what is not bound now is NULL, not what a
	 * run before had. */
	sqlite3_clear_bindings(stmt);
	sqlite3_bind_int64(stmt, 1, now_ms);
	sqlite3_bind_text(stmt, 2, outcome, -1, SQLITE_STATIC);
	bind_text(stmt, 3, message);
	if (plan != NULL) {
		sqlite3_bind_int64(stmt, 4, (int64_t)plan->accounts);
		sqlite3_bind_int64(stmt, 5, (int64_t)plan->persons);
		sqlite3_bind_int64(stmt, 6, (int64_t)plan->conflicts);
		sqlite3_bind_int64(stmt, 7, (int64_t)plan->accounts_added);
		sqlite3_bind_int64(stmt, 8, (int64_t)plan->accounts_removed);
		sqlite3_bind_int64(stmt, 9, (int64_t)plan->accounts_modified);
		sqlite3_bind_int64(stmt, 10, (int64_t)plan->persons_created);
		sqlite3_bind_int64(stmt, 11, (int64_t)plan->persons_removed);
		sqlite3_bind_int64(stmt, 12, (int64_t)plan->links_added);
		sqlite3_bind_int64(stmt, 13, (int64_t)plan->links_removed);
	}
	if (basis != NULL) {
		bind_text(stmt, 14, basis->config);
		sqlite3_bind_int64(stmt, 15, basis->decision_max);
	}
	sqlite3_bind_int(stmt, 16, basis != NULL && settled);
	sqlite3_bind_int64(stmt, 17, run_id);
	return store_step_done(st, stmt, "update run", err, errlen);
}

int
store_run_end(struct store *st, int64_t run_id, const char *outcome,
    const char *message, const struct plan *plan, int64_t now_ms, char *err,
    size_t errlen)
{
	return store_run_update(st, run_id, outcome, message, plan, NULL, 0,
	    now_ms, err, errlen);
}

static char *
col_dup(sqlite3_stmt *stmt, int i)
{
	const unsigned char	*s = sqlite3_column_text(stmt, i);

	return s != NULL ? xstrdup((const char *)s) : NULL;
}

static const char *
col_text(sqlite3_stmt *stmt, int i)
{
	const unsigned char	*s = sqlite3_column_text(stmt, i);

	return s != NULL ? (const char *)s : "";
}

/* A statement stepped through its rows (rc: the last step's) is reset;
 * -1 with err saying what failed unless the rows all came. */
static int
store_rows_done(struct store *st, sqlite3_stmt *stmt, int rc,
    const char *what, char *err, size_t errlen)
{
	if (rc != SQLITE_DONE)
		db_error(st->db, what, err, errlen);
	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* NULL-safe: do a and b hold the same text? */
static int
same_text(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

size_t
store_domain_index(const struct cfg_items *domains, const char *name)
{
	const struct domain_config	*d;
	size_t				 i;

	for (i = 0; domains != NULL && i < domains->count; i++) {
		d = domains->items[i];
		if (strcmp(d->item.label, name) == 0)
			return i;
	}
	return SIZE_MAX;
}

static enum account_kind
store_kind(const char *s)
{
	if (strcmp(s, "admin") == 0)
		return ACCOUNT_ADMIN;
	if (strcmp(s, "service") == 0)
		return ACCOUNT_SERVICE;
	if (strcmp(s, "shared") == 0)
		return ACCOUNT_SHARED;
	return ACCOUNT_PERSON;
}

/* The state's order of keys: domain name, then GUID, as SQLite's
 * "ORDER BY domain, guid" puts them. */
static int
store_key_cmp(const char *da, const char *ga, const char *db,
    const char *gb)
{
	int	 c;

	return (c = strcmp(da, db)) != 0 ? c : strcmp(ga, gb);
}

/*
 * Walks rows of a table keyed by (domain, guid), in that order, beside
 * the state's accounts (loaded in the same order): the account each row is
 * of, or STATE_NONE for a row of no account. *at: where the walk is (a
 * key twice finds its account twice).
 */
static size_t
store_walk_to(const struct state *state, size_t *at, const char *domain,
    const char *guid)
{
	const struct account	*a;
	int			 c;

	for (; *at < state->naccounts; (*at)++) {
		a = state->accounts[*at].account;
		c = store_key_cmp(a->domain_name, a->guid, domain, guid);
		if (c == 0)
			return *at;
		if (c > 0)
			break;
	}
	return STATE_NONE;
}

/* Each account's link, from a scan of the links beside the accounts (a
 * join looked each up in the links' index: a third of loading). */
static int
store_load_links(struct store *st, struct state *state, char *err,
    size_t errlen)
{
	sqlite3_stmt		*stmt;
	struct state_account	*sa;
	size_t			 at = 0, k;
	int			 rc;

	if ((stmt = store_stmt(st, "SELECT domain, guid, person_id, role, "
	    "reason, score, via_domain, via_guid, detail, linked_run "
	    "FROM links ORDER BY domain, guid", err, errlen)) == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if ((k = store_walk_to(state, &at, col_text(stmt, 0),
		    col_text(stmt, 1))) == STATE_NONE)
			continue;
		sa = &state->accounts[k];
		sa->person_id = col_dup(stmt, 2);
		sa->secondary = strcmp(col_text(stmt, 3), "secondary") == 0;
		sa->reason = col_dup(stmt, 4);
		sa->has_score = sqlite3_column_type(stmt, 5) != SQLITE_NULL;
		sa->score = sqlite3_column_double(stmt, 5);
		sa->via_domain = col_dup(stmt, 6);
		sa->via_guid = col_dup(stmt, 7);
		sa->detail = col_dup(stmt, 8);
		sa->linked_run = sqlite3_column_int64(stmt, 9);
	}
	if (store_rows_done(st, stmt, rc, "load links", err, errlen) == -1)
		return -1;

	if ((stmt = store_stmt(st, "SELECT domain, guid, component "
	    "FROM components ORDER BY domain, guid", err, errlen)) == NULL)
		return -1;
	at = 0;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		if ((k = store_walk_to(state, &at, col_text(stmt, 0),
		    col_text(stmt, 1))) != STATE_NONE)
			state->accounts[k].component = col_dup(stmt, 2);
	return store_rows_done(st, stmt, rc, "load components", err, errlen);
}

static int
store_load_accounts(struct store *st, const struct cfg_items *domains,
    unsigned flags, struct state *state, char *err, size_t errlen)
{
	sqlite3_stmt		*stmt;
	struct state_account	*sa;
	struct account		*a;
	size_t			 alloc = 0;
	int			 rc, partial;

	/* Without STATE_ATTRS a row's attributes are read only when its
	 * sums are not saved (they are worked out from them). */
	if ((stmt = store_stmt(st, "SELECT domain, guid, dn, kind, "
	    "CASE WHEN ?1 OR attrs_sum IS NULL OR content_sum IS NULL "
	    "THEN attrs END, first_seen_run, changed_run, enabled, "
	    "attrs_sum, content_sum, sam "
	    "FROM accounts ORDER BY domain, guid", err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int(stmt, 1, (flags & STATE_ATTRS) != 0);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		partial = sqlite3_column_type(stmt, 4) == SQLITE_NULL;
		if (partial) {
			a = account_new_sized(store_domain_index(domains,
			    col_text(stmt, 0)), col_text(stmt, 0),
			    col_text(stmt, 1), col_text(stmt, 2), 64 +
			    (size_t)sqlite3_column_bytes(stmt, 10));
			if (sqlite3_column_type(stmt, 10) != SQLITE_NULL)
				account_add_value(a, "sAMAccountName",
				    col_text(stmt, 10), (size_t)
				    sqlite3_column_bytes(stmt, 10));
			(void)account_finish(a, err, errlen);
		} else if ((a = account_from_json(store_domain_index(domains,
		    col_text(stmt, 0)), col_text(stmt, 0), col_text(stmt, 1),
		    col_text(stmt, 2), col_text(stmt, 4), err, errlen)) ==
		    NULL) {
			sqlite3_reset(stmt);
			return -1;
		}
		a->kind = store_kind(col_text(stmt, 3));
		if (state->naccounts == alloc) {
			alloc = alloc == 0 ? 256 : alloc * 2;
			state->accounts = xreallocarray(state->accounts, alloc,
			    sizeof *state->accounts);
		}
		sa = &state->accounts[state->naccounts];
		memset(sa, 0, sizeof *sa);
		sa->account = a;
		sa->person = STATE_NONE;
		sa->partial = partial;
		/* Saved before there were sums: worked out, and the row
		 * written again once. */
		sa->sums_saved = sqlite3_column_bytes(stmt, 8) ==
		    ACCOUNT_SUM_LEN && sqlite3_column_bytes(stmt, 9) ==
		    ACCOUNT_SUM_LEN;
		if (sa->sums_saved) {
			memcpy(a->sums[0], sqlite3_column_blob(stmt, 8),
			    ACCOUNT_SUM_LEN);
			memcpy(a->sums[1], sqlite3_column_blob(stmt, 9),
			    ACCOUNT_SUM_LEN);
			a->summed = 1;
		} else
			account_summarise(a);
		sa->enabled = sqlite3_column_int(stmt, 7);
		sa->first_seen_run = sqlite3_column_int64(stmt, 5);
		sa->changed_run = sqlite3_column_int64(stmt, 6);
		state->naccounts++;
	}
	if (store_rows_done(st, stmt, rc, "load accounts", err, errlen) == -1)
		return -1;
	return store_load_links(st, state, err, errlen);
}

static int
store_load_persons(struct store *st, struct state *state, char *err,
    size_t errlen)
{
	sqlite3_stmt		*stmt;
	struct state_person	*p;
	size_t			 alloc = 0;
	int			 rc;

	if ((stmt = store_stmt(st, "SELECT id, created_run, created_ms, "
	    "display_name, given_name, sn, employee_id, mail, username, upn, "
	    "status, lifecycle, department, title, jobs_known IS NULL FROM "
	    "persons ORDER BY id", err, errlen)) == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (state->npersons == alloc) {
			alloc = alloc == 0 ? 256 : alloc * 2;
			state->persons = xreallocarray(state->persons, alloc,
			    sizeof *state->persons);
		}
		p = &state->persons[state->npersons];
		memset(p, 0, sizeof *p);
		str_copy(p->id, col_text(stmt, 0), sizeof p->id);
		p->created_run = sqlite3_column_int64(stmt, 1);
		p->created_ms = sqlite3_column_int64(stmt, 2);
		p->attrs[PERSON_DISPLAY_NAME] = col_dup(stmt, 3);
		p->attrs[PERSON_GIVEN_NAME] = col_dup(stmt, 4);
		p->attrs[PERSON_SN] = col_dup(stmt, 5);
		p->attrs[PERSON_EMPLOYEE_ID] = col_dup(stmt, 6);
		p->attrs[PERSON_MAIL] = col_dup(stmt, 7);
		p->username = col_dup(stmt, 8);
		p->upn = col_dup(stmt, 9);
		p->leaver = strcmp(col_text(stmt, 10), "leaver") == 0;
		p->lifecycle = col_dup(stmt, 11);
		p->attrs[PERSON_DEPARTMENT] = col_dup(stmt, 12);
		p->attrs[PERSON_TITLE] = col_dup(stmt, 13);
		p->jobs_unknown = sqlite3_column_int(stmt, 14);
		index_add(state->person_index, p->id, state->npersons);
		state->npersons++;
	}
	return store_rows_done(st, stmt, rc, "load persons", err, errlen);
}

static int
store_load_decisions(struct store *st, struct state *state, char *err,
    size_t errlen)
{
	sqlite3_stmt	*stmt;
	struct decision	*d;
	const char	*kind;
	int		 rc;

	if ((stmt = store_stmt(st, "SELECT id, kind, a_domain, a_guid, "
	    "b_domain, b_guid, person_id FROM decisions ORDER BY id", err,
	    errlen)) == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		state->decisions = xreallocarray(state->decisions,
		    state->ndecisions + 1, sizeof *state->decisions);
		d = &state->decisions[state->ndecisions++];
		memset(d, 0, sizeof *d);
		d->id = sqlite3_column_int64(stmt, 0);
		kind = col_text(stmt, 1);
		if (strcmp(kind, "link") == 0)
			d->kind = DECISION_LINK;
		else if (strcmp(kind, "never-link") == 0)
			d->kind = DECISION_NEVER_LINK;
		else
			d->kind = DECISION_UNLINK;
		d->a_domain = col_dup(stmt, 2);
		d->a_guid = col_dup(stmt, 3);
		d->b_domain = col_dup(stmt, 4);
		d->b_guid = col_dup(stmt, 5);
		d->person_id = col_dup(stmt, 6);
	}
	return store_rows_done(st, stmt, rc, "load decisions", err, errlen);
}

/*
 * What a conflict says, summed: its kind, summary, and each account in it
 * with its person, score and detail, in order, each field with its length
 * first so that no text can pass for two. Two conflicts with one sum are
 * one conflict found again.
 */
static void
conflict_sum_field(struct buf *b, const char *s)
{
	size_t	 len;

	if (s == NULL) {
		buf_append_str(b, "-;");
		return;
	}
	/* As "%zu:%s;" would, for each field of thousands of conflicts. */
	len = strlen(s);
	buf_append_uint(b, len);
	buf_append_char(b, ':');
	buf_append(b, s, len);
	buf_append_char(b, ';');
}

static void
conflict_sum_begin(struct buf *b, const char *kind, const char *summary)
{
	buf_reset(b);
	conflict_sum_field(b, kind);
	conflict_sum_field(b, summary);
}

static void
conflict_sum_member(struct buf *b, const char *domain, const char *guid,
    const char *person_id, const double *score, const char *detail)
{
	char	 num[64];

	buf_append_char(b, '|');
	conflict_sum_field(b, domain);
	conflict_sum_field(b, guid);
	conflict_sum_field(b, person_id);
	/* %a: the double exactly, as SQLite's REAL keeps it. */
	if (score != NULL)
		snprintf(num, sizeof num, "%a", *score);
	conflict_sum_field(b, score != NULL ? num : NULL);
	conflict_sum_field(b, detail);
}

/* A conflict's first member, to be found among the accounts. */
struct first_member {
	const char	*domain;
	const char	*guid;
	size_t		 conflict;
};

static int
first_member_cmp(const void *x, const void *y)
{
	const struct first_member	*a = x, *b = y;

	return store_key_cmp(a->domain, a->guid, b->domain, b->guid);
}

static int
store_load_conflicts(struct store *st, struct state *state, char *err,
    size_t errlen)
{
	sqlite3_stmt		*stmt;
	struct first_member	*first;
	struct xarena		*room = NULL;
	unsigned char		*seen = NULL;
	char			 hex[2 * STATE_SUM_LEN + 1];
	size_t			 alloc = 0, lo, hi, mid, at = 0, k, i;
	size_t			 nfirst = 0;
	int64_t		 id;
	int		 rc;

	if ((stmt = store_stmt(st, "SELECT id, sum FROM conflicts ORDER BY id",
	    err, errlen)) == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (state->nconflicts == alloc) {
			alloc = alloc == 0 ? 256 : alloc * 2;
			state->conflict_ids = xreallocarray(
			    state->conflict_ids, alloc,
			    sizeof *state->conflict_ids);
			state->conflict_account = xreallocarray(
			    state->conflict_account, alloc,
			    sizeof *state->conflict_account);
		}
		state->conflict_ids[state->nconflicts] =
		    sqlite3_column_int64(stmt, 0);
		state->conflict_account[state->nconflicts] = SIZE_MAX;
		/* Without a sum (saved before there were sums) it is
		 * found again by nothing, and written again. */
		if (sqlite3_column_bytes(stmt, 1) == STATE_SUM_LEN) {
			idsync_sum_hex(sqlite3_column_blob(stmt, 1), hex);
			index_add(state->conflict_index, hex,
			    state->nconflicts);
		}
		state->nconflicts++;
	}
	if (store_rows_done(st, stmt, rc, "load conflicts", err,
	    errlen) == -1)
		return -1;

	/*
	 * One account of each tells its component (all of a conflict's are
	 * in one): the first of its members, read in one pass over them
	 * (a search per conflict took longer than all the rest of loading
	 * the conflicts), then put in order and found by a walk beside the
	 * accounts (a search each by halves missed the cache at each step).
	 */
	if ((stmt = store_stmt(st, "SELECT conflict_id, domain, guid FROM "
	    "conflict_accounts ORDER BY rowid", err, errlen)) == NULL)
		return -1;
	first = xcalloc(state->nconflicts + 1, sizeof *first);
	seen = xcalloc(state->nconflicts + 1, 1);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		id = sqlite3_column_int64(stmt, 0);
		/* Members are mostly written conflict by conflict. */
		if (at >= state->nconflicts || state->conflict_ids[at] != id) {
			for (lo = 0, hi = state->nconflicts; lo < hi;) {
				mid = lo + (hi - lo) / 2;
				if (state->conflict_ids[mid] < id)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo == state->nconflicts ||
			    state->conflict_ids[lo] != id)
				continue;
			at = lo;
		}
		if (seen[at])
			continue;
		seen[at] = 1;
		if (sqlite3_column_type(stmt, 1) == SQLITE_NULL ||
		    sqlite3_column_type(stmt, 2) == SQLITE_NULL)
			continue;
		first[nfirst].domain = xarena_strndup(&room, col_text(stmt, 1),
		    (size_t)sqlite3_column_bytes(stmt, 1));
		first[nfirst].guid = xarena_strndup(&room, col_text(stmt, 2),
		    (size_t)sqlite3_column_bytes(stmt, 2));
		first[nfirst++].conflict = at;
	}
	free(seen);
	rc = store_rows_done(st, stmt, rc, "load conflicts' accounts", err,
	    errlen);
	if (rc == 0) {
		qsort(first, nfirst, sizeof *first, first_member_cmp);
		for (i = 0, at = 0; i < nfirst; i++)
			if ((k = store_walk_to(state, &at, first[i].domain,
			    first[i].guid)) != STATE_NONE)
				state->conflict_account[first[i].conflict] = k;
	}
	free(first);
	xarena_free(room);
	return rc;
}

/* Each person's accounts, counted. */
static int
store_count_links(struct state *state, char *err, size_t errlen)
{
	const size_t	*v;
	size_t		 i, n;

	for (i = 0; i < state->naccounts; i++) {
		if (state->accounts[i].person_id == NULL)
			continue;
		if ((v = index_get(state->person_index,
		    state->accounts[i].person_id, &n)) == NULL) {
			snprintf(err, errlen, "account %s: linked to person %s, "
			    "which the state does not hold",
			    state->accounts[i].account->guid,
			    state->accounts[i].person_id);
			return -1;
		}
		state->persons[v[0]].naccounts++;
		state->accounts[i].person = v[0];
	}
	return 0;
}

/* The state the last successful run left, to match against and to
 * compute the plan from. */
int
store_load_state(struct store *st, const struct cfg_items *domains,
    unsigned flags, struct state *state, char *err, size_t errlen)
{
	int64_t	 t = wtime_mono_ms();

	memset(state, 0, sizeof *state);
	/* No account index: loaded in order, the accounts are found by
	 * halves (state_find). */
	state->person_index = index_new();
	state->conflict_index = index_new();
	if (store_load_accounts(st, domains, flags, state, err,
	    errlen) == -1)
		goto fail;
	idsync_phase("loading: ", "accounts", &t);
	if (store_load_persons(st, state, err, errlen) == -1 ||
	    store_count_links(state, err, errlen) == -1)
		goto fail;
	idsync_phase("loading: ", "persons", &t);
	if (store_load_conflicts(st, state, err, errlen) == -1)
		goto fail;
	idsync_phase("loading: ", "conflicts", &t);
	if (store_load_decisions(st, state, err, errlen) == -1)
		goto fail;
	return 0;
fail:
	state_clear(state);
	return -1;
}

/*
 * The attributes of the accounts loaded without them whose content or
 * kind differs from what was read (the plan shows what changed), and of
 * those gone (matching again finds what they paired with). Call it
 * before store_save_start: a save changes the rows.
 */
int
store_load_attrs(struct store *st, struct state *state,
    struct account *const *accounts, size_t naccounts, size_t *loaded,
    char *err, size_t errlen)
{
	sqlite3_stmt		*stmt;
	struct state_account	*sa;
	struct account		*a, *o;
	unsigned char		 tmp[ACCOUNT_SUM_LEN], *load;
	char			 key[ACCOUNT_KEY_LEN];
	size_t			 i, p;
	int			 rc = 0;

	*loaded = 0;
	if ((stmt = store_stmt(st, "SELECT attrs FROM accounts "
	    "WHERE domain = ? AND guid = ?", err, errlen)) == NULL)
		return -1;
	/* Each account gone, unless read, or changed. */
	load = xmalloc(state->naccounts + 1);
	memset(load, 1, state->naccounts + 1);
	for (i = 0; i < naccounts; i++) {
		if ((p = state_prev_of(state, accounts, i)) == STATE_NONE)
			continue;
		o = state->accounts[p].account;
		load[p] = memcmp(account_sum(accounts[i], 1, tmp),
		    o->sums[1], ACCOUNT_SUM_LEN) != 0 ||
		    accounts[i]->kind != o->kind;
	}
	for (i = 0; i < state->naccounts && rc == 0; i++) {
		sa = &state->accounts[i];
		o = sa->account;
		if (!sa->partial || load[i] == 0)
			continue;
		bind_text(stmt, 1, o->domain_name);
		bind_text(stmt, 2, o->guid);
		if ((rc = sqlite3_step(stmt)) != SQLITE_ROW) {
			if (rc == SQLITE_DONE)
				snprintf(err, errlen, "account %s: its row is "
				    "gone", account_key(o->domain_name,
				    o->guid, key, sizeof key));
			else
				db_error(st->db, "load account attributes",
				    err, errlen);
			sqlite3_reset(stmt);
			rc = -1;
			break;
		}
		a = account_from_json(o->domain, o->domain_name, o->guid,
		    o->dn, col_text(stmt, 0), err, errlen);
		sqlite3_reset(stmt);
		if (a == NULL) {
			rc = -1;
			break;
		}
		a->kind = o->kind;
		memcpy(a->sums, o->sums, sizeof a->sums);
		a->summed = 1;
		account_free(o);
		sa->account = a;
		sa->partial = 0;
		(*loaded)++;
		rc = 0;
	}
	free(load);
	return rc;
}

void
state_gate_init(struct state_gate *g)
{
	memset(g, 0, sizeof *g);
	if (pthread_mutex_init(&g->mu, NULL) != 0 ||
	    pthread_cond_init(&g->cv, NULL) != 0)
		fatalx("cannot make a mutex for the last state");
}

/* s is there (NULL: it will not be); every waiter goes on. */
void
state_gate_open(struct state_gate *g, const struct state *s)
{
	pthread_mutex_lock(&g->mu);
	g->state = s;
	g->open = 1;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

const struct state *
state_gate_wait(struct state_gate *g)
{
	const struct state	*s;

	pthread_mutex_lock(&g->mu);
	while (!g->open)
		pthread_cond_wait(&g->cv, &g->mu);
	s = g->state;
	pthread_mutex_unlock(&g->mu);
	return s;
}

void
state_gate_destroy(struct state_gate *g)
{
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
}

/* The index in state->accounts of domain's account guid: found by halves
 * in a state as loaded (in order of domain and GUID), by its index in one
 * put together otherwise; STATE_NONE if it is not there. */
static size_t
state_find(const struct state *state, const char *domain, const char *guid)
{
	const struct account	*o;
	const size_t		*v;
	char			 key[ACCOUNT_KEY_LEN];
	size_t			 n, lo, hi, mid;
	int			 c;

	if (state->account_index != NULL) {
		v = index_get(state->account_index, account_key(domain, guid,
		    key, sizeof key), &n);
		return n > 0 ? v[0] : STATE_NONE;
	}
	for (lo = 0, hi = state->naccounts; lo < hi;) {
		mid = lo + (hi - lo) / 2;
		o = state->accounts[mid].account;
		c = store_key_cmp(o->domain_name, o->guid, domain, guid);
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return STATE_NONE;
}

static size_t
state_lookup(const struct state *state, const struct account *a)
{
	return state_find(state, a->domain_name, a->guid);
}

/*
 * prev[pfrom..pto), a domain's accounts in order of GUID, and
 * accounts[from..to), the same domain's as read: each account's index in
 * prev, by one walk of both. 0 if the accounts are out of order (then
 * looked up one by one).
 */
static int
state_map_walk(const struct state *state, size_t pfrom, size_t pto,
    struct account *const *accounts, size_t from, size_t to, size_t *out)
{
	const struct state_account	*sa = state->accounts;
	size_t				 i, p = pfrom;
	int				 c = 1;

	for (i = from + 1; i < to; i++)
		if (strcmp(accounts[i - 1]->guid, accounts[i]->guid) >= 0)
			return 0;
	for (i = from; i < to; i++) {
		out[i] = STATE_NONE;
		while (p < pto && (c = strcmp(sa[p].account->guid,
		    accounts[i]->guid)) < 0)
			p++;
		if (p < pto && c == 0)
			out[i] = p++;
	}
	return 1;
}

/*
 * The last state comes in order of domain name and GUID, and the run's
 * accounts (account_set_sort's) by domain and GUID: each domain's are
 * matched by a walk of both rather than a lookup each.
 */
void
state_map_accounts(struct state *state, struct account *const *accounts,
    size_t naccounts)
{
	const struct state_account	*sa = state->accounts;
	size_t				 i, j, from, pfrom, pto;
	char				 key[ACCOUNT_KEY_LEN];
	int				 walk = 1;

	free(state->mapped_prev);
	state->mapped_prev = xcalloc(naccounts + 1,
	    sizeof *state->mapped_prev);
	for (i = 1; walk && i < state->naccounts; i++)
		if (store_key_cmp(sa[i - 1].account->domain_name,
		    sa[i - 1].account->guid, sa[i].account->domain_name,
		    sa[i].account->guid) >= 0)
			walk = 0;
	/* Out of order, it cannot be searched by halves either. */
	if (!walk && state->account_index == NULL) {
		state->account_index = index_new();
		for (i = 0; i < state->naccounts; i++)
			index_add(state->account_index, account_key(
			    sa[i].account->domain_name, sa[i].account->guid,
			    key, sizeof key), i);
	}
	for (from = 0; from < naccounts; from = i) {
		for (i = from + 1; i < naccounts &&
		    strcmp(accounts[i]->domain_name,
		    accounts[from]->domain_name) == 0; i++)
			;
		for (pfrom = 0; pfrom < state->naccounts && strcmp(
		    sa[pfrom].account->domain_name,
		    accounts[from]->domain_name) != 0; pfrom++)
			;
		for (pto = pfrom; pto < state->naccounts && strcmp(
		    sa[pto].account->domain_name,
		    accounts[from]->domain_name) == 0; pto++)
			;
		if (walk && state_map_walk(state, pfrom, pto, accounts, from,
		    i, state->mapped_prev))
			continue;
		for (j = from; j < i; j++)
			state->mapped_prev[j] = state_lookup(state,
			    accounts[j]);
	}
	state->mapped = accounts;
	state->nmapped = naccounts;
}

size_t
state_prev_of(const struct state *state, struct account *const *accounts,
    size_t i)
{
	if (accounts == state->mapped && i < state->nmapped)
		return state->mapped_prev[i];
	return state_lookup(state, accounts[i]);
}

void
state_clear(struct state *state)
{
	struct state_account	*sa;
	struct decision		*d;
	size_t			 i, k;

	for (i = 0; i < state->naccounts; i++) {
		sa = &state->accounts[i];
		account_free(sa->account);
		free(sa->person_id);
		free(sa->reason);
		free(sa->via_domain);
		free(sa->via_guid);
		free(sa->detail);
		free(sa->component);
	}
	free(state->accounts);
	free(state->mapped_prev);
	for (i = 0; i < state->ndecisions; i++) {
		d = &state->decisions[i];
		free(d->a_domain);
		free(d->a_guid);
		free(d->b_domain);
		free(d->b_guid);
		free(d->person_id);
	}
	free(state->decisions);
	for (i = 0; i < state->npersons; i++) {
		for (k = 0; k < PERSON_ATTR_COUNT; k++)
			free(state->persons[i].attrs[k]);
		free(state->persons[i].username);
		free(state->persons[i].upn);
		free(state->persons[i].lifecycle);
	}
	free(state->persons);
	free(state->conflict_ids);
	free(state->conflict_account);
	index_free(state->conflict_index);
	index_free(state->account_index);
	index_free(state->person_index);
	memset(state, 0, sizeof *state);
}

/* ------------------------------------------------------------ saving */

/* One of a first save's indexes, dropped while it writes
 * (store_indexes_drop). */
struct store_index {
	char	*name;
	char	*sql;
	char	*table;
	int	 made;		/* made again yet */
};

struct store_save {
	struct store			*st;
	int64_t				 run_id;
	struct account *const		*accounts;
	size_t				 naccounts;
	const struct state		*prev;
	const struct match_result	*res;
	const struct plan		*plan;
	int64_t				 now_ms;
	/*
	 * Rows written or deleted of what the next run starts from (links,
	 * and persons as consolidated): none, and the run settled. The
	 * accounts' rows are what it read, matched as read; conflicts
	 * follow from the accounts, links and decisions alone.
	 */
	size_t				 written;
	size_t				 accounts_written;
	size_t				 conflicts_written;
	size_t				 components;	/* accounts' changed */
	/* Per account: its last state, or NULL for a new one. */
	const struct state_account	**olds;
	/* The matching's conflicts as it left them (consolidating adds
	 * more, and may move the array while they are written), and per
	 * conflict of the last state: whether one of this run's is it. */
	struct match_conflict		*matched_conflicts;
	size_t				 nmatched_conflicts;
	/* Their sums, worked out by a thread of their own while the links
	 * are written (NULL: by the writer as it goes). */
	unsigned char			(*matched_sums)[STATE_SUM_LEN];
	pthread_t			 sum_thread;
	int				 sum_started;
	unsigned char			*kept;
	/* The accounts' rows, written by a thread of their own while the
	 * accounts are matched. */
	pthread_t			 thread;
	int				 (*stage)(struct store_save *);
	int				 started;
	int				 matched;	/* links too */
	int				 rows_rc;
	int				 direct;	/* no WAL */
	int				 whole;		/* a first save:
							   keys checked at
							   the end */
	char				 rows_err[1024];
	char				*err;
	size_t				 errlen;
	/* A first save's indexes, dropped while it writes. */
	struct store_index		*indexes;
	size_t				 nindexes;
};

static void	 store_save_end(struct store_save *);
static int	 store_indexes_drop(struct store_save *, char *, size_t);
static int	 store_indexes_make(struct store_save *, const char *);

/* One statement run for the account's key (domain, guid) as ?1 and ?2. */
static int
store_step_account(struct store_save *sv, sqlite3_stmt *stmt,
    const struct account *a, const char *what)
{
	sqlite3_bind_text(stmt, 1, a->domain_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, a->guid, -1, SQLITE_STATIC);
	return store_step_done(sv->st, stmt, what, sv->err, sv->errlen);
}

/* How store_save_persons takes a person's row (ROW_CHANGED: 0, what a
 * row of the last state no person of this run keeps is). */
enum { ROW_CHANGED, ROW_SAME, ROW_QUIET };

/* p as the last state has it o, its lifecycle aside? */
static int
person_same_but_lifecycle(const struct match_person *p,
    const struct state_person *o)
{
	int	 i;

	if (o->jobs_unknown)
		return 0;
	for (i = 0; i < PERSON_ATTR_COUNT; i++)
		if (!same_text(p->attrs[i], o->attrs[i]))
			return 0;
	return p->created_run == o->created_run &&
	    p->created_ms == o->created_ms && p->leaver == o->leaver &&
	    same_text(p->username, o->username) &&
	    same_text(p->upn, o->upn);
}

/*
 * Rows are written only where they differ from the last state, and those
 * of things gone are deleted. Rows that unique indexes cover (persons by
 * username, primary links by person and domain) are all deleted before
 * any is inserted, so that a username passed from one person to another
 * is no clash, and a true clash in the new state still fails the save.
 */
static int
store_save_persons(struct store_save *sv)
{
	const struct match_person	*p;
	const size_t			*ix;
	unsigned char			*keep, *write;
	sqlite3_stmt			*stmt, *del;
	size_t				 i, n;
	int				 rc = -1;

	if ((stmt = store_stmt(sv->st, "INSERT INTO persons (id, "
	    "created_run, created_ms, display_name, given_name, sn, "
	    "employee_id, status, mail, username, upn, lifecycle, department, "
	    "title, jobs_known) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
	    "?, 1)", sv->err,
	    sv->errlen)) == NULL || (del = store_stmt(sv->st, "DELETE FROM "
	    "persons WHERE id = ?", sv->err, sv->errlen)) == NULL)
		return -1;
	/*
	 * Per row of the last state (keep) and of this run (write): ROW_SAME
	 * stays as it is; ROW_QUIET is rewritten only because the person, a
	 * mover or joiner the last run, is unchanged now, which the next run
	 * with nothing changed would find again, so it does not count
	 * against settling; ROW_CHANGED is written (or deleted) and does.
	 */
	keep = xcalloc(sv->prev->npersons + 1, 1);
	write = xcalloc(sv->res->npersons + 1, 1);
	for (i = 0; i < sv->res->npersons; i++) {
		p = &sv->res->persons[i];
		ix = index_get(sv->prev->person_index, p->id, &n);
		write[i] = ROW_CHANGED;
		if (n == 0 || !person_same_but_lifecycle(p,
		    &sv->prev->persons[ix[0]]))
			continue;
		if (same_text(p->lifecycle,
		    sv->prev->persons[ix[0]].lifecycle))
			keep[ix[0]] = write[i] = ROW_SAME;
		else if (same_text(p->lifecycle, "unchanged"))
			keep[ix[0]] = write[i] = ROW_QUIET;
	}
	for (i = 0; i < sv->prev->npersons; i++) {
		if (keep[i] == ROW_SAME)
			continue;
		if (keep[i] == ROW_CHANGED)
			sv->written++;
		sqlite3_bind_text(del, 1, sv->prev->persons[i].id, -1,
		    SQLITE_STATIC);
		if (store_step_done(sv->st, del, "delete person", sv->err,
		    sv->errlen) == -1)
			goto out;
	}
	for (i = 0; i < sv->res->npersons; i++) {
		if (write[i] == ROW_SAME)
			continue;
		p = &sv->res->persons[i];
		if (write[i] == ROW_CHANGED)
			sv->written++;
		sqlite3_bind_text(stmt, 1, p->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 2, p->created_run);
		sqlite3_bind_int64(stmt, 3, p->created_ms);
		bind_text(stmt, 4, p->attrs[PERSON_DISPLAY_NAME]);
		bind_text(stmt, 5, p->attrs[PERSON_GIVEN_NAME]);
		bind_text(stmt, 6, p->attrs[PERSON_SN]);
		bind_text(stmt, 7, p->attrs[PERSON_EMPLOYEE_ID]);
		sqlite3_bind_text(stmt, 8, p->leaver ? "leaver" : "active", -1,
		    SQLITE_STATIC);
		bind_text(stmt, 9, p->attrs[PERSON_MAIL]);
		bind_text(stmt, 10, p->username);
		bind_text(stmt, 11, p->upn);
		bind_text(stmt, 12, p->lifecycle);
		bind_text(stmt, 13, p->attrs[PERSON_DEPARTMENT]);
		bind_text(stmt, 14, p->attrs[PERSON_TITLE]);
		if (store_step_done(sv->st, stmt, "insert person", sv->err,
		    sv->errlen) == -1)
			goto out;
	}
	rc = 0;
out:
	free(keep);
	free(write);
	return rc;
}

int
state_account_same(const struct state_account *o, const struct account *a,
    int64_t now_ms)
{
	unsigned char	 tmp[STATE_SUM_LEN];

	/* The same attributes: the same columns taken from them. */
	return o->sums_saved && memcmp(account_sum(a, 0, tmp),
	    o->account->sums[0], STATE_SUM_LEN) == 0 &&
	    strcmp(a->dn, o->account->dn) == 0 &&
	    a->kind == o->account->kind &&
	    account_enabled(a, now_ms) == o->enabled;
}

int
state_same_accounts(const struct state *prev, struct account *const *accounts,
    size_t naccounts, int64_t now_ms, char *why, size_t whylen)
{
	const struct state_account	*o;
	size_t				 i, p, added = 0, changed = 0;
	size_t				 enabled = 0;

	for (i = 0; i < naccounts; i++) {
		if ((p = state_prev_of(prev, accounts, i)) == STATE_NONE) {
			added++;
			continue;
		}
		o = &prev->accounts[p];
		if (state_account_same(o, accounts[i], now_ms))
			continue;
		/* Enabled or disabled by the clock alone: expired. */
		if (account_enabled(accounts[i], now_ms) != o->enabled &&
		    state_account_same(o, accounts[i], o->enabled ?
		    INT64_MIN : INT64_MAX))
			enabled++;
		else
			changed++;
	}
	/* Each account read is at most one of the state's. */
	if (added == 0 && changed == 0 && enabled == 0 &&
	    naccounts == prev->naccounts)
		return 1;
	snprintf(why, whylen, "%zu accounts new, %zu changed, %zu expired, "
	    "%zu gone", added, changed, enabled,
	    prev->naccounts - (naccounts - added));
	return 0;
}

/* Account a's row: inserted (o, its last state, NULL), updated, or left
 * as it is when nothing in it would change. */
static int
store_account_row(struct store_save *sv, const struct account *a,
    const struct state_account *o, sqlite3_stmt *ins, sqlite3_stmt *upd)
{
	unsigned char	 tmp[2][STATE_SUM_LEN];
	const unsigned char *sum = account_sum(a, 0, tmp[0]);
	const unsigned char *content = account_sum(a, 1, tmp[1]);
	sqlite3_stmt	*stmt = o != NULL ? upd : ins;
	int64_t		 first_seen = sv->run_id, changed = sv->run_id;
	int		 enabled = account_enabled(a, sv->now_ms), rc;
	char		*attrs;

	if (o != NULL) {
		first_seen = o->first_seen_run;
		if (memcmp(content, o->account->sums[1], STATE_SUM_LEN) == 0)
			changed = o->changed_run;
		if (state_account_same(o, a, sv->now_ms))
			return 0;
	}
	attrs = account_attrs_json(a, 0);
	sv->accounts_written++;
	/* Numbered alike in both statements. */
	sqlite3_bind_text(stmt, 1, a->domain_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, a->guid, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, a->dn, -1, SQLITE_STATIC);
	bind_text(stmt, 4, account_get(a, "sAMAccountName"));
	bind_text(stmt, 5, account_get(a, "userPrincipalName"));
	bind_text(stmt, 6, account_get(a, "mail"));
	bind_text(stmt, 7, account_get(a, "displayName"));
	bind_text(stmt, 8, account_get(a, "employeeID"));
	bind_text(stmt, 9, account_get(a, "objectSid"));
	sqlite3_bind_text(stmt, 10, account_kind_name(a->kind), -1,
	    SQLITE_STATIC);
	sqlite3_bind_int(stmt, 11, enabled);
	if (a->expires_ms != INT64_MAX)
		sqlite3_bind_int64(stmt, 12, a->expires_ms);
	else
		sqlite3_bind_null(stmt, 12);
	sqlite3_bind_text(stmt, 13, attrs, -1, free);
	sqlite3_bind_int64(stmt, 14, first_seen);
	sqlite3_bind_int64(stmt, 15, changed);
	sqlite3_bind_blob(stmt, 16, sum, STATE_SUM_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_blob(stmt, 17, content, STATE_SUM_LEN, SQLITE_TRANSIENT);
	rc = store_step_done(sv->st, stmt, o != NULL ? "update account" :
	    "insert account", sv->err, sv->errlen);
	/* attrs is SQLite's to free: unbound now rather than kept. */
	sqlite3_clear_bindings(stmt);
	return rc;
}

int
state_link_same(const struct state_account *o, const char *person_id,
    const struct match_link *l)
{
	if (person_id == NULL || o == NULL || o->person_id == NULL)
		return person_id == NULL && (o == NULL ||
		    o->person_id == NULL);
	return strcmp(person_id, o->person_id) == 0 &&
	    l->secondary == o->secondary &&
	    same_text(l->reason != NULL ? l->reason : "new", o->reason) &&
	    l->has_score == o->has_score &&
	    (!l->has_score || l->score == o->score) &&
	    same_text(l->via_domain, o->via_domain) &&
	    same_text(l->via_guid, o->via_guid) &&
	    same_text(l->detail, o->detail) &&
	    l->linked_run == o->linked_run;
}

static int
store_link_row(struct store_save *sv, const struct account *a,
    const struct match_link *l, sqlite3_stmt *stmt)
{
	sv->written++;
	sqlite3_bind_text(stmt, 1, a->domain_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, a->guid, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, sv->res->persons[l->person].id, -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, l->secondary ? "secondary" : "primary", -1,
	    SQLITE_STATIC);
	bind_text(stmt, 5, l->reason != NULL ? l->reason : "new");
	if (l->has_score)
		sqlite3_bind_double(stmt, 6, l->score);
	else
		sqlite3_bind_null(stmt, 6);
	bind_text(stmt, 7, l->via_domain);
	bind_text(stmt, 8, l->via_guid);
	bind_text(stmt, 9, l->detail);
	sqlite3_bind_int64(stmt, 10, l->linked_run);
	return store_step_done(sv->st, stmt, "insert link", sv->err,
	    sv->errlen);
}

/* The accounts' rows, as store_save_persons writes persons, and the
 * links of accounts gone: nothing in them waits on the matching. */
static int
store_save_accounts(struct store_save *sv)
{
	const struct account		*a;
	const struct state_account	*o;
	unsigned char			*seen;
	sqlite3_stmt			*ins, *upd, *adel, *ldel, *cdel;
	size_t				 i, p;
	int				 rc = -1;

	if ((ins = store_stmt(sv->st, "INSERT INTO accounts (domain, guid, "
	    "dn, sam, upn, mail, display_name, employee_id, sid, kind, "
	    "enabled, expires_ms, attrs, first_seen_run, changed_run, "
	    "attrs_sum, content_sum) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
	    "?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)", sv->err,
	    sv->errlen)) == NULL ||
	    (upd = store_stmt(sv->st, "UPDATE accounts SET dn = ?3, sam = ?4, "
	    "upn = ?5, mail = ?6, display_name = ?7, employee_id = ?8, "
	    "sid = ?9, kind = ?10, enabled = ?11, expires_ms = ?12, "
	    "attrs = ?13, first_seen_run = ?14, changed_run = ?15, "
	    "attrs_sum = ?16, content_sum = ?17 "
	    "WHERE domain = ?1 AND guid = ?2", sv->err, sv->errlen)) ==
	    NULL ||
	    (adel = store_stmt(sv->st, "DELETE FROM accounts WHERE domain = ? "
	    "AND guid = ?", sv->err, sv->errlen)) == NULL ||
	    (ldel = store_stmt(sv->st, "DELETE FROM links WHERE domain = ? "
	    "AND guid = ?", sv->err, sv->errlen)) == NULL ||
	    (cdel = store_stmt(sv->st, "DELETE FROM components WHERE "
	    "domain = ? AND guid = ?", sv->err, sv->errlen)) == NULL)
		return -1;
	seen = xcalloc(sv->prev->naccounts + 1, 1);
	for (i = 0; i < sv->naccounts; i++) {
		a = sv->accounts[i];
		o = NULL;
		if ((p = state_prev_of(sv->prev, sv->accounts, i)) !=
		    STATE_NONE) {
			seen[p] = 1;
			o = &sv->prev->accounts[p];
		}
		sv->olds[i] = o;
		if (store_account_row(sv, a, o, ins, upd) == -1)
			goto out;
	}
	for (i = 0; i < sv->prev->naccounts; i++) {
		if (seen[i])
			continue;
		o = &sv->prev->accounts[i];
		sv->accounts_written++;
		sv->written += o->person_id != NULL;
		if ((o->person_id != NULL && store_step_account(sv, ldel,
		    o->account, "delete link") == -1) ||
		    (o->component != NULL && store_step_account(sv, cdel,
		    o->account, "delete component") == -1) ||
		    store_step_account(sv, adel, o->account,
		    "delete account") == -1)
			goto out;
	}
	rc = store_indexes_make(sv, "accounts");
out:
	free(seen);
	return rc;
}

/*
 * The links of accounts still there, as the matching left them, and the
 * accounts' components. A component is what the next run need not match
 * again, not a part of the state: a save that writes only those is still
 * one that found the state as it was (written stays as it is).
 */
static int
store_save_links(struct store_save *sv)
{
	const struct state_account	*o;
	const struct match_link		*l;
	unsigned char			*write;
	sqlite3_stmt			*lnk, *ldel, *comp, *cdel;
	size_t				 i;
	int				 rc = -1;

	if ((lnk = store_stmt(sv->st, "INSERT INTO links (domain, guid, "
	    "person_id, role, reason, score, via_domain, via_guid, detail, "
	    "linked_run) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", sv->err,
	    sv->errlen)) == NULL ||
	    (ldel = store_stmt(sv->st, "DELETE FROM links WHERE domain = ? "
	    "AND guid = ?", sv->err, sv->errlen)) == NULL ||
	    (comp = store_stmt(sv->st, "INSERT OR REPLACE INTO components "
	    "(domain, guid, component) VALUES (?1, ?2, ?3)", sv->err,
	    sv->errlen)) == NULL ||
	    (cdel = store_stmt(sv->st, "DELETE FROM components WHERE "
	    "domain = ?1 AND guid = ?2", sv->err, sv->errlen)) == NULL)
		return -1;
	for (i = 0; i < sv->naccounts; i++) {
		l = &sv->res->links[i];
		o = sv->olds[i];
		if (o != NULL && same_text(o->component, l->component))
			continue;
		if (o == NULL && l->component == NULL)
			continue;
		if (l->component != NULL)
			bind_text(comp, 3, l->component);
		if (store_step_account(sv, l->component != NULL ? comp : cdel,
		    sv->accounts[i], "save component") == -1)
			return -1;
		sv->components++;
	}
	write = xcalloc(sv->naccounts + 1, 1);
	for (i = 0; i < sv->naccounts; i++) {
		l = &sv->res->links[i];
		o = sv->olds[i];
		if (l->person != MATCH_NONE && o != NULL && state_link_same(o,
		    sv->res->persons[l->person].id, l))
			continue;
		write[i] = l->person != MATCH_NONE;
		if (o != NULL && o->person_id != NULL) {
			sv->written++;
			if (store_step_account(sv, ldel, sv->accounts[i],
			    "delete link") == -1)
				goto out;
		}
	}
	for (i = 0; i < sv->naccounts; i++)
		if (write[i] && store_link_row(sv, sv->accounts[i],
		    &sv->res->links[i], lnk) == -1)
			goto out;
	rc = 0;
out:
	free(write);
	return rc;
}

static void *
store_save_stage_run(void *arg)
{
	struct store_save	*sv = arg;

	sv->rows_rc = sv->stage(sv);
	return NULL;
}

/* A stage of rows on a thread of its own; here, if none starts. */
static void
store_save_spawn(struct store_save *sv, int (*stage)(struct store_save *))
{
	sv->stage = stage;
	sv->started = pthread_create(&sv->thread, NULL, store_save_stage_run,
	    sv) == 0;
	if (!sv->started)
		store_save_stage_run(sv);
}

/* Conflict c's sum (conflict_sum_begin's), written out in b. */
static void
conflict_digest(const struct store_save *sv, const struct match_conflict *c,
    struct buf *b, unsigned char digest[STATE_SUM_LEN])
{
	const struct match_member	*m;
	const struct account		*a;
	size_t				 j;

	conflict_sum_begin(b, c->kind, c->summary);
	for (j = 0; j < c->nmembers; j++) {
		m = &c->members[j];
		a = sv->accounts[m->account];
		conflict_sum_member(b, a->domain_name, a->guid,
		    m->person_id[0] != '\0' ? m->person_id : NULL,
		    m->has_score ? &m->score : NULL, m->detail);
	}
	idsync_sha256(buf_cstr(b), b->len, digest);
}

/* The matching's conflicts' sums (a thread's). */
static void *
store_save_sums(void *arg)
{
	struct store_save	*sv = arg;
	struct buf		 b;
	size_t			 i;

	buf_init(&b, 0);
	for (i = 0; i < sv->nmatched_conflicts; i++)
		conflict_digest(sv, &sv->matched_conflicts[i], &b,
		    sv->matched_sums[i]);
	buf_free(&b);
	return NULL;
}

/* The sums' thread done, if one started. */
static void
store_save_sums_join(struct store_save *sv)
{
	if (sv->sum_started) {
		pthread_join(sv->sum_thread, NULL);
		sv->sum_started = 0;
	}
}

/* Conflicts found again keep their rows and ids; the others are
 * written (n of them at cs, in order; sums: theirs, or NULL to work them
 * out), and those no longer found deleted by store_save_conflicts_gone. */
static int
store_save_conflicts(struct store_save *sv, const struct match_conflict *cs,
    size_t nc, unsigned char (*sums)[STATE_SUM_LEN])
{
	const struct match_conflict	*c;
	const struct match_member	*m;
	const struct account		*a;
	struct buf			 sum;
	sqlite3_stmt			*ins, *ms;
	const size_t			*ix;
	unsigned char			*kept;
	unsigned char			 digest[STATE_SUM_LEN];
	char				 hex[2 * STATE_SUM_LEN + 1];
	int64_t				 id;
	double				 best = 0;
	size_t				 i, j, n;
	int				 rc = -1, scored;

	if ((ins = store_stmt(sv->st, "INSERT INTO conflicts (run_id, kind, "
	    "summary, sum, best) VALUES (?, ?, ?, ?, ?)", sv->err,
	    sv->errlen)) == NULL ||
	    (ms = store_stmt(sv->st, "INSERT INTO conflict_accounts "
	    "(conflict_id, domain, guid, person_id, score, detail) "
	    "VALUES (?, ?, ?, ?, ?, ?)", sv->err, sv->errlen)) == NULL)
		return -1;
	if ((kept = sv->kept) == NULL) {
		kept = sv->kept = xcalloc(sv->prev->nconflicts + 1, 1);
		for (i = 0; i < sv->res->nkept_conflicts; i++)
			kept[sv->res->kept_conflicts[i]] = 1;
	}
	buf_init(&sum, 0);
	for (i = 0; i < nc; i++) {
		c = &cs[i];
		if (sums != NULL)
			memcpy(digest, sums[i], STATE_SUM_LEN);
		else
			conflict_digest(sv, c, &sum, digest);
		idsync_sum_hex(digest, hex);
		ix = index_get(sv->prev->conflict_index, hex, &n);
		for (j = 0; j < n && kept[ix[j]]; j++)
			;
		if (j < n) {
			kept[ix[j]] = 1;
			continue;
		}
		sv->conflicts_written++;
		sqlite3_bind_int64(ins, 1, sv->run_id);
		sqlite3_bind_text(ins, 2, c->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, c->summary, -1, SQLITE_STATIC);
		sqlite3_bind_blob(ins, 4, digest, STATE_SUM_LEN, SQLITE_STATIC);
		/* The highest score of its accounts, NULL if none has one. */
		for (j = 0, scored = 0; j < c->nmembers; j++)
			if (c->members[j].has_score && (!scored ||
			    c->members[j].score > best)) {
				best = c->members[j].score;
				scored = 1;
			}
		if (scored)
			sqlite3_bind_double(ins, 5, best);
		else
			sqlite3_bind_null(ins, 5);
		if (store_step_done(sv->st, ins, "insert conflict", sv->err,
		    sv->errlen) == -1)
			goto out;
		id = sqlite3_last_insert_rowid(db_handle(sv->st->db));
		for (j = 0; j < c->nmembers; j++) {
			m = &c->members[j];
			a = sv->accounts[m->account];
			sqlite3_bind_int64(ms, 1, id);
			sqlite3_bind_text(ms, 2, a->domain_name, -1,
			    SQLITE_STATIC);
			sqlite3_bind_text(ms, 3, a->guid, -1, SQLITE_STATIC);
			bind_text(ms, 4, m->person_id[0] != '\0' ?
			    m->person_id : NULL);
			if (m->has_score)
				sqlite3_bind_double(ms, 5, m->score);
			else
				sqlite3_bind_null(ms, 5);
			bind_text(ms, 6, m->detail);
			if (store_step_done(sv->st, ms, "insert conflict "
			    "account", sv->err, sv->errlen) == -1)
				goto out;
		}
	}
	rc = 0;
out:
	buf_free(&sum);
	return rc;
}

/* The last state's conflicts that none of this run's is. */
static int
store_save_conflicts_gone(struct store_save *sv)
{
	sqlite3_stmt	*cdel, *mdel;
	size_t		 i;

	if ((cdel = store_stmt(sv->st, "DELETE FROM conflicts WHERE id = ?",
	    sv->err, sv->errlen)) == NULL ||
	    (mdel = store_stmt(sv->st, "DELETE FROM conflict_accounts WHERE "
	    "conflict_id = ?", sv->err, sv->errlen)) == NULL)
		return -1;
	for (i = 0; i < sv->prev->nconflicts; i++) {
		if (sv->kept != NULL && sv->kept[i])
			continue;
		sv->conflicts_written++;
		sqlite3_bind_int64(mdel, 1, sv->prev->conflict_ids[i]);
		sqlite3_bind_int64(cdel, 1, sv->prev->conflict_ids[i]);
		if (store_step_done(sv->st, mdel, "delete conflict account",
		    sv->err, sv->errlen) == -1 || store_step_done(sv->st, cdel,
		    "delete conflict", sv->err, sv->errlen) == -1)
			return -1;
	}
	return 0;
}

static void
store_phase(const char *what, int64_t *t)
{
	idsync_phase("saving: ", what, t);
}

/* The stage after matching: links, then the matching's conflicts. */
static int
store_save_matched_rows(struct store_save *sv)
{
	int	 rc = store_save_links(sv);

	store_save_sums_join(sv);
	/* Most conflicts are the matching's: consolidating's few are
	 * entered in the conflicts' indexes made again here. */
	if (rc == -1 || store_indexes_make(sv, "links") == -1 ||
	    store_indexes_make(sv, "components") == -1 ||
	    store_save_conflicts(sv, sv->matched_conflicts,
	    sv->nmatched_conflicts, sv->matched_sums) == -1 ||
	    store_indexes_make(sv, "conflicts") == -1 ||
	    store_indexes_make(sv, "conflict_accounts") == -1)
		return -1;
	return 0;
}

/* Where each domain's next read starts: in the transaction that saves
 * what this read found, so the two never disagree. */
static int
store_save_marks(struct store *st, int64_t run_id,
    const struct read_mark *marks, size_t nmarks, char *err, size_t errlen)
{
	const struct read_mark	*m;
	sqlite3_stmt		*stmt;
	size_t			 i;

	if (db_exec(st->db, "DELETE FROM domain_marks", err, errlen) == -1)
		return -1;
	if ((stmt = store_stmt(st, "INSERT INTO domain_marks (domain, "
	    "server, invocation_id, usn, scope, full_ms, run_id, "
	    "dirsync_cookie) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", err,
	    errlen)) == NULL)
		return -1;
	for (i = 0; i < nmarks; i++) {
		m = &marks[i];
		if (m->usn <= 0 || m->scope == NULL)
			continue;
		sqlite3_bind_text(stmt, 1, m->domain, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 2, m->server, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 3, m->invocation, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 4, m->usn);
		sqlite3_bind_text(stmt, 5, m->scope, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 6, m->full_ms);
		sqlite3_bind_int64(stmt, 7, run_id);
		if (m->cookie != NULL)
			sqlite3_bind_blob(stmt, 8, m->cookie,
			    (int)m->cookie_len, SQLITE_STATIC);
		else
			sqlite3_bind_null(stmt, 8);
		if (store_step_done(st, stmt, "insert domain mark", err,
		    errlen) == -1)
			return -1;
	}
	return 0;
}

/* The foreign keys of table's rows, checked once over the state just
 * written (store_save turns their checks row by row off). */
static int
store_fk_check_table(struct store_save *sv, const char *table)
{
	sqlite3_stmt	*stmt;
	char		 sql[64];
	int		 rc;

	snprintf(sql, sizeof sql, "PRAGMA foreign_key_check(%s)", table);
	if (sqlite3_prepare_v2(db_handle(sv->st->db), sql, -1, &stmt,
	    NULL) != SQLITE_OK) {
		snprintf(sv->err, sv->errlen, "checking foreign keys: %s",
		    sqlite3_errmsg(db_handle(sv->st->db)));
		return -1;
	}
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		snprintf(sv->err, sv->errlen, "saving the state: a row of %s "
		    "refers to no row of %s", (const char *)
		    sqlite3_column_text(stmt, 0), (const char *)
		    sqlite3_column_text(stmt, 2));
	else if (rc != SQLITE_DONE)
		snprintf(sv->err, sv->errlen, "checking foreign keys: %s",
		    sqlite3_errmsg(db_handle(sv->st->db)));
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Only rows written or deleted can break a key: links (to accounts and
 * persons) when a link or person was, or a linked account deleted (its
 * link goes too, and counts); conflicts when one was. A save checked as
 * it went needs the tables read only if SQLite counted a key broken:
 * they say which. */
static int
store_fk_check(struct store_save *sv)
{
	int	 broken = 0, high = 0;

	if (!sv->whole) {
		if (sqlite3_db_status(db_handle(sv->st->db),
		    SQLITE_DBSTATUS_DEFERRED_FKS, &broken, &high, 0) !=
		    SQLITE_OK)
			broken = 1;
		if (!broken)
			return 0;
		if (store_fk_check_table(sv, "links") == -1 ||
		    store_fk_check_table(sv, "conflict_accounts") == -1 ||
		    store_fk_check_table(sv, "conflicts") == -1)
			return -1;
		snprintf(sv->err, sv->errlen, "saving the state: a foreign "
		    "key is broken");
		return -1;
	}
	if (sv->written > 0 && store_fk_check_table(sv, "links") == -1)
		return -1;
	if (sv->conflicts_written > 0 && (store_fk_check_table(sv,
	    "conflict_accounts") == -1 || store_fk_check_table(sv,
	    "conflicts") == -1))
		return -1;
	return 0;
}

/* Back to WAL after store_save_direct's save, committed or not. */
static void
store_save_wal(struct store *st)
{
	char	 why[512];
	int	 rc;

	/* WAL first: going back is itself written under the journal, with
	 * synchronous=FULL. */
	if ((rc = db_journal_mode(st->db, "wal", 1, why, sizeof why)) == -1)
		log_warnx("%s (the next run opening it puts the database back "
		    "in WAL journal mode)", why);
	else if (rc == 0)
		log_warnx("%s: still not in WAL journal mode after the first "
		    "save (the next run opening it puts it back)",
		    db_path(st->db));
	if (db_synchronous(st->db, -1, why, sizeof why) == -1)
		log_warnx("%s", why);
}

/*
 * A first save, into a database that holds no state yet, writes the
 * database file directly, under a rollback journal, rather than into the
 * write-ahead log: with WAL each of the state's pages (520 MB for 300 000
 * accounts) is written twice, to the log and then by the commit's
 * checkpoint into the file, which was most of a first run's commit (2.2
 * of its 2.5 s). A rollback journal keeps the pages a transaction
 * changes as they were before it, and SQLite writes none for pages past
 * the file's old end, which is all of a first state; a run killed before
 * the commit leaves the journal, and the next connection that writes
 * rolls the file back to the empty state. While it writes, readers wait
 * (there is nothing for them to read yet). SQLite leaves WAL only when
 * no other connection has the database open; if one has, the save goes
 * through the log as any other. synchronous=FULL: in this mode NORMAL
 * may lose the file to a power cut at the wrong moment.
 */
static int
store_save_direct(struct store *st)
{
	char	 why[512];
	int	 rc;

	if ((rc = db_journal_mode(st->db, "delete", 0, why,
	    sizeof why)) == -1) {
		log_warnx("%s (a first save, through the write-ahead log)",
		    why);
		return 0;
	}
	if (rc == 0) {
		log_debug("%s: a first save, through the write-ahead log: "
		    "another connection has the database open", db_path(st->db));
		return 0;
	}
	if (db_synchronous(st->db, 1, why, sizeof why) == -1) {
		log_warnx("%s", why);
		store_save_wal(st);
		return 0;
	}
	log_debug("%s: a first save, written to the database file directly",
	    db_path(st->db));
	return 1;
}

/*
 * The new state replaces the old (prev, as store_load_state read it under
 * the run's lock), with the run's "ok", in one transaction: whatever stops
 * the program before the commit leaves the previous state as it was. Only
 * rows that differ are written: a run that finds little changed writes
 * little.
 *
 * store_save_start opens the transaction and has a thread write the
 * accounts' rows while the caller matches them, store_save_matched the
 * links while it consolidates; the caller must leave the store alone
 * until store_save_finish (persons, conflicts, and the commit) or
 * store_save_abort (nothing is kept).
 */
struct store_save *
store_save_start(struct store *st, int64_t run_id,
    struct account *const *accounts, size_t naccounts,
    const struct state *prev, int64_t now_ms, char *err, size_t errlen)
{
	struct store_save	*sv;
	char			 why[256];
	int			 direct, whole;

	/* A first run writes the state whole in one transaction: in
	 * SQLite's default page cache of a few megabytes the pages of its
	 * indexes would be spilled and read back many times over before the
	 * commit. */
	if (db_exec(st->db, "PRAGMA cache_size = -" STORE_SAVE_CACHE_KIB,
	    err, errlen) == -1)
		return NULL;
	/*
	 * Foreign keys: rows are written in an order that only the end
	 * keeps, so they are checked at the commit. A first save writes
	 * every row, and a parent looked up for each costs more than one
	 * check of the whole at the end (store_fk_check): the checks row by
	 * row are off (outside the transaction, or the pragma is ignored).
	 * Any other save writes what changed, and checking that as it goes,
	 * deferred to the commit, costs less than a pass over every link.
	 */
	whole = prev->naccounts == 0 && prev->npersons == 0;
	direct = whole && store_save_direct(st);
	if ((whole && db_exec(st->db, "PRAGMA foreign_keys = OFF", err,
	    errlen) == -1) || db_begin(st->db, err, errlen) == -1) {
		(void)db_exec(st->db, "PRAGMA foreign_keys = ON", why,
		    sizeof why);
		if (direct)
			store_save_wal(st);
		return NULL;
	}
	if (!whole && db_exec(st->db, "PRAGMA defer_foreign_keys = ON", err,
	    errlen) == -1) {
		db_rollback(st->db);
		return NULL;
	}
	sv = xcalloc(1, sizeof *sv);
	sv->direct = direct;
	sv->whole = whole;
	sv->st = st;
	if (whole && store_indexes_drop(sv, err, errlen) == -1) {
		db_rollback(st->db);
		store_save_end(sv);
		return NULL;
	}
	sv->run_id = run_id;
	sv->accounts = accounts;
	sv->naccounts = naccounts;
	sv->prev = prev;
	sv->now_ms = now_ms;
	sv->olds = xcalloc(naccounts + 1, sizeof *sv->olds);
	sv->err = sv->rows_err;
	sv->errlen = sizeof sv->rows_err;
	store_save_spawn(sv, store_save_accounts);
	return sv;
}

static void
store_save_end(struct store_save *sv)
{
	char	 why[256];
	size_t	 i;

	if (db_exec(sv->st->db, "PRAGMA foreign_keys = ON", why,
	    sizeof why) == -1)
		log_warnx("%s", why);
	if (sv->direct)
		store_save_wal(sv->st);
	free(sv->olds);
	store_save_sums_join(sv);
	free(sv->matched_sums);
	free(sv->matched_conflicts);
	free(sv->kept);
	for (i = 0; i < sv->nindexes; i++) {
		free(sv->indexes[i].name);
		free(sv->indexes[i].sql);
		free(sv->indexes[i].table);
	}
	free(sv->indexes);
	free(sv);
}

/*
 * A first save writes every row of the state. Its tables' own indexes
 * (those of its schema, not the keys) are dropped in its transaction and
 * made again before the commit: entered row by row, each row's keys land
 * anywhere in them (a person's id is random), and SQLite builds an index
 * from sorted keys at a fraction of that. Each table's are made by the
 * stage that writes its last rows, so that most are made while the
 * caller matches or plans. A UNIQUE index made again refuses the save as
 * an insert would have. A save that does not commit rolls the drop back
 * with the rest.
 */
static int
store_indexes_drop(struct store_save *sv, char *err, size_t errlen)
{
	struct store_index	*ix;
	sqlite3_stmt		*stmt;
	char			*sql;
	size_t			 i;
	int			 rc;

	if ((stmt = store_stmt(sv->st, "SELECT name, sql, tbl_name "
	    "FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
	    "AND tbl_name IN "
	    "('accounts', 'links', 'persons', 'conflicts', "
	    "'conflict_accounts', 'components') ORDER BY name", err,
	    errlen)) == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		sv->indexes = xreallocarray(sv->indexes, sv->nindexes + 1,
		    sizeof *sv->indexes);
		ix = &sv->indexes[sv->nindexes++];
		ix->name = col_dup(stmt, 0);
		ix->sql = col_dup(stmt, 1);
		ix->table = col_dup(stmt, 2);
		ix->made = 0;
	}
	if (store_rows_done(sv->st, stmt, rc, "list the state's indexes", err,
	    errlen) == -1)
		return -1;
	for (i = 0; i < sv->nindexes; i++) {
		xasprintf(&sql, "DROP INDEX \"%s\"", sv->indexes[i].name);
		rc = db_exec(sv->st->db, sql, err, errlen);
		free(sql);
		if (rc == -1)
			return -1;
	}
	return 0;
}

/* Those of table that store_indexes_drop dropped (NULL: of every
 * table) made again. */
static int
store_indexes_make(struct store_save *sv, const char *table)
{
	struct store_index	*ix;
	char			 why[512];
	size_t			 i;

	for (i = 0; i < sv->nindexes; i++) {
		ix = &sv->indexes[i];
		if (ix->made || (table != NULL && strcmp(ix->table, table) != 0))
			continue;
		ix->made = 1;
		if (db_exec(sv->st->db, ix->sql, why, sizeof why) == -1) {
			snprintf(sv->err, sv->errlen, "saving the state: "
			    "making index %s again: %s", ix->name, why);
			return -1;
		}
	}
	return 0;
}

/* The accounts' rows written, or not: the thread is done. */
static int
store_save_join(struct store_save *sv, char *err, size_t errlen)
{
	if (sv->started) {
		pthread_join(sv->thread, NULL);
		sv->started = 0;
	}
	if (sv->rows_rc == -1) {
		str_copy(err, sv->rows_err, errlen);
		return -1;
	}
	return 0;
}

/*
 * The matching is done: a thread writes the links' rows (res's links and
 * persons' ids, which consolidating leaves as they are) and the
 * conflicts found so far (a copy of the list: consolidating adds to it)
 * while the caller consolidates and plans. The caller must change none
 * of those until store_save_finish.
 */
int
store_save_matched(struct store_save *sv, const struct match_result *res,
    char *err, size_t errlen)
{
	if (store_save_join(sv, err, errlen) == -1)
		return -1;
	sv->res = res;
	sv->matched = 1;
	sv->nmatched_conflicts = res->nconflicts;
	if (res->nconflicts > 0) {
		sv->matched_conflicts = xreallocarray(NULL, res->nconflicts,
		    sizeof *sv->matched_conflicts);
		memcpy(sv->matched_conflicts, res->conflicts,
		    res->nconflicts * sizeof *sv->matched_conflicts);
		sv->matched_sums = xreallocarray(NULL, res->nconflicts,
		    sizeof *sv->matched_sums);
		sv->sum_started = pthread_create(&sv->sum_thread, NULL,
		    store_save_sums, sv) == 0;
		if (!sv->sum_started) {
			free(sv->matched_sums);
			sv->matched_sums = NULL;
		}
	}
	store_save_spawn(sv, store_save_matched_rows);
	return 0;
}

void
store_save_abort(struct store_save *sv)
{
	char	 why[256];

	if (sv == NULL)
		return;
	(void)store_save_join(sv, why, sizeof why);
	db_rollback(sv->st->db);
	store_save_end(sv);
}

int
store_last_saved(struct store *st, int64_t *run_id, struct run_basis *basis,
    int *settled, char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	*run_id = 0;
	*settled = 0;
	memset(basis, 0, sizeof *basis);
	/* Only runs save the state, and only those that end "ok". */
	if ((stmt = store_stmt(st, "SELECT id, basis, decision_max, settled "
	    "FROM runs WHERE command = 'run' AND outcome = 'ok' "
	    "ORDER BY id DESC LIMIT 1", err, errlen)) == NULL)
		return -1;
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		*run_id = sqlite3_column_int64(stmt, 0);
		str_copy(basis->config, col_text(stmt, 1),
		    sizeof basis->config);
		basis->decision_max = sqlite3_column_int64(stmt, 2);
		*settled = sqlite3_column_int(stmt, 3) == 1 &&
		    sqlite3_column_type(stmt, 1) != SQLITE_NULL;
		rc = sqlite3_step(stmt);
	}
	return store_rows_done(st, stmt, rc, "find the last saved run", err,
	    errlen);
}

int
store_save_unchanged(struct store *st, int64_t run_id, const char *message,
    const struct plan *plan, const struct read_mark *marks, size_t nmarks,
    const struct run_basis *basis, int64_t now_ms, char *err, size_t errlen)
{
	if (db_begin(st->db, err, errlen) == -1)
		return -1;
	if (store_save_marks(st, run_id, marks, nmarks, err, errlen) == -1 ||
	    store_run_update(st, run_id, "ok",
	    message, plan, basis, 1, now_ms, err, errlen) == -1 ||
	    db_commit(st->db, err, errlen) == -1) {
		if (!sqlite3_get_autocommit(db_handle(st->db)))
			db_rollback(st->db);
		return -1;
	}
	return 0;
}

int
store_save_finish(struct store_save *sv, const struct match_result *res,
    const struct plan *plan, const struct read_mark *marks, size_t nmarks,
    const struct run_basis *basis, int64_t now_ms, char *err, size_t errlen)
{
	int64_t	 t = wtime_mono_ms();
	int	 rc = -1;

	if (!sv->matched && store_save_matched(sv, res, err, errlen) == -1)
		goto out;
	if (store_save_join(sv, err, errlen) == -1)
		goto out;
	store_phase("waiting for the links and conflicts", &t);
	sv->res = res;
	sv->plan = plan;
	sv->err = err;
	sv->errlen = errlen;
	/* The run ends at now_ms, whenever the accounts' rows were
	 * written. */
	sv->now_ms = now_ms;
	if (store_save_persons(sv) == -1 ||
	    store_indexes_make(sv, "persons") == -1)
		goto out;
	store_phase("persons", &t);
	/* The conflicts consolidating added, after the matching's. */
	if (store_save_conflicts(sv, res->conflicts + sv->nmatched_conflicts,
	    res->nconflicts - sv->nmatched_conflicts, NULL) == -1 ||
	    store_save_conflicts_gone(sv) == -1 ||
	    store_save_marks(sv->st, sv->run_id, marks, nmarks, err,
	    errlen) == -1 || store_indexes_make(sv, NULL) == -1)
		goto out;
	store_phase("the other conflicts and marks", &t);
	if (store_fk_check(sv) == -1 || store_run_update(sv->st, sv->run_id,
	    "ok", NULL, sv->plan, basis, sv->written == 0, sv->now_ms, err,
	    errlen) == -1)
		goto out;
	store_phase("checking keys", &t);
	/* It says so if SQLite ended the transaction itself. */
	if (db_commit(sv->st->db, err, errlen) == -1)
		goto out;
	store_phase("committing", &t);
	log_debug("run %lld: rows written or deleted: %zu of links and "
	    "persons, %zu of conflicts, %zu of accounts; %zu accounts' "
	    "components", (long long)sv->run_id, sv->written,
	    sv->conflicts_written, sv->accounts_written, sv->components);
	rc = 0;
out:
	if (rc == -1 && !sqlite3_get_autocommit(db_handle(sv->st->db)))
		db_rollback(sv->st->db);
	store_save_end(sv);
	return rc;
}

int
store_save(struct store *st, int64_t run_id, struct account *const *accounts,
    size_t naccounts, const struct state *prev,
    const struct match_result *res, const struct plan *plan,
    const struct read_mark *marks, size_t nmarks,
    const struct run_basis *basis, int64_t now_ms, char *err, size_t errlen)
{
	struct store_save	*sv;

	if ((sv = store_save_start(st, run_id, accounts, naccounts, prev,
	    now_ms, err, errlen)) == NULL)
		return -1;
	return store_save_finish(sv, res, plan, marks, nmarks, basis, now_ms,
	    err, errlen);
}

/* ------------------------------------------------------------ decisions */

int
store_add_decision(struct store *st, enum decision_kind kind,
    const char *a_domain, const char *a_guid, const char *b_domain,
    const char *b_guid, const char *person_id, const char *by,
    int64_t now_ms, char *err, size_t errlen)
{
	static const char *const names[] = {
		[DECISION_LINK] = "link",
		[DECISION_NEVER_LINK] = "never-link",
		[DECISION_UNLINK] = "unlink",
	};
	sqlite3_stmt	*stmt;

	if ((stmt = store_stmt(st, "INSERT INTO decisions (kind, a_domain, "
	    "a_guid, b_domain, b_guid, person_id, created_ms, created_by) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", err, errlen)) == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, names[kind], -1, SQLITE_STATIC);
	bind_text(stmt, 2, a_domain);
	bind_text(stmt, 3, a_guid);
	bind_text(stmt, 4, b_domain);
	bind_text(stmt, 5, b_guid);
	bind_text(stmt, 6, person_id);
	sqlite3_bind_int64(stmt, 7, now_ms);
	bind_text(stmt, 8, by);
	return store_step_done(st, stmt, "insert decision", err, errlen);
}

int
store_find_account(struct store *st, const char *name, char *domain,
    size_t dsize, char *guid, char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;
	const char	*sep;
	char		*dom = NULL, vis[128];
	const char	*rest = name;
	int		 rc, found = 0;

	if ((sep = strchr(name, '\\')) != NULL ||
	    (sep = strchr(name, ':')) != NULL) {
		dom = xstrndup(name, (size_t)(sep - name));
		rest = sep + 1;
	}
	/*
	 * By GUID or by name, each through an index: one "OR" over both
	 * read every account (80 ms a name, hours for a file of
	 * decisions). Without a domain, the GUID is looked for in each
	 * domain there is, found from the key's first column a step at a
	 * time.
	 */
	if (dom != NULL)
		stmt = store_stmt(st, "SELECT domain, guid FROM accounts "
		    "WHERE domain = ?1 AND guid = lower(?2) "
		    "UNION SELECT domain, guid FROM accounts "
		    "WHERE sam = ?2 COLLATE NOCASE AND +domain = ?1 "
		    "ORDER BY 1, 2 LIMIT 2", err, errlen);
	else
		stmt = store_stmt(st, "WITH RECURSIVE d(x) AS ("
		    "SELECT min(domain) FROM accounts UNION ALL "
		    "SELECT (SELECT min(domain) FROM accounts WHERE domain > x) "
		    "FROM d WHERE x IS NOT NULL) "
		    "SELECT domain, guid FROM accounts WHERE domain IN "
		    "(SELECT x FROM d WHERE x IS NOT NULL) AND guid = lower(?2) "
		    "UNION SELECT domain, guid FROM accounts "
		    "WHERE sam = ?2 COLLATE NOCASE ORDER BY 1, 2 LIMIT 2", err,
		    errlen);
	if (stmt == NULL) {
		free(dom);
		return -1;
	}
	if (dom != NULL)
		bind_text(stmt, 1, dom);
	bind_text(stmt, 2, rest);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (found++ == 0) {
			str_copy(domain, col_text(stmt, 0), dsize);
			str_copy(guid, col_text(stmt, 1), DECODE_GUID_LEN);
		}
	}
	sqlite3_reset(stmt);
	free(dom);
	if (rc != SQLITE_DONE) {
		db_error(st->db, "find account", err, errlen);
		return -1;
	}
	str_vis(vis, sizeof vis, name);
	if (found == 0) {
		snprintf(err, errlen, "no account \"%s\" (give DOMAIN\\NAME, "
		    "DOMAIN:GUID or a GUID, as \"ward-idsync export "
		    "--accounts\" lists them)", vis);
		return -1;
	}
	if (found > 1) {
		snprintf(err, errlen, "\"%s\" names accounts in more than one "
		    "domain: say which, as DOMAIN\\NAME", vis);
		return -1;
	}
	return 0;
}
