/* test_agent_collect.c: the agent's collectors against a captured tree
 * (tests/data/proc-sample), counter wrap and reset, mount filtering,
 * os-release quoting, and the report's envelope, id and sequence. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "common/log.h"
#include "common/report_limits.h"
#include "common/buf.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "agents/agent.h"
#include "tests/unit/testutil.h"

static char *
fixture(void)
{
	const char	*top = getenv("top_srcdir");
	const char	*me = __FILE__, *tail = "tests/unit/test_agent_collect.c";
	char		*p;

	if (top != NULL && *top != '\0') {
		xasprintf(&p, "%s/tests/data/proc-sample", top);
		return p;
	}
	if (!str_has_suffix(me, tail))
		fail_msg("cannot find tests/data from %s", me);
	xasprintf(&p, "%.*stests/data/proc-sample",
	    (int)(strlen(me) - strlen(tail)), me);
	return p;
}

static double
metric(const struct report *r, const char *name, const char *lk,
    const char *lv)
{
	double	 v;

	if (report_metric_value(r, name, lk, lv, &v) == -1)
		fail_msg("no metric %s %s=%s", name, lk ? lk : "", lv ? lv : "");
	return v;
}

static int
has_metric(const struct report *r, const char *name, const char *lk,
    const char *lv)
{
	double	 v;

	return report_metric_value(r, name, lk, lv, &v) == 0;
}

static const char *
host_str(const struct report *r, const char *key)
{
	return json_string_value(json_object_get(r->host, key));
}

static const char *
os_str(const struct report *r, const char *key)
{
	return json_string_value(json_object_get(r->os, key));
}

static json_t *
iface(const struct report *r, const char *name)
{
	size_t	 i;
	json_t	*v;

	json_array_foreach(r->interfaces, i, v) {
		if (strcmp(json_string_value(json_object_get(v, "name")),
		    name) == 0)
			return v;
	}
	fail_msg("no interface %s", name);
	return NULL;
}

static void
test_counter_delta(void **state)
{
	uint64_t	 d = 99;

	(void)state;
	assert_int_equal(counter_delta(10, 25, 64, &d), 0);
	assert_true(d == 15);
	assert_int_equal(counter_delta(7, 7, 64, &d), 0);
	assert_true(d == 0);
	/* One wrap at 64 bits: UINT64_MAX-5 .. UINT64_MAX, 0 .. 10. */
	assert_int_equal(counter_delta(UINT64_MAX - 5, 10, 64, &d), 0);
	assert_true(d == 16);
	/* Backwards by far: a reset, no rate. */
	d = 99;
	assert_int_equal(counter_delta(1000000, 10, 64, &d), -1);
	assert_true(d == 99);
	/* 32 bits. */
	assert_int_equal(counter_delta(4294967290u, 5, 32, &d), 0);
	assert_true(d == 11);
	assert_int_equal(counter_delta(4294967295u, 0, 32, &d), 0);
	assert_true(d == 1);
	assert_int_equal(counter_delta(100, 50, 32, &d), -1);
	assert_int_equal(counter_delta(3000000000u, 1000, 32, &d), 0);
	assert_true(d == 1294968296u);
	/* A value wider than the counter, bad widths. */
	assert_int_equal(counter_delta(1, UINT64_C(1) << 32, 32, &d), -1);
	assert_int_equal(counter_delta(1, 2, 0, &d), -1);
	assert_int_equal(counter_delta(1, 2, 65, &d), -1);
}

