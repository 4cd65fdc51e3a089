/* collect_fs.c: size, use and inode use of every real filesystem, once per
 * device (bind mounts and pseudo filesystems left out). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "agents/agent.h"

#define MOUNTS_MAX	(4 * 1024 * 1024)
/* Longer than any healthy filesystem takes, short enough that a hung NFS
 * server delays one collection by this much once. */
#define FS_STAT_TIMEOUT_MS	5000

static const char *const pseudo_types[] = {
	"proc", "sysfs", "devtmpfs", "tmpfs", "cgroup", "cgroup2", "overlay",
	"squashfs", "devpts", "mqueue", "debugfs", "tracefs", "securityfs",
	"pstore", "bpf", "autofs", "configfs", "fusectl", "hugetlbfs",
	"binfmt_misc", "nsfs", "ramfs", "rpc_pipefs", "efivarfs", NULL
};

int
fs_is_pseudo(const char *fstype)
{
	size_t	 i;

	for (i = 0; pseudo_types[i] != NULL; i++) {
		if (strcmp(fstype, pseudo_types[i]) == 0)
			return 1;
	}
	return 0;
}

/* The kernel writes space, tab, newline and backslash as \ooo. */
static char *
unescape_octal(const char *s)
{
	char	*out = xmalloc(strlen(s) + 1), *o = out;

	while (*s != '\0') {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
			    (s[3] - '0'));
			s += 4;
		} else
			*o++ = *s++;
	}
	*o = '\0';
	return out;
}

void
fs_mounts_free(struct fs_mount *m, size_t n)
{
	size_t	 i;

	if (m == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(m[i].device);
		free(m[i].mount);
		free(m[i].fstype);
		free(m[i].devid);
	}
	free(m);
}

/*
 * mountinfo: "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root
 * rw,errors=continue"; mounts: "/dev/root / ext4 rw 0 0".
 * Fills dev, root (the bind source within the fs; "/" for mounts),
 * mount, type and source; -1 if the line is malformed.
 */
static int
parse_line(char *line, int mountinfo, char **devid, char **root,
    char **mount, char **type, char **source)
{
	char	**f;
	size_t	 n, i;
	int	 rc = -1;

	n = str_split(line, " \t", &f);
	if (mountinfo) {
		for (i = 6; i < n && strcmp(f[i], "-") != 0; i++)
			;
		if (n < 6 || i + 2 >= n)
			goto done;
		*devid = xstrdup(f[2]);
		*root = unescape_octal(f[3]);
		*mount = unescape_octal(f[4]);
		*type = unescape_octal(f[i + 1]);
		*source = unescape_octal(f[i + 2]);
	} else {
		if (n < 3)
			goto done;
		*source = unescape_octal(f[0]);
		*devid = xstrdup(*source);
		*root = xstrdup("/");
		*mount = unescape_octal(f[1]);
		*type = unescape_octal(f[2]);
	}
	rc = 0;
done:
	str_list_free(f, n);
	return rc;
}

size_t
fs_parse_mounts(const char *text, int mountinfo, struct fs_mount **out)
{
	struct fs_mount	*m = NULL;
	size_t		 n = 0, i;
	char		*copy, *line, *next;
	char		*devid, *root, *mount, *type, *source;
	int		*whole = NULL;	/* m[i] mounts the fs root */

	copy = xstrdup(text);
	for (line = copy; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*line == '\0')
			continue;
		devid = root = mount = type = source = NULL;
		if (parse_line(line, mountinfo, &devid, &root, &mount, &type,
		    &source) == -1 || fs_is_pseudo(type)) {
			free(devid);
			free(root);
			free(mount);
			free(type);
			free(source);
			continue;
		}
		for (i = 0; i < n; i++) {
			if (strcmp(m[i].devid, devid) == 0)
				break;
		}
		if (i < n) {
			/* Keep the mount of the fs root over a bind mount of
			 * a directory inside it; else the first. */
			if (!whole[i] && strcmp(root, "/") == 0) {
				free(m[i].mount);
				m[i].mount = mount;
				mount = NULL;
				whole[i] = 1;
			}
			free(devid);
			free(root);
			free(mount);
			free(type);
			free(source);
			continue;
		}
		m = xreallocarray(m, n + 1, sizeof *m);
		whole = xreallocarray(whole, n + 1, sizeof *whole);
		m[n].device = source;
		m[n].mount = mount;
		m[n].fstype = type;
		m[n].devid = devid;
		whole[n] = strcmp(root, "/") == 0;
		free(root);
		n++;
	}
	free(whole);
	free(copy);
	*out = m;
	return n;
}

