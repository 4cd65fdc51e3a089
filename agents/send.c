/* send.c: delivers the spool to the collector, oldest first, in batches,
 * backing off with jitter while the collector is down or busy. */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/backoff.h"
#include "common/buf.h"
#include "common/cfg.h"
#include "common/http.h"
#include "common/log.h"
#include "common/str.h"
#include "common/wjson.h"
#include "common/xmalloc.h"
#include "agents/agent.h"

/* A spool whose oldest report cannot be read now is tried again after
 * this long. */
#define SEND_BLOCKED_RETRY_MS	10000

#define SEND_PATH		"/api/v1/reports"
#define SEND_REPLY_MAX		(64 * 1024)
#define SEND_ERROR_SHOWN	200	/* bytes of the collector's error */

struct sender {
	struct http_client	*http;
	char			*url;		/* base + SEND_PATH */
	char			*token;
	size_t			 batch_reports;	/* shrinks after a 413 */
	size_t			 batch_bytes;
	int			 one_by_one;	/* a batch was refused: find
						   the report at fault */
	struct backoff		 backoff;
	struct log_complain	 complain;
	char			 last_error[512];
	int			 refused;
};

const struct cfg_option send_collector_options[] = {
	{ "url", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct send_collector_config, url),
	  "The collector's base URL, e.g. \"https://ward.btuh.test:8443\". "
	  "Required to send (not for --print). https:// is required except "
	  "to a loopback address." },
	{ "ca_file", CFG_PATH, NULL, 0, 0, NULL, 0,
	  offsetof(struct send_collector_config, ca_file),
	  "The CA certificate(s) (PEM) the collector's certificate must "
	  "chain to; unset: the system's trust store. The certificate is "
	  "always verified, name included." },
	{ "token_file", CFG_SECRET, NULL, 0, 0, NULL, 0,
	  offsetof(struct send_collector_config, token),
	  "A file holding this agent's token (role agent, from "
	  "\"ward-collector token add\"). It must be readable by the "
	  "[daemon] user and by nobody else (mode 0600)." },
	{ "timeout", CFG_DURATION, "30s", 1000, 300000, NULL, 0,
	  offsetof(struct send_collector_config, timeout),
	  "Give up on one request after this long (connecting takes at most "
	  "10s of it); the reports stay in the spool." },
	{ "retry_max", CFG_DURATION, "5m", 1000, 3600000, NULL, 0,
	  offsetof(struct send_collector_config, retry_max),
	  "While the collector is down, retries back off exponentially from "
	  "5s (or retry_max if less) up to this, each wait picked at random "
	  "in its upper half so hundreds of agents do not return at once." },
	CFG_OPTIONS_END
};

const struct cfg_option send_spool_options[] = {
	{ "max_size", CFG_SIZE, "64M", 64 * 1024, 64LL << 30, NULL, 0,
	  offsetof(struct send_spool_config, max_size),
	  "Most disk the spool (state_dir/spool) may use. When full, the "
	  "oldest reports are dropped first and the next report tells the "
	  "collector how many." },
	{ "max_age", CFG_DURATION, "3d", 60000, 30LL * 86400000, NULL, 0,
	  offsetof(struct send_spool_config, max_age),
	  "Drop spooled reports older than this. Keep it below the "
	  "collector's raw retention (8 days by default), which is how long "
	  "the collector remembers what it has been sent." },
	{ "batch", CFG_INT, "50", 1, 500, NULL, 0,
	  offsetof(struct send_spool_config, batch),
	  "Most reports sent in one request when replaying the spool." },
	CFG_OPTIONS_END
};

struct sender *
send_new_from_config(const struct send_collector_config *c,
    const struct send_spool_config *sp, char *err, size_t errlen)
{
	struct send_options	 o;

	memset(&o, 0, sizeof o);
	o.url = c->url;
	o.ca_file = c->ca_file;
	o.token = c->token;
	o.timeout_ms = c->timeout;
	o.batch_reports = (size_t)sp->batch;
	o.retry_initial_ms = c->retry_max < 5000 ? c->retry_max : 5000;
	o.retry_max_ms = c->retry_max;
	return send_new(&o, err, errlen);
}

int
send_config_check(const struct send_collector_config *c, char *err,
    size_t errlen)
{
	const char	*host;

	if (c->url == NULL)
		return 0;
	if (c->token == NULL || c->token[0] == '\0') {
		snprintf(err, errlen, "[collector] url is set but token_file "
		    "is not: the collector refuses reports without a token");
		return -1;
	}
	/* A token is one word: a space or a second line is a file edited
	 * wrong, and the collector would answer only "invalid token". */
	if (c->token[strcspn(c->token, " \t\r\n")] != '\0') {
		snprintf(err, errlen, "[collector] token_file: the token holds "
		    "a space or a line break (the file holds the token alone, "
		    "on one line)");
		return -1;
	}
	if (send_url_check(c->url, err, errlen) == -1)
		return -1;
	host = strstr(c->url, "://") + 3;
	if (*host == '\0' || *host == '/' || *host == ':') {
		snprintf(err, errlen, "[collector] url \"%s\": no host",
		    c->url);
		return -1;
	}
	/* As the sender will read it, at -n. */
	return cfg_check_machine && c->ca_file != NULL ? http_check_file(
	    "[collector] ca_file", c->ca_file, err, errlen) : 0;
}

