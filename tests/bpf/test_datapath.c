// SPDX-License-Identifier: GPL-2.0-only
/*
 * Datapath tests on the real kernel.  Addresses: 192.0.2.0/24 are lookalike
 * MX hosts, 198.51.100.0/24 legitimate ones, 2001:db8::/64 IPv6; all are
 * local to the test's own network namespace.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "harness.h"
#include "mxguard/abi.h"

#define WAIT_MS 5000

static const char mil_block[] =
	"# the seed case\n"
	"lookalike ml of mil action=block\n"
	"allow gov.ml\n";

static const struct zrec seed_zone[] = {
	{ "army.ml", DNS_MX, 300, "mx.mali-mail.net" },
	{ "mx.mali-mail.net", DNS_A, 300, "192.0.2.25" },
	{ "mx.mali-mail.net", DNS_AAAA, 300, "2001:db8::25" },
	{ "army.ml", DNS_A, 300, "192.0.2.26" },
	{ "a.b.ml", DNS_A, 300, "192.0.2.27" },
	{ "mail.gov.ml", DNS_A, 300, "192.0.2.28" },
	{ "mail.html", DNS_A, 300, "192.0.2.29" },
	{ "sentinel.ml", DNS_A, 300, "192.0.2.99" },
	{ "army.mil", DNS_MX, 300, "mx.army.mil" },
	{ "mx.army.mil", DNS_A, 300, "198.51.100.25" },
	{ "relay.army.ml", DNS_CNAME, 300, "smtp.elsewhere.net" },
	{ "smtp.elsewhere.net", DNS_A, 300, "192.0.2.30" },
	{ "shared.example", DNS_A, 300, "192.0.2.31" },
	{ "shared.ml", DNS_A, 300, "192.0.2.31" },
	{ "v6.ml", DNS_AAAA, 300, "2001:db8::26" },
	{ "tcp.ml", DNS_A, 300, "192.0.2.32" },
	{ "short.ml", DNS_A, 1, "192.0.2.33" },
	{ "srv.ml", DNS_SRV, 300, "smtp.srv-host.net" },
	{ "smtp.srv-host.net", DNS_A, 300, "192.0.2.34" },
	{ "navy.ml", DNS_MX, 300, "mx.navy.ml" },
	{ "mx.navy.ml", DNS_A, 300, "192.0.2.60" },
	{ NULL, 0, 0, NULL },
};

struct step {
	const char *qname;
	uint16_t qtype;
	int via;
	const char *ip;
	uint16_t port;
};

/* Resolve, then connect; the exit status is the connect's errno. */
static int resolve_connect(void *arg)
{
	const struct step *s = arg;
	int rc = resolve(s->qname, s->qtype, s->via);

	if (rc != 0)
		return 200 + (rc < 0 ? 1 : rc);
	return s->ip ? try_connect(s->ip, s->port) : 0;
}

/*
 * A connect known to be blocked, and the first connect event after it: used
 * to prove that nothing was reported for what came before.
 */
static int sentinel(struct tctx *t, const char *why)
{
	struct step s = { "sentinel.ml", DNS_A, VIA_UDP, "192.0.2.99", 25 };
	const char *ev;
	int ok;

	ok = ASSERT_EQ(run_in(t, NULL, resolve_connect, &s), EPERM,
		       "sentinel connect errno");
	/* Skip query and taint events: only connect verdicts matter here. */
	do {
		ev = next_event(t, NULL, WAIT_MS);
	} while (ev && !strstr(ev, "\"action\":\"blocked\"") &&
		 !strstr(ev, "\"action\":\"alerted\""));
	if (!ev || !strstr(ev, "\"ip\":\"192.0.2.99\"")) {
		test_fail(__FILE__, __LINE__, "%s: unexpected event before "
			  "the sentinel: %s", why, ev ? ev : "(none)");
		return -1;
	}
	return ok ? 0 : -1;
}