static int
collect_fs(struct collect_ctx *ctx, struct report *r, char *err,
    size_t errlen)
{
	struct fs_mount	*m;
	struct fs_stat	*fs;
	struct statvfs	 sv;
	struct buf	 hung;
	size_t		 n, i;
	char		*text, *path;
	int		 mountinfo = 1;
	double		 used, avail, size;

	if (*ctx->state == NULL)
		*ctx->state = fs_stat_new();
	fs = *ctx->state;

	text = collect_read(ctx, "proc/self/mountinfo", MOUNTS_MAX, err,
	    errlen);
	if (text == NULL) {
		mountinfo = 0;
		if ((text = collect_read(ctx, "proc/mounts", MOUNTS_MAX, err,
		    errlen)) == NULL)
			return -1;
	}
	n = fs_parse_mounts(text, mountinfo, &m);
	free(text);
	buf_init(&hung, 1024);
	for (i = 0; i < n; i++) {
		path = collect_path(ctx, m[i].mount);
		/* An unmounted mount is left out this time; one that does
		 * not answer (a hung NFS server) is left out and named in
		 * the fs_responding check. */
		if (fs_stat_bounded(fs, path, FS_STAT_TIMEOUT_MS, NULL,
		    &sv) == -1) {
			if (errno == ETIMEDOUT)
				buf_printf(&hung, "%s%s", hung.len > 0 ? ", " :
				    "", m[i].mount);
			else
				log_debug("statvfs %s: %s", path,
				    strerror(errno));
			free(path);
			continue;
		}
		free(path);
		if (sv.f_blocks == 0)
			continue;
		size = (double)sv.f_blocks * (double)sv.f_frsize;
		used = (double)(sv.f_blocks - sv.f_bfree);
		avail = (double)sv.f_bavail;
		report_metric(r, "fs.size_bytes", size, "bytes", "mount",
		    m[i].mount, "fstype", m[i].fstype, "device", m[i].device,
		    NULL);
		/* As df computes it: root's reserve counts as not free. */
		if (used + avail > 0)
			report_metric(r, "fs.used_pct", 100.0 * used /
			    (used + avail), "percent", "mount", m[i].mount,
			    "fstype", m[i].fstype, "device", m[i].device, NULL);
		/* Some (btrfs) have no fixed inode count. */
		if (sv.f_files > 0 && sv.f_ffree <= sv.f_files)
			report_metric(r, "fs.inodes_used_pct", 100.0 *
			    (double)(sv.f_files - sv.f_ffree) /
			    (double)sv.f_files, "percent", "mount",
			    m[i].mount, "fstype", m[i].fstype, "device",
			    m[i].device, NULL);
	}
	fs_mounts_free(m, n);
	fs_stat_hung(fs);
	if (hung.len > 0) {
		xasprintf(&text, "not answering within %ds (a hung NFS or CIFS "
		    "server?), left out of this report: %s",
		    FS_STAT_TIMEOUT_MS / 1000, buf_cstr(&hung));
		report_check(r, "fs_responding", CHECK_CRITICAL, text, NULL);
		free(text);
	} else
		report_check(r, "fs_responding", CHECK_OK, "every filesystem "
		    "answered", NULL);
	buf_free(&hung);
	return 0;
}

static void
collect_fs_free(void *state)
{
	fs_stat_free(state);
}

const struct collect_entry collect_fs_entry = {
	"filesystems", collect_fs, collect_fs_free,
};
