/* test_maint.c: maintenance windows: recurrence rules and their errors, time
 * zones read from tzdata checked against the C library, occurrences across
 * both 2026 DST changes in Europe/London and in UTC, and which hosts a
 * window covers, on a real store. */
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

#include "common/cfg.h"
#include "common/db.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "collector/collector.h"
#include "tests/unit/testutil.h"

#define MIN_MS		60000LL
#define HOUR_MS		3600000LL

static int64_t
iso(const char *s)
{
	char	 err[256];
	int64_t	 ms;

	if (wtime_parse_iso8601(s, &ms, err, sizeof err) == -1)
		fail_msg("%s: %s", s, err);
	return ms;
}

/* Local wall-clock time as seconds, as if it were UTC. */
static int64_t
local_s(int y, unsigned mo, unsigned d, int h, int mi)
{
	return wtime_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60;
}

static int64_t
to_utc(const char *tz, int64_t local, int earliest)
{
	char	 err[256];
	int64_t	 out;

	if (maint_local_to_utc(tz, local, earliest, &out, err, sizeof err) ==
	    -1)
		fail_msg("%s: %s", tz, err);
	return out;
}

static void
expect_next(const char *recur, const char *tz, const char *now,
    const char *start, const char *end)
{
	char	 err[256], got_s[WTIME_ISO8601_LEN], got_e[WTIME_ISO8601_LEN];
	int64_t	 s, e;

	if (maint_recur_next(recur, tz, iso(now), &s, &e, err, sizeof err) ==
	    -1)
		fail_msg("%s in %s: %s", recur, tz, err);
	wtime_format_iso8601(got_s, sizeof got_s, s);
	wtime_format_iso8601(got_e, sizeof got_e, e);
	if (s != iso(start) || e != iso(end))
		fail_msg("\"%s\" %s after %s: got %s..%s, expected %s..%s",
		    recur, tz, now, got_s, got_e, start, end);
}

static void
test_recur_parse(void **state)
{
	static const struct {
		const char	*in;
		const char	*canonical;
	} good[] = {
		{ "weekly sun 02:00 2h", "weekly sun 02:00 2h" },
		{ "WEEKLY Sunday 02:00 120m", "weekly sun 02:00 2h" },
		{ "daily 01:30 30m", "daily 01:30 30m" },
		{ "monthly 1 03:00 4h", "monthly 1 03:00 4h" },
		{ "weekly sat,sun 23:00 90m", "weekly sat,sun 23:00 90m" },
		{ "weekly fri-mon 00:00 1h", "weekly mon,fri,sat,sun 00:00 1h" },
		{ "weekly mon-fri 12:00 1d", "weekly mon,tue,wed,thu,fri 12:00 1d" },
		{ "  daily   00:00 1m ", "daily 00:00 1m" },
	};
	static const struct {
		const char	*in;
		const char	*error;
	} bad[] = {
		{ "", "recur: empty" },
		{ "hourly 02:00 1h", "\"hourly\" is not daily, weekly or monthly" },
		{ "weekly 02:00 2h", "use \"daily HH:MM DURATION\"" },
		{ "daily sun 02:00 2h", "use \"daily HH:MM DURATION\"" },
		{ "weekly sn 02:00 2h", "\"sn\" is not a day" },
		{ "weekly mon- 02:00 2h", "is not a day" },
		{ "weekly sun 2:00 2h", "\"2:00\" is not a time of day" },
		{ "weekly sun 24:00 2h", "\"24:00\" is not a time of day" },
		{ "weekly sun 02:60 2h", "\"02:60\" is not a time of day" },
		{ "weekly sun 02:00 2x", "recur: duration:" },
		{ "weekly sun 02:00 30s", "must be whole minutes from 1m to 1w" },
		{ "weekly sun 02:00 90s", "must be whole minutes" },
		{ "weekly sun 02:00 8d", "from 1m to 1w" },
		{ "daily 02:00 25h", "from 1m to 1d" },
		{ "monthly 0 02:00 1h", "day of the month \"0\"" },
		{ "monthly 32 02:00 1h", "day of the month \"32\"" },
		{ "monthly 29 02:00 29d", "from 1m to 4w" },
		{ "monthly 1 02:00 1h extra", "use \"daily" },
	};
	char	 canon[128], err[512];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		if (maint_recur_check(good[i].in, canon, sizeof canon, err,
		    sizeof err) == -1)
			fail_msg("\"%s\": %s", good[i].in, err);
		assert_string_equal(canon, good[i].canonical);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		if (maint_recur_check(bad[i].in, canon, sizeof canon, err,
		    sizeof err) != -1)
			fail_msg("\"%s\" accepted", bad[i].in);
		assert_contains(err, bad[i].error);
	}
}

