// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctlproto.h"

static int reserve(struct ctl_reply *r, size_t want)
{
	size_t cap = r->cap ? r->cap : 256;
	char *p;

	while (cap < want)
		cap *= 2;
	if (cap == r->cap)
		return 0;
	p = realloc(r->buf, cap);
	if (!p)
		return -1;
	r->buf = p;
	r->cap = cap;
	return 0;
}

static void append(struct ctl_reply *r, const char *s, size_t n, size_t max)
{
	if (r->truncated)
		return;		/* no line after a gap */
	if (r->len + n > max || reserve(r, r->len + n + 1)) {
		r->truncated = 1;
		return;
	}
	memcpy(r->buf + r->len, s, n);
	r->len += n;
	r->buf[r->len] = '\0';
}

void reply_append(struct ctl_reply *r, const char *s, size_t n)
{
	append(r, s, n, CTL_REPLY_MAX);
}

void reply_printf(struct ctl_reply *r, const char *fmt, ...)
{
	char small[1024], *big = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		reply_append(r, small, n);
		return;
	}
	va_start(ap, fmt);
	n = vasprintf(&big, fmt, ap);
	va_end(ap);
	if (n >= 0)
		reply_append(r, big, n);
	else
		r->truncated = 1;
	free(big);
}

void reply_seal(struct ctl_reply *r)
{
	static const char note[] = CTL_TRUNCATED "the reply was cut short "
				   "(over 16 MiB, or out of memory)\n";
	size_t max = r->len + sizeof(note);

	if (!r->truncated)
		return;
	r->truncated = 0;
	/* The last line may be cut: start the note on a line of its own. */
	if (r->len && r->buf[r->len - 1] != '\n')
		append(r, "\n", 1, max + 1);
	append(r, note, sizeof(note) - 1, max + 1);
	r->truncated = 1;
}

void reply_free(struct ctl_reply *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

/* Send @request, read the whole reply (the daemon gives us 10 s). */
int ctl_request(const char *path, const char *request, struct ctl_reply *r)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char line[CTL_LINE_MAX + 1], buf[4096];
	int fd, n, err = 0;
	ssize_t got;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	n = snprintf(line, sizeof(line), "%s\n", request);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -E2BIG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A daemon that refuses us may close first: an error, not SIGPIPE. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    send(fd, line, n, MSG_NOSIGNAL) != n)
		err = -errno;
	/* Its refusal may still be waiting to be read. */
	while ((got = read(fd, buf, sizeof(buf))) > 0)
		reply_append(r, buf, got);
	close(fd);
	return r->len ? 0 : err;
}
