/* writeback.c: writing each person's id to an attribute of its accounts in
 * the source domains (so that a directory synchroniser can join a person's
 * accounts on it): what to write, from idsync.db and the values the
 * directories hold now, and the writes themselves, each one audited. */
#include "config.h"

#include <sys/types.h>

#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <lber.h>
#include <ldap.h>
#include <sqlite3.h>

#include "common/db.h"
#include "common/log.h"
#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "idsync/idsync.h"

/* Values of the attribute that are not ours are named in the log up to
 * this many times per domain. */
#define WRITEBACK_FOREIGN_LOG	5

/* One account of idsync.db in a domain: the value it should hold. */
struct writeback_want {
	char		*want;		/* person id, or NULL: none */
	char		*name;		/* "btuh\\jsmith" */
	int		 seen;		/* found in the directory */
};

struct writeback_domain {
	const struct domain_config *d;
	size_t		 index;		/* of the [domain] */
	LDAP		*ld;
	char		 uri[512];
	struct index	*want_ix;	/* guid -> into want */
	struct writeback_want *want;
	size_t		 nwant;
	const struct index *ours;
	const char	*attribute;
	struct writeback_plan *wp;
	size_t		 foreign;
};

int
writeback_is_id(const char *s)
{
	size_t	 i;

	if (s == NULL || strlen(s) != DECODE_GUID_LEN - 1)
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	}
	return 1;
}

/* The values ward-idsync may replace or clear: ids of persons it knows,
 * and values it wrote itself. Anything else belongs to someone else. */
static int
writeback_ours(struct store *st, struct index *ours, char *err,
    size_t errlen)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	if ((stmt = db_stmt(store_db(st), "SELECT id FROM persons UNION "
	    "SELECT after FROM audit WHERE outcome = 'done' AND after IS NOT "
	    "NULL", err, errlen)) == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		index_add(ours, (const char *)sqlite3_column_text(stmt, 0), 0);
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		db_error(store_db(st), "read person ids", err, errlen);
		return -1;
	}
	return 0;
}

/* What each account of the domain in idsync.db should hold: its person's
 * id when it is the person's primary account, nothing otherwise (admin
 * accounts are not the person's identity elsewhere). */
static int
writeback_wanted(struct store *st, struct writeback_domain *wd, char *err,
    size_t errlen)
{
	sqlite3_stmt		*stmt;
	struct writeback_want	*w;
	const char		*sam, *pid, *role;
	size_t			 alloc = 0;
	int			 rc;

	if ((stmt = db_stmt(store_db(st), "SELECT a.guid, a.sam, l.person_id, "
	    "l.role FROM accounts a LEFT JOIN links l ON l.domain = a.domain "
	    "AND l.guid = a.guid WHERE a.domain = ? ORDER BY a.guid", err,
	    errlen)) == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, wd->d->item.label, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (wd->nwant == alloc) {
			alloc = alloc == 0 ? 256 : alloc * 2;
			wd->want = xreallocarray(wd->want, alloc,
			    sizeof *wd->want);
		}
		w = &wd->want[wd->nwant];
		memset(w, 0, sizeof *w);
		sam = (const char *)sqlite3_column_text(stmt, 1);
		pid = (const char *)sqlite3_column_text(stmt, 2);
		role = (const char *)sqlite3_column_text(stmt, 3);
		if (pid != NULL && role != NULL && strcmp(role, "primary") == 0)
			w->want = xstrdup(pid);
		xasprintf(&w->name, "%s\\%s", wd->d->item.label, sam != NULL ?
		    sam : (const char *)sqlite3_column_text(stmt, 0));
		index_add(wd->want_ix, (const char *)sqlite3_column_text(stmt,
		    0), wd->nwant);
		wd->nwant++;
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		db_error(store_db(st), "read links", err, errlen);
		return -1;
	}
	return 0;
}

