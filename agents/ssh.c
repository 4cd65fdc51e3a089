/* ssh.c: ward-netpoll's SSH command checks, many sessions at once in one
 * poll loop: libssh2 in non-blocking mode, host keys from known_hosts. */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netdb.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libssh2.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "agents/agent.h"

#define SSH_WAIT_MAX_MS	250
#define SSH_RESOLVE_POLL_MS	20	/* how often a lookup is looked at */

enum ssh_state {
	SS_QUEUED, SS_RESOLVE, SS_CONNECT, SS_HANDSHAKE, SS_AUTH_KEY, SS_AUTH_PASS,
	SS_OPEN, SS_EXEC, SS_READ, SS_CLOSE, SS_FREE, SS_BYE, SS_DONE
};

struct ssh_job {
	struct ssh_spec		 spec;
	struct ssh_result	 res;
	enum ssh_state		 state;
	int			 fd;
	LIBSSH2_SESSION		*s;
	LIBSSH2_CHANNEL		*ch;
	size_t			 cmd;		/* the command running */
	int64_t			 start_ms;	/* monotonic */
	int64_t			 deadline_ms;
	int			 discarding;	/* past output_max */
	struct ssh_lookup	*lookup;	/* SS_RESOLVE */
};

/* A host name being looked up by getaddrinfo_a(3), in glibc's threads:
 * a resolver that does not answer holds up that host only. */
struct ssh_lookup {
	struct gaicb		 cb;
	struct addrinfo		 hints;
	char			 port[16];
	char			*host;
	struct ssh_lookup	*next;
};

/* Lookups given up on (their host timed out) that glibc could not
 * cancel: they are freed once they end, never while glibc holds them. */
static struct ssh_lookup	*ssh_orphans;

static void
ssh_lookup_free(struct ssh_lookup *l)
{
	if (l->cb.ar_result != NULL)
		freeaddrinfo(l->cb.ar_result);
	free(l->host);
	free(l);
}

/* Drops a lookup: freed if glibc has let go of it, else orphaned. */
static void
ssh_lookup_drop(struct ssh_lookup *l)
{
	if (gai_error(&l->cb) == EAI_INPROGRESS &&
	    gai_cancel(&l->cb) == EAI_NOTCANCELED) {
		l->next = ssh_orphans;
		ssh_orphans = l;
		return;
	}
	ssh_lookup_free(l);
}

static void
ssh_orphans_reap(void)
{
	struct ssh_lookup	**lp = &ssh_orphans, *l;

	while ((l = *lp) != NULL) {
		if (gai_error(&l->cb) == EAI_INPROGRESS) {
			lp = &l->next;
			continue;
		}
		*lp = l->next;
		ssh_lookup_free(l);
	}
}

const char *
ssh_failure_name(enum ssh_failure f)
{
	static const char *const names[] = {
		"ok", "resolve", "connect", "timeout", "host-key", "auth",
		"protocol", "config", "stopped",
	};

	if ((size_t)f >= sizeof names / sizeof names[0])
		return "unknown";
	return names[f];
}

struct ssh_job *
ssh_job_new(const struct ssh_spec *spec)
{
	struct ssh_job	*j = xcalloc(1, sizeof *j);

	j->spec = *spec;
	if (j->spec.port == 0)
		j->spec.port = 22;
	if (j->spec.output_max == 0)
		j->spec.output_max = 64 * 1024;
	if (j->spec.timeout_ms <= 0)
		j->spec.timeout_ms = 10000;
	j->fd = -1;
	j->res.cmds = xcalloc(spec->ncommands + 1, sizeof *j->res.cmds);
	return j;
}

static void
ssh_job_close(struct ssh_job *j)
{
	if (j->lookup != NULL) {
		ssh_lookup_drop(j->lookup);
		j->lookup = NULL;
	}
	/* A session cut short (timeout, failure) would have libssh2 wait on
	 * the peer to close its channel: the socket is shut first, so that
	 * every wait ends at once in an error libssh2 lets go of. */
	if (j->fd != -1 && (j->ch != NULL || j->state != SS_DONE ||
	    j->res.failure != SSH_FAIL_NONE))
		(void)shutdown(j->fd, SHUT_RDWR);
	if (j->ch != NULL) {
		(void)libssh2_channel_free(j->ch);
		j->ch = NULL;
	}
	if (j->s != NULL) {
		(void)libssh2_session_free(j->s);
		j->s = NULL;
	}
	if (j->fd != -1) {
		close(j->fd);
		j->fd = -1;
	}
}

