/* test_ssh.c: ward-netpoll's SSH inventory parsers on captured outputs
 * (Cisco IOS, IOS XE, NX-OS, os-release, uname -r), bytes no parser should
 * trip on, and finished sessions judged into checks and identity. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "common/xmalloc.h"
#include "agents/agent.h"
#include "tests/unit/testutil.h"

static char *
sample(const char *name)
{
	const char	*top = getenv("top_srcdir");
	char		 path[1024], *text;

	snprintf(path, sizeof path, "%s/tests/data/ssh/%s", top != NULL ? top :
	    "..", name);
	text = tu_read_file(path);
	if (text == NULL)
		fail_msg("cannot read %s", path);
	return text;
}

static void
test_cisco_ios(void **state)
{
	struct ssh_identity	 id;
	char			*t = sample("cisco_ios_2960x.txt");

	(void)state;
	memset(&id, 0, sizeof id);
	assert_int_equal(ssh_parse_cisco_version(t, strlen(t), &id), 0);
	assert_string_equal(id.os_id, "cisco-ios");
	assert_string_equal(id.os_name, "Cisco IOS");
	assert_string_equal(id.os_version, "15.2(7)E7");
	assert_string_equal(id.model, "WS-C2960X-48FPD-L");
	assert_string_equal(id.serial, "FOC2101X1AB");
	assert_string_equal(id.hostname, "sw-access-3");
	assert_string_equal(id.vendor, "Cisco");
	free(t);
}

static void
test_cisco_iosxe(void **state)
{
	struct ssh_identity	 id;
	char			*t = sample("cisco_iosxe_c9300.txt");

	(void)state;
	memset(&id, 0, sizeof id);
	assert_int_equal(ssh_parse_cisco_version(t, strlen(t), &id), 0);
	assert_string_equal(id.os_id, "cisco-ios-xe");
	assert_string_equal(id.os_version, "17.03.04a");
	assert_string_equal(id.model, "C9300-48P");
	assert_string_equal(id.serial, "FCW2233L0PQ");
	assert_string_equal(id.hostname, "core-sw-1");
	free(t);
}

static void
test_cisco_nxos(void **state)
{
	struct ssh_identity	 id;
	char			*t = sample("cisco_nxos_n9k.txt");

	(void)state;
	memset(&id, 0, sizeof id);
	assert_int_equal(ssh_parse_cisco_version(t, strlen(t), &id), 0);
	assert_string_equal(id.os_id, "cisco-nx-os");
	assert_string_equal(id.os_version, "9.3(8)");
	assert_string_equal(id.model, "C93180YC-EX");
	assert_string_equal(id.serial, "FDO21120U8N");
	assert_string_equal(id.hostname, "leaf-101");
	free(t);
}

static void
test_cisco_inventory(void **state)
{
	struct ssh_identity	 id;
	struct ssh_cmd_result	 c[2];
	char			*v = sample("cisco_iosxe_c9300.txt");
	char			*t = sample("cisco_inventory_c9300.txt");

	(void)state;
	memset(&id, 0, sizeof id);
	assert_int_equal(ssh_parse_cisco_inventory(t, strlen(t), &id), 0);
	assert_string_equal(id.model, "C9300-48P");
	assert_string_equal(id.serial, "FOC2233X0AB");
	free(t);
	t = sample("cisco_inventory_isr4331.txt");
	memset(&id, 0, sizeof id);
	assert_int_equal(ssh_parse_cisco_inventory(t, strlen(t), &id), 0);
	assert_string_equal(id.model, "ISR4331/K9");
	assert_string_equal(id.serial, "FDO2143A1BC");
	memset(&id, 0, sizeof id);
	assert_int_equal(ssh_parse_cisco_inventory("% Invalid input", 15,
	    &id), -1);

	/* The profile: show inventory's chassis wins over show version's
	 * board; without it, show version's stand. */
	memset(c, 0, sizeof c);
	c[0].out = v;
	c[0].len = strlen(v);
	c[0].done = 1;
	c[1].out = t;
	c[1].len = strlen(t);
	c[1].done = 1;
	memset(&id, 0, sizeof id);
	assert_int_equal(ssh_profile_parse(SSH_PROFILE_CISCO, c, 2, &id), 0);
	assert_string_equal(id.model, "ISR4331/K9");
	assert_string_equal(id.serial, "FDO2143A1BC");
	assert_string_equal(id.os_version, "17.03.04a");
	c[1].exit_status = 1;
	memset(&id, 0, sizeof id);
	assert_int_equal(ssh_profile_parse(SSH_PROFILE_CISCO, c, 2, &id), 0);
	assert_string_equal(id.model, "C9300-48P");
	assert_string_equal(id.serial, "FCW2233L0PQ");
	free(t);
	free(v);
}

