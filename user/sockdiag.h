/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Connection caches: a connection opened before its destination became
 * tainted never passes connect() again.  Find such TCP connections with
 * sock_diag and destroy them (SOCK_DESTROY, CONFIG_INET_DIAG_DESTROY, Linux
 * 4.5+), so the MTA's next connect is judged.
 */
#ifndef MXGUARD_SOCKDIAG_H
#define MXGUARD_SOCKDIAG_H

#include <linux/types.h>

struct sockdiag_conn {
	int family;
	__u8 dst[16];		/* v4-mapped for AF_INET */
	__u16 dport;
	__u32 uid;
	__u32 inode;
};

typedef void (*sockdiag_fn)(void *ctx, const struct sockdiag_conn *c);

/*
 * Destroy established (and connecting) TCP connections to @addr on one of
 * @ports; @fn hears of each one destroyed.  Returns how many, or -errno.
 */
int sockdiag_destroy(const __u8 addr[16], const __u16 *ports, int nports,
		     sockdiag_fn fn, void *ctx);

#endif
