/* route_host_metric.c: GET /api/v1/hosts/{name}/metrics/{metric}: one
 * metric's series on one host over a time range, as raw samples while they
 * are kept and the range is small, else as hourly roll-ups. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "common/str.h"
#include "common/wjson.h"
#include "common/wtime.h"
#include "collector/collector.h"

#define METRIC_RANGE_DEFAULT_MS	(6 * 3600 * 1000LL)
/* What the collector keeps by default when [store] does not say. */
#define METRIC_RAW_RETENTION_MS	(8 * 86400 * 1000LL)
#define METRIC_HOUR_MS		3600000LL
/* Caps on one answer: points per series, points in all, series. */
#define METRIC_SERIES_POINTS_MAX 10000
#define METRIC_POINTS_MAX	100000
#define METRIC_SERIES_MAX	1000
#define METRIC_LABELS_MAX	16
#define CHARS_METRIC	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-"
#define CHARS_LABEL	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"

#define SQL_METRIC_SERIES \
	"SELECT id, labels, unit FROM series WHERE host_id = ?1 AND name = ?2" \
	" ORDER BY labels"
#define SQL_METRIC_RAW \
	"SELECT ts_ms, value FROM samples WHERE series_id = ?1" \
	" AND ts_ms BETWEEN ?2 AND ?3 ORDER BY ts_ms LIMIT ?4"
#define SQL_METRIC_HOUR \
	"SELECT hour_ms, min, avg, max, count FROM rollups_hourly" \
	" WHERE series_id = ?1 AND hour_ms BETWEEN ?2 AND ?3" \
	" ORDER BY hour_ms LIMIT ?4"

enum metric_resolution {
	RES_AUTO,
	RES_RAW,
	RES_HOUR,
};

/* labels=mount=/var,device=sda1 or labels={"mount":"/var"}: every series
 * whose labels include all of these. */
static json_t *
metric_labels_filter(const char *text, char *err, size_t errlen)
{
	struct wjson_limits	 limits = { 8192, 2, 255 };
	json_t			*f, *v;
	const char		*key;
	char			**parts, *eq, vis[80];
	size_t			 n, i;

	if (text[0] == '{') {
		if ((f = wjson_parse(text, strlen(text), &limits, err,
		    errlen)) == NULL)
			return NULL;
		if (!json_is_object(f)) {
			snprintf(err, errlen, "expected a JSON object");
			json_decref(f);
			return NULL;
		}
	} else {
		f = json_object();
		n = str_split(text, ",", &parts);
		for (i = 0; i < n; i++) {
			if ((eq = strchr(parts[i], '=')) == NULL) {
				snprintf(err, errlen, "\"%s\" is not key=value",
				    str_vis(vis, sizeof vis, parts[i]));
				str_list_free(parts, n);
				json_decref(f);
				return NULL;
			}
			*eq = '\0';
			json_object_set_new(f, parts[i],
			    query_json_string(eq + 1));
		}
		str_list_free(parts, n);
	}
	if (json_object_size(f) > METRIC_LABELS_MAX) {
		snprintf(err, errlen, "more than %d labels", METRIC_LABELS_MAX);
		json_decref(f);
		return NULL;
	}
	json_object_foreach(f, key, v) {
		if (key[0] == '\0' || strlen(key) > 64 ||
		    strspn(key, CHARS_LABEL) != strlen(key)) {
			snprintf(err, errlen, "label name \"%s\" is not "
			    "1..64 of A-Z a-z 0-9 _ . -", str_vis(vis,
			    sizeof vis, key));
			json_decref(f);
			return NULL;
		}
		if (!json_is_string(v)) {
			snprintf(err, errlen, "label %s: expected a string",
			    key);
			json_decref(f);
			return NULL;
		}
	}
	return f;
}

static int
metric_labels_match(json_t *labels, json_t *filter)
{
	json_t		*v, *have;
	const char	*key;

	json_object_foreach(filter, key, v) {
		have = json_object_get(labels, key);
		if (!json_is_string(have) || strcmp(json_string_value(have),
		    json_string_value(v)) != 0)
			return 0;
	}
	return 1;
}