static void
test_zone_names(void **state)
{
	char	 err[512];

	(void)state;
	assert_int_equal(maint_zone_check("Europe/London", err, sizeof err), 0);
	assert_int_equal(maint_zone_check("UTC", err, sizeof err), 0);
	assert_int_equal(maint_zone_check("America/Argentina/Buenos_Aires",
	    err, sizeof err), 0);
	assert_int_equal(maint_zone_check("Europe/Lndon", err, sizeof err), -1);
	assert_contains(err, "tz: \"Europe/Lndon\": no such time zone");
	assert_int_equal(maint_zone_check("../../etc/passwd", err, sizeof err),
	    -1);
	assert_contains(err, "not a time zone name");
	assert_int_equal(maint_zone_check("/etc/localtime", err, sizeof err),
	    -1);
	assert_int_equal(maint_zone_check("Europe/.hidden", err, sizeof err),
	    -1);
	assert_int_equal(maint_zone_check("", err, sizeof err), -1);
	assert_int_equal(maint_zone_check("Europe", err, sizeof err), -1);
	/* A file that is not TZif. */
	assert_int_equal(maint_zone_check("zone1970.tab", err, sizeof err), -1);
	assert_contains(err, "not a TZif file");
}

/* The DST changes of 2026 in London: 29 March 01:00 GMT -> 02:00 BST,
 * 25 October 02:00 BST -> 01:00 GMT. */
static void
test_local_to_utc_london(void **state)
{
	const char	*L = "Europe/London";

	(void)state;
	/* Winter and summer. */
	assert_true(to_utc(L, local_s(2026, 1, 15, 12, 0), 1) * 1000 ==
	    iso("2026-01-15T12:00:00Z"));
	assert_true(to_utc(L, local_s(2026, 7, 1, 12, 0), 1) * 1000 ==
	    iso("2026-07-01T11:00:00Z"));
	/* Spring: 00:59 is GMT, 01:00..01:59 never happen, 02:00 is BST. */
	assert_true(to_utc(L, local_s(2026, 3, 29, 0, 59), 1) * 1000 ==
	    iso("2026-03-29T00:59:00Z"));
	assert_true(to_utc(L, local_s(2026, 3, 29, 1, 30), 1) * 1000 ==
	    iso("2026-03-29T01:00:00Z"));
	assert_true(to_utc(L, local_s(2026, 3, 29, 1, 30), 0) * 1000 ==
	    iso("2026-03-29T01:00:00Z"));
	assert_true(to_utc(L, local_s(2026, 3, 29, 1, 0), 1) * 1000 ==
	    iso("2026-03-29T01:00:00Z"));
	assert_true(to_utc(L, local_s(2026, 3, 29, 2, 0), 1) * 1000 ==
	    iso("2026-03-29T01:00:00Z"));
	assert_true(to_utc(L, local_s(2026, 3, 29, 2, 30), 1) * 1000 ==
	    iso("2026-03-29T01:30:00Z"));
	/* Autumn: 01:00..01:59 happen twice, first in BST then in GMT. */
	assert_true(to_utc(L, local_s(2026, 10, 25, 1, 30), 1) * 1000 ==
	    iso("2026-10-25T00:30:00Z"));
	assert_true(to_utc(L, local_s(2026, 10, 25, 1, 30), 0) * 1000 ==
	    iso("2026-10-25T01:30:00Z"));
	assert_true(to_utc(L, local_s(2026, 10, 25, 0, 59), 0) * 1000 ==
	    iso("2026-10-24T23:59:00Z"));
	assert_true(to_utc(L, local_s(2026, 10, 25, 2, 0), 1) * 1000 ==
	    iso("2026-10-25T02:00:00Z"));
	/* Past the table of transitions, the zone's rule goes on. */
	assert_true(to_utc(L, local_s(2045, 7, 1, 12, 0), 1) * 1000 ==
	    iso("2045-07-01T11:00:00Z"));
	assert_true(to_utc(L, local_s(2045, 3, 26, 1, 30), 1) * 1000 ==
	    iso("2045-03-26T01:00:00Z"));
	/* UTC never skips or repeats. */
	assert_true(to_utc("UTC", local_s(2026, 3, 29, 1, 30), 1) * 1000 ==
	    iso("2026-03-29T01:30:00Z"));
	assert_true(to_utc("UTC", local_s(2026, 10, 25, 1, 30), 0) * 1000 ==
	    iso("2026-10-25T01:30:00Z"));
	/* The southern hemisphere, where summer spans the new year:
	 * Sydney leaves daylight time on 5 April 2026 at 03:00 AEDT. */
	assert_true(to_utc("Australia/Sydney", local_s(2026, 1, 10, 12, 0),
	    1) * 1000 == iso("2026-01-10T01:00:00Z"));
	assert_true(to_utc("Australia/Sydney", local_s(2026, 4, 5, 2, 30),
	    1) * 1000 == iso("2026-04-04T15:30:00Z"));
	assert_true(to_utc("Australia/Sydney", local_s(2026, 4, 5, 2, 30),
	    0) * 1000 == iso("2026-04-04T16:30:00Z"));
	assert_true(to_utc("Australia/Sydney", local_s(2046, 1, 10, 12, 0),
	    1) * 1000 == iso("2046-01-10T01:00:00Z"));
}

