/* cli.c: the command line and start-up every ward program shares, so that
 * --help, --version, -c, -n, -f and -v behave the same everywhere. */
#include "config.h"

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cfg.h"
#include "common/cli.h"
#include "common/log.h"
#include "common/xmalloc.h"

#define OPT_CONFIG_REFERENCE	0x100
#define OPT_EXTRA_BASE		0x200

static const char *const log_levels[] = {
	"error", "warning", "info", "debug", NULL,
};

const struct cfg_option cli_log_options[] = {
	{ "level", CFG_ENUM, "info", 0, 0, log_levels, 0,
	  offsetof(struct cli_log_config, level),
	  "Least important messages to log: error, warning, info or debug. "
	  "Each -v on the command line raises it one step." },
	{ "syslog", CFG_BOOL, "no", 0, 0, NULL, 0,
	  offsetof(struct cli_log_config, syslog),
	  "Log to syslog (facility daemon) instead of standard error; "
	  "ignored with -f." },
	CFG_OPTIONS_END
};

const struct cfg_option cli_daemon_options[] = {
	{ "pidfile", CFG_PATH, NULL, 0, 0, NULL, 0,
	  offsetof(struct cli_daemon_config, pidfile),
	  "Write the process id here and lock it, so a second copy refuses "
	  "to start. Unset: no pidfile." },
	{ "user", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct cli_daemon_config, user),
	  "When started as root, switch to this user (and its groups) once "
	  "everything that needs root is done." },
	CFG_OPTIONS_END
};

static size_t
extra_count(const struct cli_program *p)
{
	size_t	 n = 0;

	if (p->extra != NULL)
		while (p->extra[n].long_name != NULL)
			n++;
	if (n > CLI_MAX_EXTRA)
		fatalx("%s: more than %d extra options", p->name,
		    CLI_MAX_EXTRA);
	return n;
}

static void
cli_usage_line(const struct cli_program *p, FILE *fp)
{
	fprintf(fp, "usage: %s [-%snv] [-c FILE]%s%s\n", p->name,
	    p->is_daemon ? "f" : "", p->operands ? " " : "",
	    p->operands ? p->operands : "");
}

static void
cli_help(const struct cli_program *p)
{
	const struct cli_option	*o;
	char			 left[64];

	cli_usage_line(p, stdout);
	printf("%s\n\nOptions:\n", p->summary);
	printf("  -c, --config FILE    configuration file (default %s)\n",
	    p->schema->default_path);
	printf("  -n, --check-config   check the configuration, print "
	    "\"configuration OK\" and exit\n");
	if (p->is_daemon)
		printf("  -f, --foreground     stay in the foreground and log "
		    "to standard error\n");
	printf("  -v, --verbose        log more (repeat for more)\n");
	for (o = p->extra; o != NULL && o->long_name != NULL; o++) {
		if (o->short_name != 0)
			snprintf(left, sizeof left, "-%c, --%s%s%s",
			    o->short_name, o->long_name, o->has_arg ? " " : "",
			    o->has_arg ? o->arg_name : "");
		else
			snprintf(left, sizeof left, "    --%s%s%s",
			    o->long_name, o->has_arg ? " " : "",
			    o->has_arg ? o->arg_name : "");
		printf("  %-20s %s\n", left, o->help);
	}
	printf("      --config-reference=man|markdown\n"
	    "                       print the configuration reference\n");
	printf("  -h, --help           show this help and exit\n");
	printf("  -V, --version        show the version and exit\n");
	if (p->commands_help != NULL)
		printf("\n%s", p->commands_help);
	printf("\nSee %s(%s) for the configuration file and exit codes.\n",
	    p->name, p->is_daemon ? "8" : "1");
}

int
cli_parse(const struct cli_program *p, int argc, char **argv,
    struct cli *cli, int *exit_now)
{
	struct option	 longopts[8 + CLI_MAX_EXTRA + 1];
	char		 shortopts[32 + 2 * CLI_MAX_EXTRA];
	size_t		 n = 0, nextra = extra_count(p), i;
	int		 ch;

	memset(cli, 0, sizeof *cli);
	*exit_now = 0;
	cli->config_path = p->schema->default_path;

	snprintf(shortopts, sizeof shortopts, "+c:hnVv%s",
	    p->is_daemon ? "f" : "");
	longopts[n++] = (struct option){ "config", required_argument, NULL, 'c' };
	longopts[n++] = (struct option){ "check-config", no_argument, NULL, 'n' };
	longopts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[n++] = (struct option){ "version", no_argument, NULL, 'V' };
	longopts[n++] = (struct option){ "verbose", no_argument, NULL, 'v' };
	longopts[n++] = (struct option){ "config-reference", required_argument,
	    NULL, OPT_CONFIG_REFERENCE };
	if (p->is_daemon)
		longopts[n++] = (struct option){ "foreground", no_argument,
		    NULL, 'f' };
	for (i = 0; i < nextra; i++) {
		const struct cli_option *o = &p->extra[i];
		longopts[n++] = (struct option){ o->long_name,
		    o->has_arg ? required_argument : no_argument, NULL,
		    (int)(OPT_EXTRA_BASE + i) };
		if (o->short_name != 0) {
			char	 s[3] = { (char)o->short_name, ':', '\0' };
			if (!o->has_arg)
				s[1] = '\0';
			strncat(shortopts, s, sizeof shortopts -
			    strlen(shortopts) - 1);
		}
	}
	longopts[n] = (struct option){ NULL, 0, NULL, 0 };

