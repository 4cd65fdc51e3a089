/* spark.c: a metric's recent series as a sparkline, one character a
 * slice of time: Unicode blocks, or ASCII where the terminal is not UTF-8. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "tui/tui.h"

/* Eight heights, lowest first. */
static const char *const spark_blocks[] = {
	"\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
	"\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88",
};
static const char spark_ascii[] = "_.-:=+*#";

char *
spark_render(const double *v, const int *have, size_t n, double lo,
    double hi)
{
	char	*s = xmalloc(3 * n + 1), *p = s;
	size_t	 i;
	int	 level;

	for (i = 0; i < n; i++) {
		if (!have[i]) {
			/* No sample in that slice: a gap, not a zero. */
			*p++ = ' ';
			continue;
		}
		level = hi > lo ? (int)((v[i] - lo) / (hi - lo) * 8) : 0;
		if (level > 7)
			level = 7;
		if (level < 0)
			level = 0;
		if (fmt_utf8) {
			memcpy(p, spark_blocks[level], 3);
			p += 3;
		} else
			*p++ = spark_ascii[level];
	}
	*p = '\0';
	return s;
}

int
spark_series(const json_t *reply, const json_t *series, size_t width,
    struct spark *out)
{
	const json_t	*pt;
	double		*v, x, lo = 0, hi = 0;
	int		*have;
	int64_t		 from, to, t;
	size_t		 i, b, col, n = 0;
	char		 err[128];
	int		 hourly;

	memset(out, 0, sizeof *out);
	if (width == 0 || wtime_parse_iso8601(js(reply, "from") != NULL ?
	    js(reply, "from") : "", &from, err, sizeof err) == -1 ||
	    wtime_parse_iso8601(js(reply, "to") != NULL ? js(reply, "to") : "",
	    &to, err, sizeof err) == -1 || to <= from)
		return -1;
	hourly = js(reply, "resolution") != NULL &&
	    strcmp(js(reply, "resolution"), "hour") == 0;
	/* Raw points are [ts, value]; hourly ones [ts, min, avg, max,
	 * count]: the slice shows the highest, so a spike is not lost. */
	col = hourly ? 3 : 1;
	v = xcalloc(width, sizeof *v);
	have = xcalloc(width, sizeof *have);
	json_array_foreach(json_object_get(series, "points"), i, pt) {
		if (!json_is_number(json_array_get(pt, col)) ||
		    wtime_parse_iso8601(json_string_value(json_array_get(pt,
		    0)) != NULL ? json_string_value(json_array_get(pt, 0)) : "",
		    &t, err, sizeof err) == -1 || t < from || t > to)
			continue;
		x = json_number_value(json_array_get(pt, col));
		b = (size_t)((double)(t - from) / (double)(to - from) *
		    (double)width);
		if (b >= width)
			b = width - 1;
		if (!have[b] || x > v[b])
			v[b] = x;
		have[b] = 1;
		if (n == 0 || x < out->min)
			out->min = x;
		if (n == 0 || x > out->max)
			out->max = x;
		out->last = x;
		n++;
	}
	out->points = n;
	if (n > 0) {
		/* From zero, so a flat 80 % does not look like 0 %; a
		 * percentage against its whole. */
		lo = out->min < 0 ? out->min : 0;
		hi = out->max;
		if (js(series, "unit") != NULL &&
		    strcmp(js(series, "unit"), "percent") == 0 && hi <= 100)
			hi = 100;
	}
	out->line = spark_render(v, have, width, lo, hi);
	free(v);
	free(have);
	return 0;
}
