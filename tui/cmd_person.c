/* cmd_person.c: ward person QUERY: the helpdesk's answer to "which
 * accounts does this person have?": each person found with their account
 * in each domain and its state, then matching accounts linked to nobody;
 * ward person --id ID: one person with their open conflicts. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/cli.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "tui/tui.h"

enum { O_ID, O_LIMIT };
static const struct cmd_opt person_opts[] = {
	[O_ID] = { "id", 1, "ID", "one person by the id a search shows, "
	    "with their open conflicts" },
	[O_LIMIT] = { "limit", 1, "N", "at most N people (1-200, default 50)" },
	{ NULL, 0, NULL, NULL },
};

/* The columns of an account, as text. */
enum { C_ACCOUNT, C_UPN, C_STATE, C_EXPIRES, C_ROLE, C_KIND, C_NAME,
    C_REASON, C_N };
static const struct table_col person_cols[C_N] = {
	[C_ACCOUNT] = { "ACCOUNT", TABLE_FLEX | TABLE_SAFE, 12, 0 },
	[C_UPN] = { "UPN", TABLE_FLEX, 10, 3 },
	[C_STATE] = { "STATE", 0, 0, 0 },
	[C_EXPIRES] = { "EXPIRES", 0, 0, 2 },
	[C_ROLE] = { "ROLE", 0, 0, 1 },
	[C_KIND] = { "KIND", 0, 0, 4 },
	[C_NAME] = { "NAME", TABLE_FLEX, 8, 5 },
	[C_REASON] = { "LINKED BY", 0, 0, 6 },
};

/* And in CSV, a record an account with its person's fields. */
enum { V_PERSON_ID, V_PERSON, V_EMPLOYEE, V_STATUS, V_DOMAIN, V_USERNAME,
    V_UPN, V_MAIL, V_STATE, V_EXPIRES, V_ROLE, V_KIND, V_NAME, V_REASON,
    V_N };
static const struct table_col person_csv_cols[V_N] = {
	[V_PERSON_ID] = { "PERSON ID", 0, 0, 0 },
	[V_PERSON] = { "PERSON", 0, 0, 0 },
	[V_EMPLOYEE] = { "EMPLOYEE", 0, 0, 0 },
	[V_STATUS] = { "STATUS", 0, 0, 0 },
	[V_DOMAIN] = { "DOMAIN", 0, 0, 0 },
	[V_USERNAME] = { "USERNAME", 0, 0, 0 },
	[V_UPN] = { "UPN", 0, 0, 0 },
	[V_MAIL] = { "MAIL", 0, 0, 0 },
	[V_STATE] = { "STATE", 0, 0, 0 },
	[V_EXPIRES] = { "EXPIRES", 0, 0, 0 },
	[V_ROLE] = { "ROLE", 0, 0, 0 },
	[V_KIND] = { "KIND", 0, 0, 0 },
	[V_NAME] = { "NAME", 0, 0, 0 },
	[V_REASON] = { "LINKED BY", 0, 0, 0 },
};

/* A block: a heading line, then rows [first, first + n) of the table. */
struct person_block {
	const json_t	*person;	/* NULL: the accounts linked to nobody */
	size_t		 first, n;
};

static void
person_add_csv(struct cmd_ctx *c, struct table *t, const json_t *person,
    const json_t *a)
{
	const char	*cells[V_N];

	cells[V_PERSON_ID] = js(person, "id");
	cells[V_PERSON] = js(person, "display_name");
	cells[V_EMPLOYEE] = js(person, "employee_id");
	cells[V_STATUS] = js(person, "status");
	cells[V_DOMAIN] = js(a, "domain");
	cells[V_USERNAME] = js(a, "sam");
	cells[V_UPN] = js(a, "upn");
	cells[V_MAIL] = js(a, "mail");
	cells[V_STATE] = person_account_state(a, c->now_ms);
	cells[V_EXPIRES] = js(a, "expires");
	cells[V_ROLE] = js(a, "role");
	cells[V_KIND] = js(a, "kind");
	cells[V_NAME] = js(a, "display_name");
	cells[V_REASON] = js(a, "reason");
	table_add(t, cells);
}

