/* http.h: HTTP(S) client over libcurl: TLS verification always on unless a
 * test says otherwise, CA file, timeouts, capped responses, retries with
 * jittered exponential backoff. */
#ifndef WARD_HTTP_H
#define WARD_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

struct http_client_options {
	const char	*ca_file;	/* NULL: system trust store */
	const char	*client_cert;	/* optional PEM */
	const char	*client_key;
	int		 insecure_skip_verify;	/* never set from user config */
	int64_t		 connect_timeout_ms;	/* default 10 s */
	int64_t		 timeout_ms;		/* whole transfer; default 30 s */
	size_t		 max_response_bytes;	/* default 8 MiB */
	int		 max_attempts;		/* 1 = no retry; default 3 */
	int64_t		 backoff_initial_ms;	/* default 500 ms */
	int64_t		 backoff_max_ms;	/* default 30 s */
	int		 follow_redirects;	/* default off; max 5 hops */
	const char	*user_agent;		/* default "ward/VERSION" */
	/* Asked during each transfer and between attempts: non-zero stops
	 * the request at once, failed (a program stopping never waits for a
	 * slow server). NULL: never. */
	int		(*cancel)(void *arg);
	void		*cancel_arg;
};

struct http_header {
	const char	*name;
	const char	*value;
};

struct http_request {
	const char	*method;	/* "GET", "POST", ... */
	const char	*url;
	const void	*body;
	size_t		 body_len;
	const char	*content_type;	/* for the body */
	const char	*bearer_token;	/* sent as Authorization; never logged */
	const struct http_header *headers;	/* extra, NULL-name terminated */
};

struct http_response {
	long		 status;	/* 0 if no response */
	struct buf	 body;
	char		*content_type;
	char		*etag;
	char		*last_modified;
	int64_t		 retry_after_s;	/* -1 if absent */
	char		*effective_url;	/* after redirects */
	int		 attempts;	/* how many tries it took */
};

struct http_client;

/* path, what option (what: "[collector] ca_file") names, is a regular
 * file we may read: else -1 with err naming both. */
int	 http_check_file(const char *what, const char *path, char *err,
	    size_t errlen);
/* Copies what it needs from opts. Returns NULL with err if curl fails to
 * initialise or a named file is unreadable. */
struct http_client *http_client_new(const struct http_client_options *opts,
	    char *err, size_t errlen);
void	 http_client_free(struct http_client *c);

/*
 * Performs the request, retrying on connection failures, timeouts, 429 and
 * 5xx (honouring Retry-After up to backoff_max_ms), never on other 4xx.
 * Returns 0 when a response arrived (any status: the caller judges it), -1
 * when none did, with err like
 * "POST https://127.0.0.1:8443/api/v1/reports: SSL peer certificate or SSH
 * remote key was not OK (after 3 attempts)". A body larger than
 * max_response_bytes is an error. resp is initialised by the call and
 * freed with http_response_free.
 */
int	 http_do(struct http_client *c, const struct http_request *req,
	    struct http_response *resp, char *err, size_t errlen);
void	 http_response_free(struct http_response *resp);

/* Called once by each program before threads start. */
/*
 * TLS as every ward connection has it, on a curl easy handle: the peer's
 * certificate chain verified up to a CA in ca_file (NULL: the system's),
 * never to a leaf certificate given there as if it were one, and its name
 * checked. Returns curl's code (0 is CURLE_OK).
 */
int	 http_tls_setup(void *curl, const char *ca_file);

int	 http_global_init(char *err, size_t errlen);
void	 http_global_cleanup(void);

#endif
