/* test_idsync_match.c: matching accounts to persons, rule by rule: exact
 * identifiers, scores with nicknames, review and ambiguity conflicts,
 * vetoes, two primary accounts of one domain never on one person, admin
 * accounts as secondary, service accounts never, links that persist, and
 * the link, never-link and unlink decisions. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/xmalloc.h"
#include "idsync/idsync.h"
#include "tests/unit/testutil.h"

static const char *const domain_names[] = { "btuh", "meht", "southend" };

static struct compare_rule	 r_eid, r_given, r_sn, r_dept, r_mobile;
static struct compare_rule	*rules[5];
static struct match_config	 mcfg;
static char			 exact_eid[] = "employeeID";
static char			 exact_mail[] = "mail";
static char			 exact_proxy[] = "proxyAddresses";
static char			*exact_items[] = { exact_eid, exact_mail, exact_proxy };

static void
rule(struct compare_rule *r, const char *attr, enum compare_kind kind,
    double agree, double partial, double disagree)
{
	memset(r, 0, sizeof *r);
	r->item.label = (char *)(uintptr_t)attr;
	r->comparator = kind;
	r->agree = agree;
	r->partial = partial;
	r->disagree = disagree;
}

static int
setup(void **state)
{
	(void)state;
	rule(&r_eid, "employeeID", COMPARE_EXACT, 12, 0, -30);
	rule(&r_given, "givenName", COMPARE_NAME, 6, 3, -4);
	rule(&r_sn, "sn", COMPARE_NAME, 6, 4, -3);
	rule(&r_dept, "department", COMPARE_NORMALISED, 2, 0, -1);
	rule(&r_mobile, "mobile", COMPARE_DIGITS, 10, 0, -2);
	rules[0] = &r_eid;
	rules[1] = &r_given;
	rules[2] = &r_sn;
	rules[3] = &r_dept;
	rules[4] = &r_mobile;
	memset(&mcfg, 0, sizeof mcfg);
	mcfg.link = 16;
	mcfg.review = 8;
	mcfg.margin = 4;
	mcfg.veto = -20;
	mcfg.exact.items = exact_items;
	mcfg.exact.count = 3;
	mcfg.blocks = 1U << BLOCK_SURNAME | 1U << BLOCK_GIVEN_INITIAL |
	    1U << BLOCK_MOBILE;
	mcfg.max_block = 10000;
	return 0;
}

/* An account: domain index, GUID's last digits, kind, then attribute
 * name/value pairs ending with NULL. */
static struct account *
acc(int d, int n, enum account_kind kind, ...)
{
	struct account	*a;
	const char	*name, *value;
	char		 guid[DECODE_GUID_LEN], dn[64], why[128];
	va_list		 ap;

	snprintf(guid, sizeof guid, "00000000-0000-0000-0000-%012d", n);
	snprintf(dn, sizeof dn, "CN=%d,DC=%s,DC=test", n, domain_names[d]);
	a = account_new((size_t)d, domain_names[d], guid, dn);
	va_start(ap, kind);
	while ((name = va_arg(ap, const char *)) != NULL) {
		value = va_arg(ap, const char *);
		account_add_value(a, name, value, strlen(value));
	}
	va_end(ap);
	(void)account_finish(a, why, sizeof why);
	a->kind = kind;
	return a;
}

struct world {
	struct account_set	 set;
	struct state		 prev;
	struct match_result	 res;
	struct nicknames	*nk;
};

static void
world_init(struct world *w)
{
	const char	*top = getenv("top_srcdir");
	char		*path, err[256];

	memset(w, 0, sizeof *w);
	w->prev.account_index = index_new();
	w->prev.person_index = index_new();
	xasprintf(&path, "%s/data/nicknames.txt", top != NULL ? top : "..");
	w->nk = nickname_load(path, err, sizeof err);
	free(path);
	assert_non_null(w->nk);
}

static void
world_add(struct world *w, struct account *a)
{
	account_set_add(&w->set, a);
}

