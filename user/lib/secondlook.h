/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's second look at a name it saw queried (an MX lookup, say):
 * is it close to a protected name although no rule lists it?
 *
 * Both sides are cut to their registrable part with libpsl ("mx.gmial.com"
 * -> "gmial.com").  Protected public suffixes ("mil") are left out: the TLDs
 * are few and known, the fuzzers list every one within an edit, and the
 * policy says which of them count.  Two tests, on Unicode (A-labels are
 * decoded with libidn2):
 *
 *  - skeleton: the UTS #39 confusable skeletons (ICU uspoof) are equal, so
 *    the names look the same: "gmаil.com" with a Cyrillic "а";
 *  - edit-distance: the Damerau-Levenshtein distance (insertions,
 *    deletions, substitutions, transpositions of neighbours) is at most 1
 *    when the protected label has at most 8 characters, else 2.  It is
 *    measured on the names and on their skeletons, and the smaller counts,
 *    so a homoglyph plus a typo is still one or two edits.
 *
 * Why 8 and 1: at two edits, short labels reach ordinary words and other
 * brands ("sample" is two edits from "example"); one edit is what the
 * fuzzers cover, and longer labels tolerate a second typo.
 *
 * Names the policy allows, protected names and names under a protected
 * domain are never reported.  A finding carries the action of the name it
 * imitates: its protect line's, else the strictest hand-written
 * "lookalike ... of" rule naming it.
 *
 * The protected side (decoded, cut, skeletons, reach) is computed once per
 * policy (secondlook_index), so a check costs one skeleton of the name seen
 * and a comparison with the protected names whose length is in reach.
 * Nothing here keeps state between calls; an index is read only.
 */
#ifndef MXGUARD_SECONDLOOK_H
#define MXGUARD_SECONDLOOK_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "policy.h"

struct mxg_secondlook_opts {
	unsigned int short_len;	/* a label this long or shorter ... */
	unsigned int short_max;	/* ... may be this many edits away */
	unsigned int long_max;	/* a longer one this many */
	int skeleton;		/* compare confusable skeletons */
	unsigned int similar_flags;	/* SIMILAR_F_* (similar.h), 0 */
};

#define MXG_SECONDLOOK_SHORT_LEN	8
#define MXG_SECONDLOOK_SHORT_MAX	1
#define MXG_SECONDLOOK_LONG_MAX		2

struct mxg_secondlook_finding {
	const __u8 *protected_wire;	/* the policy's interned copy */
	__u32 protected_len;
	__u8 method;		/* MXG_ORIGIN_SKELETON or _EDIT_DISTANCE */
	__u32 distance;		/* edits; for a skeleton match, on the names */
	__u8 action;		/* the protected name's (enum mxg_action) */
	__u8 dot_typed;		/* found with the label before joined to it */
};

void secondlook_defaults(struct mxg_secondlook_opts *o);

struct mxg_secondlook_index;

/*
 * The protected side of @p, for secondlook_match.  It points into @p's
 * interned names: free it before @p, and build a new one for a new
 * policy (rules learnt later add no protected names).  NULL on ENOMEM.
 */
struct mxg_secondlook_index *
secondlook_index(const struct mxg_policy *p,
		 const struct mxg_secondlook_opts *o);
void secondlook_index_free(struct mxg_secondlook_index *ix);
/* Protected names it compares with (protected TLDs are left out). */
size_t secondlook_index_size(const struct mxg_secondlook_index *ix);
/* The action a finding that imitates @wire takes, or -1 if not protected. */
int secondlook_action_of(const struct mxg_secondlook_index *ix,
			 const __u8 *wire, __u32 len);

/*
 * Compare @wire (canonical, as policy_match takes it) with every protected
 * name of @ix, which was built from @p.  Fills @out with the @max closest
 * findings, closest first (a skeleton match before an edit distance, then
 * by distance), at most one per protected name; with @max 1, the best one.
 * Returns how many it filled, or -ENOMEM.
 */
int secondlook_match(const struct mxg_policy *p,
		     const struct mxg_secondlook_index *ix, const __u8 *wire,
		     __u32 len, struct mxg_secondlook_finding *out,
		     size_t max);

/*
 * The same for a single name: builds the index of @p, compares, frees it
 * (tools and tests; the daemon keeps an index per policy).  @o may be NULL
 * for defaults.
 */
int secondlook_check(const struct mxg_policy *p,
		     const struct mxg_secondlook_opts *o, const __u8 *wire,
		     __u32 len, struct mxg_secondlook_finding *out,
		     size_t max);

/*
 * Where the registrable part of @wire starts ("gmial.com" in
 * "mx1.gmial.com"): the suffix to add to a policy for a finding.  0 when the
 * name is itself a public suffix or registrable.
 */
__u32 secondlook_registrable_offset(const __u8 *wire, __u32 len);

/*
 * Which edits make @wire (a finding's name) out of the protected @pwire,
 * in words ("inserted 'a' after 'g'"); @dot_typed as in the finding.
 * Returns 0 with @out filled, or -1.
 */
int secondlook_explain(const __u8 *wire, __u32 len, const __u8 *pwire,
		       __u32 plen, int dot_typed, char *out, size_t size);

/*
 * Where the suffix a rule for finding @f on @wire starts: the registrable
 * part ("gmai1.com" of "mx.gmai1.com"), or, when a dot was typed inside
 * the label, the label before it too ("hot.mail.com", never all of
 * mail.com, a name of its own).
 */
__u32 secondlook_finding_offset(const __u8 *wire, __u32 len,
				const struct mxg_secondlook_finding *f);

/* Damerau-Levenshtein distance of two code point strings. */
unsigned int secondlook_distance(const uint32_t *a, int na,
				 const uint32_t *b, int nb);

/*
 * The UTS #39 skeleton of a UTF-8 string, as UTF-8 in @out.  Returns its
 * length, or -1.
 */
int secondlook_skeleton(const char *utf8, char *out, size_t size);

#endif
