// SPDX-License-Identifier: GPL-2.0-only
/*
 * A small DNS responder on loopback (UDP and TCP, IPv4 and IPv6) that answers
 * from the test's zone, following CNAMEs like a recursive resolver would, or
 * hands the question to the test's crafted-response hook.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

static const struct zrec *find(const struct zrec *z, const char *name,
			       uint16_t type, int after)
{
	int i;

	for (i = after; z && z[i].name; i++)
		if (z[i].type == type && !strcasecmp(z[i].name, name))
			return &z[i];
	return NULL;
}

static void add_rec(struct dnsmsg *m, enum dm_section s, const char *owner,
		    const struct zrec *r)
{
	if (r->type == DNS_A)
		dm_a(m, s, owner, r->ttl, r->value);
	else if (r->type == DNS_AAAA)
		dm_aaaa(m, s, owner, r->ttl, r->value);
	else
		dm_target(m, s, owner, r->type, r->ttl, r->value);
}

static void add_glue(struct dnsmsg *m, const struct zrec *z, const char *host)
{
	const struct zrec *r;
	int i;

	for (i = 0; z[i].name; i++) {
		r = &z[i];
		if ((r->type == DNS_A || r->type == DNS_AAAA) &&
		    !strcasecmp(r->name, host))
			add_rec(m, DM_AR, host, r);
	}
}

static void answer(const struct tcase *tc, const uint8_t *q, size_t qlen,
		   struct dnsmsg *m)
{
	const struct zrec *r, *z = tc->zone;
	const char *name, *owner = NULL;
	char qname[300];
	uint16_t qtype;
	int i, hops, any = 0;

	dm_init(m, 0, 1, 0);
	if (dm_echo_question(m, q, qlen, &qtype, qname, sizeof(qname))) {
		dm_init(m, 0, 1, 1);
		return;
	}
	if (tc->raw && tc->raw(qname, qtype, m)) {
		dm_finish(m);
		return;
	}
	name = qname;
	for (hops = 0; hops < 8 && qtype != DNS_CNAME; hops++) {
		r = find(z, name, DNS_CNAME, 0);
		if (!r)
			break;
		add_rec(m, DM_AN, owner, r);
		owner = name = r->value;
		any = 1;
	}
	for (i = 0; z && z[i].name; i++) {
		r = &z[i];
		if (strcasecmp(r->name, name))
			continue;
		any = 1;
		if (r->type != qtype)
			continue;
		add_rec(m, DM_AN, owner, r);
		if (tc->glue && r->type == DNS_MX)
			add_glue(m, z, r->value);
	}
	if (!any)
		m->buf[3] |= 3;		/* NXDOMAIN */
	dm_opt(m);
	dm_finish(m);
}

/* Hop-by-hop and destination options (each: PadN to 8 bytes). */
static void set_ext_headers(int fd)
{
	static const uint8_t opts[8] = { 0, 0, 1, 4, 0, 0, 0, 0 };

	if (setsockopt(fd, IPPROTO_IPV6, IPV6_HOPOPTS, opts, sizeof(opts)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_DSTOPTS, opts, sizeof(opts)))
		perror("dnsd: IPv6 extension headers");
}

static int listen_on(const struct tcase *tc, int fam, int type)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	int fd = socket(fam, type, 0), one = 1;
	socklen_t len;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fam == AF_INET) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(53);
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*s4);
	} else {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(53);
		s6->sin6_addr = in6addr_loopback;
		len = sizeof(*s6);
	}
	if (type == SOCK_STREAM && tc->tcp_mss &&
	    setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &tc->tcp_mss,
		       sizeof(tc->tcp_mss)))
		perror("dnsd: TCP_MAXSEG");
	if (type == SOCK_DGRAM && fam == AF_INET6 && tc->ext_headers)
		set_ext_headers(fd);
	if (bind(fd, (struct sockaddr *)&ss, len) ||
	    (type == SOCK_STREAM && listen(fd, 16))) {
		close(fd);
		return -1;
	}
	return fd;
}

