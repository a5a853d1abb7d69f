// SPDX-License-Identifier: GPL-2.0-only
/*
 * The second look on the real kernel, with a real mxguardd: a finding
 * takes the action of the name it imitates; learnt findings are listed,
 * kept across restarts, forgotten on request and capped; and a flood of MX
 * queries never costs a verdict.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <grp.h>

#include "harness.h"
#include "mxguard/abi.h"

#define WAIT_MS 5000
#define OUT_SZ (256 * 1024)

static char out[OUT_SZ];

static const struct zrec zone[] = {
	{ "gmai1.com", DNS_MX, 300, "mx.gmai1.com" },
	{ "gmai1.com", DNS_A, 300, "192.0.2.50" },
	{ "mx.gmai1.com", DNS_A, 300, "192.0.2.50" },
	{ "yps.com", DNS_A, 300, "192.0.2.60" },
	{ "shl.com", DNS_A, 300, "192.0.2.61" },
	{ "hot.mail.com", DNS_A, 300, "192.0.2.62" },
	{ "mail.com", DNS_A, 300, "192.0.2.63" },
	{ "army.ml", DNS_A, 300, "192.0.2.26" },
	/* The first and the last name of the cap test. */
	{ "wxamplecarp.com", DNS_A, 300, "192.0.2.70" },
	{ "exampldcbrp.com", DNS_A, 300, "192.0.2.71" },
	{ NULL, 0, 0, NULL },
};

static int mx_lookup(void *arg)
{
	return resolve(arg, DNS_MX, VIA_UDP) ? 201 : 0;
}

struct lookup_connect {
	const char *name, *ip;
};

static int a_then_connect(void *arg)
{
	const struct lookup_connect *lc = arg;

	if (resolve(lc->name, DNS_A, VIA_UDP))
		return 201;
	return try_connect(lc->ip, 25);
}

static int connect_only(void *arg)
{
	return try_connect(arg, 25);
}

/* An MX lookup of @name, and its lookalike-suspected alert. */
static const char *suspect(struct tctx *t, const char *name)
{
	char want[128];
	const char *ev;

	if (!ASSERT_EQ(run_in(t, NULL, mx_lookup, (void *)name), 0,
		       "MX lookup"))
		return NULL;
	ev = next_event(t, "lookalike-suspected", WAIT_MS);
	snprintf(want, sizeof(want), "\"lookalike\":\"%s\"", name);
	return ASSERT_HAS(ev, want) ? ev : NULL;
}

/* --- the action of the protected name ------------------------------------ */

static const char freemail[] =
	"lookalike ml of mil action=block\n"
	"lookalike gmial.com of gmail.com action=block\n";

static int t_second_look(struct tctx *t)
{
	struct lookup_connect lc = { "gmai1.com", "192.0.2.50" };
	const char *ev = suspect(t, "gmai1.com");

	ASSERT_HAS(ev, "\"protected\":\"gmail.com\"");
	/* "1" and "l" are UTS #39 confusables: the skeletons are equal. */
	ASSERT_HAS(ev, "\"method\":\"skeleton\"");
	ASSERT_HAS(ev, "\"distance\":1");
	ASSERT_HAS(ev, "\"added_to_policy\":true");
	/* The lookups that follow are judged by the kernel. */
	ASSERT_EQ(run_in(t, NULL, a_then_connect, &lc), EPERM,
		  "connect after the finding");
	ev = next_event(t, "blocked", WAIT_MS);
	ASSERT_HAS(ev, "\"ip\":\"192.0.2.50\"");
	ASSERT_HAS(ev, "\"fuzzer\":\"skeleton\"");
	/* A finding survives a reload of the files. */
	ASSERT_EQ(ctl(t, out, OUT_SZ, "reload"), 0, "reload");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "check gmai1.com"), 1, "still flagged");
	ASSERT_HAS(out, "how: skeleton");
	/* An allow rule in the files takes the name back at the next load. */
	if (write_text(t->policy_path, "lookalike gmial.com of gmail.com "
				       "action=block\nallow gmai1.com\n"))
		return -1;
	ASSERT_EQ(ctl(t, out, OUT_SZ, "reload"), 0, "reload with allow");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "learned"), 0, "learned");
	ASSERT_HAS(out, "learned: 0 of at most 1024");
	return 0;
}

/*
 * The case: protect ups.com (alert, the default) and dhl.com
 * (block).  yps.com imitates ups.com, so its finding alerts and its mail
 * flows; shl.com imitates dhl.com, so its mail is refused.  Their first
 * letters are keyboard neighbours, which only the second look judges (the
 * kernel's similarity match takes usps.com and dhs.com on the question).
 */
