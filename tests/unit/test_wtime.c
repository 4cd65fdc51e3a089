/* test_wtime.c: ISO-8601 formatting and parsing, the civil calendar, FILETIME
 * conversion and the clocks. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "common/wtime.h"
#include "tests/unit/testutil.h"

static const char *
fmt(int64_t ms)
{
	static char	buf[WTIME_ISO8601_LEN];

	return wtime_format_iso8601(buf, sizeof buf, ms);
}

static int64_t
parse_ok(const char *s)
{
	int64_t	ms = 12345;
	char	err[256] = "";

	if (wtime_parse_iso8601(s, &ms, err, sizeof err) != 0)
		fail_msg("parse \"%s\" failed: %s", s, err);
	return ms;
}

/* Parses s expecting failure; err must hold the quoted input and why. */
static void
parse_bad(const char *s, const char *why)
{
	int64_t	ms = 12345;
	char	err[256] = "";

	if (wtime_parse_iso8601(s, &ms, err, sizeof err) != -1)
		fail_msg("parse \"%s\" succeeded (%lld) but should fail", s,
		    (long long)ms);
	assert_int_equal(ms, 12345);	/* untouched on error */
	assert_contains(err, why);
}

static void
test_format_known(void **state)
{
	(void)state;
	assert_string_equal(fmt(0), "1970-01-01T00:00:00Z");
	assert_string_equal(fmt(1), "1970-01-01T00:00:00.001Z");
	assert_string_equal(fmt(-1), "1969-12-31T23:59:59.999Z");
	assert_string_equal(fmt(-1000), "1969-12-31T23:59:59Z");
	assert_string_equal(fmt(-86400000), "1969-12-31T00:00:00Z");
	assert_string_equal(fmt(-86400001), "1969-12-30T23:59:59.999Z");
	assert_string_equal(fmt(1795442585123LL), "2026-11-23T14:03:05.123Z");
	assert_string_equal(fmt(1795442585000LL), "2026-11-23T14:03:05Z");
	assert_string_equal(fmt(951782400000LL), "2000-02-29T00:00:00Z");
	assert_string_equal(fmt(1709164800000LL), "2024-02-29T00:00:00Z");
	assert_string_equal(fmt(-2203977600000LL), "1900-02-28T00:00:00Z");
	assert_string_equal(fmt(-2203977600000LL + 86400000),
	    "1900-03-01T00:00:00Z");
	assert_string_equal(fmt(253402300799999LL), "9999-12-31T23:59:59.999Z");
	assert_string_equal(fmt(-62167219200000LL), "0000-01-01T00:00:00Z");
	assert_string_equal(fmt(-62167219200001LL), "-0001-12-31T23:59:59.999Z");
	assert_string_equal(fmt(253402300800000LL), "+10000-01-01T00:00:00Z");
	assert_string_equal(fmt(-11644473600000LL), "1601-01-01T00:00:00Z");
}

static void
test_format_extremes(void **state)
{
	char	small[8];

	(void)state;
	assert_string_equal(fmt(INT64_MAX), "+292278994-08-17T07:12:55.807Z");
	assert_string_equal(fmt(INT64_MIN), "-292275055-05-16T16:47:04.192Z");
	assert_true(strlen(fmt(INT64_MIN)) < WTIME_ISO8601_LEN);
	/* Truncated, still terminated, dst returned. */
	assert_ptr_equal(wtime_format_iso8601(small, sizeof small, 0), small);
	assert_string_equal(small, "1970-01");
	assert_ptr_equal(wtime_format_iso8601(small, 0, 0), small);
}

static void
test_parse_forms(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("2026-11-23T14:03:05Z"), 1795442585000LL);
	assert_int_equal(parse_ok("2026-11-23t14:03:05z"), 1795442585000LL);
	assert_int_equal(parse_ok("2026-11-23 14:03:05Z"), 1795442585000LL);
	assert_int_equal(parse_ok("2026-11-23T14:03Z"), 1795442580000LL);
	assert_int_equal(parse_ok("2026-11-23"), 1795392000000LL);
	assert_int_equal(parse_ok("1970-01-01"), 0);
	assert_int_equal(parse_ok("1969-12-31T23:59:59.999Z"), -1);
	assert_int_equal(parse_ok("0000-01-01"), -62167219200000LL);
	assert_int_equal(parse_ok("9999-12-31T23:59:59.999Z"),
	    253402300799999LL);
	assert_int_equal(parse_ok("2024-02-29"), 1709164800000LL);
	assert_int_equal(parse_ok("2000-02-29"), 951782400000LL);
}

