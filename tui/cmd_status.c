/* cmd_status.c: ward status: a line per datacentre with its health, for
 * people and for cron and other monitors (exit 8 when anything is
 * CRITICAL or DOWN). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cli.h"
#include "common/xmalloc.h"
#include "tui/tui.h"

#define STATUS_STATES_MAX	8
#define STATUS_NONE		"(none)"

/* One datacentre's roll-up: the collector's health route's, or for the
 * hosts in no datacentre (which the route cannot name) the same rule
 * applied to their live alerts. */
struct status_line {
	const char	*health;	/* ok, degraded, critical, or NULL */
	int64_t		 critical;
	int64_t		 warning;
	int		 known;		/* the alert counts are known */
};

static int
status_health(struct cmd_ctx *c, const json_t *dc, struct status_line *s,
    struct api_reply *r)
{
	char	*e, *path;
	int	 rc;

	memset(s, 0, sizeof *s);
	e = api_escape(js(dc, "datacentre"));
	xasprintf(&path, "/api/v1/datacentres/%s/health", e);
	free(e);
	rc = api_get(c->api, path, r);
	free(path);
	if (rc == -1)
		return -1;
	s->health = js(r->doc, "health");
	s->critical = ji(json_object_get(r->doc, "alerts"), "critical", 0);
	s->warning = ji(json_object_get(r->doc, "alerts"), "warning", 0);
	s->known = 1;
	return 0;
}

/* The rule of the health route (docs/api.md), for the hosts in no
 * datacentre: critical when a host is DOWN or a critical alert is live
 * and not suppressed, degraded when anything else is less than well. */
static int
status_unassigned(struct cmd_ctx *c, const json_t *dc, struct status_line *s,
    struct api_reply *r)
{
	json_t	*a;
	size_t	 i;
	int	 unwell;

	memset(s, 0, sizeof *s);
	if (cmd_get_all(c, "/api/v1/alerts?datacentre=&limit=1000", "alerts",
	    0, r) == -1)
		return -1;
	json_array_foreach(json_object_get(r->doc, "alerts"), i, a) {
		if (js(a, "suppressed") != NULL)
			continue;
		if (js(a, "severity") != NULL &&
		    strcmp(js(a, "severity"), "critical") == 0)
			s->critical++;
		else
			s->warning++;
	}
	s->known = 1;
	unwell = js(dc, "worst_state") != NULL &&
	    strcmp(js(dc, "worst_state"), "UP") != 0;
	if (s->critical > 0 || ji(json_object_get(dc, "states"), "DOWN",
	    0) > 0)
		s->health = "critical";
	else if (unwell || s->warning > 0)
		s->health = "degraded";
	else
		s->health = "ok";
	return 0;
}

static const char *
status_colour(const struct table *t, size_t row, size_t col)
{
	const char	*h = t->cols[col].header;

	if (strcmp(h, "HEALTH") == 0 || strcmp(h, "WORST") == 0)
		return cmd_state_colour(t->rows[row][col]);
	return NULL;
}