static void
test_os_release_quoting(void **state)
{
	const char	*text =
	    "# comment\n"
	    "ID_LIKE=\"fedora\"\n"
	    "ID=\"rhel\"\n"
	    "NAME=Debian\\ GNU/Linux\n"
	    "PRETTY_NAME=\"Say \\\"hi\\\" \\\\ \\$HOME \\`x\\` a\\qb\"\n"
	    "SINGLE='it is $literal \\n'\n"
	    "MIXED='a'\"b\"c\n"
	    "EMPTY=\n"
	    "  VERSION_ID=7.9\n"
	    "BROKEN=\"no end\n"
	    "TRAILING=plain # comment\n";
	char		 v[128];

	(void)state;
	assert_int_equal(os_release_value(text, "ID", v, sizeof v), 0);
	assert_string_equal(v, "rhel");
	assert_int_equal(os_release_value(text, "ID_LIKE", v, sizeof v), 0);
	assert_string_equal(v, "fedora");
	assert_int_equal(os_release_value(text, "NAME", v, sizeof v), 0);
	assert_string_equal(v, "Debian GNU/Linux");
	assert_int_equal(os_release_value(text, "PRETTY_NAME", v, sizeof v),
	    0);
	assert_string_equal(v, "Say \"hi\" \\ $HOME `x` a\\qb");
	assert_int_equal(os_release_value(text, "SINGLE", v, sizeof v), 0);
	assert_string_equal(v, "it is $literal \\n");
	assert_int_equal(os_release_value(text, "MIXED", v, sizeof v), 0);
	assert_string_equal(v, "abc");
	assert_int_equal(os_release_value(text, "EMPTY", v, sizeof v), 0);
	assert_string_equal(v, "");
	assert_int_equal(os_release_value(text, "VERSION_ID", v, sizeof v), 0);
	assert_string_equal(v, "7.9");
	assert_int_equal(os_release_value(text, "TRAILING", v, sizeof v), 0);
	assert_string_equal(v, "plain");
	assert_int_equal(os_release_value(text, "BROKEN", v, sizeof v), -1);
	assert_int_equal(os_release_value(text, "VERSION", v, sizeof v), -1);
	assert_int_equal(os_release_value(text, "comment", v, sizeof v), -1);
	/* Cut to the buffer, never past it. */
	assert_int_equal(os_release_value(text, "PRETTY_NAME", v, 6), 0);
	assert_string_equal(v, "Say \"");
}

static void
test_redhat_release(void **state)
{
	char	 id[32], v[32];

	(void)state;
	assert_int_equal(os_redhat_release("Red Hat Enterprise Linux Server "
	    "release 6.10 (Santiago)", id, sizeof id, v, sizeof v), 0);
	assert_string_equal(id, "rhel");
	assert_string_equal(v, "6.10");
	assert_int_equal(os_redhat_release("CentOS release 6.10 (Final)", id,
	    sizeof id, v, sizeof v), 0);
	assert_string_equal(id, "centos");
	assert_string_equal(v, "6.10");
	assert_int_equal(os_redhat_release("CentOS Linux release 7.9.2009 "
	    "(Core)", id, sizeof id, v, sizeof v), 0);
	assert_string_equal(v, "7.9.2009");
	assert_int_equal(os_redhat_release("Debian GNU/Linux 12", id,
	    sizeof id, v, sizeof v), -1);
	assert_int_equal(os_redhat_release("CentOS release  (Final)", id,
	    sizeof id, v, sizeof v), -1);
}

static void
test_fs_pseudo_and_mountinfo(void **state)
{
	struct fs_mount	*m;
	char		*dir, *path, *text;
	size_t		 n;

	(void)state;
	assert_true(fs_is_pseudo("proc"));
	assert_true(fs_is_pseudo("tmpfs"));
	assert_true(fs_is_pseudo("overlay"));
	assert_true(fs_is_pseudo("cgroup2"));
	assert_true(fs_is_pseudo("efivarfs"));
	assert_true(fs_is_pseudo("autofs"));
	assert_false(fs_is_pseudo("xfs"));
	assert_false(fs_is_pseudo("ext4"));
	assert_false(fs_is_pseudo("nfs4"));
	assert_false(fs_is_pseudo("tmpfs2"));

	dir = fixture();
	xasprintf(&path, "%s/proc/self/mountinfo", dir);
	text = tu_read_file(path);
	assert_non_null(text);
	n = fs_parse_mounts(text, 1, &m);
	assert_int_equal(n, 5);
	assert_string_equal(m[0].mount, "/");
	assert_string_equal(m[0].fstype, "xfs");
	assert_string_equal(m[0].device, "/dev/mapper/rhel-root");
	assert_string_equal(m[0].devid, "253:0");
	assert_string_equal(m[1].mount, "/boot");
	assert_string_equal(m[1].device, "/dev/sda1");
	/* /srv/containers is a bind mount of a directory of /var. */
	assert_string_equal(m[2].mount, "/var");
	assert_string_equal(m[3].mount, "/var/lib/pas data");
	assert_string_equal(m[3].fstype, "ext4");
	assert_string_equal(m[4].mount, "/mnt/nfs");
	assert_string_equal(m[4].fstype, "nfs4");
	assert_string_equal(m[4].device, "filer01:/export/pas");
	fs_mounts_free(m, n);
	free(text);
	free(path);
	free(dir);

	/* A bind mount listed before the mount of its fs root loses. */
	n = fs_parse_mounts(
	    "77 41 253:2 /lib/c /srv/c rw - xfs /dev/mapper/v rw\n"
	    "73 41 253:2 / /var rw shared:31 - xfs /dev/mapper/v rw\n"
	    "garbage line\n"
	    "\n"
	    "1 2 3\n", 1, &m);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].mount, "/var");
	fs_mounts_free(m, n);

	/* /proc/mounts: no device numbers, deduplicated by source. */
	n = fs_parse_mounts(
	    "/dev/sda2 / ext4 rw,relatime 0 0\n"
	    "proc /proc proc rw 0 0\n"
	    "tmpfs /run tmpfs rw 0 0\n"
	    "/dev/sda2 /home ext4 rw 0 0\n"
	    "/dev/sdb1 /srv/my\\040data xfs rw 0 0\n", 0, &m);
	assert_int_equal(n, 2);
	assert_string_equal(m[0].mount, "/");
	assert_string_equal(m[1].mount, "/srv/my data");
	fs_mounts_free(m, n);

	n = fs_parse_mounts("", 1, &m);
	assert_int_equal(n, 0);
	fs_mounts_free(m, n);
}

