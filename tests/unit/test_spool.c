/* test_spool.c: the agent's spool: order kept across reopening, bounds by
 * size and age dropping oldest first, drop counts that survive restarts and
 * the loss of the reports that carried them, batches, the lock, leftovers of
 * a crash, and a disk that refuses the write. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/xmalloc.h"
#include "agents/agent.h"
#include "tests/unit/testutil.h"

static char *
fresh_dir(const char *name)
{
	char	*dir = tu_path(tu_tmpdir(), name);

	tu_sh("rm -rf '%s'", dir);
	return dir;
}

/* A report-shaped JSON text of about size bytes for seq. */
static char *
report_text(int64_t seq, size_t size)
{
	char	*s, *pad;

	pad = xmalloc(size + 1);
	memset(pad, 'x', size);
	pad[size] = '\0';
	xasprintf(&s, "{\"seq\":%" PRId64 ",\"pad\":\"%s\"}", seq, pad);
	free(pad);
	return s;
}

static void
add(struct spool *sp, int64_t seq, int64_t ts_ms, int64_t dropped,
    size_t size)
{
	char	*text = report_text(seq, size), err[512];

	if (spool_add(sp, seq, ts_ms, dropped, text, strlen(text), err,
	    sizeof err) != 0)
		fail_msg("spool_add %" PRId64 ": %s", seq, err);
	free(text);
}

/* The seqs in a batch of everything, as "1,2,3". */
static char *
batch_seqs(struct spool *sp, size_t max)
{
	struct buf	 b, out;
	char		 err[512];
	const char	*p;
	size_t		 n;

	buf_init(&b, 0);
	buf_init(&out, 0);
	assert_int_equal(spool_batch(sp, max, 1 << 30, &b, &n, err,
	    sizeof err), 0);
	for (p = buf_cstr(&b); (p = strstr(p, "\"seq\":")) != NULL; p += 6) {
		if (out.len > 0)
			buf_append_char(&out, ',');
		buf_printf(&out, "%lld", strtoll(p + 6, NULL, 10));
	}
	buf_free(&b);
	return buf_detach(&out, NULL);
}

static void
test_order_and_reopen(void **state)
{
	char		*dir = fresh_dir("order"), err[512], *s;
	struct spool	*sp;
	struct buf	 b;
	size_t		 n;

	(void)state;
	sp = spool_open(dir, 0, 0, err, sizeof err);
	assert_non_null(sp);
	add(sp, 1, 1000, 0, 10);
	add(sp, 2, 2000, 0, 10);
	add(sp, 10, 3000, 0, 10);
	/* Not newer than the last: refused, the spool unchanged. */
	s = report_text(5, 1);
	assert_int_equal(spool_add(sp, 5, 4000, 0, s, strlen(s), err,
	    sizeof err), -1);
	assert_contains(err, "not newer");
	free(s);
	assert_int_equal(spool_count(sp), 3);
	assert_int_equal(spool_last_seq(sp), 10);
	spool_free(sp);

	/* Files sort by seq as numbers, not as they come from readdir. */
	sp = spool_open(dir, 0, 0, err, sizeof err);
	assert_non_null(sp);
	assert_int_equal(spool_count(sp), 3);
	s = batch_seqs(sp, 100);
	assert_string_equal(s, "1,2,10");
	free(s);

	/* A batch is a JSON array, oldest first, bounded by count. */
	buf_init(&b, 0);
	assert_int_equal(spool_batch(sp, 2, 1 << 20, &b, &n, err,
	    sizeof err), 0);
	assert_int_equal(n, 2);
	assert_true(buf_cstr(&b)[0] == '[');
	assert_true(buf_cstr(&b)[b.len - 1] == ']');
	buf_free(&b);
	spool_acknowledged(sp, 2);
	assert_int_equal(spool_last_acknowledged(sp), 2);
	assert_int_equal(spool_count(sp), 1);
	assert_int_equal(spool_pending_dropped(sp), 0);
	spool_free(sp);
	sp = spool_open(dir, 0, 0, err, sizeof err);
	s = batch_seqs(sp, 100);
	assert_string_equal(s, "10");
	free(s);
	spool_free(sp);
	free(dir);
}

static void
test_batch_bytes(void **state)
{
	char		*dir = fresh_dir("bytes"), err[512];
	struct spool	*sp;
	struct buf	 b;
	size_t		 n;

	(void)state;
	sp = spool_open(dir, 0, 0, err, sizeof err);
	add(sp, 1, 1, 0, 3000);
	add(sp, 2, 2, 0, 3000);
	add(sp, 3, 3, 0, 3000);
	buf_init(&b, 0);
	/* Two fit in 7000 bytes, three do not. */
	assert_int_equal(spool_batch(sp, 50, 7000, &b, &n, err, sizeof err),
	    0);
	assert_int_equal(n, 2);
	/* The oldest goes even when it alone is over the byte bound. */
	assert_int_equal(spool_batch(sp, 50, 100, &b, &n, err, sizeof err), 0);
	assert_int_equal(n, 1);
	buf_free(&b);
	spool_free(sp);
	free(dir);
}

