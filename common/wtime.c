/* wtime.c: clocks, ISO-8601 UTC formatting and strict parsing, and Windows
 * FILETIME conversion, all without the time zone or gmtime(). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "common/str.h"
#include "common/wtime.h"

#define MS_PER_DAY	86400000LL
#define FILETIME_PER_MS	10000LL
/* WTIME_FILETIME_UNIX_EPOCH in milliseconds (it is a whole number of them). */
#define FILETIME_EPOCH_MS	(WTIME_FILETIME_UNIX_EPOCH / FILETIME_PER_MS)

/*
 * Beyond this many days from 1970 the year no longer fits an int; such days
 * are clamped.  Millisecond timestamps stay far inside (about 1.07e11 days).
 */
#define CIVIL_DAYS_LIMIT	784000000000LL

static const char *const month_names[12] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"
};

/* Floor division and modulo: -1 ms is 1969-12-31T23:59:59.999Z. */
static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t	q = a / b;

	if ((a % b) != 0 && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static int64_t
floor_mod(int64_t a, int64_t b)
{
	int64_t	r = a % b;

	if (r != 0 && ((r < 0) != (b < 0)))
		r += b;
	return r;
}

static int64_t
timespec_ms(clockid_t clock)
{
	struct timespec	ts;

	if (clock_gettime(clock, &ts) == -1)
		return 0;	/* only with an invalid clock id */
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
wtime_now_ms(void)
{
	return timespec_ms(CLOCK_REALTIME);
}

int64_t
wtime_mono_ms(void)
{
	return timespec_ms(CLOCK_MONOTONIC);
}

void
wtime_sleep_ms(int64_t ms)
{
	struct timespec	req, rem;

	if (ms <= 0)
		return;
	req.tv_sec = (time_t)(ms / 1000);
	req.tv_nsec = (long)(ms % 1000) * 1000000L;
	/* A signal handler ran: sleep the rest rather than return early. */
	while (nanosleep(&req, &rem) == -1 && errno == EINTR)
		req = rem;
}

/*
 * Proleptic Gregorian calendar, counted in 400-year eras of 146097 days that
 * start on 1 March, so the leap day falls at the end of a year and the month
 * lengths from March on follow the 153-days-per-5-months pattern.
 */
int64_t
wtime_days_from_civil(int y, unsigned m, unsigned d)
{
	int64_t	year = y, era, year_of_era, day_of_year, day_of_era;
	int64_t	month_from_march;

	if (m <= 2)
		year--;
	era = floor_div(year, 400);
	year_of_era = year - era * 400;			/* 0 .. 399 */
	month_from_march = m > 2 ? (int64_t)m - 3 : (int64_t)m + 9;
	day_of_year = (153 * month_from_march + 2) / 5 + (int64_t)d - 1;
	day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 +
	    day_of_year;
	/* 719468 days separate 0000-03-01 and 1970-01-01. */
	return era * 146097 + day_of_era - 719468;
}

void
wtime_civil_from_days(int64_t days, int *y, unsigned *m, unsigned *d)
{
	int64_t	 era, day_of_era, year_of_era, day_of_year, mp, year;

	if (days > CIVIL_DAYS_LIMIT)
		days = CIVIL_DAYS_LIMIT;
	if (days < -CIVIL_DAYS_LIMIT)
		days = -CIVIL_DAYS_LIMIT;
	days += 719468;
	era = floor_div(days, 146097);
	day_of_era = days - era * 146097;		/* 0 .. 146096 */
	/* Take out the leap days so far, then divide by 365. */
	year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 -
	    day_of_era / 146096) / 365;			/* 0 .. 399 */
	day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 -
	    year_of_era / 100);				/* 0 .. 365 */
	mp = (5 * day_of_year + 2) / 153;		/* 0 = March */
	*d = (unsigned)(day_of_year - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	year = year_of_era + era * 400 + (*m <= 2 ? 1 : 0);
	*y = (int)year;
}

char *
wtime_format_iso8601(char *dst, size_t size, int64_t unix_ms)
{
	int64_t		 days, ms_of_day;
	int		 year, hour, minute, second, ms;
	unsigned	 month, day;
	char		 fraction[8] = "";

	if (size == 0)
		return dst;
	days = floor_div(unix_ms, MS_PER_DAY);
	ms_of_day = floor_mod(unix_ms, MS_PER_DAY);
	wtime_civil_from_days(days, &year, &month, &day);
	hour = (int)(ms_of_day / 3600000);
	minute = (int)(ms_of_day / 60000 % 60);
	second = (int)(ms_of_day / 1000 % 60);
	ms = (int)(ms_of_day % 1000);
	if (ms != 0)
		snprintf(fraction, sizeof fraction, ".%03d", ms);
	/* Years outside 0000-9999 take a sign, as ISO-8601 expanded years do. */
	if (year >= 0 && year <= 9999)
		snprintf(dst, size, "%04d-%02u-%02uT%02d:%02d:%02d%sZ", year,
		    month, day, hour, minute, second, fraction);
	else
		snprintf(dst, size, "%+05d-%02u-%02uT%02d:%02d:%02d%sZ", year,
		    month, day, hour, minute, second, fraction);
	return dst;
}

static int
is_leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned
days_in_month(int y, unsigned m)
{
	static const unsigned char	days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m == 2 && is_leap_year(y))
		return 29;
	return days[m - 1];
}

/* Reads exactly n ASCII digits (not locale digits, not signs). */
static int
parse_digits(const char **pp, int n, int *out)
{
	const char	*p = *pp;
	int		 v = 0, i;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*pp = p + n;
	*out = v;
	return 0;
}

