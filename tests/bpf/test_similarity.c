// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel's similarity match on the real kernel (bpf/similar.bpf.h):
 * protect example.org with no fuzzer that makes its one-edit names, and a
 * question for one of them still taints its answer before the connect,
 * like a rule's match: refused in block mode, alerted in alert mode or
 * under action=alert, named after the protect line with fuzzer
 * "similarity".  The protected name itself, an unrelated name and another
 * suffix are not touched, and a reload keeps the verdict of an answer
 * already given while the name it imitates is still protected.  A moved
 * dot (comcastn.et for comcast.net: the same bytes run together) is the
 * kernel's too, through the rule-shaped entries the policy walk finds.
 * A label of 5 letters or fewer without its first letter is no match
 * (mail.org for gmail.org: MXG_SIM_SHORT), in the kernel or after it.
 * Two edits of a label of 8 letters or more (prtonmal.com) are the
 * kernel's too; three, or two of a 7-letter label, are not.  The first
 * letter's rules follow the word list (vahoo.org refused, fmail.org not).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "mxguard/abi.h"

#define WAIT_MS 5000
#define OUT_SZ (64 * 1024)

static char out[OUT_SZ];

static const struct zrec zone[] = {
	{ "exmaple.org", DNS_MX, 300, "mx.exmaple.org" },
	{ "mx.exmaple.org", DNS_A, 300, "192.0.2.80" },
	{ "exampl.org", DNS_A, 300, "192.0.2.81" },
	{ "examplee.org", DNS_A, 300, "192.0.2.82" },
	{ "unrelated.org", DNS_A, 300, "192.0.2.83" },
	{ "example.org", DNS_A, 300, "192.0.2.84" },
	{ "exmaple.com", DNS_A, 300, "192.0.2.85" },
	{ "comcastn.et", DNS_MX, 300, "mx.comcastn.et" },
	{ "mx.comcastn.et", DNS_A, 300, "192.0.2.86" },
	{ "comcas.tnet", DNS_A, 300, "192.0.2.87" },
	{ "comcast.net", DNS_A, 300, "192.0.2.88" },
	{ "comcastx.et", DNS_A, 300, "192.0.2.89" },
	{ "example.net", DNS_A, 300, "192.0.2.90" },
	{ "mail.org", DNS_A, 300, "192.0.2.91" },
	{ "gmai.org", DNS_A, 300, "192.0.2.92" },
	{ "mgail.org", DNS_A, 300, "192.0.2.93" },
	{ "prtonmal.com", DNS_A, 300, "192.0.2.94" },
	{ "pretonmai.com", DNS_A, 300, "192.0.2.95" },
	{ "potommail.com", DNS_A, 300, "192.0.2.96" },
	{ "prtoxnmal.com", DNS_A, 300, "192.0.2.97" },
	{ "pro-onmai.com", DNS_A, 300, "192.0.2.98" },
	{ "htmal.com", DNS_A, 300, "192.0.2.99" },
	{ "protonmail.com", DNS_A, 300, "192.0.2.100" },
	{ "vahoo.org", DNS_A, 300, "192.0.2.101" },
	{ "ahoo.org", DNS_A, 300, "192.0.2.102" },
	{ "gmsn.org", DNS_MX, 300, "mx.gmsn.org" },
	{ "mx.gmsn.org", DNS_A, 300, "192.0.2.103" },
	{ "fmail.org", DNS_A, 300, "192.0.2.104" },
	{ "email.org", DNS_A, 300, "192.0.2.105" },
	{ NULL, 0, 0, NULL },
};

struct lc {
	const char *name, *ip;
};

static int a_then_connect(void *arg)
{
	const struct lc *lc = arg;

	if (resolve(lc->name, DNS_A, VIA_UDP))
		return 201;
	return try_connect(lc->ip, 25);
}

/* A recipient domain, its MX host and that host's address. */
struct chain {
	const char *domain, *mx, *ip;
};

static const struct chain exmaple = { "exmaple.org", "mx.exmaple.org",
				      "192.0.2.80" };
static const struct chain comcastn = { "comcastn.et", "mx.comcastn.et",
				       "192.0.2.86" };
static const struct chain gmsn = { "gmsn.org", "mx.gmsn.org",
				   "192.0.2.103" };