static int expect_blocked(struct tctx *t, const struct step *s,
			  const char *ip_json)
{
	const char *ev;

	if (!ASSERT_EQ(run_in(t, NULL, resolve_connect, (void *)s), EPERM,
		       "connect errno"))
		return -1;
	ev = next_event(t, "blocked", WAIT_MS);
	if (!ASSERT_HAS(ev, ip_json))
		return -1;
	return 0;
}

/* The seed case: MX of army.ml, then the MX host's address, then :25. */
static int seed_steps(void *arg)
{
	static const struct step mx = { "army.ml", DNS_MX, VIA_UDP, NULL, 0 };
	const char *ip = arg;
	int rc;

	rc = resolve_connect((void *)&mx);
	if (rc)
		return rc;
	if (resolve("mx.mali-mail.net", strchr(ip, ':') ? DNS_AAAA : DNS_A,
		    VIA_UDP))
		return 201;
	return try_connect(ip, 25);
}

static int t_seed_block(struct tctx *t)
{
	const char *ev;

	if (!ASSERT_EQ(run_in(t, NULL, seed_steps, "192.0.2.25"), EPERM,
		       "connect to the lookalike MX"))
		return -1;
	ev = next_event(t, "dns-lookalike-query", WAIT_MS);
	ASSERT_HAS(ev, "\"dns\":{\"question\":{\"name\":\"army.ml\"}}");
	ASSERT_HAS(ev, "\"protected\":\"mil\"");
	ev = next_event(t, "blocked", WAIT_MS);
	ASSERT_HAS(ev, "\"outcome\":\"failure\"");
	ASSERT_HAS(ev, "\"destination\":{\"ip\":\"192.0.2.25\",\"port\":25,"
		   "\"domain\":\"mx.mali-mail.net\"}");
	/* ECS: an IDS alert, the rule that matched, no dns.* on a connect */
	ASSERT_HAS(ev, "\"ecs\":{\"version\":\"8.11.0\"}");
	ASSERT_HAS(ev, "\"category\":[\"intrusion_detection\",\"network\"]");
	ASSERT_HAS(ev, "\"severity\":73");
	ASSERT_HAS(ev, "\"name\":\"lookalike ml of mil\"");
	ASSERT_HAS(ev, "\"thread\":{\"id\":");
	ASSERT_TRUE(!strstr(ev, "\"dns\":"), "no dns.* on a connect");
	ASSERT_HAS(ev, "\"lookalike\":\"army.ml\"");
	ASSERT_HAS(ev, "\"protected\":\"mil\"");
	ASSERT_HAS(ev, "\"resolved_name\":\"mx.mali-mail.net\"");
	ASSERT_HAS(ev, "\"name\":\"smtp\"");
	ASSERT_HAS(ev, "\"scope\":\"process\"");
	ASSERT_HAS(ev, "\"mode\":\"block\"");
	ASSERT_HAS(ev, "\"suffix\":\"ml\"");
	ASSERT_HAS(ev, "\"line\":2");
	return 0;
}

static int t_seed_alert_mode(struct tctx *t)
{
	const char *ev;

	if (!ASSERT_EQ(run_in(t, NULL, seed_steps, "192.0.2.25"), 0,
		       "connect in alert mode"))
		return -1;
	ev = next_event(t, "alerted", WAIT_MS);
	ASSERT_HAS(ev, "\"destination\":{\"ip\":\"192.0.2.25\",\"port\":25,");
	ASSERT_HAS(ev, "\"outcome\":\"success\"");
	ASSERT_HAS(ev, "\"mode\":\"alert\"");
	ASSERT_HAS(ev, "\"action\":\"block\"");
	return 0;
}

static int t_aaaa_connect6(struct tctx *t)
{
	if (!ASSERT_EQ(run_in(t, NULL, seed_steps, "2001:db8::25"), EPERM,
		       "connect6 to the lookalike MX"))
		return -1;
	ASSERT_HAS(next_event(t, "blocked", WAIT_MS),
		   "\"ip\":\"2001:db8::25\"");
	return 0;
}

