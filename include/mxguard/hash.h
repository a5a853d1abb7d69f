/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Name hashing shared by the BPF programs and user space.
 *
 * Names are hashed in canonical form: DNS wire format, ASCII lowercased, root
 * label excluded.  The bytes are fed from the END of the name towards its
 * start, so the running state after a label's length byte is exactly the hash
 * of the suffix that starts at that label.  One pass over a name therefore
 * yields the hash of every suffix, which is what suffix matching at label
 * boundaries needs, without a nested loop in BPF.
 *
 * The seed is chosen per installation and kept in the pinned config map, so
 * policy compiled in user space and lookups in the kernel always agree.
 * FNV-1a steps with a splitmix64 finaliser: 64 bits make accidental
 * collisions negligible at a million entries (about 3e-8).
 */
#ifndef MXGUARD_HASH_H
#define MXGUARD_HASH_H

/* The BPF side gets these types from vmlinux.h. */
#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define MXG_FNV_OFFSET	0xcbf29ce484222325ULL
#define MXG_FNV_PRIME	0x100000001b3ULL

static __always_inline __u64 mxg_hash_init(__u64 seed)
{
	return seed ^ MXG_FNV_OFFSET;
}

static __always_inline __u64 mxg_hash_step(__u64 h, __u8 c)
{
	return (h ^ c) * MXG_FNV_PRIME;
}

static __always_inline __u64 mxg_hash_final(__u64 h)
{
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

static __always_inline __u8 mxg_lower(__u8 c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

#endif
