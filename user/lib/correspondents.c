// SPDX-License-Identifier: GPL-2.0-only
/* Correspondents: learnt recipient domains, and who imitates them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "correspondents.h"
#include "correspondents_int.h"
#include "lookalike.h"
#include "name.h"
#include "policy_int.h"

/* The index may take this share of the loop's time: cost * 100 apart. */
#define REBUILD_SPACING	100
#define REBUILD_FREE_US	1000

void corr_defaults(struct mxg_corr_opts *o)
{
	o->max = MXG_CORR_MAX;
	o->window_s = MXG_CORR_WINDOW_DEFAULT;
	o->min_count = MXG_CORR_MIN_COUNT_DEFAULT;
	o->min_days = MXG_CORR_MIN_DAYS_DEFAULT;
	o->action = MXG_ACTION_ALERT;
}

static unsigned long long mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

/* --- the table and its hash index ----------------------------------------- */

static void reindex(struct mxg_correspondents *t)
{
	size_t i, j, mask = t->nslots - 1;

	memset(t->slots, 0, t->nslots * sizeof(*t->slots));
	for (i = 0; i < t->n; i++) {
		j = mxg_name_hash(0, t->c[i].name, t->c[i].len) & mask;
		while (t->slots[j])
			j = (j + 1) & mask;
		t->slots[j] = (__u32)i + 1;
	}
}

int corr_init(struct mxg_correspondents *t, const struct mxg_corr_opts *o,
	      long long now)
{
	memset(t, 0, sizeof(*t));
	t->o = *o;
	if (!t->o.max)
		t->o.max = 1;
	for (t->nslots = 16; t->nslots < 2 * t->o.max; t->nslots *= 2)
		;
	t->c = calloc(t->o.max, sizeof(*t->c));
	t->slots = calloc(t->nslots, sizeof(*t->slots));
	t->since = now;
	policy_init(&t->shadow);
	if (!t->c || !t->slots) {
		corr_free(t);
		return -ENOMEM;
	}
	return 0;
}

