/* route_eol_assets.c: GET /api/v1/eol/assets: each asset's lifecycle at a
 * date, filtered by status, datacentre, product and how soon its end of
 * life comes, sorted by name, a page at a time. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/xmalloc.h"
#include "collector/collector.h"

#define ASSETS_LIMIT_DEFAULT	100
#define ASSETS_LIMIT_MAX	1000

struct assets_filter {
	int		 status;	/* -1: any */
	const char	*status_text;
	const char	*datacentre;	/* "": none reported */
	const char	*product;
	const char	*at;
	int64_t		 within;	/* -1: any */
};

static int
assets_match(const struct assets_filter *f, const struct eol_asset *a)
{
	if (f->status != -1 && a->status != f->status)
		return 0;
	if (f->datacentre != NULL && strcmp(a->datacentre != NULL ?
	    a->datacentre : "", f->datacentre) != 0)
		return 0;
	/* A catalogue product, or a vendor of the hardware table. */
	if (f->product != NULL && !(a->sw.product != NULL &&
	    strcasecmp(a->sw.product->name, f->product) == 0) &&
	    !(a->hw.hw != NULL && strcasecmp(a->hw.vendor, f->product) == 0))
		return 0;
	return 1;
}

/* Reaches end of life within f->within days of the day asked about, and
 * has not yet. */
static int
assets_within(const struct assets_filter *f, const struct eol_estate *e,
    const struct eol_asset *a)
{
	if (f->within < 0)
		return 1;
	return a->has_end && a->status < EOL_EXTENDED &&
	    a->end_day >= e->day && a->end_day - e->day <= f->within;
}

/* After the cursor (name, id) in the list's order. */
static int
assets_after(const struct eol_asset *a, const char *name, int64_t id)
{
	int	 c;

	if (name == NULL)
		return 1;
	c = strcasecmp(a->name, name);
	return c > 0 || (c == 0 && a->host_id > id);
}

static char *
assets_next_link(const struct assets_filter *f, int64_t limit,
    const char *cursor)
{
	struct buf	 b;
	const char	*names[] = { "status", "datacentre", "product", "at" };
	const char	*values[] = {
		f->status_text, f->datacentre, f->product, f->at,
	};
	char		*esc;
	size_t		 i;

	buf_init(&b, 0);
	buf_printf(&b, "/api/v1/eol/assets?limit=%lld", (long long)limit);
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (values[i] == NULL)
			continue;
		esc = query_url_escape(values[i]);
		buf_printf(&b, "&%s=%s", names[i], esc);
		free(esc);
	}
	if (f->within >= 0)
		buf_printf(&b, "&within=%lld", (long long)f->within);
	buf_printf(&b, "&cursor=%s", cursor);
	return buf_detach(&b, NULL);
}

static void
eol_assets_get(struct request *req, struct reply *rep)
{
	struct assets_filter	 f;
	struct eol_estate	*e;
	const struct eol_asset	*a, *last = NULL;
	json_t			*body, *list;
	const char		*cursor;
	char			*after_name = NULL, *next, *link, day[16];
	int64_t			 limit, after_id = -1, total = 0, n = 0;
	size_t			 i;

	memset(&f, 0, sizeof f);
	if (query_param_int(req, rep, "limit", 1, ASSETS_LIMIT_MAX,
	    ASSETS_LIMIT_DEFAULT, &limit) == -1 ||
	    query_param_int(req, rep, "within", 0, 36600, -1,
	    &f.within) == -1 ||
	    query_param(req, rep, "status", 1, 16, &f.status_text) == -1 ||
	    query_param(req, rep, "datacentre", 0, 255, &f.datacentre) == -1 ||
	    query_param(req, rep, "product", 1, 255, &f.product) == -1 ||
	    query_param(req, rep, "at", 1, 64, &f.at) == -1 ||
	    query_param(req, rep, "cursor", 1, 1024, &cursor) == -1)
		return;
	f.status = -1;
	if (f.status_text != NULL &&
	    (f.status = eol_status_from_name(f.status_text)) == -1) {
		reply_error(rep, 400, "status: use supported, ending, "
		    "extended, eol or unknown");
		return;
	}
	if (cursor != NULL && query_cursor_decode(cursor, &after_name,
	    &after_id) == -1) {
		reply_error(rep, 400, "cursor: not one this collector gave; "
		    "start again without it");
		return;
	}
	if ((e = eol_route_estate(req, rep)) == NULL) {
		free(after_name);
		return;
	}
	list = json_array();
	for (i = 0; i < e->n; i++) {
		a = &e->assets[i];
		if (!assets_match(&f, a) || !assets_within(&f, e, a))
			continue;
		total++;
		if (!assets_after(a, after_name, after_id) || ++n > limit)
			continue;
		json_array_append_new(list, eol_asset_json(e, a));
		last = a;
	}
	body = json_object();
	json_object_set_new(body, "at", json_string(eol_format_day(e->day,
	    day, sizeof day)));
	json_object_set_new(body, "horizon_days", json_integer(
	    e->horizon_days));
	json_object_set_new(body, "catalogue", json_incref(e->catalogue));
	json_object_set_new(body, "assets", list);
	json_object_set_new(body, "total", json_integer(total));
	json_object_set_new(body, "limit", json_integer(limit));
	if (n > limit && last != NULL) {
		next = query_cursor_encode(last->name, last->host_id);
		link = assets_next_link(&f, limit, next);
		json_object_set_new(body, "next_cursor", json_string(next));
		json_object_set_new(body, "next", json_string(link));
		free(link);
		free(next);
	} else {
		json_object_set_new(body, "next_cursor", json_null());
		json_object_set_new(body, "next", json_null());
	}
	reply_json(rep, 200, body);
	eol_estate_free(e);
	free(after_name);
}

const struct route_entry route_eol_assets = {
	"GET", "/api/v1/eol/assets", ROLES_READ, eol_assets_get,
	"Assets and their lifecycle; filters status, datacentre, product, "
	"within=DAYS, at=DATE; paginated.",
};
