/* test_query.c: the query API's handlers and helpers against a real store
 * filled through ingest_reports(): host state, filters, cursor paging,
 * lookup by name/FQDN/agent id, series ranges, search, /metrics text and
 * the stats counters behind it. */
#include "config.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/db.h"
#include "common/str.h"
#include "common/wjson.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "collector/collector.h"
#include "tests/unit/testutil.h"

#define MIN_MS		60000LL
#define HOUR_MS		3600000LL

static struct store		*estate;
static struct collector_config	 cfg;
static struct collector		 coll;
/* When the estate was built. */
static int64_t			 t0;

/* ------------------------------------------------------------ requests */

#define PARAMS_MAX	8

struct params {
	const char	*names[PARAMS_MAX];
	const char	*values[PARAMS_MAX];
	size_t		 n;
};

static const char *
params_query(const struct request *req, const char *name)
{
	const struct params	*p = req->conn;
	size_t			 i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->names[i], name) == 0)
			return p->values[i];
	return NULL;
}

/*
 * Calls route's handler as httpd would: path captures cap0/cap1 (may be
 * NULL), then name/value pairs of query parameters ending with NULL.
 * Returns the reply's JSON (caller decrefs) and its status in *status.
 */
static json_t *
call(const struct route_entry *route, int *status, const char *cap0,
    const char *cap1, ...)
{
	struct request	 req;
	struct reply	 rep;
	struct params	 p;
	va_list		 ap;
	const char	*name;

	memset(&req, 0, sizeof req);
	memset(&rep, 0, sizeof rep);
	memset(&p, 0, sizeof p);
	va_start(ap, cap1);
	while ((name = va_arg(ap, const char *)) != NULL) {
		assert_true(p.n < PARAMS_MAX);
		p.names[p.n] = name;
		p.values[p.n++] = va_arg(ap, const char *);
	}
	va_end(ap);
	req.c = &coll;
	req.method = route->method;
	req.path = route->pattern;
	req.query = params_query;
	req.conn = &p;
	req.token_name = "test";
	req.role = ROLE_READ;
	if (cap0 != NULL)
		req.params[req.nparams++] = cap0;
	if (cap1 != NULL)
		req.params[req.nparams++] = cap1;
	route->handler(&req, &rep);
	*status = rep.status;
	assert_null(rep.text);
	assert_non_null(rep.json);
	return rep.json;
}

/* Like call() for /metrics: returns the text (caller frees). */
static char *
call_text(const struct route_entry *route, int *status)
{
	struct request	 req;
	struct reply	 rep;
	struct params	 p;

	memset(&req, 0, sizeof req);
	memset(&rep, 0, sizeof rep);
	memset(&p, 0, sizeof p);
	req.c = &coll;
	req.method = route->method;
	req.path = route->pattern;
	req.query = params_query;
	req.conn = &p;
	route->handler(&req, &rep);
	*status = rep.status;
	if (rep.json != NULL) {
		char *s = json_dumps(rep.json, 0);

		json_decref(rep.json);
		return s;
	}
	assert_string_equal(rep.content_type,
	    "text/plain; version=0.0.4; charset=utf-8");
	return rep.text;
}

static const char *
error_of(json_t *j)
{
	const char	*e = json_string_value(json_object_get(j, "error"));

	if (e == NULL)
		fail_msg("no \"error\" in the reply");
	return e;
}

/* ------------------------------------------------------------ the estate */

