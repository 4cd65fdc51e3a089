/* buf.h: a growable byte buffer with a hard size cap, always NUL-terminated. */
#ifndef WARD_BUF_H
#define WARD_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;		/* NULL until first append; buf_cstr never is */
	size_t	 len;
	size_t	 cap;
	size_t	 max;		/* most bytes it may hold (excluding the NUL) */
};

/* max == 0 means no cap: only for buffers not filled from outside. */
void	 buf_init(struct buf *b, size_t max);
/* Returns 0, or -1 if the result would exceed max (b is unchanged). */
int	 buf_append(struct buf *b, const void *data, size_t len);
int	 buf_append_str(struct buf *b, const char *s);
int	 buf_append_char(struct buf *b, char c);
/* Room for len more bytes made now, not by doubling as they come: 0, or
 * -1 if that would exceed max (b is unchanged). */
int	 buf_room(struct buf *b, size_t len);
/* v in decimal, as printf's "%llu" writes it, without printf. */
int	 buf_append_uint(struct buf *b, unsigned long long v);
int	 buf_printf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	 buf_vprintf(struct buf *b, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));
const char *buf_cstr(const struct buf *b);
/* Drops the first n bytes. */
void	 buf_consume(struct buf *b, size_t n);
void	 buf_reset(struct buf *b);
/* Hands the data (NUL-terminated, never NULL) to the caller; b is reset. */
char	*buf_detach(struct buf *b, size_t *len);
void	 buf_free(struct buf *b);

#endif
