/* idsync_gen.c: generates the staff of three trusts' directories as LDIF
 * (btuh, meht, southend; suffixes dc=NAME,dc=test) for ward-idsync's
 * tests and benchmarks, with the ground truth: which accounts are one
 * person. Besides a random population with the usual noise (missing
 * employee numbers, other departments), it writes the hard cases by name:
 * typos, nicknames, married names, diacritics, and people who are not one
 * another though they look alike: namesakes, a father and son, twins, a
 * shared ward account.
 *
 *   idsync_gen OUTDIR [PERSONS [SEED]]
 *
 * writes OUTDIR/btuh.ldif, meht.ldif, southend.ldif and truth.csv
 * (domain,objectGUID,sAMAccountName,person,kind,case). */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NDOMAINS	3

static const char *const domains[NDOMAINS] = { "btuh", "meht", "southend" };
/* Switchboard prefixes of each trust's sites. */
static const char *const phones[NDOMAINS] = {
	"+44 1268 52", "+44 1702 43", "+44 1245 51"
};

static uint64_t	 rng_state;

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static int
chance(int percent)
{
	return (int)(rng() % 100) < percent;
}

static size_t
pick(size_t n)
{
	return (size_t)(rng() % n);
}

static const char *const givens[] = {
	"James", "John", "Robert", "Michael", "William", "David", "Richard",
	"Joseph", "Thomas", "Charles", "Christopher", "Daniel", "Matthew",
	"Anthony", "Mark", "Paul", "Steven", "Andrew", "Kenneth", "Joshua",
	"Kevin", "Brian", "George", "Timothy", "Ronald", "Edward", "Jason",
	"Jeffrey", "Ryan", "Jacob", "Gary", "Nicholas", "Eric", "Jonathan",
	"Stephen", "Larry", "Justin", "Scott", "Benjamin", "Samuel", "Gregory",
	"Alexander", "Patrick", "Frank", "Raymond", "Jack", "Dennis", "Jerry",
	"Tyler", "Aaron", "Henry", "Peter", "Oliver", "Harry", "Alfie",
	"Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara",
	"Susan", "Jessica", "Sarah", "Karen", "Lisa", "Nancy", "Betty",
	"Margaret", "Sandra", "Ashley", "Kimberly", "Emily", "Donna",
	"Michelle", "Carol", "Amanda", "Dorothy", "Melissa", "Deborah",
	"Stephanie", "Rebecca", "Sharon", "Laura", "Cynthia", "Kathleen",
	"Amy", "Angela", "Shirley", "Anna", "Brenda", "Pamela", "Emma",
	"Nicola", "Helen", "Samantha", "Katherine", "Christine", "Debra",
	"Rachel", "Carolyn", "Janet", "Catherine", "Maria", "Heather",
	"Diane", "Ruth", "Julie", "Olivia", "Joyce", "Victoria", "Kelly",
	"Christina", "Lauren", "Joan", "Evelyn", "Judith", "Megan", "Cheryl",
	"Andrea", "Hannah", "Jacqueline", "Martha", "Gloria", "Teresa",
	"Priya", "Aisha", "Mohammed", "Ahmed", "Fatima", "Oluwaseun", "Chidi",
	"Wei", "Mei", "Anil", "Sunita", "Rajesh", "Deepa", "Tomasz", "Agnieszka",
};

static const char *const surnames[] = {
	"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson",
	"Davies", "Robinson", "Wright", "Thompson", "Evans", "Walker", "White",
	"Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke", "Patel",
	"Khan", "Lewis", "James", "Phillips", "Mason", "Mitchell", "Rose",
	"Davis", "Rodriguez", "Cox", "Alexander", "Garden", "Campbell",
	"Johnston", "Moore", "Smyth", "O'Neill", "Doherty", "Stewart",
	"Quinn", "Murphy", "Graham", "Mclaughlin", "Hamilton", "Murray",
	"Hughes", "Robertson", "Thomson", "Scott", "Macdonald", "Reid",
	"Clark", "Ross", "Young", "Watson", "Paterson", "Morrison", "Morgan",
	"Griffiths", "Edwards", "Rees", "Jenkins", "Owen", "Price", "Lloyd",
	"Turner", "Hill", "Harris", "Cooper", "Ward", "Martin", "King",
	"Baker", "Harrison", "Morris", "Lee", "Allen", "Bell", "Adams",
	"Shaw", "Richardson", "Chapman", "Webb", "Fox", "Marshall", "Gray",
	"Ellis", "Hunt", "Holmes", "Palmer", "Lloyd", "Knight", "Bailey",
	"Ahmed", "Ali", "Hussain", "Begum", "Singh", "Kaur", "Sharma",
	"Chen", "Wang", "Nguyen", "Kowalski", "Nowak", "Okafor", "Adeyemi",
	"Mensah", "Osei", "Fernandes", "Da Silva", "Murray-Brown", "Hartley",
	"Fairweather", "Pemberton", "Ashdown", "Thornbury", "Kingsley",
	"Halloran", "Radcliffe", "Sutcliffe", "Ormerod", "Pickering",
	"Lockwood", "Brierley", "Hepworth", "Greenwood", "Haworth",
};

