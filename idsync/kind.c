/* kind.c: what kind an account is, by the [kinds] rules: an admin account
 * (linked to its owner as a secondary account), a service or a shared
 * account (never linked to a person), or a person's own account. Names
 * are matched with fnmatch(3) patterns, DNs with an extended regular
 * expression, both ignoring case. */
#include "config.h"

#include <fnmatch.h>
#include <regex.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "idsync/idsync.h"

struct kind_rule {
	const struct cfg_list	*names;
	regex_t			 dn;
	int			 has_dn;
	/* The expression when it holds no operator: found as text. */
	char			*literal;
};

struct kinds {
	/* Service before shared before admin: a service account named
	 * like an admin account must still never be linked. */
	struct kind_rule	 service;
	struct kind_rule	 shared;
	struct kind_rule	 admin;
};

static int
kind_rule_compile(struct kind_rule *r, const struct cfg_list *names,
    const char *dn, const char *what, char *err, size_t errlen)
{
	char	 why[256];
	int	 rc;

	r->names = names;
	r->has_dn = 0;
	r->literal = NULL;
	if (dn == NULL || *dn == '\0')
		return 0;
	if ((rc = regcomp(&r->dn, dn, REG_EXTENDED | REG_ICASE |
	    REG_NOSUB)) != 0) {
		regerror(rc, &r->dn, why, sizeof why);
		snprintf(err, errlen, "[kinds] %s: \"%s\": %s", what, dn, why);
		return -1;
	}
	r->has_dn = 1;
	/*
	 * Most are text such as ",OU=Admin Accounts,": with no operator in
	 * it, the expression matches where the text is found, case aside
	 * (this program keeps the C locale: REG_ICASE folds ASCII alone, as
	 * strcasestr does). glibc's matcher took a twentieth of reading,
	 * three expressions for each account.
	 */
	if (dn[strcspn(dn, ".[]()*+?{}|^$\\")] == '\0')
		r->literal = xstrdup(dn);
	return 0;
}

/* The rules of kc ready to use; kc must outlive them. NULL with err when a
 * regular expression does not compile. */
struct kinds *
kind_compile(const struct kind_config *kc, char *err, size_t errlen)
{
	struct kinds	*k;

	k = xcalloc(1, sizeof *k);
	if (kind_rule_compile(&k->service, &kc->service_names, kc->service_dn,
	    "service_dn", err, errlen) == -1 ||
	    kind_rule_compile(&k->shared, &kc->shared_names, kc->shared_dn,
	    "shared_dn", err, errlen) == -1 ||
	    kind_rule_compile(&k->admin, &kc->admin_names, kc->admin_dn,
	    "admin_dn", err, errlen) == -1) {
		kind_free(k);
		return NULL;
	}
	return k;
}

static void
kind_rule_free(struct kind_rule *r)
{
	if (r->has_dn)
		regfree(&r->dn);
	free(r->literal);
}

void
kind_free(struct kinds *k)
{
	if (k == NULL)
		return;
	kind_rule_free(&k->service);
	kind_rule_free(&k->shared);
	kind_rule_free(&k->admin);
	free(k);
}

static int
kind_match(const struct kind_rule *r, const struct account *a)
{
	const char	*sam = account_get(a, "sAMAccountName");
	size_t		 i;

	for (i = 0; sam != NULL && i < r->names->count; i++)
		if (fnmatch(r->names->items[i], sam, FNM_CASEFOLD) == 0)
			return 1;
	if (!r->has_dn)
		return 0;
	if (r->literal != NULL)
		return strcasestr(a->dn, r->literal) != NULL;
	return regexec(&r->dn, a->dn, 0, NULL, 0) == 0;
}

enum account_kind
kind_classify(const struct kinds *k, const struct account *a)
{
	if (kind_match(&k->service, a))
		return ACCOUNT_SERVICE;
	if (kind_match(&k->shared, a))
		return ACCOUNT_SHARED;
	if (kind_match(&k->admin, a))
		return ACCOUNT_ADMIN;
	return ACCOUNT_PERSON;
}
