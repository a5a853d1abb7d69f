// SPDX-License-Identifier: GPL-2.0-only
/*
 * Similarity by parts (similar.h): the rules that decide, the hashes that
 * find candidates, and the words that explain a finding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxguard/hash.h"

#include "idn.h"
#include "lookalike.h"
#include "lookalike_int.h"
#include "secondlook.h"
#include "similar.h"

#define PART_MAX	256
#define PART_TEXT	(PART_MAX * 4 + 1)

unsigned int similar_reach(int n)
{
	return n >= SIMILAR_MID ? 2 : 1;
}

unsigned int similar_distance(const uint32_t *a, int na, const uint32_t *b,
			      int nb)
{
	return secondlook_distance(a, na, b, nb);
}

/* Feed one code point: ASCII as its byte, as the kernel sees an A-label. */
static __u64 poly_cp(__u64 h, uint32_t c)
{
	if (c < 0x80)
		return mxg_poly_step(h, (__u8)c);
	h = mxg_poly_step(h, (__u8)(0x80 | (c >> 24)));
	h = mxg_poly_step(h, (__u8)(c >> 16));
	h = mxg_poly_step(h, (__u8)(c >> 8));
	return mxg_poly_step(h, (__u8)c);
}

__u64 similar_hash(enum similar_kind kind, const uint32_t *s, int n,
		   int skip1, int skip2)
{
	__u64 h = 0;
	int i, m = 0;

	for (i = 0; i < n; i++) {
		if (i == skip1 || i == skip2)
			continue;
		h = poly_cp(h, s[i]);
		m++;
	}
	/* Unseeded in user space; the kernel map would use its seed. */
	return mxg_poly_key(0, (__u8)kind, h, (__u32)m) | 1;
}

static int same(const uint32_t *a, int na, const uint32_t *b, int nb)
{
	return na == nb && !memcmp(a, b, sizeof(*a) * (size_t)na);
}

static int is_neighbour_key(uint32_t want, uint32_t got)
{
	char keys[64];

	if (want >= 0x80 || got >= 0x80)
		return 0;
	lk_keyboard_neighbours(want, keys);
	return strchr(keys, (int)got) != NULL;
}

/* A one-edit pair whose edit touches the first character: allowed? */
static int first_ok(const uint32_t *l, int nl, const uint32_t *L, int nL)
{
	if (!nl || !nL || l[0] == L[0])
		return 1;
	if (same(l, nl, L + 1, nL - 1))
		return 1;	/* the first character dropped */
	if (nl == nL && nl >= 2 && l[0] == L[1] && l[1] == L[0])
		return 1;	/* the first two swapped */
	return is_neighbour_key(L[0], l[0]);
}

/* @L whole inside @l, with at most two characters around it. */
static int affixed(const uint32_t *l, int nl, const uint32_t *L, int nL)
{
	int o;

	if (nl - nL < 1 || nl - nL > 2)
		return 0;
	for (o = 0; o <= nl - nL; o++)
		if (!memcmp(l + o, L, sizeof(*L) * (size_t)nL))
			return 1;
	return 0;
}

static unsigned int label_edits(const uint32_t *l, int nl, const uint32_t *L,
				int nL, int tier, unsigned int flags)
{
	unsigned int d;
	int mid = tier >= SIMILAR_MID && !(flags & SIMILAR_F_NO_MID);

	if (abs(nl - nL) > 2)
		return 0;
	d = similar_distance(l, nl, L, nL);
	if (d == 1) {
		if ((flags & SIMILAR_F_ANY_FIRST) || first_ok(l, nl, L, nL))
			return 1;
		return mid && affixed(l, nl, L, nL) ? 1 : 0;
	}
	if (d != 2)
		return 0;
	if (tier >= SIMILAR_LONG)
		return 2;
	if (!mid)
		return 0;
	if (l[0] == L[0] && abs(nl - nL) <= 1)
		return 2 | SIMILAR_WEAK;
	return affixed(l, nl, L, nL) ? 2 | SIMILAR_WEAK : 0;
}

/* A suffix as ASCII text, or "" when it is not ASCII. */
static void ascii(const uint32_t *s, int n, char *out, size_t size)
{
	int i;

	out[0] = '\0';
	if ((size_t)n >= size)
		return;
	for (i = 0; i < n; i++) {
		if (s[i] >= 0x80) {
			out[0] = '\0';
			return;
		}
		out[i] = (char)s[i];
	}
	out[n] = '\0';
}