/* https://, or http:// only to a loopback address: tokens and reports
 * never cross a network in the clear. */
int
send_url_check(const char *url, char *err, size_t errlen)
{
	const char	*host, *end;
	char		 addr[64];
	struct in_addr	 a4;
	struct in6_addr	 a6;
	size_t		 n;

	if (str_has_prefix(url, "https://"))
		return 0;
	if (!str_has_prefix(url, "http://")) {
		snprintf(err, errlen, "[collector] url \"%s\": use https:// "
		    "(http:// only to a loopback address)", url);
		return -1;
	}
	host = url + 7;
	if (*host == '[') {
		host++;
		end = strchr(host, ']');
	} else
		end = host + strcspn(host, ":/");
	n = end != NULL ? (size_t)(end - host) : 0;
	if (n > 0 && n < sizeof addr) {
		memcpy(addr, host, n);
		addr[n] = '\0';
		if ((inet_pton(AF_INET, addr, &a4) == 1 &&
		    (ntohl(a4.s_addr) >> 24) == 127) ||
		    (inet_pton(AF_INET6, addr, &a6) == 1 &&
		    IN6_IS_ADDR_LOOPBACK(&a6)))
			return 0;
	}
	snprintf(err, errlen, "[collector] url \"%s\": plain http:// is only "
	    "allowed to a loopback address; use https://", url);
	return -1;
}

struct sender *
send_new(const struct send_options *o, char *err, size_t errlen)
{
	struct http_client_options	 ho;
	struct sender			*s;
	size_t				 n;

	if (o->url == NULL || o->url[0] == '\0') {
		snprintf(err, errlen, "[collector] url is not set");
		return NULL;
	}
	if (o->token == NULL || o->token[0] == '\0') {
		snprintf(err, errlen, "[collector] token_file is not set");
		return NULL;
	}
	if (send_url_check(o->url, err, errlen) == -1)
		return NULL;
	memset(&ho, 0, sizeof ho);
	ho.ca_file = o->ca_file;
	ho.connect_timeout_ms = o->timeout_ms < 10000 ? o->timeout_ms : 10000;
	ho.timeout_ms = o->timeout_ms;
	ho.max_response_bytes = SEND_REPLY_MAX;
	/* One try per call: the retry schedule is ours, so collection goes
	 * on while the collector is away. */
	ho.max_attempts = 1;
	s = xcalloc(1, sizeof *s);
	if ((s->http = http_client_new(&ho, err, errlen)) == NULL) {
		free(s);
		return NULL;
	}
	n = strlen(o->url);
	while (n > 0 && o->url[n - 1] == '/')
		n--;
	xasprintf(&s->url, "%.*s%s", (int)n, o->url, SEND_PATH);
	s->token = xstrdup(o->token);
	s->batch_reports = o->batch_reports > 0 ? o->batch_reports : 50;
	s->batch_bytes = o->batch_bytes > 0 ? o->batch_bytes : 4 << 20;
	backoff_init(&s->backoff, o->retry_initial_ms > 0 ?
	    o->retry_initial_ms : 5000, o->retry_max_ms > 0 ?
	    o->retry_max_ms : 300000);
	return s;
}

void
send_free(struct sender *s)
{
	if (s == NULL)
		return;
	http_client_free(s->http);
	free(s->url);
	xfree_secret(s->token);
	free(s);
}

const char *
send_last_error(const struct sender *s)
{
	return s->last_error;
}

int
send_refused(const struct sender *s)
{
	return s->refused;
}

/* The collector's {"error": ...}, made safe to log. */
static void
send_reply_error(const struct http_response *resp, char *dst, size_t size)
{
	json_t		*doc;
	const char	*msg = NULL;
	char		 raw[SEND_ERROR_SHOWN + 1];

	doc = wjson_parse(buf_cstr(&resp->body), resp->body.len, NULL, NULL, 0);
	if (doc != NULL)
		msg = json_string_value(json_object_get(doc, "error"));
	if (msg == NULL) {
		str_copy(raw, buf_cstr(&resp->body), sizeof raw);
		msg = raw;
	}
	str_vis(dst, size, msg);
	json_decref(doc);
}

