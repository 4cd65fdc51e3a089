/* decode.c: Active Directory attribute values as they come off the wire:
 * objectGUID, objectSid, integers and FILETIMEs, generalized time,
 * userAccountControl, proxyAddresses and ranged attribute names; and the
 * DirSync response control. */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/str.h"
#include "common/wtime.h"
#include "idsync/idsync.h"

/* Windows writes the first three fields of a GUID little-endian. */
int
decode_guid(const unsigned char *v, size_t len, char *dst, size_t size,
    char *err, size_t errlen)
{
	static const char		 hex[] = "0123456789abcdef";
	static const unsigned char	 order[16] = { 3, 2, 1, 0, 5, 4, 7, 6,
	    8, 9, 10, 11, 12, 13, 14, 15 };
	size_t				 i, n;

	if (len != 16) {
		snprintf(err, errlen, "objectGUID is %zu bytes, not 16", len);
		return -1;
	}
	if (size < DECODE_GUID_LEN) {
		snprintf(err, errlen, "objectGUID: no room for the string");
		return -1;
	}
	/* Byte by byte: printf took a microsecond a GUID, read for every
	 * account of every run. */
	for (i = 0, n = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			dst[n++] = '-';
		dst[n++] = hex[v[order[i]] >> 4];
		dst[n++] = hex[v[order[i]] & 0xf];
	}
	dst[n] = '\0';
	return 0;
}

/* v's decimal digits, ending at end (exclusive); returns where they
 * begin. */
static char *
decode_decimal(uint32_t v, char *end)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	return end;
}

/* "S-1-5-21-a-b-c-rid": revision, a 48-bit big-endian authority, then
 * little-endian 32-bit sub-authorities. */
int
decode_sid(const unsigned char *v, size_t len, char *dst, size_t size,
    char *err, size_t errlen)
{
	uint64_t	 authority = 0;
	uint32_t	 sub;
	size_t		 count, i, n, dl;
	char		 digits[10], *d;
	int		 w;

	if (len < 8) {
		snprintf(err, errlen, "objectSid is %zu bytes, shorter than "
		    "its 8-byte header", len);
		return -1;
	}
	if (v[0] != 1) {
		snprintf(err, errlen, "objectSid has revision %u, not 1",
		    v[0]);
		return -1;
	}
	count = v[1];
	if (count > 15 || len != 8 + 4 * count) {
		snprintf(err, errlen, "objectSid is %zu bytes but says it has "
		    "%zu sub-authorities", len, count);
		return -1;
	}
	for (i = 2; i < 8; i++)
		authority = authority << 8 | v[i];
	/* MS-DTYP 2.4.2.1: an authority of 2^32 or more is written in hex. */
	if (authority >= (1ULL << 32)) {
		w = snprintf(dst, size, "S-1-0x%012llx",
		    (unsigned long long)authority);
		if (w < 0 || (size_t)w >= size)
			goto small;
		n = (size_t)w;
	} else {
		/* As the sub-authorities: no printf for each SID read. */
		d = decode_decimal((uint32_t)authority, digits +
		    sizeof digits);
		dl = (size_t)(digits + sizeof digits - d);
		if (size < dl + 5)
			goto small;
		memcpy(dst, "S-1-", 4);
		memcpy(dst + 4, d, dl);
		n = 4 + dl;
		dst[n] = '\0';
	}
	for (i = 0; i < count; i++) {
		sub = (uint32_t)v[8 + 4 * i] |
		    (uint32_t)v[9 + 4 * i] << 8 |
		    (uint32_t)v[10 + 4 * i] << 16 |
		    (uint32_t)v[11 + 4 * i] << 24;
		d = decode_decimal(sub, digits + sizeof digits);
		dl = (size_t)(digits + sizeof digits - d);
		/* '-', the digits and the NUL. */
		if (size - n < dl + 2)
			goto small;
		dst[n++] = '-';
		memcpy(dst + n, d, dl);
		n += dl;
	}
	dst[n] = '\0';
	return 0;

small:
	snprintf(err, errlen, "objectSid: no room for the string");
	return -1;
}