/*
 * Against the C library, in this single-threaded test only: every half
 * hour of 2026 and of 2041 (past the zone tables), the local time glibc
 * shows for an instant maps back to it, as the earliest or the latest
 * instant showing that time.
 */
static void
test_against_libc(void **state)
{
	static const char *const zones[] = {
		"Europe/London", "UTC", "America/New_York", "Australia/Sydney",
		"Europe/Berlin", "Asia/Kolkata", "America/Santiago",
	};
	static const int years[] = { 2026, 2041 };
	struct tm	 tm;
	time_t		 t, end;
	int64_t		 local, early, late;
	size_t		 z, y;
	char		*old;

	(void)state;
	old = getenv("TZ") != NULL ? xstrdup(getenv("TZ")) : NULL;
	for (z = 0; z < sizeof zones / sizeof zones[0]; z++) {
		setenv("TZ", zones[z], 1);
		tzset();
		for (y = 0; y < sizeof years / sizeof years[0]; y++) {
			t = (time_t)(wtime_days_from_civil(years[y], 1, 1) *
			    86400);
			end = t + 366 * 86400;
			for (; t < end; t += 1800) {
				localtime_r(&t, &tm);
				local = local_s(tm.tm_year + 1900,
				    (unsigned)tm.tm_mon + 1,
				    (unsigned)tm.tm_mday, tm.tm_hour,
				    tm.tm_min) + tm.tm_sec;
				early = to_utc(zones[z], local, 1);
				late = to_utc(zones[z], local, 0);
				if (early > t || late < t || (early != t &&
				    late != t))
					fail_msg("%s at %lld: local %lld maps "
					    "to %lld..%lld", zones[z],
					    (long long)t, (long long)local,
					    (long long)early, (long long)late);
			}
		}
	}
	if (old != NULL) {
		setenv("TZ", old, 1);
		free(old);
	} else
		unsetenv("TZ");
	tzset();
}

/*
 * A window starts at the earliest moment the clock shows its start (a
 * start the clocks skip moves to the jump) and ends at the latest moment
 * the clock shows start + duration.
 */
