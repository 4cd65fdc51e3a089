/* notify.c: notifications: [notify] routes, the outbox rows an alert change
 * queues, and the sender threads that deliver them by webhook or email. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/backoff.h"
#include "common/buf.h"
#include "common/cfg.h"
#include "common/db.h"
#include "common/http.h"
#include "common/log.h"
#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "collector/collector.h"

/* Alerts listed in one message at most; more go in the next. */
#define NOTIFY_BATCH_MAX	100
#define NOTIFY_TEMPLATE_MAX	(64 * 1024)
#define NOTIFY_BODY_MAX		(1024 * 1024)
#define NOTIFY_REPLY_MAX	(64 * 1024)
#define NOTIFY_CONNECT_TIMEOUT_MS 10000
#define NOTIFY_TIMEOUT_MS	20000
#define NOTIFY_RETRY_INITIAL_MS	5000
#define NOTIFY_ERROR_MAX	300
/* The sender looks at its outbox this often when idle. */
#define NOTIFY_POLL_MS		1000

static const char *const notify_type_names[] = { "webhook", "email", NULL };
static const char *const notify_severity_names[] = { "warning", "critical",
    NULL };

const struct cfg_option notify_options[] = {
	{ "type", CFG_ENUM, NULL, 0, 0, notify_type_names, CFG_REQUIRED,
	  offsetof(struct notify_config, type),
	  "webhook: an HTTP POST of a JSON body; email: a plain-text mail "
	  "through an SMTP server." },
	{ "url", CFG_STRING, NULL, 0, 0, NULL, CFG_REQUIRED,
	  offsetof(struct notify_config, url),
	  "webhook: the https:// URL to POST to (http:// only to a loopback "
	  "address). email: smtp://HOST[:PORT] (STARTTLS is required) or "
	  "smtps://HOST[:PORT]. No user or password in the URL: use "
	  "smtp_user and secret." },
	{ "secret", CFG_SECRET, NULL, 0, 0, NULL, 0,
	  offsetof(struct notify_config, secret),
	  "A file (mode 0600) holding the webhook's bearer token, sent as "
	  "\"Authorization: Bearer\", or the SMTP password of smtp_user. "
	  "Never logged." },
	{ "ca_file", CFG_PATH, NULL, 0, 0, NULL, 0,
	  offsetof(struct notify_config, ca_file),
	  "CA certificates (PEM) to verify the server with instead of the "
	  "system's. Verification is always on." },
	{ "template", CFG_PATH, NULL, 0, 0, NULL, 0,
	  offsetof(struct notify_config, template),
	  "webhook: a file holding the JSON body to send, with {{summary}}, "
	  "{{count}}, {{alerts}}, {{route}} and, of the message's first "
	  "alert, {{event}}, {{kind}}, {{severity}}, {{status}}, {{host}}, "
	  "{{datacentre}}, {{check}}, {{runbook}}, {{id}}, {{opened}}. "
	  "Values are JSON-escaped, without quotes; {{alerts}} is a JSON "
	  "array and {{count}} a number. Unset: the documented default "
	  "payload." },
	{ "mail_from", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct notify_config, mail_from),
	  "email: the sender address." },
	{ "mail_to", CFG_LIST, NULL, 0, 0, NULL, 0,
	  offsetof(struct notify_config, mail_to),
	  "email: the recipient addresses." },
	{ "smtp_user", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct notify_config, smtp_user),
	  "email: the user to log in to the SMTP server as (with secret); "
	  "unset: no login." },
	{ "datacentres", CFG_LIST, NULL, 0, 0, NULL, 0,
	  offsetof(struct notify_config, datacentres),
	  "Only alerts of hosts in these datacentres (fnmatch(3) patterns); "
	  "empty: every datacentre." },
	{ "kinds", CFG_LIST, NULL, 0, 0, NULL, 0,
	  offsetof(struct notify_config, kinds),
	  "Only alerts of these kinds (fnmatch(3) patterns, e.g. disk*); "
	  "empty: every kind." },
	{ "min_severity", CFG_ENUM, "warning", 0, 0, notify_severity_names, 0,
	  offsetof(struct notify_config, min_severity),
	  "warning: every alert; critical: critical alerts only." },
	{ "group_wait", CFG_DURATION, "30s", 0, 3600000, NULL, 0,
	  offsetof(struct notify_config, group_wait_ms),
	  "Everything queued for this route within this long of the first "
	  "waiting notification goes as one message listing the alerts, so a "
	  "burst is one message. 0: each alone, at once." },
	{ "retry_max", CFG_DURATION, "10m", 1000, 86400000, NULL, 0,
	  offsetof(struct notify_config, retry_max_ms),
	  "A failed message is tried again after a wait that doubles from "
	  "5 s (with jitter) up to this." },
	{ "give_up", CFG_DURATION, "24h", 60000, 30LL * 86400000, NULL, 0,
	  offsetof(struct notify_config, give_up_ms),
	  "A notification not delivered this long after it was queued is "
	  "marked failed and logged." },
	CFG_OPTIONS_END
};

/* ------------------------------------------------------------ checks */

static int
notify_is_loopback(const char *host)
{
	return strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 ||
	    strcmp(host, "[::1]") == 0 || strncmp(host, "127.", 4) == 0;
}

/* The URL's scheme and host, checked by curl's own parser. */
static int
notify_url_parts(const char *url, char **scheme, char **host, int *userinfo)
{
	CURLU	*u;
	char	*s = NULL, *h = NULL, *user = NULL;
	int	 rc = -1;

	*scheme = *host = NULL;
	if ((u = curl_url()) == NULL)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &s, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK) {
		*userinfo = curl_url_get(u, CURLUPART_USER, &user, 0) ==
		    CURLUE_OK;
		*scheme = xstrdup(s);
		*host = xstrdup(h);
		rc = 0;
	}
	curl_free(s);
	curl_free(h);
	curl_free(user);
	curl_url_cleanup(u);
	return rc;
}

/* local@domain, nothing a mail header or SMTP command could trip on. */
static int
notify_address_ok(const char *a)
{
	const char	*at = strchr(a, '@'), *p;

	if (at == NULL || at == a || at[1] == '\0' || strchr(at + 1, '@'))
		return 0;
	for (p = a; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    strchr("<>()[]\\,;:\"", *p) != NULL)
			return 0;
	return 1;
}

static const char *const notify_placeholders[] = {
	"summary", "count", "alerts", "route", "event", "kind", "severity",
	"status", "host", "datacentre", "check", "runbook", "id", "opened",
	NULL,
};

static char *
notify_read_template(const char *path, char *err, size_t errlen)
{
	struct buf	 b;
	char		 chunk[4096];
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "template %s: %s", path, strerror(errno));
		return NULL;
	}
	buf_init(&b, NOTIFY_TEMPLATE_MAX);
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || buf_append(&b, chunk, (size_t)n) == -1) {
			snprintf(err, errlen, "template %s: %s", path, n == -1 ?
			    strerror(errno) : "larger than 64 KiB");
			close(fd);
			buf_free(&b);
			return NULL;
		}
	}
	close(fd);
	return buf_detach(&b, NULL);
}

