/* eol_hw.c: the hardware lifecycle table, an operator's CSV of vendor,
 * model pattern and the EoX milestones, checked line by line and imported
 * whole or not at all. */
#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistr.h>

#include "common/buf.h"
#include "common/db.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "collector/collector.h"

#define EOL_HW_FILE_MAX		(8 * 1024 * 1024)
#define EOL_HW_ROWS_MAX		100000
#define EOL_HW_FIELDS_MAX	16
#define EOL_HW_ERRORS_MAX	20	/* reported; the rest are counted */

enum eol_hw_col {
	COL_VENDOR, COL_MODEL, COL_END_OF_SALE, COL_END_OF_SW,
	COL_END_OF_SECURITY, COL_LAST_SUPPORT, COL_SOURCE, COL_COST,
	COL_COUNT
};

/* The header's names, in the order the milestones come. */
static const char *const eol_hw_cols[COL_COUNT] = {
	[COL_VENDOR] = "vendor",
	[COL_MODEL] = "model",
	[COL_END_OF_SALE] = "end_of_sale",
	[COL_END_OF_SW] = "end_of_sw_maintenance",
	[COL_END_OF_SECURITY] = "end_of_security_support",
	[COL_LAST_SUPPORT] = "last_date_of_support",
	[COL_SOURCE] = "source",
	[COL_COST] = "replacement_cost",
};

void
eol_hw_clear(struct eol_hw_table *t)
{
	size_t	 i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		free(t->rows[i].vendor);
		free(t->rows[i].model);
		free(t->rows[i].source);
	}
	free(t->rows);
	free(t->file);
	memset(t, 0, sizeof *t);
}

/* One CSV record (RFC 4180: "..." quotes, "" a quote inside). */
struct eol_csv {
	const char	*p, *end;
	int		 line;		/* of the next character */
	char		*fields[EOL_HW_FIELDS_MAX];
	int		 n;
};

static void
eol_csv_free_fields(struct eol_csv *c)
{
	int	 i;

	for (i = 0; i < c->n; i++)
		free(c->fields[i]);
	c->n = 0;
}

/* The next record into c->fields: 1, 0 at the end, -1 with err. Blank
 * lines and lines starting with # are skipped. */
