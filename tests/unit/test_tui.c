/* test_tui.c: what ward writes to a terminal: hostile strings made safe,
 * widths in columns, cutting and padding, columns fitted to a width, short
 * ages and numbers; and the URL and option parsing of the commands. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/tui.h"
#include "tests/unit/testutil.h"

static void
test_fmt_vis(void **state)
{
	char	*s;

	(void)state;
	fmt_utf8 = 1;
	s = fmt_vis("plain-host01");
	assert_string_equal(s, "plain-host01");
	free(s);
	/* Terminal escapes: clear screen, set title, colour, bell. */
	s = fmt_vis("x\033[2J\033]0;owned\007\033[31mred");
	assert_string_equal(s, "x\\x1b[2J\\x1b]0;owned\\x07\\x1b[31mred");
	assert_null(strchr(s, '\033'));
	free(s);
	/* C1 CSI (U+009B) is an escape to some terminals too. */
	s = fmt_vis("a\xc2\x9b" "31mb");
	assert_null(strstr(s, "\xc2\x9b"));
	assert_contains(s, "\\x");
	free(s);
	/* Invalid UTF-8 and backslashes are shown, not passed. */
	s = fmt_vis("bad\xff\\end");
	assert_string_equal(s, "bad\\xff\\x5cend");
	free(s);
	/* A right-to-left override would turn the rest of the line around. */
	s = fmt_vis("invoice\xe2\x80\xaegpj.exe");
	assert_string_equal(s, "invoice\\u{202E}gpj.exe");
	free(s);
	/* Letters that print as nothing: the Hangul fillers. */
	s = fmt_vis("adm\xe3\x85\xa4in\xe1\x85\x9f");
	assert_string_equal(s, "adm\\u{3164}in\\u{115F}");
	free(s);
	s = fmt_vis("zero\xe2\x80\x8bwidth");
	assert_string_equal(s, "zero\\u{200B}width");
	free(s);
	/* Letters of any script stay as they are on a UTF-8 terminal... */
	s = fmt_vis("Zürich-東京");
	assert_string_equal(s, "Zürich-東京");
	free(s);
	/* ... and become escapes on one that is not. */
	fmt_utf8 = 0;
	s = fmt_vis("Zürich");
	assert_string_equal(s, "Z\\u{00FC}rich");
	free(s);
	fmt_utf8 = 1;
	s = fmt_vis(NULL);
	assert_string_equal(s, "");
	free(s);
}

static void
test_fmt_width_fit(void **state)
{
	char	 b[128];

	(void)state;
	fmt_utf8 = 1;
	assert_int_equal(fmt_width("abc"), 3);
	assert_int_equal(fmt_width("Zürich"), 6);
	assert_int_equal(fmt_width("東京"), 4);
	assert_int_equal(fmt_width(""), 0);

	assert_string_equal(fmt_fit(b, sizeof b, "abc", 6, 0), "abc   ");
	assert_string_equal(fmt_fit(b, sizeof b, "abc", 6, 1), "   abc");
	assert_string_equal(fmt_fit(b, sizeof b, "abcdef", 6, 0), "abcdef");
	assert_string_equal(fmt_fit(b, sizeof b, "abcdefg", 6, 0),
	    "abcde\xe2\x80\xa6");
	assert_int_equal(fmt_width(b), 6);
	assert_string_equal(fmt_fit(b, sizeof b, "abc", 0, 0), "");
	assert_string_equal(fmt_fit(b, sizeof b, "abc", 1, 0), "\xe2\x80\xa6");
	/* A wide character is never cut in half: the gap is padded. */
	assert_string_equal(fmt_fit(b, sizeof b, "東京都", 4, 0),
	    "東\xe2\x80\xa6 ");
	assert_int_equal(fmt_width(b), 4);
	/* Without UTF-8 the cut is marked with '~'. */
	fmt_utf8 = 0;
	assert_string_equal(fmt_fit(b, sizeof b, "abcdefg", 4, 0), "abc~");
	fmt_utf8 = 1;
	/* A small buffer narrows the width rather than overflowing. */
	assert_string_equal(fmt_fit(b, 9, "abcdefghijkl", 10, 0),
	    "a\xe2\x80\xa6");
	assert_string_equal(fmt_skip("ab東c", 4), "c");
	assert_string_equal(fmt_skip("abc", 10), "");
}

