/* test_idsync_consolidate.c: the consolidated identity: precedence rules
 * per attribute, the employeeID conflict, leavers, joiners and movers, and
 * usernames (ASCII, patterns, collisions, kept from the last run); and the
 * LDIF value lines its export writes. */
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

static struct account *
acc(size_t d, const char *dom, int n, const char *given, const char *sn,
    const char *mail, const char *eid, int64_t changed, int enabled)
{
	struct account	*a;
	char		 guid[DECODE_GUID_LEN], dn[64], why[64];

	snprintf(guid, sizeof guid, "00000000-0000-0000-0000-%012d", n);
	snprintf(dn, sizeof dn, "CN=%d,DC=%s,DC=test", n, dom);
	a = account_new(d, dom, guid, dn);
	account_add_value(a, "sAMAccountName", dn + 3, strlen(dn + 3));
	if (given != NULL)
		account_add_value(a, "givenName", given, strlen(given));
	if (sn != NULL)
		account_add_value(a, "sn", sn, strlen(sn));
	if (mail != NULL)
		account_add_value(a, "mail", mail, strlen(mail));
	if (eid != NULL)
		account_add_value(a, "employeeID", eid, strlen(eid));
	assert_int_equal(account_finish(a, why, sizeof why), 0);
	a->kind = ACCOUNT_PERSON;
	a->when_changed_ms = changed;
	a->expires_ms = INT64_MAX;
	if (!enabled)
		a->uac |= DECODE_UAC_DISABLED;
	return a;
}

/* Persons by groups: group[i] is account i's person. */
static void
result(struct match_result *res, const int *group, size_t n, size_t np)
{
	size_t	 i, p;

	memset(res, 0, sizeof *res);
	res->persons = xcalloc(np, sizeof *res->persons);
	res->npersons = np;
	for (p = 0; p < np; p++) {
		snprintf(res->persons[p].id, sizeof res->persons[p].id,
		    "00000000-0000-4000-8000-%012zu", p);
		res->persons[p].members = xcalloc(n, sizeof(size_t));
		for (i = 0; i < n; i++)
			if ((size_t)group[i] == p)
				res->persons[p].members[
				    res->persons[p].nmembers++] = i;
	}
}

static void
empty_state(struct state *st)
{
	memset(st, 0, sizeof *st);
	st->account_index = index_new();
	st->person_index = index_new();
}

/* What consolidate_run takes: n accounts a, the last state prev, rules
 * (nrules of them) and the username settings, at time 1000. */
static void
input(struct consolidate_input *in, struct account **a, size_t n,
    const struct state *prev, struct precedence_rule **rules, size_t nrules,
    const struct username_config *uc)
{
	memset(in, 0, sizeof *in);
	in->accounts = a;
	in->naccounts = n;
	in->prev = prev;
	in->rules = rules;
	in->nrules = nrules;
	in->username = uc;
	in->now_ms = 1000;
}

static void
test_username_base(void **unused)
{
	char	*u;

	(void)unused;
	u = consolidate_username_base("%i%s", "Zoë", "Ørsted-Brown", NULL,
	    20);
	assert_string_equal(u, "zorstedbrown");
	free(u);
	u = consolidate_username_base("%g.%s", "Seán", "O'Brien", NULL, 20);
	assert_string_equal(u, "sean.obrien");
	free(u);
	u = consolidate_username_base("%s%t-%e", "Ann", "Strauß", "E 12", 20);
	assert_string_equal(u, "strausss-e12");
	free(u);
	u = consolidate_username_base("%g%s", "Maximiliana", "Featherstonehaugh",
	    NULL, 12);
	assert_string_equal(u, "maximilianaf");
	free(u);
	u = consolidate_username_base("%i.%s", NULL, NULL, NULL, 20);
	assert_string_equal(u, "");
	free(u);
}

