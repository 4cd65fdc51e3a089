/* token.c: API tokens: made from 32 random bytes, shown once, kept only as
 * a SHA-256 of the whole token, each with one role. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/db.h"
#include "common/log.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "collector/collector.h"

#define TOKEN_PREFIX		"ward_"
#define TOKEN_RANDOM_BYTES	32
#define TOKEN_B64_LEN		43	/* base64url of 32 bytes, unpadded */
#define TOKEN_LEN		(sizeof TOKEN_PREFIX - 1 + TOKEN_B64_LEN)
#define TOKEN_HASH_LEN		32
#define TOKEN_NAME_MAX		64
/* last_used_ms is a hint for operators, not an audit log: refreshing it at
 * most once a minute keeps a busy agent from costing a write per request. */
#define TOKEN_TOUCH_INTERVAL_MS	60000

static const char *const token_role_names[] = {
	"agent", "read", "operate", "admin",
};

int
token_role_from_name(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof token_role_names / sizeof token_role_names[0];
	    i++)
		if (strcmp(name, token_role_names[i]) == 0)
			return 1 << i;
	return -1;
}

const char *
token_role_name(enum token_role role)
{
	switch (role) {
	case ROLE_AGENT:
		return "agent";
	case ROLE_READ:
		return "read";
	case ROLE_OPERATE:
		return "operate";
	case ROLE_ADMIN:
		return "admin";
	}
	return "unknown";
}

static int
token_name_valid(const char *name)
{
	size_t	 n;

	n = strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-");
	return n > 0 && n <= TOKEN_NAME_MAX && name[n] == '\0';
}

static void
token_base64url(const unsigned char *in, size_t len, char *out)
{
	static const char	 alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_";
	unsigned long		 v;
	size_t			 i;
	int			 bits = 0;

	v = 0;
	for (i = 0; i < len; i++) {
		v = (v << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			*out++ = alphabet[(v >> bits) & 0x3f];
		}
		v &= (1UL << bits) - 1;
	}
	if (bits > 0)
		*out++ = alphabet[(v << (6 - bits)) & 0x3f];
	*out = '\0';
}

static int
token_hash(const char *token, unsigned char *hash)
{
	unsigned int	 len = 0;

	if (EVP_Digest(token, strlen(token), hash, &len, EVP_sha256(),
	    NULL) != 1 || len != TOKEN_HASH_LEN)
		return -1;
	return 0;
}

struct token_add_args {
	const char		*name;
	enum token_role		 role;
	const unsigned char	*hash;
};

