/* ssh_parse.c: what a device's inventory commands said, read into the
 * identity fields SNMP fills: os-release, uname -r, Cisco's show version;
 * and the revoked keys of a known_hosts file. */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/str.h"
#include "common/xmalloc.h"
#include "agents/agent.h"

/* The next line of text[0..len): its start and length, without \r\n.
 * Returns 0 at the end. NUL bytes are kept (callers copy with care). */
static int
ssh_parse_line(const char *text, size_t len, size_t *pos, const char **line,
    size_t *n)
{
	const char	*nl;
	size_t		 k;

	if (*pos >= len)
		return 0;
	*line = text + *pos;
	nl = memchr(*line, '\n', len - *pos);
	k = nl != NULL ? (size_t)(nl - *line) : len - *pos;
	*pos += k + (nl != NULL ? 1 : 0);
	while (k > 0 && ((*line)[k - 1] == '\r' || (*line)[k - 1] == ' ' ||
	    (*line)[k - 1] == '\t'))
		k--;
	*n = k;
	return 1;
}

/* Copies s[0..n) as one printable line: no control characters or NULs. */
static void
ssh_parse_copy(char *dst, size_t size, const char *s, size_t n)
{
	size_t	 i, o = 0;

	if (size == 0)
		return;
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	for (i = 0; i < n && o + 1 < size; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			continue;
		dst[o++] = s[i];
	}
	while (o > 0 && dst[o - 1] == ' ')
		o--;
	dst[o] = '\0';
}

/* Whether line[0..n) starts with prefix, ignoring case. */
static int
ssh_parse_starts(const char *line, size_t n, const char *prefix)
{
	size_t	 k = strlen(prefix);

	return n >= k && strncasecmp(line, prefix, k) == 0;
}

/* Where needle is in line[0..n), ignoring case; NULL if not. */
static const char *
ssh_parse_find(const char *line, size_t n, const char *needle)
{
	size_t	 k = strlen(needle), i;

	for (i = 0; k <= n && i <= n - k; i++)
		if (strncasecmp(line + i, needle, k) == 0)
			return line + i;
	return NULL;
}

/* os-release(5) quoting: "..." with \-escapes, '...' literal, or bare. */
static void
ssh_parse_osr_value(const char *v, size_t n, char *dst, size_t size)
{
	char	 buf[256];
	size_t	 i, o = 0;
	char	 q = 0;

	if (n > 0 && (v[0] == '"' || v[0] == '\'')) {
		q = v[0];
		v++;
		n--;
	}
	for (i = 0; i < n && o + 1 < sizeof buf; i++) {
		if (q != 0 && v[i] == q)
			break;
		if (q == '"' && v[i] == '\\' && i + 1 < n)
			i++;
		buf[o++] = v[i];
	}
	ssh_parse_copy(dst, size, buf, o);
}

int
ssh_parse_os_release(const char *text, size_t len, struct ssh_identity *id)
{
	static const struct {
		const char	*key;
		size_t		 off;
		size_t		 size;
	} keys[] = {
		{ "ID=", offsetof(struct ssh_identity, os_id),
		  sizeof ((struct ssh_identity *)0)->os_id },
		{ "VERSION_ID=", offsetof(struct ssh_identity, os_version),
		  sizeof ((struct ssh_identity *)0)->os_version },
		{ "PRETTY_NAME=", offsetof(struct ssh_identity, os_pretty),
		  sizeof ((struct ssh_identity *)0)->os_pretty },
		{ "NAME=", offsetof(struct ssh_identity, os_name),
		  sizeof ((struct ssh_identity *)0)->os_name },
	};
	const char	*line;
	size_t		 pos = 0, n, i, k;
	int		 found = 0;

	while (ssh_parse_line(text, len, &pos, &line, &n)) {
		for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			k = strlen(keys[i].key);
			if (n < k || strncmp(line, keys[i].key, k) != 0)
				continue;
			ssh_parse_osr_value(line + k, n - k,
			    (char *)id + keys[i].off, keys[i].size);
			found = 1;
			break;
		}
	}
	return found && id->os_id[0] != '\0' ? 0 : -1;
}

