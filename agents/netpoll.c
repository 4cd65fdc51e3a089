/* netpoll.c: what ward-netpoll asks a device over SNMP, and how the
 * answers become the device's report (docs/report.md). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/str.h"
#include "common/xmalloc.h"
#include "agents/agent.h"

#define NP_TEXT_MAX		512
#define NP_CHASSIS_MAX		8	/* stack members asked for in detail */

/* SNMPv2-MIB system group, by sub-identifier under 1.3.6.1.2.1.1. */
#define SYS_DESCR	"1.3.6.1.2.1.1.1.0"
#define SYS_OBJECT_ID	"1.3.6.1.2.1.1.2.0"
#define SYS_UPTIME	"1.3.6.1.2.1.1.3.0"
#define SYS_CONTACT	"1.3.6.1.2.1.1.4.0"
#define SYS_NAME	"1.3.6.1.2.1.1.5.0"
#define SYS_LOCATION	"1.3.6.1.2.1.1.6.0"

#define IF_ENTRY	"1.3.6.1.2.1.2.2.1"
#define IFX_ENTRY	"1.3.6.1.2.1.31.1.1.1"
#define ENT_ENTRY	"1.3.6.1.2.1.47.1.1.1.1"
#define ENT_CLASS_CHASSIS	3
#define UPS_MIB		"1.3.6.1.2.1.33.1"
#define HR_STORAGE	"1.3.6.1.2.1.25.2.3.1"
#define HR_PROC_LOAD	"1.3.6.1.2.1.25.3.3.1.2"
#define HR_FIXED_DISK	"1.3.6.1.2.1.25.2.1.4"
#define HR_RAM		"1.3.6.1.2.1.25.2.1.2"

/* The plan: each a step, in this order. */
static const char *const np_system[] = {
	SYS_DESCR, SYS_OBJECT_ID, SYS_UPTIME, SYS_CONTACT, SYS_NAME,
	SYS_LOCATION, NULL
};
/* ifDescr, ifType, ifSpeed, ifPhysAddress, ifAdminStatus, ifOperStatus,
 * ifInOctets, ifInDiscards, ifInErrors, ifOutOctets, ifOutDiscards,
 * ifOutErrors */
static const char *const np_if[] = {
	IF_ENTRY ".2", IF_ENTRY ".3", IF_ENTRY ".5", IF_ENTRY ".6",
	IF_ENTRY ".7", IF_ENTRY ".8", IF_ENTRY ".10", IF_ENTRY ".13",
	IF_ENTRY ".14", IF_ENTRY ".16", IF_ENTRY ".19", IF_ENTRY ".20", NULL
};
/* ifName, ifHCInOctets, ifHCOutOctets, ifHighSpeed, ifAlias */
static const char *const np_ifx[] = {
	IFX_ENTRY ".1", IFX_ENTRY ".6", IFX_ENTRY ".10", IFX_ENTRY ".15",
	IFX_ENTRY ".18", NULL
};
static const char *const np_entity[] = { ENT_ENTRY ".5", NULL };
static const char *const np_ups_walk[] = { UPS_MIB, NULL };
/* hrStorageType, Descr, AllocationUnits, Size, Used; hrProcessorLoad */
static const char *const np_hr[] = {
	HR_STORAGE ".2", HR_STORAGE ".3", HR_STORAGE ".4", HR_STORAGE ".5",
	HR_STORAGE ".6", HR_PROC_LOAD, NULL
};
/* entPhysicalDescr, Name, HardwareRev, FirmwareRev, SoftwareRev,
 * SerialNum, MfgName, ModelName: asked for chassis rows only. */
static const uint32_t np_chassis_cols[] = { 2, 7, 8, 9, 10, 11, 12, 13 };
#define NP_NCHASSIS_COLS (sizeof np_chassis_cols / sizeof np_chassis_cols[0])

