// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fail closed, on the real kernel: the owner of a lookalike zone chooses the
 * size, shape and transport of its answers.  Whatever the datapath cannot
 * read to the end is held back in block mode (the client's lookup times
 * out), counted and reported; answers it can read taint every address.
 * Each case has a clean control that must still resolve and connect.
 *
 * Addresses: 192.0.2.0/24 lookalike hosts, 198.51.100.0/24 legitimate ones,
 * 198.18.0.0/15 (benchmarking) for answers with hundreds of records.  All of
 * them are local to the test's own network namespace.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "harness.h"
#include "loader.h"
#include "mxguard/abi.h"

#define WAIT_MS		5000
#define HELD_WAIT_MS	1500	/* a held answer: the lookup times out */

static const char mil_block[] =
	"lookalike ml of mil action=block\n"
	"lookalike partnr.com of partner.com action=block\n"
	"lookalike gmial.com of gmail.com action=block\n"
	"allow protonmail.ch\n";

static const struct zrec zone[] = {
	{ "tcp.ml", DNS_A, 300, "192.0.2.32" },
	{ "v6.ml", DNS_AAAA, 300, "2001:db8::26" },
	{ "v6.example", DNS_AAAA, 300, "2001:db8::27" },
	{ "shared.ml", DNS_A, 300, "192.0.2.31" },
	{ "shared.example", DNS_A, 300, "192.0.2.31" },
	{ "partnr.com", DNS_A, 300, "192.0.2.33" },
	{ "partner.com", DNS_A, 300, "192.0.2.33" },
	{ "gmial.com", DNS_MX, 300, "mail.protonmail.ch" },
	{ "mail.protonmail.ch", DNS_A, 300, "192.0.2.40" },
	{ "mx.army.mil", DNS_A, 300, "198.51.100.25" },
	{ NULL, 0, 0, NULL },
};

/* The @i-th address of a big answer (198.18.0.0/15 holds 131,072). */
static void nth_addr(int i, char *out, size_t sz)
{
	snprintf(out, sz, "198.%d.%d.%d", 18 + ((i >> 16) & 1), (i >> 8) & 0xff,
		 i & 0xff);
}

/*
 * Crafted answers, by the question's first label:
 *   many  40 A records, 192.0.2.100 and up
 *   big   300 A records (4.8 KB, beyond MXG_DNS_MAX)
 *   broken  one A record, then one whose RDLENGTH runs past the end
 *   flood-N  25 A records, the N-th block of 198.18.0.0/15
 */
static int crafted(const char *qname, uint16_t qtype, struct dnsmsg *m)
{
	char ip[32];
	int i, n = 0, base = 0;
	size_t at;

	if (qtype != DNS_A)
		return 0;
	if (!strncmp(qname, "many.", 5)) {
		for (i = 0; i < 40; i++) {
			snprintf(ip, sizeof(ip), "192.0.2.%d", 100 + i);
			dm_a(m, DM_AN, NULL, 300, ip);
		}
		return 1;
	}
	if (!strncmp(qname, "big.", 4))
		n = 300;
	else if (sscanf(qname, "flood-%d.", &base) == 1)
		n = 25;
	if (n) {
		for (i = 0; i < n; i++) {
			nth_addr(base * n + i + 1, ip, sizeof(ip));
			dm_a(m, DM_AN, NULL, 300, ip);
		}
		return 1;
	}
	if (!strncmp(qname, "broken.", 7)) {
		dm_a(m, DM_AN, NULL, 300, "192.0.2.41");
		dm_name(m, NULL);
		at = dm_rr_head(m, DM_AN, DNS_A, 300);
		dm_u8(m, 192);
		dm_rdlen_patch(m, at);
		m->buf[at] = 0x40;		/* RDLENGTH past the end */
		return 1;
	}
	return 0;
}

struct step {
	const char *qname;
	uint16_t qtype;
	int via;
	const char *ip;			/* then connect here, port 25 */
};

/* Resolve, then connect; the exit status is the connect's errno. */
static int resolve_connect(void *arg)
{
	const struct step *s = arg;
	int rc = resolve(s->qname, s->qtype, s->via);

	if (rc != 0)
		return 200 + (rc < 0 ? 1 : rc);
	return s->ip ? try_connect(s->ip, 25) : 0;
}

/* The lookup alone; 0 if answered, 201 if it timed out (held back). */
static int lookup(void *arg)
{
	const struct step *s = arg;

	resolve_timeout_ms = HELD_WAIT_MS;
	return resolve_connect(arg) == 0 ? 0 :
	       resolve(s->qname, s->qtype, s->via) == -ETIMEDOUT ? 201 : 202;
}

static int route_bench_range(void)
{
	char out[256];

	return run_cmd(out, sizeof(out),
		       "ip route add local 198.18.0.0/15 dev lo");
}

static int expect(struct tctx *t, const struct step *s, int want,
		  const char *what)
{
	return ASSERT_EQ(run_in(t, NULL, resolve_connect, (void *)s), want,
			 what) ? 0 : -1;
}

/* --- leak 1: more records than the old bound ----------------------------- */