static void
ingest_at(struct store *st, int64_t now_ms, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Ingests the report printf'd from fmt as if received at now_ms. */
static void
ingest_at(struct store *st, int64_t now_ms, const char *fmt, ...)
{
	struct ingest_result	 res;
	va_list			 ap;
	json_t			*doc;
	char			*text, err[512];
	int			 status;

	va_start(ap, fmt);
	xvasprintf(&text, fmt, ap);
	va_end(ap);
	if ((doc = wjson_parse(text, strlen(text), NULL, err,
	    sizeof err)) == NULL)
		fail_msg("test report does not parse: %s: %s", err, text);
	if (ingest_reports(st, doc, now_ms, &res, &status, err,
	    sizeof err) == -1)
		fail_msg("ingest: %s: %s", err, text);
	assert_int_equal(res.accepted, 1);
	json_decref(doc);
	free(text);
}

static const char *
iso(int64_t ms)
{
	static char	 bufs[8][WTIME_ISO8601_LEN];
	static int	 n;

	return wtime_format_iso8601(bufs[n++ % 8], WTIME_ISO8601_LEN, ms);
}

/* Runs SQL on the estate's store, as another part of the collector
 * would write it. */
static void
estate_sql(const char *sql)
{
	char	 err[512];

	if (db_exec(store_db(estate), sql, err, sizeof err) == -1)
		fail_msg("%s: %s", sql, err);
}

/* A plain host reporting once, at now. */
static void
plain_host(struct store *st, const char *agent, const char *name,
    const char *datacentre, const char *kind)
{
	char	*dc = NULL;

	if (datacentre != NULL)
		xasprintf(&dc, ",\"datacentre\":\"%s\"", datacentre);
	ingest_at(st, t0, "{\"schema\":1,\"agent\":{\"id\":\"%s\"},\"seq\":1,"
	    "\"ts\":\"%s\",\"host\":{\"name\":\"%s\",\"kind\":\"%s\"%s}}",
	    agent, iso(t0), name, kind, dc != NULL ? dc : "");
	free(dc);
}

static struct store *
open_store(const char *name)
{
	struct store	*st;
	char		*path, err[512];

	path = tu_path(tu_tmpdir(), name);
	if ((st = store_open(path, 0, err, sizeof err)) == NULL)
		fail_msg("store_open: %s", err);
	free(path);
	return st;
}

/*
 * The estate every test reads: 14 hosts in basildon, southend and none,
 * one stale, two sharing a name, one renamed, one with a name full of
 * characters the Prometheus format escapes, and web01 with five hours of
 * cpu.util every ten minutes and fs.used on two mounts.
 */
static int
estate_setup(void **state)
{
	int64_t	 ts;
	int	 k;

	(void)state;
	t0 = wtime_now_ms();
	estate = open_store("estate.db");
	memset(&cfg, 0, sizeof cfg);
	cfg.store.raw_retention_ms = 8 * 24 * HOUR_MS;
	memset(&coll, 0, sizeof coll);
	coll.cfg = &cfg;
	coll.store = estate;

	for (k = 0; k < 30; k++) {
		ts = t0 - (29 - k) * 10 * MIN_MS;
		ingest_at(estate, ts, "{\"schema\":1,\"agent\":{\"id\":"
		    "\"web01-id\",\"version\":\"0.1.0\"},\"seq\":%d,"
		    "\"ts\":\"%s\",\"interval_s\":600,\"host\":{"
		    "\"name\":\"web01\",\"fqdn\":\"web01.btuh.test\","
		    "\"datacentre\":\"basildon\",\"vendor\":\"Dell Inc.\","
		    "\"model\":\"PowerEdge R640\",\"serial\":\"7XJ2K93\","
		    "\"os\":{\"id\":\"rhel\",\"version_id\":\"7.9\","
		    "\"pretty_name\":\"Red Hat Enterprise Linux Server 7.9 "
		    "(Maipo)\"},\"addresses\":[\"10.20.1.15\",\"fe80::1\"]},"
		    "\"metrics\":[{\"name\":\"cpu.util\",\"value\":%d,"
		    "\"unit\":\"percent\"},{\"name\":\"fs.used\",\"value\":%d,"
		    "\"unit\":\"percent\",\"labels\":{\"mount\":\"/\"}},"
		    "{\"name\":\"fs.used\",\"value\":%d,\"unit\":\"percent\","
		    "\"labels\":{\"mount\":\"/var\"}}],"
		    "\"checks\":[{\"name\":\"ntp\",\"status\":1,\"output\":"
		    "\"NTP WARNING: Offset 2 secs\",\"perfdata\":"
		    "\"offset=2s;1;5\"},{\"name\":\"disk\",\"status\":0}],"
		    "\"interfaces\":[{\"name\":\"eth0\",\"index\":2,"
		    "\"oper\":\"up\",\"admin\":\"up\",\"speed_bps\":1000000000,"
		    "\"in_octets\":%d}]}", k + 1, iso(ts), k, 40 + k, 70,
		    1000 * k);
	}
	plain_host(estate, "web02-id", "web02", "basildon", "server");
	plain_host(estate, "sw-bas-1", "sw-bas-core1", "basildon", "switch");
	plain_host(estate, "sw-sth-1", "sw-sth-core1", "southend", "switch");
	plain_host(estate, "app01-id", "App01", "southend", "server");
	plain_host(estate, "app02-id", "app02", "southend", "server");
	plain_host(estate, "loose-1", "loose", NULL, "server");
	plain_host(estate, "blank-dc", "blankdc", "", "ups");
	plain_host(estate, "dup-a", "dup", "basildon", "server");
	plain_host(estate, "dup-b", "dup", "southend", "server");
	plain_host(estate, "pct-id", "a%b_c", "southend", "other");
	plain_host(estate, "abc-id", "axbyc", "southend", "other");
	/* Last heard from two hours ago at a 60 s interval: stale. */
	ingest_at(estate, t0 - 2 * HOUR_MS, "{\"schema\":1,\"agent\":{\"id\":"
	    "\"stale-id\"},\"seq\":1,\"ts\":\"%s\",\"host\":{\"name\":"
	    "\"stale01\",\"datacentre\":\"southend\"}}", iso(t0 - 2 * HOUR_MS));
	/* As the health engine (evaluate.c, tested in test_health) judges
	 * a host silent for two hours. */
	estate_sql("UPDATE hosts SET state = 'STALE' WHERE agent_id = "
	    "'stale-id'");
	ingest_at(estate, t0 - HOUR_MS, "{\"schema\":1,\"agent\":{\"id\":"
	    "\"mail-id\"},\"seq\":1,\"ts\":\"%s\",\"interval_s\":3600,"
	    "\"host\":{\"name\":\"old-mail\",\"fqdn\":\"Mail.BTUH.test\"}}",
	    iso(t0 - HOUR_MS));
	ingest_at(estate, t0, "{\"schema\":1,\"agent\":{\"id\":\"mail-id\"},"
	    "\"seq\":2,\"ts\":\"%s\",\"interval_s\":3600,\"host\":{\"name\":"
	    "\"mail01\",\"fqdn\":\"Mail.BTUH.test\"}}", iso(t0));
	ingest_at(estate, t0, "{\"schema\":1,\"agent\":{\"id\":\"weird-id\"},"
	    "\"seq\":1,\"ts\":\"%s\",\"host\":{\"name\":"
	    "\"we\\\"ird\\\\na\\nme\",\"datacentre\":\"q\\\"uote\"}}", iso(t0));
	return 0;
}

static int
estate_teardown(void **state)
{
	(void)state;
	store_close(estate);
	return 0;
}

/* ------------------------------------------------------------ helpers */

static void
test_host_state_names(void **state)
{
	(void)state;
	/* The health engine decides states (test_health); these are their
	 * names, in rising severity. */
	assert_string_equal(query_host_state_name(HOST_UP), "UP");
	assert_string_equal(query_host_state_name(HOST_UNREACHABLE),
	    "UNREACHABLE");
	assert_string_equal(query_host_state_name(HOST_STALE), "STALE");
	assert_string_equal(query_host_state_name(HOST_DOWN), "DOWN");
	assert_true(HOST_UP < HOST_UNREACHABLE && HOST_UNREACHABLE <
	    HOST_STALE && HOST_STALE < HOST_DOWN);
	assert_int_equal(query_host_state_from_name("stale"), HOST_STALE);
	assert_int_equal(query_host_state_from_name("Up"), HOST_UP);
	assert_int_equal(query_host_state_from_name("down"), HOST_DOWN);
	assert_int_equal(query_host_state_from_name("DOWNISH"), -1);
}

static void
test_like_url_cursor(void **state)
{
	char	*s, *name;
	int64_t	 id;

	(void)state;
	s = str_like_pattern("a%b_c\\d");
	assert_string_equal(s, "%a\\%b\\_c\\\\d%");
	free(s);
	s = query_url_escape("bas ild/on&x=é~._-");
	assert_string_equal(s, "bas%20ild%2Fon%26x%3D%C3%A9~._-");
	free(s);

	s = query_cursor_encode("web:01 é", 42);
	assert_int_equal(query_cursor_decode(s, &name, &id), 0);
	assert_string_equal(name, "web:01 é");
	assert_int_equal(id, 42);
	free(name);
	free(s);
	/* Anything this collector did not make is refused. */
#define REFUSED(c) assert_int_equal(query_cursor_decode((c), &name, &id), -1)
	REFUSED("");
	REFUSED("!!!!");
	REFUSED("YWJj");	/* abc */
	REFUSED("MDp4");	/* 0:x */
	REFUSED("NTo");		/* 5: */
	REFUSED("NTr_");	/* 5:\xff */
	REFUSED("MTp3ZWIwMR");	/* 1:web01 with stray low bits */
#undef REFUSED
	assert_null(name);
}

static void
test_parse_time(void **state)
{
	/* 2026-11-23T12:00:00Z */
	int64_t	 now = 1795435200000LL, t;
	char	 err[256];

	(void)state;
	assert_int_equal(query_parse_time("now", now, &t, err, sizeof err), 0);
	assert_int_equal(t, now);
	assert_int_equal(query_parse_time("-6h", now, &t, err, sizeof err), 0);
	assert_int_equal(t, now - 6 * HOUR_MS);
	assert_int_equal(query_parse_time("-90m", now, &t, err, sizeof err), 0);
	assert_int_equal(t, now - 90 * MIN_MS);
	assert_int_equal(query_parse_time("2026-11-23T08:00:00Z", now, &t, err,
	    sizeof err), 0);
	assert_int_equal(t, now - 4 * HOUR_MS);
	assert_int_equal(query_parse_time("2026-11-23", now, &t, err,
	    sizeof err), 0);
	assert_int_equal(t, now - 12 * HOUR_MS);
	assert_int_equal(query_parse_time("yesterday", now, &t, err,
	    sizeof err), -1);
	assert_contains(err, "yesterday");
	assert_int_equal(query_parse_time("-6x", now, &t, err, sizeof err),
	    -1);
	assert_int_equal(query_parse_time("-", now, &t, err, sizeof err), -1);
	assert_int_equal(query_parse_time("-99999d", now, &t, err, sizeof err),
	    -1);
	assert_contains(err, "ten years");
}

/* ------------------------------------------------------------ routes */

static json_t *
find_dc(json_t *list, const char *name)
{
	json_t	*e;
	size_t	 i;

	json_array_foreach(list, i, e) {
		json_t *dc = json_object_get(e, "datacentre");

		if ((name == NULL && json_is_null(dc)) || (name != NULL &&
		    json_is_string(dc) && strcmp(json_string_value(dc),
		    name) == 0))
			return e;
	}
	fail_msg("no datacentre %s in the list", name ? name : "null");
	return NULL;
}

static int64_t
jint(json_t *obj, const char *path)
{
	json_t	*v = obj;
	char	*p = xstrdup(path), *save = NULL, *tok;

	for (tok = strtok_r(p, ".", &save); tok != NULL;
	    tok = strtok_r(NULL, ".", &save))
		v = json_object_get(v, tok);
	free(p);
	if (!json_is_integer(v))
		fail_msg("%s: not an integer", path);
	return json_integer_value(v);
}

static const char *
jstr(json_t *obj, const char *key)
{
	json_t	*v = json_object_get(obj, key);

	if (!json_is_string(v))
		fail_msg("%s: not a string", key);
	return json_string_value(v);
}

static void
test_datacentres(void **state)
{
	json_t	*j, *list, *e;
	int	 status;

	(void)state;
	j = call(&route_datacentres, &status, NULL, NULL, NULL);
	assert_int_equal(status, 200);
	list = json_object_get(j, "datacentres");
	assert_int_equal(jint(j, "hosts"), 15);
	assert_int_equal(jint(j, "states.UP"), 14);
	assert_int_equal(jint(j, "states.STALE"), 1);

	e = find_dc(list, "basildon");
	assert_int_equal(jint(e, "hosts"), 4);
	assert_int_equal(jint(e, "kinds.server"), 3);
	assert_int_equal(jint(e, "kinds.switch"), 1);
	assert_int_equal(jint(e, "states.UP"), 4);
	assert_int_equal(jint(e, "states.STALE"), 0);
	assert_string_equal(jstr(e, "worst_state"), "UP");
	assert_false(json_is_true(json_object_get(e, "unassigned")));
	assert_string_equal(jstr(e, "last_report"), iso(t0));
	assert_string_equal(jstr(e, "hosts_url"),
	    "/api/v1/hosts?datacentre=basildon");

	e = find_dc(list, "southend");
	assert_int_equal(jint(e, "hosts"), 7);
	assert_int_equal(jint(e, "states.STALE"), 1);
	assert_string_equal(jstr(e, "worst_state"), "STALE");

	/* No datacentre and an empty one are the same group, listed last. */
	e = find_dc(list, NULL);
	assert_ptr_equal(e, json_array_get(list, json_array_size(list) - 1));
	assert_true(json_is_true(json_object_get(e, "unassigned")));
	assert_int_equal(jint(e, "hosts"), 3);
	assert_int_equal(jint(e, "kinds.ups"), 1);
	assert_string_equal(jstr(e, "hosts_url"), "/api/v1/hosts?datacentre=");
	json_decref(j);
}

/* The agent ids of a host list, comma-separated (caller frees). */
static char *
agent_ids(json_t *j)
{
	json_t	*h;
	char	*out = xstrdup(""), *next;
	size_t	 i;

	json_array_foreach(json_object_get(j, "hosts"), i, h) {
		xasprintf(&next, "%s%s%s", out, i > 0 ? "," : "",
		    jstr(h, "agent_id"));
		free(out);
		out = next;
	}
	return out;
}

static void
expect_hosts(const char *want, ...)
{
	json_t		*j;
	va_list		 ap;
	const char	*k[4] = { NULL }, *v[4] = { NULL };
	char		*got;
	int		 status, n = 0;

	va_start(ap, want);
	while (n < 4 && (k[n] = va_arg(ap, const char *)) != NULL) {
		v[n] = va_arg(ap, const char *);
		n++;
	}
	va_end(ap);
	j = call(&route_hosts, &status, NULL, NULL, k[0], v[0], k[1], v[1],
	    k[2], v[2], k[3], v[3], NULL);
	if (status != 200)
		fail_msg("status %d: %s", status, error_of(j));
	got = agent_ids(j);
	if (strcmp(got, want) != 0)
		fail_msg("%s=%s: got %s, want %s", k[0] ? k[0] : "-",
		    v[0] ? v[0] : "-", got, want);
	assert_int_equal(jint(j, "total"), (int64_t)json_array_size(
	    json_object_get(j, "hosts")));
	free(got);
	json_decref(j);
}

static void
expect_hosts_error(const char *param, const char *value, const char *needle)
{
	json_t	*j;
	int	 status;

	j = call(&route_hosts, &status, NULL, NULL, param, value, NULL);
	assert_int_equal(status, 400);
	assert_contains(error_of(j), param);
	assert_contains(error_of(j), needle);
	json_decref(j);
}

static void
test_hosts_filters(void **state)
{
	char	 big[300];

	(void)state;
	/* Sorted by name in any case: App01 between a%b_c and app02. */
	expect_hosts("pct-id,app01-id,app02-id,abc-id,blank-dc,dup-a,dup-b,"
	    "loose-1,mail-id,stale-id,sw-bas-1,sw-sth-1,weird-id,web01-id,"
	    "web02-id", NULL);
	expect_hosts("dup-a,sw-bas-1,web01-id,web02-id", "datacentre",
	    "basildon", NULL);
	expect_hosts("blank-dc,loose-1,mail-id", "datacentre", "", NULL);
	expect_hosts("sw-bas-1,sw-sth-1", "kind", "switch", NULL);
	expect_hosts("sw-sth-1", "kind", "switch", "datacentre", "southend",
	    NULL);
	expect_hosts("stale-id", "state", "stale", NULL);
	expect_hosts("pct-id,app01-id,app02-id,abc-id,dup-b,sw-sth-1",
	    "state", "UP", "datacentre", "southend", NULL);
	/* Wildcards typed by a person are literal. */
	expect_hosts("pct-id", "q", "%", NULL);
	expect_hosts("pct-id", "q", "b_c", NULL);
	expect_hosts("pct-id", "q", "a%b", NULL);
	/* Any case; over FQDN, serial, address, model, OS name. */
	expect_hosts("app01-id,app02-id", "q", "APP0", NULL);
	expect_hosts("mail-id", "q", "mail.btuh", NULL);
	expect_hosts("web01-id", "q", "7xj2", NULL);
	expect_hosts("web01-id", "q", "10.20.1", NULL);
	expect_hosts("web01-id", "q", "fe80::", NULL);
	expect_hosts("web01-id", "q", "poweredge", NULL);
	expect_hosts("web01-id", "q", "maipo", NULL);
	{
		json_t	*j;
		int	 status;

		j = call(&route_hosts, &status, NULL, NULL, "q", "maipo",
		    NULL);
		assert_string_equal(jstr(json_array_get(json_object_get(j,
		    "hosts"), 0), "os_pretty_name"),
		    "Red Hat Enterprise Linux Server 7.9 (Maipo)");
		json_decref(j);
	}
	/* The JSON around the addresses is not searched. */
	expect_hosts("", "q", "\",\"", NULL);
	expect_hosts("", "q", "'; DROP TABLE hosts; --", NULL);
	expect_hosts("", "q", "\x1b[2J\x1b]0;owned\a", NULL);
	expect_hosts("", "datacentre", "nowhere", NULL);
	/* An empty text query filters nothing. */
	expect_hosts("sw-bas-1,sw-sth-1", "q", "", "kind", "switch", NULL);

	expect_hosts_error("state", "DOWNISH", "UP, DOWN, UNREACHABLE or STALE");
	expect_hosts_error("limit", "0", "out of range");
	expect_hosts_error("limit", "1001", "out of range");
	expect_hosts_error("limit", "ten", "ten");
	expect_hosts_error("cursor", "bm9wZQ", "start again");
	expect_hosts_error("q", "\xff\xfe", "UTF-8");
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	expect_hosts_error("q", big, "to 256 bytes");
	expect_hosts_error("kind", "", "1 to 32");
}

static void
test_hosts_pages(void **state)
{
	json_t		*j, *h;
	char		*cursor = NULL, seen[2048] = ",", *link;
	const char	*id;
	int		 status, pages = 0, n = 0;
	int64_t		 total;
	size_t		 i;

	(void)state;
	for (;;) {
		j = call(&route_hosts, &status, NULL, NULL, "limit", "4",
		    "cursor", cursor, NULL);
		assert_int_equal(status, 200);
		total = jint(j, "total");
		json_array_foreach(json_object_get(j, "hosts"), i, h) {
			char	 key[80];

			id = jstr(h, "agent_id");
			snprintf(key, sizeof key, ",%s,", id);
			if (strstr(seen, key) != NULL)
				fail_msg("%s seen twice", id);
			strcat(seen, id);
			strcat(seen, ",");
			n++;
		}
		pages++;
		/* A host added behind the cursor mid-walk changes nothing
		 * that is still to come. */
		if (pages == 2)
			plain_host(estate, "late-aaa", "aaa-late", "orsett",
			    "server");
		free(cursor);
		cursor = NULL;
		if (json_is_null(json_object_get(j, "next_cursor"))) {
			assert_true(json_is_null(json_object_get(j, "next")));
			json_decref(j);
			break;
		}
		cursor = xstrdup(jstr(j, "next_cursor"));
		xasprintf(&link, "/api/v1/hosts?limit=4&cursor=%s", cursor);
		assert_string_equal(jstr(j, "next"), link);
		free(link);
		json_decref(j);
	}
	assert_int_equal(n, 15);
	assert_int_equal(pages, 4);
	assert_int_equal(total, 16);	/* the late host counts now */
	assert_null(strstr(seen, "late-aaa"));

	/* The next link carries the filters, escaped. */
	j = call(&route_hosts, &status, NULL, NULL, "limit", "1", "datacentre",
	    "basildon", "q", "e 0&", NULL);
	assert_int_equal(status, 200);
	assert_int_equal(jint(j, "total"), 0);
	json_decref(j);
	j = call(&route_hosts, &status, NULL, NULL, "limit", "1", "state",
	    "up", "q", "w", NULL);
	assert_contains(jstr(j, "next"), "&state=UP&q=w&cursor=");
	json_decref(j);
	j = call(&route_hosts, &status, NULL, NULL, "limit", "1", "q", "a",
	    "datacentre", "", NULL);
	assert_contains(jstr(j, "next"), "?limit=1&datacentre=&q=a&cursor=");
	json_decref(j);
}

static void
test_host_detail(void **state)
{
	json_t	*j, *m, *c, *f, *cands;
	int	 status;

	(void)state;
	j = call(&route_host, &status, "web01", NULL, NULL);
	assert_int_equal(status, 200);
	assert_string_equal(jstr(j, "agent_id"), "web01-id");
	assert_string_equal(jstr(j, "fqdn"), "web01.btuh.test");
	assert_string_equal(jstr(j, "state"), "UP");
	assert_string_equal(jstr(json_object_get(j, "os"), "version_id"),
	    "7.9");
	assert_string_equal(jstr(j, "serial"), "7XJ2K93");
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(j, "addresses"), 1)), "fe80::1");
	assert_int_equal(jint(j, "interval_s"), 600);
	assert_int_equal(jint(j, "last_seq"), 30);
	assert_string_equal(jstr(j, "first_seen"), iso(t0 - 290 * MIN_MS));
	assert_string_equal(jstr(j, "last_report"), iso(t0));
	/* Latest value of each series. */
	m = json_object_get(j, "metrics");
	assert_int_equal(json_array_size(m), 3);
	assert_string_equal(jstr(json_array_get(m, 0), "name"), "cpu.util");
	assert_true(json_number_value(json_object_get(json_array_get(m, 0),
	    "value")) == 29.0);
	assert_int_equal(json_object_size(json_object_get(json_array_get(m,
	    0), "labels")), 0);
	assert_string_equal(jstr(json_object_get(json_array_get(m, 2),
	    "labels"), "mount"), "/var");
	assert_string_equal(jstr(json_array_get(m, 2), "ts"), iso(t0));
	c = json_object_get(j, "checks");
	assert_int_equal(json_array_size(c), 2);
	assert_string_equal(jstr(json_array_get(c, 1), "name"), "ntp");
	assert_int_equal(jint(json_array_get(c, 1), "status"), 1);
	assert_string_equal(jstr(json_array_get(c, 1), "status_text"),
	    "WARNING");
	assert_string_equal(jstr(json_array_get(c, 1), "perfdata"),
	    "offset=2s;1;5");
	f = json_array_get(json_object_get(j, "interfaces"), 0);
	assert_string_equal(jstr(f, "name"), "eth0");
	assert_int_equal(jint(f, "speed_bps"), 1000000000);
	assert_int_equal(jint(f, "in_octets"), 29000);
	assert_true(json_is_null(json_object_get(f, "mac")));
	json_decref(j);

	/* By FQDN in any case, with the rename on record. */
	j = call(&route_host, &status, "mail.btuh.TEST", NULL, NULL);
	assert_int_equal(status, 200);
	assert_string_equal(jstr(j, "name"), "mail01");
	assert_string_equal(jstr(json_array_get(json_object_get(j, "renames"),
	    0), "old_name"), "old-mail");
	assert_string_equal(jstr(json_array_get(json_object_get(j, "renames"),
	    0), "new_name"), "mail01");
	json_decref(j);

	/* By agent id; the stale host says so. */
	j = call(&route_host, &status, "stale-id", NULL, NULL);
	assert_int_equal(status, 200);
	assert_string_equal(jstr(j, "state"), "STALE");
	json_decref(j);

	/* A shared name: 409 listing agent ids to choose by. */
	j = call(&route_host, &status, "dup", NULL, NULL);
	assert_int_equal(status, 409);
	assert_contains(error_of(j), "\"dup\" names 2 hosts");
	cands = json_object_get(j, "candidates");
	assert_int_equal(json_array_size(cands), 2);
	assert_string_equal(jstr(json_array_get(cands, 0), "agent_id"),
	    "dup-a");
	assert_string_equal(jstr(json_array_get(cands, 1), "url"),
	    "/api/v1/hosts/dup-b");
	json_decref(j);
	j = call(&route_host, &status, "dup-b", NULL, NULL);
	assert_int_equal(status, 200);
	assert_string_equal(jstr(j, "datacentre"), "southend");
	json_decref(j);

	/* Unknown: 404 naming it, shown safely. */
	j = call(&route_host, &status, "nosuch\x1b[2J\xff", NULL, NULL);
	assert_int_equal(status, 404);
	assert_contains(error_of(j), "nosuch\\x1b[2J\\xff");
	json_decref(j);
	/* The name is not a pattern. */
	j = call(&route_host, &status, "web%", NULL, NULL);
	assert_int_equal(status, 404);
	json_decref(j);
}

