/* estimate.c: the weights of the [compare] rules estimated from the data,
 * in the Fellegi-Sunter way: u (how often a level is seen between two
 * persons' accounts) from random pairs, m (how often between one person's)
 * by expectation-maximisation over the pairs blocking brings together;
 * the weight is log2(m/u). Written as [compare] sections that a run can
 * take in place of the hand-set weights ([match] weights_file). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "common/buf.h"
#include "common/xmalloc.h"
#include "idsync/idsync.h"

/* Blocks larger than this are left out: common surnames would only add
 * pairs of different persons, slowly. */
#define ESTIMATE_BLOCK_MAX	200
/* At most this many candidate pairs, and this many random pairs. */
#define ESTIMATE_PAIRS_MAX	2000000
#define ESTIMATE_RANDOM_PAIRS	200000
#define ESTIMATE_ITERATIONS	200
/* A rule estimated from fewer pairs than this keeps its weights. */
#define ESTIMATE_PAIRS_MIN	50
/* Nor a level seen in fewer candidate pairs than this. */
#define ESTIMATE_LEVEL_MIN	5
#define ESTIMATE_EPSILON	1e-6
/* No probability is taken as less than this: a level never seen among
 * one side's pairs would otherwise weigh infinitely. */
#define ESTIMATE_FLOOR		1e-4
#define ESTIMATE_LEVELS		4	/* by enum compare_level */

/*
 * The blocking keys: each brings together the accounts sharing a value. A
 * rule's m is estimated only from pairs some key not on the rule's own
 * attribute found, so that no rule is judged by the pairs it chose: sn's
 * from pairs sharing a given name, an employee number or a mobile, where
 * married names show.
 */
enum estimate_key {
	ESTIMATE_KEY_SURNAME,	/* sn's first word, given name's initial */
	ESTIMATE_KEY_GIVEN,	/* given name's first word, sn's initial */
	ESTIMATE_KEY_MOBILE,	/* mobile's last nine digits */
	ESTIMATE_KEY_EMPLOYEE,	/* employeeID */
	ESTIMATE_KEY_MAIL,	/* mail's local part */
	ESTIMATE_KEY_COUNT,
};

/* The attributes each key is made of. */
static const char *const estimate_key_attrs[ESTIMATE_KEY_COUNT][2] = {
	{ "sn", "givenName" },
	{ "givenName", "sn" },
	{ "mobile", NULL },
	{ "employeeID", NULL },
	{ "mail", NULL },
};

struct estimate_pair {
	size_t		 a;		/* into people */
	size_t		 b;
	unsigned	 keys;		/* bit per enum estimate_key */
};

struct estimate_ctx {
	struct account *const	*accounts;
	size_t			*people;	/* indexes of person accounts */
	size_t			 npeople;
	struct compare_rule *const *rules;
	size_t			 nrules;
	const struct nicknames	*nk;
	struct compare_value	*values;	/* npeople x nrules */
	struct estimate_pair	*pairs;		/* candidates */
	size_t			 npairs;
	size_t			 alloc;
	unsigned char		*gamma;		/* npairs x nrules */
	uint64_t		 rand;
};

static uint64_t
estimate_next(struct estimate_ctx *ctx)
{
	/* xorshift64*: reproducible, so that two estimates of the same data
	 * agree. */
	ctx->rand ^= ctx->rand >> 12;
	ctx->rand ^= ctx->rand << 25;
	ctx->rand ^= ctx->rand >> 27;
	return ctx->rand * 2685821657736338717ULL;
}

static void
estimate_compare(struct estimate_ctx *ctx, size_t a, size_t b,
    unsigned char *out)
{
	size_t	 k, nr = ctx->nrules;

	for (k = 0; k < nr; k++)
		out[k] = (unsigned char)compare_table[
		    ctx->rules[k]->comparator].compare(
		    &ctx->values[a * nr + k], &ctx->values[b * nr + k],
		    ctx->nk);
}

