/* match.c: accounts to persons. In order: the links of the last run,
 * decisions people made, exact identifiers, then a weighted score over the
 * configured attributes for the pairs blocking keys bring together. A
 * merge that would put two primary accounts of one domain on one person,
 * or that anything contradicts, is never made: it is a conflict. */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include <unistr.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "idsync/idsync.h"

/* An identifier value carried by more accounts than this identifies no
 * one (a team mailbox alias, a placeholder employee number). */
#define MATCH_IDENTIFIER_MAX	16
/* An attribute with at most this many distinct values (names,
 * departments) has each comparison of two values made once. */
#define MATCH_MEMO_MAX		4096
#define MATCH_LEVEL_UNKNOWN	0xff
#define MATCH_NO_ID		UINT32_MAX
/* compare_digits's: the last nine digits, at least seven. */
#define MATCH_DIGITS_KEEP	9
#define MATCH_DIGITS_MIN	7
/* Accounts to a share of the work a pool of threads does. */
#define MATCH_CHUNK		4096

const char *const match_block_names[] = {
	[BLOCK_SURNAME] = "surname",
	[BLOCK_SURNAME_GIVEN] = "surname-given",
	[BLOCK_GIVEN_INITIAL] = "given-initial",
	[BLOCK_MOBILE] = "mobile",
	[BLOCK_PHONE] = "phone",
	[BLOCK_MAIL_LOCAL] = "mail-local",
	[BLOCK_KEY_COUNT] = NULL,
};

/*
 * One rule's values numbered for match_keep. Every comparator is a
 * function of the two raw values, so with few distinct values a table of
 * levels by number gives what the comparator would; an exact comparison
 * of many values compares numbers of the trimmed, ASCII lower-cased
 * values, which is what compare_exact compares.
 */
struct rule_memo {
	size_t		 nvalues;
	unsigned char	*levels;	/* nvalues * nvalues, or NULL */
	uint32_t	*exact;		/* per account, or NULL; MATCH_NO_ID:
					   missing */
	/* A digits rule with many values: per value number, its last
	 * digits as a number and how many there are (compare_digits). */
	uint32_t	*digits;
	unsigned char	*ndigits;
};

struct pair {
	size_t		 a, b;		/* a < b */
	int		 exact;		/* index into cfg->exact, or -1 */
	int		 vetoed;
	double		 score;
};

struct cluster {
	char		 id[DECODE_GUID_LEN];
	int		 existing;
	int		 dead;
	int64_t		 created_run;
	int64_t		 created_ms;
	size_t		*members;
	size_t		 nmembers;
	size_t		 alloc;
};

/* A set of pairs (i < j) packed in 64 bits. */
struct pairset {
	uint64_t	*slots;		/* 0: empty (no pair is (0, 0)) */
	size_t		 size;		/* a power of two, 2^(64 - shift) */
	unsigned	 shift;
	size_t		 used;
};

struct weigh_job;

/* The attributes blocking reads, and the name accounts go by. */
enum {
	MATCH_ATTR_GIVEN,
	MATCH_ATTR_SN,
	MATCH_ATTR_MOBILE,
	MATCH_ATTR_PHONE,
	MATCH_ATTR_MAIL,
	MATCH_ATTR_PROXY,
	MATCH_ATTR_SAM,		/* names in conflicts and the log */
	MATCH_ATTR_FIXED
};

static const char *const match_fixed_names[MATCH_ATTR_FIXED] = {
	"givenName", "sn", "mobile", "telephoneNumber", "mail",
	"proxyAddresses", "sAMAccountName"
};

struct match_ctx {
	const struct match_input	*in;
	const struct match_config	*cfg;
	struct match_result		*out;
	size_t				 n;
	size_t				 nd;
	size_t				 nexact;
	/*
	 * The attributes matching reads, each account's looked up in one
	 * pass (its attributes brought into the cache once, not once per
	 * rule and key): the rules', the identifiers', then blocking's
	 * and the name's (MATCH_ATTR_*), each name once.
	 */
	const char			**attr_names;
	size_t				 nattr;
	size_t				*rule_attr;	/* per rule */
	size_t				*exact_attr;	/* per identifier */
	size_t				 fixed_attr[MATCH_ATTR_FIXED];
	const struct account_attr	**attrs;	/* n * nattr */
	/* Each rule's distinct values, prepared once: directories repeat
	 * names, departments and titles thousands of times. */
	uint32_t			*vid;		/* n * nrules; 0: none */
	struct compare_value		**distinct;	/* per rule */
	size_t				*ndistinct;
	struct compare_value		 none;
	struct cfg_list			*exact_values;	/* n * nexact */
	struct xarena			**exact_room;	/* per chunk */
	size_t				 nexact_room;
	struct pair			*pairs;
	size_t				 npairs;
	struct weigh_job		*jobs;		/* while weighing */
	/* While match_pairs fills them: identifier values and blocks,
	 * gathered a batch per thread and loaded a part per thread. */
	struct keyset			*key_ex, *key_bl;
	struct keyset_batch		**batch_ex, **batch_bl;
	size_t				 nbatches;
	size_t				*order;		/* rules, widest first */
	double				*rest_max;	/* by place in order */
	double				 keep_floor;
	unsigned char			*kind;		/* per account */
	size_t				*ids_start;	/* n * nexact + 1 */
	uint32_t			*ids;		/* exact values, numbered */
	uint32_t			*ids_sorted;	/* each range in order */
	struct rule_memo		*memo;		/* per rule */
	size_t				*adj_start;	/* n + 1 */
	size_t				*adj;		/* pair indexes */
	double				*best;		/* n * nd */
	double				*second;
	unsigned			*exact_n;
	struct cluster			*clusters;
	size_t				 nclusters;
	size_t				 clusters_alloc;
	/* Per cluster and domain (cluster_primary): its primary account
	 * there, or MATCH_NONE. */
	size_t				*primaries;
	size_t				*cl;		/* per account */
	int				*subject;	/* per account */
	struct index			*accounts;	/* key -> index */
	struct pairset			 never;
	/* Pairs sharing a value of an identifier carried by few accounts;
	 * big: the account carries one carried by many; sharer: it is in
	 * a pair of shared (most are not: no lookup for their pairs). */
	struct pairset			 shared;
	unsigned char			*big;
	unsigned char			*sharer;
	struct index			*unlinked;	/* "i\tperson" */
	struct index			*conflict_keys;
	/* Per account: matched again (match_scope); NULL: all are. */
	unsigned char			*scope;
	size_t				*old;		/* into prev, or
							   MATCH_NONE */
	size_t				*now;		/* per prev account:
							   ours, or
							   MATCH_NONE */
	/* match_review's pairs to review, by pair, while it runs. */
	struct review_item	*review;
};

/* ------------------------------------------------------------ pair sets */

/* key's first slot: the high bits of a multiplicative hash (its low bits
 * would be those of b alone, and every pair of one b would meet). */
static size_t
pairset_slot(const struct pairset *ps, uint64_t key)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ULL) >> ps->shift);
}

static int
pairset_add(struct pairset *ps, size_t a, size_t b)
{
	uint64_t	 key, *old;
	size_t		 i, oldsize, j;

	if (a > b) {
		size_t	 t = a;

		a = b;
		b = t;
	}
	key = ((uint64_t)a << 32 | (uint64_t)b) + 1;
	if ((ps->used + 1) * 2 > ps->size) {
		old = ps->slots;
		oldsize = ps->size;
		ps->size = ps->size == 0 ? 1024 : ps->size * 2;
		ps->shift = ps->shift == 0 ? 64 - 10 : ps->shift - 1;
		ps->slots = xcalloc_written(ps->size, sizeof *ps->slots);
		for (j = 0; j < oldsize; j++) {
			if (old[j] == 0)
				continue;
			i = pairset_slot(ps, old[j]);
			while (ps->slots[i] != 0)
				i = (i + 1) & (ps->size - 1);
			ps->slots[i] = old[j];
		}
		free(old);
	}
	i = pairset_slot(ps, key);
	while (ps->slots[i] != 0) {
		if (ps->slots[i] == key)
			return 0;
		i = (i + 1) & (ps->size - 1);
	}
	ps->slots[i] = key;
	ps->used++;
	return 1;
}

static int
pairset_has(const struct pairset *ps, size_t a, size_t b)
{
	uint64_t	 key;
	size_t		 i;

	if (ps->size == 0)
		return 0;
	if (a > b) {
		size_t	 t = a;

		a = b;
		b = t;
	}
	key = ((uint64_t)a << 32 | (uint64_t)b) + 1;
	i = pairset_slot(ps, key);
	while (ps->slots[i] != 0) {
		if (ps->slots[i] == key)
			return 1;
		i = (i + 1) & (ps->size - 1);
	}
	return 0;
}

/* ------------------------------------------------------------ helpers */

void
match_uuid(char out[DECODE_GUID_LEN])
{
	unsigned char	 b[16];
	size_t		 got = 0;
	ssize_t		 n;

	while (got < sizeof b) {
		n = getrandom(b + got, sizeof b - got, 0);
		if (n <= 0)
			fatal("getrandom");
		got += (size_t)n;
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, DECODE_GUID_LEN, "%02x%02x%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4],
	    b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
	    b[15]);
}

static struct account *
ctx_account(const struct match_ctx *ctx, size_t i)
{
	return ctx->in->accounts[i];
}

/* Account i's values of attribute s (ctx->attr_names), or NULL. */
static char *const *
match_attr_values(const struct match_ctx *ctx, size_t i, size_t s,
    size_t *count)
{
	const struct account_attr	*at = ctx->attrs[i * ctx->nattr + s];

	*count = at != NULL ? at->count : 0;
	return at != NULL && at->count > 0 ? at->values : NULL;
}

/* Its first value, or NULL. */
static const char *
match_attr(const struct match_ctx *ctx, size_t i, size_t s)
{
	size_t	 n;
	char	*const *v = match_attr_values(ctx, i, s, &n);

	return v != NULL ? v[0] : NULL;
}

/* Account i's value of rule k, prepared. */
static const struct compare_value *
match_value(const struct match_ctx *ctx, size_t i, size_t k)
{
	uint32_t	 id = ctx->vid[i * ctx->in->nrules + k];

	return id == 0 ? &ctx->none : &ctx->distinct[k][id - 1];
}

/* account_name, from the attribute table where it has the account. */
static const char *
acct_name(const struct match_ctx *ctx, size_t i, char *buf, size_t size)
{
	const struct account	*a = ctx_account(ctx, i);

	if (ctx->attrs == NULL || (a->kind != ACCOUNT_PERSON &&
	    a->kind != ACCOUNT_ADMIN))
		return account_name(a, buf, size);
	return account_name_sam(a, match_attr(ctx, i,
	    ctx->fixed_attr[MATCH_ATTR_SAM]), buf, size);
}

static int
in_scope(const struct match_ctx *ctx, size_t i)
{
	return ctx->scope == NULL || ctx->scope[i];
}

static int
is_person(const struct match_ctx *ctx, size_t i)
{
	return ctx->kind[i] == ACCOUNT_PERSON;
}

static int
is_admin(const struct match_ctx *ctx, size_t i)
{
	return ctx->kind[i] == ACCOUNT_ADMIN;
}

static double
rule_weight(const struct compare_rule *r, enum compare_level level)
{
	switch (level) {
	case COMPARE_AGREE:
		return r->agree;
	case COMPARE_PARTIAL:
		return r->partial;
	case COMPARE_DISAGREE:
		return r->disagree;
	case COMPARE_MISSING:
		break;
	}
	return r->missing;
}

/* Past this many values on both sides, an identifier's are looked up in
 * the other's sorted numbers rather than compared each with each (two
 * entries of 100 000 took twenty seconds). */
#define MATCH_SHARE_SCAN	8

/* Is x among the sorted numbers s[lo..hi)? */
static int
ids_have(const uint32_t *s, size_t lo, size_t hi, uint32_t x)
{
	size_t	 m;

	while (lo < hi) {
		m = lo + (hi - lo) / 2;
		if (s[m] == x)
			return 1;
		if (s[m] < x)
			lo = m + 1;
		else
			hi = m;
	}
	return 0;
}

/*
 * Of the numbered values in slot sa (an account's of one identifier,
 * match_number_ids's), the place of the first, in their order, that slot
 * sb holds too; SIZE_MAX if none. Equal numbers are equal values.
 */
static size_t
match_first_shared(const struct match_ctx *ctx, size_t sa, size_t sb)
{
	const size_t	*st = ctx->ids_start;
	size_t		 i, j;

	if (st[sa + 1] - st[sa] > MATCH_SHARE_SCAN &&
	    st[sb + 1] - st[sb] > MATCH_SHARE_SCAN) {
		for (i = st[sa]; i < st[sa + 1]; i++)
			if (ids_have(ctx->ids_sorted, st[sb], st[sb + 1],
			    ctx->ids[i]))
				return i - st[sa];
		return SIZE_MAX;
	}
	for (i = st[sa]; i < st[sa + 1]; i++)
		for (j = st[sb]; j < st[sb + 1]; j++)
			if (ctx->ids[i] == ctx->ids[j])
				return i - st[sa];
	return SIZE_MAX;
}

/* Do a and b share a value of exact identifier k? *value (if not NULL):
 * the first of a's, in its order, that b has too. */
static int
match_share(const struct match_ctx *ctx, size_t a, size_t b, size_t k,
    const char **value)
{
	size_t	 sa = a * ctx->nexact + k, i;

	if ((i = match_first_shared(ctx, sa, b * ctx->nexact + k)) ==
	    SIZE_MAX)
		return 0;
	if (value != NULL)
		*value = ctx->exact_values[sa].items[i];
	return 1;
}

static enum compare_level match_level(struct match_ctx *, size_t, size_t,
    size_t);

/*
 * w as printf's "%+.1f" (sign: always signed) or "%.1f" writes it, which
 * details hold for millions of pairs: weights are tenths, whose tens are
 * whole numbers, written here digit by digit; anything else by printf.
 */
static void
match_weight_text(struct buf *b, double w, int sign)
{
	char		 digits[24];
	double		 t = w * 10;
	long long	 n;
	size_t		 i = sizeof digits;

	if (!(t == nearbyint(t) && fabs(t) < 1e15) || (t == 0 && signbit(t))) {
		buf_printf(b, sign ? "%+.1f" : "%.1f", w);
		return;
	}
	n = llabs((long long)t);
	digits[--i] = (char)('0' + n % 10);
	digits[--i] = '.';
	n /= 10;
	do {
		digits[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0);
	if (t < 0)
		digits[--i] = '-';
	else if (sign)
		digits[--i] = '+';
	buf_append(b, digits + i, sizeof digits - i);
}

/*
 * Compares two accounts: the first exact identifier they share, the score
 * and whether one attribute vetoes them; with detail, what agreed and what
 * did not, for people to read.
 */
static void
match_eval(struct match_ctx *ctx, size_t a, size_t b, struct pair *p,
    struct buf *detail)
{
	const struct compare_rule	*r;
	enum compare_level		 level;
	const char			*shared;
	double				 w;
	size_t				 k, nr = ctx->in->nrules;

	p->a = a < b ? a : b;
	p->b = a < b ? b : a;
	p->exact = -1;
	p->vetoed = 0;
	p->score = 0;
	for (k = 0; k < ctx->nexact; k++) {
		if (match_share(ctx, a, b, k, &shared)) {
			p->exact = (int)k;
			if (detail != NULL)
				buf_printf(detail, "%s %s shared; ",
				    ctx->cfg->exact.items[k], shared);
			break;
		}
	}
	for (k = 0; k < nr; k++) {
		r = ctx->in->rules[k];
		level = match_level(ctx, k, a, b);
		w = rule_weight(r, level);
		if (w <= ctx->cfg->veto)
			p->vetoed = 1;
		p->score += w;
		if (detail != NULL) {
			if (k > 0)
				buf_append_str(detail, ", ");
			buf_append_str(detail, r->item.label);
			buf_append_char(detail, ' ');
			buf_append_str(detail, compare_level_name(level));
			buf_append_char(detail, ' ');
			match_weight_text(detail, w, 1);
		}
	}
	if (detail != NULL) {
		buf_append_str(detail, "; score ");
		match_weight_text(detail, p->score, 0);
		if (p->vetoed)
			buf_append_str(detail, " (vetoed)");
	}
}

/* Does an attribute of a and b veto them, as match_eval would say? */
static int
match_vetoed(struct match_ctx *ctx, size_t a, size_t b)
{
	size_t	 k;

	for (k = 0; k < ctx->in->nrules; k++)
		if (rule_weight(ctx->in->rules[k], match_level(ctx, k, a,
		    b)) <= ctx->cfg->veto)
			return 1;
	return 0;
}

/* What agreed and what did not, as text; *score (if not NULL) gets the
 * pair's score. */
static char *
match_detail(struct match_ctx *ctx, size_t a, size_t b, double *score)
{
	struct pair	 p;
	struct buf	 b_;

	buf_init(&b_, 0);
	match_eval(ctx, a, b, &p, &b_);
	if (score != NULL)
		*score = p.score;
	return buf_detach(&b_, NULL);
}

/* ------------------------------------------------------------ preparing */

/* Logs (debug) how long the phase of stage ("matching: ", ...) that ends
 * now took; *t: when it began, and now on return. */
void
idsync_phase(const char *stage, const char *what, int64_t *t)
{
	int64_t	 now = wtime_mono_ms();

	log_debug("%s%s took %lld ms", stage, what, (long long)(now - *t));
	*t = now;
}

static void
match_phase(const char *what, int64_t *t)
{
	idsync_phase("matching: ", what, t);
}

/*
 * Jobs 0..n-1 run by a few threads (match_threads), each taking the next
 * job not yet taken; a thread that cannot start leaves its jobs to the
 * others. fn must write nothing another job reads or writes, but through
 * atomics.
 */
struct match_pool {
	size_t	 next;
	size_t	 n;
	void	(*fn)(struct match_ctx *, size_t);
	struct match_ctx *ctx;
};

static size_t match_threads(void);

static void *
match_pool_work(void *arg)
{
	struct match_pool	*p = arg;
	size_t			 i;

	while ((i = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED)) < p->n)
		p->fn(p->ctx, i);
	return NULL;
}

