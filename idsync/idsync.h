/* idsync.h: ward-idsync's modules: reading the domains, decoding their
 * values, normalising and comparing names, matching accounts to persons,
 * the store (idsync.db), the plan and the exports. */
#ifndef WARD_IDSYNC_H
#define WARD_IDSYNC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ------------------------------------------------------------ decode.c */

#define DECODE_GUID_LEN		37	/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" */
#define DECODE_SID_LEN		192	/* "S-1-" and up to 15 sub-authorities */

#define DECODE_UAC_DISABLED		0x00000002
#define DECODE_UAC_LOCKOUT		0x00000010
#define DECODE_UAC_NORMAL		0x00000200
#define DECODE_UAC_DONT_EXPIRE		0x00010000
#define DECODE_UAC_PASSWORD_EXPIRED	0x00800000

struct decode_proxy {
	char		 type[16];	/* lower case: "smtp", "x500", "sip" */
	int		 primary;	/* the type was upper case ("SMTP:") */
	const char	*address;	/* into the value, not NUL-terminated */
	size_t		 address_len;
};

struct decode_range {
	char		 name[128];	/* the description without ;range= */
	int		 ranged;
	int64_t		 low;
	int64_t		 high;		/* -1: "*", the last piece */
};

/* Every decoder takes the value's bytes and length (no NUL needed) and
 * returns 0, or -1 with err saying what is wrong with it. */
int	 decode_guid(const unsigned char *v, size_t len, char *dst,
	    size_t size, char *err, size_t errlen);
int	 decode_sid(const unsigned char *v, size_t len, char *dst, size_t size,
	    char *err, size_t errlen);
int	 decode_int64(const char *v, size_t len, int64_t *out, char *err,
	    size_t errlen);
/* FILETIME -> Unix ms; 0 stays 0 and 0x7FFF... gives INT64_MAX. */
int	 decode_filetime(const char *v, size_t len, int64_t *unix_ms,
	    char *err, size_t errlen);
/* accountExpires: never (0 or 0x7FFF...) gives INT64_MAX. */
int	 decode_account_expires(const char *v, size_t len, int64_t *unix_ms,
	    char *err, size_t errlen);
int	 decode_pwd_last_set(const char *v, size_t len, int64_t *unix_ms,
	    int *must_change, char *err, size_t errlen);
int	 decode_uac(const char *v, size_t len, uint32_t *flags, char *err,
	    size_t errlen);
char	*decode_uac_flags(uint32_t flags, char *dst, size_t size);
int	 decode_proxy(const char *v, size_t len, struct decode_proxy *out,
	    char *err, size_t errlen);
int	 decode_range(const char *desc, size_t len, struct decode_range *out,
	    char *err, size_t errlen);
int	 decode_generalized_time(const char *v, size_t len, int64_t *unix_ms,
	    char *err, size_t errlen);

/* ------------------------------------------------------------ index.c */

struct index;

struct index	*index_new(void);
void		 index_free(struct index *ix);
/* Appends value to key's list (a copy of key is kept). */
void		 index_add(struct index *ix, const char *key, size_t value);
/* Same, unless value is already the last on key's list. */
void		 index_add_once(struct index *ix, const char *key,
		    size_t value);
/* key's list (owned by the index, valid until the next add), or NULL. */
const size_t	*index_get(const struct index *ix, const char *key,
		    size_t *count);
size_t		 index_keys(const struct index *ix);
void		 index_foreach(const struct index *ix, void (*fn)(
		    const char *key, const size_t *values, size_t count,
		    void *arg), void *arg);

/* ------------------------------------------------------------ normalise.c */

/* Lower case, no diacritics, transliterated, tokens separated by one
 * space; malloc'd, never NULL. */
char	*normalise_text(const char *s, size_t len);
size_t	 normalise_tokens(const char *norm, char ***tokens);
char	*normalise_digits(const char *s);

/* ------------------------------------------------------------ nickname.c */

struct nicknames;

struct nicknames *nickname_load(const char *path, char *err, size_t errlen);
void		 nickname_free(struct nicknames *nk);
size_t		 nickname_count(const struct nicknames *nk);
/* Names are normalised single tokens; nk may be NULL (no table). */
const size_t	*nickname_groups(const struct nicknames *nk, const char *name,
		    size_t *count);
int		 nickname_same(const struct nicknames *nk, const char *a,
		    const char *b);

/* ------------------------------------------------------------ compare.c */

enum compare_kind {
	COMPARE_EXACT,
	COMPARE_NORMALISED,
	COMPARE_NAME,
	COMPARE_TOKENS,
	COMPARE_DATE,
	COMPARE_PREFIX,
	COMPARE_DIGITS,
};

enum compare_level {
	COMPARE_MISSING,	/* either side has no value */
	COMPARE_AGREE,
	COMPARE_PARTIAL,
	COMPARE_DISAGREE,
};

/* One account's value of one attribute, prepared once for comparing. */
struct compare_value {
	const char	*raw;		/* borrowed; NULL: no value */
	char		*norm;
	char		**tokens;
	size_t		 ntokens;
};

struct compare_entry {
	enum compare_level (*compare)(const struct compare_value *a,
	    const struct compare_value *b, const struct nicknames *nk);
};

/* Both indexed by enum compare_kind; compare_names ends with NULL. */
extern const char *const	 compare_names[];
extern const struct compare_entry compare_table[];

void	 compare_value_init(struct compare_value *v, const char *raw);
void	 compare_value_clear(struct compare_value *v);
double	 compare_jaro_winkler(const char *a, const char *b);
const char *compare_level_name(enum compare_level level);

#endif
