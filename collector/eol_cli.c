/* eol_cli.c: ward-collector eol: refresh the catalogue, import the hardware
 * lifecycle table, export every asset's lifecycle for the replacement
 * programme. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cli.h"
#include "common/daemon.h"
#include "common/http.h"
#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "collector/collector.h"

static int eol_usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int
eol_usage(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "ward-collector: eol: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'ward-collector --help' for more.\n");
	return WARD_EXIT_USAGE;
}

/* Prints each line of text to stderr, prefixed. */
static void
eol_print_lines(const char *prefix, const char *text)
{
	const char	*p = text, *nl;

	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		fprintf(stderr, "ward-collector: %s%.*s\n", prefix,
		    (int)(nl != NULL ? (size_t)(nl - p) : strlen(p)), p);
		p = nl != NULL ? nl + 1 : NULL;
	}
}

/* As the server does: run as the [daemon] user, so a database this makes
 * belongs to whoever serves it; then the rules and the snapshot. */
static struct store *
eol_open(const struct collector_config *cfg, struct eol_rules **rules,
    int quiet)
{
	struct store	*st;
	char		 err[1024], *warnings, *info;

	if (daemon_drop_privileges(cfg->daemon.user, err, sizeof err) == -1 ||
	    (st = store_open(cfg->store.database, 0, err, sizeof err)) ==
	    NULL) {
		fprintf(stderr, "ward-collector: %s\n", err);
		return NULL;
	}
	if (eol_prepare(cfg, store_db(st), wtime_now_ms(), rules, &warnings,
	    &info, err, sizeof err) == -1) {
		fprintf(stderr, "ward-collector: %s\n", err);
		store_close(st);
		return NULL;
	}
	eol_print_lines("end of life: ", warnings);
	if (!quiet)
		eol_print_lines("end of life: ", info);
	free(warnings);
	free(info);
	return st;
}

static int
eol_cmd_refresh(const struct collector_config *cfg)
{
	struct eol_refresh_result	 res;
	struct eol_rules		*rules = NULL;
	struct store			*st;
	char				 err[1024];
	int				 rc = WARD_EXIT_FAILURE;

	if ((st = eol_open(cfg, &rules, 0)) == NULL)
		return WARD_EXIT_FAILURE;
	if (http_global_init(err, sizeof err) == -1) {
		fprintf(stderr, "ward-collector: %s\n", err);
		goto done;
	}
	if (eol_refresh(store_db(st), cfg, rules, NULL, wtime_now_ms(), &res,
	    err, sizeof err) == -1)
		fprintf(stderr, "ward-collector: eol refresh: %s\n", err);
	else {
		eol_print_lines("eol refresh: ", res.report);
		free(res.report);
		if (res.failed + res.skipped == 0)
			rc = WARD_EXIT_OK;
	}
	http_global_cleanup();
done:
	eol_rules_free(rules);
	store_close(st);
	return rc;
}

static int
eol_cmd_import(const struct collector_config *cfg, const char *path)
{
	struct eol_hw_table	 t;
	struct eol_rules	*rules = NULL;
	struct store		*st;
	char			*text, err[4096];
	size_t			 len, rows;
	int			 rc = WARD_EXIT_FAILURE;

	/* Read as the user running the command, who may be able to read
	 * files the [daemon] user cannot; and checked before anything is
	 * opened, so a bad file changes nothing. */
	if ((text = eol_hw_read(path, &len, err, sizeof err)) == NULL) {
		fprintf(stderr, "ward-collector: eol import-hardware: %s\n",
		    err);
		return WARD_EXIT_FAILURE;
	}
	if (eol_hw_parse(path, text, len, &t, err, sizeof err) == -1) {
		eol_print_lines("", err);
		fprintf(stderr, "ward-collector: eol import-hardware: nothing "
		    "imported; the table is as it was\n");
		free(text);
		return WARD_EXIT_FAILURE;
	}
	eol_hw_clear(&t);
	if ((st = eol_open(cfg, &rules, 1)) == NULL)
		goto done;
	if (eol_hw_import(store_db(st), path, text, len, wtime_now_ms(),
	    &rows, err, sizeof err) == -1) {
		eol_print_lines("", err);
		fprintf(stderr, "ward-collector: eol import-hardware: nothing "
		    "imported; the table is as it was\n");
	} else {
		fprintf(stderr, "ward-collector: eol import-hardware: %zu rows "
		    "from %s; they replace the table\n", rows, path);
		rc = WARD_EXIT_OK;
	}
	store_close(st);
done:
	eol_rules_free(rules);
	free(text);
	return rc;
}