/* The last run linked a (a copy of it) to person. */
static void
world_linked(struct world *w, const struct account *a, const char *person,
    int64_t created_ms)
{
	struct state_account	*sa;
	struct state_person	*p;
	const size_t		*v;
	char			 key[ACCOUNT_KEY_LEN], err[128];
	size_t			 n;

	w->prev.accounts = xreallocarray(w->prev.accounts,
	    w->prev.naccounts + 1, sizeof *w->prev.accounts);
	sa = &w->prev.accounts[w->prev.naccounts];
	memset(sa, 0, sizeof *sa);
	sa->account = account_from_json(a->domain, a->domain_name, a->guid,
	    a->dn, "{}", err, sizeof err);
	account_summarise(sa->account);
	sa->person_id = xstrdup(person);
	sa->reason = xstrdup("exact:employeeID");
	sa->linked_run = 1;
	index_add(w->prev.account_index, account_key(a->domain_name, a->guid,
	    key, sizeof key), w->prev.naccounts++);
	v = index_get(w->prev.person_index, person, &n);
	sa->person = n > 0 ? v[0] : w->prev.npersons;
	if (n > 0)
		return;
	w->prev.persons = xreallocarray(w->prev.persons, w->prev.npersons + 1,
	    sizeof *w->prev.persons);
	p = &w->prev.persons[w->prev.npersons];
	memset(p, 0, sizeof *p);
	snprintf(p->id, sizeof p->id, "%s", person);
	p->created_run = 1;
	p->created_ms = created_ms;
	index_add(w->prev.person_index, person, w->prev.npersons++);
}

static void
world_decide(struct world *w, enum decision_kind kind, const struct account *a,
    const struct account *b, const char *person)
{
	struct decision	*d;

	w->prev.decisions = xreallocarray(w->prev.decisions,
	    w->prev.ndecisions + 1, sizeof *w->prev.decisions);
	d = &w->prev.decisions[w->prev.ndecisions];
	memset(d, 0, sizeof *d);
	d->id = (int64_t)++w->prev.ndecisions;
	d->kind = kind;
	d->a_domain = xstrdup(a->domain_name);
	d->a_guid = xstrdup(a->guid);
	if (b != NULL) {
		d->b_domain = xstrdup(b->domain_name);
		d->b_guid = xstrdup(b->guid);
	}
	if (person != NULL)
		d->person_id = xstrdup(person);
}

/* Runs matching and checks what must hold whatever the data: no person
 * has two primary accounts of one domain, service and shared accounts
 * have no person, a person's members point back at it. */
static void
world_match(struct world *w)
{
	struct match_input	 in;
	const struct match_person *p;
	char			 err[256];
	size_t			 i, k, j, a, b;

	account_set_sort(&w->set);
	memset(&in, 0, sizeof in);
	in.accounts = w->set.items;
	in.naccounts = w->set.count;
	in.ndomains = 3;
	in.prev = &w->prev;
	in.cfg = &mcfg;
	in.rules = rules;
	in.nrules = 5;
	in.nk = w->nk;
	in.run_id = 2;
	in.now_ms = 1795442585000LL;
	if (match_run(&in, &w->res, err, sizeof err) != 0)
		fail_msg("match_run: %s", err);
	for (i = 0; i < w->res.npersons; i++) {
		p = &w->res.persons[i];
		assert_true(p->nmembers > 0);
		for (k = 0; k < p->nmembers; k++) {
			a = p->members[k];
			assert_int_equal(w->res.links[a].person, i);
			for (j = k + 1; j < p->nmembers; j++) {
				b = p->members[j];
				if (w->set.items[a]->kind == ACCOUNT_PERSON &&
				    w->set.items[b]->kind == ACCOUNT_PERSON)
					assert_int_not_equal(
					    w->set.items[a]->domain,
					    w->set.items[b]->domain);
			}
		}
	}
	for (i = 0; i < w->set.count; i++)
		if (w->set.items[i]->kind == ACCOUNT_SERVICE ||
		    w->set.items[i]->kind == ACCOUNT_SHARED)
			assert_true(w->res.links[i].person == MATCH_NONE);
}

static size_t
idx(const struct world *w, const struct account *a)
{
	size_t	 i;

	for (i = 0; i < w->set.count; i++)
		if (w->set.items[i] == a)
			return i;
	fail_msg("account not in the world");
	return 0;
}

static const char *
person_of(const struct world *w, const struct account *a)
{
	size_t	 p = w->res.links[idx(w, a)].person;

	return p == MATCH_NONE ? NULL : w->res.persons[p].id;
}

static void
assert_same(const struct world *w, const struct account *a,
    const struct account *b)
{
	assert_non_null(person_of(w, a));
	assert_non_null(person_of(w, b));
	assert_string_equal(person_of(w, a), person_of(w, b));
}