enum { NP_STEP_SYSTEM, NP_STEP_IF, NP_STEP_IFX, NP_STEP_ENTITY, NP_STEP_UPS,
	NP_STEP_HR, NP_STEP_CHASSIS };

static size_t
np_oids(const char *const *text, struct snmp_oid *out)
{
	size_t	 n;

	for (n = 0; text[n] != NULL; n++)
		if (snmp_oid_parse(text[n], &out[n]) == -1)
			fatalx("netpoll: bad built-in OID %s", text[n]);
	return n;
}

void
netpoll_plan_start(struct snmp_job *job)
{
	struct snmp_oid	 o[16];

	snmp_job_get(job, o, np_oids(np_system, o));
	snmp_job_walk(job, o, np_oids(np_if, o));
	snmp_job_walk(job, o, np_oids(np_ifx, o));
	snmp_job_walk(job, o, np_oids(np_entity, o));
	snmp_job_walk(job, o, np_oids(np_ups_walk, o));
	snmp_job_walk(job, o, np_oids(np_hr, o));
}

/* After the entity walk: ask for the chassis rows' details. */
void
netpoll_plan_step(struct snmp_job *job, void *arg)
{
	struct snmp_vars	*vs = snmp_job_vars(job);
	struct snmp_oid		 cls, get[NP_CHASSIS_MAX * NP_NCHASSIS_COLS], o;
	size_t			 i, k, nget = 0, nchassis = 0;
	int64_t			 v;

	(void)arg;
	if (snmp_job_steps_done(job) != NP_STEP_ENTITY + 1)
		return;
	snmp_oid_parse(ENT_ENTRY ".5", &cls);
	for (i = 0; i < vs->n && nchassis < NP_CHASSIS_MAX; i++) {
		if (!snmp_oid_has_prefix(&vs->v[i].oid, &cls) ||
		    vs->v[i].oid.len != cls.len + 1 ||
		    snmp_val_int(&vs->v[i], &v) == -1 ||
		    v != ENT_CLASS_CHASSIS)
			continue;
		for (k = 0; k < NP_NCHASSIS_COLS; k++) {
			snmp_oid_parse(ENT_ENTRY, &o);
			o.sub[o.len++] = np_chassis_cols[k];
			o.sub[o.len++] = vs->v[i].oid.sub[cls.len];
			get[nget++] = o;
		}
		nchassis++;
	}
	snmp_job_get(job, get, nget);
}

/* Rates: the counters of the last poll of one device. */

enum { NPC_IN_OCTETS, NPC_OUT_OCTETS, NPC_IN_ERRORS, NPC_OUT_ERRORS,
	NPC_IN_DISCARDS, NPC_OUT_DISCARDS, NPC_N };

static const struct {
	const char	*metric;
	const char	*unit;
} npc_metrics[NPC_N] = {
	{ "net.rx_bytes_per_s", "bytes/s" },
	{ "net.tx_bytes_per_s", "bytes/s" },
	{ "net.rx_errors_per_s", "errors/s" },
	{ "net.tx_errors_per_s", "errors/s" },
	{ "net.rx_drops_per_s", "packets/s" },
	{ "net.tx_drops_per_s", "packets/s" },
};

struct npc_row {
	uint32_t	 index;
	uint64_t	 value[NPC_N];
	int		 bits[NPC_N];	/* 0: not read */
};

struct netpoll_counters {
	int64_t		 mono_ms;
	uint64_t	 uptime_ticks;
	struct npc_row	*rows;
	size_t		 n;
};

void
netpoll_counters_free(struct netpoll_counters *c)
{
	if (c == NULL)
		return;
	free(c->rows);
	free(c);
}

static const struct npc_row *
npc_find(const struct netpoll_counters *c, uint32_t index)
{
	size_t	 i;

	for (i = 0; c != NULL && i < c->n; i++)
		if (c->rows[i].index == index)
			return &c->rows[i];
	return NULL;
}

