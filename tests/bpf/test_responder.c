// SPDX-License-Identifier: GPL-2.0-only
/*
 * The SMTP responder behind a port-25 block (bpf/redirect.bpf.h,
 * user/responder.c), with the real kernel and the real daemon: the
 * redirect (IPv4, IPv6), the EPERM fallback where no responder listens or
 * a stranger holds its port, 465 still EPERM, 587 greeted 421 with the
 * reason, the alert and counters,
 * `mxguardctl held` and its release, and the responder under hostile input.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "harness.h"
#include "mxguard/abi.h"

#define WAIT_MS 5000
#define OUT_SZ 65536
#define RPORT "11025"
#define REPLY_MAX 8192

static char out[OUT_SZ];

static const char ml_block[] = "lookalike ml of mil action=block\n";
static const char ml_allowed[] = "lookalike ml of mil action=block\n"
				 "allow army.ml\n";

static const struct zrec zone[] = {
	{ "army.ml", DNS_A, 300, "192.0.2.26" },
	{ "army.ml", DNS_AAAA, 300, "2001:db8::26" },
	{ "partner.org", DNS_A, 300, "192.0.2.26" },
	{ "exmaple.org", DNS_A, 300, "192.0.2.26" },
	{ NULL, 0, 0, NULL },
};

/* What a child saw, in memory shared with the test. */
struct seen {
	char peer[64];			/* where the socket was connected */
	char replies[REPLY_MAX];	/* every reply, in order */
	int err;
};

static struct seen *shared_seen(void)
{
	struct seen *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (s == MAP_FAILED)
		return NULL;
	memset(s, 0, sizeof(*s));
	return s;
}

/* Read until a final reply line ("NNN "), or the peer closes. */
static int read_reply(int fd, struct seen *s, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t len = strlen(s->replies), start = len;
	long long end = now_ms() + timeout_ms;
	ssize_t n;
	char *line;

	while (len + 1 < sizeof(s->replies) && now_ms() < end) {
		if (poll(&p, 1, (int)(end - now_ms())) != 1)
			return -ETIMEDOUT;
		n = recv(fd, s->replies + len, sizeof(s->replies) - 1 - len,
			 0);
		if (n <= 0)
			return n ? -errno : -EPIPE;
		len += n;
		s->replies[len] = '\0';
		/* The last complete line of what came: final if "NNN ". */
		for (line = s->replies + start; line; ) {
			char *nl = strstr(line, "\r\n");

			if (!nl)
				break;
			if (nl - line >= 4 && line[3] == ' ' &&
			    !strstr(nl + 2, "\r\n"))
				return 0;
			line = nl + 2;
		}
	}
	return -ETIMEDOUT;
}

static int send_all(int fd, const char *buf, size_t len)
{
	return send(fd, buf, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

static int cmd(int fd, struct seen *s, const char *line)
{
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "%s\r\n", line);

	if (send_all(fd, buf, n))
		return -1;
	return read_reply(fd, s, WAIT_MS);
}

static int connect_to(const char *ip, uint16_t port, struct seen *s)
{
	struct sockaddr_storage ss = { 0 }, peer;
	struct sockaddr_in *a4 = (void *)&ss;
	struct sockaddr_in6 *a6 = (void *)&ss;
	socklen_t len, pl = sizeof(peer);
	char addr[INET6_ADDRSTRLEN];
	int fd, fam = strchr(ip, ':') ? AF_INET6 : AF_INET;

	if (fam == AF_INET) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		inet_pton(AF_INET, ip, &a4->sin_addr);
		len = sizeof(*a4);
	} else {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		inet_pton(AF_INET6, ip, &a6->sin6_addr);
		len = sizeof(*a6);
	}
	fd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (void *)&ss, len)) {
		int err = -errno;

		close(fd);
		return err;
	}
	if (s && !getpeername(fd, (void *)&peer, &pl)) {
		if (peer.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&peer)->sin_addr,
				  addr, sizeof(addr));
		else
			inet_ntop(AF_INET6,
				  &((struct sockaddr_in6 *)&peer)->sin6_addr,
				  addr, sizeof(addr));
		snprintf(s->peer, sizeof(s->peer), "%s:%u", addr,
			 ntohs(((struct sockaddr_in *)&peer)->sin_port));
	}
	return fd;
}

