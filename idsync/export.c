/* export.c: the state as CSV for other tools: one row per account
 * (domain, objectGUID, sAMAccountName, person, kind, why it is linked) or
 * one row per person with its account in each domain. Files are written
 * to a temporary name and renamed, so a reader never sees half of one. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/db.h"
#include "common/xmalloc.h"
#include "idsync/idsync.h"

/* Quoted as RFC 4180 says when it holds a comma, a quote, CR or LF;
 * records end with LF. */
void
export_csv_value(FILE *fp, const char *s)
{
	const char	*p;

	if (s == NULL)
		s = "";
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (p = s; *p != '\0'; p++) {
		if (*p == '"')
			fputc('"', fp);
		fputc(*p, fp);
	}
	fputc('"', fp);
}

/* A value and what follows it: a comma, or the end of the record. */
static void
export_csv_field(FILE *fp, const char *s, int last)
{
	export_csv_value(fp, s);
	fputs(last ? "\n" : ",", fp);
}

static const char *
col(sqlite3_stmt *stmt, int i)
{
	return (const char *)sqlite3_column_text(stmt, i);
}

struct export_out {
	const char	*path;
	char		*tmp;
	FILE		*fp;
};

static int
export_open(struct export_out *o, const char *path, char *err, size_t errlen)
{
	int	 fd;

	memset(o, 0, sizeof *o);
	o->path = path;
	if (strcmp(path, "-") == 0) {
		o->fp = stdout;
		return 0;
	}
	xasprintf(&o->tmp, "%s.XXXXXX", path);
	if ((fd = mkstemp(o->tmp)) == -1 || (o->fp = fdopen(fd, "w")) ==
	    NULL) {
		snprintf(err, errlen, "%s: %s", o->tmp, strerror(errno));
		if (fd != -1) {
			close(fd);
			unlink(o->tmp);
		}
		free(o->tmp);
		return -1;
	}
	return 0;
}

static int
export_close(struct export_out *o, int ok, char *err, size_t errlen)
{
	int	 rc = 0;

	if (o->fp == stdout) {
		if (fflush(stdout) != 0 || ferror(stdout)) {
			snprintf(err, errlen, "standard output: %s",
			    strerror(errno));
			return -1;
		}
		return ok ? 0 : -1;
	}
	if (fflush(o->fp) != 0 || ferror(o->fp) || fsync(fileno(o->fp)) != 0) {
		if (ok)
			snprintf(err, errlen, "%s: %s", o->tmp,
			    strerror(errno));
		ok = 0;
	}
	if (fclose(o->fp) != 0 && ok) {
		snprintf(err, errlen, "%s: %s", o->tmp, strerror(errno));
		ok = 0;
	}
	if (ok && rename(o->tmp, o->path) == -1) {
		snprintf(err, errlen, "%s: %s", o->path, strerror(errno));
		ok = 0;
	}
	if (!ok) {
		unlink(o->tmp);
		rc = -1;
	}
	free(o->tmp);
	return rc;
}

/* domain,objectGUID,sAMAccountName,person_id,kind,link_reason; an account
 * waiting on a conflict says "conflict". */
int
export_accounts(struct store *st, const char *path, size_t *rows, char *err,
    size_t errlen)
{
	struct export_out	 o;
	sqlite3_stmt		*stmt;
	int			 rc;

	*rows = 0;
	if ((stmt = db_stmt(store_db(st), "SELECT a.domain, a.guid, a.sam, "
	    "l.person_id, a.kind, CASE WHEN l.reason IS NOT NULL THEN l.reason "
	    "WHEN EXISTS (SELECT 1 FROM conflict_accounts c "
	    "WHERE c.domain = a.domain AND c.guid = a.guid) AND "
	    "a.kind IN ('person', 'admin') THEN 'conflict' END "
	    "FROM accounts a LEFT JOIN links l "
	    "ON l.domain = a.domain AND l.guid = a.guid "
	    "ORDER BY a.domain, a.sam COLLATE NOCASE, a.guid", err,
	    errlen)) == NULL)
		return -1;
	if (export_open(&o, path, err, errlen) == -1)
		return -1;
	fputs("domain,objectGUID,sAMAccountName,person_id,kind,link_reason\n",
	    o.fp);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		export_csv_field(o.fp, col(stmt, 0), 0);
		export_csv_field(o.fp, col(stmt, 1), 0);
		export_csv_field(o.fp, col(stmt, 2), 0);
		export_csv_field(o.fp, col(stmt, 3), 0);
		export_csv_field(o.fp, col(stmt, 4), 0);
		export_csv_field(o.fp, col(stmt, 5), 1);
		(*rows)++;
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		db_error(store_db(st), "export accounts", err, errlen);
		export_close(&o, 0, err, errlen);
		return -1;
	}
	return export_close(&o, 1, err, errlen);
}

