/* fmt.c: what ward writes to a terminal: strings from the network made
 * safe, cut to a width in columns, and times, sizes and states made short. */
#include "config.h"

#include <sys/ioctl.h>

#include <langinfo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <unictype.h>
#include <unistr.h>
#include <uniwidth.h>

#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "tui/tui.h"

int	fmt_utf8 = 1;

void
fmt_init(void)
{
	const char	*cs = nl_langinfo(CODESET);

	fmt_utf8 = cs != NULL && (strcmp(cs, "UTF-8") == 0 ||
	    strcmp(cs, "utf8") == 0);
}

/* Characters that print nothing yet change what the terminal shows next:
 * bidirectional overrides can make "exe.txt" of "txt.exe". */
static int
fmt_invisible(ucs4_t uc)
{
	/* Letters by category that print as nothing: the Hangul fillers,
	 * and the blank braille pattern. */
	if (uc == 0x115F || uc == 0x1160 || uc == 0x3164 || uc == 0xFFA0 ||
	    uc == 0x2800)
		return 1;
	return uc_is_general_category(uc, UC_CATEGORY_Cf) ||
	    uc_is_general_category(uc, UC_CATEGORY_Zl) ||
	    uc_is_general_category(uc, UC_CATEGORY_Zp);
}

static char *fmt_vis_as(const char *, int);

char *
fmt_vis(const char *s)
{
	return fmt_vis_as(s, 0);
}

char *
fmt_vis_text(const char *s)
{
	return fmt_vis_as(s, 1);
}

static char *
fmt_vis_as(const char *s, int keep_backslash)
{
	const uint8_t	*p;
	char		*vis, *out;
	size_t		 len, left, o = 0;
	ucs4_t		 uc;
	int		 n;

	if (s == NULL)
		return xstrdup("");
	/* str_vis writes at most 4 bytes for each byte it is given. */
	len = strlen(s);
	vis = xmalloc(4 * len + 8);
	str_vis(vis, 4 * len + 8, s);
	/* Each code point of 1-4 bytes becomes at most "\u{10FFFF}". */
	left = strlen(vis);
	out = xmalloc(10 * left + 1);
	p = (const uint8_t *)vis;
	while (left > 0) {
		/* str_vis left only valid UTF-8. */
		n = u8_mbtouc(&uc, p, left);
		if (n <= 0)
			n = 1;
		if (uc >= 0x80 && (!fmt_utf8 || fmt_invisible(uc)))
			o += (size_t)sprintf(out + o, "\\u{%04X}", (unsigned)uc);
		else if (keep_backslash && left >= 4 &&
		    memcmp(p, "\\x5c", 4) == 0) {
			/* str_vis writes a backslash only as this. */
			out[o++] = '\\';
			n = 4;
		} else {
			memcpy(out + o, p, (size_t)n);
			o += (size_t)n;
		}
		p += n;
		left -= (size_t)n;
	}
	out[o] = '\0';
	free(vis);
	return out;
}

static int
fmt_uc_width(ucs4_t uc)
{
	int	 w = uc_width(uc, "UTF-8");

	return w < 0 ? 1 : w;
}

size_t
fmt_width(const char *s)
{
	const uint8_t	*p = (const uint8_t *)s;
	size_t		 left = strlen(s), w = 0;
	ucs4_t		 uc;
	int		 n;

	while (left > 0) {
		if ((n = u8_mbtouc(&uc, p, left)) <= 0)
			n = 1;
		w += (size_t)fmt_uc_width(uc);
		p += n;
		left -= (size_t)n;
	}
	return w;
}

const char *
fmt_skip(const char *s, size_t cols)
{
	const uint8_t	*p = (const uint8_t *)s;
	size_t		 left = strlen(s), w = 0;
	ucs4_t		 uc;
	int		 n;

	while (left > 0 && w < cols) {
		if ((n = u8_mbtouc(&uc, p, left)) <= 0)
			n = 1;
		w += (size_t)fmt_uc_width(uc);
		p += n;
		left -= (size_t)n;
	}
	return (const char *)p;
}

char *
fmt_fit(char *dst, size_t size, const char *s, size_t width, int right)
{
	const uint8_t	*p = (const uint8_t *)s;
	const char	*ell = fmt_utf8 ? "\xe2\x80\xa6" : "~";
	size_t		 left = strlen(s), have = fmt_width(s), w = 0, o = 0;
	size_t		 keep, pad, i;
	ucs4_t		 uc;
	int		 n, cw;

	if (size == 0)
		return dst;
	if (4 * width + 1 > size)
		width = (size - 1) / 4;
	if (have <= width) {
		pad = width - have;
		if (right)
			for (i = 0; i < pad; i++)
				dst[o++] = ' ';
		memcpy(dst + o, s, left);
		o += left;
		if (!right)
			for (i = 0; i < pad; i++)
				dst[o++] = ' ';
		dst[o] = '\0';
		return dst;
	}
	/* Too wide: as much as fits before the ellipsis. */
	keep = width > 0 ? width - 1 : 0;
	while (left > 0) {
		if ((n = u8_mbtouc(&uc, p, left)) <= 0)
			n = 1;
		cw = fmt_uc_width(uc);
		if (w + (size_t)cw > keep)
			break;
		memcpy(dst + o, p, (size_t)n);
		o += (size_t)n;
		w += (size_t)cw;
		p += n;
		left -= (size_t)n;
	}
	if (width > 0) {
		memcpy(dst + o, ell, strlen(ell));
		o += strlen(ell);
		w++;
	}
	/* A wide character that did not fit leaves a column to pad. */
	while (w < width) {
		dst[o++] = ' ';
		w++;
	}
	dst[o] = '\0';
	return dst;
}

