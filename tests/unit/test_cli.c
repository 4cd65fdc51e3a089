/* test_cli.c: the shared command line (-c, -n, -f, -v, extras, --help,
 * --version, --config-reference), config loading with -n, and the log level
 * cli_start sets. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cfg.h"
#include "common/cli.h"
#include "common/log.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "tests/unit/testutil.h"

#define MISSING_DEFAULT	"/nonexistent/ward-test.conf"

struct test_cfg {
	struct cli_log_config	 log;
	struct cli_daemon_config daemon;
};

static const struct cfg_section test_sections[] = {
	{ "log", cli_log_options, 0, offsetof(struct test_cfg, log), 0,
	  "Logging." },
	{ "daemon", cli_daemon_options, 0, offsetof(struct test_cfg, daemon),
	  0, NULL },
	CFG_SECTIONS_END
};

static const struct cfg_schema test_schema = {
	"ward-test", MISSING_DEFAULT, test_sections, NULL
};

static const struct cli_option test_extra[] = {
	{ "once", 0, 0, NULL, "run one round and exit" },
	{ "print", 'p', 1, "FILE", "print FILE and exit" },
	CLI_OPTIONS_END
};

static const struct cli_program daemon_prog = {
	"ward-test", "Test daemon.", "[COMMAND ...]", &test_schema, test_extra,
	1, 0, NULL, offsetof(struct test_cfg, log)
};

static const struct cli_program tool_prog = {
	"ward-tool", "Test tool.", "[COMMAND]", &test_schema, test_extra, 0,
	1, "Commands:\n  foo  do foo\n", offsetof(struct test_cfg, log)
};

/* A daemon whose file is optional for its probe command only. */
static const struct cli_program probe_prog = {
	"ward-probe", "Test daemon with a probe.", "[probe URI]",
	&test_schema, test_extra, 1, 1, NULL, offsetof(struct test_cfg, log),
	"probe"
};

/* One that takes no operand at all. */
static const struct cli_program bare_prog = {
	"ward-bare", "Test daemon without commands.", NULL, &test_schema,
	test_extra, 1, 1, NULL, offsetof(struct test_cfg, log)
};

/* cli_parse keeps pointers into argv, so it lives until the next parse. */
static char	*test_argv[32];

static int
parse(const struct cli_program *p, struct cli *cli, int *exit_now, ...)
{
	va_list		 ap;
	const char	*a;
	int		 argc = 0;

	test_argv[argc++] = (char *)p->name;
	va_start(ap, exit_now);
	while ((a = va_arg(ap, const char *)) != NULL)
		test_argv[argc++] = (char *)a;
	va_end(ap);
	test_argv[argc] = NULL;
	return cli_parse(p, argc, test_argv, cli, exit_now);
}

/* Sends fd 1 or 2 to a file until capture_end, which returns what was
 * written (the caller frees it). */
struct capture {
	int	 fd;
	int	 saved;
	char	*path;
};

