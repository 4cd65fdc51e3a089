/* test_wjson.c: unit tests for the limited JSON parser and typed getters. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/wjson.h"
#include "common/xmalloc.h"
#include "tests/unit/testutil.h"

static json_t *
parse(const char *s, const struct wjson_limits *limits, char *err,
    size_t errlen)
{
	err[0] = '\0';
	return wjson_parse(s, strlen(s), limits, err, errlen);
}

/* Parses s, which must fail; returns the message for inspection. */
static const char *
parse_fails(const char *s, const struct wjson_limits *limits)
{
	static char	 err[512];
	json_t		*doc;

	doc = parse(s, limits, err, sizeof err);
	if (doc != NULL) {
		json_decref(doc);
		fail_msg("parsed but should not have: %s", s);
	}
	assert_true(err[0] != '\0');
	return err;
}

static char *
repeat(const char *unit, size_t n)
{
	size_t	 len = strlen(unit);
	char	*s = xmalloc(len * n + 1);
	size_t	 i;

	for (i = 0; i < n; i++)
		memcpy(s + i * len, unit, len);
	s[len * n] = '\0';
	return s;
}

static void
test_parse_valid(void **state)
{
	char	 err[256];
	json_t	*doc, *v;
	char	*dump;

	(void)state;
	doc = parse("{\"host\": {\"name\": \"pc-01\", \"cpus\": 8},"
	    " \"load\": [0.5, 1, true, null], \"caf\\u00e9\": \"\xc3\xa9t\xc3\xa9\"}",
	    NULL, err, sizeof err);
	assert_non_null(doc);
	assert_true(json_is_object(doc));
	v = json_object_get(json_object_get(doc, "host"), "name");
	assert_string_equal(json_string_value(v), "pc-01");
	assert_int_equal(json_array_size(json_object_get(doc, "load")), 4);
	v = json_object_get(doc, "caf\xc3\xa9");
	assert_non_null(v);
	assert_string_equal(json_string_value(v), "\xc3\xa9t\xc3\xa9");
	json_decref(doc);

	/* Any top-level value; the caller checks the type. */
	doc = parse("42", NULL, err, sizeof err);
	assert_non_null(doc);
	assert_true(json_is_integer(doc));
	assert_int_equal(json_integer_value(doc), 42);
	json_decref(doc);
	doc = parse("  \"x\"\n", NULL, err, sizeof err);
	assert_non_null(doc);
	assert_string_equal(json_string_value(doc), "x");
	json_decref(doc);

	/* The buffer need not be NUL-terminated: only len bytes are read. */
	doc = wjson_parse("[1,2]garbage", 5, NULL, err, sizeof err);
	assert_non_null(doc);
	dump = wjson_dump(doc);
	assert_string_equal(dump, "[1,2]");
	free(dump);
	json_decref(doc);
}

static void
test_parse_size_limit(void **state)
{
	struct wjson_limits	 limits = { 10, 32, 100 };
	char			 err[256];
	json_t			*doc;
	const char		*msg;

	(void)state;
	doc = parse("[1,2,3,44]", &limits, err, sizeof err);	/* 10 bytes */
	assert_non_null(doc);
	json_decref(doc);
	msg = parse_fails("[1,2,3,444]", &limits);
	assert_string_equal(msg, "document is 11 bytes, limit 10");

	/* Refused on length alone, before anything reads the bytes. */
	err[0] = '\0';
	assert_null(wjson_parse(NULL, (size_t)10 * 1024 * 1024, NULL, err,
	    sizeof err));
	assert_string_equal(err, "document is 10485760 bytes, limit 1048576");
}

