/* view_overview.c: the Overview tab: every datacentre with its hosts by
 * state and the worst of them, and the latest alerts. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/xmalloc.h"
#include "tui/tui.h"

#define OVERVIEW_STATES_MAX	8
#define OVERVIEW_ALERTS		"/api/v1/alerts?limit=5"

static void
overview_want(struct dash *d, struct view *v)
{
	(void)v;
	dash_want(d, 0, "/api/v1/datacentres");
	dash_want(d, 0, OVERVIEW_ALERTS);
}

static char *
overview_kinds(const json_t *kinds)
{
	struct buf	 b;
	const char	*k;
	json_t		*n;

	buf_init(&b, 0);
	json_object_foreach((json_t *)kinds, k, n)
		if (json_integer_value(n) > 0)
			buf_printf(&b, "%s%s %lld", b.len > 0 ? ", " : "", k,
			    (long long)json_integer_value(n));
	return buf_detach(&b, NULL);
}

static void
overview_alerts(struct dash *d, struct dash_page *p)
{
	static const struct table_col cols[] = {
		{ "ID", TABLE_RIGHT, 0, 0 },
		{ "SEVERITY", 0, 0, 0 },
		{ "HOST", TABLE_FLEX, 8, 0 },
		{ "AGE", TABLE_RIGHT, 0, 1 },
		{ "SUMMARY", TABLE_FLEX, 10, 0 },
	};
	const struct api_reply	*r = dash_reply(d, OVERVIEW_ALERTS);
	struct table		*t;
	json_t			*doc, *v;
	const char		*cells[5];
	size_t			 i;
	char			 id[24], age[32];

	dash_line(p, 1, TONE_HEADING, "Latest alerts");
	if (r != NULL && r->status == API_NOT_AVAILABLE) {
		dash_line(p, 1, TONE_DIM, "  not available on this collector");
		return;
	}
	/* The reply is the cache's; the page only borrows it. */
	if ((doc = dash_doc(d, p, OVERVIEW_ALERTS, "alerts")) == NULL)
		return;
	if (json_array_size(json_object_get(doc, "alerts")) == 0) {
		dash_line(p, 1, TONE_DIM, "  no open alerts");
		return;
	}
	t = table_new(cols, 5);
	json_array_foreach(json_object_get(doc, "alerts"), i, v) {
		snprintf(id, sizeof id, "#%lld", (long long)ji(v, "id", 0));
		cells[0] = id;
		cells[1] = js(v, "severity");
		cells[2] = js(v, "host");
		cells[3] = fmt_iso_age(age, sizeof age, js(v, "opened"),
		    dash_now_ms(d));
		cells[4] = js(v, "summary");
		table_add(t, cells);
	}
	dash_table_lines(p, 1, t, dash_width(d), 1);
	table_free(t);
}

static void
overview_build(struct dash *d, struct view *v, struct dash_page *p)
{
	struct table_col	 cols[5 + OVERVIEW_STATES_MAX];
	const char		*cells[5 + OVERVIEW_STATES_MAX], *k;
	const char		*states[OVERVIEW_STATES_MAX];
	char			 nums[OVERVIEW_STATES_MAX + 1][24], age[32];
	char			*kinds;
	json_t			*doc, *e, *n;
	size_t			 i, s, ns = 0, nc = 0, worst = 0;

	(void)v;
	if ((doc = dash_doc(d, p, "/api/v1/datacentres",
	    "Datacentres")) == NULL) {
		overview_alerts(d, p);
		return;
	}
	json_object_foreach(json_object_get(doc, "states"), k, n)
		if (ns < OVERVIEW_STATES_MAX)
			states[ns++] = k;
	cols[nc++] = (struct table_col){ "DATACENTRE", TABLE_FLEX, 8, 0 };
	cols[nc++] = (struct table_col){ "HOSTS", TABLE_RIGHT, 0, 0 };
	for (s = 0; s < ns; s++)
		cols[nc++] = (struct table_col){ states[s], TABLE_RIGHT, 0,
		    s == 0 ? 0 : 2 };
	worst = nc;
	cols[nc++] = (struct table_col){ "WORST", 0, 0, 0 };
	cols[nc++] = (struct table_col){ "LAST REPORT", TABLE_RIGHT, 0, 3 };
	cols[nc++] = (struct table_col){ "KINDS", TABLE_FLEX, 10, 4 };
	p->table = table_new(cols, nc);
	p->tone_col = worst;
	p->empty = "no hosts have reported yet";
	json_array_foreach(json_object_get(doc, "datacentres"), i, e) {
		nc = 0;
		cells[nc++] = js(e, "datacentre") != NULL ?
		    js(e, "datacentre") : "(none)";
		snprintf(nums[0], sizeof nums[0], "%lld",
		    (long long)ji(e, "hosts", 0));
		cells[nc++] = nums[0];
		for (s = 0; s < ns; s++) {
			snprintf(nums[s + 1], sizeof nums[s + 1], "%lld",
			    (long long)ji(json_object_get(e, "states"),
			    states[s], 0));
			cells[nc++] = nums[s + 1];
		}
		cells[nc++] = js(e, "worst_state");
		cells[nc++] = fmt_iso_age(age, sizeof age,
		    js(e, "last_report"), dash_now_ms(d));
		kinds = overview_kinds(json_object_get(e, "kinds"));
		cells[nc++] = kinds;
		table_add(p->table, cells);
		/* "" asks the collector for the hosts in no datacentre. */
		dash_page_key(p, js(e, "datacentre") != NULL ?
		    js(e, "datacentre") : "");
		free(kinds);
	}
	overview_alerts(d, p);
}

static void
overview_open(struct dash *d, struct view *v, const char *key)
{
	(void)v;
	dash_push(d, &view_datacentre, key);
}

const struct view_entry view_overview = {
	"Overview", '1', 0, overview_want, overview_build, overview_open, 0,
};
