/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The datapath from user space, in three files around one struct
 * mxg_loader: loader.c loads, pins, attaches (or adopts what a previous
 * daemon pinned) and unloads; policymap.c builds each policy's map and
 * swaps it in atomically; taints.c walks and sweeps the taint maps and
 * reads the counters.  protected.c, reconcile.c and probe.c help them.
 */
#ifndef MXGUARD_LOADER_H
#define MXGUARD_LOADER_H

#include <sys/types.h>
#include <linux/types.h>

#include "mxguard/abi.h"
#include "policy.h"
#include "probe.h"

struct mxguard_bpf;
struct mxg_early;
struct mxg_prefill;

struct mxg_settings {
	const char *pin_dir;
	const char *cgroup;		/* resolved cgroup2 directory */
	__u32 mode;			/* enum mxg_mode */
	__u32 scope;			/* enum mxg_scope */
	__u64 ttl_min_s, ttl_max_s;
	__u16 ports[MXG_PORTS_MAX];
	int nports;
};

/* A set of name hashes: sorted, no duplicates. */
struct mxg_hashes {
	__u64 *v;
	size_t n, cap;
};

struct mxg_loader {
	struct mxguard_bpf *skel;
	char pin_dir[512];
	__u64 seed;
	int adopted;			/* links were pinned already */
	int no_batch;			/* no batch map updates (before 5.6) */
	size_t policy_entries;
	__u32 generation;		/* of the policy in the kernel */
	int policy_fd;			/* the inner map in force, or -1 */
	enum mxg_lineage lineage;	/* what the connect programs see */
	/*
	 * Protected names the policy in force and the one before refer to:
	 * after a swap, names in neither (and in no live record) are deleted
	 * from the pinned protected_names map, which would otherwise fill.
	 */
	struct mxg_hashes protected_now, protected_prev;
	/* The first policy's map, filled while the programs load. */
	struct mxg_prefill *prefill;
	/* The programs loading in a thread (loader_open()), until joined. */
	struct mxg_early *early;
};

/*
 * A rule id in the kernel is (generation << 24 | index), so an event raised
 * just before a reload still names the rule of the policy it matched (the
 * daemon keeps the tables of two generations).  The generation has 8 bits
 * and comes round again after 256 loads.  It may, because every load
 * re-stamps each live record with its new rule id (reconcile.h): no
 * record keeps an id long enough to meet its generation again.  A wider
 * generation would change the ABI, take bits the index needs, and still
 * leave a changed action unapplied; re-stamping was needed anyway.
 */
#define MXG_RULE_INDEX(id)	((id) & 0xffffffu)
#define MXG_RULE_GEN(id)	((id) >> 24)
#define MXG_RULES_MAX		0xffffffu
/* Index of "a rule no table here knows" (never a real index: n <= MAX). */
#define MXG_RULE_UNKNOWN	0xffffffu
/*
 * Findings the second look keeps, and so rules it may add to a policy in
 * force (the policy map has this much room past the policy's own rules).
 */
#define MXG_LEARNED_MAX		1024

/* One taint record, decoded for `mxguardctl list`. */
struct mxg_taint_view {
	const char *level;		/* mxg_scope_name() of its level */
	__u64 id;			/* tgid or cgroup id (0 for host) */
	__u8 addr[16];
	const struct mxg_taint *t;
	const __u8 *name;		/* wire, or NULL if not known */
	const __u8 *origin;
};

/* --- loader.c: the datapath's life ----------------------------------- */

/*
 * Open, pin and load the programs.  With @first (else NULL), the policy's
 * map is created and filled while the verifier runs (policymap.c); it is
 * swapped in by loader_finish_policy(), nothing of it before.  A policy
 * error found before the fill starts is reported and fails the start.
 */
int loader_start(struct mxg_loader *l, const struct mxg_settings *s,
		 const struct mxg_policy *first);
/*
 * Begin loader_start()'s work in a thread before the policy is parsed:
 * probe, take the pin lock, open and load the programs.  It makes no pin
 * and writes no pinned map: maps not pinned yet are pinned by
 * loader_start(), which waits for the thread (its errors are the same as
 * loader_start()'s) and begins @first's fill as soon as the seed is read.
 * loader_cancel() undoes it (a start that fails before loader_start()):
 * the pin directory, if the thread made it, is removed again.  -errno if
 * no thread (none is started with one CPU to run on): loader_start() then
 * does it all.
 */
int loader_open(struct mxg_loader *l, const char *pin_dir);
void loader_cancel(struct mxg_loader *l);
/* CPUs this process may run on (its affinity), at least 1. */
int loader_cpus(void);
/*
 * Drive a skeleton loaded by someone else (BPF_PROG_TEST_RUN suites, the
 * benchmark): nothing pinned or attached; @s's settings and @seed written.
 */
int loader_use_skel(struct mxg_loader *l, struct mxguard_bpf *skel,
		    __u64 seed, const struct mxg_settings *s);
/* Attach (or adopt pinned links and swap their programs). */
int loader_attach(struct mxg_loader *l, const char *cgroup);
/* The ring of verdicts, and the ring of MX queries for the second look. */
int loader_events_fd(const struct mxg_loader *l);
int loader_queries_fd(const struct mxg_loader *l);
/*
 * Generations below a resolver that its process-scope taint reaches: the
 * connect programs' lineage walk, or 0 where the kernel cannot walk it.
 */
