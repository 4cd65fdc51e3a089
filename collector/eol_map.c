/* eol_map.c: the rules (data/eol-mapping) that map what a host reports, its
 * OS or firmware and its hardware, to a product and release cycle of the
 * catalogue or to the hardware table; and which cycle a version is in. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "common/xmalloc.h"
#include "collector/collector.h"

#define EOL_RULES_FILE_MAX	(4 * 1024 * 1024)
#define EOL_RULES_MAX		10000
#define EOL_FIELDS_MAX		8
#define EOL_FIELD_MAX		255

enum eol_rule_type { RULE_OS, RULE_FIRMWARE, RULE_HARDWARE };

struct eol_rule {
	int	 type;
	char	*key;		/* os id, firmware family, hardware vendor */
	char	*version;	/* version, or hardware model */
	char	*name;		/* pretty name, firmware product */
	char	*product;
	char	*cycle;		/* NULL: "=" */
	int	 hw_action;	/* enum eol_hw_rule */
	char	*hw_vendor;	/* the table's name for the vendor */
	int	 line;
};

struct eol_rules {
	struct eol_rule	*v;
	size_t		 n;
};

void
eol_rules_free(struct eol_rules *r)
{
	size_t	 i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++) {
		free(r->v[i].key);
		free(r->v[i].version);
		free(r->v[i].name);
		free(r->v[i].product);
		free(r->v[i].cycle);
		free(r->v[i].hw_vendor);
	}
	free(r->v);
	free(r);
}

size_t
eol_rules_count(const struct eol_rules *r)
{
	return r != NULL ? r->n : 0;
}

/*
 * Splits line into fields in place: blanks separate, "..." keeps blanks,
 * # outside quotes ends the line. Returns the count, or -1 with err.
 */
static int
eol_rules_split(char *line, char **fields, char *err, size_t errlen)
{
	char	*p = line, *out;
	int	 n = 0;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			return n;
		if (n == EOL_FIELDS_MAX) {
			snprintf(err, errlen, "more than %d fields",
			    EOL_FIELDS_MAX);
			return -1;
		}
		fields[n++] = out = p;
		if (*p == '"') {
			fields[n - 1] = out = ++p;
			while (*p != '"' && *p != '\0')
				p++;
			if (*p != '"') {
				snprintf(err, errlen, "a \" is not closed");
				return -1;
			}
			*p++ = '\0';
			if (*p != '\0' && *p != ' ' && *p != '\t' &&
			    *p != '#') {
				snprintf(err, errlen, "text straight after a "
				    "closing \"");
				return -1;
			}
			continue;
		}
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '#')
			p++;
		if (*p == '#') {
			*p = '\0';
			return n;
		}
		if (*p != '\0')
			*p++ = '\0';
	}
}

static int
eol_rules_product_ok(const char *s)
{
	size_t	 n = strlen(s);

	return n > 0 && n <= 64 && strspn(s,
	    "abcdefghijklmnopqrstuvwxyz0123456789.-_") == n;
}

