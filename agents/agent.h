/* agent.h: ward-agent's internal interfaces: the report being built, the
 * collectors that fill it, and the Nagios plugin checks. */
#ifndef WARD_AGENT_H
#define WARD_AGENT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "common/cfg.h"
#include "common/log.h"

/* report.c */

/* What one collection found; report_to_json adds the envelope. */
struct report {
	json_t	*host;		/* object, without "os" */
	json_t	*os;		/* object */
	json_t	*metrics;	/* array */
	json_t	*checks;	/* array */
	json_t	*interfaces;	/* array */
	json_t	*software;	/* array, NULL when not known this time */
	/* Past what a report may hold (common/report_limits.h): left out,
	 * and told by the check ward.report. */
	size_t	 left_metrics, left_checks, left_interfaces, left_software;
};

struct report_meta {
	const char	*agent_id;
	int64_t		 seq;		/* >= 1 */
	int64_t		 ts_ms;		/* when collected, Unix ms */
	int64_t		 interval_s;
	int64_t		 dropped;	/* reports lost since the last one told */
};

struct report	*report_new(void);
void		 report_free(struct report *r);
/* Strings are copied, cut to 255 bytes and made valid UTF-8; NULL or ""
 * leaves the field out. */
void		 report_host_set(struct report *r, const char *key,
		    const char *value);
void		 report_host_set_int(struct report *r, const char *key,
		    int64_t value);
/* Adds an address to host.addresses: 1 added, 0 already there, -1 when
 * the list is full (64, as docs/report.md allows) or addr too long. */
#define REPORT_ADDRESSES_MAX	64
#define REPORT_ADDRESS_LEN_MAX	64
int		 report_host_address(struct report *r, const char *addr);
void		 report_os_set(struct report *r, const char *key,
		    const char *value);
/* Adds a metric with label key/value pairs ending in NULL; unit may be
 * NULL. A value that is not finite is left out. */
void		 report_metric(struct report *r, const char *name, double value,
		    const char *unit, ...) __attribute__((sentinel));
/* A later check of the same name replaces an earlier one. */
void		 report_check(struct report *r, const char *name, int status,
		    const char *output, const char *perfdata);
/* Takes ownership of iface (an object with at least "name"). */
void		 report_interface(struct report *r, json_t *iface);
/* The host's installed software: started (an empty list replaces the
 * collector's), then one entry at a time; type and installed may be "". */
void		 report_software_start(struct report *r);
void		 report_software(struct report *r, const char *name,
		    const char *type, const char *installed);
/* For tests and callers: the value of the metric with that name (and, if
 * label_key is not NULL, that label). 0 when found, -1 if not. */
int		 report_metric_value(const struct report *r, const char *name,
		    const char *label_key, const char *label_value,
		    double *out);
const json_t	*report_find_check(const struct report *r, const char *name);
/* Sets host.firmware.KEY (vendor, product, version, family); strings as
 * report_host_set. */
void		 report_firmware_set(struct report *r, const char *key,
		    const char *value);
/* The whole report per docs/report.md (schema 1); a new reference. */
json_t		*report_to_json(const struct report *r,
		    const struct report_meta *meta);
/* A JSON string of at most max bytes, invalid UTF-8 replaced by '?'. */
json_t		*report_string(const char *s, size_t max);

/*
 * The agent id: read from path, or when path does not exist, 32 random hex
 * digits written to path (temp file and rename, mode 0644). When writing
 * fails and ephemeral_ok is set, the fresh id is used for this run only
 * (*saved is 0). Returns 0 or -1 with err.
 */
int		 report_agent_id(const char *path, int ephemeral_ok, char *id,
		    size_t idlen, int *saved, char *err, size_t errlen);
/* The sequence number after the one saved in path (1 when path does not
 * exist); nothing is written. */
int		 report_seq_next(const char *path, int64_t *next, char *err,
		    size_t errlen);
/* Saves seq as the last used, synced, before a report with it leaves. */
/* Writes one line to path through a synced temporary file and rename. */
int		 report_save_line(const char *path, const char *line,
		    char *err, size_t errlen);
int		 report_seq_save(const char *path, int64_t seq, char *err,
		    size_t errlen);

/* collect.c */

#define COLLECT_MAX	32

struct collect_ctx {
	char			*root;		/* "/" or a fixture tree */
	int			 resolve;	/* look the FQDN up in DNS */
	int64_t			 mono_ms;	/* when this collection runs */
	void			**state;	/* the running collector's slot */
	void			*states[COLLECT_MAX];
	struct log_complain	 complain[COLLECT_MAX];
};

struct collect_entry {
	const char	*name;
	/* 0, or -1 with err; what was collected before failing stays. */
	int		(*collect)(struct collect_ctx *, struct report *,
			    char *err, size_t errlen);
	/* Frees what it keeps in *ctx->state across runs (NULL: none). */
	void		(*free_state)(void *state);
};

/* The table, in collect.c: one line per collector. */
extern const struct collect_entry *const collect_table[];

struct collect_ctx *collect_new(const char *root);
void		 collect_free(struct collect_ctx *ctx);
/* Runs every collector; returns how many failed (each logged, complain
 * once). mono_ms is the monotonic clock (rates are per second of it). */
int		 collect_run(struct collect_ctx *ctx, struct report *r,
		    int64_t mono_ms);
