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

#endif
