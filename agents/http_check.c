/* http_check.c: ward-netpoll's HTTP(S) URL checks, all in flight at once
 * through one curl multi handle: status, body, time, certificate expiry. */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "common/http.h"
#include "common/log.h"
#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "agents/agent.h"

#define HTTP_CHECK_WAIT_MAX_MS	250	/* how long a wait lasts at most */

enum http_check_state { HC_QUEUED, HC_RUNNING, HC_DONE };

struct http_check {
	struct http_check_spec	 spec;
	struct http_check_result res;
	enum http_check_state	 state;
	CURL			*curl;
	char			 errbuf[CURL_ERROR_SIZE];
	char			*body;	/* NUL-terminated; body_re only */
	size_t			 body_len;
	size_t			 body_alloc;
	int			 capped;	/* we stopped the transfer */
};

const char *
http_check_failure_name(enum http_check_failure f)
{
	static const char *const names[] = {
		"ok", "resolve", "connect", "timeout", "tls", "certificate",
		"protocol", "stopped",
	};

	if ((size_t)f >= sizeof names / sizeof names[0])
		return "unknown";
	return names[f];
}

struct http_check *
http_check_new(const struct http_check_spec *spec)
{
	struct http_check	*c = xcalloc(1, sizeof *c);

	c->spec = *spec;
	if (c->spec.body_max == 0)
		c->spec.body_max = 256 * 1024;
	if (c->spec.expect_status == 0)
		c->spec.expect_status = 200;
	c->res.body_matched = -1;
	return c;
}

void
http_check_free(struct http_check *c)
{
	if (c == NULL)
		return;
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	free(c->body);
	free(c);
}

const struct http_check_spec *
http_check_spec(const struct http_check *c)
{
	return &c->spec;
}

const struct http_check_result *
http_check_result(const struct http_check *c)
{
	return &c->res;
}

static void
http_check_fail(struct http_check *c, enum http_check_failure f,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
http_check_fail(struct http_check *c, enum http_check_failure f,
    const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(c->res.error, sizeof c->res.error, fmt, ap);
	va_end(ap);
	c->res.failure = f;
	c->state = HC_DONE;
}

/* The body: kept (up to body_max) only when a regex will look at it;
 * either way the transfer stops once body_max bytes came. */
static size_t
http_check_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_check	*c = arg;
	size_t			 n = size * nmemb, room, want;

	c->res.body_bytes += n;
	if (c->spec.body_re == NULL) {
		if (c->res.body_bytes <= c->spec.body_max)
			return n;
		c->capped = 1;
		return 0;
	}
	room = c->spec.body_max - c->body_len;
	want = n < room ? n : room;
	if (c->body_len + want + 1 > c->body_alloc) {
		c->body_alloc = c->body_alloc == 0 ? 16384 : c->body_alloc;
		while (c->body_alloc < c->body_len + want + 1)
			c->body_alloc *= 2;
		if (c->body_alloc > c->spec.body_max + 1)
			c->body_alloc = c->spec.body_max + 1;
		c->body = xreallocarray(c->body, c->body_alloc, 1);
	}
	memcpy(c->body + c->body_len, data, want);
	c->body_len += want;
	c->body[c->body_len] = '\0';
	if (want < n) {
		c->capped = 1;
		return 0;
	}
	return n;
}

