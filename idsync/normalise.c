/* normalise.c: names as compared: Unicode compatibility decomposition,
 * case folding, diacritics removed, letters NFKD leaves whole transliterated
 * (ø ł đ æ ...), punctuation turned into token breaks; and name tokens. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "common/buf.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "idsync/idsync.h"

/* Longest input normalised; directory names are far shorter. */
#define NORMALISE_MAX	4096

/*
 * Letters that compatibility decomposition does not split into a base
 * letter and marks, in their case-folded forms, and what a British
 * registry clerk would type for them.
 */
static const struct {
	ucs4_t		 uc;
	const char	*ascii;
} normalise_translit[] = {
	{ 0x00df, "ss" },	/* ß (case folding already gives ss) */
	{ 0x00e6, "ae" },	/* æ */
	{ 0x00f0, "d" },	/* ð */
	{ 0x00f8, "o" },	/* ø */
	{ 0x00fe, "th" },	/* þ */
	{ 0x0111, "d" },	/* đ */
	{ 0x0127, "h" },	/* ħ */
	{ 0x0131, "i" },	/* dotless ı */
	{ 0x0138, "k" },	/* ĸ */
	{ 0x0142, "l" },	/* ł */
	{ 0x014b, "ng" },	/* ŋ */
	{ 0x0153, "oe" },	/* œ */
	{ 0x0167, "t" },	/* ŧ */
	{ 0x0180, "b" },	/* ƀ */
	{ 0x0183, "b" },	/* ƃ */
	{ 0x0188, "c" },	/* ƈ */
	{ 0x018c, "d" },	/* ƌ */
	{ 0x0192, "f" },	/* ƒ */
	{ 0x0199, "k" },	/* ƙ */
	{ 0x019a, "l" },	/* ƚ */
	{ 0x01b4, "y" },	/* ƴ */
	{ 0x01b6, "z" },	/* ƶ */
	{ 0x0225, "z" },	/* ȥ */
	{ 0x0234, "l" },	/* ȴ */
	{ 0x0237, "j" },	/* ȷ */
	{ 0x0247, "e" },	/* ɇ */
	{ 0x0249, "j" },	/* ɉ */
	{ 0x0259, "e" },	/* ə */
	{ 0x0268, "i" },	/* ɨ */
	{ 0x1d7d, "p" },	/* ᵽ */
};

static const char *
normalise_lookup(ucs4_t uc)
{
	size_t	 i;

	for (i = 0; i < sizeof normalise_translit /
	    sizeof normalise_translit[0]; i++)
		if (normalise_translit[i].uc == uc)
			return normalise_translit[i].ascii;
	return NULL;
}

/* Apostrophes join ("O'Brien" is "obrien"); they are not token breaks. */
static int
normalise_is_apostrophe(ucs4_t uc)
{
	return uc == 0x0027 || uc == 0x2019 || uc == 0x2018 || uc == 0x02bc ||
	    uc == 0x0060 || uc == 0x00b4;
}

/* normalise_text of ASCII: what folding and the categories come to there,
 * without them (most names and values are ASCII, and libunistring's NFKD
 * folding was a third of preparing 300 000 accounts' values). */
static char *
normalise_ascii(const char *s, size_t len)
{
	char	*out = xmalloc(len + 1), c;
	size_t	 i, n = 0;
	int	 gap = 0;

	for (i = 0; i < len; i++) {
		c = s[i];
		if (c == '\'' || c == '`')
			continue;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		else if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9')) {
			gap = n > 0;
			continue;
		}
		if (gap)
			out[n++] = ' ';
		gap = 0;
		out[n++] = c;
	}
	out[n] = '\0';
	return out;
}

/*
 * Returns the normalised form of the len bytes at s, malloc'd: lower-case,
 * letters and digits only, tokens separated by one space. Letters of
 * scripts without a Latin form are kept (as UTF-8). Invalid UTF-8 bytes
 * are token breaks. Never NULL; "" when nothing is left.
 */
char *
normalise_text(const char *s, size_t len)
{
	uint8_t		*folded;
	size_t		 flen = 0, i;
	struct buf	 out;
	const char	*t;
	ucs4_t		 uc;
	int		 n, gap = 0;
	uint8_t		 enc[6];

	if (len > NORMALISE_MAX)
		len = NORMALISE_MAX;
	for (i = 0; i < len && (unsigned char)s[i] < 0x80; i++)
		;
	if (i == len)
		return normalise_ascii(s, len);
	buf_init(&out, 0);
	/* Case folding to NFKD in one step; invalid input fails here. */
	folded = u8_casefold((const uint8_t *)s, len, NULL, UNINORM_NFKD, NULL,
	    &flen);
	if (folded == NULL) {
		/* Keep what is valid: fold each valid character on its own. */
		struct buf	 valid;

		buf_init(&valid, 0);
		for (i = 0; i < len; i += (size_t)(n > 0 ? n : 1)) {
			n = u8_mbtoucr(&uc, (const uint8_t *)s + i, len - i);
			if (n < 0)
				buf_append_char(&valid, ' ');
			else
				buf_append(&valid, s + i, (size_t)n);
		}
		folded = u8_casefold((const uint8_t *)buf_cstr(&valid),
		    valid.len, NULL, UNINORM_NFKD, NULL, &flen);
		buf_free(&valid);
		if (folded == NULL)
			return buf_detach(&out, NULL);
	}
	for (i = 0; i < flen; i += (size_t)n) {
		n = u8_mbtouc(&uc, folded + i, flen - i);
		if (uc_is_general_category(uc, UC_CATEGORY_M) ||
		    normalise_is_apostrophe(uc))
			continue;
		t = NULL;
		if (uc >= 0x80)
			t = normalise_lookup(uc);
		if (t == NULL && !uc_is_general_category(uc, UC_CATEGORY_L) &&
		    !uc_is_general_category(uc, UC_CATEGORY_N)) {
			gap = out.len > 0;
			continue;
		}
		if (gap)
			buf_append_char(&out, ' ');
		gap = 0;
		if (t != NULL)
			buf_append_str(&out, t);
		else if (uc < 0x80)
			buf_append_char(&out, (char)uc);
		else {
			/* Already folded; keep the letter as it is. */
			int	 m = u8_uctomb(enc, uc, sizeof enc);

			if (m > 0)
				buf_append(&out, enc, (size_t)m);
		}
	}
	free(folded);
	return buf_detach(&out, NULL);
}

/* Splits a normalised string into its tokens; free with str_list_free. */
size_t
normalise_tokens(const char *norm, char ***tokens)
{
	return str_split(norm, " ", tokens);
}

/* Keeps only the ASCII digits of s ("+44 (0)1268 524900" -> "440126..."). */
char *
normalise_digits(const char *s)
{
	struct buf	 out;

	buf_init(&out, 0);
	for (; *s != '\0'; s++)
		if (*s >= '0' && *s <= '9')
			buf_append_char(&out, *s);
	return buf_detach(&out, NULL);
}
