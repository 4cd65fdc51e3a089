/* view_identity.c: the Identity tab: accounts per domain and people, once
 * the collector serves them. It serves no identity API yet, so the tab
 * says that and shows nothing in its place. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>

#include "tui/tui.h"

static void
identity_build(struct dash *d, struct view *v, struct dash_page *p)
{
	(void)d;
	(void)v;
	dash_line(p, 0, TONE_HEADING, "Identity: not available yet");
	dash_line(p, 0, TONE_NONE, "%s", "");
	dash_line(p, 0, TONE_WARN, "The collector has no identity API yet, so "
	    "there is nothing to show here.");
	dash_line(p, 0, TONE_NONE, "Once it serves one, this tab shows each "
	    "domain's accounts (linked,");
	dash_line(p, 0, TONE_NONE, "unmatched, in conflict) and / finds a "
	    "person's account in each domain.");
	dash_line(p, 0, TONE_NONE, "%s", "");
	dash_line(p, 0, TONE_DIM, "Until then, on the host that runs "
	    "ward-idsync: ward-idsync person NAME.");
}

const struct view_entry view_identity = {
	"Identity", '6', 0, NULL, identity_build, NULL, 0,
};
