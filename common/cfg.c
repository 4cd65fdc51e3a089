/* cfg.c: INI configuration read with inih and checked against the program's
 * table of sections and options; also dumps it and writes its reference. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "common/cfg.h"
#include "common/log.h"
#include "common/str.h"
#include "common/xmalloc.h"

/* Biggest secret we read: tokens and passwords, not certificates. */
#define CFG_SECRET_MAX	(64 * 1024)

#define CFG_FIELD(base, off, type) \
	((type *)(void *)((char *)(base) + (off)))
#define CFG_CFIELD(base, off, type) \
	((const type *)(const void *)((const char *)(base) + (off)))

/* Where an option got its value from the file, for duplicates and required. */
struct cfg_seen {
	const void		*base;
	const struct cfg_option	*opt;
	int			 line;
};

struct cfg_parse {
	const struct cfg_schema	*schema;
	void			*cfg;
	const char		*name;	/* in messages; NULL: no file */
	const char		*path;	/* relative paths resolve next to it */
	char			*dir;	/* its directory, made when needed */
	FILE			*fp;	/* the file, or */
	const char		*text;	/* the rest of the string */
	int			 line;
	int			 failed;
	char			*err;
	size_t			 errlen;

	/* The section the lines being read belong to. */
	const struct cfg_section *sec;
	void			*base;
	const char		*label;
	/* After a key, inih takes an indented line as its continuation. */
	int			 after_key;
	int			 continuation;	/* the current line is one */

	int			*sec_lines;	/* single: header line */
	struct cfg_seen		*seen;
	size_t			 nseen;
};

int		 cfg_check_machine;

static void	 cfg_free_field(const struct cfg_option *, void *);

static void __attribute__((format(printf, 3, 4)))
cfg_error(struct cfg_parse *st, int line, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[1024];

	if (st->failed)
		return;
	st->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (st->name == NULL)
		snprintf(st->err, st->errlen, "%s", msg);
	else if (line > 0)
		snprintf(st->err, st->errlen, "%s:%d: %s", st->name, line, msg);
	else
		snprintf(st->err, st->errlen, "%s: %s", st->name, msg);
}

/* "[check \"disk\"]" or "[log]", safe to print. */
static char *
cfg_where(char *dst, size_t size, const struct cfg_section *sec,
    const char *label)
{
	char	 vis[128];

	if (label != NULL)
		snprintf(dst, size, "[%s \"%s\"]", sec->name,
		    str_vis(vis, sizeof vis, label));
	else
		snprintf(dst, size, "[%s]", sec->name);
	return dst;
}

static void __attribute__((format(printf, 6, 7)))
cfg_option_error(struct cfg_parse *st, int line, const struct cfg_section *sec,
    const char *label, const char *key, const char *fmt, ...)
{
	va_list	 ap;
	char	 where[192], vis[128], msg[768];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cfg_error(st, line, "%s %s: %s", cfg_where(where, sizeof where, sec,
	    label), str_vis(vis, sizeof vis, key), msg);
}

/* Edit distance counting a swap of neighbours as one edit ("lgo" is one
 * from "log"); long names are never close. */
static size_t
cfg_distance(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b), i, j, d;
	size_t	 rows[3][65];	/* rows i, i-1, i-2 of the table, by i % 3 */
	size_t	*c, *p, *pp;

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		rows[0][j] = j;
	for (i = 1; i <= la; i++) {
		c = rows[i % 3];
		p = rows[(i - 1) % 3];
		pp = rows[(i + 1) % 3];
		c[0] = i;
		for (j = 1; j <= lb; j++) {
			d = p[j - 1] + (a[i - 1] != b[j - 1]);
			if (p[j] + 1 < d)
				d = p[j] + 1;
			if (c[j - 1] + 1 < d)
				d = c[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && pp[j - 2] + 1 < d)
				d = pp[j - 2] + 1;
			c[j] = d;
		}
	}
	return rows[la % 3][lb];
}

/* Close enough to suggest: at most two edits, fewer for short names. */
static int
cfg_close(const char *typed, const char *known, size_t *best_d)
{
	size_t	 d = cfg_distance(typed, known);

	if (d > 2 || d * 3 > strlen(typed) || d >= *best_d)
		return 0;
	*best_d = d;
	return 1;
}

/* Appends ` (did you mean "x"?)` when a known name is within 2 edits. */
static void
cfg_suggest(char *dst, size_t size, const char *best)
{
	if (best == NULL)
		*dst = '\0';
	else
		snprintf(dst, size, " (did you mean \"%s\"?)", best);
}

static const char *
cfg_closest_option(const struct cfg_section *sec, const char *name)
{
	const struct cfg_option	*opt;
	const char		*best = NULL;
	size_t			 best_d = 3;

	for (opt = sec->options; opt->name != NULL; opt++) {
		if (opt->flags & CFG_HIDDEN)
			continue;
		if (cfg_close(name, opt->name, &best_d))
			best = opt->name;
	}
	return best;
}

static const char *
cfg_closest_section(const struct cfg_schema *schema, const char *name)
{
	const struct cfg_section	*sec;
	const char			*best = NULL;
	size_t				 best_d = 3;

	for (sec = schema->sections; sec->name != NULL; sec++) {
		if (cfg_close(name, sec->name, &best_d))
			best = sec->name;
	}
	return best;
}

static const struct cfg_option *
cfg_find_option(const struct cfg_section *sec, const char *name)
{
	const struct cfg_option	*opt;

	for (opt = sec->options; opt->name != NULL; opt++)
		if (strcmp(opt->name, name) == 0)
			return opt;
	return NULL;
}

