/* test_backoff.c: backoff delays stay in [ceiling/2, ceiling], ceilings
 * double up to the cap, and the jitter really spreads. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "common/backoff.h"
#include "tests/unit/testutil.h"

static void
assert_between(int64_t v, int64_t lo, int64_t hi)
{
	if (v < lo || v > hi)
		fail_msg("%lld not in [%lld, %lld]", (long long)v,
		    (long long)lo, (long long)hi);
}

static void
test_backoff_doubles_to_cap(void **state)
{
	static const int64_t ceilings[] = { 1000, 2000, 4000, 8000, 16000,
	    32000, 60000, 60000, 60000 };
	struct backoff	 b;
	size_t		 i;
	int		 run;

	(void)state;
	/* Many runs, since each delay is random within its range. */
	for (run = 0; run < 200; run++) {
		backoff_init(&b, 1000, 60000);
		for (i = 0; i < sizeof ceilings / sizeof ceilings[0]; i++)
			assert_between(backoff_next_ms(&b), ceilings[i] / 2,
			    ceilings[i]);
		for (i = 0; i < 200; i++)
			assert_between(backoff_next_ms(&b), 30000, 60000);
	}
}

static void
test_backoff_reset(void **state)
{
	struct backoff	 b;
	int		 i;

	(void)state;
	backoff_init(&b, 500, 10000);
	for (i = 0; i < 10; i++)
		backoff_next_ms(&b);
	assert_between(backoff_next_ms(&b), 5000, 10000);
	backoff_reset(&b);
	assert_between(backoff_next_ms(&b), 250, 500);
	assert_between(backoff_next_ms(&b), 500, 1000);
	assert_between(backoff_next_ms(&b), 1000, 2000);
}

static void
test_backoff_bad_bounds(void **state)
{
	struct backoff	 b;
	int		 i;

	(void)state;
	/* initial <= 0 becomes 1 ms. */
	backoff_init(&b, 0, 100);
	assert_int_equal(b.initial_ms, 1);
	assert_int_equal(b.max_ms, 100);
	assert_between(backoff_next_ms(&b), 0, 1);
	assert_between(backoff_next_ms(&b), 1, 2);

	backoff_init(&b, -5, -10);
	assert_int_equal(b.initial_ms, 1);
	assert_int_equal(b.max_ms, 1);
	for (i = 0; i < 100; i++)
		assert_between(backoff_next_ms(&b), 0, 1);

	/* max < initial: the initial delay is also the most. */
	backoff_init(&b, 5000, 1000);
	assert_int_equal(b.max_ms, 5000);
	for (i = 0; i < 100; i++)
		assert_between(backoff_next_ms(&b), 2500, 5000);

	backoff_init(&b, 3000, 3000);
	for (i = 0; i < 100; i++)
		assert_between(backoff_next_ms(&b), 1500, 3000);
}

static void
test_backoff_huge_bounds(void **state)
{
	struct backoff	 b;
	int		 i;

	(void)state;
	/* Doubling must stop at max without overflowing int64_t. */
	backoff_init(&b, 1, INT64_MAX);
	for (i = 0; i < 63; i++)
		assert_between(backoff_next_ms(&b), (INT64_C(1) << i) / 2,
		    INT64_C(1) << i);
	for (i = 0; i < 100; i++)
		assert_between(backoff_next_ms(&b), INT64_MAX / 2, INT64_MAX);

	backoff_init(&b, INT64_MAX / 2 + 1, INT64_MAX);
	assert_between(backoff_next_ms(&b), INT64_MAX / 4, INT64_MAX / 2 + 1);
	for (i = 0; i < 100; i++)
		assert_between(backoff_next_ms(&b), INT64_MAX / 2, INT64_MAX);

	backoff_init(&b, INT64_MAX, INT64_MAX);
	for (i = 0; i < 100; i++)
		assert_between(backoff_next_ms(&b), INT64_MAX / 2, INT64_MAX);
}

