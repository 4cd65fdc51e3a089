/* maint.c: maintenance windows, one-off or recurring in their own time zone,
 * on a host, a [group] or a datacentre; and whether one covers a host now. */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <unistr.h>

#include "common/buf.h"
#include "common/db.h"
#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "collector/collector.h"

/*
 * Time zones are read from the TZif files of tzdata here rather than
 * through TZ and localtime_r: changing TZ at run time is not thread-safe,
 * and both the HTTP thread and the main thread evaluate windows. A zone is
 * parsed once and kept, immutable, for the life of the process.
 */
#define MAINT_ZONEINFO		"/usr/share/zoneinfo"
#define MAINT_ZONE_NAME_MAX	64
#define MAINT_TZIF_MAX		(256 * 1024)
#define MAINT_DAY_S		86400LL
#define MAINT_TARGET_MAX	255
#define MAINT_REASON_MAX	1024
#define MAINT_AUTHOR_MAX	64
#define MAINT_ONEOFF_MAX_MS	(366LL * 86400 * 1000)
/* A next occurrence is looked for this far ahead (monthly on the 31st
 * occurs seven times a year). */
#define MAINT_LOOKAHEAD_DAYS	400

/* A POSIX TZ rule date: Mm.w.d, Jn or n, and the local time of day. */
struct maint_rule {
	char		 kind;		/* 'M', 'J', 'N' */
	int		 month, week, wday, day;
	int32_t		 time_s;
};

struct maint_zone {
	char			*name;
	size_t			 ntrans;
	int64_t			*trans;		/* UTC seconds, ascending */
	unsigned char		*idx;		/* type after each */
	size_t			 ntypes;
	int32_t			*utoff;		/* seconds east of UTC */
	/* After the last transition: the footer's POSIX TZ rule. */
	int			 has_rule;
	int			 has_dst;
	int32_t			 std_off, dst_off;
	struct maint_rule	 start, end;
	struct maint_zone	*next;
};

static pthread_mutex_t	 maint_zones_lock = PTHREAD_MUTEX_INITIALIZER;
static struct maint_zone *maint_zones;

static int64_t
maint_floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* ------------------------------------------------------------ TZif */

static int64_t
maint_be(const unsigned char *p, int n)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	if (n == 4)
		return (int32_t)(uint32_t)v;
	return (int64_t)v;
}

/* Reads "[+-]hh[:mm[:ss]]" at *pp; hours up to max_h. */
static int
maint_posix_time(const char **pp, int max_h, int32_t *out)
{
	const char	*p = *pp;
	int		 sign = 1, part[3] = { 0, 0, 0 }, i, n;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	for (i = 0; i < 3; i++) {
		if (i > 0) {
			if (*p != ':')
				break;
			p++;
		}
		if (!isdigit((unsigned char)*p))
			return -1;
		for (n = 0; isdigit((unsigned char)*p) && n < 4; n++)
			part[i] = part[i] * 10 + (*p++ - '0');
	}
	if (part[0] > max_h || part[1] > 59 || part[2] > 59)
		return -1;
	*out = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
	*pp = p;
	return 0;
}

static int
maint_posix_name(const char **pp)
{
	const char	*p = *pp;

	if (*p == '<') {
		while (*p != '\0' && *p != '>')
			p++;
		if (*p != '>')
			return -1;
		p++;
	} else {
		while (isalpha((unsigned char)*p))
			p++;
		if (p - *pp < 3)
			return -1;
	}
	*pp = p;
	return 0;
}

static int
maint_posix_rule(const char **pp, struct maint_rule *r)
{
	const char	*p = *pp;
	char		*end;
	long		 v[3];
	int		 i;

	memset(r, 0, sizeof *r);
	r->time_s = 2 * 3600;
	if (*p == 'M') {
		r->kind = 'M';
		p++;
		for (i = 0; i < 3; i++) {
			if (i > 0 && *p++ != '.')
				return -1;
			if (!isdigit((unsigned char)*p))
				return -1;
			v[i] = strtol(p, &end, 10);
			p = end;
		}
		if (v[0] < 1 || v[0] > 12 || v[1] < 1 || v[1] > 5 ||
		    v[2] < 0 || v[2] > 6)
			return -1;
		r->month = (int)v[0];
		r->week = (int)v[1];
		r->wday = (int)v[2];
	} else {
		r->kind = 'N';
		if (*p == 'J') {
			r->kind = 'J';
			p++;
		}
		if (!isdigit((unsigned char)*p))
			return -1;
		v[0] = strtol(p, &end, 10);
		p = end;
		if (v[0] < (r->kind == 'J' ? 1 : 0) || v[0] > 365)
			return -1;
		r->day = (int)v[0];
	}
	if (*p == '/') {
		p++;
		if (maint_posix_time(&p, 167, &r->time_s) == -1)
			return -1;
	}
	*pp = p;
	return 0;
}

