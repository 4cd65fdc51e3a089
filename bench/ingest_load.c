/* ingest_load.c: drives a running ward-collector as many concurrent agents,
 * each a thread with its own libcurl handle, agent id and rising seq, and
 * prints how many metric values per second it acknowledged. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "bench/synth.h"

#define REPLY_MAX	4096
#define BUSY_RETRIES	50	/* 503s one report may get before giving up */

struct load_opts {
	const char	*url;
	const char	*ca_file;
	char		*token;
	unsigned	 agents;
	int64_t		 reports;
	int		 fresh;	/* a new TLS connection per report */
	int64_t		 base_ms;
};

struct reply {
	char	 text[REPLY_MAX];
	size_t	 len;
};

struct agent {
	pthread_t		 thread;
	unsigned		 index;
	const struct load_opts	*o;
	char			**bodies;
	size_t			*lens;
	size_t			*values;
	int64_t			*latency_us;	/* one per report */
	int64_t			 values_acked;
	int64_t			 reports_acked;
	int64_t			 retries;
	char			 error[512];
};

static pthread_barrier_t start_line;

static int64_t
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static size_t
reply_write(char *data, size_t size, size_t n, void *arg)
{
	struct reply	*r = arg;
	size_t		 len = size * n, room = sizeof r->text - 1 - r->len;

	memcpy(r->text + r->len, data, len < room ? len : room);
	r->len += len < room ? len : room;
	r->text[r->len] = '\0';
	return len;
}

static void *
agent_run(void *arg)
{
	struct agent		*a = arg;
	const struct load_opts	*o = a->o;
	struct curl_slist	*headers = NULL;
	struct reply		 reply;
	CURL			*curl;
	CURLcode		 cc;
	char			*auth, url[512];
	long			 status;
	int64_t			 i, t0;
	int			 busy;

	snprintf(url, sizeof url, "%s/api/v1/reports", o->url);
	xasprintf(&auth, "Authorization: Bearer %s", o->token);
	headers = curl_slist_append(headers, auth);
	headers = curl_slist_append(headers,
	    "Content-Type: application/json");
	xfree_secret(auth);
	if ((curl = curl_easy_init()) == NULL || headers == NULL) {
		snprintf(a->error, sizeof a->error, "curl_easy_init failed");
		pthread_barrier_wait(&start_line);
		goto done;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CAINFO, o->ca_file);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, reply_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "ward-bench/" PACKAGE_VERSION);
	if (o->fresh) {
		curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
	}

	pthread_barrier_wait(&start_line);
	for (i = 0; i < o->reports; i++) {
		busy = 0;
		t0 = now_us();
again:
		reply.len = 0;
		reply.text[0] = '\0';
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, a->bodies[i]);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)a->lens[i]);
		if ((cc = curl_easy_perform(curl)) != CURLE_OK) {
			snprintf(a->error, sizeof a->error, "agent %u seq %"
			    PRId64 ": %s", a->index, i + 1,
			    curl_easy_strerror(cc));
			goto done;
		}
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		/* A busy collector says 503: an agent keeps the report and
		 * sends it again, and so do we, counting it. */
		if (status == 503 && busy++ < BUSY_RETRIES) {
			a->retries++;
			wtime_sleep_ms(100);
			goto again;
		}
		if (status != 200 || strstr(reply.text,
		    "\"accepted\":1") == NULL || strstr(reply.text,
		    "\"duplicates\":0") == NULL) {
			snprintf(a->error, sizeof a->error, "agent %u seq %"
			    PRId64 ": HTTP %ld: %.300s", a->index, i + 1,
			    status, reply.text);
			goto done;
		}
		a->latency_us[i] = now_us() - t0;
		a->reports_acked++;
		a->values_acked += (int64_t)a->values[i];
	}
done:
	if (curl != NULL)
		curl_easy_cleanup(curl);
	curl_slist_free_all(headers);
	return NULL;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static char *