/* root + rel; the caller frees. */
char		*collect_path(const struct collect_ctx *ctx, const char *rel);
/* Reads at most max bytes of root + rel into a NUL-terminated string the
 * caller frees; NULL with err (errno kept) on failure. */
char		*collect_read(const struct collect_ctx *ctx, const char *rel,
		    size_t max, char *err, size_t errlen);
/* The first line of a small file, trimmed; NULL if unreadable or empty. */
char		*collect_read_line(const struct collect_ctx *ctx,
		    const char *rel);

/* collect_system.c */
extern const struct collect_entry collect_system_entry;
/* Finds key in os-release text and unquotes its value as a shell would
 * ("...", '...', backslash escapes). 0 when found, -1 if not. */
int		 os_release_value(const char *text, const char *key, char *out,
		    size_t outlen);
/* The os-release id and VERSION_ID of an /etc/redhat-release line
 * ("CentOS release 6.10 (Final)" -> centos, 6.10); -1 if not one. */
int		 os_redhat_release(const char *line, char *id, size_t idlen,
		    char *version, size_t versionlen);

/* collect_cpu.c */
extern const struct collect_entry collect_cpu_entry;

/* collect_memory.c */
extern const struct collect_entry collect_memory_entry;

/* collect_fs.c */
extern const struct collect_entry collect_fs_entry;
struct fs_mount {
	char	*device;
	char	*mount;
	char	*fstype;
	char	*devid;		/* "major:minor", or the device for /proc/mounts */
};
int		 fs_is_pseudo(const char *fstype);
/* Parses /proc/self/mountinfo (mountinfo=1) or /proc/mounts text into real
 * filesystems, one per device (bind mounts dropped). Returns the count. */
size_t		 fs_parse_mounts(const char *text, int mountinfo,
		    struct fs_mount **out);
void		 fs_mounts_free(struct fs_mount *m, size_t n);

/* fs_stat.c: statvfs that gives up on a hung mount. */
#include <sys/statvfs.h>
typedef int (*fs_statvfs_fn)(const char *, struct statvfs *);
struct fs_stat;
struct fs_stat	*fs_stat_new(void);
void		 fs_stat_free(struct fs_stat *fs);
/*
 * statvfs(path) (or fn, for tests) in a thread, waiting at most
 * timeout_ms. A call that does not return in time fails with ETIMEDOUT and
 * leaves the mount marked hung: asking again fails at once, without a new
 * thread, until the stuck call returns.
 */
int		 fs_stat_bounded(struct fs_stat *fs, const char *path,
		    int64_t timeout_ms, fs_statvfs_fn fn, struct statvfs *sv);
/* How many mounts are hung now (calls that came back are forgotten). */
size_t		 fs_stat_hung(struct fs_stat *fs);

/* collect_net.c */
extern const struct collect_entry collect_net_entry;
#define NET_NCOUNTERS	8
enum net_counter {
	NET_RX_BYTES, NET_RX_PACKETS, NET_RX_ERRORS, NET_RX_DROPS,
	NET_TX_BYTES, NET_TX_PACKETS, NET_TX_ERRORS, NET_TX_DROPS,
};
struct net_dev {
	char		 name[64];
	uint64_t	 counter[NET_NCOUNTERS];
};
/* Parses /proc/net/dev; returns the count of interfaces. */
size_t		 net_parse_dev(const char *text, struct net_dev **out);
/*
 * How much a bits-wide counter grew from prev to cur, allowing one wrap.
 * A counter that went backwards by more than half its range was reset:
 * returns -1 (no rate for the interval). Values wider than bits: -1.
 */
int		 counter_delta(uint64_t prev, uint64_t cur, int bits,
		    uint64_t *out);

/* collect_addr.c */
extern const struct collect_entry collect_addr_entry;
/* Add the host's own addresses found in fib_trie / if_inet6 text to r;
 * return how many were new. */
size_t		 addr_parse_fib_trie(const char *text, struct report *r);
size_t		 addr_parse_if_inet6(const char *text, struct report *r);

/* collect_procs.c */
extern const struct collect_entry collect_procs_entry;

/* collect_systemd.c */
extern const struct collect_entry collect_systemd_entry;
/* The unit names in `systemctl list-units --state=failed --plain
 * --no-legend` output; returns the count, *units freed with
 * str_list_free. */
size_t		 systemd_parse_failed(const char *text, char ***units);

/* check.c */

#define CHECK_OK		0
#define CHECK_WARNING		1
#define CHECK_CRITICAL		2
#define CHECK_UNKNOWN		3
#define CHECK_OUTPUT_MAX	8192	/* bytes kept of a plugin's output */

/* What a finished child process did. */
struct check_exec {
	int	 exited;	/* exit_status is valid */
	int	 exit_status;
	int	 signal;	/* killed by this signal, 0 if not */
	int	 timed_out;
	int	 exec_errno;	/* exec failed with this errno, 0 if not */
	char	*output;	/* stdout and stderr, NUL-terminated */
	size_t	 output_len;
	int	 truncated;	/* more output was read and discarded */
};

/* Splits a command line into words: whitespace separates, '...' is
 * literal, "..." and bare text honour backslash escapes. No shell. */
int		 check_split(const char *cmd, char ***argv, size_t *argc,
		    char *err, size_t errlen);
