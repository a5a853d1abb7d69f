// SPDX-License-Identifier: GPL-2.0-only
/*
 * The SMTP responder (responder.h).  What it says, and why:
 *
 *  - 220 greeting, 250 to EHLO/HELO/MAIL/NOOP: a 4xx or 5xx there would be
 *    taken for the host's failure, and an MTA would then hold every
 *    domain on that MX address.  EHLO offers PIPELINING and
 *    ENHANCEDSTATUSCODES only (no STARTTLS, SIZE, CHUNKING, AUTH).
 *  - RCPT for a lookalike: "450 4.7.1 <rcpt>: REASON; held on this host
 *    by mxguard; did you mean SUGGESTION?".  A per-recipient 4xx: the MTA
 *    keeps the message queued for that recipient alone, shows the reply
 *    in its queue listing, and quotes it in its delay notices.
 *  - RCPT for anything else (a clean domain sharing the connection, or
 *    an address that does not parse): 451 4.7.1, also per recipient and
 *    temporary, never 5xx, so nothing bounces because of us.  It names
 *    the lookalike the connection is held for, so that whoever reads the
 *    queue sees why a clean domain waits: the redirect's origin, else the
 *    first lookalike refused in the session, else no name.
 *  - DATA: 451 (no recipient was accepted, so an MTA does not send it;
 *    a client that does gets no 354 and no byte is read as a message).
 *  - A redirected port-587 connect (a relay) is greeted 421 with the
 *    reason instead, and closed: see greet_relay().
 *  - One transaction per session: a second MAIL or an RSET after one
 *    gets 421 and the session closes.  An MTA that caches connections by
 *    address (Postfix) then does not reuse this one for a clean domain on
 *    the same MX: its next delivery connects anew and the kernel judges
 *    that connect on its own.
 *  - Lines are bytes.  Past RESP_LINE_MAX a line is discarded to its LF
 *    and answered 500; NULs and 8-bit bytes stay data, and a recipient
 *    echoed back is cut to printable ASCII.
 *  - Bounds: at most RESP_LINE_MAX bytes of input served per wake-up,
 *    replies stop being produced when the output buffer nears full (the
 *    client must read; EPOLLOUT resumes the lines already read), an idle
 *    deadline, a session deadline, RESP_RCPT_MAX recipients, and
 *    MXG_RESPONDER_SESSIONS_MAX sessions (the next gets 421 at once).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <bpf/bpf.h>

#include "log.h"
#include "responder.h"

/* epoll tags: apart from the control socket's (0x100) and the query socket's (0x1000) */
#define TAG_L4		0x2000u
#define TAG_L6		0x2001u
#define TAG_SESS(i)	(0x2002u + (i))

#define RESP_LINE_MAX	1024	/* RFC 5321 wants 512 for commands */
#define RESP_OUT_MAX	8192
#define RESP_REPLY_MAX	512	/* RFC 5321 4.5.3.1.5: reply line */
#define RESP_RCPT_MAX	200
#define RESP_ERRORS_MAX	16
#define RESP_SESSION_S	300	/* whole session, however active */
#define RESP_LINGER_MS	2000	/* for a last reply to go out */
#define SMTP_PORT	25	/* the redirect's other port is 587 */

/* The longest lookalike name a 451 names (a longer one goes unnamed). */
#define RESP_NAME_SAID	254

struct sess {
	int fd;
	int in_use;
	char in[RESP_LINE_MAX];
	size_t inlen;
	int overlong;			/* discarding to the next LF */
	char out[RESP_OUT_MAX];
	size_t outlen, outoff;
	long long idle_deadline, deadline;
	int mail, transactions, rcpts, errors, closing;
	int have_orig;
	struct mxg_redirect orig;
	char held_for[RESP_NAME_SAID];	/* the lookalike, or "" */
	__u32 events;			/* what epoll waits for */
};

static struct {
	int lfd[2];
	int epfd;
	int diag;			/* NETLINK_SOCK_DIAG in the netns */
	int redirects_fd;
	unsigned int timeout_s;
	struct resp_hooks hooks;
	struct sess s[MXG_RESPONDER_SESSIONS_MAX];
	struct resp_counts counts;
	int paused;			/* out of descriptors, since paused_ms */
	long long paused_ms;
} resp = { .lfd = { -1, -1 }, .epfd = -1, .diag = -1, .redirects_fd = -1 };

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int listen_on(int family, __u16 port)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(port),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	__u32 mark = MXG_RESPONDER_MARK;
	int one = 1, fd;

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) ||
	    (family == AF_INET ? bind(fd, (void *)&a4, sizeof(a4)) :
				 bind(fd, (void *)&a6, sizeof(a6))) ||
	    listen(fd, 64)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Everything made inside @netns stays there after we return. */
