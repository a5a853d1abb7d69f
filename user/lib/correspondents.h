/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Correspondents: the recipient domains this host delivers to, learnt from
 * the clean MX lookups the datapath reports (the second look's queue), and
 * the first-seen domain that imitates one of them.
 *
 * What is learnt is the registrable domain (libpsl: mx.example.org and
 * example.org count as example.org), with a count of lookups, when it was
 * first and last seen, and on how many distinct UTC days.  The table holds
 * at most MXG_CORR_MAX; a new name at the cap takes the place of the least
 * used one (lowest count, then longest unseen), so a stream of one-off
 * names churns among themselves and never pushes out an established
 * correspondent.
 *
 * A correspondent is frequent once it has min_count lookups on min_days
 * distinct days (5 and 2 by default), or when it was added by hand.  Two
 * days, because a single day's retries of one deferred message reach any
 * count; a count, because one lookup a day for two days is not a habit.
 *
 * A name seen for the first time is compared, with the second look's
 * engine (secondlook.h, similar.h) unchanged, against the frequent
 * correspondents as if they were protected names.  If it is near one, it
 * is not learnt (never learn a lookalike of a more frequent correspondent)
 * and, once the learning window is over, it is a finding: "imitates
 * correspondent X".  The learning window is the first window_s seconds
 * (7 days by default) after the table was started, kept in its file: a
 * host that has just started has no idea yet who its correspondents are,
 * so nothing is flagged from them, while everything is learnt.
 *
 * Only first sight counts: a name already in the table is somebody this
 * host wrote to before it.  When a correspondent becomes frequent, the
 * names in the table that are less frequent and near it leave (they were
 * learnt before it was known to be the real one), so their next lookup is
 * a first sight again.
 *
 * The comparison index is rebuilt when the frequent set changed, before the
 * next lookup; one that cost more than a millisecond waits 100 times its
 * cost before the next, so the daemon's loop never spends more than 1% of
 * its time on it (4096 frequent names: about 0.16 s, so at most one every
 * 16 s; lookups meanwhile are judged against the previous index).  The
 * datapath does not wait for it: only alerts and the control socket do.
 *
 * The state file is text, one correspondent a line, names in presentation
 * form (so no line holds a space or a control byte), written atomically
 * (a temporary beside it, synced, renamed):
 *
 *   # mxguard correspondents v1
 *   since 1767225600
 *   example.org 42 9 1767225600 1767830400 learnt
 *
 * (name, count, days, first seen, last seen, learnt or added; times in
 * seconds since the Epoch).  It is read back only if we own it and no
 * group or other may write it; a file without the header is somebody
 * else's: refused, and never written over.
 */
#ifndef MXGUARD_CORRESPONDENTS_H
#define MXGUARD_CORRESPONDENTS_H

#include <stddef.h>
#include <linux/types.h>

#include "mxguard/limits.h"
#include "policy.h"
#include "secondlook.h"

#define MXG_CORR_MAX			4096
#define MXG_CORR_FILE_DEFAULT		"/var/lib/mxguard/correspondents"
#define MXG_CORR_WINDOW_DEFAULT		(7 * 86400)
#define MXG_CORR_MIN_COUNT_DEFAULT	5
#define MXG_CORR_MIN_DAYS_DEFAULT	2

struct mxg_correspondent {
	__u8 name[MXG_NAME_MAX];	/* registrable domain, wire */
	__u32 len;
	__u32 days;			/* distinct UTC days it was seen on */
	__u64 count;			/* lookups */
	long long first_seen, last_seen;
	__u8 added;			/* by hand: frequent at once */
};

struct mxg_corr_opts {
	size_t max;
	long long window_s;
	__u64 min_count;
	__u32 min_days;
	__u8 action;			/* of a finding: enum mxg_action */
};

struct mxg_correspondents {
	struct mxg_correspondent *c;
	size_t n;
	struct mxg_corr_opts o;
	long long since;		/* the learning window starts */
	__u32 *slots;			/* by name hash: index + 1; 0 empty */
	size_t nslots;
	/* The frequent ones as protected names, and their index. */
	struct mxg_policy shadow;
	struct mxg_secondlook_index *ix;
	size_t nfrequent;		/* in the index */
	int stale;			/* the frequent set changed */
	unsigned long long rebuild_cost_us, next_rebuild_us;
	unsigned long long learnt, refused, evicted, swept, rebuilds;
};

enum corr_seen {
	CORR_SKIPPED,		/* no registrable part (a public suffix) */
	CORR_COUNTED,		/* known: counted */
	CORR_LEARNT,		/* first sight: learnt */
	CORR_LOOKALIKE,		/* first sight, near a frequent one: not learnt */
};

/* A first-seen name near a frequent correspondent. */
struct mxg_corr_finding {
	struct mxg_secondlook_finding s;	/* s.protected_wire: the
						 * correspondent (shadow copy,
						 * valid until the next call) */
	int in_window;		/* still learning: not to be flagged */
};

void corr_defaults(struct mxg_corr_opts *o);
/* An empty table whose window starts at @now; 0 or -ENOMEM. */
int corr_init(struct mxg_correspondents *t, const struct mxg_corr_opts *o,
	      long long now);
void corr_free(struct mxg_correspondents *t);

long corr_find(const struct mxg_correspondents *t, const __u8 *wire,
	       __u32 len);
int corr_is_frequent(const struct mxg_correspondents *t,
		     const struct mxg_correspondent *c);
int corr_in_window(const struct mxg_correspondents *t, long long now);

/*
 * A clean MX lookup of @wire (any name; its registrable part is what
 * counts) at @now.  On CORR_LOOKALIKE, *@f says whom it imitates.
 * Returns enum corr_seen, or -ENOMEM.
 */
int corr_observe(struct mxg_correspondents *t, const __u8 *wire, __u32 len,
		 long long now, struct mxg_corr_finding *f);

/*
 * `mxguardctl correspondents add`: @wire's registrable part becomes a
 * frequent correspondent now (0, or -EINVAL for a public suffix);
 * forget: out of the table (0, or -ENOENT).
 */
int corr_add(struct mxg_correspondents *t, const __u8 *wire, __u32 len,
	     long long now);
int corr_forget(struct mxg_correspondents *t, const __u8 *wire, __u32 len);

/* Rebuild the index now if the frequent set changed (tests, start). */
int corr_refresh(struct mxg_correspondents *t);

/* One correspondent as a line of the file, and back. */
void corr_format(const struct mxg_correspondent *c, char *out, size_t sz);
int corr_parse(const char *line, struct mxg_correspondent *c,
	       const char **err);

/* Write the file atomically (its directory made if missing); 0 or -errno. */
int corr_save(const struct mxg_correspondents *t, const char *path);
/*
 * Read the file into @t (emptied first; its window start is the file's).
 * A bad line is reported as path:line and skipped; past the cap the least
 * used go.  A missing file is an empty table.  Returns how many it kept,
 * -EPERM for a file that is not ours alone, -EBADMSG for one that is not a
 * correspondents file, or -errno.  On an error @t is left empty.
 */
int corr_load(struct mxg_correspondents *t, const char *path, long long now);

#endif
