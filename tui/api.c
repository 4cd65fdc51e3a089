/* api.c: the collector's HTTPS API as ward sees it: a request, its JSON,
 * and what went wrong put in words a person can act on. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "common/cli.h"
#include "common/http.h"
#include "common/str.h"
#include "common/wjson.h"
#include "common/xmalloc.h"
#include "tui/tui.h"

/* Host lists of thousands are a few MB; a reply past this is not ours. */
#define API_MAX_REPLY	(64 * 1024 * 1024)
/* The collector's answer to a path no route matches (collector/httpd.c). */
#define API_NO_ROUTE	"no such resource"
/* How the identity routes begin a 503 when the collector has no
 * ward-idsync database to read (docs/api.md, Identity). */
#define API_IDENTITY_OFF	"identity: "

struct api {
	struct http_client	*http;
	char			*url;
	char			*token;
};

int
api_url_check(const char *url, char *err, size_t errlen)
{
	if (!str_has_prefix(url, "https://") || url[8] == '\0' ||
	    url[8] == '/') {
		snprintf(err, errlen, "collector URL \"%.200s\": use "
		    "https://HOST[:PORT] (ward always verifies the "
		    "collector's certificate)", url);
		return -1;
	}
	if (strpbrk(url, "?#@ ") != NULL) {
		snprintf(err, errlen, "collector URL \"%.200s\": give only "
		    "https://HOST[:PORT][/PATH], without a query, fragment "
		    "or user name", url);
		return -1;
	}
	return 0;
}

struct api *
api_new(const struct api_options *o, char *err, size_t errlen)
{
	struct http_client_options	 ho;
	struct api			*a;
	size_t				 n;

	if (api_url_check(o->url, err, errlen) == -1)
		return NULL;
	memset(&ho, 0, sizeof ho);
	ho.ca_file = o->ca_file;
	ho.timeout_ms = o->timeout_ms;
	ho.connect_timeout_ms = o->timeout_ms;
	ho.max_attempts = o->max_attempts;
	ho.backoff_initial_ms = 300;
	ho.backoff_max_ms = 2000;
	ho.max_response_bytes = API_MAX_REPLY;
	a = xcalloc(1, sizeof *a);
	if ((a->http = http_client_new(&ho, err, errlen)) == NULL) {
		free(a);
		return NULL;
	}
	a->url = xstrdup(o->url);
	n = strlen(a->url);
	while (n > 8 && a->url[n - 1] == '/')
		a->url[--n] = '\0';
	a->token = o->token != NULL ? xstrdup(o->token) : NULL;
	return a;
}

void
api_free(struct api *a)
{
	if (a == NULL)
		return;
	http_client_free(a->http);
	free(a->url);
	xfree_secret(a->token);
	free(a);
}

const char *
api_url(const struct api *a)
{
	return a->url;
}

char *
api_escape(const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;
	char			*out;
	size_t			 o = 0;
	int			 dots;

	/* A path segment "." or ".." would be taken for the path's own
	 * (curl removes them): encoded, it stays a name. */
	dots = strcmp(s, ".") == 0 || strcmp(s, "..") == 0;
	out = xmalloc(3 * strlen(s) + 1);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || (strchr("-._~", *p) != NULL &&
		    !dots))
			out[o++] = (char)*p;
		else {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	out[o] = '\0';
	return out;
}

/* http_do reports failures in curl's words; which words says whether the
 * collector is away or its certificate is wrong. */
static enum api_status
api_classify_failure(const char *err)
{
	static const CURLcode	 tls[] = {
		CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE,
		CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CERTPROBLEM,
		CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
	};
	static const CURLcode	 away[] = {
		CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST,
		CURLE_OPERATION_TIMEDOUT, CURLE_RECV_ERROR, CURLE_SEND_ERROR,
		CURLE_GOT_NOTHING,
	};
	size_t	 i;

	for (i = 0; i < sizeof tls / sizeof tls[0]; i++)
		if (strstr(err, curl_easy_strerror(tls[i])) != NULL)
			return API_TLS;
	for (i = 0; i < sizeof away / sizeof away[0]; i++)
		if (strstr(err, curl_easy_strerror(away[i])) != NULL)
			return API_UNREACHABLE;
	return API_ERROR;
}

