/* test_cfg.c: config loading against a realistic table: every type, every
 * kind of error and where it points, secret files, dump and reference. */
#include "config.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/cfg.h"
#include "common/xmalloc.h"
#include "tests/unit/testutil.h"

/* Distinctive, so that any leak of it into a message is caught. */
#define SECRET	"s3cr3t-Tok3n-91f2c"

struct t_log {
	int	 level;
	int	 color;
};

struct t_spool {
	char	*dir;
	int64_t	 max_size;
	int64_t	 max_age;
};

struct t_server {
	char		*url;
	char		*token;
	int64_t		 port;
	struct cfg_list	 tags;
	char		*debug_hook;
};

struct t_check {
	struct cfg_item	 item;
	char		*command;
	int64_t		 timeout;
	struct cfg_list	 args;
};

struct t_cfg {
	struct t_log		 log;
	struct t_spool		 spool;
	struct t_server		 server;
	struct cfg_items	 checks;
};

static const char *const t_levels[] = {
	"error", "warning", "info", "debug", NULL,
};

static const struct cfg_option t_log_options[] = {
	{ "level", CFG_ENUM, "info", 0, 0, t_levels, 0,
	  offsetof(struct t_log, level), "How much to log." },
	{ "color", CFG_BOOL, "yes", 0, 0, NULL, 0,
	  offsetof(struct t_log, color), "Colour the output." },
	CFG_OPTIONS_END
};

static const struct cfg_option t_spool_options[] = {
	{ "dir", CFG_PATH, "spool", 0, 0, NULL, 0,
	  offsetof(struct t_spool, dir),
	  "Where reports wait; a backslash \\ here.\n.dangerous line, -f" },
	{ "max_size", CFG_SIZE, "100M", 1048576, 10737418240LL, NULL, 0,
	  offsetof(struct t_spool, max_size), "Largest spool | cap." },
	{ "max_age", CFG_DURATION, "7d", 60000, 2592000000LL, NULL, 0,
	  offsetof(struct t_spool, max_age), "Oldest report kept." },
	CFG_OPTIONS_END
};

static const struct cfg_option t_server_options[] = {
	{ "url", CFG_STRING, NULL, 0, 0, NULL, CFG_REQUIRED,
	  offsetof(struct t_server, url), "Collector URL." },
	{ "token", CFG_SECRET, NULL, 0, 0, NULL, CFG_REQUIRED,
	  offsetof(struct t_server, token), "File holding the API token." },
	{ "port", CFG_INT, "443", 1, 65535, NULL, 0,
	  offsetof(struct t_server, port), "TCP port." },
	{ "tags", CFG_LIST, "a, b", 0, 0, NULL, 0,
	  offsetof(struct t_server, tags), "Tags sent along." },
	{ "debug_hook", CFG_STRING, NULL, 0, 0, NULL, CFG_HIDDEN,
	  offsetof(struct t_server, debug_hook), "Not for users." },
	CFG_OPTIONS_END
};

static const struct cfg_option t_check_options[] = {
	{ "command", CFG_STRING, NULL, 0, 0, NULL, CFG_REQUIRED,
	  offsetof(struct t_check, command), "Program to run." },
	{ "timeout", CFG_DURATION, "30s", 1000, 600000, NULL, 0,
	  offsetof(struct t_check, timeout), "Kill it after this long." },
	{ "args", CFG_LIST, NULL, 0, 0, NULL, 0,
	  offsetof(struct t_check, args), "Arguments." },
	CFG_OPTIONS_END
};

static const struct cfg_section t_sections[] = {
	{ "log", t_log_options, 0, offsetof(struct t_cfg, log), 0,
	  "Logging." },
	{ "spool", t_spool_options, 0, offsetof(struct t_cfg, spool), 0,
	  "The on-disk queue." },
	{ "server", t_server_options, CFG_SECTION_REQUIRED,
	  offsetof(struct t_cfg, server), 0, "Where to send reports." },
	{ "check", t_check_options, CFG_SECTION_MULTI,
	  offsetof(struct t_cfg, checks), sizeof(struct t_check),
	  "A local check." },
	CFG_SECTIONS_END
};

static const struct cfg_schema t_schema = {
	"ward-test", "/etc/ward/test.conf", t_sections, NULL,
};