/*
 * person_id,display_name,employeeID,status,lifecycle,username,upn,mail,
 * then one column per domain
 * (the configured ones first, in order) with the person's own account
 * there, and "secondary" listing its admin accounts as DOMAIN\NAME.
 */
int
export_persons(struct store *st, const struct cfg_items *domains,
    const char *path, size_t *rows, char *err, size_t errlen)
{
	struct export_out	 o;
	sqlite3_stmt		*stmt, *acc;
	char			**names = NULL, **primary = NULL, *sec = NULL;
	char			*t;
	const char		*d, *sam, *dom;
	size_t			 n = 0, i;
	int			 rc;
	const struct domain_config *dc;

	*rows = 0;
	for (i = 0; domains != NULL && i < domains->count; i++) {
		dc = domains->items[i];
		names = xreallocarray(names, n + 1, sizeof *names);
		names[n++] = xstrdup(dc->item.label);
	}
	if ((stmt = db_stmt(store_db(st), "SELECT DISTINCT domain FROM "
	    "accounts ORDER BY domain", err, errlen)) == NULL)
		goto fail;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		d = col(stmt, 0);
		for (i = 0; i < n; i++)
			if (strcmp(names[i], d) == 0)
				break;
		if (i == n) {
			names = xreallocarray(names, n + 1, sizeof *names);
			names[n++] = xstrdup(d);
		}
	}
	sqlite3_reset(stmt);
	if ((stmt = db_stmt(store_db(st), "SELECT id, display_name, "
	    "employee_id, status, lifecycle, username, upn, mail FROM persons "
	    "ORDER BY id",
	    err, errlen)) == NULL)
		goto fail;
	if ((acc = db_stmt(store_db(st), "SELECT l.domain, a.sam, l.role "
	    "FROM links l JOIN accounts a ON a.domain = l.domain AND "
	    "a.guid = l.guid WHERE l.person_id = ? ORDER BY l.domain, a.sam",
	    err, errlen)) == NULL)
		goto fail;
	if (export_open(&o, path, err, errlen) == -1)
		goto fail;
	primary = xcalloc(n + 1, sizeof *primary);
	fputs("person_id,display_name,employeeID,status,lifecycle,username,"
	    "upn,mail", o.fp);
	for (i = 0; i < n; i++) {
		fputc(',', o.fp);
		export_csv_value(o.fp, names[i]);
	}
	fputs(",secondary\n", o.fp);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		export_csv_field(o.fp, col(stmt, 0), 0);
		export_csv_field(o.fp, col(stmt, 1), 0);
		export_csv_field(o.fp, col(stmt, 2), 0);
		export_csv_field(o.fp, col(stmt, 3), 0);
		export_csv_field(o.fp, col(stmt, 4), 0);
		export_csv_field(o.fp, col(stmt, 5), 0);
		export_csv_field(o.fp, col(stmt, 6), 0);
		export_csv_field(o.fp, col(stmt, 7), 0);
		sqlite3_bind_text(acc, 1, col(stmt, 0), -1, SQLITE_TRANSIENT);
		while (sqlite3_step(acc) == SQLITE_ROW) {
			dom = col(acc, 0);
			sam = col(acc, 1) != NULL ? col(acc, 1) : "";
			if (strcmp(col(acc, 2), "secondary") == 0) {
				xasprintf(&t, "%s%s%s\\%s", sec != NULL ? sec :
				    "", sec != NULL ? ";" : "", dom, sam);
				free(sec);
				sec = t;
				continue;
			}
			for (i = 0; i < n; i++)
				if (strcmp(dom, names[i]) == 0 &&
				    primary[i] == NULL)
					primary[i] = xstrdup(sam);
		}
		sqlite3_reset(acc);
		for (i = 0; i < n; i++) {
			export_csv_field(o.fp, primary[i], 0);
			free(primary[i]);
			primary[i] = NULL;
		}
		export_csv_field(o.fp, sec, 1);
		free(sec);
		sec = NULL;
		(*rows)++;
	}
	sqlite3_reset(stmt);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(primary);
	if (rc != SQLITE_DONE) {
		db_error(store_db(st), "export persons", err, errlen);
		export_close(&o, 0, err, errlen);
		return -1;
	}
	return export_close(&o, 1, err, errlen);

fail:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return -1;
}
