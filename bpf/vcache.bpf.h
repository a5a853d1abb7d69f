/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The per-CPU verdict cache: a question seen lately on this CPU costs one
 * array lookup and a compare instead of the policy walk (one hash lookup
 * per label, 300-600 ns each in a 1M policy for a name not in the CPU's
 * cache, tests/bench/micro.c) and the similarity match.
 *
 * What is cached is exactly what mxg_match_name() and mxg_similar() return
 * for the name: whether some entry matched, the rule, the whole name's hash
 * and whether the match was a similarity one.  Those are a function of the
 * name's bytes, the inner policy map's contents and the hash seed, and of
 * nothing else (taint_names, which can change any moment, is looked up
 * after the cache, every time).  So a slot is used only if
 *  - it holds the same name: its length and every byte are compared, so no
 *    collision of any hash can stand one name for another (the index hash
 *    only picks the slot; a crafted clash makes misses, never a verdict);
 *  - it was filled under the current epoch (vcache_epoch): the daemon bumps
 *    it after every change to the policy's contents (a swap, a rule the
 *    second look adds or removes) and at start (a new seed).  The epoch is
 *    read before the walk reads the policy: a fill tagged with epoch E saw
 *    the policy as of E or later, and a later change moves the epoch past
 *    E, so the slot is never used again.  Epochs are 64-bit and only go
 *    up: a slot from 256 reloads ago does not come back to life (the 8-bit
 *    policy_gen of the config could).  Epoch 0 (no daemon has published a
 *    policy, e.g. a harness that writes the map itself) turns the cache off.
 *
 * Each hook has its own half of the map and runs only inside the scratch
 * slot's busy section: an ingress softirq that interrupts an egress fill
 * never reads the half-written slot.
 *
 * The index hash picks two sets of two slots (ways) each, from disjoint
 * bits: a name may sit in either way of either set.  The first set is read
 * first; the second only when the first does not hold the name.  A fill
 * takes a way of the first set whose epoch is not the current one, else
 * one of the second set, else the way the first set's first slot names as
 * its victim (the one not used last).  A direct-mapped cache of the same
 * size lost about one name in five of 1,000 to another name of its slot;
 * one set of two ways lost the names of sets of three or more (about one
 * in ten), each asked in turn evicting the next; each loss a policy walk.
 * Which set and way a name sits in changes no verdict: each is compared
 * whole, under the epoch.
 */
#ifndef MXGUARD_VCACHE_BPF_H
#define MXGUARD_VCACHE_BPF_H

#define VC_WORDS	(MXG_VCACHE_NAME / 8)

/*
 * Word @i of scratch->name with the bytes at and past name_len zeroed:
 * bytes there are left over from earlier names.
 */
static __always_inline __u64 vc_word(struct mxg_scratch *s, __u32 i,
				     __u32 len)
{
	__u64 w;
	__u32 keep;

	__builtin_memcpy(&w, &s->name[(i * 8) & 0x78], 8);
	if (i * 8 + 8 <= len)
		return w;
	keep = (len - i * 8) & 7;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return keep ? w & (~0ULL >> (64 - 8 * keep)) : 0;
#else
	return keep ? w & (~0ULL << (64 - 8 * keep)) : 0;
#endif
}

/*
 * Where scratch->name's set is: the group (an element of vcache_sets, in
 * @slot's half of the map) in the upper bits, the set's first slot in the
 * low 7 (MXG_VCACHE_SETS * MXG_VCACHE_WAYS slots a group).
 */
#define VC_SLOT_BITS	7
#define VC_SLOT_MASK	((1U << VC_SLOT_BITS) - 1)

static __always_inline __u32 vc_key(struct mxg_scratch *s, __u64 seed)
{
	__u32 len = s->name_len, i;
	__u64 h = seed ^ len;

	for (i = 0; i < VC_WORDS; i++) {
		if (i * 8 >= len)
			break;
		h = (h ^ vc_word(s, i, len)) * MXG_FNV_PRIME;
	}
	return (__u32)mxg_hash_final(h);
}

/*
 * The set of choice @c (0 or 1) for index hash @key, in @slot's half: the
 * group in the upper bits, the set's first slot in the low 7.  The two
 * choices take disjoint bits of the hash.
 */
static __always_inline __u32 vc_set(__u32 key, __u32 c, __u32 slot)
{
	__u32 k = c ? key >> 16 : key;

	return ((k & (MXG_VCACHE_GROUPS - 1)) +
		(slot & 1) * MXG_VCACHE_GROUPS) << VC_SLOT_BITS |
	       ((k >> 8) & (MXG_VCACHE_SETS - 1)) * MXG_VCACHE_WAYS;
}

static __always_inline int vc_same(struct mxg_scratch *s,
				   struct mxg_vcache *e, __u32 len)
{
	__u32 i;

	if (e->len != len)
		return 0;
	for (i = 0; i < VC_WORDS; i++) {
		if (i * 8 >= len)
			break;
		if (e->w[i] != vc_word(s, i, len))
			return 0;
	}
	return 1;
}

