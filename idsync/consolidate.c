/* consolidate.c: the consolidated identity of each person: its attributes
 * chosen among its accounts by per-attribute precedence rules, its own
 * unique username and UPN, and whether it is a joiner, mover or leaver. */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "idsync/idsync.h"

const char *const consolidate_attr_names[] = {
	[PERSON_DISPLAY_NAME] = "displayName",
	[PERSON_GIVEN_NAME] = "givenName",
	[PERSON_SN] = "sn",
	[PERSON_EMPLOYEE_ID] = "employeeID",
	[PERSON_MAIL] = "mail",
	[PERSON_DEPARTMENT] = "department",
	[PERSON_TITLE] = "title",
	[PERSON_ATTR_COUNT] = NULL,
};

const char *const consolidate_rule_names[] = {
	[PRECEDENCE_LATEST] = "latest",
	[PRECEDENCE_AGREE] = "agree",
	[PRECEDENCE_DOMAINS] = "domains",
	[PRECEDENCE_MAIL_DOMAINS] = "mail-domains",
	NULL,
};

/* Without a [precedence] section: names, mail and the job from the
 * enabled account changed last; employee numbers must agree. */
static const enum precedence_kind consolidate_defaults[] = {
	[PERSON_DISPLAY_NAME] = PRECEDENCE_LATEST,
	[PERSON_GIVEN_NAME] = PRECEDENCE_LATEST,
	[PERSON_SN] = PRECEDENCE_LATEST,
	[PERSON_EMPLOYEE_ID] = PRECEDENCE_AGREE,
	[PERSON_MAIL] = PRECEDENCE_LATEST,
	[PERSON_DEPARTMENT] = PRECEDENCE_LATEST,
	[PERSON_TITLE] = PRECEDENCE_LATEST,
};

int
consolidate_attr(const char *name)
{
	int	 i;

	for (i = 0; i < PERSON_ATTR_COUNT; i++)
		if (strcasecmp(name, consolidate_attr_names[i]) == 0)
			return i;
	return -1;
}

/* ------------------------------------------------------------ precedence */

struct candidate {
	const struct account	*a;
	size_t			 account;	/* its index */
	const char		*value;
	int			 enabled;
	size_t			 rank;	/* place in the rule's order */
};

static size_t
consolidate_rank(const struct precedence_rule *r, const struct account *a,
    const char *value)
{
	const char	*key = a->domain_name, *at;
	size_t		 i;

	if (r == NULL || (r->rule != PRECEDENCE_DOMAINS &&
	    r->rule != PRECEDENCE_MAIL_DOMAINS))
		return 0;
	if (r->rule == PRECEDENCE_MAIL_DOMAINS) {
		if ((at = strrchr(value, '@')) == NULL)
			return r->order.count;
		key = at + 1;
	}
	for (i = 0; i < r->order.count; i++)
		if (strcasecmp(r->order.items[i], key) == 0)
			return i;
	return r->order.count;
}

/* Enabled before disabled, then the rule's order, then changed last;
 * the accounts' own order breaks what is left. */
static int
consolidate_better(const struct candidate *x, const struct candidate *y)
{
	if (x->enabled != y->enabled)
		return x->enabled;
	if (x->rank != y->rank)
		return x->rank < y->rank;
	return x->a->when_changed_ms > y->a->when_changed_ms;
}

