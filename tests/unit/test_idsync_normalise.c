/* test_idsync_normalise.c: how names are normalised (diacritics, letters
 * NFKD leaves whole, punctuation, compatibility forms), the shipped
 * nickname table, every comparator, Jaro-Winkler, and the hash index. */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/xmalloc.h"
#include "idsync/idsync.h"
#include "tests/unit/testutil.h"

static void
norm_is(const char *in, const char *want)
{
	char	*got = normalise_text(in, strlen(in));

	if (strcmp(got, want) != 0)
		fail_msg("normalise \"%s\": got \"%s\", want \"%s\"", in, got,
		    want);
	free(got);
}

static void
test_normalise(void **state)
{
	char	*s;

	(void)state;
	norm_is("José", "jose");
	norm_is("Zoë", "zoe");
	norm_is("ZOË", "zoe");
	norm_is("Søren Ødegård", "soren odegard");
	norm_is("Łukasz Wałęsa", "lukasz walesa");
	norm_is("Straße", "strasse");
	norm_is("Æthelred", "aethelred");
	norm_is("Đorđević", "dordevic");
	norm_is("Þórunn", "thorunn");
	norm_is("Œnone", "oenone");
	norm_is("Siân", "sian");
	norm_is("Ciarán Ó Dálaigh", "ciaran o dalaigh");
	/* Apostrophes join; hyphens, dots and commas break. */
	norm_is("O'Brien", "obrien");
	norm_is("O\xe2\x80\x99" "Brien", "obrien");
	norm_is("Smith-Jones", "smith jones");
	norm_is("St. John-Smythe, Jr", "st john smythe jr");
	norm_is("  MARY   anne ", "mary anne");
	/* Compatibility forms: full-width letters, the fi ligature. */
	norm_is("\xef\xbc\xaa\xef\xbd\x8f\xef\xbd\x88\xef\xbd\x8e", "john");
	norm_is("\xef\xac\x81ona", "fiona");
	/* Turkish dotted capital I: its dot is a mark. */
	norm_is("\xc4\xb0lker", "ilker");
	/* Other scripts are kept, folded and without accents. */
	norm_is("\xce\xa3\xce\xbf\xcf\x86\xce\xaf\xce\xb1",
	    "\xcf\x83\xce\xbf\xcf\x86\xce\xb9\xce\xb1");
	/* Invalid UTF-8 breaks a token; nothing is lost around it. */
	norm_is("ab\xff" "cd", "ab cd");
	norm_is("", "");
	norm_is("---", "");
	norm_is("Ward 7", "ward 7");

	s = normalise_digits("+44 (0)1268 524900");
	assert_string_equal(s, "4401268524900");
	free(s);
}

/*
 * ASCII takes a short way round libunistring; it must come out as the
 * long way would. A string ending in " é" takes the long way, and its
 * form is the ASCII part's with " e" after it (just "e" if that part
 * leaves nothing): every ASCII byte, alone and in random strings.
 */
static void
test_normalise_ascii(void **state)
{
	char		 in[64], *alone, *both, want[80];
	unsigned	 seed = 7;
	size_t		 len, i, round;

	(void)state;
	for (round = 0; round < 128 + 20000; round++) {
		if (round < 128) {
			in[0] = (char)round;
			len = 1;
		} else {
			len = (seed = seed * 1103515245 + 12345) >> 16 & 31;
			for (i = 0; i < len; i++) {
				seed = seed * 1103515245 + 12345;
				in[i] = (char)(seed >> 16 & 0x7f);
			}
		}
		memcpy(in + len, " \xc3\xa9", 3);
		alone = normalise_text(in, len);
		both = normalise_text(in, len + 3);
		snprintf(want, sizeof want, "%s%se", alone,
		    *alone != '\0' ? " " : "");
		if (strcmp(both, want) != 0)
			fail_msg("ASCII input %zu bytes long (round %zu): "
			    "\"%s\" alone, \"%s\" with \" \xc3\xa9\"", len,
			    round, alone, both);
		free(alone);
		free(both);
	}
}

