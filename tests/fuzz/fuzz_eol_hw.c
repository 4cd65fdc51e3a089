/* fuzz_eol_hw.c: libFuzzer target for the hardware lifecycle table (the
 * operator's CSV): all or nothing, and every row that comes out is one
 * the lifecycle can use as it is. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unistr.h>

#include "common/str.h"
#include "collector/collector.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Text of a row: UTF-8, and (but for source) no control characters. */
static void
fuzz_text(const char *s, size_t max, int controls)
{
	size_t	 i, n;

	if (s == NULL || *s == '\0' || (n = strlen(s)) > max ||
	    u8_check((const uint8_t *)s, n) != NULL)
		abort();
	for (i = 0; i < n && !controls; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

static void
fuzz_date(const struct eol_value *v)
{
	if (v->kind != EOL_ABSENT && v->kind != EOL_DATE)
		abort();
}

static void
fuzz_errors(const char *err, const char *text, size_t size)
{
	const char	*p = err;
	char		*end;
	long		 line, lines = 1;
	size_t		 i;

	for (i = 0; i < size; i++)
		lines += text[i] == '\n';
	/* What the file holds is shown made visible, never raw. */
	for (i = 0; err[i] != '\0'; i++)
		if (((unsigned char)err[i] < 0x20 && err[i] != '\n') ||
		    err[i] == 0x7f)
			abort();
	while (*p != '\0') {
		if (strncmp(p, "fuzz.csv:", 9) != 0)
			abort();
		line = strtol(p + 9, &end, 10);
		/* "and N more errors" closes a long list. */
		if (end == p + 9 && strncmp(p + 9, " and ", 5) == 0)
			break;
		if (end == p + 9 || *end != ':' || line < 1 || line > lines)
			abort();
		if ((p = strchr(p, '\n')) == NULL)
			break;
		p++;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct eol_value	*ms[4];
	struct eol_hw_table	 t;
	const struct eol_hw_row	*r;
	char			 err[4096];
	size_t			 i, j, k, l;

	if (eol_hw_parse("fuzz.csv", (const char *)data, size, &t, err,
	    sizeof err) == -1) {
		/* Nothing kept, and each error names the file and a line
		 * of it. */
		if (t.n != 0 || t.rows != NULL)
			abort();
		fuzz_errors(err, (const char *)data, size);
		return 0;
	}
	if (t.file == NULL || strcmp(t.file, "fuzz.csv") != 0)
		abort();
	for (i = 0; i < t.n; i++) {
		r = &t.rows[i];
		fuzz_text(r->vendor, 255, 0);
		fuzz_text(r->model, 255, 0);
		if (r->source != NULL)
			fuzz_text(r->source, 1024, 1);
		if (r->line < 2 || (i > 0 && r->line <= t.rows[i - 1].line))
			abort();
		ms[0] = &r->end_of_sale;
		ms[1] = &r->end_of_sw_maintenance;
		ms[2] = &r->end_of_security;
		ms[3] = &r->last_support;
		for (k = 0; k < 4; k++) {
			fuzz_date(ms[k]);
			for (l = k + 1; l < 4; l++)
				if (ms[k]->kind == EOL_DATE &&
				    ms[l]->kind == EOL_DATE &&
				    ms[l]->day < ms[k]->day)
					abort();
		}
		if (r->has_cost ? r->cost < 0 || r->cost > 100000000000LL :
		    r->cost != 0)
			abort();
		for (j = 0; j < i; j++)
			if (str_eq_nocase(t.rows[j].vendor, r->vendor) &&
			    str_eq_nocase(t.rows[j].model, r->model))
				abort();
		/* The first row of its vendor matching its own pattern as a
		 * model comes no later than itself. */
		if (eol_hw_match(&t, r->vendor, r->model) == NULL &&
		    strpbrk(r->model, "*?[\\") == NULL)
			abort();
		(void)eol_hw_match(&t, r->vendor, "PowerEdge R640");
	}
	eol_hw_clear(&t);
	return 0;
}