/*
 * Runs argv (searched in the sanitised PATH) in its own process group with
 * stdin /dev/null, collecting output up to max_output bytes; on timeout
 * kills the group. Returns 0 with res filled (exec failure included) or -1
 * with err when the process could not be started at all.
 */
int		 check_exec(char *const argv[], int64_t timeout_ms,
		    size_t max_output, struct check_exec *res, char *err,
		    size_t errlen);
void		 check_exec_clear(struct check_exec *res);

struct check_result {
	int	 status;	/* CHECK_OK .. CHECK_UNKNOWN */
	char	*output;	/* the first line's text */
	char	*perfdata;	/* all perfdata, lines joined by spaces */
};
/* Runs a Nagios plugin; always fills res (UNKNOWN with the reason when it
 * cannot run, times out or breaks the plugin rules). */
void		 check_run(const char *command, int64_t timeout_ms,
		    struct check_result *res);
void		 check_result_clear(struct check_result *res);
/* Adds the check and its perfdata as metrics "check.NAME.LABEL". */
void		 check_report(struct report *r, const char *name,
		    const struct check_result *res);

/* perfdata.c */

struct perfdata {
	char	*label;
	double	 value;
	char	 uom[8];	/* "", "s", "ms", "%", "B", "KB", "c", ... */
	char	*warn;		/* range text or NULL */
	char	*crit;
	int	 has_min, has_max;
	double	 min, max;
};
/* Parses Nagios perfdata; entries that do not parse are skipped. Returns
 * the count; *out freed with perfdata_free. */
size_t		 perfdata_parse(const char *text, struct perfdata **out);
void		 perfdata_free(struct perfdata *p, size_t n);
/* The metric unit for a UOM: "%" -> "percent", "c" -> "counter", "" ->
 * NULL, else the UOM. */
const char	*perfdata_unit(const char *uom);

/* spool.c: reports not yet acknowledged, on disk, oldest first. */

struct buf;
struct spool;
/*
 * Opens (creating, mode 0700) the spool directory and locks it against a
 * second agent. max_bytes and max_age_ms bound it (0: no bound). Files
 * half-written by a crash are removed. NULL with err on failure.
 */
struct spool	*spool_open(const char *dir, int64_t max_bytes,
		    int64_t max_age_ms, char *err, size_t errlen);
/* The same for a caller that already holds a lock covering dir (ward-netpoll
 * locks its state directory once for its many per-device spools). */
struct spool	*spool_open_unlocked(const char *dir, int64_t max_bytes,
		    int64_t max_age_ms, char *err, size_t errlen);
void		 spool_free(struct spool *sp);
size_t		 spool_count(const struct spool *sp);
int64_t		 spool_bytes(const struct spool *sp);
/* The newest spooled report's seq, 0 when empty. */
int64_t		 spool_last_seq(const struct spool *sp);
/* Reports lost (dropped oldest first, rejected, unwritable) that no report
 * has told the collector of yet; kept across restarts. */
int64_t		 spool_pending_dropped(const struct spool *sp);
/* Reports this process dropped, for its own accounting. */
int64_t		 spool_dropped_total(const struct spool *sp);
/*
 * Adds a report (seq newer than every spooled one) that carries `dropped`
 * in its "dropped" field, synced to disk before returning 0. Drops the
 * oldest reports first to stay within max_bytes. -1 with err when it cannot
 * be written (the caller counts it lost with spool_count_lost).
 */
int		 spool_add(struct spool *sp, int64_t seq, int64_t ts_ms,
		    int64_t dropped, const char *json, size_t len, char *err,
		    size_t errlen);
/* A report carrying n drops was spooled: they are told. */
void		 spool_dropped_reported(struct spool *sp, int64_t n);
/* A report that could not even be spooled. */
void		 spool_count_lost(struct spool *sp);
/* Drops reports older than max_age; returns how many. */
size_t		 spool_expire(struct spool *sp, int64_t now_ms);
/*
 * The oldest reports, at most max_reports and (beyond the first) max_bytes,
 * as one JSON array in out; *n says how many. An oldest report that can
 * never be sent (gone, too large) is dropped and -1 returned with err; one
 * that cannot be read now (its mode, an I/O error) is kept and -2
 * returned with err.
 */
int		 spool_batch(struct spool *sp, size_t max_reports,
		    size_t max_bytes, struct buf *out, size_t *n, char *err,
		    size_t errlen);
/* The newest seq the collector has acknowledged (0: none yet). */
int64_t		 spool_last_acknowledged(const struct spool *sp);
/* New bounds, applied at the next spool_add and spool_expire. */
void		 spool_set_limits(struct spool *sp, int64_t max_bytes,
		    int64_t max_age_ms);
/* The collector acknowledged the n oldest: they are removed. */
void		 spool_acknowledged(struct spool *sp, size_t n);
/* The collector refused the oldest for good: it is dropped and counted. */
void		 spool_reject_oldest(struct spool *sp);

/* send.c: delivering the spool to the collector. */

struct send_options {
	const char	*url;		/* the collector's base URL */
	const char	*ca_file;	/* NULL: the system's trust store */
	const char	*token;		/* the agent token */
	int64_t		 timeout_ms;
	size_t		 batch_reports;
	size_t		 batch_bytes;
	int64_t		 retry_initial_ms;
	int64_t		 retry_max_ms;
};

