/* test_eol.c: end of life: date-or-boolean fields, status at a date, which
 * cycle a version is in, the shipped mapping's Windows builds and
 * firmware, the mapping's and the hardware table's errors, forecast
 * quarters, the catalogue kept in ward.db and the snapshot loaded, and
 * alerts raised once. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/db.h"
#include "common/wjson.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "collector/collector.h"
#include "tests/unit/testutil.h"

static int64_t
day_of(const char *s)
{
	int64_t	 d;

	if (eol_parse_day(s, &d) == -1)
		fail_msg("not a date: %s", s);
	return d;
}

static struct eol_value
vdate(const char *s)
{
	struct eol_value v = { EOL_DATE, day_of(s) };

	return v;
}

static struct eol_value
vkind(int kind)
{
	struct eol_value v = { kind, 0 };

	return v;
}

/* ------------------------------------------------------------ values */

static void
test_values(void **state)
{
	struct eol_value v;
	char		 buf[16];
	json_t		*j;

	(void)state;
	assert_int_equal(eol_value_parse("2024-06-30", &v), 0);
	assert_int_equal(v.kind, EOL_DATE);
	assert_string_equal(eol_value_text(&v, buf, sizeof buf),
	    "2024-06-30");
	assert_int_equal(eol_value_passed(&v, day_of("2024-06-29")), 0);
	assert_int_equal(eol_value_passed(&v, day_of("2024-06-30")), 1);
	assert_int_equal(eol_value_parse("true", &v), 0);
	assert_int_equal(v.kind, EOL_TRUE);
	assert_string_equal(eol_value_text(&v, buf, sizeof buf), "true");
	assert_int_equal(eol_value_passed(&v, 0), 1);
	assert_int_equal(eol_value_parse("false", &v), 0);
	assert_int_equal(v.kind, EOL_FALSE);
	assert_int_equal(eol_value_passed(&v, 99999), 0);
	assert_int_equal(eol_value_parse(NULL, &v), 0);
	assert_int_equal(v.kind, EOL_ABSENT);
	assert_null(eol_value_text(&v, buf, sizeof buf));
	assert_int_equal(eol_value_passed(&v, 0), -1);
	assert_int_equal(eol_value_parse("2024-02-30", &v), -1);
	assert_int_equal(eol_value_parse("2024-6-30", &v), -1);
	assert_int_equal(eol_value_parse("2024-06-30T00:00:00Z", &v), -1);
	assert_int_equal(eol_value_parse("yes", &v), -1);
	assert_int_equal(eol_value_parse("", &v), -1);
	assert_int_equal(eol_value_parse("2024-02-29", &v), 0);

	v = vdate("2023-10-10");
	j = eol_value_json(&v);
	assert_string_equal(json_string_value(j), "2023-10-10");
	json_decref(j);
	v = vkind(EOL_TRUE);
	j = eol_value_json(&v);
	assert_true(json_is_true(j));
	v = vkind(EOL_FALSE);
	j = eol_value_json(&v);
	assert_true(json_is_false(j));
	v = vkind(EOL_ABSENT);
	j = eol_value_json(&v);
	assert_true(json_is_null(j));
	assert_int_equal(eol_day_of_ms(0), 0);
	assert_int_equal(eol_day_of_ms(-1), -1);
	assert_int_equal(eol_day_of_ms(86400000LL * 3 + 5), 3);
}

/* The API's is<Field>/<field>From pairs into the four kinds. */
static void
test_product_json(void **state)
{
	struct eol_product	 p;
	json_t			*doc;
	char			 err[512], *title;
	const char		*text =
	    "{\"name\":\"rhel\",\"label\":\"Red Hat <b>Enterprise</b> Linux\","
	    "\"labels\":{\"eoas\":\"Full Support\",\"eol\":\"Maintenance "
	    "Support\",\"eoes\":\"Extended <abbr title='x'>ELS</abbr>\"},"
	    "\"releases\":["
	    "{\"name\":\"9\",\"releaseDate\":\"2022-05-18\",\"isLts\":false,"
	    "\"ltsFrom\":\"2032-05-31\",\"isEoas\":false,"
	    "\"eoasFrom\":\"2027-05-31\",\"isEol\":false,"
	    "\"eolFrom\":\"2032-05-31\",\"isEoes\":false,\"eoesFrom\":null,"
	    "\"latest\":{\"name\":\"9.8\",\"date\":\"2026-05-20\"}},"
	    "{\"name\":\"7\",\"isLts\":true,\"ltsFrom\":null,\"isEol\":true,"
	    "\"eolFrom\":null,\"latest\":null},"
	    "{\"name\":\"x\",\"isEol\":false}]}";

	(void)state;
	doc = json_loads(text, 0, NULL);
	assert_non_null(doc);
	if (eol_product_from_json(doc, "rhel", &p, err, sizeof err) == -1)
		fail_msg("%s", err);
	assert_string_equal(p.name, "rhel");
	assert_string_equal(p.label, "Red Hat Enterprise Linux");
	assert_string_equal(p.eol_label, "Maintenance Support");
	assert_string_equal(p.eoes_label, "Extended ELS");
	assert_int_equal(p.ncycles, 3);
	assert_int_equal(p.cycles[0].eol.kind, EOL_DATE);
	assert_int_equal(p.cycles[0].eol.day, day_of("2032-05-31"));
	/* A date says more than the boolean beside it. */
	assert_int_equal(p.cycles[0].lts.kind, EOL_DATE);
	assert_int_equal(p.cycles[0].eoes.kind, EOL_FALSE);
	assert_string_equal(p.cycles[0].latest, "9.8");
	assert_string_equal(p.cycles[0].latest_date, "2026-05-20");
	assert_int_equal(p.cycles[1].eol.kind, EOL_TRUE);
	assert_int_equal(p.cycles[1].lts.kind, EOL_TRUE);
	assert_int_equal(p.cycles[1].eoes.kind, EOL_ABSENT);
	assert_int_equal(p.cycles[1].eoas.kind, EOL_ABSENT);
	assert_null(p.cycles[1].latest);
	assert_int_equal(p.cycles[2].eol.kind, EOL_FALSE);
	eol_product_clear(&p);
	json_decref(doc);

	doc = json_loads("{\"name\":\"rhel\",\"releases\":[{\"name\":\"9\"},"
	    "{\"name\":\"8\",\"eolFrom\":\"2029-02-30\"}]}", 0, NULL);
	assert_int_equal(eol_product_from_json(doc, "rhel", &p, err,
	    sizeof err), -1);
	assert_string_equal(err, "rhel: result.releases[1].eolFrom: "
	    "\"2029-02-30\": not a date (YYYY-MM-DD)");
	json_decref(doc);
	doc = json_loads("{\"name\":\"rhel\",\"releases\":[{\"name\":\"9\","
	    "\"isEol\":\"no\"}]}", 0, NULL);
	assert_int_equal(eol_product_from_json(doc, "rhel", &p, err,
	    sizeof err), -1);
	assert_contains(err, "result.releases[0].isEol: expected true or "
	    "false, got string");
	json_decref(doc);
	doc = json_loads("{\"name\":\"rhel\",\"releases\":[]}", 0, NULL);
	assert_int_equal(eol_product_from_json(doc, "rhel", &p, err,
	    sizeof err), -1);
	assert_contains(err, "result.releases: 0 releases");
	json_decref(doc);
	doc = json_loads("{\"name\":\"../etc\",\"releases\":[{\"name\":"
	    "\"1\"}]}", 0, NULL);
	assert_int_equal(eol_product_from_json(doc, "x", &p, err,
	    sizeof err), -1);
	assert_contains(err, "result.name: not a product id");
	json_decref(doc);
	doc = json_loads("{\"name\":\"a\",\"releases\":[{\"name\":\"1\"},"
	    "{\"name\":\"1\"}]}", 0, NULL);
	assert_int_equal(eol_product_from_json(doc, "a", &p, err,
	    sizeof err), -1);
	assert_contains(err, "\"1\" again");
	json_decref(doc);
	/* Found by fuzzing: an empty label made an empty title, and a name
	 * of nothing but markup an empty cycle. */
	doc = json_loads("{\"name\":\"ios\",\"label\":\"<i></i>\","
	    "\"releases\":[{\"name\":\"17.14\",\"label\":\"\"},"
	    "{\"name\":\"Next\",\"label\":\" <b> </b>\"}]}", 0, NULL);
	if (eol_product_from_json(doc, "ios", &p, err, sizeof err) == -1)
		fail_msg("%s", err);
	assert_string_equal(p.label, "ios");
	assert_null(p.cycles[0].label);
	assert_null(p.cycles[1].label);
	title = eol_cycle_title(&p, &p.cycles[0]);
	assert_string_equal(title, "ios 17.14");
	free(title);
	title = eol_cycle_title(&p, &p.cycles[1]);
	assert_string_equal(title, "Next");
	free(title);
	eol_product_clear(&p);
	json_decref(doc);
	doc = json_loads("{\"name\":\"a\",\"releases\":[{\"name\":"
	    "\"<b></b>\"}]}", 0, NULL);
	assert_int_equal(eol_product_from_json(doc, "a", &p, err,
	    sizeof err), -1);
	assert_string_equal(err, "a: result.releases[0].name: \"<b></b>\": "
	    "no text");
	json_decref(doc);
}

