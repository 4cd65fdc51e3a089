/* view_person.c: people found from the Identity tab's / (each with their
 * accounts, then the accounts linked to nobody), and one person: their
 * account in each domain and its state, and their open conflicts. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "tui/tui.h"

#define PERSONS_MAX	200

static char *
persons_path(const char *q)
{
	char	*e, *path;

	e = api_escape(q);
	xasprintf(&path, "/api/v1/persons?q=%s&limit=%d", e, PERSONS_MAX);
	free(e);
	return path;
}

static void
persons_want(struct dash *d, struct view *v)
{
	char	*path;

	if (strlen(v->arg) < 2)
		return;
	path = persons_path(v->arg);
	dash_want(d, 0, "%s", path);
	free(path);
}

static void
persons_build(struct dash *d, struct view *v, struct dash_page *p)
{
	static const struct table_col cols[] = {
		{ "NAME", TABLE_FLEX, 10, 0 },
		{ "STATUS", 0, 0, 0 },
		{ "EMPLOYEE", 0, 0, 2 },
		{ "MATCHED", 0, 0, 3 },
		{ "ACCOUNTS", TABLE_FLEX | TABLE_SAFE, 16, 0 },
	};
	const char	*cells[5];
	json_t		*doc, *person, *acc, *unlinked, *one;
	char		*path, *accounts;
	size_t		 i, np;

	if (strlen(v->arg) < 2) {
		dash_line(p, 0, TONE_WARN, "people: say at least two "
		    "characters of a name or username");
		return;
	}
	path = persons_path(v->arg);
	doc = dash_doc(d, p, path, "people");
	free(path);
	if (doc == NULL)
		return;
	np = json_array_size(json_object_get(doc, "persons"));
	unlinked = json_object_get(doc, "unlinked");
	dash_line(p, 0, TONE_HEADING, "%zu %s found for \"%s\"%s%s", np,
	    np == 1 ? "person" : "people", v->arg,
	    json_is_true(json_object_get(doc, "truncated")) ?
	    " (the first 200)" : "", json_array_size(unlinked) > 0 ?
	    "; and accounts linked to nobody" : "");
	p->table = table_new(cols, 5);
	p->tone_col = 1;
	p->empty = "nobody matches";
	json_array_foreach(json_object_get(doc, "persons"), i, person) {
		accounts = person_accounts_line(json_object_get(person,
		    "accounts"), dash_now_ms(d));
		cells[0] = js(person, "display_name");
		cells[1] = js(person, "status");
		cells[2] = js(person, "employee_id");
		cells[3] = person_matched(person, v->arg);
		cells[4] = accounts;
		table_add(p->table, cells);
		dash_page_key(p, js(person, "id"));
		free(accounts);
	}
	json_array_foreach(unlinked, i, acc) {
		one = json_pack("[O]", acc);
		accounts = person_accounts_line(one, dash_now_ms(d));
		json_decref(one);
		cells[0] = js(acc, "display_name");
		cells[1] = "unlinked";
		cells[2] = js(acc, "employee_id");
		cells[3] = js(acc, "kind");
		cells[4] = accounts;
		table_add(p->table, cells);
		dash_page_key(p, "");
		free(accounts);
	}
}

static void
persons_open(struct dash *d, struct view *v, const char *key)
{
	(void)v;
	if (*key != '\0')
		dash_push(d, &view_person, key);
}

const struct view_entry view_persons = {
	"People", 0, 0, persons_want, persons_build, persons_open, 0,
};

static char *
person_path(const char *id)
{
	char	*e, *path;

	e = api_escape(id);
	xasprintf(&path, "/api/v1/persons/%s", e);
	free(e);
	return path;
}

static void
person_want(struct dash *d, struct view *v)
{
	char	*path = person_path(v->arg);

	dash_want(d, 0, "%s", path);
	free(path);
}

static void
person_accounts(struct dash *d, struct dash_page *p, const json_t *doc)
{
	static const struct table_col cols[] = {
		{ "ACCOUNT", TABLE_FLEX | TABLE_SAFE, 12, 0 },
		{ "STATE", 0, 0, 0 },
		{ "EXPIRES", 0, 0, 2 },
		{ "ROLE", 0, 0, 1 },
		{ "KIND", 0, 0, 4 },
		{ "UPN", TABLE_FLEX, 10, 3 },
		{ "NAME", TABLE_FLEX, 8, 5 },
		{ "LINKED BY", 0, 0, 6 },
	};
	const json_t	*accounts = json_object_get(doc, "accounts");
	struct table	*t;
	json_t		*a;
	const char	*cells[8];
	char		*name, expires[32];
	size_t		 i;

	dash_line(p, 0, TONE_HEADING, "Accounts (%zu)",
	    json_array_size(accounts));
	if (json_array_size(accounts) == 0) {
		dash_line(p, 0, TONE_DIM, "  none");
		return;
	}
	t = table_new(cols, 8);
	json_array_foreach(accounts, i, a) {
		name = person_account_name(a);
		cells[0] = name;
		cells[1] = person_account_state(a, dash_now_ms(d));
		cells[2] = person_expires(expires, sizeof expires, a);
		cells[3] = js(a, "role");
		cells[4] = js(a, "kind");
		cells[5] = js(a, "upn");
		cells[6] = js(a, "display_name");
		cells[7] = js(a, "reason");
		table_add(t, cells);
		free(name);
	}
	dash_table_lines(p, 0, t, dash_width(d), 1);
	table_free(t);
}

static void
person_conflicts(struct dash_page *p, const json_t *doc)
{
	const json_t	*conflicts = json_object_get(doc, "conflicts");
	struct dash_line *l;
	json_t		*k, *a;
	char		 score[32], *sum, *text;
	size_t		 i, j;

	if (json_array_size(conflicts) == 0) {
		dash_line(p, 0, TONE_NONE, "Conflicts: none");
		return;
	}
	dash_line(p, 0, TONE_HEADING, "Conflicts (%zu)",
	    json_array_size(conflicts));
	json_array_foreach(conflicts, i, k) {
		l = dash_line(p, 0, TONE_WARN, "  #%lld  %s  ",
		    (long long)ji(k, "id", 0), js(k, "kind") != NULL ?
		    js(k, "kind") : "-");
		/* Summaries name accounts as DOMAIN\USER: the backslash
		 * is theirs, everything else is made safe. */
		sum = fmt_vis_text(js(k, "summary"));
		xasprintf(&text, "%s%s", l->text, sum);
		free(l->text);
		l->text = text;
		free(sum);
		json_array_foreach(json_object_get(k, "accounts"), j, a) {
			if (json_is_number(json_object_get(a, "score")))
				snprintf(score, sizeof score, "  score %.2f",
				    jd(a, "score", 0));
			else
				score[0] = '\0';
			/* As the collector's summaries name them. */
			dash_line(p, 0, TONE_NONE, "      %s (%s)%s%s%s",
			    js(a, "sam") != NULL ? js(a, "sam") : "?",
			    js(a, "domain") != NULL ? js(a, "domain") : "?",
			    score, js(a, "detail") != NULL ? "  " : "",
			    js(a, "detail") != NULL ? js(a, "detail") : "");
		}
	}
}

