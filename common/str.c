/* str.c: string helpers: bounded copies, trimming, strict number/size/
 * duration parsing, and str_vis to make hostile strings safe to print. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

#include "common/str.h"
#include "common/xmalloc.h"

size_t
str_copy(char *dst, const char *src, size_t size)
{
	size_t	 len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

size_t
str_append(char *dst, const char *src, size_t size)
{
	size_t	 have = strnlen(dst, size);

	if (have == size)
		return size + strlen(src);
	return have + str_copy(dst + have, src, size - have);
}

char *
str_trim(char *s)
{
	char	*start = s, *end;

	while (isspace((unsigned char)*start))
		start++;
	end = start + strlen(start);
	while (end > start && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	if (start != s)
		memmove(s, start, (size_t)(end - start) + 1);
	return s;
}

int
str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int
str_has_suffix(const char *s, const char *suffix)
{
	size_t	 ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

int
str_utf8(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return u8_check((const uint8_t *)s + i, len - i) ==
			    NULL;
	return 1;
}

int
str_eq_nocase(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

static char	*str_vis_as(char *, size_t, const char *, int);

char *
str_vis(char *dst, size_t size, const char *s)
{
	return str_vis_as(dst, size, s, 0);
}

char *
str_vis_text(char *dst, size_t size, const char *s)
{
	return str_vis_as(dst, size, s, 1);
}

static char *
str_vis_as(char *dst, size_t size, const char *s, int keep_backslash)
{
	const uint8_t	*p = (const uint8_t *)s;
	size_t		 left = strlen(s), out = 0, fit = 0, n;
	ucs4_t		 uc;
	int		 len;
	char		 esc[5];

	if (size == 0)
		return dst;
	while (left > 0) {
		len = u8_mbtoucr(&uc, p, left);
		if (len > 0 && uc >= 0x20 && uc != 0x7f &&
		    (uc != '\\' || keep_backslash) &&
		    !(uc >= 0x80 && uc < 0xa0)) {
			n = (size_t)len;
			if (out + n + 1 > size)
				goto truncated;
			memcpy(dst + out, p, n);
		} else {
			if (len <= 0)
				len = 1;
			if (len == 1) {
				n = 4;
				snprintf(esc, sizeof esc, "\\x%02x", *p);
			} else {
				/* C1 controls: two bytes, escape both. */
				n = 8;
			}
			if (out + n + 1 > size)
				goto truncated;
			if (len == 1)
				memcpy(dst + out, esc, 4);
			else {
				snprintf(dst + out, 9, "\\x%02x\\x%02x", p[0],
				    p[1]);
			}
		}
		out += n;
		p += len;
		left -= (size_t)len;
		/* Where "..." could go without cutting a UTF-8 sequence or
		 * an escape in half. */
		if (out + 4 <= size)
			fit = out;
	}
	dst[out] = '\0';
	return dst;

truncated:
	if (size >= 4)
		memcpy(dst + fit, "...", 4);
	else
		dst[size - 1 < out ? size - 1 : out] = '\0';
	return dst;
}

char *
str_like_pattern(const char *text)
{
	char	*out, *o;

	o = out = xmalloc(2 * strlen(text) + 3);
	*o++ = '%';
	for (; *text != '\0'; text++) {
		if (*text == '%' || *text == '_' || *text == '\\')
			*o++ = '\\';
		*o++ = *text;
	}
	*o++ = '%';
	*o = '\0';
	return out;
}

int
str_csv_formula(const char *s)
{
	char	*end;

	if (*s == '\0' || strchr("=+-@\t\r", *s) == NULL)
		return 0;
	(void)strtod(s, &end);
	return *end != '\0' || end == s;
}

static void
quote_into(char *dst, size_t size, const char *s)
{
	char	 vis[128];

	snprintf(dst, size, "\"%s\"", str_vis(vis, sizeof vis, s));
}

