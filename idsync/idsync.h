/* idsync.h: ward-idsync's modules: reading the domains, decoding their
 * values, normalising and comparing names, matching accounts to persons,
 * the store (idsync.db), the plan and the exports. */
#ifndef WARD_IDSYNC_H
#define WARD_IDSYNC_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/cfg.h"
#include "idsync/conflict_order.h"

/* ------------------------------------------------------------ config */

/* [domain "NAME"]: one Active Directory domain to read. */
struct domain_config {
	struct cfg_item	 item;		/* label: the domain's name */
	struct cfg_list	 uri;		/* tried in order */
	int		 starttls;
	int		 allow_plaintext;
	char		*base;
	char		*bind_dn;
	char		*bind_password;	/* the secret itself */
	char		*ca_file;
	char		*filter;
	/* NAME (read too, kept) or NAME=SOURCE (NAME is SOURCE here). */
	struct cfg_list	 attributes;
	int64_t		 page_size;
	int64_t		 connect_timeout_ms;
	int64_t		 timeout_ms;
	int64_t		 max_accounts;
	int		 incremental;
	int		 incremental_method;	/* enum read_method */
	int64_t		 full_read_interval_ms;
	int		 writeback;	/* apply writes here */
};

/* [compare "ATTRIBUTE"]: one attribute of the weighted score. */
struct compare_rule {
	struct cfg_item	 item;		/* label: the attribute */
	int		 comparator;	/* enum compare_kind */
	char		*agree_text;	/* weights as written; parsed below */
	char		*partial_text;
	char		*disagree_text;
	char		*missing_text;
	double		 agree;
	double		 partial;
	double		 disagree;
	double		 missing;
};

/* Blocking keys: which pairs of accounts are compared at all. */
enum block_key {
	BLOCK_SURNAME,		/* each token of sn */
	BLOCK_SURNAME_GIVEN,	/* sn's tokens + given's initial, end, forms */
	BLOCK_GIVEN_INITIAL,	/* given name's forms + sn's initial */
	BLOCK_MOBILE,		/* last nine digits of mobile */
	BLOCK_PHONE,		/* last nine digits of telephoneNumber */
	BLOCK_MAIL_LOCAL,	/* local part of mail and smtp proxies */
	BLOCK_KEY_COUNT,
};

/* By enum block_key, NULL-terminated. */
extern const char *const match_block_names[];

/* [match] */
struct match_config {
	char		*link_text;	/* numbers as written; parsed below */
	char		*review_text;
	char		*margin_text;
	char		*veto_text;
	double		 link;		/* score at or above: linked */
	double		 review;	/* at or above (below link): a conflict */
	double		 margin;	/* a runner-up this close: ambiguous */
	double		 veto;		/* one attribute this negative: never */
	struct cfg_list	 exact;		/* identifier attributes, in order */
	struct cfg_list	 blocking;	/* names from match_block_names */
	unsigned	 blocks;	/* bit per enum block_key */
	char		*nicknames;	/* the nickname table; NULL: shipped */
	int64_t		 max_block;	/* larger blocks are skipped */
	char		*weights_file;	/* estimated weights; NULL: none */
};

/* [kinds]: name patterns (fnmatch) and DN regular expressions, any case. */
struct kind_config {
	struct cfg_list	 admin_names;	/* on sAMAccountName */
	char		*admin_dn;	/* on the DN */
	struct cfg_list	 service_names;
	char		*service_dn;
	struct cfg_list	 shared_names;
	char		*shared_dn;
};

/* The consolidated attributes of a person, by enum person_attr. */
enum person_attr {
	PERSON_DISPLAY_NAME,
	PERSON_GIVEN_NAME,
	PERSON_SN,
	PERSON_EMPLOYEE_ID,
	PERSON_MAIL,
	PERSON_DEPARTMENT,
	PERSON_TITLE,
	PERSON_ATTR_COUNT,
};

/* How one consolidated attribute is chosen among a person's accounts. */
enum precedence_kind {
	PRECEDENCE_LATEST,	/* the enabled account changed last */
	PRECEDENCE_AGREE,	/* all must agree, else none and a conflict */
	PRECEDENCE_DOMAINS,	/* the first domain of order that has one */
	PRECEDENCE_MAIL_DOMAINS, /* the address whose domain comes first */
};

/* [precedence "ATTRIBUTE"]: the rule for one consolidated attribute. */
struct precedence_rule {
	struct cfg_item	 item;		/* label: the attribute */
	int		 rule;		/* enum precedence_kind */
	struct cfg_list	 order;		/* domains, or mail domains */
};

/* [username]: the consolidated identity's own account name. */
struct username_config {
	char		*pattern;	/* %g %i %s %t %e and literals */
	int64_t		 max_length;
	char		*upn_suffix;	/* NULL: no UPN */
};

/* [target]: the target directory that holds one entry per person, written
 * by apply when uri is set and described by export --ldif either way. */
struct target_config {
	char		*base;		/* where the entries go */
	char		*rdn;		/* a target attribute of attributes */
	struct cfg_list	 object_classes;
	struct cfg_list	 attributes;	/* "TARGET=SOURCE" */
	char		*leaver;	/* "ATTRIBUTE=VALUE" for leavers */
	char		*active;	/* and for the others */
	char		*anchor;	/* holds the person id; NULL: from id */
	struct cfg_list	 unique;	/* attributes no other entry may hold */
	/* The connection: uri, TLS, bind and timeouts; base and filter are
	 * set from the above when it is used. */
	struct domain_config conn;
};

/* [idsync] */
enum idsync_mode { IDSYNC_PLAN, IDSYNC_APPLY };

