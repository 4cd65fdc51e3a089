/* test_str.c: string helpers: bounded copies, trimming, str_vis on hostile
 * input at every buffer size, and the strict number/size/duration parsers. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

#include "common/str.h"
#include "tests/unit/testutil.h"

static void
test_str_copy(void **state)
{
	char	 d[8];

	(void)state;
	assert_int_equal(str_copy(d, "hello", sizeof d), 5);
	assert_string_equal(d, "hello");
	assert_int_equal(str_copy(d, "1234567", sizeof d), 7);
	assert_string_equal(d, "1234567");
	assert_int_equal(str_copy(d, "12345678", sizeof d), 8);
	assert_string_equal(d, "1234567");
	assert_int_equal(str_copy(d, "helloworld", sizeof d), 10);
	assert_string_equal(d, "hellowo");
	assert_int_equal(str_copy(d, "", sizeof d), 0);
	assert_string_equal(d, "");
	assert_int_equal(str_copy(d, "abc", 1), 3);
	assert_string_equal(d, "");
	memset(d, 'X', sizeof d);
	assert_int_equal(str_copy(d, "abc", 0), 3);
	assert_int_equal(d[0], 'X');
}

static void
test_str_append(void **state)
{
	char	 d[8];

	(void)state;
	str_copy(d, "ab", sizeof d);
	assert_int_equal(str_append(d, "cde", sizeof d), 5);
	assert_string_equal(d, "abcde");
	assert_int_equal(str_append(d, "fg", sizeof d), 7);
	assert_string_equal(d, "abcdefg");
	assert_int_equal(str_append(d, "h", sizeof d), 8);
	assert_string_equal(d, "abcdefg");

	str_copy(d, "ab", sizeof d);
	assert_int_equal(str_append(d, "cdefghij", sizeof d), 10);
	assert_string_equal(d, "abcdefg");
	assert_int_equal(str_append(d, "", sizeof d), 7);

	/* No NUL within size: like strlcat, size + strlen(src), untouched. */
	memset(d, 'x', sizeof d);
	assert_int_equal(str_append(d, "abc", 4), 7);
	assert_memory_equal(d, "xxxxxxxx", 8);
	assert_int_equal(str_append(d, "abc", 0), 3);
	assert_memory_equal(d, "xxxxxxxx", 8);
}

static void
test_str_trim(void **state)
{
	char	 s[32];

	(void)state;
	str_copy(s, "  a b \t\r\n", sizeof s);
	assert_ptr_equal(str_trim(s), s);
	assert_string_equal(s, "a b");
	str_copy(s, "abc", sizeof s);
	assert_string_equal(str_trim(s), "abc");
	str_copy(s, "", sizeof s);
	assert_string_equal(str_trim(s), "");
	str_copy(s, " \t \n", sizeof s);
	assert_string_equal(str_trim(s), "");
	str_copy(s, "\tx", sizeof s);
	assert_string_equal(str_trim(s), "x");
	str_copy(s, "x\v", sizeof s);
	assert_string_equal(str_trim(s), "x");
	/* Non-ASCII bytes are not whitespace. */
	str_copy(s, " \xc2\xa0x\xc2\xa0 ", sizeof s);
	assert_string_equal(str_trim(s), "\xc2\xa0x\xc2\xa0");
}

static void
test_str_prefix_suffix(void **state)
{
	(void)state;
	assert_true(str_has_prefix("foobar", "foo"));
	assert_true(str_has_prefix("foo", "foo"));
	assert_true(str_has_prefix("foo", ""));
	assert_false(str_has_prefix("foo", "foobar"));
	assert_false(str_has_prefix("foobar", "bar"));
	assert_false(str_has_prefix("", "a"));
	assert_true(str_has_suffix("foobar", "bar"));
	assert_true(str_has_suffix("bar", "bar"));
	assert_true(str_has_suffix("bar", ""));
	assert_false(str_has_suffix("ar", "bar"));
	assert_false(str_has_suffix("foobar", "foo"));
	assert_false(str_has_suffix("", "x"));
	assert_true(str_eq_nocase("ABC", "abc"));
	assert_true(str_eq_nocase("", ""));
	assert_false(str_eq_nocase("abc", "abd"));
	assert_false(str_eq_nocase("abc", "ab"));
}

