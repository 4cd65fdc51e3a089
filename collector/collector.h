/* collector.h: ward-collector's internal interfaces, grouped by module. */
#ifndef WARD_COLLECTOR_H
#define WARD_COLLECTOR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <pthread.h>
#include <jansson.h>

#include "common/cli.h"
#include "common/db.h"

/* [http] */
struct httpd_config {
	char	*listen;		/* "127.0.0.1:8443", "[::1]:8443", ":8443" */
	char	*tls_cert;		/* PEM; required unless tls = no */
	char	*tls_key;		/* secret file (0600) */
	int	 tls;			/* no: plain HTTP, loopback only */
	int64_t	 max_body_bytes;
	int64_t	 request_timeout_ms;
	int64_t	 max_connections;
};

/* [store] */
struct store_config {
	char	*database;		/* ward.db */
	int64_t	 raw_retention_ms;
	int64_t	 rollup_retention_ms;
	int64_t	 housekeeping_interval_ms;
	int64_t	 housekeeping_batch;	/* rows per transaction */
};

/* [health] */
struct health_config {
	int64_t	 max_attempts;		/* results before a state is hard */
	int64_t	 stale_intervals;	/* missed reports before STALE */
	int64_t	 flap_high_pct;		/* flapping starts above this */
	int64_t	 flap_low_pct;		/* and stops below this */
	int64_t	 renotify_ms;		/* 0: never remind */
	int64_t	 evaluate_interval_ms;	/* staleness, dependencies */
	char	*runbook_url;		/* base URL of runbooks/<kind>.md */
};

/* [rule "NAME"]: a threshold on a metric; see rules.c. */
struct rule_config {
	struct cfg_item	 item;		/* label: the rule's name */
	char		*metric;
	struct cfg_list	 labels;	/* "key=glob" selectors */
	struct cfg_list	 kinds;		/* host kinds; empty: all */
	struct cfg_list	 datacentres;	/* empty: all */
	char		*warning;	/* numbers as written; NULL: none */
	char		*critical;
	int		 direction;	/* enum rule_direction */
	char		*divide_by;	/* another metric of the host */
	int64_t		 for_ms;	/* must hold this long */
	int64_t		 max_attempts;	/* 0: [health] max_attempts */
	char		*kind;		/* alert kind and runbook */
	int		 enabled;
};

/* [group "NAME"]: hosts that maintenance and routing can name at once. */
struct group_config {
	struct cfg_item	 item;
	struct cfg_list	 hosts;		/* names or fnmatch(3) patterns */
};

/* [parent "NAME"]: the hosts that can only be reached through NAME. */
struct parent_config {
	struct cfg_item	 item;
	struct cfg_list	 children;	/* names or fnmatch(3) patterns */
};

/* [eol]: the end-of-life catalogue and lifecycle; see eol.c. */
struct eol_config {
	char	*base_url;		/* endoflife.date API v1 */
	char	*ca_file;		/* NULL: the system's */
	char	*mapping;		/* NULL: the shipped eol-mapping */
	char	*snapshot;		/* NULL: the shipped eol-snapshot.json */
	int64_t	 horizon_ms;		/* "ending" this close to end of life */
	int64_t	 refresh_interval_ms;	/* 0: only on demand */
	int64_t	 evaluate_interval_ms;	/* alerts */
	int64_t	 timeout_ms;		/* one request */
	int	 alerts;		/* raise eol_horizon, eol_passed */
	char	*currency;		/* of every cost: "GBP" */
	struct cfg_list software_cost;	/* "PRODUCT=AMOUNT" */
};

/* [notify "NAME"]: where notifications go; see notify.c. */
struct notify_config {
	struct cfg_item	 item;
	int		 type;		/* enum notify_type */
	char		*url;		/* webhook, or smtp(s)://host:port */
	char		*secret;	/* webhook bearer / SMTP password */
	char		*ca_file;
	char		*template;	/* webhook body; NULL: built in */
	char		*mail_from;
	struct cfg_list	 mail_to;
	char		*smtp_user;
	struct cfg_list	 datacentres;	/* route: empty = all */
	struct cfg_list	 kinds;
	int		 min_severity;	/* 0 warning, 1 critical */
	int64_t		 group_wait_ms;	/* gather a burst into one message */
	int64_t		 retry_max_ms;
	int64_t		 give_up_ms;	/* a notification older is failed */
};

/* [identity] */
struct identity_config {
	char	*db;			/* ward-idsync's idsync.db; NULL: none */
	int64_t	 stale_after_ms;	/* identity_stale; 0: off */
};

struct collector_config {
	struct cli_log_config	 log;
	struct cli_daemon_config daemon;
	struct httpd_config	 http;
	struct store_config	 store;
	struct health_config	 health;
	struct cfg_items	 rules;		/* struct rule_config */
	struct cfg_items	 groups;	/* struct group_config */
	struct cfg_items	 parents;	/* struct parent_config */
	struct cfg_items	 notifies;	/* struct notify_config */
	struct eol_config	 eol;
	struct identity_config	 identity;
};

/* The running collector: owned by main, handed to every route. */
struct collector {
	const struct collector_config	*cfg;
	struct store			*store;
	/* Held shared by each request, exclusively by a reload (SIGHUP)
	 * while it swaps cfg and the store's health engine. */
	pthread_rwlock_t		 lock;
	/* From httpd_listen, bound before dropping privileges; 0: httpd_start
	 * binds itself. httpd_start takes it over. */
	int				 listen_fd;
	/* The end-of-life mapping rules (NULL: none loaded). */
	const struct eol_rules		*eol_rules;
};

/* store.c: ward.db, its schema and migrations. One connection per thread. */
struct store;
struct health_engine;
struct store	*store_open(const char *path, int readonly, char *err,
		    size_t errlen);
void		 store_close(struct store *st);
struct db	*store_db(struct store *st);
/* The health engine ingest runs reports through (NULL: none); kept by
 * pointer. */
void		 store_set_health(struct store *st,
		    const struct health_engine *h);
const struct health_engine *store_health(struct store *st);

