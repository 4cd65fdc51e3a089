/* test_idsync_kind.c: an account's kind from [kinds]: service before
 * shared before admin before person; sAMAccountName patterns and DN
 * expressions, case aside; an expression that is plain text (matched as
 * text) decides as the regular expression itself would, and one with
 * operators is still a regular expression. */

#include "config.h"

#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "idsync/idsync.h"

static struct account *
acct(const char *sam, const char *dn)
{
	struct account	*a = account_new(0, "btuh",
	    "00000000-0000-0000-0000-000000000001", dn);
	char		 why[64];

	if (sam != NULL)
		account_add_value(a, "sAMAccountName", sam, strlen(sam));
	(void)account_finish(a, why, sizeof why);
	return a;
}

static enum account_kind
classify(const struct kind_config *kc, const char *sam, const char *dn)
{
	struct kinds		*k;
	struct account		*a = acct(sam, dn);
	enum account_kind	 kind;
	char			 err[256];

	k = kind_compile(kc, err, sizeof err);
	assert_non_null(k);
	kind = kind_classify(k, a);
	kind_free(k);
	account_free(a);
	return kind;
}

static void
test_order_and_names(void **state)
{
	char			 a1[] = "adm-*", s1[] = "svc-*";
	char			 shared[] = ",OU=Shared Mailboxes,";
	char			*adm[] = { a1 }, *svc[] = { s1 };
	struct kind_config	 kc;

	(void)state;
	memset(&kc, 0, sizeof kc);
	kc.admin_names.items = adm;
	kc.admin_names.count = 1;
	kc.service_names.items = svc;
	kc.service_names.count = 1;
	kc.shared_dn = shared;
	assert_int_equal(classify(&kc, "ADM-jsmith", "CN=a,DC=btuh,DC=test"),
	    ACCOUNT_ADMIN);
	assert_int_equal(classify(&kc, "svc-backup", "CN=b,DC=btuh,DC=test"),
	    ACCOUNT_SERVICE);
	/* Service before shared before admin. */
	assert_int_equal(classify(&kc, "svc-ward",
	    "CN=c,OU=Shared Mailboxes,DC=btuh,DC=test"), ACCOUNT_SERVICE);
	assert_int_equal(classify(&kc, "adm-ward",
	    "CN=c,ou=shared mailboxes,DC=btuh,DC=test"), ACCOUNT_SHARED);
	assert_int_equal(classify(&kc, "jsmith", "CN=d,DC=btuh,DC=test"),
	    ACCOUNT_PERSON);
	assert_int_equal(classify(&kc, NULL, "CN=d,DC=btuh,DC=test"),
	    ACCOUNT_PERSON);
}

/* Each expression against each DN: the kind says admin exactly when
 * regexec says the expression matches. */
static void
test_text_as_expression(void **state)
{
	static const char *const exprs[] = {
		",OU=Admin Accounts,",
		"ou=admin accounts",
		"OU=Admin Accounts,DC=btuh",
		"=",
		"OU=Ädmin",
		"OU=(Admin|Privileged) Accounts,",
		",OU=Admin.Accounts,",
		"^CN=adm",
		"Accounts,DC=btuh,DC=test$",
		"OU=Admin\\ Accounts",
	};
	static const char *const dns[] = {
		"CN=Jo Smith,OU=Admin Accounts,DC=btuh,DC=test",
		"cn=jo,ou=ADMIN ACCOUNTS,dc=btuh,dc=test",
		"CN=Jo,OU=Privileged Accounts,DC=btuh,DC=test",
		"CN=Jo,OU=AdminXAccounts,DC=btuh,DC=test",
		"CN=adm,OU=Staff,DC=btuh,DC=test",
		"CN=Jo,OU=Ädmin,DC=btuh,DC=test",
		"CN=Jo,OU=äDMIN,DC=btuh,DC=test",
		"CN=Jo,OU=Admin Account,DC=btuh,DC=test",
		"",
	};
	struct kind_config	 kc;
	regex_t			 re;
	size_t			 i, j;
	int			 want;

	(void)state;
	for (i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
		memset(&kc, 0, sizeof kc);
		kc.admin_dn = (char *)(uintptr_t)exprs[i];
		assert_int_equal(regcomp(&re, exprs[i], REG_EXTENDED |
		    REG_ICASE | REG_NOSUB), 0);
		for (j = 0; j < sizeof dns / sizeof dns[0]; j++) {
			want = regexec(&re, dns[j], 0, NULL, 0) == 0;
			if ((classify(&kc, "jo", dns[j]) == ACCOUNT_ADMIN) !=
			    want)
				fail_msg("\"%s\" on \"%s\": kind says %s, "
				    "regexec %s", exprs[i], dns[j], want ?
				    "no" : "yes", want ? "yes" : "no");
		}
		regfree(&re);
	}
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(test_order_and_names),
		cmocka_unit_test(test_text_as_expression),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
