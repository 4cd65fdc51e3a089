/* test_notify.c: [notify] routes: configuration errors, which routes an
 * alert goes to (and not while suppressed), and the sender on a real store
 * against an HTTP receiver in this process: a burst grouped into one
 * message, templates with hostile strings JSON-escaped, backoff, give-up,
 * and order kept. */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <microhttpd.h>

#include "common/cfg.h"
#include "common/db.h"
#include "common/http.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "collector/collector.h"
#include "tests/unit/testutil.h"

#define T0		1795435200000LL	/* 2026-11-23T12:00:00Z */
#define SEC		1000LL
#define MAX_REQUESTS	64

/* ------------------------------------------------------------ receiver */

struct receiver {
	struct MHD_Daemon	*d;
	unsigned		 port;
	int			 status;	/* to answer with */
	pthread_mutex_t		 lock;
	int			 n;
	char			*bodies[MAX_REQUESTS];
	char			*auth[MAX_REQUESTS];
};

struct upload {
	char	 *data;
	size_t	  len;
};

static enum MHD_Result
rx_handler(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct receiver		*rx = cls;
	struct upload		*u = *con_cls;
	struct MHD_Response	*r;
	const char		*auth;
	enum MHD_Result		 ret;
	int			 status;

	(void)url;
	(void)method;
	(void)version;
	if (u == NULL) {
		*con_cls = xcalloc(1, sizeof *u);
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		u->data = xreallocarray(u->data, u->len + *upload_data_size + 1,
		    1);
		memcpy(u->data + u->len, upload_data, *upload_data_size);
		u->len += *upload_data_size;
		u->data[u->len] = '\0';
		*upload_data_size = 0;
		return MHD_YES;
	}
	auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "Authorization");
	pthread_mutex_lock(&rx->lock);
	if (rx->n < MAX_REQUESTS) {
		rx->bodies[rx->n] = u->data != NULL ? u->data : xstrdup("");
		u->data = NULL;
		rx->auth[rx->n] = auth != NULL ? xstrdup(auth) : NULL;
		rx->n++;
	}
	status = rx->status;
	pthread_mutex_unlock(&rx->lock);
	r = MHD_create_response_from_buffer(2, (void *)(uintptr_t)"ok",
	    MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(conn, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

static void
rx_done(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct upload	*u = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (u != NULL) {
		free(u->data);
		free(u);
	}
	*con_cls = NULL;
}

static void
rx_start(struct receiver *rx)
{
	struct sockaddr_in		 sin;
	const union MHD_DaemonInfo	*info;

	memset(rx, 0, sizeof *rx);
	pthread_mutex_init(&rx->lock, NULL);
	rx->status = 200;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rx->d = MHD_start_daemon(MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD,
	    0, NULL, NULL, rx_handler, rx, MHD_OPTION_SOCK_ADDR, &sin,
	    MHD_OPTION_NOTIFY_COMPLETED, rx_done, rx, MHD_OPTION_END);
	assert_non_null(rx->d);
	info = MHD_get_daemon_info(rx->d, MHD_DAEMON_INFO_BIND_PORT);
	rx->port = info->port;
}

static void
rx_stop(struct receiver *rx)
{
	int	 i;

	MHD_stop_daemon(rx->d);
	for (i = 0; i < rx->n; i++) {
		free(rx->bodies[i]);
		free(rx->auth[i]);
	}
	pthread_mutex_destroy(&rx->lock);
}

static int
rx_count(struct receiver *rx)
{
	int	 n;

	pthread_mutex_lock(&rx->lock);
	n = rx->n;
	pthread_mutex_unlock(&rx->lock);
	return n;
}

static void
rx_set_status(struct receiver *rx, int status)
{
	pthread_mutex_lock(&rx->lock);
	rx->status = status;
	pthread_mutex_unlock(&rx->lock);
}

/* ------------------------------------------------------------ config */

static int
test_validate(void *cfg, char *err, size_t errlen)
{
	return notify_config_check(cfg, err, errlen);
}

static const struct cfg_section test_sections[] = {
	{ "notify", notify_options, CFG_SECTION_MULTI,
	  offsetof(struct collector_config, notifies),
	  sizeof(struct notify_config), "routes" },
	CFG_SECTIONS_END
};
static const struct cfg_schema test_schema = {
	"test", "/dev/null", test_sections, test_validate,
};

static int
load(struct collector_config *cfg, const char *text, char *err,
    size_t errlen)
{
	memset(cfg, 0, sizeof *cfg);
	return cfg_load_string(&test_schema, "collector.conf", text, cfg, err,
	    errlen);
}

static void
load_ok(struct collector_config *cfg, const char *text)
{
	char	 err[1024];

	if (load(cfg, text, err, sizeof err) == -1)
		fail_msg("config refused: %s\n%s", err, text);
}

static void
test_config_errors(void **state)
{
	static const struct {
		const char	*text;
		const char	*error;
	} bad[] = {
		{ "[notify \"a\"]\nurl = https://hooks.example.test/x\n",
		  "type: required but not set" },
		{ "[notify \"a\"]\ntype = pager\nurl = https://h.test/\n",
		  "\"pager\": not one of webhook, email" },
		{ "[notify \"a\"]\ntype = webhook\n", "url: required" },
		{ "[notify \"a\"]\ntype = webhook\nurl = http://hooks.test/x\n",
		  "[notify \"a\"] (line 1) url: a webhook needs https://" },
		{ "[notify \"a\"]\ntype = webhook\nurl = ftp://127.0.0.1/x\n",
		  "url: a webhook needs https://" },
		{ "[notify \"a\"]\ntype = webhook\nurl = not a url\n",
		  "url: not a URL" },
		{ "[notify \"a\"]\ntype = webhook\n"
		  "url = https://u:pw@hooks.test/x\n",
		  "url: no user or password in the URL" },
		{ "[notify \"a\"]\ntype = webhook\nurl = https://h.test/\n"
		  "mail_to = ops@h.test\n", "mail_to: only for type = email" },
		{ "[notify \"m\"]\ntype = email\nurl = smtp://127.0.0.1:25\n"
		  "mail_from = ward@h.test\n",
		  "[notify \"m\"] (line 1) mail_to: required for type = email" },
		{ "[notify \"m\"]\ntype = email\nurl = smtp://127.0.0.1:25\n"
		  "mail_to = ops@h.test\n", "mail_from: required" },
		{ "[notify \"m\"]\ntype = email\nurl = https://h.test/\n"
		  "mail_from = ward@h.test\nmail_to = ops@h.test\n",
		  "url: email needs smtp:// (STARTTLS required) or smtps://" },
		{ "[notify \"m\"]\ntype = email\nurl = smtp://h.test\n"
		  "mail_from = ward@h.test\nmail_to = ops@h.test nobody\n",
		  "mail_to: \"nobody\" is not an address" },
		{ "[notify \"m\"]\ntype = email\nurl = smtp://h.test\n"
		  "mail_from = <ward@h.test>\nmail_to = ops@h.test\n",
		  "mail_from: not an address" },
		{ "[notify \"m\"]\ntype = email\nurl = smtp://h.test\n"
		  "mail_from = ward@h.test\nmail_to = ops@h.test\n"
		  "smtp_user = ward\n", "smtp_user: needs secret" },
		{ "[notify \"a\"]\ntype = webhook\nurl = https://h.test/\n"
		  "min_severity = page\n", "not one of warning, critical" },
		{ "[notify \"a\"]\ntype = webhook\nurl = https://h.test/\n"
		  "group_wait = 2h\n", "group_wait" },
		{ "[notify \"a\"]\ntype = webhook\nurl = https://h.test/\n"
		  "ca_file = /nonexistent/ca.pem\n",
		  "ca_file /nonexistent/ca.pem: No such file" },
	};
	struct collector_config	 cfg;
	char			 err[1024];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		if (load(&cfg, bad[i].text, err, sizeof err) != -1)
			fail_msg("accepted:\n%s", bad[i].text);
		assert_contains(err, bad[i].error);
		cfg_free(&test_schema, &cfg);
	}
}

static void
test_config_templates(void **state)
{
	struct collector_config	 cfg;
	const char		*dir = tu_tmpdir();
	char			*good, *unknown, *notjson, *unclosed, *text;
	char			 err[1024];

	(void)state;
	good = tu_write_file(dir, "good.json", "{\"text\": \"{{summary}}\", "
	    "\"n\": {{count}}, \"alerts\": {{alerts}}, \"h\": \"{{ host }}\"}",
	    0644);
	unknown = tu_write_file(dir, "unknown.json", "{\"x\": \"{{hostname}}\"}",
	    0644);
	notjson = tu_write_file(dir, "notjson.json", "{\"x\": {{summary}}}",
	    0644);
	unclosed = tu_write_file(dir, "unclosed.json", "{\"x\": \"{{summary\"}",
	    0644);

	xasprintf(&text, "[notify \"a\"]\ntype = webhook\n"
	    "url = http://127.0.0.1:9/x\ntemplate = %s\n", good);
	load_ok(&cfg, text);
	cfg_free(&test_schema, &cfg);
	free(text);

	xasprintf(&text, "[notify \"a\"]\ntype = webhook\n"
	    "url = https://h.test/\ntemplate = %s\n", unknown);
	assert_int_equal(load(&cfg, text, err, sizeof err), -1);
	assert_contains(err, "unknown placeholder {{hostname}}");
	cfg_free(&test_schema, &cfg);
	free(text);

	/* A string placeholder outside quotes leaves no JSON. */
	xasprintf(&text, "[notify \"a\"]\ntype = webhook\n"
	    "url = https://h.test/\ntemplate = %s\n", notjson);
	assert_int_equal(load(&cfg, text, err, sizeof err), -1);
	assert_contains(err, "not JSON once filled in");
	cfg_free(&test_schema, &cfg);
	free(text);

	xasprintf(&text, "[notify \"a\"]\ntype = webhook\n"
	    "url = https://h.test/\ntemplate = %s\n", unclosed);
	assert_int_equal(load(&cfg, text, err, sizeof err), -1);
	assert_contains(err, "\"{{\" without \"}}\"");
	cfg_free(&test_schema, &cfg);
	free(text);

	xasprintf(&text, "[notify \"m\"]\ntype = email\n"
	    "url = smtp://127.0.0.1:25\nmail_from = ward@h.test\n"
	    "mail_to = ops@h.test\ntemplate = %s\n", good);
	assert_int_equal(load(&cfg, text, err, sizeof err), -1);
	assert_contains(err, "template: only for type = webhook");
	cfg_free(&test_schema, &cfg);
	free(text);

	free(good);
	free(unknown);
	free(notjson);
	free(unclosed);
}

/* ------------------------------------------------------------ store */

static struct store *
fresh_store(void)
{
	static int	 n;
	char		 name[32], err[512];
	char		*path;
	struct store	*st;

	snprintf(name, sizeof name, "notify-%d.db", n++);
	path = tu_path(tu_tmpdir(), name);
	if ((st = store_open(path, 0, err, sizeof err)) == NULL)
		fail_msg("store_open: %s", err);
	free(path);
	return st;
}

static void
sql(struct store *st, const char *fmt, ...)
{
	va_list	 ap;
	char	*q, err[512];

	va_start(ap, fmt);
	xvasprintf(&q, fmt, ap);
	va_end(ap);
	if (db_exec(store_db(st), q, err, sizeof err) == -1)
		fail_msg("%s: %s", q, err);
	free(q);
}

static int64_t
count(struct store *st, const char *fmt, ...)
{
	va_list		 ap;
	sqlite3_stmt	*s;
	char		*q, err[512];
	int64_t		 n;

	va_start(ap, fmt);
	xvasprintf(&q, fmt, ap);
	va_end(ap);
	if ((s = db_stmt(store_db(st), q, err, sizeof err)) == NULL)
		fail_msg("%s: %s", q, err);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	n = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	free(q);
	return n;
}

/* A host and an open alert on it, as the health engine would write them;
 * strings are SQL literals. */
static int64_t
alert(struct store *st, const char *host, const char *dc, const char *kind,
    const char *severity, const char *summary, const char *suppressed)
{
	sql(st, "INSERT OR IGNORE INTO hosts (agent_id, name, datacentre,"
	    " first_seen_ms, last_seen_ms, last_report_ms, last_seq)"
	    " VALUES (%s, %s, %s, 0, 0, 0, 1)", host, host, dc);
	sql(st, "INSERT INTO alerts (key, kind, host_id, check_name,"
	    " datacentre, severity, status, summary, opened_ms, updated_ms,"
	    " suppressed) VALUES (%s || '/' || %s || random(), %s,"
	    " (SELECT id FROM hosts WHERE agent_id = %s), 'disk /var', %s, %s,"
	    " 'open', %s, %lld, %lld, %s)", host, kind, kind, host, dc,
	    severity, summary, (long long)T0, (long long)T0, suppressed);
	return sqlite3_last_insert_rowid(db_handle(store_db(st)));
}

static int
enqueue(struct store *st, const struct collector_config *cfg, int64_t id,
    const char *event, int64_t now)
{
	char	 err[512];
	int	 n;

	if ((n = notify_enqueue(store_db(st), cfg, id, event, now, err,
	    sizeof err)) == -1)
		fail_msg("notify_enqueue: %s", err);
	return n;
}

static const char routes_text[] =
    "[notify \"all\"]\ntype = webhook\nurl = http://127.0.0.1:9/all\n"
    "[notify \"basildon\"]\ntype = webhook\nurl = http://127.0.0.1:9/b\n"
    "datacentres = basildon\n"
    "[notify \"disks\"]\ntype = webhook\nurl = http://127.0.0.1:9/d\n"
    "kinds = disk* inode_usage\n"
    "[notify \"pager\"]\ntype = email\nurl = smtp://127.0.0.1:9\n"
    "mail_from = ward@h.test\nmail_to = oncall@h.test\n"
    "min_severity = critical\ndatacentres = basil* orsett\n";

static void
test_routing(void **state)
{
	struct collector_config	 cfg;
	struct store		*st;
	int64_t			 a, b, c, d;

	(void)state;
	load_ok(&cfg, routes_text);
	st = fresh_store();
	a = alert(st, "'srv-01'", "'basildon'", "'disk_usage'", "'critical'",
	    "'disk full'", "NULL");
	b = alert(st, "'srv-02'", "'southend'", "'memory'", "'warning'",
	    "'memory'", "NULL");
	c = alert(st, "'srv-03'", "NULL", "'inode_usage'", "'warning'",
	    "'inodes'", "NULL");
	d = alert(st, "'srv-04'", "'orsett'", "'memory'", "'warning'",
	    "'memory'", "NULL");

	assert_int_equal(enqueue(st, &cfg, a, "opened", T0), 4);
	assert_int_equal(enqueue(st, &cfg, b, "opened", T0), 1);
	assert_int_equal(enqueue(st, &cfg, c, "opened", T0), 2);
	/* Warning: not for the critical-only pager. */
	assert_int_equal(enqueue(st, &cfg, d, "opened", T0), 1);
	sql(st, "UPDATE alerts SET severity = 'critical' WHERE id = %lld",
	    (long long)d);
	assert_int_equal(enqueue(st, &cfg, d, "reminder", T0), 2);

	assert_int_equal(count(st, "SELECT count(*) FROM notifications WHERE "
	    "channel = 'all'"), 5);
	assert_int_equal(count(st, "SELECT count(*) FROM notifications WHERE "
	    "channel = 'basildon' AND alert_id = %lld", (long long)a), 1);
	assert_int_equal(count(st, "SELECT count(*) FROM notifications WHERE "
	    "channel = 'disks'"), 2);
	assert_int_equal(count(st, "SELECT count(*) FROM notifications WHERE "
	    "channel = 'pager'"), 2);
	assert_int_equal(count(st, "SELECT count(*) FROM notifications WHERE "
	    "next_attempt_ms = %lld AND created_ms = %lld AND attempts = 0",
	    (long long)T0, (long long)T0), 10);
	store_close(st);
	cfg_free(&test_schema, &cfg);
}

static void
test_suppressed(void **state)
{
	struct collector_config	 cfg;
	struct store		*st;
	int64_t			 a, b;
	char			 err[512];

	(void)state;
	load_ok(&cfg, routes_text);
	st = fresh_store();
	/* Raised in maintenance: nobody hears of it, nor of its end. */
	a = alert(st, "'srv-01'", "'basildon'", "'disk_usage'", "'critical'",
	    "'disk full'", "'maintenance 3: patching'");
	assert_int_equal(enqueue(st, &cfg, a, "opened", T0), 0);
	assert_int_equal(enqueue(st, &cfg, a, "reminder", T0), 0);
	assert_int_equal(enqueue(st, &cfg, a, "acknowledged", T0), 0);
	assert_int_equal(enqueue(st, &cfg, a, "resolved", T0), 0);

	/* Heard of before the suppression: hears the end, on those routes
	 * only. */
	b = alert(st, "'srv-02'", "'southend'", "'memory'", "'critical'",
	    "'memory'", "NULL");
	assert_int_equal(enqueue(st, &cfg, b, "opened", T0), 1);
	sql(st, "UPDATE alerts SET suppressed = 'parent sw-1 DOWN' WHERE id ="
	    " %lld", (long long)b);
	assert_int_equal(enqueue(st, &cfg, b, "reminder", T0), 0);
	assert_int_equal(enqueue(st, &cfg, b, "resolved", T0), 1);
	assert_int_equal(count(st, "SELECT count(*) FROM notifications WHERE "
	    "alert_id = %lld AND event = 'resolved' AND channel = 'all'",
	    (long long)b), 1);

	assert_int_equal(notify_enqueue(store_db(st), &cfg, 999, "opened", T0,
	    err, sizeof err), -1);
	assert_contains(err, "no alert 999");
	store_close(st);
	cfg_free(&test_schema, &cfg);
}

/* ------------------------------------------------------------ sending */

static struct notify_route *
route_for(const struct collector_config *cfg, const char *name)
{
	struct notify_route	*r;
	char			 err[512];
	size_t			 i;

	for (i = 0; i < cfg->notifies.count; i++) {
		const struct notify_config *nc = cfg->notifies.items[i];

		if (strcmp(nc->item.label, name) != 0)
			continue;
		if ((r = notify_route_new(cfg, nc, err, sizeof err)) == NULL)
			fail_msg("notify_route_new: %s", err);
		return r;
	}
	fail_msg("no route %s", name);
	return NULL;
}

static int
run(struct notify_route *r, struct store *st, int64_t now)
{
	char	 err[512];
	int	 rc;

	if ((rc = notify_route_run(r, store_db(st), now, err, sizeof err)) ==
	    -1)
		fail_msg("notify_route_run: %s", err);
	return rc;
}

static char *
webhook_conf(unsigned port, const char *extra)
{
	char	*text;

	xasprintf(&text, "[notify \"hook\"]\ntype = webhook\n"
	    "url = http://127.0.0.1:%u/hook\n%s", port, extra);
	return text;
}

static void
test_grouping(void **state)
{
	struct collector_config	 cfg;
	struct receiver		 rx;
	struct notify_route	*r;
	struct store		*st;
	json_t			*doc;
	char			*text, host[32], *secret, *line;
	int64_t			 ids[10];
	int			 i;

	(void)state;
	rx_start(&rx);
	secret = tu_write_file(tu_tmpdir(), "hook.secret", "s3cret-token\n",
	    0600);
	xasprintf(&line, "secret = %s\n", secret);
	text = webhook_conf(rx.port, line);
	load_ok(&cfg, text);
	cfg.health.runbook_url = xstrdup("https://wiki.test/runbooks/");
	st = fresh_store();
	r = route_for(&cfg, "hook");

	/* Ten hosts fail within a few seconds. */
	for (i = 0; i < 10; i++) {
		snprintf(host, sizeof host, "'web-%02d'", i);
		ids[i] = alert(st, host, "'orsett'", "'host_down'",
		    "'critical'", "'host does not answer'", "NULL");
		assert_int_equal(enqueue(st, &cfg, ids[i], "opened",
		    T0 + i * 500), 1);
	}
	/* Not before group_wait (30 s) has passed since the first. */
	assert_int_equal(run(r, st, T0), 0);
	assert_int_equal(run(r, st, T0 + 29 * SEC), 0);
	assert_int_equal(rx_count(&rx), 0);
	assert_int_equal(run(r, st, T0 + 30 * SEC), 1);
	assert_int_equal(rx_count(&rx), 1);
	assert_int_equal(run(r, st, T0 + 31 * SEC), 0);
	assert_int_equal(rx_count(&rx), 1);

	doc = json_loads(rx.bodies[0], 0, NULL);
	assert_non_null(doc);
	assert_int_equal(json_integer_value(json_object_get(doc, "count")),
	    10);
	assert_int_equal(json_array_size(json_object_get(doc, "alerts")), 10);
	assert_string_equal(json_string_value(json_object_get(doc, "summary")),
	    "10 alerts: 10 opened");
	assert_string_equal(json_string_value(json_object_get(doc, "route")),
	    "hook");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(doc, "alerts"), 9), "host")), "web-09");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(doc, "alerts"), 0), "runbook")),
	    "https://wiki.test/runbooks/host_down.md");
	json_decref(doc);
	assert_string_equal(rx.auth[0], "Bearer s3cret-token");

	assert_int_equal(count(st, "SELECT count(*) FROM notifications WHERE "
	    "sent_ms = %lld AND attempts = 1", (long long)(T0 + 30 * SEC)), 10);
	assert_int_equal(count(st, "SELECT count(*) FROM alerts WHERE "
	    "notifications = 1 AND last_notified_ms = %lld",
	    (long long)(T0 + 30 * SEC)), 10);
	assert_int_equal(count(st, "SELECT count(*) FROM alert_events WHERE "
	    "event = 'notified' AND actor = 'hook' AND detail = 'opened'"), 10);

	/* One more, well after: a message of its own. */
	assert_int_equal(enqueue(st, &cfg, ids[3], "resolved", T0 + 60 * SEC),
	    1);
	assert_int_equal(run(r, st, T0 + 89 * SEC), 0);
	assert_int_equal(run(r, st, T0 + 90 * SEC), 1);
	assert_int_equal(rx_count(&rx), 2);
	doc = json_loads(rx.bodies[1], 0, NULL);
	assert_string_equal(json_string_value(json_object_get(doc, "summary")),
	    "[CRITICAL] web-03: host does not answer (resolved)");
	json_decref(doc);

	notify_route_free(r);
	store_close(st);
	/* Not a section of this schema: cfg_free does not know it. */
	free(cfg.health.runbook_url);
	cfg_free(&test_schema, &cfg);
	rx_stop(&rx);
	free(text);
	free(line);
	free(secret);
}

