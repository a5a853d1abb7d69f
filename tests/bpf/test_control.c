// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control socket and the daemon's files, against the real daemon:
 * clients that vanish, dawdle or never read must not stop alerts or
 * SIGTERM; who may run what; a second daemon; what --unload may remove;
 * what sits at the socket's path.  Waits are on sockets, pipes and pidfds.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "harness.h"
#include "mxguard/abi.h"

#define WAIT_MS 5000
#define ALERT_MS 500		/* an alert is late past this */
#define OUT_SZ 65536
#define NOGROUP 65534
/* control.h's caps: connections of members at once, of one uid. */
#define CTL_ALL		32
#define CTL_PER_UID	8

int test_failures(void);		/* harness.c */

static char out[OUT_SZ];

static const char ml_block[] = "lookalike ml of mil action=block\n";

static const struct zrec zone[] = {
	{ "army.ml", DNS_A, 300, "192.0.2.26" },
	{ NULL, 0, 0, NULL },
};

static int resolve_connect_once(void *arg)
{
	(void)arg;
	if (resolve("army.ml", DNS_A, VIA_UDP))
		return 201;
	return try_connect("192.0.2.26", 25);
}

static int connect_only(void *arg)
{
	(void)arg;
	return try_connect("192.0.2.26", 25);
}

/* A lookalike connect is refused, and its alert is not held up. */
static int blocked_promptly(struct tctx *t)
{
	const char *ev;
	long long t0;

	if (!ASSERT_EQ(run_in(t, NULL, resolve_connect_once, NULL), EPERM,
		       "lookalike connect refused"))
		return 0;
	t0 = now_ms();
	ev = next_event(t, "blocked", ALERT_MS);
	if (!ASSERT_HAS(ev, "192.0.2.26"))
		return 0;
	fprintf(stderr, "  blocked alert %lld ms after the connect\n",
		now_ms() - t0);
	return 1;
}

static int ctl_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The harness's daemon is still running; if not, say how it ended. */
static int daemon_alive(struct tctx *t)
{
	int st;

	if (t->daemon <= 0 || waitpid(t->daemon, &st, WNOHANG) == 0)
		return t->daemon > 0;
	if (WIFSIGNALED(st))
		fprintf(stderr, "  mxguardd was killed by signal %d (%s)\n",
			WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		fprintf(stderr, "  mxguardd exited with %d\n",
			WEXITSTATUS(st));
	t->daemon = 0;
	return 0;
}

/*
 * Lookalike records straight into the pinned host map: a `list` reply of
 * about 80 bytes each, many times what a unix socket buffers.  Alert-only
 * and for 10.0.0.0/8, so no connect of the test meets them.
 */
static int fill_taints(struct tctx *t, int n)
{
	struct mxg_taint v = { .verdict = MXG_VERDICT_LOOKALIKE,
			       .action = MXG_ACTION_ALERT };
	struct mxg_host_key k = { .addr = { [10] = 0xff, [11] = 0xff,
					    [12] = 10 } };
	struct timespec ts;
	char path[300];
	int fd, i, err = 0;

	snprintf(path, sizeof(path), "%s/taint_host", t->pin);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &ts);	/* bpf_ktime_get_ns() */
	v.expires_ns = (ts.tv_sec + 3600) * 1000000000ULL;
	for (i = 0; i < n && !err; i++) {
		k.addr[13] = i >> 16;
		k.addr[14] = i >> 8;
		k.addr[15] = i;
		err = bpf_map_update_elem(fd, &k, &v, BPF_ANY);
	}
	close(fd);
	return err;
}

