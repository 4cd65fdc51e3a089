/* idsync.h: ward-idsync's modules: reading the domains, decoding their
 * values, normalising and comparing names, matching accounts to persons,
 * the store (idsync.db), the plan and the exports. */
#ifndef WARD_IDSYNC_H
#define WARD_IDSYNC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ------------------------------------------------------------ decode.c */

#define DECODE_GUID_LEN		37	/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" */
#define DECODE_SID_LEN		192	/* "S-1-" and up to 15 sub-authorities */

#define DECODE_UAC_DISABLED		0x00000002
#define DECODE_UAC_LOCKOUT		0x00000010
#define DECODE_UAC_NORMAL		0x00000200
#define DECODE_UAC_DONT_EXPIRE		0x00010000
#define DECODE_UAC_PASSWORD_EXPIRED	0x00800000

struct decode_proxy {
	char		 type[16];	/* lower case: "smtp", "x500", "sip" */
	int		 primary;	/* the type was upper case ("SMTP:") */
	const char	*address;	/* into the value, not NUL-terminated */
	size_t		 address_len;
};

struct decode_range {
	char		 name[128];	/* the description without ;range= */
	int		 ranged;
	int64_t		 low;
	int64_t		 high;		/* -1: "*", the last piece */
};

/* Every decoder takes the value's bytes and length (no NUL needed) and
 * returns 0, or -1 with err saying what is wrong with it. */
int	 decode_guid(const unsigned char *v, size_t len, char *dst,
	    size_t size, char *err, size_t errlen);
int	 decode_sid(const unsigned char *v, size_t len, char *dst, size_t size,
	    char *err, size_t errlen);
int	 decode_int64(const char *v, size_t len, int64_t *out, char *err,
	    size_t errlen);
/* FILETIME -> Unix ms; 0 stays 0 and 0x7FFF... gives INT64_MAX. */
int	 decode_filetime(const char *v, size_t len, int64_t *unix_ms,
	    char *err, size_t errlen);
/* accountExpires: never (0 or 0x7FFF...) gives INT64_MAX. */
int	 decode_account_expires(const char *v, size_t len, int64_t *unix_ms,
	    char *err, size_t errlen);
int	 decode_pwd_last_set(const char *v, size_t len, int64_t *unix_ms,
	    int *must_change, char *err, size_t errlen);
int	 decode_uac(const char *v, size_t len, uint32_t *flags, char *err,
	    size_t errlen);
char	*decode_uac_flags(uint32_t flags, char *dst, size_t size);
int	 decode_proxy(const char *v, size_t len, struct decode_proxy *out,
	    char *err, size_t errlen);
int	 decode_range(const char *desc, size_t len, struct decode_range *out,
	    char *err, size_t errlen);
int	 decode_generalized_time(const char *v, size_t len, int64_t *unix_ms,
	    char *err, size_t errlen);

#endif
