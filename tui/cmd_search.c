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

/* People too, when the collector serves identity (any failure there
 * leaves the hosts' answer as it is); NULL otherwise. */
static json_t *
search_persons(struct cmd_ctx *c, const char *text, int64_t limit)
{
	struct api_reply	 r;
	json_t			*persons = NULL;
	char			*path, *q;

	if (strlen(text) < 2)
		return NULL;
	q = api_escape(text);
	xasprintf(&path, "/api/v1/persons?q=%s&limit=%lld", q,
	    (long long)(limit < 200 ? limit : 200));
	free(q);
	if (api_get(c->api, path, &r) == 0 &&
	    json_is_array(json_object_get(r.doc, "persons")))
		persons = json_incref(json_object_get(r.doc, "persons"));
	api_reply_free(&r);
	free(path);
	return persons;
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
		/* A host's FQDN, or a person's accounts ("btuh\\jsmith"):
		 * made safe here, each in its own way. */
		{ "FQDN", TABLE_FLEX | TABLE_SAFE, 10, 5 },
		{ "TYPE", 0, 0, 6 },
	};
	struct api_reply	 r;
	struct table		*t;
	struct buf		 text;
	json_t			*v, *persons = NULL;
	size_t			 i;
	int64_t			 limit = 50;
	char			*path, *q, *vis, *line, err[128];
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
	persons = search_persons(c, buf_cstr(&text), limit);
	if (c->json) {
		if (persons != NULL)
			json_object_set(r.doc, "persons", persons);
		rc = cmd_print_json(c, r.doc);
		goto done;
	}
	if (json_array_size(json_object_get(r.doc, "results")) == 0 &&
	    json_array_size(persons) == 0) {
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
		line = json_is_string(json_object_get(v, "fqdn")) ?
		    fmt_vis(js(v, "fqdn")) : NULL;
		cells[5] = line;
		cells[6] = js(v, "type");
		table_add(t, cells);
		free(line);
	}
	/* People after hosts: name, status, what matched, their accounts. */
	json_array_foreach(persons, i, v) {
		line = person_accounts_line(json_object_get(v, "accounts"),
		    c->now_ms);
		cells[0] = js(v, "display_name");
		cells[1] = js(v, "status");
		cells[2] = "";
		cells[3] = "person";
		cells[4] = person_matched(v, buf_cstr(&text));
		cells[5] = line;
		cells[6] = "person";
		table_add(t, cells);
		free(line);
	}
	cmd_print_table(c, t, search_colour, NULL);
	if (json_is_true(json_object_get(r.doc, "truncated")) && c->tty &&
	    !c->csv)
		fprintf(c->out, "(%zu of %lld shown; --limit for more)\n",
		    t->nrows, (long long)ji(r.doc, "total", 0));
	table_free(t);
	rc = WARD_EXIT_OK;
done:
	json_decref(persons);
	api_reply_free(&r);
	buf_free(&text);
	free(path);
	return rc;
}

const struct cmd_entry cmd_search_entry = {
	"search", "TEXT",
	"search hosts by name, FQDN, serial, model, OS or address, and "
	"people by name or username",
	search_opts, 1, -1, search_exec, 1,
};