/* A client that asks for `list` and never reads; its reply has begun. */
static int stuck_reader(struct tctx *t)
{
	struct pollfd p;
	int fd;

	if (fill_taints(t, 20000))
		return -1;
	fd = ctl_connect(t->control);
	if (fd < 0 || write(fd, "list\n", 5) != 5)
		return -1;
	p.fd = fd;
	p.events = POLLIN;
	if (poll(&p, 1, WAIT_MS) != 1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* --- 1. SIGPIPE --------------------------------------------------------- */

static int t_ctl_sigpipe(struct tctx *t)
{
	int i, fd;

	if (fill_taints(t, 1000))
		return -1;
	/* Ask, then hang up before the reply: its write meets a dead peer. */
	for (i = 0; i < 20; i++) {
		fd = ctl_connect(t->control);
		if (!ASSERT_TRUE(fd >= 0, "connect to the control socket")) {
			ASSERT_TRUE(daemon_alive(t), "daemon still running");
			return -1;
		}
		if (i % 2 ? write(fd, "list\n", 5) != 5 :
			    write(fd, "stats json\n", 11) != 11)
			return -1;
		shutdown(fd, SHUT_RD);
		close(fd);
	}
	ASSERT_EQ(ctl(t, out, OUT_SZ, "status"), 0, "status after 20 hang-ups");
	ASSERT_HAS(out, "state: loaded");
	ASSERT_TRUE(daemon_alive(t), "daemon still running");
	blocked_promptly(t);
	return 0;
}

/* --- 2. the event loop is never the control socket's -------------------- */

struct trickle {
	const char *path;
	int started;		/* write end: a byte once under way */
};

/* 1 byte a second, a request that would take 20 s to arrive. */
static int trickle(void *arg)
{
	static const char req[] = "status                 \n";
	struct trickle *tr = arg;
	int fd = ctl_connect(tr->path), i;

	signal(SIGPIPE, SIG_IGN);
	if (fd < 0)
		return 1;
	for (i = 0; req[i]; i++) {
		if (write(fd, &req[i], 1) != 1)
			return 0;	/* the daemon gave up on us */
		if (i == 1 && write(tr->started, "x", 1) != 1)
			return 1;
		sleep(1);
	}
	return 0;
}

static int t_ctl_slow_client(struct tctx *t)
{
	struct trickle tr = { .path = t->control };
	int pfd[2], rc = -1;
	char c[2];
	pid_t pid;

	if (pipe(pfd))
		return -1;
	tr.started = pfd[1];
	pid = run_async(t, NULL, trickle, &tr);
	close(pfd[1]);
	if (ASSERT_TRUE(read_for(pfd[0], c, sizeof(c), WAIT_MS) == 1,
			"slow client under way")) {
		blocked_promptly(t);
		ASSERT_EQ(ctl(t, out, OUT_SZ, "status"), 0,
			  "status beside a slow client");
		rc = 0;
	}
	kill(pid, SIGKILL);
	run_wait(pid);
	close(pfd[0]);
	return rc;
}

static int t_ctl_unread_reply(struct tctx *t)
{
	int fd = stuck_reader(t), ok;

	if (!ASSERT_TRUE(fd >= 0, "a list reply under way"))
		return -1;
	ok = blocked_promptly(t);
	/* Only then: with the loop stuck, mxguardctl would wait forever. */
	if (ok)
		ASSERT_EQ(ctl(t, out, OUT_SZ, "status"), 0,
			  "status beside a client that does not read");
	close(fd);
	return 0;
}

static int t_ctl_sigterm_stuck_client(struct tctx *t)
{
	int fd = stuck_reader(t), rc;

	if (!ASSERT_TRUE(fd >= 0, "a list reply under way"))
		return -1;
	kill(t->daemon, SIGTERM);
	rc = exited_within(t->daemon, 2000);
	ASSERT_EQ(rc, 0, "exit status within 2 s of SIGTERM");
	if (rc < 0) {
		kill(t->daemon, SIGKILL);
		waitpid(t->daemon, NULL, 0);
	}
	t->daemon = 0;
	close(fd);
	return 0;
}

/* mxguardctl as another user: its exit status, its output in @buf. */
static int ctl_as(struct tctx *t, uid_t uid, gid_t gid, int ngroups,
		  const gid_t *groups, const char *cmd, char *buf, size_t sz)
{
	size_t n = strlen(t->daemon_bin);
	char bin[512];
	int p[2], st;
	pid_t pid;

	snprintf(bin, sizeof(bin), "%.*sctl", (int)(n - 1), t->daemon_bin);
	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		dup2(p[1], STDERR_FILENO);
		if (setgroups(ngroups, groups) || setgid(gid) || setuid(uid))
			_exit(120);
		execl(bin, bin, "-s", t->control, cmd, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	read_for(p[0], buf, sz, WAIT_MS);
	close(p[0]);
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int t_ctl_per_uid_cap(struct tctx *t)
{
	int fds[8], i, ninth, ok = 1;
	long long t0 = now_ms();
	char reply[256];

	for (i = 0; i < 8; i++) {
		fds[i] = ctl_connect(t->control);
		ok &= fds[i] >= 0;
	}
	ninth = ctl_connect(t->control);
	if (!ASSERT_TRUE(ok && ninth >= 0, "nine connections"))
		return -1;
	read_for(ninth, reply, sizeof(reply), 2000);
	ASSERT_HAS(reply, "error too many connections from this uid");
	close(ninth);
	/* The cap is per uid: another member of the group still gets in. */
	ASSERT_EQ(ctl_as(t, NOGROUP, NOGROUP, 0, NULL, "status", out, OUT_SZ),
		  0, "another uid while root has 8 open");
	ASSERT_HAS(out, "state: loaded");
	close(fds[7]);
	ASSERT_EQ(ctl(t, out, OUT_SZ, "status"), 0, "root again, with 7 open");
	/* Idle ones are closed at their request deadline (5 s). */
	ASSERT_EQ(read_for(fds[0], reply, sizeof(reply), 8000), 0,
		  "idle connection closed with no reply");
	ASSERT_TRUE(now_ms() - t0 >= 4500 && now_ms() - t0 < 8000,
		    "closed at the 5 s request deadline");
	for (i = 0; i < 7; i++)
		close(fds[i]);
	return 0;
}

/*
 * A member of the control group, as @uid: 8 connections held open, "ready"
 * on @ready once they are, until killed.
 */
static pid_t member_holding(uid_t uid, int ready, const char *control)
{
	const gid_t nogroup[] = { NOGROUP };
	pid_t pid = fork();
	int i, fd;

	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (setgroups(1, nogroup) || setgid(NOGROUP) || setuid(uid))
		_exit(120);
	for (i = 0; i < CTL_PER_UID; i++) {
		fd = ctl_connect(control);
		if (fd < 0)
			_exit(121);
	}
	if (write(ready, "r", 1) != 1)
		_exit(122);
	pause();
	_exit(0);
}

/*
 * Members of the group, as four uids (what one user with a subordinate
 * uid range can be), hold every slot they may: root still gets in, to
 * reload or unload.
 */
static int t_ctl_admin_reserved(struct tctx *t)
{
	pid_t members[CTL_ALL / CTL_PER_UID];
	int p[2], i, n = 0, ok = 1;
	char c[2], reply[256];

	if (pipe2(p, O_CLOEXEC))
		return -1;
	for (i = 0; i < CTL_ALL / CTL_PER_UID; i++)
		members[i] = member_holding(6000 + i, p[1], t->control);
	close(p[1]);
	while (n < CTL_ALL / CTL_PER_UID && read_for(p[0], c, sizeof(c), 3000) == 1)
		n++;
	ok = ASSERT_EQ(n, CTL_ALL / CTL_PER_UID,
		       "32 connections held by four member uids");
	if (ok) {
		ASSERT_EQ(ctl_as(t, 6100, NOGROUP, 0, NULL, "status", reply,
				 sizeof(reply)), 2, "a fifth member uid");
		ASSERT_HAS(reply, "busy: too many connections");
		ASSERT_EQ(ctl(t, out, OUT_SZ, "status"), 0,
			  "root, in a reserved slot");
		ASSERT_HAS(out, "state: loaded");
		ASSERT_EQ(ctl(t, out, OUT_SZ, "reload"), 0,
			  "root may reload meanwhile");
		ASSERT_HAS(out, "reloaded");
	}
	for (i = 0; i < CTL_ALL / CTL_PER_UID; i++) {
		kill(members[i], SIGKILL);
		waitpid(members[i], NULL, 0);
	}
	close(p[0]);
	return ok ? 0 : -1;
}

/*
 * `list` as @uid (0: root; else a member, gid NOGROUP), its reply thrown
 * away: the exit status, stderr in @err.
 */
static int list_quiet(struct tctx *t, uid_t uid, char *err, size_t sz)
{
	const gid_t nogroup[] = { NOGROUP };
	size_t n = strlen(t->daemon_bin);
	char bin[512];
	int p[2], st, null;
	pid_t pid;

	snprintf(bin, sizeof(bin), "%.*sctl", (int)(n - 1), t->daemon_bin);
	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		null = open("/dev/null", O_WRONLY);
		if (null < 0 || dup2(null, STDOUT_FILENO) < 0 ||
		    dup2(p[1], STDERR_FILENO) < 0)
			_exit(121);
		if (uid && (setgroups(1, nogroup) || setgid(NOGROUP) ||
			    setuid(uid)))
			_exit(120);
		execl(bin, bin, "-s", t->control, "list", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	read_for(p[0], err, sz, 30000);
	close(p[0]);
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define LIST_RECORDS	60000

/* @n host-level lookalike records, live for 10 minutes, in 198.18.0.0/15. */
static int fill_taint_host(struct tctx *t, int n)
{
	int fd = pinned(t, "taint_host"), i, err = 0;
	struct mxg_host_key k = { .addr = { [10] = 0xff, [11] = 0xff } };
	struct mxg_taint v = { .verdict = MXG_VERDICT_LOOKALIKE,
			       .action = MXG_ACTION_BLOCK };
	struct timespec ts;

	if (fd < 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	v.expires_ns = (ts.tv_sec + 600) * 1000000000ULL;
	for (i = 0; i < n && !err; i++) {
		k.addr[12] = 198;
		k.addr[13] = 18 + (i >> 16);
		k.addr[14] = (i >> 8) & 0xff;
		k.addr[15] = i & 0xff;
		err = bpf_map_update_elem(fd, &k, &v, BPF_ANY);
	}
	close(fd);
	return err;
}

/*
 * A member who lists in a loop cannot keep the event loop walking: after a
 * walk, members' walks wait nine times as long as it took; root's never.
 */
static int t_ctl_list_duty_cycle(struct tctx *t)
{
	char err[512];
	long long t0, took;
	int wait_ms = 0;
	const char *p;

	if (!ASSERT_EQ(fill_taint_host(t, LIST_RECORDS), 0,
		       "60,000 records in taint_host"))
		return -1;
	t0 = now_ms();
	ASSERT_EQ(list_quiet(t, NOGROUP, err, sizeof(err)), 0,
		  "a member's first list");
	took = now_ms() - t0;
	ASSERT_EQ(list_quiet(t, NOGROUP, err, sizeof(err)), 2,
		  "the member again at once: refused");
	ASSERT_HAS(err, "busy: the last listing kept the daemon busy; try "
		   "again in ");
	ASSERT_EQ(list_quiet(t, 0, err, sizeof(err)), 0, "root meanwhile");
	ASSERT_EQ(list_quiet(t, NOGROUP, err, sizeof(err)), 2,
		  "the member after root's walk: refused");
	p = strstr(err, "try again in ");
	if (p)
		wait_ms = atoi(p + strlen("try again in "));
	ASSERT_TRUE(wait_ms > 0 && wait_ms < 20 * took + 1000,
		    "told a wait near nine walks");
	usleep((wait_ms + 50) * 1000);
	ASSERT_EQ(list_quiet(t, NOGROUP, err, sizeof(err)), 0,
		  "the member after the wait it was told");
	fprintf(stderr, "# a list of %d records took %lld ms; told %d ms\n",
		LIST_RECORDS, took, wait_ms);
	return 0;
}

/*
 * Out of descriptors with no client of the control socket holding any: the
 * listener pauses, and takes connections again once descriptors are
 * back, not only when some client of its own goes.
 */
static int t_ctl_emfile_resumes(struct tctx *t)
{
	struct rlimit was;
	char reply[256];
	int fd, ok;

	if (!ASSERT_EQ(starve_fds(t->daemon, &was), 0, "out of descriptors"))
		return -1;
	fd = ctl_connect(t->control);
	ok = ASSERT_TRUE(fd >= 0 && write(fd, "status\n", 7) == 7,
			 "a request waits in the backlog");
	/* The accept that fails, then descriptors again. */
	usleep(300 * 1000);
	prlimit(t->daemon, RLIMIT_NOFILE, &was, NULL);
	if (ok) {
		read_for(fd, reply, sizeof(reply), 4000);
		ASSERT_HAS(reply, "state: loaded");
	}
	if (fd >= 0)
		close(fd);
	ASSERT_EQ(ctl(t, out, OUT_SZ, "status"), 0, "and the next client");
	return 0;
}

/* --- 3. who may run what ------------------------------------------------ */

static int t_ctl_supplementary_group(struct tctx *t)
{
	const gid_t nogroup[] = { NOGROUP };
	const gid_t other = 4242;	/* a primary gid of no meaning here */
	gid_t many[100];
	int i;

	/* The control group only as a supplementary group. */
	ASSERT_EQ(ctl_as(t, NOGROUP, other, 1, nogroup, "status", out, OUT_SZ),
		  0, "supplementary member: status");
	ASSERT_HAS(out, "state: loaded");
	ASSERT_EQ(ctl_as(t, NOGROUP, other, 1, nogroup, "list", out, OUT_SZ),
		  0, "supplementary member: list");
	/* More groups than the daemon's first guess of room (64). */
	for (i = 0; i < 99; i++)
		many[i] = 5000 + i;
	many[99] = NOGROUP;
	ASSERT_EQ(ctl_as(t, NOGROUP, other, 100, many, "status", out, OUT_SZ),
		  0, "member as the 100th supplementary group: status");
	ASSERT_EQ(ctl_as(t, NOGROUP, other, 1, nogroup, "unload", out, OUT_SZ),
		  2, "supplementary member: unload refused");
	ASSERT_HAS(out, "permission denied: 'unload' changes state");
	ASSERT_EQ(ctl_as(t, NOGROUP, other, 1, nogroup, "reload", out, OUT_SZ),
		  2, "supplementary member: reload refused");
	ASSERT_HAS(out, "permission denied: 'reload' changes state");
	/* The primary group reads too, and may not change state either. */
	ASSERT_EQ(ctl_as(t, NOGROUP, NOGROUP, 0, NULL, "unload", out, OUT_SZ),
		  2, "primary member: unload refused");
	ASSERT_HAS(out, "permission denied");
	ASSERT_TRUE(daemon_alive(t), "daemon still running");
	ASSERT_EQ(run_in(t, NULL, resolve_connect_once, NULL), EPERM,
		  "still enforcing");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "reload"), 0, "root may reload");
	ASSERT_HAS(out, "reloaded 1 rules");
	/* With its capabilities dropped, the daemon still unloads for root. */
	ASSERT_EQ(ctl(t, out, OUT_SZ, "unload"), 0, "root may unload");
	ASSERT_EQ(exited_within(t->daemon, WAIT_MS), 0, "exit after unload");
	t->daemon = 0;
	ASSERT_TRUE(access(t->pin, F_OK) != 0, "pins removed");
	ASSERT_EQ(run_in(t, NULL, connect_only, NULL), 0,
		  "connect after unload");
	return 0;
}

/* --- 4. files ----------------------------------------------------------- */

/* In a mount namespace of its own, so the tmpfs goes with the child. */
static int unload_on_tmpfs(void *arg)
{
	struct tctx *t = arg;
	char dir[] = "/tmp/mxguard-test-unload-XXXXXX", path[128];
	int rc, kept;

	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    !mkdtemp(dir) || mount("tmpfs", dir, "tmpfs", 0, "size=1m"))
		return 200;
	snprintf(path, sizeof(path), "%s/counters", dir);	/* a pin name */
	write_text(path, "not a pin\n");
	snprintf(path, sizeof(path), "%s/mail.txt", dir);
	write_text(path, "someone's file\n");
	rc = run_cmd(out, OUT_SZ, "%s --unload --pin-dir %s", t->daemon_bin,
		     dir);
	ASSERT_EQ(rc, 2, "--unload on tmpfs: exit status");
	ASSERT_HAS(out, "is not on a bpf file system");
	snprintf(path, sizeof(path), "%s/counters", dir);
	kept = access(path, F_OK) == 0;
	snprintf(path, sizeof(path), "%s/mail.txt", dir);
	kept += access(path, F_OK) == 0;
	ASSERT_EQ(kept, 2, "files kept");
	umount(dir);
	rmdir(dir);
	return 0;
}

static int t_unload_not_bpffs(struct tctx *t)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(unload_on_tmpfs(t) || test_failures() ? 1 : 0);
	return ASSERT_EQ(run_wait(pid), 0, "checks in the tmpfs child") ?
	       0 : -1;
}

static int t_unload_known_pins(struct tctx *t)
{
	char path[300];
	int fd, rc;

	/* Under a running daemon, --unload would pull its pins away. */
	rc = run_cmd(out, OUT_SZ, "%s --unload --pin-dir %s", t->daemon_bin,
		     t->pin);
	ASSERT_EQ(rc, 1, "--unload under a running daemon refused");
	ASSERT_HAS(out, "a running mxguardd holds");
	ASSERT_EQ(run_in(t, NULL, resolve_connect_once, NULL), EPERM,
		  "still enforcing");
	/* Something of someone else's in the pin directory. */
	snprintf(path, sizeof(path), "%s/not-ours", t->pin);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "not_ours", 4, 4, 1, NULL);
	if (fd < 0 || bpf_obj_pin(fd, path))
		return -1;
	close(fd);
	daemon_stop(t, SIGTERM);
	rc = run_cmd(out, OUT_SZ, "%s --unload --pin-dir %s", t->daemon_bin,
		     t->pin);
	ASSERT_EQ(rc, 0, "--unload");
	ASSERT_HAS(out, "not-ours is not a pin of this mxguardd: kept");
	ASSERT_TRUE(access(path, F_OK) == 0, "unknown pin kept");
	snprintf(path, sizeof(path), "%s/mxg_connect4", t->pin);
	ASSERT_TRUE(access(path, F_OK) != 0, "link pin removed");
	snprintf(path, sizeof(path), "%s/counters", t->pin);
	ASSERT_TRUE(access(path, F_OK) != 0, "map pin removed");
	ASSERT_EQ(run_in(t, NULL, connect_only, NULL), 0,
		  "connect after unload");
	snprintf(path, sizeof(path), "%s/not-ours", t->pin);
	unlink(path);
	rmdir(t->pin);
	return 0;
}

/* mxguardd as the harness starts it, with @control; output in @buf. */
static int second_daemon(struct tctx *t, const char *control, char *buf,
			 size_t sz)
{
	return daemon_exec(t, t->policy_path, t->pin, control, buf, sz);
}

static int t_second_daemon(struct tctx *t)
{
	char other[128], lock[140];

	ASSERT_EQ(second_daemon(t, t->control, out, OUT_SZ), 1,
		  "second daemon on the same socket and pins: exit status");
	ASSERT_HAS(out, "already running");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "status"), 0, "first still answers");
	ASSERT_TRUE(blocked_promptly(t), "first still alerts");
	/* Another socket, the same pins: the pin directory's lock. */
	snprintf(other, sizeof(other), "%s.2", t->control);
	ASSERT_EQ(second_daemon(t, other, out, OUT_SZ), 1,
		  "second daemon on the same pins: exit status");
	ASSERT_HAS(out, "already running: another mxguardd holds");
	snprintf(lock, sizeof(lock), "%s.lock", other);
	ASSERT_TRUE(access(other, F_OK) != 0 && access(lock, F_OK) != 0,
		    "the second's socket and lock removed");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "status"), 0, "first still answers");
	ASSERT_HAS(out, "state: loaded");
	return 0;
}

