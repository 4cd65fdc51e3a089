/* rules.c: threshold rules over metrics: the defaults ward ships, the
 * [rule "NAME"] sections that override or add to them, and evaluating a
 * report's metrics against them. A rule's result on one series is a check
 * like any other, named "rule{label=value,...}". */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "collector/collector.h"

const char *const rule_directions[] = { "above", "below", NULL };

const struct cfg_option rule_options[] = {
	{ "metric", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct rule_config, metric),
	  "The metric, by name or fnmatch(3) pattern (\"fs.used_pct\", "
	  "\"check.*.time\"). Required unless the rule only switches a "
	  "built-in off." },
	{ "labels", CFG_LIST, NULL, 0, 0, NULL, 0,
	  offsetof(struct rule_config, labels),
	  "Only series whose labels match, as key=pattern "
	  "(\"mount=/var*\")." },
	{ "kinds", CFG_LIST, NULL, 0, 0, NULL, 0,
	  offsetof(struct rule_config, kinds),
	  "Only hosts of these kinds (server, switch, ups, ...); empty: all." },
	{ "datacentres", CFG_LIST, NULL, 0, 0, NULL, 0,
	  offsetof(struct rule_config, datacentres),
	  "Only hosts in these datacentres; empty: all." },
	{ "warning", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct rule_config, warning),
	  "WARNING beyond this value." },
	{ "critical", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct rule_config, critical),
	  "CRITICAL beyond this value." },
	{ "direction", CFG_ENUM, "above", 0, 0, rule_directions, 0,
	  offsetof(struct rule_config, direction),
	  "above: a high value is the problem; below: a low one is." },
	{ "divide_by", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct rule_config, divide_by),
	  "Compare the value divided by this metric of the same host (e.g. "
	  "load.5 by cpu.count: load per core)." },
	{ "for", CFG_DURATION, "0", 0, 7LL * 86400000, NULL, 0,
	  offsetof(struct rule_config, for_ms),
	  "A problem becomes hard (alerts) once it has lasted this long; 0: "
	  "after max_attempts reports in a row instead." },
	{ "max_attempts", CFG_INT, "0", 0, 100, NULL, 0,
	  offsetof(struct rule_config, max_attempts),
	  "Reports in a row before a problem is hard; 0: [health] "
	  "max_attempts." },
	{ "kind", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct rule_config, kind),
	  "The alert kind, which names its runbook (runbooks/KIND.md); "
	  "default: the rule's name." },
	{ "enabled", CFG_BOOL, "yes", 0, 0, NULL, 0,
	  offsetof(struct rule_config, enabled),
	  "\"no\" switches the rule (or the built-in of that name) off." },
	CFG_OPTIONS_END
};

/*
 * What ward ships. "Time since last report" is not a rule: it is the host
 * state STALE (evaluate.c), judged by each host's own interval.
 */
static const struct rule_default {
	const char	*name;
	const char	*metric;
	const char	*labels;	/* "key=glob" or NULL */
	const char	*kinds;		/* host kinds or NULL */
	const char	*warning;
	const char	*critical;
	int		 direction;
	const char	*divide_by;
	int64_t		 for_ms;
} rule_defaults[] = {
	{ "disk_usage", "fs.used_pct", NULL, NULL, "85", "95", RULE_ABOVE,
	  NULL, 0 },
	{ "inode_usage", "fs.inodes_used_pct", NULL, NULL, "85", "95",
	  RULE_ABOVE, NULL, 0 },
	{ "memory", "mem.used_pct", NULL, NULL, "90", "97", RULE_ABOVE, NULL,
	  5 * 60000 },
	{ "swap", "swap.used_pct", NULL, NULL, "50", "80", RULE_ABOVE, NULL,
	  5 * 60000 },
	{ "load_per_core", "load.5", NULL, NULL, "2", "4", RULE_ABOVE,
	  "cpu.count", 10 * 60000 },
	{ "interface_errors", "net.rx_errors_per_s", NULL, NULL, "1", "10",
	  RULE_ABOVE, NULL, 0 },
	{ "interface_tx_errors", "net.tx_errors_per_s", NULL, NULL, "1", "10",
	  RULE_ABOVE, NULL, 0 },
	{ "ups_on_battery", "ups.on_battery_s", NULL, NULL, NULL, "0",
	  RULE_ABOVE, NULL, 0 },
	{ "ups_battery_low", "ups.charge_pct", NULL, NULL, "50", "25",
	  RULE_BELOW, NULL, 0 },
	{ "ups_runtime_low", "ups.runtime_s", NULL, NULL, "900", "300",
	  RULE_BELOW, NULL, 0 },
	{ "cert_expiry", "http.cert_days_left", NULL, NULL, "30", "7",
	  RULE_BELOW, NULL, 0 },
};