/* housekeep.c: retention, in bounded transactions. */
struct housekeep_result {
	int64_t	 samples;	/* raw samples deleted */
	int64_t	 rollups;	/* hourly roll-ups deleted */
	int64_t	 reports;	/* report records deleted */
	int64_t	 series;	/* series with nothing left deleted */
	int64_t	 transactions;
};
/*
 * Deletes what the retention settings in sc say is too old at now_ms, at
 * most batch_rows rows per transaction. stop (may be NULL) is asked
 * between transactions; a stopped run returns 0 with what it did. -1 with
 * err when the database fails (what was committed stays done).
 */
int		 housekeep_run(struct store *st, const struct store_config *sc,
		    int64_t now_ms, int64_t batch_rows, int (*stop)(void),
		    struct housekeep_result *res, char *err, size_t errlen);

/* health.c: one check's state machine (soft/hard, flapping). */
#define HEALTH_HISTORY		21	/* results kept for flapping */
#define HEALTH_CHANGED		0x01	/* the status differs from the last */
#define HEALTH_HARD_CHANGE	0x02	/* the hard state changed: alert */
#define HEALTH_FLAP_START	0x04
#define HEALTH_FLAP_STOP	0x08

struct check_state {
	int	 status;		/* latest result, 0..3 */
	int	 hard;			/* the latest result's state type */
	int	 attempt;		/* consecutive problem results */
	int	 max_attempts;
	int	 hard_status;		/* the state alerts follow */
	int64_t	 last_change_ms;
	int64_t	 last_hard_change_ms;
	int64_t	 problem_since_ms;	/* 0: OK */
	char	 history[HEALTH_HISTORY + 1];	/* "0012...", oldest first */
	int	 flapping;
	double	 percent_change;
};
struct health_flap {
	double	 high_pct;		/* 0: flapping not detected */
	double	 low_pct;
};
const char	*health_status_name(int status);	/* "OK", ... */
void		 health_check_init(struct check_state *cs, int max_attempts);
/*
 * Feeds one result (0..3; anything else is UNKNOWN) at ts_ms. A problem
 * becomes hard after max_attempts results in a row or, with for_ms > 0,
 * after lasting that long; a recovery is hard at once. Returns
 * HEALTH_* bits saying what changed.
 */
unsigned	 health_check_update(struct check_state *cs, int status,
		    int64_t ts_ms, int64_t for_ms,
		    const struct health_flap *flap);
/* Weighted percent state change of a history string, 0..100. */
double		 health_percent_change(const char *history);

/* rules.c: threshold rules (built-in defaults and [rule] sections). */
enum rule_direction { RULE_ABOVE = 0, RULE_BELOW };
extern const char *const rule_directions[];
extern const struct cfg_option rule_options[];
struct rule {
	char	*name;
	char	*metric;		/* fnmatch pattern */
	char	**label_keys;
	char	**label_globs;
	size_t	 nlabels;
	char	**kinds;
	size_t	 nkinds;
	char	**datacentres;
	size_t	 ndatacentres;
	int	 has_warning, has_critical;
	double	 warning, critical;
	int	 direction;
	char	*divide_by;
	int64_t	 for_ms;
	int	 max_attempts;		/* 0: [health] max_attempts */
	char	*kind;
};
struct rules {
	struct rule	*v;
	size_t		 n;
};
/* The built-in rules not overridden by name, then the enabled [rule]
 * sections, checked: unknown metrics, bad numbers, warning beyond
 * critical. -1 with err. */
int		 rules_compile(const struct collector_config *cfg,
		    struct rules **out, char *err, size_t errlen);
void		 rules_free(struct rules *rs);
size_t		 rules_count(const struct rules *rs);
const struct rule *rules_get(const struct rules *rs, size_t i);
int		 rule_matches(const struct rule *r, const char *metric,
		    json_t *labels, const char *host_kind,
		    const char *datacentre);
/* 0, 1 or 2 for value against the rule's bounds. */
int		 rule_status(const struct rule *r, double value);
/* "disk_usage{mount=/var}" (labels sorted); the caller frees. */
char		*rule_check_name(const struct rule *r, json_t *labels);
/* The check output: "WARNING disk_usage: fs.used_pct = 91.2; warning
 * above 85"; the caller frees. */
char		*rule_output(const struct rule *r, const char *metric,
		    double value, double divisor, int status);

/* alerts.c: the alert lifecycle; every call inside the caller's
 * transaction. */
struct alert_spec {
	const char	*key;		/* the subject: one live alert per key */
	const char	*kind;		/* names runbooks/<kind>.md */
	int64_t		 host_id;	/* 0: none */
	const char	*check_name;	/* NULL: about the host */
	const char	*datacentre;
	const char	*severity;	/* "warning" or "critical" */
	const char	*summary;
	const char	*suppressed;	/* why it is not notified, or NULL */
};
#define ALERT_NOT_FOUND		(-2)
#define ALERT_ALREADY_ACKED	(-3)
#define ALERT_RESOLVED		(-4)
/* The alert kind of an agent check: its own name when ward ships a runbook
 * for it, else "check". */
const char	*alert_kind_for_check(const char *check_name);
const char *const *alert_kinds_builtin(void);
const char	*alert_severity(int status);	/* 2: critical, else warning */
/* Opens the alert for a->key or, when one is live, follows its severity.
 * Returns its id or -1. */
int64_t		 alert_raise(struct db *db, const struct collector_config *cfg,
		    const struct alert_spec *a, int64_t now_ms, char *err,
		    size_t errlen);
/* The live alert for key says something else now: its summary replaced
 * and a "restated" event recorded, not notified (its severity is what
 * whoever was told of it heard). 1 restated, 0 none live or the same,
 * -1 error. */
int		 alert_restate(struct db *db, const char *key,
		    const char *summary, int64_t now_ms, char *err,
		    size_t errlen);
/* Resolves the live alert for key: 1 resolved, 0 none live, -1 error. */
int		 alert_resolve(struct db *db,
		    const struct collector_config *cfg, const char *key,
		    const char *why, int64_t now_ms, char *err, size_t errlen);
/* 0, ALERT_NOT_FOUND, ALERT_ALREADY_ACKED, ALERT_RESOLVED (err says
 * which) or -1. */
int		 alert_ack(struct db *db, const struct collector_config *cfg,
		    int64_t id, const char *who, const char *comment,
		    int64_t now_ms, char *err, size_t errlen);
/* Marks an alert suppressed (why) or, with NULL, no longer: then it is
 * notified as opened, the problem being news to whoever was not told. */
