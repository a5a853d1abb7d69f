// SPDX-License-Identifier: GPL-2.0-only
/* What a mail process does: ask the resolver, then connect. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

static int fill_addr(const char *ip, uint16_t port,
		     struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return AF_INET6;
	}
	return -1;
}

int resolve_timeout_ms = 5000;

static int wait_readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1 ? 0 : -ETIMEDOUT;
}

static int read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		if (wait_readable(fd, resolve_timeout_ms))
			return -ETIMEDOUT;
		r = read(fd, (char *)buf + got, n - got);
		if (r <= 0)
			return r ? -errno : -EPIPE;
		got += r;
	}
	return 0;
}

static int exchange_tcp(int fd, struct dnsmsg *q, uint8_t *resp, size_t sz)
{
	uint8_t pfx[2] = { q->len >> 8, q->len & 0xff };
	uint16_t n;

	if (write(fd, pfx, 2) != 2 || write(fd, q->buf, q->len) != (ssize_t)q->len)
		return -errno;
	if (read_full(fd, pfx, 2))
		return -ETIMEDOUT;
	n = (pfx[0] << 8) | pfx[1];
	if (n > sz)
		return -EMSGSIZE;
	return read_full(fd, resp, n) ? -ETIMEDOUT : n;
}

int resolve(const char *qname, uint16_t qtype, int via)
{
	struct sockaddr_storage ss;
	static uint8_t resp[DM_MAX];
	struct dnsmsg q;
	socklen_t alen;
	int fd, n, fam;

	fam = fill_addr(via == VIA_UDP6 ? "::1" : "127.0.0.1", 53, &ss, &alen);
	dm_init(&q, random() & 0xffff, 0, 0);
	dm_question(&q, qname, qtype);
	fd = socket(fam, via == VIA_TCP ? SOCK_STREAM : SOCK_DGRAM, 0);
	if (fd < 0)
		return -errno;
	if (via == VIA_SENDTO) {
		/* Unconnected UDP: the owner is learnt in cgroup/sendmsg4. */
		n = sendto(fd, q.buf, q.len, 0, (struct sockaddr *)&ss, alen);
	} else if (connect(fd, (struct sockaddr *)&ss, alen)) {
		n = -1;
	} else if (via == VIA_TCP) {
		n = exchange_tcp(fd, &q, resp, sizeof(resp));
		close(fd);
		return n < 12 ? (n < 0 ? n : -EBADMSG) : (resp[3] & 0xf);
	} else {
		n = send(fd, q.buf, q.len, 0);
	}
	if (n < 0 || wait_readable(fd, resolve_timeout_ms)) {
		n = n < 0 ? -errno : -ETIMEDOUT;
		close(fd);
		return n;
	}
	n = recv(fd, resp, sizeof(resp), 0);
	close(fd);
	if (n < 12)
		return n < 0 ? -errno : -EBADMSG;
	return resp[3] & 0xf;
}

int try_connect(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, fam, err = 0;

	fam = fill_addr(ip, port, &ss, &len);
	fd = socket(fam, SOCK_STREAM, 0);
	if (fd < 0)
		return errno;
	if (connect(fd, (struct sockaddr *)&ss, len))
		err = errno;
	close(fd);
	return err;
}

int try_fastopen(const char *ip, uint16_t port)
{
	static const char helo[] = "EHLO mxguard.test\r\n";
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, fam, err = 0;

	fam = fill_addr(ip, port, &ss, &len);
	fd = socket(fam, SOCK_STREAM, 0);
	if (fd < 0)
		return errno;
	if (sendto(fd, helo, sizeof(helo) - 1, MSG_FASTOPEN,
		   (struct sockaddr *)&ss, len) < 0)
		err = errno;
	close(fd);
	return err;
}

int resolve_tcp_pair(const char *q1, const char *q2, uint16_t qtype)
{
	struct sockaddr_storage ss;
	static uint8_t resp[DM_MAX], out[1024];
	struct dnsmsg q;
	size_t n = 0;
	socklen_t alen;
	int fd, i, rc = 0;
	uint8_t pfx[2];
	uint16_t len;

	fill_addr("127.0.0.1", 53, &ss, &alen);
	for (i = 0; i < 2; i++) {
		dm_init(&q, random() & 0xffff, 0, 0);
		dm_question(&q, i ? q2 : q1, qtype);
		out[n++] = q.len >> 8;
		out[n++] = q.len & 0xff;
		memcpy(out + n, q.buf, q.len);
		n += q.len;
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, alen) ||
	    write(fd, out, n) != (ssize_t)n) {
		rc = -errno;
		goto out;
	}
	for (i = 0; i < 2 && !rc; i++) {
		if (read_full(fd, pfx, 2)) {
			rc = -ETIMEDOUT;
			break;
		}
		len = (pfx[0] << 8) | pfx[1];
		if (len > sizeof(resp) || read_full(fd, resp, len))
			rc = -ETIMEDOUT;
		else if (resp[3] & 0xf)
			rc = resp[3] & 0xf;
	}
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

int resolve_on(int fd, const char *qname)
{
	struct sockaddr_storage ss;
	static uint8_t resp[DM_MAX];
	struct dnsmsg q;
	socklen_t alen;
	uint16_t id = random() & 0xffff;
	ssize_t n;

	fill_addr("127.0.0.1", 53, &ss, &alen);
	dm_init(&q, id, 0, 0);
	dm_question(&q, qname, DNS_A);
	if (sendto(fd, q.buf, q.len, 0, (struct sockaddr *)&ss, alen) < 0)
		return -errno;
	/* Skip answers to other queries (a forged one, say), as a stub does. */
	for (;;) {
		if (wait_readable(fd, resolve_timeout_ms))
			return -ETIMEDOUT;
		n = recv(fd, resp, sizeof(resp), 0);
		if (n < 12)
			return -EBADMSG;
		if (((resp[0] << 8) | resp[1]) == id)
			return resp[3] & 0xf;
	}
}

int resolve_keep(const char *qname, int *fd)
{
	int rc;

	*fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (*fd < 0)
		return -errno;
	rc = resolve_on(*fd, qname);
	if (rc) {
		close(*fd);
		*fd = -1;
	}
	return rc;
}
