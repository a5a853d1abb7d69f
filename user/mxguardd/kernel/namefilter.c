// SPDX-License-Identifier: GPL-2.0-only
/*
 * The byte filters in front of hash maps (bpf/maps.bpf.h: tname_filter
 * before taint_names, any_filter before taint_any, unit_filter before
 * clean_unit): a byte per bucket, set by the programs with every entry
 * they write.  Entries that programs of an older build wrote (pins
 * adopted from a daemon that kept no filter) have no byte: after the
 * attach, before fastpath_armed is set, every entry's byte is set here.
 * Through a mapping of the map, one byte at a time: a whole-value update
 * could put back a 0 over a byte the programs set meanwhile.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "mxguard.skel.h"
#include "loader.h"

/* Entries per batch lookup (a key of at most 64 bytes, its value). */
#define MARK_BATCH	4096

struct mark_walk {
	int fd;
	__u32 key_size, value_size, max_entries;
	volatile __u8 *may;
	__u32 (*slot)(const void *key);
	__u64 now;			/* 0: every entry; else expiry > now */
	long n;
};

/* Mark @key's byte, unless its value (an expiry first) says it is gone. */
static void mark_one(struct mark_walk *w, const void *key, const void *val)
{
	__u64 exp;

	if (w->now) {
		memcpy(&exp, val, sizeof(exp));
		if (exp <= w->now)
			return;
	}
	w->may[w->slot(key)] = 1;
	w->n++;
}

/*
 * By batch lookups (Linux 5.6+; every kernel of 5.10 and later has them
 * on hashes and LRU hashes): a cursor of buckets, so entries that come
 * and go meanwhile cannot send the walk back to the start.  0, or -errno.
 */
static int mark_batch(struct mark_walk *w)
{
	__u8 *keys = calloc(MARK_BATCH, w->key_size);
	__u8 *vals = calloc(MARK_BATCH, w->value_size);
	__u32 token = 0, n, i;
	void *in = NULL;
	int err = -ENOMEM;

	while (keys && vals) {
		n = MARK_BATCH;
		err = bpf_map_lookup_batch(w->fd, in, &token, keys, vals, &n,
					   NULL);
		if (err && errno != ENOENT) {
			err = -errno;
			break;
		}
		for (i = 0; i < n; i++)
			mark_one(w, keys + (size_t)i * w->key_size,
				 vals + (size_t)i * w->value_size);
		if (err) {		/* ENOENT: the last buckets */
			err = 0;
			break;
		}
		in = &token;
	}
	free(keys);
	free(vals);
	return err;
}

/*
 * The same one key at a time, where a batch lookup failed (no memory, a
 * bucket of more entries than a batch).  A key deleted under the walk
 * sends get_next_key back to the first bucket, so the walk is bounded:
 * past four times the map's size it gives up.  0, or -errno.
 */
static int mark_keys(struct mark_walk *w)
{
	__u8 key[64], next[64], val[64];
	long steps = 4L * w->max_entries;
	void *prev = NULL;

	while (!bpf_map_get_next_key(w->fd, prev, next)) {
		if (--steps < 0)
			return -E2BIG;
		/* Gone meanwhile (ENOENT): nothing to mark. */
		if (!w->now || !bpf_map_lookup_elem(w->fd, next, val))
			mark_one(w, next, val);
		memcpy(key, next, w->key_size);
		prev = key;
	}
	return errno == ENOENT ? 0 : -errno;
}

/* loader_mark_filter(), by batches first (@batch) or key by key only. */
static int mark_filter(int fd, int ffd, size_t sz,
		       __u32 (*slot)(const void *key), __u64 now, int batch,
		       volatile __u8 **m, long *keys)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct mark_walk w = { .fd = fd, .slot = slot, .now = now };
	void *map;
	int err = -1;

	*keys = 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.key_size > 64 || info.value_size > 64 ||
	    (now && info.value_size < sizeof(__u64)))
		return -EINVAL;
	w.key_size = info.key_size;
	w.value_size = info.value_size;
	w.max_entries = info.max_entries;
	map = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, ffd, 0);
	if (map == MAP_FAILED)
		return -errno;
	w.may = map;
	if (batch)
		err = mark_batch(&w);
	if (err) {
		w.n = 0;
		err = mark_keys(&w);
	}
	*keys = w.n;
	if (m && !err)
		*m = w.may;
	else
		munmap(map, sz);
	return err;
}