/* Values that differ only in case or surrounding blanks are one. */
static int
consolidate_same(const char *a, const char *b)
{
	size_t	 la, lb;

	while (isspace((unsigned char)*a))
		a++;
	while (isspace((unsigned char)*b))
		b++;
	la = strlen(a);
	lb = strlen(b);
	while (la > 0 && isspace((unsigned char)a[la - 1]))
		la--;
	while (lb > 0 && isspace((unsigned char)b[lb - 1]))
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

struct consolidate_ctx {
	const struct consolidate_input	*in;
	struct match_result		*res;
	const struct precedence_rule	*rules[PERSON_ATTR_COUNT];
	struct candidate		*cand;
	size_t				 ncand;
	struct index			*taken;		/* usernames */
	/* Per base name, the suffix to try next: every one before it is
	 * taken (names are only ever added), so the hundredth person of a
	 * common name does not try the ninety-nine before. */
	struct index			*next;
};

/* Conflicts list their accounts by domain and name, run after run. */
static int
candidate_cmp(const void *x, const void *y)
{
	const struct candidate	*p = x, *q = y;
	const char		*ps, *qs;
	int			 c;

	if ((c = strcmp(p->a->domain_name, q->a->domain_name)) != 0)
		return c;
	ps = account_get(p->a, "sAMAccountName");
	qs = account_get(q->a, "sAMAccountName");
	if ((c = strcmp(ps != NULL ? ps : "", qs != NULL ? qs : "")) != 0)
		return c;
	return strcmp(p->a->guid, q->a->guid);
}

static void
consolidate_conflict(struct consolidate_ctx *ctx, struct match_person *mp,
    int attr)
{
	struct match_result	*res = ctx->res;
	struct match_conflict	*c;
	struct match_member	*m;
	struct buf		 b;
	char			 name[300];
	size_t			 i;

	c = match_result_conflict(res, "attribute");
	c->members = xcalloc(ctx->ncand, sizeof *c->members);
	qsort(ctx->cand, ctx->ncand, sizeof *ctx->cand, candidate_cmp);
	buf_init(&b, 0);
	buf_printf(&b, "%s disagrees among the accounts of person %s:",
	    consolidate_attr_names[attr], mp->id);
	for (i = 0; i < ctx->ncand; i++) {
		if (ctx->cand[i].value == NULL)
			continue;
		m = &c->members[c->nmembers++];
		m->account = ctx->cand[i].account;
		str_copy(m->person_id, mp->id, sizeof m->person_id);
		xasprintf(&m->detail, "%s %s", consolidate_attr_names[attr],
		    ctx->cand[i].value);
		buf_printf(&b, "%s %s %s", c->nmembers > 1 ? "," : "",
		    account_name(ctx->cand[i].a, name, sizeof name),
		    ctx->cand[i].value);
	}
	buf_printf(&b, "; it is left empty until they agree");
	c->summary = xstrdup(buf_cstr(&b));
	buf_free(&b);
}

/* a's primary SMTP address (proxyAddresses' "SMTP:" one), or NULL: what
 * Exchange keeps mail equal to, for an account whose mail is empty. */
static const char *
consolidate_primary_smtp(const struct account *a)
{
	const struct account_attr	*px = account_attr(a, "proxyAddresses");
	struct decode_proxy		 d;
	char				 why[128];
	size_t				 i;

	for (i = 0; px != NULL && i < px->count; i++)
		if (decode_proxy(px->values[i], strlen(px->values[i]), &d, why,
		    sizeof why) == 0 && d.primary && strcmp(d.type,
		    "smtp") == 0 && d.address_len > 0)
			return d.address;
	return NULL;
}

/* The value of one attribute by its rule, or NULL. */
static char *
consolidate_pick(struct consolidate_ctx *ctx, struct match_person *mp,
    int attr)
{
	const struct precedence_rule	*r = ctx->rules[attr];
	enum precedence_kind		 kind;
	struct candidate		*best = NULL, *c;
	size_t				 i;
	int				 disagree = 0;

	kind = r != NULL ? (enum precedence_kind)r->rule :
	    consolidate_defaults[attr];
	for (i = 0; i < ctx->ncand; i++) {
		c = &ctx->cand[i];
		c->value = account_get(c->a, consolidate_attr_names[attr]);
		if (c->value != NULL && *c->value == '\0')
			c->value = NULL;
		if (c->value == NULL && attr == PERSON_MAIL)
			c->value = consolidate_primary_smtp(c->a);
		if (c->value == NULL)
			continue;
		c->rank = consolidate_rank(r, c->a, c->value);
		if (best != NULL && kind == PRECEDENCE_AGREE &&
		    !consolidate_same(best->value, c->value))
			disagree = 1;
		if (best == NULL || consolidate_better(c, best))
			best = c;
	}
	if (disagree) {
		consolidate_conflict(ctx, mp, attr);
		return NULL;
	}
	return best != NULL ? xstrdup(best->value) : NULL;
}

/* ------------------------------------------------------------ username */

int
consolidate_check_pattern(const char *pattern, char *err, size_t errlen)
{
	const char	*p;
	int		 names = 0;

	for (p = pattern; *p != '\0'; p++) {
		if (*p == '%') {
			if (p[1] == '\0' || strchr("gistce%", p[1]) == NULL) {
				snprintf(err, errlen, "\"%s\": %%%c is not %%g, "
				    "%%i, %%s, %%t, %%e or %%%%", pattern,
				    p[1] != '\0' ? p[1] : ' ');
				return -1;
			}
			if (p[1] != '%')
				names = 1;
			p++;
			continue;
		}
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) &&
		    strchr("._-", *p) == NULL) {
			snprintf(err, errlen, "\"%s\": '%c' may not be in a "
			    "username (lower-case letters, digits, '.', '-' "
			    "and '_')", pattern, *p);
			return -1;
		}
	}
	if (!names) {
		snprintf(err, errlen, "\"%s\": uses no name (%%g, %%i, %%s, %%t "
		    "or %%e), so every person would get the same", pattern);
		return -1;
	}
	return 0;
}

