/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What mxguard-milter answers for one recipient, from the daemon's verdict
 * (qproto.h): pure, so the unit tests cover every reply the milter gives.
 */
#ifndef MXGUARD_MILTER_REPLY_H
#define MXGUARD_MILTER_REPLY_H

#include <stddef.h>

#include "qproto.h"

#define MLT_HEADER	"X-Mxguard-Lookalike"
/* A header line stays well under SMTP's 998 octets. */
#define MLT_TEXT_MAX	900
/* Headers on one message, at most; the first reason is the hold reason. */
#define MLT_MARKS_MAX	32

enum mlt_kind {
	MLT_PASS = 0,		/* clean or allowed */
	MLT_REJECT = 1,		/* block rule: 550 5.1.2 */
	MLT_MARK = 2,		/* alert rule: header (and hold with -H) */
	MLT_NO_VERDICT = 3,	/* daemon down or busy: -d decides */
};

struct mlt_decision {
	int kind;		/* enum mlt_kind */
	char rcode[4], xcode[8];	/* REJECT, NO_VERDICT */
	/*
	 * REJECT and NO_VERDICT: the reply text for smfi_setreply, '%'
	 * doubled.  MARK: the header value.  @log: the same, as said.
	 */
	char text[MLT_TEXT_MAX];
	char log[MLT_TEXT_MAX];
};

/*
 * @rc and @a are what qry_ask returned; @hold: -H.  A NO_VERDICT reply is
 * the caller's to send or not (-d).
 */
void mlt_decide(int rc, const struct qry_answer *a, const char *rcpt,
		int hold, struct mlt_decision *d);

struct mlt_marks {
	char *v[MLT_MARKS_MAX];
	size_t n;
	size_t dropped;		/* past MLT_MARKS_MAX */
};

/* Keep a copy of @text; 0, or -ENOMEM. */
int mlt_marks_add(struct mlt_marks *m, const char *text);
void mlt_marks_clear(struct mlt_marks *m);

#endif