/* The recipient domain's MX, its host's address, then :25. */
static int mx_chain(void *arg)
{
	const struct chain *c = arg;

	if (resolve(c->domain, DNS_MX, VIA_UDP))
		return 201;
	if (resolve(c->mx, DNS_A, VIA_UDP))
		return 202;
	return try_connect(c->ip, 25);
}

static int connect_only(void *arg)
{
	return try_connect(arg, 25);
}

/*
 * The next @action verdict, for @ip, of a rule of @fuzzer that names
 * @lookalike imitating @protected; NULL (and failed) if it is not that.
 */
static const char *verdict_by(struct tctx *t, const char *action,
			      const char *ip, const char *lookalike,
			      const char *protected, const char *fuzzer)
{
	char want[128];
	const char *ev = next_event(t, action, WAIT_MS);

	snprintf(want, sizeof(want), "\"ip\":\"%s\"", ip);
	if (!ASSERT_HAS(ev, want))
		return NULL;
	snprintf(want, sizeof(want), "\"lookalike\":\"%s\"", lookalike);
	ASSERT_HAS(ev, want);
	snprintf(want, sizeof(want), "\"protected\":\"%s\"", protected);
	ASSERT_HAS(ev, want);
	snprintf(want, sizeof(want), "\"fuzzer\":\"%s\"", fuzzer);
	return ASSERT_HAS(ev, want) ? ev : NULL;
}

/*
 * The connect verdict @action for @ip, as a similarity match of line 1,
 * protecting @protected; -1 if it is not that.
 */
static int verdict_of(struct tctx *t, const char *action, const char *ip,
		      const char *lookalike, const char *protected)
{
	char want[128];
	const char *ev = verdict_by(t, action, ip, lookalike, protected,
				    "similarity");

	if (!ev)
		return -1;
	snprintf(want, sizeof(want), "\"name\":\"protect %s (similarity)\"",
		 protected);
	ASSERT_HAS(ev, want);
	ASSERT_HAS(ev, "\"line\":1");
	snprintf(want, sizeof(want), "\"action\":\"%s\"",
		 strcmp(action, "blocked") ? "alert" : "block");
	ASSERT_HAS(strstr(ev, "\"mxguard\":"), want);	/* the rule's */
	return 0;
}

static int verdict(struct tctx *t, const char *action, const char *ip,
		   const char *lookalike)
{
	return verdict_of(t, action, ip, lookalike, "example.org");
}

/* Each of @n names resolved and connected to: every connect goes out. */
static int all_connect(struct tctx *t, const struct lc *clean, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!ASSERT_EQ(run_in(t, NULL, a_then_connect,
				      (void *)&clean[i]), 0, clean[i].name))
			return -1;
	return 0;
}

/* Each of @names refused with EPERM, its verdict naming @protected. */
static int all_refused(struct tctx *t, const struct lc *names, size_t n,
		       const char *protected)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!ASSERT_EQ(run_in(t, NULL, a_then_connect,
				      (void *)&names[i]), EPERM, names[i].name))
			return -1;
		if (verdict_of(t, "blocked", names[i].ip, names[i].name,
			       protected))
			return -1;
	}
	return 0;
}

/* Neither the protected name nor an unrelated one, nor another suffix. */
static int clean_ones(struct tctx *t)
{
	static const struct lc clean[] = {
		{ "example.org", "192.0.2.84" },
		{ "unrelated.org", "192.0.2.83" },
		{ "exmaple.com", "192.0.2.85" },
	};

	return all_connect(t, clean, sizeof(clean) / sizeof(clean[0]));
}