/* One SMTP transaction for @rcpt, as an MTA would, replies in s. */
static int transaction(int fd, struct seen *s, const char *rcpt)
{
	char line[512];

	if (read_reply(fd, s, WAIT_MS) || cmd(fd, s, "EHLO mxguard.test") ||
	    cmd(fd, s, "MAIL FROM:<sender@example.org>"))
		return 1;
	snprintf(line, sizeof(line), "RCPT TO:<%s>", rcpt);
	if (cmd(fd, s, line) || cmd(fd, s, "DATA") || cmd(fd, s, "QUIT"))
		return 1;
	return 0;
}

struct target {
	const char *qname;
	uint16_t qtype;
	int via;
	const char *ip;
	uint16_t port;
	const char *rcpt;
	struct seen *s;
	int other_netns;	/* connect from a fresh network namespace */
	int stranger;		/* ... where a process holds the port */
};

static int up_lo(void)
{
	return system("ip link set lo up");
}

/* A listener as any process could open it: no SO_MARK. */
static int stranger_listen(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(atoi(RPORT)),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (void *)&a, sizeof(a)) || listen(fd, 4))
		return -1;
	return fd;
}

static int resolve_and_talk(void *arg)
{
	struct target *g = arg;
	int fd;

	if (resolve(g->qname, g->qtype, g->via))
		return 201;
	if (g->other_netns && (unshare(CLONE_NEWNET) || up_lo()))
		return 202;
	if (g->stranger && stranger_listen() < 0)
		return 203;
	fd = connect_to(g->ip, g->port, g->s);
	if (fd < 0) {
		g->s->err = -fd;
		return 0;
	}
	if (g->rcpt && transaction(fd, g->s, g->rcpt))
		return 204;
	close(fd);
	return 0;
}

/* Every reply to a RCPT or DATA in @r is 4xx or 5xx. */
static int rcpt_data_never_2xx(const char *r)
{
	const char *p;

	for (p = r; (p = strstr(p, "\r\n")); p += 2)
		if (p[2] == '2' && (strncmp(p + 2, "250 2.1.0", 9) &&
				    strncmp(p + 2, "250-", 4) &&
				    strncmp(p + 2, "250 ENHANCED", 12) &&
				    strncmp(p + 2, "250 mxguard", 11) &&
				    strncmp(p + 2, "250 2.0.0", 9) &&
				    strncmp(p + 2, "221 ", 4) &&
				    strncmp(p + 2, "220 ", 4)))
			return 0;
	return 1;
}

/* @lines (JSON, one a line) against user/dist/alert.schema.json. */
static int schema_valid(struct tctx *t, const char *lines)
{
	char path[300];
	int rc;

	snprintf(path, sizeof(path), "%s.alerts.json", t->policy_path);
	if (write_text(path, lines))
		return 0;
	rc = run_cmd(out, OUT_SZ, "tests/bpf/validate_alerts.py "
		     "user/dist/alert.schema.json %s", path);
	unlink(path);
	if (rc)
		fprintf(stderr, "%s", out);
	return rc == 0;
}