int		 alert_set_suppressed(struct db *db,
		    const struct collector_config *cfg, int64_t id,
		    const char *why, int64_t now_ms, char *err, size_t errlen);
int		 alert_event(struct db *db, int64_t alert_id, int64_t now_ms,
		    const char *event, const char *actor, const char *detail,
		    char *err, size_t errlen);
/* The columns alert_json reads, from "alerts a LEFT JOIN hosts h". */
#define ALERT_COLUMNS \
	"a.id, a.kind, a.severity, a.status, a.summary, h.name, h.agent_id," \
	" a.check_name, a.datacentre, a.opened_ms, a.updated_ms," \
	" a.resolved_ms, a.acked_ms, a.acked_by, a.ack_comment, a.suppressed," \
	" a.notifications, a.last_notified_ms"
/* One alert as the API shows it, with its runbook. */
json_t		*alert_json(const struct collector_config *cfg,
		    sqlite3_stmt *st);

/* evaluate.c: the health engine over ward.db. */
extern const struct cfg_option health_options[];
extern const struct cfg_option group_options[];
extern const struct cfg_option parent_options[];
struct health_engine;
/* [health], the rules and the [parent] graph checked: for -n. */
int		 health_config_check(const struct collector_config *cfg,
		    char *err, size_t errlen);
/* Keeps cfg by pointer. NULL with err on a bad configuration. */
struct health_engine *health_engine_new(const struct collector_config *cfg,
		    char *err, size_t errlen);
void		 health_engine_free(struct health_engine *h);
const struct collector_config *health_engine_config(
		    const struct health_engine *h);
/* Missed stale_intervals of its interval_s (<= 0: 60 s). */
int		 health_host_stale(int64_t last_seen_ms, int64_t interval_s,
		    int64_t now_ms, int64_t stale_intervals);
/* At ingest, in the report's transaction, for a report newer than the
 * host's last: its checks and matching rules through the state machine,
 * alerts raised and resolved, checks it no longer has removed. */
int		 evaluate_report(struct db *db, const struct health_engine *h,
		    int64_t host_id, json_t *report, int64_t ts_ms,
		    int64_t now_ms, char *err, size_t errlen);
struct evaluate_result {
	int	 changed;	/* hosts whose state changed */
	int	 held;		/* quiet hosts waiting on a failing parent */
	int	 suppressed;	/* alerts that entered maintenance */
	int	 unsuppressed;
	int	 reminders;
};
/* Host states (UP, DOWN, STALE, UNREACHABLE) and their alerts. */
int		 evaluate_hosts(struct db *db, const struct health_engine *h,
		    int64_t now_ms, struct evaluate_result *res, char *err,
		    size_t errlen);
/* Maintenance starting and ending under live alerts, and reminders. */
int		 evaluate_alerts(struct db *db, const struct health_engine *h,
		    int64_t now_ms, struct evaluate_result *res, char *err,
		    size_t errlen);

/* maint.c: maintenance windows. Alerts raised inside one are recorded as
 * suppressed and not notified; data keeps being collected. */
struct maint_subject {
	const char	*host;		/* the host's name */
	const char	*datacentre;	/* may be NULL */
};
/*
 * The id of a window covering subject at now_ms (a window on the host, on
 * a [group] the host is in, or on its datacentre; recurring windows in
 * their own time zone, DST included), 0 when none, -1 on a database error.
 */
int64_t		 maint_active(struct db *db, const struct collector_config *cfg,
		    const struct maint_subject *subject, int64_t now_ms,
		    char *err, size_t errlen);
/* A window to create, as the API and the command line give it: times are
 * ISO-8601, "now", or for ends "+DURATION" after starts; recur is
 * "daily HH:MM DUR", "weekly DAYS HH:MM DUR" or "monthly N HH:MM DUR". */
struct maint_window {
	const char	*scope;		/* host, group, datacentre */
	const char	*target;
	const char	*starts, *ends;	/* one-off */
	const char	*recur, *tz;	/* or recurring */
	const char	*reason;
	const char	*author;
};
/* Checks w and stores it; returns its id, or -1 with *status 400 (err
 * names the field) or 503 (database). */
int64_t		 maint_add(struct db *db, const struct collector_config *cfg,
		    const struct maint_window *w, int64_t now_ms, int *status,
		    char *err, size_t errlen);
/* Marks window id deleted by who (kept as history): 0, 404 when there is
 * no such window, 409 when it was already deleted, -1 on a database
 * error. */
int		 maint_delete(struct db *db, int64_t id, const char *who,
		    int64_t now_ms, char *err, size_t errlen);
/* {"active": [...], "upcoming": [...], "ended": [...]}: live windows and
 * those ended or deleted within recent_ms, each with its next occurrence
 * when recurring. NULL on a database error. */
json_t		*maint_list(struct db *db, int64_t now_ms, int64_t recent_ms,
		    char *err, size_t errlen);
/* One window as maint_list shows it; NULL with err (empty when there is
 * no such window). */
json_t		*maint_get(struct db *db, int64_t id, int64_t now_ms, char *err,
		    size_t errlen);
/* Recurrence and time zone checks, and the occurrence of recur in tz that
 * covers now_ms or comes next: 0, or -1 with err. */
int		 maint_recur_check(const char *recur, char *canonical,
		    size_t canonlen, char *err, size_t errlen);
int		 maint_zone_check(const char *tz, char *err, size_t errlen);
int		 maint_recur_next(const char *recur, const char *tz,
		    int64_t now_ms, int64_t *start_ms, int64_t *end_ms,
		    char *err, size_t errlen);
/* Local wall-clock time (seconds as if UTC) to an instant in tz: the
 * earliest instant showing it (or latest, with !earliest); a time the
 * clocks skip gives the instant they jump. For tests. */
int		 maint_local_to_utc(const char *tz, int64_t local_s,
		    int earliest, int64_t *out_s, char *err, size_t errlen);

/* notify.c: notifications, through the outbox table. */
enum notify_type { NOTIFY_WEBHOOK = 0, NOTIFY_EMAIL };
/*
 * Queues notifications of event ("opened", "resolved", "acknowledged",
 * "reminder", "flapping") on alert_id for every [notify] route the alert
 * matches (datacentre, kind, severity). Called inside the transaction that
 * changed the alert, so a notification exists exactly when the change
 * does. Returns how many were queued, -1 on a database error.
 */
