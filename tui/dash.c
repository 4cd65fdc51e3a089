/* dash.c: the dashboard: the screen (header, tabs, the view's page, the
 * key bar), the keys, and the cache of what the collector last said. */
#include "config.h"

#include <curses.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/log.h"
#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "tui/tui.h"

#define DASH_DEPTH	16	/* views open on top of each other */
#define DASH_CACHE_MAX	64	/* replies kept for views not on screen */
#define DASH_INPUT_MAX	256	/* bytes typed at a prompt */
#define DASH_MIN_COLS	40
#define DASH_MIN_LINES	8
#define DASH_MARGIN	1	/* columns left of the page */

/* The screen always asks for the estate's totals and alert counts. */
#define PATH_DATACENTRES	"/api/v1/datacentres"
#define PATH_CRITICAL	"/api/v1/alerts?severity=critical&limit=1"
#define PATH_WARNING	"/api/v1/alerts?severity=warning&limit=1"

static const struct view_entry *const dash_tabs[] = {
	&view_overview,
	&view_hosts,
	&view_alerts,
	&view_network,
	&view_eol,
	&view_identity,
	NULL
};

/* What the collector said for one path, the last good answer kept. */
struct dash_res {
	char			*path;
	struct api_reply	 last;	/* the latest attempt, doc moved out */
	json_t			*good;	/* the latest good document */
	int64_t			 good_ms;
	int			 tried;
	int64_t			 used_ms;
};

struct dash {
	struct dash_options	*o;
	struct fetch		*fetch;
	struct dash_res		*res;
	size_t			 nres;
	char			**want;	/* the paths on screen now */
	int			 *want_all;	/* and whether all their pages */
	size_t			 nwant;
	char			**sent;	/* the paths of the last job */
	size_t			 nsent;
	int			 again;	/* want changed while a job ran */
	int64_t			 next_ms;	/* monotonic: next refresh */

	struct view		*stack[DASH_DEPTH];
	size_t			 depth;

	/* The page of the view on top, rebuilt when data or size change. */
	struct dash_page	 page;
	int			 have_page;
	unsigned		 gen, page_gen;
	int			 page_cols;

	/* The connection, judged by the latest job. */
	int			 answered;	/* any job has ended */
	int			 ok;
	enum api_status		 fail;
	char			 fail_why[512];
	int64_t			 down_since_ms;
	int64_t			 last_ok_ms;

	int			 colour;
	int			 curses;
	int			 help;
	int			 prompt;	/* '/', '\\' or 'a' while typing */
	char			*ack_id;	/* the alert a comment is for */
	char			 input[DASH_INPUT_MAX];
	size_t			 ninput;
	char			 msg[256];
	int64_t			 now_ms;
	size_t			 body_rows;
	/* Where the last frame put things, for the mouse: the screen line
	 * of the first table row shown and how many were shown; each tab's
	 * columns on line 1. */
	int			 rows_y;
	size_t			 rows_shown;
	int			 tab_x0[10], tab_x1[10];
	int			 quit;
};

static volatile sig_atomic_t	 dash_signalled;

static void
dash_on_signal(int sig)
{
	dash_signalled = sig;
}

static void
dash_end_curses(struct dash *d)
{
	if (d != NULL && d->curses) {
		endwin();
		d->curses = 0;
	}
}

/* A fatal error prints on a restored terminal, never into the screen. */
static void
dash_log_sink(enum log_level level, const char *msg, void *arg)
{
	struct dash	*d = arg;

	if (level > LOG_LEVEL_ERROR) {
		if (d != NULL)
			str_copy(d->msg, msg, sizeof d->msg);
		return;
	}
	dash_end_curses(d);
	fprintf(stderr, "ward: %s\n", msg);
}

enum dash_tone
dash_tone(const char *word)
{
	static const struct {
		const char	*word;
		enum dash_tone	 tone;
	} map[] = {
		{ "UP", TONE_GOOD }, { "OK", TONE_GOOD }, { "ok", TONE_GOOD },
		{ "UNREACHABLE", TONE_ODD }, { "UNKNOWN", TONE_ODD },
		{ "STALE", TONE_WARN }, { "WARNING", TONE_WARN },
		{ "warning", TONE_WARN }, { "degraded", TONE_WARN },
		{ "DOWN", TONE_BAD }, { "CRITICAL", TONE_BAD },
		{ "critical", TONE_BAD },
		/* Interfaces. */
		{ "up", TONE_GOOD }, { "down", TONE_BAD },
		{ "lowerLayerDown", TONE_BAD },
		/* End-of-life statuses. */
		{ "supported", TONE_GOOD }, { "unknown", TONE_ODD },
		{ "ending", TONE_WARN }, { "extended", TONE_WARN },
		{ "eol", TONE_BAD },
		/* Accounts and people. */
		{ "enabled", TONE_GOOD }, { "disabled", TONE_BAD },
		{ "expired", TONE_BAD }, { "leaver", TONE_WARN },
		{ "unlinked", TONE_DIM },
	};
	size_t	 i;

	for (i = 0; word != NULL && i < sizeof map / sizeof map[0]; i++)
		if (strcmp(word, map[i].word) == 0)
			return map[i].tone;
	return TONE_NONE;
}

static attr_t
dash_attr(const struct dash *d, enum dash_tone t)
{
	if (d->colour) {
		switch (t) {
		case TONE_GOOD:
			return COLOR_PAIR(1);
		case TONE_WARN:
			return COLOR_PAIR(2);
		case TONE_ODD:
			return COLOR_PAIR(3);
		case TONE_BAD:
			return COLOR_PAIR(4) | A_BOLD;
		case TONE_HEADING:
			return A_BOLD;
		case TONE_DIM:
			return A_DIM;
		default:
			return A_NORMAL;
		}
	}
	/* Without colour, what is wrong still stands out. */
	switch (t) {
	case TONE_WARN:
	case TONE_HEADING:
		return A_BOLD;
	case TONE_ODD:
		return A_UNDERLINE;
	case TONE_BAD:
		return A_BOLD | A_REVERSE;
	case TONE_DIM:
		return A_DIM;
	default:
		return A_NORMAL;
	}
}

int64_t
dash_now_ms(const struct dash *d)
{
	return d->now_ms;
}

size_t
dash_width(const struct dash *d)
{
	(void)d;
	return COLS > 2 * DASH_MARGIN ? (size_t)COLS - 2 * DASH_MARGIN : 1;
}

/* ---------------------------------------------------------------- cache */

static struct dash_res *
dash_res_find(struct dash *d, const char *path)
{
	size_t	 i;

	for (i = 0; i < d->nres; i++)
		if (strcmp(d->res[i].path, path) == 0)
			return &d->res[i];
	return NULL;
}