int
ssh_parse_uname(const char *text, size_t len, struct ssh_identity *id)
{
	const char	*line;
	size_t		 pos = 0, n, i;

	while (ssh_parse_line(text, len, &pos, &line, &n)) {
		if (n == 0)
			continue;
		/* One word: a release has no spaces. */
		for (i = 0; i < n; i++)
			if (isspace((unsigned char)line[i]) || line[i] == '\0')
				return -1;
		ssh_parse_copy(id->kernel, sizeof id->kernel, line, n);
		return 0;
	}
	return -1;
}

/* The word at p (up to a space or ','), from the line ending at end. */
static void
ssh_parse_word(const char *p, const char *end, char *dst, size_t size)
{
	size_t	 n = 0;

	while (p < end && *p == ' ')
		p++;
	while (p + n < end && p[n] != ' ' && p[n] != ',' && p[n] != '\t')
		n++;
	ssh_parse_copy(dst, size, p, n);
}

/* "Model number : X": the value after the colon. */
static void
ssh_parse_colon(const char *line, size_t n, char *dst, size_t size)
{
	const char	*c = memchr(line, ':', n);

	if (c != NULL)
		ssh_parse_word(c + 1, line + n, dst, size);
}

int
ssh_parse_cisco_version(const char *text, size_t len,
    struct ssh_identity *id)
{
	const char	*line, *p, *end;
	size_t		 pos = 0, n;
	int		 cisco = 0, model_sure = 0, serial_sure = 0;

	while (ssh_parse_line(text, len, &pos, &line, &n)) {
		end = line + n;
		while (n > 0 && (*line == ' ' || *line == '\t')) {
			line++;
			n--;
		}
		if (ssh_parse_find(line, n, "Cisco Nexus Operating System") !=
		    NULL || ssh_parse_find(line, n, "NX-OS") != NULL) {
			cisco = 1;
			str_copy(id->os_name, "Cisco NX-OS", sizeof id->os_name);
			str_copy(id->os_id, "cisco-nx-os", sizeof id->os_id);
		} else if (ssh_parse_find(line, n, "IOS XE") != NULL ||
		    ssh_parse_find(line, n, "IOS-XE") != NULL) {
			cisco = 1;
			str_copy(id->os_name, "Cisco IOS XE", sizeof id->os_name);
			str_copy(id->os_id, "cisco-ios-xe", sizeof id->os_id);
		} else if (ssh_parse_starts(line, n, "Cisco IOS Software") &&
		    id->os_id[0] == '\0') {
			cisco = 1;
			str_copy(id->os_name, "Cisco IOS", sizeof id->os_name);
			str_copy(id->os_id, "cisco-ios", sizeof id->os_id);
		}
		if (ssh_parse_starts(line, n, "NXOS: version ") ||
		    ssh_parse_starts(line, n, "system: version ") ||
		    ssh_parse_starts(line, n, "system:    version ")) {
			p = ssh_parse_find(line, n, "version ") + 8;
			ssh_parse_word(p, end, id->os_version,
			    sizeof id->os_version);
		} else if (ssh_parse_starts(line, n, "Cisco ") &&
		    (p = ssh_parse_find(line, n, ", Version ")) != NULL &&
		    id->os_version[0] == '\0')
			ssh_parse_word(p + 10, end, id->os_version,
			    sizeof id->os_version);
		if (ssh_parse_starts(line, n, "Model number") ||
		    ssh_parse_starts(line, n, "Model Number")) {
			ssh_parse_colon(line, n, id->model, sizeof id->model);
			model_sure = id->model[0] != '\0';
		} else if (!model_sure && ssh_parse_starts(line, n, "cisco ") &&
		    (ssh_parse_find(line, n, " processor") != NULL ||
		    ssh_parse_find(line, n, " chassis") != NULL)) {
			p = line + 6;
			/* NX-OS: "cisco Nexus9000 C93180YC-EX chassis". */
			if (ssh_parse_starts(p, (size_t)(end - p), "Nexus") &&
			    (p = memchr(p, ' ', (size_t)(end - p))) == NULL)
				p = line + 6;
			ssh_parse_word(p, end, id->model, sizeof id->model);
		}
		if (ssh_parse_starts(line, n, "System serial number") ||
		    ssh_parse_starts(line, n, "System Serial Number")) {
			ssh_parse_colon(line, n, id->serial, sizeof id->serial);
			serial_sure = id->serial[0] != '\0';
		} else if (!serial_sure &&
		    ssh_parse_starts(line, n, "Processor board ID "))
			ssh_parse_word(line + 19, end, id->serial,
			    sizeof id->serial);
		if (ssh_parse_starts(line, n, "Device name:"))
			ssh_parse_word(line + 12, end, id->hostname,
			    sizeof id->hostname);
		else if ((p = ssh_parse_find(line, n, " uptime is ")) != NULL &&
		    p > line && id->hostname[0] == '\0')
			ssh_parse_copy(id->hostname, sizeof id->hostname, line,
			    (size_t)(p - line));
	}
	if (!cisco)
		return -1;
	str_copy(id->vendor, "Cisco", sizeof id->vendor);
	return 0;
}

