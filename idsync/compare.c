/* compare.c: the comparators a [compare "ATTRIBUTE"] section names, each
 * saying whether two accounts' values agree, partly agree, disagree, or
 * cannot be compared; and Jaro-Winkler similarity. A new comparator is a
 * function here and a line in compare_table. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unistr.h>

#include "common/str.h"
#include "common/xmalloc.h"
#include "idsync/idsync.h"

/* Names compared by Jaro-Winkler: longer ones are cut. */
#define JW_MAX		64
/* At or above this similarity, two names differ by a slip of the keyboard. */
#define JW_PARTIAL	0.90
/* Phone numbers: the last digits, which survive +44 versus 0 prefixes. */
#define DIGITS_KEEP	9
#define DIGITS_MIN	7

/* raw prepared for comparator kind: normalised and split into tokens
 * only if kind reads those (300 000 identifiers need neither). */
void
compare_value_init(struct compare_value *v, const char *raw,
    enum compare_kind kind)
{
	memset(v, 0, sizeof *v);
	if (raw == NULL)
		return;
	v->raw = raw;
	if (!compare_table[kind].norm)
		return;
	v->norm = normalise_text(raw, strlen(raw));
	v->ntokens = normalise_tokens(v->norm, &v->tokens);
}

void
compare_value_clear(struct compare_value *v)
{
	free(v->norm);
	str_list_free(v->tokens, v->ntokens);
	memset(v, 0, sizeof *v);
}

static size_t
compare_utf32(const char *s, ucs4_t *out, size_t max)
{
	size_t	 n = 0, len = strlen(s), i;
	int	 m;

	for (i = 0; i < len && n < max; i += (size_t)m) {
		m = u8_mbtouc(&out[n], (const uint8_t *)s + i, len - i);
		n++;
	}
	return n;
}

/* Jaro-Winkler similarity of two UTF-8 strings, 0..1, by code point. */
double
compare_jaro_winkler(const char *a, const char *b)
{
	ucs4_t	 ua[JW_MAX], ub[JW_MAX];
	char	 ma[JW_MAX], mb[JW_MAX];
	size_t	 la, lb, window, i, j, lo, hi, matches = 0, half = 0, k;
	size_t	 prefix = 0;
	double	 jaro;

	la = compare_utf32(a, ua, JW_MAX);
	lb = compare_utf32(b, ub, JW_MAX);
	if (la == 0 && lb == 0)
		return 1.0;
	if (la == 0 || lb == 0)
		return 0.0;
	window = (la > lb ? la : lb) / 2;
	window = window > 0 ? window - 1 : 0;
	memset(ma, 0, sizeof ma);
	memset(mb, 0, sizeof mb);
	for (i = 0; i < la; i++) {
		lo = i > window ? i - window : 0;
		hi = i + window + 1 < lb ? i + window + 1 : lb;
		for (j = lo; j < hi; j++) {
			if (mb[j] || ua[i] != ub[j])
				continue;
			ma[i] = mb[j] = 1;
			matches++;
			break;
		}
	}
	if (matches == 0)
		return 0.0;
	for (i = 0, k = 0; i < la; i++) {
		if (!ma[i])
			continue;
		while (!mb[k])
			k++;
		if (ua[i] != ub[k])
			half++;
		k++;
	}
	jaro = ((double)matches / (double)la + (double)matches / (double)lb +
	    ((double)matches - (double)half / 2.0) / (double)matches) / 3.0;
	while (prefix < 4 && prefix < la && prefix < lb &&
	    ua[prefix] == ub[prefix])
		prefix++;
	return jaro + (double)prefix * 0.1 * (1.0 - jaro);
}

static int
compare_missing(const struct compare_value *a, const struct compare_value *b)
{
	return a->raw == NULL || b->raw == NULL || *a->norm == '\0' ||
	    *b->norm == '\0';
}

/* Byte for byte, apart from surrounding blanks and ASCII case: how
 * identifiers are compared ("E100234" is "e100234"). */
const char *
compare_exact_trim(const char *s, size_t len, size_t *n)
{
	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	*n = len;
	return s;
}

