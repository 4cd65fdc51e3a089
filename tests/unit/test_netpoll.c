/* test_netpoll.c: ward-netpoll's pure parts: OIDs, value decoding, the
 * profile table, counter maths, and a device's answers made into its
 * report (chassis by class, UPS, rates across wraps and reboots, down). */
#include "config.h"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xmalloc.h"
#include "agents/agent.h"
#include "tests/unit/testutil.h"

static void
test_oid(void **state)
{
	struct snmp_oid	 a, b;
	char		 buf[64];

	(void)state;
	assert_int_equal(snmp_oid_parse(".1.3.6.1.2.1.1.1.0", &a), 0);
	assert_int_equal(a.len, 9);
	assert_string_equal(snmp_oid_format(&a, buf, sizeof buf),
	    "1.3.6.1.2.1.1.1.0");
	assert_int_equal(snmp_oid_parse("1.3.6.1.2.1.1", &b), 0);
	assert_true(snmp_oid_has_prefix(&a, &b));
	assert_false(snmp_oid_has_prefix(&b, &a));
	assert_true(snmp_oid_cmp(&b, &a) < 0);
	assert_int_equal(snmp_oid_parse("1.3.6.1.2.1.2", &b), 0);
	assert_true(snmp_oid_cmp(&a, &b) < 0);
	/* Numeric order, not text order: .9 < .10 */
	assert_int_equal(snmp_oid_parse("1.9", &a), 0);
	assert_int_equal(snmp_oid_parse("1.10", &b), 0);
	assert_true(snmp_oid_cmp(&a, &b) < 0);
	assert_int_equal(snmp_oid_parse("", &a), -1);
	assert_int_equal(snmp_oid_parse("1..3", &a), -1);
	assert_int_equal(snmp_oid_parse("1.3.", &a), -1);
	assert_int_equal(snmp_oid_parse("1.x", &a), -1);
	assert_int_equal(snmp_oid_parse("1.4294967296", &a), -1);
	assert_int_equal(snmp_oid_parse("1.4294967295", &a), 0);
}

static void
test_decode(void **state)
{
	struct snmp_val	 v;
	struct counter64 c64;
	long		 l = -5;
	u_long		 ul = 4294967295UL;
	oid		 o[] = { 1, 3, 6, 1, 4, 1, 9, 1, 516 };
	char		 buf[128];

	(void)state;
	assert_int_equal(snmp_val_decode(ASN_INTEGER, &l, sizeof l, &v), 0);
	assert_int_equal(v.type, SNMP_VAL_INT);
	assert_int_equal(v.i, -5);
	assert_string_equal(snmp_val_text(&v, buf, sizeof buf), "-5");
	snmp_val_clear(&v);
	assert_int_equal(snmp_val_decode(ASN_COUNTER, &ul, sizeof ul, &v), 0);
	assert_int_equal(v.u, 4294967295ULL);
	assert_false(v.is_64);
	snmp_val_clear(&v);
	c64.high = 0x12345678;
	c64.low = 0x9abcdef0;
	assert_int_equal(snmp_val_decode(ASN_COUNTER64, &c64, sizeof c64, &v),
	    0);
	assert_true(v.u == 0x123456789abcdef0ULL);
	assert_true(v.is_64);
	snmp_val_clear(&v);
	assert_int_equal(snmp_val_decode(ASN_OBJECT_ID, o, sizeof o, &v), 0);
	assert_string_equal(v.s, "1.3.6.1.4.1.9.1.516");
	snmp_val_clear(&v);
	/* A C string's terminator counted in the length is not text. */
	assert_int_equal(snmp_val_decode(ASN_OCTET_STR, " Profiler3750\0", 14,
	    &v), 0);
	assert_true(snmp_val_is_text(&v));
	assert_string_equal(snmp_val_text(&v, buf, sizeof buf),
	    "Profiler3750");
	snmp_val_clear(&v);
	/* A MAC address is binary: hex, and as a MAC. */
	assert_int_equal(snmp_val_decode(ASN_OCTET_STR, "\x00\x1a\x2b\x3c\x4d"
	    "\x5e", 6, &v), 0);
	assert_false(snmp_val_is_text(&v));
	assert_string_equal(snmp_val_text(&v, buf, sizeof buf),
	    "00:1a:2b:3c:4d:5e");
	assert_string_equal(snmp_val_mac(&v, buf, sizeof buf),
	    "00:1a:2b:3c:4d:5e");
	snmp_val_clear(&v);
	/* Invalid UTF-8 and control bytes never reach a report as text. */
	assert_int_equal(snmp_val_decode(ASN_OCTET_STR, "ab\xff", 3, &v), 0);
	assert_false(snmp_val_is_text(&v));
	assert_string_equal(snmp_val_text(&v, buf, sizeof buf), "61:62:ff");
	snmp_val_clear(&v);
	assert_int_equal(snmp_val_decode(ASN_IPADDRESS, "\x0a\x00\x00\x01", 4,
	    &v), 0);
	assert_string_equal(v.s, "10.0.0.1");
	snmp_val_clear(&v);
	/* Wrong sizes and unknown types are refused, not misread. */
	assert_int_equal(snmp_val_decode(ASN_INTEGER, &l, 2, &v), -1);
	assert_int_equal(snmp_val_decode(ASN_IPADDRESS, "abc", 3, &v), -1);
	assert_int_equal(snmp_val_decode(0x7e, "abc", 3, &v), -1);
	assert_int_equal(snmp_val_decode(SNMP_ENDOFMIBVIEW, NULL, 0, &v), 0);
	assert_int_equal(v.type, SNMP_VAL_MISSING);
}

