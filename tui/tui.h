/* tui.h: ward's internal interfaces: the collector API client, formatting
 * and column fitting, the helpdesk commands and the dashboard. */
#ifndef WARD_TUI_H
#define WARD_TUI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

/* Exit codes beyond common/cli.h's 0, 1, 2 and 69; ward(1) lists them. */
#define TUI_EXIT_NOT_FOUND	3	/* no such host, datacentre, alert */
#define TUI_EXIT_CONFLICT	4	/* ambiguous name, already acknowledged */
#define TUI_EXIT_UNREACHABLE	5	/* no answer from the collector */
#define TUI_EXIT_TLS		6	/* its certificate did not verify */
#define TUI_EXIT_AUTH		7	/* the token was refused (401/403) */
#define TUI_EXIT_CRITICAL	8	/* ward status: something is CRITICAL
					   or DOWN */

/* api.c */

struct api_options {
	const char	*url;		/* "https://host:port", no trailing / */
	const char	*ca_file;	/* NULL: the system's trust store */
	const char	*token;
	int64_t		 timeout_ms;	/* one attempt */
	int		 max_attempts;
};

enum api_status {
	API_OK = 0,
	API_BAD_REQUEST,	/* 400: a parameter was refused */
	API_UNAUTHORIZED,	/* 401: no token, or one the collector refuses */
	API_FORBIDDEN,		/* 403: the token's role may not */
	API_NOT_FOUND,		/* 404 from a route: no such thing */
	API_NOT_AVAILABLE,	/* 404 "no such resource": no such route here */
	API_UNCONFIGURED,	/* 503 "identity: ...": the route is there, but
				   the collector is not set up to serve it */
	API_CONFLICT,		/* 409: ambiguous name, already acknowledged */
	API_UNREACHABLE,	/* no connection, or it timed out */
	API_TLS,		/* the certificate did not verify, or no TLS */
	API_ERROR,		/* 5xx, a reply that is not JSON, ... */
};

struct api_reply {
	enum api_status	 status;
	long		 http_status;	/* 0 when nothing answered */
	json_t		*doc;		/* the JSON body (errors too) or NULL */
	char		 error[1024];	/* for people; not yet made safe to print */
};

struct api;

struct api	*api_new(const struct api_options *o, char *err, size_t errlen);
void		 api_free(struct api *a);
const char	*api_url(const struct api *a);
/* path begins with "/" and is already escaped. Always fills r (free it
 * with api_reply_free); returns 0 when status is API_OK, else -1. */
int		 api_get(struct api *a, const char *path, struct api_reply *r);
/* POSTs body (a JSON document, or NULL for none). */
int		 api_post(struct api *a, const char *path, const json_t *body,
		    struct api_reply *r);
void		 api_reply_free(struct api_reply *r);
/* Percent-encodes everything but RFC 3986's unreserved characters, for a
 * path segment or a query value; the caller frees it. */
char		*api_escape(const char *s);
/* The exit code for a failed reply. */
int		 api_exit_code(enum api_status s);
/* https:// only: tokens never cross a network in the clear. */
int		 api_url_check(const char *url, char *err, size_t errlen);

/* fmt.c */

/* Whether to print UTF-8 as is; otherwise everything beyond ASCII is
 * escaped too. Set once from the locale by fmt_init. */
extern int	 fmt_utf8;
void		 fmt_init(void);
/*
 * A string from the network made safe for a terminal: str_vis's escapes
 * for control bytes, backslash and invalid UTF-8, then \u{XXXX} for
 * format characters (bidirectional overrides, zero-width joiners) and,
 * when the terminal is not UTF-8, for everything beyond ASCII. NULL gives
 * "". The caller frees it.
 */
char		*fmt_vis(const char *s);
/* The same for text already escaped by the collector (its error
 * messages): backslashes are kept as they are. */
char		*fmt_vis_text(const char *s);
/* Columns a safe (fmt_vis'd) string takes on the terminal. */
size_t		 fmt_width(const char *s);
/* Where s is after its first cols columns. */
const char	*fmt_skip(const char *s, size_t cols);
/*
 * Writes s into dst cut or padded to exactly width columns: cut ends in
 * "…" (or "~" when not UTF-8); right aligns when right is set. dst needs
 * 4 * width + 1 bytes. Returns dst.
 */
