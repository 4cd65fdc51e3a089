/* http.c: HTTP(S) client over libcurl: one easy handle per client so
 * connections are reused, verified TLS, capped bodies, retries with backoff. */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/backoff.h"
#include "common/buf.h"
#include "common/http.h"
#include "common/str.h"
#include "common/xmalloc.h"

#define HTTP_DEFAULT_CONNECT_TIMEOUT_MS	(10 * 1000)
#define HTTP_DEFAULT_TIMEOUT_MS		(30 * 1000)
#define HTTP_DEFAULT_MAX_RESPONSE	(8 * 1024 * 1024)
#define HTTP_DEFAULT_MAX_ATTEMPTS	3
#define HTTP_DEFAULT_BACKOFF_INITIAL_MS	500
#define HTTP_DEFAULT_BACKOFF_MAX_MS	(30 * 1000)
#define HTTP_MAX_REDIRECTS		5L
/* Longer header values are dropped rather than truncated: a cut ETag or
 * date would be wrong, not just short. */
#define HTTP_HEADER_VALUE_MAX		1024

struct http_client {
	CURL		*curl;
	char		*ca_file;
	char		*client_cert;
	char		*client_key;
	char		*user_agent;
	int		 insecure_skip_verify;
	int64_t		 connect_timeout_ms;
	int64_t		 timeout_ms;
	size_t		 max_response_bytes;
	int		 max_attempts;
	int64_t		 backoff_initial_ms;
	int64_t		 backoff_max_ms;
	int		 follow_redirects;
	int		(*cancel)(void *);
	void		*cancel_arg;
	char		 errbuf[CURL_ERROR_SIZE];
};

/* State of one attempt, shared with the curl callbacks. */
struct http_xfer {
	CURL			*curl;
	struct http_response	*resp;
	size_t			 max;
	int			 checked_length;
	int			 too_big;
};

