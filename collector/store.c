/* store.c: ward.db, the collector's SQLite database: its schema as numbered
 * migrations, opened once per thread. Only the collector writes it. */
#include "config.h"

#include <stdlib.h>

#include "common/db.h"
#include "common/xmalloc.h"
#include "collector/collector.h"

/* A YYYY-MM-DD date; or also 'true'/'false' for a lifecycle field. */
#define EOL_DATE_GLOB \
	"GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'"
#define EOL_DATE_CHECK(col) \
	" CHECK (" col " IS NULL OR " col " " EOL_DATE_GLOB ")"
#define EOL_FIELD_CHECK(col) \
	" CHECK (" col " IS NULL OR " col " IN ('true', 'false') OR " col \
	" " EOL_DATE_GLOB ")"

struct store {
	struct db			*db;
	const struct health_engine	*health;
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
	{ 3, "health: check states, host states, alerts, maintenance, "
	  "notifications",
	  /* A check's state machine lives beside its latest result: soft or
	   * hard, the attempt count, the last 21 results for flapping. Rule
	   * results are checks too (source 'rule'). */
	  "ALTER TABLE checks ADD COLUMN source TEXT NOT NULL DEFAULT 'agent';"
	  "ALTER TABLE checks ADD COLUMN state_type TEXT NOT NULL"
	  "  DEFAULT 'hard' CHECK (state_type IN ('soft', 'hard'));"
	  "ALTER TABLE checks ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;"
	  "ALTER TABLE checks ADD COLUMN max_attempts INTEGER NOT NULL"
	  "  DEFAULT 3;"
	  "ALTER TABLE checks ADD COLUMN hard_status INTEGER NOT NULL"
	  "  DEFAULT 0;"
	  "ALTER TABLE checks ADD COLUMN last_change_ms INTEGER;"
	  "ALTER TABLE checks ADD COLUMN last_hard_change_ms INTEGER;"
	  "ALTER TABLE checks ADD COLUMN history TEXT NOT NULL DEFAULT '';"
	  "ALTER TABLE checks ADD COLUMN flapping INTEGER NOT NULL DEFAULT 0;"
	  "ALTER TABLE checks ADD COLUMN percent_change REAL NOT NULL"
	  "  DEFAULT 0;"
	  "ALTER TABLE checks ADD COLUMN kind TEXT;"
	  "ALTER TABLE checks ADD COLUMN problem_since_ms INTEGER;"
	  /* The health engine's verdict on each host. */
	  "ALTER TABLE hosts ADD COLUMN state TEXT NOT NULL DEFAULT 'UP'"
	  "  CHECK (state IN ('UP', 'DOWN', 'UNREACHABLE', 'STALE'));"
	  "ALTER TABLE hosts ADD COLUMN state_since_ms INTEGER;"
	  "CREATE INDEX hosts_state ON hosts(state);"
	  /* An alert is about one thing (key) and is open at most once at a
	   * time; resolved ones are history. */
	  "CREATE TABLE alerts ("
	  "  id INTEGER PRIMARY KEY,"
	  "  key TEXT NOT NULL,"
	  "  kind TEXT NOT NULL,"
	  "  host_id INTEGER REFERENCES hosts(id) ON DELETE CASCADE,"
	  "  check_name TEXT,"
	  "  datacentre TEXT,"
	  "  severity TEXT NOT NULL"
	  "    CHECK (severity IN ('warning', 'critical')),"
	  "  status TEXT NOT NULL"
	  "    CHECK (status IN ('open', 'acknowledged', 'resolved')),"
	  "  summary TEXT NOT NULL,"
	  "  opened_ms INTEGER NOT NULL,"
	  "  updated_ms INTEGER NOT NULL,"
	  "  resolved_ms INTEGER,"
	  "  acked_ms INTEGER, acked_by TEXT, ack_comment TEXT,"
	  "  suppressed TEXT,"
	  "  last_notified_ms INTEGER,"
	  "  notifications INTEGER NOT NULL DEFAULT 0);"
	  "CREATE UNIQUE INDEX alerts_live_key ON alerts(key)"
	  "  WHERE status != 'resolved';"
	  "CREATE INDEX alerts_status ON alerts(status, opened_ms);"
	  "CREATE INDEX alerts_host ON alerts(host_id, opened_ms);"
	  "CREATE TABLE alert_events ("
	  "  alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,"
	  "  at_ms INTEGER NOT NULL,"
	  "  event TEXT NOT NULL,"
	  "  actor TEXT,"
	  "  detail TEXT);"
	  "CREATE INDEX alert_events_alert ON alert_events(alert_id, at_ms);"
	  /* Maintenance windows: one-off (starts_ms..ends_ms) or recurring
	   * (recur, in time zone tz). Deleted ones are kept as history. */
	  "CREATE TABLE maintenance ("
	  "  id INTEGER PRIMARY KEY,"
	  "  scope TEXT NOT NULL"
	  "    CHECK (scope IN ('host', 'group', 'datacentre')),"
	  "  target TEXT NOT NULL,"
	  "  starts_ms INTEGER,"
	  "  ends_ms INTEGER,"
	  "  recur TEXT,"
	  "  tz TEXT,"
	  "  reason TEXT NOT NULL,"
	  "  author TEXT NOT NULL,"
	  "  created_ms INTEGER NOT NULL,"
	  "  deleted_ms INTEGER, deleted_by TEXT);"
	  /* The notification outbox: written in the transaction that changes
	   * an alert, sent by the notifier thread, so a dead endpoint never
	   * holds up ingest and nothing is lost by a restart. */
	  "CREATE TABLE notifications ("
	  "  id INTEGER PRIMARY KEY,"
	  "  alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,"
	  "  event TEXT NOT NULL,"
	  "  channel TEXT NOT NULL,"
	  "  created_ms INTEGER NOT NULL,"
	  "  next_attempt_ms INTEGER NOT NULL,"
	  "  attempts INTEGER NOT NULL DEFAULT 0,"
	  "  sent_ms INTEGER,"
	  "  failed_ms INTEGER,"
	  "  last_error TEXT);"
	  "CREATE INDEX notifications_pending ON notifications(next_attempt_ms)"
	  "  WHERE sent_ms IS NULL AND failed_ms IS NULL;" },
	{ 4, "end of life: catalogue, hardware table, refreshes, alerts",
	  /* endoflife.date's products and release cycles. Each lifecycle
	   * field is what the source said: a date, 'true', 'false', or NULL
	   * when the product does not have it. as_of is the date the facts
	   * are from (the snapshot's, or the day they were fetched). */
	  "CREATE TABLE eol_products ("
	  "  name TEXT PRIMARY KEY,"
	  "  label TEXT NOT NULL,"
	  "  eoas_label TEXT, eol_label TEXT, eoes_label TEXT,"
	  "  source TEXT NOT NULL,"
	  "  as_of TEXT NOT NULL" EOL_DATE_CHECK("as_of") ","
	  "  etag TEXT, last_modified TEXT,"
	  "  updated_ms INTEGER NOT NULL,"
	  "  checked_ms INTEGER,"
	  "  error TEXT, error_ms INTEGER);"
	  "CREATE TABLE eol_cycles ("
	  "  product TEXT NOT NULL"
	  "    REFERENCES eol_products(name) ON DELETE CASCADE,"
	  "  name TEXT NOT NULL,"
	  "  position INTEGER NOT NULL,"
	  "  label TEXT, codename TEXT,"
	  "  release_date TEXT" EOL_FIELD_CHECK("release_date") ","
	  "  eoas TEXT" EOL_FIELD_CHECK("eoas") ","
	  "  eol TEXT" EOL_FIELD_CHECK("eol") ","
	  "  eoes TEXT" EOL_FIELD_CHECK("eoes") ","
	  "  lts TEXT" EOL_FIELD_CHECK("lts") ","
	  "  latest TEXT, latest_date TEXT,"
	  "  PRIMARY KEY (product, name));"
	  "CREATE TABLE eol_refreshes ("
	  "  id INTEGER PRIMARY KEY,"
	  "  started_ms INTEGER NOT NULL,"
	  "  finished_ms INTEGER NOT NULL,"
	  "  base_url TEXT NOT NULL,"
	  "  updated INTEGER NOT NULL,"
	  "  unchanged INTEGER NOT NULL,"
	  "  failed INTEGER NOT NULL,"
	  "  summary TEXT NOT NULL);"
	  /* The operator's hardware lifecycle table, replaced whole by each
	   * import; the first row whose vendor and model pattern match an
	   * asset is its. */
	  "CREATE TABLE eol_hardware ("
	  "  id INTEGER PRIMARY KEY,"
	  "  vendor TEXT NOT NULL,"
	  "  model TEXT NOT NULL,"
	  "  end_of_sale TEXT" EOL_DATE_CHECK("end_of_sale") ","
	  "  end_of_sw_maintenance TEXT"
	  "    " EOL_DATE_CHECK("end_of_sw_maintenance") ","
	  "  end_of_security TEXT" EOL_DATE_CHECK("end_of_security") ","
	  "  last_support TEXT" EOL_DATE_CHECK("last_support") ","
	  "  source TEXT,"
	  "  line INTEGER NOT NULL);"
	  "CREATE TABLE eol_hardware_imports ("
	  "  id INTEGER PRIMARY KEY,"
	  "  file TEXT NOT NULL,"
	  "  rows INTEGER NOT NULL,"
	  "  imported_ms INTEGER NOT NULL);"
	  /* Each eol_horizon and eol_passed alert is raised once: its key
	   * (host, part, what it maps to) is remembered here. */
	  "CREATE TABLE eol_alerted ("
	  "  key TEXT PRIMARY KEY,"
	  "  host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,"
	  "  alert_id INTEGER,"
	  "  at_ms INTEGER NOT NULL);" },
	{ 5, "end of life: the hardware table's replacement costs",
	  /* Hundredths of [eol] currency; NULL is not known, never 0. */
	  "ALTER TABLE eol_hardware ADD COLUMN replacement_cost INTEGER"
	  "  CHECK (replacement_cost IS NULL OR replacement_cost >= 0);" },
	{ 6, "software installed on hosts",
	  /* The list a report carried last, replaced whole; software_ms is
	   * when (the report's time), NULL while none has come. */
	  "CREATE TABLE software ("
	  "  host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,"
	  "  name TEXT NOT NULL,"
	  "  type TEXT,"
	  "  installed TEXT,"
	  "  PRIMARY KEY (host_id, name)) WITHOUT ROWID;"
	  "ALTER TABLE hosts ADD COLUMN software_ms INTEGER;" },
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

void
store_set_health(struct store *st, const struct health_engine *h)
{
	st->health = h;
}

const struct health_engine *
store_health(struct store *st)
{
	return st->health;
}
