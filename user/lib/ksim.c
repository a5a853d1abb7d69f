// SPDX-License-Identifier: GPL-2.0-only
/* Kernel similarity entries (ksim.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mxguard/hash.h"

#include "ksim.h"
#include "lookalike.h"
#include "name.h"
#include "secondlook.h"

_Static_assert(sizeof(struct mxg_sim) == sizeof(struct mxg_rule),
	       "moved-dot entries are rules in the similarity entries' array");

__u64 ksim_key(__u64 seed, __u64 sfx, __u32 slot, __u64 h, __u32 len)
{
	return mxg_poly_key(seed ^ sfx, (__u8)(MXG_SIM_KIND + slot), h, len);
}

const struct mxg_protect *ksim_protect(const struct mxg_policy *p,
				       __u32 rule_id)
{
	__u32 idx = rule_id & 0xffffffu;

	if (!p || idx == 0xffffffu || !(idx & MXG_RULE_SIM) ||
	    p->n >= KSIM_RULES_MAX)
		return NULL;
	idx &= ~MXG_RULE_SIM;
	return idx < p->nprotects ? &p->protects[idx] : NULL;
}

int ksim_eligible(const struct mxg_protect *pr)
{
	__u32 n;

	if (!pr->wire || pr->len < 2)
		return 0;
	n = pr->wire[0];
	if (!n || n > MXG_SIM_LABEL_MAX || 1 + n >= pr->len)
		return 0;
	return !(n >= 4 && !memcmp(pr->wire + 1, "xn--", 4));
}

static int same(const __u8 *a, const __u8 *b, __u32 n)
{
	return !n || !memcmp(a, b, n);
}

int ksim_label_match(const __u8 *x, __u32 m, const __u8 *L, __u32 n)
{
	__u32 p = 0;

	while (p < m && p < n && x[p] == L[p])
		p++;
	if (m + 1 == n)		/* deletion, the first only of long labels */
		return (p > 0 || n > MXG_SIM_SHORT) &&
		       same(x + p, L + p + 1, m - p);
	if (m == n + 1)				/* insertion, not first */
		return p > 0 && same(x + p + 1, L + p, n - p);
	if (m != n || p == m)
		return 0;
	if (p > 0 && same(x + p + 1, L + p + 1, n - p - 1))
		return 1;			/* substitution */
	return p + 1 < n && x[p] == L[p + 1] && x[p + 1] == L[p] &&
	       same(x + p + 2, L + p + 2, n - p - 2);	/* transposition */
}

/*
 * Moved dots.  The second look takes "gmailc.om" for "gmail.com" when the
 * registrable parts run together without their dots are equal and the
 * first labels differ in length (similar.c's moved_dot()).  A protected
 * part D of N bytes has at most N - 1 such names of two labels, D cut
 * once, so they are filed whole: rule-shaped entries under the FNV hash of
 * the name, which the policy walk of mxg_hash_name() already looks up for
 * every suffix of every name.  The kernel pays nothing per response, and
 * a subdomain (mx.gmailc.om) matches as under any rule.  Only cuts whose
 * every name the second look would also take are filed (dot_cut()).
 */
struct dotless {
	__u8 d[MXG_NAME_MAX];	/* the registrable part, without dots */
	__u32 n;
	__u32 nl;		/* bytes of its first label */
};

/* The protected side of @pr as the second look cuts it; 0: none. */
static int dot_side(const struct mxg_protect *pr, struct dotless *o)
{
	__u32 reg, pos, k;

	/* A public suffix has no registrable part: the second look skips it. */
	if (!ksim_eligible(pr) || lookalike_is_public_suffix(pr->wire, pr->len))
		return 0;
	reg = secondlook_registrable_offset(pr->wire, pr->len);
	o->n = 0;
	o->nl = pr->wire[reg];
	for (pos = reg; pos < pr->len; pos += 1 + k) {
		k = pr->wire[pos];
		/* The second look compares A-labels decoded: not bytes. */
		if (pos + 1 + k > pr->len || (k >= 4 &&
					      !memcmp(pr->wire + pos + 1,
						      "xn--", 4)))
			return 0;
		memcpy(o->d + o->n, pr->wire + pos + 1, k);
		o->n += k;
	}
	return o->n >= 2;
}

