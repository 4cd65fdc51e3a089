/* view_network.c: the Network tab: switches, routers, firewalls, UPSes
 * and PDUs with their interfaces from each one's detail, devices not UP
 * and ports that are down (but meant to be up) first. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/xmalloc.h"
#include "tui/tui.h"

/* Each device's detail is a request of its own: beyond this many the
 * tab says how many it left out (\ narrows the list). */
#define NETWORK_DETAIL_MAX	200

static const char *const network_kinds[] = {
	"switch", "router", "firewall", "ups", "pdu", NULL
};

static char *
network_list_path(const char *kind, const char *filter)
{
	char	*e, *path;

	if (filter == NULL) {
		xasprintf(&path, "/api/v1/hosts?limit=1000&kind=%s", kind);
		return path;
	}
	e = api_escape(filter);
	xasprintf(&path, "/api/v1/hosts?limit=1000&kind=%s&q=%s", kind, e);
	free(e);
	return path;
}

static char *
network_detail_path(const char *agent_id)
{
	char	*e, *path;

	e = api_escape(agent_id);
	xasprintf(&path, "/api/v1/hosts/%s", e);
	free(e);
	return path;
}

/* Devices not UP first, then by the collector's order (by name). */
struct network_device {
	const json_t	*host;
	int		 rank;
	size_t		 order;
};

