/* evaluate.c: the health engine. At ingest it runs each reported check and
 * each matching threshold rule through the state machine (health.c) and
 * raises or resolves alerts; every few seconds it judges hosts UP, DOWN,
 * STALE or UNREACHABLE (through their parents), follows maintenance, and
 * reminds of alerts nobody has acknowledged. */
#include "config.h"

#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/db.h"
#include "common/log.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "collector/collector.h"

/* The check a poller reports for "does the device answer at all". */
#define EVALUATE_ALIVE_CHECK	"alive"

struct health_engine {
	const struct collector_config	*cfg;
	struct rules			*rules;
	struct health_flap		 flap;
};

const struct cfg_option health_options[] = {
	{ "max_attempts", CFG_INT, "3", 1, 100, NULL, 0,
	  offsetof(struct health_config, max_attempts),
	  "Problem results in a row before a check's state is hard; only "
	  "hard changes raise, change and resolve alerts. Rules may set "
	  "their own." },
	{ "stale_intervals", CFG_INT, "3", 2, 100, NULL, 0,
	  offsetof(struct health_config, stale_intervals),
	  "A host that has not reported for this many of its own intervals "
	  "is STALE." },
	{ "flap_high", CFG_INT, "50", 0, 100, NULL, 0,
	  offsetof(struct health_config, flap_high_pct),
	  "A check whose weighted state change over its last 21 results "
	  "reaches this percentage is flapping: one notification, then quiet "
	  "until it settles. 0 turns flap detection off." },
	{ "flap_low", CFG_INT, "25", 0, 100, NULL, 0,
	  offsetof(struct health_config, flap_low_pct),
	  "A flapping check has settled when its state change falls below "
	  "this percentage." },
	{ "renotify", CFG_DURATION, "2h", 0, 7LL * 86400000, NULL, 0,
	  offsetof(struct health_config, renotify_ms),
	  "Remind of an open alert nobody has acknowledged this often; 0: "
	  "never." },
	{ "evaluate_interval", CFG_DURATION, "5s", 1000, 600000, NULL, 0,
	  offsetof(struct health_config, evaluate_interval_ms),
	  "How often host states, maintenance and reminders are judged." },
	{ "runbook_url", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct health_config, runbook_url),
	  "Where the runbooks are published; an alert of kind K links to "
	  "this URL followed by \"K.md\". Unset: alerts name "
	  "runbooks/K.md as shipped with ward." },
	CFG_OPTIONS_END
};

const struct cfg_option group_options[] = {
	{ "hosts", CFG_LIST, NULL, 0, 0, NULL, CFG_REQUIRED,
	  offsetof(struct group_config, hosts),
	  "The hosts in the group, by name or fnmatch(3) pattern." },
	CFG_OPTIONS_END
};

const struct cfg_option parent_options[] = {
	{ "children", CFG_LIST, NULL, 0, 0, NULL, CFG_REQUIRED,
	  offsetof(struct parent_config, children),
	  "The hosts reached only through this one (by name or pattern): "
	  "while it is DOWN or UNREACHABLE, a child that stops answering or "
	  "reporting is UNREACHABLE, recorded and not notified." },
	CFG_OPTIONS_END
};

/* ------------------------------------------------------------- config */

/* Does parent p list child (by name or pattern)? */
static int
evaluate_parent_of(const struct parent_config *p, const char *child)
{
	size_t	 i;

	if (strcmp(p->item.label, child) == 0)
		return 0;
	for (i = 0; i < p->children.count; i++)
		if (fnmatch(p->children.items[i], child, 0) == 0)
			return 1;
	return 0;
}

/* A cycle among the named parents: A's children name B, B's name A. */
static int
evaluate_cycle_from(const struct collector_config *cfg, size_t start,
    size_t at, int *seen, size_t depth, struct buf *path)
{
	const struct parent_config	*p = cfg->parents.items[at];
	const struct parent_config	*q;
	size_t				 j;

	if (depth > cfg->parents.count)
		return 0;
	for (j = 0; j < cfg->parents.count; j++) {
		q = cfg->parents.items[j];
		if (!evaluate_parent_of(p, q->item.label))
			continue;
		if (j == start) {
			buf_printf(path, " -> %s", q->item.label);
			return 1;
		}
		if (seen[j])
			continue;
		seen[j] = 1;
		buf_printf(path, " -> %s", q->item.label);
		if (evaluate_cycle_from(cfg, start, j, seen, depth + 1, path))
			return 1;
		path->len -= strlen(q->item.label) + 4;
		path->data[path->len] = '\0';
	}
	return 0;
}