/* str_vis into a roomy buffer. */
static void
assert_vis(const char *in, const char *want)
{
	char	 dst[256];

	assert_ptr_equal(str_vis(dst, sizeof dst, in), dst);
	assert_string_equal(dst, want);
}

static void
test_str_vis_plain(void **state)
{
	(void)state;
	assert_vis("", "");
	assert_vis("hello world", "hello world");
	assert_vis("~!@#$%^&*()_+{}|:\"<>?`-=[];',./", 
	    "~!@#$%^&*()_+{}|:\"<>?`-=[];',./");
	/* Valid UTF-8 of every length is kept. */
	assert_vis("Zo\xc3\xab", "Zo\xc3\xab");
	assert_vis("\xe6\x9d\xb1\xe4\xba\xac", "\xe6\x9d\xb1\xe4\xba\xac");
	assert_vis("\xf0\x9f\x98\x80!", "\xf0\x9f\x98\x80!");
	/* U+00A0 is the first code point after the C1 block. */
	assert_vis("\xc2\xa0", "\xc2\xa0");
}

static void
test_str_vis_controls(void **state)
{
	(void)state;
	assert_vis("a\nb", "a\\x0ab");
	assert_vis("\r", "\\x0d");
	assert_vis("\t", "\\x09");
	assert_vis("\x01\x1f", "\\x01\\x1f");
	assert_vis("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m");
	assert_vis("\x1b]0;title\x07", "\\x1b]0;title\\x07");
	assert_vis("del\x7f", "del\\x7f");
	/* A backslash is escaped so an escape in the output is unambiguous. */
	assert_vis("a\\b", "a\\x5cb");
	assert_vis("\\x41", "\\x5cx41");
	/* C1 controls (U+0080..U+009F) act like escapes in some terminals. */
	assert_vis("\xc2\x85", "\\xc2\\x85");
	assert_vis("x\xc2\x80y", "x\\xc2\\x80y");
	assert_vis("\xc2\x9b" "31m", "\\xc2\\x9b" "31m");
	assert_vis("\xc2\x9f", "\\xc2\\x9f");
}