static void
person_build(struct dash *d, struct view *v, struct dash_page *p)
{
	char	*path = person_path(v->arg), when[64];
	json_t	*doc;

	doc = dash_doc(d, p, path, "person");
	free(path);
	if (doc == NULL)
		return;
	free(v->title);
	v->title = xstrdup(js(doc, "display_name") != NULL ?
	    js(doc, "display_name") : v->arg);
	dash_line_tone(dash_line(p, 0, TONE_HEADING, "%s  %s",
	    js(doc, "display_name") != NULL ? js(doc, "display_name") :
	    "(no name)", js(doc, "status") != NULL ? js(doc, "status") : "-"),
	    js(doc, "status"), dash_tone(js(doc, "status")));
	dash_kv(p, "employee", js(doc, "employee_id"));
	dash_kv(p, "title", js(doc, "title"));
	dash_kv(p, "department", js(doc, "department"));
	dash_kv(p, "id", js(doc, "id"));
	dash_kv(p, "created", js(doc, "created") != NULL ?
	    fmt_iso(when, sizeof when, js(doc, "created")) : NULL);
	dash_line(p, 0, TONE_NONE, "%s", "");
	person_accounts(d, p, doc);
	dash_line(p, 0, TONE_NONE, "%s", "");
	person_conflicts(p, doc);
}

const struct view_entry view_person = {
	"Person", 0, 0, person_want, person_build, NULL, 0,
};
