/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * After a reload: which rule of the new policy a live taint belongs to.
 * Pure (no kernel), so unit tests drive it with policies built from text.
 */
#ifndef MXGUARD_REMAP_H
#define MXGUARD_REMAP_H

#include <linux/types.h>

#include "policy.h"

/* The rule tables the daemon still holds, by generation. */
struct mxg_gens {
	const struct mxg_policy *now;	/* in force */
	__u32 now_gen;
	const struct mxg_policy *prev;	/* the one before it, or NULL */
	__u32 prev_gen;
};

enum {
	REMAP_DROP = -1,	/* no lookalike rule covers it now */
	REMAP_UNKNOWN = -2,	/* neither its origin nor its rule is known */
};

/*
 * The index in @g->now of the rule a lookalike record made by @rule_id
 * should carry, or REMAP_DROP or REMAP_UNKNOWN.  @origin (NULL if the
 * `names` map has lost it) is the lookalike the record's chain began with:
 * when known it is judged whole, so a new "allow gov.ml" beats "lookalike
 * ml".  Without it the record's own rule stands in for it: that rule's
 * suffix is judged by the new policy.
 */
long remap_rule(const struct mxg_gens *g, __u32 rule_id, const __u8 *origin,
		__u32 origin_len);

#endif
