/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's control socket, built like OpenSMTPD's smtpd/control.c: a
 * unix stream socket (mode 0660, group control_group, or 0600), one
 * request line per connection and one reply (ctlproto.h).  Clients are
 * non-blocking and live in the daemon's epoll loop, with bounded buffers,
 * a deadline each, and a cap per uid, so no client can hold up an alert.
 * Credentials come from the socket (SO_PEERCRED, SO_PEERGROUPS) and are
 * checked per command.
 */
#ifndef MXGUARD_CONTROL_H
#define MXGUARD_CONTROL_H

#include <sys/types.h>
#include <linux/types.h>

#include "ctlproto.h"

#define CTL_CLIENTS_MAX	32	/* connections at once, all uids */
#define CTL_PER_UID_MAX	8	/* of them, from one uid */
/*
 * Beyond CTL_CLIENTS_MAX, slots only a peer that may change state (root)
 * takes: members of control_group who hold every slot, reconnecting as
 * each deadline drops them (or as many uids, from one user's subordinate
 * uid range), must not lock the operator's reload or unload out.
 */
#define CTL_ADMIN_RESERVED	4
#define CTL_REQUEST_MS	5000	/* from accept to a complete request line */
#define CTL_REPLY_MS	10000	/* from the request to the reply's last byte */
/* Reply bytes waiting to be read, over all clients. */
#define CTL_PENDING_MAX	(64u << 20)

/* What a peer may do, from the credentials it connected with. */
enum ctl_may {
	CTL_MAY_READ = 1,	/* status, stats, check, list */
	CTL_MAY_ADMIN = 2,	/* reload, unload: what changes state */
};

struct ctl_peer {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	unsigned int may;	/* enum ctl_may bits */
};

typedef void ctl_dispatch_fn(void *ctx, const struct ctl_peer *peer,
			     const char *line, struct ctl_reply *r);

/*
 * A server of this kind: the control socket is one (the ctl_* calls below
 * serve it), the query socket for the MTA integrations another (query.h).
 * Each has its own epoll tags, from @tag_base up to @tag_base +
 * @clients_max, and its own caps and deadlines.
 */
struct ctl_opts {
	const char *name;	/* in log lines: "control", "query" */
	__u32 tag_base;
	int clients_max, per_uid_max;
	int admin_reserved;	/* of clients_max, for CTL_MAY_ADMIN peers */
	int request_ms, reply_ms;
	/* Without a group, anyone may connect and read (mode 0666). */
	int open;
	int lock;		/* take @path.lock (the daemon's own lock) */
};

struct ctl_server;

struct ctl_server *ctl_server_listen(const char *path, const char *group,
				     const struct ctl_opts *o);
int ctl_server_attach(struct ctl_server *s, int epfd, ctl_dispatch_fn *fn,
		      void *ctx);
int ctl_server_owns(const struct ctl_server *s, __u32 tag);
void ctl_server_event(struct ctl_server *s, __u32 tag, __u32 events);
void ctl_server_expire(struct ctl_server *s);
/* Close every client, remove the socket (and lock); frees @s. */
void ctl_server_close(struct ctl_server *s);

/*
 * Claim @path for this daemon and listen on it: take the lock beside it
 * (@path.lock), refuse if a daemon answers there ("already running") or if
 * something that is not a socket is in the way, remove a stale socket,
 * and bind with the mode set by umask.  Members of @group (primary or
 * supplementary) may read; only root may change state.  The listening
 * descriptor, or -1 (reported).
 */
int ctl_listen(const char *path, const char *group);
/* Serve on @epfd; each request goes to @fn. */
int ctl_attach(int epfd, ctl_dispatch_fn *fn, void *ctx);
/* Is @tag one of this module's epoll tags?  Then pass the event on. */
int ctl_owns(__u32 tag);
void ctl_event(__u32 tag, __u32 events);
/* Close clients past their deadline (call at least once a second). */
void ctl_expire(void);
/* Close every client, remove the socket and release the lock. */
void ctl_close(void);

#endif