static void
assert_apart(const struct world *w, const struct account *a,
    const struct account *b)
{
	if (person_of(w, a) != NULL && person_of(w, b) != NULL)
		assert_string_not_equal(person_of(w, a), person_of(w, b));
}

static const struct match_conflict *
conflict_with(const struct world *w, const char *kind, const struct account *a)
{
	size_t	 i, k;

	for (i = 0; i < w->res.nconflicts; i++) {
		if (strcmp(w->res.conflicts[i].kind, kind) != 0)
			continue;
		for (k = 0; k < w->res.conflicts[i].nmembers; k++)
			if (w->res.conflicts[i].members[k].account ==
			    idx(w, a))
				return &w->res.conflicts[i];
	}
	return NULL;
}

static void
world_free(struct world *w)
{
	match_result_clear(&w->res);
	state_clear(&w->prev);
	account_set_clear(&w->set);
	nickname_free(w->nk);
}

static void
test_exact_and_score(void **state)
{
	struct world	 w;
	struct account	*a, *b, *c, *d, *e;

	(void)state;
	world_init(&w);
	/* Married, one employee number: exact. */
	world_add(&w, a = acc(0, 1, ACCOUNT_PERSON, "givenName", "Sarah",
	    "sn", "Blackwood", "employeeID", "E1", NULL));
	world_add(&w, b = acc(1, 2, ACCOUNT_PERSON, "givenName", "Sarah",
	    "sn", "Fenwick", "employeeID", "e1 ", NULL));
	/* Bob and Robert with one mobile: by score. */
	world_add(&w, c = acc(0, 3, ACCOUNT_PERSON, "givenName", "Robert",
	    "sn", "Pennington", "mobile", "07700 900103", NULL));
	world_add(&w, d = acc(2, 4, ACCOUNT_PERSON, "givenName", "Bob",
	    "sn", "Pennington", "mobile", "+44 7700 900103", NULL));
	/* Someone else entirely. */
	world_add(&w, e = acc(1, 5, ACCOUNT_PERSON, "givenName", "Ada",
	    "sn", "Lovelace", NULL));
	world_match(&w);
	assert_same(&w, a, b);
	assert_string_equal(w.res.links[idx(&w, b)].reason,
	    "exact:employeeID");
	assert_same(&w, c, d);
	assert_string_equal(w.res.links[idx(&w, d)].reason, "score:22.0");
	assert_non_null(strstr(w.res.links[idx(&w, d)].detail,
	    "givenName agree +6.0"));
	assert_non_null(person_of(&w, e));
	assert_string_equal(w.res.links[idx(&w, e)].reason, "new");
	assert_int_equal(w.res.npersons, 3);
	assert_int_equal(w.res.nconflicts, 0);
	world_free(&w);
}

/* An account with many identifier values, each twice (in another case
 * too): one far down the list shared with another account still links
 * them, and by that value. */
static void
test_many_identifiers(void **state)
{
	struct world	 w;
	struct account	*a, *b, *c;
	char		 v[64];
	size_t		 i;

	(void)state;
	world_init(&w);
	a = acc(0, 1, ACCOUNT_PERSON, "givenName", "Ann", "sn", "Shaw", NULL);
	for (i = 0; i < 40; i++) {
		snprintf(v, sizeof v, "smtp:a%02zu@btuh.test", i);
		account_add_value(a, "proxyAddresses", v, strlen(v));
		snprintf(v, sizeof v, "SMTP:A%02zu@BTUH.TEST", i);
		account_add_value(a, "proxyAddresses", v, strlen(v));
	}
	world_add(&w, a);
	world_add(&w, b = acc(1, 2, ACCOUNT_PERSON, "givenName", "Ann", "sn",
	    "Shaw", "proxyAddresses", "smtp:a37@btuh.test", NULL));
	world_add(&w, c = acc(2, 3, ACCOUNT_PERSON, "givenName", "Bill", "sn",
	    "Other", "proxyAddresses", "smtp:a99@btuh.test", NULL));
	world_match(&w);
	assert_same(&w, a, b);
	assert_string_equal(w.res.links[idx(&w, b)].reason,
	    "exact:proxyAddresses");
	assert_non_null(strstr(w.res.links[idx(&w, b)].detail,
	    "proxyAddresses a37@btuh.test shared"));
	assert_apart(&w, a, c);
	assert_int_equal(w.res.nconflicts, 0);
	world_free(&w);
}

