/* fuzz_ssh_parse.c: libFuzzer target for ward-netpoll's SSH inventory
 * parsers: the bytes as os-release, uname -r and show version output, and
 * as a profile's command outputs, and as a known_hosts file. Every field
 * must come out a printable, NUL-terminated string. Links no libssh2:
 * ssh_parse.c only reads text. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agents/agent.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_field(const char *f, size_t size)
{
	size_t	 i;

	if (memchr(f, '\0', size) == NULL)
		abort();
	for (i = 0; f[i] != '\0'; i++)
		if ((unsigned char)f[i] < 0x20 || f[i] == 0x7f)
			abort();
}

static void
fuzz_check(const struct ssh_identity *id)
{
#define F(x) fuzz_field(id->x, sizeof id->x)
	F(os_id); F(os_name); F(os_version); F(os_pretty); F(kernel);
	F(vendor); F(model); F(serial); F(hostname);
#undef F
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ssh_identity	 id;
	struct ssh_cmd_result	 c[2];
	const char		*text = (const char *)data;
	size_t			 half = size / 2, line;

	memset(&id, 0, sizeof id);
	(void)ssh_parse_os_release(text, size, &id);
	(void)ssh_parse_uname(text, size, &id);
	(void)ssh_parse_cisco_version(text, size, &id);
	(void)ssh_parse_cisco_inventory(text, size, &id);
	/* As a known_hosts file: its @revoked lines against one name and
	 * key (the key: the first bytes of the input, or none). */
	(void)ssh_known_hosts_revoked(text, size, "[127.0.0.1]:2222",
	    data, size < 51 ? size : 51, &line);
	fuzz_check(&id);

	/* A Unix profile's two outputs, split where the input's middle is;
	 * copied so that each ends in a NUL as ssh.c keeps them. */
	memset(c, 0, sizeof c);
	c[0].out = malloc(half + 1);
	c[1].out = malloc(size - half + 1);
	if (c[0].out == NULL || c[1].out == NULL)
		abort();
	memcpy(c[0].out, text, half);
	c[0].out[half] = '\0';
	memcpy(c[1].out, text + half, size - half);
	c[1].out[size - half] = '\0';
	c[0].len = half;
	c[1].len = size - half;
	c[0].done = c[1].done = 1;
	memset(&id, 0, sizeof id);
	(void)ssh_profile_parse(SSH_PROFILE_UNIX, c, 2, &id);
	fuzz_check(&id);
	memset(&id, 0, sizeof id);
	(void)ssh_profile_parse(SSH_PROFILE_CISCO, c, 2, &id);
	fuzz_check(&id);
	free(c[0].out);
	free(c[1].out);
	return 0;
}