static void
test_profiles(void **state)
{
	static const struct {
		const char	*object_id;
		const char	*descr;
		const char	*id;		/* NULL: unrecognised */
		const char	*version;
	} cases[] = {
		{ "1.3.6.1.4.1.9.1.516", "Cisco IOS Software, C3750 Software "
		  "(C3750-IPSERVICESK9-M), Version 12.2(55)SE10, RELEASE "
		  "SOFTWARE (fc2)\r\nTechnical Support", "cisco-ios",
		  "12.2(55)SE10" },
		{ "1.3.6.1.4.1.9.1.2494", "Cisco IOS Software [Bengaluru], "
		  "Catalyst L3 Switch Software (CAT9K_IOSXE), Version 17.6.4, "
		  "RELEASE SOFTWARE (fc1)", "cisco-ios-xe", "17.6.4" },
		{ "1.3.6.1.4.1.9.12.3.1.3.1812", "Cisco NX-OS(tm) n9000, "
		  "Software (n9000-dk9), Version 9.3(8), RELEASE SOFTWARE",
		  "cisco-nx-os", "9.3(8)" },
		{ "1.3.6.1.4.1.11.2.3.7.11.63", "ProCurve J9021A Switch "
		  "2810-24G, revision N.11.75, ROM N.10.01 (/sw/code/build/"
		  "bass)", "hpe-procurve", "N.11.75" },
		{ "1.3.6.1.4.1.47196.4.1.1.1.300", "Aruba JL363A 6300M "
		  "Swch FL.10.06.0010", "aruba-aos-cx", "10.06.0010" },
		{ "1.3.6.1.4.1.2636.1.1.1.2.131", "Juniper Networks, Inc. "
		  "ex4300-48t Ethernet Switch, kernel JUNOS 20.4R3.8, Build "
		  "date: 2021-09-15", "junos", "20.4R3.8" },
		{ "1.3.6.1.4.1.674.11000.5000.100.2.1.7", "Dell EMC Networking "
		  "OS10 Enterprise.\r\nCopyright (c) 1999-2021 by Dell Inc.\r\n"
		  "OS Version: 10.5.2.6", "dell-os10", "10.5.2.6" },
		{ "1.3.6.1.4.1.30065.1.3011.7050.1958.128", "Arista Networks "
		  "EOS version 4.28.3M running on an Arista DCS-7050SX3",
		  "arista-eos", "4.28.3M" },
		{ "1.3.6.1.4.1.318.1.3.27", "APC Web/SNMP Management Card "
		  "(MB:v4.1.0 PF:v6.8.2 PN:apc_hw05_aos_682.bin)", "apc-aos",
		  "6.8.2" },
		{ "1.3.6.1.4.1.534.6.6.7", "Eaton 5PX 1500", "eaton-nmc", "" },
		{ "1.3.6.1.4.1.8072.3.2.10", "Linux zeus 4.8.6.5-smp #2 SMP "
		  "Sun Nov 13 14:58:11 CDT 2016 i686", "linux", "4.8.6.5-smp" },
		{ "1.3.6.1.4.1.311.1.1.3.1.1", "Hardware: x86 Family 6 Model 9 "
		  "- Software: Windows 2000 Version 5.1 (Build 2600 "
		  "Uniprocessor Free)", "windows", "5.1" },
		/* Linksys: generic data only. */
		{ "1.3.6.1.4.1.3955.1.1", "BEFSX41", NULL, "" },
		{ "", "", NULL, "" },
		/* An enterprise prefix must end at a sub-identifier. */
		{ "1.3.6.1.4.1.90.1", "Cisco IOS Software, Version 1", NULL,
		  "" },
	};
	const struct snmp_profile	*p;
	char				 v[64];
	size_t				 i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		p = snmp_profile_match(cases[i].object_id, cases[i].descr);
		if (cases[i].id == NULL) {
			if (p != NULL)
				fail_msg("%s: matched %s", cases[i].descr, p->id);
			continue;
		}
		if (p == NULL || strcmp(p->id, cases[i].id) != 0)
			fail_msg("%s: expected %s, got %s", cases[i].descr,
			    cases[i].id, p != NULL ? p->id : "none");
		snmp_profile_version(p, cases[i].descr, v, sizeof v);
		if (strcmp(v, cases[i].version) != 0)
			fail_msg("%s: version \"%s\", expected \"%s\"",
			    cases[i].id, v, cases[i].version);
	}
	/* Every line is complete. */
	for (p = snmp_profiles; p->id != NULL; p++) {
		assert_non_null(p->vendor);
		assert_non_null(p->product);
		assert_non_null(p->kind);
	}
}

