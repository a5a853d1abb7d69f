// SPDX-License-Identifier: GPL-2.0-only
/*
 * Similarity by parts (similar.h): the rules that decide, the hashes that
 * find candidates, and the words that explain a finding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpsl.h>

#include "mxguard/abi.h"
#include "mxguard/hash.h"

#include "idn.h"
#include "lookalike.h"
#include "lookalike_int.h"
#include "secondlook.h"
#include "similar.h"

#define PART_MAX	256
#define PART_TEXT	(PART_MAX * 4 + 1)
/* How far from where two labels part a first edit is tried (slips2). */
#define SLIP_NEAR	3

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

/* Spelled by ear: one vowel for another ("gmeal" for "gmail"). */
static int is_vowel(uint32_t c)
{
	return c && c < 0x80 && strchr("aeiou", (int)c);
}

/*
 * ASCII characters that look the same in common fonts (the generator's
 * strong glyph swaps: 0/o, 1/l, l/i): misread, then retyped.
 */
static int is_glyph_pair(uint32_t want, uint32_t got)
{
	int i;

	if (lk_tables_init())
		return 0;
	for (i = 0; i < lk_nglyphs; i++) {
		const struct lk_glyph *g = &lk_glyphs[i];

		if (g->strong && g->nfrom == 1 && g->nto == 1 &&
		    g->from[0] == want && g->to[0] == got && got < 0x80)
			return 1;
	}
	return 0;
}

/* What one edit is (one_edit). */
enum edit_kind {
	EDIT_NONE = -1,		/* not one edit */
	EDIT_OTHER = 0,		/* an arbitrary character in or for another */
	EDIT_SLIP = 1,		/* a slip of typing or spelling (below) */
};

/*
 * Which single edit turns @f (what was meant) into @m.
 * The slips of typing and spelling: an omission, a transposition of
 * neighbours, a character doubled or a key next to its neighbours typed
 * with them, or a character replaced by a keyboard neighbour, a vowel by
 * a vowel, or a look-alike.  Anything else is EDIT_OTHER: an arbitrary
 * character put in or swapped for another ("hd-mail" for "hotmail").
 */
static enum edit_kind one_edit(const uint32_t *m, int nm, const uint32_t *f,
			       int nf)
{
	uint32_t c;
	int i = 0;

	while (i < nm && i < nf && m[i] == f[i])
		i++;
	if (nm == nf - 1)
		return same(m + i, nm - i, f + i + 1, nf - i - 1) ? EDIT_SLIP :
								    EDIT_NONE;
	if (nm == nf + 1) {
		if (!same(m + i + 1, nm - i - 1, f + i, nf - i))
			return EDIT_NONE;
		c = m[i];
		return (i > 0 && (c == f[i - 1] ||
				  is_neighbour_key(f[i - 1], c))) ||
		       (i < nf && is_neighbour_key(f[i], c)) ? EDIT_SLIP :
							       EDIT_OTHER;
	}
	if (nm != nf || i == nm)
		return EDIT_NONE;
	if (same(m + i + 1, nm - i - 1, f + i + 1, nf - i - 1))
		return is_neighbour_key(f[i], m[i]) ||
		       (is_vowel(f[i]) && is_vowel(m[i])) ||
		       is_glyph_pair(f[i], m[i]) ? EDIT_SLIP : EDIT_OTHER;
	return i + 1 < nm && m[i] == f[i + 1] && m[i + 1] == f[i] &&
	       same(m + i + 2, nm - i - 2, f + i + 2, nf - i - 2) ? EDIT_SLIP :
								    EDIT_NONE;
}

static int count_of(const uint32_t *s, int n, uint32_t c)
{
	int i, k = 0;

	for (i = 0; i < n; i++)
		k += s[i] == c;
	return k;
}

static int count_hyphens(const uint32_t *s, int n)
{
	return count_of(s, n, '-');
}

static int count_dots(const uint32_t *s, int n)
{
	return count_of(s, n, '.');
}

/* The step @L -> @m -> @l: how many of its two edits are slips, or -1. */
static int two_steps(const uint32_t *l, int nl, const uint32_t *m, int nm,
		     const uint32_t *L, int nL)
{
	enum edit_kind a, b;

	a = one_edit(m, nm, L, nL);
	if (a == EDIT_NONE)
		return -1;
	b = one_edit(l, nl, m, nm);
	if (b == EDIT_NONE)
		return -1;
	return (a != EDIT_OTHER) + (b != EDIT_OTHER);
}

/*
 * How many of two edits that turn @L into @l can be slips (one_edit): 2,
 * 1 or 0, the most over every way there; -1 when it takes more.  The
 * first edit, when it puts a character at i, puts in one of @l's, and one
 * that the second edit moves at most one place: l[i - 1..i + 1].
 */
