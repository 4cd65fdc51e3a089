/* eol_asset.c: each host's lifecycle, software (its OS or firmware through
 * the mapping to a catalogue cycle) and hardware (its model in the hardware
 * table) at a date; the estate's summary, forecast and export; and the
 * eol_horizon and eol_passed alerts. */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/db.h"
#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "collector/collector.h"

#define DAY_MS		86400000LL

int64_t
eol_horizon_days(const struct collector_config *cfg)
{
	return cfg->eol.horizon_ms / DAY_MS;
}

struct eol_estate *
eol_route_estate(const struct request *req, struct reply *rep)
{
	struct eol_estate	*e;
	struct db		*db;
	const char		*at;
	int64_t			 ms = wtime_now_ms();
	char			 err[512];

	if (query_param(req, rep, "at", 1, 64, &at) == -1)
		return NULL;
	if (at != NULL && query_parse_time(at, ms, &ms, err,
	    sizeof err) == -1) {
		reply_error(rep, 400, "at: %s", err);
		return NULL;
	}
	if (ms < 0 || ms >= 4102444800000LL) {
		reply_error(rep, 400, "at: between 1970 and 2099, please");
		return NULL;
	}
	if ((db = query_db(req->c->store, err, sizeof err)) == NULL ||
	    (e = eol_estate_load(db, req->c->eol_rules, 0,
	    eol_day_of_ms(ms), eol_horizon_days(req->c->cfg), err,
	    sizeof err)) == NULL) {
		query_fail(req, rep, err);
		return NULL;
	}
	eol_estate_costs(e, &req->c->cfg->eol);
	return e;
}

/* ------------------------------------------------------------ one host */

