/* review.c: what a person reviewing idsync reads and decides: the
 * conflicts with their candidates and scores, one person and why each of
 * its accounts is linked, the run history; and the link, unlink and
 * never-link decisions the next run applies. */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "common/db.h"
#include "common/log.h"
#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "idsync/idsync.h"

/* The persons person QUERY shows at most. */
#define REVIEW_PERSONS_MAX	50
#define REVIEW_PERSONS_MAX_SQL	"50"

static const char *
col(sqlite3_stmt *stmt, int i)
{
	const unsigned char	*s = sqlite3_column_text(stmt, i);

	return s != NULL ? (const char *)s : "";
}

/*
 * Column i as it may be printed: what the directories hold can carry
 * terminal escapes, line breaks and bytes that are not UTF-8, shown as
 * \xNN (str_vis_text). One of a few buffers, good for the next few calls: all
 * the arguments of one printf.
 */
static const char *
vcol(sqlite3_stmt *stmt, int i)
{
	static char	 vis[16][4096];
	static unsigned	 next;

	return str_vis_text(vis[next++ % 16], sizeof vis[0], col(stmt, i));
}

static int
review_done(struct store *st, sqlite3_stmt *stmt, int rc, const char *what,
    char *err, size_t errlen)
{
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		db_error(store_db(st), what, err, errlen);
		return -1;
	}
	return 0;
}

/*
 * The conflicts of the last run, or those holding one account (a name
 * store_find_account takes), at most limit of them (-1: all): how many
 * there are, then each with its accounts, their scores and what agreed:
 * first those where something contradicts (a decision, two candidates
 * alike, an attribute that must agree), then those to review (an
 * account that waits and its candidates), the likeliest to be one person
 * (the highest score) first: those at the top decide most.
 */
