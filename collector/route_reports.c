/* route_reports.c: POST /api/v1/reports, where agents deliver reports. The
 * answer is 200 only once every report in the body is committed. */
#include "config.h"

#include <stdio.h>

#include "common/log.h"
#include "common/wjson.h"
#include "common/wtime.h"
#include "collector/collector.h"

static void
reports_post(struct request *req, struct reply *rep)
{
	struct wjson_limits	 limits = { 0, 8, 8192 };
	struct ingest_result	 res;
	json_t			*doc;
	char			 err[512];
	int			 status;

	if (req->body == NULL || req->body_len == 0) {
		reply_error(rep, 400, "report: empty body");
		return;
	}
	limits.max_bytes = req->body_len;
	if ((doc = wjson_parse(req->body, req->body_len, &limits, err,
	    sizeof err)) == NULL) {
		reply_error(rep, 400, "report: %s", err);
		return;
	}
	if (ingest_reports(req->c->store, doc, wtime_now_ms(), &res, &status,
	    err, sizeof err) == -1) {
		if (status == 400)
			reply_error(rep, 400, "%s", err);
		else {
			log_warnx("reports from token %s not stored: %s",
			    req->token_name, err);
			reply_error(rep, 503, "reports could not be stored "
			    "now; send them again later");
		}
		json_decref(doc);
		return;
	}
	json_decref(doc);
	reply_json(rep, 200, json_pack("{s:i, s:i}", "accepted", res.accepted,
	    "duplicates", res.duplicates));
}

const struct route_entry route_reports_post = {
	"POST", "/api/v1/reports", ROLES_REPORT, reports_post,
	"Deliver one report or an array of reports (docs/report.md)."
};
