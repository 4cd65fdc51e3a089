/* test_check.c: running real plugins: states, output and perfdata, missing
 * binaries, timeouts that kill the whole process group, capped output,
 * broken exit codes, the sanitised environment and command-line quoting. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/str.h"
#include "common/xmalloc.h"
#include "agents/agent.h"
#include "tests/unit/testutil.h"

static void
run(const char *command, int64_t timeout_ms, struct check_result *res)
{
	check_run(command, timeout_ms, res);
	assert_non_null(res->output);
}

static void
test_split(void **state)
{
	char	**argv, err[256];
	size_t	 argc;

	(void)state;
	assert_int_equal(check_split("  a b\t c  ", &argv, &argc, err,
	    sizeof err), 0);
	assert_int_equal(argc, 3);
	assert_string_equal(argv[0], "a");
	assert_string_equal(argv[2], "c");
	assert_null(argv[3]);
	str_list_free(argv, argc);

	assert_int_equal(check_split("'/usr/lib/x' -w \"20%\" -p "
	    "'/var/lib/pas data' -r '^a|b$' x\\ y \"q\\\"uote\\\\\" "
	    "'it'\\''s' '' \"a\\nb\"", &argv, &argc, err, sizeof err), 0);
	assert_int_equal(argc, 12);
	assert_string_equal(argv[0], "/usr/lib/x");
	assert_string_equal(argv[2], "20%");
	assert_string_equal(argv[4], "/var/lib/pas data");
	assert_string_equal(argv[6], "^a|b$");
	assert_string_equal(argv[7], "x y");
	assert_string_equal(argv[8], "q\"uote\\");
	assert_string_equal(argv[9], "it's");
	assert_string_equal(argv[10], "");
	assert_string_equal(argv[11], "a\\nb");
	str_list_free(argv, argc);

	assert_int_equal(check_split("\"a\\nb\"", &argv, &argc, err,
	    sizeof err), 0);
	assert_string_equal(argv[0], "a\\nb");
	str_list_free(argv, argc);

	assert_int_equal(check_split("check 'open", &argv, &argc, err,
	    sizeof err), -1);
	assert_string_equal(err, "unterminated ' quote");
	assert_int_equal(check_split("check \"open", &argv, &argc, err,
	    sizeof err), -1);
	assert_string_equal(err, "unterminated \" quote");
	assert_int_equal(check_split("check \\", &argv, &argc, err,
	    sizeof err), -1);
	assert_contains(err, "backslash");
	assert_int_equal(check_split("check_disk | head", &argv, &argc, err,
	    sizeof err), -1);
	assert_contains(err, "unquoted '|'");
	assert_contains(err, "without a shell");
	assert_int_equal(check_split("check $HOME", &argv, &argc, err,
	    sizeof err), -1);
	assert_contains(err, "unquoted '$'");
	assert_int_equal(check_split("check; rm", &argv, &argc, err,
	    sizeof err), -1);
	assert_int_equal(check_split("   ", &argv, &argc, err, sizeof err),
	    -1);
	assert_string_equal(err, "empty command");
	assert_int_equal(check_split("", &argv, &argc, err, sizeof err), -1);
}

static void
test_true_false(void **state)
{
	struct check_result	 res;

	(void)state;
	run("/bin/true", 5000, &res);
	assert_int_equal(res.status, CHECK_OK);
	assert_string_equal(res.output, "(no output returned from plugin)");
	assert_null(res.perfdata == NULL || *res.perfdata == '\0' ? NULL :
	    res.perfdata);
	check_result_clear(&res);
	/* Found through the sanitised PATH. */
	run("false", 5000, &res);
	assert_int_equal(res.status, CHECK_WARNING);
	check_result_clear(&res);
}