static void eol_part_unknown(struct eol_part *p, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
eol_part_unknown(struct eol_part *p, const char *code, const char *fmt, ...)
{
	va_list	 ap;

	p->status = EOL_UNKNOWN;
	p->reason_code = code;
	free(p->reason);
	va_start(ap, fmt);
	xvasprintf(&p->reason, fmt, ap);
	va_end(ap);
}

static const char *
eol_vis(char *buf, size_t len, const char *s)
{
	return s != NULL ? str_vis(buf, len, s) : "(none)";
}

/* Why a known status is what it is, in the product's own words. */
static void
eol_part_reason(struct eol_part *p, const char *what, const char *eol_label,
    const char *eoes_label, int64_t day)
{
	char	 d1[16], d2[16];

	free(p->reason);
	p->reason = NULL;
	switch (p->status) {
	case EOL_SUPPORTED:
		if (p->eol.kind == EOL_DATE)
			xasprintf(&p->reason, "%s: %s until %s (%" PRId64
			    " days)", what, eol_label, eol_format_day(
			    p->eol.day, d1, sizeof d1), p->eol.day - day);
		else
			xasprintf(&p->reason, "%s: no end of %s announced",
			    what, eol_label);
		break;
	case EOL_ENDING:
		xasprintf(&p->reason, "%s: %s ends on %s, in %" PRId64
		    " days", what, eol_label, eol_format_day(p->eol.day, d1,
		    sizeof d1), p->eol.day - day);
		break;
	case EOL_EXTENDED:
		if (p->eoes.kind == EOL_DATE)
			xasprintf(&p->reason, "%s: %s ended%s%s; %s only, "
			    "until %s", what, eol_label, p->eol.kind ==
			    EOL_DATE ? " on " : "", p->eol.kind == EOL_DATE ?
			    eol_format_day(p->eol.day, d1, sizeof d1) : "",
			    eoes_label, eol_format_day(p->eoes.day, d2,
			    sizeof d2));
		else
			xasprintf(&p->reason, "%s: %s ended%s%s; %s only",
			    what, eol_label, p->eol.kind == EOL_DATE ?
			    " on " : "", p->eol.kind == EOL_DATE ?
			    eol_format_day(p->eol.day, d1, sizeof d1) : "",
			    eoes_label);
		break;
	case EOL_ENDED:
		if (p->eoes.kind == EOL_DATE)
			xasprintf(&p->reason, "%s: end of life: %s ended%s%s; "
			    "%s ended on %s", what, eol_label, p->eol.kind ==
			    EOL_DATE ? " on " : "", p->eol.kind == EOL_DATE ?
			    eol_format_day(p->eol.day, d1, sizeof d1) : "",
			    eoes_label, eol_format_day(p->eoes.day, d2,
			    sizeof d2));
		else
			xasprintf(&p->reason, "%s: end of life: %s ended%s%s",
			    what, eol_label, p->eol.kind == EOL_DATE ?
			    " on " : "", p->eol.kind == EOL_DATE ?
			    eol_format_day(p->eol.day, d1, sizeof d1) : "");
		break;
	default:
		break;
	}
}

static void
eol_software(const struct eol_estate *e, const struct eol_rules *rules,
    const struct eol_identity *id, struct eol_part *p)
{
	struct eol_match	 m;
	const struct eol_cycle	*c = NULL;
	char			*title, v1[80], v2[80], v3[80];
	size_t			 i;

	p->applicable = 1;
	if (rules == NULL) {
		eol_part_unknown(p, "no_mapping", "no end-of-life mapping is "
		    "loaded ([eol] mapping)");
		return;
	}
	if (id->os_id == NULL && id->fw_family == NULL &&
	    id->fw_product == NULL) {
		eol_part_unknown(p, "no_version", "it reports no operating "
		    "system or firmware");
		return;
	}
	if (!eol_rules_software(rules, id, &m)) {
		if (id->os_id != NULL)
			eol_part_unknown(p, "no_rule", "no mapping rule for os "
			    "%s %s (%s)", eol_vis(v1, sizeof v1, id->os_id),
			    eol_vis(v2, sizeof v2, id->os_version),
			    eol_vis(v3, sizeof v3, id->os_name));
		else
			eol_part_unknown(p, "no_rule", "no mapping rule for "
			    "firmware %s %s (%s)", eol_vis(v1, sizeof v1,
			    id->fw_family), eol_vis(v2, sizeof v2,
			    id->fw_version), eol_vis(v3, sizeof v3,
			    id->fw_product));
		return;
	}
	p->from = m.from;
	p->rule_line = m.line;
	if (m.version != NULL)
		p->version = xstrdup(m.version);
	if ((p->product = eol_catalogue_product(e->cat, m.product)) == NULL) {
		eol_part_unknown(p, "no_product", "the catalogue has no "
		    "product \"%s\" (mapping line %d)", m.product, m.line);
		return;
	}
	if (m.cycle != NULL) {
		for (i = 0; i < p->product->ncycles; i++)
			if (strcmp(p->product->cycles[i].name, m.cycle) == 0)
				c = &p->product->cycles[i];
		if (c == NULL) {
			eol_part_unknown(p, "no_cycle", "%s has no release "
			    "cycle \"%s\" (mapping line %d)", m.product,
			    m.cycle, m.line);
			return;
		}
	} else if (m.version == NULL) {
		eol_part_unknown(p, "no_version", "it reports no %s version "
		    "to find the %s release cycle by", m.from, m.product);
		return;
	} else if ((c = eol_cycle_match(p->product, m.version)) == NULL) {
		eol_part_unknown(p, "no_cycle", "%s has no release cycle for "
		    "version %s", m.product, eol_vis(v1, sizeof v1,
		    m.version));
		return;
	}
	p->cycle = c;
	p->eoas = c->eoas;
	p->eol = c->eol;
	p->eoes = c->eoes;
	p->status = eol_status_at(&p->eol, &p->eoes, e->day, e->horizon_days);
	title = eol_cycle_title(p->product, c);
	if (p->status == EOL_UNKNOWN)
		eol_part_unknown(p, "no_date", "the catalogue gives no end of "
		    "life for %s", title);
	else
		eol_part_reason(p, title, p->product->eol_label != NULL ?
		    p->product->eol_label : "support",
		    p->product->eoes_label != NULL ? p->product->eoes_label :
		    "extended support", e->day);
	free(title);
}

static void
eol_hardware(const struct eol_estate *e, const struct eol_rules *rules,
    const struct eol_identity *id, struct eol_part *p)
{
	const struct eol_hw_row	*row;
	const char		*vendor;
	char			*what, v1[80], v2[80];
	int			 action, line;

	p->applicable = 1;
	if (rules == NULL) {
		eol_part_unknown(p, "no_mapping", "no end-of-life mapping is "
		    "loaded ([eol] mapping)");
		return;
	}
	action = eol_rules_hardware(rules, id, &vendor, &line);
	p->rule_line = line;
	if (action == EOL_HW_VIRTUAL) {
		p->applicable = 0;
		p->status = EOL_SUPPORTED;
		xasprintf(&p->reason, "a virtual machine (%s %s): its "
		    "hypervisor's hardware carries the lifecycle", eol_vis(v1,
		    sizeof v1, id->vendor), eol_vis(v2, sizeof v2, id->model));
		return;
	}
	if (id->vendor == NULL || id->model == NULL) {
		eol_part_unknown(p, "no_model", "it reports no hardware "
		    "vendor and model");
		return;
	}
	if (action == EOL_HW_NONE) {
		eol_part_unknown(p, "no_rule", "no mapping rule for hardware "
		    "%s %s", eol_vis(v1, sizeof v1, id->vendor), eol_vis(v2,
		    sizeof v2, id->model));
		return;
	}
	p->vendor = xstrdup(vendor);
	if ((row = eol_hw_match(&e->hw, vendor, id->model)) == NULL) {
		eol_part_unknown(p, "no_hardware_entry", "no entry for %s %s "
		    "in the hardware lifecycle table%s", eol_vis(v1, sizeof v1,
		    vendor), eol_vis(v2, sizeof v2, id->model), e->hw.n == 0 ?
		    " (it is empty: ward-collector eol import-hardware FILE)" :
		    "");
		return;
	}
	p->hw = row;
	p->has_cost = row->has_cost;
	p->cost = row->cost;
	p->eoas = row->end_of_sw_maintenance;
	/* Security fixes end first; support (repairs, parts) may go on to
	 * the last date of support: that is hardware's extended support. */
	if (row->end_of_security.kind == EOL_DATE) {
		p->eol = row->end_of_security;
		p->eoes = row->last_support;
	} else
		p->eol = row->last_support;
	p->status = eol_status_at(&p->eol, &p->eoes, e->day, e->horizon_days);
	xasprintf(&what, "%s %s", vendor, id->model);
	if (p->status == EOL_UNKNOWN)
		eol_part_unknown(p, "no_date", "the hardware table gives no "
		    "end of security support or last date of support for %s "
		    "(line %d)", what, row->line);
	else
		eol_part_reason(p, what, p->eoes.kind == EOL_DATE ?
		    "security support" : "support", "support",
		    e->day);
	free(what);
}

static void
eol_part_free(struct eol_part *p)
{
	free(p->reason);
	free(p->vendor);
	free(p->version);
}

static void
eol_asset_finish(struct eol_asset *a)
{
	const struct eol_part	*parts[2] = { &a->sw, &a->hw };
	int			 i;

	a->status = a->sw.status;
	if (a->hw.applicable)
		a->status = eol_status_worse(a->status, a->hw.status);
	for (i = 0; i < 2; i++) {
		if (!parts[i]->applicable || parts[i]->eol.kind != EOL_DATE ||
		    parts[i]->status == EOL_UNKNOWN)
			continue;
		if (!a->has_end || parts[i]->eol.day < a->end_day) {
			a->has_end = 1;
			a->end_day = parts[i]->eol.day;
			a->end_part = parts[i];
		}
	}
}

#define SQL_EOL_HOSTS \
	"SELECT id, name, agent_id, datacentre, kind, vendor, model, serial," \
	"  os_id, os_version_id, os_pretty_name, fw_family, fw_product," \
	"  fw_version FROM hosts WHERE ?1 = 0 OR id = ?1" \
	" ORDER BY name COLLATE NOCASE, id"

static char *
eol_col(sqlite3_stmt *st, int col)
{
	const char	*s = (const char *)sqlite3_column_text(st, col);

	/* An empty field says no more than an absent one. */
	return s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

struct eol_estate *
eol_estate_load(struct db *db, const struct eol_rules *rules,
    int64_t host_id, int64_t day, int64_t horizon_days, char *err,
    size_t errlen)
{
	struct eol_estate	*e = xcalloc(1, sizeof *e);
	struct eol_identity	 id;
	struct eol_asset	*a;
	sqlite3_stmt		*st;
	char			*os_id, *os_ver, *fw_fam, *fw_prod, *fw_ver;
	size_t			 i;
	int			 rc;

	e->day = day;
	e->horizon_days = horizon_days;
	if ((e->cat = eol_catalogue_load(db, err, errlen)) == NULL ||
	    eol_hw_load(db, &e->hw, err, errlen) == -1 ||
	    (e->catalogue = eol_catalogue_json(db, err, errlen)) == NULL ||
	    (st = db_stmt(db, SQL_EOL_HOSTS, err, errlen)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, host_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		e->assets = xreallocarray(e->assets, e->n + 1,
		    sizeof *e->assets);
		a = &e->assets[e->n++];
		memset(a, 0, sizeof *a);
		a->host_id = sqlite3_column_int64(st, 0);
		a->name = xstrdup((const char *)sqlite3_column_text(st, 1));
		a->agent_id = xstrdup((const char *)sqlite3_column_text(st,
		    2));
		a->datacentre = eol_col(st, 3);
		a->kind = eol_col(st, 4);
		a->vendor = eol_col(st, 5);
		a->model = eol_col(st, 6);
		a->serial = eol_col(st, 7);
		os_id = eol_col(st, 8);
		os_ver = eol_col(st, 9);
		a->os_name = eol_col(st, 10);
		fw_fam = eol_col(st, 11);
		fw_prod = eol_col(st, 12);
		fw_ver = eol_col(st, 13);
		memset(&id, 0, sizeof id);
		id.os_id = os_id;
		id.os_version = os_ver;
		id.os_name = a->os_name;
		id.fw_family = fw_fam;
		id.fw_product = fw_prod;
		id.fw_version = fw_ver;
		id.vendor = a->vendor;
		id.model = a->model;
		eol_software(e, rules, &id, &a->sw);
		eol_hardware(e, rules, &id, &a->hw);
		free(os_id);
		free(os_ver);
		free(fw_fam);
		free(fw_prod);
		free(fw_ver);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(db, "reading hosts", err, errlen);
		goto fail;
	}
	/* Once the array has stopped moving: end_part points into it. */
	for (i = 0; i < e->n; i++)
		eol_asset_finish(&e->assets[i]);
	return e;

fail:
	eol_estate_free(e);
	return NULL;
}

void
eol_estate_free(struct eol_estate *e)
{
	size_t	 i;

	if (e == NULL)
		return;
	for (i = 0; i < e->n; i++) {
		free(e->assets[i].name);
		free(e->assets[i].agent_id);
		free(e->assets[i].datacentre);
		free(e->assets[i].kind);
		free(e->assets[i].vendor);
		free(e->assets[i].model);
		free(e->assets[i].serial);
		free(e->assets[i].os_name);
		eol_part_free(&e->assets[i].sw);
		eol_part_free(&e->assets[i].hw);
	}
	free(e->assets);
	free(e->currency);
	eol_catalogue_free(e->cat);
	eol_hw_clear(&e->hw);
	json_decref(e->catalogue);
	free(e);
}

void
eol_estate_costs(struct eol_estate *e, const struct eol_config *ec)
{
	struct eol_part	*p;
	size_t		 i;

	/* No currency (a configuration not from the option table): no
	 * costs, rather than amounts in nothing. */
	free(e->currency);
	e->currency = NULL;
	if (ec->currency == NULL)
		return;
	e->currency = xstrdup(ec->currency);
	for (i = 0; i < e->n; i++) {
		p = &e->assets[i].sw;
		p->has_cost = p->product != NULL && eol_software_cost(ec,
		    p->product->name, &p->cost);
	}
}

/* ------------------------------------------------------------ JSON */

static json_t *
eol_day_json(int64_t day)
{
	char	 buf[16];

	return json_string(eol_format_day(day, buf, sizeof buf));
}

static json_t *
eol_str_json(const char *s)
{
	return s != NULL ? query_json_string(s) : json_null();
}

/* {amount, currency}: null when not known (or not looked up). */
static json_t *
eol_cost_json(const struct eol_estate *e, const struct eol_part *p)
{
	json_t	*o;
	char	 buf[32];

	if (e->currency == NULL || !p->has_cost)
		return json_null();
	o = json_object();
	json_object_set_new(o, "amount", json_string(eol_format_amount(
	    p->cost, buf, sizeof buf)));
	json_object_set_new(o, "currency", json_string(e->currency));
	return o;
}

static void
eol_part_end_json(json_t *o, const struct eol_part *p, int64_t day)
{
	if (p->eol.kind == EOL_DATE) {
		json_object_set_new(o, "end_of_life", eol_day_json(p->eol.day));
		json_object_set_new(o, "days_left", json_integer(p->eol.day -
		    day));
	} else {
		json_object_set_new(o, "end_of_life", json_null());
		json_object_set_new(o, "days_left", json_null());
	}
}

static json_t *
eol_software_json(const struct eol_estate *e, const struct eol_part *p)
{
	json_t		*o = json_object(), *labels, *from;
	char		*title;

	json_object_set_new(o, "status", json_string(eol_status_name(
	    p->status)));
	json_object_set_new(o, "reason", eol_str_json(p->reason));
	json_object_set_new(o, "reason_code", eol_str_json(p->reason_code));
	json_object_set_new(o, "product", eol_str_json(p->product != NULL ?
	    p->product->name : NULL));
	json_object_set_new(o, "cycle", eol_str_json(p->cycle != NULL ?
	    p->cycle->name : NULL));
	if (p->product != NULL && p->cycle != NULL) {
		title = eol_cycle_title(p->product, p->cycle);
		json_object_set_new(o, "title", query_json_string(title));
		free(title);
	} else
		json_object_set_new(o, "title", json_null());
	if (p->from != NULL) {
		from = json_object();
		json_object_set_new(from, "what", json_string(p->from));
		json_object_set_new(from, "version", eol_str_json(p->version));
		json_object_set_new(from, "rule_line", json_integer(
		    p->rule_line));
		json_object_set_new(o, "mapped_from", from);
	} else
		json_object_set_new(o, "mapped_from", json_null());
	json_object_set_new(o, "release_date", p->cycle != NULL ?
	    eol_value_json(&p->cycle->release) : json_null());
	json_object_set_new(o, "eoas", eol_value_json(&p->eoas));
	json_object_set_new(o, "eol", eol_value_json(&p->eol));
	json_object_set_new(o, "eoes", eol_value_json(&p->eoes));
	json_object_set_new(o, "lts", p->cycle != NULL ?
	    eol_value_json(&p->cycle->lts) : json_null());
	json_object_set_new(o, "latest", eol_str_json(p->cycle != NULL ?
	    p->cycle->latest : NULL));
	labels = json_object();
	json_object_set_new(labels, "eoas", eol_str_json(p->product != NULL ?
	    p->product->eoas_label : NULL));
	json_object_set_new(labels, "eol", eol_str_json(p->product != NULL ?
	    p->product->eol_label : NULL));
	json_object_set_new(labels, "eoes", eol_str_json(p->product != NULL ?
	    p->product->eoes_label : NULL));
	json_object_set_new(o, "labels", labels);
	eol_part_end_json(o, p, e->day);
	json_object_set_new(o, "source", eol_str_json(p->product != NULL ?
	    p->product->source : NULL));
	json_object_set_new(o, "as_of", eol_str_json(p->product != NULL ?
	    p->product->as_of : NULL));
	json_object_set_new(o, "cost", eol_cost_json(e, p));
	return o;
}

static json_t *
eol_hardware_json(const struct eol_estate *e, const struct eol_part *p)
{
	json_t		*o = json_object(), *t;

	json_object_set_new(o, "applicable", json_boolean(p->applicable));
	json_object_set_new(o, "status", p->applicable ? json_string(
	    eol_status_name(p->status)) : json_null());
	json_object_set_new(o, "reason", eol_str_json(p->reason));
	json_object_set_new(o, "reason_code", eol_str_json(p->reason_code));
	json_object_set_new(o, "vendor", eol_str_json(p->vendor));
	json_object_set_new(o, "model_pattern", eol_str_json(p->hw != NULL ?
	    p->hw->model : NULL));
	if (p->hw != NULL) {
		json_object_set_new(o, "end_of_sale", eol_value_json(
		    &p->hw->end_of_sale));
		json_object_set_new(o, "end_of_sw_maintenance",
		    eol_value_json(&p->hw->end_of_sw_maintenance));
		json_object_set_new(o, "end_of_security_support",
		    eol_value_json(&p->hw->end_of_security));
		json_object_set_new(o, "last_date_of_support",
		    eol_value_json(&p->hw->last_support));
		json_object_set_new(o, "source", eol_str_json(p->hw->source));
		t = json_object();
		json_object_set_new(t, "file", eol_str_json(e->hw.file));
		json_object_set_new(t, "imported", e->hw.imported_ms > 0 ?
		    query_json_time_ms(e->hw.imported_ms) : json_null());
		json_object_set_new(t, "line", json_integer(p->hw->line));
		json_object_set_new(o, "table", t);
	} else {
		json_object_set_new(o, "end_of_sale", json_null());
		json_object_set_new(o, "end_of_sw_maintenance", json_null());
		json_object_set_new(o, "end_of_security_support", json_null());
		json_object_set_new(o, "last_date_of_support", json_null());
		json_object_set_new(o, "source", json_null());
		json_object_set_new(o, "table", json_null());
	}
	eol_part_end_json(o, p, e->day);
	json_object_set_new(o, "cost", p->applicable ? eol_cost_json(e, p) :
	    json_null());
	return o;
}

json_t *
eol_asset_json(const struct eol_estate *e, const struct eol_asset *a)
{
	json_t	*o = json_object();
	char	*esc, *url;

	json_object_set_new(o, "name", query_json_string(a->name));
	json_object_set_new(o, "agent_id", query_json_string(a->agent_id));
	json_object_set_new(o, "datacentre", eol_str_json(a->datacentre));
	json_object_set_new(o, "kind", eol_str_json(a->kind));
	json_object_set_new(o, "vendor", eol_str_json(a->vendor));
	json_object_set_new(o, "model", eol_str_json(a->model));
	json_object_set_new(o, "serial", eol_str_json(a->serial));
	json_object_set_new(o, "os_pretty_name", eol_str_json(a->os_name));
	esc = query_url_escape(a->agent_id);
	xasprintf(&url, "/api/v1/hosts/%s", esc);
	json_object_set_new(o, "url", json_string(url));
	free(url);
	free(esc);
	json_object_set_new(o, "status", json_string(eol_status_name(
	    a->status)));
	if (a->has_end) {
		json_object_set_new(o, "end_of_life", eol_day_json(a->end_day));
		json_object_set_new(o, "days_left", json_integer(a->end_day -
		    e->day));
		json_object_set_new(o, "end_of_life_of", json_string(
		    a->end_part == &a->sw ? "software" : "hardware"));
	} else {
		json_object_set_new(o, "end_of_life", json_null());
		json_object_set_new(o, "days_left", json_null());
		json_object_set_new(o, "end_of_life_of", json_null());
	}
	json_object_set_new(o, "software", eol_software_json(e, &a->sw));
	json_object_set_new(o, "hardware", eol_hardware_json(e, &a->hw));
	return o;
}

json_t *
eol_host_lifecycle(struct db *db, const struct collector *c, int64_t host_id,
    int64_t now_ms, char *err, size_t errlen)
{
	static const char *const identity[] = {
		"name", "agent_id", "datacentre", "kind", "vendor", "model",
		"serial", "os_pretty_name", "url",
	};
	struct eol_estate	*e;
	json_t			*o;
	size_t			 i;

	if ((e = eol_estate_load(db, c->eol_rules, host_id,
	    eol_day_of_ms(now_ms), eol_horizon_days(c->cfg), err,
	    errlen)) == NULL)
		return NULL;
	if (e->n != 1) {
		snprintf(err, errlen, "host %" PRId64 " vanished while being "
		    "read", host_id);
		eol_estate_free(e);
		return NULL;
	}
	eol_estate_costs(e, &c->cfg->eol);
	/* The host's detail says who it is already. */
	o = eol_asset_json(e, &e->assets[0]);
	for (i = 0; i < sizeof identity / sizeof identity[0]; i++)
		json_object_del(o, identity[i]);
	json_object_set_new(o, "at", eol_day_json(e->day));
	json_object_set_new(o, "horizon_days", json_integer(e->horizon_days));
	eol_estate_free(e);
	return o;
}

#define SQL_CAT_SOURCES \
	"SELECT source, as_of, count(*) FROM eol_products" \
	" GROUP BY source, as_of ORDER BY as_of DESC, source"
#define SQL_CAT_FAILING \
	"SELECT name, error, error_ms, source, as_of FROM eol_products" \
	" WHERE error IS NOT NULL ORDER BY name"
#define SQL_CAT_LAST_REFRESH \
	"SELECT started_ms, finished_ms, base_url, updated, unchanged," \
	"  failed, summary FROM eol_refreshes ORDER BY id DESC LIMIT 1"

json_t *
eol_catalogue_json(struct db *db, char *err, size_t errlen)
{
	json_t		*o = json_object(), *list, *s;
	sqlite3_stmt	*st;
	int64_t		 total = 0;
	int		 rc;

	if ((st = db_stmt(db, SQL_CAT_SOURCES, err, errlen)) == NULL)
		goto fail;
	list = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		s = json_object();
		json_object_set_new(s, "source", query_json_text(st, 0));
		json_object_set_new(s, "as_of", query_json_text(st, 1));
		json_object_set_new(s, "products", query_json_int(st, 2));
		total += sqlite3_column_int64(st, 2);
		json_array_append_new(list, s);
	}
	sqlite3_reset(st);
	json_object_set_new(o, "sources", list);
	json_object_set_new(o, "products", json_integer(total));
	if (rc != SQLITE_DONE)
		goto dberr;
	if ((st = db_stmt(db, SQL_CAT_FAILING, err, errlen)) == NULL)
		goto fail;
	list = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		s = json_object();
		json_object_set_new(s, "product", query_json_text(st, 0));
		json_object_set_new(s, "error", query_json_text(st, 1));
		json_object_set_new(s, "at", query_json_time(st, 2));
		json_object_set_new(s, "kept_source", query_json_text(st, 3));
		json_object_set_new(s, "kept_as_of", query_json_text(st, 4));
		json_array_append_new(list, s);
	}
	sqlite3_reset(st);
	json_object_set_new(o, "refresh_failures", list);
	if (rc != SQLITE_DONE)
		goto dberr;
	if ((st = db_stmt(db, SQL_CAT_LAST_REFRESH, err, errlen)) == NULL)
		goto fail;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		s = json_object();
		json_object_set_new(s, "started", query_json_time(st, 0));
		json_object_set_new(s, "finished", query_json_time(st, 1));
		json_object_set_new(s, "base_url", query_json_text(st, 2));
		json_object_set_new(s, "updated", query_json_int(st, 3));
		json_object_set_new(s, "unchanged", query_json_int(st, 4));
		json_object_set_new(s, "failed", query_json_int(st, 5));
		json_object_set_new(s, "summary", query_json_text(st, 6));
		json_object_set_new(o, "last_refresh", s);
		rc = SQLITE_DONE;
	} else
		json_object_set_new(o, "last_refresh", json_null());
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		goto dberr;
	return o;

dberr:
	db_error(db, "reading the catalogue's sources", err, errlen);
fail:
	json_decref(o);
	return NULL;
}