static int slips2(const uint32_t *l, int nl, const uint32_t *L, int nL)
{
	uint32_t m[PART_MAX + 1];
	int i, k, best = -1, r, p = 0, q = 0;

	if (nL + 1 > PART_MAX)
		return -1;
	/*
	 * One of the two edits is where @l and @L part from the left (p),
	 * or it would leave more of the prefix alike, and the first can be
	 * either: only first edits near p or near where they part from the
	 * right (nL - q) can start a way there.
	 */
	while (p < nl && p < nL && l[p] == L[p])
		p++;
	while (q < nl - p && q < nL - p && l[nl - 1 - q] == L[nL - 1 - q])
		q++;
#define TRY_STEP(nm)							\
	do {								\
		r = two_steps(l, nl, m, (nm), L, nL);			\
		if (r > best)						\
			best = r;					\
		if (best == 2)						\
			return 2;					\
	} while (0)
	for (i = 0; i <= nL; i++) {
		if (abs(i - p) > SLIP_NEAR && abs(i - (nL - q)) > SLIP_NEAR)
			continue;
		if (i < nL) {		/* L without L[i] */
			memcpy(m, L, sizeof(*L) * i);
			memcpy(m + i, L + i + 1, sizeof(*L) * (nL - i - 1));
			TRY_STEP(nL - 1);
		}
		if (i + 1 < nL) {	/* L[i] and L[i + 1] swapped */
			memcpy(m, L, sizeof(*L) * nL);
			m[i] = L[i + 1];
			m[i + 1] = L[i];
			TRY_STEP(nL);
		}
		for (k = i > 0 ? i - 1 : 0; k <= i + 1 && k < nl; k++) {
			/* l[k] put in before L[i], or in place of it */
			memcpy(m, L, sizeof(*L) * i);
			m[i] = l[k];
			memcpy(m + i + 1, L + i, sizeof(*L) * (nL - i));
			TRY_STEP(nL + 1);
			if (i == nL || l[k] == L[i])
				continue;
			memcpy(m, L, sizeof(*L) * nL);
			m[i] = l[k];
			TRY_STEP(nL);
		}
	}
#undef TRY_STEP
	return best;
}

/*
 * Two edits that are typos: at least @need of them slips (slips2), and
 * no hyphen put in, which splits the label into two words ("g-meil").
 */
static int typos2(const uint32_t *l, int nl, const uint32_t *L, int nL,
		  int need, unsigned int flags)
{
	if (flags & SIMILAR_F_ANY_TWO)
		return 1;
	if (count_hyphens(l, nl) > count_hyphens(L, nL))
		return 0;
	return slips2(l, nl, L, nL) >= need;
}

/*
 * A one-edit pair whose edit touches the first character: allowed?  Its
 * deletion only from labels longer than MXG_SIM_SHORT: what a short one
 * leaves is often a word or a brand of its own ("mail" for "gmail"), and
 * the first key is the one typists rarely miss.  Past that, what the word
 * list says (similar.h): any letter where it makes no word and the rest
 * is none ("vahoo", "ahoo", "gmsn"), never where it does ("amail",
 * "email.ru", "hive"), and not even a neighbour where the label is a
 * letter and a word ("ymail" for "gmail").  Labels of 3 characters or
 * fewer have every letter's replacement registered, and keep the
 * neighbours only.
 */