static CURLcode
http_check_setup(struct http_check *c, CURL *h)
{
	CURLcode	 rc;
	long		 timeout;

#define SET(opt, val) do {						\
	if ((rc = curl_easy_setopt(h, opt, val)) != CURLE_OK)		\
		return rc;						\
} while (0)

	timeout = c->spec.timeout_ms > LONG_MAX ? LONG_MAX :
	    (long)c->spec.timeout_ms;
	SET(CURLOPT_ERRORBUFFER, c->errbuf);
	SET(CURLOPT_PRIVATE, (void *)c);
	SET(CURLOPT_URL, c->spec.url);
	SET(CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_HTTPGET, 1L);
	if ((rc = (CURLcode)http_tls_setup(h, c->spec.ca_file)) != CURLE_OK)
		return rc;
	/* A monitor measures what a new visitor gets: its own connection
	 * and a full handshake, so the certificate is there to read. */
	SET(CURLOPT_CERTINFO, 1L);
	SET(CURLOPT_FRESH_CONNECT, 1L);
	SET(CURLOPT_FORBID_REUSE, 1L);
	SET(CURLOPT_SSL_SESSIONID_CACHE, 0L);
	SET(CURLOPT_TIMEOUT_MS, timeout);
	SET(CURLOPT_CONNECTTIMEOUT_MS, timeout);
	SET(CURLOPT_USERAGENT, "ward-netpoll/" PACKAGE_VERSION);
	SET(CURLOPT_WRITEFUNCTION, http_check_write);
	SET(CURLOPT_WRITEDATA, c);
#undef SET
	return CURLE_OK;
}

static int
http_check_start(struct http_check *c, CURLM *multi)
{
	CURLcode	 rc;
	CURLMcode	 mrc;

	c->errbuf[0] = '\0';
	if ((c->curl = curl_easy_init()) == NULL) {
		http_check_fail(c, HTTP_FAIL_PROTOCOL, "cannot start curl");
		return -1;
	}
	if ((rc = http_check_setup(c, c->curl)) != CURLE_OK) {
		http_check_fail(c, HTTP_FAIL_PROTOCOL, "cannot set up the "
		    "request: %s", curl_easy_strerror(rc));
		return -1;
	}
	if ((mrc = curl_multi_add_handle(multi, c->curl)) != CURLM_OK) {
		http_check_fail(c, HTTP_FAIL_PROTOCOL, "cannot start the "
		    "request: %s", curl_multi_strerror(mrc));
		return -1;
	}
	c->state = HC_RUNNING;
	return 0;
}

static int
http_check_month(const char *s)
{
	static const char *const months[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
		"Oct", "Nov", "Dec"
	};
	int	 i;

	for (i = 0; i < 12; i++)
		if (strncmp(s, months[i], 3) == 0)
			return i + 1;
	return 0;
}

/* Reads an unsigned decimal of 1 to max digits at *p. */
static int
http_check_digits(const char **p, int max, int *out)
{
	int	 n = 0, v = 0;

	while (n < max && isdigit((unsigned char)(*p)[n])) {
		v = v * 10 + ((*p)[n] - '0');
		n++;
	}
	if (n == 0)
		return -1;
	*p += n;
	*out = v;
	return 0;
}

static int
http_check_expect(const char **p, char ch)
{
	if (**p != ch)
		return -1;
	(*p)++;
	return 0;
}