static void
test_counter_delta(void **state)
{
	uint64_t	 d;

	(void)state;
	assert_int_equal(counter_delta(100, 250, 32, &d), 0);
	assert_true(d == 150);
	/* A 32-bit wrap. */
	assert_int_equal(counter_delta(4294967000ULL, 200, 32, &d), 0);
	assert_true(d == 496);
	/* A 64-bit wrap. */
	assert_int_equal(counter_delta(UINT64_MAX - 9, 10, 64, &d), 0);
	assert_true(d == 20);
	/* Backwards by more than half the range: a reset, no rate. */
	assert_int_equal(counter_delta(3000000000ULL, 5, 64, &d), -1);
	assert_int_equal(counter_delta(5000, 1000, 32, &d), -1);
	/* Wider than the counter: refused. */
	assert_int_equal(counter_delta(1, 1ULL << 40, 32, &d), -1);
}

static int
near(double a, double b, double eps)
{
	return a - b < eps && b - a < eps;
}

static void
test_sensor_value(void **state)
{
	(void)state;
	/* units, one decimal place: 452 is 45.2 */
	assert_true(near(netpoll_sensor_value(452, 9, 1), 45.2, 1e-9));
	/* milli: 12050 mV is 12.05 V */
	assert_true(near(netpoll_sensor_value(12050, 8, 0), 12.05, 1e-9));
	/* kilo with a negative precision: 3 x 10 kW is 30000 W */
	assert_true(near(netpoll_sensor_value(3, 10, -1), 30000, 1e-9));
	/* micro, two places: 1500 is 0.000015 */
	assert_true(near(netpoll_sensor_value(1500, 7, 2), 1.5e-5, 1e-15));
	assert_true(netpoll_sensor_value(-40, 9, 0) == -40);
	assert_true(netpoll_sensor_value(0, 17, 9) == 0);
}

/* Vars as a poll would have them. */
static void
add_int(struct snmp_vars *vs, const char *oid_text, int type, int64_t value)
{
	struct snmp_val	 v;

	memset(&v, 0, sizeof v);
	assert_int_equal(snmp_oid_parse(oid_text, &v.oid), 0);
	v.type = type;
	if (type == SNMP_VAL_INT)
		v.i = value;
	else
		v.u = (uint64_t)value;
	snmp_vars_add(vs, &v);
}

static void
add_c64(struct snmp_vars *vs, const char *oid_text, uint64_t value)
{
	struct snmp_val	 v;

	memset(&v, 0, sizeof v);
	assert_int_equal(snmp_oid_parse(oid_text, &v.oid), 0);
	v.type = SNMP_VAL_UINT;
	v.is_64 = 1;
	v.u = value;
	snmp_vars_add(vs, &v);
}