static void
test_net_parse_dev(void **state)
{
	struct net_dev	*d;
	size_t		 n;

	(void)state;
	n = net_parse_dev(
	    "Inter-|   Receive |  Transmit\n"
	    " face |bytes packets errs drop fifo frame compressed multicast|...\n"
	    "  eth0:98765432101  74523611    3   12    0     0 0 104858 "
	    "12345678901  48200113    1    0    0     0       0          0\n"
	    " bad/name: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
	    "  short: 1 2 3\n"
	    "wlan0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", &d);
	assert_int_equal(n, 2);
	assert_string_equal(d[0].name, "eth0");
	assert_true(d[0].counter[NET_RX_BYTES] == 98765432101ULL);
	assert_true(d[0].counter[NET_RX_PACKETS] == 74523611);
	assert_true(d[0].counter[NET_RX_ERRORS] == 3);
	assert_true(d[0].counter[NET_RX_DROPS] == 12);
	assert_true(d[0].counter[NET_TX_BYTES] == 12345678901ULL);
	assert_true(d[0].counter[NET_TX_PACKETS] == 48200113);
	assert_true(d[0].counter[NET_TX_ERRORS] == 1);
	assert_true(d[0].counter[NET_TX_DROPS] == 0);
	assert_string_equal(d[1].name, "wlan0");
	assert_true(d[1].counter[NET_TX_BYTES] == 9);
	assert_true(d[1].counter[NET_TX_DROPS] == 12);
	free(d);
}

