/* cmd_eol.c: ward eol: each asset's lifecycle from the collector's
 * end-of-life tracking, the soonest end first; --within DAYS for what
 * ends in the next DAYS days. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/cli.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "tui/tui.h"

#define EOL_PAGE	1000

enum { O_WITHIN, O_STATUS, O_DC, O_PRODUCT, O_AT, O_LIMIT };
static const struct cmd_opt eol_opts[] = {
	[O_WITHIN] = { "within", 1, "DAYS",
	    "only assets whose end of life comes in the next DAYS days "
	    "(0-36600)" },
	[O_STATUS] = { "status", 1, "STATUS",
	    "supported, ending, extended, eol or unknown" },
	[O_DC] = { "datacentre", 1, "NAME", "only assets in this datacentre" },
	[O_PRODUCT] = { "product", 1, "NAME",
	    "a catalogue product (rhel) or a hardware vendor (Dell)" },
	[O_AT] = { "at", 1, "DATE", "judge at another day: 2027-04-01, -30d" },
	[O_LIMIT] = { "limit", 1, "N", "at most N assets" },
	{ NULL, 0, NULL, NULL },
};

static const char *
eol_colour(const struct table *t, size_t row, size_t col)
{
	return col == 1 ? cmd_state_colour(t->rows[row][col]) : NULL;
}

struct eol_item {
	json_t	*asset;
	int	 dated;
	int64_t	 days_left;
	size_t	 order;		/* the collector's: by name */
};

/* The soonest end of life first (the most overdue before it), those
 * without a date last; the collector's order otherwise. */
static int
eol_cmp(const void *a, const void *b)
{
	const struct eol_item	*x = a, *y = b;

	if (x->dated != y->dated)
		return x->dated ? -1 : 1;
	if (x->dated && x->days_left != y->days_left)
		return x->days_left < y->days_left ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* What the date is the end of: "Red Hat Enterprise Linux 7", "Dell
 * PowerEdge R620". */
static char *
eol_what(const json_t *v)
{
	const json_t	*sw = json_object_get(v, "software");
	const json_t	*hw = json_object_get(v, "hardware");
	const char	*of = js(v, "end_of_life_of");
	char		*s;

	if (of != NULL && strcmp(of, "hardware") == 0)
		xasprintf(&s, "%s %s", js(hw, "vendor") != NULL ?
		    js(hw, "vendor") : "", js(hw, "model_pattern") != NULL ?
		    js(hw, "model_pattern") : "");
	else if (js(sw, "title") != NULL)
		s = xstrdup(js(sw, "title"));
	else if (js(sw, "product") != NULL)
		xasprintf(&s, "%s %s", js(sw, "product"),
		    js(sw, "cycle") != NULL ? js(sw, "cycle") : "");
	else
		s = xstrdup(js(sw, "reason_code") != NULL ?
		    js(sw, "reason_code") : "-");
	return s;
}

static int
eol_exec(struct cmd_ctx *c, const struct cmd_args *a)
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
	static const char *const params[] = {
		[O_WITHIN] = "within", [O_STATUS] = "status",
		[O_DC] = "datacentre", [O_PRODUCT] = "product", [O_AT] = "at",
	};
	struct api_reply	 r;
	struct table		*t;
	struct buf		 b;
	struct eol_item		*items = NULL;
	json_t			*list, *v;
	size_t			 i, n;
	int64_t			 limit = 0, days;
	char			*path, *e, *what, left[24], err[128];
	const char		*cells[7];
	int			 k, rc;

	if (a->value[O_WITHIN] != NULL && str_parse_int64(a->value[O_WITHIN],
	    0, 36600, &days, err, sizeof err) == -1) {
		fprintf(stderr, "ward eol: --within: %s (days, 0-36600)\n",
		    err);
		return WARD_EXIT_USAGE;
	}
	if (a->value[O_LIMIT] != NULL && str_parse_int64(a->value[O_LIMIT],
	    1, 1000000000, &limit, err, sizeof err) == -1) {
		fprintf(stderr, "ward eol: --limit: %s\n", err);
		return WARD_EXIT_USAGE;
	}
	buf_init(&b, 0);
	buf_printf(&b, "/api/v1/eol/assets?limit=%lld", (long long)(limit > 0 &&
	    limit < EOL_PAGE ? limit : EOL_PAGE));
	for (k = O_WITHIN; k <= O_AT; k++) {
		if (a->value[k] == NULL)
			continue;
		e = api_escape(a->value[k]);
		buf_printf(&b, "&%s=%s", params[k], e);
		free(e);
	}
	path = buf_detach(&b, NULL);
	if (cmd_get_all(c, path, "assets", (size_t)limit, &r) == -1) {
		rc = cmd_fail(c, "end of life", &r);
		goto done;
	}
	if (c->json) {
		rc = cmd_print_json(c, r.doc);
		goto done;
	}
	list = json_object_get(r.doc, "assets");
	n = json_array_size(list);
	items = xcalloc(n > 0 ? n : 1, sizeof *items);
	for (i = 0; i < n; i++) {
		v = json_array_get(list, i);
		items[i].asset = v;
		items[i].dated = json_is_integer(json_object_get(v,
		    "days_left"));
		items[i].days_left = ji(v, "days_left", 0);
		items[i].order = i;
	}
	qsort(items, n, sizeof *items, eol_cmp);
	t = table_new(cols, 7);
	for (i = 0; i < n; i++) {
		v = items[i].asset;
		what = eol_what(v);
		cells[0] = js(v, "name");
		cells[1] = js(v, "status");
		cells[2] = js(v, "end_of_life");
		if (items[i].dated) {
			snprintf(left, sizeof left, "%lld",
			    (long long)items[i].days_left);
			cells[3] = left;
		} else
			cells[3] = NULL;
		cells[4] = js(v, "end_of_life_of");
		cells[5] = what;
		cells[6] = js(v, "datacentre");
		table_add(t, cells);
		free(what);
	}
	cmd_print_table(c, t, eol_colour, a->value[O_WITHIN] != NULL ?
	    "nothing reaches its end of life within those days" :
	    "no assets");
	if (c->tty && !c->csv && n > 0)
		fprintf(c->out, "(judged on %s; end of life of the part that "
		    "ends first; DAYS < 0: past)\n", js(r.doc, "at") != NULL ?
		    js(r.doc, "at") : "today");
	table_free(t);
	rc = WARD_EXIT_OK;
done:
	free(items);
	api_reply_free(&r);
	free(path);
	return rc;
}

const struct cmd_entry cmd_eol_entry = {
	"eol", "",
	"each asset's OS and hardware lifecycle, soonest end first",
	eol_opts, 0, 0, eol_exec, 1,
};
