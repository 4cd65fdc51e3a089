/* str.h: string helpers: copying, trimming, parsing numbers, sizes, durations. */
#ifndef WARD_STR_H
#define WARD_STR_H

#include <stddef.h>
#include <stdint.h>

/* Copies with truncation; returns strlen(src) like strlcpy. */
size_t	 str_copy(char *dst, const char *src, size_t size);
/* Appends; returns the length it tried to create, like strlcat. */
size_t	 str_append(char *dst, const char *src, size_t size);
/* Trims ASCII whitespace at both ends in place; returns s. */
char	*str_trim(char *s);
int	 str_has_prefix(const char *s, const char *prefix);
int	 str_has_suffix(const char *s, const char *suffix);
/* Case-insensitive ASCII equality. */
int	 str_eq_nocase(const char *a, const char *b);
/* Is s[0..len) UTF-8? ASCII (most text) is told without libunistring. */
int	 str_utf8(const char *s, size_t len);

/*
 * Writes s into dst for safe display in logs and terminals: control bytes,
 * DEL, backslash and invalid UTF-8 become \xNN escapes; output truncated
 * with "..." if it does not fit. Returns dst.
 */
char	*str_vis(char *dst, size_t size, const char *s);
/* The same for text a person reads, where a backslash is one (as in
 * DOMAIN\NAME) and is kept: an escape then cannot be told from a "\x"
 * the text held, which reading can bear and parsing could not. */
char	*str_vis_text(char *dst, size_t size, const char *s);

/* "%text%" for SQL's LIKE ... ESCAPE '\', text's %, _ and \ escaped
 * (caller frees): what a person types is matched literally. */
char	*str_like_pattern(const char *text);

/*
 * Whether a spreadsheet opening a CSV file would take the cell s for a
 * formula and run it: it starts with =, +, -, @, a tab or a CR and is not
 * a number (-139 is one). Such a cell is written after a '.
 */
int	 str_csv_formula(const char *s);

/*
 * Parsers: return 0 and set *out, or -1 with a reason in err. Whole string
 * must parse; leading/trailing whitespace is an error.
 */
int	 str_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out,
	    char *err, size_t errlen);
/* yes/no, true/false, on/off, 1/0 (case-insensitive). */
int	 str_parse_bool(const char *s, int *out, char *err, size_t errlen);
/* "90", "90s", "1500ms", "5m", "2h", "7d" -> milliseconds. */
int	 str_parse_duration_ms(const char *s, int64_t *out, char *err,
	    size_t errlen);
/* "4096", "512k", "10M", "2G" (powers of 1024; "KiB"/"MB" forms too). */
int	 str_parse_size(const char *s, int64_t *out, char *err, size_t errlen);
/* Formats a duration/size as the parsers accept it ("5m", "10M"). */
char	*str_format_duration_ms(char *dst, size_t size, int64_t ms);
char	*str_format_size(char *dst, size_t size, int64_t bytes);

/* Splits on any of seps, skipping empty fields; returns count, *out freed
 * with str_list_free. */
size_t	 str_split(const char *s, const char *seps, char ***out);
void	 str_list_free(char **list, size_t n);

#endif