/* LDAP INTEGER syntax: an optional '-', decimal digits, nothing else. */
int
decode_int64(const char *v, size_t len, int64_t *out, char *err,
    size_t errlen)
{
	char	 buf[32], vis[48];

	if (len == 0 || len >= sizeof buf) {
		snprintf(err, errlen, "not an integer (%zu characters)", len);
		return -1;
	}
	memcpy(buf, v, len);
	buf[len] = '\0';
	if (memchr(v, '\0', len) != NULL || buf[0] == '+' ||
	    str_parse_int64(buf, INT64_MIN, INT64_MAX, out, NULL, 0) == -1) {
		snprintf(err, errlen, "\"%s\": not an integer",
		    str_vis(vis, sizeof vis, buf));
		return -1;
	}
	return 0;
}

int
decode_filetime(const char *v, size_t len, int64_t *unix_ms, char *err,
    size_t errlen)
{
	int64_t	 ft;

	if (decode_int64(v, len, &ft, err, errlen) == -1)
		return -1;
	if (ft < 0) {
		snprintf(err, errlen, "FILETIME %lld is negative",
		    (long long)ft);
		return -1;
	}
	if (ft == 0)
		*unix_ms = 0;
	else if (ft == WTIME_FILETIME_NEVER)
		*unix_ms = INT64_MAX;
	else
		*unix_ms = wtime_filetime_to_unix_ms(ft);
	return 0;
}

/* Both 0 and 0x7FFFFFFFFFFFFFFF mean the account never expires. */
int
decode_account_expires(const char *v, size_t len, int64_t *unix_ms,
    char *err, size_t errlen)
{
	int64_t	 ms;

	if (decode_filetime(v, len, &ms, err, errlen) == -1)
		return -1;
	*unix_ms = ms == 0 ? INT64_MAX : ms;
	return 0;
}

/* pwdLastSet 0: the password must be changed at the next logon. */
int
decode_pwd_last_set(const char *v, size_t len, int64_t *unix_ms,
    int *must_change, char *err, size_t errlen)
{
	if (decode_filetime(v, len, unix_ms, err, errlen) == -1)
		return -1;
	*must_change = *unix_ms == 0;
	return 0;
}

/* Syntax INTEGER is signed 32-bit in AD; flags read as unsigned. */
int
decode_uac(const char *v, size_t len, uint32_t *flags, char *err,
    size_t errlen)
{
	int64_t	 n;

	if (decode_int64(v, len, &n, err, errlen) == -1)
		return -1;
	if (n < INT32_MIN || n > UINT32_MAX) {
		snprintf(err, errlen, "userAccountControl %lld is out of range",
		    (long long)n);
		return -1;
	}
	*flags = (uint32_t)n;
	return 0;
}

static const struct {
	uint32_t	 flag;
	const char	*name;
} uac_names[] = {
	{ DECODE_UAC_DISABLED, "disabled" },
	{ 0x00000008, "home-dir-required" },
	{ DECODE_UAC_LOCKOUT, "locked-out" },
	{ 0x00000020, "password-not-required" },
	{ 0x00000040, "password-cannot-change" },
	{ 0x00000080, "encrypted-password-allowed" },
	{ 0x00000100, "temp-duplicate-account" },
	{ DECODE_UAC_NORMAL, "normal-account" },
	{ 0x00000800, "interdomain-trust" },
	{ 0x00001000, "workstation-trust" },
	{ 0x00002000, "server-trust" },
	{ DECODE_UAC_DONT_EXPIRE, "password-never-expires" },
	{ 0x00020000, "mns-logon" },
	{ 0x00040000, "smartcard-required" },
	{ 0x00080000, "trusted-for-delegation" },
	{ 0x00100000, "not-delegated" },
	{ 0x00200000, "des-key-only" },
	{ 0x00400000, "no-preauth" },
	{ DECODE_UAC_PASSWORD_EXPIRED, "password-expired" },
	{ 0x01000000, "trusted-to-auth-for-delegation" },
	{ 0x04000000, "partial-secrets-account" },
};