int
review_conflicts(struct store *st, const char *account, int64_t limit,
    FILE *fp, size_t *count, char *err, size_t errlen)
{
	sqlite3_stmt	*ts, *cs, *ms;
	char		 domain[128], guid[DECODE_GUID_LEN], vis[128];
	const char	*sep;
	int64_t		 total, accounts;
	int		 rc;

	*count = 0;
	if (account != NULL && store_find_account(st, account, domain,
	    sizeof domain, guid, err, errlen) == -1)
		return -1;
	if ((ts = db_stmt(store_db(st), "SELECT count(*), (SELECT count(*) "
	    "FROM (SELECT DISTINCT domain, guid FROM conflict_accounts)) "
	    "FROM conflicts WHERE ?1 IS NULL OR id IN (SELECT conflict_id "
	    "FROM conflict_accounts WHERE domain = ?1 AND guid = ?2)", err,
	    errlen)) == NULL ||
	    (cs = db_stmt(store_db(st), "SELECT id, kind, summary FROM "
	    "conflicts WHERE ?1 IS NULL OR id IN (SELECT conflict_id FROM "
	    "conflict_accounts WHERE domain = ?1 AND guid = ?2) "
	    "ORDER BY " IDSYNC_CONFLICT_ORDER " LIMIT ?3", err,
	    errlen)) == NULL ||
	    (ms = db_stmt(store_db(st), "SELECT c.domain, a.sam, c.guid, "
	    "c.person_id, c.score, c.detail FROM conflict_accounts c "
	    "LEFT JOIN accounts a ON a.domain = c.domain AND a.guid = c.guid "
	    "WHERE c.conflict_id = ? ORDER BY c.rowid", err, errlen)) == NULL)
		return -1;
	if (account != NULL) {
		sqlite3_bind_text(ts, 1, domain, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ts, 2, guid, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(cs, 1, domain, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(cs, 2, guid, -1, SQLITE_TRANSIENT);
	} else {
		sqlite3_bind_null(ts, 1);
		sqlite3_bind_null(cs, 1);
	}
	sqlite3_bind_int64(cs, 3, limit);
	if ((rc = sqlite3_step(ts)) != SQLITE_ROW)
		return review_done(st, ts, rc, "count conflicts", err, errlen);
	total = sqlite3_column_int64(ts, 0);
	accounts = sqlite3_column_int64(ts, 1);
	sqlite3_reset(ts);
	if (account != NULL) {
		/* The domain as configured, the rest as it was given. */
		if ((sep = strpbrk(account, "\\:")) != NULL)
			account = sep + 1;
		if (total == 0)
			fprintf(fp, "no conflicts hold %s\\%s\n", domain,
			    str_vis_text(vis, sizeof vis, account));
		else
			fprintf(fp, "%lld conflicts hold %s\\%s\n",
			    (long long)total, domain, str_vis_text(vis, sizeof vis,
			    account));
	} else if (total == 0)
		fprintf(fp, "no conflicts\n");
	else
		fprintf(fp, "%lld conflicts over %lld accounts\n",
		    (long long)total, (long long)accounts);
	if (total == 0)
		return review_done(st, cs, SQLITE_DONE, "list conflicts", err,
		    errlen);
	if (limit >= 0 && total > limit)
		fprintf(fp, "the first %lld follow: where something "
		    "contradicts, then the likeliest to be one person; --all "
		    "lists every one\n", (long long)limit);
	while ((rc = sqlite3_step(cs)) == SQLITE_ROW) {
		fprintf(fp, "\nconflict %lld (%s): %s\n",
		    (long long)sqlite3_column_int64(cs, 0), vcol(cs, 1),
		    vcol(cs, 2));
		sqlite3_bind_int64(ms, 1, sqlite3_column_int64(cs, 0));
		while (sqlite3_step(ms) == SQLITE_ROW) {
			fprintf(fp, "  %s\\%s  %s  person %s", vcol(ms, 0),
			    *vcol(ms, 1) != '\0' ? vcol(ms, 1) : vcol(ms, 2),
			    vcol(ms, 2), *vcol(ms, 3) != '\0' ? vcol(ms, 3) :
			    "(none)");
			if (sqlite3_column_type(ms, 4) != SQLITE_NULL)
				fprintf(fp, "  score %.1f",
				    sqlite3_column_double(ms, 4));
			fputc('\n', fp);
			if (*vcol(ms, 5) != '\0')
				fprintf(fp, "    %s\n", vcol(ms, 5));
		}
		sqlite3_reset(ms);
		(*count)++;
	}
	return review_done(st, cs, rc, "list conflicts", err, errlen);
}

/* The attributes a domain reads for itself and keeps ([domain] attributes
 * = NAME), from an account's saved attributes (JSON), a line each. */
static void
review_print_extra(const struct cfg_items *domains, const char *domain,
    const char *attrs, FILE *fp)
{
	const struct domain_config	*d = NULL;
	json_t				*doc, *vals, *v;
	char				 name[80], src[80], vis[256];
	size_t				 i, k;

	if ((i = store_domain_index(domains, domain)) != SIZE_MAX)
		d = domains->items[i];
	if (d == NULL || d->attributes.count == 0 ||
	    (doc = json_loads(attrs, 0, NULL)) == NULL)
		return;
	for (i = 0; i < d->attributes.count; i++) {
		domain_attribute(d, i, name, src, sizeof name);
		if (*src != '\0' ||
		    !json_is_array(vals = json_object_get(doc, name)))
			continue;
		fprintf(fp, "    %s:", name);
		json_array_foreach(vals, k, v)
			if (json_is_string(v))
				fprintf(fp, "%s %s", k > 0 ? "," : "",
				    str_vis(vis, sizeof vis,
				    json_string_value(v)));
		fputc('\n', fp);
	}
	json_decref(doc);
}

static void
review_print_person(struct store *st, const struct cfg_items *domains,
    sqlite3_stmt *p, sqlite3_stmt *acc, FILE *fp)
{
	char	 when[WTIME_ISO8601_LEN];

	fprintf(fp, "person %s  %s  (%s)", vcol(p, 0), vcol(p, 1), vcol(p, 3));
	if (*vcol(p, 2) != '\0')
		fprintf(fp, "  employeeID %s", vcol(p, 2));
	fprintf(fp, "\n  since run %lld, %s", (long long)sqlite3_column_int64(p,
	    4), wtime_format_iso8601(when, sizeof when,
	    sqlite3_column_int64(p, 5)));
	if (*vcol(p, 9) != '\0')
		fprintf(fp, "; last run: %s", vcol(p, 9));
	fputc('\n', fp);
	if (*vcol(p, 6) != '\0')
		fprintf(fp, "  username %s%s%s\n", vcol(p, 6),
		    *vcol(p, 7) != '\0' ? "  UPN " : "", vcol(p, 7));
	if (*vcol(p, 8) != '\0')
		fprintf(fp, "  mail %s\n", vcol(p, 8));
	(void)st;
	sqlite3_bind_text(acc, 1, col(p, 0), -1, SQLITE_TRANSIENT);
	while (sqlite3_step(acc) == SQLITE_ROW) {
		fprintf(fp, "  %s\\%s  %s %s  %s%s  %s", vcol(acc, 0),
		    vcol(acc, 1), vcol(acc, 3), vcol(acc, 4),
		    sqlite3_column_int(acc, 5) ? "enabled" : "disabled",
		    sqlite3_column_int(acc, 13) ? ", password must change" :
		    "", vcol(acc, 6));
		if (*vcol(acc, 7) != '\0')
			fprintf(fp, " with %s\\%s", vcol(acc, 7),
			    *vcol(acc, 8) != '\0' ? vcol(acc, 8) : vcol(acc, 12));
		fprintf(fp, "  (run %lld)\n",
		    (long long)sqlite3_column_int64(acc, 10));
		fprintf(fp, "    %s  %s\n", vcol(acc, 2), vcol(acc, 11));
		if (*vcol(acc, 9) != '\0')
			fprintf(fp, "    %s\n", vcol(acc, 9));
		review_print_extra(domains, col(acc, 0), col(acc, 14), fp);
	}
	sqlite3_reset(acc);
}

/*
 * A person by id; or the person of an account (DOMAIN\NAME, NAME, a GUID,
 * an e-mail address); or persons whose name contains query. An account
 * that has no person says why.
 */
int
review_person(struct store *st, const struct cfg_items *domains,
    const char *query, FILE *fp, size_t *count, char *err, size_t errlen)
{
	sqlite3_stmt	*p, *acc, *un;
	char		*dom = NULL, *like, vis[256];
	const char	*name = query, *sep;
	int		 rc;

	*count = 0;
	if ((sep = strchr(query, '\\')) != NULL) {
		dom = xstrndup(query, (size_t)(sep - query));
		name = sep + 1;
	}
	if (*query == '\0') {
		snprintf(err, errlen, "person: the query is empty");
		return -1;
	}
	like = str_like_pattern(query);
	if ((p = db_stmt(store_db(st), "SELECT p.id, p.display_name, "
	    "p.employee_id, p.status, p.created_run, p.created_ms, p.username, "
	    "p.upn, p.mail, p.lifecycle FROM persons p "
	    "WHERE p.id = lower(?1) OR p.id IN (SELECT l.person_id FROM links l "
	    "JOIN accounts a ON a.domain = l.domain AND a.guid = l.guid "
	    "WHERE (?3 IS NULL OR a.domain = ?3 COLLATE NOCASE) AND "
	    "(a.guid = lower(?2) OR "
	    "a.sam = ?2 COLLATE NOCASE OR a.upn = ?2 COLLATE NOCASE OR "
	    "a.mail = ?2 COLLATE NOCASE)) OR (?3 IS NULL AND "
	    "(p.username = ?2 COLLATE NOCASE OR p.upn = ?2 COLLATE NOCASE)) "
	    "OR (?3 IS NULL AND "
	    "p.display_name LIKE ?4 ESCAPE '\\') ORDER BY p.display_name, "
	    "p.id LIMIT " REVIEW_PERSONS_MAX_SQL " + 1",
	    err, errlen)) == NULL ||
	    (acc = db_stmt(store_db(st), "SELECT a.domain, a.sam, a.guid, "
	    "l.role, a.kind, a.enabled, l.reason, l.via_domain, "
	    "(SELECT v.sam FROM accounts v WHERE v.domain = l.via_domain AND "
	    "v.guid = l.via_guid), l.detail, l.linked_run, a.dn, l.via_guid, "
	    "json_extract(a.attrs, '$.pwdLastSet[0]') = '0', a.attrs "
	    "FROM links l "
	    "JOIN accounts a ON a.domain = l.domain AND a.guid = l.guid "
	    "WHERE l.person_id = ? ORDER BY l.role, a.domain, a.sam", err,
	    errlen)) == NULL ||
	    (un = db_stmt(store_db(st), "SELECT a.domain, a.sam, a.kind, "
	    "(SELECT group_concat(c.conflict_id, ', ') FROM conflict_accounts c "
	    "WHERE c.domain = a.domain AND c.guid = a.guid) FROM accounts a "
	    "WHERE NOT EXISTS (SELECT 1 FROM links l WHERE l.domain = a.domain "
	    "AND l.guid = a.guid) AND (?2 IS NULL OR a.domain = ?2 COLLATE "
	    "NOCASE) AND "
	    "(a.guid = lower(?1) OR a.sam = ?1 COLLATE NOCASE OR "
	    "a.mail = ?1 COLLATE NOCASE) ORDER BY a.domain, a.sam", err,
	    errlen)) == NULL) {
		free(dom);
		free(like);
		return -1;
	}
	sqlite3_bind_text(p, 1, query, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(p, 2, name, -1, SQLITE_TRANSIENT);
	if (dom != NULL)
		sqlite3_bind_text(p, 3, dom, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(p, 4, like, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(p)) == SQLITE_ROW) {
		if (*count == REVIEW_PERSONS_MAX) {
			fprintf(fp, "\nmore than %d persons match \"%s\": the "
			    "first %d are above; say more of the name, or give "
			    "an account or a person's id\n", REVIEW_PERSONS_MAX,
			    str_vis_text(vis, sizeof vis, query),
			    REVIEW_PERSONS_MAX);
			continue;
		}
		if (*count > 0)
			fputc('\n', fp);
		review_print_person(st, domains, p, acc, fp);
		(*count)++;
	}
	free(like);
	if (review_done(st, p, rc, "find persons", err, errlen) == -1) {
		free(dom);
		return -1;
	}
	sqlite3_bind_text(un, 1, name, -1, SQLITE_TRANSIENT);
	if (dom != NULL)
		sqlite3_bind_text(un, 2, dom, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(un)) == SQLITE_ROW) {
		if (*count > 0)
			fputc('\n', fp);
		if (strcmp(col(un, 2), "service") == 0 ||
		    strcmp(col(un, 2), "shared") == 0)
			fprintf(fp, "%s\\%s is a %s account: never linked to a "
			    "person\n", vcol(un, 0), vcol(un, 1), vcol(un, 2));
		else if (*vcol(un, 3) != '\0')
			fprintf(fp, "%s\\%s (%s) has no person: it waits on "
			    "conflict %s (see ward-idsync conflicts)\n",
			    vcol(un, 0), vcol(un, 1), vcol(un, 2), vcol(un, 3));
		else
			fprintf(fp, "%s\\%s (%s) has no person: nothing it "
			    "matches clearly enough\n", vcol(un, 0),
			    vcol(un, 1), vcol(un, 2));
		(*count)++;
	}
	free(dom);
	return review_done(st, un, rc, "find unlinked accounts", err, errlen);
}

/* The last limit runs, newest first. */
int
review_history(struct store *st, int64_t limit, FILE *fp, char *err,
    size_t errlen)
{
	sqlite3_stmt	*r, *d, *w;
	char		 when[WTIME_ISO8601_LEN], took[32];
	int64_t		 started, finished;
	int		 rc;

	if ((r = db_stmt(store_db(st), "SELECT id, command, started_ms, "
	    "finished_ms, outcome, message, forced, accounts, persons, "
	    "conflicts, accounts_added, accounts_removed, accounts_modified, "
	    "persons_created, persons_removed, links_added, links_removed "
	    "FROM runs ORDER BY id DESC LIMIT ?", err, errlen)) == NULL ||
	    (d = db_stmt(store_db(st), "SELECT domain, uri, accounts, pages, "
	    "read_ms, error, incremental, changed, gone FROM run_domains "
	    "WHERE run_id = ? ORDER BY domain", err, errlen)) == NULL ||
	    (w = db_stmt(store_db(st), "SELECT writes, write_failures FROM "
	    "runs WHERE id = ? AND writes IS NOT NULL", err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(r, 1, limit);
	while ((rc = sqlite3_step(r)) == SQLITE_ROW) {
		started = sqlite3_column_int64(r, 2);
		finished = sqlite3_column_int64(r, 3);
		if (sqlite3_column_type(r, 3) != SQLITE_NULL)
			str_format_duration_ms(took, sizeof took,
			    finished - started);
		else
			str_copy(took, "-", sizeof took);
		fprintf(fp, "run %lld  %s  %s  %s  %s%s\n",
		    (long long)sqlite3_column_int64(r, 0), vcol(r, 1),
		    wtime_format_iso8601(when, sizeof when, started), took,
		    vcol(r, 4), sqlite3_column_int(r, 6) ? " (forced)" : "");
		if (sqlite3_column_type(r, 7) != SQLITE_NULL)
			fprintf(fp, "  accounts %lld (+%lld -%lld ~%lld)  "
			    "persons %lld (+%lld -%lld)  links +%lld -%lld  "
			    "conflicts %lld\n",
			    (long long)sqlite3_column_int64(r, 7),
			    (long long)sqlite3_column_int64(r, 10),
			    (long long)sqlite3_column_int64(r, 11),
			    (long long)sqlite3_column_int64(r, 12),
			    (long long)sqlite3_column_int64(r, 8),
			    (long long)sqlite3_column_int64(r, 13),
			    (long long)sqlite3_column_int64(r, 14),
			    (long long)sqlite3_column_int64(r, 15),
			    (long long)sqlite3_column_int64(r, 16),
			    (long long)sqlite3_column_int64(r, 9));
		if (*vcol(r, 5) != '\0')
			fprintf(fp, "  %s\n", vcol(r, 5));
		sqlite3_bind_int64(d, 1, sqlite3_column_int64(r, 0));
		/* A domain that failed is what the run's message says. */
		while (sqlite3_step(d) == SQLITE_ROW) {
			if (*vcol(d, 5) != '\0')
				continue;
			fprintf(fp, "  domain %s: %lld accounts in %lld "
			    "page%s from %s", vcol(d, 0),
			    (long long)sqlite3_column_int64(d, 2),
			    (long long)sqlite3_column_int64(d, 3),
			    sqlite3_column_int64(d, 3) == 1 ? "" : "s",
			    vcol(d, 1));
			if (sqlite3_column_int(d, 6))
				fprintf(fp, " (incremental: %lld changed, "
				    "%lld gone)",
				    (long long)sqlite3_column_int64(d, 7),
				    (long long)sqlite3_column_int64(d, 8));
			fputc('\n', fp);
		}
		sqlite3_reset(d);
		sqlite3_bind_int64(w, 1, sqlite3_column_int64(r, 0));
		if (sqlite3_step(w) == SQLITE_ROW)
			fprintf(fp, "  wrote %lld value%s, %lld failed\n",
			    (long long)sqlite3_column_int64(w, 0),
			    sqlite3_column_int64(w, 0) == 1 ? "" : "s",
			    (long long)sqlite3_column_int64(w, 1));
		sqlite3_reset(w);
	}
	return review_done(st, r, rc, "list runs", err, errlen);
}

/* Who decided: the login behind sudo, else the user we run as. */
static void
review_who(char *dst, size_t size)
{
	const char	*sudo = getenv("SUDO_USER");
	struct passwd	*pw;

	if (sudo != NULL && *sudo != '\0')
		snprintf(dst, size, "%s (via sudo)", sudo);
	else if ((pw = getpwuid(geteuid())) != NULL)
		snprintf(dst, size, "%s", pw->pw_name);
	else
		snprintf(dst, size, "uid %u", (unsigned)geteuid());
}

static int
review_person_of(struct store *st, const char *domain, const char *guid,
    char *person, char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	*person = '\0';
	if ((stmt = db_stmt(store_db(st), "SELECT person_id FROM links "
	    "WHERE domain = ? AND guid = ?", err, errlen)) == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, domain, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 2, guid, -1, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		str_copy(person, col(stmt, 0), DECODE_GUID_LEN);
	sqlite3_reset(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_error(store_db(st), "find link", err, errlen);
		return -1;
	}
	return 0;
}

/* A decision with its accounts found in the state. */
struct review_decision {
	enum decision_kind kind;
	char		 da[256], ga[DECODE_GUID_LEN];
	char		 db[256], gb[DECODE_GUID_LEN];
	char		 person[DECODE_GUID_LEN];	/* unlink: from whom */
	size_t		 line;		/* in a decisions file */
};

/* Finds a decision's accounts (b: NULL for unlink) in the state. */
static int
review_resolve(struct store *st, enum decision_kind kind, const char *a,
    const char *b, struct review_decision *d, char *err, size_t errlen)
{
	memset(d, 0, sizeof *d);
	d->kind = kind;
	if (store_find_account(st, a, d->da, sizeof d->da, d->ga, err,
	    errlen) == -1)
		return -1;
	if (kind != DECISION_UNLINK) {
		if (store_find_account(st, b, d->db, sizeof d->db, d->gb, err,
		    errlen) == -1)
			return -1;
		if (strcmp(d->da, d->db) == 0 && strcmp(d->ga, d->gb) == 0) {
			snprintf(err, errlen, "%s:%s is named twice", d->da,
			    d->ga);
			return -1;
		}
		return 0;
	}
	if (review_person_of(st, d->da, d->ga, d->person, err, errlen) == -1)
		return -1;
	if (*d->person == '\0') {
		snprintf(err, errlen, "%s:%s is not linked to a person", d->da,
		    d->ga);
		return -1;
	}
	return 0;
}

static int
review_record(struct store *st, const struct review_decision *d,
    const char *who, char *err, size_t errlen)
{
	int	 two = d->kind != DECISION_UNLINK;

	return store_add_decision(st, d->kind, d->da, d->ga, two ? d->db :
	    NULL, two ? d->gb : NULL, two ? NULL : d->person, who,
	    wtime_now_ms(), err, errlen);
}

/*
 * Records a decision for the next run: link and never-link name two
 * accounts, unlink one (from the person it is linked to now).
 */
int
review_decide(struct store *st, enum decision_kind kind, const char *a,
    const char *b, FILE *fp, char *err, size_t errlen)
{
	struct review_decision	 d;
	char			 who[128];

	if (review_resolve(st, kind, a, b, &d, err, errlen) == -1)
		return -1;
	review_who(who, sizeof who);
	if (review_record(st, &d, who, err, errlen) == -1)
		return -1;
	if (kind == DECISION_UNLINK)
		fprintf(fp, "recorded: %s:%s is not person %s; the next run "
		    "unlinks it\n", d.da, d.ga, d.person);
	else
		fprintf(fp, "recorded: %s:%s and %s:%s %s; the next run "
		    "applies it\n", d.da, d.ga, d.db, d.gb, kind ==
		    DECISION_LINK ? "are one person" : "are never one person");
	return 0;
}

/* Room for one more decision in *ds (*alloc of them). */
static struct review_decision *
review_more(struct review_decision **ds, size_t nd, size_t *alloc)
{
	if (nd == *alloc) {
		*alloc = *alloc == 0 ? 64 : *alloc * 2;
		*ds = xreallocarray(*ds, *alloc, sizeof **ds);
	}
	memset(&(*ds)[nd], 0, sizeof (*ds)[nd]);
	return &(*ds)[nd];
}

/*
 * Appends to *ds (*nd of *alloc) a never-link of account, which must wait
 * on conflicts without a person, with each account the open review and
 * ambiguous conflicts holding it offer: what makes it a person of its
 * own. -1 (err says why) when it has a person or is offered nothing.
 */
static int
review_new_person_of(struct store *st, const char *account,
    struct review_decision **ds, size_t *nd, size_t *alloc, char *err,
    size_t errlen)
{
	sqlite3_stmt		*o;
	struct review_decision	*d;
	char			 domain[256], guid[DECODE_GUID_LEN];
	char			 person[DECODE_GUID_LEN], vis[128];
	size_t			 first = *nd;
	int			 rc;

	if (store_find_account(st, account, domain, sizeof domain, guid, err,
	    errlen) == -1 || review_person_of(st, domain, guid, person, err,
	    errlen) == -1)
		return -1;
	if (*person != '\0') {
		snprintf(err, errlen, "%s is person %s's already: unlink it "
		    "first", str_vis_text(vis, sizeof vis, account), person);
		return -1;
	}
	/* Its candidates where it waits (it has no score there), and the
	 * account that waits where it is a candidate: not the others that
	 * account waits on. */
	if ((o = db_stmt(store_db(st), "SELECT DISTINCT o.domain, o.guid "
	    "FROM conflict_accounts s JOIN conflicts c ON c.id = "
	    "s.conflict_id JOIN conflict_accounts o ON o.conflict_id = "
	    "s.conflict_id WHERE s.domain = ?1 AND s.guid = ?2 AND c.kind IN "
	    "('review', 'ambiguous') AND NOT (o.domain = ?1 AND o.guid = ?2) "
	    "AND (s.score IS NULL OR o.score IS NULL) "
	    "ORDER BY o.domain, o.guid", err, errlen)) == NULL)
		return -1;
	sqlite3_bind_text(o, 1, domain, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(o, 2, guid, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(o)) == SQLITE_ROW) {
		d = review_more(ds, *nd, alloc);
		d->kind = DECISION_NEVER_LINK;
		str_copy(d->da, domain, sizeof d->da);
		str_copy(d->ga, guid, sizeof d->ga);
		str_copy(d->db, col(o, 0), sizeof d->db);
		str_copy(d->gb, col(o, 1), sizeof d->gb);
		(*nd)++;
	}
	sqlite3_reset(o);
	if (rc != SQLITE_DONE) {
		*nd = first;
		db_error(store_db(st), "find the candidates", err, errlen);
		return -1;
	}
	if (*nd == first) {
		snprintf(err, errlen, "no conflict offers %s a candidate: "
		    "nothing to decide (the next run makes its person if it "
		    "matches nobody)", str_vis_text(vis, sizeof vis, account));
		return -1;
	}
	return 0;
}

/* Records ds[0..nd) in one transaction. */
static int
review_record_all(struct store *st, const struct review_decision *ds,
    size_t nd, char *err, size_t errlen)
{
	char	 who[128];
	size_t	 k;

	review_who(who, sizeof who);
	if (db_begin(store_db(st), err, errlen) == -1)
		return -1;
	for (k = 0; k < nd; k++)
		if (review_record(st, &ds[k], who, err, errlen) == -1) {
			db_rollback(store_db(st));
			return -1;
		}
	return db_commit(store_db(st), err, errlen);
}

/*
 * Records that account, which waits on conflicts, is a person of its own
 * (review_new_person_of), as a correlation case in midPoint is closed by
 * making a new owner. The next run makes its person; an account that
 * comes to match it later is a conflict again.
 */
int
review_new_person(struct store *st, const char *account, FILE *fp,
    char *err, size_t errlen)
{
	struct review_decision	*ds = NULL;
	size_t			 nd = 0, alloc = 0, k;

	if (review_new_person_of(st, account, &ds, &nd, &alloc, err,
	    errlen) == -1 || review_record_all(st, ds, nd, err,
	    errlen) == -1) {
		free(ds);
		return -1;
	}
	fprintf(fp, "recorded: %s:%s is a person of its own, never one person "
	    "with %zu account%s:", ds[0].da, ds[0].ga, nd, nd == 1 ? "" : "s");
	for (k = 0; k < nd; k++)
		fprintf(fp, " %s:%s", ds[k].db, ds[k].gb);
	fprintf(fp, "; the next run makes its person\n");
	free(ds);
	return 0;
}

/* ------------------------------------------------------------ decide */

/* Longest decisions file read, and most of its faults told. */
#define REVIEW_FILE_MAX		(64 * 1024 * 1024)
#define REVIEW_FAULTS_MAX	20

/* The fields of one CSV record (RFC 4180) starting at *p, each
 * NUL-ended in place (the first max of them in fields); *p moves past
 * it, *line counts the newlines crossed. -1 (err says why) for a quote
 * left open. */
static int
review_csv_record(char **p, char *end, char **fields, size_t max,
    size_t *nfields, size_t *line, char *err, size_t errlen)
{
	char	*r = *p, *w, *f;
	size_t	 start = *line;
	int	 last;

	*nfields = 0;
	for (;;) {
		f = w = r;
		if (r < end && *r == '"') {
			for (r++;; r++) {
				if (r == end) {
					snprintf(err, errlen, "line %zu: a "
					    "quote is never closed", start);
					return -1;
				}
				if (*r == '"') {
					if (r + 1 == end || r[1] != '"') {
						r++;
						break;
					}
					r++;
				} else if (*r == '\n')
					(*line)++;
				*w++ = *r;
			}
		}
		while (r < end && *r != ',' && *r != '\n')
			*w++ = *r++;
		if ((r == end || *r == '\n') && w > f && w[-1] == '\r')
			w--;
		if (*nfields < max)
			fields[*nfields] = f;
		(*nfields)++;
		/* w may be r: what ends the field is read first. */
		last = r == end || *r == '\n';
		*w = '\0';
		/* A ' before what a spreadsheet would run as a formula is
		 * export_csv_value's, not the value's. */
		if (*f == '\'' && str_csv_formula(f + 1))
			memmove(f, f + 1, (size_t)(w - f));
		if (last) {
			if (r < end) {
				(*line)++;
				r++;
			}
			*p = r;
			return 0;
		}
		r++;			/* past the comma */
	}
}

/* The whole file (or standard input, "-"), NUL-ended; *len without it. */
static char *
review_slurp(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE	*fp;
	char	*data = NULL;
	size_t	 alloc = 0, n;

	*len = 0;
	if (strcmp(path, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (alloc - *len < 65536) {
			alloc = alloc == 0 ? 65536 : alloc * 2;
			data = xreallocarray(data, alloc + 1, 1);
		}
		n = fread(data + *len, 1, alloc - *len, fp);
		*len += n;
		if (*len > REVIEW_FILE_MAX) {
			snprintf(err, errlen, "%s: longer than %d MiB", path,
			    REVIEW_FILE_MAX / (1024 * 1024));
			break;
		}
		if (n == 0) {
			if (ferror(fp))
				snprintf(err, errlen, "%s: %s", path,
				    strerror(errno));
			else {
				if (fp != stdin)
					fclose(fp);
				data[*len] = '\0';
				return data;
			}
			break;
		}
	}
	if (fp != stdin)
		fclose(fp);
	free(data);
	return NULL;
}

/* "da:ga db:gb" of d, in one order whichever way it was written. */
static void
review_pair_key(const struct review_decision *d, char *key, size_t size)
{
	int	 c = strcmp(d->da, d->db);

	if (c < 0 || (c == 0 && strcmp(d->ga, d->gb) < 0))
		snprintf(key, size, "%s:%s %s:%s", d->da, d->ga, d->db, d->gb);
	else
		snprintf(key, size, "%s:%s %s:%s", d->db, d->gb, d->da, d->ga);
}

/*
 * Records the decisions of a file as "export --conflicts" writes it, its
 * first column filled in: link, never-link or unlink (of account),
 * new-person (of account: review_new_person's), or empty to leave a row
 * alone; also lines of just "decision,account" or
 * "decision,account,other". A header row, blank lines and lines starting
 * with # are skipped. Every row is checked first; any fault (a word not
 * known, an account not in the state, a pair decided both ways) records
 * nothing and is told with its line. *count: decisions recorded.
 */
int
review_decide_file(struct store *st, const char *path, FILE *fp,
    size_t *count, char *err, size_t errlen)
{
	struct review_decision	*ds = NULL;
	struct index		*pairs;
	enum decision_kind	 kind;
	char			*data, *p, *end, *f[3], why[512], key[600];
	char			 vis[64];
	const size_t		*v;
	size_t			 len, line = 1, at, nf, nd = 0, alloc = 0, from;
	size_t			 faults = 0, n, k, j, w, kinds[3] = { 0, 0, 0 };
	size_t			 repeats = 0;
	size_t			 persons = 0, for_persons = 0;
	int			 rc = -1, new_person;

	*count = 0;
	if ((data = review_slurp(path, &len, why, sizeof why)) == NULL) {
		snprintf(err, errlen, "%s; nothing was recorded", why);
		return -1;
	}
	if (memchr(data, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: not text (a NUL byte); nothing was "
		    "recorded", path);
		free(data);
		return -1;
	}
	pairs = index_new();
	p = data;
	end = data + len;
	/* A spreadsheet saving "CSV UTF-8" starts the file with a BOM. */
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end) {
		at = line;
		if (review_csv_record(&p, end, f, 3, &nf, &line, why,
		    sizeof why) == -1) {
			log_warnx("%s: %s", path, why);
			faults++;
			break;
		}
		if (nf > 3)
			nf = 3;
		if (f[0][0] == '#' || (nf == 1 && f[0][0] == '\0') ||
		    (at == 1 && strcmp(f[0], "decision") == 0))
			continue;
		if (f[0][0] == '\0')
			continue;
		new_person = 0;
		if (strcmp(f[0], "link") == 0)
			kind = DECISION_LINK;
		else if (strcmp(f[0], "never-link") == 0)
			kind = DECISION_NEVER_LINK;
		else if (strcmp(f[0], "unlink") == 0)
			kind = DECISION_UNLINK;
		else if (strcmp(f[0], "new-person") == 0) {
			kind = DECISION_NEVER_LINK;
			new_person = 1;
		} else {
			if (faults++ < REVIEW_FAULTS_MAX)
				log_warnx("%s: line %zu: \"%s\" is no "
				    "decision (link, never-link, unlink or "
				    "new-person)", path, at, str_vis(vis,
				    sizeof vis, f[0]));
			continue;
		}
		if (nf < 2 || f[1][0] == '\0' || (kind != DECISION_UNLINK &&
		    !new_person && (nf < 3 || f[2][0] == '\0'))) {
			if (faults++ < REVIEW_FAULTS_MAX)
				log_warnx("%s: line %zu: %s names %s", path,
				    at, f[0], kind == DECISION_UNLINK ||
				    new_person ? "an account" : "two accounts");
			continue;
		}
		from = nd;
		if (new_person) {
			if (review_new_person_of(st, f[1], &ds, &nd, &alloc,
			    why, sizeof why) == -1) {
				if (faults++ < REVIEW_FAULTS_MAX)
					log_warnx("%s: line %zu: %s", path, at,
					    why);
				continue;
			}
		} else if (review_resolve(st, kind, f[1], kind !=
		    DECISION_UNLINK ? f[2] : NULL, review_more(&ds, nd,
		    &alloc), why, sizeof why) == -1) {
			if (faults++ < REVIEW_FAULTS_MAX)
				log_warnx("%s: line %zu: %s", path, at, why);
			continue;
		} else
			nd++;
		/* One pair, one way: link and never-link both is a fault. */
		for (j = from; j < nd && kind != DECISION_UNLINK; j++) {
			review_pair_key(&ds[j], key, sizeof key);
			v = index_get(pairs, key, &n);
			for (k = 0; k < n && ds[v[k]].kind == kind; k++)
				;
			if (k < n) {
				if (faults++ < REVIEW_FAULTS_MAX)
					log_warnx("%s: line %zu: %s, where "
					    "line %zu decided otherwise", path,
					    at, f[0], ds[v[k]].line);
				break;
			}
		}
		if (j < nd && kind != DECISION_UNLINK) {
			nd = from;
			continue;
		}
		/* The same decision twice (a row copied, or a pair given
		 * the other way round) is one. */
		for (j = w = from; j < nd; j++) {
			review_pair_key(&ds[j], key, sizeof key);
			if (index_get(pairs, key, &n) != NULL) {
				repeats++;
				continue;
			}
			index_add(pairs, key, w);
			ds[w] = ds[j];
			ds[w++].line = at;
			kinds[kind]++;
		}
		nd = w;
		if (new_person) {
			persons++;
			for_persons += nd - from;
		}
	}
	index_free(pairs);
	free(data);
	if (faults > REVIEW_FAULTS_MAX)
		log_warnx("%s: %zu faults more", path,
		    faults - REVIEW_FAULTS_MAX);
	if (faults > 0) {
		snprintf(err, errlen, "%s: %zu fault%s; nothing was recorded",
		    path, faults, faults == 1 ? "" : "s");
		goto out;
	}
	if (review_record_all(st, ds, nd, err, errlen) == -1)
		goto out;
	*count = nd;
	fprintf(fp, "recorded %zu decisions from %s (%zu link, %zu never-link, "
	    "%zu unlink", nd, path, kinds[DECISION_LINK],
	    kinds[DECISION_NEVER_LINK], kinds[DECISION_UNLINK]);
	if (persons > 0)
		fprintf(fp, "; %zu of the never-link for %zu new-person",
		    for_persons, persons);
	if (repeats > 0)
		fprintf(fp, "; %zu repeated, counted once", repeats);
	fprintf(fp, "); the next run applies them\n");
	rc = 0;
out:
	free(ds);
	return rc;
}

/* The last writes to directories, newest first: when, who, where, what
 * before and after, and how it went. */
int
review_audit(struct store *st, int64_t limit, FILE *fp, char *err,
    size_t errlen)
{
	sqlite3_stmt	*a;
	char		 when[WTIME_ISO8601_LEN];
	int		 rc;

	if ((a = db_stmt(store_db(st), "SELECT id, run_id, started_ms, "
	    "by_user, bind_dn, domain, guid, dn, attribute, before, after, "
	    "outcome, error FROM audit ORDER BY id DESC LIMIT ?", err,
	    errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(a, 1, limit);
	while ((rc = sqlite3_step(a)) == SQLITE_ROW) {
		fprintf(fp, "%s  run %lld  %s  %s:%s  %s\n",
		    wtime_format_iso8601(when, sizeof when,
		    sqlite3_column_int64(a, 2)),
		    (long long)sqlite3_column_int64(a, 1), vcol(a, 11),
		    vcol(a, 5), vcol(a, 6), vcol(a, 7));
		fprintf(fp, "  %s: %s -> %s  (by %s%s%s)\n", vcol(a, 8),
		    *vcol(a, 9) != '\0' ? vcol(a, 9) : "(none)",
		    *vcol(a, 10) != '\0' ? vcol(a, 10) : "(none)", vcol(a, 3),
		    *vcol(a, 4) != '\0' ? " as " : "", vcol(a, 4));
		if (*vcol(a, 12) != '\0')
			fprintf(fp, "  %s\n", vcol(a, 12));
	}
	return review_done(st, a, rc, "list the audit", err, errlen);
}
