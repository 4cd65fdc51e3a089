/* route_healthz.c: GET /healthz for load balancers: 200 while the database
 * answers, 503 when it does not. */
#include "config.h"

#include <stddef.h>

#include "common/db.h"
#include "common/log.h"
#include "collector/collector.h"

static void
route_healthz_get(struct request *req, struct reply *r)
{
	struct db	*db = store_db(req->c->store);
	sqlite3_stmt	*stmt;
	char		 err[512];
	int		 rc;

	if ((stmt = db_stmt(db, "SELECT 1", err, sizeof err)) == NULL)
		goto fail;
	rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	if (rc != SQLITE_ROW) {
		db_error(db, "healthz", err, sizeof err);
		goto fail;
	}
	reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
	return;

fail:
	log_warnx("healthz: %s", err);
	reply_json(r, 503, json_pack("{s:s}", "status", "unavailable"));
}

const struct route_entry route_healthz = {
	"GET", "/healthz", 0, route_healthz_get,
	"Liveness for load balancers: 200 while the database answers.",
};
