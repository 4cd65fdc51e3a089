/* xmalloc.h: allocation helpers that never return NULL; out of memory is fatal. */
#ifndef WARD_XMALLOC_H
#define WARD_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

void	*xmalloc(size_t size);
void	*xcalloc(size_t nmemb, size_t size);
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

#endif