char		*fmt_fit(char *dst, size_t size, const char *s, size_t width,
		    int right);
/* "42s", "5m", "3h", "2d", "1y": how long ago, compactly. */
char		*fmt_age(char *dst, size_t size, int64_t ms);
/* The age of an ISO-8601 time at now_ms, or "-" when NULL or bad. */
char		*fmt_iso_age(char *dst, size_t size, const char *iso,
		    int64_t now_ms);
/* "2026-11-23 14:03:05Z" from ISO-8601 (the same when it does not parse). */
char		*fmt_iso(char *dst, size_t size, const char *iso);
/* "12d 3h", "5h 2m", "42s". */
char		*fmt_uptime(char *dst, size_t size, int64_t seconds);
/* "1.2G", "512k" in powers of 1024; "1.5 Gb/s" for a speed. */
char		*fmt_bytes(char *dst, size_t size, double bytes);
char		*fmt_bps(char *dst, size_t size, double bps);
/* A number without trailing zeros: "13.5", "1", "0.0012". */
char		*fmt_number(char *dst, size_t size, double v);
/* The terminal's width for stdout: the tty's, else $COLUMNS, else 0 (no
 * limit). */
size_t		 fmt_term_width(void);

/* JSON getters that never fail: the string, or NULL/def. */
const char	*js(const json_t *obj, const char *key);
int64_t		 ji(const json_t *obj, const char *key, int64_t def);
double		 jd(const json_t *obj, const char *key, double def);

/* spark.c */

struct spark {
	char	*line;		/* width characters; the caller frees it */
	size_t	 points;
	double	 min, max, last;
};

/* A height per value between lo and hi (a space where have[i] is 0). */
char		*spark_render(const double *v, const int *have, size_t n,
		    double lo, double hi);
/* One series of a GET /api/v1/hosts/{name}/metrics/{metric} reply over
 * its from..to in width slices; -1 when the reply has no usable range. */
int		 spark_series(const json_t *reply, const json_t *series,
		    size_t width, struct spark *out);

/* table.c */

#define TABLE_RIGHT	0x01	/* right-aligned (numbers) */
#define TABLE_FLEX	0x02	/* may be cut down to min to fit */
#define TABLE_SAFE	0x04	/* cells come made safe already (pieces
				   fmt_vis'd apart, joined by a backslash) */

struct table_col {
	const char	*header;
	unsigned	 flags;
	size_t		 min;		/* TABLE_FLEX: narrowest */
	int		 drop;		/* 0: always shown; else higher goes first */
};

struct table {
	struct table_col *cols;
	size_t		  ncols;
	char		***rows;	/* made safe with fmt_vis */
	size_t		  nrows;
	size_t		 *natural;	/* widest cell or header */
	size_t		 *width;	/* after table_fit; 0: hidden */
	size_t		  gap;		/* spaces between columns */
};

/* Copies cols. */
struct table	*table_new(const struct table_col *cols, size_t ncols);
void		 table_free(struct table *t);
/* Adds a row of ncols raw strings (NULL shows "-"); each is made safe. */
void		 table_add(struct table *t, const char *const *cells);
/*
 * Picks column widths for a line of at most width columns (0: no limit):
 * flexible columns are cut (widest first, to their min), and when that is
 * not enough, droppable columns go, highest drop first. Returns the line's
 * width.
 */
size_t		 table_fit(struct table *t, size_t width);
/* The row's (or, with row == SIZE_MAX, the header's) line per the widths,
 * without trailing spaces; the caller frees it. */
char		*table_line(const struct table *t, size_t row);
/* Where column col starts on a line, or SIZE_MAX when it is hidden. */
size_t		 table_col_x(const struct table *t, size_t col);
/* Prints the header and rows as CSV (RFC 4180 quoting, a record a
 * line), every column. */
