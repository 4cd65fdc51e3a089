/* route_maintenance_post.c: POST /api/v1/maintenance: an operator creates
 * a maintenance window; the token's name is its author. */
#include "config.h"

#include <string.h>

#include "common/wjson.h"
#include "common/wtime.h"
#include "collector/collector.h"

static void
maintenance_post(struct request *req, struct reply *rep)
{
	static const char *const fields[] = {
		"scope", "target", "starts", "ends", "recur", "tz", "reason",
		NULL,
	};
	struct wjson_limits	 limits = { 16384, 2, 2048 };
	struct maint_window	 w;
	const char		*key, **slot[7];
	json_t			*doc, *v, *win;
	char			 err[512];
	int64_t			 id, now_ms = wtime_now_ms();
	int			 status;
	size_t			 i;

	if (req->body == NULL || req->body_len == 0) {
		reply_error(rep, 400, "maintenance: empty body; send a JSON "
		    "object");
		return;
	}
	if ((doc = wjson_parse(req->body, req->body_len, &limits, err,
	    sizeof err)) == NULL) {
		reply_error(rep, 400, "maintenance: %s", err);
		return;
	}
	if (!json_is_object(doc)) {
		reply_error(rep, 400, "maintenance: expected an object, got %s",
		    wjson_type_name(doc));
		goto done;
	}
	memset(&w, 0, sizeof w);
	slot[0] = &w.scope;
	slot[1] = &w.target;
	slot[2] = &w.starts;
	slot[3] = &w.ends;
	slot[4] = &w.recur;
	slot[5] = &w.tz;
	slot[6] = &w.reason;
	/* Every key is known and a string: a typo is an error, not a window
	 * that silently lacks what was meant. */
	json_object_foreach(doc, key, v) {
		for (i = 0; fields[i] != NULL; i++)
			if (strcmp(key, fields[i]) == 0)
				break;
		if (fields[i] == NULL) {
			reply_error(rep, 400, "%.64s: unknown field (use scope, "
			    "target, starts, ends, recur, tz, reason)", key);
			goto done;
		}
		if (json_is_null(v))
			continue;
		if (!json_is_string(v)) {
			reply_error(rep, 400, "%s: expected a string, got %s",
			    key, wjson_type_name(v));
			goto done;
		}
		*slot[i] = json_string_value(v);
	}
	w.author = req->token_name;
	if ((id = maint_add(store_db(req->c->store), req->c->cfg, &w, now_ms,
	    &status, err, sizeof err)) == -1) {
		if (status == 400)
			reply_error(rep, 400, "%s", err);
		else
			query_fail(req, rep, err);
		goto done;
	}
	if ((win = maint_get(store_db(req->c->store), id, now_ms, err,
	    sizeof err)) == NULL) {
		query_fail(req, rep, err);
		goto done;
	}
	reply_json(rep, 201, win);

done:
	json_decref(doc);
}

const struct route_entry route_maintenance_post = {
	"POST", "/api/v1/maintenance", ROLES_OPERATE, maintenance_post,
	"Create a maintenance window: {scope, target, starts, ends | recur, "
	"tz, reason}.",
};
