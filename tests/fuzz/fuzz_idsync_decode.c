/* fuzz_idsync_decode.c: libFuzzer target for what ward-idsync does with
 * the values it reads from a directory: the decoders (objectGUID,
 * objectSid, integers and FILETIMEs, generalized time, proxyAddresses,
 * ranged attribute names, the DirSync response control, search
 * filters), each seeing the
 * same bytes without a terminating NUL; then name normalisation and every
 * comparator. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "common/xmalloc.h"
#include "idsync/idsync.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct decode_proxy	 proxy;
	struct decode_range	 range;
	struct decode_dirsync	 ds;
	struct compare_value	 va, vb;
	char			*v, s[DECODE_SID_LEN], err[256];
	char			*t, *half, *norm, **tokens;
	size_t			 ntok, k;
	int64_t			 n;
	uint32_t		 flags;
	int			 must;

	/* A copy of exactly size bytes, so reading past the end is caught. */
	v = xmalloc(size > 0 ? size : 1);
	memcpy(v, data, size);
	(void)decode_guid((unsigned char *)v, size, s, sizeof s, err,
	    sizeof err);
	(void)decode_sid((unsigned char *)v, size, s, sizeof s, err,
	    sizeof err);
	(void)decode_int64(v, size, &n, err, sizeof err);
	(void)decode_account_expires(v, size, &n, err, sizeof err);
	(void)decode_pwd_last_set(v, size, &n, &must, err, sizeof err);
	if (decode_uac(v, size, &flags, err, sizeof err) == 0)
		(void)decode_uac_flags(flags, s, sizeof s);
	if (decode_proxy(v, size, &proxy, err, sizeof err) == 0 &&
	    (proxy.address < v || proxy.address + proxy.address_len >
	    v + size))
		abort();
	if (decode_range(v, size, &range, err, sizeof err) == 0 &&
	    memchr(range.name, '\0', sizeof range.name) == NULL)
		abort();
	(void)decode_generalized_time(v, size, &n, err, sizeof err);
	(void)decode_filter_check(v, size, err, sizeof err);
	if (decode_dirsync((unsigned char *)v, size, &ds, err,
	    sizeof err) == 0 && (ds.cookie < (unsigned char *)v ||
	    ds.cookie + ds.cookie_len > (unsigned char *)v + size ||
	    ds.cookie_len > DECODE_COOKIE_MAX))
		abort();
	free(v);

	/* Text as a directory sends it, compared with its two halves. */
	t = xstrndup((const char *)data, size);
	half = xstrdup(t + strlen(t) / 2);
	norm = normalise_text((const char *)data, size);
	ntok = normalise_tokens(norm, &tokens);
	str_list_free(tokens, ntok);
	free(norm);
	/* Each comparator on values prepared as it reads them. */
	for (k = 0; compare_names[k] != NULL; k++) {
		compare_value_init(&va, t, (enum compare_kind)k);
		compare_value_init(&vb, half, (enum compare_kind)k);
		(void)compare_table[k].compare(&va, &vb, NULL);
		if (k == COMPARE_NAME)
			(void)compare_jaro_winkler(va.norm, vb.norm);
		compare_value_clear(&va);
		compare_value_clear(&vb);
	}
	free(half);
	free(t);
	return 0;
}
