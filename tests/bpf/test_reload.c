// SPDX-License-Identifier: GPL-2.0-only
/*
 * What a reload or a restart does to taints that are already live: purged
 * by rule when the readable names are gone, re-stamped with the new
 * generation's rule id and action, and still naming the right rule after
 * the 8-bit generation has wrapped.  Every verdict here comes from one
 * process that resolved before the reload and never looks up again, so
 * only the daemon's work on the pinned records can change it.  (The other
 * reload tests, with fresh lookups, are in test_service.c.)
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "control.h"
#include "harness.h"
#include "loader.h"
#include "mxguard/abi.h"
#include "mxguard/hash.h"

#define WAIT_MS 5000
#define OUT_SZ 65536

static char out[OUT_SZ];

static const struct zrec zone[] = {
	{ "army.ml", DNS_A, 300, "192.0.2.26" },
	{ "gov.ml", DNS_A, 300, "192.0.2.27" },
	{ "x1.example", DNS_A, 300, "192.0.2.28" },
	{ "x69999.example", DNS_A, 300, "192.0.2.29" },
	{ "x70000.example", DNS_A, 300, "192.0.2.30" },
	{ "nav1.ml", DNS_A, 300, "192.0.2.31" },
	{ "nav2.ml", DNS_A, 300, "192.0.2.32" },
	{ NULL, 0, 0, NULL },
};

/* --- a mail process that outlives the reloads ---------------------------- */

struct held {
	const char *name, *ip;
	pid_t pid;
	int ask[2], answer[2];		/* port in, errno out */
};

/* Resolve once, then connect to @ip on each port the test sends; 0 ends. */
static int held_main(void *arg)
{
	struct held *h = arg;
	uint16_t port;
	int rc;

	close(h->ask[1]);
	close(h->answer[0]);
	rc = resolve(h->name, DNS_A, VIA_UDP) ? 201 : 0;
	if (write(h->answer[1], &rc, sizeof(rc)) != sizeof(rc))
		return 202;
	while (read(h->ask[0], &port, sizeof(port)) == sizeof(port) && port) {
		rc = try_connect(h->ip, port);
		if (write(h->answer[1], &rc, sizeof(rc)) != sizeof(rc))
			return 203;
	}
	return 0;
}

static int held_reply(struct held *h)
{
	struct pollfd p = { .fd = h->answer[0], .events = POLLIN };
	int rc;

	if (poll(&p, 1, WAIT_MS) != 1 ||
	    read(h->answer[0], &rc, sizeof(rc)) != sizeof(rc))
		return -1;
	return rc;
}

/* 0 once the process has resolved @name. */
static int held_start(struct tctx *t, struct held *h, const char *name,
		      const char *ip)
{
	h->name = name;
	h->ip = ip;
	if (pipe(h->ask) || pipe(h->answer))
		return -1;
	h->pid = run_async(t, NULL, held_main, h);
	close(h->ask[0]);
	close(h->answer[1]);
	return h->pid < 0 ? -1 : held_reply(h);
}

/* connect() from the held process: 0 or its errno; -1 if it is gone. */
static int held_connect(struct held *h, uint16_t port)
{
	if (write(h->ask[1], &port, sizeof(port)) != sizeof(port))
		return -1;
	return held_reply(h);
}

/* Ask it to leave: other held processes hold copies of its pipe. */
static int held_stop(struct held *h)
{
	uint16_t quit = 0;
	int rc;

	if (write(h->ask[1], &quit, sizeof(quit)) != sizeof(quit))
		kill(h->pid, SIGKILL);
	close(h->ask[1]);
	rc = run_wait(h->pid);
	close(h->answer[0]);
	return rc;
}

/* --- the pinned state ---------------------------------------------------- */

/* Forget every readable name, as LRU eviction does under a flood. */
static int names_clear(struct tctx *t)
{
	int fd = pinned(t, "names"), n = 0;
	__u64 key;

	if (fd < 0)
		return -1;
	while (n < 100000 && !bpf_map_get_next_key(fd, NULL, &key) &&
	       !bpf_map_delete_elem(fd, &key))
		n++;
	if (!bpf_map_get_next_key(fd, NULL, &key))
		n = -1;			/* something stayed */
	close(fd);
	return n;
}

/* The held process's own record for its address, from taint_proc. */
static int proc_taint(struct tctx *t, const struct held *h,
		      struct mxg_taint *rec)
{
	struct mxg_proc_key k = { .tgid = h->pid };
	int fd = pinned(t, "taint_proc"), rc;

	k.addr[10] = k.addr[11] = 0xff;
	if (fd < 0 || inet_pton(AF_INET, h->ip, k.addr + 12) != 1)
		return -1;
	rc = bpf_map_lookup_elem(fd, &k, rec);
	close(fd);
	return rc;
}

/* The generation of the policy in force, as `status` reports it. */
static long generation(struct tctx *t)
{
	const char *g;
	unsigned int gen;

	if (ctl(t, out, OUT_SZ, "status"))
		return -1;
	g = strstr(out, "generation ");
	return g && sscanf(g, "generation %u", &gen) == 1 ? (long)gen : -1;
}

static int reload_with(struct tctx *t, const char *policy)
{
	if (write_text(t->policy_path, policy))
		return -1;
	return ctl(t, out, OUT_SZ, "reload");
}

/* --- the tests ----------------------------------------------------------- */

static const char ml_block[] = "lookalike ml of mil action=block\n";
static const char ml_alert[] = "lookalike ml of mil action=alert\n";

