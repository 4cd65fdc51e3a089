/* fs_stat.c: statvfs with a time limit. A hung NFS or CIFS server blocks
 * statvfs in the kernel, uninterruptibly; the call runs in a thread of its
 * own, and a mount that does not answer in time is left out, and not asked
 * again, until that call returns. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/xmalloc.h"
#include "agents/agent.h"

/* One call in flight; shared by the caller and the thread until both have
 * let go (refs). */
struct fs_call {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 refs;
	int		 done;
	int		 rc;
	int		 error;
	char		*path;
	struct statvfs	 sv;
	fs_statvfs_fn	 fn;
};

struct fs_hung {
	char		*mount;
	struct fs_call	*call;
};

struct fs_stat {
	struct fs_hung	*hung;
	size_t		 nhung;
};

static void
fs_call_release(struct fs_call *c)
{
	int	 last;

	pthread_mutex_lock(&c->lock);
	last = --c->refs == 0;
	pthread_mutex_unlock(&c->lock);
	if (!last)
		return;
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->cond);
	free(c->path);
	free(c);
}

static void *
fs_call_run(void *arg)
{
	struct fs_call	*c = arg;
	struct statvfs	 sv;
	int		 rc, error;

	memset(&sv, 0, sizeof sv);
	rc = c->fn(c->path, &sv);
	error = errno;
	pthread_mutex_lock(&c->lock);
	c->rc = rc;
	c->error = error;
	c->sv = sv;
	c->done = 1;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	fs_call_release(c);
	return NULL;
}

struct fs_stat *
fs_stat_new(void)
{
	return xcalloc(1, sizeof(struct fs_stat));
}

void
fs_stat_free(struct fs_stat *fs)
{
	size_t	 i;

	if (fs == NULL)
		return;
	/* A thread still stuck keeps its own reference and frees the call
	 * if it ever returns. */
	for (i = 0; i < fs->nhung; i++) {
		fs_call_release(fs->hung[i].call);
		free(fs->hung[i].mount);
	}
	free(fs->hung);
	free(fs);
}

static void
fs_stat_forget(struct fs_stat *fs, size_t i)
{
	fs_call_release(fs->hung[i].call);
	free(fs->hung[i].mount);
	fs->hung[i] = fs->hung[--fs->nhung];
}

size_t
fs_stat_hung(struct fs_stat *fs)
{
	size_t	 i;
	int	 done;

	for (i = 0; i < fs->nhung; ) {
		pthread_mutex_lock(&fs->hung[i].call->lock);
		done = fs->hung[i].call->done;
		pthread_mutex_unlock(&fs->hung[i].call->lock);
		if (done)
			fs_stat_forget(fs, i);
		else
			i++;
	}
	return fs->nhung;
}

int
fs_stat_bounded(struct fs_stat *fs, const char *path, int64_t timeout_ms,
    fs_statvfs_fn fn, struct statvfs *sv)
{
	struct fs_call	*c;
	struct timespec	 deadline;
	pthread_attr_t	 attr;
	pthread_t	 tid;
	size_t		 i;
	int		 rc, error;

	for (i = 0; i < fs->nhung; i++) {
		if (strcmp(fs->hung[i].mount, path) != 0)
			continue;
		pthread_mutex_lock(&fs->hung[i].call->lock);
		rc = fs->hung[i].call->done;
		pthread_mutex_unlock(&fs->hung[i].call->lock);
		if (!rc) {
			errno = ETIMEDOUT;
			return -1;
		}
		/* It came back: ask afresh. */
		fs_stat_forget(fs, i);
		break;
	}

	c = xcalloc(1, sizeof *c);
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	c->refs = 2;
	c->path = xstrdup(path);
	c->fn = fn != NULL ? fn : statvfs;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* statvfs needs little stack. */
	pthread_attr_setstacksize(&attr, 64 * 1024);
	rc = pthread_create(&tid, &attr, fs_call_run, c);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		/* No thread: ask directly rather than not at all. */
		c->refs = 1;
		fs_call_release(c);
		return (fn != NULL ? fn : statvfs)(path, sv);
	}

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += (time_t)(timeout_ms / 1000);
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&c->lock);
	while (!c->done && pthread_cond_timedwait(&c->cond, &c->lock,
	    &deadline) != ETIMEDOUT)
		;
	if (!c->done) {
		pthread_mutex_unlock(&c->lock);
		fs->hung = xreallocarray(fs->hung, fs->nhung + 1,
		    sizeof *fs->hung);
		fs->hung[fs->nhung].mount = xstrdup(path);
		fs->hung[fs->nhung].call = c;
		fs->nhung++;
		errno = ETIMEDOUT;
		return -1;
	}
	rc = c->rc;
	if (rc == 0)
		*sv = c->sv;
	error = c->error;
	pthread_mutex_unlock(&c->lock);
	fs_call_release(c);
	errno = error;
	return rc;
}
