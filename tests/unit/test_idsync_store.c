/* test_idsync_store.c: idsync.db: a run's state saved and loaded again,
 * with where each domain's next read starts; a save that fails half-way
 * (here: two primary accounts of one domain on one person, which the
 * database itself refuses) leaves the previous state and marks whole; a
 * save writes only what changed; the run lock; run history rows; the audit; finding accounts by name. */
#include "config.h"

#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>
#include <sqlite3.h>
#include <unistr.h>

#include "common/buf.h"
#include "common/db.h"
#include "common/xmalloc.h"
#include "idsync/idsync.h"
#include "tests/unit/testutil.h"

static struct account *
acc(size_t d, const char *dom, int n, const char *sam)
{
	struct account	*a;
	char		 guid[DECODE_GUID_LEN], dn[64], why[64];

	snprintf(guid, sizeof guid, "00000000-0000-0000-0000-%012d", n);
	snprintf(dn, sizeof dn, "CN=%s,DC=%s,DC=test", sam, dom);
	a = account_new(d, dom, guid, dn);
	account_add_value(a, "sAMAccountName", sam, strlen(sam));
	account_add_value(a, "givenName", "Ann", 3);
	(void)account_finish(a, why, sizeof why);
	a->kind = ACCOUNT_PERSON;
	return a;
}

/* No statement of st's whose SQL holds what has scanned a whole table
 * or index. */
static void
no_full_scans(struct store *st, const char *what)
{
	sqlite3_stmt	*stmt = NULL;
	int		 seen = 0;

	while ((stmt = sqlite3_next_stmt(db_handle(store_db(st)), stmt)) !=
	    NULL) {
		if (strstr(sqlite3_sql(stmt), what) == NULL)
			continue;
		seen++;
		if (sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_FULLSCAN_STEP,
		    0) != 0)
			fail_msg("a full scan: %s", sqlite3_sql(stmt));
	}
	assert_true(seen > 0);
}

/* A result putting accounts[0..n) on one person. */
static void
one_person(struct match_result *res, size_t n, const char *id)
{
	size_t	 i;

	memset(res, 0, sizeof *res);
	res->links = xcalloc(n, sizeof *res->links);
	res->nlinks = n;
	res->persons = xcalloc(1, sizeof *res->persons);
	res->npersons = 1;
	snprintf(res->persons[0].id, sizeof res->persons[0].id, "%s", id);
	res->persons[0].attrs[PERSON_DISPLAY_NAME] = xstrdup("Ann");
	res->persons[0].members = xcalloc(n, sizeof(size_t));
	res->persons[0].nmembers = n;
	for (i = 0; i < n; i++) {
		res->persons[0].members[i] = i;
		res->links[i].person = 0;
		res->links[i].reason = xstrdup(i == 0 ? "new" :
		    "exact:employeeID");
		res->links[i].linked_run = 1;
	}
}

static void
mark(struct read_mark *m, const char *domain, int64_t usn)
{
	memset(m, 0, sizeof *m);
	snprintf(m->domain, sizeof m->domain, "%s", domain);
	snprintf(m->server, sizeof m->server, "CN=NTDS Settings,CN=DC1");
	snprintf(m->invocation, sizeof m->invocation,
	    "57ffc9d7-83fe-4011-acb6-f71787461644");
	m->usn = usn;
	m->scope = xstrdup("DC=btuh,DC=test\n(objectClass=user)\nsn");
	m->full_ms = 1500;
}

static size_t
count(struct store *st, const char *sql)
{
	sqlite3_stmt	*stmt;
	char		 err[256];
	size_t		 n;

	stmt = db_stmt(store_db(st), sql, err, sizeof err);
	assert_non_null(stmt);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	n = (size_t)sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	return n;
}

/* plan_compute with its lines into plan, having checked that without
 * them it counts the same. */
static void
plan_both(const struct state *prev, struct account *const *items, size_t n,
    const struct match_result *res, struct plan *plan)
{
	struct plan	 bare;

	plan_compute(prev, items, n, res, 0, &bare);
	plan_compute(prev, items, n, res, 1, plan);
	assert_null(bare.diff);
	assert_non_null(plan->diff);
	bare.diff = plan->diff;
	assert_memory_equal(&bare, plan, sizeof bare);
}

