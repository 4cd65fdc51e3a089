/* collect_net.c: every network interface: link state, speed, counters, and
 * byte/packet/error/drop rates from the deltas between collections. */
#include "config.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "common/xmalloc.h"
#include "agents/agent.h"

#define NET_DEV_MAX	(4 * 1024 * 1024)

/* /proc/net/dev counters are unsigned long: 32 bits on 32-bit kernels. */
#define NET_COUNTER_BITS	((int)(sizeof(unsigned long) * CHAR_BIT))

struct net_state {
	struct net_dev	*dev;
	size_t		 n;
	int64_t		 mono_ms;
};

static const struct {
	const char	*metric;
	const char	*unit;
	const char	*json;	/* the interfaces[] field, or NULL */
} net_counters[NET_NCOUNTERS] = {
	[NET_RX_BYTES] = { "net.rx_bytes_per_s", "bytes/s", "in_octets" },
	[NET_RX_PACKETS] = { "net.rx_packets_per_s", "packets/s", NULL },
	[NET_RX_ERRORS] = { "net.rx_errors_per_s", "errors/s", "in_errors" },
	[NET_RX_DROPS] = { "net.rx_drops_per_s", "packets/s", "in_discards" },
	[NET_TX_BYTES] = { "net.tx_bytes_per_s", "bytes/s", "out_octets" },
	[NET_TX_PACKETS] = { "net.tx_packets_per_s", "packets/s", NULL },
	[NET_TX_ERRORS] = { "net.tx_errors_per_s", "errors/s", "out_errors" },
	[NET_TX_DROPS] = { "net.tx_drops_per_s", "packets/s",
	    "out_discards" },
};

int
counter_delta(uint64_t prev, uint64_t cur, int bits, uint64_t *out)
{
	uint64_t	 max, delta;

	if (bits < 1 || bits > 64)
		return -1;
	max = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
	if (prev > max || cur > max)
		return -1;
	if (cur >= prev) {
		*out = cur - prev;
		return 0;
	}
	/* Went backwards: one wrap past max, unless that would mean more
	 * than half the range passed, which is a reset (reboot, driver). */
	delta = (max - prev) + cur + 1;
	if (delta > max / 2)
		return -1;
	*out = delta;
	return 0;
}

size_t
net_parse_dev(const char *text, struct net_dev **out)
{
	struct net_dev	*d = NULL, cur;
	const char	*line, *colon, *eol;
	uint64_t	 v[16];
	char		 name[64];
	size_t		 n = 0, len;
	int		 k;

	for (line = text; line != NULL && *line != '\0'; line = eol) {
		if ((eol = strchr(line, '\n')) != NULL)
			eol++;
		/* Names cannot hold a colon (dev_valid_name). */
		colon = strchr(line, ':');
		if (colon == NULL || (eol != NULL && colon > eol))
			continue;
		while (*line == ' ' || *line == '\t')
			line++;
		len = (size_t)(colon - line);
		if (len == 0 || len >= sizeof name)
			continue;
		memcpy(name, line, len);
		name[len] = '\0';
		if (strchr(name, '/') != NULL || strcmp(name, "..") == 0)
			continue;	/* used in sysfs paths */
		k = sscanf(colon + 1, "%" SCNu64 " %" SCNu64 " %" SCNu64
		    " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
		    " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
		    " %" SCNu64 " %" SCNu64 " %" SCNu64, &v[0], &v[1], &v[2],
		    &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10],
		    &v[11], &v[12], &v[13], &v[14], &v[15]);
		if (k != 16)
			continue;
		memset(&cur, 0, sizeof cur);
		str_copy(cur.name, name, sizeof cur.name);
		cur.counter[NET_RX_BYTES] = v[0];
		cur.counter[NET_RX_PACKETS] = v[1];
		cur.counter[NET_RX_ERRORS] = v[2];
		cur.counter[NET_RX_DROPS] = v[3];
		cur.counter[NET_TX_BYTES] = v[8];
		cur.counter[NET_TX_PACKETS] = v[9];
		cur.counter[NET_TX_ERRORS] = v[10];
		cur.counter[NET_TX_DROPS] = v[11];
		d = xreallocarray(d, n + 1, sizeof *d);
		d[n++] = cur;
	}
	*out = d;
	return n;
}

