/* cmd_person.c: ward person QUERY: a person's account in each directory.
 * The collector serves no identity API yet (docs/api.md lists none), so
 * this says so and exits 69 rather than guess from anything else. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "common/cli.h"
#include "tui/tui.h"

static int
person_exec(struct cmd_ctx *c, const struct cmd_args *a)
{
	char	*vis = fmt_vis(a->argv[0]);

	fprintf(stderr, "ward person: cannot look up \"%s\": the collector "
	    "has no identity API yet (docs/api.md lists no route for people "
	    "or their accounts)\n", vis);
	free(vis);
	(void)c;
	return WARD_EXIT_UNAVAILABLE;
}

const struct cmd_entry cmd_person_entry = {
	"person", "QUERY",
	"a person's accounts (no identity API yet: exits 69)",
	NULL, 1, 1, person_exec, 0,
};
