/* db.h: SQLite helpers: WAL with busy timeout, numbered migrations applied in
 * one transaction, cached prepared statements, one transaction per unit of
 * work. */
#ifndef WARD_DB_H
#define WARD_DB_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

struct db;

struct db_migration {
	int		 version;	/* 1, 2, 3, ... contiguous */
	const char	*name;
	const char	*sql;		/* may hold several statements */
	/*
	 * Rebuilds a table (CREATE the new one, copy, DROP, RENAME: SQLite's
	 * way to change what ALTER TABLE cannot): run with foreign keys off,
	 * so that dropping the old table leaves other tables' references
	 * alone, and every foreign key checked before the commit.
	 */
	int		 rebuilds;
};

#define DB_READONLY	0x01	/* open an existing database read-only */

struct db_options {
	unsigned	 flags;
	int64_t		 busy_timeout_ms;	/* <= 0: default 5000 */
	int		 synchronous_full;	/* 1: PRAGMA synchronous=FULL */
	/* Logged (info) once when a statement has waited a second for a
	 * lock another connection holds; NULL: wait silently. */
	const char	*busy_notice;
	/* A new database's page size in bytes (a power of two, 512 to
	 * 65536); 0: SQLite's default. An existing one keeps its own. */
	unsigned	 page_size;
};

/*
 * Opens (creating unless DB_READONLY) path in WAL mode with foreign keys on;
 * a new file is created mode 0600. opts may be NULL. A struct db is used by
 * one thread at a time (SQLITE_OPEN_NOMUTEX): each thread opens its own.
 * Returns NULL with err naming the path on failure.
 */
struct db *db_open(const char *path, const struct db_options *opts,
	    char *err, size_t errlen);
void	 db_close(struct db *db);
sqlite3	*db_handle(struct db *db);
const char *db_path(const struct db *db);

/*
 * Applies the migrations above the database's user_version, all in one
 * transaction (BEGIN IMMEDIATE): either all pending migrations are applied or
 * none is. A database newer than the newest migration is an error. Returns
 * the number applied, or -1 with err naming the migration that failed.
 */
int	 db_migrate(struct db *db, const struct db_migration *migrations,
	    size_t count, char *err, size_t errlen);
int	 db_schema_version(struct db *db);

/*
 * Puts the database in journal mode ("wal", "delete"): 1 once it is in
 * it, 0 if SQLite left it in another (it cannot leave WAL while another
 * connection has the database open), -1 with err on an error (as inside
 * a transaction). Without wait, a lock another connection holds is a 0
 * at once, not a wait for it.
 */
int	 db_journal_mode(struct db *db, const char *mode, int wait,
	    char *err, size_t errlen);

/*
 * synchronous=FULL (full 1) or NORMAL (0) for this connection; -1: as
 * db_open set it (db_options.synchronous_full). -1 with err on an error.
 */
int	 db_synchronous(struct db *db, int full, char *err, size_t errlen);

/* Runs SQL without results (several statements allowed). */
int	 db_exec(struct db *db, const char *sql, char *err, size_t errlen);

/*
 * Returns a prepared statement for sql, cached by the sql pointer's text and
 * reset with bindings cleared; owned by db, finalised by db_close. NULL with
 * err on a syntax error.
 */
sqlite3_stmt *db_stmt(struct db *db, const char *sql, char *err,
	    size_t errlen);

/* Transactions: immediate (takes the write lock at once). */
int	 db_begin(struct db *db, char *err, size_t errlen);
/* A failed commit rolls back: no transaction is left open. */
int	 db_commit(struct db *db, char *err, size_t errlen);
void	 db_rollback(struct db *db);

/*
 * Runs fn inside one transaction: commits if fn returns >= 0, rolls back
 * otherwise. Returns fn's result, or -1 if the commit failed. When fn fails
 * err is left as fn left it. Transactions do not nest: calling this inside
 * one fails.
 */
int	 db_transaction(struct db *db, int (*fn)(struct db *, void *),
	    void *arg, char *err, size_t errlen);

/* Last error of the handle, "path: message (code)". */
void	 db_error(struct db *db, const char *what, char *err, size_t errlen);

#endif