struct idsync_section {
	char		*database;
	int		 mode;		/* enum idsync_mode */
	int64_t		 max_creates;
	int64_t		 max_creates_percent;
	int64_t		 max_modifies;
	int64_t		 max_modifies_percent;
	int64_t		 max_deletes;
	int64_t		 max_deletes_percent;
	int64_t		 max_disables;
	int64_t		 max_disables_percent;
	char		*writeback_attribute;	/* NULL: no write-back */
};

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

/* Active Directory's cookies are some hundred bytes; more is not one. */
#define DECODE_COOKIE_MAX	65536

struct decode_dirsync {
	int64_t		 flags;		/* non-zero: more to read */
	int64_t		 max_bytes;
	const unsigned char *cookie;	/* into the value */
	size_t		 cookie_len;
};

/* The DirSync response control's value (BER). */
int	 decode_dirsync(const unsigned char *v, size_t len,
	    struct decode_dirsync *out, char *err, size_t errlen);
/* 0 if v[0..len) is a search filter in the string form of RFC 4515;
 * else -1, with err saying where and why. */
int	 decode_filter_check(const char *v, size_t len, char *err,
	    size_t errlen);

/* ------------------------------------------------------------ account.c */

enum account_kind {
	ACCOUNT_PERSON,		/* a person's own: the primary in its domain */
	ACCOUNT_ADMIN,		/* a person's second account: secondary */
	ACCOUNT_SERVICE,	/* never linked to a person */
	ACCOUNT_SHARED,		/* never linked to a person */
};

struct account_attr {
	char		*name;		/* as configured, e.g. "givenName" */
	char		**values;
	size_t		 count;
	size_t		 alloc;
};

/* Where an account's strings live: freed with it, all at once. */
struct account_chunk {
	struct account_chunk *next;
	size_t		 used;
	size_t		 size;
	char		 data[];
};

#define ACCOUNT_SUM_LEN	32		/* SHA-256 */

struct account {
	size_t		 domain;	/* index of its [domain] section */
	char		*domain_name;
	char		 guid[DECODE_GUID_LEN];
	char		*dn;
	struct account_attr *attrs;	/* by name, case-insensitively */
	size_t		 nattrs;
	size_t		 attrs_alloc;
	int		 sorted;	/* attrs in order of name: found by
					   halves */
	struct account_chunk *chunks;	/* names, values, their lists */
	/* Decoded by account_finish. */
	uint32_t	 uac;
	int64_t		 expires_ms;	/* INT64_MAX: never */
	int64_t		 when_changed_ms;
	int		 pwd_must_change;
	enum account_kind kind;
	/* account_summarise's: SHA-256 of account_attrs_json(a, 0) and of
	 * (a, 1); summed is cleared when a value is added. */
	unsigned char	 sums[2][ACCOUNT_SUM_LEN];
	int		 summed;
};

struct account_set {
	struct account	**items;	/* owned */
	size_t		 count;
	size_t		 alloc;
};

#define ACCOUNT_KEY_LEN	(256 + DECODE_GUID_LEN)

struct account	*account_new(size_t domain, const char *domain_name,
		    const char *guid, const char *dn);
struct account	*account_new_sized(size_t domain, const char *domain_name,
		    const char *guid, const char *dn, size_t size);
void		 account_free(struct account *a);
/* A copy of a, domain index and all. */
struct account	*account_copy(const struct account *a);
void		 account_add_value(struct account *a, const char *name,
		    const char *value, size_t len);
/* a's attribute of that name, made with no values if a has none; and a
 * value appended to it. An attribute found so is a's until the next one
 * is made: appending the values of one attribute looks it up once. */
struct account_attr *account_attr_add(struct account *a, const char *name);
void		 account_attr_append(struct account *a,
		    struct account_attr *at, const char *value, size_t len);
/* a's attribute of that name (any case), or NULL. */
struct account_attr *account_attr(const struct account *a, const char *name);
const char	*account_get(const struct account *a, const char *name);
char *const	*account_values(const struct account *a, const char *name,
		    size_t *count);
int		 account_finish(struct account *a, char *err, size_t errlen);
int		 account_enabled(const struct account *a, int64_t now_ms);
char		*account_name(const struct account *a, char *dst, size_t size);
char		*account_name_sam(const struct account *a, const char *sam,
		    char *dst, size_t size);
char		*account_key(const char *domain, const char *guid, char *dst,
		    size_t size);
/* Does the attribute change without the identity changing (a logon, a
 * write)? Such are left out of content sums and of what a plan shows. */
int		 account_attr_volatile(const char *name);
char		*account_attrs_json(const struct account *a, int content_only);
void		 account_summarise(struct account *a);
const unsigned char *account_sum(const struct account *a, int content_only,
		    unsigned char tmp[ACCOUNT_SUM_LEN]);
void		 idsync_sha256(const void *data, size_t len,
		    unsigned char out[ACCOUNT_SUM_LEN]);
/* A sum in lower-case hexadecimal (the key of an index, a digest shown). */
void		 idsync_sum_hex(const unsigned char sum[ACCOUNT_SUM_LEN],
		    char hex[2 * ACCOUNT_SUM_LEN + 1]);
struct account	*account_from_json(size_t domain, const char *domain_name,
		    const char *guid, const char *dn, const char *attrs,
		    char *err, size_t errlen);
const char	*account_kind_name(enum account_kind kind);
void		 account_set_add(struct account_set *set, struct account *a);
void		 account_set_sort(struct account_set *set);
void		 account_set_clear(struct account_set *set);

/* ------------------------------------------------------------ kind.c */

struct kinds;

struct kinds	*kind_compile(const struct kind_config *kc, char *err,
		    size_t errlen);
void		 kind_free(struct kinds *k);
enum account_kind kind_classify(const struct kinds *k,
		    const struct account *a);

/* ------------------------------------------------------------ store.c */

/* One account as the last run left it, with its link if it had one. */
#define STATE_SUM_LEN	ACCOUNT_SUM_LEN