static int t_v4mapped_connect6(struct tctx *t)
{
	return expect_blocked(t, &(struct step){ "army.ml", DNS_A, VIA_UDP,
				 "::ffff:192.0.2.26", 25 },
			      "\"ip\":\"192.0.2.26\"");
}

static int t_exact_and_suffix(struct tctx *t)
{
	if (expect_blocked(t, &(struct step){ "army.ml", DNS_A, VIA_UDP,
				"192.0.2.26", 25 }, "\"ip\":\"192.0.2.26\""))
		return -1;
	return expect_blocked(t, &(struct step){ "a.b.ml", DNS_A, VIA_UDP,
				"192.0.2.27", 587 },
			      "\"ip\":\"192.0.2.27\",\"port\":587");
}

static int t_allow_overrides(struct tctx *t)
{
	struct step s = { "mail.gov.ml", DNS_A, VIA_UDP, "192.0.2.28", 25 };

	if (!ASSERT_EQ(run_in(t, NULL, resolve_connect, &s), 0,
		       "connect to an allowed name"))
		return -1;
	return sentinel(t, "allow gov.ml");
}

static int t_html_is_not_ml(struct tctx *t)
{
	struct step s = { "mail.html", DNS_A, VIA_UDP, "192.0.2.29", 25 };

	if (!ASSERT_EQ(run_in(t, NULL, resolve_connect, &s), 0,
		       "connect to mail.html"))
		return -1;
	return sentinel(t, "html");
}

static int t_mixed_case(struct tctx *t)
{
	const char *ev;

	if (expect_blocked(t, &(struct step){ "ArMy.mL", DNS_A, VIA_UDP,
				"192.0.2.26", 25 }, "\"ip\":\"192.0.2.26\""))
		return -1;
	ev = t->line;
	return ASSERT_HAS(ev, "\"lookalike\":\"army.ml\"") ? 0 : -1;
}

static int t_cname_chain(struct tctx *t)
{
	if (expect_blocked(t, &(struct step){ "relay.army.ml", DNS_A, VIA_UDP,
				"192.0.2.30", 25 }, "\"ip\":\"192.0.2.30\""))
		return -1;
	ASSERT_HAS(t->line, "\"resolved_name\":\"smtp.elsewhere.net\"");
	ASSERT_HAS(t->line, "\"lookalike\":\"relay.army.ml\"");
	return 0;
}

static int srv_steps(void *arg)
{
	(void)arg;
	if (resolve("srv.ml", DNS_SRV, VIA_UDP) ||
	    resolve("smtp.srv-host.net", DNS_A, VIA_UDP))
		return 201;
	return try_connect("192.0.2.34", 25);
}

static int t_srv_target(struct tctx *t)
{
	if (!ASSERT_EQ(run_in(t, NULL, srv_steps, NULL), EPERM,
		       "SRV target's address"))
		return -1;
	ASSERT_HAS(next_event(t, "blocked", WAIT_MS),
		   "\"resolved_name\":\"smtp.srv-host.net\"");
	return 0;
}

static int navy_steps(void *arg)
{
	(void)arg;
	if (resolve("navy.ml", DNS_MX, VIA_UDP) ||
	    resolve("mx.navy.ml", DNS_A, VIA_UDP))
		return 201;
	return try_connect("192.0.2.60", 25);
}

/* The MX host matches the suffix too: the alert names the recipient. */
static int t_mx_under_lookalike(struct tctx *t)
{
	const char *ev;

	if (!ASSERT_EQ(run_in(t, NULL, navy_steps, NULL), EPERM, "connect"))
		return -1;
	ev = next_event(t, "blocked", WAIT_MS);
	ASSERT_HAS(ev, "\"lookalike\":\"navy.ml\"");
	ASSERT_HAS(ev, "\"resolved_name\":\"mx.navy.ml\"");
	ASSERT_HAS(ev, "\"path\":[\"navy.ml\",\"mx.navy.ml\",\"192.0.2.60\"]");
	return 0;
}