/* English place-name surnames, put together: with the common ones above,
 * a spread of surnames like a real workforce's, thousands of them. */
static const char *const sn_heads[] = {
	"Ash", "Black", "Brad", "Brom", "Chad", "Clay", "Crom", "Dun", "Elm",
	"Fair", "Far", "Fen", "Gold", "Green", "Hal", "Hart", "Haw", "Hey",
	"Hol", "Kings", "Lang", "Lock", "Marl", "Mill", "Nor", "Oak", "Pen",
	"Ray", "Red", "Rock", "Ros", "Shel", "Stan", "Sut", "Thorn", "Wal",
	"Wes", "Whit", "Wins", "Wood", "Ather", "Bar", "Bur", "Cal", "Cot",
	"Dal", "Eger", "Ford", "Gar", "Grims", "Hamp", "Ing", "Kel", "Lid",
};
static const char *const sn_tails[] = {
	"ley", "ton", "worth", "field", "ford", "wood", "by", "ham", "well",
	"ridge", "combe", "den", "stead", "bury", "more", "wick", "thorpe",
	"sall", "dale", "hurst",
};

struct job {
	const char	*department;
	const char	*titles[4];
};

static const struct job jobs[] = {
	{ "Radiology", { "Radiographer", "Consultant Radiologist",
	    "Sonographer", "Radiology Assistant" } },
	{ "Emergency Department", { "Staff Nurse", "Emergency Physician",
	    "Healthcare Assistant", "Ward Clerk" } },
	{ "Maternity", { "Midwife", "Obstetrician", "Maternity Support Worker",
	    "Ward Manager" } },
	{ "Pharmacy", { "Pharmacist", "Pharmacy Technician",
	    "Pharmacy Assistant", "Chief Pharmacist" } },
	{ "Estates", { "Electrician", "Estates Manager", "Plumber",
	    "Apprentice Electrician" } },
	{ "Information Technology", { "Service Desk Analyst",
	    "Infrastructure Engineer", "Developer", "IT Trainer" } },
	{ "Finance", { "Accountant", "Finance Officer", "Payroll Officer",
	    "Head of Finance" } },
	{ "Cardiology", { "Cardiologist", "Cardiac Physiologist",
	    "Staff Nurse", "Secretary" } },
	{ "Oncology", { "Oncologist", "Clinical Nurse Specialist",
	    "Radiotherapist", "Secretary" } },
	{ "Paediatrics", { "Paediatrician", "Staff Nurse", "Play Specialist",
	    "Healthcare Assistant" } },
	{ "Pathology", { "Biomedical Scientist", "Pathologist",
	    "Laboratory Assistant", "Phlebotomist" } },
	{ "Human Resources", { "HR Advisor", "HR Business Partner",
	    "Recruitment Officer", "HR Assistant" } },
};

/* One account as written to one directory. */
struct acct {
	int		 domain;
	const char	*given;		/* as the directory has it */
	const char	*sn;
	const char	*given_ascii;	/* for mail and sAMAccountName */
	const char	*sn_ascii;
	const char	*employee_id;	/* NULL: none */
	const char	*mobile;
	const char	*department;
	const char	*title;
	const char	*kind;		/* person, admin, service, shared */
	const char	*sam;		/* NULL: made from the name */
	const char	*alias;		/* an extra smtp: proxy address */
	const char	*person;	/* ground truth; NULL for no one */
	const char	*label;		/* the hard case it belongs to */
	int		 disabled;
	int		 expired;
};

static FILE	*ldif[NDOMAINS], *truth;
static unsigned	 rid[NDOMAINS];
static unsigned	 usn[NDOMAINS];

/* Names taken in each domain (sAMAccountName, CN), case-insensitively:
 * an open-addressing set, since a bench writes hundreds of thousands. */
struct nameset {
	char	**slots;
	size_t	  size;
	size_t	  used;
};
static struct nameset	 used_sams[NDOMAINS], used_cns[NDOMAINS];

static uint64_t
name_hash(const char *s)
{
	uint64_t	 h = 14695981039346656037ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s);
		h *= 1099511628211ULL;
	}
	return h;
}

