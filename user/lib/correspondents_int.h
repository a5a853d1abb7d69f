/* SPDX-License-Identifier: GPL-2.0-only */
/* Between the correspondents' table and their file (correspondents*.c). */
#ifndef MXGUARD_CORRESPONDENTS_INT_H
#define MXGUARD_CORRESPONDENTS_INT_H

#include "correspondents.h"

/* The registrable part of @wire into *@c (zeroed); -1 for a suffix. */
int corr_part_of(const __u8 *wire, __u32 len, struct mxg_correspondent *c);
/* Add @c read back from the file; past the cap the least used go. */
void corr_keep(struct mxg_correspondents *t,
	       const struct mxg_correspondent *c);
/* No correspondents, the window starting at @now. */
void corr_empty(struct mxg_correspondents *t, long long now);

#endif
