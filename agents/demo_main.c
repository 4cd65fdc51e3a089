/* demo_main.c: ward-demo, the demo generator. Not a monitoring agent: it
 * makes up an estate of servers in the group's eight datacentres and
 * reports as each of them to ward-collector through the real ingest API. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "common/cfg.h"
#include "common/cli.h"
#include "common/daemon.h"
#include "common/http.h"
#include "common/log.h"
#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "agents/agent.h"

#define DEMO_REPORTS_PATH	"/api/v1/reports"
#define DEMO_FS_MAX		4
#define DEMO_IF_MAX		2
#define DEMO_GIB		(1024.0 * 1024.0 * 1024.0)
/* Hosts that are never patched were last started about here (2023-11-14);
 * their uptime grows from it. */
#define DEMO_OLD_BOOT		INT64_C(1700000000)

/* --------------------------------------------------------------- config */

struct demo_collector {
	char	*url;
	char	*ca_file;
	char	*token;		/* the contents of token_file */
	int64_t	 timeout;	/* ms */
};

struct demo_section {
	int64_t	 hosts;
	int64_t	 seed;
	int64_t	 interval;	/* ms */
	int64_t	 history;	/* ms */
	int64_t	 history_step;	/* ms */
	int64_t	 batch;
	char	*state_file;
	char	*outage;	/* a datacentre id, or NULL */
};

struct demo_config {
	struct cli_log_config	 log;
	struct cli_daemon_config daemon;
	struct demo_collector	 collector;
	struct demo_section	 demo;
};

static const struct cfg_option demo_collector_options[] = {
	{ "url", CFG_STRING, NULL, 0, 0, NULL, CFG_REQUIRED,
	  offsetof(struct demo_collector, url),
	  "The collector's base URL, e.g. \"https://127.0.0.1:8443\"; "
	  "reports go to " DEMO_REPORTS_PATH " below it. HTTPS only." },
	{ "ca_file", CFG_PATH, NULL, 0, 0, NULL, 0,
	  offsetof(struct demo_collector, ca_file),
	  "The CA certificate(s) (PEM) the collector's certificate must "
	  "chain to. Unset: the system's trust store. The certificate is "
	  "always verified." },
	{ "token_file", CFG_SECRET, NULL, 0, 0, NULL, CFG_REQUIRED,
	  offsetof(struct demo_collector, token),
	  "A file holding a token with the agent role (from \"ward-collector "
	  "token add --role agent\"); every simulated host reports with it." },
	{ "timeout", CFG_DURATION, "30s", 1000, 300000, NULL, 0,
	  offsetof(struct demo_collector, timeout),
	  "Give up on one request after this long." },
	CFG_OPTIONS_END
};

static const struct cfg_option demo_options[] = {
	{ "hosts", CFG_INT, "400", 1, 5000, NULL, 0,
	  offsetof(struct demo_section, hosts),
	  "How many servers to simulate. The first eight are one in each "
	  "datacentre, so any estate of eight or more spans all of them." },
	{ "seed", CFG_INT, "1", 0, INT64_C(4294967295), NULL, 0,
	  offsetof(struct demo_section, seed),
	  "Everything made up (names, systems, hardware, ids, how values "
	  "move) follows from this number and the time: the same seed gives "
	  "the same estate, and two runs at one instant send the same "
	  "reports." },
	{ "interval", CFG_DURATION, "60s", 10000, 3600000, NULL, 0,
	  offsetof(struct demo_section, interval),
	  "How often every simulated host reports." },
	{ "history", CFG_DURATION, "6h", 0, 48 * 3600000LL, NULL, 0,
	  offsetof(struct demo_section, history),
	  "Fill up to this much of the past with reports so graphs have "
	  "something to show: on the first start, and after the collector "
	  "was unreachable, back to the last acknowledged round. 0 turns "
	  "it off." },
	{ "history_step", CFG_DURATION, "10m", 10000, 3600000, NULL, 0,
	  offsetof(struct demo_section, history_step),
	  "The filled history has one round of reports per this much time "
	  "(a sample of what the hosts would have sent, to keep it quick)." },
	{ "batch", CFG_INT, "100", 1, 500, NULL, 0,
	  offsetof(struct demo_section, batch),
	  "Reports per request (the collector takes at most 500)." },
	{ "state_file", CFG_PATH, NULL, 0, 0, NULL, 0,
	  offsetof(struct demo_section, state_file),
	  "Where to remember when the estate was first started and the last "
	  "round the collector acknowledged, so a restart fills only the "
	  "gap. Unset: every start fills the whole history again (the "
	  "collector acknowledges what it already has as duplicates)." },
	{ "outage", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct demo_section, outage),
	  "A datacentre cut off from the collector (its id, e.g. "
	  "\"thurrock\"): its servers report until the estate's first "
	  "start, then fall silent, as if its core switch had failed. Unset: "
	  "every datacentre reports." },
	CFG_OPTIONS_END
};

static const struct cfg_section demo_sections[] = {
	{ "log", cli_log_options, 0, offsetof(struct demo_config, log), 0,
	  "Logging." },
	{ "daemon", cli_daemon_options, 0, offsetof(struct demo_config, daemon),
	  0, "Process: pidfile and the user to run as." },
	{ "collector", demo_collector_options, CFG_SECTION_REQUIRED,
	  offsetof(struct demo_config, collector), 0,
	  "Where the reports go, and how the collector is trusted." },
	{ "demo", demo_options, 0, offsetof(struct demo_config, demo), 0,
	  "The simulated estate." },
	CFG_SECTIONS_END
};

static int	demo_site_index(const char *);
static void	demo_site_ids(char *, size_t);

static int
demo_validate(void *p, char *err, size_t errlen)
{
	struct demo_config	*cfg = p;
	const char		*url = cfg->collector.url;
	char			 ids[256];

	if (strncasecmp(url, "https://", 8) != 0 || url[8] == '\0' ||
	    url[8] == '/' || strpbrk(url, " \t\"?#@") != NULL) {
		snprintf(err, errlen, "[collector] url: \"%s\": expected "
		    "https://HOST[:PORT][/PATH] (the collector's certificate "
		    "is always verified, so plain http is not offered)", url);
		return -1;
	}
	if (cfg->collector.ca_file != NULL &&
	    access(cfg->collector.ca_file, R_OK) == -1) {
		snprintf(err, errlen, "[collector] ca_file: %s: %s",
		    cfg->collector.ca_file, strerror(errno));
		return -1;
	}
	if (cfg->demo.outage != NULL && demo_site_index(cfg->demo.outage) ==
	    -1) {
		demo_site_ids(ids, sizeof ids);
		snprintf(err, errlen, "[demo] outage: \"%s\": not one of the "
		    "datacentres (%s)", cfg->demo.outage, ids);
		return -1;
	}
	return 0;
}

static const struct cfg_schema demo_schema = {
	"ward-demo", WARD_SYSCONFDIR "/demo.conf", demo_sections,
	demo_validate,
};

static const struct cli_option demo_extra[] = {
	{ "once", 0, 0, NULL,
	  "fill the history, send one round; exit 0 if all acknowledged" },
	{ "print", 0, 0, NULL,
	  "print one round as a JSON array instead of sending it" },
	{ "at", 0, 1, "TIME",
	  "with --print: the instant to simulate (ISO-8601), not now" },
	{ "list", 0, 0, NULL,
	  "print the simulated hosts and their problems, one a line" },
	CLI_OPTIONS_END
};

static const struct cli_program demo_program = {
	.name = "ward-demo",
	.summary = "ward-demo: the demo generator. Not a monitoring agent: it "
	    "makes up an estate\nof servers in the group's eight datacentres "
	    "and reports as each of them to\nward-collector through the real "
	    "ingest API, so a demo or test collector has\nsomething to show.",
	.schema = &demo_schema,
	.extra = demo_extra,
	.is_daemon = 1,
	.config_optional = 0,
	.log_offset = offsetof(struct demo_config, log),
};

/* --------------------------------------------------------------- tables */

enum demo_trust { TRUST_BTUH, TRUST_MEHT, TRUST_STH };

static const struct demo_trust_entry {
	const char	*domain;	/* FQDN suffix: .test, never real */
	const char	*legacy;	/* names' prefix before the standard */
} demo_trusts[] = {
	[TRUST_BTUH] = { "btuh.test", "bth" },
	[TRUST_MEHT] = { "meht.test", "mid" },
	[TRUST_STH] = { "southend.test", "suh" },
};
#define DEMO_NTRUSTS	(sizeof demo_trusts / sizeof demo_trusts[0])

static const struct demo_site {
	const char	*id;		/* host.datacentre */
	const char	*name;		/* as people say it */
	const char	*code;		/* in MEHT's host names */
	enum demo_trust	 trust;
	int		 octet;		/* its servers: 10.<octet>.0.0/16 */
	int		 weight;	/* its hosts in an estate of 400 */
} demo_sites[] = {
	{ "basildon", "Basildon", "bas", TRUST_BTUH, 20, 72 },
	{ "southend", "Southend", "sth", TRUST_STH, 30, 80 },
	{ "broomfield", "Broomfield", "brm", TRUST_MEHT, 40, 70 },
	{ "orsett", "Orsett", "ors", TRUST_BTUH, 21, 36 },
	{ "thurrock", "Thurrock", "thu", TRUST_BTUH, 22, 32 },
	{ "braintree", "Braintree", "bte", TRUST_MEHT, 41, 34 },
	{ "st-andrews", "St Andrew's", "sta", TRUST_MEHT, 42, 36 },
	{ "rochford", "Rochford", "roc", TRUST_STH, 31, 40 },
};
#define DEMO_NSITES	(sizeof demo_sites / sizeof demo_sites[0])

static int
demo_site_index(const char *id)
{
	size_t	 i;

	for (i = 0; i < DEMO_NSITES; i++)
		if (strcmp(demo_sites[i].id, id) == 0)
			return (int)i;
	return -1;
}

static void
demo_site_ids(char *buf, size_t len)
{
	size_t	 i;

	buf[0] = '\0';
	for (i = 0; i < DEMO_NSITES; i++) {
		if (i > 0)
			str_append(buf, ", ", len);
		str_append(buf, demo_sites[i].id, len);
	}
}

enum demo_family { FAMILY_WINDOWS, FAMILY_RHEL, FAMILY_DEBIAN, FAMILY_SUSE };

/*
 * Linux systems as their os-release(5) gives ID, VERSION_ID and PRETTY_NAME
 * (RHEL 6 has no os-release: those three come from /etc/redhat-release).
 * Windows has no os-release: the id is "windows", the version its NT
 * version as Win32_OperatingSystem.Version gives it (the build number tells
 * 2016, 2019 and 2022 apart, all "10.0"), the name that class's Caption.
 */
enum demo_os_index {
	OS_W2008R2, OS_W2012R2, OS_W2016, OS_W2019, OS_W2022,
	OS_RHEL6, OS_RHEL7, OS_RHEL8, OS_RHEL9, OS_CENTOS7,
	OS_UBUNTU1604, OS_UBUNTU1804, OS_UBUNTU2004, OS_UBUNTU2204,
	OS_DEBIAN9, OS_DEBIAN10, OS_DEBIAN11, OS_DEBIAN12, OS_SLES12,
};

