/* test_http.c: the HTTP client against real local servers (libmicrohttpd,
 * HTTPS with a throwaway CA made by the openssl command at start). */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include <microhttpd.h>

#include "common/http.h"
#include "common/xmalloc.h"
#include "tests/unit/testutil.h"

static char	*ca_file;		/* signed the server certificate */
static char	*other_ca_file;		/* unrelated */
static char	*server_key_pem;
static char	*server_cert_pem;

#define BIG_SIZE	2000
#define CHUNKED_SIZE	4096

/* What the server saw; read by the test only after ts_stop, which joins
 * the server's threads. */
struct tserver {
	struct MHD_Daemon *d;
	unsigned	 port;
	int		 hits;
	int		 release;
	char		 method[16];
	char		 auth[256];
	char		 content_type[128];
	char		 user_agent[128];
	char		 x_test[64];
	char		 body[1024];
	size_t		 body_len;
};

/* Where /redirect-plain sends: a plain http:// URL. */
static char	 redirect_plain[128];

static void
copy_header(struct MHD_Connection *conn, const char *name, char *dst,
    size_t size)
{
	const char	*v;

	v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
	snprintf(dst, size, "%s", v != NULL ? v : "");
}

/* Lets a stalled handler go on at most cap_ms after it started waiting. */
static void
wait_release(struct tserver *ts, int cap_ms)
{
	for (int waited = 0; waited < cap_ms; waited += 10) {
		if (__atomic_load_n(&ts->release, __ATOMIC_SEQ_CST))
			return;
		usleep(10 * 1000);
	}
}

static ssize_t
stall_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct tserver	*ts = cls;

	if (pos == 0 && max >= 10) {
		memset(buf, 'z', 10);
		return 10;
	}
	wait_release(ts, 3000);
	return MHD_CONTENT_READER_END_WITH_ERROR;
}

static ssize_t
chunked_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	size_t	n = 256;

	(void)cls;
	if (pos >= CHUNKED_SIZE)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (n > max)
		n = max;
	if (n > CHUNKED_SIZE - pos)
		n = (size_t)(CHUNKED_SIZE - pos);
	memset(buf, 'y', n);
	return (ssize_t)n;
}

/* hdrs: name, value, ..., NULL */
static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned status, const char *body,
    size_t len, const char *const *hdrs)
{
	struct MHD_Response	*r;
	enum MHD_Result		 ret;

	r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body,
	    MHD_RESPMEM_MUST_COPY);
	for (; hdrs != NULL && hdrs[0] != NULL; hdrs += 2)
		MHD_add_response_header(r, hdrs[0], hdrs[1]);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