/* "normal-account,disabled"; unknown bits as "0x...". Returns dst. */
char *
decode_uac_flags(uint32_t flags, char *dst, size_t size)
{
	char	 hex[16];
	size_t	 i;

	if (size == 0)
		return dst;
	*dst = '\0';
	for (i = 0; i < sizeof uac_names / sizeof uac_names[0]; i++) {
		if (!(flags & uac_names[i].flag))
			continue;
		if (*dst != '\0')
			str_append(dst, ",", size);
		str_append(dst, uac_names[i].name, size);
		flags &= ~uac_names[i].flag;
	}
	if (flags != 0) {
		snprintf(hex, sizeof hex, "0x%x", flags);
		if (*dst != '\0')
			str_append(dst, ",", size);
		str_append(dst, hex, size);
	}
	return dst;
}

/*
 * "SMTP:jo@btuh.test" (the primary address), "smtp:jo@meht.test" (a
 * secondary one), "X500:/o=...", "sip:...". The type is what precedes the
 * first ':'; an all-uppercase type marks the primary of its kind.
 */
int
decode_proxy(const char *v, size_t len, struct decode_proxy *out, char *err,
    size_t errlen)
{
	const char	*colon;
	size_t		 tlen, i;
	int		 upper = 1, lower = 1;
	char		 vis[64], shown[48];

	memset(out, 0, sizeof *out);
	colon = memchr(v, ':', len);
	if (colon == NULL || colon == v) {
		snprintf(shown, sizeof shown, "%.*s", len > 40 ? 40 : (int)len,
		    v);
		snprintf(err, errlen, "proxy address \"%s\" has no TYPE: "
		    "prefix", str_vis(vis, sizeof vis, shown));
		return -1;
	}
	tlen = (size_t)(colon - v);
	if (tlen >= sizeof out->type) {
		snprintf(err, errlen, "proxy address type is %zu characters "
		    "long", tlen);
		return -1;
	}
	for (i = 0; i < tlen; i++) {
		if (!isalnum((unsigned char)v[i])) {
			shown[0] = v[i];
			shown[1] = '\0';
			snprintf(err, errlen, "proxy address type contains "
			    "'%s'", str_vis(vis, sizeof vis, shown));
			return -1;
		}
		if (islower((unsigned char)v[i]))
			upper = 0;
		if (isupper((unsigned char)v[i]))
			lower = 0;
		out->type[i] = (char)tolower((unsigned char)v[i]);
	}
	out->type[tlen] = '\0';
	/* A type of digits only ("400") is neither: call it secondary. */
	out->primary = upper && !lower;
	out->address = colon + 1;
	out->address_len = len - tlen - 1;
	if (out->address_len == 0) {
		snprintf(err, errlen, "proxy address of type %s is empty",
		    out->type);
		return -1;
	}
	if (memchr(out->address, '\0', out->address_len) != NULL) {
		snprintf(err, errlen, "proxy address contains a NUL byte");
		return -1;
	}
	return 0;
}

static int
decode_range_bound(const char *s, size_t len, int64_t *out)
{
	int64_t	 v = 0;
	size_t	 i;

	if (len == 0 || len > 10)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	*out = v;
	return 0;
}

/*
 * An attribute description as AD returns it when a multi-valued attribute
 * has more values than MaxValRange: "member;range=0-1499", the last piece
 * "member;range=1500-*". Other options are kept in the name.
 */
