/* ldap_read.c: reading one domain's accounts with libldap: the first
 * server of the domain's list that answers, over LDAPS or StartTLS with the
 * certificate verified, a paged subtree search (AD answers at most
 * MaxPageSize entries a page), referrals not chased, ranged values fetched
 * to the end, and each entry decoded into an account. */
#include "config.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <lber.h>
#include <ldap.h>
#include <unistr.h>

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

struct ldap_read {
	LDAP				*ld;
	const struct domain_config	*d;
	const char			*uri;
	size_t				 domain;
	char *const			*attrs;
	struct account_set		*out;
	struct read_stats		*rs;
	size_t				 values_dropped;
};

static void
read_tv(int64_t ms, struct timeval *tv)
{
	tv->tv_sec = (time_t)(ms / 1000);
	tv->tv_usec = (suseconds_t)(ms % 1000) * 1000;
}

/* "Invalid credentials (49)", with the server's or TLS's own words. */
static void
read_ldap_error(LDAP *ld, int rc, char *dst, size_t size)
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

/* Connects to uri, secures the connection and binds. On failure *fatal
 * says whether trying the domain's next server is pointless (a refused
 * password is refused everywhere, and retrying locks the account). */
static LDAP *
read_connect(const struct domain_config *d, const char *uri, int *fatal,
    char *err, size_t errlen)
{
	struct berval	 cred;
	struct timeval	 tv;
	LDAP		*ld = NULL;
	char		 why[512];
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

	if (kind == READ_URI_LDAP && d->starttls) {
		rc = ldap_start_tls_s(ld, NULL, NULL);
		if (rc != LDAP_SUCCESS) {
			read_ldap_error(ld, rc, why, sizeof why);
			snprintf(err, errlen, "%s: StartTLS failed: %s%s", uri,
			    why, rc == LDAP_CONNECT_ERROR ? " (the TLS "
			    "handshake failed: " READ_TLS_HINT ")" : "");
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
	if (rc != LDAP_SUCCESS) {
		read_ldap_error(ld, rc, why, sizeof why);
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
			    READ_TLS_HINT, uri);
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
	ldap_unbind_ext_s(ld, NULL, NULL);
	return NULL;
}

/* The configured spelling of an attribute the server named its own way. */
static const char *
read_attr_name(const struct ldap_read *r, const char *name)
{
	size_t	 i;

	for (i = 0; r->attrs[i] != NULL; i++)
		if (strcasecmp(r->attrs[i], name) == 0)
			return r->attrs[i];
	return name;
}

static void
read_add_values(struct ldap_read *r, struct account *a, const char *name,
    struct berval **vals)
{
	size_t	 i;

	for (i = 0; vals != NULL && vals[i] != NULL; i++) {
		if (vals[i]->bv_len > READ_VALUE_MAX ||
		    account_value_count(a, name) >= READ_VALUES_MAX ||
		    u8_check((const uint8_t *)vals[i]->bv_val,
		    vals[i]->bv_len) != NULL ||
		    memchr(vals[i]->bv_val, '\0', vals[i]->bv_len) != NULL) {
			r->values_dropped++;
			continue;
		}
		account_add_value(a, name, vals[i]->bv_val, vals[i]->bv_len);
	}
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
			read_ldap_error(r->ld, rc, why, sizeof why);
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

static int
read_entry(struct ldap_read *r, LDAPMessage *e, char *err, size_t errlen)
{
	struct decode_range	 range;
	struct berval		**vals;
	struct account		*a;
	BerElement		*ber = NULL;
	char			*dn, *name, guid[DECODE_GUID_LEN];
	char			 sid[DECODE_SID_LEN], why[256], vis[256];
	const char		*canon;
	int			 rc = 0;

	if ((dn = ldap_get_dn(r->ld, e)) == NULL) {
		snprintf(err, errlen, "an entry without a DN");
		return -1;
	}
	vals = ldap_get_values_len(r->ld, e, "objectGUID");
	if (vals == NULL || vals[0] == NULL || decode_guid((const unsigned char *)
	    vals[0]->bv_val, vals[0]->bv_len, guid, sizeof guid, why,
	    sizeof why) == -1) {
		if (r->rs->skipped++ < READ_SKIP_LOG)
			log_warnx("domain %s: %s: %s; entry skipped",
			    r->d->item.label, str_vis(vis, sizeof vis, dn),
			    vals == NULL || vals[0] == NULL ?
			    "no objectGUID" : why);
		ldap_value_free_len(vals);
		ldap_memfree(dn);
		return 0;
	}
	ldap_value_free_len(vals);
	a = account_new(r->domain, r->d->item.label, guid, dn);

	for (name = ldap_first_attribute(r->ld, e, &ber); name != NULL;
	    name = ldap_next_attribute(r->ld, e, ber)) {
		if (decode_range(name, strlen(name), &range, why,
		    sizeof why) == -1) {
			log_warnx("domain %s: %s: attribute %s", r->d->item.label,
			    str_vis(vis, sizeof vis, dn), why);
			ldap_memfree(name);
			continue;
		}
		canon = read_attr_name(r, range.name);
		vals = ldap_get_values_len(r->ld, e, name);
		if (strcasecmp(range.name, "objectGUID") == 0) {
			/* Decoded above. */
		} else if (strcasecmp(range.name, "objectSid") == 0) {
			if (vals != NULL && vals[0] != NULL && decode_sid(
			    (const unsigned char *)vals[0]->bv_val,
			    vals[0]->bv_len, sid, sizeof sid, why,
			    sizeof why) == 0)
				account_add_value(a, canon, sid, strlen(sid));
			else
				log_warnx("domain %s: %s: %s",
				    r->d->item.label, str_vis(vis, sizeof vis,
				    dn), vals != NULL && vals[0] != NULL ? why :
				    "objectSid without a value");
		} else
			read_add_values(r, a, canon, vals);
		ldap_value_free_len(vals);
		if (range.ranged && range.high >= 0 && read_ranges(r, a, dn,
		    range.name, range.high + 1, err, errlen) == -1)
			rc = -1;
		ldap_memfree(name);
		if (rc == -1)
			break;
	}
	ber_free(ber, 0);
	if (rc == -1) {
		account_free(a);
		ldap_memfree(dn);
		return -1;
	}
	if (account_finish(a, why, sizeof why) == -1)
		log_warnx("domain %s: %s: %s", r->d->item.label,
		    str_vis(vis, sizeof vis, dn), why);
	ldap_memfree(dn);
	if (r->rs->accounts >= (size_t)r->d->max_accounts) {
		account_free(a);
		snprintf(err, errlen, "more than max_accounts = %lld accounts "
		    "under %s", (long long)r->d->max_accounts, r->d->base);
		return -1;
	}
	account_set_add(r->out, a);
	r->rs->accounts++;
	return 0;
}

/* One page request after another until the server's cookie is empty. */
static int
read_search(struct ldap_read *r, char *err, size_t errlen)
{
	struct berval	 cookie = { 0, NULL };
	struct timeval	 tv;
	LDAPControl	*page = NULL, *ctrls[2], **sctrls = NULL, *resp;
	LDAPMessage	*res = NULL;
	ber_int_t	 estimate;
	char		*diag = NULL, why[512], vis[256], entry_err[1024];
	int		 msgid, rc, code, done = 0;

	do {
		rc = ldap_create_page_control(r->ld,
		    (ber_int_t)r->d->page_size, cookie.bv_len > 0 ? &cookie :
		    NULL, 1, &page);
		ldap_memfree(cookie.bv_val);
		cookie.bv_val = NULL;
		cookie.bv_len = 0;
		if (rc != LDAP_SUCCESS) {
			snprintf(err, errlen, "%s: paged results control: %s",
			    r->uri, ldap_err2string(rc));
			return -1;
		}
		ctrls[0] = page;
		ctrls[1] = NULL;
		rc = ldap_search_ext(r->ld, r->d->base, LDAP_SCOPE_SUBTREE,
		    r->d->filter, (char **)(uintptr_t)r->attrs, 0, ctrls, NULL,
		    NULL, 0, &msgid);
		ldap_control_free(page);
		if (rc != LDAP_SUCCESS) {
			read_ldap_error(r->ld, rc, why, sizeof why);
			snprintf(err, errlen, "%s: search under %s: %s", r->uri,
			    r->d->base, why);
			return -1;
		}
		r->rs->pages++;
		for (done = 0; !done;) {
			read_tv(r->d->timeout_ms, &tv);
			rc = ldap_result(r->ld, msgid, LDAP_MSG_ONE, &tv, &res);
			if (rc == 0) {
				(void)ldap_abandon_ext(r->ld, msgid, NULL,
				    NULL);
				str_format_duration_ms(why, sizeof why,
				    r->d->timeout_ms);
				snprintf(err, errlen, "%s: no answer within %s "
				    "(page %zu, %zu accounts read)", r->uri,
				    why, r->rs->pages, r->rs->accounts);
				return -1;
			}
			if (rc == -1) {
				(void)ldap_get_option(r->ld,
				    LDAP_OPT_RESULT_CODE, &code);
				read_ldap_error(r->ld, code, why, sizeof why);
				snprintf(err, errlen, "%s: the connection failed "
				    "during page %zu, after %zu accounts: %s",
				    r->uri, r->rs->pages, r->rs->accounts, why);
				return -1;
			}
			switch (rc) {
			case LDAP_RES_SEARCH_ENTRY:
				rc = read_entry(r, res, entry_err,
				    sizeof entry_err);
				ldap_msgfree(res);
				res = NULL;
				if (rc == -1) {
					(void)ldap_abandon_ext(r->ld, msgid,
					    NULL, NULL);
					snprintf(err, errlen, "%s: %s", r->uri,
					    entry_err);
					return -1;
				}
				break;
			case LDAP_RES_SEARCH_REFERENCE:
				/* Referral chasing is off: other domains are
				 * read through their own [domain]. */
				r->rs->references++;
				ldap_msgfree(res);
				res = NULL;
				break;
			case LDAP_RES_SEARCH_RESULT:
				rc = ldap_parse_result(r->ld, res, &code, NULL,
				    &diag, NULL, &sctrls, 1);
				res = NULL;
				done = 1;
				if (rc != LDAP_SUCCESS || code != LDAP_SUCCESS) {
					snprintf(err, errlen, "%s: search under "
					    "%s failed: %s (%d)%s%s", r->uri,
					    r->d->base, ldap_err2string(rc !=
					    LDAP_SUCCESS ? rc : code), rc !=
					    LDAP_SUCCESS ? rc : code,
					    diag != NULL && *diag != '\0' ?
					    ": " : "", diag != NULL ?
					    str_vis(vis, sizeof vis, diag) : "");
					ldap_memfree(diag);
					ldap_controls_free(sctrls);
					return -1;
				}
				ldap_memfree(diag);
				diag = NULL;
				resp = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS,
				    sctrls, NULL);
				if (resp != NULL && ldap_parse_pageresponse_control(
				    r->ld, resp, &estimate, &cookie) !=
				    LDAP_SUCCESS) {
					ldap_controls_free(sctrls);
					snprintf(err, errlen, "%s: the server's "
					    "paged results reply does not "
					    "parse", r->uri);
					return -1;
				}
				ldap_controls_free(sctrls);
				sctrls = NULL;
				break;
			default:
				ldap_msgfree(res);
				res = NULL;
				break;
			}
		}
	} while (cookie.bv_len > 0);
	ldap_memfree(cookie.bv_val);
	return 0;
}

/*
 * Reads every account of one domain into out (appending). attrs is the
 * NULL-terminated list of attributes to ask for, objectGUID among them.
 * Tries the domain's URIs in order. On failure returns -1 with err saying
 * which server and why, and out keeps nothing of this domain.
 */
int
ldap_read_domain(const struct domain_config *d, size_t domain,
    char *const *attrs, struct account_set *out, struct read_stats *rs,
    char *err, size_t errlen)
{
	struct ldap_read	 r;
	struct buf		 tried;
	size_t			 i, before = out->count;
	int64_t			 start = wtime_mono_ms();
	char			 why[1024];
	int			 fatal = 0, rc = -1;

	memset(rs, 0, sizeof *rs);
	memset(&r, 0, sizeof r);
	r.d = d;
	r.domain = domain;
	r.attrs = attrs;
	r.out = out;
	r.rs = rs;
	buf_init(&tried, 4096);
	for (i = 0; i < d->uri.count && r.ld == NULL && !fatal; i++) {
		r.uri = d->uri.items[i];
		r.ld = read_connect(d, r.uri, &fatal, why, sizeof why);
		if (r.ld == NULL) {
			(void)buf_printf(&tried, "%s%s", tried.len > 0 ? "; " :
			    "", why);
			if (i + 1 < d->uri.count && !fatal)
				log_warnx("domain %s: %s; trying the next "
				    "server", d->item.label, why);
		}
	}
	if (r.ld == NULL) {
		snprintf(err, errlen, "%s", buf_cstr(&tried));
		buf_free(&tried);
		return -1;
	}
	buf_free(&tried);
	str_copy(rs->uri, r.uri, sizeof rs->uri);
	rc = read_search(&r, err, errlen);
	ldap_unbind_ext_s(r.ld, NULL, NULL);
	if (rc == -1) {
		for (i = before; i < out->count; i++)
			account_free(out->items[i]);
		out->count = before;
		rs->accounts = 0;
		return -1;
	}
	if (r.values_dropped > 0)
		log_warnx("domain %s: %zu attribute values were not valid "
		    "UTF-8, held a NUL, or were over their size limits; "
		    "left out", d->item.label, r.values_dropped);
	rs->read_ms = wtime_mono_ms() - start;
	return 0;
}