read_token(const char *path)
{
	char	 line[256], *nl;
	FILE	*fp;

	if ((fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "ingest_load: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (fgets(line, sizeof line, fp) == NULL) {
		fprintf(stderr, "ingest_load: %s: empty\n", path);
		fclose(fp);
		return NULL;
	}
	fclose(fp);
	if ((nl = strchr(line, '\n')) != NULL)
		*nl = '\0';
	return xstrdup(line);
}

static void
usage(void)
{
	fprintf(stderr, "usage: ingest_load --url URL --ca-file FILE "
	    "--token-file FILE [--agents N] [--reports R] [--fresh] "
	    "[--base-ms MS]\n"
	    "  --agents N    concurrent agents, each a thread (default 50)\n"
	    "  --reports R   reports each agent sends (default 40)\n"
	    "  --fresh       a new TLS connection for every report, as an\n"
	    "                agent reporting once a minute has; the default\n"
	    "                keeps each agent's connection open\n"
	    "Prints one line of key=value results on standard output.\n");
	exit(2);
}

static int64_t
arg_int(const char *opt, const char *s, int64_t min, int64_t max)
{
	char	 why[128];
	int64_t	 v;

	if (s == NULL)
		usage();
	if (str_parse_int64(s, min, max, &v, why, sizeof why) == -1) {
		fprintf(stderr, "ingest_load: %s: %s\n", opt, why);
		exit(2);
	}
	return v;
}

int
main(int argc, char **argv)
{
	struct load_opts	 o;
	struct agent		*agents;
	struct synth_report	*r;
	const char		*token_file = NULL, *err = NULL;
	int64_t			*all, n, i, t0, t1, values = 0, reports = 0;
	int64_t			 retries = 0;
	double			 secs;
	unsigned		 k;
	int			 ai;

	memset(&o, 0, sizeof o);
	o.agents = 50;
	o.reports = 40;
	o.base_ms = synth_base_ms(wtime_now_ms());
	for (ai = 1; ai < argc; ai++) {
		if (strcmp(argv[ai], "--url") == 0 && ai + 1 < argc)
			o.url = argv[++ai];
		else if (strcmp(argv[ai], "--ca-file") == 0 && ai + 1 < argc)
			o.ca_file = argv[++ai];
		else if (strcmp(argv[ai], "--token-file") == 0 &&
		    ai + 1 < argc)
			token_file = argv[++ai];
		else if (strcmp(argv[ai], "--agents") == 0)
			o.agents = (unsigned)arg_int("--agents", argv[++ai], 1,
			    10000);
		else if (strcmp(argv[ai], "--reports") == 0)
			o.reports = arg_int("--reports", argv[++ai], 1, 50000);
		else if (strcmp(argv[ai], "--base-ms") == 0)
			o.base_ms = arg_int("--base-ms", argv[++ai], 0,
			    INT64_MAX / 2);
		else if (strcmp(argv[ai], "--fresh") == 0)
			o.fresh = 1;
		else
			usage();
	}
	if (o.url == NULL || o.ca_file == NULL || token_file == NULL)
		usage();
	if ((o.token = read_token(token_file)) == NULL)
		return 1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "ingest_load: curl_global_init failed\n");
		return 1;
	}

	/* Every body is made before the clock starts: the collector is
	 * measured, not the generator. */
	agents = xcalloc(o.agents, sizeof *agents);
	for (k = 0; k < o.agents; k++) {
		agents[k].index = k;
		agents[k].o = &o;
		agents[k].bodies = xcalloc((size_t)o.reports, sizeof(char *));
		agents[k].lens = xcalloc((size_t)o.reports, sizeof(size_t));
		agents[k].values = xcalloc((size_t)o.reports, sizeof(size_t));
		agents[k].latency_us = xcalloc((size_t)o.reports,
		    sizeof(int64_t));
		for (i = 0; i < o.reports; i++) {
			r = synth_report_new(k, i + 1, o.base_ms);
			agents[k].bodies[i] = synth_report_json(r,
			    &agents[k].lens[i]);
			agents[k].values[i] = r->nmetrics;
			synth_report_free(r);
		}
	}

	if (pthread_barrier_init(&start_line, NULL, o.agents + 1) != 0) {
		fprintf(stderr, "ingest_load: pthread_barrier_init failed\n");
		return 1;
	}
	for (k = 0; k < o.agents; k++)
		if (pthread_create(&agents[k].thread, NULL, agent_run,
		    &agents[k]) != 0) {
			fprintf(stderr, "ingest_load: cannot start thread %u\n",
			    k);
			return 1;
		}
	pthread_barrier_wait(&start_line);
	t0 = now_us();
	for (k = 0; k < o.agents; k++)
		pthread_join(agents[k].thread, NULL);
	t1 = now_us();

	all = xcalloc((size_t)(o.agents * o.reports), sizeof *all);
	n = 0;
	for (k = 0; k < o.agents; k++) {
		values += agents[k].values_acked;
		reports += agents[k].reports_acked;
		retries += agents[k].retries;
		for (i = 0; i < agents[k].reports_acked; i++)
			all[n++] = agents[k].latency_us[i];
		if (agents[k].error[0] != '\0' && err == NULL)
			err = agents[k].error;
	}
	if (err != NULL) {
		fprintf(stderr, "ingest_load: %s\n", err);
		return 1;
	}
	qsort(all, (size_t)n, sizeof *all, cmp_i64);
	secs = (double)(t1 - t0) / 1e6;
	printf("agents=%u reports=%" PRId64 " values=%" PRId64
	    " seconds=%.3f values_per_s=%.0f reports_per_s=%.1f"
	    " p50_ms=%.1f p99_ms=%.1f retries_503=%" PRId64 " connections=%s\n",
	    o.agents, reports, values, secs, (double)values / secs,
	    (double)reports / secs, (double)all[n / 2] / 1000,
	    (double)all[(n * 99) / 100] / 1000, retries,
	    o.fresh ? "fresh" : "kept");
	for (k = 0; k < o.agents; k++) {
		for (i = 0; i < o.reports; i++)
			free(agents[k].bodies[i]);
		free(agents[k].bodies);
		free(agents[k].lens);
		free(agents[k].values);
		free(agents[k].latency_us);
	}
	free(agents);
	free(all);
	xfree_secret(o.token);
	curl_global_cleanup();
	return 0;
}