static struct cfg_seen *
cfg_seen_find(struct cfg_parse *st, const void *base,
    const struct cfg_option *opt)
{
	size_t	 i;

	for (i = 0; i < st->nseen; i++)
		if (st->seen[i].base == base && st->seen[i].opt == opt)
			return &st->seen[i];
	return NULL;
}

static void
cfg_seen_add(struct cfg_parse *st, const void *base,
    const struct cfg_option *opt, int line)
{
	st->seen = xreallocarray(st->seen, st->nseen + 1, sizeof *st->seen);
	st->seen[st->nseen].base = base;
	st->seen[st->nseen].opt = opt;
	st->seen[st->nseen].line = line;
	st->nseen++;
}

/* Relative paths are taken from the config file's directory (or the cwd). */
static char *
cfg_resolve(struct cfg_parse *st, const char *value, char *why, size_t whylen)
{
	const char	*slash;
	char		 cwd[PATH_MAX];
	char		*path;

	if (*value == '/')
		return xstrdup(value);
	while (value[0] == '.' && value[1] == '/') {
		value += 2;
		while (*value == '/')
			value++;
	}
	if (st->dir == NULL) {
		slash = st->path != NULL ? strrchr(st->path, '/') : NULL;
		if (slash == st->path && slash != NULL)
			st->dir = xstrdup("/");
		else if (slash != NULL && st->path[0] == '/')
			st->dir = xstrndup(st->path,
			    (size_t)(slash - st->path));
		else if (getcwd(cwd, sizeof cwd) == NULL) {
			snprintf(why, whylen, "cannot resolve relative path "
			    "\"%s\": current directory: %s", value,
			    strerror(errno));
			return NULL;
		} else if (slash == NULL)
			st->dir = xstrdup(cwd);
		else
			xasprintf(&st->dir, "%s/%.*s", cwd,
			    (int)(slash - st->path), st->path);
	}
	if (*value == '\0')
		return xstrdup(st->dir);
	xasprintf(&path, "%s%s%s", st->dir,
	    str_has_suffix(st->dir, "/") ? "" : "/", value);
	return path;
}

static void
cfg_quote(char *dst, size_t size, const char *value)
{
	char	 vis[160];

	snprintf(dst, size, "\"%s\"", str_vis(vis, sizeof vis, value));
}

static int
cfg_check_range(const struct cfg_option *opt, const char *value, int64_t v,
    char *why, size_t whylen)
{
	char	 q[192], lo[32], hi[32];

	if ((opt->min == 0 && opt->max == 0) ||
	    (v >= opt->min && v <= opt->max))
		return 0;
	cfg_quote(q, sizeof q, value);
	if (opt->type == CFG_DURATION) {
		str_format_duration_ms(lo, sizeof lo, opt->min);
		str_format_duration_ms(hi, sizeof hi, opt->max);
	} else {
		str_format_size(lo, sizeof lo, opt->min);
		str_format_size(hi, sizeof hi, opt->max);
	}
	snprintf(why, whylen, "%s: out of range (%s..%s)", q, lo, hi);
	return -1;
}

/*
 * Parses value into the option's field at base. Lists append; everything
 * else replaces. Secrets are read here (from_default: left for later,
 * since the file may name another one).
 */
static int
cfg_set(struct cfg_parse *st, const struct cfg_option *opt, void *base,
    const char *value, int from_default, char *why, size_t whylen)
{
	const char *const	*c;
	struct cfg_list		*list;
	char			**items, *s, *secret, q[192];
	int64_t			 v, lo, hi;
	size_t			 n, i;
	int			 b;

	switch (opt->type) {
	case CFG_STRING:
		if (*value == '\0' && (opt->flags & CFG_REQUIRED)) {
			snprintf(why, whylen, "must not be empty");
			return -1;
		}
		cfg_free_field(opt, base);
		*CFG_FIELD(base, opt->offset, char *) = xstrdup(value);
		return 0;
	case CFG_PATH:
		if (*value == '\0') {
			if (opt->flags & CFG_REQUIRED) {
				snprintf(why, whylen, "must not be empty");
				return -1;
			}
			cfg_free_field(opt, base);
			return 0;
		}
		if ((s = cfg_resolve(st, value, why, whylen)) == NULL)
			return -1;
		cfg_free_field(opt, base);
		*CFG_FIELD(base, opt->offset, char *) = s;
		return 0;
	case CFG_SECRET:
		if (from_default)
			return 0;
		if (*value == '\0') {
			snprintf(why, whylen, "needs the path of a file "
			    "holding the secret");
			return -1;
		}
		if ((s = cfg_resolve(st, value, why, whylen)) == NULL)
			return -1;
		secret = cfg_read_secret(s, why, whylen);
		free(s);
		if (secret == NULL)
			return -1;
		cfg_free_field(opt, base);
		*CFG_FIELD(base, opt->offset, char *) = secret;
		return 0;
	case CFG_INT:
		lo = opt->min;
		hi = opt->max;
		if (lo == 0 && hi == 0) {
			lo = INT64_MIN;
			hi = INT64_MAX;
		}
		if (str_parse_int64(value, lo, hi, &v, why, whylen) == -1)
			return -1;
		*CFG_FIELD(base, opt->offset, int64_t) = v;
		return 0;
	case CFG_DURATION:
		if (str_parse_duration_ms(value, &v, why, whylen) == -1 ||
		    cfg_check_range(opt, value, v, why, whylen) == -1)
			return -1;
		*CFG_FIELD(base, opt->offset, int64_t) = v;
		return 0;
	case CFG_SIZE:
		if (str_parse_size(value, &v, why, whylen) == -1 ||
		    cfg_check_range(opt, value, v, why, whylen) == -1)
			return -1;
		*CFG_FIELD(base, opt->offset, int64_t) = v;
		return 0;
	case CFG_BOOL:
		if (str_parse_bool(value, &b, why, whylen) == -1)
			return -1;
		*CFG_FIELD(base, opt->offset, int) = b;
		return 0;
	case CFG_ENUM:
		for (c = opt->choices; *c != NULL; c++) {
			if (str_eq_nocase(value, *c)) {
				*CFG_FIELD(base, opt->offset, int) =
				    (int)(c - opt->choices);
				return 0;
			}
		}
		cfg_quote(q, sizeof q, value);
		n = (size_t)snprintf(why, whylen, "%s: not one of ", q);
		for (c = opt->choices; *c != NULL && n < whylen; c++) {
			n += (size_t)snprintf(why + n, whylen - n, "%s%s",
			    c == opt->choices ? "" : ", ", *c);
		}
		return -1;
	case CFG_LIST:
		list = CFG_FIELD(base, opt->offset, struct cfg_list);
		n = str_split(value, ", \t", &items);
		if (n == 0) {
			free(items);
			return 0;
		}
		list->items = xreallocarray(list->items, list->count + n,
		    sizeof *list->items);
		for (i = 0; i < n; i++)
			list->items[list->count++] = items[i];
		free(items);
		return 0;
	}
	fatalx("cfg: option %s has unknown type %d", opt->name,
	    (int)opt->type);
}