/* Programs attached to @cg, over the attach types mxguardd uses. */
static long attached_to(const char *cg)
{
	static const enum bpf_attach_type types[] = {
		BPF_CGROUP_INET_INGRESS, BPF_CGROUP_INET_EGRESS,
		BPF_CGROUP_INET4_CONNECT, BPF_CGROUP_INET6_CONNECT,
		BPF_CGROUP_UDP4_SENDMSG, BPF_CGROUP_UDP6_SENDMSG,
		BPF_CGROUP_SOCK_OPS, BPF_CGROUP_INET_SOCK_CREATE,
	};
	int fd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long sum = 0;
	__u32 cnt;
	size_t i;

	if (fd < 0)
		return -1;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		cnt = 0;
		if (!bpf_prog_query(fd, types[i], 0, NULL, NULL, &cnt))
			sum += cnt;
	}
	close(fd);
	return sum;
}

/* The names in @dir, sorted, one a line ("" if there is no @dir). */
static void dir_names(const char *dir, char *buf, size_t sz)
{
	struct dirent **ents;
	size_t len = 0;
	int i, n = scandir(dir, &ents, NULL, alphasort);

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (len < sz)
			len += snprintf(buf + len, sz - len, "%s\n",
					ents[i]->d_name);
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
}

/* The pinned config of @pin (0 if it could be read). */
static int pinned_config(const char *pin, struct mxg_config *cfg)
{
	char path[300];
	__u32 zero = 0;
	int fd, err;

	snprintf(path, sizeof(path), "%s/config_map", pin);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -1;
	err = bpf_map_lookup_elem(fd, &zero, cfg);
	close(fd);
	return err;
}