/* ------------------------------------------------------------ messages */

/* One outbox row with what its message says of the alert. */
struct notify_item {
	int64_t	 id;
	int64_t	 alert_id;
	char	*event;
	int64_t	 created_ms;
	int64_t	 next_attempt_ms;
	int64_t	 attempts;
	char	*kind, *severity, *status, *summary, *datacentre, *host;
	char	*check, *acked_by, *ack_comment, *suppressed;
	int64_t	 opened_ms;
};

struct notify_route {
	const struct collector_config	*cfg;
	const struct notify_config	*nc;
	char				*template;
	struct http_client		*http;
	struct backoff			 bo;
	struct log_complain		 complain;
	char				 last_error[NOTIFY_ERROR_MAX];
	const int			*stop;	/* asked during a transfer */
	/*
	 * A message sent (or failed) whose outcome the database did not
	 * take (a full disk): kept here and recorded before anything else
	 * is sent, or the next poll would send it again.
	 */
	struct notify_item		*unrecorded;
	size_t				 nunrecorded;
	int64_t				 unrecorded_now_ms;
	int64_t				 unrecorded_retry_ms;
	char				 unrecorded_error[NOTIFY_ERROR_MAX];
};

static void
notify_item_clear(struct notify_item *it)
{
	free(it->event);
	free(it->kind);
	free(it->severity);
	free(it->status);
	free(it->summary);
	free(it->datacentre);
	free(it->host);
	free(it->check);
	free(it->acked_by);
	free(it->ack_comment);
	free(it->suppressed);
	memset(it, 0, sizeof *it);
}

static char *
notify_runbook(const struct collector_config *cfg, const char *kind)
{
	char	*s;

	if (cfg->health.runbook_url != NULL)
		xasprintf(&s, "%s%s.md", cfg->health.runbook_url, kind);
	else
		xasprintf(&s, "runbooks/%s.md", kind);
	return s;
}

static const char *
notify_str(const char *s)
{
	return s != NULL ? s : "";
}

static void
notify_upper(char *dst, size_t size, const char *s)
{
	size_t	 i;

	for (i = 0; i + 1 < size && s[i] != '\0'; i++)
		dst[i] = (char)toupper((unsigned char)s[i]);
	dst[i] = '\0';
}

/* "[CRITICAL] srv-01: disk / 97% full (opened)", or "12 alerts: 10
 * opened, 2 resolved". */
static char *
notify_summary(const struct notify_item *items, size_t n)
{
	static const char *const events[] = { "opened", "reminder",
	    "flapping", "acknowledged", "resolved" };
	struct buf	 b;
	char		 sev[16];
	size_t		 i, j, count, listed = 0;

	buf_init(&b, 0);
	if (n == 1) {
		notify_upper(sev, sizeof sev, notify_str(items[0].severity));
		buf_printf(&b, "[%s] ", sev);
		if (items[0].host != NULL)
			buf_printf(&b, "%s: ", items[0].host);
		buf_printf(&b, "%s (%s)", notify_str(items[0].summary),
		    items[0].event);
		return buf_detach(&b, NULL);
	}
	buf_printf(&b, "%zu alerts:", n);
	for (j = 0; j < sizeof events / sizeof events[0]; j++) {
		for (i = count = 0; i < n; i++)
			count += strcmp(items[i].event, events[j]) == 0;
		if (count > 0)
			buf_printf(&b, "%s %zu %s", listed++ ? "," : "", count,
			    events[j]);
	}
	for (i = count = 0; i < n; i++) {
		for (j = 0; j < sizeof events / sizeof events[0]; j++)
			if (strcmp(items[i].event, events[j]) == 0)
				break;
		count += j == sizeof events / sizeof events[0];
	}
	if (count > 0)
		buf_printf(&b, "%s %zu other", listed ? "," : "", count);
	return buf_detach(&b, NULL);
}

static json_t *
notify_alert_json(const struct collector_config *cfg,
    const struct notify_item *it)
{
	json_t	*a;
	char	*rb;

	rb = notify_runbook(cfg, notify_str(it->kind));
	a = json_object();
	json_object_set_new(a, "id", json_integer(it->alert_id));
	json_object_set_new(a, "event", query_json_string(it->event));
	json_object_set_new(a, "kind", query_json_string(it->kind));
	json_object_set_new(a, "severity", query_json_string(it->severity));
	json_object_set_new(a, "status", query_json_string(it->status));
	json_object_set_new(a, "summary", query_json_string(it->summary));
	json_object_set_new(a, "host", query_json_string(it->host));
	json_object_set_new(a, "datacentre", query_json_string(it->datacentre));
	json_object_set_new(a, "check", query_json_string(it->check));
	json_object_set_new(a, "opened", query_json_time_ms(it->opened_ms));
	json_object_set_new(a, "acknowledged_by",
	    query_json_string(it->acked_by));
	json_object_set_new(a, "comment", query_json_string(it->ack_comment));
	json_object_set_new(a, "runbook", json_string(rb));
	free(rb);
	return a;
}

static json_t *
notify_alerts_json(const struct collector_config *cfg,
    const struct notify_item *items, size_t n)
{
	json_t	*list = json_array();
	size_t	 i;

	for (i = 0; i < n; i++)
		json_array_append_new(list, notify_alert_json(cfg, &items[i]));
	return list;
}

/* s as the inside of a JSON string. */
static void
notify_json_escape(struct buf *b, const char *s)
{
	json_t	*v;
	char	*text;
	size_t	 len;

	v = query_json_string(notify_str(s));
	text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	json_decref(v);
	if (text == NULL)
		return;
	len = strlen(text);
	if (len >= 2)
		buf_append(b, text + 1, len - 2);
	free(text);
}

/*
 * Fills the template's {{name}} placeholders. Returns 0, or -1 with err
 * naming an unknown or unclosed placeholder.
 */
static int
notify_render(const struct collector_config *cfg, const char *route,
    const char *tmpl, const struct notify_item *items, size_t n,
    struct buf *out, char *err, size_t errlen)
{
	const struct notify_item *it = &items[0];
	const char	*p = tmpl, *open, *close, *s, *e;
	char		 name[32], num[32], *text, *summary;
	json_t		*alerts;
	size_t		 len, i;

