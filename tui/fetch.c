/* fetch.c: the dashboard's requests, made on a thread of their own so a
 * slow or vanished collector never stops the keyboard; results come back
 * through a pipe the main loop polls. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "tui/tui.h"

/* A list longer than this many items is shown cut. */
#define FETCH_LIST_MAX	20000

struct fetch {
	struct api		*api;
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 pipe[2];
	char			**job;		/* paths waiting for the thread */
	int			 *job_all;	/* follow each one's pages */
	size_t			 njob;
	struct fetch_item	*done;		/* results waiting for main */
	size_t			 ndone;
	int			 busy;		/* a job waits or runs */
	char			*post_path;	/* a POST waiting */
	json_t			*post_body;
	int			 posting;	/* a POST waits or runs */
	int			 quit;
};

/* Follows "next" of a list reply, adding each page's items to the first,
 * so a view of thousands of hosts has them all. */
static void
fetch_pages(struct fetch *f, struct api_reply *r)
{
	static const char *const keys[] = { "hosts", "alerts", "assets",
	    NULL };
	struct api_reply	 page;
	const char		*next, *key = NULL;
	json_t			*all, *more;
	char			*path;
	int			 i;

	for (i = 0; keys[i] != NULL && key == NULL; i++)
		if (json_is_array(json_object_get(r->doc, keys[i])))
			key = keys[i];
	if (key == NULL)
		return;
	all = json_object_get(r->doc, key);
	while ((next = js(r->doc, "next")) != NULL &&
	    str_has_prefix(next, "/api/") &&
	    json_array_size(all) < FETCH_LIST_MAX) {
		path = xstrdup(next);
		if (api_get(f->api, path, &page) == -1) {
			/* Half a list would be shown as the whole. */
			api_reply_free(r);
			*r = page;
			free(path);
			return;
		}
		free(path);
		more = json_object_get(page.doc, key);
		if (json_is_array(more))
			json_array_extend(all, more);
		json_object_set(r->doc, "next", json_object_get(page.doc,
		    "next"));
		api_reply_free(&page);
	}
}

/* The POST waiting, made with the lock dropped; its result is handed
 * back like a GET's. */
static void
fetch_do_post(struct fetch *f)
{
	struct fetch_item	 it;
	char			*path = f->post_path;
	json_t			*body = f->post_body;

	f->post_path = NULL;
	f->post_body = NULL;
	pthread_mutex_unlock(&f->mu);
	memset(&it, 0, sizeof it);
	api_post(f->api, path, body, &it.reply);
	xasprintf(&it.path, "POST %s", path);
	it.at_ms = wtime_now_ms();
	free(path);
	json_decref(body);
	pthread_mutex_lock(&f->mu);
	f->done = xreallocarray(f->done, f->ndone + 1, sizeof *f->done);
	f->done[f->ndone++] = it;
	f->posting = 0;
	if (write(f->pipe[1], "r", 1) == -1 && errno != EAGAIN)
		return;
}