int
health_config_check(const struct collector_config *cfg, char *err,
    size_t errlen)
{
	const struct parent_config	*p;
	struct rules			*rs;
	struct buf			 path;
	int				*seen;
	size_t				 i;

	if (cfg->health.flap_low_pct > cfg->health.flap_high_pct) {
		snprintf(err, errlen, "[health] flap_low (%lld) is above "
		    "flap_high (%lld)", (long long)cfg->health.flap_low_pct,
		    (long long)cfg->health.flap_high_pct);
		return -1;
	}
	if (rules_compile(cfg, &rs, err, errlen) == -1)
		return -1;
	rules_free(rs);
	for (i = 0; i < cfg->parents.count; i++) {
		p = cfg->parents.items[i];
		if (p->children.count == 0) {
			snprintf(err, errlen, "[parent \"%s\"] children: empty "
			    "(the hosts behind it; remove the section if there "
			    "are none)", p->item.label);
			return -1;
		}
	}
	seen = xcalloc(cfg->parents.count + 1, sizeof *seen);
	for (i = 0; i < cfg->parents.count; i++) {
		p = cfg->parents.items[i];
		memset(seen, 0, (cfg->parents.count + 1) * sizeof *seen);
		buf_init(&path, 0);
		buf_append_str(&path, p->item.label);
		if (evaluate_cycle_from(cfg, i, i, seen, 0, &path)) {
			snprintf(err, errlen, "line %d: [parent \"%s\"]: the "
			    "dependencies go round in a circle: %s",
			    p->item.line, p->item.label, buf_cstr(&path));
			buf_free(&path);
			free(seen);
			return -1;
		}
		buf_free(&path);
	}
	free(seen);
	return 0;
}

struct health_engine *
health_engine_new(const struct collector_config *cfg, char *err,
    size_t errlen)
{
	struct health_engine	*h;

	if (health_config_check(cfg, err, errlen) == -1)
		return NULL;
	h = xcalloc(1, sizeof *h);
	h->cfg = cfg;
	if (rules_compile(cfg, &h->rules, err, errlen) == -1) {
		free(h);
		return NULL;
	}
	h->flap.high_pct = (double)cfg->health.flap_high_pct;
	h->flap.low_pct = (double)cfg->health.flap_low_pct;
	return h;
}

void
health_engine_free(struct health_engine *h)
{
	if (h == NULL)
		return;
	rules_free(h->rules);
	free(h);
}

const struct collector_config *
health_engine_config(const struct health_engine *h)
{
	return h->cfg;
}

/* ------------------------------------------------------------- checks */

#define SQL_CHECK_STATE \
	"SELECT state_type, attempt, max_attempts, hard_status," \
	"  last_change_ms, last_hard_change_ms, problem_since_ms, history," \
	"  flapping, percent_change FROM checks" \
	" WHERE host_id = ?1 AND name = ?2"
#define SQL_CHECK_STATE_SAVE \
	"UPDATE checks SET source = ?3, kind = ?4, state_type = ?5," \
	"  attempt = ?6, max_attempts = ?7, hard_status = ?8," \
	"  last_change_ms = ?9, last_hard_change_ms = ?10," \
	"  problem_since_ms = ?11, history = ?12, flapping = ?13," \
	"  percent_change = ?14 WHERE host_id = ?1 AND name = ?2"
#define SQL_RULE_CHECK_UPSERT \
	"INSERT INTO checks (host_id, name, status, output, ts_ms, source," \
	"  kind) VALUES (?1, ?2, ?3, ?4, ?5, 'rule', ?6)" \
	" ON CONFLICT (host_id, name) DO UPDATE SET status = excluded.status," \
	"  output = excluded.output, ts_ms = excluded.ts_ms," \
	"  kind = excluded.kind WHERE excluded.ts_ms >= ts_ms"
#define SQL_CHECKS_OF_HOST \
	"SELECT name FROM checks WHERE host_id = ?1"
#define SQL_CHECK_DELETE \
	"DELETE FROM checks WHERE host_id = ?1 AND name = ?2"
#define SQL_HOST_FOR_ALERT \
	"SELECT name, datacentre, state FROM hosts WHERE id = ?1"

/* What an alert about a host needs to know of it. */
struct evaluate_host {
	int64_t		 id;
	char		*name;
	char		*datacentre;
	char		*state;
};

static void
evaluate_host_clear(struct evaluate_host *eh)
{
	free(eh->name);
	free(eh->datacentre);
	free(eh->state);
	memset(eh, 0, sizeof *eh);
}

