/* nickname.c: the nickname table (data/nicknames.txt): which given names
 * are forms of one another (Bob and Robert, Peggy and Margaret). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "idsync/idsync.h"

/* A table this big is not a nickname table. */
#define NICKNAME_MAX_BYTES	(4 * 1024 * 1024)

struct nicknames {
	struct index	*groups;	/* normalised name -> line numbers */
	size_t		 lines;
	unsigned char	 sum[ACCOUNT_SUM_LEN];	/* of the file */
};

static int
nickname_line(struct nicknames *nk, const char *path, int lineno, char *line,
    char *err, size_t errlen)
{
	char	*colon, *norm, **names, **tokens;
	size_t	 n, i, ntok;
	int	 rc = -1;

	colon = strchr(line, ':');
	if (colon == NULL) {
		snprintf(err, errlen, "%s:%d: expected \"formal: nickname "
		    "...\"", path, lineno);
		return -1;
	}
	*colon = ' ';
	n = str_split(line, " \t\r", &names);
	if (n < 2) {
		snprintf(err, errlen, "%s:%d: a formal name needs at least one "
		    "nickname", path, lineno);
		str_list_free(names, n);
		return -1;
	}
	for (i = 0; i < n; i++) {
		norm = normalise_text(names[i], strlen(names[i]));
		ntok = normalise_tokens(norm, &tokens);
		str_list_free(tokens, ntok);
		if (ntok != 1) {
			snprintf(err, errlen, "%s:%d: \"%s\" is not one name",
			    path, lineno, names[i]);
			free(norm);
			goto out;
		}
		index_add_once(nk->groups, norm, (size_t)lineno);
		free(norm);
	}
	nk->lines++;
	rc = 0;
out:
	str_list_free(names, n);
	return rc;
}

struct nicknames *
nickname_load(const char *path, char *err, size_t errlen)
{
	struct nicknames	*nk;
	struct buf		 all;
	FILE			*fp;
	char			*line = NULL, *s;
	size_t			 cap = 0, total = 0;
	ssize_t			 len;
	int			 lineno = 0;

	if ((fp = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "nickname table %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	nk = xcalloc(1, sizeof *nk);
	nk->groups = index_new();
	buf_init(&all, 0);
	while ((len = getline(&line, &cap, fp)) != -1) {
		lineno++;
		total += (size_t)len;
		if (total > NICKNAME_MAX_BYTES) {
			snprintf(err, errlen, "nickname table %s: larger than "
			    "%d MiB", path, NICKNAME_MAX_BYTES >> 20);
			goto fail;
		}
		if (memchr(line, '\0', (size_t)len) != NULL) {
			snprintf(err, errlen, "%s:%d: NUL byte", path, lineno);
			goto fail;
		}
		buf_append(&all, line, (size_t)len);
		s = str_trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		if (nickname_line(nk, path, lineno, s, err, errlen) == -1)
			goto fail;
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "nickname table %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	if (nk->lines == 0) {
		snprintf(err, errlen, "nickname table %s: no names in it",
		    path);
		goto fail;
	}
	idsync_sha256(buf_cstr(&all), all.len, nk->sum);
	buf_free(&all);
	free(line);
	fclose(fp);
	return nk;

fail:
	buf_free(&all);
	free(line);
	fclose(fp);
	nickname_free(nk);
	return NULL;
}

void
nickname_free(struct nicknames *nk)
{
	if (nk == NULL)
		return;
	index_free(nk->groups);
	free(nk);
}

const unsigned char *
nickname_sum(const struct nicknames *nk)
{
	return nk->sum;
}

size_t
nickname_count(const struct nicknames *nk)
{
	return nk != NULL ? nk->lines : 0;
}

/* The lines (groups) a normalised name is on; none if it is on none. */
const size_t *
nickname_groups(const struct nicknames *nk, const char *name, size_t *count)
{
	if (nk == NULL) {
		*count = 0;
		return NULL;
	}
	return index_get(nk->groups, name, count);
}

/* Two normalised given names are one: equal, or on one line of the table. */
int
nickname_same(const struct nicknames *nk, const char *a, const char *b)
{
	const size_t	*ga, *gb;
	size_t		 na, nb, i, j;

	if (strcmp(a, b) == 0)
		return 1;
	ga = nickname_groups(nk, a, &na);
	gb = nickname_groups(nk, b, &nb);
	for (i = 0; i < na; i++)
		for (j = 0; j < nb; j++)
			if (ga[i] == gb[j])
				return 1;
	return 0;
}
