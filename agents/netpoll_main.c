/* netpoll_main.c: ward-netpoll, the poller that reports switches, UPSes and
 * agentless devices to ward-collector, one report per device. */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/cfg.h"
#include "common/cli.h"
#include "common/daemon.h"
#include "common/http.h"
#include "common/log.h"
#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "agents/agent.h"

#define NP_NAME_MAX	48	/* a device name; agent ids are at most 64 */

static const char *const np_kinds[] = {
	"auto", "server", "switch", "router", "firewall", "ups", "pdu", "bmc",
	"storage", "appliance", "other", NULL
};
static const char *const np_versions[] = { "1", "2c", "3", NULL };

struct np_section {
	char	*datacentre;
	char	*state_dir;
	char	*secrets_file;
	char	*include_dir;
	int64_t	 interval;	/* ms */
	int64_t	 cadence;	/* ms; tests poll faster than interval */
	int64_t	 timeout;	/* ms */
	int64_t	 concurrency;
	int64_t	 max_repetitions;
};

struct np_device {
	struct cfg_item	 item;
	char		*address;
	int64_t		 port;
	int		 version;	/* index in np_versions */
	char		*credentials;
	int		 kind;		/* index in np_kinds */
	char		*datacentre;
	int64_t		 interval;	/* ms; 0: [netpoll] interval */
	int64_t		 timeout;	/* ms; 0: [netpoll] timeout */
	int64_t		 retries;
};

/* An HTTP(S) URL check, reported under its host. */
struct np_http {
	struct cfg_item	 item;
	char		*url;
	int64_t		 expect_status;
	char		*body_regex;
	int64_t		 body_max;	/* bytes */
	int64_t		 timeout;	/* ms */
	int64_t		 warning_time;	/* ms; 0: never */
	int64_t		 interval;	/* ms; 0: its host's */
	char		*datacentre;
	char		*host;		/* NULL: the check's name */
	char		*ca_file;
};

/* An SSH session: a command check and/or inventory, reported under its
 * host. */
struct np_ssh {
	struct cfg_item	 item;
	char		*address;
	int64_t		 port;
	char		*user;
	char		*key_file;
	char		*credentials;	/* a [password] in the secrets file */
	char		*known_hosts;
	int		 trust_first_use;
	int		 profile;	/* index in ssh_profile_names */
	char		*command;
	int64_t		 timeout;	/* ms */
	int64_t		 output_max;	/* bytes */
	int64_t		 interval;	/* ms; 0: its host's */
	char		*datacentre;
	char		*host;		/* NULL: the check's name */
};

struct np_config {
	struct cli_log_config		 log;
	struct cli_daemon_config	 daemon;
	struct np_section		 netpoll;
	struct send_collector_config	 collector;
	struct send_spool_config	 spool;
	struct cfg_items		 devices;
	struct cfg_items		 https;
	struct cfg_items		 sshs;
};

static const struct cfg_option np_options[] = {
	{ "datacentre", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct np_section, datacentre),
	  "The datacentre of every device that does not name its own (letters, "
	  "digits, '.', '_', '-'); it is part of each device's agent id." },
	{ "state_dir", CFG_PATH, WARD_LOCALSTATEDIR "/netpoll", 0, 0, NULL, 0,
	  offsetof(struct np_section, state_dir),
	  "Where ward-netpoll keeps each device's sequence number (seq/), "
	  "spool (spool/) and when its installed software was last read "
	  "(software/)." },
	{ "secrets_file", CFG_PATH, WARD_SYSCONFDIR "/netpoll.secrets", 0, 0,
	  NULL, 0, offsetof(struct np_section, secrets_file),
	  "The file of SNMP communities and SNMPv3 users that devices name in "
	  "credentials (see ward-netpoll(8)). Mode 0600: it is refused "
	  "otherwise. Read only when a device needs it." },
	{ "include_dir", CFG_PATH, NULL, 0, 0, NULL, 0,
	  offsetof(struct np_section, include_dir),
	  "A directory whose *.conf files hold more [device] and [http] "
	  "sections (one file per datacentre, say), read in name order." },
	{ "interval", CFG_DURATION, "60s", 10000, 86400000, NULL, 0,
	  offsetof(struct np_section, interval),
	  "How often each device is polled and reported, unless it says." },
	{ "cadence", CFG_DURATION, NULL, 100, 86400000, NULL, CFG_HIDDEN,
	  offsetof(struct np_section, cadence),
	  "Poll this often instead of every interval." },
	{ "timeout", CFG_DURATION, "2s", 100, 60000, NULL, 0,
	  offsetof(struct np_section, timeout),
	  "How long to wait for each SNMP answer, unless the device says." },
	{ "concurrency", CFG_INT, "64", 1, 4096, NULL, 0,
	  offsetof(struct np_section, concurrency),
	  "Most devices polled at the same time; a dead device holds one of "
	  "these for its timeouts while the others go on." },
	{ "max_repetitions", CFG_INT, "10", 1, 100, NULL, 0,
	  offsetof(struct np_section, max_repetitions),
	  "GETBULK max-repetitions: table rows asked for per request (halved "
	  "when an agent answers tooBig)." },
	CFG_OPTIONS_END
};

static const struct cfg_option np_device_options[] = {
	{ "address", CFG_STRING, NULL, 0, 0, NULL, CFG_REQUIRED,
	  offsetof(struct np_device, address),
	  "The device's IP address or host name." },
	{ "port", CFG_INT, "161", 1, 65535, NULL, 0,
	  offsetof(struct np_device, port), "Its SNMP port." },
	{ "version", CFG_ENUM, "2c", 0, 0, np_versions, 0,
	  offsetof(struct np_device, version), "The SNMP version to use." },
	{ "credentials", CFG_STRING, NULL, 0, 0, NULL, CFG_REQUIRED,
	  offsetof(struct np_device, credentials),
	  "The name of a [community \"NAME\"] (versions 1 and 2c) or "
	  "[usm \"NAME\"] (version 3) entry in the secrets file; never the "
	  "secret itself." },
	{ "kind", CFG_ENUM, "auto", 0, 0, np_kinds, 0,
	  offsetof(struct np_device, kind),
	  "What the device is; auto: as its profile says (a UPS-MIB agent is "
	  "a ups, a HOST-RESOURCES-MIB one a server, else other)." },
	{ "datacentre", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct np_device, datacentre),
	  "Its datacentre, if not [netpoll] datacentre." },
	{ "interval", CFG_DURATION, NULL, 10000, 86400000, NULL, 0,
	  offsetof(struct np_device, interval),
	  "How often to poll it; unset: [netpoll] interval." },
	{ "timeout", CFG_DURATION, NULL, 100, 60000, NULL, 0,
	  offsetof(struct np_device, timeout),
	  "How long to wait for each answer; unset: [netpoll] timeout." },
	{ "retries", CFG_INT, "1", 0, 10, NULL, 0,
	  offsetof(struct np_device, retries),
	  "How many times a request is sent again before the device is "
	  "reported down." },
	CFG_OPTIONS_END
};

static const struct cfg_option np_http_options[] = {
	{ "url", CFG_STRING, NULL, 0, 0, NULL, CFG_REQUIRED,
	  offsetof(struct np_http, url),
	  "The URL to GET: http:// or https:// (certificates are always "
	  "verified; redirects are not followed). No user or password in it." },
	{ "expect_status", CFG_INT, "200", 100, 599, NULL, 0,
	  offsetof(struct np_http, expect_status),
	  "The HTTP status that means the check passed; any other is "
	  "CRITICAL." },
	{ "body_regex", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct np_http, body_regex),
	  "A POSIX extended regular expression the body must match (case "
	  "matters; ^ and $ match at each line); unset: the body is not "
	  "examined." },
	{ "body_max", CFG_SIZE, "256k", 1024, 16777216, NULL, 0,
	  offsetof(struct np_http, body_max),
	  "Bytes of the body read at most; body_regex sees only these." },
	{ "timeout", CFG_DURATION, "10s", 100, 120000, NULL, 0,
	  offsetof(struct np_http, timeout),
	  "How long the whole exchange may take (connection, TLS, answer)." },
	{ "warning_time", CFG_DURATION, NULL, 1, 120000, NULL, 0,
	  offsetof(struct np_http, warning_time),
	  "An answer slower than this is a WARNING; unset: never. Shorter "
	  "than timeout." },
	{ "interval", CFG_DURATION, NULL, 10000, 86400000, NULL, 0,
	  offsetof(struct np_http, interval),
	  "How often to check; unset: [netpoll] interval. Checks reported "
	  "under one host run together, so they must agree; under a [device] "
	  "they run with its poll." },
	{ "datacentre", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct np_http, datacentre),
	  "Its host's datacentre, if not [netpoll] datacentre." },
	{ "host", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct np_http, host),
	  "The host the check is reported under: the name of a [device] (the "
	  "check joins that device's report), or else a host of HTTP checks "
	  "of its own (kind appliance, agent id netpoll:DATACENTRE:HOST). "
	  "Unset: the check's name." },
	{ "ca_file", CFG_PATH, NULL, 0, 0, NULL, 0,
	  offsetof(struct np_http, ca_file),
	  "CA certificates (PEM) to verify the server with instead of the "
	  "system's trust store." },
	CFG_OPTIONS_END
};

static const struct cfg_option np_ssh_options[] = {
	{ "address", CFG_STRING, NULL, 0, 0, NULL, CFG_REQUIRED,
	  offsetof(struct np_ssh, address), "Its address or name." },
	{ "port", CFG_INT, "22", 1, 65535, NULL, 0,
	  offsetof(struct np_ssh, port), "Its SSH port." },
	{ "user", CFG_STRING, NULL, 0, 0, NULL, CFG_REQUIRED,
	  offsetof(struct np_ssh, user), "The user to log in as." },
	{ "key_file", CFG_PATH, NULL, 0, 0, NULL, 0,
	  offsetof(struct np_ssh, key_file),
	  "The private key to log in with (no passphrase), mode 0600: it is "
	  "refused otherwise." },
	{ "credentials", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct np_ssh, credentials),
	  "A [password \"NAME\"] in the secrets file, tried when there is no "
	  "key_file or the key is refused. Unset: keys only." },
	{ "known_hosts", CFG_PATH, WARD_SYSCONFDIR "/netpoll.known_hosts", 0,
	  0, NULL, 0, offsetof(struct np_ssh, known_hosts),
	  "The known_hosts file (OpenSSH format) the host key must be in; "
	  "an unknown, changed or @revoked key is refused." },
	{ "trust_first_use", CFG_BOOL, "no", 0, 0, NULL, 0,
	  offsetof(struct np_ssh, trust_first_use),
	  "Add the key of a host not in known_hosts at the end of it and go "
	  "on, instead of refusing it. A changed or revoked key is refused "
	  "all the same." },
	{ "profile", CFG_ENUM, "none", 0, 0, ssh_profile_names, 0,
	  offsetof(struct np_ssh, profile),
	  "Inventory commands run first and read into the host's identity: "
	  "unix (cat /etc/os-release, uname -r), cisco (show version, show "
	  "inventory) or none." },
	{ "command", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct np_ssh, command),
	  "A command whose exit status is the check's, as a plugin's: 0 OK, "
	  "1 WARNING, 2 CRITICAL, else UNKNOWN. One per section: more "
	  "commands, more sections under the same host." },
	{ "timeout", CFG_DURATION, "10s", 100, 300000, NULL, 0,
	  offsetof(struct np_ssh, timeout),
	  "How long the whole session may take (connection, login, "
	  "commands)." },
	{ "output_max", CFG_SIZE, "64k", 1024, 16777216, NULL, 0,
	  offsetof(struct np_ssh, output_max),
	  "Bytes of each command's output kept; a command that writes more is "
	  "cut off and its check is a WARNING." },
	{ "interval", CFG_DURATION, NULL, 10000, 86400000, NULL, 0,
	  offsetof(struct np_ssh, interval),
	  "How often to run; unset: [netpoll] interval. Checks reported "
	  "under one host run together, so they must agree." },
	{ "datacentre", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct np_ssh, datacentre),
	  "Its host's datacentre, if not [netpoll] datacentre." },
	{ "host", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct np_ssh, host),
	  "The host the check is reported under: a [device] (it joins that "
	  "report), or a host of its own (agent id netpoll:DATACENTRE:HOST, "
	  "kind server for profile unix, switch for cisco). Unset: the "
	  "check's name." },
	CFG_OPTIONS_END
};

