/* test_idsync_plan.c: the thresholds a run's plan, its write-back and its
 * provisioning must stay within: each of creates, modifies, disables and
 * deletes, absolute and as a percentage, at and just past its limit;
 * percentages with nothing before them (a first run) never stop; a limit
 * of 0 is none. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "idsync/idsync.h"

static struct idsync_section	 cfg;
static char			 err[256];

static int
setup(void **state)
{
	(void)state;
	memset(&cfg, 0, sizeof cfg);
	err[0] = '\0';
	return 0;
}

/* A settled state of 1000 accounts and 400 persons. */
static struct plan
base(void)
{
	struct plan	 p;

	memset(&p, 0, sizeof p);
	p.accounts_before = p.accounts = 1000;
	p.persons_before = p.persons = 400;
	return p;
}

static void
assert_stops(const struct plan *p, const char *words)
{
	assert_int_equal(plan_check(p, &cfg, err, sizeof err), -1);
	if (strstr(err, words) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", err, words);
}

static void
assert_passes(const struct plan *p)
{
	if (plan_check(p, &cfg, err, sizeof err) != 0)
		fail_msg("stopped: %s", err);
}

static void
test_absolute(void **state)
{
	struct plan	 p = base();

	(void)state;
	cfg.max_creates = 10;
	cfg.max_modifies = 20;
	cfg.max_disables = 5;
	cfg.max_deletes = 30;
	p.persons_created = 10;
	p.accounts_modified = 20;
	p.persons_disabled = 5;
	p.accounts_removed = 25;
	p.persons_removed = 5;
	assert_passes(&p);

	p.persons_created = 11;
	assert_stops(&p, "the plan creates 11 (new persons), more than "
	    "max_creates = 10");
	p.persons_created = 10;
	p.accounts_modified = 21;
	assert_stops(&p, "the plan modifies 21 (accounts changed), more than "
	    "max_modifies = 20");
	p.accounts_modified = 20;
	p.persons_disabled = 6;
	assert_stops(&p, "the plan disables 6 (persons who became leavers), "
	    "more than max_disables = 5");
	p.persons_disabled = 5;
	/* Accounts and persons gone count together. */
	p.persons_removed = 6;
	assert_stops(&p, "the plan deletes 31 (25 accounts gone, 6 persons "
	    "gone), more than max_deletes = 30");
}

static void
test_percent(void **state)
{
	struct plan	 p = base();

	(void)state;
	cfg.max_creates_percent = 10;		/* of 400 persons */
	cfg.max_modifies_percent = 5;		/* of 1000 accounts */
	cfg.max_disables_percent = 2;		/* of 400 persons */
	cfg.max_deletes_percent = 1;		/* of 1400 */
	p.persons_created = 40;
	p.accounts_modified = 50;
	p.persons_disabled = 8;
	p.accounts_removed = 14;
	assert_passes(&p);

	p.persons_created = 41;
	assert_stops(&p, "the plan creates 41 of 400 (new persons), more "
	    "than max_creates_percent = 10%");
	p.persons_created = 40;
	p.accounts_modified = 51;
	assert_stops(&p, "the plan modifies 51 of 1000 (accounts changed), "
	    "more than max_modifies_percent = 5%");
	p.accounts_modified = 50;
	p.persons_disabled = 9;
	assert_stops(&p, "the plan disables 9 of 400");
	p.persons_disabled = 8;
	p.persons_removed = 1;
	assert_stops(&p, "the plan deletes 15 of 1400 (14 accounts gone, 1 "
	    "persons gone), more than max_deletes_percent = 1%");
}

/* The first run: nothing before it, so no percentage stops it; absolute
 * limits still do. No limit set: nothing stops. */
static void
test_first_run_and_none(void **state)
{
	struct plan	 p;

	(void)state;
	memset(&p, 0, sizeof p);
	p.accounts = p.accounts_added = 300000;
	p.persons = p.persons_created = 136000;
	cfg.max_creates_percent = 1;
	cfg.max_modifies_percent = 1;
	cfg.max_deletes_percent = 1;
	cfg.max_disables_percent = 1;
	assert_passes(&p);
	cfg.max_creates = 100000;
	assert_stops(&p, "more than max_creates = 100000");

	memset(&cfg, 0, sizeof cfg);
	p = base();
	p.persons_created = p.accounts_modified = p.persons_disabled = 400;
	p.accounts_removed = 1000;
	p.persons_removed = 400;
	assert_passes(&p);
}

static void
test_writes_and_target(void **state)
{
	struct writeback_plan	 wp;
	struct provision_plan	 pp;

	(void)state;
	memset(&wp, 0, sizeof wp);
	wp.holding = 200;
	wp.sets = 3;
	wp.replaces = 10;
	wp.clears = 2;
	cfg.max_creates = 3;
	cfg.max_modifies_percent = 5;		/* of 200 holding */
	cfg.max_deletes = 2;
	assert_int_equal(plan_check_writes(&wp, &cfg, err, sizeof err), 0);
	wp.replaces = 11;
	assert_int_equal(plan_check_writes(&wp, &cfg, err, sizeof err), -1);
	assert_non_null(strstr(err, "the plan modifies 11 of 200 (values to "
	    "replace), more than max_modifies_percent = 5%"));
	wp.replaces = 10;
	wp.clears = 3;
	assert_int_equal(plan_check_writes(&wp, &cfg, err, sizeof err), -1);
	assert_non_null(strstr(err, "(values to clear)"));

	memset(&cfg, 0, sizeof cfg);
	memset(&pp, 0, sizeof pp);
	pp.entries = 100;
	pp.adds = 4;
	pp.modifies = 3;
	pp.renames = 2;
	pp.disables = 1;
	cfg.max_creates = 4;
	cfg.max_modifies = 5;
	cfg.max_disables_percent = 1;
	assert_int_equal(plan_check_target(&pp, &cfg, err, sizeof err), 0);
	/* Renames count as modifies. */
	pp.renames = 3;
	assert_int_equal(plan_check_target(&pp, &cfg, err, sizeof err), -1);
	assert_non_null(strstr(err, "the plan modifies 6 (target entries to "
	    "modify or rename), more than max_modifies = 5"));
	pp.renames = 2;
	pp.disables = 2;
	assert_int_equal(plan_check_target(&pp, &cfg, err, sizeof err), -1);
	assert_non_null(strstr(err, "(target entries to disable)"));
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test_setup(test_absolute, setup),
		cmocka_unit_test_setup(test_percent, setup),
		cmocka_unit_test_setup(test_first_run_and_none, setup),
		cmocka_unit_test_setup(test_writes_and_target, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
