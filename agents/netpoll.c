/* netpoll.c: what ward-netpoll asks a device over SNMP, and how the
 * answers become the device's report (docs/report.md). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "agents/agent.h"

#define NP_TEXT_MAX		512
#define NP_CHASSIS_MAX		8	/* stack members asked for in detail */
#define NP_SENSOR_MAX		128	/* sensors named and reported */

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
#define ENT_CLASS_SENSOR	8
/* ENTITY-SENSOR-MIB entPhySensorEntry: Type, Scale, Precision, Value,
 * OperStatus, indexed by entPhysicalIndex. */
#define ENT_SENSOR	"1.3.6.1.2.1.99.1.1.1"
#define UPS_MIB		"1.3.6.1.2.1.33.1"
#define HR_STORAGE	"1.3.6.1.2.1.25.2.3.1"
#define HR_PROC_LOAD	"1.3.6.1.2.1.25.3.3.1.2"
#define HR_FIXED_DISK	"1.3.6.1.2.1.25.2.1.4"
#define HR_RAM		"1.3.6.1.2.1.25.2.1.2"
#define HR_SYSTEM_UPTIME	"1.3.6.1.2.1.25.1.1.0"
#define HR_SW_LAST_CHANGE	"1.3.6.1.2.1.25.6.1.0"
/* hrSWInstalledEntry: Name, Type, Date. */
#define HR_SW_INSTALLED	"1.3.6.1.2.1.25.6.3.1"

