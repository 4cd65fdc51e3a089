/* agent_main.c: ward-agent, the server agent that reports a host's facts,
 * metrics and checks to ward-collector. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/backoff.h"
#include "common/cfg.h"
#include "common/cli.h"
#include "common/daemon.h"
#include "common/http.h"
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
	int64_t	 cadence;	/* ms; tests collect faster than interval */
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
	struct send_collector_config collector;
	struct send_spool_config spool;
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
	/* Tests run many intervals in seconds; reports still say interval. */
	{ "cadence", CFG_DURATION, NULL, 100, 86400000, NULL, CFG_HIDDEN,
	  offsetof(struct agent_section, cadence),
	  "Collect this often instead of every interval." },
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
	{ "collector", send_collector_options, 0,
	  offsetof(struct agent_config, collector), 0,
	  "Where reports go, and how the collector is trusted." },
	{ "spool", send_spool_options, 0, offsetof(struct agent_config, spool), 0,
	  "Reports not yet acknowledged wait on disk, in order, within "
	  "these bounds." },
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
		if (strcmp(c->item.label, "systemd_failed_units") == 0 ||
		    strcmp(c->item.label, "fs_responding") == 0) {
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
	/* Last: what the file says comes before what this machine has. */
	if (send_config_check(&cfg->collector, err, errlen) == -1 ||
	    daemon_user_check(cfg->daemon.user, err, errlen) == -1)
		return -1;
	return 0;
}

static const struct cfg_schema agent_schema = {
	"ward-agent", WARD_SYSCONFDIR "/agent.conf", agent_sections,
	agent_validate,
};

static const struct cli_option agent_extra[] = {
	{ "print", 0, 0, NULL,
	  "collect once, run the checks and print the report as JSON" },
	{ "once", 0, 0, NULL,
	  "collect once and deliver the report (and any spooled before it); "
	  "exit 0 only when the collector acknowledged it" },
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

/* What one process keeps across collections. */
struct agent_state {
	char			 id[80];
	char			*seq_path;
	int64_t			 last_seq;
	struct collect_ctx	*ctx;
	struct spool		*spool;
	struct sender		*sender;
};

static void
agent_state_close(struct agent_state *st)
{
	collect_free(st->ctx);
	send_free(st->sender);
	spool_free(st->spool);
	free(st->seq_path);
	memset(st, 0, sizeof *st);
}

static struct sender *
agent_sender(const struct agent_config *cfg, char *err, size_t errlen)
{
	return send_new_from_config(&cfg->collector, &cfg->spool, err, errlen);
}

/* The id, the sequence number, the spool and the sender; a CPU and network
 * sample to take rates from. */
static int
agent_state_open(const struct agent_config *cfg, struct agent_state *st,
    char *err, size_t errlen)
{
	struct report	*r;
	char		*dir, why[512];
	int		 saved, known, lost;

	memset(st, 0, sizeof *st);
	known = access(cfg->agent.id_file, F_OK) == 0;
	if (report_agent_id(cfg->agent.id_file, 0, st->id, sizeof st->id,
	    &saved, why, sizeof why) == -1) {
		snprintf(err, errlen, "agent id: %s", why);
		return -1;
	}
	xasprintf(&st->seq_path, "%s/seq", cfg->agent.state_dir);
	lost = known && access(st->seq_path, F_OK) == -1 && errno == ENOENT;
	if (report_seq_next(st->seq_path, &st->last_seq, why,
	    sizeof why) == -1) {
		snprintf(err, errlen, "sequence number: %s", why);
		goto fail;
	}
	st->last_seq--;
	/* The collector already holds reports under this id: numbering from
	 * 1 again would have them taken for replays and never stored. The
	 * clock's seconds are past any number this agent used, unless it
	 * reported more than once a second for its whole life. */
	if (lost) {
		st->last_seq = wtime_now_ms() / 1000;
		log_warnx("%s is missing but agent id %s is not: numbering "
		    "reports from %lld so that none repeats one the collector "
		    "has", st->seq_path, st->id, (long long)st->last_seq + 1);
	}
	xasprintf(&dir, "%s/spool", cfg->agent.state_dir);
	st->spool = spool_open(dir, cfg->spool.max_size, cfg->spool.max_age,
	    err, errlen);
	free(dir);
	if (st->spool == NULL)
		goto fail;
	/* A seq file lost or restored from a backup must not reuse numbers
	 * the collector already holds reports under. */
	if (spool_last_seq(st->spool) > st->last_seq)
		st->last_seq = spool_last_seq(st->spool);
	if ((st->sender = agent_sender(cfg, err, errlen)) == NULL)
		goto fail;
	st->ctx = collect_new(cfg->agent.root);
	r = report_new();
	collect_run(st->ctx, r, wtime_mono_ms());
	report_free(r);
	return 0;

fail:
	agent_state_close(st);
	return -1;
}

/*
 * Collects one report and puts it in the spool, which is how every report
 * leaves: the sender only ever drains the spool, oldest first. The sequence
 * number is saved before the report exists anywhere, so a crash never
 * reuses one. Returns the report's seq, or -1 when it was lost.
 */
static int64_t
agent_report(const struct agent_config *cfg, struct agent_state *st)
{
	struct report		*r;
	struct report_meta	 meta;
	json_t			*doc;
	char			*text, err[1024];
	int64_t			 seq = st->last_seq + 1;
	int			 rc;

	if (report_seq_save(st->seq_path, seq, err, sizeof err) == -1) {
		log_error("sequence number: %s; no report this interval", err);
		spool_count_lost(st->spool);
		return -1;
	}
	st->last_seq = seq;
	memset(&meta, 0, sizeof meta);
	meta.agent_id = st->id;
	meta.seq = seq;
	meta.ts_ms = wtime_now_ms();
	meta.interval_s = cfg->agent.interval / 1000;
	meta.dropped = spool_pending_dropped(st->spool);
	r = report_new();
	agent_collect(cfg, st->ctx, r);
	doc = report_to_json(r, &meta);
	report_free(r);
	text = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(15));
	json_decref(doc);
	rc = spool_add(st->spool, seq, meta.ts_ms, meta.dropped, text,
	    strlen(text), err, sizeof err);
	free(text);
	if (rc == -1) {
		log_error("report %lld lost: %s", (long long)seq, err);
		spool_count_lost(st->spool);
		return -1;
	}
	spool_dropped_reported(st->spool, meta.dropped);
	log_debug("report %lld spooled (%zu waiting)", (long long)seq,
	    spool_count(st->spool));
	return seq;
}