/*
 * The name of cut @j of @o (D[0..j) "." D[j..n)) into @wire; 1 when it is
 * filed: a moved dot the second look takes whole, on it and on its
 * subdomains, and that no rule decides first.
 */
static int dot_cut(const struct mxg_policy *p, const struct dotless *o,
		   __u32 j, __u8 *wire, __u32 *len)
{
	__u8 probe[MXG_NAME_MAX];
	__u32 ny = o->n - j;

	/* The same first label's length: not a moved dot (or the name). */
	if (!j || j >= o->n || j == o->nl || j > MXG_SIM_LABEL_MAX ||
	    ny > MXG_SIM_LABEL_MAX || 3 + o->n > MXG_NAME_MAX)
		return 0;
	wire[0] = (__u8)j;
	memcpy(wire + 1, o->d, j);
	wire[1 + j] = (__u8)ny;
	memcpy(wire + 2 + j, o->d + j, ny);
	*len = 2 + o->n;
	if ((j >= 4 && !memcmp(wire + 1, "xn--", 4)) ||
	    (ny >= 4 && !memcmp(wire + 2 + j, "xn--", 4)))
		return 0;
	/*
	 * A rule (allow, a protected name's own, a lookalike) decides the
	 * name in the kernel, and the second look trusts a name under a
	 * protected one (is_trusted()).
	 */
	if (policy_match(p, wire, *len) >= 0 ||
	    policy_find_protected(p, wire, *len) >= 0 ||
	    (policy_find_protected(p, wire + 1 + j, 1 + ny) >= 0 &&
	     !lookalike_is_public_suffix(wire + 1 + j, 1 + ny)))
		return 0;
	/*
	 * The second look compares the registrable part: that of the name
	 * and of each subdomain must be the name itself, not a wildcard's
	 * (*.x.y) or a suffix's (x.y itself public).
	 */
	probe[0] = 1;
	probe[1] = 'a';
	memcpy(probe + 2, wire, *len);
	return secondlook_registrable_offset(probe, *len + 2) == 2;
}

/* Do @pr's labels, run together, end in @x (@nx bytes) and @y (@ny)? */
static int dot_tail(const struct mxg_protect *pr, const __u8 *x, __u32 nx,
		    const __u8 *y, __u32 ny)
{
	__u8 d[MXG_NAME_MAX];
	__u32 pos, n = 0;

	for (pos = 0; pos < pr->len && pos + 1 + pr->wire[pos] <= pr->len;
	     pos += 1 + pr->wire[pos]) {
		memcpy(d + n, pr->wire + pos + 1, pr->wire[pos]);
		n += pr->wire[pos];
	}
	return n >= nx + ny && !memcmp(d + n - nx - ny, x, nx) &&
	       !memcmp(d + n - ny, y, ny);
}

/* The protect directive whose moved-dot entry @wire's last two labels are. */
static const struct mxg_protect *dot_match(const struct mxg_policy *p,
					   const __u8 *wire, __u32 len)
{
	struct dotless *o = malloc(sizeof(*o));
	const struct mxg_protect *found = NULL;
	__u32 pos, last = 0, before = 0, labels = 0, x, y, clen;
	const __u8 *t;
	__u8 cut[MXG_NAME_MAX];
	size_t i;

	if (!o)
		return NULL;
	for (pos = 0; pos < len; pos += 1 + wire[pos]) {
		before = last;
		last = pos;
		labels++;
	}
	if (pos != len || labels < 2)
		goto out;
	t = wire + before;
	x = t[0];
	y = t[1 + x];
	for (i = 0; i < p->nprotects && i < MXG_RULE_SIM && !found; i++) {
		/* Bytes first: libpsl only for the one whose bytes they are. */
		if (!dot_tail(&p->protects[i], t + 1, x, t + 2 + x, y) ||
		    !dot_side(&p->protects[i], o) || o->n != x + y ||
		    memcmp(o->d, t + 1, x) || memcmp(o->d + x, t + 2 + x, y) ||
		    !dot_cut(p, o, x, cut, &clen))
			continue;
		found = &p->protects[i];
	}
out:
	free(o);
	return found;
}

