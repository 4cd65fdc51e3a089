/* collector_main.c: ward-collector: serves the report API over HTTPS, and
 * manages API tokens from the command line. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cfg.h"
#include "common/cli.h"
#include "common/daemon.h"
#include "common/log.h"
#include "common/str.h"
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
	{ "health", health_options, 0, offsetof(struct collector_config, health),
	  0, "How check results become states, and states become alerts." },
	{ "rule", rule_options, CFG_SECTION_MULTI,
	  offsetof(struct collector_config, rules), sizeof(struct rule_config),
	  "A threshold on a metric; [rule \"NAME\"] with the name of a "
	  "built-in rule (disk_usage, inode_usage, memory, swap, "
	  "load_per_core, interface_errors, interface_tx_errors, "
	  "ups_on_battery, ups_battery_low, ups_runtime_low, cert_expiry) "
	  "replaces it." },
	{ "group", group_options, CFG_SECTION_MULTI,
	  offsetof(struct collector_config, groups), sizeof(struct group_config),
	  "Hosts that maintenance windows and notification routes can name "
	  "together." },
	{ "parent", parent_options, CFG_SECTION_MULTI,
	  offsetof(struct collector_config, parents),
	  sizeof(struct parent_config),
	  "[parent \"NAME\"]: the host NAME (a switch, an uplink) that "
	  "others depend on." },
	{ "notify", notify_options, CFG_SECTION_MULTI,
	  offsetof(struct collector_config, notifies),
	  sizeof(struct notify_config),
	  "A notification route: where alerts go (webhook or email), for "
	  "which datacentres, kinds and severities." },
	{ "eol", eol_options, 0, offsetof(struct collector_config, eol), 0,
	  "End of life: the catalogue, its refresh, the mapping, alerts." },
	{ "identity", identity_options, 0,
	  offsetof(struct collector_config, identity), 0,
	  "Identity: ward-idsync's database, served read-only." },
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
	if (health_config_check(cc, err, errlen) == -1 ||
	    notify_config_check(cc, err, errlen) == -1 ||
	    eol_config_check(cc, err, errlen) == -1)
		return -1;
	/* Last: what the file says comes before what this machine has. */
	if (httpd_config_check(&cc->http, err, errlen) == -1)
		return -1;
	return daemon_user_check(cc->daemon.user, err, errlen);
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
	    "  token revoke NAME    revoke the live token called NAME\n"
	    "  maintenance add --scope host|group|datacentre --target NAME\n"
	    "      (--start TIME --end TIME | --recur RULE --tz ZONE)\n"
	    "      --reason TEXT [--author NAME]\n"
	    "                       add a maintenance window and print its id;\n"
	    "                       TIME is ISO-8601 or now, --end also +2h;\n"
	    "                       RULE is \"daily 01:30 30m\", \"weekly sun\n"
	    "                       02:00 2h\" or \"monthly 1 03:00 4h\"\n"
	    "  maintenance list     active, upcoming and recently ended windows\n"
	    "  maintenance delete ID [--author NAME]\n"
	    "                       end a window now; it is kept as history\n"
	    "  eol refresh          refresh the end-of-life catalogue from\n"
	    "                       [eol] base_url; a product that fails keeps\n"
	    "                       its last good facts\n"
	    "  eol import-hardware FILE\n"
	    "                       replace the hardware lifecycle table with\n"
	    "                       FILE (CSV), or report its bad lines and\n"
	    "                       change nothing\n"
	    "  eol export --csv|--json [--at DATE]\n"
	    "                       every asset's lifecycle, today or at DATE\n"
	    "  eol export --forecast --csv|--json [--at DATE] [--quarters N]\n"
	    "                       what falls due per quarter and what it\n"
	    "                       costs, by datacentre and product\n",
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