static void
test_fmt_short(void **state)
{
	char	 b[64];

	(void)state;
	assert_string_equal(fmt_age(b, sizeof b, 0), "0s");
	assert_string_equal(fmt_age(b, sizeof b, -5000), "0s");
	assert_string_equal(fmt_age(b, sizeof b, 59999), "59s");
	assert_string_equal(fmt_age(b, sizeof b, 60000), "1m");
	assert_string_equal(fmt_age(b, sizeof b, 3599999), "59m");
	assert_string_equal(fmt_age(b, sizeof b, 3600000), "1h");
	assert_string_equal(fmt_age(b, sizeof b, 47 * 3600000LL), "47h");
	assert_string_equal(fmt_age(b, sizeof b, 48 * 3600000LL), "2d");
	assert_string_equal(fmt_age(b, sizeof b, 800 * 86400000LL), "2y");
	assert_string_equal(fmt_iso_age(b, sizeof b, "2026-11-23T14:03:05Z",
	    1795442585000LL + 90000), "1m");
	assert_string_equal(fmt_iso_age(b, sizeof b, NULL, 0), "-");
	assert_string_equal(fmt_iso_age(b, sizeof b, "yesterday", 0), "-");
	assert_string_equal(fmt_uptime(b, sizeof b, 8640000), "100d 0h");
	assert_string_equal(fmt_uptime(b, sizeof b, 3720), "1h 2m");
	assert_string_equal(fmt_uptime(b, sizeof b, 125), "2m 5s");
	assert_string_equal(fmt_uptime(b, sizeof b, 7), "7s");
	assert_string_equal(fmt_bytes(b, sizeof b, 512), "512");
	assert_string_equal(fmt_bytes(b, sizeof b, 1536), "1.5k");
	assert_string_equal(fmt_bytes(b, sizeof b, 123456789), "118M");
	assert_string_equal(fmt_bps(b, sizeof b, 1e9), "1.0 Gb/s");
	assert_string_equal(fmt_bps(b, sizeof b, 1e8), "100 Mb/s");
	assert_string_equal(fmt_number(b, sizeof b, 13.5), "13.5");
	assert_string_equal(fmt_number(b, sizeof b, 8640000), "8640000");
	assert_string_equal(fmt_number(b, sizeof b, 81.234), "81.23");
	assert_string_equal(fmt_number(b, sizeof b, 0.0012), "0.0012");
	assert_string_equal(fmt_number(b, sizeof b, 2.50), "2.5");
}

static const struct table_col hosts_cols[] = {
	{ "NAME", TABLE_FLEX, 6, 0 },
	{ "STATE", 0, 0, 0 },
	{ "DATACENTRE", TABLE_FLEX, 4, 2 },
	{ "KIND", 0, 0, 3 },
	{ "OS", TABLE_FLEX, 6, 4 },
};

static struct table *
hosts_table(void)
{
	static const char *const rows[][5] = {
		{ "pas-app01", "UP", "basildon", "server",
		  "Red Hat Enterprise Linux Server 7.9 (Maipo)" },
		{ "core-switch-southend-01", "DOWN", "southend", "switch",
		  NULL },
		{ "x\033[2J", "STALE", "orsett", "server", "Windows" },
	};
	struct table	*t = table_new(hosts_cols, 5);
	size_t		 i;

	for (i = 0; i < 3; i++)
		table_add(t, rows[i]);
	return t;
}

