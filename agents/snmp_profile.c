/* snmp_profile.c: the device families ward-netpoll recognises from
 * sysObjectID and sysDescr, one table line each, and their versions. */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "common/str.h"
#include "agents/agent.h"

/*
 * Most specific first: IOS-XE and NX-OS before classic IOS (IOS-XE's
 * sysDescr also says "Cisco IOS Software"). enterprise is the
 * sysObjectID prefix (the vendor's enterprise number under
 * 1.3.6.1.4.1), descr_has a text sysDescr must contain, descr_lacks one
 * it must not, version_after the text the version follows.
 */
const struct snmp_profile snmp_profiles[] = {
	/* id		vendor		product		kind	os
	 * enterprise	descr_has	descr_lacks	version_after */
	{ "cisco-ios-xe", "Cisco", "Cisco IOS XE", "switch", 0,
	  "1.3.6.1.4.1.9.", "IOS-XE", NULL, "Version " },
	{ "cisco-ios-xe", "Cisco", "Cisco IOS XE", "switch", 0,
	  "1.3.6.1.4.1.9.", "IOS XE", NULL, "Version " },
	{ "cisco-ios-xe", "Cisco", "Cisco IOS XE", "switch", 0,
	  "1.3.6.1.4.1.9.", "IOSXE", NULL, "Version " },
	{ "cisco-nx-os", "Cisco", "Cisco NX-OS", "switch", 0,
	  "1.3.6.1.4.1.9.", "NX-OS", NULL, "Version " },
	{ "cisco-ios", "Cisco", "Cisco IOS", "switch", 0,
	  "1.3.6.1.4.1.9.", "IOS", NULL, "Version " },
	{ "aruba-aos-cx", "HPE Aruba", "ArubaOS-CX", "switch", 0,
	  "1.3.6.1.4.1.47196.", NULL, NULL, "FL." },
	{ "aruba-aos-s", "HPE Aruba", "ArubaOS-Switch", "switch", 0,
	  "1.3.6.1.4.1.11.2.3.7.11.", "Aruba", NULL, "revision " },
	{ "hpe-procurve", "HPE", "HPE ProCurve", "switch", 0,
	  "1.3.6.1.4.1.11.2.3.7.11.", NULL, NULL, "revision " },
	{ "junos", "Juniper", "Junos OS", "switch", 0,
	  "1.3.6.1.4.1.2636.", NULL, NULL, "JUNOS " },
	{ "dell-os10", "Dell", "Dell SmartFabric OS10", "switch", 0,
	  "1.3.6.1.4.1.674.11000.5000.100.", NULL, NULL, "OS Version: " },
	{ "dell-os10", "Dell", "Dell SmartFabric OS10", "switch", 0,
	  NULL, "OS10", NULL, "OS Version: " },
	{ "dell-ftos", "Dell", "Dell Networking OS", "switch", 0,
	  "1.3.6.1.4.1.6027.", NULL, NULL, "Version: " },
	{ "dell-powerconnect", "Dell", "Dell PowerConnect", "switch", 0,
	  "1.3.6.1.4.1.674.10895.", NULL, NULL, NULL },
	{ "arista-eos", "Arista", "Arista EOS", "switch", 0,
	  "1.3.6.1.4.1.30065.", NULL, NULL, "EOS version " },
	{ "apc-aos", "APC", "APC Network Management Card", "ups", 0,
	  "1.3.6.1.4.1.318.", NULL, NULL, "PF:v" },
	{ "eaton-nmc", "Eaton", "Eaton Network Management Card", "ups", 0,
	  "1.3.6.1.4.1.534.", NULL, NULL, NULL },
	{ "eaton-nmc", "Eaton", "Eaton Network Management Card", "ups", 0,
	  "1.3.6.1.4.1.705.", NULL, NULL, NULL },
	{ "windows", "Microsoft", "Windows", "server", 1,
	  "1.3.6.1.4.1.311.", NULL, NULL, "Version " },
	{ "linux", "Linux", "Linux", "server", 1,
	  "1.3.6.1.4.1.8072.3.2.10", "Linux", NULL, NULL },
	{ NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL }
};

static const char *
snmp_strcasestr(const char *hay, const char *needle)
{
	size_t	 n = strlen(needle);

	for (; *hay != '\0'; hay++) {
		if (strncasecmp(hay, needle, n) == 0)
			return hay;
	}
	return NULL;
}

/* sysObjectID starts with the prefix: "1.3.6.1.4.1.9." matches
 * 1.3.6.1.4.1.9.1.516; a prefix without the dot matches exactly. */
static int
snmp_oid_text_prefix(const char *oid_text, const char *prefix)
{
	size_t	 n = strlen(prefix);

	if (*oid_text == '.')
		oid_text++;
	if (prefix[n - 1] != '.')
		return strcmp(oid_text, prefix) == 0;
	return strncmp(oid_text, prefix, n) == 0;
}

const struct snmp_profile *
snmp_profile_match(const char *sys_object_id, const char *sys_descr)
{
	const struct snmp_profile	*p;

	if (sys_object_id == NULL)
		sys_object_id = "";
	if (sys_descr == NULL)
		sys_descr = "";
	for (p = snmp_profiles; p->id != NULL; p++) {
		if (p->enterprise != NULL &&
		    !snmp_oid_text_prefix(sys_object_id, p->enterprise))
			continue;
		if (p->descr_has != NULL &&
		    snmp_strcasestr(sys_descr, p->descr_has) == NULL)
			continue;
		if (p->descr_lacks != NULL &&
		    snmp_strcasestr(sys_descr, p->descr_lacks) != NULL)
			continue;
		return p;
	}
	return NULL;
}

char *
snmp_profile_version(const struct snmp_profile *p, const char *sys_descr,
    char *buf, size_t size)
{
	const char	*s;
	size_t		 n = 0;

	if (size > 0)
		buf[0] = '\0';
	if (p == NULL || sys_descr == NULL || size == 0)
		return buf;
	if (p->version_after != NULL) {
		if ((s = snmp_strcasestr(sys_descr, p->version_after)) == NULL)
			return buf;
		s += strlen(p->version_after);
	} else if (strcmp(p->id, "linux") == 0) {
		/* "Linux HOST 6.1.0-18-amd64 #1 SMP ...": the third word. */
		s = sys_descr;
		for (n = 0; n < 2 && s != NULL; n++) {
			s = strchr(s, ' ');
			if (s != NULL)
				while (*s == ' ')
					s++;
		}
		if (s == NULL)
			return buf;
	} else
		return buf;
	/* A version is letters, digits and . ( ) - _ ; it ends at anything
	 * else (",", space, end of line). */
	for (n = 0; s[n] != '\0' && n + 1 < size; n++) {
		if (!isalnum((unsigned char)s[n]) && strchr(".()-_",
		    s[n]) == NULL)
			break;
		buf[n] = s[n];
	}
	buf[n] = '\0';
	/* "12.2(55)SE10," keeps its parentheses; a trailing "." does not. */
	while (n > 0 && (buf[n - 1] == '.' || buf[n - 1] == '-'))
		buf[--n] = '\0';
	return buf;
}
