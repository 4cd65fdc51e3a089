/* agent_main.c: ward-agent, the server agent that reports a host's facts,
 * metrics and checks to ward-collector. */
#include "config.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cfg.h"
#include "common/cli.h"
#include "common/log.h"
#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "agents/agent.h"

/* --print samples twice this far apart so CPU and network rates exist. */
#define PRINT_SAMPLE_MS	500

static const char *const agent_kinds[] = {
	"server", "switch", "router", "firewall", "ups", "pdu", "bmc",
	"storage", "appliance", "other", NULL
};

struct agent_section {
	char	*datacentre;
	int	 kind;
	int64_t	 interval;	/* ms */
	char	*state_dir;
	char	*id_file;
	char	*root;
};

struct agent_check {
	struct cfg_item	 item;
	char		*command;
	int64_t		 timeout;	/* ms */
};

struct agent_config {
	struct cli_log_config	 log;
	struct cli_daemon_config daemon;
	struct agent_section	 agent;
	struct cfg_items	 checks;
};

static const struct cfg_option agent_options[] = {
	{ "datacentre", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct agent_section, datacentre),
	  "The datacentre this host is in, as the collector names it." },
	{ "kind", CFG_ENUM, "server", 0, 0, agent_kinds, 0,
	  offsetof(struct agent_section, kind),
	  "What this host is." },
	{ "interval", CFG_DURATION, "60s", 10000, 86400000, NULL, 0,
	  offsetof(struct agent_section, interval),
	  "How often to collect and report." },
	{ "state_dir", CFG_PATH, WARD_LOCALSTATEDIR "/agent", 0, 0, NULL, 0,
	  offsetof(struct agent_section, state_dir),
	  "Where the agent keeps its sequence number and spool." },
	{ "id_file", CFG_PATH, WARD_LOCALSTATEDIR "/agent/id", 0, 0, NULL, 0,
	  offsetof(struct agent_section, id_file),
	  "The file holding this agent's id (made with a random id when "
	  "missing)." },
	/* Tests point the collectors at a captured tree. */
	{ "root", CFG_PATH, "/", 0, 0, NULL, CFG_HIDDEN,
	  offsetof(struct agent_section, root),
	  "Read /proc, /sys and /etc below this directory." },
	CFG_OPTIONS_END
};

static const struct cfg_option check_options[] = {
	{ "command", CFG_STRING, NULL, 0, 0, NULL, CFG_REQUIRED,
	  offsetof(struct agent_check, command),
	  "The plugin and its arguments. Run without a shell: words split at "
	  "spaces, '...' and \"...\" quote, and the plugin is looked up in "
	  "/usr/sbin:/usr/bin:/sbin:/bin." },
	{ "timeout", CFG_DURATION, "10s", 1000, 300000, NULL, 0,
	  offsetof(struct agent_check, timeout),
	  "Kill the plugin (and what it started) after this long; the check "
	  "is then UNKNOWN." },
	CFG_OPTIONS_END
};

static const struct cfg_section agent_sections[] = {
	{ "log", cli_log_options, 0, offsetof(struct agent_config, log), 0,
	  "Logging." },
	{ "daemon", cli_daemon_options, 0, offsetof(struct agent_config, daemon),
	  0, "Process: pidfile and the user to run as." },
	{ "agent", agent_options, 0, offsetof(struct agent_config, agent), 0,
	  "What the agent says about its host, how often, and where it keeps "
	  "state." },
	{ "check", check_options, CFG_SECTION_MULTI,
	  offsetof(struct agent_config, checks), sizeof(struct agent_check),
	  "A Nagios-compatible plugin to run at every collection; "
	  "[check \"NAME\"] names the check (letters, digits, _ . : -)." },
	CFG_SECTIONS_END
};

static int
agent_validate(void *p, char *err, size_t errlen)
{
	struct agent_config	*cfg = p;
	struct agent_check	*c;
	char			**argv, why[256];
	const char		*s;
	size_t			 i, argc;

	for (i = 0; i < cfg->checks.count; i++) {
		c = cfg->checks.items[i];
		for (s = c->item.label; *s != '\0'; s++) {
			if (!isalnum((unsigned char)*s) &&
			    strchr("_.:-", *s) == NULL)
				break;
		}
		if (*s != '\0' || s == c->item.label || s - c->item.label >
		    128) {
			snprintf(err, errlen, "line %d: [check \"%s\"]: a check "
			    "name is 1-128 letters, digits, '_', '.', ':' or "
			    "'-'", c->item.line, c->item.label);
			return -1;
		}
		if (strcmp(c->item.label, "systemd_failed_units") == 0) {
			snprintf(err, errlen, "line %d: [check \"%s\"]: the "
			    "agent reports this check itself", c->item.line,
			    c->item.label);
			return -1;
		}
		if (check_split(c->command, &argv, &argc, why,
		    sizeof why) == -1) {
			snprintf(err, errlen, "line %d: [check \"%s\"] "
			    "command: %s", c->item.line, c->item.label, why);
			return -1;
		}
		str_list_free(argv, argc);
	}
	return 0;
}