/* The TZ string of a TZif footer, e.g. "GMT0BST,M3.5.0/1,M10.5.0". */
static int
maint_posix_parse(struct maint_zone *z, const char *s)
{
	const char	*p = s;
	int32_t		 std, dst;

	if (maint_posix_name(&p) == -1 || maint_posix_time(&p, 24, &std) ==
	    -1)
		return -1;
	z->std_off = -std;
	z->has_rule = 1;
	if (*p == '\0')
		return 0;
	if (maint_posix_name(&p) == -1)
		return -1;
	dst = std - 3600;
	if (*p != ',' && *p != '\0' && maint_posix_time(&p, 24, &dst) == -1)
		return -1;
	z->dst_off = -dst;
	/* tzdata always writes the rules; without them the table decides. */
	if (*p++ != ',' || maint_posix_rule(&p, &z->start) == -1 ||
	    *p++ != ',' || maint_posix_rule(&p, &z->end) == -1 || *p != '\0') {
		z->has_rule = 0;
		return -1;
	}
	z->has_dst = 1;
	return 0;
}

static void
maint_zone_free(struct maint_zone *z)
{
	if (z == NULL)
		return;
	free(z->name);
	free(z->trans);
	free(z->idx);
	free(z->utoff);
	free(z);
}

/* RFC 8536: a version 1 block, then (version 2+) the same with 64-bit
 * times, then "\nTZ string\n". */
static struct maint_zone *
maint_tzif_parse(const char *name, const unsigned char *d, size_t len,
    char *err, size_t errlen)
{
	struct maint_zone	*z;
	const unsigned char	*h, *p, *end = d + len;
	int64_t			 cnt[6];
	size_t			 tsize, block, i;
	int			 v2;
	char			*footer;

	if (len < 44 || memcmp(d, "TZif", 4) != 0)
		goto bad;
	v2 = d[4] >= '2';
	h = d;
	for (i = 0; i < 6; i++)
		cnt[i] = maint_be(h + 20 + 4 * i, 4);
	tsize = 4;
	if (v2) {
		/* Skip the 32-bit block to the 64-bit one. */
		block = (size_t)(cnt[3] * 5 + cnt[4] * 6 + cnt[5] +
		    cnt[2] * 8 + cnt[1] + cnt[0]);
		if (44 + block + 44 > len)
			goto bad;
		h = d + 44 + block;
		if (memcmp(h, "TZif", 4) != 0)
			goto bad;
		for (i = 0; i < 6; i++)
			cnt[i] = maint_be(h + 20 + 4 * i, 4);
		tsize = 8;
	}
	for (i = 0; i < 6; i++)
		if (cnt[i] < 0 || cnt[i] > 100000)
			goto bad;
	/* isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt */
	block = (size_t)cnt[3] * (tsize + 1) + (size_t)cnt[4] * 6 +
	    (size_t)cnt[5] + (size_t)cnt[2] * (tsize + 4) + (size_t)cnt[1] +
	    (size_t)cnt[0];
	p = h + 44;
	if (cnt[4] < 1 || (size_t)(end - p) < block)
		goto bad;

	z = xcalloc(1, sizeof *z);
	z->name = xstrdup(name);
	z->ntrans = (size_t)cnt[3];
	z->ntypes = (size_t)cnt[4];
	z->trans = xcalloc(z->ntrans + 1, sizeof *z->trans);
	z->idx = xcalloc(z->ntrans + 1, 1);
	z->utoff = xcalloc(z->ntypes, sizeof *z->utoff);
	for (i = 0; i < z->ntrans; i++) {
		z->trans[i] = maint_be(p, (int)tsize);
		p += tsize;
		if (i > 0 && z->trans[i] <= z->trans[i - 1])
			goto bad_free;
	}
	for (i = 0; i < z->ntrans; i++) {
		z->idx[i] = *p++;
		if (z->idx[i] >= z->ntypes)
			goto bad_free;
	}
	for (i = 0; i < z->ntypes; i++) {
		z->utoff[i] = (int32_t)maint_be(p, 4);
		if (z->utoff[i] < -25 * 3600 || z->utoff[i] > 26 * 3600)
			goto bad_free;
		p += 6;
	}
	p += (size_t)cnt[5] + (size_t)cnt[2] * (tsize + 4) + (size_t)cnt[1] +
	    (size_t)cnt[0];
	if (v2 && p < end && *p == '\n') {
		const unsigned char *nl = memchr(p + 1, '\n',
		    (size_t)(end - p - 1));

		if (nl != NULL && nl > p + 1) {
			footer = xstrndup((const char *)p + 1,
			    (size_t)(nl - p - 1));
			/* A footer we cannot read leaves the last type in
			 * force, as version 1 files do. */
			if (maint_posix_parse(z, footer) == -1)
				z->has_rule = z->has_dst = 0;
			free(footer);
		}
	}
	return z;

bad_free:
	maint_zone_free(z);
bad:
	snprintf(err, errlen, "tz: \"%s\": %s/%s is not a TZif file", name,
	    MAINT_ZONEINFO, name);
	return NULL;
}

/* Zone names are paths under the zoneinfo directory: nothing that could
 * climb out of it. */
static int
maint_zone_name_ok(const char *name)
{
	const char	*p;

	if (name[0] == '\0' || strlen(name) > MAINT_ZONE_NAME_MAX ||
	    name[0] == '/')
		return 0;
	for (p = name; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && strchr("/_+-.", *p) == NULL)
			return 0;
		if (*p == '.' && (p == name || p[-1] == '/'))
			return 0;
	}
	return 1;
}