static void
test_output_and_perfdata(void **state)
{
	struct check_result	 res;
	struct report		*r;
	const json_t		*c;
	char			*script, *cmd;
	double			 v;

	(void)state;
	script = tu_write_file(tu_tmpdir(), "check_fake",
	    "#!/bin/sh\n"
	    "echo 'DISK WARNING - free space: /var 10% | /var=90%;80;90;0;100'\n"
	    "echo 'long text line'\n"
	    "echo \"more text | 'second one'=5ms;;\"\n"
	    "echo 'third=3c'\n"
	    "exit 1\n", 0755);
	xasprintf(&cmd, "'%s' -w 80", script);
	run(cmd, 5000, &res);
	assert_int_equal(res.status, CHECK_WARNING);
	assert_string_equal(res.output, "DISK WARNING - free space: /var 10%");
	assert_string_equal(res.perfdata,
	    "/var=90%;80;90;0;100 'second one'=5ms;; third=3c");

	r = report_new();
	check_report(r, "disk", &res);
	c = report_find_check(r, "disk");
	assert_non_null(c);
	assert_int_equal(json_integer_value(json_object_get(c, "status")), 1);
	assert_string_equal(json_string_value(json_object_get(c, "output")),
	    "DISK WARNING - free space: /var 10%");
	assert_int_equal(report_metric_value(r, "check.disk._var", "label",
	    "/var", &v), 0);
	assert_true(v == 90);
	assert_int_equal(report_metric_value(r, "check.disk.second_one",
	    "check", "disk", &v), 0);
	assert_true(v == 5);
	assert_int_equal(report_metric_value(r, "check.disk.third", NULL, NULL,
	    &v), 0);
	assert_true(v == 3);
	report_free(r);
	check_result_clear(&res);
	free(cmd);
	free(script);
}

static void
test_missing_plugin(void **state)
{
	struct check_result	 res;
	char			*plain;

	(void)state;
	run("/usr/lib/nagios/plugins/check_no_such_thing -w 1", 5000, &res);
	assert_int_equal(res.status, CHECK_UNKNOWN);
	assert_string_equal(res.output, "cannot run /usr/lib/nagios/plugins/"
	    "check_no_such_thing: No such file or directory");
	check_result_clear(&res);
	run("check_no_such_thing_in_path", 5000, &res);
	assert_int_equal(res.status, CHECK_UNKNOWN);
	assert_string_equal(res.output, "cannot run "
	    "check_no_such_thing_in_path: No such file or directory");
	check_result_clear(&res);
	/* Not executable. */
	plain = tu_write_file(tu_tmpdir(), "not_exec", "#!/bin/sh\n", 0644);
	run(plain, 5000, &res);
	assert_int_equal(res.status, CHECK_UNKNOWN);
	assert_contains(res.output, "cannot run ");
	assert_contains(res.output, "/not_exec: Permission denied");
	free(plain);
	check_result_clear(&res);
	run("check 'open", 5000, &res);
	assert_int_equal(res.status, CHECK_UNKNOWN);
	assert_string_equal(res.output, "bad command: unterminated ' quote");
	check_result_clear(&res);
}

static pid_t
read_pid(const char *path)
{
	char	*s = tu_read_file(path);
	long	 v;

	assert_non_null(s);
	v = strtol(s, NULL, 10);
	free(s);
	assert_true(v > 1);
	return (pid_t)v;
}

static pid_t
read_pid_at(const char *dir, const char *name)
{
	char	*path = tu_path(dir, name);
	pid_t	 pid = read_pid(path);

	free(path);
	return pid;
}

/* Reaps pid (we are a subreaper), giving it up to 10 s to die. */
static int
reaped(pid_t pid)
{
	int	 i, st;

	for (i = 0; i < 1000; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return 1;
		usleep(10000);
	}
	return 0;
}

static void
test_timeout_kills_group(void **state)
{
	struct check_result	 res;
	const char		*tmp = tu_tmpdir();
	char			*cmd;
	pid_t			 leader, bg;

	(void)state;
	/* Orphans of the plugin come to us, so we can see them die. */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	xasprintf(&cmd, "/bin/sh -c 'sleep 30 & echo $! > %s/bg; "
	    "echo $$ > %s/leader; exec sleep 30'", tmp, tmp);
	run(cmd, 300, &res);
	assert_int_equal(res.status, CHECK_UNKNOWN);
	assert_string_equal(res.output, "timed out after 300ms");
	check_result_clear(&res);
	free(cmd);
	bg = read_pid_at(tmp, "bg");
	leader = read_pid_at(tmp, "leader");
	assert_true(reaped(bg));
	assert_int_equal(kill(-leader, 0), -1);
	assert_int_equal(errno, ESRCH);

	/* A plugin that exits but leaves a child holding its output open
	 * is done when it exits, not when the timeout passes. */
	xasprintf(&cmd, "/bin/sh -c 'sleep 30 & echo $! > %s/bg2; "
	    "echo fine; exit 0'", tmp);
	run(cmd, 60000, &res);
	assert_int_equal(res.status, CHECK_OK);
	assert_string_equal(res.output, "fine");
	check_result_clear(&res);
	free(cmd);
	assert_true(reaped(read_pid_at(tmp, "bg2")));
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
}

