/* cmd.c: ward's helpdesk commands: the table of them, their option
 * parsing, and what they share (errors, JSON, paging, near matches). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/cli.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "tui/tui.h"

/* Label column of "label: value" output. */
#define CMD_KV_WIDTH	14

const struct cmd_entry *const cmd_table[] = {
	&cmd_status_entry,
	&cmd_host_entry,
	&cmd_asset_entry,
	&cmd_hosts_entry,
	&cmd_search_entry,
	&cmd_dc_entry,
	&cmd_alerts_entry,
	&cmd_alert_entry,
	&cmd_ack_entry,
	&cmd_eol_entry,
	&cmd_person_entry,
	NULL
};

const struct cmd_entry *
cmd_find(const char *name)
{
	const struct cmd_entry	*const *e;

	for (e = cmd_table; *e != NULL; e++)
		if (strcmp((*e)->name, name) == 0)
			return *e;
	return NULL;
}

static void
cmd_usage(const struct cmd_entry *e, FILE *fp)
{
	const struct cmd_opt	*o;

	fprintf(fp, "usage: ward %s", e->name);
	for (o = e->opts; o != NULL && o->name != NULL; o++)
		fprintf(fp, " [--%s%s%s]", o->name, o->has_arg ? " " : "",
		    o->has_arg ? o->arg_name : "");
	fprintf(fp, " [--json%s]%s%s\n", e->csv ? " | --csv" : "",
	    e->operands[0] != '\0' ? " " : "", e->operands);
}

static void
cmd_command_help(const struct cmd_entry *e)
{
	const struct cmd_opt	*o;
	char			 left[64];

	cmd_usage(e, stdout);
	printf("%s\n", e->summary);
	if (e->opts != NULL && e->opts[0].name != NULL)
		printf("\nOptions:\n");
	for (o = e->opts; o != NULL && o->name != NULL; o++) {
		snprintf(left, sizeof left, "--%s%s%s", o->name,
		    o->has_arg ? " " : "", o->has_arg ? o->arg_name : "");
		printf("  %-22s %s\n", left, o->help);
	}
	printf("  %-22s %s\n", "--json", "print the collector's JSON reply");
	if (e->csv)
		printf("  %-22s %s\n", "--csv", "print the list as CSV, every "
		    "column, times as ISO-8601");
	printf("\nSee ward(1) for the exit codes.\n");
}

int
cmd_parse(const struct cmd_entry *e, int argc, char **argv,
    struct cmd_args *args)
{
	const struct cmd_opt	*o;
	const char		*arg, *eq;
	size_t			 len, i;
	int			 k, only_operands = 0;

	memset(args, 0, sizeof *args);
	args->argv = xcalloc((size_t)argc + 1, sizeof *args->argv);
	for (k = 1; k < argc; k++) {
		arg = argv[k];
		if (only_operands || arg[0] != '-' || arg[1] == '\0') {
			args->argv[args->argc++] = argv[k];
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			only_operands = 1;
			continue;
		}
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			cmd_command_help(e);
			free(args->argv);
			args->argv = NULL;
			return 1;
		}
		if (strcmp(arg, "--json") == 0) {
			args->json = 1;
			continue;
		}
		if (strcmp(arg, "--csv") == 0) {
			if (!e->csv) {
				fprintf(stderr, "ward %s: --csv is for lists; "
				    "--json gives this one whole\n", e->name);
				goto usage;
			}
			args->csv = 1;
			continue;
		}
		if (strncmp(arg, "--", 2) != 0)
			goto bad;
		arg += 2;
		len = (eq = strchr(arg, '=')) != NULL ? (size_t)(eq - arg) :
		    strlen(arg);
		for (i = 0, o = e->opts; o != NULL && o->name != NULL;
		    i++, o++)
			if (strlen(o->name) == len &&
			    strncmp(o->name, arg, len) == 0)
				break;
		if (o == NULL || o->name == NULL)
			goto bad;
		if (!o->has_arg) {
			if (eq != NULL) {
				fprintf(stderr, "ward %s: --%s takes no value\n",
				    e->name, o->name);
				goto usage;
			}
			args->value[i] = "";
		} else if (eq != NULL)
			args->value[i] = eq + 1;
		else if (k + 1 < argc)
			args->value[i] = argv[++k];
		else {
			fprintf(stderr, "ward %s: --%s needs a value (%s)\n",
			    e->name, o->name, o->arg_name);
			goto usage;
		}
	}
	if (args->argc < e->min_operands) {
		fprintf(stderr, "ward %s: say which %s\n", e->name,
		    e->operands);
		goto usage;
	}
	if (e->max_operands >= 0 && args->argc > e->max_operands) {
		fprintf(stderr, "ward %s: too many operands\n", e->name);
		goto usage;
	}
	return 0;

