/* test_idsync_decode.c: the decoders of Active Directory values: GUID byte
 * order, SID layout, FILETIME and its "never" values, userAccountControl,
 * proxyAddresses, ranged attribute names and generalized time. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/xmalloc.h"

#include "idsync/idsync.h"
#include "tests/unit/testutil.h"

static void
test_guid(void **state)
{
	/* The first three fields are stored little-endian. */
	static const unsigned char v[16] = {
		0x78, 0x56, 0x34, 0x12, 0x34, 0x12, 0x78, 0x56,
		0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
	};
	char	 s[DECODE_GUID_LEN], err[128];

	(void)state;
	assert_int_equal(decode_guid(v, 16, s, sizeof s, err, sizeof err), 0);
	assert_string_equal(s, "12345678-1234-5678-1234-56789abcdef0");
	assert_int_equal(decode_guid(v, 15, s, sizeof s, err, sizeof err), -1);
	assert_contains(err, "15 bytes, not 16");
	assert_int_equal(decode_guid(v, 16, s, 10, err, sizeof err), -1);
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static void
test_sid(void **state)
{
	static const unsigned char admins[] = {
		0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
		0x20, 0x00, 0x00, 0x00, 0x20, 0x02, 0x00, 0x00,
	};
	unsigned char	 v[8 + 4 * 15];
	char		 s[DECODE_SID_LEN], err[128];
	size_t		 i;

	(void)state;
	assert_int_equal(decode_sid(admins, sizeof admins, s, sizeof s, err,
	    sizeof err), 0);
	assert_string_equal(s, "S-1-5-32-544");
	/* Room for exactly that, and one byte less. */
	memset(s, 'x', sizeof s);
	assert_int_equal(decode_sid(admins, sizeof admins, s, 13, err,
	    sizeof err), 0);
	assert_string_equal(s, "S-1-5-32-544");
	assert_int_equal(decode_sid(admins, sizeof admins, s, 12, err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "no room"));

	/* A domain user: S-1-5-21-x-y-z-rid, sub-authorities little-endian. */
	memset(v, 0, sizeof v);
	v[0] = 1;
	v[1] = 5;
	v[7] = 5;
	put32(v + 8, 21);
	put32(v + 12, 1004336348);
	put32(v + 16, 1177238915);
	put32(v + 20, 682003330);
	put32(v + 24, 4294967295U);
	assert_int_equal(decode_sid(v, 28, s, sizeof s, err, sizeof err), 0);
	assert_string_equal(s,
	    "S-1-5-21-1004336348-1177238915-682003330-4294967295");

	/* No sub-authority: the authority alone, with room for exactly
	 * that and one byte less; the largest written in decimal. */
	memset(v, 0, sizeof v);
	v[0] = 1;
	assert_int_equal(decode_sid(v, 8, s, 6, err, sizeof err), 0);
	assert_string_equal(s, "S-1-0");
	assert_int_equal(decode_sid(v, 8, s, 5, err, sizeof err), -1);
	assert_non_null(strstr(err, "no room"));
	memset(v + 4, 0xff, 4);
	assert_int_equal(decode_sid(v, 8, s, sizeof s, err, sizeof err), 0);
	assert_string_equal(s, "S-1-4294967295");

	/* An authority of 2^32 or more is written in hex. */
	memset(v, 0, sizeof v);
	v[0] = 1;
	v[2] = 0x01;
	assert_int_equal(decode_sid(v, 8, s, sizeof s, err, sizeof err), 0);
	assert_string_equal(s, "S-1-0x010000000000");

	/* The longest SID fits DECODE_SID_LEN. */
	memset(v, 0xff, sizeof v);
	v[0] = 1;
	v[1] = 15;
	assert_int_equal(decode_sid(v, sizeof v, s, sizeof s, err,
	    sizeof err), 0);
	assert_contains(s, "S-1-0xffffffffffff-4294967295-");

	assert_int_equal(decode_sid(admins, 7, s, sizeof s, err, sizeof err),
	    -1);
	assert_contains(err, "shorter than");
	assert_int_equal(decode_sid(admins, 15, s, sizeof s, err, sizeof err),
	    -1);
	assert_contains(err, "says it has 2 sub-authorities");
	memcpy(v, admins, sizeof admins);
	v[0] = 2;
	assert_int_equal(decode_sid(v, sizeof admins, s, sizeof s, err,
	    sizeof err), -1);
	assert_contains(err, "revision 2");
	v[0] = 1;
	v[1] = 16;
	for (i = 0; i < 8; i++)
		v[i + 2] = 0;
	assert_int_equal(decode_sid(v, 8 + 64, s, sizeof s, err, sizeof err),
	    -1);
	/* Too small a buffer is an error, not a truncated SID. */
	assert_int_equal(decode_sid(admins, sizeof admins, s, 10, err,
	    sizeof err), -1);
}