static json_t *
series_points(json_t *j, size_t i)
{
	return json_object_get(json_array_get(json_object_get(j, "series"),
	    i), "points");
}

static void
test_host_metric(void **state)
{
	json_t		*j, *p;
	char		 from[64];
	int		 status;

	(void)state;
	/* Default: the last 6 hours, raw. */
	j = call(&route_host_metric, &status, "web01", "cpu.util", NULL);
	assert_int_equal(status, 200);
	assert_string_equal(jstr(j, "resolution"), "raw");
	assert_string_equal(jstr(j, "agent_id"), "web01-id");
	assert_int_equal(json_array_size(json_object_get(j, "columns")), 2);
	p = series_points(j, 0);
	assert_int_equal(json_array_size(p), 30);
	assert_string_equal(json_string_value(json_array_get(json_array_get(p,
	    0), 0)), iso(t0 - 290 * MIN_MS));
	assert_true(json_number_value(json_array_get(json_array_get(p, 29),
	    1)) == 29.0);
	assert_string_equal(jstr(json_array_get(json_object_get(j, "series"),
	    0), "unit"), "percent");
	assert_false(json_is_true(json_object_get(j, "truncated")));
	json_decref(j);

	/* An ISO range picks its samples. */
	snprintf(from, sizeof from, "%s", iso(t0 - 95 * MIN_MS));
	j = call(&route_host_metric, &status, "web01-id", "cpu.util", "from",
	    from, "to", iso(t0 - 50 * MIN_MS), NULL);
	assert_int_equal(status, 200);
	assert_int_equal(json_array_size(series_points(j, 0)), 5);
	json_decref(j);

	/* 40 days at a 10 minute interval: hourly roll-ups. */
	j = call(&route_host_metric, &status, "web01", "cpu.util", "from",
	    "-40d", NULL);
	assert_int_equal(status, 200);
	assert_string_equal(jstr(j, "resolution"), "hour");
	assert_string_equal(json_string_value(json_array_get(json_object_get(j,
	    "columns"), 4)), "count");
	p = series_points(j, 0);
	assert_in_range(json_array_size(p), 5, 6);
	{
		json_int_t	 count = 0;
		size_t		 i;
		json_t		*pt;

		json_array_foreach(p, i, pt) {
			assert_true(json_number_value(json_array_get(pt, 1)) <=
			    json_number_value(json_array_get(pt, 2)));
			assert_true(json_number_value(json_array_get(pt, 2)) <=
			    json_number_value(json_array_get(pt, 3)));
			count += json_integer_value(json_array_get(pt, 4));
		}
		assert_int_equal(count, 30);
	}
	json_decref(j);
	j = call(&route_host_metric, &status, "web01", "cpu.util",
	    "resolution", "hour", NULL);
	assert_string_equal(jstr(j, "resolution"), "hour");
	json_decref(j);
	j = call(&route_host_metric, &status, "web01", "cpu.util", "from",
	    "-40d", "resolution", "raw", NULL);
	assert_string_equal(jstr(j, "resolution"), "raw");
	assert_int_equal(json_array_size(series_points(j, 0)), 30);
	json_decref(j);

	/* Labels pick series, as key=value or as JSON. */
	j = call(&route_host_metric, &status, "web01", "fs.used", NULL);
	assert_int_equal(json_array_size(json_object_get(j, "series")), 2);
	json_decref(j);
	j = call(&route_host_metric, &status, "web01", "fs.used", "labels",
	    "mount=/var", NULL);
	assert_int_equal(json_array_size(json_object_get(j, "series")), 1);
	assert_true(json_number_value(json_array_get(json_array_get(
	    series_points(j, 0), 0), 1)) == 70.0);
	json_decref(j);
	j = call(&route_host_metric, &status, "web01", "fs.used", "labels",
	    "{\"mount\":\"/\"}", NULL);
	assert_int_equal(json_array_size(json_object_get(j, "series")), 1);
	assert_string_equal(jstr(json_object_get(json_array_get(
	    json_object_get(j, "series"), 0), "labels"), "mount"), "/");
	json_decref(j);
	j = call(&route_host_metric, &status, "web01", "fs.used", "labels",
	    "mount=/nope", NULL);
	assert_int_equal(status, 200);
	assert_int_equal(json_array_size(json_object_get(j, "series")), 0);
	json_decref(j);

	/* Bad input names the parameter. */
	j = call(&route_host_metric, &status, "web01", "cpu.util", "from",
	    "last tuesday", NULL);
	assert_int_equal(status, 400);
	assert_true(strncmp(error_of(j), "from: ", 6) == 0);
	json_decref(j);
	j = call(&route_host_metric, &status, "web01", "cpu.util", "to",
	    "2026-02-30T00:00:00Z", NULL);
	assert_int_equal(status, 400);
	assert_true(strncmp(error_of(j), "to: ", 4) == 0);
	json_decref(j);
	j = call(&route_host_metric, &status, "web01", "cpu.util", "from",
	    "-1h", "to", "-2h", NULL);
	assert_int_equal(status, 400);
	assert_string_equal(error_of(j), "from: must be before to");
	json_decref(j);
	j = call(&route_host_metric, &status, "web01", "cpu.util",
	    "resolution", "minute", NULL);
	assert_int_equal(status, 400);
	assert_contains(error_of(j), "resolution");
	json_decref(j);
	j = call(&route_host_metric, &status, "web01", "fs.used", "labels",
	    "mount", NULL);
	assert_int_equal(status, 400);
	assert_contains(error_of(j), "labels: ");
	json_decref(j);
	j = call(&route_host_metric, &status, "web01", "fs.used", "labels",
	    "{\"mount\":1}", NULL);
	assert_int_equal(status, 400);
	json_decref(j);
	j = call(&route_host_metric, &status, "web01", "cpu util';--", NULL);
	assert_int_equal(status, 400);
	assert_contains(error_of(j), "metric: ");
	json_decref(j);
	j = call(&route_host_metric, &status, "web01", "mem.used", NULL);
	assert_int_equal(status, 404);
	assert_contains(error_of(j), "mem.used");
	json_decref(j);
	j = call(&route_host_metric, &status, "nosuch", "cpu.util", NULL);
	assert_int_equal(status, 404);
	json_decref(j);
	j = call(&route_host_metric, &status, "dup", "cpu.util", NULL);
	assert_int_equal(status, 409);
	json_decref(j);
}

