/* test_xmalloc.c: the allocation helpers, including the fatal paths, which
 * run in a forked child so the exit status and message can be checked. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "tests/unit/testutil.h"

static void
assert_exited_1(int status)
{
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
}

static void
test_xmalloc_basic(void **state)
{
	char	*p;
	int	*z;
	size_t	 i;

	(void)state;
	p = xmalloc(32);
	memset(p, 'a', 32);
	assert_int_equal(p[31], 'a');
	free(p);

	z = xcalloc(10, sizeof *z);
	for (i = 0; i < 10; i++)
		assert_int_equal(z[i], 0);
	free(z);
}

static void
test_xreallocarray_keeps_data(void **state)
{
	int	*a;
	size_t	 i;

	(void)state;
	a = xreallocarray(NULL, 4, sizeof *a);
	for (i = 0; i < 4; i++)
		a[i] = (int)i * 10;
	a = xreallocarray(a, 1000, sizeof *a);
	for (i = 0; i < 4; i++)
		assert_int_equal(a[i], (int)i * 10);
	a[999] = 7;
	a = xreallocarray(a, 2, sizeof *a);
	assert_int_equal(a[0], 0);
	assert_int_equal(a[1], 10);
	free(a);
}

static void
test_xstrdup(void **state)
{
	const char	*src = "hello";
	char		*p;

	(void)state;
	p = xstrdup(src);
	assert_string_equal(p, "hello");
	assert_ptr_not_equal(p, src);
	free(p);

	p = xstrdup("");
	assert_string_equal(p, "");
	free(p);

	p = xstrndup("hello", 3);
	assert_string_equal(p, "hel");
	free(p);
	p = xstrndup("hi", 10);
	assert_string_equal(p, "hi");
	free(p);
	p = xstrndup("hi", 0);
	assert_string_equal(p, "");
	free(p);
}

static void
test_xasprintf_length(void **state)
{
	char	*s;
	int	 n;

	(void)state;
	n = xasprintf(&s, "%s-%d", "ab", 42);
	assert_int_equal(n, 5);
	assert_string_equal(s, "ab-42");
	assert_int_equal(strlen(s), 5);
	free(s);

	n = xasprintf(&s, "%s", "");
	assert_int_equal(n, 0);
	assert_string_equal(s, "");
	free(s);

	n = xasprintf(&s, "%0500d", 1);
	assert_int_equal(n, 500);
	assert_int_equal(strlen(s), 500);
	assert_int_equal(s[499], '1');
	assert_int_equal(s[0], '0');
	free(s);
}

static void
test_xfree_secret(void **state)
{
	(void)state;
	xfree_secret(NULL);
	xfree_secret(xstrdup("hunter2"));
	xfree_secret(xstrdup(""));
}

static void
child_reallocarray_overflow(void)
{
	void	*p = xreallocarray(NULL, SIZE_MAX / 2, 3);

	free(p);
}

static void
test_xreallocarray_overflow_fatal(void **state)
{
	char	 out[4096];
	int	 status;

	(void)state;
	status = tu_run_in_child(child_reallocarray_overflow, out, sizeof out);
	assert_exited_1(status);
	assert_contains(out, "xreallocarray:");
	assert_contains(out, "overflows");
	assert_contains(out, "error: ");
}

static void
child_xmalloc_zero(void)
{
	void	*p = xmalloc(0);

	free(p);
}

static void
child_xcalloc_zero(void)
{
	void	*p = xcalloc(0, 8);

	free(p);
}

static void
child_xreallocarray_zero(void)
{
	void	*p = xreallocarray(NULL, 8, 0);

	free(p);
}

static void
test_zero_size_fatal(void **state)
{
	char	 out[4096];

	(void)state;
	assert_exited_1(tu_run_in_child(child_xmalloc_zero, out, sizeof out));
	assert_contains(out, "xmalloc: zero size");
	assert_exited_1(tu_run_in_child(child_xcalloc_zero, out, sizeof out));
	assert_contains(out, "xcalloc: zero size");
	assert_exited_1(tu_run_in_child(child_xreallocarray_zero, out,
	    sizeof out));
	assert_contains(out, "xreallocarray: zero size");
}

/* An arena's allocations are aligned for any type, each its own room
 * (written whole, none overlaps another), a large one among small ones
 * leaves the block being filled its room; all freed at once. */
static void
test_xarena(void **state)
{
	struct xarena	*a = NULL;
	unsigned char	*p[3000], *big;
	size_t		 i, j, size;
	char		*s;

	(void)state;
	for (i = 0; i < 3000; i++) {
		size = i == 1500 ? 100000 : 1 + i % 97;
		p[i] = xarena_alloc(&a, size);
		assert_int_equal((uintptr_t)p[i] % _Alignof(max_align_t), 0);
		memset(p[i], (int)(i & 0xff), size);
		if (i == 1500) {
			big = p[i];
			/* The next small one follows the small ones before
			 * it, in the same block. */
			i++;
			p[i] = xarena_alloc(&a, 1 + i % 97);
			memset(p[i], (int)(i & 0xff), 1 + i % 97);
			assert_true(p[i] > p[i - 2] && p[i] < p[i - 2] +
			    4096);
			assert_true(big != NULL);
		}
	}
	for (i = 0; i < 3000; i++) {
		size = i == 1500 ? 100000 : 1 + i % 97;
		for (j = 0; j < size; j++)
			assert_int_equal(p[i][j], i & 0xff);
	}
	s = xarena_strndup(&a, "identifier\0tail", 10);
	assert_string_equal(s, "identifier");
	s = xarena_strndup(&a, "", 0);
	assert_string_equal(s, "");
	assert_non_null(xarena_alloc(&a, 0));
	xarena_free(a);
	xarena_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xmalloc_basic),
		cmocka_unit_test(test_xreallocarray_keeps_data),
		cmocka_unit_test(test_xstrdup),
		cmocka_unit_test(test_xasprintf_length),
		cmocka_unit_test(test_xfree_secret),
		cmocka_unit_test(test_xreallocarray_overflow_fatal),
		cmocka_unit_test(test_zero_size_fatal),
		cmocka_unit_test(test_xarena),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