static void
capture_begin(struct capture *c, int fd)
{
	int	 f;

	fflush(NULL);
	c->fd = fd;
	c->path = tu_path(tu_tmpdir(), fd == 1 ? "stdout" : "stderr");
	f = open(c->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(f != -1);
	c->saved = dup(fd);
	assert_true(c->saved != -1);
	assert_true(dup2(f, fd) != -1);
	close(f);
}

static char *
capture_end(struct capture *c)
{
	char	*s;

	fflush(NULL);
	dup2(c->saved, c->fd);
	close(c->saved);
	s = tu_read_file(c->path);
	unlink(c->path);
	free(c->path);
	return s != NULL ? s : xstrdup("");
}

static int
setup(void **state)
{
	(void)state;
	log_init("test_cli", 0, LOG_LEVEL_INFO);
	return 0;
}

static void
test_cli_parse_defaults(void **state)
{
	struct cli	 cli;
	int		 exit_now = 7;

	(void)state;
	assert_int_equal(parse(&daemon_prog, &cli, &exit_now, NULL), 0);
	assert_int_equal(exit_now, 0);
	assert_string_equal(cli.config_path, MISSING_DEFAULT);
	assert_int_equal(cli.config_given, 0);
	assert_int_equal(cli.check_config, 0);
	assert_int_equal(cli.foreground, 0);
	assert_int_equal(cli.verbose, 0);
	assert_int_equal(cli.argc, 0);
	assert_null(cli.argv[0]);
	assert_int_equal(cli.extra_set[0], 0);
	assert_int_equal(cli.extra_set[1], 0);
	assert_null(cli_extra(&daemon_prog, &cli, "once"));
	assert_null(cli_extra(&daemon_prog, &cli, "print"));
}

static void
test_cli_parse_common(void **state)
{
	struct cli	 cli;
	int		 exit_now;

	(void)state;
	assert_int_equal(parse(&daemon_prog, &cli, &exit_now, "-c",
	    "/etc/x.conf", "-n", "-f", "-vvv", NULL), 0);
	assert_int_equal(exit_now, 0);
	assert_string_equal(cli.config_path, "/etc/x.conf");
	assert_int_equal(cli.config_given, 1);
	assert_int_equal(cli.check_config, 1);
	assert_int_equal(cli.foreground, 1);
	assert_int_equal(cli.verbose, 3);
	assert_int_equal(cli.argc, 0);

	assert_int_equal(parse(&daemon_prog, &cli, &exit_now,
	    "--config=/y.conf", "--check-config", "--foreground", "--verbose",
	    "-v", NULL), 0);
	assert_string_equal(cli.config_path, "/y.conf");
	assert_int_equal(cli.config_given, 1);
	assert_int_equal(cli.check_config, 1);
	assert_int_equal(cli.foreground, 1);
	assert_int_equal(cli.verbose, 2);

	assert_int_equal(parse(&daemon_prog, &cli, &exit_now, "--config",
	    "/z.conf", "-cw.conf", NULL), 0);
	assert_string_equal(cli.config_path, "w.conf");

	/* Everything is reset between parses. */
	assert_int_equal(parse(&daemon_prog, &cli, &exit_now, "-v", NULL), 0);
	assert_string_equal(cli.config_path, MISSING_DEFAULT);
	assert_int_equal(cli.config_given, 0);
	assert_int_equal(cli.check_config, 0);
	assert_int_equal(cli.foreground, 0);
	assert_int_equal(cli.verbose, 1);
}

static void
test_cli_parse_extras(void **state)
{
	struct cli	 cli;
	int		 exit_now;

	(void)state;
	assert_int_equal(parse(&daemon_prog, &cli, &exit_now, "--once", "-p",
	    "out.txt", "-v", "status", "host1", NULL), 0);
	assert_int_equal(cli.extra_set[0], 1);
	assert_string_equal(cli.extra_value[0], "");
	assert_int_equal(cli.extra_set[1], 1);
	assert_string_equal(cli.extra_value[1], "out.txt");
	assert_string_equal(cli_extra(&daemon_prog, &cli, "once"), "");
	assert_string_equal(cli_extra(&daemon_prog, &cli, "print"), "out.txt");
	assert_int_equal(cli.verbose, 1);
	assert_int_equal(cli.argc, 2);
	assert_string_equal(cli.argv[0], "status");
	assert_string_equal(cli.argv[1], "host1");

	assert_int_equal(parse(&daemon_prog, &cli, &exit_now, "--print=f2",
	    NULL), 0);
	assert_string_equal(cli_extra(&daemon_prog, &cli, "print"), "f2");
	assert_null(cli_extra(&daemon_prog, &cli, "once"));
	assert_int_equal(parse(&daemon_prog, &cli, &exit_now, "-pf3", NULL),
	    0);
	assert_string_equal(cli_extra(&daemon_prog, &cli, "print"), "f3");
	assert_int_equal(parse(&daemon_prog, &cli, &exit_now, "--print",
	    "f4", NULL), 0);
	assert_string_equal(cli_extra(&daemon_prog, &cli, "print"), "f4");
	/* Clustered with the common ones. */
	assert_int_equal(parse(&daemon_prog, &cli, &exit_now, "-vnp", "f5",
	    NULL), 0);
	assert_string_equal(cli_extra(&daemon_prog, &cli, "print"), "f5");
	assert_int_equal(cli.verbose, 1);
	assert_int_equal(cli.check_config, 1);
}

static void
test_cli_parse_operands(void **state)
{
	struct cli	 cli;
	int		 exit_now;

	(void)state;
	/* Options end at the first operand: "-v" after a command is its. */
	assert_int_equal(parse(&tool_prog, &cli, &exit_now, "-v", "status",
	    "-v", "--once", NULL), 0);
	assert_int_equal(cli.verbose, 1);
	assert_int_equal(cli.extra_set[0], 0);
	assert_int_equal(cli.argc, 3);
	assert_string_equal(cli.argv[0], "status");
	assert_string_equal(cli.argv[1], "-v");
	assert_string_equal(cli.argv[2], "--once");
	assert_null(cli.argv[3]);

	assert_int_equal(parse(&tool_prog, &cli, &exit_now, "--", "-v", NULL),
	    0);
	assert_int_equal(cli.verbose, 0);
	assert_int_equal(cli.argc, 1);
	assert_string_equal(cli.argv[0], "-v");
}

/* Parses expecting a usage error; returns what went to stderr. */
static char *
parse_fails(const struct cli_program *p, ...)
{
	struct capture	 cap;
	struct cli	 cli;
	va_list		 ap;
	const char	*a;
	int		 argc = 0, rc, exit_now = 7;
	char		*err;

	test_argv[argc++] = (char *)p->name;
	va_start(ap, p);
	while ((a = va_arg(ap, const char *)) != NULL)
		test_argv[argc++] = (char *)a;
	va_end(ap);
	test_argv[argc] = NULL;
	capture_begin(&cap, 2);
	rc = cli_parse(p, argc, test_argv, &cli, &exit_now);
	err = capture_end(&cap);
	assert_int_equal(rc, -1);
	assert_int_equal(exit_now, 0);
	return err;
}

static void
test_cli_foreground_daemon_only(void **state)
{
	struct cli	 cli;
	int		 exit_now;
	char		*err;

	(void)state;
	assert_int_equal(parse(&daemon_prog, &cli, &exit_now, "-f", NULL), 0);
	assert_int_equal(cli.foreground, 1);

	/* A program that takes no operand refuses one ("once" for
	 * "--once"). */
	err = parse_fails(&bare_prog, "-n", "once", NULL);
	assert_contains(err, "ward-bare: unexpected argument \"once\"");
	free(err);
	assert_int_equal(parse(&bare_prog, &cli, &exit_now, "-n", NULL), 0);

	err = parse_fails(&tool_prog, "-f", NULL);
	assert_contains(err, "usage: ward-tool [-nv] [-c FILE] [COMMAND]\n");
	assert_contains(err, "Try 'ward-tool --help' for more.");
	free(err);
	err = parse_fails(&tool_prog, "--foreground", NULL);
	assert_contains(err, "usage: ward-tool [-nv] [-c FILE] [COMMAND]\n");
	free(err);
	err = parse_fails(&tool_prog, "-vf", NULL);
	assert_contains(err, "usage: ward-tool");
	free(err);
}

static void
test_cli_usage_errors(void **state)
{
	char	*err;

	(void)state;
	err = parse_fails(&daemon_prog, "-x", NULL);
	assert_contains(err, "'x'");
	assert_contains(err, "usage: ward-test [-fnv] [-c FILE] "
	    "[COMMAND ...]\n");
	assert_contains(err, "Try 'ward-test --help' for more.\n");
	free(err);
	err = parse_fails(&daemon_prog, "--bogus", NULL);
	assert_contains(err, "--bogus");
	assert_contains(err, "usage: ward-test");
	free(err);
	err = parse_fails(&daemon_prog, "-c", NULL);
	assert_contains(err, "usage: ward-test");
	free(err);
	err = parse_fails(&daemon_prog, "--print", NULL);
	assert_contains(err, "usage: ward-test");
	free(err);
	err = parse_fails(&daemon_prog, "-p", NULL);
	assert_contains(err, "usage: ward-test");
	free(err);
	err = parse_fails(&daemon_prog, "--once=yes", NULL);
	assert_contains(err, "usage: ward-test");
	free(err);
	err = parse_fails(&daemon_prog, "-v", "-q", "status", NULL);
	assert_contains(err, "'q'");
	free(err);
	err = parse_fails(&daemon_prog, "--config-reference", NULL);
	assert_contains(err, "usage: ward-test");
	free(err);
}

static void
test_cli_help(void **state)
{
	struct capture	 cap;
	struct cli	 cli;
	int		 exit_now = 0, rc;
	char		*out;

	(void)state;
	capture_begin(&cap, 1);
	rc = parse(&daemon_prog, &cli, &exit_now, "--help", NULL);
	out = capture_end(&cap);
	assert_int_equal(rc, 0);
	assert_int_equal(exit_now, 1);
	assert_true(str_has_prefix(out, "usage: ward-test [-fnv] [-c FILE] "
	    "[COMMAND ...]\nTest daemon.\n"));
	assert_contains(out, "-c, --config FILE");
	assert_contains(out, "(default " MISSING_DEFAULT ")");
	assert_contains(out, "-n, --check-config");
	assert_contains(out, "-f, --foreground");
	assert_contains(out, "-v, --verbose");
	assert_contains(out, "    --once ");
	assert_contains(out, "run one round and exit");
	assert_contains(out, "-p, --print FILE");
	assert_contains(out, "print FILE and exit");
	assert_contains(out, "--config-reference=man|markdown");
	assert_contains(out, "-h, --help");
	assert_contains(out, "-V, --version");
	assert_contains(out, "ward-test(8)");
	free(out);

	capture_begin(&cap, 1);
	rc = parse(&tool_prog, &cli, &exit_now, "-v", "-h", "ignored", NULL);
	out = capture_end(&cap);
	assert_int_equal(rc, 0);
	assert_int_equal(exit_now, 1);
	assert_true(str_has_prefix(out, "usage: ward-tool [-nv] [-c FILE] [COMMAND]\n"));
	assert_not_contains(out, "--foreground");
	assert_contains(out, "\nCommands:\n  foo  do foo\n");
	assert_contains(out, "ward-tool(1)");
	free(out);
}

static void
test_cli_version(void **state)
{
	struct capture	 cap;
	struct cli	 cli;
	int		 exit_now = 0, rc;
	char		*out;

	(void)state;
	capture_begin(&cap, 1);
	rc = parse(&daemon_prog, &cli, &exit_now, "--version", NULL);
	out = capture_end(&cap);
	assert_int_equal(rc, 0);
	assert_int_equal(exit_now, 1);
	assert_string_equal(out, "ward-test (ward) " PACKAGE_VERSION "\n");
	free(out);

	exit_now = 0;
	capture_begin(&cap, 1);
	rc = parse(&tool_prog, &cli, &exit_now, "-V", NULL);
	out = capture_end(&cap);
	assert_int_equal(rc, 0);
	assert_int_equal(exit_now, 1);
	assert_string_equal(out, "ward-tool (ward) " PACKAGE_VERSION "\n");
	free(out);
}

static void
test_cli_config_reference(void **state)
{
	struct capture	 cap;
	struct cli	 cli;
	int		 exit_now = 0, rc;
	char		*out;

	(void)state;
	capture_begin(&cap, 1);
	rc = parse(&daemon_prog, &cli, &exit_now, "--config-reference=man",
	    NULL);
	out = capture_end(&cap);
	assert_int_equal(rc, 0);
	assert_int_equal(exit_now, 1);
	assert_contains(out, ".SS \"[log]\"");
	assert_contains(out, ".SS \"[daemon]\"");
	assert_contains(out, "\\fBlevel\\fR");
	assert_contains(out, "\\fBpidfile\\fR");
	assert_not_contains(out, "### ");
	free(out);

	exit_now = 0;
	capture_begin(&cap, 1);
	rc = parse(&daemon_prog, &cli, &exit_now, "--config-reference",
	    "markdown", NULL);
	out = capture_end(&cap);
	assert_int_equal(rc, 0);
	assert_int_equal(exit_now, 1);
	assert_contains(out, "### [log]");
	assert_contains(out, "### [daemon]");
	assert_contains(out, "| `level` |");
	assert_contains(out, "| `user` |");
	assert_not_contains(out, ".SS");
	free(out);

	out = parse_fails(&daemon_prog, "--config-reference=bogus", NULL);
	assert_contains(out, "ward-test: --config-reference takes man or "
	    "markdown");
	free(out);
}

static void
test_cli_parse_fresh_each_time(void **state)
{
	struct capture	 cap;
	struct cli	 cli;
	int		 exit_now, rc;
	char		*out;

	(void)state;
	/* --help in the middle of a cluster returns early; the rest of that
	 * cluster must not leak into the next parse. */
	capture_begin(&cap, 1);
	rc = parse(&daemon_prog, &cli, &exit_now, "-hv", NULL);
	out = capture_end(&cap);
	free(out);
	assert_int_equal(rc, 0);
	assert_int_equal(exit_now, 1);
	assert_int_equal(parse(&daemon_prog, &cli, &exit_now, "-n", NULL), 0);
	assert_int_equal(exit_now, 0);
	assert_int_equal(cli.verbose, 0);
	assert_int_equal(cli.check_config, 1);

	capture_begin(&cap, 1);
	rc = parse(&daemon_prog, &cli, &exit_now, "-Vfff", NULL);
	out = capture_end(&cap);
	free(out);
	assert_int_equal(parse(&daemon_prog, &cli, &exit_now, "-c", "a.conf",
	    NULL), 0);
	assert_int_equal(cli.foreground, 0);
	assert_string_equal(cli.config_path, "a.conf");
}

/* Loads with argv; returns cli_load_config's result and what it printed. */
static int
load(const struct cli_program *p, struct test_cfg *cfg, char **out,
    char **err, ...)
{
	struct capture	 cap_out, cap_err;
	struct cli	 cli;
	va_list		 ap;
	const char	*a;
	int		 argc = 0, exit_now, rc;

	test_argv[argc++] = (char *)p->name;
	va_start(ap, err);
	while ((a = va_arg(ap, const char *)) != NULL)
		test_argv[argc++] = (char *)a;
	va_end(ap);
	test_argv[argc] = NULL;
	assert_int_equal(cli_parse(p, argc, test_argv, &cli, &exit_now), 0);
	assert_int_equal(exit_now, 0);
	memset(cfg, 0, sizeof *cfg);
	capture_begin(&cap_out, 1);
	capture_begin(&cap_err, 2);
	rc = cli_load_config(p, &cli, cfg);
	*err = capture_end(&cap_err);
	*out = capture_end(&cap_out);
	return rc;
}

static void
assert_cfg_empty(const struct test_cfg *cfg)
{
	assert_null(cfg->daemon.pidfile);
	assert_null(cfg->daemon.user);
}

static void
test_cli_load_check_ok(void **state)
{
	struct test_cfg	 cfg;
	char		*path, *out, *err;

	(void)state;
	path = tu_write_file(tu_tmpdir(), "good.conf",
	    "[log]\nlevel = debug\n\n[daemon]\nuser = ward\n", 0644);
	assert_int_equal(load(&daemon_prog, &cfg, &out, &err, "-n", "-c",
	    path, NULL), WARD_EXIT_OK);
	assert_string_equal(out, "configuration OK\n");
	assert_string_equal(err, "");
	/* -n is the end of the run: the config was freed. */
	assert_cfg_empty(&cfg);
	free(out);
	free(err);

	/* -n -v shows the effective configuration first. */
	assert_int_equal(load(&daemon_prog, &cfg, &out, &err, "-nv", "-c",
	    path, NULL), WARD_EXIT_OK);
	assert_contains(out, "[log]\n");
	assert_contains(out, "level = debug\n");
	assert_contains(out, "user = ward\n");
	assert_true(str_has_suffix(out, "configuration OK\n"));
	assert_string_equal(err, "");
	free(out);
	free(err);

	/* Without -n: loaded, nothing printed, the caller goes on. */
	assert_int_equal(load(&daemon_prog, &cfg, &out, &err, "-c", path,
	    NULL), -1);
	assert_string_equal(out, "");
	assert_string_equal(err, "");
	assert_int_equal(cfg.log.level, LOG_LEVEL_DEBUG);
	assert_int_equal(cfg.log.syslog, 0);
	assert_string_equal(cfg.daemon.user, "ward");
	assert_null(cfg.daemon.pidfile);
	cfg_free(&test_schema, &cfg);
	free(out);
	free(err);
	free(path);
}

static void
test_cli_load_bad_file(void **state)
{
	struct test_cfg	 cfg;
	char		*path, *want, *out, *err;

	(void)state;
	path = tu_write_file(tu_tmpdir(), "bad.conf",
	    "[log]\nlevel = loud\n", 0644);
	xasprintf(&want, "ward-test: %s:2: [log] level: ", path);
	assert_int_equal(load(&daemon_prog, &cfg, &out, &err, "-n", "-c",
	    path, NULL), WARD_EXIT_FAILURE);
	assert_contains(err, want);
	assert_contains(err, "loud");
	assert_not_contains(out, "configuration OK");
	assert_cfg_empty(&cfg);
	free(out);
	free(err);

	assert_int_equal(load(&daemon_prog, &cfg, &out, &err, "-c", path,
	    NULL), WARD_EXIT_FAILURE);
	assert_contains(err, want);
	assert_string_equal(out, "");
	assert_cfg_empty(&cfg);
	free(out);
	free(err);
	free(want);
	free(path);

	path = tu_write_file(tu_tmpdir(), "unknown.conf",
	    "[daemon]\nuser = ward\nfoo = 1\n", 0644);
	xasprintf(&want, "ward-test: %s:3: [daemon] foo: unknown key", path);
	assert_int_equal(load(&daemon_prog, &cfg, &out, &err, "-n", "-c",
	    path, NULL), WARD_EXIT_FAILURE);
	assert_contains(err, want);
	assert_cfg_empty(&cfg);
	free(out);
	free(err);
	free(want);
	free(path);
}

static void
test_cli_load_missing(void **state)
{
	struct test_cfg	 cfg;
	char		*path, *out, *err;

	(void)state;
	/* Optional default file missing: defaults, no error. */
	assert_int_equal(load(&tool_prog, &cfg, &out, &err, NULL), -1);
	assert_string_equal(err, "");
	assert_int_equal(cfg.log.level, LOG_LEVEL_INFO);
	assert_int_equal(cfg.log.syslog, 0);
	assert_cfg_empty(&cfg);
	cfg_free(&test_schema, &cfg);
	free(out);
	free(err);

	assert_int_equal(load(&tool_prog, &cfg, &out, &err, "-n", NULL),
	    WARD_EXIT_OK);
	assert_string_equal(out, "configuration OK\n");
	free(out);
	free(err);

	/* But a file named with -c must exist, even for that program. */
	path = tu_path(tu_tmpdir(), "absent.conf");
	assert_int_equal(load(&tool_prog, &cfg, &out, &err, "-c", path,
	    NULL), WARD_EXIT_FAILURE);
	assert_contains(err, "ward-tool: ");
	assert_contains(err, path);
	assert_contains(err, "No such file or directory");
	free(out);
	free(err);
	free(path);

	/* Optional for one command: for it, not for -n or the daemon. */
	assert_int_equal(load(&probe_prog, &cfg, &out, &err, "probe", "x",
	    NULL), -1);
	assert_string_equal(err, "");
	cfg_free(&test_schema, &cfg);
	free(out);
	free(err);
	assert_int_equal(load(&probe_prog, &cfg, &out, &err, "-n", NULL),
	    WARD_EXIT_FAILURE);
	assert_contains(err, MISSING_DEFAULT ": No such file");
	free(out);
	free(err);

	/* And a daemon's default file is not optional. */
	assert_int_equal(load(&daemon_prog, &cfg, &out, &err, NULL),
	    WARD_EXIT_FAILURE);
	assert_contains(err, "ward-test: " MISSING_DEFAULT ": No such file");
	free(out);
	free(err);
}

/* Runs cli_start on a config file with the given [log] level. */
static int
start(const char *level, struct test_cfg *cfg, ...)
{
	struct capture	 cap_out, cap_err;
	struct cli	 cli;
	va_list		 ap;
	const char	*a;
	char		*path, *text, *out, *err;
	int		 argc = 0, rc;

	xasprintf(&text, "[log]\nlevel = %s\n", level);
	path = tu_write_file(tu_tmpdir(), "start.conf", text, 0644);
	free(text);
	test_argv[argc++] = (char *)daemon_prog.name;
	test_argv[argc++] = (char *)"-c";
	test_argv[argc++] = path;
	va_start(ap, cfg);
	while ((a = va_arg(ap, const char *)) != NULL)
		test_argv[argc++] = (char *)a;
	va_end(ap);
	test_argv[argc] = NULL;
	memset(cfg, 0, sizeof *cfg);
	capture_begin(&cap_out, 1);
	capture_begin(&cap_err, 2);
	rc = cli_start(&daemon_prog, argc, test_argv, &cli, cfg);
	err = capture_end(&cap_err);
	out = capture_end(&cap_out);
	free(out);
	free(err);
	free(path);
	return rc;
}

static void
test_cli_start_log_level(void **state)
{
	struct test_cfg	 cfg;

	(void)state;
	assert_int_equal(start("warning", &cfg, "-f", NULL), -1);
	assert_int_equal(log_get_level(), LOG_LEVEL_WARNING);
	cfg_free(&test_schema, &cfg);

	assert_int_equal(start("warning", &cfg, "-f", "-v", NULL), -1);
	assert_int_equal(log_get_level(), LOG_LEVEL_INFO);
	cfg_free(&test_schema, &cfg);

	assert_int_equal(start("error", &cfg, "-f", "-vvv", NULL), -1);
	assert_int_equal(log_get_level(), LOG_LEVEL_DEBUG);
	cfg_free(&test_schema, &cfg);

	/* Capped at debug, however many -v. */
	assert_int_equal(start("info", &cfg, "-f", "-vvvvvvv", NULL), -1);
	assert_int_equal(log_get_level(), LOG_LEVEL_DEBUG);
	cfg_free(&test_schema, &cfg);

	assert_int_equal(start("debug", &cfg, "-f", "-v", NULL), -1);
	assert_int_equal(log_get_level(), LOG_LEVEL_DEBUG);
	cfg_free(&test_schema, &cfg);

	assert_int_equal(start("error", &cfg, "-f", NULL), -1);
	assert_int_equal(log_get_level(), LOG_LEVEL_ERROR);
	cfg_free(&test_schema, &cfg);
	log_init("test_cli", 0, LOG_LEVEL_INFO);
}

static void
test_cli_start_exit_codes(void **state)
{
	struct test_cfg	 cfg;

	(void)state;
	log_set_level(LOG_LEVEL_INFO);
	assert_int_equal(start("info", &cfg, "--help", NULL), WARD_EXIT_OK);
	assert_int_equal(start("info", &cfg, "--version", NULL), WARD_EXIT_OK);
	assert_int_equal(start("info", &cfg, "--nope", NULL), WARD_EXIT_USAGE);
	assert_int_equal(start("info", &cfg, "-n", NULL), WARD_EXIT_OK);
	assert_cfg_empty(&cfg);
	assert_int_equal(start("loud", &cfg, NULL), WARD_EXIT_FAILURE);
	assert_cfg_empty(&cfg);
	/* None of those started logging at another level. */
	assert_int_equal(log_get_level(), LOG_LEVEL_INFO);
}

static void
test_cli_log_start(void **state)
{
	struct cli		 cli;
	struct cli_log_config	 lc = { LOG_LEVEL_WARNING, 0 };

	(void)state;
	memset(&cli, 0, sizeof cli);
	cli_log_start(&tool_prog, &cli, &lc);
	assert_int_equal(log_get_level(), LOG_LEVEL_WARNING);
	cli.verbose = 1;
	cli_log_start(&tool_prog, &cli, &lc);
	assert_int_equal(log_get_level(), LOG_LEVEL_INFO);
	cli.verbose = 100;
	cli_log_start(&tool_prog, &cli, &lc);
	assert_int_equal(log_get_level(), LOG_LEVEL_DEBUG);
	log_init("test_cli", 0, LOG_LEVEL_INFO);
}

static void
test_cli_not_built(void **state)
{
	(void)state;
	tu_log_capture_start();
	assert_int_equal(cli_not_built(&daemon_prog, "the poller"),
	    WARD_EXIT_UNAVAILABLE);
	assert_contains(tu_log_captured(), "error: the poller is not built "
	    "yet in ward " PACKAGE_VERSION);
	assert_contains(tu_log_captured(), "ward-test(8)");
	tu_log_capture_stop();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_cli_parse_defaults, setup),
		cmocka_unit_test_setup(test_cli_parse_common, setup),
		cmocka_unit_test_setup(test_cli_parse_extras, setup),
		cmocka_unit_test_setup(test_cli_parse_operands, setup),
		cmocka_unit_test_setup(test_cli_foreground_daemon_only, setup),
		cmocka_unit_test_setup(test_cli_usage_errors, setup),
		cmocka_unit_test_setup(test_cli_help, setup),
		cmocka_unit_test_setup(test_cli_version, setup),
		cmocka_unit_test_setup(test_cli_config_reference, setup),
		cmocka_unit_test_setup(test_cli_parse_fresh_each_time, setup),
		cmocka_unit_test_setup(test_cli_load_check_ok, setup),
		cmocka_unit_test_setup(test_cli_load_bad_file, setup),
		cmocka_unit_test_setup(test_cli_load_missing, setup),
		cmocka_unit_test_setup(test_cli_start_log_level, setup),
		cmocka_unit_test_setup(test_cli_start_exit_codes, setup),
		cmocka_unit_test_setup(test_cli_log_start, setup),
		cmocka_unit_test_setup(test_cli_not_built, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