static int
t_validate(void *cfg, char *err, size_t errlen)
{
	struct t_cfg	*c = cfg;

	struct t_check	*k;
	size_t		 i;

	if (strncmp(c->server.url, "https://", 8) != 0) {
		snprintf(err, errlen, "[server] url: must use https:// to "
		    "send the token");
		return -1;
	}
	for (i = 0; i < c->checks.count; i++) {
		k = c->checks.items[i];
		if (k->timeout > 60000) {
			snprintf(err, errlen, "[check \"%s\"] timeout %lld "
			    "ms is too long for a check", k->item.label,
			    (long long)k->timeout);
			return -1;
		}
		if (k->args.count == 1) {
			snprintf(err, errlen, "[check \"%s\"] takes two "
			    "arguments or none", k->item.label);
			return -1;
		}
	}
	return 0;
}

static const struct cfg_schema t_schema_validate = {
	"ward-test", "/etc/ward/test.conf", t_sections, t_validate,
};

/* Only optional sections, for cfg_defaults. */
static const struct cfg_section t_optional_sections[] = {
	{ "log", t_log_options, 0, offsetof(struct t_cfg, log), 0, NULL },
	{ "spool", t_spool_options, 0, offsetof(struct t_cfg, spool), 0,
	  NULL },
	CFG_SECTIONS_END
};

static const struct cfg_schema t_schema_optional = {
	"ward-test", "/etc/ward/test.conf", t_optional_sections, NULL,
};

#define SERVER "[server]\nurl = https://collector.example\ntoken = token\n"

static const char *
dir(void)
{
	return tu_tmpdir();
}

static char *
write_token(const char *name, const char *contents, unsigned mode)
{
	return tu_write_file(dir(), name, contents, mode);
}

/* Writes text as ward.conf and loads it; the path is returned in *pathp. */
static int
load(const struct cfg_schema *schema, const char *text, struct t_cfg *c,
    char *err, size_t errlen, char **pathp)
{
	char	*path, *tok;
	int	 rc;

	tok = write_token("token", SECRET "\n", 0600);
	free(tok);
	path = tu_write_file(dir(), "ward.conf", text, 0644);
	memset(c, 0, sizeof *c);
	rc = cfg_load(schema, path, c, err, errlen);
	if (pathp != NULL)
		*pathp = path;
	else
		free(path);
	return rc;
}

static void
assert_cfg_empty(const struct t_cfg *c)
{
	assert_null(c->spool.dir);
	assert_null(c->server.url);
	assert_null(c->server.token);
	assert_null(c->server.tags.items);
	assert_int_equal(c->server.tags.count, 0);
	assert_null(c->checks.items);
	assert_int_equal(c->checks.count, 0);
}

/*
 * Loads text, expects failure with exactly "<path>:<rest>" as the message,
 * and checks a failed load leaves nothing behind.
 */
static void
expect_error(const char *text, const char *rest)
{
	struct t_cfg	 c;
	char		 err[1024], *path, *want;

	assert_int_equal(load(&t_schema, text, &c, err, sizeof err, &path),
	    -1);
	xasprintf(&want, "%s%s", path, rest);
	assert_string_equal(err, want);
	assert_not_contains(err, SECRET);
	assert_cfg_empty(&c);
	cfg_free(&t_schema, &c);
	assert_cfg_empty(&c);
	free(want);
	free(path);
}

static struct t_check *
check_at(const struct t_cfg *c, size_t i)
{
	assert_true(i < c->checks.count);
	return c->checks.items[i];
}

static void
test_good_file(void **state)
{
	struct t_cfg	 c;
	struct t_check	*ck;
	char		 err[1024], *path;

	(void)state;
	assert_int_equal(load(&t_schema,
	    "; a comment\n"
	    "# another\n"
	    "[log]\n"
	    "level = debug ; inline comment\n"
	    "color = off\n"
	    "\n"
	    "[spool]\n"
	    "dir = /var/spool/ward\n"
	    "max_size = 2G\n"
	    "max_age = 36h\n"
	    SERVER
	    "port = 8443\n"
	    "tags = ward,  icu ward-3\n"
	    "tags = night\n"
	    "debug_hook = x;y\n"
	    "[check \"disk-root\"]\n"
	    "command = /usr/lib/ward/check_disk\n"
	    "timeout = 1500ms\n"
	    "args = -w 80, -c 90 /\n"
	    "[check \"a-label-that-is-longer-than-the-fifty-characters-"
	    "inih-keeps\"]\n"
	    "command = true\n",
	    &c, err, sizeof err, &path), 0);

	assert_int_equal(c.log.level, 3);
	assert_int_equal(c.log.color, 0);
	assert_string_equal(c.spool.dir, "/var/spool/ward");
	assert_int_equal(c.spool.max_size, 2147483648LL);
	assert_int_equal(c.spool.max_age, 36LL * 3600 * 1000);
	assert_string_equal(c.server.url, "https://collector.example");
	assert_string_equal(c.server.token, SECRET);
	assert_int_equal(c.server.port, 8443);
	assert_int_equal(c.server.tags.count, 4);
	assert_string_equal(c.server.tags.items[0], "ward");
	assert_string_equal(c.server.tags.items[1], "icu");
	assert_string_equal(c.server.tags.items[2], "ward-3");
	assert_string_equal(c.server.tags.items[3], "night");
	/* ';' not after whitespace is part of the value. */
	assert_string_equal(c.server.debug_hook, "x;y");

	assert_int_equal(c.checks.count, 2);
	ck = check_at(&c, 0);
	assert_string_equal(ck->item.label, "disk-root");
	assert_int_equal(ck->item.line, 18);
	assert_string_equal(ck->command, "/usr/lib/ward/check_disk");
	assert_int_equal(ck->timeout, 1500);
	assert_int_equal(ck->args.count, 5);
	assert_string_equal(ck->args.items[0], "-w");
	assert_string_equal(ck->args.items[4], "/");
	ck = check_at(&c, 1);
	assert_string_equal(ck->item.label,
	    "a-label-that-is-longer-than-the-fifty-characters-inih-keeps");
	assert_int_equal(ck->item.line, 22);
	assert_int_equal(ck->timeout, 30000);	/* default, per instance */
	assert_int_equal(ck->args.count, 0);

	cfg_free(&t_schema, &c);
	assert_cfg_empty(&c);
	assert_null(c.server.debug_hook);
	free(path);
}