static int t_redirect4(struct tctx *t)
{
	static char lines[2 * 16384 + 4];
	struct seen *s = shared_seen();
	struct target g = { "army.ml", DNS_A, VIA_UDP, "192.0.2.26", 25,
			    "officer@army.ml", s, 0, 0 };
	const char *ev;

	if (!ASSERT_EQ(run_in(t, NULL, resolve_and_talk, &g), 0, "child"))
		return -1;
	ASSERT_EQ(s->err, 0, "connect succeeded (redirected)");
	ASSERT_HAS(s->peer, "127.0.0.1:" RPORT);
	ASSERT_HAS(s->replies, "220 mxguard");
	ASSERT_HAS(s->replies, "450 4.7.1 <officer@army.ml>: army.ml "
		   "imitates mil (");
	ASSERT_HAS(s->replies, "; held on this host by mxguard; did you mean "
		   "officer@army.mil?");
	ASSERT_HAS(s->replies, "451 4.7.1 no recipient accepted");
	ASSERT_TRUE(rcpt_data_never_2xx(s->replies), "no 2xx to RCPT/DATA");
	ev = next_event(t, "held", WAIT_MS);
	ASSERT_HAS(ev, "\"ip\":\"192.0.2.26\"");
	if (ev)
		snprintf(lines, sizeof(lines), "%s\n", ev);
	ev = next_event(t, "recipient-held", WAIT_MS);
	if (ev)
		snprintf(lines + strlen(lines), sizeof(lines) - strlen(lines),
			 "%s\n", ev);
	ASSERT_TRUE(schema_valid(t, lines), "both alerts valid (schema)");
	ASSERT_HAS(ev, "\"address\":\"officer@army.ml\"");
	ASSERT_HAS(ev, "\"suggestion\":\"officer@army.mil\"");
	ASSERT_HAS(ev, "\"ip\":\"192.0.2.26\"");
	ASSERT_HAS(ev, "\"email\":{\"to\":{\"address\":[\"officer@army.ml\"]}}");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "stats --json"), 0, "stats");
	ASSERT_HAS(out, "\"responder_redirects\":1");
	ASSERT_HAS(out, "\"responder_sessions\":1");
	ASSERT_HAS(out, "\"responder_refusals\":1");
	ASSERT_HAS(out, "\"responder_unknown_origin\":0");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "held"), 0, "held");
	ASSERT_HAS(out, "army.ml: 1 refused");
	ASSERT_HAS(out, "at 192.0.2.26:25");
	ASSERT_HAS(out, "did you mean: officer@army.mil");
	ASSERT_HAS(out, "state: held; to release, add `allow army.ml`");
	return 0;
}

/*
 * A clean recipient first on a redirected connection (Exim batches the
 * recipients that share a host): its 451 names the lookalike the
 * redirect was for, which no RCPT of the session has named yet.
 */
static int t_451_names_lookalike(struct tctx *t)
{
	struct seen *s = shared_seen();
	struct target g = { "army.ml", DNS_A, VIA_UDP, "192.0.2.26", 25,
			    "clerk@partner.org", s, 0, 0 };

	if (!ASSERT_EQ(run_in(t, NULL, resolve_and_talk, &g), 0, "child"))
		return -1;
	ASSERT_HAS(s->peer, "127.0.0.1:" RPORT);
	ASSERT_HAS(s->replies, "451 4.7.1 <clerk@partner.org>: not accepted on "
		   "this connection: mxguard holds it for army.ml, a lookalike "
		   "domain on the same server; try again");
	ASSERT_TRUE(rcpt_data_never_2xx(s->replies), "no 2xx to RCPT/DATA");
	return 0;
}

/*
 * A kernel similarity match (no rule names exmaple.org): the responder's
 * 450 names the protect line, and its alerts the protected name.
 */
static int t_redirect_similar(struct tctx *t)
{
	struct seen *s = shared_seen();
	struct target g = { "exmaple.org", DNS_A, VIA_UDP, "192.0.2.26", 25,
			    "partner@exmaple.org", s, 0, 0 };
	const char *ev;

	if (!ASSERT_EQ(run_in(t, NULL, resolve_and_talk, &g), 0, "child"))
		return -1;
	ASSERT_EQ(s->err, 0, "connect succeeded (redirected)");
	ASSERT_HAS(s->peer, "127.0.0.1:" RPORT);
	ASSERT_HAS(s->replies, "450 4.7.1 <partner@exmaple.org>: exmaple.org "
		   "imitates example.org (");
	ASSERT_HAS(s->replies, ":1); held on this host by mxguard; did you "
		   "mean partner@example.org?");
	ASSERT_TRUE(rcpt_data_never_2xx(s->replies), "no 2xx to RCPT/DATA");
	ev = next_event(t, "held", WAIT_MS);
	ASSERT_HAS(ev, "\"fuzzer\":\"similarity\"");
	ev = next_event(t, "recipient-held", WAIT_MS);
	ASSERT_HAS(ev, "\"protected\":\"example.org\"");
	ASSERT_HAS(ev, "\"suggestion\":\"partner@example.org\"");
	ASSERT_HAS(ev, "\"fuzzer\":\"similarity\"");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "held"), 0, "held");
	ASSERT_HAS(out, "exmaple.org: 1 refused");
	return 0;
}

