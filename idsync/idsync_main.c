/* idsync_main.c: ward-idsync, the job that reconciles the Active Directory
 * domains into one identity per person: its configuration and commands. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cfg.h"
#include "common/cli.h"
#include "common/http.h"
#include "common/log.h"
#include "common/str.h"
#include "common/wtime.h"
#include "common/xmalloc.h"
#include "idsync/idsync.h"

/* Exit code of a run stopped by a threshold (ward-idsync(8), EXIT STATUS). */
#define IDSYNC_EXIT_THRESHOLD	2

struct idsync_config {
	struct cli_log_config	 log;
	struct idsync_section	 idsync;
	struct match_config	 match;
	struct kind_config	 kinds;
	struct cfg_items	 domains;	/* struct domain_config */
	struct cfg_items	 compare;	/* struct compare_rule */
	struct cfg_items	 precedence;	/* struct precedence_rule */
	struct username_config	 username;
	struct target_config	 target;
};

static const char *const idsync_modes[] = { "plan", "apply", NULL };
/* By enum read_method. */
static const char *const idsync_read_methods[] = { "usn", "dirsync", NULL };

static const struct cfg_option idsync_options[] = {
	{ "database", CFG_PATH, WARD_LOCALSTATEDIR "/idsync.db", 0, 0, NULL,
	  0, offsetof(struct idsync_section, database),
	  "The SQLite database of accounts, persons, links, conflicts, "
	  "decisions and run history (created mode 0600). A run takes the "
	  "lock DATABASE.lock so that two runs never overlap." },
	{ "mode", CFG_ENUM, "plan", 0, 0, idsync_modes, 0,
	  offsetof(struct idsync_section, mode),
	  "plan: a run reads, matches and updates the database, and writes "
	  "nothing to any directory (like a staging server). apply: after "
	  "saving, a run also does what \"ward-idsync apply\" does: writes "
	  "each person's id to writeback_attribute of its accounts." },
	{ "writeback_attribute", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct idsync_section, writeback_attribute),
	  "The attribute of each source account that apply sets to its "
	  "person's id (a UUID, as text), so that a directory synchroniser "
	  "can join one person's accounts on it: e.g. extensionAttribute10 "
	  "(Exchange's schema) or msDS-cloudExtensionAttribute10 (Windows "
	  "Server 2012's). Only primary accounts get a value; the attribute "
	  "must be single-valued text, and no attribute ward-idsync reads. A "
	  "value ward-idsync did not write is left alone. Unset: no "
	  "write-back." },
	{ "max_creates", CFG_INT, "0", 0, 100000000, NULL, 0,
	  offsetof(struct idsync_section, max_creates),
	  "Stop a run (exit 2, nothing changed) that would make more new "
	  "persons than this; 0: no limit." },
	{ "max_creates_percent", CFG_INT, "0", 0, 100000, NULL, 0,
	  offsetof(struct idsync_section, max_creates_percent),
	  "Stop a run that would make more new persons than this percentage "
	  "of the persons there are; 0: no limit. Percentages do not apply "
	  "to the first run." },
	{ "max_modifies", CFG_INT, "0", 0, 100000000, NULL, 0,
	  offsetof(struct idsync_section, max_modifies),
	  "Stop a run in which more accounts than this changed; 0: no "
	  "limit." },
	{ "max_modifies_percent", CFG_INT, "0", 0, 100, NULL, 0,
	  offsetof(struct idsync_section, max_modifies_percent),
	  "The same as a percentage of the accounts there were." },
	{ "max_deletes", CFG_INT, "500", 0, 100000000, NULL, 0,
	  offsetof(struct idsync_section, max_deletes),
	  "Stop a run in which more accounts are gone from the directories "
	  "and persons left with no account, together, than this: a wrong "
	  "filter or base must not unlink everyone. 0: no limit." },
	{ "max_disables", CFG_INT, "500", 0, 100000000, NULL, 0,
	  offsetof(struct idsync_section, max_disables),
	  "Stop a run in which more persons than this become leavers (every "
	  "account disabled or expired), and an apply that would disable more "
	  "target entries: a misread flag must not disable everyone. 0: no "
	  "limit." },
	{ "max_disables_percent", CFG_INT, "10", 0, 100, NULL, 0,
	  offsetof(struct idsync_section, max_disables_percent),
	  "The same as a percentage of the persons, or of the target's "
	  "entries." },
	{ "max_deletes_percent", CFG_INT, "10", 0, 100, NULL, 0,
	  offsetof(struct idsync_section, max_deletes_percent),
	  "The same as a percentage of the accounts and persons there "
	  "were." },
	CFG_OPTIONS_END
};

static const struct cfg_option domain_options[] = {
	{ "uri", CFG_LIST, NULL, 0, 0, NULL, CFG_REQUIRED,
	  offsetof(struct domain_config, uri),
	  "The domain controllers, tried in order until one answers: "
	  "ldaps://HOST[:PORT], or ldap://HOST[:PORT] with StartTLS." },
	{ "starttls", CFG_BOOL, "yes", 0, 0, NULL, 0,
	  offsetof(struct domain_config, starttls),
	  "Use StartTLS on ldap:// URIs. The certificate is always "
	  "verified, its name included." },
	{ "allow_plaintext", CFG_BOOL, "no", 0, 0, NULL, 0,
	  offsetof(struct domain_config, allow_plaintext),
	  "Allow ldap:// with starttls = no, which sends the bind password "
	  "in the clear. Only for loopback addresses (tests)." },
	{ "base", CFG_STRING, NULL, 0, 0, NULL, CFG_REQUIRED,
	  offsetof(struct domain_config, base),
	  "Where the accounts are, e.g. \"DC=btuh,DC=test\"." },
	{ "bind_dn", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct domain_config, bind_dn),
	  "The account to read as, e.g. \"CN=svc-ward,OU=Service "
	  "Accounts,DC=btuh,DC=test\"; unset: an anonymous bind. Give "
	  "bind_password_file with it." },
	{ "bind_password_file", CFG_SECRET, NULL, 0, 0, NULL, 0,
	  offsetof(struct domain_config, bind_password),
	  "A file holding bind_dn's password, readable by its owner only." },
	{ "ca_file", CFG_PATH, NULL, 0, 0, NULL, 0,
	  offsetof(struct domain_config, ca_file),
	  "The CA certificate(s) (PEM) the domain controllers' certificates "
	  "must chain to; unset: the system's trust store." },
	{ "filter", CFG_STRING, "(&(objectCategory=person)(objectClass=user))",
	  0, 0, NULL, 0, offsetof(struct domain_config, filter),
	  "Which entries under base are accounts: an LDAP filter (RFC "
	  "4515), checked when the configuration is read." },
	{ "attributes", CFG_LIST, NULL, 0, 0, NULL, 0,
	  offsetof(struct domain_config, attributes),
	  "This domain's own attributes. NAME=SOURCE: NAME, as matching, "
	  "consolidating and the state know it, is SOURCE in this domain "
	  "(employeeID=extensionAttribute1 where a trust kept its employee "
	  "numbers there; SOURCE then stands for NAME alone). NAME: read it "
	  "too, keep it with each account, and show it in \"ward-idsync "
	  "person\". objectGUID, objectSid, "
	  "userAccountControl, accountExpires, pwdLastSet, uSNChanged, "
	  "whenChanged, isDeleted and name are read as they are." },
	{ "page_size", CFG_INT, "500", 1, 100000, NULL, 0,
	  offsetof(struct domain_config, page_size),
	  "Entries asked for per page of the paged search. Active Directory "
	  "sends at most MaxPageSize (1000) whatever is asked." },
	{ "connect_timeout", CFG_DURATION, "10s", 1000, 300000, NULL, 0,
	  offsetof(struct domain_config, connect_timeout_ms),
	  "Give up connecting to one server (and, over ldaps://, on its TLS "
	  "handshake) after this long and try the next." },
	{ "timeout", CFG_DURATION, "2m", 1000, 3600000, NULL, 0,
	  offsetof(struct domain_config, timeout_ms),
	  "Give up on an answer (a bind, one entry of a page) after this "
	  "long; the run then fails and changes nothing." },
	{ "max_accounts", CFG_INT, "1000000", 1, 100000000, NULL, 0,
	  offsetof(struct domain_config, max_accounts),
	  "Most accounts read from the domain; more fails the run." },
	{ "incremental", CFG_BOOL, "yes", 0, 0, NULL, 0,
	  offsetof(struct domain_config, incremental),
	  "Read only what changed since the last run when the server can "
	  "tell (Active Directory: entries whose uSNChanged is above the "
	  "highestCommittedUSN of the last read, on the same domain "
	  "controller with the same invocationId; deletions seen as "
	  "tombstones through the Show Deleted control, for which bind_dn "
	  "needs List Contents and Read Property on CN=Deleted Objects). "
	  "Other servers are read in full, and the log says why. no: every "
	  "run reads in full." },
	{ "incremental_method", CFG_ENUM, "usn", 0, 0, idsync_read_methods, 0,
	  offsetof(struct domain_config, incremental_method),
	  "How incremental reads find what changed. usn: by uSNChanged and "
	  "tombstones, as above. dirsync: by the DirSync control, whose "
	  "cookie, saved with the state, says where the last read ended; "
	  "each object it names is read again whole by objectGUID, and "
	  "deletions come as tombstones. bind_dn then needs the Replicating "
	  "Directory Changes right (DS-Replication-Get-Changes) on the "
	  "domain's naming context, not CN=Deleted Objects; without it, or "
	  "when the domain controller refuses the saved cookie, the domain "
	  "is read in full, and the log says why (a warning for the "
	  "right)." },
	{ "full_read_interval", CFG_DURATION, "1d", 60000, 31536000000LL,
	  NULL, 0, offsetof(struct domain_config, full_read_interval_ms),
	  "Read in full again when the last full read is older than this: "
	  "changes that do not touch the account itself (memberOf, which "
	  "follows the groups' members) are seen then." },
	{ "writeback", CFG_BOOL, "yes", 0, 0, NULL, 0,
	  offsetof(struct domain_config, writeback),
	  "Whether apply writes [idsync] writeback_attribute in this domain. "
	  "bind_dn then needs Write Property on that attribute of user "
	  "objects." },
	CFG_OPTIONS_END
};

static const struct cfg_option match_options[] = {
	{ "link", CFG_STRING, "16", 0, 0, NULL, 0,
	  offsetof(struct match_config, link_text),
	  "Two accounts whose score is at least this, clearly above any "
	  "other candidate, are linked." },
	{ "review", CFG_STRING, "8", 0, 0, NULL, 0,
	  offsetof(struct match_config, review_text),
	  "A score from this up to link is a conflict for a person to "
	  "decide; the new account waits without a person meanwhile." },
	{ "margin", CFG_STRING, "4", 0, 0, NULL, 0,
	  offsetof(struct match_config, margin_text),
	  "When a runner-up in the same domain scores within this of the "
	  "best candidate, nothing is linked: a conflict." },
	{ "veto", CFG_STRING, "-20", 0, 0, NULL, 0,
	  offsetof(struct match_config, veto_text),
	  "One attribute weighing this or less (e.g. employeeID "
	  "disagreeing) keeps two accounts apart whatever else agrees." },
	{ "exact", CFG_LIST, "employeeID, mail, proxyAddresses", 0, 0, NULL,
	  0, offsetof(struct match_config, exact),
	  "Identifier attributes, in order: two accounts sharing a value of "
	  "one are linked unless something vetoes it. proxyAddresses "
	  "compares its smtp: addresses. Values are compared ignoring case." },
	{ "blocking", CFG_LIST, "surname-given, given-initial, mobile", 0, 0,
	  NULL, 0, offsetof(struct match_config, blocking),
	  "Which accounts are scored against each other: those sharing a "
	  "key of one of these kinds: surname-given (each word of sn with "
	  "the given name's initial, with its last two letters, and with "
	  "each formal name it is short for), surname (each word of sn "
	  "alone: every pair of a common surname, slow on large "
	  "directories), given-initial (the given name, or a formal name it "
	  "is short for, with sn's initial), mobile, phone (the last nine "
	  "digits), mail-local (the part before @). Several kinds, so that "
	  "one typo does not hide a match." },
	{ "nicknames", CFG_PATH, NULL, 0, 0, NULL, 0,
	  offsetof(struct match_config, nicknames),
	  "The nickname table; unset: the one installed with ward "
	  "(nicknames.txt in ward's data directory)." },
	{ "weights_file", CFG_PATH, NULL, 0, 0, NULL, 0,
	  offsetof(struct match_config, weights_file),
	  "Weights estimated from the data (\"ward-idsync estimate --write "
	  "FILE\"): its [compare] sections' weights take the place of the "
	  "configured ones, but a weight at or below veto, which stays; "
	  "unset: the configured weights." },
	{ "max_block", CFG_INT, "10000", 2, 1000000, NULL, 0,
	  offsetof(struct match_config, max_block),
	  "A blocking key shared by more accounts than this is not used (it "
	  "would compare too many pairs); the log says so." },
	CFG_OPTIONS_END
};

