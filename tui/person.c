/* person.c: the identity API's persons and accounts in words, shared by
 * ward person and the dashboard's Identity views and search. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "tui/tui.h"

char *
person_account_name(const json_t *a)
{
	char	*s, *dom, *sam;

	/* Each part made safe apart: the backslash between them stays one. */
	dom = fmt_vis(js(a, "domain") != NULL ? js(a, "domain") : "?");
	sam = fmt_vis(js(a, "sam") != NULL ? js(a, "sam") : "?");
	xasprintf(&s, "%s\\%s", dom, sam);
	free(dom);
	free(sam);
	return s;
}

const char *
person_account_state(const json_t *a, int64_t now_ms)
{
	const char	*exp = js(a, "expires");
	int64_t		 at;
	char		 err[128];

	if (!json_is_true(json_object_get(a, "enabled")))
		return "disabled";
	/* Expired is as locked out as disabled, though the flag says not. */
	if (exp != NULL && wtime_parse_iso8601(exp, &at, err, sizeof err) == 0 && at <= now_ms)
		return "expired";
	/* pwdLastSet 0: the next logon asks for a new password first. */
	if (json_is_true(json_object_get(a, "password_must_change")))
		return "must change password";
	return "enabled";
}

char *
person_expires(char *dst, size_t size, const json_t *a)
{
	const char	*exp = js(a, "expires");

	if (exp == NULL)
		snprintf(dst, size, "never");
	else
		/* The day is what the helpdesk is asked about. */
		snprintf(dst, size, "%.10s", exp);
	return dst;
}

/* Whether needle is within hay, in any case (ASCII). */
static int
person_has(const char *hay, const char *needle)
{
	size_t	 n = strlen(needle);

	if (hay == NULL || n == 0)
		return 0;
	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return 1;
	return 0;
}

const char *
person_matched(const json_t *person, const char *q)
{
	json_t	*a;
	size_t	 i;

	if (person_has(js(person, "display_name"), q))
		return "name";
	if (js(person, "employee_id") != NULL &&
	    strcasecmp(js(person, "employee_id"), q) == 0)
		return "employee";
	json_array_foreach(json_object_get(person, "accounts"), i, a)
		if (person_has(js(a, "sam"), q))
			return "username";
	json_array_foreach(json_object_get(person, "accounts"), i, a)
		if (person_has(js(a, "upn"), q))
			return "upn";
	json_array_foreach(json_object_get(person, "accounts"), i, a)
		if (person_has(js(a, "mail"), q))
			return "mail";
	/* The collector also matches given names and surnames apart. */
	return "name";
}

char *
person_accounts_line(const json_t *accounts, int64_t now_ms)
{
	struct buf	 b;
	json_t		*a;
	const char	*state;
	char		*name;
	size_t		 i;

	buf_init(&b, 0);
	json_array_foreach(accounts, i, a) {
		name = person_account_name(a);
		state = person_account_state(a, now_ms);
		buf_printf(&b, "%s%s%s%s%s", i > 0 ? "  " : "", name,
		    strcmp(state, "enabled") != 0 ? " (" : "",
		    strcmp(state, "enabled") != 0 ? state : "",
		    strcmp(state, "enabled") != 0 ? ")" : "");
		free(name);
	}
	if (b.len == 0)
		buf_printf(&b, "no accounts");
	return buf_detach(&b, NULL);
}
