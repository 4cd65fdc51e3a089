/* httpd.c: the collector's HTTP(S) server over libmicrohttpd: listening,
 * TLS, bounded request bodies, bearer-token auth, and dispatch through
 * route_table[]. */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/buf.h"
#include "common/cfg.h"
#include "common/log.h"
#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "collector/collector.h"

/* Headers and the request line live in this per-connection pool. */
#define HTTPD_CONNECTION_MEMORY	(64 * 1024)
#define HTTPD_CERT_MAX		(1024 * 1024)
#define HTTPD_TLS_PRIORITIES	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define HTTPD_JSON_TYPE		"application/json; charset=utf-8"
#define HTTPD_TEXT_TYPE		"text/plain; charset=utf-8"
#define HTTPD_TOKEN_NAME_MAX	65
#define HTTPD_MAX_PARAMS	(sizeof(((struct request *)0)->params) / \
				    sizeof(((struct request *)0)->params[0]))

/*
 * One server thread: MHD runs every connection's callbacks on its single
 * internal polling thread (epoll), so the store's SQLite connection, opened
 * before httpd_start and not touched by main while the server runs, is only
 * ever used from that thread.
 */
struct httpd {
	struct collector	*c;
	struct MHD_Daemon	*daemon;
	char			*cert;
	char			 last_error[256];	/* MHD's, for start-up */
};

/* One request's state, from its headers to its completion. */
struct httpd_conn {
	int64_t			 start_ms;
	const struct route_entry *route;
	char			*params[HTTPD_MAX_PARAMS];
	size_t			 nparams;
	enum token_role		 role;
	char			 token_name[HTTPD_TOKEN_NAME_MAX];
	struct buf		 body;
	int			 too_big;
	size_t			 discarded;
	int			 responded;
};

void
reply_json(struct reply *r, int status, json_t *body)
{
	if (r->json != NULL)
		json_decref(r->json);
	r->status = status;
	r->json = body;
}

/*
 * {"error": msg}. A message that is not UTF-8 (a request's bytes in it,
 * or a value cut in the middle of a character) is one JSON cannot hold:
 * it goes out with those bytes escaped, as logs have them.
 */
static json_t *
error_body(const char *msg)
{
	json_t	*j;
	char	 vis[2048];

	if ((j = json_pack("{s:s}", "error", msg)) != NULL)
		return j;
	return json_pack("{s:s}", "error", str_vis(vis, sizeof vis, msg));
}

void
reply_error(struct reply *r, int status, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	reply_json(r, status, error_body(msg));
}

/* --------------------------------------------------------------- listen */

static int
httpd_split_listen(const char *listen, char *host, size_t hostlen,
    int *port, char *err, size_t errlen)
{
	const char	*colon, *p;
	char		 why[128];
	int64_t		 v;
	size_t		 n;

	if (listen[0] == '[') {
		if ((p = strchr(listen, ']')) == NULL || p[1] != ':') {
			snprintf(err, errlen, "listen \"%s\": expected "
			    "[address]:port", listen);
			return -1;
		}
		n = (size_t)(p - listen - 1);
		colon = p + 1;
		p = listen + 1;
	} else {
		if ((colon = strrchr(listen, ':')) == NULL ||
		    memchr(listen, ':', (size_t)(colon - listen)) != NULL) {
			snprintf(err, errlen, "listen \"%s\": expected "
			    "host:port, [v6-address]:port or :port", listen);
			return -1;
		}
		n = (size_t)(colon - listen);
		p = listen;
	}
	if (n >= hostlen) {
		snprintf(err, errlen, "listen \"%s\": address too long", listen);
		return -1;
	}
	memcpy(host, p, n);
	host[n] = '\0';
	if (str_parse_int64(colon + 1, 1, 65535, &v, why, sizeof why) == -1) {
		snprintf(err, errlen, "listen \"%s\": port: %s", listen, why);
		return -1;
	}
	*port = (int)v;
	return 0;
}

/* Resolves listen to one address; "" as host means every address. */
static int
httpd_resolve(const char *listen, int family_any,
    struct sockaddr_storage *ss, socklen_t *sslen, char *err, size_t errlen)
{
	struct addrinfo	 hints, *res = NULL;
	char		 host[INET6_ADDRSTRLEN + 16], service[8];
	int		 port, rc;