static void
test_recur_dst_london(void **state)
{
	const char	*L = "Europe/London";

	(void)state;
	/* Every Sunday 02:00-04:00: always two hours on the clock. */
	expect_next("weekly sun 02:00 2h", L, "2026-03-22T12:00:00Z",
	    "2026-03-29T01:00:00Z", "2026-03-29T03:00:00Z");
	expect_next("weekly sun 02:00 2h", L, "2026-03-20T12:00:00Z",
	    "2026-03-22T02:00:00Z", "2026-03-22T04:00:00Z");
	expect_next("weekly sun 02:00 2h", L, "2026-10-20T12:00:00Z",
	    "2026-10-25T02:00:00Z", "2026-10-25T04:00:00Z");
	expect_next("weekly sun 02:00 2h", L, "2026-10-25T12:00:00Z",
	    "2026-11-01T02:00:00Z", "2026-11-01T04:00:00Z");
	/* Inside an occurrence, that occurrence is the one given. */
	expect_next("weekly sun 02:00 2h", L, "2026-03-29T02:59:00Z",
	    "2026-03-29T01:00:00Z", "2026-03-29T03:00:00Z");
	/* 01:30 does not exist on 29 March: it starts at the jump (01:00
	 * GMT = 02:00 BST) and ends at 02:30 BST. */
	expect_next("weekly sun 01:30 1h", L, "2026-03-28T00:00:00Z",
	    "2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z");
	/* 01:30 happens twice on 25 October: from the first (BST) to 02:30
	 * GMT, so every moment the clock shows 01:30-02:30 is covered. */
	expect_next("weekly sun 01:30 1h", L, "2026-10-24T00:00:00Z",
	    "2026-10-25T00:30:00Z", "2026-10-25T02:30:00Z");
	expect_next("daily 00:30 1h", L, "2026-10-24T23:00:00Z",
	    "2026-10-24T23:30:00Z", "2026-10-25T01:30:00Z");
	/* A window wholly inside the skipped hour keeps its length from the
	 * jump rather than vanishing. */
	expect_next("daily 01:15 10m", L, "2026-03-28T12:00:00Z",
	    "2026-03-29T01:00:00Z", "2026-03-29T01:10:00Z");
	expect_next("daily 01:15 10m", L, "2026-03-29T01:10:00Z",
	    "2026-03-30T00:15:00Z", "2026-03-30T00:25:00Z");
	/* Across midnight and the change. */
	expect_next("weekly sat 23:00 4h", L, "2026-03-27T00:00:00Z",
	    "2026-03-28T23:00:00Z", "2026-03-29T02:00:00Z");
	expect_next("weekly sat 23:00 4h", L, "2026-10-23T00:00:00Z",
	    "2026-10-24T22:00:00Z", "2026-10-25T03:00:00Z");
}

static void
test_recur_utc_and_calendar(void **state)
{
	(void)state;
	expect_next("weekly sun 02:00 2h", "UTC", "2026-03-28T12:00:00Z",
	    "2026-03-29T02:00:00Z", "2026-03-29T04:00:00Z");
	expect_next("weekly sun 02:00 2h", "UTC", "2026-10-24T12:00:00Z",
	    "2026-10-25T02:00:00Z", "2026-10-25T04:00:00Z");
	expect_next("weekly sun 01:30 1h", "UTC", "2026-03-28T12:00:00Z",
	    "2026-03-29T01:30:00Z", "2026-03-29T02:30:00Z");
	expect_next("daily 01:30 30m", "UTC", "2026-11-23T01:45:00Z",
	    "2026-11-23T01:30:00Z", "2026-11-23T02:00:00Z");
	expect_next("daily 01:30 30m", "UTC", "2026-11-23T02:00:00Z",
	    "2026-11-24T01:30:00Z", "2026-11-24T02:00:00Z");
	/* The 31st: months without one are skipped. */
	expect_next("monthly 31 03:00 4h", "UTC", "2026-02-01T00:00:00Z",
	    "2026-03-31T03:00:00Z", "2026-03-31T07:00:00Z");
	expect_next("monthly 29 03:00 4h", "UTC", "2027-02-01T00:00:00Z",
	    "2027-03-29T03:00:00Z", "2027-03-29T07:00:00Z");
	expect_next("monthly 29 03:00 4h", "UTC", "2028-02-01T00:00:00Z",
	    "2028-02-29T03:00:00Z", "2028-02-29T07:00:00Z");
	/* 2026-11-23 is a Monday. */
	expect_next("weekly sat,sun 10:00 1h", "UTC", "2026-11-23T00:00:00Z",
	    "2026-11-28T10:00:00Z", "2026-11-28T11:00:00Z");
	expect_next("weekly mon-fri 10:00 1h", "UTC", "2026-11-27T11:00:00Z",
	    "2026-11-30T10:00:00Z", "2026-11-30T11:00:00Z");
	/* A week-long window that began last Sunday is still running. */
	expect_next("weekly sun 00:00 7d", "UTC", "2026-11-28T12:00:00Z",
	    "2026-11-22T00:00:00Z", "2026-11-29T00:00:00Z");
	/* New York springs forward at 02:00 on 8 March 2026. */
	expect_next("daily 02:30 1h", "America/New_York",
	    "2026-03-08T00:00:00Z", "2026-03-08T07:00:00Z",
	    "2026-03-08T07:30:00Z");
}