enum send_state {
	SEND_EMPTY,	/* everything acknowledged */
	SEND_WAIT,	/* the collector failed us: wait until next_ms */
	SEND_BLOCKED,	/* this spool's oldest report cannot be read now:
			   it waits until next_ms; other spools go on */
};

/*
 * The [collector] and [spool] sections ward-agent and ward-netpoll share:
 * their fields, their option tables, and the sender they configure.
 */
struct send_collector_config {
	char	*url;
	char	*ca_file;
	char	*token;		/* the contents of token_file */
	int64_t	 timeout;	/* ms */
	int64_t	 retry_max;	/* ms */
};

struct send_spool_config {
	int64_t	 max_size;	/* bytes */
	int64_t	 max_age;	/* ms */
	int64_t	 batch;		/* reports per request */
};

extern const struct cfg_option send_collector_options[];
extern const struct cfg_option send_spool_options[];
/* send_new with the options those sections give. */
struct sender	*send_new_from_config(const struct send_collector_config *c,
		    const struct send_spool_config *sp, char *err,
		    size_t errlen);

/* 0 when url is https://, or http:// to a loopback address; -1 with err. */
/* The [collector] section as sending needs it: with a url, a token and a
 * url that keeps both off the network in the clear (without a url there
 * is nothing to check: --print). */
int		 send_config_check(const struct send_collector_config *c,
		    char *err, size_t errlen);
int		 send_url_check(const char *url, char *err, size_t errlen);
struct sender;
/* Checks the URL (https, or http to a loopback address) and makes the
 * client. NULL with err. */
struct sender	*send_new(const struct send_options *o, char *err,
		    size_t errlen);
void		 send_free(struct sender *s);
/*
 * Delivers the spool oldest first in batches until it is empty (SEND_EMPTY)
 * or the collector fails (SEND_WAIT: *next_ms on the monotonic clock says
 * when to try again, backing off exponentially with jitter). delivered
 * counts the reports acknowledged. Failures are logged once while they
 * last, and once on recovery.
 */
enum send_state	 send_drain(struct sender *s, struct spool *sp,
		    int64_t now_ms, int64_t *next_ms, size_t *delivered);
/* The last failure, "" when the last attempt worked. */
const char	*send_last_error(const struct sender *s);
/* True when the last failure was the collector refusing us (token, URL)
 * rather than being unreachable or busy. */
int		 send_refused(const struct sender *s);

/*
 * ward-netpoll: the agent for devices that cannot run ward-agent. The
 * modules below are netpoll's alone; only they link net-snmp.
 */

/* snmp_value.c: OIDs and values, decoded from net-snmp's varbinds. */

#define SNMP_OID_MAX	64	/* sub-identifiers kept; longer OIDs are skipped */

struct snmp_oid {
	uint32_t	 sub[SNMP_OID_MAX];
	size_t		 len;
};

enum snmp_val_type {
	SNMP_VAL_MISSING,	/* noSuchObject, noSuchInstance, endOfMibView */
	SNMP_VAL_NULL,
	SNMP_VAL_INT,		/* INTEGER */
	SNMP_VAL_UINT,		/* Counter32/64, Gauge32, TimeTicks */
	SNMP_VAL_STRING,	/* OCTET STRING, Opaque, IpAddress (as text) */
	SNMP_VAL_OID,		/* OBJECT IDENTIFIER, as dotted text in s */
};

struct snmp_val {
	struct snmp_oid		 oid;
	enum snmp_val_type	 type;
	uint8_t			 asn_type;
	int			 is_64;		/* a Counter64 */
	int64_t			 i;
	uint64_t		 u;
	char			*s;		/* NUL-terminated; len bytes */
	size_t			 len;
	size_t			 seq;		/* arrival order, for sorting */
};

/* "1.3.6.1.2.1.1.1.0" (a leading dot allowed): 0, or -1 when not an OID. */
int		 snmp_oid_parse(const char *text, struct snmp_oid *o);
char		*snmp_oid_format(const struct snmp_oid *o, char *buf,
		    size_t size);
int		 snmp_oid_cmp(const struct snmp_oid *a, const struct snmp_oid *b);
int		 snmp_oid_has_prefix(const struct snmp_oid *o,
		    const struct snmp_oid *prefix);
/* -1 when the result would be longer than SNMP_OID_MAX. */
int		 snmp_oid_append(struct snmp_oid *o, const uint32_t *sub,
		    size_t n);
/*
 * Decodes a value as net-snmp holds it (its ASN type, and the bytes its
 * val union points at): 0, or -1 when the type is unknown or the length
 * does not fit it. Strings are cut at 4096 bytes. Clear with
 * snmp_val_clear.
 */
int		 snmp_val_decode(uint8_t asn_type, const void *data, size_t len,
		    struct snmp_val *v);
struct variable_list;
int		 snmp_val_from_var(const struct variable_list *var,
		    struct snmp_val *v);
void		 snmp_val_clear(struct snmp_val *v);
/* Integers of either sign as int64 / uint64: 0, or -1 (wrong type, NULL,
 * out of range). */
int		 snmp_val_int(const struct snmp_val *v, int64_t *out);
int		 snmp_val_uint(const struct snmp_val *v, uint64_t *out);
/* A string that is printable UTF-8 (trailing NULs ignored). */
int		 snmp_val_is_text(const struct snmp_val *v);
/* The value for people: text trimmed, binary as hex pairs "00:1a:..",
 * numbers in decimal; "" for NULL or missing. */
