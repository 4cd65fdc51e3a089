/* route_reports.c: POST /api/v1/reports, where agents deliver reports. The
 * answer is 200 only once every report in the body is committed. */
#include "config.h"

#include <stdio.h>

#include "common/log.h"
#include "common/wjson.h"
#include "common/wtime.h"
#include "collector/collector.h"

/* Reports in a body that parsed: an array's entries, else one. */
static uint64_t
reports_count(json_t *doc)
{
	return json_is_array(doc) ? (uint64_t)json_array_size(doc) : 1;
}

static void
reports_post(struct request *req, struct reply *rep)
{
	struct wjson_limits	 limits = { 0, 8, 8192 };
	struct ingest_result	 res;
	json_t			*doc;
	char			 err[512];
	int64_t			 start_ns = stats_clock_ns();
	int			 status;

	if (req->body == NULL || req->body_len == 0) {
		stats_add(STATS_REPORTS_RECEIVED, 1);
		stats_add(STATS_REPORTS_REJECTED, 1);
		reply_error(rep, 400, "report: empty body");
		goto done;
	}
	limits.max_bytes = req->body_len;
	if ((doc = wjson_parse(req->body, req->body_len, &limits, err,
	    sizeof err)) == NULL) {
		stats_add(STATS_REPORTS_RECEIVED, 1);
		stats_add(STATS_REPORTS_REJECTED, 1);
		reply_error(rep, 400, "report: %s", err);
		goto done;
	}
	stats_add(STATS_REPORTS_RECEIVED, reports_count(doc));
	if (ingest_reports(req->c->store, doc, wtime_now_ms(), &res, &status,
	    err, sizeof err) == -1) {
		if (status == 400) {
			stats_add(STATS_REPORTS_REJECTED, reports_count(doc));
			reply_error(rep, 400, "%s", err);
		} else {
			stats_add(STATS_REPORTS_FAILED, reports_count(doc));
			log_warnx("reports from token %s not stored: %s",
			    req->token_name, err);
			reply_error(rep, 503, "reports could not be stored "
			    "now; send them again later");
		}
		json_decref(doc);
		goto done;
	}
	json_decref(doc);
	stats_add(STATS_REPORTS_ACCEPTED, (uint64_t)res.accepted);
	stats_add(STATS_REPORTS_DUPLICATE, (uint64_t)res.duplicates);
	reply_json(rep, 200, json_pack("{s:i, s:i}", "accepted", res.accepted,
	    "duplicates", res.duplicates));

done:
	stats_observe_ns(STATS_HIST_INGEST, stats_clock_ns() - start_ns);
}

const struct route_entry route_reports_post = {
	"POST", "/api/v1/reports", ROLES_REPORT, reports_post,
	"Deliver one report or an array of reports (docs/report.md)."
};