static int
eol_csv_next(struct eol_csv *c, int *start_line, char *err, size_t errlen)
{
	struct buf	 f;
	const char	*q;
	int		 quoted;

	eol_csv_free_fields(c);
	for (;;) {
		if (c->p >= c->end)
			return 0;
		/* A line of blanks is as empty as an empty one. */
		for (q = c->p; q < c->end && (*q == ' ' || *q == '\t'); q++)
			;
		if (*c->p == '#' || q == c->end || *q == '\n' ||
		    (*q == '\r' && q + 1 < c->end && q[1] == '\n')) {
			while (c->p < c->end && *c->p != '\n')
				c->p++;
			/* The last line may have no newline: no line after. */
			if (c->p < c->end) {
				c->p++;
				c->line++;
			}
			continue;
		}
		break;
	}
	*start_line = c->line;
	buf_init(&f, 0);
	for (;;) {
		quoted = 0;
		buf_reset(&f);
		if (c->p < c->end && *c->p == '"') {
			quoted = 1;
			c->p++;
			for (;;) {
				if (c->p >= c->end) {
					snprintf(err, errlen, "a quoted field "
					    "is not closed");
					goto fail;
				}
				if (*c->p == '"') {
					if (c->p + 1 < c->end &&
					    c->p[1] == '"') {
						buf_append_char(&f, '"');
						c->p += 2;
						continue;
					}
					c->p++;
					break;
				}
				if (*c->p == '\n')
					c->line++;
				buf_append_char(&f, *c->p++);
			}
		}
		while (c->p < c->end && *c->p != ',' && *c->p != '\n' &&
		    !(*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n')) {
			if (quoted || *c->p == '"') {
				snprintf(err, errlen, "%s", quoted ? "text "
				    "after a closing quote" : "a quote inside "
				    "an unquoted field (quote the field and "
				    "double the quote)");
				goto fail;
			}
			buf_append_char(&f, *c->p++);
		}
		if (c->n == EOL_HW_FIELDS_MAX) {
			snprintf(err, errlen, "more than %d fields",
			    EOL_HW_FIELDS_MAX);
			goto fail;
		}
		c->fields[c->n++] = buf_detach(&f, NULL);
		if (c->p >= c->end)
			break;
		if (*c->p == ',') {
			c->p++;
			continue;
		}
		c->p += *c->p == '\r' ? 2 : 1;
		c->line++;
		break;
	}
	buf_free(&f);
	return 1;

fail:
	buf_free(&f);
	/* Resynchronise at the next line so later lines are checked too. */
	while (c->p < c->end && *c->p != '\n')
		c->p++;
	if (c->p < c->end) {
		c->p++;
		c->line++;
	}
	return -1;
}

struct eol_hw_errors {
	struct buf	 b;
	const char	*name;
	int		 count;
};

static void eol_hw_error(struct eol_hw_errors *e, int line, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static void
eol_hw_error(struct eol_hw_errors *e, int line, const char *fmt, ...)
{
	va_list	 ap;

	if (++e->count > EOL_HW_ERRORS_MAX)
		return;
	buf_printf(&e->b, "%s%s:%d: ", e->b.len > 0 ? "\n" : "", e->name,
	    line);
	va_start(ap, fmt);
	buf_vprintf(&e->b, fmt, ap);
	va_end(ap);
}

static int
eol_hw_has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* Checks one data record against the header's columns into row. */
static void
eol_hw_check_row(struct eol_hw_errors *e, int line, char **fields, int n,
    const int *cols, int ncols, struct eol_hw_row *row)
{
	struct eol_value	*dates[COL_COUNT] = { 0 };
	const char		*v, *vendor = NULL, *model = NULL;
	char			 vis[64];
	int			 i, j, k, errors = e->count;

	memset(row, 0, sizeof *row);
	row->line = line;
	dates[COL_END_OF_SALE] = &row->end_of_sale;
	dates[COL_END_OF_SW] = &row->end_of_sw_maintenance;
	dates[COL_END_OF_SECURITY] = &row->end_of_security;
	dates[COL_LAST_SUPPORT] = &row->last_support;
	if (n != ncols) {
		eol_hw_error(e, line, "%d fields; the header has %d", n,
		    ncols);
		return;
	}
	for (i = 0; i < n; i++) {
		v = fields[i];
		if (u8_check((const uint8_t *)v, strlen(v)) != NULL) {
			eol_hw_error(e, line, "%s: not UTF-8",
			    eol_hw_cols[cols[i]]);
			continue;
		}
		switch (cols[i]) {
		case COL_VENDOR:
		case COL_MODEL:
			if (*v == '\0' || strlen(v) > 255) {
				eol_hw_error(e, line, "%s: must be 1 to 255 "
				    "bytes", eol_hw_cols[cols[i]]);
				continue;
			}
			/* Matched against what hosts report, and shown in
			 * messages: a line break or an escape is a mistake
			 * (a quote left open), never a model. */
			if (eol_hw_has_control(v)) {
				eol_hw_error(e, line, "%s: \"%s\": holds a "
				    "control character (a line break inside "
				    "quotes?)", eol_hw_cols[cols[i]],
				    str_vis(vis, sizeof vis, v));
				continue;
			}
			if (cols[i] == COL_VENDOR)
				vendor = v;
			else
				model = v;
			break;
		case COL_COST:
			/* Empty is unknown, which is not the same as 0. */
			if (*v == '\0')
				break;
			if (eol_parse_amount(v, &row->cost) == -1)
				eol_hw_error(e, line, "replacement_cost: \"%s\": "
				    "not an amount (1250 or 1250.50: no currency "
				    "symbol, sign or separators, at most "
				    "1000000000; the currency is [eol] "
				    "currency's; empty if not known)",
				    str_vis(vis, sizeof vis, v));
			else
				row->has_cost = 1;
			break;
		case COL_SOURCE:
			if (strlen(v) > 1024)
				eol_hw_error(e, line, "source: longer than "
				    "1024 bytes");
			else if (*v != '\0')
				row->source = xstrdup(v);
			break;
		default:
			if (*v != '\0' && (eol_value_parse(v,
			    dates[cols[i]]) == -1 ||
			    dates[cols[i]]->kind != EOL_DATE)) {
				memset(dates[cols[i]], 0, sizeof
				    *dates[cols[i]]);
				eol_hw_error(e, line, "%s: \"%s\": not a date "
				    "(YYYY-MM-DD, or empty)",
				    eol_hw_cols[cols[i]], str_vis(vis,
				    sizeof vis, v));
			}
			break;
		}
	}
	/* The milestones come in this order; one out of it is most often
	 * two columns swapped. */
	for (j = COL_END_OF_SALE; j < COL_LAST_SUPPORT; j++)
		for (k = j + 1; k <= COL_LAST_SUPPORT; k++)
			if (dates[j]->kind == EOL_DATE &&
			    dates[k]->kind == EOL_DATE &&
			    dates[k]->day < dates[j]->day)
				eol_hw_error(e, line, "%s is before %s: the "
				    "milestones are in the wrong columns?",
				    eol_hw_cols[k], eol_hw_cols[j]);
	if (e->count == errors) {
		row->vendor = xstrdup(vendor);
		row->model = xstrdup(model);
	}
}

int
eol_hw_parse(const char *name, const char *text, size_t len,
    struct eol_hw_table *t, char *err, size_t errlen)
{
	struct eol_hw_errors	 e;
	struct eol_csv		 c;
	struct eol_hw_row	 row;
	char			 why[256], vis[64], vis2[64];
	int			 cols[EOL_HW_FIELDS_MAX], seen[COL_COUNT];
	int			 ncols = 0;
	int			 i, k, line, rc;
	size_t			 j;

	memset(t, 0, sizeof *t);
	memset(&e, 0, sizeof e);
	buf_init(&e.b, 0);
	e.name = name;
	memset(&c, 0, sizeof c);
	c.p = text;
	c.end = text + len;
	c.line = 1;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		c.p += 3;	/* a spreadsheet's byte order mark */
	if (memchr(text, '\0', len) != NULL) {
		eol_hw_error(&e, 1, "holds a NUL byte: not a CSV file");
		goto done;
	}

	/* The header says which column is which. */
	if ((rc = eol_csv_next(&c, &line, why, sizeof why)) <= 0) {
		if (rc == 0)
			eol_hw_error(&e, c.line, "no header line (%s,%s,...)",
			    eol_hw_cols[0], eol_hw_cols[1]);
		else
			eol_hw_error(&e, line, "%s", why);
		goto done;
	}
	memset(seen, 0, sizeof seen);
	for (i = 0; i < c.n; i++) {
		for (k = 0; k < COL_COUNT; k++)
			if (str_eq_nocase(str_trim(c.fields[i]),
			    eol_hw_cols[k]))
				break;
		if (k == COL_COUNT) {
			eol_hw_error(&e, line, "column %d, \"%s\": not one of "
			    "vendor, model, end_of_sale, "
			    "end_of_sw_maintenance, end_of_security_support, "
			    "last_date_of_support, source, replacement_cost",
			    i + 1,
			    str_vis(vis, sizeof vis, c.fields[i]));
			continue;
		}
		if (seen[k]++)
			eol_hw_error(&e, line, "column \"%s\" twice",
			    eol_hw_cols[k]);
		cols[ncols++] = k;
	}
	if (e.count == 0 && (!seen[COL_VENDOR] || !seen[COL_MODEL]))
		eol_hw_error(&e, line, "the header needs vendor and model "
		    "columns");
	if (e.count > 0)
		goto done;

	while ((rc = eol_csv_next(&c, &line, why, sizeof why)) != 0) {
		if (rc == -1) {
			eol_hw_error(&e, line, "%s", why);
			continue;
		}
		if (t->n == EOL_HW_ROWS_MAX) {
			eol_hw_error(&e, line, "more than %d rows",
			    EOL_HW_ROWS_MAX);
			break;
		}
		eol_hw_check_row(&e, line, c.fields, c.n, cols, ncols, &row);
		if (row.vendor == NULL) {
			free(row.source);
			continue;
		}
		for (j = 0; j < t->n; j++)
			if (str_eq_nocase(t->rows[j].vendor, row.vendor) &&
			    str_eq_nocase(t->rows[j].model, row.model))
				break;
		if (j < t->n) {
			eol_hw_error(&e, line, "%s %s again (line %d)",
			    str_vis(vis, sizeof vis, row.vendor), str_vis(vis2,
			    sizeof vis2, row.model), t->rows[j].line);
			free(row.vendor);
			free(row.model);
			free(row.source);
			continue;
		}
		t->rows = xreallocarray(t->rows, t->n + 1, sizeof *t->rows);
		t->rows[t->n++] = row;
	}

done:
	eol_csv_free_fields(&c);
	if (e.count > 0) {
		if (e.count > EOL_HW_ERRORS_MAX)
			buf_printf(&e.b, "\n%s: and %d more errors", name,
			    e.count - EOL_HW_ERRORS_MAX);
		snprintf(err, errlen, "%s", buf_cstr(&e.b));
		buf_free(&e.b);
		eol_hw_clear(t);
		return -1;
	}
	buf_free(&e.b);
	t->file = xstrdup(name);
	return 0;
}

#define SQL_HW_DELETE	"DELETE FROM eol_hardware"
#define SQL_HW_INSERT \
	"INSERT INTO eol_hardware (vendor, model, end_of_sale," \
	"  end_of_sw_maintenance, end_of_security, last_support, source," \
	"  line, replacement_cost)" \
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
#define SQL_HW_IMPORTED \
	"INSERT INTO eol_hardware_imports (file, rows, imported_ms)" \
	" VALUES (?1, ?2, ?3)"
#define SQL_HW_ROWS \
	"SELECT vendor, model, end_of_sale, end_of_sw_maintenance," \
	"  end_of_security, last_support, source, line, replacement_cost" \
	" FROM eol_hardware" \
	" ORDER BY id"
#define SQL_HW_LAST_IMPORT \
	"SELECT file, imported_ms FROM eol_hardware_imports" \
	" ORDER BY id DESC LIMIT 1"

struct eol_hw_tx {
	const struct eol_hw_table	*t;
	int64_t				 now_ms;
	char				*err;
	size_t				 errlen;
};

static int
eol_hw_bind_date(sqlite3_stmt *st, int col, const struct eol_value *v)
{
	char	 buf[16];

	if (v->kind == EOL_DATE)
		return sqlite3_bind_text(st, col, eol_format_day(v->day, buf,
		    sizeof buf), -1, SQLITE_TRANSIENT);
	return sqlite3_bind_null(st, col);
}

static int
eol_hw_step(struct db *db, sqlite3_stmt *st, const char *what, char *err,
    size_t errlen)
{
	int	 rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	db_error(db, what, err, errlen);
	return -1;
}

static int
eol_hw_tx(struct db *db, void *arg)
{
	struct eol_hw_tx		*x = arg;
	const struct eol_hw_row		*r;
	sqlite3_stmt			*st;
	size_t				 i;

	if ((st = db_stmt(db, SQL_HW_DELETE, x->err, x->errlen)) == NULL ||
	    eol_hw_step(db, st, "emptying the hardware table", x->err,
	    x->errlen) == -1)
		return -1;
	for (i = 0; i < x->t->n; i++) {
		r = &x->t->rows[i];
		if ((st = db_stmt(db, SQL_HW_INSERT, x->err,
		    x->errlen)) == NULL)
			return -1;
		sqlite3_bind_text(st, 1, r->vendor, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, r->model, -1, SQLITE_STATIC);
		eol_hw_bind_date(st, 3, &r->end_of_sale);
		eol_hw_bind_date(st, 4, &r->end_of_sw_maintenance);
		eol_hw_bind_date(st, 5, &r->end_of_security);
		eol_hw_bind_date(st, 6, &r->last_support);
		if (r->source != NULL)
			sqlite3_bind_text(st, 7, r->source, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 8, r->line);
		if (r->has_cost)
			sqlite3_bind_int64(st, 9, r->cost);
		if (eol_hw_step(db, st, "storing a hardware row", x->err,
		    x->errlen) == -1)
			return -1;
	}
	if ((st = db_stmt(db, SQL_HW_IMPORTED, x->err, x->errlen)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, x->t->file, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)x->t->n);
	sqlite3_bind_int64(st, 3, x->now_ms);
	return eol_hw_step(db, st, "recording the import", x->err,
	    x->errlen);
}

char *
eol_hw_read(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE	*fp;
	char	*text;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	text = xmalloc(EOL_HW_FILE_MAX + 1);
	*len = fread(text, 1, EOL_HW_FILE_MAX + 1, fp);
	if (ferror(fp) || *len > EOL_HW_FILE_MAX) {
		snprintf(err, errlen, "%s: %s", path, ferror(fp) ?
		    strerror(errno) : "larger than 8 MiB");
		fclose(fp);
		free(text);
		return NULL;
	}
	fclose(fp);
	text[*len] = '\0';
	return text;
}

int
eol_hw_import(struct db *db, const char *name, const char *text, size_t len,
    int64_t now_ms, size_t *rows, char *err, size_t errlen)
{
	struct eol_hw_table	 t;
	struct eol_hw_tx	 x;
	char			 txerr[512];
	int			 rc = -1;

	*rows = 0;
	if (eol_hw_parse(name, text, len, &t, err, errlen) == -1)
		return -1;
	memset(&x, 0, sizeof x);
	x.t = &t;
	x.now_ms = now_ms;
	x.err = err;
	x.errlen = errlen;
	err[0] = '\0';
	if (db_transaction(db, eol_hw_tx, &x, txerr, sizeof txerr) == -1) {
		if (err[0] == '\0')
			snprintf(err, errlen, "%s", txerr);
		goto done;
	}
	*rows = t.n;
	rc = 0;
done:
	eol_hw_clear(&t);
	return rc;
}

static char *
eol_hw_col(sqlite3_stmt *st, int col)
{
	const char	*s = (const char *)sqlite3_column_text(st, col);

	return s != NULL ? xstrdup(s) : NULL;
}

int
eol_hw_load(struct db *db, struct eol_hw_table *t, char *err, size_t errlen)
{
	struct eol_hw_row	*r;
	sqlite3_stmt		*st;
	int			 rc;

	memset(t, 0, sizeof *t);
	if ((st = db_stmt(db, SQL_HW_ROWS, err, errlen)) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		t->rows = xreallocarray(t->rows, t->n + 1, sizeof *t->rows);
		r = &t->rows[t->n++];
		memset(r, 0, sizeof *r);
		r->vendor = eol_hw_col(st, 0);
		r->model = eol_hw_col(st, 1);
		(void)eol_value_parse((const char *)sqlite3_column_text(st,
		    2), &r->end_of_sale);
		(void)eol_value_parse((const char *)sqlite3_column_text(st,
		    3), &r->end_of_sw_maintenance);
		(void)eol_value_parse((const char *)sqlite3_column_text(st,
		    4), &r->end_of_security);
		(void)eol_value_parse((const char *)sqlite3_column_text(st,
		    5), &r->last_support);
		r->source = eol_hw_col(st, 6);
		r->line = sqlite3_column_int(st, 7);
		if (sqlite3_column_type(st, 8) != SQLITE_NULL) {
			r->has_cost = 1;
			r->cost = sqlite3_column_int64(st, 8);
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		goto fail;
	if ((st = db_stmt(db, SQL_HW_LAST_IMPORT, err, errlen)) == NULL) {
		eol_hw_clear(t);
		return -1;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		t->file = eol_hw_col(st, 0);
		t->imported_ms = sqlite3_column_int64(st, 1);
		rc = SQLITE_DONE;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		goto fail;
	return 0;

fail:
	db_error(db, "reading the hardware table", err, errlen);
	eol_hw_clear(t);
	return -1;
}

const struct eol_hw_row *
eol_hw_match(const struct eol_hw_table *t, const char *vendor,
    const char *model)
{
	size_t	 i;

	if (vendor == NULL || model == NULL)
		return NULL;
	for (i = 0; i < t->n; i++)
		if (str_eq_nocase(t->rows[i].vendor, vendor) &&
		    fnmatch(t->rows[i].model, model, FNM_CASEFOLD) == 0)
			return &t->rows[i];
	return NULL;
}