static const struct cfg_section np_sections[] = {
	{ "log", cli_log_options, 0, offsetof(struct np_config, log), 0,
	  "Logging." },
	{ "daemon", cli_daemon_options, 0, offsetof(struct np_config, daemon),
	  0, "Process: pidfile and the user to run as." },
	{ "netpoll", np_options, 0, offsetof(struct np_config, netpoll), 0,
	  "Defaults for every device, where state is kept, and how many are "
	  "polled at once." },
	{ "collector", send_collector_options, 0,
	  offsetof(struct np_config, collector), 0,
	  "Where reports go, and how the collector is trusted." },
	{ "spool", send_spool_options, 0, offsetof(struct np_config, spool), 0,
	  "Reports not yet acknowledged wait on disk, in order, within these "
	  "bounds (max_size is shared out among the devices)." },
	{ "device", np_device_options, CFG_SECTION_MULTI,
	  offsetof(struct np_config, devices), sizeof(struct np_device),
	  "A device to poll over SNMP; [device \"NAME\"] names it (letters, "
	  "digits, '.', '_', '-'), and its agent id is "
	  "netpoll:DATACENTRE:NAME." },
	{ "http", np_http_options, CFG_SECTION_MULTI,
	  offsetof(struct np_config, https), sizeof(struct np_http),
	  "An HTTP(S) URL check; [http \"NAME\"] names it (letters, digits, "
	  "'.', '_', '-') and it is reported as the check http.NAME of its "
	  "host." },
	{ "ssh", np_ssh_options, CFG_SECTION_MULTI,
	  offsetof(struct np_config, sshs), sizeof(struct np_ssh),
	  "An SSH session; [ssh \"NAME\"] names it and it is reported as the "
	  "check ssh.NAME of its host." },
	CFG_SECTIONS_END
};

/* An include file holds devices and URL checks only. */
struct np_include {
	struct cfg_items	 devices;
	struct cfg_items	 https;
	struct cfg_items	 sshs;
};
static const struct cfg_section np_include_sections[] = {
	{ "device", np_device_options, CFG_SECTION_MULTI,
	  offsetof(struct np_include, devices), sizeof(struct np_device),
	  "A device to poll." },
	{ "http", np_http_options, CFG_SECTION_MULTI,
	  offsetof(struct np_include, https), sizeof(struct np_http),
	  "A URL to check." },
	{ "ssh", np_ssh_options, CFG_SECTION_MULTI,
	  offsetof(struct np_include, sshs), sizeof(struct np_ssh),
	  "An SSH session." },
	CFG_SECTIONS_END
};
static const struct cfg_schema np_include_schema = {
	"ward-netpoll", NULL, np_include_sections, NULL,
};

/* The secrets file: communities and SNMPv3 users, by name. */
struct np_community {
	struct cfg_item	 item;
	char		*community;
};
struct np_usm {
	struct cfg_item	 item;
	char		*user;
	int		 auth;
	char		*auth_passphrase;
	int		 priv;
	char		*priv_passphrase;
};
struct np_password {
	struct cfg_item	 item;
	char		*password;
};
struct np_secrets {
	struct cfg_items	 communities;
	struct cfg_items	 users;
	struct cfg_items	 passwords;
};
static const struct cfg_option np_community_options[] = {
	{ "community", CFG_STRING, NULL, 0, 0, NULL, CFG_REQUIRED,
	  offsetof(struct np_community, community), "The community." },
	CFG_OPTIONS_END
};
static const struct cfg_option np_usm_options[] = {
	{ "user", CFG_STRING, NULL, 0, 0, NULL, CFG_REQUIRED,
	  offsetof(struct np_usm, user), "The SNMPv3 user name." },
	{ "auth_protocol", CFG_ENUM, "sha", 0, 0, snmp_auth_names, 0,
	  offsetof(struct np_usm, auth), "Authentication protocol." },
	{ "auth_passphrase", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct np_usm, auth_passphrase),
	  "Authentication passphrase (8 characters or more)." },
	{ "priv_protocol", CFG_ENUM, "aes", 0, 0, snmp_priv_names, 0,
	  offsetof(struct np_usm, priv), "Privacy protocol." },
	{ "priv_passphrase", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct np_usm, priv_passphrase),
	  "Privacy passphrase (8 characters or more)." },
	CFG_OPTIONS_END
};
static const struct cfg_option np_password_options[] = {
	{ "password", CFG_STRING, NULL, 0, 0, NULL, CFG_REQUIRED,
	  offsetof(struct np_password, password), "The password." },
	CFG_OPTIONS_END
};
static const struct cfg_section np_secrets_sections[] = {
	{ "community", np_community_options, CFG_SECTION_MULTI,
	  offsetof(struct np_secrets, communities), sizeof(struct np_community),
	  "An SNMPv1/v2c community." },
	{ "usm", np_usm_options, CFG_SECTION_MULTI,
	  offsetof(struct np_secrets, users), sizeof(struct np_usm),
	  "An SNMPv3 user." },
	{ "password", np_password_options, CFG_SECTION_MULTI,
	  offsetof(struct np_secrets, passwords), sizeof(struct np_password),
	  "An SSH password." },
	CFG_SECTIONS_END
};
static const struct cfg_schema np_secrets_schema = {
	"ward-netpoll", NULL, np_secrets_sections, NULL,
};

static void
np_secrets_free(struct np_secrets *s)
{
	struct np_community	*c;
	struct np_usm		*u;
	struct np_password	*pw;
	size_t			 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->passwords.count; i++) {
		pw = s->passwords.items[i];
		xfree_secret(pw->password);
		pw->password = NULL;
	}
	/* Wipe before cfg_free frees them. */
	for (i = 0; i < s->communities.count; i++) {
		c = s->communities.items[i];
		xfree_secret(c->community);
		c->community = NULL;
	}
	for (i = 0; i < s->users.count; i++) {
		u = s->users.items[i];
		xfree_secret(u->auth_passphrase);
		xfree_secret(u->priv_passphrase);
		u->auth_passphrase = u->priv_passphrase = NULL;
	}
	cfg_free(&np_secrets_schema, s);
	free(s);
}

static struct np_secrets *
np_secrets_load(const char *path, char *err, size_t errlen)
{
	struct np_secrets	*s;
	struct np_usm		*u;
	char			*text;
	size_t			 i;

	if ((text = cfg_read_secret(path, err, errlen)) == NULL)
		return NULL;
	s = xcalloc(1, sizeof *s);
	if (cfg_load_string(&np_secrets_schema, path, text, s, err,
	    errlen) == -1) {
		xfree_secret(text);
		free(s);
		return NULL;
	}
	xfree_secret(text);
	for (i = 0; i < s->users.count; i++) {
		u = s->users.items[i];
		/* net-snmp refuses shorter passphrases (RFC 3414 11.2). */
		if (u->auth != SNMP_AUTH_NONE && (u->auth_passphrase == NULL ||
		    strlen(u->auth_passphrase) < 8)) {
			snprintf(err, errlen, "%s:%d: [usm \"%s\"] "
			    "auth_passphrase: missing or shorter than 8 "
			    "characters", path, u->item.line, u->item.label);
			goto fail;
		}
		if (u->priv != SNMP_PRIV_NONE && (u->priv_passphrase == NULL ||
		    strlen(u->priv_passphrase) < 8)) {
			snprintf(err, errlen, "%s:%d: [usm \"%s\"] "
			    "priv_passphrase: missing or shorter than 8 "
			    "characters", path, u->item.line, u->item.label);
			goto fail;
		}
		if (u->priv != SNMP_PRIV_NONE && u->auth == SNMP_AUTH_NONE) {
			snprintf(err, errlen, "%s:%d: [usm \"%s\"] "
			    "priv_protocol: privacy needs authentication",
			    path, u->item.line, u->item.label);
			goto fail;
		}
	}
	return s;

fail:
	np_secrets_free(s);
	return NULL;
}

static const struct np_community *
np_find_community(const struct np_secrets *s, const char *name)
{
	size_t	 i;

	for (i = 0; s != NULL && i < s->communities.count; i++)
		if (strcmp(((struct np_community *)
		    s->communities.items[i])->item.label, name) == 0)
			return s->communities.items[i];
	return NULL;
}

static const struct np_password *
np_find_password(const struct np_secrets *s, const char *name)
{
	size_t	 i;

	for (i = 0; s != NULL && i < s->passwords.count; i++)
		if (strcmp(((struct np_password *)
		    s->passwords.items[i])->item.label, name) == 0)
			return s->passwords.items[i];
	return NULL;
}

/* By entry name, or failing that by user name (for snmpv3://USER@). */
static const struct np_usm *
np_find_usm(const struct np_secrets *s, const char *name)
{
	struct np_usm	*u;
	size_t		 i;

	for (i = 0; s != NULL && i < s->users.count; i++)
		if (strcmp(((struct np_usm *)
		    s->users.items[i])->item.label, name) == 0)
			return s->users.items[i];
	for (i = 0; s != NULL && i < s->users.count; i++) {
		u = s->users.items[i];
		if (strcmp(u->user, name) == 0)
			return u;
	}
	return NULL;
}

static void
np_usm_view(const struct np_usm *u, struct snmp_usm *out)
{
	out->user = u->user;
	out->auth = (enum snmp_auth)u->auth;
	out->auth_pass = u->auth_passphrase;
	out->priv = (enum snmp_priv)u->priv;
	out->priv_pass = u->priv_passphrase;
}

static int
np_name_ok(const char *s, size_t max)
{
	size_t	 n = 0;

	for (; s[n] != '\0'; n++)
		if (!isalnum((unsigned char)s[n]) && strchr("._-", s[n]) == NULL)
			return 0;
	return n > 0 && n <= max;
}

static const char *
np_device_datacentre(const struct np_config *cfg, const struct np_device *d)
{
	return d->datacentre != NULL ? d->datacentre : cfg->netpoll.datacentre;
}

/* "netpoll:DATACENTRE:NAME", or "netpoll:NAME" without a datacentre. */
static void
np_agent_id(const char *dc, const char *name, char *buf, size_t size)
{
	if (dc != NULL)
		snprintf(buf, size, "netpoll:%s:%s", dc, name);
	else
		snprintf(buf, size, "netpoll:%s", name);
}

static int
np_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The include file each section of one came from: its line numbers are
 * that file's. Remade at each load. */
static struct {
	const void	*item;
	char		*file;
}		*np_origins;
static size_t	 np_norigins;

/* Where a section is, for messages: "line N" of the main file, or
 * "FILE:N" of the include file it came from. */
static const char *
np_where(const struct cfg_item *it, char *buf, size_t size)
{
	size_t	 i;

	for (i = 0; i < np_norigins; i++)
		if (np_origins[i].item == it) {
			snprintf(buf, size, "%s:%d", np_origins[i].file,
			    it->line);
			return buf;
		}
	snprintf(buf, size, "line %d", it->line);
	return buf;
}

static void
np_origins_clear(void)
{
	size_t	 i;

	for (i = 0; i < np_norigins; i++)
		free(np_origins[i].file);
	free(np_origins);
	np_origins = NULL;
	np_norigins = 0;
}

static void
np_items_move(struct cfg_items *to, struct cfg_items *from, const char *path)
{
	size_t	 k;

	for (k = 0; k < from->count; k++) {
		to->items = xreallocarray(to->items, to->count + 1,
		    sizeof *to->items);
		to->items[to->count++] = from->items[k];
		np_origins = xreallocarray(np_origins, np_norigins + 1,
		    sizeof *np_origins);
		np_origins[np_norigins].item = from->items[k];
		np_origins[np_norigins++].file = xstrdup(path);
	}
	free(from->items);
	from->items = NULL;
	from->count = 0;
}

/* Devices and checks from the *.conf files in include_dir join the main
 * file's. */
