/* test_http_check.c: ward-netpoll's URL checks: certificate dates as curl
 * gives them, results judged into checks and metrics, "alive", and the
 * multi loop against loopback sockets (refused, silent, stopped). */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/http.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "agents/agent.h"
#include "tests/unit/testutil.h"

static int64_t
civil(int y, unsigned m, unsigned d, int hh, int mm, int ss)
{
	return wtime_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 +
	    ss;
}

static void
test_cert_time(void **state)
{
	int64_t	 t;

	(void)state;
	/* OpenSSL's ASN1_TIME_print, as curl's OpenSSL backend gives it. */
	assert_int_equal(http_check_cert_time("Mar  6 12:00:00 2026 GMT", &t),
	    0);
	assert_int_equal(t, civil(2026, 3, 6, 12, 0, 0));
	assert_int_equal(http_check_cert_time("Dec 31 23:59:59 2049 GMT", &t),
	    0);
	assert_int_equal(t, civil(2049, 12, 31, 23, 59, 59));
	assert_int_equal(http_check_cert_time("Feb 29 00:00:01.5 2028 GMT",
	    &t), 0);
	assert_int_equal(t, civil(2028, 2, 29, 0, 0, 1));
	/* curl's own ASN.1 decoder (GnuTLS and others). */
	assert_int_equal(http_check_cert_time("2026-03-06 12:00:00 GMT", &t),
	    0);
	assert_int_equal(t, civil(2026, 3, 6, 12, 0, 0));
	assert_int_equal(http_check_cert_time("2050-01-01 00:00:00Z", &t), 0);
	assert_int_equal(t, civil(2050, 1, 1, 0, 0, 0));
	/* Not dates. */
	assert_int_equal(http_check_cert_time("Feb 29 00:00:00 2027 GMT", &t),
	    -1);
	assert_int_equal(http_check_cert_time("Feb 30 00:00:00 2028 GMT", &t),
	    -1);
	assert_int_equal(http_check_cert_time("Foo  6 12:00:00 2026 GMT", &t),
	    -1);
	assert_int_equal(http_check_cert_time("2026-13-01 00:00:00 GMT", &t),
	    -1);
	assert_int_equal(http_check_cert_time("2026-03-06 24:00:00 GMT", &t),
	    -1);
	assert_int_equal(http_check_cert_time("Mar  6 12:00:00 2026 PST", &t),
	    -1);
	assert_int_equal(http_check_cert_time("Mar  6 12:00 2026 GMT", &t), -1);
	assert_int_equal(http_check_cert_time("", &t), -1);
	assert_int_equal(http_check_cert_time("2026", &t), -1);
}

static const json_t *
metric(const struct report *r, const char *name)
{
	const json_t	*m;
	size_t		 i;

	json_array_foreach(r->metrics, i, m) {
		if (strcmp(json_string_value(json_object_get(m, "name")),
		    name) == 0)
			return m;
	}
	return NULL;
}

static void
spec_init(struct http_check_spec *spec)
{
	memset(spec, 0, sizeof *spec);
	spec->name = "portal";
	spec->url = "https://portal.web.test/";
	spec->expect_status = 200;
	spec->body_max = 1024;
	spec->timeout_ms = 2000;
}

