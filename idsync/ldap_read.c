/* ldap_read.c: reading one domain's accounts with libldap: the first
 * server of the domain's list that answers, over LDAPS or StartTLS with the
 * certificate verified, a paged subtree search (AD answers at most
 * MaxPageSize entries a page), referrals not chased, ranged values fetched
 * to the end, and each entry decoded into an account; in full, or only what
 * changed since the last run (uSNChanged, deletions seen as tombstones). */
#include "config.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <time.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <lber.h>
#include <ldap.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "idsync/idsync.h"

/* Caps on what one entry may bring: no directory has names this long or
 * users in this many groups, so more is a broken or hostile server. */
#define READ_VALUE_MAX		(64 * 1024)
#define READ_VALUES_MAX		100000
/* Why a handshake fails, as far as can be told without the TLS library's
 * own words. */
#define READ_TLS_HINT	"the server's certificate does not verify against " \
	"ca_file (another CA, expired, or not naming the host)"
/* Entries skipped for a bad objectGUID are each logged up to this many. */
#define READ_SKIP_LOG		10
/* LDAP_SERVER_DIRSYNC_OID, and the size of answer asked for: Active
 * Directory's own cap. */
#define READ_DIRSYNC_OID	"1.2.840.113556.1.4.841"
#define READ_DIRSYNC_BYTES	1048576
/* A server that says "more" for ever is broken. */
#define READ_DIRSYNC_ROUNDS	100000
/* Changed objects one incremental read takes; more is a full read's work. */
#define READ_DIRSYNC_OBJECTS	10000000
/* Objects read again by objectGUID per search. */
#define READ_GUID_BATCH		100
/* The extended right DirSync needs (DS-Replication-Get-Changes). */
#define READ_GET_CHANGES	"1131f6aa-9c07-11d1-f79f-00c04fc2dcd2"

struct ldap_read {
	LDAP				*ld;
	const struct domain_config	*d;
	const char			*uri;
	size_t				 domain;
	char *const			*attrs;		/* as asked */
	char *const			*canon;		/* as kept */
	struct account_set		*out;
	struct read_stats		*rs;
	/* Accounts read_entry made in this search. */
	size_t				 entries;
	size_t				 values_dropped;
	size_t				 pages;
	size_t				 nattrs;	/* in attrs */
	/* Where read_attr_name looks first: the server names an entry's
	 * attributes in the order of the one before. */
	size_t				 attr_next;
	/* What read_entry made of the description of each of the first
	 * READ_MEMO attributes of the entry before, found again in most
	 * entries (decoding each took a tenth of the reading). */
	struct read_desc		*memo;
};

#define READ_MEMO	32

enum read_which {
	READ_OTHER,
	READ_GUID,		/* decoded before the others */
	READ_SID
};

struct read_desc {
	char			 desc[128];
	size_t			 len;		/* 0: nothing yet */
	struct decode_range	 range;
	const char		*canon;
	enum read_which		 which;
};

/* One paged search. */
struct read_query {
	const char	*base;
	const char	*filter;
	char *const	*attrs;
	int		 show_deleted;	/* tombstones too */
	int		(*entry)(LDAP *, LDAPMessage *, void *, char *,
			    size_t);
	void		*arg;
};

/* What the root DSE says about the server. */
struct read_root {
	char	*server;		/* dsServiceName */
	char	*naming_context;	/* defaultNamingContext */
	int64_t	 usn;		/* highestCommittedUSN; 0: none */
	int	 show_deleted;	/* the control is supported */
	int	 dirsync;	/* and this one */
};

static void
read_tv(int64_t ms, struct timeval *tv)
{
	tv->tv_sec = (time_t)(ms / 1000);
	tv->tv_usec = (suseconds_t)(ms % 1000) * 1000;
}

/* "Invalid credentials (49)", with the server's or TLS's own words. */
void
ldap_read_error(LDAP *ld, int rc, char *dst, size_t size)
{
	char	*diag = NULL, vis[256];

	if (ld != NULL)
		(void)ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	/* What some TLS libraries leave there, saying nothing. */
	if (diag != NULL && strcmp(diag, "(unknown error code)") == 0)
		*diag = '\0';
	if (diag != NULL && *diag != '\0')
		snprintf(dst, size, "%s (%d): %s", ldap_err2string(rc), rc,
		    str_vis(vis, sizeof vis, diag));
	else
		snprintf(dst, size, "%s (%d)", ldap_err2string(rc), rc);
	ldap_memfree(diag);
}

/*
 * Whether anything accepts a TCP connection at the URI's host and port.
 * libldap says only "Can't contact LDAP server" for a dead port and for a
 * TLS handshake that failed alike; this tells the two apart.
 */
static int
read_tcp_answers(const char *uri, int64_t timeout_ms)
{
	LDAPURLDesc	*lud = NULL;
	struct addrinfo	 hints, *res = NULL, *ai;
	struct pollfd	 pfd;
	socklen_t	 len;
	char		 port[16];
	int		 fd, err, ok = 0;

	if (ldap_url_parse(uri, &lud) != LDAP_URL_SUCCESS)
		return 0;
	snprintf(port, sizeof port, "%d", lud->lud_port > 0 ? lud->lud_port :
	    ldap_read_uri_kind(uri) == READ_URI_LDAPS ? 636 : 389);
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(lud->lud_host != NULL && *lud->lud_host != '\0' ?
	    lud->lud_host : "localhost", port, &hints, &res) != 0) {
		ldap_free_urldesc(lud);
		return 0;
	}
	ldap_free_urldesc(lud);
	for (ai = res; ai != NULL && !ok; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			ok = 1;
		else if (errno == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			len = sizeof err;
			if (poll(&pfd, 1, (int)timeout_ms) == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
			    &len) == 0 && err == 0)
				ok = 1;
		}
		close(fd);
	}
	freeaddrinfo(res);
	return ok;
}

int
ldap_read_uri_kind(const char *uri)
{
	if (strncasecmp(uri, "ldaps://", 8) == 0)
		return READ_URI_LDAPS;
	if (strncasecmp(uri, "ldap://", 7) == 0)
		return READ_URI_LDAP;
	return -1;
}

/*
 * A watch over a connection's setup. libldap bounds the TCP connect by
 * LDAP_OPT_NETWORK_TIMEOUT and each operation by LDAP_OPT_TIMEOUT, but
 * not the TLS handshake of an ldaps:// connection: a server that takes
 * the connection and never answers (a hung domain controller, its kernel
 * still accepting) kept the handshake retrying its reads, on a processor
 * of its own, forever. A thread shuts the socket down at the deadline;
 * the handshake then fails at once. The socket comes from libldap's
 * connect callback; the watch is freed with the handle, as libldap calls
 * that callback with no Sockbuf just before freeing it.
 */
#define READ_NO_SOCKET		((ber_socket_t)-1)

struct read_guard {
	struct ldap_conncb	 cb;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	pthread_t		 thread;
	int			 running;
	int			 stop;
	int			 fired;
	ber_socket_t		 fd;
	int64_t			 deadline_ms;	/* 0: none */
};

static int
read_guard_add(LDAP *ld, Sockbuf *sb, LDAPURLDesc *srv, struct sockaddr *addr,
    struct ldap_conncb *ctx)
{
	struct read_guard	*g = ctx->lc_arg;
	ber_socket_t		 fd = READ_NO_SOCKET;

	(void)ld;
	(void)srv;
	(void)addr;
	(void)ber_sockbuf_ctrl(sb, LBER_SB_OPT_GET_FD, &fd);
	pthread_mutex_lock(&g->mu);
	g->fd = fd;
	pthread_mutex_unlock(&g->mu);
	return 0;
}

static void
read_guard_del(LDAP *ld, Sockbuf *sb, struct ldap_conncb *ctx)
{
	struct read_guard	*g = ctx->lc_arg;

	(void)ld;
	if (sb != NULL) {
		pthread_mutex_lock(&g->mu);
		g->fd = READ_NO_SOCKET;
		pthread_mutex_unlock(&g->mu);
		return;
	}
	/* The handle goes: no watch runs over it by now. */
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	free(g);
}