/* Lookups by column and the one-part index of IF-MIB and friends. */
static const struct snmp_val *
np_col(const struct snmp_vars *vs, const char *column, uint32_t index)
{
	struct snmp_oid	 o;

	if (snmp_oid_parse(column, &o) == -1 || snmp_oid_append(&o, &index,
	    1) == -1)
		return NULL;
	return snmp_vars_get(vs, &o);
}

static char *
np_text(const struct snmp_val *v, char *buf, size_t size)
{
	return snmp_val_text(v, buf, size);
}

static const char *
np_if_status(const struct snmp_val *v)
{
	static const char *const names[] = {
		NULL, "up", "down", "testing", "unknown", "dormant",
		"notPresent", "lowerLayerDown"
	};
	int64_t	 s;

	if (snmp_val_int(v, &s) == -1 || s < 1 || s > 7)
		return NULL;
	return names[s];
}

/* IANAifType names for the common types; others by number. */
static const char *
np_if_type(int64_t t, char *buf, size_t size)
{
	static const struct { int64_t t; const char *name; } types[] = {
		{ 1, "other" }, { 6, "ethernetCsmacd" }, { 24, "softwareLoopback" },
		{ 53, "propVirtual" }, { 62, "fastEther" },
		{ 71, "ieee80211" }, { 117, "gigabitEthernet" },
		{ 131, "tunnel" }, { 135, "l2vlan" }, { 136, "l3ipvlan" },
		{ 161, "ieee8023adLag" }, { 23, "ppp" }, { 209, "bridge" },
	};
	size_t	 i;

	for (i = 0; i < sizeof types / sizeof types[0]; i++)
		if (types[i].t == t)
			return types[i].name;
	snprintf(buf, size, "%" PRId64, t);
	return buf;
}

static void
np_set_counter(json_t *iface, const char *key, const struct snmp_val *hc,
    const struct snmp_val *low, uint64_t *value, int *bits)
{
	uint64_t	 u;

	*bits = 0;
	if (snmp_val_uint(hc, &u) == 0 && hc->is_64) {
		*bits = 64;
	} else if (snmp_val_uint(low, &u) == 0)
		*bits = 32;
	else
		return;
	*value = u;
	if (u <= INT64_MAX)
		json_object_set_new(iface, key, json_integer((json_int_t)u));
}

