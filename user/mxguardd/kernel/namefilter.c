// SPDX-License-Identifier: GPL-2.0-only
/*
 * taint_names' filter (bpf/maps.bpf.h, tname_filter): a byte per
 * name-hash bucket, set by the programs before every taint_names entry
 * they write.  Entries that programs of an older build wrote (pins
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

int loader_fill_name_filter(const struct mxg_loader *l, long *names)
{
	int tfd = bpf_map__fd(l->skel->maps.taint_names);
	int ffd = bpf_map__fd(l->skel->maps.tname_filter);
	size_t sz = sizeof(struct mxg_tname_filter);
	struct mxg_tname_key k, next, *prev = NULL;
	volatile __u8 *may;
	void *m;
	int err;

	*names = 0;
	m = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, ffd, 0);
	if (m == MAP_FAILED)
		return -errno;
	may = m;
	while (!(err = bpf_map_get_next_key(tfd, prev, &next))) {
		may[next.name_hash & (MXG_TNAME_FILTER - 1)] = 1;
		(*names)++;
		k = next;
		prev = &k;
	}
	err = errno == ENOENT ? 0 : -errno;
	munmap(m, sz);
	return err;
}
