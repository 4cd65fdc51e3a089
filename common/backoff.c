/* backoff.c: exponential backoff with jitter, so 400 agents that lost the
 * collector together do not all come back in the same second. */
#include "config.h"

#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "common/backoff.h"

static uint64_t
backoff_seed(void)
{
	static uint64_t	 calls;
	struct timespec	 ts;
	uint64_t	 seed;

	clock_gettime(CLOCK_REALTIME, &ts);
	/* The counter keeps backoffs made in the same clock tick apart. */
	seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
	    ((uint64_t)getpid() << 40) ^ (++calls * 0x9e3779b97f4a7c15ULL);
	return seed != 0 ? seed : 0x9e3779b97f4a7c15ULL;
}

void
backoff_init(struct backoff *b, int64_t initial_ms, int64_t max_ms)
{
	b->initial_ms = initial_ms > 0 ? initial_ms : 1;
	b->max_ms = max_ms >= b->initial_ms ? max_ms : b->initial_ms;
	b->failures = 0;
	b->rng = backoff_seed();
}

/* xorshift64*: small, fast and good enough to spread retries. */
static uint64_t
backoff_rand(struct backoff *b)
{
	b->rng ^= b->rng >> 12;
	b->rng ^= b->rng << 25;
	b->rng ^= b->rng >> 27;
	return b->rng * 0x2545f4914f6cdd1dULL;
}

int64_t
backoff_jitter_ms(struct backoff *b, int64_t lo, int64_t hi)
{
	uint64_t	 span;

	if (hi <= lo)
		return lo;
	/* Unsigned: hi - lo + 1 overflows int64_t on wide ranges, and wraps
	 * to 0 on the full one. */
	span = (uint64_t)hi - (uint64_t)lo + 1;
	if (span == 0)
		return (int64_t)backoff_rand(b);
	return (int64_t)((uint64_t)lo + backoff_rand(b) % span);
}

int64_t
backoff_next_ms(struct backoff *b)
{
	int64_t		 ceiling = b->initial_ms;
	unsigned	 i;

	for (i = 0; i < b->failures && ceiling < b->max_ms; i++)
		ceiling = ceiling > b->max_ms / 2 ? b->max_ms : ceiling * 2;
	if (ceiling > b->max_ms)
		ceiling = b->max_ms;
	if (b->failures < 64)
		b->failures++;
	return backoff_jitter_ms(b, ceiling / 2, ceiling);
}

void
backoff_reset(struct backoff *b)
{
	b->failures = 0;
}
