/* snmp.c: polls many devices at once through net-snmp's asynchronous API:
 * one select loop, bounded concurrency, each device's failure its own. */
#include "config.h"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/library/large_fd_set.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "agents/agent.h"

#define SNMP_GET_MAX		64	/* OIDs in one GET step */
#define SNMP_WALK_MAX		32	/* columns in one walk step */
#define SNMP_VALUES_DEFAULT	100000	/* values one poll may return */
#define SNMP_WAIT_MAX_MS	250	/* how long select waits at most */

const char *const snmp_auth_names[] = {
	"none", "md5", "sha", "sha224", "sha256", "sha384", "sha512", NULL
};
const char *const snmp_priv_names[] = {
	"none", "des", "aes", "aes192", "aes256", NULL
};

enum snmp_step_kind { STEP_GET, STEP_WALK };

struct snmp_step {
	enum snmp_step_kind	 kind;
	struct snmp_oid		 oids[SNMP_WALK_MAX > SNMP_GET_MAX ?
				    SNMP_WALK_MAX : SNMP_GET_MAX];
	size_t			 n;
	/* GET: OIDs a v1 agent said noSuchName to; WALK: columns ended. */
	int			 done[SNMP_GET_MAX];
	struct snmp_oid		 cursor[SNMP_WALK_MAX];
	int			 active[SNMP_WALK_MAX];	/* in the request */
	size_t			 nactive;
	int			 reps;
};

enum snmp_job_state {
	JOB_QUEUED,
	JOB_DISCOVER,		/* v3: waiting for the engine ID */
	JOB_ENGINE_WAIT,	/* v3: another device with this engine ID
				 * is being polled */
	JOB_RUNNING,
	JOB_ALIVE_PROBE,	/* v1/v2c timed out: does it speak v3? */
	JOB_FINISHED,		/* the loop closes it and says so */
	JOB_REAPED,
};

struct snmp_job {
	struct snmp_target	 t;
	char			*name;
	char			*host;
	char			*community;
	snmp_step_fn		 on_step;
	void			*arg;

	struct snmp_step	*steps;
	size_t			 nsteps;
	size_t			 cur;

	enum snmp_job_state	 state;
	netsnmp_session		*ss;
	int			 reqid;
	int			 want_alive_probe;
	int			 answered;	/* something came back */
	int64_t			 last_ms;	/* when it last sent or heard */
	struct snmp_vars	 vars;
	size_t			 requests;
	size_t			 steps_done;
	size_t			 engine;	/* in snmp_engines, v3 */
	int			 has_engine;
	enum snmp_failure	 failure;
	char			 error[512];
};

/* Engine IDs met in one run. net-snmp keeps one clock, and one set of
 * localised keys per user, for each engine ID; devices cloned from one
 * configuration share an engine ID and polled at once would overwrite
 * each other's clock and keys. They take turns: each turn sets up its
 * own keys and starts the clock afresh, so each device's credentials and
 * failures stay its own. */
struct snmp_engine_seen {
	u_char			*id;
	size_t			 len;
	struct snmp_job		*busy;		/* whose turn it is */
	char			*last;		/* the device that polled last */
};

static struct snmp_engine_seen	*snmp_engines;
static size_t			 snmp_nengines;
static int			 snmp_initialised;

static void	snmp_job_send(struct snmp_job *j);
static void	snmp_job_engine_use(struct snmp_job *, netsnmp_session *);
static void	snmp_engines_clear(void);

const char *
snmp_failure_name(enum snmp_failure f)
{
	static const char *const names[] = {
		"ok", "timeout", "community", "auth", "unknown-user",
		"decryption", "security-level", "time-window", "engine-id",
		"address", "protocol", "stopped",
	};

	if ((size_t)f >= sizeof names / sizeof names[0])
		return "unknown";
	return names[f];
}

void
snmp_global_init(void)
{
	if (snmp_initialised)
		return;
	/* No snmp.conf, no persistent state, no MIB files: every OID here
	 * is numeric and every setting comes from ward's own config. */
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
	setenv("MIBS", "", 1);
	setenv("MIBDIRS", "", 1);
	snmp_disable_log();
	if (getenv("WARD_SNMP_DEBUG") != NULL) {
		/* net-snmp's own trace, for debugging a device by hand. */
		snmp_enable_stderrlog();
		debug_register_tokens(getenv("WARD_SNMP_DEBUG"));
		snmp_set_do_debugging(1);
	}
	init_snmp("ward-netpoll");
	snmp_initialised = 1;
}

void
snmp_global_shutdown(void)
{
	if (!snmp_initialised)
		return;
	snmp_shutdown("ward-netpoll");
	snmp_engines_clear();
	snmp_initialised = 0;
}

