/* report.c: the report one collection builds, its JSON per docs/report.md
 * (schema 1), and the agent's id and sequence number on disk. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/report_limits.h"
#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "agents/agent.h"

#define REPORT_FIELD_MAX	255

struct report *
report_new(void)
{
	struct report	*r = xcalloc(1, sizeof *r);

	r->host = json_object();
	r->os = json_object();
	r->metrics = json_array();
	r->checks = json_array();
	r->interfaces = json_array();
	if (r->host == NULL || r->os == NULL || r->metrics == NULL ||
	    r->checks == NULL || r->interfaces == NULL)
		fatalx("report_new: out of memory");
	return r;
}

void
report_free(struct report *r)
{
	if (r == NULL)
		return;
	json_decref(r->host);
	json_decref(r->os);
	json_decref(r->metrics);
	json_decref(r->checks);
	json_decref(r->interfaces);
	json_decref(r->software);
	free(r);
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid. */
static size_t
utf8_seq_len(const unsigned char *s, size_t left)
{
	size_t		 n, i;
	uint32_t	 cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (n > left)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and beyond U+10FFFF are invalid. */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

json_t *
report_string(const char *s, size_t max)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 len = strlen(s), i = 0, o = 0, n;
	char			*tmp;
	json_t			*v;

	tmp = xmalloc((len < max ? len : max) + 1);
	while (i < len) {
		n = utf8_seq_len(p + i, len - i);
		if (o + (n == 0 ? 1 : n) > max)
			break;	/* never cut a character in half */
		if (n == 0) {
			tmp[o++] = '?';
			i++;
			continue;
		}
		memcpy(tmp + o, p + i, n);
		o += n;
		i += n;
	}
	tmp[o] = '\0';
	v = json_string(tmp);
	free(tmp);
	if (v == NULL)
		fatalx("report_string: out of memory");
	return v;
}

void
report_host_set(struct report *r, const char *key, const char *value)
{
	if (value == NULL || *value == '\0')
		return;
	json_object_set_new(r->host, key, report_string(value,
	    REPORT_FIELD_MAX));
}

void
report_firmware_set(struct report *r, const char *key, const char *value)
{
	json_t	*fw;

	if (value == NULL || *value == '\0')
		return;
	if ((fw = json_object_get(r->host, "firmware")) == NULL ||
	    !json_is_object(fw)) {
		fw = json_object();
		json_object_set_new(r->host, "firmware", fw);
	}
	json_object_set_new(fw, key, report_string(value, REPORT_FIELD_MAX));
}

int
report_host_address(struct report *r, const char *addr)
{
	json_t	*list, *v;
	size_t	 i;

	if ((list = json_object_get(r->host, "addresses")) == NULL) {
		list = json_array();
		json_object_set_new(r->host, "addresses", list);
	}
	json_array_foreach(list, i, v)
		if (strcmp(json_string_value(v), addr) == 0)
			return 0;
	if (json_array_size(list) >= REPORT_ADDRESSES_MAX ||
	    strlen(addr) > REPORT_ADDRESS_LEN_MAX)
		return -1;
	json_array_append_new(list, json_string(addr));
	return 1;
}

void
report_host_set_int(struct report *r, const char *key, int64_t value)
{
	json_object_set_new(r->host, key, json_integer(value));
}

void
report_os_set(struct report *r, const char *key, const char *value)
{
	if (value == NULL || *value == '\0')
		return;
	json_object_set_new(r->os, key, report_string(value,
	    REPORT_FIELD_MAX));
}

void
report_metric(struct report *r, const char *name, double value,
    const char *unit, ...)
{
	json_t		*m, *labels = NULL;
	const char	*k, *v;
	va_list		 ap;

	if (!isfinite(value))
		return;
	if (json_array_size(r->metrics) >= REPORT_METRICS_MAX) {
		r->left_metrics++;
		return;
	}
	m = json_object();
	json_object_set_new(m, "name", json_string(name));
	/* Counts and byte sizes read better as integers. */
	if (value == floor(value) && fabs(value) < 9007199254740992.0)
		json_object_set_new(m, "value", json_integer((json_int_t)value));
	else
		json_object_set_new(m, "value", json_real(value));
	if (unit != NULL)
		json_object_set_new(m, "unit", json_string(unit));
	va_start(ap, unit);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		if (v == NULL)
			continue;
		if (labels == NULL)
			labels = json_object();
		json_object_set_new(labels, k, report_string(v,
		    REPORT_FIELD_MAX));
	}
	va_end(ap);
	if (labels != NULL)
		json_object_set_new(m, "labels", labels);
	json_array_append_new(r->metrics, m);
}

const json_t *
report_find_check(const struct report *r, const char *name)
{
	size_t	 i;
	json_t	*c;

	json_array_foreach(r->checks, i, c) {
		if (strcmp(json_string_value(json_object_get(c, "name")),
		    name) == 0)
			return c;
	}
	return NULL;
}

