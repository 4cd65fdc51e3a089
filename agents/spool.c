/* spool.c: the agent's on-disk queue of reports not yet acknowledged by the
 * collector: one file per report, oldest first, bounded by size and age. */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "agents/agent.h"

/*
 * A report's file is named "<seq>-<ts_ms>-<dropped>.json" with seq
 * zero-padded, so the name alone says its order, its age, and what its own
 * loss would hide (the drops it carries). Files are written to ".tmp-*"
 * and renamed, so a crash never leaves half a report under a real name.
 */
#define SPOOL_NAME_FMT		"%020" PRId64 "-%" PRId64 "-%" PRId64 ".json"
#define SPOOL_DROPPED_FILE	"dropped"
#define SPOOL_LOCK_FILE		"lock"
#define SPOOL_TMP_PREFIX	".tmp-"

struct spool_entry {
	int64_t	 seq;
	int64_t	 ts_ms;
	int64_t	 dropped;	/* the drops this report carries */
	int64_t	 size;		/* bytes on disk */
};

struct spool {
	char			*dir;
	int			 lock_fd;
	int64_t			 max_bytes;
	int64_t			 max_age_ms;
	struct spool_entry	*entries;	/* oldest first */
	size_t			 count;
	size_t			 alloc;
	int64_t			 bytes;
	int64_t			 pending_dropped;	/* not yet in a report */
	int64_t			 dropped_total;		/* this process */
	int64_t			 last_acknowledged;
	struct log_complain	 full;
};

static char *
spool_path(const struct spool *sp, const char *name)
{
	char	*p;

	xasprintf(&p, "%s/%s", sp->dir, name);
	return p;
}

static char *
spool_entry_path(const struct spool *sp, const struct spool_entry *e)
{
	char	*p;

	xasprintf(&p, "%s/" SPOOL_NAME_FMT, sp->dir, e->seq, e->ts_ms,
	    e->dropped);
	return p;
}

/* Parses a spool file name; 0 when it is one. */
static int
spool_parse_name(const char *name, struct spool_entry *e)
{
	char	 tail[8];
	int	 n = 0;

	if (sscanf(name, "%20" SCNd64 "-%20" SCNd64 "-%20" SCNd64 "%7s%n",
	    &e->seq, &e->ts_ms, &e->dropped, tail, &n) != 4 ||
	    name[n] != '\0' || strcmp(tail, ".json") != 0 || e->seq < 1 ||
	    e->dropped < 0)
		return -1;
	return 0;
}