int
str_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out,
    char *err, size_t errlen)
{
	char		 q[160];
	char		*end;
	long long	 v;

	quote_into(q, sizeof q, s);
	if (*s == '\0' || isspace((unsigned char)*s)) {
		snprintf(err, errlen, "%s: not an integer", q);
		return -1;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0') {
		snprintf(err, errlen, "%s: not an integer", q);
		return -1;
	}
	if (errno == ERANGE || v < min || v > max) {
		snprintf(err, errlen, "%s: out of range (%" PRId64 "..%"
		    PRId64 ")", q, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int
str_parse_bool(const char *s, int *out, char *err, size_t errlen)
{
	static const char *const yes[] = { "yes", "true", "on", "1", NULL };
	static const char *const no[] = { "no", "false", "off", "0", NULL };
	char	 q[160];
	size_t	 i;

	for (i = 0; yes[i] != NULL; i++) {
		if (str_eq_nocase(s, yes[i])) {
			*out = 1;
			return 0;
		}
		if (str_eq_nocase(s, no[i])) {
			*out = 0;
			return 0;
		}
	}
	quote_into(q, sizeof q, s);
	snprintf(err, errlen, "%s: not a boolean (use yes or no)", q);
	return -1;
}

struct unit {
	const char	*suffix;
	int64_t		 factor;
};

/* Parses "<digits><unit>" with units from a table; "" unit allowed. */
static int
parse_with_units(const char *s, const struct unit *units, int64_t *out)
{
	char		*end;
	long long	 v;
	size_t		 i;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return -2;
	for (i = 0; units[i].suffix != NULL; i++) {
		if (strcmp(end, units[i].suffix) != 0)
			continue;
		if (v > INT64_MAX / units[i].factor)
			return -2;
		*out = v * units[i].factor;
		return 0;
	}
	return -1;
}

int
str_parse_duration_ms(const char *s, int64_t *out, char *err, size_t errlen)
{
	static const struct unit units[] = {
		{ "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 },
		{ "h", 3600000 }, { "d", 86400000 }, { "w", 604800000 },
		{ NULL, 0 },
	};
	char	 q[160];
	int	 rc;

	if ((rc = parse_with_units(s, units, out)) == 0)
		return 0;
	quote_into(q, sizeof q, s);
	if (rc == -2)
		snprintf(err, errlen, "%s: duration too large", q);
	else
		snprintf(err, errlen, "%s: not a duration (use e.g. 500ms, "
		    "90s, 5m, 2h, 7d)", q);
	return -1;
}

int
str_parse_size(const char *s, int64_t *out, char *err, size_t errlen)
{
	static const struct unit units[] = {
		{ "", 1 }, { "B", 1 },
		{ "k", 1024 }, { "K", 1024 }, { "KiB", 1024 }, { "KB", 1024 },
		{ "M", 1048576 }, { "MiB", 1048576 }, { "MB", 1048576 },
		{ "G", 1073741824 }, { "GiB", 1073741824 },
		{ "GB", 1073741824 },
		{ "T", 1099511627776LL }, { "TiB", 1099511627776LL },
		{ "TB", 1099511627776LL },
		{ NULL, 0 },
	};
	char	 q[160];
	int	 rc;

	if ((rc = parse_with_units(s, units, out)) == 0)
		return 0;
	quote_into(q, sizeof q, s);
	if (rc == -2)
		snprintf(err, errlen, "%s: size too large", q);
	else
		snprintf(err, errlen, "%s: not a size (use e.g. 512k, 10M, "
		    "2G)", q);
	return -1;
}

char *
str_format_duration_ms(char *dst, size_t size, int64_t ms)
{
	static const struct unit units[] = {
		{ "w", 604800000 }, { "d", 86400000 }, { "h", 3600000 },
		{ "m", 60000 }, { "s", 1000 }, { NULL, 0 },
	};
	size_t	 i;

	for (i = 0; units[i].suffix != NULL; i++) {
		if (ms != 0 && ms % units[i].factor == 0) {
			snprintf(dst, size, "%" PRId64 "%s",
			    ms / units[i].factor, units[i].suffix);
			return dst;
		}
	}
	snprintf(dst, size, ms == 0 ? "0s" : "%" PRId64 "ms", ms);
	return dst;
}

char *
str_format_size(char *dst, size_t size, int64_t bytes)
{
	static const struct unit units[] = {
		{ "T", 1099511627776LL }, { "G", 1073741824 },
		{ "M", 1048576 }, { "k", 1024 }, { NULL, 0 },
	};
	size_t	 i;

	for (i = 0; units[i].suffix != NULL; i++) {
		if (bytes != 0 && bytes % units[i].factor == 0) {
			snprintf(dst, size, "%" PRId64 "%s",
			    bytes / units[i].factor, units[i].suffix);
			return dst;
		}
	}
	snprintf(dst, size, "%" PRId64, bytes);
	return dst;
}

size_t
str_split(const char *s, const char *seps, char ***out)
{
	char	**list = NULL;
	size_t	  n = 0, len;

	while (*s != '\0') {
		s += strspn(s, seps);
		if (*s == '\0')
			break;
		len = strcspn(s, seps);
		list = xreallocarray(list, n + 1, sizeof *list);
		list[n++] = xstrndup(s, len);
		s += len;
	}
	*out = list;
	return n;
}

void
str_list_free(char **list, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}