/* Defaults are parsed like file values; a bad one is a bug in the table. */
static void
cfg_apply_defaults(struct cfg_parse *st, const struct cfg_section *sec,
    void *base)
{
	const struct cfg_option	*opt;
	char			 why[512];

	for (opt = sec->options; opt->name != NULL; opt++) {
		if (opt->type == CFG_ENUM && opt->choices == NULL)
			fatalx("%s: [%s] %s: enum without choices",
			    st->schema->program, sec->name, opt->name);
		if (opt->default_value == NULL)
			continue;
		if (opt->flags & CFG_REQUIRED)
			fatalx("%s: [%s] %s: required option has a default",
			    st->schema->program, sec->name, opt->name);
		if (cfg_set(st, opt, base, opt->default_value, 1, why,
		    sizeof why) == -1)
			fatalx("%s: [%s] %s: bad default: %s",
			    st->schema->program, sec->name, opt->name, why);
	}
}

/* Skips to the first ch (or the end), stopping at an inline " ;" comment
 * the way inih does. */
static char *
cfg_find_char(char *s, const char *chars)
{
	int	 was_space = 0;

	while (*s != '\0' && strchr(chars, *s) == NULL &&
	    !(was_space && *s == ';')) {
		was_space = isspace((unsigned char)*s);
		s++;
	}
	return s;
}

static int
cfg_section_start(struct cfg_parse *st, char *p)
{
	const struct cfg_section	*sec;
	struct cfg_items		*items;
	struct cfg_item			*item;
	char				*end, *raw, *name, *rest, *q, *label;
	char				 vis[128], suggest[96], where[192];
	size_t				 i;
	int				 rc = -1;

	end = cfg_find_char(p + 1, "]");
	if (*end != ']') {
		cfg_error(st, st->line, "section header without closing ]");
		return -1;
	}
	for (q = end + 1; isspace((unsigned char)*q); q++)
		;
	if (*q != '\0' && *q != ';' && *q != '#') {
		cfg_error(st, st->line, "unexpected text after ]: \"%s\"",
		    str_vis(vis, sizeof vis, q));
		return -1;
	}
	raw = xstrndup(p + 1, (size_t)(end - p - 1));
	str_trim(raw);
	name = raw;
	for (rest = name; *rest != '\0' && *rest != '"' &&
	    !isspace((unsigned char)*rest); rest++)
		;
	label = NULL;
	if (*rest != '\0') {
		*rest++ = '\0';
		while (isspace((unsigned char)*rest))
			rest++;
	}
	if (*name == '\0') {
		cfg_error(st, st->line, "section header without a name");
		goto out;
	}
	for (sec = st->schema->sections; sec->name != NULL; sec++)
		if (strcmp(sec->name, name) == 0)
			break;
	if (sec->name == NULL) {
		cfg_suggest(suggest, sizeof suggest,
		    cfg_closest_section(st->schema, name));
		cfg_error(st, st->line, "unknown section [%s]%s",
		    str_vis(vis, sizeof vis, name), suggest);
		goto out;
	}
	if (*rest != '\0' && !(sec->flags & CFG_SECTION_MULTI)) {
		cfg_error(st, st->line, "section [%s] takes no label (found "
		    "%s)", sec->name, str_vis(vis, sizeof vis, rest));
		goto out;
	}
	if (!(sec->flags & CFG_SECTION_MULTI)) {
		i = (size_t)(sec - st->schema->sections);
		if (st->sec_lines[i] == 0)
			st->sec_lines[i] = st->line;
		st->sec = sec;
		st->base = (char *)st->cfg + sec->offset;
		st->label = NULL;
		rc = 0;
		goto out;
	}

	if (*rest == '\0') {
		cfg_error(st, st->line, "section [%s] needs a label, as in "
		    "[%s \"NAME\"]", sec->name, sec->name);
		goto out;
	}
	if (*rest != '"') {
		str_vis(vis, sizeof vis, rest);
		cfg_error(st, st->line, "[%s %s]: the label must be in double "
		    "quotes, as in [%s \"%s\"]", sec->name, vis, sec->name,
		    vis);
		goto out;
	}
	label = rest + 1;
	if ((q = strchr(label, '"')) == NULL) {
		cfg_error(st, st->line, "[%s %s]: label without closing quote",
		    sec->name, str_vis(vis, sizeof vis, rest));
		goto out;
	}
	for (*q++ = '\0'; isspace((unsigned char)*q); q++)
		;
	if (*q != '\0') {
		cfg_error(st, st->line, "%s: unexpected text after the label: "
		    "%s", cfg_where(where, sizeof where, sec, label),
		    str_vis(vis, sizeof vis, q));
		goto out;
	}
	if (*label == '\0') {
		cfg_error(st, st->line, "[%s \"\"]: empty label", sec->name);
		goto out;
	}
	for (q = label; *q != '\0'; q++) {
		if (iscntrl((unsigned char)*q)) {
			cfg_error(st, st->line, "%s: control character in the "
			    "label", cfg_where(where, sizeof where, sec,
			    label));
			goto out;
		}
	}

	items = CFG_FIELD(st->cfg, sec->offset, struct cfg_items);
	for (i = 0; i < items->count; i++) {
		item = items->items[i];
		if (strcmp(item->label, label) == 0) {
			cfg_error(st, st->line, "%s: duplicate label (first "
			    "used at line %d)", cfg_where(where, sizeof where,
			    sec, label), item->line);
			goto out;
		}
	}
	if (sec->item_size < sizeof *item)
		fatalx("%s: [%s]: item_size too small", st->schema->program,
		    sec->name);
	item = xcalloc(1, sec->item_size);
	item->label = xstrdup(label);
	item->line = st->line;
	items->items = xreallocarray(items->items, items->count + 1,
	    sizeof *items->items);
	items->items[items->count++] = item;
	cfg_apply_defaults(st, sec, item);
	st->sec = sec;
	st->base = item;
	st->label = item->label;
	rc = 0;
out:
	free(raw);
	return rc;
}

