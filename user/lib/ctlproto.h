/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control protocol, both sides.  One request line per connection; the
 * reply's first line is "ok", "lookalike" or "error MESSAGE", and the body
 * follows.  A reply that outgrew its bound ends with a line starting
 * CTL_TRUNCATED, which mxguardctl reports.
 */
#ifndef MXGUARD_CTLPROTO_H
#define MXGUARD_CTLPROTO_H

#include <stddef.h>

/* One request line per connection ("status", "stats json", ...). */
#define CTL_LINE_MAX	1024
/*
 * Bound on one reply.  `list` is the only big one: its maps hold 3 x 65536
 * records, and a line names two DNS names, so a full table would not fit;
 * the daemon keeps this much per client at most.
 */
#define CTL_REPLY_MAX	(16u << 20)
#define CTL_TRUNCATED	"truncated: "

struct ctl_reply {
	char *buf;
	size_t len, cap;
	int truncated;		/* over CTL_REPLY_MAX, or out of memory */
};

void reply_printf(struct ctl_reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void reply_append(struct ctl_reply *r, const char *s, size_t n);
/* Close a truncated reply with its CTL_TRUNCATED line (past the bound). */
void reply_seal(struct ctl_reply *r);
void reply_free(struct ctl_reply *r);

/*
 * Client side (mxguardctl): send @request, read the whole reply into @r.
 * 0, or -errno when nothing came back.
 */
int ctl_request(const char *path, const char *request, struct ctl_reply *r);

#endif
