/* health.c: the state machine of one check: soft and hard states as
 * Nagios has them, and flapping measured over the last 21 results with
 * hysteresis. Pure functions over struct check_state; alerts.c and
 * evaluate.c act on what they return. */
#include "config.h"

#include <string.h>

#include "collector/collector.h"

/* Weights of the 20 transitions between 21 results rise linearly from
 * oldest to newest, so a check that has just settled stops flapping
 * sooner than one that settled long ago started (Nagios's rule). */
#define FLAP_WEIGHT_FIRST	0.8
#define FLAP_WEIGHT_LAST	1.2

static const char *const health_status_names[] = {
	"OK", "WARNING", "CRITICAL", "UNKNOWN",
};

const char *
health_status_name(int status)
{
	if (status < 0 || status > 3)
		return "UNKNOWN";
	return health_status_names[status];
}

double
health_percent_change(const char *history)
{
	size_t	 n = strlen(history), i;
	double	 total = 0, weight, step;

	if (n < 2)
		return 0;
	step = (FLAP_WEIGHT_LAST - FLAP_WEIGHT_FIRST) / (double)(HEALTH_HISTORY
	    - 2);
	for (i = 1; i < n; i++) {
		if (history[i] == history[i - 1])
			continue;
		/* Position among the 20 possible transitions, newest last. */
		weight = FLAP_WEIGHT_FIRST + step * (double)(HEALTH_HISTORY - 1 -
		    (n - i));
		total += weight;
	}
	return 100.0 * total / (double)(HEALTH_HISTORY - 1);
}

void
health_check_init(struct check_state *cs, int max_attempts)
{
	memset(cs, 0, sizeof *cs);
	cs->hard = 1;
	cs->attempt = 1;
	cs->max_attempts = max_attempts > 0 ? max_attempts : 1;
	cs->last_hard_change_ms = 0;
}

unsigned
health_check_update(struct check_state *cs, int status, int64_t ts_ms,
    int64_t for_ms, const struct health_flap *flap)
{
	unsigned	 changes = 0;
	size_t		 n;
	int		 prev = cs->status, was_flapping = cs->flapping;

	if (status < 0 || status > 3)
		status = 3;
	if (status != prev) {
		cs->last_change_ms = ts_ms;
		changes |= HEALTH_CHANGED;
	}
	if (status != 0 && (prev == 0 || cs->problem_since_ms == 0))
		cs->problem_since_ms = ts_ms;
	if (status == 0)
		cs->problem_since_ms = 0;

	if (status == 0) {
		/* A recovery is hard at once; from a soft problem it is a
		 * soft recovery, the hard state never having left OK. */
		if (cs->hard_status != 0) {
			cs->hard_status = 0;
			cs->last_hard_change_ms = ts_ms;
			changes |= HEALTH_HARD_CHANGE;
		}
		cs->hard = 1;
		cs->attempt = 1;
	} else if (cs->hard_status != 0) {
		/* Already a hard problem: another problem state is a hard
		 * change at once (WARNING to CRITICAL pages now). */
		cs->hard = 1;
		cs->attempt = cs->max_attempts;
		if (status != cs->hard_status) {
			cs->hard_status = status;
			cs->last_hard_change_ms = ts_ms;
			changes |= HEALTH_HARD_CHANGE;
		}
	} else {
		cs->attempt = prev == 0 ? 1 : cs->attempt + 1;
		if (cs->attempt > cs->max_attempts)
			cs->attempt = cs->max_attempts;
		/* With `for`, the problem must last that long; without, it
		 * must be seen max_attempts times in a row. */
		if (for_ms > 0 ? ts_ms - cs->problem_since_ms >= for_ms :
		    cs->attempt >= cs->max_attempts) {
			cs->hard = 1;
			cs->hard_status = status;
			cs->last_hard_change_ms = ts_ms;
			changes |= HEALTH_HARD_CHANGE;
		} else
			cs->hard = 0;
	}
	cs->status = status;

	/* The last HEALTH_HISTORY results, oldest first. */
	n = strlen(cs->history);
	if (n >= HEALTH_HISTORY) {
		memmove(cs->history, cs->history + 1, HEALTH_HISTORY - 1);
		n = HEALTH_HISTORY - 1;
	}
	cs->history[n] = (char)('0' + status);
	cs->history[n + 1] = '\0';
	cs->percent_change = health_percent_change(cs->history);
	if (flap != NULL && flap->high_pct > 0) {
		if (!was_flapping && cs->percent_change >= flap->high_pct)
			cs->flapping = 1;
		else if (was_flapping && cs->percent_change < flap->low_pct)
			cs->flapping = 0;
	}
	if (cs->flapping && !was_flapping)
		changes |= HEALTH_FLAP_START;
	if (!cs->flapping && was_flapping)
		changes |= HEALTH_FLAP_STOP;
	return changes;
}
