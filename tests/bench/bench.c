// SPDX-License-Identifier: GPL-2.0-only
/*
 * mxguard benchmarks.  Ratios are measured side by side in one run: the
 * machines are noisy, absolute numbers are for orientation only.
 *
 *  1. ns per DNS response through cgroup_skb/ingress (BPF_PROG_TEST_RUN,
 *     repeat) with 10, 100k and 1M policy entries;
 *  2. connect() to a local :25 listener, median with and without mxguard,
 *     in alternating rounds;
 *  3. kernel memory of the policy map (fdinfo memlock) and load time;
 *  4. what the kernel's similarity match adds per DNS response, with 10,
 *     1,000 and 100,000 protected names (bpf/similar.bpf.h).
 *
 * Run inside `unshare -n` (make bench does) so :25 is our own listener.
 * MXG_BENCH=similar runs section 4 alone.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mxguard.skel.h"
#include "cgroup.h"
#include "ksim.h"
#include "loader.h"
#include "log.h"
#include "policy.h"
#include "probe.h"

#define SEED		0x0123456789abcdefULL
#define REPEAT		200000
#define CONNECTS	400
#define ROUNDS		10

static struct mxguard_bpf *skel;
static struct mxg_loader ldr;

static int join_self(const char *cg);

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Ethernet + IPv4 + UDP from :53 + a response for @q with one A record. */
static size_t response_frame(uint8_t *p, const char *q)
{
	size_t off = 14 + 20 + 8, n = 0, qn;
	const char *s = q, *dot;
	uint8_t *d;

	memset(p, 0, 512);
	p[12] = 0x08;
	p[14] = 0x45;
	p[14 + 9] = 17;
	p[34] = 0;
	p[35] = 53;
	d = p + off;
	d[0] = 0x12; d[2] = 0x81; d[3] = 0x80; d[5] = 1; d[7] = 1;
	n = 12;
	while (*s) {
		dot = strchr(s, '.');
		qn = dot ? (size_t)(dot - s) : strlen(s);
		d[n++] = qn;
		memcpy(d + n, s, qn);
		n += qn;
		s += qn + (dot ? 1 : 0);
	}
	d[n++] = 0;
	d[n++] = 0; d[n++] = 1; d[n++] = 0; d[n++] = 1;
	d[n++] = 0xc0; d[n++] = 12;
	d[n++] = 0; d[n++] = 1; d[n++] = 0; d[n++] = 1;
	d[n++] = 0; d[n++] = 0; d[n++] = 1; d[n++] = 0x2c;
	d[n++] = 0; d[n++] = 4;
	d[n++] = 192; d[n++] = 0; d[n++] = 2; d[n++] = 1;
	p[16] = (20 + 8 + n) >> 8;
	p[17] = (20 + 8 + n) & 0xff;
	p[38] = (8 + n) >> 8;
	p[39] = (8 + n) & 0xff;
	return off + n;
}

static double ns_per_packet(const char *q)
{
	uint8_t pkt[512];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .repeat = REPEAT);

	opts.data_size_in = response_frame(pkt, q);
	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.mxg_dns_ingress),
				   &opts))
		return -1;
	return opts.duration;
}

/* A policy of @n rules: the seed rule plus synthetic lookalikes. */
static int make_policy(struct mxg_policy *p, size_t n)
{
	size_t i, cap = (n + 2) * 48, len = 0;
	char *buf = malloc(cap);
	int err;

	if (!buf)
		return -1;
	len += snprintf(buf + len, cap - len,
			"lookalike ml of mil action=block\nallow gov.ml\n");
	for (i = 2; i < n; i++)
		len += snprintf(buf + len, cap - len,
				"lookalike x%zu.example of example.com\n", i);
	policy_init(p);
	err = policy_load_buffer(p, "bench", buf, len);
	free(buf);
	return err ? -1 : 0;
}

/* 100 protected domains with every fuzzer: the lookalike engine's load. */
static int make_protect_policy(struct mxg_policy *p)
{
	char buf[100 * 64];
	size_t len = 0;
	int i;

	for (i = 0; i < 100; i++)
		len += snprintf(buf + len, sizeof(buf) - len,
				"protect brand%03d.com fuzz=all\n", i);
	policy_init(p);
	return policy_load_buffer(p, "bench-protect", buf, len) ? -1 : 0;
}

static long long policy_memlock(void)
{
	char path[64], line[256];
	long long kb = -1;
	__u32 zero = 0, id;
	int fd;
	FILE *f;

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.policy), &zero, &id))
		return -1;
	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %lld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	close(fd);
	return kb;
}

/* Swap @p in (timed from @t0, its generation), then one table row. */
static int bench_row(const char *label, struct mxg_policy *p, double t0)
{
	double load;

	if (loader_set_policy(&ldr, p))
		return -1;
	load = now_s() - t0;
	printf("%-10s %12.0f %12.0f %12.0f %12.1f %12.2f\n", label,
	       ns_per_packet("army.ml"), ns_per_packet("www.example.com"),
	       ns_per_packet("a.b.c.d.e.f.g.h.mail.example.com"),
	       policy_memlock() / 1048576.0, load);
	return 0;
}