static void
test_parse_offsets(void **state)
{
	(void)state;
	/* 15:03:05 at +01:00 is 14:03:05 UTC. */
	assert_int_equal(parse_ok("2026-11-23T15:03:05+01:00"),
	    1795442585000LL);
	assert_int_equal(parse_ok("2026-11-23T15:03:05+0100"),
	    1795442585000LL);
	assert_int_equal(parse_ok("2026-11-23T09:33:05-04:30"),
	    1795442585000LL);
	assert_int_equal(parse_ok("2026-11-23T14:03:05+00:00"),
	    1795442585000LL);
	assert_int_equal(parse_ok("2026-11-23T14:03:05-00:00"),
	    1795442585000LL);
	/* The offset can move the date across a day and a year. */
	assert_int_equal(parse_ok("2027-01-01T00:30:00+01:00"),
	    parse_ok("2026-12-31T23:30:00Z"));
	assert_int_equal(parse_ok("1969-12-31T23:00:00-01:00"), 0);
	assert_int_equal(parse_ok("2026-11-23T14:03:05.123456+01:00"),
	    1795442585123LL - 3600000);
	assert_int_equal(parse_ok("2026-01-01T00:00:00+23:59"),
	    parse_ok("2025-12-31T00:01:00Z"));
}

static void
test_parse_fraction(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("1970-01-01T00:00:00.1Z"), 100);
	assert_int_equal(parse_ok("1970-01-01T00:00:00.12Z"), 120);
	assert_int_equal(parse_ok("1970-01-01T00:00:00.123Z"), 123);
	/* Truncated to the millisecond, never rounded up. */
	assert_int_equal(parse_ok("1970-01-01T00:00:00.1239Z"), 123);
	assert_int_equal(parse_ok("1970-01-01T00:00:00.999999999Z"), 999);
	assert_int_equal(parse_ok("1970-01-01T00:00:00.000000001Z"), 0);
	/* Before 1970 too: the fraction adds time, so truncation is floor. */
	assert_int_equal(parse_ok("1969-12-31T23:59:59.9999Z"), -1);
	assert_int_equal(parse_ok("1969-12-31T23:59:59.0001Z"), -1000);
}

static void
test_parse_leap_second(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("2016-12-31T23:59:60Z"),
	    parse_ok("2017-01-01T00:00:00Z"));
	assert_int_equal(parse_ok("2016-12-31T23:59:60.5Z"),
	    parse_ok("2017-01-01T00:00:00.5Z"));
	/* 23:59:60 UTC written in another zone. */
	assert_int_equal(parse_ok("2017-01-01T00:59:60+01:00"),
	    parse_ok("2017-01-01T00:00:00Z"));
	parse_bad("2016-12-31T12:30:60Z", "second 60 is only valid at "
	    "23:59:60 UTC");
	parse_bad("2016-12-31T23:59:60+01:00", "second 60 is only valid");
}

