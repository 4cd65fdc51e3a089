/* idsync_main.c: ward-idsync, the job that reconciles the Active Directory domains into one identity per person. */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "common/cfg.h"
#include "common/cli.h"

struct idsync_config {
	struct cli_log_config	 log;

};

static const struct cfg_section idsync_sections[] = {
	{ "log", cli_log_options, 0, offsetof(struct idsync_config, log), 0,
	  "Logging." },

	CFG_SECTIONS_END
};

static const struct cfg_schema idsync_schema = {
	"ward-idsync", WARD_SYSCONFDIR "/idsync.conf", idsync_sections, NULL,
};

static const struct cli_program idsync_program = {
	.name = "ward-idsync",
	.summary = "ward-idsync: the job that reconciles the Active Directory domains into one identity per person.",
	.schema = &idsync_schema,
	.is_daemon = 0,
	.config_optional = 0,
	.log_offset = offsetof(struct idsync_config, log),
};

int
main(int argc, char **argv)
{
	struct idsync_config	 cfg;
	struct cli		 cli;
	int			 rc;

	memset(&cfg, 0, sizeof cfg);
	if ((rc = cli_start(&idsync_program, argc, argv, &cli, &cfg)) != -1)
		return rc;
	rc = cli_not_built(&idsync_program, "Directory reconciliation");
	cfg_free(&idsync_schema, &cfg);
	return rc;
}