	if (httpd_split_listen(listen, host, sizeof host, &port, err,
	    errlen) == -1)
		return -1;
	snprintf(service, sizeof service, "%d", port);
	memset(&hints, 0, sizeof hints);
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = host[0] == '\0' ? family_any : AF_UNSPEC;
	if ((rc = getaddrinfo(host[0] == '\0' ? NULL : host, service, &hints,
	    &res)) != 0) {
		snprintf(err, errlen, "listen \"%s\": \"%s\" is not a numeric "
		    "IP address (%s)", listen, host, gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int
httpd_is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	if (ss->ss_family == AF_INET) {
		sin = (const struct sockaddr_in *)(const void *)ss;
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	}
	if (ss->ss_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)(const void *)ss;
		if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
			return 1;
		return IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) &&
		    sin6->sin6_addr.s6_addr[12] == 127;
	}
	return 0;
}

static char	*httpd_read_cert(const char *, char *, size_t);

/* No passphrase: a key that wants one is no key the server can use. */
static int
httpd_no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return -1;
}

/*
 * The key (PEM text, from tls_key) is the certificate's (PEM text, read
 * from cert_path): else -1 with err, before the server is started with a
 * pair that cannot work (libmicrohttpd says only "Failed to initialize TLS
 * support").
 */
static int
httpd_check_pair(const char *cert, const char *key, const char *cert_path,
    char *err, size_t errlen)
{
	BIO		*b;
	X509		*x = NULL;
	EVP_PKEY	*k = NULL;
	int		 rc = -1;

	if ((b = BIO_new_mem_buf(cert, -1)) != NULL) {
		x = PEM_read_bio_X509(b, NULL, httpd_no_passphrase, NULL);
		BIO_free(b);
	}
	if (x == NULL) {
		snprintf(err, errlen, "[http] tls_cert %s: its certificate "
		    "cannot be read (not PEM, or damaged)", cert_path);
		goto out;
	}
	if ((b = BIO_new_mem_buf(key, -1)) != NULL) {
		k = PEM_read_bio_PrivateKey(b, NULL, httpd_no_passphrase, NULL);
		BIO_free(b);
	}
	if (k == NULL) {
		snprintf(err, errlen, "[http] tls_key: not a PEM private key "
		    "without a passphrase");
		goto out;
	}
	if (X509_check_private_key(x, k) != 1) {
		snprintf(err, errlen, "[http] tls_key is not the key of the "
		    "certificate in tls_cert %s", cert_path);
		goto out;
	}
	rc = 0;
out:
	/* Nothing of the key in libcrypto's error queue outlives this. */
	ERR_clear_error();
	EVP_PKEY_free(k);
	X509_free(x);
	return rc;
}

int
httpd_config_check(const struct httpd_config *hc, char *err, size_t errlen)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 why[256], *cert = NULL;
	int			 rc;

	if (httpd_resolve(hc->listen, AF_INET, &ss, &sslen, why,
	    sizeof why) == -1) {
		snprintf(err, errlen, "[http] %s", why);
		return -1;
	}
	if (!hc->tls && !httpd_is_loopback(&ss)) {
		snprintf(err, errlen, "[http] tls = no is only allowed on a "
		    "loopback address (listen = %s)", hc->listen);
		return -1;
	}
	if (hc->tls && (hc->tls_cert == NULL || hc->tls_key == NULL)) {
		snprintf(err, errlen, "[http] tls_cert and tls_key are "
		    "required unless tls = no");
		return -1;
	}
	/* The files: at -n (httpd_start reads them itself). */
	if (!cfg_check_machine)
		return 0;
	if (hc->tls && (cert = httpd_read_cert(hc->tls_cert, err,
	    errlen)) == NULL)
		return -1;
	rc = hc->tls ? httpd_check_pair(cert, hc->tls_key, hc->tls_cert,
	    err, errlen) : 0;
	free(cert);
	return rc;
}

