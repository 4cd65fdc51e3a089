/* xmalloc.h: allocation helpers that never return NULL; out of memory is fatal. */
#ifndef WARD_XMALLOC_H
#define WARD_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

void	*xmalloc(size_t size);
void	*xcalloc(size_t nmemb, size_t size);
/*
 * xcalloc for a table read before it is written (a hash table's probes):
 * zeroed by writing, so its pages are the process's own from the start.
 * calloc's fresh pages map the shared zero page when first read; the
 * first write to each then copies it and, while other threads run, stops
 * every processor to flush its TLB: one interrupt per page.
 */
void	*xcalloc_written(size_t nmemb, size_t size);
void	*xreallocarray(void *ptr, size_t nmemb, size_t size);
char	*xstrdup(const char *s);
char	*xstrndup(const char *s, size_t maxlen);
/* Returns the length of *ret, which the caller frees. */
int	 xasprintf(char **ret, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	 xvasprintf(char **ret, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));
/* Overwrites then frees a string that held a secret; NULL is a no-op. */
void	 xfree_secret(char *s);

/*
 * Arenas: many small allocations that live and end together (an index's
 * keys and lists, a run's identifier values), taken in turn from blocks
 * of 64 KiB and freed at once. A request of more than a quarter of a
 * block gets a block of its own, put behind the one being filled, which
 * keeps its room. *a starts NULL.
 */
struct xarena;
/* size bytes, aligned for any type. */
void	*xarena_alloc(struct xarena **a, size_t size);
/* s[0..len) and a NUL. */
char	*xarena_strndup(struct xarena **a, const char *s, size_t len);
void	 xarena_free(struct xarena *a);

#endif