/* ------------------------------------------------------------ status */

static void
test_status_at(void **state)
{
	struct eol_value eol, eoes;
	int64_t		 today = day_of("2026-11-27");

	(void)state;
	eol = vdate("2029-01-09");
	eoes = vkind(EOL_ABSENT);
	assert_int_equal(eol_status_at(&eol, &eoes, today, 365),
	    EOL_SUPPORTED);
	eol = vdate("2027-04-01");
	assert_int_equal(eol_status_at(&eol, &eoes, today, 365), EOL_ENDING);
	/* The horizon's edge: 125 days left. */
	assert_int_equal(eol_status_at(&eol, &eoes, today, 125), EOL_ENDING);
	assert_int_equal(eol_status_at(&eol, &eoes, today, 124),
	    EOL_SUPPORTED);
	/* On the day itself it has ended. */
	assert_int_equal(eol_status_at(&eol, &eoes, day_of("2027-03-31"),
	    365), EOL_ENDING);
	assert_int_equal(eol_status_at(&eol, &eoes, day_of("2027-04-01"),
	    365), EOL_ENDED);
	/* Extended support while it lasts, whether dated or open. */
	eol = vdate("2024-06-30");
	eoes = vdate("2029-05-31");
	assert_int_equal(eol_status_at(&eol, &eoes, today, 365),
	    EOL_EXTENDED);
	assert_int_equal(eol_status_at(&eol, &eoes, day_of("2029-05-31"),
	    365), EOL_ENDED);
	eoes = vkind(EOL_FALSE);
	assert_int_equal(eol_status_at(&eol, &eoes, today, 365),
	    EOL_EXTENDED);
	eoes = vkind(EOL_TRUE);
	assert_int_equal(eol_status_at(&eol, &eoes, today, 365), EOL_ENDED);
	eoes = vkind(EOL_ABSENT);
	assert_int_equal(eol_status_at(&eol, &eoes, today, 365), EOL_ENDED);
	/* No end announced; ended without a date; no fact at all. */
	eol = vkind(EOL_FALSE);
	assert_int_equal(eol_status_at(&eol, &eoes, today, 365),
	    EOL_SUPPORTED);
	eol = vkind(EOL_TRUE);
	assert_int_equal(eol_status_at(&eol, &eoes, today, 365), EOL_ENDED);
	eol = vkind(EOL_ABSENT);
	assert_int_equal(eol_status_at(&eol, &eoes, today, 365), EOL_UNKNOWN);

	assert_int_equal(eol_status_worse(EOL_SUPPORTED, EOL_UNKNOWN),
	    EOL_UNKNOWN);
	assert_int_equal(eol_status_worse(EOL_UNKNOWN, EOL_ENDING),
	    EOL_ENDING);
	assert_int_equal(eol_status_worse(EOL_ENDED, EOL_EXTENDED),
	    EOL_ENDED);
	assert_string_equal(eol_status_name(EOL_ENDED), "eol");
	assert_int_equal(eol_status_from_name("Extended"), EOL_EXTENDED);
	assert_int_equal(eol_status_from_name("dead"), -1);
}

/* ------------------------------------------------------------ cycles */

static struct eol_product *
product_of(const char *name, const char *const *cycles)
{
	struct eol_product	*p = xcalloc(1, sizeof *p);
	size_t			 n;

	p->name = xstrdup(name);
	p->label = xstrdup(name);
	for (n = 0; cycles[n] != NULL; n++)
		;
	p->cycles = xcalloc(n, sizeof *p->cycles);
	for (p->ncycles = 0; p->ncycles < n; p->ncycles++)
		p->cycles[p->ncycles].name = xstrdup(cycles[p->ncycles]);
	return p;
}

static void
product_free(struct eol_product *p)
{
	eol_product_clear(p);
	free(p);
}

static const char *
cycle_of(const struct eol_product *p, const char *version)
{
	const struct eol_cycle	*c = eol_cycle_match(p, version);

	return c != NULL ? c->name : "(none)";
}

