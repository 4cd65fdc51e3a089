/* daemon.c: daemon hygiene: a locked pidfile, signal flags with a
 * self-pipe for poll() loops, dropping root, and detaching. */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cfg.h"
#include "common/daemon.h"
#include "common/str.h"
#include "common/xmalloc.h"

/* A pidfile holds a pid and a newline; anything longer is not ours. */
#define PIDFILE_MAX	32

/*
 * Open-file-description locks are not dropped when this process closes
 * some other descriptor for the same file (daemon_pidfile_read, say), as
 * classic POSIX record locks are.
 */
#ifdef F_OFD_SETLK
#define PIDFILE_SETLK	F_OFD_SETLK
#else
#define PIDFILE_SETLK	F_SETLK
#endif

static int	 pidfile_fd = -1;
static char	*pidfile_path;
static pid_t	 pidfile_owner;

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t reload_flag;
static int	 signal_pipe[2] = { -1, -1 };

static pid_t
parse_pid(const char *s)
{
	long long	n = 0;
	const char	*p = s;

	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9') {
		n = n * 10 + (*p - '0');
		if (n > INT_MAX)
			return -1;
		p++;
	}
	if (*p == '\n')
		p++;
	if (*p != '\0' || n <= 0)
		return -1;
	return (pid_t)n;
}

static pid_t
read_pid_fd(int fd)
{
	char	buf[PIDFILE_MAX];
	ssize_t	n;

	n = pread(fd, buf, sizeof buf, 0);
	if (n <= 0 || (size_t)n >= sizeof buf)
		return -1;
	buf[n] = '\0';
	if (memchr(buf, '\0', (size_t)n) != NULL)
		return -1;
	return parse_pid(buf);
}

pid_t
daemon_pidfile_read(const char *path)
{
	pid_t	pid;
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return -1;
	pid = read_pid_fd(fd);
	close(fd);
	return pid;
}

/* Forgets a pidfile inherited across fork: the lock is not ours. */
static void
pidfile_forget(void)
{
	if (pidfile_fd != -1)
		close(pidfile_fd);
	pidfile_fd = -1;
	free(pidfile_path);
	pidfile_path = NULL;
	pidfile_owner = 0;
}

int
daemon_pidfile_create(const char *path, char *err, size_t errlen)
{
	struct flock	 fl;
	char		 buf[PIDFILE_MAX];
	pid_t		 other;
	int		 fd = -1, len, held = 0;

	if (pidfile_fd != -1) {
		if (pidfile_owner == getpid()) {
			snprintf(err, errlen, "%s: a pidfile is already held "
			    "(%s)", path, pidfile_path);
			return -1;
		}
		pidfile_forget();
	}

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY,
	    0644);
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	memset(&fl, 0, sizeof fl);
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, PIDFILE_SETLK, &fl) == -1) {
		if (errno != EAGAIN && errno != EACCES) {
			snprintf(err, errlen, "%s: cannot lock: %s", path,
			    strerror(errno));
			goto fail;
		}
		/* The holder may not have written its pid yet. */
		other = read_pid_fd(fd);
		if (other > 0)
			snprintf(err, errlen, "%s: already running as pid %ld",
			    path, (long)other);
		else
			snprintf(err, errlen, "%s: locked by another process",
			    path);
		held = 1;
		goto fail;
	}

	len = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 ||
	    pwrite(fd, buf, (size_t)len, 0) != (ssize_t)len ||
	    fsync(fd) == -1) {
		snprintf(err, errlen, "%s: cannot write pid: %s", path,
		    strerror(errno));
		goto fail;
	}
	pidfile_fd = fd;
	pidfile_path = xstrdup(path);
	pidfile_owner = getpid();
	return 0;

fail:
	if (fd != -1)
		close(fd);
	/* What callers tell apart: someone else has it, or it failed. */
	errno = held ? EWOULDBLOCK : EIO;
	return -1;
}

void
daemon_pidfile_remove(void)
{
	struct stat	 sb_fd, sb_path;

	if (pidfile_fd == -1)
		return;
	/*
	 * A forked child must not remove its parent's pidfile, and nobody
	 * should remove a file that has been replaced since we locked ours.
	 */
	if (pidfile_owner == getpid() &&
	    fstat(pidfile_fd, &sb_fd) == 0 &&
	    lstat(pidfile_path, &sb_path) == 0 &&
	    sb_fd.st_dev == sb_path.st_dev && sb_fd.st_ino == sb_path.st_ino)
		unlink(pidfile_path);
	pidfile_forget();
}

static void
signal_handler(int sig)
{
	int	saved_errno = errno;
	char	c = (char)sig;

	if (sig == SIGTERM || sig == SIGINT)
		stop_flag = 1;
	else if (sig == SIGHUP)
		reload_flag = 1;
	if (signal_pipe[1] != -1) {
		/* A full pipe already wakes the reader; the byte is moot. */
		if (write(signal_pipe[1], &c, 1) == -1)
			(void)0;
	}
	errno = saved_errno;
}