static void
test_parse_invalid(void **state)
{
	int64_t	ms;
	char	err[256];

	(void)state;
	parse_bad("", "\"\": empty");
	parse_bad("2026-02-30", "\"2026-02-30\": day out of range for "
	    "February 2026");
	parse_bad("2026-02-29", "day out of range for February 2026 (01-28)");
	parse_bad("1900-02-29", "day out of range for February 1900");
	parse_bad("2023-04-31", "day out of range for April 2023 (01-30)");
	parse_bad("2026-01-00", "day out of range for January 2026");
	parse_bad("2026-01-32", "day out of range for January 2026");
	parse_bad("2026-13-01", "\"2026-13-01\": month 13 out of range");
	parse_bad("2026-00-01", "month 00 out of range");
	parse_bad("2026-1-01", "expected a date as YYYY-MM-DD");
	parse_bad("26-11-23", "expected a date as YYYY-MM-DD");
	parse_bad("20261123", "expected a date as YYYY-MM-DD");
	parse_bad("2026/11/23", "expected a date as YYYY-MM-DD");
	parse_bad("+2026-11-23", "expected a date as YYYY-MM-DD");
	parse_bad("2026-11-2", "expected a date as YYYY-MM-DD");
	parse_bad(" 2026-11-23", "expected a date as YYYY-MM-DD");
	parse_bad("yesterday", "\"yesterday\": expected a date");
	parse_bad("2026-11-23x", "expected 'T' or a space");
	parse_bad("2026-11-23 ", "expected a time as HH:MM");
	parse_bad("2026-11-23T", "expected a time as HH:MM");
	parse_bad("2026-11-23T1:03:05Z", "expected a time as HH:MM");
	parse_bad("2026-11-23T14-03-05Z", "expected a time as HH:MM");
	parse_bad("2026-11-23T24:00:00Z", "hour 24 out of range (00-23)");
	parse_bad("2026-11-23T14:60:00Z", "minute 60 out of range (00-59)");
	parse_bad("2026-11-23T14:03:61Z", "second 61 out of range (00-60)");
	parse_bad("2026-11-23T14:03:5Z", "expected two digits of seconds");
	parse_bad("2026-11-23T14:03:05", "missing time zone");
	parse_bad("2026-11-23T14:03", "missing time zone");
	parse_bad("2026-11-23T14:03:05.Z", "fraction of a second needs 1 to "
	    "9 digits");
	parse_bad("2026-11-23T14:03:05.1234567890Z", "needs 1 to 9 digits");
	parse_bad("2026-11-23T14:03:05,5Z", "expected 'Z' or a UTC offset");
	parse_bad("2026-11-23T14:03:05 Z", "unexpected character at offset "
	    "19");
	parse_bad("2026-11-23T14:03:05+1", "expected a UTC offset as +HH:MM");
	parse_bad("2026-11-23T14:03:05+01", "expected a UTC offset");
	parse_bad("2026-11-23T14:03:05+01:0", "expected a UTC offset");
	parse_bad("2026-11-23T14:03:05+24:00", "UTC offset out of range");
	parse_bad("2026-11-23T14:03:05+01:60", "UTC offset out of range");
	parse_bad("2026-11-23T14:03:05Zjunk", "trailing characters at offset "
	    "20 after the time zone");
	parse_bad("2026-11-23T14:03:05Z ", "trailing characters");
	parse_bad("2026-11-23T14:03:05+01:00:00", "trailing characters");
	parse_bad("2026-11-23Z", "expected 'T' or a space");

	/* Hostile input is quoted safely and cut short. */
	parse_bad("2026-11-23T14:03:05Z\x1b[2J", "\\x1b[2J");
	memset(err, 0, sizeof err);
	assert_int_equal(wtime_parse_iso8601("\n2026", &ms, err, sizeof err),
	    -1);
	assert_contains(err, "\"\\x0a2026\"");
	assert_not_contains(err, "\n");
	assert_int_equal(wtime_parse_iso8601(NULL, &ms, err, sizeof err), -1);
	assert_contains(err, "no time given");
	/* A NULL or empty error buffer is allowed. */
	assert_int_equal(wtime_parse_iso8601("bad", &ms, NULL, 0), -1);
	assert_int_equal(wtime_parse_iso8601("bad", &ms, err, 0), -1);
}

static void
test_parse_long_input_quoted(void **state)
{
	char	 s[400], err[256];
	int64_t	 ms;

	(void)state;
	memset(s, 'x', sizeof s - 1);
	s[sizeof s - 1] = '\0';
	assert_int_equal(wtime_parse_iso8601(s, &ms, err, sizeof err), -1);
	assert_contains(err, "...");
	assert_contains(err, "expected a date as YYYY-MM-DD");
}