static int open_in_netns(const char *netns, __u16 port)
{
	int self = -1, target = -1, err = 0;

	if (netns && *netns) {
		self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		target = open(netns, O_RDONLY | O_CLOEXEC);
		if (self < 0 || target < 0 || setns(target, CLONE_NEWNET)) {
			err = -errno;
			log_warn("responder: network namespace %s", netns);
			goto out;
		}
	}
	resp.lfd[0] = listen_on(AF_INET, port);
	resp.lfd[1] = listen_on(AF_INET6, port);
	resp.diag = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
			   NETLINK_SOCK_DIAG);
	if (resp.lfd[0] < 0) {
		err = resp.lfd[0];
		pr_warn("responder: cannot listen on 127.0.0.1:%u: %s\n", port,
			strerror(-err));
	}
	/* No ::1 (IPv6 off in the netns): v6 blocks then get EPERM. */
	if (resp.lfd[1] < 0)
		pr_info("responder: not on [::1]:%u (%s): IPv6 blocks get "
			"EPERM\n", port, strerror(-resp.lfd[1]));
	if (self >= 0 && setns(self, CLONE_NEWNET)) {
		/* Cannot happen short of a kernel bug; do not go on astray. */
		err = -errno;
		log_warn("responder: back to our own network namespace");
	}
out:
	if (self >= 0)
		close(self);
	if (target >= 0)
		close(target);
	return err;
}

int resp_open(const char *netns, __u16 port, int redirects_fd,
	      unsigned int timeout_s)
{
	struct timeval tv = { .tv_usec = 100000 };
	int err = open_in_netns(netns, port);

	if (err) {
		resp_close();
		return err;
	}
	if (resp.diag >= 0)
		setsockopt(resp.diag, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	resp.redirects_fd = redirects_fd;
	resp.timeout_s = timeout_s ? timeout_s : MXG_RESPONDER_TIMEOUT_DEFAULT;
	return 0;
}

static void set_events(struct sess *c, __u32 events)
{
	struct epoll_event e = { .events = events,
				 .data.u32 = TAG_SESS(c - resp.s) };

	if (c->events == events)
		return;
	c->events = events;
	epoll_ctl(resp.epfd, EPOLL_CTL_MOD, c->fd, &e);
}

int resp_attach(int epfd, const struct resp_hooks *hooks)
{
	struct epoll_event e = { .events = EPOLLIN };
	int i;

	resp.epfd = epfd;
	resp.hooks = *hooks;
	for (i = 0; i < 2; i++) {
		if (resp.lfd[i] < 0)
			continue;
		e.data.u32 = i ? TAG_L6 : TAG_L4;
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, resp.lfd[i], &e))
			return -errno;
	}
	return 0;
}

int resp_owns(__u32 tag)
{
	return tag >= TAG_L4 && tag <= TAG_SESS(MXG_RESPONDER_SESSIONS_MAX - 1);
}

/*
 * The redirect record for this session: the client's socket cookie, found
 * by its 4-tuple with sock_diag, keys `redirects`.  One exact lookup,
 * answered at once by the kernel (100 ms receive timeout as a backstop).
 */
