/* view_search.c: what / found: hosts by name, FQDN, serial, model, OS
 * or address, best first; then people by name or username, when the
 * collector serves identity. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "tui/tui.h"

#define SEARCH_PERSONS_MAX	50

static char *
search_path(const char *text)
{
	char	*e, *path;

	e = api_escape(text);
	xasprintf(&path, "/api/v1/search?q=%s&limit=500", e);
	free(e);
	return path;
}

/* People too, from a collector that serves identity (the API wants two
 * bytes at least). */
static char *
search_persons_path(const char *text)
{
	char	*e, *path;

	if (strlen(text) < 2 || strlen(text) > 255)
		return NULL;
	e = api_escape(text);
	xasprintf(&path, "/api/v1/persons?q=%s&limit=%d", e,
	    SEARCH_PERSONS_MAX);
	free(e);
	return path;
}

static void
search_want(struct dash *d, struct view *v)
{
	char	*path = search_path(v->arg);

	dash_want(d, 0, "%s", path);
	free(path);
	if ((path = search_persons_path(v->arg)) != NULL)
		dash_want(d, 0, "%s", path);
	free(path);
}

/* The people found, or NULL: none, or no identity on this collector
 * (then nothing is said: hosts are what / is mostly for). */
static json_t *
search_persons(struct dash *d, struct dash_page *p, const char *text)
{
	const struct api_reply	*r;
	json_t			*doc;
	char			*path;

	if ((path = search_persons_path(text)) == NULL)
		return NULL;
	doc = dash_good(d, path);
	r = dash_reply(d, path);
	free(path);
	if (doc == NULL && r != NULL && r->status != API_OK &&
	    r->status != API_UNCONFIGURED && r->status != API_NOT_AVAILABLE &&
	    r->status != API_UNREACHABLE)
		dash_line(p, 1, TONE_BAD, "people: %s", r->error);
	if (json_array_size(json_object_get(doc, "persons")) == 0)
		return NULL;
	return doc;
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
	static const struct table_col with_people[] = {
		{ "NAME", TABLE_FLEX, 10, 0 },
		{ "STATE", 0, 0, 0 },
		{ "DATACENTRE", TABLE_FLEX, 6, 2 },
		{ "KIND", 0, 0, 4 },
		{ "MATCHED", 0, 0, 3 },
		{ "FQDN / ACCOUNTS", TABLE_FLEX | TABLE_SAFE, 10, 5 },
	};
	const char	*cells[6];
	char		*path = search_path(v->arg), *key, *accounts, *fqdn;
	json_t		*doc, *r, *people;
	size_t		 i, np;

	doc = dash_doc(d, p, path, "search");
	free(path);
	if (doc == NULL)
		return;
	people = search_persons(d, p, v->arg);
	np = json_array_size(json_object_get(people, "persons"));
	if (np == 0)
		dash_line(p, 0, TONE_HEADING, "%lld found for \"%s\"%s",
		    (long long)ji(doc, "total", 0), v->arg,
		    json_is_true(json_object_get(doc, "truncated")) ?
		    " (the best 500 shown)" : "");
	else
		dash_line(p, 0, TONE_HEADING, "%lld hosts and %zu %s found "
		    "for \"%s\"%s", (long long)ji(doc, "total", 0), np,
		    np == 1 ? "person" : "people", v->arg,
		    json_is_true(json_object_get(doc, "truncated")) ||
		    json_is_true(json_object_get(people, "truncated")) ?
		    " (the best shown)" : "");
	p->table = table_new(np > 0 ? with_people : cols, 6);
	p->tone_col = 1;
	p->empty = "nothing matches";
	/* Hosts first: they are what / is mostly for. */
	json_array_foreach(json_object_get(doc, "results"), i, r) {
		cells[0] = js(r, "name");
		cells[1] = js(r, "state");
		cells[2] = js(r, "datacentre");
		cells[3] = js(r, "kind");
		cells[4] = js(r, "matched");
		/* Beside people's accounts, made safe here. */
		fqdn = np > 0 && js(r, "fqdn") != NULL ?
		    fmt_vis(js(r, "fqdn")) : NULL;
		cells[5] = np > 0 ? fqdn : js(r, "fqdn");
		table_add(p->table, cells);
		free(fqdn);
		/* Only hosts open as hosts; other kinds of result will have
		 * views of their own. */
		if (js(r, "type") == NULL || strcmp(js(r, "type"), "host") == 0)
			xasprintf(&key, "h:%s", js(r, "agent_id") != NULL ?
			    js(r, "agent_id") : "");
		else
			key = xstrdup("");
		dash_page_key(p, key);
		free(key);
	}
	json_array_foreach(json_object_get(people, "persons"), i, r) {
		accounts = person_accounts_line(json_object_get(r,
		    "accounts"), dash_now_ms(d));
		cells[0] = js(r, "display_name");
		cells[1] = js(r, "status");
		cells[2] = NULL;
		cells[3] = "person";
		cells[4] = person_matched(r, v->arg);
		cells[5] = accounts;
		table_add(p->table, cells);
		xasprintf(&key, "p:%s", js(r, "id") != NULL ? js(r, "id") : "");
		dash_page_key(p, key);
		free(key);
		free(accounts);
	}
}

static void
search_open(struct dash *d, struct view *v, const char *key)
{
	(void)v;
	if (strncmp(key, "h:", 2) == 0 && key[2] != '\0')
		dash_push(d, &view_host, key + 2);
	else if (strncmp(key, "p:", 2) == 0 && key[2] != '\0')
		dash_push(d, &view_person, key + 2);
}

const struct view_entry view_search = {
	"Search", 0, 0, search_want, search_build, search_open, 0,
};
