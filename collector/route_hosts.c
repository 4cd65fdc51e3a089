/* route_hosts.c: GET /api/v1/hosts: the hosts, sorted by name, filtered by
 * datacentre, kind, state and a text query, a page at a time with a cursor
 * that stays correct while hosts come and go. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/db.h"
#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "collector/collector.h"

#define HOSTS_LIMIT_DEFAULT	100
#define HOSTS_LIMIT_MAX		1000
#define HOSTS_TEXT_MAX		256

/*
 * ?1 datacentre ('' for none), ?2 kind, ?3 state, ?4 now, ?5 LIKE pattern;
 * each NULL when not asked for. The text query looks at every address in
 * the JSON array, not at the array's text.
 */
#define SQL_HOSTS_WHERE \
	" WHERE (?1 IS NULL OR coalesce(datacentre, '') = ?1)" \
	"  AND (?2 IS NULL OR kind = ?2)" \
	"  AND (?3 IS NULL OR state = ?3)" \
	"  AND (?5 IS NULL OR name LIKE ?5 ESCAPE '\\'" \
	"    OR fqdn LIKE ?5 ESCAPE '\\' OR serial LIKE ?5 ESCAPE '\\'" \
	"    OR model LIKE ?5 ESCAPE '\\'" \
	"    OR os_pretty_name LIKE ?5 ESCAPE '\\'" \
	"    OR EXISTS (SELECT 1 FROM json_each(" \
	"      CASE WHEN json_valid(addresses) THEN addresses END)" \
	"      WHERE value LIKE ?5 ESCAPE '\\'))"
#define SQL_HOSTS_COUNT	"SELECT count(*) FROM hosts" SQL_HOSTS_WHERE
/* ?6, ?7: the cursor, the last (name, id) already given. The name alone
 * compared first lets SQLite seek the index to the cursor rather than
 * walk to it. */
#define SQL_HOSTS_PAGE \
	"SELECT id, name, agent_id, fqdn, datacentre, kind, vendor, model," \
	"  serial, os_pretty_name, addresses, last_seen_ms, last_report_ms," \
	"  state" \
	" FROM hosts" SQL_HOSTS_WHERE \
	"  AND name COLLATE NOCASE >= ?6" \
	"  AND (name COLLATE NOCASE, id) > (?6, ?7)" \
	" ORDER BY name COLLATE NOCASE, id LIMIT ?8"

struct hosts_filter {
	const char	*datacentre;
	const char	*kind;
	const char	*state;
	const char	*q;
	char		*like;
	int64_t		 now_ms;
};

static void
hosts_bind(sqlite3_stmt *st, const struct hosts_filter *f)
{
	if (f->datacentre != NULL)
		sqlite3_bind_text(st, 1, f->datacentre, -1, SQLITE_STATIC);
	if (f->kind != NULL)
		sqlite3_bind_text(st, 2, f->kind, -1, SQLITE_STATIC);
	if (f->state != NULL)
		sqlite3_bind_text(st, 3, f->state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, f->now_ms);
	if (f->like != NULL)
		sqlite3_bind_text(st, 5, f->like, -1, SQLITE_STATIC);
}

/* A host's line in a list: enough to choose it, and where its detail is. */
static json_t *
hosts_row(sqlite3_stmt *st)
{
	json_t	*h, *addrs;
	char	*esc, *url;
	const char *text;

	h = json_object();
	json_object_set_new(h, "name", query_json_text(st, 1));
	json_object_set_new(h, "agent_id", query_json_text(st, 2));
	json_object_set_new(h, "fqdn", query_json_text(st, 3));
	json_object_set_new(h, "datacentre", query_json_text(st, 4));
	json_object_set_new(h, "kind", query_json_text(st, 5));
	json_object_set_new(h, "state", query_json_text(st, 13));
	json_object_set_new(h, "vendor", query_json_text(st, 6));
	json_object_set_new(h, "model", query_json_text(st, 7));
	json_object_set_new(h, "serial", query_json_text(st, 8));
	json_object_set_new(h, "os_pretty_name", query_json_text(st, 9));
	addrs = NULL;
	if ((text = (const char *)sqlite3_column_text(st, 10)) != NULL)
		addrs = json_loads(text, 0, NULL);
	if (!json_is_array(addrs)) {
		json_decref(addrs);
		addrs = json_array();
	}
	json_object_set_new(h, "addresses", addrs);
	json_object_set_new(h, "last_seen", query_json_time(st, 11));
	json_object_set_new(h, "last_report", query_json_time(st, 12));
	esc = query_url_escape((const char *)sqlite3_column_text(st, 2));
	xasprintf(&url, "/api/v1/hosts/%s", esc);
	json_object_set_new(h, "url", json_string(url));
	free(url);
	free(esc);
	return h;
}