int		 notify_enqueue(struct db *db, const struct collector_config *cfg,
		    int64_t alert_id, const char *event, int64_t now_ms,
		    char *err, size_t errlen);
/* The same, only to the routes that matching it have not been told of
 * it (a sent or waiting notification other than resolved or
 * acknowledged). */
int		 notify_enqueue_untold(struct db *db,
		    const struct collector_config *cfg, int64_t alert_id,
		    const char *event, int64_t now_ms, char *err,
		    size_t errlen);
/* The sender: a thread with its own connection to path, sending what the
 * outbox holds, grouping bursts and retrying with backoff. */
struct notifier;
struct notifier	*notify_start(const struct collector_config *cfg,
		    const char *path, char *err, size_t errlen);
void		 notify_stop(struct notifier *n);
/* The [notify "NAME"] options, and their cross-field checks (URL schemes,
 * addresses, the template) for the config's validate hook. */
extern const struct cfg_option notify_options[];
int		 notify_config_check(const struct collector_config *cfg,
		    char *err, size_t errlen);
/* One route's sender, as each notifier thread runs it. */
struct notify_route;
struct notify_route *notify_route_new(const struct collector_config *cfg,
		    const struct notify_config *nc, char *err, size_t errlen);
void		 notify_route_free(struct notify_route *r);
/*
 * One pass over the route's outbox at now_ms: marks failed what is older
 * than give_up, then sends the oldest waiting group (what was queued
 * within group_wait of its first) as one message once group_wait has
 * passed and its retry time has come. Returns 1 when it sent or failed a
 * message, 0 when nothing was due, -1 on a database error.
 */
int		 notify_route_run(struct notify_route *r, struct db *db,
		    int64_t now_ms, char *err, size_t errlen);

/* token.c: API tokens. Only a SHA-256 hash of each token is stored. */
enum token_role {
	ROLE_AGENT = 0x01,	/* may send reports, nothing else */
	ROLE_READ = 0x02,	/* helpdesk: every GET */
	ROLE_OPERATE = 0x04,	/* read + acknowledge, maintenance */
	ROLE_ADMIN = 0x08,	/* everything */
};
/* The roles a route accepts; operate and admin include read. */
#define ROLES_READ	(ROLE_READ | ROLE_OPERATE | ROLE_ADMIN)
#define ROLES_OPERATE	(ROLE_OPERATE | ROLE_ADMIN)
#define ROLES_REPORT	(ROLE_AGENT | ROLE_ADMIN)

int		 token_role_from_name(const char *name);	/* -1 unknown */
const char	*token_role_name(enum token_role role);
/* Creates a token; *token_out (caller frees with xfree_secret) is shown
 * once and never stored. Names are unique among unrevoked tokens. */
int		 token_add(struct store *st, const char *name,
		    enum token_role role, char **token_out, char *err,
		    size_t errlen);
int		 token_revoke(struct store *st, const char *name, char *err,
		    size_t errlen);
/* Writes "name role created last_used" lines, never a token or hash. */
int		 token_list(struct store *st, FILE *fp, char *err,
		    size_t errlen);
/* Returns 0 and the role/name of a live token, -1 if unknown or revoked. */
int		 token_check(struct store *st, const char *token,
		    enum token_role *role, char *name, size_t namelen);

/* httpd.c and routes.c: the HTTP(S) server and its route table. */
struct request {
	struct collector	*c;
	const char		*method;
	const char		*path;		/* without the query string */
	const char		*body;		/* NUL-terminated, may be NULL */
	size_t			 body_len;
	enum token_role		 role;		/* of the caller's token */
	const char		*token_name;
	/* Query parameter by name, or NULL. */
	const char		*(*query)(const struct request *, const char *);
	void			*conn;		/* httpd's */
	const char		*params[4];	/* {name} captures in the path */
	size_t			 nparams;
};

struct reply {
	int	 status;
	json_t	*json;		/* reply body, owned by the reply */
	char	*text;		/* or a text body (e.g. /metrics) */
	const char *content_type;
};

struct route_entry {
	const char	*method;	/* "GET", "POST" */
	const char	*pattern;	/* "/api/v1/hosts/{name}" */
	unsigned	 roles;		/* 0: no token needed */
	void		(*handler)(struct request *, struct reply *);
	const char	*summary;
};

extern const struct route_entry *const route_table[];
extern const struct route_entry route_healthz;
extern const struct route_entry route_reports_post;
extern const struct route_entry route_datacentres;
extern const struct route_entry route_hosts;
extern const struct route_entry route_host;
extern const struct route_entry route_host_metric;
extern const struct route_entry route_host_software;
extern const struct route_entry route_identity_summary;
extern const struct route_entry route_persons;
extern const struct route_entry route_person;
extern const struct route_entry route_identity_conflicts;

/* identity.c: ward-idsync's database, read-only, for the identity routes. */
extern const struct cfg_option identity_options[];
/* Opens [identity] db for one request; NULL after answering 503. */
/* Whether ward-idsync's database is there to read. */
enum identity_state {
	IDENTITY_OK,
	IDENTITY_UNSET,		/* no [identity] db */
	IDENTITY_MISSING,	/* no file yet */
	IDENTITY_FOREIGN,	/* not a ward-idsync database */
	IDENTITY_OLD,		/* older than the routes read */
	IDENTITY_ERROR,		/* err says why */
};
/* ward-idsync's database, read-only, or NULL and why (*state), logging
 * nothing; a lock ward-idsync holds is waited for up to busy_timeout_ms
 * (0: SQLite's usual 5 s). */
struct db	*identity_db(const struct collector_config *cfg,
		    int64_t busy_timeout_ms, enum identity_state *state,
		    char *err, size_t errlen);
/* What the alerts on ward-idsync are judged on, read from its database
 * (identity_alerts.c): per command ("run", "apply"), the last that
 * ended, and when a run last succeeded. */