/* Metric names ward's own agents send, and the families netpoll and
 * plugins fill: a rule on anything else would never fire. */
static const char *const rule_known_metrics[] = {
	"cpu.count", "cpu.util", "load.1", "load.5", "load.15",
	"mem.total_bytes", "mem.available_bytes", "mem.used_pct",
	"swap.total_bytes", "swap.used_pct", "fs.size_bytes", "fs.used_pct",
	"fs.inodes_used_pct", "net.rx_bytes_per_s", "net.rx_packets_per_s",
	"net.rx_errors_per_s", "net.rx_drops_per_s", "net.tx_bytes_per_s",
	"net.tx_packets_per_s", "net.tx_errors_per_s", "net.tx_drops_per_s",
	"procs.count", "systemd.failed_units", NULL,
};
static const char *const rule_known_families[] = {
	"check.", "ups.", "if.", "sensor.", "http.", "hr.", "snmp.", "ssh.",
	"entity.", NULL,
};

static int
rule_metric_known(const char *pattern)
{
	size_t	 i;

	for (i = 0; rule_known_metrics[i] != NULL; i++)
		if (fnmatch(pattern, rule_known_metrics[i], 0) == 0)
			return 1;
	for (i = 0; rule_known_families[i] != NULL; i++)
		if (str_has_prefix(pattern, rule_known_families[i]))
			return 1;
	return 0;
}

static int
rule_number(const char *rule, const char *key, const char *s, double *out,
    char *err, size_t errlen)
{
	char	*end;

	errno = 0;
	*out = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno != 0 || !isfinite(*out) ||
	    isspace((unsigned char)*s)) {
		snprintf(err, errlen, "[rule \"%s\"] %s: \"%s\" is not a "
		    "number", rule, key, s);
		return -1;
	}
	return 0;
}

static void
rule_free_one(struct rule *r)
{
	size_t	 i;

	free(r->name);
	free(r->metric);
	for (i = 0; i < r->nlabels; i++) {
		free(r->label_keys[i]);
		free(r->label_globs[i]);
	}
	free(r->label_keys);
	free(r->label_globs);
	str_list_free(r->kinds, r->nkinds);
	str_list_free(r->datacentres, r->ndatacentres);
	free(r->divide_by);
	free(r->kind);
}

void
rules_free(struct rules *rs)
{
	size_t	 i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->n; i++)
		rule_free_one(&rs->v[i]);
	free(rs->v);
	free(rs);
}

static char **
rule_list_copy(const char *const *items, size_t n)
{
	char	**out = xcalloc(n + 1, sizeof *out);
	size_t	 i;

	for (i = 0; i < n; i++)
		out[i] = xstrdup(items[i]);
	return out;
}

