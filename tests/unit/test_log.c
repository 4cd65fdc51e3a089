/* test_log.c: level filtering, errno handling, the complain/release helpers
 * against a fake clock, and fatal()/fatalx() in a forked child. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "tests/unit/testutil.h"

#define T0	1700000000

static time_t	 fake_now;

static time_t
fake_clock(void)
{
	return fake_now;
}

static int
setup(void **state)
{
	(void)state;
	log_set_level(LOG_LEVEL_INFO);
	fake_now = T0;
	log_set_clock(fake_clock);
	tu_log_capture_start();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tu_log_capture_stop();
	log_set_clock(NULL);
	log_set_level(LOG_LEVEL_INFO);
	return 0;
}

static void
test_log_levels(void **state)
{
	(void)state;
	log_set_level(LOG_LEVEL_WARNING);
	assert_int_equal(log_get_level(), LOG_LEVEL_WARNING);
	log_debug("d");
	log_info("i");
	log_warnx("w");
	log_error("e");
	assert_string_equal(tu_log_captured(), "warning: w\nerror: e\n");

	tu_log_capture_start();
	log_set_level(LOG_LEVEL_DEBUG);
	log_debug("d %d", 1);
	log_info("i %s", "x");
	log_warnx("w");
	log_error("e");
	assert_string_equal(tu_log_captured(),
	    "debug: d 1\ninfo: i x\nwarning: w\nerror: e\n");

	tu_log_capture_start();
	log_set_level(LOG_LEVEL_ERROR);
	log_debug("d");
	log_info("i");
	log_warnx("w");
	errno = EIO;
	log_warn("w");
	log_error("e");
	assert_string_equal(tu_log_captured(), "error: e\n");

	tu_log_capture_start();
	log_set_level(LOG_LEVEL_INFO);
	log_msg(LOG_LEVEL_DEBUG, "no");
	log_msg(LOG_LEVEL_INFO, "yes %d", 2);
	assert_string_equal(tu_log_captured(), "info: yes 2\n");
}

static void
test_log_level_names(void **state)
{
	(void)state;
	assert_int_equal(log_level_from_name("error"), LOG_LEVEL_ERROR);
	assert_int_equal(log_level_from_name("warning"), LOG_LEVEL_WARNING);
	assert_int_equal(log_level_from_name("info"), LOG_LEVEL_INFO);
	assert_int_equal(log_level_from_name("debug"), LOG_LEVEL_DEBUG);
	assert_int_equal(log_level_from_name(""), -1);
	assert_int_equal(log_level_from_name("warn"), -1);
	assert_int_equal(log_level_from_name("trace"), -1);
	assert_int_equal(log_level_from_name("info "), -1);
	assert_string_equal(log_level_name(LOG_LEVEL_ERROR), "error");
	assert_string_equal(log_level_name(LOG_LEVEL_WARNING), "warning");
	assert_string_equal(log_level_name(LOG_LEVEL_INFO), "info");
	assert_string_equal(log_level_name(LOG_LEVEL_DEBUG), "debug");
	assert_string_equal(log_level_name((enum log_level)4), "unknown");
	assert_string_equal(log_level_name((enum log_level)-1), "unknown");
}

/* A sink that clobbers errno, as a real write() might. */
static void
clobbering_sink(enum log_level level, const char *msg, void *arg)
{
	char	*out = arg;

	snprintf(out, 256, "%s: %s", log_level_name(level), msg);
	errno = EPIPE;
}

static void
test_log_warn_errno(void **state)
{
	char	 out[256] = "";

	(void)state;
	errno = ENOENT;
	log_warn("open %s", "/etc/ward/x.conf");
	assert_string_equal(tu_log_captured(),
	    "warning: open /etc/ward/x.conf: No such file or directory\n");
	assert_int_equal(errno, ENOENT);

	tu_log_capture_start();
	errno = EACCES;
	log_warnx("plain %d", 1);
	assert_string_equal(tu_log_captured(), "warning: plain 1\n");

	/* errno survives even a sink that changes it. */
	log_set_sink(clobbering_sink, out);
	errno = ECONNREFUSED;
	log_warn("connect");
	assert_string_equal(out, "warning: connect: Connection refused");
	assert_int_equal(errno, ECONNREFUSED);

	/* And when the message is filtered out. */
	log_set_level(LOG_LEVEL_ERROR);
	errno = ETIMEDOUT;
	log_warn("filtered");
	assert_int_equal(errno, ETIMEDOUT);
}

