/* test_token.c: API tokens: their shape and randomness, that only a hash is
 * stored, roles, names, revocation, and that listing never shows a token. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "common/db.h"
#include "common/xmalloc.h"
#include "collector/collector.h"
#include "tests/unit/testutil.h"

static struct store *
open_store(char **pathp)
{
	static int	 n;
	struct store	*st;
	char		 err[512], name[32];
	char		*path;

	snprintf(name, sizeof name, "ward-%d.db", n++);
	path = tu_path(tu_tmpdir(), name);
	st = store_open(path, 0, err, sizeof err);
	if (st == NULL)
		fail_msg("store_open: %s", err);
	if (pathp != NULL)
		*pathp = path;
	else
		free(path);
	return st;
}

static char *
add(struct store *st, const char *name, enum token_role role)
{
	char	*token = NULL, err[512];

	if (token_add(st, name, role, &token, err, sizeof err) == -1)
		fail_msg("token_add %s: %s", name, err);
	return token;
}

static char *
list(struct store *st)
{
	char	*text = NULL, err[512];
	size_t	 len = 0;
	FILE	*fp;

	fp = open_memstream(&text, &len);
	assert_non_null(fp);
	assert_int_equal(token_list(st, fp, err, sizeof err), 0);
	fclose(fp);
	return text;
}

static void
test_roles(void **state)
{
	(void)state;
	assert_int_equal(token_role_from_name("agent"), ROLE_AGENT);
	assert_int_equal(token_role_from_name("read"), ROLE_READ);
	assert_int_equal(token_role_from_name("operate"), ROLE_OPERATE);
	assert_int_equal(token_role_from_name("admin"), ROLE_ADMIN);
	assert_int_equal(token_role_from_name("Admin"), -1);
	assert_int_equal(token_role_from_name(""), -1);
	assert_int_equal(token_role_from_name("root"), -1);
	assert_string_equal(token_role_name(ROLE_AGENT), "agent");
	assert_string_equal(token_role_name(ROLE_READ), "read");
	assert_string_equal(token_role_name(ROLE_OPERATE), "operate");
	assert_string_equal(token_role_name(ROLE_ADMIN), "admin");
	assert_true((ROLES_REPORT & ROLE_READ) == 0);
	assert_true((ROLES_READ & ROLE_AGENT) == 0);
}

static void
test_format_and_randomness(void **state)
{
	struct store	*st;
	char		*t[8], name[16];
	size_t		 i, j, k;

	(void)state;
	st = open_store(NULL);
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof name, "agent-%zu", i);
		t[i] = add(st, name, ROLE_AGENT);
		assert_int_equal(strlen(t[i]), 5 + 43);
		assert_memory_equal(t[i], "ward_", 5);
		for (k = 5; t[i][k] != '\0'; k++)
			assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "abcdefghijklmnopqrstuvwxyz0123456789-_", t[i][k]));
		for (j = 0; j < i; j++)
			assert_string_not_equal(t[i], t[j]);
	}
	for (i = 0; i < 8; i++)
		xfree_secret(t[i]);
	store_close(st);
}

static void
test_hash_stored_not_token(void **state)
{
	struct store	*st;
	sqlite3_stmt	*stmt;
	unsigned char	 want[32];
	unsigned int	 wantlen = 0;
	char		*token, *path, err[256];
	int		 rows = 0;

	(void)state;
	st = open_store(&path);
	token = add(st, "pas-app01", ROLE_AGENT);
	assert_int_equal(EVP_Digest(token, strlen(token), want, &wantlen,
	    EVP_sha256(), NULL), 1);

	stmt = db_stmt(store_db(st), "SELECT name, role, hash, created_ms, "
	    "last_used_ms, revoked_ms FROM tokens", err, sizeof err);
	assert_non_null(stmt);
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		rows++;
		assert_string_equal((const char *)sqlite3_column_text(stmt, 0),
		    "pas-app01");
		assert_string_equal((const char *)sqlite3_column_text(stmt, 1),
		    "agent");
		assert_int_equal(sqlite3_column_type(stmt, 2), SQLITE_BLOB);
		assert_int_equal(sqlite3_column_bytes(stmt, 2), 32);
		assert_memory_equal(sqlite3_column_blob(stmt, 2), want, 32);
		assert_true(sqlite3_column_int64(stmt, 3) > 0);
		assert_int_equal(sqlite3_column_type(stmt, 4), SQLITE_NULL);
		assert_int_equal(sqlite3_column_type(stmt, 5), SQLITE_NULL);
	}
	sqlite3_reset(stmt);
	assert_int_equal(rows, 1);
	store_close(st);

	/* Neither the token nor its random part is anywhere on disk; the
	 * name is, which shows the search can find text in the file. */
	assert_int_equal(tu_sh("grep -qaF pas-app01 '%s'", path), 0);
	assert_int_equal(tu_sh("! grep -qaF -- '%s' '%s'*", token, path), 0);
	assert_int_equal(tu_sh("! grep -qaF -- '%s' '%s'*", token + 5, path),
	    0);
	xfree_secret(token);
	free(path);
}