static void
test_search(void **state)
{
	json_t	*j, *r;
	char	 big[300];
	int	 status;

	(void)state;
	j = call(&route_search, &status, NULL, NULL, "q", "app", NULL);
	assert_int_equal(status, 200);
	assert_int_equal(jint(j, "total"), 2);
	r = json_array_get(json_object_get(j, "results"), 0);
	assert_string_equal(jstr(r, "type"), "host");
	assert_string_equal(jstr(r, "name"), "App01");
	assert_string_equal(jstr(r, "matched"), "name");
	assert_string_equal(jstr(r, "url"), "/api/v1/hosts/app01-id");
	assert_string_equal(jstr(r, "state"), "UP");
	json_decref(j);

	/* The exact name first, then names that start with it. */
	j = call(&route_search, &status, NULL, NULL, "q", "web01", NULL);
	assert_string_equal(jstr(json_array_get(json_object_get(j, "results"),
	    0), "agent_id"), "web01-id");
	json_decref(j);
	j = call(&route_search, &status, NULL, NULL, "q", "sw", "limit", "1",
	    NULL);
	assert_int_equal(jint(j, "total"), 2);
	assert_int_equal(json_array_size(json_object_get(j, "results")), 1);
	assert_true(json_is_true(json_object_get(j, "truncated")));
	json_decref(j);
	j = call(&route_search, &status, NULL, NULL, "q", "7XJ", NULL);
	assert_string_equal(jstr(json_array_get(json_object_get(j, "results"),
	    0), "matched"), "serial");
	json_decref(j);
	j = call(&route_search, &status, NULL, NULL, "q", "10.20.", NULL);
	assert_string_equal(jstr(json_array_get(json_object_get(j, "results"),
	    0), "matched"), "address");
	json_decref(j);

	/* Hostile text is data; it comes back as it was sent. */
	j = call(&route_search, &status, NULL, NULL, "q",
	    "x' OR '1'='1\x1b[31m", NULL);
	assert_int_equal(status, 200);
	assert_int_equal(jint(j, "total"), 0);
	assert_string_equal(jstr(j, "q"), "x' OR '1'='1\x1b[31m");
	json_decref(j);

	j = call(&route_search, &status, NULL, NULL, NULL);
	assert_int_equal(status, 400);
	assert_contains(error_of(j), "q: missing");
	json_decref(j);
	j = call(&route_search, &status, NULL, NULL, "q", "", NULL);
	assert_int_equal(status, 400);
	assert_contains(error_of(j), "q: ");
	json_decref(j);
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	j = call(&route_search, &status, NULL, NULL, "q", big, NULL);
	assert_int_equal(status, 400);
	assert_contains(error_of(j), "1 to 256 bytes");
	json_decref(j);
	big[256] = '\0';
	j = call(&route_search, &status, NULL, NULL, "q", big, NULL);
	assert_int_equal(status, 200);
	json_decref(j);
}

