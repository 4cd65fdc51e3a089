/* test_health.c: the check state machine (soft and hard states, `for`,
 * flapping with hysteresis), threshold rules (defaults, overrides, bad
 * rules refused with the reason), and the dependency graph's cycle check. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/db.h"
#include "common/xmalloc.h"
#include "collector/collector.h"
#include "tests/unit/testutil.h"

static const struct health_flap flap = { 50, 25 };
/* 2026-11-23T12:00:00Z */
#define T0	1795435200000LL

static void
test_soft_then_hard(void **state)
{
	struct check_state	 cs;
	unsigned		 c;

	(void)state;
	health_check_init(&cs, 3);
	c = health_check_update(&cs, 0, 1000, 0, &flap);
	assert_int_equal(c & HEALTH_HARD_CHANGE, 0);
	/* Two CRITICALs are soft; the third is hard. */
	c = health_check_update(&cs, 2, 2000, 0, &flap);
	assert_true(c & HEALTH_CHANGED);
	assert_false(c & HEALTH_HARD_CHANGE);
	assert_int_equal(cs.hard, 0);
	assert_int_equal(cs.attempt, 1);
	assert_int_equal(cs.hard_status, 0);
	c = health_check_update(&cs, 2, 3000, 0, &flap);
	assert_false(c & HEALTH_HARD_CHANGE);
	assert_int_equal(cs.attempt, 2);
	c = health_check_update(&cs, 2, 4000, 0, &flap);
	assert_true(c & HEALTH_HARD_CHANGE);
	assert_int_equal(cs.hard, 1);
	assert_int_equal(cs.hard_status, 2);
	assert_int_equal(cs.last_hard_change_ms, 4000);
	assert_int_equal(cs.problem_since_ms, 2000);
	/* Still CRITICAL: nothing new. */
	c = health_check_update(&cs, 2, 5000, 0, &flap);
	assert_int_equal(c & (HEALTH_HARD_CHANGE | HEALTH_CHANGED), 0);
	/* WARNING while hard: a hard change at once. */
	c = health_check_update(&cs, 1, 6000, 0, &flap);
	assert_true(c & HEALTH_HARD_CHANGE);
	assert_int_equal(cs.hard_status, 1);
	/* Recovery: hard at once. */
	c = health_check_update(&cs, 0, 7000, 0, &flap);
	assert_true(c & HEALTH_HARD_CHANGE);
	assert_int_equal(cs.hard_status, 0);
	assert_int_equal(cs.attempt, 1);
	assert_int_equal(cs.problem_since_ms, 0);
}

static void
test_soft_recovery(void **state)
{
	struct check_state	 cs;
	unsigned		 c;

	(void)state;
	health_check_init(&cs, 3);
	health_check_update(&cs, 2, 1000, 0, &flap);
	health_check_update(&cs, 1, 2000, 0, &flap);
	/* A soft problem that clears never raised anything. */
	c = health_check_update(&cs, 0, 3000, 0, &flap);
	assert_false(c & HEALTH_HARD_CHANGE);
	assert_int_equal(cs.hard_status, 0);
	/* Counting starts again. */
	health_check_update(&cs, 2, 4000, 0, &flap);
	assert_int_equal(cs.attempt, 1);
	/* WARNING then CRITICAL counts as one problem run. */
	health_check_update(&cs, 1, 5000, 0, &flap);
	c = health_check_update(&cs, 2, 6000, 0, &flap);
	assert_true(c & HEALTH_HARD_CHANGE);
	assert_int_equal(cs.hard_status, 2);
	/* Out-of-range results are UNKNOWN. */
	health_check_update(&cs, 9, 7000, 0, &flap);
	assert_int_equal(cs.status, 3);
}

static void
test_max_attempts_one_and_for(void **state)
{
	struct check_state	 cs;
	unsigned		 c;

	(void)state;
	health_check_init(&cs, 1);
	c = health_check_update(&cs, 1, 1000, 0, &flap);
	assert_true(c & HEALTH_HARD_CHANGE);

	/* With `for`, time decides, not the count. */
	health_check_init(&cs, 3);
	health_check_update(&cs, 2, T0, 300000, &flap);
	health_check_update(&cs, 2, T0 + 60000, 300000, &flap);
	health_check_update(&cs, 2, T0 + 120000, 300000, &flap);
	c = health_check_update(&cs, 2, T0 + 240000, 300000, &flap);
	assert_false(c & HEALTH_HARD_CHANGE);
	c = health_check_update(&cs, 2, T0 + 300000, 300000, &flap);
	assert_true(c & HEALTH_HARD_CHANGE);
}