char		*snmp_val_text(const struct snmp_val *v, char *buf, size_t size);
/* A 6-byte string as "00:1a:2b:3c:4d:5e"; "" otherwise or all zero. */
char		*snmp_val_mac(const struct snmp_val *v, char *buf, size_t size);

/* What one poll of a device answered, sorted by OID once it is done. */
struct snmp_vars {
	struct snmp_val	*v;
	size_t		 n;
	size_t		 alloc;
	int		 sorted;
};
void		 snmp_vars_init(struct snmp_vars *vs);
void		 snmp_vars_clear(struct snmp_vars *vs);
/* Takes v's string; v is zeroed. */
void		 snmp_vars_add(struct snmp_vars *vs, struct snmp_val *v);
/* Sorts by OID; of repeated OIDs the last to arrive is kept. */
void		 snmp_vars_sort(struct snmp_vars *vs);
/* Lookups on sorted vars; NULL when absent, missing or null. */
const struct snmp_val *snmp_vars_get(const struct snmp_vars *vs,
		    const struct snmp_oid *o);
const struct snmp_val *snmp_vars_get_text(const struct snmp_vars *vs,
		    const char *oid_text);
const struct snmp_val *snmp_vars_get_row(const struct snmp_vars *vs,
		    const struct snmp_oid *column, const struct snmp_oid *index);
/* The position of the first var at or after prefix. */
size_t		 snmp_vars_first(const struct snmp_vars *vs,
		    const struct snmp_oid *prefix);

/* snmp.c: polling many devices at once over net-snmp's async API. */

enum snmp_version { SNMP_V1, SNMP_V2C, SNMP_V3 };
enum snmp_auth { SNMP_AUTH_NONE, SNMP_AUTH_MD5, SNMP_AUTH_SHA,
	SNMP_AUTH_SHA224, SNMP_AUTH_SHA256, SNMP_AUTH_SHA384, SNMP_AUTH_SHA512 };
enum snmp_priv { SNMP_PRIV_NONE, SNMP_PRIV_DES, SNMP_PRIV_AES,
	SNMP_PRIV_AES192, SNMP_PRIV_AES256 };
extern const char *const snmp_auth_names[];	/* by enum, NULL-ended */
extern const char *const snmp_priv_names[];

/* SNMPv3 USM credentials (from the secrets file). */
struct snmp_usm {
	char		*user;
	enum snmp_auth	 auth;
	char		*auth_pass;
	enum snmp_priv	 priv;
	char		*priv_pass;
};

struct snmp_target {
	const char		*name;		/* for messages */
	const char		*host;
	unsigned		 port;
	enum snmp_version	 version;
	const char		*community;	/* v1, v2c */
	const struct snmp_usm	*usm;		/* v3 */
	int64_t			 timeout_ms;	/* per request, per try */
	int			 retries;
	int			 max_repetitions;
	size_t			 max_values;	/* the whole poll; 0: 100000 */
};

/* Why a poll failed, each a distinct outcome. */
enum snmp_failure {
	SNMP_FAIL_NONE,
	SNMP_FAIL_TIMEOUT,	/* nothing answered */
	SNMP_FAIL_COMMUNITY,	/* the agent is there but ignores the community */
	SNMP_FAIL_AUTH,		/* v3: wrong authentication key */
	SNMP_FAIL_UNKNOWN_USER,	/* v3: no such user */
	SNMP_FAIL_DECRYPT,	/* v3: wrong privacy key */
	SNMP_FAIL_SECLEVEL,	/* v3: the user cannot use this level */
	SNMP_FAIL_TIME_WINDOW,	/* v3: engine time could not be agreed */
	SNMP_FAIL_ENGINE,	/* v3: engine ID discovery or duplicate */
	SNMP_FAIL_ADDRESS,	/* the address cannot be used */
	SNMP_FAIL_PROTOCOL,	/* an error status or a broken answer */
	SNMP_FAIL_STOPPED,	/* the program is stopping */
};
/* "timeout", "community", "auth", ... as reports and logs say them. */
const char	*snmp_failure_name(enum snmp_failure f);

struct snmp_job;
/* Called when a step (a GET or a walk) has finished, to queue more. */
typedef void	(*snmp_step_fn)(struct snmp_job *job, void *arg);

/* The target is copied; usm must outlive the job. */
struct snmp_job	*snmp_job_new(const struct snmp_target *t, snmp_step_fn on_step,
		    void *arg);
void		 snmp_job_free(struct snmp_job *job);
/* Queue a GET of up to 64 OIDs, or a walk of up to 32 columns (subtrees)
 * walked side by side: GETBULK, or GETNEXT for v1. */
void		 snmp_job_get(struct snmp_job *job, const struct snmp_oid *oids,
		    size_t n);
void		 snmp_job_walk(struct snmp_job *job,
		    const struct snmp_oid *columns, size_t n);
/* Everything answered so far; sorted once the job is done. */
struct snmp_vars *snmp_job_vars(struct snmp_job *job);
enum snmp_failure snmp_job_failure(const struct snmp_job *job);
/* The failure in words, naming the device; "" when none. */
const char	*snmp_job_error(const struct snmp_job *job);
size_t		 snmp_job_requests(const struct snmp_job *job);
/* How many steps ended, in order (the step running when it failed too). */
size_t		 snmp_job_steps_done(const struct snmp_job *job);