static void
test_log_long_line(void **state)
{
	char	*big;
	size_t	 len;

	(void)state;
	big = malloc(10000);
	assert_non_null(big);
	memset(big, 'q', 9999);
	big[9999] = '\0';
	log_info("%s", big);
	len = strlen(tu_log_captured());
	/* "info: " + a line cut to fit the fixed buffer + "\n" */
	assert_true(len > 4000 && len < 4200);
	errno = EIO;
	log_warn("%s", big);
	assert_true(strlen(tu_log_captured()) > len);
	free(big);
}

static void
test_complain_first_and_suppressed(void **state)
{
	struct log_complain	 c = LOG_COMPLAIN_INIT;

	(void)state;
	assert_false(log_complaining(&c));
	log_complain(&c, LOG_LEVEL_WARNING, "host %s down", "a");
	assert_string_equal(tu_log_captured(), "warning: host a down\n");
	assert_true(log_complaining(&c));

	tu_log_capture_start();
	fake_now = T0 + 10;
	log_complain(&c, LOG_LEVEL_WARNING, "host %s down", "a");
	fake_now = T0 + 30;
	log_complain(&c, LOG_LEVEL_WARNING, "host %s down", "a");
	fake_now = T0 + 59;
	log_complain(&c, LOG_LEVEL_WARNING, "host %s down", "a");
	assert_string_equal(tu_log_captured(), "");
	assert_int_equal(c.suppressed, 3);

	fake_now = T0 + 60;
	log_complain(&c, LOG_LEVEL_WARNING, "host %s down", "a");
	assert_string_equal(tu_log_captured(),
	    "warning: host a down (3 more like this not logged)\n");
	assert_int_equal(c.suppressed, 0);

	/* The interval doubled: quiet for 120 s now. */
	tu_log_capture_start();
	fake_now = T0 + 60 + 119;
	log_complain(&c, LOG_LEVEL_WARNING, "host %s down", "a");
	assert_string_equal(tu_log_captured(), "");
	fake_now = T0 + 60 + 120;
	log_complain(&c, LOG_LEVEL_WARNING, "host %s down", "a");
	assert_string_equal(tu_log_captured(),
	    "warning: host a down (1 more like this not logged)\n");

	/* Nothing suppressed since: no count. */
	tu_log_capture_start();
	fake_now += 240;
	log_complain(&c, LOG_LEVEL_ERROR, "host %s down", "a");
	assert_string_equal(tu_log_captured(), "error: host a down\n");
}

static void
test_complain_interval_doubles_to_a_day(void **state)
{
	struct log_complain	 c = LOG_COMPLAIN_INIT;
	time_t			 want = 60;
	int			 i;

	(void)state;
	log_complain(&c, LOG_LEVEL_WARNING, "down");
	for (i = 0; i < 20; i++) {
		assert_int_equal(c.interval_s, want);
		/* One second early: suppressed. */
		fake_now = c.last + c.interval_s - 1;
		tu_log_capture_start();
		log_complain(&c, LOG_LEVEL_WARNING, "down");
		assert_string_equal(tu_log_captured(), "");
		/* On time: logged, and the next interval is twice as long. */
		fake_now = c.last + c.interval_s;
		log_complain(&c, LOG_LEVEL_WARNING, "down");
		assert_string_equal(tu_log_captured(),
		    "warning: down (1 more like this not logged)\n");
		assert_int_equal(c.last, fake_now);
		want = want * 2 > 86400 ? 86400 : want * 2;
	}
	assert_int_equal(c.interval_s, 86400);
}

