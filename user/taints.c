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
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mxguard.skel.h"
#include "loader.h"
#include "log.h"

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
	struct { int fd; const char *level; size_t key; } maps[] = {
		{ bpf_map__fd(l->skel->maps.taint_proc), "process",
		  sizeof(struct mxg_proc_key) },
		{ bpf_map__fd(l->skel->maps.taint_unit), "unit",
		  sizeof(struct mxg_unit_key) },
		{ bpf_map__fd(l->skel->maps.taint_host), "host",
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
			v.level = maps[i].level;
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

const char *const mxg_counter_names[MXG_CNT__MAX] = {
	[MXG_CNT_PACKETS] = "dns_packets",
	[MXG_CNT_PARSED] = "dns_parsed",
	[MXG_CNT_MALFORMED] = "dns_malformed",
	[MXG_CNT_TRUNCATED] = "dns_truncated_parse",
	[MXG_CNT_QUERY_MATCH] = "lookalike_queries",
	[MXG_CNT_TAINTS] = "taints",
	[MXG_CNT_PROC_NEW] = "process_records_new",
	[MXG_CNT_PROC_EXPIRED] = "process_records_expired",
	[MXG_CNT_TAINT_EXPIRED] = "records_expired",
	[MXG_CNT_CLEAN_RECORDS] = "clean_records",
	[MXG_CNT_TNAMES] = "tainted_names",
	[MXG_CNT_CONNECTS] = "monitored_connects",
	[MXG_CNT_ALERTS] = "alerts",
	[MXG_CNT_BLOCKS] = "blocks",
	[MXG_CNT_RB_DROPS] = "ringbuf_drops",
	[MXG_CNT_NO_OWNER] = "dns_no_owner",
	[MXG_CNT_HELD] = "dns_answers_held",
	[MXG_CNT_INCOMPLETE] = "dns_answers_incomplete",
	[MXG_CNT_UNSOLICITED] = "dns_unsolicited",
	[MXG_CNT_MAP_FULL] = "taint_map_full",
	[MXG_CNT_NESTED] = "scratch_nested",
	[MXG_CNT_TCP_UNATTRIBUTED] = "tcp_unattributed",
	[MXG_CNT_TCP_MESSAGES] = "tcp_messages",
	[MXG_CNT_CLEAN_KEPT] = "clean_kept_taint",
	[MXG_CNT_UNEXPLAINED] = "connects_unexplained",
	[MXG_CNT_CLEAN_NEW] = "clean_records_new",
	[MXG_CNT_CLEAN_EXPIRED] = "clean_records_expired",
	[MXG_CNT_NAMES_NEW] = "names_new",
	[MXG_CNT_PENDING_LOST] = "pending_queries_lost",
};

_Static_assert(sizeof(mxg_counter_names) / sizeof(mxg_counter_names[0]) ==
	       MXG_CNT__MAX, "a name for every counter");

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
			      mxg_counter_names[i], (unsigned long long)cnt[i]);
	loader_evictions(l, cnt, &ev);
	pr_info("counters: %sclean_evictions=%lld name_evictions=%lld\n", line,
		ev.clean, ev.names);
}