int loader_lineage_depth(const struct mxg_loader *l);
/*
 * Would a connect from @pid to @addr (16 bytes) pass on its lineage's own
 * records, as connect4/6 walk them (bpf/connect.bpf.h): 1 if the nearest
 * live record is clean, 0 if it is a lookalike's or there is none (the
 * unit's and the host's records then decide), -errno if unreadable.
 */
int loader_lineage_clean(const struct mxg_loader *l, pid_t pid,
			 const __u8 *addr);
/* The `names` entry of @hash, formatted (name.h): 0, or -1 if none. */
int loader_name_text(const struct mxg_loader *l, __u64 hash, char *out,
		     size_t sz);
/* Release user-space handles; pinned enforcement stays. */
void loader_close(struct mxg_loader *l);
/* Detach every program and remove every pin under @pin_dir. */
int loader_unload(const char *pin_dir);

/* --- policymap.c: the policy in the kernel ----------------------------- */

/*
 * Build the complete new policy map, then swap it in (one map update).
 * The new generation is written to the pinned config before the swap, and
 * put back if the swap fails, so a restarted daemon never counts from a
 * generation behind the kernel's rule ids.  On error nothing was swapped.
 */
int loader_set_policy(struct mxg_loader *l, const struct mxg_policy *p);
/* Retire the datapath's cached verdicts: after every policy change. */
int loader_vcache_bump(struct mxg_loader *l);
/*
 * The policy map loader_start() began: wait for its fill, then as
 * loader_set_policy() (errors reported as there; on error nothing was
 * swapped).  -EINVAL if none was begun.
 */
int loader_finish_policy(struct mxg_loader *l);
/* Begin @p's map now, in a thread; loader_finish_policy() ends it. */
int loader_begin_policy(struct mxg_loader *l, const struct mxg_policy *p);
/* Wait for a begun fill and drop its map (loader_close() does this). */
void loader_abort_policy(struct mxg_loader *l);
/*
 * Insert rule @idx of @p into the policy map in force (no swap: one new key
 * is atomic on its own).  For rules learnt at run time (second look).
 */
int loader_add_rule(struct mxg_loader *l, const struct mxg_policy *p,
		    size_t idx);
/* Delete rule @idx of @p (a learnt one) from the policy map in force. */
int loader_remove_rule(struct mxg_loader *l, const struct mxg_policy *p,
		       size_t idx);

/* --- taints.c: the records and the counters ---------------------------- */

/* Visit every live lookalike record (clean records are skipped). */
int loader_for_each_taint(const struct mxg_loader *l,
			  void (*fn)(void *ctx, const struct mxg_taint_view *v),
			  void *ctx);
/*
 * Remove expired lookalike records (the hash maps that hold them never
 * evict, so a full one would hold answers back).  Returns how many.
 */
long loader_sweep(const struct mxg_loader *l);
/*
 * The connect fast path (taint_any, bpf/maps.bpf.h).  Before attaching:
 * disarm, so the programs walk the lineage for every connect.  After:
 * fill taint_any from the taint maps (pins of a daemon that kept none, or
 * ran programs that did not), then arm.  On an error it stays disarmed and
 * every connect walks, as before.  0 or -errno; *addresses: how many
 * records the rebuild covered.
 */
int loader_disarm_fastpath(const struct mxg_loader *l);
/*
 * Set taint_names' filter bytes of every entry there is (namefilter.c):
 * after the attach, before loader_arm_fastpath().  0 or -errno; *names:
 * how many entries.
 */
int loader_fill_name_filter(const struct mxg_loader *l, long *names);
/*
 * clean_unit's filter (bpf/maps.bpf.h: unit_filter): every entry's byte,
 * after the attach, before loader_arm_fastpath(); *pairs: how many.  How
 * many of its bytes are set (*set).  Its clear while disarmed, keeping
 * the bytes of live entries (*kept; namefilter.c).  Each 0 or -errno.
 */
int loader_fill_unit_filter(const struct mxg_loader *l, long *pairs);
int loader_unit_filter_fill(const struct mxg_loader *l, long *set);
int loader_clear_unit_filter(const struct mxg_loader *l, long *kept,
			     int *was_armed);
/* The fill under the filters (namefilter.c has the rules). */
int loader_mark_filter(int fd, int ffd, size_t sz,
		       __u32 (*slot)(const void *key), __u64 now,
		       volatile __u8 **m, long *keys);
int loader_mark_filter_keys(int fd, int ffd, size_t sz,
			    __u32 (*slot)(const void *key), __u64 now,
			    long *keys);
int loader_arm_fastpath(const struct mxg_loader *l, __u64 ttl_max_ns,
			long *addresses);
/* Sum of the per-CPU counters, indexed by enum mxg_counter (names_abi.h). */
int loader_counters(const struct mxg_loader *l, __u64 out[MXG_CNT__MAX]);
/* Records lost to LRU eviction (derived; see abi.h). */
struct mxg_evictions {
	long long clean;		/* clean_proc */
	long long names;		/* names */
	long long taints;		/* lookalike maps: never, by design */
};
void loader_evictions(const struct mxg_loader *l,
		      const __u64 cnt[MXG_CNT__MAX], struct mxg_evictions *ev);
/* One line with every counter, for logs. */
void loader_log_counters(const struct mxg_loader *l);

/* Tell the connect programs where the SMTP responder listens (0: none). */
int loader_set_responder(struct mxg_loader *l, __u16 port, __u32 mark);
int loader_redirects_fd(struct mxg_loader *l);

#endif