static int
spool_entry_cmp(const void *a, const void *b)
{
	const struct spool_entry	*x = a, *y = b;

	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Writes data to dir/name through a temporary file, synced, then renamed,
 * then the directory synced: once this returns 0 the file survives a power
 * cut. */
static int
spool_write_file(const struct spool *sp, const char *name, const void *data,
    size_t len, char *err, size_t errlen)
{
	const char	*p = data;
	char		*tmp, *path;
	ssize_t		 n;
	size_t		 off = 0;
	int		 fd, dfd, saved;

	xasprintf(&tmp, "%s/" SPOOL_TMP_PREFIX "%s", sp->dir, name);
	path = spool_path(sp, name);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		goto fail;
	while (off < len) {
		if ((n = write(fd, p + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail_close;
		}
		off += (size_t)n;
	}
	if (fsync(fd) == -1)
		goto fail_close;
	if (close(fd) == -1) {
		fd = -1;
		goto fail_unlink;
	}
	if (rename(tmp, path) == -1)
		goto fail_unlink;
	if ((dfd = open(sp->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	free(tmp);
	free(path);
	return 0;

fail_close:
	saved = errno;
	close(fd);
	errno = saved;
fail_unlink:
	saved = errno;
	unlink(tmp);
	errno = saved;
fail:
	snprintf(err, errlen, "spool %s: cannot write %s: %s", sp->dir, name,
	    strerror(errno));
	free(tmp);
	free(path);
	return -1;
}

static void
spool_save_dropped(struct spool *sp)
{
	char	 text[32], err[512];

	snprintf(text, sizeof text, "%" PRId64 "\n", sp->pending_dropped);
	/* Losing this file loses only a count, never a report. */
	if (spool_write_file(sp, SPOOL_DROPPED_FILE, text, strlen(text), err,
	    sizeof err) == -1)
		log_warnx("%s", err);
}

static void
spool_load_dropped(struct spool *sp)
{
	char	*path, *text, why[128];
	FILE	*fp;
	char	 line[64];
	int64_t	 v;

	path = spool_path(sp, SPOOL_DROPPED_FILE);
	if ((fp = fopen(path, "re")) == NULL) {
		free(path);
		return;
	}
	text = fgets(line, sizeof line, fp);
	fclose(fp);
	if (text != NULL && str_parse_int64(str_trim(line), 0, INT64_MAX / 2,
	    &v, why, sizeof why) == 0)
		sp->pending_dropped = v;
	else
		log_warnx("%s: not a count; the number of reports dropped "
		    "before this start is unknown", path);
	free(path);
}

static void
spool_append_entry(struct spool *sp, const struct spool_entry *e)
{
	if (sp->count == sp->alloc) {
		sp->alloc = sp->alloc == 0 ? 64 : sp->alloc * 2;
		sp->entries = xreallocarray(sp->entries, sp->alloc,
		    sizeof *sp->entries);
	}
	sp->entries[sp->count++] = *e;
	sp->bytes += e->size;
}

/* Removes the n oldest entries' files; dropped ones are counted. */
static void
spool_remove(struct spool *sp, size_t n, int dropped)
{
	struct spool_entry	*e;
	char			*path;
	size_t			 i;

	if (n > sp->count)
		n = sp->count;
	for (i = 0; i < n; i++) {
		e = &sp->entries[i];
		path = spool_entry_path(sp, e);
		if (unlink(path) == -1 && errno != ENOENT)
			log_warn("spool: cannot remove %s", path);
		free(path);
		sp->bytes -= e->size;
		if (dropped) {
			/* The drops it carried must not vanish with it. */
			sp->pending_dropped += 1 + e->dropped;
			sp->dropped_total++;
		}
	}
	memmove(sp->entries, sp->entries + n, (sp->count - n) *
	    sizeof *sp->entries);
	sp->count -= n;
	if (dropped && n > 0)
		spool_save_dropped(sp);
}

static struct spool *
spool_open_lock(const char *dir, int lock, int64_t max_bytes,
    int64_t max_age_ms, char *err, size_t errlen)
{
	struct spool		*sp;
	struct spool_entry	 e;
	struct dirent		*de;
	struct stat		 st;
	DIR			*d = NULL;
	char			*path;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "spool %s: cannot create: %s", dir,
		    strerror(errno));
		return NULL;
	}
	sp = xcalloc(1, sizeof *sp);
	sp->dir = xstrdup(dir);
	sp->lock_fd = -1;
	sp->max_bytes = max_bytes;
	sp->max_age_ms = max_age_ms;

	if (!lock)
		goto scan;
	/* One process per spool: a second agent (or --once beside the
	 * daemon) would send the same files twice or delete unsent ones. */
	path = spool_path(sp, SPOOL_LOCK_FILE);
	sp->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(path);
	if (sp->lock_fd == -1) {
		snprintf(err, errlen, "spool %s: cannot open its lock: %s", dir,
		    strerror(errno));
		goto fail;
	}
	if (flock(sp->lock_fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			snprintf(err, errlen, "spool %s is in use by another "
			    "ward-agent (is the daemon running?)", dir);
		else
			snprintf(err, errlen, "spool %s: cannot lock: %s", dir,
			    strerror(errno));
		goto fail;
	}

scan:
	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "spool %s: %s", dir, strerror(errno));
		goto fail;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' && !str_has_prefix(de->d_name,
		    SPOOL_TMP_PREFIX))
			continue;
		path = spool_path(sp, de->d_name);
		if (str_has_prefix(de->d_name, SPOOL_TMP_PREFIX)) {
			/* Half-written when the agent stopped: never
			 * renamed, so never counted as spooled. */
			unlink(path);
		} else if (spool_parse_name(de->d_name, &e) == 0) {
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				e.size = (int64_t)st.st_size;
				spool_append_entry(sp, &e);
			}
		} else if (strcmp(de->d_name, SPOOL_DROPPED_FILE) != 0 &&
		    strcmp(de->d_name, SPOOL_LOCK_FILE) != 0)
			log_warnx("spool %s: ignoring %s, which is not a "
			    "spooled report", dir, de->d_name);
		free(path);
	}
	closedir(d);
	if (sp->count > 1)
		qsort(sp->entries, sp->count, sizeof *sp->entries,
		    spool_entry_cmp);
	spool_load_dropped(sp);
	return sp;

fail:
	spool_free(sp);
	return NULL;
}