static void
np_interfaces(struct snmp_vars *vs, struct netpoll_counters **counters,
    int64_t mono_ms, uint64_t uptime, int have_uptime, struct report *r)
{
	struct netpoll_counters	*prev = *counters, *next;
	struct snmp_oid		 descr;
	struct npc_row		 row;
	const struct npc_row	*old;
	json_t			*iface;
	char			 name[NP_TEXT_MAX], text[NP_TEXT_MAX], mac[32];
	size_t			 i, k;
	uint32_t		 index;
	uint64_t		 u, hs, delta;
	int64_t			 t;
	double			 dt;
	int			 rates;

	snmp_oid_parse(IF_ENTRY ".2", &descr);
	next = xcalloc(1, sizeof *next);
	next->mono_ms = mono_ms;
	next->uptime_ticks = uptime;
	dt = prev != NULL ? (double)(mono_ms - prev->mono_ms) / 1000.0 : 0;
	/* Rates only across two polls of one life of the device: a reboot
	 * (sysUpTime went back) resets every counter. */
	rates = prev != NULL && dt > 0 && have_uptime && uptime >=
	    prev->uptime_ticks;
	for (i = snmp_vars_first(vs, &descr); i < vs->n; i++) {
		if (!snmp_oid_has_prefix(&vs->v[i].oid, &descr))
			break;
		if (vs->v[i].oid.len != descr.len + 1)
			continue;
		index = vs->v[i].oid.sub[descr.len];
		iface = json_object();
		np_text(np_col(vs, IFX_ENTRY ".1", index), name, sizeof name);
		if (name[0] == '\0')
			np_text(&vs->v[i], name, sizeof name);
		if (name[0] == '\0')
			snprintf(name, sizeof name, "if%" PRIu32, index);
		json_object_set_new(iface, "name", report_string(name, 255));
		json_object_set_new(iface, "index", json_integer(index));
		np_text(np_col(vs, IFX_ENTRY ".18", index), text, sizeof text);
		if (text[0] != '\0')
			json_object_set_new(iface, "alias",
			    report_string(text, 255));
		if (snmp_val_int(np_col(vs, IF_ENTRY ".3", index), &t) == 0)
			json_object_set_new(iface, "type", json_string(
			    np_if_type(t, text, sizeof text)));
		if (np_if_status(np_col(vs, IF_ENTRY ".7", index)) != NULL)
			json_object_set_new(iface, "admin", json_string(
			    np_if_status(np_col(vs, IF_ENTRY ".7", index))));
		if (np_if_status(np_col(vs, IF_ENTRY ".8", index)) != NULL)
			json_object_set_new(iface, "oper", json_string(
			    np_if_status(np_col(vs, IF_ENTRY ".8", index))));
		/* ifSpeed tops out at 4294967295; ifHighSpeed is in Mb/s. */
		if (snmp_val_uint(np_col(vs, IFX_ENTRY ".15", index),
		    &hs) == 0 && hs > 0 && hs < 100000000)
			json_object_set_new(iface, "speed_bps",
			    json_integer((json_int_t)(hs * 1000000)));
		else if (snmp_val_uint(np_col(vs, IF_ENTRY ".5", index),
		    &u) == 0 && u > 0)
			json_object_set_new(iface, "speed_bps",
			    json_integer((json_int_t)u));
		snmp_val_mac(np_col(vs, IF_ENTRY ".6", index), mac, sizeof mac);
		if (mac[0] != '\0')
			json_object_set_new(iface, "mac", json_string(mac));
		memset(&row, 0, sizeof row);
		row.index = index;
		np_set_counter(iface, "in_octets", np_col(vs, IFX_ENTRY ".6",
		    index), np_col(vs, IF_ENTRY ".10", index),
		    &row.value[NPC_IN_OCTETS], &row.bits[NPC_IN_OCTETS]);
		np_set_counter(iface, "out_octets", np_col(vs, IFX_ENTRY ".10",
		    index), np_col(vs, IF_ENTRY ".16", index),
		    &row.value[NPC_OUT_OCTETS], &row.bits[NPC_OUT_OCTETS]);
		np_set_counter(iface, "in_errors", NULL, np_col(vs,
		    IF_ENTRY ".14", index), &row.value[NPC_IN_ERRORS],
		    &row.bits[NPC_IN_ERRORS]);
		np_set_counter(iface, "out_errors", NULL, np_col(vs,
		    IF_ENTRY ".20", index), &row.value[NPC_OUT_ERRORS],
		    &row.bits[NPC_OUT_ERRORS]);
		np_set_counter(iface, "in_discards", NULL, np_col(vs,
		    IF_ENTRY ".13", index), &row.value[NPC_IN_DISCARDS],
		    &row.bits[NPC_IN_DISCARDS]);
		np_set_counter(iface, "out_discards", NULL, np_col(vs,
		    IF_ENTRY ".19", index), &row.value[NPC_OUT_DISCARDS],
		    &row.bits[NPC_OUT_DISCARDS]);
		report_interface(r, iface);
		if (rates && (old = npc_find(prev, index)) != NULL) {
			for (k = 0; k < NPC_N; k++) {
				/* A counter that changed width (64-bit
				 * appeared) has no comparable previous value. */
				if (row.bits[k] == 0 || old->bits[k] !=
				    row.bits[k] || counter_delta(old->value[k],
				    row.value[k], row.bits[k], &delta) == -1)
					continue;
				report_metric(r, npc_metrics[k].metric,
				    (double)delta / dt, npc_metrics[k].unit,
				    "iface", name, NULL);
			}
		}
		next->rows = xreallocarray(next->rows, next->n + 1,
		    sizeof *next->rows);
		next->rows[next->n++] = row;
	}
	netpoll_counters_free(prev);
	*counters = next;
}

