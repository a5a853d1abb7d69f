/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control socket: a unix stream socket; one request line per
 * connection ("status", "stats json", "check NAME", ...), one reply.  The
 * reply's first line is "ok", "lookalike" or "error MESSAGE"; the body
 * follows.  Only root, or members of the configured group (checked with
 * SO_PEERCRED), may talk to it.
 */
#ifndef MXGUARD_CONTROL_H
#define MXGUARD_CONTROL_H

#include <stddef.h>
#include <sys/types.h>

#define CTL_LINE_MAX	1024

struct ctl_reply {
	char *buf;
	size_t len, cap;
};

void reply_printf(struct ctl_reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void reply_append(struct ctl_reply *r, const char *s, size_t n);

/* Create, bind (mode 0660, group @group or root) and listen. */
int ctl_listen(const char *path, const char *group);
/* Accept one client, check its credentials, read its request line. */
int ctl_accept(int lfd, gid_t allowed_gid, char *line, size_t sz);
void ctl_finish(int cfd, struct ctl_reply *r);
/* The gid of @group, or (gid_t)-1 when @group is NULL or unknown. */
gid_t ctl_group_gid(const char *group);

/* Client side (mxguardctl): send @request, read the whole reply. */
int ctl_request(const char *path, const char *request, struct ctl_reply *r);

#endif
