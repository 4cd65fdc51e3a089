/* synth.c: synthetic server reports shaped like ward-agent's (CPU, load,
 * memory, filesystems, interfaces, plugin checks), deterministic per agent
 * and sequence number. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/wtime.h"
#include "common/xmalloc.h"
#include "bench/synth.h"

#define DAY_MS		(86400 * 1000LL)
#define GIB		(1024.0 * 1024 * 1024)

static const char *const datacentres[] = {
	"basildon", "southend", "broomfield", "orsett", "thurrock",
	"braintree", "st-andrews", "rochford",
};
static const char *const mounts[] = {
	"/", "/boot", "/var", "/var/log", "/home", "/tmp", "/opt", "/srv",
	"/var/lib/pgsql", "/var/lib/mysql", "/data", "/backup", "/u01",
	"/u02", "/archive", "/export", "/var/spool", "/images", "/scratch",
	"/var/www",
};
static const char *const net_metrics[][2] = {
	{ "net.rx_bytes_per_s", "bytes/s" },
	{ "net.rx_packets_per_s", "packets/s" },
	{ "net.rx_errors_per_s", "errors/s" },
	{ "net.rx_drops_per_s", "packets/s" },
	{ "net.tx_bytes_per_s", "bytes/s" },
	{ "net.tx_packets_per_s", "packets/s" },
	{ "net.tx_errors_per_s", "errors/s" },
	{ "net.tx_drops_per_s", "packets/s" },
};

/* splitmix64: a good, tiny, seedable mix for reproducible values. */
static uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* A value in [lo, hi) for (agent, seq, what). */
static double
uniform(unsigned agent, int64_t seq, unsigned what, double lo, double hi)
{
	uint64_t h = mix(mix(mix(agent) ^ (uint64_t)seq) ^ what);

	return lo + (hi - lo) * (double)(h >> 11) / 9007199254740992.0;
}