static void
test_str_vis_invalid_utf8(void **state)
{
	(void)state;
	assert_vis("\xff", "\\xff");
	assert_vis("a\xfe" "b", "a\\xfe" "b");
	/* Truncated sequences, at the end and followed by more text. */
	assert_vis("\xe6\x9d", "\\xe6\\x9d");
	assert_vis("\xe6\x9d" "A", "\\xe6\\x9d" "A");
	assert_vis("\xc3", "\\xc3");
	assert_vis("\xf0\x9f\x98", "\\xf0\\x9f\\x98");
	/* A lone continuation byte. */
	assert_vis("\x80", "\\x80");
	assert_vis("\xab" "c", "\\xab" "c");
	/* Overlong encodings (of '/' and NUL). */
	assert_vis("\xc0\xaf", "\\xc0\\xaf");
	assert_vis("\xc1\xbf", "\\xc1\\xbf");
	assert_vis("\xe0\x80\xaf", "\\xe0\\x80\\xaf");
	assert_vis("\xc0\x80", "\\xc0\\x80");
	/* UTF-16 surrogates and code points past U+10FFFF. */
	assert_vis("\xed\xa0\x80", "\\xed\\xa0\\x80");
	assert_vis("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
}

/* How long the display unit starting at s is in str_vis output: an escape,
 * or one UTF-8 character (inputs here have no C1 controls). */
static size_t
vis_unit_len(const char *s)
{
	unsigned char	 c = (unsigned char)s[0];

	if (c == '\\')
		return 4;
	if (c < 0x80)
		return 1;
	if (c >= 0xf0)
		return 4;
	if (c >= 0xe0)
		return 3;
	return 2;
}

/*
 * Every size from 0 up: the output fits (ASan checks the exact-size heap
 * buffer), and when truncated it is the longest whole-unit prefix of the
 * full output that leaves room for "...". The buffer starts full of a
 * UTF-8 continuation byte so nothing may depend on its old contents.
 */
static void
check_vis_all_sizes(const char *in)
{
	char	 full[1024], *dst;
	size_t	 fulllen, size, b, limit;

	str_vis(full, sizeof full, in);
	fulllen = strlen(full);
	assert_true(fulllen + 1 < sizeof full);
	for (size = 0; size <= fulllen + 2; size++) {
		dst = malloc(size > 0 ? size : 1);
		assert_non_null(dst);
		memset(dst, 0xaa, size > 0 ? size : 1);
		assert_ptr_equal(str_vis(dst, size, in), dst);
		if (size == 0) {
			assert_int_equal((unsigned char)dst[0], 0xaa);
			free(dst);
			continue;
		}
		if (fulllen < size) {
			assert_string_equal(dst, full);
			free(dst);
			continue;
		}
		limit = size >= 4 ? size - 4 : size - 1;
		b = 0;
		while (b < fulllen && b + vis_unit_len(full + b) <= limit)
			b += vis_unit_len(full + b);
		if (size >= 4) {
			assert_int_equal(strlen(dst), b + 3);
			assert_memory_equal(dst, full, b);
			assert_string_equal(dst + b, "...");
		} else {
			assert_int_equal(strlen(dst), b);
			assert_memory_equal(dst, full, b);
		}
		free(dst);
	}
}

static void
test_str_vis_truncation_sweep(void **state)
{
	(void)state;
	check_vis_all_sizes("abcdefghij");
	check_vis_all_sizes("\xe6\x9d\xb1\xe4\xba\xac\xe9\x83\xbd");
	check_vis_all_sizes("Zo\xc3\xab \xe6\x9d\xb1 \xf0\x9f\x98\x80 end");
	check_vis_all_sizes("\x01\x02\x03\x04");
	check_vis_all_sizes("a\nb\\c\x1b[0m\xff\xe6\x9d");
	check_vis_all_sizes("\xf0\x9f\x98\x80\xf0\x9f\x98\x80\x7f\xc3\xab");
	check_vis_all_sizes("\xc0\xaf\xc3\xab\xc3\xab\xc3\xab x");
}

static void
test_str_vis_truncation_exact(void **state)
{
	char	 d[16];

	(void)state;
	assert_string_equal(str_vis(d, 1, "abc"), "");
	assert_string_equal(str_vis(d, 2, "abc"), "a");
	assert_string_equal(str_vis(d, 3, "abc"), "ab");
	assert_string_equal(str_vis(d, 4, "abc"), "abc");
	assert_string_equal(str_vis(d, 4, "abcd"), "...");
	assert_string_equal(str_vis(d, 5, "abcdef"), "a...");
	assert_string_equal(str_vis(d, 6, "abcdef"), "ab...");
	assert_string_equal(str_vis(d, 7, "abcdef"), "abcdef");
	/* Never half a character before the dots... */
	assert_string_equal(str_vis(d, 8, "\xe6\x9d\xb1\xe4\xba\xac\xe9\x83\xbd"),
	    "\xe6\x9d\xb1...");
	assert_string_equal(str_vis(d, 6, "\xe6\x9d\xb1\xe4\xba\xac"), "...");
	assert_string_equal(str_vis(d, 3, "\xe6\x9d\xb1"), "");
	assert_string_equal(str_vis(d, 3, "\xc3\xab" "b"), "\xc3\xab");
	/* ...nor half an escape. */
	assert_string_equal(str_vis(d, 7, "\x01\x02"), "...");
	assert_string_equal(str_vis(d, 8, "\x01\x02"), "\\x01...");
	assert_string_equal(str_vis(d, 9, "\x01\x02"), "\\x01\\x02");
	assert_string_equal(str_vis(d, 3, "\x01"), "");
	/* A C1 control's two escapes stay together. */
	assert_string_equal(str_vis(d, 10, "a\xc2\x85" "b"), "a...");
	assert_string_equal(str_vis(d, 11, "a\xc2\x85" "b"), "a\\xc2\\x85b");
	assert_string_equal(str_vis(d, 12, "a\xc2\x85" "bcdef"), "a...");
	assert_string_equal(str_vis(d, 13, "a\xc2\x85" "bcdef"),
	    "a\\xc2\\x85...");
}

static void
test_str_vis_ignores_old_contents(void **state)
{
	char	 d[6];

	(void)state;
	/* Leftover bytes in dst that look like UTF-8 continuation bytes must
	 * not make it cut more than needed. */
	memset(d, 0x80, sizeof d);
	assert_string_equal(str_vis(d, sizeof d, "ab\x01"), "ab...");
	memset(d, 0xbf, sizeof d);
	assert_string_equal(str_vis(d, sizeof d, "\xc3\xab\x01"),
	    "\xc3\xab...");
}

static void
test_str_parse_int64(void **state)
{
	char	 err[256];
	int64_t	 v;

	(void)state;
	assert_int_equal(str_parse_int64("42", 0, 100, &v, err, sizeof err), 0);
	assert_int_equal(v, 42);
	assert_int_equal(str_parse_int64("-7", -10, 10, &v, err, sizeof err),
	    0);
	assert_int_equal(v, -7);
	assert_int_equal(str_parse_int64("+7", -10, 10, &v, err, sizeof err),
	    0);
	assert_int_equal(v, 7);
	assert_int_equal(str_parse_int64("0", 0, 0, &v, err, sizeof err), 0);
	assert_int_equal(v, 0);
	assert_int_equal(str_parse_int64("007", 0, 10, &v, err, sizeof err),
	    0);
	assert_int_equal(v, 7);
	assert_int_equal(str_parse_int64("9223372036854775807", INT64_MIN,
	    INT64_MAX, &v, err, sizeof err), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(str_parse_int64("-9223372036854775808", INT64_MIN,
	    INT64_MAX, &v, err, sizeof err), 0);
	assert_true(v == INT64_MIN);
	/* Bounds are inclusive. */
	assert_int_equal(str_parse_int64("1", 1, 65535, &v, err, sizeof err),
	    0);
	assert_int_equal(str_parse_int64("65535", 1, 65535, &v, err,
	    sizeof err), 0);
	assert_int_equal(v, 65535);
}

static void
assert_int64_fails(const char *in, int64_t min, int64_t max,
    const char *want_err)
{
	char	 err[256];
	int64_t	 v = 12345;

	err[0] = '\0';
	assert_int_equal(str_parse_int64(in, min, max, &v, err, sizeof err),
	    -1);
	assert_string_equal(err, want_err);
	assert_int_equal(v, 12345);
}

static void
test_str_parse_int64_errors(void **state)
{
	(void)state;
	assert_int64_fails("", 0, 10, "\"\": not an integer");
	assert_int64_fails(" 5", 0, 10, "\" 5\": not an integer");
	assert_int64_fails("5 ", 0, 10, "\"5 \": not an integer");
	assert_int64_fails("\t5", 0, 10, "\"\\x095\": not an integer");
	assert_int64_fails("5\n", 0, 10, "\"5\\x0a\": not an integer");
	assert_int64_fails("5x", 0, 10, "\"5x\": not an integer");
	assert_int64_fails("0x10", 0, 100, "\"0x10\": not an integer");
	assert_int64_fails("1.5", 0, 10, "\"1.5\": not an integer");
	assert_int64_fails("1e3", 0, 10000, "\"1e3\": not an integer");
	assert_int64_fails("-", 0, 10, "\"-\": not an integer");
	assert_int64_fails("+", 0, 10, "\"+\": not an integer");
	assert_int64_fails("- 5", -10, 10, "\"- 5\": not an integer");
	assert_int64_fails("--5", -10, 10, "\"--5\": not an integer");
	assert_int64_fails("70000", 1, 65535,
	    "\"70000\": out of range (1..65535)");
	assert_int64_fails("0", 1, 65535, "\"0\": out of range (1..65535)");
	assert_int64_fails("-1", 0, 10, "\"-1\": out of range (0..10)");
	assert_int64_fails("9223372036854775808", INT64_MIN, INT64_MAX,
	    "\"9223372036854775808\": out of range "
	    "(-9223372036854775808..9223372036854775807)");
	assert_int64_fails("-9223372036854775809", INT64_MIN, INT64_MAX,
	    "\"-9223372036854775809\": out of range "
	    "(-9223372036854775808..9223372036854775807)");
	assert_int64_fails("99999999999999999999999", 0, 10,
	    "\"99999999999999999999999\": out of range (0..10)");
}

static void
test_str_parse_int64_long_input(void **state)
{
	char	 in[400], err[64];
	int64_t	 v;

	(void)state;
	/* A long hostile value is shown shortened; err is never overrun. */
	memset(in, 'z', sizeof in - 1);
	in[sizeof in - 1] = '\0';
	assert_int_equal(str_parse_int64(in, 0, 10, &v, err, sizeof err), -1);
	assert_true(strlen(err) < sizeof err);
	assert_true(str_has_prefix(err, "\"zzzz"));
	assert_int_equal(str_parse_int64(in, 0, 10, &v, err, 1), -1);
	assert_string_equal(err, "");
}

static void
test_str_parse_bool(void **state)
{
	static const char *const yes[] = { "yes", "YES", "Yes", "true",
	    "TRUE", "on", "On", "1" };
	static const char *const no[] = { "no", "NO", "false", "False",
	    "off", "OFF", "0" };
	static const char *const bad[] = { "", "y", "n", "2", "yess", " yes",
	    "yes ", "nope", "enabled", "-1", "01" };
	char	 err[256];
	size_t	 i;
	int	 v;

	(void)state;
	for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		v = -1;
		assert_int_equal(str_parse_bool(yes[i], &v, err, sizeof err),
		    0);
		assert_int_equal(v, 1);
	}
	for (i = 0; i < sizeof no / sizeof no[0]; i++) {
		v = -1;
		assert_int_equal(str_parse_bool(no[i], &v, err, sizeof err),
		    0);
		assert_int_equal(v, 0);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		v = -1;
		assert_int_equal(str_parse_bool(bad[i], &v, err, sizeof err),
		    -1);
		assert_int_equal(v, -1);
		assert_contains(err, "not a boolean (use yes or no)");
	}
	str_parse_bool("maybe", &v, err, sizeof err);
	assert_string_equal(err, "\"maybe\": not a boolean (use yes or no)");
}

static void
assert_duration(const char *in, int64_t want)
{
	char	 err[256];
	int64_t	 v = -12345;

	err[0] = '\0';
	if (str_parse_duration_ms(in, &v, err, sizeof err) != 0)
		fail_msg("\"%s\": %s", in, err);
	assert_true(v == want);
}

static void
assert_duration_fails(const char *in, const char *want_err)
{
	char	 err[256];
	int64_t	 v = -12345;

	assert_int_equal(str_parse_duration_ms(in, &v, err, sizeof err), -1);
	assert_true(v == -12345);
	assert_string_equal(err, want_err);
}

static void
test_str_parse_duration(void **state)
{
	(void)state;
	assert_duration("500ms", 500);
	assert_duration("1500ms", 1500);
	assert_duration("0ms", 0);
	assert_duration("90", 90000);
	assert_duration("0", 0);
	assert_duration("90s", 90000);
	assert_duration("0s", 0);
	assert_duration("5m", 300000);
	assert_duration("2h", 7200000);
	assert_duration("7d", 604800000);
	assert_duration("1w", 604800000);
	assert_duration("2w", 1209600000);
	assert_duration("9223372036854775807ms", INT64_MAX);
	assert_duration("9223372036854775s", INT64_C(9223372036854775000));
	assert_duration("15250284452w", INT64_C(15250284452) * 604800000);
}

static void
test_str_parse_duration_errors(void **state)
{
	(void)state;
	assert_duration_fails("5x", "\"5x\": not a duration (use e.g. 500ms, "
	    "90s, 5m, 2h, 7d)");
	assert_duration_fails("", "\"\": not a duration (use e.g. 500ms, "
	    "90s, 5m, 2h, 7d)");
	assert_duration_fails("-5s", "\"-5s\": not a duration (use e.g. "
	    "500ms, 90s, 5m, 2h, 7d)");
	assert_duration_fails(" 5s", "\" 5s\": not a duration (use e.g. "
	    "500ms, 90s, 5m, 2h, 7d)");
	assert_duration_fails("5s ", "\"5s \": not a duration (use e.g. "
	    "500ms, 90s, 5m, 2h, 7d)");
	assert_duration_fails("5 s", "\"5 s\": not a duration (use e.g. "
	    "500ms, 90s, 5m, 2h, 7d)");
	assert_duration_fails("+5s", "\"+5s\": not a duration (use e.g. "
	    "500ms, 90s, 5m, 2h, 7d)");
	assert_duration_fails("s", "\"s\": not a duration (use e.g. 500ms, "
	    "90s, 5m, 2h, 7d)");
	assert_duration_fails("1.5s", "\"1.5s\": not a duration (use e.g. "
	    "500ms, 90s, 5m, 2h, 7d)");
	assert_duration_fails("5S", "\"5S\": not a duration (use e.g. "
	    "500ms, 90s, 5m, 2h, 7d)");
	assert_duration_fails("5sec", "\"5sec\": not a duration (use e.g. "
	    "500ms, 90s, 5m, 2h, 7d)");
	assert_duration_fails("5m30s", "\"5m30s\": not a duration (use e.g. "
	    "500ms, 90s, 5m, 2h, 7d)");
	assert_duration_fails("0x5s", "\"0x5s\": not a duration (use e.g. "
	    "500ms, 90s, 5m, 2h, 7d)");
	/* Overflow: in the number itself, and once the unit is applied. */
	assert_duration_fails("99999999999999999999s",
	    "\"99999999999999999999s\": duration too large");
	assert_duration_fails("9223372036854775807",
	    "\"9223372036854775807\": duration too large");
	assert_duration_fails("9223372036854775808ms",
	    "\"9223372036854775808ms\": duration too large");
	assert_duration_fails("15250284453w",
	    "\"15250284453w\": duration too large");
}

static void
assert_size(const char *in, int64_t want)
{
	char	 err[256];
	int64_t	 v = -12345;

	err[0] = '\0';
	if (str_parse_size(in, &v, err, sizeof err) != 0)
		fail_msg("\"%s\": %s", in, err);
	assert_true(v == want);
}

static void
assert_size_fails(const char *in, const char *want_err)
{
	char	 err[256];
	int64_t	 v = -12345;

	assert_int_equal(str_parse_size(in, &v, err, sizeof err), -1);
	assert_true(v == -12345);
	assert_string_equal(err, want_err);
}

static void
test_str_parse_size(void **state)
{
	(void)state;
	assert_size("0", 0);
	assert_size("4096", 4096);
	assert_size("100B", 100);
	assert_size("512k", 524288);
	assert_size("512K", 524288);
	assert_size("1KiB", 1024);
	assert_size("1KB", 1024);
	assert_size("10M", 10485760);
	assert_size("10MiB", 10485760);
	assert_size("10MB", 10485760);
	assert_size("2G", INT64_C(2147483648));
	assert_size("2GiB", INT64_C(2147483648));
	assert_size("3T", INT64_C(3298534883328));
	assert_size("8388607T", INT64_C(8388607) * INT64_C(1099511627776));
}

static void
test_str_parse_size_errors(void **state)
{
	(void)state;
	assert_size_fails("10X", "\"10X\": not a size (use e.g. 512k, 10M, "
	    "2G)");
	assert_size_fails("", "\"\": not a size (use e.g. 512k, 10M, 2G)");
	assert_size_fails("1.5M", "\"1.5M\": not a size (use e.g. 512k, "
	    "10M, 2G)");
	assert_size_fails("-1", "\"-1\": not a size (use e.g. 512k, 10M, "
	    "2G)");
	assert_size_fails(" 1k", "\" 1k\": not a size (use e.g. 512k, 10M, "
	    "2G)");
	assert_size_fails("1 k", "\"1 k\": not a size (use e.g. 512k, 10M, "
	    "2G)");
	assert_size_fails("1k ", "\"1k \": not a size (use e.g. 512k, 10M, "
	    "2G)");
	assert_size_fails("k", "\"k\": not a size (use e.g. 512k, 10M, 2G)");
	/* Lower-case m would be ambiguous with minutes and milli-. */
	assert_size_fails("10m", "\"10m\": not a size (use e.g. 512k, 10M, "
	    "2G)");
	assert_size_fails("1kb", "\"1kb\": not a size (use e.g. 512k, 10M, "
	    "2G)");
	assert_size_fails("8388608T", "\"8388608T\": size too large");
	assert_size_fails("9223372036854775808",
	    "\"9223372036854775808\": size too large");
}

static void
test_str_format_duration(void **state)
{
	char	 d[32];

	(void)state;
	assert_string_equal(str_format_duration_ms(d, sizeof d, 0), "0s");
	assert_string_equal(str_format_duration_ms(d, sizeof d, 1), "1ms");
	assert_string_equal(str_format_duration_ms(d, sizeof d, 500), "500ms");
	assert_string_equal(str_format_duration_ms(d, sizeof d, 1500),
	    "1500ms");
	assert_string_equal(str_format_duration_ms(d, sizeof d, 1000), "1s");
	assert_string_equal(str_format_duration_ms(d, sizeof d, 90000), "90s");
	assert_string_equal(str_format_duration_ms(d, sizeof d, 300000), "5m");
	assert_string_equal(str_format_duration_ms(d, sizeof d, 7200000),
	    "2h");
	assert_string_equal(str_format_duration_ms(d, sizeof d, 86400000),
	    "1d");
	assert_string_equal(str_format_duration_ms(d, sizeof d, 604800000),
	    "1w");
	assert_string_equal(str_format_duration_ms(d, sizeof d, 90061000),
	    "90061s");
	/* Truncates into a small buffer rather than overflowing it. */
	assert_string_equal(str_format_duration_ms(d, 3, 1500), "15");
}

static void
test_str_format_size(void **state)
{
	char	 d[32];

	(void)state;
	assert_string_equal(str_format_size(d, sizeof d, 0), "0");
	assert_string_equal(str_format_size(d, sizeof d, 1023), "1023");
	assert_string_equal(str_format_size(d, sizeof d, 1024), "1k");
	assert_string_equal(str_format_size(d, sizeof d, 1536), "1536");
	assert_string_equal(str_format_size(d, sizeof d, 524288), "512k");
	assert_string_equal(str_format_size(d, sizeof d, 10485760), "10M");
	assert_string_equal(str_format_size(d, sizeof d, INT64_C(1) << 31),
	    "2G");
	assert_string_equal(str_format_size(d, sizeof d, INT64_C(1) << 40),
	    "1T");
	assert_string_equal(str_format_size(d, sizeof d,
	    (INT64_C(1) << 40) + 1024), "1073741825k");
}

static void
test_str_format_round_trip(void **state)
{
	static const char *const durations[] = { "0s", "1ms", "500ms",
	    "1500ms", "90s", "5m", "2h", "25h", "3d", "1w", "52w" };
	static const char *const sizes[] = { "0", "1000", "512k", "1536k",
	    "10M", "2G", "3T" };
	char	 d[32], err[256];
	int64_t	 v;
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof durations / sizeof durations[0]; i++) {
		assert_int_equal(str_parse_duration_ms(durations[i], &v, err,
		    sizeof err), 0);
		assert_string_equal(str_format_duration_ms(d, sizeof d, v),
		    durations[i]);
	}
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		assert_int_equal(str_parse_size(sizes[i], &v, err, sizeof err),
		    0);
		assert_string_equal(str_format_size(d, sizeof d, v), sizes[i]);
	}
	/* Non-canonical forms come back canonical and mean the same. */
	assert_int_equal(str_parse_duration_ms("7d", &v, err, sizeof err), 0);
	assert_string_equal(str_format_duration_ms(d, sizeof d, v), "1w");
	assert_int_equal(str_parse_duration_ms("120", &v, err, sizeof err), 0);
	assert_string_equal(str_format_duration_ms(d, sizeof d, v), "2m");
	assert_int_equal(str_parse_size("1024KiB", &v, err, sizeof err), 0);
	assert_string_equal(str_format_size(d, sizeof d, v), "1M");
}