int
http_global_init(char *err, size_t errlen)
{
	CURLcode	rc;

	if ((rc = curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK) {
		snprintf(err, errlen, "curl_global_init: %s",
		    curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}

void
http_global_cleanup(void)
{
	curl_global_cleanup();
}

/* A file curl will open later is checked now, so a typo in the config is
 * reported at startup naming the option rather than at the first request. */
int
http_check_file(const char *what, const char *path, char *err, size_t errlen)
{
	struct stat	st;
	int		fd;

	if (*path == '\0') {
		snprintf(err, errlen, "%s: empty path", what);
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s %s: %s", what, path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s %s: %s", what, path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s %s: not a regular file", what, path);
		return -1;
	}
	return 0;
}

struct http_client *
http_client_new(const struct http_client_options *opts, char *err,
    size_t errlen)
{
	struct http_client	*c;

	if (opts->connect_timeout_ms < 0 || opts->timeout_ms < 0 ||
	    opts->max_attempts < 0 || opts->backoff_initial_ms < 0 ||
	    opts->backoff_max_ms < 0) {
		snprintf(err, errlen, "http client: negative timeout, attempt "
		    "count or backoff");
		return NULL;
	}
	if (opts->ca_file != NULL &&
	    http_check_file("ca_file", opts->ca_file, err, errlen) == -1)
		return NULL;
	if (opts->client_cert != NULL && http_check_file("client_cert",
	    opts->client_cert, err, errlen) == -1)
		return NULL;
	if (opts->client_key != NULL && http_check_file("client_key",
	    opts->client_key, err, errlen) == -1)
		return NULL;

	c = xcalloc(1, sizeof *c);
	if ((c->curl = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "http client: curl_easy_init failed");
		free(c);
		return NULL;
	}
	if (opts->ca_file != NULL)
		c->ca_file = xstrdup(opts->ca_file);
	if (opts->client_cert != NULL)
		c->client_cert = xstrdup(opts->client_cert);
	if (opts->client_key != NULL)
		c->client_key = xstrdup(opts->client_key);
	c->user_agent = xstrdup(opts->user_agent != NULL ? opts->user_agent :
	    "ward/" PACKAGE_VERSION);
	c->insecure_skip_verify = opts->insecure_skip_verify;
	c->connect_timeout_ms = opts->connect_timeout_ms > 0 ?
	    opts->connect_timeout_ms : HTTP_DEFAULT_CONNECT_TIMEOUT_MS;
	c->timeout_ms = opts->timeout_ms > 0 ?
	    opts->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS;
	c->max_response_bytes = opts->max_response_bytes > 0 ?
	    opts->max_response_bytes : HTTP_DEFAULT_MAX_RESPONSE;
	c->max_attempts = opts->max_attempts > 0 ?
	    opts->max_attempts : HTTP_DEFAULT_MAX_ATTEMPTS;
	c->backoff_initial_ms = opts->backoff_initial_ms > 0 ?
	    opts->backoff_initial_ms : HTTP_DEFAULT_BACKOFF_INITIAL_MS;
	c->backoff_max_ms = opts->backoff_max_ms > 0 ?
	    opts->backoff_max_ms : HTTP_DEFAULT_BACKOFF_MAX_MS;
	if (c->backoff_max_ms < c->backoff_initial_ms)
		c->backoff_max_ms = c->backoff_initial_ms;
	c->follow_redirects = opts->follow_redirects;
	c->cancel = opts->cancel;
	c->cancel_arg = opts->cancel_arg;
	return c;
}

void
http_client_free(struct http_client *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->curl);
	free(c->ca_file);
	free(c->client_cert);
	free(c->client_key);
	free(c->user_agent);
	free(c);
}

static void
http_response_clear_headers(struct http_response *resp)
{
	free(resp->content_type);
	free(resp->etag);
	free(resp->last_modified);
	resp->content_type = resp->etag = resp->last_modified = NULL;
	resp->retry_after_s = -1;
}

void
http_response_free(struct http_response *resp)
{
	if (resp == NULL)
		return;
	buf_free(&resp->body);
	http_response_clear_headers(resp);
	free(resp->effective_url);
	memset(resp, 0, sizeof *resp);
	resp->retry_after_s = -1;
}

/* url without any user:password@ (malloc'd), so credentials never reach an
 * error message or a log. */
static char *
http_url_display(const char *url)
{
	const char	*scheme_end, *host, *end, *at = NULL;
	char		*out;

	if (url == NULL)
		return xstrdup("(no URL)");
	if ((scheme_end = strstr(url, "://")) == NULL)
		return xstrdup(url);
	host = scheme_end + 3;
	end = host + strcspn(host, "/?#");
	for (const char *p = host; p < end; p++)
		if (*p == '@')
			at = p;
	if (at == NULL)
		return xstrdup(url);
	xasprintf(&out, "%.*s%s", (int)(host - url), url, at + 1);
	return out;
}

static size_t
http_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_xfer	*x = arg;
	size_t			 len = size * nmemb;
	curl_off_t		 cl;

	/* A declared length over the cap is refused before reading it. */
	if (!x->checked_length) {
		x->checked_length = 1;
		if (curl_easy_getinfo(x->curl,
		    CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) == CURLE_OK &&
		    cl > 0 && (uint64_t)cl > x->max) {
			x->too_big = 1;
			return 0;
		}
	}
	if (buf_append(&x->resp->body, data, len) == -1) {
		x->too_big = 1;
		return 0;
	}
	return len;
}

/* Retry-After: delay-seconds or an HTTP-date; -1 if neither. */
static int64_t
http_parse_retry_after(const char *v)
{
	int64_t	 secs;
	time_t	 when, now;
	char	 err[128];

	if (isdigit((unsigned char)*v)) {
		if (str_parse_int64(v, 0, INT32_MAX, &secs, err,
		    sizeof err) == -1)
			return -1;
		return secs;
	}
	if ((when = curl_getdate(v, NULL)) == -1)
		return -1;
	now = time(NULL);
	return when > now ? (int64_t)(when - now) : 0;
}

static size_t
http_header_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_xfer	*x = arg;
	struct http_response	*resp = x->resp;
	size_t			 len = size * nmemb, namelen;
	const char		*colon, *v, *end;
	char			*value, **slot;

	/* Each response in a redirect chain starts with a status line; only
	 * the last one's headers describe the body we keep. */
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		http_response_clear_headers(resp);
		return len;
	}
	if ((colon = memchr(data, ':', len)) == NULL)
		return len;
	namelen = (size_t)(colon - data);
	v = colon + 1;
	end = data + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' ||
	    end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if ((size_t)(end - v) > HTTP_HEADER_VALUE_MAX)
		return len;

	if (namelen == 12 && strncasecmp(data, "Content-Type", 12) == 0)
		slot = &resp->content_type;
	else if (namelen == 4 && strncasecmp(data, "ETag", 4) == 0)
		slot = &resp->etag;
	else if (namelen == 13 && strncasecmp(data, "Last-Modified", 13) == 0)
		slot = &resp->last_modified;
	else if (namelen == 11 && strncasecmp(data, "Retry-After", 11) == 0) {
		value = xstrndup(v, (size_t)(end - v));
		resp->retry_after_s = http_parse_retry_after(value);
		free(value);
		return len;
	} else
		return len;
	free(*slot);
	*slot = xstrndup(v, (size_t)(end - v));
	return len;
}