static const struct demo_os {
	const char	*id;
	const char	*version_id;
	const char	*pretty_name;
	const char	*kernel;
	enum demo_family family;
	int		 year;		/* released: old systems, old kit */
	int		 systemd;
	int		 legacy;	/* half its hosts are never rebooted */
	const char	*root_device;
	const char	*root_fstype;
	const char	*boot_device;	/* a separate /boot, or NULL */
	const char	*nic_vmware;	/* the NIC's name on each platform */
	const char	*nic_ahv;
	const char	*nic_metal;
} demo_oses[] = {
	[OS_W2008R2] = { "windows", "6.1.7601",
	    "Microsoft Windows Server 2008 R2 Enterprise", "6.1.7601",
	    FAMILY_WINDOWS, 2009, 0, 1, NULL, "NTFS", NULL, "Ethernet0",
	    "Ethernet", NULL },
	[OS_W2012R2] = { "windows", "6.3.9600",
	    "Microsoft Windows Server 2012 R2 Standard", "6.3.9600",
	    FAMILY_WINDOWS, 2013, 0, 0, NULL, "NTFS", NULL, "Ethernet0",
	    "Ethernet", NULL },
	[OS_W2016] = { "windows", "10.0.14393",
	    "Microsoft Windows Server 2016 Standard", "10.0.14393",
	    FAMILY_WINDOWS, 2016, 0, 0, NULL, "NTFS", NULL, "Ethernet0",
	    "Ethernet", NULL },
	[OS_W2019] = { "windows", "10.0.17763",
	    "Microsoft Windows Server 2019 Datacenter", "10.0.17763",
	    FAMILY_WINDOWS, 2018, 0, 0, NULL, "NTFS", NULL, "Ethernet0",
	    "Ethernet", NULL },
	[OS_W2022] = { "windows", "10.0.20348",
	    "Microsoft Windows Server 2022 Standard", "10.0.20348",
	    FAMILY_WINDOWS, 2021, 0, 0, NULL, "NTFS", NULL, "Ethernet0",
	    "Ethernet", NULL },
	[OS_RHEL6] = { "rhel", "6.10",
	    "Red Hat Enterprise Linux Server release 6.10 (Santiago)",
	    "2.6.32-754.35.1.el6.x86_64", FAMILY_RHEL, 2010, 0, 1,
	    "/dev/mapper/vg_root-lv_root", "ext4", "/dev/sda1", "eth0",
	    "eth0", "em1" },
	[OS_RHEL7] = { "rhel", "7.9",
	    "Red Hat Enterprise Linux Server 7.9 (Maipo)",
	    "3.10.0-1160.105.1.el7.x86_64", FAMILY_RHEL, 2014, 1, 0,
	    "/dev/mapper/rhel-root", "xfs", "/dev/sda1", "ens192", "eth0",
	    "em1" },
	[OS_RHEL8] = { "rhel", "8.9", "Red Hat Enterprise Linux 8.9 (Ootpa)",
	    "4.18.0-513.9.1.el8_9.x86_64", FAMILY_RHEL, 2019, 1, 0,
	    "/dev/mapper/rhel-root", "xfs", "/dev/sda1", "ens192", "ens3",
	    "eno1" },
	[OS_RHEL9] = { "rhel", "9.3", "Red Hat Enterprise Linux 9.3 (Plow)",
	    "5.14.0-362.13.1.el9_3.x86_64", FAMILY_RHEL, 2022, 1, 0,
	    "/dev/mapper/rhel-root", "xfs", "/dev/sda1", "ens192", "ens3",
	    "eno1" },
	[OS_CENTOS7] = { "centos", "7", "CentOS Linux 7 (Core)",
	    "3.10.0-1160.102.1.el7.x86_64", FAMILY_RHEL, 2014, 1, 1,
	    "/dev/mapper/centos-root", "xfs", "/dev/sda1", "ens192", "eth0",
	    "em1" },
	[OS_UBUNTU1604] = { "ubuntu", "16.04", "Ubuntu 16.04.7 LTS",
	    "4.4.0-210-generic", FAMILY_DEBIAN, 2016, 1, 1, "/dev/sda1",
	    "ext4", NULL, "ens160", "ens3", "eno1" },
	[OS_UBUNTU1804] = { "ubuntu", "18.04", "Ubuntu 18.04.6 LTS",
	    "4.15.0-213-generic", FAMILY_DEBIAN, 2018, 1, 0,
	    "/dev/mapper/ubuntu--vg-ubuntu--lv", "ext4", "/dev/sda2",
	    "ens160", "ens3", "eno1" },
	[OS_UBUNTU2004] = { "ubuntu", "20.04", "Ubuntu 20.04.6 LTS",
	    "5.4.0-169-generic", FAMILY_DEBIAN, 2020, 1, 0,
	    "/dev/mapper/ubuntu--vg-ubuntu--lv", "ext4", "/dev/sda2",
	    "ens160", "ens3", "eno1" },
	[OS_UBUNTU2204] = { "ubuntu", "22.04", "Ubuntu 22.04.3 LTS",
	    "5.15.0-91-generic", FAMILY_DEBIAN, 2022, 1, 0,
	    "/dev/mapper/ubuntu--vg-ubuntu--lv", "ext4", "/dev/sda2",
	    "ens160", "ens3", "eno1" },
	[OS_DEBIAN9] = { "debian", "9", "Debian GNU/Linux 9 (stretch)",
	    "4.9.0-19-amd64", FAMILY_DEBIAN, 2017, 1, 1, "/dev/sda1", "ext4",
	    NULL, "ens192", "ens3", "eno1" },
	[OS_DEBIAN10] = { "debian", "10", "Debian GNU/Linux 10 (buster)",
	    "4.19.0-26-amd64", FAMILY_DEBIAN, 2019, 1, 0, "/dev/sda1", "ext4",
	    NULL, "ens192", "ens3", "eno1" },
	[OS_DEBIAN11] = { "debian", "11", "Debian GNU/Linux 11 (bullseye)",
	    "5.10.0-27-amd64", FAMILY_DEBIAN, 2021, 1, 0, "/dev/sda1", "ext4",
	    NULL, "ens192", "ens3", "eno1" },
	[OS_DEBIAN12] = { "debian", "12", "Debian GNU/Linux 12 (bookworm)",
	    "6.1.0-17-amd64", FAMILY_DEBIAN, 2023, 1, 0, "/dev/sda1", "ext4",
	    NULL, "ens192", "ens3", "eno1" },
	[OS_SLES12] = { "sles", "12.5", "SUSE Linux Enterprise Server 12 SP5",
	    "4.12.14-122.186-default", FAMILY_SUSE, 2014, 1, 0, "/dev/sda2",
	    "btrfs", NULL, "eth0", "eth0", "eth0" },
};

/* A weighted choice; lists end with PICK_END. */
struct demo_pick {
	int	 what;
	int	 weight;
};
#define PICK_END { -1, 0 }

static const struct demo_pick os_dc[] = { { OS_W2008R2, 1 },
	{ OS_W2012R2, 3 }, { OS_W2016, 4 }, { OS_W2019, 5 }, { OS_W2022, 3 },
	PICK_END };
static const struct demo_pick os_file[] = { { OS_W2008R2, 2 },
	{ OS_W2012R2, 4 }, { OS_W2016, 3 }, { OS_W2019, 2 }, { OS_RHEL7, 1 },
	PICK_END };
static const struct demo_pick os_print[] = { { OS_W2008R2, 3 },
	{ OS_W2012R2, 3 }, { OS_W2016, 2 }, PICK_END };
static const struct demo_pick os_citrix[] = { { OS_W2008R2, 3 },
	{ OS_W2012R2, 4 }, { OS_W2016, 4 }, { OS_W2019, 2 }, PICK_END };
static const struct demo_pick os_sql[] = { { OS_W2008R2, 2 },
	{ OS_W2012R2, 5 }, { OS_W2016, 4 }, { OS_W2019, 4 }, { OS_W2022, 1 },
	PICK_END };
static const struct demo_pick os_db[] = { { OS_RHEL6, 2 }, { OS_RHEL7, 4 },
	{ OS_RHEL8, 3 }, { OS_CENTOS7, 2 }, { OS_SLES12, 2 }, PICK_END };
static const struct demo_pick os_pas[] = { { OS_RHEL6, 3 }, { OS_RHEL7, 3 },
	{ OS_CENTOS7, 1 }, { OS_W2012R2, 1 }, PICK_END };
static const struct demo_pick os_ris[] = { { OS_W2012R2, 3 },
	{ OS_W2016, 2 }, { OS_RHEL7, 1 }, PICK_END };
static const struct demo_pick os_pacs[] = { { OS_W2008R2, 2 },
	{ OS_W2012R2, 3 }, { OS_W2016, 2 }, { OS_RHEL7, 2 }, { OS_CENTOS7, 1 },
	PICK_END };
static const struct demo_pick os_lims[] = { { OS_RHEL6, 3 },
	{ OS_RHEL7, 2 }, { OS_SLES12, 2 }, { OS_W2012R2, 1 }, PICK_END };
static const struct demo_pick os_epr[] = { { OS_RHEL7, 3 }, { OS_RHEL8, 3 },
	{ OS_RHEL9, 1 }, { OS_UBUNTU2004, 1 }, { OS_W2016, 2 }, { OS_W2019, 2 },
	PICK_END };
static const struct demo_pick os_web[] = { { OS_UBUNTU1604, 2 },
	{ OS_UBUNTU1804, 3 }, { OS_UBUNTU2004, 4 }, { OS_UBUNTU2204, 3 },
	{ OS_DEBIAN9, 1 }, { OS_DEBIAN10, 2 }, { OS_DEBIAN11, 2 },
	{ OS_DEBIAN12, 2 }, { OS_CENTOS7, 3 }, { OS_RHEL8, 2 },
	{ OS_W2012R2, 1 }, { OS_W2016, 1 }, PICK_END };
static const struct demo_pick os_app[] = { { OS_W2012R2, 3 },
	{ OS_W2016, 3 }, { OS_W2019, 3 }, { OS_W2022, 2 }, { OS_RHEL7, 3 },
	{ OS_RHEL8, 2 }, { OS_RHEL9, 1 }, { OS_CENTOS7, 2 },
	{ OS_UBUNTU1804, 1 }, { OS_UBUNTU2004, 2 }, { OS_DEBIAN11, 1 },
	PICK_END };
static const struct demo_pick os_backup[] = { { OS_W2012R2, 1 },
	{ OS_W2016, 3 }, { OS_W2019, 3 }, { OS_DEBIAN11, 1 }, { OS_RHEL8, 1 },
	PICK_END };
static const struct demo_pick os_mon[] = { { OS_DEBIAN10, 1 },
	{ OS_DEBIAN11, 2 }, { OS_DEBIAN12, 3 }, { OS_UBUNTU2204, 1 },
	PICK_END };
static const struct demo_pick os_proxy[] = { { OS_UBUNTU1804, 1 },
	{ OS_UBUNTU2004, 2 }, { OS_UBUNTU2204, 2 }, { OS_DEBIAN12, 1 },
	{ OS_CENTOS7, 1 }, PICK_END };
static const struct demo_pick os_wsus[] = { { OS_W2012R2, 2 },
	{ OS_W2016, 2 }, { OS_W2019, 1 }, PICK_END };

#define ROLE_WEB	0x01	/* serves HTTPS: an "https" check */
#define ROLE_NIGHT	0x02	/* busiest at night (backups, updates) */
#define ROLE_SESSIONS	0x04	/* user sessions: processes follow the day */
#define ROLE_LOGS	0x08	/* SQL Server: a log drive L: */