static void
test_table_fit(void **state)
{
	struct table	*t = hosts_table();
	char		*line;
	size_t		 w, r, full;

	(void)state;
	fmt_utf8 = 1;
	/* No limit: every column as wide as its widest cell. */
	full = table_fit(t, 0);
	assert_int_equal(t->width[0], 23);
	assert_int_equal(t->width[4], 43);
	assert_int_equal(full, 23 + 5 + 10 + 6 + 43 + 4 * 2);
	line = table_line(t, SIZE_MAX);
	assert_string_equal(line, "NAME                     STATE  DATACENTRE"
	    "  KIND    OS");
	free(line);
	/* The hostile name is escaped, and "-" stands in for nothing. */
	line = table_line(t, 2);
	assert_contains(line, "x\\x1b[2J");
	assert_null(strchr(line, '\033'));
	free(line);
	line = table_line(t, 1);
	assert_true(line[strlen(line) - 1] == '-');
	free(line);

	/* Every width from wide to narrow, down to the narrowest the
	 * columns that must show can be (13): no line is longer than
	 * asked, and NAME and STATE always show. */
	for (w = full; w >= 13; w--) {
		table_fit(t, w);
		for (r = 0; r < t->nrows; r++) {
			line = table_line(t, r);
			assert_true(fmt_width(line) <= w);
			free(line);
		}
		assert_true(t->width[0] > 0 && t->width[1] > 0);
	}
	/* 80 columns: the OS, the widest, is cut; nothing is dropped. */
	assert_int_equal(table_fit(t, 80), 80);
	assert_true(t->width[4] > 0 && t->width[4] < 43);
	assert_int_equal(t->width[0], 23);
	/* 50: the droppable columns at their minimums do not fit, so the
	 * one that matters least (OS, drop 4) goes first; the names the
	 * lines are about are never cut while anything else can give. */
	assert_int_equal(table_fit(t, 50), 50);
	assert_int_equal(t->width[4], 0);
	assert_int_equal(t->width[3], 6);
	assert_int_equal(t->width[0], 23);
	/* 40: KIND (drop 3) goes too; DATACENTRE is cut to fit. */
	assert_int_equal(table_fit(t, 40), 40);
	assert_int_equal(t->width[3], 0);
	assert_int_equal(t->width[2], 8);
	assert_int_equal(t->width[0], 23);
	line = table_line(t, 1);
	assert_string_equal(line,
	    "core-switch-southend-01  DOWN   southend");
	free(line);
	line = table_line(t, 0);
	assert_string_equal(line, "pas-app01                UP     basildon");
	free(line);
	/* 30: only NAME and STATE are left, whole. */
	assert_int_equal(table_fit(t, 30), 30);
	assert_int_equal(t->width[2], 0);
	/* 25: now the name itself is cut. */
	assert_int_equal(table_fit(t, 25), 25);
	line = table_line(t, 1);
	assert_string_equal(line, "core-switch-south\xe2\x80\xa6  DOWN");
	free(line);
	line = table_line(t, SIZE_MAX);
	assert_string_equal(line, "NAME                STATE");
	free(line);
	/* Too narrow even for the columns that stay: the line is cut at
	 * the flexible minimums, never a column that must show. */
	table_fit(t, 5);
	assert_int_equal(t->width[0], 6);
	assert_int_equal(t->width[1], 5);
	assert_int_equal(table_col_x(t, 1), 8);
	assert_int_equal(table_col_x(t, 4), SIZE_MAX);
	table_free(t);
	table_free(NULL);
}

static void
test_table_right(void **state)
{
	static const struct table_col cols[] = {
		{ "NAME", 0, 0, 0 },
		{ "HOSTS", TABLE_RIGHT, 0, 0 },
	};
	static const char *const a[] = { "basildon", "12" };
	static const char *const b[] = { "rochford", "400" };
	struct table	*t = table_new(cols, 2);
	char		*line;

	(void)state;
	table_add(t, a);
	table_add(t, b);
	table_fit(t, 0);
	line = table_line(t, 0);
	assert_string_equal(line, "basildon     12");
	free(line);
	line = table_line(t, SIZE_MAX);
	assert_string_equal(line, "NAME      HOSTS");
	free(line);
	table_free(t);
}

static void
test_api_escape_url(void **state)
{
	char	*s, err[256];

	(void)state;
	s = api_escape("srv-01.btuh.test_~");
	assert_string_equal(s, "srv-01.btuh.test_~");
	free(s);
	s = api_escape("a b/c?d&e=f%g#h+i");
	assert_string_equal(s, "a%20b%2Fc%3Fd%26e%3Df%25g%23h%2Bi");
	free(s);
	s = api_escape("Zü\033");
	assert_string_equal(s, "Z%C3%BC%1B");
	free(s);

	assert_int_equal(api_url_check("https://127.0.0.1:8443", err,
	    sizeof err), 0);
	assert_int_equal(api_url_check("https://ward.btuh.test:8443/ward",
	    err, sizeof err), 0);
	assert_int_equal(api_url_check("http://127.0.0.1:8443", err,
	    sizeof err), -1);
	assert_contains(err, "https://");
	assert_int_equal(api_url_check("https://", err, sizeof err), -1);
	assert_int_equal(api_url_check("https://u:p@host", err, sizeof err),
	    -1);
	assert_int_equal(api_url_check("https://host/?x=1", err, sizeof err),
	    -1);

	assert_int_equal(api_exit_code(API_OK), 0);
	assert_int_equal(api_exit_code(API_NOT_FOUND), TUI_EXIT_NOT_FOUND);
	assert_int_equal(api_exit_code(API_CONFLICT), TUI_EXIT_CONFLICT);
	assert_int_equal(api_exit_code(API_UNREACHABLE), TUI_EXIT_UNREACHABLE);
	assert_int_equal(api_exit_code(API_TLS), TUI_EXIT_TLS);
	assert_int_equal(api_exit_code(API_UNAUTHORIZED), TUI_EXIT_AUTH);
	assert_int_equal(api_exit_code(API_FORBIDDEN), TUI_EXIT_AUTH);
	assert_int_equal(api_exit_code(API_NOT_AVAILABLE), 69);
	assert_int_equal(api_exit_code(API_BAD_REQUEST), 2);
	assert_int_equal(api_exit_code(API_ERROR), 1);
}

