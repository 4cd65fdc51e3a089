/* snmp_responder.c: a small SNMP v1/v2c responder for the netpoll
 * benchmark: serves one snmprec recording as many devices, each its own
 * UDP port on 127.0.0.1, to any community, fast enough that the pollers
 * and not it set the pace. */
#include "config.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OID_MAX		128
#define MSG_MAX		65507	/* the most one UDP datagram holds */
#define VB_MAX		4096	/* varbinds in one answer, at most */

#define T_INT		0x02
#define T_OCTETS	0x04
#define T_NULL		0x05
#define T_OID		0x06
#define T_SEQ		0x30
#define T_IPADDR	0x40
#define T_COUNTER	0x41
#define T_GAUGE		0x42
#define T_TICKS		0x43
#define T_OPAQUE	0x44
#define T_COUNTER64	0x46
#define T_NOSUCHOBJ	0x80
#define T_NOSUCHINST	0x81
#define T_ENDOFMIB	0x82
#define PDU_GET		0xa0
#define PDU_GETNEXT	0xa1
#define PDU_RESPONSE	0xa2
#define PDU_GETBULK	0xa5

struct rec {
	uint32_t	*sub;
	size_t		 len;
	uint8_t		*oid_ber;	/* the OID's TLV */
	size_t		 oid_n;
	uint8_t		*val_ber;	/* the value's TLV */
	size_t		 val_n;
};

static struct rec	*recs;
static size_t		 nrecs;
static size_t		 max_size = 1500;
static volatile sig_atomic_t stop;
static unsigned long	 n_requests, n_varbinds;

static void die(const char *, ...)
    __attribute__((__format__(__printf__, 1, 2), __noreturn__));

