/* check.c: runs Nagios plugins without a shell, in their own process group,
 * with a timeout and capped output, and turns what they say into a check. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "agents/agent.h"

extern char **environ;

/* Plugins get a known PATH and the C locale, nothing of ours. */
static char	 env_path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
static char	 env_lc_all[] = "LC_ALL=C";
static char	*check_environ[] = { env_path, env_lc_all, NULL };

int
check_split(const char *cmd, char ***argvp, size_t *argcp, char *err,
    size_t errlen)
{
	struct buf	 word;
	char		**argv = NULL, quote = 0, c;
	size_t		 argc = 0;
	const char	*p;
	int		 in_word = 0;

	buf_init(&word, 0);
	for (p = cmd;; p++) {
		c = *p;
		if (c == '\0') {
			if (quote != 0) {
				snprintf(err, errlen, "unterminated %c quote",
				    quote);
				goto fail;
			}
			break;
		}
		if (quote == '\'') {
			if (c == '\'')
				quote = 0;
			else
				buf_append_char(&word, c);
			continue;
		}
		if (quote == '"') {
			if (c == '"')
				quote = 0;
			else if (c == '\\' && p[1] != '\0' &&
			    strchr("\"\\$`", p[1]) != NULL)
				buf_append_char(&word, *++p);
			else
				buf_append_char(&word, c);
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n') {
			if (in_word) {
				argv = xreallocarray(argv, argc + 2,
				    sizeof *argv);
				argv[argc++] = xstrdup(buf_cstr(&word));
				buf_reset(&word);
				in_word = 0;
			}
			continue;
		}
		in_word = 1;
		if (c == '\'' || c == '"') {
			quote = c;
			continue;
		}
		if (c == '\\') {
			if (p[1] == '\0') {
				snprintf(err, errlen, "backslash at the end");
				goto fail;
			}
			buf_append_char(&word, *++p);
			continue;
		}
		/* Without a shell these would be passed on literally, which
		 * is never what was meant. */
		if (strchr("|&;<>()$`", c) != NULL) {
			snprintf(err, errlen, "unquoted '%c': commands run "
			    "without a shell (quote it, or run /bin/sh -c "
			    "'...' explicitly)", c);
			goto fail;
		}
		buf_append_char(&word, c);
	}
	if (in_word) {
		argv = xreallocarray(argv, argc + 2, sizeof *argv);
		argv[argc++] = xstrdup(buf_cstr(&word));
	}
	buf_free(&word);
	if (argc == 0) {
		snprintf(err, errlen, "empty command");
		free(argv);
		return -1;
	}
	argv[argc] = NULL;
	*argvp = argv;
	*argcp = argc;
	return 0;

fail:
	buf_free(&word);
	str_list_free(argv, argc);
	return -1;
}

