/* test_daemon.c: unit tests for the pidfile, signal flags, privilege
 * dropping and detaching. Anything that changes the process runs in a
 * forked child, which reports back through its exit status or a pipe. */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/daemon.h"
#include "common/xmalloc.h"
#include "tests/unit/testutil.h"

/* Waits for pid; returns its exit status, or 1000 + signal if killed. */
static int
wait_child(pid_t pid)
{
	int	status;

	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR)
			fail_msg("waitpid: %s", strerror(errno));
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 1000 + WTERMSIG(status);
}

/* Reads what a child wrote to fd until EOF. */
static void
read_all(int fd, char *buf, size_t size)
{
	size_t	off = 0;
	ssize_t	n;

	while (off + 1 < size) {
		n = read(fd, buf + off, size - 1 - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	buf[off] = '\0';
}

static void
test_pidfile_create_read_remove(void **state)
{
	char	*path = tu_path(tu_tmpdir(), "a.pid");
	char	*contents;
	char	 err[256], expect[32];
	struct stat sb;
	mode_t	 mask;

	(void)state;
	assert_int_equal(daemon_pidfile_read(path), -1);	/* missing */
	assert_int_equal(daemon_pidfile_create(path, err, sizeof err), 0);
	snprintf(expect, sizeof expect, "%ld\n", (long)getpid());
	contents = tu_read_file(path);
	assert_non_null(contents);
	assert_string_equal(contents, expect);
	free(contents);
	mask = umask(0);
	umask(mask);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0644 & ~mask);

	/* Reading it here must not drop the lock (see the next test). */
	assert_int_equal(daemon_pidfile_read(path), getpid());

	/* One pidfile per process. */
	assert_int_equal(daemon_pidfile_create(path, err, sizeof err), -1);
	assert_contains(err, path);
	assert_contains(err, "already held");

	daemon_pidfile_remove();
	assert_int_equal(stat(path, &sb), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(daemon_pidfile_read(path), -1);
	daemon_pidfile_remove();	/* twice is a no-op */
	free(path);
}

static void
test_pidfile_locked_by_other_process(void **state)
{
	char	*path = tu_path(tu_tmpdir(), "b.pid");
	char	 err[256], msg[512], expect[128];
	int	 fds[2], rc;
	pid_t	 pid;

	(void)state;
	assert_int_equal(daemon_pidfile_create(path, err, sizeof err), 0);
	/* With plain POSIX locks this close would release ours. */
	assert_int_equal(daemon_pidfile_read(path), getpid());

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		close(fds[0]);
		err[0] = '\0';
		rc = daemon_pidfile_create(path, err, sizeof err);
		/* Held by another: a case callers tell apart. */
		if (rc == -1 && errno != EWOULDBLOCK)
			_exit(4);
		if (write(fds[1], err, strlen(err)) == -1)
			_exit(3);
		/* The child's cleanup must leave the parent's file alone. */
		daemon_pidfile_remove();
		_exit(rc == -1 ? 0 : 1);
	}
	close(fds[1]);
	read_all(fds[0], msg, sizeof msg);
	close(fds[0]);
	assert_int_equal(wait_child(pid), 0);
	snprintf(expect, sizeof expect, "%s: already running as pid %ld",
	    path, (long)getpid());
	assert_string_equal(msg, expect);

	/* Still ours: the file is there with our pid. */
	assert_int_equal(daemon_pidfile_read(path), getpid());
	daemon_pidfile_remove();
	assert_int_equal(daemon_pidfile_read(path), -1);
	free(path);
}

static void
test_pidfile_inherited_not_removed_by_child(void **state)
{
	char	*path = tu_path(tu_tmpdir(), "c.pid");
	char	 err[256];
	pid_t	 pid;

	(void)state;
	assert_int_equal(daemon_pidfile_create(path, err, sizeof err), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		daemon_pidfile_remove();
		_exit(access(path, F_OK) == 0 ? 0 : 1);
	}
	assert_int_equal(wait_child(pid), 0);
	assert_int_equal(daemon_pidfile_read(path), getpid());
	daemon_pidfile_remove();
	free(path);
}

static void
test_pidfile_stale_taken_over(void **state)
{
	char	*path;
	char	 err[256];

	(void)state;
	/* Above pid_max, so certainly dead; nobody holds the lock. */
	path = tu_write_file(tu_tmpdir(), "stale.pid", "99999999\n", 0644);
	assert_int_equal(daemon_pidfile_read(path), 99999999);
	assert_int_equal(daemon_pidfile_create(path, err, sizeof err), 0);
	assert_int_equal(daemon_pidfile_read(path), getpid());
	daemon_pidfile_remove();
	free(path);

	/* Longer stale text is truncated away, not left behind. */
	path = tu_write_file(tu_tmpdir(), "stale2.pid",
	    "1234567890123456789012345678901234567890\n", 0644);
	assert_int_equal(daemon_pidfile_create(path, err, sizeof err), 0);
	assert_int_equal(daemon_pidfile_read(path), getpid());
	daemon_pidfile_remove();
	free(path);
}

static void
test_pidfile_errors(void **state)
{
	char	*path, *linkpath, *contents;
	char	 err[256];

	(void)state;
	path = tu_path(tu_tmpdir(), "no/such/dir/x.pid");
	assert_int_equal(daemon_pidfile_create(path, err, sizeof err), -1);
	assert_int_equal(errno, EIO);
	assert_contains(err, path);
	assert_contains(err, "No such file or directory");
	free(path);

	/* A symlink planted where the pidfile goes is not followed. */
	path = tu_write_file(tu_tmpdir(), "target", "keep\n", 0644);
	linkpath = tu_path(tu_tmpdir(), "link.pid");
	assert_int_equal(symlink(path, linkpath), 0);
	assert_int_equal(daemon_pidfile_create(linkpath, err, sizeof err), -1);
	assert_contains(err, linkpath);
	contents = tu_read_file(path);
	assert_non_null(contents);
	assert_string_equal(contents, "keep\n");
	free(contents);
	free(path);
	free(linkpath);
}

static void
test_pidfile_read_strict(void **state)
{
	static const struct {
		const char	*text;
		pid_t		 pid;
	} cases[] = {
		{ "12\n", 12 },
		{ "12", 12 },
		{ "2147483647\n", 2147483647 },
		{ "", -1 },
		{ "\n", -1 },
		{ "abc\n", -1 },
		{ "12x\n", -1 },
		{ "-5\n", -1 },
		{ "+5\n", -1 },
		{ "0\n", -1 },
		{ " 12\n", -1 },
		{ "12 \n", -1 },
		{ "12\n\n", -1 },
		{ "12\n13\n", -1 },
		{ "2147483648\n", -1 },
		{ "99999999999999999999\n", -1 },
		{ "0000000000000000000000000000000000000042\n", -1 },
	};
	char	*path;
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		path = tu_write_file(tu_tmpdir(), "r.pid", cases[i].text, 0644);
		if (daemon_pidfile_read(path) != cases[i].pid)
			fail_msg("\"%s\": got %ld, want %ld", cases[i].text,
			    (long)daemon_pidfile_read(path),
			    (long)cases[i].pid);
		free(path);
	}
}