static void
die(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "snmp_responder: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *
xalloc(size_t n)
{
	void	*p = malloc(n == 0 ? 1 : n);

	if (p == NULL)
		die("%s", "out of memory");
	return p;
}

static int
oid_cmp(const uint32_t *a, size_t alen, const uint32_t *b, size_t blen)
{
	size_t	 i;

	for (i = 0; i < alen && i < blen; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return alen < blen ? -1 : alen > blen;
}

static int
rec_cmp(const void *pa, const void *pb)
{
	const struct rec	*a = pa, *b = pb;

	return oid_cmp(a->sub, a->len, b->sub, b->len);
}

/* BER writing, into a buffer of known room. */
static size_t
ber_len(uint8_t *p, size_t n)
{
	if (n < 0x80) {
		p[0] = (uint8_t)n;
		return 1;
	}
	if (n < 0x100) {
		p[0] = 0x81;
		p[1] = (uint8_t)n;
		return 2;
	}
	p[0] = 0x82;
	p[1] = (uint8_t)(n >> 8);
	p[2] = (uint8_t)n;
	return 3;
}

static uint8_t *
ber_tlv(uint8_t tag, const uint8_t *v, size_t n, size_t *outn)
{
	uint8_t	*p = xalloc(n + 4);
	size_t	 h;

	p[0] = tag;
	h = 1 + ber_len(p + 1, n);
	memcpy(p + h, v, n);
	*outn = h + n;
	return p;
}

static uint8_t *
ber_signed(uint8_t tag, int64_t v, size_t *outn)
{
	uint8_t	 b[9];
	int	 n = 8, i;

	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)((uint64_t)v >> (56 - 8 * i));
	i = 0;
	while (i < 7 && ((b[i] == 0 && !(b[i + 1] & 0x80)) ||
	    (b[i] == 0xff && (b[i + 1] & 0x80))))
		i++, n--;
	return ber_tlv(tag, b + i, (size_t)n, outn);
}

static uint8_t *
ber_unsigned(uint8_t tag, uint64_t v, size_t *outn)
{
	uint8_t	 b[9];
	int	 i, first;

	b[0] = 0;
	for (i = 0; i < 8; i++)
		b[i + 1] = (uint8_t)(v >> (56 - 8 * i));
	/* Trim leading zero bytes, keeping one if the next has its top bit. */
	first = 0;
	while (first < 8 && b[first] == 0 && !(b[first + 1] & 0x80))
		first++;
	return ber_tlv(tag, b + first, (size_t)(9 - first), outn);
}

static size_t
ber_oid_body(const uint32_t *sub, size_t len, uint8_t *out)
{
	size_t	 i, n = 0;
	uint32_t v;
	uint8_t	 t[5];
	int	 k;

	if (len < 2) {
		out[n++] = 0;
		return n;
	}
	for (i = 1; i < len; i++) {
		v = i == 1 ? sub[0] * 40 + sub[1] : sub[i];
		k = 0;
		do {
			t[k++] = v & 0x7f;
			v >>= 7;
		} while (v != 0);
		while (k-- > 0)
			out[n++] = t[k] | (k > 0 ? 0x80 : 0);
	}
	return n;
}

static int
oid_parse(const char *s, uint32_t *sub, size_t *len)
{
	char		*end;
	unsigned long	 v;

	*len = 0;
	if (*s == '.')
		s++;
	while (*s != '\0') {
		if (*len == OID_MAX)
			return -1;
		errno = 0;
		v = strtoul(s, &end, 10);
		if (end == s || errno != 0 || v > UINT32_MAX)
			return -1;
		sub[(*len)++] = (uint32_t)v;
		s = end;
		if (*s == '.')
			s++;
		else if (*s != '\0')
			return -1;
	}
	return *len >= 2 ? 0 : -1;
}

static uint8_t *
hex_decode(const char *s, size_t *n)
{
	size_t	 l = strlen(s), i;
	uint8_t	*p = xalloc(l / 2 + 1);
	unsigned int b;

	for (i = 0; i + 1 < l + 1 && i * 2 < l; i++) {
		if (sscanf(s + i * 2, "%2x", &b) != 1)
			break;
		p[i] = (uint8_t)b;
	}
	*n = i;
	return p;
}

/* One snmprec line, "OID|TAG|VALUE" (TAG with an x: VALUE in hex). */
static int
rec_parse(char *line, struct rec *r)
{
	char		*tag, *val, *end;
	uint32_t	 sub[OID_MAX], osub[OID_MAX];
	uint8_t		 body[OID_MAX * 5 + 1], *raw;
	size_t		 len, olen, n;
	int		 hex, t;
	struct in_addr	 ia;

	line[strcspn(line, "\r\n")] = '\0';
	if ((tag = strchr(line, '|')) == NULL)
		return -1;
	*tag++ = '\0';
	if ((val = strchr(tag, '|')) == NULL)
		return -1;
	*val++ = '\0';
	if (oid_parse(line, sub, &len) == -1)
		return -1;
	t = (int)strtol(tag, &end, 10);
	hex = *end == 'x';
	if (end == tag || (*end != '\0' && !hex))
		return -1;	/* variation modules are not served */
	r->len = len;
	r->sub = xalloc(len * sizeof *r->sub);
	memcpy(r->sub, sub, len * sizeof *sub);
	n = ber_oid_body(sub, len, body);
	r->oid_ber = ber_tlv(T_OID, body, n, &r->oid_n);

	switch (t) {
	case T_INT:
		r->val_ber = ber_signed(T_INT, strtoll(val, NULL, 10),
		    &r->val_n);
		break;
	case T_OCTETS:
	case T_OPAQUE:
		if (hex) {
			raw = hex_decode(val, &n);
			r->val_ber = ber_tlv((uint8_t)t, raw, n, &r->val_n);
			free(raw);
		} else
			r->val_ber = ber_tlv((uint8_t)t, (uint8_t *)val,
			    strlen(val), &r->val_n);
		break;
	case T_NULL:
		r->val_ber = ber_tlv(T_NULL, NULL, 0, &r->val_n);
		break;
	case T_OID:
		if (oid_parse(val, osub, &olen) == -1)
			return -1;
		n = ber_oid_body(osub, olen, body);
		r->val_ber = ber_tlv(T_OID, body, n, &r->val_n);
		break;
	case T_IPADDR:
		if (hex) {
			raw = hex_decode(val, &n);
			r->val_ber = ber_tlv(T_IPADDR, raw, n, &r->val_n);
			free(raw);
		} else {
			if (inet_pton(AF_INET, val, &ia) != 1)
				return -1;
			r->val_ber = ber_tlv(T_IPADDR, (uint8_t *)&ia, 4,
			    &r->val_n);
		}
		break;
	case T_COUNTER:
	case T_GAUGE:
	case T_TICKS:
	case T_COUNTER64:
		r->val_ber = ber_unsigned((uint8_t)t,
		    strtoull(val, NULL, 10), &r->val_n);
		break;
	default:
		return -1;
	}
	return 0;
}

static void
load(const char *path)
{
	FILE	*f;
	char	 line[65536];
	size_t	 cap = 0, lineno = 0, skipped = 0, i, j;

	if ((f = fopen(path, "r")) == NULL)
		die("cannot open %s", path);
	while (fgets(line, sizeof line, f) != NULL) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (nrecs == cap) {
			cap = cap ? cap * 2 : 4096;
			if ((recs = realloc(recs, cap * sizeof *recs)) == NULL)
				die("%s", "out of memory");
		}
		if (rec_parse(line, &recs[nrecs]) == -1) {
			skipped++;
			continue;
		}
		nrecs++;
	}
	fclose(f);
	if (nrecs == 0)
		die("no usable line in %s", path);
	qsort(recs, nrecs, sizeof *recs, rec_cmp);
	/* A recording may name an OID twice: the first one wins. */
	for (i = j = 1; i < nrecs; i++)
		if (rec_cmp(&recs[i], &recs[j - 1]) != 0)
			recs[j++] = recs[i];
	nrecs = j;
	if (skipped > 0)
		fprintf(stderr, "snmp_responder: %zu lines of %s not served "
		    "(variations or unknown types)\n", skipped, path);
}