static int t_dns_tcp(struct tctx *t)
{
	if (expect_blocked(t, &(struct step){ "tcp.ml", DNS_A, VIA_TCP,
				"192.0.2.32", 25 }, "\"ip\":\"192.0.2.32\""))
		return -1;
	return 0;
}

static int t_dns_ipv6_resolver(struct tctx *t)
{
	return expect_blocked(t, &(struct step){ "tcp.ml", DNS_A, VIA_UDP6,
				"192.0.2.32", 25 }, "\"ip\":\"192.0.2.32\"");
}

static int t_sendto_unconnected(struct tctx *t)
{
	return expect_blocked(t, &(struct step){ "tcp.ml", DNS_A, VIA_SENDTO,
				"192.0.2.32", 465 },
			      "\"ip\":\"192.0.2.32\",\"port\":465");
}

static int t_unmonitored_port(struct tctx *t)
{
	struct step s = { "army.ml", DNS_A, VIA_UDP, "192.0.2.26", 2525 };

	if (!ASSERT_EQ(run_in(t, NULL, resolve_connect, &s), 0,
		       "connect to an unmonitored port"))
		return -1;
	return sentinel(t, "port 2525");
}

static int fastopen_step(void *arg)
{
	(void)arg;
	if (resolve("army.ml", DNS_A, VIA_UDP))
		return 201;
	return try_fastopen("192.0.2.26", 25);
}

static int t_tcp_fastopen(struct tctx *t)
{
	if (!ASSERT_EQ(run_in(t, NULL, fastopen_step, NULL), EPERM,
		       "sendto(MSG_FASTOPEN) errno"))
		return -1;
	ASSERT_HAS(next_event(t, "blocked", WAIT_MS), "\"ip\":\"192.0.2.26\"");
	return 0;
}

/*
 * Process scope: a child forked after the lookup is covered.  It is forked
 * once a byte arrives on the pipe @arg: the test sends it when the daemon
 * has reported the taint, which the daemon does after destroying cached
 * connections to that address.  So an alerted connect (under lockdown) is
 * never cut mid-handshake (ECONNABORTED), as it was once on 5.10 under TCG.
 */
static int connect_child(void *arg)
{
	const int *gate = arg;
	char go;
	pid_t pid;

	if (resolve("army.ml", DNS_A, VIA_UDP))
		return 201;
	if (read(gate[0], &go, 1) != 1)
		return 202;
	pid = fork();
	if (pid == 0)
		_exit(try_connect("192.0.2.26", 25));
	return run_wait(pid);
}

static int connect_only(void *arg)
{
	return try_connect(arg, 25);
}

/*
 * Under lockdown (confidentiality) the connect programs cannot read
 * real_parent: the daemon says so, and the child matches at unit level.
 */
static int t_process_scope(struct tctx *t)
{
	int locked = lockdown_confidentiality(), gate[2], rc;
	char status[4096];
	const char *ev;
	pid_t pid;

	ASSERT_EQ(ctl(t, status, sizeof(status), "status"), 0, "status exit");
	ASSERT_HAS(status, locked ? "lineage: connecting process only (kernel "
				    "lockdown (confidentiality)" :
				    "lineage: process and its ancestors");
	if (!ASSERT_EQ(pipe(gate), 0, "pipe"))
		return -1;
	pid = run_async(t, NULL, connect_child, gate);
	ASSERT_HAS(next_event(t, "tainted", WAIT_MS), "\"ip\":\"192.0.2.26\"");
	ASSERT_EQ(write(gate[1], "g", 1), 1, "open the gate");
	rc = run_wait(pid);
	close(gate[0]);
	close(gate[1]);
	if (!ASSERT_EQ(rc, locked ? 0 : EPERM, "child of the resolver"))
		return -1;
	ev = next_event(t, locked ? "alerted" : "blocked", WAIT_MS);
	ASSERT_HAS(ev, locked ? "\"scope\":\"unit\"" :
				"\"scope\":\"process\"");
	/* An unrelated process in the same cgroup: alerted, never blocked. */
	if (!ASSERT_EQ(run_in(t, NULL, connect_only, "192.0.2.26"), 0,
		       "unrelated process, same cgroup"))
		return -1;
	ev = next_event(t, "alerted", WAIT_MS);
	ASSERT_HAS(ev, "\"scope\":\"unit\"");
	return 0;
}

