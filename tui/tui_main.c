/* tui_main.c: ward, the operations dashboard and helpdesk command line for the ward collector. */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "common/cfg.h"
#include "common/cli.h"

struct tui_config {
	struct cli_log_config	 log;

};

static const struct cfg_section tui_sections[] = {
	{ "log", cli_log_options, 0, offsetof(struct tui_config, log), 0,
	  "Logging." },

	CFG_SECTIONS_END
};

static const struct cfg_schema tui_schema = {
	"ward", WARD_SYSCONFDIR "/ward.conf", tui_sections, NULL,
};

static const struct cli_program tui_program = {
	.name = "ward",
	.summary = "ward: the operations dashboard and helpdesk command line for the ward collector.",
	.schema = &tui_schema,
	.is_daemon = 0,
	.config_optional = 1,
	.log_offset = offsetof(struct tui_config, log),
};

int
main(int argc, char **argv)
{
	struct tui_config	 cfg;
	struct cli		 cli;
	int			 rc;

	memset(&cfg, 0, sizeof cfg);
	if ((rc = cli_start(&tui_program, argc, argv, &cli, &cfg)) != -1)
		return rc;
	rc = cli_not_built(&tui_program, "The dashboard and helpdesk commands");
	cfg_free(&tui_schema, &cfg);
	return rc;
}
