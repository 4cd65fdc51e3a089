/* query.c: what the read-only API routes share: the host state rule, finding
 * a host by what a person calls it, parameter checks, and JSON from rows. */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistr.h>

#include "common/buf.h"
#include "common/db.h"
#include "common/log.h"
#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "collector/collector.h"

/* A 409 lists at most this many hosts sharing a name. */
#define QUERY_CANDIDATES_MAX	50
#define QUERY_CURSOR_MAX	1024
/* Relative times reach back at most ten years. */
#define QUERY_RELATIVE_MAX_MS	(3660LL * 86400 * 1000)

static const char *const query_state_names[HOST_STATE_COUNT] = {
	[HOST_UP] = "UP",
	[HOST_UNREACHABLE] = "UNREACHABLE",
	[HOST_STALE] = "STALE",
	[HOST_DOWN] = "DOWN",
};

const char *
query_host_state_name(enum host_state state)
{
	if ((unsigned)state >= HOST_STATE_COUNT)
		return "UNKNOWN";
	return query_state_names[state];
}

int
query_host_state_from_name(const char *name)
{
	int	 i;

	for (i = 0; i < HOST_STATE_COUNT; i++)
		if (str_eq_nocase(name, query_state_names[i]))
			return i;
	return -1;
}

struct db *
query_db(struct store *st, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	return store_db(st);
}

void
query_fail(const struct request *req, struct reply *rep, const char *err)
{
	char	 vpath[256];

	log_warnx("%s %s: %s", req->method, str_vis(vpath, sizeof vpath,
	    req->path), err);
	reply_error(rep, 503, "the database did not answer; try again later");
}

int
query_param(const struct request *req, struct reply *rep, const char *name,
    size_t min, size_t max, const char **out)
{
	const char	*v;
	size_t		 len;

	*out = NULL;
	if (req->query == NULL || (v = req->query(req, name)) == NULL)
		return 0;
	len = strlen(v);
	if (u8_check((const uint8_t *)v, len) != NULL) {
		reply_error(rep, 400, "%s: not valid UTF-8", name);
		return -1;
	}
	if (len < min || len > max) {
		reply_error(rep, 400, "%s: %zu bytes long; it must be %zu to "
		    "%zu bytes", name, len, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int
query_param_int(const struct request *req, struct reply *rep,
    const char *name, int64_t min, int64_t max, int64_t def, int64_t *out)
{
	const char	*v;
	char		 why[256];

	*out = def;
	if (query_param(req, rep, name, 0, 64, &v) == -1)
		return -1;
	if (v == NULL)
		return 0;
	if (str_parse_int64(v, min, max, out, why, sizeof why) == -1) {
		reply_error(rep, 400, "%s: %s", name, why);
		return -1;
	}
	return 0;
}

int
query_parse_time(const char *s, int64_t now_ms, int64_t *out, char *err,
    size_t errlen)
{
	char	 vis[80];
	int64_t	 ago;

	if (strcmp(s, "now") == 0) {
		*out = now_ms;
		return 0;
	}
	if (s[0] == '-') {
		if (str_parse_duration_ms(s + 1, &ago, err, errlen) == -1)
			return -1;
		if (ago > QUERY_RELATIVE_MAX_MS) {
			snprintf(err, errlen, "\"%s\": more than ten years ago",
			    str_vis(vis, sizeof vis, s));
			return -1;
		}
		*out = now_ms - ago;
		return 0;
	}
	return wtime_parse_iso8601(s, out, err, errlen);
}

char *
query_url_escape(const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	struct buf		 b;
	unsigned char		 c;

	buf_init(&b, 0);
	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~')
			buf_append_char(&b, (char)c);
		else {
			buf_append_char(&b, '%');
			buf_append_char(&b, hex[c >> 4]);
			buf_append_char(&b, hex[c & 0x0f]);
		}
	}
	return buf_detach(&b, NULL);
}

/* ------------------------------------------------------------ cursors */

static const char query_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void
query_b64_encode(struct buf *b, const unsigned char *in, size_t len)
{
	uint32_t	 v;
	size_t		 i;

	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		buf_append_char(b, query_b64[v >> 18]);
		buf_append_char(b, query_b64[(v >> 12) & 63]);
		buf_append_char(b, query_b64[(v >> 6) & 63]);
		buf_append_char(b, query_b64[v & 63]);
	}
	if (len - i == 1) {
		v = (uint32_t)in[i] << 16;
		buf_append_char(b, query_b64[v >> 18]);
		buf_append_char(b, query_b64[(v >> 12) & 63]);
	} else if (len - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		buf_append_char(b, query_b64[v >> 18]);
		buf_append_char(b, query_b64[(v >> 12) & 63]);
		buf_append_char(b, query_b64[(v >> 6) & 63]);
	}
}

/* Unpadded base64url into out (at least len * 3 / 4 + 1 bytes); -1 if s
 * is not that. */
static int
query_b64_decode(const char *s, size_t len, unsigned char *out,
    size_t *outlen)
{
	const char	*p;
	uint32_t	 v = 0;
	size_t		 i, n = 0;
	int		 bits = 0;

	if (len % 4 == 1)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] == '\0' || (p = strchr(query_b64, s[i])) == NULL)
			return -1;
		v = (v << 6) | (uint32_t)(p - query_b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(v >> bits);
			v &= (1u << bits) - 1;
		}
	}
	/* Leftover bits must be zero, so each position has one spelling. */
	if (v != 0)
		return -1;
	*outlen = n;
	return 0;
}

