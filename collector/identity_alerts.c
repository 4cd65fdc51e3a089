/* identity_alerts.c: alerts on ward-idsync, from its database: its last
 * run, or its last apply, failed, stopped at a threshold or was
 * interrupted (identity_run), and no run has succeeded for [identity]
 * stale_after (identity_stale). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/db.h"
#include "common/log.h"
#include "common/str.h"
#include "common/wtime.h"
#include "collector/collector.h"

/* A lock ward-idsync holds is waited for this long: the evaluation
 * judges host states too, and the next is a few seconds away. */
#define IDENTITY_ALERTS_WAIT_MS	250

/* The last of a command that ended ("apply --dry-run" is no apply). */
#define SQL_IDENTITY_LAST \
	"SELECT id, outcome, message, coalesce(finished_ms, started_ms)" \
	" FROM runs WHERE command = ?1 AND outcome <> 'running'" \
	" ORDER BY id DESC LIMIT 1"
/* What identities are as fresh as: the last run that succeeded (it
 * reads the directories; an apply writes what a run worked out), or
 * the first run's start when none has. */
#define SQL_IDENTITY_OK \
	"SELECT (SELECT id FROM runs WHERE command = 'run'" \
	"   AND outcome = 'ok' ORDER BY id DESC LIMIT 1)," \
	"  (SELECT max(finished_ms) FROM runs WHERE command = 'run'" \
	"   AND outcome = 'ok')," \
	"  (SELECT min(started_ms) FROM runs WHERE command = 'run')"

#define IDENTITY_KEY_STALE	"identity:stale"

static const char *const identity_commands[IDENTITY_COMMANDS] = {
	"run", "apply",
};

/* The key of command c's identity_run. */
static void
identity_run_key(size_t c, char *key, size_t size)
{
	snprintf(key, size, "identity:%s", identity_commands[c]);
}

/* Text of column col, made safe to show, or "". */
static void
identity_col(sqlite3_stmt *st, int col, char *dst, size_t size)
{
	const char	*s = (const char *)sqlite3_column_text(st, col);

	str_vis(dst, size, s != NULL ? s : "");
}

static int
identity_read_last(struct db *db, size_t c, struct identity_last *l,
    char *err, size_t errlen)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_stmt(db, SQL_IDENTITY_LAST, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, identity_commands[c], -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		l->have = 1;
		l->id = sqlite3_column_int64(st, 0);
		identity_col(st, 1, l->outcome, sizeof l->outcome);
		identity_col(st, 2, l->message, sizeof l->message);
		l->end_ms = sqlite3_column_int64(st, 3);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_error(db, "reading runs", err, errlen);
		return -1;
	}
	return 0;
}

int
identity_alerts_read(const struct collector_config *cfg,
    struct identity_facts *f, char *err, size_t errlen)
{
	enum identity_state	 state;
	struct db		*db;
	sqlite3_stmt		*st;
	size_t			 c;

	memset(f, 0, sizeof f[0]);
	if ((db = identity_db(cfg, IDENTITY_ALERTS_WAIT_MS, &state, err,
	    errlen)) == NULL) {
		/* No [identity] db: nothing to watch, and nothing stays
		 * open. Otherwise the alerts stay as they are until it can
		 * be read; the caller says why if that lasts. */
		f->unset = state == IDENTITY_UNSET;
		if (state == IDENTITY_MISSING)
			snprintf(err, errlen, "%s: no ward-idsync database "
			    "yet (its first run makes it)", cfg->identity.db);
		else if (state == IDENTITY_FOREIGN)
			snprintf(err, errlen, "%s: not a ward-idsync "
			    "database", cfg->identity.db);
		else if (state == IDENTITY_OLD)
			snprintf(err, errlen, "%s: older than this collector "
			    "reads (the next ward-idsync run brings it up to "
			    "date)", cfg->identity.db);
		return f->unset ? 0 : -1;
	}
	for (c = 0; c < IDENTITY_COMMANDS; c++)
		if (identity_read_last(db, c, &f->last[c], err, errlen) == -1)
			goto fail;
	if ((st = db_stmt(db, SQL_IDENTITY_OK, err, errlen)) == NULL)
		goto fail;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		db_error(db, "reading runs", err, errlen);
		goto fail;
	}
	f->have_ok = sqlite3_column_type(st, 0) != SQLITE_NULL;
	f->ok_id = sqlite3_column_int64(st, 0);
	f->ok_ms = sqlite3_column_int64(st, 1);
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