/* Two accounts of different domains: two of one domain are never one
 * person's primary accounts. */
static int
estimate_cross(const struct estimate_ctx *ctx, size_t a, size_t b)
{
	return ctx->accounts[ctx->people[a]]->domain !=
	    ctx->accounts[ctx->people[b]]->domain;
}

/* An account's value of key type t, malloc'd, or NULL. */
static char *
estimate_key(const struct account *a, enum estimate_key t)
{
	const char	*sn = account_get(a, "sn");
	const char	*gn = account_get(a, "givenName");
	const char	*v;
	char		*nsn, *ngn, *key = NULL;
	size_t		 len;

	switch (t) {
	case ESTIMATE_KEY_SURNAME:
	case ESTIMATE_KEY_GIVEN:
		if (sn == NULL || gn == NULL)
			return NULL;
		nsn = normalise_text(sn, strlen(sn));
		ngn = normalise_text(gn, strlen(gn));
		if (t == ESTIMATE_KEY_SURNAME && (len = strcspn(nsn, " ")) > 0 &&
		    ngn[0] != '\0')
			xasprintf(&key, "s:%.*s|%c", (int)len, nsn, ngn[0]);
		else if (t == ESTIMATE_KEY_GIVEN &&
		    (len = strcspn(ngn, " ")) > 0 && nsn[0] != '\0')
			xasprintf(&key, "g:%.*s|%c", (int)len, ngn, nsn[0]);
		free(nsn);
		free(ngn);
		return key;
	case ESTIMATE_KEY_MOBILE:
		if ((v = account_get(a, "mobile")) == NULL)
			return NULL;
		nsn = normalise_digits(v);
		if ((len = strlen(nsn)) >= 9)
			xasprintf(&key, "m:%s", nsn + len - 9);
		free(nsn);
		return key;
	case ESTIMATE_KEY_EMPLOYEE:
		if ((v = account_get(a, "employeeID")) == NULL || *v == '\0')
			return NULL;
		xasprintf(&key, "e:%s", v);
		return key;
	case ESTIMATE_KEY_MAIL:
		if ((v = account_get(a, "mail")) == NULL ||
		    (len = strcspn(v, "@")) == 0)
			return NULL;
		xasprintf(&key, "@:%.*s", (int)len, v);
		for (len = 0; key[len] != '\0'; len++)
			key[len] = (char)tolower((unsigned char)key[len]);
		return key;
	case ESTIMATE_KEY_COUNT:
		break;
	}
	return NULL;
}

struct estimate_blocks {
	struct estimate_ctx	*ctx;
	struct index		*types;	/* key -> its enum estimate_key */
	size_t			 skipped;
};

static void
estimate_block(const char *key, const size_t *v, size_t n, void *arg)
{
	struct estimate_blocks	*eb = arg;
	struct estimate_ctx	*ctx = eb->ctx;
	struct estimate_pair	*p;
	unsigned		 bit;
	size_t			 i, j, x, y;

	if (n > ESTIMATE_BLOCK_MAX) {
		eb->skipped++;
		return;
	}
	switch (key[0]) {
	case 's': bit = 1U << ESTIMATE_KEY_SURNAME; break;
	case 'g': bit = 1U << ESTIMATE_KEY_GIVEN; break;
	case 'm': bit = 1U << ESTIMATE_KEY_MOBILE; break;
	case 'e': bit = 1U << ESTIMATE_KEY_EMPLOYEE; break;
	default: bit = 1U << ESTIMATE_KEY_MAIL; break;
	}
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++) {
			if (ctx->npairs >= ESTIMATE_PAIRS_MAX ||
			    !estimate_cross(ctx, v[i], v[j]))
				continue;
			x = v[i] < v[j] ? v[i] : v[j];
			y = v[i] < v[j] ? v[j] : v[i];
			if (ctx->npairs == ctx->alloc) {
				ctx->alloc = ctx->alloc == 0 ? 4096 :
				    ctx->alloc * 2;
				ctx->pairs = xreallocarray(ctx->pairs,
				    ctx->alloc, sizeof *ctx->pairs);
			}
			p = &ctx->pairs[ctx->npairs++];
			p->a = x;
			p->b = y;
			p->keys = bit;
		}
}

