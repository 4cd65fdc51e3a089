/* log.h: logging to stderr or syslog with levels, and complain-once helpers. */
#ifndef WARD_LOG_H
#define WARD_LOG_H

#include <stdarg.h>
#include <time.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* ident is kept by pointer. to_syslog=0 logs to stderr with a timestamp. */
void	 log_init(const char *ident, int to_syslog, enum log_level level);
void	 log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* "error", "warning", "info", "debug" -> level; -1 if unknown. */
int	 log_level_from_name(const char *name);
const char *log_level_name(enum log_level level);

/* log_warn appends ": strerror(errno)"; log_warnx does not. */
void	 log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 log_msg(enum log_level level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 log_vmsg(enum log_level level, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));
/* Only before the main loop or for broken invariants. */
void	 fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	 fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/*
 * Repeated failures against one target: log_complain logs the first failure,
 * then at most once per interval (doubling up to a day) while it persists;
 * log_release logs once on recovery and only if something was complained of.
 */
struct log_complain {
	time_t	 last;		/* when we last logged, 0 = never */
	time_t	 interval_s;	/* current quiet period */
	unsigned long suppressed;	/* failures not logged since last */
};
#define LOG_COMPLAIN_INIT { 0, 0, 0 }

void	 log_complain(struct log_complain *c, enum log_level level,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Logs only the first failure until released. */
void	 log_complain_once(struct log_complain *c, enum log_level level,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void	 log_release(struct log_complain *c, enum log_level level,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int	 log_complaining(const struct log_complain *c);

/* For tests: the clock log_complain uses, and a sink instead of stderr. */
void	 log_set_clock(time_t (*now)(void));
void	 log_set_sink(void (*sink)(enum log_level, const char *msg, void *arg),
	    void *arg);

#endif