int
httpd_listen(const struct httpd_config *hc, char *err, size_t errlen)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	int			 fd = -1, on = 1, off = 0, all;
	char			 host[INET6_ADDRSTRLEN + 16];
	int			 port;

	if (httpd_split_listen(hc->listen, host, sizeof host, &port, err,
	    errlen) == -1)
		return -1;
	all = host[0] == '\0';
	/* Every address: one IPv6 socket that takes IPv4 too, else IPv4. */
	if (httpd_resolve(hc->listen, all ? AF_INET6 : AF_UNSPEC, &ss, &sslen,
	    err, errlen) == -1)
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (fd == -1 && all && errno == EAFNOSUPPORT) {
		if (httpd_resolve(hc->listen, AF_INET, &ss, &sslen, err,
		    errlen) == -1)
			return -1;
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, 0);
	}
	if (fd == -1) {
		snprintf(err, errlen, "listen %s: socket: %s", hc->listen,
		    strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
	if (all && ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
	if (bind(fd, (struct sockaddr *)&ss, sslen) == -1) {
		snprintf(err, errlen, "listen %s: bind: %s", hc->listen,
		    strerror(errno));
		goto fail;
	}
	if (listen(fd, SOMAXCONN) == -1) {
		snprintf(err, errlen, "listen %s: listen: %s", hc->listen,
		    strerror(errno));
		goto fail;
	}
	return fd;

fail:
	close(fd);
	return -1;
}

/* --------------------------------------------------------------- replies */

static const char *
httpd_roles_text(unsigned roles, char *dst, size_t size)
{
	static const enum token_role all[] = {
		ROLE_AGENT, ROLE_READ, ROLE_OPERATE, ROLE_ADMIN,
	};
	size_t	 i, n = 0, k = 0;

	dst[0] = '\0';
	for (i = 0; i < sizeof all / sizeof all[0]; i++)
		if (roles & all[i])
			n++;
	for (i = 0; i < sizeof all / sizeof all[0]; i++) {
		if (!(roles & all[i]))
			continue;
		if (k > 0)
			str_append(dst, k + 1 == n ? " or " : ", ", size);
		str_append(dst, token_role_name(all[i]), size);
		k++;
	}
	return dst;
}

/* Queues r (consumed) with the headers every answer carries. */
static enum MHD_Result
httpd_send(struct MHD_Connection *conn, struct httpd_conn *hc,
    const char *method, const char *url, struct reply *r,
    const char *hname, const char *hvalue)
{
	struct MHD_Response	*resp;
	enum MHD_Result		 ret;
	const char		*type = r->content_type;
	char			*body = NULL, vmethod[32], vurl[256];
	size_t			 len = 0;

	if (r->json != NULL) {
		body = json_dumps(r->json, JSON_COMPACT);
		if (type == NULL)
			type = HTTPD_JSON_TYPE;
	} else if (r->text != NULL) {
		body = xstrdup(r->text);
		if (type == NULL)
			type = HTTPD_TEXT_TYPE;
	}
	if (body == NULL || r->status < 100 || r->status > 599) {
		log_warnx("%s %s: the handler gave no reply (status %d)",
		    str_vis(vmethod, sizeof vmethod, method),
		    str_vis(vurl, sizeof vurl, url), r->status);
		free(body);
		r->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		body = xstrdup("{\"error\":\"internal error\"}");
		type = HTTPD_JSON_TYPE;
	}
	len = strlen(body);
	resp = MHD_create_response_from_buffer(len, body,
	    MHD_RESPMEM_MUST_COPY);
	free(body);
	if (resp == NULL) {
		ret = MHD_NO;
		goto done;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-store");
	if (hname != NULL)
		MHD_add_response_header(resp, hname, hvalue);
	ret = MHD_queue_response(conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);

done:
	hc->responded = 1;
	stats_request(hc->route, r->status);
	if (log_get_level() >= LOG_LEVEL_DEBUG)
		log_debug("%s %s %d %zu bytes %lld ms token=%s",
		    str_vis(vmethod, sizeof vmethod, method),
		    str_vis(vurl, sizeof vurl, url), r->status, len,
		    (long long)(wtime_mono_ms() - hc->start_ms),
		    hc->token_name[0] != '\0' ? hc->token_name : "-");
	if (r->json != NULL)
		json_decref(r->json);
	free(r->text);
	memset(r, 0, sizeof *r);
	return ret;
}

static enum MHD_Result
httpd_send_error(struct MHD_Connection *conn, struct httpd_conn *hc,
    const char *method, const char *url, int status, const char *hname,
    const char *hvalue, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

static enum MHD_Result
httpd_send_error(struct MHD_Connection *conn, struct httpd_conn *hc,
    const char *method, const char *url, int status, const char *hname,
    const char *hvalue, const char *fmt, ...)
{
	struct reply	 r;
	va_list		 ap;
	char		 msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	memset(&r, 0, sizeof r);
	reply_json(&r, status, error_body(msg));
	return httpd_send(conn, hc, method, url, &r, hname, hvalue);
}

/* --------------------------------------------------------------- routing */

/*
 * Matches path against pattern segment by segment; {name} takes one whole
 * non-empty segment. MHD percent-decodes the path before we see it, so an
 * encoded "/" (%2F) is a separator by then and a capture never holds one.
 */
static int
httpd_match(const char *pattern, const char *path, char **params,
    size_t *nparams)
{
	const char	*pe, *se;
	size_t		 n = 0, i, plen, slen;

	for (;;) {
		if (*pattern != '/' || *path != '/')
			goto no;
		pattern++;
		path++;
		pe = strchr(pattern, '/');
		se = strchr(path, '/');
		plen = pe != NULL ? (size_t)(pe - pattern) : strlen(pattern);
		slen = se != NULL ? (size_t)(se - path) : strlen(path);
		if (plen >= 2 && pattern[0] == '{' && pattern[plen - 1] == '}') {
			if (slen == 0 || n == HTTPD_MAX_PARAMS)
				goto no;
			if (params != NULL)
				params[n] = xstrndup(path, slen);
			n++;
		} else if (plen != slen || memcmp(pattern, path, plen) != 0)
			goto no;
		pattern += plen;
		path += slen;
		if (*pattern == '\0' && *path == '\0')
			break;
	}
	if (nparams != NULL)
		*nparams = n;
	return 1;

no:
	if (params != NULL)
		for (i = 0; i < n; i++) {
			free(params[i]);
			params[i] = NULL;
		}
	return 0;
}

static const char *
httpd_query(const struct request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND,
	    name);
}

/* A query parameter whose name or value holds a NUL (%00): the handlers
 * read them as C strings, and would read them cut short. */
struct httpd_nul {
	char	 name[64];
	int	 found;
};

static enum MHD_Result
httpd_query_nul(void *cls, enum MHD_ValueKind kind, const char *key,
    size_t key_size, const char *value, size_t value_size)
{
	struct httpd_nul	*q = cls;

	(void)kind;
	if (strlen(key) == key_size && (value == NULL ||
	    strlen(value) == value_size))
		return MHD_YES;
	(void)str_vis(q->name, sizeof q->name, key);
	q->found = 1;
	return MHD_NO;
}

/* Route, auth and size checks on a request's headers, before its body. */
static enum MHD_Result
httpd_headers(struct httpd *h, struct MHD_Connection *conn,
    struct httpd_conn *hc, const char *url, const char *method)
{
	const struct route_entry	*const *rp, *e;
	const char			*auth, *token, *cl;
	struct httpd_nul		 nul;
	char				 allow[128], need[64], why[128];
	int64_t				 length;
	int				 r;

	allow[0] = '\0';
	for (rp = route_table; (e = *rp) != NULL; rp++) {
		if (!httpd_match(e->pattern, url, NULL, NULL))
			continue;
		if (strcmp(e->method, method) == 0) {
			httpd_match(e->pattern, url, hc->params, &hc->nparams);
			hc->route = e;
			break;
		}
		if (strstr(allow, e->method) == NULL) {
			if (allow[0] != '\0')
				str_append(allow, ", ", sizeof allow);
			str_append(allow, e->method, sizeof allow);
		}
	}
	if (hc->route == NULL && allow[0] != '\0')
		return httpd_send_error(conn, hc, method, url,
		    MHD_HTTP_METHOD_NOT_ALLOWED, MHD_HTTP_HEADER_ALLOW, allow,
		    "method %s not allowed here; use %s", method, allow);
	if (hc->route == NULL)
		return httpd_send_error(conn, hc, method, url,
		    MHD_HTTP_NOT_FOUND, NULL, NULL, "no such resource");

	if (hc->route->roles != 0) {
		auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_AUTHORIZATION);
		token = NULL;
		if (auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0) {
			token = auth + 7;
			while (*token == ' ')
				token++;
		}
		if (token == NULL || *token == '\0')
			return httpd_send_error(conn, hc, method, url,
			    MHD_HTTP_UNAUTHORIZED, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
			    "Bearer", "missing bearer token");
		if (token_check(h->c->store, token, &hc->role, hc->token_name,
		    sizeof hc->token_name) == -1)
			return httpd_send_error(conn, hc, method, url,
			    MHD_HTTP_UNAUTHORIZED, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
			    "Bearer error=\"invalid_token\"",
			    "invalid or revoked token");
		if ((hc->route->roles & hc->role) == 0)
			return httpd_send_error(conn, hc, method, url,
			    MHD_HTTP_FORBIDDEN, NULL, NULL, "%s %s needs the %s "
			    "role; this token has the %s role", method, url,
			    httpd_roles_text(hc->route->roles, need,
			    sizeof need), token_role_name(hc->role));
	}

	memset(&nul, 0, sizeof nul);
	(void)MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND,
	    httpd_query_nul, &nul);
	if (nul.found)
		return httpd_send_error(conn, hc, method, url,
		    MHD_HTTP_BAD_REQUEST, NULL, NULL, "%s: a NUL byte (%%00) in "
		    "a query parameter", nul.name);
	cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL) {
		r = str_parse_int64(cl, 0, INT64_MAX, &length, why, sizeof why);
		if (r == 0 && length > h->c->cfg->http.max_body_bytes) {
			/* Refused before a byte of it is read. */
			return httpd_send_error(conn, hc, method, url,
			    413, NULL, NULL,
			    "request body of %lld bytes is over the limit of "
			    "%lld bytes", (long long)length,
			    (long long)h->c->cfg->http.max_body_bytes);
		}
	}
	return MHD_YES;
}

