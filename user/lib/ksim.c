// SPDX-License-Identifier: GPL-2.0-only
/* Kernel similarity entries (ksim.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mxguard/hash.h"

#include "ksim.h"
#include "name.h"

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
	if (m + 1 == n)				/* deletion */
		return same(x + p, L + p + 1, m - p);
	if (m == n + 1)				/* insertion, not first */
		return p > 0 && same(x + p + 1, L + p, n - p);
	if (m != n || p == m)
		return 0;
	if (p > 0 && same(x + p + 1, L + p + 1, n - p - 1))
		return 1;			/* substitution */
	return p + 1 < n && x[p] == L[p + 1] && x[p + 1] == L[p] &&
	       same(x + p + 2, L + p + 2, n - p - 2);	/* transposition */
}

const struct mxg_protect *ksim_match(const struct mxg_policy *p,
				     const __u8 *wire, __u32 len)
{
	const struct mxg_protect *pr;
	__u32 m, n;
	size_t i;

	if (!len || !ksim_count(p) || policy_find_protected(p, wire, len) >= 0)
		return NULL;
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

	/* The label, its deletions, and at most one suffix entry. */
	for (i = 0; i < p->nprotects; i++)
		if (ksim_eligible(&p->protects[i]))
			n += 2 + p->protects[i].wire[0];
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

long ksim_build(const struct mxg_policy *p, __u64 seed, __u32 gen,
		__u64 *keys, struct mxg_sim *vals, struct ksim_stats *st)
{
	size_t i, n = 0, out = 0, run = 0, cap = ksim_count(p);
	const struct mxg_protect *pr;
	struct pending *e;
	struct mxg_sim v;
	__u32 m, k, j;
	__u64 sfx, h;

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
	st->entries = out;
	return (long)out;
}