static int t_udp_40_records(struct tctx *t)
{
	if (expect(t, &(struct step){ "many.ml", DNS_A, VIA_UDP,
				      "192.0.2.129" }, EPERM,
		   "connect to the 30th address"))
		return -1;
	ASSERT_HAS(next_event(t, "blocked", WAIT_MS), "\"ip\":\"192.0.2.129\"");
	return expect(t, &(struct step){ "many.example", DNS_A, VIA_UDP,
					 "192.0.2.129" }, 0,
		      "clean control: another process, clean name");
}

/* --- leak 2: larger than the bytes read in full -------------------------- */

static int t_udp_too_big_held(struct tctx *t)
{
	struct step big = { "big.ml", DNS_A, VIA_UDP, NULL };
	struct step clean = { "big.example", DNS_A, VIA_UDP, NULL };
	const char *ev;

	if (!ASSERT_EQ(run_in(t, NULL, lookup, &big), 201,
		       "lookalike answer of 4.8 KB: the lookup times out"))
		return -1;
	ev = next_event(t, "dns-answer-held", WAIT_MS);
	ASSERT_HAS(ev, "\"reason\":\"message-too-large\"");
	ASSERT_HAS(ev, "\"question\":{\"name\":\"big.ml\"}");
	ASSERT_HAS(ev, "\"transport\":\"udp\"");
	ASSERT_HAS(ev, "\"server\":{\"ip\":\"127.0.0.1\",\"port\":53}");
	ASSERT_TRUE(counter(t, MXG_CNT_HELD) >= 1, "held counted");
	return ASSERT_EQ(run_in(t, NULL, lookup, &clean), 0,
			 "clean control: the same size resolves") ? 0 : -1;
}

static int t_udp_too_big_alert_mode(struct tctx *t)
{
	struct step big = { "big.ml", DNS_A, VIA_UDP, NULL };
	const char *ev;

	if (!ASSERT_EQ(run_in(t, NULL, lookup, &big), 0,
		       "alert mode: the answer passes"))
		return -1;
	ev = next_event(t, "dns-answer-incomplete", WAIT_MS);
	ASSERT_HAS(ev, "\"reason\":\"message-too-large\"");
	ASSERT_HAS(ev, "\"held\":false");
	return ASSERT_EQ(counter(t, MXG_CNT_INCOMPLETE), 1,
			 "incomplete counted") ? 0 : -1;
}

/* --- leak 4: a malformed record after a matched question ----------------- */

static int t_udp_malformed_held(struct tctx *t)
{
	struct step bad = { "broken.ml", DNS_A, VIA_UDP, NULL };
	struct step clean = { "broken.example", DNS_A, VIA_UDP, NULL };

	if (!ASSERT_EQ(run_in(t, NULL, lookup, &bad), 201,
		       "malformed lookalike answer held back"))
		return -1;
	ASSERT_HAS(next_event(t, "dns-answer-held", WAIT_MS),
		   "\"reason\":\"malformed-record\"");
	return ASSERT_EQ(run_in(t, NULL, lookup, &clean), 0,
			 "clean control: passes as it is") ? 0 : -1;
}

/* --- leak 5: IPv6 extension headers -------------------------------------- */

static int t_ipv6_ext_headers(struct tctx *t)
{
	if (expect(t, &(struct step){ "v6.ml", DNS_AAAA, VIA_UDP6,
				      "2001:db8::26" }, EPERM,
		   "answer behind hop-by-hop and destination options"))
		return -1;
	ASSERT_HAS(next_event(t, "blocked", WAIT_MS), "\"ip\":\"2001:db8::26\"");
	return expect(t, &(struct step){ "v6.example", DNS_AAAA, VIA_UDP6,
					 "2001:db8::27" }, 0, "clean control");
}

/* --- leak 6: an MX host under an allow rule ------------------------------ */

static int gmial_steps(void *arg)
{
	(void)arg;
	if (resolve("gmial.com", DNS_MX, VIA_UDP) ||
	    resolve("mail.protonmail.ch", DNS_A, VIA_UDP))
		return 201;
	return try_connect("192.0.2.40", 25);
}

static int t_mx_host_under_allow(struct tctx *t)
{
	if (!ASSERT_EQ(run_in(t, NULL, gmial_steps, NULL), EPERM,
		       "gmial.com MX mail.protonmail.ch: refused"))
		return -1;
	ASSERT_HAS(next_event(t, "blocked", WAIT_MS),
		   "\"lookalike\":\"gmial.com\"");
	/* Another process asks for the provider itself: allowed (alerted). */
	return expect(t, &(struct step){ "mail.protonmail.ch", DNS_A, VIA_UDP,
					 "192.0.2.40" }, 0,
		      "clean control: the provider for its own name");
}

/* --- leak 7: a clean answer clears a live taint -------------------------- */

/* Exim: route every recipient, then fork the transport, which connects. */
static int exim_like(void *arg)
{
	const char *const *names = arg;
	pid_t pid;

	if (resolve(names[0], DNS_A, VIA_UDP) ||
	    resolve(names[1], DNS_A, VIA_UDP))
		return 201;
	pid = fork();
	if (pid == 0)
		_exit(try_connect("192.0.2.33", 25));
	return run_wait(pid);
}

/* Postfix: one delivery, its connect, then the next delivery. */
static int postfix_like(void *arg)
{
	int first;

	(void)arg;
	if (resolve("partnr.com", DNS_A, VIA_UDP))
		return 201;
	first = try_connect("192.0.2.33", 25);
	if (first != EPERM)
		return 202;
	if (resolve("partner.com", DNS_A, VIA_UDP))
		return 203;
	return try_connect("192.0.2.33", 25);
}