/* show inventory: the first entry's PID and SN are the chassis's (a stack's
 * first is its active switch). */
int
ssh_parse_cisco_inventory(const char *text, size_t len,
    struct ssh_identity *id)
{
	const char	*line, *p, *end, *pid, *sn;
	size_t		 pos = 0, n;

	while (ssh_parse_line(text, len, &pos, &line, &n)) {
		end = line + n;
		if (!ssh_parse_starts(line, n, "PID:"))
			continue;
		pid = line + 4;
		if ((p = ssh_parse_find(line, n, "SN:")) == NULL)
			return -1;
		sn = p + 3;
		ssh_parse_word(pid, end, id->model, sizeof id->model);
		ssh_parse_word(sn, end, id->serial, sizeof id->serial);
		return id->model[0] != '\0' || id->serial[0] != '\0' ? 0 : -1;
	}
	return -1;
}

const char *const ssh_profile_names[] = { "none", "unix", "cisco", NULL };

const char *const *
ssh_profile_commands(enum ssh_profile p)
{
	static const char *const unix_cmds[] = {
		"cat /etc/os-release", "uname -r", NULL
	};
	static const char *const cisco_cmds[] = {
		"show version", "show inventory", NULL
	};
	static const char *const none[] = { NULL };

	switch (p) {
	case SSH_PROFILE_UNIX:
		return unix_cmds;
	case SSH_PROFILE_CISCO:
		return cisco_cmds;
	default:
		return none;
	}
}

int
ssh_profile_parse(enum ssh_profile p, const struct ssh_cmd_result *cmds,
    size_t n, struct ssh_identity *id)
{
	int	 rc = 0;

	switch (p) {
	case SSH_PROFILE_UNIX:
		if (n < 2 || !cmds[0].done || !cmds[1].done)
			return -1;
		if (cmds[0].exit_status != 0 || ssh_parse_os_release(
		    cmds[0].out != NULL ? cmds[0].out : "", cmds[0].len,
		    id) == -1)
			rc = -1;
		if (cmds[1].exit_status != 0 || ssh_parse_uname(
		    cmds[1].out != NULL ? cmds[1].out : "", cmds[1].len,
		    id) == -1)
			rc = -1;
		return rc;
	case SSH_PROFILE_CISCO:
		if (n < 1 || !cmds[0].done)
			return -1;
		rc = ssh_parse_cisco_version(cmds[0].out != NULL ?
		    cmds[0].out : "", cmds[0].len, id);
		/* Not every device has show inventory; where it answers, its
		 * chassis entry is the model and serial end of life goes
		 * by (show version may give a board's). */
		if (rc == 0 && n >= 2 && cmds[1].done &&
		    cmds[1].exit_status == 0 && cmds[1].out != NULL) {
			struct ssh_identity	 inv;

			memset(&inv, 0, sizeof inv);
			if (ssh_parse_cisco_inventory(cmds[1].out, cmds[1].len,
			    &inv) == 0) {
				if (inv.model[0] != '\0')
					str_copy(id->model, inv.model,
					    sizeof id->model);
				if (inv.serial[0] != '\0')
					str_copy(id->serial, inv.serial,
					    sizeof id->serial);
			}
		}
		return rc;
	default:
		return 0;
	}
}

/* ------------------------------------------------------------ known_hosts */

