/* collect_system.c: the host's identity (names, machine id, DMI hardware),
 * its operating system and kernel, and its uptime. */
#include "config.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/str.h"
#include "common/xmalloc.h"
#include "agents/agent.h"

#define OS_RELEASE_MAX	(64 * 1024)

/* Unquotes an os-release value as the shell would (os-release(5)). */
static int
os_release_unquote(const char *v, char *out, size_t outlen)
{
	size_t	 o = 0;
	char	 quote = 0, c;

	if (outlen == 0)
		return -1;
	for (; *v != '\0'; v++) {
		c = *v;
		if (quote == '\'') {
			if (c == '\'') {
				quote = 0;
				continue;
			}
		} else if (c == '\'' || c == '"') {
			if (quote == c) {
				quote = 0;
				continue;
			}
			if (quote == 0) {
				quote = c;
				continue;
			}
		} else if (c == '\\') {
			/* Inside "...", only these are escapes. */
			if (quote == '"' && (v[1] == '\0' ||
			    strchr("\"\\$`", v[1]) == NULL)) {
				/* a literal backslash */
			} else if (v[1] != '\0')
				c = *++v;
		} else if (quote == 0 && (c == ' ' || c == '\t'))
			break;	/* end of the unquoted word */
		if (o + 1 < outlen)
			out[o++] = c;
	}
	out[o] = '\0';
	return quote == 0 ? 0 : -1;
}

int
os_release_value(const char *text, const char *key, char *out, size_t outlen)
{
	const char	*line = text, *eol, *p;
	size_t		 klen = strlen(key), n;
	char		 value[1024];

	while (*line != '\0') {
		eol = strchr(line, '\n');
		n = eol != NULL ? (size_t)(eol - line) : strlen(line);
		p = line;
		while (p < line + n && (*p == ' ' || *p == '\t'))
			p++;
		if ((size_t)(line + n - p) > klen && strncmp(p, key, klen) ==
		    0 && p[klen] == '=') {
			p += klen + 1;
			n = (size_t)(line + n - p);
			if (n >= sizeof value)
				n = sizeof value - 1;
			memcpy(value, p, n);
			value[n] = '\0';
			str_trim(value);
			return os_release_unquote(value, out, outlen);
		}
		if (eol == NULL)
			break;
		line = eol + 1;
	}
	return -1;
}

int
os_redhat_release(const char *line, char *id, size_t idlen, char *version,
    size_t versionlen)
{
	static const struct {
		const char	*prefix;
		const char	*id;
	} dists[] = {
		{ "Red Hat Enterprise Linux", "rhel" },
		{ "CentOS", "centos" },
		{ "Oracle Linux", "ol" },
		{ "Scientific Linux", "scientific" },
		{ "Fedora", "fedora" },
	};
	const char	*p;
	size_t		 i, n;

	for (i = 0; i < sizeof dists / sizeof dists[0]; i++)
		if (strncmp(line, dists[i].prefix, strlen(dists[i].prefix)) ==
		    0)
			break;
	if (i == sizeof dists / sizeof dists[0] ||
	    (p = strstr(line, " release ")) == NULL)
		return -1;
	p += strlen(" release ");
	n = strspn(p, "0123456789.");
	if (n == 0 || n >= versionlen)
		return -1;
	memcpy(version, p, n);
	version[n] = '\0';
	str_copy(id, dists[i].id, idlen);
	return 0;
}

static void
collect_os(struct collect_ctx *ctx, struct report *r)
{
	static const struct {
		const char	*key, *field;
	} keys[] = {
		{ "ID", "id" }, { "VERSION_ID", "version_id" },
		{ "PRETTY_NAME", "pretty_name" },
	};
	char		 err[256], value[256], id[32], *text, *kernel;
	struct utsname	 u;
	size_t		 i;

	/* os-release(5): /etc first, then the vendor's copy. */
	text = collect_read(ctx, "etc/os-release", OS_RELEASE_MAX, err,
	    sizeof err);
	if (text == NULL)
		text = collect_read(ctx, "usr/lib/os-release", OS_RELEASE_MAX,
		    err, sizeof err);
	if (text != NULL) {
		for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			if (os_release_value(text, keys[i].key, value,
			    sizeof value) == 0)
				report_os_set(r, keys[i].field, value);
		}
		free(text);
	} else if ((text = collect_read_line(ctx, "etc/redhat-release")) !=
	    NULL) {
		/* RHEL and CentOS 6 have no os-release; end-of-life tracking
		 * needs them most. */
		if (os_redhat_release(text, id, sizeof id, value,
		    sizeof value) == 0) {
			report_os_set(r, "id", id);
			report_os_set(r, "version_id", value);
		}
		report_os_set(r, "pretty_name", text);
		free(text);
	}
	if ((kernel = collect_read_line(ctx, "proc/sys/kernel/osrelease")) !=
	    NULL) {
		report_os_set(r, "kernel", kernel);
		free(kernel);
	} else if (uname(&u) == 0)
		report_os_set(r, "kernel", u.release);
	if (uname(&u) == 0)
		report_os_set(r, "arch", u.machine);
}