static void
test_release(void **state)
{
	struct log_complain	 c = LOG_COMPLAIN_INIT;

	(void)state;
	/* Nothing to release: silent. */
	log_release(&c, LOG_LEVEL_INFO, "host %s up", "a");
	assert_string_equal(tu_log_captured(), "");

	log_complain(&c, LOG_LEVEL_WARNING, "host %s down", "a");
	fake_now += 5;
	log_complain(&c, LOG_LEVEL_WARNING, "host %s down", "a");
	tu_log_capture_start();
	log_release(&c, LOG_LEVEL_INFO, "host %s up", "a");
	assert_string_equal(tu_log_captured(), "info: host a up\n");
	assert_false(log_complaining(&c));
	assert_int_equal(c.suppressed, 0);

	/* Released once only. */
	tu_log_capture_start();
	log_release(&c, LOG_LEVEL_INFO, "host %s up", "a");
	assert_string_equal(tu_log_captured(), "");

	/* A new failure is logged at once, with the interval back at 60 s. */
	fake_now += 1;
	log_complain(&c, LOG_LEVEL_WARNING, "host %s down again", "a");
	assert_string_equal(tu_log_captured(), "warning: host a down again\n");
	assert_int_equal(c.interval_s, 60);
	tu_log_capture_start();
	fake_now += 59;
	log_complain(&c, LOG_LEVEL_WARNING, "x");
	assert_string_equal(tu_log_captured(), "");
	fake_now += 1;
	log_complain(&c, LOG_LEVEL_WARNING, "x");
	assert_string_equal(tu_log_captured(),
	    "warning: x (1 more like this not logged)\n");
}

static void
test_complain_once(void **state)
{
	struct log_complain	 c = LOG_COMPLAIN_INIT;
	int			 i;

	(void)state;
	log_complain_once(&c, LOG_LEVEL_WARNING, "bad %d", 1);
	assert_string_equal(tu_log_captured(), "warning: bad 1\n");
	assert_true(log_complaining(&c));
	tu_log_capture_start();
	for (i = 0; i < 10; i++) {
		fake_now += 86400 * 7;
		log_complain_once(&c, LOG_LEVEL_WARNING, "bad %d", 2);
	}
	assert_string_equal(tu_log_captured(), "");

	log_release(&c, LOG_LEVEL_INFO, "good");
	assert_string_equal(tu_log_captured(), "info: good\n");
	tu_log_capture_start();
	log_complain_once(&c, LOG_LEVEL_WARNING, "bad %d", 3);
	assert_string_equal(tu_log_captured(), "warning: bad 3\n");
}

static void
test_complain_independent_targets(void **state)
{
	struct log_complain	 a = LOG_COMPLAIN_INIT, b = LOG_COMPLAIN_INIT;

	(void)state;
	log_complain(&a, LOG_LEVEL_WARNING, "a down");
	fake_now += 1;
	log_complain(&b, LOG_LEVEL_WARNING, "b down");
	log_complain(&a, LOG_LEVEL_WARNING, "a down");
	log_release(&b, LOG_LEVEL_INFO, "b up");
	assert_string_equal(tu_log_captured(),
	    "warning: a down\nwarning: b down\ninfo: b up\n");
	assert_true(log_complaining(&a));
	assert_false(log_complaining(&b));
}

static void
child_fatalx(void)
{
	log_init("test-log", 0, LOG_LEVEL_ERROR);
	fatalx("cannot go on: %s", "broken invariant");
}

static void
child_fatal(void)
{
	log_init("test-log", 0, LOG_LEVEL_INFO);
	errno = EACCES;
	fatal("open %s", "/var/lib/ward/x.db");
}

static void
test_fatal_exits_1(void **state)
{
	char	 out[4096];
	int	 status;

	(void)state;
	status = tu_run_in_child(child_fatalx, out, sizeof out);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	assert_contains(out, " test-log[");
	assert_contains(out, "]: error: cannot go on: broken invariant\n");
	/* Timestamped, UTC, one line. */
	assert_contains(out, "Z test-log[");
	assert_non_null(strchr(out, '\n'));
	assert_int_equal(strchr(out, '\n')[1], '\0');

	status = tu_run_in_child(child_fatal, out, sizeof out);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	assert_contains(out,
	    "]: error: open /var/lib/ward/x.db: Permission denied\n");
}

static void
child_stderr_levels(void)
{
	log_init("lv", 0, LOG_LEVEL_DEBUG);
	log_info("an info line");
	log_warnx("a warning line");
	log_debug("a debug line");
	exit(0);
}

static void
test_stderr_format(void **state)
{
	char	 out[4096];
	int	 status;

	(void)state;
	status = tu_run_in_child(child_stderr_levels, out, sizeof out);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* Info and debug carry no level word; warnings and errors do. */
	assert_contains(out, "]: an info line\n");
	assert_contains(out, "]: warning: a warning line\n");
	assert_contains(out, "]: a debug line\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_log_levels, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_log_level_names, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_log_warn_errno, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_log_long_line, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_complain_first_and_suppressed, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_complain_interval_doubles_to_a_day, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_complain_once, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_complain_independent_targets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fatal_exits_1, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stderr_format, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