static void
test_template_escaping(void **state)
{
	static const char hostile[] =
	    "quote \" backslash \\ newline \n tab \t bell \a "
	    "{{host}} </script> \xc3\xa9\xe2\x82\xac";
	struct collector_config	 cfg;
	struct receiver		 rx;
	struct notify_route	*r;
	struct store		*st;
	sqlite3_stmt		*s;
	json_t			*doc;
	char			*text, *tmpl, *line, err[512];
	int64_t			 id;

	(void)state;
	rx_start(&rx);
	tmpl = tu_write_file(tu_tmpdir(), "tmpl.json",
	    "{\"text\": \"{{summary}}\", \"host\": \"{{host}}\", "
	    "\"dc\": \"{{datacentre}}\", \"kind\": \"{{kind}}\", "
	    "\"n\": {{count}}, \"id\": {{id}}, \"alerts\": {{alerts}}, "
	    "\"runbook\": \"{{runbook}}\", \"event\": \"{{event}}\"}", 0644);
	xasprintf(&line, "template = %s\ngroup_wait = 0\n", tmpl);
	text = webhook_conf(rx.port, line);
	load_ok(&cfg, text);
	st = fresh_store();
	r = route_for(&cfg, "hook");

	id = alert(st, "'h'", "'dc'", "'disk'", "'warning'", "'x'", "NULL");
	/* The hostile strings go in through bound parameters. */
	s = db_stmt(store_db(st), "UPDATE alerts SET summary = ?1,"
	    " datacentre = ?1 WHERE id = ?2", err, sizeof err);
	assert_non_null(s);
	sqlite3_bind_text(s, 1, hostile, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, id);
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	sqlite3_reset(s);
	s = db_stmt(store_db(st), "UPDATE hosts SET name = ?1", err,
	    sizeof err);
	sqlite3_bind_text(s, 1, hostile, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	sqlite3_reset(s);

	assert_int_equal(enqueue(st, &cfg, id, "opened", T0), 1);
	assert_int_equal(run(r, st, T0), 1);
	assert_int_equal(rx_count(&rx), 1);
	doc = json_loads(rx.bodies[0], 0, NULL);
	if (doc == NULL)
		fail_msg("not JSON: %s", rx.bodies[0]);
	assert_string_equal(json_string_value(json_object_get(doc, "host")),
	    hostile);
	assert_string_equal(json_string_value(json_object_get(doc, "dc")),
	    hostile);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(doc, "alerts"), 0), "summary")), hostile);
	assert_int_equal(json_integer_value(json_object_get(doc, "n")), 1);
	assert_int_equal(json_integer_value(json_object_get(doc, "id")), id);
	assert_string_equal(json_string_value(json_object_get(doc, "runbook")),
	    "runbooks/disk.md");
	assert_string_equal(json_string_value(json_object_get(doc, "event")),
	    "opened");
	/* The summary names the host and its own text, both intact. */
	assert_contains(json_string_value(json_object_get(doc, "text")),
	    "[WARNING] quote \" backslash");
	json_decref(doc);
	assert_null(rx.auth[0]);

	notify_route_free(r);
	store_close(st);
	cfg_free(&test_schema, &cfg);
	rx_stop(&rx);
	free(text);
	free(line);
	free(tmpl);
}

