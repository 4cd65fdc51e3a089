/* buf.c: a growable buffer that refuses to grow past its cap, so data from
 * the network cannot make us allocate without bound (after curl's dynbuf). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/xmalloc.h"

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

/* Makes room for len more bytes plus the NUL, or -1 if over the cap. */
static int
buf_reserve(struct buf *b, size_t len)
{
	size_t	 need, cap;

	if (len > SIZE_MAX - b->len - 1)
		return -1;
	need = b->len + len;
	if (b->max != 0 && need > b->max)
		return -1;
	if (need + 1 <= b->cap)
		return 0;
	cap = b->cap != 0 ? b->cap : 64;
	while (cap < need + 1)
		cap = cap > SIZE_MAX / 2 ? need + 1 : cap * 2;
	if (b->max != 0 && cap > b->max + 1)
		cap = b->max + 1;
	b->data = xreallocarray(b->data, 1, cap);
	b->cap = cap;
	return 0;
}

int
buf_room(struct buf *b, size_t len)
{
	return buf_reserve(b, len);
}

int
buf_append(struct buf *b, const void *data, size_t len)
{
	if (buf_reserve(b, len) == -1)
		return -1;
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_append_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_append_char(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

int
buf_append_uint(struct buf *b, unsigned long long v)
{
	char	 digits[24], *p = digits + sizeof digits;

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return buf_append(b, p, (size_t)(digits + sizeof digits - p));
}

int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list	 ap2;
	int	 n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || buf_reserve(b, (size_t)n) == -1)
		return -1;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

const char *
buf_cstr(const struct buf *b)
{
	return b->data != NULL ? b->data : "";
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		if (b->data != NULL)
			b->data[0] = '\0';
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

void
buf_reset(struct buf *b)
{
	buf_consume(b, b->len);
}

char *
buf_detach(struct buf *b, size_t *len)
{
	char	*p;

	if (b->data == NULL)
		p = xstrdup("");
	else
		p = b->data;
	if (len != NULL)
		*len = b->len;
	buf_init(b, b->max);
	return p;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b, b->max);
}