static const struct demo_role {
	const char	*code;		/* in host names */
	int		 weight;	/* share of the estate */
	const struct demo_pick *os;
	int		 physical_pct;
	int		 cpus_log2_lo, cpus_log2_hi;	/* on a VM */
	int		 mem_log2_lo, mem_log2_hi;	/* GiB, on a VM */
	const char	*data_mount;	/* Linux data filesystem, or NULL */
	int		 data_drive;	/* Windows: a D: drive */
	int		 data_log2_lo, data_log2_hi;	/* GiB */
	int		 cpu_busy;	/* daytime CPU use, percent */
	int		 mem_busy;	/* memory in use, percent */
	int		 procs;		/* processes beyond the system's */
	int		 net_kib;	/* typical traffic, KiB/s */
	unsigned	 flags;
} demo_roles[] = {
	{ "dc", 24, os_dc, 20, 1, 2, 2, 3, NULL, 0, 0, 0, 8, 45, 30, 200, 0 },
	{ "fs", 20, os_file, 30, 1, 2, 3, 4, "/srv/data", 1, 10, 13, 6, 50,
	  20, 2000, 0 },
	{ "prt", 10, os_print, 0, 1, 1, 2, 3, NULL, 0, 0, 0, 5, 40, 20, 100,
	  0 },
	{ "ctx", 40, os_citrix, 10, 2, 3, 4, 5, NULL, 0, 0, 0, 35, 65, 250,
	  800, ROLE_SESSIONS },
	{ "sql", 36, os_sql, 35, 2, 4, 5, 7, NULL, 1, 9, 11, 20, 76, 20,
	  1500, ROLE_LOGS },
	{ "db", 20, os_db, 30, 2, 4, 4, 7, "/u01", 0, 8, 10, 18, 72, 80, 1200,
	  0 },
	{ "pas", 14, os_pas, 20, 2, 3, 4, 5, "/u01", 1, 8, 9, 25, 70, 150,
	  600, ROLE_SESSIONS },
	{ "ris", 10, os_ris, 10, 1, 2, 3, 4, NULL, 1, 8, 9, 15, 60, 40, 400,
	  0 },
	{ "pacs", 18, os_pacs, 40, 2, 3, 4, 5, "/data", 1, 12, 14, 20, 60, 60,
	  5000, 0 },
	{ "lims", 12, os_lims, 20, 1, 3, 3, 5, "/u01", 1, 8, 9, 18, 65, 120,
	  400, 0 },
	{ "epr", 22, os_epr, 10, 2, 3, 4, 5, NULL, 0, 0, 0, 25, 65, 100, 900,
	  ROLE_WEB | ROLE_SESSIONS },
	{ "web", 36, os_web, 0, 1, 2, 2, 3, NULL, 0, 0, 0, 10, 45, 60, 700,
	  ROLE_WEB },
	{ "app", 48, os_app, 5, 1, 3, 3, 4, NULL, 0, 0, 0, 15, 55, 60, 400,
	  0 },
	{ "bkp", 14, os_backup, 80, 2, 3, 4, 5, "/backup", 1, 13, 14, 10, 50,
	  40, 3000, ROLE_NIGHT },
	{ "mon", 8, os_mon, 0, 1, 2, 3, 3, NULL, 0, 0, 0, 12, 50, 40, 300,
	  0 },
	{ "prx", 8, os_proxy, 0, 1, 1, 2, 2, NULL, 0, 0, 0, 12, 40, 30, 1500,
	  ROLE_WEB },
	{ "wsus", 6, os_wsus, 0, 1, 2, 3, 3, NULL, 1, 9, 10, 8, 55, 20, 800,
	  ROLE_NIGHT },
};
#define DEMO_NROLES	(sizeof demo_roles / sizeof demo_roles[0])

enum demo_platform { HW_VMWARE, HW_AHV, HW_DELL, HW_HP };

/* DMI sys_vendor and product_name, as the agent reads them. */
static const struct demo_hw {
	const char		*vendor;
	const char		*model;
	enum demo_platform	 platform;
	int			 year_lo, year_hi;	/* when bought */
	int			 storage;	/* the many-disk model */
} demo_hws[] = {
	{ "VMware, Inc.", "VMware Virtual Platform", HW_VMWARE, 0, 0, 0 },
	{ "Nutanix", "AHV", HW_AHV, 0, 0, 0 },
	{ "Dell Inc.", "PowerEdge R620", HW_DELL, 2012, 2014, 0 },
	{ "Dell Inc.", "PowerEdge R630", HW_DELL, 2015, 2017, 0 },
	{ "Dell Inc.", "PowerEdge R640", HW_DELL, 2018, 2023, 0 },
	{ "Dell Inc.", "PowerEdge R740", HW_DELL, 2018, 2023, 1 },
	{ "HP", "ProLiant DL380p Gen8", HW_HP, 2012, 2014, 0 },
	{ "HP", "ProLiant DL380 Gen9", HW_HP, 2015, 2017, 0 },
	{ "HPE", "ProLiant DL380 Gen10", HW_HP, 2018, 2023, 0 },
};
#define DEMO_NHWS	(sizeof demo_hws / sizeof demo_hws[0])

/* What goes wrong, and where: a host at this fraction of the estate, or
 * the next one it can happen to. */
#define P_DISK_FULL	0x01
#define P_LOAD		0x02
#define P_FAILED_UNITS	0x04
#define P_NTP		0x08
#define P_HTTP		0x10
#define P_STALE		0x20
#define P_RENAME	0x40

static const struct demo_problem {
	unsigned	 kind;
	double		 where;
	int64_t		 before_s;	/* STALE: silent from this long before
					   the first start; RENAME: renamed */
} demo_problems[] = {
	{ P_DISK_FULL, 0.031, 0 }, { P_DISK_FULL, 0.187, 0 },
	{ P_DISK_FULL, 0.402, 0 }, { P_DISK_FULL, 0.655, 0 },
	{ P_DISK_FULL, 0.871, 0 },
	{ P_LOAD, 0.243, 0 },
	{ P_FAILED_UNITS, 0.112, 0 }, { P_FAILED_UNITS, 0.538, 0 },
	{ P_FAILED_UNITS, 0.905, 0 },
	{ P_NTP, 0.331, 0 },
	{ P_HTTP, 0.777, 0 },
	{ P_STALE, 0.066, 20 * 60 }, { P_STALE, 0.298, 40 * 60 },
	{ P_STALE, 0.589, 60 * 60 }, { P_STALE, 0.947, 90 * 60 },
	{ P_RENAME, 0.463, 60 * 60 },
};
#define DEMO_NPROBLEMS	(sizeof demo_problems / sizeof demo_problems[0])

static const char *const demo_units_rhel[] = { "kdump.service",
	"rngd.service", "tuned.service", NULL };
static const char *const demo_units_debian[] = { "apt-daily.service",
	"postfix@-.service", "systemd-timesyncd.service", NULL };
static const char *const demo_units_suse[] = { "wicked.service",
	"kdump.service", NULL };

/* ---------------------------------------------------------------- hosts */

struct demo_fs {
	char		 mount[16];
	char		 device[64];
	const char	*fstype;
	double		 size_bytes;
	double		 used_base;	/* percent */
	double		 used_swing;	/* grows this much, then cleaned up */
	int64_t		 cycle_s;	/* every this long */
	int64_t		 phase_s;
	double		 inodes_base;	/* percent; < 0: none (btrfs, NTFS) */
};

struct demo_if {
	char		 name[32];
	int		 index;
	int64_t		 speed_bps;	/* 0: none (virtual) */
	const char	*oper;
	double		 rx_rate, tx_rate;	/* bytes/s, on average */
	double		 rx_packet, tx_packet;	/* bytes per packet */
};

struct demo_host {
	uint64_t		 seed;
	uint64_t		 index;
	char			 agent_id[33];
	char			 name[32];
	char			 fqdn[64];
	char			 old_name[32];	/* before the rename */
	char			 old_fqdn[64];
	const struct demo_site	*site;
	const struct demo_role	*role;
	const struct demo_os	*os;
	const struct demo_hw	*hw;
	char			 serial[64];
	char			 bios_date[16];
	char			 machine_id[40];
	char			 address[16];
	int			 ncpu;
	double			 mem_bytes, swap_bytes;
	double			 cpu_busy, mem_busy, swap_busy;
	int			 procs;
	struct demo_fs		 fs[DEMO_FS_MAX];
	size_t			 nfs;
	size_t			 full_fs;	/* with P_DISK_FULL */
	struct demo_if		 ifs[DEMO_IF_MAX];
	size_t			 nifs;
	int64_t			 patch_cycle_s;	/* reboots; 0: never */
	int64_t			 patch_offset_s;
	int64_t			 old_boot;	/* when never rebooted */
	unsigned		 problems;
	int64_t			 silent_before_s;
	int64_t			 renamed_before_s;
	const char		*failed[2];
	size_t			 nfailed;
	int			 web_bytes;
};

struct demo_estate {
	uint64_t		 seed;
	struct demo_host	*hosts;
	size_t			 n;
	int64_t			 epoch;	/* first start: problems date from it */
	const struct demo_site	*outage;	/* silent from the epoch on */
};

/* Every made-up value is a hash of the seed, the host, what the value is
 * (a tag) and, for values that move, the time: runs agree. */
enum demo_tag {
	TAG_ID, TAG_SITE, TAG_ROLE, TAG_OS, TAG_PHYSICAL, TAG_VENDOR,
	TAG_HWYEAR, TAG_SERIAL, TAG_BIOS, TAG_MACHINE, TAG_CPU, TAG_MEM,
	TAG_SWAP, TAG_PROCS, TAG_FS, TAG_NET, TAG_BOOT, TAG_LOAD, TAG_NTP,
	TAG_HTTP, TAG_UNITS, TAG_VMWARE,
};

