/* table.c: aligned columns that fit a width: the command line's output
 * and the dashboard's lists share one way to cut and drop columns. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "common/xmalloc.h"
#include "tui/tui.h"

struct table *
table_new(const struct table_col *cols, size_t ncols)
{
	struct table	*t = xcalloc(1, sizeof *t);
	size_t		 i;

	t->cols = xreallocarray(NULL, ncols, sizeof *t->cols);
	memcpy(t->cols, cols, ncols * sizeof *cols);
	t->ncols = ncols;
	t->natural = xcalloc(ncols, sizeof *t->natural);
	t->width = xcalloc(ncols, sizeof *t->width);
	t->gap = 2;
	for (i = 0; i < ncols; i++)
		t->natural[i] = t->width[i] = fmt_width(cols[i].header);
	return t;
}

void
table_free(struct table *t)
{
	size_t	 r, c;

	if (t == NULL)
		return;
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++)
			free(t->rows[r][c]);
		free(t->rows[r]);
	}
	free(t->rows);
	free(t->cols);
	free(t->natural);
	free(t->width);
	free(t);
}

void
table_add(struct table *t, const char *const *cells)
{
	char	**row = xcalloc(t->ncols, sizeof *row);
	size_t	  c, w;

	for (c = 0; c < t->ncols; c++) {
		if (cells[c] == NULL)
			row[c] = xstrdup("-");
		else if (t->cols[c].flags & TABLE_SAFE)
			row[c] = xstrdup(cells[c]);
		else
			row[c] = fmt_vis(cells[c]);
		if ((w = fmt_width(row[c])) > t->natural[c])
			t->natural[c] = t->width[c] = w;
	}
	t->rows = xreallocarray(t->rows, t->nrows + 1, sizeof *t->rows);
	t->rows[t->nrows++] = row;
}

static size_t
table_total(const struct table *t)
{
	size_t	 c, total = 0, shown = 0;

	for (c = 0; c < t->ncols; c++)
		if (t->width[c] > 0) {
			total += t->width[c];
			shown++;
		}
	return shown > 0 ? total + t->gap * (shown - 1) : 0;
}

/* Cuts the widest flexible column (only droppable ones, or any) a column
 * at a time, so they end up level, until the line fits or none can give. */
static void
table_shrink(struct table *t, size_t width, int droppable_only)
{
	size_t	 c, best;

	while (table_total(t) > width) {
		best = SIZE_MAX;
		for (c = 0; c < t->ncols; c++) {
			if (t->width[c] == 0 ||
			    !(t->cols[c].flags & TABLE_FLEX) ||
			    t->width[c] <= t->cols[c].min ||
			    (droppable_only && t->cols[c].drop == 0))
				continue;
			if (best == SIZE_MAX || t->width[c] > t->width[best])
				best = c;
		}
		if (best == SIZE_MAX)
			return;
		t->width[best]--;
	}
}

size_t
table_fit(struct table *t, size_t width)
{
	int		*hidden = xcalloc(t->ncols, sizeof *hidden);
	size_t		 c, best;
	int		 drop;

	/* What a line is for (its drop 0 columns) is cut last: the others
	 * are cut, then dropped, least important first, before it is. */
	for (;;) {
		for (c = 0; c < t->ncols; c++)
			t->width[c] = hidden[c] ? 0 : (t->natural[c] > 0 ?
			    t->natural[c] : 1);
		if (width == 0)
			break;
		table_shrink(t, width, 1);
		if (table_total(t) <= width)
			break;
		best = SIZE_MAX;
		drop = 0;
		for (c = 0; c < t->ncols; c++)
			if (!hidden[c] && t->cols[c].drop > drop) {
				drop = t->cols[c].drop;
				best = c;
			}
		if (best == SIZE_MAX) {
			table_shrink(t, width, 0);
			break;
		}
		hidden[best] = 1;
	}
	free(hidden);
	return table_total(t);
}

size_t
table_col_x(const struct table *t, size_t col)
{
	size_t	 c, x = 0;

	if (col >= t->ncols || t->width[col] == 0)
		return SIZE_MAX;
	for (c = 0; c < col; c++)
		if (t->width[c] > 0)
			x += t->width[c] + t->gap;
	return x;
}