static int find_origin(struct sess *c)
{
	struct sockaddr_storage peer, self;
	socklen_t pl = sizeof(peer), sl = sizeof(self);
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 r;
	} req = {
		.nh = { .nlmsg_len = sizeof(req),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST },
		.r = { .sdiag_protocol = IPPROTO_TCP, .idiag_states = ~0u },
	};
	char buf[1024];
	struct nlmsghdr *nh = (void *)buf;
	struct inet_diag_msg *m;
	__u64 cookie;
	ssize_t n;

	if (resp.diag < 0 || resp.redirects_fd < 0 ||
	    getpeername(c->fd, (void *)&peer, &pl) ||
	    getsockname(c->fd, (void *)&self, &sl))
		return -1;
	req.r.sdiag_family = peer.ss_family;
	req.r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (peer.ss_family == AF_INET) {
		struct sockaddr_in *p = (void *)&peer, *s = (void *)&self;

		req.r.id.idiag_sport = p->sin_port;
		req.r.id.idiag_dport = s->sin_port;
		memcpy(req.r.id.idiag_src, &p->sin_addr, 4);
		memcpy(req.r.id.idiag_dst, &s->sin_addr, 4);
	} else {
		struct sockaddr_in6 *p = (void *)&peer, *s = (void *)&self;

		req.r.id.idiag_sport = p->sin6_port;
		req.r.id.idiag_dport = s->sin6_port;
		memcpy(req.r.id.idiag_src, &p->sin6_addr, 16);
		memcpy(req.r.id.idiag_dst, &s->sin6_addr, 16);
	}
	if (send(resp.diag, &req, sizeof(req), 0) < 0)
		return -1;
	n = recv(resp.diag, buf, sizeof(buf), 0);
	if (n < (ssize_t)(NLMSG_HDRLEN + sizeof(*m)) ||
	    nh->nlmsg_type != SOCK_DIAG_BY_FAMILY)
		return -1;
	m = NLMSG_DATA(nh);
	cookie = m->id.idiag_cookie[0] | (__u64)m->id.idiag_cookie[1] << 32;
	if (bpf_map_lookup_and_delete_elem(resp.redirects_fd, &cookie,
					   &c->orig) &&
	    bpf_map_lookup_elem(resp.redirects_fd, &cookie, &c->orig))
		return -1;
	/* LRU maps refuse lookup_and_delete before Linux 5.14: delete. */
	bpf_map_delete_elem(resp.redirects_fd, &cookie);
	return 0;
}

static void held_for_set(struct sess *c, const char *name)
{
	if (!c->held_for[0] && strlen(name) < sizeof(c->held_for))
		strcpy(c->held_for, name);
}

/* What the redirect record says the connection was held for. */
static void held_for_origin(struct sess *c)
{
	char name[MXG_NAME_TEXT_MAX];

	if (resp.hooks.name_of && c->orig.origin_hash &&
	    !resp.hooks.name_of(resp.hooks.ctx, c->orig.origin_hash, name,
				sizeof(name)))
		held_for_set(c, name);
}