static int t_redirect6(struct tctx *t)
{
	struct seen *s = shared_seen();
	struct target g = { "army.ml", DNS_AAAA, VIA_UDP, "2001:db8::26", 25,
			    "officer@army.ml", s, 0, 0 };

	if (!ASSERT_EQ(run_in(t, NULL, resolve_and_talk, &g), 0, "child"))
		return -1;
	ASSERT_EQ(s->err, 0, "connect succeeded (redirected)");
	ASSERT_HAS(s->peer, "::1:" RPORT);
	ASSERT_HAS(s->replies, "450 4.7.1 <officer@army.ml>: army.ml "
		   "imitates mil (");
	ASSERT_HAS(next_event(t, "recipient-held", WAIT_MS),
		   "\"ip\":\"2001:db8::26\"");
	return 0;
}

/* A v4 destination on an AF_INET6 socket: ::ffff:192.0.2.26. */
static int t_redirect_mapped(struct tctx *t)
{
	struct seen *s = shared_seen();
	struct target g = { "army.ml", DNS_A, VIA_UDP, "::ffff:192.0.2.26",
			    25, "officer@army.ml", s, 0, 0 };

	if (!ASSERT_EQ(run_in(t, NULL, resolve_and_talk, &g), 0, "child"))
		return -1;
	ASSERT_EQ(s->err, 0, "connect succeeded (redirected)");
	ASSERT_HAS(s->peer, "::ffff:127.0.0.1:" RPORT);
	ASSERT_HAS(s->replies, "450 4.7.1 <officer@army.ml>");
	return 0;
}

/* 465 keeps EPERM: TLS comes first there, so SMTP would tell nobody. */
static int t_465_eperm(struct tctx *t)
{
	struct seen *s = shared_seen();
	struct target g = { "army.ml", DNS_A, VIA_UDP, "192.0.2.26", 465,
			    NULL, s, 0, 0 };

	if (!ASSERT_EQ(run_in(t, NULL, resolve_and_talk, &g), 0, "child"))
		return -1;
	ASSERT_EQ(s->err, EPERM, "465 refused");
	ASSERT_HAS(next_event(t, "blocked", WAIT_MS), "\"port\":465");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "stats --json"), 0, "stats");
	ASSERT_HAS(out, "\"responder_redirects\":0");
	ASSERT_HAS(out, "\"blocks\":1");
	return 0;
}

/* Connect, read the greeting, then wait for the responder to close. */
static int resolve_and_greet(void *arg)
{
	struct target *g = arg;
	struct pollfd p;
	char buf[64];
	int fd;

	if (resolve(g->qname, g->qtype, g->via))
		return 201;
	fd = connect_to(g->ip, g->port, g->s);
	if (fd < 0) {
		g->s->err = -fd;
		return 0;
	}
	if (read_reply(fd, g->s, WAIT_MS))
		return 204;
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (poll(&p, 1, WAIT_MS) != 1 || recv(fd, buf, sizeof(buf), 0) != 0)
		return 205;	/* more bytes, or not closed */
	close(fd);
	return 0;
}

/*
 * 587 (a relay: STARTTLS and AUTH before any RCPT) is redirected too, and
 * greeted with a 421 that says why, then closed: the MTA queues the mail
 * with that text instead of "Operation not permitted".
 */