static void
test_pattern(void **unused)
{
	char	 err[256];

	(void)unused;
	assert_int_equal(consolidate_check_pattern("%i%s", err, sizeof err),
	    0);
	assert_int_equal(consolidate_check_pattern("%g.%s_%e", err,
	    sizeof err), 0);
	assert_int_equal(consolidate_check_pattern("%i%q", err, sizeof err),
	    -1);
	assert_non_null(strstr(err, "%q is not"));
	assert_int_equal(consolidate_check_pattern("%i%", err, sizeof err),
	    -1);
	assert_int_equal(consolidate_check_pattern("A%s", err, sizeof err),
	    -1);
	assert_non_null(strstr(err, "'A' may not be"));
	assert_int_equal(consolidate_check_pattern("staff%%", err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "uses no name"));
}

static void
test_precedence(void **unused)
{
	struct account		*a[6];
	struct match_result	 res;
	struct state		 prev;
	struct consolidate_input in;
	struct username_config	 uc;
	struct precedence_rule	 mail, *rules[1];
	char			 o1[] = "btuh.test", o2[] = "meht.test";
	char			 pat[] = "%i%s", suffix[] = "group.test";
	char			 label[] = "mail";
	char			*order[2];
	int			 group[] = { 0, 0, 1, 1, 2, 2 };
	char			 err[256];
	size_t			 i;

	(void)unused;
	/* Person 0: meht changed last but is disabled: btuh's names. */
	a[0] = acc(0, "btuh", 1, "Ann", "Lee", "ann@meht.test", "E1", 100, 1);
	a[1] = acc(1, "meht", 2, "Anne", "Lee-Hart", "al@btuh.test", "E1",
	    200, 0);
	/* Person 1: employee numbers disagree. */
	a[2] = acc(0, "btuh", 3, "Bob", "Lee", NULL, "E2", 100, 1);
	a[3] = acc(1, "meht", 4, "Robert", "Lee", NULL, " e3 ", 300, 1);
	/* Person 2: every account disabled; case aside, one number. */
	a[4] = acc(0, "btuh", 5, "Cy", "Lee", NULL, "x9", 100, 0);
	a[5] = acc(1, "meht", 6, "Cy", "Lee", NULL, "X9 ", 100, 0);
	result(&res, group, 6, 3);
	empty_state(&prev);
	memset(&mail, 0, sizeof mail);
	order[0] = o1;
	order[1] = o2;
	uc.pattern = pat;
	uc.max_length = 20;
	uc.upn_suffix = suffix;
	mail.item.label = label;
	mail.rule = PRECEDENCE_MAIL_DOMAINS;
	mail.order.items = order;
	mail.order.count = 2;
	rules[0] = &mail;
	input(&in, a, 6, &prev, rules, 1, &uc);
	assert_int_equal(consolidate_run(&in, &res, err, sizeof err), 0);

	assert_string_equal(res.persons[0].attrs[PERSON_GIVEN_NAME], "Ann");
	assert_string_equal(res.persons[0].attrs[PERSON_SN], "Lee");
	assert_string_equal(res.persons[0].attrs[PERSON_DISPLAY_NAME],
	    "Ann Lee");
	/* Enabled first, even before the preferred mail domain. */
	assert_string_equal(res.persons[0].attrs[PERSON_MAIL], "ann@meht.test");
	assert_string_equal(res.persons[0].attrs[PERSON_EMPLOYEE_ID], "E1");
	assert_false(res.persons[0].leaver);
	assert_string_equal(res.persons[0].lifecycle, "joiner");

	assert_string_equal(res.persons[1].attrs[PERSON_GIVEN_NAME], "Robert");
	assert_null(res.persons[1].attrs[PERSON_EMPLOYEE_ID]);
	assert_int_equal(res.nconflicts, 1);
	assert_string_equal(res.conflicts[0].kind, "attribute");
	assert_int_equal(res.conflicts[0].nmembers, 2);
	assert_int_equal(res.conflicts[0].members[0].account, 2);
	assert_int_equal(res.conflicts[0].members[1].account, 3);
	assert_string_equal(res.conflicts[0].members[0].person_id,
	    res.persons[1].id);
	assert_non_null(strstr(res.conflicts[0].summary,
	    "employeeID disagrees"));

	assert_true(res.persons[2].leaver);
	assert_string_equal(res.persons[2].lifecycle, "leaver");
	assert_string_equal(res.persons[2].attrs[PERSON_EMPLOYEE_ID], "x9");

	/* alee, rlee, clee: no collisions here. */
	assert_string_equal(res.persons[0].username, "alee");
	assert_string_equal(res.persons[0].upn, "alee@group.test");
	assert_string_equal(res.persons[1].username, "rlee");
	assert_string_equal(res.persons[2].username, "clee");

	match_result_clear(&res);
	state_clear(&prev);
	for (i = 0; i < 6; i++)
		account_free(a[i]);
}

