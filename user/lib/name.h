/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Canonical DNS names in user space: the same bytes the BPF side builds
 * (wire format, ASCII lowercased, WITHOUT the terminating root byte; the
 * root name has length 0) and the same hashes (include/mxguard/hash.h).
 */
#ifndef MXGUARD_NAME_H
#define MXGUARD_NAME_H

#include <stddef.h>
#include <linux/types.h>

#include "mxguard/limits.h"

/* Presentation form: every byte may become a four-character \DDD escape. */
#define MXG_NAME_TEXT_MAX	(MXG_NAME_MAX * 4 + 1)

/*
 * Parse a presentation-form name ("Army.ML", "army.ml.", ".") into canonical
 * wire bytes.  \DDD and \X escapes are accepted as in zone files.  Rejects
 * empty labels, labels over 63 bytes and names over 255 wire bytes.
 * Returns 0, or -EINVAL with *err set to a static message.
 */
int mxg_name_parse(const char *text, __u8 *wire, __u32 *len, const char **err);

/*
 * Format wire bytes (terminated by a zero length byte or by @max) for people
 * and logs: labels joined by '.', no trailing dot, "." for the root.  Bytes
 * other than [A-Za-z0-9-_] are escaped as \DDD ('.' and '\' inside a label as
 * "\." and "\\"), so the output is printable ASCII whatever the packet held.
 * A malformed name is formatted up to the fault and followed by "\?".
 */
void mxg_name_format(const __u8 *wire, size_t max, char *out, size_t outsz);

/*
 * Length of the wire name at @wire before its root byte, as the other
 * functions take it; 0 if no root byte comes within @max.
 */
__u32 mxg_name_wire_len(const __u8 *wire, size_t max);

/* Hash of the whole name; equals the BPF side's scratch->name_hash. */
__u64 mxg_name_hash(__u64 seed, const __u8 *wire, __u32 len);

/*
 * Hash of every suffix at a label boundary, shortest suffix first (the BPF
 * walk order).  offsets[i] is where suffix i starts in @wire.  Returns the
 * number of suffixes (the number of labels), at most @max.
 */
int mxg_name_suffixes(__u64 seed, const __u8 *wire, __u32 len, __u64 *hashes,
		      __u32 *offsets, int max);

#endif