const struct mxg_protect *ksim_match(const struct mxg_policy *p,
				     const __u8 *wire, __u32 len)
{
	const struct mxg_protect *pr;
	__u32 m, n;
	size_t i;

	if (!len || !ksim_count(p) || policy_find_protected(p, wire, len) >= 0)
		return NULL;
	/* The policy walk meets a moved dot's entry before the match. */
	pr = dot_match(p, wire, len);
	if (pr)
		return pr;
	m = wire[0];
	if (!m || m > MXG_SIM_LABEL_MAX || 1 + m >= len ||
	    (m >= 4 && !memcmp(wire + 1, "xn--", 4)))
		return NULL;
	for (i = 0; i < p->nprotects; i++) {
		pr = &p->protects[i];
		if (!ksim_eligible(pr))
			continue;
		n = pr->wire[0];
		if (pr->len - 1 - n != len - 1 - m ||
		    memcmp(pr->wire + 1 + n, wire + 1 + m, len - 1 - m))
			continue;
		if (ksim_label_match(wire + 1, m, pr->wire + 1, n))
			return pr;
	}
	return NULL;
}

/* The bytes of @pr's labels, less one: what dot_side() may cut. */
static size_t dot_bound(const struct mxg_protect *pr)
{
	__u32 pos, bytes = 0;

	for (pos = 0; pos < pr->len; pos += 1 + pr->wire[pos])
		bytes += pr->wire[pos];
	return bytes ? bytes - 1 : 0;
}

size_t ksim_count(const struct mxg_policy *p)
{
	size_t i, n = 0;

	/*
	 * Rule ids of similarity matches set MXG_RULE_SIM over a protect
	 * index; a policy with rule indexes near that bit (4M rules, room
	 * left for learnt ones) gets no kernel similarity, so the two never
	 * meet.
	 */
	if (p->n >= KSIM_RULES_MAX)
		return 0;

	/*
	 * The label, its deletions, and at most one suffix entry; the moved
	 * dots at most once per byte of the name but one (dot_side() takes
	 * only the registrable part).
	 */
	for (i = 0; i < p->nprotects; i++)
		if (ksim_eligible(&p->protects[i]))
			n += 2 + p->protects[i].wire[0] +
			     dot_bound(&p->protects[i]);
	return n;
}

struct pending {
	__u64 base;		/* the slot-0 key: sorts the same hashes together */
	__u64 h, sfx;
	__u32 len;
	struct mxg_sim val;
	int lengths;		/* the suffix's entry: no slots of its own */
};

static int cmp_pending(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;

	if (x->base != y->base)
		return x->base < y->base ? -1 : 1;
	if (x->lengths != y->lengths)
		return x->lengths ? -1 : 1;
	/* MXG_SIM_WHOLE (0xff) first, then by position: stable output. */
	if (x->val.pos != y->val.pos)
		return x->val.pos > y->val.pos ? -1 : 1;
	return x->val.rule_id < y->val.rule_id ? -1 :
	       x->val.rule_id > y->val.rule_id;
}

static void add(struct pending *e, __u64 seed, __u64 sfx, __u64 h, __u32 len,
		const struct mxg_sim *v)
{
	e->h = h;
	e->sfx = sfx;
	e->len = len;
	e->base = ksim_key(seed, sfx, 0, h, len);
	e->val = *v;
}

/* One moved dot's entry: in policy order within a key, the first kept. */
struct dot_pending {
	__u64 key;
	__u32 order;
	struct mxg_rule val;
};