static int t_takes_action(struct tctx *t)
{
	struct lookup_connect yps = { "yps.com", "192.0.2.60" };
	struct lookup_connect shl = { "shl.com", "192.0.2.61" };
	const char *ev;

	ev = suspect(t, "yps.com");
	ASSERT_HAS(ev, "\"protected\":\"ups.com\"");
	ASSERT_HAS(ev, "\"action\":\"alert\"");
	ASSERT_HAS(ev, "\"added_to_policy\":true");
	ASSERT_EQ(run_in(t, NULL, a_then_connect, &yps), 0,
		  "connect to an alert-action finding is not refused");
	ev = next_event(t, "alerted", WAIT_MS);
	ASSERT_HAS(ev, "\"ip\":\"192.0.2.60\"");
	ASSERT_HAS(ev, "\"protected\":\"ups.com\"");

	ev = suspect(t, "shl.com");
	ASSERT_HAS(ev, "\"protected\":\"dhl.com\"");
	ASSERT_HAS(ev, "\"action\":\"block\"");
	ASSERT_EQ(run_in(t, NULL, a_then_connect, &shl), EPERM,
		  "connect to a block-action finding is refused");
	ev = next_event(t, "blocked", WAIT_MS);
	ASSERT_HAS(ev, "\"ip\":\"192.0.2.61\"");

	ASSERT_EQ(ctl(t, out, OUT_SZ, "learned"), 0, "learned");
	ASSERT_HAS(out, "learned: 2 of at most 1024");
	ASSERT_HAS(out, "yps.com");
	ASSERT_HAS(out, "ups.com");
	ASSERT_HAS(out, "shl.com");
	return 0;
}

/*
 * A dot typed inside the label: hot.mail.com imitates hotmail.com.  What
 * is learnt and refused is hot.mail.com, never mail.com, a provider of its
 * own whose mail still flows.
 */
static int t_dot_typed(struct tctx *t)
{
	struct lookup_connect typo = { "hot.mail.com", "192.0.2.62" };
	struct lookup_connect real = { "mail.com", "192.0.2.63" };
	const char *ev;

	ev = suspect(t, "hot.mail.com");
	ASSERT_HAS(ev, "\"protected\":\"hotmail.com\"");
	ASSERT_HAS(ev, "\"action\":\"block\"");
	ASSERT_EQ(run_in(t, NULL, a_then_connect, &typo), EPERM,
		  "connect to the dot-typed finding is refused");
	ev = next_event(t, "blocked", WAIT_MS);
	ASSERT_HAS(ev, "\"ip\":\"192.0.2.62\"");
	ASSERT_EQ(run_in(t, NULL, a_then_connect, &real), 0,
		  "connect to mail.com is not refused");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "learned"), 0, "learned");
	ASSERT_HAS(out, "learned: 1 of at most 1024");
	ASSERT_HAS(out, "\nhot.mail.com ");
	return 0;
}

/* --- kept, listed, forgotten ---------------------------------------------- */