static void serve_udp(const struct tcase *tc, int fd)
{
	static struct dnsmsg m;
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	uint8_t q[1500];
	ssize_t n;

	n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &flen);
	if (n < 12)
		return;
	answer(tc, q, n, &m);
	sendto(fd, m.buf, m.len, 0, (struct sockaddr *)&from, flen);
}

/* One query off the stream into @q; returns its length, 0 at the end. */
static ssize_t read_query(int fd, uint8_t *q, size_t sz, int wait_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint8_t pfx[2];
	ssize_t n;

	if (poll(&p, 1, wait_ms) != 1 || recv(fd, pfx, 2, MSG_WAITALL) != 2)
		return 0;
	n = (pfx[0] << 8) | pfx[1];
	if (n > (ssize_t)sz || recv(fd, q, n, MSG_WAITALL) != n)
		return 0;
	return n;
}

/* Append @m, length-prefixed, to @out. */
static size_t frame_answer(uint8_t *out, size_t at, size_t sz,
			   const struct dnsmsg *m)
{
	if (at + 2 + m->len > sz)
		return at;
	out[at] = m->len >> 8;
	out[at + 1] = m->len & 0xff;
	memcpy(out + at + 2, m->buf, m->len);
	return at + 2 + m->len;
}

static void send_answers(const struct tcase *tc, int fd, const uint8_t *out,
			 size_t n)
{
	int one = 1;

	if (!tc->tcp_split) {
		/* One segment, as resolvers write small answers. */
		send(fd, out, n, 0);
		return;
	}
	/* The prefix alone, then the message: two segments. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	send(fd, out, 2, 0);
	usleep(20000);
	send(fd, out + 2, n - 2, 0);
}

static void serve_tcp(const struct tcase *tc, int lfd)
{
	static struct dnsmsg m;
	static uint8_t out[2 * DM_MAX + 4];
	uint8_t q[1500];
	size_t n = 0;
	ssize_t qlen;
	int fd = accept(lfd, NULL, NULL), i;

	if (fd < 0)
		return;
	/* Pipelined: every query the client sent, answered in one write. */
	for (i = 0; i < (tc->pipelined ? 2 : 1); i++) {
		qlen = read_query(fd, q, sizeof(q), 2000);
		if (qlen <= 0)
			break;
		answer(tc, q, qlen, &m);
		n = frame_answer(out, n, sizeof(out), &m);
	}
	if (n)
		send_answers(tc, fd, out, n);
	/* Let the client read everything before the FIN. */
	read_query(fd, q, sizeof(q), 3000);
	close(fd);
}

pid_t dnsd_start(const struct tcase *tc)
{
	int fds[4], i;
	struct pollfd p[4];
	pid_t pid;

	fds[0] = listen_on(tc, AF_INET, SOCK_DGRAM);
	fds[1] = listen_on(tc, AF_INET, SOCK_STREAM);
	fds[2] = listen_on(tc, AF_INET6, SOCK_DGRAM);
	fds[3] = listen_on(tc, AF_INET6, SOCK_STREAM);
	for (i = 0; i < 4; i++)
		if (fds[i] < 0) {
			perror("dnsd: bind port 53");
			return -1;
		}
	pid = fork();
	if (pid) {
		for (i = 0; i < 4; i++)
			close(fds[i]);
		return pid;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (i = 0; i < 4; i++) {
		p[i].fd = fds[i];
		p[i].events = POLLIN;
	}
	for (;;) {
		if (poll(p, 4, -1) < 0 && errno != EINTR)
			_exit(1);
		for (i = 0; i < 4; i++) {
			if (!(p[i].revents & POLLIN))
				continue;
			if (i % 2)
				serve_tcp(tc, fds[i]);
			else
				serve_udp(tc, fds[i]);
		}
	}
}