static int
np_load_includes(struct np_config *cfg, char *err, size_t errlen)
{
	struct np_include	 inc;
	struct dirent		*de;
	DIR			*d;
	char			**names = NULL, *path;
	size_t			 n = 0, i;
	int			 rc = 0;

	np_origins_clear();
	if (cfg->netpoll.include_dir == NULL)
		return 0;
	if ((d = opendir(cfg->netpoll.include_dir)) == NULL) {
		snprintf(err, errlen, "[netpoll] include_dir %s: %s",
		    cfg->netpoll.include_dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !str_has_suffix(de->d_name, ".conf"))
			continue;
		names = xreallocarray(names, n + 1, sizeof *names);
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof *names, np_cmp_str);
	for (i = 0; i < n && rc == 0; i++) {
		xasprintf(&path, "%s/%s", cfg->netpoll.include_dir, names[i]);
		memset(&inc, 0, sizeof inc);
		if (cfg_load(&np_include_schema, path, &inc, err,
		    errlen) == -1)
			rc = -1;
		else {
			np_items_move(&cfg->devices, &inc.devices, path);
			np_items_move(&cfg->https, &inc.https, path);
			np_items_move(&cfg->sshs, &inc.sshs, path);
		}
		free(path);
	}
	str_list_free(names, n);
	return rc;
}

static const char *
np_http_host(const struct np_http *h)
{
	return h->host != NULL ? h->host : h->item.label;
}

static const struct np_device *
np_find_device(const struct np_config *cfg, const char *name)
{
	size_t	 i;

	for (i = 0; i < cfg->devices.count; i++)
		if (strcmp(((struct np_device *)
		    cfg->devices.items[i])->item.label, name) == 0)
			return cfg->devices.items[i];
	return NULL;
}

static int64_t
np_device_interval(const struct np_config *cfg, const struct np_device *d)
{
	return d->interval > 0 ? d->interval : cfg->netpoll.interval;
}

static int64_t
np_http_interval(const struct np_config *cfg, const struct np_http *h)
{
	return h->interval > 0 ? h->interval : cfg->netpoll.interval;
}

static const char *
np_http_datacentre(const struct np_config *cfg, const struct np_http *h)
{
	return h->datacentre != NULL ? h->datacentre : cfg->netpoll.datacentre;
}

/* "http://" or "https://", a host, and no user or password. */
static int
np_url_ok(const char *url, const char **why)
{
	const char	*p;
	size_t		 n;

	if (strncasecmp(url, "https://", 8) == 0)
		p = url + 8;
	else if (strncasecmp(url, "http://", 7) == 0)
		p = url + 7;
	else {
		*why = "not an http:// or https:// URL";
		return 0;
	}
	n = strcspn(p, "/?#");
	if (memchr(p, '@', n) != NULL) {
		*why = "a user or password in the URL is not supported (it "
		    "would be in the clear)";
		return 0;
	}
	if (n == 0 || *p == ':') {
		*why = "no host in the URL";
		return 0;
	}
	return 1;
}

/* Every [http] check: names, URL, regex, and where it is reported. */
static int
np_validate_http(const struct np_config *cfg, char *err, size_t errlen)
{
	const struct np_http	*h, *o;
	const struct np_device	*d;
	const char		*host, *dc, *why;
	regex_t			 re;
	char			 id[128], text[256];
	char			 where[PATH_MAX + 32], other[PATH_MAX + 32];
	size_t			 i, k;
	int			 rc;

	for (i = 0; i < cfg->https.count; i++) {
		h = cfg->https.items[i];
		if (!np_name_ok(h->item.label, NP_NAME_MAX)) {
			snprintf(err, errlen, "%s: [http \"%s\"]: a check "
			    "name is 1-%d letters, digits, '.', '_' or '-'",
			    np_where(&h->item, where, sizeof where), h->item.label, NP_NAME_MAX);
			return -1;
		}
		for (k = 0; k < i; k++) {
			o = cfg->https.items[k];
			if (strcmp(o->item.label, h->item.label) == 0) {
				snprintf(err, errlen, "%s: [http \"%s\"] "
				    "is already defined (%s)",
				    np_where(&h->item, where, sizeof where),
				    h->item.label, np_where(&o->item, other,
				    sizeof other));
				return -1;
			}
		}
		if (!np_url_ok(h->url, &why)) {
			snprintf(err, errlen, "%s: [http \"%s\"] url: %s",
			    np_where(&h->item, where, sizeof where), h->item.label, why);
			return -1;
		}
		if (h->warning_time > 0 && h->warning_time >= h->timeout) {
			snprintf(err, errlen, "%s: [http \"%s\"] "
			    "warning_time: must be shorter than timeout (%lld "
			    "ms), or it can never apply", np_where(&h->item, where, sizeof where),
			    h->item.label, (long long)h->timeout);
			return -1;
		}
		if (h->body_regex != NULL) {
			/* Compiled here so that -n finds a bad one; the
			 * poller compiles it once more, for its run. */
			if ((rc = regcomp(&re, h->body_regex,
			    HTTP_CHECK_REGEX_FLAGS)) != 0) {
				regerror(rc, &re, text, sizeof text);
				snprintf(err, errlen, "%s: [http \"%s\"] "
				    "body_regex: %s", np_where(&h->item, where, sizeof where),
				    h->item.label, text);
				return -1;
			}
			regfree(&re);
		}
		host = np_http_host(h);
		if (!np_name_ok(host, NP_NAME_MAX)) {
			snprintf(err, errlen, "%s: [http \"%s\"] host "
			    "\"%s\": a host name here is 1-%d letters, digits, "
			    "'.', '_' or '-'", np_where(&h->item, where, sizeof where), h->item.label,
			    host, NP_NAME_MAX);
			return -1;
		}
		if ((d = np_find_device(cfg, host)) != NULL) {
			/* The check joins the device's report. */
			if (h->datacentre != NULL && strcmp(h->datacentre,
			    np_device_datacentre(cfg, d) != NULL ?
			    np_device_datacentre(cfg, d) : "") != 0) {
				snprintf(err, errlen, "%s: [http \"%s\"] "
				    "datacentre \"%s\": [device \"%s\"] is in "
				    "%s", np_where(&h->item, where, sizeof where), h->item.label,
				    h->datacentre, host,
				    np_device_datacentre(cfg, d) != NULL ?
				    np_device_datacentre(cfg, d) :
				    "no datacentre");
				return -1;
			}
			if (h->interval > 0 && h->interval !=
			    np_device_interval(cfg, d)) {
				snprintf(err, errlen, "%s: [http \"%s\"] "
				    "interval: a check reported under [device "
				    "\"%s\"] runs with its poll, every %llds",
				    np_where(&h->item, where, sizeof where), h->item.label, host,
				    (long long)np_device_interval(cfg, d) /
				    1000);
				return -1;
			}
			continue;
		}
		dc = np_http_datacentre(cfg, h);
		if (dc != NULL && !np_name_ok(dc, 64)) {
			snprintf(err, errlen, "%s: [http \"%s\"] "
			    "datacentre \"%s\": letters, digits, '.', '_' or "
			    "'-' (it is part of the agent id)", np_where(&h->item, where, sizeof where),
			    h->item.label, dc);
			return -1;
		}
		np_agent_id(dc, host, id, sizeof id);
		if (strlen(id) > 64) {
			snprintf(err, errlen, "%s: [http \"%s\"]: agent "
			    "id %s is longer than 64 characters", np_where(&h->item, where, sizeof where),
			    h->item.label, id);
			return -1;
		}
		/* One report per host: its checks run together. */
		for (k = 0; k < i; k++) {
			o = cfg->https.items[k];
			if (strcmp(np_http_host(o), host) != 0)
				continue;
			if (strcmp(np_http_datacentre(cfg, o) != NULL ?
			    np_http_datacentre(cfg, o) : "", dc != NULL ? dc :
			    "") != 0) {
				snprintf(err, errlen, "%s: [http \"%s\"] "
				    "datacentre: host %s is in %s (%s)",
				    np_where(&h->item, where, sizeof where),
				    h->item.label, host,
				    np_http_datacentre(cfg, o) != NULL ?
				    np_http_datacentre(cfg, o) :
				    "no datacentre", np_where(&o->item, other,
				    sizeof other));
				return -1;
			}
			if (np_http_interval(cfg, o) !=
			    np_http_interval(cfg, h)) {
				snprintf(err, errlen, "%s: [http \"%s\"] "
				    "interval: the checks of host %s run "
				    "together; %s says every %llds",
				    np_where(&h->item, where, sizeof where),
				    h->item.label, host, np_where(&o->item,
				    other, sizeof other),
				    (long long)np_http_interval(cfg, o) / 1000);
				return -1;
			}
		}
	}
	return 0;
}

static const char *
np_ssh_host(const struct np_ssh *x)
{
	return x->host != NULL ? x->host : x->item.label;
}

static int64_t
np_ssh_interval(const struct np_config *cfg, const struct np_ssh *x)
{
	return x->interval > 0 ? x->interval : cfg->netpoll.interval;
}

static const char *
np_ssh_datacentre(const struct np_config *cfg, const struct np_ssh *x)
{
	return x->datacentre != NULL ? x->datacentre : cfg->netpoll.datacentre;
}

/* Every [ssh] session: names, what it runs with, and where it is
 * reported (its host agreeing with the other checks under that host). */
static int
np_validate_ssh(const struct np_config *cfg, char *err, size_t errlen)
{
	const struct np_ssh	*x, *o;
	const struct np_http	*h;
	const struct np_device	*d;
	const char		*host, *dc, *odc;
	struct stat		 st;
	char			 id[128];
	char			 where[PATH_MAX + 32], other[PATH_MAX + 32];
	size_t			 i, k;

	for (i = 0; i < cfg->sshs.count; i++) {
		x = cfg->sshs.items[i];
#define SSH_ERR(...) do {						\
	char	 why_[512];						\
	snprintf(why_, sizeof why_, __VA_ARGS__);			\
	snprintf(err, errlen, "%s: [ssh \"%s\"]%s", np_where(&x->item,	\
	    where, sizeof where), x->item.label, why_);			\
	return -1;							\
} while (0)
		if (!np_name_ok(x->item.label, NP_NAME_MAX))
			SSH_ERR(": a check name is 1-%d letters, digits, '.', "
			    "'_' or '-'", NP_NAME_MAX);
		for (k = 0; k < i; k++) {
			o = cfg->sshs.items[k];
			if (strcmp(o->item.label, x->item.label) == 0)
				SSH_ERR(" is already defined (%s)",
				    np_where(&o->item, other, sizeof other));
		}
		if (x->key_file == NULL && x->credentials == NULL)
			SSH_ERR(": no key_file and no credentials: nothing to "
			    "log in with");
		if (x->key_file != NULL) {
			if (stat(x->key_file, &st) == -1)
				SSH_ERR(" key_file %s: %s", x->key_file,
				    strerror(errno));
			if ((st.st_mode & 077) != 0)
				SSH_ERR(" key_file %s: mode %04o; it must be "
				    "readable by its owner only (0600)",
				    x->key_file, (unsigned)(st.st_mode & 07777));
		}
		if (x->profile == SSH_PROFILE_NONE && x->command == NULL)
			SSH_ERR(": no command and profile none: nothing to "
			    "run");
		host = np_ssh_host(x);
		if (!np_name_ok(host, NP_NAME_MAX))
			SSH_ERR(" host \"%s\": a host name here is 1-%d "
			    "letters, digits, '.', '_' or '-'", host,
			    NP_NAME_MAX);
		dc = np_ssh_datacentre(cfg, x);
		if ((d = np_find_device(cfg, host)) != NULL) {
			odc = np_device_datacentre(cfg, d);
			if (x->datacentre != NULL && strcmp(x->datacentre,
			    odc != NULL ? odc : "") != 0)
				SSH_ERR(" datacentre \"%s\": [device \"%s\"] is "
				    "in %s", x->datacentre, host, odc != NULL ?
				    odc : "no datacentre");
			if (x->interval > 0 && x->interval !=
			    np_device_interval(cfg, d))
				SSH_ERR(" interval: a check reported under "
				    "[device \"%s\"] runs with its poll, every "
				    "%llds", host, (long long)
				    np_device_interval(cfg, d) / 1000);
			continue;
		}
		if (dc != NULL && !np_name_ok(dc, 64))
			SSH_ERR(" datacentre \"%s\": letters, digits, '.', '_' "
			    "or '-' (it is part of the agent id)", dc);
		np_agent_id(dc, host, id, sizeof id);
		if (strlen(id) > 64)
			SSH_ERR(": agent id %s is longer than 64 characters",
			    id);
		/* One report per host: its checks run together. */
		for (k = 0; k < cfg->sshs.count + cfg->https.count; k++) {
			if (k < cfg->sshs.count) {
				o = cfg->sshs.items[k];
				if (k >= i)
					continue;
				if (strcmp(np_ssh_host(o), host) != 0)
					continue;
				odc = np_ssh_datacentre(cfg, o);
				if (np_ssh_interval(cfg, o) !=
				    np_ssh_interval(cfg, x))
					SSH_ERR(" interval: the checks of host "
					    "%s run together; %s says "
					    "every %llds", host, np_where(&o->item,
					    other, sizeof other),
					    (long long)np_ssh_interval(cfg,
					    o) / 1000);
			} else {
				h = cfg->https.items[k - cfg->sshs.count];
				if (strcmp(np_http_host(h), host) != 0)
					continue;
				odc = np_http_datacentre(cfg, h);
				if (np_http_interval(cfg, h) !=
				    np_ssh_interval(cfg, x))
					SSH_ERR(" interval: the checks of host "
					    "%s run together; [http \"%s\"] "
					    "says every %llds", host,
					    h->item.label, (long long)
					    np_http_interval(cfg, h) / 1000);
			}
			if (strcmp(odc != NULL ? odc : "", dc != NULL ? dc :
			    "") != 0)
				SSH_ERR(" datacentre: host %s is in %s", host,
				    odc != NULL ? odc : "no datacentre");
		}
#undef SSH_ERR
	}
	return 0;
}

