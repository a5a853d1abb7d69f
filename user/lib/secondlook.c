// SPDX-License-Identifier: GPL-2.0-only
/*
 * The second look: a name seen on the wire against the policy's protected
 * names, through an index of the protected side built once per policy.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lookalike.h"
#include "secondlook.h"
#include "secondlook_int.h"
#include "similar.h"
#include "words.h"

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
	int label, skel_label;	/* code points of the first label */
	unsigned int limit;	/* edits in reach: by its first label */
	unsigned int flags;	/* SIMILAR_F_* of its protect line */
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
#define KIND(which) ((which) == RAW ? SIMILAR_LABEL : SIMILAR_SKELETON)

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
	unsigned int flags;	/* SIMILAR_F_* */
	int linear;		/* a limit past REACH_MAX: no reach table */
	struct reach reach;
};

typedef int (*variant_fn)(void *ctx, __u64 h);

/*
 * Every variant of @s with up to @k (<= 2) deletions, hashed as
 * similar_hash() does (the polynomial hash a BPF map could share).
 */
static int variants(int which, const uint32_t *s, int n, unsigned int k,
		    variant_fn fn, void *ctx)
{
	int i, j, err = fn(ctx, similar_hash(which, s, n, -1, -1));

	for (i = 0; i < n && k >= 1 && !err; i++) {
		err = fn(ctx, similar_hash(which, s, n, i, -1));
		for (j = i + 1; j < n && k >= 2 && !err; j++)
			err = fn(ctx, similar_hash(which, s, n, i, j));
	}
	return err;
}

/* The first label of @s (up to its first dot). */
static int first_label(const uint32_t *s, int n)
{
	int i;

	for (i = 0; i < n && s[i] != '.'; i++)
		;
	return i;
}