static void reply(struct sess *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void reply(struct sess *c, const char *fmt, ...)
{
	char line[RESP_REPLY_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 3)
		n = sizeof(line) - 3;	/* cut to the reply-line bound */
	line[n++] = '\r';
	line[n++] = '\n';
	if (c->outlen + n > sizeof(c->out)) {
		/* Cannot happen: lines are parsed only with room for this. */
		c->closing = 1;
		return;
	}
	memcpy(c->out + c->outlen, line, n);
	c->outlen += n;
}

static void drop(struct sess *c)
{
	epoll_ctl(resp.epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->in_use = 0;
}

/* 0: all written or waiting for EPOLLOUT; -1: the session is over. */
static int flush(struct sess *c)
{
	ssize_t n;

	while (c->outoff < c->outlen) {
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			set_events(c, EPOLLOUT);
			return 0;
		}
		if (n <= 0)
			return -1;
		c->outoff += n;
	}
	c->outoff = c->outlen = 0;
	if (c->closing)
		return -1;
	set_events(c, EPOLLIN);
	return 0;
}

static void set_listening(int on)
{
	struct epoll_event e = { .events = EPOLLIN };
	int i;

	if (resp.paused == !on)
		return;
	if (!on)
		log_warn("responder: accept");
	resp.paused = !on;
	resp.paused_ms = mono_ms();
	for (i = 0; i < 2; i++) {
		if (resp.lfd[i] < 0)
			continue;
		e.data.u32 = i ? TAG_L6 : TAG_L4;
		epoll_ctl(resp.epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL,
			  resp.lfd[i], &e);
	}
}

/*
 * A redirected port-587 connect: a relay or smarthost, where STARTTLS and
 * AUTH come before any RCPT and an MTA that requires TLS would give up
 * after EHLO with "TLS is required", telling nobody why.  Every recipient
 * of such a connection goes through the lookalike server, so the greeting
 * refuses it whole, with the reason: Postfix logs "host X refused to talk
 * to me: 421 ...", Exim "SMTP error ... after initial connection: 421
 * ...", and both keep the mail queued with that text.  421, not 554: a
 * reload that lets the name go must release the mail, not bounce it.
 */
static void greet_relay(struct sess *c)
{
	const struct mxg_policy *p = resp.hooks.policy(resp.hooks.ctx);
	struct mxg_rcpt_verdict *v;
	const char *err = NULL;

	resp.counts.relay_refused++;
	v = c->held_for[0] ? calloc(1, sizeof(*v)) : NULL;
	if (v && p && !mxg_rcpt_judge(p, c->held_for, v, &err) &&
	    v->kind == MXG_RCPT_LOOKALIKE) {
		struct resp_refusal r = { .v = v, .orig = &c->orig,
					  .peer_tgid = c->orig.tgid };

		reply(c, "421 4.7.1 mxguard: %s; mail to this server is held "
			 "on this host%s%s%s", v->reason,
		      v->suggest[0] ? "; did you mean " : "", v->suggest,
		      v->suggest[0] ? "?" : "");
		if (resp.hooks.refused)
			resp.hooks.refused(resp.hooks.ctx, &r);
	} else if (c->held_for[0])
		reply(c, "421 4.7.1 mxguard: this server was resolved from %s, "
			 "a lookalike domain; mail to it is held on this host",
		      c->held_for);
	else
		reply(c, "421 4.7.1 mxguard: this server's address came from a "
			 "lookalike domain's DNS answer; mail to it is held on "
			 "this host");
	free(v);
	c->closing = 1;
}

static void on_accept(int lfd)
{
	long long now = mono_ms();
	struct sess *c = NULL;
	int fd, i;

	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		/*
		 * Out of descriptors: the listener stays readable, and
		 * epoll would wake the loop for it at once, again and
		 * again.  Stop listening for a second (resp_expire).
		 */
		if (errno == EMFILE || errno == ENFILE)
			set_listening(0);
		return;
	}
	for (i = 0; i < MXG_RESPONDER_SESSIONS_MAX && !c; i++)
		if (!resp.s[i].in_use)
			c = &resp.s[i];
	if (!c) {
		static const char busy[] = "421 4.3.2 mxguard responder busy, "
					   "try again later\r\n";

		resp.counts.busy++;
		send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);
		return;
	}
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->in_use = 1;
	c->idle_deadline = now + resp.timeout_s * 1000LL;
	c->deadline = now + RESP_SESSION_S * 1000LL;
	c->have_orig = !find_origin(c);
	if (!c->have_orig)
		resp.counts.unknown_origin++;
	else
		held_for_origin(c);
	resp.counts.sessions++;
	c->events = EPOLLIN;
	{
		struct epoll_event e = { .events = EPOLLIN,
					 .data.u32 = TAG_SESS(i - 1) };

		if (epoll_ctl(resp.epfd, EPOLL_CTL_ADD, fd, &e)) {
			resp.counts.errors++;
			close(fd);
			c->in_use = 0;
			return;
		}
	}
	if (c->have_orig && c->orig.port != SMTP_PORT)
		greet_relay(c);
	else
		reply(c, "220 mxguard ESMTP responder: mail for lookalike "
			 "domains is held on this host");
	if (flush(c))
		drop(c);
}

/* A command word: case-insensitive, followed by a space or the end. */
static int is_cmd(const char *line, size_t len, const char *cmd)
{
	size_t n = strlen(cmd);

	return len >= n && !strncasecmp(line, cmd, n) &&
	       (len == n || line[n] == ' ' || line[n] == ':');
}

/*
 * The address of "RCPT TO:<addr> params", printable ASCII only, cut at
 * MXG_RCPT_TEXT_MAX; "" if there is none.
 */
static void rcpt_address(const char *line, size_t len, char *out, size_t sz)
{
	const char *p = line + 7, *end = line + len, *lt, *gt;
	size_t n = 0;

	while (p < end && *p == ' ')
		p++;
	if (p < end && *p == ':')
		p++;
	while (p < end && *p == ' ')
		p++;
	lt = memchr(p, '<', end - p);
	if (lt) {
		p = lt + 1;
		gt = memchr(p, '>', end - p);
		end = gt ? gt : end;
	} else {
		gt = memchr(p, ' ', end - p);
		end = gt ? gt : end;
	}
	for (; p < end && n + 1 < sz; p++)
		out[n++] = (*p > 0x20 && *p < 0x7f) ? *p : '?';
	out[n] = '\0';
}