static void
test_collect_fixture(void **state)
{
	struct collect_ctx	*ctx;
	struct report		*r;
	char			*dir, *addrs;
	json_t			*eth0, *lo;

	(void)state;
	dir = fixture();
	ctx = collect_new(dir);
	r = report_new();
	assert_int_equal(collect_run(ctx, r, 1000), 0);

	assert_string_equal(host_str(r, "name"), "pas-app01");
	assert_string_equal(host_str(r, "fqdn"), "pas-app01");
	assert_string_equal(host_str(r, "machine_id"),
	    "0d5c8f3e9a2b4c1d8e7f6a5b4c3d2e1f");
	assert_string_equal(host_str(r, "vendor"), "Dell Inc.");
	assert_string_equal(host_str(r, "model"), "PowerEdge R640");
	assert_string_equal(host_str(r, "serial"), "7XJ2K93");
	assert_string_equal(host_str(r, "bios_date"), "2019-05-14");
	assert_int_equal(json_integer_value(json_object_get(r->host,
	    "uptime_s")), 8640000);
	assert_string_equal(os_str(r, "id"), "rhel");
	assert_string_equal(os_str(r, "version_id"), "7.9");
	assert_string_equal(os_str(r, "pretty_name"),
	    "Red Hat Enterprise Linux Server 7.9 (Maipo)");
	assert_string_equal(os_str(r, "kernel"), "3.10.0-1160.el7.x86_64");
	/* Own addresses once each, loopback and link-local left out. */
	addrs = json_dumps(json_object_get(r->host, "addresses"),
	    JSON_COMPACT);
	assert_string_equal(addrs, "[\"10.20.1.15\",\"172.16.5.9\","
	    "\"2001:db8:a:1::15\"]");
	free(addrs);

	assert_true(metric(r, "cpu.count", NULL, NULL) == 4);
	/* One sample: no utilisation yet. */
	assert_false(has_metric(r, "cpu.util", NULL, NULL));
	assert_true(metric(r, "load.1", NULL, NULL) == 0.52);
	assert_true(metric(r, "load.5", NULL, NULL) == 0.58);
	assert_true(metric(r, "load.15", NULL, NULL) == 0.59);
	assert_true(metric(r, "mem.total_bytes", NULL, NULL) ==
	    16266780.0 * 1024);
	assert_true(metric(r, "mem.available_bytes", NULL, NULL) ==
	    8133392.0 * 1024);
	assert_true(metric(r, "mem.used_pct", NULL, NULL) ==
	    100.0 * (8133388.0 * 1024) / (16266780.0 * 1024));
	assert_true(metric(r, "swap.total_bytes", NULL, NULL) ==
	    8388604.0 * 1024);
	assert_true(metric(r, "swap.used_pct", NULL, NULL) ==
	    100.0 * (2097152.0 * 1024) / (8388604.0 * 1024));
	assert_true(metric(r, "procs.count", NULL, NULL) == 3);
	/* "/" is the fixture directory itself; /boot etc. do not exist
	 * below it and are left out. */
	assert_true(metric(r, "fs.size_bytes", "mount", "/") > 0);
	assert_true(has_metric(r, "fs.used_pct", "mount", "/"));
	assert_false(has_metric(r, "fs.size_bytes", "mount", "/boot"));
	assert_false(has_metric(r, "fs.size_bytes", "mount", "/proc"));
	assert_int_equal(json_integer_value(json_object_get(
	    report_find_check(r, "fs_responding"), "status")), CHECK_OK);
	assert_false(has_metric(r, "net.rx_bytes_per_s", "iface", "eth0"));
	/* No /run/systemd/system: nothing about units. */
	assert_false(has_metric(r, "systemd.failed_units", NULL, NULL));
	assert_null(report_find_check(r, "systemd_failed_units"));

	assert_int_equal(json_array_size(r->interfaces), 2);
	eth0 = iface(r, "eth0");
	assert_int_equal(json_integer_value(json_object_get(eth0, "index")),
	    2);
	assert_string_equal(json_string_value(json_object_get(eth0, "oper")),
	    "up");
	assert_string_equal(json_string_value(json_object_get(eth0, "admin")),
	    "up");
	assert_true(json_integer_value(json_object_get(eth0, "speed_bps")) ==
	    1000000000LL);
	assert_true(json_integer_value(json_object_get(eth0, "in_octets")) ==
	    98765432101LL);
	assert_true(json_integer_value(json_object_get(eth0, "out_octets")) ==
	    12345678901LL);
	assert_int_equal(json_integer_value(json_object_get(eth0,
	    "in_errors")), 3);
	assert_int_equal(json_integer_value(json_object_get(eth0,
	    "in_discards")), 12);
	lo = iface(r, "lo");
	assert_string_equal(json_string_value(json_object_get(lo, "oper")),
	    "unknown");
	assert_null(json_object_get(lo, "speed_bps"));

	report_free(r);
	collect_free(ctx);
	free(dir);
}