static enum MHD_Result
httpd_dispatch(struct httpd *h, struct MHD_Connection *conn,
    struct httpd_conn *hc, const char *url, const char *method)
{
	struct request	 req;
	struct reply	 r;
	size_t		 i;

	memset(&req, 0, sizeof req);
	memset(&r, 0, sizeof r);
	req.c = h->c;
	req.method = method;
	req.path = url;
	req.body = hc->body.len > 0 ? buf_cstr(&hc->body) : NULL;
	req.body_len = hc->body.len;
	req.role = hc->role;
	req.token_name = hc->token_name[0] != '\0' ? hc->token_name : NULL;
	req.query = httpd_query;
	req.conn = conn;
	for (i = 0; i < hc->nparams; i++)
		req.params[i] = hc->params[i];
	req.nparams = hc->nparams;
	hc->route->handler(&req, &r);
	return httpd_send(conn, hc, method, url, &r, NULL, NULL);
}

static enum MHD_Result
httpd_access_locked(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct httpd		*h = cls;
	struct httpd_conn	*hc = *con_cls;
	size_t			 max = (size_t)h->c->cfg->http.max_body_bytes;

	(void)version;
	if (hc == NULL) {
		hc = xcalloc(1, sizeof *hc);
		hc->start_ms = wtime_mono_ms();
		buf_init(&hc->body, max);
		*con_cls = hc;
		return httpd_headers(h, conn, hc, url, method);
	}
	if (hc->responded) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		/* A chunked body has no length up front: cap it as it comes,
		 * then drop the rest, but not without end. */
		if (!hc->too_big && buf_append(&hc->body, upload_data,
		    *upload_data_size) == -1) {
			hc->too_big = 1;
			buf_free(&hc->body);
		}
		if (hc->too_big) {
			hc->discarded += *upload_data_size;
			if (hc->discarded > max)
				return MHD_NO;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (hc->too_big)
		return httpd_send_error(conn, hc, method, url,
		    413, NULL, NULL, "request body is "
		    "over the limit of %lld bytes",
		    (long long)h->c->cfg->http.max_body_bytes);
	return httpd_dispatch(h, conn, hc, url, method);
}

/* Every request sees one configuration from start to end: a reload
 * (collector_main.c) swaps it only between requests. */
static enum MHD_Result
httpd_access(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct httpd	*h = cls;
	enum MHD_Result	 ret;

	pthread_rwlock_rdlock(&h->c->lock);
	ret = httpd_access_locked(cls, conn, url, method, version,
	    upload_data, upload_data_size, con_cls);
	pthread_rwlock_unlock(&h->c->lock);
	return ret;
}

static void
httpd_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct httpd_conn	*hc = *con_cls;
	size_t			 i;

	(void)cls;
	(void)conn;
	(void)toe;
	if (hc == NULL)
		return;
	for (i = 0; i < hc->nparams; i++)
		free(hc->params[i]);
	buf_free(&hc->body);
	free(hc);
	*con_cls = NULL;
}