struct snmp_job *
snmp_job_new(const struct snmp_target *t, snmp_step_fn on_step, void *arg)
{
	struct snmp_job	*j = xcalloc(1, sizeof *j);

	j->t = *t;
	j->name = xstrdup(t->name != NULL ? t->name : t->host);
	j->host = xstrdup(t->host);
	j->community = t->community != NULL ? xstrdup(t->community) : NULL;
	j->t.name = j->name;
	j->t.host = j->host;
	j->t.community = j->community;
	if (j->t.max_repetitions < 1)
		j->t.max_repetitions = 10;
	if (j->t.max_values == 0)
		j->t.max_values = SNMP_VALUES_DEFAULT;
	j->on_step = on_step;
	j->arg = arg;
	snmp_vars_init(&j->vars);
	return j;
}

void
snmp_job_free(struct snmp_job *j)
{
	if (j == NULL)
		return;
	if (j->ss != NULL)
		snmp_close(j->ss);
	snmp_vars_clear(&j->vars);
	free(j->steps);
	free(j->name);
	free(j->host);
	xfree_secret(j->community);
	free(j);
}

static struct snmp_step *
snmp_job_step_add(struct snmp_job *j, enum snmp_step_kind kind,
    const struct snmp_oid *oids, size_t n)
{
	struct snmp_step	*s;
	size_t			 max = kind == STEP_GET ? SNMP_GET_MAX :
				    SNMP_WALK_MAX;

	if (n > max)
		fatalx("snmp_job: %zu OIDs in one step (at most %zu)", n, max);
	j->steps = xreallocarray(j->steps, j->nsteps + 1, sizeof *j->steps);
	s = &j->steps[j->nsteps++];
	memset(s, 0, sizeof *s);
	s->kind = kind;
	memcpy(s->oids, oids, n * sizeof *oids);
	memcpy(s->cursor, oids, (n < SNMP_WALK_MAX ? n : SNMP_WALK_MAX) *
	    sizeof *oids);
	s->n = n;
	s->reps = j->t.max_repetitions;
	return s;
}

void
snmp_job_get(struct snmp_job *j, const struct snmp_oid *oids, size_t n)
{
	if (n > 0)
		snmp_job_step_add(j, STEP_GET, oids, n);
}

void
snmp_job_walk(struct snmp_job *j, const struct snmp_oid *columns, size_t n)
{
	if (n > 0)
		snmp_job_step_add(j, STEP_WALK, columns, n);
}

struct snmp_vars *
snmp_job_vars(struct snmp_job *j)
{
	return &j->vars;
}

enum snmp_failure
snmp_job_failure(const struct snmp_job *j)
{
	return j->failure;
}

const char *
snmp_job_error(const struct snmp_job *j)
{
	return j->error;
}

size_t
snmp_job_requests(const struct snmp_job *j)
{
	return j->requests;
}

size_t
snmp_job_steps_done(const struct snmp_job *j)
{
	return j->steps_done;
}