static int
evaluate_host_load(struct db *db, int64_t host_id, struct evaluate_host *eh,
    char *err, size_t errlen)
{
	sqlite3_stmt	*st;

	memset(eh, 0, sizeof *eh);
	if ((st = db_stmt(db, SQL_HOST_FOR_ALERT, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, host_id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		db_error(db, "reading a host", err, errlen);
		return -1;
	}
	eh->id = host_id;
	eh->name = xstrdup((const char *)sqlite3_column_text(st, 0));
	if (sqlite3_column_type(st, 1) != SQLITE_NULL)
		eh->datacentre = xstrdup((const char *)sqlite3_column_text(st,
		    1));
	eh->state = xstrdup((const char *)sqlite3_column_text(st, 2));
	sqlite3_reset(st);
	return 0;
}

/* Why an alert about this host should not be notified now, or NULL. */
static char *
evaluate_suppression(struct db *db, const struct collector_config *cfg,
    const struct evaluate_host *eh, int64_t now_ms, char *err,
    size_t errlen)
{
	struct maint_subject	 subject;
	int64_t			 id;
	char			*why;

	subject.host = eh->name;
	subject.datacentre = eh->datacentre;
	if ((id = maint_active(db, cfg, &subject, now_ms, err, errlen)) ==
	    -1)
		return NULL;
	if (id > 0) {
		xasprintf(&why, "maintenance %" PRId64, id);
		return why;
	}
	if (strcmp(eh->state, "UNREACHABLE") == 0)
		return xstrdup("the host is unreachable (a parent is down)");
	/* Its host_down alert speaks for everything on it. */
	if (strcmp(eh->state, "DOWN") == 0)
		return xstrdup("the host does not answer");
	return NULL;
}

static int
evaluate_load_state(struct db *db, int64_t host_id, const char *name,
    int max_attempts, struct check_state *cs, char *err, size_t errlen)
{
	sqlite3_stmt	*st;
	const char	*hist;
	size_t		 n;
	int		 rc;

	health_check_init(cs, max_attempts);
	if ((st = db_stmt(db, SQL_CHECK_STATE, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, host_id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			return 0;
		db_error(db, "reading a check's state", err, errlen);
		return -1;
	}
	cs->hard = strcmp((const char *)sqlite3_column_text(st, 0), "hard") ==
	    0;
	cs->attempt = sqlite3_column_int(st, 1);
	cs->hard_status = sqlite3_column_int(st, 3);
	cs->last_change_ms = sqlite3_column_int64(st, 4);
	cs->last_hard_change_ms = sqlite3_column_int64(st, 5);
	cs->problem_since_ms = sqlite3_column_int64(st, 6);
	hist = (const char *)sqlite3_column_text(st, 7);
	str_copy(cs->history, hist != NULL ? hist : "", sizeof cs->history);
	cs->flapping = sqlite3_column_int(st, 8);
	cs->percent_change = sqlite3_column_double(st, 9);
	sqlite3_reset(st);
	/* The row already holds this report's result; the state machine's
	 * last result is the newest in its history. */
	n = strlen(cs->history);
	cs->status = n > 0 ? cs->history[n - 1] - '0' : 0;
	if (cs->status < 0 || cs->status > 3)
		cs->status = 0;
	return 0;
}

static int
evaluate_save_state(struct db *db, int64_t host_id, const char *name,
    const char *source, const char *kind, const struct check_state *cs,
    char *err, size_t errlen)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_stmt(db, SQL_CHECK_STATE_SAVE, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, host_id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, cs->hard ? "hard" : "soft", -1,
	    SQLITE_STATIC);
	sqlite3_bind_int(st, 6, cs->attempt);
	sqlite3_bind_int(st, 7, cs->max_attempts);
	sqlite3_bind_int(st, 8, cs->hard_status);
	sqlite3_bind_int64(st, 9, cs->last_change_ms);
	sqlite3_bind_int64(st, 10, cs->last_hard_change_ms);
	if (cs->problem_since_ms != 0)
		sqlite3_bind_int64(st, 11, cs->problem_since_ms);
	sqlite3_bind_text(st, 12, cs->history, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 13, cs->flapping);
	sqlite3_bind_double(st, 14, cs->percent_change);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(db, "saving a check's state", err, errlen);
		return -1;
	}
	return 0;
}

/* Raises (or follows) the alert on key about the host eh, suppressed for
 * why, or for what evaluate_suppression finds when why is NULL. */
static int
evaluate_raise(struct db *db, const struct collector_config *cfg,
    const struct evaluate_host *eh, const char *key, const char *kind,
    const char *check_name, const char *severity, const char *summary,
    const char *why, int64_t now_ms, char *err, size_t errlen)
{
	struct alert_spec	 a;
	char			*found = NULL;
	int			 rc;

	if (why == NULL)
		why = found = evaluate_suppression(db, cfg, eh, now_ms, err,
		    errlen);
	memset(&a, 0, sizeof a);
	a.key = key;
	a.kind = kind;
	a.host_id = eh->id;
	a.check_name = check_name;
	a.datacentre = eh->datacentre;
	a.severity = severity;
	a.summary = summary;
	a.suppressed = why;
	rc = alert_raise(db, cfg, &a, now_ms, err, errlen) == -1 ? -1 : 0;
	free(found);
	return rc;
}

/* Brings the check's alert in line with its hard state. */
static int
evaluate_check_alert(struct db *db, const struct collector_config *cfg,
    const struct evaluate_host *eh, const char *name, const char *kind,
    const struct check_state *cs, const char *output, int64_t now_ms,
    char *err, size_t errlen)
{
	char			*key, *summary;
	int			 rc;

	xasprintf(&key, "check:%" PRId64 ":%s", eh->id, name);
	if (cs->hard_status == 0) {
		rc = alert_resolve(db, cfg, key, output, now_ms, err, errlen);
		free(key);
		return rc < 0 ? -1 : 0;
	}
	xasprintf(&summary, "%s %s: %s", eh->name, name, output != NULL ?
	    output : health_status_name(cs->hard_status));
	rc = evaluate_raise(db, cfg, eh, key, kind, name,
	    alert_severity(cs->hard_status), summary, NULL, now_ms, err,
	    errlen);
	free(summary);
	free(key);
	return rc;
}

static int
evaluate_flap_alert(struct db *db, const struct collector_config *cfg,
    const struct evaluate_host *eh, const char *name,
    const struct check_state *cs, int64_t now_ms, char *err, size_t errlen)
{
	char			*key, *summary;
	int			 rc;

	xasprintf(&key, "flap:%" PRId64 ":%s", eh->id, name);
	if (!cs->flapping) {
		rc = alert_resolve(db, cfg, key, "settled", now_ms, err,
		    errlen);
		free(key);
		return rc < 0 ? -1 : 0;
	}
	xasprintf(&summary, "%s %s is flapping: %.0f%% state change over its "
	    "last %d results", eh->name, name, cs->percent_change,
	    HEALTH_HISTORY);
	rc = evaluate_raise(db, cfg, eh, key, "flapping", name, "warning",
	    summary, NULL, now_ms, err, errlen);
	free(summary);
	free(key);
	return rc;
}

/* One result of one check through the state machine, and its alerts. */
static int
evaluate_result(struct db *db, const struct health_engine *h,
    const struct evaluate_host *eh, const char *name, const char *source,
    const char *kind, int status, const char *output, int max_attempts,
    int64_t for_ms, int64_t ts_ms, int64_t now_ms, char *err, size_t errlen)
{
	const struct collector_config	*cfg = h->cfg;
	struct check_state		 cs;
	unsigned			 changes;

	if (evaluate_load_state(db, eh->id, name, max_attempts > 0 ?
	    max_attempts : (int)cfg->health.max_attempts, &cs, err,
	    errlen) == -1)
		return -1;
	cs.max_attempts = max_attempts > 0 ? max_attempts :
	    (int)cfg->health.max_attempts;
	changes = health_check_update(&cs, status, ts_ms, for_ms, &h->flap);
	if (evaluate_save_state(db, eh->id, name, source, kind, &cs, err,
	    errlen) == -1)
		return -1;
	/* "Does it answer" is the host's state, DOWN, and its alert is
	 * host_down (evaluate_hosts), not a second one about the check. */
	if (strcmp(source, "agent") == 0 && strcmp(name,
	    EVALUATE_ALIVE_CHECK) == 0)
		return 0;
	if (changes & (HEALTH_FLAP_START | HEALTH_FLAP_STOP)) {
		if (evaluate_flap_alert(db, cfg, eh, name, &cs, now_ms, err,
		    errlen) == -1)
			return -1;
		/* Settled: the check's own alert catches up at once. */
		if ((changes & HEALTH_FLAP_STOP) && evaluate_check_alert(db,
		    cfg, eh, name, kind, &cs, output, now_ms, err,
		    errlen) == -1)
			return -1;
		return 0;
	}
	/* While it flaps, its one flapping alert speaks for it. */
	if (cs.flapping || !(changes & HEALTH_HARD_CHANGE))
		return 0;
	return evaluate_check_alert(db, cfg, eh, name, kind, &cs, output,
	    now_ms, err, errlen);
}

/* The names this report gave results under, agent checks and rule
 * results alike. */
struct evaluate_seen {
	char	**names;
	size_t	 n;
};

static void
evaluate_seen_add(struct evaluate_seen *seen, const char *name)
{
	seen->names = xreallocarray(seen->names, seen->n + 1,
	    sizeof *seen->names);
	seen->names[seen->n++] = xstrdup(name);
}

static int
evaluate_seen_has(const struct evaluate_seen *seen, const char *name)
{
	size_t	 i;

	for (i = 0; i < seen->n; i++)
		if (strcmp(seen->names[i], name) == 0)
			return 1;
	return 0;
}

/* The value of an unlabelled metric of this report, for divide_by. */
static int
evaluate_metric_value(json_t *metrics, const char *name, double *out)
{
	json_t	*m;
	size_t	 i;

	json_array_foreach(metrics, i, m) {
		if (json_object_size(json_object_get(m, "labels")) == 0 &&
		    strcmp(json_string_value(json_object_get(m, "name")),
		    name) == 0) {
			*out = json_number_value(json_object_get(m, "value"));
			return 0;
		}
	}
	return -1;
}

static int
evaluate_rules(struct db *db, const struct health_engine *h,
    const struct evaluate_host *eh, json_t *report, int64_t ts_ms,
    int64_t now_ms, struct evaluate_seen *seen, char *err, size_t errlen)
{
	json_t			*host = json_object_get(report, "host");
	json_t			*metrics = json_object_get(report, "metrics");
	json_t			*m, *labels;
	const struct rule	*r;
	const char		*metric, *kind;
	sqlite3_stmt		*st;
	char			*name, *output;
	double			 value, divisor;
	size_t			 i, k;
	int			 status, rc;

	kind = json_string_value(json_object_get(host, "kind"));
	if (kind == NULL)
		kind = "server";
	json_array_foreach(metrics, i, m) {
		metric = json_string_value(json_object_get(m, "name"));
		labels = json_object_get(m, "labels");
		value = json_number_value(json_object_get(m, "value"));
		for (k = 0; k < rules_count(h->rules); k++) {
			r = rules_get(h->rules, k);
			if (!rule_matches(r, metric, labels, kind,
			    eh->datacentre))
				continue;
			divisor = 1;
			if (r->divide_by != NULL && (evaluate_metric_value(
			    metrics, r->divide_by, &divisor) == -1 ||
			    divisor == 0))
				continue;
			name = rule_check_name(r, labels);
			/* A check the report has itself under this name takes
			 * the rule's place: the two would overwrite each
			 * other's status at every report. */
			if (evaluate_seen_has(seen, name)) {
				free(name);
				continue;
			}
			status = rule_status(r, value / divisor);
			output = rule_output(r, metric, value, divisor, status);
			evaluate_seen_add(seen, name);
			rc = -1;
			if ((st = db_stmt(db, SQL_RULE_CHECK_UPSERT, err,
			    errlen)) != NULL) {
				sqlite3_bind_int64(st, 1, eh->id);
				sqlite3_bind_text(st, 2, name, -1,
				    SQLITE_STATIC);
				sqlite3_bind_int(st, 3, status);
				sqlite3_bind_text(st, 4, output, -1,
				    SQLITE_STATIC);
				sqlite3_bind_int64(st, 5, ts_ms);
				sqlite3_bind_text(st, 6, r->kind, -1,
				    SQLITE_STATIC);
				rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
				sqlite3_reset(st);
				if (rc == -1)
					db_error(db, "storing a rule's result",
					    err, errlen);
			}
			if (rc == 0)
				rc = evaluate_result(db, h, eh, name, "rule",
				    r->kind, status, output, r->max_attempts,
				    r->for_ms, ts_ms, now_ms, err, errlen);
			free(name);
			free(output);
			if (rc == -1)
				return -1;
		}
	}
	return 0;
}

/* Checks and rule results this report no longer has (a plugin taken out
 * of the config, a filesystem unmounted) go, and their alerts with them. */
static int
evaluate_gone(struct db *db, const struct health_engine *h,
    const struct evaluate_host *eh, const struct evaluate_seen *seen,
    int64_t now_ms, char *err, size_t errlen)
{
	sqlite3_stmt	*st;
	char		*key, **names = NULL;
	const char	*name;
	size_t		 n = 0, i;
	int		 rc, ret = 0;

	if ((st = db_stmt(db, SQL_CHECKS_OF_HOST, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, eh->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(st, 0);
		if (evaluate_seen_has(seen, name))
			continue;
		names = xreallocarray(names, n + 1, sizeof *names);
		names[n++] = xstrdup(name);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(db, "listing checks", err, errlen);
		str_list_free(names, n);
		return -1;
	}
	for (i = 0; i < n && ret == 0; i++) {
		xasprintf(&key, "check:%" PRId64 ":%s", eh->id, names[i]);
		if (alert_resolve(db, h->cfg, key, "no longer reported",
		    now_ms, err, errlen) == -1)
			ret = -1;
		free(key);
		xasprintf(&key, "flap:%" PRId64 ":%s", eh->id, names[i]);
		if (ret == 0 && alert_resolve(db, h->cfg, key, "no longer "
		    "reported", now_ms, err, errlen) == -1)
			ret = -1;
		free(key);
		if (ret == 0 && (st = db_stmt(db, SQL_CHECK_DELETE, err,
		    errlen)) == NULL)
			ret = -1;
		if (ret == 0) {
			sqlite3_bind_int64(st, 1, eh->id);
			sqlite3_bind_text(st, 2, names[i], -1, SQLITE_STATIC);
			rc = sqlite3_step(st);
			sqlite3_reset(st);
			if (rc != SQLITE_DONE) {
				db_error(db, "removing a check", err, errlen);
				ret = -1;
			}
		}
	}
	str_list_free(names, n);
	return ret;
}

int
evaluate_report(struct db *db, const struct health_engine *h,
    int64_t host_id, json_t *report, int64_t ts_ms, int64_t now_ms,
    char *err, size_t errlen)
{
	struct evaluate_host	 eh;
	struct evaluate_seen	 seen;
	json_t			*c;
	const char		*name;
	size_t			 i;
	int			 rc = 0;

	if (evaluate_host_load(db, host_id, &eh, err, errlen) == -1)
		return -1;
	/* A poller that could not reach the device says so in "alive";
	 * whatever else this report finds wrong follows from that. */
	json_array_foreach(json_object_get(report, "checks"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "name")),
		    EVALUATE_ALIVE_CHECK) == 0 && json_integer_value(
		    json_object_get(c, "status")) != 0) {
			free(eh.state);
			eh.state = xstrdup("DOWN");
		}
	memset(&seen, 0, sizeof seen);
	json_array_foreach(json_object_get(report, "checks"), i, c) {
		name = json_string_value(json_object_get(c, "name"));
		evaluate_seen_add(&seen, name);
		if ((rc = evaluate_result(db, h, &eh, name, "agent",
		    alert_kind_for_check(name), (int)json_integer_value(
		    json_object_get(c, "status")), json_string_value(
		    json_object_get(c, "output")), 0, 0, ts_ms, now_ms, err,
		    errlen)) == -1)
			break;
	}
	if (rc == 0)
		rc = evaluate_rules(db, h, &eh, report, ts_ms, now_ms, &seen,
		    err, errlen);
	if (rc == 0)
		rc = evaluate_gone(db, h, &eh, &seen, now_ms, err, errlen);
	str_list_free(seen.names, seen.n);
	evaluate_host_clear(&eh);
	return rc;
}

/* -------------------------------------------------------------- hosts */

#define SQL_HOSTS_ALL \
	"SELECT h.id, h.name, h.datacentre, h.state, h.last_seen_ms," \
	"  h.interval_s, c.hard_status, c.status" \
	" FROM hosts h LEFT JOIN checks c ON c.host_id = h.id" \
	"  AND c.name = '" EVALUATE_ALIVE_CHECK "'"
#define SQL_HOST_STATE_SET \
	"UPDATE hosts SET state = ?2, state_since_ms = ?3 WHERE id = ?1"

enum {
	EV_UP = 0, EV_UNREACHABLE, EV_STALE, EV_DOWN, EV_STATES
};
static const char *const evaluate_state_names[EV_STATES] = {
	"UP", "UNREACHABLE", "STALE", "DOWN",
};

struct ev_host {
	int64_t	 id;
	char	*name;
	char	*datacentre;
	int	 stored;	/* the state in the database */
	int	 base;		/* judged on its own */
	int	 final;		/* after its parents; -1: not yet */
	int	 parent_doubt;	/* a parent's alive check is failing, soft */
	int	 visiting;
	size_t	*parents;
	size_t	 nparents;
};

static int
evaluate_state_from_name(const char *s)
{
	int	 i;

	for (i = 0; i < EV_STATES; i++)
		if (strcmp(s, evaluate_state_names[i]) == 0)
			return i;
	return EV_UP;
}

int
health_host_stale(int64_t last_seen_ms, int64_t interval_s, int64_t now_ms,
    int64_t stale_intervals)
{
	if (interval_s <= 0)
		interval_s = 60;
	return now_ms - last_seen_ms > stale_intervals * interval_s * 1000;
}

/* A host's state given its parents': DOWN or STALE behind a parent that
 * is DOWN or UNREACHABLE is UNREACHABLE. Cycles (from patterns) are cut. */
static int
evaluate_final(struct ev_host *hosts, size_t i)
{
	struct ev_host	*hst = &hosts[i];
	size_t		 k;
	int		 pf;

	if (hst->final >= 0)
		return hst->final;
	if (hst->visiting)
		return hst->base;
	hst->visiting = 1;
	hst->final = hst->base;
	if (hst->base == EV_DOWN || hst->base == EV_STALE) {
		for (k = 0; k < hst->nparents; k++) {
			pf = evaluate_final(hosts, hst->parents[k]);
			if (pf == EV_DOWN || pf == EV_UNREACHABLE) {
				hst->final = EV_UNREACHABLE;
				break;
			}
		}
	}
	hst->visiting = 0;
	return hst->final;
}

static const char *const evaluate_host_kinds[EV_STATES] = {
	NULL, "host_unreachable", "host_stale", "host_down",
};

/* The host's alerts follow its new state: the alert of the new kind
 * opens, those of the others resolve. */
static int
evaluate_host_alerts(struct db *db, const struct health_engine *h,
    struct ev_host *hosts, size_t i, int64_t now_ms, char *err,
    size_t errlen)
{
	const struct collector_config	*cfg = h->cfg;
	struct ev_host			*hst = &hosts[i];
	struct evaluate_host		 eh;
	char				*key, *summary = NULL, *why = NULL;
	const char			*parent = NULL;
	size_t				 k;
	int				 s, rc = 0;

	for (s = EV_UNREACHABLE; s < EV_STATES && rc == 0; s++) {
		if (s == hst->final)
			continue;
		xasprintf(&key, "%s:%" PRId64, evaluate_host_kinds[s], hst->id);
		if (alert_resolve(db, cfg, key, hst->final == EV_UP ? "the "
		    "host is UP" : evaluate_state_names[hst->final], now_ms,
		    err, errlen) == -1)
			rc = -1;
		free(key);
	}
	if (rc == -1 || hst->final == EV_UP)
		return rc;

	memset(&eh, 0, sizeof eh);
	eh.id = hst->id;
	eh.name = hst->name;
	eh.datacentre = hst->datacentre;
	eh.state = (char *)evaluate_state_names[hst->final];
	for (k = 0; k < hst->nparents && parent == NULL; k++)
		if (hosts[hst->parents[k]].final == EV_DOWN ||
		    hosts[hst->parents[k]].final == EV_UNREACHABLE)
			parent = hosts[hst->parents[k]].name;
	switch (hst->final) {
	case EV_DOWN:
		xasprintf(&summary, "%s is DOWN: it does not answer", hst->name);
		break;
	case EV_STALE:
		xasprintf(&summary, "%s is STALE: no report for %lld of its "
		    "intervals", hst->name,
		    (long long)cfg->health.stale_intervals);
		break;
	default:
		xasprintf(&summary, "%s is UNREACHABLE: its parent %s is down",
		    hst->name, parent != NULL ? parent : "(gone)");
		xasprintf(&why, "parent %s is down", parent != NULL ? parent :
		    "(gone)");
		break;
	}
	/* Its own problem, so only maintenance keeps it quiet. */
	eh.state = (char *)"UP";
	xasprintf(&key, "%s:%" PRId64, evaluate_host_kinds[hst->final],
	    hst->id);
	rc = evaluate_raise(db, cfg, &eh, key, evaluate_host_kinds[hst->final],
	    NULL, hst->final == EV_UNREACHABLE ? "warning" : "critical",
	    summary, why, now_ms, err, errlen);
	free(key);
	free(summary);
	free(why);
	return rc;
}

static void
evaluate_hosts_free(struct ev_host *hosts, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(hosts[i].name);
		free(hosts[i].datacentre);
		free(hosts[i].parents);
	}
	free(hosts);
}

/* Which loaded hosts are parents of which, from the [parent] sections. */
static void
evaluate_link_parents(const struct collector_config *cfg,
    struct ev_host *hosts, size_t n)
{
	const struct parent_config	*p;
	size_t				 i, j, k;

	for (k = 0; k < cfg->parents.count; k++) {
		p = cfg->parents.items[k];
		for (j = 0; j < n; j++)
			if (strcmp(hosts[j].name, p->item.label) == 0)
				break;
		if (j == n)
			continue;	/* not known to the collector yet */
		for (i = 0; i < n; i++) {
			if (i == j || !evaluate_parent_of(p, hosts[i].name))
				continue;
			hosts[i].parents = xreallocarray(hosts[i].parents,
			    hosts[i].nparents + 1, sizeof *hosts[i].parents);
			hosts[i].parents[hosts[i].nparents++] = j;
		}
	}
}

int
evaluate_hosts(struct db *db, const struct health_engine *h, int64_t now_ms,
    struct evaluate_result *res, char *err, size_t errlen)
{
	const struct collector_config	*cfg = h->cfg;
	struct ev_host			*hosts = NULL, *hst;
	sqlite3_stmt			*st;
	size_t				 n = 0, i, k;
	int				 rc, alive_hard, alive_now;

	memset(res, 0, sizeof *res);
	if ((st = db_stmt(db, SQL_HOSTS_ALL, err, errlen)) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		hosts = xreallocarray(hosts, n + 1, sizeof *hosts);
		hst = &hosts[n++];
		memset(hst, 0, sizeof *hst);
		hst->id = sqlite3_column_int64(st, 0);
		hst->name = xstrdup((const char *)sqlite3_column_text(st, 1));
		if (sqlite3_column_type(st, 2) != SQLITE_NULL)
			hst->datacentre = xstrdup((const char *)
			    sqlite3_column_text(st, 2));
		hst->stored = evaluate_state_from_name((const char *)
		    sqlite3_column_text(st, 3));
		alive_hard = sqlite3_column_type(st, 6) != SQLITE_NULL &&
		    sqlite3_column_int(st, 6) == 2;
		alive_now = sqlite3_column_type(st, 7) != SQLITE_NULL &&
		    sqlite3_column_int(st, 7) != 0;
		if (alive_hard)
			hst->base = EV_DOWN;
		else if (health_host_stale(sqlite3_column_int64(st, 4),
		    sqlite3_column_int64(st, 5), now_ms,
		    cfg->health.stale_intervals))
			hst->base = EV_STALE;
		else
			hst->base = EV_UP;
		hst->parent_doubt = alive_now && !alive_hard;
		hst->final = -1;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(db, "reading hosts", err, errlen);
		evaluate_hosts_free(hosts, n);
		return -1;
	}
	evaluate_link_parents(cfg, hosts, n);
	for (i = 0; i < n; i++)
		evaluate_final(hosts, i);

	for (i = 0; i < n; i++) {
		hst = &hosts[i];
		/* A parent failing but not yet hard may be about to go DOWN:
		 * a child that went quiet waits, so one dead switch gives one
		 * alert and not one per host behind it. */
		if (hst->final == EV_STALE || hst->final == EV_DOWN)
			for (k = 0; k < hst->nparents; k++)
				if (hosts[hst->parents[k]].parent_doubt) {
					hst->final = hst->stored;
					res->held++;
					break;
				}
		if (hst->final == hst->stored)
			continue;
		if ((st = db_stmt(db, SQL_HOST_STATE_SET, err, errlen)) ==
		    NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, hst->id);
		sqlite3_bind_text(st, 2, evaluate_state_names[hst->final], -1,
		    SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now_ms);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			db_error(db, "setting a host's state", err, errlen);
			goto fail;
		}
		log_info("host %s: %s -> %s", hst->name,
		    evaluate_state_names[hst->stored],
		    evaluate_state_names[hst->final]);
		res->changed++;
		if (evaluate_host_alerts(db, h, hosts, i, now_ms, err,
		    errlen) == -1)
			goto fail;
	}
	evaluate_hosts_free(hosts, n);
	return 0;

fail:
	evaluate_hosts_free(hosts, n);
	return -1;
}