static void
test_check(void **state)
{
	struct store	*st;
	enum token_role	 role = 0;
	char		*agent, *reader, name[65], bad[64];

	(void)state;
	st = open_store(NULL);
	agent = add(st, "dc1-agent", ROLE_AGENT);
	reader = add(st, "helpdesk", ROLE_READ);

	assert_int_equal(token_check(st, agent, &role, name, sizeof name), 0);
	assert_int_equal(role, ROLE_AGENT);
	assert_string_equal(name, "dc1-agent");
	assert_int_equal(token_check(st, reader, &role, name, sizeof name), 0);
	assert_int_equal(role, ROLE_READ);
	assert_string_equal(name, "helpdesk");

	/* Unknown: one character changed, wrong shape, empty, prefix only. */
	snprintf(bad, sizeof bad, "%s", agent);
	bad[20] = bad[20] == 'A' ? 'B' : 'A';
	assert_int_equal(token_check(st, bad, &role, name, sizeof name), -1);
	assert_int_equal(token_check(st, "", &role, name, sizeof name), -1);
	assert_int_equal(token_check(st, "ward_", &role, name, sizeof name),
	    -1);
	assert_int_equal(token_check(st, agent + 5, &role, name, sizeof name),
	    -1);
	snprintf(bad, sizeof bad, "%sx", agent);
	assert_int_equal(token_check(st, bad, &role, name, sizeof name), -1);

	xfree_secret(agent);
	xfree_secret(reader);
	store_close(st);
}

static void
test_last_used(void **state)
{
	struct store	*st;
	enum token_role	 role;
	char		*token, *text, name[65];

	(void)state;
	st = open_store(NULL);
	token = add(st, "a1", ROLE_AGENT);
	text = list(st);
	assert_contains(text, "never");
	free(text);
	assert_int_equal(token_check(st, token, &role, name, sizeof name), 0);
	text = list(st);
	assert_not_contains(text, "never");
	free(text);
	xfree_secret(token);
	store_close(st);
}

