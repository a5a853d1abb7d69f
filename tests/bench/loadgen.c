// SPDX-License-Identifier: GPL-2.0-only
/*
 * Load for make bench's floor comparison, run inside the cgroup measured:
 *
 *   loadgen bulk PORT MBYTES    send MBYTES to 127.0.0.1:PORT, MSS 1400
 *   loadgen connect PORT N      N x connect()+close() to 127.0.0.1:PORT
 *   loadgen serve PORT N        accept on 127.0.0.1:PORT, read each
 *                               connection to EOF, close; N connections
 *
 * Prints the wall time per byte-megabyte or per connect, in ns.  Bounded
 * by its arguments; the listener is the caller's (in a cgroup of its own).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int dial(int port, int mss)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	if (mss && setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss)))
		perror("TCP_MAXSEG");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Drains: a listener of its own, so a client's figures are its own. */
static int serve(int port, long n)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	static char buf[1 << 16];
	int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1, c;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one,
				 sizeof(one)) ||
	    bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 4096))
		return 1;
	printf("ready\n");
	fflush(stdout);
	while (n-- > 0) {
		c = accept(ls, NULL, NULL);
		if (c < 0)
			return 1;
		while (recv(c, buf, sizeof(buf), 0) > 0)
			;
		close(c);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static char buf[1 << 16];
	long n, i;
	double t0;
	int port, fd;

	if (argc != 4)
		return 2;
	port = atoi(argv[2]);
	n = atol(argv[3]);
	if (n <= 0 || n > 10000000)
		return 2;
	t0 = now_ns();
	if (!strcmp(argv[1], "bulk")) {
		fd = dial(port, 1400);
		if (fd < 0)
			return 1;
		for (i = 0; i < n * 16; i++)
			if (send(fd, buf, sizeof(buf), 0) != sizeof(buf))
				return 1;
		close(fd);
		printf("%.1f\n", (now_ns() - t0) / n);
		return 0;
	}
	if (!strcmp(argv[1], "serve"))
		return serve(port, n);
	if (!strcmp(argv[1], "connect")) {
		for (i = 0; i < n; i++) {
			fd = dial(port, 0);
			if (fd < 0)
				return 1;
			close(fd);
		}
		printf("%.1f\n", (now_ns() - t0) / n);
		return 0;
	}
	return 2;
}