static int
used(const struct nameset *ns, const char *s)
{
	size_t	 i;

	if (ns->size == 0)
		return 0;
	for (i = name_hash(s) & (ns->size - 1); ns->slots[i] != NULL;
	    i = (i + 1) & (ns->size - 1))
		if (strcasecmp(ns->slots[i], s) == 0)
			return 1;
	return 0;
}

static void
take(struct nameset *ns, const char *s)
{
	char	**old = ns->slots;
	size_t	  oldsize = ns->size, i, j;

	if ((ns->used + 1) * 2 > ns->size) {
		ns->size = ns->size == 0 ? 1024 : ns->size * 2;
		if ((ns->slots = calloc(ns->size, sizeof *ns->slots)) == NULL)
			exit(1);
		for (j = 0; j < oldsize; j++) {
			if (old[j] == NULL)
				continue;
			for (i = name_hash(old[j]) & (ns->size - 1);
			    ns->slots[i] != NULL; i = (i + 1) & (ns->size - 1))
				;
			ns->slots[i] = old[j];
		}
		free(old);
	}
	for (i = name_hash(s) & (ns->size - 1); ns->slots[i] != NULL;
	    i = (i + 1) & (ns->size - 1))
		;
	if ((ns->slots[i] = strdup(s)) == NULL)
		exit(1);
	ns->used++;
}

static void
forget(struct nameset *ns)
{
	size_t	 i;

	for (i = 0; i < ns->size; i++)
		free(ns->slots[i]);
	free(ns->slots);
	memset(ns, 0, sizeof *ns);
}

static void
lower_ascii(char *s)
{
	char	*d = s;

	for (; *s != '\0'; s++) {
		if (*s >= 'A' && *s <= 'Z')
			*d++ = (char)(*s - 'A' + 'a');
		else if ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '.' || *s == '-')
			*d++ = *s;
	}
	*d = '\0';
}

static void
base64(const unsigned char *in, size_t len, FILE *fp)
{
	static const char t[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t	 i;
	uint32_t v;

	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		fprintf(fp, "%c%c%c%c", t[v >> 18], t[(v >> 12) & 63],
		    t[(v >> 6) & 63], t[v & 63]);
	}
	if (len - i == 1) {
		v = (uint32_t)in[i] << 16;
		fprintf(fp, "%c%c==", t[v >> 18], t[(v >> 12) & 63]);
	} else if (len - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		fprintf(fp, "%c%c%c=", t[v >> 18], t[(v >> 12) & 63],
		    t[(v >> 6) & 63]);
	}
}

/* RFC 2849: a value that is not plain ASCII, or starts with a space, a
 * colon or '<', is written in base64. */
static void
attr(FILE *fp, const char *name, const char *value)
{
	const unsigned char	*p;
	int			 safe = value[0] != ' ' && value[0] != ':' &&
	    value[0] != '<';

	for (p = (const unsigned char *)value; *p != '\0' && safe; p++)
		if (*p < 0x20 || *p > 0x7e)
			safe = 0;
	if (safe)
		fprintf(fp, "%s: %s\n", name, value);
	else {
		fprintf(fp, "%s:: ", name);
		base64((const unsigned char *)value, strlen(value), fp);
		fputc('\n', fp);
	}
}