static const struct cfg_option compare_options[] = {
	{ "comparator", CFG_ENUM, NULL, 0, 0, compare_names, CFG_REQUIRED,
	  offsetof(struct compare_rule, comparator),
	  "How the attribute's values are compared: exact (but for case and "
	  "surrounding blanks); normalised (case, "
	  "accents, punctuation ignored); name (normalised, nicknames, one "
	  "name within the other, initials, typing slips partly); tokens "
	  "(the same words in any order; half of them partly); date (day and "
	  "month swapped partly); prefix (one starting the other partly); "
	  "digits (the last nine digits of telephone numbers)." },
	{ "agree", CFG_STRING, NULL, 0, 0, NULL, CFG_REQUIRED,
	  offsetof(struct compare_rule, agree_text),
	  "Weight added to the score when the values agree (a number)." },
	{ "partial", CFG_STRING, "0", 0, 0, NULL, 0,
	  offsetof(struct compare_rule, partial_text),
	  "Weight when they partly agree." },
	{ "disagree", CFG_STRING, NULL, 0, 0, NULL, CFG_REQUIRED,
	  offsetof(struct compare_rule, disagree_text),
	  "Weight when they disagree (usually negative)." },
	{ "missing", CFG_STRING, "0", 0, 0, NULL, 0,
	  offsetof(struct compare_rule, missing_text),
	  "Weight when either account has no value." },
	CFG_OPTIONS_END
};

static const struct cfg_option kind_options[] = {
	{ "admin_names", CFG_LIST, "adm-* admin-*", 0, 0, NULL, 0,
	  offsetof(struct kind_config, admin_names),
	  "sAMAccountName patterns (fnmatch, any case) of admin accounts: "
	  "linked to their owner's person as secondary accounts, never "
	  "starting a person of their own." },
	{ "admin_dn", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct kind_config, admin_dn),
	  "An extended regular expression (any case) that the DNs of admin "
	  "accounts match, e.g. \",OU=Admin Accounts,\"." },
	{ "service_names", CFG_LIST, "svc-* svc_*", 0, 0, NULL, 0,
	  offsetof(struct kind_config, service_names),
	  "sAMAccountName patterns of service accounts: never linked to a "
	  "person." },
	{ "service_dn", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct kind_config, service_dn),
	  "A regular expression the DNs of service accounts match." },
	{ "shared_names", CFG_LIST, NULL, 0, 0, NULL, 0,
	  offsetof(struct kind_config, shared_names),
	  "sAMAccountName patterns of shared accounts (a ward's, a "
	  "reception desk's): never linked to a person." },
	{ "shared_dn", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct kind_config, shared_dn),
	  "A regular expression the DNs of shared accounts match." },
	CFG_OPTIONS_END
};

static const struct cfg_option precedence_options[] = {
	{ "rule", CFG_ENUM, NULL, 0, 0, consolidate_rule_names, CFG_REQUIRED,
	  offsetof(struct precedence_rule, rule),
	  "latest: the value of the person's enabled account changed last "
	  "(a disabled account's only when no enabled one has a value). "
	  "agree: every account that has a value must have the same (but "
	  "for case and blanks); when they differ the person has none and "
	  "the run records a conflict of kind \"attribute\" naming the "
	  "accounts and their values. domains: the value of the first domain "
	  "in order that has one. mail-domains: the value (an address) "
	  "whose domain, after the @, comes first in order. Enabled accounts "
	  "always come before disabled ones; what is not in order comes "
	  "after what is, and a tie goes to the account changed last." },
	{ "order", CFG_LIST, NULL, 0, 0, NULL, 0,
	  offsetof(struct precedence_rule, order),
	  "For domains: [domain] names, most preferred first. For "
	  "mail-domains: mail domains, e.g. \"nhs.test btuh.test\"." },
	CFG_OPTIONS_END
};

static const struct cfg_option username_options[] = {
	{ "pattern", CFG_STRING, "%i%s", 0, 0, NULL, 0,
	  offsetof(struct username_config, pattern),
	  "The username each new person gets: %g the given name, %i its "
	  "first letter, %s the surname, %t its first letter, %e the "
	  "employeeID, %% a %; other characters (lower-case letters, digits, "
	  "'.', '-', '_') as they are. Names are the consolidated ones, "
	  "lower-cased and in ASCII (accents dropped, letters that do "
	  "not decompose, such as o-slash and sharp s, spelt out, blanks, "
	  "hyphens and apostrophes dropped). "
	  "When another person has it, the first number from 2 that makes it "
	  "unique is added. A person keeps the username they got, whatever "
	  "changes later (a new surname, another pattern)." },
	{ "max_length", CFG_INT, "20", 3, 64, NULL, 0,
	  offsetof(struct username_config, max_length),
	  "Usernames are cut to this many characters, the number included "
	  "(20 is sAMAccountName's limit)." },
	{ "upn_suffix", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct username_config, upn_suffix),
	  "The UPN is USERNAME@upn_suffix, e.g. \"group.test\"; unset: "
	  "persons have no UPN." },
	CFG_OPTIONS_END
};

static const struct cfg_option target_options[] = {
	{ "base", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct target_config, base),
	  "Where the entries go in the target directory, e.g. "
	  "\"OU=People,DC=group,DC=test\"; \"export --ldif\" and uri need "
	  "it." },
	{ "rdn", CFG_STRING, "uid", 0, 0, NULL, 0,
	  offsetof(struct target_config, rdn),
	  "The attribute that names each entry (its RDN): one of attributes' "
	  "targets. From the id or the username it never changes; from "
	  "another value (cn=display_name) apply renames the entry when the "
	  "value changes, which export --ldif cannot do and refuses." },
	{ "object_classes", CFG_LIST,
	  "top person organizationalPerson inetOrgPerson", 0, 0, NULL, 0,
	  offsetof(struct target_config, object_classes),
	  "The object classes of a new entry." },
	{ "attributes", CFG_LIST, "uid=username cn=display_name "
	  "displayName=display_name givenName=given_name sn=sn mail=mail "
	  "employeeNumber=employee_id", 0, 0, NULL, 0,
	  offsetof(struct target_config, attributes),
	  "The mapping: TARGET=SOURCE, the target directory's attribute and "
	  "the person's value it gets: id, username, upn, display_name, "
	  "given_name, sn, employee_id, mail, department, title, status "
	  "(active or leaver) or lifecycle. An empty value is left out of an "
	  "add and removed by a modify." },
	{ "leaver", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct target_config, leaver),
	  "ATTRIBUTE=VALUE set on the entries of leavers, e.g. "
	  "\"userAccountControl=514\" (an Active Directory account "
	  "disabled); unset: no flag." },
	{ "active", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct target_config, active),
	  "ATTRIBUTE=VALUE set on the entries of everyone else, e.g. "
	  "\"userAccountControl=512\", so that a leaver who comes back is "
	  "enabled again; unset: no flag." },
	{ "anchor", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct target_config, anchor),
	  "The attribute of an entry that holds its person's id, by which "
	  "apply finds the entry again however it was renamed; unset: the "
	  "target attributes maps from id. Entries under base without it "
	  "are someone else's and left alone." },
	{ "unique", CFG_LIST, NULL, 0, 0, NULL, 0,
	  offsetof(struct target_config, unique),
	  "Target attributes whose values must be unique in the target's "
	  "naming context, e.g. \"sAMAccountName userPrincipalName\": before "
	  "adding a person, apply looks for an entry holding the value, and "
	  "a person whose value is taken is not added (the output and the "
	  "log say by whom). Each must be one of attributes' targets." },
	{ "uri", CFG_LIST, NULL, 0, 0, NULL, 0,
	  offsetof(struct target_config, conn.uri),
	  "The target directory's servers, tried in order: ldaps://HOST[:PORT]"
	  ", or ldap://HOST[:PORT] with StartTLS. Set: apply provisions the "
	  "target (adds joiners, modifies, renames, sets the leaver flag on "
	  "leavers; never deletes). Unset: only export --ldif." },
	{ "starttls", CFG_BOOL, "yes", 0, 0, NULL, 0,
	  offsetof(struct target_config, conn.starttls),
	  "Use StartTLS on ldap:// URIs; the certificate is always "
	  "verified." },
	{ "allow_plaintext", CFG_BOOL, "no", 0, 0, NULL, 0,
	  offsetof(struct target_config, conn.allow_plaintext),
	  "Allow ldap:// with starttls = no. Only for loopback (tests)." },
	{ "bind_dn", CFG_STRING, NULL, 0, 0, NULL, 0,
	  offsetof(struct target_config, conn.bind_dn),
	  "The account that writes the entries: it needs to create, modify "
	  "and rename entries under base. Give bind_password_file with it." },
	{ "bind_password_file", CFG_SECRET, NULL, 0, 0, NULL, 0,
	  offsetof(struct target_config, conn.bind_password),
	  "A file holding bind_dn's password, readable by its owner only." },
	{ "ca_file", CFG_PATH, NULL, 0, 0, NULL, 0,
	  offsetof(struct target_config, conn.ca_file),
	  "The CA certificate(s) (PEM) the target's certificate must chain "
	  "to; unset: the system's trust store." },
	{ "page_size", CFG_INT, "500", 1, 100000, NULL, 0,
	  offsetof(struct target_config, conn.page_size),
	  "Entries asked for per page when the entries are read." },
	{ "connect_timeout", CFG_DURATION, "10s", 1000, 300000, NULL, 0,
	  offsetof(struct target_config, conn.connect_timeout_ms),
	  "Give up connecting to one server (and, over ldaps://, on its TLS "
	  "handshake) after this long and try the next." },
	{ "timeout", CFG_DURATION, "2m", 1000, 3600000, NULL, 0,
	  offsetof(struct target_config, conn.timeout_ms),
	  "Give up on an answer after this long." },
	CFG_OPTIONS_END
};

static const struct cfg_section idsync_sections[] = {
	{ "log", cli_log_options, 0, offsetof(struct idsync_config, log), 0,
	  "Logging." },
	{ "idsync", idsync_options, 0, offsetof(struct idsync_config, idsync),
	  0, "The database, the mode, and the thresholds that stop a run "
	  "which changes too much." },
	{ "domain", domain_options, CFG_SECTION_MULTI | CFG_SECTION_REQUIRED,
	  offsetof(struct idsync_config, domains),
	  sizeof(struct domain_config),
	  "One Active Directory domain to read; [domain \"NAME\"] names it "
	  "(letters, digits, '-', '_', '.'), as exports and reports do." },
	{ "match", match_options, 0, offsetof(struct idsync_config, match), 0,
	  "How accounts are matched to persons: decisions people made, the "
	  "links of earlier runs, exact identifiers, then the weighted score "
	  "of the [compare] sections." },
	{ "compare", compare_options, CFG_SECTION_MULTI,
	  offsetof(struct idsync_config, compare),
	  sizeof(struct compare_rule),
	  "One attribute of the score; [compare \"ATTRIBUTE\"] names the "
	  "attribute (givenName, sn, department, mobile, ...). The weights "
	  "are log-odds in the Fellegi-Sunter way: how much more often the "
	  "outcome is seen for one person's accounts than for two persons'." },
	{ "kinds", kind_options, 0, offsetof(struct idsync_config, kinds), 0,
	  "Which accounts are admin, service or shared accounts; the rest "
	  "are persons' own." },
	{ "precedence", precedence_options, CFG_SECTION_MULTI,
	  offsetof(struct idsync_config, precedence),
	  sizeof(struct precedence_rule),
	  "How one attribute of the consolidated identity is chosen among "
	  "the person's own accounts (its admin accounts only when it has "
	  "no other); [precedence \"ATTRIBUTE\"] names displayName, "
	  "givenName, sn, employeeID, mail, department or title. Without a "
	  "section: employeeID by agree, the others by latest. A "
	  "displayName left empty is givenName and sn." },
	{ "username", username_options, 0,
	  offsetof(struct idsync_config, username), 0,
	  "The consolidated identity's own unique username and UPN." },
	{ "target", target_options, 0, offsetof(struct idsync_config, target),
	  0, "The target directory that holds one entry per person: "
	  "provisioned by apply when uri is set, and described by \"export "
	  "--ldif\" as LDIF change records either way." },
	CFG_SECTIONS_END
};

