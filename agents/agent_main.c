/* agent_main.c: ward-agent, the server agent that reports a host's facts, metrics and checks to ward-collector. */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "common/cfg.h"
#include "common/cli.h"

struct agent_config {
	struct cli_log_config	 log;
	struct cli_daemon_config daemon;
};

static const struct cfg_section agent_sections[] = {
	{ "log", cli_log_options, 0, offsetof(struct agent_config, log), 0,
	  "Logging." },
	{ "daemon", cli_daemon_options, 0, offsetof(struct agent_config, daemon),
	  0, "Process: pidfile and the user to run as." },
	CFG_SECTIONS_END
};

static const struct cfg_schema agent_schema = {
	"ward-agent", WARD_SYSCONFDIR "/agent.conf", agent_sections, NULL,
};

static const struct cli_program agent_program = {
	.name = "ward-agent",
	.summary = "ward-agent: the server agent that reports a host's facts, metrics and checks to ward-collector.",
	.schema = &agent_schema,
	.is_daemon = 1,
	.config_optional = 0,
	.log_offset = offsetof(struct agent_config, log),
};

int
main(int argc, char **argv)
{
	struct agent_config	 cfg;
	struct cli		 cli;
	int			 rc;

	memset(&cfg, 0, sizeof cfg);
	if ((rc = cli_start(&agent_program, argc, argv, &cli, &cfg)) != -1)
		return rc;
	rc = cli_not_built(&agent_program, "Collecting and reporting");
	cfg_free(&agent_schema, &cfg);
	return rc;
}
