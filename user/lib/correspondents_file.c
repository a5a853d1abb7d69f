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
#include "statefile.h"

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

static int write_all(FILE *f, const void *ctx)
{
	const struct mxg_correspondents *t = ctx;
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
	return statefile_save(path, write_all, t);
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
	err = statefile_trusted(fd, path, "correspondents");
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
