/* test_buf.c: the bounded buffer: the cap is exact and a refused append
 * leaves the buffer as it was; the data is always NUL-terminated. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "tests/unit/testutil.h"

/* The invariant every operation must keep. */
static void
assert_buf(const struct buf *b, const char *want, size_t want_len)
{
	assert_int_equal(b->len, want_len);
	assert_memory_equal(buf_cstr(b), want, want_len + 1);
	if (b->data != NULL) {
		assert_true(b->cap > b->len);
		assert_int_equal(b->data[b->len], '\0');
	}
	if (b->max != 0)
		assert_true(b->len <= b->max);
}

static void
test_buf_empty(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 100);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.max, 100);
	assert_non_null(buf_cstr(&b));
	assert_string_equal(buf_cstr(&b), "");
	buf_free(&b);
	buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.max, 100);
}

static void
test_buf_append(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(buf_append(&b, "abc", 3), 0);
	assert_buf(&b, "abc", 3);
	assert_int_equal(buf_append_char(&b, 'd'), 0);
	assert_buf(&b, "abcd", 4);
	assert_int_equal(buf_append_str(&b, "ef"), 0);
	assert_buf(&b, "abcdef", 6);
	assert_int_equal(buf_append(&b, "", 0), 0);
	assert_int_equal(buf_append_str(&b, ""), 0);
	assert_buf(&b, "abcdef", 6);
	assert_int_equal(buf_printf(&b, "-%d-%s", 12, "x"), 0);
	assert_buf(&b, "abcdef-12-x", 11);
	buf_free(&b);
}

static void
test_buf_empty_append_allocates(void **state)
{
	struct buf	 b;

	(void)state;
	/* An empty append or printf still leaves a terminated buffer. */
	buf_init(&b, 10);
	assert_int_equal(buf_append(&b, "", 0), 0);
	assert_buf(&b, "", 0);
	buf_free(&b);

	buf_init(&b, 10);
	assert_int_equal(buf_printf(&b, "%s", ""), 0);
	assert_buf(&b, "", 0);
	buf_free(&b);
}

static void
test_buf_binary(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 16);
	assert_int_equal(buf_append(&b, "a\0b", 3), 0);
	assert_int_equal(buf_append_char(&b, '\0'), 0);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "a\0b\0", 5);
	buf_free(&b);
}

static void
test_buf_cap_exact(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_append(&b, "12345678", 8), 0);
	assert_buf(&b, "12345678", 8);
	assert_int_equal(buf_append_char(&b, 'x'), -1);
	assert_buf(&b, "12345678", 8);
	assert_int_equal(buf_append_str(&b, "x"), -1);
	assert_int_equal(buf_append(&b, "", 0), 0);
	assert_buf(&b, "12345678", 8);
	buf_free(&b);

	/* Partly full: the whole append is refused, not a prefix of it. */
	buf_init(&b, 8);
	assert_int_equal(buf_append_str(&b, "1234"), 0);
	assert_int_equal(buf_append_str(&b, "56789"), -1);
	assert_buf(&b, "1234", 4);
	assert_int_equal(buf_append_str(&b, "5678"), 0);
	assert_buf(&b, "12345678", 8);
	buf_free(&b);

	/* Too big from empty: nothing is allocated. */
	buf_init(&b, 8);
	assert_int_equal(buf_append(&b, "123456789", 9), -1);
	assert_null(b.data);
	assert_buf(&b, "", 0);
	buf_free(&b);

	buf_init(&b, 1);
	assert_int_equal(buf_append_char(&b, 'a'), 0);
	assert_int_equal(buf_append_char(&b, 'b'), -1);
	assert_buf(&b, "a", 1);
	buf_free(&b);
}

