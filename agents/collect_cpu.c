/* collect_cpu.c: CPU utilisation from /proc/stat deltas between two
 * collections, the CPU count, and the load averages. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "agents/agent.h"

#define STAT_MAX	(1024 * 1024)

struct cpu_state {
	uint64_t	 busy;
	uint64_t	 total;
};

static int
collect_cpu(struct collect_ctx *ctx, struct report *r, char *err,
    size_t errlen)
{
	struct cpu_state	*prev = *ctx->state, cur;
	uint64_t		 f[8] = { 0 }, dbusy, dtotal;
	char			*text, *line, *path;
	double			 load[3];
	int			 n, found = 0, ncpu = 0;

	if ((text = collect_read(ctx, "proc/stat", STAT_MAX, err, errlen)) ==
	    NULL)
		return -1;
	for (line = text; line != NULL && *line != '\0';
	    line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, "cpu ", 4) == 0) {
			/* user nice system idle iowait irq softirq steal;
			 * guest time is already counted in user. */
			n = sscanf(line + 4, "%" SCNu64 " %" SCNu64 " %" SCNu64
			    " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
			    " %" SCNu64, &f[0], &f[1], &f[2], &f[3], &f[4],
			    &f[5], &f[6], &f[7]);
			if (n >= 4)
				found = 1;
		} else if (strncmp(line, "cpu", 3) == 0 &&
		    line[3] >= '0' && line[3] <= '9')
			ncpu++;
	}
	free(text);
	if (!found) {
		path = collect_path(ctx, "proc/stat");
		snprintf(err, errlen, "%s: no \"cpu\" line", path);
		free(path);
		return -1;
	}
	report_metric(r, "cpu.count", ncpu, NULL, NULL);
	cur.total = f[0] + f[1] + f[2] + f[3] + f[4] + f[5] + f[6] + f[7];
	cur.busy = cur.total - f[3] - f[4];
	if (prev == NULL)
		prev = *ctx->state = xcalloc(1, sizeof *prev);
	else if (cur.total > prev->total && cur.busy >= prev->busy) {
		dtotal = cur.total - prev->total;
		dbusy = cur.busy - prev->busy;
		report_metric(r, "cpu.util", 100.0 * (double)dbusy /
		    (double)dtotal, "percent", NULL);
	}
	*prev = cur;

	if ((text = collect_read(ctx, "proc/loadavg", 256, err, errlen)) ==
	    NULL)
		return -1;
	n = sscanf(text, "%lf %lf %lf", &load[0], &load[1], &load[2]);
	free(text);
	if (n != 3) {
		path = collect_path(ctx, "proc/loadavg");
		snprintf(err, errlen, "%s: no load averages in it", path);
		free(path);
		return -1;
	}
	report_metric(r, "load.1", load[0], NULL, NULL);
	report_metric(r, "load.5", load[1], NULL, NULL);
	report_metric(r, "load.15", load[2], NULL, NULL);
	return 0;
}

const struct collect_entry collect_cpu_entry = {
	"cpu", collect_cpu, free,
};
