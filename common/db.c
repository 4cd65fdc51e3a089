/* db.c: SQLite helpers: open in WAL mode with a busy timeout, numbered
 * migrations in one transaction, a prepared statement cache, transactions. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/db.h"
#include "common/log.h"
#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"

#define DB_BUSY_TIMEOUT_MS	5000

/*
 * db_stmt is for the program's fixed SQL; a cache this large means SQL is
 * being built at run time and would grow without bound in a daemon.
 */
#define DB_STMT_CACHE_MAX	1024

struct db_cached_stmt {
	char		*sql;
	sqlite3_stmt	*stmt;
};

/*
 * The connection is opened SQLITE_OPEN_NOMUTEX: one struct db belongs to one
 * thread at a time; threads that need the database open their own.
 */
struct db {
	sqlite3			*handle;
	char			*path;
	int			 readonly;
	/* A wait for a lock that says so (db_options.busy_notice). */
	char			*busy_notice;
	int64_t			 busy_timeout_ms;
	int64_t			 busy_since_ms;
	/* db_options.synchronous_full: what db_synchronous(db, -1) puts
	 * back. */
	int			 synchronous_full;
	struct db_cached_stmt	*stmts;
	size_t			 nstmts;
	size_t			 stmts_alloc;
};

/* A one-line excerpt of SQL for error messages. */
static const char *
sql_excerpt(char *dst, size_t size, const char *sql)
{
	char	 line[64];
	size_t	 n = 0;
	int	 space = 0;

	for (; *sql != '\0' && n < sizeof line - 1; sql++) {
		if (*sql == ' ' || *sql == '\t' || *sql == '\n' ||
		    *sql == '\r') {
			space = n > 0;
			continue;
		}
		if (space && n < sizeof line - 2)
			line[n++] = ' ';
		space = 0;
		line[n++] = *sql;
	}
	line[n] = '\0';
	if (*sql != '\0' && n >= 3)
		memcpy(line + n - 3, "...", 3);
	return str_vis(dst, size, line);
}

void
db_error(struct db *db, const char *what, char *err, size_t errlen)
{
	const char	*msg = sqlite3_errmsg(db->handle);
	int		 code = sqlite3_extended_errcode(db->handle);
	int		 sys = sqlite3_system_errno(db->handle);
	char		 why[64] = "", vis[512];

	if (err == NULL || errlen == 0)
		return;
	/* A damaged file's message quotes its bytes (malformed database
	 * schema (...)): shown escaped, as logs and terminals need. */
	msg = str_vis_text(vis, sizeof vis, msg);
	/* For a failed open the errno says more than "unable to open". */
	if (sys != 0 && ((code & 0xff) == SQLITE_CANTOPEN ||
	    (code & 0xff) == SQLITE_IOERR))
		snprintf(why, sizeof why, ", %s", strerror(sys));
	/* A reader meeting the journal a killed writer left. */
	if (code == SQLITE_READONLY_ROLLBACK)
		msg = "a writer was stopped in a transaction; the next "
		    "program to open the database for writing rolls it back";
	/* SQLite makes files beside a database (its log, journal or
	 * shared memory), readers of a WAL database too: "attempt to write
	 * a readonly database" said nothing of where. */
	if (code == SQLITE_READONLY_DIRECTORY || code ==
	    SQLITE_READONLY_CANTINIT) {
		msg = code == SQLITE_READONLY_DIRECTORY ? "this user cannot "
		    "write to the database's directory, where SQLite makes "
		    "the files it keeps beside the database (its log and "
		    "shared memory): give the user write access to the "
		    "directory" : "this user cannot write to the database's "
		    "shared-memory file (-shm): give the user write access to "
		    "it and to the directory";
		what = NULL;
	}
	if (what != NULL && *what != '\0')
		snprintf(err, errlen, "%s: %s: %s (%d%s)", db->path, what, msg,
		    code, why);
	else
		snprintf(err, errlen, "%s: %s (%d%s)", db->path, msg, code,
		    why);
}

/* Runs one pragma or query returning a single value as an integer. */
static int
db_query_int(struct db *db, const char *sql, int64_t *out, char *err,
    size_t errlen)
{
	sqlite3_stmt	*stmt = NULL;
	char		 what[80];
	int		 rc;

	sql_excerpt(what, sizeof what, sql);
	if (sqlite3_prepare_v2(db->handle, sql, -1, &stmt, NULL) != SQLITE_OK)
		goto fail;
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		if (rc == SQLITE_DONE) {
			snprintf(err, errlen, "%s: %s: no result", db->path,
			    what);
			sqlite3_finalize(stmt);
			return -1;
		}
		goto fail;
	}
	*out = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return 0;

