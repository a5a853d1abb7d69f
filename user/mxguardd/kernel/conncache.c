// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "cgpath.h"
#include "cgroup.h"
#include "conncache.h"
#include "event.h"
#include "log.h"
#include "names_abi.h"
#include "procsock.h"

static int by_cgroup(const struct conncache_taint *t,
		     const struct sockdiag_conn *c)
{
	return t->scope == MXG_SCOPE_UNIT && c->has_cgroup &&
	       c->cgroup_id == t->resolver_cgroup;
}

/* The resolver's cgroup members, for kernels that do not name a socket's. */
static void add_members(__u64 id, struct procsock_pids *p)
{
	char root[4096], dir[8192];
	const char *rel = cgpath_lookup(id);

	if (!rel || cgroup2_root(root, sizeof(root))) {
		pr_warn("cgroup %llu not found: connections its processes "
			"hold are left open\n", (unsigned long long)id);
		p->incomplete = 1;
		return;
	}
	snprintf(dir, sizeof(dir), "%s%s", root, strcmp(rel, "/") ? rel : "");
	if (procsock_cgroup(dir, p)) {
		log_warn("%s/cgroup.procs", dir);
		p->incomplete = 1;
	}
}

/*
 * Who to ask /proc about.  Only a taint with a process record reaches the
 * lineage: at unit level (an answer with no owner, a name tainted for the
 * cgroup only) the datapath blocks nobody by lineage either.
 */
static void gather_pids(const struct conncache_taint *t, int need_members,
			struct procsock_pids *p)
{
	int err;

	if (t->level == MXG_SCOPE_PROCESS && t->resolver) {
		err = procsock_lineage(t->resolver, t->depth, p);
		if (err) {
			errno = -err;
			log_warn("lineage of %d", t->resolver);
			p->incomplete = 1;
		}
	}
	if (need_members)
		add_members(t->resolver_cgroup, p);
}

/* What the cheap tests decide: host scope, or the socket's own cgroup. */
static size_t select_by_id(const struct conncache_taint *t,
			   const struct sockdiag_list *l,
			   struct conncache_pick *picks, size_t *undecided,
			   int *need_members)
{
	size_t i, in = 0;

	for (i = 0; i < l->n; i++) {
		memset(&picks[i], 0, sizeof(picks[i]));
		picks[i].in_scope = t->scope == MXG_SCOPE_HOST ||
				    by_cgroup(t, &l->c[i]);
		if (picks[i].in_scope) {
			in++;
		} else if (l->c[i].inode) {
			(*undecided)++;
			if (t->scope == MXG_SCOPE_UNIT && !l->c[i].has_cgroup)
				*need_members = 1;
		}
	}
	return in;
}

/*
 * Does every process holding @inode have a clean record nearest in its own
 * lineage?  None found: no (the connection's place decides).
 */
static int held_clean(const struct conncache_taint *t,
		      const struct procsock_held *held, __u64 inode)
{
	const struct procsock_holder *h;
	size_t n, i;

	n = procsock_holders(held, inode, &h);
	for (i = 0; i < n; i++)
		if (t->clean_holder(t->clean_ctx, h[i].pid, t->addr) != 1)
			return 0;
	return n > 0;
}

size_t conncache_select(const struct conncache_taint *t,
			const struct sockdiag_list *l,
			struct conncache_pick *picks, int *incomplete)
{
	struct procsock_pids pids = { 0 };
	struct procsock_held held = { 0 };
	const struct procsock_holder *h;
	size_t i, in, undecided = 0;
	int need_members = 0, err;