static int
cfg_getc(struct cfg_parse *st)
{
	if (st->fp != NULL)
		return getc(st->fp);
	if (*st->text == '\0')
		return EOF;
	return (unsigned char)*st->text++;
}

/*
 * inih's line reader. It sees every physical line first, so it counts lines
 * (Debian's inih does not pass them to the handler), refuses lines longer
 * than inih's buffer instead of letting them be split, and handles section
 * headers itself: inih truncates long ones and says nothing of empty ones.
 */
static char *
cfg_reader(char *str, int num, void *stream)
{
	struct cfg_parse	*st = stream;
	size_t			 len = 0, cr = 0;
	int			 c, too_long = 0, nul = 0;
	char			*p, *eq;

	if (st->failed)
		return NULL;
	if (num < 2) {
		cfg_error(st, st->line, "inih line buffer too small (%d)", num);
		return NULL;
	}
	while ((c = cfg_getc(st)) != EOF && c != '\n') {
		if (c == '\r') {
			/* Only a CR before the newline is dropped. */
			cr++;
			continue;
		}
		for (; cr > 0; cr--) {
			if (len + 1 < (size_t)num)
				str[len++] = '\r';
			else
				too_long = 1;
		}
		if (c == '\0')
			nul = 1;
		if (len + 1 < (size_t)num)
			str[len++] = (char)c;
		else
			too_long = 1;
	}
	if (c == EOF && st->fp != NULL && ferror(st->fp)) {
		cfg_error(st, 0, "read error after line %d: %s", st->line,
		    strerror(errno));
		return NULL;
	}
	if (c == EOF && len == 0 && cr == 0 && !too_long)
		return NULL;
	str[len] = '\0';
	st->line++;
	if (too_long) {
		cfg_error(st, st->line, "line too long (more than %d "
		    "characters)", num - 1);
		return NULL;
	}
	if (nul) {
		cfg_error(st, st->line, "line contains a NUL byte");
		return NULL;
	}
	if (st->line == 1 && strncmp(str, "\xef\xbb\xbf", 3) == 0)
		memmove(str, str + 3, len - 2);

	st->continuation = 0;
	for (p = str; isspace((unsigned char)*p); p++)
		;
	if (*p == '\0' || *p == ';' || *p == '#')
		return str;
	if (p > str && st->after_key) {
		st->continuation = 1;
		return str;
	}
	if (*p == '[') {
		st->after_key = 0;
		if (cfg_section_start(st, p) == -1)
			return NULL;
		return str;
	}
	eq = cfg_find_char(p, "=:");
	if (*eq != '=' && *eq != ':') {
		cfg_error(st, st->line, "expected \"key = value\", a [section] "
		    "or a comment");
		return NULL;
	}
	st->after_key = 1;
	return str;
}

static int
cfg_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct cfg_parse	*st = user;
	const struct cfg_option	*opt;
	struct cfg_seen		*seen;
	char			 vis[128], suggest[96], why[768];

	(void)section;	/* ours is in st; inih's may be truncated */
	if (st->failed)
		return 0;
	if (st->sec == NULL) {
		cfg_error(st, st->line, "\"%s\" is outside any [section]",
		    str_vis(vis, sizeof vis, name));
		return 0;
	}
	if (*name == '\0') {
		cfg_error(st, st->line, "missing key before '='");
		return 0;
	}
	if ((opt = cfg_find_option(st->sec, name)) == NULL) {
		cfg_suggest(suggest, sizeof suggest,
		    cfg_closest_option(st->sec, name));
		cfg_option_error(st, st->line, st->sec, st->label, name,
		    "unknown key%s", suggest);
		return 0;
	}
	seen = cfg_seen_find(st, st->base, opt);
	if (st->continuation && opt->type != CFG_LIST) {
		cfg_option_error(st, st->line, st->sec, st->label, name,
		    "indented line taken as a continuation of this value, "
		    "which only lists allow (remove the indentation)");
		return 0;
	}
	if (seen != NULL && opt->type != CFG_LIST) {
		cfg_option_error(st, st->line, st->sec, st->label, name,
		    "duplicate key (first set at line %d)", seen->line);
		return 0;
	}
	if (seen == NULL) {
		/* The file's value replaces the default, lists included. */
		cfg_free_field(opt, st->base);
		cfg_seen_add(st, st->base, opt, st->line);
	}
	if (cfg_set(st, opt, st->base, value, 0, why, sizeof why) == -1) {
		cfg_option_error(st, st->line, st->sec, st->label, name, "%s",
		    why);
		return 0;
	}
	return 1;
}

