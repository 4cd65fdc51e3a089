/* cmd_host.c: ward host NAME: the helpdesk's answer about one host: is it
 * up, where is it, what is it, what is failing. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/cli.h"
#include "common/xmalloc.h"
#include "tui/tui.h"

/* Several hosts answer to the name: list them by the id that tells them
 * apart, for the next try. */
static void
host_candidates(const struct cmd_ctx *c, const json_t *doc)
{
	static const struct table_col cols[] = {
		{ "AGENT ID", 0, 0, 0 },
		{ "NAME", TABLE_FLEX, 8, 0 },
		{ "DATACENTRE", TABLE_FLEX, 6, 2 },
		{ "KIND", 0, 0, 3 },
		{ "LAST SEEN", 0, 0, 1 },
	};
	struct table	*t = table_new(cols, 5);
	json_t		*v;
	size_t		 i;
	char		 age[32];
	const char	*cells[5];

	json_array_foreach(json_object_get(doc, "candidates"), i, v) {
		cells[0] = js(v, "agent_id");
		cells[1] = js(v, "name");
		cells[2] = js(v, "datacentre");
		cells[3] = js(v, "kind");
		cells[4] = fmt_iso_age(age, sizeof age, js(v, "last_seen"),
		    c->now_ms);
		table_add(t, cells);
	}
	table_fit(t, c->width);
	table_print(t, stderr, 1, NULL);
	table_free(t);
	fprintf(stderr, "ward: ask for one by its agent id: ward host "
	    "AGENT_ID\n");
}

static void
host_checks(const struct cmd_ctx *c, const json_t *doc)
{
	static const struct table_col cols[] = {
		{ "STATUS", 0, 0, 0 },
		{ "CHECK", TABLE_FLEX, 8, 0 },
		{ "OUTPUT", TABLE_FLEX, 10, 1 },
	};
	struct table	*t = table_new(cols, 3);
	json_t		*checks = json_object_get(doc, "checks"), *v;
	size_t		 i, failing = 0;
	const char	*cells[3];
	char		 line[64];

	json_array_foreach(checks, i, v) {
		if (ji(v, "status", 0) == 0)
			continue;
		failing++;
		cells[0] = js(v, "status_text");
		cells[1] = js(v, "name");
		cells[2] = js(v, "output");
		table_add(t, cells);
	}
	if (json_array_size(checks) == 0)
		snprintf(line, sizeof line, "none reported");
	else if (failing == 0)
		snprintf(line, sizeof line, "all %zu OK",
		    json_array_size(checks));
	else
		snprintf(line, sizeof line, "%zu of %zu failing", failing,
		    json_array_size(checks));
	cmd_kv(c, "checks", line);
	if (failing > 0) {
		t->gap = 2;
		table_fit(t, c->width > 2 ? c->width - 2 : 0);
		for (i = 0; i < t->nrows; i++) {
			char		*l = table_line(t, i);
			const char	*sgr = cmd_state_colour(t->rows[i][0]);

			if (c->colour && sgr != NULL)
				fprintf(c->out, "  \033[%sm%s\033[0m\n", sgr, l);
			else
				fprintf(c->out, "  %s\n", l);
			free(l);
		}
	}
	table_free(t);
}

/* Open alerts, when this collector keeps them; silence when it does not. */
void
cmd_host_alerts(struct cmd_ctx *c, const char *name)
{
	struct api_reply	 r;
	json_t			*v;
	size_t			 i;
	char			*q, *path, age[32], line[64];

	q = api_escape(name);
	xasprintf(&path, "/api/v1/alerts?host=%s&limit=50", q);
	free(q);
	if (api_get(c->api, path, &r) == -1) {
		if (r.status != API_NOT_AVAILABLE)
			cmd_fail(c, "alerts", &r);
		goto done;
	}
	if (json_array_size(json_object_get(r.doc, "alerts")) == 0) {
		cmd_kv(c, "open alerts", "none");
		goto done;
	}
	snprintf(line, sizeof line, "%lld", (long long)ji(r.doc, "total", 0));
	cmd_kv(c, "open alerts", line);
	json_array_foreach(json_object_get(r.doc, "alerts"), i, v) {
		char	*kind = fmt_vis(js(v, "kind"));
		char	*summary = fmt_vis(js(v, "summary"));
		char	*sev = fmt_vis(js(v, "severity"));
		char	*status = fmt_vis(js(v, "status"));

		fprintf(c->out, "  #%lld %s %s %s: %s (%s)\n",
		    (long long)ji(v, "id", 0), sev, status, kind, summary,
		    fmt_iso_age(age, sizeof age, js(v, "opened"), c->now_ms));
		free(kind);
		free(summary);
		free(sev);
		free(status);
	}
done:
	api_reply_free(&r);
	free(path);
}

