/* tui_main.c: ward, the operations dashboard and helpdesk command line for
 * the ward collector: configuration, the connection, and which to run. */
#include "config.h"

#include <locale.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cfg.h"
#include "common/cli.h"
#include "common/http.h"
#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "tui/tui.h"

struct tui_collector {
	char	*url;
	char	*ca_file;
	char	*token;		/* the contents of token_file */
	int64_t	 timeout;	/* ms */
};

struct tui_dashboard {
	int64_t	 refresh;	/* ms */
};

struct tui_config {
	struct cli_log_config	 log;
	struct tui_collector	 collector;
	struct tui_dashboard	 dashboard;
};

static const struct cfg_option tui_collector_options[] = {
	{ "url", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct tui_collector, url),
	  "The collector's base URL, e.g. \"https://ward.btuh.test:8443\" "
	  "(https:// only). WARD_URL or --url overrides it." },
	{ "ca_file", CFG_PATH, NULL, 0, 0, NULL, 0,
	  offsetof(struct tui_collector, ca_file),
	  "The CA certificate(s) (PEM) the collector's certificate must "
	  "chain to; unset: the system's trust store. The certificate is "
	  "always verified, name included. WARD_CA_FILE or --ca-file "
	  "overrides it." },
	{ "token_file", CFG_SECRET, NULL, 0, 0, NULL, 0,
	  offsetof(struct tui_collector, token),
	  "A file holding an API token (role read; operate to acknowledge "
	  "alerts), from \"ward-collector token add\". It must be readable "
	  "by its owner only (mode 0600). WARD_TOKEN_FILE or --token-file "
	  "overrides it." },
	{ "timeout", CFG_DURATION, "10s", 1000, 300000, NULL, 0,
	  offsetof(struct tui_collector, timeout),
	  "Give up on a request after this long. The dashboard keeps "
	  "showing what it had and tries again at the next refresh." },
	CFG_OPTIONS_END
};

static const struct cfg_option tui_dashboard_options[] = {
	{ "refresh", CFG_DURATION, "5s", 1000, 3600000, NULL, 0,
	  offsetof(struct tui_dashboard, refresh),
	  "How often the dashboard asks the collector for fresh data "
	  "(-d SECONDS overrides it)." },
	CFG_OPTIONS_END
};

static const struct cfg_section tui_sections[] = {
	{ "log", cli_log_options, 0, offsetof(struct tui_config, log), 0,
	  "Logging." },
	{ "collector", tui_collector_options, 0,
	  offsetof(struct tui_config, collector), 0,
	  "The collector ward asks, and how it is trusted." },
	{ "dashboard", tui_dashboard_options, 0,
	  offsetof(struct tui_config, dashboard), 0,
	  "The interactive dashboard." },
	CFG_SECTIONS_END
};

static int
tui_validate(void *p, char *err, size_t errlen)
{
	struct tui_config	*cfg = p;

	if (cfg->collector.url != NULL &&
	    api_url_check(cfg->collector.url, err, errlen) == -1)
		return -1;
	return 0;
}

static const struct cfg_schema tui_schema = {
	"ward", WARD_SYSCONFDIR "/ward.conf", tui_sections, tui_validate,
};

static const struct cli_option tui_extra[] = {
	{ "url", 0, 1, "URL", "the collector (overrides WARD_URL and url)" },
	{ "ca-file", 0, 1, "FILE",
	  "CA certificate (overrides WARD_CA_FILE and ca_file)" },
	{ "token-file", 0, 1, "FILE",
	  "token file (overrides WARD_TOKEN_FILE and token_file)" },
	{ "delay", 'd', 1, "SECONDS", "dashboard: refresh every SECONDS" },
	{ "json", 0, 0, NULL, "commands: print the collector's JSON" },
	{ "csv", 0, 0, NULL, "list commands: print CSV" },
	{ "readonly", 0, 0, NULL,
	  "no actions: none in the dashboard, ack refused" },
	{ "mouse", 0, 0, NULL,
	  "dashboard: click tabs and rows, double-click opens, wheel scrolls" },
	CLI_OPTIONS_END
};