static void
test_huge_output(void **state)
{
	struct check_exec	 ex;
	struct check_result	 res;
	char			 err[256];
	char			 sh[] = "/bin/sh", c[] = "-c",
				 script[] = "head -c 1000000 /dev/zero | tr "
				     "'\\0' x; echo; exit 2";
	char			*argv[] = { sh, c, script, NULL };

	(void)state;
	assert_int_equal(check_exec(argv, 10000, CHECK_OUTPUT_MAX, &ex, err,
	    sizeof err), 0);
	assert_true(ex.exited);
	assert_int_equal(ex.exit_status, 2);
	assert_int_equal(ex.output_len, CHECK_OUTPUT_MAX);
	assert_true(ex.truncated);
	assert_int_equal(strlen(ex.output), CHECK_OUTPUT_MAX);
	check_exec_clear(&ex);

	run("/bin/sh -c 'head -c 1000000 /dev/zero | tr \"\\0\" y; exit 2'",
	    10000, &res);
	assert_int_equal(res.status, CHECK_CRITICAL);
	assert_int_equal(strlen(res.output), CHECK_OUTPUT_MAX);
	check_result_clear(&res);
}

static void
test_bad_exit(void **state)
{
	struct check_result	 res;

	(void)state;
	run("/bin/sh -c 'echo bad news; exit 7'", 5000, &res);
	assert_int_equal(res.status, CHECK_UNKNOWN);
	assert_string_equal(res.output, "exited with status 7, not 0-3: "
	    "bad news");
	check_result_clear(&res);
	run("/bin/sh -c 'kill -TERM $$'", 5000, &res);
	assert_int_equal(res.status, CHECK_UNKNOWN);
	assert_contains(res.output, "killed by signal 15");
	check_result_clear(&res);
	/* A NUL in the output does not cut it. */
	run("/bin/sh -c 'printf \"a\\000b\"; exit 3'", 5000, &res);
	assert_int_equal(res.status, CHECK_UNKNOWN);
	assert_string_equal(res.output, "a?b");
	check_result_clear(&res);
}

static void
test_environment_and_quoting(void **state)
{
	struct check_result	 res;

	(void)state;
	setenv("WARD_SECRETISH", "leak", 1);
	run("/bin/sh -c 'echo \"$PATH $LC_ALL ${HOME:-nohome} "
	    "${WARD_SECRETISH:-clean}\"'", 5000, &res);
	assert_string_equal(res.output,
	    "/usr/sbin:/usr/bin:/sbin:/bin C nohome clean");
	check_result_clear(&res);
	/* stdin is /dev/null: cat ends at once. */
	run("/bin/sh -c 'cat; echo done'", 5000, &res);
	assert_string_equal(res.output, "done");
	check_result_clear(&res);
	run("/bin/sh -c 'printf \"%s,\" \"$@\"' sh 'a b' \"c\\\"d\" e\\ f "
	    "'$x'", 5000, &res);
	assert_int_equal(res.status, CHECK_OK);
	assert_string_equal(res.output, "a b,c\"d,e f,$x,");
	check_result_clear(&res);
	unsetenv("WARD_SECRETISH");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_true_false),
		cmocka_unit_test(test_output_and_perfdata),
		cmocka_unit_test(test_missing_plugin),
		cmocka_unit_test(test_timeout_kills_group),
		cmocka_unit_test(test_huge_output),
		cmocka_unit_test(test_bad_exit),
		cmocka_unit_test(test_environment_and_quoting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
