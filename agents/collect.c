/* collect.c: the table of collectors and the loop that runs them; a
 * collector is one file and one line here. Files are read below a root so
 * tests can point the collectors at a captured tree. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "agents/agent.h"

const struct collect_entry *const collect_table[] = {
	&collect_system_entry,
	&collect_cpu_entry,
	&collect_memory_entry,
	&collect_fs_entry,
	&collect_net_entry,
	&collect_addr_entry,
	&collect_procs_entry,
	&collect_systemd_entry,
	NULL
};

struct collect_ctx *
collect_new(const char *root)
{
	struct collect_ctx	*ctx = xcalloc(1, sizeof *ctx);
	size_t			 n;

	for (n = 0; collect_table[n] != NULL; n++)
		;
	if (n > COLLECT_MAX)
		fatalx("collect_new: %zu collectors, at most %d", n,
		    COLLECT_MAX);
	ctx->root = xstrdup(root == NULL || *root == '\0' ? "/" : root);
	ctx->resolve = strcmp(ctx->root, "/") == 0;
	return ctx;
}

void
collect_free(struct collect_ctx *ctx)
{
	size_t	 i;

	if (ctx == NULL)
		return;
	for (i = 0; collect_table[i] != NULL; i++) {
		if (ctx->states[i] != NULL && collect_table[i]->free_state)
			collect_table[i]->free_state(ctx->states[i]);
	}
	free(ctx->root);
	free(ctx);
}

int
collect_run(struct collect_ctx *ctx, struct report *r, int64_t mono_ms)
{
	const struct collect_entry	*e;
	char				 err[512];
	size_t				 i;
	int				 failed = 0;

	ctx->mono_ms = mono_ms;
	for (i = 0; (e = collect_table[i]) != NULL; i++) {
		ctx->state = &ctx->states[i];
		err[0] = '\0';
		if (e->collect(ctx, r, err, sizeof err) == -1) {
			failed++;
			log_complain(&ctx->complain[i], LOG_LEVEL_WARNING,
			    "collecting %s: %s", e->name, err);
		} else
			log_release(&ctx->complain[i], LOG_LEVEL_INFO,
			    "collecting %s works again", e->name);
	}
	ctx->state = NULL;
	return failed;
}

char *
collect_path(const struct collect_ctx *ctx, const char *rel)
{
	char	*p;
	size_t	 n = strlen(ctx->root);

	while (*rel == '/')
		rel++;
	if (n > 0 && ctx->root[n - 1] == '/')
		xasprintf(&p, "%s%s", ctx->root, rel);
	else
		xasprintf(&p, "%s/%s", ctx->root, rel);
	return p;
}

char *
collect_read(const struct collect_ctx *ctx, const char *rel, size_t max,
    char *err, size_t errlen)
{
	char	*path, *data;
	size_t	 len = 0;
	ssize_t	 n;
	int	 fd, saved;

	path = collect_path(ctx, rel);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		saved = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(path);
		errno = saved;
		return NULL;
	}
	data = xmalloc(max + 1);
	/* /proc files come in pieces: read until EOF or the cap. */
	while (len < max) {
		n = read(fd, data + len, max - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			saved = errno;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			free(data);
			free(path);
			errno = saved;
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	free(path);
	data[len] = '\0';
	return data;
}

char *
collect_read_line(const struct collect_ctx *ctx, const char *rel)
{
	char	 err[256], *s, *nl;

	if ((s = collect_read(ctx, rel, 4096, err, sizeof err)) == NULL)
		return NULL;
	if ((nl = strchr(s, '\n')) != NULL)
		*nl = '\0';
	str_trim(s);
	if (*s == '\0') {
		free(s);
		return NULL;
	}
	return s;
}
