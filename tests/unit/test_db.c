/* test_db.c: opening in WAL mode with a private file mode, migrations and
 * their atomicity, the statement cache, transactions and the busy timeout. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "common/daemon.h"
#include "common/db.h"
#include "common/xmalloc.h"
#include "tests/unit/testutil.h"

static const struct db_migration migrations[] = {
	{ 1, "hosts table",
	    "CREATE TABLE hosts (id INTEGER PRIMARY KEY, name TEXT NOT NULL "
	    "UNIQUE);" },
	{ 2, "checks table",
	    "CREATE TABLE checks (id INTEGER PRIMARY KEY,\n"
	    "    host_id INTEGER NOT NULL REFERENCES hosts(id),\n"
	    "    name TEXT NOT NULL);\n"
	    "CREATE INDEX checks_host ON checks(host_id);" },
	{ 3, "add alerts table",
	    "CREATE TABLE alerts (id INTEGER PRIMARY KEY, text TEXT);" },
};

/* Migration 3 breaks halfway through: its first statement succeeds. */
static const struct db_migration migrations_bad3[] = {
	{ 1, "hosts table",
	    "CREATE TABLE hosts (id INTEGER PRIMARY KEY, name TEXT NOT NULL "
	    "UNIQUE);" },
	{ 2, "checks table",
	    "CREATE TABLE checks (id INTEGER PRIMARY KEY,\n"
	    "    host_id INTEGER NOT NULL REFERENCES hosts(id),\n"
	    "    name TEXT NOT NULL);\n"
	    "CREATE INDEX checks_host ON checks(host_id);" },
	{ 3, "add alerts table",
	    "CREATE TABLE alerts (id INTEGER PRIMARY KEY, text TEXT);\n"
	    "INSERT INTO hosts (name) VALUES ('half-done');\n"
	    "CREATE TABLEE oops (x);" },
};

/* Migration 3 rebuilds hosts, the parent of checks, to change its CHECK:
 * done with foreign keys on, its DROP TABLE fails (checks' rows would
 * lose their host). REBUILD(WHERE): the three, copying the hosts WHERE
 * says. */
#define REBUILD(where) {						\
	{ 1, "hosts table",						\
	    "CREATE TABLE hosts (id INTEGER PRIMARY KEY, name TEXT NOT NULL "\
	    "UNIQUE, kind TEXT NOT NULL CHECK (kind IN ('a', 'b', 'c')));" },\
	{ 2, "checks table",						\
	    "CREATE TABLE checks (id INTEGER PRIMARY KEY,\n"		\
	    "    host_id INTEGER NOT NULL REFERENCES hosts(id),\n"	\
	    "    name TEXT NOT NULL);" },					\
	{ 3, "hosts' kind checked without a list",			\
	    "CREATE TABLE hosts_new (id INTEGER PRIMARY KEY, name TEXT NOT "\
	    "NULL UNIQUE, kind TEXT NOT NULL CHECK (kind = 'a' OR kind = 'b' "\
	    "OR kind = 'c'));"						\
	    "INSERT INTO hosts_new SELECT id, name, kind FROM hosts " where ";"\
	    "DROP TABLE hosts;"						\
	    "ALTER TABLE hosts_new RENAME TO hosts;", 1 },		\
}

static const struct db_migration migrations_rebuild[] = REBUILD("");
/* The same, losing a host on the way. */
static const struct db_migration migrations_rebuild_bad[] =
    REBUILD("WHERE name <> 'lost'");

static int	 db_counter;

/* A fresh database path in the test's scratch directory. */
static char *
fresh_path(const char *name)
{
	char	*file, *path;

	xasprintf(&file, "%s-%d.db", name, db_counter++);
	path = tu_path(tu_tmpdir(), file);
	free(file);
	return path;
}

static struct db *
open_ok(const char *path, const struct db_options *opts)
{
	struct db	*db;
	char		 err[512] = "";

	db = db_open(path, opts, err, sizeof err);
	if (db == NULL)
		fail_msg("db_open %s: %s", path, err);
	return db;
}