	summary = notify_summary(items, n);
	while ((open = strstr(p, "{{")) != NULL) {
		buf_append(out, p, (size_t)(open - p));
		if ((close = strstr(open + 2, "}}")) == NULL) {
			snprintf(err, errlen, "template: \"{{\" without "
			    "\"}}\"");
			goto fail;
		}
		for (s = open + 2; s < close && *s == ' '; s++)
			;
		for (e = close; e > s && e[-1] == ' '; e--)
			;
		len = (size_t)(e - s);
		if (len == 0 || len >= sizeof name) {
			snprintf(err, errlen, "template: empty or overlong "
			    "placeholder");
			goto fail;
		}
		memcpy(name, s, len);
		name[len] = '\0';
		for (i = 0; notify_placeholders[i] != NULL; i++)
			if (strcmp(name, notify_placeholders[i]) == 0)
				break;
		if (notify_placeholders[i] == NULL) {
			snprintf(err, errlen, "template: unknown placeholder "
			    "{{%.31s}}", name);
			goto fail;
		}
		if (strcmp(name, "summary") == 0)
			notify_json_escape(out, summary);
		else if (strcmp(name, "count") == 0)
			buf_printf(out, "%zu", n);
		else if (strcmp(name, "alerts") == 0) {
			alerts = notify_alerts_json(cfg, items, n);
			text = json_dumps(alerts, JSON_COMPACT);
			json_decref(alerts);
			buf_append_str(out, notify_str(text));
			free(text);
		} else if (strcmp(name, "route") == 0)
			notify_json_escape(out, route);
		else if (strcmp(name, "event") == 0)
			notify_json_escape(out, it->event);
		else if (strcmp(name, "kind") == 0)
			notify_json_escape(out, it->kind);
		else if (strcmp(name, "severity") == 0)
			notify_json_escape(out, it->severity);
		else if (strcmp(name, "status") == 0)
			notify_json_escape(out, it->status);
		else if (strcmp(name, "host") == 0)
			notify_json_escape(out, it->host);
		else if (strcmp(name, "datacentre") == 0)
			notify_json_escape(out, it->datacentre);
		else if (strcmp(name, "check") == 0)
			notify_json_escape(out, it->check);
		else if (strcmp(name, "runbook") == 0) {
			text = notify_runbook(cfg, notify_str(it->kind));
			notify_json_escape(out, text);
			free(text);
		} else if (strcmp(name, "id") == 0) {
			snprintf(num, sizeof num, "%lld",
			    (long long)it->alert_id);
			buf_append_str(out, num);
		} else {
			char	 iso[WTIME_ISO8601_LEN];

			wtime_format_iso8601(iso, sizeof iso, it->opened_ms);
			buf_append_str(out, iso);
		}
		p = close + 2;
	}
	buf_append_str(out, p);
	free(summary);
	return 0;

fail:
	free(summary);
	return -1;
}

/* The default webhook payload; docs/api.md documents it. */
static char *
notify_default_body(const struct collector_config *cfg, const char *route,
    const struct notify_item *items, size_t n)
{
	json_t	*body;
	char	*summary, *text;

	summary = notify_summary(items, n);
	body = json_object();
	json_object_set_new(body, "source", json_string("ward"));
	json_object_set_new(body, "route", query_json_string(route));
	json_object_set_new(body, "summary", query_json_string(summary));
	json_object_set_new(body, "count", json_integer((json_int_t)n));
	json_object_set_new(body, "alerts", notify_alerts_json(cfg, items, n));
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	free(summary);
	return text != NULL ? text : xstrdup("{}");
}

/* The sample alert the template is tried on at -n. */
static void
notify_sample(struct notify_item *it)
{
	memset(it, 0, sizeof *it);
	it->alert_id = 1;
	it->event = xstrdup("opened");
	it->kind = xstrdup("disk");
	it->severity = xstrdup("critical");
	it->status = xstrdup("open");
	it->summary = xstrdup("\"/var\" 97% full\n\\ <tag>");
	it->host = xstrdup("srv-01");
	it->datacentre = xstrdup("basildon");
	it->check = xstrdup("disk /var");
	it->opened_ms = 1795435200000LL;
}

static int
notify_check_one(const struct collector_config *cfg,
    const struct notify_config *nc, char *err, size_t errlen)
{
	struct notify_item	 sample;
	struct buf		 body;
	json_t			*doc;
	json_error_t		 jerr;
	char			*scheme = NULL, *host = NULL, *tmpl, why[512];
	int			 userinfo = 0, rc = -1;
	size_t			 i;

	if (notify_url_parts(nc->url, &scheme, &host, &userinfo) == -1) {
		snprintf(err, errlen, "url: not a URL");
		goto done;
	}
	if (userinfo) {
		snprintf(err, errlen, "url: no user or password in the URL "
		    "(use smtp_user and secret)");
		goto done;
	}
	if (nc->type == NOTIFY_WEBHOOK) {
		if (strcmp(scheme, "https") != 0 && (strcmp(scheme, "http") !=
		    0 || !notify_is_loopback(host))) {
			snprintf(err, errlen, "url: a webhook needs https:// "
			    "(http:// only to a loopback address)");
			goto done;
		}
		if (nc->mail_from != NULL || nc->mail_to.count > 0 ||
		    nc->smtp_user != NULL) {
			snprintf(err, errlen, "%s: only for type = email",
			    nc->mail_from != NULL ? "mail_from" :
			    nc->mail_to.count > 0 ? "mail_to" : "smtp_user");
			goto done;
		}
	} else {
		if (strcmp(scheme, "smtp") != 0 && strcmp(scheme, "smtps") !=
		    0) {
			snprintf(err, errlen, "url: email needs smtp:// "
			    "(STARTTLS required) or smtps://");
			goto done;
		}
		if (nc->template != NULL) {
			snprintf(err, errlen, "template: only for type = "
			    "webhook");
			goto done;
		}
		if (nc->mail_from == NULL || !notify_address_ok(
		    nc->mail_from)) {
			snprintf(err, errlen, "mail_from: %s", nc->mail_from ==
			    NULL ? "required for type = email" :
			    "not an address like ward@example.test");
			goto done;
		}
		if (nc->mail_to.count == 0) {
			snprintf(err, errlen, "mail_to: required for type = "
			    "email");
			goto done;
		}
		for (i = 0; i < nc->mail_to.count; i++)
			if (!notify_address_ok(nc->mail_to.items[i])) {
				snprintf(err, errlen, "mail_to: \"%s\" is not "
				    "an address", str_vis(why, 128,
				    nc->mail_to.items[i]));
				goto done;
			}
		if ((nc->smtp_user != NULL) != (nc->secret != NULL)) {
			snprintf(err, errlen, "%s", nc->smtp_user != NULL ?
			    "smtp_user: needs secret (the password file)" :
			    "secret: needs smtp_user");
			goto done;
		}
	}
	if (nc->ca_file != NULL && access(nc->ca_file, R_OK) == -1) {
		snprintf(err, errlen, "ca_file %s: %s", nc->ca_file,
		    strerror(errno));
		goto done;
	}
	if (nc->template != NULL) {
		if ((tmpl = notify_read_template(nc->template, err, errlen)) ==
		    NULL)
			goto done;
		notify_sample(&sample);
		buf_init(&body, 0);
		i = notify_render(cfg, nc->item.label, tmpl, &sample, 1, &body,
		    err, errlen) == -1;
		notify_item_clear(&sample);
		free(tmpl);
		if (i) {
			buf_free(&body);
			goto done;
		}
		doc = json_loads(buf_cstr(&body), 0, &jerr);
		buf_free(&body);
		if (doc == NULL) {
			snprintf(err, errlen, "template %s: not JSON once "
			    "filled in: line %d: %s", nc->template, jerr.line,
			    jerr.text);
			goto done;
		}
		json_decref(doc);
	}
	rc = 0;

done:
	free(scheme);
	free(host);
	return rc;
}