static void
snmp_job_fail(struct snmp_job *j, enum snmp_failure f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
snmp_job_fail(struct snmp_job *j, enum snmp_failure f, const char *fmt, ...)
{
	va_list	 ap;
	char	 why[400];

	if (j->state == JOB_FINISHED || j->state == JOB_REAPED)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	snprintf(j->error, sizeof j->error, "%s (%s:%u): %s", j->name,
	    j->host, j->t.port, why);
	j->failure = f;
	j->state = JOB_FINISHED;
	j->reqid = 0;
}

static void
snmp_job_finish(struct snmp_job *j)
{
	j->state = JOB_FINISHED;
	j->reqid = 0;
}

static const char *
snmp_version_name(enum snmp_version v)
{
	return v == SNMP_V1 ? "SNMPv1" : v == SNMP_V2C ? "SNMPv2c" : "SNMPv3";
}

static const char *
snmp_step_name(const struct snmp_job *j)
{
	static char	 buf[96];
	const struct snmp_step *s;

	if (j->cur >= j->nsteps)
		return "the poll";
	s = &j->steps[j->cur];
	snprintf(buf, sizeof buf, "%s %s", s->kind == STEP_GET ? "GET" :
	    "walk of", snmp_oid_format(&s->oids[0], buf + 64, 32));
	return buf;
}

/* The address net-snmp should use: IPv6 literals in brackets. */
static void
snmp_peername(const struct snmp_job *j, char *buf, size_t size)
{
	if (strchr(j->host, ':') != NULL)
		snprintf(buf, size, "udp6:[%s]:%u", j->host, j->t.port);
	else
		snprintf(buf, size, "udp:%s:%u", j->host, j->t.port);
}

static int
snmp_auth_oid(enum snmp_auth a, const oid **o, size_t *len)
{
	switch (a) {
	case SNMP_AUTH_MD5:
		*o = usmHMACMD5AuthProtocol;
		*len = sizeof usmHMACMD5AuthProtocol / sizeof(oid);
		return 0;
	case SNMP_AUTH_SHA:
		*o = usmHMACSHA1AuthProtocol;
		*len = sizeof usmHMACSHA1AuthProtocol / sizeof(oid);
		return 0;
	case SNMP_AUTH_SHA224:
		*o = usmHMAC128SHA224AuthProtocol;
		*len = sizeof usmHMAC128SHA224AuthProtocol / sizeof(oid);
		return 0;
	case SNMP_AUTH_SHA256:
		*o = usmHMAC192SHA256AuthProtocol;
		*len = sizeof usmHMAC192SHA256AuthProtocol / sizeof(oid);
		return 0;
	case SNMP_AUTH_SHA384:
		*o = usmHMAC256SHA384AuthProtocol;
		*len = sizeof usmHMAC256SHA384AuthProtocol / sizeof(oid);
		return 0;
	case SNMP_AUTH_SHA512:
		*o = usmHMAC384SHA512AuthProtocol;
		*len = sizeof usmHMAC384SHA512AuthProtocol / sizeof(oid);
		return 0;
	default:
		return -1;
	}
}

static int
snmp_priv_oid(enum snmp_priv p, const oid **o, size_t *len)
{
	switch (p) {
	case SNMP_PRIV_DES:
		*o = usmDESPrivProtocol;
		*len = sizeof usmDESPrivProtocol / sizeof(oid);
		return 0;
	case SNMP_PRIV_AES:
		*o = usmAESPrivProtocol;
		*len = sizeof usmAESPrivProtocol / sizeof(oid);
		return 0;
#ifdef NETSNMP_DRAFT_BLUMENTHAL_AES_04
	case SNMP_PRIV_AES192:
		*o = usmAES192PrivProtocol;
		*len = sizeof usmAES192PrivProtocol / sizeof(oid);
		return 0;
	case SNMP_PRIV_AES256:
		*o = usmAES256PrivProtocol;
		*len = sizeof usmAES256PrivProtocol / sizeof(oid);
		return 0;
#endif
	default:
		return -1;
	}
}

/* net-snmp's reason for the last failure on s (or the library's). */
static void
snmp_session_error(netsnmp_session *s, char *buf, size_t size)
{
	int	 liberr = 0, syserr = 0;
	char	*msg = NULL;

	snmp_error(s, &liberr, &syserr, &msg);
	str_copy(buf, msg != NULL ? msg : "unknown error", size);
	free(msg);
}

/* Opens the session; for v3, the keys come from the passphrases here and
 * are localised once the engine ID is known. */
static int
snmp_job_open(struct snmp_job *j, int alive_probe)
{
	netsnmp_session		 s;
	const struct snmp_usm	*u = j->t.usm;
	const oid		*o;
	size_t			 olen;
	char			 peer[300], why[256];

	snmp_sess_init(&s);
	snmp_peername(j, peer, sizeof peer);
	s.peername = peer;
	s.timeout = (long)j->t.timeout_ms * 1000;
	s.retries = alive_probe ? 0 : j->t.retries;
	if (alive_probe || j->t.version == SNMP_V3) {
		s.version = SNMP_VERSION_3;
		s.securityModel = SNMP_SEC_MODEL_USM;
		/* Discovery first, in the loop: net-snmp's own probe would
		 * block the whole process for this device's timeouts. */
		s.flags |= SNMP_FLAGS_DONT_PROBE;
	}
	if (alive_probe) {
		s.securityName = (char *)"";
		s.securityNameLen = 0;
		s.securityLevel = SNMP_SEC_LEVEL_NOAUTH;
	} else if (j->t.version == SNMP_V3) {
		if (u == NULL || u->user == NULL) {
			snmp_job_fail(j, SNMP_FAIL_AUTH, "no SNMPv3 user");
			return -1;
		}
		s.securityName = u->user;
		s.securityNameLen = strlen(u->user);
		s.securityLevel = u->auth == SNMP_AUTH_NONE ?
		    SNMP_SEC_LEVEL_NOAUTH : u->priv == SNMP_PRIV_NONE ?
		    SNMP_SEC_LEVEL_AUTHNOPRIV : SNMP_SEC_LEVEL_AUTHPRIV;
		if (u->auth != SNMP_AUTH_NONE) {
			if (snmp_auth_oid(u->auth, &o, &olen) == -1) {
				snmp_job_fail(j, SNMP_FAIL_AUTH, "authentication "
				    "protocol not supported by this net-snmp");
				return -1;
			}
			s.securityAuthProto = (oid *)o;
			s.securityAuthProtoLen = olen;
			s.securityAuthKeyLen = USM_AUTH_KU_LEN;
			if (generate_Ku(o, (u_int)olen,
			    (const u_char *)u->auth_pass, strlen(u->auth_pass),
			    s.securityAuthKey, &s.securityAuthKeyLen) !=
			    SNMPERR_SUCCESS) {
				snmp_job_fail(j, SNMP_FAIL_AUTH, "cannot make a "
				    "key from the authentication passphrase");
				return -1;
			}
		}
		if (u->priv != SNMP_PRIV_NONE) {
			if (snmp_priv_oid(u->priv, &o, &olen) == -1) {
				snmp_job_fail(j, SNMP_FAIL_DECRYPT, "privacy "
				    "protocol not supported by this net-snmp");
				return -1;
			}
			s.securityPrivProto = (oid *)o;
			s.securityPrivProtoLen = olen;
			s.securityPrivKeyLen = USM_PRIV_KU_LEN;
			/* The privacy key is hashed with the authentication
			 * protocol (RFC 3414 2.6). */
			(void)snmp_auth_oid(u->auth, &o, &olen);
			if (generate_Ku(o, (u_int)olen,
			    (const u_char *)u->priv_pass, strlen(u->priv_pass),
			    s.securityPrivKey, &s.securityPrivKeyLen) !=
			    SNMPERR_SUCCESS) {
				snmp_job_fail(j, SNMP_FAIL_DECRYPT, "cannot make "
				    "a key from the privacy passphrase");
				return -1;
			}
		}
	} else {
		s.version = j->t.version == SNMP_V1 ? SNMP_VERSION_1 :
		    SNMP_VERSION_2c;
		s.community = (u_char *)(j->community != NULL ?
		    j->community : "");
		s.community_len = strlen((char *)s.community);
	}
	j->ss = snmp_open(&s);
	/* snmp_open copied the keys; do not leave them on the stack. */
	memset(s.securityAuthKey, 0, sizeof s.securityAuthKey);
	memset(s.securityPrivKey, 0, sizeof s.securityPrivKey);
	if (j->ss == NULL) {
		snmp_session_error(&s, why, sizeof why);
		snmp_job_fail(j, SNMP_FAIL_ADDRESS, "cannot open a session: %s",
		    why);
		return -1;
	}
	/* snmp_open clears the flag so that the first request probes, in
	 * a blocking exchange of its own; discovery here is asynchronous. */
	if (j->ss->version == SNMP_VERSION_3)
		j->ss->flags |= SNMP_FLAGS_DONT_PROBE;
	return 0;
}

static int	snmp_job_callback(int op, netsnmp_session *sp, int reqid,
		    netsnmp_pdu *pdu, void *magic);

/* v3: a GET with no user and no varbinds, answered by a report that
 * carries the engine ID (RFC 3414 4). */
static void
snmp_job_send_probe(struct snmp_job *j)
{
	struct usmUser	*user;
	netsnmp_pdu	*pdu;
	char		 why[256];

	/* The nameless user discovery is sent as; net-snmp makes it only
	 * when it reads configuration files, which we do not. */
	if (usm_get_user(NULL, 0, (char *)"") == NULL) {
		user = xcalloc(1, sizeof *user);
		user->name = xstrdup("");
		user->secName = xstrdup("");
		user->authProtocolLen = OID_LENGTH(usmNoAuthProtocol);
		user->authProtocol = snmp_duplicate_objid(usmNoAuthProtocol,
		    user->authProtocolLen);
		user->privProtocolLen = OID_LENGTH(usmNoPrivProtocol);
		user->privProtocol = snmp_duplicate_objid(usmNoPrivProtocol,
		    user->privProtocolLen);
		usm_add_user(user);
	}
	pdu = snmp_pdu_create(SNMP_MSG_GET);
	pdu->version = SNMP_VERSION_3;
	pdu->securityName = xstrdup("");
	pdu->securityNameLen = 0;
	pdu->securityLevel = SNMP_SEC_LEVEL_NOAUTH;
	pdu->securityModel = SNMP_SEC_MODEL_USM;
	j->requests++;
	j->last_ms = wtime_mono_ms();
	if ((j->reqid = snmp_async_send(j->ss, pdu, snmp_job_callback,
	    j)) == 0) {
		snmp_session_error(j->ss, why, sizeof why);
		snmp_free_pdu(pdu);
		snmp_job_fail(j, SNMP_FAIL_ADDRESS, "cannot send: %s", why);
	}
}

static void
snmp_job_start(struct snmp_job *j)
{
	j->last_ms = wtime_mono_ms();
	if (j->nsteps == 0) {
		snmp_job_finish(j);
		return;
	}
	if (snmp_job_open(j, 0) == -1)
		return;
	if (j->t.version == SNMP_V3) {
		j->state = JOB_DISCOVER;
		snmp_job_send_probe(j);
		return;
	}
	j->state = JOB_RUNNING;
	snmp_job_send(j);
}

static void
snmp_job_send(struct snmp_job *j)
{
	struct snmp_step	*s = &j->steps[j->cur];
	netsnmp_pdu		*pdu;
	oid			 name[SNMP_OID_MAX];
	size_t			 i, k;
	char			 why[256];

	if (s->kind == STEP_GET) {
		pdu = snmp_pdu_create(SNMP_MSG_GET);
		for (i = 0; i < s->n; i++) {
			if (s->done[i])
				continue;
			for (k = 0; k < s->oids[i].len; k++)
				name[k] = s->oids[i].sub[k];
			snmp_add_null_var(pdu, name, s->oids[i].len);
		}
	} else {
		if (j->t.version == SNMP_V1)
			pdu = snmp_pdu_create(SNMP_MSG_GETNEXT);
		else {
			pdu = snmp_pdu_create(SNMP_MSG_GETBULK);
			pdu->non_repeaters = 0;
			pdu->max_repetitions = s->reps;
		}
		s->nactive = 0;
		for (i = 0; i < s->n; i++) {
			if (s->done[i])
				continue;
			for (k = 0; k < s->cursor[i].len; k++)
				name[k] = s->cursor[i].sub[k];
			snmp_add_null_var(pdu, name, s->cursor[i].len);
			s->active[s->nactive++] = (int)i;
		}
	}
	j->requests++;
	j->last_ms = wtime_mono_ms();
	if ((j->reqid = snmp_async_send(j->ss, pdu, snmp_job_callback,
	    j)) == 0) {
		snmp_session_error(j->ss, why, sizeof why);
		snmp_free_pdu(pdu);
		snmp_job_fail(j, SNMP_FAIL_PROTOCOL, "cannot send: %s", why);
	}
}

/* A step has ended: let the caller queue more, then go on or finish. */
static void
snmp_job_step_done(struct snmp_job *j)
{
	j->steps_done++;
	if (j->on_step != NULL)
		j->on_step(j, j->arg);
	j->cur++;
	if (j->cur < j->nsteps)
		snmp_job_send(j);
	else
		snmp_job_finish(j);
}

static int
snmp_job_store(struct snmp_job *j, const netsnmp_variable_list *var)
{
	struct snmp_val	 v;

	if (j->vars.n >= j->t.max_values) {
		snmp_job_fail(j, SNMP_FAIL_PROTOCOL, "more than %zu values in "
		    "one poll; stopped", j->t.max_values);
		return -1;
	}
	/* A value net-snmp parsed but we cannot hold is skipped, not
	 * fatal: the rest of the device is still worth reporting. */
	if (snmp_val_from_var(var, &v) == 0)
		snmp_vars_add(&j->vars, &v);
	return 0;
}

static int
snmp_var_oid(const netsnmp_variable_list *var, struct snmp_oid *o)
{
	size_t	 i;

	if (var->name_length > SNMP_OID_MAX)
		return -1;
	for (i = 0; i < var->name_length; i++) {
		if (var->name[i] > UINT32_MAX)
			return -1;
		o->sub[i] = (uint32_t)var->name[i];
	}
	o->len = var->name_length;
	return 0;
}

static void
snmp_job_response(struct snmp_job *j, netsnmp_pdu *pdu)
{
	struct snmp_step	*s = &j->steps[j->cur];
	netsnmp_variable_list	*var;
	struct snmp_oid		 o;
	size_t			 i, col, nvars = 0;
	int			 ended[SNMP_WALK_MAX], more = 0;

	if (pdu->errstat != SNMP_ERR_NOERROR) {
		/* v1 says noSuchName for the whole PDU: drop the OID (GET) or
		 * end the column (GETNEXT) and ask again for the rest. */
		if (pdu->errstat == SNMP_ERR_NOSUCHNAME && pdu->errindex >= 1) {
			i = (size_t)pdu->errindex - 1;
			if (s->kind == STEP_GET) {
				for (col = 0; col < s->n; col++) {
					if (s->done[col])
						continue;
					if (i-- == 0) {
						s->done[col] = 1;
						break;
					}
				}
			} else if (i < s->nactive)
				s->done[s->active[i]] = 1;
			for (col = 0; col < s->n; col++)
				more |= !s->done[col];
			if (more)
				snmp_job_send(j);
			else
				snmp_job_step_done(j);
			return;
		}
		if (pdu->errstat == SNMP_ERR_TOOBIG && s->kind == STEP_WALK &&
		    s->reps > 1) {
			s->reps /= 2;
			snmp_job_send(j);
			return;
		}
		snmp_job_fail(j, SNMP_FAIL_PROTOCOL, "%s: the agent answered "
		    "%s (error %ld, varbind %ld)", snmp_step_name(j),
		    snmp_errstring((int)pdu->errstat), pdu->errstat,
		    pdu->errindex);
		return;
	}

	if (s->kind == STEP_GET) {
		for (var = pdu->variables; var != NULL; var = var->next_variable)
			if (snmp_job_store(j, var) == -1)
				return;
		snmp_job_step_done(j);
		return;
	}

	memset(ended, 0, sizeof ended);
	for (var = pdu->variables; var != NULL; var = var->next_variable) {
		if (s->nactive == 0)
			break;
		col = (size_t)s->active[nvars++ % s->nactive];
		if (ended[col])
			continue;
		if (var->type == SNMP_ENDOFMIBVIEW ||
		    var->type == SNMP_NOSUCHOBJECT ||
		    var->type == SNMP_NOSUCHINSTANCE ||
		    snmp_var_oid(var, &o) == -1 ||
		    !snmp_oid_has_prefix(&o, &s->oids[col])) {
			ended[col] = 1;
			continue;
		}
		/* An agent that does not move forward would loop forever. */
		if (snmp_oid_cmp(&o, &s->cursor[col]) <= 0) {
			log_debug("%s: OIDs out of order in %s; that column "
			    "ends here", j->name, snmp_step_name(j));
			ended[col] = 1;
			continue;
		}
		if (snmp_job_store(j, var) == -1)
			return;
		s->cursor[col] = o;
	}
	if (nvars == 0) {
		/* An empty answer: nothing more will come. */
		for (i = 0; i < s->nactive; i++)
			ended[s->active[i]] = 1;
	}
	for (i = 0; i < s->nactive; i++) {
		col = (size_t)s->active[i];
		if (ended[col])
			s->done[col] = 1;
	}
	for (col = 0; col < s->n; col++)
		more |= !s->done[col];
	if (more)
		snmp_job_send(j);
	else
		snmp_job_step_done(j);
}

static void
snmp_hex(const u_char *p, size_t len, char *buf, size_t size)
{
	size_t	 i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < len && off + 3 < size; i++, off += 2)
		snprintf(buf + off, size - off, "%02x", p[i]);
}