static int
dash_wanted(const struct dash *d, const char *path)
{
	size_t	 i;

	for (i = 0; i < d->nwant; i++)
		if (strcmp(d->want[i], path) == 0)
			return 1;
	return 0;
}

/* Forgets the replies used longest ago that are not on screen. */
static void
dash_res_trim(struct dash *d)
{
	size_t	 i, oldest;

	while (d->nres > DASH_CACHE_MAX) {
		oldest = SIZE_MAX;
		for (i = 0; i < d->nres; i++)
			if (!dash_wanted(d, d->res[i].path) &&
			    (oldest == SIZE_MAX ||
			    d->res[i].used_ms < d->res[oldest].used_ms))
				oldest = i;
		if (oldest == SIZE_MAX)
			return;
		free(d->res[oldest].path);
		api_reply_free(&d->res[oldest].last);
		json_decref(d->res[oldest].good);
		d->res[oldest] = d->res[--d->nres];
	}
}

/* Whether a reply says the collector itself is away or refuses us, as
 * opposed to an answer about one thing. */
static int
dash_conn_failure(const struct api_reply *r)
{
	switch (r->status) {
	case API_UNREACHABLE:
	case API_TLS:
	case API_UNAUTHORIZED:
		return 1;
	case API_ERROR:
		return r->http_status == 0 || r->http_status >= 500;
	default:
		return 0;
	}
}

/* What became of an action: said on the bottom line; the next refresh
 * shows its effect. */
static void
dash_posted(struct dash *d, const struct fetch_item *it)
{
	const struct api_reply	*r = &it->reply;
	char			*why;

	if (r->status == API_OK) {
		snprintf(d->msg, sizeof d->msg, "alert #%lld acknowledged by %s",
		    (long long)ji(r->doc, "id", 0), js(r->doc, "by") != NULL ?
		    js(r->doc, "by") : "?");
	} else {
		why = fmt_vis_text(r->error);
		snprintf(d->msg, sizeof d->msg, "not acknowledged: %s%s",
		    r->status == API_FORBIDDEN ? "the token may not (it needs "
		    "the operate role): " : "", why);
		free(why);
	}
	d->next_ms = 0;
}

static void
dash_merge(struct dash *d)
{
	struct fetch_item	*items;
	struct dash_res		*r;
	size_t			 n, i;
	int			 failed = 0;

	if ((n = fetch_take(d->fetch, &items)) == 0) {
		free(items);
		return;
	}
	for (i = 0; i < n; i++) {
		if (strncmp(items[i].path, "POST ", 5) == 0) {
			dash_posted(d, &items[i]);
			fetch_item_clear(&items[i]);
			continue;
		}
		if ((r = dash_res_find(d, items[i].path)) == NULL) {
			d->res = xreallocarray(d->res, d->nres + 1,
			    sizeof *d->res);
			r = &d->res[d->nres++];
			memset(r, 0, sizeof *r);
			r->path = xstrdup(items[i].path);
		}
		api_reply_free(&r->last);
		r->last = items[i].reply;
		r->tried = 1;
		r->used_ms = items[i].at_ms;
		if (r->last.status == API_OK) {
			json_decref(r->good);
			r->good = r->last.doc;
			r->last.doc = NULL;
			r->good_ms = items[i].at_ms;
		} else if (r->last.status == API_NOT_FOUND ||
		    r->last.status == API_NOT_AVAILABLE ||
		    r->last.status == API_UNCONFIGURED) {
			/* An answer: what was there is gone. */
			json_decref(r->good);
			r->good = NULL;
		}
		if (dash_conn_failure(&r->last) && !failed) {
			failed = 1;
			d->fail = r->last.status;
			str_copy(d->fail_why, r->last.error,
			    sizeof d->fail_why);
		}
		memset(&items[i].reply, 0, sizeof items[i].reply);
		fetch_item_clear(&items[i]);
	}
	free(items);
	d->answered = 1;
	if (failed) {
		if (d->ok || d->down_since_ms == 0)
			d->down_since_ms = d->now_ms;
		d->ok = 0;
	} else {
		d->ok = 1;
		d->down_since_ms = 0;
		d->last_ok_ms = d->now_ms;
	}
	dash_res_trim(d);
	d->gen++;
}

void
dash_want(struct dash *d, int all_pages, const char *fmt, ...)
{
	va_list	 ap;
	char	*path;

	va_start(ap, fmt);
	xvasprintf(&path, fmt, ap);
	va_end(ap);
	if (dash_wanted(d, path)) {
		free(path);
		return;
	}
	d->want = xreallocarray(d->want, d->nwant + 1, sizeof *d->want);
	d->want_all = xreallocarray(d->want_all, d->nwant + 1,
	    sizeof *d->want_all);
	d->want_all[d->nwant] = all_pages;
	d->want[d->nwant++] = path;
}

const struct api_reply *
dash_reply(struct dash *d, const char *path)
{
	struct dash_res	*r = dash_res_find(d, path);

	return r != NULL && r->tried ? &r->last : NULL;
}

json_t *
dash_good(struct dash *d, const char *path)
{
	struct dash_res	*r = dash_res_find(d, path);

	if (r == NULL)
		return NULL;
	r->used_ms = d->now_ms;
	return r->good;
}

json_t *
dash_doc(struct dash *d, struct dash_page *p, const char *path,
    const char *what)
{
	struct dash_res	*r = dash_res_find(d, path);

	if (r != NULL)
		r->used_ms = d->now_ms;
	if (r != NULL && r->good != NULL)
		return r->good;
	if (r == NULL || !r->tried)
		dash_line(p, 0, TONE_DIM, "%s: loading...", what);
	else if (r->last.status == API_NOT_AVAILABLE)
		dash_line(p, 0, TONE_WARN, "%s: not available on this "
		    "collector", what);
	else if (r->last.status == API_UNCONFIGURED)
		dash_line(p, 0, TONE_WARN, "%s: not served by this collector: "
		    "%s", what, r->last.error);
	else if (r->last.status == API_UNREACHABLE)
		dash_line(p, 0, TONE_BAD, "%s: no data: the collector is "
		    "unreachable", what);
	else if (r->last.status == API_TLS)
		dash_line(p, 0, TONE_BAD, "%s: no data: %s", what,
		    r->last.error);
	else
		dash_line(p, 0, TONE_BAD, "%s: %s", what, r->last.error);
	return NULL;
}

/* The paths the screen needs now: the header's, and the view's. */
static void
dash_collect_wants(struct dash *d)
{
	size_t	 i;

	for (i = 0; i < d->nwant; i++)
		free(d->want[i]);
	d->nwant = 0;
	dash_want(d, 0, PATH_DATACENTRES);
	dash_want(d, 0, PATH_CRITICAL);
	dash_want(d, 0, PATH_WARNING);
	if (d->depth > 0 && d->stack[d->depth - 1]->e->want != NULL)
		d->stack[d->depth - 1]->e->want(d, d->stack[d->depth - 1]);
}