void
ssh_job_free(struct ssh_job *j)
{
	size_t	 i;

	if (j == NULL)
		return;
	ssh_job_close(j);
	for (i = 0; i < j->spec.ncommands; i++)
		free(j->res.cmds[i].out);
	free(j->res.cmds);
	free(j);
}

const struct ssh_spec *
ssh_job_spec(const struct ssh_job *j)
{
	return &j->spec;
}

const struct ssh_result *
ssh_job_result(const struct ssh_job *j)
{
	return &j->res;
}

static void
ssh_fail(struct ssh_job *j, enum ssh_failure f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
ssh_fail(struct ssh_job *j, enum ssh_failure f, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(j->res.error, sizeof j->res.error, fmt, ap);
	va_end(ap);
	j->res.failure = f;
	j->state = SS_DONE;
	j->res.time_s = (double)(wtime_mono_ms() - j->start_ms) / 1000.0;
	/* Closed by ssh_run: the caller may still hold the session's
	 * things (a known_hosts list). */
}

/* libssh2's last error, in its words. */
static const char *
ssh_lib_error(struct ssh_job *j)
{
	char	*msg = NULL;

	if (j->s == NULL)
		return "no session";
	(void)libssh2_session_last_error(j->s, &msg, NULL, 0);
	return msg != NULL && *msg != '\0' ? msg : "unknown error";
}

/* "SHA256:..." as ssh-keygen -l prints it: base64, no padding. */
static void
ssh_fingerprint(const unsigned char *h, size_t n, char *out, size_t size)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t		 i, o;
	uint32_t	 v;

	o = str_copy(out, "SHA256:", size);
	for (i = 0; i < n && o + 5 < size; i += 3) {
		v = (uint32_t)h[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)h[i + 1] << 8;
		if (i + 2 < n)
			v |= h[i + 2];
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = b64[(v >> 6) & 63];
		if (i + 2 < n)
			out[o++] = b64[v & 63];
	}
	out[o] = '\0';
}

static int
ssh_key_bits(int type, const char **name)
{
	switch (type) {
	case LIBSSH2_HOSTKEY_TYPE_RSA:
		*name = "ssh-rsa";
		return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
	case LIBSSH2_HOSTKEY_TYPE_DSS:
		*name = "ssh-dss";
		return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
		*name = "ecdsa-sha2-nistp256";
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
		*name = "ecdsa-sha2-nistp384";
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
		*name = "ecdsa-sha2-nistp521";
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
	case LIBSSH2_HOSTKEY_TYPE_ED25519:
		*name = "ssh-ed25519";
		return LIBSSH2_KNOWNHOST_KEY_ED25519;
	default:
		*name = "unknown";
		return 0;
	}
}

/*
 * The host key types known_hosts holds for the host first, as OpenSSH
 * asks for them: a host known by its ed25519 key that also has an ECDSA
 * one is checked against the key on record, not offered the other type
 * (which the check below would take for a changed key).
 */
/* Is name one of algs? */
static int
ssh_alg_supported(const char **algs, int n, const char *name)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (strcmp(algs[i], name) == 0)
			return 1;
	return 0;
}

/* Is name a whole member of the comma-separated list? */
static int
ssh_alg_listed(const char *list, const char *name)
{
	size_t		 n = strlen(name);
	const char	*p;

	for (p = list; (p = strstr(p, name)) != NULL; p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' ||
		    p[n] == '\0'))
			return 1;
	return 0;
}