struct state_account {
	/* Summed, as saved; partial: of its attributes only
	 * sAMAccountName (store_load_attrs loads the rest). */
	struct account	*account;
	int		 partial;
	/* What its row holds besides: a save rewrites only rows that
	 * differ, and those saved without sums. */
	int		 enabled;
	int		 sums_saved;
	int64_t		 first_seen_run;
	int64_t		 changed_run;
	char		*person_id;	/* NULL: not linked */
	size_t		 person;	/* into persons, or STATE_NONE */
	int		 secondary;
	char		*reason;
	double		 score;
	int		 has_score;
	char		*via_domain;
	char		*via_guid;
	char		*detail;
	int64_t		 linked_run;
	/* Its component when the last run found it settled (match_run):
	 * the key of the component's first account; NULL: match again. */
	char		*component;
};

struct state_person {
	char		 id[DECODE_GUID_LEN];
	int64_t		 created_run;
	int64_t		 created_ms;
	/* As the last run consolidated it; by enum person_attr. */
	char		*attrs[PERSON_ATTR_COUNT];
	char		*username;
	char		*upn;
	int		 leaver;
	char		*lifecycle;
	size_t		 naccounts;	/* linked to it */
	/* Saved before department and title were: a value of theirs now is
	 * no move. */
	int		 jobs_unknown;
};

enum decision_kind {
	DECISION_LINK,		/* a and b are one person */
	DECISION_NEVER_LINK,	/* a and b are never one person */
	DECISION_UNLINK,	/* a is not person_id */
};

struct decision {
	int64_t		 id;
	enum decision_kind kind;
	char		*a_domain;
	char		*a_guid;
	char		*b_domain;	/* link, never-link */
	char		*b_guid;
	char		*person_id;	/* unlink */
};

struct state {
	struct state_account *accounts;
	size_t		 naccounts;
	struct index	*account_index;	/* account_key -> index */
	struct state_person *persons;
	size_t		 npersons;
	struct index	*person_index;	/* id -> index */
	struct decision	*decisions;
	size_t		 ndecisions;
	/* The conflicts as saved: each one's id by the sum of what it
	 * says, so that one found again keeps its row and its id. */
	int64_t		*conflict_ids;
	size_t		 nconflicts;
	struct index	*conflict_index;	/* sum, hex -> index */
	/* Per conflict: one of its accounts (into accounts; SIZE_MAX if
	 * none), which tells its component. */
	size_t		*conflict_account;
	/* The run's accounts as state_map_accounts found them here: per
	 * account, its index in accounts or STATE_NONE. */
	struct account *const *mapped;
	size_t		 nmapped;
	size_t		*mapped_prev;
};

#define STATE_NONE	SIZE_MAX

/* The last state, loaded while the domains are read: a reader that needs
 * it (to merge what changed into it) waits until it is there. */
struct state_gate {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 open;
	const struct state *state;	/* NULL: it could not be loaded */
};

/* What one domain's read did, for the run history. */
struct read_stats {
	char		 uri[512];	/* the URI that answered */
	size_t		 accounts;	/* the domain's, after the read */
	size_t		 pages;
	size_t		 skipped;	/* entries without a usable objectGUID */
	size_t		 ranged;	/* attributes fetched in ranges */
	size_t		 references;	/* referrals not followed */
	int64_t		 read_ms;
	int		 incremental;	/* only what changed was read */
	size_t		 changed;	/* incremental: entries read again */
	size_t		 gone;		/* incremental: accounts no longer there */
	char		 why_full[512];	/* full: why not incremental */
	int		 full_warn;	/* and it is a fault of the setup */
	int		 dirsync;	/* incremental: by DirSync */
};

/* How a domain's changes are found (incremental_method). */
enum read_method {
	READ_METHOD_USN,	/* uSNChanged, tombstones by Show Deleted */
	READ_METHOD_DIRSYNC,	/* the DirSync control and its cookie */
};

/*
 * Where a domain's next read may start: the domain controller read (its
 * NTDS Settings DN and invocationId: update sequence numbers mean nothing
 * on another DC, or on this one restored from a backup), its
 * highestCommittedUSN when the read began, and what was read (base, filter
 * and attributes: another scope needs a full read). usn 0: no mark, the
 * next read is full.
 */
struct read_mark {
	char		 domain[65];
	char		 server[512];
	char		 invocation[DECODE_GUID_LEN];
	int64_t		 usn;
	char		*scope;
	int64_t		 full_ms;	/* when the last full read began */
	/* DirSync's cookie, from before the read began; NULL: none. */
	unsigned char	*cookie;
	size_t		 cookie_len;
};

struct plan;
struct match_result;
struct store;

#define STORE_READONLY	0x01
/* Waits (up to STORE_WAIT_MS) for a run that is saving, saying so. */
#define STORE_WAIT	0x02
#define STORE_WAIT_MS	(10 * 60 * 1000)

struct store	*store_open(const char *path, unsigned flags, char *err,
		    size_t errlen);
void		 store_close(struct store *st);
struct db	*store_db(struct store *st);
/* The lock that keeps two runs apart: path.lock, held until exit. */
int		 store_lock(const char *path, char *err, size_t errlen);
void		 store_unlock(void);
int		 store_run_begin(struct store *st, const char *command,
		    int64_t now_ms, int forced, int64_t *run_id, char *err,
		    size_t errlen);
int		 store_run_domain(struct store *st, int64_t run_id,
		    const char *domain, const struct read_stats *rs,
		    const char *error, char *err, size_t errlen);
/* The mark the last saved run left for domain; mark->usn 0 if none. */
int		 store_load_mark(struct store *st, const char *domain,
		    struct read_mark *mark, char *err, size_t errlen);