/* Fills r from the pieces a default or a section gives; -1 with err. */
static int
rule_build(struct rule *r, const char *name, const char *metric,
    const char *const *labels, size_t nlabels, const char *const *kinds,
    size_t nkinds, const char *const *dcs, size_t ndcs, const char *warning,
    const char *critical, int direction, const char *divide_by,
    int64_t for_ms, int64_t max_attempts, const char *kind, char *err,
    size_t errlen)
{
	const char	*eq;
	size_t		 i;

	memset(r, 0, sizeof *r);
	r->name = xstrdup(name);
	r->metric = xstrdup(metric);
	if (!rule_metric_known(metric)) {
		snprintf(err, errlen, "[rule \"%s\"] metric \"%s\": ward collects "
		    "no such metric (agents send e.g. fs.used_pct, mem.used_pct, "
		    "load.5; netpoll and plugins send ups.*, if.*, http.*, "
		    "check.*)", name, metric);
		return -1;
	}
	r->label_keys = xcalloc(nlabels + 1, sizeof *r->label_keys);
	r->label_globs = xcalloc(nlabels + 1, sizeof *r->label_globs);
	for (i = 0; i < nlabels; i++) {
		if ((eq = strchr(labels[i], '=')) == NULL || eq == labels[i]) {
			snprintf(err, errlen, "[rule \"%s\"] labels: \"%s\" is "
			    "not key=pattern", name, labels[i]);
			return -1;
		}
		r->label_keys[i] = xstrndup(labels[i], (size_t)(eq -
		    labels[i]));
		r->label_globs[i] = xstrdup(eq + 1);
		r->nlabels++;
	}
	r->kinds = rule_list_copy(kinds, nkinds);
	r->nkinds = nkinds;
	r->datacentres = rule_list_copy(dcs, ndcs);
	r->ndatacentres = ndcs;
	r->direction = direction;
	r->divide_by = divide_by != NULL && *divide_by != '\0' ?
	    xstrdup(divide_by) : NULL;
	r->for_ms = for_ms;
	r->max_attempts = (int)max_attempts;
	r->kind = xstrdup(kind != NULL && *kind != '\0' ? kind : name);
	if (warning == NULL && critical == NULL) {
		snprintf(err, errlen, "[rule \"%s\"] needs warning, critical "
		    "or both", name);
		return -1;
	}
	if ((warning != NULL && rule_number(name, "warning", warning,
	    &r->warning, err, errlen) == -1) || (critical != NULL &&
	    rule_number(name, "critical", critical, &r->critical, err,
	    errlen) == -1))
		return -1;
	r->has_warning = warning != NULL;
	r->has_critical = critical != NULL;
	if (r->has_warning && r->has_critical &&
	    (direction == RULE_ABOVE ? r->warning > r->critical :
	    r->warning < r->critical)) {
		snprintf(err, errlen, "[rule \"%s\"] warning %s is %s critical "
		    "%s: with direction = %s the warning bound comes first",
		    name, warning, direction == RULE_ABOVE ? "above" : "below",
		    critical, rule_directions[direction]);
		return -1;
	}
	for (i = 0; r->kind[i] != '\0'; i++)
		if (!isalnum((unsigned char)r->kind[i]) && r->kind[i] != '_') {
			snprintf(err, errlen, "[rule \"%s\"] kind \"%s\": letters, "
			    "digits and _ only (it names runbooks/KIND.md)", name,
			    r->kind);
			return -1;
		}
	return 0;
}

static struct rule *
rules_add(struct rules *rs)
{
	rs->v = xreallocarray(rs->v, rs->n + 1, sizeof *rs->v);
	return &rs->v[rs->n++];
}

int
rules_compile(const struct collector_config *cfg, struct rules **out,
    char *err, size_t errlen)
{
	struct rules		*rs = xcalloc(1, sizeof *rs);
	const struct rule_config *rc;
	const struct rule_default *d;
	struct rule		 r;
	char			**lbl;
	size_t			 i, j, n;
	int			 overridden;

	*out = NULL;
	for (i = 0; i < sizeof rule_defaults / sizeof rule_defaults[0]; i++) {
		d = &rule_defaults[i];
		overridden = 0;
		for (j = 0; j < cfg->rules.count; j++) {
			rc = cfg->rules.items[j];
			if (strcmp(rc->item.label, d->name) == 0)
				overridden = 1;
		}
		if (overridden)
			continue;
		n = d->labels != NULL ? str_split(d->labels, " ", &lbl) : 0;
		if (rule_build(&r, d->name, d->metric,
		    (const char *const *)lbl, n, NULL, 0, NULL, 0, d->warning,
		    d->critical, d->direction, d->divide_by, d->for_ms, 0, NULL,
		    err, errlen) == -1)
			fatalx("built-in rule %s: %s", d->name, err);
		if (n > 0)
			str_list_free(lbl, n);
		*rules_add(rs) = r;
	}
	for (j = 0; j < cfg->rules.count; j++) {
		rc = cfg->rules.items[j];
		if (!rc->enabled)
			continue;
		if (rc->metric == NULL) {
			/* Only a built-in may be named without a metric,
			 * and only to switch it off. */
			snprintf(err, errlen, "line %d: [rule \"%s\"]: metric is "
			    "required", rc->item.line, rc->item.label);
			goto fail;
		}
		if (rule_build(&r, rc->item.label, rc->metric,
		    (const char *const *)rc->labels.items, rc->labels.count,
		    (const char *const *)rc->kinds.items, rc->kinds.count,
		    (const char *const *)rc->datacentres.items,
		    rc->datacentres.count, rc->warning, rc->critical,
		    rc->direction, rc->divide_by, rc->for_ms, rc->max_attempts,
		    rc->kind, err, errlen) == -1) {
			rule_free_one(&r);
			goto fail;
		}
		*rules_add(rs) = r;
	}
	*out = rs;
	return 0;

fail:
	rules_free(rs);
	return -1;
}