static void
add_str(struct snmp_vars *vs, const char *oid_text, const char *s)
{
	struct snmp_val	 v;

	memset(&v, 0, sizeof v);
	assert_int_equal(snmp_oid_parse(oid_text, &v.oid), 0);
	v.type = SNMP_VAL_STRING;
	v.s = xstrdup(s);
	v.len = strlen(s);
	snmp_vars_add(vs, &v);
}

static void
add_oid(struct snmp_vars *vs, const char *oid_text, const char *value)
{
	add_str(vs, oid_text, value);
	vs->v[vs->n - 1].type = SNMP_VAL_OID;
}

static void
add_bytes(struct snmp_vars *vs, const char *oid_text, const char *b,
    size_t len)
{
	struct snmp_val	 v;

	memset(&v, 0, sizeof v);
	assert_int_equal(snmp_oid_parse(oid_text, &v.oid), 0);
	v.type = SNMP_VAL_STRING;
	v.s = xmalloc(len + 1);
	memcpy(v.s, b, len);
	v.s[len] = '\0';
	v.len = len;
	snmp_vars_add(vs, &v);
}

/* DateAndTime: 11 octets with the offset, 8 without (the day only). */
static void
test_date_and_time(void **state)
{
	struct snmp_vars	 vs;
	char			 buf[40];

	(void)state;
	snmp_vars_init(&vs);
	add_bytes(&vs, "1.3.6.1.2.1.25.6.3.1.5.1",
	    "\x07\xea\x0b\x1b\x15\x2e\x19\x00+\x01\x1e", 11);
	add_bytes(&vs, "1.3.6.1.2.1.25.6.3.1.5.2",
	    "\x07\xe5\x03\x0f\x0a\x1e\x00\x00", 8);
	add_bytes(&vs, "1.3.6.1.2.1.25.6.3.1.5.3",
	    "\x00\x00\x00\x00\x00\x00\x00\x00", 8);
	add_bytes(&vs, "1.3.6.1.2.1.25.6.3.1.5.4",
	    "\x07\xea\x0d\x01\x00\x00\x00\x00", 8);
	add_bytes(&vs, "1.3.6.1.2.1.25.6.3.1.5.5", "\x07\xea\x0b", 3);
	add_bytes(&vs, "1.3.6.1.2.1.25.6.3.1.5.6",
	    "\x07\xea\x02\x1e\x00\x00\x00\x00", 8);
	add_bytes(&vs, "1.3.6.1.2.1.25.6.3.1.5.7",
	    "\x07\xea\x0b\x1b\x15\x2e\x3c\x00+\x00\x00", 11);
	assert_string_equal(netpoll_date_and_time(&vs.v[0], buf, sizeof buf),
	    "2026-11-27T21:46:25+01:30");
	assert_string_equal(netpoll_date_and_time(&vs.v[1], buf, sizeof buf),
	    "2021-03-15");
	/* All zero, month 13, too short: not a date. */
	assert_string_equal(netpoll_date_and_time(&vs.v[2], buf, sizeof buf),
	    "");
	assert_string_equal(netpoll_date_and_time(&vs.v[3], buf, sizeof buf),
	    "");
	assert_string_equal(netpoll_date_and_time(&vs.v[4], buf, sizeof buf),
	    "");
	/* 30 February, a 60th second: what the collector refuses. */
	assert_string_equal(netpoll_date_and_time(&vs.v[5], buf, sizeof buf),
	    "");
	assert_string_equal(netpoll_date_and_time(&vs.v[6], buf, sizeof buf),
	    "");
	assert_string_equal(netpoll_date_and_time(NULL, buf, sizeof buf), "");
	snmp_vars_clear(&vs);
}