static void
assert_split(const char *s, const char *seps, size_t want_n, ...)
{
	va_list	 ap;
	char	**list = (char **)0x1;
	size_t	 n, i;

	n = str_split(s, seps, &list);
	assert_int_equal(n, want_n);
	va_start(ap, want_n);
	for (i = 0; i < n; i++)
		assert_string_equal(list[i], va_arg(ap, const char *));
	va_end(ap);
	if (n == 0)
		assert_null(list);
	str_list_free(list, n);
}

static void
test_str_split(void **state)
{
	(void)state;
	assert_split("a,b,c", ",", 3, "a", "b", "c");
	assert_split("a,,b", ",", 2, "a", "b");
	assert_split(",a,b,", ",", 2, "a", "b");
	assert_split("  a  b\tc \n", " \t\n", 3, "a", "b", "c");
	assert_split("one, two;three ,;, four", ",; ", 4, "one", "two",
	    "three", "four");
	assert_split("abc", ",", 1, "abc");
	assert_split("a b", "", 1, "a b");
	assert_split("", ",", 0);
	assert_split(",,,", ",", 0);
	assert_split(" ", " ", 0);
	str_list_free(NULL, 0);
}

/* What a spreadsheet would run: = + - @ tab CR first, unless a number. */
static void
test_str_csv_formula(void **state)
{
	static const char *const yes[] = {
	    "=1+1", "+1+1", "-1+1", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)",
	    "\t=1", "\r=1", "-", "+", "-x", "-.5x", "=HYPERLINK(\"x\")",
	    "-1e3x", NULL };
	static const char *const no[] = {
	    "", "1", "-139", "-1.5", "+44", "-.5", "1e3", "a=b", " =1",
	    "btuh\\=x", "'=1", NULL };
	size_t	 i;

	(void)state;
	for (i = 0; yes[i] != NULL; i++)
		if (!str_csv_formula(yes[i]))
			fail_msg("\"%s\" is a formula", yes[i]);
	for (i = 0; no[i] != NULL; i++)
		if (str_csv_formula(no[i]))
			fail_msg("\"%s\" is no formula", no[i]);
}

