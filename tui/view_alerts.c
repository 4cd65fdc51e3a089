/* view_alerts.c: the Alerts tab (open and acknowledged alerts, newest
 * first) and one alert with its history, when the collector keeps them. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "tui/tui.h"

#define ALERTS_PATH	"/api/v1/alerts?limit=1000"

static void
alerts_want(struct dash *d, struct view *v)
{
	(void)v;
	dash_want(d, 1, ALERTS_PATH);
}

static void
alerts_build(struct dash *d, struct view *v, struct dash_page *p)
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
	const char	*cells[8];
	json_t		*doc, *a;
	char		 id[24], age[32];
	size_t		 i;

	(void)v;
	if ((doc = dash_doc(d, p, ALERTS_PATH, "Alerts")) == NULL)
		return;
	dash_line(p, 0, TONE_HEADING, "%lld open or acknowledged",
	    (long long)ji(doc, "total", 0));
	p->table = table_new(cols, 8);
	p->tone_col = 1;
	p->empty = "no open alerts";
	json_array_foreach(json_object_get(doc, "alerts"), i, a) {
		snprintf(id, sizeof id, "%lld", (long long)ji(a, "id", 0));
		cells[0] = id;
		cells[1] = js(a, "severity");
		cells[2] = js(a, "status");
		cells[3] = js(a, "host");
		cells[4] = js(a, "datacentre");
		cells[5] = js(a, "kind");
		cells[6] = fmt_iso_age(age, sizeof age, js(a, "opened"),
		    dash_now_ms(d));
		cells[7] = js(a, "summary");
		table_add(p->table, cells);
		dash_page_key(p, id);
	}
}

static void
alerts_open(struct dash *d, struct view *v, const char *key)
{
	(void)v;
	dash_push(d, &view_alert, key);
}

const struct view_entry view_alerts = {
	"Alerts", '3', 0, alerts_want, alerts_build, alerts_open, 1,
};

static void
alert_want(struct dash *d, struct view *v)
{
	dash_want(d, 0, "/api/v1/alerts/%s", v->arg);
}

static void
alert_build(struct dash *d, struct view *v, struct dash_page *p)
{
	static const struct table_col cols[] = {
		{ "AT", 0, 0, 0 },
		{ "EVENT", 0, 0, 0 },
		{ "BY", TABLE_FLEX, 6, 1 },
		{ "DETAIL", TABLE_FLEX, 10, 2 },
	};
	const json_t		*ack;
	struct dash_line	*l;
	struct table		*t;
	json_t			*a, *e;
	const char		*cells[4];
	char			*path, s[256], when[64], age[32];
	size_t			 i;

	xasprintf(&path, "/api/v1/alerts/%s", v->arg);
	a = dash_doc(d, p, path, "alert");
	free(path);
	if (a == NULL)
		return;
	free(v->title);
	xasprintf(&v->title, "#%s", v->arg);
	l = dash_line(p, 0, TONE_HEADING, "#%lld %s %s: %s",
	    (long long)ji(a, "id", 0), js(a, "severity") != NULL ?
	    js(a, "severity") : "-", js(a, "status") != NULL ?
	    js(a, "status") : "-", js(a, "summary") != NULL ?
	    js(a, "summary") : "");
	dash_line_tone(l, js(a, "severity"), dash_tone(js(a, "severity")));
	dash_kv(p, "kind", js(a, "kind"));
	dash_kv(p, "host", js(a, "host"));
	if (js(a, "check") != NULL)
		dash_kv(p, "check", js(a, "check"));
	dash_kv(p, "datacentre", js(a, "datacentre"));
	snprintf(s, sizeof s, "%s (%s ago)", fmt_iso(when, sizeof when,
	    js(a, "opened")), fmt_iso_age(age, sizeof age, js(a, "opened"),
	    dash_now_ms(d)));
	dash_kv(p, "opened", s);
	if (js(a, "resolved") != NULL)
		dash_kv(p, "resolved", fmt_iso(when, sizeof when,
		    js(a, "resolved")));
	if (json_is_object(ack = json_object_get(a, "acknowledged"))) {
		snprintf(s, sizeof s, "by %s at %s%s%s",
		    js(ack, "by") != NULL ? js(ack, "by") : "-",
		    fmt_iso(when, sizeof when, js(ack, "at")),
		    js(ack, "comment") != NULL ? ": " : "",
		    js(ack, "comment") != NULL ? js(ack, "comment") : "");
		dash_kv(p, "acknowledged", s);
	}
	if (js(a, "suppressed") != NULL)
		dash_kv(p, "suppressed", js(a, "suppressed"));
	dash_kv(p, "runbook", js(a, "runbook_url") != NULL ?
	    js(a, "runbook_url") : js(a, "runbook"));
	dash_line(p, 0, TONE_NONE, "%s", "");
	dash_line(p, 0, TONE_HEADING, "History");
	t = table_new(cols, 4);
	json_array_foreach(json_object_get(a, "history"), i, e) {
		cells[0] = fmt_iso(when, sizeof when, js(e, "at"));
		cells[1] = js(e, "event");
		cells[2] = js(e, "actor");
		cells[3] = js(e, "detail");
		table_add(t, cells);
	}
	dash_table_lines(p, 0, t, dash_width(d), SIZE_MAX);
	table_free(t);
}

const struct view_entry view_alert = {
	"Alert", 0, 0, alert_want, alert_build, NULL, 1,
};