int
notify_config_check(const struct collector_config *cfg, char *err,
    size_t errlen)
{
	const struct notify_config	*nc;
	char				 why[768], vis[96];
	size_t				 i;

	for (i = 0; i < cfg->notifies.count; i++) {
		nc = cfg->notifies.items[i];
		if (notify_check_one(cfg, nc, why, sizeof why) == -1) {
			snprintf(err, errlen, "[notify \"%s\"] (line %d) %s",
			    str_vis(vis, sizeof vis, nc->item.label),
			    nc->item.line, why);
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ outbox */

static int
notify_list_match(const struct cfg_list *l, const char *value)
{
	size_t	 i;

	if (l->count == 0)
		return 1;
	if (value == NULL)
		return 0;
	for (i = 0; i < l->count; i++)
		if (fnmatch(l->items[i], value, 0) == 0)
			return 1;
	return 0;
}

#define SQL_NOTIFY_ALERT \
	"SELECT kind, severity, datacentre, suppressed FROM alerts WHERE id = ?1"
/* Whether route ?2 was told of alert ?1 (or is about to be). */
#define SQL_NOTIFY_TOLD \
	"SELECT 1 FROM notifications WHERE alert_id = ?1 AND channel = ?2" \
	"  AND event NOT IN ('resolved', 'acknowledged')" \
	"  AND failed_ms IS NULL LIMIT 1"
#define SQL_NOTIFY_INSERT \
	"INSERT INTO notifications (alert_id, event, channel, created_ms," \
	"  next_attempt_ms) VALUES (?1, ?2, ?3, ?4, ?4)"

static int
notify_told(struct db *db, int64_t alert_id, const char *route, char *err,
    size_t errlen)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_stmt(db, SQL_NOTIFY_TOLD, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, alert_id);
	sqlite3_bind_text(st, 2, route, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	db_error(db, "reading notifications", err, errlen);
	return -1;
}

static int	notify_enqueue_as(struct db *, const struct collector_config *,
		    int64_t, const char *, int64_t, int, char *, size_t);

int
notify_enqueue(struct db *db, const struct collector_config *cfg,
    int64_t alert_id, const char *event, int64_t now_ms, char *err,
    size_t errlen)
{
	return notify_enqueue_as(db, cfg, alert_id, event, now_ms, 0, err,
	    errlen);
}

int
notify_enqueue_untold(struct db *db, const struct collector_config *cfg,
    int64_t alert_id, const char *event, int64_t now_ms, char *err,
    size_t errlen)
{
	return notify_enqueue_as(db, cfg, alert_id, event, now_ms, 1, err,
	    errlen);
}

static int
notify_enqueue_as(struct db *db, const struct collector_config *cfg,
    int64_t alert_id, const char *event, int64_t now_ms, int untold_only,
    char *err, size_t errlen)
{
	const struct notify_config	*nc;
	sqlite3_stmt			*st;
	char				*kind = NULL, *dc = NULL;
	int				 critical, suppressed, told, rc;
	int				 queued = 0, closing;
	size_t				 i;

	if ((st = db_stmt(db, SQL_NOTIFY_ALERT, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, alert_id);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		if (rc == SQLITE_DONE)
			snprintf(err, errlen, "notify: no alert %lld",
			    (long long)alert_id);
		else
			db_error(db, "reading an alert", err, errlen);
		sqlite3_reset(st);
		return -1;
	}
	kind = xstrdup((const char *)sqlite3_column_text(st, 0));
	critical = strcmp((const char *)sqlite3_column_text(st, 1),
	    "critical") == 0;
	if (sqlite3_column_type(st, 2) != SQLITE_NULL)
		dc = xstrdup((const char *)sqlite3_column_text(st, 2));
	suppressed = sqlite3_column_type(st, 3) != SQLITE_NULL;
	sqlite3_reset(st);
	closing = strcmp(event, "resolved") == 0 ||
	    strcmp(event, "acknowledged") == 0;

	for (i = 0; i < cfg->notifies.count; i++) {
		nc = cfg->notifies.items[i];
		if (!notify_list_match(&nc->datacentres, dc) ||
		    !notify_list_match(&nc->kinds, kind) ||
		    (nc->min_severity == 1 && !critical))
			continue;
		/* A suppressed alert is news to nobody, except to a route
		 * that heard it open and should hear the end of it. */
		if (suppressed) {
			if (!closing)
				continue;
			if ((told = notify_told(db, alert_id, nc->item.label,
			    err, errlen)) == -1)
				goto fail;
			if (!told)
				continue;
		}
		/* Only a route that has not heard of it (a warning paged to
		 * one route, critical by the end of a window for another). */
		if (untold_only) {
			if ((told = notify_told(db, alert_id, nc->item.label,
			    err, errlen)) == -1)
				goto fail;
			if (told)
				continue;
		}
		if ((st = db_stmt(db, SQL_NOTIFY_INSERT, err, errlen)) == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, alert_id);
		sqlite3_bind_text(st, 2, event, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, nc->item.label, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, now_ms);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			db_error(db, "queueing a notification", err, errlen);
			goto fail;
		}
		queued++;
	}
	free(kind);
	free(dc);
	return queued;

fail:
	free(kind);
	free(dc);
	return -1;
}

/* ------------------------------------------------------------ sending */

struct notify_reader {
	const char	*data;
	size_t		 len;
	size_t		 off;
};

static size_t
notify_read_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct notify_reader	*r = arg;
	size_t			 n = size * nmemb;

	if (n > r->len - r->off)
		n = r->len - r->off;
	memcpy(ptr, r->data + r->off, n);
	r->off += n;
	return n;
}

static int
notify_progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	const struct notify_route	*r = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	/* Non-zero aborts the transfer, so stopping never waits on it. */
	return r->stop != NULL && __atomic_load_n(r->stop, __ATOMIC_RELAXED);
}

static void
notify_b64(struct buf *b, const unsigned char *in, size_t len)
{
	static const char	 tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t		 v;
	size_t			 i;

	for (i = 0; i < len; i += 3) {
		v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		buf_append_char(b, tab[v >> 18]);
		buf_append_char(b, tab[(v >> 12) & 63]);
		buf_append_char(b, i + 1 < len ? tab[(v >> 6) & 63] : '=');
		buf_append_char(b, i + 2 < len ? tab[v & 63] : '=');
	}
}

/* A Subject: value: plain if it is printable ASCII, else RFC 2047 encoded
 * words of whole UTF-8 characters, folded. */
static void
notify_subject(struct buf *b, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 len = strlen(s), i, n;
	int			 plain = 1;

	for (i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] >= 0x7f)
			plain = 0;
	if (plain) {
		buf_append_str(b, s);
		return;
	}
	for (i = 0; i < len; i += n) {
		n = len - i > 45 ? 45 : len - i;
		/* Never split a character between words. */
		while (i + n < len && n > 0 && (p[i + n] & 0xc0) == 0x80)
			n--;
		if (n == 0)
			n = len - i > 45 ? 45 : len - i;
		if (i > 0)
			buf_append_str(b, "\r\n ");
		buf_append_str(b, "=?UTF-8?B?");
		notify_b64(b, p + i, n);
		buf_append_str(b, "?=");
	}
}