/* "maintenance list": one line per window, strings made safe to print. */
static void
collector_maintenance_print(json_t *list, FILE *fp)
{
	json_t		*w, *next;
	size_t		 i;
	char		 target[48], reason[256], author[48], when[160];
	char		 recur[64], tz[48];
	const char	*s, *e;

	json_array_foreach(list, i, w) {
		if (json_is_string(json_object_get(w, "recur"))) {
			next = json_object_get(w, "next");
			s = json_string_value(json_object_get(next, "starts"));
			e = json_string_value(json_object_get(next, "ends"));
			snprintf(when, sizeof when, "%s %s, next %s..%s",
			    str_vis(recur, sizeof recur, json_string_value(
			    json_object_get(w, "recur"))), str_vis(tz,
			    sizeof tz, json_string_value(json_object_get(w,
			    "tz"))), s != NULL ? s : "-", e != NULL ? e : "-");
		} else
			snprintf(when, sizeof when, "%s..%s",
			    json_string_value(json_object_get(w, "starts")),
			    json_string_value(json_object_get(w, "ends")));
		fprintf(fp, "%-6lld %-9s %-10s %-20s %-16s %s\n  %s\n",
		    (long long)json_integer_value(json_object_get(w, "id")),
		    json_string_value(json_object_get(w, "state")),
		    json_string_value(json_object_get(w, "scope")),
		    str_vis(target, sizeof target, json_string_value(
		    json_object_get(w, "target"))),
		    str_vis(author, sizeof author, json_string_value(
		    json_object_get(w, "author"))), when,
		    str_vis(reason, sizeof reason, json_string_value(
		    json_object_get(w, "reason"))));
	}
}

/* Who a window made here is by: the user running the command, looked up
 * before privileges are dropped. */
static const char *
collector_cli_user(void)
{
	static char	 name[64];
	struct passwd	*pw;

	if ((pw = getpwuid(getuid())) != NULL)
		snprintf(name, sizeof name, "%s", pw->pw_name);
	else
		snprintf(name, sizeof name, "uid %lu", (unsigned long)getuid());
	return name;
}

