/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Policy files.  Line based; '#' starts a comment anywhere on a line.
 *
 *   lookalike <suffix> of <protected> [action=alert|block]
 *   allow <suffix>
 *
 * A suffix matches at label boundaries ("ml" matches "army.ml", never
 * "html"); the most specific (longest) matching suffix wins, so
 * "allow gov.ml" beats "lookalike ml of mil".  The default action is alert.
 * Every error is reported as "file:line: message"; a file with any error
 * loads nothing.
 */
#ifndef MXGUARD_POLICY_H
#define MXGUARD_POLICY_H

#include <stddef.h>
#include <linux/types.h>

#include "mxguard/abi.h"

enum mxg_rule_kind {
	MXG_RULE_LOOKALIKE = MXG_VERDICT_LOOKALIKE,
	MXG_RULE_ALLOW = MXG_VERDICT_ALLOW,
};

struct mxg_policy_rule {
	int kind;				/* enum mxg_rule_kind */
	__u8 action;				/* enum mxg_action */
	__u8 origin;				/* 0: written by hand */
	__u8 wire[MXG_NAME_MAX];		/* the suffix, canonical */
	__u32 wire_len;
	__u8 protected_wire[MXG_PROTECTED_MAX];	/* lookalike rules only */
	__u32 protected_len;
	const char *file;			/* owned by the policy */
	int line;
};

struct mxg_policy {
	struct mxg_policy_rule *rules;
	size_t n, cap;
	char **files;				/* interned file names */
	size_t nfiles;
	/*
	 * Open-addressing index over rules[] by suffix, kept by policy.c so
	 * policy_match and the duplicate check cost O(labels), not O(n).
	 * Rules appended by hand past @nindexed are still found, linearly.
	 */
	__u32 *slots;				/* rule index + 1; 0 = empty */
	size_t nslots, nindexed;
};

void policy_init(struct mxg_policy *p);
void policy_free(struct mxg_policy *p);

/*
 * Append the rules of a file, or of every "*.policy" file in a directory in
 * name order.  Reports every error it finds (pr_warn, "file:line: message")
 * and returns the number of errors; 0 means success.  On error the caller
 * must discard @p.  A suffix that already has a rule is an error that names
 * the first rule's file:line.
 */
int policy_load_path(struct mxg_policy *p, const char *path);

/* Same, from a buffer; @name is used in messages (tests, fuzzing). */
int policy_load_buffer(struct mxg_policy *p, const char *name,
		       const char *buf, size_t len);

/*
 * Append one rule built by a program (a generated lookalike, say); @rule->file
 * may be NULL, else it is interned.  Returns the new rule's index, -EEXIST
 * when the suffix already has a rule, or -ENOMEM.
 */
int policy_add(struct mxg_policy *p, const struct mxg_policy_rule *rule);

/* Index of the most specific rule matching the name, or -1. */
int policy_match(const struct mxg_policy *p, const __u8 *wire, __u32 len);

#endif