void		 table_print_csv(const struct table *t, FILE *fp);
/* Prints the header and rows; colour(row, col) may return an SGR sequence
 * ("1;31") for a cell, or NULL. */
void		 table_print(const struct table *t, FILE *fp, int header,
		    const char *(*colour)(const struct table *, size_t,
		    size_t));

/* cmd.c */

struct cmd_ctx {
	struct api	*api;
	FILE		*out;
	int		 json;		/* --json */
	int		 csv;		/* --csv */
	int		 readonly;	/* --readonly: no actions */
	int		 tty;		/* out is a terminal */
	int		 colour;	/* out is a terminal and NO_COLOR unset */
	size_t		 width;		/* 0: no limit */
	int64_t		 now_ms;
};

/* A command's own options: --name or --name VALUE (or --name=VALUE). */
struct cmd_opt {
	const char	*name;
	int		 has_arg;
	const char	*arg_name;
	const char	*help;
};
#define CMD_OPTS_MAX	12

struct cmd_args {
	const char	*value[CMD_OPTS_MAX];	/* by index in opts; "" for a flag */
	int		 json;			/* --json */
	int		 csv;			/* --csv */
	int		 argc;			/* operands */
	char		**argv;
};

struct cmd_entry {
	const char	*name;
	const char	*operands;	/* "NAME", "[QUERY]" */
	const char	*summary;
	const struct cmd_opt *opts;	/* NULL-name terminated; --json is implied */
	int		 min_operands;
	int		 max_operands;	/* -1: any number */
	int		(*exec)(struct cmd_ctx *, const struct cmd_args *);
	int		 csv;		/* a list: takes --csv */
};

extern const struct cmd_entry *const cmd_table[];
const struct cmd_entry *cmd_find(const char *name);
/* Parses a command's options and operands (argv[0] is the command);
 * returns 0, 1 after printing its --help, or -1 after printing a usage
 * error. args->argv is freed with free(). */
int		 cmd_parse(const struct cmd_entry *e, int argc, char **argv,
		    struct cmd_args *args);
/* The "Commands:" part of --help. */
const char	*cmd_help(void);
/* Says what went wrong with a reply on stderr and returns the exit code. */
int		 cmd_fail(const struct cmd_ctx *c, const char *what,
		    const struct api_reply *r);
/* Prints a document as --json does. */
int		 cmd_print_json(const struct cmd_ctx *c, const json_t *doc);
/* An SGR colour for a state or severity word, or NULL. */
const char	*cmd_state_colour(const char *word);
/* "label: value" lines, label column aligned; value made safe. */
void		 cmd_kv(const struct cmd_ctx *c, const char *label,
		    const char *value);
/* GETs every page of a list, following "next", concatenating the array
 * named key into the first page's document. Stops after max items (0: no
 * limit). Returns 0, or -1 with r holding the failure. */
int		 cmd_get_all(struct cmd_ctx *c, const char *path,
		    const char *key, size_t max, struct api_reply *r);
/* A list as aligned columns fitted to the width (empty: says so on a
 * terminal), or as CSV with --csv. */
void		 cmd_print_table(const struct cmd_ctx *c, struct table *t,
		    const char *(*colour)(const struct table *, size_t,
		    size_t), const char *empty);
/* A time cell: the age for people, the ISO-8601 time itself in CSV. */
const char	*cmd_time(const struct cmd_ctx *c, char *dst, size_t size,
		    const char *iso);
/* Names close to one that was not found, from /api/v1/search: a
 * malloc'd line "did you mean: a, b, c?" or NULL. */
char		*cmd_near_hosts(struct cmd_ctx *c, const char *name);

/* cmd_alert.c: an alert id from the command line, or -1 after saying
 * what is wrong with it. */
int64_t		 cmd_alert_id(const char *cmd, const char *s);

/* cmd_host.c: the open alerts of a host, when this collector keeps
 * them: "open alerts:" and a line each. */
void		 cmd_host_alerts(struct cmd_ctx *c, const char *name);

