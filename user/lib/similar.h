/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Similarity of a name seen to a protected name, by its parts: the
 * registrable label, the public suffix after it, and the two run together
 * without their dots.  Pure functions on code points; the second look
 * (secondlook.c) finds the candidates with deletion hashes and decides
 * with similar_judge(), and `check` explains with similar_explain().
 *
 * A name is a lookalike of a protected one when, with S and s the
 * protected and seen suffixes, L and l the labels:
 *
 *   same suffix       l is within the label's reach of L (below);
 *   TLD neighbour     s is a one-edit gTLD/ccTLD neighbour of S (the
 *                     built-in table: com/co, net/ne, ...) and l is L or
 *                     one edit from it ("yahou.co", "ootlook.co");
 *   TLD slip          s is one slip (below) from S and an ICANN public
 *                     suffix ("cam" for "com", "se" for "de"), and l is L,
 *                     or one edit from it keeping its first character
 *                     where L reaches two ("exmaple.cam");
 *   moved dot         l and s run together are L and S run together
 *                     ("gmailc.om", "comcastn.et").
 *
 * The label's reach, in Damerau-Levenshtein edits:
 *
 *   - 1 for every label; an edit that changes the first character must
 *     be a keyboard neighbour of it, its deletion when the label is longer
 *     than MXG_SIM_SHORT (5) characters, or the swap of the first two
 *     (typists rarely get the first letter wrong, any letter there turns
 *     "mail" into "email" and "aol" into "gol", and a short label without
 *     it is often a word or another brand: "mail" for "gmail"); or, where
 *     the word list says the first letter is not what tells the label
 *     from a word (SIMILAR_TAIL_FREE, SIMILAR_LABEL_FREE below), any
 *     letter there: "vahoo", "ahoo", "gmsn";
 *   - 2 for labels of SIMILAR_LONG (8) characters or more, when one of
 *     the two edits at least is a slip and neither puts in a hyphen, or
 *     when the whole label is there with two characters around it;
 *   - 2 for labels of SIMILAR_MID (5) to 7 characters when the first
 *     character is kept, the lengths differ by at most one, and one edit
 *     at least is a slip and neither puts in a hyphen ("gmeal",
 *     "hormails"; not "hmamail", "g-meil"), or when the whole label is
 *     there with two characters added before or after it ("00gmail",
 *     "gmailot").
 *
 * A slip is what typing or spelling does: an omission, neighbours
 * swapped, a letter doubled, a key next to its neighbours typed with
 * them, or a character replaced by a keyboard neighbour, a vowel by a
 * vowel, or an ASCII look-alike (0/o, 1/l, l/i).  Single edits under the
 * same suffix need none: the kernel (bpf/similar.bpf.h) matches those,
 * and, for labels of SIMILAR_LONG or more, two omissions or an omission
 * with a substitution (an omission is a slip): keep those accepted here,
 * or the kernel would match what the second look refuses (test_ksim).
 */
#ifndef MXGUARD_SIMILAR_H
#define MXGUARD_SIMILAR_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#define SIMILAR_MID	5
#define SIMILAR_LONG	8

/* Kinds of hashed variants, kept apart in one table. */
enum similar_kind {
	SIMILAR_LABEL = 1,	/* the label, with deletions */
	SIMILAR_DOTLESS = 2,	/* label and suffix run together, exact */
	SIMILAR_SKELETON = 3,	/* UTS #39 skeleton of the registrable label */
};

/*
 * Variations of the rules, for measuring what each costs (make recall):
 * the default is 0.
 */
#define SIMILAR_F_ANY_FIRST	0x1	/* any first-character edit */
#define SIMILAR_F_NO_MID	0x2	/* 5..7 characters: 1 edit */
#define SIMILAR_F_ANY_TWO	0x4	/* two edits need no slip (before) */
/* The label whole, two letters around: slips or the suffix run in only. */
#define SIMILAR_F_AFFIX_SLIPS	0x8
#define SIMILAR_F_TLD_TABLE	0x10	/* TLD neighbours: the table only */
/* The first letter dropped from labels of MXG_SIM_SHORT or fewer too. */
#define SIMILAR_F_FIRST_DROP	0x20

