/* netpoll_main.c: ward-netpoll, the poller that reports switches, UPSes and agentless devices over SNMP, SSH and HTTP. */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "common/cfg.h"
#include "common/cli.h"

struct netpoll_config {
	struct cli_log_config	 log;
	struct cli_daemon_config daemon;
};

static const struct cfg_section netpoll_sections[] = {
	{ "log", cli_log_options, 0, offsetof(struct netpoll_config, log), 0,
	  "Logging." },
	{ "daemon", cli_daemon_options, 0, offsetof(struct netpoll_config, daemon),
	  0, "Process: pidfile and the user to run as." },
	CFG_SECTIONS_END
};

static const struct cfg_schema netpoll_schema = {
	"ward-netpoll", WARD_SYSCONFDIR "/netpoll.conf", netpoll_sections, NULL,
};

static const struct cli_program netpoll_program = {
	.name = "ward-netpoll",
	.summary = "ward-netpoll: the poller that reports switches, UPSes and agentless devices over SNMP, SSH and HTTP.",
	.schema = &netpoll_schema,
	.is_daemon = 1,
	.config_optional = 0,
	.log_offset = offsetof(struct netpoll_config, log),
};

int
main(int argc, char **argv)
{
	struct netpoll_config	 cfg;
	struct cli		 cli;
	int			 rc;

	memset(&cfg, 0, sizeof cfg);
	if ((rc = cli_start(&netpoll_program, argc, argv, &cli, &cfg)) != -1)
		return rc;
	rc = cli_not_built(&netpoll_program, "Polling devices");
	cfg_free(&netpoll_schema, &cfg);
	return rc;
}