static void
test_defaults(void **state)
{
	struct t_cfg	 c;
	char		 err[1024], *want;

	(void)state;
	assert_int_equal(load(&t_schema, SERVER, &c, err, sizeof err, NULL),
	    0);
	assert_int_equal(c.log.level, 2);
	assert_int_equal(c.log.color, 1);
	/* The relative default is taken from the config file's directory. */
	xasprintf(&want, "%s/spool", dir());
	assert_string_equal(c.spool.dir, want);
	free(want);
	assert_int_equal(c.spool.max_size, 100LL * 1024 * 1024);
	assert_int_equal(c.spool.max_age, 7LL * 86400 * 1000);
	assert_int_equal(c.server.port, 443);
	assert_int_equal(c.server.tags.count, 2);
	assert_string_equal(c.server.tags.items[0], "a");
	assert_string_equal(c.server.tags.items[1], "b");
	assert_null(c.server.debug_hook);
	assert_int_equal(c.checks.count, 0);
	cfg_free(&t_schema, &c);

	/* A value in the file replaces a list default instead of adding. */
	assert_int_equal(load(&t_schema, SERVER "tags = z\n", &c, err,
	    sizeof err, NULL), 0);
	assert_int_equal(c.server.tags.count, 1);
	assert_string_equal(c.server.tags.items[0], "z");
	cfg_free(&t_schema, &c);

	/* An empty list value empties it. */
	assert_int_equal(load(&t_schema, SERVER "tags =\n", &c, err,
	    sizeof err, NULL), 0);
	assert_int_equal(c.server.tags.count, 0);
	cfg_free(&t_schema, &c);
}

static void
test_cfg_defaults(void **state)
{
	struct t_cfg	 c;
	char		 err[1024], cwd[4096], *want;

	(void)state;
	memset(&c, 0, sizeof c);
	assert_int_equal(cfg_defaults(&t_schema_optional, &c, err,
	    sizeof err), 0);
	assert_non_null(getcwd(cwd, sizeof cwd));
	xasprintf(&want, "%s/spool", cwd);
	assert_string_equal(c.spool.dir, want);
	free(want);
	assert_int_equal(c.log.level, 2);
	cfg_free(&t_schema_optional, &c);
	assert_null(c.spool.dir);

	memset(&c, 0, sizeof c);
	assert_int_equal(cfg_defaults(&t_schema, &c, err, sizeof err), -1);
	assert_string_equal(err, "section [server] is required but missing");
	assert_cfg_empty(&c);
	cfg_free(&t_schema, &c);
}

static void
test_paths(void **state)
{
	struct t_cfg	 c;
	char		 err[1024], cwd[4096], *want;

	(void)state;
	assert_int_equal(load(&t_schema, "[spool]\ndir = ./q/spool\n" SERVER,
	    &c, err, sizeof err, NULL), 0);
	xasprintf(&want, "%s/q/spool", dir());
	assert_string_equal(c.spool.dir, want);
	free(want);
	cfg_free(&t_schema, &c);

	/* Empty means unset. */
	assert_int_equal(load(&t_schema, "[spool]\ndir =\n" SERVER, &c, err,
	    sizeof err, NULL), 0);
	assert_null(c.spool.dir);
	cfg_free(&t_schema, &c);

	/* From a string, relative paths are taken from the cwd. */
	assert_non_null(getcwd(cwd, sizeof cwd));
	memset(&c, 0, sizeof c);
	assert_int_equal(cfg_load_string(&t_schema_optional, "inline",
	    "[spool]\ndir = data\n", &c, err, sizeof err), 0);
	xasprintf(&want, "%s/data", cwd);
	assert_string_equal(c.spool.dir, want);
	free(want);
	cfg_free(&t_schema_optional, &c);
}