static void
test_backoff_and_give_up(void **state)
{
	struct collector_config	 cfg;
	struct receiver		 rx;
	struct notify_route	*r;
	struct store		*st;
	char			*text;
	int64_t			 id, id2, now, next, wait;
	int			 i;

	(void)state;
	rx_start(&rx);
	rx_set_status(&rx, 500);
	text = webhook_conf(rx.port, "group_wait = 0\nretry_max = 40s\n"
	    "give_up = 10m\n");
	load_ok(&cfg, text);
	st = fresh_store();
	r = route_for(&cfg, "hook");
	tu_log_capture_start();

	id = alert(st, "'a'", "'dc'", "'disk'", "'critical'", "'first'",
	    "NULL");
	id2 = alert(st, "'b'", "'dc'", "'disk'", "'critical'", "'second'",
	    "NULL");
	assert_int_equal(enqueue(st, &cfg, id, "opened", T0), 1);
	/* Queued later than group_wait: its own message, after the first. */
	assert_int_equal(enqueue(st, &cfg, id2, "opened", T0 + 1), 1);

	/* Waits double from 5 s (each in [ceiling/2, ceiling]) up to
	 * retry_max; the second notification never overtakes the first. */
	now = T0;
	for (i = 0; i < 6; i++) {
		assert_int_equal(run(r, st, now), 1);
		assert_int_equal(rx_count(&rx), i + 1);
		assert_int_equal(count(st, "SELECT attempts FROM notifications"
		    " WHERE alert_id = %lld", (long long)id), i + 1);
		assert_int_equal(count(st, "SELECT attempts FROM notifications"
		    " WHERE alert_id = %lld", (long long)id2), 0);
		next = count(st, "SELECT next_attempt_ms FROM notifications"
		    " WHERE alert_id = %lld", (long long)id);
		wait = next - now;
		{
			int64_t ceiling = 5000LL << i;

			if (ceiling > 40000)
				ceiling = 40000;
			if (wait < ceiling / 2 || wait > ceiling)
				fail_msg("attempt %d: wait %lld ms outside "
				    "[%lld, %lld]", i + 1, (long long)wait,
				    (long long)ceiling / 2, (long long)ceiling);
		}
		/* Not before its time. */
		assert_int_equal(run(r, st, next - 1), 0);
		now = next;
	}
	assert_int_equal(count(st, "SELECT count(*) FROM notifications WHERE "
	    "last_error LIKE '%%HTTP 500%%' AND alert_id = %lld",
	    (long long)id), 1);
	assert_contains(tu_log_captured(), "notify hook: POST http://127.0.0.1");

	/* The endpoint recovers: the first goes, then the second. */
	rx_set_status(&rx, 200);
	assert_int_equal(run(r, st, now), 1);
	assert_contains(tu_log_captured(), "notify hook: delivering again");
	assert_int_equal(count(st, "SELECT count(*) FROM notifications WHERE "
	    "alert_id = %lld AND sent_ms IS NOT NULL", (long long)id), 1);
	assert_int_equal(run(r, st, now), 1);
	assert_contains(rx.bodies[rx.n - 1], "second");
	assert_contains(rx.bodies[rx.n - 2], "first");

	/* Down again, and for longer than give_up: failed and logged. */
	rx_set_status(&rx, 503);
	assert_int_equal(enqueue(st, &cfg, id, "resolved", now), 1);
	assert_int_equal(run(r, st, now), 1);
	assert_int_equal(run(r, st, now + 10 * 60 * SEC - 1), 1);
	assert_int_equal(count(st, "SELECT count(*) FROM notifications WHERE "
	    "failed_ms IS NULL AND sent_ms IS NULL"), 1);
	assert_int_equal(run(r, st, now + 10 * 60 * SEC), 0);
	assert_int_equal(count(st, "SELECT count(*) FROM notifications WHERE "
	    "failed_ms = %lld AND event = 'resolved' AND last_error LIKE "
	    "'%%HTTP 503%%'", (long long)(now + 10 * 60 * SEC)), 1);
	assert_contains(tu_log_captured(), "notify hook: gave up on 1 "
	    "notification(s) not delivered within 10m");
	tu_log_capture_stop();

	notify_route_free(r);
	store_close(st);
	cfg_free(&test_schema, &cfg);
	rx_stop(&rx);
	free(text);
}

