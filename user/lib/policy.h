/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Policy files.  Line based; '#' starts a comment anywhere on a line.  The
 * full format is in mxguard.policy(5):
 *
 *   protect <name> [fuzz=all|LIST] [action=alert|block]
 *   lookalike <suffix> of <protected> [action=alert|block]
 *   allow <suffix>
 *   include <file|directory>
 *
 * A suffix matches at label boundaries ("ml" matches "army.ml", never
 * "html"); the most specific (longest) matching suffix wins, so
 * "allow gov.ml" beats "lookalike ml of mil".  The default action is alert.
 * "protect" generates lookalike rules (lookalike.h).  Rules written by hand
 * win over generated ones: a generated name that has, or falls under, a
 * hand-written rule is dropped, and so is one that is a protected name.
 * Every error is reported as "file:line: message"; a file with any error
 * loads nothing.
 *
 * Names are stored once, in arenas that the policy owns, so a rule costs
 * 16 bytes plus its name; a name's parent suffix, when an earlier name has
 * it, is stored as a 4-byte reference to it; protected names and files
 * are interned.
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

/* Made by a protect directive: dropped and made again on every load. */
#define MXG_RULE_F_GENERATED	0x01
/* Learnt at run time (policy_learn): owns its name. */
#define MXG_RULE_F_LEARNT	0x02
/* Learnt, then removed (policy_unlearn): never matched, slot kept a while. */
#define MXG_RULE_F_DEAD		0x04

/*
 * A rule as a program builds it, for policy_add() and policy_learn(): the
 * names are the caller's, the policy copies them.
 */
struct mxg_rule_spec {
	const __u8 *wire;		/* the suffix, canonical */
	const __u8 *protected_wire;	/* lookalike rules */
	const char *file;		/* NULL: added by a program */
	int line;
	__u8 wire_len;			/* <= MXG_NAME_MAX - 2 */
	__u8 protected_len;		/* <= MXG_PROTECTED_MAX - 1 */
	__u8 origin;			/* 0: written by hand, else mxg_fuzzer */
	__u8 kind : 2;			/* enum mxg_rule_kind */
	__u8 action : 2;		/* enum mxg_action */
	__u8 flags : 4;			/* MXG_RULE_F_* */
};

/*
 * A rule as the policy holds it: 16 bytes, as a policy of a million rules
 * holds a million of these.  No pointers: the suffix is a 32-bit reference
 * into the policy's names (read it with mxg_rule_wire()), the protected
 * name and the file are indexes into the policy's interned tables
 * (mxg_rule_protected(), mxg_rule_file()).
 */
struct mxg_policy_rule {
	__u32 name;			/* see mxg_rule_wire() */
	int line;
	__u32 protected_idx : 24;	/* protected_names[] index + 1 */
	__u32 kind : 2;			/* enum mxg_rule_kind */
	__u32 action : 2;		/* enum mxg_action */
	__u32 flags : 4;		/* MXG_RULE_F_* */
	__u16 file;			/* files index + 1; 0: none */
	__u8 wire_len;			/* <= MXG_NAME_MAX - 2 */
	__u8 origin;			/* 0: by hand, else mxg_fuzzer */
};

/* A protect directive. */
struct mxg_protect {
	const __u8 *wire;		/* interned, like every protected name */
	__u32 len;
	__u32 fuzzers;			/* 1 << enum mxg_fuzzer */
	__u8 action;
	/*
	 * only=protected, on a protected TLD: its table neighbours apply to
	 * the protected names under it ("partner.com" -> "partner.co"), not
	 * to the whole neighbour TLD; its other fuzzers are not run.
	 */
	__u8 only_protected;
	/* first=any: the first character may be any, not only a neighbour. */
	__u8 any_first;
	const char *file;
	int line;
};

/*
 * A protected name: named by a protect directive or by "lookalike ... of".
 * The second look compares what it sees with these.
 */
struct mxg_protected_name {
	const __u8 *wire;
	__u32 len;
	__u32 protect;			/* index into protects + 1; 0: none */
};

/*
 * Blocks of names, never moved: a name is at (block << 18 | offset), so a
 * rule refers to it in 32 bits.
 */
struct mxg_arena {
	__u8 **blocks;
	__u32 nblocks, used, size;	/* used and size: of the last block */
	size_t bytes;
	struct mxg_suffix_seen *seen;	/* suffixes stored, for sharing */
	/* The parent suffix shared last: the next name likely has it too. */
	__u32 last_ref, last_len;	/* last_len 0: none */
	__u8 last[MXG_NAME_MAX];
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

	struct mxg_protect *protects;
	size_t nprotects, protects_cap;
	struct mxg_protected_name *protected_names;
	size_t nprotected, protected_cap;
	__u32 *pslots;				/* protected name index + 1 */
	size_t npslots;
	size_t ngenerated;			/* rules with F_GENERATED */