static int
collector_maintenance(const struct collector_config *cfg, int argc,
    char **argv)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} opts[] = {
		{ "scope", offsetof(struct maint_window, scope) },
		{ "target", offsetof(struct maint_window, target) },
		{ "start", offsetof(struct maint_window, starts) },
		{ "end", offsetof(struct maint_window, ends) },
		{ "recur", offsetof(struct maint_window, recur) },
		{ "tz", offsetof(struct maint_window, tz) },
		{ "reason", offsetof(struct maint_window, reason) },
		{ "author", offsetof(struct maint_window, author) },
	};
	struct maint_window	 w;
	struct store		*st = NULL;
	json_t			*body = NULL;
	const char		*arg, *eq, *who = NULL;
	char			 err[1024], why[128];
	int64_t			 id;
	size_t			 i, j, len;
	int			 status, r, rc = WARD_EXIT_FAILURE;

	if (argc < 2)
		return collector_usage("maintenance: expected add, list or "
		    "delete");
	memset(&w, 0, sizeof w);
	if (strcmp(argv[1], "add") == 0) {
		for (i = 2; i < (size_t)argc; i++) {
			arg = argv[i];
			if (strncmp(arg, "--", 2) != 0)
				return collector_usage("maintenance add: "
				    "unexpected \"%s\"", arg);
			eq = strchr(arg, '=');
			len = eq != NULL ? (size_t)(eq - arg - 2) :
			    strlen(arg + 2);
			for (j = 0; j < sizeof opts / sizeof opts[0]; j++)
				if (strlen(opts[j].name) == len &&
				    strncmp(arg + 2, opts[j].name, len) == 0)
					break;
			if (j == sizeof opts / sizeof opts[0])
				return collector_usage("maintenance add: "
				    "unknown option \"%s\"", arg);
			if (eq == NULL && i + 1 >= (size_t)argc)
				return collector_usage("maintenance add: %s "
				    "needs a value", arg);
			*(const char **)((char *)&w + opts[j].off) =
			    eq != NULL ? eq + 1 : argv[++i];
		}
		if (w.author == NULL)
			w.author = collector_cli_user();
		if ((st = collector_open_store(cfg)) == NULL)
			goto done;
		if ((id = maint_add(store_db(st), cfg, &w, wtime_now_ms(),
		    &status, err, sizeof err)) == -1) {
			fprintf(stderr, "ward-collector: maintenance add: %s\n",
			    err);
			goto done;
		}
		printf("%lld\n", (long long)id);
		fprintf(stderr, "ward-collector: maintenance window %lld "
		    "added\n", (long long)id);
		rc = WARD_EXIT_OK;
	} else if (strcmp(argv[1], "list") == 0) {
		if (argc != 2)
			return collector_usage("maintenance list: unexpected "
			    "\"%s\"", argv[2]);
		if ((st = collector_open_store(cfg)) == NULL)
			goto done;
		if ((body = maint_list(store_db(st), wtime_now_ms(),
		    7LL * 86400000, err, sizeof err)) == NULL) {
			fprintf(stderr, "ward-collector: %s\n", err);
			goto done;
		}
		printf("%-6s %-9s %-10s %-20s %-16s %s\n  %s\n", "ID", "STATE",
		    "SCOPE", "TARGET", "AUTHOR", "WHEN", "REASON");
		collector_maintenance_print(json_object_get(body, "active"),
		    stdout);
		collector_maintenance_print(json_object_get(body, "upcoming"),
		    stdout);
		collector_maintenance_print(json_object_get(body, "ended"),
		    stdout);
		rc = WARD_EXIT_OK;
	} else if (strcmp(argv[1], "delete") == 0) {
		if (argc == 5 && strcmp(argv[3], "--author") == 0)
			who = argv[4];
		else if (argc != 3)
			return collector_usage("maintenance delete: needs one "
			    "ID [--author NAME]");
		if (str_parse_int64(argv[2], 1, INT64_MAX, &id, why,
		    sizeof why) == -1)
			return collector_usage("maintenance delete: ID \"%s\": "
			    "%s", argv[2], why);
		if (who == NULL)
			who = collector_cli_user();
		if ((st = collector_open_store(cfg)) == NULL)
			goto done;
		if ((r = maint_delete(store_db(st), id, who, wtime_now_ms(),
		    err, sizeof err)) != 0) {
			if (r == -1)
				fprintf(stderr, "ward-collector: %s\n", err);
			else
				fprintf(stderr, "ward-collector: maintenance "
				    "window %lld %s\n", (long long)id,
				    r == 404 ? "does not exist" :
				    "was already deleted");
			goto done;
		}
		fprintf(stderr, "ward-collector: maintenance window %lld "
		    "deleted (kept as history)\n", (long long)id);
		rc = WARD_EXIT_OK;
	} else
		return collector_usage("maintenance: unknown command \"%s\"; "
		    "use add, list or delete", argv[1]);

done:
	json_decref(body);
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

struct collector_eval {
	const struct collector_config	*cfg;
	const struct health_engine	*health;
	struct identity_facts		 identity;
	struct evaluate_result		 hosts, alerts;
	char				 err[1024];
};

static int
collector_evaluate_tx(struct db *db, void *arg)
{
	struct collector_eval	*e = arg;
	int64_t			 now = wtime_now_ms();

	if (evaluate_hosts(db, e->health, now, &e->hosts, e->err,
	    sizeof e->err) == -1 || evaluate_alerts(db, e->health, now,
	    &e->alerts, e->err, sizeof e->err) == -1 ||
	    identity_alerts_apply(db, e->cfg, &e->identity, now, e->err,
	    sizeof e->err) == -1)
		return -1;
	return 0;
}

/* Host states, maintenance, reminders and ward-idsync's runs, in one
 * transaction; ward-idsync's database read before it. */