static void
test_percent_change(void **state)
{
	(void)state;
	assert_true(health_percent_change("") == 0);
	assert_true(health_percent_change("000000000000000000000") == 0);
	/* Every one of the 20 transitions: 100%. */
	assert_true(health_percent_change("020202020202020202020") > 99.99);
	/* One change, newest: weight 1.2 of 20. */
	assert_true(health_percent_change("000000000000000000002") > 5.99 &&
	    health_percent_change("000000000000000000002") < 6.01);
	/* The same change, oldest: weight 0.8. */
	assert_true(health_percent_change("200000000000000000000") > 3.99 &&
	    health_percent_change("200000000000000000000") < 4.01);
}

static void
test_flapping(void **state)
{
	struct check_state	 cs;
	unsigned		 c, starts = 0, stops = 0;
	int			 i;

	(void)state;
	health_check_init(&cs, 1);
	/* Alternating: flapping starts once past 50%, not again. */
	for (i = 0; i < 30; i++) {
		c = health_check_update(&cs, i % 2 ? 2 : 0, i * 1000, 0,
		    &flap);
		if (c & HEALTH_FLAP_START)
			starts++;
	}
	assert_int_equal(starts, 1);
	assert_true(cs.flapping);
	/* Hysteresis: still flapping between 25% and 50%. */
	for (i = 30; i < 42; i++)
		health_check_update(&cs, 0, i * 1000, 0, &flap);
	assert_true(cs.percent_change < 50 && cs.percent_change >= 25);
	assert_true(cs.flapping);
	/* Settled: below 25%, it stops once. */
	for (i = 42; i < 60; i++) {
		c = health_check_update(&cs, 0, i * 1000, 0, &flap);
		if (c & HEALTH_FLAP_STOP)
			stops++;
	}
	assert_int_equal(stops, 1);
	assert_false(cs.flapping);
	assert_int_equal(strlen(cs.history), HEALTH_HISTORY);
}

/* A config with rules given as (name, metric, warning, critical,
 * direction) and no parents. */
static struct collector_config *
config_new(void)
{
	struct collector_config	*cfg = xcalloc(1, sizeof *cfg);

	cfg->health.max_attempts = 3;
	cfg->health.stale_intervals = 3;
	cfg->health.flap_high_pct = 50;
	cfg->health.flap_low_pct = 25;
	return cfg;
}

static struct rule_config *
config_rule(struct collector_config *cfg, const char *name,
    const char *metric, const char *warning, const char *critical, int dir)
{
	struct rule_config	*r = xcalloc(1, sizeof *r);

	r->item.label = xstrdup(name);
	r->item.line = 10 + (int)cfg->rules.count;
	r->metric = metric != NULL ? xstrdup(metric) : NULL;
	r->warning = warning != NULL ? xstrdup(warning) : NULL;
	r->critical = critical != NULL ? xstrdup(critical) : NULL;
	r->direction = dir;
	r->enabled = 1;
	cfg->rules.items = xreallocarray(cfg->rules.items, cfg->rules.count +
	    1, sizeof *cfg->rules.items);
	cfg->rules.items[cfg->rules.count++] = r;
	return r;
}

static void
config_parent(struct collector_config *cfg, const char *name,
    const char *child)
{
	struct parent_config	*p = xcalloc(1, sizeof *p);

	p->item.label = xstrdup(name);
	p->item.line = 20 + (int)cfg->parents.count;
	p->children.items = xcalloc(2, sizeof *p->children.items);
	p->children.items[0] = xstrdup(child);
	p->children.count = 1;
	cfg->parents.items = xreallocarray(cfg->parents.items,
	    cfg->parents.count + 1, sizeof *cfg->parents.items);
	cfg->parents.items[cfg->parents.count++] = p;
}

static void
config_free(struct collector_config *cfg)
{
	struct rule_config	*r;
	struct parent_config	*p;
	size_t			 i;

	for (i = 0; i < cfg->rules.count; i++) {
		r = cfg->rules.items[i];
		free(r->item.label);
		free(r->metric);
		free(r->warning);
		free(r->critical);
		free(r);
	}
	free(cfg->rules.items);
	for (i = 0; i < cfg->parents.count; i++) {
		p = cfg->parents.items[i];
		free(p->item.label);
		free(p->children.items[0]);
		free(p->children.items);
		free(p);
	}
	free(cfg->parents.items);
	free(cfg);
}

static const struct rule *
find_rule(const struct rules *rs, const char *name)
{
	size_t	 i;

	for (i = 0; i < rules_count(rs); i++)
		if (strcmp(rules_get(rs, i)->name, name) == 0)
			return rules_get(rs, i);
	return NULL;
}

