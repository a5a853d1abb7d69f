/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The query socket: where the MTA integrations (user/contrib/) ask the
 * running daemon's compiled policy about a recipient at submission, so
 * the milter, the Exim ACL and the OpenSMTPD filter judge exactly as the
 * kernel does (one source of truth).  The protocol is qproto.h.
 *
 * Separate from the control socket: MTAs run as their own users, and what
 * they may do here is read-only (judge one recipient).  Mode 0666 unless
 * query_group is set (then 0660, root and that group).  Served in the
 * daemon's epoll loop by control.c's client machinery, with caps and
 * deadlines of its own (below): a local user who floods it or holds
 * connections open can make queries fail (each integration then falls
 * back, see its daemon-down setting), never stall the daemon or the
 * kernel side.
 *
 * A query for a lookalike recipient is an alert too (event.action
 * submission-lookalike), through the usual sinks and repeat folding.
 */
#ifndef MXGUARD_QUERY_H
#define MXGUARD_QUERY_H

#include <linux/types.h>

#define QRY_CLIENTS_MAX		64
#define QRY_PER_UID_MAX		16
#define QRY_REQUEST_MS		2000
#define QRY_REPLY_MS		2000
#define QRY_TAG_BASE		0x1000u

struct daemon;

/* Listen on conf->query_socket (if set) and join @epfd.  0 or -1. */
int query_start(struct daemon *d, int epfd);
int query_owns(__u32 tag);
void query_event(__u32 tag, __u32 events);
void query_expire(void);
void query_stop(void);

/* Answer one request line (also the unit tests' entry). */
struct ctl_peer;
struct ctl_reply;
void query_dispatch(void *ctx, const struct ctl_peer *peer,
		    const char *line, struct ctl_reply *r);

#endif