static int
dash_wants_changed(const struct dash *d)
{
	size_t	 i, j;

	if (d->nwant != d->nsent)
		return 1;
	for (i = 0; i < d->nwant; i++) {
		for (j = 0; j < d->nsent; j++)
			if (strcmp(d->want[i], d->sent[j]) == 0)
				break;
		if (j == d->nsent)
			return 1;
	}
	return 0;
}

/* Hands what the screen needs to the fetch thread, unless it is busy:
 * then it goes as soon as the thread is done. */
static void
dash_request(struct dash *d)
{
	size_t	 i;

	dash_collect_wants(d);
	if (fetch_submit(d->fetch, d->want, d->want_all, d->nwant) == -1) {
		d->again = 1;
		return;
	}
	for (i = 0; i < d->nsent; i++)
		free(d->sent[i]);
	d->sent = xreallocarray(d->sent, d->nwant > 0 ? d->nwant : 1,
	    sizeof *d->sent);
	for (i = 0; i < d->nwant; i++)
		d->sent[i] = xstrdup(d->want[i]);
	d->nsent = d->nwant;
	d->again = 0;
	d->next_ms = wtime_mono_ms() + d->o->refresh_ms;
}

/* ---------------------------------------------------------------- pages */

struct dash_line *
dash_line(struct dash_page *p, int post, enum dash_tone tone,
    const char *fmt, ...)
{
	struct dash_line	**lines = post ? &p->post : &p->pre;
	size_t			 *n = post ? &p->npost : &p->npre;
	struct dash_line	 *l;
	va_list			  ap;
	char			 *raw;

	va_start(ap, fmt);
	xvasprintf(&raw, fmt, ap);
	va_end(ap);
	*lines = xreallocarray(*lines, *n + 1, sizeof **lines);
	l = &(*lines)[(*n)++];
	memset(l, 0, sizeof *l);
	l->text = fmt_vis(raw);
	l->tone = tone;
	free(raw);
	return l;
}

void
dash_line_tone(struct dash_line *l, const char *word, enum dash_tone tone)
{
	char	*at, save;

	if (word == NULL || *word == '\0' || (at = strstr(l->text,
	    word)) == NULL)
		return;
	save = *at;
	*at = '\0';
	l->span_x = fmt_width(l->text);
	*at = save;
	l->span_w = fmt_width(word);
	l->span_tone = tone;
}

void
dash_kv(struct dash_page *p, const char *label, const char *value)
{
	struct dash_line	*l;

	l = dash_line(p, 0, TONE_NONE, "  %-14s %s", label,
	    value != NULL ? value : "-");
	if (value != NULL)
		dash_line_tone(l, value, dash_tone(value));
}

void
dash_table_lines(struct dash_page *p, int post, struct table *t,
    size_t width, size_t tone_col)
{
	struct dash_line	*l;
	char			*line;
	size_t			 r, x;

	table_fit(t, width > 2 ? width - 2 : 1);
	line = table_line(t, SIZE_MAX);
	dash_line(p, post, TONE_DIM, "  %s", line);
	free(line);
	for (r = 0; r < t->nrows; r++) {
		line = table_line(t, r);
		/* The cells are safe already: made safe again, the
		 * backslash of an escape would be escaped itself. */
		l = dash_line(p, post, TONE_NONE, "%s", "");
		free(l->text);
		xasprintf(&l->text, "  %s", line);
		free(line);
		if (tone_col != SIZE_MAX &&
		    (x = table_col_x(t, tone_col)) != SIZE_MAX) {
			l->span_x = x + 2;
			l->span_w = fmt_width(t->rows[r][tone_col]);
			if (l->span_w > t->width[tone_col])
				l->span_w = t->width[tone_col];
			l->span_tone = dash_tone(t->rows[r][tone_col]);
		}
	}
}

void
dash_page_key(struct dash_page *p, const char *key)
{
	size_t	 n = p->table != NULL ? p->table->nrows : 1;

	p->keys = xreallocarray(p->keys, n, sizeof *p->keys);
	p->keys[n - 1] = xstrdup(key != NULL ? key : "");
}

static void
dash_page_free(struct dash_page *p)
{
	size_t	 i;

	for (i = 0; i < p->npre; i++)
		free(p->pre[i].text);
	for (i = 0; i < p->npost; i++)
		free(p->post[i].text);
	for (i = 0; p->table != NULL && p->keys != NULL &&
	    i < p->table->nrows; i++)
		free(p->keys[i]);
	free(p->pre);
	free(p->post);
	free(p->keys);
	free(p->sort_header);
	free(p->order);
	table_free(p->table);
	memset(p, 0, sizeof *p);
	p->tone_col = SIZE_MAX;
	p->sort_col = SIZE_MAX;
}

static struct view *
dash_top(struct dash *d)
{
	return d->stack[d->depth - 1];
}

/* What / finds here: people on the Identity tab, else everything. */
static const struct view_entry *
dash_search_view(const struct dash *d)
{
	return d->stack[0]->e == &view_identity ? &view_persons :
	    &view_search;
}

/* The list in the view's order, and its column heading marked. A
 * change of order re-sorts the page there is; only new data rebuilds it. */
static void
dash_page_sort(struct view *v, struct dash_page *p)
{
	struct table	*t = p->table;
	size_t		 w;

	if (t == NULL)
		return;
	if (p->sort_col != SIZE_MAX) {
		t->cols[p->sort_col].header = p->plain_header;
		free(p->sort_header);
		p->sort_header = NULL;
		p->sort_col = SIZE_MAX;
	}
	if (v->sort_col == SIZE_MAX || v->sort_col >= t->ncols) {
		if (p->order != NULL)
			dash_sort_page(p, SIZE_MAX, 0);
		return;
	}
	dash_sort_page(p, v->sort_col, v->sort_rev);
	xasprintf(&p->sort_header, "%s%s", t->cols[v->sort_col].header,
	    fmt_utf8 ? (v->sort_rev ? "\xe2\x96\xbc" : "\xe2\x96\xb2") :
	    (v->sort_rev ? "v" : "^"));
	p->plain_header = t->cols[v->sort_col].header;
	p->sort_col = v->sort_col;
	t->cols[v->sort_col].header = p->sort_header;
	if ((w = fmt_width(p->sort_header)) > t->natural[v->sort_col])
		t->natural[v->sort_col] = t->width[v->sort_col] = w;
}