static int tld_neighbours(const uint32_t *s, int ns, const uint32_t *S,
			  int nS)
{
	char a[64], b[64];
	const char *near[16];
	int i, n;

	ascii(s, ns, a, sizeof(a));
	ascii(S, nS, b, sizeof(b));
	if (!a[0] || !b[0])
		return 0;
	n = lookalike_tld_neighbours(b, near, 16);
	for (i = 0; i < n && i < 16; i++)
		if (!strcmp(near[i], a))
			return 1;
	return 0;
}

/* @a and @b (label, suffix) run together without dots, into @out. */
static int dotless(const uint32_t *l, int nl, const uint32_t *s, int ns,
		   uint32_t *out)
{
	int i, n = 0;

	if (nl + ns > PART_MAX)
		return -1;
	for (i = 0; i < nl; i++)
		out[n++] = l[i];
	for (i = 0; i < ns; i++)
		if (s[i] != '.')
			out[n++] = s[i];
	return n;
}

static int moved_dot(const uint32_t *l, int nl, const uint32_t *s, int ns,
		     const uint32_t *L, int nL, const uint32_t *S, int nS)
{
	uint32_t a[PART_MAX], b[PART_MAX];
	int na = dotless(l, nl, s, ns, a), nb = dotless(L, nL, S, nS, b);

	return na > 0 && nl != nL && same(a, na, b, nb);
}

unsigned int similar_judge(const uint32_t *l, int nl, const uint32_t *s,
			   int ns, const uint32_t *L, int nL,
			   const uint32_t *S, int nS, int tier,
			   unsigned int flags)
{
	unsigned int d;

	if (!nl || !nL)
		return 0;
	if (tier < 0)
		tier = nL;
	if (same(s, ns, S, nS))
		return same(l, nl, L, nL) ? 0 :
		       label_edits(l, nl, L, nL, tier, flags);
	if (moved_dot(l, nl, s, ns, L, nL, S, nS))
		return 1;
	if (tld_neighbours(s, ns, S, nS)) {
		if (same(l, nl, L, nL))
			return 1;
		d = similar_distance(l, nl, L, nL);
		return d == 1 && ((flags & SIMILAR_F_ANY_FIRST) ||
				  first_ok(l, nl, L, nL)) ? 2 : 0;
	}
	return 0;
}

/* --- explanations --------------------------------------------------------- */

/* One code point as UTF-8 text. */
static const char *glyph(uint32_t c, char *buf)
{
	int n = idn_utf8_encode(&c, 1, buf, 24);

	if (n < 0)
		snprintf(buf, 24, "?");
	else if (c >= 0x80)	/* "а" and "a" look alike: say which */
		snprintf(buf + n, 24 - n, " U+%04X", c);
	return buf;
}

/* The text of @s[0..n), for messages. */
static const char *text_of(const uint32_t *s, int n, char *buf, size_t size)
{
	if (idn_utf8_encode(s, n, buf, size) < 0)
		snprintf(buf, size, "?");
	return buf;
}

/*
 * One edit that turns @L into @l, in words, or -1.  Where: after the
 * character before it, or "at the start".
 */
static int explain1(const uint32_t *l, int nl, const uint32_t *L, int nL,
		    char *out, size_t size)
{
	char a[24], b[24], c[24];
	int i = 0, j;

	while (i < nl && i < nL && l[i] == L[i])
		i++;
	if (nl == nL + 1) {
		if (!same(l + i + 1, nl - i - 1, L + i, nL - i))
			return -1;
		if (i && l[i] == l[i - 1])
			snprintf(out, size, "doubled '%s'", glyph(l[i], a));
		else if (i)
			snprintf(out, size, "inserted '%s' after '%s'",
				 glyph(l[i], a), glyph(l[i - 1], b));
		else
			snprintf(out, size, "inserted '%s' at the start",
				 glyph(l[0], a));
		return 0;
	}
	if (nl == nL - 1) {
		if (!same(l + i, nl - i, L + i + 1, nL - i - 1))
			return -1;
		if (i)
			snprintf(out, size, "dropped '%s' after '%s'",
				 glyph(L[i], a), glyph(L[i - 1], b));
		else
			snprintf(out, size, "dropped the first '%s'",
				 glyph(L[0], a));
		return 0;
	}
	if (nl != nL || i == nl)
		return -1;
	if (same(l + i + 1, nl - i - 1, L + i + 1, nL - i - 1)) {
		snprintf(out, size, "replaced '%s' with '%s'%s%s%s",
			 glyph(L[i], a), glyph(l[i], b), i ? " after '" : "",
			 i ? glyph(L[i - 1], c) : "", i ? "'" : "");
		return 0;
	}
	j = i + 1;
	if (j < nl && l[i] == L[j] && l[j] == L[i] &&
	    same(l + j + 1, nl - j - 1, L + j + 1, nL - j - 1)) {
		snprintf(out, size, "swapped '%s%s'", glyph(L[i], a),
			 glyph(L[j], b));
		return 0;
	}
	return -1;
}

