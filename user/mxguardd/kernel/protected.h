/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The pinned protected_names map (MXG_PROTECTED_ENTRIES): hash -> readable
 * protected name, which the datapath copies into events.  Policies put
 * names in; after a swap, names that nothing can still refer to are
 * deleted, or the map would fill over many reloads and refuse the next.
 */
#ifndef MXGUARD_PROTECTED_H
#define MXGUARD_PROTECTED_H

#include "loader.h"

/*
 * Put protected name @wire in the map, with its hash in @hash, and add the
 * hash to @set (unsorted until hashes_seal).
 */
int protected_put(struct mxg_loader *l, const __u8 *wire, __u32 len,
		  struct mxg_hashes *set, __u64 *hash);
/* Append @h (0 or -ENOMEM); the set is unsorted until hashes_seal(). */
int hashes_add(struct mxg_hashes *set, __u64 h);
/* Sort @set and drop duplicates. */
void hashes_seal(struct mxg_hashes *set);
/* Is @h in @set (sealed)? */
int hashes_has(const struct mxg_hashes *set, __u64 h);
void hashes_free(struct mxg_hashes *set);
/*
 * Delete every protected name that neither l->protected_now, nor
 * l->protected_prev, nor a lookalike record still in the maps refers to.
 * Returns how many were deleted, or -errno.
 */
long protected_prune(struct mxg_loader *l);

#endif