static void
test_collect_deltas(void **state)
{
	struct collect_ctx	*ctx;
	struct report		*r;
	const char		*tmp = tu_tmpdir();
	char			*dir, *root, *p;

	(void)state;
	dir = fixture();
	xasprintf(&root, "%s/deltas", tmp);
	assert_int_equal(tu_sh("cp -R '%s' '%s'", dir, root), 0);
	ctx = collect_new(root);
	r = report_new();
	assert_int_equal(collect_run(ctx, r, 1000), 0);
	report_free(r);

	/* 10 s later: 400 more busy jiffies of 1000. */
	p = tu_write_file(root, "proc/stat",
	    "cpu  5005 150 1200 16830 540 0 55 0 0 0\n"
	    "cpu0 1393 50 340 4062 130 0 15 0 0 0\n", 0644);
	free(p);
	p = tu_write_file(root, "proc/net/dev",
	    "Inter-|   Receive |  Transmit\n"
	    " face |bytes ...\n"
	    "    lo: 1000 10 0 0 0 0 0 0 1000 10 0 0 0 0 0 0\n"
	    "  eth0: 98775432101  74533611    3   22    0     0 0 104858 "
	    "12345778901  48201113    1    0    0     0       0          0\n",
	    0644);
	free(p);
	r = report_new();
	assert_int_equal(collect_run(ctx, r, 11000), 0);
	assert_true(metric(r, "cpu.util", NULL, NULL) == 100.0 * 400 / 1000);
	assert_true(metric(r, "net.rx_bytes_per_s", "iface", "eth0") ==
	    10000000.0 / 10);
	assert_true(metric(r, "net.rx_packets_per_s", "iface", "eth0") ==
	    10000.0 / 10);
	assert_true(metric(r, "net.rx_drops_per_s", "iface", "eth0") ==
	    1.0);
	assert_true(metric(r, "net.tx_bytes_per_s", "iface", "eth0") ==
	    10000.0);
	assert_true(metric(r, "net.tx_packets_per_s", "iface", "eth0") ==
	    100.0);
	assert_true(metric(r, "net.tx_errors_per_s", "iface", "eth0") == 0);
	/* lo's counters went backwards: reset, no rates this time. */
	assert_false(has_metric(r, "net.rx_bytes_per_s", "iface", "lo"));
	assert_false(has_metric(r, "net.tx_packets_per_s", "iface", "lo"));
	report_free(r);

	/* And the next interval has rates for lo again. */
	p = tu_write_file(root, "proc/net/dev",
	    "    lo: 1600 16 0 0 0 0 0 0 1600 16 0 0 0 0 0 0\n", 0644);
	free(p);
	r = report_new();
	assert_int_equal(collect_run(ctx, r, 13000), 0);
	assert_true(metric(r, "net.rx_bytes_per_s", "iface", "lo") == 300.0);
	assert_false(has_metric(r, "net.rx_bytes_per_s", "iface", "eth0"));
	report_free(r);

	collect_free(ctx);
	free(root);
	free(dir);
}

static void
test_collect_missing_files(void **state)
{
	struct collect_ctx	*ctx;
	struct report		*r;
	char			*root;
	int			 failed;

	(void)state;
	xasprintf(&root, "%s/empty-root", tu_tmpdir());
	assert_int_equal(mkdir(root, 0755), 0);
	ctx = collect_new(root);
	r = report_new();
	tu_log_capture_start();
	failed = collect_run(ctx, r, 1000);
	/* system (uptime), cpu, memory, filesystems, network, addresses,
	 * procs. */
	assert_int_equal(failed, 7);
	assert_contains(tu_log_captured(), "collecting cpu: ");
	assert_contains(tu_log_captured(), "/empty-root/proc/stat: No such "
	    "file or directory");
	assert_contains(tu_log_captured(), "/empty-root/proc/meminfo: No such");
	assert_contains(tu_log_captured(), "/empty-root/proc/uptime");
	tu_log_capture_stop();
	/* What could be found still made it: the host name. */
	assert_non_null(host_str(r, "name"));
	report_free(r);

	/* The same failures again are not logged again. */
	r = report_new();
	tu_log_capture_start();
	assert_int_equal(collect_run(ctx, r, 2000), 7);
	assert_not_contains(tu_log_captured(), "proc/stat");
	tu_log_capture_stop();
	report_free(r);
	collect_free(ctx);
	free(root);
}

/* A statvfs that blocks until released, as one on a hung NFS mount. */
static pthread_mutex_t	 slow_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 slow_cond = PTHREAD_COND_INITIALIZER;
static int		 slow_released, slow_calls, slow_returned;

static int
slow_statvfs(const char *path, struct statvfs *sv)
{
	pthread_mutex_lock(&slow_lock);
	slow_calls++;
	while (!slow_released)
		pthread_cond_wait(&slow_cond, &slow_lock);
	slow_returned++;
	pthread_mutex_unlock(&slow_lock);
	return statvfs(path, sv);
}