int
decode_range(const char *desc, size_t len, struct decode_range *out,
    char *err, size_t errlen)
{
	const char	*p, *end = desc + len, *opt, *opt_end, *dash;
	size_t		 n = 0, i;
	int64_t		 lo, hi;
	char		 vis[128], shown[64];

	memset(out, 0, sizeof *out);
	out->high = -1;
	if (len == 0 || memchr(desc, '\0', len) != NULL) {
		snprintf(err, errlen, "empty or invalid attribute "
		    "description");
		return -1;
	}
	p = memchr(desc, ';', len);
	if (p == NULL)
		p = end;
	if (p == desc || (size_t)(p - desc) >= sizeof out->name)
		goto bad;
	for (i = 0; desc + i < p; i++) {
		if (!isalnum((unsigned char)desc[i]) && desc[i] != '-' &&
		    desc[i] != '.')
			goto bad;
	}
	memcpy(out->name, desc, (size_t)(p - desc));
	n = (size_t)(p - desc);
	while (p < end) {
		opt = p + 1;
		opt_end = memchr(opt, ';', (size_t)(end - opt));
		if (opt_end == NULL)
			opt_end = end;
		if (opt_end == opt)
			goto bad;
		if ((size_t)(opt_end - opt) > 6 &&
		    strncasecmp(opt, "range=", 6) == 0) {
			if (out->ranged)
				goto bad;
			opt += 6;
			dash = memchr(opt, '-', (size_t)(opt_end - opt));
			if (dash == NULL || decode_range_bound(opt,
			    (size_t)(dash - opt), &lo) == -1)
				goto bad;
			if (opt_end - dash == 2 && dash[1] == '*')
				hi = -1;
			else if (decode_range_bound(dash + 1,
			    (size_t)(opt_end - dash - 1), &hi) == -1 ||
			    hi < lo)
				goto bad;
			out->ranged = 1;
			out->low = lo;
			out->high = hi;
		} else {
			for (i = 0; opt + i < opt_end; i++) {
				if (!isalnum((unsigned char)opt[i]) &&
				    opt[i] != '-')
					goto bad;
			}
			if (n + 1 + (size_t)(opt_end - opt) >=
			    sizeof out->name)
				goto bad;
			out->name[n++] = ';';
			memcpy(out->name + n, opt, (size_t)(opt_end - opt));
			n += (size_t)(opt_end - opt);
		}
		p = opt_end;
	}
	out->name[n] = '\0';
	return 0;

bad:
	snprintf(shown, sizeof shown, "%.*s", len > 60 ? 60 : (int)len, desc);
	snprintf(err, errlen, "\"%s\": not an attribute description "
	    "(name[;option...][;range=LOW-HIGH|LOW-*])",
	    str_vis(vis, sizeof vis, shown));
	return -1;
}

static int
decode_digits(const char **pp, const char *end, int n, int *out)
{
	int	 v = 0, i;

	if (end - *pp < n)
		return -1;
	for (i = 0; i < n; i++) {
		if ((*pp)[i] < '0' || (*pp)[i] > '9')
			return -1;
		v = v * 10 + ((*pp)[i] - '0');
	}
	*pp += n;
	*out = v;
	return 0;
}

/* Generalized time as AD writes whenChanged: "20261123140305.0Z". */
int
decode_generalized_time(const char *v, size_t len, int64_t *unix_ms,
    char *err, size_t errlen)
{
	static const unsigned char mdays[] = {
		31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	const char	*p = v, *end = v + len;
	int		 y, mo, d, h, mi, s = 0, ms = 0, digits = 0, sign;
	int		 oh, om, leap;
	int64_t		 off_s = 0;
	char		 vis[64], shown[40];

	if (decode_digits(&p, end, 4, &y) == -1 ||
	    decode_digits(&p, end, 2, &mo) == -1 ||
	    decode_digits(&p, end, 2, &d) == -1 ||
	    decode_digits(&p, end, 2, &h) == -1 ||
	    decode_digits(&p, end, 2, &mi) == -1)
		goto bad;
	if (p < end && *p >= '0' && *p <= '9' &&
	    decode_digits(&p, end, 2, &s) == -1)
		goto bad;
	if (p < end && (*p == '.' || *p == ',')) {
		for (p++; p < end && *p >= '0' && *p <= '9'; p++, digits++)
			if (digits < 3)
				ms = ms * 10 + (*p - '0');
		if (digits == 0)
			goto bad;
		for (; digits < 3; digits++)
			ms *= 10;
	}
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 || s > 60)
		goto bad;
	if (p < end && *p == 'Z')
		p++;
	else if (p < end && (*p == '+' || *p == '-')) {
		sign = *p++ == '-' ? -1 : 1;
		if (decode_digits(&p, end, 2, &oh) == -1)
			goto bad;
		om = 0;
		if (p < end && decode_digits(&p, end, 2, &om) == -1)
			goto bad;
		if (oh > 23 || om > 59)
			goto bad;
		off_s = sign * ((int64_t)oh * 3600 + om * 60);
	} else
		goto bad;
	if (p != end)
		goto bad;
	if (s == 60)
		s = 59;	/* a leap second: Unix time has none */
	*unix_ms = (wtime_days_from_civil(y, (unsigned)mo, (unsigned)d) *
	    86400 + h * 3600 + mi * 60 + s - off_s) * 1000 + ms;
	return 0;

bad:
	snprintf(shown, sizeof shown, "%.*s", len > 32 ? 32 : (int)len, v);
	snprintf(err, errlen, "\"%s\": not a generalized time "
	    "(YYYYMMDDHHMMSS[.f]Z)", str_vis(vis, sizeof vis, shown));
	return -1;
}