/* The engine ID arrived: poll through it now, or after the device that
 * shares it. */
static void
snmp_job_discovered(struct snmp_job *j, netsnmp_session *sp,
    netsnmp_pdu *pdu)
{
	struct snmp_engine_seen	*e;
	char			 hex[80];
	size_t			 i;

	if (pdu->securityEngineIDLen == 0 || pdu->securityEngineIDLen > 32) {
		snmp_job_fail(j, SNMP_FAIL_ENGINE, "the agent's answer to "
		    "engine discovery carries no usable engine ID");
		return;
	}
	for (i = 0; i < snmp_nengines; i++) {
		e = &snmp_engines[i];
		if (e->len == pdu->securityEngineIDLen && memcmp(e->id,
		    pdu->securityEngineID, e->len) == 0)
			break;
	}
	if (i == snmp_nengines) {
		snmp_engines = xreallocarray(snmp_engines, snmp_nengines + 1,
		    sizeof *snmp_engines);
		e = &snmp_engines[snmp_nengines++];
		e->id = xmalloc(pdu->securityEngineIDLen);
		memcpy(e->id, pdu->securityEngineID, pdu->securityEngineIDLen);
		e->len = pdu->securityEngineIDLen;
		e->busy = NULL;
		e->last = NULL;
	}
	j->engine = i;
	j->has_engine = 1;
	if (e->busy != NULL && e->busy != j) {
		snmp_hex(e->id, e->len, hex, sizeof hex);
		log_debug("%s: engine ID %s is also %s's, being polled now; "
		    "waiting for it", j->name, hex, e->busy->name);
		j->state = JOB_ENGINE_WAIT;
		return;
	}
	snmp_job_engine_use(j, sp);
}