/* The page of the view on top, rebuilt only when it could differ. */
static struct dash_page *
dash_page(struct dash *d)
{
	struct view	*v = dash_top(d);
	size_t		 i;

	if (d->have_page && d->page_gen == d->gen && d->page_cols == COLS)
		return &d->page;
	dash_page_free(&d->page);
	v->e->build(d, v, &d->page);
	dash_page_sort(v, &d->page);
	d->have_page = 1;
	d->page_gen = d->gen;
	d->page_cols = COLS;
	/* The selection follows its row, wherever the refresh put it. */
	if (d->page.table != NULL && v->sel_key != NULL)
		for (i = 0; i < d->page.table->nrows; i++)
			if (strcmp(d->page.keys[i], v->sel_key) == 0) {
				v->sel = i;
				break;
			}
	return &d->page;
}

/* ---------------------------------------------------------------- views */

static struct view *
dash_view_new(const struct view_entry *e, const char *arg)
{
	struct view	*v = xcalloc(1, sizeof *v);

	v->e = e;
	v->arg = arg != NULL ? xstrdup(arg) : NULL;
	v->sort_col = SIZE_MAX;
	return v;
}

static void
dash_view_free(struct view *v)
{
	if (v == NULL)
		return;
	free(v->arg);
	free(v->title);
	free(v->filter);
	free(v->sel_key);
	free(v);
}

void
dash_push(struct dash *d, const struct view_entry *e, const char *arg)
{
	if (d->depth == DASH_DEPTH) {
		/* The oldest drill-down goes; the tab stays. */
		dash_view_free(d->stack[1]);
		memmove(d->stack + 1, d->stack + 2, (DASH_DEPTH - 2) *
		    sizeof *d->stack);
		d->depth--;
	}
	d->stack[d->depth++] = dash_view_new(e, arg);
	d->gen++;
	dash_request(d);
}

static void
dash_pop(struct dash *d)
{
	if (d->depth <= 1)
		return;
	dash_view_free(d->stack[--d->depth]);
	d->gen++;
	dash_request(d);
}

static void
dash_tab(struct dash *d, const struct view_entry *e)
{
	while (d->depth > 0)
		dash_view_free(d->stack[--d->depth]);
	d->stack[d->depth++] = dash_view_new(e, NULL);
	d->gen++;
	dash_request(d);
}

/* ---------------------------------------------------------------- drawing */

/* Writes safe text at y, x cut to end before max_x; returns the next x. */
static int
dash_put(int y, int x, int max_x, const char *s, attr_t attr)
{
	char	*buf;
	size_t	 w, room;

	if (x >= max_x || *s == '\0')
		return x;
	room = (size_t)(max_x - x);
	if ((w = fmt_width(s)) > room)
		w = room;
	buf = xmalloc(4 * w + 8);
	fmt_fit(buf, 4 * w + 8, s, w, 0);
	attron(attr);
	mvaddstr(y, x, buf);
	attroff(attr);
	free(buf);
	return x + (int)w;
}

/* "14:03" or, with seconds, "14:03:05", local time. */
static char *
dash_clock(char *dst, size_t size, int64_t ms, int seconds)
{
	time_t		 t = (time_t)(ms / 1000);
	struct tm	 tm;

	localtime_r(&t, &tm);
	if (seconds)
		snprintf(dst, size, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min,
		    tm.tm_sec);
	else
		snprintf(dst, size, "%02d:%02d", tm.tm_hour, tm.tm_min);
	return dst;
}

/* Row 0: the estate in one line, and how fresh it is. */
static void
dash_draw_header(struct dash *d)
{
	struct dash_res	*r = dash_res_find(d, PATH_DATACENTRES);
	const json_t	*states;
	const char	*k;
	json_t		*n;
	char		 s[512], t1[32], t2[32], *url;
	int		 x, rx;
	int64_t		 crit = -1, warn = -1;

	/* The right end first: it matters most when space is short. */
	if (!d->answered)
		snprintf(s, sizeof s, "connecting...");
	else if (d->ok)
		snprintf(s, sizeof s, "updated %s", dash_clock(t1, sizeof t1,
		    d->last_ok_ms, 1));
	else
		snprintf(s, sizeof s, "%s since %s",
		    d->fail == API_TLS ? "TLS failure" :
		    d->fail == API_UNAUTHORIZED ? "token refused" :
		    d->fail == API_UNREACHABLE ? "collector unreachable" :
		    "collector failing", dash_clock(t2, sizeof t2,
		    d->down_since_ms, 0));
	rx = COLS - 1 - (int)fmt_width(s);
	if (rx < 12)
		rx = 12;
	dash_put(0, rx, COLS, s, d->answered && !d->ok ?
	    dash_attr(d, TONE_BAD) : dash_attr(d, TONE_DIM));

	/* The collector's URL last: it is cut first. */
	x = dash_put(0, 0, rx - 1, " ward", A_BOLD);
	if (r != NULL && r->good != NULL) {
		snprintf(s, sizeof s, "  hosts %lld",
		    (long long)ji(r->good, "hosts", 0));
		x = dash_put(0, x, rx - 1, s, A_BOLD);
		states = json_object_get(r->good, "states");
		json_object_foreach((json_t *)states, k, n) {
			if (json_integer_value(n) == 0 &&
			    strcmp(k, "UP") != 0)
				continue;
			x = dash_put(0, x, rx - 1, "  ", A_NORMAL);
			snprintf(s, sizeof s, "%s %lld", k,
			    (long long)json_integer_value(n));
			x = dash_put(0, x, rx - 1, s, dash_attr(d,
			    json_integer_value(n) > 0 ? dash_tone(k) :
			    TONE_NONE));
		}
	}
	if ((r = dash_res_find(d, PATH_CRITICAL)) != NULL && r->tried &&
	    r->last.status == API_NOT_AVAILABLE)
		x = dash_put(0, x, rx - 1, "   alerts n/a", dash_attr(d,
		    TONE_DIM));
	else if (r != NULL && r->good != NULL)
		crit = ji(r->good, "total", 0);
	if ((r = dash_res_find(d, PATH_WARNING)) != NULL && r->good != NULL)
		warn = ji(r->good, "total", 0);
	if (crit >= 0 && warn >= 0) {
		x = dash_put(0, x, rx - 1, "   alerts ", A_BOLD);
		snprintf(s, sizeof s, "critical %lld", (long long)crit);
		x = dash_put(0, x, rx - 1, s, dash_attr(d, crit > 0 ?
		    TONE_BAD : TONE_NONE));
		snprintf(s, sizeof s, "  warning %lld", (long long)warn);
		x = dash_put(0, x, rx - 1, s, dash_attr(d, warn > 0 ?
		    TONE_WARN : TONE_NONE));
	}
	url = fmt_vis(d->o->api->url);
	x = dash_put(0, x, rx - 1, "   ", A_NORMAL);
	dash_put(0, x, rx - 1, url, dash_attr(d, TONE_DIM));
	free(url);
}