static void
test_pidfile_read_embedded_nul(void **state)
{
	char	*path = tu_path(tu_tmpdir(), "nul.pid");
	int	 fd;

	(void)state;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd != -1);
	assert_int_equal(write(fd, "12\0" "99\n", 6), 6);
	close(fd);
	assert_int_equal(daemon_pidfile_read(path), -1);
	free(path);
}

static void
test_signals_reload(void **state)
{
	char		err[256];
	struct pollfd	pfd;
	struct sigaction sa;

	(void)state;
	assert_int_equal(daemon_signals_init(err, sizeof err), 0);
	assert_true(daemon_signal_fd() >= 0);
	assert_int_equal(fcntl(daemon_signal_fd(), F_GETFD) & FD_CLOEXEC,
	    FD_CLOEXEC);
	assert_true(fcntl(daemon_signal_fd(), F_GETFL) & O_NONBLOCK);

	assert_int_equal(daemon_reload_requested(), 0);
	assert_int_equal(raise(SIGHUP), 0);
	assert_int_equal(daemon_stop_requested(), 0);

	/* The self-pipe is readable until drained. */
	pfd.fd = daemon_signal_fd();
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 0), 1);
	assert_true(pfd.revents & POLLIN);
	daemon_signal_drain();
	assert_int_equal(poll(&pfd, 1, 0), 0);

	assert_int_equal(daemon_reload_requested(), 1);
	assert_int_equal(daemon_reload_requested(), 0);

	/* Two before we look are one reload. */
	raise(SIGHUP);
	raise(SIGHUP);
	assert_int_equal(daemon_reload_requested(), 1);
	assert_int_equal(daemon_reload_requested(), 0);
	daemon_signal_drain();

	/* Init twice is harmless and keeps the same pipe. */
	pfd.fd = daemon_signal_fd();
	assert_int_equal(daemon_signals_init(err, sizeof err), 0);
	assert_int_equal(daemon_signal_fd(), pfd.fd);

	assert_int_equal(sigaction(SIGPIPE, NULL, &sa), 0);
	assert_true(sa.sa_handler == SIG_IGN);
}