static void
test_cycle_match(void **state)
{
	static const char *const rhel[] = { "10", "9", "8", "7", "6", NULL };
	static const char *const xe[] = { "17.18", "17.10", "17.9", "17.1",
	    "16.12", NULL };
	static const char *const sles[] = { "15.7", "12.5", "15.0", "12.0",
	    NULL };
	static const char *const ontap[] = { "9.13.1", "9.9.1", NULL };
	static const char *const win[] = { "2012-r2", "2012", "2019",
	    "1809-sac", NULL };
	static const char *const ubuntu[] = { "22.04", "20.04", NULL };
	struct eol_product	*p;

	(void)state;
	p = product_of("rhel", rhel);
	assert_string_equal(cycle_of(p, "7.9"), "7");
	assert_string_equal(cycle_of(p, "7"), "7");
	assert_string_equal(cycle_of(p, "10.1"), "10");
	assert_string_equal(cycle_of(p, "6.10"), "6");
	assert_string_equal(cycle_of(p, "5.11"), "(none)");
	assert_string_equal(cycle_of(p, "70"), "(none)");
	assert_string_equal(cycle_of(p, ""), "(none)");
	assert_string_equal(cycle_of(p, NULL), "(none)");
	product_free(p);
	p = product_of("cisco-ios-xe", xe);
	assert_string_equal(cycle_of(p, "17.09.04a"), "17.9");
	assert_string_equal(cycle_of(p, "17.9.4a"), "17.9");
	assert_string_equal(cycle_of(p, "17.10.1"), "17.10");
	assert_string_equal(cycle_of(p, "17.1.2"), "17.1");
	assert_string_equal(cycle_of(p, "17.18.01"), "17.18");
	assert_string_equal(cycle_of(p, "16.12.04"), "16.12");
	assert_string_equal(cycle_of(p, "17.2.1"), "(none)");
	product_free(p);
	p = product_of("sles", sles);
	assert_string_equal(cycle_of(p, "12.5"), "12.5");
	assert_string_equal(cycle_of(p, "15"), "(none)");
	assert_string_equal(cycle_of(p, "15.7"), "15.7");
	product_free(p);
	p = product_of("netapp-ontap", ontap);
	assert_string_equal(cycle_of(p, "9.13.1P3"), "9.13.1");
	assert_string_equal(cycle_of(p, "v9.9.1"), "9.9.1");
	product_free(p);
	p = product_of("windows-server", win);
	assert_string_equal(cycle_of(p, "2012-R2"), "2012-r2");
	assert_string_equal(cycle_of(p, "2012"), "2012");
	assert_string_equal(cycle_of(p, "1809-sac"), "1809-sac");
	product_free(p);
	p = product_of("ubuntu", ubuntu);
	assert_string_equal(cycle_of(p, "22.04"), "22.04");
	assert_string_equal(cycle_of(p, "22.04.3"), "22.04");
	assert_string_equal(cycle_of(p, "22.4"), "22.04");
	assert_string_equal(cycle_of(p, "22.10"), "(none)");
	product_free(p);
}

/* ------------------------------------------------------------ mapping */

static struct eol_rules *
shipped_rules(void)
{
	struct eol_rules	*r;
	const char		*top = getenv("top_srcdir");
	char			*path, err[512];

	xasprintf(&path, "%s/data/eol-mapping", top != NULL ? top : "..");
	if ((r = eol_rules_load(path, err, sizeof err)) == NULL)
		fail_msg("%s", err);
	free(path);
	return r;
}

/* "product cycle" the shipped rules give an OS, or "none". */
static const char *
map_os(const struct eol_rules *r, const char *id, const char *version,
    const char *name)
{
	static char		 buf[128];
	struct eol_identity	 ident;
	struct eol_match	 m;

	memset(&ident, 0, sizeof ident);
	ident.os_id = id;
	ident.os_version = version;
	ident.os_name = name;
	if (!eol_rules_software(r, &ident, &m))
		return "none";
	snprintf(buf, sizeof buf, "%s %s", m.product, m.cycle != NULL ?
	    m.cycle : "=");
	return buf;
}

static void
test_windows_builds(void **state)
{
	struct eol_rules	*r = shipped_rules();

	(void)state;
	assert_string_equal(map_os(r, "windows", "6.1.7601",
	    "Microsoft Windows Server 2008 R2 Enterprise"),
	    "windows-server 2008-r2-sp1");
	assert_string_equal(map_os(r, "windows", "6.0.6003",
	    "Microsoft Windows Server 2008 Standard"),
	    "windows-server 2008-sp2");
	assert_string_equal(map_os(r, "windows", "6.3.9600",
	    "Microsoft Windows Server 2012 R2 Standard"),
	    "windows-server 2012-r2");
	assert_string_equal(map_os(r, "windows", "10.0.14393",
	    "Microsoft Windows Server 2016 Standard"), "windows-server 2016");
	assert_string_equal(map_os(r, "windows", "10.0.17763",
	    "Microsoft Windows Server 2019 Datacenter"),
	    "windows-server 2019");
	assert_string_equal(map_os(r, "windows", "10.0.17763",
	    "Microsoft Windows Server Datacenter"),
	    "windows-server 1809-sac");
	assert_string_equal(map_os(r, "windows", "10.0.20348.2340",
	    "Microsoft Windows Server 2022 Standard"), "windows-server 2022");
	assert_string_equal(map_os(r, "windows", "10.0.26100",
	    "Microsoft Windows Server 2025 Datacenter"),
	    "windows-server 2025");
	/* Clients: the build and the edition. */
	assert_string_equal(map_os(r, "windows", "10.0.19045",
	    "Microsoft Windows 10 Pro"), "windows 10-22h2");
	assert_string_equal(map_os(r, "windows", "10.0.19044",
	    "Microsoft Windows 10 Enterprise LTSC 2021"),
	    "windows 10-21h2-e-lts");
	assert_string_equal(map_os(r, "windows", "10.0.19044",
	    "Microsoft Windows 10 IoT Enterprise LTSC 2021"),
	    "windows 10-21h2-iot-lts");
	assert_string_equal(map_os(r, "windows", "10.0.19044",
	    "Microsoft Windows 10 Enterprise"), "windows 10-21h2-e");
	assert_string_equal(map_os(r, "windows", "10.0.19044",
	    "Microsoft Windows 10 Pro"), "windows 10-21h2-w");
	assert_string_equal(map_os(r, "windows", "10.0.22631",
	    "Microsoft Windows 11 Education"), "windows 11-23h2-e");
	assert_string_equal(map_os(r, "windows", "10.0.26100",
	    "Microsoft Windows 11 Pro"), "windows 11-24h2-w");
	/* What the build alone cannot say stays unmapped. */
	assert_string_equal(map_os(r, "windows", "6.3",
	    "Hardware: Intel64 - Software: Windows Version 6.3"), "none");
	assert_string_equal(map_os(r, "windows", "10.0.99999",
	    "Microsoft Windows Server 2099"), "none");
	assert_string_equal(map_os(r, "windows", NULL, NULL), "none");
	/* Linux: the version's own cycle. */
	assert_string_equal(map_os(r, "rhel", "7.9", NULL), "rhel =");
	assert_string_equal(map_os(r, "RHEL", "9.3", NULL), "rhel =");
	assert_string_equal(map_os(r, "ol", "8.9", NULL), "oracle-linux =");
	assert_string_equal(map_os(r, "rocky", "9.3", NULL), "rocky-linux =");
	assert_string_equal(map_os(r, "plan9", "4", NULL), "none");
	eol_rules_free(r);
}