static int
network_device_cmp(const void *a, const void *b)
{
	const struct network_device	*x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Every device the lists hold, the unwell first; *n their count. */
static struct network_device *
network_devices(struct dash *d, struct view *v, size_t *n, int *loading)
{
	struct network_device	*devs = NULL;
	json_t			*doc, *h;
	char			*path;
	size_t			 k, i;

	*n = 0;
	*loading = 0;
	for (k = 0; network_kinds[k] != NULL; k++) {
		path = network_list_path(network_kinds[k], v->filter);
		doc = dash_good(d, path);
		free(path);
		if (doc == NULL) {
			*loading = 1;
			continue;
		}
		json_array_foreach(json_object_get(doc, "hosts"), i, h) {
			devs = xreallocarray(devs, *n + 1, sizeof *devs);
			devs[*n].host = h;
			devs[*n].rank = js(h, "state") != NULL &&
			    strcmp(js(h, "state"), "UP") == 0 ? 1 : 0;
			devs[*n].order = *n;
			(*n)++;
		}
	}
	if (*n > 0)
		qsort(devs, *n, sizeof *devs, network_device_cmp);
	return devs;
}

static void
network_want(struct dash *d, struct view *v)
{
	struct network_device	*devs;
	char			*path;
	size_t			 n, i;
	int			 loading;
	size_t			 k;

	for (k = 0; network_kinds[k] != NULL; k++) {
		path = network_list_path(network_kinds[k], v->filter);
		dash_want(d, 1, "%s", path);
		free(path);
	}
	/* Then each device's interfaces, once the lists have come. */
	devs = network_devices(d, v, &n, &loading);
	for (i = 0; i < n && i < NETWORK_DETAIL_MAX; i++) {
		if (js(devs[i].host, "agent_id") == NULL)
			continue;
		path = network_detail_path(js(devs[i].host, "agent_id"));
		dash_want(d, 0, "%s", path);
		free(path);
	}
	free(devs);
}

/* A port down that is meant to be up first, then other odd ones, the
 * ports that are up, and last those switched off on purpose. */
static int
network_port_rank(const json_t *f)
{
	const char	*oper = js(f, "oper"), *admin = js(f, "admin");

	if (admin != NULL && strcmp(admin, "down") == 0)
		return 3;
	if (oper != NULL && strcmp(oper, "up") == 0)
		return 2;
	if (oper != NULL && (strcmp(oper, "down") == 0 ||
	    strcmp(oper, "lowerLayerDown") == 0))
		return 0;
	return 1;
}

struct network_port {
	const json_t	*dev;		/* the device's list entry */
	const json_t	*port;		/* NULL: no interfaces (yet) */
	int		 rank;
	size_t		 order;
};

static int
network_port_cmp(const void *a, const void *b)
{
	const struct network_port	*x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void
network_build(struct dash *d, struct view *v, struct dash_page *p)
{
	static const struct table_col cols[] = {
		{ "DEVICE", TABLE_FLEX, 10, 0 },
		{ "STATE", 0, 0, 1 },
		{ "INTERFACE", TABLE_FLEX, 8, 0 },
		{ "OPER", 0, 0, 0 },
		{ "ADMIN", 0, 0, 3 },
		{ "SPEED", TABLE_RIGHT, 0, 4 },
		{ "ERRORS", TABLE_RIGHT, 0, 2 },
		{ "ALIAS", TABLE_FLEX, 6, 6 },
		{ "KIND", 0, 0, 7 },
		{ "DATACENTRE", TABLE_FLEX, 6, 5 },
	};
	struct network_device	*devs;
	struct network_port	*ports = NULL;
	struct dash_line	*l;
	const char		*cells[10];
	json_t			*h, *f;
	char			*path, *key, speed[32], errs[32];
	size_t			 n, i, j, np = 0, down_devs = 0, down_ports = 0;
	size_t			 detailed = 0;
	int			 loading;

	devs = network_devices(d, v, &n, &loading);
	if (n == 0 && loading) {
		/* Says why: loading, not available, or the error. */
		path = network_list_path(network_kinds[0], v->filter);
		dash_doc(d, p, path, "devices");
		free(path);
		free(devs);
		return;
	}
	for (i = 0; i < n; i++) {
		if (devs[i].rank == 0)
			down_devs++;
		h = NULL;
		if (i < NETWORK_DETAIL_MAX &&
		    js(devs[i].host, "agent_id") != NULL) {
			path = network_detail_path(js(devs[i].host,
			    "agent_id"));
			h = dash_good(d, path);
			free(path);
		}
		if (h != NULL)
			detailed++;
		if (json_array_size(json_object_get(h, "interfaces")) == 0) {
			ports = xreallocarray(ports, np + 1, sizeof *ports);
			ports[np].dev = devs[i].host;
			ports[np].port = NULL;
			ports[np].rank = devs[i].rank == 0 ? 0 : 2;
			ports[np].order = np;
			np++;
			continue;
		}
		json_array_foreach(json_object_get(h, "interfaces"), j, f) {
			ports = xreallocarray(ports, np + 1, sizeof *ports);
			ports[np].dev = devs[i].host;
			ports[np].port = f;
			ports[np].rank = network_port_rank(f);
			if (ports[np].rank == 0)
				down_ports++;
			ports[np].order = np;
			np++;
		}
	}
	if (np > 0)
		qsort(ports, np, sizeof *ports, network_port_cmp);
	l = dash_line(p, 0, TONE_HEADING, "%zu devices, %zu not UP; %zu "
	    "ports down", n, down_devs, down_ports);
	if (down_devs > 0 || down_ports > 0)
		dash_line_tone(l, down_devs > 0 ? "not UP" : "ports down",
		    TONE_BAD);
	if (n > NETWORK_DETAIL_MAX)
		dash_line(p, 0, TONE_WARN, "interfaces of the first %d of %zu "
		    "devices; \\ filters", NETWORK_DETAIL_MAX, n);
	else if (detailed < n)
		dash_line(p, 0, TONE_DIM, "interfaces: %zu of %zu devices "
		    "loaded...", detailed, n);
	p->table = table_new(cols, 10);
	p->tone_col = 3;
	p->empty = "no switches, routers, firewalls, UPSes or PDUs have "
	    "reported";
	for (i = 0; i < np; i++) {
		f = (json_t *)ports[i].port;
		h = (json_t *)ports[i].dev;
		cells[0] = js(h, "name");
		cells[1] = js(h, "state");
		cells[2] = js(f, "name");
		cells[3] = js(f, "oper");
		cells[4] = js(f, "admin");
		cells[5] = ji(f, "speed_bps", -1) >= 0 ? fmt_bps(speed,
		    sizeof speed, (double)ji(f, "speed_bps", 0)) : NULL;
		if (f != NULL) {
			snprintf(errs, sizeof errs, "%lld", (long long)(ji(f,
			    "in_errors", 0) + ji(f, "out_errors", 0)));
			cells[6] = errs;
		} else
			cells[6] = NULL;
		cells[7] = js(f, "alias");
		cells[8] = js(h, "kind");
		cells[9] = js(h, "datacentre");
		table_add(p->table, cells);
		/* The device opens; the port keeps the selection's place. */
		xasprintf(&key, "%s\t%s", js(h, "agent_id") != NULL ?
		    js(h, "agent_id") : "", js(f, "name") != NULL ?
		    js(f, "name") : "");
		dash_page_key(p, key);
		free(key);
	}
	free(ports);
	free(devs);
}

static void
network_open(struct dash *d, struct view *v, const char *key)
{
	char	*id = xstrdup(key), *tab;

	(void)v;
	if ((tab = strchr(id, '\t')) != NULL)
		*tab = '\0';
	if (*id != '\0')
		dash_push(d, &view_host, id);
	free(id);
}

const struct view_entry view_network = {
	"Network", '4', 1, network_want, network_build, network_open, 0,
};