/* OpenSSH's pattern: * any run, ? any one character, case aside. */
static int
ssh_glob(const char *p, size_t plen, const char *s)
{
	size_t	 i;

	for (i = 0; i < plen; i++, s++) {
		if (p[i] == '*') {
			for (;; s++) {
				if (ssh_glob(p + i + 1, plen - i - 1, s))
					return 1;
				if (*s == '\0')
					return 0;
			}
		}
		if (*s == '\0' || (p[i] != '?' && tolower((unsigned char)p[i]) !=
		    tolower((unsigned char)*s)))
			return 0;
	}
	return *s == '\0';
}

/* base64 text of n characters decoded into out (room for n): its length
 * without padding, or -1. */
static int
ssh_unbase64(const char *text, size_t n, unsigned char *out)
{
	char	*t;
	int	 len;

	if (n == 0 || n % 4 != 0 || n > INT32_MAX)
		return -1;
	t = xmalloc(n + 1);
	memcpy(t, text, n);
	t[n] = '\0';
	/* EVP_DecodeBlock counts the padding as bytes. */
	if ((len = EVP_DecodeBlock(out, (unsigned char *)t, (int)n)) > 0 &&
	    t[n - 1] == '=')
		len -= t[n - 2] == '=' ? 2 : 1;
	free(t);
	return len;
}

/* A hashed name, |1|base64(salt)|base64(HMAC-SHA1(salt, name)). */
static int
ssh_hashed_match(const char *p, size_t plen, const char *name)
{
	unsigned char	 salt[32], want[32], got[EVP_MAX_MD_SIZE];
	const char	*bar;
	unsigned int	 glen = 0;

	if (plen < 3 || memcmp(p, "|1|", 3) != 0 ||
	    (bar = memchr(p + 3, '|', plen - 3)) == NULL ||
	    bar - p - 3 != 28 || p + plen - bar - 1 != 28 ||
	    ssh_unbase64(p + 3, 28, salt) != 20 ||
	    ssh_unbase64(bar + 1, 28, want) != 20)
		return 0;
	if (HMAC(EVP_sha1(), salt, 20, (const unsigned char *)name,
	    strlen(name), got, &glen) == NULL || glen != 20)
		return 0;
	return memcmp(got, want, 20) == 0;
}

/* Whether the comma-separated patterns (a ! before one negates it) take
 * name: one positive match and no negated one. */
static int
ssh_hosts_match(const char *p, size_t plen, const char *name)
{
	const char	*end = p + plen, *comma;
	size_t		 n;
	int		 hit = 0;

	for (; p < end; p = comma + 1) {
		if ((comma = memchr(p, ',', (size_t)(end - p))) == NULL)
			comma = end;
		n = (size_t)(comma - p);
		if (n > 0 && *p == '!') {
			if (ssh_glob(p + 1, n - 1, name))
				return 0;
		} else if (n > 0 && *p == '|') {
			hit |= ssh_hashed_match(p, n, name);
		} else if (n > 0)
			hit |= ssh_glob(p, n, name);
		if (comma == end)
			break;
	}
	return hit;
}

int
ssh_known_hosts_revoked(const char *text, size_t len, const char *name,
    const unsigned char *key, size_t keylen, size_t *lineno)
{
	const char	*line, *f[4], *e;
	unsigned char	*blob;
	size_t		 pos = 0, n, k, fl[4], at = 0;
	int		 bl, hit = 0;

	while (!hit && ssh_parse_line(text, len, &pos, &line, &n)) {
		at++;
		for (k = 0, e = line + n; k < 4; k++) {
			while (line < e && (*line == ' ' || *line == '\t'))
				line++;
			f[k] = line;
			while (line < e && *line != ' ' && *line != '\t')
				line++;
			fl[k] = (size_t)(line - f[k]);
		}
		if (fl[0] != 8 || memcmp(f[0], "@revoked", 8) != 0 ||
		    fl[3] == 0 || !ssh_hosts_match(f[1], fl[1], name))
			continue;
		/* The key: as the server sends it, base64 here. */
		blob = xmalloc(fl[3] + 1);
		bl = ssh_unbase64(f[3], fl[3], blob);
		hit = bl >= 0 && (size_t)bl == keylen &&
		    memcmp(blob, key, keylen) == 0;
		free(blob);
	}
	if (hit && lineno != NULL)
		*lineno = at;
	return hit;
}
