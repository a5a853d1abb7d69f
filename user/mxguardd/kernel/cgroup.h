/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MXGUARD_CGROUP_H
#define MXGUARD_CGROUP_H

#include <stddef.h>
#include <linux/types.h>

/* The cgroup2 mount point, from /proc/self/mountinfo (not assumed). */
int cgroup2_root(char *buf, size_t sz);
/*
 * Resolve --cgroup: NULL means the cgroup2 root; a relative path is taken
 * under the root; an absolute path must lie on a cgroup2 file system.
 */
int cgroup_resolve(const char *arg, char *out, size_t sz);
/* The cgroup id (inode number) the BPF helpers report for a directory. */
int cgroup_id_of(const char *path, __u64 *id);
/*
 * Mount bpffs on /sys/fs/bpf if needed and create @dir, which must then lie
 * on a bpf file system.
 */
int bpffs_prepare(const char *dir);
/*
 * Open @dir (no symlink as its last component) and check, on the
 * descriptor, that it is on bpffs; the descriptor, -EMEDIUMTYPE if it is
 * not bpffs, or -errno.
 */
int bpffs_open_dir(const char *dir);
/*
 * Take @dir's lock (flock on the directory), held until the descriptor
 * returned is closed or the process ends; -EBUSY when another holds it.
 * One daemon per pin directory: a second would swap programs under the
 * first's links and reconcile its maps.
 */
int bpffs_lock(const char *dir);

#endif