static void
test_mapping_rules(void **state)
{
	struct eol_rules	*r = shipped_rules();
	struct eol_identity	 id;
	struct eol_match	 m;
	const char		*vendor, **products;
	char			 err[512];
	int			 line;
	size_t			 i;

	(void)state;
	memset(&id, 0, sizeof id);
	id.fw_family = "cisco-ios-xe";
	id.fw_product = "Cisco IOS XE";
	id.fw_version = "17.09.04a";
	assert_int_equal(eol_rules_software(r, &id, &m), 1);
	assert_string_equal(m.product, "cisco-ios-xe");
	assert_null(m.cycle);
	assert_string_equal(m.from, "firmware");
	assert_string_equal(m.version, "17.09.04a");
	id.fw_family = "junos";
	id.fw_product = "Junos OS";
	assert_int_equal(eol_rules_software(r, &id, &m), 0);

	memset(&id, 0, sizeof id);
	id.vendor = "Dell Inc.";
	id.model = "PowerEdge R640";
	assert_int_equal(eol_rules_hardware(r, &id, &vendor, &line),
	    EOL_HW_TABLE);
	assert_string_equal(vendor, "Dell");
	id.vendor = "HP";
	assert_int_equal(eol_rules_hardware(r, &id, &vendor, &line),
	    EOL_HW_TABLE);
	assert_string_equal(vendor, "HPE");
	id.vendor = "VMware, Inc.";
	id.model = "VMware Virtual Platform";
	assert_int_equal(eol_rules_hardware(r, &id, &vendor, &line),
	    EOL_HW_VIRTUAL);
	id.vendor = "Supermicro";
	id.model = "X11";
	assert_int_equal(eol_rules_hardware(r, &id, &vendor, &line),
	    EOL_HW_TABLE);
	assert_string_equal(vendor, "Supermicro");

	products = eol_rules_products(r);
	for (i = 0; products[i] != NULL; i++)
		if (products[i + 1] != NULL)
			assert_true(strcmp(products[i], products[i + 1]) < 0);
	assert_true(i >= 15);
	free(products);
	eol_rules_free(r);

	/* Errors name the line and what is wrong with it. */
	assert_null(eol_rules_parse("m", "# c\n\nos rhel * * rhel\n", err,
	    sizeof err));
	assert_string_equal(err, "m:3: os: expected os PATTERN VERSION NAME "
	    "PRODUCT CYCLE (6 fields), got 5");
	assert_null(eol_rules_parse("m", "os rhel * * Red_Hat =\n", err,
	    sizeof err));
	assert_contains(err, "m:1: product \"Red_Hat\": not an endoflife.date "
	    "product id");
	assert_null(eol_rules_parse("m", "software rhel * * rhel =\n", err,
	    sizeof err));
	assert_contains(err, "m:1: \"software\": expected os, firmware or "
	    "hardware");
	assert_null(eol_rules_parse("m", "hardware \"Dell * table\n", err,
	    sizeof err));
	assert_contains(err, "m:1: a \" is not closed");
	assert_null(eol_rules_parse("m", "hardware Dell * table a b\n", err,
	    sizeof err));
	assert_contains(err, "m:1: hardware: expected");
	assert_null(eol_rules_parse("m", "hardware Dell \"\" virtual\n", err,
	    sizeof err));
	assert_contains(err, "field 3 is empty");
	r = eol_rules_parse("m", "os \"Red Hat\" 7* \"*Server 7*\" rhel 7 "
	    "# quoted\r\nhardware * * virtual\n", err, sizeof err);
	assert_non_null(r);
	assert_int_equal(eol_rules_count(r), 2);
	memset(&id, 0, sizeof id);
	id.os_id = "red hat";
	id.os_version = "7.9";
	id.os_name = "Red Hat Enterprise Linux Server 7.9";
	assert_int_equal(eol_rules_software(r, &id, &m), 1);
	assert_string_equal(m.cycle, "7");
	/* "*" matches a value not reported; a pattern does not. */
	id.os_name = NULL;
	assert_int_equal(eol_rules_software(r, &id, &m), 0);
	eol_rules_free(r);
}

/* ------------------------------------------------------------ hardware */

static void
test_hardware_csv(void **state)
{
	struct eol_hw_table	 t;
	const struct eol_hw_row	*row;
	char			 err[4096];
	const char		*text;
	const char		*good =
	    "\xef\xbb\xbf# a comment\r\n"
	    "Vendor,model,last_date_of_support,end_of_security_support,"
	    "end_of_sale,source\r\n"
	    "\r\n"
	    " \t \n"
	    "Dell,PowerEdge R6?0,2026-03-31,,2020-01-31,\"Dell notice, "
	    "\"\"R6x0\"\"\"\r\n"
	    "Cisco,WS-C3750X-*,2021-10-31,2020-10-30,2016-10-30,\r\n"
	    "Dell,PowerEdge R740,,,,\n";
	const char		*bad =
	    "vendor,model,end_of_sale,end_of_sw_maintenance,"
	    "end_of_security_support,last_date_of_support,source\n"
	    "Dell,R1,2020-01-01,,,2025-01-01,ok\n"
	    "Dell,R2,2020-13-01,,,2025-01-01,bad month\n"
	    "Dell,R3,2020-01-01\n"
	    "Dell,R1,2020-01-01,,,2025-01-01,again\n"
	    "Dell,R4,2021-01-01,2022-01-01,2020-01-01,,swapped\n"
	    "Dell,R\"5,,,,,\n"
	    "Dell,R6,true,,,,\n";

	(void)state;
	if (eol_hw_parse("hw.csv", good, strlen(good), &t, err,
	    sizeof err) == -1)
		fail_msg("%s", err);
	assert_int_equal(t.n, 3);
	assert_string_equal(t.rows[0].vendor, "Dell");
	assert_string_equal(t.rows[0].source, "Dell notice, \"R6x0\"");
	assert_int_equal(t.rows[0].line, 5);
	assert_int_equal(t.rows[0].last_support.kind, EOL_DATE);
	assert_int_equal(t.rows[0].end_of_security.kind, EOL_ABSENT);
	assert_int_equal(t.rows[1].end_of_security.day, day_of("2020-10-30"));
	assert_null(t.rows[2].source);
	row = eol_hw_match(&t, "dell", "PowerEdge R640");
	assert_non_null(row);
	assert_int_equal(row->line, 5);
	row = eol_hw_match(&t, "Dell", "PowerEdge R740");
	assert_non_null(row);
	assert_int_equal(row->line, 7);
	assert_non_null(eol_hw_match(&t, "Cisco", "ws-c3750x-48p-s"));
	assert_null(eol_hw_match(&t, "HPE", "PowerEdge R640"));
	assert_null(eol_hw_match(&t, "Dell", NULL));
	eol_hw_clear(&t);

	assert_int_equal(eol_hw_parse("hw.csv", bad, strlen(bad), &t, err,
	    sizeof err), -1);
	assert_int_equal(t.n, 0);
	assert_string_equal(err,
	    "hw.csv:3: end_of_sale: \"2020-13-01\": not a date (YYYY-MM-DD, "
	    "or empty)\n"
	    "hw.csv:4: 3 fields; the header has 7\n"
	    "hw.csv:5: Dell R1 again (line 2)\n"
	    "hw.csv:6: end_of_security_support is before end_of_sale: the "
	    "milestones are in the wrong columns?\n"
	    "hw.csv:6: end_of_security_support is before "
	    "end_of_sw_maintenance: the milestones are in the wrong "
	    "columns?\n"
	    "hw.csv:7: a quote inside an unquoted field (quote the field and "
	    "double the quote)\n"
	    "hw.csv:8: end_of_sale: \"true\": not a date (YYYY-MM-DD, or "
	    "empty)");
	assert_int_equal(eol_hw_parse("h", "model,vendor,colour\n", 19, &t,
	    err, sizeof err), -1);
	assert_contains(err, "h:1: column 3, \"colour\": not one of");
	assert_int_equal(eol_hw_parse("h", "model,source\n", 13, &t, err,
	    sizeof err), -1);
	assert_contains(err, "h:1: the header needs vendor and model");
	assert_int_equal(eol_hw_parse("h", "# only\n", 7, &t, err,
	    sizeof err), -1);
	assert_contains(err, "h:2: no header line");
	/* Found by fuzzing: a model with a line break in it (a quote left
	 * open) went into the table, and raw into a message. */
	text = "vendor,model\nDell,\"R1\nR2\"\nDell,\"R3\x1b[2J\"\n";
	assert_int_equal(eol_hw_parse("h", text, strlen(text), &t, err,
	    sizeof err), -1);
	assert_string_equal(err, "h:2: model: \"R1\\x0aR2\": holds a "
	    "control character (a line break inside quotes?)\n"
	    "h:4: model: \"R3\\x1b[2J\": holds a control character (a line "
	    "break inside quotes?)");
	/* Found by fuzzing: a last line without a newline has no line
	 * after it to blame. */
	assert_int_equal(eol_hw_parse("h", "#", 1, &t, err, sizeof err), -1);
	assert_contains(err, "h:1: no header line");
	assert_int_equal(eol_hw_parse("h", "\n# x", 4, &t, err,
	    sizeof err), -1);
	assert_contains(err, "h:2: no header line");
	assert_int_equal(eol_hw_parse("h", "vendor,model\nA,\"B\nC\n", 18, &t,
	    err, sizeof err), -1);
	assert_contains(err, "h:2: a quoted field is not closed");
}