static void
test_save_load_and_atomic(void **state)
{
	struct store		*st;
	struct state		 prev, again;
	struct account_set	 set;
	struct match_result	 res;
	struct plan		 plan;
	struct read_mark	 marks[2], got;
	char			*path, err[512], dom[64], guid[DECODE_GUID_LEN];
	int64_t			 run;
	size_t			 n;

	(void)state;
	path = tu_path(tu_tmpdir(), "save.db");
	st = store_open(path, 0, err, sizeof err);
	assert_non_null(st);
	assert_int_equal(store_load_state(st, NULL, 0, &prev, err, sizeof err), 0);
	assert_int_equal(prev.naccounts, 0);

	memset(&set, 0, sizeof set);
	account_set_add(&set, acc(0, "btuh", 1, "ann"));
	account_set_add(&set, acc(1, "meht", 2, "ann.a"));
	one_person(&res, 2, "11111111-1111-4111-8111-111111111111");
	plan_both(&prev, set.items, set.count, &res, &plan);
	assert_int_equal(plan.accounts_added, 2);
	assert_int_equal(plan.persons_created, 1);
	assert_int_equal(plan.links_added, 2);
	assert_int_equal(store_run_begin(st, "run", 1000, 0, &run, err,
	    sizeof err), 0);
	/* meht has no mark: a server without update sequence numbers. */
	mark(&marks[0], "btuh", 4100);
	mark(&marks[1], "meht", 0);
	/* btuh's read was by DirSync: its cookie is binary, NULs and all. */
	marks[0].cookie = xmalloc(5);
	memcpy(marks[0].cookie, "\x01\x00\xff" "ck", 5);
	marks[0].cookie_len = 5;
	if (store_save(st, run, set.items, set.count, &prev, &res, &plan,
	    marks, 2, NULL, 2000, err, sizeof err) != 0)
		fail_msg("save: %s", err);
	/* The save checks the foreign keys once itself; then they are on
	 * again. */
	assert_int_equal(count(st, "PRAGMA foreign_keys"), 1);
	/* A new state's pages are 16 KiB. */
	assert_int_equal(count(st, "PRAGMA page_size"), 16384);
	read_mark_clear(&marks[0]);
	read_mark_clear(&marks[1]);
	plan_clear(&plan);
	match_result_clear(&res);
	state_clear(&prev);
	account_set_clear(&set);

	assert_int_equal(store_load_state(st, NULL, 0, &prev, err, sizeof err), 0);
	assert_int_equal(prev.naccounts, 2);
	assert_int_equal(prev.npersons, 1);
	assert_string_equal(prev.accounts[1].person_id,
	    "11111111-1111-4111-8111-111111111111");
	assert_string_equal(prev.accounts[1].reason, "exact:employeeID");
	/* Loaded without their attributes but the name; those of a changed
	 * account are loaded for the plan. */
	assert_int_equal(prev.accounts[0].partial, 1);
	assert_string_equal(account_get(prev.accounts[0].account,
	    "sAMAccountName"), "ann");
	assert_null(account_get(prev.accounts[0].account, "givenName"));
	memset(&set, 0, sizeof set);
	account_set_add(&set, acc(0, "btuh", 1, "ann"));
	account_set_add(&set, acc(1, "meht", 2, "ann.a"));
	account_add_value(set.items[0], "sn", "Smith", 5);
	(void)account_finish(set.items[0], err, sizeof err);
	account_summarise(set.items[0]);
	account_summarise(set.items[1]);
	assert_int_equal(store_load_attrs(st, &prev, set.items, set.count, &n,
	    err, sizeof err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(prev.accounts[0].partial, 0);
	assert_int_equal(prev.accounts[1].partial, 1);
	assert_string_equal(account_get(prev.accounts[0].account,
	    "givenName"), "Ann");
	one_person(&res, 2, "11111111-1111-4111-8111-111111111111");
	plan_both(&prev, set.items, set.count, &res, &plan);
	assert_int_equal(plan.accounts_modified, 1);
	assert_contains(plan.diff, "~ account btuh\\ann: sn\n");
	plan_clear(&plan);
	match_result_clear(&res);
	/* One gone: named by the sAMAccountName kept. */
	one_person(&res, 1, "11111111-1111-4111-8111-111111111111");
	plan_both(&prev, set.items, 1, &res, &plan);
	assert_int_equal(plan.accounts_removed, 1);
	assert_contains(plan.diff, "- account meht\\ann.a "
	    "(00000000-0000-0000-0000-000000000002)\n");
	plan_clear(&plan);
	match_result_clear(&res);
	account_set_clear(&set);
	/* Read no more: meht's is gone, and loaded (matching again needs
	 * what it paired with); btuh's was loaded already. Then neither
	 * again. */
	assert_int_equal(store_load_attrs(st, &prev, NULL, 0, &n, err,
	    sizeof err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(prev.accounts[1].partial, 0);
	assert_string_equal(account_get(prev.accounts[1].account,
	    "givenName"), "Ann");
	assert_int_equal(store_load_attrs(st, &prev, NULL, 0, &n, err,
	    sizeof err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_load_state(st, NULL, STATE_ATTRS, &again, err,
	    sizeof err), 0);
	assert_int_equal(again.accounts[1].partial, 0);
	assert_string_equal(account_get(again.accounts[1].account,
	    "givenName"), "Ann");
	state_clear(&again);
	assert_int_equal(count(st, "SELECT count(*) FROM runs WHERE "
	    "outcome = 'ok' AND accounts = 2"), 1);
	assert_int_equal(store_load_mark(st, "btuh", &got, err, sizeof err),
	    0);
	assert_int_equal(got.usn, 4100);
	assert_string_equal(got.domain, "btuh");
	assert_string_equal(got.server, "CN=NTDS Settings,CN=DC1");
	assert_string_equal(got.invocation,
	    "57ffc9d7-83fe-4011-acb6-f71787461644");
	assert_string_equal(got.scope,
	    "DC=btuh,DC=test\n(objectClass=user)\nsn");
	assert_int_equal(got.full_ms, 1500);
	assert_int_equal(got.cookie_len, 5);
	assert_memory_equal(got.cookie, "\x01\x00\xff" "ck", 5);
	read_mark_clear(&got);
	assert_null(got.cookie);
	assert_int_equal(store_load_mark(st, "meht", &got, err, sizeof err),
	    0);
	assert_int_equal(got.usn, 0);
	assert_null(got.scope);

	/* Two btuh accounts on one person: the database refuses, and the
	 * whole save is undone. */
	memset(&set, 0, sizeof set);
	account_set_add(&set, acc(0, "btuh", 1, "ann"));
	account_set_add(&set, acc(0, "btuh", 3, "ann2"));
	account_set_add(&set, acc(1, "meht", 2, "ann.a"));
	one_person(&res, 3, "22222222-2222-4222-8222-222222222222");
	plan_both(&prev, set.items, set.count, &res, &plan);
	assert_int_equal(store_run_begin(st, "run", 3000, 0, &run, err,
	    sizeof err), 0);
	mark(&marks[0], "btuh", 5000);
	assert_int_equal(store_save(st, run, set.items, set.count, &prev, &res,
	    &plan, marks, 1, NULL, 4000, err, sizeof err), -1);
	assert_contains(err, "UNIQUE");
	read_mark_clear(&marks[0]);
	/* The mark did not move without the data it belongs to. */
	assert_int_equal(store_load_mark(st, "btuh", &got, err, sizeof err),
	    0);
	assert_int_equal(got.usn, 4100);
	assert_int_equal(got.cookie_len, 5);
	read_mark_clear(&got);
	plan_clear(&plan);
	match_result_clear(&res);
	account_set_clear(&set);
	state_clear(&prev);
	assert_int_equal(store_load_state(st, NULL, 0, &again, err, sizeof err),
	    0);
	assert_int_equal(again.naccounts, 2);
	assert_int_equal(again.npersons, 1);
	assert_string_equal(again.persons[0].id,
	    "11111111-1111-4111-8111-111111111111");
	state_clear(&again);
	assert_int_equal(count(st, "SELECT count(*) FROM runs WHERE "
	    "outcome = 'running'"), 1);

	/* A run that never ended is marked when the next one starts. */
	assert_int_equal(store_run_begin(st, "plan", 5000, 0, &run, err,
	    sizeof err), 0);
	assert_int_equal(count(st, "SELECT count(*) FROM runs WHERE "
	    "outcome = 'interrupted'"), 1);
	assert_int_equal(store_run_end(st, run, "ok", "plan only", NULL, 6000,
	    err, sizeof err), 0);

	/* Accounts by DOMAIN\NAME, DOMAIN:GUID, a bare name or GUID. */
	assert_int_equal(store_find_account(st, "btuh\\ANN", dom, sizeof dom,
	    guid, err, sizeof err), 0);
	assert_string_equal(dom, "btuh");
	assert_string_equal(guid, "00000000-0000-0000-0000-000000000001");
	assert_int_equal(store_find_account(st,
	    "meht:00000000-0000-0000-0000-000000000002", dom, sizeof dom, guid,
	    err, sizeof err), 0);
	assert_string_equal(dom, "meht");
	assert_int_equal(store_find_account(st, "ann.a", dom, sizeof dom,
	    guid, err, sizeof err), 0);
	assert_int_equal(store_find_account(st, "nobody", dom, sizeof dom,
	    guid, err, sizeof err), -1);
	assert_contains(err, "no account \"nobody\"");
	assert_int_equal(store_find_account(st,
	    "00000000-0000-0000-0000-000000000002", dom, sizeof dom, guid,
	    err, sizeof err), 0);
	assert_string_equal(dom, "meht");
	assert_int_equal(store_find_account(st, "btuh\\ann.a", dom,
	    sizeof dom, guid, err, sizeof err), -1);
	/* Each through an index: a file of decisions looks up thousands. */
	no_full_scans(st, "lower(?2)");
	store_close(st);

	/* Read-only opening needs a database to exist. */
	assert_null(store_open("/nonexistent/idsync.db", STORE_READONLY, err,
	    sizeof err));
	assert_contains(err, "no database yet");
	free(path);
}

/*
 * The estate of test_save_writes_changes: accounts k of 0..n alternate
 * btuh and meht, two of them (2j and 2j + 1) to person j, whose username
 * is names[j]; one conflict about account 0 says summary.
 */
static void
estate(struct account_set *set, struct match_result *res, size_t n,
    const char *const *names, const char *summary)
{
	struct match_person	*p;
	size_t			 k;

	memset(set, 0, sizeof *set);
	for (k = 0; k < n; k++)
		account_set_add(set, acc(k % 2, k % 2 ? "meht" : "btuh",
		    (int)k + 1, names[k / 2]));
	memset(res, 0, sizeof *res);
	res->links = xcalloc(n, sizeof *res->links);
	res->nlinks = n;
	res->npersons = (n + 1) / 2;
	res->persons = xcalloc(res->npersons, sizeof *res->persons);
	for (k = 0; k < res->npersons; k++) {
		p = &res->persons[k];
		snprintf(p->id, sizeof p->id,
		    "11111111-1111-4111-8111-%012d", (int)k);
		p->attrs[PERSON_DISPLAY_NAME] = xstrdup(names[k]);
		p->username = xstrdup(names[k]);
		p->lifecycle = "active";
		p->created_run = 1;
	}
	for (k = 0; k < n; k++) {
		res->links[k].person = k / 2;
		res->links[k].reason = xstrdup("exact:employeeID");
		res->links[k].linked_run = 1;
	}
	res->conflicts = xcalloc(1, sizeof *res->conflicts);
	res->nconflicts = 1;
	res->conflicts[0].kind = "ambiguous";
	res->conflicts[0].summary = xstrdup(summary);
	res->conflicts[0].members = xcalloc(1,
	    sizeof *res->conflicts[0].members);
	res->conflicts[0].nmembers = 1;
	res->conflicts[0].members[0].account = 0;
	res->conflicts[0].members[0].has_score = 1;
	res->conflicts[0].members[0].score = 9.5;
	res->conflicts[0].members[0].detail = xstrdup("sn agree +6.0");
}

/* Saves set and res over the state st holds; returns the rows that
 * changed. */
static int
save_over(struct store *st, struct account_set *set, struct match_result *res)
{
	struct state	 prev;
	struct plan	 plan;
	char		 err[512];
	int64_t		 run;
	int		 before;

	assert_int_equal(store_load_state(st, NULL, 0, &prev, err, sizeof err), 0);
	plan_compute(&prev, set->items, set->count, res, 1, &plan);
	assert_int_equal(store_run_begin(st, "run", 1000, 0, &run, err,
	    sizeof err), 0);
	before = sqlite3_total_changes(db_handle(store_db(st)));
	if (store_save(st, run, set->items, set->count, &prev, res, &plan,
	    NULL, 0, NULL, 2000, err, sizeof err) != 0)
		fail_msg("save: %s", err);
	plan_clear(&plan);
	state_clear(&prev);
	match_result_clear(res);
	account_set_clear(set);
	return sqlite3_total_changes(db_handle(store_db(st))) - before;
}

/* A save writes only the rows that differ from the last state: the same
 * state again writes nothing but the run's row; a conflict found again
 * keeps its id; a username or a primary link passed between two persons
 * is no clash. */
static void
test_save_writes_changes(void **state)
{
	static const char *const names[] = { "ann", "bob", "cat", "dan",
	    "eve", "fay", "gus", "hal", "ivy", "jo" };
	static const char *const swapped[] = { "bob", "ann", "cat", "dan",
	    "eve", "fay", "gus", "hal", "ivy", "jo" };
	struct store		*st;
	struct account_set	 set;
	struct match_result	 res;
	char			*path, err[512];
	size_t			 conflict, t;

	(void)state;
	path = tu_path(tu_tmpdir(), "changes.db");
	st = store_open(path, 0, err, sizeof err);
	assert_non_null(st);
	estate(&set, &res, 20, names, "about ann");
	/* Everything is new: 20 accounts, 20 links, 10 persons, a conflict
	 * of one account, and the run. */
	assert_int_equal(save_over(st, &set, &res), 20 + 20 + 10 + 2 + 1);
	conflict = count(st, "SELECT id FROM conflicts");

	estate(&set, &res, 20, names, "about ann");
	assert_int_equal(save_over(st, &set, &res), 1);
	assert_int_equal(count(st, "SELECT id FROM conflicts"), conflict);

	/* Rows saved before there were sums are written again once: the
	 * accounts and the conflict (out and in), not the links. */
	assert_int_equal(db_exec(store_db(st), "UPDATE accounts SET "
	    "attrs_sum = NULL, content_sum = NULL; UPDATE conflicts SET "
	    "sum = NULL", err, sizeof err), 0);
	estate(&set, &res, 20, names, "about ann");
	assert_int_equal(save_over(st, &set, &res), 20 + 4 + 1);
	conflict = count(st, "SELECT id FROM conflicts");
	estate(&set, &res, 20, names, "about ann");
	assert_int_equal(save_over(st, &set, &res), 1);
	assert_int_equal(count(st, "SELECT id FROM conflicts"), conflict);
	assert_int_equal(count(st, "SELECT count(*) FROM accounts WHERE "
	    "changed_run = 1"), 20);

	/* Account 5 has a title now, account 19 is gone (its person keeps
	 * account 18), and the conflict says something else: the account's
	 * row; account 19's link and row; the conflict and its account out
	 * and in again; the run. */
	estate(&set, &res, 20, names, "about ann, again");
	account_add_value(set.items[5], "title", "Nurse", 5);
	account_free(set.items[19]);
	set.count = 19;
	res.nlinks = 19;
	free(res.links[19].reason);
	assert_int_equal(save_over(st, &set, &res), 1 + 2 + 4 + 1);
	assert_int_equal(count(st, "SELECT changed_run FROM accounts WHERE "
	    "guid LIKE '%000000000006'"), 5);
	assert_int_equal(count(st, "SELECT changed_run FROM accounts WHERE "
	    "guid LIKE '%000000000005'"), 1);
	assert_int_equal(count(st, "SELECT count(*) FROM accounts"), 19);
	assert_int_equal(count(st, "SELECT count(*) FROM links"), 19);
	assert_true(count(st, "SELECT id FROM conflicts") != conflict);

	/* ann and bob swap usernames, and their btuh accounts (0 and 2)
	 * swap persons: primary links of one domain passed between two
	 * persons. Each side's rows are written again. */
	estate(&set, &res, 19, swapped, "about ann, again");
	account_add_value(set.items[5], "title", "Nurse", 5);
	res.links[0].person = 1;
	res.links[2].person = 0;
	t = (size_t)save_over(st, &set, &res);
	/* Two persons out and in, two links out and in, the four accounts
	 * named after them (their sAMAccountNames follow), the run. */
	assert_int_equal(t, 4 + 4 + 4 + 1);
	assert_int_equal(count(st, "SELECT count(*) FROM persons WHERE "
	    "id LIKE '%000000000000' AND username = 'bob'"), 1);
	assert_int_equal(count(st, "SELECT count(*) FROM links WHERE "
	    "guid LIKE '%000000000001' AND person_id LIKE '%000000000001'"),
	    1);
	store_close(st);
	free(path);
}

/*
 * A save in stages, as a run makes it: the matching's conflicts are
 * written while consolidating adds conflicts of its own (moving the list
 * as it grows); all are saved once, the matching's first.
 */
static void
test_save_stages(void **state)
{
	static const char *const names[] = { "ann", "bob", "cat", "dan" };
	struct store		*st;
	struct store_save	*sv;
	struct account_set	 set;
	struct match_result	 res;
	struct match_conflict	*c;
	struct state		 prev;
	struct plan		 plan;
	char			*path, err[512];
	int64_t			 run;
	size_t			 k;

	(void)state;
	path = tu_path(tu_tmpdir(), "stages.db");
	st = store_open(path, 0, err, sizeof err);
	assert_non_null(st);
	estate(&set, &res, 8, names, "about ann");
	assert_int_equal(store_load_state(st, NULL, 0, &prev, err,
	    sizeof err), 0);
	assert_int_equal(store_run_begin(st, "run", 1000, 0, &run, err,
	    sizeof err), 0);
	sv = store_save_start(st, run, set.items, set.count, &prev, 1000, err,
	    sizeof err);
	assert_non_null(sv);
	assert_int_equal(store_save_matched(sv, &res, err, sizeof err), 0);
	for (k = 0; k < 100; k++) {
		c = match_result_conflict(&res, "attribute");
		xasprintf(&c->summary, "attribute conflict %zu", k);
		c->members = xcalloc(1, sizeof *c->members);
		c->nmembers = 1;
		c->members[0].account = k % set.count;
	}
	plan_compute(&prev, set.items, set.count, &res, 1, &plan);
	if (store_save_finish(sv, &res, &plan, NULL, 0, NULL, 2000, err,
	    sizeof err) != 0)
		fail_msg("save: %s", err);
	assert_int_equal(count(st, "SELECT count(*) FROM conflicts"), 101);
	assert_int_equal(count(st, "SELECT kind = 'ambiguous' FROM conflicts "
	    "ORDER BY id LIMIT 1"), 1);
	assert_int_equal(count(st, "SELECT count(*) FROM conflicts WHERE "
	    "summary = 'attribute conflict ' || (id - (SELECT min(id) FROM "
	    "conflicts) - 1)"), 100);
	assert_int_equal(count(st, "SELECT count(*) FROM conflict_accounts"),
	    101);
	plan_clear(&plan);
	state_clear(&prev);
	match_result_clear(&res);
	account_set_clear(&set);
	store_close(st);
	free(path);
}

/* prev mapped to set's accounts: the map and a lookup (of copy, an
 * array not mapped) agree; the accounts new to it (GUIDs ending 98 and
 * 99) are in neither, and each other is its own. */
static void
map_check(struct state *prev, const struct account_set *set,
    struct account **copy)
{
	size_t	 i, p;

	state_map_accounts(prev, set->items, set->count);
	for (i = 0; i < set->count; i++) {
		p = state_prev_of(prev, set->items, i);
		assert_int_equal(p, state_prev_of(prev, copy, i));
		if (strcmp(set->items[i]->guid,
		    "00000000-0000-0000-0000-000000000099") == 0 ||
		    strcmp(set->items[i]->guid,
		    "00000000-0000-0000-0000-000000000098") == 0) {
			assert_int_equal(p, STATE_NONE);
			continue;
		}
		assert_true(p < prev->naccounts);
		assert_string_equal(prev->accounts[p].account->guid,
		    set->items[i]->guid);
		assert_string_equal(prev->accounts[p].account->domain_name,
		    set->items[i]->domain_name);
	}
}

/* Each of a run's accounts is found in the state once: the map and a
 * lookup agree, a new account is in neither, and an array not mapped is
 * looked up. */
static void
test_map_accounts(void **state)
{
	static const char *const names[] = { "ann", "bob", "cat", "dan" };
	struct store		*st;
	struct account_set	 set;
	struct match_result	 res;
	struct state		 prev;
	struct account		**copy;
	struct state_account	 sa;
	char			*path, err[512];

	(void)state;
	path = tu_path(tu_tmpdir(), "map.db");
	st = store_open(path, 0, err, sizeof err);
	assert_non_null(st);
	estate(&set, &res, 8, names, "about ann");
	(void)save_over(st, &set, &res);
	estate(&set, &res, 8, names, "about ann");
	account_set_add(&set, acc(1, "meht", 99, "eve"));
	/* One gone, and one of a domain the state has none of. */
	account_free(set.items[2]);
	set.items[2] = acc(2, "southend", 98, "zed");
	account_set_sort(&set);
	assert_int_equal(store_load_state(st, NULL, 0, &prev, err,
	    sizeof err), 0);
	copy = xcalloc(set.count, sizeof *copy);
	memcpy(copy, set.items, set.count * sizeof *copy);
	map_check(&prev, &set, copy);
	/* A state out of order is neither walked nor searched by halves:
	 * looked up. */
	sa = prev.accounts[0];
	prev.accounts[0] = prev.accounts[prev.naccounts - 1];
	prev.accounts[prev.naccounts - 1] = sa;
	map_check(&prev, &set, copy);
	free(copy);
	state_clear(&prev);
	match_result_clear(&res);
	account_set_clear(&set);
	store_close(st);
	free(path);
}

/* Each loaded conflict knows the account of its first member (in the
 * order its members were written): of either domain, not first in the
 * accounts' order, and the first member of two conflicts. */
static void
test_load_conflict_members(void **state)
{
	static const char *const names[] = { "ann", "bob", "cat", "dan" };
	static const size_t firsts[][2] = { { 5, 2 }, { 1, 6 }, { 5, 0 },
	    { 6, 5 } };
	struct store		*st;
	struct account_set	 set;
	struct match_result	 res;
	struct match_conflict	*c;
	struct state		 prev;
	const struct account	*a;
	sqlite3_stmt		*q;
	char			*path, err[512], summary[32];
	size_t			 i, k, n = sizeof firsts / sizeof firsts[0];

	(void)state;
	path = tu_path(tu_tmpdir(), "members.db");
	st = store_open(path, 0, err, sizeof err);
	assert_non_null(st);
	estate(&set, &res, 8, names, "about ann");
	res.conflicts = xreallocarray(res.conflicts, n + 1,
	    sizeof *res.conflicts);
	for (i = 0; i < n; i++) {
		c = &res.conflicts[res.nconflicts++];
		memset(c, 0, sizeof *c);
		c->kind = "review";
		snprintf(summary, sizeof summary, "conflict %zu", i);
		c->summary = xstrdup(summary);
		c->members = xcalloc(2, sizeof *c->members);
		c->nmembers = 2;
		for (k = 0; k < 2; k++)
			c->members[k].account = firsts[i][k];
	}
	(void)save_over(st, &set, &res);
	assert_int_equal(store_load_state(st, NULL, 0, &prev, err,
	    sizeof err), 0);
	assert_int_equal(prev.nconflicts, n + 1);
	assert_int_equal(sqlite3_prepare_v2(db_handle(store_db(st)),
	    "SELECT domain, guid FROM conflict_accounts WHERE conflict_id = ? "
	    "ORDER BY rowid LIMIT 1", -1, &q, NULL), SQLITE_OK);
	for (i = 0; i < prev.nconflicts; i++) {
		sqlite3_bind_int64(q, 1, prev.conflict_ids[i]);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		assert_int_not_equal(prev.conflict_account[i], SIZE_MAX);
		a = prev.accounts[prev.conflict_account[i]].account;
		assert_string_equal(a->domain_name,
		    (const char *)sqlite3_column_text(q, 0));
		assert_string_equal(a->guid,
		    (const char *)sqlite3_column_text(q, 1));
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	state_clear(&prev);
	store_close(st);
	free(path);
}

/* The state's indexes, names and SQL, one per line. */
static char *
index_list(struct store *st)
{
	sqlite3_stmt	*q;
	struct buf	 b;

	buf_init(&b, 0);
	assert_int_equal(sqlite3_prepare_v2(db_handle(store_db(st)),
	    "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
	    "ORDER BY name", -1, &q, NULL), SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW)
		buf_printf(&b, "%s %s\n", sqlite3_column_text(q, 0),
		    sqlite3_column_type(q, 1) == SQLITE_NULL ? "-" :
		    (const char *)sqlite3_column_text(q, 1));
	sqlite3_finalize(q);
	return buf_detach(&b, NULL);
}

/* A first save drops the state's indexes while it writes and makes them
 * again: a save that breaks a UNIQUE one (two primary accounts of one
 * domain on one person) fails naming it and leaves the state empty with
 * every index; a save that succeeds leaves the same indexes. */
static void
test_first_save_indexes(void **state)
{
	static const char *const names[] = { "ann", "bob", "cat", "dan" };
	struct store		*st;
	struct account_set	 set;
	struct match_result	 res;
	struct state		 prev;
	struct plan		 plan;
	char			*path, *before, *after, err[512];
	int64_t			 run;

	(void)state;
	path = tu_path(tu_tmpdir(), "first.db");
	st = store_open(path, 0, err, sizeof err);
	assert_non_null(st);
	before = index_list(st);
	assert_non_null(strstr(before, "links_one_primary CREATE UNIQUE"));

	estate(&set, &res, 8, names, "about ann");
	res.links[2].person = 0;	/* btuh's, as account 0 is */
	assert_int_equal(store_load_state(st, NULL, 0, &prev, err,
	    sizeof err), 0);
	plan_compute(&prev, set.items, set.count, &res, 1, &plan);
	assert_int_equal(store_run_begin(st, "run", 1000, 0, &run, err,
	    sizeof err), 0);
	assert_int_equal(store_save(st, run, set.items, set.count, &prev,
	    &res, &plan, NULL, 0, NULL, 2000, err, sizeof err), -1);
	assert_non_null(strstr(err, "links_one_primary"));
	assert_non_null(strstr(err, "UNIQUE"));
	plan_clear(&plan);
	state_clear(&prev);
	match_result_clear(&res);
	account_set_clear(&set);
	after = index_list(st);
	assert_string_equal(before, after);
	free(after);
	assert_int_equal(store_load_state(st, NULL, 0, &prev, err,
	    sizeof err), 0);
	assert_int_equal(prev.naccounts, 0);
	state_clear(&prev);

	estate(&set, &res, 8, names, "about ann");
	assert_true(save_over(st, &set, &res) > 0);
	after = index_list(st);
	assert_string_equal(before, after);
	free(after);
	free(before);
	store_close(st);
	free(path);
}

/* Accounts in order already, but for one GUID twice: still read once,
 * the first DN kept. */
static void
test_sort_twice(void **state)
{
	struct account_set	 set;
	struct account		*dup;

	(void)state;
	memset(&set, 0, sizeof set);
	account_set_add(&set, acc(0, "btuh", 1, "ann"));
	account_set_add(&set, acc(0, "btuh", 2, "bob"));
	dup = account_new(0, "btuh", set.items[1]->guid,
	    "CN=zz,DC=btuh,DC=test");
	account_set_add(&set, dup);
	account_set_add(&set, acc(1, "meht", 1, "cat"));
	account_set_sort(&set);
	assert_int_equal(set.count, 3);
	assert_string_equal(set.items[1]->dn, "CN=bob,DC=btuh,DC=test");
	assert_string_equal(set.items[2]->domain_name, "meht");
	account_set_clear(&set);
}

/* The order account_set_sort must give: domain, then GUID as strcmp. */
static int
ref_cmp(const void *x, const void *y)
{
	const struct account	*a = *(struct account *const *)x;
	const struct account	*b = *(struct account *const *)y;

	if (a->domain != b->domain)
		return a->domain < b->domain ? -1 : 1;
	return strcmp(a->guid, b->guid);
}

/* Shuffled GUIDs that differ anywhere (in their first eight bytes, only
 * after them, in length, in case) come out in strcmp's order. */
static void
test_sort_order(void **state)
{
	static const char *const guids[] = {
		"4c7b7a6a-bec4-d953-c914-f9ada19f6874",
		"4c7b7a6a-bec4-d953-c914-f9ada19f6873",
		"4c7b7a6a-0000-0000-0000-000000000000",
		"4c7b7a6b-bec4-d953-c914-f9ada19f6874",
		"4C7B7A6A-bec4-d953-c914-f9ada19f6874",
		"4c7b7a6",
		"4c7b7a6a",
		"4c",
		"ffffffff-ffff-ffff-ffff-ffffffffffff",
		"00000000-0000-0000-0000-000000000000",
		"\xc3\xa9-not-hex",
		"\xc3\x80-not-hex",
		"\xc4\x01-not-hex",
	};
	struct account_set	 set;
	struct account		**ref;
	char			 dn[64];
	size_t			 i, j, n = sizeof guids / sizeof guids[0];
	unsigned		 seed = 7;

	(void)state;
	memset(&set, 0, sizeof set);
	for (i = 0; i < n; i++)
		for (j = 0; j < 3; j++) {
			snprintf(dn, sizeof dn, "CN=a%zu,DC=d%zu,DC=test", i,
			    j);
			account_set_add(&set, account_new(j, j == 0 ? "btuh" :
			    j == 1 ? "meht" : "southend", guids[i], dn));
		}
	for (i = set.count - 1; i > 0; i--) {
		struct account	*t;

		seed = seed * 1103515245U + 12345U;
		j = (seed >> 16) % (i + 1);
		t = set.items[i];
		set.items[i] = set.items[j];
		set.items[j] = t;
	}
	ref = xcalloc(set.count, sizeof *ref);
	memcpy(ref, set.items, set.count * sizeof *ref);
	qsort(ref, set.count, sizeof *ref, ref_cmp);
	account_set_sort(&set);
	assert_int_equal(set.count, 3 * n);
	for (i = 0; i < set.count; i++)
		assert_ptr_equal(set.items[i], ref[i]);
	free(ref);
	account_set_clear(&set);
}

/* A save that would leave a link to no person fails, naming the tables,
 * and leaves the state as it was: here a person's row went from the
 * database behind the run's back, and the run rewrites one of its links
 * (the person itself, unchanged, it does not write). */
static void
test_save_refuses_broken_key(void **state)
{
	static const char *const names[] = { "ann", "bob", "cat", "dan" };
	struct store		*st;
	struct account_set	 set;
	struct match_result	 res;
	struct state		 prev;
	struct plan		 plan;
	sqlite3			*raw;
	char			*path, err[512];
	int64_t			 run;

	(void)state;
	path = tu_path(tu_tmpdir(), "fk.db");
	st = store_open(path, 0, err, sizeof err);
	assert_non_null(st);
	estate(&set, &res, 8, names, "about ann");
	(void)save_over(st, &set, &res);
	assert_int_equal(store_load_state(st, NULL, 0, &prev, err,
	    sizeof err), 0);
	assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "DELETE FROM persons WHERE id = "
	    "'11111111-1111-4111-8111-000000000000'", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(raw);
	estate(&set, &res, 8, names, "about ann");
	free(res.links[0].reason);
	res.links[0].reason = xstrdup("score 9.1");
	plan_compute(&prev, set.items, set.count, &res, 1, &plan);
	assert_int_equal(store_run_begin(st, "run", 3000, 0, &run, err,
	    sizeof err), 0);
	assert_int_equal(store_save(st, run, set.items, set.count, &prev,
	    &res, &plan, NULL, 0, NULL, 4000, err, sizeof err), -1);
	assert_string_equal(err, "saving the state: a row of links refers "
	    "to no row of persons");
	/* Nothing of it kept: the link as it was. */
	assert_int_equal(count(st, "SELECT count(*) FROM links WHERE "
	    "reason = 'score 9.1'"), 0);
	assert_int_equal(count(st, "PRAGMA foreign_keys"), 1);
	plan_clear(&plan);
	state_clear(&prev);
	match_result_clear(&res);
	account_set_clear(&set);
	store_close(st);
	free(path);
}

/* A save's log is copied into the database when the store closes, also
 * while another connection reads it (then the last close, which would
 * copy it too, is not the store's). */
static void
test_close_copies_log(void **state)
{
	struct store		*st;
	struct account_set	 set;
	struct match_result	 res;
	struct stat		 sb;
	sqlite3			*reader;
	sqlite3_stmt		*stmt;
	char			*path, err[512], **names;
	off_t			 before;
	size_t			 i;

	(void)state;
	names = xcalloc(200, sizeof *names);
	for (i = 0; i < 200; i++)
		xasprintf(&names[i], "name%zu", i);
	path = tu_path(tu_tmpdir(), "log.db");
	st = store_open(path, 0, err, sizeof err);
	assert_non_null(st);
	estate(&set, &res, 4, (const char *const *)names, "about");
	(void)save_over(st, &set, &res);
	store_close(st);
	assert_int_equal(stat(path, &sb), 0);
	before = sb.st_size;
	assert_int_equal(sqlite3_open_v2(path, &reader, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(reader, "SELECT count(*) FROM "
	    "accounts", -1, &stmt, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(stmt, 0), 4);
	sqlite3_reset(stmt);
	st = store_open(path, 0, err, sizeof err);
	assert_non_null(st);
	estate(&set, &res, 400, (const char *const *)names, "about");
	(void)save_over(st, &set, &res);
	store_close(st);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(sb.st_size > before);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(stmt, 0), 400);
	sqlite3_finalize(stmt);
	sqlite3_close(reader);
	for (i = 0; i < 200; i++)
		free(names[i]);
	free(names);
	free(path);
}

/* save_over, with a basis, at now_ms; returns the run's id. */
static int64_t
save_basis(struct store *st, struct account_set *set, struct match_result *res,
    const struct run_basis *basis, int64_t now_ms)
{
	struct state	 prev;
	struct plan	 plan;
	char		 err[512];
	int64_t		 run;

	assert_int_equal(store_load_state(st, NULL, 0, &prev, err, sizeof err), 0);
	plan_compute(&prev, set->items, set->count, res, 1, &plan);
	assert_int_equal(store_run_begin(st, "run", now_ms, 0, &run, err,
	    sizeof err), 0);
	if (store_save(st, run, set->items, set->count, &prev, res, &plan,
	    NULL, 0, basis, now_ms, err, sizeof err) != 0)
		fail_msg("save: %s", err);
	plan_clear(&plan);
	state_clear(&prev);
	match_result_clear(res);
	return run;
}

/* The estate of test_save_writes_changes; account 3 expires at 5 s past
 * the epoch (a FILETIME). */
static void
estate_expiring(struct account_set *set, struct match_result *res)
{
	static const char *const names[] = { "ann", "bob", "cat", "dan" };
	char	 why[64];

	estate(set, res, 8, names, "about ann");
	account_add_value(set->items[3], "accountExpires",
	    "116444736050000000", 18);
	assert_int_equal(account_finish(set->items[3], why, sizeof why), 0);
	assert_int_equal(set->items[3]->expires_ms, 5000);
}

/* Whether set is st's state at now_ms, as state_same_accounts says. */
static int
same(struct store *st, struct account_set *set, int64_t now_ms, char *why,
    size_t whylen)
{
	struct state	 prev;
	char		 err[512];
	int		 rc;

	assert_int_equal(store_load_state(st, NULL, 0, &prev, err, sizeof err), 0);
	account_set_sort(set);
	rc = state_same_accounts(&prev, set->items, set->count, now_ms, why,
	    whylen);
	state_clear(&prev);
	return rc;
}

/*
 * A run settles when its save writes no link or person; the last saved
 * run, its basis and whether it settled are found again; the accounts
 * read are the state's only when none is new, changed, expired by the
 * clock or gone; a run that found them so saves its marks and settles.
 */
static void
test_settled(void **state)
{
	struct store		*st;
	struct account_set	 set;
	struct match_result	 res;
	struct run_basis	 basis, got;
	struct read_mark	 m, gm;
	struct plan		 plan;
	char			*path, err[512], why[256];
	int64_t			 run, last;
	int			 settled;

	(void)state;
	path = tu_path(tu_tmpdir(), "settled.db");
	st = store_open(path, 0, err, sizeof err);
	assert_non_null(st);
	assert_int_equal(store_last_saved(st, &last, &got, &settled, err,
	    sizeof err), 0);
	assert_int_equal(last, 0);

	memset(&basis, 0, sizeof basis);
	snprintf(basis.config, sizeof basis.config, "%064d", 7);
	basis.decision_max = 3;
	estate_expiring(&set, &res);
	run = save_basis(st, &set, &res, &basis, 2000);
	assert_int_equal(store_last_saved(st, &last, &got, &settled, err,
	    sizeof err), 0);
	assert_int_equal(last, run);
	assert_int_equal(settled, 0);
	assert_string_equal(got.config, basis.config);
	assert_int_equal(got.decision_max, 3);
	assert_int_equal(same(st, &set, 2000, why, sizeof why), 1);
	account_set_clear(&set);

	/* The same again writes no row: settled. A plan is no saved run. */
	estate_expiring(&set, &res);
	run = save_basis(st, &set, &res, &basis, 2000);
	account_set_clear(&set);
	assert_int_equal(store_run_begin(st, "plan", 2500, 0, &last, err,
	    sizeof err), 0);
	assert_int_equal(store_run_end(st, last, "ok", NULL, NULL, 2600, err,
	    sizeof err), 0);
	assert_int_equal(store_last_saved(st, &last, &got, &settled, err,
	    sizeof err), 0);
	assert_int_equal(last, run);
	assert_int_equal(settled, 1);

	estate_expiring(&set, &res);
	match_result_clear(&res);
	assert_int_equal(same(st, &set, 4000, why, sizeof why), 1);
	/* Account 3 expired at 5 s with nothing in it changed. */
	assert_int_equal(same(st, &set, 6000, why, sizeof why), 0);
	assert_string_equal(why, "0 accounts new, 0 changed, 1 expired, "
	    "0 gone");
	account_add_value(set.items[5], "title", "Nurse", 5);
	account_set_add(&set, acc(0, "btuh", 99, "zed"));
	assert_int_equal(same(st, &set, 4000, why, sizeof why), 0);
	assert_string_equal(why, "1 accounts new, 1 changed, 0 expired, "
	    "0 gone");
	account_set_clear(&set);
	estate_expiring(&set, &res);
	match_result_clear(&res);
	account_free(set.items[7]);
	set.count = 7;
	assert_int_equal(same(st, &set, 4000, why, sizeof why), 0);
	assert_string_equal(why, "0 accounts new, 0 changed, 0 expired, "
	    "1 gone");
	account_set_clear(&set);

	/* A run that found it so: its marks saved, settled. */
	assert_int_equal(store_run_begin(st, "run", 7000, 0, &run, err,
	    sizeof err), 0);
	mark(&m, "btuh", 4242);
	memset(&plan, 0, sizeof plan);
	assert_int_equal(store_save_unchanged(st, run, "same", &plan, &m, 1,
	    &basis, 7100, err, sizeof err), 0);
	read_mark_clear(&m);
	assert_int_equal(store_last_saved(st, &last, &got, &settled, err,
	    sizeof err), 0);
	assert_int_equal(last, run);
	assert_int_equal(settled, 1);
	assert_int_equal(store_load_mark(st, "btuh", &gm, err, sizeof err), 0);
	assert_int_equal(gm.usn, 4242);
	read_mark_clear(&gm);

	/* A save that rewrites only an account's row (a title, matched to
	 * the same links) or a conflict settles too; a link written does
	 * not. */
	estate_expiring(&set, &res);
	account_add_value(set.items[5], "title", "Nurse", 5);
	free(res.conflicts[0].summary);
	res.conflicts[0].summary = xstrdup("about ann, a nurse");
	run = save_basis(st, &set, &res, &basis, 9000);
	account_set_clear(&set);
	assert_int_equal(count(st, "SELECT count(*) FROM accounts WHERE "
	    "attrs LIKE '%Nurse%'"), 1);
	assert_int_equal(count(st, "SELECT count(*) FROM conflicts WHERE "
	    "summary = 'about ann, a nurse'"), 1);
	assert_int_equal(store_last_saved(st, &last, &got, &settled, err,
	    sizeof err), 0);
	assert_int_equal(last, run);
	assert_int_equal(settled, 1);
	estate_expiring(&set, &res);
	free(res.links[5].reason);
	res.links[5].reason = xstrdup("manual");
	run = save_basis(st, &set, &res, &basis, 9500);
	account_set_clear(&set);
	assert_int_equal(store_last_saved(st, &last, &got, &settled, err,
	    sizeof err), 0);
	assert_int_equal(last, run);
	assert_int_equal(settled, 0);

	/* Saved without a basis: the next run matches every account. */
	estate_expiring(&set, &res);
	run = save_basis(st, &set, &res, NULL, 8000);
	account_set_clear(&set);
	assert_int_equal(store_last_saved(st, &last, &got, &settled, err,
	    sizeof err), 0);
	assert_int_equal(last, run);
	assert_int_equal(settled, 0);
	store_close(st);
	free(path);
}

/* Migration 9 gives the conflicts saved before it their best score; the
 * later ones run after it. */
static void
test_conflict_best(void **state)
{
	struct store	*st;
	char		*path, err[512];

	(void)state;
	path = tu_path(tu_tmpdir(), "best.db");
	st = store_open(path, 0, err, sizeof err);
	assert_non_null(st);
	/* As a database of version 8 held them. */
	assert_int_equal(db_exec(store_db(st), "DROP INDEX conflicts_order;"
	    "DROP TABLE components;"
	    "ALTER TABLE conflicts DROP COLUMN best;"
	    "ALTER TABLE persons DROP COLUMN department;"
	    "ALTER TABLE persons DROP COLUMN title;"
	    "ALTER TABLE persons DROP COLUMN jobs_known;"
	    "INSERT INTO conflicts (id, run_id, kind, summary) VALUES "
	    "(1, 1, 'review', 'a'), (2, 1, 'attribute', 'b');"
	    "INSERT INTO conflict_accounts (conflict_id, domain, guid, score) "
	    "VALUES (1, 'btuh', 'g1', 9.5), (1, 'meht', 'g2', 12.0), "
	    "(2, 'btuh', 'g1', NULL);"
	    "PRAGMA user_version = 8", err, sizeof err), 0);
	store_close(st);
	st = store_open(path, 0, err, sizeof err);
	assert_non_null(st);
	assert_int_equal(count(st, "SELECT best FROM conflicts WHERE id = 1"),
	    12);
	assert_int_equal(count(st, "SELECT best IS NULL FROM conflicts "
	    "WHERE id = 2"), 1);
	/* Contradictions first. */
	assert_int_equal(count(st, "SELECT id FROM conflicts ORDER BY "
	    IDSYNC_CONFLICT_ORDER " LIMIT 1"), 2);
	/* Migration 11: persons' department and title. */
	assert_int_equal(count(st, "SELECT count(*) FROM pragma_table_info("
	    "'persons') WHERE name IN ('department', 'title', "
	    "'jobs_known')"), 3);
	store_close(st);
	free(path);
}

/* new-person: never one person with its own candidates (it waits, no
 * score), nor with the account that waits where it is a candidate; but
 * not with that account's other candidates, which were never its. */
static void
test_new_person_scope(void **state)
{
	struct store	*st;
	FILE		*fp;
	char		*path, err[512], *out = NULL;
	size_t		 len = 0;

	(void)state;
	path = tu_path(tu_tmpdir(), "newperson.db");
	st = store_open(path, 0, err, sizeof err);
	assert_non_null(st);
	assert_int_equal(db_exec(store_db(st), "INSERT INTO accounts (domain, "
	    "guid, dn, sam, kind, enabled, attrs, first_seen_run, "
	    "changed_run) VALUES "
	    "('btuh', 'g-s', 'CN=s', 's', 'person', 1, '{}', 1, 1),"
	    "('meht', 'g-x', 'CN=x', 'x', 'person', 1, '{}', 1, 1),"
	    "('southend', 'g-y', 'CN=y', 'y', 'person', 1, '{}', 1, 1),"
	    "('meht', 'g-u', 'CN=u', 'u', 'person', 1, '{}', 1, 1);"
	    "INSERT INTO conflicts (id, run_id, kind, summary) VALUES "
	    "(1, 1, 'review', 'y waits: s or u'), "
	    "(2, 1, 'review', 's waits: x');"
	    "INSERT INTO conflict_accounts (conflict_id, domain, guid, score) "
	    "VALUES (1, 'southend', 'g-y', NULL), (1, 'btuh', 'g-s', 10.0), "
	    "(1, 'meht', 'g-u', 9.0), (2, 'btuh', 'g-s', NULL), "
	    "(2, 'meht', 'g-x', 12.0);", err, sizeof err), 0);
	fp = open_memstream(&out, &len);
	assert_non_null(fp);
	assert_int_equal(review_new_person(st, "btuh:g-s", fp, err,
	    sizeof err), 0);
	fclose(fp);
	assert_non_null(strstr(out, "never one person with 2 accounts: "
	    "meht:g-x southend:g-y;"));
	assert_int_equal(count(st, "SELECT count(*) FROM decisions WHERE "
	    "kind = 'never-link' AND a_guid = 'g-s'"), 2);
	assert_int_equal(count(st, "SELECT count(*) FROM decisions WHERE "
	    "b_guid = 'g-u'"), 0);
	free(out);
	store_close(st);
	free(path);
}

/* An attribute is found by any case of its name before account_finish
 * sorts them, after (by halves), and after a new one is added. */
static void
test_account_lookup(void **state)
{
	static const char *const names[] = { "sn", "givenName", "mail",
	    "Title", "department", "zz", "aa", "MOBILE", "employeeID",
	    "proxyAddresses", "b", "B2", "userAccountControl" };
	struct account	*a, *c;
	char		 up[64], why[64];
	size_t		 i, j, n = sizeof names / sizeof names[0];
	int		 pass;

	(void)state;
	a = account_new(0, "btuh", "00000000-0000-0000-0000-000000000001",
	    "CN=x,DC=btuh,DC=test");
	for (i = 0; i < n; i++)
		account_add_value(a, names[i], names[i], strlen(names[i]));
	for (pass = 0; pass < 3; pass++) {
		if (pass == 1)
			assert_int_equal(account_finish(a, why, sizeof why),
			    -1);	/* userAccountControl "userAcc..." */
		if (pass == 2)
			account_add_value(a, "Added", "x", 1);
		for (i = 0; i < n; i++) {
			for (j = 0; names[i][j] != '\0'; j++)
				up[j] = (char)(j % 2 ? toupper((unsigned char)
				    names[i][j]) : tolower((unsigned char)
				    names[i][j]));
			up[j] = '\0';
			assert_non_null(account_get(a, names[i]));
			assert_string_equal(account_get(a, up), names[i]);
		}
		assert_null(account_get(a, "nosuch"));
		assert_null(account_get(a, "a"));
		assert_null(account_get(a, "zzz"));
	}
	assert_string_equal(account_get(a, "ADDED"), "x");
	c = account_copy(a);
	assert_string_equal(account_get(c, "employeeid"), "employeeID");
	account_free(c);
	account_free(a);
}

/* Writes are recorded before they are made; one whose outcome never came
 * (the program died) is marked when the next apply starts. */
static void
test_audit(void **state)
{
	struct store		*st;
	struct audit_entry	 ae;
	char			*path, err[512];
	int64_t			 a, b;
	size_t			 n;

	(void)state;
	path = tu_path(tu_tmpdir(), "audit.db");
	st = store_open(path, 0, err, sizeof err);
	assert_non_null(st);
	memset(&ae, 0, sizeof ae);
	ae.run_id = 7;
	ae.by = "ward";
	ae.bind_dn = "CN=svc-ward,DC=btuh,DC=test";
	ae.domain = "btuh";
	ae.guid = "00000000-0000-0000-0000-000000000001";
	ae.dn = "CN=Ann,DC=btuh,DC=test";
	ae.attribute = "extensionAttribute10";
	ae.after = "11111111-1111-4111-8111-111111111111";
	assert_int_equal(store_audit_begin(st, &ae, 1000, &a, err,
	    sizeof err), 0);
	ae.before = ae.after;
	ae.after = NULL;
	assert_int_equal(store_audit_begin(st, &ae, 1001, &b, err,
	    sizeof err), 0);
	assert_int_equal(store_audit_end(st, a, NULL, 1002, err, sizeof err),
	    0);
	assert_int_equal(count(st, "SELECT count(*) FROM audit WHERE "
	    "outcome = 'done' AND before IS NULL AND after = "
	    "'11111111-1111-4111-8111-111111111111' AND by_user = 'ward' AND "
	    "finished_ms = 1002"), 1);
	assert_int_equal(store_audit_interrupted(st, &n, err, sizeof err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(count(st, "SELECT count(*) FROM audit WHERE "
	    "outcome = 'interrupted' AND after IS NULL"), 1);
	assert_int_equal(store_audit_interrupted(st, &n, err, sizeof err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_audit_end(st, b, "Insufficient access (50)",
	    1003, err, sizeof err), 0);
	assert_int_equal(count(st, "SELECT count(*) FROM audit WHERE "
	    "outcome = 'failed' AND error = 'Insufficient access (50)'"), 1);
	store_close(st);
	free(path);
}

static void
test_lock(void **state)
{
	char	*path, err[512];
	pid_t	 pid;
	int	 status, p[2];
	char	 msg[512];
	ssize_t	 n;

	(void)state;
	path = tu_path(tu_tmpdir(), "lock.db");
	assert_int_equal(store_lock(path, err, sizeof err), 0);
	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		close(p[0]);
		if (store_lock(path, msg, sizeof msg) == 0)
			_exit(1);
		(void)!write(p[1], msg, strlen(msg));
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], msg, sizeof msg - 1);
	close(p[0]);
	msg[n > 0 ? n : 0] = '\0';
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_contains(msg, "another ward-idsync run holds the lock");
	snprintf(err, sizeof err, "already running as pid %ld",
	    (long)getpid());
	assert_contains(msg, err);
	store_unlock();
	assert_int_equal(store_lock(path, err, sizeof err), 0);
	store_unlock();
	free(path);
}

/* jansson's form of a's attributes, as account_attrs_json wrote them with
 * it: the reference the stored form must keep to. */
static char *
reference_json(const struct account *a)
{
	json_t	*o = json_object(), *arr;
	char	*s;
	size_t	 i, j;

	for (i = 0; i < a->nattrs; i++) {
		arr = json_array();
		for (j = 0; j < a->attrs[i].count; j++)
			json_array_append_new(arr,
			    json_string(a->attrs[i].values[j]));
		json_object_set_new(o, a->attrs[i].name, arr);
	}
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	json_decref(o);
	return s;
}

/* The account jansson read from json, as account_from_json read it with
 * jansson. */
static struct account *
reference_account(const struct account *a, const char *json)
{
	struct account	*r;
	json_t		*o, *arr, *v;
	const char	*name;
	size_t		 i;
	char		 why[256];

	o = json_loads(json, 0, NULL);
	assert_non_null(o);
	r = account_new(0, "btuh", a->guid, a->dn);
	json_object_foreach(o, name, arr)
		json_array_foreach(arr, i, v)
			account_add_value(r, name, json_string_value(v),
			    json_string_length(v));
	json_decref(o);
	(void)account_finish(r, why, sizeof why);
	return r;
}

static int
values_utf8(const struct account *a)
{
	size_t	 i, j;

	for (i = 0; i < a->nattrs; i++)
		for (j = 0; j < a->attrs[i].count; j++)
			if (u8_check((const uint8_t *)a->attrs[i].values[j],
			    strlen(a->attrs[i].values[j])) != NULL)
				return 0;
	return 1;
}

/* account_attrs_json writes what jansson wrote, and account_from_json
 * reads it back as jansson read it; account_summarise's sums are those
 * of the account read back from it (what the state keeps), and those
 * account_sum works out. */
static void
assert_json_as_jansson(struct account *a)
{
	struct account	*back, *ref_back;
	char		*mine, *ref, *again, *ref_again, err[256];
	unsigned char	 tmp[ACCOUNT_SUM_LEN], sums[2][ACCOUNT_SUM_LEN];
	int		 k;

	a->summed = 0;
	for (k = 0; k < 2; k++)
		memcpy(sums[k], account_sum(a, k, tmp), ACCOUNT_SUM_LEN);
	account_summarise(a);
	assert_memory_equal(a->sums[0], sums[0], ACCOUNT_SUM_LEN);
	assert_memory_equal(a->sums[1], sums[1], ACCOUNT_SUM_LEN);

	mine = account_attrs_json(a, 0);
	ref = reference_json(a);
	assert_non_null(ref);
	assert_string_equal(mine, ref);
	back = account_from_json(0, "btuh", a->guid, a->dn, mine, err,
	    sizeof err);
	assert_non_null(back);
	/* Values as reading keeps them (UTF-8) come back the same. */
	if (values_utf8(a)) {
		account_summarise(back);
		assert_memory_equal(back->sums[0], a->sums[0],
		    ACCOUNT_SUM_LEN);
		assert_memory_equal(back->sums[1], a->sums[1],
		    ACCOUNT_SUM_LEN);
	}
	ref_back = reference_account(a, mine);
	again = account_attrs_json(back, 0);
	ref_again = account_attrs_json(ref_back, 0);
	assert_string_equal(again, ref_again);
	free(again);
	free(ref_again);
	account_free(back);
	account_free(ref_back);
	free(mine);
	free(ref);
}

/* What account_attrs_json does not write is read as jansson reads it. */
static void
test_attrs_json_read(void **state)
{
	static const struct {
		const char	*json;
		const char	*sn;		/* NULL: an error */
	} cases[] = {
		{ "{\"sn\":[\"Lef\\u00e8vre\"]}", "Lef\xc3\xa8vre" },
		{ "{\"sn\":[\"\\uD83D\\uDE00\\/\\\"\"]}", "\xf0\x9f\x98\x80/\"" },
		{ "{ \"sn\" : [ \"x\" ] }", "x" },
		{ "{\"sn\":[\"Zo\xc3\xab\"]}", "Zo\xc3\xab" },
		{ "{\"sn\":[\"a\"],\"sn\":[\"b\"]}", "b" },
		{ "{\"sn\":[\"\\udc00\"]}", NULL },
		{ "{\"sn\":[\"x\"]", NULL },
		{ "{\"sn\":\"x\"}", NULL },
		{ "{\"sn\":[\"x\"]} ", "x" },
		/* Not in the order account_attrs_json writes. */
		{ "{\"title\":[\"t\"],\"sn\":[\"x\"]}", "x" },
		{ "{\"mail\":[],\"sn\":[\"x\"]}", "x" },
	};
	struct account	*a;
	char		 err[256];
	size_t		 i, n;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		a = account_from_json(0, "btuh",
		    "00000000-0000-0000-0000-000000000001",
		    "CN=x,DC=btuh,DC=test", cases[i].json, err, sizeof err);
		if (cases[i].sn == NULL) {
			assert_null(a);
			continue;
		}
		assert_non_null(a);
		assert_string_equal(account_get(a, "sn"), cases[i].sn);
		(void)account_values(a, "sn", &n);
		assert_int_equal(n, 1);
		account_free(a);
	}
	/* One name in two cases is one attribute, as account_add_value
	 * makes it; a name without values is none. */
	a = account_from_json(0, "btuh", "00000000-0000-0000-0000-000000000001",
	    "CN=x,DC=btuh,DC=test", "{\"SN\":[\"a\"],\"mail\":[],"
	    "\"sn\":[\"b\"]}", err, sizeof err);
	assert_non_null(a);
	(void)account_values(a, "sn", &n);
	assert_int_equal(n, 2);
	assert_int_equal(a->nattrs, 1);
	account_free(a);
}

/* The stored attributes are written without jansson, byte for byte as
 * jansson wrote them: escapes, non-ASCII (one and two UTF-16 units),
 * sorting, values that are not UTF-8 left out; and random values. */
static void
test_attrs_json(void **state)
{
	static const char *const values[] = {
		"plain", "", "quote \" and \\ backslash", "slash /",
		"\b\f\n\r\t\x01\x1f\x7f", "Zo\xc3\xab Lef\xc3\xa8vre",
		"\xe2\x80\x99 \xe4\xb8\xad", "\xf0\x9f\x98\x80 astral",
		"bad \xc3\x28 utf-8", "\xed\xa0\x80 surrogate",
	};
	static const char *const names[] = { "mail", "title", "displayName",
	    "whenChanged" };
	struct account	*a;
	uint8_t		 v[64];
	size_t		 i, j, k, n;
	unsigned	 seed = 20261128;
	ucs4_t		 uc;
	int		 m;

	(void)state;
	a = account_new(0, "btuh", "00000000-0000-0000-0000-000000000001",
	    "CN=x,DC=btuh,DC=test");
	for (i = 0; i < sizeof values / sizeof values[0]; i++)
		account_add_value(a, i % 2 ? "sn" : "Description", values[i],
		    strlen(values[i]));
	account_add_value(a, "zeta", "z", 1);
	account_add_value(a, "Alpha", "a", 1);
	account_add_value(a, "pwdLastSet", "0", 1);
	account_add_value(a, "uSNChanged", "12345", 5);
	account_add_value(a, "\xc3\x28" "bad", "x", 1);
	assert_json_as_jansson(a);
	account_free(a);

	/* More attributes than the writer keeps room for on its stack, in
	 * cases that order them otherwise than case aside. */
	a = account_new(0, "btuh", "00000000-0000-0000-0000-000000000001",
	    "CN=x,DC=btuh,DC=test");
	for (i = 0; i < 90; i++) {
		char	 name[16];

		snprintf(name, sizeof name, "%c%02zu", "aBcD"[i % 4],
		    (i * 37) % 90);
		account_add_value(a, name, name, strlen(name));
	}
	assert_int_equal(a->nattrs, 90);
	assert_json_as_jansson(a);
	account_free(a);

	/* Random bytes (mostly not UTF-8), and random code points. */
	for (k = 0; k < 300; k++) {
		a = account_new(0, "btuh",
		    "00000000-0000-0000-0000-000000000001",
		    "CN=x,DC=btuh,DC=test");
		for (i = 0; i < 6; i++) {
			n = 0;
			for (j = 1 + (size_t)rand_r(&seed) % 12; j > 0; j--) {
				if (k % 2 == 0) {
					v[n++] = (uint8_t)(1 + rand_r(&seed) %
					    255);
					continue;
				}
				do
					uc = (ucs4_t)(1 + rand_r(&seed) %
					    (rand_r(&seed) % 2 ? 0x80 :
					    0x10ffff));
				while (uc >= 0xd800 && uc < 0xe000);
				if ((m = u8_uctomb(v + n, uc,
				    (int)(sizeof v - n - 1))) > 0)
					n += (size_t)m;
			}
			v[n] = '\0';
			account_add_value(a, names[i % 4], (const char *)v, n);
		}
		assert_json_as_jansson(a);
		account_free(a);
	}
}

static struct account *
sum_account(const char *const *kv)
{
	struct account	*a;
	char		 why[64];

	a = account_new(0, "btuh", "00000000-0000-0000-0000-000000000001",
	    "CN=x,DC=btuh,DC=test");
	for (; kv[0] != NULL; kv += 2)
		account_add_value(a, kv[0], kv[1], strlen(kv[1]));
	(void)account_finish(a, why, sizeof why);
	account_summarise(a);
	return a;
}

/* The content's sum leaves the volatile attributes out, the whole's does
 * not; neither depends on the order attributes came in, and values are
 * told apart by their lengths. */
static void
test_sums(void **state)
{
	static const char *const a1[] = { "givenName", "Ann", "sn", "Smith",
	    "lastLogonTimestamp", "1", NULL };
	static const char *const a2[] = { "lastLogonTimestamp", "2", "sn",
	    "Smith", "givenName", "Ann", NULL };
	static const char *const a3[] = { "givenName", "Ann", "sn", "Smyth",
	    "lastLogonTimestamp", "1", NULL };
	static const char *const a4[] = { "givenName", "Ann", "givenName",
	    "Smith", "lastLogonTimestamp", "1", NULL };
	static const char *const a5[] = { "givenName", "AnnSmith",
	    "lastLogonTimestamp", "1", NULL };
	struct account	*a[5];
	size_t		 i;

	(void)state;
	a[0] = sum_account(a1);
	a[1] = sum_account(a2);
	a[2] = sum_account(a3);
	a[3] = sum_account(a4);
	a[4] = sum_account(a5);
	assert_memory_equal(a[0]->sums[1], a[1]->sums[1], ACCOUNT_SUM_LEN);
	assert_memory_not_equal(a[0]->sums[0], a[1]->sums[0],
	    ACCOUNT_SUM_LEN);
	assert_memory_not_equal(a[0]->sums[1], a[2]->sums[1],
	    ACCOUNT_SUM_LEN);
	assert_memory_not_equal(a[3]->sums[1], a[4]->sums[1],
	    ACCOUNT_SUM_LEN);
	assert_memory_not_equal(a[0]->sums[0], a[0]->sums[1],
	    ACCOUNT_SUM_LEN);
	for (i = 0; i < 5; i++)
		account_free(a[i]);
}

/* Is p, n bytes, inside one of a's chunks? */
static int
in_chunks(const struct account *a, const char *p, size_t n)
{
	const struct account_chunk	*c;

	for (c = a->chunks; c != NULL; c = c->next)
		if (p >= c->data && p + n <= c->data + c->size)
			return 1;
	return 0;
}

/* Values of every length, the large ones each a chunk of its own (of any
 * size, aligned or not), with more values after them: each is where it
 * was put, whole, and inside the account's memory. */
static void
test_account_values(void **state)
{
	static const size_t	 lens[] = { 1, 7, 8, 9, 1000, 1023, 2047,
	    2048, 3000, 3001, 5000, 65535, 65537, 3, 70001, 5 };
	const struct account_attr *at;
	struct account		*a;
	char			*v, name[16];
	size_t			 i, k;

	(void)state;
	a = account_new(0, "btuh", "guid", "CN=x");
	v = xmalloc(70002);
	for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		memset(v, 'a' + (int)(i % 26), lens[i]);
		snprintf(name, sizeof name, "attr%zu", i);
		account_add_value(a, name, v, lens[i]);
		account_add_value(a, name, "tail", 4);
	}
	for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		snprintf(name, sizeof name, "attr%zu", i);
		assert_non_null(at = account_attr(a, name));
		assert_int_equal(at->count, 2);
		assert_int_equal(strlen(at->values[0]), lens[i]);
		for (k = 0; k < lens[i]; k++)
			assert_int_equal(at->values[0][k], 'a' + (int)(i % 26));
		assert_string_equal(at->values[1], "tail");
		assert_true(in_chunks(a, at->values[0], lens[i] + 1));
		assert_true(in_chunks(a, at->values[1], 5));
		assert_true(in_chunks(a, at->name, strlen(at->name) + 1));
	}
	free(v);
	account_free(a);
}

/* account_key writes what snprintf "%s\t%s" would, cut to any size. */
static void
test_account_key(void **state)
{
	static const char *const doms[] = { "btuh", "", "southend" };
	static const char *const guids[] = {
	    "00002fe0-3243-9ea2-1c3e-fa3cc78275d2", "", "x" };
	char	 got[64], want[64];
	size_t	 d, g, size;

	(void)state;
	for (d = 0; d < 3; d++)
		for (g = 0; g < 3; g++)
			for (size = 0; size <= sizeof got; size++) {
				memset(got, '#', sizeof got);
				memset(want, '#', sizeof want);
				if (size > 0)
					snprintf(want, size, "%s\t%s", doms[d],
					    guids[g]);
				assert_ptr_equal(account_key(doms[d], guids[g],
				    got, size), got);
				assert_memory_equal(got, want, sizeof got);
			}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_save_load_and_atomic),
		cmocka_unit_test(test_save_writes_changes),
		cmocka_unit_test(test_save_stages),
		cmocka_unit_test(test_map_accounts),
		cmocka_unit_test(test_sort_twice),
		cmocka_unit_test(test_sort_order),
		cmocka_unit_test(test_load_conflict_members),
		cmocka_unit_test(test_first_save_indexes),
		cmocka_unit_test(test_close_copies_log),
		cmocka_unit_test(test_save_refuses_broken_key),
		cmocka_unit_test(test_sums),
		cmocka_unit_test(test_settled),
		cmocka_unit_test(test_account_lookup),
		cmocka_unit_test(test_conflict_best),
		cmocka_unit_test(test_new_person_scope),
		cmocka_unit_test(test_audit),
		cmocka_unit_test(test_lock),
		cmocka_unit_test(test_attrs_json),
		cmocka_unit_test(test_attrs_json_read),
		cmocka_unit_test(test_account_key),
		cmocka_unit_test(test_account_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
