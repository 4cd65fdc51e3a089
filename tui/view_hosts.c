/* view_hosts.c: lists of hosts: the Hosts tab (all of them) and one
 * datacentre's, with its health; both filtered on the collector by \. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "tui/tui.h"

/* The path of the list: a datacentre's when dc is not NULL ("" for the
 * hosts in none), with the filter as the text query. */
static char *
hosts_path(const char *dc, const char *filter)
{
	struct buf	 b;
	char		*e;

	buf_init(&b, 0);
	buf_printf(&b, "/api/v1/hosts?limit=1000");
	if (dc != NULL) {
		e = api_escape(dc);
		buf_printf(&b, "&datacentre=%s", e);
		free(e);
	}
	if (filter != NULL) {
		e = api_escape(filter);
		buf_printf(&b, "&q=%s", e);
		free(e);
	}
	return buf_detach(&b, NULL);
}

static char *
hosts_health_path(const char *dc)
{
	char	*e, *path;

	e = api_escape(dc);
	xasprintf(&path, "/api/v1/datacentres/%s/health", e);
	free(e);
	return path;
}

/* The table of hosts from a list reply. */
static void
hosts_table(struct dash *d, struct dash_page *p, const json_t *doc,
    int with_dc)
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
	struct table_col	 use[7];
	const char		*cells[7], *first;
	json_t			*v, *addrs;
	char			 age[32], addr[96];
	size_t			 i, nc, c;

	for (c = nc = 0; c < 7; c++)
		if (c != 2 || with_dc)
			use[nc++] = cols[c];
	p->table = table_new(use, nc);
	p->tone_col = 1;
	p->empty = "no hosts match";
	json_array_foreach(json_object_get(doc, "hosts"), i, v) {
		addrs = json_object_get(v, "addresses");
		first = json_string_value(json_array_get(addrs, 0));
		if (first != NULL && json_array_size(addrs) > 1)
			snprintf(addr, sizeof addr, "%s +%zu", first,
			    json_array_size(addrs) - 1);
		else
			str_copy(addr, first != NULL ? first : "-",
			    sizeof addr);
		nc = 0;
		cells[nc++] = js(v, "name");
		cells[nc++] = js(v, "state");
		if (with_dc)
			cells[nc++] = js(v, "datacentre");
		cells[nc++] = js(v, "kind");
		cells[nc++] = addr;
		cells[nc++] = fmt_iso_age(age, sizeof age,
		    js(v, "last_report"), dash_now_ms(d));
		cells[nc++] = js(v, "os_pretty_name");
		table_add(p->table, cells);
		dash_page_key(p, js(v, "agent_id"));
	}
	if ((int64_t)p->table->nrows < ji(doc, "total", 0))
		dash_line(p, 0, TONE_WARN, "showing %zu of %lld hosts; \\ "
		    "filters", p->table->nrows, (long long)ji(doc, "total", 0));
}

static void
hosts_open(struct dash *d, struct view *v, const char *key)
{
	(void)v;
	dash_push(d, &view_host, key);
}

static void
hosts_want(struct dash *d, struct view *v)
{
	char	*path = hosts_path(NULL, v->filter);

	dash_want(d, 1, "%s", path);
	free(path);
}

static void
hosts_build(struct dash *d, struct view *v, struct dash_page *p)
{
	char	*path = hosts_path(NULL, v->filter);
	json_t	*doc;

	if ((doc = dash_doc(d, p, path, "hosts")) != NULL) {
		dash_line(p, 0, TONE_HEADING, "%lld hosts%s",
		    (long long)ji(doc, "total", 0), v->filter != NULL ?
		    " match the filter" : "");
		hosts_table(d, p, doc, 1);
	}
	free(path);
}

const struct view_entry view_hosts = {
	"Hosts", '2', 1, hosts_want, hosts_build, hosts_open, 0,
};