/* ------------------------------------------------------------ /metrics */

static int
metric_name_ok(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_' ||
		    s[i] == ':' || (i > 0 && s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

/*
 * Checks one sample line against the 0.0.4 grammar:
 * name [ "{" label="value" { "," label="value" } "}" ] SP value, with
 * only \\, \" and \n escapes inside values. Returns the name's length.
 */
static size_t
sample_line_ok(const char *line)
{
	const char	*p = line, *start;
	char		*end;
	size_t		 name_len;

	while (*p != '\0' && *p != '{' && *p != ' ')
		p++;
	name_len = (size_t)(p - line);
	if (!metric_name_ok(line, name_len))
		fail_msg("bad metric name in: %s", line);
	if (*p == '{') {
		p++;
		while (*p != '}') {
			start = p;
			while (*p != '=' && *p != '\0')
				p++;
			if (!metric_name_ok(start, (size_t)(p - start)) ||
			    p[0] != '=' || p[1] != '"')
				fail_msg("bad label in: %s", line);
			p += 2;
			while (*p != '"') {
				if (*p == '\0' || *p == '\n')
					fail_msg("unterminated: %s", line);
				if (*p == '\\' && (p[1] == '\\' ||
				    p[1] == '"' || p[1] == 'n'))
					p++;
				else if (*p == '\\')
					fail_msg("bad escape: %s", line);
				p++;
			}
			p++;
			if (*p == ',')
				p++;
			else if (*p != '}')
				fail_msg("expected , or }: %s", line);
		}
		p++;
	}
	if (*p != ' ')
		fail_msg("expected a space before the value: %s", line);
	p++;
	if (strcmp(p, "+Inf") != 0 && strcmp(p, "-Inf") != 0 &&
	    strcmp(p, "NaN") != 0) {
		strtod(p, &end);
		if (end == p || *end != '\0')
			fail_msg("bad value in: %s", line);
	}
	return name_len;
}

static int
suffix_is(const char *s, size_t n, const char *suffix)
{
	return strlen(suffix) == n && strncmp(s, suffix, n) == 0;
}

/* Every line parses; each family's TYPE comes once, before its samples,
 * and its samples are together. */
static void
exposition_ok(char *text)
{
	char	*line, *save = NULL, types[8192] = " ", current[128] = "";
	char	 key[140];
	size_t	 n, m;

	assert_true(strlen(text) > 0 && text[strlen(text) - 1] == '\n');
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# HELP ", 7) == 0) {
			n = strcspn(line + 7, " ");
			assert_true(metric_name_ok(line + 7, n));
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			n = strcspn(line + 7, " ");
			assert_true(metric_name_ok(line + 7, n));
			assert_true(n < sizeof current);
			memcpy(current, line + 7, n);
			current[n] = '\0';
			snprintf(key, sizeof key, " %s ", current);
			if (strstr(types, key) != NULL)
				fail_msg("TYPE %s twice", current);
			strcat(types, current);
			strcat(types, " ");
			line += 7 + n + 1;
			if (strcmp(line, "counter") != 0 &&
			    strcmp(line, "gauge") != 0 &&
			    strcmp(line, "histogram") != 0)
				fail_msg("bad type %s", line);
			continue;
		}
		assert_true(line[0] != '#');
		n = sample_line_ok(line);
		/* Samples belong to the family just typed; a histogram's
		 * carry its name with _bucket, _sum or _count. */
		m = strlen(current);
		if (n < m || strncmp(line, current, m) != 0 || (n > m &&
		    !suffix_is(line + m, n - m, "_bucket") &&
		    !suffix_is(line + m, n - m, "_sum") &&
		    !suffix_is(line + m, n - m, "_count")))
			fail_msg("%s outside its family %s", line, current);
	}
}