/* Whether the secrets file is needed: SNMP devices, SSH passwords. */
static int
np_needs_secrets(const struct np_config *cfg)
{
	size_t	 i;

	if (cfg->devices.count > 0)
		return 1;
	for (i = 0; i < cfg->sshs.count; i++)
		if (((struct np_ssh *)cfg->sshs.items[i])->credentials != NULL)
			return 1;
	return 0;
}

static int
np_validate(void *p, char *err, size_t errlen)
{
	struct np_config	*cfg = p;
	struct np_device	*d, *e;
	struct np_secrets	*sec;
	const char		*dc;
	char			 id[128], why[1024];
	char			 where[PATH_MAX + 32], other[PATH_MAX + 32];
	size_t			 i, k;
	int			 rc = 0;

	if (np_load_includes(cfg, err, errlen) == -1)
		return -1;
	for (i = 0; i < cfg->devices.count; i++) {
		d = cfg->devices.items[i];
		if (!np_name_ok(d->item.label, NP_NAME_MAX)) {
			snprintf(err, errlen, "%s: [device \"%s\"]: a device "
			    "name is 1-%d letters, digits, '.', '_' or '-'",
			    np_where(&d->item, where, sizeof where), d->item.label, NP_NAME_MAX);
			return -1;
		}
		dc = np_device_datacentre(cfg, d);
		if (dc != NULL && !np_name_ok(dc, 64)) {
			snprintf(err, errlen, "%s: [device \"%s\"] "
			    "datacentre \"%s\": letters, digits, '.', '_' or "
			    "'-' (it is part of the agent id)", np_where(&d->item, where, sizeof where),
			    d->item.label, dc);
			return -1;
		}
		np_agent_id(dc, d->item.label, id, sizeof id);
		if (strlen(id) > 64) {
			snprintf(err, errlen, "%s: [device \"%s\"]: agent "
			    "id %s is longer than 64 characters", np_where(&d->item, where, sizeof where),
			    d->item.label, id);
			return -1;
		}
		for (k = 0; k < i; k++) {
			e = cfg->devices.items[k];
			if (strcmp(e->item.label, d->item.label) == 0) {
				snprintf(err, errlen, "%s: [device \"%s\"] "
				    "is already defined (%s)",
				    np_where(&d->item, where, sizeof where),
				    d->item.label, np_where(&e->item, other,
				    sizeof other));
				return -1;
			}
		}
	}
	if (send_config_check(&cfg->collector, err, errlen) == -1)
		return -1;
	if (np_validate_http(cfg, err, errlen) == -1 ||
	    np_validate_ssh(cfg, err, errlen) == -1 ||
	    daemon_user_check(cfg->daemon.user, err, errlen) == -1)
		return -1;
	if (!np_needs_secrets(cfg))
		return 0;
	/* Every device's credentials must resolve now, not at 3am. */
	if ((sec = np_secrets_load(cfg->netpoll.secrets_file, why,
	    sizeof why)) == NULL) {
		snprintf(err, errlen, "[netpoll] secrets_file: %s", why);
		return -1;
	}
	for (i = 0; i < cfg->devices.count && rc == 0; i++) {
		d = cfg->devices.items[i];
		if (np_versions[d->version][0] == '3' ?
		    np_find_usm(sec, d->credentials) == NULL :
		    np_find_community(sec, d->credentials) == NULL) {
			snprintf(err, errlen, "%s: [device \"%s\"] "
			    "credentials \"%s\": no [%s \"%s\"] in %s",
			    np_where(&d->item, where, sizeof where), d->item.label, d->credentials,
			    np_versions[d->version][0] == '3' ? "usm" :
			    "community", d->credentials,
			    cfg->netpoll.secrets_file);
			rc = -1;
		}
	}
	for (i = 0; i < cfg->sshs.count && rc == 0; i++) {
		const struct np_ssh *x = cfg->sshs.items[i];

		if (x->credentials != NULL &&
		    np_find_password(sec, x->credentials) == NULL) {
			snprintf(err, errlen, "%s: [ssh \"%s\"] "
			    "credentials \"%s\": no [password \"%s\"] in %s",
			    np_where(&x->item, where, sizeof where), x->item.label, x->credentials,
			    x->credentials, cfg->netpoll.secrets_file);
			rc = -1;
		}
	}
	np_secrets_free(sec);
	return rc;
}

static const struct cfg_schema np_schema = {
	"ward-netpoll", WARD_SYSCONFDIR "/netpoll.conf", np_sections,
	np_validate,
};

static const struct cli_option np_extra[] = {
	{ "once", 0, 0, NULL,
	  "poll every device once and deliver the reports; exit 0 only when "
	  "the collector acknowledged them all" },
	{ "secrets", 0, 1, "FILE",
	  "probe: the secrets file (mode 0600) for snmpv3:// and "
	  "--credentials" },
	{ "credentials", 0, 1, "NAME",
	  "probe: the community or user entry in --secrets to use" },
	{ "ca-file", 0, 1, "FILE",
	  "probe https://: CA certificates (PEM) to verify the server with" },
	{ "expect-status", 0, 1, "CODE",
	  "probe http(s)://: the status that passes (default 200)" },
	{ "body-regex", 0, 1, "REGEX",
	  "probe http(s)://: a POSIX extended regex the body must match" },
	{ "key", 0, 1, "FILE",
	  "probe ssh://: the private key to log in with (mode 0600)" },
	{ "known-hosts", 0, 1, "FILE",
	  "probe ssh://: the known_hosts file the host key must be in "
	  "(default ~/.ssh/known_hosts)" },
	{ "trust-first-use", 0, 0, NULL,
	  "probe ssh://: write an unknown host key to --known-hosts "
	  "instead of refusing it" },
	{ "profile", 0, 1, "NAME",
	  "probe ssh://: inventory commands: unix (default), cisco or none" },
	{ "command", 0, 1, "CMD",
	  "probe ssh://: a command to run as a check (exit 0 OK, 1 WARNING, "
	  "2 CRITICAL)" },
	{ "timeout", 0, 1, "DURATION",
	  "probe ssh://: the whole session's time limit (default 10s)" },
	{ "output-max", 0, 1, "SIZE",
	  "probe ssh://: bytes of each command's output kept (default 64k)" },
	CLI_OPTIONS_END
};

static const struct cli_program np_program = {
	.name = "ward-netpoll",
	.summary = "ward-netpoll: the poller that reports switches, UPSes and agentless devices over SNMP, SSH and HTTP.",
	.operands = "[probe URI]",
	.schema = &np_schema,
	.extra = np_extra,
	.is_daemon = 1,
	.config_optional = 1,
	/* A probe needs no file; polling does, and -n checks it. */
	.config_optional_for = "probe",
	.commands_help =
	    "probe URI: poll one device and print its report as JSON, without\n"
	    "a configuration or a collector. URI is snmp://COMMUNITY@HOST[:PORT]\n"
	    "(v2c), snmpv1://COMMUNITY@HOST[:PORT], snmp://HOST[:PORT] with\n"
	    "--credentials, or snmpv3://USER@HOST[:PORT] with --secrets FILE;\n"
	    "or an http:// or https:// URL to check (--ca-file,\n"
	    "--expect-status, --body-regex); or ssh://USER@HOST[:PORT] with\n"
	    "--key, --known-hosts (--profile, --command, --timeout).\n",
	.log_offset = offsetof(struct np_config, log),
};

/* One URL check of a host, with what it keeps across cycles. */
struct np_http_check {
	struct http_check_spec	 spec;
	regex_t			 re;
	int			 has_re;
	struct http_check	*run;		/* this cycle's */
	struct log_complain	 complain;
};

/* One SSH session of a host, with what it keeps across cycles. */
struct np_ssh_check {
	struct ssh_spec		 spec;
	const char		*cmds[4];
	enum ssh_profile	 profile;
	struct ssh_job		*run;		/* this cycle's */
	struct log_complain	 complain;
};

/*
 * What reporting one host needs, resolved from config and secrets: a
 * [device] polled over SNMP (with any URL checks reported under it), or a
 * host that only URL checks speak for.
 */
struct np_target {
	char			*name;
	char			 id[80];
	const char		*datacentre;
	const char		*kind;		/* NULL: auto */
	int			 is_device;	/* polled over SNMP */
	struct np_http_check	**http;
	size_t			 nhttp;
	struct np_ssh_check	**ssh;
	size_t			 nssh;
	char			 address[300];
	struct snmp_target	 t;
	struct snmp_usm		 usm;
	/* Daemon and --once state. */
	char			*seq_path;
	int64_t			 last_seq;
	int64_t			 polled_seq;	/* the report of this cycle */
	struct spool		*spool;
	struct netpoll_counters	*counters;
	struct netpoll_software	 software;	/* hrSWInstalled last walked */
	char			*software_path;
	int64_t			 next_poll_ms;
	int64_t			 interval_ms;
	struct snmp_job		*job;
};

struct np_run {
	const struct np_config	*cfg;
	struct np_target	**targets;
	size_t			 n;
	int			 print;		/* probe: print, do not spool */
	int			 failed;	/* probe: the device failed */
};

static void
np_target_fill(struct np_target *tg, const struct np_config *cfg,
    const struct np_device *d, const struct np_secrets *sec)
{
	const struct np_community	*c;
	const struct np_usm		*u;

	tg->name = xstrdup(d->item.label);
	tg->is_device = 1;
	tg->datacentre = np_device_datacentre(cfg, d);
	np_agent_id(tg->datacentre, tg->name, tg->id, sizeof tg->id);
	tg->kind = d->kind == 0 ? NULL : np_kinds[d->kind];
	tg->t.name = tg->name;
	tg->t.host = d->address;
	tg->t.port = (unsigned)d->port;
	tg->t.version = d->version == 0 ? SNMP_V1 : d->version == 1 ?
	    SNMP_V2C : SNMP_V3;
	tg->t.timeout_ms = d->timeout > 0 ? d->timeout : cfg->netpoll.timeout;
	tg->t.retries = (int)d->retries;
	tg->t.max_repetitions = (int)cfg->netpoll.max_repetitions;
	if (tg->t.version == SNMP_V3) {
		if ((u = np_find_usm(sec, d->credentials)) != NULL) {
			np_usm_view(u, &tg->usm);
			tg->t.usm = &tg->usm;
		}
	} else if ((c = np_find_community(sec, d->credentials)) != NULL)
		tg->t.community = c->community;
	snprintf(tg->address, sizeof tg->address, "%s:%u", d->address,
	    tg->t.port);
	tg->interval_ms = d->interval > 0 ? d->interval : cfg->netpoll.interval;
}