static void
test_not_cisco(void **state)
{
	struct ssh_identity	 id;
	char			*t = sample("os_release_debian12.txt");

	(void)state;
	memset(&id, 0, sizeof id);
	assert_int_equal(ssh_parse_cisco_version(t, strlen(t), &id), -1);
	assert_int_equal(ssh_parse_cisco_version("% Invalid input detected",
	    24, &id), -1);
	assert_string_equal(id.vendor, "");
	free(t);
}

static void
test_os_release(void **state)
{
	struct ssh_identity	 id;
	char			*t = sample("os_release_debian12.txt");

	(void)state;
	memset(&id, 0, sizeof id);
	assert_int_equal(ssh_parse_os_release(t, strlen(t), &id), 0);
	assert_string_equal(id.os_id, "debian");
	assert_string_equal(id.os_version, "12");
	assert_string_equal(id.os_name, "Debian GNU/Linux");
	assert_string_equal(id.os_pretty, "Debian GNU/Linux 12 (bookworm)");
	free(t);

	/* Single quotes, escapes, CRLF line ends. */
	t = sample("os_release_quoted.txt");
	memset(&id, 0, sizeof id);
	assert_int_equal(ssh_parse_os_release(t, strlen(t), &id), 0);
	assert_string_equal(id.os_id, "rocky");
	assert_string_equal(id.os_version, "9.3");
	assert_string_equal(id.os_name, "Rocky Linux");
	assert_string_equal(id.os_pretty, "Rocky \"Blue\" Onyx");
	free(t);

	/* No ID: not an os-release. */
	memset(&id, 0, sizeof id);
	assert_int_equal(ssh_parse_os_release("cat: /etc/os-release: No such "
	    "file or directory\n", 48, &id), -1);
}

static void
test_uname(void **state)
{
	struct ssh_identity	 id;

	(void)state;
	memset(&id, 0, sizeof id);
	assert_int_equal(ssh_parse_uname("6.1.0-18-amd64\n", 15, &id), 0);
	assert_string_equal(id.kernel, "6.1.0-18-amd64");
	memset(&id, 0, sizeof id);
	assert_int_equal(ssh_parse_uname("sh: uname: not found\n", 21, &id),
	    -1);
	assert_int_equal(ssh_parse_uname("", 0, &id), -1);
	assert_string_equal(id.kernel, "");
}

/* NULs, control bytes and no newline at the end: kept out of the fields. */
static void
test_odd_bytes(void **state)
{
	static const char	 osr[] = "ID=de\x01" "b\0ian\nVERSION_ID=\"1";
	static const char	 cis[] = "Cisco IOS Software, X, Version \x1b[31m"
	    "15.1\0\nModel number : ";
	struct ssh_identity	 id;

	(void)state;
	memset(&id, 0, sizeof id);
	assert_int_equal(ssh_parse_os_release(osr, sizeof osr - 1, &id), 0);
	assert_string_equal(id.os_id, "debian");
	assert_string_equal(id.os_version, "1");
	memset(&id, 0, sizeof id);
	assert_int_equal(ssh_parse_cisco_version(cis, sizeof cis - 1, &id), 0);
	assert_string_equal(id.os_version, "[31m15.1");
	assert_string_equal(id.model, "");
}

static const char *
check_output(struct report *r, const char *name, int *status)
{
	json_t		*c;
	size_t		 i;

	json_array_foreach(r->checks, i, c) {
		if (strcmp(json_string_value(json_object_get(c, "name")),
		    name) == 0) {
			*status = (int)json_integer_value(json_object_get(c,
			    "status"));
			return json_string_value(json_object_get(c, "output"));
		}
	}
	fail_msg("no check %s", name);
	return NULL;
}

