/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The smtpd-filters(7) side of mxguard-smtpd-filter, pure: one line from
 * smtpd in, the lines to send back out.  The verdict comes from @ask
 * (qry_ask in the program, a table in the unit tests).
 *
 * Registered for smtp-in rcpt-to, mail-from and data-line.  A block rule
 * rejects the recipient with 550 5.1.2 and the daemon's reason and
 * suggestion; an alert rule proceeds (the daemon raises the alert when
 * asked) and the message gets an X-Mxguard-Lookalike header per such
 * recipient, written before its first line; with no verdict, proceed
 * (default) or 451 4.3.0 (tempfail).  Every filter request gets its
 * answer at once, so no session waits on us past the query deadline.
 * Data lines are passed through unchanged otherwise.
 */
#ifndef MXGUARD_OSF_H
#define MXGUARD_OSF_H

#include <stddef.h>

#include "qproto.h"

typedef int osf_ask_fn(void *ctx, const char *rcpt, struct qry_answer *a,
		       char *err, size_t errsz);

/* Sessions with marks pending, at once; a new one takes the oldest slot. */
#define OSF_SESSIONS	64
#define OSF_MARKS	4	/* headers per message, at most */
#define OSF_MARK_MAX	400
/* Room osf_line needs in @out beyond the line it was given. */
#define OSF_OUT_EXTRA	(OSF_MARKS * (OSF_MARK_MAX + 128) + 1024)

struct osf_session {
	char id[32];
	unsigned long stamp;		/* 0: free */
	int in_data;
	int nmarks;
	char marks[OSF_MARKS][OSF_MARK_MAX];
};

struct osf {
	int down_tempfail;
	osf_ask_fn *ask;
	void *ctx;
	int ready;		/* smtpd said config|ready */
	/* What it did, for the log and the tests. */
	unsigned long rejected, proceeded, no_verdict;
	char note[QRY_LINE_MAX];	/* a line for stderr, or "" */
	unsigned long clock;
	struct osf_session sessions[OSF_SESSIONS];
};

/*
 * Handle one line (no newline).  Fills @out (at least strlen(@line) +
 * OSF_OUT_EXTRA bytes) with zero or more lines, each ending in '\n'.  0, or -1 when smtpd sent something this filter cannot
 * answer (the program exits then; smtpd reports it).
 */
int osf_line(struct osf *f, char *line, char *out, size_t outsz);

#endif