static void on_rcpt(struct sess *c, const char *line, size_t len)
{
	const struct mxg_policy *p = resp.hooks.policy(resp.hooks.ctx);
	char rcpt[MXG_RCPT_TEXT_MAX];
	struct mxg_rcpt_verdict v;
	const char *err = NULL;

	if (!c->mail) {
		reply(c, "503 5.5.1 MAIL first");
		return;
	}
	if (++c->rcpts > RESP_RCPT_MAX) {
		reply(c, "452 4.5.3 too many recipients");
		return;
	}
	rcpt_address(line, len, rcpt, sizeof(rcpt));
	if (!p || mxg_rcpt_judge(p, rcpt, &v, &err) ||
	    v.kind != MXG_RCPT_LOOKALIKE) {
		/* Not ours to refuse for good: temporary, per recipient. */
		resp.counts.deferred++;
		if (c->held_for[0])
			reply(c, "451 4.7.1 <%s>: not accepted on this "
				 "connection: mxguard holds it for %s, a "
				 "lookalike domain on the same server; try "
				 "again", rcpt, c->held_for);
		else
			reply(c, "451 4.7.1 <%s>: not accepted on this "
				 "connection: mxguard held it for a lookalike "
				 "domain on the same server; try again", rcpt);
		return;
	}
	resp.counts.refused++;
	held_for_set(c, v.domain);
	if (v.suggest[0])
		reply(c, "450 4.7.1 <%s>: %s; held on this host by mxguard; "
			 "did you mean %s?", rcpt, v.reason, v.suggest);
	else
		reply(c, "450 4.7.1 <%s>: %s; held on this host by mxguard",
		      rcpt, v.reason);
	if (resp.hooks.refused) {
		struct resp_refusal r = {
			.rcpt = rcpt, .v = &v,
			.orig = c->have_orig ? &c->orig : NULL,
			.peer_tgid = c->have_orig ? c->orig.tgid : 0,
		};

		resp.hooks.refused(resp.hooks.ctx, &r);
	}
}

static void end_session(struct sess *c, const char *why)
{
	reply(c, "421 4.7.1 mxguard: %s; closing", why);
	c->closing = 1;
}

static void on_line(struct sess *c, const char *line, size_t len)
{
	if (is_cmd(line, len, "EHLO"))
		reply(c, "250-mxguard responder\r\n250-PIPELINING\r\n"
			 "250 ENHANCEDSTATUSCODES");
	else if (is_cmd(line, len, "HELO"))
		reply(c, "250 mxguard responder");
	else if (is_cmd(line, len, "MAIL")) {
		if (c->transactions)
			end_session(c, "one transaction per connection");
		else if (c->mail)
			reply(c, "503 5.5.1 nested MAIL");
		else {
			c->mail = 1;
			reply(c, "250 2.1.0 sender ok (nothing is accepted "
				 "here)");
		}
	} else if (is_cmd(line, len, "RCPT"))
		on_rcpt(c, line, len);
	else if (is_cmd(line, len, "DATA") || is_cmd(line, len, "BDAT"))
		reply(c, "451 4.7.1 no recipient accepted; mxguard stores "
			 "nothing");
	else if (is_cmd(line, len, "RSET")) {
		if (c->mail || c->transactions)
			end_session(c, "one transaction per connection");
		else
			reply(c, "250 2.0.0 ok");
	} else if (is_cmd(line, len, "NOOP"))
		reply(c, "250 2.0.0 ok");
	else if (is_cmd(line, len, "QUIT")) {
		reply(c, "221 2.0.0 mxguard closing");
		c->closing = 1;
	} else {
		reply(c, "502 5.5.2 command not recognised");
		if (++c->errors >= RESP_ERRORS_MAX) {
			resp.counts.errors++;
			end_session(c, "too many errors");
		}
	}
	/* A transaction ends with its last RCPT reply or DATA. */
	if (c->mail && is_cmd(line, len, "DATA")) {
		c->mail = 0;
		c->transactions++;
	}
}