static void
test_parse_depth_limit(void **state)
{
	struct wjson_limits	 limits = { 1024 * 1024, 4, 100 };
	char			 err[256];
	json_t			*doc;
	char			*s;

	(void)state;
	doc = parse("[{\"a\":[{\"b\":1}]}]", &limits, err, sizeof err);
	assert_non_null(doc);
	json_decref(doc);
	assert_string_equal(parse_fails("[{\"a\":[{\"b\":[1]}]}]", &limits),
	    "nesting deeper than 4 at byte 12");

	/* Siblings do not add up: depth goes down again after each close. */
	doc = parse("[[[[1]]],[[[2]]],[[[3]]]]", &limits, err, sizeof err);
	assert_non_null(doc);
	json_decref(doc);

	/* Exactly the default limit is fine, one more is not. */
	s = xmalloc(100);
	snprintf(s, 100, "%.*s%.*s", 32, "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
	    32, "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
	doc = parse(s, NULL, err, sizeof err);
	assert_non_null(doc);
	json_decref(doc);
	snprintf(s, 100, "%.*s%.*s", 33, "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
	    33, "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
	assert_string_equal(parse_fails(s, NULL),
	    "nesting deeper than 32 at byte 32");
	free(s);

	/* Far deeper than jansson or a stack would like: refused early. */
	s = repeat("[", 100000);
	assert_string_equal(parse_fails(s, NULL),
	    "nesting deeper than 32 at byte 32");
	free(s);
	s = repeat("{\"k\":", 100000);
	assert_string_equal(parse_fails(s, NULL),
	    "nesting deeper than 32 at byte 160");
	free(s);
}

static void
test_parse_brackets_in_strings(void **state)
{
	struct wjson_limits	 limits = { 1024 * 1024, 2, 100 };
	char			 err[256];
	json_t			*doc;

	(void)state;
	doc = parse("{\"k[[[[\": \"[[[[{{{{\"}", &limits, err, sizeof err);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "k[[[[")),
	    "[[[[{{{{");
	json_decref(doc);

	/* An escaped quote does not end the string, so these stay inside. */
	doc = parse("[\"a\\\"[[[[\", \"\\\\\"]", &limits, err, sizeof err);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_array_get(doc, 0)),
	    "a\"[[[[");
	assert_string_equal(json_string_value(json_array_get(doc, 1)), "\\");
	json_decref(doc);

	/*
	 * After "\\\\" the string ends, so the brackets that follow count;
	 * a scanner that took \\" as an escaped quote would miss them.
	 */
	assert_string_equal(parse_fails("[\"\\\\\",[[1]]]", &limits),
	    "nesting deeper than 2 at byte 7");
}

static void
test_parse_string_limit(void **state)
{
	struct wjson_limits	 limits = { 1024 * 1024, 32, 8 };
	char			 err[256];
	json_t			*doc;

	(void)state;
	doc = parse("{\"12345678\": \"abcdefgh\"}", &limits, err, sizeof err);
	assert_non_null(doc);
	json_decref(doc);
	assert_string_equal(parse_fails("[\"ok\", \"abcdefghi\"]", &limits),
	    "string at byte 7 is longer than 8 bytes");
	assert_string_equal(parse_fails("{\"123456789\": 1}", &limits),
	    "string at byte 1 is longer than 8 bytes");

	/* Limits are on decoded bytes: 8 escapes of one byte each pass... */
	doc = parse("[\"\\n\\t\\u0041\\u0042\\\\\\\"\\/\\r\"]", &limits, err,
	    sizeof err);
	assert_non_null(doc);
	assert_int_equal(json_string_length(json_array_get(doc, 0)), 8);
	json_decref(doc);
	/* ...and "\u00e9" is two bytes, a surrogate pair four. */
	doc = parse("[\"\\u00e9\\u00e9\\ud83d\\ude00\"]", &limits, err,
	    sizeof err);
	assert_non_null(doc);
	assert_int_equal(json_string_length(json_array_get(doc, 0)), 8);
	json_decref(doc);
	assert_string_equal(parse_fails("[\"x\\u00e9\\u00e9\\ud83d\\ude00\"]",
	    &limits), "string at byte 1 is longer than 8 bytes");
}

