/* testutil.c: helpers shared by the unit tests. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "tests/unit/testutil.h"

static char	*tmpdir;
static pid_t	 tmpdir_owner;
static struct buf captured;

static void
tu_cleanup(void)
{
	char	*cmd;

	if (tmpdir == NULL || getpid() != tmpdir_owner)
		return;
	if (getenv("WARD_KEEP_TMP") == NULL) {
		xasprintf(&cmd, "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
		free(cmd);
	}
	free(tmpdir);
	tmpdir = NULL;
}

const char *
tu_tmpdir(void)
{
	const char	*base;
	char		*tmpl;

	if (tmpdir != NULL)
		return tmpdir;
	base = getenv("TMPDIR");
	if (base == NULL || *base == '\0')
		base = "/tmp";
	xasprintf(&tmpl, "%s/ward-unit.XXXXXX", base);
	if (mkdtemp(tmpl) == NULL) {
		fprintf(stderr, "mkdtemp %s: %s\n", tmpl, strerror(errno));
		abort();
	}
	tmpdir = tmpl;
	tmpdir_owner = getpid();
	atexit(tu_cleanup);
	return tmpdir;
}

char *
tu_path(const char *dir, const char *name)
{
	char	*p;

	xasprintf(&p, "%s/%s", dir, name);
	return p;
}

char *
tu_write_file(const char *dir, const char *name, const char *contents,
    unsigned mode)
{
	char	*path = tu_path(dir, name);
	size_t	 len = strlen(contents);
	int	 fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || write(fd, contents, len) != (ssize_t)len ||
	    fchmod(fd, mode) == -1 || close(fd) == -1) {
		fprintf(stderr, "write %s: %s\n", path, strerror(errno));
		abort();
	}
	return path;
}

char *
tu_read_file(const char *path)
{
	FILE		*fp;
	struct buf	 b;
	char		 chunk[4096];
	size_t		 n;

	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	buf_init(&b, 0);
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		buf_append(&b, chunk, n);
	fclose(fp);
	return buf_detach(&b, NULL);
}

int
tu_sh(const char *fmt, ...)
{
	va_list	 ap;
	char	*cmd;
	int	 rc;

	va_start(ap, fmt);
	xvasprintf(&cmd, fmt, ap);
	va_end(ap);
	rc = system(cmd);
	free(cmd);
	if (rc == -1 || !WIFEXITED(rc))
		return -1;
	return WEXITSTATUS(rc);
}

static void
tu_sink(enum log_level level, const char *msg, void *arg)
{
	(void)arg;
	buf_printf(&captured, "%s: %s\n", log_level_name(level), msg);
}

void
tu_log_capture_start(void)
{
	buf_free(&captured);
	buf_init(&captured, 0);
	log_set_sink(tu_sink, NULL);
}

const char *
tu_log_captured(void)
{
	return buf_cstr(&captured);
}

void
tu_log_capture_stop(void)
{
	log_set_sink(NULL, NULL);
	buf_free(&captured);
}

void
tu_assert_contains(const char *haystack, const char *needle, const char *file,
    int line)
{
	if (haystack != NULL && strstr(haystack, needle) != NULL)
		return;
	print_error("%s:%d: expected to find \"%s\" in \"%s\"\n", file,
	    line, needle, haystack ? haystack : "(null)");
	_fail(file, line);
}

void
tu_assert_not_contains(const char *haystack, const char *needle,
    const char *file, int line)
{
	if (haystack == NULL || strstr(haystack, needle) == NULL)
		return;
	print_error("%s:%d: did not expect \"%s\" in \"%s\"\n", file, line,
	    needle, haystack);
	_fail(file, line);
}

/* Runs fn in a child with stderr on a pipe; returns the wait status and
 * what the child wrote. */
int
tu_run_in_child(void (*fn)(void), char *out, size_t outlen)
{
	int	 fds[2], status;
	pid_t	 pid;
	ssize_t	 n;
	size_t	 got = 0;
	char	 drain[512];

	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		close(fds[1]);
		log_set_sink(NULL, NULL);
		fn();
		_exit(99);
	}
	close(fds[1]);
	while (got < outlen - 1 &&
	    (n = read(fds[0], out + got, outlen - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	while (read(fds[0], drain, sizeof drain) > 0)
		;
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}