/* Accounts with long lists of one identifier (past the few compared
 * each with each): a pair sharing two values links by them, each link
 * naming the first in its own account's order, whatever the other's; a
 * pair sharing none does not link by it. */
static void
test_long_identifier_lists(void **state)
{
	struct world	 w;
	struct account	*a, *b, *c;
	char		 v[64];
	size_t		 i;

	(void)state;
	world_init(&w);
	a = acc(0, 1, ACCOUNT_PERSON, "givenName", "Ann", "sn", "Shaw", NULL);
	b = acc(1, 2, ACCOUNT_PERSON, "givenName", "Ann", "sn", "Shaw", NULL);
	c = acc(2, 3, ACCOUNT_PERSON, "givenName", "Ann", "sn", "Shaw", NULL);
	for (i = 0; i < 20; i++) {
		snprintf(v, sizeof v, "smtp:a%02zu@btuh.test", 19 - i);
		account_add_value(a, "proxyAddresses", v, strlen(v));
		snprintf(v, sizeof v, "smtp:b%02zu@meht.test", i);
		account_add_value(b, "proxyAddresses", v, strlen(v));
		snprintf(v, sizeof v, "smtp:c%02zu@southend.test", i);
		account_add_value(c, "proxyAddresses", v, strlen(v));
	}
	/* a has a15 before a07; b has them the other way about. */
	account_add_value(b, "proxyAddresses", "smtp:a07@btuh.test", 18);
	account_add_value(b, "proxyAddresses", "smtp:a15@btuh.test", 18);
	world_add(&w, a);
	world_add(&w, b);
	world_add(&w, c);
	world_match(&w);
	assert_same(&w, a, b);
	assert_string_equal(w.res.links[idx(&w, b)].reason,
	    "exact:proxyAddresses");
	/* Each link says the first shared in its own account's order. */
	assert_non_null(strstr(w.res.links[idx(&w, a)].detail,
	    "proxyAddresses a15@btuh.test shared"));
	assert_non_null(strstr(w.res.links[idx(&w, b)].detail,
	    "proxyAddresses a07@btuh.test shared"));
	assert_true(w.res.links[idx(&w, c)].reason == NULL ||
	    strncmp(w.res.links[idx(&w, c)].reason, "exact:", 6) != 0);
	world_free(&w);
}

static void
test_review_and_veto(void **state)
{
	struct world	 w;
	struct account	*a, *b, *c, *d, *e, *f;

	(void)state;
	world_init(&w);
	/* Names and department only: a person decides; the meht account
	 * waits without a person. */
	world_add(&w, a = acc(0, 1, ACCOUNT_PERSON, "givenName", "Daniel",
	    "sn", "Kerridge", "department", "Radiology", NULL));
	world_add(&w, b = acc(1, 2, ACCOUNT_PERSON, "givenName", "Danny",
	    "sn", "Kerridge", "department", "Radiology", NULL));
	/* One mail address, two employee numbers: never. */
	world_add(&w, c = acc(0, 3, ACCOUNT_PERSON, "givenName", "Jo",
	    "sn", "Bloggs", "mail", "jo@btuh.test", "employeeID", "E3",
	    NULL));
	world_add(&w, d = acc(2, 4, ACCOUNT_PERSON, "givenName", "Jo",
	    "sn", "Bloggs", "mail", "JO@btuh.test", "employeeID", "E4",
	    NULL));
	/* Twins: one surname, one job. */
	world_add(&w, e = acc(0, 5, ACCOUNT_PERSON, "givenName", "Emma",
	    "sn", "Clarke", "department", "Maternity", NULL));
	world_add(&w, f = acc(1, 6, ACCOUNT_PERSON, "givenName", "Emily",
	    "sn", "Clarke", "department", "Maternity", NULL));
	world_match(&w);
	assert_non_null(conflict_with(&w, "review", a));
	/* Nickname, surname and department agree: 6 + 6 + 2. */
	assert_string_equal(conflict_with(&w, "review", a)->summary,
	    "meht\\00000000-0000-0000-0000-000000000002 may be one person "
	    "with btuh\\00000000-0000-0000-0000-000000000001 "
	    "(score 14.0; 16.0 links)");
	assert_non_null(person_of(&w, a));
	assert_null(person_of(&w, b));
	assert_int_equal(w.res.links[idx(&w, b)].in_conflict, 1);
	assert_non_null(conflict_with(&w, "contradiction", c));
	assert_apart(&w, c, d);
	assert_non_null(person_of(&w, d));
	assert_apart(&w, e, f);
	assert_null(conflict_with(&w, "review", e));
	world_free(&w);
}