static int
estimate_pair_cmp(const void *x, const void *y)
{
	const struct estimate_pair	*p = x, *q = y;

	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	if (p->b != q->b)
		return p->b < q->b ? -1 : 1;
	return 0;
}

/* The candidate pairs, each once with every key that found it, and their
 * comparisons. */
static void
estimate_candidates(struct estimate_ctx *ctx, struct estimate_result *res)
{
	struct estimate_blocks	 eb;
	struct index		*ix;
	char			*key;
	size_t			 i, n;
	int			 t;

	ix = index_new();
	for (i = 0; i < ctx->npeople; i++)
		for (t = 0; t < ESTIMATE_KEY_COUNT; t++)
			if ((key = estimate_key(ctx->accounts[ctx->people[i]],
			    (enum estimate_key)t)) != NULL) {
				index_add(ix, key, i);
				free(key);
			}
	memset(&eb, 0, sizeof eb);
	eb.ctx = ctx;
	index_foreach(ix, estimate_block, &eb);
	index_free(ix);
	res->blocks_skipped = eb.skipped;
	if (ctx->npairs > 1)
		qsort(ctx->pairs, ctx->npairs, sizeof *ctx->pairs,
		    estimate_pair_cmp);
	for (i = 0, n = 0; i < ctx->npairs; i++) {
		if (n > 0 && ctx->pairs[n - 1].a == ctx->pairs[i].a &&
		    ctx->pairs[n - 1].b == ctx->pairs[i].b)
			ctx->pairs[n - 1].keys |= ctx->pairs[i].keys;
		else
			ctx->pairs[n++] = ctx->pairs[i];
	}
	ctx->npairs = n;
	ctx->gamma = xcalloc(n * ctx->nrules + 1, 1);
	for (i = 0; i < n; i++)
		estimate_compare(ctx, ctx->pairs[i].a, ctx->pairs[i].b,
		    &ctx->gamma[i * ctx->nrules]);
}

/* The keys made of a rule's attribute. */
static unsigned
estimate_rule_keys(const struct compare_rule *r)
{
	unsigned	 keys = 0;
	int		 t, j;

	for (t = 0; t < ESTIMATE_KEY_COUNT; t++)
		for (j = 0; j < 2; j++)
			if (estimate_key_attrs[t][j] != NULL &&
			    strcasecmp(estimate_key_attrs[t][j],
			    r->item.label) == 0)
				keys |= 1U << t;
	return keys;
}

/* The share of each level among the non-missing ones, floored. */
static void
estimate_shares(const double count[ESTIMATE_LEVELS], int seen_partial,
    double share[ESTIMATE_LEVELS])
{
	double	 sum = 0;
	int	 l;

	for (l = COMPARE_AGREE; l < ESTIMATE_LEVELS; l++)
		sum += count[l];
	for (l = 0; l < ESTIMATE_LEVELS; l++)
		share[l] = 0;
	for (l = COMPARE_AGREE; l < ESTIMATE_LEVELS; l++) {
		if (l == COMPARE_PARTIAL && !seen_partial)
			continue;
		share[l] = sum > 0 ? count[l] / sum : 0;
		if (share[l] < ESTIMATE_FLOOR)
			share[l] = ESTIMATE_FLOOR;
	}
}

/*
 * Expectation-maximisation over some of the candidate pairs with u fixed:
 * the E step weighs each pair by how likely it is one person's (from
 * lambda, m and u, levels missing counting for nothing), the M step sets
 * m to the levels' weighted shares and lambda to the mean weight. Rules
 * in skip count for nothing and keep their m; m gets nrules x 4.
 */
struct estimate_em_out {
	double		 lambda;
	int		 iterations;
	int		 converged;
};