const struct rule *
rules_get(const struct rules *rs, size_t i)
{
	return i < rs->n ? &rs->v[i] : NULL;
}

size_t
rules_count(const struct rules *rs)
{
	return rs->n;
}

static int
rule_in(char *const *list, size_t n, const char *s)
{
	size_t	 i;

	if (n == 0)
		return 1;
	if (s == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (fnmatch(list[i], s, 0) == 0)
			return 1;
	return 0;
}

int
rule_matches(const struct rule *r, const char *metric, json_t *labels,
    const char *host_kind, const char *datacentre)
{
	const char	*v;
	size_t		 i;

	if (fnmatch(r->metric, metric, 0) != 0 ||
	    !rule_in(r->kinds, r->nkinds, host_kind) ||
	    !rule_in(r->datacentres, r->ndatacentres, datacentre))
		return 0;
	for (i = 0; i < r->nlabels; i++) {
		v = json_string_value(json_object_get(labels, r->label_keys[i]));
		if (v == NULL || fnmatch(r->label_globs[i], v, 0) != 0)
			return 0;
	}
	return 1;
}

int
rule_status(const struct rule *r, double value)
{
	if (r->direction == RULE_ABOVE) {
		if (r->has_critical && value > r->critical)
			return 2;
		if (r->has_warning && value > r->warning)
			return 1;
	} else {
		if (r->has_critical && value < r->critical)
			return 2;
		if (r->has_warning && value < r->warning)
			return 1;
	}
	return 0;
}

char *
rule_check_name(const struct rule *r, json_t *labels)
{
	struct buf	 b;
	const char	*key, *val;
	json_t		*v;
	void		*iter;
	const char	**keys;
	size_t		 n = json_object_size(labels), i = 0, k;

	buf_init(&b, 0);
	buf_append_str(&b, r->name);
	if (n == 0)
		return buf_detach(&b, NULL);
	/* Sorted keys, so the same series always has the same name. */
	keys = xcalloc(n, sizeof *keys);
	for (iter = json_object_iter(labels); iter != NULL;
	    iter = json_object_iter_next(labels, iter))
		keys[i++] = json_object_iter_key(iter);
	for (i = 1; i < n; i++)
		for (k = i; k > 0 && strcmp(keys[k - 1], keys[k]) > 0; k--) {
			key = keys[k];
			keys[k] = keys[k - 1];
			keys[k - 1] = key;
		}
	buf_append_char(&b, '{');
	for (i = 0; i < n; i++) {
		v = json_object_get(labels, keys[i]);
		buf_printf(&b, "%s%s=", i > 0 ? "," : "", keys[i]);
		/* Keys are plain words; a value with a separator in it gets
		 * a backslash before it, or two series would be one check
		 * ("a,b=c" against a and b=c). */
		for (val = json_string_value(v) != NULL ?
		    json_string_value(v) : ""; *val != '\0'; val++) {
			if (strchr(",={}\\", *val) != NULL)
				buf_append_char(&b, '\\');
			buf_append_char(&b, *val);
		}
	}
	buf_append_char(&b, '}');
	free(keys);
	return buf_detach(&b, NULL);
}

char *
rule_output(const struct rule *r, const char *metric, double value,
    double divisor, int status)
{
	char	*s, bound[96] = "";

	if (status == 2)
		snprintf(bound, sizeof bound, "critical %s %g", r->direction ==
		    RULE_ABOVE ? "above" : "below", r->critical);
	else if (status == 1)
		snprintf(bound, sizeof bound, "warning %s %g", r->direction ==
		    RULE_ABOVE ? "above" : "below", r->warning);
	if (r->divide_by != NULL)
		xasprintf(&s, "%s %s: %s / %s = %.4g%s%s", health_status_name(
		    status), r->name, metric, r->divide_by, value / divisor,
		    *bound != '\0' ? "; " : "", bound);
	else
		xasprintf(&s, "%s %s: %s = %.4g%s%s", health_status_name(status),
		    r->name, metric, value, *bound != '\0' ? "; " : "", bound);
	return s;
}