/* A header value with a line break would let a caller's string inject
 * headers of its own. */
static int
http_header_ok(const char *s)
{
	return strpbrk(s, "\r\n") == NULL;
}

static struct curl_slist *
http_slist_add(struct curl_slist *list, const char *line)
{
	struct curl_slist	*next;

	if ((next = curl_slist_append(list, line)) == NULL) {
		/* curl_slist_append only fails when malloc does. */
		fprintf(stderr, "curl_slist_append: out of memory\n");
		abort();
	}
	return next;
}

/* Overwrites every header line (one of them carries the token) before
 * handing the list back to curl's allocator. */
static void
http_slist_free_secret(struct curl_slist *list)
{
	for (struct curl_slist *l = list; l != NULL; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(list);
}

static struct curl_slist *
http_build_headers(const struct http_request *req, const char *url,
    char *err, size_t errlen)
{
	struct curl_slist	*list = NULL;
	const struct http_header *h;
	char			*line;

	/* Waiting for "100 Continue" only costs a round trip here. */
	list = http_slist_add(list, "Expect:");
	if (req->content_type != NULL) {
		if (!http_header_ok(req->content_type)) {
			snprintf(err, errlen, "%s %s: content type contains a "
			    "line break", req->method, url);
			goto fail;
		}
		xasprintf(&line, "Content-Type: %s", req->content_type);
		list = http_slist_add(list, line);
		free(line);
	}
	for (h = req->headers; h != NULL && h->name != NULL; h++) {
		if (!http_header_ok(h->name) || strchr(h->name, ':') != NULL ||
		    h->value == NULL || !http_header_ok(h->value)) {
			snprintf(err, errlen, "%s %s: header \"%.64s\" has a "
			    "bad name or value", req->method, url, h->name);
			goto fail;
		}
		xasprintf(&line, "%s: %s", h->name, h->value);
		list = http_slist_add(list, line);
		free(line);
	}
	if (req->bearer_token != NULL) {
		if (!http_header_ok(req->bearer_token)) {
			/* The token itself is never echoed. */
			snprintf(err, errlen, "%s %s: bearer token contains a "
			    "line break", req->method, url);
			goto fail;
		}
		xasprintf(&line, "Authorization: Bearer %s", req->bearer_token);
		list = http_slist_add(list, line);
		xfree_secret(line);
	}
	return list;

fail:
	http_slist_free_secret(list);
	return NULL;
}

int
http_tls_setup(void *curl, const char *ca_file)
{
	CURL		*h = curl;
	CURLcode	 rc;

	if ((rc = curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L)) !=
	    CURLE_OK ||
	    (ca_file != NULL && (rc = curl_easy_setopt(h, CURLOPT_CAINFO,
	    ca_file)) != CURLE_OK))
		return (int)rc;
	/* OpenSSL would otherwise take any certificate in ca_file as a
	 * trust anchor, a server's own leaf included. */
	return (int)curl_easy_setopt(h, CURLOPT_SSL_OPTIONS,
	    (long)CURLSSLOPT_NO_PARTIALCHAIN);
}

