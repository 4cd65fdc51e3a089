/* eol.c: the end-of-life catalogue, endoflife.date's products and release
 * cycles kept in ward.db with their date-or-boolean fields as given, the
 * shipped snapshot, and a lifecycle's status at a date. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/cfg.h"
#include "common/db.h"
#include "common/str.h"
#include "common/wjson.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "collector/collector.h"

#define DAY_MS			86400000LL
/* The snapshot holds every product; a refresh's reply one. */
#define EOL_SNAPSHOT_MAX	(32 * 1024 * 1024)
#define EOL_RELEASES_MAX	2000
#define EOL_TEXT_MAX		512
/* A cost, in hundredths: a billion is far beyond any one asset. */
#define EOL_AMOUNT_MAX		100000000000LL

const struct cfg_option eol_options[] = {
	{ "base_url", CFG_STRING, "https://endoflife.date/api/v1", 0, 0, NULL,
	  0, offsetof(struct eol_config, base_url),
	  "The endoflife.date API v1 that \"eol refresh\" asks, as "
	  "BASE/products/PRODUCT. HTTPS only; redirects are followed "
	  "(to HTTPS only)." },
	{ "ca_file", CFG_PATH, NULL, 0, 0, NULL, 0,
	  offsetof(struct eol_config, ca_file),
	  "CA certificates (PEM) to verify base_url's server with; unset: "
	  "the system's." },
	{ "mapping", CFG_PATH, NULL, 0, 0, NULL, 0,
	  offsetof(struct eol_config, mapping),
	  "The rules mapping what hosts report to products and release "
	  "cycles, and hardware to the hardware table; unset: eol-mapping "
	  "in ward's data directory (/usr/share/ward when packaged)." },
	{ "snapshot", CFG_PATH, NULL, 0, 0, NULL, 0,
	  offsetof(struct eol_config, snapshot),
	  "The catalogue snapshot loaded at start for every product it has "
	  "newer facts on than the database (all of them, the first time): "
	  "what an air-gapped site works from. Unset: eol-snapshot.json in "
	  "ward's data directory." },
	{ "horizon", CFG_DURATION, "365d", DAY_MS, 3660LL * DAY_MS, NULL, 0,
	  offsetof(struct eol_config, horizon_ms),
	  "An asset whose end of life is this close is \"ending\" (and "
	  "raises eol_horizon once)." },
	{ "refresh_interval", CFG_DURATION, "0", 0, 366LL * DAY_MS, NULL, 0,
	  offsetof(struct eol_config, refresh_interval_ms),
	  "Refresh the catalogue from base_url this often (the first a "
	  "minute after start); 0: only by \"ward-collector eol refresh\". "
	  "Weekly (7d) is plenty: the facts change a few times a year." },
	{ "evaluate_interval", CFG_DURATION, "1d", 1000, 7LL * DAY_MS, NULL,
	  0, offsetof(struct eol_config, evaluate_interval_ms),
	  "How often each asset's lifecycle is judged for alerts (the first "
	  "a minute after start, or sooner if this is shorter)." },
	{ "timeout", CFG_DURATION, "30s", 1000, 600000, NULL, 0,
	  offsetof(struct eol_config, timeout_ms),
	  "Longest one request to base_url may take." },
	{ "alerts", CFG_BOOL, "yes", 0, 0, NULL, 0,
	  offsetof(struct eol_config, alerts),
	  "Raise eol_horizon when an asset's end of life comes within the "
	  "horizon and eol_passed when it passes: once each, warnings." },
	{ "currency", CFG_STRING, "GBP", 0, 0, NULL, 0,
	  offsetof(struct eol_config, currency),
	  "The currency (ISO 4217 code) of every cost: software_cost and "
	  "the hardware table's replacement_cost column. Costs are never "
	  "converted: write them all in this one." },
	{ "software_cost", CFG_LIST, NULL, 0, 0, NULL, 0,
	  offsetof(struct eol_config, software_cost),
	  "PRODUCT=AMOUNT: what moving one asset off a release of PRODUCT "
	  "(the catalogue's id: rhel, windows-server) costs when it reaches "
	  "its end of life, in currency; repeat for each product "
	  "(software_cost = rhel=800). The forecast sums these per quarter; "
	  "a product without one is counted as cost unknown, never as 0. "
	  "Unset: every software cost is unknown." },
	CFG_OPTIONS_END
};

