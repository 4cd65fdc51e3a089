/* perfdata.c: parses Nagios plugin performance data,
 * 'label'=value[UOM];[warn];[crit];[min];[max], skipping what does not parse. */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "agents/agent.h"

#define PERFDATA_LABEL_MAX	256

/* A number as plugins write it: no "inf", "nan" or hex; a lone decimal
 * comma (a plugin run in a German locale) is taken as a point. */
static int
parse_number(const char *s, size_t len, double *out, const char **rest)
{
	char	 tmp[64], *end, *comma, *p;

	if (len == 0 || len >= sizeof tmp)
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (strchr("+-.0123456789", tmp[0]) == NULL)
		return -1;
	if ((comma = strchr(tmp, ',')) != NULL && strchr(tmp, '.') == NULL &&
	    strchr(comma + 1, ',') == NULL)
		*comma = '.';
	*out = strtod(tmp, &end);
	if (end == tmp || !isfinite(*out))
		return -1;
	for (p = tmp; p < end; p++) {
		if (strchr("+-.0123456789eE", *p) == NULL)
			return -1;	/* hex, "infinity" */
	}
	if (rest != NULL)
		*rest = s + (end - tmp);
	else if (*end != '\0')
		return -1;
	return 0;
}

void
perfdata_free(struct perfdata *p, size_t n)
{
	size_t	 i;

	if (p == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(p[i].label);
		free(p[i].warn);
		free(p[i].crit);
	}
	free(p);
}

/* Parses "value[UOM];warn;crit;min;max" (the part after '='). */
static int
parse_values(const char *s, size_t len, struct perfdata *pd)
{
	const char	*field[5], *rest, *u;
	size_t		 flen[5], nf = 0, i;
	const char	*p = s, *end = s + len, *semi;

	while (nf < 5) {
		semi = memchr(p, ';', (size_t)(end - p));
		field[nf] = p;
		flen[nf] = semi != NULL ? (size_t)(semi - p) : (size_t)(end - p);
		nf++;
		if (semi == NULL)
			break;
		p = semi + 1;
	}
	/* The value and its UOM: letters or '%' only. */
	if (parse_number(field[0], flen[0], &pd->value, &rest) == -1)
		return -1;
	if ((size_t)(field[0] + flen[0] - rest) >= sizeof pd->uom)
		return -1;
	for (u = rest; u < field[0] + flen[0]; u++) {
		if (!isalpha((unsigned char)*u) && *u != '%')
			return -1;
	}
	memcpy(pd->uom, rest, (size_t)(field[0] + flen[0] - rest));
	pd->uom[field[0] + flen[0] - rest] = '\0';
	for (i = 1; i < nf; i++) {
		if (flen[i] == 0)
			continue;
		switch (i) {
		case 1:
			pd->warn = xstrndup(field[i], flen[i]);
			break;
		case 2:
			pd->crit = xstrndup(field[i], flen[i]);
			break;
		case 3:
			pd->has_min = parse_number(field[i], flen[i], &pd->min,
			    NULL) == 0;
			break;
		case 4:
			pd->has_max = parse_number(field[i], flen[i], &pd->max,
			    NULL) == 0;
			break;
		}
	}
	return 0;
}

size_t
perfdata_parse(const char *text, struct perfdata **out)
{
	struct perfdata	*list = NULL, pd;
	struct buf	 label;
	const char	*p = text;
	size_t		 n = 0, vlen;

	buf_init(&label, PERFDATA_LABEL_MAX);
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		buf_reset(&label);
		memset(&pd, 0, sizeof pd);
		if (*p == '\'') {
			/* Quoted: '' is a quote inside the label. */
			for (p++;; p++) {
				if (*p == '\0')
					goto done;	/* unterminated */
				if (*p == '\'' && p[1] == '\'')
					p++;
				else if (*p == '\'') {
					p++;
					break;
				}
				if (buf_append_char(&label, *p) == -1)
					goto skip;
			}
		} else {
			while (*p != '\0' && *p != '=' &&
			    !isspace((unsigned char)*p)) {
				if (buf_append_char(&label, *p++) == -1)
					goto skip;
			}
		}
		if (*p != '=' || label.len == 0)
			goto skip;
		p++;
		vlen = strcspn(p, " \t\r\n");
		if (parse_values(p, vlen, &pd) == -1) {
			free(pd.warn);
			free(pd.crit);
			goto skip;
		}
		pd.label = xstrdup(buf_cstr(&label));
		list = xreallocarray(list, n + 1, sizeof *list);
		list[n++] = pd;
		p += vlen;
		continue;
skip:
		while (*p != '\0' && !isspace((unsigned char)*p))
			p++;
	}
done:
	buf_free(&label);
	*out = list;
	return n;
}

const char *
perfdata_unit(const char *uom)
{
	if (*uom == '\0')
		return NULL;
	if (strcmp(uom, "%") == 0)
		return "percent";
	if (strcmp(uom, "c") == 0)
		return "counter";
	return uom;
}