static void
test_signals_sigpipe_ignored(void **state)
{
	char	err[256];
	int	fds[2];

	(void)state;
	assert_int_equal(daemon_signals_init(err, sizeof err), 0);
	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	/* Without the ignore this write would kill the test. */
	assert_int_equal(write(fds[1], "x", 1), -1);
	assert_int_equal(errno, EPIPE);
	close(fds[1]);
}

static void
test_sleep_without_signal(void **state)
{
	char	err[256];

	(void)state;
	assert_int_equal(daemon_signals_init(err, sizeof err), 0);
	daemon_sleep_ms(0);
	daemon_sleep_ms(-5);
	daemon_sleep_ms(20);
	assert_int_equal(daemon_stop_requested(), 0);
	assert_int_equal(daemon_reload_requested(), 0);
}

static void
test_sleep_returns_on_reload(void **state)
{
	char	err[256];
	pid_t	pid;

	(void)state;
	assert_int_equal(daemon_signals_init(err, sizeof err), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		usleep(100 * 1000);
		kill(getppid(), SIGHUP);
		_exit(0);
	}
	/* Without the wake-up this would hang for a day. */
	daemon_sleep_ms(24LL * 3600 * 1000);
	assert_int_equal(wait_child(pid), 0);
	assert_int_equal(daemon_reload_requested(), 1);
	assert_int_equal(daemon_stop_requested(), 0);
}

/*
 * Stop cannot be cleared, so these run in a child that exits with the
 * number of the first check that failed.
 */
static int
child_sleep_until_sigterm(void)
{
	char	err[256];
	pid_t	killer, parent = getpid();
	int	status;

	if (daemon_signals_init(err, sizeof err) == -1)
		return 2;
	if (daemon_stop_requested())
		return 3;
	if ((killer = fork()) == -1)
		return 4;
	if (killer == 0) {
		usleep(100 * 1000);
		kill(parent, SIGTERM);
		_exit(0);
	}
	daemon_sleep_ms(24LL * 3600 * 1000);
	if (!daemon_stop_requested())
		return 5;
	if (daemon_reload_requested())
		return 6;
	if (waitpid(killer, &status, 0) != killer || status != 0)
		return 7;
	/* Once stopped, further sleeps return at once. */
	daemon_sleep_ms(24LL * 3600 * 1000);
	return 0;
}

static int
child_raise_stop(int sig)
{
	char		err[256];
	struct pollfd	pfd;

	if (daemon_signals_init(err, sizeof err) == -1)
		return 2;
	if (daemon_stop_requested())
		return 3;
	if (raise(sig) != 0)
		return 4;
	if (!daemon_stop_requested())
		return 5;
	if (daemon_reload_requested())
		return 6;
	pfd.fd = daemon_signal_fd();
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 0) != 1)
		return 7;
	return 0;
}

static void
test_stop_signals(void **state)
{
	pid_t	pid;

	(void)state;
	if ((pid = fork()) == 0)
		_exit(child_raise_stop(SIGTERM));
	assert_true(pid != -1);
	assert_int_equal(wait_child(pid), 0);

	if ((pid = fork()) == 0)
		_exit(child_raise_stop(SIGINT));
	assert_true(pid != -1);
	assert_int_equal(wait_child(pid), 0);

	if ((pid = fork()) == 0)
		_exit(child_sleep_until_sigterm());
	assert_true(pid != -1);
	assert_int_equal(wait_child(pid), 0);
	assert_int_equal(daemon_stop_requested(), 0);	/* only the child's */
}

static void
test_drop_privileges_errors(void **state)
{
	char		 err[256];
	struct passwd	*pw;
	char		*me;

	(void)state;
	assert_int_equal(daemon_drop_privileges(NULL, err, sizeof err), 0);
	assert_int_equal(daemon_drop_privileges("", err, sizeof err), 0);

	assert_int_equal(daemon_drop_privileges("wardx-no-such-user", err,
	    sizeof err), -1);
	assert_string_equal(err, "user \"wardx-no-such-user\" does not exist");

	/* A hostile name is shown escaped. */
	assert_int_equal(daemon_drop_privileges("bad\x1b[2Juser", err,
	    sizeof err), -1);
	assert_string_equal(err, "user \"bad\\x1b[2Juser\" does not exist");

	if (geteuid() != 0) {
		pw = getpwuid(geteuid());
		assert_non_null(pw);
		me = xstrdup(pw->pw_name);
		assert_int_equal(daemon_drop_privileges(me, err, sizeof err),
		    0);
		free(me);
		assert_int_equal(daemon_drop_privileges("root", err,
		    sizeof err), -1);
		assert_string_equal(err,
		    "cannot switch to user root: not running as root");
	}
}