/* What command c's last outcome says to whoever gets the alert. */
static void
identity_run_summary(size_t c, const struct identity_last *l, char *dst,
    size_t size)
{
	const char	*what = identity_commands[c];
	char		 when[32];

	wtime_format_iso8601(when, sizeof when, l->end_ms);
	if (strcmp(l->outcome, "stopped") == 0)
		snprintf(dst, size, "ward-idsync %s %" PRId64 " (%s) stopped "
		    "before changing anything: %s", what, l->id, when,
		    l->message);
	else if (strcmp(l->outcome, "interrupted") == 0)
		snprintf(dst, size, "ward-idsync %s %" PRId64 " (%s) was "
		    "interrupted (killed, or the machine stopped): %s", what,
		    l->id, when, l->message);
	else
		snprintf(dst, size, "ward-idsync %s %" PRId64 " (%s) %s: %s",
		    what, l->id, when, l->outcome, l->message);
}

/* identity_run for command c: raised, restated when a later one fails
 * otherwise, or resolved. */
static int
identity_run_alert(struct db *db, const struct collector_config *cfg,
    size_t c, const struct identity_last *l, int64_t now_ms, char *err,
    size_t errlen)
{
	struct alert_spec	 a;
	char			 key[32], summary[1024], why[128];

	identity_run_key(c, key, sizeof key);
	if (!l->have)
		return 0;
	if (strcmp(l->outcome, "ok") == 0) {
		snprintf(why, sizeof why, "ward-idsync %s %" PRId64
		    " succeeded", identity_commands[c], l->id);
		return alert_resolve(db, cfg, key, why, now_ms, err, errlen) ==
		    -1 ? -1 : 0;
	}
	identity_run_summary(c, l, summary, sizeof summary);
	memset(&a, 0, sizeof a);
	a.key = key;
	a.kind = "identity_run";
	a.severity = "warning";
	a.summary = summary;
	if (alert_raise(db, cfg, &a, now_ms, err, errlen) == -1 ||
	    alert_restate(db, key, summary, now_ms, err, errlen) == -1)
		return -1;
	return 0;
}

int
identity_alerts_apply(struct db *db, const struct collector_config *cfg,
    const struct identity_facts *f, int64_t now_ms, char *err,
    size_t errlen)
{
	struct alert_spec	 a;
	char			 summary[512], why[128], after[32], when[32];
	char			 key[32];
	int64_t			 since, stale = cfg->identity.stale_after_ms;
	size_t			 c;

	if (f->unset) {
		for (c = 0; c < IDENTITY_COMMANDS; c++) {
			identity_run_key(c, key, sizeof key);
			if (alert_resolve(db, cfg, key, "identity is no "
			    "longer configured", now_ms, err, errlen) == -1)
				return -1;
		}
		return alert_resolve(db, cfg, IDENTITY_KEY_STALE, "identity "
		    "is no longer configured", now_ms, err, errlen) == -1 ?
		    -1 : 0;
	}
	if (!f->read)
		return 0;
	for (c = 0; c < IDENTITY_COMMANDS; c++)
		if (identity_run_alert(db, cfg, c, &f->last[c], now_ms, err,
		    errlen) == -1)
			return -1;

	/* Stale: since the last run that succeeded, or the first run if
	 * none has. The summary names that moment, not an age, so that it
	 * stays as it was told. */
	since = f->have_ok ? f->ok_ms : f->first_ms;
	if (stale > 0 && f->have_runs && now_ms - since > stale) {
		str_format_duration_ms(after, sizeof after, stale);
		wtime_format_iso8601(when, sizeof when, since);
		if (f->have_ok)
			snprintf(summary, sizeof summary, "no ward-idsync run "
			    "has succeeded for more than %s: the last did at "
			    "%s (run %" PRId64 "); identities and their links "
			    "are that old", after, when, f->ok_id);
		else
			snprintf(summary, sizeof summary, "no ward-idsync run "
			    "has succeeded since the first began, at %s, more "
			    "than %s ago", when, after);
		memset(&a, 0, sizeof a);
		a.key = IDENTITY_KEY_STALE;
		a.kind = "identity_stale";
		a.severity = "critical";
		a.summary = summary;
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
	return alert_resolve(db, cfg, IDENTITY_KEY_STALE, why, now_ms, err,
	    errlen) == -1 ? -1 : 0;
}