/* Appends up to max points of one series; returns how many, or -1. */
static int64_t
metric_points(struct db *db, int64_t series_id, enum metric_resolution res,
    int64_t from_ms, int64_t to_ms, int64_t max, json_t *points, char *err,
    size_t errlen)
{
	sqlite3_stmt	*st;
	json_t		*p;
	int64_t		 n = 0;
	int		 rc, i;

	if ((st = db_stmt(db, res == RES_RAW ? SQL_METRIC_RAW :
	    SQL_METRIC_HOUR, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, series_id);
	/* An hour's roll-up is included when the range touches the hour. */
	sqlite3_bind_int64(st, 2, res == RES_RAW ? from_ms :
	    from_ms - (((from_ms % METRIC_HOUR_MS) + METRIC_HOUR_MS) %
	    METRIC_HOUR_MS));
	sqlite3_bind_int64(st, 3, to_ms);
	sqlite3_bind_int64(st, 4, max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		p = json_array();
		json_array_append_new(p, query_json_time(st, 0));
		for (i = 1; i < (res == RES_RAW ? 2 : 4); i++)
			json_array_append_new(p, query_json_real(st, i));
		if (res == RES_HOUR)
			json_array_append_new(p, query_json_int(st, 4));
		json_array_append_new(points, p);
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(db, "reading samples", err, errlen);
		return -1;
	}
	return n;
}

static int
metric_params(struct request *req, struct reply *rep, int64_t now_ms,
    int64_t *from_ms, int64_t *to_ms, enum metric_resolution *res,
    json_t **filter)
{
	const char	*from, *to, *labels, *resolution;
	char		 err[256];

	*filter = NULL;
	if (query_param(req, rep, "from", 1, 64, &from) == -1 ||
	    query_param(req, rep, "to", 1, 64, &to) == -1 ||
	    query_param(req, rep, "labels", 1, 4096, &labels) == -1 ||
	    query_param(req, rep, "resolution", 1, 16, &resolution) == -1)
		return -1;
	*to_ms = now_ms;
	if (to != NULL && query_parse_time(to, now_ms, to_ms, err,
	    sizeof err) == -1) {
		reply_error(rep, 400, "to: %s (use ISO-8601 such as "
		    "2026-11-23T14:00:00Z, \"now\", or -6h)", err);
		return -1;
	}
	*from_ms = *to_ms - METRIC_RANGE_DEFAULT_MS;
	if (from != NULL && query_parse_time(from, now_ms, from_ms, err,
	    sizeof err) == -1) {
		reply_error(rep, 400, "from: %s (use ISO-8601 such as "
		    "2026-11-23T08:00:00Z, \"now\", or -6h)", err);
		return -1;
	}
	if (*from_ms >= *to_ms) {
		reply_error(rep, 400, "from: must be before to");
		return -1;
	}
	if (resolution == NULL || strcmp(resolution, "auto") == 0)
		*res = RES_AUTO;
	else if (strcmp(resolution, "raw") == 0)
		*res = RES_RAW;
	else if (strcmp(resolution, "hour") == 0)
		*res = RES_HOUR;
	else {
		reply_error(rep, 400, "resolution: use auto, raw or hour");
		return -1;
	}
	if (labels != NULL && (*filter = metric_labels_filter(labels, err,
	    sizeof err)) == NULL) {
		reply_error(rep, 400, "labels: %s", err);
		return -1;
	}
	return 0;
}

static void
host_metric_get(struct request *req, struct reply *rep)
{
	struct query_host	 host;
	enum metric_resolution	 res;
	struct db		*db;
	sqlite3_stmt		*st;
	json_t			*filter, *list = NULL, *s, *labels;
	json_t			*points, *body, *columns;
	const char		*metric = req->params[1], *text;
	char			 err[512], vis[160];
	int64_t			 now_ms = wtime_now_ms(), from_ms, to_ms;
	int64_t			 retention_ms, expected, left, got, id;
	int64_t			 nseries = 0, matched = 0;
	int			 rc, truncated = 0;

	memset(&host, 0, sizeof host);
	if (strlen(metric) > 128 || strspn(metric, CHARS_METRIC) !=
	    strlen(metric)) {
		reply_error(rep, 400, "metric: \"%s\" is not a metric name (1 "
		    "to 128 of A-Z a-z 0-9 _ . : -)", str_vis(vis, sizeof vis,
		    metric));
		return;
	}
	if (metric_params(req, rep, now_ms, &from_ms, &to_ms, &res,
	    &filter) == -1)
		return;
	if ((db = query_db(req->c->store, err, sizeof err)) == NULL)
		goto fail;
	if (query_host_find(req, rep, db, req->params[0], &host) == -1)
		goto done;

	if (res == RES_AUTO) {
		retention_ms = req->c->cfg != NULL &&
		    req->c->cfg->store.raw_retention_ms > 0 ?
		    req->c->cfg->store.raw_retention_ms :
		    METRIC_RAW_RETENTION_MS;
		expected = (to_ms - from_ms) / ((host.interval_s > 0 ?
		    host.interval_s : 60) * 1000);
		res = from_ms >= now_ms - retention_ms &&
		    expected <= METRIC_SERIES_POINTS_MAX ? RES_RAW : RES_HOUR;
	}

	if ((st = db_stmt(db, SQL_METRIC_SERIES, err, sizeof err)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, host.id);
	sqlite3_bind_text(st, 2, metric, -1, SQLITE_STATIC);
	list = json_array();
	left = METRIC_POINTS_MAX;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		nseries++;
		labels = NULL;
		text = (const char *)sqlite3_column_text(st, 1);
		if (text != NULL && text[0] != '\0')
			labels = json_loads(text, 0, NULL);
		if (!json_is_object(labels)) {
			json_decref(labels);
			labels = json_object();
		}
		if (filter != NULL && !metric_labels_match(labels, filter)) {
			json_decref(labels);
			continue;
		}
		if (++matched > METRIC_SERIES_MAX || left == 0) {
			json_decref(labels);
			truncated = 1;
			continue;
		}
		id = sqlite3_column_int64(st, 0);
		s = json_object();
		json_object_set_new(s, "labels", labels);
		json_object_set_new(s, "unit", query_json_text(st, 2));
		points = json_array();
		json_object_set_new(s, "points", points);
		json_array_append_new(list, s);
		/* One more than the cap tells a full series from a cut one. */
		got = metric_points(db, id, res, from_ms, to_ms,
		    (left < METRIC_SERIES_POINTS_MAX ? left :
		    METRIC_SERIES_POINTS_MAX) + 1, points, err, sizeof err);
		if (got == -1) {
			sqlite3_reset(st);
			goto fail;
		}
		if (got > (left < METRIC_SERIES_POINTS_MAX ? left :
		    METRIC_SERIES_POINTS_MAX)) {
			json_array_remove(points, json_array_size(points) - 1);
			got--;
			truncated = 1;
			json_object_set_new(s, "truncated", json_true());
		} else
			json_object_set_new(s, "truncated", json_false());
		left -= got;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(db, "reading metric series", err, sizeof err);
		goto fail;
	}
	if (nseries == 0) {
		reply_error(rep, 404, "host \"%s\" has no metric \"%s\"",
		    str_vis(vis, sizeof vis, host.name), metric);
		goto done;
	}

	columns = res == RES_RAW ? json_pack("[ss]", "ts", "value") :
	    json_pack("[sssss]", "ts", "min", "avg", "max", "count");
	body = json_object();
	json_object_set_new(body, "host", query_json_string(host.name));
	json_object_set_new(body, "agent_id",
	    query_json_string(host.agent_id));
	json_object_set_new(body, "metric", json_string(metric));
	json_object_set_new(body, "from", query_json_time_ms(from_ms));
	json_object_set_new(body, "to", query_json_time_ms(to_ms));
	json_object_set_new(body, "resolution",
	    json_string(res == RES_RAW ? "raw" : "hour"));
	json_object_set_new(body, "columns", columns);
	json_object_set_new(body, "series", list);
	json_object_set_new(body, "truncated", json_boolean(truncated));
	list = NULL;
	reply_json(rep, 200, body);
	goto done;

fail:
	query_fail(req, rep, err);
done:
	json_decref(list);
	json_decref(filter);
	query_host_clear(&host);
}

const struct route_entry route_host_metric = {
	"GET", "/api/v1/hosts/{name}/metrics/{metric}", ROLES_READ,
	host_metric_get,
	"One metric's series on one host: raw or hourly over from..to.",
};