static void
writeback_add(struct writeback_plan *wp, const struct writeback_domain *wd,
    const char *guid, const char *dn, const struct writeback_want *w,
    const char *before)
{
	struct writeback_change	*c;

	if (wp->nchanges == wp->changes_alloc) {
		wp->changes_alloc = wp->changes_alloc == 0 ? 64 :
		    wp->changes_alloc * 2;
		wp->changes = xreallocarray(wp->changes, wp->changes_alloc,
		    sizeof *wp->changes);
	}
	c = &wp->changes[wp->nchanges++];
	memset(c, 0, sizeof *c);
	c->domain = wd->index;
	str_copy(c->guid, guid, sizeof c->guid);
	c->dn = xstrdup(dn);
	c->name = xstrdup(w->name);
	c->before = before != NULL ? xstrdup(before) : NULL;
	c->after = w->want != NULL ? xstrdup(w->want) : NULL;
	if (before == NULL)
		wp->sets++;
	else if (w->want == NULL)
		wp->clears++;
	else
		wp->replaces++;
}

/* One entry of the directory: the value it holds against the one it
 * should. */
static int
writeback_entry(LDAP *ld, LDAPMessage *e, void *arg, char *err,
    size_t errlen)
{
	struct writeback_domain	*wd = arg;
	struct writeback_want	*w;
	struct berval		**vals;
	const size_t		*ix;
	char			*dn = NULL, *cur = NULL;
	char			 guid[DECODE_GUID_LEN];
	char			 why[128], vis[256];
	size_t			 n, nvals;

	(void)err;
	(void)errlen;
	vals = ldap_get_values_len(ld, e, "objectGUID");
	if (vals == NULL || vals[0] == NULL || decode_guid(
	    (const unsigned char *)vals[0]->bv_val, vals[0]->bv_len, guid,
	    sizeof guid, why, sizeof why) == -1) {
		ldap_value_free_len(vals);
		return 0;
	}
	ldap_value_free_len(vals);
	ix = index_get(wd->want_ix, guid, &n);
	if (n == 0)
		return 0;	/* new since the last run: the next one */
	w = &wd->want[ix[0]];
	w->seen = 1;
	if ((dn = ldap_get_dn(ld, e)) == NULL)
		return 0;
	vals = ldap_get_values_len(ld, e, wd->attribute);
	nvals = ldap_count_values_len(vals);
	if (nvals > 0 && vals[0]->bv_len < 4096 &&
	    memchr(vals[0]->bv_val, '\0', vals[0]->bv_len) == NULL)
		cur = xstrndup(vals[0]->bv_val, vals[0]->bv_len);
	ldap_value_free_len(vals);
	if (nvals > 1 || (nvals == 1 && cur == NULL) || (cur != NULL &&
	    (!writeback_is_id(cur) || index_get(wd->ours, cur, &n) == NULL))) {
		/* Someone else's value: left alone, whatever it is. */
		if (cur == NULL || w->want == NULL ||
		    strcmp(cur, w->want) != 0) {
			wd->wp->foreign++;
			if (wd->foreign++ < WRITEBACK_FOREIGN_LOG)
				log_warnx("domain %s: %s holds %s \"%s\", "
				    "which ward-idsync did not write; left "
				    "alone", wd->d->item.label, w->name,
				    wd->attribute, cur != NULL ? str_vis(vis,
				    sizeof vis, cur) : "(several values)");
		}
	} else {
		if (cur != NULL)
			wd->wp->holding++;
		if ((cur == NULL) != (w->want == NULL) || (cur != NULL &&
		    strcmp(cur, w->want) != 0))
			writeback_add(wd->wp, wd, guid, dn, w, cur);
	}
	free(cur);
	ldap_memfree(dn);
	return 0;
}