static void
collector_evaluate(const struct collector_config *cfg,
    const struct health_engine *health, struct store *st,
    int64_t *identity_warn_at)
{
	struct collector_eval	 e;
	char			 err[1024];
	int64_t			 now = wtime_mono_ms();

	memset(&e, 0, sizeof e);
	e.cfg = cfg;
	e.health = health;
	/* ward-idsync's database is busy while a first save writes it, or
	 * unreadable: said once it has lasted a minute, and again every
	 * ten until it reads. */
	if (identity_alerts_read(cfg, &e.identity, err, sizeof err) == -1) {
		if (*identity_warn_at == 0)
			*identity_warn_at = now + 60000;
		else if (now >= *identity_warn_at) {
			log_warnx("identity alerts: %s; not judged for a "
			    "minute or more", err);
			*identity_warn_at = now + 600000;
		}
	} else
		*identity_warn_at = 0;
	if (db_transaction(store_db(st), collector_evaluate_tx, &e, err,
	    sizeof err) == -1)
		log_warnx("evaluating host states: %s", e.err[0] != '\0' ?
		    e.err : err);
}

/*
 * SIGHUP: the rules, dependencies, groups, notification routes, health
 * settings and log level change at once; [http], [store] and [daemon]
 * need a restart (the socket, the database and the user are taken at
 * start) and keep their running values. A file that does not load
 * changes nothing. Returns the new configuration, which the caller owns,
 * or NULL.
 */
static struct collector_config *
collector_reload(const char *path, struct collector *c,
    struct health_engine **health, struct notifier **notifier)
{
	struct collector_config	*next, *cur = (struct collector_config *)
				    c->cfg;
	struct health_engine	*engine;
	struct notifier		*n;
	struct httpd_config	 http;
	struct store_config	 store;
	struct cli_daemon_config daemon;
	char			 err[1024];

	next = xcalloc(1, sizeof *next);
	if (cfg_load(&collector_schema, path, next, err, sizeof err) == -1 ||
	    (engine = health_engine_new(next, err, sizeof err)) == NULL) {
		log_error("reload: %s; keeping the running configuration",
		    err);
		cfg_free(&collector_schema, next);
		free(next);
		return NULL;
	}
	if (strcmp(next->http.listen, cur->http.listen) != 0 ||
	    next->http.tls != cur->http.tls ||
	    strcmp(next->store.database, cur->store.database) != 0)
		log_warnx("reload: [http] and [store] take effect at the next "
		    "start");
	/* The senders hold their routes: new routes, new senders. */
	notify_stop(*notifier);
	*notifier = NULL;

	pthread_rwlock_wrlock(&c->lock);
	/* The sections a reload cannot apply stay as they run. */
	http = next->http;
	next->http = cur->http;
	cur->http = http;
	store = next->store;
	next->store = cur->store;
	cur->store = store;
	daemon = next->daemon;
	next->daemon = cur->daemon;
	cur->daemon = daemon;
	c->cfg = next;
	store_set_health(c->store, engine);
	pthread_rwlock_unlock(&c->lock);

	if ((n = notify_start(next, next->store.database, err,
	    sizeof err)) == NULL)
		log_error("reload: notifications: %s; none are sent until the "
		    "next reload", err);
	*notifier = n;
	health_engine_free(*health);
	*health = engine;
	log_set_level((enum log_level)next->log.level);
	log_info("configuration reloaded: %zu [rule], %zu [parent], %zu "
	    "[group], %zu [notify] sections", next->rules.count,
	    next->parents.count, next->groups.count, next->notifies.count);
	return next;
}

/*
 * The order matters: bind (may need root for a low port) and report a
 * failure to the terminal before detaching; pidfile after detaching (it
 * holds the daemon's pid); drop privileges; only then open the database, so
 * its files belong to the [daemon] user and no SQLite handle crosses fork().
 */