/* When hrSWInstalled is walked again, and the state that says so. */
static void
test_software_due(void **state)
{
	struct snmp_vars	 hr, hr2, nohr, nochange;
	struct netpoll_software	 sw, back;
	char			 path[512], err[256];
	FILE			*fp;
	int64_t			 now = 1800000000;

	(void)state;
	snmp_vars_init(&hr);
	snmp_vars_init(&hr2);
	snmp_vars_init(&nohr);
	snmp_vars_init(&nochange);
	add_int(&hr, "1.3.6.1.2.1.25.1.1.0", SNMP_VAL_UINT, 5000);
	add_int(&hr, "1.3.6.1.2.1.25.6.1.0", SNMP_VAL_UINT, 4200);
	add_int(&hr2, "1.3.6.1.2.1.25.1.1.0", SNMP_VAL_UINT, 9000);
	add_int(&hr2, "1.3.6.1.2.1.25.6.1.0", SNMP_VAL_UINT, 96000);
	add_int(&nochange, "1.3.6.1.2.1.25.1.1.0", SNMP_VAL_UINT, 9000);
	add_int(&nohr, "1.3.6.1.2.1.1.3.0", SNMP_VAL_UINT, 9000);

	/* A probe walks whenever the device has the MIB. */
	assert_true(netpoll_software_due(NULL, &hr, now));
	assert_false(netpoll_software_due(NULL, &nohr, now));

	memset(&sw, 0, sizeof sw);
	assert_false(netpoll_software_due(&sw, &nohr, now));
	assert_true(netpoll_software_due(&sw, &hr, now));
	/* Walked: what build_report records. */
	sw.known = 1;
	sw.has_change = sw.next_has_change;
	sw.last_change = sw.next_change;
	sw.walked_s = now;
	assert_false(netpoll_software_due(&sw, &hr, now + 600));
	assert_true(netpoll_software_due(&sw, &hr2, now + 600));
	/* Without LastChange: once a day; a clock that went back, too. */
	assert_false(netpoll_software_due(&sw, &nochange, now + 600));
	assert_true(netpoll_software_due(&sw, &hr,
	    now + NETPOLL_SOFTWARE_REFRESH_S));
	assert_true(netpoll_software_due(&sw, &hr, now - 10));

	/* The state file, and a bad one. */
	snprintf(path, sizeof path, "%s/software-state", tu_tmpdir());
	assert_int_equal(netpoll_software_save(path, &sw, err, sizeof err), 0);
	assert_int_equal(netpoll_software_load(path, &back, err, sizeof err),
	    0);
	assert_true(back.known && back.has_change == 1 &&
	    back.last_change == 4200 && back.walked_s == now);
	assert_non_null(fp = fopen(path, "w"));
	fputs("software 1 1 4200\n", fp);
	fclose(fp);
	assert_int_equal(netpoll_software_load(path, &back, err, sizeof err),
	    -1);
	assert_non_null(strstr(err, "not a ward-netpoll software state"));
	assert_false(back.known);
	unlink(path);
	assert_int_equal(netpoll_software_load(path, &back, err, sizeof err),
	    0);
	assert_false(back.known);
	snmp_vars_clear(&hr);
	snmp_vars_clear(&hr2);
	snmp_vars_clear(&nohr);
	snmp_vars_clear(&nochange);
}

/* A two-member stack: entity 1 is the stack (class 11), the chassis are
 * 1001 and 2001; one port, and its 64-bit counters at in_octets. */
static void
switch_vars(struct snmp_vars *vs, uint64_t uptime, uint64_t in_octets,
    uint32_t in_errors)
{
	snmp_vars_init(vs);
	add_str(vs, "1.3.6.1.2.1.1.1.0", "Cisco IOS Software, C3750 Software, "
	    "Version 12.2(55)SE10, RELEASE SOFTWARE");
	add_oid(vs, "1.3.6.1.2.1.1.2.0", "1.3.6.1.4.1.9.1.516");
	add_int(vs, "1.3.6.1.2.1.1.3.0", SNMP_VAL_UINT, (int64_t)uptime);
	add_str(vs, "1.3.6.1.2.1.1.5.0", "core-sw1.btuh.test");
	add_str(vs, "1.3.6.1.2.1.1.6.0", "Basildon DC1, row 4");
	add_str(vs, "1.3.6.1.2.1.2.2.1.2.10101", "GigabitEthernet1/0/1");
	add_int(vs, "1.3.6.1.2.1.2.2.1.3.10101", SNMP_VAL_INT, 6);
	add_int(vs, "1.3.6.1.2.1.2.2.1.5.10101", SNMP_VAL_UINT, 1000000000);
	add_int(vs, "1.3.6.1.2.1.2.2.1.7.10101", SNMP_VAL_INT, 1);
	add_int(vs, "1.3.6.1.2.1.2.2.1.8.10101", SNMP_VAL_INT, 2);
	add_int(vs, "1.3.6.1.2.1.2.2.1.10.10101", SNMP_VAL_UINT,
	    (int64_t)(in_octets & 0xffffffff));
	add_int(vs, "1.3.6.1.2.1.2.2.1.14.10101", SNMP_VAL_UINT, in_errors);
	add_str(vs, "1.3.6.1.2.1.31.1.1.1.1.10101", "Gi1/0/1");
	add_c64(vs, "1.3.6.1.2.1.31.1.1.1.6.10101", in_octets);
	add_int(vs, "1.3.6.1.2.1.31.1.1.1.15.10101", SNMP_VAL_UINT, 1000);
	add_str(vs, "1.3.6.1.2.1.31.1.1.1.18.10101", "uplink to dist-1");
	add_int(vs, "1.3.6.1.2.1.47.1.1.1.1.5.1", SNMP_VAL_INT, 11);
	add_int(vs, "1.3.6.1.2.1.47.1.1.1.1.5.1001", SNMP_VAL_INT, 3);
	add_int(vs, "1.3.6.1.2.1.47.1.1.1.1.5.1002", SNMP_VAL_INT, 10);
	add_int(vs, "1.3.6.1.2.1.47.1.1.1.1.5.2001", SNMP_VAL_INT, 3);
	add_str(vs, "1.3.6.1.2.1.47.1.1.1.1.13.1", "stack-not-a-model");
	add_str(vs, "1.3.6.1.2.1.47.1.1.1.1.13.1001", "WS-C3750-48PS-S");
	add_str(vs, "1.3.6.1.2.1.47.1.1.1.1.11.1001", "CAT0952N20R");
	add_str(vs, "1.3.6.1.2.1.47.1.1.1.1.13.2001", "WS-C3750-48PS-S");
	add_str(vs, "1.3.6.1.2.1.47.1.1.1.1.11.2001", "CAT0952N99Z");
}