/*
 * One BER element at *pp: its tag must be tag, its length definite and
 * within end. *val and *len get its contents, *pp the byte after it.
 */
static int
decode_ber(const unsigned char **pp, const unsigned char *end,
    unsigned char tag, const char *what, const unsigned char **val,
    size_t *len, char *err, size_t errlen)
{
	const unsigned char	*p = *pp;
	size_t			 n, i, bytes;

	if (end - p < 2) {
		snprintf(err, errlen, "%s: cut short", what);
		return -1;
	}
	if (*p != tag) {
		snprintf(err, errlen, "%s: tag 0x%02x, not 0x%02x", what, *p,
		    tag);
		return -1;
	}
	p++;
	if (*p < 0x80)
		n = *p++;
	else {
		bytes = *p++ & 0x7f;
		/* 0x80 is the indefinite form, which DER and LDAP forbid. */
		if (bytes == 0 || bytes > 4) {
			snprintf(err, errlen, "%s: a length of %s", what,
			    bytes == 0 ? "indefinite form" : "over 4 bytes");
			return -1;
		}
		if ((size_t)(end - p) < bytes) {
			snprintf(err, errlen, "%s: cut short", what);
			return -1;
		}
		for (n = 0, i = 0; i < bytes; i++)
			n = n << 8 | *p++;
	}
	if ((size_t)(end - p) < n) {
		snprintf(err, errlen, "%s: %zu bytes long, but %zu are left",
		    what, n, (size_t)(end - p));
		return -1;
	}
	*val = p;
	*len = n;
	*pp = p + n;
	return 0;
}

static int
decode_ber_int(const unsigned char **pp, const unsigned char *end,
    const char *what, int64_t *out, char *err, size_t errlen)
{
	const unsigned char	*v;
	uint64_t		 u;
	size_t			 len, i;

	if (decode_ber(pp, end, 0x02, what, &v, &len, err, errlen) == -1)
		return -1;
	if (len == 0 || len > 8) {
		snprintf(err, errlen, "%s: an integer of %zu bytes", what,
		    len);
		return -1;
	}
	/* Two's complement, the sign from the first byte. */
	u = (v[0] & 0x80) ? UINT64_MAX : 0;
	for (i = 0; i < len; i++)
		u = u << 8 | v[i];
	*out = (int64_t)u;
	return 0;
}

/*
 * The value of the DirSync response control ([MS-ADTS] 3.1.1.3.4.1.3):
 * SEQUENCE { flag INTEGER, maxReturnLength INTEGER, cookie OCTET STRING },
 * flag non-zero when there is more to read with the new cookie.
 */
int
decode_dirsync(const unsigned char *v, size_t len,
    struct decode_dirsync *out, char *err, size_t errlen)
{
	const unsigned char	*p = v, *end = v + len, *seq, *send;
	size_t			 slen;

