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

/*
 * A polynomial hash for similarity: H(s) = sum (s[k] + 1) * B^(n-1-k), mod
 * 2^64.  Unlike FNV it composes: with P(i) the hash of s[0..i) and
 * Q(i) = sum over k > i of (s[k] + 1) * B^(n-1-k), the hash of s without
 * s[i] is P(i) * B^(n-1-i) + Q(i), so every one-deletion of a label costs
 * O(1) once P, Q and the powers of B are known (one pass).  User space
 * files the deletions of each protected label by this hash and the BPF
 * side can compute the same values for a label seen.  The key is the
 * finalised hash with the seed, the kind of variant and the length mixed
 * in.  B is odd, so B is invertible mod 2^64.
 */
#define MXG_POLY_BASE	0x9e3779b97f4a7c15ULL

static __always_inline __u64 mxg_poly_step(__u64 h, __u8 c)
{
	return h * MXG_POLY_BASE + (__u64)c + 1;
}

static __always_inline __u64 mxg_poly_key(__u64 seed, __u8 kind, __u64 h,
					  __u32 n)
{
	return mxg_hash_final(h ^ seed ^ ((__u64)kind << 56) ^
			      ((__u64)(n & 0xff) << 48));
}

static __always_inline __u8 mxg_lower(__u8 c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

#endif
