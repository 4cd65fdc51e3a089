/* fuzz_snmp_value.c: libFuzzer target for ward-netpoll's SNMP value
 * decoding: the first byte is the ASN type net-snmp says a value has, the
 * rest the bytes its val union points at. The decoded value is made into
 * text, a MAC and integers; the same bytes as OID text and as a poll's
 * OIDs go through parsing, formatting, sorting and lookups. Links no
 * net-snmp: snmp_value.c only reads its types. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "agents/agent.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_decoded(const struct snmp_val *v)
{
	struct snmp_oid	 o;
	char		 text[512], mac[32];
	int64_t		 i;
	uint64_t	 u;

	snmp_val_text(v, text, sizeof text);
	if (memchr(text, '\0', sizeof text) == NULL)
		abort();
	snmp_val_mac(v, mac, sizeof mac);
	if (mac[0] != '\0' && strlen(mac) != 17)
		abort();
	(void)snmp_val_is_text(v);
	if (snmp_val_int(v, &i) == 0 && v->type == SNMP_VAL_UINT &&
	    (uint64_t)i != v->u)
		abort();
	if (snmp_val_uint(v, &u) == 0 && v->type == SNMP_VAL_INT &&
	    (int64_t)u != v->i)
		abort();
	switch (v->type) {
	case SNMP_VAL_STRING:
		if (v->s == NULL || v->len > 4096 || v->s[v->len] != '\0')
			abort();
		break;
	case SNMP_VAL_OID:
		/* An OID value is dotted text that parses back. */
		if (v->s == NULL || (v->len > 0 && snmp_oid_parse(v->s,
		    &o) == -1))
			abort();
		break;
	default:
		if (v->s != NULL)
			abort();
		break;
	}
}

/* The bytes as OID text: a parsed OID formats to text that parses to
 * the same OID. */
static void
fuzz_oid_text(const uint8_t *data, size_t size)
{
	struct snmp_oid	 a, b;
	char		*s, text[SNMP_OID_MAX * 11 + 1];

	s = xmalloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	if (snmp_oid_parse(s, &a) == 0) {
		snmp_oid_format(&a, text, sizeof text);
		if (snmp_oid_parse(text, &b) == -1 || snmp_oid_cmp(&a, &b) != 0)
			abort();
	}
	free(s);
}

/* The bytes as the OIDs of a poll's answers, some repeated: sorted,
 * one value per OID, each found again. */
static void
fuzz_vars(const uint8_t *data, size_t size)
{
	struct snmp_vars	 vs;
	struct snmp_val		 v;
	struct snmp_oid		 want[32];
	const struct snmp_val	*got;
	size_t			 i, k, n = 0;

	snmp_vars_init(&vs);
	for (i = 0; i + 3 <= size && n < 32; i += 3, n++) {
		memset(&v, 0, sizeof v);
		snmp_oid_parse("1.3.6.1.2.1", &v.oid);
		/* Few distinct values, so that OIDs repeat and prefix. */
		for (k = 0; k < (size_t)(data[i] % 4) + 1; k++)
			v.oid.sub[v.oid.len++] = data[i + 1 + k % 2] % 5;
		v.type = SNMP_VAL_INT;
		v.i = (int64_t)n;
		want[n] = v.oid;
		snmp_vars_add(&vs, &v);
	}
	snmp_vars_sort(&vs);
	for (i = 1; i < vs.n; i++)
		if (snmp_oid_cmp(&vs.v[i - 1].oid, &vs.v[i].oid) >= 0)
			abort();
	for (i = 0; i < n; i++) {
		if ((got = snmp_vars_get(&vs, &want[i])) == NULL)
			abort();
		/* The last of repeated OIDs wins. */
		for (k = i + 1; k < n; k++)
			if (snmp_oid_cmp(&want[k], &want[i]) == 0)
				break;
		if (k == n && got->i != (int64_t)i)
			abort();
		if (snmp_vars_first(&vs, &want[i]) >= vs.n)
			abort();
	}
	snmp_vars_clear(&vs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snmp_val	 v;
	void		*copy;

	if (size < 1)
		return 0;
	/* A copy of exactly the value's bytes, aligned as net-snmp's are,
	 * so reading past the end is caught. */
	copy = xmalloc(size - 1 > 0 ? size - 1 : 1);
	memcpy(copy, data + 1, size - 1);
	if (snmp_val_decode(data[0], copy, size - 1, &v) == 0) {
		fuzz_decoded(&v);
		snmp_val_clear(&v);
	}
	free(copy);
	fuzz_oid_text(data + 1, size - 1);
	fuzz_vars(data + 1, size - 1);
	return 0;
}