const char *
eol_snapshot_path(const struct collector_config *cfg)
{
	return cfg->eol.snapshot != NULL ? cfg->eol.snapshot :
	    WARD_DATADIR "/eol-snapshot.json";
}

const char *
eol_mapping_path(const struct collector_config *cfg)
{
	return cfg->eol.mapping != NULL ? cfg->eol.mapping :
	    WARD_DATADIR "/eol-mapping";
}

/* One software_cost item: "PRODUCT=AMOUNT". */
static int
eol_cost_item(const char *item, char *product, size_t plen, int64_t *cents)
{
	const char	*eq = strchr(item, '=');
	size_t		 n;

	if (eq == NULL || (n = (size_t)(eq - item)) == 0 || n >= plen ||
	    strspn(item, "abcdefghijklmnopqrstuvwxyz0123456789.-_") != n)
		return -1;
	memcpy(product, item, n);
	product[n] = '\0';
	return eol_parse_amount(eq + 1, cents);
}

int
eol_software_cost(const struct eol_config *ec, const char *product,
    int64_t *cents)
{
	char	 name[65];
	size_t	 i;

	if (product == NULL)
		return 0;
	for (i = 0; i < ec->software_cost.count; i++)
		if (eol_cost_item(ec->software_cost.items[i], name,
		    sizeof name, cents) == 0 && strcmp(name, product) == 0)
			return 1;
	return 0;
}

int
eol_parse_amount(const char *s, int64_t *cents)
{
	int64_t	 v = 0;
	int	 digits = 0, decimals = -1;

	if (s == NULL)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s == '.' && decimals == -1 && digits > 0) {
			decimals = 0;
			continue;
		}
		if (*s < '0' || *s > '9' || decimals == 2)
			return -1;
		if (decimals >= 0)
			decimals++;
		else if (++digits > 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	if (digits == 0 || decimals == 0)
		return -1;
	if (decimals == -1)
		decimals = 0;
	while (decimals++ < 2)
		v *= 10;
	if (v > EOL_AMOUNT_MAX)
		return -1;
	*cents = v;
	return 0;
}

char *
eol_format_amount(int64_t cents, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRId64 ".%02d", cents / 100,
	    (int)(cents % 100));
	return buf;
}