static void
test_load_string_errors(void **state)
{
	struct t_cfg	 c;
	char		 err[1024];

	(void)state;
	memset(&c, 0, sizeof c);
	assert_int_equal(cfg_load_string(&t_schema_optional, "inline",
	    "[log]\nlevel = loud\n", &c, err, sizeof err), -1);
	assert_string_equal(err, "inline:2: [log] level: \"loud\": not one of "
	    "error, warning, info, debug");
	cfg_free(&t_schema_optional, &c);
}

static void
test_errors_sections(void **state)
{
	(void)state;
	expect_error("[foo]\n" SERVER, ":1: unknown section [foo]");
	expect_error(SERVER "[lgo]\nlevel = info\n",
	    ":4: unknown section [lgo] (did you mean \"log\"?)");
	expect_error("[log\nlevel = info\n",
	    ":1: section header without closing ]");
	expect_error("[log] junk\n", ":1: unexpected text after ]: \"junk\"");
	expect_error("[]\n", ":1: section header without a name");
	expect_error("level = info\n[log]\n",
	    ":1: \"level\" is outside any [section]");
	expect_error("[log]\nlevel\n",
	    ":2: expected \"key = value\", a [section] or a comment");
	expect_error("[log]\nlevel = info\n",
	    ": section [server] is required but missing");
}

static void
test_errors_keys(void **state)
{
	(void)state;
	expect_error("[log]\ncolour = yes\n" SERVER,
	    ":2: [log] colour: unknown key (did you mean \"color\"?)");
	expect_error("[log]\nlevle = info\n" SERVER,
	    ":2: [log] levle: unknown key (did you mean \"level\"?)");
	expect_error("[log]\nverbosity = 3\n" SERVER,
	    ":2: [log] verbosity: unknown key");
	/* Hidden options are accepted but never suggested. */
	expect_error(SERVER "debug_hoo = 1\n",
	    ":4: [server] debug_hoo: unknown key");
	expect_error("[log]\nlevel = debug\ncolor = no\nlevel = info\n" SERVER,
	    ":4: [log] level: duplicate key (first set at line 2)");
	/* A section given twice continues, and still refuses duplicates. */
	expect_error("[log]\nlevel = debug\n" SERVER "[log]\nlevel = info\n",
	    ":7: [log] level: duplicate key (first set at line 2)");
	expect_error("[log]\n= debug\n", ":2: missing key before '='");
	/* The first error is the one reported. */
	expect_error("[log]\nlevel = loud\ncolour = x\n[nope]\n",
	    ":2: [log] level: \"loud\": not one of error, warning, info, "
	    "debug");
}

static void
test_errors_values(void **state)
{
	(void)state;
	expect_error("[spool]\nmax_size = 12Q\n" SERVER,
	    ":2: [spool] max_size: \"12Q\": not a size (use e.g. 512k, 10M, "
	    "2G)");
	expect_error("[spool]\nmax_size = 512k\n" SERVER,
	    ":2: [spool] max_size: \"512k\": out of range (1M..10G)");
	expect_error("[spool]\nmax_size = 11G\n" SERVER,
	    ":2: [spool] max_size: \"11G\": out of range (1M..10G)");
	expect_error("[spool]\nmax_age = soon\n" SERVER,
	    ":2: [spool] max_age: \"soon\": not a duration (use e.g. 500ms, "
	    "90s, 5m, 2h, 7d)");
	expect_error("[spool]\nmax_age = 31d\n" SERVER,
	    ":2: [spool] max_age: \"31d\": out of range (1m..30d)");
	expect_error("[log]\ncolor = maybe\n" SERVER,
	    ":2: [log] color: \"maybe\": not a boolean (use yes or no)");
	expect_error(SERVER "port = 70000\n",
	    ":4: [server] port: \"70000\": out of range (1..65535)");
	expect_error(SERVER "port = 80x\n",
	    ":4: [server] port: \"80x\": not an integer");
	expect_error("[server]\nurl =\ntoken = token\n",
	    ":2: [server] url: must not be empty");
	expect_error("[server]\nurl = https://x\ntoken =\n",
	    ":3: [server] token: needs the path of a file holding the secret");
	/* Control bytes in values are shown escaped. */
	expect_error("[log]\nlevel = a\x01z\n",
	    ":2: [log] level: \"a\\x01z\": not one of error, warning, info, "
	    "debug");
}