static int t_clean_does_not_clear(struct tctx *t)
{
	static const char *const bad_first[] = { "partnr.com", "partner.com" };
	static const char *const good_first[] = { "partner.com", "partnr.com" };

	if (!ASSERT_EQ(run_in(t, NULL, exim_like, (void *)bad_first), EPERM,
		       "lookalike, then clean, then the transport connects") ||
	    !ASSERT_EQ(run_in(t, NULL, exim_like, (void *)good_first), EPERM,
		       "clean, then lookalike, then the transport connects"))
		return -1;
	ASSERT_TRUE(counter(t, MXG_CNT_CLEAN_KEPT) >= 1,
		    "clean answer kept the taint");
	/* Once a connect acted on the taint, the next delivery is its own. */
	return ASSERT_EQ(run_in(t, NULL, postfix_like, NULL), 0,
			 "clean control: a later delivery in the same process")
	       ? 0 : -1;
}

/* --- harm: a lookalike's MX names a provider's shared MX host ----------- */

/*
 * partnr.com (the lookalike) and partner.com (clean) on one provider's MX
 * host, as gmial.com could name aspmx.l.google.com, every Workspace
 * customer's.
 */
static const struct zrec shared_zone[] = {
	{ "partnr.com", DNS_MX, 300, "mx.provider.example" },
	{ "partner.com", DNS_MX, 300, "mx.provider.example" },
	{ "mx.provider.example", DNS_A, 300, "198.51.100.50" },
	{ "mx.provider.example", DNS_AAAA, 300, "2001:db8::50" },
	{ NULL, 0, 0, NULL },
};

/*
 * One process's lookups and connects, in order: a lookup (@qname), or a
 * connect to @ip:25 (from a forked child with @fork, as Exim's transport)
 * that must end in errno @want.  0 if all did; else 100 + the first act
 * that did not, 150 + it for a lookup that failed.
 */
struct act {
	const char *qname;
	uint16_t qtype;
	const char *ip;
	int want;
	int fork;
};

static int forked_connect(const char *ip)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(try_connect(ip, 25));
	return pid < 0 ? -1 : run_wait(pid);
}

static int play(void *arg)
{
	const struct act *a = arg;
	int i, err;

	for (i = 0; a[i].qname || a[i].ip; i++) {
		if (a[i].qname) {
			if (resolve(a[i].qname, a[i].qtype, VIA_UDP))
				return 150 + i;
			continue;
		}
		err = a[i].fork ? forked_connect(a[i].ip) :
				  try_connect(a[i].ip, 25);
		if (err != a[i].want)
			return 100 + i;
	}
	return 0;
}

#define MX(n)		{ n, DNS_MX, NULL, 0, 0 }
#define HOST_A		{ "mx.provider.example", DNS_A, NULL, 0, 0 }
#define HOST_AAAA	{ "mx.provider.example", DNS_AAAA, NULL, 0, 0 }
#define CONNECT(ip, e)	{ NULL, 0, ip, e, 0 }
#define V4		"198.51.100.50"
#define V6		"2001:db8::50"

/*
 * Postfix: one smtp process serves one delivery after another.  Once the
 * lookalike's delivery was refused, the next one, to the clean domain on
 * the same MX host, goes out; and the one after, to the lookalike again,
 * is refused again.
 */
static int t_shared_mx_next_delivery(struct tctx *t)
{
	static const struct act postfix[] = {
		MX("partnr.com"), HOST_A, CONNECT(V4, EPERM),
		MX("partner.com"), HOST_A, CONNECT(V4, 0),
		/* Both types; refused, Postfix tries every address. */
		MX("partnr.com"), HOST_A, HOST_AAAA, CONNECT(V6, EPERM),
		CONNECT(V4, EPERM),
		MX("partner.com"), HOST_A, HOST_AAAA, CONNECT(V6, 0),
		{ 0 },
	};

	if (!ASSERT_EQ(run_in(t, NULL, play, (void *)postfix), 0,
		       "refused, delivered, refused, delivered (0 = all)"))
		return -1;
	/* Answers, not queries: A, then A and AAAA (NODATA counts too). */
	ASSERT_EQ(counter(t, MXG_CNT_NAMES_CLEARED), 3,
		  "mx_names_cleared: the three answers made clean");
	return 0;
}

/*
 * What must still be refused: the clean MX answer arrives before the
 * process holds the host's addresses tainted; Exim routes both recipients
 * (the lookalike's first), then its transport connects; an address type
 * the lookalike's delivery never resolved.
 */
static int t_shared_mx_no_leak(struct tctx *t)
{
	static const struct act early[] = {
		MX("partnr.com"), MX("partner.com"), HOST_A,
		CONNECT(V4, EPERM), { 0 },
	};
	static const struct act exim[] = {
		MX("partnr.com"), HOST_A, MX("partner.com"), HOST_A,
		{ NULL, 0, V4, EPERM, 1 }, { 0 },
	};
	static const struct act other_type[] = {
		MX("partnr.com"), HOST_A, MX("partner.com"), HOST_AAAA,
		CONNECT(V6, EPERM), { 0 },
	};
	static const struct act clean_first[] = {
		MX("partner.com"), HOST_A, MX("partnr.com"), HOST_A,
		CONNECT(V4, EPERM), { 0 },
	};

	ASSERT_EQ(run_in(t, NULL, play, (void *)early), 0,
		  "clean MX before the host was resolved: refused");
	ASSERT_EQ(run_in(t, NULL, play, (void *)exim), 0,
		  "Exim: both routed, then the transport: refused");
	ASSERT_EQ(run_in(t, NULL, play, (void *)other_type), 0,
		  "AAAA the lookalike's lookup never tainted: refused");
	ASSERT_EQ(run_in(t, NULL, play, (void *)clean_first), 0,
		  "clean delivery first, then the lookalike: refused");
	return 0;
}

