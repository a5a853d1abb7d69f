/* SPDX-License-Identifier: GPL-2.0-only */
/* cgroup id -> path and systemd unit, for alerts. */
#ifndef MXGUARD_CGPATH_H
#define MXGUARD_CGPATH_H

#include <stddef.h>
#include <linux/types.h>

/*
 * The cgroup's path relative to the cgroup2 root ("/system.slice/postfix
 * .service"), or NULL if unknown.  Results are cached; a miss rescans the
 * tree at most once a second, so a flood of events cannot make us walk it
 * continuously.
 */
const char *cgpath_lookup(__u64 id);
/* The deepest ".service" or ".scope" component of @path, into @out. */
int cgpath_unit(const char *path, char *out, size_t sz);
void cgpath_reset(void);

#endif
