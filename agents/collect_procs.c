/* collect_procs.c: the number of processes (the numeric entries of /proc). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/agent.h"

static int
collect_procs(struct collect_ctx *ctx, struct report *r, char *err,
    size_t errlen)
{
	DIR		*d;
	struct dirent	*de;
	char		*path;
	const char	*p;
	long		 count = 0;

	path = collect_path(ctx, "proc");
	if ((d = opendir(path)) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	while ((de = readdir(d)) != NULL) {
		for (p = de->d_name; *p >= '0' && *p <= '9'; p++)
			;
		if (*p == '\0' && p != de->d_name)
			count++;
	}
	closedir(d);
	report_metric(r, "procs.count", (double)count, NULL, NULL);
	return 0;
}

const struct collect_entry collect_procs_entry = {
	"procs", collect_procs, NULL,
};
