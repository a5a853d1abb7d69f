// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mxguard.skel.h"
#include "cgroup.h"
#include "loader.h"
#include "log.h"
#include "name.h"
#include "probe.h"
#include "protected.h"

static int pin_path(char *buf, size_t sz, const char *dir, const char *name)
{
	if ((size_t)snprintf(buf, sz, "%s/%s", dir, name) >= sz)
		return -ENAMETOOLONG;
	return 0;
}

/* Every map but the internal ones is pinned, so state outlives us. */
/*
 * A pinned map from another version of mxguard (a map that changed type or
 * size) cannot be adopted, and libbpf only says "parameter mismatch".  Say
 * what it means: the old datapath still enforces, and --unload replaces it.
 */
static int pinned_compatible(const struct bpf_map *map, const char *path,
			     const char *pin_dir)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path), ok;

	if (fd < 0)
		return 1;	/* not pinned yet: a fresh start */
	memset(&info, 0, sizeof(info));
	ok = !bpf_obj_get_info_by_fd(fd, &info, &len) &&
	     info.type == bpf_map__type(map) &&
	     info.key_size == bpf_map__key_size(map) &&
	     info.value_size == bpf_map__value_size(map) &&
	     (info.type == BPF_MAP_TYPE_SK_STORAGE ||
	      info.type == BPF_MAP_TYPE_RINGBUF ||
	      info.max_entries == bpf_map__max_entries(map));
	close(fd);
	if (!ok)
		pr_warn("%s was pinned by another version of mxguard (its type "
			"or size differs): the old datapath is still enforcing; "
			"run `mxguardd --unload --pin-dir %s`, then start this "
			"one\n", path, pin_dir);
	return ok;
}

static int set_map_pins(struct mxg_loader *l)
{
	struct bpf_map *map;
	char path[768];
	int err;

	bpf_object__for_each_map(map, l->skel->obj) {
		if (bpf_map__is_internal(map))
			continue;
		err = pin_path(path, sizeof(path), l->pin_dir,
			       bpf_map__name(map));
		if (!err && !pinned_compatible(map, path, l->pin_dir))
			err = -EEXIST;
		if (!err)
			err = bpf_map__set_pin_path(map, path);
		if (err)
			return err;
	}
	return 0;
}

static int read_seed(struct mxg_loader *l)
{
	struct mxg_config cfg;
	__u32 zero = 0;
	int fd = bpf_map__fd(l->skel->maps.config_map);

	if (bpf_map_lookup_elem(fd, &zero, &cfg) == 0 && cfg.enabled) {
		/* Adopting: keep the seed, and count generations onwards. */
		l->seed = cfg.hash_seed;
		l->generation = cfg.policy_gen;
		return 0;
	}
	if (getrandom(&l->seed, sizeof(l->seed), 0) != sizeof(l->seed))
		return -errno;
	return 0;
}

static int write_settings(struct mxg_loader *l, const struct mxg_settings *s)
{
	struct mxg_config cfg = {
		.hash_seed = l->seed,
		.ttl_min_ns = s->ttl_min_s * 1000000000ULL,
		.ttl_max_ns = s->ttl_max_s * 1000000000ULL,
		.mode = s->mode,
		.scope = s->scope,
		.enabled = 1,
		.policy_gen = l->generation,
	};
	int pfd = bpf_map__fd(l->skel->maps.ports);
	__u16 key, next;
	__u32 zero = 0;
	__u8 one = 1;
	int i;

	/* Drop ports no longer wanted (0 is never a port), then add. */
	for (key = 0; bpf_map_get_next_key(pfd, &key, &next) == 0;) {
		for (i = 0; i < s->nports && s->ports[i] != next; i++)
			;
		if (i == s->nports)
			bpf_map_delete_elem(pfd, &next);
		else
			key = next;
	}
	for (i = 0; i < s->nports; i++)
		if (bpf_map_update_elem(pfd, &s->ports[i], &one, BPF_ANY))
			return -errno;
	if (bpf_map_update_elem(bpf_map__fd(l->skel->maps.config_map), &zero,
				&cfg, BPF_ANY))
		return -errno;
	return 0;
}