/* A leaver has no account enabled: an admin account left enabled when
 * every own account is disabled keeps the person from being one, and is
 * a conflict that names it. */
static void
test_live_admin(void **unused)
{
	struct account		*a[5];
	struct match_result	 res;
	struct state		 prev;
	struct consolidate_input in;
	struct username_config	 uc;
	char			 pat[] = "%i%s";
	int			 group[] = { 0, 0, 0, 1, 1 };
	char			 err[256];
	size_t			 i;

	(void)unused;
	a[0] = acc(0, "btuh", 1, "Dee", "Ray", NULL, NULL, 100, 0);
	a[1] = acc(1, "meht", 2, "Dee", "Ray", NULL, NULL, 100, 0);
	a[2] = acc(0, "btuh", 3, "Dee", "Ray", NULL, NULL, 100, 1);
	a[2]->kind = ACCOUNT_ADMIN;
	a[3] = acc(0, "btuh", 4, "Eve", "Ray", NULL, NULL, 100, 0);
	a[4] = acc(0, "btuh", 5, "Eve", "Ray", NULL, NULL, 100, 0);
	a[4]->kind = ACCOUNT_ADMIN;
	result(&res, group, 5, 2);
	empty_state(&prev);
	memset(&uc, 0, sizeof uc);
	uc.pattern = pat;
	uc.max_length = 20;
	input(&in, a, 5, &prev, NULL, 0, &uc);
	assert_int_equal(consolidate_run(&in, &res, err, sizeof err), 0);

	assert_false(res.persons[0].leaver);
	assert_true(res.persons[1].leaver);
	assert_int_equal(res.nconflicts, 1);
	assert_string_equal(res.conflicts[0].kind, "live-admin");
	assert_int_equal(res.conflicts[0].nmembers, 1);
	assert_int_equal(res.conflicts[0].members[0].account, 2);
	assert_string_equal(res.conflicts[0].members[0].person_id,
	    res.persons[0].id);
	assert_non_null(strstr(res.conflicts[0].summary, "every own account "
	    "of person 00000000-0000-4000-8000-000000000000 is disabled or "
	    "expired, but admin account btuh\\"));
	assert_non_null(strstr(res.conflicts[0].summary, " is enabled: "
	    "disable it, or enable an own account"));
	/* Its own accounts still speak for it: Dee Ray. */
	assert_string_equal(res.persons[0].attrs[PERSON_DISPLAY_NAME],
	    "Dee Ray");

	match_result_clear(&res);
	state_clear(&prev);
	for (i = 0; i < 5; i++)
		account_free(a[i]);
}

/* Three persons named J Smith; the third had "jsmith" from the last run
 * and keeps it; the others get the next numbers. */