/* ------------------------------------------- maintenance and reminders */

#define SQL_LIVE_ALERTS \
	"SELECT a.id, a.suppressed, h.name, h.datacentre, h.state," \
	"  a.status, max(coalesce(a.last_notified_ms, a.opened_ms)," \
	"    coalesce((SELECT max(at_ms) FROM alert_events e" \
	"    WHERE e.alert_id = a.id AND e.event = 'reminder'), 0))," \
	"  EXISTS (SELECT 1 FROM notifications n WHERE n.alert_id = a.id" \
	"    AND n.sent_ms IS NULL AND n.failed_ms IS NULL)," \
	"  a.kind LIKE 'eol\\_%' ESCAPE '\\'" \
	" FROM alerts a JOIN hosts h ON h.id = a.host_id" \
	" WHERE a.status != 'resolved'"

struct ev_alert {
	int64_t	 id;
	char	*suppressed;
	char	*host;
	char	*datacentre;
	char	*state;
	int	 open;
	int64_t	 last_ms;
	int	 pending;
	int	 planning;	/* end of life: news for a plan, not a pager */
};

int
evaluate_alerts(struct db *db, const struct health_engine *h, int64_t now_ms,
    struct evaluate_result *res, char *err, size_t errlen)
{
	const struct collector_config	*cfg = h->cfg;
	struct ev_alert			*v = NULL, *a;
	struct evaluate_host		 eh;
	sqlite3_stmt			*st;
	char				*why;
	size_t				 n = 0, i;
	int				 rc, ret = 0, in_maint, was_maint;

