/* cmd_hosts.c: ward hosts: the hosts that match filters and a text query,
 * one line each, every page of them. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/cli.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "tui/tui.h"

/* Hosts per request: the API's largest page. */
#define HOSTS_PAGE	1000

enum { O_DC, O_STATE, O_KIND, O_LIMIT };
static const struct cmd_opt hosts_opts[] = {
	[O_DC] = { "datacentre", 1, "NAME",
	    "only hosts in this datacentre ('' for those in none)" },
	[O_STATE] = { "state", 1, "STATE",
	    "only hosts in this state: UP, DOWN, UNREACHABLE, STALE" },
	[O_KIND] = { "kind", 1, "KIND", "only this kind: server, switch, ..." },
	[O_LIMIT] = { "limit", 1, "N", "at most N hosts" },
	{ NULL, 0, NULL, NULL },
};

/* The query string for the API from the options (and the text). */
static char *
hosts_query(const struct cmd_args *a, int64_t limit)
{
	static const char *const params[] = {
		[O_DC] = "datacentre", [O_STATE] = "state", [O_KIND] = "kind",
	};
	struct buf	 b;
	char		*v;
	int		 i;

	buf_init(&b, 0);
	buf_printf(&b, "/api/v1/hosts?limit=%lld", (long long)(limit > 0 &&
	    limit < HOSTS_PAGE ? limit : HOSTS_PAGE));
	for (i = O_DC; i <= O_KIND; i++) {
		if (a->value[i] == NULL)
			continue;
		v = api_escape(a->value[i]);
		buf_printf(&b, "&%s=%s", params[i], v);
		free(v);
	}
	if (a->argc > 0) {
		v = api_escape(a->argv[0]);
		buf_printf(&b, "&q=%s", v);
		free(v);
	}
	return buf_detach(&b, NULL);
}

/* Every address, for CSV: "10.0.0.1 10.0.0.2" (cut at size). */
static void
hosts_addresses(char *dst, size_t size, const json_t *h)
{
	struct buf	 b;
	json_t		*a;
	size_t		 i;

	buf_init(&b, 0);
	json_array_foreach(json_object_get(h, "addresses"), i, a)
		if (json_string_value(a) != NULL)
			buf_printf(&b, "%s%s", b.len > 0 ? " " : "",
			    json_string_value(a));
	str_copy(dst, b.len > 0 ? buf_cstr(&b) : "-", size);
	buf_free(&b);
}

static const char *
hosts_colour(const struct table *t, size_t row, size_t col)
{
	return col == 1 ? cmd_state_colour(t->rows[row][col]) : NULL;
}

static int
hosts_exec(struct cmd_ctx *c, const struct cmd_args *a)
{
	static const struct table_col cols[] = {
		{ "NAME", TABLE_FLEX, 10, 0 },
		{ "STATE", 0, 0, 0 },
		{ "DATACENTRE", TABLE_FLEX, 6, 2 },
		{ "KIND", 0, 0, 5 },
		{ "ADDRESS", 0, 0, 3 },
		{ "LAST REPORT", TABLE_RIGHT, 0, 4 },
		{ "OS", TABLE_FLEX, 12, 6 },
	};
	struct api_reply	 r;
	struct table		*t;
	json_t			*v;
	size_t			 i;
	int64_t			 limit = 0;
	char			*path, age[32], addr[96], err[128];
	const char		*cells[7], *first;
	int			 rc;

	if (a->value[O_LIMIT] != NULL && str_parse_int64(a->value[O_LIMIT],
	    1, 1000000000, &limit, err, sizeof err) == -1) {
		fprintf(stderr, "ward hosts: --limit: %s\n", err);
		return WARD_EXIT_USAGE;
	}
	path = hosts_query(a, limit);
	if (cmd_get_all(c, path, "hosts", (size_t)limit, &r) == -1) {
		rc = cmd_fail(c, "hosts", &r);
		goto done;
	}
	if (c->json) {
		rc = cmd_print_json(c, r.doc);
		goto done;
	}
	t = table_new(cols, 7);
	json_array_foreach(json_object_get(r.doc, "hosts"), i, v) {
		first = json_string_value(json_array_get(json_object_get(v,
		    "addresses"), 0));
		if (c->csv)
			hosts_addresses(addr, sizeof addr, v);
		else if (first != NULL && json_array_size(json_object_get(v,
		    "addresses")) > 1)
			snprintf(addr, sizeof addr, "%s +%zu", first,
			    json_array_size(json_object_get(v, "addresses")) - 1);
		else
			str_copy(addr, first != NULL ? first : "-", sizeof addr);
		cells[0] = js(v, "name");
		cells[1] = js(v, "state");
		cells[2] = js(v, "datacentre");
		cells[3] = js(v, "kind");
		cells[4] = addr;
		cells[5] = cmd_time(c, age, sizeof age, js(v, "last_report"));
		cells[6] = js(v, "os_pretty_name");
		table_add(t, cells);
	}
	cmd_print_table(c, t, hosts_colour, "no hosts match");
	table_free(t);
	rc = WARD_EXIT_OK;
done:
	api_reply_free(&r);
	free(path);
	return rc;
}

const struct cmd_entry cmd_hosts_entry = {
	"hosts", "[QUERY]",
	"hosts by filters and text (name, FQDN, serial, model, OS, address)",
	hosts_opts, 0, 1, hosts_exec, 1,
};
