/* route_eol_forecast.c: GET /api/v1/eol/forecast: the assets reaching end
 * of life in each quarter of the next three years (or quarters=N), by
 * datacentre and product, with those already past it and those with no
 * date. */
#include "config.h"

#include "collector/collector.h"

#define FORECAST_QUARTERS	12
#define FORECAST_QUARTERS_MAX	40

static void
eol_forecast_get(struct request *req, struct reply *rep)
{
	struct eol_estate	*e;
	int64_t			 quarters;

	if (query_param_int(req, rep, "quarters", 1, FORECAST_QUARTERS_MAX,
	    FORECAST_QUARTERS, &quarters) == -1)
		return;
	if ((e = eol_route_estate(req, rep)) == NULL)
		return;
	reply_json(rep, 200, eol_forecast_json(e, (int)quarters));
	eol_estate_free(e);
}

const struct route_entry route_eol_forecast = {
	"GET", "/api/v1/eol/forecast", ROLES_READ, eol_forecast_get,
	"Assets reaching end of life per quarter, by datacentre and "
	"product; at=DATE, quarters=N.",
};
