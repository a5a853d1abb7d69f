// SPDX-License-Identifier: GPL-2.0-only
/*
 * The second look: a name seen on the wire against the policy's protected
 * names, through an index of the protected side built once per policy.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lookalike.h"
#include "secondlook.h"
#include "secondlook_int.h"

/* --- the protected side, once per policy --------------------------------- */

/*
 * What a check compares against, computed when the policy is loaded rather
 * than for every name seen: decoding, libpsl's cut and the ICU skeleton of
 * every protected name, and the table of who is in reach of what.
 */
struct prot_side {
	const __u8 *wire;	/* the protected name, interned in the policy */
	__u32 len;
	uint32_t *cp;		/* its registrable part, decoded */
	uint32_t *skel;		/* its skeleton, or NULL */
	int n, nskel;
	unsigned int limit;	/* edits in reach: by its first label */
	__u8 action;
};

/*
 * Who is in reach, without a comparison per protected name.  Two strings
 * within d edits (insertions, deletions, substitutions, transpositions)
 * share a string that each reaches by at most d deletions: a substitution
 * or a transposition costs one deletion on both sides, an insertion one on
 * the other.  So each protected part files the hashes of its variants
 * with up to `limit` deletions, raw and skeleton, and a name seen looks
 * its own variants up: a few dozen probes, whatever the number of
 * protected names (SymSpell's idea).  A shared hash only makes a
 * candidate; compare() decides, so a collision costs time, never a
 * finding.
 */
#define REACH_MAX	2	/* deeper limits: compare with every name */
#define REACH_SLOTS_MIN	1024

enum { RAW = 0, SKEL = 1 };

struct reach {
	__u64 *key;		/* hash of a variant, never 0; 0: empty */
	__u32 *entry;		/* the protected side it came from */
	size_t nslots, used;
	int minlen[2], maxlen[2];	/* of what was filed, raw and skeleton */
	unsigned int depth;	/* the deepest limit filed */
};

struct mxg_secondlook_index {
	struct prot_side *e;
	size_t n;
	int skeleton;
	int linear;		/* a limit past REACH_MAX: no reach table */
	struct reach reach;
};

/* FNV-1a of @s without positions @skip1 and @skip2, raw or skeleton. */
static __u64 variant_hash(int which, const uint32_t *s, int n, int skip1,
			  int skip2)
{
	__u64 h = 0xcbf29ce484222325ULL ^ (__u64)which;
	int i;

	for (i = 0; i < n; i++) {
		if (i == skip1 || i == skip2)
			continue;
		h = (h ^ s[i]) * 0x100000001b3ULL;
	}
	return h | 1;
}

typedef int (*variant_fn)(void *ctx, __u64 h);

/* Every variant of @s with up to @k (<= 2) deletions. */
static int variants(int which, const uint32_t *s, int n, unsigned int k,
		    variant_fn fn, void *ctx)
{
	int i, j, err = fn(ctx, variant_hash(which, s, n, -1, -1));

	for (i = 0; i < n && k >= 1 && !err; i++) {
		err = fn(ctx, variant_hash(which, s, n, i, -1));
		for (j = i + 1; j < n && k >= 2 && !err; j++)
			err = fn(ctx, variant_hash(which, s, n, i, j));
	}
	return err;
}

static int reach_resize(struct reach *r, size_t nslots)
{
	__u64 *key = calloc(nslots, sizeof(*key));
	__u32 *entry = calloc(nslots, sizeof(*entry));
	size_t i, j, mask = nslots - 1;

	if (!key || !entry) {
		free(key);
		free(entry);
		return -ENOMEM;
	}
	for (i = 0; i < r->nslots; i++) {
		if (!r->key[i])
			continue;
		for (j = r->key[i] & mask; key[j]; j = (j + 1) & mask)
			;
		key[j] = r->key[i];
		entry[j] = r->entry[i];
	}
	free(r->key);
	free(r->entry);
	r->key = key;
	r->entry = entry;
	r->nslots = nslots;
	return 0;
}

struct filing {
	struct reach *r;
	__u32 entry;
};