/* Namesakes: an account that waits is one conflict, its candidates in it
 * from the likeliest down, not a conflict for each pairing. */
static void
test_review_candidates(void **state)
{
	struct world			 w;
	struct account			*a, *b, *c, *d;
	const struct match_conflict	*cf;
	size_t				 i, n = 0;

	(void)state;
	world_init(&w);
	world_add(&w, a = acc(0, 1, ACCOUNT_PERSON, "givenName", "John",
	    "sn", "Smith", "department", "Estates", NULL));
	world_add(&w, b = acc(0, 2, ACCOUNT_PERSON, "givenName", "John",
	    "sn", "Smith", "department", "Radiology", NULL));
	world_add(&w, c = acc(2, 3, ACCOUNT_PERSON, "givenName", "John",
	    "sn", "Smith", NULL));
	world_add(&w, d = acc(1, 4, ACCOUNT_PERSON, "givenName", "John",
	    "sn", "Smith", "department", "Radiology", NULL));
	world_match(&w);
	for (i = 0; i < w.res.nconflicts; i++)
		n += strcmp(w.res.conflicts[i].kind, "review") == 0;
	assert_int_equal(n, 2);
	assert_non_null(person_of(&w, a));
	assert_non_null(person_of(&w, b));
	assert_null(person_of(&w, c));
	assert_null(person_of(&w, d));

	/* meht's waits: Radiology's John Smith first (6 + 6 + 2). */
	cf = conflict_with(&w, "review", d);
	assert_int_equal(cf->nmembers, 3);
	assert_int_equal(cf->members[0].account, idx(&w, d));
	assert_int_equal(cf->members[0].has_score, 0);
	assert_int_equal(cf->members[1].account, idx(&w, b));
	assert_true(cf->members[1].score == 14);
	assert_non_null(strstr(cf->members[1].detail, "department agree"));
	assert_int_equal(cf->members[2].account, idx(&w, a));
	assert_true(cf->members[2].score == 11);
	assert_string_equal(cf->summary,
	    "meht\\00000000-0000-0000-0000-000000000004 may be one person "
	    "with one of 2 accounts (16.0 links): "
	    "btuh\\00000000-0000-0000-0000-000000000002 (14.0), "
	    "btuh\\00000000-0000-0000-0000-000000000001 (11.0)");

	/* southend's, with no department, waits on all three. */
	for (i = 0; i < w.res.nconflicts; i++)
		if (w.res.conflicts[i].members[0].account == idx(&w, c))
			break;
	assert_true(i < w.res.nconflicts);
	cf = &w.res.conflicts[i];
	assert_string_equal(cf->kind, "review");
	assert_int_equal(cf->nmembers, 4);
	world_free(&w);
}

/* Surname with the given name's initial, its end, or its formal forms:
 * a common surname split by given name, and one slip in the given name
 * still leaves a key the two accounts share. */