static uint64_t
demo_mix(uint64_t x)
{
	/* splitmix64's finaliser */
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

static uint64_t
demo_hash(uint64_t seed, uint64_t host, uint64_t tag, uint64_t k)
{
	uint64_t	 h;

	h = demo_mix(seed ^ UINT64_C(0x9e3779b97f4a7c15));
	h = demo_mix(h ^ (host + UINT64_C(0x632be59bd9b4e019)));
	h = demo_mix(h ^ (tag + UINT64_C(0x85157af5)));
	return demo_mix(h ^ k);
}

/* Uniform in [0, 1). */
static double
demo_unit(const struct demo_host *h, uint64_t tag, uint64_t k)
{
	return (double)(demo_hash(h->seed, h->index, tag, k) >> 11) *
	    (1.0 / 9007199254740992.0);
}

/* Uniform integer in [lo, hi]. */
static int
demo_range(const struct demo_host *h, uint64_t tag, uint64_t k, int lo,
    int hi)
{
	return lo + (int)(demo_hash(h->seed, h->index, tag, k) %
	    (uint64_t)(hi - lo + 1));
}

static int64_t
demo_floor_div(int64_t a, int64_t b)
{
	int64_t	 q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* A value in [0, 1] that wanders: straight lines between random points
 * period_s apart, so its graph looks like a measurement's. */
static double
demo_wander(const struct demo_host *h, uint64_t tag, int64_t t,
    int64_t period_s)
{
	int64_t	 k = demo_floor_div(t, period_s);
	double	 f = (double)(t - k * period_s) / (double)period_s;
	double	 a = demo_unit(h, tag, (uint64_t)k);
	double	 b = demo_unit(h, tag, (uint64_t)(k + 1));

	return a + (b - a) * f;
}

/* How busy a hospital is at t (UTC, near enough to UK time): clinics by
 * day, quiet nights, quieter weekends. 0.25 to 1. */
static double
demo_daytime(int64_t t)
{
	int64_t	 day = demo_floor_div(t, 86400);
	double	 hour = (double)(t - day * 86400) / 3600.0, d;
	int	 wday = (int)((day + 4) % 7);	/* 1970-01-01 was a Thursday */

	if (hour < 6.5 || hour >= 21)
		d = 0;
	else if (hour < 9)
		d = (hour - 6.5) / 2.5;
	else if (hour < 17)
		d = 1;
	else
		d = (21 - hour) / 4;
	if (wday == 0 || wday == 6)
		return 0.25 + 0.3 * d;
	return 0.25 + 0.75 * d;
}

/* Backups and updates run from 22:00 to 04:00. */
static double
demo_night(int64_t t)
{
	int64_t	 day = demo_floor_div(t, 86400);
	double	 hour = (double)(t - day * 86400) / 3600.0;

	if (hour >= 22 || hour < 4)
		return 1;
	if (hour < 6)
		return 1 - 0.4 * (hour - 4);
	return 0.2;
}

static double
demo_activity(const struct demo_host *h, int64_t t)
{
	return (h->role->flags & ROLE_NIGHT) ? demo_night(t) : demo_daytime(t);
}

static double
demo_round_to(double v, double unit)
{
	return floor(v / unit + 0.5) * unit;
}

static double
demo_clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static int
demo_pick_one(const struct demo_pick *p, double u)
{
	double	 x;
	int	 total = 0, i;

	for (i = 0; p[i].what != -1; i++)
		total += p[i].weight;
	x = u * total;
	for (i = 0; p[i + 1].what != -1; i++) {
		if (x < p[i].weight)
			break;
		x -= p[i].weight;
	}
	return p[i].what;
}

static int
demo_is_windows(const struct demo_host *h)
{
	return h->os->family == FAMILY_WINDOWS;
}

static int64_t
demo_boot(const struct demo_host *h, int64_t t)
{
	int64_t	 k;

	if (h->patch_cycle_s == 0)
		return t > h->old_boot ? h->old_boot : t - 86400;
	k = demo_floor_div(t - h->patch_offset_s, h->patch_cycle_s);
	return k * h->patch_cycle_s + h->patch_offset_s;
}

static void
demo_hex(const struct demo_host *h, uint64_t tag, char *out, size_t len)
{
	size_t	 i;

	for (i = 0; i + 1 < len; i += 16)
		snprintf(out + i, len - i, "%016" PRIx64, demo_hash(h->seed,
		    h->index, tag, i));
	out[len - 1] = '\0';
}

static void
demo_guid(const struct demo_host *h, uint64_t tag, char *out, size_t len)
{
	char	 x[33];

	demo_hex(h, tag, x, sizeof x);
	snprintf(out, len, "%.8s-%.4s-%.4s-%.4s-%.12s", x, x + 8, x + 12,
	    x + 16, x + 20);
}

static void
demo_fs_add(struct demo_host *h, const char *mount, const char *device,
    const char *fstype, double size_gib, int used_lo, int used_hi)
{
	struct demo_fs	*fs;
	uint64_t	 k = h->nfs * 16;

	if (h->nfs == DEMO_FS_MAX)
		return;
	fs = &h->fs[h->nfs++];
	str_copy(fs->mount, mount, sizeof fs->mount);
	str_copy(fs->device, device, sizeof fs->device);
	fs->fstype = fstype;
	fs->size_bytes = size_gib * DEMO_GIB;
	fs->used_base = demo_range(h, TAG_FS, k, used_lo, used_hi);
	fs->used_swing = 1 + 7 * demo_unit(h, TAG_FS, k + 1);
	fs->cycle_s = (int64_t)demo_range(h, TAG_FS, k + 2, 1, 30) * 86400;
	fs->phase_s = (int64_t)(demo_unit(h, TAG_FS, k + 3) *
	    (double)fs->cycle_s);
	if (strcmp(fstype, "NTFS") == 0 || strcmp(fstype, "btrfs") == 0)
		fs->inodes_base = -1;
	else
		fs->inodes_base = 1 + 14 * demo_unit(h, TAG_FS, k + 4);
}

/* A Windows volume's name as Win32_Volume.DeviceID gives it. */
static void
demo_volume(const struct demo_host *h, uint64_t k, char *out, size_t len)
{
	char	 guid[40];

	demo_guid(h, TAG_FS + 1000 + k, guid, sizeof guid);
	snprintf(out, len, "\\\\?\\Volume{%s}\\", guid);
}

static void
demo_plan_filesystems(struct demo_host *h)
{
	const struct demo_os	*os = h->os;
	const struct demo_role	*role = h->role;
	char			 dev[64];
	double			 data_gib;

	data_gib = ldexp(1.0, demo_range(h, TAG_FS, 100, role->data_log2_lo,
	    role->data_log2_hi));
	if (os->family == FAMILY_WINDOWS) {
		demo_volume(h, 0, dev, sizeof dev);
		demo_fs_add(h, "C:\\", dev, "NTFS", os->year < 2012 ? 60 :
		    20 * demo_range(h, TAG_FS, 101, 4, 6), 45, 80);
		if (role->data_drive) {
			demo_volume(h, 1, dev, sizeof dev);
			demo_fs_add(h, "D:\\", dev, "NTFS", data_gib, 40, 80);
		}
		if (role->flags & ROLE_LOGS) {
			demo_volume(h, 2, dev, sizeof dev);
			demo_fs_add(h, "L:\\", dev, "NTFS", data_gib / 4, 20,
			    50);
		}
		return;
	}
	demo_fs_add(h, "/", os->root_device, os->root_fstype,
	    os->family == FAMILY_SUSE ? 60 : 10 * demo_range(h, TAG_FS, 102,
	    3, 6), 25, 60);
	if (os->boot_device != NULL)
		demo_fs_add(h, "/boot", os->boot_device, os == &demo_oses[
		    OS_RHEL6] || os->family == FAMILY_DEBIAN ? "ext4" : "xfs",
		    os == &demo_oses[OS_RHEL6] ? 0.5 : 1, 15, 45);
	if (role->data_mount != NULL) {
		if (os->family == FAMILY_DEBIAN)
			demo_fs_add(h, role->data_mount, "/dev/sdb1", "ext4",
			    data_gib, 40, 80);
		else
			demo_fs_add(h, role->data_mount,
			    "/dev/mapper/vg_data-lv_data", os == &demo_oses[
			    OS_RHEL6] ? "ext4" : "xfs", data_gib, 40, 80);
	}
}

static void
demo_plan_hardware(struct demo_host *h)
{
	static const char dell[] = "0123456789BCDFGHJKLMNPQRSTVWXYZ";
	static const char hp[] = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
	const struct demo_hw	*hw;
	enum demo_platform	 want;
	enum demo_trust		 trust = h->site->trust;
	char			 x[33];
	int			 year, i, physical;
	size_t			 j;

	physical = demo_range(h, TAG_PHYSICAL, 0, 0, 99) <
	    h->role->physical_pct;
	if (physical) {
		/* BTUH buys Dell, MEHT HP, Southend both. */
		i = demo_range(h, TAG_VENDOR, 0, 0, 99);
		want = (trust == TRUST_BTUH ? i < 85 : trust == TRUST_MEHT ?
		    i < 15 : i < 50) ? HW_DELL : HW_HP;
		year = h->os->year + demo_range(h, TAG_HWYEAR, 0, 0, 2);
		year = year < 2012 ? 2012 : year > 2023 ? 2023 : year;
		hw = NULL;
		for (j = 0; j < DEMO_NHWS; j++) {
			if (demo_hws[j].platform != want ||
			    year < demo_hws[j].year_lo ||
			    year > demo_hws[j].year_hi)
				continue;
			hw = &demo_hws[j];
			/* Storage-heavy roles get the many-disk model. */
			if (demo_hws[j].storage == (h->role->data_log2_hi > 11))
				break;
		}
		h->hw = hw;
		if (want == HW_DELL) {
			for (i = 0; i < 7; i++)
				h->serial[i] = dell[demo_hash(h->seed,
				    h->index, TAG_SERIAL, (uint64_t)i) %
				    (sizeof dell - 1)];
			h->serial[7] = '\0';
		} else {
			snprintf(h->serial, sizeof h->serial, "CZJ%d%02d",
			    year % 10, demo_range(h, TAG_SERIAL, 99, 1, 52));
			for (i = 0; i < 4; i++)
				h->serial[6 + i] = hp[demo_hash(h->seed,
				    h->index, TAG_SERIAL, (uint64_t)i) %
				    (sizeof hp - 1)];
			h->serial[10] = '\0';
		}
		h->ncpu = (year < 2015 ? 24 : year < 2018 ? 32 : 40) <<
		    demo_range(h, TAG_CPU, 1, 0, 1);
		h->mem_bytes = (year < 2015 ? 96 : year < 2018 ? 128 : 192) *
		    ldexp(1.0, demo_range(h, TAG_MEM, 1, 0, 1)) * DEMO_GIB;
		/* Firmware updated at some point after purchase. */
		year += demo_range(h, TAG_BIOS, 0, 0, 2023 - year < 5 ?
		    2023 - year : 5);
		snprintf(h->bios_date, sizeof h->bios_date, "%d-%02d-%02d",
		    year, demo_range(h, TAG_BIOS, 1, 1, 12),
		    demo_range(h, TAG_BIOS, 2, 1, 28));
		return;
	}

	/* MEHT runs Nutanix AHV beside VMware; the others VMware. */
	if (trust == TRUST_MEHT && demo_range(h, TAG_VENDOR, 1, 0, 99) < 60) {
		h->hw = &demo_hws[1];
		demo_guid(h, TAG_SERIAL, h->serial, sizeof h->serial);
		/* SeaBIOS as QEMU builds it. */
		str_copy(h->bios_date, "2014-04-01", sizeof h->bios_date);
	} else {
		h->hw = &demo_hws[0];
		demo_hex(h, TAG_SERIAL, x, sizeof x);
		snprintf(h->serial, sizeof h->serial, "VMware-42 %.2s %.2s "
		    "%.2s %.2s %.2s %.2s %.2s-%.2s %.2s %.2s %.2s %.2s %.2s "
		    "%.2s %.2s", x + 2, x + 4, x + 6, x + 8, x + 10, x + 12,
		    x + 14, x + 16, x + 18, x + 20, x + 22, x + 24, x + 26,
		    x + 28, x + 30);
		/* The virtual BIOS of ESXi 6.0/6.5 hosts, then 6.7 on. */
		str_copy(h->bios_date, demo_range(h, TAG_VMWARE, 0, 0, 9) < 3 ?
		    "2016-04-05" : "2018-12-12", sizeof h->bios_date);
	}
	h->ncpu = 1 << demo_range(h, TAG_CPU, 1, h->role->cpus_log2_lo,
	    h->role->cpus_log2_hi);
	h->mem_bytes = ldexp(1.0, demo_range(h, TAG_MEM, 1,
	    h->role->mem_log2_lo, h->role->mem_log2_hi)) * DEMO_GIB;
}

static void
demo_plan_network(struct demo_host *h, int host_octet)
{
	const struct demo_os	*os = h->os;
	struct demo_if		*nic;
	const char		*name;
	double			 u;

	snprintf(h->address, sizeof h->address, "10.%u.%u.%u",
	    (unsigned char)h->site->octet,
	    (unsigned char)(10 + (h->role - demo_roles)),
	    (unsigned char)host_octet);
	nic = &h->ifs[h->nifs++];
	switch (h->hw->platform) {
	case HW_VMWARE:
		name = os->nic_vmware;
		nic->speed_bps = INT64_C(10000000000);	/* vmxnet3 */
		break;
	case HW_AHV:
		name = os->nic_ahv;
		break;
	case HW_DELL:
	case HW_HP:
	default:
		if (os->family == FAMILY_WINDOWS)
			name = h->hw->platform == HW_DELL ? "NIC1" :
			    "Embedded LOM 1 Port 1";
		else
			name = os->nic_metal;
		nic->speed_bps = h->hw->year_hi < 2015 ?
		    INT64_C(1000000000) : INT64_C(10000000000);
		break;
	}
	str_copy(nic->name, name, sizeof nic->name);
	nic->index = os->family == FAMILY_WINDOWS ? demo_range(h, TAG_NET, 0,
	    4, 18) : 2;
	nic->oper = "up";
	u = demo_unit(h, TAG_NET, 1);
	nic->rx_rate = h->role->net_kib * 1024.0 * (0.4 + 1.2 * u);
	nic->tx_rate = nic->rx_rate * (0.3 + 1.4 * demo_unit(h, TAG_NET, 2));
	nic->rx_packet = demo_range(h, TAG_NET, 3, 300, 1200);
	nic->tx_packet = demo_range(h, TAG_NET, 4, 300, 1200);
	if (os->family == FAMILY_WINDOWS)
		return;
	nic = &h->ifs[h->nifs++];
	str_copy(nic->name, "lo", sizeof nic->name);
	nic->index = 1;
	nic->oper = "unknown";	/* as the kernel says of lo */
	nic->rx_rate = nic->tx_rate = 1024.0 * demo_range(h, TAG_NET, 5, 2,
	    40);
	nic->rx_packet = nic->tx_packet = 400;
}

/* Does problem p fit host h? */
static int
demo_problem_fits(const struct demo_host *h, unsigned kind)
{
	if (h->problems != 0)
		return 0;
	switch (kind) {
	case P_LOAD:
	case P_NTP:
		return !demo_is_windows(h);
	case P_FAILED_UNITS:
		return h->os->systemd;
	case P_HTTP:
		return !demo_is_windows(h) && (h->role->flags & ROLE_WEB);
	default:
		return 1;
	}
}

static void
demo_plan_problems(struct demo_estate *e)
{
	const struct demo_problem	*p;
	struct demo_host		*h;
	const char *const		*units;
	size_t				 i, j, start, n;

	for (i = 0; i < DEMO_NPROBLEMS; i++) {
		p = &demo_problems[i];
		start = (size_t)(p->where * (double)e->n);
		for (j = 0; j < e->n; j++) {
			h = &e->hosts[(start + j) % e->n];
			if (demo_problem_fits(h, p->kind))
				break;
		}
		if (j == e->n)
			continue;	/* a small estate has fewer problems */
		h->problems = p->kind;
		switch (p->kind) {
		case P_DISK_FULL:
			/* The data drive on Windows, / on Linux, where
			 * check_disk watches it. */
			h->full_fs = demo_is_windows(h) && h->nfs > 1 ? 1 : 0;
			h->fs[h->full_fs].used_base = 90;
			h->fs[h->full_fs].used_swing = 8;
			h->fs[h->full_fs].cycle_s = 2 * 86400;
			break;
		case P_STALE:
			h->silent_before_s = p->before_s;
			break;
		case P_RENAME:
			h->renamed_before_s = p->before_s;
			break;
		case P_FAILED_UNITS:
			units = h->os->family == FAMILY_RHEL ? demo_units_rhel :
			    h->os->family == FAMILY_SUSE ? demo_units_suse :
			    demo_units_debian;
			for (n = 0; units[n] != NULL; n++)
				;
			h->nfailed = 1 + (size_t)demo_range(h, TAG_UNITS, 0,
			    0, 1);
			h->failed[0] = units[demo_range(h, TAG_UNITS, 1, 0,
			    (int)n - 1)];
			h->failed[1] = units[(demo_range(h, TAG_UNITS, 1, 0,
			    (int)n - 1) + 1) % (int)n];
			break;
		default:
			break;
		}
	}
}

static void
demo_plan_host(struct demo_host *h, int (*trust_seq)[DEMO_NROLES],
    int (*site_seq)[DEMO_NROLES])
{
	const struct demo_trust_entry	*trust;
	struct demo_pick		 pick[DEMO_NSITES > DEMO_NROLES ?
					     DEMO_NSITES + 1 : DEMO_NROLES + 1];
	size_t				 i, site, role;
	int				 n, octet;

	for (i = 0; i < DEMO_NSITES; i++)
		pick[i] = (struct demo_pick){ (int)i, demo_sites[i].weight };
	pick[i] = (struct demo_pick)PICK_END;
	site = h->index < DEMO_NSITES ? h->index :
	    (size_t)demo_pick_one(pick, demo_unit(h, TAG_SITE, 0));
	for (i = 0; i < DEMO_NROLES; i++)
		pick[i] = (struct demo_pick){ (int)i, demo_roles[i].weight };
	pick[i] = (struct demo_pick)PICK_END;
	role = (size_t)demo_pick_one(pick, demo_unit(h, TAG_ROLE, 0));

	h->site = &demo_sites[site];
	h->role = &demo_roles[role];
	h->os = &demo_oses[demo_pick_one(h->role->os, demo_unit(h, TAG_OS,
	    0))];
	trust = &demo_trusts[h->site->trust];

	/* Each trust names its servers its own way; numbers count up per
	 * trust and role (per site at MEHT). */
	octet = 10 + site_seq[site][role]++ % 240;
	switch (h->site->trust) {
	case TRUST_BTUH:
		n = ++trust_seq[TRUST_BTUH][role];
		snprintf(h->name, sizeof h->name, "btuh-%s%02d",
		    h->role->code, n);
		break;
	case TRUST_MEHT:
		n = site_seq[site][role];
		snprintf(h->name, sizeof h->name, "meht-%s-%s%02d",
		    h->site->code, h->role->code, n);
		break;
	case TRUST_STH:
	default:
		n = ++trust_seq[TRUST_STH][role];
		snprintf(h->name, sizeof h->name, "sth%s%02d", h->role->code,
		    n);
		break;
	}
	snprintf(h->old_name, sizeof h->old_name, "%s%s%02d", trust->legacy,
	    h->role->code, n);
	snprintf(h->fqdn, sizeof h->fqdn, "%s.%s", h->name, trust->domain);
	snprintf(h->old_fqdn, sizeof h->old_fqdn, "%s.%s", h->old_name,
	    trust->domain);

	demo_hex(h, TAG_ID, h->agent_id, sizeof h->agent_id);
	if (demo_is_windows(h))
		demo_guid(h, TAG_MACHINE, h->machine_id, sizeof h->machine_id);
	else
		demo_hex(h, TAG_MACHINE, h->machine_id, 33);
	demo_plan_hardware(h);
	demo_plan_filesystems(h);
	demo_plan_network(h, octet);

	h->cpu_busy = h->role->cpu_busy * (0.5 + demo_unit(h, TAG_CPU, 2));
	h->mem_busy = demo_clamp(h->role->mem_busy + 20 * (demo_unit(h,
	    TAG_MEM, 2) - 0.5), 10, 95);
	if (!demo_is_windows(h)) {
		h->swap_bytes = ldexp(1.0, demo_range(h, TAG_SWAP, 0, 1, 3)) *
		    DEMO_GIB;
		h->swap_busy = h->mem_busy > 80 ? 10 + 30 * demo_unit(h,
		    TAG_SWAP, 1) : 3 * demo_unit(h, TAG_SWAP, 1);
	}
	h->procs = (demo_is_windows(h) ? 55 : 110) + h->role->procs *
	    (0.7 + 0.6 * demo_unit(h, TAG_PROCS, 0));
	h->web_bytes = demo_range(h, TAG_HTTP, 0, 4000, 60000);

	/* Windows is patched monthly, Linux quarterly; half the legacy
	 * systems have not been restarted in years. */
	if (h->os->legacy && demo_range(h, TAG_BOOT, 0, 0, 1) == 0)
		h->old_boot = DEMO_OLD_BOOT - (int64_t)demo_range(h, TAG_BOOT,
		    1, 0, 300) * 86400;
	else {
		h->patch_cycle_s = (demo_is_windows(h) ? 28 : 91) * 86400;
		h->patch_offset_s = (int64_t)demo_range(h, TAG_BOOT, 2, 0,
		    (int)(h->patch_cycle_s / 86400) - 1) * 86400 + 7200 +
		    demo_range(h, TAG_BOOT, 3, 0, 7199);
	}
}

static void
demo_estate_init(struct demo_estate *e, uint64_t seed, size_t n)
{
	int	 trust_seq[DEMO_NTRUSTS][DEMO_NROLES];
	int	 site_seq[DEMO_NSITES][DEMO_NROLES];
	size_t	 i;

	memset(e, 0, sizeof *e);
	memset(trust_seq, 0, sizeof trust_seq);
	memset(site_seq, 0, sizeof site_seq);
	e->seed = seed;
	e->n = n;
	e->hosts = xcalloc(n, sizeof *e->hosts);
	for (i = 0; i < n; i++) {
		e->hosts[i].seed = seed;
		e->hosts[i].index = i;
		demo_plan_host(&e->hosts[i], trust_seq, site_seq);
	}
	demo_plan_problems(e);
}

static void
demo_estate_free(struct demo_estate *e)
{
	free(e->hosts);
	e->hosts = NULL;
}

static int
demo_host_silent(const struct demo_estate *e, const struct demo_host *h,
    int64_t t)
{
	if (h->site == e->outage && t >= e->epoch)
		return 1;
	return (h->problems & P_STALE) && t >= e->epoch - h->silent_before_s;
}

/* --------------------------------------------------------------- values */

static double
demo_cpu_util(const struct demo_host *h, int64_t t, int64_t period_s)
{
	if (h->problems & P_LOAD)
		return 95 + 5 * demo_wander(h, TAG_CPU, t, period_s);
	return demo_clamp(h->cpu_busy * demo_activity(h, t) * (0.5 + 1.0 *
	    demo_wander(h, TAG_CPU, t, period_s)), 0.3, 100);
}

static double
demo_load(const struct demo_host *h, int64_t t, int64_t period_s)
{
	/* Runaway processes: six on every CPU. */
	if (h->problems & P_LOAD)
		return h->ncpu * (5.5 + 2 * demo_wander(h, TAG_LOAD, t,
		    period_s));
	return h->ncpu * demo_cpu_util(h, t, period_s) / 100.0 *
	    (0.8 + 0.4 * demo_wander(h, TAG_LOAD, t, period_s)) + 0.05;
}

static double
demo_fs_used(const struct demo_host *h, const struct demo_fs *fs,
    int64_t t)
{
	double	 grown;

	grown = (double)((t + fs->phase_s) % fs->cycle_s) / (double)fs->cycle_s;
	return demo_clamp(fs->used_base + fs->used_swing * grown +
	    0.2 * demo_wander(h, TAG_FS + 2000 + (uint64_t)(fs - h->fs), t,
	    600), 0.1, 99.7);
}

/*
 * Traffic follows the day too, and a counter is the integral of its rate:
 * activity summed over a week in quarter hours, so the busy seconds between
 * two instants take two look-ups however long the uptime.
 */
#define DEMO_BUCKET_S		900
#define DEMO_WEEK_S		(7 * 86400)
#define DEMO_WEEK_BUCKETS	(DEMO_WEEK_S / DEMO_BUCKET_S)

static double demo_busy_table[2][DEMO_WEEK_BUCKETS + 1];	/* [night] */

static void
demo_busy_init(void)
{
	int64_t	 b, mid;

	for (b = 0; b < DEMO_WEEK_BUCKETS; b++) {
		mid = b * DEMO_BUCKET_S + DEMO_BUCKET_S / 2;
		demo_busy_table[0][b + 1] = demo_busy_table[0][b] +
		    demo_daytime(mid) * DEMO_BUCKET_S;
		demo_busy_table[1][b + 1] = demo_busy_table[1][b] +
		    demo_night(mid) * DEMO_BUCKET_S;
	}
}

/* Activity-weighted seconds from the epoch to t. */
static double
demo_busy_seconds(const struct demo_host *h, int64_t t)
{
	const double	*cum = demo_busy_table[(h->role->flags & ROLE_NIGHT) ?
			    1 : 0];
	int64_t		 week = demo_floor_div(t, DEMO_WEEK_S);
	int64_t		 in = t - week * DEMO_WEEK_S, b = in / DEMO_BUCKET_S;

	return (double)week * cum[DEMO_WEEK_BUCKETS] + cum[b] +
	    (cum[b + 1] - cum[b]) / DEMO_BUCKET_S *
	    (double)(in - b * DEMO_BUCKET_S);
}

/* What a NIC has counted since boot: the busy-weighted mean rate plus a
 * wander whose slope stays below the quietest rate, so it never goes
 * backwards. */
static double
demo_counter(const struct demo_host *h, uint64_t tag, double mean,
    int64_t boot, int64_t t)
{
	const int64_t	 period_s = 120;

	return mean * (demo_busy_seconds(h, t) - demo_busy_seconds(h, boot)) +
	    0.15 * mean * (double)period_s * (demo_wander(h, tag, t,
	    period_s) - demo_wander(h, tag, boot, period_s));
}

struct demo_counters {
	double	 v[NET_NCOUNTERS];
};

static void
demo_if_counters(const struct demo_host *h, size_t i, int64_t boot,
    int64_t t, struct demo_counters *c)
{
	const struct demo_if	*nic = &h->ifs[i];
	uint64_t		 tag = TAG_NET + 100 * (i + 1);

	c->v[NET_RX_BYTES] = floor(demo_counter(h, tag, nic->rx_rate, boot,
	    t));
	c->v[NET_TX_BYTES] = floor(demo_counter(h, tag + 1, nic->tx_rate,
	    boot, t));
	c->v[NET_RX_PACKETS] = floor(c->v[NET_RX_BYTES] / nic->rx_packet);
	c->v[NET_TX_PACKETS] = floor(c->v[NET_TX_BYTES] / nic->tx_packet);
	c->v[NET_RX_ERRORS] = c->v[NET_TX_ERRORS] = 0;
	c->v[NET_RX_DROPS] = floor(c->v[NET_RX_PACKETS] / 2e6);
	c->v[NET_TX_DROPS] = 0;
}

/* The check_load plugin's verdict and words, thresholds as etc/agent.conf
 * has them: -r -w 4,3,2 -c 8,6,4. */
static void
demo_check_load(struct report *r, const double load[3], int ncpu)
{
	static const double	 warn[3] = { 4, 3, 2 }, crit[3] = { 8, 6, 4 };
	static const char *const words[] = { "OK", "WARNING", "CRITICAL" };
	struct check_result	 res;
	char			 out[256], perf[512];
	double			 s[3];
	int			 i, status = CHECK_OK;

	for (i = 0; i < 3; i++) {
		s[i] = load[i] / ncpu;
		if (s[i] > crit[i])
			status = CHECK_CRITICAL;
		else if (s[i] > warn[i] && status == CHECK_OK)
			status = CHECK_WARNING;
	}
	snprintf(out, sizeof out, "LOAD %s - scaled load average: %.2f, %.2f, "
	    "%.2f - total load average: %.2f, %.2f, %.2f", words[status],
	    s[0], s[1], s[2], load[0], load[1], load[2]);
	snprintf(perf, sizeof perf, "load1=%.3f;;;0; scaled_load1=%.3f;%.3f;"
	    "%.3f;0; load5=%.3f;;;0; scaled_load5=%.3f;%.3f;%.3f;0; "
	    "load15=%.3f;;;0; scaled_load15=%.3f;%.3f;%.3f;0;", load[0], s[0],
	    warn[0], crit[0], load[1], s[1], warn[1], crit[1], load[2], s[2],
	    warn[2], crit[2]);
	res.status = status;
	res.output = out;
	res.perfdata = perf;
	check_report(r, "load", &res);
}

/* check_disk -w 15% -c 5% -p /, as monitoring-plugins 2.3 words it. */
static void
demo_check_disk(struct report *r, const struct demo_fs *fs, double used,
    double inodes)
{
	struct check_result	 res;
	char			 out[256], perf[256];
	double			 free_pct = 100 - used;
	uint64_t		 size = (uint64_t)fs->size_bytes;

	res.status = free_pct < 5 ? CHECK_CRITICAL : free_pct < 15 ?
	    CHECK_WARNING : CHECK_OK;
	snprintf(out, sizeof out, "DISK %s - free space: %s %.0fMiB (%.0f%% "
	    "inode=%.0f%%);", res.status == CHECK_OK ? "OK" : res.status ==
	    CHECK_WARNING ? "WARNING" : "CRITICAL", fs->mount,
	    floor(fs->size_bytes * free_pct / 100 / 1048576), floor(free_pct),
	    inodes < 0 ? 100 : floor(100 - inodes));
	snprintf(perf, sizeof perf, "%s=%" PRIu64 "B;%" PRIu64 ";%" PRIu64
	    ";0;%" PRIu64, fs->mount, (uint64_t)(fs->size_bytes * used / 100),
	    (uint64_t)((double)size * 0.85), (uint64_t)((double)size * 0.95),
	    size);
	res.output = out;
	res.perfdata = perf;
	check_report(r, "disk_root", &res);
}

/* check_ntp_time -H <site NTP server>, defaults -w 60 -c 120. */
static void
demo_check_ntp(struct report *r, const struct demo_host *h, int64_t t)
{
	struct check_result	 res;
	char			 out[128], perf[128];
	double			 offset;

	if (h->problems & P_NTP)	/* chronyd stopped weeks ago */
		offset = 180 + 30 * demo_wander(h, TAG_NTP, t, 3600);
	else
		offset = (demo_wander(h, TAG_NTP, t, 300) - 0.5) * 0.008;
	res.status = fabs(offset) > 120 ? CHECK_CRITICAL : fabs(offset) > 60 ?
	    CHECK_WARNING : CHECK_OK;
	snprintf(out, sizeof out, "NTP %s: Offset %.10g secs", res.status ==
	    CHECK_OK ? "OK" : res.status == CHECK_WARNING ? "WARNING" :
	    "CRITICAL", offset);
	snprintf(perf, sizeof perf, "offset=%fs;60.000000;120.000000;",
	    offset);
	res.output = out;
	res.perfdata = perf;
	check_report(r, "ntp", &res);
}

/* check_http -S -H localhost: the host's own web front end. */
static void
demo_check_https(struct report *r, const struct demo_host *h, int64_t t)
{
	struct check_result	 res;
	char			 out[256], perf[256];
	double			 secs;
	int			 bytes;

	secs = 0.005 + 0.15 * demo_activity(h, t) * demo_wander(h, TAG_HTTP,
	    t, 300);
	if (h->problems & P_HTTP) {
		res.status = CHECK_CRITICAL;
		bytes = 389;
		snprintf(out, sizeof out, "HTTP CRITICAL: HTTP/1.1 503 Service "
		    "Unavailable - %d bytes in %.3f second response time",
		    bytes, secs);
	} else {
		res.status = CHECK_OK;
		bytes = h->web_bytes;
		snprintf(out, sizeof out, "HTTP OK: HTTP/1.1 200 OK - %d bytes "
		    "in %.3f second response time", bytes, secs);
	}
	snprintf(perf, sizeof perf, "time=%fs;;;0.000000;10.000000 "
	    "size=%dB;;;0;", secs, bytes);
	res.output = out;
	res.perfdata = perf;
	check_report(r, "https", &res);
}

static void
demo_host_identity(struct report *r, const struct demo_estate *e,
    const struct demo_host *h, int64_t t)
{
	int	 renamed = !(h->problems & P_RENAME) ||
		    t >= e->epoch - h->renamed_before_s;

	report_host_set(r, "name", renamed ? h->name : h->old_name);
	report_host_set(r, "fqdn", renamed ? h->fqdn : h->old_fqdn);
	report_host_set(r, "datacentre", h->site->id);
	report_host_set(r, "kind", "server");
	report_host_set(r, "machine_id", h->machine_id);
	report_host_set(r, "vendor", h->hw->vendor);
	report_host_set(r, "model", h->hw->model);
	report_host_set(r, "serial", h->serial);
	report_host_set(r, "bios_date", h->bios_date);
	report_os_set(r, "id", h->os->id);
	report_os_set(r, "version_id", h->os->version_id);
	report_os_set(r, "pretty_name", h->os->pretty_name);
	report_os_set(r, "kernel", h->os->kernel);
	report_os_set(r, "arch", "x86_64");
	json_object_set_new(r->host, "addresses", json_pack("[s]",
	    h->address));
	report_host_set_int(r, "uptime_s", t - demo_boot(h, t));
}

/* Metrics named, labelled and ordered as ward-agent's collectors make
 * them; a Windows host has no load average, swap or inode counts. */
static void
demo_host_metrics(struct report *r, const struct demo_host *h, int64_t t,
    int64_t interval_s, double load[3])
{
	static const char *const metric[NET_NCOUNTERS] = {
		"net.rx_bytes_per_s", "net.rx_packets_per_s",
		"net.rx_errors_per_s", "net.rx_drops_per_s",
		"net.tx_bytes_per_s", "net.tx_packets_per_s",
		"net.tx_errors_per_s", "net.tx_drops_per_s",
	};
	static const char *const unit[NET_NCOUNTERS] = {
		"bytes/s", "packets/s", "errors/s", "packets/s",
		"bytes/s", "packets/s", "errors/s", "packets/s",
	};
	const struct demo_fs	*fs;
	struct demo_counters	 now, then;
	double			 used, avail, act = demo_activity(h, t), v;
	int64_t			 boot = demo_boot(h, t);
	size_t			 i, k;

	report_metric(r, "cpu.count", h->ncpu, NULL, NULL);
	report_metric(r, "cpu.util", demo_round_to(demo_cpu_util(h, t,
	    300), 0.01), "percent", NULL);
	load[0] = demo_round_to(demo_load(h, t, 300), 0.01);
	load[1] = demo_round_to(demo_load(h, t, 900), 0.01);
	load[2] = demo_round_to(demo_load(h, t, 2700), 0.01);
	if (!demo_is_windows(h)) {
		report_metric(r, "load.1", load[0], NULL, NULL);
		report_metric(r, "load.5", load[1], NULL, NULL);
		report_metric(r, "load.15", load[2], NULL, NULL);
	}

	used = demo_clamp(h->mem_busy + 6 * act + 4 * (demo_wander(h,
	    TAG_MEM, t, 600) - 0.5), 5, 99);
	avail = floor(h->mem_bytes * (100 - used) / 100 / 4096) * 4096;
	report_metric(r, "mem.total_bytes", h->mem_bytes, "bytes", NULL);
	report_metric(r, "mem.available_bytes", avail, "bytes", NULL);
	report_metric(r, "mem.used_pct", demo_round_to(100 * (h->mem_bytes -
	    avail) / h->mem_bytes, 0.01), "percent", NULL);
	if (!demo_is_windows(h)) {
		report_metric(r, "swap.total_bytes", h->swap_bytes, "bytes",
		    NULL);
		report_metric(r, "swap.used_pct", demo_round_to(h->swap_busy *
		    (0.9 + 0.2 * demo_wander(h, TAG_SWAP, t, 1800)), 0.01),
		    "percent", NULL);
	}

	for (i = 0; i < h->nfs; i++) {
		fs = &h->fs[i];
		used = demo_fs_used(h, fs, t);
		report_metric(r, "fs.size_bytes", fs->size_bytes, "bytes",
		    "mount", fs->mount, "fstype", fs->fstype, "device",
		    fs->device, NULL);
		report_metric(r, "fs.used_pct", demo_round_to(used, 0.01),
		    "percent", "mount", fs->mount, "fstype", fs->fstype,
		    "device", fs->device, NULL);
		if (fs->inodes_base >= 0)
			report_metric(r, "fs.inodes_used_pct", demo_round_to(
			    fs->inodes_base + used / 20, 0.01), "percent",
			    "mount", fs->mount, "fstype", fs->fstype, "device",
			    fs->device, NULL);
	}

	/* Rates over the agent's interval, none across a reboot. */
	for (i = 0; i < h->nifs; i++) {
		if (t - interval_s < boot)
			break;
		demo_if_counters(h, i, boot, t, &now);
		demo_if_counters(h, i, boot, t - interval_s, &then);
		for (k = 0; k < NET_NCOUNTERS; k++) {
			v = (now.v[k] - then.v[k]) / (double)interval_s;
			report_metric(r, metric[k], demo_round_to(v, v < 100 ?
			    0.01 : 1), unit[k], "iface", h->ifs[i].name, NULL);
		}
	}

	v = h->procs * ((h->role->flags & ROLE_SESSIONS) ? 0.4 + 0.6 * act :
	    1) + 10 * demo_wander(h, TAG_PROCS, t, 300);
	report_metric(r, "procs.count", floor(v), NULL, NULL);
}

static void
demo_host_checks(struct report *r, const struct demo_host *h, int64_t t,
    const double load[3])
{
	const struct demo_fs	*fs = &h->fs[0];
	double			 used;
	size_t			 i;
	char			 out[256];

	if (demo_is_windows(h))
		return;
	if (h->os->systemd) {
		report_metric(r, "systemd.failed_units", (double)h->nfailed,
		    NULL, NULL);
		if (h->nfailed == 0)
			str_copy(out, "no failed units", sizeof out);
		else {
			snprintf(out, sizeof out, "%zu failed unit%s:",
			    h->nfailed, h->nfailed == 1 ? "" : "s");
			for (i = 0; i < h->nfailed; i++) {
				str_append(out, i == 0 ? " " : ", ",
				    sizeof out);
				str_append(out, h->failed[i], sizeof out);
			}
		}
		report_check(r, "systemd_failed_units", h->nfailed == 0 ?
		    CHECK_OK : CHECK_CRITICAL, out, NULL);
	}
	demo_check_load(r, load, h->ncpu);
	used = demo_fs_used(h, fs, t);
	demo_check_disk(r, fs, used, fs->inodes_base < 0 ? -1 :
	    fs->inodes_base + used / 20);
	demo_check_ntp(r, h, t);
	if (h->role->flags & ROLE_WEB)
		demo_check_https(r, h, t);
}

static void
demo_host_interfaces(struct report *r, const struct demo_host *h,
    int64_t t)
{
	struct demo_counters	 c;
	const struct demo_if	*nic;
	json_t			*o;
	size_t			 i;

	for (i = 0; i < h->nifs; i++) {
		nic = &h->ifs[i];
		demo_if_counters(h, i, demo_boot(h, t), t, &c);
		o = json_object();
		json_object_set_new(o, "name", json_string(nic->name));
		json_object_set_new(o, "index", json_integer(nic->index));
		json_object_set_new(o, "oper", json_string(nic->oper));
		json_object_set_new(o, "admin", json_string("up"));
		if (nic->speed_bps > 0)
			json_object_set_new(o, "speed_bps",
			    json_integer(nic->speed_bps));
		json_object_set_new(o, "in_octets",
		    json_integer((json_int_t)c.v[NET_RX_BYTES]));
		json_object_set_new(o, "in_errors",
		    json_integer((json_int_t)c.v[NET_RX_ERRORS]));
		json_object_set_new(o, "in_discards",
		    json_integer((json_int_t)c.v[NET_RX_DROPS]));
		json_object_set_new(o, "out_octets",
		    json_integer((json_int_t)c.v[NET_TX_BYTES]));
		json_object_set_new(o, "out_errors",
		    json_integer((json_int_t)c.v[NET_TX_ERRORS]));
		json_object_set_new(o, "out_discards",
		    json_integer((json_int_t)c.v[NET_TX_DROPS]));
		report_interface(r, o);
	}
}

/* One host's report at t (Unix seconds), built with the agent's own report
 * module. seq is t: it grows across restarts with nothing saved. */
static json_t *
demo_host_report(const struct demo_estate *e, const struct demo_host *h,
    int64_t t, int64_t interval_s)
{
	struct report		*r = report_new();
	struct report_meta	 meta;
	double			 load[3];
	json_t			*doc;

	demo_host_identity(r, e, h, t);
	demo_host_metrics(r, h, t, interval_s, load);
	demo_host_checks(r, h, t, load);
	demo_host_interfaces(r, h, t);
	memset(&meta, 0, sizeof meta);
	meta.agent_id = h->agent_id;
	meta.seq = t;
	meta.ts_ms = t * 1000;
	meta.interval_s = interval_s;
	doc = report_to_json(r, &meta);
	report_free(r);
	return doc;
}

/* -------------------------------------------------------------- sending */

struct demo_state {
	int64_t	 epoch;	/* when the estate was first started */
	int64_t	 last;	/* the last round acknowledged; 0: none */
};

struct demo {
	const struct demo_config *cfg;
	struct demo_estate	 estate;
	struct http_client	*http;
	char			*reports_url;
	struct demo_state	 state;
	int64_t			 interval_s;
	int64_t			 step_s;
	int64_t			 history_s;
	/* counted over one catch-up */
	size_t			 rounds, sent, accepted, duplicates, silent;
	struct log_complain	 complain;
};

static int
demo_state_load(const char *path, struct demo_state *st, char *err,
    size_t errlen)
{
	FILE		*fp;
	char		 line[128], key[16], why[128];
	long long	 v;
	int		 lineno = 0;

	memset(st, 0, sizeof *st);
	if (path == NULL)
		return 0;
	if ((fp = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, fp) != NULL) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%15s %lld", key, &v) != 2 || v < 0 ||
		    (strcmp(key, "epoch") != 0 && strcmp(key, "last") != 0)) {
			str_vis(why, sizeof why, line);
			snprintf(err, errlen, "%s:%d: expected \"epoch N\" or "
			    "\"last N\", got \"%s\" (remove the file to start "
			    "afresh)", path, lineno, str_trim(why));
			fclose(fp);
			return -1;
		}
		if (strcmp(key, "epoch") == 0)
			st->epoch = v;
		else
			st->last = v;
	}
	fclose(fp);
	return 0;
}