/* ENTITY-MIB: the chassis rows found by class, in index order. */
static size_t
np_chassis(struct snmp_vars *vs, struct report *r, char *model,
    char *serial, char *mfg, char *software, size_t size)
{
	struct snmp_oid		 cls;
	json_t			*list = NULL, *c;
	char			 text[NP_TEXT_MAX];
	const char		*keys[] = { "descr", "name", "hardware",
				    "firmware", "software", "serial",
				    "manufacturer", "model" };
	size_t			 i, k, n = 0;
	int64_t			 v;
	uint32_t		 index;

	snmp_oid_parse(ENT_ENTRY ".5", &cls);
	for (i = snmp_vars_first(vs, &cls); i < vs->n; i++) {
		if (!snmp_oid_has_prefix(&vs->v[i].oid, &cls))
			break;
		if (vs->v[i].oid.len != cls.len + 1 ||
		    snmp_val_int(&vs->v[i], &v) == -1 ||
		    v != ENT_CLASS_CHASSIS)
			continue;
		index = vs->v[i].oid.sub[cls.len];
		c = json_object();
		json_object_set_new(c, "index", json_integer(index));
		for (k = 0; k < NP_NCHASSIS_COLS; k++) {
			snprintf(text, sizeof text, ENT_ENTRY ".%" PRIu32,
			    np_chassis_cols[k]);
			np_text(np_col(vs, text, index), text, sizeof text);
			if (text[0] == '\0')
				continue;
			json_object_set_new(c, keys[k], report_string(text,
			    255));
			if (n > 0)
				continue;
			if (strcmp(keys[k], "model") == 0)
				str_copy(model, text, size);
			else if (strcmp(keys[k], "serial") == 0)
				str_copy(serial, text, size);
			else if (strcmp(keys[k], "manufacturer") == 0)
				str_copy(mfg, text, size);
			else if (strcmp(keys[k], "software") == 0)
				str_copy(software, text, size);
		}
		if (list == NULL)
			list = json_array();
		json_array_append_new(list, c);
		n++;
	}
	if (list != NULL)
		json_object_set_new(r->host, "chassis", list);
	return n;
}

static int
np_scalar(const struct snmp_vars *vs, const char *oid, int64_t *out)
{
	return snmp_val_int(snmp_vars_get_text(vs, oid), out);
}