/* Row 1: the tabs, where we are, and whether the data is stale. */
static void
dash_draw_tabs(struct dash *d)
{
	const struct view_entry	*const *e;
	struct view		*v;
	char			 s[128], t[32], *vis;
	int			 x = 0, rx, short_tabs;
	size_t			 i, want;

	attron(A_REVERSE);
	mvhline(1, 0, ' ', COLS);
	attroff(A_REVERSE);
	rx = COLS;
	if (d->answered && !d->ok) {
		if (d->last_ok_ms > 0)
			snprintf(s, sizeof s, " stale: data from %s ",
			    dash_clock(t, sizeof t, d->last_ok_ms, 1));
		else
			snprintf(s, sizeof s, " no data ");
		rx = COLS - (int)fmt_width(s);
		if (rx < COLS / 2)
			rx = COLS / 2;
		dash_put(1, rx, COLS, s, A_REVERSE | dash_attr(d, TONE_BAD));
	}
	/* Where we are matters more than the other tabs' names: they
	 * shrink to their numbers when the line is short. */
	want = 0;
	for (e = dash_tabs; *e != NULL; e++)
		want += strlen((*e)->name) + 4;
	for (i = 1; i < d->depth; i++) {
		v = d->stack[i];
		vis = fmt_vis(v->title != NULL ? v->title : v->arg != NULL ?
		    v->arg : "");
		want += strlen(v->e->name) + 5 + fmt_width(vis);
		free(vis);
	}
	if (dash_top(d)->filter != NULL)
		want += 10 + strlen(dash_top(d)->filter);
	if (d->page.sort_header != NULL)
		want += 8 + fmt_width(d->page.sort_header);
	short_tabs = want > (size_t)rx;
	/* The current tab in brackets too, for a terminal without
	 * attributes. */
	for (e = dash_tabs, i = 0; *e != NULL; e++, i++) {
		if (i < sizeof d->tab_x0 / sizeof d->tab_x0[0])
			d->tab_x0[i] = x;
		if (short_tabs && *e != d->stack[0]->e)
			snprintf(s, sizeof s, " %d ", (*e)->tab - '0');
		else
			snprintf(s, sizeof s, *e == d->stack[0]->e ?
			    "[%d %s]" : " %d %s ", (*e)->tab - '0',
			    (*e)->name);
		x = dash_put(1, x, rx, s, *e == d->stack[0]->e ?
		    A_BOLD : A_REVERSE);
		if (i < sizeof d->tab_x1 / sizeof d->tab_x1[0])
			d->tab_x1[i] = x;
	}
	for (i = 1; i < d->depth; i++) {
		v = d->stack[i];
		vis = fmt_vis(v->title != NULL ? v->title : v->arg != NULL ?
		    v->arg : "");
		snprintf(s, sizeof s, " > %s: ", v->e->name);
		x = dash_put(1, x, rx, s, A_REVERSE);
		x = dash_put(1, x, rx, vis, A_REVERSE | A_BOLD);
		free(vis);
	}
	v = dash_top(d);
	if (v->filter != NULL) {
		vis = fmt_vis(v->filter);
		x = dash_put(1, x, rx, "  filter: ", A_REVERSE);
		x = dash_put(1, x, rx, vis, A_REVERSE | A_BOLD);
		free(vis);
	}
	if (d->page.sort_header != NULL) {
		x = dash_put(1, x, rx, "  sort: ", A_REVERSE);
		dash_put(1, x, rx, d->page.sort_header, A_REVERSE | A_BOLD);
	}
}

static void
dash_draw_line(struct dash *d, int y, const struct dash_line *l,
    attr_t extra)
{
	const char	*from, *to;
	char		*buf;
	size_t		 w = dash_width(d), cap = 4 * w + 8;
	int		 x0 = DASH_MARGIN;

	buf = xmalloc(cap);
	fmt_fit(buf, cap, l->text, w, 0);
	attron(dash_attr(d, l->tone) | extra);
	mvaddstr(y, x0, buf);
	attroff(dash_attr(d, l->tone) | extra);
	if (l->span_w > 0 && l->span_x < w && l->span_tone != TONE_NONE) {
		/* The span's columns again, in its tone. */
		from = fmt_skip(buf, l->span_x);
		to = fmt_skip(from, l->span_w);
		attron(dash_attr(d, l->span_tone) | extra);
		mvaddnstr(y, x0 + (int)l->span_x, from, (int)(to - from));
		attroff(dash_attr(d, l->span_tone) | extra);
	}
	free(buf);
}

static void
dash_draw_body(struct dash *d, int y0, int y1)
{
	struct view		*v = dash_top(d);
	struct dash_page	*p = dash_page(d);
	struct dash_line	 l;
	struct table		*t = p->table;
	size_t			 rows, i, n, x;
	int			 y = y0, avail;
	char			*line, pos[64];

	d->body_rows = (size_t)(y1 - y0);
	d->rows_shown = 0;
	if (t == NULL) {
		/* A document: everything scrolls. */
		n = p->npre + p->npost;
		if (v->top + d->body_rows > n)
			v->top = n > d->body_rows ? n - d->body_rows : 0;
		for (i = v->top; i < n && y < y1; i++, y++)
			dash_draw_line(d, y, i < p->npre ? &p->pre[i] :
			    &p->post[i - p->npre], A_NORMAL);
		return;
	}
	for (i = 0; i < p->npre && y < y1; i++, y++)
		dash_draw_line(d, y, &p->pre[i], A_NORMAL);
	if (y >= y1)
		return;
	table_fit(t, dash_width(d));
	memset(&l, 0, sizeof l);
	l.text = table_line(t, SIZE_MAX);
	l.tone = TONE_HEADING;
	dash_draw_line(d, y++, &l, A_UNDERLINE);
	free(l.text);
	if (t->nrows == 0) {
		if (y < y1) {
			l.text = fmt_vis(p->empty != NULL ? p->empty :
			    "(nothing)");
			l.tone = TONE_DIM;
			dash_draw_line(d, y++, &l, A_NORMAL);
			free(l.text);
		}
	} else {
		avail = y1 - y - (int)(p->npost > 0 ? p->npost + 1 : 0);
		if (avail < 1)
			avail = y1 - y;
		rows = (size_t)avail;
		d->body_rows = rows;
		if (v->sel >= t->nrows)
			v->sel = t->nrows - 1;
		if (v->sel < v->top)
			v->top = v->sel;
		if (v->sel >= v->top + rows)
			v->top = v->sel - rows + 1;
		if (v->top + rows > t->nrows)
			v->top = t->nrows > rows ? t->nrows - rows : 0;
		free(v->sel_key);
		v->sel_key = xstrdup(p->keys[v->sel]);
		d->rows_y = y;
		d->rows_shown = 0;
		for (i = v->top; i < t->nrows && i < v->top + rows; i++, y++) {
			d->rows_shown++;
			line = table_line(t, i);
			memset(&l, 0, sizeof l);
			l.text = line;
			if (p->tone_col != SIZE_MAX &&
			    (x = table_col_x(t, p->tone_col)) != SIZE_MAX) {
				l.span_x = x;
				l.span_w = t->width[p->tone_col];
				l.span_tone = dash_tone(t->rows[i][p->tone_col]);
			}
			if (i == v->sel) {
				attron(A_REVERSE);
				mvhline(y, 0, ' ', COLS);
				attroff(A_REVERSE);
			}
			dash_draw_line(d, y, &l, i == v->sel ? A_REVERSE :
			    A_NORMAL);
			free(line);
		}
		/* Where the selection is in a list longer than the screen,
		 * at the right end of the column headings. */
		if (t->nrows > rows) {
			snprintf(pos, sizeof pos, " %zu/%zu ", v->sel + 1,
			    t->nrows);
			dash_put(y0 + (int)p->npre, COLS - (int)strlen(pos),
			    COLS, pos, A_BOLD);
		}
	}
	/* What follows the list comes after a blank line. */
	if (p->npost > 0)
		y++;
	for (i = 0; i < p->npost && y < y1; i++, y++)
		dash_draw_line(d, y, &p->post[i], A_NORMAL);
}