static double
metric(const struct report *r, const char *name, const char *iface)
{
	double	 v;

	if (report_metric_value(r, name, iface != NULL ? "iface" : NULL, iface,
	    &v) == -1)
		return -1;
	return v;
}

static void
test_report_switch(void **state)
{
	struct netpoll_device_info	 d = { "core-sw1", "basildon", NULL,
					    "127.0.0.1:161" };
	struct netpoll_counters		*c = NULL;
	struct snmp_vars		 vs;
	struct report			*r;
	const json_t			*chk, *iface, *fw;
	json_t				*host;

	(void)state;
	switch_vars(&vs, 1000, UINT64_MAX - 999, 5);
	r = report_new();
	netpoll_build_report(&d, &vs, SNMP_FAIL_NONE, "", &c, 10000, r);
	host = r->host;
	assert_string_equal(json_string_value(json_object_get(host, "name")),
	    "core-sw1");
	assert_string_equal(json_string_value(json_object_get(host, "kind")),
	    "switch");
	assert_string_equal(json_string_value(json_object_get(host, "fqdn")),
	    "core-sw1.btuh.test");
	/* The chassis is found by class, not index 1. */
	assert_string_equal(json_string_value(json_object_get(host, "model")),
	    "WS-C3750-48PS-S");
	assert_string_equal(json_string_value(json_object_get(host, "serial")),
	    "CAT0952N20R");
	assert_int_equal(json_array_size(json_object_get(host, "chassis")), 2);
	fw = json_object_get(host, "firmware");
	assert_string_equal(json_string_value(json_object_get(fw, "family")),
	    "cisco-ios");
	assert_string_equal(json_string_value(json_object_get(fw, "version")),
	    "12.2(55)SE10");
	assert_int_equal(json_integer_value(json_object_get(host, "uptime_s")),
	    10);
	iface = json_array_get(r->interfaces, 0);
	assert_string_equal(json_string_value(json_object_get(iface, "name")),
	    "Gi1/0/1");
	assert_string_equal(json_string_value(json_object_get(iface, "alias")),
	    "uplink to dist-1");
	assert_string_equal(json_string_value(json_object_get(iface, "oper")),
	    "down");
	assert_int_equal(json_integer_value(json_object_get(iface,
	    "speed_bps")), 1000000000);
	/* Above INT64_MAX: left out rather than wrong. */
	assert_null(json_object_get(iface, "in_octets"));
	chk = report_find_check(r, "snmp");
	assert_int_equal(json_integer_value(json_object_get(chk, "status")),
	    CHECK_OK);
	chk = report_find_check(r, "alive");
	assert_int_equal(json_integer_value(json_object_get(chk, "status")),
	    CHECK_OK);
	/* No rates from a first poll. */
	assert_true(metric(r, "net.rx_bytes_per_s", "Gi1/0/1") < 0);
	report_free(r);
	snmp_vars_clear(&vs);

	/* 10 s later the 64-bit counter wrapped: 2000 bytes = 200 B/s. */
	switch_vars(&vs, 2000, 1000, 25);
	r = report_new();
	netpoll_build_report(&d, &vs, SNMP_FAIL_NONE, "", &c, 20000, r);
	assert_true(metric(r, "net.rx_bytes_per_s", "Gi1/0/1") == 200);
	assert_true(metric(r, "net.rx_errors_per_s", "Gi1/0/1") == 2);
	report_free(r);
	snmp_vars_clear(&vs);

	/* The device rebooted (sysUpTime went back): counters restarted, so
	 * no rate rather than a huge one. */
	switch_vars(&vs, 500, 50, 0);
	r = report_new();
	netpoll_build_report(&d, &vs, SNMP_FAIL_NONE, "", &c, 30000, r);
	assert_true(metric(r, "net.rx_bytes_per_s", "Gi1/0/1") < 0);
	report_free(r);
	snmp_vars_clear(&vs);

	/* And from then on, rates again. */
	switch_vars(&vs, 1500, 1050, 0);
	r = report_new();
	netpoll_build_report(&d, &vs, SNMP_FAIL_NONE, "", &c, 40000, r);
	assert_true(metric(r, "net.rx_bytes_per_s", "Gi1/0/1") == 100);
	report_free(r);
	snmp_vars_clear(&vs);
	netpoll_counters_free(c);
}