	memset(out, 0, sizeof *out);
	if (decode_ber(&p, end, 0x30, "the DirSync response", &seq, &slen,
	    err, errlen) == -1)
		return -1;
	if (p != end) {
		snprintf(err, errlen, "the DirSync response: %zu bytes after "
		    "it", (size_t)(end - p));
		return -1;
	}
	send = seq + slen;
	if (decode_ber_int(&seq, send, "its flag", &out->flags, err,
	    errlen) == -1 ||
	    decode_ber_int(&seq, send, "its maxReturnLength",
	    &out->max_bytes, err, errlen) == -1 ||
	    decode_ber(&seq, send, 0x04, "its cookie", &out->cookie,
	    &out->cookie_len, err, errlen) == -1)
		return -1;
	if (seq != send) {
		snprintf(err, errlen, "the DirSync response: %zu bytes after "
		    "its cookie", (size_t)(send - seq));
		return -1;
	}
	if (out->cookie_len > DECODE_COOKIE_MAX) {
		snprintf(err, errlen, "the DirSync response: a cookie of %zu "
		    "bytes, over %d", out->cookie_len, DECODE_COOKIE_MAX);
		return -1;
	}
	return 0;
}

/*
 * Search filters in their string form (RFC 4515), checked before any
 * server sees one: a filter with a parenthesis missing is otherwise only
 * "Bad search filter" from the first run. p walks the text, end its end;
 * each part returns 0 or -1 with err (where in the filter, and why).
 */
struct filter_scan {
	const char	*start;
	const char	*p;
	const char	*end;
	char		*err;
	size_t		 errlen;
};

#define FILTER_DEPTH_MAX	64

static int
filter_fail(struct filter_scan *f, const char *why)
{
	snprintf(f->err, f->errlen, "%s at character %zu", why,
	    (size_t)(f->p - f->start) + 1);
	return -1;
}

static int
filter_keychar(int c)
{
	return isalnum(c) || c == '-';
}

/* descr (a letter, then letters, digits, hyphens) or a numeric OID. */
static int
filter_name(struct filter_scan *f)
{
	const char	*s = f->p;

	if (f->p < f->end && isalpha((unsigned char)*f->p)) {
		while (f->p < f->end && filter_keychar((unsigned char)*f->p))
			f->p++;
		return 0;
	}
	while (f->p < f->end && isdigit((unsigned char)*f->p)) {
		while (f->p < f->end && isdigit((unsigned char)*f->p))
			f->p++;
		if (f->p < f->end && *f->p == '.' && f->p + 1 < f->end &&
		    isdigit((unsigned char)f->p[1]))
			f->p++;
		else
			break;
	}
	if (f->p == s)
		return filter_fail(f, "an attribute name expected");
	return 0;
}

/* An attribute description: a name, then ;options. */
static int
filter_attr(struct filter_scan *f)
{
	if (filter_name(f) == -1)
		return -1;
	while (f->p < f->end && *f->p == ';') {
		f->p++;
		if (f->p == f->end || !filter_keychar((unsigned char)*f->p))
			return filter_fail(f, "an attribute option expected");
		while (f->p < f->end && filter_keychar((unsigned char)*f->p))
			f->p++;
	}
	return 0;
}

/* An assertion value up to its ')': '(' and a lone '\' may not be in
 * it, '\' takes two hex digits; '*' only where stars may be. */
static int
filter_value(struct filter_scan *f, int stars)
{
	for (; f->p < f->end && *f->p != ')'; f->p++) {
		if (*f->p == '(')
			return filter_fail(f, "'(' in a value (write \\28)");
		if (*f->p == '*' && !stars)
			return filter_fail(f, "'*' in a value that takes "
			    "none (write \\2a)");
		if (*f->p != '\\')
			continue;
		/* RFC 2254's escapes, which libldap still takes. */
		if (f->end - f->p >= 2 && f->p[1] != '\0' &&
		    strchr("*()\\", f->p[1]) != NULL) {
			f->p++;
			continue;
		}
		if (f->end - f->p < 3 || !isxdigit((unsigned char)f->p[1]) ||
		    !isxdigit((unsigned char)f->p[2]))
			return filter_fail(f, "'\\' not followed by two hex "
			    "digits");
		f->p += 2;
	}
	return 0;
}