static void
test_report_ok(void **state)
{
	struct http_check_spec	 spec;
	struct http_check_result res;
	struct report		*r = report_new();
	const json_t		*c, *m;
	char			 out[1024];
	double			 v;

	(void)state;
	spec_init(&spec);
	spec.body_regex = "^status: healthy$";
	memset(&res, 0, sizeof res);
	res.connected = 1;
	res.status = 200;
	res.time_s = 0.0123;
	res.body_bytes = 16;
	res.body_matched = 1;
	res.has_cert = 1;
	res.cert_days_left = 399.5;
	res.cert_expiry_s = civil(2027, 12, 31, 0, 0, 0);
	res.cert_is_leaf = 1;
	assert_int_equal(http_check_report(&spec, &res, r, out, sizeof out),
	    CHECK_OK);
	assert_string_equal(out, "HTTP OK: 200 in 0.012s; body matches "
	    "/^status: healthy$/; certificate expires 2027-12-31T00:00:00Z "
	    "(in 399.5 days)");
	c = report_find_check(r, "http.portal");
	assert_non_null(c);
	assert_int_equal(json_integer_value(json_object_get(c, "status")), 0);
	assert_string_equal(json_string_value(json_object_get(c,
	    "perfdata")), "time=0.012300s;;2.000;0 size=16B");
	assert_int_equal(report_metric_value(r, "http.response_time_s",
	    "check", "portal", &v), 0);
	assert_true(v > 0.0122 && v < 0.0124);
	assert_int_equal(report_metric_value(r, "http.cert_days_left", "check",
	    "portal", &v), 0);
	assert_true(v > 399.4 && v < 399.6);
	m = metric(r, "http.cert_days_left");
	assert_string_equal(json_string_value(json_object_get(m, "unit")),
	    "days");
	assert_int_equal(report_metric_value(r, "http.status", "check",
	    "portal", &v), 0);
	assert_true(v == 200);
	report_free(r);
}

static void
test_report_problems(void **state)
{
	struct http_check_spec	 spec;
	struct http_check_result res;
	struct report		*r;
	char			 out[1024];
	double			 v;

	(void)state;
	spec_init(&spec);
	memset(&res, 0, sizeof res);
	res.connected = 1;
	res.status = 500;
	res.time_s = 0.004;
	res.body_matched = -1;

	/* Another status: CRITICAL, the metrics still there. */
	r = report_new();
	assert_int_equal(http_check_report(&spec, &res, r, out, sizeof out),
	    CHECK_CRITICAL);
	assert_string_equal(out, "HTTP status: 500, expected 200 (0.004s)");
	assert_int_equal(report_metric_value(r, "http.status", "check",
	    "portal", &v), 0);
	assert_true(v == 500);
	assert_null(metric(r, "http.cert_days_left"));
	report_free(r);

	/* The body, read only up to body_max, without the text. */
	spec.body_regex = "healthy";
	res.status = 200;
	res.body_matched = 0;
	res.body_truncated = 1;
	res.body_bytes = 5000;
	r = report_new();
	assert_int_equal(http_check_report(&spec, &res, r, out, sizeof out),
	    CHECK_CRITICAL);
	assert_string_equal(out, "HTTP body: no match for /healthy/ in the "
	    "first 1024 bytes (200 in 0.004s)");
	report_free(r);

	/* Slower than warning_ms: WARNING. */
	spec.body_regex = NULL;
	spec.warning_ms = 100;
	res.body_matched = -1;
	res.body_truncated = 0;
	res.time_s = 0.5;
	r = report_new();
	assert_int_equal(http_check_report(&spec, &res, r, out, sizeof out),
	    CHECK_WARNING);
	assert_string_equal(out, "HTTP slow: 200 in 0.500s, slower than 100ms");
	assert_string_equal(json_string_value(json_object_get(
	    report_find_check(r, "http.portal"), "perfdata")),
	    "time=0.500000s;0.100;2.000;0 size=5000B");
	report_free(r);

	/* No answer: CRITICAL with the reason, and no response metrics. */
	memset(&res, 0, sizeof res);
	res.failure = HTTP_FAIL_TIMEOUT;
	snprintf(res.error, sizeof res.error, "no connection within 2s");
	r = report_new();
	assert_int_equal(http_check_report(&spec, &res, r, NULL, 0),
	    CHECK_CRITICAL);
	assert_string_equal(json_string_value(json_object_get(
	    report_find_check(r, "http.portal"), "output")),
	    "HTTP timeout: no connection within 2s");
	assert_null(json_object_get(report_find_check(r, "http.portal"),
	    "perfdata"));
	assert_int_equal(json_array_size(r->metrics), 0);
	assert_false(http_check_reached(&res));
	report_free(r);

	/* A certificate in the chain other than the server's own. */
	memset(&res, 0, sizeof res);
	res.status = 200;
	res.body_matched = -1;
	res.has_cert = 1;
	res.cert_days_left = 3.25;
	res.cert_expiry_s = civil(2026, 1, 4, 6, 0, 0);
	snprintf(res.cert_subject, sizeof res.cert_subject, "CN=Issuing CA 2");
	spec.warning_ms = 0;
	r = report_new();
	assert_int_equal(http_check_report(&spec, &res, r, out, sizeof out),
	    CHECK_OK);
	assert_contains(out, "; certificate CN=Issuing CA 2 expires "
	    "2026-01-04T06:00:00Z (in 3.2 days)");
	report_free(r);

	assert_string_equal(http_check_failure_name(HTTP_FAIL_CERTIFICATE),
	    "certificate");
	assert_string_equal(http_check_failure_name((enum http_check_failure)
	    99), "unknown");
}