/* A writable argv from a space-separated line, as main() gets one. */
static char **
mkargv(const char *line, int *argc)
{
	static char	*argv[16];
	static char	 buf[256];
	char		*p;

	*argc = 0;
	snprintf(buf, sizeof buf, "%s", line);
	for (p = strtok(buf, " "); p != NULL && *argc < 15;
	    p = strtok(NULL, " "))
		argv[(*argc)++] = strcmp(p, "''") == 0 ? p + 2 : p;
	argv[*argc] = NULL;
	return argv;
}

static void
test_cmd_parse(void **state)
{
	const struct cmd_entry	*e = cmd_find("hosts");
	struct cmd_args		 a;
	char			**argv;
	int			 argc;

	(void)state;
	assert_non_null(e);
	assert_null(cmd_find("hostz"));
	argv = mkargv("hosts --state DOWN web --datacentre=basildon --json",
	    &argc);
	assert_int_equal(cmd_parse(e, argc, argv, &a), 0);
	assert_string_equal(a.value[1], "DOWN");
	assert_string_equal(a.value[0], "basildon");
	assert_null(a.value[2]);
	assert_int_equal(a.json, 1);
	assert_int_equal(a.argc, 1);
	assert_string_equal(a.argv[0], "web");
	free(a.argv);
	/* An empty value is a value: --datacentre '' is the hosts in none. */
	argv = mkargv("hosts --datacentre ''", &argc);
	assert_int_equal(cmd_parse(e, argc, argv, &a), 0);
	assert_string_equal(a.value[0], "");
	free(a.argv);
	/* After "--" a name that looks like an option is a name. */
	argv = mkargv("hosts -- --odd-name", &argc);
	assert_int_equal(cmd_parse(e, argc, argv, &a), 0);
	assert_int_equal(a.argc, 1);
	assert_string_equal(a.argv[0], "--odd-name");
	free(a.argv);
	argv = mkargv("hosts a b", &argc);
	assert_int_equal(cmd_parse(e, argc, argv, &a), -1);
	argv = mkargv("hosts --state", &argc);
	assert_int_equal(cmd_parse(e, argc, argv, &a), -1);
	argv = mkargv("hosts --nope", &argc);
	assert_int_equal(cmd_parse(e, argc, argv, &a), -1);
	argv = mkargv("hosts --json=yes", &argc);
	assert_int_equal(cmd_parse(e, argc, argv, &a), -1);
	argv = mkargv("host", &argc);
	assert_int_equal(cmd_parse(cmd_find("host"), argc, argv, &a), -1);
	argv = mkargv("search Dell R640", &argc);
	assert_int_equal(cmd_parse(cmd_find("search"), argc, argv, &a), 0);
	assert_int_equal(a.argc, 2);
	free(a.argv);
	assert_contains(cmd_help(), "hosts [QUERY]");
	assert_contains(cmd_help(), "ack ID");
}