/* A name as ASCII letters and digits only: normalised (case folded,
 * diacritics gone, letters transliterated), blanks and marks dropped. */
static char *
consolidate_ascii(const char *s)
{
	char	*norm, *out;
	size_t	 i, n = 0;

	if (s == NULL)
		return xstrdup("");
	norm = normalise_text(s, strlen(s));
	out = xmalloc(strlen(norm) + 1);
	for (i = 0; norm[i] != '\0'; i++)
		if ((norm[i] >= 'a' && norm[i] <= 'z') ||
		    (norm[i] >= '0' && norm[i] <= '9'))
			out[n++] = norm[i];
	out[n] = '\0';
	free(norm);
	return out;
}

char *
consolidate_username_base(const char *pattern, const char *given,
    const char *sn, const char *eid, size_t max)
{
	struct buf	 b;
	char		*g, *s, *e, *out;
	const char	*p;

	g = consolidate_ascii(given);
	s = consolidate_ascii(sn);
	e = consolidate_ascii(eid);
	buf_init(&b, 0);
	for (p = pattern; *p != '\0'; p++) {
		if (*p != '%') {
			buf_append_char(&b, *p);
			continue;
		}
		switch (*++p) {
		case 'g':
			buf_append(&b, g, strlen(g));
			break;
		case 'i':
			buf_append(&b, g, *g != '\0' ? 1 : 0);
			break;
		case 's':
			buf_append(&b, s, strlen(s));
			break;
		case 't':
			buf_append(&b, s, *s != '\0' ? 1 : 0);
			break;
		case 'e':
			buf_append(&b, e, strlen(e));
			break;
		default:
			buf_append_char(&b, '%');
			break;
		}
	}
	out = xstrndup(buf_cstr(&b), b.len < max ? b.len : max);
	buf_free(&b);
	free(g);
	free(s);
	free(e);
	/* Nothing but separators is no name. */
	if (strspn(out, "._-") == strlen(out))
		out[0] = '\0';
	return out;
}

/* base, or base with the first number from 2 that nobody has, cut so
 * that the whole is at most max. */
static char *
consolidate_unique(struct consolidate_ctx *ctx, const char *base, size_t max)
{
	char		*u, digits[24];
	const size_t	*v;
	size_t		 n, cut;
	unsigned long long i = 1;

	if (*base == '\0')
		base = "user";
	if ((v = index_get(ctx->next, base, &n)) != NULL && n > 0)
		i = v[n - 1];
	for (;; i++) {
		if (i == 1)
			digits[0] = '\0';
		else
			snprintf(digits, sizeof digits, "%llu", i);
		cut = strlen(base);
		if (cut + strlen(digits) > max)
			cut = max > strlen(digits) ? max - strlen(digits) : 0;
		xasprintf(&u, "%.*s%s", (int)cut, base, digits);
		if (index_get(ctx->taken, u, &n) == NULL || n == 0) {
			index_add(ctx->next, base, (size_t)i + 1);
			return u;
		}
		free(u);
	}
}

struct first {
	size_t	 person;
	size_t	 first;		/* its first account */
};

static int
first_cmp(const void *x, const void *y)
{
	const struct first	*p = x, *q = y;

	return p->first < q->first ? -1 : p->first > q->first;
}

