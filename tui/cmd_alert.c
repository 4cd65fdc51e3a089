/* cmd_alert.c: ward alert ID: one alert, its runbook and its history. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cli.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "tui/tui.h"

/* An alert id as the API takes it; -1 after saying what is wrong. */
int64_t
cmd_alert_id(const char *cmd, const char *s)
{
	char	*vis, err[128];
	int64_t	 id;

	if (str_parse_int64(s, 1, INT64_MAX, &id, err, sizeof err) == -1) {
		vis = fmt_vis(s);
		fprintf(stderr, "ward %s: \"%s\" is not an alert id (the "
		    "number in ward alerts): %s\n", cmd, vis, err);
		free(vis);
		return -1;
	}
	return id;
}

static void
alert_print(struct cmd_ctx *c, const json_t *al)
{
	static const struct table_col cols[] = {
		{ "AT", 0, 0, 0 },
		{ "EVENT", 0, 0, 0 },
		{ "BY", TABLE_FLEX, 6, 1 },
		{ "DETAIL", TABLE_FLEX, 10, 2 },
	};
	const json_t	*ack = json_object_get(al, "acknowledged");
	struct table	*t;
	json_t		*v;
	size_t		 i;
	char		 s[160], when[64], age[32];
	const char	*cells[4];

	snprintf(s, sizeof s, "%lld", (long long)ji(al, "id", 0));
	cmd_kv(c, "alert", s);
	cmd_kv(c, "severity", js(al, "severity"));
	cmd_kv(c, "status", js(al, "status"));
	cmd_kv(c, "summary", js(al, "summary"));
	cmd_kv(c, "kind", js(al, "kind"));
	cmd_kv(c, "host", js(al, "host"));
	if (js(al, "check") != NULL)
		cmd_kv(c, "check", js(al, "check"));
	cmd_kv(c, "datacentre", js(al, "datacentre"));
	snprintf(s, sizeof s, "%s (%s ago)", fmt_iso(when, sizeof when,
	    js(al, "opened")), fmt_iso_age(age, sizeof age, js(al, "opened"),
	    c->now_ms));
	cmd_kv(c, "opened", s);
	if (js(al, "resolved") != NULL)
		cmd_kv(c, "resolved", fmt_iso(when, sizeof when,
		    js(al, "resolved")));
	if (json_is_object(ack)) {
		snprintf(s, sizeof s, "by %s at %s", js(ack, "by") != NULL ?
		    js(ack, "by") : "-", fmt_iso(when, sizeof when,
		    js(ack, "at")));
		cmd_kv(c, "acknowledged", s);
		if (js(ack, "comment") != NULL)
			cmd_kv(c, "comment", js(ack, "comment"));
	}
	if (js(al, "suppressed") != NULL)
		cmd_kv(c, "suppressed", js(al, "suppressed"));
	cmd_kv(c, "runbook", js(al, "runbook_url") != NULL ?
	    js(al, "runbook_url") : js(al, "runbook"));
	if (json_array_size(json_object_get(al, "history")) == 0)
		return;
	fprintf(c->out, "history:\n");
	t = table_new(cols, 4);
	json_array_foreach(json_object_get(al, "history"), i, v) {
		cells[0] = fmt_iso(when, sizeof when, js(v, "at"));
		cells[1] = js(v, "event");
		cells[2] = js(v, "actor");
		cells[3] = js(v, "detail");
		table_add(t, cells);
	}
	table_fit(t, c->width > 2 ? c->width - 2 : 0);
	for (i = 0; i < t->nrows; i++) {
		char	*l = table_line(t, i);

		fprintf(c->out, "  %s\n", l);
		free(l);
	}
	table_free(t);
}

static int
alert_exec(struct cmd_ctx *c, const struct cmd_args *a)
{
	struct api_reply	 r;
	char			*path;
	int64_t			 id;
	int			 rc;

	if ((id = cmd_alert_id("alert", a->argv[0])) == -1)
		return WARD_EXIT_USAGE;
	xasprintf(&path, "/api/v1/alerts/%lld", (long long)id);
	if (api_get(c->api, path, &r) == -1)
		rc = cmd_fail(c, "alert", &r);
	else if (c->json)
		rc = cmd_print_json(c, r.doc);
	else {
		alert_print(c, r.doc);
		rc = WARD_EXIT_OK;
	}
	api_reply_free(&r);
	free(path);
	return rc;
}

const struct cmd_entry cmd_alert_entry = {
	"alert", "ID",
	"one alert: what, where, since when, its runbook and history",
	NULL, 1, 1, alert_exec, 0,
};