/*
 * The programs load while the policy is parsed (loader_open()), so a bad
 * policy is found with the pin lock taken and the maps created: it must
 * still fail the start with `file:line:`, make no pin and no pin
 * directory, attach nothing, and leave a previous daemon's pins as they
 * were.
 */
static int t_bad_policy_start(struct tctx *t)
{
	char fresh[300], ctl2[128], policy[300], want[340];
	static char before[8192], after[8192];
	struct mxg_config c0, c1;
	long progs = attached_to(t->cg);
	const char *argv[6];
	pid_t pid;

	snprintf(fresh, sizeof(fresh), "%s-fresh", t->pin);
	snprintf(ctl2, sizeof(ctl2), "%s.2", t->control);
	snprintf(policy, sizeof(policy), "%s.bad", t->policy_path);
	snprintf(want, sizeof(want), "%s:2: unknown directive", policy);
	if (!ASSERT_TRUE(progs > 0, "the harness's daemon is attached") ||
	    write_text(policy, "lookalike ml of mil action=block\n"
			       "not a rule\n") ||
	    chmod(policy, 0600))
		return -1;
	/* A fresh pin directory. */
	ASSERT_EQ(daemon_exec(t, policy, fresh, ctl2, out, OUT_SZ), 2,
		  "bad policy, fresh pins: exit status");
	ASSERT_HAS(out, want);
	ASSERT_HAS(out, "nothing loaded");
	if (!ASSERT_TRUE(access(fresh, F_OK) != 0,
			 "no pin directory left behind")) {
		argv[0] = t->daemon_bin;
		argv[1] = "--unload";
		argv[2] = "--pin-dir";
		argv[3] = fresh;
		argv[4] = NULL;
		pid = fork();
		if (pid == 0) {
			execv(argv[0], (char **)argv);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	ASSERT_EQ(attached_to(t->cg), progs, "nothing more attached");
	/* A restart over the pins the stopped daemon left enforcing. */
	ASSERT_EQ(daemon_stop(t, SIGTERM), 0, "first daemon stopped");
	dir_names(t->pin, before, sizeof(before));
	if (!ASSERT_EQ(pinned_config(t->pin, &c0), 0, "pinned config read"))
		return -1;
	ASSERT_EQ(daemon_exec(t, policy, t->pin, t->control, out, OUT_SZ), 2,
		  "bad policy over pins: exit status");
	ASSERT_HAS(out, want);
	dir_names(t->pin, after, sizeof(after));
	ASSERT_TRUE(before[0] && !strcmp(before, after), "the same pins");
	ASSERT_EQ(pinned_config(t->pin, &c1), 0, "pinned config read again");
	ASSERT_TRUE(!memcmp(&c0, &c1, sizeof(c0)), "the config untouched");
	ASSERT_EQ(attached_to(t->cg), progs, "the same programs attached");
	unlink(policy);
	return 0;
}

static int t_socket_path_not_followed(struct tctx *t)
{
	char target[128];
	struct stat st;

	daemon_stop(t, SIGTERM);
	snprintf(target, sizeof(target), "%s.target", t->control);
	if (write_text(target, "precious\n") || chmod(target, 0640) ||
	    symlink(target, t->control))
		return -1;
	ASSERT_EQ(second_daemon(t, t->control, out, OUT_SZ), 1,
		  "a symlink at the socket path: exit status");
	ASSERT_HAS(out, "exists and is not a socket");
	ASSERT_TRUE(!lstat(t->control, &st) && S_ISLNK(st.st_mode),
		    "the symlink is still there");
	ASSERT_TRUE(!stat(target, &st) && (st.st_mode & 07777) == 0640 &&
		    st.st_uid == 0 && st.st_gid == 0,
		    "its target's mode and owner unchanged");
	/* A regular file in the way is not removed either. */
	unlink(t->control);
	rename(target, t->control);
	ASSERT_EQ(second_daemon(t, t->control, out, OUT_SZ), 1,
		  "a file at the socket path: exit status");
	ASSERT_TRUE(!lstat(t->control, &st) && S_ISREG(st.st_mode),
		    "the file is still there");
	unlink(t->control);
	/* A stale socket (a daemon killed with -9) is replaced. */
	if (!ASSERT_EQ(daemon_start(t, NULL), 0, "daemon starts"))
		return -1;
	ASSERT_EQ(daemon_stop(t, SIGKILL), 128 + SIGKILL, "kill -9");
	if (!ASSERT_EQ(daemon_start(t, NULL), 0, "restart on a stale socket"))
		return -1;
	ASSERT_TRUE(!lstat(t->control, &st) && S_ISSOCK(st.st_mode) &&
		    (st.st_mode & 0777) == 0600, "a socket, mode 0600");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "status"), 0, "status");
	return 0;
}

