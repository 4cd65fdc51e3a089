/* fuzz_cfg.c: libFuzzer target for the configuration loader: any bytes as
 * an INI file against a table with every option type and a multi section. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/cfg.h"
#include "common/xmalloc.h"

struct fz_check {
	struct cfg_item	 item;
	char		*command;
	int64_t		 timeout_ms;
	struct cfg_list	 args;
};

struct fz_config {
	struct {
		char	*name;
		char	*dir;
		int64_t	 count;
		int	 on;
		int64_t	 interval_ms;
		int64_t	 size;
		int	 level;
		struct cfg_list tags;
	} main;
	struct cfg_items checks;
};

static const char *const levels[] = { "low", "high", NULL };

static const struct cfg_option main_options[] = {
	{ "name", CFG_STRING, "x", 0, 0, NULL, 0,
	  offsetof(struct fz_config, main.name) - offsetof(struct fz_config, main), "" },
	{ "dir", CFG_PATH, "/var/lib/x", 0, 0, NULL, 0,
	  offsetof(struct fz_config, main.dir) - offsetof(struct fz_config, main), "" },
	{ "count", CFG_INT, "3", 1, 100, NULL, 0,
	  offsetof(struct fz_config, main.count) - offsetof(struct fz_config, main), "" },
	{ "on", CFG_BOOL, "no", 0, 0, NULL, 0,
	  offsetof(struct fz_config, main.on) - offsetof(struct fz_config, main), "" },
	{ "interval", CFG_DURATION, "60s", 1000, 86400000, NULL, 0,
	  offsetof(struct fz_config, main.interval_ms) - offsetof(struct fz_config, main), "" },
	{ "size", CFG_SIZE, "1M", 1024, 1073741824, NULL, 0,
	  offsetof(struct fz_config, main.size) - offsetof(struct fz_config, main), "" },
	{ "level", CFG_ENUM, "low", 0, 0, levels, 0,
	  offsetof(struct fz_config, main.level) - offsetof(struct fz_config, main), "" },
	{ "tags", CFG_LIST, NULL, 0, 0, NULL, 0,
	  offsetof(struct fz_config, main.tags) - offsetof(struct fz_config, main), "" },
	CFG_OPTIONS_END
};

static const struct cfg_option check_options[] = {
	{ "command", CFG_STRING, NULL, 0, 0, NULL, CFG_REQUIRED,
	  offsetof(struct fz_check, command), "" },
	{ "timeout", CFG_DURATION, "10s", 1000, 300000, NULL, 0,
	  offsetof(struct fz_check, timeout_ms), "" },
	{ "args", CFG_LIST, NULL, 0, 0, NULL, 0,
	  offsetof(struct fz_check, args), "" },
	CFG_OPTIONS_END
};

static const struct cfg_section sections[] = {
	{ "main", main_options, 0, offsetof(struct fz_config, main), 0, "" },
	{ "check", check_options, CFG_SECTION_MULTI,
	  offsetof(struct fz_config, checks), sizeof(struct fz_check), "" },
	CFG_SECTIONS_END
};

static const struct cfg_schema schema = { "fuzz", "/dev/null", sections,
    NULL };

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_config	 cfg;
	char			*text, err[1024];

	text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&cfg, 0, sizeof cfg);
	if (cfg_load_string(&schema, "fuzz.conf", text, &cfg, err,
	    sizeof err) == 0)
		cfg_free(&schema, &cfg);
	free(text);
	return 0;
}
