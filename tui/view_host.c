/* view_host.c: one host: identity, hardware, OS, its checks (failing
 * first), sparklines of its main metrics over the last hours, the latest
 * value of each metric, and its interfaces. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/xmalloc.h"
#include "tui/tui.h"

static char *
host_path(const char *id)
{
	char	*e, *path;

	e = api_escape(id);
	xasprintf(&path, "/api/v1/hosts/%s", e);
	free(e);
	return path;
}

/* The series worth a sparkline, in the order shown. */
static const char *const host_spark_metrics[] = {
	"cpu.util", "load.1", "mem.used_pct", "swap.used_pct", "fs.used_pct",
	"net.rx_bytes_per_s", "net.tx_bytes_per_s", "ups.output_load_pct",
	"ups.battery_charge_pct", NULL
};
#define HOST_SPARK_RANGE	"-6h"
#define HOST_SPARK_MAX		12	/* lines: mounts and ports add up */
#define HOST_SPARK_LABEL	24	/* columns */

/* Whether the host reports the metric (its detail lists every series). */
static int
host_has_metric(const json_t *h, const char *name)
{
	json_t	*m;
	size_t	 i;

	json_array_foreach(json_object_get(h, "metrics"), i, m)
		if (js(m, "name") != NULL && strcmp(js(m, "name"), name) == 0)
			return 1;
	return 0;
}

static char *
host_spark_path(const char *id, const char *metric)
{
	char	*e, *path;

	e = api_escape(id);
	xasprintf(&path, "/api/v1/hosts/%s/metrics/%s?from=%s", e, metric,
	    HOST_SPARK_RANGE);
	free(e);
	return path;
}

static void
host_want(struct dash *d, struct view *v)
{
	char	*path = host_path(v->arg);
	json_t	*h;
	size_t	 i;

	dash_want(d, 0, "%s", path);
	/* The series once the detail has said which there are. */
	if ((h = dash_good(d, path)) != NULL)
		for (i = 0; host_spark_metrics[i] != NULL; i++) {
			if (!host_has_metric(h, host_spark_metrics[i]))
				continue;
			free(path);
			path = host_spark_path(v->arg, host_spark_metrics[i]);
			dash_want(d, 0, "%s", path);
		}
	free(path);
}

/* "fs.used_pct /var": the metric and its labels' values. */
static char *
host_spark_label(const char *metric, const json_t *series)
{
	struct buf	 b;
	const char	*k;
	json_t		*lv;

	buf_init(&b, 0);
	buf_printf(&b, "%s", metric);
	json_object_foreach(json_object_get(series, "labels"), k, lv)
		if (json_string_value(lv) != NULL)
			buf_printf(&b, " %s", json_string_value(lv));
	return buf_detach(&b, NULL);
}

static const char *
host_spark_value(char *dst, size_t size, double v, const char *unit)
{
	char	 n[32];

	if (unit != NULL && strstr(unit, "bytes") != NULL)
		fmt_bytes(dst, size, v);
	else if (unit != NULL && strcmp(unit, "percent") == 0)
		snprintf(dst, size, "%s%%", fmt_number(n, sizeof n,
		    (double)(int64_t)(v * 10 + (v < 0 ? -0.5 : 0.5)) / 10));
	else
		fmt_number(dst, size, (double)(int64_t)(v * 100 +
		    (v < 0 ? -0.5 : 0.5)) / 100);
	return dst;
}