static void
ssh_prefer_known(struct ssh_job *j)
{
	static const struct {
		int		 type;
		const char	*algs;
	} types[] = {
		{ LIBSSH2_KNOWNHOST_KEY_ED25519, "ssh-ed25519" },
		{ LIBSSH2_KNOWNHOST_KEY_ECDSA_256, "ecdsa-sha2-nistp256" },
		{ LIBSSH2_KNOWNHOST_KEY_ECDSA_384, "ecdsa-sha2-nistp384" },
		{ LIBSSH2_KNOWNHOST_KEY_ECDSA_521, "ecdsa-sha2-nistp521" },
		{ LIBSSH2_KNOWNHOST_KEY_SSHRSA,
		    "rsa-sha2-512,rsa-sha2-256,ssh-rsa" },
	};
	LIBSSH2_KNOWNHOSTS	*kh;
	struct buf		 known;
	const char		**algs = NULL;
	char			**names;
	size_t			 i, k, n;
	int			 rc, nalgs, first = 1;

	if (j->spec.known_hosts == NULL ||
	    (kh = libssh2_knownhost_init(j->s)) == NULL)
		return;
	/* Only what this libssh2 has: it drops an unknown name from a
	 * list with an overlapping memcpy (1.10). */
	if ((nalgs = libssh2_session_supported_algs(j->s,
	    LIBSSH2_METHOD_HOSTKEY, &algs)) <= 0) {
		libssh2_knownhost_free(kh);
		return;
	}
	if (libssh2_knownhost_readfile(kh, j->spec.known_hosts,
	    LIBSSH2_KNOWNHOST_FILE_OPENSSH) <= 0) {
		libssh2_free(j->s, algs);
		libssh2_knownhost_free(kh);
		return;
	}
	/* The supported algorithms of the types on record first, then the
	 * others in libssh2's order. */
	buf_init(&known, 0);
	for (i = 0; i < sizeof types / sizeof types[0]; i++) {
		/* A key no line holds: a mismatch says a line of this type
		 * is there for the host. */
		rc = libssh2_knownhost_checkp(kh, j->spec.host,
		    (int)j->spec.port, "-", 1, LIBSSH2_KNOWNHOST_TYPE_PLAIN |
		    LIBSSH2_KNOWNHOST_KEYENC_RAW | types[i].type, NULL);
		if (rc != LIBSSH2_KNOWNHOST_CHECK_MISMATCH)
			continue;
		n = str_split(types[i].algs, ",", &names);
		for (k = 0; k < n; k++)
			if (ssh_alg_supported(algs, nalgs, names[k])) {
				buf_printf(&known, "%s%s", first ? "" : ",",
				    names[k]);
				first = 0;
			}
		str_list_free(names, n);
	}
	if (known.len > 0) {
		for (k = 0; k < (size_t)nalgs; k++)
			if (!ssh_alg_listed(buf_cstr(&known), algs[k]))
				buf_printf(&known, ",%s", algs[k]);
		(void)libssh2_session_method_pref(j->s, LIBSSH2_METHOD_HOSTKEY,
		    buf_cstr(&known));
	}
	buf_free(&known);
	libssh2_free(j->s, algs);
	libssh2_knownhost_free(kh);
}

/* line[0..len) (its newline included) at the end of the file at path,
 * after a newline if the file does not end with one; the file made
 * if it is not there. */
static int
ssh_append_line(const char *path, const char *line, size_t len, char *why,
    size_t whylen)
{
	char	 last = '\n';
	ssize_t	 n;
	int	 fd, rc = -1;

	if ((fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC,
	    0644)) == -1) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	if (lseek(fd, -1, SEEK_END) != -1 && read(fd, &last, 1) != 1)
		last = '\n';
	errno = 0;
	if ((last != '\n' && write(fd, "\n", 1) != 1) ||
	    (n = write(fd, line, len)) != (ssize_t)len)
		snprintf(why, whylen, "%s", errno != 0 ? strerror(errno) :
		    "a short write");
	else if (fsync(fd) == -1)
		snprintf(why, whylen, "%s", strerror(errno));
	else
		rc = 0;
	(void)close(fd);
	return rc;
}

/* Whether known_hosts revokes key for name (ssh_known_hosts_revoked;
 * *line: where). 0 when the file cannot be read, or past 16 MiB: reading
 * it with libssh2 says why then. */
static int
ssh_revoked(const struct ssh_job *j, const char *name, const char *key,
    size_t len, size_t *line)
{
	struct buf	 b;
	FILE		*fp;
	char		 chunk[8192];
	size_t		 n;
	int		 hit = 0, whole = 1;

	if ((fp = fopen(j->spec.known_hosts, "re")) == NULL)
		return 0;
	buf_init(&b, 16 * 1024 * 1024);
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		if (buf_append(&b, chunk, n) == -1) {
			whole = 0;
			break;
		}
	if (ferror(fp))
		whole = 0;
	fclose(fp);
	if (whole && b.len > 0)
		hit = ssh_known_hosts_revoked(buf_cstr(&b), b.len, name,
		    (const unsigned char *)key, len, line);
	buf_free(&b);
	return hit;
}

/* The host key against known_hosts: a revoked key is refused; a match
 * goes on; unknown or changed is refused, unless trust on first use is
 * on and the host is unknown. */
