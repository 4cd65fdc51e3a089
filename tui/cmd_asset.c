/* cmd_asset.c: ward asset QUERY: the helpdesk's answer about a thing by
 * any name it goes by (name, FQDN, serial, address): what it is, where,
 * its state and open alerts, and how long its OS and hardware are
 * supported. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/cli.h"
#include "common/xmalloc.h"
#include "tui/tui.h"

/* "2032-05-31 (in 2016 days)", "2024-06-30 (876 days ago)", or what the
 * part says instead of a date. */
static void
asset_when(char *dst, size_t size, const json_t *part)
{
	int64_t	 days = ji(part, "days_left", 0);

	if (js(part, "end_of_life") == NULL)
		snprintf(dst, size, "-");
	else if (days >= 0)
		snprintf(dst, size, "%s (in %lld days)",
		    js(part, "end_of_life"), (long long)days);
	else
		snprintf(dst, size, "%s (%lld days ago)",
		    js(part, "end_of_life"), (long long)-days);
}

static void
asset_part(struct cmd_ctx *c, const char *label, const json_t *part,
    const char *what)
{
	char	 when[96], l[64];

	if (!json_is_object(part)) {
		cmd_kv(c, label, NULL);
		return;
	}
	if (json_is_false(json_object_get(part, "applicable"))) {
		snprintf(l, sizeof l, "%s", label);
		cmd_kv(c, l, "not applicable");
		if (js(part, "reason") != NULL)
			cmd_kv(c, "  why", js(part, "reason"));
		return;
	}
	cmd_kv(c, label, js(part, "status"));
	if (what != NULL)
		cmd_kv(c, "  what", what);
	asset_when(when, sizeof when, part);
	cmd_kv(c, "  end of life", when);
	if (js(part, "reason") != NULL)
		cmd_kv(c, "  why", js(part, "reason"));
}

static void
asset_lifecycle(struct cmd_ctx *c, const json_t *h)
{
	const json_t	*lc = json_object_get(h, "lifecycle");
	const json_t	*sw, *hw;
	struct buf	 b;
	char		 when[96];

	if (!json_is_object(lc)) {
		cmd_kv(c, "lifecycle", "not available on this collector");
		return;
	}
	sw = json_object_get(lc, "software");
	hw = json_object_get(lc, "hardware");
	cmd_kv(c, "lifecycle", js(lc, "status"));
	asset_when(when, sizeof when, lc);
	if (js(lc, "end_of_life_of") != NULL && js(lc, "end_of_life") != NULL) {
		buf_init(&b, 0);
		buf_printf(&b, "%s, of its %s", when, js(lc, "end_of_life_of"));
		cmd_kv(c, "end of life", buf_cstr(&b));
		buf_free(&b);
	} else
		cmd_kv(c, "end of life", when);
	buf_init(&b, 0);
	if (js(sw, "title") != NULL)
		buf_printf(&b, "%s", js(sw, "title"));
	else if (js(sw, "product") != NULL)
		buf_printf(&b, "%s %s", js(sw, "product"),
		    js(sw, "cycle") != NULL ? js(sw, "cycle") : "");
	asset_part(c, "os/firmware", sw, b.len > 0 ? buf_cstr(&b) : NULL);
	buf_free(&b);
	buf_init(&b, 0);
	if (js(hw, "vendor") != NULL || js(hw, "model_pattern") != NULL)
		buf_printf(&b, "%s %s", js(hw, "vendor") != NULL ?
		    js(hw, "vendor") : "", js(hw, "model_pattern") != NULL ?
		    js(hw, "model_pattern") : "");
	asset_part(c, "hardware", hw, b.len > 0 ? buf_cstr(&b) : NULL);
	buf_free(&b);
	if (js(lc, "at") != NULL) {
		snprintf(when, sizeof when, "%s (horizon %lld days)",
		    js(lc, "at"), (long long)ji(lc, "horizon_days", 0));
		cmd_kv(c, "judged on", when);
	}
}