static const struct cfg_schema agent_schema = {
	"ward-agent", WARD_SYSCONFDIR "/agent.conf", agent_sections,
	agent_validate,
};

static const struct cli_option agent_extra[] = {
	{ "print", 0, 0, NULL,
	  "collect once, run the checks and print the report as JSON" },
	CLI_OPTIONS_END
};

static const struct cli_program agent_program = {
	.name = "ward-agent",
	.summary = "ward-agent: the server agent that reports a host's facts, metrics and checks to ward-collector.",
	.schema = &agent_schema,
	.extra = agent_extra,
	.is_daemon = 1,
	.config_optional = 0,
	.log_offset = offsetof(struct agent_config, log),
};

/* One collection: the collectors, then the checks in turn. */
static void
agent_collect(const struct agent_config *cfg, struct collect_ctx *ctx,
    struct report *r)
{
	struct agent_check	*c;
	struct check_result	 res;
	size_t			 i;

	report_host_set(r, "datacentre", cfg->agent.datacentre);
	report_host_set(r, "kind", agent_kinds[cfg->agent.kind]);
	collect_run(ctx, r, wtime_mono_ms());
	for (i = 0; i < cfg->checks.count; i++) {
		c = cfg->checks.items[i];
		check_run(c->command, c->timeout, &res);
		check_report(r, c->item.label, &res);
		check_result_clear(&res);
	}
}

static int
agent_print(const struct agent_config *cfg)
{
	struct collect_ctx	*ctx;
	struct report		*r;
	struct report_meta	 meta;
	json_t			*doc;
	char			 id[80], err[512], *seq_path;
	int			 saved, rc = WARD_EXIT_FAILURE;
	int64_t			 ts_ms;

	memset(&meta, 0, sizeof meta);
	if (report_agent_id(cfg->agent.id_file, 1, id, sizeof id, &saved, err,
	    sizeof err) == -1) {
		log_error("agent id: %s", err);
		return WARD_EXIT_FAILURE;
	}
	if (!saved)
		log_warnx("agent id: %s; this report uses an id made for it "
		    "alone", err);
	xasprintf(&seq_path, "%s/seq", cfg->agent.state_dir);
	if (report_seq_next(seq_path, &meta.seq, err, sizeof err) == -1) {
		log_error("sequence number: %s", err);
		free(seq_path);
		return WARD_EXIT_FAILURE;
	}
	free(seq_path);

	/* CPU use and network rates are deltas: take a first sample. */
	ctx = collect_new(cfg->agent.root);
	r = report_new();
	collect_run(ctx, r, wtime_mono_ms());
	report_free(r);
	wtime_sleep_ms(PRINT_SAMPLE_MS);

	r = report_new();
	ts_ms = wtime_now_ms();
	agent_collect(cfg, ctx, r);
	meta.agent_id = id;
	meta.ts_ms = ts_ms;
	meta.interval_s = cfg->agent.interval / 1000;
	doc = report_to_json(r, &meta);
	if (json_dumpf(doc, stdout, JSON_INDENT(2) |
	    JSON_REAL_PRECISION(15)) == 0 &&
	    fputc('\n', stdout) != EOF && fflush(stdout) == 0)
		rc = WARD_EXIT_OK;
	else
		log_error("cannot write the report to standard output");
	json_decref(doc);
	report_free(r);
	collect_free(ctx);
	return rc;
}

int
main(int argc, char **argv)
{
	struct agent_config	 cfg;
	struct cli		 cli;
	int			 rc;

	memset(&cfg, 0, sizeof cfg);
	if ((rc = cli_start(&agent_program, argc, argv, &cli, &cfg)) != -1)
		return rc;
	if (cli_extra(&agent_program, &cli, "print") != NULL)
		rc = agent_print(&cfg);
	else {
		rc = cli_not_built(&agent_program,
		    "Sending reports to the collector");
		log_info("ward-agent --print collects once and prints the "
		    "report");
	}
	cfg_free(&agent_schema, &cfg);
	return rc;
}