/*
 * What the word list (words.h) says of the two labels, or'ed into @flags
 * by the caller: without any of them a first letter changes only to a
 * keyboard neighbour, as before the list.
 *   TAIL_FREE   the protected label less its first letter is no word
 *               ("ahoo"): that letter may be replaced by any other in
 *               labels of 4 characters or more, or dropped from one of
 *               MXG_SIM_SHORT;
 *   TAIL_WORD   it is a word ("mail" in "gmail"): the first letter is the
 *               brand, and not even a neighbour takes its place ("ymail",
 *               "tmail" are providers);
 *   LABEL_FREE  the label is no word ("msn"): any letter may be put in
 *               front of it;
 *   LABEL_WORD  it is one ("mail"): none may ("email", "gmail");
 *   SEEN_WORD   the label seen is a word: no first-letter edit but a
 *               neighbour's or the first two swapped ("hive" is not
 *               "live" mistyped).
 */
#define SIMILAR_TAIL_FREE	0x200
/* The shortest labels whose first letter TAIL_FREE replaces, LABEL_FREE
 * puts a letter before. */
#define SIMILAR_FIRST_REPLACE_MIN	4
#define SIMILAR_FIRST_INSERT_MIN	3
#define SIMILAR_LABEL_FREE	0x400
#define SIMILAR_SEEN_WORD	0x800
#define SIMILAR_TAIL_WORD	0x1000
#define SIMILAR_LABEL_WORD	0x2000

/*
 * Or'ed into what similar_judge returns when the two-edit rule for labels
 * of 5 to 7 characters accepted: the rule with the most false alarms, so
 * its findings alert and never block (secondlook.c).
 */
#define SIMILAR_WEAK		0x100

/* Edits a label of @n code points reaches: 1 or 2. */
unsigned int similar_reach(int n);

/*
 * The hash of @s[0..n) without positions @skip1 and @skip2 (-1: none),
 * of @kind: the polynomial hash of include/mxguard/hash.h, which the BPF
 * side can compute for every one-deletion of a label in O(1) each from
 * prefix and suffix sums (see README "Similarity in the kernel").  Never 0.
 */
__u64 similar_hash(enum similar_kind kind, const uint32_t *s, int n,
		   int skip1, int skip2);

/*
 * Is label @l with suffix @s (code points, labels of the suffix split by
 * '.') a lookalike of @L with @S, by the rules above?  @tier is the
 * length that sets the label's reach (the protected label's own, -1; for
 * skeletons, the raw label's, since "m" has the skeleton "rn").  Returns
 * the edits it takes (1 or 2; a moved dot is 1), or 0; with SIMILAR_WEAK
 * set when only the 5-to-7 rule reaches.
 */
unsigned int similar_judge(const uint32_t *l, int nl, const uint32_t *s,
			   int ns, const uint32_t *L, int nL,
			   const uint32_t *S, int nS, int tier,
			   unsigned int flags);

/*
 * What turned @L.@S into @l.@s, in words: "inserted 'a' after 'g'",
 * "replaced 'i' by 'e'", "swapped 'ai'", "'com' became 'co'", "moved the
 * dot: 'gmailc.om'".  Writes at most @size bytes; returns 0, or -1 when
 * it finds no explanation within two edits.
 */
int similar_explain(const uint32_t *l, int nl, const uint32_t *s, int ns,
		    const uint32_t *L, int nL, const uint32_t *S, int nS,
		    char *out, size_t size);

/* Damerau-Levenshtein distance (secondlook_distance), capped use. */
unsigned int similar_distance(const uint32_t *a, int na, const uint32_t *b,
			      int nb);

#endif