static void
host_sparks(struct dash *d, struct dash_page *p, const char *id,
    const json_t *h)
{
	const struct api_reply	*r;
	struct spark		 sp;
	json_t			*doc, *series;
	char			*path, *label, cut[4 * HOST_SPARK_LABEL + 1];
	char			 now[32], lo[32], hi[32];
	size_t			 i, j, shown = 0, width, w = dash_width(d);
	int			 any = 0;

	for (i = 0; host_spark_metrics[i] != NULL; i++)
		if (host_has_metric(h, host_spark_metrics[i]))
			any = 1;
	if (!any)
		return;
	dash_line(p, 0, TONE_NONE, "%s", "");
	dash_line(p, 0, TONE_HEADING, "Last 6 hours");
	/* Label, the line, then "now 12.5%  min 3%  max 88%". */
	width = w > HOST_SPARK_LABEL + 40 ? w - HOST_SPARK_LABEL - 38 : 10;
	if (width > 96)
		width = 96;
	for (i = 0; host_spark_metrics[i] != NULL; i++) {
		if (!host_has_metric(h, host_spark_metrics[i]))
			continue;
		path = host_spark_path(id, host_spark_metrics[i]);
		r = dash_reply(d, path);
		doc = dash_good(d, path);
		free(path);
		if (doc == NULL) {
			dash_line(p, 0, TONE_DIM, "  %-*s %s", HOST_SPARK_LABEL,
			    host_spark_metrics[i], r == NULL ? "loading..." :
			    r->status == API_NOT_AVAILABLE ? "not available on "
			    "this collector" : "no data");
			shown++;
			continue;
		}
		json_array_foreach(json_object_get(doc, "series"), j, series) {
			if (shown++ >= HOST_SPARK_MAX)
				break;
			if (spark_series(doc, series, width, &sp) == -1)
				continue;
			label = host_spark_label(host_spark_metrics[i], series);
			fmt_fit(cut, sizeof cut, label, HOST_SPARK_LABEL, 0);
			if (sp.points == 0)
				dash_line(p, 0, TONE_DIM, "  %s %s  no samples",
				    cut, sp.line);
			else
				dash_line(p, 0, TONE_NONE, "  %s %s  now %s  "
				    "min %s  max %s", cut, sp.line,
				    host_spark_value(now, sizeof now, sp.last,
				    js(series, "unit")), host_spark_value(lo,
				    sizeof lo, sp.min, js(series, "unit")),
				    host_spark_value(hi, sizeof hi, sp.max,
				    js(series, "unit")));
			free(label);
			free(sp.line);
		}
	}
	if (shown > HOST_SPARK_MAX)
		dash_line(p, 0, TONE_DIM, "  (the first %d series; Metrics "
		    "below lists them all)", HOST_SPARK_MAX);
}

/* CRITICAL, WARNING, UNKNOWN, then OK: what needs a look comes first. */
static int
host_check_rank(const json_t *c)
{
	switch (ji(c, "status", 3)) {
	case 2:
		return 0;
	case 1:
		return 1;
	case 3:
		return 2;
	default:
		return 3;
	}
}

static void
host_checks(struct dash *d, struct dash_page *p, const json_t *h)
{
	static const struct table_col cols[] = {
		{ "STATUS", 0, 0, 0 },
		{ "CHECK", TABLE_FLEX, 8, 0 },
		{ "AGE", TABLE_RIGHT, 0, 2 },
		{ "OUTPUT", TABLE_FLEX, 10, 1 },
	};
	json_t		*checks = json_object_get(h, "checks"), *c;
	struct table	*t;
	const char	*cells[4];
	char		 age[32];
	size_t		 i;
	int		 rank;

	dash_line(p, 0, TONE_NONE, "%s", "");
	dash_line(p, 0, TONE_HEADING, "Checks (%zu)", json_array_size(checks));
	if (json_array_size(checks) == 0)
		return;
	t = table_new(cols, 4);
	for (rank = 0; rank <= 3; rank++)
		json_array_foreach(checks, i, c) {
			if (host_check_rank(c) != rank)
				continue;
			cells[0] = js(c, "status_text");
			cells[1] = js(c, "name");
			cells[2] = fmt_iso_age(age, sizeof age, js(c, "ts"),
			    dash_now_ms(d));
			cells[3] = js(c, "output");
			table_add(t, cells);
		}
	dash_table_lines(p, 0, t, dash_width(d), 0);
	table_free(t);
}

