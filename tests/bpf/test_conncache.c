// SPDX-License-Identifier: GPL-2.0-only
/*
 * Connection caches on the real kernel: a connection opened before its
 * destination became tainted is destroyed through sock_diag when, and only
 * when, it lies inside the taint's scope.  shared.example and shared.ml
 * share 192.0.2.31, as a genuine domain and a lookalike may share an MX.
 * Processes say "connected" and are told "look" over pipes; the test waits
 * on the daemon's events, never on a sleep.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "cgroup.h"
#include "conncache.h"
#include "harness.h"
#include "mxguard/abi.h"

#define WAIT_MS 5000
#define OUT_SZ 65536
#define SHARED_IP "192.0.2.31"
#define MANY 300		/* more than the 256 the first version kept */

static char out[OUT_SZ];

static const char ml_block[] = "lookalike ml of mil action=block\n";

static const struct zrec zone[] = {
	{ "cached.ml", DNS_A, 300, "192.0.2.40" },
	{ "shared.example", DNS_A, 300, SHARED_IP },
	{ "shared.ml", DNS_A, 300, SHARED_IP },
	{ NULL, 0, 0, NULL },
};

/* Connect first (clean), then learn the destination is a lookalike. */
static int cached_connection(void *arg)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(25) };
	struct pollfd p;
	char c;
	int fd;

	(void)arg;
	inet_pton(AF_INET, "192.0.2.40", &sa.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return 201;
	if (resolve("cached.ml", DNS_A, VIA_UDP))
		return 202;
	p.fd = fd;
	p.events = POLLIN;
	if (poll(&p, 1, 5000) != 1)
		return 203;		/* nobody destroyed it */
	if (read(fd, &c, 1) >= 0)
		return 204;
	return errno;
}

static int t_destroy_cached(struct tctx *t)
{
	const char *ev;

	ASSERT_EQ(run_in(t, NULL, cached_connection, NULL), ECONNABORTED,
		  "cached connection destroyed");
	ev = next_event(t, "connection-destroyed", WAIT_MS);
	ASSERT_HAS(ev, "\"destination\":{\"ip\":\"192.0.2.40\",\"port\":25,");
	ASSERT_HAS(ev, "\"lookalike\":\"cached.ml\"");
	return 0;
}

/* --- processes that hold connections ------------------------------------ */

/*
 * A holder opens @n connections to SHARED_IP:25, writes its pid to @ready,
 * then either waits for every one to be destroyed (@expect_cut) or, once
 * told to @look, checks that every one still works.  Exit status: the
 * connections that did not behave (at most 200), or 201.. for a setup step.
 */
struct hold {
	int n;
	int expect_cut;
	const char *clean_name;		/* resolved first, if set */
	int ready[2];
	int look[2];
};

static int wait_byte(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	return poll(&p, 1, ms) == 1 && read(fd, &c, 1) == 1 ? 0 : -1;
}

/* A pid written to @fd by a holder once it is connected. */
static int wait_byte_pid(int fd, pid_t *pid)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, WAIT_MS) == 1 &&
	       read(fd, pid, sizeof(*pid)) == sizeof(*pid) ? 0 : -1;
}

static int hold_open(struct hold *h, int *fds)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(25) };
	struct rlimit rl;
	int i;

	/* Room for MANY and then some, whatever the runner's soft limit. */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < 1024) {
		rl.rlim_cur = rl.rlim_max < 1024 ? rl.rlim_max : 1024;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	inet_pton(AF_INET, SHARED_IP, &sa.sin_addr);
	for (i = 0; i < h->n; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i] < 0 ||
		    connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)))
			return -1;
	}
	return 0;
}

/* Destroyed by @deadline: readable, and the read fails with ECONNABORTED. */
static int was_cut(int fd, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	long long left = deadline - now_ms();
	char c;

	if (poll(&p, 1, left > 0 ? left : 0) != 1)
		return 0;
	return read(fd, &c, 1) < 0 && errno == ECONNABORTED;
}

/* Alive: no error pending, nothing to read, and a write goes out. */
static int is_alive(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	socklen_t len = sizeof(int);
	int err = -1;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) || err)
		return 0;
	if (poll(&p, 1, 0) != 0)
		return 0;
	return write(fd, "x", 1) == 1;
}

static int holder(void *arg)
{
	struct hold *h = arg;
	static int fds[MANY];
	pid_t pid = getpid();
	long long deadline;
	int i, bad = 0;

	if (h->n > MANY)
		return 201;
	if (h->clean_name && resolve(h->clean_name, DNS_A, VIA_UDP))
		return 202;
	if (hold_open(h, fds))
		return 203;
	if (write(h->ready[1], &pid, sizeof(pid)) != sizeof(pid))
		return 204;
	if (!h->expect_cut && wait_byte(h->look[0], 30000))
		return 205;
	/* One wait for them all: a leftover costs no more than the rest. */
	deadline = now_ms() + WAIT_MS;
	for (i = 0; i < h->n; i++)
		bad += h->expect_cut ? !was_cut(fds[i], deadline) :
				       !is_alive(fds[i]);
	return bad > 200 ? 200 : bad;
}