static void
test_report_ups_and_unrecognised(void **state)
{
	struct netpoll_device_info	 d = { "ups-a", "southend", NULL,
					    "127.0.0.1:161" };
	struct netpoll_counters		*c = NULL;
	struct snmp_vars		 vs;
	struct report			*r;
	const json_t			*chk;
	double				 v;

	(void)state;
	snmp_vars_init(&vs);
	add_str(&vs, "1.3.6.1.2.1.1.1.0", "BEFSX41");
	add_oid(&vs, "1.3.6.1.2.1.1.2.0", "1.3.6.1.4.1.3955.1.1");
	add_str(&vs, "1.3.6.1.2.1.33.1.1.1.0", "Example UPS Co");
	add_str(&vs, "1.3.6.1.2.1.33.1.1.2.0", "UPS 3000");
	add_str(&vs, "1.3.6.1.2.1.33.1.1.4.0", "NMC 2.4.1");
	add_int(&vs, "1.3.6.1.2.1.33.1.2.1.0", SNMP_VAL_INT, 3);
	add_int(&vs, "1.3.6.1.2.1.33.1.2.3.0", SNMP_VAL_INT, 12);
	add_int(&vs, "1.3.6.1.2.1.33.1.2.4.0", SNMP_VAL_INT, 18);
	add_int(&vs, "1.3.6.1.2.1.33.1.4.1.0", SNMP_VAL_INT, 5);
	add_int(&vs, "1.3.6.1.2.1.33.1.4.4.1.5.1", SNMP_VAL_INT, 42);
	/* "No such object" answers: none of the values counted. */
	add_int(&vs, "1.3.6.1.2.1.1.3.0", SNMP_VAL_MISSING, 0);
	add_int(&vs, "1.3.6.1.2.1.1.5.0", SNMP_VAL_MISSING, 0);
	r = report_new();
	netpoll_build_report(&d, &vs, SNMP_FAIL_NONE, "", &c, 1000, r);
	assert_string_equal(json_string_value(json_object_get(r->host,
	    "kind")), "ups");
	assert_string_equal(json_string_value(json_object_get(r->host,
	    "model")), "UPS 3000");
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(r->host, "firmware"), "version")), "NMC 2.4.1");
	assert_int_equal(report_metric_value(r, "ups.runtime_s", NULL, NULL,
	    &v), 0);
	assert_true(v == 720);
	assert_int_equal(report_metric_value(r, "ups.output_load_pct",
	    "line", "1", &v), 0);
	assert_true(v == 42);
	chk = report_find_check(r, "ups.battery");
	assert_int_equal(json_integer_value(json_object_get(chk, "status")),
	    CHECK_CRITICAL);
	chk = report_find_check(r, "ups.output");
	assert_int_equal(json_integer_value(json_object_get(chk, "status")),
	    CHECK_WARNING);
	assert_string_equal(json_string_value(json_object_get(chk, "output")),
	    "output from battery");
	chk = report_find_check(r, "snmp");
	assert_int_equal(json_integer_value(json_object_get(chk, "status")),
	    CHECK_OK);
	assert_non_null(strstr(json_string_value(json_object_get(chk,
	    "output")), "unrecognised device (sysObjectID 1.3.6.1.4.1.3955"));
	assert_non_null(strstr(json_string_value(json_object_get(chk,
	    "output")), "SNMP OK: 10 values;"));
	report_free(r);
	snmp_vars_clear(&vs);
	netpoll_counters_free(c);
}