/* The next page's link repeats the filters with the new cursor. */
static char *
hosts_next_link(const struct hosts_filter *f, int64_t limit,
    const char *cursor)
{
	struct buf	 b;
	const char	*names[] = { "datacentre", "kind", "state", "q" };
	const char	*values[] = {
		f->datacentre, f->kind, f->state, f->q,
	};
	char		*esc;
	size_t		 i;

	buf_init(&b, 0);
	buf_printf(&b, "/api/v1/hosts?limit=%lld", (long long)limit);
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (values[i] == NULL)
			continue;
		esc = query_url_escape(values[i]);
		buf_printf(&b, "&%s=%s", names[i], esc);
		free(esc);
	}
	buf_printf(&b, "&cursor=%s", cursor);
	return buf_detach(&b, NULL);
}

static void
hosts_get(struct request *req, struct reply *rep)
{
	struct hosts_filter	 f;
	struct db		*db;
	sqlite3_stmt		*st;
	json_t			*list, *body;
	const char		*cursor;
	char			*after_name = NULL, *next = NULL, *link;
	char			*last_name = NULL, err[512];
	int64_t			 limit, after_id = -1, last_id = 0;
	int64_t			 total, n = 0;
	int			 rc, state;

	memset(&f, 0, sizeof f);
	if (query_param_int(req, rep, "limit", 1, HOSTS_LIMIT_MAX,
	    HOSTS_LIMIT_DEFAULT, &limit) == -1 ||
	    query_param(req, rep, "datacentre", 0, 255, &f.datacentre) == -1 ||
	    query_param(req, rep, "kind", 1, 32, &f.kind) == -1 ||
	    query_param(req, rep, "state", 1, 32, &f.state) == -1 ||
	    query_param(req, rep, "q", 0, HOSTS_TEXT_MAX, &f.q) == -1 ||
	    query_param(req, rep, "cursor", 1, 1024, &cursor) == -1)
		return;
	if (f.state != NULL) {
		if ((state = query_host_state_from_name(f.state)) == -1) {
			reply_error(rep, 400, "state: not a host state (use UP, "
			    "DOWN, UNREACHABLE or STALE)");
			return;
		}
		f.state = query_host_state_name(state);
	}
	/* An empty text query asks for nothing in particular. */
	if (f.q != NULL && f.q[0] == '\0')
		f.q = NULL;
	if (cursor != NULL && query_cursor_decode(cursor, &after_name,
	    &after_id) == -1) {
		reply_error(rep, 400, "cursor: not one this collector gave; "
		    "start again without it");
		return;
	}
	if (f.q != NULL)
		f.like = str_like_pattern(f.q);
	f.now_ms = wtime_now_ms();

	if ((db = query_db(req->c->store, err, sizeof err)) == NULL ||
	    (st = db_stmt(db, SQL_HOSTS_COUNT, err, sizeof err)) == NULL)
		goto fail;
	hosts_bind(st, &f);
	if (sqlite3_step(st) != SQLITE_ROW) {
		db_error(db, "counting hosts", err, sizeof err);
		sqlite3_reset(st);
		goto fail;
	}
	total = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);

	if ((st = db_stmt(db, SQL_HOSTS_PAGE, err, sizeof err)) == NULL)
		goto fail;
	hosts_bind(st, &f);
	sqlite3_bind_text(st, 6, after_name != NULL ? after_name : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, after_id);
	/* One more than asked for says whether there is a next page. */
	sqlite3_bind_int64(st, 8, limit + 1);
	list = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (++n > limit)
			continue;
		json_array_append_new(list, hosts_row(st));
		free(last_name);
		last_name = xstrdup((const char *)sqlite3_column_text(st, 1));
		last_id = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(db, "listing hosts", err, sizeof err);
		json_decref(list);
		goto fail;
	}
	body = json_object();
	json_object_set_new(body, "hosts", list);
	json_object_set_new(body, "total", json_integer(total));
	json_object_set_new(body, "limit", json_integer(limit));
	if (n > limit) {
		next = query_cursor_encode(last_name, last_id);
		link = hosts_next_link(&f, limit, next);
		json_object_set_new(body, "next_cursor", json_string(next));
		json_object_set_new(body, "next", json_string(link));
		free(link);
	} else {
		json_object_set_new(body, "next_cursor", json_null());
		json_object_set_new(body, "next", json_null());
	}
	reply_json(rep, 200, body);
	goto done;

fail:
	query_fail(req, rep, err);
done:
	free(next);
	free(last_name);
	free(after_name);
	free(f.like);
}

const struct route_entry route_hosts = {
	"GET", "/api/v1/hosts", ROLES_READ, hosts_get,
	"Hosts sorted by name; filters datacentre, kind, state, q; paginated.",
};
