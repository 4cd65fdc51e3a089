/* cmd_ack.c: ward ack ID: acknowledge an alert (a token with the operate
 * role); reminders stop, and the alert resolves when the problem does. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cli.h"
#include "common/xmalloc.h"
#include "tui/tui.h"

enum { O_COMMENT };
static const struct cmd_opt ack_opts[] = {
	[O_COMMENT] = { "comment", 1, "TEXT",
	    "why, or what is being done (kept with the alert)" },
	{ NULL, 0, NULL, NULL },
};

static int
ack_exec(struct cmd_ctx *c, const struct cmd_args *a)
{
	struct api_reply	 r;
	json_t			*body = NULL;
	char			*path, *by;
	int64_t			 id;
	int			 rc;

	if ((id = cmd_alert_id("ack", a->argv[0])) == -1)
		return WARD_EXIT_USAGE;
	if (c->readonly) {
		fprintf(stderr, "ward ack: refused: --readonly turns every "
		    "action off\n");
		return WARD_EXIT_USAGE;
	}
	if (a->value[O_COMMENT] != NULL)
		body = json_pack("{s:s}", "comment", a->value[O_COMMENT]);
	if (a->value[O_COMMENT] != NULL && body == NULL) {
		fprintf(stderr, "ward ack: --comment: not valid UTF-8\n");
		return WARD_EXIT_USAGE;
	}
	xasprintf(&path, "/api/v1/alerts/%lld/ack", (long long)id);
	if (api_post(c->api, path, body, &r) == -1)
		rc = cmd_fail(c, "ack", &r);
	else if (c->json)
		rc = cmd_print_json(c, r.doc);
	else {
		by = fmt_vis(js(r.doc, "by"));
		fprintf(c->out, "alert %lld acknowledged by %s\n",
		    (long long)id, by);
		free(by);
		rc = WARD_EXIT_OK;
	}
	api_reply_free(&r);
	json_decref(body);
	free(path);
	return rc;
}

const struct cmd_entry cmd_ack_entry = {
	"ack", "ID",
	"acknowledge an alert (needs a token with the operate role)",
	ack_opts, 1, 1, ack_exec, 0,
};