/* cmd_*.c */
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_host_entry;
extern const struct cmd_entry cmd_asset_entry;
extern const struct cmd_entry cmd_hosts_entry;
extern const struct cmd_entry cmd_search_entry;
extern const struct cmd_entry cmd_dc_entry;
extern const struct cmd_entry cmd_alerts_entry;
extern const struct cmd_entry cmd_alert_entry;
extern const struct cmd_entry cmd_ack_entry;
extern const struct cmd_entry cmd_eol_entry;
extern const struct cmd_entry cmd_person_entry;

/* person.c: the identity API's persons and accounts in words. */

/* "btuh\jsmith", its parts made safe apart (for a TABLE_SAFE column);
 * the caller frees it. */
char		*person_account_name(const json_t *account);
/* "enabled", "disabled", or "expired" once its expiry has passed. */
const char	*person_account_state(const json_t *account, int64_t now_ms);
/* The day an account expires, or "never". */
char		*person_expires(char *dst, size_t size, const json_t *account);
/* What made a person of GET /api/v1/persons?q= match q: "name",
 * "employee", "username", "upn" or "mail". */
const char	*person_matched(const json_t *person, const char *q);
/* "btuh\jsmith  meht\smithj (disabled)", safe as
 * person_account_name's; the caller frees it. */
char		*person_accounts_line(const json_t *accounts, int64_t now_ms);

/* dash.c: the interactive dashboard. */

struct dash_options {
	const struct api_options *api;
	int64_t		 refresh_ms;
	int		 readonly;	/* --readonly: no actions offered */
	int		 mouse;		/* --mouse: clicks and the wheel */
	int		 left_running;	/* out: a request was still in flight */
};
/* Runs the dashboard until q; returns the exit code. */
int		 dash_main(struct dash_options *o);

/* What a word (a state, a check status, a severity) says, for its colour. */
enum dash_tone {
	TONE_NONE = 0,
	TONE_GOOD,	/* UP, OK */
	TONE_WARN,	/* STALE, WARNING */
	TONE_ODD,	/* UNREACHABLE, UNKNOWN */
	TONE_BAD,	/* DOWN, CRITICAL */
	TONE_HEADING,
	TONE_DIM,
};
enum dash_tone	 dash_tone(const char *word);

/* A line of text on a page: safe (fmt_vis'd) text, and a span of it
 * shown in a tone. */
struct dash_line {
	char		*text;
	enum dash_tone	 tone;		/* of the whole line */
	size_t		 span_x;	/* columns */
	size_t		 span_w;	/* 0: none */
	enum dash_tone	 span_tone;
};

/* What a view shows: lines, then a table of selectable rows (or none: the
 * lines scroll as a document), then more lines. */
struct dash_page {
	struct dash_line *pre;
	size_t		  npre;
	struct table	 *table;
	char		**keys;		/* per row: what Enter opens */
	size_t		  tone_col;	/* the column whose word gives a tone,
					   or SIZE_MAX */
	const char	 *empty;	/* said when the table has no rows */
	struct dash_line *post;
	size_t		  npost;
	char		 *sort_header;	/* the sorted column's, marked */
	const char	 *plain_header;	/* what it was */
	size_t		  sort_col;	/* the column marked, or SIZE_MAX */
	size_t		 *order;	/* each row's place in the collector's
					   order, once sorted */
};

struct dash;
struct view;

struct view_entry {
	const char	*name;
	int		 tab;		/* '1'...: a tab; 0: opened from one */
	int		 filter;	/* \ filters it */
	/* Asks for the API paths it shows (dash_want). */
	void		(*want)(struct dash *, struct view *);
	/* Fills the page from what has been fetched. */
	void		(*build)(struct dash *, struct view *, struct dash_page *);
	/* Enter on the row with key. */
	void		(*open)(struct dash *, struct view *, const char *key);
	/* a acknowledges an alert: the selected row's key (a list) or the
	 * view's arg (one alert). */
	int		 ack;
};

struct view {
	const struct view_entry *e;
	char		*arg;		/* which datacentre, host, alert, text */
	char		*title;		/* for the tab bar; NULL: arg */
	char		*filter;	/* \ text, or NULL */
	char		*sel_key;	/* the selected row, kept across refreshes */
	size_t		 sel;
	size_t		 top;		/* first row (or line) shown */
	size_t		 sort_col;	/* SIZE_MAX: the collector's order */
	int		 sort_rev;
};

