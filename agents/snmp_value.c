/* snmp_value.c: OIDs and SNMP values as ward-netpoll keeps them, decoded
 * from net-snmp's varbinds into plain C so the rest never sees BER. */
#include "config.h"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "common/xmalloc.h"
#include "agents/agent.h"

/* Bytes of one string value kept; longer values are cut. */
#define SNMP_VAL_STRING_MAX	4096

int
snmp_oid_parse(const char *text, struct snmp_oid *o)
{
	const char	*p = text;
	char		*end;
	unsigned long	 v;

	o->len = 0;
	if (*p == '.')
		p++;
	if (*p == '\0')
		return -1;
	for (;;) {
		if (*p < '0' || *p > '9' || o->len == SNMP_OID_MAX)
			return -1;
		v = strtoul(p, &end, 10);
		if (v > UINT32_MAX)
			return -1;
		o->sub[o->len++] = (uint32_t)v;
		if (*end == '\0')
			return 0;
		if (*end != '.')
			return -1;
		p = end + 1;
	}
}

char *
snmp_oid_format(const struct snmp_oid *o, char *buf, size_t size)
{
	size_t	 i, off = 0;
	int	 n;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < o->len; i++) {
		n = snprintf(buf + off, size - off, "%s%" PRIu32, i == 0 ? "" :
		    ".", o->sub[i]);
		if (n < 0 || (size_t)n >= size - off)
			break;
		off += (size_t)n;
	}
	return buf;
}

int
snmp_oid_cmp(const struct snmp_oid *a, const struct snmp_oid *b)
{
	size_t	 i, n = a->len < b->len ? a->len : b->len;

	for (i = 0; i < n; i++) {
		if (a->sub[i] != b->sub[i])
			return a->sub[i] < b->sub[i] ? -1 : 1;
	}
	return (a->len > b->len) - (a->len < b->len);
}

int
snmp_oid_has_prefix(const struct snmp_oid *o, const struct snmp_oid *prefix)
{
	return o->len >= prefix->len && memcmp(o->sub, prefix->sub,
	    prefix->len * sizeof o->sub[0]) == 0;
}

int
snmp_oid_append(struct snmp_oid *o, const uint32_t *sub, size_t n)
{
	if (o->len + n > SNMP_OID_MAX)
		return -1;
	memcpy(o->sub + o->len, sub, n * sizeof *sub);
	o->len += n;
	return 0;
}

void
snmp_val_clear(struct snmp_val *v)
{
	free(v->s);
	memset(v, 0, sizeof *v);
}

int
snmp_val_decode(uint8_t asn_type, const void *data, size_t len,
    struct snmp_val *v)
{
	const unsigned char	*p = data;
	const struct counter64	*c64;
	struct snmp_oid		 o;
	char			 text[SNMP_OID_MAX * 11 + 1];
	size_t			 i, n;

