/* fuzz_eol_reply.c: libFuzzer target for an endoflife.date API v1 reply,
 * read as ward-collector's refresh reads one: the JSON limits, then the
 * product and its release cycles. What comes out must be clean enough to
 * store, match versions against and show. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unistr.h>

#include "common/wjson.h"
#include "common/xmalloc.h"
#include "collector/collector.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Some text the product holds: UTF-8, no control characters. */
static void
fuzz_text(const char *s, int may_be_null, int may_be_empty)
{
	size_t	 i;

	if (s == NULL) {
		if (!may_be_null)
			abort();
		return;
	}
	if (!may_be_empty && *s == '\0')
		abort();
	if (u8_check((const uint8_t *)s, strlen(s)) != NULL)
		abort();
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

/* A field is absent, true, false or a date that reads back as itself. */
static void
fuzz_value(const struct eol_value *v)
{
	char	 buf[16];
	int64_t	 day;

	if (v->kind < EOL_ABSENT || v->kind > EOL_DATE)
		abort();
	if (v->kind != EOL_DATE)
		return;
	if (eol_parse_day(eol_format_day(v->day, buf, sizeof buf), &day) ==
	    -1 || day != v->day)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* As eol_refresh.c asks of a reply. */
	struct wjson_limits	 lim = { 8 * 1024 * 1024, 32, 64 * 1024 };
	struct eol_product	 p;
	const struct eol_cycle	*c;
	json_t			*doc, *result, *v;
	char			 err[512], *title;
	size_t			 i, j;

	if ((doc = wjson_parse((const char *)data, size, &lim, err,
	    sizeof err)) == NULL)
		return 0;
	if ((result = json_object_get(doc, "result")) == NULL) {
		json_decref(doc);
		return 0;
	}
	if (eol_product_from_json(result, "fuzz", &p, err, sizeof err) == -1) {
		if (p.name != NULL || p.cycles != NULL || err[0] == '\0')
			abort();
		json_decref(doc);
		return 0;
	}
	fuzz_text(p.name, 0, 0);
	fuzz_text(p.label, 0, 1);
	fuzz_text(p.eoas_label, 1, 1);
	fuzz_text(p.eol_label, 1, 1);
	fuzz_text(p.eoes_label, 1, 1);
	if (p.ncycles == 0)
		abort();
	for (i = 0; i < p.ncycles; i++) {
		c = &p.cycles[i];
		/* The name is the key of the cycle: in ward.db, in alert
		 * keys, in the mapping's rules. */
		fuzz_text(c->name, 0, 0);
		fuzz_text(c->label, 1, 1);
		fuzz_text(c->codename, 1, 1);
		fuzz_text(c->latest, 1, 1);
		for (j = 0; j < i; j++)
			if (strcmp(p.cycles[j].name, c->name) == 0)
				abort();
		fuzz_value(&c->release);
		fuzz_value(&c->eoas);
		fuzz_value(&c->eol);
		fuzz_value(&c->eoes);
		fuzz_value(&c->lts);
		title = eol_cycle_title(&p, c);
		fuzz_text(title, 0, 0);
		free(title);
		/* Each cycle is found by its own name. */
		if (eol_cycle_match(&p, c->name) == NULL)
			abort();
	}
	/* Versions as hosts report them, against the cycles. */
	(void)eol_cycle_match(&p, "7.9");
	(void)eol_cycle_match(&p, "v17.09.04a");
	(void)eol_cycle_match(&p, "10.0.17763");
	(void)eol_cycle_match(&p, "");
	if ((v = json_object_get(result, "name")) != NULL &&
	    json_is_string(v))
		(void)eol_cycle_match(&p, json_string_value(v));
	eol_product_clear(&p);
	json_decref(doc);
	return 0;
}