static int t_block(struct tctx *t)
{
	static const struct lc names[] = {
		{ "exampl.org", "192.0.2.81" },		/* deletion */
		{ "examplee.org", "192.0.2.82" },	/* insertion */
	};
	long long before = counter(t, MXG_CNT_SIM_MATCH);
	const char *ev;
	size_t i;

	if (clean_ones(t))
		return -1;
	/* The MX chain: the answer's MX host inherits the match. */
	if (!ASSERT_EQ(run_in(t, NULL, mx_chain, (void *)&exmaple), EPERM,
		       "connect to the MX of exmaple.org"))
		return -1;
	ev = next_event(t, "dns-lookalike-query", WAIT_MS);
	ASSERT_HAS(ev, "\"dns\":{\"question\":{\"name\":\"exmaple.org\"}}");
	ASSERT_HAS(ev, "\"protected\":\"example.org\"");
	if (verdict(t, "blocked", "192.0.2.80", "exmaple.org"))
		return -1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!ASSERT_EQ(run_in(t, NULL, a_then_connect,
				      (void *)&names[i]), EPERM, names[i].name))
			return -1;
		if (verdict(t, "blocked", names[i].ip, names[i].name))
			return -1;
	}
	/* Three questions matched at egress (the MX host is tainted). */
	ASSERT_EQ(counter(t, MXG_CNT_SIM_MATCH) - before, 3,
		  "similarity matches counted");
	return 0;
}

/*
 * A reload keeps the verdict of an answer already given (host scope, so
 * another process's connect is judged by it): the MTA need not look the
 * name up again for it to hold, while example.org is still protected.
 */
static int t_reload(struct tctx *t)
{
	static const struct lc l = { "exampl.org", "192.0.2.81" };

	if (!ASSERT_EQ(run_in(t, NULL, a_then_connect, (void *)&l), EPERM,
		       "connect before the reload"))
		return -1;
	ASSERT_EQ(ctl(t, out, OUT_SZ, "reload"), 0, "reload");
	if (!ASSERT_EQ(run_in(t, NULL, connect_only, "192.0.2.81"), EPERM,
		       "connect after the reload"))
		return -1;
	/* Unprotected, the name's records end with the next reload. */
	if (write_text(t->policy_path, "protect other.org fuzz=tld-swap\n"))
		return -1;
	ASSERT_EQ(ctl(t, out, OUT_SZ, "reload"), 0, "reload without it");
	return ASSERT_EQ(run_in(t, NULL, connect_only, "192.0.2.81"), 0,
			 "connect once example.org is not protected") ? 0 : -1;
}

/* action=alert (the default): the mail flows, the connect is alerted. */
static int t_alert_action(struct tctx *t)
{
	static const struct lc l = { "exampl.org", "192.0.2.81" };

	if (clean_ones(t))
		return -1;
	if (!ASSERT_EQ(run_in(t, NULL, a_then_connect, (void *)&l), 0,
		       "connect under action=alert"))
		return -1;
	if (verdict(t, "alerted", "192.0.2.81", "exampl.org"))
		return -1;
	if (!ASSERT_EQ(run_in(t, NULL, mx_chain, (void *)&exmaple), 0,
		       "MX chain"))
		return -1;
	return verdict(t, "alerted", "192.0.2.80", "exmaple.org");
}

/* --mode alert with action=block: a dry run, alerted, rule says block. */
static int t_alert_mode(struct tctx *t)
{
	const char *ev;

	if (clean_ones(t))
		return -1;
	if (!ASSERT_EQ(run_in(t, NULL, mx_chain, (void *)&exmaple), 0,
		       "connect in alert mode"))
		return -1;
	ev = next_event(t, "alerted", WAIT_MS);
	ASSERT_HAS(ev, "\"ip\":\"192.0.2.80\"");
	ASSERT_HAS(ev, "\"mode\":\"alert\"");
	ASSERT_HAS(ev, "\"action\":\"block\"");
	ASSERT_HAS(ev, "\"fuzzer\":\"similarity\"");
	ASSERT_HAS(ev, "\"lookalike\":\"exmaple.org\"");
	return 0;
}

/*
 * The protected name itself, a two-label name one byte off the moved dot
 * (comcastx.et) and an unrelated one: untouched.
 */
static int dot_clean_ones(struct tctx *t)
{
	static const struct lc clean[] = {
		{ "comcast.net", "192.0.2.88" },
		{ "comcastx.et", "192.0.2.89" },
		{ "example.net", "192.0.2.90" },
	};

	return all_connect(t, clean, sizeof(clean) / sizeof(clean[0]));
}