static int
ssh_check_host_key(struct ssh_job *j)
{
	LIBSSH2_KNOWNHOSTS		*kh;
	struct libssh2_knownhost	*found = NULL;
	struct libssh2_knownhost	*added = NULL;
	const char			*key, *hash, *tname;
	char				 name[300], tmp[4200], why[256];
	size_t				 len, line = 0;
	int				 type, bits, rc, nread;
	struct stat			 st;

	if ((key = libssh2_session_hostkey(j->s, &len, &type)) == NULL) {
		ssh_fail(j, SSH_FAIL_PROTOCOL, "%s: no host key from the "
		    "server", j->spec.host);
		return -1;
	}
	bits = ssh_key_bits(type, &tname);
	if ((hash = libssh2_hostkey_hash(j->s,
	    LIBSSH2_HOSTKEY_HASH_SHA256)) != NULL)
		ssh_fingerprint((const unsigned char *)hash, 32,
		    j->res.fingerprint, sizeof j->res.fingerprint);
	str_copy(j->res.key_type, tname, sizeof j->res.key_type);
	if (j->spec.port == 22)
		snprintf(name, sizeof name, "%s", j->spec.host);
	else
		snprintf(name, sizeof name, "[%s]:%u", j->spec.host,
		    j->spec.port);
	if (j->spec.known_hosts == NULL) {
		ssh_fail(j, SSH_FAIL_HOST_KEY, "%s: no known_hosts file to "
		    "check its %s key %s against", name, tname,
		    j->res.fingerprint);
		return -1;
	}
	if (ssh_revoked(j, name, key, len, &line)) {
		ssh_fail(j, SSH_FAIL_HOST_KEY, "%s: its %s key %s is REVOKED "
		    "(line %zu of %s); refused", name, tname,
		    j->res.fingerprint, line, j->spec.known_hosts);
		return -1;
	}
	if ((kh = libssh2_knownhost_init(j->s)) == NULL) {
		ssh_fail(j, SSH_FAIL_PROTOCOL, "cannot start known_hosts");
		return -1;
	}
	if (stat(j->spec.known_hosts, &st) == -1 && errno == ENOENT &&
	    j->spec.trust_first_use)
		nread = 0;
	else if ((nread = libssh2_knownhost_readfile(kh, j->spec.known_hosts,
	    LIBSSH2_KNOWNHOST_FILE_OPENSSH)) < 0) {
		ssh_fail(j, SSH_FAIL_HOST_KEY, "%s: known_hosts %s cannot be "
		    "read (%s); its %s key %s is not trusted", name,
		    j->spec.known_hosts, ssh_lib_error(j), tname,
		    j->res.fingerprint);
		libssh2_knownhost_free(kh);
		return -1;
	}
	rc = libssh2_knownhost_checkp(kh, j->spec.host, (int)j->spec.port,
	    key, len, LIBSSH2_KNOWNHOST_TYPE_PLAIN |
	    LIBSSH2_KNOWNHOST_KEYENC_RAW | bits, &found);
	switch (rc) {
	case LIBSSH2_KNOWNHOST_CHECK_MATCH:
		libssh2_knownhost_free(kh);
		return 0;
	case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
		ssh_fail(j, SSH_FAIL_HOST_KEY, "%s: HOST KEY CHANGED: its %s "
		    "key is now %s, not the one in %s; refused (if the change "
		    "is expected, remove the old line)", name, tname,
		    j->res.fingerprint, j->spec.known_hosts);
		libssh2_knownhost_free(kh);
		return -1;
	case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
		/* Not with this key type; with any type (key type 0 compares
		 * every line for the host), a mismatch means the host is
		 * known by another key: one of another type offered now is a
		 * changed host, as OpenSSH takes it, never a new one. */
		if (libssh2_knownhost_checkp(kh, j->spec.host,
		    (int)j->spec.port, key, len, LIBSSH2_KNOWNHOST_TYPE_PLAIN |
		    LIBSSH2_KNOWNHOST_KEYENC_RAW, NULL) ==
		    LIBSSH2_KNOWNHOST_CHECK_MISMATCH) {
			ssh_fail(j, SSH_FAIL_HOST_KEY, "%s: HOST KEY CHANGED: "
			    "%s has other keys for it, and it offers a %s key "
			    "%s; refused (if the change is expected, remove "
			    "the old lines)", name, j->spec.known_hosts, tname,
			    j->res.fingerprint);
			libssh2_knownhost_free(kh);
			return -1;
		}
		break;
	default:
		ssh_fail(j, SSH_FAIL_HOST_KEY, "%s: its %s key %s cannot be "
		    "checked against %s: %s", name, tname, j->res.fingerprint,
		    j->spec.known_hosts, ssh_lib_error(j));
		libssh2_knownhost_free(kh);
		return -1;
	}
	if (!j->spec.trust_first_use) {
		ssh_fail(j, SSH_FAIL_HOST_KEY, "%s: unknown host key: %s %s "
		    "is not in %s; refused (add it after checking the "
		    "fingerprint, or turn on trust_first_use)", name, tname,
		    j->res.fingerprint, j->spec.known_hosts);
		libssh2_knownhost_free(kh);
		return -1;
	}
	/* Trust on first use, as configured: the key's line is added to
	 * the end of the file, as OpenSSH adds it (written whole, the file
	 * lost its comments, and libssh2 cannot write back the lines it
	 * does not know, such as @revoked ones); checked from the next
	 * connection on. */
	if (libssh2_knownhost_addc(kh, name, NULL, key, len, NULL, 0,
	    LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | bits,
	    &added) != 0 || libssh2_knownhost_writeline(kh, added, tmp,
	    sizeof tmp, &len, LIBSSH2_KNOWNHOST_FILE_OPENSSH) != 0) {
		ssh_fail(j, SSH_FAIL_HOST_KEY, "%s: unknown host key %s %s "
		    "could not be written to %s: %s", name, tname,
		    j->res.fingerprint, j->spec.known_hosts, ssh_lib_error(j));
		libssh2_knownhost_free(kh);
		return -1;
	}
	if (ssh_append_line(j->spec.known_hosts, tmp, len, why,
	    sizeof why) == -1) {
		ssh_fail(j, SSH_FAIL_HOST_KEY, "%s: unknown host key %s %s "
		    "could not be written to %s: %s", name, tname,
		    j->res.fingerprint, j->spec.known_hosts, why);
		libssh2_knownhost_free(kh);
		return -1;
	}
	(void)nread;
	j->res.key_written = 1;
	log_warnx("%s: trusted on first use: %s key %s written to %s", name,
	    tname, j->res.fingerprint, j->spec.known_hosts);
	libssh2_knownhost_free(kh);
	return 0;
}