static void
person_add_row(struct cmd_ctx *c, struct table *t, const json_t *a)
{
	const char	*cells[C_N];
	char		*name, expires[32];

	name = person_account_name(a);
	cells[C_ACCOUNT] = name;
	cells[C_UPN] = js(a, "upn");
	cells[C_STATE] = person_account_state(a, c->now_ms);
	cells[C_EXPIRES] = person_expires(expires, sizeof expires, a);
	cells[C_ROLE] = js(a, "role");
	cells[C_KIND] = js(a, "kind");
	cells[C_NAME] = js(a, "display_name");
	cells[C_REASON] = js(a, "reason");
	table_add(t, cells);
	free(name);
}

/* A row's line, its state in colour when it is not "enabled". */
static void
person_print_row(struct cmd_ctx *c, const struct table *t, size_t row)
{
	const char	*state = t->rows[row][C_STATE], *from, *to;
	char		*line = table_line(t, row);
	size_t		 x;

	if (!c->colour || strcmp(state, "enabled") == 0 ||
	    (x = table_col_x(t, C_STATE)) == SIZE_MAX) {
		fprintf(c->out, "  %s\n", line);
		free(line);
		return;
	}
	from = fmt_skip(line, x);
	to = fmt_skip(from, fmt_width(state));
	fprintf(c->out, "  %.*s\033[1;31m%.*s\033[0m%s\n", (int)(from - line),
	    line, (int)(to - from), from, to);
	free(line);
}

static void
person_heading(struct cmd_ctx *c, const json_t *person)
{
	const char	*status = js(person, "status");
	char		*name = fmt_vis(js(person, "display_name") != NULL ?
			    js(person, "display_name") : "(no name)");
	char		*emp = fmt_vis(js(person, "employee_id") != NULL ?
			    js(person, "employee_id") : "-");
	char		*st = fmt_vis(status != NULL ? status : "-");
	char		*id = fmt_vis(js(person, "id"));
	int		 leaver = status != NULL && strcmp(status, "leaver") == 0;

	if (c->colour)
		fprintf(c->out, "\033[1m%s\033[0m  employee %s  %s%s%s  "
		    "id %s\n", name, emp, leaver ? "\033[33m" : "", st,
		    leaver ? "\033[0m" : "", id);
	else
		fprintf(c->out, "%s  employee %s  %s  id %s\n", name, emp, st,
		    id);
	free(name);
	free(emp);
	free(st);
	free(id);
}

static void
person_print_blocks(struct cmd_ctx *c, struct table *t,
    const struct person_block *b, size_t nb)
{
	char	*header;
	size_t	 i, r;

	table_fit(t, c->width > 2 ? c->width - 2 : c->width);
	header = table_line(t, SIZE_MAX);
	for (i = 0; i < nb; i++) {
		if (i > 0)
			fputc('\n', c->out);
		if (b[i].person != NULL)
			person_heading(c, b[i].person);
		else
			fprintf(c->out, "%s\n", c->colour ? "\033[1mAccounts "
			    "linked to no person\033[0m" : "Accounts linked "
			    "to no person");
		if (b[i].n == 0) {
			fprintf(c->out, "  (no accounts)\n");
			continue;
		}
		fprintf(c->out, "  %s\n", header);
		for (r = b[i].first; r < b[i].first + b[i].n; r++)
			person_print_row(c, t, r);
	}
	free(header);
}