static void
host_metrics(struct dash *d, struct dash_page *p, const json_t *h)
{
	static const struct table_col cols[] = {
		{ "METRIC", 0, 0, 0 },
		{ "LABELS", TABLE_FLEX, 8, 2 },
		{ "VALUE", TABLE_RIGHT, 0, 0 },
		{ "UNIT", 0, 0, 1 },
		{ "AGE", TABLE_RIGHT, 0, 3 },
	};
	json_t		*metrics = json_object_get(h, "metrics"), *m, *lv;
	struct table	*t;
	struct buf	 b;
	const char	*cells[5], *k;
	char		 age[32], val[64];
	size_t		 i;

	dash_line(p, 0, TONE_NONE, "%s", "");
	dash_line(p, 0, TONE_HEADING, "Metrics (%zu)%s",
	    json_array_size(metrics), json_is_true(json_object_get(h,
	    "metrics_truncated")) ? ", more not shown" : "");
	if (json_array_size(metrics) == 0)
		return;
	t = table_new(cols, 5);
	json_array_foreach(metrics, i, m) {
		buf_init(&b, 0);
		json_object_foreach(json_object_get(m, "labels"), k, lv)
			buf_printf(&b, "%s%s=%s", b.len > 0 ? "," : "", k,
			    json_string_value(lv) != NULL ?
			    json_string_value(lv) : "");
		cells[0] = js(m, "name");
		cells[1] = b.len > 0 ? buf_cstr(&b) : "";
		cells[2] = json_is_number(json_object_get(m, "value")) ?
		    fmt_number(val, sizeof val, jd(m, "value", 0)) : "-";
		cells[3] = js(m, "unit") != NULL ? js(m, "unit") : "";
		cells[4] = fmt_iso_age(age, sizeof age, js(m, "ts"),
		    dash_now_ms(d));
		table_add(t, cells);
		buf_free(&b);
	}
	dash_table_lines(p, 0, t, dash_width(d), SIZE_MAX);
	table_free(t);
}

static void
host_interfaces(struct dash *d, struct dash_page *p, const json_t *h)
{
	static const struct table_col cols[] = {
		{ "INTERFACE", TABLE_FLEX, 8, 0 },
		{ "OPER", 0, 0, 0 },
		{ "ADMIN", 0, 0, 3 },
		{ "SPEED", TABLE_RIGHT, 0, 2 },
		{ "IN", TABLE_RIGHT, 0, 4 },
		{ "OUT", TABLE_RIGHT, 0, 4 },
		{ "ERRORS", TABLE_RIGHT, 0, 1 },
		{ "ALIAS", TABLE_FLEX, 6, 5 },
	};
	json_t		*ifs = json_object_get(h, "interfaces"), *f;
	struct table	*t;
	const char	*cells[8];
	char		 speed[32], in[32], out[32], errs[48];
	size_t		 i;

	dash_line(p, 0, TONE_NONE, "%s", "");
	dash_line(p, 0, TONE_HEADING, "Interfaces (%zu)", json_array_size(ifs));
	if (json_array_size(ifs) == 0)
		return;
	t = table_new(cols, 8);
	json_array_foreach(ifs, i, f) {
		cells[0] = js(f, "name");
		cells[1] = js(f, "oper");
		cells[2] = js(f, "admin");
		cells[3] = ji(f, "speed_bps", -1) >= 0 ? fmt_bps(speed,
		    sizeof speed, (double)ji(f, "speed_bps", 0)) : "-";
		cells[4] = ji(f, "in_octets", -1) >= 0 ? fmt_bytes(in,
		    sizeof in, (double)ji(f, "in_octets", 0)) : "-";
		cells[5] = ji(f, "out_octets", -1) >= 0 ? fmt_bytes(out,
		    sizeof out, (double)ji(f, "out_octets", 0)) : "-";
		snprintf(errs, sizeof errs, "%lld",
		    (long long)(ji(f, "in_errors", 0) + ji(f, "out_errors", 0)));
		cells[6] = errs;
		cells[7] = js(f, "alias");
		table_add(t, cells);
	}
	dash_table_lines(p, 0, t, dash_width(d), 1);
	table_free(t);
}