static void
estimate_em(const struct estimate_ctx *ctx, const size_t *subset, size_t n,
    const unsigned char *skip, const struct estimate_result *res, double *m,
    struct estimate_em_out *eo)
{
	double			*cnt, lambda = 0.3, p, lr, sum, delta;
	double			 share[ESTIMATE_LEVELS], u;
	size_t			 i, k, nr = ctx->nrules;
	int			 l, it;
	const unsigned char	*g;

	cnt = xcalloc(nr * ESTIMATE_LEVELS, sizeof *cnt);
	for (k = 0; k < nr; k++)
		for (l = 0; l < ESTIMATE_LEVELS; l++)
			m[k * ESTIMATE_LEVELS + l] = l == COMPARE_AGREE ? 0.9 :
			    l == COMPARE_MISSING ? 0 :
			    (res->rules[k].level[l].u > 0 ? 0.05 : 0);
	memset(eo, 0, sizeof *eo);
	for (it = 0; it < ESTIMATE_ITERATIONS; it++) {
		memset(cnt, 0, nr * ESTIMATE_LEVELS * sizeof *cnt);
		sum = 0;
		for (i = 0; i < n; i++) {
			g = &ctx->gamma[subset[i] * nr];
			lr = log(lambda) - log(1 - lambda);
			for (k = 0; k < nr; k++) {
				u = res->rules[k].level[g[k]].u;
				if (skip[k] || g[k] == COMPARE_MISSING || u <= 0)
					continue;
				lr += log(fmax(m[k * ESTIMATE_LEVELS + g[k]],
				    ESTIMATE_FLOOR)) - log(u);
			}
			p = lr > 40 ? 1 : lr < -40 ? 0 : 1 / (1 + exp(-lr));
			sum += p;
			for (k = 0; k < nr; k++)
				cnt[k * ESTIMATE_LEVELS + g[k]] += p;
		}
		delta = 0;
		for (k = 0; k < nr; k++) {
			if (skip[k])
				continue;
			estimate_shares(&cnt[k * ESTIMATE_LEVELS],
			    res->rules[k].level[COMPARE_PARTIAL].u > 0, share);
			for (l = COMPARE_AGREE; l < ESTIMATE_LEVELS; l++) {
				delta = fmax(delta, fabs(share[l] -
				    m[k * ESTIMATE_LEVELS + l]));
				m[k * ESTIMATE_LEVELS + l] = share[l];
			}
		}
		p = n > 0 ? sum / (double)n : 0;
		lambda = fmin(fmax(p, 1e-6), 1 - 1e-6);
		if (delta < ESTIMATE_EPSILON) {
			eo->converged = 1;
			it++;
			break;
		}
	}
	eo->iterations = it;
	eo->lambda = lambda;
	free(cnt);
}

/* An identifier: one of [match] exact, or compared as one (exact, digits). */
static int
estimate_identifier(const struct compare_rule *r,
    const struct match_config *mc)
{
	size_t	 i;

	if (r->comparator == COMPARE_EXACT || r->comparator == COMPARE_DIGITS)
		return 1;
	for (i = 0; i < mc->exact.count; i++)
		if (strcasecmp(mc->exact.items[i], r->item.label) == 0)
			return 1;
	return 0;
}

/*
 * Names and a job are what two people of one name in one department
 * share: agreeing on every attribute that is not an identifier must stay
 * below [match] link, so that such pairs are a conflict for a person to
 * look at, never a link. The model takes the attributes as independent,
 * which namesakes are not, and may estimate their sum above link; the
 * estimated agree and partial weights of those attributes are then scaled
 * down together until the sum is link - 1.
 */