static int bench_parse(void)
{
	static const size_t sizes[] = { 10, 100000, 1000000 };
	struct mxg_policy p;
	char label[32];
	double t0;
	size_t i;

	printf("\n%-10s %12s %12s %12s %12s %12s\n", "entries",
	       "lookalike ns", "clean ns", "deep ns", "policy MiB",
	       "load s");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		snprintf(label, sizeof(label), "%zu", sizes[i]);
		t0 = now_s();
		if (make_policy(&p, sizes[i]) || bench_row(label, &p, t0))
			return -1;
		policy_free(&p);
	}
	t0 = now_s();
	if (make_protect_policy(&p) || bench_row("protect", &p, t0))
		return -1;
	printf("  (protect: 100 domains with fuzz=all -> %zu rules; load s is "
	       "generation + compile + kernel map)\n", p.n);
	policy_free(&p);
	return 0;
}

/*
 * @n protect directives with a fuzzer that makes no rule under .example.
 * One of them is a 63-letter label "rqq...q": the 63 q's are then the
 * worst case, every lookup made and most of them hits that say no.
 */
static int make_similar_policy(struct mxg_policy *p, size_t n)
{
	size_t i, cap = n * 48 + 160, len = 0;
	char *buf = malloc(cap);
	int err;

	if (!buf)
		return -1;
	len += snprintf(buf, cap, "protect r%.62s.example fuzz=tld-swap\n",
			"qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
			"qqqq");
	for (i = 1; i < n; i++)
		len += snprintf(buf + len, cap - len,
				"protect brand%07zu.example fuzz=tld-swap\n",
				i);
	policy_init(p);
	err = policy_load_buffer(p, "bench-similar", buf, len);
	free(buf);
	return err ? -1 : 0;
}

/*
 * More protected names than the pinned protected_names map holds
 * (MXG_PROTECTED_ENTRIES) do not load through the daemon; for the lookup's
 * cost at that size the bench files the similarity entries alone, as the
 * daemon would, in a policy map of their own.
 */
static int similar_map_only(const struct mxg_policy *p)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	size_t n = ksim_count(p), done;
	__u64 *keys = malloc(n * sizeof(*keys));
	struct mxg_sim *vals = malloc(n * sizeof(*vals));
	struct ksim_stats st;
	__u32 zero = 0, count;
	long got = -1;
	int fd = -1, err = -1;

	if (keys && vals)
		got = ksim_build(p, SEED, 1, keys, vals, &st);
	if (got > 0)
		fd = bpf_map_create(BPF_MAP_TYPE_HASH, "mxg_policy",
				    sizeof(__u64), sizeof(struct mxg_sim),
				    (__u32)got, NULL);
	for (done = 0, err = fd < 0; !err && done < (size_t)got;
	     done += count) {
		count = (size_t)got - done < 4096 ? (__u32)(got - done) : 4096;
		err = bpf_map_update_batch(fd, keys + done, vals + done,
					   &count, &opts);
	}
	if (!err)
		err = bpf_map_update_elem(bpf_map__fd(skel->maps.policy),
					  &zero, &fd, BPF_ANY);
	if (fd >= 0)
		close(fd);
	free(keys);
	free(vals);
	return err ? -1 : 0;
}

/*
 * The similarity match costs one pass over the first label and 1 + m
 * lookups (m its length).  An xn-- label of the same length is parsed the
 * same way and skips the match: the difference is what the match adds.
 * "dot12" is a moved dot (brand0000007e.xample), which the policy walk
 * matches like a rule; "two12" two omissions (brd0000007.example, a
 * two-deletion entry of a label of 8 letters or more, found whole) and
 * "ds12" an omission and a substitution (bred0000007: a replaced, n
 * dropped; without x[2] it is L without L[2] and L[3]).
 */
static int bench_similar(void)
{
	static const size_t sizes[] = { 10, 1000, 100000 };
	static const char q63[] = "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
				  "qqqqqqqqqqqqqqqqqqqq.example";
	static const char x63[] = "xn--qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
				  "qqqqqqqqqqqqqqqqqqqq.example";
	struct mxg_policy p;
	double t0, load;
	size_t i;

	printf("\nsimilarity in the kernel, ns per DNS response (12-letter "
	       "label; 63 letters: the worst case)\n");
	printf("%-10s %10s %10s %10s %10s %10s %10s %10s %10s %10s %10s\n",
	       "protected", "entries", "skip12", "miss12", "match12", "dot12",
	       "two12", "ds12", "skip63", "miss63", "load s");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		t0 = now_s();
		if (make_similar_policy(&p, sizes[i]) ||
		    (sizes[i] < MXG_PROTECTED_ENTRIES ?
		     loader_set_policy(&ldr, &p) : similar_map_only(&p)))
			return -1;
		load = now_s() - t0;
		printf("%-10zu %10zu %10.0f %10.0f %10.0f %10.0f %10.0f "
		       "%10.0f %10.0f %10.0f %10.2f\n", sizes[i],
		       ksim_count(&p),
		       ns_per_packet("xn--d0000007.example"),
		       ns_per_packet("qqqqqqqqqqqq.example"),
		       ns_per_packet("brnad0000007.example"),
		       ns_per_packet("brand0000007e.xample"),
		       ns_per_packet("brd0000007.example"),
		       ns_per_packet("bred0000007.example"),
		       ns_per_packet(x63), ns_per_packet(q63), load);
		policy_free(&p);
	}
	return 0;
}

