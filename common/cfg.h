/*
 * cfg.h: INI configuration (parsed with inih) checked against a
 * declarative table of sections and options. The same table drives parsing,
 * defaults, range checks, `-n`, and the generated reference in man pages and
 * docs/config.md.
 *
 * The file syntax is inih's: "[section]" or "[section \"label\"]" headers,
 * "key = value" lines, whole-line comments starting with ';' or '#'. A ';'
 * after whitespace starts a comment, so a value cannot contain " ;". A line
 * may hold at most 199 characters. An indented line continues the previous
 * value, which only lists accept.
 */
#ifndef WARD_CFG_H
#define WARD_CFG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum cfg_type {
	CFG_STRING,	/* char *                                          */
	CFG_PATH,	/* char *; relative paths resolved against the file */
	CFG_INT,	/* int64_t, within [min, max]                      */
	CFG_BOOL,	/* int: yes/no, true/false, on/off, 1/0            */
	CFG_DURATION,	/* int64_t milliseconds: "90s", "5m", "1h", "7d"   */
	CFG_SIZE,	/* int64_t bytes: "512k", "10M", "2G"              */
	CFG_ENUM,	/* int: index into choices[]                       */
	CFG_LIST,	/* struct cfg_list: comma/space separated, repeats append */
	CFG_SECRET,	/* char *: the *contents* of the file the value names;
			   the file must be mode 0600 or stricter          */
};

/* Option flags. */
#define CFG_REQUIRED	0x01	/* no default; must be set */
#define CFG_HIDDEN	0x02	/* not in the generated reference */

struct cfg_list {
	char	**items;
	size_t	  count;
};

struct cfg_option {
	const char	*name;
	enum cfg_type	 type;
	const char	*default_value;	/* as written in a file; NULL = unset */
	int64_t		 min;		/* INT/DURATION(ms)/SIZE; min==max==0: any */
	int64_t		 max;
	const char *const *choices;	/* ENUM: NULL-terminated */
	unsigned	 flags;
	size_t		 offset;	/* of the field within the section struct */
	const char	*help;
};
#define CFG_OPTIONS_END { NULL, 0, NULL, 0, 0, NULL, 0, 0, NULL }

/* Section flags. */
#define CFG_SECTION_MULTI	0x01	/* [name "label"] may repeat */
#define CFG_SECTION_REQUIRED	0x02	/* single: must appear; multi: at least one */

/*
 * A single section's fields live in a struct at `offset` inside the
 * program's config struct. A multi section's instances are allocated
 * (item_size bytes, first member `struct cfg_item`) and kept in a
 * `struct cfg_items` at `offset`.
 */
struct cfg_item {
	char	*label;		/* the "label" in [name "label"] */
	int	 line;		/* where the section started */
};

struct cfg_items {
	void	**items;	/* each points at a struct starting with cfg_item */
	size_t	  count;
};

struct cfg_section {
	const char		*name;
	const struct cfg_option	*options;
	unsigned		 flags;
	size_t			 offset;
	size_t			 item_size;	/* multi only */
	const char		*help;
};
#define CFG_SECTIONS_END { NULL, NULL, 0, 0, 0, NULL }

struct cfg_schema {
	const char		*program;	/* "ward-agent" */
	const char		*default_path;	/* "/etc/ward/agent.conf" */
	const struct cfg_section *sections;
	/* Optional cross-field checks after load; 0 or -1 with err set. */
	int			(*validate)(void *cfg, char *err, size_t errlen);
};

/*
 * Loads path into cfg (a zeroed struct of the program's config type):
 * defaults first, then the file. Returns 0, or -1 with err like
 * "/etc/ward/agent.conf:12: [spool] max_size: \"12Q\": not a size".
 * Unknown sections and keys, duplicate keys, values out of range, missing
 * required options and unsafe secret files are errors. On error cfg holds
 * nothing that needs freeing beyond what cfg_free releases.
 */
int	 cfg_load(const struct cfg_schema *schema, const char *path, void *cfg,
	    char *err, size_t errlen);
/* Same, from a string (name is used in messages). */
int	 cfg_load_string(const struct cfg_schema *schema, const char *name,
	    const char *text, void *cfg, char *err, size_t errlen);
/* Applies only the defaults (for programs run without a file). */
int	 cfg_defaults(const struct cfg_schema *schema, void *cfg, char *err,
	    size_t errlen);
/* Frees every string, list, secret (wiped) and multi item; cfg is zeroed. */
void	 cfg_free(const struct cfg_schema *schema, void *cfg);

/*
 * Reads a secret file: regular file, owned by the effective user or root,
 * no group/other permission bits. Trailing newlines are dropped. Returns a
 * string the caller frees with xfree_secret, or NULL with err set (the
 * message names the file, never its contents).
 */
char	*cfg_read_secret(const char *path, char *err, size_t errlen);

/*
 * Set while -n checks a configuration: the validate callbacks then also
 * check what the machine must have for it (the user to run as, the files
 * it names), which a command that does not use them (ward-idsync history,
 * ward-agent --print) must not be refused for. 0 otherwise.
 */
extern int	 cfg_check_machine;

/* Writes the effective configuration as INI; secrets print as "(secret)". */
void	 cfg_dump(const struct cfg_schema *schema, const void *cfg, FILE *fp);

enum cfg_ref_format { CFG_REF_MAN, CFG_REF_MARKDOWN };
/* Writes the option reference generated from the table. */
void	 cfg_reference(const struct cfg_schema *schema,
	    enum cfg_ref_format format, FILE *fp);

#endif