static int attach_one(struct mxg_loader *l, struct bpf_program *prog,
		      int cgfd, __u64 cgid)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	struct bpf_link *link;
	char path[768];
	int err;

	err = pin_path(path, sizeof(path), l->pin_dir,
		       bpf_program__name(prog));
	if (err)
		return err;
	link = access(path, F_OK) == 0 ? bpf_link__open(path) : NULL;
	if (link) {
		/* Adopt: swap the program under the pinned link, no gap. */
		memset(&info, 0, sizeof(info));
		if (!bpf_obj_get_info_by_fd(bpf_link__fd(link), &info, &len) &&
		    info.cgroup.cgroup_id != cgid) {
			pr_warn("%s is attached to another cgroup (id %llu); "
				"run mxguardd --unload first\n", path,
				(unsigned long long)info.cgroup.cgroup_id);
			bpf_link__disconnect(link);
			bpf_link__destroy(link);
			return -EEXIST;
		}
		err = bpf_link__update_program(link, prog);
		bpf_link__disconnect(link);
		bpf_link__destroy(link);
		l->adopted = 1;
		return err;
	}
	link = bpf_program__attach_cgroup(prog, cgfd);
	if (!link) {
		err = -errno;
		pr_warn("attach %s: %s (cgroup BPF links need Linux 5.7+)\n",
			bpf_program__name(prog), strerror(-err));
		return err;
	}
	err = bpf_link__pin(link, path);
	bpf_link__disconnect(link);
	bpf_link__destroy(link);
	return err;
}

static int attach_all(struct mxg_loader *l, const char *cgroup)
{
	struct bpf_program *prog;
	__u64 cgid;
	int cgfd, err = 0;

	cgfd = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0) {
		err = -errno;
		log_warn("open cgroup %s", cgroup);
		return err;
	}
	err = cgroup_id_of(cgroup, &cgid);
	bpf_object__for_each_program(prog, l->skel->obj) {
		if (err)
			break;
		err = attach_one(l, prog, cgfd, cgid);
	}
	close(cgfd);
	return err;
}

/*
 * One daemon per pin directory: a second would swap its programs under the
 * first's links and reconcile the first's maps.  Held until we exit (the
 * kernel releases it if we die), so it lives outside struct mxg_loader,
 * which loader_close() tears down before an unload.
 */
static int pin_lock_fd = -1;

static int hold_pin_lock(const char *dir)
{
	int fd;

	if (pin_lock_fd >= 0)
		return 0;
	fd = bpffs_lock(dir);
	if (fd == -EBUSY)
		pr_warn("already running: another mxguardd holds %s\n", dir);
	else if (fd < 0)
		pr_warn("lock %s: %s\n", dir, strerror(-fd));
	if (fd < 0)
		return fd;
	pin_lock_fd = fd;
	return 0;
}

int loader_start(struct mxg_loader *l, const struct mxg_settings *s)
{
	int err;

	memset(l, 0, sizeof(*l));
	l->policy_fd = -1;
	snprintf(l->pin_dir, sizeof(l->pin_dir), "%s", s->pin_dir);
	err = probe_kernel();
	if (err)
		return err;
	err = bpffs_prepare(l->pin_dir);
	if (!err)
		err = hold_pin_lock(l->pin_dir);
	if (err)
		return err;
	l->skel = mxguard_bpf__open();
	if (!l->skel) {
		err = -errno;
		pr_warn("open BPF object: %s\n", strerror(-err));
		return err;
	}
	l->lineage = probe_datapath(l->skel);
	err = set_map_pins(l);
	if (err)
		goto cleanup;
	err = mxguard_bpf__load(l->skel);
	if (err) {
		pr_warn("load BPF programs: %s (run with -v for the verifier "
			"log)\n", strerror(-err));
		goto cleanup;
	}
	err = read_seed(l);
	if (!err)
		err = write_settings(l, s);
	if (err) {
		pr_warn("write settings: %s\n", strerror(-err));
		goto cleanup;
	}
	return 0;
cleanup:
	mxguard_bpf__destroy(l->skel);
	l->skel = NULL;
	return err;
}

int loader_use_skel(struct mxg_loader *l, struct mxguard_bpf *skel,
		    __u64 seed, const struct mxg_settings *s)
{
	memset(l, 0, sizeof(*l));
	l->policy_fd = -1;
	l->skel = skel;
	l->seed = seed;
	return write_settings(l, s);
}

int loader_attach(struct mxg_loader *l, const char *cgroup)
{
	return attach_all(l, cgroup);
}

static int fill_policy(struct mxg_loader *l, int fd,
		       const struct mxg_policy *p, __u32 gen,
		       struct mxg_hashes *protected)
{
	const struct mxg_policy_rule *r;
	struct mxg_rule val;
	__u64 key;
	size_t i;
	int err;

	for (i = 0; i < p->n; i++) {
		r = &p->rules[i];
		/* A learnt rule removed again keeps its slot, not its key. */
		if (r->flags & MXG_RULE_F_DEAD)
			continue;
		memset(&val, 0, sizeof(val));
		val.rule_id = (gen << 24) | (__u32)i;
		val.verdict = r->kind;
		val.action = r->action;
		val.origin = r->origin;
		if (r->kind == MXG_RULE_LOOKALIKE &&
		    (err = protected_put(l, r, protected,
					 &val.protected_hash))) {
			pr_warn("%s:%d: cannot store its protected name: %s\n",
				r->file, r->line, strerror(-err));
			return err;
		}
		key = mxg_name_hash(l->seed, r->wire, r->wire_len);
		if (bpf_map_update_elem(fd, &key, &val, BPF_NOEXIST)) {
			pr_warn("%s:%d: cannot load rule: %s\n", r->file,
				r->line, strerror(errno));
			return -errno;
		}
	}
	return 0;
}