static struct cli_program tui_program = {
	.name = "ward",
	.summary = "ward: the operations dashboard and helpdesk command line for the ward collector.",
	.operands = "[COMMAND [ARGS]]",
	.schema = &tui_schema,
	.extra = tui_extra,
	.is_daemon = 0,
	.config_optional = 1,
	.log_offset = offsetof(struct tui_config, log),
};

/* Where the connection settings come from, strongest first: the command
 * line, the environment, the configuration file. */
static const char *
tui_setting(const struct cli *cli, const char *option, const char *env,
    const char *from_file, const char **source)
{
	const char	*v;

	if ((v = cli_extra(&tui_program, cli, option)) != NULL) {
		*source = option;
		return v;
	}
	if ((v = getenv(env)) != NULL && *v != '\0') {
		*source = env;
		return v;
	}
	*source = "the configuration";
	return from_file;
}

/* The API options from the configuration, WARD_* and the command line;
 * -1 after saying what is missing or wrong. token is the caller's. */
static int
tui_connection(const struct cli *cli, struct tui_config *cfg,
    struct api_options *o, char **token)
{
	const char	*src, *path;
	char		 err[1024];

	memset(o, 0, sizeof *o);
	*token = NULL;
	o->url = tui_setting(cli, "url", "WARD_URL", cfg->collector.url, &src);
	if (o->url == NULL) {
		fprintf(stderr, "ward: no collector URL: set url in "
		    "[collector] of %s, or WARD_URL, or --url\n",
		    cli->config_path);
		return -1;
	}
	if (api_url_check(o->url, err, sizeof err) == -1) {
		fprintf(stderr, "ward: %s: %s\n", src, err);
		return -1;
	}
	o->ca_file = tui_setting(cli, "ca-file", "WARD_CA_FILE",
	    cfg->collector.ca_file, &src);
	if ((path = tui_setting(cli, "token-file", "WARD_TOKEN_FILE", NULL,
	    &src)) != NULL) {
		if ((*token = cfg_read_secret(path, err, sizeof err)) == NULL) {
			fprintf(stderr, "ward: %s: %s\n", src, err);
			return -1;
		}
	} else if (cfg->collector.token != NULL)
		*token = xstrdup(cfg->collector.token);
	if (*token == NULL || **token == '\0') {
		fprintf(stderr, "ward: no token: set token_file in [collector] "
		    "of %s, or WARD_TOKEN_FILE, or --token-file\n",
		    cli->config_path);
		xfree_secret(*token);
		*token = NULL;
		return -1;
	}
	o->token = *token;
	o->timeout_ms = cfg->collector.timeout;
	return 0;
}

