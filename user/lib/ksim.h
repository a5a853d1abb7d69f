/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel similarity entries of a policy (bpf/similar.bpf.h): for each
 * protect directive's first label L under its suffix S, L itself and its
 * one-deletions (and two-deletions, from MXG_SIM_LONG bytes), keyed as the
 * kernel looks them up; and the names of two
 * labels whose dots moved ("gmailc.om"), as rule-shaped entries (struct
 * mxg_rule) under their names' FNV hash, which the policy walk finds like
 * a rule's.  Pure (no kernel, libpsl for the registrable part): the
 * daemon puts what this returns into the policy map, and unit tests check
 * it against a model of the kernel's lookup and against similar_judge().
 */
#ifndef MXGUARD_KSIM_H
#define MXGUARD_KSIM_H

#include <stddef.h>
#include <linux/types.h>

#include "mxguard/abi.h"
#include "policy.h"

/* The key of slot @slot for poly hash @h of @len bytes under suffix @sfx. */
__u64 ksim_key(__u64 seed, __u64 sfx, __u32 slot, __u64 h, __u32 len);

/*
 * Does protect directive @pr take part?  Two labels or more, a first label
 * of 1..MXG_SIM_LABEL_MAX bytes, not an IDN (xn--) label.
 */
int ksim_eligible(const struct mxg_protect *pr);

/* Policies with this many rules or more get no kernel similarity. */
#define KSIM_RULES_MAX	(MXG_RULE_SIM / 2)

/*
 * The protect directive a rule id names, if it is a similarity match's
 * (MXG_RULE_SIM set, not MXG_RULE_UNKNOWN, a directive of @p), else NULL.
 */
const struct mxg_protect *ksim_protect(const struct mxg_policy *p,
				       __u32 rule_id);

/*
 * The same decision as the kernel's, on names rather than hashes: is
 * label @x one edit from protected label @L by bpf/similar.bpf.h's rules,
 * or, for @L of MXG_SIM_LONG bytes or more, two of the kinds it matches?
 */
int ksim_label_match(const __u8 *x, __u32 m, const __u8 *L, __u32 n);

/*
 * The protect directive whose name @wire (canonical) is a kernel
 * similarity match of, or NULL: none, or @wire is a protected name.  For
 * a name no rule matches (the kernel's order): a moved dot of its last two
 * labels first, as the policy walk meets it, then one edit of its first.
 * Recipients' verdicts (verdict.c) use it, so a refusal on submission or
 * by the responder names what the kernel matched.
 */
const struct mxg_protect *ksim_match(const struct mxg_policy *p,
				     const __u8 *wire, __u32 len);

/* Entries @p gives at most: room to allocate before ksim_build(). */
size_t ksim_count(const struct mxg_policy *p);

struct ksim_stats {
	size_t names;		/* protect directives that took part */
	size_t entries;		/* filed */
	size_t dropped;		/* beyond MXG_SIM_SLOTS for one hash */
	size_t dots;		/* of those filed, moved dots' (rule-shaped) */
	size_t two;		/* two-deletions made (labels of 8 or more) */
	size_t two_skipped;	/* directives beyond KSIM_TWO_MAX: none */
};

/*
 * At most this many two-deletions in a policy (8 MiB of values; 4,096
 * protected names of 12 letters file 270,336): directives, in policy
 * order, whose two-deletions would go beyond leave their two-edit names
 * to the second look (st->two_skipped).
 */
#define KSIM_TWO_MAX	(1u << 19)

/* Two-deletions a first label of @n bytes files (n(n-1)/2 from 8 on). */
size_t ksim_two(__u32 n);

/*
 * Fill @keys/@vals (room for ksim_count(@p)) for policy generation @gen;
 * returns the number filed, or -ENOMEM.  Several entries of one hash take consecutive
 * slots, whole labels first (the kernel stops at a protected name before it
 * reads a deletion).  The moved dots' entries come last (st->dots of them):
 * their values are struct mxg_rule (the same 16 bytes), verdict lookalike,
 * the rule id and action of the protect directive.
 */
long ksim_build(const struct mxg_policy *p, __u64 seed, __u32 gen,
		__u64 *keys, struct mxg_sim *vals, struct ksim_stats *st);

#endif
