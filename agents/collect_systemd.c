/* collect_systemd.c: failed systemd units, where systemd runs: a count
 * metric and the "systemd_failed_units" check naming them. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/buf.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "agents/agent.h"

#define SYSTEMCTL_TIMEOUT_MS	10000
#define SYSTEMCTL_OUTPUT_MAX	(256 * 1024)

size_t
systemd_parse_failed(const char *text, char ***units)
{
	char	**lines, **words, **out = NULL;
	size_t	 nlines, nwords, i, n = 0;

	nlines = str_split(text, "\n", &lines);
	for (i = 0; i < nlines; i++) {
		nwords = str_split(lines[i], " \t", &words);
		/* "foo.service loaded failed failed Description"; a bullet
		 * when --plain was not honoured. */
		if (nwords > 0) {
			const char *u = words[0];

			if (strcmp(u, "\xe2\x97\x8f") == 0 || strcmp(u, "*") ==
			    0)
				u = nwords > 1 ? words[1] : NULL;
			if (u != NULL && strchr(u, '.') != NULL) {
				out = xreallocarray(out, n + 1, sizeof *out);
				out[n++] = xstrdup(u);
			}
		}
		str_list_free(words, nwords);
	}
	str_list_free(lines, nlines);
	*units = out;
	return n;
}

static int
collect_systemd(struct collect_ctx *ctx, struct report *r, char *err,
    size_t errlen)
{
	static char	 systemctl[] = "systemctl", list[] = "list-units",
			 state[] = "--state=failed", plain[] = "--plain",
			 nolegend[] = "--no-legend", nopager[] = "--no-pager";
	char		*argv[] = { systemctl, list, state, plain, nolegend,
			    nopager, NULL };
	struct check_exec res;
	struct stat	 sb;
	struct buf	 out;
	char		*path, **units;
	size_t		 n, i;
	int		 rc = -1;

	/* sd_booted(3): systemd runs when this directory exists. */
	path = collect_path(ctx, "run/systemd/system");
	if (stat(path, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
		free(path);
		return 0;
	}
	free(path);
	if (check_exec(argv, SYSTEMCTL_TIMEOUT_MS, SYSTEMCTL_OUTPUT_MAX, &res,
	    err, errlen) == -1)
		return -1;
	if (res.exec_errno == ENOENT) {
		rc = 0;		/* no systemctl: nothing to ask */
		goto done;
	}
	if (res.exec_errno != 0) {
		snprintf(err, errlen, "cannot run systemctl: %s",
		    strerror(res.exec_errno));
		goto done;
	}
	if (res.timed_out || !res.exited || res.exit_status != 0 ||
	    res.truncated) {
		snprintf(err, errlen, "systemctl list-units %s",
		    res.timed_out ? "timed out" : res.truncated ?
		    "said too much" : !res.exited ? "was killed" :
		    "failed");
		goto done;
	}
	n = systemd_parse_failed(res.output, &units);
	report_metric(r, "systemd.failed_units", (double)n, NULL, NULL);
	buf_init(&out, 4000);
	if (n == 0)
		buf_append_str(&out, "no failed units");
	else {
		buf_printf(&out, "%zu failed unit%s:", n, n == 1 ? "" : "s");
		for (i = 0; i < n; i++) {
			if (buf_printf(&out, "%s %s", i == 0 ? "" : ",",
			    units[i]) == -1) {
				buf_append_str(&out, " ...");
				break;
			}
		}
	}
	report_check(r, "systemd_failed_units", n == 0 ? CHECK_OK :
	    CHECK_CRITICAL, buf_cstr(&out), NULL);
	buf_free(&out);
	str_list_free(units, n);
	rc = 0;
done:
	check_exec_clear(&res);
	return rc;
}

const struct collect_entry collect_systemd_entry = {
	"systemd", collect_systemd, NULL,
};