/* Block mode, action=block: moved dots refused, the MX chain with them. */
static int t_dot_block(struct tctx *t)
{
	static const struct lc left = { "comcas.tnet", "192.0.2.87" };
	long long before = counter(t, MXG_CNT_QUERY_MATCH);
	long long sim = counter(t, MXG_CNT_SIM_MATCH);
	const char *ev;

	if (dot_clean_ones(t))
		return -1;
	if (!ASSERT_EQ(run_in(t, NULL, mx_chain, (void *)&comcastn), EPERM,
		       "connect to the MX of comcastn.et"))
		return -1;
	ev = next_event(t, "dns-lookalike-query", WAIT_MS);
	ASSERT_HAS(ev, "\"dns\":{\"question\":{\"name\":\"comcastn.et\"}}");
	ASSERT_HAS(ev, "\"protected\":\"comcast.net\"");
	if (verdict_of(t, "blocked", "192.0.2.86", "comcastn.et",
		       "comcast.net"))
		return -1;
	if (!ASSERT_EQ(run_in(t, NULL, a_then_connect, (void *)&left), EPERM,
		       left.name))
		return -1;
	if (verdict_of(t, "blocked", left.ip, left.name, "comcast.net"))
		return -1;
	/*
	 * The policy walk's match: counted as a rule's (the MX question,
	 * its host under it, comcas.tnet), not by query_similar.
	 */
	ASSERT_EQ(counter(t, MXG_CNT_QUERY_MATCH) - before, 3,
		  "moved-dot questions counted");
	ASSERT_EQ(counter(t, MXG_CNT_SIM_MATCH) - sim, 0,
		  "not the first label's match");
	return 0;
}

/* action=alert (the default): the connect goes through, alerted. */
static int t_dot_alert(struct tctx *t)
{
	if (dot_clean_ones(t))
		return -1;
	if (!ASSERT_EQ(run_in(t, NULL, mx_chain, (void *)&comcastn), 0,
		       "MX chain under action=alert"))
		return -1;
	return verdict_of(t, "alerted", "192.0.2.86", "comcastn.et",
			  "comcast.net");
}

/*
 * A short label (MXG_SIM_SHORT): its first letter dropped is clean, in
 * the kernel and in the second look, while its other edits are refused.
 */
static int t_short_first(struct tctx *t)
{
	static const struct lc clean = { "mail.org", "192.0.2.91" };
	static const struct lc names[] = {
		{ "gmai.org", "192.0.2.92" },		/* the last dropped */
		{ "mgail.org", "192.0.2.93" },		/* the first two swap */
	};
	long long before = counter(t, MXG_CNT_SIM_MATCH);

	if (all_connect(t, &clean, 1))
		return -1;
	if (all_refused(t, names, sizeof(names) / sizeof(names[0]),
			"gmail.org"))
		return -1;
	ASSERT_EQ(counter(t, MXG_CNT_SIM_MATCH) - before, 2,
		  "similarity matches counted");
	/* mail.org again, after the second look had its time: still goes. */
	return all_connect(t, &clean, 1);
}

/*
 * Two edits of a label of 8 letters or more (MXG_SIM_LONG): two omissions,
 * and an omission with a substitution at either alignment, refused at the
 * connect and named after protonmail.com; three edits, a hyphen put in,
 * and two omissions from a 7-letter label (hotmail.com) go through.
 */
static int t_two_edits(struct tctx *t)
{
	static const struct lc clean[] = {
		{ "protonmail.com", "192.0.2.100" },
		{ "prtoxnmal.com", "192.0.2.97" },	/* three edits */
		{ "pro-onmai.com", "192.0.2.98" },	/* a hyphen in */
		{ "htmal.com", "192.0.2.99" },		/* 7 letters */
	};
	static const struct lc names[] = {
		{ "prtonmal.com", "192.0.2.94" },	/* o, i dropped */
		{ "pretonmai.com", "192.0.2.95" },	/* o->e, l dropped */
		{ "potommail.com", "192.0.2.96" },	/* r dropped, n->m */
	};
	long long before = counter(t, MXG_CNT_SIM_MATCH);

	if (all_connect(t, clean, sizeof(clean) / sizeof(clean[0])))
		return -1;
	if (all_refused(t, names, sizeof(names) / sizeof(names[0]),
			"protonmail.com"))
		return -1;
	ASSERT_EQ(counter(t, MXG_CNT_SIM_MATCH) - before, 3,
		  "two-edit matches counted");
	/* Again, after the second look had its time: still clean. */
	return all_connect(t, clean, sizeof(clean) / sizeof(clean[0]));
}