/* A failure: remember it, complain (once a while), and back off. */
static enum send_state
send_fail(struct sender *s, int refused, int64_t retry_after_s,
    int64_t now_ms, int64_t *next_ms)
{
	int64_t	 delay;

	s->refused = refused;
	delay = backoff_next_ms(&s->backoff);
	if (retry_after_s > 0 && retry_after_s * 1000 > delay)
		delay = retry_after_s * 1000 < s->backoff.max_ms ?
		    retry_after_s * 1000 : s->backoff.max_ms;
	*next_ms = now_ms + delay;
	log_complain(&s->complain, LOG_LEVEL_WARNING, "%s; reports are kept "
	    "in the spool and sent when it answers", s->last_error);
	return SEND_WAIT;
}

enum send_state
send_drain(struct sender *s, struct spool *sp, int64_t now_ms,
    int64_t *next_ms, size_t *delivered)
{
	struct http_request	 req;
	struct http_response	 resp;
	struct buf		 body;
	json_t			*doc;
	char			 err[512], why[256];
	size_t			 n;
	int64_t			 acc, dup, retry_after;
	long			 status;
	enum send_state		 state = SEND_EMPTY;
	int			 rc;

	*delivered = 0;
	*next_ms = now_ms;
	buf_init(&body, 0);
	while (spool_count(sp) > 0) {
		if ((rc = spool_batch(sp, s->one_by_one ? 1 :
		    s->batch_reports, s->batch_bytes, &body, &n, err,
		    sizeof err)) == -1) {
			/* The oldest could never be sent and is dropped. */
			continue;
		}
		if (rc == -2) {
			/* Reports go in order: they wait for it, as for a
			 * collector that does not answer. */
			snprintf(s->last_error, sizeof s->last_error, "%s",
			    err);
			/* Not the collector's fault: its backoff, shared by
			 * every spool this sender drains, is left alone. */
			*next_ms = now_ms + SEND_BLOCKED_RETRY_MS;
			log_complain(&s->complain, LOG_LEVEL_WARNING, "%s; it "
			    "and the reports after it are kept, and sent once "
			    "it can be read", err);
			state = SEND_BLOCKED;
			break;
		}
		if (n == 0)
			break;
		memset(&req, 0, sizeof req);
		req.method = "POST";
		req.url = s->url;
		req.body = body.data;
		req.body_len = body.len;
		req.content_type = "application/json";
		req.bearer_token = s->token;
		if (http_do(s->http, &req, &resp, err, sizeof err) == -1) {
			snprintf(s->last_error, sizeof s->last_error, "%s", err);
			http_response_free(&resp);
			state = send_fail(s, 0, -1, now_ms, next_ms);
			break;
		}
		if (resp.status == 200) {
			acc = dup = 0;
			doc = wjson_parse(buf_cstr(&resp.body), resp.body.len,
			    NULL, NULL, 0);
			if (doc != NULL) {
				acc = json_integer_value(json_object_get(doc,
				    "accepted"));
				dup = json_integer_value(json_object_get(doc,
				    "duplicates"));
			}
			json_decref(doc);
			if (acc + dup != (int64_t)n)
				log_warnx("POST %s: the collector acknowledged "
				    "%lld+%lld of %zu reports; taking the 200 "
				    "as acknowledging all", s->url,
				    (long long)acc, (long long)dup, n);
			if (dup > 0)
				log_info("%lld report%s already delivered "
				    "before (a replay)", (long long)dup,
				    dup == 1 ? " was" : "s were");
			http_response_free(&resp);
			spool_acknowledged(sp, n);
			*delivered += n;
			s->one_by_one = 0;
			s->refused = 0;
			s->last_error[0] = '\0';
			backoff_reset(&s->backoff);
			log_release(&s->complain, LOG_LEVEL_INFO, "the collector "
			    "at %s accepts reports again", s->url);
			continue;
		}
		send_reply_error(&resp, why, sizeof why);
		status = resp.status;
		retry_after = resp.retry_after_s;
		http_response_free(&resp);
		snprintf(s->last_error, sizeof s->last_error, "POST %s: %ld: %s",
		    s->url, status, why);
		if (status == 400 && n > 1) {
			/* One report in the batch is at fault: send them
			 * singly to find it, losing none of the others. */
			s->one_by_one = 1;
			continue;
		}
		if (status == 400 || (status == 413 && n == 1)) {
			/* This collector will never take it. */
			log_warnx("%s; dropping the report (counted in the "
			    "next report's \"dropped\")", s->last_error);
			spool_reject_oldest(sp);
			continue;
		}
		if (status == 413) {
			s->batch_reports = n / 2 > 0 ? n / 2 : 1;
			s->batch_bytes = body.len / 2 > 0 ? body.len / 2 : 1;
			log_info("POST %s: batch too large; sending at most %zu "
			    "reports at a time", s->url, s->batch_reports);
			continue;
		}
		/* 401, 403, 404: the token or the URL is wrong; 429, 5xx:
		 * busy or down. Either way, keep everything and wait. */
		state = send_fail(s, status >= 400 && status < 500 &&
		    status != 429 && status != 408, retry_after,
		    now_ms, next_ms);
		break;
	}
	buf_free(&body);
	return state;
}