/* ------------------------------------------------------------ costs */

static void
test_amounts(void **state)
{
	int64_t	 c;
	char	 buf[32];

	(void)state;
	assert_int_equal(eol_parse_amount("1250", &c), 0);
	assert_int_equal(c, 125000);
	assert_int_equal(eol_parse_amount("1250.5", &c), 0);
	assert_int_equal(c, 125050);
	assert_int_equal(eol_parse_amount("0.07", &c), 0);
	assert_int_equal(c, 7);
	assert_int_equal(eol_parse_amount("0", &c), 0);
	assert_int_equal(c, 0);
	assert_int_equal(eol_parse_amount("1000000000", &c), 0);
	assert_int_equal(c, 100000000000LL);
	assert_string_equal(eol_format_amount(125050, buf, sizeof buf),
	    "1250.50");
	assert_string_equal(eol_format_amount(7, buf, sizeof buf), "0.07");
	assert_int_equal(eol_parse_amount("1000000000.01", &c), -1);
	assert_int_equal(eol_parse_amount("99999999999", &c), -1);
	assert_int_equal(eol_parse_amount("1.234", &c), -1);
	assert_int_equal(eol_parse_amount("1.", &c), -1);
	assert_int_equal(eol_parse_amount(".5", &c), -1);
	assert_int_equal(eol_parse_amount("", &c), -1);
	assert_int_equal(eol_parse_amount("-5", &c), -1);
	assert_int_equal(eol_parse_amount("1,250", &c), -1);
	assert_int_equal(eol_parse_amount("\xc2\xa3" "1250", &c), -1);
	assert_int_equal(eol_parse_amount("1250 ", &c), -1);
	assert_int_equal(eol_parse_amount("1.2.3", &c), -1);
}

static void
test_hardware_cost_csv(void **state)
{
	struct eol_hw_table	 t;
	char			 err[4096];
	const char		*good =
	    "vendor,model,replacement_cost,last_date_of_support\n"
	    "Dell,R1,6500,2025-01-01\n"
	    "Dell,R2,,2025-01-01\n"
	    "Dell,R3,0,\n"
	    "Dell,R4,7200.50,\n";
	const char		*bad =
	    "vendor,model,replacement_cost\n"
	    "Dell,R1,6500\n"
	    "Dell,R2,\"6,500\"\n"
	    "Dell,R3,\xc2\xa3" "6500\n"
	    "Dell,R4,-1\n"
	    "Dell,R5,12.345\n";

	(void)state;
	if (eol_hw_parse("hw.csv", good, strlen(good), &t, err,
	    sizeof err) == -1)
		fail_msg("%s", err);
	assert_int_equal(t.n, 4);
	assert_true(t.rows[0].has_cost);
	assert_int_equal(t.rows[0].cost, 650000);
	/* Empty is not known; 0 is a cost (a free upgrade). */
	assert_false(t.rows[1].has_cost);
	assert_true(t.rows[2].has_cost);
	assert_int_equal(t.rows[2].cost, 0);
	assert_int_equal(t.rows[3].cost, 720050);
	eol_hw_clear(&t);

	assert_int_equal(eol_hw_parse("hw.csv", bad, strlen(bad), &t, err,
	    sizeof err), -1);
	assert_int_equal(t.n, 0);
	assert_contains(err, "hw.csv:3: replacement_cost: \"6,500\": not an "
	    "amount (1250 or 1250.50: no currency symbol");
	assert_contains(err, "hw.csv:4: replacement_cost: \"\xc2\xa3" "6500\": "
	    "not an amount");
	assert_contains(err, "hw.csv:5: replacement_cost: \"-1\": not an "
	    "amount");
	assert_contains(err, "hw.csv:6: replacement_cost: \"12.345\": not an "
	    "amount");
	assert_null(strstr(err, "hw.csv:2:"));
}

static void
test_software_cost_config(void **state)
{
	struct collector_config	 cfg;
	char			*items[3], err[512];
	int64_t			 c;

	(void)state;
	memset(&cfg, 0, sizeof cfg);
	cfg.eol.base_url = (char *)"https://eol.test/api/v1";
	cfg.eol.currency = (char *)"GBP";
	items[0] = (char *)"rhel=800";
	items[1] = (char *)"windows-server=1250.50";
	items[2] = (char *)"rhel=900";
	cfg.eol.software_cost.items = items;
	cfg.eol.software_cost.count = 2;
	if (eol_config_check(&cfg, err, sizeof err) == -1)
		fail_msg("%s", err);
	assert_int_equal(eol_software_cost(&cfg.eol, "rhel", &c), 1);
	assert_int_equal(c, 80000);
	assert_int_equal(eol_software_cost(&cfg.eol, "windows-server", &c), 1);
	assert_int_equal(c, 125050);
	assert_int_equal(eol_software_cost(&cfg.eol, "centos", &c), 0);
	assert_int_equal(eol_software_cost(&cfg.eol, NULL, &c), 0);

	cfg.eol.software_cost.count = 3;
	assert_int_equal(eol_config_check(&cfg, err, sizeof err), -1);
	assert_string_equal(err, "[eol] software_cost: rhel twice");
	items[2] = (char *)"rhel:900";
	assert_int_equal(eol_config_check(&cfg, err, sizeof err), -1);
	assert_contains(err, "[eol] software_cost: \"rhel:900\": expected "
	    "PRODUCT=AMOUNT");
	items[2] = (char *)"Centos=900";
	assert_int_equal(eol_config_check(&cfg, err, sizeof err), -1);
	items[2] = (char *)"centos=";
	assert_int_equal(eol_config_check(&cfg, err, sizeof err), -1);
	items[2] = (char *)"=900";
	assert_int_equal(eol_config_check(&cfg, err, sizeof err), -1);
	items[2] = (char *)"centos=\xe2\x82\xac" "900";
	assert_int_equal(eol_config_check(&cfg, err, sizeof err), -1);
	cfg.eol.software_cost.count = 2;
	cfg.eol.currency = (char *)"pounds";
	assert_int_equal(eol_config_check(&cfg, err, sizeof err), -1);
	assert_contains(err, "[eol] currency: \"pounds\": an ISO 4217 code");
	cfg.eol.currency = (char *)"gbp";
	assert_int_equal(eol_config_check(&cfg, err, sizeof err), -1);
}

