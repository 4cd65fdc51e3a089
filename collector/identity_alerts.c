/* identity_alerts.c: alerts on ward-idsync, from its database: its last
 * run failed, stopped at a threshold or was interrupted (identity_run),
 * and no run has succeeded for [identity] stale_after (identity_stale). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/db.h"
#include "common/log.h"
#include "common/str.h"
#include "common/wtime.h"
#include "collector/collector.h"

/* The commands that change the state: a scheduled "run", or "apply" of
 * a plan a person approved. */
#define SQL_IDENTITY_LAST \
	"SELECT id, command, outcome, message," \
	"  coalesce(finished_ms, started_ms) FROM runs" \
	" WHERE command IN ('run', 'apply') AND outcome <> 'running'" \
	" ORDER BY id DESC LIMIT 1"
#define SQL_IDENTITY_OK \
	"SELECT (SELECT max(finished_ms) FROM runs" \
	"   WHERE command IN ('run', 'apply') AND outcome = 'ok')," \
	"  (SELECT id FROM runs WHERE command IN ('run', 'apply')" \
	"   AND outcome = 'ok' ORDER BY id DESC LIMIT 1)," \
	"  (SELECT min(started_ms) FROM runs" \
	"   WHERE command IN ('run', 'apply'))"

/* A lock ward-idsync holds is waited for this long: the evaluation
 * judges host states too, and the next is a few seconds away. */
#define IDENTITY_ALERTS_WAIT_MS	250

#define IDENTITY_KEY_RUN	"identity:run"
#define IDENTITY_KEY_STALE	"identity:stale"

/* Text of column col, made safe to show, or "". */
static void
identity_col(sqlite3_stmt *st, int col, char *dst, size_t size)
{
	const char	*s = (const char *)sqlite3_column_text(st, col);

	str_vis(dst, size, s != NULL ? s : "");
}

int
identity_alerts_read(const struct collector_config *cfg,
    struct identity_facts *f, char *err, size_t errlen)
{
	enum identity_state	 state;
	struct db		*db;
	sqlite3_stmt		*st;
	int			 rc;

	memset(f, 0, sizeof f[0]);
	if ((db = identity_db(cfg, IDENTITY_ALERTS_WAIT_MS, &state, err,
	    errlen)) == NULL) {
		/* No [identity] db: nothing to watch, and nothing stays
		 * open. Any other state (no database yet, busy, older or
		 * not ward-idsync's): the routes say so; the alerts stay as
		 * they are until it can be read. */
		f->unset = state == IDENTITY_UNSET;
		return state == IDENTITY_ERROR ? -1 : 0;
	}
	if ((st = db_stmt(db, SQL_IDENTITY_LAST, err, errlen)) == NULL)
		goto fail;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		f->have_last = 1;
		f->last_id = sqlite3_column_int64(st, 0);
		identity_col(st, 1, f->last_command, sizeof f->last_command);
		identity_col(st, 2, f->last_outcome, sizeof f->last_outcome);
		identity_col(st, 3, f->last_message, sizeof f->last_message);
		f->last_ms = sqlite3_column_int64(st, 4);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_error(db, "reading runs", err, errlen);
		goto fail;
	}
	if ((st = db_stmt(db, SQL_IDENTITY_OK, err, errlen)) == NULL)
		goto fail;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		db_error(db, "reading runs", err, errlen);
		goto fail;
	}
	f->have_ok = sqlite3_column_type(st, 0) != SQLITE_NULL;
	f->ok_ms = sqlite3_column_int64(st, 0);
	f->ok_id = sqlite3_column_int64(st, 1);
	f->have_runs = sqlite3_column_type(st, 2) != SQLITE_NULL;
	f->first_ms = sqlite3_column_int64(st, 2);
	sqlite3_reset(st);
	f->read = 1;
	db_close(db);
	return 0;
fail:
	db_close(db);
	return -1;
}