static void
host_build(struct dash *d, struct view *v, struct dash_page *p)
{
	char		*path = host_path(v->arg), s[256], when[64], age[32];
	const json_t	*os, *fw;
	struct dash_line *l;
	struct buf	 b;
	json_t		*h, *a;
	size_t		 i;

	if ((h = dash_doc(d, p, path, "host")) == NULL) {
		free(path);
		return;
	}
	free(path);
	free(v->title);
	v->title = xstrdup(js(h, "name") != NULL ? js(h, "name") : v->arg);
	os = json_object_get(h, "os");
	fw = json_object_get(h, "firmware");
	l = dash_line(p, 0, TONE_HEADING, "%s  %s",
	    js(h, "name") != NULL ? js(h, "name") : "-",
	    js(h, "state") != NULL ? js(h, "state") : "-");
	dash_line_tone(l, js(h, "state"), dash_tone(js(h, "state")));
	if (js(h, "state_since") != NULL) {
		snprintf(s, sizeof s, "%s (%s ago)", fmt_iso(when,
		    sizeof when, js(h, "state_since")), fmt_iso_age(age,
		    sizeof age, js(h, "state_since"), dash_now_ms(d)));
		dash_kv(p, "state since", s);
	}
	dash_kv(p, "datacentre", js(h, "datacentre"));
	dash_kv(p, "kind", js(h, "kind"));
	dash_kv(p, "fqdn", js(h, "fqdn"));
	buf_init(&b, 0);
	json_array_foreach(json_object_get(h, "addresses"), i, a)
		buf_printf(&b, "%s%s", i > 0 ? ", " : "",
		    json_string_value(a) != NULL ? json_string_value(a) : "");
	dash_kv(p, "addresses", b.len > 0 ? buf_cstr(&b) : NULL);
	buf_free(&b);
	dash_kv(p, "vendor", js(h, "vendor"));
	dash_kv(p, "model", js(h, "model"));
	dash_kv(p, "serial", js(h, "serial"));
	dash_kv(p, "os", js(os, "pretty_name"));
	if (js(os, "kernel") != NULL || js(os, "arch") != NULL) {
		snprintf(s, sizeof s, "%s%s%s", js(os, "kernel") != NULL ?
		    js(os, "kernel") : "", js(os, "arch") != NULL ? " " : "",
		    js(os, "arch") != NULL ? js(os, "arch") : "");
		dash_kv(p, "kernel", s);
	}
	if (js(fw, "product") != NULL || js(fw, "version") != NULL) {
		snprintf(s, sizeof s, "%s %s", js(fw, "product") != NULL ?
		    js(fw, "product") : "", js(fw, "version") != NULL ?
		    js(fw, "version") : "");
		dash_kv(p, "firmware", s);
	}
	if (ji(h, "uptime_s", -1) >= 0)
		dash_kv(p, "uptime", fmt_uptime(s, sizeof s,
		    ji(h, "uptime_s", 0)));
	snprintf(s, sizeof s, "%s (%s ago)", fmt_iso(when, sizeof when,
	    js(h, "last_report")), fmt_iso_age(age, sizeof age,
	    js(h, "last_report"), dash_now_ms(d)));
	dash_kv(p, "last report", s);
	dash_kv(p, "agent id", js(h, "agent_id"));
	if (js(h, "agent_version") != NULL)
		dash_kv(p, "agent", js(h, "agent_version"));
	host_checks(d, p, h);
	host_sparks(d, p, v->arg, h);
	host_metrics(d, p, h);
	host_interfaces(d, p, h);
}

const struct view_entry view_host = {
	"Host", 0, 0, host_want, host_build, NULL, 0,
};