static void
test_collisions_stable(void **unused)
{
	struct account		*a[3];
	struct match_result	 res;
	struct state		 prev;
	struct consolidate_input in;
	struct username_config	 uc;
	char			 pat[] = "%i%s";
	int			 group[] = { 0, 1, 2 };
	char			 err[256];
	size_t			 i;

	(void)unused;
	uc.pattern = pat;
	uc.max_length = 7;
	uc.upn_suffix = NULL;
	a[0] = acc(0, "btuh", 1, "Jo", "Smithers", NULL, NULL, 1, 1);
	a[1] = acc(0, "btuh", 2, "Jim", "Smithson", NULL, NULL, 1, 1);
	a[2] = acc(0, "btuh", 3, "Jan", "Smith", NULL, NULL, 1, 1);
	result(&res, group, 3, 3);
	empty_state(&prev);
	prev.persons = xcalloc(1, sizeof *prev.persons);
	prev.npersons = 1;
	memcpy(prev.persons[0].id, res.persons[2].id, DECODE_GUID_LEN);
	prev.persons[0].username = xstrdup("jsmith");
	prev.persons[0].attrs[PERSON_DISPLAY_NAME] = xstrdup("Jan Smith");
	index_add(prev.person_index, prev.persons[0].id, 0);
	input(&in, a, 3, &prev, NULL, 0, &uc);
	assert_int_equal(consolidate_run(&in, &res, err, sizeof err), 0);
	/* Cut to 7: "jsmithe" and "jsmiths" do not collide; the cut is
	 * before the number. */
	assert_string_equal(res.persons[2].username, "jsmith");
	assert_string_equal(res.persons[0].username, "jsmithe");
	assert_string_equal(res.persons[1].username, "jsmiths");
	assert_null(res.persons[0].upn);
	/* Her names changed from what the last run had: a mover. */
	assert_string_equal(res.persons[2].lifecycle, "mover");
	match_result_clear(&res);

	/* Same names, max 6: jsmith is taken, so jsmit2, jsmit3. */
	uc.max_length = 6;
	result(&res, group, 3, 3);
	assert_int_equal(consolidate_run(&in, &res, err, sizeof err), 0);
	assert_string_equal(res.persons[2].username, "jsmith");
	assert_string_equal(res.persons[0].username, "jsmit2");
	assert_string_equal(res.persons[1].username, "jsmit3");
	match_result_clear(&res);

	/* The new ones take their numbers in the order of their accounts,
	 * not of their (random) ids. */
	group[0] = 1;
	group[1] = 0;
	result(&res, group, 3, 3);
	assert_int_equal(consolidate_run(&in, &res, err, sizeof err), 0);
	assert_string_equal(res.persons[1].username, "jsmit2");
	assert_string_equal(res.persons[0].username, "jsmit3");
	match_result_clear(&res);

	/* Kept (not matched again, its accounts as they were): as the last
	 * run consolidated it, and unchanged. */
	result(&res, group, 3, 3);
	res.persons[2].kept = 1;
	res.persons[2].existing = 1;
	assert_int_equal(consolidate_run(&in, &res, err, sizeof err), 0);
	assert_string_equal(res.persons[2].attrs[PERSON_DISPLAY_NAME],
	    "Jan Smith");
	assert_null(res.persons[2].attrs[PERSON_SN]);
	assert_string_equal(res.persons[2].username, "jsmith");
	assert_string_equal(res.persons[2].lifecycle, "unchanged");
	match_result_clear(&res);
	state_clear(&prev);
	for (i = 0; i < 3; i++)
		account_free(a[i]);
}

