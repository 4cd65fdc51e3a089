/* wjson.c: JSON parsing with size, depth and string-length limits checked
 * before jansson sees the text, and typed getters that name the field. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "common/wjson.h"
#include "common/xmalloc.h"

/* Longest field name shown in a message; str_vis adds "..." beyond it. */
#define WJSON_NAME_MAX	256

static int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decoded bytes of the escape starting at data[i] (the backslash), and how
 * many input bytes it spans in *span. Malformed escapes count as one byte;
 * jansson rejects them afterwards.
 */
static size_t
escape_length(const char *data, size_t len, size_t i, size_t *span)
{
	unsigned	cp = 0;
	size_t		k;
	int		h;

	*span = 2;
	if (i + 1 >= len || data[i + 1] != 'u' || i + 6 > len)
		return 1;
	for (k = 2; k < 6; k++) {
		if ((h = hex_value((unsigned char)data[i + k])) == -1)
			return 1;
		cp = cp * 16 + (unsigned)h;
	}
	*span = 6;
	if (cp >= 0xd800 && cp <= 0xdbff)
		return 4;	/* the whole pair; the low half counts 0 */
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return 0;
	if (cp < 0x80)
		return 1;
	if (cp < 0x800)
		return 2;
	return 3;
}

/*
 * One pass over the raw text, so a hostile document is refused before
 * jansson recurses into it or allocates for it. Brackets inside strings do
 * not count; string lengths are decoded lengths (escapes expanded).
 */
static int
prescan(const char *data, size_t len, const struct wjson_limits *limits,
    char *err, size_t errlen)
{
	size_t	i, span, start = 0, slen = 0;
	int	depth = 0, in_string = 0;

	for (i = 0; i < len; i++) {
		char	c = data[i];

		if (in_string) {
			if (c == '"') {
				in_string = 0;
				continue;
			}
			if (c == '\\') {
				slen += escape_length(data, len, i, &span);
				i += span - 1;
			} else
				slen++;
			if (slen > limits->max_string) {
				snprintf(err, errlen, "string at byte %zu is "
				    "longer than %zu bytes", start,
				    limits->max_string);
				return -1;
			}
			continue;
		}
		switch (c) {
		case '"':
			in_string = 1;
			start = i;
			slen = 0;
			break;
		case '[':
		case '{':
			if (++depth > limits->max_depth) {
				snprintf(err, errlen, "nesting deeper than %d "
				    "at byte %zu", limits->max_depth, i);
				return -1;
			}
			break;
		case ']':
		case '}':
			/* Unbalanced closers are jansson's to report. */
			if (depth > 0)
				depth--;
			break;
		}
	}
	return 0;
}

/*
 * jansson quotes the offending input in its messages, so they go through
 * str_vis; backslashes are kept, as its own text uses them ("\\u0000").
 */
static void
vis_message(char *dst, size_t size, const char *msg)
{
	char		 seg[JSON_ERROR_TEXT_LENGTH];
	char		 vis[sizeof seg * 4];
	const char	*bs;
	size_t		 n;

	dst[0] = '\0';
	for (;;) {
		bs = strchr(msg, '\\');
		n = bs == NULL ? strlen(msg) : (size_t)(bs - msg);
		if (n >= sizeof seg)
			n = sizeof seg - 1;
		memcpy(seg, msg, n);
		seg[n] = '\0';
		str_append(dst, str_vis(vis, sizeof vis, seg), size);
		if (bs == NULL)
			break;
		str_append(dst, "\\", size);
		msg = bs + 1;
	}
}

json_t *
wjson_parse(const char *data, size_t len, const struct wjson_limits *limits,
    char *err, size_t errlen)
{
	static const struct wjson_limits defaults = WJSON_LIMITS_DEFAULT;
	json_error_t	 jerr;
	json_t		*doc;
	char		 text[sizeof jerr.text * 4 + 4];

	if (limits == NULL)
		limits = &defaults;
	if (data == NULL)
		data = "";
	if (len > limits->max_bytes) {
		snprintf(err, errlen, "document is %zu bytes, limit %zu", len,
		    limits->max_bytes);
		return NULL;
	}
	if (prescan(data, len, limits, err, errlen) == -1)
		return NULL;

	/*
	 * No JSON_ALLOW_NUL, so "\u0000" is refused; no
	 * JSON_DISABLE_EOF_CHECK, so trailing garbage is. Any top-level value
	 * is accepted: callers check the type they expect.
	 */
	doc = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	    &jerr);
	if (doc == NULL) {
		vis_message(text, sizeof text, jerr.text);
		snprintf(err, errlen, "line %d column %d: %s", jerr.line,
		    jerr.column, text);
		return NULL;
	}
	return doc;
}

/* "path.key" (or "key"), made safe to print. */
static const char *
field_name(char *dst, size_t size, const char *path, const char *key)
{
	char	*raw;

	if (key == NULL)
		key = "(null)";
	if (path == NULL || *path == '\0')
		return str_vis(dst, size, key);
	xasprintf(&raw, "%s.%s", path, key);
	str_vis(dst, size, raw);
	free(raw);
	return dst;
}

