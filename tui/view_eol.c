/* view_eol.c: the EOL tab: every asset counted by lifecycle status, how
 * old the catalogue's facts are, and each asset's lifecycle; Enter opens
 * the host. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/xmalloc.h"
#include "tui/tui.h"

#define EOL_SUMMARY	"/api/v1/eol/summary"
#define EOL_ASSETS	"/api/v1/eol/assets?limit=1000"

/* Better to worse, as the collector ranks them. */
static const char *const eol_statuses[] = {
	"supported", "unknown", "ending", "extended", "eol", NULL
};

static void
eol_want(struct dash *d, struct view *v)
{
	(void)v;
	dash_want(d, 0, EOL_SUMMARY);
	dash_want(d, 1, EOL_ASSETS);
}

/* "supported 170  unknown 35  ..." with each count in its tone. */
static void
eol_counts(struct dash_page *p, const char *label, const json_t *counts,
    int64_t total)
{
	struct dash_line	*l;
	struct buf		 b;
	size_t			 i;

	buf_init(&b, 0);
	buf_printf(&b, "%-9s", label);
	if (total >= 0)
		buf_printf(&b, " %lld assets", (long long)total);
	for (i = 0; eol_statuses[i] != NULL; i++)
		buf_printf(&b, "  %s %lld", eol_statuses[i],
		    (long long)ji(counts, eol_statuses[i], 0));
	if (json_object_get(counts, "not_applicable") != NULL)
		buf_printf(&b, "  not applicable %lld",
		    (long long)ji(counts, "not_applicable", 0));
	l = dash_line(p, 0, total >= 0 ? TONE_HEADING : TONE_NONE, "%s",
	    buf_cstr(&b));
	/* The worst status present stands out. */
	for (i = 5; i-- > 0;)
		if (ji(counts, eol_statuses[i], 0) > 0) {
			if (dash_tone(eol_statuses[i]) != TONE_GOOD)
				dash_line_tone(l, eol_statuses[i],
				    dash_tone(eol_statuses[i]));
			break;
		}
	buf_free(&b);
}

static void
eol_summary(struct dash *d, struct dash_page *p)
{
	const json_t	*cat;
	json_t		*s, *src;
	struct buf	 b;
	size_t		 i;

	if ((s = dash_doc(d, p, EOL_SUMMARY, "End of life")) == NULL)
		return;
	eol_counts(p, "assets", json_object_get(s, "status"),
	    ji(s, "assets", 0));
	eol_counts(p, "software", json_object_get(s, "software"), -1);
	eol_counts(p, "hardware", json_object_get(s, "hardware"), -1);
	cat = json_object_get(s, "catalogue");
	buf_init(&b, 0);
	json_array_foreach(json_object_get(cat, "sources"), i, src)
		buf_printf(&b, "%s%s as of %s", i > 0 ? ", " : "",
		    js(src, "source") != NULL ? js(src, "source") : "-",
		    js(src, "as_of") != NULL ? js(src, "as_of") : "-");
	dash_line(p, 0, TONE_DIM, "judged on %s, horizon %lld days; "
	    "catalogue: %s%s", js(s, "at") != NULL ? js(s, "at") : "-",
	    (long long)ji(s, "horizon_days", 0), b.len > 0 ? buf_cstr(&b) :
	    "-", json_array_size(json_object_get(cat,
	    "refresh_failures")) > 0 ? "; some products failed to refresh" :
	    "");
	buf_free(&b);
}

/* What the date is the end of: the product, or the hardware model. */
static char *
eol_what(const json_t *a)
{
	const json_t	*sw = json_object_get(a, "software");
	const json_t	*hw = json_object_get(a, "hardware");
	const char	*of = js(a, "end_of_life_of");
	char		*s;

	if (of != NULL && strcmp(of, "hardware") == 0)
		xasprintf(&s, "%s %s", js(hw, "vendor") != NULL ?
		    js(hw, "vendor") : "", js(hw, "model_pattern") != NULL ?
		    js(hw, "model_pattern") : "");
	else if (js(sw, "title") != NULL)
		s = xstrdup(js(sw, "title"));
	else
		s = xstrdup(js(sw, "reason_code") != NULL ?
		    js(sw, "reason_code") : "-");
	return s;
}

static void
eol_build(struct dash *d, struct view *v, struct dash_page *p)
{
	static const struct table_col cols[] = {
		{ "NAME", TABLE_FLEX, 10, 0 },
		{ "STATUS", 0, 0, 0 },
		{ "END OF LIFE", 0, 0, 0 },
		{ "DAYS", TABLE_RIGHT, 0, 1 },
		{ "OF", 0, 0, 4 },
		{ "PRODUCT", TABLE_FLEX, 12, 2 },
		{ "DATACENTRE", TABLE_FLEX, 6, 3 },
	};
	const char	*cells[7];
	json_t		*doc, *a;
	char		 days[24], *what;
	size_t		 i;

	(void)v;
	eol_summary(d, p);
	if ((doc = dash_doc(d, p, EOL_ASSETS, "assets")) == NULL)
		return;
	p->table = table_new(cols, 7);
	p->tone_col = 1;
	p->empty = "no assets";
	json_array_foreach(json_object_get(doc, "assets"), i, a) {
		what = eol_what(a);
		cells[0] = js(a, "name");
		cells[1] = js(a, "status");
		cells[2] = js(a, "end_of_life");
		if (json_is_integer(json_object_get(a, "days_left"))) {
			snprintf(days, sizeof days, "%lld",
			    (long long)ji(a, "days_left", 0));
			cells[3] = days;
		} else
			cells[3] = NULL;
		cells[4] = js(a, "end_of_life_of");
		cells[5] = what;
		cells[6] = js(a, "datacentre");
		table_add(p->table, cells);
		dash_page_key(p, js(a, "agent_id"));
		free(what);
	}
}

static void
eol_open(struct dash *d, struct view *v, const char *key)
{
	(void)v;
	if (*key != '\0')
		dash_push(d, &view_host, key);
}

const struct view_entry view_eol = {
	"EOL", '5', 0, eol_want, eol_build, eol_open, 0,
};
