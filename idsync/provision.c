/* provision.c: the target directory that holds one entry per person: what
 * to add, modify, rename and disable so that its entries say what
 * idsync.db says, worked out from the entries it holds now, and the writes
 * themselves, each one audited. Entries are never deleted. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <lber.h>
#include <ldap.h>
#include <sqlite3.h>

#include "common/buf.h"
#include "common/db.h"
#include "common/log.h"
#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "idsync/idsync.h"

/* Entries under base whose anchor is not a person id are named in the
 * log up to this many times. */
#define PROVISION_FOREIGN_LOG	5
/* The name the audit gives the target directory. */
#define PROVISION_AUDIT_NAME	"target"

/* One attribute of an entry as read. */
struct provision_have {
	size_t		 count;
	char		*first;
	char		*shown;		/* the values, "; " between */
};

struct provision_entry {
	char		*dn;
	char		 id[DECODE_GUID_LEN];
	struct provision_have *have;	/* by the request's attributes */
	int		 seen;		/* a person has it */
	int		 duplicate;	/* another entry holds the id too */
};

struct provision_read {
	struct provision_plan	*pp;
	const struct target_config *tc;
	char			**attrs;	/* asked for */
	size_t			 nattrs;
	struct provision_entry	*entries;
	size_t			 nentries;
	size_t			 alloc;
	struct index		*by_id;
	struct index		*names;		/* normalised RDN values */
	int			 rdn_src;
	size_t			 foreign_logged;
};

static const char *const provision_op_names[] = { "rename", "modify", "add" };

static size_t
provision_attr_index(const struct provision_read *pr, const char *attr)
{
	size_t	 i;

	for (i = 0; i < pr->nattrs; i++)
		if (strcasecmp(pr->attrs[i], attr) == 0)
			return i;
	return SIZE_MAX;
}

static void
provision_want_attr(struct provision_read *pr, const char *attr, size_t len)
{
	char	*a = xstrndup(attr, len);

	if (provision_attr_index(pr, a) != SIZE_MAX) {
		free(a);
		return;
	}
	pr->attrs = xreallocarray(pr->attrs, pr->nattrs + 2,
	    sizeof *pr->attrs);
	pr->attrs[pr->nattrs++] = a;
	pr->attrs[pr->nattrs] = NULL;
}

static int
provision_entry(LDAP *ld, LDAPMessage *e, void *arg, char *err,
    size_t errlen)
{
	struct provision_read	*pr = arg;
	struct provision_entry	*pe;
	struct provision_have	*h;
	struct berval		**vals;
	struct buf		 b;
	const size_t		*ix;
	char			*dn, *anchor, vis[256];
	size_t			 i, j, n, a;

	(void)err;
	(void)errlen;
	if ((dn = ldap_get_dn(ld, e)) == NULL)
		return 0;
	a = provision_attr_index(pr, pr->tc->anchor);
	vals = ldap_get_values_len(ld, e, pr->attrs[a]);
	anchor = ldap_count_values_len(vals) == 1 ? xstrndup(vals[0]->bv_val,
	    vals[0]->bv_len) : NULL;
	ldap_value_free_len(vals);
	if (anchor == NULL || !writeback_is_id(anchor)) {
		pr->pp->foreign++;
		if (pr->foreign_logged++ < PROVISION_FOREIGN_LOG)
			log_warnx("target: %s: %s is not a person id; the entry "
			    "is left alone", str_vis(vis, sizeof vis, dn),
			    pr->tc->anchor);
		free(anchor);
		ldap_memfree(dn);
		return 0;
	}
	if (pr->nentries == pr->alloc) {
		pr->alloc = pr->alloc == 0 ? 256 : pr->alloc * 2;
		pr->entries = xreallocarray(pr->entries, pr->alloc,
		    sizeof *pr->entries);
	}
	pe = &pr->entries[pr->nentries];
	memset(pe, 0, sizeof *pe);
	pe->dn = xstrdup(dn);
	ldap_memfree(dn);
	str_copy(pe->id, anchor, sizeof pe->id);
	free(anchor);
	pe->have = xcalloc(pr->nattrs, sizeof *pe->have);
	for (i = 0; i < pr->nattrs; i++) {
		h = &pe->have[i];
		vals = ldap_get_values_len(ld, e, pr->attrs[i]);
		h->count = ldap_count_values_len(vals);
		if (h->count > 0) {
			h->first = xstrndup(vals[0]->bv_val, vals[0]->bv_len);
			buf_init(&b, 0);
			for (j = 0; j < h->count; j++) {
				if (j > 0)
					buf_append(&b, "; ", 2);
				buf_append(&b, vals[j]->bv_val,
				    vals[j]->bv_len);
			}
			h->shown = xstrdup(buf_cstr(&b));
			buf_free(&b);
		}
		ldap_value_free_len(vals);
	}
	ix = index_get(pr->by_id, pe->id, &n);
	if (n > 0) {
		pe->duplicate = 1;
		pr->entries[ix[0]].duplicate = 1;
		log_warnx("target: %s and %s both hold person %s; both are "
		    "left alone until one is removed", pr->entries[ix[0]].dn,
		    pe->dn, pe->id);
	} else
		index_add(pr->by_id, pe->id, pr->nentries);
	pr->nentries++;
	return 0;
}