static void
test_parse_rejects(void **state)
{
	const char	*msg;

	(void)state;
	msg = parse_fails("{\"a\": 1, \"a\": 2}", NULL);
	assert_contains(msg, "line 1 column");
	assert_contains(msg, "duplicate object key");

	/* Invalid UTF-8: a lone continuation byte and an overlong form. */
	msg = parse_fails("[\"a\x80z\"]", NULL);
	assert_string_equal(msg,
	    "line 1 column 3: unable to decode byte 0x80 near '\"a'");
	assert_contains(parse_fails("[\"\xc0\xaf\"]", NULL),
	    "unable to decode byte 0xc0");
	/* A UTF-16 surrogate encoded as UTF-8 is not valid UTF-8. */
	assert_contains(parse_fails("[\"\xed\xa0\x80\"]", NULL),
	    "unable to decode byte 0xed");
	/* A lone surrogate escape: the message keeps its backslash. */
	assert_contains(parse_fails("[\"a\\ud800\"]", NULL),
	    "invalid Unicode '\\uD800'");

	msg = parse_fails("{\"k\": \"a\\u0000b\"}", NULL);
	assert_contains(msg, "\\u0000 is not allowed");

	msg = parse_fails("{\"a\": 1} x", NULL);
	assert_string_equal(msg,
	    "line 1 column 10: end of file expected near 'x'");

	msg = parse_fails("{\"a\": [1, 2", NULL);
	assert_string_equal(msg,
	    "line 1 column 11: ']' expected near end of file");

	msg = parse_fails("{\n  \"a\": 1,\n  \"b\": tru\n}", NULL);
	assert_string_equal(msg, "line 3 column 10: invalid token near 'tru'");

	msg = parse_fails("", NULL);
	assert_string_equal(msg,
	    "line 1 column 0: unexpected token near end of file");

	/* A raw control byte in a string is refused and shown escaped. */
	msg = parse_fails("[\"a\x01\"]", NULL);
	assert_string_equal(msg,
	    "line 1 column 3: control character 0x1 near '\"a'");
	/* A token jansson quotes back is escaped before it reaches a log. */
	msg = parse_fails("[\"a\\\x1b[2J\"]", NULL);
	assert_string_equal(msg,
	    "line 1 column 5: invalid escape near '\"a\\\\x1b'");
	assert_not_contains(msg, "\x1b");
}

static void
test_parse_embedded_nul(void **state)
{
	const char	 doc[] = "{\"a\": \"x\0y\"}";
	char		 err[256];

	(void)state;
	err[0] = '\0';
	assert_null(wjson_parse(doc, sizeof doc - 1, NULL, err, sizeof err));
	assert_contains(err, "line 1 column");
}

static json_t *
sample(void)
{
	char	 err[256];
	json_t	*doc;

	doc = parse("{\"name\": \"pc-01\", \"seq\": 12, \"neg\": -5,"
	    " \"big\": 9223372036854775807, \"ratio\": 1.5, \"whole\": 2.0,"
	    " \"numstr\": \"12\", \"up\": true, \"down\": false, \"nil\": null,"
	    " \"host\": {\"os\": \"linux\"}, \"disks\": [1, 2]}",
	    NULL, err, sizeof err);
	if (doc == NULL)
		fail_msg("sample: %s", err);
	return doc;
}