/* Once per process, before any job; _shutdown frees net-snmp's state. */
void		 snmp_global_init(void);
void		 snmp_global_shutdown(void);
/*
 * Runs jobs to their end with at most max_in_flight devices polled at
 * once; done (may be NULL) is called as each finishes, in the order they
 * finish, and the job's values are freed when it returns. stop (may be
 * NULL) is asked between waits: when it says yes the rest fail with
 * SNMP_FAIL_STOPPED.
 */
void		 snmp_run(struct snmp_job **jobs, size_t n,
		    size_t max_in_flight, int (*stop)(void),
		    void (*done)(struct snmp_job *, void *), void *arg);

/* snmp_profile.c: what a device is, from sysObjectID and sysDescr. */

struct snmp_profile {
	const char	*id;		/* "cisco-ios": the family */
	const char	*vendor;	/* "Cisco" */
	const char	*product;	/* "Cisco IOS" */
	const char	*kind;		/* the default host.kind */
	int		 is_os;		/* a server: product is its OS */
	const char	*enterprise;	/* sysObjectID prefix, or NULL */
	const char	*descr_has;	/* in sysDescr (no case), or NULL */
	const char	*descr_lacks;	/* not in sysDescr, or NULL */
	const char	*version_after;	/* the version follows this */
};

/* The table, in snmp_profile.c: one line per family, most specific
 * first. */
extern const struct snmp_profile snmp_profiles[];

/* The first profile matching, NULL when the device is unrecognised. */
const struct snmp_profile *snmp_profile_match(const char *sys_object_id,
		    const char *sys_descr);
/* The version in sysDescr after the profile's marker ("" if none). */
char		*snmp_profile_version(const struct snmp_profile *p,
		    const char *sys_descr, char *buf, size_t size);

/* netpoll.c: turning one device's answers into its report. */

/* The OIDs a poll asks for, queued on a job step by step; arg is the
 * device's struct netpoll_software (NULL: always walk the software). */
void		 netpoll_plan_start(struct snmp_job *job);
void		 netpoll_plan_step(struct snmp_job *job, void *arg);

/* An ENTITY-SENSOR-MIB reading in its unit, from its value, scale (1-17,
 * 9 for units) and precision (-8..9 decimal places). */
double		 netpoll_sensor_value(int64_t value, int scale, int precision);

/* Counters kept between polls of one device, for rates. */
struct netpoll_counters;
void		 netpoll_counters_free(struct netpoll_counters *c);

/*
 * What a device's installed software (HOST-RESOURCES-MIB hrSWInstalled,
 * a long table) was when it was last walked: the table is walked again
 * only when hrSWInstalledLastChange moved or a day passed (for agents
 * without LastChange, such as net-snmp's, and a collector that lost the
 * list).
 */
struct netpoll_software {
	int		 known;		/* walked before */
	int		 has_change;	/* the device had LastChange then */
	uint64_t	 last_change;	/* its TimeTicks */
	int64_t		 walked_s;	/* when it was walked, Unix s */
	int		 due;		/* this poll walks it */
	int		 next_has_change;	/* what this poll saw */
	uint64_t	 next_change;
	int		 dirty;		/* this poll's report carries it */
};
#define NETPOLL_SOFTWARE_REFRESH_S	86400

/* A DateAndTime value as ISO-8601 (the day only without an offset). */
char		*netpoll_date_and_time(const struct snmp_val *v, char *buf,
		    size_t size);
/* Sets sw->due from the system group a poll brought (sw NULL: due when
 * the device has HOST-RESOURCES-MIB). */
int		 netpoll_software_due(struct netpoll_software *sw,
		    const struct snmp_vars *vs, int64_t now_s);
/* The state file's one line, and back; -1 with err on a bad file. */
int		 netpoll_software_load(const char *path,
		    struct netpoll_software *sw, char *err, size_t errlen);
int		 netpoll_software_save(const char *path,
		    const struct netpoll_software *sw, char *err,
		    size_t errlen);

struct netpoll_device_info {
	const char	*name;		/* host.name when sysName is empty */
	const char	*datacentre;
	const char	*kind;		/* NULL: the profile's */
	const char	*address;	/* host:port, for messages */
	/* NULL (probe): the software table is walked whenever there is one. */
	struct netpoll_software *software;
};
/*
 * Fills r from a finished job's vars (sorted): identity, profile,
 * interfaces, entities, UPS, host resources; rates from *counters (made
 * on first use) over mono_ms. Adds the "snmp" check: OK, or CRITICAL with
 * the failure when nothing answered (WARNING when only part of the poll
 * failed).
 */
void		 netpoll_build_report(const struct netpoll_device_info *d,
		    struct snmp_vars *vs, enum snmp_failure failure,
		    const char *error, struct netpoll_counters **counters,
		    int64_t mono_ms, struct report *r);

/* http_check.c: HTTP(S) URL checks, all in flight at once through one
 * curl multi handle: status, body, response time, certificate expiry. */

#include <regex.h>

/* How body regexes are compiled: extended, and ^ and $ match at each line
 * of the body, as check_http's do. */
#define HTTP_CHECK_REGEX_FLAGS	(REG_EXTENDED | REG_NEWLINE | REG_NOSUB)