/* Required options and sections, then secrets left at their default. */
static int
cfg_check_instance(struct cfg_parse *st, const struct cfg_section *sec,
    void *base, const char *label, int line)
{
	const struct cfg_option	*opt;
	char			 why[768];

	for (opt = sec->options; opt->name != NULL; opt++) {
		if (cfg_seen_find(st, base, opt) != NULL)
			continue;
		if (opt->flags & CFG_REQUIRED) {
			cfg_option_error(st, line, sec, label, opt->name,
			    "required but not set");
			return -1;
		}
		if (opt->type == CFG_SECRET && opt->default_value != NULL &&
		    cfg_set(st, opt, base, opt->default_value, 0, why,
		    sizeof why) == -1) {
			cfg_option_error(st, line, sec, label, opt->name,
			    "%s (the default)", why);
			return -1;
		}
	}
	return 0;
}

/*
 * The line a validator's message is about. Messages name what they are
 * about first, "[section] key ..." or "[section \"label\"] key ...": the
 * line that set that key, else the section's header, else 0 (the file).
 */
static int
cfg_message_line(struct cfg_parse *st, const char *msg)
{
	const struct cfg_section	*sec;
	const struct cfg_option		*opt;
	const struct cfg_seen		*seen;
	struct cfg_items		*items;
	struct cfg_item			*item = NULL;
	const char			*p, *label = NULL;
	const void			*base;
	size_t				 n, lablen = 0, i;
	int				 line;

	if (msg[0] != '[')
		return 0;
	n = strcspn(msg + 1, " ]");
	for (sec = st->schema->sections; sec->name != NULL; sec++)
		if (strlen(sec->name) == n && strncmp(sec->name, msg + 1,
		    n) == 0)
			break;
	if (sec->name == NULL)
		return 0;
	p = msg + 1 + n;
	if (strncmp(p, " \"", 2) == 0) {
		label = p + 2;
		if ((p = strstr(label, "\"]")) == NULL)
			return 0;
		lablen = (size_t)(p - label);
		p++;
	}
	if (*p++ != ']')
		return 0;
	if (!(sec->flags & CFG_SECTION_MULTI)) {
		if (label != NULL)
			return 0;
		base = (const char *)st->cfg + sec->offset;
		line = st->sec_lines[sec - st->schema->sections];
	} else {
		if (label == NULL)
			return 0;
		items = CFG_FIELD(st->cfg, sec->offset, struct cfg_items);
		for (i = 0; i < items->count; i++) {
			item = items->items[i];
			if (strlen(item->label) == lablen &&
			    strncmp(item->label, label, lablen) == 0)
				break;
		}
		if (i == items->count)
			return 0;
		base = item;
		line = item->line;
	}
	while (*p == ' ')
		p++;
	n = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_");
	for (opt = sec->options; n > 0 && opt->name != NULL; opt++)
		if (strlen(opt->name) == n && strncmp(opt->name, p, n) == 0) {
			if ((seen = cfg_seen_find(st, base, opt)) != NULL)
				line = seen->line;
			break;
		}
	return line;
}

static int
cfg_finish(struct cfg_parse *st)
{
	const struct cfg_section	*sec;
	struct cfg_items		*items;
	struct cfg_item			*item;
	char				 why[1024];
	size_t				 i, j;

	for (sec = st->schema->sections, i = 0; sec->name != NULL;
	    sec++, i++) {
		if (!(sec->flags & CFG_SECTION_MULTI)) {
			if ((sec->flags & CFG_SECTION_REQUIRED) &&
			    st->sec_lines[i] == 0) {
				cfg_error(st, 0, "section [%s] is required but "
				    "missing", sec->name);
				return -1;
			}
			if (cfg_check_instance(st, sec,
			    (char *)st->cfg + sec->offset, NULL,
			    st->sec_lines[i]) == -1)
				return -1;
			continue;
		}
		items = CFG_FIELD(st->cfg, sec->offset, struct cfg_items);
		if ((sec->flags & CFG_SECTION_REQUIRED) && items->count == 0) {
			cfg_error(st, 0, "at least one [%s \"NAME\"] section "
			    "is required", sec->name);
			return -1;
		}
		for (j = 0; j < items->count; j++) {
			item = items->items[j];
			if (cfg_check_instance(st, sec, item, item->label,
			    item->line) == -1)
				return -1;
		}
	}
	if (st->schema->validate != NULL) {
		why[0] = '\0';
		if (st->schema->validate(st->cfg, why, sizeof why) == -1) {
			cfg_error(st, cfg_message_line(st, why), "%s", why);
			return -1;
		}
	}
	return 0;
}

static void
cfg_parse_init(struct cfg_parse *st, const struct cfg_schema *schema,
    void *cfg, char *err, size_t errlen)
{
	const struct cfg_section	*sec;
	size_t				 n = 0;

	memset(st, 0, sizeof *st);
	st->schema = schema;
	st->cfg = cfg;
	st->err = err;
	st->errlen = errlen;
	if (errlen > 0)
		err[0] = '\0';
	for (sec = schema->sections; sec->name != NULL; sec++)
		n++;
	st->sec_lines = xcalloc(n + 1, sizeof *st->sec_lines);
}