static int
eol_cmd_export(const struct collector_config *cfg, int csv, const char *at,
    int forecast)
{
	struct eol_estate	*e;
	struct eol_rules	*rules = NULL;
	struct store		*st;
	json_t			*o, *list;
	int64_t			 ms;
	char			 err[1024];
	size_t			 i;
	int			 rc = WARD_EXIT_FAILURE;

	ms = wtime_now_ms();
	if (at != NULL && wtime_parse_iso8601(at, &ms, err, sizeof err) == -1)
		return eol_usage("export: --at: %s", err);
	if ((st = eol_open(cfg, &rules, 1)) == NULL)
		return WARD_EXIT_FAILURE;
	if ((e = eol_estate_load(store_db(st), rules, 0, eol_day_of_ms(ms),
	    eol_horizon_days(cfg), err, sizeof err)) == NULL) {
		fprintf(stderr, "ward-collector: eol export: %s\n", err);
		goto done;
	}
	eol_estate_costs(e, &cfg->eol);
	if (forecast > 0 && csv)
		eol_forecast_csv(e, forecast, stdout);
	else if (forecast > 0) {
		o = eol_forecast_json(e, forecast);
		json_dumpf(o, stdout, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(o);
	} else if (csv)
		eol_export_csv(e, stdout);
	else {
		o = json_object();
		json_object_set_new(o, "at", json_string(eol_format_day(e->day,
		    err, sizeof err)));
		json_object_set_new(o, "horizon_days", json_integer(
		    e->horizon_days));
		json_object_set_new(o, "catalogue", json_incref(e->catalogue));
		list = json_array();
		for (i = 0; i < e->n; i++)
			json_array_append_new(list, eol_asset_json(e,
			    &e->assets[i]));
		json_object_set_new(o, "assets", list);
		json_dumpf(o, stdout, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(o);
	}
	if (fflush(stdout) == EOF || ferror(stdout))
		fprintf(stderr, "ward-collector: eol export: writing standard "
		    "output failed\n");
	else
		rc = WARD_EXIT_OK;
	eol_estate_free(e);
done:
	eol_rules_free(rules);
	store_close(st);
	return rc;
}

int
eol_command(const struct collector_config *cfg, int argc, char **argv)
{
	const char	*at = NULL, *q = NULL;
	char		*end;
	long		 quarters = 12;
	int		 i, csv = -1, forecast = 0;

	if (argc < 2)
		return eol_usage("%s", "expected refresh, import-hardware or "
		    "export");
	if (strcmp(argv[1], "refresh") == 0) {
		if (argc != 2)
			return eol_usage("refresh: unexpected \"%s\"", argv[2]);
		return eol_cmd_refresh(cfg);
	}
	if (strcmp(argv[1], "import-hardware") == 0) {
		if (argc != 3)
			return eol_usage("%s", "import-hardware: needs one "
			    "FILE");
		return eol_cmd_import(cfg, argv[2]);
	}
	if (strcmp(argv[1], "export") == 0) {
		for (i = 2; i < argc; i++) {
			if (strcmp(argv[i], "--csv") == 0)
				csv = 1;
			else if (strcmp(argv[i], "--json") == 0)
				csv = 0;
			else if (strcmp(argv[i], "--at") == 0 && i + 1 < argc)
				at = argv[++i];
			else if (strncmp(argv[i], "--at=", 5) == 0)
				at = argv[i] + 5;
			else if (strcmp(argv[i], "--forecast") == 0)
				forecast = 1;
			else if (strcmp(argv[i], "--quarters") == 0 &&
			    i + 1 < argc)
				q = argv[++i];
			else if (strncmp(argv[i], "--quarters=", 11) == 0)
				q = argv[i] + 11;
			else
				return eol_usage("export: unexpected \"%s\"",
				    argv[i]);
		}
		if (csv == -1)
			return eol_usage("%s", "export: --csv or --json");
		if (q != NULL) {
			if (!forecast)
				return eol_usage("%s", "export: --quarters "
				    "goes with --forecast");
			quarters = strtol(q, &end, 10);
			if (*q == '\0' || *end != '\0' || quarters < 1 ||
			    quarters > 40)
				return eol_usage("export: --quarters: \"%s\": "
				    "1 to 40", q);
		}
		return eol_cmd_export(cfg, csv, at, forecast ? (int)quarters :
		    0);
	}
	return eol_usage("unknown command \"%s\"; use refresh, "
	    "import-hardware or export", argv[1]);
}
