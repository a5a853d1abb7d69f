/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the SMTP responder holds, per lookalike domain: `mxguardctl held`.
 * The mail itself stays in the MTA's queue; this is the daemon's memory of
 * what it refused, so that a sysadmin sees what waits and how to let it
 * go.  Kept in memory only: after a restart the MTA's queue is the record
 * (its listing carries the reason), and the table fills again on its next
 * retry.
 */
#ifndef MXGUARD_HELD_H
#define MXGUARD_HELD_H

#include <time.h>

#include "control.h"
#include "policy.h"
#include "responder.h"

#define MXG_HELD_MAX	1024

void held_note(const struct resp_refusal *r, time_t now);
/* The table, each domain judged again by @p (released after a reload?). */
void held_list(const struct mxg_policy *p, struct ctl_reply *r);
unsigned long long held_untracked(void);

#endif