/* A new department or job title is a move, as a new name is. */
static void
test_job_move(void **unused)
{
	struct account		*a[1];
	struct match_result	 res;
	struct state		 prev;
	struct consolidate_input in;
	struct username_config	 uc;
	struct precedence_rule	 dept, *rules[1];
	char			 pat[] = "%i%s", label[] = "department";
	int			 group[] = { 0 };
	char			 err[256], why[64];

	(void)unused;
	a[0] = account_new(0, "btuh", "00000000-0000-0000-0000-000000000001",
	    "CN=1,DC=btuh,DC=test");
	account_add_value(a[0], "givenName", "Ann", 3);
	account_add_value(a[0], "sn", "Lee", 3);
	account_add_value(a[0], "department", "Radiology", 9);
	account_add_value(a[0], "title", "Radiographer", 12);
	assert_int_equal(account_finish(a[0], why, sizeof why), 0);
	a[0]->kind = ACCOUNT_PERSON;
	a[0]->expires_ms = INT64_MAX;
	result(&res, group, 1, 1);
	empty_state(&prev);
	prev.persons = xcalloc(1, sizeof *prev.persons);
	prev.npersons = 1;
	memcpy(prev.persons[0].id, res.persons[0].id, DECODE_GUID_LEN);
	prev.persons[0].username = xstrdup("alee");
	prev.persons[0].attrs[PERSON_DISPLAY_NAME] = xstrdup("Ann Lee");
	prev.persons[0].attrs[PERSON_GIVEN_NAME] = xstrdup("Ann");
	prev.persons[0].attrs[PERSON_SN] = xstrdup("Lee");
	prev.persons[0].attrs[PERSON_DEPARTMENT] = xstrdup("Pharmacy");
	prev.persons[0].attrs[PERSON_TITLE] = xstrdup("Radiographer");
	index_add(prev.person_index, prev.persons[0].id, 0);
	memset(&uc, 0, sizeof uc);
	uc.pattern = pat;
	uc.max_length = 20;
	/* [precedence "department"] is one of the consolidated now. */
	memset(&dept, 0, sizeof dept);
	dept.item.label = label;
	dept.rule = PRECEDENCE_LATEST;
	rules[0] = &dept;
	input(&in, a, 1, &prev, rules, 1, &uc);
	assert_int_equal(consolidate_run(&in, &res, err, sizeof err), 0);
	assert_string_equal(res.persons[0].attrs[PERSON_DEPARTMENT],
	    "Radiology");
	assert_string_equal(res.persons[0].attrs[PERSON_TITLE],
	    "Radiographer");
	assert_string_equal(res.persons[0].lifecycle, "mover");
	match_result_clear(&res);
	state_clear(&prev);
	account_free(a[0]);
}

/* An account with no mail: its primary SMTP address (proxyAddresses'
 * "SMTP:" one, not a secondary "smtp:") stands for it. */
static void
test_mail_primary_smtp(void **unused)
{
	struct account		*a[1];
	struct match_result	 res;
	struct state		 prev;
	struct consolidate_input in;
	struct username_config	 uc;
	char			 pat[] = "%i%s";
	int			 group[] = { 0 };
	char			 err[256], why[64];
	static const char *const px[] = { "smtp:ann@old.meht.test",
	    "SIP:ann@btuh.test", "SMTP:ann.lee@btuh.test", "smtp:al@btuh.test" };
	size_t			 i;

	(void)unused;
	a[0] = account_new(0, "btuh", "00000000-0000-0000-0000-000000000001",
	    "CN=1,DC=btuh,DC=test");
	account_add_value(a[0], "givenName", "Ann", 3);
	account_add_value(a[0], "sn", "Lee", 3);
	for (i = 0; i < sizeof px / sizeof px[0]; i++)
		account_add_value(a[0], "proxyAddresses", px[i], strlen(px[i]));
	assert_int_equal(account_finish(a[0], why, sizeof why), 0);
	a[0]->kind = ACCOUNT_PERSON;
	a[0]->expires_ms = INT64_MAX;
	result(&res, group, 1, 1);
	empty_state(&prev);
	memset(&uc, 0, sizeof uc);
	uc.pattern = pat;
	uc.max_length = 20;
	input(&in, a, 1, &prev, NULL, 0, &uc);
	assert_int_equal(consolidate_run(&in, &res, err, sizeof err), 0);
	assert_string_equal(res.persons[0].attrs[PERSON_MAIL],
	    "ann.lee@btuh.test");
	match_result_clear(&res);
	state_clear(&prev);
	account_free(a[0]);
}