static void
asset_print(struct cmd_ctx *c, const json_t *h, const char *matched)
{
	const json_t	*os = json_object_get(h, "os");
	const json_t	*fw = json_object_get(h, "firmware");
	struct buf	 b;
	json_t		*v;
	size_t		 i;
	char		 age[32], when[64], s[160];

	cmd_kv(c, "name", js(h, "name"));
	if (matched != NULL)
		cmd_kv(c, "found by", matched);
	/* What it is. */
	buf_init(&b, 0);
	buf_printf(&b, "%s", js(h, "kind") != NULL ? js(h, "kind") : "-");
	if (js(h, "vendor") != NULL || js(h, "model") != NULL)
		buf_printf(&b, ", %s%s%s", js(h, "vendor") != NULL ?
		    js(h, "vendor") : "", js(h, "vendor") != NULL &&
		    js(h, "model") != NULL ? " " : "", js(h, "model") != NULL ?
		    js(h, "model") : "");
	cmd_kv(c, "what", buf_cstr(&b));
	buf_free(&b);
	cmd_kv(c, "serial", js(h, "serial"));
	/* Where. */
	cmd_kv(c, "datacentre", js(h, "datacentre"));
	cmd_kv(c, "fqdn", js(h, "fqdn"));
	buf_init(&b, 0);
	json_array_foreach(json_object_get(h, "addresses"), i, v)
		buf_printf(&b, "%s%s", i > 0 ? ", " : "",
		    json_string_value(v) != NULL ? json_string_value(v) : "");
	cmd_kv(c, "addresses", b.len > 0 ? buf_cstr(&b) : NULL);
	buf_free(&b);
	/* Its state. */
	cmd_kv(c, "state", js(h, "state"));
	if (js(h, "state_since") != NULL) {
		snprintf(s, sizeof s, "%s (%s ago)", fmt_iso(when, sizeof when,
		    js(h, "state_since")), fmt_iso_age(age, sizeof age,
		    js(h, "state_since"), c->now_ms));
		cmd_kv(c, "state since", s);
	}
	if (js(h, "last_report") != NULL) {
		snprintf(s, sizeof s, "%s ago", fmt_iso_age(age, sizeof age,
		    js(h, "last_report"), c->now_ms));
		cmd_kv(c, "last report", s);
	}
	/* What it runs. */
	if (js(os, "pretty_name") != NULL)
		cmd_kv(c, "os", js(os, "pretty_name"));
	if (js(fw, "product") != NULL || js(fw, "version") != NULL) {
		snprintf(s, sizeof s, "%s%s%s", js(fw, "product") != NULL ?
		    js(fw, "product") : "", js(fw, "product") != NULL &&
		    js(fw, "version") != NULL ? " " : "",
		    js(fw, "version") != NULL ? js(fw, "version") : "");
		cmd_kv(c, "firmware", s);
	}
	if (js(os, "pretty_name") == NULL && js(fw, "product") == NULL &&
	    js(fw, "version") == NULL)
		cmd_kv(c, "os", NULL);
	asset_lifecycle(c, h);
	cmd_host_alerts(c, js(h, "name") != NULL ? js(h, "name") : "");
}

/* Several things match: list them for the next, narrower try. */
static void
asset_candidates(const struct cmd_ctx *c, const json_t *results)
{
	static const struct table_col cols[] = {
		{ "NAME", TABLE_FLEX, 8, 0 },
		{ "STATE", 0, 0, 0 },
		{ "DATACENTRE", TABLE_FLEX, 6, 2 },
		{ "MATCHED", 0, 0, 1 },
		{ "AGENT ID", 0, 0, 3 },
	};
	struct table	*t = table_new(cols, 5);
	const char	*cells[5];
	json_t		*v;
	size_t		 i;

	json_array_foreach(results, i, v) {
		cells[0] = js(v, "name");
		cells[1] = js(v, "state");
		cells[2] = js(v, "datacentre");
		cells[3] = js(v, "matched");
		cells[4] = js(v, "agent_id");
		table_add(t, cells);
	}
	table_fit(t, c->width);
	table_print(t, stderr, 1, NULL);
	table_free(t);
}

/* The host the query names: by name, FQDN or agent id, else the one
 * search result. Returns 0 with r holding its detail, or an exit code
 * after saying why not. */
