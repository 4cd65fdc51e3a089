/* account.c: one user object of one domain as read, keyed by (domain,
 * objectGUID): its attributes as text, and what ward-idsync decodes from
 * them (enabled, expiry, when it last changed). */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <unistr.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "idsync/idsync.h"

/* Attributes whose changes are not changes of the identity: they move on
 * every logon or every write. */
static const char *const account_volatile[] = {
	"lastLogonTimestamp", "uSNChanged", "whenChanged", "pwdLastSet", NULL
};

int
account_attr_volatile(const char *name)
{
	const char *const	*vol;

	for (vol = account_volatile; *vol != NULL; vol++)
		if (strcasecmp(*vol, name) == 0)
			return 1;
	return 0;
}

/* The first chunk holds a typical account whole (about 900 bytes of
 * names, values and lists); later ones double. */
#define ACCOUNT_CHUNK_FIRST	1024
#define ACCOUNT_CHUNK_MAX	65536

static struct account_chunk *
account_chunk_add(struct account *a, size_t size)
{
	struct account_chunk	*c;

	c = xmalloc(sizeof *c + size);
	c->next = a->chunks;
	c->size = size;
	c->used = 0;
	a->chunks = c;
	return c;
}

/* n bytes from a's chunks, aligned for pointers. */
static void *
account_alloc(struct account *a, size_t n)
{
	struct account_chunk	*c = a->chunks;
	size_t			 at, size;

	at = c != NULL ? (c->used + sizeof(void *) - 1) &
	    ~(sizeof(void *) - 1) : 0;
	/* A chunk made for one large value is exactly its size, which
	 * need not be aligned: rounded up, at is then past its end. */
	if (c == NULL || at > c->size || n > c->size - at) {
		size = c == NULL ? ACCOUNT_CHUNK_FIRST : c->size * 2;
		if (size > ACCOUNT_CHUNK_MAX)
			size = ACCOUNT_CHUNK_MAX;
		c = account_chunk_add(a, size < n ? n : size);
		at = 0;
	}
	c->used = at + n;
	return c->data + at;
}