/* UPS-MIB (RFC 1628): battery, input, output; returns 1 when present. */
static int
np_ups(struct snmp_vars *vs, struct report *r, char *model, char *mfg,
    char *agent_version, size_t size)
{
	struct snmp_oid		 base;
	char			 line[16];
	int64_t			 v, w;
	size_t			 i;
	int			 st;
	static const char *const battery[] = {
		NULL, "unknown", "normal", "low", "depleted"
	};
	static const char *const source[] = {
		NULL, "other", "none", "normal", "bypass", "battery",
		"booster", "reducer"
	};
	char			 out[128];

	snmp_oid_parse(UPS_MIB, &base);
	i = snmp_vars_first(vs, &base);
	if (i >= vs->n || !snmp_oid_has_prefix(&vs->v[i].oid, &base))
		return 0;
	np_text(snmp_vars_get_text(vs, UPS_MIB ".1.1.0"), mfg, size);
	np_text(snmp_vars_get_text(vs, UPS_MIB ".1.2.0"), model, size);
	np_text(snmp_vars_get_text(vs, UPS_MIB ".1.4.0"), agent_version, size);
	if (np_scalar(vs, UPS_MIB ".2.1.0", &v) == 0 && v >= 1 && v <= 4) {
		report_metric(r, "ups.battery_status", (double)v, NULL, NULL);
		st = v == 2 ? CHECK_OK : v == 1 ? CHECK_UNKNOWN :
		    CHECK_CRITICAL;
		snprintf(out, sizeof out, "battery %s", battery[v]);
		report_check(r, "ups.battery", st, out, NULL);
	}
	if (np_scalar(vs, UPS_MIB ".2.2.0", &v) == 0)
		report_metric(r, "ups.on_battery_s", (double)v, "s", NULL);
	if (np_scalar(vs, UPS_MIB ".2.3.0", &v) == 0)
		report_metric(r, "ups.runtime_s", (double)v * 60, "s", NULL);
	if (np_scalar(vs, UPS_MIB ".2.4.0", &v) == 0)
		report_metric(r, "ups.charge_pct", (double)v, "percent", NULL);
	if (np_scalar(vs, UPS_MIB ".2.5.0", &v) == 0)
		report_metric(r, "ups.battery_voltage_v", (double)v / 10, "V",
		    NULL);
	if (np_scalar(vs, UPS_MIB ".2.7.0", &v) == 0)
		report_metric(r, "ups.battery_temperature_c", (double)v, "C",
		    NULL);
	if (np_scalar(vs, UPS_MIB ".4.1.0", &v) == 0 && v >= 1 && v <= 7) {
		report_metric(r, "ups.output_source", (double)v, NULL, NULL);
		st = v == 3 ? CHECK_OK : v == 2 ? CHECK_CRITICAL : v == 1 ?
		    CHECK_UNKNOWN : CHECK_WARNING;
		snprintf(out, sizeof out, "output from %s", source[v]);
		report_check(r, "ups.output", st, out, NULL);
	}
	if (np_scalar(vs, UPS_MIB ".4.2.0", &v) == 0)
		report_metric(r, "ups.output_frequency_hz", (double)v / 10,
		    "Hz", NULL);
	/* Per line: upsInputTable and upsOutputTable, index = line. */
	for (w = 1; w <= 3; w++) {
		snprintf(line, sizeof line, "%" PRId64, w);
		if (np_col(vs, UPS_MIB ".3.3.1.3", (uint32_t)w) != NULL &&
		    snmp_val_int(np_col(vs, UPS_MIB ".3.3.1.3", (uint32_t)w),
		    &v) == 0)
			report_metric(r, "ups.input_voltage_v", (double)v, "V",
			    "line", line, NULL);
		if (snmp_val_int(np_col(vs, UPS_MIB ".3.3.1.2", (uint32_t)w),
		    &v) == 0)
			report_metric(r, "ups.input_frequency_hz",
			    (double)v / 10, "Hz", "line", line, NULL);
		if (snmp_val_int(np_col(vs, UPS_MIB ".4.4.1.2", (uint32_t)w),
		    &v) == 0)
			report_metric(r, "ups.output_voltage_v", (double)v,
			    "V", "line", line, NULL);
		if (snmp_val_int(np_col(vs, UPS_MIB ".4.4.1.3", (uint32_t)w),
		    &v) == 0)
			report_metric(r, "ups.output_current_a",
			    (double)v / 10, "A", "line", line, NULL);
		if (snmp_val_int(np_col(vs, UPS_MIB ".4.4.1.4", (uint32_t)w),
		    &v) == 0)
			report_metric(r, "ups.output_power_w", (double)v, "W",
			    "line", line, NULL);
		if (snmp_val_int(np_col(vs, UPS_MIB ".4.4.1.5", (uint32_t)w),
		    &v) == 0)
			report_metric(r, "ups.output_load_pct", (double)v,
			    "percent", "line", line, NULL);
	}
	return 1;
}