struct spool *
spool_open(const char *dir, int64_t max_bytes, int64_t max_age_ms, char *err,
    size_t errlen)
{
	return spool_open_lock(dir, 1, max_bytes, max_age_ms, err, errlen);
}

struct spool *
spool_open_unlocked(const char *dir, int64_t max_bytes, int64_t max_age_ms,
    char *err, size_t errlen)
{
	return spool_open_lock(dir, 0, max_bytes, max_age_ms, err, errlen);
}

void
spool_free(struct spool *sp)
{
	if (sp == NULL)
		return;
	if (sp->lock_fd != -1)
		close(sp->lock_fd);
	free(sp->entries);
	free(sp->dir);
	free(sp);
}

size_t
spool_count(const struct spool *sp)
{
	return sp->count;
}

int64_t
spool_bytes(const struct spool *sp)
{
	return sp->bytes;
}

int64_t
spool_pending_dropped(const struct spool *sp)
{
	return sp->pending_dropped;
}

int64_t
spool_dropped_total(const struct spool *sp)
{
	return sp->dropped_total;
}

int64_t
spool_last_seq(const struct spool *sp)
{
	return sp->count > 0 ? sp->entries[sp->count - 1].seq : 0;
}

size_t
spool_expire(struct spool *sp, int64_t now_ms)
{
	size_t	 n = 0;

	if (sp->max_age_ms <= 0)
		return 0;
	while (n < sp->count && sp->entries[n].ts_ms < now_ms -
	    sp->max_age_ms)
		n++;
	if (n > 0) {
		log_warnx("spool %s: dropping %zu report%s older than the "
		    "spool's max_age", sp->dir, n, n == 1 ? "" : "s");
		spool_remove(sp, n, 1);
	}
	return n;
}

int
spool_add(struct spool *sp, int64_t seq, int64_t ts_ms, int64_t dropped,
    const char *json, size_t len, char *err, size_t errlen)
{
	struct spool_entry	 e;
	char			 name[96];
	size_t			 n = 0;
	int64_t			 freed = 0;

	if (seq <= spool_last_seq(sp)) {
		snprintf(err, errlen, "spool %s: report %" PRId64 " is not "
		    "newer than the last spooled (%" PRId64 ")", sp->dir, seq,
		    spool_last_seq(sp));
		return -1;
	}
	/* Larger than the spool may hold: kept when it is alone (the
	 * collector up, the spool drained: a device with a long software
	 * list, whose share of max_size is small), never at the cost of
	 * the reports already waiting; one such before it, alone too, goes
	 * for it (the newest matters most). */
	if (sp->max_bytes > 0 && (int64_t)len > sp->max_bytes &&
	    sp->count == 1 && sp->entries[0].size > sp->max_bytes) {
		log_complain(&sp->full, LOG_LEVEL_WARNING, "spool %s: full "
		    "(max_size); dropping the oldest reports (%lld so far)",
		    sp->dir, (long long)(sp->dropped_total + 1));
		spool_remove(sp, 1, 1);
	}
	if (sp->max_bytes > 0 && (int64_t)len > sp->max_bytes &&
	    sp->count > 0) {
		snprintf(err, errlen, "spool %s: a report of %zu bytes is "
		    "larger than the whole spool (max_size), which holds %zu "
		    "waiting", sp->dir, len, sp->count);
		return -1;
	}
	/* Make room first, oldest first: the newest data matters most. */
	while (sp->max_bytes > 0 && n < sp->count &&
	    sp->bytes - freed + (int64_t)len > sp->max_bytes)
		freed += sp->entries[n++].size;
	if (n > 0) {
		log_complain(&sp->full, LOG_LEVEL_WARNING, "spool %s: full "
		    "(max_size); dropping the oldest reports (%lld so far)",
		    sp->dir, (long long)(sp->dropped_total + (int64_t)n));
		spool_remove(sp, n, 1);
	}
	e.seq = seq;
	e.ts_ms = ts_ms;
	e.dropped = dropped;
	e.size = (int64_t)len;
	snprintf(name, sizeof name, SPOOL_NAME_FMT, seq, ts_ms, dropped);
	if (spool_write_file(sp, name, json, len, err, errlen) == -1)
		return -1;
	spool_append_entry(sp, &e);
	return 0;
}