static void
test_report(void **state)
{
	static const char *const cmds[] = { "show version", "check_fan" };
	struct ssh_spec		 spec;
	struct ssh_result	 res;
	struct ssh_cmd_result	 c[2];
	struct report		*r;
	char			*t = sample("cisco_ios_2960x.txt");
	const char		*out;
	int			 st;

	(void)state;
	memset(&spec, 0, sizeof spec);
	spec.name = "sw3";
	spec.commands = cmds;
	spec.ncommands = 2;
	spec.ninventory = 1;
	spec.output_max = 65536;
	memset(&res, 0, sizeof res);
	memset(c, 0, sizeof c);
	res.cmds = c;
	c[0].out = t;
	c[0].len = strlen(t);
	c[0].done = 1;
	c[1].out = (char *)"FAN WARNING: fan 2 slow\nmore";
	c[1].len = strlen(c[1].out);
	c[1].exit_status = 1;
	c[1].done = 1;
	res.time_s = 0.5;

	r = report_new();
	assert_int_equal(ssh_report(&spec, SSH_PROFILE_CISCO, &res, r, NULL,
	    0), CHECK_WARNING);
	out = check_output(r, "ssh.sw3", &st);
	assert_int_equal(st, CHECK_WARNING);
	assert_string_equal(out, "SSH command: \"check_fan\" exited 1: FAN "
	    "WARNING: fan 2 slow (0.500s)");
	assert_string_equal(json_string_value(json_object_get(r->host,
	    "model")), "WS-C2960X-48FPD-L");
	assert_string_equal(json_string_value(json_object_get(r->host,
	    "serial")), "FOC2101X1AB");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    r->host, "firmware"), "version")), "15.2(7)E7");
	report_free(r);

	/* All well. */
	c[1].exit_status = 0;
	r = report_new();
	assert_int_equal(ssh_report(&spec, SSH_PROFILE_CISCO, &res, r, NULL,
	    0), CHECK_OK);
	out = check_output(r, "ssh.sw3", &st);
	assert_string_equal(out, "SSH OK: 2 commands in 0.500s; Cisco IOS");
	report_free(r);

	/* Output cut at the cap: a WARNING, however the command's end came
	 * back as the channel closed (no status, SIGPIPE, or a shell's 141);
	 * a real failure after the cut still counts. */
	c[1].truncated = 1;
	c[1].exit_status = 141;
	r = report_new();
	assert_int_equal(ssh_report(&spec, SSH_PROFILE_CISCO, &res, r, NULL,
	    0), CHECK_WARNING);
	out = check_output(r, "ssh.sw3", &st);
	assert_contains(out, "wrote more than 65536 bytes: cut there");
	report_free(r);
	c[1].exit_status = -1;
	snprintf(c[1].signal, sizeof c[1].signal, "PIPE");
	r = report_new();
	assert_int_equal(ssh_report(&spec, SSH_PROFILE_CISCO, &res, r, NULL,
	    0), CHECK_WARNING);
	report_free(r);
	c[1].signal[0] = '\0';
	c[1].exit_status = 2;
	r = report_new();
	assert_int_equal(ssh_report(&spec, SSH_PROFILE_CISCO, &res, r, NULL,
	    0), CHECK_CRITICAL);
	report_free(r);
	c[1].truncated = 0;
	c[1].exit_status = 0;

	/* Inventory that made no sense: a WARNING. */
	c[0].out = (char *)"% Invalid input detected at '^' marker.";
	c[0].len = strlen(c[0].out);
	r = report_new();
	assert_int_equal(ssh_report(&spec, SSH_PROFILE_CISCO, &res, r, NULL,
	    0), CHECK_WARNING);
	out = check_output(r, "ssh.sw3", &st);
	assert_contains(out, "SSH inventory: the cisco commands' output made "
	    "no sense");
	report_free(r);

	/* A failed session: CRITICAL, its error, no metric. */
	res.failure = SSH_FAIL_HOST_KEY;
	snprintf(res.error, sizeof res.error, "sw3.dc.test: unknown host key");
	r = report_new();
	assert_int_equal(ssh_report(&spec, SSH_PROFILE_CISCO, &res, r, NULL,
	    0), CHECK_CRITICAL);
	out = check_output(r, "ssh.sw3", &st);
	assert_string_equal(out, "SSH host-key: sw3.dc.test: unknown host key");
	assert_true(ssh_reached(&res));
	res.failure = SSH_FAIL_CONNECT;
	assert_false(ssh_reached(&res));
	report_free(r);
	free(t);
}