static void
test_round_trip(void **state)
{
	char	 buf[WTIME_ISO8601_LEN], err[256];
	int64_t	 ms, back, step;
	/* 0000-01-01 to 9999-12-31T23:59:59.999, the span the parser reads. */
	const int64_t	lo = -62167219200000LL, hi = 253402300799999LL;

	(void)state;
	/* An odd step visits every ms-of-day residue class over time. */
	step = 86400000LL * 97 + 3600000LL * 7 + 60000LL * 13 + 1000 * 29 +
	    331;
	for (ms = lo; ms <= hi; ms += step) {
		wtime_format_iso8601(buf, sizeof buf, ms);
		if (wtime_parse_iso8601(buf, &back, err, sizeof err) != 0)
			fail_msg("%lld -> %s: %s", (long long)ms, buf, err);
		if (back != ms)
			fail_msg("%lld -> %s -> %lld", (long long)ms, buf,
			    (long long)back);
	}
	wtime_format_iso8601(buf, sizeof buf, hi);
	assert_int_equal(parse_ok(buf), hi);
	wtime_format_iso8601(buf, sizeof buf, lo);
	assert_int_equal(parse_ok(buf), lo);
}

static void
test_civil_known(void **state)
{
	int		 y;
	unsigned	 m, d;

	(void)state;
	assert_int_equal(wtime_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(wtime_days_from_civil(1969, 12, 31), -1);
	assert_int_equal(wtime_days_from_civil(2000, 3, 1), 11017);
	assert_int_equal(wtime_days_from_civil(2000, 2, 29), 11016);
	assert_int_equal(wtime_days_from_civil(2024, 2, 29), 19782);
	assert_int_equal(wtime_days_from_civil(1601, 1, 1), -134774);
	assert_int_equal(wtime_days_from_civil(0, 3, 1), -719468);
	assert_int_equal(wtime_days_from_civil(-1, 12, 31), -719529);
	assert_int_equal(wtime_days_from_civil(1900, 3, 1) -
	    wtime_days_from_civil(1900, 2, 28), 1);
	assert_int_equal(wtime_days_from_civil(9999, 12, 31), 2932896);

	wtime_civil_from_days(-719529, &y, &m, &d);
	assert_int_equal(y, -1);
	assert_int_equal(m, 12);
	assert_int_equal(d, 31);
	wtime_civil_from_days(11016, &y, &m, &d);
	assert_int_equal(y, 2000);
	assert_int_equal(m, 2);
	assert_int_equal(d, 29);
	/* Far outside any real use the year saturates instead of wrapping. */
	wtime_civil_from_days(INT64_MAX, &y, &m, &d);
	assert_true(y > 2000000000);
	wtime_civil_from_days(INT64_MIN, &y, &m, &d);
	assert_true(y < -2000000000);
}

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static void
test_civil_round_trip(void **state)
{
	int64_t		 days, prev = 0;
	int		 y, py = 0;
	unsigned	 m, d, pm = 0, pd = 0;
	int		 first = 1;
	static const unsigned mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31,
	    30, 31, 30, 31 };

	(void)state;
	for (days = -1000000; days <= 1000000; days += 37) {
		wtime_civil_from_days(days, &y, &m, &d);
		assert_in_range(m, 1, 12);
		assert_in_range(d, 1, mdays[m - 1] + (m == 2 && leap(y)));
		if (wtime_days_from_civil(y, m, d) != days)
			fail_msg("%lld -> %d-%u-%u -> %lld", (long long)days,
			    y, m, d, (long long)wtime_days_from_civil(y, m, d));
	}
	/* Consecutive days: dates advance by exactly one calendar day. */
	for (days = -800000; days <= 800000; days++) {
		wtime_civil_from_days(days, &y, &m, &d);
		if (!first) {
			if (!(d == pd + 1 && m == pm && y == py) &&
			    !(d == 1 && pd == mdays[pm - 1] +
			    (pm == 2 && leap(py)) &&
			    ((m == pm + 1 && y == py) ||
			    (m == 1 && pm == 12 && y == py + 1))))
				fail_msg("day %lld: %d-%u-%u follows %d-%u-%u",
				    (long long)days, y, m, d, py, pm, pd);
		}
		assert_true(days == prev + 1 || first);
		first = 0;
		prev = days;
		py = y;
		pm = m;
		pd = d;
	}
}