static int t_process_scope_other_cgroup(struct tctx *t)
{
	char b[600];
	struct step s = { "army.ml", DNS_A, VIA_UDP, NULL, 0 };

	sub_cgroup(t, "b", b, sizeof(b));
	if (!ASSERT_EQ(run_in(t, NULL, resolve_connect, &s), 0, "resolve"))
		return -1;
	if (!ASSERT_EQ(run_in(t, b, connect_only, "192.0.2.26"), 0,
		       "process in another cgroup"))
		return -1;
	return sentinel(t, "other cgroup, process scope");
}

static int t_unit_scope(struct tctx *t)
{
	struct step s = { "army.ml", DNS_A, VIA_UDP, NULL, 0 };
	const char *ev;

	if (!ASSERT_EQ(run_in(t, NULL, resolve_connect, &s), 0, "resolve"))
		return -1;
	if (!ASSERT_EQ(run_in(t, NULL, connect_only, "192.0.2.26"), EPERM,
		       "sibling in the same cgroup"))
		return -1;
	ev = next_event(t, "blocked", WAIT_MS);
	ASSERT_HAS(ev, "\"scope\":\"unit\"");
	return 0;
}

static int t_host_scope(struct tctx *t)
{
	struct step s = { "army.ml", DNS_A, VIA_UDP, NULL, 0 };
	char a[600], b[600];
	const char *ev;

	sub_cgroup(t, "a", a, sizeof(a));
	sub_cgroup(t, "b", b, sizeof(b));
	if (!ASSERT_EQ(run_in(t, a, resolve_connect, &s), 0, "resolve in a"))
		return -1;
	if (!ASSERT_EQ(run_in(t, b, connect_only, "192.0.2.26"), EPERM,
		       "process in another cgroup"))
		return -1;
	ev = next_event(t, "blocked", WAIT_MS);
	ASSERT_HAS(ev, "\"scope\":\"host\"");
	return 0;
}

/*
 * Within one process a lookalike record outranks a clean one for the same
 * address until a connect has acted on it (test_failclosed.c has the Exim
 * and Postfix shapes of this); a clean record is overridden by a later
 * lookalike answer at once.
 */
static int lookalike_then_clean(void *arg)
{
	(void)arg;
	if (resolve("shared.ml", DNS_A, VIA_UDP) ||
	    resolve("shared.example", DNS_A, VIA_UDP))
		return 201;
	return try_connect("192.0.2.31", 25);
}

static int clean_then_lookalike(void *arg)
{
	(void)arg;
	if (resolve("shared.example", DNS_A, VIA_UDP) ||
	    resolve("shared.ml", DNS_A, VIA_UDP))
		return 201;
	return try_connect("192.0.2.31", 25);
}

static int t_lookalike_outranks_clean(struct tctx *t)
{
	if (!ASSERT_EQ(run_in(t, NULL, lookalike_then_clean, NULL), EPERM,
		       "lookalike then clean, same process"))
		return -1;
	ASSERT_HAS(next_event(t, "blocked", WAIT_MS), "\"ip\":\"192.0.2.31\"");
	if (!ASSERT_EQ(run_in(t, NULL, clean_then_lookalike, NULL), EPERM,
		       "clean then lookalike, same process"))
		return -1;
	ASSERT_HAS(next_event(t, "blocked", WAIT_MS), "\"ip\":\"192.0.2.31\"");
	return 0;
}