	memset(res, 0, sizeof *res);
	if ((st = db_stmt(db, SQL_LIVE_ALERTS, err, errlen)) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, n + 1, sizeof *v);
		a = &v[n++];
		memset(a, 0, sizeof *a);
		a->id = sqlite3_column_int64(st, 0);
		if (sqlite3_column_type(st, 1) != SQLITE_NULL)
			a->suppressed = xstrdup((const char *)
			    sqlite3_column_text(st, 1));
		a->host = xstrdup((const char *)sqlite3_column_text(st, 2));
		if (sqlite3_column_type(st, 3) != SQLITE_NULL)
			a->datacentre = xstrdup((const char *)
			    sqlite3_column_text(st, 3));
		a->state = xstrdup((const char *)sqlite3_column_text(st, 4));
		a->open = strcmp((const char *)sqlite3_column_text(st, 5),
		    "open") == 0;
		a->last_ms = sqlite3_column_int64(st, 6);
		a->pending = sqlite3_column_int(st, 7);
		a->planning = sqlite3_column_int(st, 8);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(db, "reading live alerts", err, errlen);
		ret = -1;
	}
	for (i = 0; i < n && ret == 0; i++) {
		a = &v[i];
		eh.id = 0;
		eh.name = a->host;
		eh.datacentre = a->datacentre;
		eh.state = (char *)"UP";
		why = evaluate_suppression(db, cfg, &eh, now_ms, err, errlen);
		in_maint = why != NULL;
		was_maint = a->suppressed != NULL && str_has_prefix(
		    a->suppressed, "maintenance");
		/* Entering or leaving maintenance; other suppressions (a
		 * parent down) are the host engine's to lift. */
		if (in_maint && a->suppressed == NULL) {
			if (alert_set_suppressed(db, cfg, a->id, why, now_ms,
			    err, errlen) == -1)
				ret = -1;
			res->suppressed++;
		} else if (!in_maint && was_maint) {
			if (alert_set_suppressed(db, cfg, a->id, NULL, now_ms,
			    err, errlen) == -1)
				ret = -1;
			res->unsuppressed++;
		} else if (a->open && a->suppressed == NULL &&
		    !a->planning && cfg->health.renotify_ms > 0 &&
		    !a->pending &&
		    now_ms - a->last_ms >= cfg->health.renotify_ms) {
			if (alert_event(db, a->id, now_ms, "reminder", NULL,
			    NULL, err, errlen) == -1 || notify_enqueue(db, cfg,
			    a->id, "reminder", now_ms, err, errlen) == -1)
				ret = -1;
			res->reminders++;
		}
		free(why);
	}
	for (i = 0; i < n; i++) {
		free(v[i].suppressed);
		free(v[i].host);
		free(v[i].datacentre);
		free(v[i].state);
	}
	free(v);
	return ret;
}