static int cmp_dot(const void *a, const void *b)
{
	const struct dot_pending *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/*
 * The moved dots' entries of @p after the @out already in @keys/@vals;
 * the new total, or -ENOMEM.  Two protected names run together alike
 * ("gmail.com", "gmai.lcom") file a name once, for the first of them, as
 * dot_match() finds it.
 */
static long dots_build(const struct mxg_policy *p, __u64 seed, __u32 gen,
		       __u64 *keys, struct mxg_sim *vals, size_t out,
		       struct ksim_stats *st)
{
	struct dotless *o = malloc(sizeof(*o));
	struct dot_pending *d;
	const struct mxg_protect *pr;
	size_t i, n = 0, cap = 0;
	__u8 wire[MXG_NAME_MAX];
	__u32 j, len;

	for (i = 0; i < p->nprotects; i++)
		if (ksim_eligible(&p->protects[i]))
			cap += dot_bound(&p->protects[i]);
	d = calloc(cap + 1, sizeof(*d));
	if (!o || !d) {
		free(o);
		free(d);
		return -ENOMEM;
	}
	for (i = 0; i < p->nprotects && i < MXG_RULE_SIM; i++) {
		pr = &p->protects[i];
		if (!dot_side(pr, o))
			continue;
		for (j = 1; j < o->n && n < cap; j++) {
			if (!dot_cut(p, o, j, wire, &len))
				continue;
			d[n].key = mxg_name_hash(seed, wire, len);
			d[n].order = (__u32)i;
			d[n].val.protected_hash = mxg_name_hash(seed, pr->wire,
								pr->len);
			d[n].val.rule_id = (gen << 24) | MXG_RULE_SIM |
					   (__u32)i;
			d[n].val.verdict = MXG_VERDICT_LOOKALIKE;
			d[n].val.action = pr->action;
			n++;
		}
	}
	qsort(d, n, sizeof(*d), cmp_dot);
	for (i = 0; i < n; i++) {
		if (i && d[i].key == d[i - 1].key)
			continue;
		keys[out] = d[i].key;
		memcpy(&vals[out++], &d[i].val, sizeof(d[i].val));
		st->dots++;
	}
	free(d);
	free(o);
	return (long)out;
}

long ksim_build(const struct mxg_policy *p, __u64 seed, __u32 gen,
		__u64 *keys, struct mxg_sim *vals, struct ksim_stats *st)
{
	size_t i, n = 0, out = 0, run = 0, cap = ksim_count(p);
	const struct mxg_protect *pr;
	struct pending *e;
	struct mxg_sim v;
	__u32 m, k, j;
	__u64 sfx, h;
	long dots;

	memset(st, 0, sizeof(*st));
	if (!cap)
		return 0;	/* also for p->n >= KSIM_RULES_MAX */
	e = calloc(cap, sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (i = 0; i < p->nprotects && i < MXG_RULE_SIM; i++) {
		pr = &p->protects[i];
		if (!ksim_eligible(pr))
			continue;
		m = pr->wire[0];
		sfx = mxg_name_hash(seed, pr->wire + 1 + m, pr->len - 1 - m);
		memset(&v, 0, sizeof(v));
		v.protected_hash = mxg_name_hash(seed, pr->wire, pr->len);
		v.rule_id = (gen << 24) | MXG_RULE_SIM | (__u32)i;
		v.action = pr->action;
		v.pos = MXG_SIM_WHOLE;
		for (h = 0, j = 0; j < m; j++)
			h = mxg_poly_step(h, pr->wire[1 + j]);
		add(&e[n++], seed, sfx, h, m, &v);
		/* The suffix's lengths: merged with its other names below. */
		memset(&e[n], 0, sizeof(e[n]));
		e[n].lengths = 1;
		e[n].sfx = sfx;
		e[n].base = ksim_key(seed, sfx, MXG_SIM_SLOTS, 0, 0);
		e[n].val.pos = MXG_SIM_WHOLE;
		e[n++].val.protected_hash = 1ULL << m;
		for (k = 0; k < m; k++) {
			for (h = 0, j = 0; j < m; j++)
				if (j != k)
					h = mxg_poly_step(h, pr->wire[1 + j]);
			v.pos = (__u8)k;
			v.byte = pr->wire[1 + k];
			add(&e[n++], seed, sfx, h, m - 1, &v);
		}
		st->names++;
	}
	qsort(e, n, sizeof(*e), cmp_pending);
	for (i = 0; i < n; i++) {
		if (e[i].lengths) {
			if (out && i && e[i - 1].lengths &&
			    e[i].base == e[i - 1].base) {
				vals[out - 1].protected_hash |=
					e[i].val.protected_hash;
				continue;
			}
			keys[out] = e[i].base;
			vals[out++] = e[i].val;
			continue;
		}
		run = i && e[i].base == e[i - 1].base ? run + 1 : 0;
		if (run >= MXG_SIM_SLOTS) {
			st->dropped++;
			continue;
		}
		keys[out] = ksim_key(seed, e[i].sfx, (__u32)run, e[i].h,
				     e[i].len);
		vals[out++] = e[i].val;
	}
	free(e);
	dots = dots_build(p, seed, gen, keys, vals, out, st);
	if (dots < 0)
		return dots;
	st->entries = (size_t)dots;
	return dots;
}