static void *
read_guard_run(void *arg)
{
	struct read_guard	*g = arg;
	struct timespec		 ts;
	int64_t			 now;

	pthread_mutex_lock(&g->mu);
	while (!g->stop) {
		now = wtime_mono_ms();
		if (g->deadline_ms != 0 && now >= g->deadline_ms) {
			if (g->fd != READ_NO_SOCKET && !g->fired) {
				(void)shutdown(g->fd, SHUT_RDWR);
				g->fired = 1;
			}
			g->deadline_ms = 0;
		}
		if (g->deadline_ms == 0) {
			pthread_cond_wait(&g->cv, &g->mu);
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += (time_t)((g->deadline_ms - now) / 1000);
		ts.tv_nsec += (long)((g->deadline_ms - now) % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		(void)pthread_cond_timedwait(&g->cv, &g->mu, &ts);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

/* A watch on ld (freed with it), or NULL if none could be set: then ld
 * is as libldap leaves it. */
static struct read_guard *
read_guard_new(LDAP *ld)
{
	struct read_guard	*g = xcalloc(1, sizeof *g);
	pthread_condattr_t	 ca;

	g->fd = READ_NO_SOCKET;
	g->cb.lc_add = read_guard_add;
	g->cb.lc_del = read_guard_del;
	g->cb.lc_arg = g;
	pthread_mutex_init(&g->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (ldap_set_option(ld, LDAP_OPT_CONNECT_CB, &g->cb) !=
	    LDAP_OPT_SUCCESS) {
		read_guard_del(ld, NULL, &g->cb);
		return NULL;
	}
	g->running = pthread_create(&g->thread, NULL, read_guard_run, g) == 0;
	return g;
}

/* From now, ms for what follows (0: no limit). */
static void
read_guard_arm(struct read_guard *g, int64_t ms)
{
	if (g == NULL)
		return;
	pthread_mutex_lock(&g->mu);
	g->deadline_ms = ms > 0 ? wtime_mono_ms() + ms : 0;
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

/* The watch's thread ended; whether it had to shut the socket. */
static int
read_guard_end(struct read_guard *g)
{
	if (g == NULL || !g->running)
		return 0;
	pthread_mutex_lock(&g->mu);
	g->stop = 1;
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
	pthread_join(g->thread, NULL);
	g->running = 0;
	return g->fired;
}

/* Connects to uri, secures the connection and binds. On failure *fatal
 * says whether trying the domain's next server is pointless (a refused
 * password is refused everywhere, and retrying locks the account). */
static LDAP *
read_connect(const struct domain_config *d, const char *uri, int *fatal,
    char *err, size_t errlen)
{
	struct read_guard *guard = NULL;
	struct berval	 cred;
	struct timeval	 tv;
	LDAP		*ld = NULL;
	char		 why[512], diag[256], dur[32];
	int		 rc, v, kind = ldap_read_uri_kind(uri);

	*fatal = 0;
	if ((rc = ldap_initialize(&ld, uri)) != LDAP_SUCCESS) {
		snprintf(err, errlen, "%s: %s", uri, ldap_err2string(rc));
		return NULL;
	}
	v = LDAP_VERSION3;
	(void)ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v);
	(void)ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	read_tv(d->connect_timeout_ms, &tv);
	(void)ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	read_tv(d->timeout_ms, &tv);
	(void)ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
	/* Verified always, whatever ldap.conf says; this handle's own TLS
	 * context carries it. */
	v = LDAP_OPT_X_TLS_DEMAND;
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &v) !=
	    LDAP_OPT_SUCCESS)
		goto tls_setup;
	v = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2;
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &v) !=
	    LDAP_OPT_SUCCESS)
		goto tls_setup;
	if (d->ca_file != NULL && ldap_set_option(ld,
	    LDAP_OPT_X_TLS_CACERTFILE, d->ca_file) != LDAP_OPT_SUCCESS)
		goto tls_setup;
	v = 0;
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &v) !=
	    LDAP_OPT_SUCCESS)
		goto tls_setup;

	/* The connection first (and an ldaps:// one's handshake), within
	 * connect_timeout; then each operation within timeout. */
	guard = read_guard_new(ld);
	read_guard_arm(guard, d->connect_timeout_ms);
	if (ldap_connect(ld) != LDAP_SUCCESS) {
		rc = LDAP_SERVER_DOWN;
		(void)ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &rc);
		str_format_duration_ms(dur, sizeof dur, d->connect_timeout_ms);
		if (read_guard_end(guard))
			snprintf(err, errlen, "%s: no TLS handshake within %s "
			    "(connect_timeout): the server takes the "
			    "connection but does not answer (hung, or not "
			    "an LDAPS port)", uri, dur);
		else if (kind == READ_URI_LDAPS &&
		    read_tcp_answers(uri, d->connect_timeout_ms))
			snprintf(err, errlen, "%s: the TLS handshake failed: "
			    "%s", uri, tlsdiag_explain(d, uri, diag,
			    sizeof diag) == 0 ? diag : READ_TLS_HINT);
		else if (rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR)
			snprintf(err, errlen, "%s: cannot connect: nothing "
			    "answers there, or it is unreachable", uri);
		else {
			ldap_read_error(ld, rc, why, sizeof why);
			snprintf(err, errlen, "%s: cannot connect: %s", uri,
			    why);
		}
		goto fail;
	}
	read_guard_arm(guard, d->timeout_ms + d->connect_timeout_ms);

	if (kind == READ_URI_LDAP && d->starttls) {
		rc = ldap_start_tls_s(ld, NULL, NULL);
		if (rc != LDAP_SUCCESS && read_guard_end(guard)) {
			str_format_duration_ms(dur, sizeof dur,
			    d->timeout_ms + d->connect_timeout_ms);
			snprintf(err, errlen, "%s: StartTLS failed: no TLS "
			    "handshake within %s (timeout and "
			    "connect_timeout): the server does not answer",
			    uri, dur);
			goto fail;
		}
		if (rc != LDAP_SUCCESS) {
			ldap_read_error(ld, rc, why, sizeof why);
			if (rc == LDAP_CONNECT_ERROR && tlsdiag_explain(d, uri,
			    diag, sizeof diag) == 0)
				snprintf(err, errlen, "%s: StartTLS failed: %s "
				    "(the TLS handshake failed: %s)", uri, why,
				    diag);
			else
				snprintf(err, errlen, "%s: StartTLS failed: "
				    "%s%s", uri, why, rc == LDAP_CONNECT_ERROR ?
				    " (the TLS handshake failed: "
				    READ_TLS_HINT ")" : "");
			goto fail;
		}
	}
	if (d->bind_dn != NULL) {
		cred.bv_val = d->bind_password;
		cred.bv_len = strlen(d->bind_password);
	} else {
		cred.bv_val = NULL;
		cred.bv_len = 0;
	}
	rc = ldap_sasl_bind_s(ld, d->bind_dn != NULL ? d->bind_dn : "",
	    LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
	(void)read_guard_end(guard);
	if (rc != LDAP_SUCCESS) {
		ldap_read_error(ld, rc, why, sizeof why);
		if (d->bind_dn != NULL)
			snprintf(err, errlen, "%s: bind as %s failed: %s", uri,
			    d->bind_dn, why);
		else
			snprintf(err, errlen, "%s: anonymous bind failed: %s",
			    uri, why);
		*fatal = rc == LDAP_INVALID_CREDENTIALS;
		if (rc == LDAP_SERVER_DOWN && kind == READ_URI_LDAPS &&
		    read_tcp_answers(uri, d->connect_timeout_ms))
			snprintf(err, errlen, "%s: the TLS handshake failed: "
			    "%s", uri, tlsdiag_explain(d, uri, diag,
			    sizeof diag) == 0 ? diag : READ_TLS_HINT);
		else if (rc == LDAP_SERVER_DOWN)
			snprintf(err, errlen, "%s: cannot connect: nothing "
			    "answers there, or it is unreachable", uri);
		goto fail;
	}
	return ld;

tls_setup:
	snprintf(err, errlen, "%s: cannot set up TLS%s%s", uri,
	    d->ca_file != NULL ? " with CA file " : "",
	    d->ca_file != NULL ? d->ca_file : "");
fail:
	(void)read_guard_end(guard);
	ldap_unbind_ext_s(ld, NULL, NULL);
	return NULL;
}


/* The configured spelling of an attribute the server named its own way,
 * or the name a domain's attributes give it. */
static const char *
read_attr_name(struct ldap_read *r, const char *name)
{
	size_t	 i, k;

	for (k = 0; k < r->nattrs; k++) {
		i = (r->attr_next + k) % r->nattrs;
		if (strcasecmp(r->attrs[i], name) == 0) {
			r->attr_next = i + 1;
			return r->canon[i];
		}
	}
	return name;
}

/*
 * What the k-th attribute's description name says: the name without its
 * options, the range of a ranged one, the name as configured and whether
 * it is objectGUID or objectSid. The entry before's when it is the same,
 * or one in another place of the memo, else decoded into r's memo (or
 * into one past it); NULL with why when it does not decode.
 */
static struct read_desc *
read_desc(struct ldap_read *r, size_t k, const struct berval *name,
    struct read_desc *one, char *why, size_t whylen)
{
	struct read_desc	*m = k < READ_MEMO ? &r->memo[k] : one;
	size_t			 i;

