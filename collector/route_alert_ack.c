/* route_alert_ack.c: POST /api/v1/alerts/{id}/ack: acknowledge an alert
 * (operate role): who is the token's name, with an optional comment. It
 * stops reminders; the alert resolves when the problem does. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/db.h"
#include "common/wjson.h"
#include "common/wtime.h"
#include "collector/collector.h"

#define ACK_COMMENT_MAX	1024

struct ack {
	const struct collector_config	*cfg;
	int64_t				 id;
	const char			*who;
	const char			*comment;
	int				 rc;
	char				 err[512];
};

static int
ack_tx(struct db *db, void *arg)
{
	struct ack	*a = arg;

	a->rc = alert_ack(db, a->cfg, a->id, a->who, a->comment,
	    wtime_now_ms(), a->err, sizeof a->err);
	/* A refusal (not found, already acknowledged) changes nothing. */
	return a->rc == -1 ? -1 : 0;
}

static void
alert_ack_post(struct request *req, struct reply *rep)
{
	struct wjson_limits	 limits = { 64 * 1024, 4, ACK_COMMENT_MAX };
	struct ack		 a;
	json_t			*doc = NULL;
	char			 err[512];

	memset(&a, 0, sizeof a);
	if ((a.id = route_alert_id(req, rep)) == -1)
		return;
	if (req->body != NULL && req->body_len > 0) {
		if ((doc = wjson_parse(req->body, req->body_len, &limits, err,
		    sizeof err)) == NULL) {
			reply_error(rep, 400, "body: %s", err);
			return;
		}
		if (!json_is_object(doc) || wjson_get_string(doc, "body",
		    "comment", 0, &a.comment, err, sizeof err) == -1) {
			reply_error(rep, 400, "%s", json_is_object(doc) ? err :
			    "body: expected an object {\"comment\": \"...\"}");
			json_decref(doc);
			return;
		}
	}
	a.cfg = req->c->cfg;
	a.who = req->token_name != NULL ? req->token_name : "(unknown)";
	if (db_transaction(store_db(req->c->store), ack_tx, &a, err,
	    sizeof err) == -1) {
		json_decref(doc);
		query_fail(req, rep, a.err[0] != '\0' ? a.err : err);
		return;
	}
	json_decref(doc);
	switch (a.rc) {
	case 0:
		reply_json(rep, 200, json_pack("{s:I, s:s, s:s}", "id",
		    (json_int_t)a.id, "status", "acknowledged", "by", a.who));
		break;
	case ALERT_NOT_FOUND:
		reply_error(rep, 404, "%s", a.err);
		break;
	default:
		reply_error(rep, 409, "%s", a.err);
		break;
	}
}

const struct route_entry route_alert_ack = {
	"POST", "/api/v1/alerts/{id}/ack", ROLES_OPERATE, alert_ack_post,
	"Acknowledge an alert ({\"comment\": \"...\"} optional); reminders "
	"stop.",
};