/* Connects, without waiting, to the first address of ai. */
static int
ssh_connect_addr(struct ssh_job *j, const struct addrinfo *ai)
{
	int	 rc, fd;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1) {
		ssh_fail(j, SSH_FAIL_CONNECT, "socket: %s", strerror(errno));
		return -1;
	}
	j->fd = fd;
	rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
	if (rc == -1 && errno != EINPROGRESS) {
		ssh_fail(j, SSH_FAIL_CONNECT, "%s port %u: %s", j->spec.host,
		    j->spec.port, strerror(errno));
		return -1;
	}
	j->state = SS_CONNECT;
	return 0;
}

/* An address connects at once; a name is looked up in the background
 * (SS_RESOLVE), so a slow resolver costs this host its own timeout. */
static int
ssh_connect_start(struct ssh_job *j)
{
	struct addrinfo		 hints, *ai = NULL;
	struct gaicb		*list[1];
	struct ssh_lookup	*l;
	char			 port[16];
	int			 rc;

	snprintf(port, sizeof port, "%u", j->spec.port);
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = AF_UNSPEC;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(j->spec.host, port, &hints, &ai) == 0) {
		rc = ssh_connect_addr(j, ai);
		freeaddrinfo(ai);
		return rc;
	}
	l = xcalloc(1, sizeof *l);
	l->host = xstrdup(j->spec.host);
	str_copy(l->port, port, sizeof l->port);
	l->hints.ai_socktype = SOCK_STREAM;
	l->hints.ai_family = AF_UNSPEC;
	l->hints.ai_flags = AI_NUMERICSERV;
	l->cb.ar_name = l->host;
	l->cb.ar_service = l->port;
	l->cb.ar_request = &l->hints;
	list[0] = &l->cb;
	if ((rc = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL)) != 0) {
		ssh_lookup_free(l);
		ssh_fail(j, SSH_FAIL_RESOLVE, "%s: %s", j->spec.host,
		    gai_strerror(rc));
		return -1;
	}
	j->lookup = l;
	j->state = SS_RESOLVE;
	return 0;
}

/* SS_RESOLVE: has the lookup ended? */
static void
ssh_resolved(struct ssh_job *j)
{
	struct ssh_lookup	*l = j->lookup;
	int			 rc;

	if ((rc = gai_error(&l->cb)) == EAI_INPROGRESS)
		return;
	if (rc != 0 || l->cb.ar_result == NULL) {
		ssh_fail(j, SSH_FAIL_RESOLVE, "%s: %s", j->spec.host,
		    rc != 0 ? gai_strerror(rc) : "no address");
		return;
	}
	(void)ssh_connect_addr(j, l->cb.ar_result);
	j->lookup = NULL;
	ssh_lookup_free(l);
}