/* ------------------------------------------------------------ forecast */

static void
test_quarters(void **state)
{
	int64_t	 from = day_of("2026-11-27");

	(void)state;
	assert_int_equal(eol_quarter_index(from, day_of("2026-11-26")), -1);
	assert_int_equal(eol_quarter_index(from, from), 0);
	assert_int_equal(eol_quarter_index(from, day_of("2026-12-31")), 0);
	assert_int_equal(eol_quarter_index(from, day_of("2027-01-01")), 1);
	assert_int_equal(eol_quarter_index(from, day_of("2027-03-31")), 1);
	assert_int_equal(eol_quarter_index(from, day_of("2027-04-01")), 2);
	assert_int_equal(eol_quarter_index(from, day_of("2029-09-30")), 11);
	assert_int_equal(eol_quarter_index(from, day_of("2029-10-01")), 12);
	assert_int_equal(eol_quarter_index(day_of("2027-01-01"),
	    day_of("2027-01-01")), 0);
}

/* An estate built by hand: where each asset falls. */
static void
test_forecast(void **state)
{
	static const char *const cycles[] = { "7", NULL };
	struct eol_estate	 e;
	struct eol_asset	 a[5];
	struct eol_product	*p = product_of("rhel", cycles);
	json_t			*f, *q;
	size_t			 i;

	(void)state;
	memset(&e, 0, sizeof e);
	memset(a, 0, sizeof a);
	e.day = day_of("2026-11-27");
	e.horizon_days = 365;
	e.assets = a;
	e.n = 5;
	for (i = 0; i < 5; i++) {
		a[i].name = (char *)"h";
		a[i].datacentre = (char *)(i < 3 ? "basildon" : "southend");
		a[i].sw.applicable = 1;
		a[i].sw.product = p;
		a[i].sw.cycle = &p->cycles[0];
		a[i].end_part = &a[i].sw;
	}
	a[0].status = EOL_ENDING;			/* 2027-Q1 */
	a[0].has_end = 1;
	a[0].end_day = day_of("2027-02-01");
	a[1].status = EOL_ENDING;			/* 2026-Q4 */
	a[1].has_end = 1;
	a[1].end_day = day_of("2026-12-31");
	a[2].status = a[2].sw.status = EOL_ENDED;	/* past */
	a[3].status = EOL_SUPPORTED;			/* later */
	a[3].has_end = 1;
	a[3].end_day = day_of("2032-05-31");
	a[4].status = EOL_UNKNOWN;			/* no date */
	f = eol_forecast_json(&e, 12);
	q = json_object_get(f, "quarters");
	assert_int_equal(json_array_size(q), 12);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(q,
	    0), "assets")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(q,
	    1), "assets")), 1);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(q, 1), "quarter")), "2027-Q1");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(q, 1), "start")), "2027-01-01");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(q, 1), "end")), "2027-03-31");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(json_array_get(q, 1), "by_product"), 0),
	    "product")), "rhel 7");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(json_array_get(q, 1), "by_product"), 0),
	    "title")), "rhel 7");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(f,
	    "past"), "assets")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(f,
	    "later"), "assets")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(f,
	    "no_date"), "assets")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(json_object_get(f, "no_date"), "by_datacentre"),
	    0), "datacentre")), "southend");
	/* Costs not looked up: none shown, rather than a made-up sum. */
	assert_true(json_is_null(json_object_get(json_array_get(q, 0),
	    "cost")));
	json_decref(f);
	product_free(p);
}

static const char *
jstr(json_t *o, const char *key)
{
	json_t	*v = json_object_get(o, key);

	if (v == NULL)
		fail_msg("no %s", key);
	return json_is_null(v) ? "(null)" : json_string_value(v);
}