void		 read_mark_clear(struct read_mark *mark);
/* Ends a run that changed nothing: failed, stopped, or a plan. */
int		 store_run_end(struct store *st, int64_t run_id,
		    const char *outcome, const char *message,
		    const struct plan *plan, int64_t now_ms, char *err,
		    size_t errlen);
/* STATE_ATTRS: every account's attributes too, as merging an
 * incremental read into the state needs; without, only those of
 * accounts whose sums were never saved. */
#define STATE_ATTRS	0x01
int		 store_load_state(struct store *st,
		    const struct cfg_items *domains, unsigned flags,
		    struct state *state, char *err, size_t errlen);
int		 store_load_attrs(struct store *st, struct state *state,
		    struct account *const *accounts, size_t naccounts,
		    size_t *loaded, char *err, size_t errlen);
void		 state_clear(struct state *state);
/* Whether o (NULL: an account new) was linked as l is to person_id (NULL:
 * l links it to none). */
struct match_link;
int		 state_link_same(const struct state_account *o,
		    const char *person_id, const struct match_link *l);
void		 state_gate_init(struct state_gate *g);
void		 state_gate_open(struct state_gate *g, const struct state *s);
const struct state *state_gate_wait(struct state_gate *g);
void		 state_gate_destroy(struct state_gate *g);
/*
 * What a run's state follows from besides the accounts read: the program
 * and its configuration, nickname table included (a sum), and the
 * decisions people made, up to the newest.
 */
struct run_basis {
	char		 config[2 * ACCOUNT_SUM_LEN + 1];
	int64_t		 decision_max;	/* the newest decision's id; 0: none */
};

/*
 * The last run that saved the state, *run_id 0 if none: its basis, and
 * whether it settled (saved without a link or person to write: matching
 * the accounts it read gave the links and persons it had, which are all
 * the next run starts from).
 */
int		 store_last_saved(struct store *st, int64_t *run_id,
		    struct run_basis *basis, int *settled, char *err,
		    size_t errlen);
/*
 * Finds each of a run's accounts in the state once, for every pass that
 * needs it (reading what changed, matching, consolidating, planning,
 * saving); the accounts must not be reordered afterwards.
 * state_prev_of gives account i's index in state->accounts, or
 * STATE_NONE: from that map when accounts is the one mapped, else
 * looked up.
 */
void		 state_map_accounts(struct state *state,
		    struct account *const *accounts, size_t naccounts);
size_t		 state_prev_of(const struct state *state,
		    struct account *const *accounts, size_t i);
/* Whether account a's row in the state (o) says what a's would, at
 * now_ms: the same attributes, DN, kind, and enabled then. */
int		 state_account_same(const struct state_account *o,
		    const struct account *a, int64_t now_ms);
/* Whether the accounts read (sorted) are the state's, each as
 * state_account_same says; if not, why not in why. */
int		 state_same_accounts(const struct state *prev,
		    struct account *const *accounts, size_t naccounts,
		    int64_t now_ms, char *why, size_t whylen);
/* Ends a run that found the state as it was (store_last_saved settled,
 * on the same basis, every account read the same): the domains' marks
 * saved, and the run "ok" and settled, in one transaction. */
int		 store_save_unchanged(struct store *st, int64_t run_id,
		    const char *message, const struct plan *plan,
		    const struct read_mark *marks,
		    size_t nmarks, const struct run_basis *basis,
		    int64_t now_ms, char *err, size_t errlen);
/* Swaps the new state in, with the domains' marks, and ends the run "ok",
 * in one transaction: store_save, or store_save_start before matching,
 * store_save_matched after it, and store_save_finish (or
 * store_save_abort) once planned. basis may be NULL (the next run then
 * matches every account). */
struct store_save;
struct store_save *store_save_start(struct store *st, int64_t run_id,
		    struct account *const *accounts, size_t naccounts,
		    const struct state *prev, int64_t now_ms, char *err,
		    size_t errlen);
int		 store_save_finish(struct store_save *sv,
		    const struct match_result *res, const struct plan *plan,
		    const struct read_mark *marks, size_t nmarks,
		    const struct run_basis *basis, int64_t now_ms, char *err,
		    size_t errlen);
int		 store_save_matched(struct store_save *sv,
		    const struct match_result *res, char *err,
		    size_t errlen);
void		 store_save_abort(struct store_save *sv);
int		 store_save(struct store *st, int64_t run_id,
		    struct account *const *accounts, size_t naccounts,
		    const struct state *prev, const struct match_result *res,
		    const struct plan *plan, const struct read_mark *marks,
		    size_t nmarks, const struct run_basis *basis,
		    int64_t now_ms, char *err, size_t errlen);
int		 store_add_decision(struct store *st, enum decision_kind kind,
		    const char *a_domain, const char *a_guid,
		    const char *b_domain, const char *b_guid,
		    const char *person_id, const char *by, int64_t now_ms,
		    char *err, size_t errlen);
/* "btuh\jsmith", "btuh:GUID" or a GUID -> (domain, guid); -1 with err
 * when it names no account or more than one. */
/* The place of the [domain] named name in domains, or SIZE_MAX. */
size_t		 store_domain_index(const struct cfg_items *domains,
		    const char *name);
int		 store_find_account(struct store *st, const char *name,
		    char *domain, size_t dsize, char *guid, char *err,
		    size_t errlen);

/* The audit of what was written to directories. */
struct audit_entry {
	int64_t		 run_id;
	const char	*by;		/* the user ward-idsync ran as */
	const char	*bind_dn;	/* the account it wrote as */
	const char	*domain;
	const char	*guid;
	const char	*dn;
	const char	*attribute;
	const char	*before;	/* NULL: no value */
	const char	*after;
};

/* Records a write about to be made ("pending"), committed at once. */
int		 store_audit_begin(struct store *st,
		    const struct audit_entry *ae, int64_t now_ms,
		    int64_t *id, char *err, size_t errlen);
