// SPDX-License-Identifier: GPL-2.0-only
/*
 * Correspondents on the real kernel, with a real mxguardd: real MX
 * queries through the real programs make example.org a correspondent;
 * its lookalike exampel.org is flagged after that, and only after it.
 *
 * The daemon looks at MX queries in the order they came, so a lookup of
 * a second-look lookalike (gmai1.com, of the protected gmail.com) is a
 * barrier: when its alert is out, every lookup before it was looked at,
 * and an alert for one of them would have come first.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

#define WAIT_MS 5000
#define OUT_SZ (64 * 1024)

static char out[OUT_SZ];

static const struct zrec zone[] = {
	{ "example.org", DNS_MX, 300, "mx.example.org" },
	{ "mx.example.org", DNS_A, 300, "192.0.2.80" },
	{ "exampel.org", DNS_MX, 300, "mx.exampel.org" },
	{ "exampel.org", DNS_A, 300, "192.0.2.81" },
	{ "mx.exampel.org", DNS_A, 300, "192.0.2.81" },
	{ NULL, 0, 0, NULL },
};

static int mx_lookup(void *arg)
{
	/* An answer, whichever: NXDOMAIN for the barrier. */
	return resolve(arg, DNS_MX, VIA_UDP) < 0 ? 201 : 0;
}

static int a_then_connect(void *arg)
{
	if (resolve("mx.exampel.org", DNS_A, VIA_UDP))
		return 201;
	return try_connect(arg, 25);
}

static int connect_example(void *arg)
{
	(void)arg;
	if (resolve("mx.example.org", DNS_A, VIA_UDP))
		return 201;
	return try_connect("192.0.2.80", 25);
}

static int mx(struct tctx *t, const char *name)
{
	return ASSERT_EQ(run_in(t, NULL, mx_lookup, (void *)name), 0,
			 "MX lookup") ? 0 : -1;
}

/* The next finding is @barrier's: nothing before it was flagged. */
static int barrier(struct tctx *t, const char *barrier)
{
	char want[128];
	const char *ev;

	if (mx(t, barrier))
		return -1;
	ev = next_event(t, "lookalike-suspected", WAIT_MS);
	snprintf(want, sizeof(want), "\"lookalike\":\"%s\"", barrier);
	return ASSERT_HAS(ev, want) ? 0 : -1;
}

/*
 * correspondents.conf: no window, frequent after 3 lookups on one day.
 * Block mode, so a finding (of action alert) joins the kernel's policy.
 */
static int t_learnt_then_flagged(struct tctx *t)
{
	char file[4096];
	const char *ev;

	/* Two lookups: a correspondent, not yet a frequent one. */
	if (mx(t, "example.org") || mx(t, "example.org"))
		return -1;
	/* So its lookalike is learnt like any name, and not flagged. */
	if (mx(t, "exampel.org") || barrier(t, "gmai1.com"))
		return -1;
	ASSERT_EQ(run_in(t, NULL, a_then_connect, "192.0.2.81"), 0,
		  "connect before the correspondent is known");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "correspondents"), 0, "correspondents");
	ASSERT_HAS(out, "\nexampel.org ");
	/* A lookalike of a protected name is never a correspondent. */
	ASSERT_TRUE(!strstr(out, "gmai1.com"), "second-look finding learnt");

	/* The third lookup makes example.org frequent ... */
	if (mx(t, "example.org"))
		return -1;
	/* ... and exampel.org, less used and near it, a first sight again. */
	if (mx(t, "exampel.org"))
		return -1;
	ev = next_event(t, "lookalike-suspected", WAIT_MS);
	ASSERT_HAS(ev, "\"lookalike\":\"exampel.org\"");
	ASSERT_HAS(ev, "\"protected\":\"example.org\"");
	ASSERT_HAS(ev, "\"correspondent\":true");
	ASSERT_HAS(ev, "\"method\":\"edit-distance\"");
	ASSERT_HAS(ev, "\"distance\":1");
	ASSERT_HAS(ev, "\"action\":\"alert\"");
	ASSERT_HAS(ev, "\"added_to_policy\":true");
	ASSERT_HAS(ev, "imitates correspondent example.org");
	/* In the kernel's policy: the connect that follows is alerted. */
	ASSERT_EQ(run_in(t, NULL, a_then_connect, "192.0.2.81"), 0,
		  "alert action: the connect goes through");
	ev = next_event(t, "alerted", WAIT_MS);
	ASSERT_HAS(ev, "\"ip\":\"192.0.2.81\"");
	ASSERT_HAS(ev, "\"protected\":\"example.org\"");
	ASSERT_HAS(ev, "\"fuzzer\":\"correspondent\"");
	ASSERT_HAS(ev, "\"name\":\"correspondent example.org\"");

	ASSERT_EQ(ctl(t, out, OUT_SZ, "correspondents"), 0, "correspondents");
	ASSERT_HAS(out, "correspondents: 1 of at most 4096, 1 frequent");
	ASSERT_HAS(out, "swept 1");
	ASSERT_TRUE(!strstr(out, "exampel.org"), "the lookalike is not learnt");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "learned"), 0, "learned");
	ASSERT_HAS(out, "\nexampel.org ");
	ASSERT_HAS(out, " correspondent ");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "stats"), 0, "stats");
	ASSERT_HAS(out, "\"correspondents_learnt\":2,");
	ASSERT_HAS(out, "\"correspondents_lookalikes\":1,");
	ASSERT_HAS(out, "\"correspondents_swept\":1,");

	/* Kept across a restart, with the finding. */
	ASSERT_EQ(daemon_stop(t, SIGTERM), 0, "stop");
	ASSERT_EQ(read_text(t->corr, file, sizeof(file)), 0, "state file");
	ASSERT_HAS(file, "# mxguard correspondents v1\n");
	ASSERT_HAS(file, "\nexample.org 3 1 ");
	if (!ASSERT_EQ(daemon_start(t, t->tc->args), 0, "restart"))
		return -1;
	ASSERT_EQ(ctl(t, out, OUT_SZ, "correspondents"), 0, "after restart");
	ASSERT_HAS(out, "correspondents: 1 of at most 4096, 1 frequent");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "learned"), 0, "learned after restart");
	ASSERT_HAS(out, "\nexampel.org ");
	ASSERT_HAS(out, " correspondent ");
	return 0;
}