static void
host_print(struct cmd_ctx *c, const json_t *h)
{
	const json_t	*os = json_object_get(h, "os");
	const json_t	*fw = json_object_get(h, "firmware");
	json_t		*v;
	struct buf	 b;
	char		 when[64], age[32], s[128];
	size_t		 i;

	cmd_kv(c, "name", js(h, "name"));
	cmd_kv(c, "state", js(h, "state"));
	if (js(h, "state_since") != NULL) {
		snprintf(s, sizeof s, "%s (%s ago)", fmt_iso(when, sizeof when,
		    js(h, "state_since")), fmt_iso_age(age, sizeof age,
		    js(h, "state_since"), c->now_ms));
		cmd_kv(c, "state since", s);
	}
	cmd_kv(c, "datacentre", js(h, "datacentre"));
	cmd_kv(c, "kind", js(h, "kind"));
	cmd_kv(c, "fqdn", js(h, "fqdn"));
	buf_init(&b, 0);
	json_array_foreach(json_object_get(h, "addresses"), i, v)
		buf_printf(&b, "%s%s", i > 0 ? ", " : "",
		    json_string_value(v) != NULL ? json_string_value(v) : "");
	cmd_kv(c, "addresses", b.len > 0 ? buf_cstr(&b) : NULL);
	buf_free(&b);
	cmd_kv(c, "vendor", js(h, "vendor"));
	cmd_kv(c, "model", js(h, "model"));
	cmd_kv(c, "serial", js(h, "serial"));
	if (js(os, "pretty_name") != NULL || js(fw, "product") == NULL) {
		cmd_kv(c, "os", js(os, "pretty_name"));
		if (js(os, "kernel") != NULL)
			cmd_kv(c, "kernel", js(os, "kernel"));
	} else {
		buf_init(&b, 0);
		buf_printf(&b, "%s%s%s", js(fw, "product"),
		    js(fw, "version") != NULL ? " " : "",
		    js(fw, "version") != NULL ? js(fw, "version") : "");
		cmd_kv(c, "firmware", buf_cstr(&b));
		buf_free(&b);
	}
	if (ji(h, "uptime_s", -1) >= 0)
		cmd_kv(c, "uptime", fmt_uptime(s, sizeof s,
		    ji(h, "uptime_s", 0)));
	if (js(h, "last_report") != NULL) {
		snprintf(s, sizeof s, "%s (%s ago)", fmt_iso(when, sizeof when,
		    js(h, "last_report")), fmt_iso_age(age, sizeof age,
		    js(h, "last_report"), c->now_ms));
		cmd_kv(c, "last report", s);
	} else
		cmd_kv(c, "last report", NULL);
	cmd_kv(c, "agent id", js(h, "agent_id"));
	host_checks(c, h);
}

static int
host_exec(struct cmd_ctx *c, const struct cmd_args *a)
{
	struct api_reply	 r;
	const char		*name = a->argv[0];
	char			*path, *q, *near;
	int			 rc;

	if (*name == '\0') {
		fprintf(stderr, "ward host: the host's name is empty\n");
		return WARD_EXIT_USAGE;
	}
	q = api_escape(name);
	xasprintf(&path, "/api/v1/hosts/%s", q);
	free(q);
	if (api_get(c->api, path, &r) == -1) {
		rc = cmd_fail(c, "host", &r);
		if (r.status == API_NOT_FOUND &&
		    (near = cmd_near_hosts(c, name)) != NULL) {
			fprintf(stderr, "ward: %s\n", near);
			free(near);
		} else if (r.status == API_CONFLICT)
			host_candidates(c, r.doc);
		goto done;
	}
	if (c->json)
		rc = cmd_print_json(c, r.doc);
	else {
		host_print(c, r.doc);
		cmd_host_alerts(c, js(r.doc, "name") != NULL ? js(r.doc, "name") :
		    name);
		rc = WARD_EXIT_OK;
	}
done:
	api_reply_free(&r);
	free(path);
	return rc;
}

const struct cmd_entry cmd_host_entry = {
	"host", "NAME",
	"one host: its state, where it is, what it is, failing checks",
	NULL, 1, 1, host_exec, 0,
};