static void
consolidate_usernames(struct consolidate_ctx *ctx)
{
	const struct username_config	*uc = ctx->in->username;
	const struct state		*prev = ctx->in->prev;
	struct match_person		*mp;
	struct first			*order;
	const size_t			*ix;
	char				*base;
	size_t				 i, k, n, max;

	if (uc == NULL || uc->pattern == NULL)
		return;
	max = (size_t)uc->max_length;
	/* A person keeps the name they got: those first. */
	for (i = 0; i < ctx->res->npersons; i++) {
		mp = &ctx->res->persons[i];
		ix = index_get(prev->person_index, mp->id, &n);
		if (n == 0 || prev->persons[ix[0]].username == NULL)
			continue;
		if (index_get(ctx->taken, prev->persons[ix[0]].username,
		    &n) != NULL && n > 0)
			continue;
		mp->username = xstrdup(prev->persons[ix[0]].username);
		index_add(ctx->taken, mp->username, i);
	}
	/* Then the others, in the order of their first accounts: two new
	 * persons of one name get the same names whatever their (random)
	 * ids. */
	order = xcalloc(ctx->res->npersons + 1, sizeof *order);
	for (i = 0, n = 0; i < ctx->res->npersons; i++) {
		mp = &ctx->res->persons[i];
		if (mp->username != NULL)
			continue;
		order[n].person = i;
		order[n].first = SIZE_MAX;
		for (k = 0; k < mp->nmembers; k++)
			if (mp->members[k] < order[n].first)
				order[n].first = mp->members[k];
		n++;
	}
	qsort(order, n, sizeof *order, first_cmp);
	for (k = 0; k < n; k++) {
		mp = &ctx->res->persons[order[k].person];
		base = consolidate_username_base(uc->pattern,
		    mp->attrs[PERSON_GIVEN_NAME], mp->attrs[PERSON_SN],
		    mp->attrs[PERSON_EMPLOYEE_ID], max);
		mp->username = consolidate_unique(ctx, base, max);
		free(base);
		index_add(ctx->taken, mp->username, order[k].person);
	}
	free(order);
	if (uc->upn_suffix == NULL)
		return;
	for (i = 0; i < ctx->res->npersons; i++) {
		mp = &ctx->res->persons[i];
		xasprintf(&mp->upn, "%s@%s", mp->username, uc->upn_suffix);
	}
}

/* ------------------------------------------------------------ lifecycle */