void
spool_dropped_reported(struct spool *sp, int64_t n)
{
	if (n <= 0)
		return;
	sp->pending_dropped = n >= sp->pending_dropped ? 0 :
	    sp->pending_dropped - n;
	spool_save_dropped(sp);
}

void
spool_count_lost(struct spool *sp)
{
	sp->pending_dropped++;
	sp->dropped_total++;
	spool_save_dropped(sp);
}

/* Reads the whole file of e into b; -1 with err. */
/* -1 with err: it can never be read (gone, too large); -2: not now. */
static int
spool_read_entry(struct spool *sp, const struct spool_entry *e, struct buf *b,
    char *err, size_t errlen)
{
	char	*path, chunk[16384];
	ssize_t	 n;
	int	 fd, rc;

	path = spool_entry_path(sp, e);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		rc = errno == ENOENT ? -1 : -2;
		snprintf(err, errlen, "spool: %s: %s", path, strerror(errno));
		free(path);
		return rc;
	}
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || buf_append(b, chunk, (size_t)n) == -1) {
			rc = n == -1 ? -2 : -1;
			snprintf(err, errlen, "spool: %s: %s", path, n == -1 ?
			    strerror(errno) : "larger than a batch may be");
			close(fd);
			free(path);
			return rc;
		}
	}
	close(fd);
	free(path);
	return 0;
}

int
spool_batch(struct spool *sp, size_t max_reports, size_t max_bytes,
    struct buf *out, size_t *nout, char *err, size_t errlen)
{
	struct buf	 one;
	size_t		 i;
	int		 rc;

	*nout = 0;
	buf_reset(out);
	for (i = 0; i < sp->count && i < max_reports; i++) {
		/* The first always goes, alone if it must; a later one only
		 * if it fits. */
		if (i > 0 && (size_t)sp->entries[i].size + out->len + 2 >
		    max_bytes)
			break;
		buf_init(&one, 0);
		if ((rc = spool_read_entry(sp, &sp->entries[i], &one, err,
		    errlen)) != 0) {
			buf_free(&one);
			if (i > 0)
				break;
			/* Gone, or too large: it can never be sent. Not
			 * readable now: kept for when it is. */
			if (rc == -1) {
				log_warnx("%s; dropping it", err);
				spool_remove(sp, 1, 1);
			}
			return rc;
		}
		if (buf_append_char(out, i == 0 ? '[' : ',') == -1 ||
		    buf_append(out, one.data != NULL ? one.data : "",
		    one.len) == -1) {
			buf_free(&one);
			snprintf(err, errlen, "spool: batch buffer full");
			return -1;
		}
		buf_free(&one);
		(*nout)++;
	}
	if (*nout > 0 && buf_append_char(out, ']') == -1) {
		snprintf(err, errlen, "spool: batch buffer full");
		return -1;
	}
	return 0;
}

void
spool_acknowledged(struct spool *sp, size_t n)
{
	if (n > sp->count)
		n = sp->count;
	if (n > 0)
		sp->last_acknowledged = sp->entries[n - 1].seq;
	spool_remove(sp, n, 0);
	if (sp->count == 0)
		log_release(&sp->full, LOG_LEVEL_INFO, "spool %s: drained",
		    sp->dir);
}

int64_t
spool_last_acknowledged(const struct spool *sp)
{
	return sp->last_acknowledged;
}

void
spool_set_limits(struct spool *sp, int64_t max_bytes, int64_t max_age_ms)
{
	sp->max_bytes = max_bytes;
	sp->max_age_ms = max_age_ms;
}

void
spool_reject_oldest(struct spool *sp)
{
	spool_remove(sp, 1, 1);
}
