/* test_perfdata.c: Nagios perfdata as real plugins write it, and garbage. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "agents/agent.h"
#include "tests/unit/testutil.h"

static void
test_check_load(void **state)
{
	struct perfdata	*p;
	size_t		 n;

	(void)state;
	n = perfdata_parse("load1=0.120;5.000;10.000;0; load5=0.120;4.000;"
	    "8.000;0; load15=0.090;3.000;6.000;0;", &p);
	assert_int_equal(n, 3);
	assert_string_equal(p[0].label, "load1");
	assert_true(p[0].value == 0.12);
	assert_string_equal(p[0].uom, "");
	assert_string_equal(p[0].warn, "5.000");
	assert_string_equal(p[0].crit, "10.000");
	assert_true(p[0].has_min && p[0].min == 0);
	assert_false(p[0].has_max);
	assert_string_equal(p[2].label, "load15");
	assert_true(p[2].value == 0.09);
	perfdata_free(p, n);
}

static void
test_uoms(void **state)
{
	static const struct {
		const char	*text, *label, *uom, *unit;
		double		 value;
	} cases[] = {
		{ "time=0.001234s;;;0.000000", "time", "s", "s", 0.001234 },
		{ "rta=0.052ms;100.000;500.000;0;", "rta", "ms", "ms", 0.052 },
		{ "pl=0%;20;60;0;100", "pl", "%", "percent", 0 },
		{ "/=17134780416B;216442024755;243497277849;0;270552530944",
		  "/", "B", "B", 17134780416.0 },
		{ "size=512KB", "size", "KB", "KB", 512 },
		{ "mem=1024.5MB;;;0", "mem", "MB", "MB", 1024.5 },
		{ "packets=123456c", "packets", "c", "counter", 123456 },
		{ "users=3;5;10;0", "users", "", NULL, 3 },
		{ "temp=-12.5;;", "temp", "", NULL, -12.5 },
		{ "offset=+0.5s", "offset", "s", "s", 0.5 },
		{ "big=1e3", "big", "", NULL, 1000 },
		{ "comma=0,5s", "comma", "s", "s", 0.5 },
		{ "us=15us", "us", "us", "us", 15 },
	};
	struct perfdata	*p;
	size_t		 i, n;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		n = perfdata_parse(cases[i].text, &p);
		if (n != 1)
			fail_msg("%s: %zu entries", cases[i].text, n);
		assert_string_equal(p[0].label, cases[i].label);
		assert_string_equal(p[0].uom, cases[i].uom);
		if (cases[i].unit == NULL)
			assert_null(perfdata_unit(p[0].uom));
		else
			assert_string_equal(perfdata_unit(p[0].uom),
			    cases[i].unit);
		if (p[0].value != cases[i].value)
			fail_msg("%s: value %g", cases[i].text, p[0].value);
		perfdata_free(p, n);
	}
}

static void
test_quoted_labels(void **state)
{
	struct perfdata	*p;
	size_t		 n;

	(void)state;
	n = perfdata_parse("'C:\\ Label: Free Space'=41.2GB;;;0;80 "
	    "'it''s quoted'=1 'with=equals'=2%;80;90 'a b'=3", &p);
	assert_int_equal(n, 4);
	assert_string_equal(p[0].label, "C:\\ Label: Free Space");
	assert_true(p[0].value == 41.2);
	assert_string_equal(p[0].uom, "GB");
	assert_true(p[0].has_max && p[0].max == 80);
	assert_string_equal(p[1].label, "it's quoted");
	assert_string_equal(p[2].label, "with=equals");
	assert_string_equal(p[2].warn, "80");
	assert_string_equal(p[2].crit, "90");
	assert_string_equal(p[3].label, "a b");
	perfdata_free(p, n);
}

static void
test_ranges_and_missing_fields(void **state)
{
	struct perfdata	*p;
	size_t		 n;

	(void)state;
	n = perfdata_parse("a=1;@10:20;~:5 b=2;;;; c=3;;;x;y d=4", &p);
	assert_int_equal(n, 4);
	assert_string_equal(p[0].warn, "@10:20");
	assert_string_equal(p[0].crit, "~:5");
	assert_null(p[1].warn);
	assert_null(p[1].crit);
	assert_false(p[1].has_min);
	/* A bad min/max is dropped, the value kept. */
	assert_false(p[2].has_min);
	assert_false(p[2].has_max);
	assert_true(p[3].value == 4);
	assert_null(p[3].warn);
	perfdata_free(p, n);
}

static void
test_garbage(void **state)
{
	static const char *const bad[] = {
		"", "   ", "novalue", "=5", "x=", "x=U", "x=abc", "x=inf",
		"x=nan", "x=0x10", "x=5toolongunit", "x=5!",
		"''=3", "'unterminated=5", "x=1e999", "x=;;;",
	};
	struct perfdata	*p;
	size_t		 i, n;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		n = perfdata_parse(bad[i], &p);
		if (n != 0)
			fail_msg("\"%s\": %zu entries, first \"%s\"", bad[i],
			    n, p[0].label);
		perfdata_free(p, n);
	}
	/* Good entries around bad ones survive. */
	n = perfdata_parse("a=1 junk b=x c=3ms =4 d=5", &p);
	assert_int_equal(n, 3);
	assert_string_equal(p[0].label, "a");
	assert_string_equal(p[1].label, "c");
	assert_string_equal(p[2].label, "d");
	perfdata_free(p, n);
	/* Unquoted spaces: the words before the last are junk. */
	n = perfdata_parse("label with spaces=3", &p);
	assert_int_equal(n, 1);
	assert_string_equal(p[0].label, "spaces");
	perfdata_free(p, n);
	/* "x=1.5 %": the value parses, "%" alone is junk. */
	n = perfdata_parse("x=1.5 %", &p);
	assert_int_equal(n, 1);
	perfdata_free(p, n);
}

static void
test_long_label(void **state)
{
	struct perfdata	*p;
	char		 text[2000];
	size_t		 n;

	(void)state;
	memset(text, 'a', 1500);
	strcpy(text + 1500, "=1 b=2");
	n = perfdata_parse(text, &p);
	assert_int_equal(n, 1);
	assert_string_equal(p[0].label, "b");
	perfdata_free(p, n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_load),
		cmocka_unit_test(test_uoms),
		cmocka_unit_test(test_quoted_labels),
		cmocka_unit_test(test_ranges_and_missing_fields),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_long_label),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