static void
estimate_guard(struct estimate_result *res, const struct match_config *mc)
{
	struct estimate_level	*lv;
	double			 sum = 0, f;
	size_t			 k;
	int			 l;

	for (k = 0; k < res->nrules; k++)
		if (!estimate_identifier(res->rules[k].rule, mc) &&
		    res->rules[k].level[COMPARE_AGREE].weight > 0)
			sum += res->rules[k].level[COMPARE_AGREE].weight;
	if (sum < mc->link || mc->link <= 1)
		return;
	f = (mc->link - 1) / sum;
	res->scale = f;
	for (k = 0; k < res->nrules; k++) {
		if (estimate_identifier(res->rules[k].rule, mc))
			continue;
		for (l = COMPARE_AGREE; l <= COMPARE_PARTIAL; l++) {
			lv = &res->rules[k].level[l];
			if (lv->weight <= 0 || strcmp(lv->how, "estimated") != 0)
				continue;
			lv->weight = floor(10 * lv->weight * f) / 10;
			lv->how = "estimated, scaled";
		}
	}
}

int
estimate_run(struct account *const *accounts, size_t naccounts,
    struct compare_rule *const *rules, size_t nrules,
    const struct nicknames *nk, const struct match_config *mc,
    struct estimate_result *res,
    char *err, size_t errlen)
{
	struct estimate_ctx	 ctx;
	struct estimate_em_out	 eo;
	double			 count[ESTIMATE_LEVELS], *m, *acc, *wsum;
	double			 lsum = 0;
	unsigned char		*g, *skip;
	size_t			 i, k, a, b, n, tries, *subset;
	int			 t;
	int			 l;
	const struct compare_rule *r;

	memset(res, 0, sizeof *res);
	memset(&ctx, 0, sizeof ctx);
	ctx.accounts = accounts;
	ctx.rules = rules;
	ctx.nrules = nrules;
	ctx.nk = nk;
	ctx.rand = 0x9e3779b97f4a7c15ULL;
	if (nrules == 0) {
		snprintf(err, errlen, "no [compare] rules to estimate");
		return -1;
	}
	ctx.people = xcalloc(naccounts > 0 ? naccounts : 1,
	    sizeof *ctx.people);
	for (i = 0; i < naccounts; i++)
		if (accounts[i]->kind == ACCOUNT_PERSON)
			ctx.people[ctx.npeople++] = i;
	ctx.values = xcalloc(ctx.npeople * nrules + 1, sizeof *ctx.values);
	for (i = 0; i < ctx.npeople; i++)
		for (k = 0; k < nrules; k++)
			compare_value_init(&ctx.values[i * nrules + k],
			    account_get(accounts[ctx.people[i]],
			    rules[k]->item.label), rules[k]->comparator);
	res->rules = xcalloc(nrules, sizeof *res->rules);
	res->nrules = nrules;
	res->accounts = ctx.npeople;

	/* u: random pairs of accounts of two domains. */
	g = xcalloc(nrules, 1);
	for (k = 0; k < nrules; k++)
		res->rules[k].rule = rules[k];
	{
		double	*ucnt = xcalloc(nrules * ESTIMATE_LEVELS,
		    sizeof *ucnt);
		int	*partial = xcalloc(nrules, sizeof *partial);

		for (tries = 0; ctx.npeople > 1 && res->random_pairs <
		    ESTIMATE_RANDOM_PAIRS && tries < 4 *
		    (size_t)ESTIMATE_RANDOM_PAIRS; tries++) {
			a = estimate_next(&ctx) % ctx.npeople;
			b = estimate_next(&ctx) % ctx.npeople;
			if (a == b || !estimate_cross(&ctx, a, b))
				continue;
			estimate_compare(&ctx, a, b, g);
			for (k = 0; k < nrules; k++)
				ucnt[k * ESTIMATE_LEVELS + g[k]]++;
			res->random_pairs++;
		}
		/* A level the comparator can give: partial only for some. */
		for (k = 0; k < nrules; k++) {
			r = rules[k];
			partial[k] = r->comparator == COMPARE_NAME ||
			    r->comparator == COMPARE_TOKENS ||
			    r->comparator == COMPARE_DATE ||
			    r->comparator == COMPARE_PREFIX;
			for (l = 0; l < ESTIMATE_LEVELS; l++)
				count[l] = ucnt[k * ESTIMATE_LEVELS + l];
			for (l = 0; l < ESTIMATE_LEVELS; l++)
				res->rules[k].level[l].random = (size_t)count[l];
			{
				double	 share[ESTIMATE_LEVELS];

				estimate_shares(count, partial[k], share);
				for (l = 0; l < ESTIMATE_LEVELS; l++)
					res->rules[k].level[l].u = share[l];
			}
		}
		free(ucnt);
		free(partial);
	}
	free(g);
	if (res->random_pairs == 0) {
		snprintf(err, errlen, "no two person accounts of different "
		    "domains to compare: run ward-idsync first");
		goto fail;
	}

	/* m: by EM over the pairs blocking brings together, for each rule
	 * those some key not on its attribute found. */
	estimate_candidates(&ctx, res);
	res->pairs = ctx.npairs;
	if (ctx.npairs == 0) {
		snprintf(err, errlen, "blocking found no candidate pairs among "
		    "%zu person accounts", ctx.npeople);
		goto fail;
	}
	/*
	 * One EM pass per blocking key over the pairs it found, the rules on
	 * its own attributes left out (pairs sharing a surname agree on it
	 * whoever they are: it says nothing there). A rule's m is the
	 * passes' estimates weighed by the matches each pass found.
	 */
	subset = xcalloc(ctx.npairs, sizeof *subset);
	m = xcalloc(nrules * ESTIMATE_LEVELS, sizeof *m);
	acc = xcalloc(nrules * ESTIMATE_LEVELS, sizeof *acc);
	wsum = xcalloc(nrules, sizeof *wsum);
	skip = xcalloc(nrules, 1);
	res->converged = 1;
	for (t = 0; t < ESTIMATE_KEY_COUNT; t++) {
		for (i = 0, n = 0; i < ctx.npairs; i++)
			if (ctx.pairs[i].keys & (1U << t))
				subset[n++] = i;
		if (n == 0)
			continue;
		for (k = 0; k < nrules; k++)
			skip[k] = (estimate_rule_keys(rules[k]) &
			    (1U << t)) != 0;
		estimate_em(&ctx, subset, n, skip, res, m, &eo);
		lsum += eo.lambda * (double)n;
		res->iterations = eo.iterations > res->iterations ?
		    eo.iterations : res->iterations;
		if (!eo.converged)
			res->converged = 0;
		for (k = 0; k < nrules; k++) {
			if (skip[k])
				continue;
			res->rules[k].pairs += n;
			for (i = 0; i < n; i++)
				res->rules[k].level[ctx.gamma[subset[i] *
				    nrules + k]].candidate++;
			wsum[k] += eo.lambda * (double)n;
			for (l = 0; l < ESTIMATE_LEVELS; l++)
				acc[k * ESTIMATE_LEVELS + l] += eo.lambda *
				    (double)n * m[k * ESTIMATE_LEVELS + l];
		}
	}
	res->lambda = lsum / (double)ctx.npairs;
	for (k = 0; k < nrules; k++)
		for (l = 0; l < ESTIMATE_LEVELS; l++)
			res->rules[k].level[l].m = wsum[k] > 0 ?
			    acc[k * ESTIMATE_LEVELS + l] / wsum[k] : 0;
	free(acc);
	free(wsum);
	free(skip);
	free(m);
	free(subset);

	for (k = 0; k < nrules; k++) {
		r = rules[k];
		for (l = COMPARE_AGREE; l < ESTIMATE_LEVELS; l++) {
			struct estimate_level *lv = &res->rules[k].level[l];
			double conf = l == COMPARE_AGREE ? r->agree :
			    l == COMPARE_PARTIAL ? r->partial : r->disagree;

			lv->weight = conf;
			if (lv->u <= 0 || lv->m <= 0 || (lv->candidate == 0 &&
			    lv->random == 0)) {
				lv->how = "not seen, kept";
				continue;
			}
			/* Too few pairs say nothing. */
			if (res->rules[k].pairs < ESTIMATE_PAIRS_MIN ||
			    lv->candidate < ESTIMATE_LEVEL_MIN) {
				lv->how = "too few pairs, kept";
				continue;
			}
			/* A veto is a decision, not a statistic. */
			if (conf <= mc->veto) {
				lv->how = "veto, kept";
				continue;
			}
			lv->weight = round(10 * log2(lv->m / lv->u)) / 10;
			/* Nor may an estimate make one: that would be a rule
			 * nobody wrote. */
			if (lv->weight <= mc->veto)
				lv->weight = mc->veto + 1;
			lv->how = "estimated";
		}
		res->rules[k].level[COMPARE_MISSING].weight = r->missing;
		res->rules[k].level[COMPARE_MISSING].how = "as set";
	}
	estimate_guard(res, mc);
	for (i = 0; i < ctx.npeople * nrules; i++)
		compare_value_clear(&ctx.values[i]);
	free(ctx.values);
	free(ctx.people);
	free(ctx.gamma);
	free(ctx.pairs);
	return 0;

fail:
	for (i = 0; i < ctx.npeople * nrules; i++)
		compare_value_clear(&ctx.values[i]);
	free(ctx.values);
	free(ctx.people);
	free(ctx.gamma);
	free(ctx.pairs);
	estimate_clear(res);
	return -1;
}