static char *
query_text(struct db *db, const char *sql)
{
	sqlite3_stmt	*stmt;
	char		*s = NULL;

	assert_int_equal(sqlite3_prepare_v2(db_handle(db), sql, -1, &stmt,
	    NULL), SQLITE_OK);
	if (sqlite3_step(stmt) == SQLITE_ROW &&
	    sqlite3_column_text(stmt, 0) != NULL)
		s = xstrdup((const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	return s;
}

static int64_t
query_int(struct db *db, const char *sql)
{
	sqlite3_stmt	*stmt;
	int64_t		 v = -999;

	assert_int_equal(sqlite3_prepare_v2(db_handle(db), sql, -1, &stmt,
	    NULL), SQLITE_OK);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return v;
}

/* Every schema object, one per line, so before/after can be compared. */
static char *
schema_dump(struct db *db)
{
	return query_text(db, "SELECT group_concat(type || ' ' || name || ' ' "
	    "|| coalesce(sql, ''), char(10)) FROM (SELECT * FROM sqlite_master "
	    "ORDER BY type, name)");
}

static void
test_open_wal_and_mode(void **state)
{
	struct db	*db;
	char		*path, *wal, *mode, err[256];
	struct stat	 st;
	mode_t		 old_umask;

	(void)state;
	path = fresh_path("wal");
	/* A permissive umask must not leak the database to other users. */
	old_umask = umask(0);
	db = open_ok(path, NULL);
	umask(old_umask);
	assert_string_equal(db_path(db), path);
	assert_non_null(db_handle(db));

	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	mode = query_text(db, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	free(mode);
	assert_int_equal(query_int(db, "PRAGMA foreign_keys"), 1);
	/* NORMAL is 1, FULL is 2. */
	assert_int_equal(query_int(db, "PRAGMA synchronous"), 1);
	assert_int_equal(query_int(db, "PRAGMA busy_timeout"), 5000);
	assert_int_equal(db_schema_version(db), 0);

	assert_int_equal(db_exec(db, "CREATE TABLE t (x); "
	    "INSERT INTO t VALUES (1)", err, sizeof err), 0);
	xasprintf(&wal, "%s-wal", path);
	assert_int_equal(stat(wal, &st), 0);
	assert_true(st.st_size > 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	free(wal);

	/* Foreign keys are enforced. */
	assert_int_equal(db_exec(db, "CREATE TABLE p (id INTEGER PRIMARY KEY);"
	    "CREATE TABLE c (p INTEGER REFERENCES p(id));", err, sizeof err),
	    0);
	assert_int_equal(db_exec(db, "INSERT INTO c VALUES (42)", err,
	    sizeof err), -1);
	assert_contains(err, path);
	assert_contains(err, "FOREIGN KEY constraint failed");
	assert_contains(err, "INSERT INTO c VALUES (42)");
	db_close(db);
	free(path);
}

static void
test_open_options(void **state)
{
	struct db_options	 opts = { 0, 1234, 1, NULL, 0 };
	struct db		*db;
	char			*path, err[256];
	int			 i;

	(void)state;
	path = fresh_path("opts");
	db = open_ok(path, &opts);
	assert_int_equal(query_int(db, "PRAGMA synchronous"), 2);
	assert_int_equal(query_int(db, "PRAGMA busy_timeout"), 1234);
	/* Set for a while, then back to what it was opened with. */
	assert_int_equal(db_synchronous(db, 0, err, sizeof err), 0);
	assert_int_equal(query_int(db, "PRAGMA synchronous"), 1);
	assert_int_equal(db_synchronous(db, -1, err, sizeof err), 0);
	assert_int_equal(query_int(db, "PRAGMA synchronous"), 2);
	db_close(db);

	/* An existing file keeps its mode; reopening works. */
	assert_int_equal(chmod(path, 0640), 0);
	opts.busy_timeout_ms = 0;	/* unset: the default */
	opts.synchronous_full = 0;
	db = open_ok(path, &opts);
	assert_int_equal(query_int(db, "PRAGMA busy_timeout"), 5000);
	assert_int_equal(db_synchronous(db, 1, err, sizeof err), 0);
	assert_int_equal(query_int(db, "PRAGMA synchronous"), 2);
	assert_int_equal(db_synchronous(db, -1, err, sizeof err), 0);
	assert_int_equal(query_int(db, "PRAGMA synchronous"), 1);
	db_close(db);
	free(path);

	/* A page size is a new file's (0: SQLite's); an existing one keeps
	 * its own. */
	for (i = 0; i < 3; i++) {
		if (i != 1)
			path = fresh_path(i == 0 ? "pages" : "pages-default");
		opts.page_size = i == 0 ? 16384 : i == 1 ? 8192 : 0;
		db = open_ok(path, &opts);
		if (i != 1)
			assert_int_equal(db_exec(db, "CREATE TABLE t (x)", err,
			    sizeof err), 0);
		assert_int_equal(query_int(db, "PRAGMA page_size"), i < 2 ?
		    16384 : 4096);
		db_close(db);
		if (i != 0)
			free(path);
	}

	db_close(NULL);
}

static void
test_open_readonly(void **state)
{
	struct db_options	 ro = { DB_READONLY, 0, 0 };
	struct db		*db;
	char			*path, err[512] = "";

	(void)state;
	path = fresh_path("ro-missing");
	assert_null(db_open(path, &ro, err, sizeof err));
	assert_contains(err, path);
	assert_contains(err, "unable to open database file");
	assert_contains(err, "No such file or directory");
	/* Read-only never creates the file. */
	assert_int_equal(access(path, F_OK), -1);
	free(path);

	/* A WAL database written and closed can be read read-only. */
	path = fresh_path("ro");
	db = open_ok(path, NULL);
	assert_int_equal(db_migrate(db, migrations, 3, err, sizeof err), 3);
	assert_int_equal(db_exec(db, "INSERT INTO hosts (name) VALUES ('a')",
	    err, sizeof err), 0);
	db_close(db);

	db = open_ok(path, &ro);
	assert_int_equal(query_int(db, "SELECT count(*) FROM hosts"), 1);
	assert_int_equal(db_exec(db, "INSERT INTO hosts (name) VALUES ('b')",
	    err, sizeof err), -1);
	assert_contains(err, path);
	assert_contains(err, "readonly");
	/* Up to date: nothing to do, fine read-only. */
	assert_int_equal(db_migrate(db, migrations, 3, err, sizeof err), 0);
	/* Newer than the program is refused read-only too. */
	assert_int_equal(db_migrate(db, migrations, 2, err, sizeof err), -1);
	assert_contains(err, "newer than this program knows (2)");
	db_close(db);
	free(path);
}

static void
test_open_readonly_needs_migration(void **state)
{
	struct db_options	 ro = { DB_READONLY, 0, 0 };
	struct db		*db;
	char			*path, err[512] = "";

	(void)state;
	path = fresh_path("ro-old");
	db = open_ok(path, NULL);
	assert_int_equal(db_migrate(db, migrations, 1, err, sizeof err), 1);
	db_close(db);
	db = open_ok(path, &ro);
	assert_int_equal(db_migrate(db, migrations, 3, err, sizeof err), -1);
	assert_contains(err, path);
	assert_contains(err, "schema version 1 is older than this program's "
	    "(3) and the database is open read-only");
	assert_int_equal(db_schema_version(db), 1);
	db_close(db);
	free(path);
}

static void
test_open_errors(void **state)
{
	char	*path, *dir, err[512] = "";

	(void)state;
	/* The directory does not exist. */
	xasprintf(&path, "%s/no-such-dir/ward.db", tu_tmpdir());
	assert_null(db_open(path, NULL, err, sizeof err));
	assert_contains(err, path);
	assert_contains(err, "No such file or directory");
	free(path);

	/* A path through a regular file. */
	free(tu_write_file(tu_tmpdir(), "plain", "x", 0600));
	xasprintf(&path, "%s/plain/ward.db", tu_tmpdir());
	assert_null(db_open(path, NULL, err, sizeof err));
	assert_contains(err, path);
	assert_contains(err, "Not a directory");
	free(path);

	/* A file that is not a database is refused, and left alone. */
	path = tu_write_file(tu_tmpdir(), "garbage.db",
	    "this is not an SQLite database, not even close to one, and it "
	    "is long enough to have a header\n", 0600);
	assert_null(db_open(path, NULL, err, sizeof err));
	assert_contains(err, path);
	assert_contains(err, "file is not a database");
	free(path);

	/* A directory where the file should be. */
	dir = tu_path(tu_tmpdir(), "adir.db");
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_null(db_open(dir, NULL, err, sizeof err));
	assert_contains(err, dir);
	free(dir);
}

static void
test_open_unwritable_dir(void **state)
{
	char	*dir, *path, err[512] = "";

	(void)state;
	if (geteuid() == 0)
		skip();	/* root ignores directory permissions */
	dir = tu_path(tu_tmpdir(), "locked");
	assert_int_equal(mkdir(dir, 0500), 0);
	path = tu_path(dir, "ward.db");
	assert_null(db_open(path, NULL, err, sizeof err));
	assert_contains(err, path);
	assert_contains(err, "Permission denied");
	free(path);
	free(dir);
}

/* A reader that may not write where the database is (the collector's
 * user reading ward-idsync's) is told so, not "attempt to write a
 * readonly database". As root, the reader is a child run as nobody. */
static void
test_open_readonly_dir(void **state)
{
	struct db	*db;
	struct db_options o;
	char		 tmpl[] = "/tmp/ward-db-XXXXXX", *dir, *path;
	char		 err[512] = "";
	pid_t		 pid;
	int		 status;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	assert_int_equal(chmod(tmpl, 0755), 0);
	dir = tu_path(tmpl, "ro");
	assert_int_equal(mkdir(dir, 0755), 0);
	path = tu_path(dir, "ward.db");
	db = open_ok(path, NULL);
	db_close(db);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(chmod(dir, 0555), 0);
	memset(&o, 0, sizeof o);
	o.flags = DB_READONLY;
	if (geteuid() != 0) {
		assert_null(db_open(path, &o, err, sizeof err));
		assert_contains(err, "cannot write to the database's "
		    "directory");
		assert_contains(err, path);
	} else {
		pid = fork();
		assert_true(pid != -1);
		if (pid == 0) {
			if (daemon_drop_privileges("nobody", err,
			    sizeof err) == -1)
				_exit(2);
			if (db_open(path, &o, err, sizeof err) != NULL)
				_exit(3);
			_exit(strstr(err, "cannot write to the database's "
			    "directory") != NULL && strstr(err, path) !=
			    NULL && strstr(err, "PRAGMA") == NULL ? 0 : 4);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(chmod(dir, 0755), 0);
	unlink(path);
	rmdir(dir);
	rmdir(tmpl);
	free(path);
	free(dir);
}

static void
test_migrate(void **state)
{
	struct db	*db;
	char		*path, *schema, err[512] = "";

	(void)state;
	path = fresh_path("migrate");
	db = open_ok(path, NULL);
	tu_log_capture_start();
	assert_int_equal(db_migrate(db, migrations, 0, err, sizeof err), 0);
	assert_int_equal(db_migrate(db, migrations, 2, err, sizeof err), 2);
	assert_contains(tu_log_captured(), "schema migrated to version 2 "
	    "(2 migrations applied)");
	assert_contains(tu_log_captured(), path);
	assert_int_equal(db_schema_version(db), 2);
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master "
	    "WHERE name IN ('hosts', 'checks', 'checks_host')"), 3);
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master "
	    "WHERE name = 'alerts'"), 0);

	/* Only the pending one is applied. */
	assert_int_equal(db_migrate(db, migrations, 3, err, sizeof err), 1);
	assert_int_equal(db_schema_version(db), 3);
	schema = schema_dump(db);
	assert_contains(schema, "table alerts");

	assert_contains(tu_log_captured(), "schema migrated to version 3 "
	    "(1 migration applied)");

	/* Idempotent, and quiet about it. */
	tu_log_capture_start();
	assert_int_equal(db_migrate(db, migrations, 3, err, sizeof err), 0);
	assert_int_equal(db_schema_version(db), 3);
	assert_string_equal(tu_log_captured(), "");
	tu_log_capture_stop();
	db_close(db);

	/* Persisted. */
	db = open_ok(path, NULL);
	assert_int_equal(db_schema_version(db), 3);
	assert_int_equal(db_migrate(db, migrations, 3, err, sizeof err), 0);
	db_close(db);
	free(schema);
	free(path);
}

/* A table rebuilt under its children's references: the rows and the
 * references stay, foreign keys are on again after it, and a rebuild
 * that loses a referenced row is refused and leaves nothing. */
static void
test_migrate_rebuild(void **state)
{
	struct db	*db;
	char		*path, *schema, err[512] = "";
	int		 bad;

	(void)state;
	for (bad = 0; bad < 2; bad++) {
		path = fresh_path(bad ? "rebuild-bad" : "rebuild");
		db = open_ok(path, NULL);
		assert_int_equal(db_migrate(db, migrations_rebuild, 2, err,
		    sizeof err), 2);
		assert_int_equal(db_exec(db, "INSERT INTO hosts VALUES "
		    "(1, 'kept', 'a'), (2, 'lost', 'b');"
		    "INSERT INTO checks VALUES (1, 1, 'ping'), (2, 2, 'disk')",
		    err, sizeof err), 0);
		if (!bad) {
			assert_int_equal(db_migrate(db, migrations_rebuild, 3,
			    err, sizeof err), 1);
			assert_int_equal(db_schema_version(db), 3);
			schema = schema_dump(db);
			assert_contains(schema, "kind = 'a' OR");
			assert_null(strstr(schema, "hosts_new"));
			free(schema);
			assert_int_equal(query_int(db, "SELECT count(*) FROM "
			    "hosts JOIN checks ON checks.host_id = hosts.id"),
			    2);
		} else {
			assert_int_equal(db_migrate(db,
			    migrations_rebuild_bad, 3, err, sizeof err), -1);
			assert_contains(err, path);
			assert_contains(err, "table checks refers to a row of "
			    "hosts that is not there");
			assert_int_equal(db_schema_version(db), 2);
			schema = schema_dump(db);
			assert_contains(schema, "IN ('a', 'b', 'c')");
			free(schema);
			assert_int_equal(query_int(db, "SELECT count(*) FROM "
			    "hosts"), 2);
		}
		/* Foreign keys are enforced again. */
		assert_int_equal(query_int(db, "PRAGMA foreign_keys"), 1);
		assert_int_equal(db_exec(db, "INSERT INTO checks VALUES "
		    "(3, 42, 'orphan')", err, sizeof err), -1);
		assert_contains(err, "FOREIGN KEY constraint failed");
		db_close(db);
		free(path);
	}
}

static void
test_migrate_atomic(void **state)
{
	struct db	*db;
	char		*path, *before, *after, err[512] = "";

	(void)state;
	/* All three pending, the last one fails: none is applied. */
	path = fresh_path("atomic-all");
	db = open_ok(path, NULL);
	assert_int_equal(db_migrate(db, migrations_bad3, 3, err, sizeof err),
	    -1);
	assert_contains(err, path);
	assert_contains(err, "migration 3 (add alerts table) failed: ");
	assert_contains(err, "syntax error");
	assert_int_equal(db_schema_version(db), 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master"),
	    0);
	assert_int_equal(sqlite3_get_autocommit(db_handle(db)), 1);
	db_close(db);
	free(path);

	/* At version 2, migration 3 fails: version, schema, rows unchanged. */
	path = fresh_path("atomic");
	db = open_ok(path, NULL);
	assert_int_equal(db_migrate(db, migrations_bad3, 2, err, sizeof err),
	    2);
	before = schema_dump(db);
	assert_int_equal(db_migrate(db, migrations_bad3, 3, err, sizeof err),
	    -1);
	assert_contains(err, "migration 3 (add alerts table) failed: "
	    "near \"TABLEE\": syntax error");
	after = schema_dump(db);
	assert_string_equal(before, after);
	assert_not_contains(after, "alerts");
	assert_int_equal(db_schema_version(db), 2);
	assert_int_equal(query_int(db, "SELECT count(*) FROM hosts"), 0);
	db_close(db);

	/* The fixed migration 3 then applies cleanly. */
	db = open_ok(path, NULL);
	assert_int_equal(db_schema_version(db), 2);
	assert_int_equal(db_migrate(db, migrations, 3, err, sizeof err), 1);
	assert_int_equal(db_schema_version(db), 3);
	db_close(db);
	free(before);
	free(after);
	free(path);
}

static void
test_migrate_ends_transaction(void **state)
{
	static const struct db_migration commits[] = {
		{ 1, "sneaky commit", "CREATE TABLE a (x); COMMIT;" },
	};
	static const struct db_migration begins[] = {
		{ 1, "nested begin", "BEGIN; CREATE TABLE a (x);" },
	};
	struct db	*db;
	char		*path, err[512] = "";

	(void)state;
	path = fresh_path("txn-mig");
	db = open_ok(path, NULL);
	assert_int_equal(db_migrate(db, begins, 1, err, sizeof err), -1);
	assert_contains(err, "migration 1 (nested begin) failed: cannot "
	    "start a transaction within a transaction");
	assert_int_equal(db_schema_version(db), 0);
	assert_int_equal(db_migrate(db, commits, 1, err, sizeof err), -1);
	assert_contains(err, "migration 1 (sneaky commit) ended the "
	    "transaction itself");
	assert_int_equal(db_schema_version(db), 0);
	db_close(db);
	free(path);
}

static void
test_migrate_newer_refused(void **state)
{
	struct db	*db;
	char		*path, err[512] = "";

	(void)state;
	path = fresh_path("newer");
	db = open_ok(path, NULL);
	assert_int_equal(db_exec(db, "PRAGMA user_version = 7", err,
	    sizeof err), 0);
	assert_int_equal(db_migrate(db, migrations, 3, err, sizeof err), -1);
	assert_contains(err, path);
	assert_contains(err, "database schema version 7 is newer than this "
	    "program knows (3); refusing to open");
	assert_int_equal(db_schema_version(db), 7);
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master"),
	    0);

	assert_int_equal(db_exec(db, "PRAGMA user_version = -2", err,
	    sizeof err), 0);
	assert_int_equal(db_migrate(db, migrations, 3, err, sizeof err), -1);
	assert_contains(err, "schema version -2 is invalid");
	db_close(db);
	free(path);
}

static void
test_migrate_list_invalid(void **state)
{
	static const struct db_migration gap[] = {
		{ 1, "one", "CREATE TABLE one (x);" },
		{ 3, "three", "CREATE TABLE three (x);" },
	};
	static const struct db_migration zero[] = {
		{ 0, "zero", "CREATE TABLE zero (x);" },
	};
	static const struct db_migration backwards[] = {
		{ 2, "two", "CREATE TABLE two (x);" },
		{ 1, "one", "CREATE TABLE one (x);" },
	};
	static const struct db_migration nosql[] = {
		{ 1, "one", NULL },
	};
	struct db	*db;
	char		*path, err[512] = "";

	(void)state;
	path = fresh_path("badlist");
	db = open_ok(path, NULL);
	assert_int_equal(db_migrate(db, gap, 2, err, sizeof err), -1);
	assert_contains(err, path);
	assert_contains(err, "invalid migration list: entry 1 has version 3, "
	    "expected 2");
	assert_int_equal(db_migrate(db, zero, 1, err, sizeof err), -1);
	assert_contains(err, "entry 0 has version 0, expected 1");
	assert_int_equal(db_migrate(db, backwards, 2, err, sizeof err), -1);
	assert_contains(err, "entry 0 has version 2, expected 1");
	assert_int_equal(db_migrate(db, nosql, 1, err, sizeof err), -1);
	assert_contains(err, "migration 1 has no SQL");
	/* Nothing was touched. */
	assert_int_equal(db_schema_version(db), 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master"),
	    0);
	db_close(db);
	free(path);
}

static void
test_stmt_cache(void **state)
{
	struct db	*db;
	sqlite3_stmt	*ins, *ins2, *sel;
	char		*path, err[512] = "", sql_copy[128];
	const char	*ins_sql = "INSERT INTO hosts (name) VALUES (?)";

	(void)state;
	path = fresh_path("stmt");
	db = open_ok(path, NULL);
	assert_int_equal(db_migrate(db, migrations, 3, err, sizeof err), 3);

	ins = db_stmt(db, ins_sql, err, sizeof err);
	assert_non_null(ins);
	assert_int_equal(sqlite3_bind_text(ins, 1, "alpha", -1,
	    SQLITE_STATIC), SQLITE_OK);
	assert_int_equal(sqlite3_step(ins), SQLITE_DONE);

	/* Same text, another pointer: the same statement, reset, unbound. */
	snprintf(sql_copy, sizeof sql_copy, "%s", ins_sql);
	ins2 = db_stmt(db, sql_copy, err, sizeof err);
	assert_ptr_equal(ins, ins2);
	/* Bindings were cleared: NULL name violates NOT NULL. */
	assert_int_equal(sqlite3_step(ins2), SQLITE_CONSTRAINT_NOTNULL);
	assert_contains(sqlite3_errmsg(db_handle(db)), "NOT NULL");

	ins = db_stmt(db, ins_sql, err, sizeof err);
	assert_ptr_equal(ins, ins2);
	assert_int_equal(sqlite3_bind_text(ins, 1, "beta", -1,
	    SQLITE_STATIC), SQLITE_OK);
	assert_int_equal(sqlite3_step(ins), SQLITE_DONE);

	sel = db_stmt(db, "SELECT group_concat(name, ',') FROM "
	    "(SELECT name FROM hosts ORDER BY id)", err, sizeof err);
	assert_non_null(sel);
	assert_ptr_not_equal(sel, ins);
	assert_int_equal(sqlite3_step(sel), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(sel, 0),
	    "alpha,beta");
	/* Left mid-result, handed back reset. */
	sel = db_stmt(db, "SELECT group_concat(name, ',') FROM "
	    "(SELECT name FROM hosts ORDER BY id)", err, sizeof err);
	assert_int_equal(sqlite3_step(sel), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(sel, 0),
	    "alpha,beta");

	/* A statement cached before a migration still works after it. */
	assert_int_equal(db_exec(db, "ALTER TABLE hosts ADD COLUMN site TEXT",
	    err, sizeof err), 0);
	ins = db_stmt(db, ins_sql, err, sizeof err);
	assert_int_equal(sqlite3_bind_text(ins, 1, "gamma", -1,
	    SQLITE_STATIC), SQLITE_OK);
	assert_int_equal(sqlite3_step(ins), SQLITE_DONE);
	assert_int_equal(query_int(db, "SELECT count(*) FROM hosts"), 3);

	/* Errors name the database and the SQL. */
	assert_null(db_stmt(db, "SELECT * FROM no_such_table", err,
	    sizeof err));
	assert_contains(err, path);
	assert_contains(err, "prepare SELECT * FROM no_such_table: no such "
	    "table: no_such_table (1)");
	assert_null(db_stmt(db, "SELEC 1", err, sizeof err));
	assert_contains(err, "syntax error");
	assert_null(db_stmt(db, "SELECT 1; SELECT 2", err, sizeof err));
	assert_contains(err, "more than one SQL statement");
	assert_null(db_stmt(db, "  -- nothing\n", err, sizeof err));
	assert_contains(err, "no SQL statement");
	/* A trailing semicolon is one statement. */
	assert_non_null(db_stmt(db, "SELECT 1;  \n", err, sizeof err));

	/* db_close finalises the cache; ASan and SQLite see no leak. */
	db_close(db);
	free(path);
}

static void
test_stmt_error_excerpt(void **state)
{
	struct db	*db;
	char		*path, err[512] = "";

	(void)state;
	path = fresh_path("excerpt");
	db = open_ok(path, NULL);
	/* Newlines collapse to one line and long SQL is cut short. */
	assert_null(db_stmt(db, "SELECT\n\tcolumn_one,\n\tcolumn_two,\n\t"
	    "column_three, column_four, column_five, column_six\nFROM nowhere",
	    err, sizeof err));
	assert_contains(err, "prepare SELECT column_one, column_two, ");
	assert_contains(err, "...");
	assert_not_contains(err, "\n");
	assert_not_contains(err, "\t");
	db_close(db);
	free(path);
}

struct txn_arg {
	const char	*name;
	int		 result;
	int		 calls;
};

static int
insert_host(struct db *db, void *arg)
{
	struct txn_arg	*a = arg;
	sqlite3_stmt	*stmt;
	char		 err[256];

	a->calls++;
	stmt = db_stmt(db, "INSERT INTO hosts (name) VALUES (?)", err,
	    sizeof err);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, a->name, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		return -1;
	return a->result;
}

static int
nested_txn(struct db *db, void *arg)
{
	char	*err = arg;

	return db_transaction(db, insert_host, &(struct txn_arg){ "n", 0, 0 },
	    err, 256);
}

static int
commits_itself(struct db *db, void *arg)
{
	(void)arg;
	return sqlite3_exec(db_handle(db), "COMMIT", NULL, NULL, NULL) ==
	    SQLITE_OK ? 0 : -1;
}

static void
test_transaction(void **state)
{
	struct db	*db;
	struct txn_arg	 a;
	char		*path, err[512] = "", inner[256] = "";

	(void)state;
	path = fresh_path("txn");
	db = open_ok(path, NULL);
	assert_int_equal(db_migrate(db, migrations, 3, err, sizeof err), 3);

	/* Commit: fn's result is returned, the row is there. */
	a = (struct txn_arg){ "committed", 7, 0 };
	assert_int_equal(db_transaction(db, insert_host, &a, err, sizeof err),
	    7);
	assert_int_equal(a.calls, 1);
	assert_int_equal(query_int(db, "SELECT count(*) FROM hosts WHERE "
	    "name = 'committed'"), 1);

	/* Rollback: fn wrote a row then failed; nothing remains. */
	a = (struct txn_arg){ "rolled-back", -1, 0 };
	snprintf(err, sizeof err, "untouched");
	assert_int_equal(db_transaction(db, insert_host, &a, err, sizeof err),
	    -1);
	assert_int_equal(a.calls, 1);
	assert_string_equal(err, "untouched");
	assert_int_equal(query_int(db, "SELECT count(*) FROM hosts WHERE "
	    "name = 'rolled-back'"), 0);
	assert_int_equal(sqlite3_get_autocommit(db_handle(db)), 1);
	/* Any negative result is handed back. */
	a = (struct txn_arg){ "neg", -5, 0 };
	assert_int_equal(db_transaction(db, insert_host, &a, err, sizeof err),
	    -5);
	assert_int_equal(query_int(db, "SELECT count(*) FROM hosts"), 1);

	/* Nested: the inner call fails clearly, the outer rolls back. */
	assert_int_equal(db_transaction(db, nested_txn, inner, err,
	    sizeof err), -1);
	assert_contains(inner, path);
	assert_contains(inner, "nested db_transaction");
	assert_int_equal(query_int(db, "SELECT count(*) FROM hosts"), 1);
	assert_int_equal(sqlite3_get_autocommit(db_handle(db)), 1);

	/* fn that ends the transaction itself is reported. */
	assert_int_equal(db_transaction(db, commits_itself, NULL, err,
	    sizeof err), -1);
	assert_contains(err, "transaction ended inside the unit of work");

	/* Explicit begin/commit/rollback. */
	assert_int_equal(db_begin(db, err, sizeof err), 0);
	assert_int_equal(db_begin(db, err, sizeof err), -1);
	assert_contains(err, "transaction is already open");
	assert_int_equal(db_exec(db, "INSERT INTO hosts (name) VALUES ('x')",
	    err, sizeof err), 0);
	db_rollback(db);
	assert_int_equal(query_int(db, "SELECT count(*) FROM hosts"), 1);
	db_rollback(db);	/* nothing open: harmless */
	assert_int_equal(db_begin(db, err, sizeof err), 0);
	assert_int_equal(db_exec(db, "INSERT INTO hosts (name) VALUES ('y')",
	    err, sizeof err), 0);
	assert_int_equal(db_commit(db, err, sizeof err), 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM hosts"), 2);
	assert_int_equal(db_commit(db, err, sizeof err), -1);
	assert_contains(err, "commit: no transaction is open");

	/* A failed commit (deferred foreign key) leaves no transaction. */
	assert_int_equal(db_exec(db, "CREATE TABLE p (id INTEGER PRIMARY KEY);"
	    "CREATE TABLE c (p INTEGER REFERENCES p(id) DEFERRABLE INITIALLY "
	    "DEFERRED);", err, sizeof err), 0);
	assert_int_equal(db_begin(db, err, sizeof err), 0);
	assert_int_equal(db_exec(db, "INSERT INTO c VALUES (9)", err,
	    sizeof err), 0);
	assert_int_equal(db_commit(db, err, sizeof err), -1);
	assert_contains(err, path);
	assert_contains(err, "commit: FOREIGN KEY constraint failed");
	assert_int_equal(sqlite3_get_autocommit(db_handle(db)), 1);
	assert_int_equal(query_int(db, "SELECT count(*) FROM c"), 0);

	db_close(db);
	free(path);
}

static void
test_busy_timeout(void **state)
{
	struct db_options	 opts = { 0, 100, 0 };
	struct db		*db, *other;
	struct txn_arg		 a = { "blocked", 0, 0 };
	char			*path, err[512] = "";

	(void)state;
	path = fresh_path("busy");
	db = open_ok(path, &opts);
	assert_int_equal(db_migrate(db, migrations, 3, err, sizeof err), 3);
	other = open_ok(path, &opts);

	assert_int_equal(db_begin(other, err, sizeof err), 0);
	assert_int_equal(db_begin(db, err, sizeof err), -1);
	assert_contains(err, path);
	assert_contains(err, "begin: database is locked (5)");
	assert_int_equal(sqlite3_get_autocommit(db_handle(db)), 1);

	assert_int_equal(db_transaction(db, insert_host, &a, err, sizeof err),
	    -1);
	assert_int_equal(a.calls, 0);
	assert_contains(err, "locked");

	assert_int_equal(db_migrate(db, migrations, 3, err, sizeof err), 0);

	/* Readers are not blocked by the writer (WAL). */
	assert_int_equal(query_int(db, "SELECT count(*) FROM hosts"), 0);

	db_rollback(other);
	assert_int_equal(db_transaction(db, insert_host, &a, err, sizeof err),
	    0);
	assert_int_equal(query_int(other, "SELECT count(*) FROM hosts"), 1);
	db_close(other);
	db_close(db);
	free(path);
}

/* A wait that says why: once, after a second, and only then. */
static void
test_busy_notice(void **state)
{
	struct db_options	 opts = { 0, 1300, 0, "waiting for the run" };
	struct db		*db, *other;
	char			*path, err[512] = "";
	const char		*log, *at;

	(void)state;
	path = fresh_path("notice");
	db = open_ok(path, &opts);
	assert_int_equal(db_migrate(db, migrations, 3, err, sizeof err), 3);
	other = open_ok(path, NULL);
	assert_int_equal(db_begin(other, err, sizeof err), 0);

	tu_log_capture_start();
	assert_int_equal(db_begin(db, err, sizeof err), -1);
	assert_contains(err, "begin: database is locked (5)");
	log = tu_log_captured();
	at = strstr(log, "waiting for the run");
	assert_non_null(at);
	assert_null(strstr(at + 1, "waiting for the run"));
	tu_log_capture_stop();
	db_close(db);

	/* Shorter than a second: silent. */
	opts.busy_timeout_ms = 200;
	db = open_ok(path, &opts);
	tu_log_capture_start();
	assert_int_equal(db_begin(db, err, sizeof err), -1);
	assert_string_equal(tu_log_captured(), "");
	tu_log_capture_stop();

	db_rollback(other);
	assert_int_equal(db_begin(db, err, sizeof err), 0);
	db_rollback(db);
	db_close(other);
	db_close(db);
	free(path);
}

static void
test_close_with_caller_statement(void **state)
{
	struct db	*db;
	sqlite3_stmt	*stmt;
	char		*path;

	(void)state;
	path = fresh_path("close");
	db = open_ok(path, NULL);
	assert_int_equal(sqlite3_prepare_v2(db_handle(db), "SELECT 1", -1,
	    &stmt, NULL), SQLITE_OK);
	tu_log_capture_start();
	db_close(db);
	assert_contains(tu_log_captured(), path);
	assert_contains(tu_log_captured(), "close: ");
	tu_log_capture_stop();
	/* The connection lingers until its last statement goes. */
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	sqlite3_finalize(stmt);
	free(path);
}

static void
test_db_error(void **state)
{
	struct db	*db;
	char		*path, *want, err[512] = "", tiny[8];

	(void)state;
	path = fresh_path("dberror");
	db = open_ok(path, NULL);
	assert_int_equal(sqlite3_exec(db_handle(db), "SELECT * FROM nope",
	    NULL, NULL, NULL), SQLITE_ERROR);
	db_error(db, "load hosts", err, sizeof err);
	xasprintf(&want, "%s: load hosts: no such table: nope (1)", path);
	assert_string_equal(err, want);
	free(want);
	db_error(db, NULL, err, sizeof err);
	xasprintf(&want, "%s: no such table: nope (1)", path);
	assert_string_equal(err, want);
	free(want);
	db_error(db, "x", tiny, sizeof tiny);
	assert_int_equal(strlen(tiny), sizeof tiny - 1);
	db_error(db, "x", NULL, 0);

	/* A damaged schema's message quotes its bytes: escaped. */
	assert_int_equal(db_exec(db, "CREATE TABLE t (x); "
	    "PRAGMA writable_schema=ON; UPDATE sqlite_master SET sql = "
	    "'CREATE TABLE t (x' || char(27) || '[2J' WHERE name = 't'; "
	    "PRAGMA writable_schema=OFF", err, sizeof err), 0);
	db_close(db);
	assert_null(db_open(path, NULL, err, sizeof err));
	assert_contains(err, "malformed database schema");
	assert_contains(err, "\\x1b");
	assert_null(strchr(err, '\033'));
	free(path);
}

/* Out of WAL and back: not while another connection has the database
 * open, and then at once rather than after the busy timeout (opts:
 * 100 s); back in WAL after the other has gone. */
static void
test_journal_mode(void **state)
{
	struct db_options	 opts = { 0, 100000, 0 };
	struct db		*db, *other;
	sqlite3			*raw_handle;
	char			*path, *mode, err[512] = "";

	(void)state;
	path = fresh_path("journal");
	db = open_ok(path, &opts);
	assert_int_equal(db_migrate(db, migrations, 3, err, sizeof err), 3);
	other = open_ok(path, &opts);
	assert_int_equal(query_int(other, "SELECT count(*) FROM hosts"), 0);
	assert_int_equal(db_journal_mode(db, "delete", 0, err, sizeof err), 0);
	mode = query_text(db, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	free(mode);
	/* The busy timeout is back as it was. */
	assert_int_equal(query_int(db, "PRAGMA busy_timeout"), 100000);
	db_close(other);

	assert_int_equal(db_journal_mode(db, "delete", 0, err, sizeof err), 1);
	mode = query_text(db, "PRAGMA journal_mode");
	assert_string_equal(mode, "delete");
	free(mode);
	assert_int_equal(db_journal_mode(db, "wal", 1, err, sizeof err), 1);
	/* Not inside a transaction. */
	assert_int_equal(db_begin(db, err, sizeof err), 0);
	assert_int_equal(db_journal_mode(db, "delete", 0, err, sizeof err), -1);
	assert_contains(err, path);
	assert_contains(err, "PRAGMA journal_mode=delete");
	db_rollback(db);
	db_close(db);
	/* db_open puts a database back in WAL. */
	assert_int_equal(sqlite3_open(path, &raw_handle), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw_handle, "PRAGMA journal_mode=delete",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw_handle);
	db = open_ok(path, NULL);
	mode = query_text(db, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	free(mode);
	db_close(db);
	free(path);
}

/* A writer killed in a rollback-journal transaction leaves its journal:
 * a reader says what that is; the next connection that may write rolls
 * the transaction back. */
static void
test_hot_journal(void **state)
{
	struct db_options	 ro = { DB_READONLY, 0, 0 };
	struct db		*db;
	char			*path, err[512] = "";
	pid_t			 pid;
	int			 status, i;

	(void)state;
	path = fresh_path("hot");
	db = open_ok(path, NULL);
	assert_int_equal(db_migrate(db, migrations, 3, err, sizeof err), 3);
	assert_int_equal(db_exec(db, "INSERT INTO hosts (name) VALUES "
	    "('kept')", err, sizeof err), 0);
	db_close(db);

	if ((pid = fork()) == 0) {
		if ((db = db_open(path, NULL, err, sizeof err)) == NULL ||
		    db_journal_mode(db, "delete", 0, err, sizeof err) != 1 ||
		    db_exec(db, "PRAGMA cache_size = 10", err, sizeof err) ||
		    db_begin(db, err, sizeof err) == -1)
			_exit(1);
		/* Past the cache: pages spill into the file. */
		for (i = 0; i < 5000; i++)
			if (db_exec(db, "INSERT INTO hosts (name) VALUES "
			    "(hex(randomblob(100)))", err, sizeof err) == -1)
				_exit(1);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	assert_null(db_open(path, &ro, err, sizeof err));
	assert_contains(err, path);
	assert_contains(err, "a writer was stopped in a transaction; the "
	    "next program to open the database for writing rolls it back");
	db = open_ok(path, NULL);
	assert_int_equal(query_int(db, "SELECT count(*) FROM hosts"), 1);
	db_close(db);
	db = open_ok(path, &ro);
	assert_int_equal(query_int(db, "SELECT count(*) FROM hosts"), 1);
	db_close(db);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_wal_and_mode),
		cmocka_unit_test(test_open_options),
		cmocka_unit_test(test_open_readonly),
		cmocka_unit_test(test_open_readonly_needs_migration),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_open_unwritable_dir),
		cmocka_unit_test(test_open_readonly_dir),
		cmocka_unit_test(test_migrate),
		cmocka_unit_test(test_migrate_rebuild),
		cmocka_unit_test(test_migrate_atomic),
		cmocka_unit_test(test_migrate_ends_transaction),
		cmocka_unit_test(test_migrate_newer_refused),
		cmocka_unit_test(test_migrate_list_invalid),
		cmocka_unit_test(test_stmt_cache),
		cmocka_unit_test(test_stmt_error_excerpt),
		cmocka_unit_test(test_transaction),
		cmocka_unit_test(test_busy_timeout),
		cmocka_unit_test(test_busy_notice),
		cmocka_unit_test(test_close_with_caller_statement),
		cmocka_unit_test(test_db_error),
		cmocka_unit_test(test_journal_mode),
		cmocka_unit_test(test_hot_journal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