reply_callback(struct MHD_Connection *conn, uint64_t size,
    MHD_ContentReaderCallback cb, void *cls)
{
	struct MHD_Response	*r;
	enum MHD_Result		 ret;

	r = MHD_create_response_from_callback(size, 1024, cb, cls, NULL);
	ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
ts_handler(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	static int		 started;
	struct tserver		*ts = cls;
	static char		 big[BIG_SIZE];
	static char		 long_etag[5002];
	int			 hits;
	size_t			 n;

	(void)version;
	if (*con_cls == NULL) {
		*con_cls = &started;
		__atomic_add_fetch(&ts->hits, 1, __ATOMIC_SEQ_CST);
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		n = *upload_data_size;
		if (n > sizeof ts->body - ts->body_len)
			n = sizeof ts->body - ts->body_len;
		memcpy(ts->body + ts->body_len, upload_data, n);
		ts->body_len += n;
		*upload_data_size = 0;
		return MHD_YES;
	}
	hits = __atomic_load_n(&ts->hits, __ATOMIC_SEQ_CST);

	if (strcmp(url, "/ok") == 0) {
		static const char *const h[] = {
			"Content-Type", "text/plain; charset=utf-8",
			"ETag", "\"v1-abc\"",
			"Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT",
			NULL };
		return reply(conn, 200, "hello ward", 10, h);
	}
	if (strcmp(url, "/big") == 0) {
		memset(big, 'x', sizeof big);
		return reply(conn, 200, big, sizeof big, NULL);
	}
	if (strcmp(url, "/big-stall") == 0)
		return reply_callback(conn, BIG_SIZE, stall_reader, ts);
	if (strcmp(url, "/big-chunked") == 0)
		return reply_callback(conn, MHD_SIZE_UNKNOWN, chunked_reader,
		    NULL);
	if (strcmp(url, "/flaky") == 0) {
		if (hits <= 2)
			return reply(conn, 503, "later", 5, NULL);
		return reply(conn, 200, "finally", 7, NULL);
	}
	if (strcmp(url, "/down") == 0)
		return reply(conn, 503, "down", 4, NULL);
	if (strcmp(url, "/missing") == 0)
		return reply(conn, 404, "no such thing", 13, NULL);
	if (strcmp(url, "/busy") == 0) {
		static const char *const h[] = { "Retry-After", "0", NULL };
		if (hits == 1)
			return reply(conn, 429, "slow down", 9, h);
		return reply(conn, 200, "ok now", 6, NULL);
	}
	if (strcmp(url, "/throttle") == 0) {
		static const char *const h[] = { "Retry-After", "7", NULL };
		return reply(conn, 429, "", 0, h);
	}
	if (strcmp(url, "/throttle-date") == 0) {
		static const char *const h[] = {
			"Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT", NULL };
		return reply(conn, 429, "", 0, h);
	}
	if (strcmp(url, "/slow") == 0) {
		wait_release(ts, 2000);
		return reply(conn, 200, "late", 4, NULL);
	}
	if (strcmp(url, "/echo") == 0) {
		snprintf(ts->method, sizeof ts->method, "%s", method);
		copy_header(conn, "Authorization", ts->auth, sizeof ts->auth);
		copy_header(conn, "Content-Type", ts->content_type,
		    sizeof ts->content_type);
		copy_header(conn, "User-Agent", ts->user_agent,
		    sizeof ts->user_agent);
		copy_header(conn, "X-Ward-Test", ts->x_test, sizeof ts->x_test);
		return reply(conn, 201, "created", 7, NULL);
	}
	if (strcmp(url, "/redirect") == 0) {
		static const char *const h[] = { "Location", "/ok", NULL };
		return reply(conn, 302, "", 0, h);
	}
	if (strcmp(url, "/redirect-plain") == 0) {
		const char	*h[] = { "Location", redirect_plain, NULL };

		return reply(conn, 302, "", 0, h);
	}
	if (strcmp(url, "/redirect-ftp") == 0) {
		static const char *const h[] = {
			"Location", "ftp://127.0.0.1/pub/x", NULL };
		return reply(conn, 302, "", 0, h);
	}
	if (strcmp(url, "/long-etag") == 0) {
		const char	*h[] = { "Content-Type", "text/plain",
		    "ETag", long_etag, NULL };
		memset(long_etag, 'e', sizeof long_etag - 1);
		long_etag[sizeof long_etag - 1] = '\0';
		return reply(conn, 200, "x", 1, h);
	}
	return reply(conn, 500, "unknown path", 12, NULL);
}

static void
ts_start(struct tserver *ts, int tls)
{
	struct sockaddr_in		 sin;
	const union MHD_DaemonInfo	*info;
	unsigned			 flags;

	memset(ts, 0, sizeof *ts);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* A thread per connection, so a stalled handler holds up only its
	 * own request. */
	flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION;
	if (tls)
		ts->d = MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL,
		    ts_handler, ts, MHD_OPTION_SOCK_ADDR, &sin,
		    MHD_OPTION_HTTPS_MEM_KEY, server_key_pem,
		    MHD_OPTION_HTTPS_MEM_CERT, server_cert_pem,
		    MHD_OPTION_END);
	else
		ts->d = MHD_start_daemon(flags, 0, NULL, NULL, ts_handler, ts,
		    MHD_OPTION_SOCK_ADDR, &sin, MHD_OPTION_END);
	assert_non_null(ts->d);
	info = MHD_get_daemon_info(ts->d, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	ts->port = info->port;
	assert_true(ts->port > 0);
}

static void
ts_stop(struct tserver *ts)
{
	__atomic_store_n(&ts->release, 1, __ATOMIC_SEQ_CST);
	MHD_stop_daemon(ts->d);
	ts->d = NULL;
}

static char *
url_for(const struct tserver *ts, const char *scheme, const char *path)
{
	char	*u;

	xasprintf(&u, "%s://127.0.0.1:%u%s", scheme, ts->port, path);
	return u;
}

/* A port nothing listens on: bound then closed. */
static unsigned
closed_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;
	int			fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

/* Options for quick tests: small backoff so retries cost milliseconds. */
static struct http_client_options
quick_opts(const char *ca)
{
	struct http_client_options	o;

	memset(&o, 0, sizeof o);
	o.ca_file = ca;
	o.max_attempts = 3;
	o.backoff_initial_ms = 10;
	o.backoff_max_ms = 20;
	o.timeout_ms = 5000;
	return o;
}

static struct http_client *
new_client(const struct http_client_options *o)
{
	struct http_client	*c;
	char			 err[512] = "";

	c = http_client_new(o, err, sizeof err);
	if (c == NULL)
		fail_msg("http_client_new: %s", err);
	return c;
}

static int
get(struct http_client *c, const char *url, struct http_response *resp,
    char *err, size_t errlen)
{
	struct http_request	req;

	memset(&req, 0, sizeof req);
	req.method = "GET";
	req.url = url;
	err[0] = '\0';
	return http_do(c, &req, resp, err, errlen);
}

static void
test_get_https(void **state)
{
	struct tserver		 ts;
	struct http_client_options o = quick_opts(ca_file);
	struct http_client	*c;
	struct http_response	 resp;
	char			 err[512];
	char			*url;

	(void)state;
	ts_start(&ts, 1);
	c = new_client(&o);
	url = url_for(&ts, "https", "/ok");

	assert_int_equal(get(c, url, &resp, err, sizeof err), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.body.len, 10);
	assert_string_equal(buf_cstr(&resp.body), "hello ward");
	assert_string_equal(resp.content_type, "text/plain; charset=utf-8");
	assert_string_equal(resp.etag, "\"v1-abc\"");
	assert_string_equal(resp.last_modified,
	    "Wed, 21 Oct 2015 07:28:00 GMT");
	assert_int_equal(resp.retry_after_s, -1);
	assert_int_equal(resp.attempts, 1);
	assert_string_equal(resp.effective_url, url);
	http_response_free(&resp);

	/* The same client again: the handle is reused and state is fresh. */
	assert_int_equal(get(c, url, &resp, err, sizeof err), 0);
	assert_int_equal(resp.status, 200);
	assert_string_equal(buf_cstr(&resp.body), "hello ward");
	http_response_free(&resp);

	http_client_free(c);
	ts_stop(&ts);
	assert_int_equal(ts.hits, 2);
	free(url);
}

static void
test_wrong_ca_not_retried(void **state)
{
	struct tserver		 ts;
	struct http_client_options o = quick_opts(other_ca_file);
	struct http_client	*c;
	struct http_response	 resp;
	char			 err[512], *url, *want;

	(void)state;
	ts_start(&ts, 1);
	c = new_client(&o);
	url = url_for(&ts, "https", "/ok");

	assert_int_equal(get(c, url, &resp, err, sizeof err), -1);
	xasprintf(&want, "GET %s: SSL peer certificate", url);
	assert_contains(err, want);
	assert_contains(err, "certificate problem");
	assert_not_contains(err, "attempts");
	assert_int_equal(resp.attempts, 1);
	assert_int_equal(resp.status, 0);
	http_response_free(&resp);

	http_client_free(c);
	ts_stop(&ts);
	assert_int_equal(ts.hits, 0);
	free(want);
	free(url);
}

static void
test_system_store_rejects_test_ca(void **state)
{
	struct tserver		 ts;
	struct http_client_options o = quick_opts(NULL);
	struct http_client	*c;
	struct http_response	 resp;
	char			 err[512], *url;

	(void)state;
	ts_start(&ts, 1);
	c = new_client(&o);
	url = url_for(&ts, "https", "/ok");

	assert_int_equal(get(c, url, &resp, err, sizeof err), -1);
	assert_contains(err, url);
	assert_contains(err, "certificate");
	assert_int_equal(resp.attempts, 1);
	http_response_free(&resp);

	http_client_free(c);
	ts_stop(&ts);
	assert_int_equal(ts.hits, 0);
	free(url);
}

static void
test_insecure_skip_verify(void **state)
{
	struct tserver		 ts;
	struct http_client_options o = quick_opts(NULL);
	struct http_client	*c;
	struct http_response	 resp;
	char			 err[512], *url;

	(void)state;
	o.insecure_skip_verify = 1;
	ts_start(&ts, 1);
	c = new_client(&o);
	url = url_for(&ts, "https", "/ok");

	assert_int_equal(get(c, url, &resp, err, sizeof err), 0);
	assert_int_equal(resp.status, 200);
	assert_string_equal(buf_cstr(&resp.body), "hello ward");
	http_response_free(&resp);

	http_client_free(c);
	ts_stop(&ts);
	free(url);
}

static void
test_client_new_bad_files(void **state)
{
	struct http_client_options o = quick_opts(NULL);
	char		 err[512];
	char		*missing;

	(void)state;
	missing = tu_path(tu_tmpdir(), "no-such-ca.pem");

	o.ca_file = missing;
	err[0] = '\0';
	assert_null(http_client_new(&o, err, sizeof err));
	assert_contains(err, "ca_file");
	assert_contains(err, missing);
	assert_contains(err, "No such file or directory");

	o.ca_file = ca_file;
	o.client_cert = missing;
	assert_null(http_client_new(&o, err, sizeof err));
	assert_contains(err, "client_cert");
	assert_contains(err, missing);

	o.client_cert = NULL;
	o.client_key = missing;
	assert_null(http_client_new(&o, err, sizeof err));
	assert_contains(err, "client_key");
	assert_contains(err, missing);

	o.client_key = NULL;
	o.ca_file = tu_tmpdir();
	assert_null(http_client_new(&o, err, sizeof err));
	assert_contains(err, tu_tmpdir());
	assert_contains(err, "not a regular file");

	o.ca_file = NULL;
	o.timeout_ms = -1;
	assert_null(http_client_new(&o, err, sizeof err));
	assert_contains(err, "negative");

	free(missing);
}

static void
test_oversize_with_length(void **state)
{
	struct tserver		 ts;
	struct http_client_options o = quick_opts(ca_file);
	struct http_client	*c;
	struct http_response	 resp;
	struct http_request	 req;
	char			 err[512], *url, *want;

	(void)state;
	o.max_response_bytes = 1000;
	ts_start(&ts, 1);
	c = new_client(&o);

	url = url_for(&ts, "https", "/big");
	assert_int_equal(get(c, url, &resp, err, sizeof err), -1);
	xasprintf(&want, "GET %s: response body larger than 1000 bytes", url);
	assert_string_equal(err, want);
	assert_int_equal(resp.attempts, 1);
	http_response_free(&resp);
	free(want);
	free(url);

	/*
	 * The server declares 2000 bytes, sends 10 and stalls: only a client
	 * that trusts Content-Length refuses at once; one that waits for the
	 * bytes would hit the timeout instead.
	 */
	url = url_for(&ts, "https", "/big-stall");
	assert_int_equal(get(c, url, &resp, err, sizeof err), -1);
	xasprintf(&want, "GET %s: response body larger than 1000 bytes", url);
	assert_string_equal(err, want);
	assert_int_equal(resp.attempts, 1);
	http_response_free(&resp);
	free(want);

	/* HEAD gets the length but no body: nothing to refuse. */
	free(url);
	url = url_for(&ts, "https", "/big");
	memset(&req, 0, sizeof req);
	req.method = "HEAD";
	req.url = url;
	assert_int_equal(http_do(c, &req, &resp, err, sizeof err), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.body.len, 0);
	http_response_free(&resp);

	http_client_free(c);
	ts_stop(&ts);
	assert_int_equal(ts.hits, 3);
	free(url);
}

static void
test_oversize_chunked(void **state)
{
	struct tserver		 ts;
	struct http_client_options o = quick_opts(ca_file);
	struct http_client	*c;
	struct http_response	 resp;
	char			 err[512], *url, *want;

	(void)state;
	ts_start(&ts, 1);
	url = url_for(&ts, "https", "/big-chunked");

	o.max_response_bytes = CHUNKED_SIZE - 1;
	c = new_client(&o);
	assert_int_equal(get(c, url, &resp, err, sizeof err), -1);
	xasprintf(&want, "GET %s: response body larger than 4095 bytes", url);
	assert_string_equal(err, want);
	assert_int_equal(resp.attempts, 1);
	http_response_free(&resp);
	http_client_free(c);
	free(want);

	/* Exactly at the cap is fine. */
	o.max_response_bytes = CHUNKED_SIZE;
	c = new_client(&o);
	assert_int_equal(get(c, url, &resp, err, sizeof err), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.body.len, CHUNKED_SIZE);
	assert_int_equal(resp.body.data[CHUNKED_SIZE - 1], 'y');
	http_response_free(&resp);
	http_client_free(c);

	ts_stop(&ts);
	assert_int_equal(ts.hits, 2);
	free(url);
}

static void
test_retry_5xx_then_ok(void **state)
{
	struct tserver		 ts;
	struct http_client_options o = quick_opts(ca_file);
	struct http_client	*c;
	struct http_response	 resp;
	char			 err[512], *url;

	(void)state;
	ts_start(&ts, 1);
	c = new_client(&o);
	url = url_for(&ts, "https", "/flaky");

	assert_int_equal(get(c, url, &resp, err, sizeof err), 0);
	assert_int_equal(resp.status, 200);
	assert_string_equal(buf_cstr(&resp.body), "finally");
	assert_int_equal(resp.attempts, 3);
	http_response_free(&resp);

	http_client_free(c);
	ts_stop(&ts);
	assert_int_equal(ts.hits, 3);
	free(url);
}

static void
test_5xx_exhausted_returns_response(void **state)
{
	struct tserver		 ts;
	struct http_client_options o = quick_opts(NULL);
	struct http_client	*c;
	struct http_response	 resp;
	char			 err[512], *url;

	(void)state;
	o.max_attempts = 2;
	ts_start(&ts, 0);
	c = new_client(&o);
	url = url_for(&ts, "http", "/down");

	/* A response arrived: the caller judges the 503. */
	assert_int_equal(get(c, url, &resp, err, sizeof err), 0);
	assert_int_equal(resp.status, 503);
	assert_string_equal(buf_cstr(&resp.body), "down");
	assert_int_equal(resp.attempts, 2);
	http_response_free(&resp);

	http_client_free(c);
	ts_stop(&ts);
	assert_int_equal(ts.hits, 2);
	free(url);
}

static void
test_404_not_retried(void **state)
{
	struct tserver		 ts;
	struct http_client_options o = quick_opts(ca_file);
	struct http_client	*c;
	struct http_response	 resp;
	char			 err[512], *url;

	(void)state;
	ts_start(&ts, 1);
	c = new_client(&o);
	url = url_for(&ts, "https", "/missing");

	assert_int_equal(get(c, url, &resp, err, sizeof err), 0);
	assert_int_equal(resp.status, 404);
	assert_string_equal(buf_cstr(&resp.body), "no such thing");
	assert_int_equal(resp.attempts, 1);
	http_response_free(&resp);

	http_client_free(c);
	ts_stop(&ts);
	assert_int_equal(ts.hits, 1);
	free(url);
}

static void
test_429_retry_after(void **state)
{
	struct tserver		 ts;
	struct http_client_options o = quick_opts(NULL);
	struct http_client	*c;
	struct http_response	 resp;
	char			 err[512], *url;

	(void)state;
	ts_start(&ts, 0);
	c = new_client(&o);

	url = url_for(&ts, "http", "/busy");
	assert_int_equal(get(c, url, &resp, err, sizeof err), 0);
	assert_int_equal(resp.status, 200);
	assert_string_equal(buf_cstr(&resp.body), "ok now");
	assert_int_equal(resp.attempts, 2);
	/* Headers are per attempt: the 429's Retry-After is gone. */
	assert_int_equal(resp.retry_after_s, -1);
	http_response_free(&resp);
	http_client_free(c);
	free(url);

	o.max_attempts = 1;
	c = new_client(&o);
	url = url_for(&ts, "http", "/throttle");
	assert_int_equal(get(c, url, &resp, err, sizeof err), 0);
	assert_int_equal(resp.status, 429);
	assert_int_equal(resp.retry_after_s, 7);
	assert_int_equal(resp.attempts, 1);
	http_response_free(&resp);
	free(url);

	/* An HTTP-date in the past means now. */
	url = url_for(&ts, "http", "/throttle-date");
	assert_int_equal(get(c, url, &resp, err, sizeof err), 0);
	assert_int_equal(resp.status, 429);
	assert_int_equal(resp.retry_after_s, 0);
	http_response_free(&resp);
	free(url);
	http_client_free(c);

	ts_stop(&ts);
	assert_int_equal(ts.hits, 4);
}

static void
test_connection_refused(void **state)
{
	struct http_client_options o = quick_opts(ca_file);
	struct http_client	*c;
	struct http_response	 resp;
	char			 err[512], *url, *want;

	(void)state;
	c = new_client(&o);
	xasprintf(&url, "https://127.0.0.1:%u/api/v1/reports", closed_port());

	assert_int_equal(get(c, url, &resp, err, sizeof err), -1);
	xasprintf(&want, "GET %s: Couldn't connect to server", url);
	assert_contains(err, want);
	assert_contains(err, "(after 3 attempts)");
	assert_int_equal(resp.attempts, 3);
	assert_int_equal(resp.status, 0);
	http_response_free(&resp);

	http_client_free(c);
	free(want);
	free(url);
}

static void
test_timeout(void **state)
{
	struct tserver		 ts;
	struct http_client_options o = quick_opts(NULL);
	struct http_client	*c;
	struct http_response	 resp;
	char			 err[512], *url, *want;

	(void)state;
	o.timeout_ms = 300;
	o.max_attempts = 2;
	ts_start(&ts, 0);
	c = new_client(&o);
	url = url_for(&ts, "http", "/slow");

	assert_int_equal(get(c, url, &resp, err, sizeof err), -1);
	xasprintf(&want, "GET %s: Timeout was reached", url);
	assert_contains(err, want);
	assert_contains(err, "timed out");
	assert_contains(err, "(after 2 attempts)");
	assert_int_equal(resp.attempts, 2);
	http_response_free(&resp);

	http_client_free(c);
	ts_stop(&ts);
	assert_int_equal(ts.hits, 2);
	free(want);
	free(url);
}

static void
test_post_body_and_token(void **state)
{
	static const char	 body[] = "{\"host\":\"ws-0042\",\"ok\":true}";
	static const struct http_header extra[] = {
		{ "X-Ward-Test", "yes" }, { NULL, NULL } };
	struct tserver		 ts;
	struct http_client_options o = quick_opts(ca_file);
	struct http_client	*c;
	struct http_response	 resp;
	struct http_request	 req;
	char			 err[512], *url;

	(void)state;
	ts_start(&ts, 1);
	c = new_client(&o);
	url = url_for(&ts, "https", "/echo");

	memset(&req, 0, sizeof req);
	req.method = "POST";
	req.url = url;
	req.body = body;
	req.body_len = strlen(body);
	req.content_type = "application/json";
	req.bearer_token = "tok-3f9a";
	req.headers = extra;
	assert_int_equal(http_do(c, &req, &resp, err, sizeof err), 0);
	assert_int_equal(resp.status, 201);
	assert_string_equal(buf_cstr(&resp.body), "created");
	http_response_free(&resp);

	http_client_free(c);
	ts_stop(&ts);
	assert_int_equal(ts.hits, 1);
	assert_string_equal(ts.method, "POST");
	assert_string_equal(ts.auth, "Bearer tok-3f9a");
	assert_string_equal(ts.content_type, "application/json");
	assert_string_equal(ts.user_agent, "ward/" PACKAGE_VERSION);
	assert_string_equal(ts.x_test, "yes");
	assert_int_equal(ts.body_len, strlen(body));
	assert_memory_equal(ts.body, body, strlen(body));
	free(url);
}

static void
test_secrets_not_in_err(void **state)
{
	struct tserver		 ts;
	struct http_client_options o = quick_opts(other_ca_file);
	struct http_client	*c;
	struct http_response	 resp;
	struct http_request	 req;
	char			 err[512], *url, *shown;
	unsigned		 port;

	(void)state;
	ts_start(&ts, 1);
	c = new_client(&o);
	url = url_for(&ts, "https", "/echo");

	memset(&req, 0, sizeof req);
	req.method = "POST";
	req.url = url;
	req.body = "{}";
	req.body_len = 2;
	req.bearer_token = "tok-secret-77";
	assert_int_equal(http_do(c, &req, &resp, err, sizeof err), -1);
	assert_contains(err, "certificate");
	assert_not_contains(err, "tok-secret-77");
	http_response_free(&resp);
	free(url);

	/* Credentials in the URL are not echoed either. */
	port = closed_port();
	xasprintf(&url, "https://alice:pw-s3cret@127.0.0.1:%u/x?y=1", port);
	xasprintf(&shown, "POST https://127.0.0.1:%u/x?y=1: ", port);
	req.url = url;
	assert_int_equal(http_do(c, &req, &resp, err, sizeof err), -1);
	assert_contains(err, shown);
	assert_not_contains(err, "pw-s3cret");
	assert_not_contains(err, "alice");
	assert_not_contains(err, "tok-secret-77");
	http_response_free(&resp);
	free(shown);
	free(url);

	/* A token with a line break would inject headers: refused unsent. */
	url = url_for(&ts, "https", "/echo");
	req.url = url;
	req.bearer_token = "tok\r\nX-Evil: 1";
	assert_int_equal(http_do(c, &req, &resp, err, sizeof err), -1);
	assert_contains(err, "bearer token contains a line break");
	assert_not_contains(err, "X-Evil");
	http_response_free(&resp);

	http_client_free(c);
	ts_stop(&ts);
	assert_int_equal(ts.hits, 0);
	free(url);
}

static void
test_redirects(void **state)
{
	struct tserver		 ts;
	struct http_client_options o = quick_opts(NULL);
	struct http_client	*c;
	struct http_response	 resp;
	char			 err[512], *url, *final;

	(void)state;
	ts_start(&ts, 0);
	url = url_for(&ts, "http", "/redirect");
	final = url_for(&ts, "http", "/ok");

	c = new_client(&o);
	assert_int_equal(get(c, url, &resp, err, sizeof err), 0);
	assert_int_equal(resp.status, 302);
	assert_string_equal(resp.effective_url, url);
	http_response_free(&resp);
	http_client_free(c);

	o.follow_redirects = 1;
	c = new_client(&o);
	assert_int_equal(get(c, url, &resp, err, sizeof err), 0);
	assert_int_equal(resp.status, 200);
	assert_string_equal(buf_cstr(&resp.body), "hello ward");
	assert_string_equal(resp.content_type, "text/plain; charset=utf-8");
	assert_string_equal(resp.effective_url, final);
	http_response_free(&resp);
	free(url);

	/* Redirects stay on http/https. */
	url = url_for(&ts, "http", "/redirect-ftp");
	assert_int_equal(get(c, url, &resp, err, sizeof err), -1);
	assert_contains(err, url);
	assert_contains(err, "Unsupported protocol");
	assert_int_equal(resp.attempts, 1);
	http_response_free(&resp);

	/* From https://, never to plain http: the plain server is never
	 * asked. */
	{
		struct tserver			 tls;
		struct http_client_options	 to = quick_opts(ca_file);
		struct http_client		*tc;
		char				*turl;
		int				 before;

		ts_start(&tls, 1);
		snprintf(redirect_plain, sizeof redirect_plain,
		    "http://127.0.0.1:%u/ok", ts.port);
		to.follow_redirects = 1;
		tc = new_client(&to);
		turl = url_for(&tls, "https", "/redirect-plain");
		before = __atomic_load_n(&ts.hits, __ATOMIC_SEQ_CST);
		assert_int_equal(get(tc, turl, &resp, err, sizeof err), -1);
		assert_contains(err, turl);
		assert_int_equal(__atomic_load_n(&ts.hits, __ATOMIC_SEQ_CST),
		    before);
		http_response_free(&resp);
		http_client_free(tc);
		free(turl);
		ts_stop(&tls);
	}

	/* So do requests. */
	assert_int_equal(get(c, "file:///etc/passwd", &resp, err,
	    sizeof err), -1);
	assert_contains(err, "GET file:///etc/passwd: Unsupported protocol");
	assert_int_equal(resp.body.len, 0);
	http_response_free(&resp);
	http_client_free(c);

	ts_stop(&ts);
	assert_int_equal(ts.hits, 4);
	free(final);
	free(url);
}

static void
test_long_header_dropped(void **state)
{
	struct tserver		 ts;
	struct http_client_options o = quick_opts(NULL);
	struct http_client	*c;
	struct http_response	 resp;
	char			 err[512], *url;

	(void)state;
	ts_start(&ts, 0);
	c = new_client(&o);
	url = url_for(&ts, "http", "/long-etag");

	assert_int_equal(get(c, url, &resp, err, sizeof err), 0);
	assert_int_equal(resp.status, 200);
	assert_null(resp.etag);
	assert_string_equal(resp.content_type, "text/plain");
	http_response_free(&resp);

	http_client_free(c);
	ts_stop(&ts);
	free(url);
}

static void
test_free_is_safe(void **state)
{
	struct http_response	resp;

	(void)state;
	memset(&resp, 0, sizeof resp);
	http_response_free(&resp);
	http_response_free(&resp);
	http_response_free(NULL);
	http_client_free(NULL);
}

/* A CA, a server certificate for IP 127.0.0.1 signed by it, and a CA that
 * has nothing to do with either. */
static void
make_pki(void)
{
	const char	*dir = tu_tmpdir();
	char		*cnf, *ext, *p;

	cnf = tu_write_file(dir, "ca.cnf",
	    "[req]\n"
	    "distinguished_name = dn\n"
	    "x509_extensions = v3_ca\n"
	    "prompt = no\n"
	    "[dn]\n"
	    "CN = ward unit test CA\n"
	    "[v3_ca]\n"
	    "basicConstraints = critical,CA:TRUE\n"
	    "keyUsage = critical,keyCertSign,cRLSign\n"
	    "subjectKeyIdentifier = hash\n", 0644);
	ext = tu_write_file(dir, "server.ext",
	    "basicConstraints = CA:FALSE\n"
	    "keyUsage = critical,digitalSignature\n"
	    "extendedKeyUsage = serverAuth\n"
	    "subjectAltName = IP:127.0.0.1\n"
	    "authorityKeyIdentifier = keyid\n", 0644);
	if (tu_sh("(cd '%s' && "
	    "openssl req -x509 -config ca.cnf -newkey ec "
	    "-pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
	    "-keyout ca.key -out ca.pem && "
	    "openssl req -x509 -config ca.cnf -subj '/CN=unrelated CA' "
	    "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
	    "-keyout other-ca.key -out other-ca.pem && "
	    "openssl req -new -config ca.cnf -subj '/CN=127.0.0.1' "
	    "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
	    "-keyout server.key -out server.csr && "
	    "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key "
	    "-CAcreateserial -days 2 -sha256 -extfile server.ext "
	    "-out server.pem) >/dev/null 2>&1", dir) != 0) {
		fprintf(stderr, "test_http: openssl could not make the test "
		    "certificates in %s\n", dir);
		exit(1);
	}
	ca_file = tu_path(dir, "ca.pem");
	other_ca_file = tu_path(dir, "other-ca.pem");
	p = tu_path(dir, "server.key");
	server_key_pem = tu_read_file(p);
	free(p);
	p = tu_path(dir, "server.pem");
	server_cert_pem = tu_read_file(p);
	free(p);
	if (server_key_pem == NULL || server_cert_pem == NULL) {
		fprintf(stderr, "test_http: no server key or certificate\n");
		exit(1);
	}
	free(cnf);
	free(ext);
}

/* The cancel hook: asked during a transfer and between attempts. */
static int	 cancel_now;

static int
test_cancel_cb(void *arg)
{
	(void)arg;
	return __atomic_load_n(&cancel_now, __ATOMIC_SEQ_CST);
}

static void
test_cancel(void **state)
{
	struct tserver		 ts;
	struct http_client_options o = quick_opts(NULL);
	struct http_client	*c;
	struct http_response	 resp;
	char			 err[512], *url;

	(void)state;
	ts_start(&ts, 0);
	o.cancel = test_cancel_cb;
	c = new_client(&o);
	url = url_for(&ts, "http", "/ok");
	/* Not cancelled: as any request. */
	assert_int_equal(get(c, url, &resp, err, sizeof err), 0);
	assert_int_equal(resp.status, 200);
	http_response_free(&resp);
	free(url);
	/* Cancelled: it stops, and is not tried again. */
	__atomic_store_n(&cancel_now, 1, __ATOMIC_SEQ_CST);
	url = url_for(&ts, "http", "/flaky");
	assert_int_equal(get(c, url, &resp, err, sizeof err), -1);
	assert_int_equal(resp.attempts, 1);
	assert_contains(err, url);
	http_response_free(&resp);
	__atomic_store_n(&cancel_now, 0, __ATOMIC_SEQ_CST);
	free(url);
	http_client_free(c);
	ts_stop(&ts);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_https),
		cmocka_unit_test(test_wrong_ca_not_retried),
		cmocka_unit_test(test_system_store_rejects_test_ca),
		cmocka_unit_test(test_insecure_skip_verify),
		cmocka_unit_test(test_client_new_bad_files),
		cmocka_unit_test(test_oversize_with_length),
		cmocka_unit_test(test_oversize_chunked),
		cmocka_unit_test(test_retry_5xx_then_ok),
		cmocka_unit_test(test_5xx_exhausted_returns_response),
		cmocka_unit_test(test_404_not_retried),
		cmocka_unit_test(test_429_retry_after),
		cmocka_unit_test(test_connection_refused),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_post_body_and_token),
		cmocka_unit_test(test_secrets_not_in_err),
		cmocka_unit_test(test_redirects),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_long_header_dropped),
		cmocka_unit_test(test_free_is_safe),
	};
	char	err[256];
	int	rc;

	/* The servers are local; a proxy from the environment would only get
	 * in the way. */
	setenv("no_proxy", "127.0.0.1", 1);
	if (http_global_init(err, sizeof err) == -1) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	make_pki();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	http_global_cleanup();
	free(ca_file);
	free(other_ca_file);
	free(server_key_pem);
	free(server_cert_pem);
	return rc;
}