/* known_hosts' @revoked lines, as OpenSSH reads them: the patterns
 * (wildcards, negations, [host]:port, a hashed name) must take the host,
 * and the key must be the one offered. */
static void
test_known_revoked(void **state)
{
	static const char b64[] = "AAAAC3NzaC1lZDI1NTE5AAAAIHPi9Cc1i1wMLDVpo"
	    "rvq9Xc78fy1CLfT5S56uJD8uHA1";
	static const char hashed[] = "|1|vFDRWn1ccdw6A/iyDc0mU/D5Q00=|"
	    "4dpR6PRZ5khtF1MPwQph2FoLB2Y=";
	unsigned char	 key[64], other[64];
	char		 text[512];
	size_t		 line = 0;
	int		 n;

	(void)state;
	n = EVP_DecodeBlock(key, (const unsigned char *)b64,
	    (int)strlen(b64));
	assert_int_equal(n, 51);
	memcpy(other, key, 51);
	other[50] ^= 1;
#define REVOKED(t, name, k) ssh_known_hosts_revoked((t), strlen(t), (name), \
	    (k), 51, &line)
	snprintf(text, sizeof text, "# c\nhost1 ssh-ed25519 %s\n", b64);
	assert_false(REVOKED(text, "host1", key));
	snprintf(text, sizeof text, "@revoked * ssh-ed25519 %s\n", b64);
	assert_true(REVOKED(text, "any.test", key));
	assert_int_equal(line, 1);
	assert_false(REVOKED(text, "any.test", other));
	snprintf(text, sizeof text, "x y z\n\n@revoked\t*.test,!db.test "
	    "ssh-ed25519 %s a comment\n", b64);
	assert_true(REVOKED(text, "web.test", key));
	assert_int_equal(line, 3);
	assert_true(REVOKED(text, "WEB.test", key));
	assert_false(REVOKED(text, "db.test", key));
	assert_false(REVOKED(text, "web.lan", key));
	snprintf(text, sizeof text, "@revoked h?,[127.0.0.1]:2222 "
	    "ssh-ed25519 %s\n", b64);
	assert_true(REVOKED(text, "[127.0.0.1]:2222", key));
	assert_true(REVOKED(text, "h1", key));
	assert_false(REVOKED(text, "h12", key));
	assert_false(REVOKED(text, "127.0.0.1", key));
	snprintf(text, sizeof text, "@revoked %s ssh-ed25519 %s\n", hashed,
	    b64);
	assert_true(REVOKED(text, "[127.0.0.1]:2222", key));
	assert_false(REVOKED(text, "[127.0.0.1]:2223", key));
	/* A marker is as OpenSSH spells it; broken lines revoke nothing. */
	snprintf(text, sizeof text, "@REVOKED * ssh-ed25519 %s\n", b64);
	assert_false(REVOKED(text, "h", key));
	assert_false(REVOKED("@revoked *\n@revoked * ssh-ed25519\n"
	    "@revoked * ssh-ed25519 !!!!\n@revoked |1|x|y ssh-ed25519 AAAA\n",
	    "h", key));
	assert_false(REVOKED("", "h", key));
#undef REVOKED
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cisco_ios),
		cmocka_unit_test(test_cisco_iosxe),
		cmocka_unit_test(test_cisco_nxos),
		cmocka_unit_test(test_cisco_inventory),
		cmocka_unit_test(test_not_cisco),
		cmocka_unit_test(test_os_release),
		cmocka_unit_test(test_uname),
		cmocka_unit_test(test_odd_bytes),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_known_revoked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