/* Defaults, the file (if any), then the checks that need all of it. */
static int
cfg_run(struct cfg_parse *st)
{
	const struct cfg_section	*sec;
	int				 rc;

	for (sec = st->schema->sections; sec->name != NULL; sec++)
		if (!(sec->flags & CFG_SECTION_MULTI))
			cfg_apply_defaults(st, sec, (char *)st->cfg +
			    sec->offset);
	if (st->fp != NULL || st->text != NULL) {
		rc = ini_parse_stream(cfg_reader, st, cfg_handler, st);
		if (st->failed)
			return -1;
		if (rc > 0) {
			/* The reader should have caught anything inih does. */
			cfg_error(st, rc, "syntax error");
			return -1;
		}
		if (rc < 0) {
			cfg_error(st, 0, "inih failed (%d)", rc);
			return -1;
		}
	}
	return cfg_finish(st);
}

static int
cfg_done(struct cfg_parse *st, int rc)
{
	if (st->fp != NULL)
		fclose(st->fp);
	free(st->dir);
	free(st->seen);
	free(st->sec_lines);
	if (rc == -1)
		cfg_free(st->schema, st->cfg);
	return rc;
}

int
cfg_load(const struct cfg_schema *schema, const char *path, void *cfg,
    char *err, size_t errlen)
{
	struct cfg_parse	 st;
	struct stat		 sb;

	cfg_parse_init(&st, schema, cfg, err, errlen);
	st.name = path;
	st.path = path;
	if ((st.fp = fopen(path, "re")) == NULL) {
		cfg_error(&st, 0, "%s", strerror(errno));
		return cfg_done(&st, -1);
	}
	if (fstat(fileno(st.fp), &sb) == -1) {
		cfg_error(&st, 0, "%s", strerror(errno));
		return cfg_done(&st, -1);
	}
	if (S_ISDIR(sb.st_mode)) {
		cfg_error(&st, 0, "is a directory");
		return cfg_done(&st, -1);
	}
	return cfg_done(&st, cfg_run(&st));
}

int
cfg_load_string(const struct cfg_schema *schema, const char *name,
    const char *text, void *cfg, char *err, size_t errlen)
{
	struct cfg_parse	 st;

	cfg_parse_init(&st, schema, cfg, err, errlen);
	st.name = name;
	st.text = text;
	return cfg_done(&st, cfg_run(&st));
}

int
cfg_defaults(const struct cfg_schema *schema, void *cfg, char *err,
    size_t errlen)
{
	struct cfg_parse	 st;

	cfg_parse_init(&st, schema, cfg, err, errlen);
	return cfg_done(&st, cfg_run(&st));
}

static void
cfg_free_field(const struct cfg_option *opt, void *base)
{
	char		**s;
	struct cfg_list	*list;

	switch (opt->type) {
	case CFG_STRING:
	case CFG_PATH:
		s = CFG_FIELD(base, opt->offset, char *);
		free(*s);
		*s = NULL;
		break;
	case CFG_SECRET:
		s = CFG_FIELD(base, opt->offset, char *);
		xfree_secret(*s);
		*s = NULL;
		break;
	case CFG_INT:
	case CFG_DURATION:
	case CFG_SIZE:
		*CFG_FIELD(base, opt->offset, int64_t) = 0;
		break;
	case CFG_BOOL:
	case CFG_ENUM:
		*CFG_FIELD(base, opt->offset, int) = 0;
		break;
	case CFG_LIST:
		list = CFG_FIELD(base, opt->offset, struct cfg_list);
		str_list_free(list->items, list->count);
		list->items = NULL;
		list->count = 0;
		break;
	}
}

static void
cfg_free_fields(const struct cfg_section *sec, void *base)
{
	const struct cfg_option	*opt;

	for (opt = sec->options; opt->name != NULL; opt++)
		cfg_free_field(opt, base);
}

void
cfg_free(const struct cfg_schema *schema, void *cfg)
{
	const struct cfg_section	*sec;
	struct cfg_items		*items;
	struct cfg_item			*item;
	size_t				 i;

	if (cfg == NULL)
		return;
	for (sec = schema->sections; sec->name != NULL; sec++) {
		if (!(sec->flags & CFG_SECTION_MULTI)) {
			cfg_free_fields(sec, (char *)cfg + sec->offset);
			continue;
		}
		items = CFG_FIELD(cfg, sec->offset, struct cfg_items);
		for (i = 0; i < items->count; i++) {
			item = items->items[i];
			cfg_free_fields(sec, item);
			free(item->label);
			free(item);
		}
		free(items->items);
		items->items = NULL;
		items->count = 0;
	}
}