static void
dc_want(struct dash *d, struct view *v)
{
	char	*path = hosts_path(v->arg, v->filter);

	dash_want(d, 1, "%s", path);
	free(path);
	if (v->arg[0] != '\0') {
		path = hosts_health_path(v->arg);
		dash_want(d, 0, "%s", path);
		free(path);
	}
}

/* The datacentre's line of the overview, for when there is no health
 * route to ask. */
static void
dc_summary(struct dash *d, struct view *v, struct dash_page *p)
{
	json_t			*list = dash_good(d, "/api/v1/datacentres");
	struct dash_line	*l;
	const char		*k, *dc;
	json_t			*e, *n;
	struct buf		 b;
	size_t			 i;

	json_array_foreach(json_object_get(list, "datacentres"), i, e) {
		dc = js(e, "datacentre");
		if ((dc == NULL && v->arg[0] != '\0') ||
		    (dc != NULL && strcmp(dc, v->arg) != 0))
			continue;
		buf_init(&b, 0);
		json_object_foreach(json_object_get(e, "states"), k, n)
			buf_printf(&b, "  %s %lld", k,
			    (long long)json_integer_value(n));
		l = dash_line(p, 0, TONE_NONE, "worst %s  hosts %lld %s",
		    js(e, "worst_state") != NULL ? js(e, "worst_state") : "-",
		    (long long)ji(e, "hosts", 0), buf_cstr(&b));
		dash_line_tone(l, js(e, "worst_state"),
		    dash_tone(js(e, "worst_state")));
		buf_free(&b);
	}
}

static void
dc_health(struct dash *d, struct view *v, struct dash_page *p)
{
	const struct api_reply	*r;
	struct dash_line	*l;
	const json_t		*alerts;
	json_t			*h, *a;
	char			*path, age[32];
	size_t			 i;

	if (v->arg[0] == '\0') {
		dc_summary(d, v, p);
		return;
	}
	path = hosts_health_path(v->arg);
	r = dash_reply(d, path);
	if (r == NULL || r->status == API_NOT_AVAILABLE) {
		dc_summary(d, v, p);
		if (r != NULL)
			dash_line(p, 0, TONE_DIM, "health and alerts: not "
			    "available on this collector");
		free(path);
		return;
	}
	if ((h = dash_doc(d, p, path, "health")) != NULL) {
		alerts = json_object_get(h, "alerts");
		l = dash_line(p, 0, TONE_NONE, "health %s  worst %s  alerts: "
		    "critical %lld  warning %lld  suppressed %lld",
		    js(h, "health") != NULL ? js(h, "health") : "-",
		    js(h, "worst_state") != NULL ? js(h, "worst_state") : "-",
		    (long long)ji(alerts, "critical", 0),
		    (long long)ji(alerts, "warning", 0),
		    (long long)ji(alerts, "suppressed", 0));
		dash_line_tone(l, js(h, "health"), dash_tone(js(h, "health")));
		json_array_foreach(json_object_get(h, "critical_problems"), i,
		    a) {
			if (i >= 5)
				break;
			l = dash_line(p, 0, TONE_NONE, "  critical: %s: %s (%s)",
			    js(a, "host") != NULL ? js(a, "host") : "-",
			    js(a, "summary") != NULL ? js(a, "summary") : "",
			    fmt_iso_age(age, sizeof age, js(a, "opened"),
			    dash_now_ms(d)));
			dash_line_tone(l, "critical", TONE_BAD);
		}
	}
	free(path);
}

static void
dc_build(struct dash *d, struct view *v, struct dash_page *p)
{
	char	*path = hosts_path(v->arg, v->filter);
	json_t	*doc;

	free(v->title);
	v->title = xstrdup(v->arg[0] != '\0' ? v->arg : "(none)");
	dc_health(d, v, p);
	if ((doc = dash_doc(d, p, path, "hosts")) != NULL)
		hosts_table(d, p, doc, 0);
	free(path);
}

const struct view_entry view_datacentre = {
	"Datacentre", 0, 1, dc_want, dc_build, hosts_open, 0,
};