/* File one variant (once per protected side). */
static int file_variant(void *ctx, __u64 h)
{
	struct filing *f = ctx;
	struct reach *r = f->r;
	size_t i, mask;

	if ((r->used + 1) * 2 > r->nslots &&
	    reach_resize(r, r->nslots ? r->nslots * 2 : REACH_SLOTS_MIN))
		return -ENOMEM;
	mask = r->nslots - 1;
	for (i = h & mask; r->key[i]; i = (i + 1) & mask)
		if (r->key[i] == h && r->entry[i] == f->entry)
			return 0;
	r->key[i] = h;
	r->entry[i] = f->entry;
	r->used++;
	return 0;
}

static void note_len(struct reach *r, int which, int n)
{
	if (!r->used || n < r->minlen[which])
		r->minlen[which] = n;
	if (!r->used || n > r->maxlen[which])
		r->maxlen[which] = n;
}

static int file_side(struct mxg_secondlook_index *ix, __u32 i)
{
	const struct prot_side *e = &ix->e[i];
	struct filing f = { &ix->reach, i };
	int err;

	if (e->limit > ix->reach.depth)
		ix->reach.depth = e->limit;
	note_len(&ix->reach, RAW, e->n);
	err = variants(RAW, e->cp, e->n, e->limit, file_variant, &f);
	if (err || !e->skel)
		return err;
	note_len(&ix->reach, SKEL, e->nskel);
	return variants(SKEL, e->skel, e->nskel, e->limit, file_variant, &f);
}

static int reach_build(struct mxg_secondlook_index *ix)
{
	size_t i;
	int err;

	for (i = 0; i < ix->n; i++)
		if (ix->e[i].limit > REACH_MAX)
			ix->linear = 1;
	for (i = 0; i < ix->n && !ix->linear; i++) {
		err = file_side(ix, (__u32)i);
		if (err)
			return err;
	}
	return 0;
}

struct lookup {
	const struct reach *r;
	unsigned char *candidate;	/* per protected side */
};

static int mark(void *ctx, __u64 h)
{
	struct lookup *l = ctx;
	const struct reach *r = l->r;
	size_t i, mask = r->nslots - 1;

	for (i = h & mask; r->key[i]; i = (i + 1) & mask)
		if (r->key[i] == h)
			l->candidate[r->entry[i]] = 1;
	return 0;
}

/* Variants only of what could be near a filed length: long names cost 0. */
static void mark_near(struct lookup *l, int which, const uint32_t *s, int n)
{
	const struct reach *r = l->r;
	int k = (int)r->depth;

	if (n >= r->minlen[which] - k && n <= r->maxlen[which] + k)
		variants(which, s, n, r->depth, mark, l);
}

/* Mark the protected sides a name seen may be within reach of. */
static void candidates(const struct mxg_secondlook_index *ix,
		       const struct side *seen, unsigned char *candidate)
{
	struct lookup l = { &ix->reach, candidate };

	if (ix->linear || !ix->reach.nslots) {
		memset(candidate, 1, ix->n);
		return;
	}
	mark_near(&l, RAW, seen->cp, seen->n);
	if (seen->nskel >= 0)
		mark_near(&l, SKEL, seen->skel, seen->nskel);
}

/* Decoded and skeletonised copies of @s, owned by @e. */
static int side_keep(struct prot_side *e, const struct side *s)
{
	int nskel = s->nskel > 0 ? s->nskel : 0;

	e->cp = malloc(sizeof(*e->cp) * (size_t)(s->n + nskel));
	if (!e->cp)
		return -ENOMEM;
	memcpy(e->cp, s->cp, sizeof(*e->cp) * s->n);
	e->n = s->n;
	e->skel = s->nskel >= 0 ? e->cp + s->n : NULL;
	e->nskel = s->nskel;
	if (e->skel)
		memcpy(e->skel, s->skel, sizeof(*e->skel) * nskel);
	return 0;
}