/* A clean resolution in another process never clears a taint. */
static int resolve_wait_connect(void *arg)
{
	int *pipefd = arg;
	char c;

	if (resolve("shared.ml", DNS_A, VIA_UDP))
		return 201;
	if (read(pipefd[0], &c, 1) != 1)
		return 202;
	return try_connect("192.0.2.31", 25);
}

static int resolve_clean(void *arg)
{
	(void)arg;
	return resolve("shared.example", DNS_A, VIA_UDP) ? 201 : 0;
}

static int t_never_across_processes(struct tctx *t)
{
	int p[2];
	pid_t a;

	if (pipe(p))
		return -1;
	a = run_async(t, NULL, resolve_wait_connect, p);
	/* The tainted event proves process a has its answer. */
	ASSERT_HAS(next_event(t, "tainted", WAIT_MS), "\"ip\":\"192.0.2.31\"");
	ASSERT_EQ(run_in(t, NULL, resolve_clean, NULL), 0, "clean elsewhere");
	if (write(p[1], "x", 1) != 1)
		return -1;
	if (!ASSERT_EQ(run_wait(a), EPERM, "taint survives another's clean"))
		return -1;
	ASSERT_HAS(next_event(t, "blocked", WAIT_MS), "\"ip\":\"192.0.2.31\"");
	return 0;
}

static int resolve_sleep_connect(void *arg)
{
	(void)arg;
	if (resolve("short.ml", DNS_A, VIA_UDP))
		return 201;
	if (try_connect("192.0.2.33", 25) != EPERM)
		return 202;
	/* --ttl-max 1: the taint is gone after one second. */
	usleep(1500 * 1000);
	return try_connect("192.0.2.33", 25);
}

static int t_ttl_expiry(struct tctx *t)
{
	char out[8192];

	if (!ASSERT_EQ(run_in(t, NULL, resolve_sleep_connect, NULL), 0,
		       "connect after the TTL"))
		return -1;
	ASSERT_HAS(next_event(t, "blocked", WAIT_MS), "\"ip\":\"192.0.2.33\"");
	/*
	 * The connect that met the expired records removed them, unless the
	 * daemon's 30-second sweep got there first.
	 */
	if (counter(t, MXG_CNT_TAINT_EXPIRED) >= 1)
		return 0;
	ASSERT_EQ(ctl(t, out, sizeof(out), "stats --json"), 0, "stats");
	return ASSERT_TRUE(!strstr(out, "\"records_swept\":0,"),
			   "expired taints removed and counted") ? 0 : -1;
}

static int t_daemon_killed(struct tctx *t)
{
	struct step s = { "army.ml", DNS_A, VIA_UDP, "192.0.2.26", 25 };

	ASSERT_EQ(daemon_stop(t, SIGKILL), 128 + SIGKILL, "daemon killed");
	return ASSERT_EQ(run_in(t, NULL, resolve_connect, &s), EPERM,
			 "blocked with no daemon running") ? 0 : -1;
}