/* The plan: each a step, in this order. */
static const char *const np_system[] = {
	SYS_DESCR, SYS_OBJECT_ID, SYS_UPTIME, SYS_CONTACT, SYS_NAME,
	SYS_LOCATION, HR_SYSTEM_UPTIME, HR_SW_LAST_CHANGE, NULL
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
/* entPhysicalDescr, Name: asked for sensor rows only. */
static const uint32_t np_sensor_cols[] = { 2, 7 };
#define NP_NSENSOR_COLS (sizeof np_sensor_cols / sizeof np_sensor_cols[0])

static const char *const np_software[] = {
	HR_SW_INSTALLED ".2", HR_SW_INSTALLED ".4", HR_SW_INSTALLED ".5", NULL
};
static const char *const np_sensor[] = {
	ENT_SENSOR ".1", ENT_SENSOR ".2", ENT_SENSOR ".3", ENT_SENSOR ".4",
	ENT_SENSOR ".5", NULL
};

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

/* GETs of the given columns of the given rows, 64 OIDs a request. */
static void
np_get_cells(struct snmp_job *job, const char *entry, const uint32_t *cols,
    size_t ncols, const uint32_t *rows, size_t nrows)
{
	struct snmp_oid	 get[64];
	size_t		 i, k, n = 0;

	for (i = 0; i < nrows; i++) {
		for (k = 0; k < ncols; k++) {
			snmp_oid_parse(entry, &get[n]);
			get[n].sub[get[n].len++] = cols[k];
			get[n].sub[get[n].len++] = rows[i];
			if (++n == sizeof get / sizeof get[0]) {
				snmp_job_get(job, get, n);
				n = 0;
			}
		}
	}
	snmp_job_get(job, get, n);
}

int
netpoll_software_load(const char *path, struct netpoll_software *sw,
    char *err, size_t errlen)
{
	FILE			*fp;
	char			 line[256];
	unsigned long long	 change;
	long long		 walked;
	int			 has_change, n;

	memset(sw, 0, sizeof *sw);
	if ((fp = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fgets(line, sizeof line, fp) == NULL)
		line[0] = '\0';
	fclose(fp);
	if (sscanf(line, "software 1 %d %llu %lld%n", &has_change,
	    &change, &walked, &n) != 3 || (line[n] != '\n' &&
	    line[n] != '\0') || (has_change != 0 && has_change != 1)) {
		snprintf(err, errlen, "%s: not a ward-netpoll software state "
		    "file; the table is walked again", path);
		return -1;
	}
	sw->known = 1;
	sw->has_change = has_change;
	sw->last_change = change;
	sw->walked_s = walked;
	return 0;
}

int
netpoll_software_save(const char *path, const struct netpoll_software *sw,
    char *err, size_t errlen)
{
	char	 line[128];

	snprintf(line, sizeof line, "software 1 %d %llu %lld",
	    sw->has_change, (unsigned long long)sw->last_change,
	    (long long)sw->walked_s);
	return report_save_line(path, line, err, errlen);
}

/* A value the system GET brought, before the vars are sorted. */
static const struct snmp_val *
np_unsorted(const struct snmp_vars *vs, const char *oid_text)
{
	struct snmp_oid	 o;
	size_t		 i;

	if (snmp_oid_parse(oid_text, &o) == -1)
		return NULL;
	for (i = 0; i < vs->n; i++)
		if (snmp_oid_cmp(&vs->v[i].oid, &o) == 0)
			return &vs->v[i];
	return NULL;
}

/* Whether this poll walks hrSWInstalled; sets sw->due. Only a device
 * with HOST-RESOURCES-MIB (hrSystemUptime) has the table. */
int
netpoll_software_due(struct netpoll_software *sw, const struct snmp_vars *vs,
    int64_t now_s)
{
	uint64_t	 ticks, change;
	int		 has_change, due;

	if (snmp_val_uint(np_unsorted(vs, HR_SYSTEM_UPTIME), &ticks) == -1)
		return sw != NULL ? (sw->due = 0) : 0;
	if (sw == NULL)
		return 1;
	/* After a reboot LastChange starts again, so it moves as well. */
	has_change = snmp_val_uint(np_unsorted(vs, HR_SW_LAST_CHANGE),
	    &change) == 0;
	due = !sw->known ||
	    (has_change && (!sw->has_change || change != sw->last_change)) ||
	    now_s - sw->walked_s >= NETPOLL_SOFTWARE_REFRESH_S ||
	    now_s < sw->walked_s;
	/* Recorded as walked only when a report carries the list. */
	sw->due = due;
	sw->next_has_change = has_change;
	sw->next_change = has_change ? change : 0;
	return due;
}

/* After the entity walk: ask for the chassis rows' details; and where
 * there are sensors, walk ENTITY-SENSOR-MIB and ask for their names. */
void
netpoll_plan_step(struct snmp_job *job, void *arg)
{
	struct snmp_vars	*vs = snmp_job_vars(job);
	struct snmp_oid		 cls, o[8];
	uint32_t		 chassis[NP_CHASSIS_MAX] = { 0 };
	uint32_t		 sensors[NP_SENSOR_MAX] = { 0 };
	size_t			 i, nchassis = 0, nsensors = 0;
	int64_t			 v;

	if (snmp_job_steps_done(job) == NP_STEP_SYSTEM + 1) {
		if (netpoll_software_due(arg, vs, wtime_now_ms() / 1000))
			snmp_job_walk(job, o, np_oids(np_software, o));
		return;
	}
	if (snmp_job_steps_done(job) != NP_STEP_ENTITY + 1)
		return;
	snmp_oid_parse(ENT_ENTRY ".5", &cls);
	for (i = 0; i < vs->n; i++) {
		if (!snmp_oid_has_prefix(&vs->v[i].oid, &cls) ||
		    vs->v[i].oid.len != cls.len + 1 ||
		    snmp_val_int(&vs->v[i], &v) == -1)
			continue;
		if (v == ENT_CLASS_CHASSIS && nchassis < NP_CHASSIS_MAX)
			chassis[nchassis++] = vs->v[i].oid.sub[cls.len];
		else if (v == ENT_CLASS_SENSOR && nsensors < NP_SENSOR_MAX)
			sensors[nsensors++] = vs->v[i].oid.sub[cls.len];
	}
	np_get_cells(job, ENT_ENTRY, np_chassis_cols, NP_NCHASSIS_COLS,
	    chassis, nchassis);
	if (nsensors > 0) {
		snmp_job_walk(job, o, np_oids(np_sensor, o));
		np_get_cells(job, ENT_ENTRY, np_sensor_cols, NP_NSENSOR_COLS,
		    sensors, nsensors);
	}
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

/* ENTITY-SENSOR-MIB: each sensor's reading in its own unit, named by its
 * entity; returns how many sensors there were. A sensor that says it
 * does not work is a WARNING in the check "sensors". */
static size_t
np_sensors(struct snmp_vars *vs, struct report *r)
{
	static const struct {
		const char	*metric;
		const char	*unit;
	} types[] = {
		{ NULL, NULL },
		{ "sensor.value", NULL },		/* other */
		{ "sensor.value", NULL },		/* unknown */
		{ "sensor.voltage_ac_v", "V" },
		{ "sensor.voltage_dc_v", "V" },
		{ "sensor.current_a", "A" },
		{ "sensor.power_w", "W" },
		{ "sensor.frequency_hz", "Hz" },
		{ "sensor.temperature_c", "C" },
		{ "sensor.humidity_pct", "percent" },
		{ "sensor.fan_rpm", "rpm" },
		{ "sensor.airflow_cmm", "m3/min" },
		{ "sensor.state", NULL },		/* truthvalue */
	};
	struct snmp_oid	 col;
	char		 name[NP_TEXT_MAX], bad[1024] = "", out[1200];
	uint32_t	 index;
	int64_t		 type, scale, precision, value, oper;
	size_t		 i, n = 0, nbad = 0;
	double		 x;

	snmp_oid_parse(ENT_SENSOR ".1", &col);
	for (i = snmp_vars_first(vs, &col); i < vs->n; i++) {
		if (!snmp_oid_has_prefix(&vs->v[i].oid, &col))
			break;
		if (vs->v[i].oid.len != col.len + 1 ||
		    snmp_val_int(&vs->v[i], &type) == -1 || type < 1 ||
		    type > 12)
			continue;
		index = vs->v[i].oid.sub[col.len];
		np_text(np_col(vs, ENT_ENTRY ".7", index), name, sizeof name);
		if (name[0] == '\0')
			np_text(np_col(vs, ENT_ENTRY ".2", index), name,
			    sizeof name);
		if (name[0] == '\0')
			snprintf(name, sizeof name, "sensor %" PRIu32, index);
		n++;
		if (snmp_val_int(np_col(vs, ENT_SENSOR ".5", index),
		    &oper) == 0 && oper == 3) {
			if (nbad++ > 0)
				str_append(bad, ", ", sizeof bad);
			str_append(bad, name, sizeof bad);
			continue;
		}
		/* 2: unavailable, a reading not there for now; 1: ok. */
		if (oper != 1 || snmp_val_int(np_col(vs, ENT_SENSOR ".4",
		    index), &value) == -1)
			continue;
		if (snmp_val_int(np_col(vs, ENT_SENSOR ".2", index),
		    &scale) == -1 || scale < 1 || scale > 17)
			scale = 9;
		if (snmp_val_int(np_col(vs, ENT_SENSOR ".3", index),
		    &precision) == -1 || precision < -8 || precision > 9)
			precision = 0;
		if (type == 12)
			x = value == 1 ? 1 : 0;
		else
			x = netpoll_sensor_value(value, (int)scale,
			    (int)precision);
		report_metric(r, types[type].metric, x, types[type].unit,
		    "sensor", name, NULL);
	}
	if (n == 0)
		return 0;
	if (nbad > 0)
		snprintf(out, sizeof out, "%zu of %zu sensors not working: %s",
		    nbad, n, bad);
	else
		snprintf(out, sizeof out, "%zu sensors working", n);
	report_check(r, "sensors", nbad > 0 ? CHECK_WARNING : CHECK_OK, out,
	    NULL);
	return n;
}

/* A reading in its unit: value x 10^(3(scale - 9)) x 10^-precision
 * (ENTITY-SENSOR-MIB's EntitySensorDataScale and Precision). */
double
netpoll_sensor_value(int64_t value, int scale, int precision)
{
	double	 p = 1;
	int	 e = 3 * (scale - 9) - precision, k;

	/* One rounding, by an exact power of ten where there is one. */
	for (k = 0; k < (e < 0 ? -e : e); k++)
		p *= 10;
	return e < 0 ? (double)value / p : (double)value * p;
}

/* A DateAndTime (SNMPv2-TC: 8 octets, or 11 with the offset from UTC)
 * as ISO-8601; "" when it is not one or is all zero. */
char *
netpoll_date_and_time(const struct snmp_val *v, char *buf, size_t size)
{
	const unsigned char	*p;
	unsigned		 year;
	int64_t			 ms;
	char			 why[64];

	buf[0] = '\0';
	if (v == NULL || v->type != SNMP_VAL_STRING ||
	    (v->len != 8 && v->len != 11))
		return buf;
	p = (const unsigned char *)v->s;
	year = (unsigned)p[0] << 8 | p[1];
	if (year == 0 || p[2] < 1 || p[2] > 12 || p[3] < 1 || p[3] > 31 ||
	    p[4] > 23 || p[5] > 59 || p[6] > 60)
		return buf;
	if (v->len == 8 || (p[8] != '+' && p[8] != '-') || p[9] > 13 ||
	    p[10] > 59)
		/* No offset: the device's local time, so the day only. */
		snprintf(buf, size, "%04u-%02u-%02u", year, p[2], p[3]);
	else
		snprintf(buf, size, "%04u-%02u-%02uT%02u:%02u:%02u%c%02u:%02u",
		    year, p[2], p[3], p[4], p[5], p[6], p[8], p[9], p[10]);
	/* As the collector checks it: 30 February or a leap second is no
	 * date it takes, and a report holding one would be refused. */
	if (wtime_parse_iso8601(buf, &ms, why, sizeof why) == -1)
		buf[0] = '\0';
	return buf;
}

/* HOST-RESOURCES-MIB hrSWInstalled: name, type, date installed. */
static void
np_software_list(struct snmp_vars *vs, struct report *r)
{
	static const char *const types[] = {
		NULL, "unknown", "operatingSystem", "deviceDriver",
		"application"
	};
	struct snmp_oid	 col;
	char		 name[NP_TEXT_MAX], date[40];
	uint32_t	 index;
	int64_t		 type;
	size_t		 i;

	report_software_start(r);
	snmp_oid_parse(HR_SW_INSTALLED ".2", &col);
	for (i = snmp_vars_first(vs, &col); i < vs->n; i++) {
		if (!snmp_oid_has_prefix(&vs->v[i].oid, &col))
			break;
		if (vs->v[i].oid.len != col.len + 1)
			continue;
		index = vs->v[i].oid.sub[col.len];
		np_text(&vs->v[i], name, sizeof name);
		if (name[0] == '\0')
			continue;
		if (snmp_val_int(np_col(vs, HR_SW_INSTALLED ".4", index),
		    &type) == -1 || type < 1 || type > 4)
			type = 1;
		netpoll_date_and_time(np_col(vs, HR_SW_INSTALLED ".5", index),
		    date, sizeof date);
		report_software(r, name, types[type], date);
	}
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
	size_t	 i, nvals;
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
		/* What it is stays the collector's to remember: only a
		 * configured kind is said. */
		if (d->kind != NULL)
			report_host_set(r, "kind", d->kind);
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
	(void)np_sensors(vs, r);
	/* The list only from a poll that walked all of it. */
	if (failure == SNMP_FAIL_NONE && (d->software != NULL ?
	    d->software->due : snmp_vars_get_text(vs, HR_SYSTEM_UPTIME) !=
	    NULL)) {
		np_software_list(vs, r);
		if (d->software != NULL) {
			d->software->dirty = 1;
			d->software->known = 1;
			d->software->has_change = d->software->next_has_change;
			d->software->last_change = d->software->next_change;
			d->software->walked_s = wtime_now_ms() / 1000;
		}
	}

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

	/* The values the device gave: its "no such object" answers are
	 * none. */
	for (i = nvals = 0; i < vs->n; i++)
		nvals += vs->v[i].type != SNMP_VAL_MISSING;
	if (failure != SNMP_FAIL_NONE)
		snprintf(out, sizeof out, "SNMP partial: %s: %s",
		    snmp_failure_name(failure), error);
	else if (p != NULL)
		snprintf(out, sizeof out, "SNMP OK: %zu values; %s %s%s(%s)",
		    nvals, p->product, version, version[0] != '\0' ? " " : "",
		    p->id);
	else
		snprintf(out, sizeof out, "SNMP OK: %zu values; unrecognised "
		    "device (sysObjectID %s): generic MIB data only", nvals,
		    object_id[0] != '\0' ? object_id : "none");
	report_check(r, "snmp", failure != SNMP_FAIL_NONE ? CHECK_WARNING :
	    CHECK_OK, out, NULL);
	report_check(r, "alive", CHECK_OK, "the device answers SNMP", NULL);
}