/* Polls through the engine ID found at discovery: this job's turn. */
static void
snmp_job_engine_use(struct snmp_job *j, netsnmp_session *sp)
{
	struct snmp_engine_seen	*e = &snmp_engines[j->engine];
	const struct snmp_usm	*u = j->t.usm;
	struct usmUser		*user;
	char			 hex[80];

	snmp_hex(e->id, e->len, hex, sizeof hex);
	e->busy = j;
	/* The clock net-snmp keeps is the last device's: an authenticated
	 * answer from one whose clock is behind it would be refused as a
	 * replay (RFC 3414 3.2 7b). Start this device's from nothing; its
	 * first answer, a notInTimeWindow report, sets it. The list lives
	 * as long as the process, as net-snmp's clocks do. */
	if (e->last != NULL && strcmp(e->last, j->name) != 0 &&
	    set_enginetime(e->id, (u_int)e->len, 0, 0, TRUE) !=
	    SNMPERR_SUCCESS) {
		snmp_job_fail(j, SNMP_FAIL_ENGINE, "cannot reset the clock kept "
		    "for engine ID %s", hex);
		return;
	}
	if (e->last == NULL || strcmp(e->last, j->name) != 0) {
		free(e->last);
		e->last = xstrdup(j->name);
	}
	free(sp->securityEngineID);
	sp->securityEngineID = xmalloc(e->len);
	memcpy(sp->securityEngineID, e->id, e->len);
	sp->securityEngineIDLen = e->len;
	if (sp->contextEngineIDLen == 0) {
		free(sp->contextEngineID);
		sp->contextEngineID = xmalloc(e->len);
		memcpy(sp->contextEngineID, e->id, e->len);
		sp->contextEngineIDLen = e->len;
	}
	/* This device's keys, not those of the last device with this engine
	 * ID and user, nor of an earlier poll. */
	if ((user = usm_get_user(e->id, e->len, u->user)) != NULL) {
		usm_remove_user(user);
		usm_free_user(user);
	}
	if (usm_create_user_from_session(sp) != SNMPERR_SUCCESS) {
		snmp_job_fail(j, SNMP_FAIL_ENGINE, "cannot set up user %s for "
		    "engine ID %s", u->user, hex);
		return;
	}
	log_debug("%s: engine ID %s", j->name, hex);
	j->state = JOB_RUNNING;
	snmp_job_send(j);
}

