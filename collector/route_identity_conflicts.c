/* route_identity_conflicts.c: GET /api/v1/identity/conflicts: what
 * ward-idsync's last run left for a person to decide. */
#include "config.h"

#include "common/db.h"
#include "collector/collector.h"

static void
identity_conflicts_get(struct request *req, struct reply *rep)
{
	struct db	*db;
	json_t		*list, *body;
	char		 err[512];
	int64_t		 limit;
	int		 truncated;

	if (query_param_int(req, rep, "limit", 1, 1000, 200, &limit) == -1)
		return;
	if ((db = identity_open(req, rep)) == NULL)
		return;
	list = json_array();
	/* One more than asked tells a full list from a cut one. */
	if (identity_conflicts(db, NULL, limit + 1, list, err,
	    sizeof err) == -1) {
		json_decref(list);
		query_fail(req, rep, err);
		db_close(db);
		return;
	}
	if ((truncated = (int64_t)json_array_size(list) > limit))
		json_array_remove(list, json_array_size(list) - 1);
	body = json_object();
	json_object_set_new(body, "count",
	    json_integer((json_int_t)json_array_size(list)));
	json_object_set_new(body, "truncated", json_boolean(truncated));
	json_object_set_new(body, "conflicts", list);
	reply_json(rep, 200, body);
	db_close(db);
}

const struct route_entry route_identity_conflicts = {
	"GET", "/api/v1/identity/conflicts", ROLES_READ,
	identity_conflicts_get,
	"The conflicts ward-idsync's last run left for a person to decide.",
};
