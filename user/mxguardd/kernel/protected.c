// SPDX-License-Identifier: GPL-2.0-only
/* Protected names in the pinned map: put, and prune after a swap. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mxguard.skel.h"
#include "name.h"
#include "protected.h"

int hashes_add(struct mxg_hashes *set, __u64 h)
{
	size_t cap = set->cap ? set->cap * 2 : 64;
	__u64 *v;

	/* Generated rules come in runs of one protected name. */
	if (set->n && set->v[set->n - 1] == h)
		return 0;
	if (set->n == set->cap) {
		v = realloc(set->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		set->v = v;
		set->cap = cap;
	}
	set->v[set->n++] = h;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

void hashes_seal(struct mxg_hashes *set)
{
	size_t i, n = 0;

	if (!set->n)
		return;
	qsort(set->v, set->n, sizeof(*set->v), cmp_u64);
	for (i = 1; i < set->n; i++)
		if (set->v[i] != set->v[n])
			set->v[++n] = set->v[i];
	set->n = n + 1;
}

int hashes_has(const struct mxg_hashes *set, __u64 h)
{
	return set->n &&
	       bsearch(&h, set->v, set->n, sizeof(*set->v), cmp_u64) != NULL;
}

void hashes_free(struct mxg_hashes *set)
{
	free(set->v);
	memset(set, 0, sizeof(*set));
}

int protected_put(struct mxg_loader *l, const __u8 *wire, __u32 len,
		  struct mxg_hashes *set, __u64 *hash)
{
	struct mxg_protected val;

	memset(&val, 0, sizeof(val));
	memcpy(val.name, wire, len);
	*hash = mxg_name_hash(l->seed, wire, len);
	if (hashes_add(set, *hash))
		return -ENOMEM;
	if (bpf_map_update_elem(bpf_map__fd(l->skel->maps.protected_names),
				hash, &val, BPF_ANY))
		return -errno;
	return 0;
}

/*
 * The protected names live records carry.  A record of a rule no table
 * here knows (left by an earlier daemon) keeps its name this way, and so
 * does one that a lookup stamped while the swap was under way.
 */
static int record_hashes(const struct mxg_loader *l, struct mxg_hashes *out)
{
	const struct { struct bpf_map *map; size_t key, off; } maps[] = {
		{ l->skel->maps.taint_proc, sizeof(struct mxg_proc_key),
		  offsetof(struct mxg_taint, protected_hash) },
		{ l->skel->maps.taint_unit, sizeof(struct mxg_unit_key),
		  offsetof(struct mxg_taint, protected_hash) },
		{ l->skel->maps.taint_host, sizeof(struct mxg_host_key),
		  offsetof(struct mxg_taint, protected_hash) },
		{ l->skel->maps.taint_names, sizeof(struct mxg_tname_key),
		  offsetof(struct mxg_tname, protected_hash) },
	};
	union { struct mxg_taint t; struct mxg_tname n; } val;
	__u8 key[64], next[64];
	void *prev;
	size_t i;
	int fd;

	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		fd = bpf_map__fd(maps[i].map);
		for (prev = NULL; !bpf_map_get_next_key(fd, prev, next);
		     prev = key) {
			memcpy(key, next, maps[i].key);
			if (bpf_map_lookup_elem(fd, key, &val))
				continue;
			if (hashes_add(out, *(__u64 *)((__u8 *)&val +
						       maps[i].off)))
				return -ENOMEM;
		}
	}
	hashes_seal(out);
	return 0;
}

long protected_prune(struct mxg_loader *l)
{
	static __u64 doomed[MXG_PROTECTED_ENTRIES];
	int fd = bpf_map__fd(l->skel->maps.protected_names);
	struct mxg_hashes live = { 0 };
	__u64 key, next;
	long n = 0, i;
	void *prev;

	if (record_hashes(l, &live)) {
		hashes_free(&live);
		return -ENOMEM;
	}
	/* Delete after the walk: deleting under get_next_key restarts it. */
	for (prev = NULL; n < MXG_PROTECTED_ENTRIES &&
	     !bpf_map_get_next_key(fd, prev, &next); prev = &key) {
		key = next;
		if (!hashes_has(&l->protected_now, key) &&
		    !hashes_has(&l->protected_prev, key) &&
		    !hashes_has(&live, key))
			doomed[n++] = key;
	}
	hashes_free(&live);
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &doomed[i]);
	return n;
}
