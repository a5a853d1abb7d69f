// SPDX-License-Identifier: GPL-2.0-only
/* The second look's findings: bounded, expiring, kept in a state file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mxguard/abi.h"
#include "learned.h"
#include "log.h"
#include "lookalike.h"
#include "name.h"
#include "statefile.h"

#define LEARNED_HEADER	"# mxguard learned findings v1\n" \
			"# name protected method distance action " \
			"first_seen expires\n"

int learned_init(struct mxg_learned *l, size_t max)
{
	l->n = 0;
	l->max = max;
	l->f = calloc(max ? max : 1, sizeof(*l->f));
	return l->f ? 0 : -ENOMEM;
}

void learned_free(struct mxg_learned *l)
{
	free(l->f);
	memset(l, 0, sizeof(*l));
}

long learned_find(const struct mxg_learned *l, const __u8 *wire, __u32 len)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->f[i].len == len && !memcmp(l->f[i].name, wire, len))
			return (long)i;
	return -1;
}

void learned_remove(struct mxg_learned *l, size_t i)
{
	if (i >= l->n)
		return;
	l->n--;
	memmove(&l->f[i], &l->f[i + 1], (l->n - i) * sizeof(*l->f));
}

int learned_add(struct mxg_learned *l, const struct mxg_finding *f,
		struct mxg_finding *evicted)
{
	int full = l->n == l->max;

	if (!l->max)
		return 0;
	if (full) {
		*evicted = l->f[0];
		learned_remove(l, 0);
	}
	l->f[l->n++] = *f;
	return full;
}

long learned_expired(const struct mxg_learned *l, long long now)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->f[i].expires <= now)
			return (long)i;
	return -1;
}

/* --- one line ------------------------------------------------------------- */

static const char *action_name(__u8 action)
{
	return action == MXG_ACTION_BLOCK ? "block" : "alert";
}

void learned_format(const struct mxg_finding *f, char *out, size_t sz)
{
	char name[MXG_NAME_TEXT_MAX], prot[MXG_NAME_TEXT_MAX];
	const char *method = lookalike_fuzzer_name(f->method);

	mxg_name_format(f->name, f->len, name, sizeof(name));
	mxg_name_format(f->protected_name, f->protected_len, prot,
			sizeof(prot));
	snprintf(out, sz, "%s %s %s %u %s %lld %lld", name, prot,
		 method ? method : "unknown", f->distance,
		 action_name(f->action), f->first_seen, f->expires);
}

static int parse_method(const char *s, __u8 *method)
{
	static const __u8 methods[] = { MXG_ORIGIN_SKELETON,
					MXG_ORIGIN_EDIT_DISTANCE,
					MXG_ORIGIN_CORRESPONDENT };
	size_t i;

	for (i = 0; i < sizeof(methods); i++)
		if (!strcmp(s, lookalike_fuzzer_name(methods[i]))) {
			*method = methods[i];
			return 0;
		}
	return -1;
}

static int parse_action(const char *s, __u8 *action)
{
	if (!strcmp(s, "block"))
		*action = MXG_ACTION_BLOCK;
	else if (!strcmp(s, "alert"))
		*action = MXG_ACTION_ALERT;
	else
		return -1;
	return 0;
}

int learned_parse(const char *line, struct mxg_finding *f, const char **err)
{
	char name[MXG_NAME_TEXT_MAX], prot[MXG_NAME_TEXT_MAX];
	char method[32], action[16], tail;
	__u8 pw[MXG_NAME_MAX];
	unsigned int distance;

	memset(f, 0, sizeof(*f));
	f->rule = -1;
	*err = "expected: name protected method distance action first_seen "
	       "expires";
	if (sscanf(line, "%1024s %1024s %31s %u %15s %lld %lld %c", name, prot,
		   method, &distance, action, &f->first_seen, &f->expires,
		   &tail) != 7)
		return -EINVAL;
	f->distance = distance;
	if (mxg_name_parse(name, f->name, &f->len, err) ||
	    mxg_name_parse(prot, pw, &f->protected_len, err))
		return -EINVAL;
	*err = "name or protected name out of bounds";
	if (!f->len || !f->protected_len ||
	    f->protected_len > MXG_PROTECTED_MAX - 1)
		return -EINVAL;
	memcpy(f->protected_name, pw, f->protected_len);
	*err = "method is skeleton, edit-distance or correspondent";
	if (parse_method(method, &f->method))
		return -EINVAL;
	*err = "action is block or alert";
	return parse_action(action, &f->action) ? -EINVAL : 0;
}

/* --- the state file ------------------------------------------------------- */

static int write_all(FILE *f, const void *ctx)
{
	const struct mxg_learned *l = ctx;
	char line[2 * MXG_NAME_TEXT_MAX + 128];
	size_t i;

	fputs(LEARNED_HEADER, f);
	for (i = 0; i < l->n; i++) {
		learned_format(&l->f[i], line, sizeof(line));
		fprintf(f, "%s\n", line);
	}
	return fflush(f) || ferror(f) ? -EIO : 0;
}

int learned_save(const struct mxg_learned *l, const char *path)
{
	return statefile_save(path, write_all, l);
}

static void read_lines(struct mxg_learned *l, FILE *f, const char *path,
		       long long now)
{
	char line[4 * MXG_NAME_TEXT_MAX];
	struct mxg_finding one, gone;
	const char *err;
	int lineno = 0;

	while (fgets(line, sizeof(line), f)) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		if (learned_parse(line, &one, &err)) {
			pr_warn("%s:%d: %s; line skipped\n", path, lineno, err);
			continue;
		}
		if (one.expires <= now || learned_find(l, one.name, one.len) >= 0)
			continue;
		learned_add(l, &one, &gone);
	}
}

int learned_load(struct mxg_learned *l, const char *path, long long now)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), err;
	FILE *f;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	err = statefile_trusted(fd, path, "learned findings");
	if (err) {
		close(fd);
		return err;
	}
	f = fdopen(fd, "r");
	if (!f) {
		err = -errno;
		close(fd);
		return err;
	}
	read_lines(l, f, path, now);
	fclose(f);
	return (int)l->n;
}