int
eol_config_check(const struct collector_config *cfg, char *err,
    size_t errlen)
{
	struct eol_rules	*r;
	const char		*cur = cfg->eol.currency;
	char			 why[1024], name[65], other[65];
	int64_t			 cents;
	size_t			 i, j;

	if (strncasecmp(cfg->eol.base_url, "https://", 8) != 0 ||
	    cfg->eol.base_url[8] == '\0') {
		snprintf(err, errlen, "[eol] base_url: \"%.200s\": an https:// "
		    "URL is needed", cfg->eol.base_url);
		return -1;
	}
	if (strpbrk(cfg->eol.base_url, " \t\r\n?#") != NULL) {
		snprintf(err, errlen, "[eol] base_url: \"%.200s\": no spaces, "
		    "query or fragment", cfg->eol.base_url);
		return -1;
	}
	if (strlen(cur) != 3 || strspn(cur, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") !=
	    3) {
		snprintf(err, errlen, "[eol] currency: \"%.40s\": an ISO 4217 "
		    "code is needed (GBP, EUR, USD)", cur);
		return -1;
	}
	for (i = 0; i < cfg->eol.software_cost.count; i++) {
		if (eol_cost_item(cfg->eol.software_cost.items[i], name,
		    sizeof name, &cents) == -1) {
			snprintf(err, errlen, "[eol] software_cost: \"%.80s\": "
			    "expected PRODUCT=AMOUNT, a product id (a-z 0-9 . "
			    "- _) and an amount in %s with no symbol or "
			    "separators (rhel=800, windows-server=1250.50, at "
			    "most 1000000000)",
			    cfg->eol.software_cost.items[i], cur);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (eol_cost_item(cfg->eol.software_cost.items[j],
			    other, sizeof other, &cents) == 0 &&
			    strcmp(name, other) == 0) {
				snprintf(err, errlen, "[eol] software_cost: "
				    "%s twice", name);
				return -1;
			}
	}
	/* A mapping set on purpose must be there and right; the shipped one
	 * may be absent (a build tree), which the collector says at start. */
	if (cfg->eol.mapping != NULL) {
		if ((r = eol_rules_load(cfg->eol.mapping, why,
		    sizeof why)) == NULL) {
			snprintf(err, errlen, "[eol] mapping: %s", why);
			return -1;
		}
		eol_rules_free(r);
	}
	if (cfg->eol.snapshot != NULL && access(cfg->eol.snapshot, R_OK) ==
	    -1) {
		snprintf(err, errlen, "[eol] snapshot: %s: %s",
		    cfg->eol.snapshot, strerror(errno));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ values */

int
eol_parse_day(const char *s, int64_t *day)
{
	int64_t	 ms;
	char	 err[128];
	size_t	 i;

	if (s == NULL || strlen(s) != 10)
		return -1;
	for (i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : s[i] < '0' || s[i] > '9')
			return -1;
	if (wtime_parse_iso8601(s, &ms, err, sizeof err) == -1)
		return -1;
	*day = ms / DAY_MS;
	return 0;
}

char *
eol_format_day(int64_t day, char *buf, size_t len)
{
	int		 y;
	unsigned	 m, d;

	wtime_civil_from_days(day, &y, &m, &d);
	snprintf(buf, len, "%04d-%02u-%02u", y, m, d);
	return buf;
}

int64_t
eol_day_of_ms(int64_t unix_ms)
{
	int64_t	 d = unix_ms / DAY_MS;

	return unix_ms % DAY_MS < 0 ? d - 1 : d;
}

int
eol_value_parse(const char *s, struct eol_value *v)
{
	memset(v, 0, sizeof *v);
	if (s == NULL)
		return 0;
	if (strcmp(s, "true") == 0) {
		v->kind = EOL_TRUE;
		return 0;
	}
	if (strcmp(s, "false") == 0) {
		v->kind = EOL_FALSE;
		return 0;
	}
	if (eol_parse_day(s, &v->day) == -1)
		return -1;
	v->kind = EOL_DATE;
	return 0;
}

const char *
eol_value_text(const struct eol_value *v, char *buf, size_t len)
{
	switch (v->kind) {
	case EOL_TRUE:
		return "true";
	case EOL_FALSE:
		return "false";
	case EOL_DATE:
		return eol_format_day(v->day, buf, len);
	default:
		return NULL;
	}
}

json_t *
eol_value_json(const struct eol_value *v)
{
	char	 buf[16];

	switch (v->kind) {
	case EOL_TRUE:
		return json_true();
	case EOL_FALSE:
		return json_false();
	case EOL_DATE:
		return json_string(eol_format_day(v->day, buf, sizeof buf));
	default:
		return json_null();
	}
}

int
eol_value_passed(const struct eol_value *v, int64_t day)
{
	switch (v->kind) {
	case EOL_TRUE:
		return 1;
	case EOL_FALSE:
		return 0;
	case EOL_DATE:
		return day >= v->day;
	default:
		return -1;
	}
}

/* ------------------------------------------------------------ status */

static const char *const eol_status_names[EOL_STATUS_COUNT] = {
	[EOL_SUPPORTED] = "supported",
	[EOL_UNKNOWN] = "unknown",
	[EOL_ENDING] = "ending",
	[EOL_EXTENDED] = "extended",
	[EOL_ENDED] = "eol",
};

const char *
eol_status_name(int status)
{
	if (status < 0 || status >= EOL_STATUS_COUNT)
		return "unknown";
	return eol_status_names[status];
}

int
eol_status_from_name(const char *name)
{
	int	 i;

	for (i = 0; i < EOL_STATUS_COUNT; i++)
		if (str_eq_nocase(name, eol_status_names[i]))
			return i;
	return -1;
}

int
eol_status_at(const struct eol_value *eol, const struct eol_value *eoes,
    int64_t day, int64_t horizon_days)
{
	switch (eol_value_passed(eol, day)) {
	case -1:
		return EOL_UNKNOWN;
	case 0:
		if (eol->kind == EOL_DATE && eol->day - day <= horizon_days)
			return EOL_ENDING;
		return EOL_SUPPORTED;
	default:
		/* Extended support that has not ended, or whose end is not
		 * announced; absent means the product offers none. */
		return eol_value_passed(eoes, day) == 0 ? EOL_EXTENDED :
		    EOL_ENDED;
	}
}

int
eol_status_worse(int a, int b)
{
	return a > b ? a : b;
}

/* ------------------------------------------------------------ products */

void
eol_product_clear(struct eol_product *p)
{
	size_t	 i;

	if (p == NULL)
		return;
	for (i = 0; i < p->ncycles; i++) {
		free(p->cycles[i].name);
		free(p->cycles[i].label);
		free(p->cycles[i].codename);
		free(p->cycles[i].latest);
		free(p->cycles[i].latest_date);
	}
	free(p->cycles);
	free(p->name);
	free(p->label);
	free(p->eoas_label);
	free(p->eol_label);
	free(p->eoes_label);
	free(p->source);
	free(p->as_of);
	free(p->error);
	memset(p, 0, sizeof *p);
}

/* Text from outside for a label: HTML tags dropped ("Debian <abbr
 * title=...>LTS</abbr>"), runs of blanks one space, capped. */
static char *
eol_label_text(const char *s)
{
	char	*out = xmalloc(strlen(s) + 1);
	size_t	 n = 0;
	int	 tag = 0, space = 0;

	for (; *s != '\0' && n < EOL_TEXT_MAX; s++) {
		if (*s == '<')
			tag = 1;
		else if (*s == '>' && tag)
			tag = 0;
		else if (tag)
			continue;
		else if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			space = n > 0;
		else if ((unsigned char)*s >= 0x20 && *s != 0x7f) {
			if (space)
				out[n++] = ' ';
			space = 0;
			out[n++] = *s;
		}
	}
	out[n] = '\0';
	return out;
}

/* An optional string member: 0 (may be NULL), -1 with err. */
static int
eol_json_text(json_t *obj, const char *path, const char *key, char **out,
    char *err, size_t errlen)
{
	const char	*s = NULL;

	*out = NULL;
	if (wjson_get_string(obj, path, key, 0, &s, err, errlen) == -1)
		return -1;
	if (s != NULL && strlen(s) > EOL_TEXT_MAX) {
		snprintf(err, errlen, "%s.%s: longer than %d bytes", path, key,
		    EOL_TEXT_MAX);
		return -1;
	}
	if (s != NULL)
		*out = eol_label_text(s);
	/* "" or "<b></b>" says no more than an absent label, and an empty
	 * one would show as nothing at all. */
	if (*out != NULL && **out == '\0') {
		free(*out);
		*out = NULL;
	}
	return 0;
}

/*
 * The API spells a field as is<Key> (a boolean) and <key>From (a date or
 * null): a date is the date; no date, true or false as is<Key> says; both
 * absent or null, absent.
 */
static int
eol_json_field(json_t *rel, const char *path, const char *is_key,
    const char *from_key, struct eol_value *v, char *err, size_t errlen)
{
	json_t		*is = json_object_get(rel, is_key);
	json_t		*from = json_object_get(rel, from_key);
	const char	*s;
	char		 vis[64];

	memset(v, 0, sizeof *v);
	if (from != NULL && !json_is_null(from)) {
		if (!json_is_string(from)) {
			snprintf(err, errlen, "%s.%s: expected a date or null, "
			    "got %s", path, from_key, wjson_type_name(from));
			return -1;
		}
		s = json_string_value(from);
		if (eol_parse_day(s, &v->day) == -1) {
			snprintf(err, errlen, "%s.%s: \"%s\": not a date "
			    "(YYYY-MM-DD)", path, from_key, str_vis(vis,
			    sizeof vis, s));
			return -1;
		}
		v->kind = EOL_DATE;
		return 0;
	}
	if (is == NULL || json_is_null(is))
		return 0;
	if (!json_is_boolean(is)) {
		snprintf(err, errlen, "%s.%s: expected true or false, got %s",
		    path, is_key, wjson_type_name(is));
		return -1;
	}
	v->kind = json_is_true(is) ? EOL_TRUE : EOL_FALSE;
	return 0;
}

/* A plain date member (releaseDate, latest.date): a date or null. */
static int
eol_json_date(json_t *obj, const char *path, const char *key,
    struct eol_value *v, char *err, size_t errlen)
{
	return eol_json_field(obj, path, "", key, v, err, errlen);
}

static int
eol_release_from_json(json_t *rel, const char *path, struct eol_cycle *c,
    char *err, size_t errlen)
{
	json_t		*latest;
	struct eol_value date;
	const char	*name;
	char		 lpath[160], buf[16];

	if (!json_is_object(rel)) {
		snprintf(err, errlen, "%s: expected an object, got %s", path,
		    wjson_type_name(rel));
		return -1;
	}
	if (wjson_get_string(rel, path, "name", 1, &name, err, errlen) == -1)
		return -1;
	if (*name == '\0' || strlen(name) > 64) {
		snprintf(err, errlen, "%s.name: must be 1 to 64 bytes", path);
		return -1;
	}
	c->name = eol_label_text(name);
	/* The name is the cycle's key: it must be left with some text. */
	if (*c->name == '\0') {
		snprintf(err, errlen, "%s.name: \"%s\": no text", path,
		    str_vis(lpath, sizeof lpath, name));
		return -1;
	}
	if (eol_json_text(rel, path, "label", &c->label, err, errlen) == -1 ||
	    eol_json_text(rel, path, "codename", &c->codename, err,
	    errlen) == -1 ||
	    eol_json_date(rel, path, "releaseDate", &c->release, err,
	    errlen) == -1 ||
	    eol_json_field(rel, path, "isLts", "ltsFrom", &c->lts, err,
	    errlen) == -1 ||
	    eol_json_field(rel, path, "isEoas", "eoasFrom", &c->eoas, err,
	    errlen) == -1 ||
	    eol_json_field(rel, path, "isEol", "eolFrom", &c->eol, err,
	    errlen) == -1 ||
	    eol_json_field(rel, path, "isEoes", "eoesFrom", &c->eoes, err,
	    errlen) == -1)
		return -1;
	latest = json_object_get(rel, "latest");
	if (latest != NULL && !json_is_null(latest)) {
		snprintf(lpath, sizeof lpath, "%s.latest", path);
		if (!json_is_object(latest)) {
			snprintf(err, errlen, "%s: expected an object or null, "
			    "got %s", lpath, wjson_type_name(latest));
			return -1;
		}
		if (eol_json_text(latest, lpath, "name", &c->latest, err,
		    errlen) == -1 || eol_json_date(latest, lpath, "date",
		    &date, err, errlen) == -1)
			return -1;
		if (date.kind == EOL_DATE)
			c->latest_date = xstrdup(eol_format_day(date.day, buf,
			    sizeof buf));
	}
	return 0;
}

int
eol_product_from_json(json_t *result, const char *where,
    struct eol_product *p, char *err, size_t errlen)
{
	json_t		*labels, *releases, *rel;
	const char	*name;
	char		 path[128], why[512];
	size_t		 i, j;

	memset(p, 0, sizeof *p);
	if (!json_is_object(result)) {
		snprintf(err, errlen, "%s: result: expected an object, got %s",
		    where, wjson_type_name(result));
		return -1;
	}
	if (wjson_get_string(result, "result", "name", 1, &name, why,
	    sizeof why) == -1)
		goto fail;
	if (*name == '\0' || strlen(name) > 64 || strspn(name,
	    "abcdefghijklmnopqrstuvwxyz0123456789.-_") != strlen(name)) {
		snprintf(why, sizeof why, "result.name: not a product id "
		    "(a-z 0-9 . - _, 1 to 64)");
		goto fail;
	}
	p->name = xstrdup(name);
	if (eol_json_text(result, "result", "label", &p->label, why,
	    sizeof why) == -1)
		goto fail;
	if (p->label == NULL)
		p->label = xstrdup(name);
	labels = json_object_get(result, "labels");
	if (labels != NULL && !json_is_null(labels)) {
		if (!json_is_object(labels)) {
			snprintf(why, sizeof why, "result.labels: expected an "
			    "object, got %s", wjson_type_name(labels));
			goto fail;
		}
		if (eol_json_text(labels, "result.labels", "eoas",
		    &p->eoas_label, why, sizeof why) == -1 ||
		    eol_json_text(labels, "result.labels", "eol",
		    &p->eol_label, why, sizeof why) == -1 ||
		    eol_json_text(labels, "result.labels", "eoes",
		    &p->eoes_label, why, sizeof why) == -1)
			goto fail;
	}
	if (wjson_get_array(result, "result", "releases", 1, &releases, why,
	    sizeof why) == -1)
		goto fail;
	if (json_array_size(releases) == 0 ||
	    json_array_size(releases) > EOL_RELEASES_MAX) {
		snprintf(why, sizeof why, "result.releases: %zu releases; "
		    "expected 1 to %d", json_array_size(releases),
		    EOL_RELEASES_MAX);
		goto fail;
	}
	p->cycles = xcalloc(json_array_size(releases), sizeof *p->cycles);
	json_array_foreach(releases, i, rel) {
		snprintf(path, sizeof path, "result.releases[%zu]", i);
		p->ncycles = i + 1;
		if (eol_release_from_json(rel, path, &p->cycles[i], why,
		    sizeof why) == -1)
			goto fail;
		for (j = 0; j < i; j++)
			if (strcmp(p->cycles[j].name, p->cycles[i].name) == 0) {
				snprintf(why, sizeof why, "%s.name: \"%s\" "
				    "again (releases[%zu])", path,
				    p->cycles[i].name, j);
				goto fail;
			}
	}
	return 0;

fail:
	snprintf(err, errlen, "%s: %s", where, why);
	eol_product_clear(p);
	return -1;
}

#define SQL_PRODUCT_UPSERT \
	"INSERT INTO eol_products (name, label, eoas_label, eol_label," \
	"  eoes_label, source, as_of, updated_ms, checked_ms, error," \
	"  error_ms)" \
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL, NULL)" \
	" ON CONFLICT (name) DO UPDATE SET label = ?2, eoas_label = ?3," \
	"  eol_label = ?4, eoes_label = ?5, source = ?6, as_of = ?7," \
	"  updated_ms = ?8, checked_ms = ?9, error = NULL, error_ms = NULL"
#define SQL_CYCLES_DELETE \
	"DELETE FROM eol_cycles WHERE product = ?1"
#define SQL_CYCLE_INSERT \
	"INSERT INTO eol_cycles (product, name, position, label, codename," \
	"  release_date, eoas, eol, eoes, lts, latest, latest_date)" \
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"

static void
eol_bind_text(sqlite3_stmt *st, int col, const char *s)
{
	if (s != NULL)
		sqlite3_bind_text(st, col, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, col);
}

static int
eol_step_done(struct db *db, sqlite3_stmt *st, const char *what, char *err,
    size_t errlen)
{
	int	 rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	db_error(db, what, err, errlen);
	return -1;
}

int
eol_product_store(struct db *db, const struct eol_product *p,
    int64_t now_ms, char *err, size_t errlen)
{
	const struct eol_cycle	*c;
	const struct eol_value	*vals[5];
	sqlite3_stmt		*st;
	char			 buf[16];
	size_t			 i, k;

	if ((st = db_stmt(db, SQL_PRODUCT_UPSERT, err, errlen)) == NULL)
		return -1;
	eol_bind_text(st, 1, p->name);
	eol_bind_text(st, 2, p->label != NULL ? p->label : p->name);
	eol_bind_text(st, 3, p->eoas_label);
	eol_bind_text(st, 4, p->eol_label);
	eol_bind_text(st, 5, p->eoes_label);
	eol_bind_text(st, 6, p->source != NULL ? p->source : "snapshot");
	eol_bind_text(st, 7, p->as_of);
	sqlite3_bind_int64(st, 8, now_ms);
	if (p->checked_ms > 0)
		sqlite3_bind_int64(st, 9, p->checked_ms);
	if (eol_step_done(db, st, "storing an end-of-life product", err,
	    errlen) == -1)
		return -1;
	if ((st = db_stmt(db, SQL_CYCLES_DELETE, err, errlen)) == NULL)
		return -1;
	eol_bind_text(st, 1, p->name);
	if (eol_step_done(db, st, "replacing release cycles", err,
	    errlen) == -1)
		return -1;
	for (i = 0; i < p->ncycles; i++) {
		c = &p->cycles[i];
		if ((st = db_stmt(db, SQL_CYCLE_INSERT, err, errlen)) == NULL)
			return -1;
		eol_bind_text(st, 1, p->name);
		eol_bind_text(st, 2, c->name);
		sqlite3_bind_int64(st, 3, (int64_t)i);
		eol_bind_text(st, 4, c->label);
		eol_bind_text(st, 5, c->codename);
		vals[0] = &c->release;
		vals[1] = &c->eoas;
		vals[2] = &c->eol;
		vals[3] = &c->eoes;
		vals[4] = &c->lts;
		for (k = 0; k < 5; k++)
			eol_bind_text(st, 6 + (int)k, eol_value_text(vals[k],
			    buf, sizeof buf));
		eol_bind_text(st, 11, c->latest);
		eol_bind_text(st, 12, c->latest_date);
		if (eol_step_done(db, st, "storing a release cycle", err,
		    errlen) == -1)
			return -1;
	}
	return 0;
}

#define SQL_CATALOGUE_PRODUCTS \
	"SELECT name, label, eoas_label, eol_label, eoes_label, source," \
	"  as_of, error, error_ms, checked_ms FROM eol_products ORDER BY name"
#define SQL_CATALOGUE_CYCLES \
	"SELECT product, name, label, codename, release_date, eoas, eol," \
	"  eoes, lts, latest, latest_date FROM eol_cycles" \
	" ORDER BY product, position"

static char *
eol_col(sqlite3_stmt *st, int col)
{
	const char	*s = (const char *)sqlite3_column_text(st, col);

	return s != NULL ? xstrdup(s) : NULL;
}

static int
eol_product_cmp(const void *a, const void *b)
{
	return strcmp(((const struct eol_product *)a)->name,
	    ((const struct eol_product *)b)->name);
}

static struct eol_product *
eol_catalogue_find(const struct eol_catalogue *cat, const char *name)
{
	struct eol_product	 key;

	if (cat == NULL || name == NULL || cat->n == 0)
		return NULL;
	key.name = (char *)name;
	return bsearch(&key, cat->products, cat->n, sizeof *cat->products,
	    eol_product_cmp);
}

struct eol_catalogue *
eol_catalogue_load(struct db *db, char *err, size_t errlen)
{
	struct eol_catalogue	*cat = xcalloc(1, sizeof *cat);
	struct eol_product	*p = NULL;
	struct eol_cycle	*c;
	struct eol_value	*vals[5];
	sqlite3_stmt		*st;
	const char		*prod;
	size_t			 k;
	int			 rc;

	if ((st = db_stmt(db, SQL_CATALOGUE_PRODUCTS, err, errlen)) == NULL)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cat->products = xreallocarray(cat->products, cat->n + 1,
		    sizeof *cat->products);
		p = &cat->products[cat->n++];
		memset(p, 0, sizeof *p);
		p->name = eol_col(st, 0);
		p->label = eol_col(st, 1);
		p->eoas_label = eol_col(st, 2);
		p->eol_label = eol_col(st, 3);
		p->eoes_label = eol_col(st, 4);
		p->source = eol_col(st, 5);
		p->as_of = eol_col(st, 6);
		p->error = eol_col(st, 7);
		p->error_ms = sqlite3_column_int64(st, 8);
		p->checked_ms = sqlite3_column_int64(st, 9);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(db, "reading the end-of-life catalogue", err, errlen);
		goto fail;
	}
	/* SQLite's order is by bytes, as strcmp's is; bsearch relies on it. */
	if (cat->n > 1)
		qsort(cat->products, cat->n, sizeof *cat->products,
		    eol_product_cmp);
	if ((st = db_stmt(db, SQL_CATALOGUE_CYCLES, err, errlen)) == NULL)
		goto fail;
	p = NULL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		prod = (const char *)sqlite3_column_text(st, 0);
		if (p == NULL || strcmp(p->name, prod) != 0) {
			if ((p = eol_catalogue_find(cat, prod)) == NULL)
				continue;
		}
		p->cycles = xreallocarray(p->cycles, p->ncycles + 1,
		    sizeof *p->cycles);
		c = &p->cycles[p->ncycles++];
		memset(c, 0, sizeof *c);
		c->name = eol_col(st, 1);
		c->label = eol_col(st, 2);
		c->codename = eol_col(st, 3);
		vals[0] = &c->release;
		vals[1] = &c->eoas;
		vals[2] = &c->eol;
		vals[3] = &c->eoes;
		vals[4] = &c->lts;
		/* The table's CHECKs keep these well formed. */
		for (k = 0; k < 5; k++)
			(void)eol_value_parse((const char *)
			    sqlite3_column_text(st, 4 + (int)k), vals[k]);
		c->latest = eol_col(st, 9);
		c->latest_date = eol_col(st, 10);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(db, "reading release cycles", err, errlen);
		goto fail;
	}
	return cat;

fail:
	eol_catalogue_free(cat);
	return NULL;
}

void
eol_catalogue_free(struct eol_catalogue *cat)
{
	size_t	 i;

	if (cat == NULL)
		return;
	for (i = 0; i < cat->n; i++)
		eol_product_clear(&cat->products[i]);
	free(cat->products);
	free(cat);
}

const struct eol_product *
eol_catalogue_product(const struct eol_catalogue *cat, const char *name)
{
	return eol_catalogue_find(cat, name);
}

char *
eol_cycle_title(const struct eol_product *p, const struct eol_cycle *c)
{
	const char	*l = c->label != NULL ? c->label : c->name;
	char		*s;

	/* "7" and "13 (Trixie)" need the product's name; "Windows Server
	 * 2012 R2" has it. */
	if (*l >= '0' && *l <= '9')
		xasprintf(&s, "%s %s", p->label, l);
	else
		s = xstrdup(l);
	return s;
}

/* ------------------------------------------------------------ snapshot */

#define SQL_PRODUCT_AS_OF \
	"SELECT as_of FROM eol_products WHERE name = ?1"

struct eol_snapshot_tx {
	json_t		*products;
	const char	*date;
	const char	*path;
	int64_t		 now_ms;
	size_t		 loaded;
	char		*err;
	size_t		 errlen;
};

static int
eol_snapshot_tx(struct db *db, void *arg)
{
	struct eol_snapshot_tx	*x = arg;
	struct eol_product	 p;
	sqlite3_stmt		*st;
	json_t			*prod;
	const char		*as_of;
	char			 where[512];
	size_t			 i;
	int			 rc, newer;

	json_array_foreach(x->products, i, prod) {
		snprintf(where, sizeof where, "%s: products[%zu]", x->path, i);
		if (eol_product_from_json(prod, where, &p, x->err,
		    x->errlen) == -1)
			return -1;
		if ((st = db_stmt(db, SQL_PRODUCT_AS_OF, x->err,
		    x->errlen)) == NULL) {
			eol_product_clear(&p);
			return -1;
		}
		sqlite3_bind_text(st, 1, p.name, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		as_of = rc == SQLITE_ROW ? (const char *)
		    sqlite3_column_text(st, 0) : NULL;
		/* Dates as YYYY-MM-DD compare as strings. */
		newer = as_of == NULL || strcmp(as_of, x->date) < 0;
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			db_error(db, "reading the catalogue", x->err,
			    x->errlen);
			eol_product_clear(&p);
			return -1;
		}
		if (newer) {
			p.source = xstrdup("snapshot");
			p.as_of = xstrdup(x->date);
			if (eol_product_store(db, &p, x->now_ms, x->err,
			    x->errlen) == -1) {
				eol_product_clear(&p);
				return -1;
			}
			x->loaded++;
		}
		eol_product_clear(&p);
	}
	return 0;
}

int
eol_snapshot_load(struct db *db, const char *path, int64_t now_ms,
    size_t *loaded, char *date, size_t datelen, char *err, size_t errlen)
{
	struct wjson_limits	 lim = { EOL_SNAPSHOT_MAX, 32, 64 * 1024 };
	struct eol_snapshot_tx	 x;
	json_t			*doc = NULL, *snap, *products;
	const char		*d;
	char			*text = NULL, why[512], txerr[1024];
	size_t			 len = 0;
	int64_t			 day;
	FILE			*fp;
	int			 rc = -1;

	*loaded = 0;
	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	text = xmalloc(EOL_SNAPSHOT_MAX + 1);
	len = fread(text, 1, EOL_SNAPSHOT_MAX + 1, fp);
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		fclose(fp);
		goto done;
	}
	fclose(fp);
	if (len > EOL_SNAPSHOT_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", path,
		    EOL_SNAPSHOT_MAX);
		goto done;
	}
	if ((doc = wjson_parse(text, len, &lim, why, sizeof why)) == NULL) {
		snprintf(err, errlen, "%s: not JSON: %s", path, why);
		goto done;
	}
	if (wjson_get_object(doc, "snapshot", "snapshot", 1, &snap, why,
	    sizeof why) == -1 || wjson_get_string(snap, "snapshot", "date",
	    1, &d, why, sizeof why) == -1 || wjson_get_array(doc, "snapshot",
	    "products", 1, &products, why, sizeof why) == -1) {
		snprintf(err, errlen, "%s: %s", path, why);
		goto done;
	}
	if (eol_parse_day(d, &day) == -1) {
		snprintf(err, errlen, "%s: snapshot.date: not a date "
		    "(YYYY-MM-DD)", path);
		goto done;
	}
	snprintf(date, datelen, "%s", d);
	memset(&x, 0, sizeof x);
	x.products = products;
	x.date = d;
	x.path = path;
	x.now_ms = now_ms;
	x.err = why;
	x.errlen = sizeof why;
	why[0] = '\0';
	if (db_transaction(db, eol_snapshot_tx, &x, txerr,
	    sizeof txerr) == -1) {
		snprintf(err, errlen, "%s", why[0] != '\0' ? why : txerr);
		goto done;
	}
	*loaded = x.loaded;
	rc = 0;
done:
	json_decref(doc);
	free(text);
	return rc;
}
