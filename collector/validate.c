/* validate.c: every rule of docs/report.md, checked on a whole body of
 * reports before anything of it is stored; errors name the field. */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/report_limits.h"
#include "common/str.h"
#include "common/wjson.h"
#include "common/wtime.h"
#include "collector/collector.h"

#define REPORT_SCHEMA_CURRENT	1
#define REPORT_SCHEMA_OLDEST	1
#define REPORTS_PER_BODY_MAX	500
#define FUTURE_SLACK_MS		(5 * 60 * 1000LL)
#define PAST_LIMIT_MS		(400 * 86400 * 1000LL)
#define METRICS_MAX		REPORT_METRICS_MAX
#define CHECKS_MAX		REPORT_CHECKS_MAX
#define INTERFACES_MAX		REPORT_INTERFACES_MAX
#define SOFTWARE_MAX		REPORT_SOFTWARE_MAX
#define LABELS_MAX		16
#define ADDRESSES_MAX		64
#define TEXT_MAX		255
#define OUTPUT_MAX		4096

#define CHARS_ID	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-"
#define CHARS_METRIC	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-"
#define CHARS_LABEL	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"

static const char *const host_kinds[] = {
	"server", "switch", "router", "firewall", "ups", "pdu", "bmc",
	"storage", "appliance", "other", NULL,
};
static const char *const if_states[] = {
	"up", "down", "testing", "unknown", "dormant", "notPresent",
	"lowerLayerDown", NULL,
};
const char *const validate_if_counters[] = {
	"in_octets", "out_octets", "in_errors", "out_errors", "in_discards",
	"out_discards", NULL,
};