/* A value for one line of a mail: printable, bounded. */
static const char *
notify_mail_value(char *dst, size_t size, const char *s)
{
	return str_vis(dst, size, notify_str(s));
}

static char *
notify_mail_message(struct notify_route *r,
    const struct notify_item *items, size_t n, int64_t now_ms)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
	    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	const struct notify_config *nc = r->nc;
	struct buf	 b;
	struct tm	 tm;
	time_t		 t = (time_t)(now_ms / 1000);
	char		 v1[256], v2[512], v3[256], v4[128], sev[16], ev[16];
	char		 iso[WTIME_ISO8601_LEN], *summary, *subject, *rb;
	unsigned char	 rnd[8];
	size_t		 i;
	const char	*domain;

	gmtime_r(&t, &tm);
	summary = notify_summary(items, n);
	xasprintf(&subject, "[ward] %s", notify_mail_value(v2, 200, summary));
	free(summary);
	for (i = 0; i < sizeof rnd; i++)
		rnd[i] = (unsigned char)backoff_jitter_ms(&r->bo, 0, 255);
	domain = strchr(nc->mail_from, '@') + 1;

	buf_init(&b, NOTIFY_BODY_MAX);
	buf_printf(&b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	buf_printf(&b, "From: %s\r\n", nc->mail_from);
	buf_append_str(&b, "To: ");
	for (i = 0; i < nc->mail_to.count; i++)
		buf_printf(&b, "%s%s", i > 0 ? ",\r\n " : "",
		    nc->mail_to.items[i]);
	buf_append_str(&b, "\r\nSubject: ");
	notify_subject(&b, subject);
	free(subject);
	buf_printf(&b, "\r\nMessage-ID: <ward.%lld.%lld.", (long long)now_ms,
	    (long long)items[0].id);
	for (i = 0; i < sizeof rnd; i++)
		buf_printf(&b, "%02x", rnd[i]);
	buf_printf(&b, "@%s>\r\n", domain);
	buf_append_str(&b, "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n"
	    "Auto-Submitted: auto-generated\r\n"
	    "X-Ward-Route: ");
	buf_append_str(&b, notify_mail_value(v1, 128, nc->item.label));
	buf_append_str(&b, "\r\n\r\n");

	for (i = 0; i < n; i++) {
		const struct notify_item *it = &items[i];

		notify_upper(sev, sizeof sev, notify_str(it->severity));
		notify_upper(ev, sizeof ev, notify_str(it->event));
		buf_printf(&b, "%s %s %s on %s", ev, sev,
		    notify_mail_value(v1, 128, it->kind),
		    notify_mail_value(v3, 256, it->host != NULL ? it->host :
		    "(no host)"));
		if (it->datacentre != NULL)
			buf_printf(&b, " (%s)", notify_mail_value(v4, 128,
			    it->datacentre));
		buf_printf(&b, "\r\n  %s\r\n", notify_mail_value(v2, 512,
		    it->summary));
		if (it->check != NULL)
			buf_printf(&b, "  check: %s\r\n",
			    notify_mail_value(v1, 256, it->check));
		wtime_format_iso8601(iso, sizeof iso, it->opened_ms);
		buf_printf(&b, "  since: %s, status %s\r\n", iso,
		    notify_mail_value(v4, 64, it->status));
		if (it->acked_by != NULL)
			buf_printf(&b, "  acknowledged by %s: %s\r\n",
			    notify_mail_value(v1, 128, it->acked_by),
			    notify_mail_value(v2, 512, it->ack_comment));
		rb = notify_runbook(r->cfg, notify_str(it->kind));
		buf_printf(&b, "  runbook: %s\r\n\r\n",
		    notify_mail_value(v2, 512, rb));
		free(rb);
	}
	buf_append_str(&b, "-- \r\nward-collector\r\n");
	return buf_detach(&b, NULL);
}

static int
notify_send_mail(struct notify_route *r, const struct notify_item *items,
    size_t n, int64_t now_ms, char *err, size_t errlen)
{
	const struct notify_config *nc = r->nc;
	struct notify_reader	 rd;
	struct curl_slist	*rcpt = NULL, *next;
	CURL			*c;
	CURLcode		 rc = CURLE_OK;
	char			 errbuf[CURL_ERROR_SIZE], *from, *to, *msg;
	size_t			 i;

	msg = notify_mail_message(r, items, n, now_ms);
	memset(&rd, 0, sizeof rd);
	rd.data = msg;
	rd.len = strlen(msg);
	if ((c = curl_easy_init()) == NULL) {
		free(msg);
		snprintf(err, errlen, "curl_easy_init failed");
		return -1;
	}
	xasprintf(&from, "<%s>", nc->mail_from);
	for (i = 0; i < nc->mail_to.count; i++) {
		xasprintf(&to, "<%s>", nc->mail_to.items[i]);
		if ((next = curl_slist_append(rcpt, to)) == NULL)
			fatalx("curl_slist_append: out of memory");
		rcpt = next;
		free(to);
	}
	errbuf[0] = '\0';

#define SET(opt, val) do {						\
	if (rc == CURLE_OK)						\
		rc = curl_easy_setopt(c, opt, val);			\
} while (0)
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_URL, nc->url);
	SET(CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
	/* smtp:// must upgrade with STARTTLS or fail: never plain text. */
	SET(CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (rc == CURLE_OK)
		rc = (CURLcode)http_tls_setup(c, nc->ca_file);
	if (nc->smtp_user != NULL) {
		SET(CURLOPT_USERNAME, nc->smtp_user);
		SET(CURLOPT_PASSWORD, nc->secret);
	}
	SET(CURLOPT_MAIL_FROM, from);
	SET(CURLOPT_MAIL_RCPT, rcpt);
	SET(CURLOPT_READFUNCTION, notify_read_cb);
	SET(CURLOPT_READDATA, &rd);
	SET(CURLOPT_UPLOAD, 1L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)NOTIFY_CONNECT_TIMEOUT_MS);
	SET(CURLOPT_TIMEOUT_MS, (long)NOTIFY_TIMEOUT_MS);
	SET(CURLOPT_XFERINFOFUNCTION, notify_progress_cb);
	SET(CURLOPT_XFERINFODATA, r);
	SET(CURLOPT_NOPROGRESS, 0L);
#undef SET
	if (rc == CURLE_OK)
		rc = curl_easy_perform(c);
	if (rc != CURLE_OK)
		/* curl's messages carry server replies, never our password. */
		snprintf(err, errlen, "%s: %s%s%s", nc->url,
		    curl_easy_strerror(rc), errbuf[0] != '\0' ? ": " : "",
		    errbuf);
	curl_easy_cleanup(c);
	curl_slist_free_all(rcpt);
	free(from);
	free(msg);
	return rc == CURLE_OK ? 0 : -1;
}