/*
 * Unit scope (OpenSMTPD's, or Postfix run so): one smtp process's
 * lookalike taints the host name for the unit; another process's clean
 * delivery on that host goes out, and refuses again once that process has
 * a lookalike answer of its own.
 */
static int t_shared_mx_unit(struct tctx *t)
{
	static const struct act bad[] = {
		MX("partnr.com"), HOST_A, CONNECT(V4, EPERM), { 0 },
	};
	static const struct act good[] = {
		MX("partner.com"), HOST_A, CONNECT(V4, 0), { 0 },
	};
	static const struct act turned[] = {
		MX("partner.com"), MX("partnr.com"), HOST_A,
		CONNECT(V4, EPERM), { 0 },
	};

	if (!ASSERT_EQ(run_in(t, NULL, play, (void *)bad), 0,
		       "the lookalike's delivery: refused"))
		return -1;
	ASSERT_EQ(run_in(t, NULL, play, (void *)good), 0,
		  "another process, the clean domain: delivered");
	ASSERT_EQ(run_in(t, NULL, play, (void *)turned), 0,
		  "another process, clean then lookalike MX: refused");
	return 0;
}

/* --- leak 8: unsolicited answers ----------------------------------------- */

/* Send a forged "clean" answer from 127.0.0.2:53 to 127.0.0.1:@port. */
static int forge(uint16_t port)
{
	struct sockaddr_in from = { .sin_family = AF_INET,
				    .sin_port = htons(53) };
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	struct dnsmsg m;
	int fd, one = 1, rc = 0;

	inet_pton(AF_INET, "127.0.0.2", &from.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	dm_init(&m, random() & 0xffff, 1, 0);
	dm_question(&m, "shared.example", DNS_A);
	dm_a(&m, DM_AN, NULL, 300, "192.0.2.31");
	dm_finish(&m);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&from, sizeof(from)) ||
	    sendto(fd, m.buf, m.len, 0, (struct sockaddr *)&to,
		   sizeof(to)) != (ssize_t)m.len)
		rc = -1;
	if (fd >= 0)
		close(fd);
	return rc;
}

static int forged_answer(void *arg)
{
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	uint8_t junk[1500];
	int fd, rc;

	(void)arg;
	if (resolve_keep("shared.ml", &fd))
		return 201;
	if (try_connect("192.0.2.31", 25) != EPERM)
		return 202;
	/* Off-path: an answer this socket never asked for. */
	if (getsockname(fd, (struct sockaddr *)&me, &len) ||
	    forge(ntohs(me.sin_port)))
		return 203;
	/* Once it is queued, ingress has judged it. */
	if (recv(fd, junk, sizeof(junk), 0) <= 0)
		return 204;
	rc = try_connect("192.0.2.31", 25);
	if (rc != EPERM) {
		close(fd);
		return 100 + rc;
	}
	/* Control: the same answer, asked for, is trusted. */
	rc = resolve_on(fd, "shared.example");
	close(fd);
	return rc ? 205 : try_connect("192.0.2.31", 25);
}

static int t_unsolicited_not_trusted(struct tctx *t)
{
	if (!ASSERT_EQ(run_in(t, NULL, forged_answer, NULL), 0,
		       "forged answer ignored, solicited one trusted"))
		return -1;
	return ASSERT_TRUE(counter(t, MXG_CNT_UNSOLICITED) >= 1,
			   "unsolicited counted") ? 0 : -1;
}

/* --- leak 9: clean records evict a live taint ---------------------------- */

static int taint_then_wait(void *arg)
{
	int *p = arg;
	char c;

	if (resolve("shared.ml", DNS_A, VIA_UDP))
		return 201;
	if (write(p[3], "r", 1) != 1 || read(p[0], &c, 1) != 1)
		return 202;
	return try_connect("192.0.2.31", 25);
}

static int flood(void *arg)
{
	char name[64];
	int i;

	(void)arg;
	/*
	 * 3,000 answers of 25 records (small enough for any bound): 75,000
	 * clean records in one process, more than the clean map holds.
	 */
	for (i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "flood-%d.example", i);
		if (resolve(name, DNS_A, VIA_UDP))
			return 201;
	}
	return 0;
}

static int t_flood_keeps_taint(struct tctx *t)
{
	char out[8192], c;
	int p[4];
	pid_t a;

	if (pipe(p) || pipe(p + 2))
		return -1;
	a = run_async(t, NULL, taint_then_wait, p);
	if (!ASSERT_EQ(read(p[2], &c, 1), 1, "taint in place"))
		return -1;
	ASSERT_EQ(run_in(t, NULL, flood, NULL), 0, "flood of clean answers");
	ASSERT_EQ(ctl(t, out, sizeof(out), "stats --json"), 0, "stats");
	ASSERT_HAS(out, "\"clean_evictions\":");
	ASSERT_TRUE(!strstr(out, "\"clean_evictions\":0,"),
		    "the clean map evicted (more clean records than it holds)");
	ASSERT_HAS(out, "\"taint_evictions\":0");
	if (write(p[1], "x", 1) != 1)
		return -1;
	return ASSERT_EQ(run_wait(a), EPERM, "the taint survived the flood") ?
	       0 : -1;
}

