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

/*
 * Set, through the mapping of the filter map @ffd (@sz bytes), the byte
 * slot() gives for each key of the hash map @fd (@key_size bytes).  One
 * byte at a time and never a 0: a whole-value update could put back a 0
 * over a byte the programs set meanwhile.  With @m, the mapping is left
 * to the caller in *m (munmap(*m, @sz)) for its own writes after; else
 * it is gone on return.  0 or -errno; *keys: how many keys.
 */
int loader_mark_filter(int fd, size_t key_size, int ffd, size_t sz,
		       __u32 (*slot)(const void *key), volatile __u8 **m,
		       long *keys)
{
	__u8 key[64], next[64];
	volatile __u8 *may;
	void *prev = NULL;
	void *map;
	int err;

	*keys = 0;
	if (key_size > sizeof(key))
		return -EINVAL;
	map = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, ffd, 0);
	if (map == MAP_FAILED)
		return -errno;
	may = map;
	while (!(err = bpf_map_get_next_key(fd, prev, next))) {
		may[slot(next)] = 1;
		(*keys)++;
		memcpy(key, next, key_size);
		prev = key;
	}
	err = errno == ENOENT ? 0 : -errno;
	if (m && !err)
		*m = may;
	else
		munmap(map, sz);
	return err;
}

static __u32 name_slot(const void *key)
{
	const struct mxg_tname_key *k = key;

	return k->name_hash & (MXG_TNAME_FILTER - 1);
}

int loader_fill_name_filter(const struct mxg_loader *l, long *names)
{
	return loader_mark_filter(bpf_map__fd(l->skel->maps.taint_names),
				  sizeof(struct mxg_tname_key),
				  bpf_map__fd(l->skel->maps.tname_filter),
				  sizeof(struct mxg_tname_filter), name_slot,
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
				  sizeof(struct mxg_unit_key),
				  bpf_map__fd(l->skel->maps.unit_filter),
				  sizeof(struct mxg_unit_filter), unit_slot,
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

/* Entries per batch lookup (24 + 8 bytes each). */
#define UNIT_BATCH	4096

/*
 * Mark @may's byte of each entry of clean_unit (@fd) live at @now, by
 * batch lookups (Linux 5.6+): a cursor of buckets, so entries that come
 * and go meanwhile cannot send the walk back to the start.  0, or -errno.
 */
static int mark_live_batch(int fd, volatile __u8 *may, __u64 now, long *kept)
{
	struct mxg_unit_key *keys = calloc(UNIT_BATCH, sizeof(*keys));
	__u64 *vals = calloc(UNIT_BATCH, sizeof(*vals));
	__u32 token = 0, n, i;
	void *in = NULL;
	int err = -ENOMEM;

	while (keys && vals) {
		n = UNIT_BATCH;
		err = bpf_map_lookup_batch(fd, in, &token, keys, vals, &n, NULL);
		if (err && errno != ENOENT) {
			err = -errno;
			break;
		}
		for (i = 0; i < n; i++)
			if (vals[i] > now) {
				may[unit_slot(&keys[i])] = 1;
				(*kept)++;
			}
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
 * bucket of more entries than a batch; every kernel of 5.10 and later has
 * batch lookups on LRU hashes).  A key
 * deleted under the walk sends get_next_key back to the first bucket, so
 * the walk is bounded: past four times the map's size it gives up.
 */
static int mark_live_keys(int fd, volatile __u8 *may, __u64 now, long *kept)
{
	struct mxg_unit_key key, next;
	long steps = 4L * MXG_CLEAN_ENTRIES;
	void *prev = NULL;
	__u64 exp;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (--steps < 0)
			return -E2BIG;
		/* Gone meanwhile (ENOENT): nothing to keep. */
		if (!bpf_map_lookup_elem(fd, &next, &exp) && exp > now) {
			may[unit_slot(&next)] = 1;
			(*kept)++;
		}
		key = next;
		prev = &key;
	}
	return errno == ENOENT ? 0 : -errno;
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
	int fd = bpf_map__fd(l->skel->maps.clean_unit);
	size_t sz = sizeof(struct mxg_unit_filter);
	volatile __u8 *may;
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
	map = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED,
		   bpf_map__fd(l->skel->maps.unit_filter), 0);
	if (map == MAP_FAILED)
		return -errno;
	may = map;
	on = 0;
	if (bpf_map_update_elem(afd, &zero, &on, BPF_ANY)) {
		err = -errno;
		goto out;
	}
	memset(map, 0, sz);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	/* Marking twice is harmless: a batch walk cut short is redone whole. */
	err = mark_live_batch(fd, may, now, kept);
	if (err) {
		*kept = 0;
		err = mark_live_keys(fd, may, now, kept);
	}
	if (err)
		goto out;
	on = 1;
	err = bpf_map_update_elem(afd, &zero, &on, BPF_ANY) ? -errno : 0;
out:
	munmap(map, sz);
	return err;
}