/* ------------------------------------------------------------ summary */

/* Counts by name, in first-seen order; a few dozen names at most. */
struct eol_tally {
	char		**names;
	char		**extra;	/* product: its title */
	int64_t		 *counts;	/* [n][EOL_STATUS_COUNT + 1] */
	size_t		  n;
};

static int64_t *
eol_tally_get(struct eol_tally *t, const char *name, const char *extra)
{
	size_t	 i;

	for (i = 0; i < t->n; i++)
		if ((name == NULL) == (t->names[i] == NULL) &&
		    (name == NULL || strcmp(name, t->names[i]) == 0))
			return &t->counts[i * (EOL_STATUS_COUNT + 1)];
	t->names = xreallocarray(t->names, t->n + 1, sizeof *t->names);
	t->extra = xreallocarray(t->extra, t->n + 1, sizeof *t->extra);
	t->counts = xreallocarray(t->counts, (t->n + 1) *
	    (EOL_STATUS_COUNT + 1), sizeof *t->counts);
	t->names[t->n] = name != NULL ? xstrdup(name) : NULL;
	t->extra[t->n] = extra != NULL ? xstrdup(extra) : NULL;
	memset(&t->counts[t->n * (EOL_STATUS_COUNT + 1)], 0,
	    (EOL_STATUS_COUNT + 1) * sizeof *t->counts);
	return &t->counts[t->n++ * (EOL_STATUS_COUNT + 1)];
}

