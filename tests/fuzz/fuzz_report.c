/* fuzz_report.c: libFuzzer target for what the collector does with a
 * report body before storing it: the JSON parser with its limits, then
 * every validation rule of docs/report.md. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "common/wjson.h"
#include "collector/collector.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wjson_limits	 limits = { 8 * 1024 * 1024, 8, 8192 };
	json_t			*doc;
	char			 err[512];

	doc = wjson_parse((const char *)data, size, &limits, err, sizeof err);
	if (doc == NULL)
		return 0;
	/* 2026-11-23T12:00:00Z, fixed so runs repeat. */
	(void)validate_reports(doc, 1795435200000LL, err, sizeof err);
	json_decref(doc);
	return 0;
}