static int
token_add_txn(struct db *db, void *arg)
{
	struct token_add_args	*a = arg;
	sqlite3_stmt		*stmt;
	char			 err[256];
	int			 rc;

	if ((stmt = db_stmt(db, "SELECT 1 FROM tokens WHERE name = ? AND "
	    "revoked_ms IS NULL", err, sizeof err)) == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, a->name, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	if (rc == SQLITE_ROW)
		return -2;
	if (rc != SQLITE_DONE)
		return -1;
	if ((stmt = db_stmt(db, "INSERT INTO tokens (name, role, hash, "
	    "created_ms) VALUES (?, ?, ?, ?)", err, sizeof err)) == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, a->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, token_role_name(a->role), -1,
	    SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 3, a->hash, TOKEN_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, wtime_now_ms());
	rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
token_add(struct store *st, const char *name, enum token_role role,
    char **token_out, char *err, size_t errlen)
{
	struct token_add_args	 a;
	unsigned char		 rnd[TOKEN_RANDOM_BYTES];
	unsigned char		 hash[TOKEN_HASH_LEN];
	char			*token;
	int			 rc;

	*token_out = NULL;
	if (!token_name_valid(name)) {
		snprintf(err, errlen, "token name \"%.64s%s\": use 1 to %d of "
		    "A-Z a-z 0-9 . _ -", name, strlen(name) > 64 ? "..." : "",
		    TOKEN_NAME_MAX);
		return -1;
	}
	if (strcmp(token_role_name(role), "unknown") == 0) {
		snprintf(err, errlen, "token \"%s\": unknown role %d", name,
		    (int)role);
		return -1;
	}
	if (RAND_bytes(rnd, sizeof rnd) != 1) {
		snprintf(err, errlen, "token \"%s\": no random bytes from "
		    "OpenSSL RAND_bytes", name);
		return -1;
	}
	token = xmalloc(TOKEN_LEN + 1);
	memcpy(token, TOKEN_PREFIX, sizeof TOKEN_PREFIX - 1);
	token_base64url(rnd, sizeof rnd, token + sizeof TOKEN_PREFIX - 1);
	OPENSSL_cleanse(rnd, sizeof rnd);
	if (token_hash(token, hash) == -1) {
		snprintf(err, errlen, "token \"%s\": SHA-256 failed", name);
		goto fail;
	}
	a.name = name;
	a.role = role;
	a.hash = hash;
	rc = db_transaction(store_db(st), token_add_txn, &a, err, errlen);
	if (rc == -2) {
		snprintf(err, errlen, "token \"%s\" already exists; revoke it "
		    "first", name);
		goto fail;
	}
	if (rc < 0) {
		db_error(store_db(st), "adding a token", err, errlen);
		goto fail;
	}
	*token_out = token;
	return 0;

fail:
	xfree_secret(token);
	return -1;
}

int
token_revoke(struct store *st, const char *name, char *err, size_t errlen)
{
	struct db	*db = store_db(st);
	sqlite3_stmt	*stmt;
	int		 rc;

	if ((stmt = db_stmt(db, "UPDATE tokens SET revoked_ms = ? WHERE "
	    "name = ? AND revoked_ms IS NULL", err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, wtime_now_ms());
	sqlite3_bind_text(stmt, 2, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		db_error(db, "revoking a token", err, errlen);
		return -1;
	}
	if (sqlite3_changes(db_handle(db)) == 0) {
		snprintf(err, errlen, "no live token named \"%.64s\"", name);
		return -1;
	}
	return 0;
}

static void
token_format_ms(char *dst, size_t size, int64_t ms)
{
	/* Seconds are enough for people; drop the fraction. */
	wtime_format_iso8601(dst, size, ms - ms % 1000);
}

int
token_list(struct store *st, FILE *fp, char *err, size_t errlen)
{
	struct db	*db = store_db(st);
	sqlite3_stmt	*stmt;
	char		 created[WTIME_ISO8601_LEN], used[WTIME_ISO8601_LEN];
	int		 rc;

	if ((stmt = db_stmt(db, "SELECT name, role, created_ms, last_used_ms, "
	    "revoked_ms FROM tokens ORDER BY name, created_ms", err,
	    errlen)) == NULL)
		return -1;
	fprintf(fp, "%-24s %-8s %-20s %-20s %s\n", "NAME", "ROLE", "CREATED",
	    "LAST USED", "STATUS");
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		token_format_ms(created, sizeof created,
		    sqlite3_column_int64(stmt, 2));
		if (sqlite3_column_type(stmt, 3) == SQLITE_NULL)
			snprintf(used, sizeof used, "never");
		else
			token_format_ms(used, sizeof used,
			    sqlite3_column_int64(stmt, 3));
		fprintf(fp, "%-24s %-8s %-20s %-20s %s\n",
		    (const char *)sqlite3_column_text(stmt, 0),
		    (const char *)sqlite3_column_text(stmt, 1), created, used,
		    sqlite3_column_type(stmt, 4) == SQLITE_NULL ? "live" :
		    "revoked");
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		db_error(db, "listing tokens", err, errlen);
		return -1;
	}
	return 0;
}

int
token_check(struct store *st, const char *token, enum token_role *role,
    char *name, size_t namelen)
{
	struct db	*db = store_db(st);
	sqlite3_stmt	*stmt;
	unsigned char	 hash[TOKEN_HASH_LEN];
	char		 err[256];
	int64_t		 id, now, last_used = 0;
	int		 rc, r, has_last_used;

	/* Anything not shaped like one of ours cannot match: skip the work. */
	if (strlen(token) != TOKEN_LEN || strncmp(token, TOKEN_PREFIX,
	    sizeof TOKEN_PREFIX - 1) != 0 || token_hash(token, hash) == -1)
		return -1;
	if ((stmt = db_stmt(db, "SELECT id, name, role, last_used_ms FROM "
	    "tokens WHERE hash = ? AND revoked_ms IS NULL", err,
	    sizeof err)) == NULL) {
		log_warnx("%s", err);
		return -1;
	}
	sqlite3_bind_blob(stmt, 1, hash, sizeof hash, SQLITE_STATIC);
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW) {
		if (rc != SQLITE_DONE) {
			db_error(db, "checking a token", err, sizeof err);
			log_warnx("%s", err);
		}
		sqlite3_reset(stmt);
		return -1;
	}
	id = sqlite3_column_int64(stmt, 0);
	snprintf(name, namelen, "%s", (const char *)sqlite3_column_text(stmt,
	    1));
	r = token_role_from_name((const char *)sqlite3_column_text(stmt, 2));
	has_last_used = sqlite3_column_type(stmt, 3) != SQLITE_NULL;
	if (has_last_used)
		last_used = sqlite3_column_int64(stmt, 3);
	sqlite3_reset(stmt);
	if (r == -1)
		return -1;
	*role = (enum token_role)r;

	now = wtime_now_ms();
	if (!has_last_used || now - last_used >= TOKEN_TOUCH_INTERVAL_MS ||
	    now < last_used) {
		if ((stmt = db_stmt(db, "UPDATE tokens SET last_used_ms = ? "
		    "WHERE id = ?", err, sizeof err)) == NULL) {
			log_warnx("%s", err);
			return 0;
		}
		sqlite3_bind_int64(stmt, 1, now);
		sqlite3_bind_int64(stmt, 2, id);
		/* A failed refresh (database busy) does not refuse the caller. */
		if (sqlite3_step(stmt) != SQLITE_DONE) {
			db_error(db, "noting a token's use", err, sizeof err);
			log_warnx("%s", err);
		}
		sqlite3_reset(stmt);
	}
	return 0;
}