#define S(x)	x, sizeof(x) - 1

static void
test_int64(void **state)
{
	int64_t	 n;
	char	 err[128];

	(void)state;
	assert_int_equal(decode_int64(S("512"), &n, err, sizeof err), 0);
	assert_int_equal(n, 512);
	assert_int_equal(decode_int64(S("-1"), &n, err, sizeof err), 0);
	assert_int_equal(n, -1);
	assert_int_equal(decode_int64(S("9223372036854775807"), &n, err,
	    sizeof err), 0);
	assert_true(n == INT64_MAX);
	assert_int_equal(decode_int64(S("9223372036854775808"), &n, err,
	    sizeof err), -1);
	assert_int_equal(decode_int64(S(""), &n, err, sizeof err), -1);
	assert_int_equal(decode_int64(S(" 5"), &n, err, sizeof err), -1);
	assert_int_equal(decode_int64(S("+5"), &n, err, sizeof err), -1);
	assert_int_equal(decode_int64(S("5x"), &n, err, sizeof err), -1);
	assert_contains(err, "\"5x\": not an integer");
	assert_int_equal(decode_int64("5\0" "1", 3, &n, err, sizeof err), -1);
	/* Only len bytes are read: "12" of "123". */
	assert_int_equal(decode_int64("123", 2, &n, err, sizeof err), 0);
	assert_int_equal(n, 12);
}