static char *
account_strndup(struct account *a, const char *s, size_t len)
{
	char	*d = account_alloc(a, len + 1);

	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

struct account *
account_new(size_t domain, const char *domain_name, const char *guid,
    const char *dn)
{
	return account_new_sized(domain, domain_name, guid, dn, 0);
}

/* With a first chunk of size bytes besides the names: an account known to
 * hold little need not take a typical account's room. */
struct account *
account_new_sized(size_t domain, const char *domain_name, const char *guid,
    const char *dn, size_t size)
{
	struct account	*a;

	a = xcalloc(1, sizeof *a);
	if (size > 0)
		(void)account_chunk_add(a, strlen(domain_name) + strlen(dn) +
		    2 + 2 * sizeof(void *) + size);
	a->domain = domain;
	a->domain_name = account_strndup(a, domain_name, strlen(domain_name));
	str_copy(a->guid, guid, sizeof a->guid);
	a->dn = account_strndup(a, dn, strlen(dn));
	a->expires_ms = INT64_MAX;
	return a;
}

void
account_free(struct account *a)
{
	struct account_chunk	*c, *next;

	if (a == NULL)
		return;
	for (c = a->chunks; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(a->attrs);
	free(a);
}

/* strcasecmp for attribute names, which are ASCII: inline, and with no
 * locale to consult. */
static inline int
attr_name_cmp(const char *x, const char *y)
{
	unsigned char	 a, b;

	for (;; x++, y++) {
		a = (unsigned char)*x;
		b = (unsigned char)*y;
		if (a >= 'A' && a <= 'Z')
			a = (unsigned char)(a | 0x20);
		if (b >= 'A' && b <= 'Z')
			b = (unsigned char)(b | 0x20);
		if (a != b || a == '\0')
			return a - b;
	}
}

/*
 * Looked up for every value read and every attribute compared: by halves
 * once account_finish has sorted them, after trying where the same name
 * was found last in this thread (accounts of one directory mostly have
 * the same attributes); before, while an entry is read, the last
 * attribute first (the one values are being added to), and the first
 * letters before the names (ASCII, as attribute names are).
 */
struct account_attr *
account_attr(const struct account *a, const char *name)
{
	static __thread struct {
		const char	*name;
		size_t		 pos;
	}		 hint[16];
	size_t		 i, lo, hi, h;
	int		 c = name[0] | 0x20, d;

	if (a->sorted) {
		h = ((uintptr_t)name >> 3) % (sizeof hint / sizeof hint[0]);
		if (hint[h].name == name && hint[h].pos < a->nattrs &&
		    attr_name_cmp(a->attrs[hint[h].pos].name, name) == 0)
			return &a->attrs[hint[h].pos];
		for (lo = 0, hi = a->nattrs; lo < hi;) {
			i = lo + (hi - lo) / 2;
			if ((d = attr_name_cmp(a->attrs[i].name, name)) == 0) {
				hint[h].name = name;
				hint[h].pos = i;
				return &a->attrs[i];
			}
			if (d < 0)
				lo = i + 1;
			else
				hi = i;
		}
		return NULL;
	}

	if (a->nattrs > 0 && (a->attrs[a->nattrs - 1].name[0] | 0x20) == c &&
	    attr_name_cmp(a->attrs[a->nattrs - 1].name, name) == 0)
		return &a->attrs[a->nattrs - 1];
	for (i = 0; i < a->nattrs; i++)
		if ((a->attrs[i].name[0] | 0x20) == c &&
		    attr_name_cmp(a->attrs[i].name, name) == 0)
			return &a->attrs[i];
	return NULL;
}

/* A new attribute, with no values yet: the caller knows a has none of
 * that name. */
static struct account_attr *
account_push_attr(struct account *a, const char *name, size_t len)
{
	struct account_attr	*at;

	if (a->nattrs == a->attrs_alloc) {
		a->attrs_alloc = a->attrs_alloc == 0 ? 16 : a->attrs_alloc * 2;
		a->attrs = xreallocarray(a->attrs, a->attrs_alloc,
		    sizeof *a->attrs);
	}
	at = &a->attrs[a->nattrs++];
	memset(at, 0, sizeof *at);
	at->name = account_strndup(a, name, len);
	a->sorted = 0;
	return at;
}

void
account_attr_append(struct account *a, struct account_attr *at,
    const char *value, size_t len)
{
	char	**values;

	if (at->count == at->alloc) {
		/* The old list stays in the chunk until the account goes. */
		at->alloc = at->alloc == 0 ? 1 : at->alloc * 2;
		values = account_alloc(a, at->alloc * sizeof *values);
		if (at->count > 0)
			memcpy(values, at->values, at->count * sizeof *values);
		at->values = values;
	}
	at->values[at->count++] = account_strndup(a, value, len);
	a->summed = 0;
}

struct account_attr *
account_attr_add(struct account *a, const char *name)
{
	struct account_attr	*at;

	if ((at = account_attr(a, name)) == NULL)
		at = account_push_attr(a, name, strlen(name));
	return at;
}

void
account_add_value(struct account *a, const char *name, const char *value,
    size_t len)
{
	account_attr_append(a, account_attr_add(a, name), value, len);
}

struct account *
account_copy(const struct account *a)
{
	struct account		*c;
	struct account_attr	*at;
	size_t			 i, j;

	c = account_new(a->domain, a->domain_name, a->guid, a->dn);
	/* a's names are one each already: no lookups. */
	for (i = 0; i < a->nattrs; i++) {
		at = account_push_attr(c, a->attrs[i].name,
		    strlen(a->attrs[i].name));
		for (j = 0; j < a->attrs[i].count; j++)
			account_attr_append(c, at, a->attrs[i].values[j],
			    strlen(a->attrs[i].values[j]));
	}
	c->uac = a->uac;
	c->expires_ms = a->expires_ms;
	c->when_changed_ms = a->when_changed_ms;
	c->pwd_must_change = a->pwd_must_change;
	c->kind = a->kind;
	memcpy(c->sums, a->sums, sizeof c->sums);
	c->summed = a->summed;
	c->sorted = a->sorted;
	return c;
}

/* The first value, or NULL. */
const char *
account_get(const struct account *a, const char *name)
{
	const struct account_attr	*at = account_attr(a, name);

	return at != NULL && at->count > 0 ? at->values[0] : NULL;
}

char *const *
account_values(const struct account *a, const char *name, size_t *count)
{
	const struct account_attr	*at = account_attr(a, name);

	*count = at != NULL ? at->count : 0;
	return at != NULL ? at->values : NULL;
}

static int
account_attr_cmp(const void *x, const void *y)
{
	const struct account_attr	*a = x, *b = y;

	return attr_name_cmp(a->name, b->name);
}

/*
 * Sorts the attributes and decodes userAccountControl, accountExpires,
 * pwdLastSet and whenChanged. A value that does not decode is left out of
 * the decoded fields (the account stays) and named in err; returns -1
 * then, 0 otherwise.
 */
int
account_finish(struct account *a, char *err, size_t errlen)
{
	const char	*v;
	char		 why[256];
	size_t		 i;
	int		 rc = 0;

	/* Kept for as long as the run: no room to spare. */
	if (a->attrs_alloc > a->nattrs && a->nattrs > 0) {
		a->attrs = xreallocarray(a->attrs, a->nattrs,
		    sizeof *a->attrs);
		a->attrs_alloc = a->nattrs;
	}
	/* Read back from the store they mostly are sorted already. */
	for (i = 1; i < a->nattrs; i++)
		if (account_attr_cmp(&a->attrs[i - 1], &a->attrs[i]) > 0)
			break;
	if (i < a->nattrs)
		qsort(a->attrs, a->nattrs, sizeof *a->attrs,
		    account_attr_cmp);
	a->sorted = 1;
	if ((v = account_get(a, "userAccountControl")) != NULL &&
	    decode_uac(v, strlen(v), &a->uac, why, sizeof why) == -1) {
		snprintf(err, errlen, "userAccountControl: %s", why);
		rc = -1;
	}
	if ((v = account_get(a, "accountExpires")) != NULL &&
	    decode_account_expires(v, strlen(v), &a->expires_ms, why,
	    sizeof why) == -1) {
		snprintf(err, errlen, "accountExpires: %s", why);
		a->expires_ms = INT64_MAX;
		rc = -1;
	}
	if ((v = account_get(a, "pwdLastSet")) != NULL) {
		int64_t	 ms;

		if (decode_pwd_last_set(v, strlen(v), &ms,
		    &a->pwd_must_change, why, sizeof why) == -1) {
			snprintf(err, errlen, "pwdLastSet: %s", why);
			rc = -1;
		}
	}
	if ((v = account_get(a, "whenChanged")) != NULL &&
	    decode_generalized_time(v, strlen(v), &a->when_changed_ms, why,
	    sizeof why) == -1) {
		snprintf(err, errlen, "whenChanged: %s", why);
		a->when_changed_ms = 0;
		rc = -1;
	}
	return rc;
}

int
account_enabled(const struct account *a, int64_t now_ms)
{
	return !(a->uac & DECODE_UAC_DISABLED) && a->expires_ms > now_ms;
}

/* "btuh\jsmith", or the GUID when there is no sAMAccountName. */
char *
account_name(const struct account *a, char *dst, size_t size)
{
	return account_name_sam(a, account_get(a, "sAMAccountName"), dst,
	    size);
}

/* The same, its sAMAccountName (or NULL) looked up already. */
char *
account_name_sam(const struct account *a, const char *sam, char *dst,
    size_t size)
{
	snprintf(dst, size, "%s\\%s", a->domain_name, sam != NULL ? sam :
	    a->guid);
	return dst;
}

/* The key the store and the indexes use: domain, a tab, the GUID (a
 * configured domain name cannot hold a tab). */
char *
account_key(const char *domain, const char *guid, char *dst, size_t size)
{
	size_t	 n, m;

	if (size == 0)
		return dst;
	/* As snprintf "%s\t%s" writes it, cut to size, without printf:
	 * every run makes one for each account, several times over. */
	n = strlen(domain);
	if (n > size - 1)
		n = size - 1;
	memcpy(dst, domain, n);
	if (n < size - 1)
		dst[n++] = '\t';
	m = strlen(guid);
	if (m > size - 1 - n)
		m = size - 1 - n;
	memcpy(dst + n, guid, m);
	dst[n + m] = '\0';
	return dst;
}

/* A JSON string as jansson's json_dumps writes it with
 * JSON_ENSURE_ASCII: the stored form must not change with the writer. */
static void
account_json_string(struct buf *b, const char *s, size_t len)
{
	const uint8_t	*p = (const uint8_t *)s, *e = p + len, *q;
	ucs4_t		 uc;
	unsigned	 hi, lo;
	int		 n;

	buf_append_char(b, '"');
	while (p < e) {
		for (q = p; q < e && *q >= 0x20 && *q < 0x80 && *q != '"' &&
		    *q != '\\'; q++)
			;
		if (q > p) {
			buf_append(b, p, (size_t)(q - p));
			p = q;
			continue;
		}
		n = u8_mbtouc(&uc, p, (size_t)(e - p));
		p += n;
		switch (uc) {
		case '"':
			buf_append_str(b, "\\\"");
			break;
		case '\\':
			buf_append_str(b, "\\\\");
			break;
		case '\b':
			buf_append_str(b, "\\b");
			break;
		case '\f':
			buf_append_str(b, "\\f");
			break;
		case '\n':
			buf_append_str(b, "\\n");
			break;
		case '\r':
			buf_append_str(b, "\\r");
			break;
		case '\t':
			buf_append_str(b, "\\t");
			break;
		default:
			if (uc < 0x10000) {
				buf_printf(b, "\\u%04X", (unsigned)uc);
				break;
			}
			uc -= 0x10000;
			hi = 0xD800 | ((uc & 0xffc00) >> 10);
			lo = 0xDC00 | (uc & 0x3ff);
			buf_printf(b, "\\u%04X\\u%04X", hi, lo);
			break;
		}
	}
	buf_append_char(b, '"');
}

/*
 * The attributes whose names are UTF-8, in strcmp's order of name, into
 * sorted (room for a->nattrs); their number. An account's attributes are
 * in order of name case aside already, which strcmp's differs from only
 * where case does: an insertion sort does little.
 */
static size_t
account_attrs_sorted(const struct account *a,
    const struct account_attr **sorted)
{
	const struct account_attr	*at;
	size_t				 i, j, n = 0;

	for (i = 0; i < a->nattrs; i++) {
		at = &a->attrs[i];
		if (!str_utf8(at->name, strlen(at->name)))
			continue;
		for (j = n; j > 0 && strcmp(sorted[j - 1]->name, at->name) > 0;
		    j--)
			sorted[j] = sorted[j - 1];
		sorted[j] = at;
		n++;
	}
	return n;
}

/* One attribute's member of the JSON object, "name":["value",...]. */
static void
account_attr_json(struct buf *b, const struct account_attr *at)
{
	size_t	 j, len;
	int	 first_value = 1;

	account_json_string(b, at->name, strlen(at->name));
	buf_append_str(b, ":[");
	for (j = 0; j < at->count; j++) {
		len = strlen(at->values[j]);
		if (!str_utf8(at->values[j], len))
			continue;
		if (!first_value)
			buf_append_char(b, ',');
		first_value = 0;
		account_json_string(b, at->values[j], len);
	}
	buf_append_char(b, ']');
}

/*
 * The attributes as canonical JSON, {"name":["value",...],...} with sorted
 * keys and only ASCII (escapes for the rest), byte for byte what jansson
 * writes with JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII, and what
 * was stored before (written directly: it is made for every account of
 * every run); content_only leaves out those that change without the
 * identity changing, so two reads can be compared. Names or values that
 * are not UTF-8 are left out, as jansson leaves them. Malloc'd.
 */
char *
account_attrs_json(const struct account *a, int content_only)
{
	const struct account_attr	*few[64], **sorted = few;
	struct buf			 b;
	size_t				 i, n;
	int				 first = 1;

	if (a->nattrs > sizeof few / sizeof few[0])
		sorted = xcalloc(a->nattrs, sizeof *sorted);
	n = account_attrs_sorted(a, sorted);
	buf_init(&b, 0);
	/* A typical account's is 700 bytes: made once, not doubled up to. */
	(void)buf_room(&b, 1024);
	buf_append_char(&b, '{');
	for (i = 0; i < n; i++) {
		if (content_only && account_attr_volatile(sorted[i]->name))
			continue;
		if (!first)
			buf_append_char(&b, ',');
		first = 0;
		account_attr_json(&b, sorted[i]);
	}
	buf_append_char(&b, '}');
	if (sorted != few)
		free(sorted);
	return buf_detach(&b, NULL);
}

/*
 * SHA-256 as libcrypto's default provider has it, looked up once: given
 * EVP_sha256() instead, libcrypto looks it up again, under its locks, for
 * each of the hundreds of thousands of sums of a run.
 */
static EVP_MD		*sha256_md;

static void
sha256_fetch(void)
{
	if ((sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		fatalx("SHA-256 is not available from libcrypto");
}

static const EVP_MD *
sha256(void)
{
	static pthread_once_t	 once = PTHREAD_ONCE_INIT;

	(void)pthread_once(&once, sha256_fetch);
	return sha256_md;
}

void
idsync_sha256(const void *data, size_t len, unsigned char out[ACCOUNT_SUM_LEN])
{
	if (EVP_Digest(data, len, out, NULL, sha256(), NULL) != 1)
		fatalx("SHA-256 failed in libcrypto");
}

void
idsync_sum_hex(const unsigned char sum[ACCOUNT_SUM_LEN],
    char hex[2 * ACCOUNT_SUM_LEN + 1])
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < ACCOUNT_SUM_LEN; i++) {
		hex[2 * i] = digits[sum[i] >> 4];
		hex[2 * i + 1] = digits[sum[i] & 0xf];
	}
	hex[2 * ACCOUNT_SUM_LEN] = '\0';
}

/*
 * The sums tell an account changed without keeping its text: of its
 * attributes (whole), and of its content (without the volatile ones).
 * Each is SHA-256 over the attributes in order of name, each its name, a
 * NUL, its count of values and each value's length (four bytes each,
 * little-endian) and bytes: the content's first, then the volatile
 * ones, so that the content's sum is of the first part of the same
 * bytes. Attributes without values, or whose names are not UTF-8 (the
 * JSON the state keeps them in can hold neither), count for nothing.
 * Made where accounts are read, in the reading threads: no JSON is
 * written for it (that was a third of their work).
 */
#define ACCOUNT_SUM_STACK	4096

static size_t
account_sum_put(unsigned char *p, const struct account_attr *at)
{
	unsigned char	*start = p;
	size_t		 n, j, len, k;

	n = strlen(at->name) + 1;
	memcpy(p, at->name, n);
	p += n;
	for (k = 0; k < 4; k++)
		*p++ = (unsigned char)(at->count >> (8 * k));
	for (j = 0; j < at->count; j++) {
		len = strlen(at->values[j]);
		for (k = 0; k < 4; k++)
			*p++ = (unsigned char)(len >> (8 * k));
		memcpy(p, at->values[j], len);
		p += len;
	}
	return (size_t)(p - start);
}

static int
account_attr_ptr_cmp(const void *x, const void *y)
{
	const struct account_attr *a = *(const struct account_attr *const *)x;
	const struct account_attr *b = *(const struct account_attr *const *)y;

	return attr_name_cmp(a->name, b->name);
}

/* The sums into sums[0] (whole) and sums[1] (content): both when which
 * is -1, else only sums[which]. */
static void
account_sums(const struct account *a, int which,
    unsigned char sums[2][ACCOUNT_SUM_LEN])
{
	const struct account_attr	**order;
	unsigned char			 stack[ACCOUNT_SUM_STACK], *buf = stack;
	size_t				 i, j, need = 0, content = 0, len = 0;
	int				 pass;

	order = xcalloc(a->nattrs + 1, sizeof *order);
	for (i = 0; i < a->nattrs; i++) {
		order[i] = &a->attrs[i];
		need += strlen(a->attrs[i].name) + 5;
		for (j = 0; j < a->attrs[i].count; j++)
			need += strlen(a->attrs[i].values[j]) + 4;
	}
	if (!a->sorted)
		qsort(order, a->nattrs, sizeof *order, account_attr_ptr_cmp);
	if (need > sizeof stack)
		buf = xmalloc(need);
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < a->nattrs; i++)
			if (order[i]->count > 0 && account_attr_volatile(
			    order[i]->name) == pass && str_utf8(order[i]->name,
			    strlen(order[i]->name)))
				len += account_sum_put(buf + len, order[i]);
		if (pass == 0)
			content = len;
	}
	if (which != 1)
		idsync_sha256(buf, len, sums[0]);
	if (which != 0)
		idsync_sha256(buf, content, sums[1]);
	if (buf != stack)
		free(buf);
	free(order);
}