static void
guid_text(const unsigned char *g, char *dst)
{
	sprintf(dst, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", g[3], g[2], g[1], g[0], g[5], g[4],
	    g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
}

static void
emit(const struct acct *a)
{
	FILE		*fp = ldif[a->domain];
	const char	*dom = domains[a->domain];
	unsigned char	 guid[16], sid[28];
	char		 sam[256], mail[256], cn[512], g[40], ga[48], sa[48];
	char		 buf[1024], stem[32];
	uint64_t	 r;
	size_t		 i, n;
	unsigned	 sub[4];

	for (i = 0; i < 16; i += 8) {
		r = rng();
		memcpy(guid + i, &r, 8);
	}
	snprintf(ga, sizeof ga, "%s", a->given_ascii);
	snprintf(sa, sizeof sa, "%s", a->sn_ascii);
	lower_ascii(ga);
	lower_ascii(sa);
	if (a->sam != NULL)
		snprintf(sam, sizeof sam, "%s", a->sam);
	else if (a->domain == 0)
		snprintf(sam, sizeof sam, "%c%s", ga[0], sa);
	else if (a->domain == 1)
		snprintf(sam, sizeof sam, "%s.%s", ga, sa);
	else
		snprintf(sam, sizeof sam, "%s%c", sa, ga[0]);
	sam[20] = '\0';		/* sAMAccountName holds 20 characters */
	snprintf(stem, sizeof stem, "%.17s", sam);
	for (n = 2; used(&used_sams[a->domain], sam); n++)
		snprintf(sam, sizeof sam, "%s%zu", stem, n);
	take(&used_sams[a->domain], sam);
	snprintf(mail, sizeof mail, "%s.%s@%s.test", ga, sa, dom);
	if (strcmp(a->kind, "person") != 0 && strcmp(a->kind, "admin") != 0)
		snprintf(mail, sizeof mail, "%.40s@%s.test", sam, dom);
	else if (n > 2)
		snprintf(mail, sizeof mail, "%s.%s%u@%s.test", ga, sa,
		    (unsigned)(n - 1) % 1000, dom);
	snprintf(cn, sizeof cn, "%s %s", a->given, a->sn);
	for (n = 2; used(&used_cns[a->domain], cn); n++)
		snprintf(cn, sizeof cn, "%.200s %.200s (%u)", a->given, a->sn,
		    (unsigned)n % 100000);
	take(&used_cns[a->domain], cn);

	snprintf(buf, sizeof buf, "CN=%s,OU=%s,DC=%s,DC=test", cn,
	    strcmp(a->kind, "service") == 0 ? "Service Accounts" :
	    strcmp(a->kind, "shared") == 0 ? "Shared" :
	    strcmp(a->kind, "admin") == 0 ? "Admin Accounts" : "Staff", dom);
	attr(fp, "dn", buf);
	fputs("objectClass: top\nobjectClass: person\n"
	    "objectClass: organizationalPerson\nobjectClass: inetOrgPerson\n"
	    "objectClass: user\n", fp);
	attr(fp, "cn", cn);
	attr(fp, "sn", a->sn);
	attr(fp, "givenName", a->given);
	attr(fp, "displayName", cn);
	attr(fp, "sAMAccountName", sam);
	snprintf(buf, sizeof buf, "%.40s@%s.test", sam, dom);
	attr(fp, "userPrincipalName", buf);
	attr(fp, "mail", mail);
	snprintf(buf, sizeof buf, "SMTP:%s", mail);
	attr(fp, "proxyAddresses", buf);
	if (a->alias != NULL) {
		snprintf(buf, sizeof buf, "smtp:%s", a->alias);
		attr(fp, "proxyAddresses", buf);
	}
	if (a->employee_id != NULL)
		attr(fp, "employeeID", a->employee_id);
	if (a->department != NULL)
		attr(fp, "department", a->department);
	if (a->title != NULL)
		attr(fp, "title", a->title);
	snprintf(buf, sizeof buf, "%s%04u", phones[a->domain],
	    (unsigned)pick(10000));
	attr(fp, "telephoneNumber", buf);
	if (a->mobile != NULL)
		attr(fp, "mobile", a->mobile);
	fprintf(fp, "userAccountControl: %d\n", a->disabled ? 514 : 512);
	/* Never, both ways AD writes it; an expired contract; or a date
	 * still ahead. */
	if (a->expired)
		fputs("accountExpires: 133000000000000000\n", fp);
	else if (chance(50))
		fputs("accountExpires: 9223372036854775807\n", fp);
	else if (chance(80))
		fputs("accountExpires: 0\n", fp);
	else
		fputs("accountExpires: 160000000000000000\n", fp);
	if (chance(5))
		fputs("pwdLastSet: 0\n", fp);
	else
		fprintf(fp, "pwdLastSet: %llu\n",
		    133900000000000000ULL + rng() % 1000000000000000ULL);
	fprintf(fp, "lastLogonTimestamp: %llu\n",
	    133950000000000000ULL + rng() % 100000000000000ULL);
	fprintf(fp, "whenChanged: 2026%02u%02u%02u%02u%02u.0Z\n",
	    (unsigned)(1 + pick(9)), (unsigned)(1 + pick(28)),
	    (unsigned)pick(24), (unsigned)pick(60), (unsigned)pick(60));
	fprintf(fp, "uSNChanged: %u\n", usn[a->domain] += 1 + (unsigned)pick(7));
	snprintf(buf, sizeof buf, "CN=Person,CN=Schema,CN=Configuration,"
	    "DC=%s,DC=test", dom);
	attr(fp, "objectCategory", buf);
	snprintf(buf, sizeof buf, "CN=All Staff,OU=Groups,DC=%s,DC=test", dom);
	attr(fp, "memberOf", buf);
	fputs("objectGUID:: ", fp);
	base64(guid, 16, fp);
	fputc('\n', fp);
	/* S-1-5-21-x-y-z-RID: the domain's three numbers, then the RID. */
	sid[0] = 1;
	sid[1] = 5;
	memset(sid + 2, 0, 5);
	sid[7] = 5;
	sub[0] = 21;
	sub[1] = 1004336348U + (unsigned)a->domain;
	sub[2] = 1177238915U;
	sub[3] = 682003330U;
	for (i = 0; i < 4; i++) {
		sid[8 + 4 * i] = (unsigned char)sub[i];
		sid[9 + 4 * i] = (unsigned char)(sub[i] >> 8);
		sid[10 + 4 * i] = (unsigned char)(sub[i] >> 16);
		sid[11 + 4 * i] = (unsigned char)(sub[i] >> 24);
	}
	rid[a->domain]++;
	sid[24] = (unsigned char)rid[a->domain];
	sid[25] = (unsigned char)(rid[a->domain] >> 8);
	sid[26] = (unsigned char)(rid[a->domain] >> 16);
	sid[27] = (unsigned char)(rid[a->domain] >> 24);
	fputs("objectSid:: ", fp);
	base64(sid, sizeof sid, fp);
	fputs("\n\n", fp);

	guid_text(guid, g);
	fprintf(truth, "%s,%s,%s,%s,%s,%s\n", dom, g, sam,
	    a->person != NULL ? a->person : "", a->kind,
	    a->label != NULL ? a->label : "");
}

/*
 * The hard cases, each by name. Positives carry one piece of strong
 * evidence (the same mobile, an alias, an employee number) but no more:
 * names and jobs alone link nobody. Negatives look alike but are not one.
 */
static void
hard_cases(void)
{
	static const struct acct cases[] = {
	/* A typo in the given name; the employee number only in btuh. */
	{ 0, "Jonathon", "Whitfield", "Jonathon", "Whitfield", "E7000101",
	  "07700 900101", "Radiology", "Radiographer", "person", NULL, NULL,
	  "H01", "typo", 0, 0 },
	{ 1, "Jonathan", "Whitfield", "Jonathan", "Whitfield", NULL,
	  "07700 900101", "Radiology", "Radiographer", "person", NULL, NULL,
	  "H01", "typo", 0, 0 },
	/* His admin account, with his employee number. */
	{ 0, "Jonathon", "Whitfield", "Jonathon", "Whitfield", "E7000101",
	  NULL, "Information Technology", "Radiology PACS Administrator",
	  "admin", "adm-jwhitfield", NULL, "H01", "admin", 0, 0 },
	/* Two letters swapped in the surname. */
	{ 0, "Catherine", "Ashworth", "Catherine", "Ashworth", "E7000102",
	  "07700 900102", "Pharmacy", "Pharmacist", "person", NULL, NULL,
	  "H02", "typo", 0, 0 },
	{ 2, "Catherine", "Ashwroth", "Catherine", "Ashwroth", NULL,
	  "07700 900102", "Pharmacy", "Pharmacist", "person", NULL, NULL,
	  "H02", "typo", 0, 0 },
	/* Nicknames, three ways. */
	{ 0, "Robert", "Pennington", "Robert", "Pennington", NULL,
	  "07700 900103", "Estates", "Estates Manager", "person", NULL, NULL,
	  "H03", "nickname", 0, 0 },
	{ 1, "Bob", "Pennington", "Bob", "Pennington", NULL, "07700 900103",
	  "Estates", "Plumber", "person", NULL, NULL, "H03", "nickname", 0, 0 },
	{ 2, "Rob", "Pennington", "Rob", "Pennington", "E7000103",
	  "07700 900103", "Estates", "Estates Manager", "person", NULL, NULL,
	  "H03", "nickname", 0, 0 },
	{ 0, "Elizabeth", "Hartley-Moore", "Elizabeth", "Hartley-Moore", NULL,
	  "07700 900104", "Finance", "Accountant", "person", NULL, NULL,
	  "H04", "nickname", 0, 0 },
	{ 2, "Liz", "Hartley-Moore", "Liz", "Hartley-Moore", NULL,
	  "07700 900104", "Finance", "Head of Finance", "person", NULL, NULL,
	  "H04", "nickname", 0, 0 },
	{ 1, "Margaret", "Dunmore", "Margaret", "Dunmore", "E7000105", NULL,
	  "Maternity", "Midwife", "person", NULL, NULL, "H05", "nickname",
	  0, 0 },
	{ 2, "Peggy", "Dunmore", "Peggy", "Dunmore", "E7000105", NULL,
	  "Maternity", "Midwife", "person", NULL, NULL, "H05", "nickname",
	  0, 0 },
	/* Married: another surname, the same employee number. */
	{ 0, "Sarah", "Blackwood", "Sarah", "Blackwood", "E7000106", NULL,
	  "Cardiology", "Cardiac Physiologist", "person", NULL, NULL, "H06",
	  "married", 0, 0 },
	{ 1, "Sarah", "Fenwick", "Sarah", "Fenwick", "E7000106", NULL,
	  "Cardiology", "Cardiac Physiologist", "person", NULL, NULL, "H06",
	  "married", 0, 0 },
	/* Married, double-barrelled, no employee number in meht. */
	{ 0, "Hannah", "Corrigan", "Hannah", "Corrigan", "E7000107",
	  "07700 900107", "Paediatrics", "Staff Nurse", "person", NULL, NULL,
	  "H07", "married", 0, 0 },
	{ 1, "Hannah", "Okafor-Corrigan", "Hannah", "Okafor-Corrigan", NULL,
	  "07700 900107", "Paediatrics", "Staff Nurse", "person", NULL, NULL,
	  "H07", "married", 0, 0 },
	/* Diacritics one side, none the other. */
	{ 0, "Zoë", "Lefèvre", "Zoe", "Lefevre", NULL, "07700 900108",
	  "Oncology", "Oncologist", "person", NULL, NULL, "H08", "diacritics",
	  0, 0 },
	{ 1, "Zoe", "Lefevre", "Zoe", "Lefevre", NULL, "07700 900108",
	  "Oncology", "Oncologist", "person", NULL, NULL, "H08", "diacritics",
	  0, 0 },
	{ 1, "Søren", "Ødegård", "Soren", "Odegard", NULL, "07700 900109",
	  "Pathology", "Biomedical Scientist", "person", NULL, NULL, "H09",
	  "diacritics", 0, 0 },
	{ 2, "Soren", "Odegard", "Soren", "Odegard", NULL, "07700 900109",
	  "Pathology", "Biomedical Scientist", "person", NULL, NULL, "H09",
	  "diacritics", 0, 0 },
	{ 0, "Łucja", "Wałęsa", "Lucja", "Walesa", NULL, "07700 900110",
	  "Emergency Department", "Staff Nurse", "person", NULL, NULL, "H10",
	  "diacritics", 0, 0 },
	{ 2, "Lucja", "Walesa", "Lucja", "Walesa", NULL, "07700 900110",
	  "Emergency Department", "Staff Nurse", "person", NULL, NULL, "H10",
	  "diacritics", 0, 0 },
	{ 0, "Siân", "O'Dowd", "Sian", "ODowd", NULL, "07700 900111",
	  "Human Resources", "HR Advisor", "person", NULL, NULL, "H11",
	  "diacritics", 0, 0 },
	{ 1, "Sian", "O’Dowd", "Sian", "ODowd", NULL, "07700 900111",
	  "Human Resources", "HR Advisor", "person", NULL, NULL, "H11",
	  "diacritics", 0, 0 },
	/* A migration alias in meht carries the btuh address. */
	{ 0, "Thomas", "Achterberg", "Thomas", "Achterberg", NULL, NULL,
	  "Information Technology", "Developer", "person", NULL, NULL, "H12",
	  "proxy", 0, 0 },
	{ 1, "Tom", "Achterberg", "Tom", "Achterberg", NULL, NULL,
	  "Information Technology", "Infrastructure Engineer", "person", NULL,
	  "thomas.achterberg@btuh.test", "H12", "proxy", 0, 0 },
	/* One person, but nothing strong to say so: a person decides. */
	{ 0, "Daniel", "Kerridge", "Daniel", "Kerridge", NULL, NULL,
	  "Radiology", "Radiographer", "person", NULL, NULL, "H13", "review",
	  0, 0 },
	{ 1, "Danny", "Kerridge", "Danny", "Kerridge", NULL, NULL, "Pathology",
	  "Phlebotomist", "person", NULL, NULL, "H13", "review", 0, 0 },
	/* A leaver: both accounts disabled or expired. */
	{ 0, "Gillian", "Thackeray", "Gillian", "Thackeray", "E7000114",
	  NULL, "Pharmacy", "Pharmacy Technician", "person", NULL, NULL,
	  "H14", "leaver", 1, 0 },
	{ 2, "Gill", "Thackeray", "Gill", "Thackeray", "E7000114", NULL,
	  "Pharmacy", "Pharmacy Technician", "person", NULL, NULL, "H14",
	  "leaver", 0, 1 },

	/* Namesakes: two John Smiths, two trusts, two jobs. */
	{ 0, "John", "Smith", "John", "Smith", "E7000201", "07700 900201",
	  "Radiology", "Consultant Radiologist", "person", NULL, NULL, "N01",
	  "namesake", 0, 0 },
	{ 1, "John", "Smith", "John", "Smith", NULL, "07700 900202",
	  "Estates", "Electrician", "person", NULL, NULL, "N02", "namesake",
	  0, 0 },
	/* The radiologist's admin account: his, not the electrician's. */
	{ 0, "John", "Smith", "John", "Smith", NULL, "07700 900201",
	  "Radiology", "Consultant Radiologist", "admin", "adm-jsmith", NULL,
	  "N01", "admin", 0, 0 },
	/* Namesakes in one job, told apart by their employee numbers. */
	{ 1, "Sarah", "Jones", "Sarah", "Jones", "E7000203", NULL,
	  "Emergency Department", "Staff Nurse", "person", NULL, NULL, "N03",
	  "namesake", 0, 0 },
	{ 2, "Sarah", "Jones", "Sarah", "Jones", "E7000204", NULL,
	  "Emergency Department", "Staff Nurse", "person", NULL, NULL, "N04",
	  "namesake", 0, 0 },
	/* Two Mohammed Khans in btuh; the meht one is the pharmacist. */
	{ 0, "Mohammed", "Khan", "Mohammed", "Khan", NULL, "07700 900205",
	  "Pharmacy", "Pharmacist", "person", NULL, NULL, "N05", "namesake",
	  0, 0 },
	{ 0, "Mohammed", "Khan", "Mohammed", "Khan", NULL, "07700 900206",
	  "Finance", "Accountant", "person", NULL, NULL, "N06", "namesake",
	  0, 0 },
	{ 1, "Mohammed", "Khan", "Mohammed", "Khan", NULL, "07700 900205",
	  "Pharmacy", "Pharmacist", "person", NULL, NULL, "N05", "namesake",
	  0, 0 },
	/* Father and son, both David Marsh, both in Estates. */
	{ 0, "David", "Marsh", "David", "Marsh", "E7000207", "07700 900207",
	  "Estates", "Estates Manager", "person", NULL, NULL, "N07",
	  "father-son", 0, 0 },
	{ 1, "David", "Marsh", "David", "Marsh", NULL, "07700 900207",
	  "Estates", "Estates Manager", "person", NULL, NULL, "N07",
	  "father-son", 0, 0 },
	{ 2, "David", "Marsh", "David", "Marsh", "E7000208", "07700 900208",
	  "Estates", "Apprentice Electrician", "person", NULL, NULL, "N08",
	  "father-son", 0, 0 },
	/* Twins, midwives both. */
	{ 0, "Emma", "Clarke-Holt", "Emma", "Clarke-Holt", NULL,
	  "07700 900209", "Maternity", "Midwife", "person", NULL, NULL, "N09",
	  "twins", 0, 0 },
	{ 1, "Emily", "Clarke-Holt", "Emily", "Clarke-Holt", NULL,
	  "07700 900210", "Maternity", "Midwife", "person", NULL, NULL, "N10",
	  "twins", 0, 0 },
	{ 1, "Alexander", "Greaves", "Alexander", "Greaves", NULL,
	  "07700 900211", "Cardiology", "Staff Nurse", "person", NULL, NULL,
	  "N11", "twins", 0, 0 },
	{ 2, "Alexandra", "Greaves", "Alexandra", "Greaves", NULL,
	  "07700 900212", "Cardiology", "Staff Nurse", "person", NULL, NULL,
	  "N12", "twins", 0, 0 },
	/* A ward's shared account in two trusts, and service accounts. */
	{ 0, "Ward 7", "Nurses", "Ward7", "Nurses", NULL, NULL,
	  "Emergency Department", NULL, "shared", "ward7.nurses", NULL, NULL,
	  "shared", 0, 0 },
	{ 1, "Ward 7", "Nurses", "Ward7", "Nurses", NULL, NULL,
	  "Emergency Department", NULL, "shared", "ward-7-nurses", NULL, NULL,
	  "shared", 0, 0 },
	{ 0, "Backup", "Service", "Backup", "Service", NULL, NULL,
	  "Information Technology", NULL, "service", "svc-backup", NULL, NULL,
	  "service", 0, 0 },
	{ 2, "Backup", "Service", "Backup", "Service", NULL, NULL,
	  "Information Technology", NULL, "service", "svc-backup", NULL, NULL,
	  "service", 0, 0 },
	};
	size_t	 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		emit(&cases[i]);
}

/* Everyone else: in one, two or three trusts, with the noise of real
 * directories. */
static void
population(size_t persons)
{
	struct acct	 a;
	const struct job *j, *j2;
	char		*key, *eid, *mob, composed[64];
	const char	*given, *sn;
	size_t		 i;
	int		 d, present, n, has_eid, has_mob;

	for (i = 0; i < persons; i++) {
		given = givens[pick(sizeof givens / sizeof givens[0])];
		if (chance(60))
			sn = surnames[pick(sizeof surnames /
			    sizeof surnames[0])];
		else {
			snprintf(composed, sizeof composed, "%s%s",
			    sn_heads[pick(sizeof sn_heads / sizeof sn_heads[0])],
			    sn_tails[pick(sizeof sn_tails / sizeof sn_tails[0])]);
			sn = composed;
		}
		j = &jobs[pick(sizeof jobs / sizeof jobs[0])];
		if (asprintf(&key, "R%05zu", i + 1) == -1 ||
		    asprintf(&eid, "E%07zu", 1000000 + i * 7) == -1 ||
		    asprintf(&mob, "07%03u %06u", (unsigned)(700 + pick(300)),
		    (unsigned)pick(1000000)) == -1)
			exit(1);
		has_eid = chance(85);
		has_mob = chance(65);
		n = chance(50) ? 1 : chance(70) ? 2 : 3;
		present = 0;
		while (__builtin_popcount((unsigned)present) < n)
			present |= 1 << pick(NDOMAINS);
		for (d = 0; d < NDOMAINS; d++) {
			if (!(present & (1 << d)))
				continue;
			memset(&a, 0, sizeof a);
			a.domain = d;
			a.given = a.given_ascii = given;
			a.sn = a.sn_ascii = sn;
			a.employee_id = has_eid && chance(80) ? eid : NULL;
			a.mobile = has_mob && chance(85) ? mob : NULL;
			j2 = chance(80) ? j : &jobs[pick(sizeof jobs /
			    sizeof jobs[0])];
			a.department = j2->department;
			a.title = j2->titles[chance(75) ? 0 : pick(4)];
			a.kind = "person";
			a.person = key;
			a.label = "random";
			a.disabled = chance(4);
			emit(&a);
		}
		free(key);
		free(eid);
		free(mob);
	}
}

int
main(int argc, char **argv)
{
	char		 path[4096];
	size_t		 persons = 300;
	int		 d;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: idsync_gen OUTDIR [PERSONS [SEED]]\n");
		return 2;
	}
	if (argc > 2)
		persons = strtoul(argv[2], NULL, 10);
	rng_state = argc > 3 ? strtoull(argv[3], NULL, 10) : 20261123;
	if (rng_state == 0)
		rng_state = 1;
	if (persons < 1 || persons > 1000000) {
		fprintf(stderr, "idsync_gen: 1 to 1000000 persons\n");
		return 2;
	}
	for (d = 0; d < NDOMAINS; d++) {
		snprintf(path, sizeof path, "%s/%s.ldif", argv[1], domains[d]);
		if ((ldif[d] = fopen(path, "w")) == NULL) {
			fprintf(stderr, "idsync_gen: %s: %s\n", path,
			    strerror(errno));
			return 1;
		}
		fprintf(ldif[d], "dn: DC=%s,DC=test\nobjectClass: dcObject\n"
		    "objectClass: organization\no: %s\ndc: %s\n\n", domains[d],
		    domains[d], domains[d]);
		fprintf(ldif[d], "dn: OU=Staff,DC=%s,DC=test\nobjectClass: "
		    "organizationalUnit\nou: Staff\n\n", domains[d]);
		fprintf(ldif[d], "dn: OU=Admin Accounts,DC=%s,DC=test\n"
		    "objectClass: organizationalUnit\nou: Admin Accounts\n\n",
		    domains[d]);
		fprintf(ldif[d], "dn: OU=Service Accounts,DC=%s,DC=test\n"
		    "objectClass: organizationalUnit\nou: Service Accounts\n\n",
		    domains[d]);
		fprintf(ldif[d], "dn: OU=Shared,DC=%s,DC=test\nobjectClass: "
		    "organizationalUnit\nou: Shared\n\n", domains[d]);
	}
	snprintf(path, sizeof path, "%s/truth.csv", argv[1]);
	if ((truth = fopen(path, "w")) == NULL) {
		fprintf(stderr, "idsync_gen: %s: %s\n", path, strerror(errno));
		return 1;
	}
	fprintf(truth, "domain,objectGUID,sAMAccountName,person,kind,case\n");
	hard_cases();
	population(persons);
	for (d = 0; d < NDOMAINS; d++) {
		if (fclose(ldif[d]) != 0)
			return 1;
		forget(&used_sams[d]);
		forget(&used_cns[d]);
	}
	return fclose(truth) != 0;
}