static void __attribute__((noreturn))
check_child(char *const argv[], int out, int errfd, int devnull)
{
	sigset_t	 none;
	int		 e;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Ignored signals stay ignored across exec; plugins expect
	 * defaults. */
	signal(SIGPIPE, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	setpgid(0, 0);
	if (dup2(devnull, STDIN_FILENO) == -1 ||
	    dup2(out, STDOUT_FILENO) == -1 ||
	    dup2(out, STDERR_FILENO) == -1) {
		e = errno;
		(void)!write(errfd, &e, sizeof e);
		_exit(127);
	}
	environ = check_environ;
	execvp(argv[0], argv);
	e = errno;
	(void)!write(errfd, &e, sizeof e);
	_exit(127);
}

void
check_exec_clear(struct check_exec *res)
{
	free(res->output);
	memset(res, 0, sizeof *res);
}

int
check_exec(char *const argv[], int64_t timeout_ms, size_t max_output,
    struct check_exec *res, char *err, size_t errlen)
{
	int		 outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int		 devnull = -1, e, status, eof = 0, exited = 0;
	int64_t		 deadline, remaining;
	char		 chunk[4096];
	struct pollfd	 pfd;
	siginfo_t	 si;
	ssize_t		 n;
	size_t		 take;
	pid_t		 pid;
	int		 wait_ms;

	memset(res, 0, sizeof *res);
	if (pipe2(outp, O_CLOEXEC) == -1 || pipe2(errp, O_CLOEXEC) == -1 ||
	    (devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "cannot run %s: %s", argv[0],
		    strerror(errno));
		goto fail;
	}
	if ((pid = fork()) == -1) {
		snprintf(err, errlen, "cannot run %s: fork: %s", argv[0],
		    strerror(errno));
		goto fail;
	}
	if (pid == 0)
		check_child(argv, outp[1], errp[1], devnull);
	/* Also here, so the group exists before we might kill it. */
	setpgid(pid, pid);
	close(outp[1]);
	close(errp[1]);
	close(devnull);

	/* Closed by a successful exec, or the child's errno. */
	do
		n = read(errp[0], &e, sizeof e);
	while (n == -1 && errno == EINTR);
	if (n == (ssize_t)sizeof e)
		res->exec_errno = e;
	close(errp[0]);

	res->output = xmalloc(max_output + 1);
	fcntl(outp[0], F_SETFL, O_NONBLOCK);
	deadline = wtime_mono_ms() + timeout_ms;
	for (;;) {
		if (!exited) {
			/* WNOWAIT: a zombie keeps its pid and group, so the
			 * kill below cannot hit a stranger. */
			memset(&si, 0, sizeof si);
			if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG |
			    WNOWAIT) == 0 && si.si_pid == pid) {
				exited = 1;
				/* Whatever it left running would hold the
				 * pipe open. */
				kill(-pid, SIGKILL);
			}
		}
		if (exited && eof)
			break;
		remaining = deadline - wtime_mono_ms();
		if (remaining <= 0) {
			if (!exited)
				res->timed_out = 1;
			break;
		}
		wait_ms = remaining > 1000 ? 1000 : (int)remaining;
		if (!exited && wait_ms > (eof ? 10 : 100))
			wait_ms = eof ? 10 : 100;
		pfd.fd = outp[0];
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, eof ? 0 : 1, wait_ms) <= 0)
			continue;
		n = read(outp[0], chunk, sizeof chunk);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			eof = 1;
			continue;
		}
		/* Past the cap, read on and discard so the plugin does not
		 * block on a full pipe. */
		take = (size_t)n;
		if (take > max_output - res->output_len) {
			take = max_output - res->output_len;
			res->truncated = 1;
		}
		memcpy(res->output + res->output_len, chunk, take);
		res->output_len += take;
	}
	close(outp[0]);
	kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (WIFEXITED(status) && !res->timed_out) {
		res->exited = 1;
		res->exit_status = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status) && !res->timed_out)
		res->signal = WTERMSIG(status);
	/* A NUL would end the text early. */
	for (take = 0; take < res->output_len; take++) {
		if (res->output[take] == '\0')
			res->output[take] = '?';
	}
	res->output[res->output_len] = '\0';
	return 0;

fail:
	if (outp[0] != -1) {
		close(outp[0]);
		close(outp[1]);
	}
	if (errp[0] != -1) {
		close(errp[0]);
		close(errp[1]);
	}
	if (devnull != -1)
		close(devnull);
	return -1;
}

void
check_result_clear(struct check_result *res)
{
	free(res->output);
	free(res->perfdata);
	memset(res, 0, sizeof *res);
}