/* Two edits: one of @L's single edits from which one more reaches @l. */
static int explain2(const uint32_t *l, int nl, const uint32_t *L, int nL,
		    char *out, size_t size)
{
	uint32_t m[PART_MAX + 1];
	char e1[96], e2[96];
	int i, k, nm;

	if (nL + 1 > PART_MAX)
		return -1;
	for (i = 0; i <= nL; i++) {
		/* Delete, swap, replace or insert at i, with l's characters. */
		for (k = -2; k < nl; k++) {
			if (k == -2) {
				if (i == nL)
					continue;
				memcpy(m, L, sizeof(*L) * i);
				memcpy(m + i, L + i + 1,
				       sizeof(*L) * (nL - i - 1));
				nm = nL - 1;
			} else if (k == -1) {
				if (i + 1 >= nL)
					continue;
				memcpy(m, L, sizeof(*L) * nL);
				m[i] = L[i + 1];
				m[i + 1] = L[i];
				nm = nL;
			} else {
				memcpy(m, L, sizeof(*L) * i);
				m[i] = l[k];
				memcpy(m + i + 1, L + i,
				       sizeof(*L) * (nL - i));
				nm = nL + 1;
			}
			if (explain1(m, nm, L, nL, e1, sizeof(e1)) == 0 &&
			    explain1(l, nl, m, nm, e2, sizeof(e2)) == 0)
				goto found;
			if (k < 0 || i == nL || l[k] == L[i])
				continue;
			memcpy(m, L, sizeof(*L) * nL);
			m[i] = l[k];
			nm = nL;
			if (explain1(m, nm, L, nL, e1, sizeof(e1)) == 0 &&
			    explain1(l, nl, m, nm, e2, sizeof(e2)) == 0)
				goto found;
		}
	}
	return -1;
found:
	snprintf(out, size, "%s, then %s", e1, e2);
	return 0;
}

static int explain_label(const uint32_t *l, int nl, const uint32_t *L,
			 int nL, char *out, size_t size)
{
	if (!explain1(l, nl, L, nL, out, size))
		return 0;
	return explain2(l, nl, L, nL, out, size);
}

/* "example-de": @L, a hyphen, and the rest of @x (@L and the suffix). */
static int run_in_hyphen(const uint32_t *l, int nl, const uint32_t *L,
			 int nL, const uint32_t *x, int nx)
{
	return nl == nx + 1 && !memcmp(l, L, sizeof(*L) * nL) &&
	       l[nL] == '-' && same(l + nL + 1, nl - nL - 1, x + nL, nx - nL);
}

int similar_explain(const uint32_t *l, int nl, const uint32_t *s, int ns,
		    const uint32_t *L, int nL, const uint32_t *S, int nS,
		    char *out, size_t size)
{
	char a[PART_TEXT], b[PART_TEXT], lab[192];
	uint32_t x[PART_MAX];
	int nx;

	if (same(s, ns, S, nS)) {
		if (!explain_label(l, nl, L, nL, out, size))
			return 0;
		/* "gmailcom.com", "example-de.com": the suffix run in. */
		nx = dotless(L, nL, S, nS, x);
		if (nx > 0 && (same(l, nl, x, nx) || run_in_hyphen(l, nl, L,
								  nL, x, nx))) {
			snprintf(out, size,
				 "ran the suffix '%s' into the label",
				 text_of(S, nS, a, sizeof(a)));
			return 0;
		}
		return -1;
	}
	if (nl + 1 + ns <= PART_MAX && moved_dot(l, nl, s, ns, L, nL, S, nS)) {
		memcpy(x, l, sizeof(*l) * nl);
		nx = nl;
		x[nx++] = '.';
		memcpy(x + nx, s, sizeof(*s) * ns);
		nx += ns;
		snprintf(out, size, "moved the dot: '%s'",
			 text_of(x, nx, a, sizeof(a)));
		return 0;
	}
	/* A suffix swapped, with or without a label edit. */
	text_of(S, nS, a, sizeof(a));
	text_of(s, ns, b, sizeof(b));
	if (same(l, nl, L, nL)) {
		snprintf(out, size, "'%s' became '%s'", a, b);
		return 0;
	}
	if (!explain_label(l, nl, L, nL, lab, sizeof(lab))) {
		snprintf(out, size, "%s, and '%s' became '%s'", lab, a, b);
		return 0;
	}
	return -1;
}