static void
test_errors_required(void **state)
{
	(void)state;
	expect_error("[log]\nlevel = info\n[server]\ntoken = token\n",
	    ":3: [server] url: required but not set");
	expect_error(SERVER "[check \"disk\"]\ntimeout = 5s\n",
	    ":4: [check \"disk\"] command: required but not set");
	expect_error(SERVER "[check \"disk\"]\ncommand = df\ntimeout = 20m\n",
	    ":6: [check \"disk\"] timeout: \"20m\": out of range (1s..10m)");
}

static void
test_errors_labels(void **state)
{
	(void)state;
	expect_error(SERVER "[check]\ncommand = df\n",
	    ":4: section [check] needs a label, as in [check \"NAME\"]");
	expect_error(SERVER "[check disk-root]\ncommand = df\n",
	    ":4: [check disk-root]: the label must be in double quotes, as in "
	    "[check \"disk-root\"]");
	expect_error("[log \"x\"]\n",
	    ":1: section [log] takes no label (found \"x\")");
	expect_error(SERVER "[check \"\"]\n", ":4: [check \"\"]: empty label");
	expect_error(SERVER "[check \"a\" b]\n",
	    ":4: [check \"a\"]: unexpected text after the label: b");
	expect_error(SERVER "[check \"a]\n",
	    ":4: [check \"a]: label without closing quote");
	expect_error(SERVER
	    "[check \"disk\"]\ncommand = df\n"
	    "[check \"ping\"]\ncommand = ping\n"
	    "[check \"disk\"]\ncommand = du\n",
	    ":8: [check \"disk\"]: duplicate label (first used at line 4)");
	/* Keys after a failed instance do not leak either. */
	expect_error(SERVER
	    "[check \"disk\"]\ncommand = df\nargs = a b c\n"
	    "[check \"disk\"]\n",
	    ":7: [check \"disk\"]: duplicate label (first used at line 4)");
}

static void
test_continuation(void **state)
{
	struct t_cfg	 c;
	struct t_check	*ck;
	char		 err[1024];

	(void)state;
	assert_int_equal(load(&t_schema, SERVER
	    "[check \"ping\"]\ncommand = ping\nargs = -c 3\n    -W 2\n",
	    &c, err, sizeof err, NULL), 0);
	ck = check_at(&c, 0);
	assert_int_equal(ck->args.count, 4);
	assert_string_equal(ck->args.items[2], "-W");
	assert_string_equal(ck->args.items[3], "2");
	cfg_free(&t_schema, &c);

	expect_error(SERVER "[check \"ping\"]\ncommand = ping\n  -c 3\n",
	    ":6: [check \"ping\"] command: indented line taken as a "
	    "continuation of this value, which only lists allow (remove the "
	    "indentation)");
}

static void
test_bom_crlf(void **state)
{
	struct t_cfg	 c;
	char		 err[1024];

	(void)state;
	assert_int_equal(load(&t_schema,
	    "\xef\xbb\xbf[log]\r\nlevel = warning\r\n"
	    "[server]\r\nurl = https://x\r\ntoken = token\r\n",
	    &c, err, sizeof err, NULL), 0);
	assert_int_equal(c.log.level, 1);
	assert_string_equal(c.server.url, "https://x");
	assert_string_equal(c.server.token, SECRET);
	cfg_free(&t_schema, &c);
}

static void
test_long_lines(void **state)
{
	struct t_cfg	 c;
	char		 err[1024], text[1024], value[400];

	(void)state;
	/* 199 characters fit in inih's 200-byte buffer... */
	memset(value, 'a', 189);
	value[189] = '\0';
	snprintf(text, sizeof text, SERVER "[check \"x\"]\ncommand = %s\n",
	    value);
	assert_int_equal(load(&t_schema, text, &c, err, sizeof err, NULL), 0);
	assert_string_equal(check_at(&c, 0)->command, value);
	cfg_free(&t_schema, &c);

	/* ...one more does not, and is refused rather than split. */
	memset(value, 'a', 190);
	value[190] = '\0';
	snprintf(text, sizeof text, SERVER "[check \"x\"]\ncommand = %s\n",
	    value);
	expect_error(text, ":5: line too long (more than 199 characters)");

	memset(value, 'b', 300);
	value[300] = '\0';
	snprintf(text, sizeof text, "[log]\n; %s\n", value);
	expect_error(text, ":2: line too long (more than 199 characters)");
}