	if (m->len > 0 && m->len == name->bv_len &&
	    memcmp(m->desc, name->bv_val, name->bv_len) == 0)
		return m;
	/* Entries that lack an attribute the one before had put the rest
	 * in other places: found where they were. */
	for (i = 0; i < READ_MEMO; i++)
		if (r->memo[i].len == name->bv_len && name->bv_len > 0 &&
		    memcmp(r->memo[i].desc, name->bv_val, name->bv_len) == 0)
			return &r->memo[i];
	m->len = 0;
	if (decode_range(name->bv_val, name->bv_len, &m->range, why,
	    whylen) == -1)
		return NULL;
	/* One not asked for keeps the server's spelling, m's own. */
	m->canon = read_attr_name(r, m->range.name);
	if (strcasecmp(m->range.name, "objectGUID") == 0)
		m->which = READ_GUID;
	else if (strcasecmp(m->range.name, "objectSid") == 0)
		m->which = READ_SID;
	else
		m->which = READ_OTHER;
	if (m != one && name->bv_len < sizeof m->desc) {
		memcpy(m->desc, name->bv_val, name->bv_len);
		m->len = name->bv_len;
	}
	return m;
}

/*
 * v onto a's attribute name, unless it is too long, not UTF-8 or holds a
 * NUL, or the attribute has all the values it may. *at: that attribute,
 * looked up (or made) at its first value and kept for the rest: an
 * account's attributes are in no order while it is read, and a search
 * for each value went through all those before it.
 */
static void
read_add_value(struct ldap_read *r, struct account *a, const char *name,
    struct account_attr **at, const struct berval *v)
{
	if (v->bv_len > READ_VALUE_MAX ||
	    !str_utf8(v->bv_val, v->bv_len) ||
	    memchr(v->bv_val, '\0', v->bv_len) != NULL) {
		r->values_dropped++;
		return;
	}
	if (*at == NULL)
		*at = account_attr_add(a, name);
	if ((*at)->count >= READ_VALUES_MAX) {
		r->values_dropped++;
		return;
	}
	account_attr_append(a, *at, v->bv_val, v->bv_len);
}

static void
read_add_values(struct ldap_read *r, struct account *a, const char *name,
    struct berval **vals)
{
	struct account_attr	*at = NULL;
	size_t			 i;

	for (i = 0; vals != NULL && vals[i] != NULL; i++)
		read_add_value(r, a, name, &at, vals[i]);
}

/*
 * The rest of a ranged attribute: AD sends at most MaxValRange values of
 * one attribute in a search ("member;range=0-1499") and the rest to
 * searches asking for "member;range=1500-*" on the entry itself.
 */
static int
read_ranges(struct ldap_read *r, struct account *a, const char *dn,
    const char *name, int64_t next, char *err, size_t errlen)
{
	struct decode_range	 range;
	struct berval		**vals;
	struct timeval		 tv;
	LDAPMessage		*res = NULL, *e;
	BerElement		*ber = NULL;
	char			*desc, *got, *attrs[2], why[256];
	int			 rc, more = 1, rounds = 0;

	while (more) {
		if (++rounds > READ_VALUES_MAX / 100) {
			snprintf(err, errlen, "%s: %s: too many ranges", dn,
			    name);
			return -1;
		}
		xasprintf(&desc, "%s;range=%lld-*", name, (long long)next);
		attrs[0] = desc;
		attrs[1] = NULL;
		read_tv(r->d->timeout_ms, &tv);
		rc = ldap_search_ext_s(r->ld, dn, LDAP_SCOPE_BASE,
		    "(objectClass=*)", attrs, 0, NULL, NULL, &tv, 1, &res);
		free(desc);
		if (rc != LDAP_SUCCESS) {
			ldap_read_error(r->ld, rc, why, sizeof why);
			snprintf(err, errlen, "%s: reading %s from value %lld: "
			    "%s", dn, name, (long long)next, why);
			ldap_msgfree(res);
			return -1;
		}
		more = 0;
		if ((e = ldap_first_entry(r->ld, res)) != NULL) {
			for (got = ldap_first_attribute(r->ld, e, &ber);
			    got != NULL; got = ldap_next_attribute(r->ld, e,
			    ber)) {
				if (decode_range(got, strlen(got), &range, why,
				    sizeof why) == 0 && range.ranged &&
				    strcasecmp(range.name, name) == 0) {
					vals = ldap_get_values_len(r->ld, e,
					    got);
					read_add_values(r, a, read_attr_name(r,
					    name), vals);
					ldap_value_free_len(vals);
					if (range.high >= 0) {
						next = range.high + 1;
						more = 1;
					}
				}
				ldap_memfree(got);
			}
			ber_free(ber, 0);
			ber = NULL;
		}
		ldap_msgfree(res);
		res = NULL;
	}
	r->rs->ranged++;
	return 0;
}

/* An entry's objectGUID as text; -1 (and a warning, the first few times)
 * when it has none that decodes. */
static int
read_guid_of(struct ldap_read *r, LDAPMessage *e, const char *dn,
    char guid[DECODE_GUID_LEN])
{
	struct berval	**vals;
	char		 why[256], vis[256];
	int		 rc = 0;

	vals = ldap_get_values_len(r->ld, e, "objectGUID");
	if (vals == NULL || vals[0] == NULL || decode_guid((const unsigned char *)
	    vals[0]->bv_val, vals[0]->bv_len, guid, DECODE_GUID_LEN, why,
	    sizeof why) == -1) {
		if (r->rs->skipped++ < READ_SKIP_LOG)
			log_warnx("domain %s: %s: %s; entry skipped",
			    r->d->item.label, str_vis(vis, sizeof vis, dn),
			    vals == NULL || vals[0] == NULL ?
			    "no objectGUID" : why);
		rc = -1;
	}
	ldap_value_free_len(vals);
	return rc;
}

static int
read_entry(LDAP *ld, LDAPMessage *e, void *arg, char *err, size_t errlen)
{
	struct ldap_read	*r = arg;
	struct read_desc	 one, *m;
	struct berval		 dnbv, name, *vals = NULL;
	struct account		*a;
	struct account_attr	*at;
	BerElement		*ber = NULL;
	char			*dn, guid[DECODE_GUID_LEN];
	char			 sid[DECODE_SID_LEN], why[256], vis[256];
	size_t			 i, k;
	int			 rc = 0;

	if ((dn = ldap_get_dn(ld, e)) == NULL) {
		snprintf(err, errlen, "an entry without a DN");
		return -1;
	}
	if (read_guid_of(r, e, dn, guid) == -1) {
		ldap_memfree(dn);
		return 0;
	}
	a = account_new(r->domain, r->d->item.label, guid, dn);
	memset(&one, 0, sizeof one);

	/* The attributes in one pass over the entry, their values where they
	 * lie in it (ldap_get_values_len would search it for each). */
	if (ldap_get_dn_ber(ld, e, &ber, &dnbv) != LDAP_SUCCESS)
		ber = NULL;
	for (k = 0; ber != NULL && ldap_get_attribute_ber(ld, e, ber, &name,
	    &vals) == LDAP_SUCCESS && name.bv_val != NULL; k++) {
		if ((m = read_desc(r, k, &name, &one, why, sizeof why)) ==
		    NULL) {
			log_warnx("domain %s: %s: attribute %s", r->d->item.label,
			    str_vis(vis, sizeof vis, dn), why);
			ber_memfree(vals);
			vals = NULL;
			continue;
		}
		if (m->which == READ_GUID) {
			/* Decoded above. */
		} else if (m->which == READ_SID) {
			if (vals != NULL && vals[0].bv_val != NULL && decode_sid(
			    (const unsigned char *)vals[0].bv_val,
			    vals[0].bv_len, sid, sizeof sid, why,
			    sizeof why) == 0)
				account_add_value(a, m->canon, sid,
				    strlen(sid));
			else
				log_warnx("domain %s: %s: %s",
				    r->d->item.label, str_vis(vis, sizeof vis,
				    dn), vals != NULL && vals[0].bv_val != NULL ?
				    why : "objectSid without a value");
		} else
			for (i = 0, at = NULL; vals != NULL &&
			    vals[i].bv_val != NULL; i++)
				read_add_value(r, a, m->canon, &at, &vals[i]);
		ber_memfree(vals);
		vals = NULL;
		if (m->range.ranged && m->range.high >= 0 && read_ranges(r, a,
		    dn, m->range.name, m->range.high + 1, err, errlen) == -1) {
			rc = -1;
			break;
		}
	}
	if (ber != NULL)
		ber_free(ber, 0);
	if (rc == -1) {
		account_free(a);
		ldap_memfree(dn);
		return -1;
	}
	if (account_finish(a, why, sizeof why) == -1)
		log_warnx("domain %s: %s: %s", r->d->item.label,
		    str_vis(vis, sizeof vis, dn), why);
	account_summarise(a);
	ldap_memfree(dn);
	if (r->entries >= (size_t)r->d->max_accounts) {
		account_free(a);
		snprintf(err, errlen, "more than max_accounts = %lld accounts "
		    "under %s", (long long)r->d->max_accounts, r->d->base);
		return -1;
	}
	account_set_add(r->out, a);
	r->entries++;
	return 0;
}