/* Its outcome: error NULL, "done"; else "failed" with error. */
int		 store_audit_end(struct store *st, int64_t id,
		    const char *error, int64_t now_ms, char *err,
		    size_t errlen);
/* Writes still "pending" belong to an apply that was stopped: marked
 * "interrupted" (the next read of the values shows what happened). */
int		 store_audit_interrupted(struct store *st, size_t *count,
		    char *err, size_t errlen);
int		 store_run_writes(struct store *st, int64_t run_id,
		    size_t writes, size_t failed, char *err, size_t errlen);

/* ------------------------------------------------------------ ldap_read.c */

#define READ_URI_LDAP	1	/* ldap://: StartTLS unless allowed plain */
#define READ_URI_LDAPS	2

struct ldap;		/* libldap's LDAP */
struct ldapmsg;		/* and LDAPMessage */

/* Item i of d's attributes: its NAME into name, its SOURCE (or "" for a
 * NAME alone) into src, each of size bytes. */
void		 domain_attribute(const struct domain_config *d, size_t i,
		    char *name, char *src, size_t size);
/* READ_URI_LDAP, READ_URI_LDAPS, or -1 for any other scheme. */
int		 ldap_read_uri_kind(const char *uri);
/*
 * Reads one domain's accounts into out (appending). With last (the mark
 * the last saved run left, or NULL) from the same domain controller and
 * scope, and the server able to, only what changed since is read, and out
 * gets prev's accounts of the domain with the changes made (waiting for
 * prev to be loaded); otherwise all.
 * mark is set for the next read. On failure out keeps nothing of the
 * domain.
 */
int		 ldap_read_domain(const struct domain_config *d, size_t domain,
		    char *const *attrs, struct state_gate *prev,
		    const struct read_mark *last, int64_t now_ms,
		    struct account_set *out, struct read_stats *rs,
		    struct read_mark *mark, char *err, size_t errlen);
/* May a read of d after last be incremental (so that it merges changes
 * into the last state)? 0: it is surely full. */
int		 ldap_read_may_continue(const struct domain_config *d,
		    const struct read_mark *last);
/* Connects to the first of the domain's servers that answers, secured and
 * bound; uri gets the one that did. */
struct ldap	*ldap_read_open(const struct domain_config *d, char *uri,
		    size_t urisize, char *err, size_t errlen);
void		 ldap_read_close(struct ldap *ld);
/* A paged subtree search of d's base with d's filter calling entry for
 * each entry; pages counts the pages. */
int		 ldap_read_each(struct ldap *ld, const struct domain_config *d,
		    const char *uri, char *const *attrs,
		    int (*entry)(struct ldap *, struct ldapmsg *, void *, char *,
		    size_t), void *arg, size_t *pages, char *err,
		    size_t errlen);
/* "Invalid credentials (49)", with the server's own words. */
void		 ldap_read_error(struct ldap *ld, int rc, char *dst,
		    size_t size);

/* ------------------------------------------------------------ tlsdiag.c */

/* Why uri's certificate is not accepted ("the server's certificate expired
 * on ..."), from a second, unverified look at it: 0 with why set, -1 when
 * nothing wrong is found or it cannot be looked at. */
int		 tlsdiag_explain(const struct domain_config *d,
		    const char *uri, char *why, size_t size);

/* ------------------------------------------------------------ writeback.c */

/* One value to write: set (before NULL), replace, or clear (after
 * NULL). */
struct writeback_change {
	size_t		 domain;
	char		 guid[DECODE_GUID_LEN];
	char		*dn;
	char		*name;		/* "btuh\jsmith" */
	char		*before;
	char		*after;
};

struct writeback_domain;

struct writeback_plan {
	struct writeback_change *changes;
	size_t		 nchanges;
	size_t		 changes_alloc;
	size_t		 sets;
	size_t		 replaces;
	size_t		 clears;
	size_t		 holding;	/* accounts holding a value of ours */
	size_t		 foreign;	/* holding a value not ours: left */
	size_t		 missing;	/* in idsync.db, not in the directory */
	struct writeback_domain *domains;	/* one per [domain] */
	size_t		 ndomains;
};

/* Reads the attribute's values in every domain that takes write-back and
 * works out what to write to make them the persons' ids. */
int		 writeback_plan(struct store *st,
		    const struct cfg_items *domains, const char *attribute,
		    struct writeback_plan *wp, char *err, size_t errlen);
/* Writes the plan, each write audited; -1 with err naming the domains
 * that failed (the others are written). */
int		 writeback_apply(struct store *st, struct writeback_plan *wp,
		    const char *attribute, int64_t run_id, size_t *written,
		    size_t *failed, char *err, size_t errlen);
void		 writeback_clear(struct writeback_plan *wp);
/* Whether s has the form of a person id (a UUID, lower case). */
int		 writeback_is_id(const char *s);
/* The user this program runs as, for the audit. */
void		 writeback_user(char *dst, size_t size);
/* Whether an LDAP error leaves the connection of no more use. */
int		 writeback_lost(int rc);
/* A directory refusing this many writes in a row is given up: more would
 * fail for the same reason (rights, a schema without the attribute). */
#define WRITEBACK_FAILS_MAX	20

/* ------------------------------------------------------------ provision.c */

enum provision_op {
	PROVISION_RENAME,	/* in this order when written */
	PROVISION_MODIFY,
	PROVISION_ADD,
};

/* One attribute of a change: after NULL removes it. */
struct provision_value {
	char		*attr;
	char		*before;	/* the values read, "; " between */
	char		*after;
};