/*
 * The origin name is gone from the `names` LRU: the record is found by its
 * rule instead, and removing the rule releases the held process at once.
 */
static int t_purge_without_names(struct tctx *t)
{
	struct held h;
	struct mxg_taint rec;

	if (!ASSERT_EQ(held_start(t, &h, "army.ml", "192.0.2.26"), 0,
		       "resolved"))
		return -1;
	ASSERT_EQ(held_connect(&h, 25), EPERM, "blocked before");
	ASSERT_TRUE(names_clear(t) > 0, "names forgotten");
	ASSERT_EQ(reload_with(t, "# ml removed: mail may flow\n"), 0,
		  "reload");
	/* Process, unit and host records of the one address. */
	ASSERT_HAS(out, "purged 3 records of removed rules");
	ASSERT_EQ(held_connect(&h, 25), 0, "released, same process");
	ASSERT_TRUE(proc_taint(t, &h, &rec) != 0, "record deleted");
	ASSERT_EQ(held_stop(&h), 0, "held process");
	return 0;
}

/*
 * A name still known is judged whole by the new policy: a new allow rule
 * more specific than the lookalike rule wins.
 */
static int t_purge_by_origin(struct tctx *t)
{
	struct held gov, army;

	if (!ASSERT_EQ(held_start(t, &gov, "gov.ml", "192.0.2.27"), 0,
		       "gov.ml resolved") ||
	    !ASSERT_EQ(held_start(t, &army, "army.ml", "192.0.2.26"), 0,
		       "army.ml resolved"))
		return -1;
	ASSERT_EQ(held_connect(&gov, 25), EPERM, "gov.ml blocked before");
	ASSERT_EQ(reload_with(t, "lookalike ml of mil action=block\n"
				 "allow gov.ml\n"), 0, "reload");
	ASSERT_HAS(out, "purged 3 records of removed rules");
	ASSERT_EQ(held_connect(&gov, 25), 0, "gov.ml allowed now");
	ASSERT_EQ(held_connect(&army, 25), EPERM, "army.ml still blocked");
	ASSERT_EQ(held_stop(&gov), 0, "gov.ml process");
	ASSERT_EQ(held_stop(&army), 0, "army.ml process");
	return 0;
}

/* A rule's new action reaches the live record, with the new rule id. */
static int t_restamp_action(struct tctx *t)
{
	struct mxg_taint rec = { 0 };
	long gen0, gen1;
	struct held h;

	if (!ASSERT_EQ(held_start(t, &h, "army.ml", "192.0.2.26"), 0,
		       "resolved"))
		return -1;
	ASSERT_EQ(held_connect(&h, 25), 0, "alerted, not blocked");
	gen0 = generation(t);
	ASSERT_EQ(proc_taint(t, &h, &rec), 0, "record");
	ASSERT_EQ(MXG_RULE_GEN(rec.rule_id), gen0, "stamped by generation");
	ASSERT_EQ(rec.action, MXG_ACTION_ALERT, "action before");

	ASSERT_EQ(reload_with(t, "# action changed\n"
				 "lookalike ml of mil action=block\n"), 0,
		  "reload to block");
	ASSERT_HAS(out, "re-stamped 3 records");
	gen1 = generation(t);
	ASSERT_TRUE(gen1 >= 0 && gen1 != gen0, "a new generation");
	ASSERT_EQ(proc_taint(t, &h, &rec), 0, "record after");
	ASSERT_EQ(MXG_RULE_GEN(rec.rule_id), gen1, "new generation's id");
	ASSERT_EQ(MXG_RULE_INDEX(rec.rule_id), 0, "rule index");
	ASSERT_EQ(rec.action, MXG_ACTION_BLOCK, "action after");
	ASSERT_EQ(held_connect(&h, 25), EPERM, "blocked, no new lookup");
	ASSERT_HAS(next_event(t, "blocked", WAIT_MS), "\"line\":2");

	ASSERT_EQ(reload_with(t, ml_alert), 0, "reload back to alert");
	ASSERT_EQ(held_connect(&h, 587), 0, "alerted again");
	ASSERT_EQ(proc_taint(t, &h, &rec), 0, "record at the end");
	ASSERT_EQ(rec.action, MXG_ACTION_ALERT, "action at the end");
	ASSERT_EQ(held_stop(&h), 0, "held process");
	return 0;
}

/* Two policies with the rule on different lines (and indexes). */
static const char ml_line2[] = "# one comment\n"
			       "lookalike ml of mil action=block\n";
static const char ml_line3[] = "lookalike xx.example of example.com\n"
			       "# another\n"
			       "lookalike ml of mil action=block\n";

/*
 * A reload by mxguardctl's own client code, in this process: a fork and
 * two execs for each of hundreds of reloads take a minute under TCG.
 */
static int reload_quick(struct tctx *t, const char *policy)
{
	struct ctl_reply r = { 0 };
	int err;

	if (write_text(t->policy_path, policy))
		return -1;
	err = ctl_request(t->control, "reload", &r);
	snprintf(out, OUT_SZ, "%.*s", (int)r.len, r.buf ? r.buf : "");
	free(r.buf);
	return err || strncmp(out, "ok\n", 3) ? -1 : 0;
}

/* @n reloads, the last one with @last; the others alternate. */
static int reloads(struct tctx *t, int n, const char *last)
{
	int i;

	for (i = 1; i <= n; i++)
		if (reload_quick(t, i == n ? last :
				    i % 2 ? ml_line2 : ml_line3)) {
			fprintf(stderr, "  reload %d: %s", i, out);
			return -1;
		}
	return 0;
}