static int t_587_told(struct tctx *t)
{
	struct seen *s = shared_seen();
	struct target g = { "army.ml", DNS_A, VIA_UDP, "192.0.2.26", 587,
			    NULL, s, 0, 0 };
	const char *ev;

	if (!ASSERT_EQ(run_in(t, NULL, resolve_and_greet, &g), 0,
		       "child: a greeting, then closed"))
		return -1;
	ASSERT_EQ(s->err, 0, "connect succeeded (redirected)");
	ASSERT_HAS(s->peer, "127.0.0.1:" RPORT);
	ASSERT_HAS(s->replies, "421 4.7.1 mxguard: army.ml imitates mil (");
	ASSERT_HAS(s->replies, "); mail to this server is held on this host; "
		   "did you mean army.mil?\r\n");
	ASSERT_TRUE(!strstr(s->replies, "220"), "no 220 greeting");
	ev = next_event(t, "held", WAIT_MS);
	ASSERT_HAS(ev, "\"ip\":\"192.0.2.26\",\"port\":587");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "stats --json"), 0, "stats");
	ASSERT_HAS(out, "\"responder_redirects\":1");
	ASSERT_HAS(out, "\"responder_relay_refusals\":1");
	ASSERT_HAS(out, "\"responder_refusals\":0");
	ASSERT_HAS(out, "\"responder_unknown_origin\":0");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "held"), 0, "held");
	ASSERT_HAS(out, "army.ml: 1 refused");
	ASSERT_HAS(out, "at 192.0.2.26:587");
	ASSERT_HAS(out, "state: held; to release, add `allow army.ml`");
	return 0;
}

/* The MTA's netns has no responder: EPERM, as before it existed. */
static int t_absent_eperm(struct tctx *t)
{
	struct seen *s = shared_seen();
	struct target g = { "army.ml", DNS_A, VIA_UDP, "192.0.2.26", 25,
			    NULL, s, .other_netns = 1 };

	if (!ASSERT_EQ(run_in(t, NULL, resolve_and_talk, &g), 0, "child"))
		return -1;
	ASSERT_EQ(s->err, EPERM, "no responder there: EPERM");
	ASSERT_HAS(next_event(t, "blocked", WAIT_MS), "192.0.2.26");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "stats --json"), 0, "stats");
	ASSERT_HAS(out, "\"responder_absent\":1");
	ASSERT_HAS(out, "\"responder_redirects\":0");
	return 0;
}

/* A process of anyone's on the responder's port is not the responder. */
static int t_stranger_eperm(struct tctx *t)
{
	struct seen *s = shared_seen();
	struct target g = { "army.ml", DNS_A, VIA_UDP, "192.0.2.26", 25,
			    NULL, s, .other_netns = 1, .stranger = 1 };

	if (!ASSERT_EQ(run_in(t, NULL, resolve_and_talk, &g), 0, "child"))
		return -1;
	ASSERT_EQ(s->err, EPERM, "unmarked listener: EPERM");
	ASSERT_HAS(next_event(t, "blocked", WAIT_MS), "192.0.2.26");
	return 0;
}

/* No responder configured at all: the daemon as it was. */
static int t_disabled_eperm(struct tctx *t)
{
	struct seen *s = shared_seen();
	struct target g = { "army.ml", DNS_A, VIA_UDP, "192.0.2.26", 25,
			    NULL, s, 0, 0 };

	if (!ASSERT_EQ(run_in(t, NULL, resolve_and_talk, &g), 0, "child"))
		return -1;
	ASSERT_EQ(s->err, EPERM, "responder_port 0: EPERM");
	return 0;
}

/*
 * Release: an allow rule and a reload, and the next connect goes out to
 * the real address (the runner's MX on loopback: not EPERM, not the
 * responder), and `held` says the domain is released.
 */
static int t_release(struct tctx *t)
{
	struct seen *s = shared_seen();
	struct target g = { "army.ml", DNS_A, VIA_UDP, "192.0.2.26", 25,
			    "officer@army.ml", s, 0, 0 };

	if (!ASSERT_EQ(run_in(t, NULL, resolve_and_talk, &g), 0, "child"))
		return -1;
	ASSERT_HAS(s->replies, "450 4.7.1 <officer@army.ml>");
	ASSERT_EQ(write_text(t->policy_path, ml_allowed), 0, "policy");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "reload"), 0, "reload");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "held"), 0, "held");
	ASSERT_HAS(out, "army.ml: 1 refused");
	ASSERT_HAS(out, "state: released by the policy now loaded");
	memset(s, 0, sizeof(*s));
	g.rcpt = NULL;
	if (!ASSERT_EQ(run_in(t, NULL, resolve_and_talk, &g), 0, "child"))
		return -1;
	ASSERT_EQ(s->err, 0, "released: connected");
	ASSERT_HAS(s->peer, "192.0.2.26:25");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "list"), 0, "list");
	ASSERT_EQ(strstr(out, "192.0.2.26") != NULL, 0, "no taint left");
	return 0;
}

