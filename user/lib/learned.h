/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the second look learnt: a bounded list of findings, oldest first,
 * each with an expiry, kept in a state file across restarts.
 *
 * The file is text, one finding a line, names in presentation form, which
 * escapes every byte but [A-Za-z0-9-_], so no line of it holds a space or
 * a control byte whatever a hostile name carried:
 *
 *   # mxguard learned findings v1
 *   dhs.com dhl.com edit-distance 1 block 1767225600 1767830400
 *
 * (name, protected name it imitates, method, distance, action, first seen,
 * expires; times in seconds since the Epoch, because the state outlives
 * reboots).  It is written to a temporary file beside it, synced and
 * renamed over it, so a reader finds the old list or the new one.  A line
 * of it makes mail to a domain be refused, so it is read back only if root
 * owns it and no group or other may write it, checked on the open
 * descriptor, as OpenSMTPD checks its secrets.
 */
#ifndef MXGUARD_LEARNED_H
#define MXGUARD_LEARNED_H

#include <stddef.h>
#include <linux/types.h>

#include "mxguard/limits.h"

#define MXG_LEARNED_FILE_DEFAULT	"/var/lib/mxguard/learned"
#define MXG_LEARNED_LIFETIME_DEFAULT	(7 * 86400)

struct mxg_finding {
	__u8 name[MXG_NAME_MAX];	/* the registrable domain, wire */
	__u8 protected_name[MXG_PROTECTED_MAX];
	__u32 len, protected_len;
	__u32 distance;
	__u8 method;	/* MXG_ORIGIN_SKELETON, _EDIT_DISTANCE, _CORRESPONDENT */
	__u8 action;			/* enum mxg_action */
	long long first_seen, expires;	/* seconds since the Epoch */
	long rule;			/* index in the live policy, or -1 */
};

struct mxg_learned {
	struct mxg_finding *f;		/* oldest first */
	size_t n, max;
};

/* Room for @max findings; 0 or -ENOMEM. */
int learned_init(struct mxg_learned *l, size_t max);
void learned_free(struct mxg_learned *l);

/* Index of the finding for @wire, or -1. */
long learned_find(const struct mxg_learned *l, const __u8 *wire, __u32 len);
/*
 * Append @f as the newest.  When the list is full the oldest makes room:
 * it is copied to *@evicted and 1 is returned; else 0.
 */
int learned_add(struct mxg_learned *l, const struct mxg_finding *f,
		struct mxg_finding *evicted);
void learned_remove(struct mxg_learned *l, size_t i);
/* Index of a finding expired at @now, or -1. */
long learned_expired(const struct mxg_learned *l, long long now);

/* One finding as a line of the file, without its newline. */
void learned_format(const struct mxg_finding *f, char *out, size_t sz);
/* Parse such a line; 0, or -EINVAL with *err set. */
int learned_parse(const char *line, struct mxg_finding *f, const char **err);

/* Write the state file atomically (its directory is made if missing). */
int learned_save(const struct mxg_learned *l, const char *path);
/*
 * Read the state file into @l: findings expired at @now are skipped, a bad
 * line is reported as path:line and skipped, and past the cap the oldest
 * go.  A missing file is an empty list.  Returns the number kept, or
 * -errno for a file it cannot read or refuses (nothing kept).
 */
int learned_load(struct mxg_learned *l, const char *path, long long now);

#endif