/* A host of URL checks only. */
static void
np_target_fill_http(struct np_target *tg, const struct np_config *cfg,
    const struct np_http *h)
{
	tg->name = xstrdup(np_http_host(h));
	tg->datacentre = np_http_datacentre(cfg, h);
	np_agent_id(tg->datacentre, tg->name, tg->id, sizeof tg->id);
	tg->kind = "appliance";
	tg->interval_ms = np_http_interval(cfg, h);
}

/* A host of SSH sessions (and perhaps URL checks): its kind from the
 * first session's profile. */
static void
np_target_fill_ssh(struct np_target *tg, const struct np_config *cfg,
    const struct np_ssh *x)
{
	tg->name = xstrdup(np_ssh_host(x));
	tg->datacentre = np_ssh_datacentre(cfg, x);
	np_agent_id(tg->datacentre, tg->name, tg->id, sizeof tg->id);
	tg->kind = x->profile == SSH_PROFILE_UNIX ? "server" :
	    x->profile == SSH_PROFILE_CISCO ? "switch" : "appliance";
	tg->interval_ms = np_ssh_interval(cfg, x);
}

/* Adds the SSH session x to tg; its password (if any) stays in sec. */
static void
np_target_add_ssh(struct np_target *tg, const struct np_ssh *x,
    const struct np_secrets *sec)
{
	struct np_ssh_check		*sc = xcalloc(1, sizeof *sc);
	const struct np_password	*pw;
	const char *const		*inv;
	size_t				 n = 0;

	sc->profile = (enum ssh_profile)x->profile;
	for (inv = ssh_profile_commands(sc->profile); *inv != NULL; inv++)
		sc->cmds[n++] = *inv;
	sc->spec.ninventory = n;
	if (x->command != NULL)
		sc->cmds[n++] = x->command;
	sc->spec.name = x->item.label;
	sc->spec.host = x->address;
	sc->spec.port = (unsigned)x->port;
	sc->spec.user = x->user;
	sc->spec.key_file = x->key_file;
	if (x->credentials != NULL &&
	    (pw = np_find_password(sec, x->credentials)) != NULL)
		sc->spec.password = pw->password;
	sc->spec.known_hosts = x->known_hosts;
	sc->spec.trust_first_use = x->trust_first_use;
	sc->spec.commands = sc->cmds;
	sc->spec.ncommands = n;
	sc->spec.timeout_ms = x->timeout;
	sc->spec.output_max = (size_t)x->output_max;
	tg->ssh = xreallocarray(tg->ssh, tg->nssh + 1, sizeof *tg->ssh);
	tg->ssh[tg->nssh++] = sc;
}

/* Adds the URL check h to tg, its regex compiled for the run. */
static int
np_target_add_http(struct np_target *tg, const struct np_http *h,
    char *err, size_t errlen)
{
	struct np_http_check	*hc = xcalloc(1, sizeof *hc);
	char			 text[256];
	int			 rc;

	hc->spec.name = h->item.label;
	hc->spec.url = h->url;
	hc->spec.expect_status = (long)h->expect_status;
	hc->spec.body_regex = h->body_regex;
	hc->spec.body_max = (size_t)h->body_max;
	hc->spec.timeout_ms = h->timeout;
	hc->spec.warning_ms = h->warning_time;
	hc->spec.ca_file = h->ca_file;
	if (h->body_regex != NULL) {
		if ((rc = regcomp(&hc->re, h->body_regex,
		    HTTP_CHECK_REGEX_FLAGS)) != 0) {
			regerror(rc, &hc->re, text, sizeof text);
			snprintf(err, errlen, "[http \"%s\"] body_regex: %s",
			    h->item.label, text);
			free(hc);
			return -1;
		}
		hc->has_re = 1;
		hc->spec.body_re = &hc->re;
	}
	tg->http = xreallocarray(tg->http, tg->nhttp + 1, sizeof *tg->http);
	tg->http[tg->nhttp++] = hc;
	return 0;
}

static void
np_target_free(struct np_target *tg)
{
	size_t	 i;

	if (tg == NULL)
		return;
	for (i = 0; i < tg->nhttp; i++) {
		http_check_free(tg->http[i]->run);
		if (tg->http[i]->has_re)
			regfree(&tg->http[i]->re);
		free(tg->http[i]);
	}
	free(tg->http);
	for (i = 0; i < tg->nssh; i++) {
		ssh_job_free(tg->ssh[i]->run);
		free(tg->ssh[i]);
	}
	free(tg->ssh);
	snmp_job_free(tg->job);
	spool_free(tg->spool);
	netpoll_counters_free(tg->counters);
	free(tg->seq_path);
	free(tg->software_path);
	free(tg->name);
	free(tg);
}

/* A finished host's report: printed (probe) or numbered and spooled. */
static void
np_emit(struct np_run *run, struct np_target *tg, struct report *r,
    int failed)
{
	struct report_meta	 meta;
	json_t			*doc;
	char			*text, err[1024];
	int			 rc;

	memset(&meta, 0, sizeof meta);
	meta.agent_id = tg->id;
	meta.ts_ms = wtime_now_ms();
	meta.interval_s = tg->interval_ms / 1000;
	if (run->print) {
		meta.seq = 1;
		run->failed = failed;
		doc = report_to_json(r, &meta);
		if (json_dumpf(doc, stdout, JSON_INDENT(2) |
		    JSON_REAL_PRECISION(15)) != 0 || fputc('\n', stdout) == EOF ||
		    fflush(stdout) != 0)
			run->failed = 1;
		json_decref(doc);
		report_free(r);
		return;
	}
	/* Saved before the report exists anywhere: a crash never reuses
	 * a number. */
	meta.seq = tg->last_seq + 1;
	if (report_seq_save(tg->seq_path, meta.seq, err, sizeof err) == -1) {
		log_error("%s: sequence number: %s; no report this time",
		    tg->name, err);
		spool_count_lost(tg->spool);
		report_free(r);
		return;
	}
	tg->last_seq = meta.seq;
	meta.dropped = spool_pending_dropped(tg->spool);
	doc = report_to_json(r, &meta);
	report_free(r);
	text = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(15));
	json_decref(doc);
	rc = spool_add(tg->spool, meta.seq, meta.ts_ms, meta.dropped, text,
	    strlen(text), err, sizeof err);
	free(text);
	if (rc == -1) {
		log_error("%s: report %lld lost: %s", tg->name,
		    (long long)meta.seq, err);
		spool_count_lost(tg->spool);
		return;
	}
	spool_dropped_reported(tg->spool, meta.dropped);
	tg->polled_seq = meta.seq;
}

/* One URL check's or SSH session's result, counted for its target: did
 * it reach the server (the first that did not says why), the worst
 * status, and a log line when it starts or stops failing. */
static void
np_tally(struct np_target *tg, const char *kind, const char *name, int st,
    int reached, const char *out, struct log_complain *complain,
    size_t *nreached, int *worst, char *why, size_t whylen)
{
	if (reached)
		(*nreached)++;
	else if (whylen > 0 && why[0] == '\0')
		str_copy(why, out, whylen);
	if (st > *worst)
		*worst = st;
	if (st == CHECK_OK)
		log_release(complain, LOG_LEVEL_INFO, "%s: %s.%s: %s",
		    tg->name, kind, name, out);
	else
		log_complain_once(complain, LOG_LEVEL_WARNING, "%s: %s.%s: %s",
		    tg->name, kind, name, out);
}

/*
 * The URL checks of tg that ran this cycle, into r; a failing check is
 * logged once while it fails and once when it recovers. Returns how many
 * got to their server; *worst is the worst status, *why the first
 * failure's output.
 */
static size_t
np_http_results(struct np_target *tg, struct report *r, int *worst,
    char *why, size_t whylen)
{
	struct np_http_check	*hc;
	const struct http_check_result *res;
	char			 out[1024];
	size_t			 i, reached = 0;
	int			 st;

	*worst = CHECK_OK;
	if (whylen > 0)
		why[0] = '\0';
	for (i = 0; i < tg->nhttp; i++) {
		hc = tg->http[i];
		if (hc->run == NULL)
			continue;
		res = http_check_result(hc->run);
		st = http_check_report(&hc->spec, res, r, out, sizeof out);
		np_tally(tg, "http", hc->spec.name, st, http_check_reached(res),
		    out, &hc->complain, &reached, worst, why, whylen);
	}
	return reached;
}

/* The SSH sessions of tg that ran this cycle, into r, as
 * np_http_results does for URL checks. */
static size_t
np_ssh_results(struct np_target *tg, struct report *r, int *worst,
    char *why, size_t whylen)
{
	struct np_ssh_check		*sc;
	const struct ssh_result		*res;
	char				 out[1024];
	size_t				 i, reached = 0;
	int				 st;

	for (i = 0; i < tg->nssh; i++) {
		sc = tg->ssh[i];
		if (sc->run == NULL)
			continue;
		res = ssh_job_result(sc->run);
		st = ssh_report(&sc->spec, sc->profile, res, r, out,
		    sizeof out);
		np_tally(tg, "ssh", sc->spec.name, st, ssh_reached(res), out,
		    &sc->complain, &reached, worst, why, whylen);
	}
	return reached;
}

/* The software list went out in a report: remember when, so the next
 * polls do not walk the table again. A report that was not spooled
 * leaves it to be walked next time. */
static void
np_software_saved(struct np_target *tg)
{
	char	 err[512];

	tg->software.dirty = 0;
	if (tg->polled_seq != tg->last_seq) {
		tg->software.known = 0;
		return;
	}
	if (netpoll_software_save(tg->software_path, &tg->software, err,
	    sizeof err) == -1) {
		log_warnx("%s: software state: %s; the table will be walked "
		    "again", tg->name, err);
		tg->software.known = 0;
	}
}

/* One finished device: its report, with its URL checks, printed or
 * spooled. */
static void
np_done(struct snmp_job *job, void *arg)
{
	struct np_run			*run = arg;
	struct np_target		*tg = NULL;
	struct netpoll_device_info	 info;
	struct report			*r;
	size_t				 i;
	int				 worst;

	for (i = 0; i < run->n; i++)
		if (run->targets[i]->job == job)
			tg = run->targets[i];
	if (tg == NULL)
		return;
	if (snmp_job_failure(job) == SNMP_FAIL_NONE)
		log_info("%s: polled (%zu values in %zu requests)", tg->name,
		    snmp_job_vars(job)->n, snmp_job_requests(job));
	else
		log_info("%s: %s: %s", tg->name,
		    snmp_failure_name(snmp_job_failure(job)),
		    snmp_job_error(job));
	memset(&info, 0, sizeof info);
	info.name = tg->name;
	info.datacentre = tg->datacentre;
	info.kind = tg->kind;
	info.address = tg->address;
	info.software = run->print ? NULL : &tg->software;
	tg->software.dirty = 0;
	r = report_new();
	netpoll_build_report(&info, snmp_job_vars(job), snmp_job_failure(job),
	    snmp_job_error(job), &tg->counters, wtime_mono_ms(), r);
	(void)np_http_results(tg, r, &worst, NULL, 0);
	(void)np_ssh_results(tg, r, &worst, NULL, 0);
	np_emit(run, tg, r, snmp_job_failure(job) != SNMP_FAIL_NONE);
	if (!run->print && tg->software.dirty)
		np_software_saved(tg);
}