/* DMI's bios_date is MM/DD/YYYY; the report wants ISO. */
static void
bios_date_iso(const char *in, char *out, size_t outlen)
{
	unsigned	 m, d, y;
	char		 tail;

	if (sscanf(in, "%2u/%2u/%4u%c", &m, &d, &y, &tail) == 3 &&
	    m >= 1 && m <= 12 && d >= 1 && d <= 31 && y >= 1980)
		snprintf(out, outlen, "%04u-%02u-%02u", y, m, d);
	else
		str_copy(out, in, outlen);
}

static void
collect_dmi(struct collect_ctx *ctx, struct report *r)
{
	static const struct {
		const char	*file, *field;
	} dmi[] = {
		{ "sys/class/dmi/id/sys_vendor", "vendor" },
		{ "sys/class/dmi/id/product_name", "model" },
		/* Readable by root only; missing is fine. */
		{ "sys/class/dmi/id/product_serial", "serial" },
	};
	char	*v, date[64];
	size_t	 i;

	for (i = 0; i < sizeof dmi / sizeof dmi[0]; i++) {
		if ((v = collect_read_line(ctx, dmi[i].file)) != NULL) {
			report_host_set(r, dmi[i].field, v);
			free(v);
		}
	}
	if ((v = collect_read_line(ctx, "sys/class/dmi/id/bios_date")) !=
	    NULL) {
		bios_date_iso(v, date, sizeof date);
		report_host_set(r, "bios_date", date);
		free(v);
	}
}

static char *
fqdn_lookup(const char *host)
{
	struct addrinfo	 hints, *res = NULL;
	char		*fqdn = NULL;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_CANONNAME;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return NULL;
	if (res != NULL && res->ai_canonname != NULL &&
	    *res->ai_canonname != '\0')
		fqdn = xstrdup(res->ai_canonname);
	freeaddrinfo(res);
	return fqdn;
}

static int
collect_system(struct collect_ctx *ctx, struct report *r, char *err,
    size_t errlen)
{
	char	 name[256], *s, *fqdn = NULL;
	double	 uptime;

	/* The UTS name, via /proc so a fixture tree can say it. */
	if ((s = collect_read_line(ctx, "proc/sys/kernel/hostname")) != NULL) {
		str_copy(name, s, sizeof name);
		free(s);
	} else if (gethostname(name, sizeof name) == -1) {
		snprintf(err, errlen, "cannot get the host name");
		return -1;
	}
	name[sizeof name - 1] = '\0';
	report_host_set(r, "name", name);
	if (ctx->resolve)
		fqdn = fqdn_lookup(name);
	report_host_set(r, "fqdn", fqdn != NULL ? fqdn : name);
	free(fqdn);

	if ((s = collect_read_line(ctx, "etc/machine-id")) != NULL) {
		report_host_set(r, "machine_id", s);
		free(s);
	}
	collect_dmi(ctx, r);
	collect_os(ctx, r);

	if ((s = collect_read(ctx, "proc/uptime", 256, err, errlen)) == NULL)
		return -1;
	if (sscanf(s, "%lf", &uptime) != 1 || !(uptime >= 0)) {
		free(s);
		s = collect_path(ctx, "proc/uptime");
		snprintf(err, errlen, "%s: no uptime in it", s);
		free(s);
		return -1;
	}
	free(s);
	report_host_set_int(r, "uptime_s", (int64_t)uptime);
	return 0;
}

const struct collect_entry collect_system_entry = {
	"system", collect_system, NULL,
};
