/* ssh_report.c: a finished SSH session judged into a report: the check
 * ssh.NAME, the device's identity from its inventory, the session time. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/str.h"
#include "agents/agent.h"

void
ssh_identity_report(const struct ssh_identity *id, int is_unix,
    struct report *r)
{
	report_host_set(r, "vendor", id->vendor);
	report_host_set(r, "model", id->model);
	report_host_set(r, "serial", id->serial);
	report_host_set(r, "sys_name", id->hostname);
	if (is_unix) {
		report_os_set(r, "id", id->os_id);
		report_os_set(r, "version_id", id->os_version);
		report_os_set(r, "pretty_name", id->os_pretty[0] != '\0' ?
		    id->os_pretty : id->os_name);
		report_os_set(r, "kernel", id->kernel);
		return;
	}
	report_firmware_set(r, "vendor", id->vendor);
	report_firmware_set(r, "product", id->os_name);
	report_firmware_set(r, "family", id->os_id);
	report_firmware_set(r, "version", id->os_version);
}

int
ssh_reached(const struct ssh_result *res)
{
	return res->failure == SSH_FAIL_NONE || res->failure ==
	    SSH_FAIL_HOST_KEY || res->failure == SSH_FAIL_AUTH ||
	    (res->failure == SSH_FAIL_TIMEOUT && res->fingerprint[0] != '\0') ||
	    (res->failure == SSH_FAIL_PROTOCOL && res->connected);
}

/* The first line of a command's output, for the check's output. */
static void
ssh_first_line(const struct ssh_cmd_result *c, char *buf, size_t size)
{
	size_t	 n, i, o = 0;

	if (size == 0)
		return;
	n = c->out != NULL ? strcspn(c->out, "\n") : 0;
	for (i = 0; i < n && o + 1 < size; i++)
		if ((unsigned char)c->out[i] >= 0x20 && c->out[i] != 0x7f)
			buf[o++] = c->out[i];
	buf[o] = '\0';
}

int
ssh_report(const struct ssh_spec *spec, enum ssh_profile p,
    const struct ssh_result *res, struct report *r, char *out, size_t outlen)
{
	struct ssh_identity		 id;
	const struct ssh_cmd_result	*c, *bad = NULL;
	char				 name[128], text[1024], line[256];
	char				 cut[96] = "";
	size_t				 i;
	int				 status = CHECK_OK, st, inv;

	snprintf(name, sizeof name, "ssh.%s", spec->name);
	if (res->failure != SSH_FAIL_NONE) {
		status = CHECK_CRITICAL;
		snprintf(text, sizeof text, "SSH %s: %s",
		    ssh_failure_name(res->failure), res->error);
		goto done;
	}
	memset(&id, 0, sizeof id);
	inv = ssh_profile_parse(p, res->cmds, spec->ninventory, &id);
	if (p != SSH_PROFILE_NONE)
		ssh_identity_report(&id, p == SSH_PROFILE_UNIX, r);
	for (i = 0; i < spec->ncommands; i++) {
		c = &res->cmds[i];
		if (c->truncated && cut[0] == '\0')
			snprintf(cut, sizeof cut, "; output of \"%.40s\" cut at "
			    "%zu bytes", spec->commands[i], spec->output_max);
		if (i < spec->ninventory)
			continue;
		/* A command check speaks as a plugin does: 0 OK, 1
		 * WARNING, 2 CRITICAL, anything else UNKNOWN. */
		st = c->exit_status >= 0 && c->exit_status <= 2 ?
		    c->exit_status : CHECK_UNKNOWN;
		/* Cut short by the cap, it could not say how it went; and
		 * a SIGPIPE (141 from a shell) is the cut itself, arriving
		 * or not as the channel closes. */
		if (c->truncated && (c->exit_status == 141 ||
		    strcmp(c->signal, "PIPE") == 0 || c->exit_status < 0))
			st = CHECK_WARNING;
		else if (c->truncated && st < CHECK_WARNING)
			st = CHECK_WARNING;
		if (st > status || (bad == NULL && st != CHECK_OK)) {
			status = st > status ? st : status;
			bad = c;
			str_copy(line, spec->commands[i], sizeof line);
		}
	}
	if (bad != NULL) {
		char	 first[256];

		ssh_first_line(bad, first, sizeof first);
		if (bad->truncated && (bad->exit_status <= 0 ||
		    bad->exit_status == 141 || strcmp(bad->signal, "PIPE") ==
		    0))
			snprintf(text, sizeof text, "SSH command: \"%s\" "
			    "wrote more than %zu bytes: cut there (%.3fs)",
			    line, spec->output_max, res->time_s);
		else if (bad->exit_status == -1)
			snprintf(text, sizeof text, "SSH command: \"%s\" "
			    "ended without an exit status%s%s (%.3fs)%s", line,
			    bad->signal[0] != '\0' ? ", by SIG" : "",
			    bad->signal, res->time_s, cut);
		else
			snprintf(text, sizeof text, "SSH command: \"%s\" "
			    "exited %d%s%s (%.3fs)%s", line, bad->exit_status,
			    first[0] != '\0' ? ": " : "", first, res->time_s,
			    cut);
	} else if (inv == -1) {
		status = CHECK_WARNING;
		snprintf(text, sizeof text, "SSH inventory: the %s commands' "
		    "output made no sense (%.3fs)%s", ssh_profile_names[p],
		    res->time_s, cut);
	} else
		snprintf(text, sizeof text, "SSH OK: %zu command%s in %.3fs%s%s"
		    "%s", spec->ncommands, spec->ncommands == 1 ? "" : "s",
		    res->time_s, p != SSH_PROFILE_NONE ? "; " : "",
		    p != SSH_PROFILE_NONE ? (id.os_pretty[0] != '\0' ?
		    id.os_pretty : id.os_name) : "", cut);
	report_metric(r, "ssh.time_s", res->time_s, "s", "check", spec->name,
	    NULL);

done:
	report_check(r, name, status, text, NULL);
	if (out != NULL)
		str_copy(out, text, outlen);
	return status;
}