static struct nicknames *
shipped_table(void)
{
	struct nicknames	*nk;
	const char		*top = getenv("top_srcdir");
	char			*path, err[512];

	xasprintf(&path, "%s/data/nicknames.txt", top != NULL ? top : "..");
	nk = nickname_load(path, err, sizeof err);
	if (nk == NULL)
		fail_msg("%s", err);
	free(path);
	return nk;
}

static void
test_nicknames(void **state)
{
	struct nicknames	*nk;
	char			*path, err[512];

	(void)state;
	nk = shipped_table();
	assert_true(nickname_count(nk) > 100);
	assert_true(nickname_same(nk, "bob", "robert"));
	assert_true(nickname_same(nk, "robert", "bob"));
	assert_true(nickname_same(nk, "liz", "elizabeth"));
	assert_true(nickname_same(nk, "bill", "william"));
	assert_true(nickname_same(nk, "peggy", "margaret"));
	/* Two nicknames of one name are one name too. */
	assert_true(nickname_same(nk, "bob", "rob"));
	/* Alex is short for two names, which are not each other. */
	assert_true(nickname_same(nk, "alex", "alexander"));
	assert_true(nickname_same(nk, "alex", "alexandra"));
	assert_false(nickname_same(nk, "alexander", "alexandra"));
	assert_false(nickname_same(nk, "john", "james"));
	assert_false(nickname_same(nk, "emma", "emily"));
	assert_true(nickname_same(nk, "zebedee", "zebedee"));
	assert_true(nickname_same(NULL, "bob", "bob"));
	assert_false(nickname_same(NULL, "bob", "robert"));
	nickname_free(nk);
	nickname_free(NULL);

	path = tu_write_file(tu_tmpdir(), "nick-bad.txt",
	    "# comment\n\nrobert: bob\nmargaret peggy\n", 0644);
	assert_null(nickname_load(path, err, sizeof err));
	assert_contains(err, "nick-bad.txt:4: expected \"formal: nickname");
	free(path);
	path = tu_write_file(tu_tmpdir(), "nick-alone.txt", "robert:\n",
	    0644);
	assert_null(nickname_load(path, err, sizeof err));
	assert_contains(err, ":1: a formal name needs at least one nickname");
	free(path);
	path = tu_write_file(tu_tmpdir(), "nick-empty.txt", "# none\n", 0644);
	assert_null(nickname_load(path, err, sizeof err));
	assert_contains(err, "no names in it");
	free(path);
	assert_null(nickname_load("/nonexistent/nick.txt", err, sizeof err));
	assert_contains(err, "/nonexistent/nick.txt: No such file");
	/* Names in the table are normalised as directory names are. */
	path = tu_write_file(tu_tmpdir(), "nick-accents.txt",
	    "Zoë: Zo\n", 0644);
	nk = nickname_load(path, err, sizeof err);
	assert_non_null(nk);
	assert_true(nickname_same(nk, "zoe", "zo"));
	nickname_free(nk);
	free(path);
}

static enum compare_level
cmp(enum compare_kind kind, const char *a, const char *b,
    const struct nicknames *nk)
{
	struct compare_value	 va, vb;
	enum compare_level	 l;

	compare_value_init(&va, a, kind);
	compare_value_init(&vb, b, kind);
	l = compare_table[kind].compare(&va, &vb, nk);
	compare_value_clear(&va);
	compare_value_clear(&vb);
	return l;
}

