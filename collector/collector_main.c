/* collector_main.c: ward-collector: serves the report API over HTTPS, and
 * manages API tokens from the command line. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/cfg.h"
#include "common/cli.h"
#include "common/daemon.h"
#include "common/log.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "collector/collector.h"

static const struct cfg_option collector_http_options[] = {
	{ "listen", CFG_STRING, "127.0.0.1:8443", 0, 0, NULL, 0,
	  offsetof(struct httpd_config, listen),
	  "Address and port to serve on: \"10.0.0.5:8443\", \"[::1]:8443\", "
	  "or \":8443\" for every address. Numeric addresses only." },
	{ "tls", CFG_BOOL, "yes", 0, 0, NULL, 0,
	  offsetof(struct httpd_config, tls),
	  "Serve HTTPS. \"no\" serves plain HTTP and is only allowed on a "
	  "loopback address (behind a local TLS proxy, or for tests)." },
	{ "tls_cert", CFG_PATH, NULL, 0, 0, NULL, 0,
	  offsetof(struct httpd_config, tls_cert),
	  "The server's certificate chain (PEM), leaf first. Required "
	  "unless tls = no." },
	{ "tls_key", CFG_SECRET, NULL, 0, 0, NULL, 0,
	  offsetof(struct httpd_config, tls_key),
	  "The certificate's private key (PEM). Required "
	  "unless tls = no. Read before privileges are dropped, so it may "
	  "be owned by root." },
	{ "max_body", CFG_SIZE, "8M", 1024, 256LL * 1024 * 1024, NULL, 0,
	  offsetof(struct httpd_config, max_body_bytes),
	  "Largest request body accepted; a larger one is answered 413 "
	  "without being read." },
	{ "request_timeout", CFG_DURATION, "30s", 1000, 3600 * 1000, NULL, 0,
	  offsetof(struct httpd_config, request_timeout_ms),
	  "Close a connection idle this long (rounded up to seconds)." },
	{ "max_connections", CFG_INT, "1024", 1, 65536, NULL, 0,
	  offsetof(struct httpd_config, max_connections),
	  "Most connections served at once; more wait in the kernel's "
	  "backlog." },
	CFG_OPTIONS_END
};

static const struct cfg_option collector_store_options[] = {
	{ "database", CFG_PATH, WARD_LOCALSTATEDIR "/ward.db", 0, 0, NULL, 0,
	  offsetof(struct store_config, database),
	  "The SQLite database (WAL mode; created mode 0600). It is opened "
	  "as the [daemon] user, so its directory must be writable by that "
	  "user." },
	{ "raw_retention", CFG_DURATION, "8d", 3600000, 400LL * 86400000, NULL,
	  0, offsetof(struct store_config, raw_retention_ms),
	  "Keep every raw sample, and the record of every report (which is "
	  "what makes an agent's replay idempotent), this long. Agents' "
	  "spool max_age must stay below it." },
	{ "rollup_retention", CFG_DURATION, "400d", 86400000,
	  10LL * 366 * 86400000, NULL, 0,
	  offsetof(struct store_config, rollup_retention_ms),
	  "Keep hourly min/avg/max roll-ups this long; a series nothing has "
	  "reported to for this long is deleted." },
	{ "housekeeping_interval", CFG_DURATION, "10m", 1000, 86400000, NULL,
	  0, offsetof(struct store_config, housekeeping_interval_ms),
	  "How often to delete what is past its retention (the first run is "
	  "a minute after start, or sooner if this is shorter)." },
	{ "housekeeping_batch", CFG_INT, "2000", 10, 1000000, NULL, 0,
	  offsetof(struct store_config, housekeeping_batch),
	  "Most rows deleted per transaction. Each transaction holds the "
	  "write lock, so a report arriving meanwhile waits for at most one "
	  "batch." },
	CFG_OPTIONS_END
};

static const struct cfg_section collector_sections[] = {
	{ "log", cli_log_options, 0, offsetof(struct collector_config, log), 0,
	  "Logging." },
	{ "daemon", cli_daemon_options, 0, offsetof(struct collector_config, daemon),
	  0, "Process: pidfile and the user to run as." },
	{ "http", collector_http_options, 0,
	  offsetof(struct collector_config, http), 0,
	  "The HTTP(S) server agents report to and clients query." },
	{ "store", collector_store_options, 0,
	  offsetof(struct collector_config, store), 0,
	  "Where reports are stored." },
	CFG_SECTIONS_END
};

static int
collector_validate(void *cfg, char *err, size_t errlen)
{
	struct collector_config	*cc = cfg;

	if (cc->store.rollup_retention_ms < cc->store.raw_retention_ms) {
		snprintf(err, errlen, "[store] rollup_retention must be at "
		    "least raw_retention");
		return -1;
	}
	return httpd_config_check(&cc->http, err, errlen);
}

static const struct cfg_schema collector_schema = {
	"ward-collector", WARD_SYSCONFDIR "/collector.conf", collector_sections,
	collector_validate,
};

static const struct cli_program collector_program = {
	.name = "ward-collector",
	.summary = "ward-collector: receives reports from ward agents and "
	    "stores them; manages API tokens.",
	.operands = "[COMMAND ...]",
	.schema = &collector_schema,
	.is_daemon = 1,
	.config_optional = 0,
	.commands_help =
	    "Commands:\n"
	    "  serve                run the server (the default)\n"
	    "  token add --role ROLE --name NAME\n"
	    "                       create an API token and print it, once, on\n"
	    "                       standard output; ROLE is agent, read,\n"
	    "                       operate or admin (\"token add ROLE NAME\"\n"
	    "                       works too)\n"
	    "  token list           list the tokens: name, role, created, last\n"
	    "                       used, live or revoked (never a token)\n"
	    "  token revoke NAME    revoke the live token called NAME\n",
	.log_offset = offsetof(struct collector_config, log),
};

static int collector_usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int
collector_usage(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "ward-collector: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'ward-collector --help' for more.\n");
	return WARD_EXIT_USAGE;
}

/*
 * Token commands run as the [daemon] user when started as root, like the
 * server, so a database they create belongs to the user that serves it.
 */