static void
test_missing_and_unreadable(void **state)
{
	struct t_cfg	 c;
	char		 err[1024], *path, *want;

	(void)state;
	path = tu_path(dir(), "does-not-exist.conf");
	memset(&c, 0, sizeof c);
	assert_int_equal(cfg_load(&t_schema, path, &c, err, sizeof err), -1);
	xasprintf(&want, "%s: No such file or directory", path);
	assert_string_equal(err, want);
	free(want);
	cfg_free(&t_schema, &c);
	free(path);

	memset(&c, 0, sizeof c);
	assert_int_equal(cfg_load(&t_schema, dir(), &c, err, sizeof err), -1);
	xasprintf(&want, "%s: is a directory", dir());
	assert_string_equal(err, want);
	free(want);
	cfg_free(&t_schema, &c);

	/* root reads anything, so only an ordinary user can see this. */
	if (geteuid() != 0) {
		path = tu_write_file(dir(), "locked.conf", SERVER, 0);
		memset(&c, 0, sizeof c);
		assert_int_equal(cfg_load(&t_schema, path, &c, err,
		    sizeof err), -1);
		xasprintf(&want, "%s: Permission denied", path);
		assert_string_equal(err, want);
		free(want);
		cfg_free(&t_schema, &c);
		free(path);
	}
}

/* How many lines text has. */
static int
t_lines(const char *text)
{
	int	 n = 0;

	for (; *text != '\0'; text++)
		n += *text == '\n';
	return n;
}

static void
test_validate(void **state)
{
	struct t_cfg	 c;
	char		 err[1024], *path, *want;

	(void)state;
	assert_int_equal(load(&t_schema_validate, SERVER, &c, err, sizeof err,
	    NULL), 0);
	cfg_free(&t_schema_validate, &c);

	assert_int_equal(load(&t_schema_validate,
	    "[server]\nurl = http://plain\ntoken = token\n", &c, err,
	    sizeof err, &path), -1);
	/* The message names the line that set the key. */
	xasprintf(&want, "%s:2: [server] url: must use https:// to send the "
	    "token", path);
	assert_string_equal(err, want);
	assert_cfg_empty(&c);
	cfg_free(&t_schema_validate, &c);
	free(want);
	free(path);

	/* A labelled section's key; a section's own fault is its header's
	 * line. */
	assert_int_equal(load(&t_schema_validate, SERVER "\n[check \"a\"]\n"
	    "command = true\n[check \"b\"]\ncommand = true\n\n"
	    "timeout = 90s\n", &c, err, sizeof err, &path), -1);
	xasprintf(&want, "%s:%d: [check \"b\"] timeout 90000 ms is too long "
	    "for a check", path, t_lines(SERVER) + 7);
	assert_string_equal(err, want);
	cfg_free(&t_schema_validate, &c);
	free(want);
	free(path);
	assert_int_equal(load(&t_schema_validate, SERVER "\n[check \"a\"]\n"
	    "command = true\nargs = x\n", &c, err, sizeof err, &path), -1);
	xasprintf(&want, "%s:%d: [check \"a\"] takes two arguments or none",
	    path, t_lines(SERVER) + 2);
	assert_string_equal(err, want);
	cfg_free(&t_schema_validate, &c);
	free(want);
	free(path);
}