static int hold_init(struct hold *h, int n, int expect_cut)
{
	memset(h, 0, sizeof(*h));
	h->n = n;
	h->expect_cut = expect_cut;
	return pipe(h->ready) || pipe(h->look) ? -1 : 0;
}

/* Start a holder in @cgroup; its pid once it holds its connections. */
static pid_t hold_start(struct tctx *t, const char *cgroup, struct hold *h,
			pid_t *holder_pid)
{
	pid_t pid = run_async(t, cgroup, holder, h);

	if (pid < 0 || wait_byte_pid(h->ready[0], holder_pid))
		return -1;
	return pid;
}

static void hold_look(struct hold *h)
{
	if (write(h->look[1], "l", 1) != 1)
		fprintf(stderr, "  cannot tell the holder to look\n");
}

static int resolve_lookalike(void *arg)
{
	(void)arg;
	return resolve("shared.ml", DNS_A, VIA_UDP) ? 201 : 0;
}

/*
 * The taint's connection-cache work ends before its `tainted` alert is
 * written: count the connections destroyed up to that alert, and keep the
 * first one's alert in @first.
 */
static char first[16384];

static int destroyed_until_tainted(struct tctx *t)
{
	const char *ev;
	int n = 0;

	first[0] = '\0';
	while ((ev = next_event(t, NULL, WAIT_MS))) {
		if (strstr(ev, "\"action\":\"tainted\""))
			return n;
		if (!strstr(ev, "\"action\":\"connection-destroyed\""))
			continue;
		if (!n++)
			snprintf(first, sizeof(first), "%s", ev);
	}
	test_fail(__FILE__, __LINE__, "no tainted alert after %d destroyed",
		  n);
	return -1;
}

/* --- process scope ------------------------------------------------------ */

struct lineage {
	struct hold child;
	int told[2];			/* the child's pid, for the test */
};

/* The resolver: its child holds a connection, then it resolves. */
static int resolver_with_child(void *arg)
{
	struct lineage *l = arg;
	pid_t pid, held;
	int st;

	pid = fork();
	if (pid == 0)
		_exit(holder(&l->child));
	if (wait_byte_pid(l->child.ready[0], &held) ||
	    write(l->told[1], &held, sizeof(held)) != sizeof(held))
		return 210;
	if (resolve("shared.ml", DNS_A, VIA_UDP))
		return 211;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return 212;
	return WEXITSTATUS(st);
}

static int t_process_scope(struct tctx *t)
{
	struct hold clean;
	struct lineage l;
	char want[64];
	pid_t clean_pid, clean_held, resolver, child;

	if (hold_init(&clean, 1, 0) || hold_init(&l.child, 1, 1) ||
	    pipe(l.told))
		return -1;
	clean.clean_name = "shared.example";
	clean_pid = hold_start(t, NULL, &clean, &clean_held);
	if (!ASSERT_TRUE(clean_pid > 0, "clean delivery holds a connection"))
		return -1;
	resolver = run_async(t, NULL, resolver_with_child, &l);
	if (!ASSERT_EQ(wait_byte_pid(l.told[0], &child), 0,
		       "the resolver's child holds a connection"))
		return -1;
	ASSERT_EQ(destroyed_until_tainted(t), 1,
		  "connections destroyed: the resolver's child's only");
	snprintf(want, sizeof(want), "\"process\":{\"pid\":%d,", child);
	ASSERT_HAS(first, want);
	snprintf(want, sizeof(want), "\"resolver\":{\"pid\":%d,", resolver);
	ASSERT_HAS(first, want);
	ASSERT_HAS(first, "\"scope\":\"process\"");
	hold_look(&clean);
	ASSERT_EQ(run_wait(clean_pid), 0, "clean connection still works");
	ASSERT_EQ(run_wait(resolver), 0, "lineage's connection destroyed");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "stats --json"), 0, "stats");
	ASSERT_HAS(out, "\"connections_matched\":2,");
	ASSERT_HAS(out, "\"connections_out_of_scope\":1,");
	ASSERT_HAS(out, "\"connections_destroyed\":1,");
	ASSERT_HAS(out, "\"connections_destroy_failed\":0,");
	return 0;
}

/* --- unit scope --------------------------------------------------------- */

/*
 * cgroup b holds the resolver and, in a sibling (not its lineage), a
 * connection; cgroup a holds a clean delivery's.
 */