static int
demo_state_save(const char *path, const struct demo_state *st, char *err,
    size_t errlen)
{
	char	*tmp;
	FILE	*fp;
	int	 fd;

	if (path == NULL)
		return 0;
	xasprintf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1 || (fp = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: cannot create: %s", tmp,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		free(tmp);
		return -1;
	}
	if (fprintf(fp, "# ward-demo: the estate's first start and the last "
	    "round acknowledged\nepoch %" PRId64 "\nlast %" PRId64 "\n",
	    st->epoch, st->last) < 0 || fflush(fp) != 0 ||
	    fsync(fileno(fp)) != 0) {
		snprintf(err, errlen, "%s: cannot write: %s", tmp,
		    strerror(errno));
		fclose(fp);
		goto fail;
	}
	if (fclose(fp) != 0 || rename(tmp, path) == -1) {
		snprintf(err, errlen, "%s: cannot write: %s", path,
		    strerror(errno));
		goto fail;
	}
	free(tmp);
	return 0;

fail:
	unlink(tmp);
	free(tmp);
	return -1;
}

/* Says why the collector refused a request, with what it said. */
static void
demo_refused(const struct demo *d, const struct http_response *resp,
    char *err, size_t errlen)
{
	json_t		*doc;
	const char	*said = NULL, *hint;
	char		 vis[512];

	doc = json_loadb(buf_cstr(&resp->body), resp->body.len, 0, NULL);
	if (doc != NULL)
		said = json_string_value(json_object_get(doc, "error"));
	str_vis(vis, sizeof vis, said != NULL ? said : buf_cstr(&resp->body));
	json_decref(doc);
	switch (resp->status) {
	case 401:
		hint = "the collector does not know the token in token_file "
		    "(never added, revoked, or another collector's)";
		break;
	case 403:
		hint = "the token in token_file does not have the agent role";
		break;
	case 413:
		hint = "the request was too large for the collector: lower "
		    "[demo] batch";
		break;
	case 400:
		hint = "the collector refused a report";
		break;
	default:
		hint = resp->status >= 500 ? "the collector could not store "
		    "the reports" : "unexpected answer";
		break;
	}
	snprintf(err, errlen, "POST %s: HTTP %ld: %s: %s", d->reports_url,
	    resp->status, hint, vis[0] != '\0' ? vis : "(no message)");
}