static void
match_pool_run(struct match_ctx *ctx, size_t n,
    void (*fn)(struct match_ctx *, size_t))
{
	struct match_pool	 p;
	pthread_t		 t[8];
	size_t			 nt = match_threads(), i, started = 0;

	p.next = 0;
	p.n = n;
	p.fn = fn;
	p.ctx = ctx;
	if (nt > n)
		nt = n;
	for (i = 1; i < nt && i < sizeof t / sizeof t[0]; i++)
		if (pthread_create(&t[started], NULL, match_pool_work, &p) == 0)
			started++;
	match_pool_work(&p);
	for (i = 0; i < started; i++)
		pthread_join(t[i], NULL);
}

/* Rule k's values, numbered (0: none; only person and admin accounts
 * count) in order of first appearance and prepared once each. */
static void
match_prepare_rule(struct match_ctx *ctx, size_t k)
{
	const char		**raw;
	uint32_t		*num;
	size_t			*who, nr = ctx->in->nrules, i, n = 0, d;

	raw = xcalloc(ctx->n + 1, sizeof *raw);
	who = xcalloc(ctx->n + 1, sizeof *who);
	for (i = 0; i < ctx->n; i++) {
		if (!is_person(ctx, i) && !is_admin(ctx, i))
			continue;
		if ((raw[n] = match_attr(ctx, i, ctx->rule_attr[k])) == NULL)
			continue;
		who[n++] = i;
	}
	num = xcalloc(n + 1, sizeof *num);
	d = index_number(raw, n, num);
	ctx->distinct[k] = xcalloc(d + 1, sizeof *ctx->distinct[k]);
	for (i = 0; i < n; i++) {
		ctx->vid[who[i] * nr + k] = num[i] + 1;
		if (num[i] == ctx->ndistinct[k])
			compare_value_init(&ctx->distinct[k][ctx->ndistinct[
			    k]++], raw[i], ctx->in->rules[k]->comparator);
	}
	free(num);
	free(who);
	free(raw);
}

/* Slot of attribute name in ctx->attr_names, added if new. */
static size_t
match_attr_slot(struct match_ctx *ctx, const char *name)
{
	size_t	 s;

	for (s = 0; s < ctx->nattr; s++)
		if (strcasecmp(ctx->attr_names[s], name) == 0)
			return s;
	ctx->attr_names = xreallocarray(ctx->attr_names, ctx->nattr + 1,
	    sizeof *ctx->attr_names);
	ctx->attr_names[ctx->nattr] = name;
	return ctx->nattr++;
}

/* Accounts MATCH_CHUNK * c on: their attributes (a share of
 * match_pool_run's); only person and admin accounts are compared. */
static void
match_attrs_chunk(struct match_ctx *ctx, size_t c)
{
	size_t	 i, s, end = (c + 1) * MATCH_CHUNK;

	for (i = c * MATCH_CHUNK; i < ctx->n && i < end; i++) {
		if (!is_person(ctx, i) && !is_admin(ctx, i))
			continue;
		for (s = 0; s < ctx->nattr; s++)
			ctx->attrs[i * ctx->nattr + s] = account_attr(
			    ctx_account(ctx, i), ctx->attr_names[s]);
	}
}

/* Numbers each rule's values (0: none; only person and admin accounts
 * are compared) and prepares each distinct one once. */
static void
match_prepare_values(struct match_ctx *ctx)
{
	size_t	 nr = ctx->in->nrules, k, i;

	/* The kinds, read for every pair, close together. */
	ctx->kind = xcalloc(ctx->n + 1, sizeof *ctx->kind);
	for (i = 0; i < ctx->n; i++)
		ctx->kind[i] = (unsigned char)ctx_account(ctx, i)->kind;
	ctx->rule_attr = xcalloc(nr + 1, sizeof *ctx->rule_attr);
	for (k = 0; k < nr; k++)
		ctx->rule_attr[k] = match_attr_slot(ctx,
		    ctx->in->rules[k]->item.label);
	ctx->exact_attr = xcalloc(ctx->nexact + 1, sizeof *ctx->exact_attr);
	for (k = 0; k < ctx->nexact; k++)
		ctx->exact_attr[k] = match_attr_slot(ctx,
		    ctx->cfg->exact.items[k]);
	for (k = 0; k < MATCH_ATTR_FIXED; k++)
		ctx->fixed_attr[k] = match_attr_slot(ctx,
		    match_fixed_names[k]);
	ctx->attrs = xcalloc(ctx->n * ctx->nattr + 1, sizeof *ctx->attrs);
	match_pool_run(ctx, (ctx->n + MATCH_CHUNK - 1) / MATCH_CHUNK,
	    match_attrs_chunk);

	ctx->vid = xcalloc(ctx->n * nr + 1, sizeof *ctx->vid);
	ctx->distinct = xcalloc(nr + 1, sizeof *ctx->distinct);
	ctx->ndistinct = xcalloc(nr + 1, sizeof *ctx->ndistinct);
	/* The rules one to a thread: each has its own values. */
	match_pool_run(ctx, nr, match_prepare_rule);
}

/* One account's values of one identifier while they are gathered; the
 * list then goes to the context's room. */
struct exact_scratch {
	char		**items;
	size_t		 count;
	size_t		 alloc;
	/* The values so far once there are more than MATCH_EXACT_SCAN: a
	 * new one is looked up, not compared with each (an entry may hold
	 * 100 000, which compared each with each took ten seconds). */
	struct index	*seen;
};

#define MATCH_EXACT_SCAN	16

static void
exact_scratch_reset(struct exact_scratch *sc)
{
	sc->count = 0;
	if (sc->seen != NULL) {
		index_free(sc->seen);
		sc->seen = NULL;
	}
}

/* v[0..len) as identifiers and the exact comparator take it, trimmed
 * (compare_exact_trim) and in lower case, in room; NULL when nothing is
 * left. */
static char *
match_exact_form(struct xarena **room, const char *v, size_t len)
{
	char	*s;
	size_t	 i;

	v = compare_exact_trim(v, len, &len);
	if (len == 0)
		return NULL;
	s = xarena_strndup(room, v, len);
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
	return s;
}

static void
match_add_exact(struct exact_scratch *sc, struct xarena **room, const char *v,
    size_t len)
{
	char	*s;
	size_t	 i;

	if ((s = match_exact_form(room, v, len)) == NULL)
		return;
	if (sc->seen == NULL && sc->count >= MATCH_EXACT_SCAN) {
		sc->seen = index_new();
		for (i = 0; i < sc->count; i++)
			index_add(sc->seen, sc->items[i], i);
	}
	/* A value had already: its room stays, unused. */
	if (sc->seen != NULL) {
		if (index_first_or_add(sc->seen, s, sc->count) != sc->count)
			return;
	} else
		for (i = 0; i < sc->count; i++)
			if (strcmp(sc->items[i], s) == 0)
				return;
	if (sc->count == sc->alloc) {
		sc->alloc = sc->alloc == 0 ? 8 : sc->alloc * 2;
		sc->items = xreallocarray(sc->items, sc->alloc,
		    sizeof *sc->items);
	}
	sc->items[sc->count++] = s;
}

/* Identifier values, lower-cased; proxyAddresses gives its smtp ones.
 * Their text and lists in *room, which the context frees. */
static void
match_prepare_exact(struct match_ctx *ctx, size_t i, struct xarena **room,
    struct exact_scratch *sc)
{
	struct decode_proxy	 px;
	struct cfg_list		*l;
	char *const		*v;
	char			 why[128];
	size_t			 k, j, n;

	for (k = 0; k < ctx->nexact; k++) {
		l = &ctx->exact_values[i * ctx->nexact + k];
		v = match_attr_values(ctx, i, ctx->exact_attr[k], &n);
		exact_scratch_reset(sc);
		for (j = 0; j < n; j++) {
			/* One slot per name, any case: proxyAddresses'. */
			if (ctx->exact_attr[k] !=
			    ctx->fixed_attr[MATCH_ATTR_PROXY]) {
				match_add_exact(sc, room, v[j], strlen(v[j]));
				continue;
			}
			if (decode_proxy(v[j], strlen(v[j]), &px, why,
			    sizeof why) == 0 && strcmp(px.type, "smtp") == 0)
				match_add_exact(sc, room, px.address,
				    px.address_len);
		}
		if (sc->count == 0)
			continue;
		l->items = xarena_alloc(room, sc->count * sizeof *l->items);
		memcpy(l->items, sc->items, sc->count * sizeof *l->items);
		l->count = sc->count;
	}
}

/* Accounts MATCH_CHUNK * c on: their identifier values (a share of
 * match_pool_run's), in the chunk's own room. */
static void
match_prepare_chunk(struct match_ctx *ctx, size_t c)
{
	struct exact_scratch	 sc;
	size_t			 i, end = (c + 1) * MATCH_CHUNK;

	memset(&sc, 0, sizeof sc);
	for (i = c * MATCH_CHUNK; i < ctx->n && i < end; i++)
		if (is_person(ctx, i) || is_admin(ctx, i))
			match_prepare_exact(ctx, i, &ctx->exact_room[c], &sc);
	exact_scratch_reset(&sc);
	free(sc.items);
}

/* Room for the identifier values of the context's accounts, a chunk's
 * each (match_prepare_chunk). */
static void
match_exact_alloc(struct match_ctx *ctx)
{
	ctx->nexact_room = (ctx->n + MATCH_CHUNK - 1) / MATCH_CHUNK + 1;
	ctx->exact_room = xcalloc(ctx->nexact_room, sizeof *ctx->exact_room);
	ctx->exact_values = xcalloc(ctx->n * ctx->nexact + 1,
	    sizeof *ctx->exact_values);
}

static void
match_block_key(struct keyset_batch *b, const char *prefix, const char *value,
    size_t i)
{
	char	 buf[256], *key = buf;
	size_t	 pl = strlen(prefix), vl = strlen(value);

	if (pl + vl >= sizeof buf)
		key = xmalloc(pl + vl + 1);
	memcpy(key, prefix, pl);
	memcpy(key + pl, value, vl + 1);
	keyset_batch_add(b, key, i);
	if (key != buf)
		free(key);
}

static void
match_block_digits(struct keyset_batch *b, const char *prefix,
    const char *raw, size_t i)
{
	char	*d;
	size_t	 len;

	if (raw == NULL)
		return;
	d = normalise_digits(raw);
	len = strlen(d);
	if (len >= 7)
		match_block_key(b, prefix, d + (len > 9 ? len - 9 : 0), i);
	free(d);
}

static void
match_block_mail(struct keyset_batch *b, const char *addr, size_t len,
    size_t i)
{
	const char	*at = memchr(addr, '@', len);
	char		*norm;

	if (at == NULL || at == addr)
		return;
	norm = normalise_text(addr, (size_t)(at - addr));
	if (*norm != '\0')
		match_block_key(b, "l:", norm, i);
	free(norm);
}

/* Where the last two characters of the UTF-8 string s begin. */
static const char *
match_last_two(const char *s)
{
	const char	*e = s + strlen(s);
	int		 n;

	for (n = 0; n < 2 && e > s; n++)
		while (--e > s && (*e & 0xc0) == 0x80)
			;
	return e;
}

/*
 * Each word of the surname with the given name's initial, with its last
 * two letters, and with each formal name it is a form of. A common
 * surname makes a block of thousands of accounts; these split it by the
 * given name, and one slip in the given name leaves one of them whole
 * (its first letter or its end). Every word of a given name counts, so
 * "Mary" meets "Anne Mary" and an initial meets the name it stands for.
 */
static void
match_block_surname_given(struct match_ctx *ctx, struct keyset_batch *b,
    char *const *gt, size_t ng, char *const *st, size_t ns, size_t i)
{
	const size_t	*groups;
	char		 key[600];
	size_t		 k, j, n;
	int		 len;

	groups = ng > 0 ? nickname_groups(ctx->in->nk, gt[0], &n) : NULL;
	if (groups == NULL)
		n = 0;
	for (k = 0; k < ns; k++) {
		if (strlen(st[k]) < 2 || strlen(st[k]) > 255)
			continue;
		for (j = 0; j < ng; j++) {
			if ((len = u8_mblen((const uint8_t *)gt[j],
			    strlen(gt[j]))) <= 0)
				continue;
			snprintf(key, sizeof key, "%s\t^%.*s", st[k], len,
			    gt[j]);
			match_block_key(b, "n:", key, i);
			snprintf(key, sizeof key, "%s\t$%.255s", st[k],
			    match_last_two(gt[j]));
			match_block_key(b, "n:", key, i);
		}
		for (j = 0; j < n; j++) {
			snprintf(key, sizeof key, "%s\t#%zu", st[k], groups[j]);
			match_block_key(b, "n:", key, i);
		}
	}
}

/* The name tokens of account i's attr (MATCH_ATTR_*): a rule's prepared
 * value when one compares attr's normalised form, else made here (*owned:
 * free them). */
static size_t
match_name_tokens(const struct match_ctx *ctx, size_t i, size_t attr,
    char ***tokens, int *owned)
{
	const struct compare_value	*cv;
	const char			*raw;
	char				*norm;
	size_t				 k, n;

	for (k = 0; k < ctx->in->nrules; k++)
		if (compare_table[ctx->in->rules[k]->comparator].norm &&
		    ctx->rule_attr[k] == ctx->fixed_attr[attr]) {
			cv = match_value(ctx, i, k);
			*tokens = cv->tokens;
			*owned = 0;
			return cv->ntokens;
		}
	raw = match_attr(ctx, i, ctx->fixed_attr[attr]);
	norm = normalise_text(raw != NULL ? raw : "", raw != NULL ?
	    strlen(raw) : 0);
	n = normalise_tokens(norm, tokens);
	free(norm);
	*owned = 1;
	return n;
}