static char *
labels_text(const char *k1, const char *v1, const char *k2, const char *v2,
    const char *k3, const char *v3)
{
	json_t	*o = json_object();
	char	*s;

	json_object_set_new(o, k1, json_string(v1));
	if (k2 != NULL)
		json_object_set_new(o, k2, json_string(v2));
	if (k3 != NULL)
		json_object_set_new(o, k3, json_string(v3));
	/* The collector's canonical form (ingest.c stores labels so). */
	if ((s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		fprintf(stderr, "synth: out of memory\n");
		exit(1);
	}
	json_decref(o);
	return s;
}

static void
add(struct synth_report *r, size_t *alloc, const char *name,
    const char *unit, char *labels, double value)
{
	struct synth_metric	*m;

	if (r->nmetrics == *alloc) {
		*alloc = *alloc == 0 ? 64 : *alloc * 2;
		r->metrics = xreallocarray(r->metrics, *alloc,
		    sizeof *r->metrics);
	}
	m = &r->metrics[r->nmetrics++];
	m->name = xstrdup(name);
	m->unit = unit != NULL ? xstrdup(unit) : NULL;
	m->labels = labels != NULL ? labels : xstrdup("");
	m->value = value;
}

int64_t
synth_base_ms(int64_t now_ms)
{
	return now_ms - now_ms % DAY_MS - 7 * DAY_MS;
}

struct synth_report *
synth_report_new(unsigned agent, int64_t seq, int64_t base_ms)
{
	struct synth_report	*r = xcalloc(1, sizeof *r);
	struct synth_check	*c;
	struct synth_iface	*f;
	size_t			 alloc = 0, nfs, nif, i, k;
	unsigned		 w = 0;
	double			 load1, load5, load15, v;
	char			 name[64], dev[32], perf[512];

	nfs = 6 + agent % 15;
	nif = 4 + (agent * 7) % 11;

	snprintf(r->agent_id, sizeof r->agent_id, "%016" PRIx64 "%016" PRIx64,
	    mix(agent), mix(agent + 1000003));
	snprintf(r->host_name, sizeof r->host_name, "bench-%03u", agent);
	snprintf(r->fqdn, sizeof r->fqdn, "bench-%03u.bench.test", agent);
	r->datacentre = datacentres[agent % 8];
	snprintf(r->machine_id, sizeof r->machine_id, "%016" PRIx64 "%016"
	    PRIx64, mix(agent + 7), mix(agent + 11));
	r->vendor = "Dell Inc.";
	r->model = agent % 3 == 0 ? "PowerEdge R640" : "PowerEdge R740";
	snprintf(r->serial, sizeof r->serial, "BX%05u", agent);
	r->os_id = agent % 4 == 0 ? "rhel" : "debian";
	r->os_version_id = agent % 4 == 0 ? "7.9" : "12";
	r->os_pretty_name = agent % 4 == 0 ?
	    "Red Hat Enterprise Linux Server 7.9 (Maipo)" :
	    "Debian GNU/Linux 12 (bookworm)";
	r->kernel = agent % 4 == 0 ? "3.10.0-1160.el7.x86_64" :
	    "6.1.0-18-amd64";
	r->arch = "x86_64";
	snprintf(r->address, sizeof r->address, "10.%u.%u.%u", agent % 8 + 1,
	    agent / 250 % 250, agent % 250 + 2);
	r->seq = seq;
	r->ts_ms = base_ms + seq * SYNTH_INTERVAL_S * 1000LL;
	r->uptime_s = 86400 * (int64_t)(agent % 90) + seq * SYNTH_INTERVAL_S;

	load1 = uniform(agent, seq, w++, 0, 4);
	load5 = load1 * 0.9;
	load15 = load1 * 0.8;
	add(r, &alloc, "cpu.count", NULL, NULL, 2 << (agent % 5));
	add(r, &alloc, "cpu.util", "percent", NULL,
	    uniform(agent, seq, w++, 0, 100));
	add(r, &alloc, "load.1", NULL, NULL, load1);
	add(r, &alloc, "load.5", NULL, NULL, load5);
	add(r, &alloc, "load.15", NULL, NULL, load15);
	v = 8 * GIB * (1 + agent % 16);
	add(r, &alloc, "mem.total_bytes", "bytes", NULL, v);
	add(r, &alloc, "mem.available_bytes", "bytes", NULL,
	    v * uniform(agent, seq, w, 0.1, 0.9));
	add(r, &alloc, "mem.used_pct", "percent", NULL,
	    100 * (1 - uniform(agent, seq, w++, 0.1, 0.9)));
	add(r, &alloc, "swap.total_bytes", "bytes", NULL, 4 * GIB);
	add(r, &alloc, "swap.used_pct", "percent", NULL,
	    uniform(agent, seq, w++, 0, 20));
	add(r, &alloc, "procs.count", NULL, NULL,
	    (double)(int)uniform(agent, seq, w++, 120, 900));

	for (i = 0; i < nfs; i++) {
		snprintf(dev, sizeof dev, "/dev/mapper/vg0-lv%zu", i);
		add(r, &alloc, "fs.size_bytes", "bytes", labels_text("mount",
		    mounts[i], "fstype", i == 1 ? "ext4" : "xfs", "device",
		    dev), 50 * GIB * (double)(i + 1));
		add(r, &alloc, "fs.used_pct", "percent", labels_text("mount",
		    mounts[i], "fstype", i == 1 ? "ext4" : "xfs", "device",
		    dev), uniform(agent, seq, w++, 5, 95));
		add(r, &alloc, "fs.inodes_used_pct", "percent",
		    labels_text("mount", mounts[i], "fstype", i == 1 ? "ext4" :
		    "xfs", "device", dev), uniform(agent, seq, w++, 1, 40));
	}

	r->nifaces = nif;
	r->ifaces = xcalloc(nif, sizeof *r->ifaces);
	for (i = 0; i < nif; i++) {
		f = &r->ifaces[i];
		if (i == 0)
			snprintf(name, sizeof name, "lo");
		else
			snprintf(name, sizeof name, "ens%zu", 160 + i);
		f->name = xstrdup(name);
		f->index = (int)i + 1;
		f->admin = "up";
		f->oper = i == 0 ? "unknown" : "up";
		f->speed_bps = i == 0 ? 0 : 10000000000LL;
		for (k = 0; k < 8; k++) {
			v = k % 4 == 0 ? uniform(agent, seq, w++, 0, 5e7) :
			    k % 4 == 1 ? uniform(agent, seq, w++, 0, 5e4) :
			    (double)(int)uniform(agent, seq, w++, 0, 1.02);
			add(r, &alloc, net_metrics[k][0], net_metrics[k][1],
			    labels_text("iface", f->name, NULL, NULL, NULL,
			    NULL), v);
		}
		for (k = 0; k < 6; k++)
			f->counters[k] = (int64_t)(mix(agent * 64 + i * 8 + k) %
			    1000000000) + seq * (k < 2 ? 1000000 : 0);
	}

	r->nchecks = 3;
	r->checks = xcalloc(r->nchecks, sizeof *r->checks);
	c = &r->checks[0];
	c->name = xstrdup("load");
	c->status = load1 > 3.5 ? 1 : 0;
	xasprintf(&c->output, "LOAD %s - total load average: %.2f, %.2f, %.2f",
	    c->status ? "WARNING" : "OK", load1, load5, load15);
	snprintf(perf, sizeof perf, "load1=%.3f;;;0; scaled_load1=%.3f;4.000;"
	    "8.000;0; load5=%.3f;;;0; scaled_load5=%.3f;3.000;6.000;0; "
	    "load15=%.3f;;;0; scaled_load15=%.3f;2.000;4.000;0;", load1,
	    load1 / 2, load5, load5 / 2, load15, load15 / 2);
	c->perfdata = xstrdup(perf);
	add(r, &alloc, "check.load.load1", NULL, NULL, load1);
	add(r, &alloc, "check.load.scaled_load1", NULL, NULL, load1 / 2);
	add(r, &alloc, "check.load.load5", NULL, NULL, load5);
	add(r, &alloc, "check.load.scaled_load5", NULL, NULL, load5 / 2);
	add(r, &alloc, "check.load.load15", NULL, NULL, load15);
	add(r, &alloc, "check.load.scaled_load15", NULL, NULL, load15 / 2);

	c = &r->checks[1];
	c->name = xstrdup("disk_root");
	v = uniform(agent, seq, w++, 10, 90);
	xasprintf(&c->output, "DISK OK - free space: / %.0fMiB (%.0f%% "
	    "inode=97%%);", 51200 * (1 - v / 100), 100 - v);
	xasprintf(&c->perfdata, "/=%.0fB;45634027929;51002736803;0;53687091200",
	    53687091200 * v / 100);
	add(r, &alloc, "check.disk_root.root", "B", NULL, 53687091200 * v / 100);

	c = &r->checks[2];
	c->name = xstrdup("ntp");
	v = uniform(agent, seq, w++, -0.01, 0.01);
	xasprintf(&c->output, "NTP OK: Offset %.6f secs", v);
	xasprintf(&c->perfdata, "offset=%.6fs;60.000000;120.000000;", v);
	add(r, &alloc, "check.ntp.offset", "s", NULL, v);
	return r;
}

void
synth_report_free(struct synth_report *r)
{
	size_t	i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nmetrics; i++) {
		free(r->metrics[i].name);
		free(r->metrics[i].unit);
		free(r->metrics[i].labels);
	}
	for (i = 0; i < r->nchecks; i++) {
		free(r->checks[i].name);
		free(r->checks[i].output);
		free(r->checks[i].perfdata);
	}
	for (i = 0; i < r->nifaces; i++)
		free(r->ifaces[i].name);
	free(r->metrics);
	free(r->checks);
	free(r->ifaces);
	free(r);
}