static int
slow_count(int *v)
{
	int	 n;

	pthread_mutex_lock(&slow_lock);
	n = *v;
	pthread_mutex_unlock(&slow_lock);
	return n;
}

static void
slow_release(void)
{
	pthread_mutex_lock(&slow_lock);
	slow_released = 1;
	pthread_cond_broadcast(&slow_cond);
	pthread_mutex_unlock(&slow_lock);
}

static void
test_fs_stat_bounded(void **state)
{
	struct fs_stat	*fs = fs_stat_new();
	struct statvfs	 sv;
	int		 i;

	(void)state;
	assert_int_equal(fs_stat_bounded(fs, "/", 5000, NULL, &sv), 0);
	assert_true(sv.f_blocks > 0);
	assert_int_equal(fs_stat_bounded(fs, "/no/such/mount", 5000, NULL,
	    &sv), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(fs_stat_hung(fs), 0);

	/* It does not answer: a timeout, and no second thread for it. */
	assert_int_equal(fs_stat_bounded(fs, "/", 100, slow_statvfs, &sv), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_int_equal(fs_stat_hung(fs), 1);
	assert_int_equal(fs_stat_bounded(fs, "/", 100, slow_statvfs, &sv), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_int_equal(slow_count(&slow_calls), 1);
	/* Other mounts still answer. */
	assert_int_equal(fs_stat_bounded(fs, "/tmp", 5000, NULL, &sv), 0);

	/* It comes back: asked afresh. */
	slow_release();
	for (i = 0; i < 500 && fs_stat_hung(fs) > 0; i++)
		usleep(10000);
	assert_int_equal(fs_stat_hung(fs), 0);
	assert_int_equal(fs_stat_bounded(fs, "/", 5000, slow_statvfs, &sv), 0);
	assert_int_equal(slow_count(&slow_calls), 2);

	/* Freed while a call is stuck: the thread frees the call when it
	 * returns (the sanitizer build checks nothing leaks). */
	slow_released = 0;
	assert_int_equal(fs_stat_bounded(fs, "/", 50, slow_statvfs, &sv), -1);
	fs_stat_free(fs);
	slow_release();
	for (i = 0; i < 500 && slow_count(&slow_returned) < 3; i++)
		usleep(10000);
	assert_int_equal(slow_count(&slow_returned), 3);
	usleep(20000);
}

static void
test_addr_parse(void **state)
{
	struct report	*r;
	struct buf	 b;
	char		*s;
	int		 i;

	(void)state;
	r = report_new();
	/* Garbage, a leaf too long to be an address, a LOCAL route with no
	 * leaf before it, an if_inet6 line cut short. */
	assert_int_equal(addr_parse_fib_trie("\n\n|-- \n/32 host LOCAL\n"
	    "  |-- 1234567890123456789012345678901234567890\n"
	    "     /32 host LOCAL\n|-- not.an.address\n /32 host LOCAL\n"
	    "  |-- 192.0.2.7\n     /32 host LOCAL", r), 1);
	assert_int_equal(addr_parse_if_inet6("2001:db8 02 40 00 80 eth0\n"
	    "zz0000000000000000000000000000001 01 80 00 80 lo\n"
	    "20010db8000000000000000000000001 02 40", r), 0);
	s = json_dumps(json_object_get(r->host, "addresses"), JSON_COMPACT);
	assert_string_equal(s, "[\"192.0.2.7\"]");
	free(s);
	report_free(r);

	/* A host with very many addresses reports the first 64. */
	r = report_new();
	buf_init(&b, 0);
	for (i = 0; i < 100; i++)
		buf_printf(&b, "|-- 10.0.%d.%d\n/32 host LOCAL\n", i / 250,
		    i % 250 + 1);
	assert_int_equal(addr_parse_fib_trie(buf_cstr(&b), r), 64);
	assert_int_equal(json_array_size(json_object_get(r->host,
	    "addresses")), REPORT_ADDRESSES_MAX);
	buf_free(&b);
	report_free(r);
}

static void
test_systemd_parse_failed(void **state)
{
	char	**u;
	size_t	 n;

	(void)state;
	n = systemd_parse_failed(
	    "nfs-server.service loaded failed failed NFS server and services\n"
	    "\xe2\x97\x8f pas-batch.timer    loaded failed failed Nightly run\n"
	    "\n"
	    "   \n", &u);
	assert_int_equal(n, 2);
	assert_string_equal(u[0], "nfs-server.service");
	assert_string_equal(u[1], "pas-batch.timer");
	str_list_free(u, n);
	n = systemd_parse_failed("", &u);
	assert_int_equal(n, 0);
	str_list_free(u, n);
}

static void
test_report_json(void **state)
{
	struct report		*r;
	struct report_meta	 meta = { "abc-1", 42, 1795442585123LL, 60 };
	json_t			*doc, *m;
	char			*s;

	(void)state;
	r = report_new();
	report_host_set(r, "name", "pas-app01");
	report_host_set(r, "fqdn", "");		/* left out */
	report_os_set(r, "id", "rhel");
	report_metric(r, "fs.used_pct", 81.25, "percent", "mount", "/var",
	    "device", NULL, NULL);
	report_metric(r, "bad", 0.0 / 0.0, NULL, NULL);	/* NaN: left out */
	report_check(r, "ntp", 1, "first", NULL);
	report_check(r, "ntp", 0, "NTP OK", "offset=0.0012s;60;120");
	doc = report_to_json(r, &meta);
	s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s,
	    "{\"agent\":{\"id\":\"abc-1\",\"version\":\"" PACKAGE_VERSION "\"},"
	    "\"checks\":[{\"name\":\"ntp\",\"output\":\"NTP OK\",\"perfdata\":"
	    "\"offset=0.0012s;60;120\",\"status\":0}],"
	    "\"host\":{\"name\":\"pas-app01\",\"os\":{\"id\":\"rhel\"}},"
	    "\"interfaces\":[],\"interval_s\":60,"
	    "\"metrics\":[{\"labels\":{\"mount\":\"/var\"},\"name\":"
	    "\"fs.used_pct\",\"unit\":\"percent\",\"value\":81.25}],"
	    "\"schema\":1,\"seq\":42,\"ts\":\"2026-11-23T14:03:05Z\"}");
	free(s);
	m = json_array_get(json_object_get(doc, "metrics"), 0);
	assert_non_null(m);
	json_decref(doc);
	report_free(r);
}

static void
test_report_string(void **state)
{
	json_t	*v;

	(void)state;
	v = report_string("ok \xc3\xa9t\xc3\xa9", 100);
	assert_string_equal(json_string_value(v), "ok \xc3\xa9t\xc3\xa9");
	json_decref(v);
	/* Invalid bytes, an overlong form, a surrogate. */
	v = report_string("a\xff" "b\xc0\xaf" "c\xed\xa0\x80" "d", 100);
	assert_string_equal(json_string_value(v), "a?b??c???d");
	json_decref(v);
	/* Cut at a character boundary, never inside one. */
	v = report_string("ab\xc3\xa9", 3);
	assert_string_equal(json_string_value(v), "ab");
	json_decref(v);
	v = report_string("abcdef", 4);
	assert_string_equal(json_string_value(v), "abcd");
	json_decref(v);
}

static void
test_agent_id_and_seq(void **state)
{
	const char	*tmp = tu_tmpdir();
	char		 id[80], id2[80], err[256], *path, *p;
	int		 saved;
	int64_t		 seq;
	struct stat	 sb;

	(void)state;
	xasprintf(&path, "%s/agent-id", tmp);
	assert_int_equal(report_agent_id(path, 0, id, sizeof id, &saved, err,
	    sizeof err), 0);
	assert_int_equal(saved, 1);
	assert_int_equal(strlen(id), 32);
	assert_int_equal(strspn(id, "0123456789abcdef"), 32);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0644);
	assert_int_equal(report_agent_id(path, 0, id2, sizeof id2, &saved, err,
	    sizeof err), 0);
	assert_string_equal(id, id2);
	free(path);

	p = tu_write_file(tmp, "bad-id", "has space\n", 0644);
	assert_int_equal(report_agent_id(p, 1, id, sizeof id, &saved, err,
	    sizeof err), -1);
	assert_contains(err, p);
	assert_contains(err, "not an agent id");
	free(p);

	/* Cannot save: an error, or an id for this run alone. */
	xasprintf(&path, "%s/no-such-dir/id", tmp);
	assert_int_equal(report_agent_id(path, 0, id, sizeof id, &saved, err,
	    sizeof err), -1);
	assert_contains(err, "no-such-dir/id");
	assert_int_equal(report_agent_id(path, 1, id, sizeof id, &saved, err,
	    sizeof err), 0);
	assert_int_equal(saved, 0);
	assert_int_equal(strlen(id), 32);
	free(path);

	xasprintf(&path, "%s/no-seq", tmp);
	assert_int_equal(report_seq_next(path, &seq, err, sizeof err), 0);
	assert_int_equal(seq, 1);
	free(path);
	p = tu_write_file(tmp, "seq", "1041\n", 0644);
	assert_int_equal(report_seq_next(p, &seq, err, sizeof err), 0);
	assert_int_equal(seq, 1042);
	free(p);
	/* Damaged: numbered from the clock, past any number used. */
	p = tu_write_file(tmp, "seq-bad", "-3\n", 0644);
	tu_log_capture_start();
	assert_int_equal(report_seq_next(p, &seq, err, sizeof err), 0);
	assert_true(seq > 1700000000);
	assert_contains(tu_log_captured(), "seq-bad: not a sequence number");
	tu_log_capture_stop();
	free(p);
}

/* Past what a report may hold: left out, and the check ward.report says
 * how much; the collector's limits are kept to. */
static void
test_report_limits(void **state)
{
	struct report_meta	 meta = { "abc-1", 1, 1795392185000LL, 60, 0 };
	struct report		*r;
	json_t			*doc, *c;
	char			 name[32];
	size_t			 i;

	(void)state;
	r = report_new();
	for (i = 0; i < REPORT_METRICS_MAX + 5; i++)
		report_metric(r, "m", (double)i, NULL, "i", "x", NULL);
	for (i = 0; i < REPORT_INTERFACES_MAX + 2; i++) {
		c = json_object();
		json_object_set_new(c, "name", json_string("eth"));
		report_interface(r, c);
	}
	for (i = 0; i < REPORT_CHECKS_MAX + 3; i++) {
		snprintf(name, sizeof name, "c%zu", i);
		report_check(r, name, 0, "ok", NULL);
	}
	doc = report_to_json(r, &meta);
	assert_int_equal(json_array_size(json_object_get(doc, "metrics")),
	    REPORT_METRICS_MAX);
	assert_int_equal(json_array_size(json_object_get(doc, "interfaces")),
	    REPORT_INTERFACES_MAX);
	assert_int_equal(json_array_size(json_object_get(doc, "checks")),
	    REPORT_CHECKS_MAX);
	c = json_array_get(json_object_get(doc, "checks"),
	    REPORT_CHECKS_MAX - 1);
	assert_string_equal(json_string_value(json_object_get(c, "name")),
	    "ward.report");
	assert_int_equal(json_integer_value(json_object_get(c, "status")), 1);
	assert_string_equal(json_string_value(json_object_get(c, "output")),
	    "REPORT WARNING: left out, past what one report may hold: 5 "
	    "metrics (of 20005; at most 20000), 4 checks (of 1003; at most "
	    "999), 2 interfaces (of 10002; at most 10000)");
	json_decref(doc);
	report_free(r);

	/* All of it fits: no such check. */
	r = report_new();
	report_check(r, "ntp", 0, "ok", NULL);
	doc = report_to_json(r, &meta);
	assert_int_equal(json_array_size(json_object_get(doc, "checks")), 1);
	json_decref(doc);
	report_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter_delta),
		cmocka_unit_test(test_report_limits),
		cmocka_unit_test(test_os_release_quoting),
		cmocka_unit_test(test_fs_pseudo_and_mountinfo),
		cmocka_unit_test(test_net_parse_dev),
		cmocka_unit_test(test_collect_fixture),
		cmocka_unit_test(test_collect_deltas),
		cmocka_unit_test(test_collect_missing_files),
		cmocka_unit_test(test_addr_parse),
		cmocka_unit_test(test_redhat_release),
		cmocka_unit_test(test_fs_stat_bounded),
		cmocka_unit_test(test_systemd_parse_failed),
		cmocka_unit_test(test_report_json),
		cmocka_unit_test(test_report_string),
		cmocka_unit_test(test_agent_id_and_seq),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