static void
test_spark(void **state)
{
	static const double	 v[] = { 0, 50, 100, 0, 25 };
	static const int	 have[] = { 1, 1, 1, 0, 1 };
	struct spark		 sp;
	json_t			*reply;
	char			*s;

	(void)state;
	fmt_utf8 = 1;
	s = spark_render(v, have, 5, 0, 100);
	/* Lowest, middle, highest, a gap, a quarter. */
	assert_string_equal(s, "\xe2\x96\x81\xe2\x96\x85\xe2\x96\x88 "
	    "\xe2\x96\x83");
	free(s);
	fmt_utf8 = 0;
	s = spark_render(v, have, 5, 0, 100);
	assert_string_equal(s, "_=# -");
	free(s);
	/* All equal: the lowest height, not a division by zero. */
	s = spark_render(v, have, 1, 5, 5);
	assert_string_equal(s, "_");
	free(s);

	/* Points land in their slice of time; the highest in a slice shows;
	 * percent is against 100; slices without points stay empty. */
	reply = json_loads("{\"from\": \"2026-11-23T10:00:00Z\", "
	    "\"to\": \"2026-11-23T14:00:00Z\", \"resolution\": \"raw\", "
	    "\"series\": [{\"unit\": \"percent\", \"points\": ["
	    "[\"2026-11-23T10:10:00Z\", 10], [\"2026-11-23T10:20:00Z\", 50],"
	    "[\"2026-11-23T13:59:00Z\", 100], [\"2026-11-23T09:00:00Z\", 99],"
	    "[\"bad\", 7]]}]}", 0, NULL);
	assert_non_null(reply);
	assert_int_equal(spark_series(reply, json_array_get(json_object_get(
	    reply, "series"), 0), 4, &sp), 0);
	assert_string_equal(sp.line, "=  #");
	assert_int_equal(sp.points, 3);
	assert_true(sp.min == 10 && sp.max == 100 && sp.last == 100);
	free(sp.line);
	json_decref(reply);
	reply = json_loads("{\"from\": \"x\"}", 0, NULL);
	assert_int_equal(spark_series(reply, NULL, 4, &sp), -1);
	json_decref(reply);
	fmt_utf8 = 1;
}

static void
test_sort(void **state)
{
	static const struct table_col cols[] = {
		{ "NAME", 0, 0, 0 }, { "STATE", 0, 0, 0 }, { "AGE", 0, 0, 0 },
	};
	static const char *const rows[][3] = {
		{ "srv-10", "UP", "3h" }, { "srv-2", "DOWN", "5m" },
		{ "srv-1", NULL, "512k" }, { "srv-3", "STALE", "42s" },
	};
	struct dash_page	 p;
	size_t			 i;

	(void)state;
	/* Units, severity, versions. */
	assert_true(dash_sort_cmp("5m", "3h") < 0);
	assert_true(dash_sort_cmp("512k", "1.2G") < 0);
	assert_true(dash_sort_cmp("1.0 Gb/s", "100 Mb/s") > 0);
	assert_true(dash_sort_cmp("12d 3h", "2d 5h") > 0);
	assert_true(dash_sort_cmp("UP", "DOWN") < 0);
	assert_true(dash_sort_cmp("srv-2", "srv-10") < 0);
	assert_true(dash_sort_cmp("10.9.0.5", "10.9.0.10") < 0);

	memset(&p, 0, sizeof p);
	p.table = table_new(cols, 3);
	for (i = 0; i < 4; i++) {
		table_add(p.table, rows[i]);
		dash_page_key(&p, rows[i][0]);
	}
	dash_sort_page(&p, 0, 0);
	assert_string_equal(p.keys[0], "srv-1");
	assert_string_equal(p.keys[3], "srv-10");
	assert_string_equal(p.table->rows[3][0], "srv-10");
	/* Worst first, the row without a state last either way. */
	dash_sort_page(&p, 1, 1);
	assert_string_equal(p.keys[0], "srv-2");
	assert_string_equal(p.keys[1], "srv-3");
	assert_string_equal(p.keys[2], "srv-10");
	assert_string_equal(p.keys[3], "srv-1");
	dash_sort_page(&p, 1, 0);
	assert_string_equal(p.keys[3], "srv-1");
	/* Past the last column: the order the rows came in. */
	dash_sort_page(&p, SIZE_MAX, 0);
	for (i = 0; i < 4; i++)
		assert_string_equal(p.keys[i], rows[i][0]);
	for (i = 0; i < 4; i++)
		free(p.keys[i]);
	free(p.keys);
	free(p.order);
	table_free(p.table);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fmt_vis),
		cmocka_unit_test(test_fmt_width_fit),
		cmocka_unit_test(test_fmt_short),
		cmocka_unit_test(test_table_fit),
		cmocka_unit_test(test_table_right),
		cmocka_unit_test(test_api_escape_url),
		cmocka_unit_test(test_cmd_parse),
		cmocka_unit_test(test_spark),
		cmocka_unit_test(test_sort),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
