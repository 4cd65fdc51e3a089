/* wjson.h: JSON over jansson with size and depth limits, and typed field
 * access whose errors name the field's path ("host.name: expected string"). */
#ifndef WARD_WJSON_H
#define WARD_WJSON_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct wjson_limits {
	size_t	max_bytes;	/* whole document */
	int	max_depth;	/* nesting of arrays/objects; 1 = flat scalar/container */
	size_t	max_string;	/* longest string value or key, in bytes */
};
#define WJSON_LIMITS_DEFAULT { 1024 * 1024, 32, 64 * 1024 }

/*
 * Parses len bytes (need not be NUL-terminated). Rejects oversize input
 * and excessive depth before handing the text to jansson; rejects duplicate
 * keys, invalid UTF-8, NUL in strings and trailing garbage. Any top-level
 * value is accepted. limits NULL means WJSON_LIMITS_DEFAULT. Returns the
 * document (caller json_decref's it) or NULL with err naming "line L column
 * C" or the limit exceeded and its byte offset (counted from 0).
 */
json_t	*wjson_parse(const char *data, size_t len,
	    const struct wjson_limits *limits, char *err, size_t errlen);

/*
 * Typed getters on an object. path is the caller's name for obj in error
 * messages ("report", "report.host"). Return 0 and set *out; 1 if the key
 * is absent or null and !required (out untouched); -1 with err like
 * "report.host.name: expected a string, got integer" or
 * "report.seq: missing".
 */
int	 wjson_get_string(json_t *obj, const char *path, const char *key,
	    int required, const char **out, char *err, size_t errlen);
int	 wjson_get_int(json_t *obj, const char *path, const char *key,
	    int required, int64_t min, int64_t max, int64_t *out, char *err,
	    size_t errlen);
int	 wjson_get_number(json_t *obj, const char *path, const char *key,
	    int required, double *out, char *err, size_t errlen);
int	 wjson_get_bool(json_t *obj, const char *path, const char *key,
	    int required, int *out, char *err, size_t errlen);
int	 wjson_get_object(json_t *obj, const char *path, const char *key,
	    int required, json_t **out, char *err, size_t errlen);
int	 wjson_get_array(json_t *obj, const char *path, const char *key,
	    int required, json_t **out, char *err, size_t errlen);

/* "string", "integer", "object", ... for messages. */
const char *wjson_type_name(const json_t *v);
/* Serialises compactly into a malloc'd string (never NULL). */
char	*wjson_dump(const json_t *v);

#endif
