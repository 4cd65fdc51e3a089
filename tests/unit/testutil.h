/* testutil.h: helpers shared by the unit tests: scratch directories that
 * clean up after themselves, files with a given mode, captured logs. */
#ifndef WARD_TESTUTIL_H
#define WARD_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

/* Makes a fresh directory under $TMPDIR (or /tmp), removed at exit. */
const char *tu_tmpdir(void);
/* Writes contents to dir/name with mode; returns the malloc'd path. */
char	*tu_write_file(const char *dir, const char *name, const char *contents,
	    unsigned mode);
/* Reads a whole file (malloc'd, NUL-terminated) or NULL. */
char	*tu_read_file(const char *path);
/* malloc'd "dir/name". */
char	*tu_path(const char *dir, const char *name);
/* Runs a shell command quietly; returns its exit status. */
int	 tu_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Runs fn in a forked child with stderr on a pipe (log sink reset); returns
 * the wait status and what the child wrote, NUL-terminated, in out. */
int	 tu_run_in_child(void (*fn)(void), char *out, size_t outlen);

/* Captures log lines into a buffer the test can inspect. */
void	 tu_log_capture_start(void);
const char *tu_log_captured(void);
void	 tu_log_capture_stop(void);

/* assert that haystack contains needle, printing both if not. */
#define assert_contains(haystack, needle) \
	tu_assert_contains((haystack), (needle), __FILE__, __LINE__)
void	 tu_assert_contains(const char *haystack, const char *needle,
	    const char *file, int line);
#define assert_not_contains(haystack, needle) \
	tu_assert_not_contains((haystack), (needle), __FILE__, __LINE__)
void	 tu_assert_not_contains(const char *haystack, const char *needle,
	    const char *file, int line);

#endif
