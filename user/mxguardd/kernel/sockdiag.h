/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Connection caches, the kernel side: list the open TCP connections to an
 * address with sock_diag, and destroy one (SOCK_DESTROY,
 * CONFIG_INET_DIAG_DESTROY, Linux 4.5+).  Which of them to destroy is
 * conncache.c's business.
 */
#ifndef MXGUARD_SOCKDIAG_H
#define MXGUARD_SOCKDIAG_H

#include <stddef.h>
#include <linux/inet_diag.h>
#include <linux/types.h>

struct sockdiag_conn {
	struct inet_diag_sockid id;	/* names the socket to SOCK_DESTROY */
	int family;
	__u8 dst[16];		/* v4-mapped for AF_INET */
	__u16 dport;
	__u32 uid;
	__u32 inode;		/* 0: no file (nobody holds it) */
	__u64 cgroup_id;	/* INET_DIAG_CGROUP_ID, if has_cgroup */
	int has_cgroup;
};

/* Grows as the dump goes: there is no cap on how many are listed. */
struct sockdiag_list {
	struct sockdiag_conn *c;
	size_t n, cap;
	size_t unlisted;	/* seen, but out of memory to keep them */
};

struct sockdiag;

/* A NETLINK_SOCK_DIAG socket for one round of list and destroy; NULL on error. */
struct sockdiag *sockdiag_open(void);
void sockdiag_close(struct sockdiag *s);
/*
 * Append the established (and connecting) TCP connections to @addr on one
 * of @ports, IPv4 and IPv6 sockets alike.  0, or -errno if a dump failed.
 */
int sockdiag_list(struct sockdiag *s, const __u8 addr[16], const __u16 *ports,
		  int nports, struct sockdiag_list *out);
#define SOCKDIAG_GONE 1
/*
 * Destroy one listed connection: 0, SOCKDIAG_GONE if it has closed since the
 * dump, or a negative libnl error (sockdiag_strerror names it).
 */
int sockdiag_destroy(struct sockdiag *s, const struct sockdiag_conn *c);
const char *sockdiag_strerror(int err);
void sockdiag_list_free(struct sockdiag_list *l);

#endif
