// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "log.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59	/* Linux 4.13 */
#endif

/* epoll tags: the listener, then one per client slot, from a base. */
#define TAG_LISTEN	(s->o.tag_base)
#define TAG_CLIENT(i)	(TAG_LISTEN + 1 + (i))

struct client {
	int in_use;
	int fd;
	struct ctl_peer peer;
	char line[CTL_LINE_MAX];
	size_t len;
	struct ctl_reply out;
	size_t sent;
	int replying;
	long long deadline_ms;
};

struct ctl_server {
	struct ctl_opts o;
	int lfd, epfd, lock_fd;
	int accept_paused;		/* out of descriptors */
	long long paused_ms;		/* since when */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char lock_path[sizeof(((struct sockaddr_un *)0)->sun_path) + 8];
	gid_t gid;			/* control_group, or (gid_t)-1 */
	ctl_dispatch_fn *dispatch;
	void *ctx;
	size_t pending;			/* reply bytes not yet sent */
	/* Refusals: one log line a second, with a count of the rest. */
	unsigned long long refused, refused_quiet;
	long long refused_logged_ms;
	struct client *clients;		/* o.clients_max of them */
};

/* The control socket: the wrappers at the end of the file serve it. */
static struct ctl_server control;

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* --- claiming the path ------------------------------------------------- */

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

/*
 * Whoever may write the directory may swap our socket for a file of
 * theirs between bind() and chown(): root's, and not open to others
 * unless sticky (/tmp), where no one may remove what is not theirs.
 */
static int parent_is_safe(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';		/* "/x.sock": the root */
	else
		*slash = '\0';
	if (stat(dir, &st)) {
		log_warn("control socket directory %s", dir);
		return 0;
	}
	if (st.st_uid != 0 || ((st.st_mode & (S_IWGRP | S_IWOTH)) &&
			       !(st.st_mode & S_ISVTX))) {
		pr_warn("control socket directory %s: others may write it "
			"(want root's, and not writable by others unless "
			"sticky)\n", dir);
		return 0;
	}
	return 1;
}

/* The pid a running daemon wrote into its lock, for the message. */
static long lock_holder(int fd)
{
	char buf[24] = "";

	if (pread(fd, buf, sizeof(buf) - 1, 0) <= 0)
		return 0;
	return strtol(buf, NULL, 10);
}

static int lock_busy(int fd, const char *path)
{
	long pid = lock_holder(fd);

	if (pid > 0)
		pr_warn("already running: mxguardd pid %ld holds %s\n", pid,
			path);
	else
		pr_warn("already running: another mxguardd holds %s\n", path);
	close(fd);
	return -EBUSY;
}

/*
 * A lock beside the socket, held for our lifetime: two daemons started at
 * once would otherwise both find no one answering, and the second would
 * unlink the first's socket.  An exiting daemon unlinks its lock while
 * holding it, so the file we locked must still be the one at @path.
 */
static int take_lock(const char *path)
{
	struct stat a, b;
	int fd, tries;

	for (tries = 0; tries < 3; tries++) {
		fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
			  0600);
		if (fd < 0) {
			log_warn("control lock %s", path);
			return -1;
		}
		if (flock(fd, LOCK_EX | LOCK_NB))
			return errno == EWOULDBLOCK ? lock_busy(fd, path) : -1;
		if (!fstat(fd, &a) && !stat(path, &b) && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino) {
			if (ftruncate(fd, 0) == 0)
				dprintf(fd, "%d\n", getpid());
			return fd;
		}
		close(fd);
	}
	pr_warn("control lock %s keeps changing\n", path);
	return -1;
}

/*
 * Connect before unlink: a socket someone answers on belongs to a running
 * daemon; one no one answers on is stale and goes.  Anything else at the
 * path (a file, a symlink) is not ours to remove.
 */