static void
test_get_string(void **state)
{
	json_t		*doc = sample();
	const char	*s = "untouched";
	char		 err[256];

	(void)state;
	assert_int_equal(wjson_get_string(doc, "report", "name", 1, &s, err,
	    sizeof err), 0);
	assert_string_equal(s, "pc-01");

	assert_int_equal(wjson_get_string(doc, "report", "seq", 1, &s, err,
	    sizeof err), -1);
	assert_string_equal(err, "report.seq: expected a string, got integer");

	assert_int_equal(wjson_get_string(doc, "report.host", "missing", 1,
	    &s, err, sizeof err), -1);
	assert_string_equal(err, "report.host.missing: missing");

	s = "untouched";
	assert_int_equal(wjson_get_string(doc, "report", "missing", 0, &s, err,
	    sizeof err), 1);
	assert_int_equal(wjson_get_string(doc, "report", "nil", 0, &s, err,
	    sizeof err), 1);
	assert_string_equal(s, "untouched");

	/* A required null names what it is. */
	assert_int_equal(wjson_get_string(doc, "report", "nil", 1, &s, err,
	    sizeof err), -1);
	assert_string_equal(err, "report.nil: expected a string, got null");

	/* No path: the key alone. */
	assert_int_equal(wjson_get_string(doc, NULL, "up", 1, &s, err,
	    sizeof err), -1);
	assert_string_equal(err, "up: expected a string, got boolean");
	assert_int_equal(wjson_get_string(doc, "", "disks", 1, &s, err,
	    sizeof err), -1);
	assert_string_equal(err, "disks: expected a string, got array");

	/* Not an object at all. */
	assert_int_equal(wjson_get_string(json_object_get(doc, "disks"),
	    "report.disks", "x", 1, &s, err, sizeof err), -1);
	assert_string_equal(err, "report.disks: expected an object, got array");
	assert_int_equal(wjson_get_string(NULL, "report", "x", 0, &s, err,
	    sizeof err), -1);
	assert_string_equal(err, "report: expected an object, got nothing");
	json_decref(doc);
}

static void
test_get_int(void **state)
{
	json_t	*doc = sample();
	int64_t	 n = -99;
	char	 err[256];

	(void)state;
	assert_int_equal(wjson_get_int(doc, "report", "seq", 1, 0, 100, &n,
	    err, sizeof err), 0);
	assert_int_equal(n, 12);
	assert_int_equal(wjson_get_int(doc, "report", "big", 1, 0, INT64_MAX,
	    &n, err, sizeof err), 0);
	assert_true(n == INT64_MAX);

	/* Bounds are inclusive. */
	assert_int_equal(wjson_get_int(doc, "report", "seq", 1, 12, 12, &n,
	    err, sizeof err), 0);
	assert_int_equal(wjson_get_int(doc, "report", "seq", 1, 0, 11, &n,
	    err, sizeof err), -1);
	assert_string_equal(err, "report.seq: 12 is out of range (0..11)");
	assert_int_equal(wjson_get_int(doc, "report", "neg", 1, 0, INT64_MAX,
	    &n, err, sizeof err), -1);
	assert_string_equal(err,
	    "report.neg: -5 is out of range (0..9223372036854775807)");

	/* Reals, even whole ones, and numeric strings are not integers. */
	assert_int_equal(wjson_get_int(doc, "report", "ratio", 1, 0, 100, &n,
	    err, sizeof err), -1);
	assert_string_equal(err, "report.ratio: expected an integer, got real");
	assert_int_equal(wjson_get_int(doc, "report", "whole", 1, 0, 100, &n,
	    err, sizeof err), -1);
	assert_string_equal(err, "report.whole: expected an integer, got real");
	assert_int_equal(wjson_get_int(doc, "report", "numstr", 1, 0, 100, &n,
	    err, sizeof err), -1);
	assert_string_equal(err,
	    "report.numstr: expected an integer, got string");

	assert_int_equal(wjson_get_int(doc, "report", "nope", 1, 0, 100, &n,
	    err, sizeof err), -1);
	assert_string_equal(err, "report.nope: missing");
	n = -99;
	assert_int_equal(wjson_get_int(doc, "report", "nope", 0, 0, 100, &n,
	    err, sizeof err), 1);
	assert_int_equal(wjson_get_int(doc, "report", "nil", 0, 0, 100, &n,
	    err, sizeof err), 1);
	assert_int_equal(n, -99);
	json_decref(doc);
}