/*
 * The generation is remembered in the pinned config, so a restarted daemon
 * counts on from it.  It is written before the swap: a config ahead of the
 * kernel only makes a restarted daemon skip a generation (records of the
 * skipped one are then judged as of an unknown rule), while one behind
 * would make it reuse the generation of the rule ids in the kernel, and
 * name wrong rules.
 */
static int store_generation(struct mxg_loader *l, __u32 gen)
{
	int fd = bpf_map__fd(l->skel->maps.config_map);
	struct mxg_config cfg;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(fd, &zero, &cfg))
		return -errno;
	cfg.policy_gen = gen;
	return bpf_map_update_elem(fd, &zero, &cfg, BPF_ANY) ? -errno : 0;
}

/* Generation stored, then the swap: one update of slot 0. */
static int publish(struct mxg_loader *l, int fd, __u32 gen)
{
	__u32 zero = 0;
	int err;

	err = store_generation(l, gen);
	if (err) {
		pr_warn("store policy generation %u: %s\n", gen,
			strerror(-err));
		return err;
	}
	if (!bpf_map_update_elem(bpf_map__fd(l->skel->maps.policy), &zero,
				 &fd, BPF_ANY))
		return 0;
	err = -errno;
	pr_warn("swap in the new policy map: %s\n", strerror(-err));
	/* Best effort: left ahead, the stored generation is still safe. */
	store_generation(l, l->generation);
	return err;
}

/* The new generation is in force: its names replace the oldest. */
static void rotate_protected(struct mxg_loader *l, struct mxg_hashes *next)
{
	long pruned;

	hashes_free(&l->protected_prev);
	l->protected_prev = l->protected_now;
	l->protected_now = *next;
	pruned = protected_prune(l);
	if (pruned < 0)
		pr_warn("protected names of old policies left in the map: %s\n",
			strerror((int)-pruned));
	else if (pruned)
		pr_debug("deleted %ld protected names no policy refers to\n",
			 pruned);
}

int loader_set_policy(struct mxg_loader *l, const struct mxg_policy *p)
{
	/* Room for rules the second look learns while this policy is in force. */
	__u32 entries = p->n + MXG_LEARNED_MAX;
	__u32 gen = (l->generation + 1) & 0xff;
	struct mxg_hashes protected = { 0 };
	int fd, err;

	if (p->n > MXG_RULES_MAX) {
		pr_warn("policy has %zu rules; at most %u fit\n", p->n,
			MXG_RULES_MAX);
		return -E2BIG;
	}
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "mxg_policy", sizeof(__u64),
			    sizeof(struct mxg_rule), entries, NULL);
	if (fd < 0) {
		err = -errno;
		pr_warn("create policy map (%u entries): %s\n", entries,
			strerror(-err));
		return err;
	}
	err = fill_policy(l, fd, p, gen, &protected);
	if (!err)
		err = publish(l, fd, gen);
	if (err) {
		close(fd);
		hashes_free(&protected);
		/* What the failed fill put in is referred to by nothing. */
		protected_prune(l);
		return err;
	}
	/*
	 * Keep the map in force open: rules learnt later go into it, and
	 * BPF_MAP_GET_FD_BY_ID would need CAP_SYS_ADMIN, which is dropped.
	 */
	if (l->policy_fd >= 0)
		close(l->policy_fd);
	l->policy_fd = fd;
	l->policy_entries = p->n;
	l->generation = gen;
	hashes_seal(&protected);
	rotate_protected(l, &protected);
	return 0;
}

int loader_add_rule(struct mxg_loader *l, const struct mxg_policy *p,
		    size_t idx)
{
	const struct mxg_policy_rule *r = &p->rules[idx];
	struct mxg_rule val = {
		.rule_id = (l->generation << 24) | (__u32)idx,
		.verdict = r->kind,
		.action = r->action,
		.origin = r->origin,
	};
	__u64 key;
	int err;

	if (idx >= MXG_RULES_MAX || l->policy_fd < 0)
		return -E2BIG;
	if (r->kind == MXG_RULE_LOOKALIKE) {
		err = protected_put(l, r, &l->protected_now,
				    &val.protected_hash);
		hashes_seal(&l->protected_now);
		if (err)
			return err;
	}
	key = mxg_name_hash(l->seed, r->wire, r->wire_len);
	/* A full map refuses: the rule is then reported, not enforced. */
	if (bpf_map_update_elem(l->policy_fd, &key, &val, BPF_NOEXIST))
		return -errno;
	return 0;
}