static int
notify_send_webhook(struct notify_route *r, const struct notify_item *items,
    size_t n, char *err, size_t errlen)
{
	struct http_request	 req;
	struct http_response	 resp;
	struct buf		 body;
	char			*text, vis[160];
	int			 rc = -1;

	buf_init(&body, NOTIFY_BODY_MAX);
	if (r->template != NULL) {
		if (notify_render(r->cfg, r->nc->item.label, r->template,
		    items, n, &body, err, errlen) == -1) {
			buf_free(&body);
			return -1;
		}
		text = buf_detach(&body, NULL);
	} else
		text = notify_default_body(r->cfg, r->nc->item.label, items, n);
	memset(&req, 0, sizeof req);
	req.method = "POST";
	req.url = r->nc->url;
	req.body = text;
	req.body_len = strlen(text);
	req.content_type = "application/json";
	req.bearer_token = r->nc->secret;
	if (http_do(r->http, &req, &resp, err, errlen) == 0) {
		if (resp.status >= 200 && resp.status <= 299)
			rc = 0;
		else
			snprintf(err, errlen, "POST %s: HTTP %ld: %s",
			    r->nc->url, resp.status, str_vis(vis, sizeof vis,
			    buf_cstr(&resp.body)));
	}
	http_response_free(&resp);
	free(text);
	return rc;
}

static int
notify_cancel(void *arg)
{
	const struct notify_route	*r = arg;

	return r->stop != NULL && __atomic_load_n(r->stop, __ATOMIC_RELAXED);
}

struct notify_route *
notify_route_new(const struct collector_config *cfg,
    const struct notify_config *nc, char *err, size_t errlen)
{
	struct http_client_options	 opts;
	struct notify_route		*r;

	r = xcalloc(1, sizeof *r);
	r->cfg = cfg;
	r->nc = nc;
	backoff_init(&r->bo, nc->retry_max_ms < NOTIFY_RETRY_INITIAL_MS ?
	    nc->retry_max_ms : NOTIFY_RETRY_INITIAL_MS, nc->retry_max_ms);
	if (nc->template != NULL && (r->template = notify_read_template(
	    nc->template, err, errlen)) == NULL)
		goto fail;
	if (nc->type == NOTIFY_WEBHOOK) {
		memset(&opts, 0, sizeof opts);
		opts.ca_file = nc->ca_file;
		opts.connect_timeout_ms = NOTIFY_CONNECT_TIMEOUT_MS;
		opts.timeout_ms = NOTIFY_TIMEOUT_MS;
		opts.max_response_bytes = NOTIFY_REPLY_MAX;
		/* The outbox retries, with backoff, without holding the
		 * thread. */
		opts.max_attempts = 1;
		/* Stopping (SIGTERM, a reload) does not wait for a slow
		 * endpoint: the message stays in the outbox. */
		opts.cancel = notify_cancel;
		opts.cancel_arg = r;
		if ((r->http = http_client_new(&opts, err, errlen)) == NULL)
			goto fail;
	}
	return r;

fail:
	notify_route_free(r);
	return NULL;
}

void
notify_route_free(struct notify_route *r)
{
	size_t	 i;

	if (r == NULL)
		return;
	if (r->nunrecorded > 0)
		log_warnx("notify %s: the outcome of the last message was "
		    "never recorded; it may be sent again", r->nc->item.label);
	for (i = 0; i < r->nunrecorded; i++)
		notify_item_clear(&r->unrecorded[i]);
	free(r->unrecorded);
	http_client_free(r->http);
	free(r->template);
	free(r);
}

#define SQL_NOTIFY_GIVE_UP \
	"UPDATE notifications SET failed_ms = ?2," \
	"  last_error = coalesce(last_error, 'never sent')" \
	" WHERE channel = ?1 AND sent_ms IS NULL AND failed_ms IS NULL" \
	"  AND created_ms <= ?3"
#define SQL_NOTIFY_PENDING \
	"SELECT n.id, n.alert_id, n.event, n.created_ms, n.next_attempt_ms," \
	"  n.attempts, a.kind, a.severity, a.status, a.summary, a.datacentre," \
	"  h.name, a.check_name, a.acked_by, a.ack_comment, a.suppressed," \
	"  a.opened_ms" \
	" FROM notifications n JOIN alerts a ON a.id = n.alert_id" \
	" LEFT JOIN hosts h ON h.id = a.host_id" \
	" WHERE n.channel = ?1 AND n.sent_ms IS NULL AND n.failed_ms IS NULL" \
	" ORDER BY n.created_ms, n.id LIMIT ?2"
#define SQL_NOTIFY_SENT \
	"UPDATE notifications SET sent_ms = ?2, attempts = attempts + 1," \
	"  last_error = NULL WHERE id = ?1"
#define SQL_NOTIFY_ALERT_SENT \
	"UPDATE alerts SET last_notified_ms = ?2," \
	"  notifications = notifications + 1 WHERE id = ?1"
#define SQL_NOTIFY_EVENT \
	"INSERT INTO alert_events (alert_id, at_ms, event, actor, detail)" \
	" VALUES (?1, ?2, 'notified', ?3, ?4)"
#define SQL_NOTIFY_FAILED \
	"UPDATE notifications SET attempts = attempts + 1," \
	"  next_attempt_ms = ?2, last_error = ?3 WHERE id = ?1"

static char *
notify_col(sqlite3_stmt *st, int col)
{
	const char	*s = (const char *)sqlite3_column_text(st, col);

	return s != NULL ? xstrdup(s) : NULL;
}

/* The route's waiting rows, oldest first; at most max. */
static ssize_t
notify_pending(struct db *db, const char *route, struct notify_item *items,
    size_t max, char *err, size_t errlen)
{
	sqlite3_stmt	*st;
	size_t		 n = 0;
	int		 rc;

	if ((st = db_stmt(db, SQL_NOTIFY_PENDING, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, route, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)max);
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct notify_item *it = &items[n++];

		it->id = sqlite3_column_int64(st, 0);
		it->alert_id = sqlite3_column_int64(st, 1);
		it->event = notify_col(st, 2);
		it->created_ms = sqlite3_column_int64(st, 3);
		it->next_attempt_ms = sqlite3_column_int64(st, 4);
		it->attempts = sqlite3_column_int64(st, 5);
		it->kind = notify_col(st, 6);
		it->severity = notify_col(st, 7);
		it->status = notify_col(st, 8);
		it->summary = notify_col(st, 9);
		it->datacentre = notify_col(st, 10);
		it->host = notify_col(st, 11);
		it->check = notify_col(st, 12);
		it->acked_by = notify_col(st, 13);
		it->ack_comment = notify_col(st, 14);
		it->suppressed = notify_col(st, 15);
		it->opened_ms = sqlite3_column_int64(st, 16);
	}
	if (n < max && rc != SQLITE_DONE) {
		db_error(db, "reading the outbox", err, errlen);
		sqlite3_reset(st);
		while (n > 0)
			notify_item_clear(&items[--n]);
		return -1;
	}
	sqlite3_reset(st);
	return (ssize_t)n;
}