void
report_check(struct report *r, const char *name, int status,
    const char *output, const char *perfdata)
{
	json_t	*c;
	size_t	 i;
	json_t	*old;

	c = json_object();
	json_object_set_new(c, "name", json_string(name));
	json_object_set_new(c, "status", json_integer(status));
	if (output != NULL)
		json_object_set_new(c, "output", report_string(output, 4096));
	if (perfdata != NULL && *perfdata != '\0')
		json_object_set_new(c, "perfdata", report_string(perfdata,
		    4096));
	/* Names are unique within a report. */
	json_array_foreach(r->checks, i, old) {
		if (strcmp(json_string_value(json_object_get(old, "name")),
		    name) == 0) {
			json_array_set_new(r->checks, i, c);
			return;
		}
	}
	/* One place kept for ward.report. */
	if (json_array_size(r->checks) >= REPORT_CHECKS_MAX - 1) {
		r->left_checks++;
		json_decref(c);
		return;
	}
	json_array_append_new(r->checks, c);
}

void
report_interface(struct report *r, json_t *iface)
{
	if (json_array_size(r->interfaces) >= REPORT_INTERFACES_MAX) {
		r->left_interfaces++;
		json_decref(iface);
		return;
	}
	json_array_append_new(r->interfaces, iface);
}

void
report_software_start(struct report *r)
{
	if (r->software == NULL)
		r->software = json_array();
}

void
report_software(struct report *r, const char *name, const char *type,
    const char *installed)
{
	json_t	*e;

	report_software_start(r);
	if (json_array_size(r->software) >= REPORT_SOFTWARE_MAX) {
		r->left_software++;
		return;
	}
	e = json_object();
	json_object_set_new(e, "name", report_string(name, REPORT_FIELD_MAX));
	if (type != NULL && *type != '\0')
		json_object_set_new(e, "type", json_string(type));
	if (installed != NULL && *installed != '\0')
		json_object_set_new(e, "installed", json_string(installed));
	json_array_append_new(r->software, e);
}

int
report_metric_value(const struct report *r, const char *name,
    const char *label_key, const char *label_value, double *out)
{
	size_t		 i;
	json_t		*m;
	const char	*v;

	json_array_foreach(r->metrics, i, m) {
		if (strcmp(json_string_value(json_object_get(m, "name")),
		    name) != 0)
			continue;
		if (label_key != NULL) {
			v = json_string_value(json_object_get(
			    json_object_get(m, "labels"), label_key));
			if (v == NULL || strcmp(v, label_value) != 0)
				continue;
		}
		*out = json_number_value(json_object_get(m, "value"));
		return 0;
	}
	return -1;
}

/* What did not fit, as the check ward.report: WARNING, naming how much
 * of what was left out. None when all fitted. */
static void
report_left_out(const struct report *r, json_t *checks)
{
	static const char *const what[] = {
		"metrics", "checks", "interfaces", "installed packages",
	};
	const size_t	 left[] = { r->left_metrics, r->left_checks,
	    r->left_interfaces, r->left_software };
	const size_t	 max[] = { REPORT_METRICS_MAX, REPORT_CHECKS_MAX,
	    REPORT_INTERFACES_MAX, REPORT_SOFTWARE_MAX };
	struct buf	 b;
	json_t		*c;
	size_t		 i;
	int		 n = 0;

	buf_init(&b, 0);
	buf_append_str(&b, "REPORT WARNING: left out, past what one report "
	    "may hold:");
	for (i = 0; i < sizeof left / sizeof left[0]; i++)
		if (left[i] > 0)
			buf_printf(&b, "%s %zu %s (of %zu; at most %zu)",
			    n++ > 0 ? "," : "", left[i], what[i],
			    left[i] + max[i] - (i == 1), max[i] - (i == 1));
	if (n > 0) {
		c = json_object();
		json_object_set_new(c, "name", json_string("ward.report"));
		json_object_set_new(c, "status", json_integer(1));
		json_object_set_new(c, "output", json_string(buf_cstr(&b)));
		json_array_append_new(checks, c);
	}
	buf_free(&b);
}

json_t *
report_to_json(const struct report *r, const struct report_meta *meta)
{
	json_t	*doc, *agent, *host;
	char	 ts[WTIME_ISO8601_LEN];

	/* Whole seconds: the collection is not that precise. */
	wtime_format_iso8601(ts, sizeof ts, meta->ts_ms - meta->ts_ms % 1000);
	doc = json_object();
	json_object_set_new(doc, "schema", json_integer(1));
	agent = json_object();
	json_object_set_new(agent, "id", json_string(meta->agent_id));
	json_object_set_new(agent, "version", json_string(PACKAGE_VERSION));
	json_object_set_new(doc, "agent", agent);
	json_object_set_new(doc, "seq", json_integer(meta->seq));
	json_object_set_new(doc, "ts", json_string(ts));
	json_object_set_new(doc, "interval_s", json_integer(meta->interval_s));
	if (meta->dropped > 0)
		json_object_set_new(doc, "dropped",
		    json_integer(meta->dropped));
	host = json_deep_copy(r->host);
	if (json_object_size(r->os) > 0)
		json_object_set_new(host, "os", json_deep_copy(r->os));
	json_object_set_new(doc, "host", host);
	json_object_set_new(doc, "metrics", json_deep_copy(r->metrics));
	json_object_set_new(doc, "checks", json_deep_copy(r->checks));
	report_left_out(r, json_object_get(doc, "checks"));
	json_object_set_new(doc, "interfaces", json_deep_copy(r->interfaces));
	if (r->software != NULL)
		json_object_set_new(doc, "software",
		    json_deep_copy(r->software));
	return doc;
}