static int clear_path(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, live;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : (log_warn("%s", path), -1);
	if (!S_ISSOCK(st.st_mode)) {
		pr_warn("%s exists and is not a socket: refusing to replace "
			"it\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	live = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	if (live) {
		pr_warn("already running: a daemon answers on %s\n", path);
		return -1;
	}
	if (unlink(path) && errno != ENOENT) {
		log_warn("remove stale %s", path);
		return -1;
	}
	return 0;
}

/*
 * The mode comes from the umask at bind(), so no chmod() by path can be
 * sent through a symlink; the group is set on the node itself, never
 * following a link.
 */
static int bind_socket(struct ctl_server *s, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, err;

	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	/* Open: anyone may connect (the query socket, without a group). */
	old = umask(s->gid != (gid_t)-1 ? 0117 : s->o.open ? 0111 : 0177);
	err = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (err) {
		log_warn("%s socket %s", s->o.name, path);
		close(fd);
		return -1;
	}
	/* Root is not in control_group: this takes CAP_CHOWN (start only). */
	if ((s->gid != (gid_t)-1 &&
	     fchownat(AT_FDCWD, path, 0, s->gid, AT_SYMLINK_NOFOLLOW)) ||
	    listen(fd, 64)) {
		log_warn("%s socket %s", s->o.name, path);
		unlink(path);
		close(fd);
		return -1;
	}
	return fd;
}

static gid_t group_gid(const struct ctl_opts *o, const char *group)
{
	struct group *g = group ? getgrnam(group) : NULL;

	if (group && !g)
		pr_warn("%s_group %s does not exist; root only\n", o->name,
			group);
	return g ? g->gr_gid : (gid_t)-1;
}

struct ctl_server *ctl_server_listen(const char *path, const char *group,
				     const struct ctl_opts *o)
{
	struct ctl_server *s;

	if (strlen(path) >= sizeof(s->path)) {
		pr_warn("%s socket %s: path too long\n", o->name, path);
		return NULL;
	}
	s = o == &control.o ? &control : calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	if (s != &control)
		s->o = *o;
	s->lfd = s->epfd = s->lock_fd = -1;
	s->clients = calloc(o->clients_max, sizeof(*s->clients));
	snprintf(s->path, sizeof(s->path), "%s", path);
	snprintf(s->lock_path, sizeof(s->lock_path), "%s.lock", path);
	s->gid = group_gid(o, group);
	if (!s->clients || make_parent(path)) {
		log_warn("%s socket directory for %s", o->name, path);
		goto fail;
	}
	if (!parent_is_safe(path))
		goto fail;
	if (o->lock) {
		s->lock_fd = take_lock(s->lock_path);
		if (s->lock_fd < 0)
			goto fail;
	}
	if (clear_path(path))
		goto fail;
	s->lfd = bind_socket(s, path);
	if (s->lfd >= 0)
		return s;
fail:
	ctl_server_close(s);
	return NULL;
}

/* --- peers -------------------------------------------------------------- */

/*
 * Is @gid among the supplementary groups the peer had at connect()?  The
 * kernel keeps them with the connection (SO_PEERGROUPS, Linux 4.13; every
 * kernel mxguard runs on has it), so no /proc read can race an exit.
 */
static int peer_has_group(int fd, gid_t gid)
{
	socklen_t len = 64 * sizeof(gid_t);
	gid_t *groups = NULL, *p;
	int tries, found = 0;
	size_t i;

	/* A second try at most: ERANGE sets @len to the room it needs. */
	for (tries = 0; tries < 2; tries++) {
		p = realloc(groups, len);
		if (!p)
			break;
		groups = p;
		if (!getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len)) {
			for (i = 0; i < len / sizeof(gid_t) && !found; i++)
				found = groups[i] == gid;
			break;
		}
		if (errno != ERANGE) {
			log_warn("control: SO_PEERGROUPS");
			break;
		}
	}
	free(groups);
	return found;
}

static int peer_of(struct ctl_server *s, int fd, struct ctl_peer *p)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return -errno;
	p->uid = cred.uid;
	p->gid = cred.gid;
	p->pid = cred.pid;
	p->may = 0;
	if (cred.uid == 0)
		p->may = CTL_MAY_READ | CTL_MAY_ADMIN;
	else if (s->o.open && s->gid == (gid_t)-1)
		p->may = CTL_MAY_READ;
	else if (s->gid != (gid_t)-1 &&
		 (cred.gid == s->gid || peer_has_group(fd, s->gid)))
		p->may = CTL_MAY_READ;
	return 0;
}

/* --- clients ------------------------------------------------------------ */

static int watch(struct ctl_server *s, struct client *c, int op,
		 __u32 events)
{
	struct epoll_event e = {
		.events = events,
		.data.u32 = TAG_CLIENT(c - s->clients),
	};

	return epoll_ctl(s->epfd, op, c->fd, &e);
}

static void set_accepting(struct ctl_server *s, int on)
{
	struct epoll_event e = { .events = EPOLLIN, .data.u32 = TAG_LISTEN };

	if (s->accept_paused == !on)
		return;
	s->accept_paused = !on;
	s->paused_ms = mono_ms();
	epoll_ctl(s->epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, s->lfd, &e);
}

static void drop(struct ctl_server *s, struct client *c)
{
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->replying)
		s->pending -= c->out.len - c->sent;
	reply_free(&c->out);
	memset(c, 0, sizeof(*c));
	set_accepting(s, 1);
}

