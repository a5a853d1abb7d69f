// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "log.h"

#define CTL_IO_TIMEOUT_MS 2000

void reply_append(struct ctl_reply *r, const char *s, size_t n)
{
	size_t want = r->len + n + 1, cap = r->cap ? r->cap : 256;
	char *p;

	while (cap < want)
		cap *= 2;
	if (cap != r->cap) {
		p = realloc(r->buf, cap);
		if (!p)
			return;
		r->buf = p;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, s, n);
	r->len += n;
	r->buf[r->len] = '\0';
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
	free(big);
}

gid_t ctl_group_gid(const char *group)
{
	struct group *g = group ? getgrnam(group) : NULL;

	return g ? g->gr_gid : (gid_t)-1;
}

static int make_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

int ctl_listen(const char *path, const char *group)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	gid_t gid = ctl_group_gid(group);
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path) || make_parent(path))
		return -1;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    chmod(path, gid != (gid_t)-1 ? 0660 : 0600) ||
	    (gid != (gid_t)-1 && chown(path, 0, gid)) || listen(fd, 16)) {
		log_warn("control socket %s", path);
		close(fd);
		return -1;
	}
	if (group && gid == (gid_t)-1)
		pr_warn("control_group %s does not exist; root only\n", group);
	return fd;
}

static int read_line(int fd, char *line, size_t sz)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t n = 0;
	ssize_t r;

	while (n + 1 < sz) {
		if (poll(&p, 1, CTL_IO_TIMEOUT_MS) != 1)
			return -ETIMEDOUT;
		r = read(fd, line + n, sz - 1 - n);
		if (r <= 0)
			break;
		n += r;
		if (memchr(line, '\n', n))
			break;
	}
	line[n] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	return n ? 0 : -EPIPE;
}

int ctl_accept(int lfd, gid_t allowed_gid, char *line, size_t sz)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) ||
	    (cred.uid != 0 && (allowed_gid == (gid_t)-1 ||
			       cred.gid != allowed_gid))) {
		static const char deny[] = "error permission denied\n";

		if (write(fd, deny, sizeof(deny) - 1) < 0)
			pr_debug("control: reply to denied peer failed\n");
		pr_info("control: refused uid %u\n", cred.uid);
		close(fd);
		return -1;
	}
	if (read_line(fd, line, sz)) {
		close(fd);
		return -1;
	}
	return fd;
}

void ctl_finish(int cfd, struct ctl_reply *r)
{
	size_t off = 0;
	ssize_t n;

	while (r->buf && off < r->len) {
		n = write(cfd, r->buf + off, r->len - off);
		if (n <= 0)
			break;
		off += n;
	}
	close(cfd);
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

int ctl_request(const char *path, const char *request, struct ctl_reply *r)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[4096];
	ssize_t n;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    write(fd, request, strlen(request)) != (ssize_t)strlen(request) ||
	    write(fd, "\n", 1) != 1) {
		n = -errno;
		close(fd);
		return n;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		reply_append(r, buf, n);
	close(fd);
	return 0;
}