static int
ssh_key_file_ok(struct ssh_job *j)
{
	struct stat	 st;

	if (j->spec.key_file == NULL)
		return 0;
	if (stat(j->spec.key_file, &st) == -1) {
		ssh_fail(j, SSH_FAIL_CONFIG, "key file %s: %s",
		    j->spec.key_file, strerror(errno));
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		ssh_fail(j, SSH_FAIL_CONFIG, "key file %s: mode %04o; it must "
		    "be readable by its owner only (0600)", j->spec.key_file,
		    (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

static void
ssh_start(struct ssh_job *j)
{
	j->start_ms = wtime_mono_ms();
	j->deadline_ms = j->start_ms + j->spec.timeout_ms;
	if (j->spec.key_file == NULL && j->spec.password == NULL) {
		ssh_fail(j, SSH_FAIL_CONFIG, "no key file and no password: "
		    "nothing to log in with");
		return;
	}
	if (ssh_key_file_ok(j) == -1)
		return;
	(void)ssh_connect_start(j);
}

/* The output of the command running: kept up to output_max, then the rest
 * read and dropped while the channel closes. */
static int
ssh_read(struct ssh_job *j)
{
	struct ssh_cmd_result	*c = &j->res.cmds[j->cmd];
	char			 buf[16384];
	ssize_t			 n;
	size_t			 room;
	int			 again = 0, stream;

	for (stream = 0; stream < 2; stream++) {
		for (;;) {
			n = libssh2_channel_read_ex(j->ch, stream, buf,
			    sizeof buf);
			if (n == LIBSSH2_ERROR_EAGAIN) {
				again = 1;
				break;
			}
			if (n < 0) {
				ssh_fail(j, SSH_FAIL_PROTOCOL, "reading the "
				    "output of \"%s\": %s",
				    j->spec.commands[j->cmd], ssh_lib_error(j));
				return -1;
			}
			if (n == 0)
				break;
			if (stream == 1)
				continue;	/* stderr: drained, not kept */
			room = j->spec.output_max - c->len;
			if ((size_t)n > room) {
				c->truncated = 1;
				j->discarding = 1;
			}
			if (room > 0) {
				if ((size_t)n < room)
					room = (size_t)n;
				c->out = xreallocarray(c->out, c->len + room +
				    1, 1);
				memcpy(c->out + c->len, buf, room);
				c->len += room;
				c->out[c->len] = '\0';
			}
		}
	}
	if (j->discarding || libssh2_channel_eof(j->ch))
		return 0;
	return again ? 1 : 0;
}

/* Moves j on as far as it goes without waiting. */
static void
ssh_step(struct ssh_job *j)
{
	struct ssh_cmd_result	*c;
	socklen_t		 sl;
	int			 rc, soerr;
	const char		*cmd;

	for (;;) {
		switch (j->state) {
		case SS_RESOLVE:
			ssh_resolved(j);
			if (j->state == SS_RESOLVE)
				return;
			break;
		case SS_CONNECT:
			sl = sizeof soerr;
			if (getsockopt(j->fd, SOL_SOCKET, SO_ERROR, &soerr,
			    &sl) == -1)
				soerr = errno;
			if (soerr == EINPROGRESS || soerr == EALREADY)
				return;
			if (soerr != 0) {
				ssh_fail(j, SSH_FAIL_CONNECT, "%s port %u: %s",
				    j->spec.host, j->spec.port,
				    strerror(soerr));
				return;
			}
			{
				struct pollfd pfd = { j->fd, POLLOUT, 0 };

				if (poll(&pfd, 1, 0) <= 0)
					return;
			}
			j->res.connected = 1;
			if ((j->s = libssh2_session_init()) == NULL) {
				ssh_fail(j, SSH_FAIL_PROTOCOL, "cannot start "
				    "an SSH session");
				return;
			}
			libssh2_session_set_blocking(j->s, 0);
			ssh_prefer_known(j);
			j->state = SS_HANDSHAKE;
			break;
		case SS_HANDSHAKE:
			rc = libssh2_session_handshake(j->s, j->fd);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return;
			if (rc != 0) {
				ssh_fail(j, SSH_FAIL_PROTOCOL, "%s port %u: SSH "
				    "handshake: %s", j->spec.host, j->spec.port,
				    ssh_lib_error(j));
				return;
			}
			if (ssh_check_host_key(j) == -1)
				return;
			j->state = j->spec.key_file != NULL ? SS_AUTH_KEY :
			    SS_AUTH_PASS;
			break;
		case SS_AUTH_KEY:
			rc = libssh2_userauth_publickey_fromfile_ex(j->s,
			    j->spec.user, (unsigned)strlen(j->spec.user), NULL,
			    j->spec.key_file, NULL);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return;
			if (rc == 0) {
				j->state = SS_OPEN;
				break;
			}
			if (j->spec.password != NULL &&
			    rc != LIBSSH2_ERROR_FILE) {
				j->state = SS_AUTH_PASS;
				break;
			}
			ssh_fail(j, SSH_FAIL_AUTH, "%s: user %s with key %s: "
			    "%s", j->spec.host, j->spec.user, j->spec.key_file,
			    rc == LIBSSH2_ERROR_FILE ? "the key file cannot be "
			    "used" : "refused");
			return;
		case SS_AUTH_PASS:
			if (j->spec.password == NULL) {
				ssh_fail(j, SSH_FAIL_AUTH, "%s: user %s: no way "
				    "to log in", j->spec.host, j->spec.user);
				return;
			}
			rc = libssh2_userauth_password_ex(j->s, j->spec.user,
			    (unsigned)strlen(j->spec.user), j->spec.password,
			    (unsigned)strlen(j->spec.password), NULL);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return;
			if (rc != 0) {
				/* Never the password itself. */
				ssh_fail(j, SSH_FAIL_AUTH, "%s: user %s: %s "
				    "refused", j->spec.host, j->spec.user,
				    j->spec.key_file != NULL ? "key and "
				    "password" : "password");
				return;
			}
			j->state = SS_OPEN;
			break;
		case SS_OPEN:
			if (j->cmd >= j->spec.ncommands) {
				j->state = SS_BYE;
				break;
			}
			j->ch = libssh2_channel_open_session(j->s);
			if (j->ch == NULL) {
				if (libssh2_session_last_errno(j->s) ==
				    LIBSSH2_ERROR_EAGAIN)
					return;
				ssh_fail(j, SSH_FAIL_PROTOCOL, "%s: cannot open "
				    "a channel: %s", j->spec.host,
				    ssh_lib_error(j));
				return;
			}
			j->discarding = 0;
			j->state = SS_EXEC;
			break;
		case SS_EXEC:
			cmd = j->spec.commands[j->cmd];
			rc = libssh2_channel_process_startup(j->ch, "exec", 4,
			    cmd, (unsigned)strlen(cmd));
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return;
			if (rc != 0) {
				ssh_fail(j, SSH_FAIL_PROTOCOL, "%s: cannot run "
				    "\"%s\": %s", j->spec.host, cmd,
				    ssh_lib_error(j));
				return;
			}
			j->state = SS_READ;
			break;
		case SS_READ:
			if ((rc = ssh_read(j)) == -1)
				return;
			if (rc == 1)
				return;
			j->state = SS_CLOSE;
			break;
		case SS_CLOSE:
			rc = libssh2_channel_close(j->ch);
			if (rc == LIBSSH2_ERROR_EAGAIN) {
				/* Output still coming is dropped. */
				if (ssh_read(j) == -1)
					return;
				return;
			}
			c = &j->res.cmds[j->cmd];
			c->exit_status = rc == 0 ?
			    libssh2_channel_get_exit_status(j->ch) : -1;
			/* Killed by a signal: libssh2 says 0 for the status
			 * it never got. */
			{
				char	*sig = NULL;
				size_t	 siglen = 0;

				if (libssh2_channel_get_exit_signal(j->ch, &sig,
				    &siglen, NULL, NULL, NULL, NULL) == 0 &&
				    sig != NULL) {
					c->exit_status = -1;
					str_copy(c->signal, sig,
					    sizeof c->signal);
				}
				libssh2_free(j->s, sig);
			}
			c->done = 1;
			j->state = SS_FREE;
			break;
		case SS_FREE:
			rc = libssh2_channel_free(j->ch);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return;
			j->ch = NULL;
			j->cmd++;
			j->res.ncommands_done = j->cmd;
			j->state = SS_OPEN;
			break;
		case SS_BYE:
			rc = libssh2_session_disconnect(j->s, "done");
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return;
			j->res.time_s = (double)(wtime_mono_ms() -
			    j->start_ms) / 1000.0;
			j->state = SS_DONE;
			ssh_job_close(j);
			return;
		case SS_QUEUED:
		case SS_DONE:
			return;
		}
	}
}

static short
ssh_events(const struct ssh_job *j)
{
	int	 dir;
	short	 ev = 0;

	if (j->state == SS_CONNECT)
		return POLLOUT;
	if (j->s == NULL)
		return POLLIN;
	dir = libssh2_session_block_directions(j->s);
	if (dir & LIBSSH2_SESSION_BLOCK_INBOUND)
		ev |= POLLIN;
	if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
		ev |= POLLOUT;
	return ev != 0 ? ev : POLLIN;
}

static void
ssh_timed_out(struct ssh_job *j)
{
	char		 limit[32];
	const char	*what;

	str_format_duration_ms(limit, sizeof limit, j->spec.timeout_ms);
	if (j->state == SS_RESOLVE) {
		ssh_fail(j, SSH_FAIL_RESOLVE, "%s: no answer from the resolver "
		    "within %s", j->spec.host, limit);
		return;
	}
	switch (j->state) {
	case SS_CONNECT:
		what = "no connection";
		break;
	case SS_HANDSHAKE:
		what = "connected, but no SSH handshake";
		break;
	case SS_AUTH_KEY:
	case SS_AUTH_PASS:
		what = "no answer to the login";
		break;
	default:
		what = NULL;
		break;
	}
	if (what != NULL)
		ssh_fail(j, SSH_FAIL_TIMEOUT, "%s within %s", what, limit);
	else
		ssh_fail(j, SSH_FAIL_TIMEOUT, "\"%s\" did not finish within %s",
		    j->cmd < j->spec.ncommands ? j->spec.commands[j->cmd] :
		    "(logout)", limit);
}

void
ssh_run(struct ssh_job **jobs, size_t n, size_t max_in_flight,
    int (*stop)(void))
{
	struct pollfd	*pfd;
	struct ssh_job	**act;
	size_t		 next = 0, nact, i;
	int64_t		 now, wait;

	ssh_orphans_reap();
	if (n == 0)
		return;
	if (max_in_flight == 0)
		max_in_flight = 1;
	pfd = xcalloc(max_in_flight, sizeof *pfd);
	act = xcalloc(max_in_flight, sizeof *act);
	nact = 0;
	while (next < n || nact > 0) {
		if (stop != NULL && stop())
			break;
		while (nact < max_in_flight && next < n) {
			ssh_start(jobs[next]);
			if (jobs[next]->state != SS_DONE)
				act[nact++] = jobs[next];
			else
				ssh_job_close(jobs[next]);
			next++;
		}
		now = wtime_mono_ms();
		wait = SSH_WAIT_MAX_MS;
		for (i = 0; i < nact; i++) {
			ssh_step(act[i]);
			if (act[i]->state != SS_DONE &&
			    now >= act[i]->deadline_ms)
				ssh_timed_out(act[i]);
		}
		for (i = 0; i < nact; ) {
			if (act[i]->state == SS_DONE) {
				ssh_job_close(act[i]);
				act[i] = act[--nact];
				continue;
			}
			if (act[i]->deadline_ms - now < wait)
				wait = act[i]->deadline_ms - now;
			/* A lookup has no descriptor to wait on. */
			if (act[i]->state == SS_RESOLVE &&
			    wait > SSH_RESOLVE_POLL_MS)
				wait = SSH_RESOLVE_POLL_MS;
			pfd[i].fd = act[i]->fd;
			pfd[i].events = ssh_events(act[i]);
			pfd[i].revents = 0;
			i++;
		}
		if (nact > 0)
			(void)poll(pfd, nact, (int)(wait > 0 ? wait : 0));
	}
	for (i = 0; i < n; i++)
		if (jobs[i]->state != SS_DONE && jobs[i]->state != SS_QUEUED)
			ssh_fail(jobs[i], SSH_FAIL_STOPPED, "stopped before "
			    "the check ended");
		else if (jobs[i]->state == SS_QUEUED)
			ssh_fail(jobs[i], SSH_FAIL_STOPPED, "stopped before "
			    "the check started");
	for (i = 0; i < n; i++)
		ssh_job_close(jobs[i]);
	free(pfd);
	free(act);
}

int
ssh_global_init(char *err, size_t errlen)
{
	/* A peer gone mid-write must be an error, not the end of us. */
	(void)signal(SIGPIPE, SIG_IGN);
	if (libssh2_init(0) != 0) {
		snprintf(err, errlen, "cannot start libssh2");
		return -1;
	}
	return 0;
}

void
ssh_global_cleanup(void)
{
	const struct timespec	 limit = { 1, 0 };
	const struct gaicb	*cb[1];

	/* glibc's lookup threads still hold any orphan: give them a moment,
	 * then let go of what has ended. */
	while (ssh_orphans != NULL) {
		cb[0] = &ssh_orphans->cb;
		if (gai_error(&ssh_orphans->cb) == EAI_INPROGRESS &&
		    gai_suspend(cb, 1, &limit) != 0)
			break;
		ssh_orphans_reap();
	}
	libssh2_exit();
}