static void
test_compare_name(void **state)
{
	struct nicknames	*nk = shipped_table();

	(void)state;
	assert_int_equal(cmp(COMPARE_NAME, "Robert", "Robert", nk),
	    COMPARE_AGREE);
	assert_int_equal(cmp(COMPARE_NAME, "Bob", "Robert", nk),
	    COMPARE_AGREE);
	assert_int_equal(cmp(COMPARE_NAME, "Zoë", "ZOE", nk), COMPARE_AGREE);
	assert_int_equal(cmp(COMPARE_NAME, "Søren", "Soren", nk),
	    COMPARE_AGREE);
	/* Typing slips. */
	assert_int_equal(cmp(COMPARE_NAME, "Jonathon", "Jonathan", nk),
	    COMPARE_PARTIAL);
	assert_int_equal(cmp(COMPARE_NAME, "Smtih", "Smith", nk),
	    COMPARE_PARTIAL);
	/* A double-barrelled name and one of its halves; an initial. */
	assert_int_equal(cmp(COMPARE_NAME, "Smith-Jones", "Smith", nk),
	    COMPARE_PARTIAL);
	assert_int_equal(cmp(COMPARE_NAME, "Mary", "Mary Anne", nk),
	    COMPARE_PARTIAL);
	assert_int_equal(cmp(COMPARE_NAME, "J", "John", nk), COMPARE_PARTIAL);
	assert_int_equal(cmp(COMPARE_NAME, "John", "J.", nk), COMPARE_PARTIAL);
	/* Twins and strangers. */
	assert_int_equal(cmp(COMPARE_NAME, "Emma", "Emily", nk),
	    COMPARE_DISAGREE);
	assert_int_equal(cmp(COMPARE_NAME, "Smith", "Jones", nk),
	    COMPARE_DISAGREE);
	assert_int_equal(cmp(COMPARE_NAME, "Alexander", "Alexandra", nk),
	    COMPARE_PARTIAL);
	assert_int_equal(cmp(COMPARE_NAME, "K", "John", nk), COMPARE_DISAGREE);
	assert_int_equal(cmp(COMPARE_NAME, "John", NULL, nk), COMPARE_MISSING);
	assert_int_equal(cmp(COMPARE_NAME, "-", "John", nk), COMPARE_MISSING);
	/* Without a table a nickname is just another name. */
	assert_int_equal(cmp(COMPARE_NAME, "Bob", "Robert", NULL),
	    COMPARE_DISAGREE);
	nickname_free(nk);
}

static void
test_compare_others(void **state)
{
	(void)state;
	assert_int_equal(cmp(COMPARE_EXACT, "E100234", " E100234 ", NULL),
	    COMPARE_AGREE);
	assert_int_equal(cmp(COMPARE_EXACT, "E100234", "e100234", NULL),
	    COMPARE_AGREE);
	assert_int_equal(cmp(COMPARE_EXACT, "E100234", "E100243", NULL),
	    COMPARE_DISAGREE);
	assert_int_equal(cmp(COMPARE_EXACT, "E100234", "  ", NULL),
	    COMPARE_MISSING);
	assert_int_equal(cmp(COMPARE_NORMALISED, "Radiology", "RADIOLOGY",
	    NULL), COMPARE_AGREE);
	assert_int_equal(cmp(COMPARE_NORMALISED, "A&E", "a e", NULL),
	    COMPARE_AGREE);
	assert_int_equal(cmp(COMPARE_NORMALISED, "Radiology", "Estates",
	    NULL), COMPARE_DISAGREE);

	assert_int_equal(cmp(COMPARE_TOKENS, "Ward 7 Nurses", "nurses, ward 7",
	    NULL), COMPARE_AGREE);
	assert_int_equal(cmp(COMPARE_TOKENS, "John Smith", "John Smith Jones",
	    NULL), COMPARE_PARTIAL);
	assert_int_equal(cmp(COMPARE_TOKENS, "John John", "John", NULL),
	    COMPARE_AGREE);
	assert_int_equal(cmp(COMPARE_TOKENS, "John Smith", "Jane Doe", NULL),
	    COMPARE_DISAGREE);

	assert_int_equal(cmp(COMPARE_DATE, "1980-03-07", "07/03/1980", NULL),
	    COMPARE_AGREE);
	assert_int_equal(cmp(COMPARE_DATE, "19800307", "1980-03-07", NULL),
	    COMPARE_AGREE);
	assert_int_equal(cmp(COMPARE_DATE, "19800307000000.0Z", "1980-03-07",
	    NULL), COMPARE_AGREE);
	assert_int_equal(cmp(COMPARE_DATE, "1980-03-07", "1980-07-03", NULL),
	    COMPARE_PARTIAL);
	assert_int_equal(cmp(COMPARE_DATE, "1980-03-07", "1981-07-03", NULL),
	    COMPARE_DISAGREE);
	assert_int_equal(cmp(COMPARE_DATE, "1980-03-07", "soon", NULL),
	    COMPARE_MISSING);
	assert_int_equal(cmp(COMPARE_DATE, "1980-13-07", "1980-03-07", NULL),
	    COMPARE_MISSING);

	assert_int_equal(cmp(COMPARE_PREFIX, "Radiology", "Radiology Dept",
	    NULL), COMPARE_PARTIAL);
	assert_int_equal(cmp(COMPARE_PREFIX, "Ra", "Radiology", NULL),
	    COMPARE_DISAGREE);
	assert_int_equal(cmp(COMPARE_PREFIX, "radiology", "RADIOLOGY", NULL),
	    COMPARE_AGREE);

	assert_int_equal(cmp(COMPARE_DIGITS, "+44 1268 524900",
	    "01268 524900", NULL), COMPARE_AGREE);
	assert_int_equal(cmp(COMPARE_DIGITS, "07700 900123", "07700 900124",
	    NULL), COMPARE_DISAGREE);
	assert_int_equal(cmp(COMPARE_DIGITS, "x4021", "01268 524021", NULL),
	    COMPARE_MISSING);
	assert_int_equal(cmp(COMPARE_DIGITS, NULL, "01268 524021", NULL),
	    COMPARE_MISSING);
	/* The shorter number's digits, at most nine, from the end. */
	assert_int_equal(cmp(COMPARE_DIGITS, "68 524 900", "+44 1268 524900",
	    NULL), COMPARE_AGREE);
	assert_int_equal(cmp(COMPARE_DIGITS, "68 524 901", "+44 1268 524900",
	    NULL), COMPARE_DISAGREE);
	assert_int_equal(cmp(COMPARE_DIGITS, "9 1268 524900", "8 1268 524900",
	    NULL), COMPARE_AGREE);
	assert_int_equal(cmp(COMPARE_DIGITS, "524900", "1268 524900", NULL),
	    COMPARE_MISSING);

	assert_string_equal(compare_level_name(COMPARE_PARTIAL), "partial");
	assert_string_equal(compare_names[COMPARE_DIGITS], "digits");
	assert_null(compare_names[COMPARE_DIGITS + 1]);
}