	memset(v, 0, sizeof *v);
	v->asn_type = asn_type;
	switch (asn_type) {
	case ASN_INTEGER:
		if (len != sizeof(long))
			return -1;
		v->type = SNMP_VAL_INT;
		v->i = *(const long *)data;
		return 0;
	case ASN_COUNTER:
	case ASN_GAUGE:
	case ASN_TIMETICKS:
	case ASN_UINTEGER:
		if (len != sizeof(u_long))
			return -1;
		v->type = SNMP_VAL_UINT;
		/* net-snmp keeps 32-bit values in a long; the upper half of a
		 * value from the wire is never set, but only 32 bits count. */
		v->u = (uint32_t)*(const u_long *)data;
		return 0;
	case ASN_COUNTER64:
		if (len != sizeof(struct counter64))
			return -1;
		c64 = data;
		v->type = SNMP_VAL_UINT;
		v->u = ((uint64_t)(uint32_t)c64->high << 32) |
		    (uint32_t)c64->low;
		v->is_64 = 1;
		return 0;
	case ASN_OCTET_STR:
	case ASN_OPAQUE:
		v->type = SNMP_VAL_STRING;
		n = len < SNMP_VAL_STRING_MAX ? len : SNMP_VAL_STRING_MAX;
		v->s = xmalloc(n + 1);
		if (n > 0)
			memcpy(v->s, p, n);
		v->s[n] = '\0';
		v->len = n;
		return 0;
	case ASN_IPADDRESS:
		if (len != 4)
			return -1;
		v->type = SNMP_VAL_STRING;
		xasprintf(&v->s, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
		v->len = strlen(v->s);
		return 0;
	case ASN_OBJECT_ID:
		if (len % sizeof(oid) != 0 || len / sizeof(oid) > SNMP_OID_MAX)
			return -1;
		o.len = len / sizeof(oid);
		for (i = 0; i < o.len; i++) {
			if (((const oid *)data)[i] > UINT32_MAX)
				return -1;
			o.sub[i] = (uint32_t)((const oid *)data)[i];
		}
		v->type = SNMP_VAL_OID;
		snmp_oid_format(&o, text, sizeof text);
		v->s = xstrdup(text);
		v->len = strlen(text);
		return 0;
	case ASN_NULL:
		v->type = SNMP_VAL_NULL;
		return 0;
	case SNMP_NOSUCHOBJECT:
	case SNMP_NOSUCHINSTANCE:
	case SNMP_ENDOFMIBVIEW:
		v->type = SNMP_VAL_MISSING;
		return 0;
	default:
		return -1;
	}
}

int
snmp_val_from_var(const netsnmp_variable_list *var, struct snmp_val *v)
{
	size_t	 i;

	if (var->name_length > SNMP_OID_MAX)
		return -1;
	for (i = 0; i < var->name_length; i++) {
		if (var->name[i] > UINT32_MAX)
			return -1;
	}
	if (snmp_val_decode(var->type, var->val.string, var->val_len,
	    v) == -1) {
		memset(v, 0, sizeof *v);
		return -1;
	}
	v->oid.len = var->name_length;
	for (i = 0; i < var->name_length; i++)
		v->oid.sub[i] = (uint32_t)var->name[i];
	return 0;
}

int
snmp_val_int(const struct snmp_val *v, int64_t *out)
{
	if (v == NULL)
		return -1;
	if (v->type == SNMP_VAL_INT) {
		*out = v->i;
		return 0;
	}
	if (v->type == SNMP_VAL_UINT && v->u <= INT64_MAX) {
		*out = (int64_t)v->u;
		return 0;
	}
	return -1;
}

int
snmp_val_uint(const struct snmp_val *v, uint64_t *out)
{
	if (v == NULL)
		return -1;
	if (v->type == SNMP_VAL_UINT) {
		*out = v->u;
		return 0;
	}
	if (v->type == SNMP_VAL_INT && v->i >= 0) {
		*out = (uint64_t)v->i;
		return 0;
	}
	return -1;
}

/* Length of the valid UTF-8 character at s (1-4), 0 if invalid. */
static size_t
snmp_utf8_len(const unsigned char *s, size_t left)
{
	size_t		 n, i;
	uint32_t	 cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (n > left)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

int
snmp_val_is_text(const struct snmp_val *v)
{
	const unsigned char	*p = (const unsigned char *)v->s;
	size_t			 i = 0, n, len = v->len;

	if (v->type != SNMP_VAL_STRING && v->type != SNMP_VAL_OID)
		return 0;
	/* Many agents count a C string's terminator in the length. */
	while (len > 0 && p[len - 1] == '\0')
		len--;
	while (i < len) {
		if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return 0;
		if (p[i] == 0x7f || (n = snmp_utf8_len(p + i, len - i)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

char *
snmp_val_text(const struct snmp_val *v, char *buf, size_t size)
{
	const unsigned char	*p;
	size_t			 i, off = 0, len;
	int			 n;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	if (v == NULL)
		return buf;
	switch (v->type) {
	case SNMP_VAL_INT:
		snprintf(buf, size, "%" PRId64, v->i);
		return buf;
	case SNMP_VAL_UINT:
		snprintf(buf, size, "%" PRIu64, v->u);
		return buf;
	case SNMP_VAL_STRING:
	case SNMP_VAL_OID:
		break;
	default:
		return buf;
	}
	p = (const unsigned char *)v->s;
	len = v->len;
	if (snmp_val_is_text(v)) {
		while (len > 0 && p[len - 1] == '\0')
			len--;
		/* Never cut a character in half. */
		i = len < size - 1 ? len : size - 1;
		while (i > 0 && i < len && (p[i] & 0xc0) == 0x80)
			i--;
		memcpy(buf, p, i);
		buf[i] = '\0';
		return str_trim(buf);
	}
	/* Binary: hex pairs, as snmpwalk shows them. */
	for (i = 0; i < len; i++) {
		n = snprintf(buf + off, size - off, "%s%02x", i == 0 ? "" : ":",
		    p[i]);
		if (n < 0 || (size_t)n >= size - off)
			break;
		off += (size_t)n;
	}
	return buf;
}

char *
snmp_val_mac(const struct snmp_val *v, char *buf, size_t size)
{
	const unsigned char	*p;

	if (size > 0)
		buf[0] = '\0';
	if (v == NULL || v->type != SNMP_VAL_STRING || v->len != 6 ||
	    size < 18)
		return buf;
	p = (const unsigned char *)v->s;
	if ((p[0] | p[1] | p[2] | p[3] | p[4] | p[5]) == 0)
		return buf;
	snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", p[0], p[1], p[2],
	    p[3], p[4], p[5]);
	return buf;
}

/* The vars of one poll: appended as they come, then sorted for lookups. */

void
snmp_vars_init(struct snmp_vars *vs)
{
	memset(vs, 0, sizeof *vs);
}

void
snmp_vars_clear(struct snmp_vars *vs)
{
	size_t	 i;

	for (i = 0; i < vs->n; i++)
		free(vs->v[i].s);
	free(vs->v);
	memset(vs, 0, sizeof *vs);
}

/* Takes over v's string. */
void
snmp_vars_add(struct snmp_vars *vs, struct snmp_val *v)
{
	if (vs->n == vs->alloc) {
		vs->alloc = vs->alloc == 0 ? 64 : vs->alloc * 2;
		vs->v = xreallocarray(vs->v, vs->alloc, sizeof *vs->v);
	}
	vs->v[vs->n++] = *v;
	memset(v, 0, sizeof *v);
	vs->sorted = 0;
}

static int
snmp_val_cmp(const void *a, const void *b)
{
	const struct snmp_val	*x = a, *y = b;
	int			 c;

	if ((c = snmp_oid_cmp(&x->oid, &y->oid)) != 0)
		return c;
	/* Equal OIDs: the later one wins, so keep arrival order. */
	return (x->seq > y->seq) - (x->seq < y->seq);
}

void
snmp_vars_sort(struct snmp_vars *vs)
{
	size_t	 i, o;

	if (vs->sorted)
		return;
	for (i = 0; i < vs->n; i++)
		vs->v[i].seq = i;
	if (vs->n > 1)
		qsort(vs->v, vs->n, sizeof *vs->v, snmp_val_cmp);
	/* One value per OID: a later answer replaces an earlier one. */
	for (i = 0, o = 0; i < vs->n; i++) {
		if (o > 0 && snmp_oid_cmp(&vs->v[o - 1].oid,
		    &vs->v[i].oid) == 0) {
			free(vs->v[o - 1].s);
			vs->v[o - 1] = vs->v[i];
			continue;
		}
		vs->v[o++] = vs->v[i];
	}
	vs->n = o;
	vs->sorted = 1;
}

const struct snmp_val *
snmp_vars_get(const struct snmp_vars *vs, const struct snmp_oid *o)
{
	size_t	 lo = 0, hi = vs->n, mid;
	int	 c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = snmp_oid_cmp(&vs->v[mid].oid, o);
		if (c == 0)
			return vs->v[mid].type == SNMP_VAL_MISSING ||
			    vs->v[mid].type == SNMP_VAL_NULL ? NULL :
			    &vs->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct snmp_val *
snmp_vars_get_text(const struct snmp_vars *vs, const char *oid_text)
{
	struct snmp_oid	 o;

	if (snmp_oid_parse(oid_text, &o) == -1)
		return NULL;
	return snmp_vars_get(vs, &o);
}

const struct snmp_val *
snmp_vars_get_row(const struct snmp_vars *vs, const struct snmp_oid *column,
    const struct snmp_oid *index)
{
	struct snmp_oid	 o = *column;

	if (snmp_oid_append(&o, index->sub, index->len) == -1)
		return NULL;
	return snmp_vars_get(vs, &o);
}

size_t
snmp_vars_first(const struct snmp_vars *vs, const struct snmp_oid *prefix)
{
	size_t	 lo = 0, hi = vs->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (snmp_oid_cmp(&vs->v[mid].oid, prefix) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}