struct notify_outcome {
	struct notify_route	*r;
	const struct notify_item *items;
	size_t			 n;
	int64_t			 now_ms;
	int64_t			 retry_at_ms;	/* 0: sent */
	const char		*error;
	char			*err;		/* why recording failed */
	size_t			 errlen;
};

static int
notify_record(struct db *db, void *arg)
{
	struct notify_outcome	*o = arg;
	sqlite3_stmt		*st;
	char			 err[512];
	size_t			 i;

	for (i = 0; i < o->n; i++) {
		const struct notify_item *it = &o->items[i];

		if (o->retry_at_ms == 0) {
			if ((st = db_stmt(db, SQL_NOTIFY_SENT, err,
			    sizeof err)) == NULL)
				return -1;
			sqlite3_bind_int64(st, 1, it->id);
			sqlite3_bind_int64(st, 2, o->now_ms);
			if (sqlite3_step(st) != SQLITE_DONE)
				goto fail;
			sqlite3_reset(st);
			if ((st = db_stmt(db, SQL_NOTIFY_ALERT_SENT, err,
			    sizeof err)) == NULL)
				return -1;
			sqlite3_bind_int64(st, 1, it->alert_id);
			sqlite3_bind_int64(st, 2, o->now_ms);
			if (sqlite3_step(st) != SQLITE_DONE)
				goto fail;
			sqlite3_reset(st);
			if ((st = db_stmt(db, SQL_NOTIFY_EVENT, err,
			    sizeof err)) == NULL)
				return -1;
			sqlite3_bind_int64(st, 1, it->alert_id);
			sqlite3_bind_int64(st, 2, o->now_ms);
			sqlite3_bind_text(st, 3, o->r->nc->item.label, -1,
			    SQLITE_STATIC);
			sqlite3_bind_text(st, 4, it->event, -1, SQLITE_STATIC);
		} else {
			if ((st = db_stmt(db, SQL_NOTIFY_FAILED, err,
			    sizeof err)) == NULL)
				return -1;
			sqlite3_bind_int64(st, 1, it->id);
			sqlite3_bind_int64(st, 2, o->retry_at_ms);
			sqlite3_bind_text(st, 3, o->error, -1, SQLITE_STATIC);
		}
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(st);
	}
	return 0;

fail:
	/* SQLite's words, before the reset forgets them. */
	db_error(db, "recording a notification", o->err, o->errlen);
	sqlite3_reset(st);
	return -1;
}