static int
parse_fail(char *err, size_t errlen, const char *s, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
parse_fail(char *err, size_t errlen, const char *s, const char *fmt, ...)
{
	char	quoted[80], why[160];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "\"%s\": %s",
		    str_vis(quoted, sizeof quoted, s), why);
	return -1;
}

/*
 * Strict RFC 3339 with two ISO-8601 liberties: a space for the 'T' and
 * "+HHMM" offsets.  A time needs a zone: a local time would be a guess.
 * Second 60 (a leap second) is accepted only at 23:59:60 UTC and counts as
 * 00:00:00 of the next day, since Unix time has no leap seconds.
 */
int
wtime_parse_iso8601(const char *s, int64_t *out_ms, char *err, size_t errlen)
{
	const char	*p = s;
	int		 year, month, day, hour = 0, minute = 0, second = 0;
	int		 ms = 0, digits, off_sign, off_hour, off_minute, v;
	int64_t		 total_s, offset_s = 0;

	if (s == NULL)
		return parse_fail(err, errlen, "", "no time given");
	if (*s == '\0')
		return parse_fail(err, errlen, s, "empty time");

	if (parse_digits(&p, 4, &year) == -1 || *p++ != '-' ||
	    parse_digits(&p, 2, &month) == -1 || *p++ != '-' ||
	    parse_digits(&p, 2, &day) == -1)
		return parse_fail(err, errlen, s,
		    "expected a date as YYYY-MM-DD");
	if (month < 1 || month > 12)
		return parse_fail(err, errlen, s,
		    "month %02d out of range (01-12)", month);
	if (day < 1 || (unsigned)day > days_in_month(year, (unsigned)month))
		return parse_fail(err, errlen, s,
		    "day out of range for %s %04d (01-%02u)",
		    month_names[month - 1], year,
		    days_in_month(year, (unsigned)month));

	if (*p == '\0')
		goto done;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return parse_fail(err, errlen, s,
		    "expected 'T' or a space and a time after the date");
	p++;
	if (parse_digits(&p, 2, &hour) == -1 || *p++ != ':' ||
	    parse_digits(&p, 2, &minute) == -1)
		return parse_fail(err, errlen, s,
		    "expected a time as HH:MM or HH:MM:SS after the date");
	if (hour > 23)
		return parse_fail(err, errlen, s,
		    "hour %02d out of range (00-23)", hour);
	if (minute > 59)
		return parse_fail(err, errlen, s,
		    "minute %02d out of range (00-59)", minute);
	if (*p == ':') {
		p++;
		if (parse_digits(&p, 2, &second) == -1)
			return parse_fail(err, errlen, s,
			    "expected two digits of seconds after HH:MM:");
		if (second > 60)
			return parse_fail(err, errlen, s,
			    "second %02d out of range (00-60)", second);
		if (*p == '.') {
			/* Digits past the millisecond are dropped (floor). */
			p++;
			for (digits = 0; p[digits] >= '0' && p[digits] <= '9';
			    digits++) {
				if (digits < 3)
					ms = ms * 10 + (p[digits] - '0');
			}
			if (digits == 0 || digits > 9)
				return parse_fail(err, errlen, s,
				    "a fraction of a second needs 1 to 9 "
				    "digits");
			for (v = digits; v < 3; v++)
				ms *= 10;
			p += digits;
		}
	}

	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		off_sign = *p++ == '-' ? -1 : 1;
		if (parse_digits(&p, 2, &off_hour) == -1)
			return parse_fail(err, errlen, s,
			    "expected a UTC offset as +HH:MM or +HHMM");
		if (*p == ':')
			p++;
		if (parse_digits(&p, 2, &off_minute) == -1)
			return parse_fail(err, errlen, s,
			    "expected a UTC offset as +HH:MM or +HHMM");
		if (off_hour > 23 || off_minute > 59)
			return parse_fail(err, errlen, s,
			    "UTC offset out of range (at most 23:59)");
		offset_s = off_sign * ((int64_t)off_hour * 3600 +
		    off_minute * 60);
	} else if (*p == '\0')
		return parse_fail(err, errlen, s,
		    "missing time zone (Z or +HH:MM) after the time");
	else
		return parse_fail(err, errlen, s,
		    "unexpected character at offset %d: expected 'Z' or "
		    "a UTC offset", (int)(p - s));
	if (*p != '\0')
		return parse_fail(err, errlen, s,
		    "trailing characters at offset %d after the time zone",
		    (int)(p - s));

done:
	total_s = wtime_days_from_civil(year, (unsigned)month,
	    (unsigned)day) * 86400 + hour * 3600 + minute * 60 + second -
	    offset_s;
	if (second == 60 && floor_mod(total_s - 1, 86400) != 86399)
		return parse_fail(err, errlen, s,
		    "second 60 is only valid at 23:59:60 UTC (a leap second)");
	*out_ms = total_s * 1000 + ms;
	return 0;
}

int64_t
wtime_filetime_to_unix_ms(int64_t filetime)
{
	/* Divide first: subtracting the epoch first could overflow. */
	return floor_div(filetime, FILETIME_PER_MS) - FILETIME_EPOCH_MS;
}

/* Saturates: past the FILETIME range gives INT64_MAX (never) or INT64_MIN. */
int64_t
wtime_unix_ms_to_filetime(int64_t unix_ms)
{
	if (unix_ms > (INT64_MAX - WTIME_FILETIME_UNIX_EPOCH) / FILETIME_PER_MS)
		return INT64_MAX;
	if (unix_ms < INT64_MIN / FILETIME_PER_MS)
		return INT64_MIN;
	return unix_ms * FILETIME_PER_MS + WTIME_FILETIME_UNIX_EPOCH;
}

int
wtime_filetime_is_never(int64_t filetime)
{
	return filetime == 0 || filetime == WTIME_FILETIME_NEVER;
}