static int
tui_command(const struct cli *cli, struct tui_config *cfg)
{
	const struct cmd_entry	*e;
	struct cmd_args		 args;
	struct api_options	 o;
	struct cmd_ctx		 c;
	char			*token = NULL, *vis, err[1024];
	int			 rc;

	if ((e = cmd_find(cli->argv[0])) == NULL) {
		vis = fmt_vis(cli->argv[0]);
		fprintf(stderr, "ward: no command \"%s\"; try 'ward --help'\n",
		    vis);
		free(vis);
		return WARD_EXIT_USAGE;
	}
	if ((rc = cmd_parse(e, cli->argc, cli->argv, &args)) != 0)
		return rc == 1 ? WARD_EXIT_OK : WARD_EXIT_USAGE;
	memset(&c, 0, sizeof c);
	if (cli_extra(&tui_program, cli, "csv") != NULL && !e->csv) {
		fprintf(stderr, "ward %s: --csv is for lists; --json gives "
		    "this one whole\n", e->name);
		rc = WARD_EXIT_USAGE;
		goto done;
	}
	if ((args.json || cli_extra(&tui_program, cli, "json") != NULL) &&
	    (args.csv || cli_extra(&tui_program, cli, "csv") != NULL)) {
		fprintf(stderr, "ward %s: --json and --csv: choose one\n",
		    e->name);
		rc = WARD_EXIT_USAGE;
		goto done;
	}
	if (tui_connection(cli, cfg, &o, &token) == -1) {
		rc = WARD_EXIT_FAILURE;
		goto done;
	}
	/* A person waits for an answer; one retry covers a blip. */
	o.max_attempts = strcmp(e->name, "ack") == 0 ? 1 : 2;
	if ((c.api = api_new(&o, err, sizeof err)) == NULL) {
		vis = fmt_vis(err);
		fprintf(stderr, "ward: %s\n", vis);
		free(vis);
		rc = WARD_EXIT_FAILURE;
		goto done;
	}
	c.out = stdout;
	c.json = args.json || cli_extra(&tui_program, cli, "json") != NULL;
	c.csv = args.csv || cli_extra(&tui_program, cli, "csv") != NULL;
	c.readonly = cli_extra(&tui_program, cli, "readonly") != NULL;
	c.tty = isatty(STDOUT_FILENO);
	c.colour = c.tty && getenv("NO_COLOR") == NULL;
	c.width = fmt_term_width();
	c.now_ms = wtime_now_ms();
	rc = e->exec(&c, &args);
	if (fflush(stdout) == EOF && rc == WARD_EXIT_OK) {
		fprintf(stderr, "ward: cannot write to standard output\n");
		rc = WARD_EXIT_FAILURE;
	}
done:
	api_free(c.api);
	xfree_secret(token);
	free(args.argv);
	return rc;
}

static int
tui_dashboard(const struct cli *cli, struct tui_config *cfg,
    int *left_running)
{
	struct api_options	 o;
	struct dash_options	 d;
	const char		*delay;
	char			*token = NULL, err[128];
	int64_t			 secs;
	int			 rc;

	if (cli->argc > 1) {
		fprintf(stderr, "ward dash: takes no operands\n");
		return WARD_EXIT_USAGE;
	}
	memset(&d, 0, sizeof d);
	d.refresh_ms = cfg->dashboard.refresh;
	d.readonly = cli_extra(&tui_program, cli, "readonly") != NULL;
	d.mouse = cli_extra(&tui_program, cli, "mouse") != NULL;
	if ((delay = cli_extra(&tui_program, cli, "delay")) != NULL) {
		if (str_parse_int64(delay, 1, 3600, &secs, err,
		    sizeof err) == -1) {
			fprintf(stderr, "ward: -d: %s (seconds, 1-3600)\n",
			    err);
			return WARD_EXIT_USAGE;
		}
		d.refresh_ms = secs * 1000;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "ward: the dashboard needs a terminal; for "
		    "scripts, use a command (ward --help lists them)\n");
		return WARD_EXIT_USAGE;
	}
	if (tui_connection(cli, cfg, &o, &token) == -1)
		return WARD_EXIT_FAILURE;
	/* The dashboard's refresh is its retry. */
	o.max_attempts = 1;
	d.api = &o;
	rc = dash_main(&d);
	*left_running = d.left_running;
	xfree_secret(token);
	return rc;
}

int
main(int argc, char **argv)
{
	struct tui_config	 cfg;
	struct cli		 cli;
	char			 err[256];
	int			 rc, left_running = 0;

	setlocale(LC_ALL, "");
	fmt_init();
	tui_program.commands_help = cmd_help();
	memset(&cfg, 0, sizeof cfg);
	if ((rc = cli_start(&tui_program, argc, argv, &cli, &cfg)) != -1)
		return rc;
	if (http_global_init(err, sizeof err) == -1) {
		fprintf(stderr, "ward: %s\n", err);
		cfg_free(&tui_schema, &cfg);
		return WARD_EXIT_FAILURE;
	}
	if (cli.argc == 0 || strcmp(cli.argv[0], "dash") == 0)
		rc = tui_dashboard(&cli, &cfg, &left_running);
	else
		rc = tui_command(&cli, &cfg);
	/* Not under a request still in flight on another thread. */
	if (!left_running)
		http_global_cleanup();
	cfg_free(&tui_schema, &cfg);
	return rc;
}