/* ---- the responder under hostile input, on the real daemon ---- */

static int open_direct(struct seen *s)
{
	int fd = connect_to("127.0.0.1", atoi(RPORT), NULL);

	if (fd >= 0 && read_reply(fd, s, WAIT_MS)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* User and system CPU time of @pid so far, ms. */
static long long cpu_ms(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
			 "%*u %llu %llu", &ut, &st) != 2)
		return -1;
	return (long long)(ut + st) * 1000 / sysconf(_SC_CLK_TCK);
}

/*
 * Out of descriptors, a connection waiting: the daemon must not spin on
 * the readable listener, and greets the connection once it can.
 */
static int t_emfile_no_spin(struct tctx *t)
{
	struct seen *s = shared_seen();
	struct rlimit was;
	long long c0, c1;
	int fd;

	if (!ASSERT_TRUE(s != NULL, "set up") ||
	    !ASSERT_EQ(starve_fds(t->daemon, &was), 0, "out of descriptors"))
		return -1;
	fd = connect_to("127.0.0.1", atoi(RPORT), NULL);
	c0 = cpu_ms(t->daemon);
	usleep(600 * 1000);
	c1 = cpu_ms(t->daemon);
	prlimit(t->daemon, RLIMIT_NOFILE, &was, NULL);
	ASSERT_TRUE(fd >= 0, "connected (to the backlog)");
	ASSERT_TRUE(c0 >= 0 && c1 - c0 < 200,
		    "the daemon did not spin while out of descriptors");
	fprintf(stderr, "# daemon CPU over 600 ms out of descriptors: %lld ms\n",
		c1 - c0);
	if (fd >= 0) {
		ASSERT_EQ(read_reply(fd, s, 4000), 0, "greeted after");
		ASSERT_HAS(s->replies, "220 mxguard");
		close(fd);
	}
	return 0;
}

/* Send @n RCPTs for lookalikes in one write; 0 once all are answered. */
static int rcpt_burst(int fd, int n)
{
	static char buf[64 * 1024];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	long long end = now_ms() + 2 * WAIT_MS;
	int i, len = 0, replies = 0;
	ssize_t got;

	len += snprintf(buf, sizeof(buf), "MAIL FROM:<a@b>\r\n");
	for (i = 0; i < n; i++)
		len += snprintf(buf + len, sizeof(buf) - len,
				"RCPT TO:<u%d@army.ml>\r\n", i);
	if (send_all(fd, buf, len))
		return -1;
	/* Lines, not texts: a reply may straddle two reads.  MAIL's is 250. */
	while (replies < n + 1 && now_ms() < end) {
		if (poll(&p, 1, (int)(end - now_ms())) != 1)
			return -1;
		got = recv(fd, buf, sizeof(buf), 0);
		if (got <= 0)
			return -1;
		for (i = 0; i < got; i++)
			replies += buf[i] == '\n';
	}
	return replies == n + 1 ? 0 : -1;
}

/*
 * 1000 refusals from five pipelined sessions (1003 with the three before):
 * every RCPT answered, every
 * one counted, the alerts over the budget (200 a second) counted and not
 * written, and the daemon still answering.
 */