static int
child_drop_to_nobody(void)
{
	char		 err[256];
	struct passwd	*pw;
	gid_t		 groups[256];
	int		 n, i;

	if ((pw = getpwnam("nobody")) == NULL)
		return 2;
	if (daemon_drop_privileges("nobody", err, sizeof err) == -1) {
		fprintf(stderr, "drop: %s\n", err);
		return 3;
	}
	if (getuid() == 0 || geteuid() == 0 || getuid() != pw->pw_uid)
		return 4;
	if (getgid() != pw->pw_gid || getegid() != pw->pw_gid)
		return 5;
	if (setuid(0) != -1 || seteuid(0) != -1)
		return 6;
	if ((n = getgroups(256, groups)) == -1)
		return 7;
	for (i = 0; i < n; i++) {
		if (groups[i] == 0)
			return 8;
	}
	/* Already that user: nothing to do. */
	if (daemon_drop_privileges("nobody", err, sizeof err) != 0)
		return 9;
	/* Any other user is out of reach now. */
	if (daemon_drop_privileges("root", err, sizeof err) != -1 ||
	    strcmp(err, "cannot switch to user root: not running as root") !=
	    0)
		return 10;
	return 0;
}

static void
test_drop_privileges_as_root(void **state)
{
	pid_t	pid;

	(void)state;
	if (geteuid() != 0)
		skip();
	if ((pid = fork()) == 0)
		_exit(child_drop_to_nobody());
	assert_true(pid != -1);
	assert_int_equal(wait_child(pid), 0);
	assert_int_equal(geteuid(), 0);
}

/* The detached grandchild reports what it sees into a file. */
static void
detached_report(const char *dir, pid_t test_sid)
{
	char		 err[256], tmp[4096], final[4096], cwd[256];
	struct stat	 sb_null, sb_fd;
	FILE		*f;
	mode_t		 mask;
	int		 i, null_ok = 1;

	if (daemon_detach(err, sizeof err) == -1)
		_exit(2);
	mask = umask(0);
	if (getcwd(cwd, sizeof cwd) == NULL)
		cwd[0] = '\0';
	if (stat("/dev/null", &sb_null) == -1)
		null_ok = 0;
	for (i = 0; i <= 2 && null_ok; i++) {
		if (fstat(i, &sb_fd) == -1 || sb_fd.st_rdev != sb_null.st_rdev)
			null_ok = 0;
	}
	snprintf(tmp, sizeof tmp, "%s/detach.tmp", dir);
	snprintf(final, sizeof final, "%s/detach.out", dir);
	if ((f = fopen(tmp, "w")) == NULL)
		_exit(3);
	fprintf(f, "cwd=%s umask=%03o null=%d newsession=%d leader=%d\n", cwd,
	    (unsigned)mask, null_ok, getsid(0) != test_sid,
	    getsid(0) == getpid());
	fclose(f);
	rename(tmp, final);
	_exit(0);
}

static void
test_detach(void **state)
{
	const char	*dir = tu_tmpdir();
	char		*path, *contents = NULL;
	pid_t		 pid;
	int		 i;

	(void)state;
	path = tu_path(dir, "detach.out");
	unlink(path);
	if ((pid = fork()) == 0)
		detached_report(dir, getsid(0));
	assert_true(pid != -1);
	/* The first child exits 0 as soon as it has forked. */
	assert_int_equal(wait_child(pid), 0);
	/* The grandchild is not ours to wait for; poll for its report. */
	for (i = 0; i < 1000 && contents == NULL; i++) {
		if ((contents = tu_read_file(path)) == NULL)
			usleep(10 * 1000);
	}
	assert_non_null(contents);
	assert_string_equal(contents,
	    "cwd=/ umask=027 null=1 newsession=1 leader=0\n");
	free(contents);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pidfile_create_read_remove),
		cmocka_unit_test(test_pidfile_locked_by_other_process),
		cmocka_unit_test(test_pidfile_inherited_not_removed_by_child),
		cmocka_unit_test(test_pidfile_stale_taken_over),
		cmocka_unit_test(test_pidfile_errors),
		cmocka_unit_test(test_pidfile_read_strict),
		cmocka_unit_test(test_pidfile_read_embedded_nul),
		cmocka_unit_test(test_signals_reload),
		cmocka_unit_test(test_signals_sigpipe_ignored),
		cmocka_unit_test(test_sleep_without_signal),
		cmocka_unit_test(test_sleep_returns_on_reload),
		cmocka_unit_test(test_stop_signals),
		cmocka_unit_test(test_drop_privileges_errors),
		cmocka_unit_test(test_drop_privileges_as_root),
		cmocka_unit_test(test_detach),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