char *
synth_report_json(const struct synth_report *r, size_t *len)
{
	static const char *const counters[] = {
		"in_octets", "out_octets", "in_errors", "out_errors",
		"in_discards", "out_discards",
	};
	json_t	*doc, *host, *metrics, *checks, *ifaces, *o, *labels;
	char	 ts[32], *s;
	size_t	 i, k;

	wtime_format_iso8601(ts, sizeof ts, r->ts_ms);
	host = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
	    " s:{s:s, s:s, s:s, s:s, s:s}, s:[s], s:I}",
	    "name", r->host_name, "fqdn", r->fqdn, "datacentre", r->datacentre,
	    "kind", "server", "machine_id", r->machine_id, "vendor", r->vendor,
	    "model", r->model, "serial", r->serial,
	    "os", "id", r->os_id, "version_id", r->os_version_id,
	    "pretty_name", r->os_pretty_name, "kernel", r->kernel,
	    "arch", r->arch,
	    "addresses", r->address, "uptime_s", (json_int_t)r->uptime_s);
	metrics = json_array();
	for (i = 0; i < r->nmetrics; i++) {
		o = json_pack("{s:s, s:f}", "name", r->metrics[i].name,
		    "value", r->metrics[i].value);
		if (r->metrics[i].unit != NULL)
			json_object_set_new(o, "unit",
			    json_string(r->metrics[i].unit));
		if (r->metrics[i].labels[0] != '\0') {
			labels = json_loads(r->metrics[i].labels, 0, NULL);
			json_object_set_new(o, "labels", labels);
		}
		json_array_append_new(metrics, o);
	}
	checks = json_array();
	for (i = 0; i < r->nchecks; i++)
		json_array_append_new(checks, json_pack("{s:s, s:i, s:s, s:s}",
		    "name", r->checks[i].name, "status", r->checks[i].status,
		    "output", r->checks[i].output,
		    "perfdata", r->checks[i].perfdata));
	ifaces = json_array();
	for (i = 0; i < r->nifaces; i++) {
		o = json_pack("{s:s, s:i, s:s, s:s, s:I}", "name",
		    r->ifaces[i].name, "index", r->ifaces[i].index,
		    "admin", r->ifaces[i].admin, "oper", r->ifaces[i].oper,
		    "speed_bps", (json_int_t)r->ifaces[i].speed_bps);
		for (k = 0; k < 6; k++)
			json_object_set_new(o, counters[k],
			    json_integer(r->ifaces[i].counters[k]));
		json_array_append_new(ifaces, o);
	}
	doc = json_pack("{s:i, s:{s:s, s:s}, s:I, s:s, s:i, s:i, s:o, s:o,"
	    " s:o, s:o}", "schema", 1, "agent", "id", r->agent_id,
	    "version", PACKAGE_VERSION, "seq", (json_int_t)r->seq, "ts", ts,
	    "interval_s", SYNTH_INTERVAL_S, "dropped", 0, "host", host,
	    "metrics", metrics, "checks", checks, "interfaces", ifaces);
	if (doc == NULL || (s = json_dumps(doc, JSON_COMPACT)) == NULL) {
		fprintf(stderr, "synth: cannot build a report\n");
		exit(1);
	}
	json_decref(doc);
	*len = strlen(s);
	return s;
}