static void
test_buf_cap_larger_than_first_chunk(void **state)
{
	struct buf	 b;
	char		 chunk[100];
	size_t		 i;

	(void)state;
	/* Growth past the first allocation must still stop exactly at max. */
	memset(chunk, 'z', sizeof chunk);
	buf_init(&b, 1000);
	for (i = 0; i < 10; i++)
		assert_int_equal(buf_append(&b, chunk, sizeof chunk), 0);
	assert_int_equal(b.len, 1000);
	assert_true(b.cap <= 1001);
	assert_int_equal(buf_append_char(&b, 'z'), -1);
	assert_int_equal(b.len, 1000);
	assert_int_equal(b.data[1000], '\0');
	assert_int_equal(strlen(buf_cstr(&b)), 1000);
	buf_free(&b);
}

static void
test_buf_printf_cap(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 10);
	assert_int_equal(buf_printf(&b, "%s", "12345"), 0);
	assert_int_equal(buf_printf(&b, "%d", 123456), -1);
	assert_buf(&b, "12345", 5);
	assert_int_equal(buf_printf(&b, "%d", 67890), 0);
	assert_buf(&b, "1234567890", 10);
	assert_int_equal(buf_printf(&b, "%s", "x"), -1);
	assert_buf(&b, "1234567890", 10);
	assert_int_equal(buf_printf(&b, "%s", ""), 0);
	assert_buf(&b, "1234567890", 10);
	buf_free(&b);

	buf_init(&b, 10);
	assert_int_equal(buf_printf(&b, "%010d", 7), 0);
	assert_buf(&b, "0000000007", 10);
	buf_free(&b);

	buf_init(&b, 10);
	assert_int_equal(buf_printf(&b, "%011d", 7), -1);
	assert_null(b.data);
	assert_buf(&b, "", 0);
	buf_free(&b);
}

/* buf_append_uint writes what printf's %llu does, and keeps the cap. */
static void
test_buf_append_uint(void **state)
{
	static const unsigned long long v[] = { 0, 1, 9, 10, 99, 100, 12345,
	    4294967295ULL, 4294967296ULL, 18446744073709551615ULL };
	struct buf	 b;
	char		 want[32];
	size_t		 i;

	(void)state;
	buf_init(&b, 0);
	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		buf_reset(&b);
		assert_int_equal(buf_append_uint(&b, v[i]), 0);
		snprintf(want, sizeof want, "%llu", v[i]);
		assert_buf(&b, want, strlen(want));
	}
	buf_free(&b);
	buf_init(&b, 3);
	assert_int_equal(buf_append_uint(&b, 123), 0);
	assert_int_equal(buf_append_uint(&b, 4), -1);
	assert_buf(&b, "123", 3);
	buf_free(&b);
}

static void
test_buf_consume(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 0);
	buf_consume(&b, 5);
	assert_buf(&b, "", 0);

	buf_append_str(&b, "hello world");
	buf_consume(&b, 0);
	assert_buf(&b, "hello world", 11);
	buf_consume(&b, 6);
	assert_buf(&b, "world", 5);
	buf_consume(&b, 4);
	assert_buf(&b, "d", 1);
	buf_consume(&b, 1);
	assert_buf(&b, "", 0);
	buf_append_str(&b, "again");
	buf_consume(&b, 100);
	assert_buf(&b, "", 0);
	buf_free(&b);
}

static void
test_buf_consume_frees_room(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 6);
	assert_int_equal(buf_append_str(&b, "abcdef"), 0);
	assert_int_equal(buf_append_char(&b, 'g'), -1);
	buf_consume(&b, 2);
	assert_int_equal(buf_append_str(&b, "gh"), 0);
	assert_buf(&b, "cdefgh", 6);
	assert_int_equal(buf_append_char(&b, 'i'), -1);
	buf_free(&b);
}

static void
test_buf_reset(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 4);
	buf_reset(&b);
	assert_buf(&b, "", 0);
	assert_int_equal(buf_append_str(&b, "abcd"), 0);
	buf_reset(&b);
	assert_buf(&b, "", 0);
	assert_int_equal(b.max, 4);
	assert_int_equal(buf_append_str(&b, "wxyz"), 0);
	assert_int_equal(buf_append_char(&b, '!'), -1);
	assert_buf(&b, "wxyz", 4);
	buf_free(&b);
}

