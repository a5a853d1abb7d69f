/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Connection caches: a connection opened before its destination became
 * tainted never passes connect() again.  When an address is tainted, destroy
 * the open connections to it that a new connect would now be refused:
 * those inside the taint's scope, and no others.
 *
 *   process  held (as a file descriptor) by the resolver or a descendant
 *            that the connect programs' lineage walk reaches
 *   unit     that, or created in the resolver's cgroup (INET_DIAG_CGROUP_ID;
 *            without it, held by a process in that cgroup)
 *   host     every connection to the address on a monitored port
 *
 * In every scope the nearest record in the holder's own lineage decides a
 * connect first (bpf/connect.bpf.h): a connection held only by processes
 * whose nearest record for the address is clean (a clean delivery to a
 * domain that shares the MX, under way in the resolver's unit) would
 * connect again, so it is left open (spared), whatever its place.
 */
#ifndef MXGUARD_CONNCACHE_H
#define MXGUARD_CONNCACHE_H

#include <sys/types.h>
#include <linux/types.h>

#include "sockdiag.h"

struct conncache_taint {
	const __u8 *addr;		/* 16 bytes, v4-mapped for IPv4 */
	const __u16 *ports;
	int nports;
	__u32 scope;			/* enum mxg_scope in force */
	__u32 level;			/* the event's: the taint has a process
					   record only at MXG_SCOPE_PROCESS */
	pid_t resolver;			/* tgid; 0 if the answer had no owner */
	__u64 resolver_cgroup;
	int depth;			/* generations the lineage walk covers */
	/*
	 * 1 if a connect from @pid to @addr would pass on its lineage's
	 * own records (a clean one nearest); NULL: nothing is spared.
	 */
	int (*clean_holder)(void *ctx, pid_t pid, const __u8 *addr);
	void *clean_ctx;
};

/* How many there were, and what became of them. */
struct conncache_counts {
	unsigned long long matched;	/* open to the address, monitored port */
	unsigned long long out_of_scope;	/* left open */
	unsigned long long spared;	/* in scope, held by clean holders only */
	unsigned long long destroyed;
	unsigned long long failed;	/* SOCK_DESTROY refused */
	unsigned long long gone;	/* closed before we got to them */
	unsigned long long incomplete;	/* rounds whose scan was bounded */
};

/* Why one connection is in scope: who holds it, if a scan said. */
struct conncache_pick {
	int in_scope;
	int spared;			/* left open: clean holders only */
	pid_t holder;			/* 0: selected by cgroup or host scope */
	char comm[16];
};

/* One destroyed connection. */
typedef void (*conncache_fn)(void *ctx, const struct sockdiag_conn *c,
			     const struct conncache_pick *p);

/*
 * List, select and destroy; @fn hears of each connection destroyed.  @n
 * receives this round's counts.  0, or -errno if sock_diag is unusable.
 */
int conncache_destroy(const struct conncache_taint *t, conncache_fn fn,
		      void *ctx, struct conncache_counts *n);
/*
 * Fill @picks (one per @l->c) for @t; returns how many are in scope.
 * Exposed so the fallback without INET_DIAG_CGROUP_ID can be tested.
 */
size_t conncache_select(const struct conncache_taint *t,
			const struct sockdiag_list *l,
			struct conncache_pick *picks, int *incomplete);
/* Totals of @n into @sum. */
void conncache_add(struct conncache_counts *sum,
		   const struct conncache_counts *n);

#endif
