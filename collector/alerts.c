/* alerts.c: the alert lifecycle in ward.db: open -> acknowledged ->
 * resolved, one live alert per subject, every change an event in its
 * history and, unless suppressed, a notification in the outbox, all in the
 * caller's transaction. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "common/xmalloc.h"
#include "collector/collector.h"

/* The alert kinds ward raises itself; each has runbooks/<kind>.md. Rule
 * kinds come from rules.c (the built-ins have runbooks too). */
static const char *const alert_builtin_kinds[] = {
	"host_down", "host_stale", "host_unreachable", "check", "flapping",
	"systemd_failed_units", "fs_responding", "identity_run",
	"identity_stale", NULL,
};

#define SQL_ALERT_LIVE \
	"SELECT id, severity, status, suppressed, notifications" \
	" FROM alerts WHERE key = ?1 AND status != 'resolved'"
#define SQL_ALERT_INSERT \
	"INSERT INTO alerts (key, kind, host_id, check_name, datacentre," \
	"  severity, status, summary, opened_ms, updated_ms, suppressed)" \
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'open', ?7, ?8, ?8, ?9)" \
	" RETURNING id"
#define SQL_ALERT_UPDATE \
	"UPDATE alerts SET severity = ?2, summary = ?3, updated_ms = ?4" \
	" WHERE id = ?1"
#define SQL_ALERT_RESTATE \
	"UPDATE alerts SET summary = ?2, updated_ms = ?3" \
	" WHERE id = ?1 AND summary IS NOT ?2"
#define SQL_ALERT_RESOLVE \
	"UPDATE alerts SET status = 'resolved', resolved_ms = ?2," \
	"  updated_ms = ?2 WHERE id = ?1"
#define SQL_ALERT_ACK \
	"UPDATE alerts SET status = 'acknowledged', acked_ms = ?2," \
	"  acked_by = ?3, ack_comment = ?4, updated_ms = ?2" \
	" WHERE id = ?1 AND status = 'open'"
#define SQL_ALERT_GET \
	"SELECT status FROM alerts WHERE id = ?1"
#define SQL_ALERT_SUPPRESS \
	"UPDATE alerts SET suppressed = ?2, updated_ms = ?3 WHERE id = ?1"
#define SQL_EVENT_INSERT \
	"INSERT INTO alert_events (alert_id, at_ms, event, actor, detail)" \
	" VALUES (?1, ?2, ?3, ?4, ?5)"

const char *
alert_kind_for_check(const char *check_name)
{
	size_t	 i;

	for (i = 0; alert_builtin_kinds[i] != NULL; i++)
		if (strcmp(check_name, alert_builtin_kinds[i]) == 0)
			return alert_builtin_kinds[i];
	return "check";
}

const char *const *
alert_kinds_builtin(void)
{
	return alert_builtin_kinds;
}

const char *
alert_severity(int status)
{
	return status == 2 ? "critical" : "warning";
}

static int
alert_step(struct db *db, sqlite3_stmt *st, const char *what, char *err,
    size_t errlen)
{
	int	 rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	db_error(db, what, err, errlen);
	return -1;
}

