/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The lookalike engine: from one protected name, the names a typo, a
 * flipped bit or a confusable glyph turns it into (dnstwist's fuzzers, plus
 * a gTLD<->ccTLD table of one-edit neighbours).
 *
 * A protected domain is fuzzed on its registrable label, found with libpsl:
 * for "gmail.com" the label "gmail" changes and "com" stays; labels left of
 * it ("mail.example.com") are kept as they are.  A protected public suffix
 * ("mil", "co.uk") is fuzzed on its leftmost label, and only names that are
 * themselves public suffixes are kept: a lookalike TLD that does not exist
 * cannot receive mail.  An IDN label is fuzzed as Unicode and every result
 * is encoded to an A-label with libidn2 (IDNA2008).  Every result is checked:
 * LDH labels of at most 63 bytes, names of at most 253 characters.
 */
#ifndef MXGUARD_LOOKALIKE_H
#define MXGUARD_LOOKALIKE_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

/*
 * Rule origins (struct mxg_policy_rule.origin, struct mxg_rule.origin).
 * Stable numbers: they travel through the kernel's policy map.
 */
enum mxg_fuzzer {
	MXG_FUZZ_EXPLICIT	= 0,	/* written by hand: not a fuzzer */
	MXG_FUZZ_TLD_SWAP	= 1,	/* runs first: the curated table wins */
	MXG_FUZZ_ADDITION,
	MXG_FUZZ_BITSQUATTING,
	MXG_FUZZ_CYRILLIC,
	MXG_FUZZ_HOMOGLYPH,
	MXG_FUZZ_HYPHENATION,
	MXG_FUZZ_INSERTION,
	MXG_FUZZ_OMISSION,
	MXG_FUZZ_PLURAL,
	MXG_FUZZ_REPETITION,
	MXG_FUZZ_REPLACEMENT,
	MXG_FUZZ_SUBDOMAIN,
	MXG_FUZZ_TRANSPOSITION,
	MXG_FUZZ_VARIOUS,
	MXG_FUZZ_VOWEL_SWAP,
	MXG_FUZZ_TLD_TYPO,	/* one label edit and a TLD neighbour */
	MXG_FUZZ__COUNT,

	/* Origins that are not fuzzers. */
	MXG_ORIGIN_PROTECTED	= 64,	/* implicit allow of a protected name */
	MXG_ORIGIN_EDIT_DISTANCE = 65,	/* second look: Damerau-Levenshtein */
	MXG_ORIGIN_SKELETON	= 66,	/* second look: UTS #39 skeleton */
	/* second look: near a frequent correspondent (correspondents.h) */
	MXG_ORIGIN_CORRESPONDENT = 67,
};

#define MXG_FUZZ_ALL	(((1U << MXG_FUZZ__COUNT) - 1) & ~1U)

/*
 * Not a fuzzer: in the mask of lookalike_generate, any character may be
 * typed at the first position too (protect ... first=any), where by
 * default only its keyboard neighbours are.
 */
#define MXG_GEN_ANY_FIRST	(1U << 31)

/*
 * "omission", "tld-swap", ..., "edit-distance", "skeleton", "protected",
 * "correspondent";
 * NULL for MXG_FUZZ_EXPLICIT and for unknown ids.
 */
const char *lookalike_fuzzer_name(uint8_t id);

/* The id of a fuzzer's name, or -1 (origins that are not fuzzers too). */
int lookalike_fuzzer_id(const char *name);

/*
 * Parse "all" or a comma-separated list of fuzzer names into a mask of
 * (1 << id).  Returns 0, or -EINVAL with *bad pointing at the bad name
 * (NUL-terminated copy in a static buffer).
 */
int lookalike_parse_fuzzers(const char *list, __u32 *mask, const char **bad);

/*
 * Called once per generated name (canonical wire bytes, no root byte).  The
 * same name may come more than once, from different fuzzers.  A nonzero
 * return stops the generation and is passed back.
 */
typedef int (*lookalike_emit_fn)(void *ctx, uint8_t fuzzer, const __u8 *wire,
				 __u32 len);

/*
 * Generate the lookalikes of @wire with the fuzzers in @mask, in id order.
 * Returns 0, the first nonzero value of @emit, -EINVAL when the name cannot
 * be fuzzed (the root, or not a host name), or -ENOMEM.
 */
int lookalike_generate(const __u8 *wire, __u32 len, __u32 mask,
		       lookalike_emit_fn emit, void *ctx);

/*
 * One-edit gTLD<->ccTLD neighbours of a TLD ("mil" -> "ml", "il"), from the
 * built-in table, either direction.  Returns how many there are; fills at
 * most @max of them.
 */
int lookalike_tld_neighbours(const char *tld, const char **out, int max);

/*
 * Is @wire a public suffix (the PSL, without its "*" default rule)?  And
 * the libpsl context both the engine and the second look use (the system's
 * newest list, else libpsl's built-in one); NULL if libpsl has none.
 */
int lookalike_is_public_suffix(const __u8 *wire, __u32 len);
/*
 * Where the public suffix of a presentation-form host name starts in @text:
 * 0 when the whole name is one, else the offset just past a dot ("com" in
 * "gmail.com" is at 6).  A TLD the list does not know counts as a suffix.
 */
size_t lookalike_suffix_offset(const char *text);
struct psl_ctx_st;
const struct psl_ctx_st *lookalike_psl(void);

#endif