/* Sends one array of reports; 0 when the collector acknowledged all. */
static int
demo_post(struct demo *d, json_t *batch, char *err, size_t errlen)
{
	struct http_request	 req;
	struct http_response	 resp;
	json_t			*doc;
	json_int_t		 accepted, duplicates;
	size_t			 n = json_array_size(batch);
	char			*body;
	int			 rc = -1;

	if ((body = json_dumps(batch, JSON_COMPACT |
	    JSON_REAL_PRECISION(10))) == NULL)
		fatalx("demo_post: out of memory");
	memset(&req, 0, sizeof req);
	req.method = "POST";
	req.url = d->reports_url;
	req.body = body;
	req.body_len = strlen(body);
	req.content_type = "application/json";
	req.bearer_token = d->cfg->collector.token;
	if (http_do(d->http, &req, &resp, err, errlen) == -1) {
		free(body);
		return -1;
	}
	free(body);
	if (resp.status != 200) {
		demo_refused(d, &resp, err, errlen);
		goto done;
	}
	doc = json_loadb(buf_cstr(&resp.body), resp.body.len, 0, NULL);
	accepted = json_integer_value(json_object_get(doc, "accepted"));
	duplicates = json_integer_value(json_object_get(doc, "duplicates"));
	json_decref(doc);
	if (accepted < 0 || duplicates < 0 ||
	    (size_t)(accepted + duplicates) != n) {
		snprintf(err, errlen, "POST %s: the collector acknowledged "
		    "%lld of %zu reports", d->reports_url,
		    (long long)(accepted + duplicates), n);
		goto done;
	}
	d->sent += n;
	d->accepted += (size_t)accepted;
	d->duplicates += (size_t)duplicates;
	rc = 0;
done:
	http_response_free(&resp);
	return rc;
}

