/* log.c: logging to stderr or syslog, and the complain-once helpers that keep
 * a dead target from filling the log (after collectd's c_complain). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

#define LOG_LINE_MAX		4096
#define COMPLAIN_FIRST_S	60
#define COMPLAIN_MAX_S		86400

static const char	*log_ident = "ward";
static int		 log_to_syslog;
static enum log_level	 log_level = LOG_LEVEL_INFO;
static void		(*log_sink)(enum log_level, const char *, void *);
static void		*log_sink_arg;
static time_t		(*log_clock)(void);

static const char *const level_names[] = {
	"error", "warning", "info", "debug",
};

void
log_init(const char *ident, int to_syslog, enum log_level level)
{
	if (log_to_syslog)
		closelog();
	log_ident = ident;
	log_to_syslog = to_syslog;
	log_level = level;
	if (to_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	tzset();
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

int
log_level_from_name(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof level_names / sizeof level_names[0]; i++)
		if (strcmp(name, level_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
log_level_name(enum log_level level)
{
	if ((unsigned)level >= sizeof level_names / sizeof level_names[0])
		return "unknown";
	return level_names[level];
}

static int
syslog_priority(enum log_level level)
{
	switch (level) {
	case LOG_LEVEL_ERROR:
		return LOG_ERR;
	case LOG_LEVEL_WARNING:
		return LOG_WARNING;
	case LOG_LEVEL_INFO:
		return LOG_INFO;
	default:
		return LOG_DEBUG;
	}
}

static void
log_emit(enum log_level level, const char *msg)
{
	struct timespec	 ts;
	struct tm	 tm;
	char		 stamp[32];

	if (log_sink != NULL) {
		log_sink(level, msg, log_sink_arg);
		return;
	}
	if (log_to_syslog) {
		syslog(syslog_priority(level), "%s", msg);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ %s[%ld]: %s%s%s\n", stamp,
	    ts.tv_nsec / 1000000, log_ident, (long)getpid(),
	    level <= LOG_LEVEL_WARNING ? level_names[level] : "",
	    level <= LOG_LEVEL_WARNING ? ": " : "", msg);
	fflush(stderr);
}

void
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char	 line[LOG_LINE_MAX];

	if (level > log_level)
		return;
	vsnprintf(line, sizeof line, fmt, ap);
	log_emit(level, line);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

static void
log_verrno(enum log_level level, const char *fmt, va_list ap)
{
	char	 line[LOG_LINE_MAX];
	int	 saved = errno;

	if (level > log_level)
		return;
	vsnprintf(line, sizeof line, fmt, ap);
	log_msg(level, "%s: %s", line, strerror(saved));
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_verrno(LOG_LEVEL_WARNING, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_WARNING, fmt, ap);
	va_end(ap);
}

void
log_error(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_verrno(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}

static time_t
log_now(void)
{
	return log_clock != NULL ? log_clock() : time(NULL);
}

static void
log_vcomplain(struct log_complain *c, enum log_level level, int once,
    const char *fmt, va_list ap)
{
	char	 line[LOG_LINE_MAX];
	time_t	 now = log_now();

	if (c->last != 0 && (once || now < c->last + c->interval_s)) {
		c->suppressed++;
		return;
	}
	vsnprintf(line, sizeof line, fmt, ap);
	if (c->suppressed > 0)
		log_msg(level, "%s (%lu more like this not logged)", line,
		    c->suppressed);
	else
		log_msg(level, "%s", line);
	if (c->interval_s == 0)
		c->interval_s = COMPLAIN_FIRST_S;
	else if (c->last != 0 && c->interval_s < COMPLAIN_MAX_S)
		c->interval_s = c->interval_s * 2 > COMPLAIN_MAX_S ?
		    COMPLAIN_MAX_S : c->interval_s * 2;
	c->last = now;
	c->suppressed = 0;
}

void
log_complain(struct log_complain *c, enum log_level level, const char *fmt,
    ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vcomplain(c, level, 0, fmt, ap);
	va_end(ap);
}

void
log_complain_once(struct log_complain *c, enum log_level level,
    const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vcomplain(c, level, 1, fmt, ap);
	va_end(ap);
}

void
log_release(struct log_complain *c, enum log_level level, const char *fmt,
    ...)
{
	va_list	 ap;

	if (c->last == 0)
		return;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
	c->last = 0;
	c->interval_s = 0;
	c->suppressed = 0;
}

int
log_complaining(const struct log_complain *c)
{
	return c->last != 0;
}

void
log_set_clock(time_t (*now)(void))
{
	log_clock = now;
}

void
log_set_sink(void (*sink)(enum log_level, const char *, void *), void *arg)
{
	log_sink = sink;
	log_sink_arg = arg;
}