static int
status_exec(struct cmd_ctx *c, const struct cmd_args *a)
{
	struct table_col	 cols[6 + STATUS_STATES_MAX];
	const char		*cells[6 + STATUS_STATES_MAX], *k;
	const char		*states[STATUS_STATES_MAX];
	char			 nums[STATUS_STATES_MAX + 3][24];
	struct status_line	 s;
	struct api_reply	 r, hr;
	struct table		*t;
	json_t			*dc, *n, *out = NULL, *lines;
	size_t			 i, ns = 0, nc, st;
	int			 rc, bad = 0, no_alerts = 0;

	(void)a;
	memset(&hr, 0, sizeof hr);
	if (api_get(c->api, "/api/v1/datacentres", &r) == -1) {
		rc = cmd_fail(c, "datacentres", &r);
		goto done;
	}
	json_object_foreach(json_object_get(r.doc, "states"), k, n)
		if (ns < STATUS_STATES_MAX)
			states[ns++] = k;
	nc = 0;
	cols[nc++] = (struct table_col){ "DATACENTRE", TABLE_FLEX, 8, 0 };
	cols[nc++] = (struct table_col){ "HEALTH", 0, 0, 0 };
	cols[nc++] = (struct table_col){ "HOSTS", TABLE_RIGHT, 0, 0 };
	for (st = 0; st < ns; st++)
		cols[nc++] = (struct table_col){ states[st], TABLE_RIGHT, 0,
		    st == 0 ? 0 : 2 };
	cols[nc++] = (struct table_col){ "CRITICAL", TABLE_RIGHT, 0, 1 };
	cols[nc++] = (struct table_col){ "WARNING", TABLE_RIGHT, 0, 1 };
	t = table_new(cols, nc);
	lines = json_array();
	json_array_foreach(json_object_get(r.doc, "datacentres"), i, dc) {
		api_reply_free(&hr);
		if ((js(dc, "datacentre") != NULL ? status_health(c, dc, &s,
		    &hr) : status_unassigned(c, dc, &s, &hr)) == -1) {
			if (hr.status != API_NOT_AVAILABLE) {
				rc = cmd_fail(c, "status", &hr);
				table_free(t);
				json_decref(lines);
				goto done;
			}
			/* A collector without alerts: the states alone. */
			memset(&s, 0, sizeof s);
			no_alerts = 1;
			s.health = ji(json_object_get(dc, "states"), "DOWN",
			    0) > 0 ? "critical" : js(dc, "worst_state") !=
			    NULL && strcmp(js(dc, "worst_state"), "UP") != 0 ?
			    "degraded" : "ok";
		}
		if (s.health != NULL && strcmp(s.health, "critical") == 0)
			bad = 1;
		if (ji(json_object_get(dc, "states"), "DOWN", 0) > 0)
			bad = 1;
		nc = 0;
		cells[nc++] = js(dc, "datacentre") != NULL ?
		    js(dc, "datacentre") : STATUS_NONE;
		cells[nc++] = s.health;
		snprintf(nums[0], sizeof nums[0], "%lld",
		    (long long)ji(dc, "hosts", 0));
		cells[nc++] = nums[0];
		for (st = 0; st < ns; st++) {
			snprintf(nums[st + 1], sizeof nums[st + 1], "%lld",
			    (long long)ji(json_object_get(dc, "states"),
			    states[st], 0));
			cells[nc++] = nums[st + 1];
		}
		snprintf(nums[ns + 1], sizeof nums[ns + 1], "%lld",
		    (long long)s.critical);
		snprintf(nums[ns + 2], sizeof nums[ns + 2], "%lld",
		    (long long)s.warning);
		cells[nc++] = s.known ? nums[ns + 1] : NULL;
		cells[nc++] = s.known ? nums[ns + 2] : NULL;
		table_add(t, cells);
		json_array_append_new(lines, json_pack("{s:O?,s:s?,s:I,s:O,"
		    "s:o,s:o}", "datacentre", json_object_get(dc, "datacentre"),
		    "health", s.health, "hosts", (json_int_t)ji(dc, "hosts", 0),
		    "states", json_object_get(dc, "states"),
		    "critical", s.known ? json_integer(s.critical) :
		    json_null(), "warning", s.known ? json_integer(s.warning) :
		    json_null()));
	}
	if (c->json) {
		out = json_pack("{s:o,s:b}", "datacentres", lines,
		    "critical", bad);
		rc = cmd_print_json(c, out);
		json_decref(out);
		table_free(t);
		if (rc == WARD_EXIT_OK && bad)
			rc = TUI_EXIT_CRITICAL;
		goto done;
	}
	json_decref(lines);
	cmd_print_table(c, t, status_colour, "no hosts have reported yet");
	if (no_alerts && !c->csv)
		fprintf(c->out, "(alerts: not available on this collector; "
		    "health judged by host states alone)\n");
	table_free(t);
	rc = bad ? TUI_EXIT_CRITICAL : WARD_EXIT_OK;
done:
	api_reply_free(&r);
	api_reply_free(&hr);
	return rc;
}

const struct cmd_entry cmd_status_entry = {
	"status", "",
	"each datacentre's health; exit 8 when CRITICAL or DOWN",
	NULL, 0, 0, status_exec, 1,
};
