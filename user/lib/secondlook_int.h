/* SPDX-License-Identifier: GPL-2.0-only */
/* Between the second look's measures and its check (secondlook*.c). */
#ifndef MXGUARD_SECONDLOOK_INT_H
#define MXGUARD_SECONDLOOK_INT_H

#include <stdint.h>
#include <linux/types.h>

/* A registrable part as code points, with '.' between labels. */
#define CP_MAX		256
#define SKEL_MAX	(CP_MAX * 12)

/* One side of a comparison: the part compared, decoded, and its skeleton. */
struct side {
	uint32_t cp[CP_MAX];
	int n;
	int label;		/* code points of its first label */
	uint32_t skel[SKEL_MAX];
	int nskel;		/* -1: no skeleton */
	int word;	/* its first label a word (words.h): 1, 0; -1 unasked */
};

/* Decode wire labels from @pos on into "label.label" code points. */
int sl_decode(const __u8 *wire, __u32 len, __u32 pos, struct side *s);
/* Its skeleton, when @want (else, or on failure, nskel is -1). */
void sl_skeleton_of(struct side *s, int want);
/* Wire offset of the public suffix, and of the registrable label before. */
void sl_cut(const __u8 *wire, __u32 len, __u32 *reg, __u32 *suf);

#endif
