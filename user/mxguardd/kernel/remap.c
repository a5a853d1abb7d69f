// SPDX-License-Identifier: GPL-2.0-only
#include <stddef.h>

#include "ksim.h"
#include "loader.h"
#include "remap.h"

/* The rule table of generation @gen, if the daemon still has it. */
static const struct mxg_policy *table_of(const struct mxg_gens *g, __u32 gen)
{
	if (gen == g->now_gen)
		return g->now;
	if (g->prev && gen == g->prev_gen)
		return g->prev;
	return NULL;
}

/* The most specific rule of @p for @wire, if it is a lookalike rule. */
static long lookalike_rule(const struct mxg_policy *p, const __u8 *wire,
			   __u32 len)
{
	int idx = policy_match(p, wire, len);

	if (idx < 0 || p->rules[idx].kind != MXG_RULE_LOOKALIKE)
		return REMAP_DROP;
	return idx;
}

long remap_rule(const struct mxg_gens *g, __u32 rule_id, const __u8 *origin,
		__u32 origin_len)
{
	const struct mxg_policy *was;
	const struct mxg_policy_rule *r;
	const struct mxg_protect *pr;
	__u8 wbuf[MXG_NAME_MAX];
	size_t idx = MXG_RULE_INDEX(rule_id);

	was = table_of(g, MXG_RULE_GEN(rule_id));
	if (origin && origin_len) {
		idx = (size_t)lookalike_rule(g->now, origin, origin_len);
		if ((long)idx != REMAP_DROP || !ksim_protect(was, rule_id))
			return (long)idx;
		/*
		 * A kernel similarity match of the old policy, which no rule
		 * of the new one covers: it goes on enforcing, naming no rule,
		 * while its protected name is still protected and no rule
		 * allows the name; else it ends.  (The next lookup of the
		 * name is matched afresh.)
		 */
		pr = ksim_protect(was, rule_id);
		if (policy_match(g->now, origin, origin_len) < 0 &&
		    policy_find_protected(g->now, pr->wire, pr->len) >= 0)
			return REMAP_UNKNOWN;
		return REMAP_DROP;
	}
	/* MXG_RULE_UNKNOWN, or an id from a table that was never this one. */
	if (!was || idx >= was->n ||
	    was->rules[idx].kind != MXG_RULE_LOOKALIKE)
		return REMAP_UNKNOWN;
	/*
	 * The origin ends in the rule's suffix, so whatever covers that
	 * suffix now covers the origin too.  A new rule more specific than
	 * the suffix (an allow under it) cannot be seen from here: such a
	 * record keeps blocking until its TTL, as it did before the reload.
	 */
	r = &was->rules[idx];
	return lookalike_rule(g->now, mxg_rule_wire(was, r, wbuf),
			      r->wire_len);
}