static void
snmp_job_report(struct snmp_job *j, netsnmp_session *sp, netsnmp_pdu *pdu)
{
	int	 type = snmpv3_get_report_type(pdu);
	const char *u = j->t.usm != NULL && j->t.usm->user != NULL ?
	    j->t.usm->user : "";

	if (j->state == JOB_ALIVE_PROBE) {
		snmp_job_fail(j, SNMP_FAIL_COMMUNITY, "no answer to the "
		    "community given (wrong community, or %s not enabled "
		    "there), yet the agent answers SNMPv3",
		    snmp_version_name(j->t.version));
		return;
	}
	if (j->state == JOB_DISCOVER) {
		snmp_job_discovered(j, sp, pdu);
		return;
	}
	switch (type) {
	case SNMPERR_NOT_IN_TIME_WINDOW:
		/* net-snmp learns the time from it and sends again. */
		return;
	case SNMPERR_UNKNOWN_USER_NAME:
		snmp_job_fail(j, SNMP_FAIL_UNKNOWN_USER, "unknown user \"%s\"",
		    u);
		return;
	case SNMPERR_AUTHENTICATION_FAILURE:
		snmp_job_fail(j, SNMP_FAIL_AUTH, "authentication failed for "
		    "user \"%s\" (wrong authentication passphrase or "
		    "protocol)", u);
		return;
	case SNMPERR_DECRYPTION_ERR:
		snmp_job_fail(j, SNMP_FAIL_DECRYPT, "the agent cannot decrypt "
		    "our request for user \"%s\" (wrong privacy passphrase or "
		    "protocol)", u);
		return;
	case SNMPERR_UNSUPPORTED_SEC_LEVEL:
		snmp_job_fail(j, SNMP_FAIL_SECLEVEL, "user \"%s\" cannot use "
		    "this security level there", u);
		return;
	case SNMPERR_UNKNOWN_ENG_ID:
		snmp_job_fail(j, SNMP_FAIL_ENGINE, "the agent does not know "
		    "the engine ID we used");
		return;
	default:
		snmp_job_fail(j, SNMP_FAIL_PROTOCOL, "the agent sent a report "
		    "(%s)", snmp_api_errstring(type));
		return;
	}
}

