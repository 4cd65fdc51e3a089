/* eol_refresh.c: refreshing the end-of-life catalogue from the
 * endoflife.date API v1, one product at a time, each kept as it was when
 * its reply is anything but good; and the collector's end-of-life thread,
 * which loads the snapshot and the rules, refreshes and raises alerts. */
#include "config.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/buf.h"
#include "common/db.h"
#include "common/http.h"
#include "common/log.h"
#include "common/str.h"
#include "common/wjson.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "collector/collector.h"

#define EOL_REPLY_MAX		(8 * 1024 * 1024)
#define EOL_FIRST_RUN_MS	60000	/* after start, at the latest */

#define SQL_REFRESH_PRODUCTS \
	"SELECT name FROM eol_products ORDER BY name"
#define SQL_REFRESH_PRODUCT \
	"SELECT etag, last_modified, source, as_of FROM eol_products" \
	" WHERE name = ?1"
#define SQL_REFRESH_VALIDATORS \
	"UPDATE eol_products SET etag = ?2, last_modified = ?3" \
	" WHERE name = ?1"
#define SQL_REFRESH_CHECKED \
	"UPDATE eol_products SET checked_ms = ?2, error = NULL," \
	"  error_ms = NULL WHERE name = ?1"
#define SQL_REFRESH_FAILED \
	"UPDATE eol_products SET error = ?2, error_ms = ?3 WHERE name = ?1"
#define SQL_REFRESH_RECORD \
	"INSERT INTO eol_refreshes (started_ms, finished_ms, base_url," \
	"  updated, unchanged, failed, summary)" \
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"

/* What the catalogue holds on a product now. */
struct eol_held {
	char	*etag;
	char	*last_modified;
	char	*source;
	char	*as_of;
};

static void
eol_held_clear(struct eol_held *h)
{
	free(h->etag);
	free(h->last_modified);
	free(h->source);
	free(h->as_of);
	memset(h, 0, sizeof *h);
}

static char *
eol_col(sqlite3_stmt *st, int col)
{
	const char	*s = (const char *)sqlite3_column_text(st, col);

	return s != NULL ? xstrdup(s) : NULL;
}

