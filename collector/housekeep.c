/* housekeep.c: retention: deletes raw samples, hourly roll-ups, report
 * records and dead series past their age, in small transactions, so
 * ingest never waits long for the write lock. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/db.h"
#include "collector/collector.h"

/* Series visited per pass over the series table. */
#define HOUSEKEEP_SERIES_STEP	256

#define SQL_SERIES_AFTER \
	"SELECT id FROM series WHERE id > ?1 ORDER BY id LIMIT ?2"
/* Both tables are keyed (series_id, time): each delete is a range scan of
 * one series' oldest rows, bounded by LIMIT. */
#define SQL_SAMPLES_DELETE \
	"DELETE FROM samples WHERE series_id = ?1 AND ts_ms IN" \
	" (SELECT ts_ms FROM samples WHERE series_id = ?1 AND ts_ms < ?2" \
	"  ORDER BY ts_ms LIMIT ?3)"
#define SQL_ROLLUPS_DELETE \
	"DELETE FROM rollups_hourly WHERE series_id = ?1 AND hour_ms IN" \
	" (SELECT hour_ms FROM rollups_hourly WHERE series_id = ?1" \
	"  AND hour_ms < ?2 ORDER BY hour_ms LIMIT ?3)"
#define SQL_REPORTS_DELETE \
	"DELETE FROM reports WHERE (host_id, seq) IN" \
	" (SELECT host_id, seq FROM reports WHERE received_ms < ?1" \
	"  ORDER BY received_ms LIMIT ?2)"
/* A series nothing has been reported to for the whole roll-up retention
 * has no data left to show. */
#define SQL_SERIES_DELETE \
	"DELETE FROM series WHERE id IN (SELECT id FROM series" \
	" WHERE last_ts_ms < ?1 LIMIT ?2)"

struct housekeep_pass {
	struct db		*db;
	int64_t			 raw_cutoff_ms;
	int64_t			 rollup_cutoff_ms;
	int64_t			 budget;	/* rows left in this transaction */
	int64_t			 after_id;	/* series cursor */
	int			 series_done;
	struct housekeep_result	*res;
	char			 err[512];
};

/* Runs a bound DELETE; returns the rows it removed or -1. */
static int64_t
housekeep_delete(struct db *db, sqlite3_stmt *st, const char *what,
    char *err, size_t errlen)
{
	int	 rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(db, what, err, errlen);
		return -1;
	}
	return sqlite3_changes(db_handle(db));
}

/* Deletes one series' rows older than cutoff from one table, within the
 * budget. */
static int
housekeep_range(struct housekeep_pass *p, const char *sql, const char *what,
    int64_t series_id, int64_t cutoff, int64_t *count)
{
	sqlite3_stmt	*st;
	int64_t		 n;

	if (p->budget <= 0)
		return 0;
	if ((st = db_stmt(p->db, sql, p->err, sizeof p->err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, series_id);
	sqlite3_bind_int64(st, 2, cutoff);
	sqlite3_bind_int64(st, 3, p->budget);
	if ((n = housekeep_delete(p->db, st, what, p->err,
	    sizeof p->err)) == -1)
		return -1;
	*count += n;
	p->budget -= n;
	return 0;
}

/* One series' old samples and roll-ups. 1 when it is done, 0 when the
 * budget ran out first. */
static int
housekeep_series(struct housekeep_pass *p, int64_t series_id)
{
	if (housekeep_range(p, SQL_SAMPLES_DELETE, "deleting old samples",
	    series_id, p->raw_cutoff_ms, &p->res->samples) == -1 ||
	    housekeep_range(p, SQL_ROLLUPS_DELETE, "deleting old roll-ups",
	    series_id, p->rollup_cutoff_ms, &p->res->rollups) == -1)
		return -1;
	return p->budget > 0;
}

/* One transaction's worth: series from the cursor on until the budget is
 * spent. */
static int
housekeep_step(struct db *db, void *arg)
{
	struct housekeep_pass	*p = arg;
	sqlite3_stmt		*st;
	int64_t			 ids[HOUSEKEEP_SERIES_STEP];
	size_t			 n = 0, i;
	int			 rc;

	if ((st = db_stmt(db, SQL_SERIES_AFTER, p->err, sizeof p->err)) ==
	    NULL)
		return -1;
	sqlite3_bind_int64(st, 1, p->after_id);
	sqlite3_bind_int64(st, 2, HOUSEKEEP_SERIES_STEP);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(db, "listing series", p->err, sizeof p->err);
		return -1;
	}
	if (n == 0) {
		p->series_done = 1;
		return 0;
	}
	for (i = 0; i < n; i++) {
		if ((rc = housekeep_series(p, ids[i])) == -1)
			return -1;
		if (rc == 0)
			return 0;	/* budget spent: this series again */
		p->after_id = ids[i];
	}
	return 0;
}

/* Report records and dead series, one budget per transaction. */
static int
housekeep_tail(struct db *db, void *arg)
{
	struct housekeep_pass	*p = arg;
	sqlite3_stmt		*st;
	int64_t			 n;

	if ((st = db_stmt(db, SQL_REPORTS_DELETE, p->err, sizeof p->err)) ==
	    NULL)
		return -1;
	sqlite3_bind_int64(st, 1, p->raw_cutoff_ms);
	sqlite3_bind_int64(st, 2, p->budget);
	if ((n = housekeep_delete(db, st, "deleting old report records",
	    p->err, sizeof p->err)) == -1)
		return -1;
	p->res->reports += n;
	p->budget -= n;
	if (p->budget <= 0)
		return 1;
	if ((st = db_stmt(db, SQL_SERIES_DELETE, p->err, sizeof p->err)) ==
	    NULL)
		return -1;
	sqlite3_bind_int64(st, 1, p->rollup_cutoff_ms);
	sqlite3_bind_int64(st, 2, p->budget);
	if ((n = housekeep_delete(db, st, "deleting dead series", p->err,
	    sizeof p->err)) == -1)
		return -1;
	p->res->series += n;
	p->budget -= n;
	return p->budget <= 0;
}

int
housekeep_run(struct store *st, const struct store_config *sc,
    int64_t now_ms, int64_t batch_rows, int (*stop)(void),
    struct housekeep_result *res, char *err, size_t errlen)
{
	struct housekeep_pass	 p;
	int			 rc;

	memset(res, 0, sizeof *res);
	memset(&p, 0, sizeof p);
	p.db = store_db(st);
	p.raw_cutoff_ms = now_ms - sc->raw_retention_ms;
	p.rollup_cutoff_ms = now_ms - sc->rollup_retention_ms;
	p.res = res;
	if (batch_rows < 1)
		batch_rows = 1;

	/* Each transaction deletes at most batch_rows rows and then lets
	 * go of the write lock, so a report waits one batch at most. */
	while (!p.series_done) {
		if (stop != NULL && stop())
			return 0;
		p.budget = batch_rows;
		if (db_transaction(p.db, housekeep_step, &p, err, errlen) ==
		    -1)
			goto fail;
		res->transactions++;
	}
	do {
		if (stop != NULL && stop())
			return 0;
		p.budget = batch_rows;
		if ((rc = db_transaction(p.db, housekeep_tail, &p, err,
		    errlen)) == -1)
			goto fail;
		res->transactions++;
	} while (rc == 1);
	return 0;

fail:
	/* A failed commit already said why in err; a failed step in p.err. */
	if (p.err[0] != '\0')
		snprintf(err, errlen, "housekeeping: %s", p.err);
	return -1;
}