static void
test_blocking_surname_given(void **state)
{
	struct world	 w;
	struct account	*a, *b, *c, *d, *e, *f, *g, *h;
	unsigned	 saved = mcfg.blocks;

	(void)state;
	mcfg.blocks = 1U << BLOCK_SURNAME_GIVEN;
	world_init(&w);
	/* A slip in the first letter: the end still meets. */
	world_add(&w, a = acc(0, 1, ACCOUNT_PERSON, "givenName", "Katherine",
	    "sn", "Whitfield", "department", "Radiology", NULL));
	world_add(&w, b = acc(1, 2, ACCOUNT_PERSON, "givenName", "Catherine",
	    "sn", "Whitfield", "department", "Radiology", NULL));
	/* A slip at the end: the initial still meets. */
	world_add(&w, c = acc(0, 3, ACCOUNT_PERSON, "givenName", "Jonathon",
	    "sn", "Pemberton", "mobile", "07700 900101", NULL));
	world_add(&w, d = acc(2, 4, ACCOUNT_PERSON, "givenName", "Jonathan",
	    "sn", "Pemberton", "mobile", "07700 900101", NULL));
	/* Liz for Elizabeth, and a double-barrelled name: the formal form
	 * with a word of the surname. */
	world_add(&w, e = acc(0, 5, ACCOUNT_PERSON, "givenName", "Elizabeth",
	    "sn", "Moore", "mobile", "07700 900104", NULL));
	world_add(&w, f = acc(1, 6, ACCOUNT_PERSON, "givenName", "Liz",
	    "sn", "Hartley-Moore", "mobile", "07700 900104", NULL));
	/* An initial for the name. */
	world_add(&w, g = acc(1, 7, ACCOUNT_PERSON, "givenName", "J",
	    "sn", "Achterberg", "department", "Estates", NULL));
	world_add(&w, h = acc(2, 8, ACCOUNT_PERSON, "givenName", "John",
	    "sn", "Achterberg", "department", "Estates", NULL));
	world_match(&w);
	assert_non_null(conflict_with(&w, "review", a));
	assert_same(&w, c, d);
	assert_same(&w, e, f);
	assert_non_null(conflict_with(&w, "review", g));
	world_free(&w);

	/* One surname, given names with nothing in common: not compared;
	 * surname alone compares them. */
	world_init(&w);
	world_add(&w, acc(0, 1, ACCOUNT_PERSON, "givenName", "Ada", "sn",
	    "Smith", NULL));
	world_add(&w, acc(1, 2, ACCOUNT_PERSON, "givenName", "Mary", "sn",
	    "Smith", NULL));
	world_match(&w);
	assert_int_equal(w.res.stats.pairs, 0);
	world_free(&w);
	mcfg.blocks = 1U << BLOCK_SURNAME;
	world_init(&w);
	world_add(&w, acc(0, 1, ACCOUNT_PERSON, "givenName", "Ada", "sn",
	    "Smith", NULL));
	world_add(&w, acc(1, 2, ACCOUNT_PERSON, "givenName", "Mary", "sn",
	    "Smith", NULL));
	world_match(&w);
	assert_int_equal(w.res.stats.pairs, 1);
	world_free(&w);
	mcfg.blocks = saved;
}

/* Accounts that share several blocks are compared once, and each pair of
 * a block once: five namesakes with one mobile (every block shared),
 * and one more sharing the surname alone. */
static void
test_blocks_compared_once(void **state)
{
	struct world	 w;
	static const int doms[] = { 0, 1, 2, 0, 1 };
	size_t		 i;

	(void)state;
	world_init(&w);
	for (i = 0; i < 5; i++)
		world_add(&w, acc(doms[i], (int)(10 - i), ACCOUNT_PERSON,
		    "givenName", "Ada", "sn", "Smith", "mobile",
		    "07700 900555", NULL));
	world_add(&w, acc(2, 7, ACCOUNT_PERSON, "givenName", "Mary", "sn",
	    "Smith", NULL));
	world_match(&w);
	/* Of the five, ten pairs but the two within btuh and meht; Mary
	 * with the four not of southend. */
	assert_int_equal(w.res.stats.pairs, 8 + 4);
	world_free(&w);
}

static void
test_two_primaries_and_ambiguity(void **state)
{
	struct world	 w;
	struct account	*a, *b, *c, *d, *e, *f;

	(void)state;
	world_init(&w);
	/* One employee number on two btuh accounts: the meht one cannot
	 * tell which, and the two btuh ones are never one person. */
	world_add(&w, a = acc(0, 1, ACCOUNT_PERSON, "givenName", "Ann",
	    "sn", "Lee", "employeeID", "E9", NULL));
	world_add(&w, b = acc(0, 2, ACCOUNT_PERSON, "givenName", "Ann",
	    "sn", "Lee", "employeeID", "E9", NULL));
	world_add(&w, c = acc(1, 3, ACCOUNT_PERSON, "givenName", "Ann",
	    "sn", "Lee", "employeeID", "E9", NULL));
	/* Two namesakes in meht score alike against one btuh account. */
	world_add(&w, d = acc(0, 4, ACCOUNT_PERSON, "givenName", "John",
	    "sn", "Smith", "mobile", "07700 900001", NULL));
	world_add(&w, e = acc(1, 5, ACCOUNT_PERSON, "givenName", "John",
	    "sn", "Smith", "mobile", "07700 900001", NULL));
	world_add(&w, f = acc(1, 6, ACCOUNT_PERSON, "givenName", "Jon",
	    "sn", "Smith", "mobile", "07700 900001", NULL));
	world_match(&w);
	assert_apart(&w, a, b);
	assert_non_null(conflict_with(&w, "ambiguous", c));
	assert_null(person_of(&w, c));
	assert_non_null(conflict_with(&w, "ambiguous", d));
	assert_null(person_of(&w, d));
	assert_apart(&w, e, f);
	world_free(&w);
}