static void
eol_tally_free(struct eol_tally *t)
{
	size_t	 i;

	for (i = 0; i < t->n; i++) {
		free(t->names[i]);
		free(t->extra[i]);
	}
	free(t->names);
	free(t->extra);
	free(t->counts);
}

static json_t *
eol_status_counts_json(const int64_t *c)
{
	json_t	*o = json_object();
	int	 s;

	for (s = 0; s < EOL_STATUS_COUNT; s++)
		json_object_set_new(o, eol_status_name(s), json_integer(c[s]));
	return o;
}

static int
eol_name_cmp(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == NULL) - (b == NULL);
	return strcmp(a, b);
}

/* The tally as [{key: name, (title,) assets, status: {...}}], by name,
 * the unnamed last. */
static json_t *
eol_tally_json(const struct eol_tally *t, const char *key,
    const char *extra_key)
{
	json_t	*list = json_array(), *o;
	size_t	*order, i, j, k;

	order = xcalloc(t->n + 1, sizeof *order);
	for (i = 0; i < t->n; i++) {
		for (j = i; j > 0 && eol_name_cmp(t->names[order[j - 1]],
		    t->names[i]) > 0; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	for (k = 0; k < t->n; k++) {
		i = order[k];
		o = json_object();
		json_object_set_new(o, key, eol_str_json(t->names[i]));
		if (extra_key != NULL)
			json_object_set_new(o, extra_key, eol_str_json(
			    t->extra[i]));
		json_object_set_new(o, "assets", json_integer(
		    t->counts[i * (EOL_STATUS_COUNT + 1) + EOL_STATUS_COUNT]));
		json_object_set_new(o, "status", eol_status_counts_json(
		    &t->counts[i * (EOL_STATUS_COUNT + 1)]));
		json_array_append_new(list, o);
	}
	free(order);
	return list;
}

static void
eol_tally_add(struct eol_tally *t, const char *name, const char *extra,
    int status)
{
	int64_t	*c = eol_tally_get(t, name, extra);

	c[status]++;
	c[EOL_STATUS_COUNT]++;
}

json_t *
eol_summary_json(const struct eol_estate *e)
{
	struct eol_tally	 dcs, products, models, reasons;
	const struct eol_asset	*a;
	json_t			*o = json_object(), *hw, *t;
	int64_t			 all[EOL_STATUS_COUNT] = { 0 };
	int64_t			 sw[EOL_STATUS_COUNT] = { 0 };
	int64_t			 hwc[EOL_STATUS_COUNT] = { 0 }, virt = 0;
	char			*key, *title;
	size_t			 i;

	memset(&dcs, 0, sizeof dcs);
	memset(&products, 0, sizeof products);
	memset(&models, 0, sizeof models);
	memset(&reasons, 0, sizeof reasons);
	for (i = 0; i < e->n; i++) {
		a = &e->assets[i];
		all[a->status]++;
		sw[a->sw.status]++;
		if (a->hw.applicable)
			hwc[a->hw.status]++;
		else
			virt++;
		eol_tally_add(&dcs, a->datacentre, NULL, a->status);
		if (a->sw.cycle != NULL) {
			xasprintf(&key, "%s %s", a->sw.product->name,
			    a->sw.cycle->name);
			title = eol_cycle_title(a->sw.product, a->sw.cycle);
			eol_tally_add(&products, key, title, a->sw.status);
			free(key);
			free(title);
		}
		if (a->hw.hw != NULL) {
			xasprintf(&key, "%s %s", a->hw.vendor, a->model);
			eol_tally_add(&models, key, NULL, a->hw.status);
			free(key);
		}
		if (a->sw.reason_code != NULL) {
			xasprintf(&key, "software %s", a->sw.reason_code);
			eol_tally_add(&reasons, key, NULL, EOL_UNKNOWN);
			free(key);
		}
		if (a->hw.applicable && a->hw.reason_code != NULL) {
			xasprintf(&key, "hardware %s", a->hw.reason_code);
			eol_tally_add(&reasons, key, NULL, EOL_UNKNOWN);
			free(key);
		}
	}
	json_object_set_new(o, "at", eol_day_json(e->day));
	json_object_set_new(o, "horizon_days", json_integer(e->horizon_days));
	json_object_set_new(o, "catalogue", json_incref(e->catalogue));
	t = json_object();
	json_object_set_new(t, "rows", json_integer((json_int_t)e->hw.n));
	json_object_set_new(t, "file", eol_str_json(e->hw.file));
	json_object_set_new(t, "imported", e->hw.imported_ms > 0 ?
	    query_json_time_ms(e->hw.imported_ms) : json_null());
	json_object_set_new(o, "hardware_table", t);
	json_object_set_new(o, "assets", json_integer((json_int_t)e->n));
	json_object_set_new(o, "status", eol_status_counts_json(all));
	json_object_set_new(o, "software", eol_status_counts_json(sw));
	hw = eol_status_counts_json(hwc);
	json_object_set_new(hw, "not_applicable", json_integer(virt));
	json_object_set_new(o, "hardware", hw);
	/* "software no_rule" -> {part, reason_code, assets}. */
	t = eol_tally_json(&reasons, "reason_code", NULL);
	json_array_foreach(t, i, hw) {
		key = xstrdup(json_string_value(json_object_get(hw,
		    "reason_code")));
		title = strchr(key, ' ');
		*title++ = '\0';
		json_object_set_new(hw, "part", json_string(key));
		json_object_set_new(hw, "reason_code", json_string(title));
		json_object_del(hw, "status");
		free(key);
	}
	json_object_set_new(o, "unknown_reasons", t);
	json_object_set_new(o, "by_datacentre", eol_tally_json(&dcs,
	    "datacentre", NULL));
	json_object_set_new(o, "by_product", eol_tally_json(&products,
	    "product", "title"));
	json_object_set_new(o, "by_hardware_model", eol_tally_json(&models,
	    "model", NULL));
	eol_tally_free(&dcs);
	eol_tally_free(&products);
	eol_tally_free(&models);
	eol_tally_free(&reasons);
	return o;
}

/* ------------------------------------------------------------ forecast */

static int64_t
eol_quarter_of(int64_t day)
{
	int		 y;
	unsigned	 m, d;

	wtime_civil_from_days(day, &y, &m, &d);
	return (int64_t)y * 4 + (m - 1) / 3;
}

int
eol_quarter_index(int64_t from_day, int64_t day)
{
	if (day < from_day)
		return -1;
	return (int)(eol_quarter_of(day) - eol_quarter_of(from_day));
}

/* A forecast bucket: assets by datacentre and by product. */
struct eol_bucket {
	struct eol_tally	 dcs, products;
	int64_t			 assets;
};

static void
eol_bucket_add(struct eol_bucket *b, const struct eol_asset *a,
    const struct eol_part *p)
{
	char	*key, *title = NULL;

	b->assets++;
	eol_tally_add(&b->dcs, a->datacentre, NULL, a->status);
	if (p == &a->sw && p->cycle != NULL) {
		xasprintf(&key, "%s %s", p->product->name, p->cycle->name);
		title = eol_cycle_title(p->product, p->cycle);
	} else if (p == &a->hw && p->vendor != NULL) {
		xasprintf(&key, "hardware %s %s", p->vendor, a->model);
		xasprintf(&title, "%s %s", p->vendor, a->model);
	} else
		key = NULL;
	eol_tally_add(&b->products, key, title, a->status);
	free(key);
	free(title);
}

static json_t *
eol_bucket_json(struct eol_bucket *b, json_t *o)
{
	json_t	*list, *item;
	size_t	 i;

	json_object_set_new(o, "assets", json_integer(b->assets));
	/* Counts only: a bucket is assets that reach one point in time. */
	list = eol_tally_json(&b->dcs, "datacentre", NULL);
	json_array_foreach(list, i, item)
		json_object_del(item, "status");
	json_object_set_new(o, "by_datacentre", list);
	list = eol_tally_json(&b->products, "product", "title");
	json_array_foreach(list, i, item)
		json_object_del(item, "status");
	json_object_set_new(o, "by_product", list);
	eol_tally_free(&b->dcs);
	eol_tally_free(&b->products);
	return o;
}

/*
 * The forecast's costs. What costs money is a part falling due: hardware
 * replaced, software upgraded. Each applicable part is counted in the
 * period its own end of life falls in (an asset's software and hardware
 * may fall in two), by the asset's datacentre and the part's product. A
 * part with no cost is counted as unknown and adds nothing to the amount:
 * never a silent 0.
 */
enum { EOL_PAST = 0, EOL_LATER, EOL_NO_DATE };

static void	 eol_csv_cell(FILE *fp, const char *s, int last);

struct eol_cost_cell {
	int		 period;	/* quarter; quarters + EOL_PAST... */
	const char	*datacentre;
	char		*product, *title;
	int64_t		 amount, costed, unknown;
};
struct eol_costs {
	struct eol_cost_cell	*cells;
	size_t			 n;
};

static int
eol_part_period(const struct eol_estate *e, const struct eol_part *p,
    int quarters)
{
	int	 idx;

	if (p->status == EOL_EXTENDED || p->status == EOL_ENDED)
		return quarters + EOL_PAST;
	if (p->status == EOL_UNKNOWN || p->eol.kind != EOL_DATE)
		return quarters + EOL_NO_DATE;
	if ((idx = eol_quarter_index(e->day, p->eol.day)) < 0)
		return quarters + EOL_PAST;
	return idx < quarters ? idx : quarters + EOL_LATER;
}

/* The forecast's key for the product of part p of a. */
static char *
eol_part_product(const struct eol_asset *a, const struct eol_part *p,
    char **title)
{
	char	*key;

	*title = NULL;
	if (p == &a->sw && p->cycle != NULL) {
		xasprintf(&key, "%s %s", p->product->name, p->cycle->name);
		*title = eol_cycle_title(p->product, p->cycle);
	} else if (p == &a->hw && p->vendor != NULL) {
		xasprintf(&key, "hardware %s %s", p->vendor, a->model);
		xasprintf(title, "%s %s", p->vendor, a->model);
	} else
		key = NULL;
	return key;
}

static void
eol_costs_add(struct eol_costs *c, const struct eol_estate *e,
    const struct eol_asset *a, const struct eol_part *p, int quarters)
{
	struct eol_cost_cell	*cell = NULL;
	char			*key, *title;
	int			 period = eol_part_period(e, p, quarters);
	size_t			 i;

	key = eol_part_product(a, p, &title);
	for (i = 0; i < c->n && cell == NULL; i++)
		if (c->cells[i].period == period &&
		    eol_name_cmp(c->cells[i].datacentre, a->datacentre) == 0 &&
		    eol_name_cmp(c->cells[i].product, key) == 0)
			cell = &c->cells[i];
	if (cell == NULL) {
		c->cells = xreallocarray(c->cells, c->n + 1, sizeof *c->cells);
		cell = &c->cells[c->n++];
		memset(cell, 0, sizeof *cell);
		cell->period = period;
		cell->datacentre = a->datacentre;
		cell->product = key;
		cell->title = title;
	} else {
		free(key);
		free(title);
	}
	if (p->has_cost) {
		cell->amount += p->cost;
		cell->costed++;
	} else
		cell->unknown++;
}

static int
eol_cost_cell_cmp(const void *va, const void *vb)
{
	const struct eol_cost_cell	*a = va, *b = vb;
	int				 rc;

	if (a->period != b->period)
		return a->period < b->period ? -1 : 1;
	if ((rc = eol_name_cmp(a->datacentre, b->datacentre)) != 0)
		return rc;
	return eol_name_cmp(a->product, b->product);
}

static void
eol_costs_load(struct eol_costs *c, const struct eol_estate *e,
    int quarters)
{
	const struct eol_asset	*a;
	size_t			 i;

	memset(c, 0, sizeof *c);
	for (i = 0; i < e->n; i++) {
		a = &e->assets[i];
		eol_costs_add(c, e, a, &a->sw, quarters);
		if (a->hw.applicable)
			eol_costs_add(c, e, a, &a->hw, quarters);
	}
	if (c->n > 1)
		qsort(c->cells, c->n, sizeof *c->cells, eol_cost_cell_cmp);
}

static void
eol_costs_free(struct eol_costs *c)
{
	size_t	 i;

	for (i = 0; i < c->n; i++) {
		free(c->cells[i].product);
		free(c->cells[i].title);
	}
	free(c->cells);
}

/* amount (null when nothing is costed: unknown is not 0), costed,
 * unknown into o. */
static void
eol_cost_sums_json(json_t *o, int64_t amount, int64_t costed,
    int64_t unknown)
{
	char	 buf[32];

	json_object_set_new(o, "amount", costed > 0 ? json_string(
	    eol_format_amount(amount, buf, sizeof buf)) : json_null());
	json_object_set_new(o, "costed", json_integer(costed));
	json_object_set_new(o, "unknown", json_integer(unknown));
}

/* Period's cells summed by datacentre (by 0) or product (1), in name
 * order, the unnamed last (the cells are in datacentre order already). */
static json_t *
eol_cost_groups_json(const struct eol_costs *c, int period, int by)
{
	const struct eol_cost_cell	**g = NULL, *cell;
	json_t				*list = json_array(), *o;
	int64_t				 amount, costed, unknown;
	size_t				 i, j, k, n = 0;

	for (i = 0; i < c->n; i++) {
		cell = &c->cells[i];
		if (cell->period != period)
			continue;
		for (j = 0; j < n; j++)
			if (eol_name_cmp(by ? g[j]->product :
			    g[j]->datacentre, by ? cell->product :
			    cell->datacentre) == 0)
				break;
		if (j < n)
			continue;
		/* A new group, in order. */
		g = xreallocarray(g, n + 1, sizeof *g);
		for (j = n; j > 0 && eol_name_cmp(by ? g[j - 1]->product :
		    g[j - 1]->datacentre, by ? cell->product :
		    cell->datacentre) > 0; j--)
			g[j] = g[j - 1];
		g[j] = cell;
		n++;
	}
	for (j = 0; j < n; j++) {
		amount = costed = unknown = 0;
		for (k = 0; k < c->n; k++) {
			cell = &c->cells[k];
			if (cell->period != period || eol_name_cmp(by ?
			    cell->product : cell->datacentre, by ?
			    g[j]->product : g[j]->datacentre) != 0)
				continue;
			amount += cell->amount;
			costed += cell->costed;
			unknown += cell->unknown;
		}
		o = json_object();
		if (by) {
			json_object_set_new(o, "product", eol_str_json(
			    g[j]->product));
			json_object_set_new(o, "title", eol_str_json(
			    g[j]->title));
		} else
			json_object_set_new(o, "datacentre", eol_str_json(
			    g[j]->datacentre));
		eol_cost_sums_json(o, amount, costed, unknown);
		json_array_append_new(list, o);
	}
	free(g);
	return list;
}

static json_t *
eol_cost_json_period(const struct eol_estate *e, const struct eol_costs *c,
    int period)
{
	json_t	*o;
	int64_t	 amount = 0, costed = 0, unknown = 0;
	size_t	 i;

	if (e->currency == NULL)
		return json_null();
	for (i = 0; i < c->n; i++)
		if (c->cells[i].period == period) {
			amount += c->cells[i].amount;
			costed += c->cells[i].costed;
			unknown += c->cells[i].unknown;
		}
	o = json_object();
	json_object_set_new(o, "currency", json_string(e->currency));
	eol_cost_sums_json(o, amount, costed, unknown);
	json_object_set_new(o, "by_datacentre", eol_cost_groups_json(c,
	    period, 0));
	json_object_set_new(o, "by_product", eol_cost_groups_json(c, period,
	    1));
	return o;
}

/* Quarter i counting from the one holding day: its label, first and last
 * days (the first quarter starts at day). */
static void
eol_quarter_span(int64_t day, int i, char *label, size_t len,
    int64_t *start, int64_t *end)
{
	int64_t		 first = eol_quarter_of(day);
	int		 y = (int)((first + i) / 4);
	unsigned	 m = (unsigned)((first + i) % 4) * 3 + 1;

	*start = i == 0 ? day : wtime_days_from_civil(y, m, 1);
	*end = (m == 10 ? wtime_days_from_civil(y + 1, 1, 1) :
	    wtime_days_from_civil(y, m + 3, 1)) - 1;
	snprintf(label, len, "%d-Q%u", y, (m - 1) / 3 + 1);
}

void
eol_forecast_csv(const struct eol_estate *e, int quarters, FILE *fp)
{
	static const char *const header[] = {
		"period", "start", "end", "datacentre", "product", "title",
		"currency", "amount", "costed", "unknown_cost",
	};
	const struct eol_cost_cell	*cell;
	struct eol_costs		 c;
	const char			*cells[sizeof header / sizeof header[0]];
	char				 label[16], start[16], end[16];
	char				 amount[32], costed[24], unknown[24];
	int64_t				 s, t;
	size_t				 i, k, n = sizeof header / sizeof header[0];

	eol_costs_load(&c, e, quarters);
	for (k = 0; k < n; k++)
		eol_csv_cell(fp, header[k], k + 1 == n);
	for (i = 0; i < c.n; i++) {
		cell = &c.cells[i];
		start[0] = end[0] = '\0';
		if (cell->period < quarters) {
			eol_quarter_span(e->day, cell->period, label,
			    sizeof label, &s, &t);
			eol_format_day(s, start, sizeof start);
			eol_format_day(t, end, sizeof end);
		} else if (cell->period == quarters + EOL_PAST) {
			snprintf(label, sizeof label, "past");
			eol_format_day(e->day - 1, end, sizeof end);
		} else if (cell->period == quarters + EOL_LATER) {
			eol_quarter_span(e->day, quarters - 1, label,
			    sizeof label, &s, &t);
			snprintf(label, sizeof label, "later");
			eol_format_day(t + 1, start, sizeof start);
		} else
			snprintf(label, sizeof label, "no_date");
		snprintf(costed, sizeof costed, "%" PRId64, cell->costed);
		snprintf(unknown, sizeof unknown, "%" PRId64, cell->unknown);
		k = 0;
		cells[k++] = label;
		cells[k++] = start[0] != '\0' ? start : NULL;
		cells[k++] = end[0] != '\0' ? end : NULL;
		cells[k++] = cell->datacentre;
		cells[k++] = cell->product;
		cells[k++] = cell->title;
		cells[k++] = e->currency;
		cells[k++] = cell->costed > 0 ? eol_format_amount(cell->amount,
		    amount, sizeof amount) : NULL;
		cells[k++] = costed;
		cells[k++] = unknown;
		for (k = 0; k < n; k++)
			eol_csv_cell(fp, cells[k], k + 1 == n);
	}
	eol_costs_free(&c);
}

json_t *
eol_forecast_json(const struct eol_estate *e, int quarters)
{
	struct eol_bucket	*q, past, later, none;
	struct eol_costs	 c;
	const struct eol_asset	*a;
	const struct eol_part	*p;
	json_t			*o = json_object(), *list, *item;
	int64_t			 start, end;
	char			 label[16];
	int			 i, idx;
	size_t			 k;

	q = xcalloc((size_t)quarters, sizeof *q);
	memset(&past, 0, sizeof past);
	memset(&later, 0, sizeof later);
	memset(&none, 0, sizeof none);
	for (k = 0; k < e->n; k++) {
		a = &e->assets[k];
		if (a->status == EOL_EXTENDED || a->status == EOL_ENDED) {
			/* The part that is past it. */
			p = a->sw.status >= EOL_EXTENDED ? &a->sw : &a->hw;
			eol_bucket_add(&past, a, p);
		} else if (!a->has_end)
			eol_bucket_add(&none, a, &a->sw);
		else if ((idx = eol_quarter_index(e->day, a->end_day)) <
		    quarters)
			eol_bucket_add(&q[idx], a, a->end_part);
		else
			eol_bucket_add(&later, a, a->end_part);
	}
	json_object_set_new(o, "from", eol_day_json(e->day));
	json_object_set_new(o, "horizon_days", json_integer(e->horizon_days));
	json_object_set_new(o, "catalogue", json_incref(e->catalogue));
	eol_costs_load(&c, e, quarters);
	list = json_array();
	for (i = 0; i < quarters; i++) {
		eol_quarter_span(e->day, i, label, sizeof label, &start, &end);
		item = json_object();
		json_object_set_new(item, "quarter", json_string(label));
		json_object_set_new(item, "start", eol_day_json(start));
		json_object_set_new(item, "end", eol_day_json(end));
		eol_bucket_json(&q[i], item);
		json_object_set_new(item, "cost", eol_cost_json_period(e, &c,
		    i));
		json_array_append_new(list, item);
	}
	json_object_set_new(o, "quarters", list);
	item = eol_bucket_json(&past, json_object());
	json_object_set_new(item, "cost", eol_cost_json_period(e, &c,
	    quarters + EOL_PAST));
	json_object_set_new(o, "past", item);
	item = eol_bucket_json(&later, json_object());
	json_object_set_new(item, "cost", eol_cost_json_period(e, &c,
	    quarters + EOL_LATER));
	json_object_set_new(o, "later", item);
	item = eol_bucket_json(&none, json_object());
	json_object_set_new(item, "cost", eol_cost_json_period(e, &c,
	    quarters + EOL_NO_DATE));
	json_object_set_new(o, "no_date", item);
	eol_costs_free(&c);
	free(q);
	return o;
}

/* ------------------------------------------------------------ export */

static void
eol_csv_cell(FILE *fp, const char *s, int last)
{
	int	 formula, quote;

	if (s == NULL)
		s = "";
	/* Names and versions come from reports, and are not to be trusted
	 * as far as a spreadsheet's formulas. */
	formula = str_csv_formula(s);
	quote = formula || strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		fputc('"', fp);
	if (formula)
		fputc('\'', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	if (quote)
		fputc('"', fp);
	fputs(last ? "\r\n" : ",", fp);
}

void
eol_export_csv(const struct eol_estate *e, FILE *fp)
{
	static const char *const header[] = {
		"name", "agent_id", "datacentre", "kind", "vendor", "model",
		"serial", "os", "status", "end_of_life", "days_left",
		"end_of_life_of", "software_status", "software_product",
		"software_cycle", "software_title", "software_eoas",
		"software_eol", "software_eoes", "software_reason",
		"software_as_of", "hardware_status", "hardware_end_of_sale",
		"hardware_end_of_security_support",
		"hardware_last_date_of_support", "hardware_reason", "at",
		"currency", "software_cost", "hardware_cost",
	};
	const struct eol_asset	*a;
	const char		*cells[sizeof header / sizeof header[0]];
	char			 end[16], left[24], eoas[16], eol[16], eoes[16];
	char			 sale[16], sec[16], ldos[16], at[16], *title;
	char			 swcost[32], hwcost[32];
	size_t			 i, k, n = sizeof header / sizeof header[0];

	for (k = 0; k < n; k++)
		eol_csv_cell(fp, header[k], k + 1 == n);
	for (i = 0; i < e->n; i++) {
		a = &e->assets[i];
		title = a->sw.cycle != NULL ? eol_cycle_title(a->sw.product,
		    a->sw.cycle) : NULL;
		snprintf(left, sizeof left, "%" PRId64, a->end_day - e->day);
		k = 0;
		cells[k++] = a->name;
		cells[k++] = a->agent_id;
		cells[k++] = a->datacentre;
		cells[k++] = a->kind;
		cells[k++] = a->vendor;
		cells[k++] = a->model;
		cells[k++] = a->serial;
		cells[k++] = a->os_name;
		cells[k++] = eol_status_name(a->status);
		cells[k++] = a->has_end ? eol_format_day(a->end_day, end,
		    sizeof end) : NULL;
		cells[k++] = a->has_end ? left : NULL;
		cells[k++] = !a->has_end ? NULL : a->end_part == &a->sw ?
		    "software" : "hardware";
		cells[k++] = eol_status_name(a->sw.status);
		cells[k++] = a->sw.product != NULL ? a->sw.product->name : NULL;
		cells[k++] = a->sw.cycle != NULL ? a->sw.cycle->name : NULL;
		cells[k++] = title;
		cells[k++] = eol_value_text(&a->sw.eoas, eoas, sizeof eoas);
		cells[k++] = eol_value_text(&a->sw.eol, eol, sizeof eol);
		cells[k++] = eol_value_text(&a->sw.eoes, eoes, sizeof eoes);
		cells[k++] = a->sw.reason;
		cells[k++] = a->sw.product != NULL ? a->sw.product->as_of :
		    NULL;
		cells[k++] = a->hw.applicable ? eol_status_name(a->hw.status) :
		    "not_applicable";
		cells[k++] = a->hw.hw != NULL ? eol_value_text(
		    &a->hw.hw->end_of_sale, sale, sizeof sale) : NULL;
		cells[k++] = a->hw.hw != NULL ? eol_value_text(
		    &a->hw.hw->end_of_security, sec, sizeof sec) : NULL;
		cells[k++] = a->hw.hw != NULL ? eol_value_text(
		    &a->hw.hw->last_support, ldos, sizeof ldos) : NULL;
		cells[k++] = a->hw.reason;
		cells[k++] = eol_format_day(e->day, at, sizeof at);
		/* Empty when not known: a spreadsheet's SUM must not take an
		 * unknown for 0 without being told (the counts say). */
		cells[k++] = e->currency;
		cells[k++] = e->currency != NULL && a->sw.has_cost ?
		    eol_format_amount(a->sw.cost, swcost, sizeof swcost) : NULL;
		cells[k++] = e->currency != NULL && a->hw.applicable &&
		    a->hw.has_cost ? eol_format_amount(a->hw.cost, hwcost,
		    sizeof hwcost) : NULL;
		for (k = 0; k < n; k++)
			eol_csv_cell(fp, cells[k], k + 1 == n);
		free(title);
	}
}

/* ------------------------------------------------------------ alerts */

#define SQL_EOL_ALERTED \
	"SELECT 1 FROM eol_alerted WHERE key = ?1"
#define SQL_EOL_ALERTED_ADD \
	"INSERT INTO eol_alerted (key, host_id, alert_id, at_ms)" \
	" VALUES (?1, ?2, ?3, ?4)"
#define SQL_EOL_LIVE \
	"SELECT key, host_id FROM alerts" \
	" WHERE kind IN ('eol_horizon', 'eol_passed')" \
	"  AND status != 'resolved'"

struct eol_want {
	char			*key;
	const struct eol_asset	*asset;
	const struct eol_part	*part;
	const char		*kind;
};

struct eol_alerts_tx {
	const struct collector_config	*cfg;
	const struct eol_estate		*e;
	struct eol_want			*want;
	size_t				 nwant;
	int64_t				 now_ms;
	struct eol_alert_result		*res;
	char				*err;
	size_t				 errlen;
};

static int
eol_want_cmp(const void *a, const void *b)
{
	return strcmp(((const struct eol_want *)a)->key,
	    ((const struct eol_want *)b)->key);
}

static int
eol_alert_raise(struct db *db, struct eol_alerts_tx *x,
    const struct eol_want *w)
{
	struct maint_subject	 subject;
	struct alert_spec	 spec;
	sqlite3_stmt		*st;
	char			*summary, *why = NULL;
	int64_t			 id, maint;
	int			 rc;

	if ((st = db_stmt(db, SQL_EOL_ALERTED, x->err, x->errlen)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, w->key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;	/* once: never again for this key */
	if (rc != SQLITE_DONE) {
		db_error(db, "reading raised end-of-life alerts", x->err,
		    x->errlen);
		return -1;
	}
	subject.host = w->asset->name;
	subject.datacentre = w->asset->datacentre;
	if ((maint = maint_active(db, x->cfg, &subject, x->now_ms, x->err,
	    x->errlen)) == -1)
		return -1;
	if (maint > 0)
		xasprintf(&why, "maintenance %" PRId64, maint);
	xasprintf(&summary, "%s: %s", w->asset->name, w->part->reason);
	memset(&spec, 0, sizeof spec);
	spec.key = w->key;
	spec.kind = w->kind;
	spec.host_id = w->asset->host_id;
	spec.datacentre = w->asset->datacentre;
	spec.severity = "warning";
	spec.summary = summary;
	spec.suppressed = why;
	id = alert_raise(db, x->cfg, &spec, x->now_ms, x->err, x->errlen);
	free(summary);
	free(why);
	if (id == -1)
		return -1;
	if ((st = db_stmt(db, SQL_EOL_ALERTED_ADD, x->err,
	    x->errlen)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, w->key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, w->asset->host_id);
	sqlite3_bind_int64(st, 3, id);
	sqlite3_bind_int64(st, 4, x->now_ms);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(db, "recording an end-of-life alert", x->err,
		    x->errlen);
		return -1;
	}
	x->res->raised++;
	return 0;
}

static int
eol_alerts_tx(struct db *db, void *arg)
{
	struct eol_alerts_tx	*x = arg;
	struct eol_want		 key;
	sqlite3_stmt		*st;
	char			**stale = NULL;
	size_t			 i, nstale = 0;
	int			 rc, ret = 0;

	/* Live alerts no longer wanted: the asset was upgraded, replaced,
	 * or moved from the horizon past its end. */
	if ((st = db_stmt(db, SQL_EOL_LIVE, x->err, x->errlen)) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		key.key = (char *)sqlite3_column_text(st, 0);
		if (x->nwant > 0 && bsearch(&key, x->want, x->nwant,
		    sizeof *x->want, eol_want_cmp) != NULL)
			continue;
		stale = xreallocarray(stale, nstale + 1, sizeof *stale);
		stale[nstale++] = xstrdup(key.key);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(db, "reading live end-of-life alerts", x->err,
		    x->errlen);
		ret = -1;
	}
	for (i = 0; i < nstale && ret == 0; i++) {
		if ((rc = alert_resolve(db, x->cfg, stale[i], "the asset's "
		    "lifecycle is no longer what raised it", x->now_ms,
		    x->err, x->errlen)) == -1)
			ret = -1;
		else if (rc == 1)
			x->res->resolved++;
	}
	for (i = 0; i < nstale; i++)
		free(stale[i]);
	free(stale);
	for (i = 0; i < x->nwant && ret == 0; i++)
		if (eol_alert_raise(db, x, &x->want[i]) == -1)
			ret = -1;
	return ret;
}

/* The alert a part's status asks for: eol_horizon while ending,
 * eol_passed once past; keyed by host, part and what it was mapped to, so
 * an upgrade is a new subject. */
static void
eol_want_add(struct eol_alerts_tx *x, const struct eol_asset *a,
    const struct eol_part *p)
{
	struct eol_want	*w;
	const char	*kind;
	char		*subject;

	if (!p->applicable)
		return;
	if (p->status == EOL_ENDING)
		kind = "eol_horizon";
	else if (p->status == EOL_EXTENDED || p->status == EOL_ENDED)
		kind = "eol_passed";
	else
		return;
	if (p == &a->sw)
		xasprintf(&subject, "software:%s/%s", p->product->name,
		    p->cycle->name);
	else
		xasprintf(&subject, "hardware:%s/%s", p->vendor, p->hw->model);
	x->want = xreallocarray(x->want, x->nwant + 1, sizeof *x->want);
	w = &x->want[x->nwant++];
	xasprintf(&w->key, "%s:%" PRId64 ":%s", kind, a->host_id, subject);
	w->asset = a;
	w->part = p;
	w->kind = kind;
	free(subject);
}

int
eol_alerts_evaluate(struct db *db, const struct collector_config *cfg,
    const struct eol_rules *rules, int64_t now_ms,
    struct eol_alert_result *res, char *err, size_t errlen)
{
	struct eol_estate	*e;
	struct eol_alerts_tx	 x;
	char			 txerr[512];
	size_t			 i;
	int			 rc;

	memset(res, 0, sizeof *res);
	if ((e = eol_estate_load(db, rules, 0, eol_day_of_ms(now_ms),
	    eol_horizon_days(cfg), err, errlen)) == NULL)
		return -1;
	memset(&x, 0, sizeof x);
	x.cfg = cfg;
	x.e = e;
	x.now_ms = now_ms;
	x.res = res;
	x.err = err;
	x.errlen = errlen;
	for (i = 0; i < e->n; i++) {
		eol_want_add(&x, &e->assets[i], &e->assets[i].sw);
		eol_want_add(&x, &e->assets[i], &e->assets[i].hw);
	}
	if (x.nwant > 1)
		qsort(x.want, x.nwant, sizeof *x.want, eol_want_cmp);
	err[0] = '\0';
	rc = db_transaction(db, eol_alerts_tx, &x, txerr, sizeof txerr);
	if (rc == -1 && err[0] == '\0')
		snprintf(err, errlen, "%s", txerr);
	if (rc == -1)
		memset(res, 0, sizeof *res);
	for (i = 0; i < x.nwant; i++)
		free(x.want[i].key);
	free(x.want);
	eol_estate_free(e);
	return rc == -1 ? -1 : 0;
}
