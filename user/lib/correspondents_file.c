// SPDX-License-Identifier: GPL-2.0-only
/* The correspondents' lines and their state file (correspondents.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "correspondents.h"
#include "correspondents_int.h"
#include "log.h"
#include "name.h"

#define CORR_MAGIC	"# mxguard correspondents v1\n"
#define CORR_HEADER	CORR_MAGIC \
			"# name count days first_seen last_seen learnt|added\n"

/* --- one line ------------------------------------------------------------- */

void corr_format(const struct mxg_correspondent *c, char *out, size_t sz)
{
	char name[MXG_NAME_TEXT_MAX];

	mxg_name_format(c->name, c->len, name, sizeof(name));
	snprintf(out, sz, "%s %llu %u %lld %lld %s", name,
		 (unsigned long long)c->count, c->days, c->first_seen,
		 c->last_seen, c->added ? "added" : "learnt");
}

int corr_parse(const char *line, struct mxg_correspondent *c,
	       const char **err)
{
	char name[MXG_NAME_TEXT_MAX], how[16], tail;
	unsigned long long n;
	long long first, last;
	__u8 wire[MXG_NAME_MAX];
	unsigned int days;
	__u32 len;

	memset(c, 0, sizeof(*c));
	*err = "expected: name count days first_seen last_seen learnt|added";
	if (sscanf(line, "%1024s %llu %u %lld %lld %15s %c", name, &n, &days,
		   &first, &last, how, &tail) != 6)
		return -EINVAL;
	if (mxg_name_parse(name, wire, &len, err))
		return -EINVAL;
	*err = "not a registrable domain";
	if (corr_part_of(wire, len, c) || c->len != len)
		return -EINVAL;
	*err = "last_seen before first_seen, or no count";
	if (last < first || (!n && strcmp(how, "added")))
		return -EINVAL;
	c->count = n;
	c->days = days;
	c->first_seen = first;
	c->last_seen = last;
	*err = "expected learnt or added";
	if (!strcmp(how, "added"))
		c->added = 1;
	else if (strcmp(how, "learnt"))
		return -EINVAL;
	return 0;
}

/* --- the file ------------------------------------------------------------- */

/* The directory of @path, made (0700) if missing. */
static int state_dir(const char *path, char *dir, size_t sz)
{
	char *slash;

	if ((size_t)snprintf(dir, sz, "%s", path) >= sz)
		return -ENAMETOOLONG;
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sz, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

static int write_all(FILE *f, const struct mxg_correspondents *t)
{
	char line[MXG_NAME_TEXT_MAX + 128];
	size_t i;

	fprintf(f, "%ssince %lld\n", CORR_HEADER, t->since);
	for (i = 0; i < t->n; i++) {
		corr_format(&t->c[i], line, sizeof(line));
		fprintf(f, "%s\n", line);
	}
	return fflush(f) || ferror(f) ? -EIO : 0;
}

int corr_save(const struct mxg_correspondents *t, const char *path)
{
	char dir[PATH_MAX], tmp[PATH_MAX + 8];
	int fd, err, dfd;
	FILE *f;

	err = state_dir(path, dir, sizeof(dir));
	if (err)
		return err;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);	/* a crash's; O_EXCL then refuses to follow a link */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		unlink(tmp);
		return err;
	}
	err = write_all(f, t);
	if (!err && fsync(fd))
		err = -errno;
	if (fclose(f) && !err)
		err = -EIO;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

/* Ours alone, checked on what was opened. */
static int trusted(int fd, const char *path)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		pr_warn("%s: refusing correspondents from a file that is not "
			"ours alone (owner %u, mode %04o)\n", path,
			(unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

static int read_lines(struct mxg_correspondents *t, FILE *f,
		      const char *path)
{
	char line[2 * MXG_NAME_TEXT_MAX];
	struct mxg_correspondent c;
	const char *err;
	int lineno = 1;
	long long since;

	if (!fgets(line, sizeof(line), f) || strcmp(line, CORR_MAGIC)) {
		pr_warn("%s: not a correspondents file (its first line is not "
			"\"%.*s\"); left as it is\n", path,
			(int)strlen(CORR_MAGIC) - 1, CORR_MAGIC);
		return -EBADMSG;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		if (sscanf(line, "since %lld", &since) == 1) {
			t->since = since;
			continue;
		}
		if (corr_parse(line, &c, &err)) {
			pr_warn("%s:%d: %s; line skipped\n", path, lineno, err);
			continue;
		}
		corr_keep(t, &c);
	}
	return 0;
}

int corr_load(struct mxg_correspondents *t, const char *path, long long now)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), err;
	FILE *f;

	corr_empty(t, now);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	err = trusted(fd, path);
	f = err ? NULL : fdopen(fd, "r");
	if (!f) {
		err = err ? err : -errno;
		close(fd);
		return err;
	}
	err = read_lines(t, f, path);
	fclose(f);
	if (err) {
		corr_empty(t, now);
		return err;
	}
	t->stale = 1;
	return (int)t->n;
}
