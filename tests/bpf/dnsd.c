// SPDX-License-Identifier: GPL-2.0-only
/*
 * A small DNS responder on loopback (UDP and TCP, IPv4 and IPv6) that answers
 * from the test's zone, following CNAMEs like a recursive resolver would, or
 * hands the question to the test's crafted-response hook.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
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

static int listen_on(int fam, int type)
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

static void serve_tcp(const struct tcase *tc, int lfd)
{
	static struct dnsmsg m;
	struct pollfd p;
	uint8_t q[1500], pfx[2];
	ssize_t n;
	int fd = accept(lfd, NULL, NULL);

	if (fd < 0)
		return;
	p.fd = fd;
	p.events = POLLIN;
	if (poll(&p, 1, 2000) == 1 && recv(fd, pfx, 2, MSG_WAITALL) == 2) {
		n = (pfx[0] << 8) | pfx[1];
		if (n <= (ssize_t)sizeof(q) && recv(fd, q, n, MSG_WAITALL) == n) {
			answer(tc, q, n, &m);
			pfx[0] = m.len >> 8;
			pfx[1] = m.len & 0xff;
			/* One segment, as resolvers write small answers. */
			memmove(m.buf + 2, m.buf, m.len);
			memcpy(m.buf, pfx, 2);
			send(fd, m.buf, m.len + 2, 0);
		}
	}
	close(fd);
}

pid_t dnsd_start(const struct tcase *tc)
{
	int fds[4], i;
	struct pollfd p[4];
	pid_t pid;

	fds[0] = listen_on(AF_INET, SOCK_DGRAM);
	fds[1] = listen_on(AF_INET, SOCK_STREAM);
	fds[2] = listen_on(AF_INET6, SOCK_DGRAM);
	fds[3] = listen_on(AF_INET6, SOCK_STREAM);
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
