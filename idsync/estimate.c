/* estimate.c: the weights of the [compare] rules estimated from the data,
 * in the Fellegi-Sunter way: u (how often a level is seen between two
 * persons' accounts) from random pairs, m (how often between one person's)
 * by expectation-maximisation over the pairs blocking brings together;
 * the weight is log2(m/u). Written as [compare] sections that a run can
 * take in place of the hand-set weights ([match] weights_file). */
#include "config.h"

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
#define ESTIMATE_EPSILON	1e-6
/* No probability is taken as less than this: a level never seen among
 * one side's pairs would otherwise weigh infinitely. */
#define ESTIMATE_FLOOR		1e-4
#define ESTIMATE_LEVELS		4	/* by enum compare_level */

struct estimate_ctx {
	struct account *const	*accounts;
	size_t			*people;	/* indexes of person accounts */
	size_t			 npeople;
	struct compare_rule *const *rules;
	size_t			 nrules;
	const struct nicknames	*nk;
	struct compare_value	*values;	/* npeople x nrules */
	unsigned char		*gamma;		/* npairs x nrules */
	size_t			 npairs;
	size_t			 alloc;
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

static void
estimate_add_pair(struct estimate_ctx *ctx, size_t a, size_t b)
{
	if (ctx->npairs == ctx->alloc) {
		ctx->alloc = ctx->alloc == 0 ? 4096 : ctx->alloc * 2;
		ctx->gamma = xreallocarray(ctx->gamma, ctx->alloc,
		    ctx->nrules);
	}
	estimate_compare(ctx, a, b, &ctx->gamma[ctx->npairs * ctx->nrules]);
	ctx->npairs++;
}

/* Two accounts of different domains: two of one domain are never one
 * person's primary accounts. */
static int
estimate_cross(const struct estimate_ctx *ctx, size_t a, size_t b)
{
	return ctx->accounts[ctx->people[a]]->domain !=
	    ctx->accounts[ctx->people[b]]->domain;
}

/* The blocking key of an account: the surname's first word and the given
 * name's initial, normalised; NULL without both. */
static char *
estimate_key(const struct account *a)
{
	const char	*sn = account_get(a, "sn");
	const char	*gn = account_get(a, "givenName");
	char		*nsn, *ngn, *key = NULL;
	size_t		 len;

	if (sn == NULL || gn == NULL)
		return NULL;
	nsn = normalise_text(sn, strlen(sn));
	ngn = normalise_text(gn, strlen(gn));
	len = strcspn(nsn, " ");
	if (len > 0 && ngn[0] != '\0')
		xasprintf(&key, "%.*s|%c", (int)len, nsn, ngn[0]);
	free(nsn);
	free(ngn);
	return key;
}

struct estimate_blocks {
	struct estimate_ctx	*ctx;
	size_t			 skipped;
};

static void
estimate_block(const char *key, const size_t *v, size_t n, void *arg)
{
	struct estimate_blocks	*eb = arg;
	struct estimate_ctx	*ctx = eb->ctx;
	size_t			 i, j;

	(void)key;
	if (n > ESTIMATE_BLOCK_MAX) {
		eb->skipped++;
		return;
	}
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (ctx->npairs < ESTIMATE_PAIRS_MAX &&
			    estimate_cross(ctx, v[i], v[j]))
				estimate_add_pair(ctx, v[i], v[j]);
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
 * Expectation-maximisation over the candidate pairs with u fixed: the
 * E step weighs each pair by how likely it is one person's (from lambda,
 * m and u, levels missing counting for nothing), the M step sets m to the
 * levels' weighted shares and lambda to the mean weight.
 */
static void
estimate_em(struct estimate_ctx *ctx, struct estimate_result *res)
{
	double	*m, *u, *cnt, lambda = 0.3, p, lr, sum, delta;
	size_t	 i, k, nr = ctx->nrules;
	int	 l, it;
	const unsigned char *g;

	m = xcalloc(nr * ESTIMATE_LEVELS, sizeof *m);
	u = xcalloc(nr * ESTIMATE_LEVELS, sizeof *u);
	cnt = xcalloc(nr * ESTIMATE_LEVELS, sizeof *cnt);
	for (k = 0; k < nr; k++)
		for (l = 0; l < ESTIMATE_LEVELS; l++) {
			u[k * ESTIMATE_LEVELS + l] = res->rules[k].level[l].u;
			m[k * ESTIMATE_LEVELS + l] = l == COMPARE_AGREE ? 0.9 :
			    l == COMPARE_MISSING ? 0 :
			    (res->rules[k].level[l].u > 0 ? 0.05 : 0);
		}
	for (it = 0; it < ESTIMATE_ITERATIONS; it++) {
		memset(cnt, 0, nr * ESTIMATE_LEVELS * sizeof *cnt);
		sum = 0;
		for (i = 0; i < ctx->npairs; i++) {
			g = &ctx->gamma[i * nr];
			lr = log(lambda) - log(1 - lambda);
			for (k = 0; k < nr; k++) {
				if (g[k] == COMPARE_MISSING ||
				    u[k * ESTIMATE_LEVELS + g[k]] <= 0)
					continue;
				lr += log(fmax(m[k * ESTIMATE_LEVELS + g[k]],
				    ESTIMATE_FLOOR)) -
				    log(u[k * ESTIMATE_LEVELS + g[k]]);
			}
			p = lr > 40 ? 1 : lr < -40 ? 0 : 1 / (1 + exp(-lr));
			sum += p;
			for (k = 0; k < nr; k++)
				cnt[k * ESTIMATE_LEVELS + g[k]] += p;
		}
		delta = 0;
		for (k = 0; k < nr; k++) {
			double	 share[ESTIMATE_LEVELS];

			estimate_shares(&cnt[k * ESTIMATE_LEVELS],
			    res->rules[k].level[COMPARE_PARTIAL].u > 0, share);
			for (l = COMPARE_AGREE; l < ESTIMATE_LEVELS; l++) {
				delta = fmax(delta, fabs(share[l] -
				    m[k * ESTIMATE_LEVELS + l]));
				m[k * ESTIMATE_LEVELS + l] = share[l];
			}
		}
		p = ctx->npairs > 0 ? sum / (double)ctx->npairs : 0;
		lambda = fmin(fmax(p, 1e-6), 1 - 1e-6);
		if (delta < ESTIMATE_EPSILON) {
			res->converged = 1;
			it++;
			break;
		}
	}
	res->iterations = it;
	res->lambda = lambda;
	for (k = 0; k < nr; k++)
		for (l = 0; l < ESTIMATE_LEVELS; l++)
			res->rules[k].level[l].m = m[k * ESTIMATE_LEVELS + l];
	free(m);
	free(u);
	free(cnt);
}

int
estimate_run(struct account *const *accounts, size_t naccounts,
    struct compare_rule *const *rules, size_t nrules,
    const struct nicknames *nk, double veto, struct estimate_result *res,
    char *err, size_t errlen)
{
	struct estimate_ctx	 ctx;
	struct estimate_blocks	 eb;
	struct index		*ix;
	double			 count[ESTIMATE_LEVELS];
	unsigned char		*g;
	char			*key;
	size_t			 i, k, a, b, tries;
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
			    rules[k]->item.label));
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

	/* m: the pairs blocking brings together, by EM. */
	ix = index_new();
	for (i = 0; i < ctx.npeople; i++)
		if ((key = estimate_key(accounts[ctx.people[i]])) != NULL) {
			index_add(ix, key, i);
			free(key);
		}
	memset(&eb, 0, sizeof eb);
	eb.ctx = &ctx;
	index_foreach(ix, estimate_block, &eb);
	index_free(ix);
	res->pairs = ctx.npairs;
	res->blocks_skipped = eb.skipped;
	if (ctx.npairs == 0) {
		snprintf(err, errlen, "blocking found no candidate pairs among "
		    "%zu person accounts", ctx.npeople);
		goto fail;
	}
	for (i = 0; i < ctx.npairs; i++)
		for (k = 0; k < nrules; k++)
			res->rules[k].level[ctx.gamma[i * nrules + k]].candidate++;
	estimate_em(&ctx, res);

	for (k = 0; k < nrules; k++) {
		r = rules[k];
		for (l = COMPARE_AGREE; l < ESTIMATE_LEVELS; l++) {
			struct estimate_level *lv = &res->rules[k].level[l];
			double conf = l == COMPARE_AGREE ? r->agree :
			    l == COMPARE_PARTIAL ? r->partial : r->disagree;

			lv->weight = conf;
			if (lv->u <= 0 || lv->m <= 0 || (lv->candidate == 0 &&
			    lv->random == 0)) {
				lv->how = "not seen";
				continue;
			}
			/* A veto is a decision, not a statistic. */
			if (conf <= veto) {
				lv->how = "veto, kept";
				continue;
			}
			lv->weight = round(10 * log2(lv->m / lv->u)) / 10;
			/* Nor may an estimate make one: that would be a rule
			 * nobody wrote. */
			if (lv->weight <= veto)
				lv->weight = veto + 1;
			lv->how = "estimated";
		}
		res->rules[k].level[COMPARE_MISSING].weight = r->missing;
		res->rules[k].level[COMPARE_MISSING].how = "as set";
	}
	for (i = 0; i < ctx.npeople * nrules; i++)
		compare_value_clear(&ctx.values[i]);
	free(ctx.values);
	free(ctx.people);
	free(ctx.gamma);
	return 0;

fail:
	for (i = 0; i < ctx.npeople * nrules; i++)
		compare_value_clear(&ctx.values[i]);
	free(ctx.values);
	free(ctx.people);
	free(ctx.gamma);
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

	fprintf(fp, "# Weights estimated from %zu person accounts: u from %zu "
	    "random pairs of two domains, m by expectation-maximisation over "
	    "%zu pairs blocking found (%d iterations%s; %.1f %% of them one "
	    "person's)%s.\n", res->accounts, res->random_pairs, res->pairs,
	    res->iterations, res->converged ? "" : ", not converged",
	    100 * res->lambda, res->blocks_skipped > 0 ?
	    "; blocks too large were left out" : "");
	fprintf(fp, "# weight = log2(m/u); a weight at or below [match] veto "
	    "is kept as set.\n");
	for (k = 0; k < res->nrules; k++) {
		er = &res->rules[k];
		fprintf(fp, "\n[compare \"%s\"]\n", er->rule->item.label);
		fprintf(fp, "comparator = %s\n",
		    compare_names[er->rule->comparator]);
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