static void
test_filetime(void **state)
{
	int64_t	 ms;
	int	 must;
	char	 err[128];

	(void)state;
	assert_int_equal(decode_filetime(S("116444736000000000"), &ms, err,
	    sizeof err), 0);
	assert_int_equal(ms, 0);
	/* Which is not "never": that is only 0 and the largest value. */
	assert_int_equal(decode_filetime(S("133000000000000000"), &ms, err,
	    sizeof err), 0);
	assert_int_equal(ms, 1655526400000LL);
	assert_int_equal(decode_filetime(S("0"), &ms, err, sizeof err), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(decode_filetime(S("9223372036854775807"), &ms, err,
	    sizeof err), 0);
	assert_true(ms == INT64_MAX);
	assert_int_equal(decode_filetime(S("-5"), &ms, err, sizeof err), -1);
	assert_contains(err, "negative");

	assert_int_equal(decode_account_expires(S("0"), &ms, err, sizeof err),
	    0);
	assert_true(ms == INT64_MAX);
	assert_int_equal(decode_account_expires(S("9223372036854775807"), &ms,
	    err, sizeof err), 0);
	assert_true(ms == INT64_MAX);
	assert_int_equal(decode_account_expires(S("133000000000000000"), &ms,
	    err, sizeof err), 0);
	assert_int_equal(ms, 1655526400000LL);

	assert_int_equal(decode_pwd_last_set(S("0"), &ms, &must, err,
	    sizeof err), 0);
	assert_int_equal(must, 1);
	assert_int_equal(decode_pwd_last_set(S("133000000000000000"), &ms,
	    &must, err, sizeof err), 0);
	assert_int_equal(must, 0);
	assert_int_equal(ms, 1655526400000LL);
}

static void
test_uac(void **state)
{
	uint32_t	 f;
	char		 s[512], err[128];

	(void)state;
	assert_int_equal(decode_uac(S("514"), &f, err, sizeof err), 0);
	assert_int_equal(f, 514);
	assert_true(f & DECODE_UAC_DISABLED);
	assert_string_equal(decode_uac_flags(f, s, sizeof s),
	    "disabled,normal-account");
	assert_int_equal(decode_uac(S("66048"), &f, err, sizeof err), 0);
	assert_string_equal(decode_uac_flags(f, s, sizeof s),
	    "normal-account,password-never-expires");
	/* Syntax INTEGER is signed: -1 is every bit. */
	assert_int_equal(decode_uac(S("-1"), &f, err, sizeof err), 0);
	assert_int_equal(f, 0xffffffffU);
	assert_contains(decode_uac_flags(f, s, sizeof s), ",0x");
	assert_string_equal(decode_uac_flags(0x80000000U, s, sizeof s),
	    "0x80000000");
	assert_string_equal(decode_uac_flags(0, s, sizeof s), "");
	assert_int_equal(decode_uac(S("4294967296"), &f, err, sizeof err), -1);
	assert_contains(err, "out of range");
	assert_int_equal(decode_uac(S("-2147483649"), &f, err, sizeof err),
	    -1);
	assert_int_equal(decode_uac(S("abc"), &f, err, sizeof err), -1);
	/* Truncation keeps a terminated string. */
	decode_uac_flags(0xffffffffU, s, 8);
	assert_int_equal(strlen(s), 7);
}

static void
test_proxy(void **state)
{
	struct decode_proxy	 p;
	char			 err[128];

	(void)state;
	assert_int_equal(decode_proxy(S("SMTP:Jo.Bloggs@btuh.test"), &p, err,
	    sizeof err), 0);
	assert_string_equal(p.type, "smtp");
	assert_int_equal(p.primary, 1);
	assert_int_equal(p.address_len, strlen("Jo.Bloggs@btuh.test"));
	assert_memory_equal(p.address, "Jo.Bloggs@btuh.test", p.address_len);
	assert_int_equal(decode_proxy(S("smtp:jo@meht.test"), &p, err,
	    sizeof err), 0);
	assert_int_equal(p.primary, 0);
	assert_string_equal(p.type, "smtp");
	/* Only the first colon separates the type. */
	assert_int_equal(decode_proxy(S("X500:/o=T/ou=A:B/cn=jo"), &p, err,
	    sizeof err), 0);
	assert_string_equal(p.type, "x500");
	assert_int_equal(p.address_len, strlen("/o=T/ou=A:B/cn=jo"));
	assert_int_equal(decode_proxy(S("Smtp:jo@btuh.test"), &p, err,
	    sizeof err), 0);
	assert_int_equal(p.primary, 0);
	assert_int_equal(decode_proxy(S("jo@btuh.test"), &p, err, sizeof err),
	    -1);
	assert_contains(err, "\"jo@btuh.test\" has no TYPE: prefix");
	assert_int_equal(decode_proxy(S(":jo@btuh.test"), &p, err, sizeof err),
	    -1);
	assert_int_equal(decode_proxy(S("SMTP:"), &p, err, sizeof err), -1);
	assert_contains(err, "empty");
	assert_int_equal(decode_proxy(S("SM TP:x"), &p, err, sizeof err), -1);
	assert_int_equal(decode_proxy(S("ABCDEFGHIJKLMNOPQ:x"), &p, err,
	    sizeof err), -1);
	assert_int_equal(decode_proxy("smtp:a\0b", 8, &p, err, sizeof err),
	    -1);
}

static void
test_range(void **state)
{
	struct decode_range	 r;
	char			 err[256];

	(void)state;
	assert_int_equal(decode_range(S("member;range=0-1499"), &r, err,
	    sizeof err), 0);
	assert_string_equal(r.name, "member");
	assert_int_equal(r.ranged, 1);
	assert_int_equal(r.low, 0);
	assert_int_equal(r.high, 1499);
	assert_int_equal(decode_range(S("member;range=1500-*"), &r, err,
	    sizeof err), 0);
	assert_int_equal(r.low, 1500);
	assert_int_equal(r.high, -1);
	assert_int_equal(decode_range(S("memberOf"), &r, err, sizeof err), 0);
	assert_string_equal(r.name, "memberOf");
	assert_int_equal(r.ranged, 0);
	assert_int_equal(decode_range(S("member;Range=5-10"), &r, err,
	    sizeof err), 0);
	assert_int_equal(r.ranged, 1);
	/* Other options stay in the name. */
	assert_int_equal(decode_range(S("userCertificate;binary;range=0-*"),
	    &r, err, sizeof err), 0);
	assert_string_equal(r.name, "userCertificate;binary");
	assert_int_equal(r.high, -1);
	assert_int_equal(decode_range(S("member;range=10-5"), &r, err,
	    sizeof err), -1);
	assert_contains(err, "member;range=10-5");
	assert_int_equal(decode_range(S("member;range="), &r, err,
	    sizeof err), -1);
	assert_int_equal(decode_range(S("member;range=0-"), &r, err,
	    sizeof err), -1);
	assert_int_equal(decode_range(S("member;range=-5"), &r, err,
	    sizeof err), -1);
	assert_int_equal(decode_range(S("member;range=0-1;range=2-*"), &r,
	    err, sizeof err), -1);
	assert_int_equal(decode_range(S("member;range=0-99999999999"), &r,
	    err, sizeof err), -1);
	assert_int_equal(decode_range(S(";range=0-1"), &r, err, sizeof err),
	    -1);
	assert_int_equal(decode_range(S("member;"), &r, err, sizeof err), -1);
	assert_int_equal(decode_range(S("mem ber"), &r, err, sizeof err), -1);
	assert_int_equal(decode_range(S(""), &r, err, sizeof err), -1);
}

static void
test_generalized_time(void **state)
{
	int64_t	 ms;
	char	 err[128];

	(void)state;
	assert_int_equal(decode_generalized_time(S("20261123140305.0Z"), &ms,
	    err, sizeof err), 0);
	assert_int_equal(ms, 1795442585000LL);
	assert_int_equal(decode_generalized_time(S("20261123140305Z"), &ms,
	    err, sizeof err), 0);
	assert_int_equal(ms, 1795442585000LL);
	assert_int_equal(decode_generalized_time(S("20261123140305.123Z"),
	    &ms, err, sizeof err), 0);
	assert_int_equal(ms, 1795442585123LL);
	assert_int_equal(decode_generalized_time(S("202611231403Z"), &ms, err,
	    sizeof err), 0);
	assert_int_equal(ms, 1795442580000LL);
	assert_int_equal(decode_generalized_time(S("20261123150305+0100"),
	    &ms, err, sizeof err), 0);
	assert_int_equal(ms, 1795442585000LL);
	assert_int_equal(decode_generalized_time(S("20240229000000Z"), &ms,
	    err, sizeof err), 0);
	assert_int_equal(decode_generalized_time(S("20230229000000Z"), &ms,
	    err, sizeof err), -1);
	assert_int_equal(decode_generalized_time(S("20261323140305Z"), &ms,
	    err, sizeof err), -1);
	assert_int_equal(decode_generalized_time(S("20261123140305"), &ms,
	    err, sizeof err), -1);
	assert_contains(err, "not a generalized time");
	assert_int_equal(decode_generalized_time(S("20261123140305.Z"), &ms,
	    err, sizeof err), -1);
	assert_int_equal(decode_generalized_time(S("20261123140305Zx"), &ms,
	    err, sizeof err), -1);
	assert_int_equal(decode_generalized_time(S("2026"), &ms, err,
	    sizeof err), -1);
}

/* The DirSync response control: SEQUENCE { flag, maxReturnLength,
 * cookie }, as Active Directory and Samba encode it. */
static void
test_dirsync(void **state)
{
	static const unsigned char ok[] = {
		0x30, 0x0e, 0x02, 0x01, 0x00, 0x02, 0x03, 0x10, 0x00, 0x00,
		0x04, 0x04, 'c', 0x00, 'k', 0xff,
	};
	/* "More", as a negative four-byte integer, and long-form lengths. */
	static const unsigned char more[] = {
		0x30, 0x81, 0x13, 0x02, 0x04, 0x80, 0x00, 0x00, 0x00, 0x02,
		0x01, 0x00, 0x04, 0x82, 0x00, 0x06, 'c', 'o', 'o', 'k', 'i',
		'e',
	};
	struct decode_dirsync	 ds;
	unsigned char		 bad[sizeof ok], *big;
	char			 err[128];
	size_t			 n;

	(void)state;
	assert_int_equal(decode_dirsync(ok, sizeof ok, &ds, err, sizeof err),
	    0);
	assert_int_equal(ds.flags, 0);
	assert_int_equal(ds.max_bytes, 0x100000);
	assert_int_equal(ds.cookie_len, 4);
	assert_memory_equal(ds.cookie, "c\0k\xff", 4);
	assert_ptr_equal(ds.cookie, ok + 12);
	assert_int_equal(decode_dirsync(more, sizeof more, &ds, err,
	    sizeof err), 0);
	assert_int_equal(ds.flags, INT32_MIN);
	assert_int_equal(ds.cookie_len, 6);

	/* Cut anywhere: refused, never read past the end. */
	for (n = 0; n < sizeof ok; n++)
		assert_int_equal(decode_dirsync(ok, n, &ds, err, sizeof err),
		    -1);
	assert_int_equal(decode_dirsync(ok, 0, &ds, err, sizeof err), -1);
	assert_contains(err, "cut short");
	memcpy(bad, ok, sizeof ok);
	bad[0] = 0x31;
	assert_int_equal(decode_dirsync(bad, sizeof bad, &ds, err,
	    sizeof err), -1);
	assert_contains(err, "tag 0x31, not 0x30");
	memcpy(bad, ok, sizeof ok);
	bad[1] = 0x80;
	assert_int_equal(decode_dirsync(bad, sizeof bad, &ds, err,
	    sizeof err), -1);
	assert_contains(err, "indefinite");
	/* The cookie as an integer. */
	memcpy(bad, ok, sizeof ok);
	bad[10] = 0x02;
	assert_int_equal(decode_dirsync(bad, sizeof bad, &ds, err,
	    sizeof err), -1);
	assert_contains(err, "its cookie");
	/* A zero-length integer. */
	memcpy(bad, ok, sizeof ok);
	bad[3] = 0x00;
	assert_int_equal(decode_dirsync(bad, sizeof bad, &ds, err,
	    sizeof err), -1);
	/* The sequence shorter than what it holds: bytes after the cookie. */
	memcpy(bad, ok, sizeof ok);
	bad[11] = 0x02;
	assert_int_equal(decode_dirsync(bad, sizeof bad, &ds, err,
	    sizeof err), -1);
	assert_contains(err, "after its cookie");
	/* Bytes after the sequence. */
	big = xmalloc(sizeof ok + 1);
	memcpy(big, ok, sizeof ok);
	big[sizeof ok] = 0;
	assert_int_equal(decode_dirsync(big, sizeof ok + 1, &ds, err,
	    sizeof err), -1);
	assert_contains(err, "1 bytes after it");
	free(big);

	/* A cookie over the cap. */
	n = DECODE_COOKIE_MAX + 1;
	big = xcalloc(1, n + 16);
	memcpy(big, "\x30\x84\x00\x01\x00\x0c\x02\x01\x00\x02\x01\x00"
	    "\x04\x83\x01\x00\x01", 17);
	assert_int_equal(decode_dirsync(big, 17 + n, &ds, err, sizeof err),
	    -1);
	assert_contains(err, "a cookie of 65537 bytes");
	free(big);
}

/* Search filters as RFC 4515 writes them, and what servers take besides
 * (spaces between the parts); each refused one says where. */
static void
test_filter(void **state)
{
	static const char *const good[] = {
		"(&(objectCategory=person)(objectClass=user))",
		"(&(objectClass=user)(!(userAccountControl:1.2.840.113556."
		    "1.4.803:=2)))",
		"(cn=*smith*)", "(cn=j*s*h)", "(mail=*)", "(cn=)",
		"(cn=a\\2ab\\28\\29\\5C)", "(userCertificate;binary=x)",
		"(cn:dn:2.4.6.8.10:=Dino)", "(o:dn:=Ace)", "(:caseExactMatch:=x)",
		"(:dn:2.4.6.8.10:=x)", "(sn~=smyth)", "(uSNChanged>=100)",
		"(uSNChanged<=100)", "(2.5.4.3=x)", "(&)", "(|)",
		"( & (a=b) (c=d) )", "(|(cn=a)(&(sn=b)(!(givenName=c))))",
		"(cn=John Smith)", "(cn=\xc3\xa9mile)",
		/* As libldap takes them too: an item without its
		 * parentheses, RFC 2254's escapes, spaces inside. */
		"objectClass=user", "cn=a ", "cn=*", "cn=a*b", "cn:dn:=a",
		":dn:2.5.13.5:=a", "(cn=a\\*b)", "(cn=a\\(b\\))",
		"(cn=a\\\\b)", "(! (cn=a))", "( cn=a)", "( &(cn=a))",
		"(&(cn=a)(sn=b) )", "(|(cn=a) (sn=b))", "(cn= a)",
	};
	static const struct {
		const char	*filter;
		const char	*why;
	} bad[] = {
		{ "(&(objectCategory=person)(objectClass=user)",
		  "')' expected at character 44" },
		{ " (cn=a)", "'(' expected at character 1" },
		{ "(cn=a) ", "text after the filter's last ')' at character 7" },
		{ " cn=a", "'(' expected at character 1" },
		{ "&(cn=a)(sn=b)", "'(' expected at character 1" },
		{ "!(cn=a)", "'(' expected at character 1" },
		{ "(!(cn=a) )", "')' expected at character 9" },
		{ "( (cn=a))", "an attribute name expected at character 3" },
		{ "(!)", "'(' expected at character 3" },
		{ "cn=a)(", "text after the filter's last ')'" },
		{ "(cn=a)(sn=b)", "text after the filter's last ')'" },
		{ "(cn =a)", "'=', '~=', '>=', '<=' or ':=' expected" },
		{ "(cn=a))", "text after the filter's last ')' at character 7" },
		{ "(cn=a(b))", "'(' in a value" },
		{ "(cn=a\\2)", "'\\' not followed by two hex digits" },
		{ "(cn=a\\zz)", "'\\' not followed by two hex digits" },
		{ "(=a)", "an attribute name expected at character 2" },
		{ "(cn~=a*)", "'*' in a value that takes none" },
		{ "(cn>a)", "'=', '~=', '>=', '<=' or ':=' expected" },
		{ "(:=a)", "an extensible match names an attribute or a "
		  "matching rule" },
		{ "(cn:=)", NULL },
		{ "(cn:dn=a)", "':=' expected" },
		{ "()", "an attribute name expected at character 2" },
		{ "(cn;=a)", "an attribute option expected" },
		{ "(!(a=b)(c=d))", "')' expected at character 8" },
		{ "(&(a=b)c=d)", "')' expected at character 8" },
		{ "", "empty" },
		{ "objectClass", "'=' expected at character 12" },
		{ "(cn", "'=' expected at character 4" },
	};
	char	 err[128], deep[220], nul[] = "(cn=a\0b)";
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		if (decode_filter_check(good[i], strlen(good[i]), err,
		    sizeof err) != 0)
			fail_msg("%s: %s", good[i], err);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (bad[i].why == NULL) {
			/* An empty value is one. */
			assert_int_equal(decode_filter_check(bad[i].filter,
			    strlen(bad[i].filter), err, sizeof err), 0);
			continue;
		}
		if (decode_filter_check(bad[i].filter, strlen(bad[i].filter),
		    err, sizeof err) != -1)
			fail_msg("%s: taken", bad[i].filter);
		if (strstr(err, bad[i].why) == NULL)
			fail_msg("%s: \"%s\", not \"%s\"", bad[i].filter, err,
			    bad[i].why);
	}
	assert_int_equal(decode_filter_check(nul, sizeof nul - 1, err,
	    sizeof err), -1);
	assert_string_equal(err, "a NUL byte at character 6");
	/* Nesting has a limit, not the stack's: 70 nots around one item. */
	for (i = 0; i < 70; i++) {
		deep[2 * i] = '(';
		deep[2 * i + 1] = '!';
		deep[145 + i] = ')';
	}
	memcpy(deep + 140, "(a=b)", 5);
	deep[215] = '\0';
	assert_int_equal(decode_filter_check(deep, strlen(deep), err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "filters nested too deep"));
	deep[2 * 60] = '\0';
	memmove(deep + 120, deep + 140, 5 + 60);
	deep[185] = '\0';
	assert_int_equal(decode_filter_check(deep, strlen(deep), err,
	    sizeof err), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guid),
		cmocka_unit_test(test_sid),
		cmocka_unit_test(test_int64),
		cmocka_unit_test(test_filetime),
		cmocka_unit_test(test_uac),
		cmocka_unit_test(test_proxy),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_generalized_time),
		cmocka_unit_test(test_dirsync),
		cmocka_unit_test(test_filter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