char *
fmt_age(char *dst, size_t size, int64_t ms)
{
	int64_t	 s = ms / 1000;

	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(dst, size, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(dst, size, "%lldm", (long long)(s / 60));
	else if (s < 48 * 3600)
		snprintf(dst, size, "%lldh", (long long)(s / 3600));
	else if (s < 2 * 365 * 86400LL)
		snprintf(dst, size, "%lldd", (long long)(s / 86400));
	else
		snprintf(dst, size, "%lldy", (long long)(s / (365 * 86400LL)));
	return dst;
}

char *
fmt_iso_age(char *dst, size_t size, const char *iso, int64_t now_ms)
{
	char	 err[128];
	int64_t	 t;

	if (iso == NULL || wtime_parse_iso8601(iso, &t, err,
	    sizeof err) == -1) {
		str_copy(dst, "-", size);
		return dst;
	}
	return fmt_age(dst, size, now_ms - t);
}

char *
fmt_iso(char *dst, size_t size, const char *iso)
{
	char		 err[128];
	int64_t		 t;
	time_t		 secs;
	struct tm	 tm;

	if (iso == NULL) {
		str_copy(dst, "-", size);
		return dst;
	}
	if (wtime_parse_iso8601(iso, &t, err, sizeof err) == -1) {
		str_copy(dst, iso, size);
		return dst;
	}
	secs = (time_t)(t / 1000);
	localtime_r(&secs, &tm);
	if (strftime(dst, size, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		str_copy(dst, iso, size);
	return dst;
}

char *
fmt_uptime(char *dst, size_t size, int64_t s)
{
	if (s < 0)
		s = 0;
	if (s >= 86400)
		snprintf(dst, size, "%lldd %lldh", (long long)(s / 86400),
		    (long long)(s % 86400 / 3600));
	else if (s >= 3600)
		snprintf(dst, size, "%lldh %lldm", (long long)(s / 3600),
		    (long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(dst, size, "%lldm %llds", (long long)(s / 60),
		    (long long)(s % 60));
	else
		snprintf(dst, size, "%llds", (long long)s);
	return dst;
}

/* One decimal below 10 so "1.5G" and "512M" both read at a glance. */
static char *
fmt_scaled(char *dst, size_t size, double v, double base,
    const char *const *units, const char *suffix)
{
	size_t	 u = 0;

	while (fabs(v) >= base && units[u + 1] != NULL) {
		v /= base;
		u++;
	}
	if (u == 0 || fabs(v) >= 10)
		snprintf(dst, size, "%.0f%s%s", v, units[u], suffix);
	else
		snprintf(dst, size, "%.1f%s%s", v, units[u], suffix);
	return dst;
}

char *
fmt_bytes(char *dst, size_t size, double bytes)
{
	static const char *const units[] = { "", "k", "M", "G", "T", "P",
	    NULL };

	return fmt_scaled(dst, size, bytes, 1024, units, "");
}

char *
fmt_bps(char *dst, size_t size, double bps)
{
	static const char *const units[] = { " ", " k", " M", " G", " T",
	    NULL };

	return fmt_scaled(dst, size, bps, 1000, units, "b/s");
}

char *
fmt_number(char *dst, size_t size, double v)
{
	char	*e;

	if (!isfinite(v))
		snprintf(dst, size, "%g", v);
	else if (v == floor(v) && fabs(v) < 1e15)
		snprintf(dst, size, "%.0f", v);
	else if (fabs(v) < 0.01)
		snprintf(dst, size, "%.3g", v);
	else {
		snprintf(dst, size, "%.2f", v);
		if (strchr(dst, '.') != NULL) {
			e = dst + strlen(dst);
			while (e > dst && e[-1] == '0')
				*--e = '\0';
			if (e > dst && e[-1] == '.')
				e[-1] = '\0';
		}
	}
	return dst;
}

size_t
fmt_term_width(void)
{
	struct winsize	 ws;
	const char	*cols;
	char		 err[64];
	int64_t		 n;

	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ,
	    &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	if ((cols = getenv("COLUMNS")) != NULL && str_parse_int64(cols, 1,
	    100000, &n, err, sizeof err) == 0)
		return (size_t)n;
	return 0;
}

const char *
js(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

int64_t
ji(const json_t *obj, const char *key, int64_t def)
{
	json_t	*v = json_object_get(obj, key);

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v))
		return (int64_t)json_real_value(v);
	return def;
}

double
jd(const json_t *obj, const char *key, double def)
{
	json_t	*v = json_object_get(obj, key);

	return json_is_number(v) ? json_number_value(v) : def;
}