/* ward person QUERY */
static int
person_search(struct cmd_ctx *c, const struct cmd_args *a, const char *q)
{
	struct api_reply	 r;
	struct person_block	*blocks = NULL;
	struct table		*t;
	json_t			*persons, *unlinked, *p, *acc;
	size_t			 i, j, nb = 0;
	int64_t			 limit = 50;
	char			*path, *e, *vis, err[128];
	int			 rc;

	if (a->value[O_LIMIT] != NULL && str_parse_int64(a->value[O_LIMIT],
	    1, 200, &limit, err, sizeof err) == -1) {
		fprintf(stderr, "ward person: --limit: %s\n", err);
		return WARD_EXIT_USAGE;
	}
	if (strlen(q) < 2 || strlen(q) > 255) {
		fprintf(stderr, "ward person: QUERY must be 2 to 255 bytes "
		    "(a name, an employee number, a username)\n");
		return WARD_EXIT_USAGE;
	}
	e = api_escape(q);
	xasprintf(&path, "/api/v1/persons?q=%s&limit=%lld", e,
	    (long long)limit);
	free(e);
	if (api_get(c->api, path, &r) == -1) {
		rc = cmd_fail(c, "person", &r);
		goto done;
	}
	persons = json_object_get(r.doc, "persons");
	unlinked = json_object_get(r.doc, "unlinked");
	if (json_array_size(persons) == 0 && json_array_size(unlinked) == 0) {
		if (c->json)
			cmd_print_json(c, r.doc);
		vis = fmt_vis(q);
		fprintf(stderr, "ward: no person or account matches \"%s\"\n",
		    vis);
		free(vis);
		rc = TUI_EXIT_NOT_FOUND;
		goto done;
	}
	if (c->json) {
		rc = cmd_print_json(c, r.doc);
		goto done;
	}
	if (c->csv) {
		t = table_new(person_csv_cols, V_N);
		json_array_foreach(persons, i, p)
			json_array_foreach(json_object_get(p, "accounts"), j,
			    acc)
				person_add_csv(c, t, p, acc);
		json_array_foreach(unlinked, j, acc)
			person_add_csv(c, t, NULL, acc);
		table_print_csv(t, c->out);
		table_free(t);
		rc = WARD_EXIT_OK;
		goto done;
	}
	t = table_new(person_cols, C_N);
	blocks = xcalloc(json_array_size(persons) + 1, sizeof *blocks);
	json_array_foreach(persons, i, p) {
		blocks[nb].person = p;
		blocks[nb].first = t->nrows;
		json_array_foreach(json_object_get(p, "accounts"), j, acc)
			person_add_row(c, t, acc);
		blocks[nb].n = t->nrows - blocks[nb].first;
		nb++;
	}
	if (json_array_size(unlinked) > 0) {
		blocks[nb].first = t->nrows;
		json_array_foreach(unlinked, j, acc)
			person_add_row(c, t, acc);
		blocks[nb].n = t->nrows - blocks[nb].first;
		nb++;
	}
	person_print_blocks(c, t, blocks, nb);
	if (json_is_true(json_object_get(r.doc, "truncated")) && c->tty)
		fprintf(c->out, "(the first %zu people; --limit for more)\n",
		    json_array_size(persons));
	table_free(t);
	rc = WARD_EXIT_OK;
done:
	free(blocks);
	api_reply_free(&r);
	free(path);
	return rc;
}

static void
person_conflicts(struct cmd_ctx *c, const json_t *conflicts)
{
	json_t	*k, *acc;
	size_t	 i, j;
	char	*kind, *sum, *name, *vis;

	if (json_array_size(conflicts) == 0) {
		cmd_kv(c, "conflicts", "none");
		return;
	}
	fprintf(c->out, "conflicts:\n");
	json_array_foreach(conflicts, i, k) {
		kind = fmt_vis(js(k, "kind"));
		/* Summaries name accounts as DOMAIN\USER: the backslash
		 * is theirs, everything else is made safe. */
		sum = fmt_vis_text(js(k, "summary"));
		fprintf(c->out, "  #%lld  %s  %s\n", (long long)ji(k, "id", 0),
		    kind, sum);
		json_array_foreach(json_object_get(k, "accounts"), j, acc) {
			name = person_account_name(acc);
			fprintf(c->out, "        %s", name);
			free(name);
			if (js(acc, "detail") != NULL) {
				vis = fmt_vis(js(acc, "detail"));
				fprintf(c->out, "  %s", vis);
				free(vis);
			}
			fputc('\n', c->out);
		}
		free(kind);
		free(sum);
	}
}