static enum compare_level
compare_exact(const struct compare_value *a, const struct compare_value *b,
    const struct nicknames *nk)
{
	const char	*x, *y;
	size_t		 lx, ly;

	(void)nk;
	if (a->raw == NULL || b->raw == NULL)
		return COMPARE_MISSING;
	x = compare_exact_trim(a->raw, strlen(a->raw), &lx);
	y = compare_exact_trim(b->raw, strlen(b->raw), &ly);
	if (lx == 0 || ly == 0)
		return COMPARE_MISSING;
	return lx == ly && strncasecmp(x, y, lx) == 0 ? COMPARE_AGREE :
	    COMPARE_DISAGREE;
}

static enum compare_level
compare_normalised(const struct compare_value *a,
    const struct compare_value *b, const struct nicknames *nk)
{
	(void)nk;
	if (compare_missing(a, b))
		return COMPARE_MISSING;
	return strcmp(a->norm, b->norm) == 0 ? COMPARE_AGREE :
	    COMPARE_DISAGREE;
}

static int
compare_in(char *const *tokens, size_t n, const char *t)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(tokens[i], t) == 0)
			return 1;
	return 0;
}

static int
compare_has_token(const struct compare_value *v, const char *t)
{
	return compare_in(v->tokens, v->ntokens, t);
}

/* Every token of the shorter is in the longer. */
static int
compare_subset(const struct compare_value *a, const struct compare_value *b)
{
	const struct compare_value *s = a, *l = b;
	size_t			    i;

	if (a->ntokens > b->ntokens) {
		s = b;
		l = a;
	}
	if (s->ntokens == 0)
		return 0;
	for (i = 0; i < s->ntokens; i++)
		if (!compare_has_token(l, s->tokens[i]))
			return 0;
	return 1;
}

/*
 * Names: equal after normalisation, or the first names are forms of one
 * another (Bob, Robert) and the rest is equal: agree. One name inside the
 * other (Smith, Smith-Jones; Mary, Mary Anne), an initial for a name, or a
 * typing slip (Jaro-Winkler >= 0.90): partly.
 */
static enum compare_level
compare_name(const struct compare_value *a, const struct compare_value *b,
    const struct nicknames *nk)
{
	const struct compare_value *i1 = a, *n1 = b;
	size_t			    i;

	if (compare_missing(a, b))
		return COMPARE_MISSING;
	if (strcmp(a->norm, b->norm) == 0)
		return COMPARE_AGREE;
	if (a->ntokens == b->ntokens && nickname_same(nk, a->tokens[0],
	    b->tokens[0])) {
		for (i = 1; i < a->ntokens; i++)
			if (strcmp(a->tokens[i], b->tokens[i]) != 0)
				break;
		if (i == a->ntokens)
			return COMPARE_AGREE;
	}
	if (compare_subset(a, b))
		return COMPARE_PARTIAL;
	if (b->ntokens == 1 && strlen(b->tokens[0]) == 1) {
		i1 = b;
		n1 = a;
	}
	if (i1->ntokens == 1 && strlen(i1->tokens[0]) == 1 &&
	    n1->tokens[0][0] == i1->tokens[0][0])
		return COMPARE_PARTIAL;
	if (compare_jaro_winkler(a->norm, b->norm) >= JW_PARTIAL)
		return COMPARE_PARTIAL;
	return COMPARE_DISAGREE;
}

/* Token sets: the same words in any order agree; half of them, partly. */
static enum compare_level
compare_tokens(const struct compare_value *a, const struct compare_value *b,
    const struct nicknames *nk)
{
	size_t	 i, common = 0, all = 0;

	(void)nk;
	if (compare_missing(a, b))
		return COMPARE_MISSING;
	/* A repeated word counts once. */
	for (i = 0; i < a->ntokens; i++) {
		if (compare_in(a->tokens, i, a->tokens[i]))
			continue;
		all++;
		if (compare_has_token(b, a->tokens[i]))
			common++;
	}
	for (i = 0; i < b->ntokens; i++)
		if (!compare_in(b->tokens, i, b->tokens[i]) &&
		    !compare_has_token(a, b->tokens[i]))
			all++;
	if (common == all)
		return COMPARE_AGREE;
	return common * 2 >= all ? COMPARE_PARTIAL : COMPARE_DISAGREE;
}