static int
eol_held_get(struct db *db, const char *name, struct eol_held *h, char *err,
    size_t errlen)
{
	sqlite3_stmt	*st;
	int		 rc;

	memset(h, 0, sizeof *h);
	if ((st = db_stmt(db, SQL_REFRESH_PRODUCT, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		h->etag = eol_col(st, 0);
		h->last_modified = eol_col(st, 1);
		h->source = eol_col(st, 2);
		h->as_of = eol_col(st, 3);
		rc = SQLITE_DONE;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(db, "reading the catalogue", err, errlen);
		return -1;
	}
	return 0;
}

/* Runs one UPDATE of a product row: ?1 the name, ?2 and ?3 texts (NULL
 * binds nothing, so NULL) or ?2 a time when ms_col is 2, ?3 when 3. */
static int
eol_refresh_update(struct db *db, const char *sql, const char *name,
    const char *t2, const char *t3, int ms_col, int64_t ms, char *err,
    size_t errlen)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_stmt(db, sql, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (t2 != NULL)
		sqlite3_bind_text(st, 2, t2, -1, SQLITE_STATIC);
	if (t3 != NULL)
		sqlite3_bind_text(st, 3, t3, -1, SQLITE_STATIC);
	if (ms_col > 0)
		sqlite3_bind_int64(st, ms_col, ms);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(db, "updating the catalogue", err, errlen);
		return -1;
	}
	return 0;
}

struct eol_store_tx {
	const struct eol_product	*p;
	const struct http_response	*resp;
	int64_t				 now_ms;
	char				*err;
	size_t				 errlen;
};

static int
eol_store_tx(struct db *db, void *arg)
{
	struct eol_store_tx	*x = arg;

	if (eol_product_store(db, x->p, x->now_ms, x->err, x->errlen) == -1)
		return -1;
	return eol_refresh_update(db, SQL_REFRESH_VALIDATORS, x->p->name,
	    x->resp->etag, x->resp->last_modified, 0, 0, x->err, x->errlen);
}

/* A reply's first bytes, made safe to show, for a reply that is not the
 * JSON asked for (an HTML error page, a proxy's login page). */
static const char *
eol_reply_kind(const struct http_response *resp, char *buf, size_t len)
{
	const char	*ct = resp->content_type;

	if (ct != NULL && strncasecmp(ct, "text/html", 9) == 0)
		snprintf(buf, len, "an HTML page");
	else if (ct != NULL)
		snprintf(buf, len, "%.60s", ct);
	else
		snprintf(buf, len, "no content type");
	return buf;
}

enum eol_outcome { OUT_UPDATED, OUT_UNCHANGED, OUT_FAILED, OUT_STOP };

/* One product: its outcome, and why in why when it failed. */
static int
eol_refresh_one(struct db *db, struct http_client *hc,
    const struct collector_config *cfg, const char *name, int64_t now_ms,
    char *why, size_t whylen)
{
	struct wjson_limits	 lim = { EOL_REPLY_MAX, 32, 64 * 1024 };
	struct http_response	 resp;
	struct http_request	 req;
	struct http_header	 hdr[3];
	struct eol_product	 p;
	struct eol_held		 held;
	struct eol_store_tx	 x;
	json_t			*doc = NULL, *result;
	const char		*base = cfg->eol.base_url;
	char			*url, kind[64], perr[512], day[16];
	size_t			 baselen = strlen(base), nh = 0;
	int			 out = OUT_FAILED;

	while (baselen > 0 && base[baselen - 1] == '/')
		baselen--;
	xasprintf(&url, "%.*s/products/%s", (int)baselen, base, name);
	if (eol_held_get(db, name, &held, why, whylen) == -1) {
		free(url);
		return OUT_STOP;
	}
	/* Only the validators of facts from this server mean anything. */
	if (held.source != NULL && strcmp(held.source, "snapshot") != 0) {
		if (held.etag != NULL) {
			hdr[nh].name = "If-None-Match";
			hdr[nh++].value = held.etag;
		}
		if (held.last_modified != NULL) {
			hdr[nh].name = "If-Modified-Since";
			hdr[nh++].value = held.last_modified;
		}
	}
	hdr[nh].name = NULL;
	hdr[nh].value = NULL;
	memset(&req, 0, sizeof req);
	req.method = "GET";
	req.url = url;
	req.headers = hdr;
	if (http_do(hc, &req, &resp, why, whylen) == -1) {
		/* Nothing answered: the rest would not either. */
		out = OUT_STOP;
		goto done;
	}
	if (resp.effective_url != NULL &&
	    strncasecmp(resp.effective_url, "https://", 8) != 0) {
		snprintf(why, whylen, "GET %s: redirected to %s: refused, "
		    "HTTPS only", url, resp.effective_url);
		goto done;
	}
	switch (resp.status) {
	case 200:
		break;
	case 304:
		if (eol_refresh_update(db, SQL_REFRESH_CHECKED, name, NULL,
		    NULL, 2, now_ms, why, whylen) == -1)
			goto done;
		out = OUT_UNCHANGED;
		goto done;
	case 404:
		snprintf(why, whylen, "GET %s: 404, %s: the API has no such "
		    "product (is [eol] base_url the API's?)", url,
		    eol_reply_kind(&resp, kind, sizeof kind));
		goto done;
	case 429:
		if (resp.retry_after_s >= 0)
			snprintf(why, whylen, "GET %s: 429 too many requests "
			    "(Retry-After %" PRId64 " s, after %d attempts): "
			    "stopping here", url, resp.retry_after_s,
			    resp.attempts);
		else
			snprintf(why, whylen, "GET %s: 429 too many requests "
			    "(after %d attempts): stopping here", url,
			    resp.attempts);
		out = OUT_STOP;
		goto done;
	default:
		snprintf(why, whylen, "GET %s: HTTP %ld, %s", url, resp.status,
		    eol_reply_kind(&resp, kind, sizeof kind));
		goto done;
	}
	if ((doc = wjson_parse(buf_cstr(&resp.body), resp.body.len, &lim, perr,
	    sizeof perr)) == NULL) {
		snprintf(why, whylen, "GET %s: the reply (%zu bytes, %s) is "
		    "not whole JSON: %s", url, resp.body.len,
		    eol_reply_kind(&resp, kind, sizeof kind), perr);
		goto done;
	}
	if ((result = json_object_get(doc, "result")) == NULL) {
		snprintf(why, whylen, "GET %s: the reply has no \"result\": "
		    "not the API v1", url);
		goto done;
	}
	if (eol_product_from_json(result, url, &p, why, whylen) == -1)
		goto done;
	/* Kept under the name asked for, which the rules use, whatever the
	 * API calls it (an alias, a redirect). */
	free(p.name);
	p.name = xstrdup(name);
	xasprintf(&p.source, "%.*s", (int)baselen, base);
	p.as_of = xstrdup(eol_format_day(eol_day_of_ms(now_ms), day,
	    sizeof day));
	p.checked_ms = now_ms;
	memset(&x, 0, sizeof x);
	x.p = &p;
	x.resp = &resp;
	x.now_ms = now_ms;
	x.err = why;
	x.errlen = whylen;
	why[0] = '\0';
	if (db_transaction(db, eol_store_tx, &x, perr, sizeof perr) == -1) {
		if (why[0] == '\0')
			snprintf(why, whylen, "%s", perr);
		eol_product_clear(&p);
		out = OUT_STOP;
		goto done;
	}
	eol_product_clear(&p);
	out = OUT_UPDATED;
done:
	json_decref(doc);
	http_response_free(&resp);
	eol_held_clear(&held);
	free(url);
	return out;
}

/* The products to ask for: the catalogue's and the rules'. */
static char **
eol_refresh_names(struct db *db, const struct eol_rules *rules, size_t *n,
    char *err, size_t errlen)
{
	const char	**fromrules;
	sqlite3_stmt	*st;
	char		**v = NULL;
	size_t		  i, j;
	int		  rc;

	*n = 0;
	if ((st = db_stmt(db, SQL_REFRESH_PRODUCTS, err, errlen)) == NULL)
		return NULL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, *n + 1, sizeof *v);
		v[(*n)++] = xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(db, "reading the catalogue", err, errlen);
		for (i = 0; i < *n; i++)
			free(v[i]);
		free(v);
		return NULL;
	}
	fromrules = eol_rules_products(rules);
	for (i = 0; fromrules[i] != NULL; i++) {
		for (j = 0; j < *n; j++)
			if (strcmp(v[j], fromrules[i]) == 0)
				break;
		if (j < *n)
			continue;
		v = xreallocarray(v, *n + 1, sizeof *v);
		v[(*n)++] = xstrdup(fromrules[i]);
	}
	free(fromrules);
	v = xreallocarray(v, *n + 1, sizeof *v);
	v[*n] = NULL;
	return v;
}