static int
http_cancelled(const struct http_client *c)
{
	return c->cancel != NULL && c->cancel(c->cancel_arg) != 0;
}

/* curl's progress callback: non-zero aborts the transfer. */
static int
http_xferinfo(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return http_cancelled(arg);
}

static CURLcode
http_setup(struct http_client *c, const struct http_request *req,
    struct curl_slist *headers, struct http_xfer *x)
{
	CURL		*h = c->curl;
	CURLcode	 rc = CURLE_OK;
	long		 timeout, connect_timeout;
	int		 https;

#define SET(opt, val) do {						\
	if ((rc = curl_easy_setopt(h, opt, val)) != CURLE_OK)		\
		return rc;						\
} while (0)

	curl_easy_reset(h);
	c->errbuf[0] = '\0';
	SET(CURLOPT_ERRORBUFFER, c->errbuf);
	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_NOSIGNAL, 1L);
	/* From https://, never a redirect to plain http: curl would send
	 * the request (and its headers) in the clear before the caller
	 * could refuse the answer. */
	https = strncasecmp(req->url, "https://", 8) == 0;
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	SET(CURLOPT_REDIR_PROTOCOLS, https ? (long)CURLPROTO_HTTPS :
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SET(CURLOPT_FOLLOWLOCATION, c->follow_redirects ? 1L : 0L);
	if (c->cancel != NULL) {
		SET(CURLOPT_XFERINFOFUNCTION, http_xferinfo);
		SET(CURLOPT_XFERINFODATA, c);
		SET(CURLOPT_NOPROGRESS, 0L);
	}
	SET(CURLOPT_MAXREDIRS, HTTP_MAX_REDIRECTS);

	if (c->insecure_skip_verify) {
		SET(CURLOPT_SSL_VERIFYPEER, 0L);
		SET(CURLOPT_SSL_VERIFYHOST, 0L);
	} else if ((rc = (CURLcode)http_tls_setup(h, c->ca_file)) !=
	    CURLE_OK)
		return rc;
	if (c->client_cert != NULL) {
		SET(CURLOPT_SSLCERT, c->client_cert);
		SET(CURLOPT_SSLCERTTYPE, "PEM");
	}
	if (c->client_key != NULL) {
		SET(CURLOPT_SSLKEY, c->client_key);
		SET(CURLOPT_SSLKEYTYPE, "PEM");
	}

	connect_timeout = c->connect_timeout_ms > LONG_MAX ? LONG_MAX :
	    (long)c->connect_timeout_ms;
	timeout = c->timeout_ms > LONG_MAX ? LONG_MAX : (long)c->timeout_ms;
	SET(CURLOPT_CONNECTTIMEOUT_MS, connect_timeout);
	SET(CURLOPT_TIMEOUT_MS, timeout);
	SET(CURLOPT_USERAGENT, c->user_agent);
	SET(CURLOPT_HTTPHEADER, headers);

	SET(CURLOPT_WRITEFUNCTION, http_write_cb);
	SET(CURLOPT_WRITEDATA, x);
	SET(CURLOPT_HEADERFUNCTION, http_header_cb);
	SET(CURLOPT_HEADERDATA, x);

	if (strcmp(req->method, "GET") == 0)
		SET(CURLOPT_HTTPGET, 1L);
	else if (strcmp(req->method, "HEAD") == 0)
		SET(CURLOPT_NOBODY, 1L);
	else {
		if (strcmp(req->method, "POST") == 0)
			SET(CURLOPT_POST, 1L);
		else
			SET(CURLOPT_CUSTOMREQUEST, req->method);
		if (req->body != NULL || strcmp(req->method, "POST") == 0) {
			SET(CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)(req->body != NULL ? req->body_len : 0));
			SET(CURLOPT_POSTFIELDS,
			    req->body != NULL ? req->body : "");
		}
	}