static int
asset_find(struct cmd_ctx *c, const char *query, struct api_reply *r,
    const char **matched)
{
	struct api_reply	 sr;
	json_t			*res;
	char			*q, *path, *vis;
	int			 rc;

	*matched = NULL;
	q = api_escape(query);
	xasprintf(&path, "/api/v1/hosts/%s", q);
	free(q);
	rc = api_get(c->api, path, r);
	free(path);
	if (rc == 0)
		return 0;
	if (r->status != API_NOT_FOUND)
		return cmd_fail(c, "asset", r);
	api_reply_free(r);
	/* Not a name: a serial number, an address, part of a name. */
	q = api_escape(query);
	xasprintf(&path, "/api/v1/search?q=%s&limit=20", q);
	free(q);
	rc = api_get(c->api, path, &sr);
	free(path);
	if (rc == -1) {
		rc = cmd_fail(c, "search", &sr);
		api_reply_free(&sr);
		memset(r, 0, sizeof *r);
		return rc;
	}
	res = json_object_get(sr.doc, "results");
	vis = fmt_vis(query);
	if (json_array_size(res) == 0) {
		fprintf(stderr, "ward: nothing is called or matches \"%s\" "
		    "(name, FQDN, serial, model, OS, address)\n", vis);
		rc = TUI_EXIT_NOT_FOUND;
	} else if (json_array_size(res) > 1) {
		fprintf(stderr, "ward: %lld things match \"%s\"; ask for one "
		    "by its name or agent id:\n",
		    (long long)ji(sr.doc, "total", 0), vis);
		asset_candidates(c, res);
		rc = TUI_EXIT_CONFLICT;
	} else {
		path = xstrdup(js(json_array_get(res, 0), "url") != NULL ?
		    js(json_array_get(res, 0), "url") : "/");
		*matched = js(json_array_get(res, 0), "matched") != NULL ?
		    js(json_array_get(res, 0), "matched") : NULL;
		/* The URL is the collector's own path to the host. */
		if (strncmp(path, "/api/v1/hosts/", 14) != 0)
			rc = TUI_EXIT_NOT_FOUND;
		else if (api_get(c->api, path, r) == -1)
			rc = cmd_fail(c, "asset", r);
		else
			rc = 0;
		free(path);
	}
	free(vis);
	/* matched points into sr, which goes: keep a copy on r's doc. */
	if (rc == 0 && *matched != NULL) {
		json_object_set_new(r->doc, "matched_by",
		    json_string(*matched));
		*matched = js(r->doc, "matched_by");
	}
	api_reply_free(&sr);
	return rc;
}

static int
asset_exec(struct cmd_ctx *c, const struct cmd_args *a)
{
	struct api_reply	 r, ar;
	const char		*matched;
	json_t			*out;
	char			*q, *path;
	int			 rc;

	memset(&r, 0, sizeof r);
	if (*a->argv[0] == '\0') {
		fprintf(stderr, "ward asset: the query is empty\n");
		return WARD_EXIT_USAGE;
	}
	if ((rc = asset_find(c, a->argv[0], &r, &matched)) != 0) {
		api_reply_free(&r);
		return rc;
	}
	if (!c->json) {
		asset_print(c, r.doc, matched);
		api_reply_free(&r);
		return WARD_EXIT_OK;
	}
	/* One document: the host with its lifecycle, and its alerts. */
	q = api_escape(js(r.doc, "name") != NULL ? js(r.doc, "name") : "");
	xasprintf(&path, "/api/v1/alerts?host=%s&limit=100", q);
	free(q);
	out = json_pack("{s:O}", "host", r.doc);
	if (api_get(c->api, path, &ar) == 0)
		json_object_set(out, "alerts", json_object_get(ar.doc,
		    "alerts"));
	else if (ar.status == API_NOT_AVAILABLE)
		json_object_set_new(out, "alerts", json_null());
	else {
		rc = cmd_fail(c, "alerts", &ar);
		goto done;
	}
	rc = cmd_print_json(c, out);
done:
	json_decref(out);
	api_reply_free(&ar);
	api_reply_free(&r);
	free(path);
	return rc;
}

const struct cmd_entry cmd_asset_entry = {
	"asset", "QUERY",
	"what, where, state, alerts, lifecycle: by any name",
	NULL, 1, 1, asset_exec, 0,
};