static int
collector_serve(const struct cli *cli, const struct collector_config *cfg,
    const char *path)
{
	struct collector_config	*owned = NULL, *next;
	struct collector	 c;
	struct httpd		*h = NULL;
	struct store		*hk = NULL;
	struct health_engine	*health = NULL;
	struct notifier		*notifier = NULL;
	struct eol_runner	*eol = NULL;
	char			 err[1024];
	int64_t			 next_hk, next_eval, wait;
	int64_t			 identity_warn_at = 0;
	int			 rc = WARD_EXIT_FAILURE;

	memset(&c, 0, sizeof c);
	c.cfg = cfg;
	pthread_rwlock_init(&c.lock, NULL);
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
	if ((health = health_engine_new(cfg, err, sizeof err)) == NULL)
		goto fail;
	store_set_health(c.store, health);
	/* End of life: its rules, the snapshot, and a thread that refreshes
	 * the catalogue and judges lifecycles for alerts; before the
	 * server, whose routes use the rules. */
	if ((eol = eol_runner_start(&c, cfg->store.database, err,
	    sizeof err)) == NULL)
		goto fail;
	c.eol_rules = eol_runner_rules(eol);
	if ((h = httpd_start(&c, err, sizeof err)) == NULL)
		goto fail;
	/* Housekeeping writes through its own connection on this thread;
	 * the server thread keeps the other. */
	if ((hk = store_open(cfg->store.database, 0, err, sizeof err)) ==
	    NULL)
		goto fail;
	/* Notifications go out from threads of their own: a slow or dead
	 * endpoint holds up nothing but its own outbox. */
	if ((notifier = notify_start(cfg, cfg->store.database, err,
	    sizeof err)) == NULL)
		goto fail;
	log_info("serving; database %s", cfg->store.database);

	next_hk = wtime_mono_ms() + (cfg->store.housekeeping_interval_ms <
	    60000 ? cfg->store.housekeeping_interval_ms : 60000);
	next_eval = wtime_mono_ms() + cfg->health.evaluate_interval_ms;
	while (!daemon_stop_requested()) {
		wait = (next_hk < next_eval ? next_hk : next_eval) -
		    wtime_mono_ms();
		if (wait > 0)
			daemon_sleep_ms(wait);
		if (daemon_reload_requested() && (next = collector_reload(
		    path, &c, &health, &notifier)) != NULL) {
			/* The first configuration is main's; later ones are
			 * ours to free, once nobody can be using them. */
			if (owned != NULL) {
				cfg_free(&collector_schema, owned);
				free(owned);
			}
			owned = next;
			cfg = next;
		}
		if (daemon_stop_requested())
			break;
		if (wtime_mono_ms() >= next_eval) {
			collector_evaluate(cfg, health, hk,
			    &identity_warn_at);
			next_eval = wtime_mono_ms() +
			    cfg->health.evaluate_interval_ms;
		}
		if (wtime_mono_ms() >= next_hk) {
			collector_housekeep(cfg, hk);
			next_hk = wtime_mono_ms() +
			    cfg->store.housekeeping_interval_ms;
		}
	}
	log_info("stopping");
	rc = WARD_EXIT_OK;

fail:
	if (rc != WARD_EXIT_OK)
		log_error("%s", err);
	httpd_stop(h);
	eol_runner_stop(eol);
	notify_stop(notifier);
	store_close(hk);
	store_close(c.store);
	health_engine_free(health);
	if (owned != NULL) {
		cfg_free(&collector_schema, owned);
		free(owned);
	}
	pthread_rwlock_destroy(&c.lock);
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
	char			*path;
	int			 rc;

	memset(&cfg, 0, sizeof cfg);
	if ((rc = cli_start(&collector_program, argc, argv, &cli, &cfg)) != -1)
		return rc;
	if (cli.argc == 0 || (cli.argc == 1 && strcmp(cli.argv[0], "serve") ==
	    0)) {
		/* Detaching changes directory: SIGHUP rereads this. */
		if ((path = realpath(cli.config_path, NULL)) == NULL)
			path = xstrdup(cli.config_path);
		rc = collector_serve(&cli, &cfg, path);
		free(path);
	} else if (strcmp(cli.argv[0], "token") == 0)
		rc = collector_token(&cfg, cli.argc, cli.argv);
	else if (strcmp(cli.argv[0], "maintenance") == 0)
		rc = collector_maintenance(&cfg, cli.argc, cli.argv);
	else if (strcmp(cli.argv[0], "eol") == 0)
		rc = eol_command(&cfg, cli.argc, cli.argv);
	else
		rc = collector_usage("unknown command \"%s\"", cli.argv[0]);
	cfg_free(&collector_schema, &cfg);
	return rc;
}