static int t_unload(struct tctx *t)
{
	struct step s = { "army.ml", DNS_A, VIA_UDP, "192.0.2.26", 25 };
	const char *argv[] = { t->daemon_bin, "--unload", "--pin-dir", t->pin,
			       NULL };
	pid_t pid;

	daemon_stop(t, SIGTERM);
	if (!ASSERT_EQ(run_in(t, NULL, resolve_connect, &s), EPERM,
		       "still blocked after the daemon exits"))
		return -1;
	pid = fork();
	if (pid == 0) {
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	if (!ASSERT_EQ(run_wait(pid), 0, "mxguardd --unload"))
		return -1;
	ASSERT_TRUE(access(t->pin, F_OK) != 0, "pin directory removed");
	return ASSERT_EQ(run_in(t, NULL, resolve_connect, &s), 0,
			 "connect after unload") ? 0 : -1;
}

static int t_mx_second_query_clean(struct tctx *t)
{
	/* army.mil is the protected name itself: delivered, no alert. */
	struct step s = { "army.mil", DNS_MX, VIA_UDP, NULL, 0 };
	struct step a = { "mx.army.mil", DNS_A, VIA_UDP, "198.51.100.25", 25 };

	ASSERT_EQ(run_in(t, NULL, resolve_connect, &s), 0, "MX army.mil");
	if (!ASSERT_EQ(run_in(t, NULL, resolve_connect, &a), 0,
		       "connect to the real MX"))
		return -1;
	return sentinel(t, "army.mil");
}

/*
 * taint_names' filter (bpf/message.bpf.h): a question whose byte is 0 is
 * not looked up.  Entries written by programs that kept no filter (pins of
 * an older daemon; here the filter zeroed and disarmed by hand) have no
 * byte: the daemon must set theirs at start before it arms, or the MX
 * host of a lookalike domain resolves clean and its address is not
 * tainted.
 */
static int mx_only(void *arg)
{
	(void)arg;
	return resolve("army.ml", DNS_MX, VIA_UDP) ? 201 : 0;
}

static int mxhost_connect(void *arg)
{
	if (resolve("mx.mali-mail.net", DNS_A, VIA_UDP))
		return 201;
	return try_connect(arg, 25);
}

static int pin_fd(struct tctx *t, const char *name)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/%s", t->pin, name);
	return bpf_obj_get(path);
}

static int t_name_filter_rebuilt(struct tctx *t)
{
	struct mxg_tname_filter *f = calloc(1, sizeof(*f));
	int ffd = pin_fd(t, "tname_filter"), afd = pin_fd(t, "fastpath_armed");
	__u32 zero = 0, off = 0, on = 0;
	long long taints;
	int err = -1;

	if (!ASSERT_TRUE(f && ffd >= 0 && afd >= 0, "filter pinned"))
		goto out;
	ASSERT_EQ(run_in(t, NULL, mx_only, NULL), 0, "MX of army.ml");
	if (!ASSERT_EQ(bpf_map_lookup_elem(ffd, &zero, f), 0, "read filter"))
		goto out;
	{
		int n = 0;

		for (size_t i = 0; i < sizeof(f->may); i++)
			n += f->may[i];
		ASSERT_TRUE(n >= 1, "the MX host's byte set by the programs");
	}
	/* As pins of programs that kept no filter. */
	memset(f, 0, sizeof(*f));
	ASSERT_EQ(bpf_map_update_elem(ffd, &zero, f, BPF_ANY), 0,
		  "filter zeroed");
	ASSERT_EQ(bpf_map_update_elem(afd, &zero, &off, BPF_ANY), 0,
		  "disarmed");
	ASSERT_EQ(daemon_stop(t, SIGTERM), 0, "stop");
	if (!ASSERT_EQ(daemon_start(t, t->tc->args), 0, "restart"))
		goto out;
	ASSERT_EQ(bpf_map_lookup_elem(afd, &zero, &on), 0, "read armed");
	ASSERT_EQ(on, 1, "armed after the restart");
	/* Another process: the unit's taint, which alerts here. */
	taints = counter(t, MXG_CNT_TAINTS);
	ASSERT_EQ(run_in(t, NULL, mxhost_connect, "192.0.2.25"), 0,
		  "the MX host's connect, alerted");
	ASSERT_TRUE(counter(t, MXG_CNT_TAINTS) > taints,
		    "its address tainted: the name was looked up");
	err = 0;
out:
	free(f);
	if (ffd >= 0)
		close(ffd);
	if (afd >= 0)
		close(afd);
	return err;
}