/* Every host's report at t, in batches. */
static int
demo_round(struct demo *d, int64_t t, char *err, size_t errlen)
{
	const struct demo_host	*h;
	json_t			*batch = json_array();
	size_t			 i;
	int			 rc = 0;

	d->silent = 0;
	for (i = 0; i < d->estate.n && rc == 0; i++) {
		h = &d->estate.hosts[i];
		if (demo_host_silent(&d->estate, h, t)) {
			d->silent++;
			continue;
		}
		json_array_append_new(batch, demo_host_report(&d->estate, h, t,
		    d->interval_s));
		if (json_array_size(batch) == (size_t)d->cfg->demo.batch) {
			rc = demo_post(d, batch, err, errlen);
			json_array_clear(batch);
			if (rc == 0 && daemon_stop_requested()) {
				snprintf(err, errlen, "stopped");
				rc = -1;
			}
		}
	}
	if (rc == 0 && json_array_size(batch) > 0)
		rc = demo_post(d, batch, err, errlen);
	json_decref(batch);
	if (rc == 0) {
		d->rounds++;
		d->state.last = t;
		if (demo_state_save(d->cfg->demo.state_file, &d->state, err,
		    errlen) == -1)
			rc = -1;
	}
	return rc;
}

static const char *
demo_time(int64_t t, char *buf, size_t len)
{
	return wtime_format_iso8601(buf, len, t * 1000);
}

/*
 * Fills the history back to the last acknowledged round (at most history
 * back), one round per history_step, oldest first, then sends the round
 * for now. Stops at the first failure; the next call starts again from
 * the last acknowledged round.
 */