static void
httpd_log(void *cls, const char *fmt, va_list ap)
{
	struct httpd	*h = cls;
	size_t		 n;

	vsnprintf(h->last_error, sizeof h->last_error, fmt, ap);
	n = strlen(h->last_error);
	while (n > 0 && (h->last_error[n - 1] == '\n' ||
	    h->last_error[n - 1] == ' '))
		h->last_error[--n] = '\0';
	/* TLS handshakes that fail (scanners, plain HTTP) are routine. */
	log_debug("libmicrohttpd: %s", h->last_error);
}

/* --------------------------------------------------------------- start */

static char *
httpd_read_cert(const char *path, char *err, size_t errlen)
{
	struct buf	 b;
	char		 chunk[4096];
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "[http] tls_cert %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	buf_init(&b, HTTPD_CERT_MAX);
	while ((n = read(fd, chunk, sizeof chunk)) > 0) {
		if (buf_append(&b, chunk, (size_t)n) == -1) {
			snprintf(err, errlen, "[http] tls_cert %s: larger than "
			    "%d bytes", path, HTTPD_CERT_MAX);
			goto fail;
		}
	}
	if (n == -1) {
		snprintf(err, errlen, "[http] tls_cert %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	if (strstr(buf_cstr(&b), "-----BEGIN CERTIFICATE-----") == NULL) {
		snprintf(err, errlen, "[http] tls_cert %s: no PEM certificate "
		    "in it", path);
		goto fail;
	}
	close(fd);
	return buf_detach(&b, NULL);

fail:
	close(fd);
	buf_free(&b);
	return NULL;
}

struct httpd *
httpd_start(struct collector *c, char *err, size_t errlen)
{
	const struct httpd_config	*hc = &c->cfg->http;
	struct httpd			*h;
	unsigned int			 flags, timeout_s;
	int				 fd;

	if (httpd_config_check(hc, err, errlen) == -1)
		return NULL;
	h = xcalloc(1, sizeof *h);
	h->c = c;
	if (hc->tls && ((h->cert = httpd_read_cert(hc->tls_cert, err,
	    errlen)) == NULL || httpd_check_pair(h->cert, hc->tls_key,
	    hc->tls_cert, err, errlen) == -1))
		goto fail;
	if ((fd = c->listen_fd) <= 0 && (fd = httpd_listen(hc, err,
	    errlen)) == -1)
		goto fail;
	/* From here the daemon owns fd, even if it fails to start. */
	c->listen_fd = 0;

	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_USE_ERROR_LOG;
	timeout_s = (unsigned int)((hc->request_timeout_ms + 999) / 1000);
	if (timeout_s == 0)
		timeout_s = 1;
	if (hc->tls)
		h->daemon = MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL,
		    NULL, httpd_access, h,
		    MHD_OPTION_EXTERNAL_LOGGER, httpd_log, h,
		    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
		    MHD_OPTION_NOTIFY_COMPLETED, httpd_completed, h,
		    MHD_OPTION_CONNECTION_LIMIT,
		    (unsigned int)hc->max_connections,
		    MHD_OPTION_CONNECTION_TIMEOUT, timeout_s,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		    (size_t)HTTPD_CONNECTION_MEMORY,
		    MHD_OPTION_HTTPS_MEM_CERT, h->cert,
		    MHD_OPTION_HTTPS_MEM_KEY, hc->tls_key,
		    MHD_OPTION_HTTPS_PRIORITIES, HTTPD_TLS_PRIORITIES,
		    MHD_OPTION_END);
	else
		h->daemon = MHD_start_daemon(flags, 0, NULL, NULL,
		    httpd_access, h,
		    MHD_OPTION_EXTERNAL_LOGGER, httpd_log, h,
		    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
		    MHD_OPTION_NOTIFY_COMPLETED, httpd_completed, h,
		    MHD_OPTION_CONNECTION_LIMIT,
		    (unsigned int)hc->max_connections,
		    MHD_OPTION_CONNECTION_TIMEOUT, timeout_s,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		    (size_t)HTTPD_CONNECTION_MEMORY,
		    MHD_OPTION_END);
	if (h->daemon == NULL) {
		snprintf(err, errlen, "[http] cannot start the server on %s: "
		    "%s", hc->listen, h->last_error[0] != '\0' ?
		    h->last_error : "libmicrohttpd refused to start");
		goto fail;
	}
	log_info("listening on %s (%s)", hc->listen, hc->tls ? "HTTPS" :
	    "plain HTTP, loopback only");
	return h;

fail:
	free(h->cert);
	free(h);
	return NULL;
}

void
httpd_stop(struct httpd *h)
{
	if (h == NULL)
		return;
	/* Waits for the server thread: no handler runs after this. */
	MHD_stop_daemon(h->daemon);
	free(h->cert);
	free(h);
}
