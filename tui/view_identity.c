/* view_identity.c: the Identity tab: what the last ward-idsync run found
 * in each domain, the people and leavers, and the conflicts waiting for a
 * decision (Enter opens the person); / finds a person. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "tui/tui.h"

#define IDENTITY_SUMMARY	"/api/v1/identity/summary"
#define IDENTITY_CONFLICTS	"/api/v1/identity/conflicts?limit=200"

static void
identity_want(struct dash *d, struct view *v)
{
	(void)v;
	dash_want(d, 0, IDENTITY_SUMMARY);
	dash_want(d, 0, IDENTITY_CONFLICTS);
}

/* A collector without ward-idsync's database is set up that way, not
 * failing: said plainly, with what would change it. */
static void
identity_unserved(struct dash_page *p, const struct api_reply *r)
{
	if (r->status == API_NOT_AVAILABLE) {
		dash_line(p, 0, TONE_HEADING, "Identity: not available on "
		    "this collector");
		dash_line(p, 0, TONE_NONE, "%s", "");
		dash_line(p, 0, TONE_NONE, "This collector has no identity "
		    "API (it is older than ward's).");
		return;
	}
	if (strstr(r->error, "not configured") != NULL)
		dash_line(p, 0, TONE_HEADING, "Identity: not configured on "
		    "this collector");
	else
		dash_line(p, 0, TONE_HEADING, "Identity: no ward-idsync data "
		    "on this collector yet");
	dash_line(p, 0, TONE_NONE, "%s", "");
	dash_line(p, 0, TONE_NONE, "The collector says: %s", r->error);
	dash_line(p, 0, TONE_NONE, "%s", "");
	dash_line(p, 0, TONE_DIM, "Its [identity] db names ward-idsync's "
	    "database (idsync.db), which the");
	dash_line(p, 0, TONE_DIM, "first \"ward-idsync run\" makes; then "
	    "this tab shows each domain's");
	dash_line(p, 0, TONE_DIM, "accounts and / finds a person's account "
	    "in each domain.");
}

static void
identity_domains(struct dash *d, struct dash_page *p, const json_t *s)
{
	static const struct table_col cols[] = {
		{ "DOMAIN", TABLE_FLEX, 6, 0 },
		{ "ACCOUNTS", TABLE_RIGHT, 0, 0 },
		{ "LINKED", TABLE_RIGHT, 0, 0 },
		{ "UNMATCHED", TABLE_RIGHT, 0, 0 },
		{ "DISABLED", TABLE_RIGHT, 0, 1 },
		{ "LAST READ", 0, 0, 2 },
		{ "ERROR", TABLE_FLEX, 10, 0 },
	};
	struct table	*t = table_new(cols, 7);
	json_t		*dom;
	const char	*cells[7];
	char		 n[4][24], age[32];
	size_t		 i, first;

	json_array_foreach(json_object_get(s, "domains"), i, dom) {
		snprintf(n[0], sizeof n[0], "%lld",
		    (long long)ji(dom, "accounts", 0));
		snprintf(n[1], sizeof n[1], "%lld",
		    (long long)ji(dom, "linked", 0));
		snprintf(n[2], sizeof n[2], "%lld",
		    (long long)ji(dom, "unmatched", 0));
		snprintf(n[3], sizeof n[3], "%lld",
		    (long long)ji(dom, "disabled", 0));
		cells[0] = js(dom, "domain");
		cells[1] = n[0];
		cells[2] = n[1];
		cells[3] = n[2];
		cells[4] = n[3];
		cells[5] = fmt_iso_age(age, sizeof age, js(dom, "last_read"),
		    dash_now_ms(d));
		cells[6] = js(dom, "error");
		table_add(t, cells);
	}
	if (t->nrows == 0) {
		dash_line(p, 0, TONE_DIM, "  no domain has been read yet");
		table_free(t);
		return;
	}
	first = p->npre + 1;
	dash_table_lines(p, 0, t, dash_width(d), SIZE_MAX);
	/* A domain that could not be read stands out. */
	json_array_foreach(json_object_get(s, "domains"), i, dom)
		if (js(dom, "error") != NULL)
			p->pre[first + i].tone = TONE_BAD;
	table_free(t);
}