static void
test_rules_defaults_and_overrides(void **state)
{
	struct collector_config	*cfg = config_new();
	struct rules		*rs;
	const struct rule	*r;
	json_t			*labels;
	char			 err[512], *s;

	(void)state;
	assert_int_equal(rules_compile(cfg, &rs, err, sizeof err), 0);
	assert_non_null(r = find_rule(rs, "disk_usage"));
	assert_int_equal(rule_status(r, 50), 0);
	assert_int_equal(rule_status(r, 85.5), 1);
	assert_int_equal(rule_status(r, 96), 2);
	assert_non_null(r = find_rule(rs, "ups_battery_low"));
	assert_int_equal(rule_status(r, 80), 0);
	assert_int_equal(rule_status(r, 40), 1);
	assert_int_equal(rule_status(r, 10), 2);
	assert_non_null(r = find_rule(rs, "load_per_core"));
	assert_string_equal(r->divide_by, "cpu.count");
	rules_free(rs);

	/* Same name: replaced; enabled = no: gone; a new one added. */
	config_rule(cfg, "disk_usage", "fs.used_pct", "70", "80", RULE_ABOVE);
	config_rule(cfg, "swap", NULL, NULL, NULL, RULE_ABOVE)->enabled = 0;
	config_rule(cfg, "pas_queue", "check.pas_queue.depth", "100", "500",
	    RULE_ABOVE)->labels.count = 0;
	assert_int_equal(rules_compile(cfg, &rs, err, sizeof err), 0);
	assert_int_equal(rule_status(find_rule(rs, "disk_usage"), 75), 1);
	assert_null(find_rule(rs, "swap"));
	assert_non_null(r = find_rule(rs, "pas_queue"));
	assert_string_equal(r->kind, "pas_queue");
	labels = json_pack("{s:s, s:s}", "mount", "/var", "device", "sda1");
	assert_true(rule_matches(find_rule(rs, "disk_usage"), "fs.used_pct",
	    labels, "server", "basildon"));
	assert_false(rule_matches(find_rule(rs, "disk_usage"), "fs.size_bytes",
	    labels, "server", "basildon"));
	s = rule_check_name(find_rule(rs, "disk_usage"), labels);
	assert_string_equal(s, "disk_usage{device=sda1,mount=/var}");
	free(s);
	json_decref(labels);
	/* A value holding the separators cannot name another series. */
	labels = json_pack("{s:s}", "device", "sda1,mount=/var");
	s = rule_check_name(find_rule(rs, "disk_usage"), labels);
	assert_string_equal(s, "disk_usage{device=sda1\\,mount\\=/var}");
	free(s);
	json_decref(labels);
	labels = json_pack("{s:s}", "sensor", "PSU {1}\\2");
	s = rule_check_name(find_rule(rs, "disk_usage"), labels);
	assert_string_equal(s, "disk_usage{sensor=PSU \\{1\\}\\\\2}");
	free(s);
	s = rule_output(find_rule(rs, "disk_usage"), "fs.used_pct", 91.25, 1,
	    2);
	assert_string_equal(s, "CRITICAL disk_usage: fs.used_pct = 91.25; "
	    "critical above 80");
	free(s);
	json_decref(labels);
	rules_free(rs);
	config_free(cfg);
}

static void
test_rules_refused(void **state)
{
	struct collector_config	*cfg;
	struct rules		*rs;
	char			 err[512];

	(void)state;
	cfg = config_new();
	config_rule(cfg, "typo", "fs.usedpct", "80", "90", RULE_ABOVE);
	assert_int_equal(rules_compile(cfg, &rs, err, sizeof err), -1);
	assert_contains(err, "[rule \"typo\"] metric \"fs.usedpct\": ward "
	    "collects no such metric");
	config_free(cfg);

	cfg = config_new();
	config_rule(cfg, "upside", "fs.used_pct", "95", "85", RULE_ABOVE);
	assert_int_equal(rules_compile(cfg, &rs, err, sizeof err), -1);
	assert_contains(err, "[rule \"upside\"] warning 95 is above critical "
	    "85");
	config_free(cfg);

	cfg = config_new();
	config_rule(cfg, "low", "ups.charge_pct", "20", "50",
	    RULE_BELOW);
	assert_int_equal(rules_compile(cfg, &rs, err, sizeof err), -1);
	assert_contains(err, "warning 20 is below critical 50");
	config_free(cfg);

	cfg = config_new();
	config_rule(cfg, "nan", "load.1", "lots", NULL, RULE_ABOVE);
	assert_int_equal(rules_compile(cfg, &rs, err, sizeof err), -1);
	assert_contains(err, "[rule \"nan\"] warning: \"lots\" is not a "
	    "number");
	config_free(cfg);

	cfg = config_new();
	config_rule(cfg, "empty", "load.1", NULL, NULL, RULE_ABOVE);
	assert_int_equal(rules_compile(cfg, &rs, err, sizeof err), -1);
	assert_contains(err, "needs warning, critical or both");
	config_free(cfg);

	cfg = config_new();
	config_rule(cfg, "nometric", NULL, "1", "2", RULE_ABOVE);
	assert_int_equal(rules_compile(cfg, &rs, err, sizeof err), -1);
	assert_contains(err, "line 10: [rule \"nometric\"]: metric is "
	    "required");
	config_free(cfg);
}

