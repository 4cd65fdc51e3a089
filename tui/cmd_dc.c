/* cmd_dc.c: ward dc [NAME]: the datacentres at a glance, or one
 * datacentre's health. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/cli.h"
#include "common/xmalloc.h"
#include "tui/tui.h"

#define DC_STATES_MAX	8
/* What the collector calls the hosts that report no datacentre. */
#define DC_NONE		"(none)"

/* "server 12, switch 2" */
static char *
dc_counts(const json_t *obj, int skip_zero)
{
	struct buf	 b;
	const char	*k;
	json_t		*v;

	buf_init(&b, 0);
	json_object_foreach((json_t *)obj, k, v) {
		if (skip_zero && json_integer_value(v) == 0)
			continue;
		buf_printf(&b, "%s%s %lld", b.len > 0 ? ", " : "", k,
		    (long long)json_integer_value(v));
	}
	return buf_detach(&b, NULL);
}

static const char *
dc_colour(const struct table *t, size_t row, size_t col)
{
	/* Only the worst state is coloured: a column of numbers reads
	 * better plain. */
	if (strcmp(t->cols[col].header, "WORST") != 0)
		return NULL;
	return cmd_state_colour(t->rows[row][col]);
}

static int
dc_list(struct cmd_ctx *c)
{
	struct table_col	 cols[5 + DC_STATES_MAX];
	struct api_reply	 r;
	struct table		*t;
	const char		*cells[5 + DC_STATES_MAX], *k;
	const char		*states[DC_STATES_MAX];
	json_t			*v, *totals, *n;
	char			 nums[DC_STATES_MAX + 1][24], age[32], *kinds;
	size_t			 i, ns = 0, nc, s;
	int			 rc;

	if (api_get(c->api, "/api/v1/datacentres", &r) == -1) {
		rc = cmd_fail(c, "datacentres", &r);
		goto done;
	}
	if (c->json) {
		rc = cmd_print_json(c, r.doc);
		goto done;
	}
	/* A column for each state the collector knows, in its order. */
	totals = json_object_get(r.doc, "states");
	json_object_foreach(totals, k, n)
		if (ns < DC_STATES_MAX)
			states[ns++] = k;
	nc = 0;
	cols[nc++] = (struct table_col){ "DATACENTRE", TABLE_FLEX, 8, 0 };
	cols[nc++] = (struct table_col){ "HOSTS", TABLE_RIGHT, 0, 0 };
	for (s = 0; s < ns; s++)
		cols[nc++] = (struct table_col){ states[s], TABLE_RIGHT, 0,
		    s == 0 ? 0 : 2 };
	cols[nc++] = (struct table_col){ "WORST", 0, 0, 0 };
	cols[nc++] = (struct table_col){ "LAST REPORT", TABLE_RIGHT, 0, 3 };
	cols[nc++] = (struct table_col){ "KINDS", TABLE_FLEX, 10, 4 };
	t = table_new(cols, nc);
	json_array_foreach(json_object_get(r.doc, "datacentres"), i, v) {
		nc = 0;
		cells[nc++] = js(v, "datacentre") != NULL ?
		    js(v, "datacentre") : DC_NONE;
		snprintf(nums[0], sizeof nums[0], "%lld",
		    (long long)ji(v, "hosts", 0));
		cells[nc++] = nums[0];
		for (s = 0; s < ns; s++) {
			snprintf(nums[s + 1], sizeof nums[s + 1], "%lld",
			    (long long)ji(json_object_get(v, "states"),
			    states[s], 0));
			cells[nc++] = nums[s + 1];
		}
		cells[nc++] = js(v, "worst_state");
		cells[nc++] = cmd_time(c, age, sizeof age,
		    js(v, "last_report"));
		kinds = dc_counts(json_object_get(v, "kinds"), 1);
		cells[nc++] = kinds;
		table_add(t, cells);
		free(kinds);
	}
	cmd_print_table(c, t, dc_colour, "no hosts have reported yet");
	table_free(t);
	rc = WARD_EXIT_OK;
done:
	api_reply_free(&r);
	return rc;
}

/* The datacentre's line of GET /api/v1/datacentres, or NULL; "(none)"
 * names the hosts without one. */
static json_t *
dc_entry(const json_t *list, const char *name)
{
	json_t		*v;
	size_t		 i;
	const char	*dc;

	json_array_foreach(json_object_get(list, "datacentres"), i, v) {
		dc = js(v, "datacentre");
		if ((dc != NULL && strcmp(dc, name) == 0) ||
		    (dc == NULL && strcmp(name, DC_NONE) == 0))
			return v;
	}
	return NULL;
}

static void
dc_known(const json_t *list)
{
	struct buf	 b;
	json_t		*v;
	size_t		 i;
	char		*vis;

	buf_init(&b, 0);
	json_array_foreach(json_object_get(list, "datacentres"), i, v) {
		if (js(v, "datacentre") == NULL)
			continue;
		vis = fmt_vis(js(v, "datacentre"));
		buf_printf(&b, "%s%s", b.len > 0 ? ", " : "", vis);
		free(vis);
	}
	if (b.len > 0)
		fprintf(stderr, "ward: the datacentres are: %s\n",
		    buf_cstr(&b));
	buf_free(&b);
}