/*
 * 256 reloads bring the 8-bit generation back to the one the taint was
 * made in: a stale id would then name rule 0 of the policy in force
 * (xx.example, line 1).  After 300, it would name no rule at all.
 */
static int t_generation_wrap(struct tctx *t)
{
	struct mxg_taint rec;
	const char *ev;
	struct held h;

	if (!ASSERT_EQ(held_start(t, &h, "army.ml", "192.0.2.26"), 0,
		       "resolved"))
		return -1;
	if (!ASSERT_EQ(reloads(t, 256, ml_line3), 0, "256 reloads"))
		goto out;
	ASSERT_EQ(held_connect(&h, 25), EPERM, "blocked after 256");
	ev = next_event(t, "blocked", WAIT_MS);
	ASSERT_HAS(ev, "\"suffix\":\"ml\"");
	ASSERT_HAS(ev, "\"line\":3");
	if (!ASSERT_EQ(reloads(t, 44, ml_line2), 0, "44 more reloads"))
		goto out;
	/* Another port: the repeat window would fold a second alert. */
	ASSERT_EQ(held_connect(&h, 587), EPERM, "blocked after 300");
	ev = next_event(t, "blocked", WAIT_MS);
	ASSERT_HAS(ev, "\"suffix\":\"ml\"");
	ASSERT_HAS(ev, "\"line\":2");
	ASSERT_EQ(proc_taint(t, &h, &rec), 0, "record");
	ASSERT_EQ(MXG_RULE_GEN(rec.rule_id), generation(t),
		  "current generation");
out:
	ASSERT_EQ(held_stop(&h), 0, "held process");
	return 0;
}

/*
 * A restarted daemon loads its policy as a new generation: the first load
 * re-stamps what the previous daemon left, and records it can place
 * neither by name nor by rule are kept, marked as of an unknown rule.
 */
static int t_restart_restamps(struct tctx *t)
{
	struct mxg_taint rec = { 0 };
	struct held h;
	const char *ev;

	if (!ASSERT_EQ(held_start(t, &h, "army.ml", "192.0.2.26"), 0,
		       "resolved"))
		return -1;
	ASSERT_EQ(held_connect(&h, 25), 0, "alerted before");
	ASSERT_EQ(daemon_stop(t, SIGTERM), 0, "stop");
	if (write_text(t->policy_path, ml_block) ||
	    !ASSERT_EQ(daemon_start(t, t->tc->args), 0, "restart"))
		goto out;
	ASSERT_EQ(held_connect(&h, 25), EPERM, "blocked after restart");
	ASSERT_EQ(proc_taint(t, &h, &rec), 0, "record");
	ASSERT_EQ(MXG_RULE_GEN(rec.rule_id), generation(t),
		  "restamped on adopt");
	ASSERT_HAS(next_event(t, "blocked", WAIT_MS), "\"line\":1");

	/* Now with neither the name nor the last daemon's rule table. */
	ASSERT_TRUE(names_clear(t) > 0, "names forgotten");
	ASSERT_EQ(daemon_stop(t, SIGTERM), 0, "stop again");
	if (!ASSERT_EQ(daemon_start(t, t->tc->args), 0, "restart again"))
		goto out;
	ASSERT_EQ(held_connect(&h, 587), EPERM, "kept: still blocked");
	ev = next_event(t, "blocked", WAIT_MS);
	ASSERT_TRUE(ev && !strstr(ev, "\"rule\":"), "alert names no rule");
	ASSERT_EQ(proc_taint(t, &h, &rec), 0, "record kept");
	ASSERT_EQ(MXG_RULE_INDEX(rec.rule_id), MXG_RULE_UNKNOWN,
		  "marked unknown");
	ASSERT_EQ(reload_with(t, ml_block), 0, "reload");
	ASSERT_HAS(out, "kept 3 records of unknown rules");
out:
	ASSERT_EQ(held_stop(&h), 0, "held process");
	return 0;
}

/* --- taint_any: the connect fast path ----------------------------------- */

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Is @ip in taint_any (bound in *until), and is the sentinel there? */
static int any_has(int fd, const char *ip, __u64 *until)
{
	struct mxg_host_key k = { { 0 } };

	k.addr[10] = k.addr[11] = 0xff;
	inet_pton(AF_INET, ip, &k.addr[12]);
	return !bpf_map_lookup_elem(fd, &k, until);
}

static int any_armed(struct tctx *t)
{
	int fd = pinned(t, "fastpath_armed");
	__u32 zero = 0, v = 0;

	if (fd < 0)
		return -1;
	if (bpf_map_lookup_elem(fd, &zero, &v))
		v = 0;
	close(fd);
	return v;
}

/* Pins of a daemon that kept no taint_any: empty and not armed. */
static int any_disarm(struct tctx *t)
{
	int fd = pinned(t, "fastpath_armed");
	__u32 zero = 0, off = 0;
	int err;

	if (fd < 0)
		return -1;
	err = bpf_map_update_elem(fd, &zero, &off, BPF_ANY);
	close(fd);
	return err;
}

/* Empty taint_any whole, as the pins of a daemon that kept none. */
static int any_clear(int fd)
{
	struct mxg_host_key k, next;
	int n = 0;

	while (!bpf_map_get_next_key(fd, NULL, &next)) {
		k = next;
		if (bpf_map_delete_elem(fd, &k))
			return -1;
		n++;
	}
	return n;
}

