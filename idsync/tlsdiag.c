/* tlsdiag.c: why a directory's certificate was not accepted. libldap says
 * only that the handshake failed; this connects once more without
 * verifying, takes the certificate the server shows, and checks it
 * itself (dates, the name, the CA), so that the error can say "expired
 * on ...". Nothing is sent over that connection, which is closed at
 * once: its only use is to explain why the real one failed. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <lber.h>
#include <ldap.h>
#include <openssl/asn1.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "common/str.h"
#include "idsync/idsync.h"

/* An ASN.1 time as "2020-01-31 00:00 UTC". */
static void
tlsdiag_time(const ASN1_TIME *t, char *dst, size_t size)
{
	struct tm	 tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1 || strftime(dst, size,
	    "%Y-%m-%d %H:%M UTC", &tm) == 0)
		str_copy(dst, "(a date that does not parse)", size);
}

/* The host part of an LDAP URI, into dst. */
static int
tlsdiag_host(const char *uri, char *dst, size_t size)
{
	LDAPURLDesc	*lud = NULL;
	int		 ok;

	if (ldap_url_parse(uri, &lud) != LDAP_URL_SUCCESS)
		return -1;
	ok = lud->lud_host != NULL && *lud->lud_host != '\0';
	if (ok)
		str_copy(dst, lud->lud_host, size);
	ldap_free_urldesc(lud);
	return ok ? 0 : -1;
}

/* What is wrong with cert for host, verified against ca_file (NULL: the
 * system's store): 0 with why set, -1 if nothing is found wrong. */
static int
tlsdiag_check(X509 *cert, const char *host, const char *ca_file, char *why,
    size_t size)
{
	X509_STORE	*store;
	X509_STORE_CTX	*ctx;
	X509_NAME	*issuer;
	char		 when[64], name[256];
	int		 rc = -1, err;

	if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0) {
		tlsdiag_time(X509_get0_notAfter(cert), when, sizeof when);
		snprintf(why, size, "the server's certificate expired on %s",
		    when);
		return 0;
	}
	if (X509_cmp_current_time(X509_get0_notBefore(cert)) > 0) {
		tlsdiag_time(X509_get0_notBefore(cert), when, sizeof when);
		snprintf(why, size, "the server's certificate is not valid "
		    "until %s (or this machine's clock is wrong)", when);
		return 0;
	}
	if (X509_check_host(cert, host, 0, 0, NULL) != 1 &&
	    X509_check_ip_asc(cert, host, 0) != 1) {
		snprintf(why, size, "the server's certificate does not name "
		    "%s", host);
		return 0;
	}
	if ((store = X509_STORE_new()) == NULL)
		return -1;
	if ((ca_file != NULL ? X509_STORE_load_file(store, ca_file) :
	    X509_STORE_set_default_paths(store)) != 1 ||
	    (ctx = X509_STORE_CTX_new()) == NULL) {
		X509_STORE_free(store);
		return -1;
	}
	if (X509_STORE_CTX_init(ctx, store, cert, NULL) == 1 &&
	    X509_verify_cert(ctx) != 1) {
		err = X509_STORE_CTX_get_error(ctx);
		issuer = X509_get_issuer_name(cert);
		if (issuer == NULL || X509_NAME_oneline(issuer, name,
		    sizeof name) == NULL)
			str_copy(name, "(unknown)", sizeof name);
		snprintf(why, size, "the server's certificate does not verify "
		    "against %s: %s (issuer %s)", ca_file != NULL ? ca_file :
		    "the system's CAs", X509_verify_cert_error_string(err),
		    name);
		rc = 0;
	}
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return rc;
}

int
tlsdiag_explain(const struct domain_config *d, const char *uri, char *why,
    size_t size)
{
	struct berval	 der = { 0, NULL };
	struct timeval	 tv;
	LDAP		*ld = NULL;
	X509		*cert = NULL;
	const unsigned char *p;
	char		 host[256];
	int		 v, rc = -1, kind = ldap_read_uri_kind(uri);

	if (kind == -1 || tlsdiag_host(uri, host, sizeof host) == -1 ||
	    ldap_initialize(&ld, uri) != LDAP_SUCCESS)
		return -1;
	v = LDAP_VERSION3;
	(void)ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v);
	tv.tv_sec = (time_t)(d->connect_timeout_ms / 1000);
	tv.tv_usec = (suseconds_t)(d->connect_timeout_ms % 1000) * 1000;
	(void)ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	(void)ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
	/* Not verified: only to see the certificate, then closed. */
	v = LDAP_OPT_X_TLS_ALLOW;
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &v) !=
	    LDAP_OPT_SUCCESS)
		goto out;
	v = 0;
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &v) != LDAP_OPT_SUCCESS)
		goto out;
	if (kind == READ_URI_LDAP) {
		if (ldap_start_tls_s(ld, NULL, NULL) != LDAP_SUCCESS)
			goto out;
	} else if (ldap_connect(ld) != LDAP_SUCCESS)
		goto out;
	if (ldap_get_option(ld, LDAP_OPT_X_TLS_PEERCERT, &der) !=
	    LDAP_OPT_SUCCESS || der.bv_val == NULL)
		goto out;
	p = (const unsigned char *)der.bv_val;
	if ((cert = d2i_X509(NULL, &p, (long)der.bv_len)) == NULL)
		goto out;
	rc = tlsdiag_check(cert, host, d->ca_file, why, size);
out:
	X509_free(cert);
	ber_memfree(der.bv_val);
	ldap_unbind_ext_s(ld, NULL, NULL);
	return rc;
}