static int
api_do(struct api *a, const char *method, const char *path,
    const json_t *body, struct api_reply *r)
{
	struct wjson_limits	 lim = { API_MAX_REPLY, 64, 1024 * 1024 };
	struct http_request	 req;
	struct http_response	 resp;
	const char		*msg;
	char			*url, *data = NULL, err[1024];

	memset(r, 0, sizeof *r);
	xasprintf(&url, "%s%s", a->url, path);
	memset(&req, 0, sizeof req);
	req.method = method;
	req.url = url;
	req.bearer_token = a->token;
	if (body != NULL) {
		data = wjson_dump(body);
		req.body = data;
		req.body_len = strlen(data);
		req.content_type = "application/json";
	}
	if (http_do(a->http, &req, &resp, err, sizeof err) == -1) {
		r->status = api_classify_failure(err);
		str_copy(r->error, err, sizeof r->error);
		goto done;
	}
	r->http_status = resp.status;
	if (resp.body.len > 0)
		r->doc = wjson_parse(buf_cstr(&resp.body), resp.body.len, &lim,
		    err, sizeof err);
	msg = js(r->doc, "error");
	if (resp.status >= 200 && resp.status <= 299) {
		if (r->doc == NULL) {
			r->status = API_ERROR;
			snprintf(r->error, sizeof r->error, "%s %.200s: the "
			    "reply is not JSON (%.500s)", method, path,
			    resp.body.len > 0 ? err : "empty");
		} else
			r->status = API_OK;
		goto done;
	}
	switch (resp.status) {
	case 400:
		r->status = API_BAD_REQUEST;
		break;
	case 401:
		r->status = API_UNAUTHORIZED;
		break;
	case 403:
		r->status = API_FORBIDDEN;
		break;
	case 404:
		r->status = msg != NULL && strcmp(msg, API_NO_ROUTE) == 0 ?
		    API_NOT_AVAILABLE : API_NOT_FOUND;
		break;
	case 409:
		r->status = API_CONFLICT;
		break;
	case 503:
		/* An answer about this route, not the collector failing. */
		r->status = msg != NULL && str_has_prefix(msg,
		    API_IDENTITY_OFF) ? API_UNCONFIGURED : API_ERROR;
		break;
	default:
		r->status = API_ERROR;
		break;
	}
	if (msg != NULL)
		snprintf(r->error, sizeof r->error, "%s", msg);
	else
		snprintf(r->error, sizeof r->error, "%s %.200s: HTTP status "
		    "%ld", method, path, resp.status);
done:
	http_response_free(&resp);
	free(data);
	free(url);
	return r->status == API_OK ? 0 : -1;
}

int
api_get(struct api *a, const char *path, struct api_reply *r)
{
	return api_do(a, "GET", path, NULL, r);
}

int
api_post(struct api *a, const char *path, const json_t *body,
    struct api_reply *r)
{
	return api_do(a, "POST", path, body, r);
}

void
api_reply_free(struct api_reply *r)
{
	if (r == NULL)
		return;
	json_decref(r->doc);
	r->doc = NULL;
}

int
api_exit_code(enum api_status s)
{
	switch (s) {
	case API_OK:
		return 0;
	case API_BAD_REQUEST:
		return WARD_EXIT_USAGE;
	case API_NOT_FOUND:
		return TUI_EXIT_NOT_FOUND;
	case API_CONFLICT:
		return TUI_EXIT_CONFLICT;
	case API_UNREACHABLE:
		return TUI_EXIT_UNREACHABLE;
	case API_TLS:
		return TUI_EXIT_TLS;
	case API_UNAUTHORIZED:
	case API_FORBIDDEN:
		return TUI_EXIT_AUTH;
	case API_NOT_AVAILABLE:
	case API_UNCONFIGURED:
		return WARD_EXIT_UNAVAILABLE;
	default:
		return WARD_EXIT_FAILURE;
	}
}