int
http_check_cert_time(const char *text, int64_t *unix_s)
{
	const char	*p = text;
	int64_t		 days;
	unsigned	 m2, d2;
	int		 y, mo, d, hh, mm, ss, frac, y2;

	while (*p == ' ')
		p++;
	if ((mo = http_check_month(p)) != 0 && p[3] == ' ') {
		/* OpenSSL: "Mar  6 12:00:00 2026 GMT" */
		p += 3;
		while (*p == ' ')
			p++;
		if (http_check_digits(&p, 2, &d) == -1 ||
		    http_check_expect(&p, ' ') == -1 ||
		    http_check_digits(&p, 2, &hh) == -1 ||
		    http_check_expect(&p, ':') == -1 ||
		    http_check_digits(&p, 2, &mm) == -1 ||
		    http_check_expect(&p, ':') == -1 ||
		    http_check_digits(&p, 2, &ss) == -1)
			return -1;
		if (*p == '.') {
			p++;
			if (http_check_digits(&p, 9, &frac) == -1)
				return -1;
		}
		if (http_check_expect(&p, ' ') == -1 ||
		    http_check_digits(&p, 4, &y) == -1)
			return -1;
	} else {
		/* curl's own decoder: "2026-03-06 12:00:00 GMT" */
		if (http_check_digits(&p, 4, &y) == -1 ||
		    http_check_expect(&p, '-') == -1 ||
		    http_check_digits(&p, 2, &mo) == -1 ||
		    http_check_expect(&p, '-') == -1 ||
		    http_check_digits(&p, 2, &d) == -1 ||
		    http_check_expect(&p, ' ') == -1 ||
		    http_check_digits(&p, 2, &hh) == -1 ||
		    http_check_expect(&p, ':') == -1 ||
		    http_check_digits(&p, 2, &mm) == -1 ||
		    http_check_expect(&p, ':') == -1 ||
		    http_check_digits(&p, 2, &ss) == -1)
			return -1;
		if (*p == '.') {
			p++;
			if (http_check_digits(&p, 9, &frac) == -1)
				return -1;
		}
	}
	while (*p == ' ')
		p++;
	if (strcmp(p, "GMT") != 0 && strcmp(p, "Z") != 0 &&
	    strcmp(p, "UTC") != 0 && *p != '\0')
		return -1;
	if (y < 1950 || mo < 1 || mo > 12 || d < 1 || d > 31 || hh > 23 ||
	    mm > 59 || ss > 60)
		return -1;
	/* A day past the month's end (Feb 30) is not a date. */
	days = wtime_days_from_civil(y, (unsigned)mo, (unsigned)d);
	wtime_civil_from_days(days, &y2, &m2, &d2);
	if (y2 != y || (int)m2 != mo || (int)d2 != d)
		return -1;
	*unix_s = days * 86400 + hh * 3600 + mm * 60 + ss;
	return 0;
}

/* The chain the server sent, from curl's certinfo: the soonest expiry. */
static void
http_check_certs(struct http_check *c, int64_t now_s)
{
	struct curl_certinfo	*ci = NULL;
	struct curl_slist	*s;
	const char		*expire, *subject;
	int64_t			 t;
	double			 days;
	int			 i;

	if (curl_easy_getinfo(c->curl, CURLINFO_CERTINFO, &ci) != CURLE_OK ||
	    ci == NULL)
		return;
	for (i = 0; i < ci->num_of_certs; i++) {
		expire = subject = NULL;
		for (s = ci->certinfo[i]; s != NULL; s = s->next) {
			if (str_has_prefix(s->data, "Expire date:"))
				expire = s->data + 12;
			else if (str_has_prefix(s->data, "Subject:"))
				subject = s->data + 8;
		}
		if (expire == NULL || http_check_cert_time(expire, &t) == -1) {
			log_debug("%s: certificate %d: no expiry date curl "
			    "could give", c->spec.name, i);
			continue;
		}
		days = (double)(t - now_s) / 86400.0;
		if (c->res.has_cert && days >= c->res.cert_days_left)
			continue;
		c->res.has_cert = 1;
		c->res.cert_days_left = days;
		c->res.cert_expiry_s = t;
		c->res.cert_is_leaf = i == 0;
		str_copy(c->res.cert_subject, subject != NULL ?
		    subject : "", sizeof c->res.cert_subject);
	}
}

static enum http_check_failure
http_check_classify(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return HTTP_FAIL_RESOLVE;
	case CURLE_COULDNT_CONNECT:
		return HTTP_FAIL_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return HTTP_FAIL_TIMEOUT;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
		return HTTP_FAIL_CERTIFICATE;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_USE_SSL_FAILED:
		return HTTP_FAIL_TLS;
	default:
		return HTTP_FAIL_PROTOCOL;
	}
}

/* Failures that come after the server took the connection: curl keeps no
 * connect time for a transfer whose TLS handshake failed. */
static int
http_check_spoke(CURLcode rc)
{
	switch (http_check_classify(rc)) {
	case HTTP_FAIL_TLS:
	case HTTP_FAIL_CERTIFICATE:
		return 1;
	default:
		break;
	}
	switch (rc) {
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_BAD_CONTENT_ENCODING:
		return 1;
	default:
		return 0;
	}
}