static const char *const dash_help_lines[] = {
	"ward dashboard keys",
	"",
	"  1 2 3          Overview, Hosts, Alerts",
	"  4 5 6          Network, EOL (end of life), Identity",
	"  Up Down j k    move",
	"  PgUp PgDn      a page",
	"  Home End g G   first, last",
	"  Enter l Right  open",
	"  Esc Bksp h     back",
	"  /              search hosts (name, FQDN, serial, IP, ...) and",
	"                 people (name, username); on Identity, people",
	"  \\              filter this list",
	"  s F6           sort by the next column",
	"  S              reverse the sort",
	"  a              acknowledge the alert (Alerts)",
	"  r              refresh now",
	"  ?              this help",
	"  q              quit",
	"",
	"Any key closes this.",
	NULL,
};

/* --readonly offers no actions, in the help either. */
static int
dash_help_shown(const struct dash *d, const char *line)
{
	return !d->o->readonly || strncmp(line, "  a ", 4) != 0;
}

static void
dash_draw_help(struct dash *d)
{
	int	 n = 0, w = 0, y0, x0, i, k, len;

	for (i = 0; dash_help_lines[i] != NULL; i++) {
		if (!dash_help_shown(d, dash_help_lines[i]))
			continue;
		len = (int)strlen(dash_help_lines[i]);
		if (len > w)
			w = len;
		n++;
	}
	w += 4;
	n += 2;
	if (w > COLS)
		w = COLS;
	if (n > LINES)
		n = LINES;
	y0 = (LINES - n) / 2;
	x0 = (COLS - w) / 2;
	for (i = 0; i < n; i++) {
		move(y0 + i, x0);
		hline(' ', w);
	}
	attron(A_BOLD);
	mvhline(y0, x0, ACS_HLINE, w);
	mvhline(y0 + n - 1, x0, ACS_HLINE, w);
	mvvline(y0, x0, ACS_VLINE, n);
	mvvline(y0, x0 + w - 1, ACS_VLINE, n);
	mvaddch(y0, x0, ACS_ULCORNER);
	mvaddch(y0, x0 + w - 1, ACS_URCORNER);
	mvaddch(y0 + n - 1, x0, ACS_LLCORNER);
	mvaddch(y0 + n - 1, x0 + w - 1, ACS_LRCORNER);
	attroff(A_BOLD);
	for (i = k = 0; dash_help_lines[i] != NULL && k + 1 < n - 1; i++) {
		if (!dash_help_shown(d, dash_help_lines[i]))
			continue;
		dash_put(y0 + 1 + k, x0 + 2, x0 + w - 1, dash_help_lines[i],
		    i == 0 ? A_BOLD : A_NORMAL);
		k++;
	}
}

static void
dash_draw_footer(struct dash *d)
{
	const struct view_entry	*e = dash_top(d)->e;
	char			*vis, hints[160], what[160];
	int			 x;

	move(LINES - 1, 0);
	clrtoeol();
	if (d->prompt == 'a') {
		snprintf(what, sizeof what, "acknowledge #%s, comment "
		    "(Enter sends, Esc cancels): ", d->ack_id);
		x = dash_put(LINES - 1, 0, COLS, what, A_BOLD);
		vis = fmt_vis(d->input);
		x = dash_put(LINES - 1, x, COLS - 1, vis, A_NORMAL);
		free(vis);
		move(LINES - 1, x);
		return;
	}
	if (d->prompt != 0) {
		x = dash_put(LINES - 1, 0, COLS, d->prompt != '/' ?
		    "filter: " : dash_search_view(d) == &view_persons ?
		    "find person: " : "search: ", A_BOLD);
		vis = fmt_vis(d->input);
		x = dash_put(LINES - 1, x, COLS - 1, vis, A_NORMAL);
		free(vis);
		move(LINES - 1, x);
		return;
	}
	if (d->msg[0] != '\0') {
		vis = fmt_vis(d->msg);
		dash_put(LINES - 1, 0, COLS, vis, A_BOLD);
		free(vis);
		return;
	}
	/* Only the keys that do something here. */
	snprintf(hints, sizeof hints, " Enter open  Esc back  / %s%s%s"
	    "  s sort  1-6 views  r refresh  ? help  q quit",
	    dash_search_view(d) == &view_persons ? "find person" : "search",
	    e->filter ? "  \\ filter" : "",
	    e->ack && !d->o->readonly ? "  a ack" : "");
	dash_put(LINES - 1, 0, COLS, hints, A_REVERSE);
	attron(A_REVERSE);
	if ((x = (int)fmt_width(hints)) < COLS)
		mvhline(LINES - 1, x, ' ', COLS - x);
	attroff(A_REVERSE);
}

static void
dash_draw(struct dash *d)
{
	d->now_ms = wtime_now_ms();
	erase();
	if (COLS < DASH_MIN_COLS || LINES < DASH_MIN_LINES) {
		mvaddstr(0, 0, "terminal too small");
		refresh();
		return;
	}
	/* The page first: building it names the view for the tabs. */
	dash_page(d);
	dash_draw_header(d);
	dash_draw_tabs(d);
	dash_draw_body(d, 2, LINES - 1);
	dash_draw_footer(d);
	if (d->help)
		dash_draw_help(d);
	curs_set(d->prompt != 0 ? 1 : 0);
	refresh();
}