static void
test_filetime(void **state)
{
	int64_t	ms;

	(void)state;
	assert_int_equal(wtime_filetime_to_unix_ms(116444736000000000LL), 0);
	assert_int_equal(wtime_filetime_to_unix_ms(0), -11644473600000LL);
	assert_int_equal(wtime_filetime_to_unix_ms(130000000000000000LL),
	    1355526400000LL);
	assert_string_equal(fmt(wtime_filetime_to_unix_ms(
	    130000000000000000LL)), "2012-12-14T23:06:40Z");
	/* Floor: 1 tick before the epoch is -1 ms, 9999 ticks after is 0. */
	assert_int_equal(wtime_filetime_to_unix_ms(116444735999999999LL), -1);
	assert_int_equal(wtime_filetime_to_unix_ms(116444736000009999LL), 0);
	assert_int_equal(wtime_filetime_to_unix_ms(116444736000010000LL), 1);
	assert_int_equal(wtime_filetime_to_unix_ms(-1), -11644473600001LL);
	/* No overflow at the ends of the range. */
	assert_int_equal(wtime_filetime_to_unix_ms(INT64_MAX),
	    922337203685477LL - 11644473600000LL);
	assert_int_equal(wtime_filetime_to_unix_ms(INT64_MIN),
	    -922337203685478LL - 11644473600000LL);

	assert_int_equal(wtime_unix_ms_to_filetime(0), 116444736000000000LL);
	assert_int_equal(wtime_unix_ms_to_filetime(-11644473600000LL), 0);
	assert_int_equal(wtime_unix_ms_to_filetime(1355526400000LL),
	    130000000000000000LL);
	/* Saturates instead of overflowing. */
	assert_int_equal(wtime_unix_ms_to_filetime(INT64_MAX), INT64_MAX);
	assert_int_equal(wtime_unix_ms_to_filetime(INT64_MIN), INT64_MIN);
	assert_int_equal(wtime_unix_ms_to_filetime(910692730085477LL),
	    910692730085477LL * 10000 + 116444736000000000LL);
	assert_int_equal(wtime_unix_ms_to_filetime(910692730085478LL),
	    INT64_MAX);

	for (ms = -11644473600000LL * 2; ms < 910692730085477LL;
	    ms += 7777777777777LL + 123) {
		if (wtime_filetime_to_unix_ms(
		    wtime_unix_ms_to_filetime(ms)) != ms)
			fail_msg("round trip of %lld", (long long)ms);
	}
	assert_int_equal(wtime_filetime_to_unix_ms(
	    wtime_unix_ms_to_filetime(910692730085477LL)), 910692730085477LL);
}

static void
test_filetime_never(void **state)
{
	(void)state;
	assert_true(wtime_filetime_is_never(0));
	assert_true(wtime_filetime_is_never(INT64_MAX));
	assert_true(wtime_filetime_is_never(WTIME_FILETIME_NEVER));
	assert_false(wtime_filetime_is_never(1));
	assert_false(wtime_filetime_is_never(INT64_MAX - 1));
	assert_false(wtime_filetime_is_never(WTIME_FILETIME_UNIX_EPOCH));
	assert_false(wtime_filetime_is_never(-1));
}

static void
test_clocks(void **state)
{
	int64_t	now, a, b;

	(void)state;
	now = wtime_now_ms();
	/* Sanity only: after 2020-01-01 and agrees with time(). */
	assert_true(now > 1577836800000LL);
	assert_in_range(now / 1000, (uint64_t)time(NULL) - 5,
	    (uint64_t)time(NULL) + 5);
	a = wtime_mono_ms();
	wtime_sleep_ms(20);
	b = wtime_mono_ms();
	assert_true(b >= a + 20);
	/* Zero and negative return at once. */
	wtime_sleep_ms(0);
	wtime_sleep_ms(-5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_known),
		cmocka_unit_test(test_format_extremes),
		cmocka_unit_test(test_parse_forms),
		cmocka_unit_test(test_parse_offsets),
		cmocka_unit_test(test_parse_fraction),
		cmocka_unit_test(test_parse_leap_second),
		cmocka_unit_test(test_parse_invalid),
		cmocka_unit_test(test_parse_long_input_quoted),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_civil_known),
		cmocka_unit_test(test_civil_round_trip),
		cmocka_unit_test(test_filetime),
		cmocka_unit_test(test_filetime_never),
		cmocka_unit_test(test_clocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
