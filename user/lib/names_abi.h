/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one name of each value of the ABI's enums (include/mxguard/abi.h)
 * and of the daemon's own event types (enum mxg_user_event, below): what alerts, logs,
 * metrics, mxguardctl and the configuration call them.  Every module
 * that prints or parses one of these values goes through here.
 *
 * Each mapping is a switch on its enum with no default, so -Wswitch
 * (-Wall -Werror) refuses a value without a name; the counters, indexed
 * in loops, are a table checked against MXG_CNT__MAX.  A value no mapping
 * knows (a record from another build, a corrupted byte) is "unknown".
 */
#ifndef MXGUARD_NAMES_ABI_H
#define MXGUARD_NAMES_ABI_H

#include <linux/types.h>

#include "mxguard/abi.h"

/* Events made in user space share struct mxg_event's layout. */
enum mxg_user_event {
	MXG_EV_DESTROYED = 100,		/* an open connection was destroyed */
	MXG_EV_SUSPECT = 101,		/* second look: a likely lookalike */
	MXG_EV_LOST = 102,		/* the ring buffer dropped events */
	/* An MTA asked about a lookalike recipient at submission (query.h) */
	MXG_EV_SUBMISSION = 103,
	MXG_EV_RCPT_HELD = 104,		/* the SMTP responder held a recipient */
};

/*
 * How many values each enum has: abi.h gives only the counters a __MAX.
 * tests/unit/test_names.c fails when one here falls behind its enum.
 */
#define MXG_MODES		(MXG_MODE_ALERT + 1)
#define MXG_ACTIONS		(MXG_ACTION_BLOCK + 1)
#define MXG_SCOPES		(MXG_SCOPE_NONE + 1)
#define MXG_HOLD_REASONS	(MXG_HOLD_QUESTION + 1)

/* "process", "unit", "host"; "none" in events where no taint matched. */
const char *mxg_scope_name(__u32 scope);
/* enum mxg_mode: "block" (MXG_MODE_ENFORCE) or "alert" (dry run). */
const char *mxg_mode_name(__u32 mode);
/* enum mxg_action, a rule's own action: "block" or "alert". */
const char *mxg_action_name(__u32 action);
/* enum mxg_counter: "dns_packets", ...: stable, for logs and metrics. */
const char *mxg_counter_name(__u32 counter);
/* enum mxg_hold_reason: "malformed-record", "message-too-large", ... */
const char *mxg_hold_reason_name(__u32 reason);
/*
 * ECS event.action of @ev: "blocked", "alerted", "tainted", ...: its type
 * (enum mxg_event_type, enum mxg_user_event) and, for a connect, its
 * outcome, for an answer not read to the end, whether it was held.
 */
const char *mxg_event_action(const struct mxg_event *ev);

/*
 * The value below @n that @name_of calls @name, or -1: configuration and
 * policy files spell values with the names above.
 */
int mxg_name_value(const char *(*name_of)(__u32 value), __u32 n,
		   const char *name);

#endif