static int
eol_refresh_cancel(void *arg)
{
	const int	*stop = arg;

	return stop != NULL && __atomic_load_n(stop, __ATOMIC_RELAXED);
}

int
eol_refresh(struct db *db, const struct collector_config *cfg,
    const struct eol_rules *rules, const int *stop, int64_t now_ms,
    struct eol_refresh_result *res, char *err, size_t errlen)
{
	struct http_client_options	 ho;
	struct http_client		*hc;
	struct eol_held			 held;
	struct buf			 report;
	sqlite3_stmt			*st;
	char				**names, why[1024], werr[256];
	size_t				 n, i;
	int				 out, rc;
	int64_t				 started = wtime_now_ms();

	memset(res, 0, sizeof *res);
	if ((names = eol_refresh_names(db, rules, &n, err, errlen)) == NULL)
		return -1;
	if (n == 0) {
		snprintf(err, errlen, "the catalogue is empty and the rules "
		    "name no product: nothing to refresh");
		free(names);
		return -1;
	}
	memset(&ho, 0, sizeof ho);
	ho.ca_file = cfg->eol.ca_file;
	ho.timeout_ms = cfg->eol.timeout_ms;
	ho.connect_timeout_ms = cfg->eol.timeout_ms < 10000 ?
	    cfg->eol.timeout_ms : 10000;
	ho.max_response_bytes = EOL_REPLY_MAX;
	ho.max_attempts = 3;
	ho.backoff_initial_ms = 1000;
	ho.backoff_max_ms = 30000;
	ho.follow_redirects = 1;
	/* Stopping does not wait for a slow catalogue, nor its retries. */
	ho.cancel = eol_refresh_cancel;
	ho.cancel_arg = (void *)(uintptr_t)stop;
	if ((hc = http_client_new(&ho, err, errlen)) == NULL) {
		for (i = 0; i < n; i++)
			free(names[i]);
		free(names);
		return -1;
	}
	buf_init(&report, 0);
	for (i = 0; i < n; i++) {
		if (stop != NULL && __atomic_load_n(stop, __ATOMIC_RELAXED)) {
			res->skipped = (int)(n - i);
			break;
		}
		why[0] = '\0';
		out = eol_refresh_one(db, hc, cfg, names[i], now_ms, why,
		    sizeof why);
		if (out == OUT_UPDATED) {
			res->updated++;
			continue;
		}
		if (out == OUT_UNCHANGED) {
			res->unchanged++;
			continue;
		}
		res->failed++;
		/* Say what is kept, and keep it. */
		if (eol_held_get(db, names[i], &held, werr, sizeof werr) == 0 &&
		    held.as_of != NULL) {
			buf_printf(&report, "%s: %s; keeping its facts as of "
			    "%s (%s)\n", names[i], why, held.as_of,
			    held.source);
			(void)eol_refresh_update(db, SQL_REFRESH_FAILED,
			    names[i], why, NULL, 3, now_ms, werr, sizeof werr);
		} else
			buf_printf(&report, "%s: %s; the catalogue has nothing "
			    "on it\n", names[i], why);
		eol_held_clear(&held);
		if (out == OUT_STOP) {
			res->skipped = (int)(n - i - 1);
			break;
		}
	}
	http_client_free(hc);
	if (res->skipped > 0)
		buf_printf(&report, "%d products not asked for: they keep "
		    "their facts until the next refresh\n", res->skipped);
	buf_printf(&report, "%d products updated, %d unchanged, %d failed "
	    "from %s", res->updated, res->unchanged, res->failed + res->skipped,
	    cfg->eol.base_url);
	res->report = buf_detach(&report, NULL);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);

	if ((st = db_stmt(db, SQL_REFRESH_RECORD, err, errlen)) == NULL)
		return 0;
	sqlite3_bind_int64(st, 1, started);
	sqlite3_bind_int64(st, 2, wtime_now_ms());
	sqlite3_bind_text(st, 3, cfg->eol.base_url, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, res->updated);
	sqlite3_bind_int(st, 5, res->unchanged);
	sqlite3_bind_int(st, 6, res->failed + res->skipped);
	sqlite3_bind_text(st, 7, res->report, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		log_warnx("eol refresh: recording it: %s",
		    sqlite3_errmsg(db_handle(db)));
	return 0;
}