static void
match_blocking(struct match_ctx *ctx, struct keyset_batch *b, size_t i)
{
	struct decode_proxy	 px;
	char			**gt, **st, key[256], why[128];
	const size_t		*groups;
	char *const		*v;
	size_t			 ng, ns, k, n;
	unsigned		 blocks = ctx->cfg->blocks;
	int			 own_g, own_s;

	ng = match_name_tokens(ctx, i, MATCH_ATTR_GIVEN, &gt, &own_g);
	ns = match_name_tokens(ctx, i, MATCH_ATTR_SN, &st, &own_s);
	if (blocks & (1U << BLOCK_SURNAME))
		for (k = 0; k < ns; k++)
			if (strlen(st[k]) > 1)
				match_block_key(b, "s:", st[k], i);
	if (blocks & (1U << BLOCK_SURNAME_GIVEN))
		match_block_surname_given(ctx, b, gt, ng, st, ns, i);
	if ((blocks & (1U << BLOCK_GIVEN_INITIAL)) && ng > 0 && ns > 0) {
		snprintf(key, sizeof key, "%s:%c", gt[0], st[0][0]);
		match_block_key(b, "g:", key, i);
		groups = nickname_groups(ctx->in->nk, gt[0], &n);
		for (k = 0; k < n; k++) {
			snprintf(key, sizeof key, "#%zu:%c", groups[k],
			    st[0][0]);
			match_block_key(b, "g:", key, i);
		}
	}
	if (blocks & (1U << BLOCK_MOBILE))
		match_block_digits(b, "m:", match_attr(ctx, i,
		    ctx->fixed_attr[MATCH_ATTR_MOBILE]), i);
	if (blocks & (1U << BLOCK_PHONE))
		match_block_digits(b, "p:", match_attr(ctx, i,
		    ctx->fixed_attr[MATCH_ATTR_PHONE]), i);
	if (blocks & (1U << BLOCK_MAIL_LOCAL)) {
		if ((v = match_attr_values(ctx, i,
		    ctx->fixed_attr[MATCH_ATTR_MAIL], &n)) != NULL)
			for (k = 0; k < n; k++)
				match_block_mail(b, v[k], strlen(v[k]), i);
		v = match_attr_values(ctx, i,
		    ctx->fixed_attr[MATCH_ATTR_PROXY], &n);
		for (k = 0; k < n; k++)
			if (decode_proxy(v[k], strlen(v[k]), &px, why,
			    sizeof why) == 0 && strcmp(px.type, "smtp") == 0)
				match_block_mail(b, px.address,
				    px.address_len, i);
	}
	if (own_g)
		str_list_free(gt, ng);
	if (own_s)
		str_list_free(st, ns);
}

/* The key of value v of identifier k in the indexes: in buf if it fits,
 * else malloc'd (free it if not buf). */
static char *
match_id_key(char *buf, size_t size, size_t k, const char *v)
{
	char	*key;

	if ((size_t)snprintf(buf, size, "%zu\t%s", k, v) < size)
		return buf;
	xasprintf(&key, "%zu\t%s", k, v);
	return key;
}

/* Account i's identifier values into ex and blocking keys into bl, if it
 * is a person's or an admin account. */
static void
match_keys(struct match_ctx *ctx, struct keyset_batch *ex,
    struct keyset_batch *bl, size_t i)
{
	struct cfg_list	*l;
	char		 buf[256], *key;
	size_t		 j, k;

	if (!is_person(ctx, i) && !is_admin(ctx, i))
		return;
	for (k = 0; k < ctx->nexact; k++) {
		l = &ctx->exact_values[i * ctx->nexact + k];
		for (j = 0; j < l->count; j++) {
			key = match_id_key(buf, sizeof buf, k, l->items[j]);
			keyset_batch_add(ex, key, i);
			if (key != buf)
				free(key);
		}
	}
	match_blocking(ctx, bl, i);
}

/* The keys of a share of the accounts into batch t (a share of
 * match_pool_run's). */
static void
match_keys_gather(struct match_ctx *ctx, size_t t)
{
	size_t	 i, from, to;

	from = ctx->n / ctx->nbatches * t;
	to = t + 1 == ctx->nbatches ? ctx->n : ctx->n / ctx->nbatches *
	    (t + 1);
	for (i = from; i < to; i++)
		match_keys(ctx, ctx->batch_ex[t], ctx->batch_bl[t], i);
}

/* One part of the indexes from every batch (a share of
 * match_pool_run's). */
static void
match_keys_load(struct match_ctx *ctx, size_t part)
{
	keyset_load(ctx->key_ex, part, ctx->batch_ex, ctx->nbatches);
	keyset_load(ctx->key_bl, part, ctx->batch_bl, ctx->nbatches);
}

/* A key set of b's keys (b freed). */
static struct keyset *
match_load(struct keyset_batch *b)
{
	struct keyset	*ks = keyset_new(1);

	keyset_load(ks, KEYSET_ANY_PART, &b, 1);
	keyset_batch_free(b);
	return ks;
}

/* Which pairs may be one person: two person accounts of different
 * domains, or an admin account and a person account of any domain. */
static int
match_eligible(const unsigned char *kind, const size_t *dom, size_t a,
    size_t b)
{
	if (kind[a] == ACCOUNT_PERSON && kind[b] == ACCOUNT_PERSON)
		return dom[a] != dom[b];
	return (kind[a] == ACCOUNT_PERSON && kind[b] == ACCOUNT_ADMIN) ||
	    (kind[a] == ACCOUNT_ADMIN && kind[b] == ACCOUNT_PERSON);
}

/* The blocks small enough to compare within, each a list of accounts in
 * ascending order (the indexes' own lists). */
struct block_walk {
	struct match_ctx	*ctx;
	int			 exact;		/* identifier lists */
	size_t			 too_big;
	size_t			 largest;
	const size_t		**lists;
	size_t			*sizes;
	size_t			 nblocks;
	size_t			 alloc;
};

static void
match_block_collect(uint64_t key, const size_t *v, size_t n, void *arg)
{
	struct block_walk	*w = arg;
	size_t			 max;

	(void)key;
	max = w->exact ? MATCH_IDENTIFIER_MAX :
	    (size_t)w->ctx->cfg->max_block;
	if (n > max) {
		w->too_big++;
		if (n > w->largest)
			w->largest = n;
		return;
	}
	if (n < 2)
		return;
	if (w->nblocks == w->alloc) {
		w->alloc = w->alloc == 0 ? 1024 : w->alloc * 2;
		w->lists = xreallocarray(w->lists, w->alloc,
		    sizeof *w->lists);
		w->sizes = xreallocarray(w->sizes, w->alloc,
		    sizeof *w->sizes);
	}
	w->lists[w->nblocks] = v;
	w->sizes[w->nblocks++] = n;
}

static int
pair_cmp_ab(const void *x, const void *y)
{
	const struct pair	*p = x, *q = y;

	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	if (p->b != q->b)
		return p->b < q->b ? -1 : 1;
	return 0;
}

static void
match_record_best(struct match_ctx *ctx, size_t a, size_t b,
    const struct pair *p)
{
	size_t	 k = a * ctx->nd + ctx_account(ctx, b)->domain;

	if (p->exact >= 0)
		ctx->exact_n[k]++;
	if (p->score > ctx->best[k]) {
		ctx->second[k] = ctx->best[k];
		ctx->best[k] = p->score;
	} else if (p->score > ctx->second[k])
		ctx->second[k] = p->score;
}

/* match_share by number: each value of identifier k has one. */
static int
match_share_id(const struct match_ctx *ctx, size_t a, size_t b, size_t k)
{
	size_t	 sa = a * ctx->nexact + k, sb = b * ctx->nexact + k;

	/* The fewer looked up among the more. */
	if (ctx->ids_start[sa + 1] - ctx->ids_start[sa] >
	    ctx->ids_start[sb + 1] - ctx->ids_start[sb])
		return match_first_shared(ctx, sb, sa) != SIZE_MAX;
	return match_first_shared(ctx, sa, sb) != SIZE_MAX;
}

static int
match_shares_big(const struct match_ctx *ctx, size_t a, size_t b)
{
	size_t	 k;

	for (k = 0; k < ctx->nexact; k++)
		if (match_share_id(ctx, a, b, k))
			return 1;
	return 0;
}

/* The pairs of accounts sharing an identifier value carried by few
 * accounts, to be looked up rather than compared value by value; the
 * accounts carrying one carried by more are marked and compared so. */
static void
match_shared_collect(uint64_t key, const size_t *v, size_t n, void *arg)
{
	struct match_ctx	*ctx = arg;
	size_t			 i, j;

	(void)key;
	if (n > MATCH_IDENTIFIER_MAX) {
		for (i = 0; i < n; i++)
			ctx->big[v[i]] = 1;
		return;
	}
	for (i = 0; i < n; i++) {
		if (n > 1)
			ctx->sharer[v[i]] = 1;
		for (j = i + 1; j < n; j++)
			pairset_add(&ctx->shared, v[i], v[j]);
	}
}