/* For reading: a backslash stays one; the rest is str_vis's. */
static void
test_str_vis_text(void **state)
{
	char	 buf[64];

	(void)state;
	assert_string_equal(str_vis_text(buf, sizeof buf,
	    "btuh\\ann\033[2J\r\n\xff"), "btuh\\ann\\x1b[2J\\x0d\\x0a\\xff");
	assert_string_equal(str_vis(buf, sizeof buf, "btuh\\ann"),
	    "btuh\\x5cann");
}

/* str_utf8 says what u8_check says: for text that turns bad after ASCII,
 * bad from the start, cut short, a surrogate, a NUL inside, nothing; and
 * for random bytes mostly ASCII and random bytes of any value. */
static void
test_str_utf8(void **state)
{
	static const char *const texts[] = {
		"plain", "Zo\xc3\xab", "plain then \xc3\x28", "\xff", "cut \xe2\x80",
		"\xed\xa0\x80", "\xf0\x9f\x98\x80", "",
	};
	unsigned char	 v[16];
	size_t		 i, j, n;
	unsigned	 seed = 20261129;

	(void)state;
	for (i = 0; i < sizeof texts / sizeof texts[0]; i++)
		assert_int_equal(str_utf8(texts[i], strlen(texts[i])),
		    u8_check((const uint8_t *)texts[i], strlen(texts[i])) ==
		    NULL);
	assert_true(str_utf8("a\0b", 3));
	assert_false(str_utf8("ab\xc3\x28", 4));
	for (i = 0; i < 20000; i++) {
		n = (size_t)rand_r(&seed) % sizeof v;
		for (j = 0; j < n; j++)
			v[j] = (unsigned char)(i % 2 ? rand_r(&seed) % 256 :
			    rand_r(&seed) % 8 == 0 ? 0x80 + rand_r(&seed) % 128 :
			    rand_r(&seed) % 128);
		assert_int_equal(str_utf8((const char *)v, n),
		    u8_check(v, n) == NULL);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_str_copy),
		cmocka_unit_test(test_str_utf8),
		cmocka_unit_test(test_str_csv_formula),
		cmocka_unit_test(test_str_vis_text),
		cmocka_unit_test(test_str_append),
		cmocka_unit_test(test_str_trim),
		cmocka_unit_test(test_str_prefix_suffix),
		cmocka_unit_test(test_str_vis_plain),
		cmocka_unit_test(test_str_vis_controls),
		cmocka_unit_test(test_str_vis_invalid_utf8),
		cmocka_unit_test(test_str_vis_truncation_sweep),
		cmocka_unit_test(test_str_vis_truncation_exact),
		cmocka_unit_test(test_str_vis_ignores_old_contents),
		cmocka_unit_test(test_str_parse_int64),
		cmocka_unit_test(test_str_parse_int64_errors),
		cmocka_unit_test(test_str_parse_int64_long_input),
		cmocka_unit_test(test_str_parse_bool),
		cmocka_unit_test(test_str_parse_duration),
		cmocka_unit_test(test_str_parse_duration_errors),
		cmocka_unit_test(test_str_parse_size),
		cmocka_unit_test(test_str_parse_size_errors),
		cmocka_unit_test(test_str_format_duration),
		cmocka_unit_test(test_str_format_size),
		cmocka_unit_test(test_str_format_round_trip),
		cmocka_unit_test(test_str_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
