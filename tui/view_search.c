/* view_search.c: what / found: hosts by name, FQDN, serial, model, OS
 * or address, best first. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "tui/tui.h"

static char *
search_path(const char *text)
{
	char	*e, *path;

	e = api_escape(text);
	xasprintf(&path, "/api/v1/search?q=%s&limit=500", e);
	free(e);
	return path;
}

static void
search_want(struct dash *d, struct view *v)
{
	char	*path = search_path(v->arg);

	dash_want(d, 0, "%s", path);
	free(path);
}

static void
search_build(struct dash *d, struct view *v, struct dash_page *p)
{
	static const struct table_col cols[] = {
		{ "NAME", TABLE_FLEX, 10, 0 },
		{ "STATE", 0, 0, 0 },
		{ "DATACENTRE", TABLE_FLEX, 6, 2 },
		{ "KIND", 0, 0, 4 },
		{ "MATCHED", 0, 0, 3 },
		{ "FQDN", TABLE_FLEX, 10, 5 },
	};
	const char	*cells[6];
	char		*path = search_path(v->arg);
	json_t		*doc, *r;
	size_t		 i;

	doc = dash_doc(d, p, path, "search");
	free(path);
	if (doc == NULL)
		return;
	dash_line(p, 0, TONE_HEADING, "%lld found for \"%s\"%s",
	    (long long)ji(doc, "total", 0), v->arg,
	    json_is_true(json_object_get(doc, "truncated")) ?
	    " (the best 500 shown)" : "");
	p->table = table_new(cols, 6);
	p->tone_col = 1;
	p->empty = "nothing matches";
	json_array_foreach(json_object_get(doc, "results"), i, r) {
		cells[0] = js(r, "name");
		cells[1] = js(r, "state");
		cells[2] = js(r, "datacentre");
		cells[3] = js(r, "kind");
		cells[4] = js(r, "matched");
		cells[5] = js(r, "fqdn");
		table_add(p->table, cells);
		/* Only hosts open as hosts; other kinds of result will have
		 * views of their own. */
		dash_page_key(p, js(r, "type") == NULL ||
		    strcmp(js(r, "type"), "host") == 0 ? js(r, "agent_id") : "");
	}
}

static void
search_open(struct dash *d, struct view *v, const char *key)
{
	(void)v;
	if (*key != '\0')
		dash_push(d, &view_host, key);
}

const struct view_entry view_search = {
	"Search", 0, 0, search_want, search_build, search_open, 0,
};