static int first_ok(const uint32_t *l, int nl, const uint32_t *L, int nL,
		    unsigned int flags)
{
	int seen_word = !!(flags & SIMILAR_SEEN_WORD);

	if (!nl || !nL || l[0] == L[0])
		return 1;
	if (same(l, nl, L + 1, nL - 1))
		return nL > MXG_SIM_SHORT || (flags & SIMILAR_F_FIRST_DROP) ||
		       (nL == MXG_SIM_SHORT && (flags & SIMILAR_TAIL_FREE) &&
			!seen_word);
	if (nl == nL && nl >= 2 && l[0] == L[1] && l[1] == L[0])
		return 1;	/* the first two swapped */
	/* A letter and a word: "ymail" is another brand than "gmail". */
	if (nl == nL && (flags & SIMILAR_TAIL_WORD))
		return 0;
	if (nl == nL + 1 && (flags & SIMILAR_LABEL_WORD))
		return 0;
	if (is_neighbour_key(L[0], l[0]))
		return 1;
	if (seen_word)
		return 0;
	if (nl == nL && nL >= SIMILAR_FIRST_REPLACE_MIN &&
	    same(l + 1, nl - 1, L + 1, nL - 1))
		return !!(flags & SIMILAR_TAIL_FREE);
	if (nl == nL + 1 && nL >= SIMILAR_FIRST_INSERT_MIN &&
	    same(l + 1, nl - 1, L, nL))
		return !!(flags & SIMILAR_LABEL_FREE);
	return 0;
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

/* A digit among what @l has around @L whole (affixed): not a word. */
static int affix_digit(const uint32_t *l, int nl, const uint32_t *L, int nL)
{
	int i, o = 0;

	while (o < nl - nL && memcmp(l + o, L, sizeof(*L) * (size_t)nL))
		o++;
	for (i = 0; i < nl; i++)
		if ((i < o || i >= o + nL) && l[i] >= '0' && l[i] <= '9')
			return 1;
	return 0;
}

/*
 * @l is @L and the start of its suffix @S: the dot typed late
 * ("gmailco" under com).
 */
static int run_in(const uint32_t *l, int nl, const uint32_t *L, int nL,
		  const uint32_t *S, int nS)
{
	int i, k = 0;

	if (nl <= nL || memcmp(l, L, sizeof(*L) * (size_t)nL))
		return 0;
	for (i = nL; i < nl; i++) {
		while (k < nS && S[k] == '.')
			k++;
		if (k == nS || S[k++] != l[i])
			return 0;
	}
	return 1;
}

static unsigned int label_edits(const uint32_t *l, int nl, const uint32_t *L,
				int nL, const uint32_t *S, int nS, int tier,
				unsigned int flags)
{
	unsigned int d;
	int mid = tier >= SIMILAR_MID && !(flags & SIMILAR_F_NO_MID);

	if (abs(nl - nL) > 2)
		return 0;
	d = similar_distance(l, nl, L, nL);
	if (d == 1) {
		if ((flags & SIMILAR_F_ANY_FIRST) ||
		    first_ok(l, nl, L, nL, flags))
			return 1;
		return mid && affixed(l, nl, L, nL) ? 1 : 0;
	}
	if (d != 2)
		return 0;
	/*
	 * Two edits: at least one a slip (typos2), and no hyphen put in.
	 * Two arbitrary ones reach other words ("hmamail", "homemail" for
	 * "hotmail").  A long label kept whole with two characters around
	 * it is still its brand's ("xyprotonmail").
	 */
	if (tier >= SIMILAR_LONG)
		return typos2(l, nl, L, nL, 1, flags) ||
		       affixed(l, nl, L, nL) ? 2 : 0;
	if (!mid)
		return 0;
	/* 5 to 7 characters: the first one kept, the lengths near. */
	if (l[0] == L[0] && abs(nl - nL) <= 1 && typos2(l, nl, L, nL, 1, flags))
		return 2 | SIMILAR_WEAK;
	/*
	 * The label whole with two characters more ("00gmail", "gmailot").
	 * Two letters make another word as often ("dugmail", "yahoofs"), but
	 * taking letters only as two slips ("gmaill" and a neighbour key)
	 * or the start of the suffix, the dot typed late ("gmailco" under
	 * com), misses 3 of the 80 held-out typos for 3 fewer false alarms
	 * (README, "Recall and false alarms"): SIMILAR_F_AFFIX_SLIPS.
	 */
	if (!affixed(l, nl, L, nL))
		return 0;
	if (!(flags & SIMILAR_F_AFFIX_SLIPS) || affix_digit(l, nl, L, nL) ||
	    run_in(l, nl, L, nL, S, nS) ||
	    typos2(l, nl, L, nL, 2, flags & ~SIMILAR_F_ANY_TWO))
		return 2 | SIMILAR_WEAK;
	return 0;
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

/*
 * @s is one slip (one_edit) from @S and a public suffix of its own, as
 * the PSL's ICANN section lists it: "cam" for "com", "se" for "de".  The
 * table's pairs are omissions; this takes in the other slips.
 */
static int tld_slip(const uint32_t *s, int ns, const uint32_t *S, int nS)
{
	const psl_ctx_t *ctx = lookalike_psl();
	char a[64];

	ascii(s, ns, a, sizeof(a));
	if (!a[0] || !ctx || one_edit(s, ns, S, nS) != EDIT_SLIP ||
	    count_dots(s, ns) != count_dots(S, nS))
		return 0;
	return psl_is_public_suffix2(ctx, a, PSL_TYPE_ICANN |
				     PSL_TYPE_NO_STAR_RULE);
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
		       label_edits(l, nl, L, nL, S, nS, tier, flags);
	if (moved_dot(l, nl, s, ns, L, nL, S, nS))
		return 1;
	if (tld_neighbours(s, ns, S, nS)) {
		if (same(l, nl, L, nL))
			return 1;
		d = similar_distance(l, nl, L, nL);
		return d == 1 && ((flags & SIMILAR_F_ANY_FIRST) ||
				  first_ok(l, nl, L, nL, flags)) ? 2 : 0;
	}
	/*
	 * Any other TLD one slip away: with the label itself, or with one
	 * more edit where two reach (5 characters or more), the first kept,
	 * as for two edits under the same suffix ("zmail.cam" is not
	 * gmail.com's).
	 */
	if (!(flags & SIMILAR_F_TLD_TABLE) && tld_slip(s, ns, S, nS)) {
		if (same(l, nl, L, nL))
			return 1;
		return tier >= SIMILAR_MID && l[0] == L[0] &&
		       similar_distance(l, nl, L, nL) == 1 ? 2 : 0;
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