const struct tcase control_tests[] = {
	{ .name = "ctl_sigpipe_survives", .fn = t_ctl_sigpipe,
	  .policy = ml_block, .zone = zone },
	{ .name = "ctl_slow_client_no_stall", .fn = t_ctl_slow_client,
	  .policy = ml_block, .zone = zone },
	{ .name = "ctl_unread_reply_no_stall", .fn = t_ctl_unread_reply,
	  .policy = ml_block, .zone = zone },
	{ .name = "ctl_sigterm_with_stuck_client",
	  .fn = t_ctl_sigterm_stuck_client, .policy = ml_block, .zone = zone },
	{ .name = "ctl_per_uid_cap", .fn = t_ctl_per_uid_cap,
	  .policy = ml_block, .zone = zone,
	  .args = { "--config", "tests/bpf/nogroup.conf" } },
	{ .name = "ctl_admin_reserved", .fn = t_ctl_admin_reserved,
	  .policy = ml_block, .zone = zone,
	  .args = { "--config", "tests/bpf/nogroup.conf" } },
	{ .name = "ctl_list_duty_cycle", .fn = t_ctl_list_duty_cycle,
	  .policy = ml_block, .zone = zone,
	  .args = { "--config", "tests/bpf/nogroup.conf" } },
	{ .name = "ctl_emfile_resumes", .fn = t_ctl_emfile_resumes,
	  .policy = ml_block, .zone = zone },
	{ .name = "ctl_supplementary_group", .fn = t_ctl_supplementary_group,
	  .policy = ml_block, .zone = zone,
	  .args = { "--config", "tests/bpf/nogroup.conf" } },
	{ .name = "unload_refuses_non_bpffs", .fn = t_unload_not_bpffs,
	  .policy = ml_block, .zone = zone },
	{ .name = "unload_removes_known_pins_only", .fn = t_unload_known_pins,
	  .policy = ml_block, .zone = zone },
	{ .name = "second_daemon_already_running", .fn = t_second_daemon,
	  .policy = ml_block, .zone = zone },
	{ .name = "bad_policy_start_leaves_nothing", .fn = t_bad_policy_start,
	  .policy = ml_block, .zone = zone },
	{ .name = "socket_path_not_followed", .fn = t_socket_path_not_followed,
	  .policy = ml_block, .zone = zone },
	{ 0 },
};