/* HOST-RESOURCES-MIB: disks and memory from hrStorage, processor load. */
static int
np_host_resources(struct snmp_vars *vs, struct report *r)
{
	struct snmp_oid		 type, load;
	char			 descr[NP_TEXT_MAX], tname[NP_TEXT_MAX];
	uint32_t		 index;
	uint64_t		 units, size, used;
	int64_t			 l;
	size_t			 i, ncpu = 0;
	double			 sum = 0, bytes;
	int			 found = 0;

	snmp_oid_parse(HR_STORAGE ".2", &type);
	for (i = snmp_vars_first(vs, &type); i < vs->n; i++) {
		if (!snmp_oid_has_prefix(&vs->v[i].oid, &type))
			break;
		if (vs->v[i].oid.len != type.len + 1)
			continue;
		index = vs->v[i].oid.sub[type.len];
		found = 1;
		np_text(&vs->v[i], tname, sizeof tname);
		np_text(np_col(vs, HR_STORAGE ".3", index), descr,
		    sizeof descr);
		if (snmp_val_uint(np_col(vs, HR_STORAGE ".4", index),
		    &units) == -1 || snmp_val_uint(np_col(vs, HR_STORAGE ".5",
		    index), &size) == -1 || snmp_val_uint(np_col(vs,
		    HR_STORAGE ".6", index), &used) == -1 || units == 0)
			continue;
		bytes = (double)size * (double)units;
		if (strcmp(tname, HR_FIXED_DISK) == 0 && descr[0] != '\0' &&
		    size > 0) {
			report_metric(r, "fs.size_bytes", bytes, "bytes", "mount",
			    descr, NULL);
			report_metric(r, "fs.used_pct", 100.0 * (double)used /
			    (double)size, "percent", "mount", descr, NULL);
		} else if (strcmp(tname, HR_RAM) == 0 && size > 0) {
			report_metric(r, "mem.total_bytes", bytes, "bytes", NULL);
			report_metric(r, "mem.used_bytes", (double)used *
			    (double)units, "bytes", NULL);
		}
	}
	snmp_oid_parse(HR_PROC_LOAD, &load);
	for (i = snmp_vars_first(vs, &load); i < vs->n; i++) {
		if (!snmp_oid_has_prefix(&vs->v[i].oid, &load))
			break;
		if (snmp_val_int(&vs->v[i], &l) == 0 && l >= 0 && l <= 100) {
			sum += (double)l;
			ncpu++;
		}
	}
	if (ncpu > 0) {
		found = 1;
		report_metric(r, "cpu.count", (double)ncpu, NULL, NULL);
		report_metric(r, "cpu.util", sum / (double)ncpu, "percent",
		    NULL);
	}
	return found;
}

void
netpoll_build_report(const struct netpoll_device_info *d,
    struct snmp_vars *vs, enum snmp_failure failure, const char *error,
    struct netpoll_counters **counters, int64_t mono_ms, struct report *r)
{
	const struct snmp_profile	*p = NULL;
	char	 descr[NP_TEXT_MAX], object_id[NP_TEXT_MAX], text[NP_TEXT_MAX];
	char	 model[256] = "", serial[256] = "", mfg[256] = "";
	char	 software[256] = "", ups_model[256] = "", ups_mfg[256] = "";
	char	 ups_agent[256] = "", version[128] = "", out[1024];
	uint64_t uptime = 0;
	int	 have_uptime = 0, is_ups, is_host, answered;
	const char *kind;