static void
test_get_number(void **state)
{
	json_t	*doc = sample();
	double	 d = -1;
	char	 err[256];

	(void)state;
	assert_int_equal(wjson_get_number(doc, "r", "ratio", 1, &d, err,
	    sizeof err), 0);
	assert_true(d == 1.5);
	assert_int_equal(wjson_get_number(doc, "r", "seq", 1, &d, err,
	    sizeof err), 0);
	assert_true(d == 12.0);
	assert_int_equal(wjson_get_number(doc, "r", "numstr", 1, &d, err,
	    sizeof err), -1);
	assert_string_equal(err, "r.numstr: expected a number, got string");
	assert_int_equal(wjson_get_number(doc, "r", "nope", 1, &d, err,
	    sizeof err), -1);
	assert_string_equal(err, "r.nope: missing");
	d = -1;
	assert_int_equal(wjson_get_number(doc, "r", "nope", 0, &d, err,
	    sizeof err), 1);
	assert_int_equal(wjson_get_number(doc, "r", "nil", 0, &d, err,
	    sizeof err), 1);
	assert_true(d == -1);
	json_decref(doc);
}

static void
test_get_bool(void **state)
{
	json_t	*doc = sample();
	int	 b = -1;
	char	 err[256];

	(void)state;
	assert_int_equal(wjson_get_bool(doc, "r", "up", 1, &b, err,
	    sizeof err), 0);
	assert_int_equal(b, 1);
	assert_int_equal(wjson_get_bool(doc, "r", "down", 1, &b, err,
	    sizeof err), 0);
	assert_int_equal(b, 0);
	assert_int_equal(wjson_get_bool(doc, "r", "seq", 1, &b, err,
	    sizeof err), -1);
	assert_string_equal(err, "r.seq: expected a boolean, got integer");
	assert_int_equal(wjson_get_bool(doc, "r", "nope", 1, &b, err,
	    sizeof err), -1);
	assert_string_equal(err, "r.nope: missing");
	b = -1;
	assert_int_equal(wjson_get_bool(doc, "r", "nope", 0, &b, err,
	    sizeof err), 1);
	assert_int_equal(wjson_get_bool(doc, "r", "nil", 0, &b, err,
	    sizeof err), 1);
	assert_int_equal(b, -1);
	json_decref(doc);
}

static void
test_get_object_array(void **state)
{
	json_t		*doc = sample(), *o = NULL, *a = NULL;
	const char	*s;
	char		 err[256];

	(void)state;
	assert_int_equal(wjson_get_object(doc, "report", "host", 1, &o, err,
	    sizeof err), 0);
	assert_ptr_equal(o, json_object_get(doc, "host"));
	assert_int_equal(wjson_get_string(o, "report.host", "os", 1, &s, err,
	    sizeof err), 0);
	assert_string_equal(s, "linux");
	assert_int_equal(wjson_get_object(doc, "report", "disks", 1, &o, err,
	    sizeof err), -1);
	assert_string_equal(err, "report.disks: expected an object, got array");
	assert_int_equal(wjson_get_object(doc, "report", "nope", 1, &o, err,
	    sizeof err), -1);
	assert_string_equal(err, "report.nope: missing");
	o = NULL;
	assert_int_equal(wjson_get_object(doc, "report", "nope", 0, &o, err,
	    sizeof err), 1);
	assert_int_equal(wjson_get_object(doc, "report", "nil", 0, &o, err,
	    sizeof err), 1);
	assert_null(o);

	assert_int_equal(wjson_get_array(doc, "report", "disks", 1, &a, err,
	    sizeof err), 0);
	assert_int_equal(json_array_size(a), 2);
	assert_int_equal(wjson_get_array(doc, "report", "host", 1, &a, err,
	    sizeof err), -1);
	assert_string_equal(err, "report.host: expected an array, got object");
	assert_int_equal(wjson_get_array(doc, "report", "nope", 1, &a, err,
	    sizeof err), -1);
	assert_string_equal(err, "report.nope: missing");
	a = NULL;
	assert_int_equal(wjson_get_array(doc, "report", "nope", 0, &a, err,
	    sizeof err), 1);
	assert_int_equal(wjson_get_array(doc, "report", "nil", 0, &a, err,
	    sizeof err), 1);
	assert_null(a);
	json_decref(doc);
}

