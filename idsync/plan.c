/* plan.c: what a run changes, against the state the last run left:
 * accounts new, gone and changed, persons new and gone, links made and
 * broken; and the thresholds that stop a run that changes too much. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "idsync/idsync.h"

/* The attributes whose values differ, "sn, department". */
static void
plan_changed_attrs(const struct account *old, const struct account *cur,
    struct buf *out)
{
	const struct account_attr	*x, *y;
	size_t				 i, j, k, n = 0;
	int				 same;
	char				 vis[256];

	for (i = 0; i < cur->nattrs; i++) {
		y = &cur->attrs[i];
		x = NULL;
		for (j = 0; j < old->nattrs; j++)
			if (strcasecmp(old->attrs[j].name, y->name) == 0)
				x = &old->attrs[j];
		same = x != NULL && x->count == y->count;
		for (k = 0; same && k < y->count; k++)
			same = strcmp(x->values[k], y->values[k]) == 0;
		if (same || account_attr_volatile(y->name))
			continue;
		buf_printf(out, "%s%s", n++ > 0 ? ", " : "", str_vis(vis,
		    sizeof vis, y->name));
	}
	for (j = 0; j < old->nattrs; j++) {
		for (i = 0; i < cur->nattrs; i++)
			if (strcasecmp(old->attrs[j].name,
			    cur->attrs[i].name) == 0)
				break;
		if (i == cur->nattrs && !account_attr_volatile(
		    old->attrs[j].name))
			buf_printf(out, "%s%s (removed)", n++ > 0 ? ", " : "",
			    str_vis(vis, sizeof vis, old->attrs[j].name));
	}
}

void
plan_compute(const struct state *prev, struct account *const *accounts,
    size_t naccounts, const struct match_result *res, int with_diff,
    struct plan *plan)
{
	const struct state_account	*sa;
	const struct match_link		*l;
	const struct match_person	*mp;
	const struct account		*a;
	struct index			*persons;
	struct buf			 diff;
	const size_t			*v;
	const char			*pid;
	char				 name[1200], raw[300];
	unsigned char			 sum[ACCOUNT_SUM_LEN], *seen;
	size_t				 i, n, p;
	int				 modified, unlinked, linked;

	memset(plan, 0, sizeof *plan);
	buf_init(&diff, 0);
	plan->accounts_before = prev->naccounts;
	plan->accounts = naccounts;
	plan->persons_before = prev->npersons;
	plan->persons = res->npersons;
	plan->conflicts = res->nconflicts + res->nkept_conflicts;

	seen = xcalloc(prev->naccounts + 1, 1);
	for (i = 0; i < naccounts; i++) {
		a = accounts[i];
		l = &res->links[i];
		pid = l->person != MATCH_NONE ? res->persons[l->person].id :
		    NULL;
		p = state_prev_of(prev, accounts, i);
		sa = p != STATE_NONE ? &prev->accounts[p] : NULL;
		if (sa != NULL)
			seen[p] = 1;
		modified = sa != NULL && memcmp(account_sum(a, 1, sum),
		    sa->account->sums[1], sizeof sum) != 0;
		unlinked = sa != NULL && sa->person_id != NULL &&
		    (pid == NULL || strcmp(pid, sa->person_id) != 0);
		linked = pid != NULL && (sa == NULL || sa->person_id == NULL ||
		    strcmp(pid, sa->person_id) != 0);
		/* Most accounts are as they were: no line, no name. */
		if (sa != NULL && !modified && !unlinked && !linked)
			continue;
		plan->accounts_added += sa == NULL;
		plan->accounts_modified += sa != NULL && modified;
		plan->links_removed += unlinked;
		plan->links_added += linked;
		if (!with_diff)
			continue;
		/* Names as the directories spell them: escapes, line
		 * breaks and all, shown as \xNN. */
		str_vis_text(name, sizeof name, account_name(a, raw, sizeof raw));
		if (sa == NULL) {
			buf_printf(&diff, "+ account %s (%s, %s)\n", name,
			    account_kind_name(a->kind), a->guid);
		} else if (modified) {
			buf_printf(&diff, "~ account %s: ", name);
			plan_changed_attrs(sa->account, a, &diff);
			buf_append_char(&diff, '\n');
		}
		if (unlinked)
			buf_printf(&diff, "- link %s to person %s\n", name,
			    sa->person_id);
		if (linked)
			buf_printf(&diff, "+ link %s to person %s (%s%s)\n",
			    name, pid, l->reason != NULL ? l->reason : "new",
			    l->secondary ? ", secondary" : "");
	}
	for (i = 0; i < prev->naccounts; i++) {
		sa = &prev->accounts[i];
		if (seen[i])
			continue;
		plan->accounts_removed++;
		plan->links_removed += sa->person_id != NULL;
		if (!with_diff)
			continue;
		buf_printf(&diff, "- account %s (%s)\n", str_vis_text(name,
		    sizeof name, account_name(sa->account, raw, sizeof raw)),
		    sa->account->guid);
		if (sa->person_id != NULL)
			buf_printf(&diff, "- link %s to person %s\n", name,
			    sa->person_id);
	}
	free(seen);