/*
 * Set, through the mapping of the filter map @ffd (@sz bytes), the byte
 * slot() gives for each key of the hash map @fd: every key, or with @now
 * only those whose value, a __u64 expiry first, is past @now.  One byte
 * at a time and never a 0: a whole-value update could put back a 0 over
 * a byte the programs set meanwhile, and marking a key twice is harmless,
 * so a batch walk cut short is redone whole, key by key.  With @m, the
 * mapping is left to the caller in *m (munmap(*m, @sz)) for its own
 * writes after; else it is gone on return.  0 or -errno; *keys: how many
 * keys were marked.
 */
int loader_mark_filter(int fd, int ffd, size_t sz,
		       __u32 (*slot)(const void *key), __u64 now,
		       volatile __u8 **m, long *keys)
{
	return mark_filter(fd, ffd, sz, slot, now, 1, m, keys);
}

/* The key-by-key walk alone, that a failed batch falls back to (tests). */
int loader_mark_filter_keys(int fd, int ffd, size_t sz,
			    __u32 (*slot)(const void *key), __u64 now,
			    long *keys)
{
	return mark_filter(fd, ffd, sz, slot, now, 0, NULL, keys);
}

static __u32 name_slot(const void *key)
{
	const struct mxg_tname_key *k = key;

	return k->name_hash & (MXG_TNAME_FILTER - 1);
}

int loader_fill_name_filter(const struct mxg_loader *l, long *names)
{
	return loader_mark_filter(bpf_map__fd(l->skel->maps.taint_names),
				  bpf_map__fd(l->skel->maps.tname_filter),
				  sizeof(struct mxg_tname_filter), name_slot, 0,
				  NULL, names);
}

/* clean_unit's filter byte of a unit key, as the programs compute it. */
static __u32 unit_slot(const void *key)
{
	return mxg_unit_filter_slot(mxg_unit_mix(key));
}

int loader_fill_unit_filter(const struct mxg_loader *l, long *pairs)
{
	return loader_mark_filter(bpf_map__fd(l->skel->maps.clean_unit),
				  bpf_map__fd(l->skel->maps.unit_filter),
				  sizeof(struct mxg_unit_filter), unit_slot, 0,
				  NULL, pairs);
}

int loader_unit_filter_fill(const struct mxg_loader *l, long *set)
{
	size_t sz = sizeof(struct mxg_unit_filter), i;
	const volatile __u8 *may;
	void *map;

	map = mmap(NULL, sz, PROT_READ, MAP_SHARED,
		   bpf_map__fd(l->skel->maps.unit_filter), 0);
	if (map == MAP_FAILED)
		return -errno;
	may = map;
	*set = 0;
	for (i = 0; i < sz; i++)
		*set += may[i] != 0;
	munmap(map, sz);
	return 0;
}

/*
 * Bytes set for pairs whose clean_unit entries have expired (the LRU
 * keeps them until it needs the room) would cost their connects a lookup
 * forever.  Disarmed, so no connect trusts a byte meanwhile: clear every
 * byte, then mark each entry that is still live.  A program writes its
 * entry before its byte, so an entry written during the walk is either
 * seen here or marked by its writer.  Only while armed (@was_armed 0:
 * nothing done); armed again after, or left disarmed on an error (every
 * connect then looks clean_unit up, as without the filter).
 */
int loader_clear_unit_filter(const struct mxg_loader *l, long *kept,
			     int *was_armed)
{
	int ffd = bpf_map__fd(l->skel->maps.unit_filter);
	size_t sz = sizeof(struct mxg_unit_filter);
	struct timespec ts;
	__u32 zero = 0, on = 0;
	__u64 now;
	void *map;
	int err, afd = bpf_map__fd(l->skel->maps.fastpath_armed);

	*kept = 0;
	*was_armed = 0;
	if (bpf_map_lookup_elem(afd, &zero, &on))
		return -errno;
	if (on != 1)
		return 0;
	*was_armed = 1;
	map = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, ffd, 0);
	if (map == MAP_FAILED)
		return -errno;
	on = 0;
	if (bpf_map_update_elem(afd, &zero, &on, BPF_ANY)) {
		err = -errno;
		goto out;
	}
	memset(map, 0, sz);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = ts.tv_sec * 1000000000ULL + ts.tv_nsec;	/* never 0 */
	err = loader_mark_filter(bpf_map__fd(l->skel->maps.clean_unit), ffd, sz,
				 unit_slot, now, NULL, kept);
	if (err)
		goto out;
	on = 1;
	err = bpf_map_update_elem(afd, &zero, &on, BPF_ANY) ? -errno : 0;
out:
	munmap(map, sz);
	return err;
}
