/* route_maintenance.c: GET /api/v1/maintenance: active, upcoming and
 * recently ended maintenance windows, recurring ones with their next
 * occurrence. */
#include "config.h"

#include "common/str.h"
#include "common/wtime.h"
#include "collector/collector.h"

#define MAINT_RECENT_DEFAULT_MS	(7LL * 86400000)
#define MAINT_RECENT_MAX_MS	(400LL * 86400000)

static void
maintenance_get(struct request *req, struct reply *rep)
{
	const char	*recent;
	char		 err[512];
	int64_t		 recent_ms = MAINT_RECENT_DEFAULT_MS, now_ms;
	json_t		*body;

	if (query_param(req, rep, "recent", 1, 32, &recent) == -1)
		return;
	if (recent != NULL && (str_parse_duration_ms(recent, &recent_ms, err,
	    sizeof err) == -1 || recent_ms > MAINT_RECENT_MAX_MS)) {
		reply_error(rep, 400, "recent: a duration up to 400d, like "
		    "7d or 12h");
		return;
	}
	now_ms = wtime_now_ms();
	if ((body = maint_list(store_db(req->c->store), now_ms, recent_ms,
	    err, sizeof err)) == NULL) {
		query_fail(req, rep, err);
		return;
	}
	json_object_set_new(body, "now", query_json_time_ms(now_ms));
	reply_json(rep, 200, body);
}

const struct route_entry route_maintenance = {
	"GET", "/api/v1/maintenance", ROLES_READ, maintenance_get,
	"Maintenance windows: active, upcoming, and ended or deleted within "
	"?recent= (default 7d).",
};
