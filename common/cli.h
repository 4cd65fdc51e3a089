/* cli.h: the command line every ward program shares (--help, --version,
 * -c FILE, -n, -f, -v), config loading with -n, and the [log] and [daemon]
 * sections every daemon's config has. */
#ifndef WARD_CLI_H
#define WARD_CLI_H

#include <stddef.h>

#include "common/cfg.h"

/* Exit codes, documented in every man page. */
#define WARD_EXIT_OK		0
#define WARD_EXIT_FAILURE	1	/* runtime failure or bad config */
#define WARD_EXIT_USAGE		2	/* bad command line */
#define WARD_EXIT_UNAVAILABLE	69	/* asked for something not built yet */

/* A program-specific option (long form; short optional). */
struct cli_option {
	const char	*long_name;	/* "once" */
	int		 short_name;	/* 0 if none */
	int		 has_arg;	/* 0 or 1 */
	const char	*arg_name;	/* "FILE", for --help */
	const char	*help;
};
#define CLI_OPTIONS_END { NULL, 0, 0, NULL, NULL }
#define CLI_MAX_EXTRA	16

struct cli_program {
	const char		*name;		/* "ward-agent" */
	const char		*summary;	/* one line, for --help */
	const char		*operands;	/* "[COMMAND ...]" or NULL */
	const struct cfg_schema	*schema;
	const struct cli_option	*extra;		/* NULL-terminated or NULL */
	int			 is_daemon;	/* accepts -f */
	int			 config_optional;	/* missing default file = defaults */
	const char		*commands_help;	/* extra --help text or NULL */
	size_t			 log_offset;	/* of struct cli_log_config in cfg */
	/* With config_optional: only for this command (ward-netpoll's
	 * probe); NULL: for every use. */
	const char		*config_optional_for;
};

struct cli {
	const char	*config_path;	/* -c, else the schema default */
	int		 config_given;	/* -c was used */
	int		 check_config;	/* -n */
	int		 foreground;	/* -f */
	int		 verbose;	/* count of -v */
	const char	*extra_value[CLI_MAX_EXTRA];	/* by index in extra[] */
	int		 extra_set[CLI_MAX_EXTRA];
	int		 argc;		/* operands after the options */
	char		**argv;
};

/*
 * Parses argv. Handles --help and --version (prints, returns 0 with
 * *exit_now set) and --config-reference=man|markdown. On a usage error
 * prints it with a hint and returns -1 (exit WARD_EXIT_USAGE).
 */
int	 cli_parse(const struct cli_program *p, int argc, char **argv,
	    struct cli *cli, int *exit_now);
/* Looks up an extra option by long name: its value (or "" for a flag)
 * when given, else NULL. */
const char *cli_extra(const struct cli_program *p, const struct cli *cli,
	    const char *long_name);

/*
 * Loads the configuration. With -n prints "configuration OK" or the error
 * and returns the exit code to use. Without -n returns -1 when loaded (go
 * on) or WARD_EXIT_FAILURE after printing the error to stderr.
 */
int	 cli_load_config(const struct cli_program *p, const struct cli *cli,
	    void *cfg);

/*
 * The start every program shares: cli_parse, cli_load_config, then
 * cli_log_start with the [log] section at p->log_offset. Returns -1 to go
 * on, or the exit code to leave with (help, version, -n, errors).
 */
int	 cli_start(const struct cli_program *p, int argc, char **argv,
	    struct cli *cli, void *cfg);

/* Says plainly that what the program is for is not built yet in this
 * version; returns WARD_EXIT_UNAVAILABLE. */
int	 cli_not_built(const struct cli_program *p, const char *what);

/* [log] */
struct cli_log_config {
	int	 level;		/* enum log_level */
	int	 syslog;
};
extern const struct cfg_option cli_log_options[];
/* Starts logging per the config, raised by -v; stderr when -f or not a
 * daemon unless syslog is set. */
void	 cli_log_start(const struct cli_program *p, const struct cli *cli,
	    const struct cli_log_config *lc);

/* [daemon] */
struct cli_daemon_config {
	char	*pidfile;
	char	*user;
};
extern const struct cfg_option cli_daemon_options[];

#endif