/* Best effort, and never a signal: the peer may be gone already. */
static void refuse(struct ctl_server *s, int fd, const struct ctl_peer *p,
		   const char *why)
{
	char msg[128];
	int n = snprintf(msg, sizeof(msg), "error %s\n", why);

	if (send(fd, msg, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		pr_debug("%s: refusal not delivered: %s\n", s->o.name,
			 strerror(errno));
	/*
	 * Anyone may connect to the query socket: a flood of refusals must
	 * not become a flood of log lines.
	 */
	s->refused++;
	if (mono_ms() - s->refused_logged_ms >= 1000) {
		pr_info("%s: refused uid %u (pid %d): %s\n", s->o.name,
			p->uid, p->pid, why);
		s->refused_logged_ms = mono_ms();
		s->refused_quiet = 0;
	} else {
		s->refused_quiet++;
	}
	close(fd);
}

static int connections_of(struct ctl_server *s, uid_t uid)
{
	int i, n = 0;

	for (i = 0; i < s->o.clients_max; i++)
		n += s->clients[i].in_use && s->clients[i].peer.uid == uid;
	return n;
}

static struct client *free_slot(struct ctl_server *s)
{
	int i;

	for (i = 0; i < s->o.clients_max; i++)
		if (!s->clients[i].in_use)
			return &s->clients[i];
	return NULL;
}

static int in_use(struct ctl_server *s)
{
	int i, n = 0;

	for (i = 0; i < s->o.clients_max; i++)
		n += s->clients[i].in_use;
	return n;
}

static void on_readable(struct ctl_server *s, struct client *c);

/* Why @peer may not have a connection now, or NULL. */
static const char *refusal(struct ctl_server *s,
			   const struct ctl_peer *peer)
{
	if (!(peer->may & CTL_MAY_READ))
		return "permission denied";
	if (connections_of(s, peer->uid) >= s->o.per_uid_max)
		return "too many connections from this uid";
	if (!free_slot(s) ||
	    (!(peer->may & CTL_MAY_ADMIN) &&
	     in_use(s) >= s->o.clients_max - s->o.admin_reserved))
		return "busy: too many connections";
	return NULL;
}

static void admit(struct ctl_server *s, int fd)
{
	struct ctl_peer peer;
	struct client *c;
	const char *why;

	if (peer_of(s, fd, &peer)) {
		log_warn("%s: SO_PEERCRED", s->o.name);
		close(fd);
		return;
	}
	why = refusal(s, &peer);
	if (why) {
		refuse(s, fd, &peer, why);
		return;
	}
	c = free_slot(s);
	c->in_use = 1;
	c->fd = fd;
	c->peer = peer;
	c->deadline_ms = mono_ms() + s->o.request_ms;
	if (watch(s, c, EPOLL_CTL_ADD, EPOLLIN)) {
		log_warn("%s: epoll", s->o.name);
		drop(s, c);
		return;
	}
	/*
	 * mxguardctl has sent its line by now, and most replies fit the
	 * socket's buffer: served at once, a burst of quick clients never
	 * meets the caps, which are for connections that linger.
	 */
	on_readable(s, c);
}

static void on_accept(struct ctl_server *s)
{
	int i, fd;

	/* A burst at most: the ring buffer must not wait on a flood. */
	for (i = 0; i < 8; i++) {
		fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			admit(s, fd);
			continue;
		}
		/*
		 * Out of descriptors: stop listening until a client goes, or
		 * a second passes (ctl_server_expire): what holds them may be
		 * no client of ours.
		 */
		if (errno == EMFILE || errno == ENFILE) {
			log_warn("%s: accept", s->o.name);
			set_accepting(s, 0);
		} else if (errno != EAGAIN && errno != EINTR &&
			   errno != ECONNABORTED) {
			log_warn("%s: accept", s->o.name);
		}
		return;
	}
}

/* Send what the socket takes; 1 when all is sent, 0 for more, -1 gone. */
static int flush(struct ctl_server *s, struct client *c)
{
	ssize_t n;

	while (c->sent < c->out.len) {
		n = send(c->fd, c->out.buf + c->sent, c->out.len - c->sent,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		c->sent += n;
		s->pending -= n;
	}
	return 1;
}

/* Send the reply now, and the rest when the socket takes it. */
static void start_reply(struct ctl_server *s, struct client *c)
{
	reply_seal(&c->out);
	if (s->pending + c->out.len > CTL_PENDING_MAX) {
		reply_free(&c->out);
		reply_printf(&c->out, "error busy: %u MiB of replies wait to "
			     "be read; try again\n", CTL_PENDING_MAX >> 20);
	}
	s->pending += c->out.len;
	c->replying = 1;
	c->deadline_ms = mono_ms() + s->o.reply_ms;
	switch (flush(s, c)) {
	case 0:
		if (!watch(s, c, EPOLL_CTL_MOD, EPOLLOUT))
			break;
		log_warn("%s: epoll", s->o.name);
		/* fall through */
	default:
		drop(s, c);
	}
}

static void on_readable(struct ctl_server *s, struct client *c)
{
	size_t room = sizeof(c->line) - 1 - c->len;
	ssize_t n = recv(c->fd, c->line + c->len, room, MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0 || (n == 0 && !c->len)) {
		drop(s, c);		/* gone without a request */
		return;
	}
	c->len += n;
	c->line[c->len] = '\0';
	/* A line, or all the peer will send (it shut down its side). */
	if (memchr(c->line, '\n', c->len) || n == 0) {
		c->line[strcspn(c->line, "\r\n")] = '\0';
		s->dispatch(s->ctx, &c->peer, c->line, &c->out);
	} else if (c->len == sizeof(c->line) - 1) {
		reply_printf(&c->out, "error request longer than %d bytes\n",
			     CTL_LINE_MAX - 1);
	} else {
		return;			/* more to come, before the deadline */
	}
	start_reply(s, c);
}

int ctl_server_attach(struct ctl_server *s, int epfd, ctl_dispatch_fn *fn,
		      void *ctx)
{
	struct epoll_event e = { .events = EPOLLIN, .data.u32 = TAG_LISTEN };

	s->epfd = epfd;
	s->dispatch = fn;
	s->ctx = ctx;
	return epoll_ctl(epfd, EPOLL_CTL_ADD, s->lfd, &e);
}

int ctl_server_owns(const struct ctl_server *s, __u32 tag)
{
	return s && tag >= TAG_LISTEN &&
	       tag <= TAG_CLIENT(s->o.clients_max - 1);
}

void ctl_server_event(struct ctl_server *s, __u32 tag, __u32 events)
{
	struct client *c;

	if (tag == TAG_LISTEN) {
		on_accept(s);
		return;
	}
	c = &s->clients[tag - TAG_CLIENT(0)];
	if (!c->in_use)
		return;
	if (!c->replying)
		on_readable(s, c);
	else if (flush(s, c))	/* done, or the peer went away */
		drop(s, c);
	(void)events;		/* errors and hangups show as failed I/O */
}

void ctl_server_expire(struct ctl_server *s)
{
	long long now = mono_ms();
	struct client *c;
	int i;

	if (s && s->refused_quiet && now - s->refused_logged_ms >= 1000) {
		pr_info("%s: %llu more connections refused (%llu in all)\n",
			s->o.name, s->refused_quiet, s->refused);
		s->refused_quiet = 0;
		s->refused_logged_ms = now;
	}
	if (s && s->accept_paused && now - s->paused_ms >= 1000)
		set_accepting(s, 1);
	for (i = 0; s && i < s->o.clients_max; i++) {
		c = &s->clients[i];
		if (!c->in_use || now < c->deadline_ms)
			continue;
		pr_info("%s: uid %u (pid %d) %s; closed\n", s->o.name,
			c->peer.uid, c->peer.pid, c->replying ?
			"did not read its reply in time" :
			"sent no complete request in time");
		drop(s, c);
	}
}

void ctl_server_close(struct ctl_server *s)
{
	int i;

	if (!s)
		return;
	for (i = 0; s->clients && i < s->o.clients_max; i++)
		if (s->clients[i].in_use)
			drop(s, &s->clients[i]);
	free(s->clients);
	s->clients = NULL;
	if (s->lfd >= 0) {
		close(s->lfd);
		/* Ours: the lock kept every other daemon off the path. */
		unlink(s->path);
		s->lfd = -1;
	}
	if (s->lock_fd >= 0) {
		unlink(s->lock_path);	/* while holding it: see take_lock */
		close(s->lock_fd);
		s->lock_fd = -1;
	}
	if (s != &control)
		free(s);
}

/* --- the control socket ------------------------------------------------- */

static struct ctl_server control = {
	.o = {
		.name = "control",
		.tag_base = 0x100,
		.clients_max = CTL_CLIENTS_MAX + CTL_ADMIN_RESERVED,
		.per_uid_max = CTL_PER_UID_MAX,
		.admin_reserved = CTL_ADMIN_RESERVED,
		.request_ms = CTL_REQUEST_MS,
		.reply_ms = CTL_REPLY_MS,
		.lock = 1,
	},
	.lfd = -1, .epfd = -1, .lock_fd = -1, .gid = (gid_t)-1,
};

int ctl_listen(const char *path, const char *group)
{
	return ctl_server_listen(path, group, &control.o) ? control.lfd : -1;
}

int ctl_attach(int epfd, ctl_dispatch_fn *fn, void *ctx)
{
	return ctl_server_attach(&control, epfd, fn, ctx);
}

int ctl_owns(__u32 tag)
{
	return control.clients && ctl_server_owns(&control, tag);
}

void ctl_event(__u32 tag, __u32 events)
{
	ctl_server_event(&control, tag, events);
}

void ctl_expire(void)
{
	if (control.clients)
		ctl_server_expire(&control);
}

void ctl_close(void)
{
	ctl_server_close(&control);
}