struct provision_change {
	int		 op;		/* enum provision_op */
	char		 id[DECODE_GUID_LEN];	/* the person's */
	char		*dn;		/* the entry's (an add: the new one) */
	char		*new_rdn;	/* a rename */
	char		*new_dn;
	struct provision_value *values;
	size_t		 nvalues;
	int		 disable;	/* the leaver flag is set */
	int		 enable;	/* and here taken away */
	int		 skip;		/* an add not to be made */
};

struct provision_plan {
	struct provision_change *changes;
	size_t		 nchanges;
	size_t		 changes_alloc;
	size_t		 adds;
	size_t		 modifies;	/* changed values, not disables */
	size_t		 renames;
	size_t		 disables;
	size_t		 entries;	/* entries holding a person id */
	size_t		 entries_ok;	/* of persons there are */
	size_t		 orphans;	/* of persons no longer there */
	size_t		 foreign;	/* the anchor not a person id */
	size_t		 duplicates;	/* one id in several entries */
	size_t		 leavers_absent;
	size_t		 skipped;	/* nothing to name an entry by */
	size_t		 taken;		/* a unique value another's */
	struct ldap	*ld;
	char		 uri[512];
	struct domain_config conn;	/* the target's, with base, filter */
	char		*filter;
};

/* Reads the entries under [target] base holding a person id and works out
 * what to write to make them what idsync.db says. */
int		 provision_plan(struct store *st,
		    const struct target_config *tc, struct provision_plan *pp,
		    char *err, size_t errlen);
/* Counts, and with_diff each change. */
void		 provision_print(const struct provision_plan *pp,
		    int with_diff, FILE *fp);
/* Writes the plan, each write audited; -1 with err when a write failed
 * (the others are made) or the target stopped answering. */
int		 provision_apply(struct store *st, struct provision_plan *pp,
		    const struct target_config *tc, int64_t run_id,
		    size_t *written, size_t *failed, char *err, size_t errlen);
void		 provision_clear(struct provision_plan *pp);

/* ------------------------------------------------------------ match.c */

#define MATCH_NONE	SIZE_MAX

/* One account's place after matching. */
struct match_link {
	size_t		 person;	/* into persons; MATCH_NONE: none */
	int		 secondary;
	char		*reason;	/* "new", "exact:employeeID", ... */
	double		 score;
	int		 has_score;
	char		*via_domain;	/* the account it was matched with */
	char		*via_guid;
	char		*detail;	/* what agreed and what did not */
	int64_t		 linked_run;
	int		 in_conflict;
	/* The key of its component's first account if the component came
	 * out as it went in (nothing in it linked otherwise), else NULL. */
	char		*component;
	/* Not matched again: the strings above are the last state's (the
	 * result must be cleared before it). */
	int		 borrowed;
};

struct match_person {
	char		 id[DECODE_GUID_LEN];
	int		 existing;	/* it was in the previous state */
	/* Not matched again: its accounts, and so what they consolidate
	 * to, are the last state's (consolidate_run keeps that). */
	int		 kept;
	int64_t		 created_run;
	int64_t		 created_ms;
	size_t		*members;	/* account indexes */
	size_t		 nmembers;
	/* Consolidated by consolidate_run, by the precedence rules; by
	 * enum person_attr. */
	char		*attrs[PERSON_ATTR_COUNT];
	char		*username;
	char		*upn;
	int		 leaver;	/* every account disabled or expired */
	const char	*lifecycle;	/* static: "joiner", "mover", ... */
};

struct match_member {
	size_t		 account;
	char		 person_id[DECODE_GUID_LEN];	/* "" if none */
	double		 score;
	int		 has_score;
	char		*detail;
};

struct match_conflict {
	const char	*kind;		/* static string */
	char		*summary;
	struct match_member *members;
	size_t		 nmembers;
};

struct match_stats {
	size_t		 pairs;		/* pairs of accounts compared */
	size_t		 blocks_skipped;
	size_t		 linked_existing;
	size_t		 linked_manual;
	size_t		 linked_exact;
	size_t		 linked_score;
	size_t		 new_persons;
	size_t		 rematched;	/* accounts matched again */
};

struct match_result {
	struct match_link *links;	/* one per account */
	size_t		 nlinks;
	struct match_person *persons;
	size_t		 npersons;
	struct match_conflict *conflicts;
	size_t		 nconflicts;
	size_t		 conflicts_alloc;
	/* The last state's conflicts that stand as they were, outside what
	 * was matched again (into prev's conflict_ids). */
	size_t		*kept_conflicts;
	size_t		 nkept_conflicts;
	struct match_stats stats;
};

struct match_input {
	struct account *const *accounts;	/* sorted, kinds set */
	size_t		 naccounts;
	size_t		 ndomains;
	const struct state *prev;
	const struct match_config *cfg;
	struct compare_rule *const *rules;
	size_t		 nrules;
	const struct nicknames *nk;
	int64_t		 run_id;
	int64_t		 now_ms;
	/* Match again only what may come out otherwise than the last state
	 * (prev, saved on this configuration) has it: the components of
	 * accounts new, changed or gone, of those they now pair with, and
	 * of decisions made after decided_after. prev must hold the
	 * attributes of each account changed or gone (store_load_attrs). */
	int		 delta;
	int64_t		 decided_after;
};

int		 match_run(const struct match_input *in,
		    struct match_result *out, char *err, size_t errlen);
void		 match_result_clear(struct match_result *res);
/* A new conflict of kind (a static string) at the end of res's, zeroed
 * but for its kind. */
struct match_conflict *match_result_conflict(struct match_result *res,
		    const char *kind);
/* A new random (version 4) UUID. */
void		 match_uuid(char out[DECODE_GUID_LEN]);

/* ------------------------------------------------------------ estimate.c */

/* One level of one rule: its probabilities among one person's pairs (m)
 * and among two persons' (u), what they were counted from, the weight. */