/* @line over the control socket as @uid:@gid; the reply's first bytes. */
static int request_as(struct tctx *t, uid_t uid, gid_t gid, const char *line,
		      char *reply, size_t sz)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int p[2], st;
	ssize_t n;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		char buf[256] = "";
		int fd;

		close(p[0]);
		if (setgroups(0, NULL) || setgid(gid) || setuid(uid))
			_exit(3);
		strcpy(sa.sun_path, t->control);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
		    write(fd, line, strlen(line)) < 0 || write(fd, "\n", 1) < 0)
			_exit(4);
		n = read(fd, buf, sizeof(buf) - 1);
		if (n > 0 && write(p[1], buf, n) < 0)
			_exit(5);
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], reply, sz - 1);
	reply[n > 0 ? n : 0] = '\0';
	close(p[0]);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int t_restart_forget(struct tctx *t)
{
	struct lookup_connect shl = { "shl.com", "192.0.2.61" };
	char file[4096], reply[256];

	if (!suspect(t, "shl.com"))
		return -1;
	ASSERT_EQ(daemon_stop(t, SIGTERM), 0, "stop");
	ASSERT_EQ(read_text(t->learned, file, sizeof(file)), 0, "state file");
	ASSERT_HAS(file, "\nshl.com dhl.com edit-distance 1 block ");
	if (!ASSERT_EQ(daemon_start(t, t->tc->args), 0, "restart"))
		return -1;
	ASSERT_EQ(ctl(t, out, OUT_SZ, "learned"), 0, "learned after restart");
	ASSERT_HAS(out, "learned: 1 of at most 1024");
	ASSERT_HAS(out, "shl.com");
	ASSERT_HAS(out, "edit-distance");
	ASSERT_HAS(out, " block ");
	/* Enforced from the first policy the restarted daemon loaded. */
	ASSERT_EQ(run_in(t, NULL, a_then_connect, &shl), EPERM,
		  "refused after the restart");
	ASSERT_HAS(next_event(t, "blocked", WAIT_MS), "\"ip\":\"192.0.2.61\"");
	ASSERT_EQ(run_in(t, NULL, connect_only, "192.0.2.61"), EPERM,
		  "its unit is tainted");

	/* Reading is for control_group; forgetting is root's. */
	ASSERT_EQ(request_as(t, 65534, 65534, "learned", reply,
			     sizeof(reply)), 0, "nogroup asks");
	ASSERT_HAS(reply, "ok\n");
	ASSERT_EQ(request_as(t, 65534, 65534, "forget shl.com", reply,
			     sizeof(reply)), 0, "nogroup asks to forget");
	ASSERT_HAS(reply, "permission denied");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "forget mx.shl.com"), 2,
		  "only a learned name");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "forget shl.com"), 0, "forget");
	ASSERT_HAS(out, "forgot shl.com");
	/* The records it made go at once: no new lookup needed. */
	ASSERT_EQ(run_in(t, NULL, connect_only, "192.0.2.61"), 0,
		  "connect after forget");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "learned"), 0, "learned after forget");
	ASSERT_HAS(out, "learned: 0 of at most 1024");
	ASSERT_EQ(read_text(t->learned, file, sizeof(file)), 0, "state file");
	ASSERT_TRUE(!strstr(file, "shl.com"), "forgotten in the state file");
	return 0;
}

/*
 * A state file as another daemon left it: a live finding, an expired one
 * and a broken line.  Only the live one comes back.  A file that others
 * may write is not believed at all.
 */
static int t_state_file(struct tctx *t)
{
	struct lookup_connect shl = { "shl.com", "192.0.2.61" };
	long long now = time(NULL);
	char state[1024];

	ASSERT_EQ(daemon_stop(t, SIGTERM), 0, "stop");
	snprintf(state, sizeof(state),
		 "# mxguard learned findings v1\n"
		 "shl.com dhl.com edit-distance 1 block %lld %lld\n"
		 "yps.com ups.com edit-distance 1 block %lld %lld\n"
		 "not a finding\n",
		 now - 60, now + 3600, now - 7200, now - 3600);
	if (write_text(t->learned, state) || chmod(t->learned, 0600))
		return -1;
	if (!ASSERT_EQ(daemon_start(t, t->tc->args), 0, "start"))
		return -1;
	ASSERT_EQ(ctl(t, out, OUT_SZ, "learned"), 0, "learned");
	ASSERT_HAS(out, "learned: 1 of at most 1024");
	ASSERT_HAS(out, "shl.com");
	ASSERT_TRUE(!strstr(out, "yps.com"), "the expired one is gone");
	ASSERT_EQ(run_in(t, NULL, a_then_connect, &shl), EPERM,
		  "the live one is enforced");

	ASSERT_EQ(daemon_stop(t, SIGTERM), 0, "stop again");
	ASSERT_EQ(chmod(t->learned, 0622), 0, "let others write it");
	if (!ASSERT_EQ(daemon_start(t, t->tc->args), 0, "start again"))
		return -1;
	ASSERT_EQ(ctl(t, out, OUT_SZ, "learned"), 0, "learned");
	ASSERT_HAS(out, "learned: 0 of at most 1024");
	return 0;
}

/* --- the cap -------------------------------------------------------------- */

#define CAP_NAMES	(1024 + 32)
#define CAP_BATCH	64

/*
 * Name @i of the cap test: two edits from examplecorp, each a finding of
 * the second look, which takes two edits of a long label when one is a
 * slip: a slip of "example" (one of 32), then "c", any character of the
 * set for the "o", and "rp".  No "o" in the set, so none of them is the
 * protected name itself or one edit from it, and no letter dropped (the
 * kernel's similarity match takes those, and an omission with a
 * substitution, in a label of 8 or more).
 */