static void
test_read_secret(void **state)
{
	char	 err[1024], *path, *s, *link, *want;
	int	 fd;

	(void)state;
	path = write_token("t600", SECRET "\r\n\n", 0600);
	s = cfg_read_secret(path, err, sizeof err);
	assert_non_null(s);
	assert_string_equal(s, SECRET);
	xfree_secret(s);
	free(path);

	path = write_token("t400", SECRET, 0400);
	s = cfg_read_secret(path, err, sizeof err);
	assert_non_null(s);
	assert_string_equal(s, SECRET);
	xfree_secret(s);
	free(path);

	path = write_token("t644", SECRET "\n", 0644);
	assert_null(cfg_read_secret(path, err, sizeof err));
	xasprintf(&want, "%s: secret file is readable by group or others "
	    "(mode 0644); run chmod 600 %s", path, path);
	assert_string_equal(err, want);
	free(want);
	free(path);

	path = write_token("t620", SECRET "\n", 0620);
	assert_null(cfg_read_secret(path, err, sizeof err));
	assert_contains(err, "secret file is writable by group or others "
	    "(mode 0620); run chmod 600");
	free(path);

	path = write_token("tlink-target", SECRET "\n", 0600);
	link = tu_path(dir(), "tlink");
	unlink(link);
	assert_int_equal(symlink(path, link), 0);
	assert_null(cfg_read_secret(link, err, sizeof err));
	xasprintf(&want, "%s: is a symbolic link; a secret file must be a "
	    "regular file", link);
	assert_string_equal(err, want);
	free(want);
	free(link);
	free(path);

	assert_null(cfg_read_secret(dir(), err, sizeof err));
	assert_contains(err, "a secret file must be a regular file");

	path = write_token("tempty", "\r\n", 0600);
	assert_null(cfg_read_secret(path, err, sizeof err));
	xasprintf(&want, "%s: secret file is empty", path);
	assert_string_equal(err, want);
	free(want);
	free(path);

	/* Someone else's file, even at 0600, could be swapped under us. */
	if (geteuid() == 0) {
		path = write_token("tother", SECRET "\n", 0600);
		assert_int_equal(chown(path, 65534, 65534), 0);
		assert_null(cfg_read_secret(path, err, sizeof err));
		xasprintf(&want, "%s: secret file is owned by uid 65534, not "
		    "by root", path);
		assert_string_equal(err, want);
		free(want);
		free(path);
	}

	path = tu_path(dir(), "tmissing");
	assert_null(cfg_read_secret(path, err, sizeof err));
	xasprintf(&want, "%s: No such file or directory", path);
	assert_string_equal(err, want);
	free(want);
	free(path);

	s = xmalloc(64 * 1024 + 2);
	memset(s, 'x', 64 * 1024 + 1);
	s[64 * 1024 + 1] = '\0';
	path = write_token("tbig", s, 0600);
	assert_null(cfg_read_secret(path, err, sizeof err));
	assert_contains(err, "secret file is larger than 64 KiB");
	free(path);
	/* Exactly 64 KiB is fine. */
	s[64 * 1024] = '\0';
	path = write_token("tmax", s, 0600);
	free(s);
	s = cfg_read_secret(path, err, sizeof err);
	assert_non_null(s);
	assert_int_equal(strlen(s), 64 * 1024);
	xfree_secret(s);
	free(path);

	path = tu_path(dir(), "tnul");
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd != -1);
	assert_int_equal(write(fd, "ab\0cd", 5), 5);
	close(fd);
	assert_null(cfg_read_secret(path, err, sizeof err));
	assert_contains(err, "secret file contains a NUL byte");
	free(path);
}

static void
test_secret_in_config(void **state)
{
	struct t_cfg	 c;
	char		 err[1024], *path, *tok, *want;

	(void)state;
	/* Refused: names the config line, the key and the secret file. */
	path = tu_write_file(dir(), "ward.conf",
	    "[server]\nurl = https://x\ntoken = loose-token\n", 0644);
	tok = write_token("loose-token", SECRET "\n", 0644);
	memset(&c, 0, sizeof c);
	assert_int_equal(cfg_load(&t_schema, path, &c, err, sizeof err), -1);
	xasprintf(&want, "%s:3: [server] token: %s: secret file is readable "
	    "by group or others (mode 0644); run chmod 600 %s", path, tok,
	    tok);
	assert_string_equal(err, want);
	assert_not_contains(err, SECRET);
	assert_cfg_empty(&c);
	cfg_free(&t_schema, &c);
	free(want);
	free(tok);
	free(path);

	/* An absolute path, mode 0400. */
	tok = write_token("ro-token", SECRET "\n", 0400);
	xasprintf(&want, "[server]\nurl = https://x\ntoken = %s\n", tok);
	path = tu_write_file(dir(), "abs.conf", want, 0644);
	free(want);
	memset(&c, 0, sizeof c);
	assert_int_equal(cfg_load(&t_schema, path, &c, err, sizeof err), 0);
	assert_string_equal(c.server.token, SECRET);
	cfg_free(&t_schema, &c);
	assert_null(c.server.token);
	free(tok);
	free(path);

	/* A symlink is refused even when it points at a good file. */
	tok = write_token("good-token", SECRET "\n", 0600);
	path = tu_path(dir(), "link-token");
	unlink(path);
	assert_int_equal(symlink(tok, path), 0);
	xasprintf(&want, ":3: [server] token: %s: is a symbolic link; a secret "
	    "file must be a regular file", path);
	expect_error("[server]\nurl = https://x\ntoken = link-token\n", want);
	free(want);
	free(path);
	free(tok);
}