bad:
	fprintf(stderr, "ward %s: unknown option %s\n", e->name, argv[k]);
usage:
	cmd_usage(e, stderr);
	fprintf(stderr, "Try 'ward %s --help' for more.\n", e->name);
	free(args->argv);
	args->argv = NULL;
	return -1;
}

const char *
cmd_help(void)
{
	static char		*help;
	const struct cmd_entry	*const *e;
	struct buf		 b;
	char			 left[64];

	if (help != NULL)
		return help;
	buf_init(&b, 0);
	buf_printf(&b, "Commands (without one, or with dash, the dashboard "
	    "opens):\n");
	for (e = cmd_table; *e != NULL; e++) {
		snprintf(left, sizeof left, "%s %s", (*e)->name,
		    (*e)->operands);
		buf_printf(&b, "  %-20s %s\n", left, (*e)->summary);
	}
	buf_printf(&b, "  %-20s %s\n", "dash", "the dashboard");
	buf_printf(&b, "Each takes --json, the lists --csv too; 'ward COMMAND "
	    "--help' lists\nits options.\n");
	help = buf_detach(&b, NULL);
	return help;
}

int
cmd_fail(const struct cmd_ctx *c, const char *what,
    const struct api_reply *r)
{
	/* The collector's words may echo what was asked: made safe. */
	char	*url = fmt_vis(api_url(c->api)), *why = fmt_vis_text(r->error);

	switch (r->status) {
	case API_UNREACHABLE:
		fprintf(stderr, "ward: cannot reach the collector at %s: %s\n",
		    url, why);
		break;
	case API_TLS:
		/* OpenSSL's words for an answer that is not TLS at all. */
		if (strstr(why, "wrong version number") != NULL ||
		    strstr(why, "packet length too long") != NULL) {
			fprintf(stderr, "ward: %s does not answer in TLS: %s\n",
			    url, why);
			fprintf(stderr, "ward: is that the collector's HTTPS "
			    "port (its [http] listen), or is it plain "
			    "HTTP?\n");
			break;
		}
		fprintf(stderr, "ward: the collector at %s failed TLS "
		    "verification: %s\n", url, why);
		fprintf(stderr, "ward: is ca_file (WARD_CA_FILE) the CA that "
		    "signed its certificate, and the URL's host a name in "
		    "it?\n");
		break;
	case API_UNAUTHORIZED:
		fprintf(stderr, "ward: the collector at %s refused the token: "
		    "%s\n", url, why);
		fprintf(stderr, "ward: check token_file (WARD_TOKEN_FILE)\n");
		break;
	case API_FORBIDDEN:
		fprintf(stderr, "ward: %s: the token may not do this: %s\n",
		    what, why);
		break;
	case API_NOT_AVAILABLE:
		fprintf(stderr, "ward: %s: not available on this collector "
		    "(%s)\n", what, url);
		break;
	case API_UNCONFIGURED:
		fprintf(stderr, "ward: %s: not served by the collector at %s: "
		    "%s\n", what, url, why);
		break;
	default:
		fprintf(stderr, "ward: %s: %s\n", what, why);
		break;
	}
	free(url);
	free(why);
	return api_exit_code(r->status);
}

int
cmd_print_json(const struct cmd_ctx *c, const json_t *doc)
{
	if (json_dumpf(doc, c->out, JSON_INDENT(2) |
	    JSON_REAL_PRECISION(15)) == -1 || fputc('\n', c->out) == EOF ||
	    fflush(c->out) == EOF) {
		fprintf(stderr, "ward: cannot write to standard output\n");
		return WARD_EXIT_FAILURE;
	}
	return WARD_EXIT_OK;
}

const char *
cmd_state_colour(const char *word)
{
	static const struct {
		const char	*word;
		const char	*sgr;
	} map[] = {
		{ "UP", "32" }, { "OK", "32" }, { "ok", "32" },
		{ "UNREACHABLE", "35" }, { "UNKNOWN", "35" },
		{ "STALE", "33" }, { "WARNING", "33" }, { "warning", "33" },
		{ "degraded", "33" },
		{ "DOWN", "1;31" }, { "CRITICAL", "1;31" },
		{ "critical", "1;31" },
		/* End-of-life statuses. */
		{ "supported", "32" }, { "unknown", "35" },
		{ "ending", "33" }, { "extended", "33" }, { "eol", "1;31" },
	};
	size_t	 i;

	for (i = 0; word != NULL && i < sizeof map / sizeof map[0]; i++)
		if (strcmp(word, map[i].word) == 0)
			return map[i].sgr;
	return NULL;
}