/*
 * A connect to an address no lookalike answer carried is judged on one
 * lookup (taint_any); so taint_any must never miss a live taint.  Pins
 * without it (an older daemon's, here emptied by hand) must not open a
 * leak: until the daemon has rebuilt it at start, every connect walks.
 */
static int t_fastpath_rebuilt(struct tctx *t)
{
	__u64 until = 0;
	struct held h;
	int fd;

	fd = pinned(t, "taint_any");
	if (!ASSERT_TRUE(fd >= 0, "taint_any pinned"))
		return -1;
	ASSERT_EQ(any_armed(t), 1, "armed at start");
	if (!ASSERT_EQ(held_start(t, &h, "army.ml", "192.0.2.26"), 0,
		       "resolved"))
		goto out_fd;
	ASSERT_EQ(held_connect(&h, 25), EPERM, "blocked");
	ASSERT_TRUE(any_has(fd, "192.0.2.26", &until), "address noted");
	ASSERT_TRUE(until > now_ns() + 86000ULL * 1000000000ULL,
		    "bound past ttl_max");
	/* A clean, never-resolved destination: the fast path lets it go. */
	ASSERT_TRUE(held_connect(&h, 26) != EPERM, "port 26: not monitored");
	ASSERT_TRUE(!any_has(fd, "192.0.2.27", &until), "gov.ml not noted");

	ASSERT_TRUE(any_clear(fd) >= 1, "taint_any emptied");
	ASSERT_EQ(any_disarm(t), 0, "disarmed");
	ASSERT_EQ(held_connect(&h, 587), EPERM,
		  "not armed: the full walk still blocks");
	ASSERT_EQ(daemon_stop(t, SIGTERM), 0, "stop");
	if (!ASSERT_EQ(daemon_start(t, t->tc->args), 0, "restart"))
		goto out;
	ASSERT_TRUE(any_has(fd, "192.0.2.26", &until), "rebuilt at start");
	ASSERT_TRUE(until > now_ns() + 86000ULL * 1000000000ULL,
		    "rebuilt bound past ttl_max");
	ASSERT_EQ(any_armed(t), 1, "armed after the rebuild");
	ASSERT_EQ(held_connect(&h, 465), EPERM, "blocked after restart");
out:
	ASSERT_EQ(held_stop(&h), 0, "held process");
out_fd:
	close(fd);
	return 0;
}

/* taint_any's filter byte of @ip (abi.h: mxg_any_slot), or -1. */
static int any_byte(struct tctx *t, const char *ip)
{
	struct mxg_any_filter *f = calloc(1, sizeof(*f));
	__u8 a[16] __attribute__((aligned(4))) = { 0 };
	__u32 zero = 0;
	int fd = pinned(t, "any_filter"), v = -1;

	a[10] = a[11] = 0xff;
	inet_pton(AF_INET, ip, &a[12]);
	if (f && fd >= 0 && !bpf_map_lookup_elem(fd, &zero, f))
		v = f->may[mxg_any_slot(a)];
	if (fd >= 0)
		close(fd);
	free(f);
	return v;
}

/* Zero the whole filter, as the pins of programs that kept none. */
static int any_filter_zero(struct tctx *t)
{
	struct mxg_any_filter *f = calloc(1, sizeof(*f));
	int fd = pinned(t, "any_filter"), err = -1;
	__u32 zero = 0;

	if (f && fd >= 0)
		err = bpf_map_update_elem(fd, &zero, f, BPF_ANY);
	if (fd >= 0)
		close(fd);
	free(f);
	return err;
}

/*
 * taint_any's filter (bpf/connect.bpf.h): while armed, a connect whose
 * address's byte is 0 skips taint_any and is let through.  Entries older
 * programs wrote have no byte (here: the filter zeroed and disarmed by
 * hand, taint_any kept): the daemon must set theirs before it arms, and
 * the programs must set a new taint's byte before its entry.
 */
static int t_any_filter(struct tctx *t)
{
	struct held h, g;
	__u64 until = 0;
	int fd = pinned(t, "taint_any"), err = -1;

	if (!ASSERT_TRUE(fd >= 0, "taint_any pinned"))
		return -1;
	if (!ASSERT_EQ(held_start(t, &h, "army.ml", "192.0.2.26"), 0,
		       "resolved"))
		goto out_fd;
	ASSERT_EQ(held_connect(&h, 25), EPERM, "blocked");
	ASSERT_EQ(any_byte(t, "192.0.2.26"), 1, "byte set by the programs");

	ASSERT_EQ(any_filter_zero(t), 0, "filter zeroed");
	ASSERT_EQ(any_byte(t, "192.0.2.26"), 0, "byte now 0");
	ASSERT_EQ(any_disarm(t), 0, "disarmed");
	ASSERT_EQ(held_connect(&h, 587), EPERM,
		  "not armed: the filter is not trusted");
	ASSERT_EQ(daemon_stop(t, SIGTERM), 0, "stop");
	if (!ASSERT_EQ(daemon_start(t, t->tc->args), 0, "restart"))
		goto out;
	ASSERT_EQ(any_armed(t), 1, "armed after the restart");
	ASSERT_TRUE(any_has(fd, "192.0.2.26", &until), "taint_any kept");
	ASSERT_EQ(any_byte(t, "192.0.2.26"), 1, "byte set by the daemon");
	ASSERT_EQ(held_connect(&h, 465), EPERM, "still blocked after restart");

	/* A new taint while armed: its byte comes before its entry. */
	ASSERT_EQ(any_byte(t, "192.0.2.27"), 0, "gov.ml's byte unset");
	if (!ASSERT_EQ(held_start(t, &g, "gov.ml", "192.0.2.27"), 0,
		       "gov.ml resolved"))
		goto out;
	ASSERT_EQ(any_byte(t, "192.0.2.27"), 1, "gov.ml's byte set");
	ASSERT_EQ(held_connect(&g, 25), EPERM, "new taint blocked at once");
	ASSERT_EQ(held_stop(&g), 0, "second held process");
	err = 0;
out:
	ASSERT_EQ(held_stop(&h), 0, "held process");
out_fd:
	close(fd);
	return err;
}