/* ward person --id ID */
static int
person_one(struct cmd_ctx *c, const char *id)
{
	struct api_reply	 r;
	struct table		*t;
	json_t			*acc;
	size_t			 j;
	char			*path, *e, when[64];
	int			 rc;

	e = api_escape(id);
	xasprintf(&path, "/api/v1/persons/%s", e);
	free(e);
	if (api_get(c->api, path, &r) == -1) {
		rc = cmd_fail(c, "person", &r);
		goto done;
	}
	if (c->json) {
		rc = cmd_print_json(c, r.doc);
		goto done;
	}
	if (c->csv) {
		t = table_new(person_csv_cols, V_N);
		json_array_foreach(json_object_get(r.doc, "accounts"), j, acc)
			person_add_csv(c, t, r.doc, acc);
		table_print_csv(t, c->out);
		table_free(t);
		rc = WARD_EXIT_OK;
		goto done;
	}
	cmd_kv(c, "name", js(r.doc, "display_name"));
	cmd_kv(c, "employee", js(r.doc, "employee_id"));
	cmd_kv(c, "title", js(r.doc, "title"));
	cmd_kv(c, "department", js(r.doc, "department"));
	cmd_kv(c, "status", js(r.doc, "status"));
	cmd_kv(c, "id", js(r.doc, "id"));
	cmd_kv(c, "created", js(r.doc, "created") != NULL ?
	    fmt_iso(when, sizeof when, js(r.doc, "created")) : NULL);
	fprintf(c->out, "accounts:\n");
	t = table_new(person_cols, C_N);
	json_array_foreach(json_object_get(r.doc, "accounts"), j, acc)
		person_add_row(c, t, acc);
	if (t->nrows == 0)
		fprintf(c->out, "  (no accounts)\n");
	else {
		table_fit(t, c->width > 2 ? c->width - 2 : c->width);
		e = table_line(t, SIZE_MAX);
		fprintf(c->out, "  %s\n", e);
		free(e);
		for (j = 0; j < t->nrows; j++)
			person_print_row(c, t, j);
	}
	table_free(t);
	person_conflicts(c, json_object_get(r.doc, "conflicts"));
	rc = WARD_EXIT_OK;
done:
	api_reply_free(&r);
	free(path);
	return rc;
}

static int
person_exec(struct cmd_ctx *c, const struct cmd_args *a)
{
	struct buf	 q;
	int		 k, rc;

	if (a->value[O_ID] != NULL) {
		if (a->argc > 0) {
			fprintf(stderr, "ward person: give QUERY or --id ID, "
			    "not both\n");
			return WARD_EXIT_USAGE;
		}
		if (*a->value[O_ID] == '\0') {
			fprintf(stderr, "ward person: --id: empty\n");
			return WARD_EXIT_USAGE;
		}
		return person_one(c, a->value[O_ID]);
	}
	if (a->argc == 0) {
		fprintf(stderr, "ward person: say whom: QUERY (a name, an "
		    "employee number, a username) or --id ID\n");
		return WARD_EXIT_USAGE;
	}
	/* "ward person John Smith" asks for the words as one name. */
	buf_init(&q, 0);
	for (k = 0; k < a->argc; k++)
		buf_printf(&q, "%s%s", k > 0 ? " " : "", a->argv[k]);
	rc = person_search(c, a, buf_cstr(&q));
	buf_free(&q);
	return rc;
}

const struct cmd_entry cmd_person_entry = {
	"person", "QUERY",
	"which accounts a person has, in each domain",
	person_opts, 0, -1, person_exec, 1,
};