static int
demo_catch_up(struct demo *d, int64_t now, char *err, size_t errlen)
{
	int64_t	 from, t, rounds, started = wtime_mono_ms();
	char	 when[WTIME_ISO8601_LEN], step[32];

	d->rounds = d->sent = d->accepted = d->duplicates = d->silent = 0;
	if (d->history_s > 0) {
		from = now - d->history_s;
		if (d->state.last > 0 && d->state.last + d->interval_s > from)
			from = d->state.last + d->interval_s;
		from = (demo_floor_div(from - 1, d->step_s) + 1) * d->step_s;
		rounds = from <= now - d->interval_s ? (now - d->interval_s -
		    from) / d->step_s + 1 : 0;
		if (rounds > 0)
			log_info("filling history: %" PRId64 " round%s, one "
			    "every %s from %s", rounds, rounds == 1 ? "" : "s",
			    str_format_duration_ms(step, sizeof step,
			    d->step_s * 1000), demo_time(from, when,
			    sizeof when));
		for (t = from; t <= now - d->interval_s; t += d->step_s) {
			if (demo_round(d, t, err, errlen) == -1)
				return -1;
			log_debug("round %s: acknowledged",
			    demo_time(t, when, sizeof when));
		}
	}
	/* A clock stepped back must not reuse a sequence number. */
	if (now <= d->state.last) {
		if (d->state.last - now > 5) {
			snprintf(err, errlen, "the clock is %" PRId64 " s "
			    "behind the last round acknowledged (%s); not "
			    "reusing its sequence numbers", d->state.last - now,
			    demo_time(d->state.last, when, sizeof when));
			return -1;
		}
		wtime_sleep_ms((d->state.last - now + 1) * 1000);
		now = d->state.last + 1;
	}
	if (demo_round(d, now, err, errlen) == -1)
		return -1;
	log_info("%s: %zu report%s acknowledged (%zu new, %zu duplicate%s) "
	    "in %zu round%s, %.1f s; %zu silent (stale or cut off)",
	    demo_time(now, when, sizeof when), d->sent, d->sent == 1 ? "" : "s",
	    d->accepted, d->duplicates, d->duplicates == 1 ? "" : "s",
	    d->rounds, d->rounds == 1 ? "" : "s",
	    (double)(wtime_mono_ms() - started) / 1000.0, d->silent);
	return 0;
}

static int
demo_print(struct demo *d, const char *at)
{
	int64_t		 t_ms;
	char		 err[256], *s;
	size_t		 i, n = 0;
	json_t		*doc;

	if (at != NULL) {
		if (wtime_parse_iso8601(at, &t_ms, err, sizeof err) == -1) {
			fprintf(stderr, "ward-demo: --at \"%s\": %s\n", at,
			    err);
			return WARD_EXIT_USAGE;
		}
		/* A report's seq is its second, and must be at least 1. */
		if (t_ms < 1000) {
			fprintf(stderr, "ward-demo: --at \"%s\": before "
			    "1970-01-01T00:00:01Z, where a report's sequence "
			    "number would not be positive\n", at);
			return WARD_EXIT_USAGE;
		}
	} else
		t_ms = wtime_now_ms();
	if (d->estate.epoch == 0)
		d->estate.epoch = t_ms / 1000;
	printf("[");
	for (i = 0; i < d->estate.n; i++) {
		if (demo_host_silent(&d->estate, &d->estate.hosts[i],
		    t_ms / 1000))
			continue;
		doc = demo_host_report(&d->estate, &d->estate.hosts[i],
		    t_ms / 1000, d->interval_s);
		if ((s = json_dumps(doc, JSON_COMPACT |
		    JSON_REAL_PRECISION(10))) == NULL)
			fatalx("demo_print: out of memory");
		printf("%s\n%s", n++ == 0 ? "" : ",", s);
		free(s);
		json_decref(doc);
	}
	printf("\n]\n");
	if (fflush(stdout) != 0) {
		log_error("cannot write the reports to standard output");
		return WARD_EXIT_FAILURE;
	}
	return WARD_EXIT_OK;
}

/* What goes wrong with h, in words; "-" when nothing does. */
static void
demo_problem_words(const struct demo_estate *e, const struct demo_host *h,
    char *buf, size_t len)
{
	static const struct {
		unsigned	 kind;
		const char	*word;
	} words[] = {
		{ P_DISK_FULL, "disk-full" }, { P_LOAD, "load" },
		{ P_FAILED_UNITS, "failed-units" }, { P_NTP, "ntp" },
		{ P_HTTP, "http-503" }, { P_STALE, "stale" },
		{ P_RENAME, "renamed-from:" },
	};
	size_t	 i;

	buf[0] = '\0';
	for (i = 0; i < sizeof words / sizeof words[0]; i++) {
		if (!(h->problems & words[i].kind))
			continue;
		if (buf[0] != '\0')
			str_append(buf, ",", len);
		str_append(buf, words[i].word, len);
		if (words[i].kind == P_RENAME)
			str_append(buf, h->old_name, len);
	}
	if (h->site == e->outage) {
		if (buf[0] != '\0')
			str_append(buf, ",", len);
		str_append(buf, "outage", len);
	}
	if (buf[0] == '\0')
		str_copy(buf, "-", len);
}

/* The estate, one host a line, tab-separated, for people and scripts
 * (quickstart writes each datacentre's [parent] section from it). */
static int
demo_list(const struct demo *d)
{
	const struct demo_host	*h;
	char			 problems[128];
	size_t			 i;

	for (i = 0; i < d->estate.n; i++) {
		h = &d->estate.hosts[i];
		demo_problem_words(&d->estate, h, problems, sizeof problems);
		printf("%s\t%s\t%s\t%s\t%s\t%s\n", h->name, h->site->id,
		    h->role->code, h->os->pretty_name, problems, h->agent_id);
	}
	if (fflush(stdout) != 0) {
		log_error("cannot write the list to standard output");
		return WARD_EXIT_FAILURE;
	}
	return WARD_EXIT_OK;
}

static void
demo_log_estate(const struct demo *d)
{
	size_t	 per_site[DEMO_NSITES], i, windows = 0;
	char	 line[512], part[64];

	memset(per_site, 0, sizeof per_site);
	for (i = 0; i < d->estate.n; i++) {
		per_site[d->estate.hosts[i].site - demo_sites]++;
		windows += demo_is_windows(&d->estate.hosts[i]);
	}
	line[0] = '\0';
	for (i = 0; i < DEMO_NSITES; i++) {
		snprintf(part, sizeof part, "%s%s %zu", i == 0 ? "" : ", ",
		    demo_sites[i].name, per_site[i]);
		str_append(line, part, sizeof line);
	}
	log_info("simulating %zu servers (%zu Windows, %zu Linux), seed %"
	    PRId64 ": %s", d->estate.n, windows, d->estate.n - windows,
	    d->cfg->demo.seed, line);
	if (d->estate.outage != NULL)
		log_info("outage: %s is cut off; its %zu servers are silent "
		    "from the estate's first start on", d->estate.outage->id,
		    per_site[d->estate.outage - demo_sites]);
}

static int
demo_run(struct demo *d, const struct cli *cli, int once)
{
	struct http_client_options	 opts;
	char				 err[1024], wait[32];
	int64_t				 next, mono, now;
	int				 rc = WARD_EXIT_FAILURE;

	memset(&opts, 0, sizeof opts);
	opts.ca_file = d->cfg->collector.ca_file;
	opts.timeout_ms = d->cfg->collector.timeout;
	opts.user_agent = "ward-demo/" PACKAGE_VERSION;
	if ((d->http = http_client_new(&opts, err, sizeof err)) == NULL) {
		log_error("%s", err);
		return WARD_EXIT_FAILURE;
	}
	if (daemon_signals_init(err, sizeof err) == -1)
		goto fail;
	if (!once && !cli->foreground && daemon_detach(err, sizeof err) == -1)
		goto fail;
	if (!once && d->cfg->daemon.pidfile != NULL && daemon_pidfile_create(
	    d->cfg->daemon.pidfile, err, sizeof err) == -1)
		goto fail;
	if (daemon_drop_privileges(d->cfg->daemon.user, err, sizeof err) == -1)
		goto fail;
	if (demo_state_load(d->cfg->demo.state_file, &d->state, err,
	    sizeof err) == -1)
		goto fail;
	now = wtime_now_ms() / 1000;
	if (d->state.epoch == 0) {
		d->state.epoch = now;
		if (demo_state_save(d->cfg->demo.state_file, &d->state, err,
		    sizeof err) == -1)
			goto fail;
	}
	d->estate.epoch = d->state.epoch;
	demo_log_estate(d);

	if (once) {
		if (demo_catch_up(d, now, err, sizeof err) == -1)
			goto fail;
		rc = WARD_EXIT_OK;
		goto done;
	}

	str_format_duration_ms(wait, sizeof wait, d->interval_s * 1000);
	next = wtime_mono_ms();
	while (!daemon_stop_requested()) {
		if (demo_catch_up(d, wtime_now_ms() / 1000, err,
		    sizeof err) == 0)
			log_release(&d->complain, LOG_LEVEL_INFO, "the "
			    "collector acknowledges reports again");
		else if (!daemon_stop_requested())
			log_complain(&d->complain, LOG_LEVEL_ERROR, "%s; "
			    "trying again every %s", err, wait);
		next += d->interval_s * 1000;
		mono = wtime_mono_ms();
		/* A round that overran skips ticks rather than bunching. */
		if (next < mono)
			next = mono + d->interval_s * 1000;
		while (!daemon_stop_requested() && (mono = wtime_mono_ms()) <
		    next) {
			daemon_sleep_ms(next - mono);
			if (daemon_reload_requested())
				log_info("reload: nothing to reload; restart "
				    "to apply configuration changes");
		}
	}
	log_info("stopping");
	rc = WARD_EXIT_OK;
	goto done;

fail:
	log_error("%s", err);
done:
	daemon_pidfile_remove();
	http_client_free(d->http);
	d->http = NULL;
	return rc;
}

int
main(int argc, char **argv)
{
	struct demo_config	 cfg;
	struct demo		 d;
	struct cli		 cli;
	const char		*url;
	char			 err[256];
	size_t			 len;
	int			 rc;

	memset(&cfg, 0, sizeof cfg);
	if ((rc = cli_start(&demo_program, argc, argv, &cli, &cfg)) != -1)
		return rc;
	if (cli.argc > 0) {
		fprintf(stderr, "ward-demo: unexpected \"%s\"\nTry 'ward-demo "
		    "--help' for more.\n", cli.argv[0]);
		cfg_free(&demo_schema, &cfg);
		return WARD_EXIT_USAGE;
	}
	if (cli_extra(&demo_program, &cli, "list") != NULL &&
	    (cli_extra(&demo_program, &cli, "print") != NULL ||
	    cli_extra(&demo_program, &cli, "once") != NULL)) {
		fprintf(stderr, "ward-demo: --list goes alone\nTry "
		    "'ward-demo --help' for more.\n");
		cfg_free(&demo_schema, &cfg);
		return WARD_EXIT_USAGE;
	}
	if (cli_extra(&demo_program, &cli, "at") != NULL &&
	    cli_extra(&demo_program, &cli, "print") == NULL) {
		fprintf(stderr, "ward-demo: --at goes with --print\nTry "
		    "'ward-demo --help' for more.\n");
		cfg_free(&demo_schema, &cfg);
		return WARD_EXIT_USAGE;
	}

	memset(&d, 0, sizeof d);
	d.cfg = &cfg;
	d.interval_s = cfg.demo.interval / 1000;
	d.step_s = cfg.demo.history_step / 1000;
	d.history_s = cfg.demo.history / 1000;
	url = cfg.collector.url;
	for (len = strlen(url); len > 0 && url[len - 1] == '/'; len--)
		;
	xasprintf(&d.reports_url, "%.*s%s", (int)len, url, DEMO_REPORTS_PATH);
	demo_busy_init();
	demo_estate_init(&d.estate, (uint64_t)cfg.demo.seed,
	    (size_t)cfg.demo.hosts);
	if (cfg.demo.outage != NULL)
		d.estate.outage = &demo_sites[demo_site_index(cfg.demo.outage)];

	if (cli_extra(&demo_program, &cli, "list") != NULL)
		rc = demo_list(&d);
	else if (cli_extra(&demo_program, &cli, "print") != NULL)
		rc = demo_print(&d, cli_extra(&demo_program, &cli, "at"));
	else if (http_global_init(err, sizeof err) == -1) {
		log_error("%s", err);
		rc = WARD_EXIT_FAILURE;
	} else {
		rc = demo_run(&d, &cli, cli_extra(&demo_program, &cli,
		    "once") != NULL);
		http_global_cleanup();
	}
	demo_estate_free(&d.estate);
	free(d.reports_url);
	cfg_free(&demo_schema, &cfg);
	return rc;
}