static struct store *
collector_open_store(const struct collector_config *cfg)
{
	struct store	*st;
	char		 err[1024];

	if (daemon_drop_privileges(cfg->daemon.user, err, sizeof err) == -1 ||
	    (st = store_open(cfg->store.database, 0, err, sizeof err)) ==
	    NULL) {
		fprintf(stderr, "ward-collector: %s\n", err);
		return NULL;
	}
	return st;
}

static int
collector_token(const struct collector_config *cfg, int argc, char **argv)
{
	struct store	*st = NULL;
	const char	*role_name = NULL, *name = NULL;
	char		*token = NULL, err[1024];
	int		 i, role, rc = WARD_EXIT_FAILURE;

	if (argc < 2)
		return collector_usage("token: expected add, list or revoke");
	if (strcmp(argv[1], "add") == 0) {
		for (i = 2; i < argc; i++) {
			if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
				role_name = argv[++i];
			else if (strncmp(argv[i], "--role=", 7) == 0)
				role_name = argv[i] + 7;
			else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
				name = argv[++i];
			else if (strncmp(argv[i], "--name=", 7) == 0)
				name = argv[i] + 7;
			else if (argv[i][0] == '-')
				return collector_usage("token add: unknown "
				    "option \"%s\"", argv[i]);
			else if (role_name == NULL)
				role_name = argv[i];
			else if (name == NULL)
				name = argv[i];
			else
				return collector_usage("token add: unexpected "
				    "\"%s\"", argv[i]);
		}
		if (role_name == NULL || name == NULL)
			return collector_usage("token add: needs --role ROLE "
			    "and --name NAME");
		if ((role = token_role_from_name(role_name)) == -1)
			return collector_usage("token add: unknown role \"%s\"; "
			    "use agent, read, operate or admin", role_name);
		if ((st = collector_open_store(cfg)) == NULL)
			goto done;
		if (token_add(st, name, (enum token_role)role, &token, err,
		    sizeof err) == -1) {
			fprintf(stderr, "ward-collector: %s\n", err);
			goto done;
		}
		fprintf(stderr, "ward-collector: token \"%s\" (role %s) "
		    "created; it is shown once and cannot be shown again:\n",
		    name, role_name);
		printf("%s\n", token);
		fflush(stdout);
		xfree_secret(token);
		rc = WARD_EXIT_OK;
	} else if (strcmp(argv[1], "list") == 0) {
		if (argc != 2)
			return collector_usage("token list: unexpected \"%s\"",
			    argv[2]);
		if ((st = collector_open_store(cfg)) == NULL)
			goto done;
		if (token_list(st, stdout, err, sizeof err) == -1) {
			fprintf(stderr, "ward-collector: %s\n", err);
			goto done;
		}
		rc = WARD_EXIT_OK;
	} else if (strcmp(argv[1], "revoke") == 0) {
		if (argc != 3)
			return collector_usage("token revoke: needs one NAME");
		if ((st = collector_open_store(cfg)) == NULL)
			goto done;
		if (token_revoke(st, argv[2], err, sizeof err) == -1) {
			fprintf(stderr, "ward-collector: %s\n", err);
			goto done;
		}
		fprintf(stderr, "ward-collector: token \"%s\" revoked\n",
		    argv[2]);
		rc = WARD_EXIT_OK;
	} else
		return collector_usage("token: unknown command \"%s\"; use add, "
		    "list or revoke", argv[1]);

done:
	store_close(st);
	return rc;
}