/* The connects' port bitmap (bpf/maps.bpf.h: port_bits), one word. */
static int bits_get(struct tctx *t, __u32 w, struct mxg_port_word *pw)
{
	int fd = pinned(t, "port_bits"), err;

	if (fd < 0)
		return -1;
	err = bpf_map_lookup_elem(fd, &w, pw);
	close(fd);
	return err;
}

static int bits_set(struct tctx *t, __u32 w, __u64 bits, __u64 filled)
{
	struct mxg_port_word pw = { .bits = bits, .filled = filled };
	int fd = pinned(t, "port_bits"), err;

	if (fd < 0)
		return -1;
	err = bpf_map_update_elem(fd, &w, &pw, BPF_ANY);
	close(fd);
	return err;
}

static int port_bit(struct tctx *t, __u16 port)
{
	struct mxg_port_word pw;

	if (bits_get(t, port >> 6, &pw) || !pw.filled)
		return -1;
	return (pw.bits >> (port & 63)) & 1;
}

/*
 * Connects ask the port bitmap before the ports map.  A word the daemon
 * has not filled (pins of a daemon that kept no bitmap) sends them to
 * the ports map; a word left wrong by someone else is rewritten at start;
 * a restart with other ports moves the bits with them.
 */
static int t_port_bits(struct tctx *t)
{
	static const char *const other[] = { "--ports", "25,2600", NULL };
	struct held h;

	ASSERT_EQ(port_bit(t, 25), 1, "25 set");
	ASSERT_EQ(port_bit(t, 465), 1, "465 set");
	ASSERT_EQ(port_bit(t, 587), 1, "587 set");
	ASSERT_EQ(port_bit(t, 26), 0, "26 clear");
	ASSERT_EQ(port_bit(t, 2600), 0, "2600 clear");
	if (!ASSERT_EQ(held_start(t, &h, "army.ml", "192.0.2.26"), 0,
		       "resolved"))
		return -1;
	ASSERT_EQ(held_connect(&h, 25), EPERM, "25: blocked");
	ASSERT_TRUE(held_connect(&h, 26) != EPERM, "26: not monitored");

	/* Unfilled, as a map new beside old pins: the ports map decides. */
	ASSERT_EQ(bits_set(t, 0, 0, 0), 0, "word 0 unfilled");
	ASSERT_EQ(held_connect(&h, 25), EPERM, "unfilled: 25 still blocked");
	ASSERT_TRUE(held_connect(&h, 26) != EPERM,
		    "unfilled: 26 still not monitored");

	/* Filled and wrong: trusted (the test sees the bitmap is read)... */
	ASSERT_EQ(bits_set(t, 0, 0, 1), 0, "word 0 says 25 is not monitored");
	ASSERT_TRUE(held_connect(&h, 25) != EPERM, "the bitmap is what asks");
	/* ...until a start writes it again from the ports. */
	ASSERT_EQ(daemon_stop(t, SIGTERM), 0, "stop");
	if (!ASSERT_EQ(daemon_start(t, t->tc->args), 0, "restart"))
		goto out;
	ASSERT_EQ(port_bit(t, 25), 1, "25 set again");
	ASSERT_EQ(held_connect(&h, 25), EPERM, "blocked after restart");

	/* Other ports at a restart: the bitmap follows them. */
	ASSERT_EQ(daemon_stop(t, SIGTERM), 0, "stop again");
	if (!ASSERT_EQ(daemon_start(t, other), 0, "restart, ports 25,2600"))
		goto out;
	ASSERT_EQ(port_bit(t, 2600), 1, "2600 set");
	ASSERT_EQ(port_bit(t, 465), 0, "465 cleared");
	ASSERT_EQ(held_connect(&h, 2600), EPERM, "2600: blocked");
	ASSERT_TRUE(held_connect(&h, 465) != EPERM, "465: no longer monitored");
	ASSERT_EQ(held_connect(&h, 25), EPERM, "25: still blocked");
	ASSERT_EQ(daemon_stop(t, SIGTERM), 0, "stop, ports 25,2600");
	if (!ASSERT_EQ(daemon_start(t, t->tc->args), 0, "restart as before"))
		goto out;
	ASSERT_EQ(held_connect(&h, 465), EPERM, "465: monitored again");
	ASSERT_TRUE(held_connect(&h, 2600) != EPERM, "2600: not any more");
out:
	ASSERT_EQ(held_stop(&h), 0, "held process");
	return 0;
}

/*
 * A policy large enough that two threads put its rules in the kernel's
 * map (policymap.c, fill_rules: the first half and the second): a rule
 * from each half blocks, and a name in neither is let through.
 */