static void
test_report_down(void **state)
{
	struct netpoll_device_info	 d = { "dead-sw", "basildon", "switch",
					    "127.0.0.1:9" };
	struct netpoll_counters		*c = NULL;
	struct snmp_vars		 vs;
	struct report			*r;
	const json_t			*chk;

	(void)state;
	snmp_vars_init(&vs);
	r = report_new();
	netpoll_build_report(&d, &vs, SNMP_FAIL_TIMEOUT, "dead-sw "
	    "(127.0.0.1:9): no answer after 2 tries of 500ms (SNMPv2c)", &c,
	    1000, r);
	assert_string_equal(json_string_value(json_object_get(r->host,
	    "kind")), "switch");
	chk = report_find_check(r, "snmp");
	assert_int_equal(json_integer_value(json_object_get(chk, "status")),
	    CHECK_CRITICAL);
	assert_string_equal(json_string_value(json_object_get(chk, "output")),
	    "SNMP timeout: dead-sw (127.0.0.1:9): no answer after 2 tries of "
	    "500ms (SNMPv2c)");
	/* Silence: the collector's DOWN. */
	chk = report_find_check(r, "alive");
	assert_int_equal(json_integer_value(json_object_get(chk, "status")),
	    CHECK_CRITICAL);
	assert_int_equal(json_array_size(r->interfaces), 0);
	report_free(r);

	/* A refusal is an answer: the device is there. */
	r = report_new();
	netpoll_build_report(&d, &vs, SNMP_FAIL_AUTH, "dead-sw: wrong "
	    "authentication key", &c, 2000, r);
	chk = report_find_check(r, "snmp");
	assert_int_equal(json_integer_value(json_object_get(chk, "status")),
	    CHECK_CRITICAL);
	chk = report_find_check(r, "alive");
	assert_int_equal(json_integer_value(json_object_get(chk, "status")),
	    CHECK_OK);
	report_free(r);
	snmp_vars_clear(&vs);
	netpoll_counters_free(c);
}

static void
test_firmware_set(void **state)
{
	struct report	*r = report_new();
	json_t		*fw;

	(void)state;
	report_firmware_set(r, "vendor", "Cisco");
	report_firmware_set(r, "version", "");		/* left out */
	report_firmware_set(r, "product", "Cisco IOS");
	fw = json_object_get(r->host, "firmware");
	assert_int_equal(json_object_size(fw), 2);
	assert_string_equal(json_string_value(json_object_get(fw, "vendor")),
	    "Cisco");
	report_free(r);
}

static void
test_vars_sort(void **state)
{
	struct snmp_vars	 vs;
	struct snmp_oid		 o;

	(void)state;
	snmp_vars_init(&vs);
	add_str(&vs, "1.3.6.1.2.1.1.5.0", "old");
	add_str(&vs, "1.3.6.1.2.1.1.1.0", "descr");
	add_str(&vs, "1.3.6.1.2.1.1.5.0", "new");
	snmp_vars_sort(&vs);
	assert_int_equal(vs.n, 2);
	assert_string_equal(snmp_vars_get_text(&vs, "1.3.6.1.2.1.1.5.0")->s,
	    "new");
	assert_null(snmp_vars_get_text(&vs, "1.3.6.1.2.1.1.6.0"));
	assert_int_equal(snmp_oid_parse("1.3.6.1.2.1.1.2", &o), 0);
	assert_int_equal(snmp_vars_first(&vs, &o), 1);
	snmp_vars_clear(&vs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oid),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_profiles),
		cmocka_unit_test(test_counter_delta),
		cmocka_unit_test(test_sensor_value),
		cmocka_unit_test(test_date_and_time),
		cmocka_unit_test(test_software_due),
		cmocka_unit_test(test_report_switch),
		cmocka_unit_test(test_report_ups_and_unrecognised),
		cmocka_unit_test(test_report_down),
		cmocka_unit_test(test_firmware_set),
		cmocka_unit_test(test_vars_sort),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