static int
eol_rules_line(struct eol_rules *r, char *line, int lineno, char *err,
    size_t errlen)
{
	struct eol_rule	 rule;
	char		*f[EOL_FIELDS_MAX];
	int		 n, i;

	if ((n = eol_rules_split(line, f, err, errlen)) <= 0)
		return n;
	for (i = 0; i < n; i++) {
		if (strlen(f[i]) > EOL_FIELD_MAX) {
			snprintf(err, errlen, "field %d is longer than %d "
			    "bytes", i + 1, EOL_FIELD_MAX);
			return -1;
		}
		if (*f[i] == '\0') {
			snprintf(err, errlen, "field %d is empty (write * "
			    "for anything)", i + 1);
			return -1;
		}
	}
	memset(&rule, 0, sizeof rule);
	rule.line = lineno;
	if (strcmp(f[0], "os") == 0 || strcmp(f[0], "firmware") == 0) {
		rule.type = f[0][0] == 'o' ? RULE_OS : RULE_FIRMWARE;
		if (n != 6) {
			snprintf(err, errlen, "%s: expected %s PATTERN VERSION "
			    "NAME PRODUCT CYCLE (6 fields), got %d", f[0], f[0],
			    n);
			return -1;
		}
		if (!eol_rules_product_ok(f[4])) {
			snprintf(err, errlen, "product \"%s\": not an "
			    "endoflife.date product id (a-z 0-9 . - _)", f[4]);
			return -1;
		}
		rule.key = xstrdup(f[1]);
		rule.version = xstrdup(f[2]);
		rule.name = xstrdup(f[3]);
		rule.product = xstrdup(f[4]);
		rule.cycle = strcmp(f[5], "=") == 0 ? NULL : xstrdup(f[5]);
	} else if (strcmp(f[0], "hardware") == 0) {
		rule.type = RULE_HARDWARE;
		if (n < 4 || n > 5 ||
		    (strcmp(f[3], "virtual") == 0 && n != 4)) {
			snprintf(err, errlen, "hardware: expected hardware "
			    "VENDOR MODEL virtual, or hardware VENDOR MODEL "
			    "table [VENDOR-IN-TABLE]");
			return -1;
		}
		if (strcmp(f[3], "virtual") == 0)
			rule.hw_action = EOL_HW_VIRTUAL;
		else if (strcmp(f[3], "table") == 0)
			rule.hw_action = EOL_HW_TABLE;
		else {
			snprintf(err, errlen, "hardware: \"%s\": expected "
			    "virtual or table", f[3]);
			return -1;
		}
		rule.key = xstrdup(f[1]);
		rule.version = xstrdup(f[2]);
		if (n == 5)
			rule.hw_vendor = xstrdup(f[4]);
	} else {
		snprintf(err, errlen, "\"%s\": expected os, firmware or "
		    "hardware", f[0]);
		return -1;
	}
	if (r->n == EOL_RULES_MAX) {
		snprintf(err, errlen, "more than %d rules", EOL_RULES_MAX);
		free(rule.key);
		free(rule.version);
		free(rule.name);
		free(rule.product);
		free(rule.cycle);
		free(rule.hw_vendor);
		return -1;
	}
	r->v = xreallocarray(r->v, r->n + 1, sizeof *r->v);
	r->v[r->n++] = rule;
	return 1;
}