static int t_large_policy(struct tctx *t)
{
	const size_t n = 70000;
	char *text = malloc(n * 64), *s = text;
	struct held lo, hi, none;
	size_t i;
	int rc;

	if (!ASSERT_TRUE(text != NULL, "memory"))
		return -1;
	s += sprintf(s, "%s", ml_block);
	for (i = 0; i < n; i++)
		s += sprintf(s, "lookalike x%zu.example of example.com "
			     "action=block\n", i);
	rc = reload_with(t, text);
	free(text);
	if (!ASSERT_EQ(rc, 0, "reload with 70001 rules"))
		return -1;
	ASSERT_HAS(out, "reloaded 70001 rules");
	if (!ASSERT_EQ(held_start(t, &lo, "x1.example", "192.0.2.28"), 0,
		       "x1.example resolved") ||
	    !ASSERT_EQ(held_start(t, &hi, "x69999.example", "192.0.2.29"), 0,
		       "x69999.example resolved") ||
	    !ASSERT_EQ(held_start(t, &none, "x70000.example", "192.0.2.30"),
		       0, "x70000.example resolved"))
		return -1;
	ASSERT_EQ(held_connect(&lo, 25), EPERM, "line 3 (first half) blocks");
	ASSERT_HAS(next_event(t, "blocked", WAIT_MS), "\"line\":3,");
	ASSERT_EQ(held_connect(&hi, 25), EPERM,
		  "line 70001 (second half) blocks");
	ASSERT_HAS(next_event(t, "blocked", WAIT_MS), "\"line\":70001,");
	ASSERT_EQ(held_connect(&none, 25), 0, "no rule: let through");
	ASSERT_EQ(held_stop(&lo), 0, "x1.example process");
	ASSERT_EQ(held_stop(&hi), 0, "x69999.example process");
	ASSERT_EQ(held_stop(&none), 0, "x70000.example process");
	return 0;
}

/* --- the verdict cache (bpf/vcache.bpf.h) -------------------------------- */

/*
 * @n fresh processes resolve @name and connect to @ip on port 25, each
 * expecting @want (0 or an errno).  On 2 CPUs, 4 runs put two on one CPU:
 * the later of them is judged from the cache.
 */
static int resolve_n(struct tctx *t, const char *name, const char *ip,
		     int n, int want)
{
	struct held h;
	int i, rc;

	for (i = 0; i < n; i++) {
		if (held_start(t, &h, name, ip))
			return -1;
		rc = held_connect(&h, 25);
		if (held_stop(&h) || rc != want) {
			fprintf(stderr, "  %s #%d: connect %d, want %d\n",
				name, i, rc, want);
			return -1;
		}
	}
	return 0;
}

static const char nothing[] = "# no rule: every name is clean\n";

/*
 * A name judged clean and cached under one policy is a lookalike under the
 * next: the reload retires the cached verdict, and the next lookup of the
 * name is refused.  And back: cached as a lookalike, clean after a reload.
 */
static int t_vcache_reload(struct tctx *t)
{
	long long hits = counter(t, MXG_CNT_VCACHE_HIT);

	ASSERT_EQ(resolve_n(t, "army.ml", "192.0.2.26", 4, 0), 0,
		  "clean under policy A, cached");
	ASSERT_TRUE(counter(t, MXG_CNT_VCACHE_HIT) > hits,
		    "the cache judged some of them");
	ASSERT_EQ(reload_with(t, ml_block), 0, "reload to policy B");
	ASSERT_EQ(resolve_n(t, "army.ml", "192.0.2.26", 4, EPERM), 0,
		  "a lookalike under B: refused");
	hits = counter(t, MXG_CNT_VCACHE_HIT);
	ASSERT_EQ(resolve_n(t, "army.ml", "192.0.2.26", 2, EPERM), 0,
		  "still refused from the cache");
	ASSERT_TRUE(counter(t, MXG_CNT_VCACHE_HIT) > hits,
		    "the lookalike verdict was cached");
	ASSERT_EQ(reload_with(t, nothing), 0, "reload back to A");
	ASSERT_EQ(resolve_n(t, "army.ml", "192.0.2.26", 4, 0), 0,
		  "clean again under A");
	return 0;
}

/*
 * nav1.ml is allowed and cached; nav2.ml, the same length and one byte
 * apart (the same slot words but one), is a lookalike and must be refused
 * however warm the cache is.  Then the allow rule is removed by a reload
 * and nav1.ml is refused too.
 */
static const char nav_allow[] = "lookalike ml of mil action=block\n"
				"allow nav1.ml\n";

static int t_vcache_lookalike(struct tctx *t)
{
	ASSERT_EQ(resolve_n(t, "nav1.ml", "192.0.2.31", 4, 0), 0,
		  "nav1.ml allowed, cached");
	ASSERT_EQ(resolve_n(t, "nav2.ml", "192.0.2.32", 4, EPERM), 0,
		  "nav2.ml refused");
	ASSERT_EQ(resolve_n(t, "nav1.ml", "192.0.2.31", 2, 0), 0,
		  "nav1.ml still allowed");
	ASSERT_EQ(reload_with(t, ml_block), 0, "reload without the allow");
	ASSERT_EQ(resolve_n(t, "nav1.ml", "192.0.2.31", 4, EPERM), 0,
		  "nav1.ml refused after the reload");
	return 0;
}

/*
 * Two names in one set of the cache (bpf/vcache.bpf.h), one allowed and
 * one a lookalike, each cached in its own way: each keeps its own verdict
 * however often both are asked, and a reload that turns the verdicts
 * around is obeyed at once for both.  The set is the index hash's, of the
 * daemon's seed: the names are picked among WAYS_NAMES of the zone once
 * the daemon runs, as the datapath computes it.
 */
#define WAYS_NAMES	1000
static char ways_name[WAYS_NAMES][16];
static char ways_ip[WAYS_NAMES][16];
static struct zrec ways_zone[WAYS_NAMES + 1];