static int
agent_once(const struct agent_config *cfg)
{
	struct agent_state	 st;
	enum send_state		 state;
	char			 err[1024];
	int64_t			 seq, next_ms;
	size_t			 delivered;
	int			 rc = WARD_EXIT_FAILURE;

	/* As the daemon runs: a report spooled by root would be one the
	 * daemon cannot read. */
	if (daemon_drop_privileges(cfg->daemon.user, err, sizeof err) == -1) {
		log_error("%s", err);
		return WARD_EXIT_FAILURE;
	}
	if (agent_state_open(cfg, &st, err, sizeof err) == -1) {
		log_error("%s", err);
		return WARD_EXIT_FAILURE;
	}
	wtime_sleep_ms(PRINT_SAMPLE_MS);
	if ((seq = agent_report(cfg, &st)) == -1)
		goto done;
	state = send_drain(st.sender, st.spool, wtime_mono_ms(), &next_ms,
	    &delivered);
	if (spool_last_acknowledged(st.spool) >= seq) {
		log_info("report %lld delivered (%zu in all)", (long long)seq,
		    delivered);
		rc = WARD_EXIT_OK;
	} else if (state == SEND_WAIT || state == SEND_BLOCKED)
		log_error("report %lld not delivered: %s; it stays in the "
		    "spool (%zu report%s) for the next run", (long long)seq,
		    send_last_error(st.sender), spool_count(st.spool),
		    spool_count(st.spool) == 1 ? "" : "s");
	else
		log_error("report %lld was refused by the collector",
		    (long long)seq);

done:
	agent_state_close(&st);
	return rc;
}

/* SIGHUP: the new configuration replaces the old only when it loads and
 * its sender can be made; state_dir, id_file and root need a restart. */
static void
agent_reload(const char *path, struct agent_config *cfg,
    struct agent_state *st)
{
	struct agent_config	 next;
	struct sender		*sender;
	char			 err[1024];

	memset(&next, 0, sizeof next);
	if (cfg_load(&agent_schema, path, &next, err, sizeof err) == -1) {
		log_error("reload: %s; keeping the running configuration",
		    err);
		return;
	}
	if ((sender = agent_sender(&next, err, sizeof err)) == NULL) {
		log_error("reload: %s; keeping the running configuration",
		    err);
		cfg_free(&agent_schema, &next);
		return;
	}
	if (strcmp(next.agent.state_dir, cfg->agent.state_dir) != 0 ||
	    strcmp(next.agent.id_file, cfg->agent.id_file) != 0 ||
	    strcmp(next.agent.root, cfg->agent.root) != 0)
		log_warnx("reload: state_dir and id_file take effect at the "
		    "next start");
	send_free(st->sender);
	st->sender = sender;
	spool_set_limits(st->spool, next.spool.max_size, next.spool.max_age);
	/* Keep the paths the open state was made from. */
	free(next.agent.state_dir);
	next.agent.state_dir = cfg->agent.state_dir;
	cfg->agent.state_dir = NULL;
	free(next.agent.id_file);
	next.agent.id_file = cfg->agent.id_file;
	cfg->agent.id_file = NULL;
	free(next.agent.root);
	next.agent.root = cfg->agent.root;
	cfg->agent.root = NULL;
	log_set_level((enum log_level)next.log.level);
	cfg_free(&agent_schema, cfg);
	*cfg = next;
	log_info("configuration reloaded");
}