/* 1 with *e filled, 0 for a name the second look leaves alone, or -ENOMEM. */
static int prot_side_of(const struct mxg_secondlook_opts *o, const __u8 *pw,
			__u32 plen, struct side *scratch, struct prot_side *e)
{
	__u32 reg, suf;

	sl_cut(pw, plen, &reg, &suf);
	/*
	 * Not a protected TLD: its fuzzers already list every TLD one edit
	 * away, and the policy says which of them are lookalikes.
	 */
	if (suf == 0 || sl_decode(pw, plen, reg, scratch))
		return 0;
	sl_skeleton_of(scratch, o->skeleton);
	if (side_keep(e, scratch))
		return -ENOMEM;
	e->wire = pw;
	e->len = plen;
	e->limit = (unsigned int)scratch->label <= o->short_len ?
		   o->short_max : o->long_max;
	return 1;
}

/*
 * The action of each protected name: its protect line's, else the
 * strictest of the hand-written "lookalike ... of" rules that name it.
 * Rules the second look learnt take their action from here, so they do
 * not count.  One pass over the rules; out[i] for protected_names[i].
 */
static void protected_actions(const struct mxg_policy *p, __u8 *out)
{
	const struct mxg_policy_rule *r;
	size_t i;
	long k;

	for (i = 0; i < p->n; i++) {
		r = &p->rules[i];
		if (r->kind != MXG_RULE_LOOKALIKE || r->origin ||
		    (r->flags & (MXG_RULE_F_GENERATED | MXG_RULE_F_LEARNT)))
			continue;
		k = policy_find_protected(p, r->protected_wire,
					  r->protected_len);
		if (k >= 0 && r->action == MXG_ACTION_BLOCK)
			out[k] = MXG_ACTION_BLOCK;
	}
	for (i = 0; i < p->nprotected; i++)
		if (p->protected_names[i].protect)
			out[i] = p->protects[p->protected_names[i].protect - 1]
					 .action;
}

void secondlook_index_free(struct mxg_secondlook_index *ix)
{
	size_t i;

	if (!ix)
		return;
	for (i = 0; i < ix->n; i++)
		free(ix->e[i].cp);
	free(ix->e);
	free(ix->reach.key);
	free(ix->reach.entry);
	free(ix);
}

static int index_fill(struct mxg_secondlook_index *ix,
		      const struct mxg_policy *p,
		      const struct mxg_secondlook_opts *o, struct side *scratch,
		      const __u8 *action)
{
	const struct mxg_protected_name *pn;
	size_t i;
	int r;

	for (i = 0; i < p->nprotected; i++) {
		pn = &p->protected_names[i];
		r = prot_side_of(o, pn->wire, pn->len, scratch, &ix->e[ix->n]);
		if (r < 0)
			return r;
		if (r)
			ix->e[ix->n++].action = action[i];
	}
	return 0;
}

/* @reach 0: no reach table, every name compared (a single check). */
static struct mxg_secondlook_index *
build(const struct mxg_policy *p, const struct mxg_secondlook_opts *o,
      int reach)
{
	struct mxg_secondlook_opts defaults;
	struct mxg_secondlook_index *ix = calloc(1, sizeof(*ix));
	struct side *scratch = malloc(sizeof(*scratch));
	__u8 *action = calloc(p->nprotected + 1, 1);

	if (!o) {
		secondlook_defaults(&defaults);
		o = &defaults;
	}
	if (ix)
		ix->e = calloc(p->nprotected + 1, sizeof(*ix->e));
	if (!ix || !ix->e || !scratch || !action) {
		secondlook_index_free(ix);
		ix = NULL;
		goto out;
	}
	ix->skeleton = o->skeleton;
	ix->linear = !reach;
	protected_actions(p, action);
	if (index_fill(ix, p, o, scratch, action) || reach_build(ix)) {
		secondlook_index_free(ix);
		ix = NULL;
	}
out:
	free(action);
	free(scratch);
	return ix;
}

struct mxg_secondlook_index *
secondlook_index(const struct mxg_policy *p,
		 const struct mxg_secondlook_opts *o)
{
	return build(p, o, 1);
}

size_t secondlook_index_size(const struct mxg_secondlook_index *ix)
{
	return ix ? ix->n : 0;
}