/* --- leak 3: DNS over TCP, every byte attributed ------------------------- */

static int t_tcp_prefix_split(struct tctx *t)
{
	if (expect(t, &(struct step){ "tcp.ml", DNS_A, VIA_TCP, "192.0.2.32" },
		   EPERM, "length prefix in a segment of its own"))
		return -1;
	return expect(t, &(struct step){ "mx.army.mil", DNS_A, VIA_TCP,
					 "198.51.100.25" }, 0, "clean control");
}

static int t_tcp_segments(struct tctx *t)
{
	struct step big = { "big.ml", DNS_A, VIA_TCP, NULL };
	struct step clean = { "big.example", DNS_A, VIA_TCP, NULL };
	const char *ev;

	if (route_bench_range() ||
	    expect(t, &(struct step){ "many.ml", DNS_A, VIA_TCP,
				      "192.0.2.129" }, EPERM,
		   "40 records over segments of 536 bytes: the 30th"))
		return -1;
	if (!ASSERT_EQ(run_in(t, NULL, lookup, &big), 201,
		       "4.8 KB over TCP: held back"))
		return -1;
	ev = next_event(t, "dns-answer-held", WAIT_MS);
	ASSERT_HAS(ev, "\"reason\":\"message-too-large\"");
	ASSERT_HAS(ev, "\"transport\":\"tcp\"");
	ASSERT_TRUE(counter(t, MXG_CNT_TCP_MESSAGES) >= 2,
		    "messages reassembled");
	if (!ASSERT_EQ(run_in(t, NULL, lookup, &clean), 0,
		       "clean control: 4.8 KB over TCP resolves"))
		return -1;
	return expect(t, &(struct step){ "many.example", DNS_A, VIA_TCP,
					 "192.0.2.129" }, 0, "clean control");
}

/*
 * Every other data segment from the responder dropped on input, before the
 * socket (in the test's namespace, by nftables): the one after a loss
 * reaches ingress ahead of what was seen, and the lost one comes again as a
 * retransmission.
 */
static int t_tcp_out_of_order(struct tctx *t)
{
	char out[1024];

	if (!ASSERT_EQ(run_cmd(out, sizeof(out),
			       "nft add table inet mxgtest && "
			       "nft add chain inet mxgtest in "
			       "'{ type filter hook input priority 0; }' && "
			       "nft add rule inet mxgtest in tcp sport 53 "
			       "meta length gt 100 numgen inc mod 2 == 0 drop"),
		       0, "nftables rule"))
		return -1;
	if (expect(t, &(struct step){ "many.ml", DNS_A, VIA_TCP,
				      "192.0.2.129" }, EPERM,
		   "40 records, segments lost and reordered: the 30th"))
		return -1;
	ASSERT_TRUE(counter(t, MXG_CNT_TCP_UNATTRIBUTED) >= 1,
		    "a segment ahead of the stream was held back");
	return expect(t, &(struct step){ "many.example", DNS_A, VIA_TCP,
					 "192.0.2.129" }, 0,
		      "clean control: resolves through the losses");
}

static int pipelined(void *arg)
{
	int rc;

	(void)arg;
	rc = resolve_tcp_pair("mx.army.mil", "tcp.ml", DNS_A);
	if (rc)
		return 200 + (rc < 0 ? 1 : rc);
	rc = try_connect("198.51.100.25", 25);
	if (rc)
		return 100 + rc;
	return try_connect("192.0.2.32", 25);
}

static int t_tcp_pipelined(struct tctx *t)
{
	if (!ASSERT_EQ(run_in(t, NULL, pipelined, NULL), EPERM,
		       "two answers in one segment: clean passes, lookalike "
		       "refused"))
		return -1;
	ASSERT_HAS(next_event(t, "blocked", WAIT_MS), "\"ip\":\"192.0.2.32\"");
	return 0;
}

/* --- expired records make room: the lookalike maps never evict ---------- */

static int resolve_and_expire(void *arg)
{
	(void)arg;
	if (resolve("tcp.ml", DNS_A, VIA_UDP))
		return 201;
	usleep(1200 * 1000);		/* --ttl-max 1 */
	return 0;
}

static int t_expired_swept(struct tctx *t)
{
	char out[4096];

	if (!ASSERT_EQ(run_in(t, NULL, resolve_and_expire, NULL), 0,
		       "taint, then its TTL passes"))
		return -1;
	ASSERT_EQ(ctl(t, out, sizeof(out), "reload"), 0, "reload");
	ASSERT_HAS(out, "expired records");
	/*
	 * Process, unit and host records of the one address, swept by the
	 * reload or, if it came first, by the 30-second tick.
	 */
	ASSERT_EQ(ctl(t, out, sizeof(out), "stats --json"), 0, "stats");
	return ASSERT_HAS(out, "\"records_swept\":3,") ? 0 : -1;
}

/* --- upgrades: pins of another version are named, never half-adopted ----- */