/* Label and suffix run together: the moved-dot key. */
static __u64 dotless_hash(const uint32_t *s, int n)
{
	uint32_t buf[CP_MAX];
	int i, m = 0;

	for (i = 0; i < n && m < CP_MAX; i++)
		if (s[i] != '.')
			buf[m++] = s[i];
	return similar_hash(SIMILAR_DOTLESS, buf, m, -1, -1);
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

/*
 * A protected part files the deletion variants of its label, as far as
 * the label reaches (similar_reach), raw and skeleton, and its label and
 * suffix run together (moved dots): everything similar_judge() can
 * accept shares one of these with the name it accepts.
 */
static int file_side(struct mxg_secondlook_index *ix, __u32 i)
{
	const struct prot_side *e = &ix->e[i];
	struct filing f = { &ix->reach, i };
	unsigned int k = similar_reach(e->label);
	int err;

	if (k > ix->reach.depth)
		ix->reach.depth = k;
	note_len(&ix->reach, RAW, e->label);
	err = variants(KIND(RAW), e->cp, e->label, k, file_variant, &f);
	if (!err)
		err = file_variant(&f, dotless_hash(e->cp, e->n));
	if (err || !e->skel)
		return err;
	note_len(&ix->reach, SKEL, e->skel_label);
	return variants(KIND(SKEL), e->skel, e->skel_label, k, file_variant,
			&f);
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
		variants(KIND(which), s, n, r->depth, mark, l);
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
	mark_near(&l, RAW, seen->cp, seen->label);
	mark(&l, dotless_hash(seen->cp, seen->n));
	if (seen->nskel >= 0)
		mark_near(&l, SKEL, seen->skel,
			  first_label(seen->skel, seen->nskel));
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
	e->label = s->label;
	e->skel_label = e->skel ? first_label(e->skel, e->nskel) : 0;
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
		k = (long)r->protected_idx - 1;
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
		if (!r)
			continue;
		ix->e[ix->n].flags = pn->protect &&
				     p->protects[pn->protect - 1].any_first ?
				     SIMILAR_F_ANY_FIRST : 0;
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
	ix->flags = o->similar_flags;
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

/*
 * What the word list says of the two first labels (SIMILAR_TAIL_*,
 * SIMILAR_LABEL_*, SIMILAR_SEEN_WORD; words.h), asked only when their
 * first characters differ, the one case where it decides: so a policy
 * whose names are never seen so (the benches' "lookalike ... of") never
 * reads the list.  Nothing without a list.
 */
static unsigned int first_words(const struct prot_side *e,
				struct side *mine)
{
	unsigned int flags;

	if (e->label < 2 || !mine->label || mine->cp[0] == e->cp[0])
		return 0;
	flags = words_first_flags(e->cp, e->label);
	if (mine->word < 0)
		mine->word = words_has(mine->cp, mine->label) == 1;
	return flags | (mine->word ? SIMILAR_SEEN_WORD : 0);
}

/* similar_judge() on @a and @b split at their first dots. */
static unsigned int judge_parts(const uint32_t *a, int na, const uint32_t *b,
				int nb, int tier, unsigned int flags)
{
	int la = first_label(a, na), lb = first_label(b, nb);
	int sa = la < na ? la + 1 : na, sb = lb < nb ? lb + 1 : nb;

	return similar_judge(a, la, a + sa, na - sa, b, lb, b + sb, nb - sb,
			     tier, flags);
}

/*
 * One protected name against what was seen; 1 with *f filled.  Equal
 * skeletons first; then similar_judge() by parts, on the names and on
 * their skeletons (a homoglyph and a typo), the fewer edits counting.
 */
static int compare(const struct mxg_secondlook_index *ix,
		   const struct prot_side *e, struct side *mine,
		   struct mxg_secondlook_finding *f, int joined)
{
	unsigned int best = 0, d, weak = 0;

	if (same_cp(mine, e)) {
		if (!joined)
			return 0;
		/* "hot.mail.com": the dot typed in is the one edit. */
		f->method = MXG_ORIGIN_EDIT_DISTANCE;
		f->distance = 1;
		goto found;
	}
	if (same_skel(mine, e)) {
		f->method = MXG_ORIGIN_SKELETON;
		f->distance = secondlook_distance(mine->cp, mine->n, e->cp,
						  e->n);
		goto found;
	}
	best = judge_parts(mine->cp, mine->n, e->cp, e->n, -1,
			   ix->flags | e->flags | first_words(e, mine));
	weak = best & SIMILAR_WEAK;
	best &= ~SIMILAR_WEAK;
	/* By skeletons only when they start alike ("rn" is "m"'s). */
	if (e->skel && mine->nskel > 0 && e->nskel > 0 &&
	    mine->skel[0] == e->skel[0]) {
		/* The word list speaks of the raw labels only. */
		d = judge_parts(mine->skel, mine->nskel, e->skel, e->nskel,
				e->label, ix->flags | e->flags);
		if ((d & ~SIMILAR_WEAK) &&
		    (!best || (d & ~SIMILAR_WEAK) < best ||
		     ((d & ~SIMILAR_WEAK) == best && !(d & SIMILAR_WEAK)))) {
			best = d & ~SIMILAR_WEAK;
			weak = d & SIMILAR_WEAK;
		}
	}
	if (!best)
		return 0;
	f->method = MXG_ORIGIN_EDIT_DISTANCE;
	f->distance = best;
found:
	f->protected_wire = e->wire;
	f->protected_len = e->len;
	/* The weakest rule's findings alert, whatever the name's action. */
	f->action = weak ? MXG_ACTION_ALERT : e->action;
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

/* Compare the registrable part of @wire from @reg on; keep what is near. */
static void match_part(const struct mxg_secondlook_index *ix,
		       const __u8 *wire, __u32 len, __u32 reg,
		       struct side *seen, unsigned char *candidate,
		       struct mxg_secondlook_finding *out, size_t *n,
		       size_t max, int dot_typed)
{
	struct mxg_secondlook_finding f;
	size_t i;

	if (sl_decode(wire, len, reg, seen))
		return;
	sl_skeleton_of(seen, ix->skeleton);
	seen->word = -1;	/* first_words() asks when it must */
	memset(candidate, 0, ix->n);
	candidates(ix, seen, candidate);
	/* In policy order, so ties fall as a full scan's would. */
	for (i = 0; i < ix->n; i++) {
		if (!candidate[i] ||
		    !compare(ix, &ix->e[i], seen, &f, dot_typed))
			continue;
		f.dot_typed = (__u8)dot_typed;
		keep(out, n, max, &f);
	}
}

/*
 * A dot typed inside the label ("gm.ail.com", "gmail.co.com") moves the
 * registrable part to the right.  When the part itself is near nothing,
 * the label before it is joined back to it ("gmail" "co" -> "gmailco")
 * and compared once more.
 */
static void match_joined(const struct mxg_secondlook_index *ix,
			 const __u8 *wire, __u32 len, __u32 reg,
			 struct side *seen, unsigned char *candidate,
			 struct mxg_secondlook_finding *out, size_t *n,
			 size_t max)
{
	__u8 joined[MXG_NAME_MAX];
	__u32 prev, pos, k;

	if (!reg)
		return;
	for (prev = 0, pos = 0; pos < reg; pos += 1 + wire[pos])
		prev = pos;
	k = (__u32)wire[prev] + wire[reg];
	if (k > 63 || len - prev > sizeof(joined))
		return;
	joined[0] = (__u8)k;
	memcpy(joined + 1, wire + prev + 1, wire[prev]);
	memcpy(joined + 1 + wire[prev], wire + reg + 1,
	       len - reg - 1);
	match_part(ix, joined, len - prev - 1, 0, seen, candidate, out, n,
		   max, 1);
}

int secondlook_match(const struct mxg_policy *p,
		     const struct mxg_secondlook_index *ix, const __u8 *wire,
		     __u32 len, struct mxg_secondlook_finding *out, size_t max)
{
	unsigned char *candidate;
	struct side *seen;
	size_t n = 0;
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
	match_part(ix, wire, len, reg, seen, candidate, out, &n, max, 0);
	if (!n)
		match_joined(ix, wire, len, reg, seen, candidate, out, &n,
			     max);
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

/* --- explaining a finding ------------------------------------------------- */

/* Registrable part of @wire, joined to the label before when @joined. */
static int part_of(const __u8 *wire, __u32 len, int joined, struct side *s)
{
	__u8 buf[MXG_NAME_MAX];
	__u32 reg, suf, prev, pos, k;

	sl_cut(wire, len, &reg, &suf);
	if (!joined || !reg)
		return sl_decode(wire, len, reg, s);
	for (prev = 0, pos = 0; pos < reg; pos += 1 + wire[pos])
		prev = pos;
	k = (__u32)wire[prev] + wire[reg];
	if (k > 63)
		return -1;
	buf[0] = (__u8)k;
	memcpy(buf + 1, wire + prev + 1, wire[prev]);
	memcpy(buf + 1 + wire[prev], wire + reg + 1, len - reg - 1);
	return sl_decode(buf, len - prev - 1, 0, s);
}

static int explain_parts(const struct side *a, const struct side *b,
			 char *out, size_t size)
{
	int sa = a->label < a->n ? a->label + 1 : a->n;
	int sb = b->label < b->n ? b->label + 1 : b->n;

	return similar_explain(a->cp, a->label, a->cp + sa, a->n - sa,
			       b->cp, b->label, b->cp + sb, b->n - sb, out,
			       size);
}

int secondlook_explain(const __u8 *wire, __u32 len, const __u8 *pwire,
		       __u32 plen, int dot_typed, char *out, size_t size)
{
	struct side *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	char head[64] = "";
	int ret = -1;

	if (!a || !b || part_of(wire, len, dot_typed, a) ||
	    part_of(pwire, plen, 0, b))
		goto out;
	if (dot_typed && a->n == b->n &&
	    !memcmp(a->cp, b->cp, sizeof(*a->cp) * a->n)) {
		snprintf(out, size, "typed a dot inside the label");
		ret = 0;
		goto out;
	}
	if (dot_typed)
		snprintf(head, sizeof(head), "typed a dot inside the label; ");
	ret = explain_parts(a, b, out + strlen(head), size - strlen(head));
	if (ret && a->label == b->label && size > strlen(head)) {
		/* A whole-script homograph: every change a look-alike. */
		int i, changed = 0, ascii = 0;

		for (i = 0; i < a->label; i++) {
			if (a->cp[i] == b->cp[i])
				continue;
			changed++;
			ascii += a->cp[i] < 0x80;
		}
		if (changed && !ascii) {
			snprintf(out + strlen(head), size - strlen(head),
				 "replaced %d letter%s with look-alikes from "
				 "another script", changed,
				 changed == 1 ? "" : "s");
			ret = 0;
		}
	}
	if (ret && size > strlen(head)) {
		/* Looks the same: say so rather than count edits. */
		sl_skeleton_of(a, 1);
		sl_skeleton_of(b, 1);
		if (a->nskel >= 0 && a->nskel == b->nskel &&
		    !memcmp(a->skel, b->skel, sizeof(*a->skel) * a->nskel)) {
			snprintf(out + strlen(head), size - strlen(head),
				 "looks the same (UTS #39 skeleton)");
			ret = 0;
		}
	}
	if (!ret)
		memcpy(out, head, strlen(head));
out:
	free(a);
	free(b);
	return ret;
}

__u32 secondlook_finding_offset(const __u8 *wire, __u32 len,
				const struct mxg_secondlook_finding *f)
{
	__u32 reg = secondlook_registrable_offset(wire, len), prev, pos;

	if (!f->dot_typed || !reg)
		return reg;
	for (prev = 0, pos = 0; pos < reg; pos += 1 + wire[pos])
		prev = pos;
	return prev;
}