/*
 * The answers to search msgid, up to its result: each entry to q->entry.
 * -1 with err when the connection fails, no answer comes in time or
 * q->entry fails; else 0 with *code the search's result code (or why its
 * result does not parse), *diag the server's words about it and *ctrls the
 * result's controls, for the caller to free.
 */
static int
read_answers(LDAP *ld, const struct domain_config *d, const char *uri,
    const struct read_query *q, int msgid, size_t page, size_t *references,
    int *code, char **diag, LDAPControl ***ctrls, char *err, size_t errlen)
{
	struct timeval	 tv;
	LDAPMessage	*res = NULL;
	char		 why[512], entry_err[1024];
	int		 rc, lerr;

	*code = LDAP_SUCCESS;
	*diag = NULL;
	*ctrls = NULL;
	for (;;) {
		read_tv(d->timeout_ms, &tv);
		rc = ldap_result(ld, msgid, LDAP_MSG_ONE, &tv, &res);
		if (rc == 0) {
			(void)ldap_abandon_ext(ld, msgid, NULL, NULL);
			str_format_duration_ms(why, sizeof why, d->timeout_ms);
			snprintf(err, errlen, "%s: no answer within %s (page "
			    "%zu of the search under %s)", uri, why, page,
			    q->base);
			return -1;
		}
		if (rc == -1) {
			(void)ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &lerr);
			ldap_read_error(ld, lerr, why, sizeof why);
			snprintf(err, errlen, "%s: the connection failed during "
			    "page %zu of the search under %s: %s", uri, page,
			    q->base, why);
			return -1;
		}
		switch (rc) {
		case LDAP_RES_SEARCH_ENTRY:
			rc = q->entry(ld, res, q->arg, entry_err,
			    sizeof entry_err);
			ldap_msgfree(res);
			res = NULL;
			if (rc == -1) {
				(void)ldap_abandon_ext(ld, msgid, NULL, NULL);
				snprintf(err, errlen, "%s: %s", uri, entry_err);
				return -1;
			}
			break;
		case LDAP_RES_SEARCH_REFERENCE:
			/* Referral chasing is off: other domains are read
			 * through their own [domain]. */
			if (references != NULL)
				(*references)++;
			ldap_msgfree(res);
			res = NULL;
			break;
		case LDAP_RES_SEARCH_RESULT:
			rc = ldap_parse_result(ld, res, code, NULL, diag, NULL,
			    ctrls, 1);
			if (rc != LDAP_SUCCESS)
				*code = rc;
			return 0;
		default:
			ldap_msgfree(res);
			res = NULL;
			break;
		}
	}
}

/* "search under BASE failed: Busy (51): the server's words" */
static void
read_failed(const char *uri, const char *base, int code, const char *diag,
    char *err, size_t errlen)
{
	char	 vis[256];

	snprintf(err, errlen, "%s: search under %s failed: %s (%d)%s%s", uri,
	    base, ldap_err2string(code), code, diag != NULL && *diag != '\0' ?
	    ": " : "", diag != NULL ? str_vis(vis, sizeof vis, diag) : "");
}

/* One page request after another until the server's cookie is empty. */
static int
read_paged(LDAP *ld, const struct domain_config *d, const char *uri,
    const struct read_query *q, size_t *pages, size_t *references, char *err,
    size_t errlen)
{
	struct berval	 cookie = { 0, NULL };
	LDAPControl	*page = NULL, *ctrls[3], **sctrls = NULL, *resp;
	LDAPControl	 deleted;
	ber_int_t	 estimate;
	char		*diag = NULL, why[512];
	int		 msgid, rc, code;

	memset(&deleted, 0, sizeof deleted);
	deleted.ldctl_oid = (char *)(uintptr_t)LDAP_CONTROL_X_SHOW_DELETED;
	deleted.ldctl_iscritical = 1;
	do {
		rc = ldap_create_page_control(ld, (ber_int_t)d->page_size,
		    cookie.bv_len > 0 ? &cookie : NULL, 1, &page);
		ldap_memfree(cookie.bv_val);
		cookie.bv_val = NULL;
		cookie.bv_len = 0;
		if (rc != LDAP_SUCCESS) {
			snprintf(err, errlen, "%s: paged results control: %s",
			    uri, ldap_err2string(rc));
			return -1;
		}
		ctrls[0] = page;
		ctrls[1] = q->show_deleted ? &deleted : NULL;
		ctrls[2] = NULL;
		rc = ldap_search_ext(ld, q->base, LDAP_SCOPE_SUBTREE,
		    q->filter, (char **)(uintptr_t)q->attrs, 0, ctrls, NULL,
		    NULL, 0, &msgid);
		ldap_control_free(page);
		if (rc != LDAP_SUCCESS) {
			ldap_read_error(ld, rc, why, sizeof why);
			snprintf(err, errlen, "%s: search under %s: %s", uri,
			    q->base, why);
			return -1;
		}
		(*pages)++;
		if (read_answers(ld, d, uri, q, msgid, *pages, references,
		    &code, &diag, &sctrls, err, errlen) == -1)
			return -1;
		if (code != LDAP_SUCCESS) {
			read_failed(uri, q->base, code, diag, err, errlen);
			ldap_memfree(diag);
			ldap_controls_free(sctrls);
			return -1;
		}
		ldap_memfree(diag);
		diag = NULL;
		resp = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, sctrls,
		    NULL);
		if (resp != NULL && ldap_parse_pageresponse_control(ld, resp,
		    &estimate, &cookie) != LDAP_SUCCESS) {
			ldap_controls_free(sctrls);
			snprintf(err, errlen, "%s: the server's paged results "
			    "reply does not parse", uri);
			return -1;
		}
		ldap_controls_free(sctrls);
		sctrls = NULL;
		log_debug("%s: page %zu of the search under %s read", uri,
		    *pages, q->base);
	} while (cookie.bv_len > 0);
	ldap_memfree(cookie.bv_val);
	return 0;
}

int
ldap_read_each(LDAP *ld, const struct domain_config *d, const char *uri,
    char *const *attrs, int (*entry)(LDAP *, LDAPMessage *, void *, char *,
    size_t), void *arg, size_t *pages, char *err, size_t errlen)
{
	struct read_query	 q;

	memset(&q, 0, sizeof q);
	q.base = d->base;
	q.filter = d->filter;
	q.attrs = attrs;
	q.entry = entry;
	q.arg = arg;
	return read_paged(ld, d, uri, &q, pages, NULL, err, errlen);
}

LDAP *
ldap_read_open(const struct domain_config *d, char *uri, size_t urisize,
    char *err, size_t errlen)
{
	struct buf	 tried;
	LDAP		*ld = NULL;
	char		 why[1024];
	size_t		 i;
	int		 fatal = 0;

	buf_init(&tried, 4096);
	for (i = 0; i < d->uri.count && ld == NULL && !fatal; i++) {
		ld = read_connect(d, d->uri.items[i], &fatal, why, sizeof why);
		if (ld != NULL) {
			str_copy(uri, d->uri.items[i], urisize);
			break;
		}
		(void)buf_printf(&tried, "%s%s", tried.len > 0 ? "; " : "",
		    why);
		if (i + 1 < d->uri.count && !fatal)
			log_warnx("domain %s: %s; trying the next server",
			    d->item.label, why);
	}
	if (ld == NULL)
		snprintf(err, errlen, "%s", buf_cstr(&tried));
	buf_free(&tried);
	return ld;
}

void
ldap_read_close(LDAP *ld)
{
	if (ld != NULL)
		ldap_unbind_ext_s(ld, NULL, NULL);
}

/* ------------------------------------------------------------ increments */

static void
read_root_clear(struct read_root *root)
{
	free(root->server);
	free(root->naming_context);
	memset(root, 0, sizeof *root);
}

/* The first value of attr in e, malloc'd, or NULL. */
static char *
read_value(LDAP *ld, LDAPMessage *e, const char *attr)
{
	struct berval	**vals;
	char		 *s = NULL;

	vals = ldap_get_values_len(ld, e, attr);
	if (vals != NULL && vals[0] != NULL && vals[0]->bv_len < 4096 &&
	    memchr(vals[0]->bv_val, '\0', vals[0]->bv_len) == NULL)
		s = xstrndup(vals[0]->bv_val, vals[0]->bv_len);
	ldap_value_free_len(vals);
	return s;
}