/*
 * The default window (seven days from the file's start): a hand-added
 * correspondent's lookalike is not learnt, and not flagged either.
 * Adding and forgetting are root's.
 */
static int t_window(struct tctx *t)
{
	char file[256];

	ASSERT_EQ(ctl(t, out, OUT_SZ, "correspondents add mx.example.org"), 2,
		  "only a registrable domain");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "correspondents add example.org"), 0,
		  "add");
	if (mx(t, "exampel.org") || barrier(t, "gmai1.com"))
		return -1;
	ASSERT_EQ(ctl(t, out, OUT_SZ, "correspondents list"), 0, "list");
	ASSERT_HAS(out, "learning window: until ");
	ASSERT_HAS(out, "not learnt as lookalikes 1");
	ASSERT_HAS(out, "frequent added");
	ASSERT_TRUE(!strstr(out, "exampel.org"), "the lookalike is not learnt");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "correspondents forget example.org"), 0,
		  "forget");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "correspondents forget example.org"), 2,
		  "forget twice");

	/* A file that is not ours to read is left as it is, and said. */
	ASSERT_EQ(daemon_stop(t, SIGTERM), 0, "stop");
	if (write_text(t->corr, "example.org is not a correspondents file\n"))
		return -1;
	if (!ASSERT_EQ(daemon_start(t, t->tc->args), 0, "start on it"))
		return -1;
	ASSERT_EQ(ctl(t, out, OUT_SZ, "correspondents add example.org"), 0,
		  "add, in memory");
	ASSERT_HAS(out, "state file not written");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "learned"), 0, "the second look works");
	ASSERT_EQ(daemon_stop(t, SIGTERM), 0, "stop again");
	ASSERT_EQ(read_text(t->corr, file, sizeof(file)), 0, "the file");
	ASSERT_TRUE(!strcmp(file, "example.org is not a correspondents "
			    "file\n"), "the foreign file left as it was");
	return ASSERT_EQ(daemon_start(t, t->tc->args), 0, "start") ? 0 : -1;
}

/* correspondents_action = block: the operator's choice, refused. */
static int t_block(struct tctx *t)
{
	const char *ev;

	if (mx(t, "example.org") || mx(t, "exampel.org"))
		return -1;
	ev = next_event(t, "lookalike-suspected", WAIT_MS);
	ASSERT_HAS(ev, "\"lookalike\":\"exampel.org\"");
	ASSERT_HAS(ev, "\"action\":\"block\"");
	ASSERT_HAS(ev, "\"correspondent\":true");
	ASSERT_EQ(run_in(t, NULL, a_then_connect, "192.0.2.81"), EPERM,
		  "block action: the connect is refused");
	ev = next_event(t, "blocked", WAIT_MS);
	ASSERT_HAS(ev, "\"ip\":\"192.0.2.81\"");
	ASSERT_HAS(ev, "\"fuzzer\":\"correspondent\"");
	/* The correspondent's own mail flows. */
	ASSERT_EQ(run_in(t, NULL, connect_example, NULL), 0,
		  "connect to the correspondent");
	return 0;
}

#define POLICY "protect gmail.com fuzz=omission\n"

const struct tcase correspondents_tests[] = {
	{ .name = "correspondents_learnt_then_flagged",
	  .fn = t_learnt_then_flagged, .policy = POLICY, .zone = zone,
	  .args = { "--config", "tests/bpf/correspondents.conf" } },
	{ .name = "correspondents_window", .fn = t_window, .policy = POLICY,
	  .zone = zone },
	{ .name = "correspondents_block", .fn = t_block, .policy = POLICY,
	  .zone = zone,
	  .args = { "--config", "tests/bpf/correspondents-block.conf" } },
	{ 0 },
};