void
cmd_kv(const struct cmd_ctx *c, const char *label, const char *value)
{
	const char	*sgr;
	char		*v = fmt_vis(value != NULL ? value : "-");
	char		 l[64];

	snprintf(l, sizeof l, "%s:", label);
	if (c->colour && (sgr = cmd_state_colour(value)) != NULL)
		fprintf(c->out, "%-*s \033[%sm%s\033[0m\n", CMD_KV_WIDTH, l,
		    sgr, v);
	else
		fprintf(c->out, "%-*s %s\n", CMD_KV_WIDTH, l, v);
	free(v);
}

int
cmd_get_all(struct cmd_ctx *c, const char *path, const char *key,
    size_t max, struct api_reply *r)
{
	struct api_reply	 page;
	json_t			*all, *more;
	const char		*next;
	char			*p;
	size_t			 pages = 0;

	if (api_get(c->api, path, r) == -1)
		return -1;
	if ((all = json_object_get(r->doc, key)) == NULL ||
	    !json_is_array(all)) {
		snprintf(r->error, sizeof r->error, "GET %s: the reply has no "
		    "\"%s\" list", path, key);
		r->status = API_ERROR;
		return -1;
	}
	/* "next" is a path on this collector, never somewhere else. */
	while ((next = js(r->doc, "next")) != NULL &&
	    str_has_prefix(next, "/api/") &&
	    (max == 0 || json_array_size(all) < max)) {
		if (++pages > 100000)
			break;
		p = xstrdup(next);
		if (api_get(c->api, p, &page) == -1) {
			api_reply_free(r);
			*r = page;
			free(p);
			return -1;
		}
		free(p);
		more = json_object_get(page.doc, key);
		if (json_is_array(more))
			json_array_extend(all, more);
		json_object_set(r->doc, "next", json_object_get(page.doc,
		    "next"));
		api_reply_free(&page);
	}
	while (max > 0 && json_array_size(all) > max)
		json_array_remove(all, json_array_size(all) - 1);
	return 0;
}

void
cmd_print_table(const struct cmd_ctx *c, struct table *t,
    const char *(*colour)(const struct table *, size_t, size_t),
    const char *empty)
{
	if (c->csv)
		table_print_csv(t, c->out);
	else if (t->nrows > 0) {
		table_fit(t, c->width);
		table_print(t, c->out, 1, c->colour ? colour : NULL);
	} else if (c->tty && empty != NULL)
		fprintf(c->out, "(%s)\n", empty);
}

const char *
cmd_time(const struct cmd_ctx *c, char *dst, size_t size, const char *iso)
{
	if (c->csv)
		return iso;
	return fmt_iso_age(dst, size, iso, c->now_ms);
}

char *
cmd_near_hosts(struct cmd_ctx *c, const char *name)
{
	struct api_reply	 r;
	struct buf		 b;
	json_t			*res, *v;
	size_t			 len = strlen(name), try, i, n = 0;
	char			*q, *path, *part, *vis, *dc;

	/* The whole name, then shorter and shorter beginnings of it, so
	 * "srv-1" still finds "srv-10" and "srv01" finds "srv-01". */
	buf_init(&b, 0);
	for (try = len; try > 0;) {
		part = xstrndup(name, try);
		q = api_escape(part);
		free(part);
		xasprintf(&path, "/api/v1/search?q=%s&limit=5", q);
		free(q);
		if (api_get(c->api, path, &r) == 0) {
			res = json_object_get(r.doc, "results");
			json_array_foreach(res, i, v) {
				vis = fmt_vis(js(v, "name"));
				dc = fmt_vis(js(v, "datacentre"));
				buf_printf(&b, "%s%s%s%s%s", n > 0 ? ", " : "",
				    vis, *dc != '\0' ? " (" : "", dc,
				    *dc != '\0' ? ")" : "");
				free(vis);
				free(dc);
				n++;
			}
		}
		api_reply_free(&r);
		free(path);
		if (n > 0 || try <= 3)
			break;
		try = try * 2 / 3 > 3 ? try * 2 / 3 : 3;
	}
	if (n == 0) {
		buf_free(&b);
		return NULL;
	}
	xasprintf(&q, "did you mean: %s?", buf_cstr(&b));
	buf_free(&b);
	return q;
}