__attribute__((constructor)) static void ways_zone_init(void)
{
	for (int i = 0; i < WAYS_NAMES; i++) {
		snprintf(ways_name[i], sizeof(ways_name[i]), "w%03d.ml", i);
		snprintf(ways_ip[i], sizeof(ways_ip[i]), "192.0.2.%d",
			 100 + i % 100);
		ways_zone[i] = (struct zrec){ ways_name[i], DNS_A, 300,
					      ways_ip[i] };
	}
}

/* vc_key() of @name (a host name) under @seed. */
static __u32 ways_key(const char *name, __u64 seed)
{
	__u8 wire[MXG_VCACHE_NAME] = { 0 };
	__u32 len = 0, i;
	const char *p = name, *dot;
	__u64 h, w;

	while (*p) {
		dot = strchr(p, '.');
		i = dot ? (__u32)(dot - p) : (__u32)strlen(p);
		wire[len++] = i;
		memcpy(&wire[len], p, i);
		len += i;
		p += i + (dot ? 1 : 0);
	}
	h = seed ^ len;
	for (i = 0; i * 8 < len; i++) {
		memcpy(&w, &wire[i * 8], 8);
		h = (h ^ w) * MXG_FNV_PRIME;
	}
	return (__u32)mxg_hash_final(h);
}

/* vc_set()'s group and set of choice @c (0 or 1) for @name. */
static __u32 ways_set_of(const char *name, __u64 seed, int c)
{
	__u32 key = ways_key(name, seed) >> (c ? 16 : 0);

	return (key & (MXG_VCACHE_GROUPS - 1)) << 8 |
	       ((key >> 8) & (MXG_VCACHE_SETS - 1));
}

static __u32 ways_set(const char *name, __u64 seed)
{
	return ways_set_of(name, seed, 0);
}

/* Does some CPU's egress set @g/@set hold names @a and @b, one a way? */
static int ways_both(struct tctx *t, __u32 g, __u32 set, int a, int b)
{
	int ncpu = libbpf_num_possible_cpus(), fd, cpu, found = 0;
	struct mxg_vcache_group *v;
	char path[300], na[8], nb[8];
	__u64 wa, wb;

	snprintf(path, sizeof(path), "%s/vcache_sets", t->pin);
	fd = bpf_obj_get(path);
	v = ncpu > 0 ? calloc(ncpu, sizeof(*v)) : NULL;
	if (fd < 0 || !v || bpf_map_lookup_elem(fd, &g, v)) {
		free(v);
		if (fd >= 0)
			close(fd);
		return 0;
	}
	close(fd);
	/* "wNNN.ml" in wire form: 8 bytes, one word. */
	memcpy(na, "\4wNNN\2ml", 8);
	memcpy(nb, na, 8);
	memcpy(&na[2], &ways_name[a][1], 3);
	memcpy(&nb[2], &ways_name[b][1], 3);
	memcpy(&wa, na, 8);
	memcpy(&wb, nb, 8);
	for (cpu = 0; cpu < ncpu && !found; cpu++) {
		struct mxg_vcache *e0 = &v[cpu].slot[2 * set];
		struct mxg_vcache *e1 = &v[cpu].slot[2 * set + 1];

		found = e0->len == 8 && e1->len == 8 &&
			((e0->w[0] == wa && e1->w[0] == wb) ||
			 (e0->w[0] == wb && e1->w[0] == wa));
	}
	free(v);
	return found;
}

static int t_vcache_ways(struct tctx *t)
{
	char path[300], pol[256];
	struct mxg_config cfg;
	__u32 zero = 0, set[WAYS_NAMES];
	int fd, a = -1, b = -1, i, j;
	long long hits;

	snprintf(path, sizeof(path), "%s/config_map", t->pin);
	fd = bpf_obj_get(path);
	if (!ASSERT_TRUE(fd >= 0 && !bpf_map_lookup_elem(fd, &zero, &cfg),
			 "read the seed"))
		return -1;
	close(fd);
	for (i = 0; i < WAYS_NAMES && a < 0; i++) {
		set[i] = ways_set(ways_name[i], cfg.hash_seed);
		for (j = 0; j < i; j++)
			if (set[j] == set[i]) {
				a = j;
				b = i;
				break;
			}
	}
	/* 1,000 names in 2048 sets: no two in one set almost never. */
	if (!ASSERT_TRUE(a >= 0, "two names of one set"))
		return -1;
	snprintf(pol, sizeof(pol), "lookalike ml of mil action=block\n"
		 "allow %s\n", ways_name[a]);
	ASSERT_EQ(reload_with(t, pol), 0, "allow the first name");
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(resolve_n(t, ways_name[a], ways_ip[a], 2, 0), 0,
			  "the allowed name, cached");
		ASSERT_EQ(resolve_n(t, ways_name[b], ways_ip[b], 2, EPERM), 0,
			  "the lookalike of its set, cached");
	}
	hits = counter(t, MXG_CNT_VCACHE_HIT);
	ASSERT_EQ(resolve_n(t, ways_name[a], ways_ip[a], 2, 0), 0,
		  "allowed from the cache");
	ASSERT_EQ(resolve_n(t, ways_name[b], ways_ip[b], 2, EPERM), 0,
		  "refused from the cache");
	/* Which CPU each run lands on is the scheduler's: some hit. */
	ASSERT_TRUE(counter(t, MXG_CNT_VCACHE_HIT) > hits,
		    "judged from the cache");
	ASSERT_TRUE(ways_both(t, set[a] >> 8, set[a] & 0xff, a, b),
		    "the two names sit in the two ways of one set");
	snprintf(pol, sizeof(pol), "lookalike ml of mil action=block\n"
		 "allow %s\n", ways_name[b]);
	ASSERT_EQ(reload_with(t, pol), 0, "allow the other name instead");
	ASSERT_EQ(resolve_n(t, ways_name[a], ways_ip[a], 1, EPERM), 0,
		  "the first name refused at once");
	ASSERT_EQ(resolve_n(t, ways_name[b], ways_ip[b], 1, 0), 0,
		  "the second allowed at once");
	ASSERT_EQ(resolve_n(t, ways_name[a], ways_ip[a], 3, EPERM), 0,
		  "the first name still refused");
	return 0;
}