static void
check_unknown(struct check_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
check_unknown(struct check_result *res, const char *fmt, ...)
{
	va_list	 ap;

	res->status = CHECK_UNKNOWN;
	free(res->output);
	va_start(ap, fmt);
	xvasprintf(&res->output, fmt, ap);
	va_end(ap);
}

/*
 * Nagios plugin output: "TEXT | PERFDATA" on the first line; long text on
 * later lines, and after a '|' on any later line, perfdata to the end.
 */
static void
check_parse_output(const char *out, char **text, char **perfdata)
{
	struct buf	 perf;
	const char	*eol, *bar, *rest;
	char		*first, *t;
	size_t		 n;

	buf_init(&perf, 0);
	eol = strchr(out, '\n');
	n = eol != NULL ? (size_t)(eol - out) : strlen(out);
	first = xstrndup(out, n);
	if ((t = strchr(first, '|')) != NULL) {
		*t++ = '\0';
		buf_append_str(&perf, str_trim(t));
	}
	*text = xstrdup(str_trim(first));
	free(first);
	if (eol != NULL && (bar = strchr(eol + 1, '|')) != NULL) {
		for (rest = bar + 1; *rest != '\0'; rest = eol + 1) {
			eol = strchr(rest, '\n');
			n = eol != NULL ? (size_t)(eol - rest) : strlen(rest);
			t = xstrndup(rest, n);
			str_trim(t);
			if (*t != '\0') {
				if (perf.len > 0)
					buf_append_char(&perf, ' ');
				buf_append_str(&perf, t);
			}
			free(t);
			if (eol == NULL)
				break;
		}
	}
	*perfdata = buf_detach(&perf, NULL);
}

void
check_run(const char *command, int64_t timeout_ms, struct check_result *res)
{
	struct check_exec	 ex;
	char			**argv = NULL, why[512], dur[32];
	char			*text = NULL, *perf = NULL;
	size_t			 argc = 0;

	memset(res, 0, sizeof *res);
	memset(&ex, 0, sizeof ex);
	if (check_split(command, &argv, &argc, why, sizeof why) == -1) {
		check_unknown(res, "bad command: %s", why);
		return;
	}
	if (check_exec(argv, timeout_ms, CHECK_OUTPUT_MAX, &ex, why,
	    sizeof why) == -1) {
		check_unknown(res, "%s", why);
		goto done;
	}
	if (ex.exec_errno != 0) {
		check_unknown(res, "cannot run %s: %s", argv[0],
		    strerror(ex.exec_errno));
		goto done;
	}
	if (ex.timed_out) {
		str_format_duration_ms(dur, sizeof dur, timeout_ms);
		check_unknown(res, "timed out after %s", dur);
		goto done;
	}
	check_parse_output(ex.output, &text, &perf);
	if (ex.signal != 0)
		check_unknown(res, "killed by signal %d (%s)%s%s", ex.signal,
		    strsignal(ex.signal), *text ? ": " : "", text);
	else if (ex.exit_status < 0 || ex.exit_status > 3)
		check_unknown(res, "exited with status %d, not 0-3%s%s",
		    ex.exit_status, *text ? ": " : "", text);
	else {
		res->status = ex.exit_status;
		res->output = xstrdup(*text ? text :
		    "(no output returned from plugin)");
		res->perfdata = perf;
		perf = NULL;
	}
done:
	free(text);
	free(perf);
	check_exec_clear(&ex);
	str_list_free(argv, argc);
}

void
check_report(struct report *r, const char *name, const struct check_result *res)
{
	struct perfdata	*pd;
	size_t		 n, i, o;
	char		 metric[129];
	const char	*c;

	report_check(r, name, res->status, res->output, res->perfdata);
	if (res->perfdata == NULL)
		return;
	n = perfdata_parse(res->perfdata, &pd);
	for (i = 0; i < n; i++) {
		/* Metric names are [A-Za-z0-9_.:-]; the label keeps the
		 * plugin's own spelling. */
		o = (size_t)snprintf(metric, sizeof metric, "check.%s.", name);
		if (o >= sizeof metric)
			o = sizeof metric - 1;
		for (c = pd[i].label; *c != '\0' && o < sizeof metric - 1;
		    c++) {
			metric[o++] = (strchr("_.:-", *c) != NULL ||
			    (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
			    (*c >= '0' && *c <= '9')) ? *c : '_';
		}
		metric[o] = '\0';
		report_metric(r, metric, pd[i].value, perfdata_unit(pd[i].uom),
		    "check", name, "label", pd[i].label, NULL);
	}
	perfdata_free(pd, n);
}