/* The blocked verdict for @ip: a rule of @fuzzer, imitating @protected. */
static int rule_refusal(struct tctx *t, const char *ip, const char *name,
			const char *protected, const char *fuzzer)
{
	return verdict_by(t, "blocked", ip, name, protected, fuzzer) ? 0 : -1;
}

/*
 * The first letter by the word list (user/lib/words.h), in the kernel's
 * rules: "ahoo" and "msn" are no words, so any letter in yahoo's first
 * place, yahoo's first dropped and any letter before msn make names the
 * policy refuses at the connect (vahoo.org, ahoo.org, gmsn.org's MX host);
 * "mail" is one, so gmail's first letter is the brand, and fmail.org (a
 * key next to g) and email.org (a bit flipped) go, before and after the
 * second look had its time.
 */
static int t_first_letter_words(struct tctx *t)
{
	static const struct lc clean[] = {
		{ "fmail.org", "192.0.2.104" },
		{ "email.org", "192.0.2.105" },
	};
	static const struct lc vahoo = { "vahoo.org", "192.0.2.101" };
	static const struct lc ahoo = { "ahoo.org", "192.0.2.102" };

	if (all_connect(t, clean, sizeof(clean) / sizeof(clean[0])))
		return -1;
	if (!ASSERT_EQ(run_in(t, NULL, a_then_connect, (void *)&vahoo), EPERM,
		       vahoo.name) ||
	    rule_refusal(t, vahoo.ip, vahoo.name, "yahoo.org", "replacement"))
		return -1;
	if (!ASSERT_EQ(run_in(t, NULL, a_then_connect, (void *)&ahoo), EPERM,
		       ahoo.name) ||
	    rule_refusal(t, ahoo.ip, ahoo.name, "yahoo.org", "omission"))
		return -1;
	if (!ASSERT_EQ(run_in(t, NULL, mx_chain, (void *)&gmsn), EPERM,
		       "connect to the MX of gmsn.org") ||
	    rule_refusal(t, "192.0.2.103", "gmsn.org", "msn.org",
			 "insertion"))
		return -1;
	return all_connect(t, clean, sizeof(clean) / sizeof(clean[0]));
}

#define PROTECT_DOT	"protect comcast.net fuzz=tld-swap"

#define PROTECT		"protect example.org fuzz=tld-swap"

const struct tcase similarity_tests[] = {
	{ .name = "similarity_block", .fn = t_block,
	  .policy = PROTECT " action=block\n", .zone = zone },
	{ .name = "similarity_alert_action", .fn = t_alert_action,
	  .policy = PROTECT "\n", .zone = zone },
	{ .name = "similarity_alert_mode", .fn = t_alert_mode,
	  .policy = PROTECT " action=block\n", .zone = zone,
	  .args = { "--mode", "alert" } },
	{ .name = "similarity_reload", .fn = t_reload,
	  .policy = PROTECT " action=block\n", .zone = zone,
	  .args = { "--scope", "host" } },
	{ .name = "similarity_dot_block", .fn = t_dot_block,
	  .policy = PROTECT_DOT " action=block\n", .zone = zone },
	{ .name = "similarity_dot_alert", .fn = t_dot_alert,
	  .policy = PROTECT_DOT "\n", .zone = zone },
	{ .name = "similarity_short_first", .fn = t_short_first,
	  .policy = "protect gmail.org fuzz=tld-swap action=block\n",
	  .zone = zone },
	{ .name = "similarity_first_letter_words", .fn = t_first_letter_words,
	  .policy = "protect yahoo.org fuzz=replacement,omission "
		    "action=block\n"
		    "protect msn.org fuzz=insertion action=block\n"
		    "protect gmail.org fuzz=replacement,insertion,bitsquatting "
		    "action=block\n",
	  .zone = zone },
	{ .name = "similarity_two_edits", .fn = t_two_edits,
	  .policy = "protect protonmail.com action=block\n"
		    "protect hotmail.com action=block\n",
	  .zone = zone },
	{ 0 },
};