int
writeback_plan(struct store *st, const struct cfg_items *domains,
    const char *attribute, struct writeback_plan *wp, char *err,
    size_t errlen)
{
	struct writeback_domain	*wd;
	struct index		*ours;
	char			*attrs[3], why[2048];
	size_t			 i, j, pages;
	int			 rc = -1;

	memset(wp, 0, sizeof *wp);
	wp->domains = xcalloc(domains->count > 0 ? domains->count : 1,
	    sizeof *wp->domains);
	wp->ndomains = domains->count;
	ours = index_new();
	if (writeback_ours(st, ours, err, errlen) == -1)
		goto out;
	attrs[0] = (char *)(uintptr_t)"objectGUID";
	attrs[1] = (char *)(uintptr_t)attribute;
	attrs[2] = NULL;
	for (i = 0; i < domains->count; i++) {
		wd = &wp->domains[i];
		wd->d = domains->items[i];
		wd->index = i;
		wd->attribute = attribute;
		wd->ours = ours;
		wd->wp = wp;
		if (!wd->d->writeback)
			continue;
		wd->want_ix = index_new();
		if (writeback_wanted(st, wd, err, errlen) == -1)
			goto out;
		if ((wd->ld = ldap_read_open(wd->d, wd->uri, sizeof wd->uri,
		    why, sizeof why)) == NULL) {
			snprintf(err, errlen, "domain %s: %s",
			    wd->d->item.label, why);
			goto out;
		}
		pages = 0;
		if (ldap_read_each(wd->ld, wd->d, wd->uri, attrs,
		    writeback_entry, wd, &pages, why, sizeof why) == -1) {
			snprintf(err, errlen, "domain %s: %s",
			    wd->d->item.label, why);
			goto out;
		}
		for (j = 0; j < wd->nwant; j++)
			if (!wd->want[j].seen)
				wp->missing++;
	}
	rc = 0;
out:
	/* The plan keeps no pointer into ours. */
	for (i = 0; i < wp->ndomains; i++)
		wp->domains[i].ours = NULL;
	index_free(ours);
	return rc;
}

void
writeback_user(char *dst, size_t size)
{
	struct passwd	 pw, *res = NULL;
	char		 buf[1024];

	if (getpwuid_r(geteuid(), &pw, buf, sizeof buf, &res) == 0 &&
	    res != NULL)
		str_copy(dst, pw.pw_name, size);
	else
		snprintf(dst, size, "uid %lu", (unsigned long)geteuid());
}

int
writeback_lost(int rc)
{
	return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR ||
	    rc == LDAP_TIMEOUT || rc == LDAP_UNAVAILABLE || rc == LDAP_BUSY;
}

/*
 * One value, written so that it only lands on what was read: a set adds
 * the value (refused if one appeared meanwhile), a replace deletes the old
 * value and adds the new in one modify (refused if the old one is no longer
 * there), a clear deletes the old value.
 */
static int
writeback_modify(LDAP *ld, const struct writeback_change *c,
    const char *attribute)
{
	LDAPMod		 del, add, *mods[3];
	struct berval	 bb, ba, *vb[2], *va[2];
	size_t		 n = 0;

	if (c->before != NULL) {
		bb.bv_val = c->before;
		bb.bv_len = strlen(c->before);
		vb[0] = &bb;
		vb[1] = NULL;
		memset(&del, 0, sizeof del);
		del.mod_op = LDAP_MOD_DELETE | LDAP_MOD_BVALUES;
		del.mod_type = (char *)(uintptr_t)attribute;
		del.mod_bvalues = vb;
		mods[n++] = &del;
	}
	if (c->after != NULL) {
		ba.bv_val = c->after;
		ba.bv_len = strlen(c->after);
		va[0] = &ba;
		va[1] = NULL;
		memset(&add, 0, sizeof add);
		add.mod_op = LDAP_MOD_ADD | LDAP_MOD_BVALUES;
		add.mod_type = (char *)(uintptr_t)attribute;
		add.mod_bvalues = va;
		mods[n++] = &add;
	}
	mods[n] = NULL;
	return ldap_modify_ext_s(ld, c->dn, mods, NULL, NULL);
}