/* A host of URL checks only: its identity, its checks, and "alive". */
static void
np_http_done(struct np_run *run, struct np_target *tg)
{
	struct report	*r;
	char		 why[1024];
	size_t		 reached;
	int		 worst;

	r = report_new();
	report_host_set(r, "name", tg->name);
	report_host_set(r, "datacentre", tg->datacentre);
	report_host_set(r, "kind", tg->kind);
	reached = np_http_results(tg, r, &worst, why, sizeof why);
	if (tg->nssh == 0)
		http_check_alive(r, reached, tg->nhttp, why);
	else {
		char	 out[1200];
		size_t	 n = tg->nhttp + tg->nssh;

		reached += np_ssh_results(tg, r, &worst, why, sizeof why);
		if (reached > 0) {
			snprintf(out, sizeof out, "the device answers (%zu of "
			    "%zu check%s got through)", reached, n, n == 1 ?
			    "" : "s");
			report_check(r, "alive", CHECK_OK, out, NULL);
		} else {
			snprintf(out, sizeof out, "no check reached the "
			    "device: %s", why[0] != '\0' ? why : "no answer");
			report_check(r, "alive", CHECK_CRITICAL, out, NULL);
		}
	}
	log_info("%s: %zu check%s, %zu reached the host%s", tg->name,
	    tg->nhttp + tg->nssh, tg->nhttp + tg->nssh == 1 ? "" : "s",
	    reached, worst == CHECK_OK ? "" : "; not all OK");
	np_emit(run, tg, r, worst != CHECK_OK);
}

static int
np_never_stop(void)
{
	return 0;
}

static void
np_http_clear(struct np_target *tg)
{
	size_t	 k;

	for (k = 0; k < tg->nhttp; k++) {
		http_check_free(tg->http[k]->run);
		tg->http[k]->run = NULL;
	}
	for (k = 0; k < tg->nssh; k++) {
		ssh_job_free(tg->ssh[k]->run);
		tg->ssh[k]->run = NULL;
	}
}

/*
 * One cycle over the targets given: their URL checks first, all at once
 * through one multi handle, then the devices over SNMP, all at once within
 * the concurrency bound; each host's report carries both.
 */
static void
np_poll(struct np_run *run, struct np_target **due, size_t n,
    size_t concurrency, int (*stop)(void))
{
	struct snmp_job		**jobs;
	struct http_check	**checks = NULL;
	struct ssh_job		**sessions = NULL;
	size_t			  i, k, njobs = 0, nchecks = 0, nsessions = 0;

	for (i = 0; i < n; i++) {
		for (k = 0; k < due[i]->nhttp; k++) {
			http_check_free(due[i]->http[k]->run);
			due[i]->http[k]->run = http_check_new(
			    &due[i]->http[k]->spec);
			checks = xreallocarray(checks, nchecks + 1,
			    sizeof *checks);
			checks[nchecks++] = due[i]->http[k]->run;
		}
	}
	http_check_run(checks, nchecks, concurrency, stop);
	free(checks);
	/* Stopped part way: checks cut short say nothing about their hosts,
	 * so this cycle reports nothing. */
	if (nchecks > 0 && stop != NULL && stop()) {
		for (i = 0; i < n; i++)
			np_http_clear(due[i]);
		return;
	}
	/* The SSH sessions, all at once in one poll loop. */
	for (i = 0; i < n; i++) {
		for (k = 0; k < due[i]->nssh; k++) {
			ssh_job_free(due[i]->ssh[k]->run);
			due[i]->ssh[k]->run = ssh_job_new(
			    &due[i]->ssh[k]->spec);
			sessions = xreallocarray(sessions, nsessions + 1,
			    sizeof *sessions);
			sessions[nsessions++] = due[i]->ssh[k]->run;
		}
	}
	ssh_run(sessions, nsessions, concurrency, stop);
	free(sessions);
	if (nsessions > 0 && stop != NULL && stop()) {
		for (i = 0; i < n; i++)
			np_http_clear(due[i]);
		return;
	}

	jobs = xreallocarray(NULL, n > 0 ? n : 1, sizeof *jobs);
	for (i = 0; i < n; i++) {
		if (!due[i]->is_device)
			continue;
		snmp_job_free(due[i]->job);
		due[i]->job = jobs[njobs++] = snmp_job_new(&due[i]->t,
		    netpoll_plan_step, run->print ? NULL : &due[i]->software);
		netpoll_plan_start(due[i]->job);
	}
	if (njobs > 0)
		snmp_run(jobs, njobs, concurrency, stop, np_done, run);
	for (i = 0; i < n; i++) {
		if (!due[i]->is_device)
			np_http_done(run, due[i]);
		snmp_job_free(due[i]->job);
		due[i]->job = NULL;
		np_http_clear(due[i]);
	}
	free(jobs);
}

/* The host part of an http(s) URL, for the report's host.name. */
static char *
np_url_host(const char *url)
{
	const char	*p = strstr(url, "://") + 3, *end;

	if (*p == '[' && (end = strchr(p, ']')) != NULL)
		return xstrndup(p + 1, (size_t)(end - p - 1));
	return xstrndup(p, strcspn(p, ":/?#"));
}

/* probe http(s)://...: one URL check, its host's report on standard
 * output; exit 1 unless the check is OK. */
static int
np_probe_http(const struct cli *cli, const char *url)
{
	struct np_config	 cfg;
	struct np_http		 h;
	struct np_target	*tg;
	struct np_run		 run;
	const char		*status, *why;
	char			 err[1024];
	int64_t			 code = 200;
	int			 rc = WARD_EXIT_FAILURE;

	memset(&cfg, 0, sizeof cfg);
	memset(&h, 0, sizeof h);
	if (cfg_defaults(&np_schema, &cfg, err, sizeof err) == -1) {
		log_error("%s", err);
		return WARD_EXIT_FAILURE;
	}
	if (!np_url_ok(url, &why)) {
		log_error("probe: %s", why);
		goto done;
	}
	status = cli_extra(&np_program, cli, "expect-status");
	if (status != NULL && str_parse_int64(status, 100, 599, &code, err,
	    sizeof err) == -1) {
		log_error("--expect-status: %s", err);
		goto done;
	}
	h.item.label = (char *)"probe";
	h.url = (char *)url;
	h.expect_status = code;
	h.body_regex = (char *)cli_extra(&np_program, cli, "body-regex");
	h.body_max = 256 * 1024;
	h.timeout = 10000;
	h.ca_file = (char *)cli_extra(&np_program, cli, "ca-file");
	tg = xcalloc(1, sizeof *tg);
	tg->name = np_url_host(url);
	tg->datacentre = cfg.netpoll.datacentre;
	tg->kind = "appliance";
	tg->interval_ms = cfg.netpoll.interval;
	snprintf(tg->id, sizeof tg->id, "netpoll:probe");
	if (np_target_add_http(tg, &h, err, sizeof err) == -1) {
		log_error("--body-regex: %s", strchr(err, ':') + 2);
		np_target_free(tg);
		goto done;
	}
	if (http_global_init(err, sizeof err) == -1) {
		log_error("%s", err);
		np_target_free(tg);
		goto done;
	}
	memset(&run, 0, sizeof run);
	run.cfg = &cfg;
	run.targets = &tg;
	run.n = 1;
	run.print = 1;
	np_poll(&run, &tg, 1, 1, np_never_stop);
	http_global_cleanup();
	rc = run.failed ? WARD_EXIT_FAILURE : WARD_EXIT_OK;
	np_target_free(tg);

done:
	cfg_free(&np_schema, &cfg);
	return rc;
}

/*
 * A finished SSH session of a host of its own into its report: identity,
 * the check ssh.NAME and "alive". Returns the check's status.
 */
static int
np_ssh_host_report(const struct ssh_spec *spec, enum ssh_profile profile,
    const struct ssh_result *res, struct report *r)
{
	char	 out[1024], why[1100];
	int	 st;

	st = ssh_report(spec, profile, res, r, out, sizeof out);
	if (ssh_reached(res))
		report_check(r, "alive", CHECK_OK, "the device answers over "
		    "SSH", NULL);
	else {
		snprintf(why, sizeof why, "no SSH session reached the device: "
		    "%s", out);
		report_check(r, "alive", CHECK_CRITICAL, why, NULL);
	}
	return st;
}

/* probe ssh://USER@HOST[:PORT]: one session, its host's report on
 * standard output; exit 1 unless the check is OK. */
static int
np_probe_ssh(const struct cli *cli, const char *uri)
{
	struct ssh_spec		 spec;
	struct ssh_job		*job;
	struct report		*r;
	struct report_meta	 meta;
	const char		*rest, *at, *hp, *port = NULL, *v;
	const char		*cmds[8];
	char			*user = NULL, *host = NULL, *kh = NULL, *end;
	char			 err[512];
	int64_t			 timeout = 10000, outmax = 65536;
	long			 portnum = 22;
	json_t			*doc;
	size_t			 n = 0, i;
	int			 profile = SSH_PROFILE_UNIX, st;
	int			 rc = WARD_EXIT_FAILURE;

	rest = uri + 6;
	if ((at = strrchr(rest, '@')) == NULL || at == rest) {
		log_error("probe: use ssh://USER@HOST[:PORT]");
		return WARD_EXIT_FAILURE;
	}
	user = xstrndup(rest, (size_t)(at - rest));
	hp = at + 1;
	if (*hp == '[') {
		if ((end = strchr(hp, ']')) == NULL) {
			log_error("probe: unclosed [ in the address");
			goto done;
		}
		host = xstrndup(hp + 1, (size_t)(end - hp - 1));
		if (end[1] == ':')
			port = end + 2;
	} else {
		host = xstrndup(hp, strcspn(hp, ":/"));
		if (hp[strlen(host)] == ':')
			port = hp + strlen(host) + 1;
	}
	if (port != NULL) {
		portnum = strtol(port, &end, 10);
		if (end == port || (*end != '\0' && *end != '/') ||
		    portnum < 1 || portnum > 65535) {
			log_error("probe: bad port in the URI");
			goto done;
		}
	}
	if (host[0] == '\0') {
		log_error("probe: no host in the URI");
		goto done;
	}
	if ((v = cli_extra(&np_program, cli, "profile")) != NULL) {
		for (profile = 0; ssh_profile_names[profile] != NULL; profile++)
			if (strcmp(ssh_profile_names[profile], v) == 0)
				break;
		if (ssh_profile_names[profile] == NULL) {
			log_error("--profile %s: unix, cisco or none", v);
			goto done;
		}
	}
	if ((v = cli_extra(&np_program, cli, "timeout")) != NULL &&
	    (str_parse_duration_ms(v, &timeout, err, sizeof err) == -1 ||
	    timeout < 100)) {
		log_error("--timeout %s: a duration of 100ms or more", v);
		goto done;
	}
	if ((v = cli_extra(&np_program, cli, "output-max")) != NULL &&
	    (str_parse_size(v, &outmax, err, sizeof err) == -1 ||
	    outmax < 1)) {
		log_error("--output-max %s: a size of 1 byte or more", v);
		goto done;
	}
	if ((v = cli_extra(&np_program, cli, "known-hosts")) != NULL)
		kh = xstrdup(v);
	else if (getenv("HOME") != NULL)
		xasprintf(&kh, "%s/.ssh/known_hosts", getenv("HOME"));
	for (i = 0; ssh_profile_commands((enum ssh_profile)profile)[i] !=
	    NULL; i++)
		cmds[n++] = ssh_profile_commands((enum ssh_profile)profile)[i];
	memset(&spec, 0, sizeof spec);
	spec.ninventory = n;
	if ((v = cli_extra(&np_program, cli, "command")) != NULL)
		cmds[n++] = v;
	spec.name = "probe";
	spec.host = host;
	spec.port = (unsigned)portnum;
	spec.user = user;
	spec.key_file = cli_extra(&np_program, cli, "key");
	spec.known_hosts = kh;
	spec.trust_first_use = cli_extra(&np_program, cli,
	    "trust-first-use") != NULL;
	spec.commands = cmds;
	spec.ncommands = n;
	spec.timeout_ms = timeout;
	spec.output_max = (size_t)outmax;
	if (spec.key_file == NULL) {
		log_error("probe ssh://: --key FILE is needed (a password is "
		    "taken only from a configuration's secrets file)");
		goto done;
	}
	if (ssh_global_init(err, sizeof err) == -1) {
		log_error("%s", err);
		goto done;
	}
	job = ssh_job_new(&spec);
	ssh_run(&job, 1, 1, np_never_stop);
	r = report_new();
	report_host_set(r, "name", host);
	report_host_set(r, "kind", profile == SSH_PROFILE_CISCO ? "switch" :
	    profile == SSH_PROFILE_UNIX ? "server" : "appliance");
	st = np_ssh_host_report(&spec, (enum ssh_profile)profile,
	    ssh_job_result(job), r);
	memset(&meta, 0, sizeof meta);
	meta.agent_id = "netpoll:probe";
	meta.ts_ms = wtime_now_ms();
	meta.interval_s = 60;
	meta.seq = 1;
	doc = report_to_json(r, &meta);
	rc = st == CHECK_OK ? WARD_EXIT_OK : WARD_EXIT_FAILURE;
	if (json_dumpf(doc, stdout, JSON_INDENT(2) |
	    JSON_REAL_PRECISION(15)) != 0 || fputc('\n', stdout) == EOF ||
	    fflush(stdout) != 0)
		rc = WARD_EXIT_FAILURE;
	json_decref(doc);
	report_free(r);
	ssh_job_free(job);
	ssh_global_cleanup();

done:
	free(kh);
	free(user);
	free(host);
	return rc;
}