static void
dc_print_health(struct cmd_ctx *c, const json_t *h)
{
	const json_t	*alerts = json_object_get(h, "alerts");
	json_t		*v;
	size_t		 i;
	char		*states, line[128], age[32];

	cmd_kv(c, "datacentre", js(h, "datacentre"));
	cmd_kv(c, "health", js(h, "health"));
	snprintf(line, sizeof line, "%lld", (long long)ji(h, "hosts", 0));
	cmd_kv(c, "hosts", line);
	states = dc_counts(json_object_get(h, "states"), 0);
	cmd_kv(c, "states", states);
	free(states);
	cmd_kv(c, "worst state", js(h, "worst_state"));
	snprintf(line, sizeof line, "critical %lld, warning %lld, "
	    "suppressed %lld", (long long)ji(alerts, "critical", 0),
	    (long long)ji(alerts, "warning", 0),
	    (long long)ji(alerts, "suppressed", 0));
	cmd_kv(c, "alerts", line);
	if (json_array_size(json_object_get(h, "critical_problems")) == 0)
		return;
	fprintf(c->out, "critical problems:\n");
	json_array_foreach(json_object_get(h, "critical_problems"), i, v) {
		char	*host = fmt_vis(js(v, "host"));
		char	*summary = fmt_vis(js(v, "summary"));

		fprintf(c->out, "  #%lld %s: %s (%s)\n",
		    (long long)ji(v, "id", 0), host, summary,
		    fmt_iso_age(age, sizeof age, js(v, "opened"), c->now_ms));
		free(host);
		free(summary);
	}
}

static void
dc_print_entry(struct cmd_ctx *c, const json_t *e)
{
	char	*s, line[64], age[32], when[64];

	cmd_kv(c, "datacentre", js(e, "datacentre") != NULL ?
	    js(e, "datacentre") : DC_NONE);
	snprintf(line, sizeof line, "%lld", (long long)ji(e, "hosts", 0));
	cmd_kv(c, "hosts", line);
	s = dc_counts(json_object_get(e, "states"), 0);
	cmd_kv(c, "states", s);
	free(s);
	cmd_kv(c, "worst state", js(e, "worst_state"));
	s = dc_counts(json_object_get(e, "kinds"), 1);
	cmd_kv(c, "kinds", s);
	free(s);
	snprintf(line, sizeof line, "%s (%s ago)", fmt_iso(when, sizeof when,
	    js(e, "last_report")), fmt_iso_age(age, sizeof age,
	    js(e, "last_report"), c->now_ms));
	cmd_kv(c, "last report", line);
}

static int
dc_one(struct cmd_ctx *c, const char *name)
{
	struct api_reply	 r, list;
	json_t			*e;
	char			*q, *path, *vis;
	int			 rc;

	memset(&list, 0, sizeof list);
	q = api_escape(name);
	xasprintf(&path, "/api/v1/datacentres/%s/health", q);
	free(q);
	if (api_get(c->api, path, &r) == 0) {
		rc = c->json ? cmd_print_json(c, r.doc) :
		    (dc_print_health(c, r.doc), WARD_EXIT_OK);
		goto done;
	}
	if (r.status != API_NOT_FOUND && r.status != API_NOT_AVAILABLE) {
		rc = cmd_fail(c, "datacentre", &r);
		goto done;
	}
	/* Without the health route, or for a name it does not know, the
	 * list says what there is. */
	if (api_get(c->api, "/api/v1/datacentres", &list) == -1) {
		rc = cmd_fail(c, "datacentres", &list);
		goto done;
	}
	if ((e = dc_entry(list.doc, name)) == NULL) {
		vis = fmt_vis(name);
		fprintf(stderr, "ward: no hosts report datacentre \"%s\"\n",
		    vis);
		free(vis);
		dc_known(list.doc);
		rc = TUI_EXIT_NOT_FOUND;
		goto done;
	}
	if (c->json)
		rc = cmd_print_json(c, e);
	else {
		dc_print_entry(c, e);
		if (r.status == API_NOT_AVAILABLE)
			cmd_kv(c, "health", "not available on this collector");
		rc = WARD_EXIT_OK;
	}
done:
	api_reply_free(&r);
	api_reply_free(&list);
	free(path);
	return rc;
}

static int
dc_exec(struct cmd_ctx *c, const struct cmd_args *a)
{
	if (a->argc > 0 && c->csv) {
		fprintf(stderr, "ward dc: --csv is for the list; --json gives "
		    "one datacentre whole\n");
		return WARD_EXIT_USAGE;
	}
	return a->argc == 0 ? dc_list(c) : dc_one(c, a->argv[0]);
}

const struct cmd_entry cmd_dc_entry = {
	"dc", "[NAME]",
	"the datacentres: hosts by state and the worst; or one's health",
	NULL, 0, 1, dc_exec, 1,
};
