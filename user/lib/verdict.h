/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The verdict for one recipient, in the words its sender and the person
 * reading the queue will see.  One function, so that every place that
 * refuses or marks a recipient (the SMTP responder behind the kernel
 * block, the MTA integrations at submission, `mxguardctl check`) says the
 * same thing from the same compiled policy.
 *
 * The suggestion comes from the rule: the recipient with the suffix that
 * matched replaced by the protected name it imitates.  `lookalike ml of
 * mil` turns officer@army.ml into officer@army.mil; a name generated from
 * `protect gmail.com` (gmial.com) turns bob@gmial.com into bob@gmail.com.
 */
#ifndef MXGUARD_VERDICT_H
#define MXGUARD_VERDICT_H

#include "name.h"
#include "policy.h"

enum mxg_rcpt_kind {
	MXG_RCPT_CLEAN = 0,	/* no rule matches */
	MXG_RCPT_ALLOWED = 1,	/* an allow rule matches */
	MXG_RCPT_LOOKALIKE = 2,
};

/* Sized for a 64-octet local part, '@' and a whole name, escaped. */
#define MXG_RCPT_TEXT_MAX	(64 * 4 + 1 + MXG_NAME_TEXT_MAX)

struct mxg_rcpt_verdict {
	int kind;				/* enum mxg_rcpt_kind */
	__u8 action;				/* enum mxg_action */
	/* NULL when clean, or for a kernel similarity match (@protect) */
	const struct mxg_policy_rule *rule;
	long protect;		/* that match's protect directive, or -1 */
	char domain[MXG_NAME_TEXT_MAX];		/* the recipient's, canonical */
	char imitates[MXG_NAME_TEXT_MAX];	/* the protected name */
	char suggest[MXG_RCPT_TEXT_MAX];	/* "" if none */
	/* "army.ml imitates mil (mil.policy:1)"; "" unless lookalike */
	char reason[2 * MXG_NAME_TEXT_MAX + 4200];
};

/*
 * Judge @rcpt: "local@domain", "<local@domain>" or a bare domain.  The
 * local part is kept as written (printable ASCII only; anything else is
 * refused, as SMTP would).  0, or -EINVAL with *err set to a static
 * message.
 */
int mxg_rcpt_judge(const struct mxg_policy *p, const char *rcpt,
		   struct mxg_rcpt_verdict *v, const char **err);

#endif
