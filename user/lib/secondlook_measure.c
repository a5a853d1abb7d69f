// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the second look measures with: the Damerau-Levenshtein distance,
 * UTS #39 skeletons, and a name cut to its registrable part and decoded
 * to code points.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uspoof.h>

#include "idn.h"
#include "lookalike.h"
#include "name.h"
#include "secondlook.h"
#include "secondlook_int.h"

void secondlook_defaults(struct mxg_secondlook_opts *o)
{
	o->short_len = MXG_SECONDLOOK_SHORT_LEN;
	o->short_max = MXG_SECONDLOOK_SHORT_MAX;
	o->long_max = MXG_SECONDLOOK_LONG_MAX;
	o->skeleton = 1;
	o->similar_flags = 0;
}

/* --- distance ------------------------------------------------------------- */

/* Last row in which a code point of @a was seen (Lowrance-Wagner). */
struct seen {
	uint32_t cp[CP_MAX];
	int row[CP_MAX];
	int n;
};

static int *seen_row(struct seen *s, uint32_t cp)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (s->cp[i] == cp)
			return &s->row[i];
	if (s->n == CP_MAX)
		return NULL;
	s->cp[s->n] = cp;
	s->row[s->n] = 0;
	return &s->row[s->n++];
}

static int min2(int a, int b)
{
	return a < b ? a : b;
}

/*
 * The unrestricted distance: a transposition may be edited again, so
 * "ca" -> "abc" is 2, not 3 as in the optimal string alignment variant.
 * Registrable parts are short, so the table usually fits on the stack: a
 * check runs once per protected name in reach, and malloc would dominate.
 */
#define D_STACK_CELLS	4096

unsigned int secondlook_distance(const uint32_t *a, int na,
				 const uint32_t *b, int nb)
{
	int w = nb + 2, inf = na + nb, i, j, k, l, db, cost, best, *row;
	size_t cells = (size_t)(na + 2) * w;
	int stack_d[D_STACK_CELLS], *d;
	struct seen s;

	if (na > CP_MAX || nb > CP_MAX)
		return (unsigned int)inf;
	d = cells <= D_STACK_CELLS ? stack_d : malloc(sizeof(*d) * cells);
	if (!d)
		return (unsigned int)inf;
	s.n = 0;
#define D(x, y) d[(x) * w + (y)]
	D(0, 0) = inf;
	for (i = 0; i <= na; i++) {
		D(i + 1, 0) = inf;
		D(i + 1, 1) = i;
	}
	for (j = 0; j <= nb; j++) {
		D(0, j + 1) = inf;
		D(1, j + 1) = j;
	}
	for (i = 1; i <= na; i++) {
		db = 0;
		for (j = 1; j <= nb; j++) {
			row = seen_row(&s, b[j - 1]);
			k = row ? *row : 0;
			l = db;
			cost = a[i - 1] == b[j - 1] ? 0 : 1;
			if (!cost)
				db = j;
			best = min2(D(i, j) + cost, D(i + 1, j) + 1);
			best = min2(best, D(i, j + 1) + 1);
			best = min2(best, D(k, l) + (i - k - 1) + 1 +
					  (j - l - 1));
			D(i + 1, j + 1) = best;
		}
		row = seen_row(&s, a[i - 1]);
		if (row)
			*row = i;
	}
	best = D(na + 1, nb + 1);
#undef D
	if (d != stack_d)
		free(d);
	return (unsigned int)best;
}

/* --- skeletons ------------------------------------------------------------ */

static USpoofChecker *spoof;
static pthread_once_t spoof_once = PTHREAD_ONCE_INIT;

static void spoof_open(void)
{
	UErrorCode status = U_ZERO_ERROR;

	spoof = uspoof_open(&status);
	if (U_FAILURE(status))
		spoof = NULL;
}

int secondlook_skeleton(const char *utf8, char *out, size_t size)
{
	UErrorCode status = U_ZERO_ERROR;
	int32_t n;

	pthread_once(&spoof_once, spoof_open);
	if (!spoof)
		return -1;
	/* Only const use after the once: ICU makes that thread safe. */
	n = uspoof_getSkeletonUTF8(spoof, 0, utf8, -1, out, (int32_t)size,
				   &status);
	if (U_FAILURE(status) || n < 0 || (size_t)n >= size)
		return -1;
	return n;
}

/* --- one side of a comparison --------------------------------------------- */

int sl_decode(const __u8 *wire, __u32 len, __u32 pos, struct side *s)
{
	int k;

	s->n = 0;
	s->label = -1;
	for (; pos < len; pos += 1 + wire[pos]) {
		if (s->n && s->n < CP_MAX)
			s->cp[s->n++] = '.';
		k = idn_label_decode((const char *)wire + pos + 1, wire[pos],
				     s->cp + s->n, CP_MAX - s->n);
		if (k < 0)
			return -1;
		if (s->label < 0)
			s->label = k;
		s->n += k;
	}
	return s->n ? 0 : -1;
}

void sl_skeleton_of(struct side *s, int want)
{
	char utf8[CP_MAX * 4 + 1], skel[SKEL_MAX];
	int n;

	s->nskel = -1;
	if (!want || idn_utf8_encode(s->cp, s->n, utf8, sizeof(utf8)) < 0)
		return;
	n = secondlook_skeleton(utf8, skel, sizeof(skel));
	if (n < 0)
		return;
	s->nskel = idn_utf8_decode(skel, (size_t)n, s->skel, SKEL_MAX);
}

void sl_cut(const __u8 *wire, __u32 len, __u32 *reg, __u32 *suf)
{
	char text[MXG_NAME_TEXT_MAX];
	size_t off, t = 0;
	__u32 pos = 0, prev = 0;

	mxg_name_format(wire, len, text, sizeof(text));
	off = lookalike_suffix_offset(text);
	while (pos < len && t < off) {
		prev = pos;
		t += wire[pos] + 1;
		pos += 1 + wire[pos];
	}
	*suf = pos;
	*reg = off ? prev : 0;
}

__u32 secondlook_registrable_offset(const __u8 *wire, __u32 len)
{
	__u32 reg, suf;

	sl_cut(wire, len, &reg, &suf);
	return reg;
}