static int t_incompatible_pins(struct tctx *t)
{
	char out[8192], path[600];
	int fd, rc;

	daemon_stop(t, SIGTERM);
	if (!ASSERT_EQ(run_cmd(out, sizeof(out), "%s --unload --pin-dir %s",
			       t->daemon_bin, t->pin), 0, "unload"))
		return -1;
	/* What an older mxguard pinned: taint_proc as an LRU map. */
	fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "taint_proc",
			    sizeof(struct mxg_proc_key),
			    sizeof(struct mxg_taint), 1024, NULL);
	snprintf(path, sizeof(path), "%s/taint_proc", t->pin);
	if (!ASSERT_TRUE(fd >= 0 && !mkdir(t->pin, 0700) &&
			 !bpf_obj_pin(fd, path), "pin an old-style map"))
		return -1;
	close(fd);
	rc = daemon_exec(t, t->policy_path, t->pin, t->control, out,
			sizeof(out));
	ASSERT_TRUE(rc > 0, "refuses to start, and exits");
	ASSERT_HAS(out, "pinned by another version of mxguard");
	ASSERT_HAS(out, "--unload --pin-dir");
	return ASSERT_EQ(access(path, F_OK), 0, "and leaves the pin alone") ?
	       0 : -1;
}

/* --- item 15: connects no DNS answer explains ---------------------------- */

static int connect_literal(void *arg)
{
	return try_connect(arg, 25);
}

static int t_connect_unexplained(struct tctx *t)
{
	const char *ev;

	if (!ASSERT_EQ(run_in(t, NULL, connect_literal, "192.0.2.77"), 0,
		       "a literal address is not refused"))
		return -1;
	ev = next_event(t, "connect-unexplained", WAIT_MS);
	ASSERT_HAS(ev, "\"destination\":{\"ip\":\"192.0.2.77\",\"port\":25}");
	ASSERT_HAS(ev, "\"kind\":\"event\"");
	ASSERT_EQ(counter(t, MXG_CNT_UNEXPLAINED), 1, "counted");
	if (expect(t, &(struct step){ "mx.army.mil", DNS_A, VIA_UDP,
				      "198.51.100.25" }, 0, "resolved first"))
		return -1;
	return ASSERT_EQ(counter(t, MXG_CNT_UNEXPLAINED), 1,
			 "an explained connect is not counted") ? 0 : -1;
}

/*
 * clean_unit's per-CPU write cache (bpf/maps.bpf.h: unit_recent) skips a
 * repeated answer for the same unit and address; another cgroup's answer
 * for that address is another key, and must be written.  Everything runs
 * on one CPU, so the cache written by the first answer is the one the
 * second answer reads.
 */
static int t_unit_records_per_cgroup(struct tctx *t)
{
	struct step s = { "mx.army.mil", DNS_A, VIA_UDP, "198.51.100.25" };
	cpu_set_t one;
	char b[600];
	int cpu = sched_getcpu();

	CPU_ZERO(&one);
	CPU_SET(cpu < 0 ? 0 : cpu, &one);
	if (!ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0,
		       "pin the test to one CPU") ||
	    !ASSERT_EQ(sched_setaffinity(t->dnsd, sizeof(one), &one), 0,
		       "and the DNS server") ||
	    !ASSERT_EQ(sub_cgroup(t, "b", b, sizeof(b)), 0, "cgroup b"))
		return -1;
	if (!ASSERT_EQ(run_in(t, NULL, resolve_connect, &s), 0,
		       "resolved and connected in the first cgroup") ||
	    !ASSERT_EQ(run_in(t, NULL, resolve_connect, &s), 0, "and again"))
		return -1;
	ASSERT_EQ(counter(t, MXG_CNT_UNEXPLAINED), 0, "both explained");
	if (!ASSERT_EQ(run_in(t, b, connect_literal, "198.51.100.25"), 0,
		       "cgroup b connects before it resolves"))
		return -1;
	ASSERT_EQ(counter(t, MXG_CNT_UNEXPLAINED), 1,
		  "another unit's answer does not explain it");
	if (!ASSERT_EQ(run_in(t, b, resolve_connect, &s), 0,
		       "cgroup b resolves the same address, then connects"))
		return -1;
	return ASSERT_EQ(counter(t, MXG_CNT_UNEXPLAINED), 1,
			 "its own answer explains it") ? 0 : -1;
}

/*
 * clean_unit's filter byte of @ip in the unit @cg (abi.h:
 * mxg_unit_filter_slot), or -1; *set: how many bytes are set.  The unit
 * key's cgroup id is the cgroup directory's inode number.
 */
static int unit_byte(struct tctx *t, const char *cg, const char *ip,
		     long *set)
{
	struct mxg_unit_filter *f = calloc(1, sizeof(*f));
	int fd = pinned(t, "unit_filter"), v = -1;
	struct mxg_unit_key uk = { 0 };
	__u32 zero = 0, i;
	struct stat st;

	uk.addr[10] = uk.addr[11] = 0xff;
	inet_pton(AF_INET, ip, &uk.addr[12]);
	*set = -1;
	if (f && fd >= 0 && !stat(cg, &st) &&
	    !bpf_map_lookup_elem(fd, &zero, f)) {
		uk.cgroup_id = st.st_ino;
		v = f->may[mxg_unit_filter_slot(mxg_unit_mix(&uk))];
		for (*set = 0, i = 0; i < MXG_UNIT_FILTER; i++)
			*set += f->may[i] != 0;
	}
	if (fd >= 0)
		close(fd);
	free(f);
	return v;
}