/* What to check. Strings and body_re are borrowed: they must outlive the
 * check. */
struct http_check_spec {
	const char	*name;		/* reported as the check "http.NAME" */
	const char	*url;		/* http:// or https:// */
	long		 expect_status;
	const regex_t	*body_re;	/* NULL: the body is not examined */
	const char	*body_regex;	/* its text, for the output */
	size_t		 body_max;	/* bytes of the body read at most */
	int64_t		 timeout_ms;	/* the whole exchange */
	int64_t		 warning_ms;	/* slower is a WARNING; 0: never */
	const char	*ca_file;	/* NULL: the system's trust store */
};

enum http_check_failure {
	HTTP_FAIL_NONE,
	HTTP_FAIL_RESOLVE,	/* the host name does not resolve */
	HTTP_FAIL_CONNECT,	/* refused or unreachable */
	HTTP_FAIL_TIMEOUT,	/* no complete answer within timeout_ms */
	HTTP_FAIL_TLS,		/* the TLS handshake failed */
	HTTP_FAIL_CERTIFICATE,	/* the server's certificate does not verify */
	HTTP_FAIL_PROTOCOL,	/* anything else on the way */
	HTTP_FAIL_STOPPED,	/* the program is stopping */
};
/* "resolve", "connect", "timeout", ... as outputs and logs say them. */
const char	*http_check_failure_name(enum http_check_failure f);

struct http_check_result {
	enum http_check_failure	 failure;
	char		 error[512];	/* what failed, in curl's words */
	int		 connected;	/* a TCP connection was made */
	long		 status;	/* the HTTP status; 0: no answer */
	double		 time_s;	/* the whole exchange */
	size_t		 body_bytes;	/* body bytes received */
	int		 body_truncated; /* reading stopped at body_max */
	int		 body_matched;	/* 1, 0, or -1 when not examined */
	int		 has_cert;	/* the fields below are set */
	double		 cert_days_left; /* the soonest expiry in the chain */
	int64_t		 cert_expiry_s;	/* that certificate's, Unix time */
	char		 cert_subject[256];
	int		 cert_is_leaf;	/* it is the server's own */
};

struct http_check;
/* spec is copied (its strings are not). */
struct http_check *http_check_new(const struct http_check_spec *spec);
void		 http_check_free(struct http_check *c);
const struct http_check_spec *http_check_spec(const struct http_check *c);
/* All zero (failure NONE, status 0) until the check has run. */
const struct http_check_result *http_check_result(const struct http_check *c);
/*
 * Runs the checks to their end, at most max_in_flight at once, each on a
 * fresh connection with a full TLS handshake (the certificate is read every
 * time). stop (may be NULL) is asked between waits: when it says yes the
 * rest fail with HTTP_FAIL_STOPPED.
 */
void		 http_check_run(struct http_check **checks, size_t n,
		    size_t max_in_flight, int (*stop)(void));
/*
 * Judges a result and adds it to r: the check "http.NAME" (OK; WARNING
 * when slower than warning_ms; CRITICAL when it failed, the status was
 * not the one expected or the body did not match) and the metrics
 * http.response_time_s, http.status and http.cert_days_left labelled
 * check=NAME. The output, also copied to out when out is not NULL, starts
 * "HTTP OK:", "HTTP slow:", "HTTP status:", "HTTP body:" or "HTTP KIND:"
 * with KIND a failure name. Returns the check's status.
 */
int		 http_check_report(const struct http_check_spec *spec,
		    const struct http_check_result *res, struct report *r,
		    char *out, size_t outlen);
/* Whether the check got as far as the server (connected or answered). */
int		 http_check_reached(const struct http_check_result *res);
/*
 * The "alive" check of a host that only HTTP checks speak for: OK when
 * reached of its n checks got to the server, else CRITICAL saying why
 * (the first failure).
 */
void		 http_check_alive(struct report *r, size_t reached, size_t n,
		    const char *why);
/*
 * A certificate date as curl gives it in "Expire date": OpenSSL's
 * "Mar  6 12:00:00 2026 GMT" or curl's own "2026-03-06 12:00:00 GMT".
 * 0 with *unix_s, or -1 when it is neither.
 */
int		 http_check_cert_time(const char *text, int64_t *unix_s);

/* ssh.c: SSH command checks and inventory, many sessions at once in one
 * poll loop (libssh2, non-blocking); host keys checked in known_hosts. */

/* What to run where. Strings are borrowed: they must outlive the job. */
struct ssh_spec {
	const char	*name;		/* reported as the check "ssh.NAME" */
	const char	*host;		/* address or name */
	unsigned	 port;		/* 0: 22 */
	const char	*user;
	const char	*key_file;	/* private key, mode 0600; or NULL */
	const char	*password;	/* NULL: key only; never logged */
	const char	*known_hosts;	/* OpenSSH format */
	int		 trust_first_use; /* write an unknown host's key */
	const char *const *commands;	/* run one after another */
	size_t		 ncommands;
	size_t		 ninventory;	/* the first ones are inventory */
	int64_t		 timeout_ms;	/* the whole session; 0: 10 s */
	size_t		 output_max;	/* bytes kept per command; 0: 64 KiB */
};