static json_int_t
jint(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* What fixing what falls due costs: each part in its own period, known
 * costs summed, unknown ones counted beside and never taken for 0. */
static void
test_forecast_costs(void **state)
{
	static const char *const cycles[] = { "7", NULL };
	struct eol_estate	 e;
	struct eol_asset	 a[4];
	struct eol_product	*p = product_of("rhel", cycles);
	json_t			*f, *q0, *q1, *cost, *g;
	char			*csv;
	size_t			 i, len;
	FILE			*fp;

	(void)state;
	memset(&e, 0, sizeof e);
	memset(a, 0, sizeof a);
	e.day = day_of("2026-11-27");
	e.horizon_days = 365;
	e.assets = a;
	e.n = 4;
	e.currency = xstrdup("GBP");
	for (i = 0; i < 4; i++) {
		a[i].name = (char *)"h";
		a[i].model = (char *)"R620";
		a[i].datacentre = (char *)(i < 2 ? "basildon" : "southend");
		a[i].sw.applicable = 1;
		a[i].sw.product = p;
		a[i].sw.cycle = &p->cycles[0];
		a[i].sw.status = EOL_ENDING;
		a[i].sw.eol = vdate("2026-12-15");	/* 2026-Q4 */
		a[i].sw.has_cost = 1;
		a[i].sw.cost = 80000;
		a[i].hw.applicable = 1;
		a[i].hw.vendor = (char *)"Dell";
		a[i].hw.status = EOL_ENDING;
		a[i].hw.eol = vdate("2027-02-01");	/* 2027-Q1 */
		a[i].status = EOL_ENDING;
		a[i].has_end = 1;
		a[i].end_day = a[i].sw.eol.day;
		a[i].end_part = &a[i].sw;
	}
	a[0].hw.has_cost = 1;
	a[0].hw.cost = 650050;
	a[1].hw.has_cost = 1;
	a[1].hw.cost = 650000;
	a[2].sw.has_cost = 0;		/* no software_cost for rhel here */
	a[3].hw.applicable = 0;		/* a virtual machine: nothing to buy */
	f = eol_forecast_json(&e, 12);
	q0 = json_array_get(json_object_get(f, "quarters"), 0);
	q1 = json_array_get(json_object_get(f, "quarters"), 1);
	/* Every asset once, in the quarter of its first end. */
	assert_int_equal(jint(q0, "assets"), 4);
	assert_int_equal(jint(q1, "assets"), 0);
	cost = json_object_get(q0, "cost");
	assert_string_equal(jstr(cost, "currency"), "GBP");
	assert_string_equal(jstr(cost, "amount"), "2400.00");
	assert_int_equal(jint(cost, "costed"), 3);
	assert_int_equal(jint(cost, "unknown"), 1);
	g = json_array_get(json_object_get(cost, "by_datacentre"), 1);
	assert_string_equal(jstr(g, "datacentre"), "southend");
	assert_string_equal(jstr(g, "amount"), "800.00");
	assert_int_equal(jint(g, "unknown"), 1);
	/* The hardware falls due a quarter later, and costs there. */
	cost = json_object_get(q1, "cost");
	assert_string_equal(jstr(cost, "amount"), "13000.50");
	assert_int_equal(jint(cost, "costed"), 2);
	assert_int_equal(jint(cost, "unknown"), 1);
	g = json_array_get(json_object_get(cost, "by_product"), 0);
	assert_string_equal(jstr(g, "product"), "hardware Dell R620");
	assert_string_equal(jstr(g, "title"), "Dell R620");
	g = json_array_get(json_object_get(cost, "by_datacentre"), 1);
	assert_string_equal(jstr(g, "datacentre"), "southend");
	/* Nothing known there: no amount, not 0. */
	assert_string_equal(jstr(g, "amount"), "(null)");
	assert_int_equal(jint(g, "costed"), 0);
	assert_int_equal(jint(g, "unknown"), 1);
	cost = json_object_get(json_object_get(f, "past"), "cost");
	assert_string_equal(jstr(cost, "amount"), "(null)");
	assert_int_equal(jint(cost, "costed"), 0);
	assert_int_equal(jint(cost, "unknown"), 0);
	json_decref(f);

	fp = open_memstream(&csv, &len);
	eol_forecast_csv(&e, 12, fp);
	fclose(fp);
	assert_string_equal(csv,
	    "period,start,end,datacentre,product,title,currency,amount,"
	    "costed,unknown_cost\r\n"
	    "2026-Q4,2026-11-27,2026-12-31,basildon,rhel 7,rhel 7,GBP,"
	    "1600.00,2,0\r\n"
	    "2026-Q4,2026-11-27,2026-12-31,southend,rhel 7,rhel 7,GBP,"
	    "800.00,1,1\r\n"
	    "2027-Q1,2027-01-01,2027-03-31,basildon,hardware Dell R620,"
	    "Dell R620,GBP,13000.50,2,0\r\n"
	    "2027-Q1,2027-01-01,2027-03-31,southend,hardware Dell R620,"
	    "Dell R620,GBP,,0,1\r\n");
	free(csv);
	free(e.currency);
	product_free(p);
}

/* ------------------------------------------------------------ in ward.db */

static struct store *
open_store(const char *name)
{
	struct store	*st;
	char		*path, err[512];

	path = tu_path(tu_tmpdir(), name);
	if ((st = store_open(path, 0, err, sizeof err)) == NULL)
		fail_msg("store_open: %s", err);
	free(path);
	return st;
}

static const char *const snapshot_fmt =
    "{\"schema_version\":\"1.2.0\",\"snapshot\":{\"date\":\"%s\"},"
    "\"products\":[{\"name\":\"centos\",\"label\":\"CentOS\","
    "\"labels\":{\"eol\":\"Security Support\"},\"releases\":["
    "{\"name\":\"7\",\"isEol\":true,\"eolFrom\":\"%s\"},"
    "{\"name\":\"stream\",\"isEol\":false,\"eolFrom\":null,"
    "\"isEoes\":true,\"eoesFrom\":null}]}]}";

static void
write_snapshot(const char *name, const char *date, const char *eol)
{
	char	*text, *path;

	xasprintf(&text, snapshot_fmt, date, eol);
	path = tu_write_file(tu_tmpdir(), name, text, 0644);
	free(path);
	free(text);
}

static void
test_catalogue_store(void **state)
{
	struct store			*st = open_store("cat.db");
	struct eol_catalogue		*cat;
	const struct eol_product	*p;
	char				*path, err[512], date[16];
	size_t				 loaded;

	(void)state;
	write_snapshot("snap1.json", "2026-08-22", "2024-06-30");
	path = tu_path(tu_tmpdir(), "snap1.json");
	if (eol_snapshot_load(store_db(st), path, 1000, &loaded, date,
	    sizeof date, err, sizeof err) == -1)
		fail_msg("%s", err);
	assert_int_equal(loaded, 1);
	assert_string_equal(date, "2026-08-22");
	/* Again: nothing newer. */
	assert_int_equal(eol_snapshot_load(store_db(st), path, 1000, &loaded,
	    date, sizeof date, err, sizeof err), 0);
	assert_int_equal(loaded, 0);
	free(path);
	/* An older snapshot never replaces newer facts... */
	write_snapshot("old.json", "2025-01-01", "2099-01-01");
	path = tu_path(tu_tmpdir(), "old.json");
	assert_int_equal(eol_snapshot_load(store_db(st), path, 1000, &loaded,
	    date, sizeof date, err, sizeof err), 0);
	assert_int_equal(loaded, 0);
	free(path);

	cat = eol_catalogue_load(store_db(st), err, sizeof err);
	assert_non_null(cat);
	assert_int_equal(cat->n, 1);
	p = eol_catalogue_product(cat, "centos");
	assert_non_null(p);
	assert_string_equal(p->source, "snapshot");
	assert_string_equal(p->as_of, "2026-08-22");
	assert_string_equal(p->eol_label, "Security Support");
	assert_null(p->eoes_label);
	assert_int_equal(p->ncycles, 2);
	assert_string_equal(p->cycles[0].name, "7");
	assert_int_equal(p->cycles[0].eol.day, day_of("2024-06-30"));
	assert_int_equal(p->cycles[0].eoes.kind, EOL_ABSENT);
	assert_int_equal(p->cycles[1].eol.kind, EOL_FALSE);
	assert_int_equal(p->cycles[1].eoes.kind, EOL_TRUE);
	assert_null(eol_catalogue_product(cat, "rhel"));
	eol_catalogue_free(cat);

	/* ...a newer one does; a broken one changes nothing. */
	write_snapshot("new.json", "2026-09-01", "2024-07-01");
	path = tu_path(tu_tmpdir(), "new.json");
	assert_int_equal(eol_snapshot_load(store_db(st), path, 1000, &loaded,
	    date, sizeof date, err, sizeof err), 0);
	assert_int_equal(loaded, 1);
	free(path);
	path = tu_write_file(tu_tmpdir(), "broken.json", "{\"snapshot\":{"
	    "\"date\":\"2027-01-01\"},\"products\":[{\"name\":\"centos\","
	    "\"releases\":[{\"name\":\"7\",\"eolFrom\":\"x\"}]}]}", 0644);
	assert_int_equal(eol_snapshot_load(store_db(st), path, 1000, &loaded,
	    date, sizeof date, err, sizeof err), -1);
	assert_contains(err, "broken.json: products[0]: result.releases[0]."
	    "eolFrom: \"x\": not a date");
	free(path);
	path = tu_write_file(tu_tmpdir(), "cut.json", "{\"snapshot\":{", 0644);
	assert_int_equal(eol_snapshot_load(store_db(st), path, 1000, &loaded,
	    date, sizeof date, err, sizeof err), -1);
	assert_contains(err, "cut.json: not JSON");
	free(path);
	cat = eol_catalogue_load(store_db(st), err, sizeof err);
	p = eol_catalogue_product(cat, "centos");
	assert_string_equal(p->as_of, "2026-09-01");
	assert_int_equal(p->cycles[0].eol.day, day_of("2024-07-01"));
	eol_catalogue_free(cat);
	store_close(st);
}

static void
ingest(struct store *st, const char *text)
{
	struct ingest_result	 res;
	json_t			*doc;
	char			 err[512];
	int			 status;

	if ((doc = wjson_parse(text, strlen(text), NULL, err,
	    sizeof err)) == NULL)
		fail_msg("%s: %s", err, text);
	if (ingest_reports(st, doc, wtime_now_ms(), &res, &status, err,
	    sizeof err) == -1)
		fail_msg("ingest: %s", err);
	json_decref(doc);
}

static void
test_alerts_once(void **state)
{
	struct collector_config	 cfg;
	struct store		*st = open_store("alerts.db");
	struct eol_rules	*rules;
	struct eol_alert_result	 res;
	char			*path, *text, err[512], date[16], ts[32];
	size_t			 loaded;

	(void)state;
	memset(&cfg, 0, sizeof cfg);
	cfg.eol.horizon_ms = 365LL * 86400000;
	rules = eol_rules_parse("m", "os centos * * centos =\n", err,
	    sizeof err);
	assert_non_null(rules);
	write_snapshot("snap-alerts.json", "2026-08-22", "2024-06-30");
	path = tu_path(tu_tmpdir(), "snap-alerts.json");
	assert_int_equal(eol_snapshot_load(store_db(st), path, 1000, &loaded,
	    date, sizeof date, err, sizeof err), 0);
	free(path);
	wtime_format_iso8601(ts, sizeof ts, wtime_now_ms());
	xasprintf(&text, "[{\"schema\":1,\"agent\":{\"id\":\"c7\"},\"seq\":1,"
	    "\"ts\":\"%s\",\"host\":{\"name\":\"c7\",\"datacentre\":\"dc\","
	    "\"os\":{\"id\":\"centos\",\"version_id\":\"7\"}}},"
	    "{\"schema\":1,\"agent\":{\"id\":\"cs\"},\"seq\":1,"
	    "\"ts\":\"%s\",\"host\":{\"name\":\"cs\",\"os\":{\"id\":"
	    "\"centos\",\"version_id\":\"stream\"}}}]", ts, ts);
	ingest(st, text);
	free(text);
	if (eol_alerts_evaluate(store_db(st), &cfg, rules, wtime_now_ms(),
	    &res, err, sizeof err) == -1)
		fail_msg("%s", err);
	assert_int_equal(res.raised, 1);
	assert_int_equal(eol_alerts_evaluate(store_db(st), &cfg, rules,
	    wtime_now_ms(), &res, err, sizeof err), 0);
	assert_int_equal(res.raised, 0);
	assert_int_equal(res.resolved, 0);
	/* The host moves to a supported release: resolved, and its return
	 * to 7 is not news again. */
	xasprintf(&text, "{\"schema\":1,\"agent\":{\"id\":\"c7\"},\"seq\":2,"
	    "\"ts\":\"%s\",\"host\":{\"name\":\"c7\",\"os\":{\"id\":"
	    "\"centos\",\"version_id\":\"stream\"}}}", ts);
	ingest(st, text);
	free(text);
	assert_int_equal(eol_alerts_evaluate(store_db(st), &cfg, rules,
	    wtime_now_ms(), &res, err, sizeof err), 0);
	assert_int_equal(res.resolved, 1);
	xasprintf(&text, "{\"schema\":1,\"agent\":{\"id\":\"c7\"},\"seq\":3,"
	    "\"ts\":\"%s\",\"host\":{\"name\":\"c7\",\"os\":{\"id\":"
	    "\"centos\",\"version_id\":\"7.9\"}}}", ts);
	ingest(st, text);
	free(text);
	assert_int_equal(eol_alerts_evaluate(store_db(st), &cfg, rules,
	    wtime_now_ms(), &res, err, sizeof err), 0);
	assert_int_equal(res.raised, 0);
	eol_rules_free(rules);
	store_close(st);
}

/* The shipped mapping names only products the shipped snapshot has, and
 * the snapshot has the facts everyone knows. */
static void
test_shipped_data(void **state)
{
	struct store			*st = open_store("shipped.db");
	struct eol_catalogue		*cat;
	struct eol_rules		*rules = shipped_rules();
	const struct eol_product	*p;
	const struct eol_cycle		*c;
	const char			**products, *top = getenv("top_srcdir");
	char				*path, err[512], date[16], *title;
	size_t				 i, loaded;

	(void)state;
	xasprintf(&path, "%s/data/eol-snapshot.json", top != NULL ? top :
	    "..");
	if (eol_snapshot_load(store_db(st), path, 1000, &loaded, date,
	    sizeof date, err, sizeof err) == -1)
		fail_msg("%s", err);
	free(path);
	assert_true(loaded >= 30);
	assert_string_equal(date, "2026-08-22");
	cat = eol_catalogue_load(store_db(st), err, sizeof err);
	assert_non_null(cat);
	products = eol_rules_products(rules);
	for (i = 0; products[i] != NULL; i++)
		if (eol_catalogue_product(cat, products[i]) == NULL)
			fail_msg("eol-mapping names %s; the snapshot has no "
			    "such product", products[i]);
	free(products);

	p = eol_catalogue_product(cat, "rhel");
	c = eol_cycle_match(p, "7.9");
	assert_string_equal(c->name, "7");
	assert_int_equal(c->eol.day, day_of("2024-06-30"));
	assert_int_equal(c->eoes.day, day_of("2029-05-31"));
	assert_string_equal(p->eol_label, "Maintenance Support");
	title = eol_cycle_title(p, c);
	assert_string_equal(title, "Red Hat Enterprise Linux 7");
	free(title);
	p = eol_catalogue_product(cat, "windows-server");
	c = eol_cycle_match(p, "2012-r2");
	assert_int_equal(c->eol.day, day_of("2023-10-10"));
	assert_int_equal(c->lts.kind, EOL_TRUE);
	title = eol_cycle_title(p, c);
	assert_string_equal(title, "Windows Server 2012 R2");
	free(title);
	p = eol_catalogue_product(cat, "centos");
	c = eol_cycle_match(p, "7");
	assert_int_equal(c->eol.day, day_of("2024-06-30"));
	assert_int_equal(c->eoes.kind, EOL_ABSENT);
	eol_catalogue_free(cat);
	eol_rules_free(rules);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_product_json),
		cmocka_unit_test(test_status_at),
		cmocka_unit_test(test_cycle_match),
		cmocka_unit_test(test_windows_builds),
		cmocka_unit_test(test_mapping_rules),
		cmocka_unit_test(test_hardware_csv),
		cmocka_unit_test(test_amounts),
		cmocka_unit_test(test_hardware_cost_csv),
		cmocka_unit_test(test_software_cost_config),
		cmocka_unit_test(test_quarters),
		cmocka_unit_test(test_forecast),
		cmocka_unit_test(test_forecast_costs),
		cmocka_unit_test(test_catalogue_store),
		cmocka_unit_test(test_alerts_once),
		cmocka_unit_test(test_shipped_data),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