static int
in_list(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/* A string field: absent is fine unless required; length in [min, max]
 * bytes; every byte from charset when one is given. */
static int
check_str(json_t *obj, const char *path, const char *key, int required,
    size_t min, size_t max, const char *charset, const char **out, char *err,
    size_t errlen)
{
	const char	*s = NULL;
	size_t		 len;
	int		 rc;

	rc = wjson_get_string(obj, path, key, required, &s, err, errlen);
	if (out != NULL)
		*out = rc == 0 ? s : NULL;
	if (rc != 0)
		return rc == 1 ? 0 : -1;
	len = strlen(s);
	if (len < min || len > max) {
		snprintf(err, errlen, "%s.%s: length %zu is outside %zu..%zu "
		    "bytes", path, key, len, min, max);
		return -1;
	}
	if (charset != NULL && strspn(s, charset) != len) {
		snprintf(err, errlen, "%s.%s: byte %zu is not allowed (use "
		    "A-Z a-z 0-9 _ .%s -)", path, key, strspn(s, charset) + 1,
		    strchr(charset, ':') != NULL ? " :" : "");
		return -1;
	}
	return 0;
}

static int
check_strings(json_t *obj, const char *path, const char *const *keys,
    char *err, size_t errlen)
{
	for (; *keys != NULL; keys++)
		if (check_str(obj, path, *keys, 0, 0, TEXT_MAX, NULL, NULL,
		    err, errlen) == -1)
			return -1;
	return 0;
}

static int
check_array(json_t *obj, const char *path, const char *key, size_t max,
    json_t **out, char *err, size_t errlen)
{
	int	 rc;

	*out = NULL;
	rc = wjson_get_array(obj, path, key, 0, out, err, errlen);
	if (rc == -1)
		return -1;
	if (rc == 0 && json_array_size(*out) > max) {
		snprintf(err, errlen, "%s.%s: %zu entries, at most %zu allowed",
		    path, key, json_array_size(*out), max);
		return -1;
	}
	return 0;
}

static int
check_host(json_t *report, const char *path, char *err, size_t errlen)
{
	static const char *const host_strings[] = {
		"fqdn", "datacentre", "machine_id", "vendor", "model", "serial",
		"bios_date", NULL,
	};
	static const char *const os_strings[] = {
		"id", "version_id", "pretty_name", "kernel", "arch", NULL,
	};
	static const char *const fw_strings[] = {
		"vendor", "product", "version", "family", NULL,
	};
	char		 hpath[64], sub[80];
	json_t		*host, *o, *addrs, *a;
	const char	*kind;
	int64_t		 i64;
	size_t		 i;

	snprintf(hpath, sizeof hpath, "%s.host", path);
	if (wjson_get_object(report, path, "host", 1, &host, err, errlen) != 0)
		return -1;
	if (check_str(host, hpath, "name", 1, 1, TEXT_MAX, NULL, NULL, err,
	    errlen) == -1 || check_strings(host, hpath, host_strings, err,
	    errlen) == -1)
		return -1;
	if (check_str(host, hpath, "kind", 0, 1, 32, NULL, &kind, err,
	    errlen) == -1)
		return -1;
	if (kind != NULL && !in_list(kind, host_kinds)) {
		snprintf(err, errlen, "%s.kind: unknown kind (use server, "
		    "switch, router, firewall, ups, pdu, bmc, storage, "
		    "appliance or other)", hpath);
		return -1;
	}
	snprintf(sub, sizeof sub, "%s.os", hpath);
	o = NULL;
	if (wjson_get_object(host, hpath, "os", 0, &o, err, errlen) == -1 ||
	    (o != NULL && check_strings(o, sub, os_strings, err, errlen) == -1))
		return -1;
	o = NULL;
	snprintf(sub, sizeof sub, "%s.firmware", hpath);
	if (wjson_get_object(host, hpath, "firmware", 0, &o, err, errlen) ==
	    -1 || (o != NULL && check_strings(o, sub, fw_strings, err,
	    errlen) == -1))
		return -1;
	if (check_array(host, hpath, "addresses", ADDRESSES_MAX, &addrs, err,
	    errlen) == -1)
		return -1;
	json_array_foreach(addrs, i, a) {
		if (!json_is_string(a) || json_string_length(a) == 0 ||
		    json_string_length(a) > 64) {
			snprintf(err, errlen, "%s.addresses[%zu]: expected an "
			    "address string of 1..64 bytes", hpath, i);
			return -1;
		}
	}
	if (wjson_get_int(host, hpath, "uptime_s", 0, 0, INT64_MAX, &i64, err,
	    errlen) == -1)
		return -1;
	return 0;
}

static int
check_metrics(json_t *report, const char *path, char *err, size_t errlen)
{
	json_t		*metrics, *m, *labels, *v;
	const char	*key;
	char		 mpath[96];
	double		 value;
	size_t		 i;

	if (check_array(report, path, "metrics", METRICS_MAX, &metrics, err,
	    errlen) == -1)
		return -1;
	json_array_foreach(metrics, i, m) {
		snprintf(mpath, sizeof mpath, "%s.metrics[%zu]", path, i);
		if (!json_is_object(m)) {
			snprintf(err, errlen, "%s: expected an object, got %s",
			    mpath, wjson_type_name(m));
			return -1;
		}
		if (check_str(m, mpath, "name", 1, 1, 128, CHARS_METRIC, NULL,
		    err, errlen) == -1 ||
		    wjson_get_number(m, mpath, "value", 1, &value, err,
		    errlen) != 0 ||
		    check_str(m, mpath, "unit", 0, 0, 32, NULL, NULL, err,
		    errlen) == -1)
			return -1;
		if (!isfinite(value)) {
			snprintf(err, errlen, "%s.value: not a finite number",
			    mpath);
			return -1;
		}
		labels = NULL;
		if (wjson_get_object(m, mpath, "labels", 0, &labels, err,
		    errlen) == -1)
			return -1;
		if (labels == NULL)
			continue;
		if (json_object_size(labels) > LABELS_MAX) {
			snprintf(err, errlen, "%s.labels: %zu labels, at most "
			    "%d allowed", mpath, json_object_size(labels),
			    LABELS_MAX);
			return -1;
		}
		json_object_foreach(labels, key, v) {
			size_t	 klen = strlen(key);
			char	 vis[80];

			if (klen == 0 || klen > 64 ||
			    strspn(key, CHARS_LABEL) != klen) {
				snprintf(err, errlen, "%s.labels: key \"%s\" is "
				    "not 1..64 of A-Z a-z 0-9 _ . -", mpath,
				    str_vis(vis, sizeof vis, key));
				return -1;
			}
			if (!json_is_string(v) ||
			    json_string_length(v) > TEXT_MAX) {
				snprintf(err, errlen, "%s.labels.%s: expected "
				    "a string of at most %d bytes", mpath, key,
				    TEXT_MAX);
				return -1;
			}
		}
	}
	return 0;
}

static int
check_checks(json_t *report, const char *path, char *err, size_t errlen)
{
	json_t		*checks, *c, *other;
	const char	*name, *oname;
	char		 cpath[96];
	int64_t		 status;
	size_t		 i, j;

	if (check_array(report, path, "checks", CHECKS_MAX, &checks, err,
	    errlen) == -1)
		return -1;
	json_array_foreach(checks, i, c) {
		snprintf(cpath, sizeof cpath, "%s.checks[%zu]", path, i);
		if (!json_is_object(c)) {
			snprintf(err, errlen, "%s: expected an object, got %s",
			    cpath, wjson_type_name(c));
			return -1;
		}
		if (check_str(c, cpath, "name", 1, 1, 128, CHARS_METRIC, &name,
		    err, errlen) == -1 ||
		    wjson_get_int(c, cpath, "status", 1, 0, 3, &status, err,
		    errlen) != 0 ||
		    check_str(c, cpath, "output", 0, 0, OUTPUT_MAX, NULL, NULL,
		    err, errlen) == -1 ||
		    check_str(c, cpath, "perfdata", 0, 0, OUTPUT_MAX, NULL,
		    NULL, err, errlen) == -1)
			return -1;
		/* Names are few per report; quadratic is fine at <= 1000. */
		for (j = 0; j < i; j++) {
			other = json_array_get(checks, j);
			oname = json_string_value(json_object_get(other,
			    "name"));
			if (oname != NULL && strcmp(oname, name) == 0) {
				snprintf(err, errlen, "%s.name: \"%s\" repeats "
				    "checks[%zu]", cpath, name, j);
				return -1;
			}
		}
	}
	return 0;
}

static int
check_interfaces(json_t *report, const char *path, char *err, size_t errlen)
{
	json_t		*ifs, *f;
	const char	*state;
	char		 fpath[96];
	int64_t		 i64;
	size_t		 i, k;

	if (check_array(report, path, "interfaces", INTERFACES_MAX, &ifs, err,
	    errlen) == -1)
		return -1;
	json_array_foreach(ifs, i, f) {
		snprintf(fpath, sizeof fpath, "%s.interfaces[%zu]", path, i);
		if (!json_is_object(f)) {
			snprintf(err, errlen, "%s: expected an object, got %s",
			    fpath, wjson_type_name(f));
			return -1;
		}
		if (check_str(f, fpath, "name", 1, 1, TEXT_MAX, NULL, NULL,
		    err, errlen) == -1 ||
		    check_str(f, fpath, "alias", 0, 0, TEXT_MAX, NULL, NULL,
		    err, errlen) == -1 ||
		    check_str(f, fpath, "type", 0, 0, 64, NULL, NULL, err,
		    errlen) == -1 ||
		    check_str(f, fpath, "mac", 0, 0, 64, NULL, NULL, err,
		    errlen) == -1 ||
		    wjson_get_int(f, fpath, "index", 0, 0, INT64_MAX, &i64, err,
		    errlen) == -1 ||
		    wjson_get_int(f, fpath, "speed_bps", 0, 0, INT64_MAX, &i64,
		    err, errlen) == -1)
			return -1;
		for (k = 0; validate_if_counters[k] != NULL; k++)
			if (wjson_get_int(f, fpath, validate_if_counters[k], 0, 0,
			    INT64_MAX, &i64, err, errlen) == -1)
				return -1;
		if (check_str(f, fpath, "admin", 0, 1, 32, NULL, &state, err,
		    errlen) == -1)
			return -1;
		if (state != NULL && !in_list(state, if_states))
			goto bad_state;
		if (check_str(f, fpath, "oper", 0, 1, 32, NULL, &state, err,
		    errlen) == -1)
			return -1;
		if (state != NULL && !in_list(state, if_states))
			goto bad_state;
	}
	return 0;

bad_state:
	snprintf(err, errlen, "%s: admin/oper must be up, down, testing, "
	    "unknown, dormant, notPresent or lowerLayerDown", fpath);
	return -1;
}

static const char *const software_types[] = {
	"unknown", "operatingSystem", "deviceDriver", "application", NULL,
};

/* An ISO-8601 day, or a date-time with Z or an offset. */
static int
software_date_ok(const char *s)
{
	int64_t	 ms;
	char	 why[64];
	size_t	 i;

	for (i = 0; i < 10; i++)
		if (s[i] == '\0' || (i == 4 || i == 7 ? s[i] != '-' :
		    s[i] < '0' || s[i] > '9'))
			return 0;
	/* The day alone too: month 13 or 30 February is no day. */
	return wtime_parse_iso8601(s, &ms, why, sizeof why) == 0;
}

static int
check_software(json_t *report, const char *path, char *err, size_t errlen)
{
	json_t		*list, *e;
	const char	*type, *installed;
	char		 spath[96];
	size_t		 i;

	if (check_array(report, path, "software", SOFTWARE_MAX, &list, err,
	    errlen) == -1)
		return -1;
	json_array_foreach(list, i, e) {
		snprintf(spath, sizeof spath, "%s.software[%zu]", path, i);
		if (!json_is_object(e)) {
			snprintf(err, errlen, "%s: expected an object, got %s",
			    spath, wjson_type_name(e));
			return -1;
		}
		if (check_str(e, spath, "name", 1, 1, TEXT_MAX, NULL, NULL,
		    err, errlen) == -1 ||
		    check_str(e, spath, "type", 0, 1, 32, NULL, &type, err,
		    errlen) == -1 ||
		    check_str(e, spath, "installed", 0, 10, 40, NULL,
		    &installed, err, errlen) == -1)
			return -1;
		if (type != NULL && !in_list(type, software_types)) {
			snprintf(err, errlen, "%s.type: use unknown, "
			    "operatingSystem, deviceDriver or application",
			    spath);
			return -1;
		}
		if (installed != NULL && !software_date_ok(installed)) {
			snprintf(err, errlen, "%s.installed: not an ISO-8601 "
			    "date (2026-11-27) or date-time with Z or an "
			    "offset", spath);
			return -1;
		}
	}
	return 0;
}

static int
check_report(json_t *r, const char *path, int64_t now_ms, char *err,
    size_t errlen)
{
	json_t		*agent;
	const char	*ts;
	char		 apath[64], vis[80];
	int64_t		 schema, i64, ts_ms;

	if (!json_is_object(r)) {
		snprintf(err, errlen, "%s: expected an object, got %s", path,
		    wjson_type_name(r));
		return -1;
	}
	if (wjson_get_int(r, path, "schema", 1, INT64_MIN, INT64_MAX, &schema,
	    err, errlen) != 0)
		return -1;
	if (schema < REPORT_SCHEMA_OLDEST || schema > REPORT_SCHEMA_CURRENT) {
		snprintf(err, errlen, "%s.schema: version %" PRId64 " is not "
		    "supported (this collector accepts %d..%d)", path, schema,
		    REPORT_SCHEMA_OLDEST, REPORT_SCHEMA_CURRENT);
		return -1;
	}
	snprintf(apath, sizeof apath, "%s.agent", path);
	if (wjson_get_object(r, path, "agent", 1, &agent, err, errlen) != 0 ||
	    check_str(agent, apath, "id", 1, 1, 64, CHARS_ID, NULL, err,
	    errlen) == -1 ||
	    check_str(agent, apath, "version", 0, 0, 64, NULL, NULL, err,
	    errlen) == -1)
		return -1;
	if (wjson_get_int(r, path, "seq", 1, 1, INT64_MAX, &i64, err,
	    errlen) != 0 ||
	    wjson_get_int(r, path, "interval_s", 0, 10, 86400, &i64, err,
	    errlen) == -1 ||
	    wjson_get_int(r, path, "dropped", 0, 0, INT64_MAX, &i64, err,
	    errlen) == -1)
		return -1;
	if (wjson_get_string(r, path, "ts", 1, &ts, err, errlen) != 0)
		return -1;
	if (wtime_parse_iso8601(ts, &ts_ms, err, errlen) == -1) {
		char	 reason[256];

		str_copy(reason, err, sizeof reason);
		snprintf(err, errlen, "%s.ts: %s", path, reason);
		return -1;
	}
	if (ts_ms > now_ms + FUTURE_SLACK_MS) {
		snprintf(err, errlen, "%s.ts: \"%s\" is more than 5 minutes in "
		    "the future (check the agent's clock)", path,
		    str_vis(vis, sizeof vis, ts));
		return -1;
	}
	if (ts_ms < now_ms - PAST_LIMIT_MS) {
		snprintf(err, errlen, "%s.ts: \"%s\" is more than 400 days old",
		    path, str_vis(vis, sizeof vis, ts));
		return -1;
	}
	if (check_host(r, path, err, errlen) == -1 ||
	    check_metrics(r, path, err, errlen) == -1 ||
	    check_checks(r, path, err, errlen) == -1 ||
	    check_interfaces(r, path, err, errlen) == -1 ||
	    check_software(r, path, err, errlen) == -1)
		return -1;
	return 0;
}

int
validate_reports(json_t *doc, int64_t now_ms, char *err, size_t errlen)
{
	json_t	*r;
	char	 path[32];
	size_t	 i, n;

	if (!json_is_array(doc))
		return check_report(doc, "report", now_ms, err, errlen);
	n = json_array_size(doc);
	if (n == 0) {
		snprintf(err, errlen, "report: empty array");
		return -1;
	}
	if (n > REPORTS_PER_BODY_MAX) {
		snprintf(err, errlen, "report: %zu reports in one body, at most "
		    "%d allowed", n, REPORTS_PER_BODY_MAX);
		return -1;
	}
	json_array_foreach(doc, i, r) {
		snprintf(path, sizeof path, "report[%zu]", i);
		if (check_report(r, path, now_ms, err, errlen) == -1)
			return -1;
	}
	return 0;
}