int
alert_event(struct db *db, int64_t alert_id, int64_t now_ms,
    const char *event, const char *actor, const char *detail, char *err,
    size_t errlen)
{
	sqlite3_stmt	*st;

	if ((st = db_stmt(db, SQL_EVENT_INSERT, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, alert_id);
	sqlite3_bind_int64(st, 2, now_ms);
	sqlite3_bind_text(st, 3, event, -1, SQLITE_STATIC);
	if (actor != NULL)
		sqlite3_bind_text(st, 4, actor, -1, SQLITE_TRANSIENT);
	if (detail != NULL)
		sqlite3_bind_text(st, 5, detail, -1, SQLITE_TRANSIENT);
	return alert_step(db, st, "recording an alert event", err, errlen);
}

/* The live alert for key: 1 and its fields, 0 when none, -1 on error. */
static int
alert_live(struct db *db, const char *key, int64_t *id, char *severity,
    size_t sevlen, int *suppressed, int64_t *notified, char *err,
    size_t errlen)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_stmt(db, SQL_ALERT_LIVE, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		snprintf(severity, sevlen, "%s", (const char *)
		    sqlite3_column_text(st, 1));
		*suppressed = sqlite3_column_type(st, 3) != SQLITE_NULL;
		*notified = sqlite3_column_int64(st, 4);
		sqlite3_reset(st);
		return 1;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	db_error(db, "looking up an alert", err, errlen);
	return -1;
}

int64_t
alert_raise(struct db *db, const struct collector_config *cfg,
    const struct alert_spec *a, int64_t now_ms, char *err, size_t errlen)
{
	sqlite3_stmt	*st;
	char		 severity[16];
	int64_t		 id, notified;
	int		 rc, suppressed;

	if ((rc = alert_live(db, a->key, &id, severity, sizeof severity,
	    &suppressed, &notified, err, errlen)) == -1)
		return -1;
	if (rc == 1) {
		if (strcmp(severity, a->severity) == 0)
			return id;
		if ((st = db_stmt(db, SQL_ALERT_UPDATE, err, errlen)) == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, a->severity, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, a->summary, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, now_ms);
		if (alert_step(db, st, "updating an alert", err, errlen) == -1 ||
		    alert_event(db, id, now_ms, strcmp(a->severity,
		    "critical") == 0 ? "escalated" : "eased", NULL, a->summary,
		    err, errlen) == -1)
			return -1;
		if (!suppressed && notify_enqueue(db, cfg, id, strcmp(
		    a->severity, "critical") == 0 ? "escalated" : "eased",
		    now_ms, err, errlen) == -1)
			return -1;
		return id;
	}
	if ((st = db_stmt(db, SQL_ALERT_INSERT, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, a->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, a->kind, -1, SQLITE_STATIC);
	if (a->host_id > 0)
		sqlite3_bind_int64(st, 3, a->host_id);
	if (a->check_name != NULL)
		sqlite3_bind_text(st, 4, a->check_name, -1, SQLITE_STATIC);
	if (a->datacentre != NULL)
		sqlite3_bind_text(st, 5, a->datacentre, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, a->severity, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, a->summary, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, now_ms);
	if (a->suppressed != NULL)
		sqlite3_bind_text(st, 9, a->suppressed, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		db_error(db, "opening an alert", err, errlen);
		return -1;
	}
	id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (alert_event(db, id, now_ms, "opened", NULL, a->summary, err,
	    errlen) == -1)
		return -1;
	if (a->suppressed != NULL) {
		if (alert_event(db, id, now_ms, "suppressed", NULL,
		    a->suppressed, err, errlen) == -1)
			return -1;
	} else if (notify_enqueue(db, cfg, id, "opened", now_ms, err,
	    errlen) == -1)
		return -1;
	return id;
}

int
alert_restate(struct db *db, const char *key, const char *summary,
    int64_t now_ms, char *err, size_t errlen)
{
	sqlite3_stmt	*st;
	char		 severity[16];
	int64_t		 id, notified;
	int		 rc, suppressed;

	if ((rc = alert_live(db, key, &id, severity, sizeof severity,
	    &suppressed, &notified, err, errlen)) <= 0)
		return rc;
	if ((st = db_stmt(db, SQL_ALERT_RESTATE, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, summary, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms);
	if (alert_step(db, st, "updating an alert", err, errlen) == -1)
		return -1;
	/* The same summary: nothing to say. */
	if (sqlite3_changes(db_handle(db)) == 0)
		return 0;
	if (alert_event(db, id, now_ms, "restated", NULL, summary, err,
	    errlen) == -1)
		return -1;
	return 1;
}

int
alert_resolve(struct db *db, const struct collector_config *cfg,
    const char *key, const char *why, int64_t now_ms, char *err,
    size_t errlen)
{
	sqlite3_stmt	*st;
	char		 severity[16];
	int64_t		 id, notified;
	int		 rc, suppressed;

	if ((rc = alert_live(db, key, &id, severity, sizeof severity,
	    &suppressed, &notified, err, errlen)) <= 0)
		return rc;
	if ((st = db_stmt(db, SQL_ALERT_RESOLVE, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now_ms);
	if (alert_step(db, st, "resolving an alert", err, errlen) == -1 ||
	    alert_event(db, id, now_ms, "resolved", NULL, why, err,
	    errlen) == -1)
		return -1;
	/* Whoever heard of the problem hears of its end. */
	if ((!suppressed || notified > 0) && notify_enqueue(db, cfg, id,
	    "resolved", now_ms, err, errlen) == -1)
		return -1;
	return 1;
}

int
alert_ack(struct db *db, const struct collector_config *cfg, int64_t id,
    const char *who, const char *comment, int64_t now_ms, char *err,
    size_t errlen)
{
	sqlite3_stmt	*st;
	const char	*status;
	int		 rc;

	if ((st = db_stmt(db, SQL_ALERT_GET, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			db_error(db, "looking up an alert", err, errlen);
			return -1;
		}
		snprintf(err, errlen, "no alert %" PRId64, id);
		return ALERT_NOT_FOUND;
	}
	status = (const char *)sqlite3_column_text(st, 0);
	rc = strcmp(status, "open") == 0 ? 0 : strcmp(status,
	    "acknowledged") == 0 ? ALERT_ALREADY_ACKED : ALERT_RESOLVED;
	sqlite3_reset(st);
	if (rc == ALERT_ALREADY_ACKED) {
		snprintf(err, errlen, "alert %" PRId64 " is already "
		    "acknowledged", id);
		return rc;
	}
	if (rc == ALERT_RESOLVED) {
		snprintf(err, errlen, "alert %" PRId64 " is resolved", id);
		return rc;
	}
	if ((st = db_stmt(db, SQL_ALERT_ACK, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now_ms);
	sqlite3_bind_text(st, 3, who, -1, SQLITE_STATIC);
	if (comment != NULL)
		sqlite3_bind_text(st, 4, comment, -1, SQLITE_STATIC);
	if (alert_step(db, st, "acknowledging an alert", err, errlen) == -1 ||
	    alert_event(db, id, now_ms, "acknowledged", who, comment, err,
	    errlen) == -1 ||
	    notify_enqueue(db, cfg, id, "acknowledged", now_ms, err,
	    errlen) == -1)
		return -1;
	return 0;
}

int
alert_set_suppressed(struct db *db, const struct collector_config *cfg,
    int64_t id, const char *why, int64_t now_ms, char *err, size_t errlen)
{
	sqlite3_stmt	*st;
	int		 news;

	if ((st = db_stmt(db, SQL_ALERT_SUPPRESS, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (why != NULL)
		sqlite3_bind_text(st, 2, why, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms);
	if (alert_step(db, st, "suppressing an alert", err, errlen) == -1 ||
	    alert_event(db, id, now_ms, why != NULL ? "suppressed" :
	    "unsuppressed", NULL, why, err, errlen) == -1)
		return -1;
	/* Suppression ended and the problem is still there: news to each
	 * route that has not heard of it (one that paged before the window
	 * is not paged again), unless a person has acknowledged it. */
	if (why != NULL)
		return 0;
	if ((st = db_stmt(db, "SELECT status != 'acknowledged' FROM alerts "
	    "WHERE id = ?1", err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	news = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	if (news && notify_enqueue_untold(db, cfg, id, "opened", now_ms, err,
	    errlen) == -1)
		return -1;
	return 0;
}

json_t *
alert_json(const struct collector_config *cfg, sqlite3_stmt *st)
{
	json_t		*a = json_object(), *ack;
	const char	*kind = (const char *)sqlite3_column_text(st, 1);
	char		*s;

	json_object_set_new(a, "id", query_json_int(st, 0));
	json_object_set_new(a, "kind", query_json_text(st, 1));
	json_object_set_new(a, "severity", query_json_text(st, 2));
	json_object_set_new(a, "status", query_json_text(st, 3));
	json_object_set_new(a, "summary", query_json_text(st, 4));
	json_object_set_new(a, "host", query_json_text(st, 5));
	json_object_set_new(a, "host_agent_id", query_json_text(st, 6));
	json_object_set_new(a, "check", query_json_text(st, 7));
	json_object_set_new(a, "datacentre", query_json_text(st, 8));
	json_object_set_new(a, "opened", query_json_time(st, 9));
	json_object_set_new(a, "updated", query_json_time(st, 10));
	json_object_set_new(a, "resolved", query_json_time(st, 11));
	if (sqlite3_column_type(st, 12) != SQLITE_NULL) {
		ack = json_object();
		json_object_set_new(ack, "at", query_json_time(st, 12));
		json_object_set_new(ack, "by", query_json_text(st, 13));
		json_object_set_new(ack, "comment", query_json_text(st, 14));
		json_object_set_new(a, "acknowledged", ack);
	} else
		json_object_set_new(a, "acknowledged", json_null());
	json_object_set_new(a, "suppressed", query_json_text(st, 15));
	json_object_set_new(a, "notifications", query_json_int(st, 16));
	json_object_set_new(a, "last_notified", query_json_time(st, 17));
	xasprintf(&s, "runbooks/%s.md", kind != NULL ? kind : "check");
	json_object_set_new(a, "runbook", json_string(s));
	free(s);
	if (cfg->health.runbook_url != NULL) {
		xasprintf(&s, "%s%s.md", cfg->health.runbook_url, kind != NULL ?
		    kind : "check");
		json_object_set_new(a, "runbook_url", json_string(s));
		free(s);
	} else
		json_object_set_new(a, "runbook_url", json_null());
	return a;
}
