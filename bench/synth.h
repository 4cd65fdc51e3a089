/* synth.h: the synthetic server reports the ingest benchmark sends through
 * ward-collector and inserts straight into SQLite: one generator, so both
 * sides of the comparison store exactly the same rows. */
#ifndef WARD_BENCH_SYNTH_H
#define WARD_BENCH_SYNTH_H

#include <stddef.h>
#include <stdint.h>

/* Reports are this far apart in time, as an agent with interval = 10s. */
#define SYNTH_INTERVAL_S	10

struct synth_metric {
	char	*name;
	char	*unit;		/* NULL: none */
	/* Labels as the collector stores them: compact JSON with sorted keys,
	 * "" when there are none. */
	char	*labels;
	double	 value;
};

struct synth_check {
	char	*name;
	int	 status;
	char	*output;
	char	*perfdata;
};

struct synth_iface {
	char	*name;
	int	 index;
	const char *admin, *oper;
	int64_t	 speed_bps;
	int64_t	 counters[6];	/* in/out octets, in/out errors, discards */
};

struct synth_report {
	char			 agent_id[40];
	char			 host_name[32];
	char			 fqdn[64];
	const char		*datacentre;
	char			 machine_id[40];
	const char		*vendor, *model;
	char			 serial[16];
	const char		*os_id, *os_version_id, *os_pretty_name;
	const char		*kernel, *arch;
	char			 address[20];
	int64_t			 seq;
	int64_t			 ts_ms;
	int64_t			 uptime_s;
	struct synth_metric	*metrics;
	size_t			 nmetrics;
	struct synth_check	*checks;
	size_t			 nchecks;
	struct synth_iface	*ifaces;
	size_t			 nifaces;
};

/*
 * The report agent number `agent` (0-based) sends as its seq'th (1-based).
 * The shape (filesystems, interfaces, hence 68..190 metric values) depends
 * on the agent alone, the values on both; base_ms is the ts of seq 0.
 */
struct synth_report *synth_report_new(unsigned agent, int64_t seq,
	    int64_t base_ms);
void	 synth_report_free(struct synth_report *r);
/* The report as the JSON body an agent POSTs; the caller frees it. */
char	*synth_report_json(const struct synth_report *r, size_t *len);
/* The ts of seq 0: a week before today's midnight UTC, so tens of thousands
 * of reports per agent stay in the past, and runs on one day agree. */
int64_t	 synth_base_ms(int64_t now_ms);

#endif