static void
test_full_drops_oldest(void **state)
{
	char		*dir = fresh_dir("full"), err[512], *s;
	struct spool	*sp;

	(void)state;
	/* Room for three reports of ~1 KiB. */
	sp = spool_open(dir, 3 * 1100, 0, err, sizeof err);
	assert_non_null(sp);
	add(sp, 1, 1, 0, 1000);
	add(sp, 2, 2, 0, 1000);
	add(sp, 3, 3, 0, 1000);
	assert_int_equal(spool_pending_dropped(sp), 0);
	add(sp, 4, 4, 0, 1000);
	add(sp, 5, 5, 0, 1000);
	assert_int_equal(spool_count(sp), 3);
	assert_int_equal(spool_pending_dropped(sp), 2);
	s = batch_seqs(sp, 100);
	assert_string_equal(s, "3,4,5");
	free(s);

	/* The next report carries the count; dropping that report too must
	 * not lose it: its own drops come back, plus itself. */
	add(sp, 6, 6, spool_pending_dropped(sp), 1000);
	spool_dropped_reported(sp, 2);
	assert_int_equal(spool_pending_dropped(sp), 1);	/* seq 3 */
	add(sp, 7, 7, 0, 1000);
	add(sp, 8, 8, 0, 1000);
	add(sp, 9, 9, 0, 1000);		/* drops 6, which carried 2 */
	assert_int_equal(spool_pending_dropped(sp), 1 + 1 + 1 + 2 + 1);
	spool_free(sp);

	/* The pending count survives a restart. */
	sp = spool_open(dir, 3 * 1100, 0, err, sizeof err);
	assert_int_equal(spool_pending_dropped(sp), 6);
	s = batch_seqs(sp, 100);
	assert_string_equal(s, "7,8,9");
	free(s);

	/* A report larger than the whole spool is refused, nothing dropped. */
	s = report_text(10, 5000);
	assert_int_equal(spool_add(sp, 10, 10, 0, s, strlen(s), err,
	    sizeof err), -1);
	assert_contains(err, "larger than the whole spool");
	free(s);
	assert_int_equal(spool_count(sp), 3);
	/* ... but kept when it is alone: nothing waits that it would cost. */
	spool_acknowledged(sp, 3);
	s = report_text(10, 5000);
	assert_int_equal(spool_add(sp, 10, 10, 0, s, strlen(s), err,
	    sizeof err), 0);
	free(s);
	assert_int_equal(spool_count(sp), 1);
	/* A newer one as large takes its place: the newest matters most. */
	s = report_text(11, 5000);
	assert_int_equal(spool_add(sp, 11, 11, 0, s, strlen(s), err,
	    sizeof err), 0);
	free(s);
	s = batch_seqs(sp, 100);
	assert_string_equal(s, "11");
	free(s);
	spool_free(sp);
	free(dir);
}

static void
test_expire(void **state)
{
	char		*dir = fresh_dir("age"), err[512], *s;
	struct spool	*sp;

	(void)state;
	sp = spool_open(dir, 0, 60000, err, sizeof err);
	add(sp, 1, 100000, 0, 10);
	add(sp, 2, 150000, 0, 10);
	add(sp, 3, 200000, 0, 10);
	assert_int_equal(spool_expire(sp, 200000), 1);
	assert_int_equal(spool_pending_dropped(sp), 1);
	s = batch_seqs(sp, 100);
	assert_string_equal(s, "2,3");
	free(s);
	assert_int_equal(spool_expire(sp, 200000), 0);
	spool_free(sp);
	free(dir);
}

static void
test_reject_and_lost(void **state)
{
	char		*dir = fresh_dir("reject"), err[512];
	struct spool	*sp;

	(void)state;
	sp = spool_open(dir, 0, 0, err, sizeof err);
	add(sp, 1, 1, 3, 10);
	add(sp, 2, 2, 0, 10);
	spool_reject_oldest(sp);
	assert_int_equal(spool_count(sp), 1);
	assert_int_equal(spool_pending_dropped(sp), 4);
	spool_count_lost(sp);
	assert_int_equal(spool_pending_dropped(sp), 5);
	assert_int_equal(spool_dropped_total(sp), 2);
	spool_free(sp);
	free(dir);
}