static void
test_kinds(void **state)
{
	struct world	 w;
	struct account	*a, *b, *c, *s, *t;

	(void)state;
	world_init(&w);
	world_add(&w, a = acc(0, 1, ACCOUNT_PERSON, "givenName", "John",
	    "sn", "Smith", "employeeID", "E1", "department", "Radiology",
	    "mobile", "07700 900201", NULL));
	world_add(&w, b = acc(1, 2, ACCOUNT_PERSON, "givenName", "John",
	    "sn", "Smith", "department", "Estates", "mobile", "07700 900202",
	    NULL));
	/* The radiologist's admin account, in his own domain. */
	world_add(&w, c = acc(0, 3, ACCOUNT_ADMIN, "givenName", "John",
	    "sn", "Smith", "department", "Radiology", "mobile",
	    "07700 900201", NULL));
	/* Service and shared accounts, whatever they carry. */
	world_add(&w, s = acc(1, 4, ACCOUNT_SERVICE, "givenName", "John",
	    "sn", "Smith", "employeeID", "E1", NULL));
	world_add(&w, t = acc(2, 5, ACCOUNT_SHARED, "givenName", "Ward 7",
	    "sn", "Nurses", "mobile", "07700 900201", NULL));
	world_match(&w);
	assert_same(&w, a, c);
	assert_int_equal(w.res.links[idx(&w, c)].secondary, 1);
	assert_int_equal(w.res.links[idx(&w, a)].secondary, 0);
	assert_apart(&w, a, b);
	assert_null(person_of(&w, s));
	assert_null(person_of(&w, t));
	world_free(&w);
}

static void
test_existing_links_persist(void **state)
{
	struct world	 w;
	struct account	*a, *b, *c;
	const char	*p = "11111111-1111-4111-8111-111111111111";

	(void)state;
	world_init(&w);
	/* Linked by an earlier run on evidence no longer there. */
	world_add(&w, a = acc(0, 1, ACCOUNT_PERSON, "givenName", "Mary",
	    "sn", "Shelley", NULL));
	world_add(&w, b = acc(1, 2, ACCOUNT_PERSON, "givenName", "Mary",
	    "sn", "Godwin", NULL));
	world_linked(&w, a, p, 1000);
	world_linked(&w, b, p, 1000);
	/* A new account joins the person that exists. */
	world_add(&w, c = acc(2, 3, ACCOUNT_PERSON, "givenName", "Mary",
	    "sn", "Godwin", "employeeID", "E5", NULL));
	account_add_value(b, "employeeID", "E5", 2);
	world_match(&w);
	assert_string_equal(person_of(&w, a), p);
	assert_string_equal(person_of(&w, b), p);
	assert_string_equal(person_of(&w, c), p);
	assert_int_equal(w.res.npersons, 1);
	assert_int_equal(w.res.persons[0].existing, 1);
	assert_int_equal(w.res.stats.linked_existing, 2);
	assert_string_equal(w.res.links[idx(&w, a)].reason,
	    "exact:employeeID");
	assert_int_equal(w.res.links[idx(&w, c)].linked_run, 2);
	world_free(&w);
}