const struct tcase datapath_tests[] = {
	{ .name = "seed_block", .fn = t_seed_block, .policy = mil_block,
	  .zone = seed_zone },
	{ .name = "name_filter_rebuilt", .fn = t_name_filter_rebuilt,
	  .policy = mil_block, .zone = seed_zone },
	{ .name = "seed_alert_mode", .fn = t_seed_alert_mode,
	  .policy = mil_block, .zone = seed_zone,
	  .args = { "--mode", "alert" } },
	{ .name = "protected_name_delivered", .fn = t_mx_second_query_clean,
	  .policy = mil_block, .zone = seed_zone },
	{ .name = "exact_and_suffix", .fn = t_exact_and_suffix,
	  .policy = mil_block, .zone = seed_zone },
	{ .name = "allow_overrides", .fn = t_allow_overrides,
	  .policy = mil_block, .zone = seed_zone },
	{ .name = "html_is_not_ml", .fn = t_html_is_not_ml,
	  .policy = mil_block, .zone = seed_zone },
	{ .name = "mixed_case_0x20", .fn = t_mixed_case, .policy = mil_block,
	  .zone = seed_zone },
	{ .name = "cname_chain", .fn = t_cname_chain, .policy = mil_block,
	  .zone = seed_zone },
	{ .name = "srv_target_second_query", .fn = t_srv_target,
	  .policy = mil_block, .zone = seed_zone },
	{ .name = "mx_host_under_lookalike", .fn = t_mx_under_lookalike,
	  .policy = mil_block, .zone = seed_zone },
	{ .name = "aaaa_connect6", .fn = t_aaaa_connect6, .policy = mil_block,
	  .zone = seed_zone },
	{ .name = "v4mapped_connect6", .fn = t_v4mapped_connect6,
	  .policy = mil_block, .zone = seed_zone },
	{ .name = "dns_over_tcp", .fn = t_dns_tcp, .policy = mil_block,
	  .zone = seed_zone },
	{ .name = "dns_ipv6_resolver", .fn = t_dns_ipv6_resolver,
	  .policy = mil_block, .zone = seed_zone },
	{ .name = "unconnected_udp_sendto", .fn = t_sendto_unconnected,
	  .policy = mil_block, .zone = seed_zone },
	{ .name = "unmonitored_port", .fn = t_unmonitored_port,
	  .policy = mil_block, .zone = seed_zone },
	{ .name = "tcp_fastopen", .fn = t_tcp_fastopen, .policy = mil_block,
	  .zone = seed_zone },
	{ .name = "process_scope", .fn = t_process_scope, .policy = mil_block,
	  .zone = seed_zone },
	{ .name = "process_scope_other_cgroup",
	  .fn = t_process_scope_other_cgroup, .policy = mil_block,
	  .zone = seed_zone },
	{ .name = "unit_scope", .fn = t_unit_scope, .policy = mil_block,
	  .zone = seed_zone, .args = { "--scope", "unit" } },
	{ .name = "host_scope", .fn = t_host_scope, .policy = mil_block,
	  .zone = seed_zone, .args = { "--scope", "host" } },
	{ .name = "lookalike_outranks_clean", .fn = t_lookalike_outranks_clean,
	  .policy = mil_block, .zone = seed_zone },
	{ .name = "never_across_processes", .fn = t_never_across_processes,
	  .policy = mil_block, .zone = seed_zone },
	{ .name = "ttl_expiry", .fn = t_ttl_expiry, .policy = mil_block,
	  .zone = seed_zone, .args = { "--ttl-min", "0", "--ttl-max", "1" } },
	{ .name = "daemon_killed", .fn = t_daemon_killed, .policy = mil_block,
	  .zone = seed_zone },
	{ .name = "unload", .fn = t_unload, .policy = mil_block,
	  .zone = seed_zone },
	{ 0 },
};