/*
 * Look for scratch->name in the set @set (vc_set()): its slot, or NULL
 * with *stale's bit w set for each way w not filled under @epoch and
 * *victim the set's way not used last.
 */
static __always_inline struct mxg_vcache *
vc_probe(struct mxg_scratch *s, __u32 set, __u32 len, __u64 epoch,
	 __u32 *stale, __u32 *victim)
{
	__u32 gkey = set >> VC_SLOT_BITS, first = set & VC_SLOT_MASK & ~1U;
	struct mxg_vcache_group *g;
	struct mxg_vcache *e;
	__u32 way;

	*stale = 0;
	*victim = 0;
	g = bpf_map_lookup_elem(&vcache_sets, &gkey);
	if (!g)
		return NULL;
	for (way = 0; way < MXG_VCACHE_WAYS; way++) {
		e = &g->slot[(first + way) & VC_SLOT_MASK];
		if (e->epoch != epoch) {
			*stale |= 1U << way;
			continue;
		}
		if (!vc_same(s, e, len))
			continue;
		/* The other way goes first when the set fills. */
		if (g->slot[first].victim != (way ^ 1))
			g->slot[first].victim = way ^ 1;
		return e;
	}
	*victim = g->slot[first].victim & 1;
	return NULL;
}

/*
 * The cached verdict for the question in scratch->name: 1 when something
 * matched (scratch->rule and scratch->name_hash filled, as mxg_match_name()
 * or mxg_similar() would), 0 when nothing did, -1 on a miss.  A miss that
 * may be filled arms vcache_state; mxg_question() then runs the walk and
 * mxg_vc_put() stores what it found.  Counts similarity matches at egress.
 */
__noinline int mxg_vc_get(__u32 slot, __u32 egress)
{
	struct mxg_scratch *s = get_scratch(slot);
	struct mxg_config *cfg = get_config();
	__u32 zero = 0, len, key, set0, set1, st0, st1, vi0, vi1, way;
	struct mxg_vc_state *st;
	struct mxg_vcache *e;
	__u64 epoch = 0, *ep;

	st = bpf_map_lookup_elem(&vcache_state, &slot);
	if (!s || !cfg || !st)
		return -1;
	st->armed = 0;
	/* The epoch first: see the top of this file. */
	ep = bpf_map_lookup_elem(&vcache_epoch, &zero);
	if (ep)
		epoch = *(volatile __u64 *)ep;
	len = s->name_len;
	if (!epoch || len > MXG_VCACHE_NAME ||
	    !bpf_map_lookup_elem(&policy, &zero))
		return -1;
	key = vc_key(s, cfg->hash_seed);
	set0 = vc_set(key, 0, slot);
	e = vc_probe(s, set0, len, epoch, &st0, &vi0);
	if (e)
		goto hit;
	set1 = vc_set(key, 1, slot);
	e = vc_probe(s, set1, len, epoch, &st1, &vi1);
	if (e)
		goto hit;
	/*
	 * A stale or empty way of the first set, else of the second, else
	 * the first set's way not used last.
	 */
	if (!st0 && st1) {
		set0 = set1;
		st0 = st1;
	}
	way = st0 & 1 ? 0 : st0 & 2 ? 1 : vi0;
	st->epoch = epoch;
	st->key = set0 + way;
	st->armed = 1;
	return -1;
hit:
	count(MXG_CNT_VCACHE_HIT);
	s->rule = e->rule;
	s->name_hash = e->name_hash;
	if (e->sim && egress)
		count(MXG_CNT_SIM_MATCH);
	return e->matched ? 1 : 0;
}

/* Store the walk's verdict for the question that mxg_vc_get() missed. */
__noinline int mxg_vc_put(__u32 slot, __u32 matched, __u32 sim)
{
	struct mxg_scratch *s = get_scratch(slot);
	struct mxg_vcache_group *g;
	struct mxg_vc_state *st;
	struct mxg_vcache *e;
	__u32 len, i, gkey, idx;

	st = bpf_map_lookup_elem(&vcache_state, &slot);
	if (!s || !st || !st->armed)
		return 0;
	st->armed = 0;
	gkey = st->key >> VC_SLOT_BITS;
	idx = st->key & VC_SLOT_MASK;
	g = bpf_map_lookup_elem(&vcache_sets, &gkey);
	len = s->name_len;
	if (!g || len > MXG_VCACHE_NAME)
		return 0;
	e = &g->slot[idx];
	/* A name's bytes are stored only with the verdict that goes with it. */
	e->epoch = st->epoch;
	e->len = len;
	for (i = 0; i < VC_WORDS; i++) {
		if (i * 8 >= len)
			break;
		e->w[i] = vc_word(s, i, len);
	}
	e->rule = s->rule;
	e->name_hash = s->name_hash;
	e->matched = matched;
	e->sim = sim;
	/* Just filled: the set's other way is the next to go. */
	g->slot[idx & ~1U].victim = (idx & 1) ^ 1;
	return 0;
}

#endif