/* probe URI: one device, no config, the report on standard output. */
static int
np_probe(const struct cli *cli, const char *uri)
{
	struct np_config	 cfg;
	struct np_device	 d;
	struct np_secrets	*sec = NULL;
	struct np_target	*tg;
	struct np_run		 run;
	const char		*rest, *at, *secrets, *cred;
	char			*user = NULL, *host = NULL, *community = NULL;
	char			 err[1024], *end;
	const char		*hp, *port = NULL;
	long			 portnum = 161;
	int			 version, rc = WARD_EXIT_FAILURE;

	memset(&cfg, 0, sizeof cfg);
	memset(&d, 0, sizeof d);
	if (cfg_defaults(&np_schema, &cfg, err, sizeof err) == -1) {
		log_error("%s", err);
		return WARD_EXIT_FAILURE;
	}
	secrets = cli_extra(&np_program, cli, "secrets");
	cred = cli_extra(&np_program, cli, "credentials");
	if (strncasecmp(uri, "http://", 7) == 0 ||
	    strncasecmp(uri, "https://", 8) == 0) {
		cfg_free(&np_schema, &cfg);
		return np_probe_http(cli, uri);
	}
	if (strncasecmp(uri, "ssh://", 6) == 0) {
		cfg_free(&np_schema, &cfg);
		return np_probe_ssh(cli, uri);
	}
	if (str_has_prefix(uri, "snmp://")) {
		version = 1;
		rest = uri + 7;
	} else if (str_has_prefix(uri, "snmpv1://")) {
		version = 0;
		rest = uri + 9;
	} else if (str_has_prefix(uri, "snmpv3://")) {
		version = 2;
		rest = uri + 9;
	} else {
		log_error("probe %s: use snmp://COMMUNITY@HOST[:PORT], "
		    "snmpv1://COMMUNITY@HOST[:PORT], snmpv3://USER@HOST[:PORT], "
		    "ssh://USER@HOST[:PORT] or an http(s):// URL", uri);
		goto done;
	}
	if ((at = strrchr(rest, '@')) != NULL) {
		user = xstrndup(rest, (size_t)(at - rest));
		hp = at + 1;
	} else
		hp = rest;
	if (*hp == '[') {
		if ((end = strchr(hp, ']')) == NULL) {
			log_error("probe: unclosed [ in the address");
			goto done;
		}
		host = xstrndup(hp + 1, (size_t)(end - hp - 1));
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0' && end[1] != '/') {
			log_error("probe: junk after the address");
			goto done;
		}
	} else {
		host = xstrndup(hp, strcspn(hp, ":/"));
		if (hp[strlen(host)] == ':')
			port = hp + strlen(host) + 1;
	}
	if (port != NULL) {
		portnum = strtol(port, &end, 10);
		if (end == port || (*end != '\0' && *end != '/') ||
		    portnum < 1 || portnum > 65535) {
			log_error("probe: bad port in the URI");
			goto done;
		}
	}
	if (host[0] == '\0') {
		log_error("probe: no host in the URI");
		goto done;
	}
	if (secrets != NULL && (sec = np_secrets_load(secrets, err,
	    sizeof err)) == NULL) {
		log_error("--secrets: %s", err);
		goto done;
	}
	if (version == 2) {
		if (user == NULL && cred == NULL) {
			log_error("probe: snmpv3://USER@HOST needs a user");
			goto done;
		}
		if (sec == NULL || np_find_usm(sec, cred != NULL ? cred :
		    user) == NULL) {
			log_error("probe: no [usm] entry \"%s\" in %s",
			    cred != NULL ? cred : user, secrets != NULL ?
			    secrets : "(no --secrets FILE)");
			goto done;
		}
	} else if (user == NULL) {
		if (cred == NULL || sec == NULL ||
		    np_find_community(sec, cred) == NULL) {
			log_error("probe: give the community in the URI, or "
			    "--credentials NAME naming a [community] in "
			    "--secrets FILE");
			goto done;
		}
	} else {
		/* The community came on the command line: use it, keep it
		 * out of the report and the logs. */
		community = user;
		user = NULL;
	}
	d.item.label = (char *)"probe";
	d.address = host;
	d.port = portnum;
	d.version = version;
	d.credentials = (char *)(cred != NULL ? cred : user != NULL ? user :
	    "");
	d.retries = 1;
	tg = xcalloc(1, sizeof *tg);
	np_target_fill(tg, &cfg, &d, sec);
	free(tg->name);
	tg->name = xstrdup(host);
	tg->t.name = tg->name;
	snprintf(tg->id, sizeof tg->id, "netpoll:probe");
	if (community != NULL)
		tg->t.community = community;
	memset(&run, 0, sizeof run);
	run.cfg = &cfg;
	run.targets = &tg;
	run.n = 1;
	run.print = 1;
	snmp_global_init();
	np_poll(&run, &tg, 1, 1, np_never_stop);
	snmp_global_shutdown();
	rc = run.failed ? WARD_EXIT_FAILURE : WARD_EXIT_OK;
	np_target_free(tg);

done:
	np_secrets_free(sec);
	xfree_secret(community);
	free(user);
	free(host);
	cfg_free(&np_schema, &cfg);
	return rc;
}

/* The state directory, locked against a second ward-netpoll. */
static int
np_lock_state(const char *dir, int *fd, char *err, size_t errlen)
{
	char	*path;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: cannot create: %s", dir,
		    strerror(errno));
		return -1;
	}
	xasprintf(&path, "%s/lock", dir);
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(path);
	if (*fd == -1) {
		snprintf(err, errlen, "%s/lock: %s", dir, strerror(errno));
		return -1;
	}
	if (flock(*fd, LOCK_EX | LOCK_NB) == -1) {
		snprintf(err, errlen, "%s is in use by another ward-netpoll (is "
		    "the daemon running?)", dir);
		close(*fd);
		*fd = -1;
		return -1;
	}
	return 0;
}

/* Opens a device's sequence number and spool. */
static int
np_target_open(struct np_target *tg, const struct np_config *cfg,
    size_t ndevices, char *err, size_t errlen)
{
	char	*dir, why[512];
	int64_t	 next, per_device;

	xasprintf(&tg->seq_path, "%s/seq/%s", cfg->netpoll.state_dir,
	    tg->name);
	if (access(tg->seq_path, F_OK) == -1 && errno == ENOENT) {
		/* No number saved: the collector may still hold reports
		 * under this id from before (a state directory lost), and
		 * numbering from 1 would have new ones taken for replays.
		 * Clock seconds are past any number used at one report per
		 * 10 s or slower. */
		next = wtime_now_ms() / 1000;
	} else if (report_seq_next(tg->seq_path, &next, why,
	    sizeof why) == -1) {
		snprintf(err, errlen, "%s: %s", tg->name, why);
		return -1;
	}
	tg->last_seq = next - 1;
	xasprintf(&tg->software_path, "%s/software/%s",
	    cfg->netpoll.state_dir, tg->name);
	if (netpoll_software_load(tg->software_path, &tg->software, why,
	    sizeof why) == -1)
		log_warnx("%s", why);
	per_device = cfg->spool.max_size / (int64_t)(ndevices > 0 ?
	    ndevices : 1);
	if (per_device < 64 * 1024)
		per_device = 64 * 1024;
	xasprintf(&dir, "%s/spool/%s", cfg->netpoll.state_dir, tg->name);
	tg->spool = spool_open_unlocked(dir, per_device, cfg->spool.max_age,
	    err, errlen);
	free(dir);
	if (tg->spool == NULL)
		return -1;
	if (spool_last_seq(tg->spool) > tg->last_seq)
		tg->last_seq = spool_last_seq(tg->spool);
	return 0;
}

static int
np_mkdirs(const struct np_config *cfg, char *err, size_t errlen)
{
	const char	*sub[] = { "seq", "spool", "software" };
	char		*p;
	size_t		 i;

	for (i = 0; i < sizeof sub / sizeof sub[0]; i++) {
		xasprintf(&p, "%s/%s", cfg->netpoll.state_dir, sub[i]);
		if (mkdir(p, 0700) == -1 && errno != EEXIST) {
			snprintf(err, errlen, "%s: cannot create: %s", p,
			    strerror(errno));
			free(p);
			return -1;
		}
		free(p);
	}
	return 0;
}

/* All the devices of cfg, with their state; NULL with err. */
/*
 * Reports spooled for a device the configuration no longer has (removed,
 * or renamed while the collector was down) are sent by no one: said, so
 * that a person can put it back or remove them.
 */
static void
np_spool_orphans(const struct np_config *cfg, struct np_target **tgs,
    size_t n)
{
	struct dirent	*de, *fe;
	DIR		*d, *f;
	char		*dir, *sub, vis[128];
	size_t		 i, count;

	xasprintf(&dir, "%s/spool", cfg->netpoll.state_dir);
	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		for (i = 0; i < n; i++)
			if (strcmp(tgs[i]->name, de->d_name) == 0)
				break;
		if (i < n)
			continue;
		xasprintf(&sub, "%s/%s", dir, de->d_name);
		count = 0;
		if ((f = opendir(sub)) != NULL) {
			while ((fe = readdir(f)) != NULL)
				count += str_has_suffix(fe->d_name, ".json");
			closedir(f);
		}
		if (count > 0)
			log_warnx("%s: %zu report(s) spooled for device %s, "
			    "which the configuration no longer has: sent by "
			    "no one until it is put back (or remove them)", sub,
			    count, str_vis(vis, sizeof vis, de->d_name));
		free(sub);
	}
	closedir(d);
	free(dir);
}

static struct np_target **
np_targets_open(const struct np_config *cfg, size_t *n, char *err,
    size_t errlen, struct np_secrets **secp)
{
	struct np_target	**tgs;
	struct np_secrets	 *sec = NULL;
	const struct np_http	 *h;
	const struct np_ssh	 *x;
	char			  why[768];
	size_t			  i, k;

	*n = 0;
	if (np_needs_secrets(cfg) && (sec = np_secrets_load(
	    cfg->netpoll.secrets_file, why, sizeof why)) == NULL) {
		snprintf(err, errlen, "[netpoll] secrets_file: %s", why);
		return NULL;
	}
	if (np_mkdirs(cfg, err, errlen) == -1) {
		np_secrets_free(sec);
		return NULL;
	}
	/* The devices, then one host for each host name of URL checks
	 * that is not a device's. */
	tgs = xcalloc(cfg->devices.count + cfg->https.count +
	    cfg->sshs.count + 1, sizeof *tgs);
	for (i = 0; i < cfg->devices.count; i++) {
		tgs[i] = xcalloc(1, sizeof *tgs[i]);
		np_target_fill(tgs[i], cfg, cfg->devices.items[i], sec);
		*n = i + 1;
	}
	for (i = 0; i < cfg->https.count; i++) {
		h = cfg->https.items[i];
		for (k = 0; k < *n; k++)
			if (strcmp(tgs[k]->name, np_http_host(h)) == 0)
				break;
		if (k == *n) {
			tgs[(*n)++] = xcalloc(1, sizeof *tgs[k]);
			np_target_fill_http(tgs[k], cfg, h);
		}
		if (np_target_add_http(tgs[k], h, err, errlen) == -1)
			goto fail;
	}
	for (i = 0; i < cfg->sshs.count; i++) {
		x = cfg->sshs.items[i];
		for (k = 0; k < *n; k++)
			if (strcmp(tgs[k]->name, np_ssh_host(x)) == 0)
				break;
		if (k == *n) {
			tgs[(*n)++] = xcalloc(1, sizeof *tgs[k]);
			np_target_fill_ssh(tgs[k], cfg, x);
		}
		if (!tgs[k]->is_device && tgs[k]->nssh == 0 &&
		    x->profile != SSH_PROFILE_NONE)
			tgs[k]->kind = x->profile == SSH_PROFILE_UNIX ?
			    "server" : "switch";
		np_target_add_ssh(tgs[k], x, sec);
	}
	for (i = 0; i < *n; i++)
		if (np_target_open(tgs[i], cfg, *n, err, errlen) == -1)
			goto fail;
	np_spool_orphans(cfg, tgs, *n);
	*secp = sec;
	return tgs;

fail:
	for (i = 0; i < *n; i++)
		np_target_free(tgs[i]);
	free(tgs);
	np_secrets_free(sec);
	*n = 0;
	return NULL;
}