static void
collector_housekeep(const struct collector_config *cfg, struct store *hk)
{
	struct housekeep_result	 res;
	char			 err[1024];
	int64_t			 start = wtime_mono_ms();

	if (housekeep_run(hk, &cfg->store, wtime_now_ms(),
	    cfg->store.housekeeping_batch, daemon_stop_requested, &res, err,
	    sizeof err) == -1) {
		log_warnx("%s; trying again at the next interval", err);
		return;
	}
	if (res.samples + res.rollups + res.reports + res.series > 0)
		log_info("housekeeping: deleted %lld samples, %lld roll-ups, "
		    "%lld report records, %lld series in %lld transactions, "
		    "%lld ms", (long long)res.samples, (long long)res.rollups,
		    (long long)res.reports, (long long)res.series,
		    (long long)res.transactions,
		    (long long)(wtime_mono_ms() - start));
}

/*
 * The order matters: bind (may need root for a low port) and report a
 * failure to the terminal before detaching; pidfile after detaching (it
 * holds the daemon's pid); drop privileges; only then open the database, so
 * its files belong to the [daemon] user and no SQLite handle crosses fork().
 */
static int
collector_serve(const struct cli *cli, const struct collector_config *cfg)
{
	struct collector	 c;
	struct httpd		*h = NULL;
	struct store		*hk = NULL;
	char			 err[1024];
	int64_t			 next_hk, wait;
	int			 rc = WARD_EXIT_FAILURE;

	memset(&c, 0, sizeof c);
	c.cfg = cfg;
	if (daemon_signals_init(err, sizeof err) == -1)
		goto fail;
	if ((c.listen_fd = httpd_listen(&cfg->http, err, sizeof err)) == -1) {
		c.listen_fd = 0;
		goto fail;
	}
	if (!cli->foreground && daemon_detach(err, sizeof err) == -1)
		goto fail;
	if (cfg->daemon.pidfile != NULL && daemon_pidfile_create(
	    cfg->daemon.pidfile, err, sizeof err) == -1)
		goto fail;
	if (daemon_drop_privileges(cfg->daemon.user, err, sizeof err) == -1)
		goto fail;
	if ((c.store = store_open(cfg->store.database, 0, err,
	    sizeof err)) == NULL)
		goto fail;
	if ((h = httpd_start(&c, err, sizeof err)) == NULL)
		goto fail;
	/* Housekeeping writes through its own connection on this thread;
	 * the server thread keeps the other. */
	if ((hk = store_open(cfg->store.database, 0, err, sizeof err)) ==
	    NULL)
		goto fail;
	log_info("serving; database %s", cfg->store.database);

	next_hk = wtime_mono_ms() + (cfg->store.housekeeping_interval_ms <
	    60000 ? cfg->store.housekeeping_interval_ms : 60000);
	while (!daemon_stop_requested()) {
		wait = next_hk - wtime_mono_ms();
		if (wait > 0)
			daemon_sleep_ms(wait);
		if (daemon_reload_requested())
			log_info("reload: nothing to reload yet; restart to "
			    "apply configuration changes");
		if (daemon_stop_requested() || wtime_mono_ms() < next_hk)
			continue;
		collector_housekeep(cfg, hk);
		next_hk = wtime_mono_ms() + cfg->store.housekeeping_interval_ms;
	}
	log_info("stopping");
	rc = WARD_EXIT_OK;

fail:
	if (rc != WARD_EXIT_OK)
		log_error("%s", err);
	httpd_stop(h);
	store_close(hk);
	store_close(c.store);
	if (c.listen_fd > 0)
		close(c.listen_fd);
	daemon_pidfile_remove();
	return rc;
}

int
main(int argc, char **argv)
{
	struct collector_config	 cfg;
	struct cli		 cli;
	int			 rc;

	memset(&cfg, 0, sizeof cfg);
	if ((rc = cli_start(&collector_program, argc, argv, &cli, &cfg)) != -1)
		return rc;
	if (cli.argc == 0 || (cli.argc == 1 && strcmp(cli.argv[0], "serve") ==
	    0))
		rc = collector_serve(&cli, &cfg);
	else if (strcmp(cli.argv[0], "token") == 0)
		rc = collector_token(&cfg, cli.argc, cli.argv);
	else
		rc = collector_usage("unknown command \"%s\"", cli.argv[0]);
	cfg_free(&collector_schema, &cfg);
	return rc;
}
