/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MXGUARD_DAEMON_H
#define MXGUARD_DAEMON_H

#include <time.h>
#include <sys/types.h>

#include "config.h"
#include "conncache.h"
#include "control.h"
#include "event.h"
#include "learn.h"
#include "loader.h"
#include "output.h"
#include "policy.h"
#include "ratelimit.h"
#include "reconcile.h"

enum exit_code {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* runtime failure: kernel, attach, I/O */
	EXIT_CONFIG = 2,	/* usage, config or policy error */
};

struct ring_buffer;

struct daemon {
	struct mxg_conf *conf;
	char cgroup[4096];
	struct mxg_loader loader;
	int loaded;
	/* policy[0] is current; policy[1] the generation before it. */
	struct mxg_policy policy[2];
	__u32 gen[2];
	int have_prev;
	struct output out;
	struct ratelimit rl;
	struct ring_buffer *rb;		/* verdicts and their context */
	struct ring_buffer *qrb;	/* MX queries for the second look */
	int epfd, sigfd, ctl_fd;
	gid_t ctl_gid;
	time_t started;
	__u64 lost_reported;
	unsigned long long reloads, reload_failures;
	unsigned long long swept;		/* expired records removed */
	/* clean_unit's filter: clears, and live pairs kept by the last */
	unsigned long long unit_filter_clears;
	long unit_filter_kept;
	__u64 unit_filter_cleared_s;
	struct conncache_counts conncache;	/* totals over all taints */
	unsigned long long suspects, suspects_added;
	struct learn learn;			/* the second look */
	int stopping, unload;
	__u16 responder_port;			/* 0: not running */
	/* recipient-held alerts this second, and those over the budget */
	time_t rcpt_alert_s;
	unsigned int rcpt_alerts;
	unsigned long long rcpt_alerts_suppressed;
};

/* Load @conf's policy; 0, or the number of errors (nothing kept). */
int daemon_load_policy(const struct mxg_conf *conf, struct mxg_policy *p);
/* Run until SIGTERM/SIGINT or `unload`; returns an enum exit_code. */
int daemon_run(struct mxg_conf *conf);
/* Build the new policy in full, then swap; the old one stays on error. */
int daemon_reload(struct daemon *d, struct ctl_reply *r);
/* The repeat window's key of an event (ratelimit.h), one for every path. */
void rl_key_of(const struct mxg_event *ev, struct rl_key *k);
void daemon_emit(struct daemon *d, const struct mxg_event *ev,
		 const struct alert_extra *x);
const struct mxg_policy *daemon_policy_for(const struct daemon *d,
					   const struct mxg_event *ev);
/* Bring the live records to policy[0] (after a rule left it). */
void daemon_reconcile(struct daemon *d, struct mxg_reconciled *rc);

#endif
