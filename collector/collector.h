/* collector.h: ward-collector's internal interfaces, grouped by module. */
#ifndef WARD_COLLECTOR_H
#define WARD_COLLECTOR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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

struct collector_config {
	struct cli_log_config	 log;
	struct cli_daemon_config daemon;
	struct httpd_config	 http;
	struct store_config	 store;
};

/* The running collector: owned by main, handed to every route. */
struct collector {
	const struct collector_config	*cfg;
	struct store			*store;
	/* From httpd_listen, bound before dropping privileges; 0: httpd_start
	 * binds itself. httpd_start takes it over. */
	int				 listen_fd;
};

/* store.c: ward.db, its schema and migrations. One connection per thread. */
struct store;
struct store	*store_open(const char *path, int readonly, char *err,
		    size_t errlen);
void		 store_close(struct store *st);
struct db	*store_db(struct store *st);

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
extern const struct route_entry route_search;
extern const struct route_entry route_metrics;

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
/* The validation alone: 0, or -1 with err naming the field. */
int		 ingest_validate(json_t *doc, int64_t now_ms, char *err,
		    size_t errlen);
int		 ingest_reports(struct store *st, json_t *doc, int64_t now_ms,
		    struct ingest_result *res, int *status, char *err,
		    size_t errlen);

/* query.c: what the read-only API routes share. */
/* Host states in rising severity: the worst of several is the largest. */
enum host_state {
	HOST_UP = 0,
	HOST_STALE,		/* no report for 3 intervals */
	HOST_STATE_COUNT
};
/* The one place a host's state is decided; SQL calls it as
 * ward_host_state(last_seen_ms, interval_s, now_ms). */
enum host_state	 query_host_state(int64_t last_seen_ms, int64_t interval_s,
		    int64_t now_ms);
const char	*query_host_state_name(enum host_state state);
int		 query_host_state_from_name(const char *name);	/* -1 */
/* The store's connection with ward's SQL functions registered. */
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
/* "%text%" for LIKE ... ESCAPE '\', text's %, _ and \ escaped (caller
 * frees): what a user types is matched literally. */
char		*query_like_pattern(const char *text);
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

#endif