static int t_rcpt_flood(struct tctx *t)
{
	struct seen *s = shared_seen();
	int i, fd, ok = 0;

	/*
	 * The harness reads the daemon's alerts only when asked: room for
	 * the 200 a second the budget lets out, or the daemon would wait on
	 * the pipe (as on any sink that stops reading).
	 */
	if (!ASSERT_TRUE(fcntl(t->daemon_out, F_SETPIPE_SZ, 1 << 20) > 0,
			 "pipe size"))
		return -1;
	for (i = 0; i < 5; i++) {
		memset(s, 0, sizeof(*s));
		fd = open_direct(s);
		if (fd < 0)
			continue;
		ok += !rcpt_burst(fd, 200);
		close(fd);
	}
	ASSERT_EQ(ok, 5, "every RCPT of the bursts answered 450");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "stats --json"), 0, "stats");
	ASSERT_HAS(out, "\"responder_refusals\":1003");
	ASSERT_TRUE(!strstr(out, "\"responder_alerts_suppressed\":0,"),
		    "alerts over the budget counted");
	return 0;
}

static int t_hostile(struct tctx *t)
{
	static const char pipelined[] =
		"EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<officer@army.ml>\r\n"
		"RCPT TO:<clerk@partner.org>\r\nRCPT TO:<x@navy.ml> NOTIFY=NEVER"
		"\r\nDATA\r\nSubject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n";
	static const char binary[] = "RCPT TO:<\x01\xff\x00zz@army.ml>\r\n";
	struct seen *s = shared_seen();
	char *big;
	int fd, i, fds[80], busy = 0, greeted = 0;
	const char *p;

	/* Pipelining: every reply, in order, none 2xx to RCPT/DATA. */
	fd = open_direct(s);
	if (!ASSERT_EQ(fd >= 0, 1, "open"))
		return -1;
	ASSERT_EQ(send_all(fd, pipelined, sizeof(pipelined) - 1), 0, "send");
	for (i = 0; i < 30 && !strstr(s->replies, "221 "); i++)
		if (read_reply(fd, s, WAIT_MS))
			break;
	close(fd);
	p = strstr(s->replies, "450 4.7.1 <officer@army.ml>");
	ASSERT_EQ(p != NULL, 1, "lookalike refused");
	/* Direct, no redirect record: the session's first lookalike. */
	ASSERT_HAS(s->replies, "451 4.7.1 <clerk@partner.org>: not accepted on "
		   "this connection: mxguard holds it for army.ml, a lookalike "
		   "domain on the same server; try again");
	ASSERT_HAS(s->replies, "450 4.7.1 <x@navy.ml>: navy.ml imitates mil");
	ASSERT_HAS(s->replies, "451 4.7.1 no recipient accepted");
	ASSERT_HAS(s->replies, "221 2.0.0");
	ASSERT_EQ(strstr(s->replies, "354") == NULL, 1, "no 354 to DATA");
	ASSERT_EQ(rcpt_data_never_2xx(s->replies), 1, "never 2xx");

	/* A 64 KiB line, then binary bytes: 500, then 451, session alive. */
	memset(s, 0, sizeof(*s));
	fd = open_direct(s);
	big = malloc(65536 + 3);
	if (!ASSERT_EQ(fd >= 0 && big, 1, "open"))
		return -1;
	memset(big, 'A', 65536);
	memcpy(big + 65536, "\r\n", 3);
	ASSERT_EQ(send_all(fd, big, 65538), 0, "long line");
	free(big);
	ASSERT_EQ(read_reply(fd, s, WAIT_MS), 0, "reply to it");
	ASSERT_HAS(s->replies, "500 5.5.2 line too long");
	ASSERT_EQ(cmd(fd, s, "MAIL FROM:<a@b>"), 0, "MAIL after");
	ASSERT_EQ(send_all(fd, binary, sizeof(binary) - 1), 0, "binary");
	ASSERT_EQ(read_reply(fd, s, WAIT_MS), 0, "reply to binary");
	ASSERT_HAS(s->replies, "4.7.1 <");
	ASSERT_EQ(strchr(s->replies, '\xff') == NULL, 1, "bytes not echoed");
	ASSERT_EQ(rcpt_data_never_2xx(s->replies), 1, "never 2xx");
	close(fd);			/* no QUIT */

	/* More sessions than the cap: the rest get 421 at once. */
	for (i = 0; i < 80; i++) {
		memset(s, 0, sizeof(*s));
		fds[i] = connect_to("127.0.0.1", atoi(RPORT), NULL);
		if (fds[i] < 0 || read_reply(fds[i], s, WAIT_MS))
			continue;
		greeted += !!strstr(s->replies, "220 ");
		busy += !!strstr(s->replies, "421 4.3.2");
	}
	/* Sessions closed just before may not be reaped yet: at most 64. */
	ASSERT_TRUE(greeted <= 64 && greeted >= 60, "sessions up to the cap");
	ASSERT_EQ(greeted + busy, 80, "the rest turned away");
	/* With 64 idle sessions open, verdicts still flow at once. */
	{
		struct seen *s2 = shared_seen();
		struct target g = { "army.ml", DNS_A, VIA_UDP, "192.0.2.26",
				    465, NULL, s2, 0, 0 };

		ASSERT_EQ(run_in(t, NULL, resolve_and_talk, &g), 0, "child");
		ASSERT_EQ(s2->err, EPERM, "blocked meanwhile");
		ASSERT_HAS(next_event(t, "blocked", WAIT_MS), "192.0.2.26");
	}
	/* No QUIT: the idle deadline (1 s here) closes them with a 421. */
	memset(s, 0, sizeof(*s));
	ASSERT_EQ(read_reply(fds[0], s, 4000), 0, "timeout reply");
	ASSERT_HAS(s->replies, "421 4.7.1 mxguard: timeout");
	for (i = 0; i < 80; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	ASSERT_EQ(ctl(t, out, OUT_SZ, "stats --json"), 0, "stats");
	ASSERT_TRUE(strstr(out, "\"responder_busy\":0,") == NULL, "busy counted");
	/* And it serves again. */
	memset(s, 0, sizeof(*s));
	fd = open_direct(s);
	ASSERT_EQ(fd >= 0, 1, "serves after");
	if (fd >= 0)
		close(fd);
	return t_rcpt_flood(t);
}

#define RESP_ARGS "--responder-port", RPORT

const struct tcase responder_tests[] = {
	{ .name = "responder_redirect4", .fn = t_redirect4,
	  .policy = ml_block, .zone = zone, .args = { RESP_ARGS } },
	{ .name = "responder_451_names_lookalike",
	  .fn = t_451_names_lookalike, .policy = ml_block, .zone = zone,
	  .args = { RESP_ARGS } },
	{ .name = "responder_redirect_similar", .fn = t_redirect_similar,
	  .policy = "protect example.org fuzz=tld-swap action=block\n",
	  .zone = zone, .args = { RESP_ARGS } },
	{ .name = "responder_redirect6", .fn = t_redirect6,
	  .policy = ml_block, .zone = zone, .args = { RESP_ARGS } },
	{ .name = "responder_redirect_v4mapped", .fn = t_redirect_mapped,
	  .policy = ml_block, .zone = zone, .args = { RESP_ARGS } },
	{ .name = "responder_465_eperm", .fn = t_465_eperm,
	  .policy = ml_block, .zone = zone, .args = { RESP_ARGS } },
	{ .name = "responder_587_told", .fn = t_587_told,
	  .policy = ml_block, .zone = zone, .args = { RESP_ARGS } },
	{ .name = "responder_absent_eperm", .fn = t_absent_eperm,
	  .policy = ml_block, .zone = zone, .args = { RESP_ARGS } },
	{ .name = "responder_stranger_eperm", .fn = t_stranger_eperm,
	  .policy = ml_block, .zone = zone, .args = { RESP_ARGS } },
	{ .name = "responder_disabled_eperm", .fn = t_disabled_eperm,
	  .policy = ml_block, .zone = zone },
	{ .name = "responder_release", .fn = t_release, .policy = ml_block,
	  .zone = zone, .args = { RESP_ARGS } },
	{ .name = "responder_emfile_no_spin", .fn = t_emfile_no_spin,
	  .policy = ml_block, .zone = zone, .args = { RESP_ARGS } },
	{ .name = "responder_hostile", .fn = t_hostile, .policy = ml_block,
	  .zone = zone, .args = { RESP_ARGS, "--responder-timeout", "1" } },
	{ 0 },
};
