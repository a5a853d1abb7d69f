/* SPDX-License-Identifier: GPL-2.0-only */
/* `check NAME`: the verdict for a name and why (daemon and mxguardctl). */
#ifndef MXGUARD_CHECK_H
#define MXGUARD_CHECK_H

#include "ctlproto.h"
#include "policy.h"

enum check_verdict { CHECK_CLEAN = 0, CHECK_LOOKALIKE = 1, CHECK_ERROR = 2 };

/*
 * Reply with "ok" (clean or allowed), "lookalike" or "error ..." as the
 * first line, then "key: value" lines.  Returns the enum check_verdict,
 * which is also mxguardctl's exit status.
 */
int check_name(const struct mxg_policy *p, const char *name,
	       struct ctl_reply *r);

/*
 * The same with the policy's second-look index (the daemon keeps one per
 * policy), so a check costs a few lookups rather than a comparison with
 * every protected name; @ix NULL builds one for the call.
 */
struct mxg_secondlook_index;
int check_name_ix(const struct mxg_policy *p,
		  const struct mxg_secondlook_index *ix, const char *name,
		  struct ctl_reply *r);

#endif