static void
identity_build(struct dash *d, struct view *v, struct dash_page *p)
{
	static const struct table_col cols[] = {
		{ "ID", TABLE_RIGHT, 0, 0 },
		{ "KIND", 0, 0, 1 },
		{ "SUMMARY", TABLE_FLEX | TABLE_SAFE, 20, 0 },
	};
	const struct api_reply	*r = dash_reply(d, IDENTITY_SUMMARY);
	const json_t		*run;
	json_t			*s, *doc, *k, *acc;
	const char		*cells[3], *key;
	char			 id[24], when[64], age[32], *sum;
	size_t			 i, j;

	(void)v;
	if (r != NULL && dash_good(d, IDENTITY_SUMMARY) == NULL &&
	    (r->status == API_UNCONFIGURED || r->status == API_NOT_AVAILABLE)) {
		identity_unserved(p, r);
		return;
	}
	if ((s = dash_doc(d, p, IDENTITY_SUMMARY, "Identity")) == NULL)
		return;
	dash_line(p, 0, TONE_HEADING, "%lld people  %lld leavers  %lld "
	    "conflicts", (long long)ji(s, "persons", 0),
	    (long long)ji(s, "leavers", 0), (long long)ji(s, "conflicts", 0));
	run = json_object_get(s, "last_run");
	if (json_is_object(run))
		dash_line_tone(dash_line(p, 0, TONE_NONE, "last run #%lld %s "
		    "%s, finished %s (%s ago)", (long long)ji(run, "id", 0),
		    js(run, "command") != NULL ? js(run, "command") : "",
		    js(run, "outcome") != NULL ? js(run, "outcome") : "-",
		    fmt_iso(when, sizeof when, js(run, "finished") != NULL ?
		    js(run, "finished") : "-"), fmt_iso_age(age, sizeof age,
		    js(run, "finished"), dash_now_ms(d))),
		    js(run, "outcome"), dash_tone(js(run, "outcome")));
	else
		dash_line(p, 0, TONE_WARN, "ward-idsync has not run yet");
	dash_line(p, 0, TONE_NONE, "%s", "");
	identity_domains(d, p, s);
	dash_line(p, 0, TONE_NONE, "%s", "");
	dash_line(p, 0, TONE_DIM, "/ finds a person by name, employee "
	    "number or username.");
	if ((doc = dash_doc(d, p, IDENTITY_CONFLICTS, "conflicts")) == NULL)
		return;
	dash_line(p, 0, TONE_HEADING, "Conflicts waiting for a decision "
	    "(%lld%s)", (long long)ji(doc, "count", 0),
	    json_is_true(json_object_get(doc, "truncated")) ? ", the first "
	    "200" : "");
	p->table = table_new(cols, 3);
	p->empty = "no conflicts";
	json_array_foreach(json_object_get(doc, "conflicts"), i, k) {
		snprintf(id, sizeof id, "%lld", (long long)ji(k, "id", 0));
		cells[0] = id;
		cells[1] = js(k, "kind");
		/* Summaries name accounts as DOMAIN\USER: the backslash
		 * is theirs, everything else is made safe. */
		sum = fmt_vis_text(js(k, "summary"));
		cells[2] = sum;
		table_add(p->table, cells);
		free(sum);
		/* Enter opens the first person the conflict involves. */
		key = "";
		json_array_foreach(json_object_get(k, "accounts"), j, acc)
			if (js(acc, "person_id") != NULL) {
				key = js(acc, "person_id");
				break;
			}
		dash_page_key(p, key);
	}
}

static void
identity_open(struct dash *d, struct view *v, const char *key)
{
	(void)v;
	if (*key != '\0')
		dash_push(d, &view_person, key);
}

const struct view_entry view_identity = {
	"Identity", '6', 0, identity_want, identity_build, identity_open, 0,
};