struct eol_rules *
eol_rules_parse(const char *name, const char *text, char *err, size_t errlen)
{
	struct eol_rules	*r = xcalloc(1, sizeof *r);
	const char		*p = text, *nl;
	char			*line, why[256], vis[64];
	size_t			 len;
	int			 lineno = 0;

	while (*p != '\0') {
		lineno++;
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		line = xstrndup(p, len);
		if (len > 0 && line[len - 1] == '\r')
			line[len - 1] = '\0';
		if (eol_rules_line(r, line, lineno, why, sizeof why) == -1) {
			snprintf(err, errlen, "%s:%d: %s", str_vis(vis,
			    sizeof vis, name), lineno, why);
			free(line);
			goto fail;
		}
		free(line);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return r;

fail:
	eol_rules_free(r);
	return NULL;
}

struct eol_rules *
eol_rules_load(const char *path, char *err, size_t errlen)
{
	struct eol_rules	*r;
	FILE			*fp;
	char			*text;
	size_t			 len;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	text = xmalloc(EOL_RULES_FILE_MAX + 1);
	len = fread(text, 1, EOL_RULES_FILE_MAX + 1, fp);
	if (ferror(fp) || len > EOL_RULES_FILE_MAX) {
		snprintf(err, errlen, "%s: %s", path, ferror(fp) ?
		    strerror(errno) : "larger than 4 MiB");
		fclose(fp);
		free(text);
		return NULL;
	}
	fclose(fp);
	text[len] = '\0';
	if (strlen(text) != len) {
		snprintf(err, errlen, "%s: holds a NUL byte: not a text file",
		    path);
		free(text);
		return NULL;
	}
	r = eol_rules_parse(path, text, err, errlen);
	free(text);
	return r;
}

static int
eol_rules_strcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **
eol_rules_products(const struct eol_rules *r)
{
	const char	**v;
	size_t		  i, n = 0;

	v = xcalloc(eol_rules_count(r) + 1, sizeof *v);
	for (i = 0; i < eol_rules_count(r); i++)
		if (r->v[i].product != NULL)
			v[n++] = r->v[i].product;
	if (n > 1)
		qsort(v, n, sizeof *v, eol_rules_strcmp);
	for (i = 0; i + 1 < n; )
		if (strcmp(v[i], v[i + 1]) == 0) {
			memmove(&v[i + 1], &v[i + 2], (n - i - 2) *
			    sizeof *v);
			n--;
		} else
			i++;
	v[n] = NULL;
	return v;
}

/* "*" matches anything, a value not reported too; other patterns need a
 * value. */
static int
eol_rules_glob(const char *pattern, const char *value)
{
	if (strcmp(pattern, "*") == 0)
		return 1;
	return value != NULL && fnmatch(pattern, value, FNM_CASEFOLD) == 0;
}

int
eol_rules_software(const struct eol_rules *r, const struct eol_identity *id,
    struct eol_match *m)
{
	const struct eol_rule	*rule;
	size_t			 i;
	int			 pass;

	memset(m, 0, sizeof *m);
	if (r == NULL)
		return 0;
	/* The OS first: a server polled over SNMP has both. */
	for (pass = RULE_OS; pass <= RULE_FIRMWARE; pass++) {
		if (pass == RULE_OS ? id->os_id == NULL :
		    id->fw_family == NULL && id->fw_product == NULL)
			continue;
		for (i = 0; i < r->n; i++) {
			rule = &r->v[i];
			if (rule->type != pass)
				continue;
			if (pass == RULE_OS ? !eol_rules_glob(rule->key,
			    id->os_id) || !eol_rules_glob(rule->version,
			    id->os_version) || !eol_rules_glob(rule->name,
			    id->os_name) : !eol_rules_glob(rule->key,
			    id->fw_family) || !eol_rules_glob(rule->version,
			    id->fw_version) || !eol_rules_glob(rule->name,
			    id->fw_product))
				continue;
			m->product = rule->product;
			m->cycle = rule->cycle;
			m->version = pass == RULE_OS ? id->os_version :
			    id->fw_version;
			m->from = pass == RULE_OS ? "os" : "firmware";
			m->line = rule->line;
			return 1;
		}
	}
	return 0;
}

int
eol_rules_hardware(const struct eol_rules *r, const struct eol_identity *id,
    const char **vendor, int *line)
{
	const struct eol_rule	*rule;
	size_t			 i;

	*vendor = NULL;
	*line = 0;
	for (i = 0; i < eol_rules_count(r); i++) {
		rule = &r->v[i];
		if (rule->type != RULE_HARDWARE ||
		    !eol_rules_glob(rule->key, id->vendor) ||
		    !eol_rules_glob(rule->version, id->model))
			continue;
		*vendor = rule->hw_vendor != NULL ? rule->hw_vendor :
		    id->vendor;
		*line = rule->line;
		return rule->hw_action;
	}
	return EOL_HW_NONE;
}

/* s in lower case, leading zeros of each number dropped ("17.09.04a" ->
 * "17.9.4a"), a leading "v" before a digit dropped. */
static char *
eol_version_norm(const char *s)
{
	char	*out = xmalloc(strlen(s) + 1);
	size_t	 n = 0;

	if ((*s == 'v' || *s == 'V') && isdigit((unsigned char)s[1]))
		s++;
	while (*s != '\0') {
		if (isdigit((unsigned char)*s)) {
			while (*s == '0' && isdigit((unsigned char)s[1]))
				s++;
			while (isdigit((unsigned char)*s))
				out[n++] = *s++;
			continue;
		}
		out[n++] = (char)tolower((unsigned char)*s++);
	}
	out[n] = '\0';
	return out;
}

const struct eol_cycle *
eol_cycle_match(const struct eol_product *p, const char *version)
{
	const struct eol_cycle	*best = NULL;
	char			*v, *c;
	size_t			 i, len, best_len = 0;

	if (p == NULL || version == NULL || *version == '\0')
		return NULL;
	v = eol_version_norm(version);
	for (i = 0; i < p->ncycles; i++) {
		c = eol_version_norm(p->cycles[i].name);
		len = strlen(c);
		if (strcmp(v, c) == 0) {
			free(c);
			best = &p->cycles[i];
			break;
		}
		/* "7.9" is in "7", not "7.1" in "7.10" nor "17" in "1". */
		if (len > best_len && strncmp(v, c, len) == 0 &&
		    !isdigit((unsigned char)v[len]) &&
		    isdigit((unsigned char)c[len - 1])) {
			best = &p->cycles[i];
			best_len = len;
		}
		free(c);
	}
	free(v);
	return best;
}