static int	filter_one(struct filter_scan *, int);

/* attr=value, attr~=, attr>=, attr<=, attr=*, substrings, or an
 * extensible match ([attr][:dn][:rule]:=value). */
static int
filter_item(struct filter_scan *f)
{
	int	 attr = 0, rule = 0;

	if (f->p < f->end && *f->p != ':') {
		if (filter_attr(f) == -1)
			return -1;
		attr = 1;
	}
	if (f->p < f->end && *f->p == ':') {
		if (f->end - f->p >= 3 && strncasecmp(f->p, ":dn", 3) == 0 &&
		    (f->end - f->p == 3 || f->p[3] == ':')) {
			f->p += 3;
		}
		if (f->end - f->p >= 2 && f->p[0] == ':' && f->p[1] != '=') {
			f->p++;
			if (filter_name(f) == -1)
				return -1;
			rule = 1;
		}
		if (f->end - f->p < 2 || f->p[0] != ':' || f->p[1] != '=')
			return filter_fail(f, "':=' expected");
		if (!attr && !rule)
			return filter_fail(f, "an extensible match names an "
			    "attribute or a matching rule");
		f->p += 2;
		return filter_value(f, 0);
	}
	if (f->p == f->end)
		return filter_fail(f, "'=' expected");
	if ((*f->p == '~' || *f->p == '>' || *f->p == '<') &&
	    f->p + 1 < f->end && f->p[1] == '=') {
		f->p += 2;
		return filter_value(f, 0);
	}
	if (*f->p != '=')
		return filter_fail(f, "'=', '~=', '>=', '<=' or ':=' expected");
	f->p++;
	return filter_value(f, 1);
}

/* Spaces inside a filter's parentheses, around its parts: libldap takes
 * them there, and nowhere else. */
static void
filter_space(struct filter_scan *f)
{
	while (f->p < f->end && (*f->p == ' ' || *f->p == '\t' ||
	    *f->p == '\n' || *f->p == '\r'))
		f->p++;
}

/* "(" filtercomp ")" */
static int
filter_one(struct filter_scan *f, int depth)
{
	if (depth > FILTER_DEPTH_MAX)
		return filter_fail(f, "filters nested too deep");
	if (depth > 0)
		filter_space(f);
	if (f->p == f->end || *f->p != '(')
		return filter_fail(f, "'(' expected");
	f->p++;
	filter_space(f);
	if (f->p < f->end && (*f->p == '&' || *f->p == '|')) {
		/* "(&)" and "(|)" are absolute true and false. */
		f->p++;
		for (filter_space(f); f->p < f->end && *f->p == '(';
		    filter_space(f))
			if (filter_one(f, depth + 1) == -1)
				return -1;
	} else if (f->p < f->end && *f->p == '!') {
		f->p++;
		if (filter_one(f, depth + 1) == -1)
			return -1;
	} else if (filter_item(f) == -1)
		return -1;
	if (f->p == f->end || *f->p != ')')
		return filter_fail(f, "')' expected");
	f->p++;
	return 0;
}

int
decode_filter_check(const char *v, size_t len, char *err, size_t errlen)
{
	struct filter_scan	 f;

	f.start = f.p = v;
	f.end = v + len;
	f.err = err;
	f.errlen = errlen;
	if (memchr(v, '\0', len) != NULL) {
		f.p = memchr(v, '\0', len);
		return filter_fail(&f, "a NUL byte");
	}
	/* libldap would search for every object. */
	if (len == 0) {
		snprintf(err, errlen, "empty");
		return -1;
	}
	/* A filter without its parentheses is one item (cn=x, not &...),
	 * as libldap takes it and the incremental reads wrap it. */
	if (len > 0 && *v != '(' && *v != '&' && *v != '|' && *v != '!' &&
	    *v != ' ' && *v != '\t' && *v != '\n' && *v != '\r') {
		if (filter_item(&f) == -1)
			return -1;
	} else if (filter_one(&f, 0) == -1)
		return -1;
	if (f.p != f.end)
		return filter_fail(&f, "text after the filter's last ')'");
	return 0;
}