/* ------------------------------------------------------------ the thread */

static void
eol_log_lines(enum log_level level, char *text)
{
	char	*line, *save;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		log_msg(level, "end of life: %s", line);
}

struct eol_runner {
	struct collector		*c;
	const struct collector_config	*cfg;	/* as at start */
	struct store			*st;
	struct eol_rules		*rules;
	pthread_t			 thread;
	int				 running;
	int				 curl_ready;
	pthread_mutex_t			 lock;
	pthread_cond_t			 cond;
	int				 stop;
	struct log_complain		 eval_complain;
};

static void
eol_runner_evaluate(struct eol_runner *r)
{
	struct eol_alert_result	 res;
	char			 err[1024];
	int			 rc;

	/* The configuration now: a reload may have changed the routes,
	 * groups and horizon since start. */
	pthread_rwlock_rdlock(&r->c->lock);
	rc = eol_alerts_evaluate(store_db(r->st), r->c->cfg, r->rules,
	    wtime_now_ms(), &res, err, sizeof err);
	pthread_rwlock_unlock(&r->c->lock);
	if (rc == -1) {
		log_complain(&r->eval_complain, LOG_LEVEL_WARNING, "end of "
		    "life: judging lifecycles for alerts: %s", err);
		return;
	}
	log_release(&r->eval_complain, LOG_LEVEL_INFO, "end of life: alerts "
	    "are judged again");
	if (res.raised + res.resolved > 0)
		log_info("end of life: %d alerts raised, %d resolved",
		    res.raised, res.resolved);
}

static void
eol_runner_refresh(struct eol_runner *r)
{
	struct eol_refresh_result	 res;
	char				 err[1024];

	if (eol_refresh(store_db(r->st), r->cfg, r->rules, &r->stop,
	    wtime_now_ms(), &res, err, sizeof err) == -1) {
		log_warnx("end of life: refresh: %s", err);
		return;
	}
	eol_log_lines(res.failed + res.skipped > 0 ? LOG_LEVEL_WARNING :
	    LOG_LEVEL_INFO, res.report);
	free(res.report);
}