	/* Names: those written in files, and those protect generated. */
	struct mxg_arena names, generated;
	/* Learnt rules' names, each its own allocation; NULL: free slot. */
	__u8 **owned;
	size_t nowned, owned_cap;

	/* Files read so far (include-once), as device and inode. */
	struct mxg_file_id *loaded;
	size_t nloaded, loaded_cap;
	int no_include;				/* fuzzing: refuse "include" */

	/* Rules learnt at run time: slots of removed ones, oldest first. */
	__u32 *dead;
	size_t ndead, dead_cap;
	size_t nlearnt;				/* live learnt rules */
};

void policy_init(struct mxg_policy *p);
void policy_free(struct mxg_policy *p);

/*
 * Append the rules of a file, or of every "*.policy" file in a directory in
 * name order, then generate the lookalikes of every protect directive.
 * Reports every error it finds (pr_warn, "file:line: message") and returns
 * the number of errors; 0 means success.  On error the policy is as it was
 * before the call, but callers should discard it all the same.  A suffix
 * that already has a hand-written rule is an error that names the first
 * rule's file:line.  A file already read (by an include) is not read again.
 */
int policy_load_path(struct mxg_policy *p, const char *path);

/*
 * Same, from a buffer; @name is used in messages, and an include is
 * relative to its directory (tests, fuzzing).
 */
int policy_load_buffer(struct mxg_policy *p, const char *name,
		       const char *buf, size_t len);

/*
 * Append one rule built by a program (a second-look finding, say): its names
 * are copied into the policy, @rule->protected_wire is interned, and
 * @rule->file may be NULL, else it is interned (at most 65,535 files).
 * Returns the new rule's index, -EEXIST when the suffix already has a rule,
 * -EINVAL for a bad name, or -ENOMEM.
 */
int policy_add(struct mxg_policy *p, const struct mxg_rule_spec *rule);

/*
 * Rules the daemon learns while a policy is in force (second-look
 * findings) come and go: policy_learn() adds one like policy_add() (its
 * name owned by the rule, -EEXIST if the suffix has a rule), and
 * policy_unlearn() takes it out of matching at once.  A removed rule keeps
 * its slot and name until MXG_POLICY_DEAD_KEEP others have been removed
 * after it: the ids of events in flight, and of records not yet purged,
 * still name it meanwhile.  So the slots learnt rules take stay bounded
 * (live ones plus that many).  Returns the rule's index, or -errno.
 */
#define MXG_POLICY_DEAD_KEEP	1024
int policy_learn(struct mxg_policy *p, const struct mxg_rule_spec *rule);
/* 0, or -EINVAL if @idx is not a live learnt rule. */
int policy_unlearn(struct mxg_policy *p, size_t idx);

/* Index of the most specific rule matching the name, or -1. */
int policy_match(const struct mxg_policy *p, const __u8 *wire, __u32 len);

/* Index of the protected name @wire, or -1. */
long policy_find_protected(const struct mxg_policy *p, const __u8 *wire,
			   __u32 len);

/*
 * A rule's suffix, @r->wire_len bytes: a pointer into the policy when it is
 * stored whole, else assembled in @buf (MXG_NAME_MAX bytes).  Valid until
 * the policy changes.
 */
const __u8 *mxg_rule_wire(const struct mxg_policy *p,
			  const struct mxg_policy_rule *r, __u8 *buf);

/* Is @r's suffix @wire? */
int mxg_rule_is(const struct mxg_policy *p, const struct mxg_policy_rule *r,
		const __u8 *wire, __u32 len);

/* A rule's protected name, or NULL (length 0) if it has none. */
static inline const struct mxg_protected_name *
mxg_rule_pname(const struct mxg_policy *p, const struct mxg_policy_rule *r)
{
	return r->protected_idx ? &p->protected_names[r->protected_idx - 1] :
				  NULL;
}

static inline const __u8 *mxg_rule_protected(const struct mxg_policy *p,
					     const struct mxg_policy_rule *r)
{
	const struct mxg_protected_name *pn = mxg_rule_pname(p, r);

	return pn ? pn->wire : NULL;
}

static inline __u32 mxg_rule_protected_len(const struct mxg_policy *p,
					   const struct mxg_policy_rule *r)
{
	const struct mxg_protected_name *pn = mxg_rule_pname(p, r);

	return pn ? pn->len : 0;
}

/* The file a rule was read from (generated: its protect's), or NULL. */
static inline const char *mxg_rule_file(const struct mxg_policy *p,
					const struct mxg_policy_rule *r)
{
	return r->file ? p->files[r->file - 1] : NULL;
}

/* The rule as a spec (its names the policy's), e.g. to add it elsewhere. */
void mxg_rule_spec_of(const struct mxg_policy *p,
		      const struct mxg_policy_rule *r, __u8 *buf,
		      struct mxg_rule_spec *out);

/* Bytes of user memory the policy holds (rules, index, names). */
size_t policy_memory(const struct mxg_policy *p);

#endif
