/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The smtpd-filters(7) side of mxguard-smtpd-filter, pure: one line from
 * smtpd in, the lines to send back out.  The verdict comes from @ask
 * (qry_ask in the program, a table in the unit tests).
 *
 * Registered for smtp-in rcpt-to only.  A block rule rejects the recipient
 * with 550 5.1.2 and the daemon's reason and suggestion; an alert rule
 * proceeds (the daemon raises the alert when asked); with no verdict,
 * proceed (default) or 451 4.3.0 (tempfail).  Every filter request gets
 * exactly one answer, so no session waits on us past the query deadline.
 */
#ifndef MXGUARD_OSF_H
#define MXGUARD_OSF_H

#include <stddef.h>

#include "qproto.h"

typedef int osf_ask_fn(void *ctx, const char *rcpt, struct qry_answer *a,
		       char *err, size_t errsz);

struct osf {
	int down_tempfail;
	osf_ask_fn *ask;
	void *ctx;
	int ready;		/* smtpd said config|ready */
	/* What it did, for the log and the tests. */
	unsigned long rejected, proceeded, no_verdict;
	char note[QRY_LINE_MAX];	/* a line for stderr, or "" */
};

/*
 * Handle one line (no newline).  Fills @out with zero or more lines, each
 * ending in '\n'.  0, or -1 when smtpd sent something this filter cannot
 * answer (the program exits then; smtpd reports it).
 */
int osf_line(struct osf *f, char *line, char *out, size_t outsz);

#endif
