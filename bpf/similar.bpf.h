/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Similarity in the kernel: is the question's first label one edit from a
 * protected label under the same suffix?  The daemon files, in the policy
 * map, each protected label and its one-deletions by the polynomial hash of
 * hash.h (struct mxg_sim).  Here the seen label x (m bytes) is hashed once
 * from each end; then x itself and each x without x[k] cost O(1) and one
 * lookup (1 + m lookups, m <= 63), after one lookup that tells whether
 * the suffix has any protected label of a length one edit away.  What a
 * hit says:
 *
 *   x      = L without L[i]  deletion (not of the first letter of a
 *                            label of MXG_SIM_SHORT bytes or fewer)
 *   x\k    = L               insertion at k (not at the start, unless it
 *                            doubles the first letter)
 *   x\k    = L\i, k == i     substitution (not of the first letter)
 *   x\k    = L\i, |k-i| == 1 and x[k] == L[i]: transposition
 *   x      = L               the protected name itself: never a match
 *
 * These are the one-edit pairs user space's similar_judge() accepts on the
 * same suffix, less the keyboard-neighbour first letters (and first=any),
 * which stay with the second look: a kernel match is always one the second
 * look would make.  The label is split at the question's first dot, as
 * the second look splits it.  IDN labels (xn--) are left to user space,
 * which compares them as code points.  Moved dots ("gmailc.om") are not
 * matched here: user/lib/ksim.c files those names whole, as rule-shaped
 * entries that mxg_hash_name()'s policy walk finds, at no cost here.
 */
#ifndef MXGUARD_SIMILAR_BPF_H
#define MXGUARD_SIMILAR_BPF_H

#define SIM_MASK	63

/*
 * The entries filed under hash @h of a string of @len bytes, against the
 * seen label with x[@k] deleted (@k == MXG_SIM_WHOLE: nothing deleted).
 * Returns 1 with scratch->rule filled on a match, -1 when x is a protected
 * label itself, else 0.  Global: verified once, not once per call site.
 */
__noinline int mxg_sim_hit(__u64 h, __u32 len, __u32 k, __u32 slot)
{
	struct mxg_scratch *s = get_scratch(slot);
	struct mxg_sim_scratch *ss = get_sim_scratch(slot);
	struct mxg_config *cfg = get_config();
	__u32 zero = 0, i, p, ok;
	struct mxg_sim *e;
	void *inner;
	__u64 key;
	__u8 x0, x1, xk;

	if (!s || !ss || !cfg)
		return 0;
	inner = bpf_map_lookup_elem(&policy, &zero);
	if (!inner)
		return 0;
	x0 = s->name[1];
	x1 = s->name[2];
	xk = s->name[(k + 1) & NAME_MASK];
	for (i = 0; i < MXG_SIM_SLOTS; i++) {
		key = mxg_poly_key(cfg->hash_seed ^ ss->sfx, MXG_SIM_KIND + i,
				   h, len);
		e = bpf_map_lookup_elem(inner, &key);
		if (!e)
			return 0;
		p = e->pos;
		/* The daemon files whole labels in the first slots. */
		if (k == MXG_SIM_WHOLE)
			ok = p == MXG_SIM_WHOLE ? 2 :
			     p > 0 || len >= MXG_SIM_SHORT;
		else if (p == MXG_SIM_WHOLE)
			ok = k > 0 || x0 == x1;
		else if (p == k)
			ok = k > 0;
		else
			ok = (p == k + 1 || k == p + 1) && xk == e->byte;
		if (ok == 2)
			return -1;
		if (!ok)
			continue;
		s->rule.protected_hash = e->protected_hash;
		s->rule.rule_id = e->rule_id;
		s->rule.verdict = MXG_VERDICT_LOOKALIKE;
		s->rule.action = e->action;
		s->rule.origin = 0;
		return 1;
	}
	return 0;
}

/*
 * The question in scratch->name against the similarity entries; 1 with
 * scratch->rule filled on a match.  mxg_match_name() left the hash of the
 * suffix after the first label in sim_scratch (0: one label only).
 */
__noinline int mxg_similar(__u32 slot)
{
	struct mxg_scratch *s = get_scratch(slot);
	struct mxg_sim_scratch *ss = get_sim_scratch(slot);
	struct mxg_config *cfg = get_config();
	__u64 q = 0, pw = 1, p = 0, h, key;
	__u32 m, t, k, zero = 0;
	struct mxg_sim *e;
	void *inner;
	int r;

	if (!s || !ss || !cfg || !ss->sfx)
		return 0;
	m = s->name[0];
	if (!m || m > MXG_SIM_LABEL_MAX)
		return 0;
	if (m >= 4 && s->name[1] == 'x' && s->name[2] == 'n' &&
	    s->name[3] == '-' && s->name[4] == '-')
		return 0;
	/*
	 * One lookup first: which lengths of protected label the suffix
	 * has.  Only m - 1, m and m + 1 are one edit away.
	 */
	inner = bpf_map_lookup_elem(&policy, &zero);
	if (!inner)
		return 0;
	key = mxg_poly_key(cfg->hash_seed ^ ss->sfx,
			   MXG_SIM_KIND + MXG_SIM_SLOTS, 0, 0);
	e = bpf_map_lookup_elem(inner, &key);
	if (!e || !(e->protected_hash & (7ULL << (m - 1))))
		return 0;
	/* From the end: Q(k) = sum over j >= k, and B^(m-1-k). */
	ss->q[m & SIM_MASK] = 0;
	for (t = 0; t < MXG_SIM_LABEL_MAX; t++) {
		if (t >= m)
			break;
		k = (m - 1 - t) & SIM_MASK;
		ss->pw[k] = pw;
		q += ((__u64)s->name[(k + 1) & NAME_MASK] + 1) * pw;
		ss->q[k] = q;
		pw *= MXG_POLY_BASE;
	}
	r = mxg_sim_hit(q, m, MXG_SIM_WHOLE, slot);
	if (r)
		return r > 0;
	/* x without x[k] is P(k) * B^(m-1-k) + Q(k+1). */
	for (t = 0; t < MXG_SIM_LABEL_MAX; t++) {
		if (t >= m)
			break;
		k = t & SIM_MASK;
		h = p * ss->pw[k] + ss->q[(k + 1) & SIM_MASK];
		if (mxg_sim_hit(h, m - 1, k, slot) > 0)
			return 1;
		p = mxg_poly_step(p, s->name[(k + 1) & NAME_MASK]);
	}
	return 0;
}

#endif