char *
table_line(const struct table *t, size_t row)
{
	char	*line, *cell;
	size_t	 c, len = 0, cap = 1, w;
	int	 first = 1;

	for (c = 0; c < t->ncols; c++)
		cap += 4 * t->width[c] + t->gap + 1;
	line = xmalloc(cap);
	cell = xmalloc(cap);
	line[0] = '\0';
	for (c = 0; c < t->ncols; c++) {
		if ((w = t->width[c]) == 0)
			continue;
		if (!first) {
			memset(line + len, ' ', t->gap);
			len += t->gap;
		}
		first = 0;
		fmt_fit(cell, cap, row == SIZE_MAX ? t->cols[c].header :
		    t->rows[row][c], w, (t->cols[c].flags & TABLE_RIGHT) != 0);
		memcpy(line + len, cell, strlen(cell));
		len += strlen(cell);
	}
	while (len > 0 && line[len - 1] == ' ')
		len--;
	line[len] = '\0';
	free(cell);
	return line;
}

void
table_print(const struct table *t, FILE *fp, int header,
    const char *(*colour)(const struct table *, size_t, size_t))
{
	char		*line, *cell;
	const char	*sgr;
	size_t		 r, c, cap = 1, len, last = 0;
	int		 first;

	if (header) {
		line = table_line(t, SIZE_MAX);
		fprintf(fp, "%s\n", line);
		free(line);
	}
	if (colour == NULL) {
		for (r = 0; r < t->nrows; r++) {
			line = table_line(t, r);
			fprintf(fp, "%s\n", line);
			free(line);
		}
		return;
	}
	for (c = 0; c < t->ncols; c++) {
		cap += 4 * t->width[c] + 1;
		if (t->width[c] > 0)
			last = c;
	}
	cell = xmalloc(cap);
	for (r = 0; r < t->nrows; r++) {
		first = 1;
		for (c = 0; c < t->ncols; c++) {
			if (t->width[c] == 0)
				continue;
			if (!first)
				fprintf(fp, "%*s", (int)t->gap, "");
			first = 0;
			fmt_fit(cell, cap, t->rows[r][c], t->width[c],
			    (t->cols[c].flags & TABLE_RIGHT) != 0);
			/* No padding after the last column. */
			if (c == last) {
				len = strlen(cell);
				while (len > 0 && cell[len - 1] == ' ')
					len--;
				cell[len] = '\0';
			}
			if ((sgr = colour(t, r, c)) != NULL)
				fprintf(fp, "\033[%sm%s\033[0m", sgr, cell);
			else
				fputs(cell, fp);
		}
		fputc('\n', fp);
	}
	free(cell);
}

/* A field quoted when it holds what CSV gives a meaning to. */
static void
table_csv_field(FILE *fp, const char *s)
{
	const char	*p;
	char		*safe = NULL;

	/* Names come from whatever reported them. */
	if (str_csv_formula(s)) {
		xasprintf(&safe, "'%s", s);
		s = safe;
	}
	if (strpbrk(s, ",\"\r\n") == NULL && *s != ' ' &&
	    (*s == '\0' || s[strlen(s) - 1] != ' ')) {
		fputs(s, fp);
		free(safe);
		return;
	}
	fputc('"', fp);
	for (p = s; *p != '\0'; p++) {
		if (*p == '"')
			fputc('"', fp);
		fputc(*p, fp);
	}
	fputc('"', fp);
	free(safe);
}

void
table_print_csv(const struct table *t, FILE *fp)
{
	size_t	 r, c;

	for (c = 0; c < t->ncols; c++) {
		if (c > 0)
			fputc(',', fp);
		table_csv_field(fp, t->cols[c].header);
	}
	fputs("\n", fp);
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			if (c > 0)
				fputc(',', fp);
			/* An absent value is empty, not the "-" shown. */
			if (strcmp(t->rows[r][c], "-") != 0)
				table_csv_field(fp, t->rows[r][c]);
		}
		fputs("\n", fp);
	}
}