static int
consolidate_differs(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

/* joiner: new, or back from being a leaver; leaver: no enabled account;
 * mover: its names, mail or employeeID changed, an account joined or left
 * it, or one of its accounts moved in its directory. */
static const char *
consolidate_lifecycle(struct consolidate_ctx *ctx, struct match_person *mp)
{
	const struct state		*prev = ctx->in->prev;
	const struct state_person	*sp;
	const struct state_account	*sa;
	const struct account		*a;
	const size_t			*ix;
	size_t				 n, k, p;
	int				 i;

	if (mp->leaver)
		return "leaver";
	/* Kept: as it was (a kept person was no leaver then either). */
	if (mp->kept)
		return "unchanged";
	ix = index_get(prev->person_index, mp->id, &n);
	if (n == 0)
		return "joiner";
	sp = &prev->persons[ix[0]];
	if (sp->leaver)
		return "joiner";
	/* A new name, number, mail, department or job title: a move (the
	 * job not, when the last state did not know it yet). */
	for (i = 0; i < PERSON_ATTR_COUNT; i++)
		if ((!sp->jobs_unknown || (i != PERSON_DEPARTMENT &&
		    i != PERSON_TITLE)) &&
		    consolidate_differs(mp->attrs[i], sp->attrs[i]))
			return "mover";
	/* As many accounts as before, each of them its before: the same. */
	if (sp->naccounts != mp->nmembers)
		return "mover";
	for (k = 0; k < mp->nmembers; k++) {
		a = ctx->in->accounts[mp->members[k]];
		if ((p = state_prev_of(prev, ctx->in->accounts,
		    mp->members[k])) == STATE_NONE)
			return "mover";
		sa = &prev->accounts[p];
		if (sa->person_id == NULL || strcmp(sa->person_id, mp->id) != 0 ||
		    strcmp(sa->account->dn, a->dn) != 0)
			return "mover";
	}
	return "unchanged";
}

/* ------------------------------------------------------------ persons */

/* A person kept as the last state has it: its accounts are as they were
 * then, each of them enabled or not as then, so it consolidates as then
 * (its username, as every person's, consolidate_usernames keeps). */
static int
consolidate_kept(struct consolidate_ctx *ctx, struct match_person *mp)
{
	const struct state_person	*sp;
	const size_t			*ix;
	size_t				 n;
	int				 i;

	if (!mp->kept || (ix = index_get(ctx->in->prev->person_index, mp->id,
	    &n)) == NULL)
		return 0;
	sp = &ctx->in->prev->persons[ix[0]];
	for (i = 0; i < PERSON_ATTR_COUNT; i++)
		mp->attrs[i] = sp->attrs[i] != NULL ? xstrdup(sp->attrs[i]) :
		    NULL;
	mp->leaver = sp->leaver;
	return 1;
}

/*
 * A person whose own accounts are all disabled or expired has left the
 * job they had; an admin account of theirs still enabled is the access a
 * leaver keeps, which auditors look for. The person is no leaver while
 * it is (an account of theirs is live), and the conflict names it.
 */
static void
consolidate_live_admin(struct consolidate_ctx *ctx, struct match_person *mp)
{
	const struct account	*a;
	struct match_conflict	*c;
	struct match_member	*m;
	struct buf		 b;
	char			 name[300];
	size_t			 k;

	c = match_result_conflict(ctx->res, "live-admin");
	c->members = xcalloc(mp->nmembers, sizeof *c->members);
	buf_init(&b, 0);
	buf_printf(&b, "every own account of person %s is disabled or "
	    "expired, but admin account", mp->id);
	for (k = 0; k < mp->nmembers; k++) {
		a = ctx->in->accounts[mp->members[k]];
		if (a->kind == ACCOUNT_PERSON ||
		    !account_enabled(a, ctx->in->now_ms))
			continue;
		m = &c->members[c->nmembers++];
		m->account = mp->members[k];
		str_copy(m->person_id, mp->id, sizeof m->person_id);
		m->detail = xstrdup("admin account enabled");
		buf_printf(&b, "%s %s", c->nmembers > 1 ? "," : "",
		    account_name(a, name, sizeof name));
	}
	buf_printf(&b, " %s enabled: disable %s, or enable an own account",
	    c->nmembers > 1 ? "are" : "is", c->nmembers > 1 ? "them" : "it");
	c->summary = buf_detach(&b, NULL);
}

static void
consolidate_person(struct consolidate_ctx *ctx, struct match_person *mp)
{
	const struct account	*a;
	const char		*given, *sn;
	size_t			 k;
	int			 any_primary = 0, live_primary = 0, live, i;

	if (consolidate_kept(ctx, mp))
		return;

	/* A person's own accounts speak for it; admin accounts only for a
	 * person that has nothing else. A leaver has no account enabled. */
	for (k = 0; k < mp->nmembers; k++)
		if (ctx->in->accounts[mp->members[k]]->kind == ACCOUNT_PERSON)
			any_primary = 1;
	ctx->ncand = 0;
	mp->leaver = 1;
	for (k = 0; k < mp->nmembers; k++) {
		a = ctx->in->accounts[mp->members[k]];
		live = account_enabled(a, ctx->in->now_ms);
		if (live)
			mp->leaver = 0;
		if (live && a->kind == ACCOUNT_PERSON)
			live_primary = 1;
		if (any_primary && a->kind != ACCOUNT_PERSON)
			continue;
		ctx->cand[ctx->ncand].a = a;
		ctx->cand[ctx->ncand].account = mp->members[k];
		ctx->cand[ctx->ncand].enabled = live;
		ctx->ncand++;
	}
	if (any_primary && !live_primary && !mp->leaver)
		consolidate_live_admin(ctx, mp);
	for (i = 0; i < PERSON_ATTR_COUNT; i++)
		mp->attrs[i] = consolidate_pick(ctx, mp, i);
	given = mp->attrs[PERSON_GIVEN_NAME];
	sn = mp->attrs[PERSON_SN];
	if (mp->attrs[PERSON_DISPLAY_NAME] == NULL && (given != NULL ||
	    sn != NULL))
		xasprintf(&mp->attrs[PERSON_DISPLAY_NAME], "%s%s%s",
		    given != NULL ? given : "", given != NULL && sn != NULL ?
		    " " : "", sn != NULL ? sn : "");
}

int
consolidate_run(const struct consolidate_input *in, struct match_result *res,
    char *err, size_t errlen)
{
	struct consolidate_ctx	 ctx;
	size_t			 i, most = 1;
	int			 attr;

	memset(&ctx, 0, sizeof ctx);
	ctx.in = in;
	ctx.res = res;
	for (i = 0; i < in->nrules; i++) {
		if ((attr = consolidate_attr(in->rules[i]->item.label)) == -1) {
			snprintf(err, errlen, "[precedence \"%s\"]: not one of "
			    "the consolidated attributes",
			    in->rules[i]->item.label);
			return -1;
		}
		ctx.rules[attr] = in->rules[i];
	}
	for (i = 0; i < res->npersons; i++)
		if (res->persons[i].nmembers > most)
			most = res->persons[i].nmembers;
	ctx.cand = xcalloc(most, sizeof *ctx.cand);
	for (i = 0; i < res->npersons; i++)
		consolidate_person(&ctx, &res->persons[i]);
	free(ctx.cand);
	ctx.taken = index_new();
	ctx.next = index_new();
	consolidate_usernames(&ctx);
	index_free(ctx.taken);
	index_free(ctx.next);
	for (i = 0; i < res->npersons; i++)
		res->persons[i].lifecycle = consolidate_lifecycle(&ctx,
		    &res->persons[i]);
	return 0;
}