static void
net_state_free(void *p)
{
	struct net_state	*st = p;

	if (st == NULL)
		return;
	free(st->dev);
	free(st);
}

/* IF-MIB's ifOperStatus spelling of a sysfs operstate. */
static const char *
oper_name(const char *operstate)
{
	static const char *const names[] = {
		"up", "down", "testing", "unknown", "dormant", "notPresent",
		"lowerLayerDown", NULL
	};
	size_t	 i;

	for (i = 0; names[i] != NULL; i++) {
		if (str_eq_nocase(operstate, names[i]))
			return names[i];
	}
	return "unknown";
}

static void
net_interface(struct collect_ctx *ctx, struct report *r,
    const struct net_dev *d)
{
	json_t		*iface = json_object();
	char		 rel[160], *s, *end;
	long long	 v;
	unsigned long	 flags;
	size_t		 k;

	json_object_set_new(iface, "name", report_string(d->name, 255));
	snprintf(rel, sizeof rel, "sys/class/net/%s/ifindex", d->name);
	if ((s = collect_read_line(ctx, rel)) != NULL) {
		v = strtoll(s, &end, 10);
		if (*end == '\0' && v >= 0)
			json_object_set_new(iface, "index", json_integer(v));
		free(s);
	}
	snprintf(rel, sizeof rel, "sys/class/net/%s/operstate", d->name);
	if ((s = collect_read_line(ctx, rel)) != NULL) {
		json_object_set_new(iface, "oper", json_string(oper_name(s)));
		free(s);
	}
	snprintf(rel, sizeof rel, "sys/class/net/%s/flags", d->name);
	if ((s = collect_read_line(ctx, rel)) != NULL) {
		flags = strtoul(s, &end, 16);
		if (*end == '\0')	/* IFF_UP is 0x1 */
			json_object_set_new(iface, "admin",
			    json_string(flags & 0x1 ? "up" : "down"));
		free(s);
	}
	/* Mb/s; -1 or EINVAL when the link is down or virtual. */
	snprintf(rel, sizeof rel, "sys/class/net/%s/speed", d->name);
	if ((s = collect_read_line(ctx, rel)) != NULL) {
		v = strtoll(s, &end, 10);
		if (*end == '\0' && v > 0 && v < 100000000)
			json_object_set_new(iface, "speed_bps",
			    json_integer(v * 1000000));
		free(s);
	}
	for (k = 0; k < NET_NCOUNTERS; k++) {
		if (net_counters[k].json != NULL &&
		    d->counter[k] <= INT64_MAX)
			json_object_set_new(iface, net_counters[k].json,
			    json_integer((json_int_t)d->counter[k]));
	}
	report_interface(r, iface);
}

static int
collect_net(struct collect_ctx *ctx, struct report *r, char *err,
    size_t errlen)
{
	struct net_state	*st = *ctx->state;
	struct net_dev		*dev, *old;
	char			*text;
	size_t			 n, i, j, k;
	double			 dt;
	uint64_t		 delta;

	if ((text = collect_read(ctx, "proc/net/dev", NET_DEV_MAX, err,
	    errlen)) == NULL)
		return -1;
	n = net_parse_dev(text, &dev);
	free(text);
	if (st == NULL)
		st = *ctx->state = xcalloc(1, sizeof *st);
	dt = (double)(ctx->mono_ms - st->mono_ms) / 1000.0;
	for (i = 0; i < n; i++) {
		net_interface(ctx, r, &dev[i]);
		old = NULL;
		for (j = 0; j < st->n; j++) {
			if (strcmp(st->dev[j].name, dev[i].name) == 0) {
				old = &st->dev[j];
				break;
			}
		}
		if (old == NULL || dt <= 0)
			continue;
		for (k = 0; k < NET_NCOUNTERS; k++) {
			if (counter_delta(old->counter[k], dev[i].counter[k],
			    NET_COUNTER_BITS, &delta) == -1)
				continue;
			report_metric(r, net_counters[k].metric,
			    (double)delta / dt, net_counters[k].unit, "iface",
			    dev[i].name, NULL);
		}
	}
	free(st->dev);
	st->dev = dev;
	st->n = n;
	st->mono_ms = ctx->mono_ms;
	return 0;
}

const struct collect_entry collect_net_entry = {
	"network", collect_net, net_state_free,
};
