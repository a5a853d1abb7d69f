/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which sockets a set of processes holds, from /proc: a resolver's lineage
 * (its descendants, from the ppid in /proc/<pid>/stat) or a cgroup's
 * members (cgroup.procs), then the socket:[inode] links in /proc/<pid>/fd.
 * Needs CAP_SYS_PTRACE for other users' processes.  Every walk is bounded,
 * and a walk that hit its bound, or was refused a
 * process, says so (incomplete).
 */
#ifndef MXGUARD_PROCSOCK_H
#define MXGUARD_PROCSOCK_H

#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

/* Processes read from /proc to find descendants, or listed per cgroup. */
#define PROCSOCK_PROCS_MAX	65536
/* File descriptors examined per scan, over every process in it. */
#define PROCSOCK_FDS_MAX	(1 << 20)

struct procsock_pids {
	pid_t *pid;
	size_t n, cap;
	int incomplete;
};

struct procsock_holder {
	__u64 inode;
	pid_t pid;		/* one process holding it */
	char comm[16];
};

/* Sorted by inode once procsock_scan returns. */
struct procsock_held {
	struct procsock_holder *e;
	size_t n, cap;
	int incomplete;
};

/*
 * Append @root and its descendants up to @depth generations below it (0:
 * @root alone), as connect-time lineage walks see them.  0 or -errno.
 */
int procsock_lineage(pid_t root, int depth, struct procsock_pids *out);
/* Append the processes in cgroup directory @dir.  0 or -errno. */
int procsock_cgroup(const char *dir, struct procsock_pids *out);
/* Append every process there is (at most PROCSOCK_PROCS_MAX).  0 or -errno. */
int procsock_all(struct procsock_pids *out);
/* The ppid field of /proc/@pid/stat.  0 or -errno (it has exited, say). */
int procsock_ppid(pid_t pid, pid_t *ppid);
/* Append the sockets @pids hold as file descriptors, then sort. */
void procsock_scan(const struct procsock_pids *pids, struct procsock_held *out);
const struct procsock_holder *procsock_find(const struct procsock_held *h,
					    __u64 inode);
/* Every process holding @inode: *@first and the count after it. */
size_t procsock_holders(const struct procsock_held *h, __u64 inode,
			const struct procsock_holder **first);
void procsock_pids_free(struct procsock_pids *p);
void procsock_held_free(struct procsock_held *h);

#endif
