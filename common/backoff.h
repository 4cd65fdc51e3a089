/* backoff.h: exponential backoff with full jitter, so many clients that
 * failed together do not retry together. */
#ifndef WARD_BACKOFF_H
#define WARD_BACKOFF_H

#include <stdint.h>

struct backoff {
	int64_t		initial_ms;
	int64_t		max_ms;
	unsigned	failures;	/* consecutive */
	uint64_t	rng;		/* xorshift state, seeded per process */
};

void	 backoff_init(struct backoff *b, int64_t initial_ms, int64_t max_ms);
/* Records a failure and returns how long to wait: uniform in
 * [ceiling/2, ceiling] where ceiling = min(max, initial * 2^failures). */
int64_t	 backoff_next_ms(struct backoff *b);
void	 backoff_reset(struct backoff *b);
/* Uniform random in [lo, hi] from the same generator. */
int64_t	 backoff_jitter_ms(struct backoff *b, int64_t lo, int64_t hi);

#endif
