/* cmd_alerts.c: ward alerts: live alerts newest first (or any status),
 * filtered like GET /api/v1/alerts, when this collector keeps alerts. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/cli.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "tui/tui.h"

#define ALERTS_PAGE	1000

enum { O_ALL, O_STATUS, O_SEVERITY, O_KIND, O_DC, O_HOST, O_LIMIT };
static const struct cmd_opt alerts_opts[] = {
	[O_ALL] = { "all", 0, NULL, "resolved alerts too (--status all)" },
	[O_STATUS] = { "status", 1, "STATUS",
	    "active (default: open and acknowledged), open, acknowledged, "
	    "resolved or all" },
	[O_SEVERITY] = { "severity", 1, "SEV", "warning or critical" },
	[O_KIND] = { "kind", 1, "KIND", "only alerts of this kind" },
	[O_DC] = { "datacentre", 1, "NAME", "only alerts in this datacentre" },
	[O_HOST] = { "host", 1, "NAME", "only alerts about this host" },
	[O_LIMIT] = { "limit", 1, "N", "at most N alerts" },
	{ NULL, 0, NULL, NULL },
};

static const char *
alerts_colour(const struct table *t, size_t row, size_t col)
{
	return col == 1 ? cmd_state_colour(t->rows[row][col]) : NULL;
}

static int
alerts_exec(struct cmd_ctx *c, const struct cmd_args *a)
{
	static const struct table_col cols[] = {
		{ "ID", TABLE_RIGHT, 0, 0 },
		{ "SEVERITY", 0, 0, 0 },
		{ "STATUS", 0, 0, 3 },
		{ "HOST", TABLE_FLEX, 8, 0 },
		{ "DATACENTRE", TABLE_FLEX, 6, 4 },
		{ "KIND", TABLE_FLEX, 6, 5 },
		{ "AGE", TABLE_RIGHT, 0, 2 },
		{ "SUMMARY", TABLE_FLEX, 12, 1 },
	};
	static const char *const params[] = {
		[O_STATUS] = "status", [O_SEVERITY] = "severity",
		[O_KIND] = "kind", [O_DC] = "datacentre", [O_HOST] = "host",
	};
	struct api_reply	 r;
	struct table		*t;
	struct buf		 b;
	json_t			*v;
	size_t			 i;
	int64_t			 limit = 0;
	char			*path, *e, id[24], age[32], err[128];
	const char		*cells[8];
	int			 k, rc;

	if (a->value[O_LIMIT] != NULL && str_parse_int64(a->value[O_LIMIT],
	    1, 1000000000, &limit, err, sizeof err) == -1) {
		fprintf(stderr, "ward alerts: --limit: %s\n", err);
		return WARD_EXIT_USAGE;
	}
	if (a->value[O_ALL] != NULL && a->value[O_STATUS] != NULL) {
		fprintf(stderr, "ward alerts: --all and --status: choose one\n");
		return WARD_EXIT_USAGE;
	}
	buf_init(&b, 0);
	buf_printf(&b, "/api/v1/alerts?limit=%lld", (long long)(limit > 0 &&
	    limit < ALERTS_PAGE ? limit : ALERTS_PAGE));
	if (a->value[O_ALL] != NULL)
		buf_printf(&b, "&status=all");
	for (k = O_STATUS; k <= O_HOST; k++) {
		if (a->value[k] == NULL)
			continue;
		e = api_escape(a->value[k]);
		buf_printf(&b, "&%s=%s", params[k], e);
		free(e);
	}
	path = buf_detach(&b, NULL);
	if (cmd_get_all(c, path, "alerts", (size_t)limit, &r) == -1) {
		rc = cmd_fail(c, "alerts", &r);
		goto done;
	}
	if (c->json) {
		rc = cmd_print_json(c, r.doc);
		goto done;
	}
	t = table_new(cols, 8);
	json_array_foreach(json_object_get(r.doc, "alerts"), i, v) {
		snprintf(id, sizeof id, "%lld", (long long)ji(v, "id", 0));
		cells[0] = id;
		cells[1] = js(v, "severity");
		cells[2] = js(v, "status");
		cells[3] = js(v, "host");
		cells[4] = js(v, "datacentre");
		cells[5] = js(v, "kind");
		cells[6] = cmd_time(c, age, sizeof age, js(v, "opened"));
		cells[7] = js(v, "summary");
		table_add(t, cells);
	}
	cmd_print_table(c, t, alerts_colour, "no alerts");
	table_free(t);
	rc = WARD_EXIT_OK;
done:
	api_reply_free(&r);
	free(path);
	return rc;
}

const struct cmd_entry cmd_alerts_entry = {
	"alerts", "",
	"alerts, newest first: open and acknowledged unless asked",
	alerts_opts, 0, 0, alerts_exec, 1,
};