static int t_unit_scope(struct tctx *t)
{
	char a[600], b[600], want[64];
	struct hold other, same;
	pid_t other_pid, same_pid, held;
	__u64 b_id;

	if (sub_cgroup(t, "a", a, sizeof(a)) || sub_cgroup(t, "b", b, sizeof(b)) ||
	    cgroup_id_of(b, &b_id) || hold_init(&other, 1, 0) ||
	    hold_init(&same, 1, 1))
		return -1;
	other_pid = hold_start(t, a, &other, &held);
	same_pid = hold_start(t, b, &same, &held);
	if (!ASSERT_TRUE(other_pid > 0 && same_pid > 0, "connections held"))
		return -1;
	ASSERT_EQ(run_in(t, b, resolve_lookalike, NULL), 0, "resolve in b");
	ASSERT_EQ(destroyed_until_tainted(t), 1,
		  "connections destroyed: cgroup b's only");
	snprintf(want, sizeof(want), "\"cgroup_id\":%llu,",
		 (unsigned long long)b_id);
	ASSERT_HAS(first, want);
	ASSERT_HAS(first, "\"scope\":\"unit\"");
	hold_look(&other);
	ASSERT_EQ(run_wait(other_pid), 0, "other cgroup's connection works");
	ASSERT_EQ(run_wait(same_pid), 0, "same cgroup's connection destroyed");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "stats --json"), 0, "stats");
	ASSERT_HAS(out, "\"connections_out_of_scope\":1,");
	ASSERT_HAS(out, "\"connections_destroyed\":1,");
	return 0;
}

/*
 * A clean delivery under way in the resolver's own cgroup: its process
 * resolved the shared address cleanly, so a connect from it would pass,
 * and its connection stays open (unit scope, then host scope); a
 * connection beside it held by a process with no record of its own goes.
 */
static int spares_clean(struct tctx *t, const char *scope)
{
	char b[600], want[64];
	struct hold clean, plain;
	pid_t clean_pid, plain_pid, clean_held, plain_held;

	if (sub_cgroup(t, "b", b, sizeof(b)) || hold_init(&clean, 1, 0) ||
	    hold_init(&plain, 1, 1))
		return -1;
	clean.clean_name = "shared.example";
	clean_pid = hold_start(t, b, &clean, &clean_held);
	plain_pid = hold_start(t, b, &plain, &plain_held);
	if (!ASSERT_TRUE(clean_pid > 0 && plain_pid > 0, "connections held"))
		return -1;
	ASSERT_EQ(run_in(t, b, resolve_lookalike, NULL), 0, "resolve in b");
	ASSERT_EQ(destroyed_until_tainted(t), 1,
		  "connections destroyed: the one with no clean record");
	snprintf(want, sizeof(want), "\"scope\":\"%s\"", scope);
	ASSERT_HAS(first, want);
	hold_look(&clean);
	ASSERT_EQ(run_wait(clean_pid), 0, "the clean delivery's connection works");
	ASSERT_EQ(run_wait(plain_pid), 0, "the other one was destroyed");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "stats --json"), 0, "stats");
	ASSERT_HAS(out, "\"connections_matched\":2,");
	ASSERT_HAS(out, "\"connections_clean_holder\":1,");
	ASSERT_HAS(out, "\"connections_destroyed\":1,");
	return 0;
}

static int t_unit_scope_spares_clean(struct tctx *t)
{
	return spares_clean(t, "unit");
}

static int t_host_scope_spares_clean(struct tctx *t)
{
	return spares_clean(t, "host");
}

/*
 * Kernels before INET_DIAG_CGROUP_ID: the cgroup's members' descriptors
 * decide.  Every kernel this runs on sends the id, so drop it from the
 * listing and select as such a kernel would make us.
 */