fail:
	db_error(db, what, err, errlen);
	sqlite3_finalize(stmt);
	return -1;
}

/*
 * SQLite creates files 0644 less the umask; the database names hosts,
 * accounts and their state, which is not for other local users, so create it
 * 0600 ourselves.  SQLite gives the -wal and -shm files the same mode.
 */
static int
db_create_file(const char *path, char *err, size_t errlen)
{
	int	fd;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd == -1) {
		if (errno == EEXIST)
			return 0;
		snprintf(err, errlen, "%s: cannot create database file: %s",
		    path, strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0600) == -1) {
		snprintf(err, errlen, "%s: chmod 0600: %s", path,
		    strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

/* SQLite's busy handler when the wait is to be told: waits with a
 * growing sleep, up to the timeout, and says why once after a second. */
static int
db_busy(void *arg, int count)
{
	struct db	*db = arg;
	int64_t		 now = wtime_mono_ms(), step;

	if (count == 0)
		db->busy_since_ms = now;
	if (now - db->busy_since_ms >= db->busy_timeout_ms)
		return 0;
	if (db->busy_notice != NULL && now - db->busy_since_ms >= 1000) {
		log_info("%s", db->busy_notice);
		free(db->busy_notice);
		db->busy_notice = NULL;
	}
	step = count < 10 ? 1 + count * 5 : 50;
	(void)usleep((useconds_t)step * 1000);
	return 1;
}

/* Whether a lock another connection holds is waited for, as db_open's
 * options say, or fails at once. */
static void
db_busy_wait(struct db *db, int wait)
{
	if (!wait)
		sqlite3_busy_timeout(db->handle, 0);
	else if (db->busy_notice != NULL)
		sqlite3_busy_handler(db->handle, db_busy, db);
	else
		sqlite3_busy_timeout(db->handle, (int)db->busy_timeout_ms);
}

/*
 * SQLite counts the memory it holds under a lock of its own, taken for
 * every allocation by every thread of the process; nothing here reads
 * the count. The setting must come before SQLite initialises.
 */
static void
db_configure(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

struct db *
db_open(const char *path, const struct db_options *opts, char *err,
    size_t errlen)
{
	static pthread_once_t	 once = PTHREAD_ONCE_INIT;
	struct db	*db;
	int64_t		 timeout_ms = DB_BUSY_TIMEOUT_MS, version;
	int		 flags, rc;

	(void)pthread_once(&once, db_configure);
	db = xcalloc(1, sizeof *db);
	db->path = xstrdup(path);
	if (opts != NULL) {
		db->readonly = (opts->flags & DB_READONLY) != 0;
		/* Zero (an unset field) means the default, too. */
		if (opts->busy_timeout_ms > 0)
			timeout_ms = opts->busy_timeout_ms;
		if (opts->busy_notice != NULL)
			db->busy_notice = xstrdup(opts->busy_notice);
	}
	if (timeout_ms > INT_MAX)
		timeout_ms = INT_MAX;

	if (db->readonly)
		flags = SQLITE_OPEN_READONLY;
	else {
		if (db_create_file(path, err, errlen) == -1)
			goto fail;
		flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	}
	flags |= SQLITE_OPEN_NOMUTEX;

	rc = sqlite3_open_v2(path, &db->handle, flags, NULL);
	if (db->handle == NULL) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(db->handle, 1);
	if (rc != SQLITE_OK) {
		db_error(db, NULL, err, errlen);
		goto fail;
	}
	db->busy_timeout_ms = timeout_ms;
	db_busy_wait(db, 1);

	/*
	 * Reading user_version reads the header: a file that is not a
	 * database, or that we may not read, fails here and not later.
	 */
	if (db_query_int(db, "PRAGMA user_version", &version, err,
	    errlen) == -1)
		goto fail;

	/* Only an empty file takes a page size: before WAL mode writes
	 * its header. */
	if (!db->readonly && opts != NULL && opts->page_size != 0) {
		char	 pragma[64];

		snprintf(pragma, sizeof pragma, "PRAGMA page_size=%u",
		    opts->page_size);
		if (db_exec(db, pragma, err, errlen) == -1)
			goto fail;
	}
	/* WAL: readers never block the writer, nor it them. */
	if (!db->readonly && (rc = db_journal_mode(db, "wal", 1, err,
	    errlen)) != 1) {
		if (rc == 0)
			snprintf(err, errlen, "%s: cannot use WAL journal "
			    "mode (the database stays in another)", path);
		goto fail;
	}
	if (db_exec(db, "PRAGMA foreign_keys=ON", err, errlen) == -1)
		goto fail;
	db->synchronous_full = opts != NULL && opts->synchronous_full;
	if (db_synchronous(db, -1, err, errlen) == -1)
		goto fail;
	return db;

fail:
	db_close(db);
	return NULL;
}

int
db_journal_mode(struct db *db, const char *mode, int wait, char *err,
    size_t errlen)
{
	sqlite3_stmt	*stmt = NULL;
	const char	*now;
	char		 sql[64];
	int		 rc;

	snprintf(sql, sizeof sql, "PRAGMA journal_mode=%s", mode);
	db_busy_wait(db, wait);
	if (sqlite3_prepare_v2(db->handle, sql, -1, &stmt, NULL) != SQLITE_OK)
		goto fail;
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW) {
		/* Another connection has the database open. */
		if (!wait && ((rc & 0xff) == SQLITE_BUSY ||
		    (rc & 0xff) == SQLITE_LOCKED)) {
			rc = 0;
			goto out;
		}
		goto fail;
	}
	/* SQLite answers with the mode the database is in after it. */
	now = (const char *)sqlite3_column_text(stmt, 0);
	rc = now != NULL && strcasecmp(now, mode) == 0;
out:
	db_busy_wait(db, 1);
	sqlite3_finalize(stmt);
	return rc;
fail:
	db_error(db, sql, err, errlen);
	rc = -1;
	goto out;
}

int
db_synchronous(struct db *db, int full, char *err, size_t errlen)
{
	if (full == -1)
		full = db->synchronous_full;
	return db_exec(db, full ? "PRAGMA synchronous=FULL" :
	    "PRAGMA synchronous=NORMAL", err, errlen);
}

void
db_close(struct db *db)
{
	size_t	i;

	if (db == NULL)
		return;
	for (i = 0; i < db->nstmts; i++) {
		sqlite3_finalize(db->stmts[i].stmt);
		free(db->stmts[i].sql);
	}
	free(db->stmts);
	/* Rolls back an open transaction; BUSY means a caller's statement
	 * was never finalised. */
	if (db->handle != NULL && sqlite3_close(db->handle) != SQLITE_OK) {
		log_warnx("%s: close: %s", db->path,
		    sqlite3_errmsg(db->handle));
		sqlite3_close_v2(db->handle);
	}
	free(db->path);
	free(db->busy_notice);
	free(db);
}

sqlite3 *
db_handle(struct db *db)
{
	return db->handle;
}

const char *
db_path(const struct db *db)
{
	return db->path;
}

int
db_schema_version(struct db *db)
{
	int64_t	version;
	char	err[256];

	if (db_query_int(db, "PRAGMA user_version", &version, err,
	    sizeof err) == -1) {
		log_warnx("%s", err);
		return -1;
	}
	return (int)version;
}

static int
db_check_migrations(struct db *db, const struct db_migration *migrations,
    size_t count, char *err, size_t errlen)
{
	size_t	i;

	if (count > INT_MAX) {
		snprintf(err, errlen, "%s: %zu migrations are too many",
		    db->path, count);
		return -1;
	}
	for (i = 0; i < count; i++) {
		if (migrations[i].version != (int)i + 1) {
			snprintf(err, errlen, "%s: invalid migration list: "
			    "entry %zu has version %d, expected %zu (versions "
			    "must run 1, 2, 3, ... in order)", db->path, i,
			    migrations[i].version, i + 1);
			return -1;
		}
		if (migrations[i].name == NULL || migrations[i].sql == NULL) {
			snprintf(err, errlen, "%s: invalid migration list: "
			    "migration %d has no %s", db->path,
			    migrations[i].version,
			    migrations[i].name == NULL ? "name" : "SQL");
			return -1;
		}
	}
	return 0;
}

/* Every foreign key of the database holds: else -1, err naming the first
 * row that breaks one. */
static int
db_fk_check(struct db *db, char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	if (sqlite3_prepare_v2(db->handle, "PRAGMA foreign_key_check", -1,
	    &stmt, NULL) != SQLITE_OK) {
		db_error(db, "PRAGMA foreign_key_check", err, errlen);
		return -1;
	}
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		snprintf(err, errlen, "%s: after the migrations, row %lld of "
		    "table %s refers to a row of %s that is not there",
		    db->path, (long long)sqlite3_column_int64(stmt, 1),
		    (const char *)sqlite3_column_text(stmt, 0),
		    (const char *)sqlite3_column_text(stmt, 2));
	else if (rc != SQLITE_DONE)
		db_error(db, "PRAGMA foreign_key_check", err, errlen);
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
db_migrate(struct db *db, const struct db_migration *migrations,
    size_t count, char *err, size_t errlen)
{
	const struct db_migration *m = NULL;
	int64_t		 version, fk_on = 0;
	int		 newest = (int)count, applied = 0, rebuilds = 0, i;
	int		 rc = -1;
	char		*errmsg = NULL, pragma[64];

	if (db_check_migrations(db, migrations, count, err, errlen) == -1)
		return -1;

	if (db_query_int(db, "PRAGMA user_version", &version, err,
	    errlen) == -1)
		return -1;
	if (version < 0) {
		snprintf(err, errlen, "%s: database schema version %lld is "
		    "invalid", db->path, (long long)version);
		return -1;
	}
	if (version > newest)
		goto too_new;
	if (version == newest)
		return 0;
	if (db->readonly) {
		snprintf(err, errlen, "%s: database schema version %lld is "
		    "older than this program's (%d) and the database is open "
		    "read-only", db->path, (long long)version, newest);
		return -1;
	}

	/* Only outside a transaction does SQLite turn foreign keys off. */
	for (i = (int)version; i < newest; i++)
		rebuilds |= migrations[i].rebuilds;
	if (rebuilds && (db_query_int(db, "PRAGMA foreign_keys", &fk_on, err,
	    errlen) == -1 || db_exec(db, "PRAGMA foreign_keys=OFF", err,
	    errlen) == -1))
		return -1;
	if (db_begin(db, err, errlen) == -1)
		goto out;
	/* Another process may have migrated while we waited for the lock. */
	if (db_query_int(db, "PRAGMA user_version", &version, err,
	    errlen) == -1)
		goto fail;
	if (version > newest) {
		db_rollback(db);
		goto too_new;
	}
	for (; version < newest; version++) {
		m = &migrations[version];
		if (sqlite3_exec(db->handle, m->sql, NULL, NULL,
		    &errmsg) != SQLITE_OK)
			goto fail_migration;
		if (sqlite3_get_autocommit(db->handle)) {
			snprintf(err, errlen, "%s: migration %d (%s) ended the "
			    "transaction itself (migrations must not hold "
			    "BEGIN, COMMIT or ROLLBACK)", db->path, m->version,
			    m->name);
			goto out;
		}
		snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d",
		    m->version);
		if (sqlite3_exec(db->handle, pragma, NULL, NULL,
		    &errmsg) != SQLITE_OK)
			goto fail_migration;
		applied++;
	}
	if (rebuilds && db_fk_check(db, err, errlen) == -1)
		goto fail;
	if (db_commit(db, err, errlen) == -1)
		goto out;
	log_info("%s: schema migrated to version %d (%d migration%s applied)",
	    db->path, newest, applied, applied == 1 ? "" : "s");
	rc = applied;
	goto out;

too_new:
	snprintf(err, errlen, "%s: database schema version %lld is newer than "
	    "this program knows (%d); refusing to open", db->path,
	    (long long)version, newest);
	goto out;

fail_migration:
	/* Take the message before ROLLBACK replaces the handle's error. */
	snprintf(err, errlen, "%s: migration %d (%s) failed: %s (%d)",
	    db->path, m->version, m->name,
	    errmsg != NULL ? errmsg : sqlite3_errmsg(db->handle),
	    sqlite3_extended_errcode(db->handle));
	sqlite3_free(errmsg);
fail:
	db_rollback(db);
out:
	/* Outside the transaction now: it cannot fail as it did not before. */
	if (rebuilds && fk_on)
		(void)sqlite3_exec(db->handle, "PRAGMA foreign_keys=ON", NULL,
		    NULL, NULL);
	return rc;
}

int
db_exec(struct db *db, const char *sql, char *err, size_t errlen)
{
	char	*errmsg = NULL, excerpt[80];

	if (sqlite3_exec(db->handle, sql, NULL, NULL, &errmsg) == SQLITE_OK)
		return 0;
	snprintf(err, errlen, "%s: %s: %s (%d)", db->path,
	    sql_excerpt(excerpt, sizeof excerpt, sql),
	    errmsg != NULL ? errmsg : sqlite3_errmsg(db->handle),
	    sqlite3_extended_errcode(db->handle));
	sqlite3_free(errmsg);
	return -1;
}

sqlite3_stmt *
db_stmt(struct db *db, const char *sql, char *err, size_t errlen)
{
	struct db_cached_stmt	*c;
	sqlite3_stmt		*stmt = NULL;
	const char		*tail = NULL;
	char			 excerpt[80], what[96];
	size_t			 i;

	for (i = 0; i < db->nstmts; i++) {
		c = &db->stmts[i];
		if (strcmp(c->sql, sql) == 0) {
			/* reset returns the last step's error: not ours. */
			sqlite3_reset(c->stmt);
			sqlite3_clear_bindings(c->stmt);
			return c->stmt;
		}
	}

	sql_excerpt(excerpt, sizeof excerpt, sql);
	if (db->nstmts >= DB_STMT_CACHE_MAX) {
		snprintf(err, errlen, "%s: prepare %s: statement cache full "
		    "(%d statements); db_stmt is for fixed SQL only", db->path,
		    excerpt, DB_STMT_CACHE_MAX);
		return NULL;
	}
	if (sqlite3_prepare_v3(db->handle, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &stmt, &tail) != SQLITE_OK) {
		snprintf(what, sizeof what, "prepare %s", excerpt);
		db_error(db, what, err, errlen);
		return NULL;
	}
	if (tail != NULL)
		tail += strspn(tail, " \t\r\n;");
	if (stmt == NULL || (tail != NULL && *tail != '\0')) {
		snprintf(err, errlen, "%s: prepare %s: %s", db->path, excerpt,
		    stmt == NULL ? "no SQL statement" :
		    "more than one SQL statement");
		sqlite3_finalize(stmt);
		return NULL;
	}

	if (db->nstmts == db->stmts_alloc) {
		db->stmts_alloc = db->stmts_alloc == 0 ? 16 :
		    db->stmts_alloc * 2;
		db->stmts = xreallocarray(db->stmts, db->stmts_alloc,
		    sizeof *db->stmts);
	}
	c = &db->stmts[db->nstmts++];
	c->sql = xstrdup(sql);
	c->stmt = stmt;
	return stmt;
}

int
db_begin(struct db *db, char *err, size_t errlen)
{
	if (!sqlite3_get_autocommit(db->handle)) {
		snprintf(err, errlen, "%s: begin: a transaction is already "
		    "open (transactions do not nest)", db->path);
		return -1;
	}
	if (sqlite3_exec(db->handle, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL) != SQLITE_OK) {
		db_error(db, "begin", err, errlen);
		return -1;
	}
	return 0;
}

/* On failure the transaction is rolled back: nothing is left half-open. */
int
db_commit(struct db *db, char *err, size_t errlen)
{
	if (sqlite3_get_autocommit(db->handle)) {
		snprintf(err, errlen, "%s: commit: no transaction is open",
		    db->path);
		return -1;
	}
	if (sqlite3_exec(db->handle, "COMMIT", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		db_error(db, "commit", err, errlen);
		db_rollback(db);
		return -1;
	}
	return 0;
}

void
db_rollback(struct db *db)
{
	/* SQLite may have rolled back already (after SQLITE_FULL, say). */
	if (sqlite3_get_autocommit(db->handle))
		return;
	if (sqlite3_exec(db->handle, "ROLLBACK", NULL, NULL, NULL) !=
	    SQLITE_OK)
		log_warnx("%s: rollback: %s (%d)", db->path,
		    sqlite3_errmsg(db->handle),
		    sqlite3_extended_errcode(db->handle));
}

/*
 * When fn fails, err is left alone: fn reports its own error, often through
 * arg into this same buffer.
 */
int
db_transaction(struct db *db, int (*fn)(struct db *, void *), void *arg,
    char *err, size_t errlen)
{
	int	rc;

	if (!sqlite3_get_autocommit(db->handle)) {
		snprintf(err, errlen, "%s: nested db_transaction: a "
		    "transaction is already open", db->path);
		return -1;
	}
	if (db_begin(db, err, errlen) == -1)
		return -1;
	rc = fn(db, arg);
	if (rc < 0) {
		db_rollback(db);
		return rc;
	}
	if (sqlite3_get_autocommit(db->handle)) {
		snprintf(err, errlen, "%s: the transaction ended inside the "
		    "unit of work (it committed or rolled back itself, or "
		    "SQLite rolled it back after an error)", db->path);
		return -1;
	}
	if (db_commit(db, err, errlen) == -1)
		return -1;
	return rc;
}