static void
test_jaro_winkler(void **state)
{
	(void)state;
	/* The published examples (Winkler 1990). */
	assert_true(fabs(compare_jaro_winkler("martha", "marhta") - 0.961) <
	    0.001);
	assert_true(fabs(compare_jaro_winkler("dwayne", "duane") - 0.840) <
	    0.001);
	assert_true(fabs(compare_jaro_winkler("dixon", "dicksonx") - 0.813) <
	    0.001);
	assert_true(compare_jaro_winkler("abc", "abc") == 1.0);
	assert_true(compare_jaro_winkler("abc", "xyz") == 0.0);
	assert_true(compare_jaro_winkler("", "") == 1.0);
	assert_true(compare_jaro_winkler("a", "") == 0.0);
	/* By code point, not byte: one letter differs in each. */
	assert_true(fabs(compare_jaro_winkler("s\xc3\xb8ren", "s\xc3\xa5ren") -
	    compare_jaro_winkler("soren", "saren")) < 1e-9);
}

static void
count_keys(const char *key, const size_t *values, size_t count, void *arg)
{
	(void)key;
	(void)values;
	*(size_t *)arg += count;
}

static void
test_index(void **state)
{
	struct index	*ix = index_new();
	const size_t	*v;
	char		 key[32], *big;
	size_t		 n, i, total = 0;

	(void)state;
	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof key, "k%zu", i % 1000);
		index_add(ix, key, i);
	}
	assert_int_equal(index_keys(ix), 1000);
	v = index_get(ix, "k7", &n);
	assert_int_equal(n, 5);
	assert_int_equal(v[0], 7);
	assert_int_equal(v[4], 4007);
	assert_null(index_get(ix, "nope", &n));
	assert_int_equal(n, 0);
	index_add_once(ix, "k7", 4007);
	index_add_once(ix, "k7", 4008);
	v = index_get(ix, "k7", &n);
	assert_int_equal(n, 6);
	index_foreach(ix, count_keys, &total);
	assert_int_equal(total, 5001);
	/* Numbering: the first value a key got stays its number. */
	assert_int_equal(index_first_or_add(ix, "fresh", 77), 77);
	assert_int_equal(index_first_or_add(ix, "fresh", 78), 77);
	assert_int_equal(index_first_or_add(ix, "k7", 9), 7);
	v = index_get(ix, "fresh", &n);
	assert_int_equal(n, 1);
	v = index_get(ix, "k7", &n);
	assert_int_equal(n, 6);
	index_free(ix);
	index_free(NULL);

	/* Keys and lists beyond a chunk's room: a list of 100 000 values
	 * grown one by one among short ones, and a key of 100 KiB. */
	ix = index_new();
	big = xmalloc(100 * 1024 + 1);
	memset(big, 'x', 100 * 1024);
	big[100 * 1024] = '\0';
	for (i = 0; i < 100000; i++) {
		index_add(ix, "common", i);
		snprintf(key, sizeof key, "u%zu", i);
		index_add(ix, key, i * 3);
		if (i % 1000 == 0)
			index_add(ix, big, i);
	}
	v = index_get(ix, "common", &n);
	assert_int_equal(n, 100000);
	for (i = 0; i < n; i++)
		assert_int_equal(v[i], i);
	for (i = 0; i < 100000; i += 997) {
		snprintf(key, sizeof key, "u%zu", i);
		v = index_get(ix, key, &n);
		assert_int_equal(n, 1);
		assert_int_equal(v[0], i * 3);
	}
	v = index_get(ix, big, &n);
	assert_int_equal(n, 100);
	assert_int_equal(v[99], 99000);
	assert_int_equal(index_keys(ix), 100002);
	free(big);
	index_free(ix);
}

