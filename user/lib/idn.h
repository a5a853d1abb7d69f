/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internationalised names: labels as Unicode code points for the fuzzers and
 * the second look, A-labels (punycode, "xn--") on the wire.  libidn2 does
 * IDNA2008; this module only converts and checks.
 */
#ifndef MXGUARD_IDN_H
#define MXGUARD_IDN_H

#include <stddef.h>
#include <stdint.h>

/* A label holds at most 63 bytes, so at most 63 code points. */
#define IDN_LABEL_CP_MAX	63
/* An A-label plus its NUL. */
#define IDN_LABEL_BUF		64

/* UTF-8 -> code points.  Returns the count, or -1 (bad UTF-8, too long). */
int idn_utf8_decode(const char *s, size_t len, uint32_t *out, int max);

/* Code points -> NUL-terminated UTF-8.  Returns bytes written, or -1. */
int idn_utf8_encode(const uint32_t *cp, int n, char *out, size_t size);

/*
 * One label, as code points, to its wire form in @out (NUL-terminated,
 * lowercase).  An ASCII label must be LDH: letters, digits and inner
 * hyphens, never "--" in its third and fourth places (reserved for A-labels
 * and refused by registries).  Any other label is encoded with IDNA2008,
 * without TR46 mapping, so a glyph is kept or the label is refused.
 * Returns the length (1..63), or -1.
 */
int idn_label_encode(const uint32_t *cp, int n, char *out);

/*
 * One wire label (@len bytes) to code points: an A-label is decoded, any
 * other label is taken byte for byte.  Returns the count, or -1.
 */
int idn_label_decode(const char *label, size_t len, uint32_t *out, int max);

/*
 * A name as people write it ("bücher.example", "Gmail.COM") to its
 * lowercase A-label form, with UTS #46 mapping (what browsers and MUAs do).
 * Returns 0, or -1 with *err set to libidn2's message.
 */
int idn_name_to_ascii(const char *text, char *out, size_t size,
		      const char **err);

#endif