static int t_unit_scope_without_cgroup_id(struct tctx *t)
{
	static const __u16 port25 = 25;
	struct conncache_pick picks[8];
	struct sockdiag_list l = { 0 };
	struct hold other, same;
	char a[600], b[600];
	pid_t other_pid, same_pid, held, other_held;
	struct conncache_taint ct = {
		.ports = &port25, .nports = 1, .scope = MXG_SCOPE_UNIT,
		.level = MXG_SCOPE_UNIT,
	};
	__u8 addr[16] = { [10] = 0xff, [11] = 0xff };
	struct sockdiag *sd;
	size_t i, in;
	int incomplete;

	inet_pton(AF_INET, SHARED_IP, addr + 12);
	ct.addr = addr;
	if (sub_cgroup(t, "a", a, sizeof(a)) || sub_cgroup(t, "b", b, sizeof(b)) ||
	    cgroup_id_of(b, &ct.resolver_cgroup) || hold_init(&other, 1, 0) ||
	    hold_init(&same, 1, 0))
		return -1;
	other_pid = hold_start(t, a, &other, &other_held);
	same_pid = hold_start(t, b, &same, &held);
	sd = sockdiag_open();
	if (!ASSERT_TRUE(other_pid > 0 && same_pid > 0 && sd, "set up"))
		return -1;
	ASSERT_EQ(sockdiag_list(sd, addr, &port25, 1, &l), 0, "dump");
	sockdiag_close(sd);
	if (!ASSERT_EQ(l.n, 2, "connections listed"))
		return -1;
	for (i = 0; i < l.n; i++) {
		ASSERT_TRUE(l.c[i].has_cgroup, "the kernel names the cgroup");
		l.c[i].has_cgroup = 0;
	}
	in = conncache_select(&ct, &l, picks, &incomplete);
	ASSERT_EQ(in, 1, "selected by cgroup b's members");
	ASSERT_EQ(incomplete, 0, "scan complete");
	for (i = 0; i < l.n; i++)
		if (picks[i].in_scope)
			ASSERT_EQ(picks[i].holder, held, "held by b's process");
	sockdiag_list_free(&l);
	hold_look(&other);
	hold_look(&same);
	ASSERT_EQ(run_wait(other_pid), 0, "nothing destroyed");
	ASSERT_EQ(run_wait(same_pid), 0, "nothing destroyed");
	return 0;
}

/* --- host scope, more than the first version's 256 ---------------------- */

static int t_host_scope_many(struct tctx *t)
{
	struct hold many;
	pid_t pid, held;
	int n;

	if (hold_init(&many, MANY, 1))
		return -1;
	pid = hold_start(t, NULL, &many, &held);
	if (!ASSERT_TRUE(pid > 0, "300 connections held"))
		return -1;
	ASSERT_EQ(run_in(t, NULL, resolve_lookalike, NULL), 0, "resolve");
	n = destroyed_until_tainted(t);
	ASSERT_EQ(n, MANY, "connection-destroyed alerts");
	ASSERT_HAS(first, "\"scope\":\"host\"");
	ASSERT_EQ(run_wait(pid), 0, "connections not destroyed");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "stats --json"), 0, "stats");
	ASSERT_HAS(out, "\"connections_matched\":300,");
	ASSERT_HAS(out, "\"connections_destroyed\":300,");
	ASSERT_HAS(out, "\"connections_destroy_failed\":0,");
	return 0;
}

/* A dry run never cuts a connection, in any scope. */
static int t_dry_run_keeps(struct tctx *t)
{
	struct hold h;
	pid_t pid, held;

	if (hold_init(&h, 1, 0))
		return -1;
	pid = hold_start(t, NULL, &h, &held);
	if (!ASSERT_TRUE(pid > 0, "connection held"))
		return -1;
	ASSERT_EQ(run_in(t, NULL, resolve_lookalike, NULL), 0, "resolve");
	ASSERT_EQ(destroyed_until_tainted(t), 0, "connections destroyed");
	hold_look(&h);
	ASSERT_EQ(run_wait(pid), 0, "connection still works");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "stats --json"), 0, "stats");
	ASSERT_HAS(out, "\"connections_matched\":0,");
	return 0;
}

const struct tcase conncache_tests[] = {
	{ .name = "destroy_cached_connection", .fn = t_destroy_cached,
	  .policy = ml_block, .zone = zone },
	{ .name = "destroy_process_scope", .fn = t_process_scope,
	  .policy = ml_block, .zone = zone },
	{ .name = "destroy_unit_scope", .fn = t_unit_scope,
	  .policy = ml_block, .zone = zone, .args = { "--scope", "unit" } },
	{ .name = "destroy_unit_scope_spares_clean",
	  .fn = t_unit_scope_spares_clean, .policy = ml_block, .zone = zone,
	  .args = { "--scope", "unit" } },
	{ .name = "destroy_host_scope_spares_clean",
	  .fn = t_host_scope_spares_clean, .policy = ml_block, .zone = zone,
	  .args = { "--scope", "host" } },
	{ .name = "destroy_unit_scope_without_cgroup_id",
	  .fn = t_unit_scope_without_cgroup_id, .policy = ml_block,
	  .zone = zone, .args = { "--scope", "unit" } },
	{ .name = "destroy_host_scope_300", .fn = t_host_scope_many,
	  .policy = ml_block, .zone = zone, .args = { "--scope", "host" } },
	{ .name = "destroy_none_in_dry_run", .fn = t_dry_run_keeps,
	  .policy = ml_block, .zone = zone,
	  .args = { "--scope", "host", "--mode", "alert" } },
	{ 0 },
};