static void
http_check_finish(struct http_check *c, CURLcode rc)
{
	curl_off_t	 t;
	long		 status = 0;
	regmatch_t	 m[1];
	char		 limit[32];
	int		 ok;

	c->state = HC_DONE;
	if (curl_easy_getinfo(c->curl, CURLINFO_TOTAL_TIME_T, &t) == CURLE_OK)
		c->res.time_s = (double)t / 1e6;
	if ((curl_easy_getinfo(c->curl, CURLINFO_CONNECT_TIME_T, &t) ==
	    CURLE_OK && t > 0) || http_check_spoke(rc))
		c->res.connected = 1;
	http_check_certs(c, wtime_now_ms() / 1000);
	/* Stopping at body_max is our choice, not a failure. */
	ok = rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && c->capped);
	if (ok && (curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE,
	    &status) != CURLE_OK || status == 0)) {
		http_check_fail(c, HTTP_FAIL_PROTOCOL, "no HTTP status in the "
		    "answer");
		return;
	}
	if (!ok) {
		if (rc == CURLE_OPERATION_TIMEDOUT) {
			str_format_duration_ms(limit, sizeof limit,
			    c->spec.timeout_ms);
			http_check_fail(c, HTTP_FAIL_TIMEOUT, "%s within %s",
			    c->res.connected ? "connected, but no complete "
			    "answer" : "no connection", limit);
		} else
			http_check_fail(c, http_check_classify(rc), "%s",
			    c->errbuf[0] != '\0' ? c->errbuf :
			    curl_easy_strerror(rc));
		return;
	}
	c->res.status = status;
	c->res.body_truncated = c->capped;
	if (c->spec.body_re == NULL)
		return;
#ifdef REG_STARTEND
	/* The whole body, NUL bytes and all. */
	m[0].rm_so = 0;
	m[0].rm_eo = (regoff_t)c->body_len;
	c->res.body_matched = regexec(c->spec.body_re, c->body != NULL ?
	    c->body : "", 1, m, REG_STARTEND) == 0;
#else
	(void)m;
	c->res.body_matched = regexec(c->spec.body_re, c->body != NULL ?
	    c->body : "", 0, NULL, 0) == 0;
#endif
}

void
http_check_run(struct http_check **checks, size_t n, size_t max_in_flight,
    int (*stop)(void))
{
	CURLM			*multi;
	CURLMsg			*msg;
	struct http_check	*c;
	char			*priv;
	size_t			 next = 0, active = 0, i;
	int			 running, left;

	if (n == 0)
		return;
	if (max_in_flight == 0)
		max_in_flight = 1;
	if ((multi = curl_multi_init()) == NULL) {
		for (i = 0; i < n; i++)
			http_check_fail(checks[i], HTTP_FAIL_PROTOCOL,
			    "cannot start curl");
		return;
	}
	while (next < n || active > 0) {
		if (stop != NULL && stop())
			break;
		while (active < max_in_flight && next < n)
			if (http_check_start(checks[next++], multi) == 0)
				active++;
		if (active == 0)
			continue;
		(void)curl_multi_perform(multi, &running);
		while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			priv = NULL;
			(void)curl_easy_getinfo(msg->easy_handle,
			    CURLINFO_PRIVATE, &priv);
			if ((c = (struct http_check *)(void *)priv) == NULL)
				continue;
			http_check_finish(c, msg->data.result);
			curl_multi_remove_handle(multi, c->curl);
			curl_easy_cleanup(c->curl);
			c->curl = NULL;
			active--;
		}
		if (active > 0)
			(void)curl_multi_poll(multi, NULL, 0,
			    HTTP_CHECK_WAIT_MAX_MS, NULL);
	}
	for (i = 0; i < n; i++) {
		c = checks[i];
		if (c->curl != NULL) {
			curl_multi_remove_handle(multi, c->curl);
			curl_easy_cleanup(c->curl);
			c->curl = NULL;
		}
		if (c->state != HC_DONE)
			http_check_fail(c, HTTP_FAIL_STOPPED, "stopped before "
			    "the check ended");
	}
	curl_multi_cleanup(multi);
}

int
http_check_reached(const struct http_check_result *res)
{
	return res->connected || res->status != 0;
}