	/* 0, not 1: only that makes glibc forget a cluster left half-read by
	 * an earlier call ("-hv" returns at h). */
	optind = 0;
	opterr = 1;
	while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cli->config_path = optarg;
			cli->config_given = 1;
			break;
		case 'n':
			cli->check_config = 1;
			cfg_check_machine = 1;
			break;
		case 'f':
			cli->foreground = 1;
			break;
		case 'v':
			cli->verbose++;
			break;
		case 'h':
			cli_help(p);
			*exit_now = 1;
			return 0;
		case 'V':
			printf("%s (ward) %s\n", p->name, PACKAGE_VERSION);
			*exit_now = 1;
			return 0;
		case OPT_CONFIG_REFERENCE:
			if (strcmp(optarg, "man") == 0)
				cfg_reference(p->schema, CFG_REF_MAN, stdout);
			else if (strcmp(optarg, "markdown") == 0)
				cfg_reference(p->schema, CFG_REF_MARKDOWN,
				    stdout);
			else {
				fprintf(stderr, "%s: --config-reference takes "
				    "man or markdown\n", p->name);
				return -1;
			}
			*exit_now = 1;
			return 0;
		default:
			if (ch >= OPT_EXTRA_BASE &&
			    ch < OPT_EXTRA_BASE + (int)nextra) {
				i = (size_t)(ch - OPT_EXTRA_BASE);
				cli->extra_set[i] = 1;
				cli->extra_value[i] = optarg ? optarg : "";
				break;
			}
			for (i = 0; i < nextra; i++) {
				if (p->extra[i].short_name == ch) {
					cli->extra_set[i] = 1;
					cli->extra_value[i] = optarg ?
					    optarg : "";
					break;
				}
			}
			if (i < nextra)
				break;
			cli_usage_line(p, stderr);
			fprintf(stderr, "Try '%s --help' for more.\n", p->name);
			return -1;
		}
	}
	cli->argc = argc - optind;
	cli->argv = argv + optind;
	/* A program that takes none: "once" for "--once" is no option. */
	if (p->operands == NULL && cli->argc > 0) {
		fprintf(stderr, "%s: unexpected argument \"%s\"\n", p->name,
		    cli->argv[0]);
		cli_usage_line(p, stderr);
		fprintf(stderr, "Try '%s --help' for more.\n", p->name);
		return -1;
	}
	return 0;
}

const char *
cli_extra(const struct cli_program *p, const struct cli *cli,
    const char *long_name)
{
	size_t	 i, n = extra_count(p);

	for (i = 0; i < n; i++)
		if (strcmp(p->extra[i].long_name, long_name) == 0)
			return cli->extra_set[i] ? cli->extra_value[i] : NULL;
	fatalx("%s: no option --%s", p->name, long_name);
}

int
cli_load_config(const struct cli_program *p, const struct cli *cli,
    void *cfg)
{
	char	 err[1024];
	int	 rc;

	if (!cli->config_given && p->config_optional &&
	    (p->config_optional_for == NULL || (cli->argc > 0 &&
	    strcmp(cli->argv[0], p->config_optional_for) == 0)) &&
	    access(cli->config_path, F_OK) != 0)
		rc = cfg_defaults(p->schema, cfg, err, sizeof err);
	else
		rc = cfg_load(p->schema, cli->config_path, cfg, err,
		    sizeof err);
	if (rc == -1) {
		fprintf(stderr, "%s: %s\n", p->name, err);
		cfg_free(p->schema, cfg);
		return WARD_EXIT_FAILURE;
	}
	if (!cli->check_config)
		return -1;
	if (cli->verbose > 0)
		cfg_dump(p->schema, cfg, stdout);
	printf("configuration OK\n");
	cfg_free(p->schema, cfg);
	return WARD_EXIT_OK;
}

void
cli_log_start(const struct cli_program *p, const struct cli *cli,
    const struct cli_log_config *lc)
{
	int	 level = lc->level + cli->verbose;

	if (level > LOG_LEVEL_DEBUG)
		level = LOG_LEVEL_DEBUG;
	log_init(p->name, lc->syslog && !cli->foreground,
	    (enum log_level)level);
}

int
cli_start(const struct cli_program *p, int argc, char **argv,
    struct cli *cli, void *cfg)
{
	int	 exit_now, rc;

	if (cli_parse(p, argc, argv, cli, &exit_now) == -1)
		return WARD_EXIT_USAGE;
	if (exit_now)
		return WARD_EXIT_OK;
	if ((rc = cli_load_config(p, cli, cfg)) != -1)
		return rc;
	cli_log_start(p, cli, (const struct cli_log_config *)
	    ((const char *)cfg + p->log_offset));
	return -1;
}

int
cli_not_built(const struct cli_program *p, const char *what)
{
	log_error("%s is not built yet in ward %s (see %s(%s) for what is)",
	    what, PACKAGE_VERSION, p->name, p->is_daemon ? "8" : "1");
	return WARD_EXIT_UNAVAILABLE;
}
