/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's second look, off the verdict path.  MX queries no rule
 * covers come from the datapath on a ring of their own and wait in a
 * bounded queue; the daemon looks at them a slice at a time, after the
 * verdicts (daemon.c), against the protected side indexed once per policy
 * (secondlook.h).  Under a flood the queue drops and counts names, never a
 * verdict.
 *
 * A finding takes the action of the protected name it imitates.  In block
 * mode its registrable domain joins the live policy, so the kernel judges
 * the lookups that follow, and it is remembered (learned.h): at most
 * MXG_LEARNED_MAX, the oldest going first, each for learned_lifetime, in a
 * state file read back at start, across reloads and restarts.  A finding
 * that leaves (expiry, the cap, `mxguardctl forget`) leaves the kernel's
 * policy at once, and the live records it made are purged.
 */
#ifndef MXGUARD_LEARN_H
#define MXGUARD_LEARN_H

#include "control.h"
#include "correspondents.h"
#include "learned.h"
#include "mxguard/abi.h"
#include "policy.h"
#include "secondlook.h"

/* MX queries waiting for a second look. */
#define LEARN_QUEUE_MAX		1024

struct learn {
	struct mxg_secondlook_index *ix;	/* of the policy in force */
	struct mxg_learned found;
	struct mxg_event *queue;		/* a ring of LEARN_QUEUE_MAX */
	size_t head, queued;
	unsigned long long received, dropped, checked;
	unsigned long long evicted, expired, forgotten;
	int dirty;		/* the state file is behind */
	int purge_due;		/* findings left: purge their records */
	int save_failed;	/* said once, until a save works again */
	/* Correspondents (correspondents.h, correspond.c). */
	struct mxg_correspondents corr;
	long long corr_saved;	/* when the file was last written */
	int corr_dirty;
	int corr_keep_file;	/* refused at start: never written over */
	int corr_save_failed;
};

struct daemon;

/*
 * Before the first policy load: read the state file and put its findings
 * into policy[0], which is not in the kernel yet.  0 or -ENOMEM.
 */
int learn_start(struct daemon *d);
void learn_stop(struct daemon *d);

/*
 * A reload: index @next and give it the findings that still imitate a
 * protected name of it (with that name's action now) and that no rule of
 * its files covers.  learn_commit once @next is in force, learn_abort if
 * it is not.
 */
struct learn_next {
	struct mxg_secondlook_index *ix;
	long *rule;		/* per finding: its index in @next, or -1 */
	__u8 *action;
};
int learn_prepare(struct daemon *d, struct mxg_policy *next,
		  struct learn_next *n);
void learn_commit(struct daemon *d, struct learn_next *n);
void learn_abort(struct learn_next *n);

/* An MX query from the datapath: queued, or dropped and counted. */
void learn_enqueue(struct learn *l, const struct mxg_event *ev);
static inline int learn_pending(const struct learn *l)
{
	return l->queued != 0;
}
/* Look at the oldest queued name (report, learn). */
void learn_one(struct daemon *d);
/* Once a second: expiry, the purge of what left, the state file. */
void learn_tick(struct daemon *d);

/*
 * A finding of the second look or (@origin MXG_ORIGIN_CORRESPONDENT) of
 * the correspondents on the name of MX query @ev: reported once per repeat
 * window, learnt into the live policy in block mode.
 */
void learn_flag(struct daemon *d, const struct mxg_event *ev, __u32 len,
		const struct mxg_secondlook_finding *f, __u8 origin);

/* correspond.c: the correspondents in the daemon. */
int corr_start(struct daemon *d);
void corr_stop(struct daemon *d);
void corr_look(struct daemon *d, const struct mxg_event *ev, __u32 len);
void corr_tick(struct daemon *d);
/* `mxguardctl correspondents [list|add NAME|forget NAME]`. */
void corr_list(struct daemon *d, struct ctl_reply *r);
void corr_edit(struct daemon *d, int add, const char *name,
	       struct ctl_reply *r);

/* `mxguardctl learned`, `mxguardctl forget NAME`. */
void learn_list(struct daemon *d, struct ctl_reply *r);
void learn_forget(struct daemon *d, const char *name, struct ctl_reply *r);

#endif
