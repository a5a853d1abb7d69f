/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The SMTP responder: where the kernel sends a blocked port-25 or port-587
 * connect (bpf/redirect.bpf.h).  On 25 it greets, and answers every RCPT
 * with a 4xx that names the lookalike and the address it imitates, so the
 * MTA defers that recipient, with the reason in its queue, and never the
 * host.  On 587 it greets with a 421 that names the lookalike.  It never
 * answers 2xx to RCPT or DATA and never stores a byte of a message.
 *
 * It runs in the daemon's epoll loop, non-blocking: bounded buffers, a
 * deadline per session, a cap on sessions, and a bounded amount of work
 * per wake-up, so no client can hold up the ring of verdicts.
 */
#ifndef MXGUARD_RESPONDER_H
#define MXGUARD_RESPONDER_H

#include <linux/types.h>

#include "mxguard/abi.h"
#include "policy.h"
#include "verdict.h"

/* Listen on loopback in the responder's netns (see responder_netns). */
#define MXG_RESPONDER_PORT_DEFAULT	11025
/* SO_MARK on the listeners, which the connect programs check. */
#define MXG_RESPONDER_MARK		0x6d786721u	/* "mxg!" */
#define MXG_RESPONDER_SESSIONS_MAX	64
#define MXG_RESPONDER_TIMEOUT_DEFAULT	60		/* seconds idle */

struct resp_counts {
	unsigned long long sessions;	/* accepted */
	unsigned long long refused;	/* lookalike RCPTs answered 450 */
	unsigned long long deferred;	/* other RCPTs answered 451 */
	unsigned long long busy;	/* turned away at the session cap */
	unsigned long long timeouts;
	unsigned long long errors;	/* protocol errors and I/O failures */
	unsigned long long unknown_origin; /* no redirect record found */
	unsigned long long relay_refused; /* port-587 sessions greeted 421 */
};

/* One refusal, for the alert and the held table. */
struct resp_refusal {
	/* as the MTA sent it, escaped; NULL: a relay's session (port 587) */
	const char *rcpt;
	const struct mxg_rcpt_verdict *v;
	const struct mxg_redirect *orig;	/* NULL: not known */
	__u32 peer_tgid;			/* 0 if not known */
};

struct resp_hooks {
	/* The policy in force now: judged per RCPT, so a reload counts. */
	const struct mxg_policy *(*policy)(void *ctx);
	void (*refused)(void *ctx, const struct resp_refusal *r);
	/*
	 * The readable name of a `names` hash (a redirect's origin), into
	 * @out: 0, or -1 if unknown.  NULL: never asked.
	 */
	int (*name_of)(void *ctx, __u64 hash, char *out, size_t sz);
	void *ctx;
};

/*
 * Listen on 127.0.0.1:@port and [::1]:@port inside the network namespace
 * @netns (a path such as /proc/PID/ns/net or /run/netns/NAME; NULL or ""
 * is the daemon's own).  @redirects_fd: the `redirects` map.  0, or -errno
 * with the reason logged.
 */
int resp_open(const char *netns, __u16 port, int redirects_fd,
	      unsigned int timeout_s);
int resp_attach(int epfd, const struct resp_hooks *hooks);
int resp_owns(__u32 tag);
void resp_event(__u32 tag, __u32 events);
/* Close sessions past their deadline; call once a loop turn. */
void resp_expire(void);
void resp_close(void);
const struct resp_counts *resp_counts(void);
int resp_active(void);

#endif