int
notify_route_run(struct notify_route *r, struct db *db, int64_t now_ms,
    char *err, size_t errlen)
{
	const struct notify_config *nc = r->nc;
	struct notify_item	*items;
	struct notify_outcome	 o;
	sqlite3_stmt		*st;
	char			 why[NOTIFY_ERROR_MAX], dur[32];
	ssize_t			 got;
	size_t			 n, i;
	int64_t			 due, changes, delay;
	int			 rc = -1;

	/* What was sent and not recorded: recorded first, sent never
	 * again. */
	if (r->nunrecorded > 0) {
		memset(&o, 0, sizeof o);
		o.r = r;
		o.items = r->unrecorded;
		o.n = r->nunrecorded;
		o.now_ms = r->unrecorded_now_ms;
		o.retry_at_ms = r->unrecorded_retry_ms;
		o.error = r->unrecorded_error;
		o.err = err;
		o.errlen = errlen;
		err[0] = '\0';
		if (db_transaction(db, notify_record, &o, err, errlen) == -1) {
			if (err[0] == '\0')
				db_error(db, "recording a notification", err,
				    errlen);
			return -1;
		}
		for (i = 0; i < r->nunrecorded; i++)
			notify_item_clear(&r->unrecorded[i]);
		free(r->unrecorded);
		r->unrecorded = NULL;
		r->nunrecorded = 0;
		log_info("notify %s: the outcome of the last message is "
		    "recorded", nc->item.label);
	}

	/* Too old to matter any more: failed, and said so. */
	if ((st = db_stmt(db, SQL_NOTIFY_GIVE_UP, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, nc->item.label, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ms);
	sqlite3_bind_int64(st, 3, now_ms - nc->give_up_ms);
	if (sqlite3_step(st) != SQLITE_DONE) {
		db_error(db, "giving up on old notifications", err, errlen);
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	if ((changes = sqlite3_changes(db_handle(db))) > 0)
		log_warnx("notify %s: gave up on %lld notification(s) not "
		    "delivered within %s%s%s", nc->item.label,
		    (long long)changes, str_format_duration_ms(dur, sizeof dur,
		    nc->give_up_ms), r->last_error[0] != '\0' ?
		    "; last error: " : "", r->last_error);

	items = xcalloc(NOTIFY_BATCH_MAX, sizeof *items);
	if ((got = notify_pending(db, nc->item.label, items, NOTIFY_BATCH_MAX,
	    err, errlen)) == -1)
		goto done;
	rc = 0;
	if (got == 0 || now_ms < items[0].created_ms + nc->group_wait_ms)
		goto done;
	/* One message: what came within group_wait of the oldest. */
	due = 0;
	for (n = 0; n < (size_t)got; n++) {
		if (items[n].created_ms > items[0].created_ms +
		    nc->group_wait_ms)
			break;
		if (items[n].next_attempt_ms > due)
			due = items[n].next_attempt_ms;
	}
	if (now_ms < due)
		goto done;

	why[0] = '\0';
	if (nc->type == NOTIFY_WEBHOOK)
		rc = notify_send_webhook(r, items, n, why, sizeof why);
	else
		rc = notify_send_mail(r, items, n, now_ms, why, sizeof why);

	memset(&o, 0, sizeof o);
	o.r = r;
	o.items = items;
	o.n = n;
	o.now_ms = now_ms;
	o.err = err;
	o.errlen = errlen;
	if (rc == 0) {
		log_release(&r->complain, LOG_LEVEL_INFO, "notify %s: "
		    "delivering again", nc->item.label);
		log_debug("notify %s: sent %zu notification(s) in one message",
		    nc->item.label, n);
		r->last_error[0] = '\0';
	} else {
		log_complain(&r->complain, LOG_LEVEL_WARNING, "notify %s: %s; "
		    "will retry", nc->item.label, why);
		str_copy(r->last_error, why, sizeof r->last_error);
		r->bo.failures = (unsigned)(items[0].attempts < 60 ?
		    items[0].attempts : 60);
		delay = backoff_next_ms(&r->bo);
		o.retry_at_ms = now_ms + (delay > 0 ? delay : 1);
		o.error = why;
	}
	err[0] = '\0';
	if (db_transaction(db, notify_record, &o, err, errlen) == -1) {
		if (err[0] == '\0')
			db_error(db, "recording a notification", err, errlen);
		/* Kept until the database takes it. */
		r->unrecorded = items;
		r->nunrecorded = n;
		r->unrecorded_now_ms = now_ms;
		r->unrecorded_retry_ms = o.retry_at_ms;
		str_copy(r->unrecorded_error, o.error != NULL ? o.error : "",
		    sizeof r->unrecorded_error);
		for (i = n; i < NOTIFY_BATCH_MAX; i++)
			notify_item_clear(&items[i]);
		return -1;
	}
	rc = 1;

done:
	for (i = 0; i < NOTIFY_BATCH_MAX; i++)
		notify_item_clear(&items[i]);
	free(items);
	return rc;
}

/* ------------------------------------------------------------ threads */

struct notify_worker {
	struct notifier		*n;
	struct notify_route	*route;
	struct store		*st;
	pthread_t		 thread;
	int			 running;
	struct log_complain	 db_complain;
};

struct notifier {
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	int			 stop;
	struct notify_worker	*workers;
	size_t			 nworkers;
	int			 curl_ready;
};

static void *
notify_thread(void *arg)
{
	struct notify_worker	*w = arg;
	struct notifier		*n = w->n;
	struct timespec		 ts;
	char			 err[512];
	int			 rc, stop;

	for (;;) {
		pthread_mutex_lock(&n->lock);
		stop = n->stop;
		pthread_mutex_unlock(&n->lock);
		if (stop)
			break;
		err[0] = '\0';
		rc = notify_route_run(w->route, store_db(w->st),
		    wtime_now_ms(), err, sizeof err);
		if (rc == -1)
			log_complain(&w->db_complain, LOG_LEVEL_WARNING,
			    "notify %s: %s", w->route->nc->item.label, err);
		else
			log_release(&w->db_complain, LOG_LEVEL_INFO, "notify "
			    "%s: the outbox answers again",
			    w->route->nc->item.label);
		if (rc == 1)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += NOTIFY_POLL_MS / 1000;
		pthread_mutex_lock(&n->lock);
		while (!n->stop && pthread_cond_timedwait(&n->cond, &n->lock,
		    &ts) == 0)
			;
		pthread_mutex_unlock(&n->lock);
	}
	return NULL;
}

/*
 * Notifications queued for a route the configuration no longer has (a
 * [notify] removed or renamed, then SIGHUP or a restart): no worker
 * would ever send them or give up on them, and while one waits its alert
 * is never reminded on the routes that remain. They are given up, and
 * said so.
 */
static void
notify_orphans(const struct collector_config *cfg, const char *path)
{
	const struct notify_config	*nc;
	struct store			*st;
	struct db			*db;
	sqlite3_stmt			*sel, *upd;
	char				 err[512], **gone = NULL, vis[128];
	size_t				 i, k, n = 0;
	int				 rc;

	if ((st = store_open(path, 0, err, sizeof err)) == NULL) {
		log_warnx("notify: %s", err);
		return;
	}
	db = store_db(st);
	if ((sel = db_stmt(db, "SELECT DISTINCT channel FROM notifications "
	    "WHERE sent_ms IS NULL AND failed_ms IS NULL", err,
	    sizeof err)) == NULL) {
		log_warnx("notify: %s", err);
		goto out;
	}
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		const char *ch = (const char *)sqlite3_column_text(sel, 0);

		for (k = 0; k < cfg->notifies.count; k++) {
			nc = cfg->notifies.items[k];
			if (strcmp(nc->item.label, ch) == 0)
				break;
		}
		if (k == cfg->notifies.count) {
			gone = xreallocarray(gone, n + 1, sizeof *gone);
			gone[n++] = xstrdup(ch);
		}
	}
	sqlite3_reset(sel);
	for (i = 0; i < n; i++) {
		if ((upd = db_stmt(db, "UPDATE notifications SET failed_ms = "
		    "?2, last_error = 'its route is no longer configured' "
		    "WHERE channel = ?1 AND sent_ms IS NULL AND failed_ms IS "
		    "NULL", err, sizeof err)) == NULL)
			break;
		sqlite3_bind_text(upd, 1, gone[i], -1, SQLITE_STATIC);
		sqlite3_bind_int64(upd, 2, wtime_now_ms());
		rc = sqlite3_step(upd);
		sqlite3_reset(upd);
		if (rc != SQLITE_DONE) {
			db_error(db, "giving up on a removed route's "
			    "notifications", err, sizeof err);
			break;
		}
		log_warnx("notify: gave up on %lld notification(s) queued for "
		    "route %s, which the configuration no longer has",
		    (long long)sqlite3_changes(db_handle(db)),
		    str_vis(vis, sizeof vis, gone[i]));
	}
	if (i < n)
		log_warnx("notify: %s", err);
out:
	str_list_free(gone, n);
	store_close(st);
}

struct notifier *
notify_start(const struct collector_config *cfg, const char *path,
    char *err, size_t errlen)
{
	struct notifier		*n;
	struct notify_worker	*w;
	pthread_condattr_t	 ca;
	size_t			 i;
	int			 e;

	notify_orphans(cfg, path);
	n = xcalloc(1, sizeof *n);
	pthread_mutex_init(&n->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&n->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (cfg->notifies.count == 0)
		return n;
	if (http_global_init(err, errlen) == -1)
		goto fail;
	n->curl_ready = 1;
	n->workers = xcalloc(cfg->notifies.count, sizeof *n->workers);
	n->nworkers = cfg->notifies.count;
	for (i = 0; i < n->nworkers; i++) {
		w = &n->workers[i];
		w->n = n;
		if ((w->route = notify_route_new(cfg, cfg->notifies.items[i],
		    err, errlen)) == NULL ||
		    (w->st = store_open(path, 0, err, errlen)) == NULL)
			goto fail;
		w->route->stop = &n->stop;
	}
	for (i = 0; i < n->nworkers; i++) {
		w = &n->workers[i];
		if ((e = pthread_create(&w->thread, NULL, notify_thread, w)) !=
		    0) {
			snprintf(err, errlen, "notify: starting a thread: %s",
			    strerror(e));
			goto fail;
		}
		w->running = 1;
	}
	return n;

fail:
	notify_stop(n);
	return NULL;
}

void
notify_stop(struct notifier *n)
{
	size_t	 i;

	if (n == NULL)
		return;
	pthread_mutex_lock(&n->lock);
	__atomic_store_n(&n->stop, 1, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&n->cond);
	pthread_mutex_unlock(&n->lock);
	for (i = 0; i < n->nworkers; i++) {
		if (n->workers[i].running)
			pthread_join(n->workers[i].thread, NULL);
		notify_route_free(n->workers[i].route);
		store_close(n->workers[i].st);
	}
	free(n->workers);
	if (n->curl_ready)
		http_global_cleanup();
	pthread_cond_destroy(&n->cond);
	pthread_mutex_destroy(&n->lock);
	free(n);
}
