/* cmd_search.c: ward search TEXT: the one search box, best matches first. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/cli.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "tui/tui.h"

enum { O_LIMIT };
static const struct cmd_opt search_opts[] = {
	[O_LIMIT] = { "limit", 1, "N", "at most N results (1-1000, default 50)" },
	{ NULL, 0, NULL, NULL },
};

static const char *
search_colour(const struct table *t, size_t row, size_t col)
{
	return col == 1 ? cmd_state_colour(t->rows[row][col]) : NULL;
}

static int
search_exec(struct cmd_ctx *c, const struct cmd_args *a)
{
	static const struct table_col cols[] = {
		{ "NAME", TABLE_FLEX, 10, 0 },
		{ "STATE", 0, 0, 0 },
		{ "DATACENTRE", TABLE_FLEX, 6, 2 },
		{ "KIND", 0, 0, 4 },
		{ "MATCHED", 0, 0, 3 },
		{ "FQDN", TABLE_FLEX, 10, 5 },
		{ "TYPE", 0, 0, 6 },
	};
	struct api_reply	 r;
	struct table		*t;
	struct buf		 text;
	json_t			*v;
	size_t			 i;
	int64_t			 limit = 50;
	char			*path, *q, *vis, err[128];
	const char		*cells[7];
	int			 k, rc;

	if (a->value[O_LIMIT] != NULL && str_parse_int64(a->value[O_LIMIT],
	    1, 1000, &limit, err, sizeof err) == -1) {
		fprintf(stderr, "ward search: --limit: %s\n", err);
		return WARD_EXIT_USAGE;
	}
	/* "ward search Dell R640" asks for the words as one text. */
	buf_init(&text, 0);
	for (k = 0; k < a->argc; k++)
		buf_printf(&text, "%s%s", k > 0 ? " " : "", a->argv[k]);
	q = api_escape(buf_cstr(&text));
	xasprintf(&path, "/api/v1/search?q=%s&limit=%lld", q,
	    (long long)limit);
	free(q);
	if (api_get(c->api, path, &r) == -1) {
		rc = cmd_fail(c, "search", &r);
		goto done;
	}
	if (c->json) {
		rc = cmd_print_json(c, r.doc);
		goto done;
	}
	if (json_array_size(json_object_get(r.doc, "results")) == 0) {
		vis = fmt_vis(buf_cstr(&text));
		fprintf(stderr, "ward: nothing matches \"%s\"\n", vis);
		free(vis);
		rc = TUI_EXIT_NOT_FOUND;
		goto done;
	}
	t = table_new(cols, 7);
	json_array_foreach(json_object_get(r.doc, "results"), i, v) {
		cells[0] = js(v, "name");
		cells[1] = js(v, "state");
		cells[2] = js(v, "datacentre");
		cells[3] = js(v, "kind");
		cells[4] = js(v, "matched");
		cells[5] = js(v, "fqdn");
		cells[6] = js(v, "type");
		table_add(t, cells);
	}
	cmd_print_table(c, t, search_colour, NULL);
	if (json_is_true(json_object_get(r.doc, "truncated")) && c->tty &&
	    !c->csv)
		fprintf(c->out, "(%zu of %lld shown; --limit for more)\n",
		    t->nrows, (long long)ji(r.doc, "total", 0));
	table_free(t);
	rc = WARD_EXIT_OK;
done:
	api_reply_free(&r);
	buf_free(&text);
	free(path);
	return rc;
}

const struct cmd_entry cmd_search_entry = {
	"search", "TEXT",
	"search hosts by name, FQDN, serial, model, OS or address",
	search_opts, 1, -1, search_exec, 1,
};