void
estimate_clear(struct estimate_result *res)
{
	free(res->rules);
	memset(res, 0, sizeof *res);
}

/* The weights as [compare] sections, the numbers behind them in
 * comments: what estimate prints and --write writes. */
void
estimate_print(const struct estimate_result *res, FILE *fp)
{
	static const char *const names[] = { "missing", "agree", "partial",
	    "disagree" };
	const struct estimate_rule	*er;
	const struct estimate_level	*lv;
	size_t				 k;
	int				 l;

	/* Lines stay short: INI readers cut long ones. */
	fprintf(fp, "# Weights estimated from %zu person accounts.\n",
	    res->accounts);
	fprintf(fp, "# u: from %zu random pairs of accounts of two domains.\n",
	    res->random_pairs);
	fprintf(fp, "# m: by expectation-maximisation over %zu pairs that "
	    "blocking found\n# (at most %d iterations%s; about %.1f %% of "
	    "them one person's%s).\n", res->pairs, res->iterations,
	    res->converged ? "" : ", not converged", 100 * res->lambda,
	    res->blocks_skipped > 0 ? "; blocks too large left out" : "");
	fprintf(fp, "# weight = log2(m/u); a weight at or below [match] veto "
	    "is kept as set.\n");
	if (res->scale > 0)
		fprintf(fp, "# Agreeing on everything but identifiers came to "
		    "[match] link or more:\n# those weights are scaled by "
		    "%.2f, so that such pairs are conflicts.\n", res->scale);
	for (k = 0; k < res->nrules; k++) {
		er = &res->rules[k];
		fprintf(fp, "\n[compare \"%s\"]\n", er->rule->item.label);
		fprintf(fp, "comparator = %s\n",
		    compare_names[er->rule->comparator]);
		fprintf(fp, "# m from %zu candidate pairs found by keys not "
		    "made of %s\n", er->pairs, er->rule->item.label);
		for (l = COMPARE_AGREE; l < ESTIMATE_LEVELS; l++) {
			lv = &er->level[l];
			if (lv->u <= 0)
				continue;
			fprintf(fp, "# %s: m %.4f u %.4f (%zu candidate, %zu "
			    "random pairs), was %g: %s\n", names[l], lv->m,
			    lv->u, lv->candidate, lv->random,
			    l == COMPARE_AGREE ? er->rule->agree :
			    l == COMPARE_PARTIAL ? er->rule->partial :
			    er->rule->disagree, lv->how);
			fprintf(fp, "%s = %g\n", names[l], lv->weight);
		}
		fprintf(fp, "missing = %g\n", er->rule->missing);
	}
}