static void
np_targets_free(struct np_target **tgs, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		np_target_free(tgs[i]);
	free(tgs);
}

/* Drains every device's spool while the collector takes them; 0 when
 * the collector failed us (wait until *next_ms). */
static int
np_send(struct sender *s, struct np_target **tgs, size_t n, int64_t *next_ms)
{
	size_t	 i, delivered;

	for (i = 0; i < n; i++) {
		if (spool_count(tgs[i]->spool) == 0)
			continue;
		/* A device's spool that cannot be read now waits; the
		 * others go on. */
		if (send_drain(s, tgs[i]->spool, wtime_mono_ms(), next_ms,
		    &delivered) == SEND_WAIT)
			return 0;
	}
	return 1;
}

static int
np_once(const struct np_config *cfg)
{
	struct np_target	**tgs;
	struct np_secrets	 *sec = NULL;
	struct sender		 *s;
	struct np_run		  run;
	char			  err[1024];
	int64_t			  next_ms;
	size_t			  n, i, missing = 0;
	int			  fd = -1, rc = WARD_EXIT_FAILURE;

	/* As the daemon runs: a report spooled by root would be one the
	 * daemon cannot read. */
	if (daemon_drop_privileges(cfg->daemon.user, err, sizeof err) == -1) {
		log_error("%s", err);
		return WARD_EXIT_FAILURE;
	}
	if ((s = send_new_from_config(&cfg->collector, &cfg->spool, err,
	    sizeof err)) == NULL) {
		log_error("%s", err);
		return WARD_EXIT_FAILURE;
	}
	if (np_lock_state(cfg->netpoll.state_dir, &fd, err, sizeof err) == -1 ||
	    (tgs = np_targets_open(cfg, &n, err, sizeof err, &sec)) == NULL) {
		log_error("%s", err);
		send_free(s);
		if (fd != -1)
			close(fd);
		return WARD_EXIT_FAILURE;
	}
	memset(&run, 0, sizeof run);
	run.cfg = cfg;
	run.targets = tgs;
	run.n = n;
	snmp_global_init();
	np_poll(&run, tgs, n, (size_t)cfg->netpoll.concurrency,
	    np_never_stop);
	snmp_global_shutdown();
	if (!np_send(s, tgs, n, &next_ms))
		log_error("not delivered: %s; the reports stay in the spool "
		    "for the next run", send_last_error(s));
	for (i = 0; i < n; i++) {
		if (tgs[i]->polled_seq == 0 ||
		    spool_last_acknowledged(tgs[i]->spool) < tgs[i]->polled_seq)
			missing++;
	}
	if (missing == 0) {
		log_info("%zu device report%s delivered", n, n == 1 ? "" : "s");
		rc = WARD_EXIT_OK;
	} else
		log_error("%zu of %zu device reports not delivered", missing, n);
	np_targets_free(tgs, n);
	np_secrets_free(sec);
	send_free(s);
	close(fd);
	return rc;
}

/* SIGHUP: a new configuration replaces the old only when it loads whole;
 * devices keep their spool and counters across it. */
static int
np_reload(const char *path, struct np_config *cfg, struct np_target ***tgs,
    size_t *n, struct np_secrets **sec, struct sender **s)
{
	struct np_config	 next;
	struct np_target	**ntgs, *o;
	struct np_secrets	 *nsec = NULL;
	struct sender		 *ns;
	char			  err[1024];
	size_t			  nn, i, k;
	int64_t			  now;

	memset(&next, 0, sizeof next);
	if (cfg_load(&np_schema, path, &next, err, sizeof err) == -1) {
		log_error("reload: %s; keeping the running configuration", err);
		return -1;
	}
	if (strcmp(next.netpoll.state_dir, cfg->netpoll.state_dir) != 0) {
		log_warnx("reload: state_dir takes effect at the next start");
		free(next.netpoll.state_dir);
		next.netpoll.state_dir = xstrdup(cfg->netpoll.state_dir);
	}
	if ((ns = send_new_from_config(&next.collector, &next.spool, err,
	    sizeof err)) == NULL) {
		log_error("reload: %s; keeping the running configuration", err);
		cfg_free(&np_schema, &next);
		return -1;
	}
	/* Close the old spools first: the new state opens the same ones. */
	ntgs = NULL;
	for (i = 0; i < *n; i++) {
		spool_free((*tgs)[i]->spool);
		(*tgs)[i]->spool = NULL;
	}
	if ((ntgs = np_targets_open(&next, &nn, err, sizeof err,
	    &nsec)) == NULL) {
		log_error("reload: %s; polling stops until a good "
		    "configuration is loaded", err);
		send_free(ns);
		cfg_free(&np_schema, &next);
		np_targets_free(*tgs, *n);
		*tgs = xcalloc(1, sizeof **tgs);
		*n = 0;
		return -1;
	}
	now = wtime_mono_ms();
	for (i = 0; i < nn; i++) {
		ntgs[i]->next_poll_ms = now;
		for (k = 0; k < *n; k++) {
			o = (*tgs)[k];
			if (strcmp(o->name, ntgs[i]->name) != 0)
				continue;
			/* The counters are that device's: at another address,
			 * port or version it is another device, and rates
			 * against them would be nonsense (98 GB/s). */
			if (o->is_device == ntgs[i]->is_device &&
			    (!o->is_device || (o->t.port == ntgs[i]->t.port &&
			    o->t.version == ntgs[i]->t.version &&
			    strcmp(o->t.host, ntgs[i]->t.host) == 0))) {
				ntgs[i]->counters = o->counters;
				o->counters = NULL;
			}
			/* The poll due keeps its time, but no later than a
			 * shorter interval now asks for. */
			ntgs[i]->next_poll_ms = o->next_poll_ms;
			if (ntgs[i]->next_poll_ms > now + ntgs[i]->interval_ms)
				ntgs[i]->next_poll_ms = now +
				    ntgs[i]->interval_ms;
		}
	}
	np_targets_free(*tgs, *n);
	np_secrets_free(*sec);
	send_free(*s);
	*tgs = ntgs;
	*n = nn;
	*sec = nsec;
	*s = ns;
	log_set_level((enum log_level)next.log.level);
	cfg_free(&np_schema, cfg);
	*cfg = next;
	log_info("configuration reloaded: %zu device%s", nn, nn == 1 ? "" :
	    "s");
	return 0;
}

static int
np_daemon(const struct cli *cli, struct np_config *cfg, const char *path)
{
	struct np_target	**tgs = NULL, **due;
	struct np_secrets	 *sec = NULL;
	struct sender		 *s = NULL;
	struct np_run		  run;
	char			  err[1024];
	int64_t			  now, next_send = 0, wake, step;
	size_t			  n = 0, ndue, i;
	int			  fd = -1, rc = WARD_EXIT_FAILURE;

	if ((s = send_new_from_config(&cfg->collector, &cfg->spool, err,
	    sizeof err)) == NULL)
		goto fail;
	if (daemon_signals_init(err, sizeof err) == -1)
		goto fail;
	if (!cli->foreground && daemon_detach(err, sizeof err) == -1)
		goto fail;
	if (cfg->daemon.pidfile != NULL && daemon_pidfile_create(
	    cfg->daemon.pidfile, err, sizeof err) == -1)
		goto fail;
	if (daemon_drop_privileges(cfg->daemon.user, err, sizeof err) == -1)
		goto fail;
	if (np_lock_state(cfg->netpoll.state_dir, &fd, err, sizeof err) == -1)
		goto fail;
	if ((tgs = np_targets_open(cfg, &n, err, sizeof err, &sec)) == NULL)
		goto fail;
	snmp_global_init();
	log_info("polling %zu device%s, reporting to %s", n, n == 1 ? "" : "s",
	    cfg->collector.url);
	now = wtime_mono_ms();
	for (i = 0; i < n; i++)
		tgs[i]->next_poll_ms = now;
	while (!daemon_stop_requested()) {
		if (daemon_reload_requested())
			np_reload(path, cfg, &tgs, &n, &sec, &s);
		now = wtime_mono_ms();
		due = xcalloc(n + 1, sizeof *due);
		for (i = 0, ndue = 0; i < n; i++)
			if (tgs[i]->next_poll_ms <= now)
				due[ndue++] = tgs[i];
		if (ndue > 0) {
			for (i = 0; i < ndue; i++) {
				spool_expire(due[i]->spool, wtime_now_ms());
				step = cfg->netpoll.cadence > 0 ?
				    cfg->netpoll.cadence : due[i]->interval_ms;
				due[i]->next_poll_ms += step;
				if (due[i]->next_poll_ms <= now)
					due[i]->next_poll_ms = now + step;
			}
			memset(&run, 0, sizeof run);
			run.cfg = cfg;
			run.targets = tgs;
			run.n = n;
			np_poll(&run, due, ndue, (size_t)cfg->netpoll.concurrency,
			    daemon_stop_requested);
		}
		free(due);
		now = wtime_mono_ms();
		if (now >= next_send && np_send(s, tgs, n, &next_send))
			next_send = 0;
		now = wtime_mono_ms();
		wake = now + 60000;
		for (i = 0; i < n; i++)
			if (tgs[i]->next_poll_ms < wake)
				wake = tgs[i]->next_poll_ms;
		if (next_send > now && next_send < wake)
			wake = next_send;
		if (wake > now)
			daemon_sleep_ms(wake - now);
	}
	log_info("stopping");
	rc = WARD_EXIT_OK;

fail:
	if (rc != WARD_EXIT_OK)
		log_error("%s", err);
	np_targets_free(tgs, n);
	np_secrets_free(sec);
	send_free(s);
	if (fd != -1)
		close(fd);
	snmp_global_shutdown();
	daemon_pidfile_remove();
	return rc;
}

int
main(int argc, char **argv)
{
	struct np_config	 cfg;
	struct cli		 cli;
	char			*path, err[512];
	int			 rc;

	memset(&cfg, 0, sizeof cfg);
	if ((rc = cli_start(&np_program, argc, argv, &cli, &cfg)) != -1)
		return rc;
	if (cli.argc > 0 && strcmp(cli.argv[0], "probe") == 0) {
		if (cli.argc != 2) {
			fprintf(stderr, "usage: ward-netpoll probe URI\n");
			rc = WARD_EXIT_USAGE;
		} else
			rc = np_probe(&cli, cli.argv[1]);
	} else if (cli.argc > 0) {
		fprintf(stderr, "ward-netpoll: unknown command \"%s\"; try "
		    "'ward-netpoll --help'\n", cli.argv[0]);
		rc = WARD_EXIT_USAGE;
	} else if (http_global_init(err, sizeof err) == -1 ||
	    ssh_global_init(err, sizeof err) == -1) {
		log_error("%s", err);
		rc = WARD_EXIT_FAILURE;
	} else if (cli_extra(&np_program, &cli, "once") != NULL) {
		rc = np_once(&cfg);
		http_global_cleanup();
		ssh_global_cleanup();
	} else {
		if ((path = realpath(cli.config_path, NULL)) == NULL)
			path = xstrdup(cli.config_path);
		rc = np_daemon(&cli, &cfg, path);
		free(path);
		http_global_cleanup();
		ssh_global_cleanup();
	}
	cfg_free(&np_schema, &cfg);
	return rc;
}
