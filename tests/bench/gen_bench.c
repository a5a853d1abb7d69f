// SPDX-License-Identifier: GPL-2.0-only
/*
 * User-space figures of the policy compiler and the lookalike engine, no
 * kernel needed:
 *
 *  1. 1M hand-written rules: load time and memory;
 *  2. 100 protected domains with fuzz=all: generation + compile time,
 *     how many rules, memory, and rules per fuzzer;
 *  3. the shipped policies/ directory;
 *  4. the second look: time per name against 10, 100 and 1000 protected
 *     domains, indexed once per policy as the daemon does, and with the
 *     index rebuilt for every name (the cost before the index existed).
 *
 * Memory is given twice: what the policy accounts for (policy_memory) and
 * the growth of the resident set while loading (VmRSS).  Each figure comes
 * from a child process of its own, so no run reuses another's memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "lookalike.h"
#include "name.h"
#include "policy.h"
#include "secondlook.h"

/* Widely used domains: brands, providers, banks, shops, public bodies. */
static const char *const domains[100] = {
	"gmail.com", "outlook.com", "hotmail.com", "yahoo.com", "icloud.com",
	"protonmail.com", "google.com", "microsoft.com", "apple.com",
	"amazon.com", "facebook.com", "instagram.com", "linkedin.com",
	"twitter.com", "netflix.com", "paypal.com", "ebay.com", "adobe.com",
	"dropbox.com", "salesforce.com", "oracle.com", "ibm.com", "cisco.com",
	"intel.com", "nvidia.com", "samsung.com", "sony.com", "dell.com",
	"hp.com", "lenovo.com", "zoom.us", "slack.com", "github.com",
	"gitlab.com", "atlassian.com", "stripe.com", "shopify.com",
	"wikipedia.org", "mozilla.org", "apache.org", "debian.org",
	"kernel.org", "python.org", "wordpress.com", "tumblr.com",
	"reddit.com", "pinterest.com", "spotify.com", "booking.com",
	"airbnb.com", "uber.com", "visa.com", "mastercard.com",
	"americanexpress.com", "chase.com", "bankofamerica.com",
	"wellsfargo.com", "citibank.com", "hsbc.com", "barclays.co.uk",
	"lloydsbank.co.uk", "santander.com", "ing.com", "bnpparibas.com",
	"deutsche-bank.de", "commerzbank.de", "ubs.com", "credit-suisse.com",
	"gmx.de", "web.de", "t-online.de", "orange.fr", "free.fr", "laposte.fr",
	"libero.it", "virgilio.it", "yandex.ru", "mail.ru", "qq.com",
	"163.com", "naver.com", "rakuten.co.jp", "alibaba.com",
	"tencent.com", "baidu.com", "army.mil", "navy.mil", "af.mil",
	"defense.gov", "state.gov", "irs.gov", "nhs.uk", "gov.uk",
	"europa.eu", "un.org", "nato.int", "who.int", "fedex.com",
	"ups.com", "dhl.com",
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long rss_kib(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static void report(const char *what, const struct mxg_policy *p, double s,
		   long rss0)
{
	printf("%-28s %10zu %10.2f %12.1f %12.1f\n", what, p->n, s,
	       policy_memory(p) / 1048576.0, (rss_kib() - rss0) / 1024.0);
}

static int bench_explicit(size_t n)
{
	size_t cap = n * 48, len = 0, i;
	char *buf = malloc(cap);
	struct mxg_policy p;
	double t0;
	long rss0;
	int err;

	if (!buf)
		return -1;
	for (i = 0; i < n; i++)
		len += snprintf(buf + len, cap - len,
				"lookalike x%zu.example of example.com\n", i);
	rss0 = rss_kib();
	t0 = now_s();
	policy_init(&p);
	err = policy_load_buffer(&p, "bench", buf, len);
	report("1M hand-written rules", &p, now_s() - t0, rss0);
	policy_free(&p);
	free(buf);
	return err ? -1 : 0;
}

static void per_fuzzer(const struct mxg_policy *p)
{
	size_t count[256] = { 0 }, i;
	const char *name;

	for (i = 0; i < p->n; i++)
		count[p->rules[i].origin]++;
	printf("  rules per fuzzer:");
	for (i = 0; i < 256; i++) {
		name = lookalike_fuzzer_name((uint8_t)i);
		if (count[i])
			printf(" %s %zu", name ? name : "explicit", count[i]);
	}
	printf("\n");
}

static int bench_protect(struct mxg_policy *p)
{
	char buf[100 * 64];
	size_t len = 0, i;
	double t0;
	long rss0;

	for (i = 0; i < 100; i++)
		len += snprintf(buf + len, sizeof(buf) - len,
				"protect %s fuzz=all\n", domains[i]);
	rss0 = rss_kib();
	t0 = now_s();
	policy_init(p);
	if (policy_load_buffer(p, "bench", buf, len))
		return -1;
	report("100 protect fuzz=all", p, now_s() - t0, rss0);
	per_fuzzer(p);
	return 0;
}

static int bench_shipped(void)
{
	struct mxg_policy p;
	double t0 = now_s();
	long rss0 = rss_kib();
	int err;

	policy_init(&p);
	err = policy_load_path(&p, "policies");
	report("policies/ (shipped)", &p, now_s() - t0, rss0);
	policy_free(&p);
	return err ? -1 : 0;
}

/*
 * A policy protecting @n domains: the list above, then made-up brands
 * (labels of 4 to 12 letters from a fixed generator) past its 100.
 */
static int protect_n(struct mxg_policy *p, size_t n)
{
	static const char *const tlds[] = { "com", "net", "org", "de", "fr",
					    "co.uk" };
	size_t cap = n * 64 + 1, len = 0, i, k, l;
	char *buf = malloc(cap), label[16];
	unsigned int seed = 12345;
	int err;

	if (!buf)
		return -1;
	for (i = 0; i < n; i++) {
		if (i < 100) {
			len += snprintf(buf + len, cap - len, "protect %s "
					"fuzz=omission\n", domains[i]);
			continue;
		}
		seed = seed * 1103515245u + 12345u;
		l = 4 + (seed >> 16) % 9;
		for (k = 0; k < l; k++) {
			seed = seed * 1103515245u + 12345u;
			label[k] = 'a' + (seed >> 16) % 26;
		}
		label[l] = '\0';
		len += snprintf(buf + len, cap - len, "protect %s%zu.%s "
				"fuzz=omission\n", label, i,
				tlds[(seed >> 8) % 6]);
	}
	policy_init(p);
	err = policy_load_buffer(p, "bench", buf, len);
	free(buf);
	return err ? -1 : 0;
}

/* Names to look at: lookalikes, IDN homographs and unrelated names. */
static const char *const seen[] = {
	"gmial.com", "mx.example.net", "xn--gmil-63d.com", "portonmail.com",
	"mail.protection.outlook.com", "alt1.aspmx.l.google.com",
	"mx1.mail.ru", "unrelated.org",
};
#define NSEEN	(sizeof(seen) / sizeof(seen[0]))

/* Microseconds per name; @ix NULL: the index is built for every name. */
static double look_cost(const struct mxg_policy *p,
			const struct mxg_secondlook_index *ix, int rounds,
			int *hits)
{
	struct mxg_secondlook_finding f[8];
	__u8 wire[NSEEN][MXG_NAME_MAX];
	__u32 len[NSEEN];
	const char *err;
	double t0;
	size_t j;
	int i;

	for (j = 0; j < NSEEN; j++)
		mxg_name_parse(seen[j], wire[j], &len[j], &err);
	*hits = 0;
	t0 = now_s();
	for (i = 0; i < rounds; i++)
		for (j = 0; j < NSEEN; j++)
			*hits += (ix ? secondlook_match(p, ix, wire[j], len[j],
							f, 8) :
				  secondlook_check(p, NULL, wire[j], len[j], f,
						   8)) > 0;
	*hits /= rounds;
	return (now_s() - t0) * 1e6 / (rounds * NSEEN);
}

/*
 * The second look at 10, 100 and 1000 protected names: with the index the
 * daemon builds once per policy, and rebuilding it for every name (what a
 * check cost before the index).
 */
static int bench_secondlook(void)
{
	static const size_t sizes[] = { 10, 100, 1000 };
	struct mxg_secondlook_index *ix;
	struct mxg_policy p;
	double built, slow, fast;
	int hits, fast_hits;
	size_t i;

	printf("\n%-34s %10s %12s %12s %10s\n", "second look, us per name",
	       "protected", "recomputed", "indexed", "index ms");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (protect_n(&p, sizes[i]))
			return -1;
		built = now_s();
		ix = secondlook_index(&p, NULL);
		built = (now_s() - built) * 1e3;
		if (!ix)
			return -1;
		slow = look_cost(&p, NULL, sizes[i] >= 1000 ? 20 : 200, &hits);
		fast = look_cost(&p, ix, 2000, &fast_hits);
		printf("%-34s %10zu %12.1f %12.2f %10.1f\n", "", p.nprotected,
		       slow, fast, built);
		if (hits != fast_hits)
			printf("  (findings differ: %d per call, %d indexed)\n",
			       hits, fast_hits);
		secondlook_index_free(ix);
		policy_free(&p);
	}
	return 0;
}

static int protect_fuzz_all(void)
{
	struct mxg_policy p;

	if (bench_protect(&p))
		return -1;
	policy_free(&p);
	return 0;
}

static int in_child(int (*fn)(void))
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		status = fn();
		fflush(stdout);
		_exit(status ? 1 : 0);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status) ? -1 : 0;
}

static int explicit_1m(void)
{
	return bench_explicit(1000000);
}

int main(void)
{
	log_init("gen_bench", LOG_LVL_WARN);
	printf("\nsizeof(struct mxg_policy_rule) = %zu bytes\n",
	       sizeof(struct mxg_policy_rule));
	printf("%-28s %10s %10s %12s %12s\n", "policy", "rules", "load s",
	       "policy MiB", "RSS +MiB");
	if (in_child(explicit_1m) || in_child(protect_fuzz_all) ||
	    in_child(bench_shipped) || in_child(bench_secondlook))
		return 1;
	return 0;
}