	persons = index_new();
	for (i = 0; i < res->npersons; i++) {
		mp = &res->persons[i];
		index_add(persons, mp->id, i);
		v = index_get(prev->person_index, mp->id, &n);
		if (mp->existing && n > 0 && mp->leaver &&
		    !prev->persons[v[0]].leaver) {
			plan->persons_disabled++;
			if (with_diff)
				buf_printf(&diff, "~ person %s \"%s\" becomes "
				    "a leaver\n", mp->id, str_vis_text(name,
				    sizeof name, mp->attrs[PERSON_DISPLAY_NAME] !=
				    NULL ? mp->attrs[PERSON_DISPLAY_NAME] : ""));
		}
		if (mp->existing)
			continue;
		plan->persons_created++;
		if (!with_diff)
			continue;
		buf_printf(&diff, "+ person %s \"%s\" (%zu account%s)\n",
		    mp->id, str_vis_text(name, sizeof name,
		    mp->attrs[PERSON_DISPLAY_NAME] != NULL ?
		    mp->attrs[PERSON_DISPLAY_NAME] : ""),
		    mp->nmembers, mp->nmembers == 1 ? "" : "s");
	}
	for (i = 0; i < prev->npersons; i++) {
		(void)index_get(persons, prev->persons[i].id, &n);
		if (n > 0)
			continue;
		plan->persons_removed++;
		if (with_diff)
			buf_printf(&diff, "- person %s\n",
			    prev->persons[i].id);
	}
	index_free(persons);
	if (with_diff)
		plan->diff = buf_detach(&diff, NULL);
	else
		buf_free(&diff);
}

void
plan_clear(struct plan *plan)
{
	free(plan->diff);
	memset(plan, 0, sizeof *plan);
}

static int
plan_over(const char *what, size_t count, size_t base, int64_t max,
    int64_t max_percent, const char *detail, char *err, size_t errlen)
{
	if (max > 0 && count > (size_t)max) {
		snprintf(err, errlen, "the plan %s %zu (%s), more than "
		    "max_%s = %lld", what, count, detail, what,
		    (long long)max);
		return -1;
	}
	if (max_percent > 0 && base > 0 &&
	    count * 100 > (size_t)max_percent * base) {
		snprintf(err, errlen, "the plan %s %zu of %zu (%s), more than "
		    "max_%s_percent = %lld%%", what, count, base, detail,
		    what, (long long)max_percent);
		return -1;
	}
	return 0;
}

/*
 * Creates are new persons; modifies, accounts whose attributes changed;
 * deletes, accounts gone from the directories and persons left with no
 * account. Percentages are of what the last run left, so they do not
 * apply to the first run.
 */
int
plan_check(const struct plan *plan, const struct idsync_section *cfg,
    char *err, size_t errlen)
{
	char	 detail[160];

	snprintf(detail, sizeof detail, "new persons");
	if (plan_over("creates", plan->persons_created, plan->persons_before,
	    cfg->max_creates, cfg->max_creates_percent, detail, err,
	    errlen) == -1)
		return -1;
	snprintf(detail, sizeof detail, "accounts changed");
	if (plan_over("modifies", plan->accounts_modified,
	    plan->accounts_before, cfg->max_modifies,
	    cfg->max_modifies_percent, detail, err, errlen) == -1)
		return -1;
	if (plan_over("disables", plan->persons_disabled,
	    plan->persons_before, cfg->max_disables,
	    cfg->max_disables_percent, "persons who became leavers", err,
	    errlen) == -1)
		return -1;
	snprintf(detail, sizeof detail, "%zu accounts gone, %zu persons gone",
	    plan->accounts_removed, plan->persons_removed);
	return plan_over("deletes", plan->accounts_removed +
	    plan->persons_removed, plan->accounts_before +
	    plan->persons_before, cfg->max_deletes, cfg->max_deletes_percent,
	    detail, err, errlen);
}

/*
 * Write-back has the run's thresholds: values set are creates, replaced
 * are modifies, cleared are deletes. Percentages are of the accounts
 * already holding a value, so they do not apply to the first write-back.
 */
int
plan_check_writes(const struct writeback_plan *wp,
    const struct idsync_section *cfg, char *err, size_t errlen)
{
	if (plan_over("creates", wp->sets, wp->holding, cfg->max_creates,
	    cfg->max_creates_percent, "values to set", err, errlen) == -1)
		return -1;
	if (plan_over("modifies", wp->replaces, wp->holding,
	    cfg->max_modifies, cfg->max_modifies_percent, "values to replace",
	    err, errlen) == -1)
		return -1;
	return plan_over("deletes", wp->clears, wp->holding, cfg->max_deletes,
	    cfg->max_deletes_percent, "values to clear", err, errlen);
}

int
plan_check_target(const struct provision_plan *pp,
    const struct idsync_section *cfg, char *err, size_t errlen)
{
	if (plan_over("creates", pp->adds, pp->entries, cfg->max_creates,
	    cfg->max_creates_percent, "target entries to add", err,
	    errlen) == -1)
		return -1;
	if (plan_over("modifies", pp->modifies + pp->renames, pp->entries,
	    cfg->max_modifies, cfg->max_modifies_percent,
	    "target entries to modify or rename", err, errlen) == -1)
		return -1;
	return plan_over("disables", pp->disables, pp->entries,
	    cfg->max_disables, cfg->max_disables_percent,
	    "target entries to disable", err, errlen);
}

void
plan_print(const struct plan *plan, int with_diff, FILE *fp)
{
	fprintf(fp, "accounts:  %zu (%zu new, %zu gone, %zu changed)\n",
	    plan->accounts, plan->accounts_added, plan->accounts_removed,
	    plan->accounts_modified);
	fprintf(fp, "persons:   %zu (%zu new, %zu gone, %zu became "
	    "leavers)\n", plan->persons, plan->persons_created,
	    plan->persons_removed, plan->persons_disabled);
	fprintf(fp, "links:     %zu made, %zu broken\n", plan->links_added,
	    plan->links_removed);
	fprintf(fp, "conflicts: %zu\n", plan->conflicts);
	if (with_diff && plan->diff != NULL && *plan->diff != '\0')
		fprintf(fp, "\n%s", plan->diff);
}