void corr_free(struct mxg_correspondents *t)
{
	secondlook_index_free(t->ix);
	policy_free(&t->shadow);
	free(t->c);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

long corr_find(const struct mxg_correspondents *t, const __u8 *wire,
	       __u32 len)
{
	size_t mask = t->nslots - 1, j;
	const struct mxg_correspondent *c;

	if (!t->nslots)
		return -1;
	for (j = mxg_name_hash(0, wire, len) & mask; t->slots[j];
	     j = (j + 1) & mask) {
		c = &t->c[t->slots[j] - 1];
		if (c->len == len && !memcmp(c->name, wire, len))
			return (long)t->slots[j] - 1;
	}
	return -1;
}

int corr_is_frequent(const struct mxg_correspondents *t,
		     const struct mxg_correspondent *c)
{
	return c->added ||
	       (c->count >= t->o.min_count && c->days >= t->o.min_days);
}

int corr_in_window(const struct mxg_correspondents *t, long long now)
{
	return now < t->since + t->o.window_s;
}

/* The slot that holds entry @i. */
static size_t slot_of(const struct mxg_correspondents *t, size_t i)
{
	size_t mask = t->nslots - 1, j;

	j = mxg_name_hash(0, t->c[i].name, t->c[i].len) & mask;
	while (t->slots[j] != i + 1)
		j = (j + 1) & mask;
	return j;
}

/*
 * Empty slot @j, moving back the entries after it that probed past it
 * (linear probing's deletion, so an eviction at the cap costs a few
 * probes, not a rebuild of the index).
 */
static void slot_delete(struct mxg_correspondents *t, size_t j)
{
	size_t mask = t->nslots - 1, k = j, home;
	const struct mxg_correspondent *c;

	t->slots[j] = 0;
	for (;;) {
		k = (k + 1) & mask;
		if (!t->slots[k])
			return;
		c = &t->c[t->slots[k] - 1];
		home = mxg_name_hash(0, c->name, c->len) & mask;
		/* Stays if its home lies cyclically in (j, k]. */
		if (j <= k ? (home > j && home <= k) : (home > j || home <= k))
			continue;
		t->slots[j] = t->slots[k];
		t->slots[k] = 0;
		j = k;
	}
}

/* Out of the table: the last one takes its place. */
static void remove_at(struct mxg_correspondents *t, size_t i)
{
	size_t last = t->n - 1;

	if (corr_is_frequent(t, &t->c[i]))
		t->stale = 1;
	slot_delete(t, slot_of(t, i));
	if (i != last) {
		t->slots[slot_of(t, last)] = (__u32)i + 1;
		t->c[i] = t->c[last];
	}
	t->n--;
}

/*
 * Is @a less used than @b?  Added by hand ranks above any count: an
 * operator's word is not evicted by a stream of one-off names.  Then the
 * count, then the last lookup.
 */
static int less_used(const struct mxg_correspondent *a,
		     const struct mxg_correspondent *b)
{
	if (a->added != b->added)
		return b->added;
	if (a->count != b->count)
		return a->count < b->count;
	return a->last_seen < b->last_seen;
}

static size_t least_used(const struct mxg_correspondents *t)
{
	size_t i, k = 0;

	for (i = 1; i < t->n; i++)
		if (less_used(&t->c[i], &t->c[k]))
			k = i;
	return k;
}

/* Append @c (not in the table), making room first at the cap. */
static void insert(struct mxg_correspondents *t,
		   const struct mxg_correspondent *c)
{
	size_t mask = t->nslots - 1, j;

	if (t->n == t->o.max) {
		t->evicted++;
		remove_at(t, least_used(t));
	}
	t->c[t->n] = *c;
	for (j = mxg_name_hash(0, c->name, c->len) & mask; t->slots[j];
	     j = (j + 1) & mask)
		;
	t->slots[j] = (__u32)++t->n;
	if (corr_is_frequent(t, c))
		t->stale = 1;
}

static long long day_of(long long t)
{
	return t >= 0 ? t / 86400 : (t - 86399) / 86400;
}

static void count(struct mxg_correspondents *t, struct mxg_correspondent *c,
		  long long now)
{
	int was = corr_is_frequent(t, c);

	c->count++;
	if (day_of(now) > day_of(c->last_seen))
		c->days++;
	if (now > c->last_seen)
		c->last_seen = now;
	if (!was && corr_is_frequent(t, c))
		t->stale = 1;
}

/* --- the frequent ones, indexed for the second look's engine -------------- */

/* Each frequent correspondent as a protect line of the finding's action. */
static int shadow_add(struct mxg_policy *p, const struct mxg_correspondent *c,
		      __u8 action)
{
	struct mxg_protect pr = { .action = action, .file = "correspondents" };
	long i = policy_intern_protected(p, c->name, c->len, 0);

	if (i < 0)
		return (int)i;
	pr.wire = p->protected_names[i].wire;
	pr.len = c->len;
	if (policy_append_protect(p, &pr))
		return -ENOMEM;
	p->protected_names[i].protect = (__u32)p->nprotects;
	return 0;
}

static int build(struct mxg_correspondents *t)
{
	size_t i;
	int err;

	secondlook_index_free(t->ix);
	t->ix = NULL;
	t->nfrequent = 0;
	policy_free(&t->shadow);
	policy_init(&t->shadow);
	for (i = 0; i < t->n; i++) {
		if (!corr_is_frequent(t, &t->c[i]))
			continue;
		err = shadow_add(&t->shadow, &t->c[i], t->o.action);
		if (err)
			return err;
		t->nfrequent++;
	}
	t->ix = secondlook_index(&t->shadow, NULL);
	return t->ix ? 0 : -ENOMEM;
}

/* Near a frequent correspondent?  1 with *f filled, 0, or -ENOMEM. */
static int near_frequent(const struct mxg_correspondents *t,
			 const __u8 *wire, __u32 len,
			 struct mxg_secondlook_finding *f)
{
	if (!t->ix || !t->nfrequent)
		return 0;
	return secondlook_match(&t->shadow, t->ix, wire, len, f, 1);
}

/*
 * Names learnt before the correspondent they resemble was known to be
 * frequent, and less used than it, leave: from now on a lookup of one is a
 * first sight again.  Backwards, so what remove_at moves in was seen.
 */
static void sweep(struct mxg_correspondents *t)
{
	struct mxg_secondlook_finding f;
	size_t i = t->n;
	long k;

	while (i--) {
		if (corr_is_frequent(t, &t->c[i]) ||
		    near_frequent(t, t->c[i].name, t->c[i].len, &f) != 1)
			continue;
		k = corr_find(t, f.protected_wire, f.protected_len);
		if (k < 0 || t->c[k].count <= t->c[i].count)
			continue;
		t->swept++;
		remove_at(t, i);
	}
}

static int refresh(struct mxg_correspondents *t, int force)
{
	unsigned long long start = mono_us();
	int err;

	if (!t->stale || (!force && start < t->next_rebuild_us))
		return 0;
	t->stale = 0;
	err = build(t);
	if (!err)
		sweep(t);
	t->rebuilds++;
	t->rebuild_cost_us = mono_us() - start;
	/* What costs less than a millisecond waits for nothing. */
	t->next_rebuild_us = t->rebuild_cost_us < REBUILD_FREE_US ? 0 :
			     mono_us() + REBUILD_SPACING * t->rebuild_cost_us;
	return err;
}

int corr_refresh(struct mxg_correspondents *t)
{
	return refresh(t, 1);
}

/* --- a lookup ------------------------------------------------------------- */

int corr_part_of(const __u8 *wire, __u32 len, struct mxg_correspondent *c)
{
	__u32 reg = secondlook_registrable_offset(wire, len);

	memset(c, 0, sizeof(*c));
	if (!len || len > MXG_NAME_MAX - 1 ||
	    lookalike_is_public_suffix(wire + reg, len - reg))
		return -1;
	c->len = len - reg;
	memcpy(c->name, wire + reg, c->len);
	return 0;
}

int corr_observe(struct mxg_correspondents *t, const __u8 *wire, __u32 len,
		 long long now, struct mxg_corr_finding *f)
{
	struct mxg_correspondent c;
	long i;
	int r;

	if (corr_part_of(wire, len, &c))
		return CORR_SKIPPED;
	/* First: the sweep may have made this a first sight again. */
	r = refresh(t, !t->ix);
	if (r)
		return r;
	i = corr_find(t, c.name, c.len);
	if (i >= 0) {
		count(t, &t->c[i], now);
		return CORR_COUNTED;
	}
	/* The whole name: a dot typed inside the label is the engine's. */
	memset(f, 0, sizeof(*f));
	r = near_frequent(t, wire, len, &f->s);
	if (r < 0)
		return r;
	if (r) {
		t->refused++;
		f->in_window = corr_in_window(t, now);
		return CORR_LOOKALIKE;
	}
	c.count = 1;
	c.days = 1;
	c.first_seen = c.last_seen = now;
	insert(t, &c);
	t->learnt++;
	return CORR_LEARNT;
}

int corr_add(struct mxg_correspondents *t, const __u8 *wire, __u32 len,
	     long long now)
{
	struct mxg_correspondent c;
	long i;

	if (corr_part_of(wire, len, &c) || c.len != len)
		return -EINVAL;
	i = corr_find(t, c.name, c.len);
	if (i >= 0) {
		t->stale |= !t->c[i].added && !corr_is_frequent(t, &t->c[i]);
		t->c[i].added = 1;
		return 0;
	}
	c.added = 1;
	c.first_seen = c.last_seen = now;
	insert(t, &c);
	return 0;
}

int corr_forget(struct mxg_correspondents *t, const __u8 *wire, __u32 len)
{
	long i = corr_find(t, wire, len);

	if (i < 0)
		return -ENOENT;
	remove_at(t, (size_t)i);
	return 0;
}

/* Past the cap the least used go, as they would have at run time. */
void corr_keep(struct mxg_correspondents *t,
	       const struct mxg_correspondent *c)
{
	if (corr_find(t, c->name, c->len) >= 0)
		return;
	if (t->n == t->o.max && !less_used(&t->c[least_used(t)], c))
		return;
	insert(t, c);
}

void corr_empty(struct mxg_correspondents *t, long long now)
{
	t->n = 0;
	t->since = now;
	reindex(t);
}