struct estimate_level {
	double		 m;
	double		 u;
	size_t		 candidate;	/* blocked pairs at this level */
	size_t		 random;	/* random pairs at this level */
	double		 weight;	/* log2(m/u), or as configured */
	const char	*how;		/* static: "estimated", ... */
};

struct estimate_rule {
	const struct compare_rule *rule;
	size_t		 pairs;		/* m was estimated from */
	struct estimate_level level[4];	/* by enum compare_level */
};

struct estimate_result {
	struct estimate_rule *rules;
	size_t		 nrules;
	size_t		 accounts;	/* person accounts looked at */
	size_t		 random_pairs;
	size_t		 pairs;		/* candidate pairs */
	size_t		 blocks_skipped;
	double		 lambda;	/* share of candidates one person's */
	int		 iterations;
	int		 converged;
	double		 scale;		/* descriptive weights scaled; 0: not */
};

/* Estimates the rules' weights from the accounts (a run's). Weights at or
 * below mc's veto are kept as configured, none is estimated down to it,
 * and agreeing on all but identifiers stays below link. */
int		 estimate_run(struct account *const *accounts,
		    size_t naccounts, struct compare_rule *const *rules,
		    size_t nrules, const struct nicknames *nk,
		    const struct match_config *mc,
		    struct estimate_result *res, char *err, size_t errlen);
void		 estimate_clear(struct estimate_result *res);
/* As [compare] sections, with the numbers in comments. */
void		 estimate_print(const struct estimate_result *res, FILE *fp);
int		 estimate_write(const struct estimate_result *res,
		    const char *path, char *err, size_t errlen);
/* Takes the weights of a file estimate wrote (or one like it) in place
 * of the rules' configured ones; a veto is never changed. */
int		 estimate_load(const char *path,
		    struct compare_rule *const *rules, size_t nrules,
		    double veto, char *err, size_t errlen);

/* ------------------------------------------------------------ consolidate.c */

/* By enum person_attr and enum precedence_kind; each ends with NULL. */
extern const char *const consolidate_attr_names[];
extern const char *const consolidate_rule_names[];

struct consolidate_input {
	struct account *const *accounts;	/* as matched */
	size_t		 naccounts;
	const struct state *prev;
	struct precedence_rule *const *rules;	/* configured ones */
	size_t		 nrules;
	const struct username_config *username;
	int64_t		 now_ms;
};

/* Which attribute name (enum person_attr) a label is, or -1. */
int		 consolidate_attr(const char *name);
/* -1 with err saying what is wrong with a [username] pattern. */
int		 consolidate_check_pattern(const char *pattern, char *err,
		    size_t errlen);
/* The pattern applied to the names, lower-case ASCII letters and digits
 * (and the pattern's own '.', '-', '_'), at most max bytes; malloc'd,
 * "" when the names give nothing. */
char		*consolidate_username_base(const char *pattern,
		    const char *given, const char *sn, const char *eid,
		    size_t max);
/* Fills each person's consolidated attributes, username, UPN and
 * lifecycle, and adds a conflict for each attribute that must agree and
 * does not. */
int		 consolidate_run(const struct consolidate_input *in,
		    struct match_result *res, char *err, size_t errlen);

/* ------------------------------------------------------------ plan.c */

struct plan {
	size_t		 accounts_before;
	size_t		 accounts;
	size_t		 accounts_added;
	size_t		 accounts_removed;
	size_t		 accounts_modified;
	size_t		 persons_before;
	size_t		 persons;
	size_t		 persons_created;
	size_t		 persons_removed;
	size_t		 persons_disabled;	/* became leavers */
	size_t		 links_added;
	size_t		 links_removed;
	size_t		 conflicts;
	char		*diff;		/* one line per change */
};

/* The plan's counts; with_diff: its lines too (a run that saves the
 * state prints the counts alone). */
void		 plan_compute(const struct state *prev,
		    struct account *const *accounts, size_t naccounts,
		    const struct match_result *res, int with_diff,
		    struct plan *plan);
void		 plan_clear(struct plan *plan);
/* -1 with err naming the threshold a plan exceeds. */
int		 plan_check(const struct plan *plan,
		    const struct idsync_section *cfg, char *err,
		    size_t errlen);
/* The same thresholds over write-back: values set count as creates,
 * replaced as modifies, cleared as deletes, against the accounts already
 * holding a value. */
int		 plan_check_writes(const struct writeback_plan *wp,
		    const struct idsync_section *cfg, char *err,
		    size_t errlen);
/* And over a target directory: adds as creates, modifies and renames as
 * modifies, disables as disables, against the entries there are. */
int		 plan_check_target(const struct provision_plan *pp,
		    const struct idsync_section *cfg, char *err,
		    size_t errlen);
void		 plan_print(const struct plan *plan, int with_diff, FILE *fp);

/* ------------------------------------------------------------ export.c */

/* path "-" is standard output; rows counts the records written. */
/* text into path (written aside, mode 0600, renamed into place; "-":
 * standard output). */
int		 export_text(const char *path, const char *text, char *err,
		    size_t errlen);
int		 export_accounts(struct store *st, const char *path,
		    size_t *rows, char *err, size_t errlen);
int		 export_persons(struct store *st,
		    const struct cfg_items *domains, const char *path,
		    size_t *rows, char *err, size_t errlen);
/* The conflicts as rows of decisions to fill in, for "decide". */
int		 export_conflicts(struct store *st, const char *path,
		    size_t *rows, char *err, size_t errlen);
void		 export_csv_value(FILE *fp, const char *s);
/* The person columns an [ldif] mapping may take values from, NULL-ended;
 * export_ldif_source gives a name's place or -1. EXPORT_PERSON_COLUMNS
 * selects them from persons, in that order. */
extern const char *const export_ldif_sources[];
#define EXPORT_PERSON_COLUMNS \
	"id, username, upn, display_name, given_name, sn, employee_id, " \
	"mail, status, lifecycle, department, title"