static void
test_backoff_jitter_spread(void **state)
{
	struct backoff	 b;
	int64_t		 v, first, lo = INT64_MAX, hi = INT64_MIN;
	int		 i, differs = 0;

	(void)state;
	backoff_init(&b, 1000, 60000);
	first = backoff_jitter_ms(&b, 0, 1000);
	for (i = 0; i < 1000; i++) {
		v = backoff_jitter_ms(&b, 0, 1000);
		assert_between(v, 0, 1000);
		if (v != first)
			differs = 1;
		if (v < lo)
			lo = v;
		if (v > hi)
			hi = v;
	}
	assert_true(differs);
	/* Over 1000 uniform draws both ends of the range are reached; the
	 * chance of this failing by luck is below 1e-100. */
	assert_true(lo < 250);
	assert_true(hi > 750);

	/* backoff_next_ms spreads too, within its one range. */
	lo = INT64_MAX;
	hi = INT64_MIN;
	for (i = 0; i < 1000; i++) {
		backoff_reset(&b);
		v = backoff_next_ms(&b);
		if (v < lo)
			lo = v;
		if (v > hi)
			hi = v;
	}
	assert_true(lo < 600);
	assert_true(hi > 900);
}

static void
test_backoff_jitter_edges(void **state)
{
	struct backoff	 b;
	int		 i;

	(void)state;
	backoff_init(&b, 1000, 2000);
	assert_int_equal(backoff_jitter_ms(&b, 5, 5), 5);
	assert_int_equal(backoff_jitter_ms(&b, 9, 3), 9);
	assert_int_equal(backoff_jitter_ms(&b, -7, -7), -7);
	for (i = 0; i < 100; i++) {
		assert_between(backoff_jitter_ms(&b, -10, 10), -10, 10);
		assert_between(backoff_jitter_ms(&b, 0, 1), 0, 1);
		assert_between(backoff_jitter_ms(&b, INT64_MAX - 1,
		    INT64_MAX), INT64_MAX - 1, INT64_MAX);
		/* The whole range must not overflow hi - lo + 1. */
		backoff_jitter_ms(&b, INT64_MIN, INT64_MAX);
		assert_between(backoff_jitter_ms(&b, INT64_MIN, 0),
		    INT64_MIN, 0);
		assert_between(backoff_jitter_ms(&b, -1, INT64_MAX), -1,
		    INT64_MAX);
	}
}

static void
test_backoff_instances_differ(void **state)
{
	struct backoff	 a, b;
	int		 i, same = 0;

	(void)state;
	/* Two clients started together must not retry in lockstep. */
	backoff_init(&a, 1000, 60000);
	backoff_init(&b, 1000, 60000);
	assert_true(a.rng != 0);
	for (i = 0; i < 20; i++)
		if (backoff_jitter_ms(&a, 0, 1000000) ==
		    backoff_jitter_ms(&b, 0, 1000000))
			same++;
	assert_true(same < 20);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	 x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
test_backoff_seeds_distinct(void **state)
{
	struct backoff	 b;
	uint64_t	 seeds[1000];
	size_t		 i;

	(void)state;
	/* Many backoffs made in a tight loop (one per polled host) must not
	 * share a seed, however coarse the clock. */
	for (i = 0; i < 1000; i++) {
		backoff_init(&b, 1000, 60000);
		seeds[i] = b.rng;
	}
	qsort(seeds, 1000, sizeof seeds[0], cmp_u64);
	for (i = 1; i < 1000; i++)
		assert_true(seeds[i] != seeds[i - 1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_doubles_to_cap),
		cmocka_unit_test(test_backoff_reset),
		cmocka_unit_test(test_backoff_bad_bounds),
		cmocka_unit_test(test_backoff_huge_bounds),
		cmocka_unit_test(test_backoff_jitter_spread),
		cmocka_unit_test(test_backoff_jitter_edges),
		cmocka_unit_test(test_backoff_instances_differ),
		cmocka_unit_test(test_backoff_seeds_distinct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
