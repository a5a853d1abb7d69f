// SPDX-License-Identifier: GPL-2.0-only
/*
 * The byte filters in front of hash maps (bpf/maps.bpf.h: tname_filter
 * before taint_names, any_filter before taint_any): a byte per bucket,
 * set by the programs before every entry they write.  Entries that programs of an older build wrote (pins
 * adopted from a daemon that kept no filter) have no byte: after the
 * attach, before fastpath_armed is set, every entry's byte is set here.
 * Through a mapping of the map, one byte at a time: a whole-value update
 * could put back a 0 over a byte the programs set meanwhile.
 */
#include <errno.h>
#include <string.h>
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
