/* collector_main.c: ward-collector, the collector that ingests reports, stores them, judges health and answers the API. */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "common/cfg.h"
#include "common/cli.h"

struct collector_config {
	struct cli_log_config	 log;
	struct cli_daemon_config daemon;
};

static const struct cfg_section collector_sections[] = {
	{ "log", cli_log_options, 0, offsetof(struct collector_config, log), 0,
	  "Logging." },
	{ "daemon", cli_daemon_options, 0, offsetof(struct collector_config, daemon),
	  0, "Process: pidfile and the user to run as." },
	CFG_SECTIONS_END
};

static const struct cfg_schema collector_schema = {
	"ward-collector", WARD_SYSCONFDIR "/collector.conf", collector_sections, NULL,
};

static const struct cli_program collector_program = {
	.name = "ward-collector",
	.summary = "ward-collector: the collector that ingests reports, stores them, judges health and answers the API.",
	.schema = &collector_schema,
	.is_daemon = 1,
	.config_optional = 0,
	.log_offset = offsetof(struct collector_config, log),
};

int
main(int argc, char **argv)
{
	struct collector_config	 cfg;
	struct cli		 cli;
	int			 rc;

	memset(&cfg, 0, sizeof cfg);
	if ((rc = cli_start(&collector_program, argc, argv, &cli, &cfg)) != -1)
		return rc;
	rc = cli_not_built(&collector_program, "Ingest, storage and the API");
	cfg_free(&collector_schema, &cfg);
	return rc;
}