static int
agent_id_valid(const char *id)
{
	size_t	 n = strlen(id), i;

	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)id[i]) && strchr("._:-", id[i]) ==
		    NULL)
			return 0;
	}
	return 1;
}

static int
agent_id_generate(char *id, size_t idlen, char *err, size_t errlen)
{
	unsigned char	 raw[16];
	int		 fd;
	size_t		 i;
	ssize_t		 n;

	if (idlen < 2 * sizeof raw + 1) {
		snprintf(err, errlen, "agent id buffer too small");
		return -1;
	}
	if ((fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "/dev/urandom: %s", strerror(errno));
		return -1;
	}
	n = read(fd, raw, sizeof raw);
	close(fd);
	if (n != (ssize_t)sizeof raw) {
		snprintf(err, errlen, "/dev/urandom: short read");
		return -1;
	}
	for (i = 0; i < sizeof raw; i++)
		snprintf(id + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

/* Writes one line to path through a synced temporary file and rename. */
int
report_save_line(const char *path, const char *id, char *err, size_t errlen)
{
	char	*tmp;
	int	 fd;
	FILE	*fp;

	xasprintf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1) {
		snprintf(err, errlen, "%s: cannot create: %s", tmp,
		    strerror(errno));
		free(tmp);
		return -1;
	}
	if ((fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		goto fail;
	}
	if (fprintf(fp, "%s\n", id) < 0 || fflush(fp) != 0 ||
	    fsync(fileno(fp)) != 0) {
		fclose(fp);
		goto fail;
	}
	if (fclose(fp) != 0)
		goto fail;
	if (rename(tmp, path) == -1)
		goto fail;
	free(tmp);
	return 0;

fail:
	snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
	unlink(tmp);
	free(tmp);
	return -1;
}

int
report_agent_id(const char *path, int ephemeral_ok, char *id, size_t idlen,
    int *saved, char *err, size_t errlen)
{
	FILE	*fp;
	char	 line[128], why[256];

	*saved = 1;
	if ((fp = fopen(path, "re")) != NULL) {
		if (fgets(line, sizeof line, fp) == NULL)
			line[0] = '\0';
		fclose(fp);
		str_trim(line);
		if (!agent_id_valid(line)) {
			snprintf(err, errlen, "%s: not an agent id (1-64 of "
			    "A-Z a-z 0-9 . _ : -); remove it to make a new one",
			    path);
			return -1;
		}
		if (str_copy(id, line, idlen) >= idlen) {
			snprintf(err, errlen, "agent id buffer too small");
			return -1;
		}
		return 0;
	}
	if (errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (agent_id_generate(id, idlen, err, errlen) == -1)
		return -1;
	if (report_save_line(path, id, why, sizeof why) == -1) {
		if (!ephemeral_ok) {
			snprintf(err, errlen, "%s", why);
			return -1;
		}
		*saved = 0;
		snprintf(err, errlen, "%s", why);
	}
	return 0;
}

int
report_seq_next(const char *path, int64_t *next, char *err, size_t errlen)
{
	FILE	*fp;
	char	 line[64], why[128];
	int64_t	 last;

	if ((fp = fopen(path, "re")) == NULL) {
		if (errno == ENOENT) {
			*next = 1;
			return 0;
		}
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fgets(line, sizeof line, fp) == NULL)
		line[0] = '\0';
	fclose(fp);
	str_trim(line);
	/* Damaged (a full disk, an editor): as if lost, from the clock,
	 * rather than an agent that stops for good. */
	if (str_parse_int64(line, 0, INT64_MAX - 1, &last, why,
	    sizeof why) == -1) {
		*next = wtime_now_ms() / 1000 + 1;
		log_warnx("%s: not a sequence number (%s): numbering reports "
		    "from %lld, past any the collector can hold", path, why,
		    (long long)*next);
		return 0;
	}
	*next = last + 1;
	return 0;
}

int
report_seq_save(const char *path, int64_t seq, char *err, size_t errlen)
{
	char	 line[32];

	snprintf(line, sizeof line, "%" PRId64, seq);
	return report_save_line(path, line, err, errlen);
}
