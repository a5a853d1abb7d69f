// SPDX-License-Identifier: GPL-2.0-only
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cgpath.h"
#include "cgroup.h"

#define CGPATH_MAX_ENTRIES 8192

static struct {
	struct { __u64 id; char *path; } *e;
	size_t n;
	size_t root_len;
	time_t last_scan;
} cache;

static int visit(const char *path, const struct stat *st, int flag,
		 struct FTW *ftw)
{
	const char *rel = path + cache.root_len;

	(void)ftw;
	if (flag != FTW_D || cache.n == CGPATH_MAX_ENTRIES)
		return 0;
	cache.e[cache.n].id = st->st_ino;
	cache.e[cache.n].path = strdup(*rel ? rel : "/");
	if (cache.e[cache.n].path)
		cache.n++;
	return 0;
}

void cgpath_reset(void)
{
	size_t i;

	for (i = 0; i < cache.n; i++)
		free(cache.e[i].path);
	cache.n = 0;
}

static void rescan(void)
{
	char root[4096];

	if (cgroup2_root(root, sizeof(root)))
		return;
	if (!cache.e)
		cache.e = calloc(CGPATH_MAX_ENTRIES, sizeof(*cache.e));
	if (!cache.e)
		return;
	cgpath_reset();
	cache.root_len = strlen(root);
	nftw(root, visit, 16, FTW_PHYS | FTW_MOUNT);
}

const char *cgpath_lookup(__u64 id)
{
	time_t now = time(NULL);
	size_t i;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < cache.n; i++)
			if (cache.e[i].id == id)
				return cache.e[i].path;
		if (pass || now == cache.last_scan)
			break;
		cache.last_scan = now;
		rescan();
	}
	return NULL;
}

static int has_suffix(const char *s, size_t n, const char *suf)
{
	size_t m = strlen(suf);

	return n > m && !memcmp(s + n - m, suf, m);
}

int cgpath_unit(const char *path, char *out, size_t sz)
{
	const char *p = path, *start, *best = NULL;
	size_t n, best_n = 0;

	while (p && *p) {
		start = *p == '/' ? p + 1 : p;
		p = strchr(start, '/');
		n = p ? (size_t)(p - start) : strlen(start);
		if (has_suffix(start, n, ".service") ||
		    has_suffix(start, n, ".scope")) {
			best = start;
			best_n = n;
		}
	}
	if (!best || best_n >= sz)
		return -1;
	memcpy(out, best, best_n);
	out[best_n] = '\0';
	return 0;
}