#define IDENTITY_COMMANDS	2
struct identity_last {
	int	 have;
	int64_t	 id;
	char	 outcome[16];
	char	 message[512];
	int64_t	 end_ms;		/* its end, or start if it has none */
};
struct identity_facts {
	int	 unset;			/* no [identity] db */
	int	 read;			/* the rest was read */
	struct identity_last last[IDENTITY_COMMANDS];
	int	 have_ok;		/* a run that succeeded */
	int64_t	 ok_id;
	int64_t	 ok_ms;
	int	 have_runs;
	int64_t	 first_ms;		/* the first run's start */
};
/* Reads them, outside any transaction of ward.db, waiting little for a
 * lock ward-idsync holds (its first save holds one throughout); -1 with
 * err when the database would not answer. */
int		 identity_alerts_read(const struct collector_config *cfg,
		    struct identity_facts *f, char *err, size_t errlen);
/* Raises or resolves identity_run and identity_stale in ward.db, in the
 * caller's transaction. */
int		 identity_alerts_apply(struct db *db,
		    const struct collector_config *cfg,
		    const struct identity_facts *f, int64_t now_ms, char *err,
		    size_t errlen);
/* identity_db for a route: NULL once rep holds the 503 or the error. */
struct db	*identity_open(struct request *req, struct reply *rep);
/* An account's columns, in this order, for identity_account_json. */
#define IDENTITY_ACCOUNT_COLUMNS \
	"a.domain, a.sam, a.upn, a.mail, a.display_name, a.employee_id," \
	" a.kind, a.enabled, a.expires_ms, l.role, l.reason, l.score," \
	" json_extract(a.attrs, '$.pwdLastSet[0]') = '0'"
json_t		*identity_account_json(sqlite3_stmt *st, int col);
/* A person's accounts, primary first, appended to list (route_persons.c). */
int		 identity_person_accounts(struct db *db, const char *id,
		    json_t *list, char *err, size_t errlen);
/* The last run's conflicts (all, or those touching person), newest
 * first, at most limit, appended to list. */
int		 identity_conflicts(struct db *db, const char *person,
		    int64_t limit, json_t *list, char *err, size_t errlen);
extern const struct route_entry route_search;
extern const struct route_entry route_metrics;
extern const struct route_entry route_alerts;
extern const struct route_entry route_alert;
extern const struct route_entry route_alert_ack;
extern const struct route_entry route_datacentre_health;
extern const struct route_entry route_maintenance;
extern const struct route_entry route_maintenance_post;
extern const struct route_entry route_maintenance_delete;
extern const struct route_entry route_eol_summary;
extern const struct route_entry route_eol_assets;
extern const struct route_entry route_eol_forecast;
/* The {id} of /api/v1/alerts/{id}...; -1 after answering 400. */
int64_t		 route_alert_id(const struct request *req, struct reply *rep);

