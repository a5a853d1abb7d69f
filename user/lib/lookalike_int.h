/* SPDX-License-Identifier: GPL-2.0-only */
/* The lookalike engine's tables (lookalike_tables.c), for lookalike.c. */
#ifndef MXGUARD_LOOKALIKE_INT_H
#define MXGUARD_LOOKALIKE_INT_H

#include <stdint.h>

/* A glyph swap: @from (1 or 2 code points) may be read as @to. */
struct lk_glyph {
	uint32_t from[2], to[2];
	uint8_t nfrom, nto;
	/* Looks the same in common fonts: also used for a second swap. */
	uint8_t strong;
};

/* Every glyph swap, ASCII and Unicode. */
extern const struct lk_glyph *lk_glyphs;
extern int lk_nglyphs;
/* Decodes the UTF-8 tables once; 0 or -1. */
int lk_tables_init(void);

/*
 * Keys next to @c on a QWERTY, QWERTZ or AZERTY keyboard (letters and the
 * digit row), without repeats, NUL-terminated in @out (at least 32 bytes).
 */
void lk_keyboard_neighbours(uint32_t c, char *out);

/*
 * The code points UTS #39 (ICU's confusables) says look like ASCII @c;
 * *out points at them.  Returns how many.
 */
int lk_confusables(uint32_t c, const uint32_t **out);

/* The Cyrillic letter that looks like Latin @c, or 0. */
uint32_t lk_cyrillic(uint32_t c);

/* gTLD <-> ccTLD one-edit pairs: "com", "co"; "mil", "ml"; ... */
struct lk_tld_pair {
	const char *gtld, *cctld;
};
extern const struct lk_tld_pair lk_tld_pairs[];
extern const int lk_ntld_pairs;

/* TLDs a domain's own suffix is swapped for (besides its neighbours). */
extern const char *const lk_swap_tlds[];
extern const int lk_nswap_tlds;

#endif