static int
uint32_cmp(const void *x, const void *y)
{
	uint32_t	 a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

/* Numbers the identifier values for match_first_shared: each identifier's
 * on their own (only values of one identifier are compared). */
static void
match_number_ids(struct match_ctx *ctx)
{
	const struct cfg_list	*l;
	const char		**v;
	uint32_t		*num;
	size_t			 i, j, k, nv, total = 0;

	for (i = 0; i < ctx->n * ctx->nexact; i++)
		total += ctx->exact_values[i].count;
	ctx->ids_start = xcalloc(ctx->n * ctx->nexact + 1,
	    sizeof *ctx->ids_start);
	ctx->ids = xcalloc(total + 1, sizeof *ctx->ids);
	for (i = 0, total = 0; i < ctx->n * ctx->nexact; i++) {
		ctx->ids_start[i] = total;
		total += ctx->exact_values[i].count;
	}
	ctx->ids_start[ctx->n * ctx->nexact] = total;
	v = xcalloc(total + 1, sizeof *v);
	num = xcalloc(total + 1, sizeof *num);
	for (k = 0; k < ctx->nexact; k++) {
		for (i = k, nv = 0; i < ctx->n * ctx->nexact; i += ctx->nexact) {
			l = &ctx->exact_values[i];
			for (j = 0; j < l->count; j++)
				v[nv++] = l->items[j];
		}
		(void)index_number(v, nv, num);
		for (i = k, nv = 0; i < ctx->n * ctx->nexact; i += ctx->nexact)
			for (j = 0; j < ctx->exact_values[i].count; j++)
				ctx->ids[ctx->ids_start[i] + j] = num[nv++];
	}
	free(num);
	free(v);
	/* Each account's numbers of each identifier in order too, for the
	 * lists too long to compare each with each. */
	ctx->ids_sorted = xcalloc(total + 1, sizeof *ctx->ids_sorted);
	memcpy(ctx->ids_sorted, ctx->ids, total * sizeof *ctx->ids_sorted);
	for (i = 0; i < ctx->n * ctx->nexact; i++)
		if (ctx->ids_start[i + 1] - ctx->ids_start[i] >
		    MATCH_SHARE_SCAN)
			qsort(ctx->ids_sorted + ctx->ids_start[i],
			    ctx->ids_start[i + 1] - ctx->ids_start[i],
			    sizeof *ctx->ids_sorted, uint32_cmp);
}

/* The last MATCH_DIGITS_KEEP ASCII digits of s as a number, and how many
 * there are: what compare_digits compares. */
static unsigned
match_last_digits(const char *s, uint32_t *value)
{
	const char	*e = s + strlen(s);
	uint32_t	 v = 0, place = 1;
	unsigned	 n = 0;

	while (e > s && n < MATCH_DIGITS_KEEP) {
		e--;
		if (*e >= '0' && *e <= '9') {
			v += (uint32_t)(*e - '0') * place;
			place *= 10;
			n++;
		}
	}
	*value = v;
	return n;
}

static void
match_memo_prepare(struct match_ctx *ctx)
{
	struct rule_memo		*m;
	struct xarena			*room;
	size_t				 nr = ctx->in->nrules, k, i, next, ns;
	uint32_t			*num, *dnum;
	char				*t, **strs;
	const char			*x;

	ctx->memo = xcalloc(nr + 1, sizeof *ctx->memo);
	for (k = 0; k < nr; k++) {
		m = &ctx->memo[k];
		/* Number 0: no value; the others as match_prepare_values
		 * numbered them. */
		next = ctx->ndistinct[k] + 1;
		m->nvalues = next;
		if (next <= MATCH_MEMO_MAX) {
			m->levels = xcalloc(next * next, 1);
			memset(m->levels, MATCH_LEVEL_UNKNOWN, next * next);
			continue;
		}
		if (ctx->in->rules[k]->comparator == COMPARE_DIGITS) {
			m->digits = xcalloc(next, sizeof *m->digits);
			m->ndigits = xcalloc(next, sizeof *m->ndigits);
			for (i = 1; i < next; i++)
				m->ndigits[i] = (unsigned char)
				    match_last_digits(
				    ctx->distinct[k][i - 1].raw,
				    &m->digits[i]);
			continue;
		}
		if (ctx->in->rules[k]->comparator != COMPARE_EXACT)
			continue;
		/* Each distinct value trimmed and in lower case, numbered
		 * (none: empty); each account's by its value's. */
		strs = xcalloc(next, sizeof *strs);
		dnum = xcalloc(next, sizeof *dnum);
		room = NULL;
		for (i = 1, ns = 0; i < next; i++) {
			dnum[i] = MATCH_NO_ID;
			x = ctx->distinct[k][i - 1].raw;
			if ((t = match_exact_form(&room, x, strlen(x))) == NULL)
				continue;
			dnum[i] = (uint32_t)ns;
			strs[ns++] = t;
		}
		num = xcalloc(ns + 1, sizeof *num);
		(void)index_number((const char *const *)strs, ns, num);
		dnum[0] = MATCH_NO_ID;
		for (i = 1; i < next; i++)
			if (dnum[i] != MATCH_NO_ID)
				dnum[i] = num[dnum[i]];
		m->exact = xcalloc(ctx->n + 1, sizeof *m->exact);
		for (i = 0; i < ctx->n; i++)
			m->exact[i] = dnum[ctx->vid[i * nr + k]];
		xarena_free(room);
		free(strs);
		free(num);
		free(dnum);
	}
}

/* compare_table[rule k's comparator](a's value, b's value), remembered. */
static enum compare_level
match_level(struct match_ctx *ctx, size_t k, size_t a, size_t b)
{
	static const uint32_t	 tens[] = { 1, 10, 100, 1000, 10000,
	    100000, 1000000, 10000000, 100000000, 1000000000 };
	const struct rule_memo	*m = &ctx->memo[k];
	size_t			 cell, nr = ctx->in->nrules;
	uint32_t		 ia = ctx->vid[a * nr + k];
	uint32_t		 ib = ctx->vid[b * nr + k];
	unsigned		 n;
	unsigned char		 level;

	if (m->levels != NULL) {
		cell = (size_t)ia * m->nvalues + ib;
		/* Weighing threads share the table: a cell two of them
		 * fill at once gets the same level from both. */
		level = __atomic_load_n(&m->levels[cell], __ATOMIC_RELAXED);
		if (level == MATCH_LEVEL_UNKNOWN) {
			level = (unsigned char)compare_table[
			    ctx->in->rules[k]->comparator].compare(
			    match_value(ctx, a, k), match_value(ctx, b, k),
			    ctx->in->nk);
			__atomic_store_n(&m->levels[cell], level,
			    __ATOMIC_RELAXED);
		}
		return (enum compare_level)level;
	}
	if (m->exact != NULL) {
		if (m->exact[a] == MATCH_NO_ID || m->exact[b] == MATCH_NO_ID)
			return COMPARE_MISSING;
		return m->exact[a] == m->exact[b] ? COMPARE_AGREE :
		    COMPARE_DISAGREE;
	}
	if (m->digits != NULL) {
		if (ia == 0 || ib == 0)
			return COMPARE_MISSING;
		n = m->ndigits[ia] < m->ndigits[ib] ? m->ndigits[ia] :
		    m->ndigits[ib];
		if (n < MATCH_DIGITS_MIN)
			return COMPARE_MISSING;
		return m->digits[ia] % tens[n] == m->digits[ib] % tens[n] ?
		    COMPARE_AGREE : COMPARE_DISAGREE;
	}
	return compare_table[ctx->in->rules[k]->comparator].compare(
	    match_value(ctx, a, k), match_value(ctx, b, k), ctx->in->nk);
}

/*
 * The order the rules are tried in when a pair is weighed, widest range of
 * weights first, and the most the rules after each can still add: a pair
 * that can no longer reach keep_floor is dropped early.
 */
static void
match_prune_prepare(struct match_ctx *ctx)
{
	const struct compare_rule	*r;
	size_t				 nr = ctx->in->nrules, i, j, t;
	double				*spread, hi, lo, w;
	int				 level;

	ctx->order = xcalloc(nr + 1, sizeof *ctx->order);
	ctx->rest_max = xcalloc(nr + 1, sizeof *ctx->rest_max);
	spread = xcalloc(nr + 1, sizeof *spread);
	for (i = 0; i < nr; i++) {
		r = ctx->in->rules[i];
		hi = lo = rule_weight(r, COMPARE_MISSING);
		for (level = COMPARE_AGREE; level <= COMPARE_DISAGREE;
		    level++) {
			w = rule_weight(r, (enum compare_level)level);
			hi = w > hi ? w : hi;
			lo = w < lo ? w : lo;
		}
		ctx->rest_max[i] = hi;
		spread[i] = hi - lo;
		ctx->order[i] = i;
	}
	/* Insertion sort: a handful of rules. */
	for (i = 1; i < nr; i++)
		for (j = i; j > 0 && spread[ctx->order[j]] >
		    spread[ctx->order[j - 1]]; j--) {
			t = ctx->order[j];
			ctx->order[j] = ctx->order[j - 1];
			ctx->order[j - 1] = t;
		}
	for (i = 0; i < nr; i++)
		spread[i] = ctx->rest_max[ctx->order[i]];
	ctx->rest_max[nr] = 0;
	for (i = nr; i-- > 0;)
		ctx->rest_max[i] = ctx->rest_max[i + 1] + spread[i];
	free(spread);

	/*
	 * Below the review threshold, and below link - margin (how close a
	 * runner-up must come to make a link ambiguous), a score decides
	 * nothing; the small allowance covers rounding in the bound.
	 */
	ctx->keep_floor = ctx->cfg->review;
	if (ctx->cfg->link < ctx->keep_floor)
		ctx->keep_floor = ctx->cfg->link;
	if (ctx->cfg->link - ctx->cfg->margin < ctx->keep_floor)
		ctx->keep_floor = ctx->cfg->link - ctx->cfg->margin;
	ctx->keep_floor -= 1e-6;
}

/*
 * Weighs a and b into p, or returns 0 for a pair that can change nothing:
 * two person accounts that share no identifier and that an attribute
 * vetoes or whose score cannot reach keep_floor. Every use of the pairs
 * ignores those: linking and the runner-up look at scores from link -
 * margin up, review from review up, and none at vetoed pairs without an
 * identifier. Pairs with an admin account are all kept (their own
 * matching weighs every candidate). A kept pair's score is summed in rule
 * order, as match_eval does, to the same bits.
 */
static int
match_keep(struct match_ctx *ctx, size_t a, size_t b, struct pair *p,
    enum compare_level *levels)
{
	const struct compare_rule	*r;
	enum compare_level		 level;
	double				 w, bound = 0;
	size_t				 i, k, nr = ctx->in->nrules;

	if (ctx->kind[a] != ACCOUNT_PERSON || ctx->kind[b] != ACCOUNT_PERSON) {
		match_eval(ctx, a, b, p, NULL);
		return 1;
	}
	if ((ctx->sharer[a] && ctx->sharer[b] && pairset_has(&ctx->shared, a,
	    b)) || (ctx->big[a] && ctx->big[b] &&
	    match_shares_big(ctx, a, b))) {
		match_eval(ctx, a, b, p, NULL);
		return 1;
	}
	for (i = 0; i < nr; i++) {
		k = ctx->order[i];
		r = ctx->in->rules[k];
		level = match_level(ctx, k, a, b);
		levels[k] = level;
		w = rule_weight(r, level);
		if (w <= ctx->cfg->veto)
			return 0;
		bound += w;
		if (bound + ctx->rest_max[i + 1] < ctx->keep_floor)
			return 0;
	}
	p->a = a < b ? a : b;
	p->b = a < b ? b : a;
	p->exact = -1;
	p->vetoed = 0;
	p->score = 0;
	for (k = 0; k < nr; k++)
		p->score += rule_weight(ctx->in->rules[k], levels[k]);
	return 1;
}

/*
 * One share of the weighing (match_pool_run's job t): accounts from..to,
 * their pairs with later accounts in order. The jobs read the context and
 * fill the memo tables (same levels whoever fills a cell); each writes
 * only its own job.
 */
struct weigh_job {
	const struct block_walk	*w;
	const size_t		*mstart, *mblock, *dom;
	const unsigned char	*kind;
	size_t			 from, to;
	struct pair		*pairs;
	size_t			 npairs, alloc, compared;
};

/* What is left of one of an account's blocks: its later accounts. */
struct weigh_run {
	const size_t	*p, *end;
};

/*
 * Account a's partners (later accounts of its blocks, each once, in
 * scope and eligible) into cand in ascending order; their number. The
 * blocks' lists are ascending: merged, they come out in order and an
 * account in several of a's blocks comes out once, with no table to mark
 * them nor sort after. run has room for each of a's blocks.
 */
static size_t
weigh_partners(struct match_ctx *ctx, const struct weigh_job *job, size_t a,
    struct weigh_run *run, size_t *cand)
{
	const size_t	*v;
	size_t		 nrun = 0, ncand = 0, k, m, lo, hi, b, size;

	for (k = job->mstart[a]; k < job->mstart[a + 1]; k++) {
		v = job->w->lists[job->mblock[k]];
		size = job->w->sizes[job->mblock[k]];
		/* The first account after a. */
		for (lo = 0, hi = size; lo < hi;) {
			m = lo + (hi - lo) / 2;
			if (v[m] <= a)
				lo = m + 1;
			else
				hi = m;
		}
		if (lo < size) {
			run[nrun].p = v + lo;
			run[nrun++].end = v + size;
		}
	}
	while (nrun > 0) {
		for (b = *run[0].p, k = 1; k < nrun; k++)
			if (*run[k].p < b)
				b = *run[k].p;
		/* Past b in every run; a run at its end leaves. */
		for (k = 0; k < nrun;) {
			if (*run[k].p == b && ++run[k].p == run[k].end) {
				run[k] = run[--nrun];
				continue;
			}
			k++;
		}
		if (in_scope(ctx, b) && match_eligible(job->kind, job->dom, a,
		    b))
			cand[ncand++] = b;
	}
	return ncand;
}

static void
match_weigh(struct match_ctx *ctx, size_t t)
{
	struct weigh_job	*job = &ctx->jobs[t];
	enum compare_level	*levels;
	struct weigh_run	*run;
	size_t			*cand, ncand, a, j, most = 0;

	levels = xcalloc(ctx->in->nrules + 1, sizeof *levels);
	for (a = job->from; a < job->to; a++)
		if (job->mstart[a + 1] - job->mstart[a] > most)
			most = job->mstart[a + 1] - job->mstart[a];
	run = xcalloc(most + 1, sizeof *run);
	cand = xcalloc(ctx->n + 1, sizeof *cand);
	for (a = job->from; a < job->to; a++) {
		if (!in_scope(ctx, a))
			continue;
		ncand = weigh_partners(ctx, job, a, run, cand);
		job->compared += ncand;
		for (j = 0; j < ncand; j++) {
			if (job->npairs == job->alloc) {
				job->alloc = job->alloc == 0 ? 4096 :
				    job->alloc * 2;
				job->pairs = xreallocarray(job->pairs,
				    job->alloc, sizeof *job->pairs);
			}
			if (match_keep(ctx, a, cand[j],
			    &job->pairs[job->npairs], levels))
				job->npairs++;
		}
	}
	free(cand);
	free(run);
	free(levels);
}

/* How many threads weigh pairs: the processors there are, up to 4. */
static size_t
match_threads(void)
{
	long	 n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 4 ? 4 : (size_t)n;
}


/* ------------------------------------------------------------ scope */

/*
 * What a run need match again. The last run saved each account's
 * component (of its kept pairs, its person and link decisions) where the
 * component came out as it went in. Such a component, with the same
 * accounts, pairs and decisions, comes out the same again; so a run
 * matches again only the components of accounts new, changed or gone, of
 * accounts they now pair with, of every account in a block or identifier
 * value that crossed its limit (pairs appear or vanish there), and of
 * decisions made since. What it matches is closed: no kept pair leaves
 * it. Everything else stands as the last state has it.
 */

static size_t	 match_lookup(const struct match_ctx *, const char *,
		    const char *);
static void	 match_ctx_free(struct match_ctx *);

static size_t
uf_find(size_t *up, size_t i)
{
	while (up[i] != i) {
		up[i] = up[up[i]];
		i = up[i];
	}
	return i;
}

/* The smaller index is the root: a component's root is its first. */
static void
uf_union(size_t *up, size_t a, size_t b)
{
	a = uf_find(up, a);
	b = uf_find(up, b);
	if (a < b)
		up[b] = a;
	else if (b < a)
		up[a] = b;
}

/* A key's accounts when their count crossed its limit since the last
 * run: counted now, less the changed ones' new keys, plus their old. */
struct scope_cross {
	const struct match_ctx	*ctx;
	const struct keyset	*now, *added, *removed;
	int			 exact;
	unsigned char		*seed;
	size_t			 crossed;
};

static void
scope_cross_key(uint64_t key, const size_t *v, size_t n, void *arg)
{
	struct scope_cross	*sc = arg;
	const size_t		*cur;
	size_t			 ncur, nadd, nrem, was, max, i;

	(void)v;
	(void)n;
	max = sc->exact ? MATCH_IDENTIFIER_MAX :
	    (size_t)sc->ctx->cfg->max_block;
	cur = keyset_get_hash(sc->now, key, &ncur);
	(void)keyset_get_hash(sc->added, key, &nadd);
	(void)keyset_get_hash(sc->removed, key, &nrem);
	was = ncur - nadd + nrem;
	if ((was > max) == (ncur > max))
		return;
	for (i = 0; i < ncur; i++)
		sc->seed[cur[i]] = 1;
	sc->crossed++;
}

/* The keys of identifiers (exact) or blocks that the changed accounts
 * added or removed, each checked. */
static void
scope_cross(struct scope_cross *sc, int exact, const struct keyset *now,
    const struct keyset *added, const struct keyset *removed)
{
	sc->exact = exact;
	sc->now = now;
	sc->added = added;
	sc->removed = removed;
	keyset_foreach(added, scope_cross_key, sc);
	keyset_foreach(removed, scope_cross_key, sc);
}

/* The old accounts' keys, prepared as the run's own are. */
static void
scope_old_keys(const struct match_ctx *ctx, struct account **olds,
    size_t nolds, struct keyset **ex, struct keyset **bl)
{
	struct match_input	 in = *ctx->in;
	struct match_ctx	 o;
	struct keyset_batch	*bex, *bbl;
	struct exact_scratch	 sc;
	size_t			 i;

	in.accounts = olds;
	in.naccounts = nolds;
	memset(&o, 0, sizeof o);
	o.in = &in;
	o.cfg = ctx->cfg;
	o.n = nolds;
	o.nd = ctx->nd;
	o.nexact = ctx->nexact;
	match_prepare_values(&o);
	match_exact_alloc(&o);
	bex = keyset_batch_new();
	bbl = keyset_batch_new();
	memset(&sc, 0, sizeof sc);
	for (i = 0; i < o.n; i++) {
		if (is_person(&o, i) || is_admin(&o, i))
			match_prepare_exact(&o, i, &o.exact_room[0], &sc);
		match_keys(&o, bex, bbl, i);
	}
	free(sc.items);
	*ex = match_load(bex);
	*bl = match_load(bbl);
	match_ctx_free(&o);
}

/* Whether matching only some accounts can give what matching all would;
 * if not, why not. */
static int
scope_possible(const struct match_ctx *ctx, char *why, size_t whylen)
{
	size_t	 k;

	for (k = 0; k < ctx->in->nrules; k++)
		if (account_attr_volatile(ctx->in->rules[k]->item.label)) {
			snprintf(why, whylen, "rule %s compares an attribute "
			    "that changes on its own",
			    ctx->in->rules[k]->item.label);
			return 0;
		}
	for (k = 0; k < ctx->nexact; k++)
		if (account_attr_volatile(ctx->cfg->exact.items[k])) {
			snprintf(why, whylen, "identifier %s changes on its "
			    "own", ctx->cfg->exact.items[k]);
			return 0;
		}
	return 1;
}

/* The accounts a changed account now pairs with, seeded. */
static void
scope_partners(struct match_ctx *ctx, const unsigned char *changed,
    const struct block_walk *w, const size_t *mstart, const size_t *mblock,
    const size_t *dom, unsigned char *seed)
{
	enum compare_level	*levels;
	struct pair		 p;
	const size_t		*v;
	size_t			*stamp, x, b, k, m;

	levels = xcalloc(ctx->in->nrules + 1, sizeof *levels);
	stamp = xcalloc(ctx->n + 1, sizeof *stamp);
	for (x = 0; x < ctx->n; x++)
		stamp[x] = MATCH_NONE;
	for (x = 0; x < ctx->n; x++) {
		if (!changed[x])
			continue;
		for (k = mstart[x]; k < mstart[x + 1]; k++) {
			v = w->lists[mblock[k]];
			for (m = 0; m < w->sizes[mblock[k]]; m++) {
				b = v[m];
				if (b == x || stamp[b] == x || seed[b])
					continue;
				stamp[b] = x;
				if (!match_eligible(ctx->kind, dom, x, b))
					continue;
				ctx->out->stats.pairs++;
				if (match_keep(ctx, x < b ? x : b, x < b ? b : x,
				    &p, levels))
					seed[b] = 1;
			}
		}
	}
	free(stamp);
	free(levels);
}

/*
 * Sets ctx->scope, or leaves it NULL (every account) saying why. ex and
 * bl: the run's identifier and blocking keys; w, mstart, mblock: the
 * blocks compared in and each account's.
 */
static void
match_scope(struct match_ctx *ctx, const struct keyset *ex,
    const struct keyset *bl, const struct block_walk *w, const size_t *mstart,
    const size_t *mblock, const size_t *dom)
{
	const struct state		*prev = ctx->in->prev;
	const struct state_account	*sa;
	const struct decision		*d;
	struct scope_cross		 sc;
	struct index			*labels;
	struct keyset			*ex_add, *bl_add, *ex_rem = NULL;
	struct keyset			*bl_rem = NULL;
	struct keyset_batch		*badd_ex, *badd_bl;
	struct account			**olds;
	unsigned char			*seed, *changed;
	const size_t			*v;
	size_t				*up, i, n, a, b, nolds = 0, nchanged = 0;
	size_t				 ngone = 0, nscope = 0;
	char				 why[256];

	if (!scope_possible(ctx, why, sizeof why)) {
		log_info("matching every account: %s", why);
		return;
	}
	seed = xcalloc(ctx->n + 1, 1);
	changed = xcalloc(ctx->n + 1, 1);
	up = xcalloc(ctx->n + 1, sizeof *up);
	labels = index_new();
	olds = xcalloc(prev->naccounts + 1, sizeof *olds);
	badd_ex = keyset_batch_new();
	badd_bl = keyset_batch_new();
	for (i = 0; i < ctx->n; i++) {
		up[i] = i;
		if (ctx->old[i] == MATCH_NONE) {
			seed[i] = changed[i] = 1;
			nchanged++;
			match_keys(ctx, badd_ex, badd_bl, i);
			continue;
		}
		sa = &prev->accounts[ctx->old[i]];
		if (sa->component == NULL)
			seed[i] = 1;
		else if ((v = index_get(labels, sa->component, &n)) != NULL)
			uf_union(up, i, v[0]);
		else
			index_add(labels, sa->component, i);
		if (state_account_same(sa, ctx_account(ctx, i),
		    ctx->in->now_ms))
			continue;
		seed[i] = changed[i] = 1;
		nchanged++;
		/* Loaded only when its content or kind changed; else its
		 * keys are as they were. */
		if (!sa->partial) {
			match_keys(ctx, badd_ex, badd_bl, i);
			olds[nolds++] = sa->account;
		}
	}
	ex_add = match_load(badd_ex);
	bl_add = match_load(badd_bl);
	for (i = 0; i < prev->naccounts; i++) {
		sa = &prev->accounts[i];
		if (ctx->now[i] != MATCH_NONE)
			continue;
		ngone++;
		if (sa->component != NULL && (v = index_get(labels,
		    sa->component, &n)) != NULL)
			seed[v[0]] = 1;
		if (sa->partial && (sa->account->kind == ACCOUNT_PERSON ||
		    sa->account->kind == ACCOUNT_ADMIN)) {
			snprintf(why, sizeof why, "the attributes of account "
			    "%s, gone, are not loaded", sa->account->guid);
			goto full;
		}
		olds[nolds++] = sa->account;
	}
	if (nchanged + ngone > ctx->n / 4) {
		snprintf(why, sizeof why, "%zu accounts new or changed and "
		    "%zu gone, of %zu", nchanged, ngone, ctx->n);
		goto full;
	}
	for (i = 0; i < prev->ndecisions; i++) {
		d = &prev->decisions[i];
		a = match_lookup(ctx, d->a_domain, d->a_guid);
		b = match_lookup(ctx, d->b_domain, d->b_guid);
		if (d->kind == DECISION_LINK && a != MATCH_NONE &&
		    b != MATCH_NONE)
			uf_union(up, a, b);
		if (d->id <= ctx->in->decided_after)
			continue;
		if (a != MATCH_NONE)
			seed[a] = 1;
		if (b != MATCH_NONE)
			seed[b] = 1;
	}
	scope_old_keys(ctx, olds, nolds, &ex_rem, &bl_rem);
	memset(&sc, 0, sizeof sc);
	sc.ctx = ctx;
	sc.seed = seed;
	scope_cross(&sc, 1, ex, ex_add, ex_rem);
	scope_cross(&sc, 0, bl, bl_add, bl_rem);
	scope_partners(ctx, changed, w, mstart, mblock, dom, seed);

	for (i = 0; i < ctx->n; i++)
		if (seed[i])
			seed[uf_find(up, i)] = 1;
	ctx->scope = xcalloc(ctx->n + 1, 1);
	for (i = 0; i < ctx->n; i++) {
		ctx->scope[i] = seed[uf_find(up, i)];
		nscope += ctx->scope[i];
	}
	log_info("matching %zu accounts again: %zu new or changed, %zu gone, "
	    "%zu blocks or identifiers past their limit or back, and what "
	    "they pair with", nscope, nchanged, ngone, sc.crossed);
	goto out;
full:
	log_info("matching every account: %s", why);
out:
	ctx->out->stats.rematched = ctx->scope != NULL ? nscope : ctx->n;
	index_free(labels);
	keyset_free(ex_add);
	keyset_free(bl_add);
	keyset_free(ex_rem);
	keyset_free(bl_rem);
	free(olds);
	free(up);
	free(changed);
	free(seed);
}

/*
 * Candidate pairs from the identifier and blocking indexes, each compared
 * once; then per account and domain the best and second-best score. Each
 * account in turn gathers its partners from its blocks (later accounts
 * only, each once), so the work grows with the blocks, not with a table of
 * every pair, and the pairs come out in order.
 */
static void
match_pairs(struct match_ctx *ctx)
{
	struct keyset		*ex, *bl;
	struct block_walk	 w;
	struct pair		*p;
	struct weigh_job	*jobs;
	int64_t			 t0;
	unsigned char		*kind;
	size_t			 i, j, k, a, t, nt, *fill, *mstart, *mblock;
	size_t			*dom, total, done;

	t0 = wtime_mono_ms();
	/* The indexes in parts by key, a thread filling each. */
	nt = match_threads();
	ex = ctx->key_ex = keyset_new(nt);
	bl = ctx->key_bl = keyset_new(nt);
	ctx->nbatches = nt;
	ctx->batch_ex = xcalloc(nt, sizeof *ctx->batch_ex);
	ctx->batch_bl = xcalloc(nt, sizeof *ctx->batch_bl);
	for (t = 0; t < nt; t++) {
		ctx->batch_ex[t] = keyset_batch_new();
		ctx->batch_bl[t] = keyset_batch_new();
	}
	match_pool_run(ctx, nt, match_keys_gather);
	match_phase("  gathering keys", &t0);
	match_pool_run(ctx, nt, match_keys_load);
	for (t = 0; t < nt; t++) {
		keyset_batch_free(ctx->batch_ex[t]);
		keyset_batch_free(ctx->batch_bl[t]);
	}
	free(ctx->batch_ex);
	free(ctx->batch_bl);
	ctx->batch_ex = ctx->batch_bl = NULL;
	ctx->key_ex = ctx->key_bl = NULL;
	match_phase("  loading keys", &t0);
	memset(&w, 0, sizeof w);
	w.ctx = ctx;
	w.exact = 1;
	keyset_foreach(ex, match_block_collect, &w);
	if (w.too_big > 0)
		log_warnx("matching: %zu identifier values are carried by more "
		    "than %d accounts each (up to %zu) and link nothing",
		    w.too_big, MATCH_IDENTIFIER_MAX, w.largest);
	w.exact = 0;
	w.too_big = w.largest = 0;
	keyset_foreach(bl, match_block_collect, &w);
	if (w.too_big > 0)
		log_warnx("matching: %zu blocks hold more than max_block = %lld "
		    "accounts (up to %zu) and were not compared; add a "
		    "blocking key that splits them", w.too_big,
		    (long long)ctx->cfg->max_block, w.largest);
	ctx->out->stats.blocks_skipped = w.too_big;

	/* Each account's blocks. */
	mstart = xcalloc(ctx->n + 1, sizeof *mstart);
	for (i = 0; i < w.nblocks; i++)
		for (j = 0; j < w.sizes[i]; j++)
			mstart[w.lists[i][j] + 1]++;
	for (i = 0; i < ctx->n; i++)
		mstart[i + 1] += mstart[i];
	mblock = xcalloc(mstart[ctx->n] + 1, sizeof *mblock);
	fill = xcalloc(ctx->n + 1, sizeof *fill);
	for (i = 0; i < w.nblocks; i++)
		for (j = 0; j < w.sizes[i]; j++) {
			a = w.lists[i][j];
			mblock[mstart[a] + fill[a]++] = i;
		}
	free(fill);

	/* What match_eligible and match_keep read, close together. */
	kind = ctx->kind;
	dom = xcalloc(ctx->n + 1, sizeof *dom);
	for (i = 0; i < ctx->n; i++)
		dom[i] = ctx_account(ctx, i)->domain;

	match_prune_prepare(ctx);
	match_number_ids(ctx);
	match_memo_prepare(ctx);
	ctx->big = xcalloc(ctx->n + 1, sizeof *ctx->big);
	ctx->sharer = xcalloc(ctx->n + 1, sizeof *ctx->sharer);
	keyset_foreach(ex, match_shared_collect, ctx);
	match_phase("  blocks and comparison tables", &t0);
	if (ctx->in->delta) {
		match_scope(ctx, ex, bl, &w, mstart, mblock, dom);
		match_phase("  what to match again", &t0);
	}
	/* The accounts split where the blocks they are in (a measure of
	 * their pairs) are shared out evenly. */
	jobs = xcalloc(nt, sizeof *jobs);
	for (i = 0, total = 0; i < ctx->n; i++)
		for (k = mstart[i]; in_scope(ctx, i) && k < mstart[i + 1]; k++)
			total += w.sizes[mblock[k]];
	for (t = 0, a = 0, done = 0; t < nt; t++) {
		jobs[t].w = &w;
		jobs[t].mstart = mstart;
		jobs[t].mblock = mblock;
		jobs[t].dom = dom;
		jobs[t].kind = kind;
		jobs[t].from = a;
		for (; a < ctx->n && (t == nt - 1 || done * nt < total *
		    (t + 1)); a++)
			for (k = mstart[a]; in_scope(ctx, a) &&
			    k < mstart[a + 1]; k++)
				done += w.sizes[mblock[k]];
		jobs[t].to = a;
	}
	ctx->jobs = jobs;
	match_pool_run(ctx, nt, match_weigh);
	ctx->jobs = NULL;
	for (t = 0; t < nt; t++)
		ctx->npairs += jobs[t].npairs;
	ctx->pairs = xcalloc(ctx->npairs + 1, sizeof *ctx->pairs);
	for (t = 0, i = 0; t < nt; t++) {
		if (jobs[t].npairs > 0)
			memcpy(&ctx->pairs[i], jobs[t].pairs,
			    jobs[t].npairs * sizeof *ctx->pairs);
		i += jobs[t].npairs;
		ctx->out->stats.pairs += jobs[t].compared;
		free(jobs[t].pairs);
	}
	free(jobs);
	free(dom);
	free(mstart);
	free(mblock);
	free(w.lists);
	free(w.sizes);
	keyset_free(ex);
	keyset_free(bl);

	match_phase("  weighing", &t0);
	ctx->adj_start = xcalloc(ctx->n + 1, sizeof *ctx->adj_start);
	for (i = 0; i < ctx->npairs; i++) {
		ctx->adj_start[ctx->pairs[i].a + 1]++;
		ctx->adj_start[ctx->pairs[i].b + 1]++;
	}
	for (i = 0; i < ctx->n; i++)
		ctx->adj_start[i + 1] += ctx->adj_start[i];
	ctx->adj = xcalloc(ctx->adj_start[ctx->n] + 1, sizeof *ctx->adj);
	fill = xcalloc(ctx->n + 1, sizeof *fill);
	for (i = 0; i < ctx->npairs; i++) {
		p = &ctx->pairs[i];
		ctx->adj[ctx->adj_start[p->a] + fill[p->a]++] = i;
		ctx->adj[ctx->adj_start[p->b] + fill[p->b]++] = i;
	}
	free(fill);

	ctx->best = xcalloc(ctx->n * ctx->nd + 1, sizeof *ctx->best);
	ctx->second = xcalloc(ctx->n * ctx->nd + 1, sizeof *ctx->second);
	ctx->exact_n = xcalloc(ctx->n * ctx->nd + 1, sizeof *ctx->exact_n);
	for (i = 0; i < ctx->n * ctx->nd; i++)
		ctx->best[i] = ctx->second[i] = -INFINITY;
	for (i = 0; i < ctx->npairs; i++) {
		p = &ctx->pairs[i];
		if (p->vetoed || !is_person(ctx, p->a) ||
		    !is_person(ctx, p->b))
			continue;
		match_record_best(ctx, p->a, p->b, p);
		match_record_best(ctx, p->b, p->a, p);
	}
}

/* ------------------------------------------------------------ clusters */

/* Cluster c's primary account in each domain. */
static size_t *
cluster_primary(const struct match_ctx *ctx, size_t c)
{
	return &ctx->primaries[c * ctx->nd];
}

static size_t
cluster_new(struct match_ctx *ctx, const char *id)
{
	struct cluster	*c;
	size_t		 i;

	if (ctx->nclusters == ctx->clusters_alloc) {
		ctx->clusters_alloc = ctx->clusters_alloc == 0 ? 1024 :
		    ctx->clusters_alloc * 2;
		ctx->clusters = xreallocarray(ctx->clusters,
		    ctx->clusters_alloc, sizeof *ctx->clusters);
		ctx->primaries = xreallocarray(ctx->primaries,
		    ctx->clusters_alloc, ctx->nd * sizeof *ctx->primaries);
	}
	c = &ctx->clusters[ctx->nclusters];
	memset(c, 0, sizeof *c);
	for (i = 0; i < ctx->nd; i++)
		cluster_primary(ctx, ctx->nclusters)[i] = MATCH_NONE;
	c->created_run = ctx->in->run_id;
	c->created_ms = ctx->in->now_ms;
	if (id != NULL) {
		str_copy(c->id, id, sizeof c->id);
		c->existing = 1;
	}
	return ctx->nclusters++;
}

static void
cluster_add(struct match_ctx *ctx, size_t c, size_t i)
{
	struct cluster	*cl = &ctx->clusters[c];

	if (cl->nmembers == cl->alloc) {
		cl->alloc = cl->alloc == 0 ? 4 : cl->alloc * 2;
		cl->members = xreallocarray(cl->members, cl->alloc,
		    sizeof *cl->members);
	}
	cl->members[cl->nmembers++] = i;
	if (is_person(ctx, i))
		cluster_primary(ctx, c)[ctx_account(ctx, i)->domain] = i;
	ctx->cl[i] = c;
	ctx->out->links[i].secondary = !is_person(ctx, i);
}

static void
cluster_remove(struct match_ctx *ctx, size_t c, size_t i)
{
	struct cluster	*cl = &ctx->clusters[c];
	size_t		 k;

	for (k = 0; k < cl->nmembers; k++)
		if (cl->members[k] == i)
			break;
	if (k == cl->nmembers)
		return;
	memmove(&cl->members[k], &cl->members[k + 1],
	    (cl->nmembers - k - 1) * sizeof *cl->members);
	cl->nmembers--;
	if (is_person(ctx, i))
		cluster_primary(ctx, c)[ctx_account(ctx, i)->domain] =
		    MATCH_NONE;
	ctx->cl[i] = MATCH_NONE;
}

static void
cluster_absorb(struct match_ctx *ctx, size_t into, size_t from)
{
	struct cluster	*f = &ctx->clusters[from];
	size_t		 k;

	for (k = 0; k < f->nmembers; k++)
		cluster_add(ctx, into, f->members[k]);
	f->nmembers = 0;
	f->dead = 1;
}

static int
cluster_unlinked_from(const struct match_ctx *ctx, size_t i,
    const struct cluster *c)
{
	char		*key;
	size_t		 n;

	if (!c->existing || index_keys(ctx->unlinked) == 0)
		return 0;
	xasprintf(&key, "%zu\t%s", i, c->id);
	(void)index_get(ctx->unlinked, key, &n);
	free(key);
	return n > 0;
}

enum merge_block {
	MERGE_OK,
	MERGE_TWO_PRIMARIES,
	MERGE_DECIDED,		/* never-link or unlink */
	MERGE_VETO,
};

/*
 * May clusters x and y become one person? Never with two primary accounts
 * of one domain, against a decision, or when any two of their accounts
 * contradict each other (one attribute at or below the veto weight).
 */
static enum merge_block
match_can_merge(struct match_ctx *ctx, size_t x, size_t y, int check_veto,
    size_t *why_a, size_t *why_b)
{
	const struct cluster	*cx = &ctx->clusters[x];
	const struct cluster	*cy = &ctx->clusters[y];
	size_t			 d, i, j, a, b;

	for (d = 0; d < ctx->nd; d++)
		if (cluster_primary(ctx, x)[d] != MATCH_NONE &&
		    cluster_primary(ctx, y)[d] != MATCH_NONE) {
			*why_a = cluster_primary(ctx, x)[d];
			*why_b = cluster_primary(ctx, y)[d];
			return MERGE_TWO_PRIMARIES;
		}
	for (i = 0; i < cx->nmembers; i++) {
		a = cx->members[i];
		if (cluster_unlinked_from(ctx, a, cy)) {
			*why_a = *why_b = a;
			return MERGE_DECIDED;
		}
		for (j = 0; j < cy->nmembers; j++) {
			b = cy->members[j];
			if (pairset_has(&ctx->never, a, b) ||
			    cluster_unlinked_from(ctx, b, cx)) {
				*why_a = a;
				*why_b = b;
				return MERGE_DECIDED;
			}
			if (!check_veto || !is_person(ctx, a) ||
			    !is_person(ctx, b))
				continue;
			if (match_vetoed(ctx, a, b)) {
				*why_a = a;
				*why_b = b;
				return MERGE_VETO;
			}
		}
	}
	return MERGE_OK;
}

/* ------------------------------------------------------------ conflicts */

static struct match_conflict *
conflict_new(struct match_ctx *ctx, const char *kind, const char *signature,
    char *summary)
{
	struct match_result	*out = ctx->out;
	struct match_conflict	*c;

	if (index_first_or_add(ctx->conflict_keys, signature,
	    out->nconflicts) != out->nconflicts) {
		free(summary);
		return NULL;
	}
	c = match_result_conflict(out, kind);
	c->summary = summary;
	return c;
}

/* Account i in conflict c, with detail (taken; NULL: none) and its score;
 * subject: this account's link is what is in doubt, and it waits. */
static void
conflict_member_as(struct match_ctx *ctx, struct match_conflict *c, size_t i,
    char *detail, double score, int subject)
{
	struct match_member	*m;

	c->members = xreallocarray(c->members, c->nmembers + 1,
	    sizeof *c->members);
	m = &c->members[c->nmembers++];
	memset(m, 0, sizeof *m);
	m->account = i;
	if (detail != NULL) {
		m->detail = detail;
		m->score = score;
		m->has_score = 1;
	}
	if (subject)
		ctx->subject[i] = 1;
}

/* Account i in conflict c, with what agreed with other (if any). */
static void
conflict_member(struct match_ctx *ctx, struct match_conflict *c, size_t i,
    size_t other, int subject)
{
	char	*detail = NULL;
	double	 score = 0;

	if (other != MATCH_NONE)
		detail = match_detail(ctx, i, other, &score);
	conflict_member_as(ctx, c, i, detail, score, subject);
}

static void
signature2(char *dst, size_t size, const char *kind, size_t a, size_t b)
{
	snprintf(dst, size, "%s\t%zu\t%zu", kind, a < b ? a : b,
	    a < b ? b : a);
}

/* ------------------------------------------------------------ stages */

static void
link_set(struct match_ctx *ctx, size_t i, const char *reason, size_t via,
    int has_score, double score)
{
	struct match_link	*l = &ctx->out->links[i];

	free(l->reason);
	free(l->via_domain);
	free(l->via_guid);
	free(l->detail);
	l->reason = xstrdup(reason);
	l->via_domain = l->via_guid = l->detail = NULL;
	l->has_score = has_score;
	l->score = score;
	l->linked_run = ctx->in->run_id;
	if (via != MATCH_NONE) {
		l->via_domain = xstrdup(ctx_account(ctx, via)->domain_name);
		l->via_guid = xstrdup(ctx_account(ctx, via)->guid);
		l->detail = match_detail(ctx, i, via, NULL);
	}
}

/* The links of the last run stay, unless a decision or the account's kind
 * says otherwise. */
static void
match_seed(struct match_ctx *ctx)
{
	const struct state	*prev = ctx->in->prev;
	const struct state_account *sa;
	struct match_link	*l;
	struct index		*by_id = index_new();
	const size_t		*v;
	char			 name[300];
	size_t			 i, n, c, pi;
	struct account		*a;

	for (i = 0; i < ctx->n; i++) {
		a = ctx_account(ctx, i);
		if ((a->kind != ACCOUNT_PERSON && a->kind != ACCOUNT_ADMIN) ||
		    !in_scope(ctx, i))
			continue;
		if (ctx->old[i] == MATCH_NONE ||
		    prev->accounts[ctx->old[i]].person_id == NULL)
			continue;
		sa = &prev->accounts[ctx->old[i]];
		v = index_get(by_id, sa->person_id, &n);
		if (n > 0)
			c = v[0];
		else {
			c = cluster_new(ctx, sa->person_id);
			v = index_get(prev->person_index, sa->person_id, &n);
			if (n > 0) {
				pi = v[0];
				ctx->clusters[c].created_run =
				    prev->persons[pi].created_run;
				ctx->clusters[c].created_ms =
				    prev->persons[pi].created_ms;
			}
			index_add(by_id, sa->person_id, c);
		}
		if (cluster_unlinked_from(ctx, i, &ctx->clusters[c])) {
			log_info("%s: unlinked from person %s as decided",
			    account_name(a, name, sizeof name), sa->person_id);
			continue;
		}
		/* An admin account now classed as a person's own: the
		 * person may already have one in its domain. */
		if (a->kind == ACCOUNT_PERSON &&
		    cluster_primary(ctx, c)[a->domain] != MATCH_NONE) {
			log_warnx("%s: was a secondary account of person %s, "
			    "which has a primary account in %s already; "
			    "matched again", account_name(a, name,
			    sizeof name), sa->person_id, a->domain_name);
			continue;
		}
		cluster_add(ctx, c, i);
		l = &ctx->out->links[i];
		l->reason = xstrdup(sa->reason != NULL ? sa->reason :
		    "existing");
		l->has_score = sa->has_score;
		l->score = sa->score;
		l->via_domain = sa->via_domain != NULL ?
		    xstrdup(sa->via_domain) : NULL;
		l->via_guid = sa->via_guid != NULL ?
		    xstrdup(sa->via_guid) : NULL;
		l->detail = sa->detail != NULL ? xstrdup(sa->detail) : NULL;
		l->linked_run = sa->linked_run;
		ctx->out->stats.linked_existing++;
	}
	index_free(by_id);
	/* Every person account not linked yet starts a person of its own;
	 * matching then merges them. */
	for (i = 0; i < ctx->n; i++)
		if (is_person(ctx, i) && in_scope(ctx, i) &&
		    ctx->cl[i] == MATCH_NONE)
			cluster_add(ctx, cluster_new(ctx, NULL), i);
}

static size_t
match_lookup(const struct match_ctx *ctx, const char *domain,
    const char *guid)
{
	char		 key[ACCOUNT_KEY_LEN];
	const size_t	*v;
	size_t		 n;

	if (domain == NULL || guid == NULL)
		return MATCH_NONE;
	v = index_get(ctx->accounts, account_key(domain, guid, key,
	    sizeof key), &n);
	return n > 0 ? v[0] : MATCH_NONE;
}

/* Keeps the older person: its id is the one other systems know. */
static size_t
match_merge(struct match_ctx *ctx, size_t x, size_t y)
{
	struct cluster	*cx = &ctx->clusters[x], *cy = &ctx->clusters[y];

	if (cy->existing && (!cx->existing || cy->created_ms <
	    cx->created_ms || (cy->created_ms == cx->created_ms &&
	    strcmp(cy->id, cx->id) < 0))) {
		cluster_absorb(ctx, y, x);
		return y;
	}
	if (!cx->existing && !cy->existing && cy->members[0] <
	    cx->members[0]) {
		cluster_absorb(ctx, y, x);
		return y;
	}
	cluster_absorb(ctx, x, y);
	return x;
}

static void
match_decision_conflict(struct match_ctx *ctx, const struct decision *d,
    size_t a, size_t b, const char *why)
{
	struct match_conflict	*c;
	char			 na[300], nb[300], sig[64], *summary;

	xasprintf(&summary, "link decision %lld (%s, %s) cannot be applied: "
	    "%s", (long long)d->id, acct_name(ctx, a, na, sizeof na),
	    acct_name(ctx, b, nb, sizeof nb), why);
	snprintf(sig, sizeof sig, "decision\t%lld", (long long)d->id);
	if ((c = conflict_new(ctx, "decision", sig, summary)) == NULL)
		return;
	conflict_member(ctx, c, a, MATCH_NONE, 0);
	conflict_member(ctx, c, b, MATCH_NONE, 0);
}

static void
match_decisions(struct match_ctx *ctx)
{
	const struct state	*prev = ctx->in->prev;
	const struct decision	*d;
	size_t			 i, a, b, x, y, into, k, wa, wb, m, from;
	size_t			*moved, nmoved;
	char			 na[300], nb[300], why[400];

	for (i = 0; i < prev->ndecisions; i++) {
		d = &prev->decisions[i];
		if (d->kind == DECISION_UNLINK)
			continue;
		a = match_lookup(ctx, d->a_domain, d->a_guid);
		b = match_lookup(ctx, d->b_domain, d->b_guid);
		if (a == MATCH_NONE || b == MATCH_NONE) {
			log_debug("decision %lld: an account it names is gone",
			    (long long)d->id);
			continue;
		}
		/* Both or neither: a link decision joins components. */
		if (!in_scope(ctx, a) || !in_scope(ctx, b))
			continue;
		if (d->kind == DECISION_NEVER_LINK)
			continue;
		if ((!is_person(ctx, a) && !is_admin(ctx, a)) ||
		    (!is_person(ctx, b) && !is_admin(ctx, b))) {
			match_decision_conflict(ctx, d, a, b, "service and "
			    "shared accounts are never linked to a person");
			continue;
		}
		if (is_admin(ctx, a) && is_admin(ctx, b)) {
			match_decision_conflict(ctx, d, a, b, "both are admin "
			    "accounts; link each to its owner's own account");
			continue;
		}
		/* An admin account joins its owner's person. */
		if (is_admin(ctx, a) || is_admin(ctx, b)) {
			if (is_admin(ctx, b)) {
				k = a;
				a = b;
				b = k;
			}
			if (ctx->cl[a] != MATCH_NONE)
				cluster_remove(ctx, ctx->cl[a], a);
			cluster_add(ctx, ctx->cl[b], a);
			link_set(ctx, a, "manual", b, 0, 0);
			ctx->out->stats.linked_manual++;
			continue;
		}
		x = ctx->cl[a];
		y = ctx->cl[b];
		if (x == y)
			continue;
		switch (match_can_merge(ctx, x, y, 0, &wa, &wb)) {
		case MERGE_OK:
			break;
		case MERGE_TWO_PRIMARIES:
			snprintf(why, sizeof why, "the person would have two "
			    "accounts in %s (%s and %s); unlink one first",
			    ctx_account(ctx, wa)->domain_name, acct_name(ctx,
			    wa, na, sizeof na), acct_name(ctx, wb, nb,
			    sizeof nb));
			match_decision_conflict(ctx, d, a, b, why);
			continue;
		default:
			snprintf(why, sizeof why, "a later never-link or unlink "
			    "decision keeps %s and %s apart", acct_name(ctx,
			    wa, na, sizeof na), acct_name(ctx, wb, nb,
			    sizeof nb));
			match_decision_conflict(ctx, d, a, b, why);
			continue;
		}
		/* The accounts that move say why, and through which. */
		nmoved = ctx->clusters[x].nmembers + ctx->clusters[y].nmembers;
		moved = xreallocarray(NULL, nmoved, sizeof *moved);
		memcpy(moved, ctx->clusters[x].members,
		    ctx->clusters[x].nmembers * sizeof *moved);
		memcpy(moved + ctx->clusters[x].nmembers,
		    ctx->clusters[y].members,
		    ctx->clusters[y].nmembers * sizeof *moved);
		from = ctx->clusters[x].nmembers;
		into = match_merge(ctx, x, y);
		/* x's accounts moved when y absorbed it, else y's did. */
		for (k = into == y ? 0 : from; k < (into == y ? from : nmoved);
		    k++) {
			m = moved[k];
			link_set(ctx, m, "manual", into == y ? b : a, 0, 0);
		}
		free(moved);
		ctx->out->stats.linked_manual++;
	}
}

static int
pair_cmp_order(const void *x, const void *y)
{
	const struct pair	*p = *(const struct pair *const *)x;
	const struct pair	*q = *(const struct pair *const *)y;

	if ((p->exact >= 0) != (q->exact >= 0))
		return p->exact >= 0 ? -1 : 1;
	if (p->exact >= 0 && p->exact != q->exact)
		return p->exact < q->exact ? -1 : 1;
	if (p->exact < 0 && p->score != q->score)
		return p->score > q->score ? -1 : 1;
	return pair_cmp_ab(p, q);
}

/* A cluster of one account that no run has linked yet. */
static int
cluster_is_new_single(const struct match_ctx *ctx, size_t c)
{
	return !ctx->clusters[c].existing && ctx->clusters[c].nmembers == 1;
}

/* The account whose link a conflict between clusters x and y is about: a
 * new account on its own waits, the later domain's if both are. */
static size_t
match_subject(const struct match_ctx *ctx, size_t a, size_t b)
{
	int	 sa = cluster_is_new_single(ctx, ctx->cl[a]);
	int	 sb = cluster_is_new_single(ctx, ctx->cl[b]);

	if (sa && sb)
		return a > b ? a : b;
	if (sa)
		return a;
	if (sb)
		return b;
	return MATCH_NONE;
}

/*
 * A conflict about whether a and b are one person. A contradiction is
 * not a doubt (they are not one person) and a merge concerns persons that
 * exist, so neither holds an account back. detail and score: what agreed
 * for a, then for b, worked out already (the details taken), or NULL.
 */
static void
match_pair_conflict_with(struct match_ctx *ctx, const char *kind, size_t a,
    size_t b, char *summary, char *detail[2], const double score[2])
{
	struct match_conflict	*c;
	size_t			 subject = MATCH_NONE;
	char			 sig[96];

	if (strcmp(kind, "contradiction") != 0 && strcmp(kind, "merge") != 0)
		subject = match_subject(ctx, a, b);

	signature2(sig, sizeof sig, kind, a, b);
	if ((c = conflict_new(ctx, kind, sig, summary)) == NULL) {
		if (detail != NULL) {
			free(detail[0]);
			free(detail[1]);
		}
		return;
	}
	if (detail == NULL) {
		conflict_member(ctx, c, a, b, subject == a);
		conflict_member(ctx, c, b, a, subject == b);
		return;
	}
	conflict_member_as(ctx, c, a, detail[0], score[0], subject == a);
	conflict_member_as(ctx, c, b, detail[1], score[1], subject == b);
}

/* match_pair_conflict_with, the details worked out here. */
static void
match_pair_conflict(struct match_ctx *ctx, const char *kind, size_t a,
    size_t b, char *summary)
{
	match_pair_conflict_with(ctx, kind, a, b, summary, NULL, NULL);
}

/* a has candidates in domain d too close to tell apart. */
static void
match_ambiguous(struct match_ctx *ctx, size_t a, size_t d, int exact)
{
	struct match_conflict	*c;
	const struct pair	*p;
	struct buf		 names;
	size_t			 k, o, n = 0;
	char			 na[300], sig[96], *summary;
	const char		*domain_name = NULL;
	double			 floor_score;

	floor_score = ctx->best[a * ctx->nd + d] - ctx->cfg->margin;
	buf_init(&names, 0);
	for (k = ctx->adj_start[a]; k < ctx->adj_start[a + 1]; k++) {
		p = &ctx->pairs[ctx->adj[k]];
		o = p->a == a ? p->b : p->a;
		if (ctx_account(ctx, o)->domain != d || p->vetoed ||
		    !is_person(ctx, o) || (exact ? p->exact < 0 :
		    p->score < floor_score))
			continue;
		buf_printf(&names, "%s%s (%.1f)", n++ > 0 ? ", " : "",
		    acct_name(ctx, o, na, sizeof na), p->score);
		domain_name = ctx_account(ctx, o)->domain_name;
	}
	if (exact)
		xasprintf(&summary, "%s shares an identifier with %zu accounts "
		    "of %s: %s", acct_name(ctx, a, na, sizeof na), n,
		    domain_name != NULL ? domain_name : "one domain",
		    buf_cstr(&names));
	else
		xasprintf(&summary, "%s has %zu candidates in %s within %.1f "
		    "points of each other: %s", acct_name(ctx, a, na,
		    sizeof na), n, domain_name != NULL ? domain_name :
		    "one domain", ctx->cfg->margin, buf_cstr(&names));
	buf_free(&names);
	snprintf(sig, sizeof sig, "ambiguous\t%zu\t%zu", a, d);
	if ((c = conflict_new(ctx, "ambiguous", sig, summary)) == NULL)
		return;
	conflict_member(ctx, c, a, MATCH_NONE, 1);
	for (k = ctx->adj_start[a]; k < ctx->adj_start[a + 1]; k++) {
		p = &ctx->pairs[ctx->adj[k]];
		o = p->a == a ? p->b : p->a;
		if (ctx_account(ctx, o)->domain != d || p->vetoed ||
		    !is_person(ctx, o) || (exact ? p->exact < 0 :
		    p->score < floor_score))
			continue;
		conflict_member(ctx, c, o, a, 0);
	}
}

static void
match_reason(char *dst, size_t size, const struct match_ctx *ctx,
    const struct pair *p)
{
	if (p->exact >= 0)
		snprintf(dst, size, "exact:%s",
		    ctx->cfg->exact.items[p->exact]);
	else
		snprintf(dst, size, "score:%.1f", p->score);
}

/* Exact identifiers first, then scores from the highest down. */
static void
match_auto(struct match_ctx *ctx)
{
	const struct pair	**order, *p;
	size_t			 i, n = 0, x, y, into, a, b, wa, wb, k, m;
	size_t			 da, db;
	char			 na[300], nb[300], nw[300], nv[300];
	char			 reason[96], *summary;
	int			 exact;

	order = xcalloc(ctx->npairs + 1, sizeof *order);
	for (i = 0; i < ctx->npairs; i++) {
		p = &ctx->pairs[i];
		if (!is_person(ctx, p->a) || !is_person(ctx, p->b))
			continue;
		if (p->exact >= 0 || p->score >= ctx->cfg->link)
			order[n++] = p;
	}
	qsort(order, n, sizeof *order, pair_cmp_order);
	for (i = 0; i < n; i++) {
		p = order[i];
		a = p->a;
		b = p->b;
		x = ctx->cl[a];
		y = ctx->cl[b];
		if (x == y)
			continue;
		exact = p->exact >= 0;
		if (p->vetoed) {
			if (exact) {
				xasprintf(&summary, "%s and %s share %s but "
				    "an attribute contradicts it",
				    acct_name(ctx, a, na, sizeof na),
				    acct_name(ctx, b, nb, sizeof nb),
				    ctx->cfg->exact.items[p->exact]);
				match_pair_conflict(ctx, "contradiction", a, b,
				    summary);
			}
			continue;
		}
		switch (match_can_merge(ctx, x, y, 1, &wa, &wb)) {
		case MERGE_OK:
			break;
		case MERGE_TWO_PRIMARIES:
			/* A weaker match in a domain already decided. */
			if (!exact)
				continue;
			xasprintf(&summary, "%s and %s share %s, but the "
			    "person would have two accounts in %s: %s and %s",
			    acct_name(ctx, a, na, sizeof na),
			    acct_name(ctx, b, nb, sizeof nb),
			    ctx->cfg->exact.items[p->exact],
			    ctx_account(ctx, wa)->domain_name, acct_name(ctx, wa, nw,
			    sizeof nw), acct_name(ctx, wb, nv, sizeof nv));
			match_pair_conflict(ctx, "two-primaries", a, b,
			    summary);
			continue;
		case MERGE_DECIDED:
			continue;
		case MERGE_VETO:
			xasprintf(&summary, "%s and %s match (%s), but %s and "
			    "%s contradict each other",
			    acct_name(ctx, a, na, sizeof na),
			    acct_name(ctx, b, nb, sizeof nb), exact ?
			    ctx->cfg->exact.items[p->exact] : "by score",
			    acct_name(ctx, wa, nw, sizeof nw),
			    acct_name(ctx, wb, nv, sizeof nv));
			match_pair_conflict(ctx, "contradiction", a, b,
			    summary);
			continue;
		}
		da = ctx_account(ctx, a)->domain;
		db = ctx_account(ctx, b)->domain;
		if (exact && (ctx->exact_n[a * ctx->nd + db] > 1 ||
		    ctx->exact_n[b * ctx->nd + da] > 1)) {
			if (ctx->exact_n[a * ctx->nd + db] > 1)
				match_ambiguous(ctx, a, db, 1);
			if (ctx->exact_n[b * ctx->nd + da] > 1)
				match_ambiguous(ctx, b, da, 1);
			continue;
		}
		if (!exact && (ctx->second[a * ctx->nd + db] >= p->score -
		    ctx->cfg->margin || ctx->second[b * ctx->nd + da] >=
		    p->score - ctx->cfg->margin)) {
			if (ctx->second[a * ctx->nd + db] >= p->score -
			    ctx->cfg->margin)
				match_ambiguous(ctx, a, db, 0);
			if (ctx->second[b * ctx->nd + da] >= p->score -
			    ctx->cfg->margin)
				match_ambiguous(ctx, b, da, 0);
			continue;
		}
		if (ctx->clusters[x].existing && ctx->clusters[y].existing) {
			xasprintf(&summary, "%s (person %s) and %s (person %s) "
			    "match (%s%s%.1f): link them to make the two "
			    "persons one", acct_name(ctx, a, na, sizeof na),
			    ctx->clusters[x].id, acct_name(ctx, b, nb,
			    sizeof nb),
			    ctx->clusters[y].id, exact ?
			    ctx->cfg->exact.items[p->exact] : "score", exact ?
			    ", score " : " ", p->score);
			match_pair_conflict(ctx, "merge", a, b, summary);
			continue;
		}
		match_reason(reason, sizeof reason, ctx, p);
		into = match_merge(ctx, x, y);
		/* The accounts that joined say why, and through which. */
		for (k = 0; k < ctx->clusters[into].nmembers; k++) {
			m = ctx->clusters[into].members[k];
			if (ctx->out->links[m].reason != NULL)
				continue;
			link_set(ctx, m, reason, m == a ? b : a, 1, p->score);
		}
		if (exact)
			ctx->out->stats.linked_exact++;
		else
			ctx->out->stats.linked_score++;
	}
	free(order);
}

/* A pair to review as match_review_chunk worked it out. */
struct review_item {
	int	 todo;		/* a pair to review */
	size_t	 subject;	/* the account that waits, or MATCH_NONE */
	char	*summary;	/* without a subject, the pair's */
	char	*detail[2];	/* without a subject, a's then b's; with
				   one, the other account's */
	double	 score[2];
};

/* Pairs MATCH_CHUNK * c on: those between review and link that could
 * still be one person, and their details (a share of match_pool_run's;
 * nothing is merged while they are looked at). */
static void
match_review_chunk(struct match_ctx *ctx, size_t c)
{
	const struct pair	*p;
	struct review_item	*r;
	struct buf		 text;
	size_t			 i, o, wa, wb, end = (c + 1) * MATCH_CHUNK;
	char			 na[300], nb[300];

	for (i = c * MATCH_CHUNK; i < ctx->npairs && i < end; i++) {
		p = &ctx->pairs[i];
		if (!is_person(ctx, p->a) || !is_person(ctx, p->b) ||
		    p->vetoed || p->exact >= 0 || p->score < ctx->cfg->review ||
		    p->score >= ctx->cfg->link)
			continue;
		if (ctx->cl[p->a] == ctx->cl[p->b] ||
		    match_can_merge(ctx, ctx->cl[p->a], ctx->cl[p->b], 1, &wa,
		    &wb) != MERGE_OK)
			continue;
		r = &ctx->review[i];
		r->todo = 1;
		r->subject = match_subject(ctx, p->a, p->b);
		if (r->subject != MATCH_NONE) {
			o = r->subject == p->a ? p->b : p->a;
			r->detail[0] = match_detail(ctx, o, r->subject,
			    &r->score[0]);
			continue;
		}
		/* Two persons' accounts: written out as printf's "%.1f"
		 * would. */
		buf_init(&text, 0);
		buf_append_str(&text, acct_name(ctx, p->a, na, sizeof na));
		buf_append_str(&text, " and ");
		buf_append_str(&text, acct_name(ctx, p->b, nb, sizeof nb));
		buf_append_str(&text, " may be one person (score ");
		match_weight_text(&text, p->score, 0);
		buf_append_str(&text, "; ");
		match_weight_text(&text, ctx->cfg->link, 0);
		buf_append_str(&text, " links)");
		r->summary = buf_detach(&text, NULL);
		r->detail[0] = match_detail(ctx, p->a, p->b, &r->score[0]);
		r->detail[1] = match_detail(ctx, p->b, p->a, &r->score[1]);
	}
}

/* The candidate of pair i for account s. */
static size_t
review_other(const struct match_ctx *ctx, size_t i, size_t s)
{
	return ctx->pairs[i].a == s ? ctx->pairs[i].b : ctx->pairs[i].a;
}

/* Names in a review conflict's summary; its accounts hold them all. */
#define REVIEW_NAMES	5

/*
 * One conflict for account s, which waits: the others of pairs idx[0..n)
 * are its candidates (their details taken), the likeliest first, as
 * midPoint's correlation cases list an account's candidate owners. A
 * directory of namesakes pairs each of them with each of the others;
 * a conflict per pair would make a person look at every pairing.
 */
static void
match_review_subject(struct match_ctx *ctx, size_t s, size_t *idx, size_t n)
{
	struct match_conflict	*c;
	struct review_item	*r;
	struct buf		 text;
	size_t			 i, j, t;
	char			 na[300], sig[96];

	/* Insertion sort: a handful each, already in account order. */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && ctx->review[idx[j]].score[0] >
		    ctx->review[idx[j - 1]].score[0]; j--) {
			t = idx[j];
			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
	buf_init(&text, 0);
	buf_append_str(&text, acct_name(ctx, s, na, sizeof na));
	buf_append_str(&text, " may be one person with ");
	if (n == 1) {
		buf_append_str(&text, acct_name(ctx, review_other(ctx, idx[0],
		    s), na, sizeof na));
		buf_append_str(&text, " (score ");
		match_weight_text(&text, ctx->review[idx[0]].score[0], 0);
		buf_append_str(&text, "; ");
	} else {
		buf_append_str(&text, "one of ");
		buf_append_uint(&text, n);
		buf_append_str(&text, " accounts (");
	}
	match_weight_text(&text, ctx->cfg->link, 0);
	buf_append_str(&text, " links)");
	for (i = 0; n > 1 && i < n && i < REVIEW_NAMES; i++) {
		buf_append_str(&text, i == 0 ? ": " : ", ");
		buf_append_str(&text, acct_name(ctx, review_other(ctx, idx[i],
		    s), na, sizeof na));
		buf_append_str(&text, " (");
		match_weight_text(&text, ctx->review[idx[i]].score[0], 0);
		buf_append_char(&text, ')');
	}
	if (n > REVIEW_NAMES) {
		buf_append_str(&text, " and ");
		buf_append_uint(&text, n - REVIEW_NAMES);
		buf_append_str(&text, " more");
	}
	snprintf(sig, sizeof sig, "review\t%zu", s);
	if ((c = conflict_new(ctx, "review", sig, buf_detach(&text,
	    NULL))) == NULL) {
		for (i = 0; i < n; i++)
			free(ctx->review[idx[i]].detail[0]);
		return;
	}
	conflict_member_as(ctx, c, s, NULL, 0, 1);
	for (i = 0; i < n; i++) {
		r = &ctx->review[idx[i]];
		conflict_member_as(ctx, c, review_other(ctx, idx[i], s),
		    r->detail[0], r->score[0], 0);
	}
}

/* Pairs between review and link that could still be one person: worked
 * out by threads, then made conflicts in order: one for each account
 * that waits, with its candidates, and one for each pair of two
 * persons' accounts. */
static void
match_review(struct match_ctx *ctx)
{
	struct review_item	*r;
	size_t			 i, s, *start, *fill, *idx;
	unsigned char		*made;

	ctx->review = xcalloc(ctx->npairs + 1, sizeof *ctx->review);
	match_pool_run(ctx, (ctx->npairs + MATCH_CHUNK - 1) / MATCH_CHUNK,
	    match_review_chunk);
	/* Each waiting account's pairs, in order. */
	start = xcalloc(ctx->n + 2, sizeof *start);
	for (i = 0; i < ctx->npairs; i++) {
		r = &ctx->review[i];
		if (r->todo && r->subject != MATCH_NONE)
			start[r->subject + 2]++;
	}
	for (s = 0; s < ctx->n; s++)
		start[s + 2] += start[s + 1];
	fill = start + 1;
	idx = xcalloc(start[ctx->n + 1] + 1, sizeof *idx);
	for (i = 0; i < ctx->npairs; i++) {
		r = &ctx->review[i];
		if (r->todo && r->subject != MATCH_NONE)
			idx[fill[r->subject]++] = i;
	}
	/* Now start[s] .. start[s + 1]: s's. */
	made = xcalloc(ctx->n + 1, 1);
	for (i = 0; i < ctx->npairs; i++) {
		r = &ctx->review[i];
		if (!r->todo)
			continue;
		if (r->subject == MATCH_NONE) {
			match_pair_conflict_with(ctx, "review",
			    ctx->pairs[i].a, ctx->pairs[i].b, r->summary,
			    r->detail, r->score);
			continue;
		}
		s = r->subject;
		if (made[s])
			continue;
		made[s] = 1;
		match_review_subject(ctx, s, &idx[start[s]], start[s + 1] -
		    start[s]);
	}
	free(made);
	free(idx);
	free(start);
	free(ctx->review);
	ctx->review = NULL;
}

/* New persons get their ids; an account alone whose link is in doubt
 * waits without one until a person decides. */
static void
match_new_persons(struct match_ctx *ctx)
{
	struct cluster	*c;
	size_t		 i, m;

	for (i = 0; i < ctx->nclusters; i++) {
		c = &ctx->clusters[i];
		if (c->dead || c->existing)
			continue;
		if (c->nmembers == 1 && ctx->subject[c->members[0]]) {
			m = c->members[0];
			cluster_remove(ctx, i, m);
			ctx->out->links[m].in_conflict = 1;
			c->dead = 1;
			continue;
		}
		match_uuid(c->id);
		ctx->out->stats.new_persons++;
		for (m = 0; m < c->nmembers; m++)
			if (ctx->out->links[c->members[m]].reason == NULL)
				link_set(ctx, c->members[m], "new", MATCH_NONE,
				    0, 0);
	}
}

/* Admin accounts join the person whose account they match best,
 * clearly; they never start a person. */
static void
match_admins(struct match_ctx *ctx)
{
	const struct pair	*p, *best_p, *exact_p;
	size_t			 i, k, o, c, best_c, second_c, exact_c;
	size_t			 nexact, wa, wb, x;
	double			 best, second;
	char			 na[300], nb[300], reason[96], *summary;
	struct match_conflict	*cf;
	char			 sig[96];

	for (i = 0; i < ctx->n; i++) {
		if (!is_admin(ctx, i) || ctx->cl[i] != MATCH_NONE ||
		    !in_scope(ctx, i))
			continue;
		best = second = -INFINITY;
		best_c = second_c = exact_c = MATCH_NONE;
		best_p = exact_p = NULL;
		nexact = 0;
		x = cluster_new(ctx, NULL);
		cluster_add(ctx, x, i);
		for (k = ctx->adj_start[i]; k < ctx->adj_start[i + 1]; k++) {
			p = &ctx->pairs[ctx->adj[k]];
			o = p->a == i ? p->b : p->a;
			c = ctx->cl[o];
			if (!is_person(ctx, o) || c == MATCH_NONE || p->vetoed ||
			    match_can_merge(ctx, x, c, 1, &wa, &wb) !=
			    MERGE_OK)
				continue;
			if (p->exact >= 0 && c != exact_c) {
				nexact++;
				exact_c = c;
				exact_p = p;
			}
			if (c == best_c) {
				if (p->score > best) {
					best = p->score;
					best_p = p;
				}
			} else if (p->score > best) {
				if (best_c != MATCH_NONE && best > second) {
					second = best;
					second_c = best_c;
				}
				best = p->score;
				best_c = c;
				best_p = p;
			} else if (p->score > second && c != second_c)
				second = p->score;
		}
		cluster_remove(ctx, x, i);
		ctx->clusters[x].dead = 1;
		acct_name(ctx, i, na, sizeof na);
		if (nexact == 1) {
			o = exact_p->a == i ? exact_p->b : exact_p->a;
			cluster_add(ctx, exact_c, i);
			match_reason(reason, sizeof reason, ctx, exact_p);
			link_set(ctx, i, reason, o, 1, exact_p->score);
			ctx->out->stats.linked_exact++;
			continue;
		}
		if (nexact > 1) {
			xasprintf(&summary, "admin account %s shares "
			    "identifiers with the accounts of %zu persons", na,
			    nexact);
			snprintf(sig, sizeof sig, "admin\t%zu", i);
			if ((cf = conflict_new(ctx, "ambiguous", sig,
			    summary)) != NULL)
				conflict_member(ctx, cf, i, MATCH_NONE, 1);
			continue;
		}
		if (best_p == NULL || best < ctx->cfg->review)
			continue;
		o = best_p->a == i ? best_p->b : best_p->a;
		if (best >= ctx->cfg->link && second < best - ctx->cfg->margin) {
			cluster_add(ctx, best_c, i);
			match_reason(reason, sizeof reason, ctx, best_p);
			link_set(ctx, i, reason, o, 1, best);
			ctx->out->stats.linked_score++;
			continue;
		}
		xasprintf(&summary, "admin account %s may belong to %s's person "
		    "(score %.1f%s)", na, acct_name(ctx, o, nb, sizeof nb),
		    best, second >= best - ctx->cfg->margin ?
		    ", and another person's account scores as close" : "");
		signature2(sig, sizeof sig, "admin", i, o);
		if ((cf = conflict_new(ctx, best >= ctx->cfg->link ?
		    "ambiguous" : "review", sig, summary)) != NULL) {
			conflict_member(ctx, cf, i, o, 1);
			conflict_member(ctx, cf, o, i, 0);
		}
	}
}

static int
person_cmp(const void *x, const void *y)
{
	const struct match_person *p = x, *q = y;

	return strcmp(p->id, q->id);
}

/* The last state's person of account sa: the one loading found, else
 * looked up; STATE_NONE if it has none of that id. */
static size_t
match_prev_person(const struct state *prev, const struct state_account *sa)
{
	const size_t	*v;
	size_t		 n;

	if (sa->person < prev->npersons)
		return sa->person;
	v = index_get(prev->person_index, sa->person_id, &n);
	return v != NULL ? v[0] : STATE_NONE;
}

/* The accounts not matched again, linked as the last state has them;
 * out->persons has room for alloc. Their persons come in the order their
 * first accounts do, each made with room for all its members. */
static void
match_keep_persons(struct match_ctx *ctx, size_t alloc)
{
	const struct state		*prev = ctx->in->prev;
	const struct state_account	*sa;
	struct match_result		*out = ctx->out;
	struct match_person		*mp;
	struct match_link		*l;
	struct index			*by_id = index_new();
	size_t				*slot, *count, *pp, i, n, p;
	size_t				 distinct = 0;

	/* Per account, its person in prev (or prev->npersons + the one
	 * by_id numbers); per such person, its accounts kept. */
	pp = xcalloc(ctx->n + 1, sizeof *pp);
	count = xcalloc(prev->npersons + ctx->n + 1, sizeof *count);
	for (i = 0, n = 0; i < ctx->n; i++) {
		pp[i] = MATCH_NONE;
		if (in_scope(ctx, i))
			continue;
		sa = &prev->accounts[ctx->old[i]];
		if (sa->person_id == NULL)
			continue;
		if ((p = match_prev_person(prev, sa)) == STATE_NONE) {
			if ((p = index_first_or_add(by_id, sa->person_id,
			    n)) == n)
				n++;
			p += prev->npersons;
		}
		pp[i] = p;
		distinct += count[p]++ == 0;
	}
	if (out->npersons + distinct > alloc) {
		alloc = out->npersons + distinct;
		out->persons = xreallocarray(out->persons, alloc,
		    sizeof *out->persons);
	}
	slot = xcalloc(prev->npersons + n + 1, sizeof *slot);
	for (i = 0; i < ctx->n; i++) {
		if ((p = pp[i]) == MATCH_NONE)
			continue;
		sa = &prev->accounts[ctx->old[i]];
		if (slot[p] == 0) {
			slot[p] = out->npersons + 1;
			mp = &out->persons[out->npersons++];
			memset(mp, 0, sizeof *mp);
			str_copy(mp->id, sa->person_id, sizeof mp->id);
			mp->existing = 1;
			mp->members = xcalloc(count[p], sizeof *mp->members);
			if (p < prev->npersons) {
				mp->kept = 1;
				mp->created_run = prev->persons[p].created_run;
				mp->created_ms = prev->persons[p].created_ms;
			}
		}
		mp = &out->persons[slot[p] - 1];
		mp->members[mp->nmembers++] = i;
		l = &out->links[i];
		l->borrowed = 1;
		l->secondary = sa->secondary;
		l->reason = sa->reason;
		l->has_score = sa->has_score;
		l->score = sa->score;
		l->via_domain = sa->via_domain;
		l->via_guid = sa->via_guid;
		l->detail = sa->detail;
		l->linked_run = sa->linked_run;
		out->stats.linked_existing++;
	}
	free(slot);
	free(count);
	free(pp);
	index_free(by_id);
}

static void
match_collect(struct match_ctx *ctx)
{
	struct match_result	*out = ctx->out;
	struct match_person	*mp;
	struct match_member	*m;
	struct cluster		*c;
	size_t			 i, k, p, n = 0;

	for (i = 0; i < ctx->nclusters; i++)
		if (!ctx->clusters[i].dead && ctx->clusters[i].nmembers > 0)
			n++;
	out->persons = xcalloc(n + 1, sizeof *out->persons);
	for (i = 0; i < ctx->nclusters; i++) {
		c = &ctx->clusters[i];
		if (c->dead || c->nmembers == 0)
			continue;
		mp = &out->persons[out->npersons++];
		memcpy(mp->id, c->id, sizeof mp->id);
		mp->existing = c->existing;
		mp->created_run = c->created_run;
		mp->created_ms = c->created_ms;
		mp->members = c->members;
		mp->nmembers = c->nmembers;
		c->members = NULL;
	}
	if (ctx->scope != NULL)
		match_keep_persons(ctx, n + 1);
	qsort(out->persons, out->npersons, sizeof *out->persons, person_cmp);
	for (i = 0; i < out->npersons; i++)
		for (k = 0; k < out->persons[i].nmembers; k++)
			out->links[out->persons[i].members[k]].person = i;
	for (i = 0; i < out->nconflicts; i++)
		for (k = 0; k < out->conflicts[i].nmembers; k++) {
			m = &out->conflicts[i].members[k];
			p = out->links[m->account].person;
			if (p != MATCH_NONE)
				str_copy(m->person_id, out->persons[p].id,
				    sizeof m->person_id);
		}
}

/*
 * Each account's component (its kept pairs, its person, link decisions)
 * where it came out as the last state had it, for the next run to leave
 * alone; and the last state's conflicts that stand, outside the scope.
 */
static void
match_components(struct match_ctx *ctx)
{
	const struct state	*prev = ctx->in->prev;
	const struct decision	*d;
	const struct match_person *mp;
	struct match_result	*out = ctx->out;
	struct match_link	*l;
	unsigned char		*moved;
	size_t			*up, i, k, a, b, r;
	char			 key[ACCOUNT_KEY_LEN];

	up = xcalloc(ctx->n + 1, sizeof *up);
	moved = xcalloc(ctx->n + 1, 1);
	for (i = 0; i < ctx->n; i++)
		up[i] = i;
	for (i = 0; i < ctx->npairs; i++)
		uf_union(up, ctx->pairs[i].a, ctx->pairs[i].b);
	for (i = 0; i < out->npersons; i++) {
		mp = &out->persons[i];
		for (k = 1; k < mp->nmembers; k++)
			uf_union(up, mp->members[0], mp->members[k]);
	}
	for (i = 0; i < prev->ndecisions; i++) {
		d = &prev->decisions[i];
		if (d->kind != DECISION_LINK)
			continue;
		a = match_lookup(ctx, d->a_domain, d->a_guid);
		b = match_lookup(ctx, d->b_domain, d->b_guid);
		if (a != MATCH_NONE && b != MATCH_NONE)
			uf_union(up, a, b);
	}
	for (i = 0; i < ctx->n; i++) {
		l = &out->links[i];
		if (!in_scope(ctx, i) || state_link_same(ctx->old[i] ==
		    MATCH_NONE ? NULL : &prev->accounts[ctx->old[i]],
		    l->person != MATCH_NONE ? out->persons[l->person].id :
		    NULL, l))
			continue;
		moved[uf_find(up, i)] = 1;
	}
	for (i = 0; i < ctx->n; i++) {
		l = &out->links[i];
		if (!in_scope(ctx, i)) {
			/* Its component is closed: unchanged, and settled. */
			l->borrowed = 1;
			l->component = prev->accounts[ctx->old[i]].component;
			continue;
		}
		r = uf_find(up, i);
		if (!moved[r])
			l->component = xstrdup(account_key(
			    ctx_account(ctx, r)->domain_name,
			    ctx_account(ctx, r)->guid, key, sizeof key));
	}
	free(moved);
	free(up);

	if (ctx->scope == NULL)
		return;
	out->kept_conflicts = xcalloc(prev->nconflicts + 1,
	    sizeof *out->kept_conflicts);
	/* Those of the persons kept too: consolidate_run does not make
	 * them again. */
	for (i = 0; i < prev->nconflicts; i++) {
		if (prev->conflict_account[i] == SIZE_MAX ||
		    (k = ctx->now[prev->conflict_account[i]]) == MATCH_NONE ||
		    in_scope(ctx, k))
			continue;
		out->kept_conflicts[out->nkept_conflicts++] = i;
	}
}

static void
match_ctx_free(struct match_ctx *ctx)
{
	size_t	 i, j, nr = ctx->in->nrules;

	for (i = 0; ctx->distinct != NULL && i < nr; i++) {
		for (j = 0; j < ctx->ndistinct[i]; j++)
			compare_value_clear(&ctx->distinct[i][j]);
		free(ctx->distinct[i]);
	}
	free(ctx->distinct);
	free(ctx->ndistinct);
	free(ctx->vid);
	free(ctx->attrs);
	free(ctx->attr_names);
	free(ctx->rule_attr);
	free(ctx->exact_attr);
	/* The lists and their text are in the rooms. */
	free(ctx->exact_values);
	for (i = 0; ctx->exact_room != NULL && i < ctx->nexact_room; i++)
		xarena_free(ctx->exact_room[i]);
	free(ctx->exact_room);
	free(ctx->pairs);
	free(ctx->order);
	free(ctx->rest_max);
	free(ctx->kind);
	free(ctx->ids_start);
	free(ctx->ids_sorted);
	free(ctx->ids);
	for (i = 0; ctx->memo != NULL && i < ctx->in->nrules; i++) {
		free(ctx->memo[i].digits);
		free(ctx->memo[i].ndigits);
		free(ctx->memo[i].levels);
		free(ctx->memo[i].exact);
	}
	free(ctx->memo);
	free(ctx->adj_start);
	free(ctx->adj);
	free(ctx->best);
	free(ctx->second);
	free(ctx->exact_n);
	for (i = 0; i < ctx->nclusters; i++)
		free(ctx->clusters[i].members);
	free(ctx->clusters);
	free(ctx->primaries);
	free(ctx->cl);
	free(ctx->subject);
	free(ctx->never.slots);
	free(ctx->shared.slots);
	free(ctx->big);
	free(ctx->sharer);
	index_free(ctx->accounts);
	index_free(ctx->unlinked);
	index_free(ctx->conflict_keys);
	free(ctx->scope);
	free(ctx->old);
	free(ctx->now);
}


int
match_run(const struct match_input *in, struct match_result *out, char *err,
    size_t errlen)
{
	struct match_ctx	 ctx;
	const struct decision	*d;
	const struct account	*a;
	struct index		*named;
	char			 key[ACCOUNT_KEY_LEN], *k;
	size_t			 i, x, y, n;
	int			 any_named;
	int64_t			 t;

	t = wtime_mono_ms();
	memset(out, 0, sizeof *out);
	if (in->naccounts >= UINT32_MAX) {
		snprintf(err, errlen, "%zu accounts are more than matching "
		    "handles", in->naccounts);
		return -1;
	}
	memset(&ctx, 0, sizeof ctx);
	ctx.in = in;
	ctx.cfg = in->cfg;
	ctx.out = out;
	ctx.n = in->naccounts;
	ctx.nd = in->ndomains > 0 ? in->ndomains : 1;
	ctx.nexact = in->cfg->exact.count;
	out->links = xcalloc(ctx.n + 1, sizeof *out->links);
	out->nlinks = ctx.n;
	ctx.cl = xcalloc(ctx.n + 1, sizeof *ctx.cl);
	ctx.subject = xcalloc(ctx.n + 1, sizeof *ctx.subject);
	for (i = 0; i < ctx.n; i++) {
		out->links[i].person = MATCH_NONE;
		ctx.cl[i] = MATCH_NONE;
		if (ctx_account(&ctx, i)->domain >= ctx.nd) {
			snprintf(err, errlen, "account %s: domain index %zu "
			    "out of range", ctx_account(&ctx, i)->guid,
			    ctx_account(&ctx, i)->domain);
			match_ctx_free(&ctx);
			match_result_clear(out);
			return -1;
		}
	}
	ctx.accounts = index_new();
	ctx.unlinked = index_new();
	ctx.conflict_keys = index_new();
	match_prepare_values(&ctx);
	match_phase("  values", &t);
	match_exact_alloc(&ctx);
	match_pool_run(&ctx, (ctx.n + MATCH_CHUNK - 1) / MATCH_CHUNK,
	    match_prepare_chunk);
	match_phase("  identifiers", &t);
	ctx.old = xcalloc(ctx.n + 1, sizeof *ctx.old);
	ctx.now = xcalloc(in->prev->naccounts + 1, sizeof *ctx.now);
	for (i = 0; i < in->prev->naccounts; i++)
		ctx.now[i] = MATCH_NONE;
	/* The accounts decisions name, found by match_lookup. */
	named = index_new();
	for (i = 0; i < in->prev->ndecisions; i++) {
		d = &in->prev->decisions[i];
		if (d->a_domain != NULL && d->a_guid != NULL)
			index_add(named, account_key(d->a_domain, d->a_guid,
			    key, sizeof key), i);
		if (d->b_domain != NULL && d->b_guid != NULL)
			index_add(named, account_key(d->b_domain, d->b_guid,
			    key, sizeof key), i);
	}
	any_named = index_keys(named) > 0;
	for (i = 0; i < ctx.n; i++) {
		ctx.old[i] = state_prev_of(in->prev, in->accounts, i);
		if (ctx.old[i] != STATE_NONE)
			ctx.now[ctx.old[i]] = i;
		if (!any_named)
			continue;
		a = ctx_account(&ctx, i);
		(void)index_get(named, account_key(a->domain_name, a->guid,
		    key, sizeof key), &n);
		if (n > 0)
			index_add(ctx.accounts, key, i);
	}
	index_free(named);
	for (i = 0; i < in->prev->ndecisions; i++) {
		d = &in->prev->decisions[i];
		x = match_lookup(&ctx, d->a_domain, d->a_guid);
		if (x == MATCH_NONE)
			continue;
		if (d->kind == DECISION_NEVER_LINK) {
			y = match_lookup(&ctx, d->b_domain, d->b_guid);
			if (y != MATCH_NONE)
				pairset_add(&ctx.never, x, y);
		} else if (d->kind == DECISION_UNLINK && d->person_id != NULL) {
			xasprintf(&k, "%zu\t%s", x, d->person_id);
			index_add(ctx.unlinked, k, x);
			free(k);
		}
	}

	match_phase("preparing", &t);
	out->stats.rematched = ctx.n;
	match_pairs(&ctx);
	match_phase("weighing pairs", &t);
	match_seed(&ctx);
	match_decisions(&ctx);
	match_auto(&ctx);
	match_review(&ctx);
	match_new_persons(&ctx);
	match_admins(&ctx);
	match_phase("clustering", &t);
	match_collect(&ctx);
	match_components(&ctx);
	match_ctx_free(&ctx);
	match_phase("collecting", &t);
	return 0;
}

struct match_conflict *
match_result_conflict(struct match_result *res, const char *kind)
{
	struct match_conflict	*c;

	/* (A result put together by hand may have no room counted.) */
	if (res->nconflicts >= res->conflicts_alloc) {
		while (res->conflicts_alloc <= res->nconflicts)
			res->conflicts_alloc = res->conflicts_alloc == 0 ?
			    16 : res->conflicts_alloc * 2;
		res->conflicts = xreallocarray(res->conflicts,
		    res->conflicts_alloc, sizeof *res->conflicts);
	}
	c = &res->conflicts[res->nconflicts++];
	memset(c, 0, sizeof *c);
	c->kind = kind;
	return c;
}

void
match_result_clear(struct match_result *res)
{
	struct match_link	*l;
	size_t			 i, k;

	for (i = 0; i < res->nlinks; i++) {
		l = &res->links[i];
		if (l->borrowed)
			continue;
		free(l->reason);
		free(l->via_domain);
		free(l->via_guid);
		free(l->detail);
		free(l->component);
	}
	free(res->links);
	free(res->kept_conflicts);
	for (i = 0; i < res->npersons; i++) {
		free(res->persons[i].members);
		for (k = 0; k < PERSON_ATTR_COUNT; k++)
			free(res->persons[i].attrs[k]);
		free(res->persons[i].username);
		free(res->persons[i].upn);
	}
	free(res->persons);
	for (i = 0; i < res->nconflicts; i++) {
		for (k = 0; k < res->conflicts[i].nmembers; k++)
			free(res->conflicts[i].members[k].detail);
		free(res->conflicts[i].members);
		free(res->conflicts[i].summary);
	}
	free(res->conflicts);
	memset(res, 0, sizeof *res);
}