/* ---------------------------------------------------------------- keys */

/* Hands the acknowledgement to the fetch thread: the keys keep
 * answering while it is under way. */
static void
dash_ack_send(struct dash *d)
{
	json_t	*body = NULL;
	char	*path;

	if (d->ninput > 0 && (body = json_pack("{s:s}", "comment",
	    d->input)) == NULL) {
		str_copy(d->msg, "the comment is not valid UTF-8", sizeof d->msg);
		return;
	}
	xasprintf(&path, "/api/v1/alerts/%s/ack", d->ack_id);
	if (fetch_post(d->fetch, path, body) == -1)
		str_copy(d->msg, "an acknowledgement is still under way; try "
		    "again in a moment", sizeof d->msg);
	else
		snprintf(d->msg, sizeof d->msg, "acknowledging #%s...",
		    d->ack_id);
	free(path);
	json_decref(body);
}

/* a: the comment prompt for the alert selected (or shown). */
static void
dash_ack_start(struct dash *d)
{
	struct view		*v = dash_top(d);
	struct dash_page	*p = dash_page(d);
	const char		*id;

	if (!v->e->ack)
		return;
	if (d->o->readonly) {
		str_copy(d->msg, "read-only (--readonly): acknowledging is off",
		    sizeof d->msg);
		return;
	}
	if (p->table != NULL)
		id = p->table->nrows > 0 ? p->keys[v->sel] : NULL;
	else
		id = v->arg;
	if (id == NULL || *id == '\0' || strspn(id, "0123456789") !=
	    strlen(id)) {
		str_copy(d->msg, "no alert selected", sizeof d->msg);
		return;
	}
	free(d->ack_id);
	d->ack_id = xstrdup(id);
	d->prompt = 'a';
	d->ninput = 0;
	d->input[0] = '\0';
}

/* s, F6: the next shown column (after the last, the collector's order
 * again); S: the other way round. */
static void
dash_sort_key(struct dash *d, int reverse)
{
	struct view		*v = dash_top(d);
	struct dash_page	*p = dash_page(d);
	struct table		*t = p->table;
	size_t			 c;

	if (t == NULL) {
		str_copy(d->msg, "nothing to sort here", sizeof d->msg);
		return;
	}
	if (reverse) {
		if (v->sort_col == SIZE_MAX)
			v->sort_col = 0;
		v->sort_rev = !v->sort_rev;
	} else {
		c = v->sort_col == SIZE_MAX ? 0 : v->sort_col + 1;
		while (c < t->ncols && t->width[c] == 0)
			c++;
		v->sort_col = c < t->ncols ? c : SIZE_MAX;
		v->sort_rev = 0;
	}
	if (v->sort_col == SIZE_MAX)
		str_copy(d->msg, "in the collector's order", sizeof d->msg);
	dash_page_sort(v, p);
	/* The selection stays on its row, wherever that went. */
	for (c = 0; v->sel_key != NULL && c < t->nrows; c++)
		if (strcmp(p->keys[c], v->sel_key) == 0) {
			v->sel = c;
			break;
		}
}

static void
dash_prompt_key(struct dash *d, int ch)
{
	struct view	*v = dash_top(d);

	switch (ch) {
	case 27:
		d->prompt = 0;
		return;
	case '\n':
	case '\r':
	case KEY_ENTER:
		if (d->prompt == 'a') {
			dash_ack_send(d);
		} else if (d->prompt == '/') {
			if (d->ninput > 0) {
				if (v->e == dash_search_view(d))
					dash_pop(d);
				dash_push(d, dash_search_view(d), d->input);
			}
		} else {
			free(v->filter);
			v->filter = d->ninput > 0 ? xstrdup(d->input) : NULL;
			v->sel = v->top = 0;
			free(v->sel_key);
			v->sel_key = NULL;
			d->gen++;
			dash_request(d);
		}
		d->prompt = 0;
		return;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		/* A whole UTF-8 character at a time. */
		while (d->ninput > 0 &&
		    (d->input[d->ninput - 1] & 0xc0) == 0x80)
			d->ninput--;
		if (d->ninput > 0)
			d->ninput--;
		d->input[d->ninput] = '\0';
		return;
	default:
		if (ch < 0x20 || ch > 0xff ||
		    d->ninput + 1 >= sizeof d->input)
			return;
		d->input[d->ninput++] = (char)ch;
		d->input[d->ninput] = '\0';
		return;
	}
}

static void
dash_move(struct dash *d, long delta, int absolute)
{
	struct view		*v = dash_top(d);
	struct dash_page	*p = dash_page(d);
	size_t			 n;
	long			 to;

	if (p->table == NULL) {
		/* A document scrolls; drawing clamps the end. */
		to = absolute ? (delta < 0 ? 0 : 1000000) :
		    (long)v->top + delta;
		v->top = to < 0 ? 0 : (size_t)to;
		return;
	}
	if ((n = p->table->nrows) == 0)
		return;
	to = absolute ? (delta < 0 ? 0 : (long)n - 1) : (long)v->sel + delta;
	if (to < 0)
		to = 0;
	if (to >= (long)n)
		to = (long)n - 1;
	v->sel = (size_t)to;
	free(v->sel_key);
	v->sel_key = xstrdup(p->keys[v->sel]);
}

/* --mouse: a click on a tab opens it, on a row selects it (a second
 * click or a double click opens it); the wheel scrolls three lines. */
static void
dash_mouse(struct dash *d)
{
	struct view		*v = dash_top(d);
	struct dash_page	*p = dash_page(d);
	const struct view_entry	*const *e;
	MEVENT			 ev;
	size_t			 i, row;

	if (getmouse(&ev) != OK)
		return;
	if (ev.bstate & BUTTON4_PRESSED) {
		dash_move(d, -3, 0);
		return;
	}
	if (ev.bstate & BUTTON5_PRESSED) {
		dash_move(d, 3, 0);
		return;
	}
	if (!(ev.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED |
	    BUTTON1_DOUBLE_CLICKED)))
		return;
	if (ev.y == 1) {
		for (e = dash_tabs, i = 0; *e != NULL && i < sizeof d->tab_x0 /
		    sizeof d->tab_x0[0]; e++, i++)
			if (ev.x >= d->tab_x0[i] && ev.x < d->tab_x1[i]) {
				dash_tab(d, *e);
				return;
			}
		return;
	}
	if (p->table == NULL || ev.y < d->rows_y ||
	    ev.y >= d->rows_y + (int)d->rows_shown)
		return;
	row = v->top + (size_t)(ev.y - d->rows_y);
	if (row >= p->table->nrows)
		return;
	if ((row == v->sel || (ev.bstate & BUTTON1_DOUBLE_CLICKED)) &&
	    v->e->open != NULL) {
		dash_move(d, (long)row - (long)v->sel, 0);
		v->e->open(d, v, p->keys[v->sel]);
		return;
	}
	dash_move(d, (long)row - (long)v->sel, 0);
}

