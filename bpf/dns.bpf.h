/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * DNS message parsing for the cgroup_skb programs.
 *
 * The message is copied once into per-CPU scratch; every offset into it is
 * masked to the buffer size so the verifier can bound each access.  The name
 * walk and the per-record handler are global (non-static) functions: the
 * verifier checks each of them once instead of once per call site, which
 * keeps the programs far from the complexity limit on 5.10.
 */
#ifndef MXGUARD_DNS_BPF_H
#define MXGUARD_DNS_BPF_H

#define DNS_HDR_LEN	12
#define DNS_T_A		1
#define DNS_T_CNAME	5
#define DNS_T_MX	15
#define DNS_T_AAAA	28
#define DNS_T_SRV	33

#define PARSE_MALFORMED	(-1)
#define PARSE_TRUNCATED	(-2)

#define PKT_MASK	(MXG_DNS_MAX - 1)
#define NAME_MASK	(MXG_NAME_MAX - 1)

enum dns_section { SEC_ANSWER, SEC_AUTHORITY, SEC_ADDITIONAL };

static __always_inline __u32 pkt_u16(struct mxg_scratch *s, __u32 off)
{
	return ((__u32)s->pkt[off & PKT_MASK] << 8) | s->pkt[(off + 1) & PKT_MASK];
}

static __always_inline __u32 pkt_u32(struct mxg_scratch *s, __u32 off)
{
	return (pkt_u16(s, off) << 16) | pkt_u16(s, off + 2);
}

/* Running past the copied bytes is truncation if the copy was capped. */
static __always_inline int past_end(struct mxg_scratch *s)
{
	return s->pkt_capped ? PARSE_TRUNCATED : PARSE_MALFORMED;
}

/*
 * Walk the name at @off into scratch->name (wire format, lowercased) and mark
 * label starts.  Compression pointers must point strictly backwards from
 * where they stand.  That alone does not rule out a loop: a pointer may point
 * back at a label just before itself (10: label "x", 12: pointer to 10).  The
 * hop bound (MXG_PTR_HOPS_MAX) ends such a walk, and the name is malformed.
 * Returns the offset just past the name in place, or PARSE_MALFORMED /
 * PARSE_TRUNCATED.
 */
#define WALK(s, f)	(*(volatile __u32 *)&(s)->f)

__noinline int mxg_parse_name(__u32 off, __u32 slot)
{
	struct mxg_scratch *s = get_scratch(slot);
	__u32 pos, out, rem, len, target;
	__u8 c;
	int i;

	if (!s)
		return PARSE_MALFORMED;
	WALK(s, w_pos) = off;
	WALK(s, w_out) = 0;
	WALK(s, w_rem) = 0;
	WALK(s, w_hops) = 0;
	WALK(s, w_end) = 0;
	for (i = 0; i < MXG_NAME_STEPS; i++) {
		len = WALK(s, pkt_len);
		pos = WALK(s, w_pos);
		out = WALK(s, w_out) & NAME_MASK;
		rem = WALK(s, w_rem);
		if (pos >= len)
			return past_end(s);
		c = s->pkt[pos & PKT_MASK];
		if (rem) {
			s->name[out] = mxg_lower(c);
			s->starts[out] = 0;
			WALK(s, w_out) = out + 1;
			WALK(s, w_pos) = pos + 1;
			WALK(s, w_rem) = rem - 1;
			continue;
		}
		if (c == 0) {
			s->name[out] = 0;
			s->starts[out] = 0;
			s->name_len = out;
			return WALK(s, w_end) ? (int)WALK(s, w_end) :
						(int)(pos + 1);
		}
		if ((c & 0xC0) == 0xC0) {
			if (pos + 1 >= len)
				return past_end(s);
			target = ((__u32)(c & 0x3F) << 8) |
				 s->pkt[(pos + 1) & PKT_MASK];
			if (!WALK(s, w_end))
				WALK(s, w_end) = pos + 2;
			if (target >= pos)
				return PARSE_MALFORMED;
			WALK(s, w_hops) = WALK(s, w_hops) + 1;
			if (WALK(s, w_hops) > MXG_PTR_HOPS_MAX)
				return PARSE_MALFORMED;
			WALK(s, w_pos) = target;
			continue;
		}
		if (c & 0xC0)	/* extended label types: not in use */
			return PARSE_MALFORMED;
		if (out + 1 + c > MXG_NAME_MAX - 2)
			return PARSE_MALFORMED;
		s->name[out] = c;
		s->starts[out] = 1;
		WALK(s, w_out) = out + 1;
		WALK(s, w_pos) = pos + 1;
		WALK(s, w_rem) = c;
	}
	return PARSE_TRUNCATED;
}

