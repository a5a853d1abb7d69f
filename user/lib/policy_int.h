/* SPDX-License-Identifier: GPL-2.0-only */
/* Between the policy's store (policy.c) and its parser (policy_parse.c). */
#ifndef MXGUARD_POLICY_INT_H
#define MXGUARD_POLICY_INT_H

#include <sys/types.h>

#include "policy.h"

/* At most this many rules: the index keeps 24 bits of rule index. */
#define MXG_POLICY_RULES_MAX	0xfffffe

struct mxg_file_id {
	dev_t dev;
	ino_t ino;
};

/* pr_warn("file:line: message"). */
void policy_error(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

const char *policy_intern_file(struct mxg_policy *p, const char *name);
/* Index + 1 of interned file @name (for a rule's file), or -errno. */
long policy_file_index(struct mxg_policy *p, const char *name);

/* A copy of @wire in the policy's name arena, whole, or NULL. */
const __u8 *policy_store_name(struct mxg_policy *p, const __u8 *wire,
			      __u32 len);

/*
 * A copy of @wire for a hand-written rule's name (struct mxg_policy_rule's
 * @name), sharing a suffix stored before; the reference, or -ENOMEM.
 */
long policy_store_rule_name(struct mxg_policy *p, const __u8 *wire,
			    __u32 len);

/*
 * Index of protected name @wire, added if new (the copy is interned);
 * @protect (index + 1, or 0) is recorded on a new or unmarked name.
 * Returns -ENOMEM on failure (also past 16,777,215 protected names).
 */
long policy_intern_protected(struct mxg_policy *p, const __u8 *wire,
			     __u32 len, __u32 protect);

/*
 * Append rule @rule, its protected name and file set, with suffix @wire
 * (@rule->wire_len bytes, the caller's): the suffix is stored in the
 * policy's names (the generated ones for MXG_RULE_F_GENERATED) unless it
 * has a rule already.  Returns its index, or -EEXIST (with *first set to
 * the rule that has the suffix), -E2BIG past 16,777,214 rules (the index's
 * bound), or -ENOMEM.
 */
long policy_append(struct mxg_policy *p, const struct mxg_policy_rule *rule,
		   const __u8 *wire, long *first);

/*
 * The index's hash of suffix @wire, for policy_append_hashed(); the slot
 * it starts at is prefetched, so the caller can do other work while the
 * cache miss (a large policy's index is megabytes) is served.
 */
__u64 policy_hash_prefetch(const struct mxg_policy *p, const __u8 *wire,
			   __u32 len);
long policy_append_hashed(struct mxg_policy *p,
			  const struct mxg_policy_rule *rule,
			  const __u8 *wire, __u64 h, long *first);

/*
 * Room for @more rules, in the array and in the index, at once: a hint
 * (a file's count of rule lines), so 0 or -ENOMEM, and a failure is no
 * error.  Room not used is given back when the load call ends.
 */
int policy_reserve(struct mxg_policy *p, size_t more);

/* Append a protect directive; its name must be interned.  0 or -ENOMEM. */
int policy_append_protect(struct mxg_policy *p, const struct mxg_protect *pr);

/* Where a load call began, so that a failed one leaves nothing behind. */
struct policy_mark {
	size_t rules, protects, protected_names, loaded;
};

/* Drop generated rules, then note where the policy stands. */
void policy_begin(struct mxg_policy *p, struct policy_mark *m);

/*
 * Generate the rules of every protect directive.  With @errors (or errors
 * of its own) it rolls back to @m instead.  Returns the total error count.
 */
int policy_finish(struct mxg_policy *p, const struct policy_mark *m,
		  int errors);

/* Has this file been read into @p already? */
int policy_file_seen(const struct mxg_policy *p, dev_t dev, ino_t ino);
int policy_file_add(struct mxg_policy *p, dev_t dev, ino_t ino);

#endif
