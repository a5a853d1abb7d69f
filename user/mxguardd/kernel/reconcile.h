/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * After a policy load, bring the live taints to it: purge what no lookalike
 * rule covers now, re-stamp the rest with the new generation's rule ids and
 * actions.
 */
#ifndef MXGUARD_RECONCILE_H
#define MXGUARD_RECONCILE_H

#include "loader.h"
#include "remap.h"

/* What reconcile_taints() did to the live lookalike records. */
struct mxg_reconciled {
	long purged;		/* their rule is gone, or is an allow now */
	long restamped;		/* rewritten with the policy in force */
	long unknown;		/* kept, marked MXG_RULE_UNKNOWN */
	long raced;		/* changed or gone before we could write */
};

/*
 * Give every live lookalike record (taints and tainted names) the rule id,
 * action and protected name of the rule that covers it in @g->now, which
 * is in the kernel as generation l->generation, or delete it if none does
 * (remap.h).  Afterwards a record carries an older id only if a lookup
 * that began before the swap wrote it during the walk; the next load takes
 * it.  Returns 0, or -EINVAL if @g->now is not the policy in the kernel.
 */
int reconcile_taints(const struct mxg_loader *l, const struct mxg_gens *g,
		     struct mxg_reconciled *out);

#endif