int
writeback_apply(struct store *st, struct writeback_plan *wp,
    const char *attribute, int64_t run_id, size_t *written, size_t *failed,
    char *err, size_t errlen)
{
	struct writeback_domain	*wd;
	struct writeback_change	*c;
	struct audit_entry	 ae;
	char			 user[256], why[512], dberr[512];
	size_t			 i, j, done, tried, in_row, total;
	int64_t			 id;
	int			 rc, ok = 1;

	*written = *failed = 0;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	writeback_user(user, sizeof user);
	for (i = 0; i < wp->ndomains; i++) {
		wd = &wp->domains[i];
		if (wd->ld == NULL)
			continue;
		done = tried = in_row = total = 0;
		for (j = 0; j < wp->nchanges; j++)
			total += wp->changes[j].domain == i;
		for (j = 0; j < wp->nchanges; j++) {
			c = &wp->changes[j];
			if (c->domain != i)
				continue;
			memset(&ae, 0, sizeof ae);
			ae.run_id = run_id;
			ae.by = user;
			ae.bind_dn = wd->d->bind_dn;
			ae.domain = wd->d->item.label;
			ae.guid = c->guid;
			ae.dn = c->dn;
			ae.attribute = attribute;
			ae.before = c->before;
			ae.after = c->after;
			/* Recorded before it is made: a write the program
			 * dies in is still in the audit. */
			if (store_audit_begin(st, &ae, wtime_now_ms(), &id,
			    dberr, sizeof dberr) == -1) {
				snprintf(err, errlen, "%s; nothing more was "
				    "written", dberr);
				return -1;
			}
			tried++;
			rc = writeback_modify(wd->ld, c, attribute);
			if (rc == LDAP_SUCCESS) {
				done++;
				in_row = 0;
				log_debug("domain %s: %s %s: %s -> %s",
				    wd->d->item.label, c->name, attribute,
				    c->before != NULL ? c->before : "(none)",
				    c->after != NULL ? c->after : "(none)");
			} else {
				ldap_read_error(wd->ld, rc, why, sizeof why);
				(*failed)++;
				in_row++;
				log_warnx("domain %s: %s: writing %s failed: "
				    "%s", wd->d->item.label, c->name,
				    attribute, why);
			}
			if (store_audit_end(st, id, rc == LDAP_SUCCESS ? NULL :
			    why, wtime_now_ms(), dberr, sizeof dberr) == -1) {
				snprintf(err, errlen, "%s; nothing more was "
				    "written", dberr);
				return -1;
			}
			if (rc != LDAP_SUCCESS && (writeback_lost(rc) ||
			    in_row >= WRITEBACK_FAILS_MAX)) {
				ok = 0;
				(void)snprintf(err + strlen(err), errlen -
				    strlen(err), "%sdomain %s: %s: stopped "
				    "after %zu of its %zu writes: %s",
				    *err != '\0' ? "; " : "",
				    wd->d->item.label, wd->uri, done, total,
				    why);
				break;
			}
		}
		*written += done;
		if (tried > 0)
			log_info("domain %s: wrote %s to %zu account%s%s",
			    wd->d->item.label, attribute, done, done == 1 ?
			    "" : "s", tried > done ? " (some failed)" : "");
	}
	if (!ok)
		return -1;
	if (*failed > 0) {
		snprintf(err, errlen, "%zu write%s failed (the log and "
		    "\"ward-idsync audit\" say why)", *failed,
		    *failed == 1 ? "" : "s");
		return -1;
	}
	return 0;
}

void
writeback_clear(struct writeback_plan *wp)
{
	struct writeback_domain	*wd;
	size_t			 i, j;

	for (i = 0; i < wp->nchanges; i++) {
		free(wp->changes[i].dn);
		free(wp->changes[i].name);
		free(wp->changes[i].before);
		free(wp->changes[i].after);
	}
	free(wp->changes);
	for (i = 0; i < wp->ndomains; i++) {
		wd = &wp->domains[i];
		ldap_read_close(wd->ld);
		index_free(wd->want_ix);
		for (j = 0; j < wd->nwant; j++) {
			free(wd->want[j].want);
			free(wd->want[j].name);
		}
		free(wd->want);
	}
	free(wp->domains);
	memset(wp, 0, sizeof *wp);
}