/* A path the current view needs; printf-style, already escaped. With
 * all_pages, a list is followed through its "next" pages into one. */
void		 dash_want(struct dash *d, int all_pages, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
/* The latest attempt for path (its doc is moved to the good one), or
 * NULL when nothing yet. */
const struct api_reply *dash_reply(struct dash *d, const char *path);
/* The latest good document for path, or NULL. */
json_t		*dash_good(struct dash *d, const char *path);
/* The document for path, or NULL after adding a line to the page that
 * says why not (loading, not available on this collector, the error). */
json_t		*dash_doc(struct dash *d, struct dash_page *p, const char *path,
		    const char *what);
/* Opens a view on top of the current one. */
void		 dash_push(struct dash *d, const struct view_entry *e,
		    const char *arg);
int64_t		 dash_now_ms(const struct dash *d);
/* Lines on a page; text is copied and made safe. */
struct dash_line *dash_line(struct dash_page *p, int post, enum dash_tone tone,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Gives the span of line that word occupies (first match) a tone. */
void		 dash_line_tone(struct dash_line *l, const char *word,
		    enum dash_tone tone);
/* A key-value line "label  value" in a document. */
void		 dash_kv(struct dash_page *p, const char *label,
		    const char *value);
/* A table's lines (header and rows) appended to a page's lines (post:
 * those after its table), the tone of tone_col's word on each row. */
void		 dash_table_lines(struct dash_page *p, int post,
		    struct table *t, size_t width, size_t tone_col);
/* The key of the table's last row (copied): call after each table_add. */
void		 dash_page_key(struct dash_page *p, const char *key);
size_t		 dash_width(const struct dash *d);

/* dash_sort.c: sorts the page's rows (and their keys) by a column, ties
 * (and a col past the last) in the collector's order; reverse keeps
 * absent values last. */
void		 dash_sort_page(struct dash_page *p, size_t col, int reverse);
/* How two cells compare: numbers with units, states by severity, else
 * as versions. */
int		 dash_sort_cmp(const char *a, const char *b);

/* view_*.c */
extern const struct view_entry view_overview;
extern const struct view_entry view_hosts;
extern const struct view_entry view_datacentre;
extern const struct view_entry view_host;
extern const struct view_entry view_alerts;
extern const struct view_entry view_alert;
extern const struct view_entry view_search;
extern const struct view_entry view_network;
extern const struct view_entry view_eol;
extern const struct view_entry view_identity;
extern const struct view_entry view_persons;
extern const struct view_entry view_person;

/* fetch.c: the dashboard's requests on a thread of their own. */
struct fetch_item {
	char			*path;
	struct api_reply	 reply;
	int64_t			 at_ms;		/* when it was answered */
};

struct fetch;

/* Starts the thread with its own connection. */
struct fetch	*fetch_start(const struct api_options *o, char *err,
		    size_t errlen);
/* Readable when results wait to be taken. */
int		 fetch_fd(const struct fetch *f);
int		 fetch_busy(struct fetch *f);
/* Hands a job of paths (copied) to the thread, all_pages[i] saying
 * whether to follow a list's "next" pages; -1 while it is busy with the
 * last one. */
int		 fetch_submit(struct fetch *f, char *const *paths,
		    const int *all_pages, size_t n);
/* The results so far, in order; the caller clears each and frees *out. */
size_t		 fetch_take(struct fetch *f, struct fetch_item **out);
void		 fetch_item_clear(struct fetch_item *it);
/* Hands one POST to the thread (path and body copied), made before any
 * job still waiting; its result comes back among the others with the
 * path "POST " path. -1 while another is under way. */
int		 fetch_post(struct fetch *f, const char *path,
		    const json_t *body);
/* Stops the thread, waiting at most wait_ms for a request in flight; -1
 * when it had to be left running (the process is about to end). */
int		 fetch_stop(struct fetch *f, int64_t wait_ms);

#endif