/*
 * Every byte of clean_unit's filter set to @v: 1 as years of answers
 * leave it, 0 as pins of programs that kept no filter.
 */
static int unit_filter_set(struct tctx *t, int v)
{
	struct mxg_unit_filter *f = malloc(sizeof(*f));
	int fd = pinned(t, "unit_filter"), err = -1;
	__u32 zero = 0;

	if (f && fd >= 0) {
		memset(f, v, sizeof(*f));
		err = bpf_map_update_elem(fd, &zero, f, BPF_ANY);
	}
	if (fd >= 0)
		close(fd);
	free(f);
	return err;
}

/*
 * clean_unit's filter (bpf/maps.bpf.h: unit_filter) lets a connect no
 * answer explains skip the lookup.  Filled by pairs long expired, it is
 * cleared by the daemon down to the live pairs: the pair still live keeps
 * its byte, so its connect is still explained.  Zeroed, as pins of
 * programs that kept none, it is filled again before a restart arms.
 */
static int t_unit_filter_cleared(struct tctx *t)
{
	struct step s = { "mx.army.mil", DNS_A, VIA_UDP, "198.51.100.25" };
	char out[8192];
	long set = 0;
	int i;

	if (!ASSERT_EQ(run_in(t, NULL, resolve_connect, &s), 0,
		       "resolved and connected"))
		return -1;
	ASSERT_EQ(counter(t, MXG_CNT_UNEXPLAINED), 0, "explained");
	ASSERT_EQ(unit_byte(t, t->cg, "198.51.100.25", &set), 1,
		  "the pair's byte set by the programs");
	if (!ASSERT_EQ(unit_filter_set(t, 1), 0, "every byte set by hand"))
		return -1;
	/* The daemon reads the fill every 5 s. */
	for (i = 0; i < 100; i++) {
		if (ctl(t, out, sizeof(out), "stats --json") == 0 &&
		    strstr(out, "\"unit_filter_clears\":1,"))
			break;
		usleep(100 * 1000);
	}
	if (!ASSERT_HAS(out, "\"unit_filter_clears\":1,"))
		return -1;
	ASSERT_EQ(unit_byte(t, t->cg, "198.51.100.25", &set), 1,
		  "the live pair's byte kept");
	ASSERT_TRUE(set >= 1 && set < 64, "the other bytes cleared");
	if (!ASSERT_EQ(run_in(t, NULL, connect_literal, "198.51.100.25"), 0,
		       "connect again, no new answer"))
		return -1;
	ASSERT_EQ(counter(t, MXG_CNT_UNEXPLAINED), 0,
		  "the live pair's connect still explained");
	if (!ASSERT_EQ(run_in(t, NULL, connect_literal, "192.0.2.77"), 0,
		       "a literal address"))
		return -1;
	ASSERT_EQ(counter(t, MXG_CNT_UNEXPLAINED), 1,
		  "unexplained, by its clear byte");
	/* Entries older programs wrote have no byte: marked before arming. */
	ASSERT_EQ(unit_filter_set(t, 0), 0, "every byte cleared by hand");
	ASSERT_EQ(daemon_stop(t, SIGTERM), 0, "stop");
	if (!ASSERT_EQ(daemon_start(t, t->tc->args), 0, "restart"))
		return -1;
	ASSERT_EQ(unit_byte(t, t->cg, "198.51.100.25", &set), 1,
		  "the live pair's byte set again");
	if (!ASSERT_EQ(run_in(t, NULL, connect_literal, "198.51.100.25"), 0,
		       "connect after the restart"))
		return -1;
	return ASSERT_EQ(counter(t, MXG_CNT_UNEXPLAINED), 1,
			 "still explained") ? 0 : -1;
}

/* A test key: the byte it marks first. */
struct walk_key {
	__u8 slot;
	__u8 rest[23];
};

static __u32 walk_slot(const void *key)
{
	return ((const struct walk_key *)key)->slot;
}

/* The walk under test: by batches, or key by key. */
static int walk(int by_keys, int fd, int ffd, __u64 now, long *n)
{
	if (by_keys)
		return loader_mark_filter_keys(fd, ffd, 4096, walk_slot, now,
					       n);
	return loader_mark_filter(fd, ffd, 4096, walk_slot, now, NULL, n);
}

/*
 * A hash walked into a filter, by batches or key by key.  Ten keys, four
 * of them expired; byte 200, set before, belongs to no key.
 */