static void
test_get_hostile_key(void **state)
{
	json_t		*doc;
	const char	*s;
	char		 err[512];
	char		*longkey;

	(void)state;
	doc = json_pack("{s:i}", "evil\x1b[2J\n", 1);
	assert_non_null(doc);
	assert_int_equal(wjson_get_string(doc, "report", "evil\x1b[2J\n", 1,
	    &s, err, sizeof err), -1);
	assert_string_equal(err,
	    "report.evil\\x1b[2J\\x0a: expected a string, got integer");
	assert_int_equal(wjson_get_string(doc, "rep\x07ort", "gone\r", 1, &s,
	    err, sizeof err), -1);
	assert_string_equal(err, "rep\\x07ort.gone\\x0d: missing");
	json_decref(doc);

	/* A huge key is cut short, not allowed to crowd out the reason. */
	longkey = repeat("k", 5000);
	doc = json_object();
	assert_int_equal(wjson_get_string(doc, "report", longkey, 1, &s, err,
	    sizeof err), -1);
	assert_contains(err, "...: missing");
	assert_true(strlen(err) < 300);
	free(longkey);
	json_decref(doc);
}

static void
test_type_name_and_dump(void **state)
{
	json_t	*v;
	char	*s;

	(void)state;
	assert_string_equal(wjson_type_name(NULL), "nothing");
	v = json_object();
	assert_string_equal(wjson_type_name(v), "object");
	json_object_set_new(v, "b", json_integer(2));
	json_object_set_new(v, "a", json_string("\xc3\xa9\n"));
	s = wjson_dump(v);
	/* Compact, insertion order, UTF-8 kept, control bytes escaped. */
	assert_string_equal(s, "{\"b\":2,\"a\":\"\xc3\xa9\\n\"}");
	free(s);
	json_decref(v);

	v = json_array();
	assert_string_equal(wjson_type_name(v), "array");
	json_decref(v);
	v = json_string("x");
	assert_string_equal(wjson_type_name(v), "string");
	s = wjson_dump(v);
	assert_string_equal(s, "\"x\"");
	free(s);
	json_decref(v);
	v = json_integer(-3);
	assert_string_equal(wjson_type_name(v), "integer");
	s = wjson_dump(v);
	assert_string_equal(s, "-3");
	free(s);
	json_decref(v);
	v = json_real(0.25);
	assert_string_equal(wjson_type_name(v), "real");
	json_decref(v);
	assert_string_equal(wjson_type_name(json_true()), "boolean");
	assert_string_equal(wjson_type_name(json_false()), "boolean");
	assert_string_equal(wjson_type_name(json_null()), "null");

	s = wjson_dump(NULL);
	assert_string_equal(s, "null");
	free(s);
	s = wjson_dump(json_true());
	assert_string_equal(s, "true");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_size_limit),
		cmocka_unit_test(test_parse_depth_limit),
		cmocka_unit_test(test_parse_brackets_in_strings),
		cmocka_unit_test(test_parse_string_limit),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_parse_embedded_nul),
		cmocka_unit_test(test_get_string),
		cmocka_unit_test(test_get_int),
		cmocka_unit_test(test_get_number),
		cmocka_unit_test(test_get_bool),
		cmocka_unit_test(test_get_object_array),
		cmocka_unit_test(test_get_hostile_key),
		cmocka_unit_test(test_type_name_and_dump),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