/* One entry by its DN: what a base search of it returns. */
static int
read_base(struct ldap_read *r, const char *dn, const char *const *attrs,
    LDAPMessage **res, char *err, size_t errlen)
{
	struct timeval	 tv;
	char		 why[512];
	int		 rc;

	*res = NULL;
	read_tv(r->d->timeout_ms, &tv);
	rc = ldap_search_ext_s(r->ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)",
	    (char **)(uintptr_t)attrs, 0, NULL, NULL, &tv, 1, res);
	if (rc != LDAP_SUCCESS) {
		ldap_read_error(r->ld, rc, why, sizeof why);
		snprintf(err, errlen, "%s: reading %s: %s", r->uri,
		    *dn != '\0' ? dn : "the root DSE", why);
		ldap_msgfree(*res);
		*res = NULL;
		return -1;
	}
	return 0;
}

/* The root DSE: which DC this is, its highest update sequence number, and
 * whether it shows tombstones. */
static int
read_rootdse(struct ldap_read *r, struct read_root *root, char *err,
    size_t errlen)
{
	static const char *const attrs[] = { "dsServiceName",
	    "defaultNamingContext", "highestCommittedUSN", "supportedControl",
	    NULL };
	struct berval	**vals;
	LDAPMessage	*res, *e;
	char		*usn, why[128];
	size_t		 i;

	memset(root, 0, sizeof *root);
	if (read_base(r, "", attrs, &res, err, errlen) == -1)
		return -1;
	if ((e = ldap_first_entry(r->ld, res)) != NULL) {
		root->server = read_value(r->ld, e, "dsServiceName");
		root->naming_context = read_value(r->ld, e,
		    "defaultNamingContext");
		if ((usn = read_value(r->ld, e, "highestCommittedUSN")) !=
		    NULL && (decode_int64(usn, strlen(usn), &root->usn, why,
		    sizeof why) == -1 || root->usn < 0))
			root->usn = 0;
		free(usn);
		vals = ldap_get_values_len(r->ld, e, "supportedControl");
		for (i = 0; vals != NULL && vals[i] != NULL; i++) {
			if (vals[i]->bv_len == strlen(
			    LDAP_CONTROL_X_SHOW_DELETED) && memcmp(
			    vals[i]->bv_val, LDAP_CONTROL_X_SHOW_DELETED,
			    vals[i]->bv_len) == 0)
				root->show_deleted = 1;
			if (vals[i]->bv_len == strlen(READ_DIRSYNC_OID) &&
			    memcmp(vals[i]->bv_val, READ_DIRSYNC_OID,
			    vals[i]->bv_len) == 0)
				root->dirsync = 1;
		}
		ldap_value_free_len(vals);
	}
	ldap_msgfree(res);
	return 0;
}

/* The DC's invocationId, from its NTDS Settings object. */
static int
read_invocation(struct ldap_read *r, const char *server,
    char inv[DECODE_GUID_LEN], char *err, size_t errlen)
{
	static const char *const attrs[] = { "invocationId", NULL };
	struct berval	**vals;
	LDAPMessage	*res, *e;
	char		 why[256];
	int		 rc = -1;

	if (read_base(r, server, attrs, &res, err, errlen) == -1)
		return -1;
	if ((e = ldap_first_entry(r->ld, res)) == NULL) {
		snprintf(err, errlen, "%s is not readable", server);
		goto out;
	}
	vals = ldap_get_values_len(r->ld, e, "invocationId");
	if (vals == NULL || vals[0] == NULL)
		snprintf(err, errlen, "%s has no readable invocationId",
		    server);
	else if (decode_guid((const unsigned char *)vals[0]->bv_val,
	    vals[0]->bv_len, inv, DECODE_GUID_LEN, why, sizeof why) == -1)
		snprintf(err, errlen, "%s: invocationId: %s", server, why);
	else
		rc = 0;
	ldap_value_free_len(vals);
out:
	ldap_msgfree(res);
	return rc;
}

/*
 * Whether the account read as sees tombstones: without List Contents and
 * Read Property on CN=Deleted Objects (administrators only, by default) a
 * search with Show Deleted finds none, and deletions would go unseen. None
 * to be seen cannot be told from none there; a domain in use has some.
 */
static int
read_sees_deleted(struct ldap_read *r, const char *nc, char *err,
    size_t errlen)
{
	static const char *const attrs[] = { "objectGUID", NULL };
	struct timeval	 tv;
	LDAPControl	 deleted, *ctrls[2];
	LDAPMessage	*res = NULL;
	char		*dn, why[512];
	int		 rc, found;

	memset(&deleted, 0, sizeof deleted);
	deleted.ldctl_oid = (char *)(uintptr_t)LDAP_CONTROL_X_SHOW_DELETED;
	deleted.ldctl_iscritical = 1;
	ctrls[0] = &deleted;
	ctrls[1] = NULL;
	read_tv(r->d->timeout_ms, &tv);
	/* Its well-known GUID names it whatever its name. */
	xasprintf(&dn, "<WKGUID=18e2ea80684f11d2b9aa00c04f79f805,%s>", nc);
	rc = ldap_search_ext_s(r->ld, dn, LDAP_SCOPE_ONELEVEL,
	    "(isDeleted=TRUE)", (char **)(uintptr_t)attrs, 0, ctrls, NULL, &tv,
	    1, &res);
	free(dn);
	found = (rc == LDAP_SUCCESS || rc == LDAP_SIZELIMIT_EXCEEDED) &&
	    ldap_first_entry(r->ld, res) != NULL;
	ldap_msgfree(res);
	if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED) {
		ldap_read_error(r->ld, rc, why, sizeof why);
		snprintf(err, errlen, "searching it: %.400s", why);
	} else if (!found)
		snprintf(err, errlen, "no tombstone is visible there");
	return found;
}

/* What is read, as text: another base, filter or attribute list makes
 * the last read's accounts no base for changes. */
static char *
read_scope(const struct domain_config *d, char *const *attrs)
{
	struct buf	 b;
	size_t		 i;

	buf_init(&b, 0);
	(void)buf_printf(&b, "%s\n%s\n", d->base, d->filter);
	for (i = 0; attrs[i] != NULL; i++)
		(void)buf_printf(&b, "%s%s", i > 0 ? " " : "", attrs[i]);
	/* Another mapping is another reading of the same attributes. */
	for (i = 0; i < d->attributes.count; i++)
		(void)buf_printf(&b, "%s%s", i > 0 ? " " : "\n",
		    d->attributes.items[i]);
	return buf_detach(&b, NULL);
}

/* A duration cut to its largest whole unit, to be read by a person. */
static int64_t
read_rounded(int64_t ms)
{
	static const int64_t units[] = { 86400000, 3600000, 60000, 1000, 1 };
	size_t	 i;

	for (i = 0; i < sizeof units / sizeof units[0] - 1; i++)
		if (ms >= units[i])
			break;
	return ms / units[i] * units[i];
}

/*
 * Whether the read can be of changes only, the last mark being from the
 * same DC (and the same database of it: the invocationId changes when a DC
 * is restored from a backup), of the same scope, and recent enough; why
 * not in why.
 */
int
ldap_read_may_continue(const struct domain_config *d,
    const struct read_mark *last)
{
	return d->incremental && last != NULL && last->usn > 0;
}

static int
read_can_continue(const struct domain_config *d, const struct read_mark *last,
    const struct read_mark *now, int64_t now_ms, char *why, size_t whylen)
{
	char	 ago[32], every[32];

	if (!ldap_read_may_continue(d, last)) {
		snprintf(why, whylen, "no earlier read to continue from");
		return 0;
	}
	if (strcmp(last->server, now->server) != 0) {
		snprintf(why, whylen, "another domain controller answered "
		    "(%.200s; the last read was of %.200s)", now->server,
		    last->server);
		return 0;
	}
	if (strcmp(last->invocation, now->invocation) != 0) {
		snprintf(why, whylen, "the domain controller's invocationId "
		    "changed (%s, was %s): it was restored or reinstalled",
		    now->invocation, last->invocation);
		return 0;
	}
	if (now->usn < last->usn) {
		snprintf(why, whylen, "the domain controller's "
		    "highestCommittedUSN went back (%lld, was %lld)",
		    (long long)now->usn, (long long)last->usn);
		return 0;
	}
	if (last->scope == NULL || strcmp(last->scope, now->scope) != 0) {
		snprintf(why, whylen, "base, filter or attributes changed "
		    "since the last read");
		return 0;
	}
	if (now_ms - last->full_ms >= d->full_read_interval_ms) {
		snprintf(why, whylen, "the last full read was %s ago "
		    "(full_read_interval = %s)", str_format_duration_ms(ago,
		    sizeof ago, read_rounded(now_ms - last->full_ms)),
		    str_format_duration_ms(every, sizeof every,
		    d->full_read_interval_ms));
		return 0;
	}
	return 1;
}