static int
idsync_number(const char *what, const char *text, double *out, char *err,
    size_t errlen)
{
	char	*end;
	char	 vis[64];

	errno = 0;
	*out = strtod(text, &end);
	if (*text == '\0' || *end != '\0' || errno != 0 || !isfinite(*out)) {
		snprintf(err, errlen, "%s: \"%s\": not a number", what,
		    str_vis(vis, sizeof vis, text));
		return -1;
	}
	return 0;
}

/* An attribute name as LDAP has them: a letter, then letters, digits and
 * hyphens. */
static int
idsync_attr_ok(const char *s)
{
	size_t	 i;

	if (!isalpha((unsigned char)s[0]) || strlen(s) > 64)
		return 0;
	for (i = 1; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

/* Only loopback hosts may be read without TLS. */
static int
idsync_loopback(const char *uri)
{
	const char	*h = strstr(uri, "://");

	if (h == NULL)
		return 0;
	h += 3;
	return strncmp(h, "127.", 4) == 0 || strncmp(h, "[::1]", 5) == 0 ||
	    strncasecmp(h, "localhost", 9) == 0;
}

static int
idsync_validate_conn(const struct domain_config *d, const char *what,
    char *err, size_t errlen)
{
	const char	*u;
	char		 ca[160];
	size_t		 i;
	int		 kind;

	if (d->uri.count == 0) {
		snprintf(err, errlen, "%s uri: at least one URI is needed",
		    what);
		return -1;
	}
	/* Read at each connection: missing is an error now, not a TLS
	 * failure to diagnose at the run. */
	if (cfg_check_machine && d->ca_file != NULL) {
		snprintf(ca, sizeof ca, "%s ca_file", what);
		if (http_check_file(ca, d->ca_file, err, errlen) == -1)
			return -1;
	}
	for (i = 0; i < d->uri.count; i++) {
		u = d->uri.items[i];
		kind = ldap_read_uri_kind(u);
		if (kind == -1) {
			snprintf(err, errlen, "%s uri: \"%s\": not "
			    "ldaps://HOST or ldap://HOST", what, u);
			return -1;
		}
		if (kind == READ_URI_LDAP && !d->starttls &&
		    !d->allow_plaintext) {
			snprintf(err, errlen, "%s uri: %s with starttls = no "
			    "would send the bind password in the clear: use "
			    "ldaps://, or starttls = yes", what, u);
			return -1;
		}
		if (d->allow_plaintext && !idsync_loopback(u)) {
			snprintf(err, errlen, "%s allow_plaintext: only for "
			    "loopback addresses, and %s is not one", what, u);
			return -1;
		}
	}
	if ((d->bind_dn != NULL) != (d->bind_password != NULL)) {
		snprintf(err, errlen, "%s: bind_dn and bind_password_file go "
		    "together", what);
		return -1;
	}
	return 0;
}

/* What a domain's attributes may not map: what reading itself stands on. */
static const char *const idsync_attrs_fixed[] = {
	"objectGUID", "objectSid", "userAccountControl", "accountExpires",
	"pwdLastSet", "uSNChanged", "whenChanged", "isDeleted", "name", NULL
};

/* A domain's attributes: NAME or NAME=SOURCE, each an attribute name,
 * none of the fixed ones, no NAME or SOURCE twice. */
static int
idsync_validate_attributes(const struct domain_config *d, const char *what,
    char *err, size_t errlen)
{
	const char	*item;
	char		 name[80], src[80], oname[80], osrc[80];
	size_t		 i, j, k;

	for (i = 0; i < d->attributes.count; i++) {
		item = d->attributes.items[i];
		domain_attribute(d, i, name, src, sizeof name);
		if (!idsync_attr_ok(name) || (strchr(item, '=') != NULL &&
		    !idsync_attr_ok(src))) {
			snprintf(err, errlen, "%s attributes: \"%s\": not NAME "
			    "or NAME=SOURCE, attribute names", what, item);
			return -1;
		}
		for (k = 0; idsync_attrs_fixed[k] != NULL; k++)
			if (strcasecmp(name, idsync_attrs_fixed[k]) == 0 ||
			    strcasecmp(src, idsync_attrs_fixed[k]) == 0) {
				snprintf(err, errlen, "%s attributes: \"%s\": "
				    "%s is read as it is", what, item,
				    idsync_attrs_fixed[k]);
				return -1;
			}
		if (strcasecmp(name, src) == 0) {
			snprintf(err, errlen, "%s attributes: \"%s\": an "
			    "attribute from itself", what, item);
			return -1;
		}
		for (j = 0; j < i; j++) {
			domain_attribute(d, j, oname, osrc, sizeof oname);
			if (strcasecmp(name, oname) == 0 || (*src != '\0' &&
			    (strcasecmp(src, osrc) == 0 ||
			    strcasecmp(src, oname) == 0)) || (*osrc != '\0' &&
			    strcasecmp(name, osrc) == 0)) {
				snprintf(err, errlen, "%s attributes: \"%s\" "
				    "and \"%s\" name one attribute twice",
				    what, d->attributes.items[j], item);
				return -1;
			}
		}
	}
	return 0;
}

static int
idsync_validate_domain(struct domain_config *d, char *err, size_t errlen)
{
	const char	*s;
	char		 what[128], why[128], vis[256];

	for (s = d->item.label; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("-_.", *s) == NULL)
			break;
	if (*s != '\0' || s == d->item.label || s - d->item.label > 64) {
		snprintf(err, errlen, "[domain \"%s\"]: a domain name "
		    "is 1-64 letters, digits, '-', '_' or '.'", d->item.label);
		return -1;
	}
	snprintf(what, sizeof what, "[domain \"%s\"]", d->item.label);
	if (idsync_validate_attributes(d, what, err, errlen) == -1)
		return -1;
	if (d->filter != NULL && decode_filter_check(d->filter,
	    strlen(d->filter), why, sizeof why) == -1) {
		snprintf(err, errlen, "%s filter: \"%s\": not an LDAP filter: "
		    "%s", what, str_vis(vis, sizeof vis, d->filter), why);
		return -1;
	}
	return idsync_validate_conn(d, what, err, errlen);
}

static char	**idsync_attrs(const struct idsync_config *);
static void	  idsync_attrs_free(char **);

/* The attribute written back must be none ward-idsync reads: writing
 * employeeID, say, would destroy what matching stands on. */
static int
idsync_validate_writeback(const struct idsync_config *cfg, char *err,
    size_t errlen)
{
	const struct domain_config	*d;
	const char			*w = cfg->idsync.writeback_attribute;
	char				**attrs, name[80], src[80];
	size_t				 i, j;
	int				 rc = 0;

	if (w == NULL)
		return 0;
	if (!idsync_attr_ok(w)) {
		snprintf(err, errlen, "[idsync] writeback_attribute: \"%s\" is "
		    "not an attribute name", w);
		return -1;
	}
	attrs = idsync_attrs(cfg);
	for (i = 0; attrs[i] != NULL && rc == 0; i++)
		if (strcasecmp(attrs[i], w) == 0)
			rc = -1;
	idsync_attrs_free(attrs);
	/* Nor one a domain reads for itself. */
	for (i = 0; i < cfg->domains.count && rc == 0; i++) {
		d = cfg->domains.items[i];
		for (j = 0; j < d->attributes.count && rc == 0; j++) {
			domain_attribute(d, j, name, src, sizeof name);
			if (strcasecmp(name, w) == 0 || strcasecmp(src, w) == 0)
				rc = -1;
		}
	}
	if (rc == -1)
		snprintf(err, errlen, "[idsync] writeback_attribute = %s: "
		    "ward-idsync reads that attribute (to match accounts or "
		    "describe them); write-back needs one of its own", w);
	return rc;
}

/* The precedence rules and the username pattern. */
static int
idsync_validate_identity(const struct idsync_config *cfg, char *err,
    size_t errlen)
{
	const struct precedence_rule	*r, *q;
	const struct domain_config	*d;
	char				 why[512];
	size_t				 i, j, k;

	for (i = 0; i < cfg->precedence.count; i++) {
		r = cfg->precedence.items[i];
		if (consolidate_attr(r->item.label) == -1) {
			snprintf(err, errlen, "[precedence \"%s\"]: not "
			    "displayName, givenName, sn, employeeID, mail, "
			    "department or title", r->item.label);
			return -1;
		}
		for (j = 0; j < i; j++) {
			q = cfg->precedence.items[j];
			if (strcasecmp(q->item.label, r->item.label) == 0) {
				snprintf(err, errlen, "[precedence "
				    "\"%s\"]: given twice (line %d)",
				    r->item.label, q->item.line);
				return -1;
			}
		}
		if ((r->rule == PRECEDENCE_DOMAINS ||
		    r->rule == PRECEDENCE_MAIL_DOMAINS) && r->order.count == 0) {
			snprintf(err, errlen, "[precedence \"%s\"] rule "
			    "= %s needs order", r->item.label,
			    consolidate_rule_names[r->rule]);
			return -1;
		}
		if (r->rule != PRECEDENCE_DOMAINS)
			continue;
		for (j = 0; j < r->order.count; j++) {
			for (k = 0; k < cfg->domains.count; k++) {
				d = cfg->domains.items[k];
				if (strcmp(d->item.label,
				    r->order.items[j]) == 0)
					break;
			}
			if (k == cfg->domains.count) {
				snprintf(err, errlen, "[precedence "
				    "\"%s\"] order: \"%s\" is no [domain]",
				    r->item.label,
				    r->order.items[j]);
				return -1;
			}
		}
	}
	if (consolidate_check_pattern(cfg->username.pattern, why,
	    sizeof why) == -1) {
		snprintf(err, errlen, "[username] pattern: %s", why);
		return -1;
	}
	if (cfg->username.upn_suffix != NULL) {
		for (i = 0; cfg->username.upn_suffix[i] != '\0'; i++)
			if (!isalnum((unsigned char)cfg->username.upn_suffix[i])
			    && strchr(".-", cfg->username.upn_suffix[i]) ==
			    NULL)
				break;
		if (i == 0 || cfg->username.upn_suffix[i] != '\0') {
			snprintf(err, errlen, "[username] upn_suffix: \"%s\" is "
			    "not a domain name", cfg->username.upn_suffix);
			return -1;
		}
	}
	return 0;
}

/* "ATTRIBUTE=VALUE", or for a mapping "ATTRIBUTE=SOURCE". */
static int
idsync_target_pair(const char *what, const char *s, int mapping, char *err,
    size_t errlen)
{
	const char	*eq = strchr(s, '=');
	char		*attr;
	int		 ok;

	if (eq == NULL) {
		snprintf(err, errlen, "[target] %s: \"%s\" is not ATTRIBUTE=%s",
		    what, s, mapping ? "SOURCE" : "VALUE");
		return -1;
	}
	attr = xstrndup(s, (size_t)(eq - s));
	ok = idsync_attr_ok(attr);
	free(attr);
	if (!ok) {
		snprintf(err, errlen, "[target] %s: \"%s\": \"%.*s\" is not an "
		    "attribute name", what, s, (int)(eq - s), s);
		return -1;
	}
	if (mapping && export_ldif_source(eq + 1) == -1) {
		snprintf(err, errlen, "[target] %s: \"%s\": \"%s\" is not id, "
		    "username, upn, display_name, given_name, sn, employee_id, "
		    "mail, department, title, status or lifecycle", what, s,
		    eq + 1);
		return -1;
	}
	if (!mapping && (eq[1] == '\0' || strpbrk(eq + 1, "\r\n") != NULL)) {
		snprintf(err, errlen, "[target] %s: \"%s\": no value", what, s);
		return -1;
	}
	return 0;
}

/* The target attribute a mapping gives from source, or NULL. */
static char *
idsync_target_from(const struct target_config *tc, const char *source)
{
	const char	*m, *eq;
	size_t		 i;

	for (i = 0; i < tc->attributes.count; i++) {
		m = tc->attributes.items[i];
		if ((eq = strchr(m, '=')) != NULL && strcmp(eq + 1, source) == 0)
			return xstrndup(m, (size_t)(eq - m));
	}
	return NULL;
}


static int
idsync_validate_target(struct target_config *tc, char *err, size_t errlen)
{
	const char	*flags[2] = { tc->leaver, tc->active };
	char		*from_id;
	size_t		 i, j, len;
	int		 src;

	if (!idsync_attr_ok(tc->rdn)) {
		snprintf(err, errlen, "[target] rdn: \"%s\" is not an attribute "
		    "name", tc->rdn);
		return -1;
	}
	for (i = 0; i < tc->attributes.count; i++) {
		if (idsync_target_pair("attributes", tc->attributes.items[i], 1,
		    err, errlen) == -1)
			return -1;
		len = strcspn(tc->attributes.items[i], "=");
		for (j = 0; j < i; j++)
			if (strncasecmp(tc->attributes.items[j],
			    tc->attributes.items[i], len) == 0 &&
			    tc->attributes.items[j][len] == '=') {
				snprintf(err, errlen, "[target] attributes: "
				    "%.*s is mapped twice", (int)len,
				    tc->attributes.items[i]);
				return -1;
			}
	}
	if ((src = export_target_source(tc, tc->rdn)) == -1) {
		snprintf(err, errlen, "[target] rdn = %s: attributes maps no "
		    "value to %s", tc->rdn, tc->rdn);
		return -1;
	}
	if (tc->object_classes.count == 0) {
		snprintf(err, errlen, "[target] object_classes: at least one");
		return -1;
	}
	for (i = 0; i < 2; i++) {
		if (flags[i] == NULL)
			continue;
		if (idsync_target_pair(i == 0 ? "leaver" : "active", flags[i],
		    0, err, errlen) == -1)
			return -1;
		len = strcspn(flags[i], "=");
		for (j = 0; j < tc->attributes.count; j++)
			if (strncasecmp(tc->attributes.items[j], flags[i],
			    len + 1) == 0) {
				snprintf(err, errlen, "[target] %s: %.*s is "
				    "also in attributes", i == 0 ? "leaver" :
				    "active", (int)len, flags[i]);
				return -1;
			}
	}
	if (tc->base != NULL && (*tc->base == '\0' ||
	    strpbrk(tc->base, "\r\n") != NULL || strchr(tc->base, '=') ==
	    NULL)) {
		snprintf(err, errlen, "[target] base: \"%s\" is not a DN",
		    tc->base);
		return -1;
	}
	for (i = 0; i < tc->unique.count; i++)
		if (!idsync_attr_ok(tc->unique.items[i]) ||
		    export_target_source(tc, tc->unique.items[i]) == -1) {
			snprintf(err, errlen, "[target] unique: %s is not one of "
			    "attributes' targets", tc->unique.items[i]);
			return -1;
		}
	from_id = idsync_target_from(tc, "id");
	if (tc->anchor != NULL) {
		if (!idsync_attr_ok(tc->anchor) ||
		    export_target_source(tc, tc->anchor) !=
		    export_ldif_source("id")) {
			snprintf(err, errlen, "[target] anchor = %s: attributes "
			    "must map it from id (%s=id)", tc->anchor,
			    tc->anchor);
			free(from_id);
			return -1;
		}
		free(from_id);
	} else
		tc->anchor = from_id;
	if (tc->conn.uri.count == 0)
		return 0;
	if (tc->base == NULL) {
		snprintf(err, errlen, "[target] uri is set: base, where the "
		    "entries go, is needed too");
		return -1;
	}
	if (tc->anchor == NULL) {
		snprintf(err, errlen, "[target] uri is set: attributes must map "
		    "one attribute from id (e.g. employeeType=id), by which "
		    "each person's entry is found again");
		return -1;
	}
	return idsync_validate_conn(&tc->conn, "[target]", err, errlen);
}

static int
idsync_validate(void *p, char *err, size_t errlen)
{
	struct idsync_config	*cfg = p;
	struct match_config	*m = &cfg->match;
	struct compare_rule	*r;
	struct domain_config	*d, *e;
	struct kinds		*kinds;
	char			 what[128];
	size_t			 i, j, k;

	if ((kinds = kind_compile(&cfg->kinds, err, errlen)) == NULL)
		return -1;
	kind_free(kinds);
	if (cfg_check_machine && m->nicknames != NULL &&
	    http_check_file("[match] nicknames",
	    m->nicknames, err, errlen) == -1)
		return -1;
	if (cfg->idsync.mode == IDSYNC_APPLY &&
	    cfg->idsync.writeback_attribute == NULL &&
	    cfg->target.conn.uri.count == 0) {
		snprintf(err, errlen, "[idsync] mode = apply: there is nothing "
		    "to write: set writeback_attribute, or [target] uri");
		return -1;
	}
	if (idsync_validate_writeback(cfg, err, errlen) == -1)
		return -1;
	if (idsync_validate_identity(cfg, err, errlen) == -1 ||
	    idsync_validate_target(&cfg->target, err, errlen) == -1)
		return -1;
	for (i = 0; i < cfg->domains.count; i++) {
		d = cfg->domains.items[i];
		if (idsync_validate_domain(d, err, errlen) == -1)
			return -1;
		for (j = 0; j < i; j++) {
			e = cfg->domains.items[j];
			if (strcasecmp(d->item.label, e->item.label) == 0) {
				snprintf(err, errlen, "[domain \"%s\"]:"
				    " the name is taken (line %d)",
				    d->item.label, e->item.line);
				return -1;
			}
		}
	}
	if (idsync_number("[match] link", m->link_text, &m->link, err,
	    errlen) == -1 || idsync_number("[match] review", m->review_text,
	    &m->review, err, errlen) == -1 || idsync_number("[match] margin",
	    m->margin_text, &m->margin, err, errlen) == -1 ||
	    idsync_number("[match] veto", m->veto_text, &m->veto, err,
	    errlen) == -1)
		return -1;
	if (m->review > m->link) {
		snprintf(err, errlen, "[match] review (%g) is above link (%g)",
		    m->review, m->link);
		return -1;
	}
	if (m->margin < 0) {
		snprintf(err, errlen, "[match] margin: must not be negative");
		return -1;
	}
	for (i = 0; i < m->exact.count; i++)
		if (!idsync_attr_ok(m->exact.items[i])) {
			snprintf(err, errlen, "[match] exact: \"%s\" is not an "
			    "attribute name", m->exact.items[i]);
			return -1;
		}
	m->blocks = 0;
	for (i = 0; i < m->blocking.count; i++) {
		for (k = 0; k < BLOCK_KEY_COUNT; k++)
			if (strcasecmp(m->blocking.items[i],
			    match_block_names[k]) == 0)
				break;
		if (k == BLOCK_KEY_COUNT) {
			snprintf(err, errlen, "[match] blocking: \"%s\" is not "
			    "surname-given, surname, given-initial, mobile, "
			    "phone or mail-local", m->blocking.items[i]);
			return -1;
		}
		m->blocks |= 1U << k;
	}
	for (i = 0; i < cfg->compare.count; i++) {
		r = cfg->compare.items[i];
		if (!idsync_attr_ok(r->item.label)) {
			snprintf(err, errlen, "[compare \"%s\"]: not "
			    "an attribute name", r->item.label);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (strcasecmp(r->item.label, ((struct compare_rule *)
			    cfg->compare.items[j])->item.label) == 0) {
				snprintf(err, errlen, "[compare \"%s\"]: "
				    "compared twice", r->item.label);
				return -1;
			}
		snprintf(what, sizeof what, "[compare \"%s\"] agree",
		    r->item.label);
		if (idsync_number(what, r->agree_text, &r->agree, err,
		    errlen) == -1)
			return -1;
		snprintf(what, sizeof what, "[compare \"%s\"] partial",
		    r->item.label);
		if (idsync_number(what, r->partial_text, &r->partial, err,
		    errlen) == -1)
			return -1;
		snprintf(what, sizeof what, "[compare \"%s\"] "
		    "disagree", r->item.label);
		if (idsync_number(what, r->disagree_text, &r->disagree, err,
		    errlen) == -1)
			return -1;
		snprintf(what, sizeof what, "[compare \"%s\"] missing",
		    r->item.label);
		if (idsync_number(what, r->missing_text, &r->missing, err,
		    errlen) == -1)
			return -1;
	}
	if (m->weights_file != NULL && estimate_load(m->weights_file,
	    (struct compare_rule *const *)cfg->compare.items,
	    cfg->compare.count, m->veto, err, errlen) == -1)
		return -1;
	return 0;
}

static const struct cfg_schema idsync_schema = {
	"ward-idsync", WARD_SYSCONFDIR "/idsync.conf", idsync_sections,
	idsync_validate,
};

static const struct cli_program idsync_program = {
	.name = "ward-idsync",
	.summary = "ward-idsync: the job that reconciles the Active Directory "
	    "domains into one identity per person.",
	.operands = "COMMAND [ARG ...]",
	.schema = &idsync_schema,
	.is_daemon = 0,
	.config_optional = 0,
	.commands_help =
	    "Commands:\n"
	    "  run [--force] [--full]  read the domains, match, and save the "
	    "result;\n"
	    "                          --force passes the change thresholds,\n"
	    "                          --full matches even if nothing "
	    "changed\n"
	    "  plan [--full] [--out FILE]\n"
	    "                          read and match; print what a run would "
	    "change\n"
	    "                          (and save it in FILE)\n"
	    "  apply [--force] [--dry-run [--out FILE]] [--plan FILE]\n"
	    "                          write each person's id to its accounts "
	    "(write-back)\n"
	    "                          and provision the target directory; "
	    "--dry-run\n"
	    "                          prints every change and writes "
	    "nothing (--out:\n"
	    "                          saves them); --plan writes only if "
	    "they are FILE's\n"
	    "  export --accounts FILE  one row per account (FILE - is "
	    "standard output)\n"
	    "  export --persons FILE   one row per person\n"
	    "  export --ldif FILE      LDIF changes for a target directory\n"
	    "  export --report FILE    the last run as JSON\n"
	    "  export --conflicts FILE the conflicts as decisions to fill in\n"
	    "  conflicts [--limit N | --all] [ACCOUNT]\n"
	    "                          what waits for a person to decide "
	    "(50 unless\n"
	    "                          --limit or --all), contradictions "
	    "first, then the\n"
	    "                          likeliest; ACCOUNT: those that "
	    "hold it\n"
	    "  person QUERY            a person (by id, account, mail or "
	    "name) and why\n"
	    "  history [N]             the last N runs (default 20)\n"
	    "  estimate [--write FILE] weights estimated from the last run's "
	    "accounts\n"
	    "  audit [N]               the last N values written (default 50)\n"
	    "  link ACCOUNT ACCOUNT    decide two accounts are one person\n"
	    "  never-link ACCOUNT ACCOUNT\n"
	    "                          decide they never are\n"
	    "  unlink ACCOUNT          decide an account is not its person's\n"
	    "  new-person ACCOUNT      decide an account that waits is a "
	    "person of its own:\n"
	    "                          never one person with any candidate "
	    "its conflicts offer\n"
	    "  decide FILE             the decisions of a file: export "
	    "--conflicts with\n"
	    "                          its first column filled in (FILE - is "
	    "standard input)\n"
	    "ACCOUNT is DOMAIN\\NAME, DOMAIN:GUID or a GUID; decisions apply "
	    "at the next run.\n",
	.log_offset = offsetof(struct idsync_config, log),
};

static int
idsync_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
idsync_usage(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "ward-idsync: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'ward-idsync --help' for the commands.\n");
	return WARD_EXIT_USAGE;
}

/* The attributes asked of every domain: the identity model's, and every
 * attribute the matching rules use. */
static char **
idsync_attrs(const struct idsync_config *cfg)
{
	static const char *const base[] = {
		"objectGUID", "objectSid", "sAMAccountName",
		"userPrincipalName", "mail", "proxyAddresses", "givenName",
		"sn", "displayName", "employeeID", "employeeNumber",
		"department", "title", "telephoneNumber", "mobile", "manager",
		"userAccountControl", "accountExpires", "pwdLastSet",
		"lastLogonTimestamp", "whenChanged", "uSNChanged", "memberOf",
		NULL
	};
	const struct compare_rule	*r;
	char				**attrs = NULL;
	size_t				 n = 0, i, j;
	const char			*add;

	for (i = 0; base[i] != NULL; i++) {
		attrs = xreallocarray(attrs, n + 2, sizeof *attrs);
		attrs[n++] = xstrdup(base[i]);
	}
	for (i = 0; i < cfg->compare.count + cfg->match.exact.count; i++) {
		if (i < cfg->compare.count) {
			r = cfg->compare.items[i];
			add = r->item.label;
		} else
			add = cfg->match.exact.items[i - cfg->compare.count];
		for (j = 0; j < n; j++)
			if (strcasecmp(attrs[j], add) == 0)
				break;
		if (j < n)
			continue;
		attrs = xreallocarray(attrs, n + 2, sizeof *attrs);
		attrs[n++] = xstrdup(add);
	}
	attrs[n] = NULL;
	return attrs;
}

static void
idsync_attrs_free(char **attrs)
{
	size_t	 i;

	for (i = 0; attrs[i] != NULL; i++)
		free(attrs[i]);
	free(attrs);
}

static struct store *
idsync_store(const struct idsync_config *cfg, unsigned flags)
{
	struct store	*st;
	char		 err[1024];

	if ((st = store_open(cfg->idsync.database, flags, err,
	    sizeof err)) == NULL)
		log_error("%s", err);
	return st;
}

/* One domain's read, on a thread of its own: the domains are read at
 * once, each over its own connection, and the waits on their servers
 * overlap. */
struct idsync_reader {
	const struct domain_config	*d;
	size_t				 domain;
	char *const			*attrs;
	struct state_gate		*prev;
	const struct kinds		*kinds;
	struct read_mark		 last;
	struct read_mark		*mark;
	struct account_set		 got;
	struct read_stats		 rs;
	char				 why[2048];
	int				 rc;
	int				 started;
	pthread_t			 thread;
};

static void *
idsync_read_one(void *arg)
{
	struct idsync_reader	*r = arg;
	size_t			 j;

	r->rc = ldap_read_domain(r->d, r->domain, r->attrs, r->prev, &r->last,
	    wtime_now_ms(), &r->got, &r->rs, r->mark, r->why, sizeof r->why);
	for (j = 0; r->rc == 0 && j < r->got.count; j++)
		r->got.items[j]->kind = kind_classify(r->kinds,
		    r->got.items[j]);
	/* In order here, a domain to a thread; idsync_read puts the
	 * domains one after another. */
	if (r->rc == 0)
		account_set_sort(&r->got);
	return NULL;
}

/*
 * Reads every domain, each in full or only its changes since the marks
 * the last run left; the first that fails fails the run. marks gets one
 * per domain. While the domains are read, the last state is loaded into
 * prev (*have_prev then set): a reader merging changes waits for it.
 */
static int
idsync_read(const struct idsync_config *cfg, const struct kinds *kinds,
    struct store *st, int64_t run_id, struct state *prev, int *have_prev,
    struct account_set *accounts, struct read_mark *marks, char *err,
    size_t errlen)
{
	const struct domain_config	*d;
	struct idsync_reader		*readers, *r;
	struct read_stats		 rs;
	struct read_mark		 last;
	struct state_gate		 gate;
	char				**attrs = idsync_attrs(cfg);
	char				 serr[512], took[32];
	size_t				 i, j, n = cfg->domains.count;
	int64_t				 t0;
	int				 rc = -1, loaded;
	unsigned			 flags = 0;

	memset(&last, 0, sizeof last);
	state_gate_init(&gate);
	readers = xcalloc(n + 1, sizeof *readers);
	for (i = 0; i < n; i++) {
		r = &readers[i];
		r->d = cfg->domains.items[i];
		r->domain = i;
		r->attrs = attrs;
		r->prev = &gate;
		r->kinds = kinds;
		r->mark = &marks[i];
		if (store_load_mark(st, r->d->item.label, &r->last, err,
		    errlen) == -1)
			goto out;
	}
	for (i = 0; i < n; i++) {
		r = &readers[i];
		if (pthread_create(&r->thread, NULL, idsync_read_one, r) == 0)
			r->started = 1;
	}
	/* The store is this thread's alone while the readers read. Only a
	 * read that may merge changes into the last state needs all of its
	 * accounts' attributes. */
	for (i = 0; i < n; i++)
		if (ldap_read_may_continue(readers[i].d, &readers[i].last))
			flags = STATE_ATTRS;
	t0 = wtime_mono_ms();
	loaded = store_load_state(st, &cfg->domains, flags, prev, err,
	    errlen) == 0;
	if (loaded)
		log_debug("loaded the last state (%zu accounts) in %lld ms",
		    prev->naccounts, (long long)(wtime_mono_ms() - t0));
	state_gate_open(&gate, loaded ? prev : NULL);
	for (i = 0; i < n; i++) {
		if (readers[i].started) {
			pthread_join(readers[i].thread, NULL);
			readers[i].started = 0;
		} else
			idsync_read_one(&readers[i]);
	}
	/* The readers write only their own why: err says why it failed. */
	if (!loaded)
		goto out;
	*have_prev = 1;
	for (i = 0; i < n; i++) {
		r = &readers[i];
		d = r->d;
		rs = r->rs;
		last = r->last;
		memset(&r->last, 0, sizeof r->last);
		if (r->rc == -1) {
			snprintf(err, errlen, "domain %s: %s", d->item.label,
			    r->why);
			if (store_run_domain(st, run_id, d->item.label, &rs,
			    r->why, serr, sizeof serr) == -1)
				log_warnx("%s", serr);
			goto out;
		}
		for (j = 0; j < r->got.count; j++)
			account_set_add(accounts, r->got.items[j]);
		free(r->got.items);
		memset(&r->got, 0, sizeof r->got);
		str_format_duration_ms(took, sizeof took, rs.read_ms);
		if (rs.incremental && rs.dirsync)
			log_info("domain %s: %zu accounts, read incrementally "
			    "from %s by DirSync: %zu changed, %zu gone (%zu "
			    "page%s, %s)", d->item.label, rs.accounts, rs.uri,
			    rs.changed, rs.gone, rs.pages, rs.pages == 1 ? "" :
			    "s", took);
		else if (rs.incremental)
			log_info("domain %s: %zu accounts, read incrementally "
			    "from %s: %zu changed, %zu gone, since USN %lld "
			    "(%zu page%s, %s)", d->item.label, rs.accounts,
			    rs.uri, rs.changed, rs.gone, (long long)
			    last.usn, rs.pages, rs.pages == 1 ? "" : "s",
			    took);
		else
			log_msg(rs.full_warn ? LOG_LEVEL_WARNING :
			    LOG_LEVEL_INFO, "domain %s: %zu accounts in %zu "
			    "page%s from %s (%s)%s; a full read: %s",
			    d->item.label, rs.accounts, rs.pages,
			    rs.pages == 1 ? "" : "s", rs.uri, took,
			    rs.skipped > 0 ? "; some entries skipped" : "",
			    rs.why_full);
		read_mark_clear(&last);
		if (rs.references > 0)
			log_info("domain %s: %zu referrals not followed",
			    d->item.label, rs.references);
		if (rs.ranged > 0)
			log_info("domain %s: %zu attribute%s had more values "
			    "than one answer holds, read range by range",
			    d->item.label, rs.ranged, rs.ranged == 1 ? "" :
			    "s");
		if (store_run_domain(st, run_id, d->item.label, &rs, NULL,
		    serr, sizeof serr) == -1) {
			snprintf(err, errlen, "%s", serr);
			goto out;
		}
	}
	rc = 0;
out:
	read_mark_clear(&last);
	for (i = 0; i < n; i++) {
		read_mark_clear(&readers[i].last);
		account_set_clear(&readers[i].got);
	}
	free(readers);
	idsync_attrs_free(attrs);
	state_gate_destroy(&gate);
	return rc;
}

/* What write-back will do, printed to fp. */
static void
idsync_print_writeback(const struct writeback_plan *wp, const char *attr,
    int with_diff, FILE *fp)
{
	const struct writeback_change	*c;
	char				 vis[512];
	size_t				 i;

	fprintf(fp, "write-back of %s: %zu to set, %zu to replace, %zu to clear; "
	    "%zu already hold their person's id\n", attr, wp->sets,
	    wp->replaces, wp->clears, wp->holding - wp->replaces - wp->clears);
	if (wp->foreign > 0)
		fprintf(fp, "  %zu account%s hold%s a value ward-idsync did not "
		    "write: left alone\n", wp->foreign, wp->foreign == 1 ? "" :
		    "s", wp->foreign == 1 ? "s" : "");
	if (wp->missing > 0)
		fprintf(fp, "  %zu account%s of the last run %s no longer in the "
		    "directories\n", wp->missing, wp->missing == 1 ? "" : "s",
		    wp->missing == 1 ? "is" : "are");
	for (i = 0; with_diff && i < wp->nchanges; i++) {
		c = &wp->changes[i];
		/* Account names come from the directories: made visible. */
		fprintf(fp, "%s %s: %s -> %s\n", c->before == NULL ? "set" :
		    c->after == NULL ? "clear" : "replace",
		    str_vis(vis, sizeof vis, c->name),
		    c->before != NULL ? c->before : "(none)",
		    c->after != NULL ? c->after : "(none)");
	}
}

/* The first line of a saved apply plan, and of its digest's. */
#define APPLY_PLAN_HEAD		"# ward-idsync apply plan"
#define APPLY_PLAN_SUM		"# sha256 "

/* Every change apply would make, as --dry-run prints it. */
static char *
idsync_apply_text(const struct writeback_plan *wp,
    const struct provision_plan *pp, const char *attr, int target)
{
	char	*text = NULL;
	size_t	 len = 0;
	FILE	*fp;

	if ((fp = open_memstream(&text, &len)) == NULL)
		fatal("open_memstream");
	if (attr != NULL)
		idsync_print_writeback(wp, attr, 1, fp);
	if (target)
		provision_print(pp, 1, fp);
	if (fclose(fp) != 0)
		fatal("open_memstream");
	return text;
}

static void
idsync_hex_sum(const char *text, char hex[2 * ACCOUNT_SUM_LEN + 1])
{
	unsigned char	 sum[ACCOUNT_SUM_LEN];

	idsync_sha256(text, strlen(text), sum);
	idsync_sum_hex(sum, hex);
}

/* text as a saved plan: a head that says what it is and its digest. */
static int
idsync_apply_save(const char *path, const char *text, int64_t run_id,
    char *err, size_t errlen)
{
	char	 hex[2 * ACCOUNT_SUM_LEN + 1], when[WTIME_ISO8601_LEN];
	char	*file;
	int	 rc;

	idsync_hex_sum(text, hex);
	xasprintf(&file, APPLY_PLAN_HEAD "\n# made %s by run %lld; "
	    "\"ward-idsync apply --plan FILE\" writes exactly this, or "
	    "nothing\n" APPLY_PLAN_SUM "%s\n%s", wtime_format_iso8601(when,
	    sizeof when, wtime_now_ms()), (long long)run_id, hex, text);
	rc = export_text(path, file, err, errlen);
	free(file);
	return rc;
}

/*
 * Whether the saved plan at path is text, what apply would write now:
 * the file must be one (its head), whole (its digest) and the same, else
 * err says which and where the two part.
 */
static int
idsync_apply_check(const char *path, const char *text, char *err,
    size_t errlen)
{
	char	 hex[2 * ACCOUNT_SUM_LEN + 1], line[512], vis[160];
	char	*data = NULL;
	char	*body, *sum, *p, *q;
	size_t	 len = 0, n, i;
	FILE	*fp;
	int	 rc = -1;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* Plans are a line a change; a million changes is far past any
	 * threshold. */
	data = xmalloc(64 * 1024 * 1024 + 1);
	len = fread(data, 1, 64 * 1024 * 1024, fp);
	n = ferror(fp);
	fclose(fp);
	data[len] = '\0';
	if (n || len == 64 * 1024 * 1024 || memchr(data, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: %s", path, n ? "cannot be read" :
		    "not a saved plan (too long, or not text)");
		goto out;
	}
	if (strncmp(data, APPLY_PLAN_HEAD "\n", strlen(APPLY_PLAN_HEAD) +
	    1) != 0 || (sum = strstr(data, "\n" APPLY_PLAN_SUM)) == NULL ||
	    (body = strchr(sum + 1, '\n')) == NULL) {
		snprintf(err, errlen, "%s: not a saved plan (\"ward-idsync "
		    "apply --dry-run --out FILE\" makes one)", path);
		goto out;
	}
	sum += 1 + strlen(APPLY_PLAN_SUM);
	body++;
	idsync_hex_sum(body, hex);
	if ((size_t)(strchr(sum, '\n') - sum) != strlen(hex) ||
	    strncmp(sum, hex, strlen(hex)) != 0) {
		snprintf(err, errlen, "%s: changed since it was made (its "
		    "digest does not match it); nothing was written", path);
		goto out;
	}
	if (strcmp(body, text) == 0) {
		rc = 0;
		goto out;
	}
	/* Where they part, for the person who approved the first. */
	for (p = body, q = (char *)text, i = 1;; i++) {
		n = strcspn(p, "\n");
		len = strcspn(q, "\n");
		/* Both at their ends would be the same text: not here. */
		if (n != len || strncmp(p, q, n) != 0 || p[n] != q[len])
			break;
		p += n + 1;
		q += len + 1;
	}
	/* The file's text may be anything: made visible. */
	p[n] = '\0';
	snprintf(line, sizeof line, "line %zu of its changes: \"%s\" then, ",
	    i, str_vis(vis, sizeof vis, p));
	snprintf(vis, sizeof vis, "%.*s", (int)len, q);
	snprintf(line + strlen(line), sizeof line - strlen(line),
	    "\"%s\" now", vis);
	snprintf(err, errlen, "%s is stale: what apply would write now is "
	    "not what it says (%s); nothing was written. Make a new plan "
	    "with \"apply --dry-run --out FILE\"", path, line);
out:
	free(data);
	return rc;
}

/*
 * apply: write-back (each person's id to an attribute of its accounts)
 * and provisioning of the target directory. Both are worked out from what
 * the directories hold now and checked against the thresholds before
 * anything is written; each write is audited. dry_run prints every change
 * and writes nothing. The caller holds the lock. A run of its own in the
 * history, "apply" (or "apply --dry-run").
 */
static int
idsync_apply_locked(const struct idsync_config *cfg, struct store *st,
    int force, int dry_run, const char *out, const char *plan_path)
{
	struct writeback_plan	 wp;
	struct provision_plan	 pp;
	const char		*attr = cfg->idsync.writeback_attribute;
	char			 err[4096], serr[1024], msg[512], *text = NULL;
	size_t			 written = 0, failed = 0, interrupted;
	size_t			 twritten = 0, tfailed = 0;
	int64_t			 run_id = 0;
	int			 rc = WARD_EXIT_FAILURE, target;

	memset(&wp, 0, sizeof wp);
	memset(&pp, 0, sizeof pp);
	target = cfg->target.conn.uri.count > 0;
	/* A dry run writes nothing: its own name in the history, so that
	 * neither it nor the collector's alerts take it for an apply. */
	if (store_run_begin(st, dry_run ? "apply --dry-run" : "apply",
	    wtime_now_ms(), force, &run_id, err, sizeof err) == -1) {
		log_error("%s", err);
		return WARD_EXIT_FAILURE;
	}
	if (store_audit_interrupted(st, &interrupted, err, sizeof err) == -1)
		goto failed;
	if (interrupted > 0)
		log_warnx("%zu write%s of an apply that was stopped %s no "
		    "known outcome; the values read now say what was written",
		    interrupted, interrupted == 1 ? "" : "s",
		    interrupted == 1 ? "has" : "have");
	if (attr != NULL && writeback_plan(st, &cfg->domains, attr, &wp, err,
	    sizeof err) == -1)
		goto failed;
	if (target && provision_plan(st, &cfg->target, &pp, err,
	    sizeof err) == -1)
		goto failed;
	/* Every change (what --dry-run prints, and a saved plan holds), or
	 * the counts alone. */
	if (dry_run || out != NULL || plan_path != NULL)
		text = idsync_apply_text(&wp, &pp, attr, target);
	if (dry_run)
		fputs(text, stdout);
	else {
		if (attr != NULL)
			idsync_print_writeback(&wp, attr, 0, stdout);
		if (target)
			provision_print(&pp, 0, stdout);
	}
	fflush(stdout);
	if (out != NULL) {
		if (idsync_apply_save(out, text, run_id, err,
		    sizeof err) == -1)
			goto failed;
		log_info("apply: the plan is in %s; \"ward-idsync apply "
		    "--plan %s\" writes it", out, out);
	}
	if (plan_path != NULL) {
		if (idsync_apply_check(plan_path, text, err,
		    sizeof err) == -1)
			goto failed;
		log_info("apply: %s is what apply would write now",
		    plan_path);
	}
	if (dry_run) {
		if (store_run_end(st, run_id, "ok", "dry run; nothing written",
		    NULL, wtime_now_ms(), err, sizeof err) == -1) {
			log_error("%s", err);
			goto out;
		}
		rc = WARD_EXIT_OK;
		goto out;
	}
	if ((attr != NULL && plan_check_writes(&wp, &cfg->idsync, err,
	    sizeof err) == -1) || (target && plan_check_target(&pp,
	    &cfg->idsync, err, sizeof err) == -1)) {
		if (!force) {
			log_error("apply: %s; nothing was written. If the "
			    "change is right, run again with --force", err);
			if (store_run_end(st, run_id, "stopped", err, NULL,
			    wtime_now_ms(), serr, sizeof serr) == -1)
				log_error("%s", serr);
			rc = IDSYNC_EXIT_THRESHOLD;
			goto out;
		}
		log_warnx("apply: %s; going on as --force says", err);
	}
	if (attr != NULL && writeback_apply(st, &wp, attr, run_id, &written,
	    &failed, err, sizeof err) == -1) {
		(void)store_run_writes(st, run_id, written, failed, serr,
		    sizeof serr);
		goto failed;
	}
	if (target && provision_apply(st, &pp, &cfg->target, run_id,
	    &twritten, &tfailed, err, sizeof err) == -1) {
		(void)store_run_writes(st, run_id, written + twritten,
		    failed + tfailed, serr, sizeof serr);
		goto failed;
	}
	if (attr != NULL && target)
		snprintf(msg, sizeof msg, "wrote %zu value%s of %s and %zu "
		    "change%s to the target", written, written == 1 ? "" : "s",
		    attr, twritten, twritten == 1 ? "" : "s");
	else if (attr != NULL)
		snprintf(msg, sizeof msg, "wrote %zu value%s of %s", written,
		    written == 1 ? "" : "s", attr);
	else
		snprintf(msg, sizeof msg, "wrote %zu change%s to the target",
		    twritten, twritten == 1 ? "" : "s");
	if (store_run_writes(st, run_id, written + twritten, failed + tfailed,
	    err, sizeof err) == -1 || store_run_end(st, run_id, "ok", msg,
	    NULL, wtime_now_ms(), err, sizeof err) == -1) {
		log_error("%s", err);
		goto out;
	}
	log_info("apply: %s", msg);
	rc = WARD_EXIT_OK;
	goto out;

failed:
	log_error("apply: %s", err);
	if (store_run_end(st, run_id, "failed", err, NULL, wtime_now_ms(),
	    serr, sizeof serr) == -1)
		log_error("%s", serr);
out:
	free(text);
	writeback_clear(&wp);
	provision_clear(&pp);
	return rc;
}

static int
idsync_apply(const struct idsync_config *cfg, int force, int dry_run,
    const char *out, const char *plan_path)
{
	struct store	*st;
	char		 err[1024];
	int		 rc;

	if (cfg->idsync.writeback_attribute == NULL &&
	    cfg->target.conn.uri.count == 0) {
		log_error("apply: nothing to write: set [idsync] "
		    "writeback_attribute, or [target] uri");
		return WARD_EXIT_FAILURE;
	}
	if (store_lock(cfg->idsync.database, err, sizeof err) == -1) {
		log_error("%s", err);
		return WARD_EXIT_FAILURE;
	}
	if ((st = idsync_store(cfg, 0)) == NULL) {
		store_unlock();
		return WARD_EXIT_FAILURE;
	}
	rc = idsync_apply_locked(cfg, st, force, dry_run, out, plan_path);
	store_close(st);
	store_unlock();
	return rc;
}

/* The run's basis: this program, its configuration as loaded (every
 * setting, defaults too, and nothing of comments or layout), the weights
 * in force (a weights_file's are not settings), the nickname table, and
 * the newest decision in prev. */
static void
idsync_basis(const struct idsync_config *cfg, const struct nicknames *nk,
    const struct state *prev, struct run_basis *basis)
{
	const struct compare_rule *r;
	unsigned char	 sum[ACCOUNT_SUM_LEN];
	char		*text = NULL;
	size_t		 len = 0, i;
	FILE		*fp;

	if ((fp = open_memstream(&text, &len)) == NULL)
		fatal("open_memstream");
	fprintf(fp, "%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
	cfg_dump(&idsync_schema, cfg, fp);
	for (i = 0; i < cfg->compare.count; i++) {
		r = (const struct compare_rule *)cfg->compare.items[i];
		fprintf(fp, "%s %d %a %a %a %a\n", r->item.label,
		    r->comparator, r->agree, r->partial, r->disagree,
		    r->missing);
	}
	fwrite(nickname_sum(nk), 1, ACCOUNT_SUM_LEN, fp);
	if (fclose(fp) != 0)
		fatal("open_memstream");
	idsync_sha256(text, len, sum);
	free(text);
	idsync_sum_hex(sum, basis->config);
	basis->decision_max = 0;
	for (i = 0; i < prev->ndecisions; i++)
		if (prev->decisions[i].id > basis->decision_max)
			basis->decision_max = prev->decisions[i].id;
}

/* What a "plan" command printed, with every change, saved in path. */
static int
idsync_plan_save(const char *path, const struct plan *plan, int64_t run_id,
    char *err, size_t errlen)
{
	char	*text = NULL, when[WTIME_ISO8601_LEN];
	size_t	 len = 0;
	FILE	*fp;
	int	 rc;

	if ((fp = open_memstream(&text, &len)) == NULL)
		fatal("open_memstream");
	fprintf(fp, "# ward-idsync plan\n# made %s by run %lld: what a run "
	    "would change in the state; nothing was changed\n",
	    wtime_format_iso8601(when, sizeof when, wtime_now_ms()),
	    (long long)run_id);
	plan_print(plan, 1, fp);
	if (fclose(fp) != 0)
		fatal("open_memstream");
	rc = export_text(path, text, err, errlen);
	free(text);
	return rc;
}

/* A run that found the state as the last saved run left it: nothing to
 * match or save but the domains' marks; then apply as a run would. */
static int
idsync_unchanged(const struct idsync_config *cfg, struct store *st,
    int64_t run_id, int64_t last, const struct state *prev,
    const struct run_basis *basis, const struct read_mark *marks,
    int plan_only, const char *plan_out, int force)
{
	struct plan	 plan;
	char		 err[1024], serr[1024], msg[128];
	int		 rc;

	log_info("nothing changed since run %lld: the same %zu accounts, "
	    "decisions and configuration; matching skipped (--full matches "
	    "every account)", (long long)last, prev->naccounts);
	snprintf(msg, sizeof msg, "nothing changed since run %lld; matching "
	    "skipped", (long long)last);
	memset(&plan, 0, sizeof plan);
	plan.accounts_before = plan.accounts = prev->naccounts;
	plan.persons_before = plan.persons = prev->npersons;
	plan.conflicts = prev->nconflicts;
	plan_print(&plan, plan_only, stdout);
	fflush(stdout);
	if (plan_only && plan_out != NULL && idsync_plan_save(plan_out, &plan,
	    run_id, err, sizeof err) == -1)
		rc = -1;
	else if (plan_only)
		rc = store_run_end(st, run_id, "ok", "plan only; nothing "
		    "changed", &plan, wtime_now_ms(), err, sizeof err);
	else
		rc = store_save_unchanged(st, run_id, msg, &plan, marks,
		    cfg->domains.count, basis, wtime_now_ms(), err,
		    sizeof err);
	if (rc == -1) {
		log_error("%s; nothing was changed", err);
		if (store_run_end(st, run_id, "failed", err, NULL,
		    wtime_now_ms(), serr, sizeof serr) == -1)
			log_error("%s", serr);
		return WARD_EXIT_FAILURE;
	}
	if (plan_only || cfg->idsync.mode != IDSYNC_APPLY)
		return WARD_EXIT_OK;
	return idsync_apply_locked(cfg, st, force, 0, NULL, NULL);
}

/*
 * Whether this run would only find the state again: the last saved run
 * settled, on this basis, and every account read is as it saved it. A
 * settled run's matching gave back the state it started from, so the
 * same accounts, decisions and configuration give it again; matching is
 * skipped. Else why not, in why. On the same basis, in any case, only
 * what changed need be matched again: *delta, with the decisions made
 * since (match_input's).
 */
static int
idsync_settled(struct store *st, const struct state *prev,
    const struct account_set *accounts, const struct run_basis *basis,
    int64_t now_ms, int64_t *last, int *delta, int64_t *decided_after,
    char *why, size_t whylen)
{
	struct run_basis	 was;
	int			 settled;

	*delta = 0;
	if (store_last_saved(st, last, &was, &settled, why, whylen) == -1)
		return 0;
	if (*last != 0 && was.config[0] != '\0' &&
	    strcmp(was.config, basis->config) == 0) {
		*delta = 1;
		*decided_after = was.decision_max;
	}
	if (*last == 0)
		snprintf(why, whylen, "no run has saved the state yet");
	else if (was.config[0] == '\0')
		snprintf(why, whylen, "run %lld was saved by an earlier "
		    "version of ward-idsync", (long long)*last);
	else if (!settled)
		snprintf(why, whylen, "run %lld changed the state",
		    (long long)*last);
	else if (strcmp(was.config, basis->config) != 0)
		snprintf(why, whylen, "the configuration, nickname table or "
		    "program changed since run %lld", (long long)*last);
	else if (was.decision_max != basis->decision_max)
		snprintf(why, whylen, "decisions were made since run %lld",
		    (long long)*last);
	else
		return state_same_accounts(prev, accounts->items,
		    accounts->count, now_ms, why, whylen);
	return 0;
}

/*
 * What a run leaves for the kernel to take back at exit rather than free:
 * millions of blocks, whose frees were the last 0.37 s of a first run of
 * 300 000 accounts. Kept reachable from here, so that no block is lost in
 * a leak checker's sense. A build with AddressSanitizer frees them all,
 * so that its leak check still sees the blocks a run frees.
 */
#if defined(__SANITIZE_ADDRESS__)
#define IDSYNC_FREE_AT_END	1
#else
#define IDSYNC_FREE_AT_END	0
#endif

static struct {
	struct state		 prev;
	struct plan		 plan;
	struct match_result	 res;
	struct account_set	 accounts;
	int			 left;
} idsync_left;

/*
 * run and plan: read, match, compute the plan; run then checks the
 * thresholds and swaps the new state in, and with mode = apply writes
 * back. Matching is skipped when nothing changed since a run that
 * settled the state (idsync_settled), unless full.
 */
static int
idsync_run(const struct idsync_config *cfg, int plan_only,
    const char *plan_out, int force, int full)
{
	struct account_set	 accounts;
	struct state		 prev;
	struct match_input	 in;
	struct consolidate_input ci;
	struct match_result	 res;
	struct plan		 plan;
	struct read_mark	*marks;
	struct run_basis	 basis;
	struct nicknames	*nk = NULL;
	struct kinds		*kinds = NULL;
	struct store		*st = NULL;
	struct store_save	*sv = NULL;
	char			 err[4096], serr[1024];
	const char		*nkpath;
	int64_t			 run_id = 0, t0, last, now, decided_after = 0;
	size_t			 i;
	int			 rc = WARD_EXIT_FAILURE, have_state = 0, delta = 0;
	/* How long reading, matching and saving took, for the log. */
	int64_t			 t_read, t_match, t_phase;
	int			 have_res = 0, have_plan = 0;

	memset(&accounts, 0, sizeof accounts);
	marks = xcalloc(cfg->domains.count, sizeof *marks);
	if (store_lock(cfg->idsync.database, err, sizeof err) == -1) {
		log_error("%s", err);
		free(marks);
		return WARD_EXIT_FAILURE;
	}
	if ((st = idsync_store(cfg, 0)) == NULL)
		goto out;
	if (store_run_begin(st, plan_only ? "plan" : "run", wtime_now_ms(),
	    force, &run_id, err, sizeof err) == -1) {
		log_error("%s", err);
		goto out;
	}
	nkpath = cfg->match.nicknames != NULL ? cfg->match.nicknames :
	    WARD_DATADIR "/nicknames.txt";
	if ((nk = nickname_load(nkpath, err, sizeof err)) == NULL)
		goto failed;

	if ((kinds = kind_compile(&cfg->kinds, err, sizeof err)) == NULL)
		goto failed;
	t0 = wtime_mono_ms();
	if (idsync_read(cfg, kinds, st, run_id, &prev, &have_state, &accounts,
	    marks, err, sizeof err) == -1)
		goto failed;
	t_read = wtime_mono_ms() - t0;
	log_info("read %zu accounts from %zu domains in %lld ms",
	    accounts.count, cfg->domains.count, (long long)t_read);
	account_set_sort(&accounts);
	state_map_accounts(&prev, accounts.items, accounts.count);
	now = wtime_now_ms();
	idsync_basis(cfg, nk, &prev, &basis);
	if (full)
		log_info("matching every account, as --full says");
	else if (idsync_settled(st, &prev, &accounts, &basis, now, &last,
	    &delta, &decided_after, err, sizeof err)) {
		rc = idsync_unchanged(cfg, st, run_id, last, &prev, &basis,
		    marks, plan_only, plan_out, force);
		goto out;
	} else
		log_info("matching %s: %s", delta ? "what changed" :
		    "every account", err);
	/* What changed was before, for the plan; from the rows as they are
	 * until the save begins. */
	if (store_load_attrs(st, &prev, accounts.items, accounts.count, &i,
	    err, sizeof err) == -1)
		goto failed;
	log_debug("loaded the attributes of %zu changed accounts", i);
	/* The accounts' rows are written while they are matched. */
	if (!plan_only && (sv = store_save_start(st, run_id, accounts.items,
	    accounts.count, &prev, wtime_now_ms(), err, sizeof err)) == NULL)
		goto failed;

	memset(&in, 0, sizeof in);
	in.accounts = accounts.items;
	in.naccounts = accounts.count;
	in.ndomains = cfg->domains.count;
	in.prev = &prev;
	in.cfg = &cfg->match;
	in.rules = (struct compare_rule *const *)cfg->compare.items;
	in.nrules = cfg->compare.count;
	in.nk = nk;
	in.run_id = run_id;
	in.now_ms = now;
	in.delta = delta;
	in.decided_after = decided_after;
	if (match_run(&in, &res, err, sizeof err) == -1)
		goto failed;
	have_res = 1;
	if (sv != NULL && store_save_matched(sv, &res, err, sizeof err) == -1)
		goto failed;
	memset(&ci, 0, sizeof ci);
	ci.accounts = accounts.items;
	ci.naccounts = accounts.count;
	ci.prev = &prev;
	ci.rules = (struct precedence_rule *const *)cfg->precedence.items;
	ci.nrules = cfg->precedence.count;
	ci.username = &cfg->username;
	ci.now_ms = in.now_ms;
	t_phase = wtime_mono_ms();
	if (consolidate_run(&ci, &res, err, sizeof err) == -1)
		goto failed;
	idsync_phase("", "consolidating", &t_phase);
	t_match = wtime_mono_ms() - t0 - t_read;
	log_info("matched %zu of %zu accounts in %lld ms: %zu pairs compared; "
	    "linked %zu as before, %zu by decision, %zu by identifier, %zu by "
	    "score; %zu new persons; %zu conflicts", res.stats.rematched,
	    accounts.count, (long long)t_match, res.stats.pairs,
	    res.stats.linked_existing, res.stats.linked_manual,
	    res.stats.linked_exact, res.stats.linked_score,
	    res.stats.new_persons, res.nconflicts + res.nkept_conflicts);
	t_phase = wtime_mono_ms();
	plan_compute(&prev, accounts.items, accounts.count, &res, plan_only,
	    &plan);
	idsync_phase("", "planning", &t_phase);
	have_plan = 1;
	plan_print(&plan, plan_only, stdout);
	fflush(stdout);

	if (plan_only) {
		if (plan_out != NULL && idsync_plan_save(plan_out, &plan,
		    run_id, err, sizeof err) == -1) {
			log_error("%s", err);
			if (store_run_end(st, run_id, "failed", err, &plan,
			    wtime_now_ms(), serr, sizeof serr) == -1)
				log_error("%s", serr);
			goto out;
		}
		if (store_run_end(st, run_id, "ok", "plan only; nothing "
		    "changed", &plan, wtime_now_ms(), err, sizeof err) == -1)
			log_error("%s", err);
		else
			rc = WARD_EXIT_OK;
		goto out;
	}
	if (plan_check(&plan, &cfg->idsync, err, sizeof err) == -1) {
		if (!force) {
			store_save_abort(sv);
			sv = NULL;
			log_error("%s; nothing was changed. Look at "
			    "\"ward-idsync plan\", and if the change is right "
			    "run again with --force", err);
			if (store_run_end(st, run_id, "stopped", err, &plan,
			    wtime_now_ms(), serr, sizeof serr) == -1)
				log_error("%s", serr);
			rc = IDSYNC_EXIT_THRESHOLD;
			goto out;
		}
		log_warnx("%s; going on as --force says", err);
	}
	rc = store_save_finish(sv, &res, &plan, marks, cfg->domains.count,
	    &basis, wtime_now_ms(), err, sizeof err);
	sv = NULL;
	if (rc == -1) {
		rc = WARD_EXIT_FAILURE;
		goto failed;
	}
	log_info("run %lld: saved %zu accounts, %zu persons, %zu conflicts "
	    "(planned and saved in %lld ms)", (long long)run_id,
	    accounts.count, res.npersons, res.nconflicts +
	    res.nkept_conflicts,
	    (long long)(wtime_mono_ms() - t0 - t_read - t_match));
	rc = WARD_EXIT_OK;
	if (cfg->idsync.mode == IDSYNC_APPLY)
		rc = idsync_apply_locked(cfg, st, force, 0, NULL, NULL);
	goto out;

failed:
	store_save_abort(sv);
	sv = NULL;
	log_error("%s; nothing was changed", err);
	if (st != NULL && run_id > 0 && store_run_end(st, run_id, "failed",
	    err, NULL, wtime_now_ms(), serr, sizeof serr) == -1)
		log_error("%s", serr);
out:
	store_close(st);
	if (!IDSYNC_FREE_AT_END && !idsync_left.left) {
		idsync_left.left = 1;
		if (have_state)
			idsync_left.prev = prev;
		if (have_plan)
			idsync_left.plan = plan;
		if (have_res)
			idsync_left.res = res;
		idsync_left.accounts = accounts;
	} else {
		if (have_state)
			state_clear(&prev);
		if (have_plan)
			plan_clear(&plan);
		if (have_res)
			match_result_clear(&res);
		account_set_clear(&accounts);
	}
	for (i = 0; i < cfg->domains.count; i++)
		read_mark_clear(&marks[i]);
	free(marks);
	kind_free(kinds);
	nickname_free(nk);
	store_unlock();
	return rc;
}

/* estimate [--write FILE]: the weights the last run's accounts give,
 * printed or written. */
static int
idsync_estimate(const struct idsync_config *cfg, int argc, char **argv)
{
	struct estimate_result	 res;
	struct state		 state;
	struct store		*st;
	struct nicknames	*nk = NULL;
	struct account		**accts = NULL;
	const char		*out = NULL, *nkpath;
	char			 err[1024];
	size_t			 i;
	int			 rc = WARD_EXIT_FAILURE;

	for (i = 1; i < (size_t)argc; i++) {
		if (strcmp(argv[i], "--write") == 0 && i + 1 < (size_t)argc)
			out = argv[++i];
		else
			return idsync_usage("estimate: unexpected \"%s\"",
			    argv[i]);
	}
	if ((st = idsync_store(cfg, STORE_READONLY)) == NULL)
		return WARD_EXIT_FAILURE;
	if (store_load_state(st, &cfg->domains, STATE_ATTRS, &state, err,
	    sizeof err) == -1) {
		log_error("%s", err);
		store_close(st);
		return WARD_EXIT_FAILURE;
	}
	nkpath = cfg->match.nicknames != NULL ? cfg->match.nicknames :
	    WARD_DATADIR "/nicknames.txt";
	if ((nk = nickname_load(nkpath, err, sizeof err)) == NULL) {
		log_error("%s", err);
		goto out;
	}
	accts = xcalloc(state.naccounts + 1, sizeof *accts);
	for (i = 0; i < state.naccounts; i++)
		accts[i] = state.accounts[i].account;
	if (estimate_run(accts, state.naccounts,
	    (struct compare_rule *const *)cfg->compare.items,
	    cfg->compare.count, nk, &cfg->match, &res, err,
	    sizeof err) == -1) {
		log_error("estimate: %s", err);
		goto out;
	}
	if (out == NULL) {
		estimate_print(&res, stdout);
		rc = WARD_EXIT_OK;
	} else if (estimate_write(&res, out, err, sizeof err) == -1)
		log_error("estimate: %s", err);
	else {
		log_info("estimate: wrote the weights of %zu rules to %s; "
		    "[match] weights_file = %s makes runs use them",
		    res.nrules, out, out);
		rc = WARD_EXIT_OK;
	}
	estimate_clear(&res);
out:
	free(accts);
	nickname_free(nk);
	state_clear(&state);
	store_close(st);
	return rc;
}

/* export --accounts, --persons, --ldif, --report, --conflicts, each FILE
 * or "-". */
static int
idsync_export(const struct idsync_config *cfg, int argc, char **argv)
{
	static const char *const flags[] = {
		"--accounts", "--persons", "--ldif", "--report", "--conflicts",
		NULL
	};
	struct store	*st;
	const char	*files[5] = { NULL, NULL, NULL, NULL, NULL };
	char		 err[1024];
	size_t		 rows, mods, len;
	int		 i, k, rc = WARD_EXIT_OK, any = 0;

	for (i = 1; i < argc; i++) {
		for (k = 0; flags[k] != NULL; k++) {
			len = strlen(flags[k]);
			if (strcmp(argv[i], flags[k]) == 0 && i + 1 < argc) {
				files[k] = argv[++i];
				break;
			}
			if (strncmp(argv[i], flags[k], len) == 0 &&
			    argv[i][len] == '=') {
				files[k] = argv[i] + len + 1;
				break;
			}
		}
		if (flags[k] == NULL)
			return idsync_usage("export: unexpected \"%s\" (export "
			    "--accounts, --persons, --ldif, --report or "
			    "--conflicts, each with a FILE)", argv[i]);
		any = 1;
	}
	if (!any)
		return idsync_usage("export: say --accounts FILE, --persons "
		    "FILE, --ldif FILE, --report FILE or --conflicts FILE");
	/* One file for two exports: the second would replace the first. */
	for (k = 0; flags[k] != NULL; k++)
		for (i = 0; i < k; i++)
			if (files[i] != NULL && files[k] != NULL &&
			    strcmp(files[i], "-") != 0 &&
			    strcmp(files[i], files[k]) == 0)
				return idsync_usage("export: %s and %s both "
				    "name %s", flags[i], flags[k], files[k]);
	if (files[2] != NULL && cfg->target.base == NULL) {
		log_error("export --ldif: set [target] base, where the entries "
		    "go in the target directory");
		return WARD_EXIT_FAILURE;
	}
	if ((st = idsync_store(cfg, STORE_READONLY)) == NULL)
		return WARD_EXIT_FAILURE;
	for (k = 0; flags[k] != NULL && rc == WARD_EXIT_OK; k++) {
		if (files[k] == NULL)
			continue;
		switch (k) {
		case 0:
			i = export_accounts(st, files[k], &rows, err,
			    sizeof err);
			break;
		case 1:
			i = export_persons(st, &cfg->domains, files[k], &rows,
			    err, sizeof err);
			break;
		case 2:
			i = export_ldif(st, &cfg->target, files[k], &rows, &mods,
			    err, sizeof err);
			break;
		case 3:
			i = export_report(st, files[k], err, sizeof err);
			break;
		default:
			i = export_conflicts(st, files[k], &rows, err,
			    sizeof err);
			break;
		}
		if (i == -1) {
			log_error("export %s: %s", flags[k], err);
			rc = WARD_EXIT_FAILURE;
		} else if (strcmp(files[k], "-") == 0)
			continue;
		else if (k == 0)
			log_info("%s: %zu accounts", files[k], rows);
		else if (k == 1)
			log_info("%s: %zu persons", files[k], rows);
		else if (k == 2)
			log_info("%s: %zu adds, %zu modifies", files[k], rows,
			    mods);
		else if (k == 3)
			log_info("%s: the last run", files[k]);
		else
			log_info("%s: %zu decisions to make", files[k], rows);
	}
	store_close(st);
	return rc;
}

static int
idsync_review(const struct idsync_config *cfg, int argc, char **argv)
{
	struct store	*st;
	const char	*cmd = argv[0], *account = NULL;
	char		 err[1024];
	size_t		 count;
	int64_t		 limit = 20;
	int		 rc = 0, readonly = 1, i;
	enum decision_kind kind = DECISION_LINK;

	if (strcmp(cmd, "conflicts") == 0) {
		limit = 50;
		for (i = 1; i < argc; i++) {
			if (strcmp(argv[i], "--all") == 0)
				limit = -1;
			else if (strcmp(argv[i], "--limit") == 0 &&
			    i + 1 < argc) {
				if (str_parse_int64(argv[++i], 1, INT64_MAX,
				    &limit, err, sizeof err) == -1)
					return idsync_usage("conflicts "
					    "--limit N: %s", err);
			} else if (argv[i][0] != '-' && account == NULL)
				account = argv[i];
			else
				return idsync_usage("conflicts [--limit N | "
				    "--all] [ACCOUNT]");
		}
	} else if (strcmp(cmd, "person") == 0) {
		if (argc != 2)
			return idsync_usage("person QUERY: one query");
	} else if (strcmp(cmd, "history") == 0) {
		if (argc > 2 || (argc == 2 && str_parse_int64(argv[1], 1,
		    100000, &limit, err, sizeof err) == -1))
			return idsync_usage("history [N]: N is a number of "
			    "runs");
	} else if (strcmp(cmd, "audit") == 0) {
		limit = 50;
		if (argc > 2 || (argc == 2 && str_parse_int64(argv[1], 1,
		    10000000, &limit, err, sizeof err) == -1))
			return idsync_usage("audit [N]: N is a number of "
			    "writes");
	} else if (strcmp(cmd, "decide") == 0) {
		readonly = 0;
		if (argc != 2)
			return idsync_usage("decide FILE: one file");
	} else if (strcmp(cmd, "new-person") == 0) {
		readonly = 0;
		if (argc != 2)
			return idsync_usage("new-person ACCOUNT");
	} else {
		readonly = 0;
		if (strcmp(cmd, "unlink") == 0) {
			kind = DECISION_UNLINK;
			if (argc != 2)
				return idsync_usage("unlink ACCOUNT");
		} else {
			kind = strcmp(cmd, "link") == 0 ? DECISION_LINK :
			    DECISION_NEVER_LINK;
			if (argc != 3)
				return idsync_usage("%s ACCOUNT ACCOUNT", cmd);
		}
	}
	/* A decision waits for a run that is saving. */
	if ((st = idsync_store(cfg, readonly ? STORE_READONLY :
	    STORE_WAIT)) == NULL)
		return WARD_EXIT_FAILURE;
	if (strcmp(cmd, "conflicts") == 0) {
		rc = review_conflicts(st, account, limit, stdout, &count, err,
		    sizeof err);
	} else if (strcmp(cmd, "person") == 0) {
		rc = review_person(st, &cfg->domains, argv[1], stdout, &count,
		    err, sizeof err);
		if (rc == 0 && count == 0) {
			snprintf(err, sizeof err, "no person or account "
			    "matches \"%s\"", argv[1]);
			rc = -1;
		}
	} else if (strcmp(cmd, "history") == 0)
		rc = review_history(st, limit, stdout, err, sizeof err);
	else if (strcmp(cmd, "audit") == 0)
		rc = review_audit(st, limit, stdout, err, sizeof err);
	else if (strcmp(cmd, "decide") == 0)
		rc = review_decide_file(st, argv[1], stdout, &count, err,
		    sizeof err);
	else if (strcmp(cmd, "new-person") == 0)
		rc = review_new_person(st, argv[1], stdout, err, sizeof err);
	else
		rc = review_decide(st, kind, argv[1], argc > 2 ? argv[2] : NULL,
		    stdout, err, sizeof err);
	store_close(st);
	if (rc == -1) {
		log_error("%s", err);
		return WARD_EXIT_FAILURE;
	}
	return WARD_EXIT_OK;
}

int
main(int argc, char **argv)
{
	struct idsync_config	 cfg;
	struct cli		 cli;
	const char		*cmd, *out = NULL, *plan_path = NULL;
	int			 rc, i, force = 0, dry_run = 0, full = 0;

	memset(&cfg, 0, sizeof cfg);
	if ((rc = cli_start(&idsync_program, argc, argv, &cli, &cfg)) != -1)
		return rc;
	/* A server gone in the middle of a write is an error to report, not
	 * a signal that kills the run before it can say so. */
	(void)signal(SIGPIPE, SIG_IGN);
	if (cli.argc == 0) {
		cfg_free(&idsync_schema, &cfg);
		return idsync_usage("no command (run, plan, apply, export, "
		    "conflicts, person, history, audit, link, unlink, "
		    "never-link, new-person, decide, estimate)");
	}
	cmd = cli.argv[0];
	if (strcmp(cmd, "run") == 0 || strcmp(cmd, "plan") == 0) {
		for (i = 1; i < cli.argc; i++) {
			if (strcmp(cmd, "run") == 0 &&
			    strcmp(cli.argv[i], "--force") == 0)
				force = 1;
			else if (strcmp(cli.argv[i], "--full") == 0)
				full = 1;
			else if (strcmp(cmd, "plan") == 0 &&
			    strcmp(cli.argv[i], "--out") == 0 &&
			    i + 1 < cli.argc && out == NULL)
				out = cli.argv[++i];
			else {
				rc = idsync_usage("%s: unexpected \"%s\"", cmd,
				    cli.argv[i]);
				goto out;
			}
		}
		rc = idsync_run(&cfg, strcmp(cmd, "plan") == 0, out, force,
		    full);
	} else if (strcmp(cmd, "apply") == 0) {
		for (i = 1; i < cli.argc; i++) {
			if (strcmp(cli.argv[i], "--force") == 0)
				force = 1;
			else if (strcmp(cli.argv[i], "--dry-run") == 0)
				dry_run = 1;
			else if (strcmp(cli.argv[i], "--out") == 0 &&
			    i + 1 < cli.argc && out == NULL)
				out = cli.argv[++i];
			else if (strcmp(cli.argv[i], "--plan") == 0 &&
			    i + 1 < cli.argc && plan_path == NULL)
				plan_path = cli.argv[++i];
			else {
				rc = idsync_usage("apply: unexpected \"%s\"",
				    cli.argv[i]);
				goto out;
			}
		}
		if (out != NULL && !dry_run) {
			rc = idsync_usage("apply --out FILE saves what "
			    "--dry-run shows: give both");
			goto out;
		}
		rc = idsync_apply(&cfg, force, dry_run, out, plan_path);
	} else if (strcmp(cmd, "export") == 0)
		rc = idsync_export(&cfg, cli.argc, cli.argv);
	else if (strcmp(cmd, "estimate") == 0)
		rc = idsync_estimate(&cfg, cli.argc, cli.argv);
	else if (strcmp(cmd, "conflicts") == 0 || strcmp(cmd, "person") == 0 ||
	    strcmp(cmd, "history") == 0 || strcmp(cmd, "audit") == 0 ||
	    strcmp(cmd, "link") == 0 || strcmp(cmd, "decide") == 0 ||
	    strcmp(cmd, "unlink") == 0 || strcmp(cmd, "never-link") == 0 ||
	    strcmp(cmd, "new-person") == 0)
		rc = idsync_review(&cfg, cli.argc, cli.argv);
	else
		rc = idsync_usage("unknown command \"%s\"", cmd);
out:
	cfg_free(&idsync_schema, &cfg);
	return rc;
}
