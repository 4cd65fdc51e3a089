/* export.c: the state for other tools: CSV of accounts or persons, LDIF
 * change records for a target directory, the last run as JSON. Files are
 * written to a temporary name and renamed, so a reader never sees half of
 * one. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "common/buf.h"
#include "common/db.h"
#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "idsync/conflict_order.h"
#include "idsync/idsync.h"

/* Quoted as RFC 4180 says when it holds a comma, a quote, CR or LF;
 * records end with LF. What a spreadsheet would run as a formula (the
 * directories' names are anyone's) is written after a '. */
void
export_csv_value(FILE *fp, const char *s)
{
	const char	*p;
	int		 formula;

	if (s == NULL)
		s = "";
	formula = str_csv_formula(s);
	if (!formula && strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	if (formula)
		fputc('\'', fp);
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
		/* Named as given: the file beside it is ours, not theirs. */
		snprintf(err, errlen, "%s: cannot write beside it: %s", path,
		    strerror(errno));
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
			snprintf(err, errlen, "%s: %s", o->path,
			    strerror(errno));
		ok = 0;
	}
	if (fclose(o->fp) != 0 && ok) {
		snprintf(err, errlen, "%s: %s", o->path, strerror(errno));
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

int
export_text(const char *path, const char *text, char *err, size_t errlen)
{
	struct export_out	 o;

	if (export_open(&o, path, err, errlen) == -1)
		return -1;
	fputs(text, o.fp);
	return export_close(&o, 1, err, errlen);
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

/* One row of export_conflicts. */
static void
export_conflict_row(FILE *fp, sqlite3_stmt *cs, const char *account,
    const char *account_name, const char *other, const char *other_name,
    const char *score)
{
	char	 id[32];

	snprintf(id, sizeof id, "%lld", (long long)sqlite3_column_int64(cs,
	    0));
	export_csv_field(fp, "", 0);
	export_csv_field(fp, account, 0);
	export_csv_field(fp, other, 0);
	export_csv_field(fp, id, 0);
	export_csv_field(fp, col(cs, 1), 0);
	export_csv_field(fp, score, 0);
	export_csv_field(fp, account_name, 0);
	export_csv_field(fp, other_name, 0);
	export_csv_field(fp, col(cs, 2), 1);
}

/* A conflict account's DOMAIN:GUID, and DOMAIN\NAME (the GUID if it has no
 * sAMAccountName). */
static void
export_conflict_account(sqlite3_stmt *ms, char *key, size_t keylen,
    char *name, size_t namelen)
{
	snprintf(key, keylen, "%s:%s", col(ms, 0), col(ms, 1));
	snprintf(name, namelen, "%s\\%s", col(ms, 0), col(ms, 2) != NULL ?
	    col(ms, 2) : col(ms, 1));
}

/*
 * The conflicts as decisions to make, in the order "ward-idsync conflicts"
 * lists them: a row for each of a conflict's accounts after its first,
 * with that first (a conflict of one account: one row, other empty).
 * decision is left empty for a person to fill in with link, never-link
 * or unlink, and "ward-idsync decide" reads the file back: account and
 * other are DOMAIN:GUID, which no rename changes; the names beside them
 * are for people.
 */
int
export_conflicts(struct store *st, const char *path, size_t *rows, char *err,
    size_t errlen)
{
	struct export_out	 o;
	sqlite3_stmt		*cs, *ms;
	char			 first[300], fname[300], other[300], oname[300];
	char			 score[32];
	size_t			 n;
	int			 rc;

	*rows = 0;
	if ((cs = db_stmt(store_db(st), "SELECT id, kind, summary FROM "
	    "conflicts ORDER BY " IDSYNC_CONFLICT_ORDER, err,
	    errlen)) == NULL ||
	    (ms = db_stmt(store_db(st), "SELECT c.domain, c.guid, a.sam, "
	    "c.score FROM conflict_accounts c LEFT JOIN accounts a "
	    "ON a.domain = c.domain AND a.guid = c.guid "
	    "WHERE c.conflict_id = ? ORDER BY c.rowid", err, errlen)) == NULL)
		return -1;
	if (export_open(&o, path, err, errlen) == -1)
		return -1;
	fputs("decision,account,other,conflict_id,kind,score,account_name,"
	    "other_name,summary\n", o.fp);
	while ((rc = sqlite3_step(cs)) == SQLITE_ROW) {
		sqlite3_bind_int64(ms, 1, sqlite3_column_int64(cs, 0));
		for (n = 0; (rc = sqlite3_step(ms)) == SQLITE_ROW; n++) {
			if (n == 0) {
				export_conflict_account(ms, first,
				    sizeof first, fname, sizeof fname);
				continue;
			}
			export_conflict_account(ms, other, sizeof other,
			    oname, sizeof oname);
			score[0] = '\0';
			if (sqlite3_column_type(ms, 3) != SQLITE_NULL)
				snprintf(score, sizeof score, "%.1f",
				    sqlite3_column_double(ms, 3));
			export_conflict_row(o.fp, cs, first, fname, other,
			    oname, score);
			(*rows)++;
		}
		sqlite3_reset(ms);
		if (rc != SQLITE_DONE)
			break;
		if (n == 1) {
			export_conflict_row(o.fp, cs, first, fname, "", "",
			    "");
			(*rows)++;
		}
	}
	sqlite3_reset(cs);
	if (rc != SQLITE_DONE) {
		db_error(store_db(st), "export conflicts", err, errlen);
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

/* ------------------------------------------------------------ LDIF */

/* By the column of export_ldif's query. */
const char *const export_ldif_sources[] = {
	"id", "username", "upn", "display_name", "given_name", "sn",
	"employee_id", "mail", "status", "lifecycle", "department", "title",
	NULL
};

int
export_target_source(const struct target_config *tc, const char *attr)
{
	const char	*m;
	size_t		 i, len = strlen(attr);

	for (i = 0; i < tc->attributes.count; i++) {
		m = tc->attributes.items[i];
		if (strncasecmp(m, attr, len) == 0 && m[len] == '=')
			return export_ldif_source(m + len + 1);
	}
	return -1;
}

int
export_ldif_source(const char *name)
{
	int	 i;

	for (i = 0; export_ldif_sources[i] != NULL; i++)
		if (strcmp(name, export_ldif_sources[i]) == 0)
			return i;
	return -1;
}

static void
export_base64(struct buf *b, const unsigned char *p, size_t len)
{
	static const char	 tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t		 v;
	size_t			 i;

	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		buf_append_char(b, tab[v >> 18]);
		buf_append_char(b, tab[(v >> 12) & 63]);
		buf_append_char(b, tab[(v >> 6) & 63]);
		buf_append_char(b, tab[v & 63]);
	}
	if (i < len) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		buf_append_char(b, tab[v >> 18]);
		buf_append_char(b, tab[(v >> 12) & 63]);
		buf_append_char(b, i + 1 < len ? tab[(v >> 6) & 63] : '=');
		buf_append_char(b, '=');
	}
}

/* RFC 2849's SAFE-STRING, and no trailing space (which readers drop). */
static int
export_ldif_safe(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 len = strlen(s);

	if (len == 0)
		return 1;
	if (*p == ' ' || *p == ':' || *p == '<' || s[len - 1] == ' ')
		return 0;
	for (; *p != '\0'; p++)
		if (*p >= 0x80 || *p == '\n' || *p == '\r')
			return 0;
	return 1;
}

void
export_ldif_line(FILE *fp, const char *name, const char *value)
{
	struct buf	 b;
	const char	*s;
	size_t		 col;

	buf_init(&b, 0);
	buf_printf(&b, "%s:", name);
	if (export_ldif_safe(value))
		buf_printf(&b, " %s", value);
	else {
		buf_append(&b, ": ", 2);
		export_base64(&b, (const unsigned char *)value,
		    strlen(value));
	}
	/* Folded: a line break and a space, which readers take away. */
	for (s = buf_cstr(&b), col = 0; *s != '\0'; s++, col++) {
		if (col == 76) {
			fputs("\n ", fp);
			col = 1;
		}
		fputc(*s, fp);
	}
	fputc('\n', fp);
	buf_free(&b);
}

char *
export_rdn_value(const char *v)
{
	struct buf	 b;
	size_t		 i, len = strlen(v);
	char		*out;

	buf_init(&b, 0);
	for (i = 0; i < len; i++) {
		if (strchr(",+\"\\<>;=", v[i]) != NULL ||
		    (i == 0 && (v[i] == '#' || v[i] == ' ')) ||
		    (i == len - 1 && v[i] == ' '))
			buf_append_char(&b, '\\');
		buf_append_char(&b, v[i]);
	}
	out = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return out;
}

/* "ATTRIBUTE=VALUE" split; the config check made sure of the '='. */
static void
export_flag(FILE *fp, const char *flag, int modify)
{
	const char	*eq = strchr(flag, '=');
	char		*attr;

	attr = xstrndup(flag, (size_t)(eq - flag));
	if (modify)
		fprintf(fp, "replace: %s\n", attr);
	export_ldif_line(fp, attr, eq + 1);
	if (modify)
		fputs("-\n", fp);
	free(attr);
}

static int
export_last_run(struct store *st, int64_t *run, char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	if ((stmt = db_stmt(store_db(st), "SELECT max(id) FROM runs WHERE "
	    "command = 'run' AND outcome = 'ok'", err, errlen)) == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	*run = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
	sqlite3_reset(stmt);
	if (rc != SQLITE_ROW) {
		db_error(store_db(st), "find the last run", err, errlen);
		return -1;
	}
	if (*run == 0) {
		snprintf(err, errlen, "no run has saved a state yet");
		return -1;
	}
	return 0;
}

/*
 * One record per person the last run made (an add with every mapped
 * value) or that moved, left or came back (a modify replacing every
 * mapped value but the RDN's, which comes from the id or the username and
 * so never changes). The leaver and active flags say which it is.
 */
int
export_ldif(struct store *st, const struct target_config *lc, const char *path,
    size_t *adds, size_t *modifies, char *err, size_t errlen)
{
	struct export_out	 o;
	sqlite3_stmt		*stmt;
	const char		*m, *eq, *v, *life;
	char			*dn, *rdnv, target[128];
	int64_t			 last;
	size_t			 i;
	int			 rc, src, rdn_src, leaver, add;

	*adds = *modifies = 0;
	if ((rdn_src = export_target_source(lc, lc->rdn)) == -1) {
		snprintf(err, errlen, "[target] rdn %s is not in attributes",
		    lc->rdn);
		return -1;
	}
	/* LDIF records name an entry by what it is called now: one whose
	 * RDN value changed would need its old name, which only
	 * provisioning (which reads the directory) knows. */
	if (strcmp(export_ldif_sources[rdn_src], "id") != 0 &&
	    strcmp(export_ldif_sources[rdn_src], "username") != 0) {
		snprintf(err, errlen, "[target] rdn = %s comes from %s, which "
		    "can change, and LDIF records cannot follow an entry's "
		    "rename: name entries by the id or the username, or let "
		    "apply provision the target (uri)", lc->rdn,
		    export_ldif_sources[rdn_src]);
		return -1;
	}
	if (export_last_run(st, &last, err, errlen) == -1)
		return -1;
	if ((stmt = db_stmt(store_db(st), "SELECT " EXPORT_PERSON_COLUMNS
	    ", created_run FROM persons ORDER BY id", err, errlen)) == NULL)
		return -1;
	if (export_open(&o, path, err, errlen) == -1)
		return -1;
	fputs("version: 1\n", o.fp);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		/* created_run: the column after the sources. */
		add = sqlite3_column_int64(stmt, sqlite3_column_count(stmt) -
		    1) == last;
		life = col(stmt, 9) != NULL ? col(stmt, 9) : "";
		leaver = strcmp(col(stmt, 8), "leaver") == 0;
		if (!add && strcmp(life, "mover") != 0 &&
		    strcmp(life, "leaver") != 0 && strcmp(life, "joiner") != 0)
			continue;
		if ((v = col(stmt, rdn_src)) == NULL || *v == '\0') {
			snprintf(err, errlen, "person %s has no %s for the "
			    "[target] rdn", col(stmt, 0),
			    export_ldif_sources[rdn_src]);
			sqlite3_reset(stmt);
			export_close(&o, 0, err, errlen);
			return -1;
		}
		rdnv = export_rdn_value(v);
		xasprintf(&dn, "%s=%s,%s", lc->rdn, rdnv, lc->base);
		fputc('\n', o.fp);
		export_ldif_line(o.fp, "dn", dn);
		free(dn);
		free(rdnv);
		fprintf(o.fp, "changetype: %s\n", add ? "add" : "modify");
		if (add)
			for (i = 0; i < lc->object_classes.count; i++)
				export_ldif_line(o.fp, "objectClass",
				    lc->object_classes.items[i]);
		for (i = 0; i < lc->attributes.count; i++) {
			m = lc->attributes.items[i];
			eq = strchr(m, '=');
			snprintf(target, sizeof target, "%.*s", (int)(eq - m),
			    m);
			src = export_ldif_source(eq + 1);
			v = col(stmt, src);
			if (!add && strcasecmp(target, lc->rdn) == 0)
				continue;
			if (!add)
				fprintf(o.fp, "replace: %s\n", target);
			if (v != NULL && *v != '\0')
				export_ldif_line(o.fp, target, v);
			if (!add)
				fputs("-\n", o.fp);
		}
		if (leaver && lc->leaver != NULL)
			export_flag(o.fp, lc->leaver, !add);
		else if (!leaver && lc->active != NULL)
			export_flag(o.fp, lc->active, !add);
		if (add)
			(*adds)++;
		else
			(*modifies)++;
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		db_error(store_db(st), "export LDIF", err, errlen);
		export_close(&o, 0, err, errlen);
		return -1;
	}
	return export_close(&o, 1, err, errlen);
}

/* ------------------------------------------------------------ report */

static json_t *
export_json_col(sqlite3_stmt *stmt, int i)
{
	switch (sqlite3_column_type(stmt, i)) {
	case SQLITE_NULL:
		return json_null();
	case SQLITE_INTEGER:
		return json_integer(sqlite3_column_int64(stmt, i));
	case SQLITE_FLOAT:
		return json_real(sqlite3_column_double(stmt, i));
	default:
		return json_string(col(stmt, i));
	}
}

static json_t *
export_json_time(sqlite3_stmt *stmt, int i)
{
	char	 when[WTIME_ISO8601_LEN];

	if (sqlite3_column_type(stmt, i) == SQLITE_NULL)
		return json_null();
	return json_string(wtime_format_iso8601(when, sizeof when,
	    sqlite3_column_int64(stmt, i)));
}

/* Each row of stmt as an object of its columns, by their names. */
static int
export_json_rows(struct store *st, sqlite3_stmt *stmt, json_t *into,
    const char *what, char *err, size_t errlen)
{
	json_t	*row;
	int	 rc, i;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		row = json_object();
		for (i = 0; i < sqlite3_column_count(stmt); i++)
			json_object_set_new(row, sqlite3_column_name(stmt, i),
			    export_json_col(stmt, i));
		json_array_append_new(into, row);
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		db_error(store_db(st), what, err, errlen);
		return -1;
	}
	return 0;
}

/* A count per value of one column: {"active": 10, "leaver": 2}. */
static int
export_json_counts(struct store *st, const char *sql, json_t *into,
    char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	if ((stmt = db_stmt(store_db(st), sql, err, errlen)) == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		json_object_set_new(into, col(stmt, 0) != NULL ? col(stmt, 0) :
		    "none", json_integer(sqlite3_column_int64(stmt, 1)));
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		db_error(store_db(st), "count", err, errlen);
		return -1;
	}
	return 0;
}

/*
 * The last run or plan: when and how long, its outcome, its counts (what
 * the plan found, and for a run what it saved), each domain's read; then
 * the saved state's persons and conflicts by kind.
 */
int
export_report(struct store *st, const char *path, char *err, size_t errlen)
{
	static const char *const counts[] = {
		"accounts", "persons", "conflicts", "accounts_added",
		"accounts_removed", "accounts_modified", "persons_created",
		"persons_removed", "links_added", "links_removed", "writes",
		"write_failures", NULL
	};
	struct export_out	 o;
	sqlite3_stmt		*r, *d;
	json_t			*root, *run, *cnt, *doms, *state, *by;
	int64_t			 id;
	int			 rc, i;

	if ((r = db_stmt(store_db(st), "SELECT id, command, started_ms, "
	    "finished_ms, outcome, message, forced, accounts, persons, "
	    "conflicts, accounts_added, accounts_removed, accounts_modified, "
	    "persons_created, persons_removed, links_added, links_removed, "
	    "writes, write_failures, settled FROM runs WHERE command IN "
	    "('run', 'plan') "
	    "ORDER BY id DESC LIMIT 1", err, errlen)) == NULL)
		return -1;
	if ((rc = sqlite3_step(r)) != SQLITE_ROW) {
		sqlite3_reset(r);
		if (rc != SQLITE_DONE)
			db_error(store_db(st), "find the last run", err,
			    errlen);
		else
			snprintf(err, errlen, "no run yet");
		return -1;
	}
	id = sqlite3_column_int64(r, 0);
	root = json_object();
	run = json_object();
	json_object_set_new(run, "id", json_integer(id));
	json_object_set_new(run, "command", json_string(col(r, 1)));
	json_object_set_new(run, "started", export_json_time(r, 2));
	json_object_set_new(run, "finished", export_json_time(r, 3));
	json_object_set_new(run, "duration_ms",
	    sqlite3_column_type(r, 3) == SQLITE_NULL ? json_null() :
	    json_integer(sqlite3_column_int64(r, 3) -
	    sqlite3_column_int64(r, 2)));
	json_object_set_new(run, "outcome", json_string(col(r, 4)));
	json_object_set_new(run, "message", export_json_col(r, 5));
	json_object_set_new(run, "forced",
	    json_boolean(sqlite3_column_int(r, 6)));
	/* Saved without a link or person to write: the next run on the
	 * same accounts skips matching. */
	json_object_set_new(run, "settled",
	    json_boolean(sqlite3_column_int(r, 19)));
	cnt = json_object();
	for (i = 0; counts[i] != NULL; i++)
		json_object_set_new(cnt, counts[i], export_json_col(r, 7 + i));
	sqlite3_reset(r);
	json_object_set_new(root, "run", run);
	json_object_set_new(root, "counts", cnt);

	doms = json_array();
	json_object_set_new(root, "domains", doms);
	state = json_object();
	json_object_set_new(root, "state", state);
	if ((d = db_stmt(store_db(st), "SELECT domain, uri, accounts, pages, "
	    "skipped, read_ms, CASE WHEN incremental IS NULL THEN NULL "
	    "WHEN incremental THEN 'incremental' ELSE 'full' END AS read, "
	    "changed, gone, why_full, error FROM run_domains "
	    "WHERE run_id = ? ORDER BY domain", err, errlen)) == NULL)
		goto fail;
	sqlite3_bind_int64(d, 1, id);
	if (export_json_rows(st, d, doms, "report domains", err,
	    errlen) == -1)
		goto fail;
	by = json_object();
	json_object_set_new(state, "persons_by_status", by);
	if (export_json_counts(st, "SELECT status, count(*) FROM persons "
	    "GROUP BY status ORDER BY status", by, err, errlen) == -1)
		goto fail;
	by = json_object();
	json_object_set_new(state, "persons_by_lifecycle", by);
	if (export_json_counts(st, "SELECT lifecycle, count(*) FROM persons "
	    "GROUP BY lifecycle ORDER BY lifecycle", by, err, errlen) == -1)
		goto fail;
	by = json_object();
	json_object_set_new(state, "conflicts_by_kind", by);
	if (export_json_counts(st, "SELECT kind, count(*) FROM conflicts "
	    "GROUP BY kind ORDER BY kind", by, err, errlen) == -1)
		goto fail;

	if (export_open(&o, path, err, errlen) == -1)
		goto fail;
	if (json_dumpf(root, o.fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) ==
	    -1) {
		snprintf(err, errlen, "%s: cannot write JSON", path);
		export_close(&o, 0, err, errlen);
		goto fail;
	}
	fputc('\n', o.fp);
	json_decref(root);
	return export_close(&o, 1, err, errlen);

fail:
	json_decref(root);
	return -1;
}