int loader_remove_rule(struct mxg_loader *l, const struct mxg_policy *p,
		       size_t idx)
{
	const struct mxg_policy_rule *r = &p->rules[idx];
	__u64 key = mxg_name_hash(l->seed, r->wire, r->wire_len);

	if (l->policy_fd < 0)
		return -EBADF;
	return bpf_map_delete_elem(l->policy_fd, &key) ? -errno : 0;
}

int loader_lineage_depth(const struct mxg_loader *l)
{
	/* Self plus MXG_ANCESTRY_MAX - 1 ancestors, when the walk runs. */
	return l->skel && l->skel->rodata->walk_ancestry ?
	       MXG_ANCESTRY_MAX - 1 : 0;
}

int loader_events_fd(const struct mxg_loader *l)
{
	return bpf_map__fd(l->skel->maps.events);
}

int loader_queries_fd(const struct mxg_loader *l)
{
	return bpf_map__fd(l->skel->maps.queries);
}

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
	[MXG_CNT_QUERY_DROPS] = "mx_query_drops",
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

void loader_close(struct mxg_loader *l)
{
	if (l->policy_fd >= 0)
		close(l->policy_fd);
	l->policy_fd = -1;
	hashes_free(&l->protected_now);
	hashes_free(&l->protected_prev);
	mxguard_bpf__destroy(l->skel);
	l->skel = NULL;
}

static void detach_pinned_link(const char *path)
{
	int fd = bpf_obj_get(path);

	if (fd < 0)
		return;
	/* A map's fd: BPF_LINK_DETACH fails with EINVAL, as it should. */
	bpf_link_detach(fd);
	close(fd);
}

/*
 * Detach and unpin @name in @dfd (the open @dir).  Only a regular file is
 * ours: bpffs shows pins as regular files, and a symlink or directory
 * under one of our names was put there by someone else.
 */
static int unpin(int dfd, const char *dir, const char *name)
{
	char path[768];
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISREG(st.st_mode)) {
		pr_warn("%s/%s is not a pin: left alone\n", dir, name);
		return -EEXIST;
	}
	if (pin_path(path, sizeof(path), dir, name))
		return -ENAMETOOLONG;
	detach_pinned_link(path);
	if (unlinkat(dfd, name, 0)) {
		log_warn("remove %s", path);
		return -errno;
	}
	return 0;
}

/* Name what we did not remove: pins of another version, or not pins. */
static void report_leftovers(int dfd, const char *dir)
{
	struct dirent *de;
	int n = 0, fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && n++ < 8)
			pr_warn("%s/%s is not a pin of this mxguardd: kept\n",
				dir, de->d_name);
	if (n > 8)
		pr_warn("... and %d more in %s\n", n - 8, dir);
	closedir(d);
}

static void remove_dir(int dfd, const char *dir)
{
	if (!rmdir(dir) || errno == ENOENT)
		return;
	if (errno == ENOTEMPTY)
		report_leftovers(dfd, dir);
	else
		log_warn("remove %s", dir);
}

/*
 * Only what this build pins, by name, and only on bpffs (as xdp-tools
 * does): a wrong --pin-dir must not empty a directory of files.  Links
 * go first, each detached before it is unpinned: the last reference going
 * away releases a link only later (RCU), and a connect in between would
 * still be judged.  BPF_LINK_DETACH needs Linux 5.9; before that,
 * unlinking is still what detaches.
 */
int loader_unload(const char *pin_dir)
{
	struct mxguard_bpf *skel = NULL;
	struct bpf_program *prog;
	struct bpf_map *map;
	int dfd, err = 0, e;

	dfd = bpffs_open_dir(pin_dir);
	if (dfd == -ENOENT)
		return 0;		/* nothing pinned */
	if (dfd == -EMEDIUMTYPE) {
		pr_warn("%s is not on a bpf file system, so it holds no pins: "
			"nothing removed\n", pin_dir);
		return dfd;
	}
	if (dfd < 0) {
		pr_warn("open %s: %s\n", pin_dir, strerror(-dfd));
		return dfd;
	}
	skel = mxguard_bpf__open();
	if (!skel) {
		err = -errno;
		pr_warn("open BPF object: %s\n", strerror(-err));
		goto cleanup;
	}
	bpf_object__for_each_program(prog, skel->obj) {
		e = unpin(dfd, pin_dir, bpf_program__name(prog));
		err = err ? err : e;
	}
	bpf_object__for_each_map(map, skel->obj) {
		if (bpf_map__is_internal(map))
			continue;
		e = unpin(dfd, pin_dir, bpf_map__name(map));
		err = err ? err : e;
	}
	remove_dir(dfd, pin_dir);
cleanup:
	mxguard_bpf__destroy(skel);
	close(dfd);
	return err;
}