static int listener(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(25) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4096))
		return -1;
	return fd;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One round: CONNECTS connects, each accepted and closed; the median. */
static double connect_round(int lfd)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(25) };
	double lat[CONNECTS], t0;
	int i, fd, c;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < CONNECTS; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		t0 = now_s();
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			return -1;
		lat[i] = now_s() - t0;
		c = accept(lfd, NULL, NULL);
		close(fd);
		close(c);
	}
	qsort(lat, CONNECTS, sizeof(lat[0]), cmp_double);
	return lat[CONNECTS / 2] * 1e9;
}

static int bench_connect(const char *cg)
{
	struct bpf_program *progs[] = { skel->progs.mxg_connect4,
					skel->progs.mxg_dns_egress,
					skel->progs.mxg_dns_ingress };
	struct bpf_link *links[3];
	double off[ROUNDS], on[ROUNDS];
	int lfd = listener(), cgfd, r, i;

	cgfd = open(cg, O_RDONLY | O_DIRECTORY);
	if (lfd < 0 || cgfd < 0 || join_self(cg))
		return -1;
	for (r = 0; r < ROUNDS; r++) {
		off[r] = connect_round(lfd);
		/* Every program a mail flow passes: connect4 and both skb. */
		for (i = 0; i < 3; i++) {
			links[i] = bpf_program__attach_cgroup(progs[i], cgfd);
			if (!links[i])
				return -1;
		}
		on[r] = connect_round(lfd);
		for (i = 0; i < 3; i++)
			bpf_link__destroy(links[i]);
	}
	qsort(off, ROUNDS, sizeof(off[0]), cmp_double);
	qsort(on, ROUNDS, sizeof(on[0]), cmp_double);
	printf("\nconnect() to 127.0.0.1:25, median of %d rounds x %d:\n",
	       ROUNDS, CONNECTS);
	printf("  without mxguard %8.0f ns\n  with mxguard    %8.0f ns\n"
	       "  ratio           %8.3fx\n", off[ROUNDS / 2], on[ROUNDS / 2],
	       on[ROUNDS / 2] / off[ROUNDS / 2]);
	close(cgfd);
	close(lfd);
	return 0;
}

static int join_self(const char *cg)
{
	char path[600], pid[32];
	int fd, ok;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	snprintf(pid, sizeof(pid), "%d", getpid());
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ok = write(fd, pid, strlen(pid)) == (ssize_t)strlen(pid);
	close(fd);
	return ok ? 0 : -1;
}

static int setup(void)
{
	struct mxg_settings set = {
		.ttl_min_s = 60, .ttl_max_s = 3600, .ports = { 25 }, .nports = 1,
	};

	/* The rodata switches the daemon's probes pick on this kernel. */
	skel = mxguard_bpf__open();
	if (!skel)
		return -1;
	probe_datapath(skel);
	if (mxguard_bpf__load(skel))
		return -1;
	return loader_use_skel(&ldr, skel, SEED, &set) ? -1 : 0;
}

int main(void)
{
	char root[512], cg[600];
	const char *only;
	int err;

	log_init("bench", LOG_LVL_WARN);
	log_route_libbpf();
	if (setup() || cgroup2_root(root, sizeof(root))) {
		fprintf(stderr, "bench: setup failed: %s\n", strerror(errno));
		return 1;
	}
	printf("mxguard bench: %d packets per figure, BPF_PROG_TEST_RUN "
	       "(duration is the kernel's ns per run)\n", REPEAT);
	only = getenv("MXG_BENCH");
	if (only && !strcmp(only, "similar")) {
		err = bench_similar();
		mxguard_bpf__destroy(skel);
		return err ? 1 : 0;
	}
	err = bench_parse();
	if (!err)
		err = bench_similar();
	snprintf(cg, sizeof(cg), "%s/mxguard-bench-%d", root, getpid());
	if (!err && mkdir(cg, 0755) == 0) {
		err = bench_connect(cg);
		join_self(root);
		rmdir(cg);
	}
	mxguard_bpf__destroy(skel);
	if (err)
		fprintf(stderr, "bench: failed: %s\n", strerror(errno));
	return err ? 1 : 0;
}