/* ------------------------------------------------------------ windows */

static const struct cfg_option test_group_options[] = {
	{ "hosts", CFG_LIST, NULL, 0, 0, NULL, 0,
	  offsetof(struct group_config, hosts), "hosts" },
	CFG_OPTIONS_END
};
static const struct cfg_section test_sections[] = {
	{ "group", test_group_options, CFG_SECTION_MULTI,
	  offsetof(struct collector_config, groups),
	  sizeof(struct group_config), "groups" },
	CFG_SECTIONS_END
};
static const struct cfg_schema test_schema = {
	"test", "/dev/null", test_sections, NULL,
};

static struct store *
fresh_store(void)
{
	static int	 n;
	char		 name[32], err[512];
	char		*path;
	struct store	*st;

	snprintf(name, sizeof name, "maint-%d.db", n++);
	path = tu_path(tu_tmpdir(), name);
	if ((st = store_open(path, 0, err, sizeof err)) == NULL)
		fail_msg("store_open: %s", err);
	free(path);
	return st;
}

static void
load_groups(struct collector_config *cfg)
{
	char	 err[512];

	memset(cfg, 0, sizeof *cfg);
	if (cfg_load_string(&test_schema, "test.conf",
	    "[group \"web\"]\nhosts = web-* db-01\n"
	    "[group \"empty\"]\n", cfg, err, sizeof err) == -1)
		fail_msg("%s", err);
}

static int64_t
add(struct store *st, const struct collector_config *cfg, const char *scope,
    const char *target, const char *starts, const char *ends,
    const char *recur, const char *tz, int64_t now)
{
	struct maint_window	 w;
	char			 err[512];
	int64_t			 id;
	int			 status;

	memset(&w, 0, sizeof w);
	w.scope = scope;
	w.target = target;
	w.starts = starts;
	w.ends = ends;
	w.recur = recur;
	w.tz = tz;
	w.reason = "test";
	w.author = "tester";
	if ((id = maint_add(store_db(st), cfg, &w, now, &status, err,
	    sizeof err)) == -1)
		fail_msg("maint_add: %s", err);
	assert_int_equal(status, 201);
	return id;
}

static int64_t
active(struct store *st, const struct collector_config *cfg,
    const char *host, const char *dc, int64_t now)
{
	struct maint_subject	 s;
	char			 err[512];
	int64_t			 id;

	s.host = host;
	s.datacentre = dc;
	if ((id = maint_active(store_db(st), cfg, &s, now, err,
	    sizeof err)) == -1)
		fail_msg("maint_active: %s", err);
	return id;
}

