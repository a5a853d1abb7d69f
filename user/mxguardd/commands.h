/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the daemon answers on its control socket.
 *
 * The commands see the daemon through this and nothing else: a read-only
 * view, filled by the daemon just before each request, and a short table
 * of the things a command may ask the daemon to do.  So commands.c does
 * not include daemon.h, cannot reach into the loop's state, and is tested
 * on its own (tests/unit/test_commands.c) with a view and ops of the
 * test's making.
 */
#ifndef MXGUARD_COMMANDS_H
#define MXGUARD_COMMANDS_H

#include <time.h>

#include "config.h"
#include "control.h"
#include "mxguard/abi.h"
#include "policy.h"

struct mxg_evictions;
struct mxg_taint_view;

/* The daemon's counters that are not the datapath's. */
struct cmd_counts {
	unsigned long long alerts_written, alerts_failed, alerts_rate_limited;
	unsigned long long conn_matched, conn_out_of_scope, conn_destroyed;
	unsigned long long conn_spared;
	unsigned long long conn_destroy_failed, conn_scans_incomplete;
	unsigned long long suspects, suspects_added;
	unsigned long long sl_received, sl_checked, sl_dropped;
	unsigned long long learned_evicted, learned_expired, learned_forgotten;
	unsigned long long corr_learnt, corr_refused, corr_evicted, corr_swept;
	unsigned long long swept, reloads, reload_failures;
	/* the SMTP responder (responder.h) and its held table (held.h) */
	unsigned long long resp_sessions, resp_refused, resp_deferred;
	unsigned long long resp_busy, resp_timeouts, resp_errors;
	unsigned long long resp_unknown_origin, held_untracked;
	unsigned long long resp_alerts_suppressed, resp_relay_refused;
	unsigned long long unit_filter_clears;
};

struct mxg_secondlook_index;

struct cmd_view {
	const struct mxg_conf *conf;
	const struct mxg_policy *policy;	/* in force */
	/* Its second-look index, or NULL (check builds one then). */
	const struct mxg_secondlook_index *secondlook;
	__u32 generation;
	const char *cgroup;
	const char *lineage;			/* probe_lineage_text() */
	int adopted;				/* pinned links were kept */
	time_t started;
	struct cmd_counts n;
};

struct cmd_ops {
	/* Datapath counters (enum mxg_counter) and evictions; 0 or -errno. */
	int (*counters)(void *owner, __u64 cnt[MXG_CNT__MAX],
			struct mxg_evictions *ev);
	void (*each_taint)(void *owner,
			   void (*fn)(void *ctx, const struct mxg_taint_view *v),
			   void *ctx);
	void (*reload)(void *owner, struct ctl_reply *r);
	/* Stop the daemon and remove enforcement once the reply is out. */
	void (*unload)(void *owner);
	void (*learned)(void *owner, struct ctl_reply *r);
	void (*forget)(void *owner, const char *name, struct ctl_reply *r);
	/* Correspondents (correspondents.h): list; add (1) or forget (0). */
	void (*correspondents)(void *owner, struct ctl_reply *r);
	void (*correspondent_edit)(void *owner, int add, const char *name,
				   struct ctl_reply *r);
	/* What the responder held, per lookalike domain (held.h). */
	void (*held)(void *owner, struct ctl_reply *r);
};

struct cmd_env {
	struct cmd_view view;
	const struct cmd_ops *ops;
	void *owner;				/* the ops' first argument */
};

/* Run @line's command if @peer may (enum ctl_may); the reply in @r. */
void commands_dispatch(const struct cmd_env *env, const struct ctl_peer *peer,
		       const char *line, struct ctl_reply *r);

#endif