static void
test_buf_detach(void **state)
{
	struct buf	 b;
	char		*p;
	size_t		 len = 99;

	(void)state;
	buf_init(&b, 50);
	buf_printf(&b, "n=%d", 5);
	p = buf_detach(&b, &len);
	assert_string_equal(p, "n=5");
	assert_int_equal(len, 3);
	free(p);
	/* b is reset, keeps its cap, and is usable again. */
	assert_null(b.data);
	assert_buf(&b, "", 0);
	assert_int_equal(b.max, 50);
	assert_int_equal(buf_append_str(&b, "x"), 0);
	p = buf_detach(&b, NULL);
	assert_string_equal(p, "x");
	free(p);

	/* Empty: still a string the caller can free, never NULL. */
	len = 99;
	p = buf_detach(&b, &len);
	assert_non_null(p);
	assert_string_equal(p, "");
	assert_int_equal(len, 0);
	free(p);
	buf_free(&b);
}

static void
test_buf_unbounded_growth(void **state)
{
	struct buf	 b;
	const char	*s;
	size_t		 i;

	(void)state;
	buf_init(&b, 0);
	for (i = 0; i < 100000; i++)
		assert_int_equal(buf_printf(&b, "%05zu", i % 100000), 0);
	assert_int_equal(b.len, 500000);
	s = buf_cstr(&b);
	assert_int_equal(strlen(s), 500000);
	assert_memory_equal(s, "000000000100002", 15);
	assert_memory_equal(s + 5 * 12345, "12345", 5);
	assert_memory_equal(s + 500000 - 5, "99999", 5);
	buf_free(&b);

	buf_init(&b, 0);
	for (i = 0; i < 70000; i++)
		assert_int_equal(buf_append_char(&b, (char)('a' + i % 26)), 0);
	assert_int_equal(b.len, 70000);
	assert_int_equal(b.data[69999], 'a' + 69999 % 26);
	assert_int_equal(b.data[70000], '\0');
	buf_free(&b);
}

static void
test_buf_size_overflow(void **state)
{
	struct buf	 b;
	char		 small[16] = "0123456789";

	(void)state;
	/* A length that would wrap size_t is refused before anything is
	 * touched, with or without a cap. */
	buf_init(&b, 0);
	b.data = small;
	b.cap = sizeof small;
	b.len = SIZE_MAX - 5;
	assert_int_equal(buf_append(&b, "abcdefghij", 10), -1);
	assert_int_equal(b.len, SIZE_MAX - 5);
	assert_ptr_equal(b.data, small);
	assert_int_equal(buf_append(&b, "abcde", 5), -1);

	b.len = 10;
	b.max = SIZE_MAX;
	assert_int_equal(buf_append(&b, "x", SIZE_MAX), -1);
	assert_int_equal(buf_append(&b, "x", SIZE_MAX - 10), -1);
	assert_int_equal(b.len, 10);
	assert_ptr_equal(b.data, small);
	assert_string_equal(small, "0123456789");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_empty),
		cmocka_unit_test(test_buf_append),
		cmocka_unit_test(test_buf_append_uint),
		cmocka_unit_test(test_buf_empty_append_allocates),
		cmocka_unit_test(test_buf_binary),
		cmocka_unit_test(test_buf_cap_exact),
		cmocka_unit_test(test_buf_cap_larger_than_first_chunk),
		cmocka_unit_test(test_buf_printf_cap),
		cmocka_unit_test(test_buf_consume),
		cmocka_unit_test(test_buf_consume_frees_room),
		cmocka_unit_test(test_buf_reset),
		cmocka_unit_test(test_buf_detach),
		cmocka_unit_test(test_buf_unbounded_growth),
		cmocka_unit_test(test_buf_size_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