static void
test_matching(void **state)
{
	struct collector_config	 cfg;
	struct store		*st;
	int64_t			 now = iso("2026-11-23T12:00:00Z");
	int64_t			 h, g, d, r;
	char			 err[512];

	(void)state;
	load_groups(&cfg);
	st = fresh_store();
	assert_int_equal(active(st, &cfg, "srv-01", "basildon", now), 0);

	h = add(st, &cfg, "host", "SRV-01", "now", "+1h", NULL, NULL, now);
	assert_int_equal(active(st, &cfg, "srv-01", "basildon", now), h);
	assert_int_equal(active(st, &cfg, "srv-01", NULL, now), h);
	assert_int_equal(active(st, &cfg, "srv-011", "basildon", now), 0);
	/* One-off: from starts to just before ends. */
	assert_int_equal(active(st, &cfg, "srv-01", NULL, now - 1), 0);
	assert_int_equal(active(st, &cfg, "srv-01", NULL, now + HOUR_MS - 1),
	    h);
	assert_int_equal(active(st, &cfg, "srv-01", NULL, now + HOUR_MS), 0);

	g = add(st, &cfg, "group", "web", "2026-11-23T12:00:00Z",
	    "2026-11-23T14:00:00Z", NULL, NULL, now);
	assert_int_equal(active(st, &cfg, "web-07", "orsett", now), g);
	assert_int_equal(active(st, &cfg, "WEB-07", "orsett", now), g);
	assert_int_equal(active(st, &cfg, "db-01", "orsett", now), g);
	assert_int_equal(active(st, &cfg, "db-02", "orsett", now), 0);
	assert_int_equal(active(st, &cfg, "app-web-1", "orsett", now), 0);

	d = add(st, &cfg, "datacentre", "basildon", "now", "+30m", NULL, NULL,
	    now);
	assert_int_equal(active(st, &cfg, "app-01", "basildon", now), d);
	assert_int_equal(active(st, &cfg, "app-01", "southend", now), 0);
	assert_int_equal(active(st, &cfg, "app-01", NULL, now), 0);
	/* The lowest id of several covering windows. */
	assert_int_equal(active(st, &cfg, "srv-01", "basildon", now), h);

	/* Recurring, in its own zone: 2026-11-23 is a Monday; London is on
	 * GMT then. */
	r = add(st, &cfg, "host", "app-02", NULL, NULL, "weekly mon 11:00 2h",
	    "Europe/London", now);
	assert_int_equal(active(st, &cfg, "app-02", NULL, now), r);
	assert_int_equal(active(st, &cfg, "app-02", NULL,
	    iso("2026-11-23T13:00:00Z")), 0);
	assert_int_equal(active(st, &cfg, "app-02", NULL,
	    iso("2026-11-30T11:30:00Z")), r);
	/* In summer, the same window is an hour earlier in UTC. */
	assert_int_equal(active(st, &cfg, "app-02", NULL,
	    iso("2026-06-01T10:00:00Z")), r);
	assert_int_equal(active(st, &cfg, "app-02", NULL,
	    iso("2026-06-01T12:00:00Z")), 0);

	/* Deleted windows cover nothing and stay as history. */
	assert_int_equal(maint_delete(store_db(st), h, "alice", now + 1, err,
	    sizeof err), 0);
	assert_int_equal(maint_delete(store_db(st), h, "alice", now + 2, err,
	    sizeof err), 409);
	assert_int_equal(maint_delete(store_db(st), 999, "alice", now, err,
	    sizeof err), 404);
	assert_int_equal(active(st, &cfg, "srv-01", NULL, now + 2), 0);
	assert_int_equal(active(st, &cfg, "srv-01", "basildon", now + 2), d);

	store_close(st);
	cfg_free(&test_schema, &cfg);
}

static void
test_list(void **state)
{
	struct collector_config	 cfg;
	struct store		*st;
	json_t			*body, *w;
	int64_t			 now = iso("2026-11-23T12:00:00Z");
	char			 err[512];

	(void)state;
	load_groups(&cfg);
	st = fresh_store();
	add(st, &cfg, "host", "a", "now", "+1h", NULL, NULL, now);
	add(st, &cfg, "host", "b", "2026-11-24T00:00:00Z", "+1h", NULL, NULL,
	    now);
	add(st, &cfg, "host", "c", "2026-11-22T00:00:00Z", "+1d", NULL, NULL,
	    iso("2026-11-22T00:00:00Z"));
	add(st, &cfg, "group", "web", NULL, NULL, "weekly sun 02:00 2h",
	    "Europe/London", now);
	/* Long ended: not listed. */
	add(st, &cfg, "host", "old", "2026-10-01T00:00:00Z", "+1h", NULL,
	    NULL, iso("2026-10-01T00:00:00Z"));
	body = maint_list(store_db(st), now, 7 * 24 * HOUR_MS, err, sizeof err);
	assert_non_null(body);
	assert_int_equal(json_array_size(json_object_get(body, "active")), 1);
	assert_int_equal(json_array_size(json_object_get(body, "upcoming")), 2);
	assert_int_equal(json_array_size(json_object_get(body, "ended")), 1);
	w = json_array_get(json_object_get(body, "upcoming"), 1);
	assert_string_equal(json_string_value(json_object_get(w, "recur")),
	    "weekly sun 02:00 2h");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    w, "next"), "starts")), "2026-11-29T02:00:00Z");
	assert_string_equal(json_string_value(json_object_get(w, "author")),
	    "tester");
	json_decref(body);
	store_close(st);
	cfg_free(&test_schema, &cfg);
}