/* A receiver that is not there: connection refused is a failure to retry,
 * quickly, never a hang. */
static void
test_endpoint_down(void **state)
{
	struct collector_config	 cfg;
	struct receiver		 rx;
	struct notify_route	*r;
	struct store		*st;
	char			*text;
	unsigned		 port;
	int64_t			 id;

	(void)state;
	rx_start(&rx);
	port = rx.port;
	rx_stop(&rx);
	text = webhook_conf(port, "group_wait = 0\n");
	load_ok(&cfg, text);
	st = fresh_store();
	r = route_for(&cfg, "hook");
	tu_log_capture_start();
	id = alert(st, "'a'", "'dc'", "'disk'", "'critical'", "'x'", "NULL");
	assert_int_equal(enqueue(st, &cfg, id, "opened", T0), 1);
	assert_int_equal(run(r, st, T0), 1);
	assert_int_equal(count(st, "SELECT attempts FROM notifications"), 1);
	assert_int_equal(count(st, "SELECT count(*) FROM notifications WHERE "
	    "last_error LIKE '%%connect%%'"), 1);
	tu_log_capture_stop();
	notify_route_free(r);
	store_close(st);
	cfg_free(&test_schema, &cfg);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_config_templates),
		cmocka_unit_test(test_routing),
		cmocka_unit_test(test_suppressed),
		cmocka_unit_test(test_grouping),
		cmocka_unit_test(test_template_escaping),
		cmocka_unit_test(test_backoff_and_give_up),
		cmocka_unit_test(test_endpoint_down),
	};
	char	 err[256];

	if (http_global_init(err, sizeof err) == -1)
		fail_msg("%s", err);
	log_init("test_notify", 0, LOG_LEVEL_DEBUG);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