static void
test_names(void **state)
{
	struct store	*st;
	char		*token = (char *)1, err[512], long_name[80];

	(void)state;
	st = open_store(NULL);
	assert_int_equal(token_add(st, "", ROLE_AGENT, &token, err, sizeof err),
	    -1);
	assert_null(token);
	assert_contains(err, "token name \"\"");
	assert_int_equal(token_add(st, "a b", ROLE_AGENT, &token, err,
	    sizeof err), -1);
	assert_contains(err, "\"a b\"");
	assert_contains(err, "A-Z a-z 0-9 . _ -");
	assert_int_equal(token_add(st, "a/b", ROLE_AGENT, &token, err,
	    sizeof err), -1);
	assert_int_equal(token_add(st, "a\nb", ROLE_AGENT, &token, err,
	    sizeof err), -1);
	memset(long_name, 'x', 65);
	long_name[65] = '\0';
	assert_int_equal(token_add(st, long_name, ROLE_AGENT, &token, err,
	    sizeof err), -1);
	long_name[64] = '\0';
	assert_int_equal(token_add(st, long_name, ROLE_AGENT, &token, err,
	    sizeof err), 0);
	xfree_secret(token);
	assert_int_equal(token_add(st, "ok.name_1-2", (enum token_role)0x10,
	    &token, err, sizeof err), -1);
	assert_contains(err, "unknown role");
	assert_int_equal(token_add(st, "Ok.Name_1-2", ROLE_ADMIN, &token, err,
	    sizeof err), 0);
	xfree_secret(token);
	store_close(st);
}

static void
test_duplicate_and_revoke(void **state)
{
	struct store	*st;
	enum token_role	 role;
	char		*first, *second, *token = NULL, *text, err[512];
	char		 name[65];

	(void)state;
	st = open_store(NULL);
	first = add(st, "dc2", ROLE_AGENT);
	assert_int_equal(token_add(st, "dc2", ROLE_READ, &token, err,
	    sizeof err), -1);
	assert_null(token);
	assert_string_equal(err, "token \"dc2\" already exists; revoke it "
	    "first");

	assert_int_equal(token_revoke(st, "nobody", err, sizeof err), -1);
	assert_contains(err, "\"nobody\"");
	assert_int_equal(token_revoke(st, "dc2", err, sizeof err), 0);
	assert_int_equal(token_check(st, first, &role, name, sizeof name), -1);
	/* Revoking twice: there is no live token of that name any more. */
	assert_int_equal(token_revoke(st, "dc2", err, sizeof err), -1);
	assert_contains(err, "\"dc2\"");

	/* The name is free again; the old token stays dead. */
	second = add(st, "dc2", ROLE_READ);
	assert_int_equal(token_check(st, second, &role, name, sizeof name), 0);
	assert_int_equal(role, ROLE_READ);
	assert_int_equal(token_check(st, first, &role, name, sizeof name), -1);

	text = list(st);
	assert_contains(text, "revoked");
	assert_contains(text, "live");
	free(text);
	xfree_secret(first);
	xfree_secret(second);
	store_close(st);
}

static void
test_list_shows_no_secret(void **state)
{
	struct store	*st;
	sqlite3_stmt	*stmt;
	char		*a, *b, *text, err[256], hex[65];
	const unsigned char *h;
	int		 i;

	(void)state;
	st = open_store(NULL);
	a = add(st, "alpha", ROLE_AGENT);
	b = add(st, "beta", ROLE_OPERATE);
	text = list(st);
	assert_contains(text, "NAME");
	assert_contains(text, "ROLE");
	assert_contains(text, "alpha");
	assert_contains(text, "agent");
	assert_contains(text, "beta");
	assert_contains(text, "operate");
	assert_not_contains(text, "ward_");
	assert_not_contains(text, a + 5);
	assert_not_contains(text, b + 5);

	stmt = db_stmt(store_db(st), "SELECT hash FROM tokens", err,
	    sizeof err);
	assert_non_null(stmt);
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		h = sqlite3_column_blob(stmt, 0);
		for (i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", h[i]);
		assert_not_contains(text, hex);
		hex[8] = '\0';
		assert_not_contains(text, hex);
	}
	sqlite3_reset(stmt);
	/* One header and one line per token. */
	i = 0;
	for (const char *p = text; (p = strchr(p, '\n')) != NULL; p++)
		i++;
	assert_int_equal(i, 3);
	free(text);
	xfree_secret(a);
	xfree_secret(b);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_format_and_randomness),
		cmocka_unit_test(test_hash_stored_not_token),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_last_used),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_duplicate_and_revoke),
		cmocka_unit_test(test_list_shows_no_secret),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