/* Sets reply to {"error": msg} with status. */
void		 reply_error(struct reply *r, int status, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
void		 reply_json(struct reply *r, int status, json_t *body);

/* Checks [http]: listen parses as a numeric address, tls = no only on
 * loopback, cert and key present with TLS. For the config's validate hook. */
int		 httpd_config_check(const struct httpd_config *hc, char *err,
		    size_t errlen);
/* Binds and listens on hc->listen; returns the socket or -1. */
int		 httpd_listen(const struct httpd_config *hc, char *err,
		    size_t errlen);
struct httpd;
struct httpd	*httpd_start(struct collector *c, char *err, size_t errlen);
void		 httpd_stop(struct httpd *h);

/* validate.c: the rules of docs/report.md. */
/* Every report in doc (an object or an array): 0, or -1 with err naming
 * the field. */
int		 validate_reports(json_t *doc, int64_t now_ms, char *err,
		    size_t errlen);
/* The interface counters a report may carry, NULL-terminated. */
extern const char *const validate_if_counters[];

/* ingest.c: validates reports and commits them in one transaction. */
struct ingest_result {
	int	 accepted;	/* stored now */
	int	 duplicates;	/* already stored: a replay */
};
/*
 * Validates every report in doc (an object or an array) before storing
 * anything; then commits all in one transaction. Returns 0, or -1 with
 * *status 400 (bad report, err names the field) or 503 (could not commit).
 */
int		 ingest_reports(struct store *st, json_t *doc, int64_t now_ms,
		    struct ingest_result *res, int *status, char *err,
		    size_t errlen);

/* query.c: what the read-only API routes share. */
/* Host states in rising severity: the worst of several is the largest.
 * The health engine (evaluate.c) decides them and keeps them in
 * hosts.state. */
enum host_state {
	HOST_UP = 0,
	HOST_UNREACHABLE,	/* quiet behind a parent that is down */
	HOST_STALE,		/* no report for stale_intervals */
	HOST_DOWN,		/* its poller says it does not answer */
	HOST_STATE_COUNT
};
const char	*query_host_state_name(enum host_state state);
int		 query_host_state_from_name(const char *name);	/* -1 */
/* The store's connection, for the API routes. */
struct db	*query_db(struct store *st, char *err, size_t errlen);
/* Logs err with the request and answers 503 without internals. */
void		 query_fail(const struct request *req, struct reply *rep,
		    const char *err);
/*
 * Query parameter name, NULL when absent. Returns 0, or -1 after answering
 * 400 naming it if it is not UTF-8 or its length is outside min..max bytes.
 */
int		 query_param(const struct request *req, struct reply *rep,
		    const char *name, size_t min, size_t max, const char **out);
/* An integer parameter in min..max, def when absent; -1 after a 400. */
int		 query_param_int(const struct request *req, struct reply *rep,
		    const char *name, int64_t min, int64_t max, int64_t def,
		    int64_t *out);
/* "now", "-6h" (str_parse_duration_ms units, before now) or ISO-8601. */
int		 query_parse_time(const char *s, int64_t now_ms, int64_t *out,
		    char *err, size_t errlen);
/* Percent-encodes all but RFC 3986 unreserved bytes (caller frees). */
char		*query_url_escape(const char *s);
/* An opaque position in a list sorted by (name, id), and back. */
char		*query_cursor_encode(const char *name, int64_t id);
int		 query_cursor_decode(const char *cursor, char **name,
		    int64_t *id);
/* JSON of a result column: string, ISO-8601 time, integer, number; null
 * if NULL (or not finite). */
json_t		*query_json_text(sqlite3_stmt *st, int col);
json_t		*query_json_time(sqlite3_stmt *st, int col);
json_t		*query_json_int(sqlite3_stmt *st, int col);
json_t		*query_json_real(sqlite3_stmt *st, int col);
/* A JSON string of s; bytes that are not UTF-8 are shown escaped. */
json_t		*query_json_string(const char *s);
json_t		*query_json_time_ms(int64_t ms);
/* The host {name} names: by exact name, else FQDN (any case), else agent
 * id. 0 when found; -1 after answering 404, 409 (candidates) or 503. */
struct query_host {
	int64_t	 id;
	char	*name;
	char	*agent_id;
	int64_t	 interval_s;
};
int		 query_host_find(const struct request *req, struct reply *rep,
		    struct db *db, const char *name, struct query_host *host);
void		 query_host_clear(struct query_host *host);

/* stats.c: the collector's own counters and histograms for /metrics; any
 * thread may update them. A new counter is an enum value and a table line. */
enum stats_counter {
	STATS_REPORTS_RECEIVED = 0,
	STATS_REPORTS_ACCEPTED,
	STATS_REPORTS_DUPLICATE,
	STATS_REPORTS_REJECTED,
	STATS_REPORTS_FAILED,
	STATS_COUNTER_COUNT
};
enum stats_histogram {
	STATS_HIST_INGEST = 0,
	STATS_HIST_COUNT
};
#define STATS_HIST_BUCKETS	14	/* finite upper bounds; +Inf besides */
#define STATS_STATUS_CLASSES	5	/* 1xx .. 5xx */

struct stats_histogram_snapshot {
	double		 le_s[STATS_HIST_BUCKETS];	/* upper bounds */
	uint64_t	 cumulative[STATS_HIST_BUCKETS + 1];	/* last: +Inf */
	double		 sum_s;
	uint64_t	 count;
};
struct stats_route_count {
	const struct route_entry *route;	/* NULL: no route matched */
	uint64_t	 by_class[STATS_STATUS_CLASSES];
};

void		 stats_add(enum stats_counter counter, uint64_t n);
uint64_t	 stats_get(enum stats_counter counter);
/* Prometheus family name and help text of a counter or histogram. */
const char	*stats_counter_name(enum stats_counter counter);
const char	*stats_counter_help(enum stats_counter counter);
const char	*stats_histogram_name(enum stats_histogram hist);
const char	*stats_histogram_help(enum stats_histogram hist);
/* A monotonic clock for durations, and one observation of a duration. */
int64_t		 stats_clock_ns(void);
void		 stats_observe_ns(enum stats_histogram hist, int64_t ns);
void		 stats_histogram_get(enum stats_histogram hist,
		    struct stats_histogram_snapshot *out);
/* One answered request on route (NULL when none matched) with status. */
void		 stats_request(const struct route_entry *route, int status);
/* Copies up to max per-route counts; returns how many there are. */
size_t		 stats_requests(struct stats_route_count *out, size_t max);
/* Back to zero, for tests. */
void		 stats_reset(void);

/* eol.c: the end-of-life catalogue (endoflife.date's products and release
 * cycles) in ward.db, and lifecycle status at a date. */
extern const struct cfg_option eol_options[];
/* [eol] checked, and a mapping file it names parsed: for -n. */
int		 eol_config_check(const struct collector_config *cfg, char *err,
		    size_t errlen);
/*
 * A cost as an operator writes it ("1250", "1250.5", "1250.50": no sign,
 * separators or symbol, at most 1000000000) into hundredths: 0 or -1.
 */
int		 eol_parse_amount(const char *s, int64_t *cents);
char		*eol_format_amount(int64_t cents, char *buf, size_t len);
/* [eol] software_cost's amount for product: 1, 0 when it has none. */
int		 eol_software_cost(const struct eol_config *ec,
		    const char *product, int64_t *cents);
/* A lifecycle field as endoflife.date gives it: a date, true (it has
 * passed, no date given), false (not passed, none announced), or absent
 * (the product does not have it). Which one is kept, never guessed. */
enum eol_value_kind { EOL_ABSENT = 0, EOL_FALSE, EOL_TRUE, EOL_DATE };
struct eol_value {
	int	 kind;			/* enum eol_value_kind */
	int64_t	 day;			/* EOL_DATE: days since 1970-01-01 */
};
/* "YYYY-MM-DD" (a real date) to days since 1970-01-01: 0 or -1. */
int		 eol_parse_day(const char *s, int64_t *day);
char		*eol_format_day(int64_t day, char *buf, size_t len);
int64_t		 eol_day_of_ms(int64_t unix_ms);
/* NULL is absent; "true", "false" or a date; -1 for anything else. */
int		 eol_value_parse(const char *s, struct eol_value *v);
/* As stored: a date, "true", "false"; NULL when absent. */
const char	*eol_value_text(const struct eol_value *v, char *buf,
		    size_t len);
/* As the API shows it: a date string, true, false or null. */
json_t		*eol_value_json(const struct eol_value *v);
/* 1 when the field has passed by day, 0 when not, -1 when absent. */
int		 eol_value_passed(const struct eol_value *v, int64_t day);

/* Statuses in rising order of concern: the worse of two is the larger. */
enum eol_status {
	EOL_SUPPORTED = 0,
	EOL_UNKNOWN,		/* not mapped, or no date: never "supported" */
	EOL_ENDING,		/* end of life within the horizon */
	EOL_EXTENDED,		/* past end of life, in extended support */
	EOL_ENDED,		/* end of life */
	EOL_STATUS_COUNT
};
const char	*eol_status_name(int status);	/* "supported", ... "eol" */
int		 eol_status_from_name(const char *name);	/* -1 */
/*
 * The status at day of a lifecycle whose end of life is eol and end of
 * extended support eoes: past eol (on or after its date, or true) it is
 * extended while eoes has not passed (false counts as not passed), else
 * ended; before it, ending when eol is a date at most horizon_days away;
 * eol false is supported (no end announced); eol absent is unknown.
 */
int		 eol_status_at(const struct eol_value *eol,
		    const struct eol_value *eoes, int64_t day,
		    int64_t horizon_days);
int		 eol_status_worse(int a, int b);

struct eol_cycle {
	char		*name;		/* "7", "2012-r2" */
	char		*label;		/* "Windows Server 2012 R2", or NULL */
	char		*codename;
	struct eol_value release, eoas, eol, eoes, lts;
	char		*latest;	/* latest version in the cycle */
	char		*latest_date;
};
struct eol_product {
	char		*name;		/* the API's product id: "rhel" */
	char		*label;		/* "Red Hat Enterprise Linux" */
	char		*eoas_label;	/* the product's names for its */
	char		*eol_label;	/* milestones ("Maintenance */
	char		*eoes_label;	/* Support"); NULL: not tracked */
	char		*source;	/* "snapshot" or the URL fetched */
	char		*as_of;		/* the date its facts are from */
	char		*error;		/* the last refresh's failure */
	int64_t		 error_ms;
	int64_t		 checked_ms;	/* last asked (200 or 304) */
	struct eol_cycle *cycles;
	size_t		 ncycles;
};
struct eol_catalogue {
	struct eol_product *products;	/* sorted by name */
	size_t		 n;
};
/*
 * One product of the API v1 (GET /api/v1/products/{name}: the "result"
 * object; the snapshot holds the same) into p. where names it in errors:
 * "rhel: result.releases[3].eolFrom: \"2024-13-01\": not a date". p is
 * cleared first and holds nothing on failure.
 */
int		 eol_product_from_json(json_t *result, const char *where,
		    struct eol_product *p, char *err, size_t errlen);
void		 eol_product_clear(struct eol_product *p);
/* Replaces the product and its cycles, inside the caller's transaction. */
int		 eol_product_store(struct db *db, const struct eol_product *p,
		    int64_t now_ms, char *err, size_t errlen);
struct eol_catalogue *eol_catalogue_load(struct db *db, char *err,
		    size_t errlen);
void		 eol_catalogue_free(struct eol_catalogue *cat);
const struct eol_product *eol_catalogue_product(
		    const struct eol_catalogue *cat, const char *name);
/* "Red Hat Enterprise Linux 7", "Windows Server 2012 R2" (caller frees). */
char		*eol_cycle_title(const struct eol_product *p,
		    const struct eol_cycle *c);
/*
 * Loads the snapshot at path (eol-snapshot.json): every product whose
 * facts there are newer than the catalogue's (or that it lacks) replaces
 * it, in one transaction. *loaded says how many; date gets the snapshot's
 * date. -1 with err naming the file and what is wrong with it.
 */
int		 eol_snapshot_load(struct db *db, const char *path,
		    int64_t now_ms, size_t *loaded, char *date, size_t datelen,
		    char *err, size_t errlen);
/* The path [eol] snapshot/mapping names, or the shipped file's. */
const char	*eol_snapshot_path(const struct collector_config *cfg);
const char	*eol_mapping_path(const struct collector_config *cfg);

/* eol_map.c: the mapping from what hosts report to a product and cycle,
 * and hardware to the hardware table: rules as data (data/eol-mapping). */
struct eol_rules;
struct eol_rules *eol_rules_load(const char *path, char *err, size_t errlen);
/* From text; name stands for the file in errors ("NAME:LINE: ..."). */
struct eol_rules *eol_rules_parse(const char *name, const char *text,
		    char *err, size_t errlen);
void		 eol_rules_free(struct eol_rules *r);
size_t		 eol_rules_count(const struct eol_rules *r);
/* The distinct products the rules name, sorted; NULL-terminated, the
 * caller frees the array (not the strings, which r owns). */
const char	**eol_rules_products(const struct eol_rules *r);
/* What a host reports about itself; any field may be NULL. */
struct eol_identity {
	const char	*os_id, *os_version, *os_name;
	const char	*fw_family, *fw_product, *fw_version;
	const char	*vendor, *model;
};
struct eol_match {
	const char	*product;
	const char	*cycle;		/* NULL: the version's own cycle */
	const char	*version;	/* the version the rule looked at */
	const char	*from;		/* "os" or "firmware" */
	int		 line;		/* the rule's line */
};
/* The first os rule, else firmware rule, matching id: 1, or 0. */
int		 eol_rules_software(const struct eol_rules *r,
		    const struct eol_identity *id, struct eol_match *m);
enum eol_hw_rule { EOL_HW_NONE = 0, EOL_HW_VIRTUAL, EOL_HW_TABLE };
/* The first hardware rule matching id; *vendor gets the vendor to look
 * up in the table (the rule's, or the reported one). */
int		 eol_rules_hardware(const struct eol_rules *r,
		    const struct eol_identity *id, const char **vendor,
		    int *line);
/*
 * The cycle version falls in: the cycle named exactly (case aside), else
 * the longest cycle the version starts with up to a non-digit ("7.9" ->
 * "7", "9.13.1P3" -> "9.13.1"). Numbers compare without leading zeros
 * ("17.09.04a" -> "17.9"); a leading "v" is ignored. NULL when none.
 */
const struct eol_cycle *eol_cycle_match(const struct eol_product *p,
		    const char *version);

/* eol_hw.c: the operator's hardware lifecycle table (CSV), all or
 * nothing. */
struct eol_hw_row {
	char		*vendor;
	char		*model;		/* fnmatch(3) pattern, any case */
	struct eol_value end_of_sale, end_of_sw_maintenance;
	struct eol_value end_of_security, last_support;
	char		*source;
	int		 has_cost;	/* replacement_cost was given */
	int64_t		 cost;		/* hundredths of [eol] currency */
	int		 line;		/* in the file imported */
};
struct eol_hw_table {
	struct eol_hw_row *rows;
	size_t		 n;
	char		*file;		/* imported from; NULL: never */
	int64_t		 imported_ms;
};
/*
 * Parses the CSV in text (len bytes) into t. Every bad line is reported,
 * each as "NAME:LINE: what is wrong" on a line of err, and then nothing is
 * kept: -1. 0 when every row is good.
 */
int		 eol_hw_parse(const char *name, const char *text, size_t len,
		    struct eol_hw_table *t, char *err, size_t errlen);
void		 eol_hw_clear(struct eol_hw_table *t);
/* A table file's text (malloc'd, *len bytes), read whole; NULL with err. */
char		*eol_hw_read(const char *path, size_t *len, char *err,
		    size_t errlen);
/* Parses text (from the file name) and replaces the table with it in one
 * transaction, or changes nothing. */
int		 eol_hw_import(struct db *db, const char *name, const char *text,
		    size_t len, int64_t now_ms, size_t *rows, char *err,
		    size_t errlen);
int		 eol_hw_load(struct db *db, struct eol_hw_table *t, char *err,
		    size_t errlen);
/* The first row of vendor (any case) whose model pattern matches. */
const struct eol_hw_row *eol_hw_match(const struct eol_hw_table *t,
		    const char *vendor, const char *model);

/* eol_asset.c: each host's lifecycle, the summary, the forecast, and the
 * alerts. */
struct eol_part {
	int		 applicable;	/* 0: a virtual machine's hardware */
	int		 status;
	const char	*reason_code;	/* unknown: "no_rule", "no_cycle"... */
	char		*reason;	/* a sentence saying why */
	const struct eol_product *product;	/* software */
	const struct eol_cycle *cycle;
	const struct eol_hw_row *hw;		/* hardware */
	char		*vendor;	/* hardware: as the table names it */
	char		*version;	/* software: the version mapped */
	const char	*from;		/* "os", "firmware" */
	int		 rule_line;
	struct eol_value eoas, eol, eoes;
	int		 has_cost;	/* to replace or upgrade it */
	int64_t		 cost;		/* hundredths of e->currency */
};
struct eol_asset {
	int64_t		 host_id;
	char		*name, *agent_id, *datacentre, *kind;
	char		*vendor, *model, *serial, *os_name;
	struct eol_part	 sw, hw;
	int		 status;	/* the worse of the two */
	int		 has_end;	/* end_day is known */
	int64_t		 end_day;	/* the first end of life of the two */
	const struct eol_part *end_part;
};
struct eol_estate {
	struct eol_catalogue	*cat;
	struct eol_hw_table	 hw;
	int64_t			 day;
	int64_t			 horizon_days;
	struct eol_asset	*assets;	/* sorted by name, id */
	size_t			 n;
	json_t			*catalogue;	/* eol_catalogue_json's */
	char			*currency;	/* NULL: costs not looked up */
};
/* Every host's lifecycle (host_id > 0: that one's) at day. rules may be
 * NULL: then nothing is mapped, and each host says so. */
struct eol_estate *eol_estate_load(struct db *db,
		    const struct eol_rules *rules, int64_t host_id, int64_t day,
		    int64_t horizon_days, char *err, size_t errlen);
void		 eol_estate_free(struct eol_estate *e);
/* Each part's cost: hardware's from its table row, software's from
 * [eol] software_cost; a part without one stays unknown. */
void		 eol_estate_costs(struct eol_estate *e,
		    const struct eol_config *ec);
json_t		*eol_asset_json(const struct eol_estate *e,
		    const struct eol_asset *a);
/* Host detail's "lifecycle": the host's at now_ms (c's rules, horizon);
 * NULL with err when the database fails. */
json_t		*eol_host_lifecycle(struct db *db, const struct collector *c,
		    int64_t host_id, int64_t now_ms, char *err, size_t errlen);
/* The catalogue's sources and dates, and the last refresh. */
json_t		*eol_catalogue_json(struct db *db, char *err, size_t errlen);
json_t		*eol_summary_json(const struct eol_estate *e);
/* Quarter of day counting from the quarter holding from_day (0), -1
 * before from_day. */
int		 eol_quarter_index(int64_t from_day, int64_t day);
json_t		*eol_forecast_json(const struct eol_estate *e, int quarters);
/* The forecast's costs as CSV: a row per period, datacentre and product. */
void		 eol_forecast_csv(const struct eol_estate *e, int quarters,
		    FILE *fp);
/* CSV of every asset, RFC 4180; cells that a spreadsheet would take for a
 * formula are quoted with a leading '. */
void		 eol_export_csv(const struct eol_estate *e, FILE *fp);
struct eol_alert_result {
	int	 raised;
	int	 resolved;
};
/* eol_horizon and eol_passed alerts, once per host, part and cycle, in
 * one transaction. */
int		 eol_alerts_evaluate(struct db *db,
		    const struct collector_config *cfg,
		    const struct eol_rules *rules, int64_t now_ms,
		    struct eol_alert_result *res, char *err, size_t errlen);
/* The [eol] horizon in days. */
int64_t		 eol_horizon_days(const struct collector_config *cfg);
/* For the routes: the estate at the day the "at" parameter names (a date,
 * an ISO-8601 time, "now"; absent: today). NULL after answering 400 or
 * 503. */
struct eol_estate *eol_route_estate(const struct request *req,
		    struct reply *rep);

/* eol_refresh.c: refreshing the catalogue from the endoflife.date API. */
struct eol_refresh_result {
	int	 updated;	/* 200: new facts stored */
	int	 unchanged;	/* 304 */
	int	 failed;	/* kept their last good facts */
	int	 skipped;	/* not asked: the run stopped early */
	char	*report;	/* a line per failure, then the totals */
};
/* Asks for every product of the catalogue and the rules; each failure
 * keeps that product's last good facts and says so in res->report (the
 * caller frees it), as does the catalogue (eol_catalogue_json). -1 only
 * when nothing could be tried; err then says why. stop (may be NULL) is
 * looked at between products. */
int		 eol_refresh(struct db *db, const struct collector_config *cfg,
		    const struct eol_rules *rules, const int *stop,
		    int64_t now_ms, struct eol_refresh_result *res, char *err,
		    size_t errlen);
/* What every user of the catalogue does first: loads the rules (the
 * shipped file may be missing: *rules NULL then, and *warnings says so)
 * and the snapshot's newer facts. *warnings and *info are lines to show
 * (the caller frees them). -1 when a file the configuration names is
 * missing or wrong. */
int		 eol_prepare(const struct collector_config *cfg, struct db *db,
		    int64_t now_ms, struct eol_rules **rules, char **warnings,
		    char **info, char *err, size_t errlen);
/* The collector's end-of-life thread: the snapshot loaded, the rules,
 * alerts every evaluate_interval (judged under c's lock with the
 * configuration a reload may have brought), refreshes every
 * refresh_interval (with the [eol] of c's configuration at start). */
struct eol_runner;
struct eol_runner *eol_runner_start(struct collector *c, const char *path,
		    char *err, size_t errlen);
const struct eol_rules *eol_runner_rules(const struct eol_runner *r);
void		 eol_runner_stop(struct eol_runner *r);

/* eol_cli.c: ward-collector eol refresh | import-hardware | export. */
int		 eol_command(const struct collector_config *cfg, int argc,
		    char **argv);

#endif
