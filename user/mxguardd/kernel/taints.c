// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reading the taint maps: every live lookalike record for `mxguardctl
 * list`, the sweep of expired ones, the per-CPU counters summed, and the
 * LRU evictions derived from them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mxguard.skel.h"
#include "loader.h"
#include "name.h"
#include "procsock.h"
#include "log.h"
#include "names_abi.h"

int loader_counters(const struct mxg_loader *l, __u64 out[MXG_CNT__MAX])
{
	int ncpu = libbpf_num_possible_cpus(), fd, c;
	__u32 i;
	__u64 *vals;

	if (ncpu <= 0)
		return -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	fd = bpf_map__fd(l->skel->maps.counters);
	for (i = 0; i < MXG_CNT__MAX; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, vals))
			continue;
		for (c = 0; c < ncpu; c++)
			out[i] += vals[c];
	}
	free(vals);
	return 0;
}

static void visit(const struct mxg_loader *l, struct mxg_taint_view *v,
		  const struct mxg_taint *t, __u64 now,
		  void (*fn)(void *, const struct mxg_taint_view *), void *ctx)
{
	int names = bpf_map__fd(l->skel->maps.names);
	struct mxg_name name, origin;

	if (t->verdict != MXG_VERDICT_LOOKALIKE || t->expires_ns <= now)
		return;
	v->t = t;
	v->name = bpf_map_lookup_elem(names, &t->name_hash, &name) ? NULL :
								   name.wire;
	v->origin = bpf_map_lookup_elem(names, &t->origin_hash, &origin) ?
		    NULL : origin.wire;
	fn(ctx, v);
}

int loader_for_each_taint(const struct mxg_loader *l,
			  void (*fn)(void *ctx, const struct mxg_taint_view *v),
			  void *ctx)
{
	struct { int fd; __u32 level; size_t key; } maps[] = {
		{ bpf_map__fd(l->skel->maps.taint_proc), MXG_SCOPE_PROCESS,
		  sizeof(struct mxg_proc_key) },
		{ bpf_map__fd(l->skel->maps.taint_unit), MXG_SCOPE_UNIT,
		  sizeof(struct mxg_unit_key) },
		{ bpf_map__fd(l->skel->maps.taint_host), MXG_SCOPE_HOST,
		  sizeof(struct mxg_host_key) },
	};
	union { struct mxg_proc_key p; struct mxg_unit_key u;
		struct mxg_host_key h; } key, next;
	struct mxg_taint_view v;
	struct mxg_taint t;
	struct timespec ts;
	void *prev;
	size_t i;
	__u64 now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		for (prev = NULL;
		     !bpf_map_get_next_key(maps[i].fd, prev, &next);
		     prev = &key) {
			memcpy(&key, &next, maps[i].key);
			if (bpf_map_lookup_elem(maps[i].fd, &key, &t))
				continue;
			memset(&v, 0, sizeof(v));
			v.level = mxg_scope_name(maps[i].level);
			if (i == 0) {
				v.id = key.p.tgid;
				memcpy(v.addr, key.p.addr, 16);
			} else if (i == 1) {
				v.id = key.u.cgroup_id;
				memcpy(v.addr, key.u.addr, 16);
			} else {
				memcpy(v.addr, key.h.addr, 16);
			}
			visit(l, &v, &t, now, fn, ctx);
		}
	}
	return 0;
}

static long long map_entries(int fd, size_t key_size)
{
	__u8 key[64], next[64];
	long long n = 0;
	void *prev = NULL;

	if (key_size > sizeof(key))
		return 0;
	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		memcpy(key, next, key_size);
		prev = key;
		n++;
	}
	return n;
}

static long long derived(long long added, long long removed, long long live)
{
	long long ev = added - removed - live;

	return ev > 0 ? ev : 0;
}

/*
 * The LRU maps evict silently: what was added, less what was removed, less
 * what is there.  The lookalike maps are plain hashes and never evict; a full
 * one is counted as taint_map_full and holds the answer back.
 */
void loader_evictions(const struct mxg_loader *l,
		      const __u64 cnt[MXG_CNT__MAX], struct mxg_evictions *ev)
{
	ev->clean = derived(cnt[MXG_CNT_CLEAN_NEW], cnt[MXG_CNT_CLEAN_EXPIRED],
			    map_entries(bpf_map__fd(l->skel->maps.clean_proc),
					sizeof(struct mxg_proc_key)));
	ev->names = derived(cnt[MXG_CNT_NAMES_NEW], 0,
			    map_entries(bpf_map__fd(l->skel->maps.names),
					sizeof(__u64)));
	ev->taints = 0;
}

/* Remove the expired records of one map; returns how many. */
static long sweep_map(int fd, size_t key_size, __u64 now)
{
	enum { BATCH = 4096 };
	static __u8 doomed[BATCH][64];
	__u8 key[64], next[64], val[sizeof(struct mxg_taint)];
	long n = 0, i;
	void *prev = NULL;

	if (key_size > sizeof(key))
		return 0;
	/* Delete after the walk: deleting under get_next_key restarts it. */
	while (n < BATCH && !bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, key_size);
		prev = key;
		/* Every taint value starts with its expiry (abi.h). */
		if (!bpf_map_lookup_elem(fd, key, val) &&
		    *(__u64 *)val <= now)
			memcpy(doomed[n++], key, key_size);
	}
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(fd, doomed[i]);
	return n;
}

long loader_sweep(const struct mxg_loader *l)
{
	const struct { struct bpf_map *map; size_t key; } maps[] = {
		{ l->skel->maps.taint_proc, sizeof(struct mxg_proc_key) },
		{ l->skel->maps.taint_unit, sizeof(struct mxg_unit_key) },
		{ l->skel->maps.taint_host, sizeof(struct mxg_host_key) },
		{ l->skel->maps.taint_names, sizeof(struct mxg_tname_key) },
		/* Its values are expiries too. */
		{ l->skel->maps.taint_any, sizeof(struct mxg_host_key) },
	};
	struct timespec ts;
	long n = 0;
	size_t i;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		n += sweep_map(bpf_map__fd(maps[i].map), maps[i].key,
			       ts.tv_sec * 1000000000ULL + ts.tv_nsec);
	return n;
}

void loader_log_counters(const struct mxg_loader *l)
{
	struct mxg_evictions ev;
	__u64 cnt[MXG_CNT__MAX];
	char line[2048];
	size_t n = 0;
	int i;

	if (loader_counters(l, cnt))
		return;
	for (i = 0; i < MXG_CNT__MAX && n < sizeof(line); i++)
		n += snprintf(line + n, sizeof(line) - n, "%s=%llu ",
			      mxg_counter_name(i), (unsigned long long)cnt[i]);
	loader_evictions(l, cnt, &ev);
	pr_info("counters: %sclean_evictions=%lld name_evictions=%lld\n", line,
		ev.clean, ev.names);
}

/* taint_any's filter byte of @addr, as the programs compute it. */
static __u32 any_slot(const void *addr)
{
	return mxg_any_slot(addr);
}

/*
 * Raise taint_any's bound for @addr to @until (never lower it).  Its
 * filter byte first, as the programs do: one byte through the mapping,
 * never a whole-value write (that could put back a 0 the programs set).
 */
static int any_raise(int fd, volatile __u8 *may, const __u8 addr[16],
		     __u64 until)
{
	struct mxg_host_key k;
	__u64 v;

	may[any_slot(addr)] = 1;
	memcpy(k.addr, addr, 16);
	if (!bpf_map_lookup_elem(fd, &k, &v) && v >= until)
		return 0;
	return bpf_map_update_elem(fd, &k, &until, BPF_ANY) ? -errno : 0;
}

struct arm_ctx {
	volatile __u8 *may;
	int fd, err;
	__u64 floor;
	long n;
};

static void arm_one(void *ctx, const struct mxg_taint_view *v)
{
	struct arm_ctx *a = ctx;
	__u64 until = v->t->expires_ns > a->floor ? v->t->expires_ns : a->floor;
	int err = any_raise(a->fd, a->may, v->addr, until);

	if (err && !a->err)
		a->err = err;
	a->n += !err;
}

static int set_armed(const struct mxg_loader *l, __u32 on)
{
	__u32 zero = 0;

	return bpf_map_update_elem(bpf_map__fd(l->skel->maps.fastpath_armed),
				   &zero, &on, BPF_ANY) ? -errno : 0;
}

int loader_disarm_fastpath(const struct mxg_loader *l)
{
	return set_armed(l, 0);
}

int loader_arm_fastpath(const struct mxg_loader *l, __u64 ttl_max_ns,
			long *addresses)
{
	struct arm_ctx a = { .fd = bpf_map__fd(l->skel->maps.taint_any) };
	size_t sz = sizeof(struct mxg_any_filter);
	struct timespec ts;
	long keys;
	int err;

	/*
	 * Past any record's expiry: a record expires at most ttl_max after
	 * it was written, so now + ttl_max bounds every record there is, and
	 * the programs racing with this walk write their own bound, which
	 * the double slack here covers.  Records of a daemon that ran with a
	 * longer ttl_max keep their own, longer expiry.
	 */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	a.floor = ts.tv_sec * 1000000000ULL + ts.tv_nsec + ttl_max_ns +
		  2 * MXG_ANY_SLACK_NS;
	*addresses = 0;
	/*
	 * Every entry there is gets its byte (older programs wrote theirs
	 * with none); the programs attached now set their own first.  The
	 * mapping stays for any_raise()'s bytes.
	 */
	err = loader_mark_filter(a.fd, bpf_map__fd(l->skel->maps.any_filter),
				 sz, any_slot, 0, &a.may, &keys);
	if (err)
		return err;	/* not armed: connects keep the full walk */
	loader_for_each_taint(l, arm_one, &a);
	munmap((void *)a.may, sz);
	*addresses = a.n;
	if (a.err)
		return a.err;	/* not armed: the full walk */
	return set_armed(l, 1);
}

int loader_lineage_clean(const struct mxg_loader *l, pid_t pid,
			 const __u8 *addr)
{
	int tfd = bpf_map__fd(l->skel->maps.taint_proc);
	int cfd = bpf_map__fd(l->skel->maps.clean_proc);
	int depth = loader_lineage_depth(l), i;
	struct mxg_proc_key k = { 0 };
	struct mxg_taint v;
	struct timespec ts;
	__u64 now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	memcpy(k.addr, addr, sizeof(k.addr));
	/* Self, then as many ancestors as the programs walk. */
	for (i = 0; i <= depth && pid > 1; i++) {
		k.tgid = pid;
		if (!bpf_map_lookup_elem(tfd, &k, &v) && v.expires_ns > now)
			return v.verdict == MXG_VERDICT_CLEAN;
		if (!bpf_map_lookup_elem(cfd, &k, &v) && v.expires_ns > now)
			return 1;
		if (i < depth && procsock_ppid(pid, &pid))
			return 0;
	}
	return 0;
}

int loader_name_text(const struct mxg_loader *l, __u64 hash, char *out,
		     size_t sz)
{
	struct mxg_name n;

	if (bpf_map_lookup_elem(bpf_map__fd(l->skel->maps.names), &hash, &n) ||
	    !mxg_name_wire_len(n.wire, sizeof(n.wire)))
		return -1;
	mxg_name_format(n.wire, sizeof(n.wire), out, sz);
	return 0;
}
