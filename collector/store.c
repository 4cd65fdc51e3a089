/* store.c: ward.db, the collector's SQLite database: its schema as numbered
 * migrations, opened once per thread. Only the collector writes it. */
#include "config.h"

#include <stdlib.h>

#include "common/db.h"
#include "common/xmalloc.h"
#include "collector/collector.h"

struct store {
	struct db	*db;
};

static const struct db_migration store_migrations[] = {
	{ 1, "tokens, hosts, reports, metrics, checks, interfaces",
	  /* API tokens: only a SHA-256 of each is kept. */
	  "CREATE TABLE tokens ("
	  "  id INTEGER PRIMARY KEY,"
	  "  name TEXT NOT NULL,"
	  "  role TEXT NOT NULL"
	  "    CHECK (role IN ('agent', 'read', 'operate', 'admin')),"
	  "  hash BLOB NOT NULL UNIQUE,"
	  "  created_ms INTEGER NOT NULL,"
	  "  last_used_ms INTEGER,"
	  "  revoked_ms INTEGER);"
	  "CREATE UNIQUE INDEX tokens_live_name ON tokens(name)"
	  "  WHERE revoked_ms IS NULL;"
	  /* A host is keyed by its agent's id: a rename keeps the host. */
	  "CREATE TABLE hosts ("
	  "  id INTEGER PRIMARY KEY,"
	  "  agent_id TEXT NOT NULL UNIQUE,"
	  "  name TEXT NOT NULL,"
	  "  fqdn TEXT, datacentre TEXT,"
	  "  kind TEXT NOT NULL DEFAULT 'server',"
	  "  machine_id TEXT, vendor TEXT, model TEXT, serial TEXT,"
	  "  bios_date TEXT,"
	  "  os_id TEXT, os_version_id TEXT, os_pretty_name TEXT,"
	  "  kernel TEXT, arch TEXT,"
	  "  fw_vendor TEXT, fw_product TEXT, fw_version TEXT, fw_family TEXT,"
	  "  addresses TEXT,"
	  "  uptime_s INTEGER,"
	  "  interval_s INTEGER NOT NULL DEFAULT 60,"
	  "  agent_version TEXT,"
	  "  first_seen_ms INTEGER NOT NULL,"
	  "  last_seen_ms INTEGER NOT NULL,"
	  "  last_report_ms INTEGER NOT NULL,"
	  "  last_seq INTEGER NOT NULL,"
	  "  dropped_total INTEGER NOT NULL DEFAULT 0);"
	  "CREATE INDEX hosts_name ON hosts(name);"
	  "CREATE INDEX hosts_datacentre ON hosts(datacentre);"
	  "CREATE TABLE host_renames ("
	  "  host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,"
	  "  old_name TEXT NOT NULL,"
	  "  new_name TEXT NOT NULL,"
	  "  at_ms INTEGER NOT NULL);"
	  /* Every accepted report: (host, seq) makes a replay idempotent. */
	  "CREATE TABLE reports ("
	  "  host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,"
	  "  seq INTEGER NOT NULL,"
	  "  ts_ms INTEGER NOT NULL,"
	  "  received_ms INTEGER NOT NULL,"
	  "  metrics INTEGER NOT NULL,"
	  "  checks INTEGER NOT NULL,"
	  "  dropped INTEGER NOT NULL DEFAULT 0,"
	  "  PRIMARY KEY (host_id, seq)) WITHOUT ROWID;"
	  "CREATE INDEX reports_received ON reports(received_ms);"
	  /* One series per (host, metric name, labels); labels are canonical
	   * JSON with sorted keys, '' when there are none. */
	  "CREATE TABLE series ("
	  "  id INTEGER PRIMARY KEY,"
	  "  host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,"
	  "  name TEXT NOT NULL,"
	  "  labels TEXT NOT NULL DEFAULT '',"
	  "  unit TEXT,"
	  "  last_ts_ms INTEGER,"
	  "  last_value REAL,"
	  "  UNIQUE (host_id, name, labels));"
	  "CREATE TABLE samples ("
	  "  series_id INTEGER NOT NULL,"
	  "  ts_ms INTEGER NOT NULL,"
	  "  value REAL NOT NULL,"
	  "  PRIMARY KEY (series_id, ts_ms)) WITHOUT ROWID;"
	  "CREATE TABLE rollups_hourly ("
	  "  series_id INTEGER NOT NULL,"
	  "  hour_ms INTEGER NOT NULL,"
	  "  min REAL NOT NULL, avg REAL NOT NULL, max REAL NOT NULL,"
	  "  count INTEGER NOT NULL,"
	  "  PRIMARY KEY (series_id, hour_ms)) WITHOUT ROWID;"
	  /* The latest result of each check on each host. */
	  "CREATE TABLE checks ("
	  "  host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,"
	  "  name TEXT NOT NULL,"
	  "  status INTEGER NOT NULL CHECK (status BETWEEN 0 AND 3),"
	  "  output TEXT, perfdata TEXT,"
	  "  ts_ms INTEGER NOT NULL,"
	  "  PRIMARY KEY (host_id, name)) WITHOUT ROWID;"
	  "CREATE TABLE interfaces ("
	  "  host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,"
	  "  name TEXT NOT NULL,"
	  "  idx INTEGER, alias TEXT, type TEXT, admin TEXT, oper TEXT,"
	  "  speed_bps INTEGER, mac TEXT,"
	  "  in_octets INTEGER, out_octets INTEGER,"
	  "  in_errors INTEGER, out_errors INTEGER,"
	  "  in_discards INTEGER, out_discards INTEGER,"
	  "  ts_ms INTEGER NOT NULL,"
	  "  PRIMARY KEY (host_id, name)) WITHOUT ROWID;" },
	{ 2, "indexes for the query API",
	  /* Host lists sort by name in any case, with id to break ties, and
	   * page from a (name, id) cursor. */
	  "CREATE INDEX hosts_name_nocase ON hosts(name COLLATE NOCASE, id);"
	  /* A host is also found by its FQDN, in any case. */
	  "CREATE INDEX hosts_fqdn_nocase ON hosts(fqdn COLLATE NOCASE);"
	  "CREATE INDEX host_renames_host ON host_renames(host_id, at_ms);" },
};

struct store *
store_open(const char *path, int readonly, char *err, size_t errlen)
{
	struct db_options	 opts = { 0 };
	struct store		*st;
	struct db		*db;

	opts.flags = readonly ? DB_READONLY : 0;
	/* An acknowledged report must survive power loss, not just a crash. */
	opts.synchronous_full = 1;
	if ((db = db_open(path, &opts, err, errlen)) == NULL)
		return NULL;
	if (db_migrate(db, store_migrations, sizeof store_migrations /
	    sizeof store_migrations[0], err, errlen) == -1) {
		db_close(db);
		return NULL;
	}
	st = xcalloc(1, sizeof *st);
	st->db = db;
	return st;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	db_close(st->db);
	free(st);
}

struct db *
store_db(struct store *st)
{
	return st->db;
}
