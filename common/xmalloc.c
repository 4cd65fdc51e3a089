/* xmalloc.c: allocation that never returns NULL; running out of memory ends
 * the process with a message, since no caller could do better. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xmalloc.h"

void *
xmalloc(size_t size)
{
	void	*p;

	if (size == 0)
		fatalx("xmalloc: zero size");
	if ((p = malloc(size)) == NULL)
		fatalx("xmalloc: allocating %zu bytes: out of memory", size);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void	*p;

	if (size == 0 || nmemb == 0)
		fatalx("xcalloc: zero size");
	if ((p = calloc(nmemb, size)) == NULL)
		fatalx("xcalloc: allocating %zu * %zu bytes: out of memory",
		    nmemb, size);
	return p;
}

void *
xcalloc_written(size_t nmemb, size_t size)
{
	void	*p;

	p = xreallocarray(NULL, nmemb, size);
	memset(p, 0, nmemb * size);
	return p;
}

void *
xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	void	*p;

	if (nmemb == 0 || size == 0)
		fatalx("xreallocarray: zero size");
	if (SIZE_MAX / nmemb < size)
		fatalx("xreallocarray: %zu * %zu bytes overflows", nmemb, size);
	if ((p = realloc(ptr, nmemb * size)) == NULL)
		fatalx("xreallocarray: allocating %zu * %zu bytes: out of memory",
		    nmemb, size);
	return p;
}

char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		fatalx("xstrdup: out of memory");
	return p;
}

char *
xstrndup(const char *s, size_t maxlen)
{
	char	*p;

	if ((p = strndup(s, maxlen)) == NULL)
		fatalx("xstrndup: out of memory");
	return p;
}

int
xvasprintf(char **ret, const char *fmt, va_list ap)
{
	int	 n;

	n = vasprintf(ret, fmt, ap);
	if (n == -1)
		fatalx("xvasprintf: out of memory");
	return n;
}

int
xasprintf(char **ret, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = xvasprintf(ret, fmt, ap);
	va_end(ap);
	return n;
}

void
xfree_secret(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

struct xarena {
	struct xarena	*next;
	size_t		 size;		/* in units of max_align_t */
	size_t		 used;
	max_align_t	 data[];
};

#define XARENA_BLOCK	(64 * 1024)

void *
xarena_alloc(struct xarena **a, size_t size)
{
	struct xarena	*b = *a;
	size_t		 need, bsize;
	void		*p;

	if (size > SIZE_MAX - sizeof(max_align_t))
		fatalx("xarena_alloc: %zu bytes", size);
	need = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t);
	if (need == 0)
		need = 1;
	if (b == NULL || b->size - b->used < need) {
		bsize = XARENA_BLOCK / sizeof(max_align_t);
		if (need > bsize / 4)
			bsize = need;
		if (bsize > (SIZE_MAX - sizeof *b) / sizeof(max_align_t))
			fatalx("xarena_alloc: %zu bytes", size);
		b = xmalloc(sizeof *b + bsize * sizeof(max_align_t));
		b->size = bsize;
		b->used = 0;
		if (*a != NULL && bsize == need) {
			b->next = (*a)->next;
			(*a)->next = b;
		} else {
			b->next = *a;
			*a = b;
		}
	}
	p = &b->data[b->used];
	b->used += need;
	return p;
}

char *
xarena_strndup(struct xarena **a, const char *s, size_t len)
{
	char	*p = xarena_alloc(a, len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void
xarena_free(struct xarena *a)
{
	struct xarena	*next;

	for (; a != NULL; a = next) {
		next = a->next;
		free(a);
	}
}