/* Serve whole lines while there is room for their replies. */
static void serve_lines(struct sess *c)
{
	size_t off = 0, len;
	char *lf;

	while (!c->closing &&
	       c->outlen + RESP_REPLY_MAX * 2 <= sizeof(c->out)) {
		lf = memchr(c->in + off, '\n', c->inlen - off);
		if (!lf)
			break;
		len = lf - (c->in + off);
		if (len && c->in[off + len - 1] == '\r')
			len--;
		if (c->overlong) {
			c->overlong = 0;
			reply(c, "500 5.5.2 line too long");
			if (++c->errors >= RESP_ERRORS_MAX)
				end_session(c, "too many errors");
		} else {
			on_line(c, c->in + off, len);
		}
		off = lf - c->in + 1;
	}
	memmove(c->in, c->in + off, c->inlen - off);
	c->inlen -= off;
	/* A full buffer without a LF: the line is too long; drop its head. */
	if (c->inlen == sizeof(c->in) && !memchr(c->in, '\n', c->inlen)) {
		c->overlong = 1;
		c->inlen = 0;
	}
}

/*
 * Serve the lines already read, flushing as replies pile up, until none
 * is left or the client has to read first (EPOLLOUT).  Each turn takes at
 * least one line out of the RESP_LINE_MAX-byte buffer, so it ends; and
 * lines read but not served would otherwise wait for an EPOLLIN that the
 * client, having sent them all, never causes.
 */
static void pump(struct sess *c)
{
	size_t before;

	do {
		before = c->inlen;
		serve_lines(c);
		if (flush(c)) {
			drop(c);
			return;
		}
	} while (!(c->events & EPOLLOUT) && !c->closing &&
		 c->inlen < before && memchr(c->in, '\n', c->inlen));
}

static void on_readable(struct sess *c)
{
	ssize_t n;

	if (c->inlen < sizeof(c->in)) {
		n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen,
			 MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN &&
			       errno != EWOULDBLOCK)) {
			drop(c);	/* no QUIT: nothing to tidy up */
			return;
		}
		if (n > 0) {
			c->inlen += n;
			c->idle_deadline = mono_ms() + resp.timeout_s * 1000LL;
		}
	}
	pump(c);
}

void resp_event(__u32 tag, __u32 events)
{
	struct sess *c;

	if (tag == TAG_L4 || tag == TAG_L6) {
		on_accept(resp.lfd[tag - TAG_L4]);
		return;
	}
	c = &resp.s[tag - TAG_SESS(0)];
	if (!c->in_use)
		return;
	if (events & (EPOLLERR | EPOLLHUP) && !(events & EPOLLIN)) {
		drop(c);
		return;
	}
	if (c->events & EPOLLOUT) {
		/* Flushed: serve the lines read meanwhile, then read on. */
		if (flush(c))
			drop(c);
		else if (!(c->events & EPOLLOUT))
			pump(c);
		return;
	}
	on_readable(c);
}

void resp_expire(void)
{
	long long now = mono_ms();
	int i;

	if (resp.paused && now - resp.paused_ms >= 1000)
		set_listening(1);

	for (i = 0; i < MXG_RESPONDER_SESSIONS_MAX; i++) {
		struct sess *c = &resp.s[i];

		if (!c->in_use)
			continue;
		if (c->closing) {
			/* Its last reply would not go out: give up on it. */
			if (now >= c->idle_deadline)
				drop(c);
			continue;
		}
		if (now < c->idle_deadline && now < c->deadline)
			continue;
		resp.counts.timeouts++;
		c->outlen = c->outoff = 0;	/* a stalled reader: say it */
		end_session(c, "timeout");
		c->idle_deadline = now + RESP_LINGER_MS;
		if (flush(c))
			drop(c);
	}
}

void resp_close(void)
{
	int i;

	for (i = 0; i < MXG_RESPONDER_SESSIONS_MAX; i++)
		if (resp.s[i].in_use) {
			close(resp.s[i].fd);
			resp.s[i].in_use = 0;
		}
	for (i = 0; i < 2; i++)
		if (resp.lfd[i] >= 0) {
			close(resp.lfd[i]);
			resp.lfd[i] = -1;
		}
	if (resp.diag >= 0)
		close(resp.diag);
	resp.diag = -1;
}

const struct resp_counts *resp_counts(void)
{
	return &resp.counts;
}

int resp_active(void)
{
	int i, n = 0;

	for (i = 0; i < MXG_RESPONDER_SESSIONS_MAX; i++)
		n += resp.s[i].in_use;
	return n;
}