static int walk_one(int by_keys, const char *what)
{
	LIBBPF_OPTS(bpf_map_create_opts, fo, .map_flags = BPF_F_MMAPABLE);
	struct timespec ts;
	struct walk_key k;
	__u64 now, exp;
	long n = -1, i, set;
	int fd, ffd, ok = 1;
	__u8 *may;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "walk", sizeof(k),
			    sizeof(__u64), 64, NULL);
	ffd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "walk_f", 4, 4096, 1, &fo);
	if (!ASSERT_TRUE(fd >= 0 && ffd >= 0, "maps made"))
		goto out;
	may = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ffd, 0);
	if (!ASSERT_TRUE(may != MAP_FAILED, "filter mapped"))
		goto out;
	may[200] = 1;
	for (i = 0; i < 10; i++) {
		memset(&k, 0, sizeof(k));
		k.slot = 10 + i;
		exp = i < 4 ? now - 1 : now + 3600000000000ULL;
		if (!ASSERT_EQ(bpf_map_update_elem(fd, &k, &exp, BPF_ANY), 0,
			       "key written"))
			goto unmap;
	}
	ok = ASSERT_EQ(walk(by_keys, fd, ffd, now, &n), 0, what) &&
	     ASSERT_EQ(n, 6, "the six live keys marked");
	for (i = 0, set = 0; i < 4096; i++)
		set += may[i] != 0;
	ok = ok && ASSERT_EQ(set, 7, "their bytes and byte 200") &&
	     ASSERT_EQ(may[13] + may[14] * 2 + may[200] * 4, 0 + 2 + 4,
		       "an expired key's byte clear, the live one's and 200's set");
	ok = ok && ASSERT_EQ(walk(by_keys, fd, ffd, 0, &n), 0, what) &&
	     ASSERT_EQ(n, 10, "every key marked when now is 0") &&
	     ASSERT_EQ(may[10] + may[19], 2, "the first and the last");
unmap:
	munmap(may, 4096);
out:
	if (fd >= 0)
		close(fd);
	if (ffd >= 0)
		close(ffd);
	return ok ? 0 : -1;
}

/*
 * namefilter.c's one walker, which fills tname_filter, any_filter and
 * unit_filter from their maps: by batch lookups, and key by key where a
 * batch fails, each with and without the expiry test.
 */
static int t_mark_filter_walks(struct tctx *t)
{
	(void)t;
	return walk_one(0, "walked by batches") |
	       walk_one(1, "walked key by key");
}

const struct tcase failclosed_tests[] = {
	{ .name = "fc_udp_40_records", .fn = t_udp_40_records,
	  .policy = mil_block, .zone = zone, .raw = crafted },
	{ .name = "fc_udp_too_big_held", .fn = t_udp_too_big_held,
	  .policy = mil_block, .zone = zone, .raw = crafted },
	{ .name = "fc_udp_too_big_alert_mode", .fn = t_udp_too_big_alert_mode,
	  .policy = mil_block, .zone = zone, .raw = crafted,
	  .args = { "--mode", "alert" } },
	{ .name = "fc_udp_malformed_held", .fn = t_udp_malformed_held,
	  .policy = mil_block, .zone = zone, .raw = crafted },
	{ .name = "fc_ipv6_ext_headers", .fn = t_ipv6_ext_headers,
	  .policy = mil_block, .zone = zone, .ext_headers = 1 },
	{ .name = "fc_mx_host_under_allow", .fn = t_mx_host_under_allow,
	  .policy = mil_block, .zone = zone },
	{ .name = "fc_clean_does_not_clear", .fn = t_clean_does_not_clear,
	  .policy = mil_block, .zone = zone },
	{ .name = "fc_shared_mx_next_delivery",
	  .fn = t_shared_mx_next_delivery, .policy = mil_block,
	  .zone = shared_zone },
	{ .name = "fc_shared_mx_no_leak", .fn = t_shared_mx_no_leak,
	  .policy = mil_block, .zone = shared_zone },
	{ .name = "fc_shared_mx_unit", .fn = t_shared_mx_unit,
	  .policy = mil_block, .zone = shared_zone,
	  .args = { "--scope", "unit" } },
	{ .name = "fc_unsolicited_not_trusted",
	  .fn = t_unsolicited_not_trusted, .policy = mil_block, .zone = zone },
	{ .name = "fc_flood_keeps_taint", .fn = t_flood_keeps_taint,
	  .policy = mil_block, .zone = zone, .raw = crafted },
	{ .name = "fc_tcp_prefix_split", .fn = t_tcp_prefix_split,
	  .policy = mil_block, .zone = zone, .tcp_split = 1 },
	{ .name = "fc_tcp_segments", .fn = t_tcp_segments,
	  .policy = mil_block, .zone = zone, .raw = crafted, .tcp_mss = 536 },
	{ .name = "fc_tcp_out_of_order", .fn = t_tcp_out_of_order,
	  .policy = mil_block, .zone = zone, .raw = crafted, .tcp_mss = 536 },
	{ .name = "fc_tcp_pipelined", .fn = t_tcp_pipelined,
	  .policy = mil_block, .zone = zone, .pipelined = 1 },
	{ .name = "fc_expired_swept", .fn = t_expired_swept,
	  .policy = mil_block, .zone = zone,
	  .args = { "--ttl-min", "0", "--ttl-max", "1" } },
	{ .name = "fc_incompatible_pins", .fn = t_incompatible_pins,
	  .policy = mil_block, .zone = zone },
	{ .name = "fc_connect_unexplained", .fn = t_connect_unexplained,
	  .policy = mil_block, .zone = zone },
	{ .name = "fc_unit_records_per_cgroup",
	  .fn = t_unit_records_per_cgroup, .policy = mil_block, .zone = zone },
	{ .name = "fc_unit_filter_cleared", .fn = t_unit_filter_cleared,
	  .policy = mil_block, .zone = zone },
	{ .name = "fc_mark_filter_walks", .fn = t_mark_filter_walks,
	  .policy = mil_block, .zone = zone },
	{ 0 },
};