/*
 * Hash scratch->name from its last byte to its first (see hash.h) into
 * scratch->name_hash.  The names of records need the whole name's hash
 * alone: label starts, suffixes and the policy are the question's.
 */
__noinline int mxg_hash_name(__u32 slot)
{
	struct mxg_scratch *s = get_scratch(slot);
	struct mxg_config *cfg = get_config();
	__u32 n, i;
	__u64 h;

	if (!s || !cfg)
		return 0;
	n = s->name_len;
	h = mxg_hash_init(cfg->hash_seed);
	for (i = 0; i < MXG_NAME_MAX; i++) {
		if (i >= n)
			break;
		h = mxg_hash_step(h, s->name[(n - 1 - i) & NAME_MASK]);
	}
	s->name_hash = mxg_hash_final(h);
	return 0;
}

/*
 * Hash the question in scratch->name as mxg_hash_name() does, and look up
 * every suffix in the policy: suffixes come shortest first, so the last
 * hit is the most specific rule and wins.  The policy's slot is read once
 * before the walk, so one name is judged against one policy even while a
 * reload swaps it (and the walk keeps one pointer type: a slot read per
 * label, or a NULL on some paths, gives the verifier states that do not
 * prune).  Returns 1 when some rule matched (scratch->rule holds it),
 * else 0.
 */
__noinline int mxg_match_name(__u32 slot)
{
	struct mxg_scratch *s = get_scratch(slot);
	struct mxg_config *cfg = get_config();
	__u32 zero = 0, n, idx, i;
	struct mxg_sim_scratch *ss;
	struct mxg_rule *rule;
	__u64 h, fh, sfx = 0, last = 0;
	void *inner;

	if (!s || !cfg)
		return 0;
	inner = bpf_map_lookup_elem(&policy, &zero);
	if (!inner) {
		ss = get_sim_scratch(slot);
		if (ss)
			ss->sfx = 0;
		return mxg_hash_name(slot);
	}
	n = s->name_len;
	h = mxg_hash_init(cfg->hash_seed);
	s->name_hash = mxg_hash_final(h);
	WALK(s, w_found) = 0;
	for (i = 0; i < MXG_NAME_MAX; i++) {
		if (i >= n)
			break;
		idx = (n - 1 - i) & NAME_MASK;
		h = mxg_hash_step(h, s->name[idx]);
		if (!s->starts[idx])
			continue;
		fh = mxg_hash_final(h);
		s->name_hash = fh;
		/*
		 * The walk ends at the first label (index 0): the label
		 * start before it is the suffix that follows it.
		 */
		sfx = last;
		last = fh;
		rule = bpf_map_lookup_elem(inner, &s->name_hash);
		if (rule) {
			s->rule = *rule;
			WALK(s, w_found) = 1;
		}
	}
	/*
	 * For the similarity match (similar.bpf.h); 0: one label only.
	 * Looked up here, not held through the walk: a pointer that may be
	 * NULL there doubles the walk's states.
	 */
	ss = get_sim_scratch(slot);
	if (ss)
		ss->sfx = sfx;
	return WALK(s, w_found);
}

#endif