static void
test_dependency_cycles(void **state)
{
	struct collector_config	*cfg;
	char			 err[512];

	(void)state;
	cfg = config_new();
	config_parent(cfg, "core1", "access-*");
	config_parent(cfg, "access-1", "pas-*");
	assert_int_equal(health_config_check(cfg, err, sizeof err), 0);
	config_parent(cfg, "pas-db1", "core1");
	assert_int_equal(health_config_check(cfg, err, sizeof err), -1);
	assert_contains(err, "the dependencies go round in a circle: core1 -> "
	    "access-1 -> pas-db1 -> core1");
	config_free(cfg);

	/* A parent listing itself (a pattern that matches its own name) is
	 * not a cycle: a host is never its own parent. */
	cfg = config_new();
	config_parent(cfg, "sw-*-core", "sw-*");
	assert_int_equal(health_config_check(cfg, err, sizeof err), 0);
	config_free(cfg);

	cfg = config_new();
	cfg->health.flap_low_pct = 60;
	assert_int_equal(health_config_check(cfg, err, sizeof err), -1);
	assert_contains(err, "flap_low (60) is above flap_high (50)");
	config_free(cfg);
}

/* Open alerts nobody acknowledged are reminded of, except end-of-life
 * ones: those are news for a replacement plan, not for a pager. */
static void
test_reminders(void **state)
{
	struct collector_config	*cfg = config_new();
	struct health_engine	*h;
	struct evaluate_result	 res;
	struct store		*st;
	sqlite3_stmt		*q;
	char			*path, err[512];

	(void)state;
	cfg->health.renotify_ms = 3600000;
	path = tu_path(tu_tmpdir(), "reminders.db");
	st = store_open(path, 0, err, sizeof err);
	assert_non_null(st);
	free(path);
	assert_int_equal(db_exec(store_db(st),
	    "INSERT INTO hosts (id, agent_id, name, first_seen_ms,"
	    "  last_seen_ms, last_report_ms, last_seq)"
	    "  VALUES (1, 'a', 'pas-db01', 0, 0, 0, 1);"
	    "INSERT INTO alerts (id, key, kind, host_id, severity, status,"
	    "  summary, opened_ms, updated_ms) VALUES"
	    "  (1, 'check:1:ntp', 'check', 1, 'critical', 'open', 'ntp', 0, 0),"
	    "  (2, 'eol:1', 'eol_passed', 1, 'warning', 'open', 'eol', 0, 0),"
	    "  (3, 'check:1:x', 'check', 1, 'warning', 'acknowledged', 'x', 0,"
	    "   0);", err, sizeof err), 0);
	assert_non_null(h = health_engine_new(cfg, err, sizeof err));
	assert_int_equal(evaluate_alerts(store_db(st), h, T0, &res, err,
	    sizeof err), 0);
	assert_int_equal(res.reminders, 1);
	q = db_stmt(store_db(st), "SELECT group_concat(alert_id) FROM "
	    "alert_events WHERE event = 'reminder'", err, sizeof err);
	assert_non_null(q);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "1");
	sqlite3_reset(q);
	/* Not again before renotify has passed once more. */
	assert_int_equal(evaluate_alerts(store_db(st), h, T0 + 60000, &res,
	    err, sizeof err), 0);
	assert_int_equal(res.reminders, 0);
	health_engine_free(h);
	store_close(st);
	config_free(cfg);
}

static void
test_stale(void **state)
{
	(void)state;
	assert_false(health_host_stale(0, 60, 180000, 3));
	assert_true(health_host_stale(0, 60, 180001, 3));
	assert_true(health_host_stale(0, 10, 30001, 3));
	/* No interval known: 60 s. */
	assert_false(health_host_stale(0, 0, 180000, 3));
	assert_false(health_host_stale(10000, 60, 5000, 3));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_soft_then_hard),
		cmocka_unit_test(test_soft_recovery),
		cmocka_unit_test(test_max_attempts_one_and_for),
		cmocka_unit_test(test_percent_change),
		cmocka_unit_test(test_flapping),
		cmocka_unit_test(test_rules_defaults_and_overrides),
		cmocka_unit_test(test_rules_refused),
		cmocka_unit_test(test_dependency_cycles),
		cmocka_unit_test(test_reminders),
		cmocka_unit_test(test_stale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
