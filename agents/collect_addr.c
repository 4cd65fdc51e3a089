/* collect_addr.c: the host's own IP addresses (host.addresses), so the
 * helpdesk can find a server by the address a user gives: IPv4 from the
 * kernel's FIB (/proc/net/fib_trie), IPv6 from /proc/net/if_inet6. */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "agents/agent.h"

#define ADDR_TEXT_MAX	(256 * 1024)
#define IF_INET6_SCOPE_GLOBAL	0x00

/*
 * In fib_trie a leaf line "|-- 10.20.1.15" is followed by its routes; the
 * host's own addresses are the leaves with a "/32 host LOCAL" route. Each
 * appears once per table (Main, Local); report_host_address drops repeats.
 * Loopback is left out: every host has it.
 */
size_t
addr_parse_fib_trie(const char *text, struct report *r)
{
	const char	*line, *p;
	char		 leaf[INET_ADDRSTRLEN] = "";
	struct in_addr	 a;
	size_t		 n = 0, len;

	for (line = text; *line != '\0'; line = p + (*p == '\n')) {
		p = strchrnul(line, '\n');
		while (line < p && (*line == ' ' || *line == '|' ||
		    *line == '+'))
			line++;
		len = (size_t)(p - line);
		if (len > 4 && strncmp(line, "-- ", 3) == 0 && len - 3 <
		    sizeof leaf) {
			memcpy(leaf, line + 3, len - 3);
			leaf[len - 3] = '\0';
		} else if (len >= 14 && strncmp(line, "/32 host LOCAL", 14) ==
		    0 && leaf[0] != '\0') {
			if (inet_pton(AF_INET, leaf, &a) == 1 &&
			    (ntohl(a.s_addr) >> 24) != 127 &&
			    report_host_address(r, leaf) == 1)
				n++;
			leaf[0] = '\0';
		}
	}
	return n;
}

/* Lines "<32 hex digits> <ifindex> <prefix> <scope> <flags> <name>";
 * global scope only (not link-local, not loopback). */
size_t
addr_parse_if_inet6(const char *text, struct report *r)
{
	const char	*line, *p;
	char		 hex[33], ifname[64], buf[INET6_ADDRSTRLEN];
	unsigned	 ifindex, prefix, scope, flags, byte;
	struct in6_addr	 a;
	size_t		 n = 0, i;

	for (line = text; *line != '\0'; line = p + (*p == '\n')) {
		p = strchrnul(line, '\n');
		if (sscanf(line, "%32[0-9a-fA-F] %x %x %x %x %63s", hex,
		    &ifindex, &prefix, &scope, &flags, ifname) != 6 ||
		    strlen(hex) != 32 || scope != IF_INET6_SCOPE_GLOBAL)
			continue;
		for (i = 0; i < 16; i++) {
			if (sscanf(hex + 2 * i, "%2x", &byte) != 1)
				break;
			a.s6_addr[i] = (unsigned char)byte;
		}
		if (i == 16 && !IN6_IS_ADDR_LOOPBACK(&a) &&
		    inet_ntop(AF_INET6, &a, buf, sizeof buf) != NULL &&
		    report_host_address(r, buf) == 1)
			n++;
	}
	return n;
}

static int
collect_addr(struct collect_ctx *ctx, struct report *r, char *err,
    size_t errlen)
{
	char	*text, why[256];
	int	 have = 0;

	if ((text = collect_read(ctx, "proc/net/fib_trie", ADDR_TEXT_MAX, why,
	    sizeof why)) != NULL) {
		addr_parse_fib_trie(text, r);
		free(text);
		have = 1;
	}
	/* No IPv6 in this kernel or namespace is not a failure. */
	if ((text = collect_read(ctx, "proc/net/if_inet6", ADDR_TEXT_MAX, NULL,
	    0)) != NULL) {
		addr_parse_if_inet6(text, r);
		free(text);
		have = 1;
	}
	if (!have) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	return 0;
}

const struct collect_entry collect_addr_entry = {
	"addresses", collect_addr, NULL,
};
