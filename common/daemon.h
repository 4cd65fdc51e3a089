/* daemon.h: daemon hygiene: pidfile, signals (SIGTERM stops, SIGHUP
 * reloads), dropping privileges, detaching. */
#ifndef WARD_DAEMON_H
#define WARD_DAEMON_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Creates and locks path holding our pid. Fails with "already running as
 * pid N" (errno EWOULDBLOCK) when another live process holds the lock;
 * with errno EIO when it cannot be made or locked (err says why). The lock is held until
 * exit or daemon_pidfile_remove. Call daemon_detach first: the pid written
 * is the caller's, and detaching forks. A forked child neither removes the
 * parent's pidfile nor may create its own while the parent holds it.
 */
int	 daemon_pidfile_create(const char *path, char *err, size_t errlen);
void	 daemon_pidfile_remove(void);
/* Reads a pidfile; returns the pid or -1 (missing, malformed). */
pid_t	 daemon_pidfile_read(const char *path);

/*
 * Installs handlers: SIGTERM and SIGINT request stop, SIGHUP requests
 * reload, SIGPIPE ignored. Each signal also writes a byte to a self-pipe so
 * a poll() loop wakes (daemon_signal_fd).
 */
int	 daemon_signals_init(char *err, size_t errlen);
int	 daemon_stop_requested(void);
/* Returns 1 once per SIGHUP received, then clears. */
int	 daemon_reload_requested(void);
int	 daemon_signal_fd(void);
/* Drains the self-pipe after poll() says it is readable. */
void	 daemon_signal_drain(void);
/* Sleeps up to ms or until a signal arrives; returns early on stop. */
void	 daemon_sleep_ms(long long ms);

/*
 * Switches to user (and its primary group and supplementary groups) if we
 * are root; verifies root cannot be regained. A no-op returning 0 when
 * user is NULL/empty or we already are that user; an error when we are not
 * root and not that user.
 */
int	 daemon_drop_privileges(const char *user, char *err, size_t errlen);
/* For -n: user (NULL or empty: none) exists, else -1 with err starting
 * "[daemon] user". */
int	 daemon_user_check(const char *user, char *err, size_t errlen);

/*
 * fork, setsid, fork, chdir("/"), umask 027, stdio to /dev/null. The
 * parent exits 0 at once; a later failure returns -1 in the child, whose
 * stderr is still open to report it.
 */
int	 daemon_detach(char *err, size_t errlen);

#endif