static struct maint_zone *
maint_zone_load(const char *name, char *err, size_t errlen)
{
	struct maint_zone	*z, *have;
	struct stat		 sb;
	unsigned char		*data = NULL;
	char			*path, vis[96];
	ssize_t			 n;
	size_t			 len = 0;
	int			 fd;

	if (!maint_zone_name_ok(name)) {
		snprintf(err, errlen, "tz: \"%s\": not a time zone name (use "
		    "one like Europe/London or UTC)", str_vis(vis, sizeof vis,
		    name));
		return NULL;
	}
	pthread_mutex_lock(&maint_zones_lock);
	for (z = maint_zones; z != NULL; z = z->next)
		if (strcmp(z->name, name) == 0)
			break;
	pthread_mutex_unlock(&maint_zones_lock);
	if (z != NULL)
		return z;

	xasprintf(&path, "%s/%s", MAINT_ZONEINFO, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "tz: \"%s\": no such time zone in %s "
		    "(is tzdata installed?)", name, MAINT_ZONEINFO);
		if (fd != -1)
			close(fd);
		free(path);
		return NULL;
	}
	free(path);
	data = xmalloc(MAINT_TZIF_MAX);
	while (len < MAINT_TZIF_MAX && (n = read(fd, data + len,
	    MAINT_TZIF_MAX - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	z = maint_tzif_parse(name, data, len, err, errlen);
	free(data);
	if (z == NULL)
		return NULL;

	/* Another thread may have loaded it meanwhile: keep the first. */
	pthread_mutex_lock(&maint_zones_lock);
	for (have = maint_zones; have != NULL; have = have->next)
		if (strcmp(have->name, name) == 0)
			break;
	if (have == NULL) {
		z->next = maint_zones;
		maint_zones = z;
	}
	pthread_mutex_unlock(&maint_zones_lock);
	if (have != NULL) {
		maint_zone_free(z);
		z = have;
	}
	return z;
}

int
maint_zone_check(const char *tz, char *err, size_t errlen)
{
	return maint_zone_load(tz, err, errlen) == NULL ? -1 : 0;
}

static int
maint_is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
maint_month_days(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	return m == 2 && maint_is_leap(y) ? 29 : days[m - 1];
}

/* 0 = Sunday; 1970-01-01 was a Thursday. */
static int
maint_wday(int64_t days)
{
	return (int)(((days % 7) + 7 + 4) % 7);
}

/* A rule's local wall-clock time in year y, in seconds as if UTC. */
static int64_t
maint_rule_local(const struct maint_rule *r, int y)
{
	int64_t	 days;
	int	 first, md;

	switch (r->kind) {
	case 'M':
		days = wtime_days_from_civil(y, (unsigned)r->month, 1);
		first = 1 + (r->wday - maint_wday(days) + 7) % 7;
		first += 7 * (r->week - 1);
		md = maint_month_days(y, r->month);
		while (first > md)
			first -= 7;
		days += first - 1;
		break;
	case 'J':
		/* 1..365, never counting 29 February. */
		days = wtime_days_from_civil(y, 1, 1) + r->day - 1;
		if (maint_is_leap(y) && r->day >= 60)
			days++;
		break;
	default:
		days = wtime_days_from_civil(y, 1, 1) + r->day;
		break;
	}
	return days * MAINT_DAY_S + r->time_s;
}

static int32_t
maint_rule_offset(const struct maint_zone *z, int64_t t)
{
	int64_t		 start, end;
	int		 y;
	unsigned	 m, d;

	if (!z->has_dst)
		return z->std_off;
	wtime_civil_from_days(maint_floor_div(t + z->std_off, MAINT_DAY_S), &y,
	    &m, &d);
	/* The start is given in standard time, the end in daylight time. */
	start = maint_rule_local(&z->start, y) - z->std_off;
	end = maint_rule_local(&z->end, y) - z->dst_off;
	if (start < end)
		return t >= start && t < end ? z->dst_off : z->std_off;
	/* Southern hemisphere: daylight time spans the new year. */
	return t >= end && t < start ? z->std_off : z->dst_off;
}

/* Seconds east of UTC in force at instant t. */
static int32_t
maint_zone_offset(const struct maint_zone *z, int64_t t)
{
	size_t	 lo, hi, mid;

	if (z->ntrans == 0)
		return z->has_rule ? maint_rule_offset(z, t) : z->utoff[0];
	if (t < z->trans[0])
		return z->utoff[0];
	if (t >= z->trans[z->ntrans - 1]) {
		if (z->has_rule)
			return maint_rule_offset(z, t);
		return z->utoff[z->idx[z->ntrans - 1]];
	}
	lo = 0;
	hi = z->ntrans - 1;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (z->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->utoff[z->idx[lo]];
}

static int64_t
maint_zone_to_utc(const struct maint_zone *z, int64_t local, int earliest)
{
	int32_t		 offs[4];
	int64_t		 t, best = 0, lo, hi, mid;
	int		 found = 0, i;

	/* Any offset that could apply near local is in force two days either
	 * side of it, or at one of the candidates. */
	offs[0] = maint_zone_offset(z, local - 2 * MAINT_DAY_S);
	offs[1] = maint_zone_offset(z, local + 2 * MAINT_DAY_S);
	offs[2] = maint_zone_offset(z, local - offs[0]);
	offs[3] = maint_zone_offset(z, local - offs[1]);
	for (i = 0; i < 4; i++) {
		t = local - offs[i];
		if (maint_zone_offset(z, t) != offs[i])
			continue;
		if (!found || (earliest ? t < best : t > best))
			best = t;
		found = 1;
	}
	if (found)
		return best;
	/* Skipped: clocks went forward over local. The jump is between the
	 * instants the earlier and the later offset would give. */
	lo = local - (offs[0] > offs[1] ? offs[0] : offs[1]);
	hi = local - (offs[0] < offs[1] ? offs[0] : offs[1]);
	if (lo >= hi)
		return local - offs[1];
	/* Smallest t in (lo, hi] whose offset differs from lo's. */
	i = maint_zone_offset(z, lo);
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (maint_zone_offset(z, mid) != i)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

int
maint_local_to_utc(const char *tz, int64_t local_s, int earliest,
    int64_t *out_s, char *err, size_t errlen)
{
	struct maint_zone	*z;

	if ((z = maint_zone_load(tz, err, errlen)) == NULL)
		return -1;
	*out_s = maint_zone_to_utc(z, local_s, earliest);
	return 0;
}

/* ------------------------------------------------------------ recurrence */

enum maint_freq { MAINT_DAILY, MAINT_WEEKLY, MAINT_MONTHLY };

struct maint_recur {
	enum maint_freq	 freq;
	unsigned	 wdays;		/* weekly: bit 0 Sunday .. 6 Saturday */
	int		 mday;		/* monthly: 1..31 */
	int		 start_min;	/* minutes after local midnight */
	int64_t		 duration_ms;
};

static const char *const maint_day_names[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat",
};
static const char *const maint_day_long[] = {
	"sunday", "monday", "tuesday", "wednesday", "thursday", "friday",
	"saturday",
};

static int
maint_day_from_name(const char *s, size_t len)
{
	int	 i;

	for (i = 0; i < 7; i++)
		if ((len == 3 && strncasecmp(s, maint_day_names[i], 3) == 0) ||
		    (len == strlen(maint_day_long[i]) &&
		    strncasecmp(s, maint_day_long[i], len) == 0))
			return i;
	return -1;
}

/* "sun", "mon-fri", "sat,sun" */
static int
maint_parse_days(const char *s, unsigned *mask, char *err, size_t errlen)
{
	const char	*p = s, *comma, *dash;
	char		 vis[64];
	int		 a, b;

	*mask = 0;
	while (*p != '\0') {
		comma = strchr(p, ',');
		if (comma == NULL)
			comma = p + strlen(p);
		dash = memchr(p, '-', (size_t)(comma - p));
		a = maint_day_from_name(p, (size_t)((dash != NULL ? dash :
		    comma) - p));
		b = dash == NULL ? a : maint_day_from_name(dash + 1,
		    (size_t)(comma - dash - 1));
		if (a == -1 || b == -1) {
			snprintf(err, errlen, "\"%s\" is not a day or days (use "
			    "mon, tue, ... sun, lists like sat,sun, ranges "
			    "like mon-fri)", str_vis(vis, sizeof vis, s));
			return -1;
		}
		for (;;) {
			*mask |= 1u << a;
			if (a == b)
				break;
			a = (a + 1) % 7;
		}
		p = *comma == ',' ? comma + 1 : comma;
	}
	if (*mask == 0) {
		snprintf(err, errlen, "no day given");
		return -1;
	}
	return 0;
}

static int
maint_parse_hhmm(const char *s, int *minutes)
{
	if (strlen(s) != 5 || !isdigit((unsigned char)s[0]) ||
	    !isdigit((unsigned char)s[1]) || s[2] != ':' ||
	    !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
		return -1;
	*minutes = ((s[0] - '0') * 10 + (s[1] - '0')) * 60 +
	    (s[3] - '0') * 10 + (s[4] - '0');
	if ((s[0] - '0') * 10 + (s[1] - '0') > 23 ||
	    (s[3] - '0') * 10 + (s[4] - '0') > 59)
		return -1;
	return 0;
}

static int
maint_recur_parse(const char *text, struct maint_recur *r, char *err,
    size_t errlen)
{
	static const char	*const usage = "use \"daily HH:MM DURATION\", "
	    "\"weekly DAYS HH:MM DURATION\" or \"monthly DAY HH:MM DURATION\", "
	    "e.g. \"weekly sun 02:00 2h\"";
	char			**w = NULL, why[128], vis[128], dur[32];
	size_t			 n, i = 1;
	int64_t			 max_ms, v;
	int			 rc = -1;

	memset(r, 0, sizeof *r);
	n = str_split(text, " \t", &w);
	if (n == 0) {
		snprintf(err, errlen, "recur: empty; %s", usage);
		goto done;
	}
	if (strcasecmp(w[0], "daily") == 0) {
		r->freq = MAINT_DAILY;
		max_ms = MAINT_DAY_S * 1000;
	} else if (strcasecmp(w[0], "weekly") == 0) {
		r->freq = MAINT_WEEKLY;
		max_ms = 7 * MAINT_DAY_S * 1000;
	} else if (strcasecmp(w[0], "monthly") == 0) {
		r->freq = MAINT_MONTHLY;
		max_ms = 28 * MAINT_DAY_S * 1000;
	} else {
		snprintf(err, errlen, "recur: \"%s\" is not daily, weekly or "
		    "monthly; %s", str_vis(vis, sizeof vis, w[0]), usage);
		goto done;
	}
	if (n != (r->freq == MAINT_DAILY ? 3u : 4u)) {
		snprintf(err, errlen, "recur: \"%s\": %s",
		    str_vis(vis, sizeof vis, text), usage);
		goto done;
	}
	if (r->freq == MAINT_WEEKLY) {
		if (maint_parse_days(w[i], &r->wdays, why, sizeof why) == -1) {
			snprintf(err, errlen, "recur: %s", why);
			goto done;
		}
		i++;
	} else if (r->freq == MAINT_MONTHLY) {
		if (str_parse_int64(w[i], 1, 31, &v, why, sizeof why) == -1) {
			snprintf(err, errlen, "recur: day of the month \"%s\": "
			    "%s (months without that day are skipped)",
			    str_vis(vis, sizeof vis, w[i]), why);
			goto done;
		}
		r->mday = (int)v;
		i++;
	}
	if (maint_parse_hhmm(w[i], &r->start_min) == -1) {
		snprintf(err, errlen, "recur: \"%s\" is not a time of day "
		    "HH:MM (00:00 to 23:59, local to tz)",
		    str_vis(vis, sizeof vis, w[i]));
		goto done;
	}
	i++;
	if (str_parse_duration_ms(w[i], &r->duration_ms, why, sizeof why) ==
	    -1) {
		snprintf(err, errlen, "recur: duration: %s", why);
		goto done;
	}
	if (r->duration_ms < 60000 || r->duration_ms % 60000 != 0 ||
	    r->duration_ms > max_ms) {
		snprintf(err, errlen, "recur: duration \"%s\" must be whole "
		    "minutes from 1m to %s", str_vis(vis, sizeof vis, w[i]),
		    str_format_duration_ms(dur, sizeof dur, max_ms));
		goto done;
	}
	rc = 0;

done:
	str_list_free(w, n);
	return rc;
}

int
maint_recur_check(const char *recur, char *canonical, size_t canonlen,
    char *err, size_t errlen)
{
	struct maint_recur	 r;
	struct buf		 b;
	char			 dur[32], *s;
	int			 i, first = 1;

	if (maint_recur_parse(recur, &r, err, errlen) == -1)
		return -1;
	if (canonical == NULL)
		return 0;
	buf_init(&b, 0);
	if (r.freq == MAINT_DAILY)
		buf_append_str(&b, "daily");
	else if (r.freq == MAINT_MONTHLY)
		buf_printf(&b, "monthly %d", r.mday);
	else {
		buf_append_str(&b, "weekly ");
		for (i = 0; i < 7; i++) {
			/* Monday first, as people write weeks. */
			int day = (i + 1) % 7;

			if (!(r.wdays & (1u << day)))
				continue;
			buf_printf(&b, "%s%s", first ? "" : ",",
			    maint_day_names[day]);
			first = 0;
		}
	}
	buf_printf(&b, " %02d:%02d %s", r.start_min / 60, r.start_min % 60,
	    str_format_duration_ms(dur, sizeof dur, r.duration_ms));
	s = buf_detach(&b, NULL);
	str_copy(canonical, s, canonlen);
	free(s);
	return 0;
}

static int
maint_recur_on(const struct maint_recur *r, int64_t days)
{
	int		 y;
	unsigned	 m, d;

	switch (r->freq) {
	case MAINT_DAILY:
		return 1;
	case MAINT_WEEKLY:
		return (r->wdays >> maint_wday(days)) & 1;
	case MAINT_MONTHLY:
		wtime_civil_from_days(days, &y, &m, &d);
		return (int)d == r->mday;
	}
	return 0;
}

/*
 * The occurrence on local day `days`: it starts at the earliest instant the
 * clock shows the start time (a skipped start moves to the jump, as cron
 * does) and ends at the latest instant the clock shows start + duration; a
 * window the jump swallowed whole keeps its duration from its moved start.
 */
static void
maint_occurrence(const struct maint_zone *z, const struct maint_recur *r,
    int64_t days, int64_t *start_s, int64_t *end_s)
{
	int64_t	 local = days * MAINT_DAY_S + (int64_t)r->start_min * 60;
	int64_t	 dur = r->duration_ms / 1000;

	*start_s = maint_zone_to_utc(z, local, 1);
	*end_s = maint_zone_to_utc(z, local + dur, 0);
	if (*end_s <= *start_s)
		*end_s = *start_s + dur;
}

int
maint_recur_next(const char *recur, const char *tz, int64_t now_ms,
    int64_t *start_ms, int64_t *end_ms, char *err, size_t errlen)
{
	struct maint_recur	 r;
	struct maint_zone	*z;
	int64_t			 now_s, today, day, s, e, back;

	if (maint_recur_parse(recur, &r, err, errlen) == -1 ||
	    (z = maint_zone_load(tz, err, errlen)) == NULL)
		return -1;
	now_s = maint_floor_div(now_ms, 1000);
	today = maint_floor_div(now_s + maint_zone_offset(z, now_s),
	    MAINT_DAY_S);
	/* An occurrence that began up to its duration ago may still run. */
	back = r.duration_ms / 1000 / MAINT_DAY_S + 2;
	for (day = today - back; day <= today + MAINT_LOOKAHEAD_DAYS; day++) {
		if (!maint_recur_on(&r, day))
			continue;
		maint_occurrence(z, &r, day, &s, &e);
		if (e * 1000 > now_ms) {
			*start_ms = s * 1000;
			*end_ms = e * 1000;
			return 0;
		}
	}
	snprintf(err, errlen, "recur: \"%s\" does not occur in the next %d "
	    "days", recur, MAINT_LOOKAHEAD_DAYS);
	return -1;
}

/* ------------------------------------------------------------ matching */

static int
maint_in_group(const struct collector_config *cfg, const char *group,
    const char *host)
{
	const struct group_config	*g;
	size_t				 i, j;

	for (i = 0; i < cfg->groups.count; i++) {
		g = cfg->groups.items[i];
		if (strcmp(g->item.label, group) != 0)
			continue;
		for (j = 0; j < g->hosts.count; j++)
			if (fnmatch(g->hosts.items[j], host, FNM_CASEFOLD) == 0)
				return 1;
	}
	return 0;
}

#define SQL_MAINT_CANDIDATES \
	"SELECT id, scope, target, recur, tz FROM maintenance" \
	" WHERE deleted_ms IS NULL" \
	"  AND (recur IS NOT NULL OR (starts_ms <= ?1 AND ends_ms > ?1))" \
	"  AND ((scope = 'host' AND target = ?2 COLLATE NOCASE)" \
	"    OR (scope = 'datacentre' AND target = ?3) OR scope = 'group')" \
	" ORDER BY id"

int64_t
maint_active(struct db *db, const struct collector_config *cfg,
    const struct maint_subject *subject, int64_t now_ms, char *err,
    size_t errlen)
{
	sqlite3_stmt	*st;
	const char	*scope, *target, *recur, *tz;
	char		 why[256];
	int64_t		 id, found = 0, s, e;
	int		 rc = SQLITE_DONE;

	if ((st = db_stmt(db, SQL_MAINT_CANDIDATES, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now_ms);
	sqlite3_bind_text(st, 2, subject->host, -1, SQLITE_STATIC);
	if (subject->datacentre != NULL)
		sqlite3_bind_text(st, 3, subject->datacentre, -1,
		    SQLITE_STATIC);
	while (found == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		scope = (const char *)sqlite3_column_text(st, 1);
		target = (const char *)sqlite3_column_text(st, 2);
		recur = (const char *)sqlite3_column_text(st, 3);
		tz = (const char *)sqlite3_column_text(st, 4);
		if (strcmp(scope, "group") == 0 &&
		    !maint_in_group(cfg, target, subject->host))
			continue;
		if (recur == NULL) {
			found = id;
			continue;
		}
		/* A row that no longer parses (tzdata removed a zone)
		 * covers nothing rather than failing every evaluation. */
		if (tz == NULL || maint_recur_next(recur, tz, now_ms, &s, &e,
		    why, sizeof why) == -1)
			continue;
		if (s <= now_ms && now_ms < e)
			found = id;
	}
	if (found == 0 && rc != SQLITE_DONE) {
		db_error(db, "reading maintenance windows", err, errlen);
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return found;
}

/* ------------------------------------------------------------ windows */

static int
maint_text_ok(const char *field, const char *s, size_t max, char *err,
    size_t errlen)
{
	size_t	 len = strlen(s), i;

	if (len == 0 || len > max) {
		snprintf(err, errlen, "%s: %zu bytes long; it must be 1 to "
		    "%zu bytes", field, len, max);
		return -1;
	}
	if (u8_check((const uint8_t *)s, len) != NULL) {
		snprintf(err, errlen, "%s: not valid UTF-8", field);
		return -1;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			snprintf(err, errlen, "%s: contains a control "
			    "character", field);
			return -1;
		}
	return 0;
}

/* "now", ISO-8601, or (with base) "+DURATION" after base. */
static int
maint_parse_time(const char *field, const char *s, int64_t now_ms,
    const int64_t *base, int64_t *out, char *err, size_t errlen)
{
	char	 why[192], vis[64];
	int64_t	 d;

	if (strcmp(s, "now") == 0) {
		*out = now_ms;
		return 0;
	}
	if (s[0] == '+' && base != NULL) {
		if (str_parse_duration_ms(s + 1, &d, why, sizeof why) == -1) {
			snprintf(err, errlen, "%s: %s", field, why);
			return -1;
		}
		*out = *base + d;
		return 0;
	}
	if (wtime_parse_iso8601(s, out, why, sizeof why) == -1) {
		snprintf(err, errlen, "%s: \"%s\" is not %s: %s", field,
		    str_vis(vis, sizeof vis, s), base != NULL ?
		    "an ISO-8601 time, \"now\" or \"+DURATION\"" :
		    "an ISO-8601 time or \"now\"", why);
		return -1;
	}
	return 0;
}

static int
maint_group_known(const struct collector_config *cfg, const char *name)
{
	const struct group_config	*g;
	size_t				 i;

	for (i = 0; i < cfg->groups.count; i++) {
		g = cfg->groups.items[i];
		if (strcmp(g->item.label, name) == 0)
			return 1;
	}
	return 0;
}

static int
maint_window_check(const struct collector_config *cfg,
    const struct maint_window *w, int64_t now_ms, int64_t *starts,
    int64_t *ends, char *canon, size_t canonlen, char *err, size_t errlen)
{
	char	 vis[96], dur[32];

	if (w->scope == NULL) {
		snprintf(err, errlen, "scope: missing (host, group or "
		    "datacentre)");
		return -1;
	}
	if (strcmp(w->scope, "host") != 0 && strcmp(w->scope, "group") != 0 &&
	    strcmp(w->scope, "datacentre") != 0) {
		snprintf(err, errlen, "scope: \"%s\" is not host, group or "
		    "datacentre", str_vis(vis, sizeof vis, w->scope));
		return -1;
	}
	if (w->target == NULL) {
		snprintf(err, errlen, "target: missing (the %s's name)",
		    w->scope);
		return -1;
	}
	if (maint_text_ok("target", w->target, MAINT_TARGET_MAX, err,
	    errlen) == -1)
		return -1;
	if (strcmp(w->scope, "group") == 0 &&
	    !maint_group_known(cfg, w->target)) {
		snprintf(err, errlen, "target: no [group \"%s\"] in the "
		    "collector's configuration",
		    str_vis(vis, sizeof vis, w->target));
		return -1;
	}
	if (w->reason == NULL) {
		snprintf(err, errlen, "reason: missing; say why (it is shown "
		    "with every alert the window suppresses)");
		return -1;
	}
	if (maint_text_ok("reason", w->reason, MAINT_REASON_MAX, err,
	    errlen) == -1)
		return -1;
	if (w->author == NULL || maint_text_ok("author", w->author,
	    MAINT_AUTHOR_MAX, err, errlen) == -1) {
		if (w->author == NULL)
			snprintf(err, errlen, "author: missing");
		return -1;
	}

	if (w->recur != NULL) {
		if (w->starts != NULL || w->ends != NULL) {
			snprintf(err, errlen, "%s: not with recur (a window is "
			    "either starts and ends, or recur and tz)",
			    w->starts != NULL ? "starts" : "ends");
			return -1;
		}
		if (w->tz == NULL) {
			snprintf(err, errlen, "tz: missing; recur needs a time "
			    "zone (e.g. Europe/London or UTC)");
			return -1;
		}
		if (maint_recur_check(w->recur, canon, canonlen, err,
		    errlen) == -1 || maint_zone_check(w->tz, err, errlen) == -1)
			return -1;
		return 0;
	}
	if (w->tz != NULL) {
		snprintf(err, errlen, "tz: only with recur (starts and ends "
		    "carry their own offset)");
		return -1;
	}
	if (w->starts == NULL || w->ends == NULL) {
		snprintf(err, errlen, "%s: missing; a window needs starts and "
		    "ends, or recur and tz", w->starts == NULL ? "starts" :
		    "ends");
		return -1;
	}
	if (maint_parse_time("starts", w->starts, now_ms, NULL, starts, err,
	    errlen) == -1 || maint_parse_time("ends", w->ends, now_ms, starts,
	    ends, err, errlen) == -1)
		return -1;
	if (*ends <= *starts) {
		snprintf(err, errlen, "ends: must be after starts");
		return -1;
	}
	if (*ends <= now_ms) {
		snprintf(err, errlen, "ends: already past");
		return -1;
	}
	if (*ends - *starts > MAINT_ONEOFF_MAX_MS) {
		snprintf(err, errlen, "ends: a window may last at most %s",
		    str_format_duration_ms(dur, sizeof dur,
		    MAINT_ONEOFF_MAX_MS));
		return -1;
	}
	return 0;
}

#define SQL_MAINT_INSERT \
	"INSERT INTO maintenance (scope, target, starts_ms, ends_ms, recur," \
	"  tz, reason, author, created_ms)" \
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"

int64_t
maint_add(struct db *db, const struct collector_config *cfg,
    const struct maint_window *w, int64_t now_ms, int *status, char *err,
    size_t errlen)
{
	sqlite3_stmt	*st;
	char		 canon[128];
	int64_t		 starts = 0, ends = 0;

	*status = 400;
	if (maint_window_check(cfg, w, now_ms, &starts, &ends, canon,
	    sizeof canon, err, errlen) == -1)
		return -1;
	*status = 503;
	if ((st = db_stmt(db, SQL_MAINT_INSERT, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, w->scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, w->target, -1, SQLITE_STATIC);
	if (w->recur == NULL) {
		sqlite3_bind_int64(st, 3, starts);
		sqlite3_bind_int64(st, 4, ends);
	} else {
		sqlite3_bind_text(st, 5, canon, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 6, w->tz, -1, SQLITE_STATIC);
	}
	sqlite3_bind_text(st, 7, w->reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, w->author, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, now_ms);
	if (sqlite3_step(st) != SQLITE_DONE) {
		db_error(db, "storing a maintenance window", err, errlen);
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	*status = 201;
	return sqlite3_last_insert_rowid(db_handle(db));
}

#define SQL_MAINT_DELETE \
	"UPDATE maintenance SET deleted_ms = ?2, deleted_by = ?3" \
	" WHERE id = ?1 AND deleted_ms IS NULL"
#define SQL_MAINT_EXISTS "SELECT 1 FROM maintenance WHERE id = ?1"

int
maint_delete(struct db *db, int64_t id, const char *who, int64_t now_ms,
    char *err, size_t errlen)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_stmt(db, SQL_MAINT_DELETE, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now_ms);
	sqlite3_bind_text(st, 3, who, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(db, "deleting a maintenance window", err, errlen);
		return -1;
	}
	if (sqlite3_changes(db_handle(db)) == 1)
		return 0;
	if ((st = db_stmt(db, SQL_MAINT_EXISTS, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 409;
	if (rc == SQLITE_DONE)
		return 404;
	db_error(db, "reading a maintenance window", err, errlen);
	return -1;
}

#define SQL_MAINT_COLUMNS \
	"SELECT id, scope, target, starts_ms, ends_ms, recur, tz, reason," \
	"  author, created_ms, deleted_ms, deleted_by FROM maintenance"
#define SQL_MAINT_LIST SQL_MAINT_COLUMNS \
	" WHERE (deleted_ms IS NULL AND (recur IS NOT NULL OR ends_ms > ?2))" \
	"  OR deleted_ms > ?2 ORDER BY id"
#define SQL_MAINT_ONE SQL_MAINT_COLUMNS " WHERE id = ?1"

/* The row's JSON, and which list it belongs in. */
static json_t *
maint_row(sqlite3_stmt *st, int64_t now_ms, const char **state)
{
	json_t		*w, *next;
	const char	*recur, *tz;
	char		 why[256], url[64];
	int64_t		 s, e;

	w = json_object();
	json_object_set_new(w, "id", query_json_int(st, 0));
	json_object_set_new(w, "scope", query_json_text(st, 1));
	json_object_set_new(w, "target", query_json_text(st, 2));
	json_object_set_new(w, "starts", query_json_time(st, 3));
	json_object_set_new(w, "ends", query_json_time(st, 4));
	json_object_set_new(w, "recur", query_json_text(st, 5));
	json_object_set_new(w, "tz", query_json_text(st, 6));
	json_object_set_new(w, "reason", query_json_text(st, 7));
	json_object_set_new(w, "author", query_json_text(st, 8));
	json_object_set_new(w, "created", query_json_time(st, 9));
	json_object_set_new(w, "deleted", query_json_time(st, 10));
	json_object_set_new(w, "deleted_by", query_json_text(st, 11));
	snprintf(url, sizeof url, "/api/v1/maintenance/%lld",
	    (long long)sqlite3_column_int64(st, 0));
	json_object_set_new(w, "url", json_string(url));

	recur = (const char *)sqlite3_column_text(st, 5);
	tz = (const char *)sqlite3_column_text(st, 6);
	if (recur != NULL) {
		next = json_null();
		*state = "upcoming";
		if (tz != NULL && maint_recur_next(recur, tz, now_ms, &s, &e,
		    why, sizeof why) == 0) {
			next = json_pack("{s:o, s:o}", "starts",
			    query_json_time_ms(s), "ends",
			    query_json_time_ms(e));
			if (s <= now_ms)
				*state = "active";
		} else
			json_object_set_new(w, "error", json_string(why));
		json_object_set_new(w, "next", next);
	} else {
		s = sqlite3_column_int64(st, 3);
		e = sqlite3_column_int64(st, 4);
		*state = now_ms < s ? "upcoming" : now_ms < e ? "active" :
		    "ended";
	}
	if (sqlite3_column_type(st, 10) != SQLITE_NULL)
		*state = "deleted";
	json_object_set_new(w, "state", json_string(*state));
	return w;
}

json_t *
maint_list(struct db *db, int64_t now_ms, int64_t recent_ms, char *err,
    size_t errlen)
{
	sqlite3_stmt	*st;
	json_t		*body, *active, *upcoming, *ended, *w;
	const char	*state;
	int		 rc;

	if ((st = db_stmt(db, SQL_MAINT_LIST, err, errlen)) == NULL)
		return NULL;
	sqlite3_bind_int64(st, 1, now_ms);
	sqlite3_bind_int64(st, 2, now_ms - recent_ms);
	active = json_array();
	upcoming = json_array();
	ended = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		w = maint_row(st, now_ms, &state);
		if (strcmp(state, "active") == 0)
			json_array_append_new(active, w);
		else if (strcmp(state, "upcoming") == 0)
			json_array_append_new(upcoming, w);
		else
			json_array_append_new(ended, w);
	}
	sqlite3_reset(st);
	body = json_pack("{s:o, s:o, s:o}", "active", active, "upcoming",
	    upcoming, "ended", ended);
	if (rc != SQLITE_DONE) {
		db_error(db, "listing maintenance windows", err, errlen);
		json_decref(body);
		return NULL;
	}
	return body;
}

json_t *
maint_get(struct db *db, int64_t id, int64_t now_ms, char *err,
    size_t errlen)
{
	sqlite3_stmt	*st;
	json_t		*w = NULL;
	const char	*state;
	int		 rc;

	if ((st = db_stmt(db, SQL_MAINT_ONE, err, errlen)) == NULL)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		w = maint_row(st, now_ms, &state);
	else if (rc == SQLITE_DONE)
		err[0] = '\0';
	else
		db_error(db, "reading a maintenance window", err, errlen);
	sqlite3_reset(st);
	return w;
}