/*
 * Finds key in obj. Returns 0 with *v set; 1 if absent or null and not
 * required; -1 if obj is not an object or a required key is absent. A
 * required null comes back as 0 so the caller's type check names it.
 */
static int
lookup(json_t *obj, const char *path, const char *key, int required,
    json_t **v, char *err, size_t errlen)
{
	char	objname[WJSON_NAME_MAX], name[WJSON_NAME_MAX];

	if (!json_is_object(obj)) {
		if (path == NULL || *path == '\0')
			str_copy(objname, "document", sizeof objname);
		else
			str_vis(objname, sizeof objname, path);
		snprintf(err, errlen, "%s: expected an object, got %s",
		    objname, wjson_type_name(obj));
		return -1;
	}
	*v = key == NULL ? NULL : json_object_get(obj, key);
	if (*v == NULL) {
		if (!required)
			return 1;
		/* Names are made only for messages: reading a valid
		 * document formats nothing. */
		field_name(name, sizeof name, path, key);
		snprintf(err, errlen, "%s: missing", name);
		return -1;
	}
	if (json_is_null(*v) && !required)
		return 1;
	return 0;
}

static int
wrong_type(const char *path, const char *key, const char *expected,
    const json_t *v, char *err, size_t errlen)
{
	char	 name[WJSON_NAME_MAX];

	snprintf(err, errlen, "%s: expected %s, got %s", field_name(name,
	    sizeof name, path, key), expected, wjson_type_name(v));
	return -1;
}

int
wjson_get_string(json_t *obj, const char *path, const char *key,
    int required, const char **out, char *err, size_t errlen)
{
	json_t	*v;
	int	 r;

	r = lookup(obj, path, key, required, &v, err, errlen);
	if (r != 0)
		return r;
	if (!json_is_string(v))
		return wrong_type(path, key, "a string", v, err, errlen);
	*out = json_string_value(v);
	return 0;
}

int
wjson_get_int(json_t *obj, const char *path, const char *key,
    int required, int64_t min, int64_t max, int64_t *out, char *err,
    size_t errlen)
{
	char		 name[WJSON_NAME_MAX];
	json_t		*v;
	json_int_t	 n;
	int		 r;

	r = lookup(obj, path, key, required, &v, err, errlen);
	if (r != 0)
		return r;
	/* Reals (1.5, and 1.0 too) and numeric strings are not integers. */
	if (!json_is_integer(v))
		return wrong_type(path, key, "an integer", v, err, errlen);
	n = json_integer_value(v);
	if ((int64_t)n < min || (int64_t)n > max) {
		snprintf(err, errlen, "%s: %" PRId64 " is out of range "
		    "(%" PRId64 "..%" PRId64 ")", field_name(name, sizeof name,
		    path, key), (int64_t)n, min, max);
		return -1;
	}
	*out = (int64_t)n;
	return 0;
}

int
wjson_get_number(json_t *obj, const char *path, const char *key,
    int required, double *out, char *err, size_t errlen)
{
	json_t	*v;
	int	 r;

	r = lookup(obj, path, key, required, &v, err, errlen);
	if (r != 0)
		return r;
	if (!json_is_number(v))
		return wrong_type(path, key, "a number", v, err, errlen);
	*out = json_number_value(v);
	return 0;
}

int
wjson_get_bool(json_t *obj, const char *path, const char *key,
    int required, int *out, char *err, size_t errlen)
{
	json_t	*v;
	int	 r;

	r = lookup(obj, path, key, required, &v, err, errlen);
	if (r != 0)
		return r;
	if (!json_is_boolean(v))
		return wrong_type(path, key, "a boolean", v, err, errlen);
	*out = json_is_true(v);
	return 0;
}

/* The object or array getters: the same lookup, then one type check. */
static int
get_container(json_t *obj, const char *path, const char *key, int required,
    json_type type, json_t **out, char *err, size_t errlen)
{
	json_t	*v;
	int	 r;

	r = lookup(obj, path, key, required, &v, err, errlen);
	if (r != 0)
		return r;
	if (json_typeof(v) != type)
		return wrong_type(path, key, type == JSON_OBJECT ? "an object" :
		    "an array", v, err, errlen);
	*out = v;
	return 0;
}

int
wjson_get_object(json_t *obj, const char *path, const char *key,
    int required, json_t **out, char *err, size_t errlen)
{
	return get_container(obj, path, key, required, JSON_OBJECT, out, err,
	    errlen);
}

int
wjson_get_array(json_t *obj, const char *path, const char *key,
    int required, json_t **out, char *err, size_t errlen)
{
	return get_container(obj, path, key, required, JSON_ARRAY, out, err,
	    errlen);
}

const char *
wjson_type_name(const json_t *v)
{
	if (v == NULL)
		return "nothing";
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "integer";
	case JSON_REAL:
		return "real";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	case JSON_NULL:
		return "null";
	}
	return "unknown";
}

char *
wjson_dump(const json_t *v)
{
	char	*s;

	/* UTF-8 is kept as is (no JSON_ENSURE_ASCII); scalars are allowed. */
	if (v == NULL ||
	    (s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
		return xstrdup("null");
	return s;
}