int
http_check_report(const struct http_check_spec *spec,
    const struct http_check_result *res, struct report *r, char *out,
    size_t outlen)
{
	char	 name[128], text[1024], cert[512] = "", perf[256] = "";
	char	 when[WTIME_ISO8601_LEN], warn[32] = "", limit[32];
	int	 status;

	snprintf(name, sizeof name, "http.%s", spec->name);
	if (res->has_cert) {
		wtime_format_iso8601(when, sizeof when,
		    res->cert_expiry_s * 1000);
		snprintf(cert, sizeof cert, "; certificate%s%s expires %s "
		    "(in %.1f days)", res->cert_is_leaf ? "" : " ",
		    res->cert_is_leaf ? "" : res->cert_subject, when,
		    res->cert_days_left);
	}
	if (spec->warning_ms > 0)
		snprintf(warn, sizeof warn, "%.3f",
		    (double)spec->warning_ms / 1000.0);
	if (res->failure != HTTP_FAIL_NONE) {
		status = CHECK_CRITICAL;
		snprintf(text, sizeof text, "HTTP %s: %s",
		    http_check_failure_name(res->failure), res->error);
	} else if (res->status != spec->expect_status) {
		status = CHECK_CRITICAL;
		snprintf(text, sizeof text, "HTTP status: %ld, expected %ld "
		    "(%.3fs)%s", res->status, spec->expect_status, res->time_s,
		    cert);
	} else if (res->body_matched == 0) {
		status = CHECK_CRITICAL;
		snprintf(text, sizeof text, "HTTP body: no match for /%s/ in "
		    "%s%zu bytes (%ld in %.3fs)%s", spec->body_regex != NULL ?
		    spec->body_regex : "", res->body_truncated ? "the first " :
		    "", res->body_truncated ? spec->body_max : res->body_bytes,
		    res->status, res->time_s, cert);
	} else if (spec->warning_ms > 0 && res->time_s * 1000.0 >
	    (double)spec->warning_ms) {
		status = CHECK_WARNING;
		str_format_duration_ms(limit, sizeof limit, spec->warning_ms);
		snprintf(text, sizeof text, "HTTP slow: %ld in %.3fs, slower "
		    "than %s%s", res->status, res->time_s, limit, cert);
	} else {
		status = CHECK_OK;
		snprintf(text, sizeof text, "HTTP OK: %ld in %.3fs%s%s%s%s",
		    res->status, res->time_s, res->body_matched == 1 ?
		    "; body matches /" : "", res->body_matched == 1 &&
		    spec->body_regex != NULL ? spec->body_regex : "",
		    res->body_matched == 1 ? "/" : "", cert);
	}
	if (res->status != 0)
		snprintf(perf, sizeof perf, "time=%.6fs;%s;%.3f;0 size=%zuB",
		    res->time_s, warn, (double)spec->timeout_ms / 1000.0,
		    res->body_bytes);
	report_check(r, name, status, text, perf);
	if (res->status != 0) {
		report_metric(r, "http.response_time_s", res->time_s, "s",
		    "check", spec->name, NULL);
		report_metric(r, "http.status", (double)res->status, NULL,
		    "check", spec->name, NULL);
	}
	if (res->has_cert)
		report_metric(r, "http.cert_days_left", res->cert_days_left,
		    "days", "check", spec->name, NULL);
	if (out != NULL)
		str_copy(out, text, outlen);
	return status;
}

void
http_check_alive(struct report *r, size_t reached, size_t n, const char *why)
{
	char	 out[1024];

	if (reached > 0) {
		snprintf(out, sizeof out, "the server answers (%zu of %zu "
		    "HTTP check%s got through)", reached, n, n == 1 ? "" : "s");
		report_check(r, "alive", CHECK_OK, out, NULL);
		return;
	}
	snprintf(out, sizeof out, "no HTTP check reached the server: %s",
	    why != NULL && *why != '\0' ? why : "no answer");
	report_check(r, "alive", CHECK_CRITICAL, out, NULL);
}