int
daemon_signals_init(char *err, size_t errlen)
{
	static const int	 handled[] = { SIGTERM, SIGINT, SIGHUP };
	struct sigaction	 sa;
	size_t			 i;

	if (signal_pipe[0] == -1 &&
	    pipe2(signal_pipe, O_NONBLOCK | O_CLOEXEC) == -1) {
		snprintf(err, errlen, "signal pipe: %s", strerror(errno));
		signal_pipe[0] = signal_pipe[1] = -1;
		return -1;
	}

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof handled / sizeof handled[0]; i++)
		sigaddset(&sa.sa_mask, handled[i]);
	/* No SA_RESTART: a blocking call returns EINTR and the loop looks. */
	sa.sa_flags = 0;
	sa.sa_handler = signal_handler;
	for (i = 0; i < sizeof handled / sizeof handled[0]; i++) {
		if (sigaction(handled[i], &sa, NULL) == -1) {
			snprintf(err, errlen, "sigaction %s: %s",
			    strsignal(handled[i]), strerror(errno));
			return -1;
		}
	}

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1) {
		snprintf(err, errlen, "sigaction SIGPIPE: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
daemon_stop_requested(void)
{
	return stop_flag != 0;
}

int
daemon_reload_requested(void)
{
	/* Two SIGHUPs before we look are one reload. */
	if (reload_flag == 0)
		return 0;
	reload_flag = 0;
	return 1;
}

int
daemon_signal_fd(void)
{
	return signal_pipe[0];
}

void
daemon_signal_drain(void)
{
	char	buf[64];

	if (signal_pipe[0] == -1)
		return;
	while (read(signal_pipe[0], buf, sizeof buf) > 0)
		;
}

static long long
monotonic_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
daemon_sleep_ms(long long ms)
{
	struct pollfd	 pfd;
	long long	 deadline, left;

	deadline = monotonic_ms() + (ms > 0 ? ms : 0);
	pfd.fd = signal_pipe[0];
	pfd.events = POLLIN;
	for (;;) {
		/* A reload wakes us too; the flag stays for the caller. */
		if (stop_flag || reload_flag)
			return;
		left = deadline - monotonic_ms();
		if (left <= 0)
			return;
		if (left > INT_MAX)
			left = INT_MAX;
		/* Without daemon_signals_init, poll on nothing is a sleep. */
		if (poll(&pfd, pfd.fd == -1 ? 0 : 1, (int)left) > 0)
			daemon_signal_drain();
	}
}

/* user's entry, or NULL with err saying why not. */
static struct passwd *
daemon_user(const char *user, char *err, size_t errlen)
{
	struct passwd	*pw;
	char		 name[128];

	str_vis(name, sizeof name, user);
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		if (errno != 0 && errno != ENOENT && errno != ESRCH &&
		    errno != EBADF && errno != EPERM)
			snprintf(err, errlen, "cannot look up user \"%s\": %s",
			    name, strerror(errno));
		else
			snprintf(err, errlen, "user \"%s\" does not exist",
			    name);
	}
	return pw;
}

int
daemon_user_check(const char *user, char *err, size_t errlen)
{
	char	why[256];

	if (!cfg_check_machine || user == NULL || *user == '\0' ||
	    daemon_user(user, why, sizeof why) != NULL)
		return 0;
	snprintf(err, errlen, "[daemon] user: %s", why);
	return -1;
}

int
daemon_drop_privileges(const char *user, char *err, size_t errlen)
{
	struct passwd	*pw;
	char		 name[128];
	uid_t		 uid;
	gid_t		 gid;

	if (user == NULL || *user == '\0')
		return 0;
	str_vis(name, sizeof name, user);

	if ((pw = daemon_user(user, err, errlen)) == NULL)
		return -1;
	uid = pw->pw_uid;
	gid = pw->pw_gid;

	if (geteuid() != 0) {
		if (getuid() == uid && geteuid() == uid)
			return 0;
		snprintf(err, errlen, "cannot switch to user %s: not running "
		    "as root", name);
		return -1;
	}

	if (initgroups(user, gid) == -1) {
		snprintf(err, errlen, "cannot set groups for user %s: %s",
		    name, strerror(errno));
		return -1;
	}
	if (setresgid(gid, gid, gid) == -1) {
		snprintf(err, errlen, "cannot switch to group %ld of user %s: "
		    "%s", (long)gid, name, strerror(errno));
		return -1;
	}
	if (setresuid(uid, uid, uid) == -1) {
		snprintf(err, errlen, "cannot switch to user %s: %s", name,
		    strerror(errno));
		return -1;
	}
	/* If root can be regained, the drop did not happen: refuse to run. */
	if (uid != 0 && (setuid(0) != -1 || seteuid(0) != -1)) {
		snprintf(err, errlen, "switched to user %s but could regain "
		    "root", name);
		return -1;
	}
	return 0;
}

int
daemon_detach(char *err, size_t errlen)
{
	int	fd;

	fflush(stdout);
	fflush(stderr);
	switch (fork()) {
	case -1:
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	case 0:
		break;
	default:
		_exit(0);
	}

	/* From here on errors are the child's; its stderr is still open. */
	if (setsid() == -1) {
		snprintf(err, errlen, "setsid: %s", strerror(errno));
		return -1;
	}
	/* Not a session leader, so opening a tty cannot make it ours. */
	switch (fork()) {
	case -1:
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	case 0:
		break;
	default:
		_exit(0);
	}

	if (chdir("/") == -1) {
		snprintf(err, errlen, "chdir /: %s", strerror(errno));
		return -1;
	}
	umask(027);
	if ((fd = open("/dev/null", O_RDWR)) == -1) {
		snprintf(err, errlen, "/dev/null: %s", strerror(errno));
		return -1;
	}
	if (dup2(fd, STDIN_FILENO) == -1 || dup2(fd, STDOUT_FILENO) == -1 ||
	    dup2(fd, STDERR_FILENO) == -1) {
		snprintf(err, errlen, "dup2 /dev/null: %s", strerror(errno));
		if (fd > STDERR_FILENO)
			close(fd);
		return -1;
	}
	if (fd > STDERR_FILENO)
		close(fd);
	return 0;
}
