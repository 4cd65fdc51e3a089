/* dash_sort.c: a dashboard list sorted by one of its columns: numbers
 * with their units (5m before 3h, 512k before 1.2G), states by severity,
 * names as versions (srv-2 before srv-10), absent values last. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "tui/tui.h"

/* A row with what its cell sorts by worked out once, not per compare. */
struct sort_row {
	char		**cells;
	char		 *key;
	size_t		  order;	/* where the collector put it */
	const char	 *cell;
	int		  absent;
	int		  has_number;
	double		  number;
	int		  severity;
};

static int	 sort_rev;

/* What a unit after a number multiplies it by: the ages and durations
 * fmt.c writes, sizes in powers of 1024, speeds, percent. */
static int
sort_unit(const char *u, double *mul)
{
	static const struct {
		const char	*unit;
		double		 mul;
	} units[] = {
		{ "", 1 }, { "%", 1 }, { "s", 1 }, { "m", 60 }, { "h", 3600 },
		{ "d", 86400 }, { "w", 604800 }, { "y", 31536000 },
		{ "k", 1024.0 }, { "K", 1024.0 }, { "M", 1048576.0 },
		{ "G", 1073741824.0 }, { "T", 1099511627776.0 },
		{ " b/s", 1 }, { " kb/s", 1e3 }, { " Kb/s", 1e3 },
		{ " Mb/s", 1e6 }, { " Gb/s", 1e9 }, { " Tb/s", 1e12 },
	};
	size_t	 i;

	for (i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(u, units[i].unit) == 0) {
			*mul = units[i].mul;
			return 0;
		}
	/* "12d 3h": the first part is enough to order uptimes. */
	if (u[0] != '\0' && u[1] == ' ' && strchr("smhdwy", u[0]) != NULL) {
		char	 one[2] = { u[0], '\0' };

		return sort_unit(one, mul);
	}
	return -1;
}

static int
sort_number(const char *s, double *v)
{
	char	*end;
	double	 mul;

	if (*s == '\0' || strchr("+-.0123456789", *s) == NULL)
		return -1;
	*v = strtod(s, &end);
	if (end == s || sort_unit(end, &mul) == -1)
		return -1;
	*v *= mul;
	return 0;
}

/* Least severe first, as the collector lists states. */
static int
sort_severity(const char *s)
{
	switch (dash_tone(s)) {
	case TONE_GOOD:
		return 1;
	case TONE_WARN:
		return 2;
	case TONE_ODD:
		return 3;
	case TONE_BAD:
		return 4;
	default:
		return 0;
	}
}

int
dash_sort_cmp(const char *a, const char *b)
{
	double	 x, y;
	int	 sa, sb, c;

	if (sort_number(a, &x) == 0 && sort_number(b, &y) == 0)
		return x < y ? -1 : x > y;
	sa = sort_severity(a);
	sb = sort_severity(b);
	if (sa != 0 && sb != 0 && sa != sb)
		return sa < sb ? -1 : 1;
	if ((c = strverscmp(a, b)) != 0)
		return c < 0 ? -1 : 1;
	return 0;
}

/* dash_sort_cmp's order, from what was worked out beforehand. */
static int
sort_cells(const struct sort_row *a, const struct sort_row *b)
{
	int	 c;

	if (a->has_number && b->has_number)
		return a->number < b->number ? -1 : a->number > b->number;
	if (a->severity != 0 && b->severity != 0 &&
	    a->severity != b->severity)
		return a->severity < b->severity ? -1 : 1;
	if ((c = strverscmp(a->cell, b->cell)) != 0)
		return c < 0 ? -1 : 1;
	return 0;
}

static int
sort_rows(const void *pa, const void *pb)
{
	const struct sort_row	*a = pa, *b = pb;
	int			 c;

	if (a->cell != NULL) {
		/* Nothing to say comes last either way round. */
		if (a->absent != b->absent)
			return a->absent ? 1 : -1;
		if (!a->absent && (c = sort_cells(a, b)) != 0)
			return sort_rev ? -c : c;
	}
	return a->order < b->order ? -1 : a->order > b->order;
}

void
dash_sort_page(struct dash_page *p, size_t col, int reverse)
{
	struct table		*t = p->table;
	struct sort_row		*rows, *r;
	size_t			 i;

	if (t == NULL || t->nrows < 2)
		return;
	if (p->order == NULL) {
		p->order = xreallocarray(NULL, t->nrows, sizeof *p->order);
		for (i = 0; i < t->nrows; i++)
			p->order[i] = i;
	}
	rows = xcalloc(t->nrows, sizeof *rows);
	for (i = 0; i < t->nrows; i++) {
		r = &rows[i];
		r->cells = t->rows[i];
		r->key = p->keys != NULL ? p->keys[i] : NULL;
		r->order = p->order[i];
		/* col beyond the columns: the collector's order again. */
		if (col >= t->ncols)
			continue;
		r->cell = r->cells[col];
		r->absent = *r->cell == '\0' || strcmp(r->cell, "-") == 0;
		r->has_number = sort_number(r->cell, &r->number) == 0;
		r->severity = sort_severity(r->cell);
	}
	/* The dashboard runs on one thread: the direction can be a static. */
	sort_rev = reverse;
	qsort(rows, t->nrows, sizeof *rows, sort_rows);
	for (i = 0; i < t->nrows; i++) {
		t->rows[i] = rows[i].cells;
		if (p->keys != NULL)
			p->keys[i] = rows[i].key;
		p->order[i] = rows[i].order;
	}
	free(rows);
}