static void cap_name(int i, char *out, size_t sz)
{
	static const char set[] = "abcdefghijklmnpqstuvwxyz0123456789";
	static const char *const slip[] = {
		/*
		 * Neighbours swapped, a letter doubled; not a letter dropped:
		 * with the 'o' replaced, that is an omission and a
		 * substitution of a label of 8 or more, the kernel's own
		 * (bpf/similar.bpf.h), which the second look never sees.
		 */
		"wxample", "rxample", "exzmple", "examole", "examlle",
		"examplw", "eaxmple", "exmaple", "exapmle", "examlpe", "exampel",
		"exxample", "exaample", "exammple", "exampple", "examplle",
		"examplee",
		/* a keyboard neighbour */
		"ezample", "ecample", "esample", "edample", "exsmple",
		"exqmple", "exwmple", "exanple", "exajple", "exakple",
		"exampke", "exampoe", "exampls", "examplr", "exampld",
	};

	snprintf(out, sz, "%sc%crp.com", slip[(i / 34) % 32], set[i % 34]);
}

struct batch {
	int from, to;
};

static int mx_batch(void *arg)
{
	const struct batch *b = arg;
	char name[64];
	int i;

	for (i = b->from; i < b->to; i++) {
		cap_name(i, name, sizeof(name));
		if (resolve(name, DNS_MX, VIA_UDP) < 0)
			return 201;
	}
	return 0;
}

static int t_cap(struct tctx *t)
{
	struct lookup_connect first = { "wxamplecarp.com", "192.0.2.70" };
	struct lookup_connect last = { "exampldcbrp.com", "192.0.2.71" };
	struct batch b;
	char name[64];
	int i, seen = 0;

	cap_name(CAP_NAMES - 1, name, sizeof(name));
	if (!ASSERT_HAS(name, last.name))
		return -1;
	/* In batches, so the daemon's queue never has to drop a name. */
	for (b.from = 0; b.from < CAP_NAMES; b.from = b.to) {
		b.to = b.from + CAP_BATCH < CAP_NAMES ? b.from + CAP_BATCH :
							CAP_NAMES;
		if (!ASSERT_EQ(run_in(t, NULL, mx_batch, &b), 0, "MX batch"))
			return -1;
		for (i = b.from; i < b.to; i++)
			seen += next_event(t, "lookalike-suspected", WAIT_MS) !=
				NULL;
	}
	ASSERT_EQ(seen, CAP_NAMES, "findings reported");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "learned"), 0, "learned");
	ASSERT_HAS(out, "learned: 1024 of at most 1024");
	ASSERT_TRUE(!strstr(out, first.name), "the oldest went first");
	ASSERT_HAS(out, last.name);
	ASSERT_EQ(ctl(t, out, OUT_SZ, "stats"), 0, "stats");
	ASSERT_HAS(out, "\"learned_evicted\":32");
	ASSERT_HAS(out, "\"suspects_added\":1056");
	/* The kernel's policy holds the newest findings, not the oldest. */
	ASSERT_EQ(run_in(t, NULL, a_then_connect, &first), 0,
		  "the evicted finding no longer refuses mail");
	ASSERT_EQ(run_in(t, NULL, a_then_connect, &last), EPERM,
		  "the newest finding does");
	return 0;
}

/* --- a flood of MX queries ------------------------------------------------ */

#define FLOOD_QUERIES	20000
#define FLOOD_PER_MS	5	/* 20,000 in four seconds */
#define FLOOD_MS	8000
#define FLOOD_VERDICTS	5	/* lookalike connects during the flood */

struct flood {
	int progress;		/* write end: a byte at each verdict's turn */
};

/*
 * One UDP socket, queries sent without waiting for their answers, at a
 * steady pace: the verdicts then meet the flood, not its aftermath.
 */
static int flood(void *arg)
{
	const struct flood *f = arg;
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(53) };
	long long start = now_ms(), end = start + FLOOD_MS;
	struct dnsmsg q;
	char name[64];
	int fd, i, sent = 0;

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return 201;
	for (i = 0; i < FLOOD_QUERIES && now_ms() < end; i++) {
		snprintf(name, sizeof(name), "mx%05d.flood-%d.example", i,
			 getpid());
		dm_init(&q, i & 0xffff, 0, 0);
		dm_question(&q, name, DNS_MX);
		if (send(fd, q.buf, q.len, 0) == (ssize_t)q.len)
			sent++;
		while (now_ms() - start < i / FLOOD_PER_MS)
			usleep(500);
		if (i && i % (FLOOD_QUERIES / (FLOOD_VERDICTS + 1)) == 0 &&
		    write(f->progress, "x", 1) != 1)
			return 202;
	}
	close(fd);
	return sent == FLOOD_QUERIES ? 0 : 203;
}