/* "2026-11-23", "20261123", "23/11/2026" or a generalized time. */
static int
compare_parse_date(const char *s, int *y, int *m, int *d)
{
	int	 n = 0;

	if (sscanf(s, "%4d-%2d-%2d%n", y, m, d, &n) == 3 && n == 10)
		;
	else if (sscanf(s, "%2d/%2d/%4d%n", d, m, y, &n) == 3 && n == 10)
		;
	else if (strspn(s, "0123456789") >= 8 &&
	    sscanf(s, "%4d%2d%2d", y, m, d) == 3)
		;
	else
		return -1;
	if (*y < 1 || *m < 1 || *m > 12 || *d < 1 || *d > 31)
		return -1;
	return 0;
}

/* Dates: the same day agrees; day and month swapped (an American form
 * typed into a British field) partly. */
static enum compare_level
compare_date(const struct compare_value *a, const struct compare_value *b,
    const struct nicknames *nk)
{
	int	 ya, ma, da, yb, mb, db;

	(void)nk;
	if (a->raw == NULL || b->raw == NULL ||
	    compare_parse_date(a->raw, &ya, &ma, &da) == -1 ||
	    compare_parse_date(b->raw, &yb, &mb, &db) == -1)
		return COMPARE_MISSING;
	if (ya == yb && ma == mb && da == db)
		return COMPARE_AGREE;
	if (ya == yb && ma == db && da == mb)
		return COMPARE_PARTIAL;
	return COMPARE_DISAGREE;
}

/* One value starts the other (three characters at least): partly. */
static enum compare_level
compare_prefix(const struct compare_value *a, const struct compare_value *b,
    const struct nicknames *nk)
{
	size_t	 la, lb;

	(void)nk;
	if (compare_missing(a, b))
		return COMPARE_MISSING;
	if (strcmp(a->norm, b->norm) == 0)
		return COMPARE_AGREE;
	la = strlen(a->norm);
	lb = strlen(b->norm);
	if (la >= 3 && la < lb && strncmp(a->norm, b->norm, la) == 0)
		return COMPARE_PARTIAL;
	if (lb >= 3 && lb < la && strncmp(a->norm, b->norm, lb) == 0)
		return COMPARE_PARTIAL;
	return COMPARE_DISAGREE;
}

/* The last DIGITS_KEEP ASCII digits of s (fewer if it has fewer), in
 * order, at the end of buf; returns how many. */
static size_t
compare_last_digits(const char *s, char buf[DIGITS_KEEP])
{
	const char	*e = s + strlen(s);
	size_t		 n = 0;

	while (e > s && n < DIGITS_KEEP) {
		e--;
		if (*e >= '0' && *e <= '9')
			buf[DIGITS_KEEP - ++n] = *e;
	}
	return n;
}

/* Telephone numbers: the last nine digits, so "+44 1268 524900" and
 * "01268 524900" agree; fewer than seven digits cannot be compared. Made
 * for every pair of a block, so without allocating. */
static enum compare_level
compare_digits(const struct compare_value *a, const struct compare_value *b,
    const struct nicknames *nk)
{
	char	 da[DIGITS_KEEP], db[DIGITS_KEEP];
	size_t	 la, lb, n;

	(void)nk;
	if (a->raw == NULL || b->raw == NULL)
		return COMPARE_MISSING;
	la = compare_last_digits(a->raw, da);
	lb = compare_last_digits(b->raw, db);
	n = la < lb ? la : lb;
	if (n < DIGITS_MIN)
		return COMPARE_MISSING;
	return memcmp(da + DIGITS_KEEP - n, db + DIGITS_KEEP - n, n) == 0 ?
	    COMPARE_AGREE : COMPARE_DISAGREE;
}

const char *const compare_names[] = {
	"exact", "normalised", "name", "tokens", "date", "prefix", "digits",
	NULL
};

const struct compare_entry compare_table[] = {
	[COMPARE_EXACT] = { compare_exact, 0 },
	[COMPARE_NORMALISED] = { compare_normalised, 1 },
	[COMPARE_NAME] = { compare_name, 1 },
	[COMPARE_TOKENS] = { compare_tokens, 1 },
	[COMPARE_DATE] = { compare_date, 0 },
	[COMPARE_PREFIX] = { compare_prefix, 1 },
	[COMPARE_DIGITS] = { compare_digits, 0 },
};

const char *
compare_level_name(enum compare_level level)
{
	switch (level) {
	case COMPARE_AGREE:
		return "agree";
	case COMPARE_PARTIAL:
		return "partial";
	case COMPARE_DISAGREE:
		return "disagree";
	case COMPARE_MISSING:
		break;
	}
	return "missing";
}
