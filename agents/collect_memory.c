/* collect_memory.c: memory and swap from /proc/meminfo. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/agent.h"

#define MEMINFO_MAX	(64 * 1024)

/* The value of "Key:   123 kB" in bytes; -1 if absent. */
static int
meminfo_get(const char *text, const char *key, uint64_t *out)
{
	const char	*p = text;
	size_t		 klen = strlen(key);
	uint64_t	 v;
	char		 unit[8] = "";

	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, klen) == 0 && p[klen] == ':') {
			if (sscanf(p + klen + 1, "%" SCNu64 " %7s", &v,
			    unit) < 1)
				return -1;
			*out = strcmp(unit, "kB") == 0 ? v * 1024 : v;
			return 0;
		}
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return -1;
}

static int
collect_memory(struct collect_ctx *ctx, struct report *r, char *err,
    size_t errlen)
{
	uint64_t	 total, avail, free_bytes, swap_total, swap_free;
	char		*text, *path;

	if ((text = collect_read(ctx, "proc/meminfo", MEMINFO_MAX, err,
	    errlen)) == NULL)
		return -1;
	if (meminfo_get(text, "MemTotal", &total) == -1 || total == 0) {
		free(text);
		path = collect_path(ctx, "proc/meminfo");
		snprintf(err, errlen, "%s: no MemTotal", path);
		free(path);
		return -1;
	}
	/* Kernels before 3.14 have no MemAvailable: count free only. */
	if (meminfo_get(text, "MemAvailable", &avail) == -1) {
		if (meminfo_get(text, "MemFree", &free_bytes) == -1)
			free_bytes = 0;
		avail = free_bytes;
	}
	if (avail > total)
		avail = total;
	report_metric(r, "mem.total_bytes", (double)total, "bytes", NULL);
	report_metric(r, "mem.available_bytes", (double)avail, "bytes", NULL);
	report_metric(r, "mem.used_pct", 100.0 * (double)(total - avail) /
	    (double)total, "percent", NULL);
	if (meminfo_get(text, "SwapTotal", &swap_total) == 0) {
		report_metric(r, "swap.total_bytes", (double)swap_total,
		    "bytes", NULL);
		if (swap_total > 0 && meminfo_get(text, "SwapFree",
		    &swap_free) == 0 && swap_free <= swap_total)
			report_metric(r, "swap.used_pct", 100.0 *
			    (double)(swap_total - swap_free) /
			    (double)swap_total, "percent", NULL);
	}
	free(text);
	return 0;
}

const struct collect_entry collect_memory_entry = {
	"memory", collect_memory, NULL,
};