static void
test_add_errors(void **state)
{
	static const struct {
		const char	*scope, *target, *starts, *ends, *recur, *tz;
		const char	*reason;
		const char	*error;
	} bad[] = {
		{ NULL, "a", "now", "+1h", NULL, NULL, "r", "scope: missing" },
		{ "rack", "a", "now", "+1h", NULL, NULL, "r",
		  "scope: \"rack\" is not host, group or datacentre" },
		{ "host", NULL, "now", "+1h", NULL, NULL, "r",
		  "target: missing" },
		{ "host", "", "now", "+1h", NULL, NULL, "r",
		  "target: 0 bytes long" },
		{ "host", "a\nb", "now", "+1h", NULL, NULL, "r",
		  "target: contains a control character" },
		{ "host", "\xff", "now", "+1h", NULL, NULL, "r",
		  "target: not valid UTF-8" },
		{ "group", "nosuch", "now", "+1h", NULL, NULL, "r",
		  "target: no [group \"nosuch\"]" },
		{ "host", "a", "now", "+1h", NULL, NULL, NULL,
		  "reason: missing" },
		{ "host", "a", "now", "+1h", NULL, NULL, "",
		  "reason: 0 bytes long" },
		{ "host", "a", NULL, "+1h", NULL, NULL, "r",
		  "starts: missing" },
		{ "host", "a", "now", NULL, NULL, NULL, "r", "ends: missing" },
		{ "host", "a", "tomorrow", "+1h", NULL, NULL, "r",
		  "starts: \"tomorrow\" is not an ISO-8601 time" },
		{ "host", "a", "now", "+1y", NULL, NULL, "r", "ends: " },
		{ "host", "a", "now", "2026-11-23T11:00:00Z", NULL, NULL, "r",
		  "ends: must be after starts" },
		{ "host", "a", "2026-11-23T10:00:00Z", "2026-11-23T11:00:00Z",
		  NULL, NULL, "r", "ends: already past" },
		{ "host", "a", "now", "+400d", NULL, NULL, "r",
		  "ends: a window may last at most" },
		{ "host", "a", "now", "+1h", NULL, "UTC", "r",
		  "tz: only with recur" },
		{ "host", "a", "now", NULL, "daily 01:00 1h", "UTC", "r",
		  "starts: not with recur" },
		{ "host", "a", NULL, NULL, "daily 01:00 1h", NULL, "r",
		  "tz: missing" },
		{ "host", "a", NULL, NULL, "daily 1:00 1h", "UTC", "r",
		  "recur: \"1:00\" is not a time of day" },
		{ "host", "a", NULL, NULL, "daily 01:00 1h", "Mars/Olympus",
		  "r", "tz: \"Mars/Olympus\": no such time zone" },
	};
	struct collector_config	 cfg;
	struct maint_window	 w;
	struct store		*st;
	char			 err[512];
	int			 status;
	size_t			 i;

	(void)state;
	load_groups(&cfg);
	st = fresh_store();
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&w, 0, sizeof w);
		w.scope = bad[i].scope;
		w.target = bad[i].target;
		w.starts = bad[i].starts;
		w.ends = bad[i].ends;
		w.recur = bad[i].recur;
		w.tz = bad[i].tz;
		w.reason = bad[i].reason;
		w.author = "tester";
		err[0] = '\0';
		if (maint_add(store_db(st), &cfg, &w,
		    iso("2026-11-23T12:00:00Z"), &status, err,
		    sizeof err) != -1)
			fail_msg("case %zu (%s) accepted", i, bad[i].error);
		assert_int_equal(status, 400);
		assert_contains(err, bad[i].error);
	}
	assert_int_equal(db_exec(store_db(st), "SELECT 1", err, sizeof err), 0);
	store_close(st);
	cfg_free(&test_schema, &cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recur_parse),
		cmocka_unit_test(test_zone_names),
		cmocka_unit_test(test_local_to_utc_london),
		cmocka_unit_test(test_against_libc),
		cmocka_unit_test(test_recur_dst_london),
		cmocka_unit_test(test_recur_utc_and_calendar),
		cmocka_unit_test(test_matching),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_add_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