/* Over TCP: the responder's UDP socket is what the flood fills. */
static int resolve_connect_army(void *arg)
{
	(void)arg;
	if (resolve("army.ml", DNS_A, VIA_TCP))
		return 201;
	return try_connect("192.0.2.26", 25);
}

/* 100 protected names: what made each second look cost half a millisecond. */
static int protect_many(struct tctx *t)
{
	static char policy[16384];
	size_t n = 0;
	int i;

	n += snprintf(policy, sizeof(policy), "lookalike ml of mil "
		      "action=block\n");
	for (i = 0; i < 100; i++)
		n += snprintf(policy + n, sizeof(policy) - n,
			      "protect brand%02dmail.com fuzz=omission\n", i);
	if (write_text(t->policy_path, policy))
		return -1;
	return ASSERT_EQ(ctl(t, out, OUT_SZ, "reload"), 0, "reload") ? 0 : -1;
}

/* Verdicts all through the flood: each refused, each reported. */
static void verdicts_during(struct tctx *t, int progress)
{
	struct pollfd p = { .fd = progress, .events = POLLIN };
	char byte;
	int i;

	for (i = 0; i < FLOOD_VERDICTS; i++) {
		if (!ASSERT_EQ(poll(&p, 1, WAIT_MS), 1, "flood under way") ||
		    !ASSERT_EQ(read(progress, &byte, 1), 1, "flood under way"))
			return;
		ASSERT_EQ(run_in(t, NULL, resolve_connect_army, NULL), EPERM,
			  "lookalike connect refused during the flood");
		ASSERT_HAS(next_event(t, "blocked", 2 * WAIT_MS),
			   "\"ip\":\"192.0.2.26\"");
	}
}

static int t_flood(struct tctx *t)
{
	struct flood f;
	int pipefd[2];
	pid_t flooder;

	if (protect_many(t) || pipe(pipefd))
		return -1;
	f.progress = pipefd[1];
	flooder = run_async(t, NULL, flood, &f);
	close(pipefd[1]);
	verdicts_during(t, pipefd[0]);
	close(pipefd[0]);
	ASSERT_EQ(run_wait(flooder), 0, "all the flood's queries sent");
	ASSERT_EQ(counter(t, MXG_CNT_RB_DROPS), 0,
		  "verdict ring buffer drops");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "stats"), 0, "stats after the flood");
	if (ASSERT_HAS(out, "\"second_look_received\":"))
		fprintf(stderr, "  mx_query_drops %lld; %.120s\n",
			counter(t, MXG_CNT_QUERY_DROPS),
			strstr(out, "\"second_look"));
	return 0;
}

/*
 * One fuzzer only: with all of them every single edit of a short label
 * past its first letter is a generated rule, which the kernel matches
 * before the second look would see it ("usps.com" for ups.com).  The
 * kernel's similarity match (bpf/similar.bpf.h) takes those edits too,
 * whatever the fuzzers, so the names here change the first letter to a
 * keyboard neighbour, which only the second look judges.
 */
#define POLICY_UPS_DHL	"protect ups.com fuzz=omission\n" \
			"protect dhl.com fuzz=omission action=block\n"

const struct tcase secondlook_tests[] = {
	{ .name = "second_look_learns", .fn = t_second_look,
	  .policy = freemail, .zone = zone },
	{ .name = "second_look_takes_action", .fn = t_takes_action,
	  .policy = POLICY_UPS_DHL, .zone = zone },
	{ .name = "second_look_dot_typed", .fn = t_dot_typed,
	  .policy = "protect hotmail.com fuzz=omission action=block\n",
	  .zone = zone },
	{ .name = "second_look_restart_forget", .fn = t_restart_forget,
	  .policy = "protect dhl.com fuzz=omission action=block\n",
	  .zone = zone,
	  .args = { "--config", "tests/bpf/nogroup.conf", "--scope", "unit" } },
	{ .name = "second_look_state_file", .fn = t_state_file,
	  .policy = POLICY_UPS_DHL, .zone = zone },
	{ .name = "second_look_cap", .fn = t_cap,
	  .policy = "protect examplecorp.com fuzz=omission action=block\n",
	  .zone = zone },
	{ .name = "second_look_flood_keeps_verdicts", .fn = t_flood,
	  .policy = "lookalike ml of mil action=block\n", .zone = zone },
	{ 0 },
};