char *
cfg_read_secret(const char *path, char *err, size_t errlen)
{
	struct stat	 sb;
	char		*buf = NULL, *secret = NULL;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd;

	/* O_NONBLOCK: a FIFO must not hang us before fstat refuses it. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1) {
		if (errno == ELOOP)
			snprintf(err, errlen, "%s: is a symbolic link; a "
			    "secret file must be a regular file", path);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: a secret file must be a regular "
		    "file", path);
		goto out;
	}
	if (sb.st_uid != geteuid() && sb.st_uid != 0) {
		if (geteuid() == 0)
			snprintf(err, errlen, "%s: secret file is owned by uid "
			    "%u, not by root", path, (unsigned)sb.st_uid);
		else
			snprintf(err, errlen, "%s: secret file is owned by uid "
			    "%u, not by uid %u or root", path,
			    (unsigned)sb.st_uid, (unsigned)geteuid());
		goto out;
	}
	if (sb.st_mode & 077) {
		snprintf(err, errlen, "%s: secret file is %s by group or "
		    "others (mode %04o); run chmod 600 %s", path,
		    (sb.st_mode & 044) ? "readable" : "writable",
		    (unsigned)(sb.st_mode & 07777), path);
		goto out;
	}
	buf = xmalloc(CFG_SECRET_MAX + 1);
	while (len <= CFG_SECRET_MAX) {
		n = read(fd, buf + len, CFG_SECRET_MAX + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > CFG_SECRET_MAX) {
		snprintf(err, errlen, "%s: secret file is larger than %d KiB",
		    path, CFG_SECRET_MAX / 1024);
		goto out;
	}
	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: secret file contains a NUL byte",
		    path);
		goto out;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len == 0) {
		snprintf(err, errlen, "%s: secret file is empty", path);
		goto out;
	}
	secret = xstrndup(buf, len);
out:
	if (buf != NULL) {
		explicit_bzero(buf, CFG_SECRET_MAX + 1);
		free(buf);
	}
	close(fd);
	return secret;
}

static void
cfg_dump_value(const struct cfg_option *opt, const void *base, FILE *fp)
{
	const struct cfg_list	*list;
	const char		*s;
	char			 tmp[64];
	int64_t			 v;
	int			 i;
	size_t			 j;

	switch (opt->type) {
	case CFG_STRING:
	case CFG_PATH:
		s = *CFG_CFIELD(base, opt->offset, char *);
		fprintf(fp, "%s", s != NULL ? s : "");
		break;
	case CFG_SECRET:
		s = *CFG_CFIELD(base, opt->offset, char *);
		fprintf(fp, "%s", s != NULL ? "(secret)" : "");
		break;
	case CFG_INT:
		fprintf(fp, "%" PRId64, *CFG_CFIELD(base, opt->offset,
		    int64_t));
		break;
	case CFG_DURATION:
		v = *CFG_CFIELD(base, opt->offset, int64_t);
		fprintf(fp, "%s", str_format_duration_ms(tmp, sizeof tmp, v));
		break;
	case CFG_SIZE:
		v = *CFG_CFIELD(base, opt->offset, int64_t);
		fprintf(fp, "%s", str_format_size(tmp, sizeof tmp, v));
		break;
	case CFG_BOOL:
		fprintf(fp, "%s", *CFG_CFIELD(base, opt->offset, int) ?
		    "yes" : "no");
		break;
	case CFG_ENUM:
		i = *CFG_CFIELD(base, opt->offset, int);
		fprintf(fp, "%s", opt->choices[i]);
		break;
	case CFG_LIST:
		list = CFG_CFIELD(base, opt->offset, struct cfg_list);
		for (j = 0; j < list->count; j++)
			fprintf(fp, "%s%s", j == 0 ? "" : ", ", list->items[j]);
		break;
	}
}

static void
cfg_dump_section(const struct cfg_section *sec, const void *base,
    const char *label, int *first, FILE *fp)
{
	const struct cfg_option	*opt;

	if (!*first)
		fputc('\n', fp);
	*first = 0;
	if (label != NULL)
		fprintf(fp, "[%s \"%s\"]\n", sec->name, label);
	else
		fprintf(fp, "[%s]\n", sec->name);
	for (opt = sec->options; opt->name != NULL; opt++) {
		fprintf(fp, "%s = ", opt->name);
		cfg_dump_value(opt, base, fp);
		fputc('\n', fp);
	}
}

void
cfg_dump(const struct cfg_schema *schema, const void *cfg, FILE *fp)
{
	const struct cfg_section	*sec;
	const struct cfg_items		*items;
	const struct cfg_item		*item;
	size_t				 i;
	int				 first = 1;

	for (sec = schema->sections; sec->name != NULL; sec++) {
		if (!(sec->flags & CFG_SECTION_MULTI)) {
			cfg_dump_section(sec, (const char *)cfg + sec->offset,
			    NULL, &first, fp);
			continue;
		}
		items = CFG_CFIELD(cfg, sec->offset, struct cfg_items);
		for (i = 0; i < items->count; i++) {
			item = items->items[i];
			cfg_dump_section(sec, item, item->label, &first, fp);
		}
	}
}

/* The type as the reference names it; enums list their choices. */
static void
cfg_ref_type(const struct cfg_option *opt, char *dst, size_t size)
{
	static const char *const names[] = {
		[CFG_STRING] = "string", [CFG_PATH] = "path",
		[CFG_INT] = "integer", [CFG_BOOL] = "boolean",
		[CFG_DURATION] = "duration", [CFG_SIZE] = "size",
		[CFG_ENUM] = "enum", [CFG_LIST] = "list",
		[CFG_SECRET] = "path",
	};
	const char *const	*c;

	if (opt->type != CFG_ENUM) {
		str_copy(dst, names[opt->type], size);
		return;
	}
	*dst = '\0';
	for (c = opt->choices; *c != NULL; c++) {
		if (c != opt->choices)
			str_append(dst, "|", size);
		str_append(dst, *c, size);
	}
}

/* "1..65535", "1M..10G", or "" when unbounded. */
static void
cfg_ref_range(const struct cfg_option *opt, char *dst, size_t size)
{
	char	 lo[32], hi[32];

	*dst = '\0';
	if (opt->min == 0 && opt->max == 0)
		return;
	switch (opt->type) {
	case CFG_INT:
		snprintf(dst, size, "%" PRId64 "..%" PRId64, opt->min,
		    opt->max);
		break;
	case CFG_DURATION:
		snprintf(dst, size, "%s..%s",
		    str_format_duration_ms(lo, sizeof lo, opt->min),
		    str_format_duration_ms(hi, sizeof hi, opt->max));
		break;
	case CFG_SIZE:
		snprintf(dst, size, "%s..%s",
		    str_format_size(lo, sizeof lo, opt->min),
		    str_format_size(hi, sizeof hi, opt->max));
		break;
	default:
		break;
	}
}

/*
 * Roff text: backslashes escaped, no line may start a request, and "-" is
 * a minus so that options and values copied from the page still work.
 */
static void
cfg_roff(const char *s, FILE *fp)
{
	int	 bol = 1;

	for (; *s != '\0'; s++) {
		if (bol && (*s == '.' || *s == '\''))
			fputs("\\&", fp);
		bol = *s == '\n';
		if (*s == '\\')
			fputs("\\e", fp);
		else if (*s == '"')
			fputs("\\(dq", fp);
		else if (*s == '-')
			fputs("\\-", fp);
		else
			fputc(*s, fp);
	}
}

/* A table cell: no pipes or newlines. */
static void
cfg_md(const char *s, FILE *fp)
{
	for (; *s != '\0'; s++) {
		if (*s == '|')
			fputs("\\|", fp);
		else if (*s == '\n' || *s == '\r')
			fputc(' ', fp);
		else
			fputc(*s, fp);
	}
}

static void
cfg_ref_man(const struct cfg_section *sec, FILE *fp)
{
	const struct cfg_option	*opt;
	char			 type[256], range[80];

	if (sec->flags & CFG_SECTION_MULTI)
		fprintf(fp, ".SS \"[%s \\(dqLABEL\\(dq]\"\n", sec->name);
	else
		fprintf(fp, ".SS \"[%s]\"\n", sec->name);
	if (sec->help != NULL) {
		cfg_roff(sec->help, fp);
		fputc('\n', fp);
	}
	if (sec->flags & CFG_SECTION_MULTI) {
		fprintf(fp, "%sThis section may repeat, once per distinct "
		    "LABEL%s.\n", sec->help != NULL ? ".PP\n" : "",
		    (sec->flags & CFG_SECTION_REQUIRED) ?
		    "; at least one is required" : "");
	} else if (sec->flags & CFG_SECTION_REQUIRED)
		fprintf(fp, "%sThis section is required.\n",
		    sec->help != NULL ? ".PP\n" : "");
	for (opt = sec->options; opt->name != NULL; opt++) {
		if (opt->flags & CFG_HIDDEN)
			continue;
		cfg_ref_type(opt, type, sizeof type);
		cfg_ref_range(opt, range, sizeof range);
		fputs(".TP\n\\fB", fp);
		cfg_roff(opt->name, fp);
		fputs("\\fR = \\fI", fp);
		cfg_roff(type, fp);
		fputs("\\fR", fp);
		if (opt->flags & CFG_REQUIRED)
			fputs(" (required", fp);
		else if (opt->default_value != NULL) {
			fputs(" (default: ", fp);
			cfg_roff(*opt->default_value != '\0' ?
			    opt->default_value : "\"\"", fp);
		} else
			fputs(" (default: unset", fp);
		if (*range != '\0')
			fprintf(fp, "; range: %s", range);
		if (opt->type == CFG_SECRET)
			fputs("; secret file", fp);
		fputs(")\n", fp);
		if (opt->help != NULL) {
			cfg_roff(opt->help, fp);
			fputc('\n', fp);
		}
	}
}

static void
cfg_ref_markdown(const struct cfg_section *sec, int first, FILE *fp)
{
	const struct cfg_option	*opt;
	char			 type[256], range[80];

	if (!first)
		fputc('\n', fp);
	if (sec->flags & CFG_SECTION_MULTI)
		fprintf(fp, "### [%s \"LABEL\"]\n\n", sec->name);
	else
		fprintf(fp, "### [%s]\n\n", sec->name);
	if (sec->help != NULL) {
		fputs(sec->help, fp);
		fputs("\n\n", fp);
	}
	if (sec->flags & CFG_SECTION_MULTI)
		fprintf(fp, "This section may repeat, once per distinct "
		    "LABEL%s.\n\n", (sec->flags & CFG_SECTION_REQUIRED) ?
		    "; at least one is required" : "");
	else if (sec->flags & CFG_SECTION_REQUIRED)
		fputs("This section is required.\n\n", fp);
	fputs("| key | type | default | range | description |\n", fp);
	fputs("|-----|------|---------|-------|-------------|\n", fp);
	for (opt = sec->options; opt->name != NULL; opt++) {
		if (opt->flags & CFG_HIDDEN)
			continue;
		cfg_ref_type(opt, type, sizeof type);
		cfg_ref_range(opt, range, sizeof range);
		fputs("| `", fp);
		cfg_md(opt->name, fp);
		fputs("` | ", fp);
		cfg_md(type, fp);
		if (opt->type == CFG_SECRET)
			fputs(" (secret file)", fp);
		fputs(" | ", fp);
		if (opt->flags & CFG_REQUIRED)
			fputs("required", fp);
		else if (opt->default_value == NULL)
			fputs("unset", fp);
		else if (*opt->default_value == '\0')
			fputs("`\"\"`", fp);
		else {
			fputc('`', fp);
			cfg_md(opt->default_value, fp);
			fputc('`', fp);
		}
		fputs(" | ", fp);
		cfg_md(range, fp);
		fputs(" | ", fp);
		if (opt->help != NULL)
			cfg_md(opt->help, fp);
		fputs(" |\n", fp);
	}
}

void
cfg_reference(const struct cfg_schema *schema, enum cfg_ref_format format,
    FILE *fp)
{
	const struct cfg_section	*sec;

	for (sec = schema->sections; sec->name != NULL; sec++) {
		if (format == CFG_REF_MAN)
			cfg_ref_man(sec, fp);
		else
			cfg_ref_markdown(sec, sec == schema->sections, fp);
	}
}