static void
account_sum_of(const struct account *a, int content_only,
    unsigned char out[ACCOUNT_SUM_LEN])
{
	unsigned char	 sums[2][ACCOUNT_SUM_LEN];
	int		 k = content_only != 0;

	account_sums(a, k, sums);
	memcpy(out, sums[k], ACCOUNT_SUM_LEN);
}

void
account_summarise(struct account *a)
{
	account_sums(a, -1, a->sums);
	a->summed = 1;
}

/* The remembered sum, or one worked out into tmp. */
const unsigned char *
account_sum(const struct account *a, int content_only,
    unsigned char tmp[ACCOUNT_SUM_LEN])
{
	if (a->summed)
		return a->sums[content_only != 0];
	account_sum_of(a, content_only, tmp);
	return tmp;
}

/* The value of one hexadecimal digit, or -1. */
static int
account_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hexadecimal digits at s, or -1. */
static long
account_hex4(const char *s)
{
	long	 v = 0;
	int	 i, d;

	for (i = 0; i < 4; i++) {
		if ((d = account_hex(s[i])) == -1)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* A JSON string as account_attrs_json writes it, at *sp (its quote) into
 * b; *sp is moved past it. -1 for anything it does not write (raw
 * non-ASCII, a NUL, a lone surrogate): the caller lets jansson read it. */
static int
account_json_unstring(const char **sp, struct buf *b)
{
	const char	*s = *sp;
	const char	*run;
	long		 cp, lo;
	uint8_t		 enc[6];
	int		 n;

	buf_reset(b);
	if (*s++ != '"')
		return -1;
	for (;;) {
		for (run = s; *s != '"' && *s != '\\' && *s != '\0' &&
		    (unsigned char)*s >= 0x20 && (unsigned char)*s < 0x80; s++)
			;
		if (s > run)
			buf_append(b, run, (size_t)(s - run));
		if (*s == '"')
			break;
		if (*s != '\\')
			return -1;
		s++;
		switch (*s) {
		case '"':
		case '\\':
		case '/':
			buf_append_char(b, *s);
			break;
		case 'b':
			buf_append_char(b, '\b');
			break;
		case 'f':
			buf_append_char(b, '\f');
			break;
		case 'n':
			buf_append_char(b, '\n');
			break;
		case 'r':
			buf_append_char(b, '\r');
			break;
		case 't':
			buf_append_char(b, '\t');
			break;
		case 'u':
			if ((cp = account_hex4(s + 1)) <= 0)
				return -1;
			s += 4;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return -1;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (s[1] != '\\' || s[2] != 'u' ||
				    (lo = account_hex4(s + 3)) < 0xdc00 ||
				    lo > 0xdfff)
					return -1;
				s += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
			}
			if ((n = u8_uctomb(enc, (ucs4_t)cp, sizeof enc)) <= 0)
				return -1;
			buf_append(b, enc, (size_t)n);
			break;
		default:
			return -1;
		}
		s++;
	}
	*sp = s + 1;
	return 0;
}

/*
 * account_from_json's reading of what account_attrs_json writes, without
 * building a jansson object per account (a run loads every account of
 * the last state); NULL for anything else, which jansson then reads.
 */
static struct account *
account_from_own_json(size_t domain, const char *domain_name,
    const char *guid, const char *dn, const char *s)
{
	struct account		*a;
	struct account_attr	*at;
	struct buf		 name, value, last;
	char			 why[256];
	size_t			 i, nvalues;
	int			 ok = 0, first = 1;

	if (*s++ != '{')
		return NULL;
	a = account_new(domain, domain_name, guid, dn);
	buf_init(&name, 0);
	buf_init(&value, 0);
	buf_init(&last, 0);
	while (*s != '}') {
		if (!first && *s++ != ',')
			goto out;
		if (account_json_unstring(&s, &name) == -1 || *s++ != ':' ||
		    *s++ != '[')
			goto out;
		/* Names as account_attrs_json writes them, in strcmp order,
		 * each once; anything else is jansson's to read. */
		if (!first && strcmp(buf_cstr(&last), buf_cstr(&name)) >= 0)
			goto out;
		first = 0;
		buf_reset(&last);
		buf_append(&last, buf_cstr(&name), name.len);
		/* An attribute with no values is none, as
		 * account_add_value makes it. */
		at = NULL;
		for (nvalues = 0; *s != ']'; nvalues++) {
			if (nvalues > 0 && *s++ != ',')
				goto out;
			if (account_json_unstring(&s, &value) == -1)
				goto out;
			if (at == NULL)
				at = account_push_attr(a, buf_cstr(&name),
				    name.len);
			account_attr_append(a, at, buf_cstr(&value), value.len);
		}
		s++;
	}
	ok = s[1] == '\0';
	(void)account_finish(a, why, sizeof why);
	/* Sorted without regard to case now: a name twice in two cases
	 * (which account_add_value would have made one) is jansson's too. */
	for (i = 1; ok && i < a->nattrs; i++)
		if (attr_name_cmp(a->attrs[i - 1].name, a->attrs[i].name) == 0)
			ok = 0;
out:
	buf_free(&name);
	buf_free(&value);
	buf_free(&last);
	if (!ok) {
		account_free(a);
		return NULL;
	}
	return a;
}

/* An account as the store keeps it; NULL with err if attrs is not what
 * account_attrs_json writes. */
struct account *
account_from_json(size_t domain, const char *domain_name, const char *guid,
    const char *dn, const char *attrs, char *err, size_t errlen)
{
	struct account	*a;
	json_error_t	 jerr;
	json_t		*o, *arr, *v;
	const char	*name;
	size_t		 i;
	char		 why[256];

	if ((a = account_from_own_json(domain, domain_name, guid, dn,
	    attrs)) != NULL)
		return a;
	if ((o = json_loads(attrs, 0, &jerr)) == NULL ||
	    !json_is_object(o)) {
		snprintf(err, errlen, "account %s: stored attributes are not a "
		    "JSON object: %s", guid, o == NULL ? jerr.text : "");
		json_decref(o);
		return NULL;
	}
	a = account_new(domain, domain_name, guid, dn);
	json_object_foreach(o, name, arr) {
		if (!json_is_array(arr))
			goto bad;
		json_array_foreach(arr, i, v) {
			if (!json_is_string(v))
				goto bad;
			account_add_value(a, name, json_string_value(v),
			    json_string_length(v));
		}
	}
	json_decref(o);
	(void)account_finish(a, why, sizeof why);
	return a;

bad:
	snprintf(err, errlen, "account %s: stored attribute %s is not a list "
	    "of strings", guid, name);
	json_decref(o);
	account_free(a);
	return NULL;
}

const char *
account_kind_name(enum account_kind kind)
{
	switch (kind) {
	case ACCOUNT_ADMIN:
		return "admin";
	case ACCOUNT_SERVICE:
		return "service";
	case ACCOUNT_SHARED:
		return "shared";
	case ACCOUNT_PERSON:
		break;
	}
	return "person";
}

/* ------------------------------------------------------------ sets */

void
account_set_add(struct account_set *set, struct account *a)
{
	if (set->count == set->alloc) {
		set->alloc = set->alloc == 0 ? 256 : set->alloc * 2;
		set->items = xreallocarray(set->items, set->alloc,
		    sizeof *set->items);
	}
	set->items[set->count++] = a;
}

static int
account_cmp(const void *x, const void *y)
{
	const struct account	*a = *(struct account *const *)x;
	const struct account	*b = *(struct account *const *)y;

	int			 c;

	if (a->domain != b->domain)
		return a->domain < b->domain ? -1 : 1;
	if ((c = strcmp(a->guid, b->guid)) != 0)
		return c;
	/* One GUID twice (account_set_sort keeps the first): the same one
	 * each run. */
	return strcmp(a->dn, b->dn);
}

/* An account with the first bytes of its GUID, big-end first: their
 * order is strcmp's, and sorting these touches no account but for ties. */
struct account_sort_key {
	size_t		 domain;
	uint64_t	 head;
	struct account	*a;
};

static int
account_key_cmp(const void *x, const void *y)
{
	const struct account_sort_key	*a = x, *b = y;

	if (a->domain != b->domain)
		return a->domain < b->domain ? -1 : 1;
	if (a->head != b->head)
		return a->head < b->head ? -1 : 1;
	return account_cmp(&a->a, &b->a);
}

static void
account_sort_keyed(struct account **items, size_t n)
{
	struct account_sort_key	*k;
	size_t			 i, j;

	k = xreallocarray(NULL, n, sizeof *k);
	for (i = 0; i < n; i++) {
		k[i].domain = items[i]->domain;
		k[i].a = items[i];
		k[i].head = 0;
		/* Past the string's end, zeros: "ab" before "abc". */
		for (j = 0; j < 8 && items[i]->guid[j] != '\0'; j++)
			k[i].head |= (uint64_t)(unsigned char)
			    items[i]->guid[j] << (56 - 8 * j);
	}
	qsort(k, n, sizeof *k, account_key_cmp);
	for (i = 0; i < n; i++)
		items[i] = k[i].a;
	free(k);
}

/*
 * By domain, then GUID: the order matching sees them in, whatever order
 * the directories sent them. A GUID is one object's: an entry that comes
 * twice (a paged search can return an object that moved while it ran)
 * is kept once, and two entries holding one GUID (a directory restored
 * or copied wrong) keep the first DN and say so.
 */
void
account_set_sort(struct account_set *set)
{
	struct account	*a, *b;
	char		 v1[256], v2[256];
	size_t		 i, n;

	if (set->count < 2)
		return;
	/* Sorted already (each domain's reader sorts its own): nothing
	 * twice either. */
	for (i = 1; i < set->count; i++) {
		a = set->items[i - 1];
		b = set->items[i];
		if (a->domain > b->domain || (a->domain == b->domain &&
		    strcmp(a->guid, b->guid) >= 0))
			break;
	}
	if (i == set->count)
		return;
	account_sort_keyed(set->items, set->count);
	for (i = n = 1; i < set->count; i++) {
		a = set->items[n - 1];
		b = set->items[i];
		if (a->domain != b->domain || strcmp(a->guid, b->guid) != 0) {
			set->items[n++] = b;
			continue;
		}
		if (strcasecmp(a->dn, b->dn) != 0)
			log_warnx("domain %s: objectGUID %s is on two entries, "
			    "%s and %s: only the first is read (one object "
			    "has one GUID: look at the second)", a->domain_name,
			    a->guid, str_vis_text(v1, sizeof v1, a->dn),
			    str_vis_text(v2, sizeof v2, b->dn));
		else
			log_debug("domain %s: %s came twice; read once",
			    a->domain_name, str_vis_text(v1, sizeof v1, a->dn));
		account_free(b);
	}
	set->count = n;
}

void
account_set_clear(struct account_set *set)
{
	size_t	 i;

	for (i = 0; i < set->count; i++)
		account_free(set->items[i]);
	free(set->items);
	memset(set, 0, sizeof *set);
}