/* Collects the objectGUIDs of what changed, tombstones included. */
static int
read_changed_guid(LDAP *ld, LDAPMessage *e, void *arg, char *err,
    size_t errlen)
{
	struct index	*ix = arg;
	struct berval	**vals;
	char		 guid[DECODE_GUID_LEN], why[128];

	(void)err;
	(void)errlen;
	vals = ldap_get_values_len(ld, e, "objectGUID");
	if (vals != NULL && vals[0] != NULL && decode_guid(
	    (const unsigned char *)vals[0]->bv_val, vals[0]->bv_len, guid,
	    sizeof guid, why, sizeof why) == 0)
		index_add(ix, guid, 0);
	ldap_value_free_len(vals);
	return 0;
}

/*
 * The domain's accounts after changes: prev's, but those of changed (their
 * objectGUIDs), and the accounts read again (fresh, emptied into r->out).
 * An account of the last state that changed but was not read again
 * (deleted, moved out of base, no longer matching the filter) is gone.
 */
static int
read_merge(struct ldap_read *r, struct state_gate *gate,
    const struct index *changed, struct account_set *fresh, size_t before,
    char *err, size_t errlen)
{
	const struct state	*prev = state_gate_wait(gate);
	struct account_set	*out = r->out;
	struct index		*fresh_ix;
	const struct account	*pa;
	struct account		*c;
	char			 key[ACCOUNT_KEY_LEN];
	size_t			 i, n;
	int			 rc = -1;

	if (prev == NULL) {
		snprintf(err, errlen, "the last state, which the changes "
		    "read are merged into, could not be loaded");
		return -1;
	}
	fresh_ix = index_new();
	for (i = 0; i < fresh->count; i++)
		index_add(fresh_ix, fresh->items[i]->guid, i);
	for (i = 0; i < prev->naccounts; i++) {
		pa = prev->accounts[i].account;
		if (strcmp(pa->domain_name, r->d->item.label) != 0)
			continue;
		(void)index_get(fresh_ix, pa->guid, &n);
		if (n > 0)
			continue;
		(void)index_get(changed, pa->guid, &n);
		if (n > 0) {
			r->rs->gone++;
			log_debug("domain %s: %s is gone", r->d->item.label,
			    account_name(pa, key, sizeof key));
			continue;
		}
		if (out->count - before >= (size_t)r->d->max_accounts)
			goto too_many;
		if (prev->accounts[i].partial) {
			snprintf(err, errlen, "%s: the last state was loaded "
			    "without its attributes", account_name(pa, key,
			    sizeof key));
			goto out;
		}
		c = account_copy(pa);
		c->domain = r->domain;
		account_set_add(out, c);
	}
	r->rs->changed = fresh->count;
	for (i = 0; i < fresh->count; i++) {
		if (out->count - before >= (size_t)r->d->max_accounts)
			goto too_many;
		account_set_add(out, fresh->items[i]);
		fresh->items[i] = NULL;
	}
	rc = 0;
	goto out;
too_many:
	snprintf(err, errlen, "more than max_accounts = %lld accounts under %s",
	    (long long)r->d->max_accounts, r->d->base);
out:
	index_free(fresh_ix);
	return rc;
}

static void
read_fresh_free(struct account_set *fresh)
{
	size_t	 i;

	for (i = 0; i < fresh->count; i++)
		account_free(fresh->items[i]);
	free(fresh->items);
	memset(fresh, 0, sizeof *fresh);
}

/*
 * Only what changed since last->usn. First every object of the naming
 * context changed since, tombstones too (the Show Deleted control); then
 * the accounts changed since, under base and matching the filter. In this
 * order an account that changes between the two searches is still found
 * by the second; one deleted between them is seen by the next run.
 */
static int
read_changes(struct ldap_read *r, const struct read_root *root,
    const struct read_mark *last, struct state_gate *gate, char *err,
    size_t errlen)
{
	static const char *const guid_attrs[] = { "objectGUID", NULL };
	struct read_query	 q;
	struct account_set	 fresh, *out = r->out;
	struct index		*changed;
	char			*filter, *all;
	size_t			 before = out->count;
	int			 rc = -1;

	memset(&fresh, 0, sizeof fresh);
	changed = index_new();
	xasprintf(&all, "(uSNChanged>=%lld)", (long long)last->usn + 1);
	xasprintf(&filter, "(&%s%s%s%s)", r->d->filter[0] == '(' ? "" : "(",
	    r->d->filter, r->d->filter[0] == '(' ? "" : ")", all);

	memset(&q, 0, sizeof q);
	q.base = root->naming_context;
	q.filter = all;
	q.attrs = (char *const *)(uintptr_t)guid_attrs;
	q.show_deleted = 1;
	q.entry = read_changed_guid;
	q.arg = changed;
	if (read_paged(r->ld, r->d, r->uri, &q, &r->pages, NULL, err,
	    errlen) == -1)
		goto out;

	memset(&q, 0, sizeof q);
	q.base = r->d->base;
	q.filter = filter;
	q.attrs = r->attrs;
	q.entry = read_entry;
	q.arg = r;
	r->out = &fresh;
	if (read_paged(r->ld, r->d, r->uri, &q, &r->pages,
	    &r->rs->references, err, errlen) == -1)
		goto out;
	r->out = out;
	rc = read_merge(r, gate, changed, &fresh, before, err, errlen);
out:
	r->out = out;
	read_fresh_free(&fresh);
	index_free(changed);
	free(filter);
	free(all);
	return rc;
}

/* ------------------------------------------------------------ DirSync */

/* What a DirSync search saw change. */
struct read_seen {
	struct index	*changed;	/* objectGUIDs as text, tombstones too */
	struct buf	 live;		/* objectGUIDs (16 bytes each) of the rest */
	size_t		 nlive;
	size_t		 deleted;
};

/* Notes each object DirSync sends once; with no seen (the search that
 * only fetches a cookie), nothing. */
static int
read_seen_entry(LDAP *ld, LDAPMessage *e, void *arg, char *err,
    size_t errlen)
{
	struct read_seen	*seen = arg;
	struct berval		**vals;
	char			 guid[DECODE_GUID_LEN], *del, why[128];
	size_t			 n;
	int			 rc = 0;

	if (seen == NULL)
		return 0;
	vals = ldap_get_values_len(ld, e, "objectGUID");
	if (vals != NULL && vals[0] != NULL && decode_guid(
	    (const unsigned char *)vals[0]->bv_val, vals[0]->bv_len, guid,
	    sizeof guid, why, sizeof why) == 0) {
		(void)index_get(seen->changed, guid, &n);
		if (n == 0) {
			index_add(seen->changed, guid, 0);
			del = read_value(ld, e, "isDeleted");
			if (del != NULL && strcasecmp(del, "TRUE") == 0)
				seen->deleted++;
			else if (buf_append(&seen->live, vals[0]->bv_val,
			    16) == -1) {
				snprintf(err, errlen, "DirSync: more than %d "
				    "changed objects", READ_DIRSYNC_OBJECTS);
				rc = -1;
			} else
				seen->nlive++;
			free(del);
		}
	}
	ldap_value_free_len(vals);
	return rc;
}

/*
 * One DirSync search of the naming context ([MS-ADTS] 3.1.1.3.4.1.3): the
 * objects changed since *cookie (every object, without one) to seen, asked
 * for again with each new cookie while the server says there is more;
 * *cookie gets the last. On failure *refused is the result code of a
 * search the server answered with an error (or -1: an answer without a
 * usable DirSync control), 0 when the connection failed.
 */