/*
 * Three names whose first set is the same (bpf/vcache.bpf.h): the third
 * goes to its second set, so all three stay cached when they are asked in
 * turn, where two ways of one set would lose each to the next.  On one
 * CPU, so one per-CPU cache sees them all.  Each keeps its own verdict.
 */
static int t_vcache_two_choices(struct tctx *t)
{
	char path[300], pol[256];
	struct mxg_config cfg;
	__u32 zero = 0, *set = calloc(WAYS_NAMES, sizeof(*set));
	int fd, n[3] = { -1, -1, -1 }, want[3], i, j, k, round;
	int cpu = sched_getcpu();
	long long hits = 0;
	cpu_set_t one;

	snprintf(path, sizeof(path), "%s/config_map", t->pin);
	fd = bpf_obj_get(path);
	if (!ASSERT_TRUE(set && fd >= 0 &&
			 !bpf_map_lookup_elem(fd, &zero, &cfg),
			 "read the seed")) {
		free(set);
		return -1;
	}
	close(fd);
	for (i = 0; i < WAYS_NAMES; i++)
		set[i] = ways_set(ways_name[i], cfg.hash_seed);
	/* Second sets other than the first: else the third has no room. */
	for (i = 0; i < WAYS_NAMES && n[2] < 0; i++)
		for (j = i + 1; j < WAYS_NAMES && n[2] < 0; j++) {
			if (set[j] != set[i])
				continue;
			for (k = j + 1; k < WAYS_NAMES; k++)
				if (set[k] == set[i] &&
				    ways_set_of(ways_name[k], cfg.hash_seed,
						1) != set[i]) {
					n[0] = i;
					n[1] = j;
					n[2] = k;
					break;
				}
		}
	free(set);
	/* 1,000 names in 2048 sets: about 19 such triples, on average. */
	if (!ASSERT_TRUE(n[2] >= 0, "three names of one set"))
		return -1;
	CPU_ZERO(&one);
	CPU_SET(cpu < 0 ? 0 : cpu, &one);
	if (!ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0,
		       "pin the test to one CPU") ||
	    !ASSERT_EQ(sched_setaffinity(t->dnsd, sizeof(one), &one), 0,
		       "and the DNS server"))
		return -1;
	snprintf(pol, sizeof(pol), "lookalike ml of mil action=block\n"
		 "allow %s\n", ways_name[n[1]]);
	ASSERT_EQ(reload_with(t, pol), 0, "allow the second name");
	want[0] = EPERM;
	want[1] = 0;
	want[2] = EPERM;
	for (round = 0; round < 3; round++) {
		if (round == 2)
			hits = counter(t, MXG_CNT_VCACHE_HIT);
		for (i = 0; i < 3; i++)
			if (!ASSERT_EQ(resolve_n(t, ways_name[n[i]],
						 ways_ip[n[i]], 1, want[i]),
				       0, "each name's own verdict"))
				return -1;
	}
	return ASSERT_TRUE(counter(t, MXG_CNT_VCACHE_HIT) - hits >= 3,
			   "all three judged from the cache in turn") ? 0 : -1;
}

const struct tcase reload_tests[] = {
	{ .name = "vcache_reload", .fn = t_vcache_reload,
	  .policy = nothing, .zone = zone },
	{ .name = "vcache_lookalike", .fn = t_vcache_lookalike,
	  .policy = nav_allow, .zone = zone },
	{ .name = "vcache_ways", .fn = t_vcache_ways,
	  .policy = ml_block, .zone = ways_zone },
	{ .name = "vcache_two_choices", .fn = t_vcache_two_choices,
	  .policy = ml_block, .zone = ways_zone },
	{ .name = "reload_large_policy", .fn = t_large_policy,
	  .policy = ml_block, .zone = zone },
	{ .name = "reload_purge_without_names", .fn = t_purge_without_names,
	  .policy = ml_block, .zone = zone },
	{ .name = "reload_purge_by_origin", .fn = t_purge_by_origin,
	  .policy = ml_block, .zone = zone },
	{ .name = "reload_restamps_action", .fn = t_restamp_action,
	  .policy = ml_alert, .zone = zone },
	{ .name = "reload_generation_wrap", .fn = t_generation_wrap,
	  .policy = ml_line2, .zone = zone },
	{ .name = "restart_restamps", .fn = t_restart_restamps,
	  .policy = ml_alert, .zone = zone },
	{ .name = "restart_rebuilds_fastpath", .fn = t_fastpath_rebuilt,
	  .policy = ml_block, .zone = zone },
	{ .name = "port_bits_follow_ports", .fn = t_port_bits,
	  .policy = ml_block, .zone = zone },
	{ .name = "any_filter_rebuilt", .fn = t_any_filter,
	  .policy = ml_block, .zone = zone },
	{ 0 },
};
