/* stats.c: ward-collector's own counters, request counts and latency
 * histograms, served by /metrics; updated from any thread under one lock. */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "collector/collector.h"

/* Routes are a short fixed table; one more slot for "no route matched". */
#define STATS_ROUTES_MAX	64

static const struct {
	const char	*name;
	const char	*help;
} stats_counters[STATS_COUNTER_COUNT] = {
	[STATS_REPORTS_RECEIVED] = { "ward_reports_received_total",
	    "Reports delivered to POST /api/v1/reports (a body that is not "
	    "JSON counts as one)." },
	[STATS_REPORTS_ACCEPTED] = { "ward_reports_accepted_total",
	    "Reports committed to the database." },
	[STATS_REPORTS_DUPLICATE] = { "ward_reports_duplicates_total",
	    "Replayed reports acknowledged without being stored again." },
	[STATS_REPORTS_REJECTED] = { "ward_reports_rejected_total",
	    "Reports refused as invalid (400); nothing of them was stored." },
	[STATS_REPORTS_FAILED] = { "ward_reports_failed_total",
	    "Valid reports that could not be committed (503); agents send "
	    "them again." },
};

static const struct {
	const char	*name;
	const char	*help;
} stats_histograms[STATS_HIST_COUNT] = {
	[STATS_HIST_INGEST] = { "ward_ingest_duration_seconds",
	    "Time from a body of reports arriving in full to its answer: "
	    "parse, validate, commit." },
};

/* Upper bounds in nanoseconds, so bucketing compares integers. */
static const int64_t stats_bounds_ns[STATS_HIST_BUCKETS] = {
	500000, 1000000, 2500000, 5000000, 10000000, 25000000, 50000000,
	100000000, 250000000, 500000000, 1000000000, 2500000000LL,
	5000000000LL, 10000000000LL,
};

/* Counts per bucket, not cumulative; the last is above every bound. */
struct stats_histogram_state {
	uint64_t	 buckets[STATS_HIST_BUCKETS + 1];
	uint64_t	 sum_ns;
};

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t stats_values[STATS_COUNTER_COUNT];
static struct stats_histogram_state stats_hist[STATS_HIST_COUNT];
static struct stats_route_count stats_routes[STATS_ROUTES_MAX + 1];
static size_t stats_nroutes;

void
stats_add(enum stats_counter counter, uint64_t n)
{
	if ((unsigned)counter >= STATS_COUNTER_COUNT || n == 0)
		return;
	pthread_mutex_lock(&stats_lock);
	stats_values[counter] += n;
	pthread_mutex_unlock(&stats_lock);
}

uint64_t
stats_get(enum stats_counter counter)
{
	uint64_t	 v;

	if ((unsigned)counter >= STATS_COUNTER_COUNT)
		return 0;
	pthread_mutex_lock(&stats_lock);
	v = stats_values[counter];
	pthread_mutex_unlock(&stats_lock);
	return v;
}

const char *
stats_counter_name(enum stats_counter counter)
{
	return (unsigned)counter < STATS_COUNTER_COUNT ?
	    stats_counters[counter].name : NULL;
}

const char *
stats_counter_help(enum stats_counter counter)
{
	return (unsigned)counter < STATS_COUNTER_COUNT ?
	    stats_counters[counter].help : NULL;
}

const char *
stats_histogram_name(enum stats_histogram hist)
{
	return (unsigned)hist < STATS_HIST_COUNT ?
	    stats_histograms[hist].name : NULL;
}

const char *
stats_histogram_help(enum stats_histogram hist)
{
	return (unsigned)hist < STATS_HIST_COUNT ?
	    stats_histograms[hist].help : NULL;
}

int64_t
stats_clock_ns(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
stats_observe_ns(enum stats_histogram hist, int64_t ns)
{
	size_t	 i;

	if ((unsigned)hist >= STATS_HIST_COUNT)
		return;
	if (ns < 0)
		ns = 0;
	for (i = 0; i < STATS_HIST_BUCKETS; i++)
		if (ns <= stats_bounds_ns[i])
			break;
	pthread_mutex_lock(&stats_lock);
	stats_hist[hist].buckets[i]++;
	stats_hist[hist].sum_ns += (uint64_t)ns;
	pthread_mutex_unlock(&stats_lock);
}

void
stats_histogram_get(enum stats_histogram hist,
    struct stats_histogram_snapshot *out)
{
	struct stats_histogram_state	 h;
	uint64_t			 total = 0;
	size_t				 i;

	memset(out, 0, sizeof *out);
	if ((unsigned)hist >= STATS_HIST_COUNT)
		return;
	/* Copied under the lock so buckets, sum and count agree. */
	pthread_mutex_lock(&stats_lock);
	h = stats_hist[hist];
	pthread_mutex_unlock(&stats_lock);
	for (i = 0; i <= STATS_HIST_BUCKETS; i++) {
		total += h.buckets[i];
		out->cumulative[i] = total;
		if (i < STATS_HIST_BUCKETS)
			out->le_s[i] = (double)stats_bounds_ns[i] / 1e9;
	}
	out->count = total;
	out->sum_s = (double)h.sum_ns / 1e9;
}

void
stats_request(const struct route_entry *route, int status)
{
	struct stats_route_count	*rc = NULL;
	size_t				 i;
	int				 class = status / 100;

	if (class < 1 || class > STATS_STATUS_CLASSES)
		class = 5;
	pthread_mutex_lock(&stats_lock);
	for (i = 0; i < stats_nroutes; i++)
		if (stats_routes[i].route == route) {
			rc = &stats_routes[i];
			break;
		}
	if (rc == NULL) {
		/* More routes than slots would be a broken build: count them
		 * as unmatched rather than lose them. */
		if (stats_nroutes >= STATS_ROUTES_MAX && route != NULL) {
			pthread_mutex_unlock(&stats_lock);
			stats_request(NULL, status);
			return;
		}
		rc = &stats_routes[stats_nroutes++];
		rc->route = route;
	}
	rc->by_class[class - 1]++;
	pthread_mutex_unlock(&stats_lock);
}

size_t
stats_requests(struct stats_route_count *out, size_t max)
{
	size_t	 n;

	pthread_mutex_lock(&stats_lock);
	n = stats_nroutes;
	memcpy(out, stats_routes, (n < max ? n : max) * sizeof *out);
	pthread_mutex_unlock(&stats_lock);
	return n;
}

void
stats_reset(void)
{
	pthread_mutex_lock(&stats_lock);
	memset(stats_values, 0, sizeof stats_values);
	memset(stats_hist, 0, sizeof stats_hist);
	memset(stats_routes, 0, sizeof stats_routes);
	stats_nroutes = 0;
	pthread_mutex_unlock(&stats_lock);
}