/* The cursor is base64url("<id>:<name>"): opaque to clients, checked when
 * it comes back. */
char *
query_cursor_encode(const char *name, int64_t id)
{
	struct buf	 b;
	char		*raw;
	int		 n;

	n = xasprintf(&raw, "%" PRId64 ":%s", id, name);
	buf_init(&b, 0);
	query_b64_encode(&b, (const unsigned char *)raw, (size_t)n);
	free(raw);
	return buf_detach(&b, NULL);
}

int
query_cursor_decode(const char *cursor, char **name, int64_t *id)
{
	unsigned char	*raw;
	char		*colon, why[64];
	size_t		 len = strlen(cursor), n;
	int		 rc = -1;

	*name = NULL;
	if (len == 0 || len > QUERY_CURSOR_MAX)
		return -1;
	raw = xmalloc(len * 3 / 4 + 2);
	if (query_b64_decode(cursor, len, raw, &n) == -1)
		goto done;
	raw[n] = '\0';
	if (memchr(raw, '\0', n) != NULL || u8_check(raw, n) != NULL ||
	    (colon = strchr((char *)raw, ':')) == NULL)
		goto done;
	*colon = '\0';
	if (str_parse_int64((char *)raw, 1, INT64_MAX, id, why,
	    sizeof why) == -1 || colon[1] == '\0')
		goto done;
	*name = xstrdup(colon + 1);
	rc = 0;

done:
	free(raw);
	return rc;
}

/* ------------------------------------------------------------ JSON */

json_t *
query_json_string(const char *s)
{
	json_t	*j;
	char	*vis;
	size_t	 size;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	/* Ingest stores only UTF-8; this guards the reply if a row is not. */
	size = strlen(s) * 4 + 8;
	vis = xmalloc(size);
	j = json_string(str_vis(vis, size, s));
	free(vis);
	return j != NULL ? j : json_null();
}

json_t *
query_json_text(sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return json_null();
	return query_json_string((const char *)sqlite3_column_text(st, col));
}

json_t *
query_json_time_ms(int64_t ms)
{
	char	 iso[WTIME_ISO8601_LEN];

	return json_string(wtime_format_iso8601(iso, sizeof iso, ms));
}

json_t *
query_json_time(sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return json_null();
	return query_json_time_ms(sqlite3_column_int64(st, col));
}

json_t *
query_json_int(sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return json_null();
	return json_integer(sqlite3_column_int64(st, col));
}

json_t *
query_json_real(sqlite3_stmt *st, int col)
{
	double	 v;

	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return json_null();
	v = sqlite3_column_double(st, col);
	return isfinite(v) ? json_real(v) : json_null();
}

/* ------------------------------------------------------------ hosts */

#define SQL_HOST_COLUMNS \
	"SELECT id, name, agent_id, interval_s, fqdn, datacentre, kind," \
	"  last_seen_ms FROM hosts"
#define SQL_HOST_BY_NAME	SQL_HOST_COLUMNS \
	" WHERE name = ?1 ORDER BY id LIMIT ?2"