/* Two DNs name one entry: their LDAPv3 forms equal ignoring case. */
static int
provision_same_dn(const char *a, const char *b)
{
	char	*na = NULL, *nb = NULL;
	int	 same;

	if (ldap_dn_normalize(a, LDAP_DN_FORMAT_LDAP, &na,
	    LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS ||
	    ldap_dn_normalize(b, LDAP_DN_FORMAT_LDAP, &nb,
	    LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
		same = strcasecmp(a, b) == 0;
	else
		same = strcasecmp(na, nb) == 0;
	ldap_memfree(na);
	ldap_memfree(nb);
	return same;
}

/* The DN of dn's parent, malloc'd, or NULL when dn does not parse. */
static char *
provision_parent(const char *dn)
{
	LDAPDN	 ldn = NULL;
	char	*p = NULL, *out = NULL;

	if (ldap_str2dn(dn, &ldn, LDAP_DN_FORMAT_LDAP) != LDAP_SUCCESS ||
	    ldn == NULL || ldn[0] == NULL)
		goto out;
	if (ldap_dn2str(&ldn[1], &p, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS &&
	    p != NULL)
		out = xstrdup(p);
out:
	ldap_memfree(p);
	if (ldn != NULL)
		ldap_dnfree(ldn);
	return out;
}

static void
provision_change_free(struct provision_change *c)
{
	size_t	 i;

	for (i = 0; i < c->nvalues; i++) {
		free(c->values[i].attr);
		free(c->values[i].before);
		free(c->values[i].after);
	}
	free(c->values);
	free(c->dn);
	free(c->new_rdn);
	free(c->new_dn);
}

/* The value an add gives attr, or NULL. */
static const char *
provision_add_value(const struct provision_change *c, const char *attr)
{
	size_t	 i;

	for (i = 0; i < c->nvalues; i++)
		if (strcasecmp(c->values[i].attr, attr) == 0)
			return c->values[i].after;
	return NULL;
}

/* Adds from..to giving attr the value v another entry (dn) holds are
 * not made. */
static void
provision_taken(struct provision_plan *pp, size_t from, size_t to,
    const char *attr, const char *v, const char *dn)
{
	struct provision_change	*c;
	const char		*want;
	size_t			 i;

	for (i = from; i < to; i++) {
		c = &pp->changes[i];
		if (c->op != PROVISION_ADD || c->skip ||
		    (want = provision_add_value(c, attr)) == NULL ||
		    strcasecmp(want, v) != 0)
			continue;
		c->skip = 1;
		pp->taken++;
		log_warnx("target: person %s is not added: %s %s is taken by "
		    "%s", c->id, attr, want, dn);
	}
}

static struct provision_change *
provision_change(struct provision_plan *pp, enum provision_op op,
    const char *id, const char *dn)
{
	struct provision_change	*c;

	if (pp->nchanges == pp->changes_alloc) {
		pp->changes_alloc = pp->changes_alloc == 0 ? 64 :
		    pp->changes_alloc * 2;
		pp->changes = xreallocarray(pp->changes, pp->changes_alloc,
		    sizeof *pp->changes);
	}
	c = &pp->changes[pp->nchanges++];
	memset(c, 0, sizeof *c);
	c->op = op;
	str_copy(c->id, id, sizeof c->id);
	c->dn = xstrdup(dn);
	return c;
}

static void
provision_value(struct provision_change *c, const char *attr,
    const char *before, const char *after)
{
	struct provision_value	*v;

	c->values = xreallocarray(c->values, c->nvalues + 1,
	    sizeof *c->values);
	v = &c->values[c->nvalues++];
	v->attr = xstrdup(attr);
	v->before = before != NULL ? xstrdup(before) : NULL;
	v->after = after != NULL && *after != '\0' ? xstrdup(after) : NULL;
}

/* Adds to c what attr needs to hold want ("" or NULL: nothing). */
static void
provision_compare(struct provision_change *c, const char *attr,
    const struct provision_have *h, const char *want)
{
	if (want != NULL && *want == '\0')
		want = NULL;
	if (want == NULL ? h->count == 0 : (h->count == 1 &&
	    strcmp(h->first, want) == 0))
		return;
	provision_value(c, attr, h->shown, want);
}

/* The flag a person's entry carries (leaver or active), NULL if none. */
static const char *
provision_flag(const struct target_config *tc, int leaver)
{
	return leaver ? tc->leaver : tc->active;
}

/*
 * One person: an add when no entry holds the id (not for a leaver, who
 * has nothing to be given), else a rename when the entry's DN is not the
 * one the person's values make, and a modify of the values that differ.
 */
/* The entry a person has, or NULL; *skip when it is left alone. */
static struct provision_entry *
provision_entry_of(struct provision_read *pr, const char *id, int *skip)
{
	struct provision_entry	*pe;
	const size_t		*ix;
	size_t			 n;

	ix = index_get(pr->by_id, id, &n);
	pe = n > 0 ? &pr->entries[ix[0]] : NULL;
	*skip = pe != NULL && pe->duplicate;
	return pe;
}

/*
 * The RDN value of a person's entry. Entries must have names of their own,
 * and an id or a username is unique, but a display name or a mail address
 * need not be: a value several persons share is made unique with the
 * username (or the id) in brackets, "David Marsh (dmarsh2)", for each of
 * them, so that which one keeps the plain name is never a matter of
 * chance.
 */
static char *
provision_rdn_value(struct provision_read *pr, sqlite3_stmt *stmt)
{
	const char	*v, *u;
	char		*key, *out;
	size_t		 n;

	v = (const char *)sqlite3_column_text(stmt, pr->rdn_src);
	if (v == NULL || *v == '\0')
		return NULL;
	key = normalise_text(v, strlen(v));
	(void)index_get(pr->names, key, &n);
	free(key);
	if (n < 2)
		return xstrdup(v);
	u = (const char *)sqlite3_column_text(stmt, 1);
	if (u == NULL || *u == '\0')
		u = (const char *)sqlite3_column_text(stmt, 0);
	xasprintf(&out, "%s (%s)", v, u);
	return out;
}

/* Counts the RDN values of the persons who will have entries. */
static void
provision_name(struct provision_read *pr, sqlite3_stmt *stmt)
{
	struct provision_entry	*pe;
	const char		*id, *v;
	char			*key;
	int			 skip, leaver;

	id = (const char *)sqlite3_column_text(stmt, 0);
	leaver = strcmp((const char *)sqlite3_column_text(stmt, 8),
	    "leaver") == 0;
	if ((pe = provision_entry_of(pr, id, &skip)) != NULL)
		pe->seen = 1;
	else if (leaver)
		return;
	v = (const char *)sqlite3_column_text(stmt, pr->rdn_src);
	if (v == NULL || *v == '\0')
		return;
	key = normalise_text(v, strlen(v));
	index_add(pr->names, key, 0);
	free(key);
}

/* Counts the RDN value of an entry's DN as taken. */
static void
provision_name_taken(struct provision_read *pr, const char *dn)
{
	LDAPDN	 ldn = NULL;
	char	*key;

	if (ldap_str2dn(dn, &ldn, LDAP_DN_FORMAT_LDAP) == LDAP_SUCCESS &&
	    ldn != NULL && ldn[0] != NULL && ldn[0][0] != NULL) {
		key = normalise_text(ldn[0][0]->la_value.bv_val,
		    ldn[0][0]->la_value.bv_len);
		index_add(pr->names, key, 0);
		free(key);
	}
	if (ldn != NULL)
		ldap_dnfree(ldn);
}

static void
provision_person(struct provision_read *pr, sqlite3_stmt *stmt)
{
	const struct target_config *tc = pr->tc;
	struct provision_plan	*pp = pr->pp;
	struct provision_entry	*pe;
	struct provision_change	*add, *mod;
	const char		*id, *v, *m, *eq, *flag;
	char			*name, *rdnv, *dn, *parent, attr[128];
	size_t			 i, n, k;
	int			 leaver, src, skip;

	id = (const char *)sqlite3_column_text(stmt, 0);
	leaver = strcmp((const char *)sqlite3_column_text(stmt, 8),
	    "leaver") == 0;
	pe = provision_entry_of(pr, id, &skip);
	if (pe != NULL)
		pe->seen = 1;
	if (skip)
		return;
	if (pe == NULL && leaver) {
		pp->leavers_absent++;
		return;
	}
	if ((name = provision_rdn_value(pr, stmt)) == NULL) {
		pp->skipped++;
		log_warnx("target: person %s has no %s to name an entry by; "
		    "left out", id, export_ldif_sources[pr->rdn_src]);
		return;
	}
	rdnv = export_rdn_value(name);
	xasprintf(&dn, "%s=%s,%s", tc->rdn, rdnv, tc->base);
	flag = provision_flag(tc, leaver);
	if (pe == NULL) {
		add = provision_change(pp, PROVISION_ADD, id, dn);
		for (i = 0; i < tc->attributes.count; i++) {
			m = tc->attributes.items[i];
			eq = strchr(m, '=');
			snprintf(attr, sizeof attr, "%.*s", (int)(eq - m), m);
			src = export_ldif_source(eq + 1);
			v = (const char *)sqlite3_column_text(stmt, src);
			/* The RDN's value is the entry's name, made unique. */
			if (strcasecmp(attr, tc->rdn) == 0)
				v = name;
			if (v != NULL && *v != '\0')
				provision_value(add, attr, NULL, v);
		}
		if (flag != NULL) {
			eq = strchr(flag, '=');
			snprintf(attr, sizeof attr, "%.*s", (int)(eq - flag),
			    flag);
			provision_value(add, attr, NULL, eq + 1);
		}
		pp->adds++;
		goto out;
	}
	pp->entries_ok++;
	/* An entry stays where it is under base (people may sort entries
	 * into OUs of their own): only its RDN follows the person. */
	if ((parent = provision_parent(pe->dn)) != NULL) {
		free(dn);
		xasprintf(&dn, "%s=%s,%s", tc->rdn, rdnv, parent);
		free(parent);
	}
	if (!provision_same_dn(pe->dn, dn)) {
		mod = provision_change(pp, PROVISION_RENAME, id, pe->dn);
		xasprintf(&mod->new_rdn, "%s=%s", tc->rdn, rdnv);
		mod->new_dn = xstrdup(dn);
		pp->renames++;
	}
	mod = provision_change(pp, PROVISION_MODIFY, id, dn);
	for (i = 0; i < tc->attributes.count; i++) {
		m = tc->attributes.items[i];
		eq = strchr(m, '=');
		snprintf(attr, sizeof attr, "%.*s", (int)(eq - m), m);
		/* The RDN's value follows the rename. */
		if (strcasecmp(attr, tc->rdn) == 0)
			continue;
		src = export_ldif_source(eq + 1);
		k = provision_attr_index(pr, attr);
		provision_compare(mod, attr, &pe->have[k],
		    (const char *)sqlite3_column_text(stmt, src));
	}
	if (flag != NULL) {
		eq = strchr(flag, '=');
		snprintf(attr, sizeof attr, "%.*s", (int)(eq - flag), flag);
		k = provision_attr_index(pr, attr);
		n = mod->nvalues;
		provision_compare(mod, attr, &pe->have[k], eq + 1);
		if (mod->nvalues > n) {
			if (leaver)
				mod->disable = 1;
			else if (tc->leaver != NULL && pe->have[k].count == 1 &&
			    strcmp(pe->have[k].first, strchr(tc->leaver, '=') +
			    1) == 0)
				mod->enable = 1;
		}
	}
	if (mod->nvalues == 0) {
		provision_change_free(mod);
		pp->nchanges--;
	} else if (mod->disable)
		pp->disables++;
	else
		pp->modifies++;
out:
	free(dn);
	free(rdnv);
	free(name);
}

/* An entry holding the id of a person idsync.db no longer has: the
 * person is gone (every account deleted), so the entry gets the leaver
 * flag. */
static void
provision_orphan(struct provision_read *pr, struct provision_entry *pe)
{
	struct provision_change	*c;
	char			 attr[128];
	const char		*eq;
	size_t			 k;

	pr->pp->orphans++;
	if (pr->tc->leaver == NULL)
		return;
	eq = strchr(pr->tc->leaver, '=');
	snprintf(attr, sizeof attr, "%.*s", (int)(eq - pr->tc->leaver),
	    pr->tc->leaver);
	k = provision_attr_index(pr, attr);
	if (pe->have[k].count == 1 && strcmp(pe->have[k].first, eq + 1) == 0)
		return;
	c = provision_change(pr->pp, PROVISION_MODIFY, pe->id, pe->dn);
	provision_value(c, attr, pe->have[k].shown, eq + 1);
	c->disable = 1;
	pr->pp->disables++;
}

/* The naming context base is in (rootDSE namingContexts), where values
 * such as sAMAccountName must be unique; base itself if none is known. */
static char *
provision_context(LDAP *ld, const char *base)
{
	static const char *const attrs[] = { "namingContexts", NULL };
	LDAPMessage	*res = NULL, *e;
	struct berval	**vals;
	char		*out = NULL, *v;
	size_t		 i, blen = strlen(base), vlen, best = 0;

	if (ldap_search_ext_s(ld, "", LDAP_SCOPE_BASE, "(objectClass=*)",
	    (char **)(uintptr_t)attrs, 0, NULL, NULL, NULL, 0, &res) ==
	    LDAP_SUCCESS && (e = ldap_first_entry(ld, res)) != NULL &&
	    (vals = ldap_get_values_len(ld, e, "namingContexts")) != NULL) {
		for (i = 0; vals[i] != NULL; i++) {
			v = xstrndup(vals[i]->bv_val, vals[i]->bv_len);
			vlen = strlen(v);
			if (vlen > best && vlen <= blen &&
			    strcasecmp(base + blen - vlen, v) == 0 &&
			    (vlen == blen || base[blen - vlen - 1] == ',')) {
				free(out);
				out = v;
				best = vlen;
			} else
				free(v);
		}
		ldap_value_free_len(vals);
	}
	ldap_msgfree(res);
	return out != NULL ? out : xstrdup(base);
}

/*
 * Values that must be unique (sAMAccountName, userPrincipalName: [target]
 * unique) are looked for in the whole naming context before an add: a
 * person whose value another entry holds is not added, and the output
 * and the log say who holds it, rather than the add failing.
 */
static int
provision_unique(struct provision_plan *pp, const struct target_config *tc,
    char *err, size_t errlen)
{
	LDAPMessage	*res, *e;
	struct berval	 bv, esc, **vals;
	struct buf	 filter;
	char		*context, *dn, *v, vis[256];
	char		*attrs[2];
	const char	*want;
	size_t		 u, i, j, k, n, batch;
	int		 rc;

	context = provision_context(pp->ld, tc->base);
	for (u = 0; u < tc->unique.count; u++) {
		attrs[0] = tc->unique.items[u];
		attrs[1] = NULL;
		for (i = 0; i < pp->nchanges; i = j) {
			buf_init(&filter, 0);
			buf_append(&filter, "(|", 2);
			for (j = i, batch = 0; j < pp->nchanges && batch < 50;
			    j++) {
				if (pp->changes[j].op != PROVISION_ADD ||
				    pp->changes[j].skip || (want =
				    provision_add_value(&pp->changes[j],
				    attrs[0])) == NULL)
					continue;
				bv.bv_val = (char *)(uintptr_t)want;
				bv.bv_len = strlen(want);
				if (ldap_bv2escaped_filter_value(&bv, &esc) != 0)
					continue;
				buf_printf(&filter, "(%s=%s)", attrs[0],
				    esc.bv_val);
				ber_memfree(esc.bv_val);
				batch++;
			}
			buf_append_char(&filter, ')');
			if (batch == 0) {
				buf_free(&filter);
				continue;
			}
			res = NULL;
			rc = ldap_search_ext_s(pp->ld, context,
			    LDAP_SCOPE_SUBTREE, buf_cstr(&filter), attrs, 0,
			    NULL, NULL, NULL, 0, &res);
			buf_free(&filter);
			if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED) {
				char why[512];

				ldap_read_error(pp->ld, rc, why, sizeof why);
				snprintf(err, errlen, "target: %s: looking for "
				    "%s values under %s: %s", pp->uri, attrs[0],
				    context, why);
				ldap_msgfree(res);
				free(context);
				return -1;
			}
			for (e = ldap_first_entry(pp->ld, res); e != NULL;
			    e = ldap_next_entry(pp->ld, e)) {
				vals = ldap_get_values_len(pp->ld, e, attrs[0]);
				n = ldap_count_values_len(vals);
				dn = ldap_get_dn(pp->ld, e);
				for (k = 0; k < n; k++) {
					v = xstrndup(vals[k]->bv_val,
					    vals[k]->bv_len);
					provision_taken(pp, i, j, attrs[0], v,
					    dn != NULL ? str_vis(vis, sizeof vis,
					    dn) : "(no DN)");
					free(v);
				}
				ldap_memfree(dn);
				ldap_value_free_len(vals);
			}
			ldap_msgfree(res);
		}
	}
	free(context);
	/* What is not added is no longer in the plan. */
	for (i = 0, n = 0; i < pp->nchanges; i++) {
		if (pp->changes[i].skip) {
			provision_change_free(&pp->changes[i]);
			pp->adds--;
			continue;
		}
		pp->changes[n++] = pp->changes[i];
	}
	pp->nchanges = n;
	return 0;
}

static int
provision_order(const void *a, const void *b)
{
	const struct provision_change	*x = a, *y = b;

	/* Renames first: a new entry may take a name one gives up. */
	if (x->op != y->op)
		return x->op < y->op ? -1 : 1;
	return strcmp(x->id, y->id);
}

int
provision_plan(struct store *st, const struct target_config *tc,
    struct provision_plan *pp, char *err, size_t errlen)
{
	struct provision_read	 pr;
	sqlite3_stmt		*stmt;
	char			 why[2048];
	size_t			 i, j, pages = 0;
	int			 rc = -1, step;
	const char		*m, *eq;

	memset(pp, 0, sizeof *pp);
	memset(&pr, 0, sizeof pr);
	pr.pp = pp;
	pr.tc = tc;
	pr.by_id = index_new();
	pr.names = index_new();
	pr.rdn_src = export_target_source(tc, tc->rdn);
	provision_want_attr(&pr, tc->anchor, strlen(tc->anchor));
	for (i = 0; i < tc->attributes.count; i++) {
		m = tc->attributes.items[i];
		eq = strchr(m, '=');
		provision_want_attr(&pr, m, (size_t)(eq - m));
	}
	if (tc->leaver != NULL)
		provision_want_attr(&pr, tc->leaver, strcspn(tc->leaver, "="));
	if (tc->active != NULL)
		provision_want_attr(&pr, tc->active, strcspn(tc->active, "="));

	pp->conn = tc->conn;
	pp->conn.item.label = (char *)(uintptr_t)PROVISION_AUDIT_NAME;
	pp->conn.base = tc->base;
	xasprintf(&pp->filter, "(%s=*)", tc->anchor);
	pp->conn.filter = pp->filter;
	pp->conn.max_accounts = INT64_MAX;
	if ((pp->ld = ldap_read_open(&pp->conn, pp->uri, sizeof pp->uri, why,
	    sizeof why)) == NULL) {
		snprintf(err, errlen, "target: %s", why);
		goto out;
	}
	if (ldap_read_each(pp->ld, &pp->conn, pp->uri, pr.attrs,
	    provision_entry, &pr, &pages, why, sizeof why) == -1) {
		snprintf(err, errlen, "target: %s", why);
		goto out;
	}
	pp->entries = pr.nentries;

	if ((stmt = db_stmt(store_db(st), "SELECT " EXPORT_PERSON_COLUMNS
	    " FROM persons ORDER BY id", err, errlen)) == NULL)
		goto out;
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW)
		provision_name(&pr, stmt);
	sqlite3_reset(stmt);
	if (step != SQLITE_DONE) {
		db_error(store_db(st), "read persons", err, errlen);
		goto out;
	}
	/* Entries of persons no longer there keep their names. */
	for (i = 0; i < pr.nentries; i++)
		if (!pr.entries[i].seen)
			provision_name_taken(&pr, pr.entries[i].dn);
	for (i = 0; i < pr.nentries; i++)
		pr.entries[i].seen = 0;
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW)
		provision_person(&pr, stmt);
	sqlite3_reset(stmt);
	if (step != SQLITE_DONE) {
		db_error(store_db(st), "read persons", err, errlen);
		goto out;
	}
	for (i = 0; i < pr.nentries; i++)
		if (!pr.entries[i].seen && !pr.entries[i].duplicate)
			provision_orphan(&pr, &pr.entries[i]);
		else if (pr.entries[i].duplicate)
			pp->duplicates++;
	if (tc->unique.count > 0 && provision_unique(pp, tc, err,
	    errlen) == -1)
		goto out;
	if (pp->nchanges > 1)
		qsort(pp->changes, pp->nchanges, sizeof *pp->changes,
		    provision_order);
	rc = 0;
out:
	for (i = 0; i < pr.nentries; i++) {
		free(pr.entries[i].dn);
		for (j = 0; j < pr.nattrs; j++) {
			free(pr.entries[i].have[j].first);
			free(pr.entries[i].have[j].shown);
		}
		free(pr.entries[i].have);
	}
	free(pr.entries);
	for (i = 0; i < pr.nattrs; i++)
		free(pr.attrs[i]);
	free(pr.attrs);
	index_free(pr.by_id);
	index_free(pr.names);
	return rc;
}

void
provision_print(const struct provision_plan *pp, int with_diff, FILE *fp)
{
	const struct provision_change	*c;
	const struct provision_value	*v;
	char				 x[1024], y[1024];
	size_t				 i, j;

	fprintf(fp, "target %s: %zu to add, %zu to modify, %zu to rename, "
	    "%zu to disable; %zu entries hold a person's id\n", pp->uri,
	    pp->adds, pp->modifies, pp->renames, pp->disables, pp->entries);
	if (pp->leavers_absent > 0)
		fprintf(fp, "  %zu leaver%s without an entry: none added\n",
		    pp->leavers_absent, pp->leavers_absent == 1 ? "" : "s");
	if (pp->orphans > 0)
		fprintf(fp, "  %zu entr%s of persons no longer known: given the "
		    "leaver flag, never deleted\n", pp->orphans,
		    pp->orphans == 1 ? "y" : "ies");
	if (pp->foreign > 0)
		fprintf(fp, "  %zu entr%s whose anchor is not a person id: "
		    "left alone\n", pp->foreign, pp->foreign == 1 ? "y" :
		    "ies");
	if (pp->duplicates > 0)
		fprintf(fp, "  %zu entries hold a person id another entry holds "
		    "too: left alone\n", pp->duplicates);
	if (pp->skipped > 0)
		fprintf(fp, "  %zu person%s without a value to name an entry "
		    "by: left out\n", pp->skipped, pp->skipped == 1 ? "" : "s");
	if (pp->taken > 0)
		fprintf(fp, "  %zu person%s not added: a value that must be "
		    "unique is another entry's (the log says whose)\n",
		    pp->taken, pp->taken == 1 ? "" : "s");
	if (!with_diff)
		return;
	/* Names and values come from directories: shown, not obeyed, by a
	 * terminal. */
	for (i = 0; i < pp->nchanges; i++) {
		c = &pp->changes[i];
		if (c->op == PROVISION_RENAME) {
			fprintf(fp, "rename %s -> %s\n", str_vis(x, sizeof x,
			    c->dn), str_vis(y, sizeof y, c->new_dn));
			continue;
		}
		fprintf(fp, "%s %s%s\n", provision_op_names[c->op],
		    str_vis(x, sizeof x, c->dn), c->disable ? " (disable)" :
		    c->enable ? " (enable)" : "");
		for (j = 0; j < c->nvalues; j++) {
			v = &c->values[j];
			if (c->op == PROVISION_ADD)
				fprintf(fp, "  %s: %s\n", v->attr,
				    str_vis(y, sizeof y, v->after));
			else
				fprintf(fp, "  %s: %s -> %s\n", v->attr,
				    v->before != NULL ? str_vis(x, sizeof x,
				    v->before) : "(none)", v->after != NULL ?
				    str_vis(y, sizeof y, v->after) : "(none)");
		}
	}
}

/* The write itself: one LDAP operation. */
static int
provision_write(LDAP *ld, const struct target_config *tc,
    const struct provision_change *c)
{
	LDAPMod		 *mods, **list;
	struct berval	 *bvs, **vals, *ocs, **ocv;
	size_t		  i, n;
	int		  rc;

	if (c->op == PROVISION_RENAME)
		return ldap_rename_s(ld, c->dn, c->new_rdn, NULL, 1, NULL,
		    NULL);
	n = c->nvalues;
	mods = xcalloc(n + 1, sizeof *mods);
	list = xcalloc(n + 2, sizeof *list);
	bvs = xcalloc(n + 1, sizeof *bvs);
	vals = xcalloc(2 * n + 1, sizeof *vals);	/* value, NULL, ... */
	for (i = 0; i < n; i++) {
		mods[i].mod_type = c->values[i].attr;
		if (c->values[i].after == NULL)
			mods[i].mod_op = LDAP_MOD_DELETE | LDAP_MOD_BVALUES;
		else {
			mods[i].mod_op = (c->op == PROVISION_ADD ? LDAP_MOD_ADD :
			    LDAP_MOD_REPLACE) | LDAP_MOD_BVALUES;
			bvs[i].bv_val = c->values[i].after;
			bvs[i].bv_len = strlen(c->values[i].after);
			vals[2 * i] = &bvs[i];
			mods[i].mod_bvalues = &vals[2 * i];
		}
		list[i] = &mods[i];
	}
	ocs = xcalloc(tc->object_classes.count + 1, sizeof *ocs);
	ocv = xcalloc(tc->object_classes.count + 1, sizeof *ocv);
	if (c->op == PROVISION_ADD) {
		for (i = 0; i < tc->object_classes.count; i++) {
			ocs[i].bv_val = tc->object_classes.items[i];
			ocs[i].bv_len = strlen(tc->object_classes.items[i]);
			ocv[i] = &ocs[i];
		}
		mods[n].mod_op = LDAP_MOD_ADD | LDAP_MOD_BVALUES;
		mods[n].mod_type = (char *)(uintptr_t)"objectClass";
		mods[n].mod_bvalues = ocv;
		list[n] = &mods[n];
		rc = ldap_add_ext_s(ld, c->dn, list, NULL, NULL);
	} else
		rc = ldap_modify_ext_s(ld, c->dn, list, NULL, NULL);
	free(ocv);
	free(ocs);
	free(vals);
	free(bvs);
	free(list);
	free(mods);
	return rc;
}

int
provision_apply(struct store *st, struct provision_plan *pp,
    const struct target_config *tc, int64_t run_id, size_t *written,
    size_t *failed, char *err, size_t errlen)
{
	struct provision_change	*c;
	struct audit_entry	 ae;
	int64_t			*ids;
	char			 user[256], why[512], dberr[512];
	size_t			 i, j, nids, in_row = 0;
	int			 rc;

	*written = *failed = 0;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (pp->ld == NULL || pp->nchanges == 0)
		return 0;
	writeback_user(user, sizeof user);
	for (i = 0; i < pp->nchanges; i++) {
		c = &pp->changes[i];
		ids = xcalloc(c->nvalues + 1, sizeof *ids);
		nids = c->op == PROVISION_RENAME ? 1 : c->nvalues;
		/* Recorded before they are made: a write the program dies in
		 * is still in the audit. */
		for (j = 0; j < nids; j++) {
			memset(&ae, 0, sizeof ae);
			ae.run_id = run_id;
			ae.by = user;
			ae.bind_dn = tc->conn.bind_dn;
			ae.domain = PROVISION_AUDIT_NAME;
			ae.guid = c->id;
			ae.dn = c->dn;
			if (c->op == PROVISION_RENAME) {
				ae.attribute = "dn";
				ae.before = c->dn;
				ae.after = c->new_dn;
			} else {
				ae.attribute = c->values[j].attr;
				ae.before = c->values[j].before;
				ae.after = c->values[j].after;
			}
			if (store_audit_begin(st, &ae, wtime_now_ms(), &ids[j],
			    dberr, sizeof dberr) == -1) {
				snprintf(err, errlen, "%s; nothing more was "
				    "written", dberr);
				free(ids);
				return -1;
			}
		}
		rc = provision_write(pp->ld, tc, c);
		if (rc == LDAP_SUCCESS) {
			(*written)++;
			in_row = 0;
			log_debug("target: %s %s", provision_op_names[c->op],
			    c->op == PROVISION_RENAME ? c->new_dn : c->dn);
		} else {
			ldap_read_error(pp->ld, rc, why, sizeof why);
			if (rc == LDAP_ALREADY_EXISTS)
				(void)snprintf(why + strlen(why), sizeof why -
				    strlen(why), ": an entry of that name is "
				    "there without %s (someone else's, or a "
				    "person whose name collides)", tc->anchor);
			(*failed)++;
			in_row++;
			log_warnx("target: %s %s failed: %s",
			    provision_op_names[c->op], c->dn, why);
		}
		for (j = 0; j < nids; j++)
			if (store_audit_end(st, ids[j], rc == LDAP_SUCCESS ?
			    NULL : why, wtime_now_ms(), dberr,
			    sizeof dberr) == -1) {
				snprintf(err, errlen, "%s; nothing more was "
				    "written", dberr);
				free(ids);
				return -1;
			}
		free(ids);
		if (rc != LDAP_SUCCESS && (writeback_lost(rc) ||
		    in_row >= WRITEBACK_FAILS_MAX)) {
			snprintf(err, errlen, "target: %s: stopped after %zu of "
			    "%zu writes: %s", pp->uri, *written,
			    pp->nchanges, why);
			return -1;
		}
	}
	log_info("target: %zu write%s to %s%s", *written, *written == 1 ? "" :
	    "s", pp->uri, *failed > 0 ? " (some failed)" : "");
	if (*failed > 0) {
		snprintf(err, errlen, "target: %zu write%s failed (the log and "
		    "\"ward-idsync audit\" say why)", *failed,
		    *failed == 1 ? "" : "s");
		return -1;
	}
	return 0;
}

void
provision_clear(struct provision_plan *pp)
{
	size_t	 i;

	for (i = 0; i < pp->nchanges; i++)
		provision_change_free(&pp->changes[i]);
	free(pp->changes);
	ldap_read_close(pp->ld);
	free(pp->filter);
	memset(pp, 0, sizeof *pp);
}