int
estimate_write(const struct estimate_result *res, const char *path,
    char *err, size_t errlen)
{
	FILE	*fp;
	char	*tmp;
	int	 ok;

	xasprintf(&tmp, "%s.tmp", path);
	if ((fp = fopen(tmp, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	estimate_print(res, fp);
	ok = fflush(fp) == 0 && !ferror(fp);
	if (fclose(fp) != 0)
		ok = 0;
	if (!ok || rename(tmp, path) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		(void)remove(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

/* ------------------------------------------------------------ loading */

struct estimate_load {
	const char		*path;
	struct compare_rule *const *rules;
	size_t			 nrules;
	double			 veto;
	struct compare_rule	*cur;
	char			*err;
	size_t			 errlen;
	int			 failed;
};

static int
estimate_ini(void *arg, const char *section, const char *name,
    const char *value)
{
	struct estimate_load	*el = arg;
	const char		*q;
	double			 w, *dst;
	char			*end;
	size_t			 k, len;

	if (el->failed)
		return 0;
	el->cur = NULL;
	if (strncmp(section, "compare \"", 9) == 0 &&
	    (q = strchr(section + 9, '"')) != NULL && q[1] == '\0') {
		len = (size_t)(q - section - 9);
		for (k = 0; k < el->nrules; k++)
			if (strlen(el->rules[k]->item.label) == len &&
			    strncasecmp(el->rules[k]->item.label, section + 9,
			    len) == 0)
				el->cur = el->rules[k];
	}
	if (el->cur == NULL) {
		snprintf(el->err, el->errlen, "%s: [%s]: not a [compare] "
		    "section of the configuration", el->path, section);
		goto bad;
	}
	if (strcmp(name, "comparator") == 0) {
		if (strcmp(value, compare_names[el->cur->comparator]) != 0) {
			snprintf(el->err, el->errlen, "%s: [%s] comparator "
			    "%s: the configuration says %s (estimate again)",
			    el->path, section, value,
			    compare_names[el->cur->comparator]);
			goto bad;
		}
		return 1;
	}
	if (strcmp(name, "agree") == 0)
		dst = &el->cur->agree;
	else if (strcmp(name, "partial") == 0)
		dst = &el->cur->partial;
	else if (strcmp(name, "disagree") == 0)
		dst = &el->cur->disagree;
	else if (strcmp(name, "missing") == 0)
		dst = &el->cur->missing;
	else {
		snprintf(el->err, el->errlen, "%s: [%s] %s: not agree, "
		    "partial, disagree, missing or comparator", el->path,
		    section, name);
		goto bad;
	}
	errno = 0;
	w = strtod(value, &end);
	if (errno != 0 || end == value || *end != '\0' || !isfinite(w) ||
	    fabs(w) > 1000) {
		snprintf(el->err, el->errlen, "%s: [%s] %s = \"%s\": not a "
		    "weight", el->path, section, name, value);
		goto bad;
	}
	/* Vetoes stay as configured, both ways. */
	if (*dst <= el->veto || w <= el->veto)
		return 1;
	*dst = w;
	return 1;
bad:
	el->failed = 1;
	return 0;
}

int
estimate_load(const char *path, struct compare_rule *const *rules,
    size_t nrules, double veto, char *err, size_t errlen)
{
	struct estimate_load	 el;
	int			 rc;

	memset(&el, 0, sizeof el);
	el.path = path;
	el.rules = rules;
	el.nrules = nrules;
	el.veto = veto;
	el.err = err;
	el.errlen = errlen;
	rc = ini_parse(path, estimate_ini, &el);
	if (el.failed)
		return -1;
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path, rc == -1 ?
		    strerror(errno) : "cannot be read");
		return -1;
	}
	if (rc > 0) {
		snprintf(err, errlen, "%s:%d: not a line of an INI file", path,
		    rc);
		return -1;
	}
	return 0;
}