/* What the last run's outcome says to whoever gets the alert. */
static void
identity_run_summary(const struct identity_facts *f, char *dst,
    size_t size)
{
	char	 when[32];

	wtime_format_iso8601(when, sizeof when, f->last_ms);
	if (strcmp(f->last_outcome, "stopped") == 0)
		snprintf(dst, size, "ward-idsync %s %" PRId64 " (%s) stopped "
		    "before changing anything: %s", f->last_command,
		    f->last_id, when, f->last_message);
	else if (strcmp(f->last_outcome, "interrupted") == 0)
		snprintf(dst, size, "ward-idsync %s %" PRId64 " (%s) was "
		    "interrupted (killed, or the machine stopped): %s",
		    f->last_command, f->last_id, when, f->last_message);
	else
		snprintf(dst, size, "ward-idsync %s %" PRId64 " (%s) %s: %s",
		    f->last_command, f->last_id, when, f->last_outcome,
		    f->last_message);
}

int
identity_alerts_apply(struct db *db, const struct collector_config *cfg,
    const struct identity_facts *f, int64_t now_ms, char *err,
    size_t errlen)
{
	struct alert_spec	 a;
	char			 summary[1024], why[128], ago[64], when[32];
	int64_t			 since, stale = cfg->identity.stale_after_ms;

	if (f->unset) {
		if (alert_resolve(db, cfg, IDENTITY_KEY_RUN, "identity is no "
		    "longer configured", now_ms, err, errlen) == -1 ||
		    alert_resolve(db, cfg, IDENTITY_KEY_STALE, "identity is "
		    "no longer configured", now_ms, err, errlen) == -1)
			return -1;
		return 0;
	}
	if (!f->read)
		return 0;
	memset(&a, 0, sizeof a);
	a.summary = summary;
	if (f->have_last && strcmp(f->last_outcome, "ok") != 0) {
		identity_run_summary(f, summary, sizeof summary);
		a.key = IDENTITY_KEY_RUN;
		a.kind = "identity_run";
		a.severity = "warning";
		if (alert_raise(db, cfg, &a, now_ms, err, errlen) == -1)
			return -1;
	} else if (f->have_last) {
		snprintf(why, sizeof why, "ward-idsync %s %" PRId64
		    " succeeded", f->last_command, f->last_id);
		if (alert_resolve(db, cfg, IDENTITY_KEY_RUN, why, now_ms, err,
		    errlen) == -1)
			return -1;
	}

	/* Stale: since the last success, or the first run if none
	 * succeeded; no run at all is the summary's "no run yet". */
	since = f->have_ok ? f->ok_ms : f->first_ms;
	if (stale > 0 && f->have_runs && now_ms - since > stale) {
		str_format_duration_ms(ago, sizeof ago, now_ms - since);
		wtime_format_iso8601(when, sizeof when, since);
		if (f->have_ok)
			snprintf(summary, sizeof summary, "no ward-idsync run "
			    "has succeeded for %s (the last: %" PRId64 " at %s); "
			    "identities and their links are that old",
			    ago, f->ok_id, when);
		else
			snprintf(summary, sizeof summary, "no ward-idsync run "
			    "has succeeded since the first, %s ago (%s)", ago,
			    when);
		a.key = IDENTITY_KEY_STALE;
		a.kind = "identity_stale";
		a.severity = "critical";
		return alert_raise(db, cfg, &a, now_ms, err, errlen) == -1 ?
		    -1 : 0;
	}
	if (stale == 0)
		str_copy(why, "[identity] stale_after is 0: not watched",
		    sizeof why);
	else if (f->have_ok)
		snprintf(why, sizeof why, "ward-idsync run %" PRId64
		    " succeeded", f->ok_id);
	else
		str_copy(why, "no run to judge", sizeof why);
	if (alert_resolve(db, cfg, IDENTITY_KEY_STALE, why, now_ms, err,
	    errlen) == -1)
		return -1;
	return 0;
}