/* How long one pass of the sender may take before collection is due. */
#define AGENT_SEND_BUDGET_MS	5000

static int
agent_run(const struct cli *cli, struct agent_config *cfg, const char *path)
{
	struct agent_state	 st;
	struct sender		*sender;
	struct backoff		 splay;
	enum send_state		 state;
	char			 err[1024];
	int64_t			 now, cadence, next_collect, next_send = 0;
	int64_t			 wait;
	size_t			 delivered;
	int			 rc = WARD_EXIT_FAILURE, opened = 0;

	/* Say what is wrong with the sending side before detaching, while
	 * there is a terminal to say it to. */
	if ((sender = agent_sender(cfg, err, sizeof err)) == NULL)
		goto fail;
	send_free(sender);
	if (daemon_signals_init(err, sizeof err) == -1)
		goto fail;
	if (!cli->foreground && daemon_detach(err, sizeof err) == -1)
		goto fail;
	if (cfg->daemon.pidfile != NULL && daemon_pidfile_create(
	    cfg->daemon.pidfile, err, sizeof err) == -1)
		goto fail;
	if (daemon_drop_privileges(cfg->daemon.user, err, sizeof err) == -1)
		goto fail;
	if (agent_state_open(cfg, &st, err, sizeof err) == -1)
		goto fail;
	opened = 1;
	log_info("reporting to %s every %llds as agent %s (%zu report%s "
	    "spooled)", cfg->collector.url, (long long)(cfg->agent.interval /
	    1000), st.id, spool_count(st.spool),
	    spool_count(st.spool) == 1 ? "" : "s");

	/* The first report waits a random second or more so that agents
	 * started together (a rack powering up) do not report together. */
	cadence = cfg->agent.cadence > 0 ? cfg->agent.cadence :
	    cfg->agent.interval;
	backoff_init(&splay, 1000, 1000);
	next_collect = wtime_mono_ms() + (cfg->agent.cadence > 0 ? cadence :
	    backoff_jitter_ms(&splay, 1000, cadence / 10 > 1000 ?
	    cadence / 10 : 1000));

	while (!daemon_stop_requested()) {
		if (daemon_reload_requested()) {
			agent_reload(path, cfg, &st);
			cadence = cfg->agent.cadence > 0 ? cfg->agent.cadence :
			    cfg->agent.interval;
		}
		now = wtime_mono_ms();
		if (now >= next_collect) {
			spool_expire(st.spool, wtime_now_ms());
			agent_report(cfg, &st);
			next_collect += cadence;
			/* Fell behind (a suspend, slow plugins): skip, do not
			 * burst. */
			if (next_collect <= now)
				next_collect = now + cadence;
			now = wtime_mono_ms();
		}
		if (spool_count(st.spool) > 0 && now >= next_send) {
			state = send_drain(st.sender, st.spool, now, &next_send,
			    &delivered);
			(void)state;
			now = wtime_mono_ms();
		}
		wait = next_collect - now;
		if (spool_count(st.spool) > 0 && next_send - now < wait)
			wait = next_send - now;
		if (wait > 0)
			daemon_sleep_ms(wait);
	}
	log_info("stopping; %zu report%s wait in the spool",
	    spool_count(st.spool), spool_count(st.spool) == 1 ? "" : "s");
	rc = WARD_EXIT_OK;

fail:
	if (rc != WARD_EXIT_OK)
		log_error("%s", err);
	if (opened)
		agent_state_close(&st);
	daemon_pidfile_remove();
	return rc;
}

int
main(int argc, char **argv)
{
	struct agent_config	 cfg;
	struct cli		 cli;
	char			*path, err[512];
	int			 rc;

	memset(&cfg, 0, sizeof cfg);
	if ((rc = cli_start(&agent_program, argc, argv, &cli, &cfg)) != -1)
		return rc;
	if (cli_extra(&agent_program, &cli, "print") != NULL)
		rc = agent_print(&cfg);
	else if (http_global_init(err, sizeof err) == -1) {
		log_error("%s", err);
		rc = WARD_EXIT_FAILURE;
	} else if (cli_extra(&agent_program, &cli, "once") != NULL) {
		rc = agent_once(&cfg);
		http_global_cleanup();
	} else {
		/* Detaching changes directory: SIGHUP rereads this. */
		if ((path = realpath(cli.config_path, NULL)) == NULL)
			path = xstrdup(cli.config_path);
		rc = agent_run(&cli, &cfg, path);
		free(path);
		http_global_cleanup();
	}
	cfg_free(&agent_schema, &cfg);
	return rc;
}