static void *
eol_runner_thread(void *arg)
{
	struct eol_runner	*r = arg;
	const struct eol_config	*ec = &r->cfg->eol;
	struct timespec		 ts;
	int64_t			 now, next_eval, next_refresh, wake;

	now = wtime_mono_ms();
	next_eval = ec->alerts ? now + (ec->evaluate_interval_ms <
	    EOL_FIRST_RUN_MS ? ec->evaluate_interval_ms : EOL_FIRST_RUN_MS) :
	    INT64_MAX;
	next_refresh = ec->refresh_interval_ms > 0 ? now +
	    (ec->refresh_interval_ms < EOL_FIRST_RUN_MS ?
	    ec->refresh_interval_ms : EOL_FIRST_RUN_MS) : INT64_MAX;
	for (;;) {
		wake = next_eval < next_refresh ? next_eval : next_refresh;
		pthread_mutex_lock(&r->lock);
		while (!r->stop && wtime_mono_ms() < wake) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			now = wake - wtime_mono_ms();
			ts.tv_sec += now / 1000;
			ts.tv_nsec += (now % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&r->cond, &r->lock, &ts);
		}
		if (r->stop) {
			pthread_mutex_unlock(&r->lock);
			break;
		}
		pthread_mutex_unlock(&r->lock);
		/* A refresh first: alerts then judge the newest facts. */
		if (wtime_mono_ms() >= next_refresh) {
			eol_runner_refresh(r);
			next_refresh = wtime_mono_ms() +
			    ec->refresh_interval_ms;
		}
		if (wtime_mono_ms() >= next_eval) {
			eol_runner_evaluate(r);
			next_eval = wtime_mono_ms() + ec->evaluate_interval_ms;
		}
	}
	return NULL;
}

int
eol_prepare(const struct collector_config *cfg, struct db *db,
    int64_t now_ms, struct eol_rules **rules, char **warnings, char **info,
    char *err, size_t errlen)
{
	struct buf	 w, in;
	const char	*file;
	char		 why[1024], date[16];
	size_t		 loaded;

	*rules = NULL;
	buf_init(&w, 0);
	buf_init(&in, 0);
	/* The shipped files are missing from a build tree: then say so
	 * and go on; files named in the configuration must be there. */
	file = eol_mapping_path(cfg);
	if ((*rules = eol_rules_load(file, why, sizeof why)) == NULL) {
		if (cfg->eol.mapping != NULL) {
			snprintf(err, errlen, "[eol] mapping: %s", why);
			goto fail;
		}
		buf_printf(&w, "%s: every asset's lifecycle is unknown until "
		    "it is installed or [eol] mapping names one\n", why);
	} else
		buf_printf(&in, "%zu mapping rules from %s\n",
		    eol_rules_count(*rules), file);
	file = eol_snapshot_path(cfg);
	if (eol_snapshot_load(db, file, now_ms, &loaded, date, sizeof date,
	    why, sizeof why) == -1) {
		if (cfg->eol.snapshot != NULL) {
			snprintf(err, errlen, "[eol] snapshot: %s", why);
			goto fail;
		}
		buf_printf(&w, "the catalogue snapshot: %s\n", why);
	} else if (loaded > 0)
		buf_printf(&in, "%zu products from the snapshot of %s (%s)\n",
		    loaded, date, file);
	*warnings = buf_detach(&w, NULL);
	*info = buf_detach(&in, NULL);
	return 0;

fail:
	eol_rules_free(*rules);
	*rules = NULL;
	buf_free(&w);
	buf_free(&in);
	return -1;
}

struct eol_runner *
eol_runner_start(struct collector *c, const char *path, char *err,
    size_t errlen)
{
	const struct collector_config	*cfg = c->cfg;
	struct eol_runner		*r;
	pthread_condattr_t		 ca;
	char				*warnings, *info;
	int				 e;

	r = xcalloc(1, sizeof *r);
	r->c = c;
	r->cfg = cfg;
	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cond, &ca);
	pthread_condattr_destroy(&ca);
	if ((r->st = store_open(path, 0, err, errlen)) == NULL ||
	    eol_prepare(cfg, store_db(r->st), wtime_now_ms(), &r->rules,
	    &warnings, &info, err, errlen) == -1)
		goto fail;
	eol_log_lines(LOG_LEVEL_WARNING, warnings);
	eol_log_lines(LOG_LEVEL_INFO, info);
	free(warnings);
	free(info);

	if (cfg->eol.refresh_interval_ms > 0) {
		if (http_global_init(err, errlen) == -1)
			goto fail;
		r->curl_ready = 1;
	}
	if (cfg->eol.alerts || cfg->eol.refresh_interval_ms > 0) {
		if ((e = pthread_create(&r->thread, NULL, eol_runner_thread,
		    r)) != 0) {
			snprintf(err, errlen, "end of life: starting a "
			    "thread: %s", strerror(e));
			goto fail;
		}
		r->running = 1;
	}
	return r;

fail:
	eol_runner_stop(r);
	return NULL;
}

const struct eol_rules *
eol_runner_rules(const struct eol_runner *r)
{
	return r != NULL ? r->rules : NULL;
}

void
eol_runner_stop(struct eol_runner *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->lock);
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	if (r->running)
		pthread_join(r->thread, NULL);
	if (r->curl_ready)
		http_global_cleanup();
	eol_rules_free(r->rules);
	store_close(r->st);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r);
}
