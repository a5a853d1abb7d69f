/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's state files (learned findings, correspondents): written
 * whole to PATH.tmp, synced and renamed over PATH, so a crash leaves the
 * old file or the new one; read only when they are ours alone.
 */
#ifndef MXGUARD_STATEFILE_H
#define MXGUARD_STATEFILE_H

#include <stdio.h>

/*
 * Write @path atomically: its directory is made (0700) if missing, and
 * @write fills the stream (0 or -errno).  0 or -errno.
 */
int statefile_save(const char *path, int (*write)(FILE *f, const void *ctx),
		   const void *ctx);

/*
 * 0 when @fd, opened from @path, is a regular file of this user that no
 * one else may write; else -EPERM (and a warning naming @what and why)
 * or -errno.
 */
int statefile_trusted(int fd, const char *path, const char *what);

#endif
