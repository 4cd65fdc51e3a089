/* route_eol_summary.c: GET /api/v1/eol/summary: the estate's end-of-life
 * status at a date, by status, datacentre, product and hardware model,
 * with where the catalogue's facts come from and how old they are. */
#include "config.h"

#include "collector/collector.h"

static void
eol_summary_get(struct request *req, struct reply *rep)
{
	struct eol_estate	*e;

	if ((e = eol_route_estate(req, rep)) == NULL)
		return;
	reply_json(rep, 200, eol_summary_json(e));
	eol_estate_free(e);
}

const struct route_entry route_eol_summary = {
	"GET", "/api/v1/eol/summary", ROLES_READ, eol_summary_get,
	"End-of-life status of every asset, counted by status, datacentre, "
	"product; at=DATE.",
};
