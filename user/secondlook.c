// SPDX-License-Identifier: GPL-2.0-only
/*
 * The second look: edit distance and confusable skeletons between a name
 * seen on the wire and the policy's protected names.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uspoof.h>

#include "idn.h"
#include "lookalike.h"
#include "name.h"
#include "secondlook.h"

/* A registrable part as code points, with '.' between labels. */
#define CP_MAX		256
#define SKEL_MAX	(CP_MAX * 12)

void secondlook_defaults(struct mxg_secondlook_opts *o)
{
	o->short_len = MXG_SECONDLOOK_SHORT_LEN;
	o->short_max = MXG_SECONDLOOK_SHORT_MAX;
	o->long_max = MXG_SECONDLOOK_LONG_MAX;
	o->skeleton = 1;
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
 */
unsigned int secondlook_distance(const uint32_t *a, int na,
				 const uint32_t *b, int nb)
{
	int w = nb + 2, inf = na + nb, i, j, k, l, db, cost, best, *row;
	struct seen *s;
	int *d;

	if (na > CP_MAX || nb > CP_MAX)
		return (unsigned int)inf;
	d = malloc(sizeof(*d) * (size_t)(na + 2) * w);
	s = calloc(1, sizeof(*s));
	if (!d || !s) {
		free(d);
		free(s);
		return (unsigned int)inf;
	}
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
			row = seen_row(s, b[j - 1]);
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
		row = seen_row(s, a[i - 1]);
		if (row)
			*row = i;
	}
	best = D(na + 1, nb + 1);
#undef D
	free(d);
	free(s);
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

struct side {
	uint32_t cp[CP_MAX];	/* the compared part, decoded */
	int n;
	int label;		/* code points of its first label */
	uint32_t skel[SKEL_MAX];
	int nskel;		/* -1: no skeleton */
};

/* Decode wire labels from @pos on into "label.label" code points. */
static int decode(const __u8 *wire, __u32 len, __u32 pos, struct side *s)
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

static void skeleton_of(struct side *s, int want)
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

/* Wire offset of the public suffix, and of the registrable label before. */
static void cut(const __u8 *wire, __u32 len, __u32 *reg, __u32 *suf)
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

	cut(wire, len, &reg, &suf);
	return reg;
}

/* --- the check ------------------------------------------------------------ */

static int same_cp(const struct side *a, const struct side *b)
{
	return a->n == b->n && !memcmp(a->cp, b->cp, a->n * sizeof(a->cp[0]));
}

/* One protected name against what was seen; 1 with *f filled. */
static int compare(const struct mxg_secondlook_opts *o,
		   const struct side *mine, const __u8 *pw, __u32 plen,
		   struct mxg_secondlook_finding *f)
{
	struct side *prot;
	unsigned int raw, skel, limit;
	__u32 reg, suf;
	int found = 0;

	cut(pw, plen, &reg, &suf);
	/*
	 * Not a protected TLD: its fuzzers already list every TLD one edit
	 * away, and the policy says which of them are lookalikes.
	 */
	if (suf == 0)
		return 0;
	prot = malloc(sizeof(*prot));
	if (!prot)
		return -ENOMEM;
	if (decode(pw, plen, reg, prot) || same_cp(mine, prot))
		goto out;
	limit = (unsigned int)prot->label <= o->short_len ? o->short_max :
							     o->long_max;
	raw = secondlook_distance(mine->cp, mine->n, prot->cp, prot->n);
	skel = raw;
	skeleton_of(prot, o->skeleton && mine->nskel >= 0);
	if (prot->nskel >= 0 && mine->nskel >= 0) {
		if (prot->nskel == mine->nskel &&
		    !memcmp(prot->skel, mine->skel,
			    prot->nskel * sizeof(prot->skel[0]))) {
			f->method = MXG_ORIGIN_SKELETON;
			f->distance = raw;
			found = 1;
			goto out;
		}
		skel = secondlook_distance(mine->skel, mine->nskel, prot->skel,
					   prot->nskel);
	}
	if (min2((int)raw, (int)skel) <= (int)limit) {
		f->method = MXG_ORIGIN_EDIT_DISTANCE;
		f->distance = (unsigned int)min2((int)raw, (int)skel);
		found = 1;
	}
out:
	free(prot);
	if (found) {
		f->protected_wire = pw;
		f->protected_len = plen;
	}
	return found;
}

/* Allowed, protected, or under a protected domain: never a finding. */
static int is_trusted(const struct mxg_policy *p, const __u8 *wire, __u32 len)
{
	int m = policy_match(p, wire, len);
	__u32 pos;

	if (m >= 0 && p->rules[m].kind == MXG_RULE_ALLOW)
		return 1;
	for (pos = 0; pos < len; pos += 1 + wire[pos]) {
		if (policy_find_protected(p, wire + pos, len - pos) < 0)
			continue;
		if (!pos || !lookalike_is_public_suffix(wire + pos, len - pos))
			return 1;
	}
	return 0;
}

/* Skeleton matches first, then by distance. */
static int closer(const struct mxg_secondlook_finding *x,
		  const struct mxg_secondlook_finding *y)
{
	int xs = x->method == MXG_ORIGIN_SKELETON;
	int ys = y->method == MXG_ORIGIN_SKELETON;

	if (xs != ys)
		return xs;
	return x->distance < y->distance;
}

/* Keep the @max closest in @out, closest first. */
static void keep(struct mxg_secondlook_finding *out, size_t *n, size_t max,
		 const struct mxg_secondlook_finding *f)
{
	size_t i;

	if (*n == max) {
		if (!closer(f, &out[max - 1]))
			return;
		i = max - 1;	/* the farthest makes room */
	} else {
		i = (*n)++;
	}
	for (; i > 0 && closer(f, &out[i - 1]); i--)
		out[i] = out[i - 1];
	out[i] = *f;
}

static int check_all(const struct mxg_policy *p,
		     const struct mxg_secondlook_opts *o,
		     const struct side *seen,
		     struct mxg_secondlook_finding *out, size_t max)
{
	struct mxg_secondlook_finding f;
	size_t i, n = 0;
	int r;

	for (i = 0; i < p->nprotected; i++) {
		r = compare(o, seen, p->protected_names[i].wire,
			    p->protected_names[i].len, &f);
		if (r < 0)
			return r;
		if (r)
			keep(out, &n, max, &f);
	}
	return (int)n;
}

int secondlook_check(const struct mxg_policy *p,
		     const struct mxg_secondlook_opts *o, const __u8 *wire,
		     __u32 len, struct mxg_secondlook_finding *out,
		     size_t max)
{
	struct mxg_secondlook_opts defaults;
	struct side *seen;
	__u32 reg, suf;
	int ret;

	if (!o) {
		secondlook_defaults(&defaults);
		o = &defaults;
	}
	if (!len || !max || !p->nprotected || is_trusted(p, wire, len))
		return 0;
	seen = calloc(1, sizeof(*seen));
	if (!seen)
		return -ENOMEM;
	cut(wire, len, &reg, &suf);
	ret = 0;
	if (!decode(wire, len, reg, seen)) {
		skeleton_of(seen, o->skeleton);
		ret = check_all(p, o, seen, out, max);
	}
	free(seen);
	return ret;
}