/*
 * A key set loaded from batches, a thread per part, holds what a string
 * index filled key by key in order holds: every key's values ascending,
 * each once. The batches are gathered out of order (the last share
 * first) and repeat keys within an account and across batches.
 */
#define FILL_N		30000
#define FILL_BATCHES	4

static void
fill_keys(struct index *ix, struct keyset_batch *b, size_t from, size_t to)
{
	char	 key[32];
	size_t	 i, k;

	for (i = from; i < to; i++)
		for (k = 0; k < 4; k++) {
			/* k = 3 repeats k = 0's key. */
			snprintf(key, sizeof key, "k%zu", (i * 7 + k % 3) %
			    5000);
			if (ix != NULL)
				index_add_once(ix, key, i);
			else
				keyset_batch_add(b, key, i);
		}
}

struct load_job {
	struct keyset		*ks;
	size_t			 part;
	struct keyset_batch	**b;
};

static void *
load_part(void *arg)
{
	struct load_job	*job = arg;

	keyset_load(job->ks, job->part, job->b, FILL_BATCHES);
	return NULL;
}

struct keyset_walk {
	size_t		 keys;
	size_t		 values;
	uint64_t	 last;
	int		 unordered;
};

static void
walk_keys(uint64_t hash, const size_t *values, size_t count, void *arg)
{
	struct keyset_walk	*w = arg;
	size_t			 i;

	if (w->keys > 0 && hash <= w->last)
		w->unordered = 1;
	for (i = 1; i < count; i++)
		if (values[i] <= values[i - 1])
			w->unordered = 1;
	w->last = hash;
	w->keys++;
	w->values += count;
}