static void
test_dump(void **state)
{
	struct t_cfg	 c;
	char		 err[1024], *out = NULL, *want;
	size_t		 outlen = 0;
	FILE		*fp;

	(void)state;
	assert_int_equal(load(&t_schema,
	    "[log]\nlevel = warning\n"
	    "[spool]\nmax_size = 10M\nmax_age = 90s\n"
	    SERVER "tags = x y\n"
	    "[check \"disk\"]\ncommand = df -h\nargs = -x, tmpfs\n",
	    &c, err, sizeof err, NULL), 0);
	assert_non_null(fp = open_memstream(&out, &outlen));
	cfg_dump(&t_schema, &c, fp);
	fclose(fp);
	xasprintf(&want,
	    "[log]\nlevel = warning\ncolor = yes\n\n"
	    "[spool]\ndir = %s/spool\nmax_size = 10M\nmax_age = 90s\n\n"
	    "[server]\nurl = https://collector.example\ntoken = (secret)\n"
	    "port = 443\ntags = x, y\ndebug_hook = \n\n"
	    "[check \"disk\"]\ncommand = df -h\ntimeout = 30s\n"
	    "args = -x, tmpfs\n", dir());
	assert_string_equal(out, want);
	assert_not_contains(out, SECRET);
	free(want);
	free(out);
	cfg_free(&t_schema, &c);
}

static char *
reference(enum cfg_ref_format format)
{
	char	*out = NULL;
	size_t	 outlen = 0;
	FILE	*fp;

	assert_non_null(fp = open_memstream(&out, &outlen));
	cfg_reference(&t_schema, format, fp);
	fclose(fp);
	return out;
}

static void
test_reference_man(void **state)
{
	char	*a, *b;

	(void)state;
	a = reference(CFG_REF_MAN);
	b = reference(CFG_REF_MAN);
	assert_string_equal(a, b);
	assert_contains(a, ".SS \"[log]\"\nLogging.\n.TP\n"
	    "\\fBlevel\\fR = \\fIerror|warning|info|debug\\fR (default: info)\n"
	    "How much to log.\n");
	assert_contains(a, "\\fBmax_size\\fR = \\fIsize\\fR (default: 100M; "
	    "range: 1M..10G)\n");
	assert_contains(a, "\\fBmax_age\\fR = \\fIduration\\fR (default: 7d; "
	    "range: 1m..30d)\n");
	assert_contains(a, "\\fBport\\fR = \\fIinteger\\fR (default: 443; "
	    "range: 1..65535)\n");
	assert_contains(a, "\\fBurl\\fR = \\fIstring\\fR (required)\n");
	assert_contains(a, "\\fBtoken\\fR = \\fIpath\\fR (required; secret "
	    "file)\n");
	assert_contains(a, ".SS \"[server]\"\nWhere to send reports.\n.PP\n"
	    "This section is required.\n");
	assert_contains(a, ".SS \"[check \\(dqLABEL\\(dq]\"\nA local check.\n"
	    ".PP\nThis section may repeat, once per distinct LABEL.\n");
	assert_contains(a, "\\fBargs\\fR = \\fIlist\\fR (default: unset)\n");
	/* roff specials are escaped: a backslash, a line starting a request */
	assert_contains(a, "a backslash \\e here.\n\\&.dangerous line, "
	    "\\-f\n");
	assert_not_contains(a, "debug_hook");
	free(a);
	free(b);
}

static void
test_reference_markdown(void **state)
{
	char	*a, *b;

	(void)state;
	a = reference(CFG_REF_MARKDOWN);
	b = reference(CFG_REF_MARKDOWN);
	assert_string_equal(a, b);
	assert_true(strncmp(a, "### [log]\n", 10) == 0);
	assert_contains(a, "### [log]\n\nLogging.\n\n"
	    "| key | type | default | range | description |\n"
	    "|-----|------|---------|-------|-------------|\n"
	    "| `level` | error\\|warning\\|info\\|debug | `info` |  | How much "
	    "to log. |\n");
	assert_contains(a, "| `max_size` | size | `100M` | 1M..10G | Largest "
	    "spool \\| cap. |\n");
	assert_contains(a, "| `url` | string | required |  | Collector URL. |");
	assert_contains(a, "| `token` | path (secret file) | required |  |");
	assert_contains(a, "\n### [check \"LABEL\"]\n\nA local check.\n\n"
	    "This section may repeat, once per distinct LABEL.\n\n");
	/* Newlines in help do not break the table row. */
	assert_contains(a, "a backslash \\ here. .dangerous line, -f |\n");
	assert_not_contains(a, "debug_hook");
	free(a);
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_cfg_defaults),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_load_string_errors),
		cmocka_unit_test(test_errors_sections),
		cmocka_unit_test(test_errors_keys),
		cmocka_unit_test(test_errors_values),
		cmocka_unit_test(test_errors_required),
		cmocka_unit_test(test_errors_labels),
		cmocka_unit_test(test_continuation),
		cmocka_unit_test(test_bom_crlf),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_missing_and_unreadable),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_read_secret),
		cmocka_unit_test(test_secret_in_config),
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_reference_man),
		cmocka_unit_test(test_reference_markdown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