static void
test_lock_and_leftovers(void **state)
{
	char		*dir = fresh_dir("lock"), err[512], *p;
	struct spool	*sp, *sp2;

	(void)state;
	sp = spool_open(dir, 0, 0, err, sizeof err);
	assert_non_null(sp);
	sp2 = spool_open(dir, 0, 0, err, sizeof err);
	assert_null(sp2);
	assert_contains(err, "in use by another ward-agent");
	add(sp, 1, 1, 0, 10);
	spool_free(sp);

	/* What a crash mid-write leaves, and stray files. */
	p = tu_write_file(dir, ".tmp-00000000000000000002-2-0.json", "{", 0600);
	free(p);
	p = tu_write_file(dir, "notes.txt", "hello", 0600);
	free(p);
	p = tu_write_file(dir, "dropped", "garbage\n", 0600);
	free(p);
	tu_log_capture_start();
	sp = spool_open(dir, 0, 0, err, sizeof err);
	assert_non_null(sp);
	assert_contains(tu_log_captured(), "ignoring notes.txt");
	assert_contains(tu_log_captured(), "not a count");
	tu_log_capture_stop();
	assert_int_equal(spool_count(sp), 1);
	p = tu_path(dir, ".tmp-00000000000000000002-2-0.json");
	assert_int_equal(access(p, F_OK), -1);
	free(p);
	spool_free(sp);

	/* A spool directory that cannot be made names itself. */
	sp = spool_open("/proc/no/such/spool", 0, 0, err, sizeof err);
	assert_null(sp);
	assert_contains(err, "/proc/no/such/spool");
	free(dir);
}

/* Unlocked: the caller's lock covers the directory, so the spool takes
 * none (and a locked open beside it is not refused by it), yet it keeps
 * the same order, files and leftovers rules. */
static void
test_unlocked(void **state)
{
	char		*dir = fresh_dir("unlocked"), err[512], *p;
	struct spool	*sp, *sp2;

	(void)state;
	sp = spool_open_unlocked(dir, 0, 0, err, sizeof err);
	assert_non_null(sp);
	p = tu_path(dir, "lock");
	assert_int_equal(access(p, F_OK), -1);
	free(p);
	add(sp, 5, 1, 0, 10);
	add(sp, 6, 2, 0, 10);
	assert_int_equal(spool_add(sp, 6, 3, 0, "{}", 2, err, sizeof err), -1);
	assert_contains(err, "not newer");
	sp2 = spool_open(dir, 0, 0, err, sizeof err);
	assert_non_null(sp2);
	assert_int_equal(spool_count(sp2), 2);
	spool_free(sp2);
	spool_free(sp);
	sp = spool_open_unlocked(dir, 0, 0, err, sizeof err);
	assert_non_null(sp);
	assert_int_equal(spool_count(sp), 2);
	assert_int_equal(spool_last_seq(sp), 6);
	spool_free(sp);
	free(dir);
}

/* The disk refuses the write (here: a file size limit, as a full disk
 * would): a clear error, and every report spooled before is intact. */
static void
disk_full_child(void)
{
	char		*dir = fresh_dir("full-disk"), err[512], *s;
	struct spool	*sp;
	struct rlimit	 rl;

	sp = spool_open(dir, 0, 0, err, sizeof err);
	add(sp, 1, 1, 0, 100);
	signal(SIGXFSZ, SIG_IGN);
	rl.rlim_cur = rl.rlim_max = 4096;
	if (setrlimit(RLIMIT_FSIZE, &rl) == -1)
		_exit(3);
	s = report_text(2, 10000);
	if (spool_add(sp, 2, 2, 0, s, strlen(s), err, sizeof err) != -1)
		_exit(4);
	free(s);
	fprintf(stderr, "%s\n", err);
	if (spool_count(sp) != 1)
		_exit(5);
	spool_free(sp);
	/* Nothing half-written is left, the first report still reads. */
	sp = spool_open(dir, 0, 0, err, sizeof err);
	if (sp == NULL || spool_count(sp) != 1)
		_exit(6);
	s = batch_seqs(sp, 10);
	if (strcmp(s, "1") != 0)
		_exit(7);
	free(s);
	spool_free(sp);
	free(dir);
	_exit(0);
}

static void
test_disk_full(void **state)
{
	char	 out[4096];
	int	 status;

	(void)state;
	status = tu_run_in_child(disk_full_child, out, sizeof out);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_contains(out, "cannot write");
	assert_contains(out, "File too large");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_reopen),
		cmocka_unit_test(test_batch_bytes),
		cmocka_unit_test(test_full_drops_oldest),
		cmocka_unit_test(test_expire),
		cmocka_unit_test(test_reject_and_lost),
		cmocka_unit_test(test_lock_and_leftovers),
		cmocka_unit_test(test_unlocked),
		cmocka_unit_test(test_disk_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