static void *
fetch_thread(void *arg)
{
	struct fetch		*f = arg;
	struct fetch_item	*items;
	char			**job;
	int			 *all;
	size_t			 n, i;
	int			 down;
	const char		*why = NULL;
	enum api_status		 down_status = API_OK;

	pthread_mutex_lock(&f->mu);
	for (;;) {
		while (!f->quit && f->job == NULL && f->post_path == NULL)
			pthread_cond_wait(&f->cv, &f->mu);
		if (f->quit)
			break;
		/* An action a person waits on goes before a refresh. */
		if (f->post_path != NULL) {
			fetch_do_post(f);
			continue;
		}
		job = f->job;
		all = f->job_all;
		n = f->njob;
		f->job = NULL;
		f->job_all = NULL;
		f->njob = 0;
		pthread_mutex_unlock(&f->mu);

		items = xcalloc(n, sizeof *items);
		down = 0;
		for (i = 0; i < n; i++) {
			items[i].path = job[i];
			/* One unanswered request says it for the rest: a
			 * job against a dead collector ends in one timeout,
			 * not one per path. */
			if (down) {
				items[i].reply.status = down_status;
				str_copy(items[i].reply.error, why,
				    sizeof items[i].reply.error);
			} else if (api_get(f->api, job[i],
			    &items[i].reply) == 0) {
				if (all[i])
					fetch_pages(f, &items[i].reply);
			}
			else if (items[i].reply.status == API_UNREACHABLE ||
			    items[i].reply.status == API_TLS) {
				down = 1;
				down_status = items[i].reply.status;
				why = items[i].reply.error;
			}
			items[i].at_ms = wtime_now_ms();
		}
		free(job);
		free(all);

		pthread_mutex_lock(&f->mu);
		f->done = xreallocarray(f->done, f->ndone + n,
		    sizeof *f->done);
		memcpy(f->done + f->ndone, items, n * sizeof *items);
		f->ndone += n;
		f->busy = 0;
		free(items);
		/* A full pipe already says there is something to take. */
		if (write(f->pipe[1], "r", 1) == -1 && errno != EAGAIN)
			break;
	}
	f->busy = 0;
	f->posting = 0;
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

struct fetch *
fetch_start(const struct api_options *o, char *err, size_t errlen)
{
	struct fetch	*f = xcalloc(1, sizeof *f);
	int		 i;

	if ((f->api = api_new(o, err, errlen)) == NULL) {
		free(f);
		return NULL;
	}
	if (pipe(f->pipe) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		api_free(f->api);
		free(f);
		return NULL;
	}
	for (i = 0; i < 2; i++) {
		fcntl(f->pipe[i], F_SETFL, fcntl(f->pipe[i], F_GETFL) |
		    O_NONBLOCK);
		fcntl(f->pipe[i], F_SETFD, FD_CLOEXEC);
	}
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	if ((errno = pthread_create(&f->thread, NULL, fetch_thread, f)) != 0) {
		snprintf(err, errlen, "pthread_create: %s", strerror(errno));
		close(f->pipe[0]);
		close(f->pipe[1]);
		pthread_mutex_destroy(&f->mu);
		pthread_cond_destroy(&f->cv);
		api_free(f->api);
		free(f);
		return NULL;
	}
	return f;
}

int
fetch_fd(const struct fetch *f)
{
	return f->pipe[0];
}

int
fetch_busy(struct fetch *f)
{
	int	 busy;

	pthread_mutex_lock(&f->mu);
	busy = f->busy || f->posting;
	pthread_mutex_unlock(&f->mu);
	return busy;
}

int
fetch_post(struct fetch *f, const char *path, const json_t *body)
{
	pthread_mutex_lock(&f->mu);
	if (f->posting) {
		pthread_mutex_unlock(&f->mu);
		return -1;
	}
	f->post_path = xstrdup(path);
	f->post_body = body != NULL ? json_deep_copy(body) : NULL;
	f->posting = 1;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
	return 0;
}

int
fetch_submit(struct fetch *f, char *const *paths, const int *all_pages,
    size_t n)
{
	size_t	 i;

	if (n == 0)
		return 0;
	pthread_mutex_lock(&f->mu);
	if (f->busy) {
		pthread_mutex_unlock(&f->mu);
		return -1;
	}
	f->job = xreallocarray(NULL, n, sizeof *f->job);
	f->job_all = xreallocarray(NULL, n, sizeof *f->job_all);
	for (i = 0; i < n; i++) {
		f->job[i] = xstrdup(paths[i]);
		f->job_all[i] = all_pages[i];
	}
	f->njob = n;
	f->busy = 1;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
	return 0;
}

size_t
fetch_take(struct fetch *f, struct fetch_item **out)
{
	char	 drain[64];
	size_t	 n;

	while (read(f->pipe[0], drain, sizeof drain) > 0)
		;
	pthread_mutex_lock(&f->mu);
	*out = f->done;
	n = f->ndone;
	f->done = NULL;
	f->ndone = 0;
	pthread_mutex_unlock(&f->mu);
	return n;
}

void
fetch_item_clear(struct fetch_item *it)
{
	free(it->path);
	api_reply_free(&it->reply);
}

int
fetch_stop(struct fetch *f, int64_t wait_ms)
{
	struct fetch_item	*items;
	int64_t			 until = wtime_mono_ms() + wait_ms;
	size_t			 n, i;

	if (f == NULL)
		return 0;
	pthread_mutex_lock(&f->mu);
	f->quit = 1;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
	/* A request in flight ends at its timeout; quitting waits a
	 * moment for it, then leaves it to the end of the process. */
	while (fetch_busy(f) && wtime_mono_ms() < until)
		wtime_sleep_ms(20);
	if (fetch_busy(f)) {
		pthread_detach(f->thread);
		return -1;
	}
	pthread_join(f->thread, NULL);
	n = fetch_take(f, &items);
	for (i = 0; i < n; i++)
		fetch_item_clear(&items[i]);
	free(items);
	for (i = 0; i < f->njob; i++)
		free(f->job[i]);
	free(f->job);
	free(f->job_all);
	free(f->post_path);
	json_decref(f->post_body);
	close(f->pipe[0]);
	close(f->pipe[1]);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	api_free(f->api);
	free(f);
	return 0;
}