#undef SET
	return rc;
}

/* Failures that may pass by themselves; everything else (a certificate that
 * does not verify, a bad URL, an unsupported scheme) is configuration. */
static int
http_transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	/* Also a reset in the middle of the handshake; a certificate that
	 * does not verify is CURLE_PEER_FAILED_VERIFICATION instead. */
	case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

static int
http_status_retryable(long status)
{
	return status == 429 || (status >= 500 && status <= 599);
}

static void
http_sleep_ms(const struct http_client *c, int64_t ms)
{
	struct timespec	ts;
	int64_t		 slice;

	/* In slices, so a cancel is heard within 100 ms. */
	while (ms > 0 && !http_cancelled(c)) {
		slice = ms < 100 ? ms : 100;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)slice * 1000000L;
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
		ms -= slice;
	}
}

int
http_do(struct http_client *c, const struct http_request *req,
    struct http_response *resp, char *err, size_t errlen)
{
	struct curl_slist	*headers = NULL;
	struct http_xfer	 x;
	struct backoff		 bo;
	CURLcode		 rc = CURLE_OK;
	char			 after[48];
	char			*url, *eff;
	const char		*detail;
	int64_t			 delay_ms;
	int			 attempt, retry;

	memset(resp, 0, sizeof *resp);
	resp->retry_after_s = -1;
	buf_init(&resp->body, c->max_response_bytes);
	url = http_url_display(req->url);
	if (req->method == NULL || req->url == NULL) {
		snprintf(err, errlen, "%s: request without method or URL", url);
		goto fail;
	}
	if ((headers = http_build_headers(req, url, err, errlen)) == NULL)
		goto fail;
	backoff_init(&bo, c->backoff_initial_ms, c->backoff_max_ms);

	for (attempt = 1;; attempt++) {
		resp->attempts = attempt;
		resp->status = 0;
		buf_reset(&resp->body);
		http_response_clear_headers(resp);
		memset(&x, 0, sizeof x);
		x.curl = c->curl;
		x.resp = resp;
		x.max = c->max_response_bytes;

		if ((rc = http_setup(c, req, headers, &x)) == CURLE_OK)
			rc = curl_easy_perform(c->curl);
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE,
		    &resp->status);

		if (x.too_big)
			retry = 0;
		else if (rc != CURLE_OK)
			retry = http_transient(rc);
		else
			retry = http_status_retryable(resp->status);
		if (!retry || attempt >= c->max_attempts)
			break;

		delay_ms = backoff_next_ms(&bo);
		if (rc == CURLE_OK && resp->retry_after_s >= 0) {
			delay_ms = resp->retry_after_s >
			    c->backoff_max_ms / 1000 ? c->backoff_max_ms :
			    resp->retry_after_s * 1000;
		}
		http_sleep_ms(c, delay_ms);
		if (http_cancelled(c))
			break;
	}

	/* The list must not outlive the handle's reference to it. */
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	http_slist_free_secret(headers);

	after[0] = '\0';
	if (resp->attempts > 1)
		snprintf(after, sizeof after, " (after %d attempts)",
		    resp->attempts);
	if (x.too_big) {
		snprintf(err, errlen, "%s %s: response body larger than %zu "
		    "bytes%s", req->method, url, c->max_response_bytes, after);
		goto fail;
	}
	if (rc != CURLE_OK) {
		/* The error buffer usually says more than the code's text. */
		detail = c->errbuf[0] != '\0' &&
		    strcmp(c->errbuf, curl_easy_strerror(rc)) != 0 ?
		    c->errbuf : NULL;
		snprintf(err, errlen, "%s %s: %s%s%s%s", req->method, url,
		    curl_easy_strerror(rc), detail != NULL ? ": " : "",
		    detail != NULL ? detail : "", after);
		goto fail;
	}
	if (curl_easy_getinfo(c->curl, CURLINFO_EFFECTIVE_URL, &eff) ==
	    CURLE_OK && eff != NULL)
		resp->effective_url = http_url_display(eff);
	free(url);
	return 0;

fail:
	free(url);
	return -1;
}