static void
test_keyset(void **state)
{
	struct index		*one = index_new();
	struct keyset		*split = keyset_new(3), *whole = keyset_new(1);
	struct keyset		*none = keyset_new(2);
	struct keyset_batch	*b[FILL_BATCHES], *empty;
	struct keyset_walk	 walk;
	struct load_job		 jobs[3];
	pthread_t		 t[3];
	const size_t		*v, *w;
	char			 key[32];
	size_t			 i, n, m, total = 0;

	(void)state;
	fill_keys(one, NULL, 0, FILL_N);
	for (i = 0; i < FILL_BATCHES; i++) {
		b[i] = keyset_batch_new();
		fill_keys(NULL, b[i], FILL_N / FILL_BATCHES *
		    (FILL_BATCHES - 1 - i), FILL_N / FILL_BATCHES *
		    (FILL_BATCHES - i));
	}
	for (i = 0; i < 3; i++) {
		jobs[i].ks = split;
		jobs[i].part = i;
		jobs[i].b = b;
		assert_int_equal(pthread_create(&t[i], NULL, load_part,
		    &jobs[i]), 0);
	}
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	/* The same batches into a key set of one part, in one go. */
	keyset_load(whole, KEYSET_ANY_PART, b, FILL_BATCHES);
	assert_int_equal(keyset_keys(split), index_keys(one));
	assert_int_equal(keyset_keys(whole), index_keys(one));
	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof key, "k%zu", i);
		v = index_get(one, key, &n);
		assert_true(n > 0);
		total += n;
		w = keyset_get(split, key, &m);
		assert_int_equal(n, m);
		assert_memory_equal(v, w, n * sizeof *v);
		w = keyset_get(whole, key, &m);
		assert_int_equal(n, m);
		assert_memory_equal(v, w, n * sizeof *v);
	}
	assert_null(keyset_get(split, "k5000", &n));
	assert_int_equal(n, 0);
	assert_null(keyset_get(whole, "", &n));
	/* Every key once, by hash ascending across the parts, each list
	 * ascending. */
	memset(&walk, 0, sizeof walk);
	keyset_foreach(split, walk_keys, &walk);
	assert_int_equal(walk.keys, 5000);
	assert_int_equal(walk.values, total);
	assert_false(walk.unordered);
	/* Nothing to load. */
	empty = keyset_batch_new();
	keyset_load(none, KEYSET_ANY_PART, &empty, 1);
	assert_int_equal(keyset_keys(none), 0);
	assert_null(keyset_get(none, "k1", &n));
	memset(&walk, 0, sizeof walk);
	keyset_foreach(none, walk_keys, &walk);
	assert_int_equal(walk.keys, 0);
	keyset_batch_free(empty);
	keyset_batch_free(NULL);
	keyset_free(NULL);
	for (i = 0; i < FILL_BATCHES; i++)
		keyset_batch_free(b[i]);
	index_free(one);
	keyset_free(split);
	keyset_free(whole);
	keyset_free(none);
}

/* Numbers equal exactly for equal strings, from 0 in order of first
 * appearance, whatever the strings' hashes. */
static void
test_index_number(void **state)
{
	const char	*s[] = { "b", "a", "b", "", "A", "a", "", "b\tx",
	    "b" };
	uint32_t	 ids[9], want[9] = { 0, 1, 0, 2, 3, 1, 2, 4, 0 };
	const char	**many;
	uint32_t	*mids;
	char		 buf[32];
	size_t		 i;

	(void)state;
	assert_int_equal(index_number(s, 9, ids), 5);
	assert_memory_equal(ids, want, sizeof want);
	assert_int_equal(index_number(s, 0, ids), 0);
	/* Many, each value twice, the second time in reverse. */
	many = xcalloc(20000, sizeof *many);
	mids = xcalloc(20000, sizeof *mids);
	for (i = 0; i < 10000; i++) {
		snprintf(buf, sizeof buf, "v%zu", i);
		many[i] = many[19999 - i] = xstrdup(buf);
	}
	assert_int_equal(index_number(many, 20000, mids), 10000);
	for (i = 0; i < 10000; i++) {
		assert_int_equal(mids[i], i);
		assert_int_equal(mids[19999 - i], i);
	}
	for (i = 0; i < 10000; i++)
		free((char *)many[i]);
	free(many);
	free(mids);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalise),
		cmocka_unit_test(test_normalise_ascii),
		cmocka_unit_test(test_nicknames),
		cmocka_unit_test(test_compare_name),
		cmocka_unit_test(test_compare_others),
		cmocka_unit_test(test_jaro_winkler),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_keyset),
		cmocka_unit_test(test_index_number),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
