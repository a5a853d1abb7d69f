// SPDX-License-Identifier: GPL-2.0-only
/*
 * What a policy load does to the taints already live in the pinned maps
 * (reconcile.h).  The decision is remap_rule()'s; this walks the maps and
 * writes it back.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mxguard.skel.h"
#include "name.h"
#include "reconcile.h"

/* A taint or a tainted name, as the maps hold them. */
union record {
	struct mxg_taint t;
	struct mxg_tname n;
};

/* The fields of a record that a reload rewrites, wherever they sit. */
struct stamp {
	__u64 origin_hash;
	__u64 *protected_hash;
	__u32 *rule_id;
	__u8 *action;
};

static void stamp_of(union record *v, int tname, struct stamp *s)
{
	if (tname) {
		s->origin_hash = v->n.origin_hash;
		s->protected_hash = &v->n.protected_hash;
		s->rule_id = &v->n.rule_id;
		s->action = &v->n.action;
	} else {
		s->origin_hash = v->t.origin_hash;
		s->protected_hash = &v->t.protected_hash;
		s->rule_id = &v->t.rule_id;
		s->action = &v->t.action;
	}
}

/* Candidates: lookalike records that have not expired. */
static int live_lookalike(const union record *v, int tname, __u64 now)
{
	if (tname)
		return v->n.expires_ns > now;
	return v->t.verdict == MXG_VERDICT_LOOKALIKE && v->t.expires_ns > now;
}

enum fate { FATE_SAME, FATE_STAMP, FATE_UNKNOWN, FATE_DROP };

/* The origin name, or NULL when the `names` LRU has dropped it. */
static const __u8 *origin_of(const struct mxg_loader *l, __u64 hash,
			     struct mxg_name *n, __u32 *len)
{
	if (bpf_map_lookup_elem(bpf_map__fd(l->skel->maps.names), &hash, n))
		return NULL;
	*len = mxg_name_wire_len(n->wire, sizeof(n->wire));
	return *len ? n->wire : NULL;
}

/* Rewrite @s for the policy in force; say what becomes of the record. */
static enum fate restamp(const struct mxg_loader *l, const struct mxg_gens *g,
			 struct stamp *s)
{
	const struct mxg_policy_rule *r;
	const __u8 *origin;
	struct mxg_name name;
	__u32 len = 0, id;
	__u64 protected;
	long idx;

	origin = origin_of(l, s->origin_hash, &name, &len);
	idx = remap_rule(g, *s->rule_id, origin, len);
	if (idx == REMAP_DROP)
		return FATE_DROP;
	if (idx == REMAP_UNKNOWN) {
		/* It goes on enforcing, but names no rule, not a wrong one. */
		id = g->now_gen << 24 | MXG_RULE_UNKNOWN;
		if (*s->rule_id == id)
			return FATE_SAME;
		*s->rule_id = id;
		return FATE_UNKNOWN;
	}
	r = &g->now->rules[idx];
	id = g->now_gen << 24 | (__u32)idx;
	/* fill_policy() put it in protected_names already. */
	protected = mxg_name_hash(l->seed, mxg_rule_protected(g->now, r),
				  mxg_rule_protected_len(g->now, r));
	if (*s->rule_id == id && *s->action == r->action &&
	    *s->protected_hash == protected)
		return FATE_SAME;
	*s->rule_id = id;
	*s->action = r->action;
	*s->protected_hash = protected;
	return FATE_STAMP;
}

/*
 * Delete the record, or write @now over it, unless the datapath rewrote it
 * since we read @was: it then holds a fresh resolution (clean, say) judged
 * by the policy already in force, which our copy must not undo.  A map
 * cannot compare and swap, so a rewrite between the two calls below can
 * still be lost; the window is one system call.
 */
static int rewrite(int fd, const void *key, const union record *was,
		   const union record *now, size_t size, int drop)
{
	union record cur;

	if (bpf_map_lookup_elem(fd, key, &cur) || memcmp(&cur, was, size))
		return -EAGAIN;
	if (drop)
		return bpf_map_delete_elem(fd, key) ? -errno : 0;
	return bpf_map_update_elem(fd, key, now, BPF_EXIST) ? -errno : 0;
}

static void reconcile_map(const struct mxg_loader *l, struct bpf_map *map,
			  int tname, const struct mxg_gens *g, __u64 now_ns,
			  struct mxg_reconciled *out)
{
	size_t size = tname ? sizeof(struct mxg_tname) :
			      sizeof(struct mxg_taint);
	int fd = bpf_map__fd(map), have;
	__u8 key[64], next[64];
	union record was, now;
	struct stamp s;
	enum fate f;

	/*
	 * Key by key: the next key is taken before this one is rewritten.
	 * An LRU update may evict the next key, and the walk then starts
	 * over; records already done come out FATE_SAME and are not written
	 * again, so it ends.
	 */
	for (have = !bpf_map_get_next_key(fd, NULL, next); have;) {
		memcpy(key, next, sizeof(key));
		have = !bpf_map_get_next_key(fd, key, next);
		if (bpf_map_lookup_elem(fd, key, &was) ||
		    !live_lookalike(&was, tname, now_ns))
			continue;
		now = was;
		stamp_of(&now, tname, &s);
		f = restamp(l, g, &s);
		if (f == FATE_SAME)
			continue;
		if (rewrite(fd, key, &was, &now, size, f == FATE_DROP))
			out->raced++;
		else if (f == FATE_DROP)
			out->purged++;
		else if (f == FATE_UNKNOWN)
			out->unknown++;
		else
			out->restamped++;
	}
}

int reconcile_taints(const struct mxg_loader *l, const struct mxg_gens *g,
		      struct mxg_reconciled *out)
{
	struct bpf_map *taints[] = { l->skel->maps.taint_proc,
				     l->skel->maps.taint_unit,
				     l->skel->maps.taint_host };
	struct timespec ts;
	size_t i;
	__u64 now;

	memset(out, 0, sizeof(*out));
	if (g->now_gen != l->generation)
		return -EINVAL;		/* the table is not the kernel's */
	/* The datapath's clock (bpf_ktime_get_ns), for expiry. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	for (i = 0; i < sizeof(taints) / sizeof(taints[0]); i++)
		reconcile_map(l, taints[i], 0, g, now, out);
	reconcile_map(l, l->skel->maps.taint_names, 1, g, now, out);
	return 0;
}
