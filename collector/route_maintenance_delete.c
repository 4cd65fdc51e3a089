/* route_maintenance_delete.c: DELETE /api/v1/maintenance/{id}: ends a
 * window; it stays in the history with who deleted it and when. */
#include "config.h"

#include "common/str.h"
#include "common/wtime.h"
#include "collector/collector.h"

static void
maintenance_delete(struct request *req, struct reply *rep)
{
	json_t		*win;
	char		 err[512];
	int64_t		 id, now_ms = wtime_now_ms();
	int		 r;

	if (str_parse_int64(req->params[0], 1, INT64_MAX, &id, err,
	    sizeof err) == -1) {
		reply_error(rep, 404, "no such maintenance window");
		return;
	}
	r = maint_delete(store_db(req->c->store), id, req->token_name, now_ms,
	    err, sizeof err);
	if (r == 404) {
		reply_error(rep, 404, "no such maintenance window");
		return;
	}
	if (r == 409) {
		reply_error(rep, 409, "maintenance window %lld was already "
		    "deleted", (long long)id);
		return;
	}
	if (r == -1 || (win = maint_get(store_db(req->c->store), id, now_ms,
	    err, sizeof err)) == NULL) {
		query_fail(req, rep, err);
		return;
	}
	reply_json(rep, 200, win);
}

const struct route_entry route_maintenance_delete = {
	"DELETE", "/api/v1/maintenance/{id}", ROLES_OPERATE, maintenance_delete,
	"End a maintenance window now; it is kept as history.",
};