int secondlook_action_of(const struct mxg_secondlook_index *ix,
			 const __u8 *wire, __u32 len)
{
	size_t i;

	for (i = 0; ix && i < ix->n; i++)
		if (ix->e[i].len == len && !memcmp(ix->e[i].wire, wire, len))
			return ix->e[i].action;
	return -1;
}

/* --- the check ------------------------------------------------------------ */

static int same_cp(const struct side *a, const struct prot_side *b)
{
	return a->n == b->n && !memcmp(a->cp, b->cp, a->n * sizeof(a->cp[0]));
}

static int same_skel(const struct side *a, const struct prot_side *b)
{
	return b->skel && a->nskel >= 0 && a->nskel == b->nskel &&
	       !memcmp(a->skel, b->skel, a->nskel * sizeof(a->skel[0]));
}

/* Edits are never fewer than the difference in length. */
static int in_reach(int na, int nb, unsigned int limit)
{
	return (unsigned int)abs(na - nb) <= limit;
}

/*
 * One protected name against what was seen; 1 with *f filled.  The
 * distance is measured on the names and on their skeletons, and the
 * smaller counts; lengths alone rule most protected names out.
 */
static int compare(const struct prot_side *e, const struct side *mine,
		   struct mxg_secondlook_finding *f)
{
	unsigned int best = e->limit + 1, d;

	if (same_cp(mine, e))
		return 0;
	if (same_skel(mine, e)) {
		f->method = MXG_ORIGIN_SKELETON;
		f->distance = secondlook_distance(mine->cp, mine->n, e->cp,
						  e->n);
		goto found;
	}
	if (in_reach(mine->n, e->n, e->limit)) {
		d = secondlook_distance(mine->cp, mine->n, e->cp, e->n);
		best = d < best ? d : best;
	}
	if (e->skel && mine->nskel >= 0 &&
	    in_reach(mine->nskel, e->nskel, e->limit)) {
		d = secondlook_distance(mine->skel, mine->nskel, e->skel,
					e->nskel);
		best = d < best ? d : best;
	}
	if (best > e->limit)
		return 0;
	f->method = MXG_ORIGIN_EDIT_DISTANCE;
	f->distance = best;
found:
	f->protected_wire = e->wire;
	f->protected_len = e->len;
	f->action = e->action;
	return 1;
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

int secondlook_match(const struct mxg_policy *p,
		     const struct mxg_secondlook_index *ix, const __u8 *wire,
		     __u32 len, struct mxg_secondlook_finding *out, size_t max)
{
	struct mxg_secondlook_finding f;
	unsigned char *candidate;
	struct side *seen;
	size_t i, n = 0;
	__u32 reg, suf;

	if (!len || !max || !ix || !ix->n || is_trusted(p, wire, len))
		return 0;
	seen = malloc(sizeof(*seen));
	candidate = calloc(ix->n, 1);
	if (!seen || !candidate) {
		free(seen);
		free(candidate);
		return -ENOMEM;
	}
	sl_cut(wire, len, &reg, &suf);
	if (!sl_decode(wire, len, reg, seen)) {
		sl_skeleton_of(seen, ix->skeleton);
		candidates(ix, seen, candidate);
		/* In policy order, so ties fall as a full scan's would. */
		for (i = 0; i < ix->n; i++)
			if (candidate[i] && compare(&ix->e[i], seen, &f))
				keep(out, &n, max, &f);
	}
	free(candidate);
	free(seen);
	return (int)n;
}

int secondlook_check(const struct mxg_policy *p,
		     const struct mxg_secondlook_opts *o, const __u8 *wire,
		     __u32 len, struct mxg_secondlook_finding *out,
		     size_t max)
{
	struct mxg_secondlook_index *ix;
	int ret;

	if (!len || !max || !p->nprotected || is_trusted(p, wire, len))
		return 0;
	/* For one name the reach table would cost more than it saves. */
	ix = build(p, o, 0);
	if (!ix)
		return -ENOMEM;
	ret = secondlook_match(p, ix, wire, len, out, max);
	secondlook_index_free(ix);
	return ret;
}