static int
snmp_job_callback(int op, netsnmp_session *sp, int reqid, netsnmp_pdu *pdu,
    void *magic)
{
	struct snmp_job	*j = magic;

	if (j->reqid == 0 || j->state == JOB_FINISHED ||
	    j->state == JOB_REAPED)
		return 1;
	/* A report about a request the agent could not authenticate or
	 * decrypt carries request id 0; net-snmp matched it by message id. */
	if (reqid != j->reqid && !(op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE &&
	    pdu != NULL && pdu->command == SNMP_MSG_REPORT && reqid == 0))
		return 1;
	j->last_ms = wtime_mono_ms();
	switch (op) {
	case NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE:
		if (pdu->command == SNMP_MSG_REPORT) {
			snmp_job_report(j, sp, pdu);
			break;
		}
		if (j->state == JOB_ALIVE_PROBE) {
			snmp_job_fail(j, SNMP_FAIL_COMMUNITY, "no answer to the "
			    "community given, yet the agent answers SNMPv3");
			break;
		}
		if (j->state == JOB_DISCOVER) {
			snmp_job_fail(j, SNMP_FAIL_ENGINE, "the agent answered "
			    "engine discovery without an engine ID");
			break;
		}
		j->answered = 1;
		snmp_job_response(j, pdu);
		break;
	case NETSNMP_CALLBACK_OP_TIMED_OUT:
		if (j->state == JOB_RUNNING && !j->answered &&
		    j->t.version != SNMP_V3) {
			/* Say whether the device is there at all: the loop
			 * opens the probe's session outside this callback. */
			j->want_alive_probe = 1;
			j->reqid = 0;
			break;
		}
		if (j->state == JOB_RUNNING && !j->answered &&
		    j->t.version == SNMP_V3 && j->t.usm != NULL &&
		    j->t.usm->priv != SNMP_PRIV_NONE)
			/* The engine answered discovery, so it is there:
			 * agents drop what they cannot decrypt. */
			snmp_job_fail(j, SNMP_FAIL_DECRYPT, "the agent answered "
			    "engine discovery but not our encrypted request "
			    "(%d tries of %lldms): wrong privacy passphrase or "
			    "protocol for user \"%s\"?", j->t.retries + 1,
			    (long long)j->t.timeout_ms, j->t.usm->user);
		else if (j->state == JOB_ALIVE_PROBE || !j->answered)
			snmp_job_fail(j, SNMP_FAIL_TIMEOUT, "no answer after %d "
			    "tr%s of %lldms (%s)", j->t.retries + 1,
			    j->t.retries == 0 ? "y" : "ies",
			    (long long)j->t.timeout_ms,
			    j->state == JOB_DISCOVER ? "SNMPv3 engine "
			    "discovery" : snmp_version_name(j->t.version));
		else
			snmp_job_fail(j, SNMP_FAIL_TIMEOUT, "stopped answering "
			    "during %s (%d tries of %lldms)", snmp_step_name(j),
			    j->t.retries + 1, (long long)j->t.timeout_ms);
		break;
	case NETSNMP_CALLBACK_OP_SEC_ERROR:
		if (j->state == JOB_RUNNING)
			snmp_job_fail(j, SNMP_FAIL_TIME_WINDOW, "the agent "
			    "kept saying our request is outside its time "
			    "window");
		break;
	case NETSNMP_CALLBACK_OP_SEND_FAILED:
		snmp_job_fail(j, SNMP_FAIL_ADDRESS, "cannot send the request");
		break;
	default:
		break;
	}
	return 1;
}