static int
read_dirsync(struct ldap_read *r, const char *nc, char *const *attrs,
    struct read_seen *seen, unsigned char **cookie, size_t *cookie_len,
    int *refused, char *err, size_t errlen)
{
	struct read_query	 q;
	struct decode_dirsync	 ds;
	struct berval		 value, ck;
	BerElement		*ber;
	LDAPControl		*ctrl, *ctrls[2], **sctrls = NULL, *resp;
	char			*diag = NULL, why[512], vis[256];
	size_t			 rounds = 0;
	int			 msgid, rc, code, more = 1;

	*refused = 0;
	memset(&ds, 0, sizeof ds);
	memset(&q, 0, sizeof q);
	q.base = nc;
	/* Every object: a tombstone keeps too little to match most filters,
	 * and an account that stops matching one must be seen too. */
	q.filter = "(objectClass=*)";
	q.attrs = attrs;
	q.entry = read_seen_entry;
	q.arg = seen;
	while (more) {
		if (++rounds > READ_DIRSYNC_ROUNDS) {
			snprintf(err, errlen, "%s: DirSync still had more to "
			    "send after %d answers", r->uri,
			    READ_DIRSYNC_ROUNDS);
			*refused = -1;
			return -1;
		}
		if ((ber = ber_alloc_t(LBER_USE_DER)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		ck.bv_val = *cookie != NULL ? (char *)*cookie :
		    (char *)(uintptr_t)"";
		ck.bv_len = *cookie != NULL ? *cookie_len : 0;
		if (ber_printf(ber, "{iiO}", (ber_int_t)0,
		    (ber_int_t)READ_DIRSYNC_BYTES, &ck) == -1 ||
		    ber_flatten2(ber, &value, 0) == -1) {
			ber_free(ber, 1);
			snprintf(err, errlen, "%s: cannot encode the DirSync "
			    "control", r->uri);
			return -1;
		}
		rc = ldap_control_create(READ_DIRSYNC_OID, 1, &value, 1,
		    &ctrl);
		ber_free(ber, 1);
		if (rc != LDAP_SUCCESS) {
			snprintf(err, errlen, "%s: DirSync control: %s", r->uri,
			    ldap_err2string(rc));
			return -1;
		}
		ctrls[0] = ctrl;
		ctrls[1] = NULL;
		rc = ldap_search_ext(r->ld, nc, LDAP_SCOPE_SUBTREE, q.filter,
		    (char **)(uintptr_t)attrs, 0, ctrls, NULL, NULL, 0, &msgid);
		ldap_control_free(ctrl);
		if (rc != LDAP_SUCCESS) {
			ldap_read_error(r->ld, rc, why, sizeof why);
			snprintf(err, errlen, "%s: DirSync search of %s: %s",
			    r->uri, nc, why);
			return -1;
		}
		if (read_answers(r->ld, r->d, r->uri, &q, msgid, rounds, NULL,
		    &code, &diag, &sctrls, err, errlen) == -1)
			return -1;
		if (code != LDAP_SUCCESS) {
			*refused = code;
			snprintf(err, errlen, "%s (%d)%s%s", ldap_err2string(
			    code), code, diag != NULL && *diag != '\0' ? ": " :
			    "", diag != NULL ? str_vis(vis, sizeof vis, diag) :
			    "");
			ldap_memfree(diag);
			ldap_controls_free(sctrls);
			return -1;
		}
		ldap_memfree(diag);
		diag = NULL;
		resp = ldap_control_find(READ_DIRSYNC_OID, sctrls, NULL);
		if (resp == NULL || decode_dirsync((const unsigned char *)
		    resp->ldctl_value.bv_val, resp->ldctl_value.bv_len, &ds,
		    why, sizeof why) == -1 || ds.cookie_len == 0) {
			snprintf(err, errlen, "%s", resp == NULL ? "the answer "
			    "has no DirSync control" : ds.cookie_len == 0 &&
			    ds.cookie != NULL ? "the answer's DirSync cookie "
			    "is empty" : why);
			ldap_controls_free(sctrls);
			*refused = -1;
			return -1;
		}
		free(*cookie);
		*cookie = xmalloc(ds.cookie_len);
		memcpy(*cookie, ds.cookie, ds.cookie_len);
		*cookie_len = ds.cookie_len;
		more = ds.flags != 0;
		ldap_controls_free(sctrls);
		sctrls = NULL;
	}
	return 0;
}

/* Why DirSync was refused, for the log: most often the missing right. */
static void
read_dirsync_why(struct ldap_read *r, const char *nc, int refused,
    const char *said, char *why, size_t whylen)
{
	if (refused == LDAP_INSUFFICIENT_ACCESS)
		snprintf(why, whylen, "%.100s lacks the Replicating Directory "
		    "Changes right (DS-Replication-Get-Changes, "
		    READ_GET_CHANGES ") on %.80s, which DirSync needs (the "
		    "server said: %.120s)", r->d->bind_dn != NULL ?
		    r->d->bind_dn : "an anonymous bind", nc, said);
	else
		snprintf(why, whylen, "the server refused DirSync: %.300s",
		    said);
}

/*
 * Only what changed since last's DirSync cookie: the objects DirSync
 * names (the attributes read, isDeleted and name, whose change a rename or
 * a move makes), then those not deleted read again by objectGUID, whole,
 * under base and matching the filter: DirSync sends only the attributes
 * that changed. mark->cookie gets the new cookie.
 */
static int
read_dirsync_changes(struct ldap_read *r, const struct read_root *root,
    const struct read_mark *last, struct state_gate *gate,
    struct read_mark *mark, int *refused, char *err, size_t errlen)
{
	struct read_seen	 seen;
	struct read_query	 q;
	struct account_set	 fresh, *out = r->out;
	struct buf		 filter;
	const unsigned char	*g;
	char			**attrs;
	size_t			 i, j, k, n, before = out->count;
	int			 rc = -1;

	memset(&seen, 0, sizeof seen);
	memset(&fresh, 0, sizeof fresh);
	seen.changed = index_new();
	buf_init(&seen.live, (size_t)16 * READ_DIRSYNC_OBJECTS);
	buf_init(&filter, 0);
	n = r->nattrs;
	attrs = xcalloc(n + 3, sizeof *attrs);
	memcpy(attrs, r->attrs, n * sizeof *attrs);
	attrs[n++] = (char *)(uintptr_t)"isDeleted";
	attrs[n++] = (char *)(uintptr_t)"name";

	mark->cookie = xmalloc(last->cookie_len);
	memcpy(mark->cookie, last->cookie, last->cookie_len);
	mark->cookie_len = last->cookie_len;
	if (read_dirsync(r, root->naming_context, attrs, &seen, &mark->cookie,
	    &mark->cookie_len, refused, err, errlen) == -1)
		goto out;

	r->out = &fresh;
	for (i = 0; i < seen.nlive; i += READ_GUID_BATCH) {
		buf_reset(&filter);
		(void)buf_printf(&filter, "(&%s%s%s(|",
		    r->d->filter[0] == '(' ? "" : "(", r->d->filter,
		    r->d->filter[0] == '(' ? "" : ")");
		for (j = i; j < seen.nlive && j < i + READ_GUID_BATCH; j++) {
			g = (const unsigned char *)seen.live.data + j * 16;
			(void)buf_append_str(&filter, "(objectGUID=");
			for (k = 0; k < 16; k++)
				(void)buf_printf(&filter, "\\%02x", g[k]);
			(void)buf_append_char(&filter, ')');
		}
		(void)buf_append_str(&filter, "))");
		memset(&q, 0, sizeof q);
		q.base = r->d->base;
		q.filter = buf_cstr(&filter);
		q.attrs = r->attrs;
		q.entry = read_entry;
		q.arg = r;
		if (read_paged(r->ld, r->d, r->uri, &q, &r->pages,
		    &r->rs->references, err, errlen) == -1)
			goto out;
	}
	r->out = out;
	rc = read_merge(r, gate, seen.changed, &fresh, before, err, errlen);
out:
	r->out = out;
	read_fresh_free(&fresh);
	index_free(seen.changed);
	buf_free(&seen.live);
	buf_free(&filter);
	free(attrs);
	return rc;
}

void
domain_attribute(const struct domain_config *d, size_t i, char *name,
    char *src, size_t size)
{
	const char	*item = d->attributes.items[i];
	const char	*eq = strchr(item, '=');

	snprintf(name, size, "%.*s", (int)(eq != NULL ? (size_t)(eq - item) :
	    strlen(item)), item);
	snprintf(src, size, "%s", eq != NULL ? eq + 1 : "");
}

/*
 * What to ask d for (ask) and the name each is kept by (canon), both
 * NULL-ended and the caller's to free (str_list_free): the attributes
 * every domain is read for, and d's own. NAME=SOURCE asks for SOURCE and
 * keeps it as NAME (SOURCE then stands for nothing else); a NAME alone is
 * asked for too.
 */
static size_t
read_names(const struct domain_config *d, char *const *attrs, char ***ask,
    char ***canon)
{
	char	 name[128], src[128];
	size_t	 i, k, n = 0, max = d->attributes.count;

	for (i = 0; attrs[i] != NULL; i++)
		max++;
	*ask = xcalloc(max + 1, sizeof **ask);
	*canon = xcalloc(max + 1, sizeof **canon);
	for (i = 0; attrs[i] != NULL; i++) {
		(*ask)[n] = NULL;
		for (k = 0; k < d->attributes.count; k++) {
			domain_attribute(d, k, name, src, sizeof name);
			if (*src != '\0' && strcasecmp(src, attrs[i]) == 0)
				break;		/* stands for name */
			if (*src != '\0' && strcasecmp(name, attrs[i]) == 0)
				(*ask)[n] = xstrdup(src);
		}
		if (k < d->attributes.count) {
			free((*ask)[n]);
			(*ask)[n] = NULL;
			continue;
		}
		if ((*ask)[n] == NULL)
			(*ask)[n] = xstrdup(attrs[i]);
		(*canon)[n++] = xstrdup(attrs[i]);
	}
	for (k = 0; k < d->attributes.count; k++) {
		domain_attribute(d, k, name, src, sizeof name);
		for (i = 0; i < n; i++)
			if (strcasecmp((*canon)[i], name) == 0)
				break;
		if (i < n)
			continue;
		(*ask)[n] = xstrdup(*src != '\0' ? src : name);
		(*canon)[n++] = xstrdup(name);
	}
	return n;
}

/*
 * Reads every account of one domain into out (appending), in full or only
 * what changed since last (see ldap_read.c's top). attrs is the
 * NULL-terminated list of attributes to ask for, objectGUID among them.
 * Tries the domain's URIs in order. On failure returns -1 with err saying
 * which server and why, and out keeps nothing of this domain.
 */
int
ldap_read_domain(const struct domain_config *d, size_t domain,
    char *const *attrs, struct state_gate *prev,
    const struct read_mark *last, int64_t now_ms, struct account_set *out,
    struct read_stats *rs, struct read_mark *mark, char *err, size_t errlen)
{
	static const char *const guid_attrs[] = { "objectGUID", NULL };
	struct ldap_read	 r;
	struct read_query	 q;
	struct read_root	 root;
	char			**ask, **canon;
	size_t			 i, before = out->count;
	int64_t			 start = wtime_mono_ms();
	char			 why[1024];
	int			 rc = -1, able = 0, refused;
	int			 dirsync = d->incremental_method ==
				    READ_METHOD_DIRSYNC;

	memset(rs, 0, sizeof *rs);
	memset(mark, 0, sizeof *mark);
	memset(&root, 0, sizeof root);
	str_copy(mark->domain, d->item.label, sizeof mark->domain);
	memset(&r, 0, sizeof r);
	r.d = d;
	r.domain = domain;
	r.nattrs = read_names(d, attrs, &ask, &canon);
	r.attrs = ask;
	r.canon = canon;
	r.out = out;
	r.rs = rs;
	if ((r.ld = ldap_read_open(d, rs->uri, sizeof rs->uri, err,
	    errlen)) == NULL) {
		str_list_free(ask, r.nattrs);
		str_list_free(canon, r.nattrs);
		return -1;
	}
	r.uri = rs->uri;
	/* Freed at out, which every way from here leaves by. */
	r.memo = xcalloc(READ_MEMO, sizeof *r.memo);

	if (!d->incremental)
		snprintf(rs->why_full, sizeof rs->why_full,
		    "incremental = no");
	else if (read_rootdse(&r, &root, why, sizeof why) == -1)
		snprintf(rs->why_full, sizeof rs->why_full, "%.300s", why);
	else if (root.usn <= 0 || root.server == NULL)
		snprintf(rs->why_full, sizeof rs->why_full, "the server keeps "
		    "no update sequence numbers (no highestCommittedUSN and "
		    "dsServiceName in its root DSE: not Active Directory)");
	else if (!dirsync && (!root.show_deleted ||
	    root.naming_context == NULL))
		snprintf(rs->why_full, sizeof rs->why_full, "the server does "
		    "not show deleted objects (no Show Deleted control, or "
		    "no defaultNamingContext)");
	else if (dirsync && (!root.dirsync || root.naming_context == NULL))
		snprintf(rs->why_full, sizeof rs->why_full, "the server does "
		    "not offer DirSync (no " READ_DIRSYNC_OID " among its "
		    "supportedControl, or no defaultNamingContext)");
	else if (read_invocation(&r, root.server, mark->invocation, why,
	    sizeof why) == -1) {
		snprintf(rs->why_full, sizeof rs->why_full, "cannot read the "
		    "domain controller's invocationId: %.300s", why);
		rs->full_warn = 1;
	} else if (!dirsync && !read_sees_deleted(&r, root.naming_context,
	    why, sizeof why)) {
		snprintf(rs->why_full, sizeof rs->why_full, "%.100s sees no "
		    "deleted objects in CN=Deleted Objects (%.200s): it needs "
		    "List Contents and Read Property there, or else deletions "
		    "would go unseen (or nothing was deleted lately)",
		    d->bind_dn != NULL ? d->bind_dn : "an anonymous bind", why);
		rs->full_warn = 1;
	} else {
		able = 1;
		str_copy(mark->server, root.server, sizeof mark->server);
		mark->usn = root.usn;
		mark->scope = read_scope(d, attrs);
		rs->incremental = read_can_continue(d, last, mark, now_ms,
		    rs->why_full, sizeof rs->why_full);
		if (rs->incremental && dirsync && last->cookie == NULL) {
			rs->incremental = 0;
			snprintf(rs->why_full, sizeof rs->why_full, "the last "
			    "read left no DirSync cookie (it was by "
			    "uSNChanged)");
		}
	}

	if (rs->incremental && !dirsync) {
		mark->full_ms = last->full_ms;
		if (read_changes(&r, &root, last, prev, err, errlen) == -1)
			goto out;
	} else if (rs->incremental) {
		mark->full_ms = last->full_ms;
		rs->dirsync = 1;
		if (read_dirsync_changes(&r, &root, last, prev, mark,
		    &refused, why, sizeof why) == -1) {
			if (!refused) {
				snprintf(err, errlen, "%s", why);
				goto out;
			}
			/* Refused before anything was read: read in full. */
			free(mark->cookie);
			mark->cookie = NULL;
			mark->cookie_len = 0;
			rs->incremental = rs->dirsync = 0;
			rs->changed = rs->gone = 0;
			if (refused == LDAP_INSUFFICIENT_ACCESS) {
				read_dirsync_why(&r, root.naming_context,
				    refused, why, rs->why_full,
				    sizeof rs->why_full);
				rs->full_warn = 1;
			} else
				snprintf(rs->why_full, sizeof rs->why_full,
				    "the domain controller refused the "
				    "DirSync cookie of the last read (%.400s)",
				    why);
		}
	}
	if (!rs->incremental) {
		mark->full_ms = now_ms;
		/* The cookie first: what changes during the full read is
		 * the next read's (and may be read twice, which is no
		 * harm). */
		if (able && dirsync && read_dirsync(&r, root.naming_context,
		    (char *const *)(uintptr_t)guid_attrs, NULL, &mark->cookie,
		    &mark->cookie_len, &refused, why, sizeof why) == -1) {
			if (!refused) {
				snprintf(err, errlen, "%s", why);
				goto out;
			}
			able = 0;
			read_dirsync_why(&r, root.naming_context, refused, why,
			    rs->why_full, sizeof rs->why_full);
			rs->full_warn = 1;
		}
		memset(&q, 0, sizeof q);
		q.base = d->base;
		q.filter = d->filter;
		q.attrs = r.attrs;
		q.entry = read_entry;
		q.arg = &r;
		if (read_paged(r.ld, d, r.uri, &q, &r.pages, &rs->references,
		    err, errlen) == -1)
			goto out;
	}
	if (!able)
		read_mark_clear(mark);
	rs->pages = r.pages;
	rs->accounts = out->count - before;
	rc = 0;
out:
	read_root_clear(&root);
	ldap_read_close(r.ld);
	free(r.memo);
	str_list_free(ask, r.nattrs);
	str_list_free(canon, r.nattrs);
	if (rc == -1) {
		for (i = before; i < out->count; i++)
			account_free(out->items[i]);
		out->count = before;
		rs->accounts = 0;
		rs->pages = r.pages;
		read_mark_clear(mark);
		return -1;
	}
	if (r.values_dropped > 0)
		log_warnx("domain %s: %zu attribute values were not valid "
		    "UTF-8, held a NUL, or were over their size limits; "
		    "left out", d->item.label, r.values_dropped);
	rs->read_ms = wtime_mono_ms() - start;
	return 0;
}

void
read_mark_clear(struct read_mark *mark)
{
	char	 domain[sizeof mark->domain];

	memcpy(domain, mark->domain, sizeof domain);
	free(mark->scope);
	free(mark->cookie);
	memset(mark, 0, sizeof *mark);
	memcpy(mark->domain, domain, sizeof domain);
}