static void
dash_key(struct dash *d, int ch)
{
	struct view		*v = dash_top(d);
	struct dash_page	*p;
	const struct view_entry	*const *e;
	long			 page = d->body_rows > 1 ? (long)d->body_rows - 1 : 1;

	d->msg[0] = '\0';
	if (d->help) {
		d->help = 0;
		return;
	}
	if (d->prompt != 0) {
		dash_prompt_key(d, ch);
		return;
	}
	for (e = dash_tabs; *e != NULL; e++)
		if (ch == (*e)->tab) {
			dash_tab(d, *e);
			return;
		}
	switch (ch) {
	case 'q':
		d->quit = 1;
		break;
	case KEY_RESIZE:
		d->gen++;
		break;
	case KEY_UP:
	case 'k':
		dash_move(d, -1, 0);
		break;
	case KEY_DOWN:
	case 'j':
		dash_move(d, 1, 0);
		break;
	case KEY_PPAGE:
		dash_move(d, -page, 0);
		break;
	case KEY_NPAGE:
	case ' ':
		dash_move(d, page, 0);
		break;
	case KEY_HOME:
	case 'g':
		dash_move(d, -1, 1);
		break;
	case KEY_END:
	case 'G':
		dash_move(d, 1, 1);
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
	case KEY_RIGHT:
	case 'l':
		p = dash_page(d);
		if (p->table != NULL && p->table->nrows > 0 &&
		    v->e->open != NULL)
			v->e->open(d, v, p->keys[v->sel]);
		break;
	case 27:
	case KEY_BACKSPACE:
	case 127:
	case 8:
	case KEY_LEFT:
	case 'h':
		dash_pop(d);
		break;
	case '/':
		d->prompt = '/';
		d->ninput = 0;
		d->input[0] = '\0';
		break;
	case '\\':
		if (!v->e->filter) {
			str_copy(d->msg, "this view has no filter; / searches",
			    sizeof d->msg);
			break;
		}
		d->prompt = '\\';
		str_copy(d->input, v->filter != NULL ? v->filter : "",
		    sizeof d->input);
		d->ninput = strlen(d->input);
		break;
	case 'r':
		dash_request(d);
		break;
	case '?':
		d->help = 1;
		break;
	case 's':
	case KEY_F(6):
		dash_sort_key(d, 0);
		break;
	case 'S':
		dash_sort_key(d, 1);
		break;
	case 'a':
		dash_ack_start(d);
		break;
	case 12:	/* ^L */
		clearok(curscr, TRUE);
		break;
	case KEY_MOUSE:
		dash_mouse(d);
		break;
	default:
		break;
	}
}

/* ---------------------------------------------------------------- main */

static int
dash_curses_start(struct dash *d)
{
	if (newterm(NULL, stdout, stdin) == NULL) {
		fprintf(stderr, "ward: cannot use this terminal (TERM=%s)\n",
		    getenv("TERM") != NULL ? getenv("TERM") : "unset");
		return -1;
	}
	d->curses = 1;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	/* Off unless asked: the mouse takes the terminal's own selection
	 * (copying a host name) away. */
	if (d->o->mouse) {
		mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED |
		    BUTTON1_DOUBLE_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED,
		    NULL);
		mouseinterval(200);
	}
	/* NO_COLOR (no-color.org) and monochrome terminals get attributes
	 * only. */
	if (getenv("NO_COLOR") == NULL && has_colors()) {
		start_color();
		use_default_colors();
		init_pair(1, COLOR_GREEN, -1);
		init_pair(2, COLOR_YELLOW, -1);
		init_pair(3, COLOR_MAGENTA, -1);
		init_pair(4, COLOR_RED, -1);
		d->colour = 1;
	}
	return 0;
}

int
dash_main(struct dash_options *o)
{
	struct dash		 d;
	struct pollfd		 pfd[2];
	struct sigaction	 sa;
	char			 err[1024];
	int64_t			 wait_ms;
	size_t			 i;
	int			 ch;

	memset(&d, 0, sizeof d);
	d.o = o;
	d.page.tone_col = SIZE_MAX;
	d.page.sort_col = SIZE_MAX;
	if ((d.fetch = fetch_start(o->api, err, sizeof err)) == NULL) {
		fprintf(stderr, "ward: %s\n", err);
		return WARD_EXIT_FAILURE;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = dash_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (dash_curses_start(&d) == -1) {
		fetch_stop(d.fetch, 0);
		return WARD_EXIT_FAILURE;
	}
	log_set_sink(dash_log_sink, &d);
	dash_tab(&d, dash_tabs[0]);

	while (!d.quit && !dash_signalled) {
		dash_draw(&d);
		wait_ms = d.next_ms - wtime_mono_ms();
		/* Once a second at least, for the clock and data ages. */
		if (wait_ms > 1000)
			wait_ms = 1000;
		if (wait_ms < 0)
			wait_ms = 0;
		pfd[0].fd = STDIN_FILENO;
		pfd[0].events = POLLIN;
		pfd[1].fd = fetch_fd(d.fetch);
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, (int)wait_ms) == -1 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			break;
		}
		d.now_ms = wtime_now_ms();
		if (pfd[1].revents & POLLIN) {
			dash_merge(&d);
			/* What arrived may name more to ask for (a list's
			 * devices, then each one's interfaces). */
			dash_collect_wants(&d);
			if (d.again || dash_wants_changed(&d))
				dash_request(&d);
		}
		while ((ch = getch()) != ERR && !d.quit)
			dash_key(&d, ch);
		if (wtime_mono_ms() >= d.next_ms && !fetch_busy(d.fetch))
			dash_request(&d);
	}

	dash_end_curses(&d);
	log_set_sink(NULL, NULL);
	o->left_running = fetch_stop(d.fetch, 300) == -1;
	dash_page_free(&d.page);
	while (d.depth > 0)
		dash_view_free(d.stack[--d.depth]);
	for (i = 0; i < d.nres; i++) {
		free(d.res[i].path);
		api_reply_free(&d.res[i].last);
		json_decref(d.res[i].good);
	}
	free(d.res);
	for (i = 0; i < d.nwant; i++)
		free(d.want[i]);
	free(d.want);
	free(d.want_all);
	for (i = 0; i < d.nsent; i++)
		free(d.sent[i]);
	free(d.sent);
	free(d.ack_id);
	return WARD_EXIT_OK;
}