static void
test_decisions(void **state)
{
	struct world	 w;
	struct account	*a, *b, *c, *d, *e, *f, *g;
	const char	*p1 = "11111111-1111-4111-8111-111111111111";
	const char	*p2 = "22222222-2222-4222-8222-222222222222";

	(void)state;
	world_init(&w);
	/* link: nothing in common but a person's word. */
	world_add(&w, a = acc(0, 1, ACCOUNT_PERSON, "givenName", "Ann",
	    "sn", "Able", NULL));
	world_add(&w, b = acc(1, 2, ACCOUNT_PERSON, "givenName", "Nan",
	    "sn", "Baker", NULL));
	world_decide(&w, DECISION_LINK, a, b, NULL);
	/* never-link: one employee number, but not one person. */
	world_add(&w, c = acc(0, 3, ACCOUNT_PERSON, "givenName", "Cy",
	    "sn", "Cole", "employeeID", "E7", NULL));
	world_add(&w, d = acc(2, 4, ACCOUNT_PERSON, "givenName", "Cy",
	    "sn", "Cole", "employeeID", "E7", NULL));
	world_decide(&w, DECISION_NEVER_LINK, d, c, NULL);
	/* unlink: e was wrongly on p1 with f. */
	world_add(&w, e = acc(0, 5, ACCOUNT_PERSON, "givenName", "Eve",
	    "sn", "Eden", NULL));
	world_add(&w, f = acc(1, 6, ACCOUNT_PERSON, "givenName", "Eve",
	    "sn", "Eden", "department", "Pharmacy", NULL));
	world_linked(&w, e, p1, 1000);
	world_linked(&w, f, p1, 1000);
	world_decide(&w, DECISION_UNLINK, f, NULL, p1);
	/* Two persons that match now stay two until a person links them. */
	world_add(&w, g = acc(2, 7, ACCOUNT_PERSON, "givenName", "Eve",
	    "sn", "Eden", "employeeID", "E8", NULL));
	account_add_value(e, "employeeID", "E8", 2);
	world_linked(&w, g, p2, 2000);
	world_match(&w);
	assert_same(&w, a, b);
	assert_string_equal(w.res.links[idx(&w, b)].reason, "manual");
	assert_apart(&w, c, d);
	assert_non_null(person_of(&w, c));
	assert_non_null(person_of(&w, d));
	assert_string_equal(person_of(&w, e), p1);
	assert_true(person_of(&w, f) == NULL ||
	    strcmp(person_of(&w, f), p1) != 0);
	assert_string_equal(person_of(&w, g), p2);
	assert_non_null(conflict_with(&w, "merge", g));
	world_free(&w);

	/* Then a link decision merges them into the older person. */
	world_init(&w);
	world_add(&w, e = acc(0, 5, ACCOUNT_PERSON, "givenName", "Eve",
	    "sn", "Eden", "employeeID", "E8", NULL));
	world_add(&w, g = acc(2, 7, ACCOUNT_PERSON, "givenName", "Eve",
	    "sn", "Eden", "employeeID", "E8", NULL));
	world_linked(&w, e, p2, 2000);
	world_linked(&w, g, p1, 1000);
	world_decide(&w, DECISION_LINK, e, g, NULL);
	world_match(&w);
	assert_string_equal(person_of(&w, e), p1);
	assert_string_equal(person_of(&w, g), p1);
	assert_int_equal(w.res.npersons, 1);
	world_free(&w);

	/* A link decision that would break the rule is a conflict. */
	world_init(&w);
	world_add(&w, a = acc(0, 1, ACCOUNT_PERSON, "givenName", "Ann",
	    "sn", "Able", NULL));
	world_add(&w, b = acc(0, 2, ACCOUNT_PERSON, "givenName", "Ann",
	    "sn", "Able", NULL));
	world_decide(&w, DECISION_LINK, a, b, NULL);
	world_match(&w);
	assert_apart(&w, a, b);
	assert_non_null(conflict_with(&w, "decision", a));
	world_free(&w);
}

static void
test_uuid(void **state)
{
	char	 a[DECODE_GUID_LEN], b[DECODE_GUID_LEN];

	(void)state;
	match_uuid(a);
	match_uuid(b);
	assert_int_equal(strlen(a), 36);
	assert_int_equal(a[14], '4');
	assert_true(strchr("89ab", a[19]) != NULL);
	assert_string_not_equal(a, b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_and_score),
		cmocka_unit_test(test_many_identifiers),
		cmocka_unit_test(test_long_identifier_lists),
		cmocka_unit_test(test_review_and_veto),
		cmocka_unit_test(test_review_candidates),
		cmocka_unit_test(test_blocking_surname_given),
		cmocka_unit_test(test_blocks_compared_once),
		cmocka_unit_test(test_two_primaries_and_ambiguity),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_existing_links_persist),
		cmocka_unit_test(test_decisions),
		cmocka_unit_test(test_uuid),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