/* The value of the first line starting with prefix. */
static double
metric_value(const char *text, const char *prefix)
{
	const char	*p = text;
	size_t		 n = strlen(prefix);

	while (p != NULL && *p != '\0') {
		if (strncmp(p, prefix, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	fail_msg("no %s in the /metrics text", prefix);
	return -1;
}

static void
post_report(const char *body, int want)
{
	struct request	 req;
	struct reply	 rep;

	memset(&req, 0, sizeof req);
	memset(&rep, 0, sizeof rep);
	req.c = &coll;
	req.method = "POST";
	req.path = "/api/v1/reports";
	req.body = body;
	req.body_len = strlen(body);
	req.token_name = "test";
	route_reports_post.handler(&req, &rep);
	assert_int_equal(rep.status, want);
	json_decref(rep.json);
}

static void
test_metrics_text(void **state)
{
	char	*text, *copy, *body;
	double	 before, seen;
	int	 status;

	(void)state;
	stats_reset();
	text = call_text(&route_metrics, &status);
	assert_int_equal(status, 200);
	copy = xstrdup(text);
	exposition_ok(copy);
	free(copy);
	assert_true(metric_value(text, "ward_reports_received_total") == 0);
	assert_true(metric_value(text,
	    "ward_ingest_duration_seconds_count") == 0);
	assert_true(metric_value(text, "ward_hosts{state=\"STALE\"}") == 1);
	assert_true(metric_value(text, "ward_host_up{host=\"stale01\","
	    "agent_id=\"stale-id\",datacentre=\"southend\"}") == 0);
	assert_true(metric_value(text, "ward_host_up{host=\"web01\","
	    "agent_id=\"web01-id\",datacentre=\"basildon\"}") == 1);
	assert_true(metric_value(text, "ward_host_up{host=\"loose\","
	    "agent_id=\"loose-1\",datacentre=\"\"}") == 1);
	seen = metric_value(text, "ward_host_last_report_age_seconds{"
	    "host=\"stale01\",agent_id=\"stale-id\",datacentre=\"southend\"}");
	assert_true(seen >= 7200 && seen < 7200 + 600);
	/* Quote, backslash and newline escaped; nothing else touched. */
	assert_contains(text, "ward_host_up{host=\"we\\\"ird\\\\na\\nme\","
	    "agent_id=\"weird-id\",datacentre=\"q\\\"uote\"} 1\n");
	assert_true(metric_value(text, "ward_db_size_bytes{file=\"main\"}") >
	    0);
	assert_contains(text, "ward_db_size_bytes{file=\"wal\"} ");
	assert_contains(text, "ward_http_requests_total{route=\"GET "
	    "/api/v1/hosts/{name}\",code=\"2xx\"} 0\n");
	assert_contains(text, "# TYPE ward_ingest_duration_seconds "
	    "histogram\n");
	assert_contains(text, "ward_ingest_duration_seconds_bucket{"
	    "le=\"+Inf\"} 0\n");
	free(text);

	/* Counters move with what arrives. */
	xasprintf(&body, "[{\"schema\":1,\"agent\":{\"id\":\"m1\"},\"seq\":1,"
	    "\"ts\":\"%s\",\"host\":{\"name\":\"m1\"}},{\"schema\":1,"
	    "\"agent\":{\"id\":\"m2\"},\"seq\":1,\"ts\":\"%s\",\"host\":{"
	    "\"name\":\"m2\"}}]", iso(t0), iso(t0));
	post_report(body, 200);
	post_report(body, 200);			/* a replay */
	post_report("{\"schema\":1,", 400);	/* not JSON */
	post_report("[{\"schema\":1},{\"schema\":1}]", 400);
	free(body);
	stats_request(&route_hosts, 200);
	stats_request(&route_hosts, 404);
	stats_request(NULL, 404);
	text = call_text(&route_metrics, &status);
	assert_int_equal(status, 200);
	copy = xstrdup(text);
	exposition_ok(copy);
	free(copy);
	assert_true(metric_value(text, "ward_reports_received_total") == 7);
	assert_true(metric_value(text, "ward_reports_accepted_total") == 2);
	assert_true(metric_value(text, "ward_reports_duplicates_total") == 2);
	assert_true(metric_value(text, "ward_reports_rejected_total") == 3);
	assert_true(metric_value(text, "ward_reports_failed_total") == 0);
	assert_true(metric_value(text,
	    "ward_ingest_duration_seconds_count") == 4);
	assert_true(metric_value(text,
	    "ward_ingest_duration_seconds_bucket{le=\"+Inf\"}") == 4);
	before = metric_value(text, "ward_ingest_duration_seconds_sum");
	assert_true(before > 0);
	assert_true(metric_value(text, "ward_http_requests_total{route=\"GET "
	    "/api/v1/hosts\",code=\"4xx\"}") == 1);
	assert_true(metric_value(text, "ward_http_requests_total{route="
	    "\"unmatched\",code=\"4xx\"}") == 1);
	assert_true(metric_value(text, "ward_hosts{state=\"UP\"}") == 17);
	free(text);
}

/* A database that cannot answer gives 503 and a message without SQL, path
 * or table names; the log has them. */
static void
test_database_failure(void **state)
{
	struct store	*broken;
	json_t		*j;
	char		 err[256], *text;
	int		 status;

	(void)state;
	broken = open_store("broken.db");
	assert_int_equal(db_exec(store_db(broken), "DROP TABLE hosts", err,
	    sizeof err), 0);
	coll.store = broken;
	tu_log_capture_start();
	j = call(&route_hosts, &status, NULL, NULL, NULL);
	assert_int_equal(status, 503);
	assert_string_equal(error_of(j), "the database did not answer; try "
	    "again later");
	json_decref(j);
	j = call(&route_datacentres, &status, NULL, NULL, NULL);
	assert_int_equal(status, 503);
	json_decref(j);
	j = call(&route_host, &status, "web01", NULL, NULL);
	assert_int_equal(status, 503);
	json_decref(j);
	text = call_text(&route_metrics, &status);
	assert_int_equal(status, 503);
	assert_not_contains(text, "hosts");
	assert_not_contains(text, "broken.db");
	free(text);
	assert_contains(tu_log_captured(), "no such table: hosts");
	assert_contains(tu_log_captured(), "broken.db");
	tu_log_capture_stop();
	coll.store = estate;
	store_close(broken);
}

/* ------------------------------------------------------------ stats */

#define STATS_THREADS	4
#define STATS_ADDS	50000

static void *
stats_hammer(void *arg)
{
	int	 i;

	(void)arg;
	for (i = 0; i < STATS_ADDS; i++) {
		stats_add(STATS_REPORTS_ACCEPTED, 1);
		stats_request(&route_search, 200);
		stats_observe_ns(STATS_HIST_INGEST, 1000);
	}
	return NULL;
}

static void
test_stats(void **state)
{
	struct stats_histogram_snapshot	 h;
	struct stats_route_count	 rc[8];
	pthread_t			 t[STATS_THREADS];
	size_t				 i, n;

	(void)state;
	stats_reset();
	stats_add(STATS_REPORTS_RECEIVED, 5);
	stats_add(STATS_REPORTS_RECEIVED, 0);
	stats_add(STATS_COUNTER_COUNT, 3);	/* ignored */
	assert_int_equal(stats_get(STATS_REPORTS_RECEIVED), 5);
	assert_string_equal(stats_counter_name(STATS_REPORTS_DUPLICATE),
	    "ward_reports_duplicates_total");
	assert_non_null(stats_counter_help(STATS_REPORTS_FAILED));

	/* Bounds are inclusive; above the last is +Inf only. */
	stats_observe_ns(STATS_HIST_INGEST, 500000);		/* 0.0005 */
	stats_observe_ns(STATS_HIST_INGEST, 500001);		/* 0.001 */
	stats_observe_ns(STATS_HIST_INGEST, 3000000000LL);	/* 5 */
	stats_observe_ns(STATS_HIST_INGEST, 60000000000LL);	/* +Inf */
	stats_observe_ns(STATS_HIST_INGEST, -5);		/* as 0 */
	stats_histogram_get(STATS_HIST_INGEST, &h);
	assert_true(h.le_s[0] == 0.0005);
	assert_true(h.le_s[STATS_HIST_BUCKETS - 1] == 10.0);
	assert_int_equal(h.cumulative[0], 2);
	assert_int_equal(h.cumulative[1], 3);
	assert_int_equal(h.cumulative[11], 3);			/* 2.5 */
	assert_int_equal(h.cumulative[12], 4);			/* 5 */
	assert_int_equal(h.cumulative[STATS_HIST_BUCKETS - 1], 4);
	assert_int_equal(h.cumulative[STATS_HIST_BUCKETS], 5);
	assert_int_equal(h.count, 5);
	assert_true(h.sum_s > 63.0 && h.sum_s < 63.01);

	stats_request(&route_hosts, 200);
	stats_request(&route_hosts, 204);
	stats_request(&route_hosts, 503);
	stats_request(&route_hosts, 0);		/* counted as 5xx */
	stats_request(NULL, 405);
	n = stats_requests(rc, 8);
	assert_int_equal(n, 2);
	assert_ptr_equal(rc[0].route, &route_hosts);
	assert_int_equal(rc[0].by_class[1], 2);
	assert_int_equal(rc[0].by_class[4], 2);
	assert_null(rc[1].route);
	assert_int_equal(rc[1].by_class[3], 1);

	/* Updates from several threads are all counted. */
	stats_reset();
	for (i = 0; i < STATS_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, stats_hammer,
		    NULL), 0);
	for (i = 0; i < STATS_THREADS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(stats_get(STATS_REPORTS_ACCEPTED),
	    STATS_THREADS * STATS_ADDS);
	n = stats_requests(rc, 8);
	assert_int_equal(n, 1);
	assert_int_equal(rc[0].by_class[1], STATS_THREADS * STATS_ADDS);
	stats_histogram_get(STATS_HIST_INGEST, &h);
	assert_int_equal(h.count, STATS_THREADS * STATS_ADDS);
	assert_int_equal(h.cumulative[0], STATS_THREADS * STATS_ADDS);
	stats_reset();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_state_names),
		cmocka_unit_test(test_like_url_cursor),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_datacentres),
		cmocka_unit_test(test_hosts_filters),
		cmocka_unit_test(test_host_detail),
		cmocka_unit_test(test_host_metric),
		cmocka_unit_test(test_search),
		/* These add hosts: after the tests that count them. */
		cmocka_unit_test(test_hosts_pages),
		cmocka_unit_test(test_metrics_text),
		cmocka_unit_test(test_database_failure),
	};

	return cmocka_run_group_tests(tests, estate_setup, estate_teardown);
}