/* The first record at or after (exact) / after (!exact) the OID. */
static size_t
lookup(const uint32_t *sub, size_t len, int exact)
{
	size_t	 lo = 0, hi = nrecs, mid;
	int	 c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = oid_cmp(recs[mid].sub, recs[mid].len, sub, len);
		if (c < 0 || (!exact && c == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* BER reading. */
struct rd {
	const uint8_t	*p;
	size_t		 n;
};

static int
rd_tlv(struct rd *r, uint8_t *tag, struct rd *body)
{
	size_t	 len, i, k;

	if (r->n < 2)
		return -1;
	*tag = r->p[0];
	len = r->p[1];
	i = 2;
	if (len & 0x80) {
		k = len & 0x7f;
		if (k == 0 || k > 3 || r->n < 2 + k)
			return -1;
		for (len = 0; k > 0; k--)
			len = len << 8 | r->p[i++];
	}
	if (r->n - i < len)
		return -1;
	body->p = r->p + i;
	body->n = len;
	r->p += i + len;
	r->n -= i + len;
	return 0;
}

static int
rd_int(struct rd *r, int64_t *v)
{
	struct rd	 b;
	uint8_t		 tag;
	size_t		 i;

	if (rd_tlv(r, &tag, &b) == -1 || tag != T_INT || b.n == 0 || b.n > 8)
		return -1;
	*v = (b.p[0] & 0x80) ? -1 : 0;
	for (i = 0; i < b.n; i++)
		*v = (int64_t)((uint64_t)*v << 8 | b.p[i]);
	return 0;
}

static int
rd_oid(struct rd *r, uint32_t *sub, size_t *len)
{
	struct rd	 b;
	uint8_t		 tag;
	size_t		 i;
	uint32_t	 v = 0;

	if (rd_tlv(r, &tag, &b) == -1 || tag != T_OID || b.n == 0)
		return -1;
	sub[0] = b.p[0] / 40 < 2 ? b.p[0] / 40 : 2;
	sub[1] = b.p[0] - sub[0] * 40;
	*len = 2;
	for (i = 1; i < b.n; i++) {
		v = v << 7 | (b.p[i] & 0x7f);
		if (!(b.p[i] & 0x80)) {
			if (*len == OID_MAX)
				return -1;
			sub[(*len)++] = v;
			v = 0;
		}
	}
	return 0;
}

/* An answer's varbinds, built in a buffer then wrapped. */
struct out {
	uint8_t	 buf[MSG_MAX];
	size_t	 n;
	size_t	 count;
};

static int
out_vb(struct out *o, const uint8_t *oid, size_t oidn, const uint8_t *val,
    size_t valn, size_t room)
{
	size_t	 body = oidn + valn, h;
	uint8_t	 hdr[4];

	hdr[0] = T_SEQ;
	h = 1 + ber_len(hdr + 1, body);
	if (o->n + h + body > room)
		return -1;
	memcpy(o->buf + o->n, hdr, h);
	memcpy(o->buf + o->n + h, oid, oidn);
	memcpy(o->buf + o->n + h + oidn, val, valn);
	o->n += h + body;
	o->count++;
	return 0;
}

/* A varbind for the OID asked (GET) or the next one (GETNEXT); returns
 * the record served or nrecs (no such / end of view). */
static size_t
answer_one(struct out *o, const uint32_t *sub, size_t len, int next,
    int v1, int *err, size_t room)
{
	static const uint8_t	 nosuch[] = { T_NOSUCHINST, 0 };
	static const uint8_t	 endmib[] = { T_ENDOFMIB, 0 };
	uint8_t			 obody[OID_MAX * 5 + 1], oid[OID_MAX * 5 + 4];
	size_t			 i, on, h;

	i = lookup(sub, len, !next);
	if (!next && i < nrecs &&
	    oid_cmp(recs[i].sub, recs[i].len, sub, len) != 0)
		i = nrecs;
	if (i < nrecs) {
		if (out_vb(o, recs[i].oid_ber, recs[i].oid_n, recs[i].val_ber,
		    recs[i].val_n, room) == -1)
			*err = 1;
		return i;
	}
	if (v1) {
		*err = 2;	/* noSuchName */
		return nrecs;
	}
	on = ber_oid_body(sub, len, obody);
	oid[0] = T_OID;
	h = 1 + ber_len(oid + 1, on);
	memcpy(oid + h, obody, on);
	if (out_vb(o, oid, h + on, next ? endmib : nosuch, 2, room) == -1)
		*err = 1;
	return nrecs;
}

/* Wraps the varbinds in a response and writes it to msg. */
static size_t
wrap(uint8_t *msg, int64_t version, const struct rd *community,
    int64_t reqid, int64_t status, int64_t index, const struct out *o)
{
	uint8_t		 head[64], *p, pdu_hdr[64];
	uint8_t		*t;
	size_t		 n, hn = 0, pn = 0, vl, tn;

	/* PDU: request-id, error-status, error-index, varbinds. */
	t = ber_signed(T_INT, reqid, &tn);
	memcpy(pdu_hdr + pn, t, tn), pn += tn, free(t);
	t = ber_signed(T_INT, status, &tn);
	memcpy(pdu_hdr + pn, t, tn), pn += tn, free(t);
	t = ber_signed(T_INT, index, &tn);
	memcpy(pdu_hdr + pn, t, tn), pn += tn, free(t);
	pdu_hdr[pn++] = T_SEQ;
	pn += ber_len(pdu_hdr + pn, o->n);
	vl = pn + o->n;	/* the PDU's body */

	t = ber_signed(T_INT, version, &tn);
	memcpy(head + hn, t, tn), hn += tn, free(t);
	head[hn++] = T_OCTETS;
	hn += ber_len(head + hn, community->n);

	p = msg;
	n = hn + community->n + 1 + (vl < 0x80 ? 1 : vl < 0x100 ? 2 : 3) + vl;
	*p++ = T_SEQ;
	p += ber_len(p, n);
	memcpy(p, head, hn), p += hn;
	memcpy(p, community->p, community->n), p += community->n;
	*p++ = PDU_RESPONSE;
	p += ber_len(p, vl);
	memcpy(p, pdu_hdr, pn), p += pn;
	memcpy(p, o->buf, o->n), p += o->n;
	return (size_t)(p - msg);
}

static size_t
handle(const uint8_t *in, size_t inn, uint8_t *msg)
{
	static struct out	 o;
	struct rd		 r = { in, inn }, seq, community, pdu, vbl, vb;
	uint8_t			 tag, pdutag;
	int64_t			 version, reqid, a, b;
	uint32_t		 subs[VB_MAX / 8][OID_MAX];
	size_t			 lens[VB_MAX / 8], nvb = 0, i, k, room;
	size_t			 at[VB_MAX / 8];
	int			 err = 0, v1, endall;
	int64_t			 status = 0, index = 0;

	if (rd_tlv(&r, &tag, &seq) == -1 || tag != T_SEQ ||
	    rd_int(&seq, &version) == -1 || (version != 0 && version != 1) ||
	    rd_tlv(&seq, &tag, &community) == -1 || tag != T_OCTETS ||
	    rd_tlv(&seq, &pdutag, &pdu) == -1 ||
	    rd_int(&pdu, &reqid) == -1 || rd_int(&pdu, &a) == -1 ||
	    rd_int(&pdu, &b) == -1 || rd_tlv(&pdu, &tag, &vbl) == -1 ||
	    tag != T_SEQ)
		return 0;
	v1 = version == 0;
	while (vbl.n > 0) {
		if (nvb == VB_MAX / 8 || rd_tlv(&vbl, &tag, &vb) == -1 ||
		    tag != T_SEQ || rd_oid(&vb, subs[nvb], &lens[nvb]) == -1)
			return 0;
		nvb++;
	}
	/* Room for the varbinds: the limit less the message's own framing
	 * (at most 40 bytes beside the community). */
	room = max_size - 40 - community.n;
	o.n = o.count = 0;
	n_requests++;
	switch (pdutag) {
	case PDU_GET:
	case PDU_GETNEXT:
		for (i = 0; i < nvb && err == 0; i++) {
			answer_one(&o, subs[i], lens[i], pdutag == PDU_GETNEXT,
			    v1, &err, room);
			if (err == 2)
				index = (int64_t)i + 1;
		}
		if (err == 1) {		/* tooBig: an empty answer */
			o.n = o.count = 0;
			status = 1;
		} else if (err == 2)
			status = 2;
		break;
	case PDU_GETBULK:
		if (v1)
			return 0;
		if (a < 0)
			a = 0;
		if ((size_t)a > nvb)
			a = (int64_t)nvb;
		if (b < 0)
			b = 0;
		for (i = 0; i < (size_t)a && err == 0; i++)
			answer_one(&o, subs[i], lens[i], 1, 0, &err, room);
		for (i = (size_t)a; i < nvb; i++)
			at[i] = nrecs + 1;	/* not started */
		/* Rows until max-repetitions, the room, or every column is
		 * past the end; what does not fit is left off (RFC 3416 4.2.3). */
		for (k = 0; k < (size_t)b && err == 0; k++) {
			endall = 1;
			for (i = (size_t)a; i < nvb && err == 0; i++) {
				if (at[i] == nrecs + 1)
					at[i] = answer_one(&o, subs[i],
					    lens[i], 1, 0, &err, room);
				else if (at[i] + 1 < nrecs) {
					at[i]++;
					if (out_vb(&o, recs[at[i]].oid_ber,
					    recs[at[i]].oid_n,
					    recs[at[i]].val_ber,
					    recs[at[i]].val_n, room) == -1)
						err = 1;
				} else {
					at[i] = nrecs;
					answer_one(&o, recs[nrecs - 1].sub,
					    recs[nrecs - 1].len, 1, 0, &err,
					    room);
				}
				if (at[i] < nrecs)
					endall = 0;
			}
			if (endall)
				break;
		}
		break;
	default:
		return 0;
	}
	n_varbinds += o.count;
	return wrap(msg, version, &community, reqid, status, index, &o);
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: snmp_responder -r RECORDING -n DEVICES "
	    "[-m MAX_SIZE]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in	 sin, from;
	socklen_t		 fromlen, slen;
	struct sigaction	 sa;
	struct epoll_event	 ev, evs[64];
	static uint8_t		 in[MSG_MAX], out[MSG_MAX + 64];
	const char		*recording = NULL;
	long			 devices = 0, m;
	ssize_t			 n;
	size_t			 outn;
	int			 ch, fd, ep, i, k, ready, rcvbuf;

	while ((ch = getopt(argc, argv, "m:n:r:")) != -1) {
		switch (ch) {
		case 'm':
			m = strtol(optarg, NULL, 10);
			if (m < 484 || m > MSG_MAX)
				die("-m %s: from 484 to 65507", optarg);
			max_size = (size_t)m;
			break;
		case 'n':
			devices = strtol(optarg, NULL, 10);
			if (devices < 1 || devices > 20000)
				die("-n %s: from 1 to 20000", optarg);
			break;
		case 'r':
			recording = optarg;
			break;
		default:
			usage();
		}
	}
	if (recording == NULL || devices == 0 || optind != argc)
		usage();
	load(recording);

	/* Each device its own port on 127.0.0.1, picked by the kernel and
	 * printed one a line before "ready". */
	if ((ep = epoll_create1(0)) == -1)
		die("epoll_create1: %s", strerror(errno));
	for (k = 0; k < devices; k++) {
		if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)) == -1)
			die("socket: %s", strerror(errno));
		rcvbuf = 1 << 20;	/* a burst of requests from many pollers */
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
		memset(&sin, 0, sizeof sin);
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		slen = sizeof sin;
		if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
		    getsockname(fd, (struct sockaddr *)&sin, &slen) == -1)
			die("bind 127.0.0.1: %s", strerror(errno));
		memset(&ev, 0, sizeof ev);
		ev.events = EPOLLIN;
		ev.data.fd = fd;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1)
			die("epoll_ctl: %s", strerror(errno));
		printf("%u\n", ntohs(sin.sin_port));
	}

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("ready %zu oids\n", nrecs);
	fflush(stdout);
	while (!stop) {
		if ((ready = epoll_wait(ep, evs, 64, -1)) == -1) {
			if (errno == EINTR)
				continue;
			die("epoll_wait: %s", strerror(errno));
		}
		for (i = 0; i < ready; i++) {
			for (;;) {
				fromlen = sizeof from;
				n = recvfrom(evs[i].data.fd, in, sizeof in, 0,
				    (struct sockaddr *)&from, &fromlen);
				if (n == -1)
					break;
				if ((outn = handle(in, (size_t)n, out)) > 0)
					sendto(evs[i].data.fd, out, outn, 0,
					    (struct sockaddr *)&from, fromlen);
			}
		}
	}
	fprintf(stderr, "snmp_responder: requests=%lu varbinds=%lu\n",
	    n_requests, n_varbinds);
	return 0;
}
