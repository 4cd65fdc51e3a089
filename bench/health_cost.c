/* health_cost.c: what the health engine costs ingest. The same synthetic
 * reports of an estate of N hosts (default 10 000) go into two collector
 * stores through ingest_reports(): one without the engine, one with it and
 * ward's built-in rules; then the periodic pass over every host's state is
 * timed. Prints CPU and wall time per report for both and their ratio. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/db.h"
#include "common/log.h"
#include "common/wjson.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "collector/collector.h"
#include "bench/synth.h"

/* Reports per transaction, as an agent replaying its spool sends them. */
#define BATCH	50

static double
cpu_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
wall_s(void)
{
	return (double)wtime_mono_ms() / 1000.0;
}

struct side {
	const char	*name;
	struct store	*st;
	double		 cpu, wall;
	long		 reports, values;
};

/* Round `round` of every host, in batches; only round >= 1 is timed. */
static void
ingest_round(struct side *s, unsigned hosts, int64_t round, int64_t base_ms,
    int timed)
{
	struct ingest_result	 res;
	struct synth_report	*r;
	json_t			*batch, *doc;
	char			*text, err[512];
	double			 c0 = 0, w0 = 0;
	size_t			 len;
	unsigned		 h, n;
	int			 status;

	for (h = 0; h < hosts; h += BATCH) {
		batch = json_array();
		for (n = 0; n < BATCH && h + n < hosts; n++) {
			r = synth_report_new(h + n, round + 1, base_ms);
			text = synth_report_json(r, &len);
			if ((doc = wjson_parse(text, len, NULL, err,
			    sizeof err)) == NULL)
				fatalx("synthetic report: %s", err);
			json_array_append_new(batch, doc);
			if (timed)
				s->values += (long)r->nmetrics;
			free(text);
			synth_report_free(r);
		}
		if (timed) {
			c0 = cpu_s();
			w0 = wall_s();
		}
		if (ingest_reports(s->st, batch, base_ms + (round + 2) *
		    SYNTH_INTERVAL_S * 1000, &res, &status, err,
		    sizeof err) == -1)
			fatalx("%s: ingest: %s", s->name, err);
		if (res.accepted != (int)n)
			fatalx("%s: %d of %u accepted", s->name, res.accepted,
			    n);
		if (timed) {
			s->cpu += cpu_s() - c0;
			s->wall += wall_s() - w0;
			s->reports += n;
		}
		json_decref(batch);
	}
}

static struct store *
open_store(const char *dir, const char *name)
{
	struct store	*st;
	char		*path, err[512];

	xasprintf(&path, "%s/%s", dir, name);
	if ((st = store_open(path, 0, err, sizeof err)) == NULL)
		fatalx("%s", err);
	free(path);
	return st;
}

int
main(int argc, char **argv)
{
	struct collector_config	 cfg;
	struct health_engine	*h;
	struct evaluate_result	 res;
	struct side		 off, on;
	char			*dir, err[512];
	const char		*tmp;
	unsigned		 hosts = 10000;
	int64_t			 base_ms, round, rounds = 2;
	double			 c0, w0, eval_cpu, eval_wall;
	int			 i, passes = 5;

	if (argc > 1)
		hosts = (unsigned)strtoul(argv[1], NULL, 10);
	if (argc > 2)
		rounds = strtoll(argv[2], NULL, 10);
	if (hosts == 0 || rounds < 1) {
		fprintf(stderr, "usage: health_cost [HOSTS [ROUNDS]]\n");
		return 2;
	}
	log_init("health_cost", 0, LOG_LEVEL_WARNING);
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	xasprintf(&dir, "%s/ward-health-bench.XXXXXX", tmp);
	if (mkdtemp(dir) == NULL)
		fatal("mkdtemp %s", dir);

	memset(&cfg, 0, sizeof cfg);
	cfg.health.max_attempts = 3;
	cfg.health.stale_intervals = 3;
	cfg.health.flap_high_pct = 50;
	cfg.health.flap_low_pct = 25;
	cfg.health.renotify_ms = 2 * 3600 * 1000;
	if ((h = health_engine_new(&cfg, err, sizeof err)) == NULL)
		fatalx("%s", err);

	memset(&off, 0, sizeof off);
	memset(&on, 0, sizeof on);
	off.name = "without the health engine";
	on.name = "with it (built-in rules)";
	off.st = open_store(dir, "off.db");
	on.st = open_store(dir, "on.db");
	store_set_health(on.st, h);
	base_ms = synth_base_ms(wtime_now_ms());

	/* Round 0 makes the hosts and series; rounds after it are steady
	 * state, the two sides interleaved so neither gets a quieter
	 * machine. */
	fprintf(stderr, "health_cost: %u hosts, %lld measured rounds, "
	    "batches of %d reports\n", hosts, (long long)rounds, BATCH);
	ingest_round(&off, hosts, 0, base_ms, 0);
	ingest_round(&on, hosts, 0, base_ms, 0);
	for (round = 1; round <= rounds; round++) {
		ingest_round(&off, hosts, round, base_ms, 1);
		ingest_round(&on, hosts, round, base_ms, 1);
	}

	/* The periodic pass: every host's state and every live alert. */
	c0 = cpu_s();
	w0 = wall_s();
	for (i = 0; i < passes; i++) {
		if (db_begin(store_db(on.st), err, sizeof err) == -1 ||
		    evaluate_hosts(store_db(on.st), h, base_ms + (rounds + 2) *
		    SYNTH_INTERVAL_S * 1000, &res, err, sizeof err) == -1 ||
		    evaluate_alerts(store_db(on.st), h, base_ms + (rounds +
		    2) * SYNTH_INTERVAL_S * 1000, &res, err, sizeof err) == -1 ||
		    db_commit(store_db(on.st), err, sizeof err) == -1)
			fatalx("evaluate: %s", err);
	}
	eval_cpu = (cpu_s() - c0) / passes;
	eval_wall = (wall_s() - w0) / passes;

	printf("health engine cost at ingest, %u hosts, %ld reports per side "
	    "(%.0f values per report)\n", hosts, on.reports,
	    (double)on.values / (double)on.reports);
	printf("  %-28s %8.3f ms CPU  %8.3f ms wall per report  %8.0f "
	    "reports/s\n", off.name, 1000 * off.cpu / (double)off.reports,
	    1000 * off.wall / (double)off.reports,
	    (double)off.reports / off.wall);
	printf("  %-28s %8.3f ms CPU  %8.3f ms wall per report  %8.0f "
	    "reports/s\n", on.name, 1000 * on.cpu / (double)on.reports,
	    1000 * on.wall / (double)on.reports,
	    (double)on.reports / on.wall);
	printf("  ratio with/without: CPU %.2f, wall %.2f\n", on.cpu / off.cpu,
	    on.wall / off.wall);
	printf("  periodic pass over %u hosts (states, maintenance, "
	    "reminders): %.1f ms CPU, %.1f ms wall (every 5 s: %.1f%% of a "
	    "core)\n", hosts, 1000 * eval_cpu, 1000 * eval_wall,
	    100 * eval_cpu / 5.0);

	store_close(off.st);
	store_close(on.st);
	health_engine_free(h);
	if (getenv("WARD_KEEP_TMP") == NULL) {
		char	*cmd;

		xasprintf(&cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "health_cost: could not remove %s\n",
			    dir);
		free(cmd);
	}
	free(dir);
	return 0;
}