	snmp_vars_sort(vs);
	report_host_set(r, "name", d->name);
	report_host_set(r, "datacentre", d->datacentre);
	np_text(snmp_vars_get_text(vs, SYS_DESCR), descr, sizeof descr);
	np_text(snmp_vars_get_text(vs, SYS_OBJECT_ID), object_id,
	    sizeof object_id);
	answered = descr[0] != '\0' || object_id[0] != '\0' || vs->n > 0;
	if (!answered) {
		report_host_set(r, "kind", d->kind != NULL ? d->kind : "other");
		snprintf(out, sizeof out, "SNMP %s: %s",
		    snmp_failure_name(failure), error != NULL && *error !=
		    '\0' ? error : "no answer");
		report_check(r, "snmp", CHECK_CRITICAL, out, NULL);
		/* "Does it answer" for the collector's host state: silence
		 * is DOWN; a refusal (community, keys, user) is an answer,
		 * the device being there and the poller misconfigured. */
		report_check(r, "alive", failure == SNMP_FAIL_TIMEOUT ?
		    CHECK_CRITICAL : CHECK_OK, failure == SNMP_FAIL_TIMEOUT ?
		    out : "the device answers, but not to these credentials",
		    NULL);
		/* The counters are kept: a device back from a short outage
		 * still has rates if it did not reboot. */
		return;
	}
	if (snmp_val_uint(snmp_vars_get_text(vs, SYS_UPTIME), &uptime) == 0) {
		have_uptime = 1;
		report_host_set_int(r, "uptime_s", (int64_t)(uptime / 100));
	}
	np_text(snmp_vars_get_text(vs, SYS_NAME), text, sizeof text);
	if (strchr(text, '.') != NULL)
		report_host_set(r, "fqdn", text);
	report_host_set(r, "sys_name", text);
	np_text(snmp_vars_get_text(vs, SYS_LOCATION), text, sizeof text);
	report_host_set(r, "location", text);
	np_text(snmp_vars_get_text(vs, SYS_CONTACT), text, sizeof text);
	report_host_set(r, "contact", text);
	report_host_set(r, "sys_object_id", object_id);
	report_host_set(r, "sys_descr", descr);

	np_interfaces(vs, counters, mono_ms, uptime, have_uptime, r);
	np_chassis(vs, r, model, serial, mfg, software, sizeof model);
	is_ups = np_ups(vs, r, ups_model, ups_mfg, ups_agent,
	    sizeof ups_model);
	is_host = np_host_resources(vs, r);

	p = snmp_profile_match(object_id, descr);
	snmp_profile_version(p, descr, version, sizeof version);
	if (version[0] == '\0')
		str_copy(version, software[0] != '\0' ? software : ups_agent,
		    sizeof version);
	kind = d->kind != NULL ? d->kind : p != NULL ? p->kind : is_ups ?
	    "ups" : is_host ? "server" : "other";
	report_host_set(r, "kind", kind);
	report_host_set(r, "vendor", p != NULL ? p->vendor : mfg[0] != '\0' ?
	    mfg : ups_mfg);
	report_host_set(r, "model", model[0] != '\0' ? model : ups_model);
	report_host_set(r, "serial", serial);
	if (p != NULL && p->is_os) {
		report_os_set(r, "id", p->id);
		report_os_set(r, "pretty_name", descr);
		if (strcmp(p->id, "linux") == 0)
			report_os_set(r, "kernel", version);
		else
			report_os_set(r, "version_id", version);
	} else if (p != NULL) {
		report_firmware_set(r, "vendor", p->vendor);
		report_firmware_set(r, "product", p->product);
		report_firmware_set(r, "family", p->id);
		report_firmware_set(r, "version", version);
	} else if (version[0] != '\0')
		report_firmware_set(r, "version", version);

	if (failure != SNMP_FAIL_NONE)
		snprintf(out, sizeof out, "SNMP partial: %s: %s",
		    snmp_failure_name(failure), error);
	else if (p != NULL)
		snprintf(out, sizeof out, "SNMP OK: %zu values; %s %s%s(%s)",
		    vs->n, p->product, version, version[0] != '\0' ? " " : "",
		    p->id);
	else
		snprintf(out, sizeof out, "SNMP OK: %zu values; unrecognised "
		    "device (sysObjectID %s): generic MIB data only", vs->n,
		    object_id[0] != '\0' ? object_id : "none");
	report_check(r, "snmp", failure != SNMP_FAIL_NONE ? CHECK_WARNING :
	    CHECK_OK, out, NULL);
	report_check(r, "alive", CHECK_OK, "the device answers SNMP", NULL);
}