#define SQL_HOST_BY_FQDN	SQL_HOST_COLUMNS \
	" WHERE fqdn = ?1 COLLATE NOCASE ORDER BY id LIMIT ?2"
#define SQL_HOST_BY_AGENT	SQL_HOST_COLUMNS \
	" WHERE agent_id = ?1 LIMIT ?2"

/* One way of naming a host: 0 found, 1 none, 2 several (answered 409),
 * -1 database error (err set). */
static int
query_host_by(struct reply *rep, struct db *db, const char *sql,
    const char *how, const char *name, struct query_host *host, char *err,
    size_t errlen)
{
	sqlite3_stmt	*st;
	json_t		*candidates, *c, *body;
	char		 vis[96], msg[256], *url, *esc;
	int		 rc, n = 0;

	if ((st = db_stmt(db, sql, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, QUERY_CANDIDATES_MAX + 1);
	candidates = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n++ == 0) {
			host->id = sqlite3_column_int64(st, 0);
			host->name = xstrdup((const char *)
			    sqlite3_column_text(st, 1));
			host->agent_id = xstrdup((const char *)
			    sqlite3_column_text(st, 2));
			host->interval_s = sqlite3_column_int64(st, 3);
		}
		if (n > QUERY_CANDIDATES_MAX)
			continue;
		esc = query_url_escape((const char *)
		    sqlite3_column_text(st, 2));
		xasprintf(&url, "/api/v1/hosts/%s", esc);
		free(esc);
		c = json_object();
		json_object_set_new(c, "agent_id", query_json_text(st, 2));
		json_object_set_new(c, "name", query_json_text(st, 1));
		json_object_set_new(c, "fqdn", query_json_text(st, 4));
		json_object_set_new(c, "datacentre", query_json_text(st, 5));
		json_object_set_new(c, "kind", query_json_text(st, 6));
		json_object_set_new(c, "last_seen", query_json_time(st, 7));
		json_object_set_new(c, "url", json_string(url));
		free(url);
		json_array_append_new(candidates, c);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(db, "finding a host", err, errlen);
		json_decref(candidates);
		query_host_clear(host);
		return -1;
	}
	if (n <= 1) {
		json_decref(candidates);
		return n == 1 ? 0 : 1;
	}
	query_host_clear(host);
	snprintf(msg, sizeof msg, "%s\"%s\" names %s%d hosts; ask for one "
	    "by its agent id", how, str_vis(vis, sizeof vis, name),
	    n > QUERY_CANDIDATES_MAX ? "more than " : "",
	    n > QUERY_CANDIDATES_MAX ? QUERY_CANDIDATES_MAX : n);
	body = json_object();
	json_object_set_new(body, "error", query_json_string(msg));
	json_object_set_new(body, "candidates", candidates);
	reply_json(rep, 409, body);
	return 2;
}

int
query_host_find(const struct request *req, struct reply *rep, struct db *db,
    const char *name, struct query_host *host)
{
	static const struct {
		const char	*sql;
		const char	*how;
	} ways[] = {
		/* The agent id first: it is unique, and it is what the
		 * urls this API gives out name. A host named like another's
		 * agent id must not take that url from it. */
		{ SQL_HOST_BY_AGENT, "the agent id " },
		{ SQL_HOST_BY_NAME, "the name " },
		{ SQL_HOST_BY_FQDN, "the FQDN " },
	};
	char	 err[512], vis[96];
	size_t	 i;
	int	 rc;

	memset(host, 0, sizeof *host);
	for (i = 0; i < sizeof ways / sizeof ways[0]; i++) {
		rc = query_host_by(rep, db, ways[i].sql, ways[i].how, name,
		    host, err, sizeof err);
		if (rc == 0)
			return 0;
		if (rc == 2)
			return -1;
		if (rc == -1) {
			query_fail(req, rep, err);
			return -1;
		}
	}
	reply_error(rep, 404, "no host is called \"%s\" (by name, FQDN or "
	    "agent id)", str_vis(vis, sizeof vis, name));
	return -1;
}

void
query_host_clear(struct query_host *host)
{
	free(host->name);
	free(host->agent_id);
	memset(host, 0, sizeof *host);
}