	*incomplete = 0;
	in = select_by_id(t, l, picks, &undecided, &need_members);
	/* The /proc walk only when some connection still needs it. */
	if (!undecided && !(in && t->clean_holder))
		return in;
	/* Holders of connections picked by place, to spare clean ones. */
	if (in && t->clean_holder) {
		if (t->scope == MXG_SCOPE_HOST) {
			err = procsock_all(&pids);
			if (err) {
				errno = -err;
				log_warn("/proc");
				pids.incomplete = 1;
			}
		} else {
			need_members = 1;
		}
	}
	if (t->scope != MXG_SCOPE_HOST)
		gather_pids(t, need_members, &pids);
	procsock_scan(&pids, &held);
	for (i = 0; i < l->n; i++) {
		if (!l->c[i].inode)
			continue;
		if (!picks[i].in_scope) {
			h = procsock_find(&held, l->c[i].inode);
			if (!h)
				continue;
			picks[i].in_scope = 1;
			picks[i].holder = h->pid;
			memcpy(picks[i].comm, h->comm, sizeof(picks[i].comm));
			in++;
		}
		if (t->clean_holder && held_clean(t, &held, l->c[i].inode)) {
			picks[i].in_scope = 0;
			picks[i].spared = 1;
			in--;
		}
	}
	*incomplete = pids.incomplete || held.incomplete;
	procsock_pids_free(&pids);
	procsock_held_free(&held);
	return in;
}

static void destroy_picked(struct sockdiag *s, const struct sockdiag_list *l,
			   const struct conncache_pick *picks,
			   conncache_fn fn, void *ctx,
			   struct conncache_counts *n)
{
	int err, first_err = 0;
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (!picks[i].in_scope) {
			if (picks[i].spared)
				n->spared++;
			else
				n->out_of_scope++;
			continue;
		}
		err = sockdiag_destroy(s, &l->c[i]);
		if (err == SOCKDIAG_GONE) {
			n->gone++;
		} else if (err) {
			n->failed++;
			first_err = first_err ?: err;
		} else {
			n->destroyed++;
			fn(ctx, &l->c[i], &picks[i]);
		}
	}
	/* Left open, a connection to a lookalike carries mail unjudged. */
	if (first_err)
		pr_warn("SOCK_DESTROY failed for %llu connections: %s (needs "
			"CAP_NET_ADMIN and CONFIG_INET_DIAG_DESTROY)\n",
			n->failed, sockdiag_strerror(first_err));
}

static void log_summary(const struct conncache_taint *t,
			const struct conncache_counts *n)
{
	char addr[INET6_ADDRSTRLEN];

	event_format_addr(t->addr, addr, sizeof(addr));
	if (!n->matched) {
		pr_debug("connection cache: no open connections to %s\n", addr);
		return;
	}
	pr_info("connection cache: %s: %llu open on monitored ports, %llu "
		"outside %s scope left open, %llu held by clean deliveries "
		"left open; %llu destroyed, %llu failed, %llu closed "
		"meanwhile%s\n", addr, n->matched, n->out_of_scope,
		mxg_scope_name(t->scope), n->spared, n->destroyed,
		n->failed, n->gone,
		n->incomplete ? " (process scan incomplete: some in scope may "
				"have been left open)" : "");
}

int conncache_destroy(const struct conncache_taint *t, conncache_fn fn,
		      void *ctx, struct conncache_counts *n)
{
	struct sockdiag_list l = { 0 };
	struct conncache_pick *picks = NULL;
	struct sockdiag *s;
	int incomplete = 0;

	memset(n, 0, sizeof(*n));
	s = sockdiag_open();
	if (!s) {
		pr_warn("connection cache: no sock_diag socket\n");
		return -EIO;
	}
	/* A failed dump has been logged; what it listed is still worked. */
	sockdiag_list(s, t->addr, t->ports, t->nports, &l);
	if (l.unlisted)
		pr_warn("connection cache: %zu connections not listed (out of "
			"memory), left open\n", l.unlisted);
	n->matched = l.n + l.unlisted;
	n->failed = l.unlisted;
	if (l.n) {
		picks = calloc(l.n, sizeof(*picks));
		if (picks) {
			conncache_select(t, &l, picks, &incomplete);
			destroy_picked(s, &l, picks, fn, ctx, n);
		} else {
			pr_warn("connection cache: out of memory; %zu "
				"connections left open\n", l.n);
			n->failed += l.n;
		}
	}
	n->incomplete = incomplete;
	log_summary(t, n);
	free(picks);
	sockdiag_list_free(&l);
	sockdiag_close(s);
	return 0;
}

void conncache_add(struct conncache_counts *sum,
		   const struct conncache_counts *n)
{
	sum->matched += n->matched;
	sum->out_of_scope += n->out_of_scope;
	sum->spared += n->spared;
	sum->destroyed += n->destroyed;
	sum->failed += n->failed;
	sum->gone += n->gone;
	sum->incomplete += n->incomplete;
}