int		 export_ldif_source(const char *name);
/* The source (export_ldif_source's place) a [target] mapping gives the
 * target attribute attr, or -1 when it maps nothing to it. */
int		 export_target_source(const struct target_config *tc,
		    const char *attr);
/* LDIF change records for a target directory from the last run: an add
 * for each person that run made, a modify for each other that moved,
 * left or came back; adds and modifies count what was written. */
int		 export_ldif(struct store *st, const struct target_config *lc,
		    const char *path, size_t *adds, size_t *modifies,
		    char *err, size_t errlen);
/* An RDN value as RFC 4514 writes it (malloc'd). */
char		*export_rdn_value(const char *v);
/* An LDIF value line "name: value", base64 ("name:: ...") when the value
 * is not safe as it is (RFC 2849), folded at 76 columns. */
void		 export_ldif_line(FILE *fp, const char *name,
		    const char *value);
/* The last run as JSON: counts, each domain's read, the conflicts,
 * timings. */
int		 export_report(struct store *st, const char *path, char *err,
		    size_t errlen);

/* ------------------------------------------------------------ review.c */

int		 review_conflicts(struct store *st, const char *account,
		    int64_t limit, FILE *fp, size_t *count, char *err,
		    size_t errlen);
int		 review_person(struct store *st, const struct cfg_items *domains,
		    const char *query, FILE *fp,
		    size_t *count, char *err, size_t errlen);
int		 review_history(struct store *st, int64_t limit, FILE *fp,
		    char *err, size_t errlen);
int		 review_audit(struct store *st, int64_t limit, FILE *fp,
		    char *err, size_t errlen);
int		 review_decide(struct store *st, enum decision_kind kind,
		    const char *a, const char *b, FILE *fp, char *err,
		    size_t errlen);
/* Never-link decisions between account, which waits, and each candidate
 * its open conflicts offer: a person of its own at the next run. */
int		 review_new_person(struct store *st, const char *account,
		    FILE *fp, char *err, size_t errlen);
/* The decisions of a file (export --conflicts, filled in), all or none. */
int		 review_decide_file(struct store *st, const char *path,
		    FILE *fp, size_t *count, char *err, size_t errlen);

/* Logs (debug) "<stage><what> took N ms" since *t, and sets *t to now. */
void		 idsync_phase(const char *stage, const char *what,
		    int64_t *t);

/* ------------------------------------------------------------ index.c */

struct index;

struct index	*index_new(void);
void		 index_free(struct index *ix);
/* Appends value to key's list (a copy of key is kept). */
void		 index_add(struct index *ix, const char *key, size_t value);
/* Same, unless value is already the last on key's list. */
void		 index_add_once(struct index *ix, const char *key,
		    size_t value);
/* key's first value; if ix does not hold key, value, added for it. */
size_t		 index_first_or_add(struct index *ix, const char *key,
		    size_t value);
/* key's list (owned by the index, valid until the next add), or NULL. */
const size_t	*index_get(const struct index *ix, const char *key,
		    size_t *count);
size_t		 index_keys(const struct index *ix);
void		 index_foreach(const struct index *ix, void (*fn)(
		    const char *key, const size_t *values, size_t count,
		    void *arg), void *arg);
/* Numbers the strings s[0..n) into ids: two have one number exactly when
 * they are equal, numbered from 0 in order of first appearance. Returns
 * how many distinct strings there are. */
size_t		 index_number(const char *const *s, size_t n,
		    uint32_t *ids);

/* Key sets: keys known by their 64-bit hashes, each with the ascending
 * list of the values that carry it (two keys of one hash would share a
 * list). Threads gather batches, then load a part each. */
struct keyset_batch;
struct keyset_batch *keyset_batch_new(void);
void		 keyset_batch_free(struct keyset_batch *b);
void		 keyset_batch_add(struct keyset_batch *b, const char *key,
		    size_t value);
struct keyset;
/* A key set in nparts parts by the keys' hashes. */
struct keyset	*keyset_new(size_t nparts);
void		 keyset_free(struct keyset *ks);
/* Loads into part (every part: KEYSET_ANY_PART) the keys of batches
 * b[0..nb) that belong there, each value a key has listed once, in
 * ascending order. Each part is loaded once; threads may load different
 * parts at once. */
#define KEYSET_ANY_PART	SIZE_MAX
void		 keyset_load(struct keyset *ks, size_t part,
		    struct keyset_batch *const *b, size_t nb);
/* The list of key (or of a key of that hash), or NULL. */
const size_t	*keyset_get(const struct keyset *ks, const char *key,
		    size_t *count);
const size_t	*keyset_get_hash(const struct keyset *ks, uint64_t hash,
		    size_t *count);
size_t		 keyset_keys(const struct keyset *ks);
/* Calls fn for every key, by its hash. */
void		 keyset_foreach(const struct keyset *ks, void (*fn)(
		    uint64_t hash, const size_t *values, size_t count,
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
/* The SHA-256 of the table's file as it was read. */
const unsigned char *nickname_sum(const struct nicknames *nk);
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
	int	 norm;		/* reads norm and tokens, not only raw */
};

/* Both indexed by enum compare_kind; compare_names ends with NULL. */
extern const char *const	 compare_names[];
extern const struct compare_entry compare_table[];

/* s[0..len) without the spaces and tabs around it, as the exact
 * comparator and identifiers take values: where it starts, and its
 * length in *n (0: nothing is left). */
const char *compare_exact_trim(const char *s, size_t len, size_t *n);
void	 compare_value_init(struct compare_value *v, const char *raw,
	    enum compare_kind kind);
void	 compare_value_clear(struct compare_value *v);
double	 compare_jaro_winkler(const char *a, const char *b);
const char *compare_level_name(enum compare_level level);

#endif