static void
snmp_job_alive_probe(struct snmp_job *j)
{
	j->want_alive_probe = 0;
	if (j->ss != NULL) {
		snmp_close(j->ss);
		j->ss = NULL;
	}
	if (snmp_job_open(j, 1) == -1)
		return;
	j->state = JOB_ALIVE_PROBE;
	snmp_job_send_probe(j);
}

static void
snmp_engines_clear(void)
{
	size_t	 i;

	for (i = 0; i < snmp_nengines; i++) {
		free(snmp_engines[i].id);
		free(snmp_engines[i].last);
	}
	free(snmp_engines);
	snmp_engines = NULL;
	snmp_nengines = 0;
}

void
snmp_run(struct snmp_job **jobs, size_t n, size_t max_in_flight,
    int (*stop)(void), void (*done)(struct snmp_job *, void *), void *arg)
{
	netsnmp_large_fd_set	 fds;
	struct timeval		 tv;
	struct snmp_job		*j;
	size_t			 next = 0, active = 0, i, first = 0;
	int64_t			 now;
	int			 nfds, block, rc, stopping = 0;

	if (max_in_flight == 0)
		max_in_flight = 1;
	netsnmp_large_fd_set_init(&fds, FD_SETSIZE);
	while (next < n || active > 0) {
		if (!stopping && stop != NULL && stop())
			stopping = 1;
		while (!stopping && active < max_in_flight && next < n) {
			j = jobs[next++];
			snmp_job_start(j);
			active++;
		}
		if (stopping) {
			for (i = first; i < n; i++) {
				j = jobs[i];
				if (j->state == JOB_REAPED)
					continue;
				if (i >= next)
					active++;
				snmp_job_fail(j, SNMP_FAIL_STOPPED, "stopped "
				    "before the poll ended");
			}
			next = n;
		} else {
			nfds = 0;
			block = 0;
			tv.tv_sec = 0;
			tv.tv_usec = SNMP_WAIT_MAX_MS * 1000;
			NETSNMP_LARGE_FD_ZERO(&fds);
			snmp_select_info2(&nfds, &fds, &tv, &block);
			if (block || tv.tv_sec > 0 || tv.tv_usec >
			    SNMP_WAIT_MAX_MS * 1000) {
				tv.tv_sec = 0;
				tv.tv_usec = SNMP_WAIT_MAX_MS * 1000;
			}
			rc = netsnmp_large_fd_set_select(nfds, &fds, NULL, NULL,
			    &tv);
			if (rc > 0)
				snmp_read2(&fds);
			else if (rc == -1 && errno != EINTR)
				log_warn("select");
			/* Every time, not only when select was idle: answers
			 * from busy devices must not hold off the timeouts
			 * of dead ones. */
			snmp_timeout();
		}
		now = wtime_mono_ms();
		for (i = first; i < next; i++) {
			j = jobs[i];
			if (j->want_alive_probe)
				snmp_job_alive_probe(j);
			if (j->state == JOB_ENGINE_WAIT &&
			    snmp_engines[j->engine].busy == NULL) {
				j->last_ms = now;
				snmp_job_engine_use(j, j->ss);
			}
			/* net-snmp can drop a request without a callback (an
			 * answer it matched but did not pass on): never wait
			 * on a job longer than all its tries. */
			if ((j->state == JOB_RUNNING || j->state ==
			    JOB_DISCOVER || j->state == JOB_ALIVE_PROBE) &&
			    now - j->last_ms > j->t.timeout_ms *
			    (j->t.retries + 2) + 1000)
				snmp_job_fail(j, SNMP_FAIL_TIMEOUT, "no usable "
				    "answer to %s", snmp_step_name(j));
			if (j->state != JOB_FINISHED)
				continue;
			if (j->ss != NULL) {
				snmp_close(j->ss);
				j->ss = NULL;
			}
			j->state = JOB_REAPED;
			if (j->has_engine && snmp_engines[j->engine].busy == j)
				snmp_engines[j->engine].busy = NULL;
			snmp_vars_sort(&j->vars);
			active--;
			if (done != NULL) {
				done(j, arg);
				/* Its report is made: a cycle over thousands of
				 * devices must not hold every device's values. */
				snmp_vars_clear(&j->vars);
			}
			/* Nor its plan: each step is some 25 KB. */
			free(j->steps);
			j->steps = NULL;
			j->nsteps = j->cur = 0;
		}
		while (first < next && jobs[first]->state == JOB_REAPED)
			first++;
	}
	netsnmp_large_fd_set_cleanup(&fds);
}