static void
test_alive(void **state)
{
	struct report	*r;
	const json_t	*c;

	(void)state;
	r = report_new();
	http_check_alive(r, 2, 3, NULL);
	c = report_find_check(r, "alive");
	assert_int_equal(json_integer_value(json_object_get(c, "status")), 0);
	assert_string_equal(json_string_value(json_object_get(c, "output")),
	    "the server answers (2 of 3 HTTP checks got through)");
	http_check_alive(r, 0, 1, "HTTP connect: refused");
	c = report_find_check(r, "alive");
	assert_int_equal(json_integer_value(json_object_get(c, "status")), 2);
	assert_string_equal(json_string_value(json_object_get(c, "output")),
	    "no HTTP check reached the server: HTTP connect: refused");
	report_free(r);
}

/* A loopback TCP socket: listening (connections wait in its backlog,
 * never answered) or, with listening = 0, closed again (refused). */
static int
loopback_port(int listening, int *fd)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof sin;
	int			 s;

	s = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s != -1);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sin, &len), 0);
	if (listening)
		assert_int_equal(listen(s, 8), 0);
	else {
		close(s);
		s = -1;
	}
	*fd = s;
	return ntohs(sin.sin_port);
}

static int
stop_now(void)
{
	return 1;
}

static void
test_run_loopback(void **state)
{
	struct http_check_spec	 spec[2];
	struct http_check	*c[2];
	const struct http_check_result *res;
	char			 url[2][64], err[256];
	int			 silent, refused, fd, fd2;

	(void)state;
	assert_int_equal(http_global_init(err, sizeof err), 0);
	silent = loopback_port(1, &fd);
	refused = loopback_port(0, &fd2);
	snprintf(url[0], sizeof url[0], "http://127.0.0.1:%d/", silent);
	snprintf(url[1], sizeof url[1], "https://127.0.0.1:%d/", refused);
	spec_init(&spec[0]);
	spec[0].name = "silent";
	spec[0].url = url[0];
	spec[0].timeout_ms = 300;
	spec_init(&spec[1]);
	spec[1].name = "refused";
	spec[1].url = url[1];
	c[0] = http_check_new(&spec[0]);
	c[1] = http_check_new(&spec[1]);
	http_check_run(c, 2, 8, NULL);

	res = http_check_result(c[0]);
	assert_int_equal(res->failure, HTTP_FAIL_TIMEOUT);
	assert_string_equal(res->error, "connected, but no complete answer "
	    "within 300ms");
	assert_true(http_check_reached(res));
	assert_int_equal(res->status, 0);
	res = http_check_result(c[1]);
	assert_int_equal(res->failure, HTTP_FAIL_CONNECT);
	assert_false(http_check_reached(res));
	http_check_free(c[0]);
	http_check_free(c[1]);

	/* Stopping: what did not end says so. */
	c[0] = http_check_new(&spec[0]);
	http_check_run(c, 1, 1, stop_now);
	assert_int_equal(http_check_result(c[0])->failure, HTTP_FAIL_STOPPED);
	http_check_free(c[0]);
	http_check_free(NULL);
	close(fd);
	http_global_cleanup();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cert_time),
		cmocka_unit_test(test_report_ok),
		cmocka_unit_test(test_report_problems),
		cmocka_unit_test(test_alive),
		cmocka_unit_test(test_run_loopback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