/* Six persons who make the same name, the last keeping "jsmit3" from the
 * last run: the new ones take the first numbers free, around it, and a
 * run after that numbers them the same way again. */
static void
test_collisions_many(void **unused)
{
	static const char *const want[] = { "jsmith", "jsmit2", "jsmit4",
	    "jsmit5", "jsmit6" };
	struct account		*a[6];
	struct match_result	 res;
	struct state		 prev;
	struct consolidate_input in;
	struct username_config	 uc;
	char			 pat[] = "%i%s";
	int			 group[] = { 0, 1, 2, 3, 4, 5 };
	char			 err[256];
	size_t			 i, round;

	(void)unused;
	uc.pattern = pat;
	uc.max_length = 6;
	uc.upn_suffix = NULL;
	for (i = 0; i < 6; i++)
		a[i] = acc(0, "btuh", (int)i + 1, "Jan", "Smith", NULL, NULL,
		    1, 1);
	empty_state(&prev);
	prev.persons = xcalloc(1, sizeof *prev.persons);
	prev.npersons = 1;
	input(&in, a, 6, &prev, NULL, 0, &uc);
	for (round = 0; round < 2; round++) {
		result(&res, group, 6, 6);
		if (round == 0) {
			memcpy(prev.persons[0].id, res.persons[5].id,
			    DECODE_GUID_LEN);
			prev.persons[0].username = xstrdup("jsmit3");
			index_add(prev.person_index, prev.persons[0].id, 0);
		}
		assert_int_equal(consolidate_run(&in, &res, err, sizeof err),
		    0);
		for (i = 0; i < 5; i++)
			assert_string_equal(res.persons[i].username, want[i]);
		assert_string_equal(res.persons[5].username, "jsmit3");
		match_result_clear(&res);
	}
	state_clear(&prev);
	for (i = 0; i < 6; i++)
		account_free(a[i]);
}

static char *
ldif_line(const char *name, const char *value)
{
	char	*out = NULL;
	size_t	 len = 0;
	FILE	*fp;

	assert_non_null(fp = open_memstream(&out, &len));
	export_ldif_line(fp, name, value);
	assert_int_equal(fclose(fp), 0);
	return out;
}

static void
test_ldif_line(void **unused)
{
	char	*l, long_value[200];

	(void)unused;
	l = ldif_line("sn", "Smith");
	assert_string_equal(l, "sn: Smith\n");
	free(l);
	/* Not ASCII, a leading colon or space, a trailing space: base64. */
	l = ldif_line("sn", "Ørsted");
	assert_string_equal(l, "sn:: w5hyc3RlZA==\n");
	free(l);
	l = ldif_line("cn", ":x");
	assert_string_equal(l, "cn:: Ong=\n");
	free(l);
	l = ldif_line("cn", "ab ");
	assert_string_equal(l, "cn:: YWIg\n");
	free(l);
	l = ldif_line("cn", " a\nb");
	assert_string_equal(l, "cn:: IGEKYg==\n");
	free(l);
	l = ldif_line("cn", "");
	assert_string_equal(l, "cn: \n");
	free(l);
	/* Folded at 76 columns, continuation lines starting with a space. */
	memset(long_value, 'x', 150);
	long_value[150] = '\0';
	l = ldif_line("description", long_value);
	/* 163 characters: 76, then 75 and 12 after a space each. */
	assert_int_equal(strlen(l), strlen("description: ") + 150 + 2 * 2 + 1);
	assert_int_equal(l[76], '\n');
	assert_int_equal(l[77], ' ');
	assert_int_equal(l[77 + 76], '\n');
	assert_int_equal(l[78 + 76], ' ');
	free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_username_base),
		cmocka_unit_test(test_collisions_many),
		cmocka_unit_test(test_pattern),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_live_admin),
		cmocka_unit_test(test_job_move),
		cmocka_unit_test(test_mail_primary_smtp),
		cmocka_unit_test(test_collisions_stable),
		cmocka_unit_test(test_ldif_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