enum ssh_failure {
	SSH_FAIL_NONE,
	SSH_FAIL_RESOLVE,	/* the host name does not resolve */
	SSH_FAIL_CONNECT,	/* refused or unreachable */
	SSH_FAIL_TIMEOUT,	/* not done within timeout_ms */
	SSH_FAIL_HOST_KEY,	/* unknown or changed host key */
	SSH_FAIL_AUTH,		/* the key (or password) was refused */
	SSH_FAIL_PROTOCOL,	/* anything else on the way */
	SSH_FAIL_CONFIG,	/* no credentials, a key file open to others */
	SSH_FAIL_STOPPED,	/* the program is stopping */
};
/* "connect", "host-key", "auth", ... as outputs and logs say them. */
const char	*ssh_failure_name(enum ssh_failure f);

struct ssh_cmd_result {
	char		*out;		/* standard output, NUL-terminated */
	size_t		 len;
	int		 truncated;	/* more than output_max came */
	int		 exit_status;	/* -1: none given */
	char		 signal[32];	/* what killed it, if a signal did */
	int		 done;
};

struct ssh_result {
	enum ssh_failure	 failure;
	char			 error[768];	/* names the host */
	int			 connected;	/* a TCP connection was made */
	double			 time_s;
	char			 fingerprint[64];	/* "SHA256:..." */
	char			 key_type[32];
	int			 key_written;	/* trusted on first use */
	size_t			 ncommands_done;
	struct ssh_cmd_result	*cmds;		/* one per command */
};

struct ssh_job;
struct ssh_job	*ssh_job_new(const struct ssh_spec *spec);
void		 ssh_job_free(struct ssh_job *j);
const struct ssh_spec *ssh_job_spec(const struct ssh_job *j);
const struct ssh_result *ssh_job_result(const struct ssh_job *j);
/* Once per process (SIGPIPE is ignored from then on). */
int		 ssh_global_init(char *err, size_t errlen);
void		 ssh_global_cleanup(void);
/*
 * Runs the jobs to their end, at most max_in_flight sessions at once; a
 * job that is not done by its timeout fails, the others go on. stop (may
 * be NULL) is asked between waits: when it says yes the rest fail with
 * SSH_FAIL_STOPPED.
 */
void		 ssh_run(struct ssh_job **jobs, size_t n, size_t max_in_flight,
		    int (*stop)(void));

/* ssh_parse.c: inventory command outputs read into identity fields. */
enum ssh_profile { SSH_PROFILE_NONE, SSH_PROFILE_UNIX, SSH_PROFILE_CISCO };
extern const char *const ssh_profile_names[];	/* by enum, NULL-ended */

struct ssh_identity {
	char	os_id[64];		/* "debian", "cisco-ios" */
	char	os_name[128];		/* "Debian GNU/Linux", "Cisco IOS" */
	char	os_version[64];		/* "12", "15.2(7)E7" */
	char	os_pretty[256];
	char	kernel[128];
	char	vendor[64];
	char	model[128];
	char	serial[128];
	char	hostname[128];
};
/* Each 0 when the output was what the command gives, -1 if not; fields
 * found are set either way. Text may hold any bytes, NULs too. */
int		 ssh_parse_os_release(const char *text, size_t len,
		    struct ssh_identity *id);
int		 ssh_parse_uname(const char *text, size_t len,
		    struct ssh_identity *id);
int		 ssh_parse_cisco_version(const char *text, size_t len,
		    struct ssh_identity *id);
/* show inventory: model and serial from the first (chassis) entry. */
int		 ssh_parse_cisco_inventory(const char *text, size_t len,
		    struct ssh_identity *id);
/* Whether known_hosts text[0..len) revokes key (keylen bytes, as the
 * server sends it) for name (the host, or [host]:port): a line
 * "@revoked PATTERNS TYPE KEY" whose patterns take name. libssh2 reads
 * such a line as a host named "@revoked", which nothing matches; OpenSSH
 * refuses the key. *lineno: the line, when it does. */
int		 ssh_known_hosts_revoked(const char *text, size_t len,
		    const char *name, const unsigned char *key, size_t keylen,
		    size_t *lineno);
/* The inventory commands of a profile (NULL-ended; none for NONE). */
const char *const *ssh_profile_commands(enum ssh_profile p);
/* Parses the profile's outputs (cmds[0..]) into id: 0 when they made
 * sense, -1 if not. */
int		 ssh_profile_parse(enum ssh_profile p,
		    const struct ssh_cmd_result *cmds, size_t n,
		    struct ssh_identity *id);
/* The identity into r: host vendor, model, serial; host.os for Unix, or
 * host.firmware for a network OS. */
void		 ssh_identity_report(const struct ssh_identity *id, int is_unix,
		    struct report *r);
/*
 * Judges a finished job into r: the check "ssh.NAME" (CRITICAL when the
 * session failed; else the worst of the checked commands' exit statuses
 * read as plugin statuses; WARNING when the inventory made no sense),
 * the identity, and the metric ssh.time_s labelled check=NAME. The output
 * starts "SSH OK:", "SSH command:", "SSH inventory:" or "SSH KIND:" with
 * KIND a failure name. Returns the check's status.
 */
int		 ssh_report(const struct ssh_spec *spec, enum ssh_profile p,
		    const struct ssh_result *res, struct report *r, char *out,
		    size_t outlen);
/* Whether the session got as far as the server's SSH greeting. */
int		 ssh_reached(const struct ssh_result *res);

#endif
