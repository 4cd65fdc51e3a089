/* wtime.h: time helpers: ISO-8601 UTC, the monotonic clock, Windows FILETIME. */
#ifndef WARD_WTIME_H
#define WARD_WTIME_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define WTIME_ISO8601_LEN	32	/* "2026-11-23T14:03:05.123Z" and NUL */

/* Milliseconds since the Unix epoch, wall clock. */
int64_t	 wtime_now_ms(void);
/* Milliseconds from an arbitrary origin that never goes backwards. */
int64_t	 wtime_mono_ms(void);
void	 wtime_sleep_ms(int64_t ms);

/* "2026-11-23T14:03:05Z" (ms == 0 fraction omitted) or with ".123Z". */
char	*wtime_format_iso8601(char *dst, size_t size, int64_t unix_ms);
/*
 * Parses RFC 3339 / ISO-8601: "2026-11-23T14:03:05Z",
 * "2026-11-23T14:03:05.123456+01:00", "2026-11-23 14:03:05Z", and the date
 * alone "2026-11-23" (midnight UTC). Validates field ranges including leap
 * days. Returns 0 and sets *out_ms, or -1 with err.
 */
int	 wtime_parse_iso8601(const char *s, int64_t *out_ms, char *err,
	    size_t errlen);
/* Days since epoch for a civil UTC date, and back (no time zone, no libc). */
int64_t	 wtime_days_from_civil(int y, unsigned m, unsigned d);
void	 wtime_civil_from_days(int64_t days, int *y, unsigned *m, unsigned *d);

/*
 * Windows FILETIME: 100 ns intervals since 1601-01-01 UTC, as AD stores
 * accountExpires, pwdLastSet, lastLogonTimestamp.
 */
#define WTIME_FILETIME_NEVER	INT64_MAX	/* 0x7FFFFFFFFFFFFFFF */
#define WTIME_FILETIME_UNIX_EPOCH	116444736000000000LL

/* FILETIME -> Unix ms (floor). Values before 1970 give negative ms. */
int64_t	 wtime_filetime_to_unix_ms(int64_t filetime);
int64_t	 wtime_unix_ms_to_filetime(int64_t unix_ms);
/* accountExpires: 0 and 0x7FFFFFFFFFFFFFFF both mean never. */
int	 wtime_filetime_is_never(int64_t filetime);

#endif
