// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel similarity entries (ksim.c): what the daemon files for each
 * protect directive, and, through a model of bpf/similar.bpf.h's lookup
 * over those same entries, that every name the kernel would match is one
 * similar_judge() (the second look) accepts too, and which one-edit names
 * it leaves to the second look.
 */
#include <errno.h>

#include "mxguard/hash.h"

#include "check.h"
#include "ctlproto.h"
#include "idn.h"
#include "ksim.h"
#include "lookalike.h"
#include "policy_helpers.h"
#include "secondlook.h"
#include "similar.h"
#include "verdict.h"

#define SEED	0x1234abcd5678ef01ULL

struct table {
	struct mxg_policy p;
	__u64 keys[4096];
	struct mxg_sim vals[4096];
	long n;
	struct ksim_stats st;
};

static void build(struct table *t, const char *text)
{
	policy_init(&t->p);
	assert_int_equal(load_text(&t->p, text), 0);
	assert_true(ksim_count(&t->p) <= 4096);
	t->n = ksim_build(&t->p, SEED, 7, t->keys, t->vals, &t->st);
	assert_true(t->n >= 0);
}

static const struct mxg_sim *find(const struct table *t, __u64 key)
{
	long i;

	for (i = 0; i < t->n; i++)
		if (t->keys[i] == key)
			return &t->vals[i];
	return NULL;
}

/* mxg_sim_hit(), on the same rules. */
static int hit(const struct table *t, const __u8 *x, __u32 m, __u64 sfx,
	       __u64 h, __u32 len, __u32 k, __u32 *rule)
{
	const struct mxg_sim *e;
	__u32 i, p, j;
	int ok;

	for (i = 0; i < MXG_SIM_SLOTS; i++) {
		e = find(t, ksim_key(SEED, sfx, i, h, len));
		if (!e)
			return 0;
		p = e->pos;
		j = e->pos2;
		if (j)
			ok = k == MXG_SIM_WHOLE ||
			     (k > 0 && (k == p || k + 1 == j) && x[k] != '-');
		else if (k == MXG_SIM_WHOLE)
			ok = p == MXG_SIM_WHOLE ? 2 :
			     p > 0 || len >= MXG_SIM_SHORT;
		else if (p == MXG_SIM_WHOLE)
			ok = k > 0 || (m > 1 && x[0] == x[1]);
		else if (p == k)
			ok = k > 0;
		else
			ok = (p == k + 1 || k == p + 1) && x[k] == e->byte;
		if (ok == 2)
			return -1;
		if (ok) {
			*rule = e->rule_id;
			return 1;
		}
	}
	return 0;
}

/*
 * mxg_hash_name()'s policy walk over the moved dots' entries (the last
 * st.dots): every suffix, the most specific hit wins.  The protect index,
 * or -1.
 */
static int walk(const struct table *t, const __u8 *wire, __u32 len)
{
	long i, first = t->n - (long)t->st.dots;
	struct mxg_rule v;
	__u32 pos;
	__u64 h;

	for (pos = 0; pos < len; pos += 1 + wire[pos]) {
		h = mxg_name_hash(SEED, wire + pos, len - pos);
		for (i = first; i < t->n; i++) {
			if (t->keys[i] != h)
				continue;
			memcpy(&v, &t->vals[i], sizeof(v));
			assert_int_equal(v.verdict, MXG_VERDICT_LOOKALIKE);
			assert_int_equal(v.rule_id >> 24, 7);
			assert_true(v.rule_id & MXG_RULE_SIM);
			return (int)(v.rule_id & 0x7fffff);
		}
	}
	return -1;
}

/*
 * What the kernel matches of @name without a rule: the policy walk's
 * moved dots, then mxg_similar().  The protect index, or -1.
 */
static int kernel(const struct table *t, const char *name)
{
	__u8 wire[MXG_NAME_MAX];
	__u64 q[64] = { 0 }, pw[64], p = 0, h, sfx;
	__u32 len, m, k, rule = 0;
	const struct mxg_sim *e;
	__u64 want;
	int r, j;

	parse_or_fail(name, wire, &len);
	r = walk(t, wire, len);
	if (r >= 0)
		return r;
	m = wire[0];
	if (1 + m >= len || m > MXG_SIM_LABEL_MAX ||
	    (m >= 4 && !memcmp(wire + 1, "xn--", 4)))
		return -1;
	sfx = mxg_name_hash(SEED, wire + 1 + m, len - 1 - m);
	/* The suffix's lengths first. */
	e = find(t, ksim_key(SEED, sfx, MXG_SIM_SLOTS, 0, 0));
	want = 7ULL << (m - 1);
	if (m + 2 >= MXG_SIM_LONG && m + 2 <= MXG_SIM_LABEL_MAX)
		want |= 1ULL << (m + 2);
	if (!e || !(e->protected_hash & want))
		return -1;
	h = 1;
	for (j = (int)m - 1; j >= 0; j--) {
		pw[j] = h;
		q[j] = q[j + 1] + ((__u64)wire[1 + j] + 1) * h;
		h *= MXG_POLY_BASE;
	}
	r = hit(t, wire + 1, m, sfx, q[0], m, MXG_SIM_WHOLE, &rule);
	if (r)
		goto out;
	for (k = 0; k < m; k++) {
		h = p * pw[k] + q[k + 1];
		r = hit(t, wire + 1, m, sfx, h, m - 1, k, &rule);
		if (r > 0)
			break;
		p = mxg_poly_step(p, wire[1 + k]);
	}
out:
	if (r <= 0)
		return -1;
	assert_int_equal(rule >> 24, 7);
	assert_true(rule & MXG_RULE_SIM);
	return (int)(rule & 0x7fffff);
}

static const struct mxg_protect *by_name(const struct table *t,
					 const char *name)
{
	__u8 wire[MXG_NAME_MAX];
	__u32 len;

	parse_or_fail(name, wire, &len);
	return ksim_match(&t->p, wire, len);
}

/* similar_judge() on "label.suffix" texts, as the second look splits. */
static unsigned int judge(const char *seen, const char *prot)
{
	uint32_t a[256], b[256];
	int na = idn_utf8_decode(seen, strlen(seen), a, 256);
	int nb = idn_utf8_decode(prot, strlen(prot), b, 256);
	int la = 0, lb = 0;

	while (la < na && a[la] != '.')
		la++;
	while (lb < nb && b[lb] != '.')
		lb++;
	return similar_judge(a, la, a + la + 1, na - la - 1, b, lb,
			     b + lb + 1, nb - lb - 1, -1, 0) & ~SIMILAR_WEAK;
}

static void test_entries(void **state)
{
	struct table *t = malloc(sizeof(*t));
	const struct mxg_protect *pr;
	long i;

	(void)state;
	build(t, "protect example.org fuzz=tld-swap\n"
		 "protect gmail.com action=block fuzz=tld-swap\n"
		 "protect xn--bcher-kva.de fuzz=tld-swap\n"
		 "protect com fuzz=tld-swap\n");
	/*
	 * example: itself and 7 deletions; gmail: 1 + 5; a suffix entry
	 * each; no IDN, no TLD.  Moved dots (bounded by the bytes less one,
	 * 9 + 7): example's 9 cuts but "example.org" itself, gmail's 7 but
	 * "gmail.com", "gmailc.om" (the rule "om" of com decides it) and
	 * "gmailco.m" (libpsl makes it a suffix: its subdomains would be
	 * registrable parts of their own).
	 */
	assert_int_equal(ksim_count(&t->p), 16 + 16);
	assert_int_equal(t->n, 16 + 12);
	assert_int_equal(t->st.dots, 12);
	assert_int_equal(t->st.names, 2);
	assert_int_equal(t->st.dropped, 0);
	assert_int_equal(kernel(t, "gmai.lcom"), 1);
	assert_int_equal(kernel(t, "gmailc.om"), -1);
	for (i = 0; i < t->n - (long)t->st.dots; i++) {
		if (!t->vals[i].rule_id) {	/* a suffix's lengths */
			assert_true(t->vals[i].protected_hash == 1ULL << 7 ||
				    t->vals[i].protected_hash == 1ULL << 5);
			continue;
		}
		pr = ksim_protect(&t->p, t->vals[i].rule_id);
		assert_non_null(pr);
		assert_int_equal(t->vals[i].action, pr->action);
		assert_true(t->vals[i].protected_hash ==
			    mxg_name_hash(SEED, pr->wire, pr->len));
	}
	for (; i < t->n; i++) {		/* rule-shaped */
		struct mxg_rule v;

		memcpy(&v, &t->vals[i], sizeof(v));
		pr = ksim_protect(&t->p, v.rule_id);
		assert_non_null(pr);
		assert_int_equal(v.verdict, MXG_VERDICT_LOOKALIKE);
		assert_int_equal(v.action, pr->action);
		assert_int_equal(v.origin, 0);
		assert_true(v.protected_hash ==
			    mxg_name_hash(SEED, pr->wire, pr->len));
	}
	/* A rule id of no similarity match names no directive. */
	assert_null(ksim_protect(&t->p, 7u << 24 | 3));
	assert_null(ksim_protect(&t->p, 7u << 24 | 0xffffff));
	assert_null(ksim_protect(&t->p, 7u << 24 | MXG_RULE_SIM | 9));
	policy_free(&t->p);
	free(t);
}

/* The composed keys are the direct hashes of each variant. */
static void test_keys_direct(void **state)
{
	static const char *want[] = { "example", "xample", "eample", "exmple",
				      "exaple", "examle", "exampe", "exampl" };
	struct table *t = malloc(sizeof(*t));
	__u8 sfx_wire[] = { 3, 'o', 'r', 'g' };
	__u64 sfx = mxg_name_hash(SEED, sfx_wire, sizeof(sfx_wire));
	__u64 h;
	size_t i, j;

	(void)state;
	build(t, "protect example.org fuzz=tld-swap\n");
	for (i = 0; i < 8; i++) {
		for (h = 0, j = 0; want[i][j]; j++)
			h = mxg_poly_step(h, (__u8)want[i][j]);
		assert_non_null(find(t, ksim_key(SEED, sfx, 0, h,
						 (__u32)strlen(want[i]))));
		assert_null(find(t, ksim_key(SEED, sfx, 1, h,
					     (__u32)strlen(want[i]))));
	}
	policy_free(&t->p);
	free(t);
}

static void test_matches(void **state)
{
	struct table *t = malloc(sizeof(*t));

	(void)state;
	build(t, "protect example.org fuzz=tld-swap\n"
		 "protect gmail.com action=block fuzz=tld-swap\n");
	assert_int_equal(kernel(t, "exmaple.org"), 0);	/* transposition */
	assert_int_equal(kernel(t, "exampl.org"), 0);	/* deletion */
	assert_int_equal(kernel(t, "examplee.org"), 0);	/* insertion */
	assert_int_equal(kernel(t, "exanple.org"), 0);	/* substitution */
	assert_int_equal(kernel(t, "xample.org"), 0);	/* first dropped */
	assert_int_equal(kernel(t, "xeample.org"), 0);	/* first two swapped */
	assert_int_equal(kernel(t, "eexample.org"), 0);	/* first doubled */
	assert_int_equal(kernel(t, "gmial.com"), 1);
	assert_int_equal(kernel(t, "GMAI.com"), 1);	/* case folded */
	/* Not the first of 5 or fewer (MXG_SIM_SHORT): "mail" is no typo. */
	assert_int_equal(kernel(t, "mail.com"), -1);
	assert_int_equal(judge("mail.com", "gmail.com"), 0);
	assert_int_equal(kernel(t, "mgail.com"), 1);	/* first two swapped */
	assert_int_equal(kernel(t, "gmai.com"), 1);	/* the last dropped */
	/* Not matches. */
	assert_int_equal(kernel(t, "example.org"), -1);	/* itself */
	assert_int_equal(kernel(t, "exmaple.com"), -1);	/* other suffix */
	assert_int_equal(kernel(t, "mx.exmaple.org"), -1); /* first label */
	assert_int_equal(kernel(t, "exmapel.org"), -1);	/* two edits */
	assert_int_equal(kernel(t, "unrelated.org"), -1);
	assert_int_equal(kernel(t, "org"), -1);
	/* The first letter: the second look's, with its keyboard. */
	assert_int_equal(kernel(t, "wxample.org"), -1);
	assert_int_equal(kernel(t, "aexample.org"), -1);
	policy_free(&t->p);
	/* The BPF suite's second-look names: the second look's alone. */
	build(t, "protect ups.com fuzz=omission\n"
		 "protect dhl.com fuzz=omission action=block\n");
	assert_int_equal(kernel(t, "yps.com"), -1);
	assert_int_equal(judge("yps.com", "ups.com"), 1);
	assert_int_equal(kernel(t, "shl.com"), -1);
	assert_int_equal(judge("shl.com", "dhl.com"), 1);
	assert_int_equal(kernel(t, "usps.com"), 0);
	assert_int_equal(kernel(t, "dhs.com"), 1);
	policy_free(&t->p);
	free(t);
}

/* A protected label is never a match of another's, under its suffix. */
static void test_protected_itself(void **state)
{
	struct table *t = malloc(sizeof(*t));

	(void)state;
	build(t, "protect example.org fuzz=tld-swap\n"
		 "protect exampl.org fuzz=tld-swap\n");
	assert_int_equal(kernel(t, "exampl.org"), -1);
	assert_int_equal(kernel(t, "example.org"), -1);
	assert_true(kernel(t, "exampe.org") >= 0);
	policy_free(&t->p);
	free(t);
}

/* More than MXG_SIM_SLOTS entries of one hash: the rest not filed. */
static void test_slots(void **state)
{
	struct table *t = malloc(sizeof(*t));

	(void)state;
	/* "ab" is aab\0, aab\1, abb\1, abb\2 and bab\0. */
	build(t, "protect aab.org fuzz=tld-swap\n"
		 "protect abb.org fuzz=tld-swap\n"
		 "protect bab.org fuzz=tld-swap\n");
	assert_int_equal(t->st.dropped, 1);
	/* 3 x (itself + 3 deletions), less the one dropped, one suffix. */
	assert_int_equal(t->n, 12 - 1 + 1 + 12);
	/* Moved dots: "a.aborg", "aa.borg", "aabo.rg", "aabor.g"; bound 5. */
	assert_int_equal(t->st.dots, 12);
	assert_int_equal(ksim_count(&t->p), 15 + 15);
	policy_free(&t->p);
	free(t);
}

/*
 * Every single edit of a few labels, with every letter, digit and hyphen:
 * the kernel matches only what similar_judge() accepts, and all of those
 * that leave the first letter alone.
 */
static void test_subset_of_second_look(void **state)
{
	static const char *prot[] = { "example.org", "gmail.com", "ab.net",
				      "paypal.co.uk", "aaaa.de" };
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyz0123456789-";
	struct table *t = malloc(sizeof(*t));
	char lab[80], name[160];
	size_t pi, i, c, n, tried = 0, matched = 0;
	const char *dot;
	int kind;

	(void)state;
	build(t, "protect example.org fuzz=tld-swap\n"
		 "protect gmail.com fuzz=tld-swap\n"
		 "protect ab.net fuzz=tld-swap\n"
		 "protect paypal.co.uk fuzz=tld-swap\n"
		 "protect aaaa.de fuzz=tld-swap\n");
	for (pi = 0; pi < 5; pi++) {
		dot = strchr(prot[pi], '.');
		n = (size_t)(dot - prot[pi]);
		for (kind = 0; kind < 4; kind++)
			for (i = 0; i <= n; i++)
				for (c = 0; c < sizeof(alpha) - 1; c++) {
					const char *L = prot[pi];
					size_t o = 0;

					if (kind == 0 && (c || i == n))
						continue;	/* delete i */
					if (kind == 2 && i == n)
						continue;	/* replace i */
					if (kind == 3 && (c || i + 1 >= n))
						continue;	/* swap i, i+1 */
					memcpy(lab, L, i);
					o = i;
					if (kind == 1 || kind == 2)
						lab[o++] = alpha[c];
					if (kind == 3) {
						lab[o++] = L[i + 1];
						lab[o++] = L[i];
					}
					memcpy(lab + o,
					       L + i + (kind == 1 ? 0 :
							kind == 3 ? 2 : 1),
					       n - i - (kind == 1 ? 0 :
						       kind == 3 ? 2 : 1));
					o += n - i - (kind == 1 ? 0 :
						      kind == 3 ? 2 : 1);
					lab[o] = '\0';
					if (!o || lab[0] == '-')
						continue;
					snprintf(name, sizeof(name), "%s%s",
						 lab, dot);
					tried++;
					/* The same decision on names. */
					if ((kernel(t, name) >= 0) !=
					    (by_name(t, name) != NULL))
						fail_msg("ksim_match and the "
							 "kernel differ on %s",
							 name);
					if (kernel(t, name) < 0) {
						/* Unchanged first letter. */
						if (lab[0] == L[0] &&
						    strcmp(name, L) &&
						    judge(name, L) == 1)
							fail_msg("kernel missed "
								 "%s for %s",
								 name, L);
						continue;
					}
					matched++;
					if (!judge(name, L))
						fail_msg("kernel matched %s "
							 "for %s, similar_"
							 "judge did not",
							 name, L);
				}
	}
	assert_int_equal(t->st.dropped, 0);
	assert_true(tried > 1000);
	assert_true(matched > 500);
	policy_free(&t->p);
	free(t);
}

/*
 * Two edits of a label of MXG_SIM_LONG bytes or more: two omissions, and
 * an omission with a substitution where it lines up; not the first letter,
 * not a hyphen, not three edits, not a label of 7.
 */
static void test_two_edits(void **state)
{
	static const struct {
		const char *name;
		int protect;	/* -1: no kernel match */
	} want[] = {
		{ "prtonmal.com", 0 },		/* two omissions */
		{ "rotonmal.com", 0 },		/* the first among them */
		{ "protonma.com", 0 },		/* the last two */
		{ "pretonmai.com", 0 },		/* o->e, l dropped: k == i */
		{ "potommail.com", 0 },		/* r dropped, n->m: j - 1 */
		{ "protnmaol.com", 0 },
		{ "PRTONMAL.com", 0 },		/* case folded */
		{ "facbok.com", 1 },		/* 8 bytes: two omissions */
		{ "facebok.com", 1 },		/* one edit, as before */
		/* Not the kernel's. */
		{ "xrotonmai.com", -1 },	/* the first letter replaced */
		{ "pro-onmai.com", -1 },	/* a hyphen put in */
		{ "prtnmal.com", -1 },		/* three omissions */
		{ "prtoxnmal.com", -1 },	/* three edits */
		{ "prtonmal.net", -1 },		/* another suffix */
		{ "htmal.com", -1 },		/* 7 bytes: one edit only */
		{ "hotmai.com", 2 },
		{ "protonmail.com", -1 },	/* itself */
	};
	struct table *t = malloc(sizeof(*t));
	size_t i;
	int k;

	(void)state;
	build(t, "protect protonmail.com action=block fuzz=omission\n"
		 "protect facebook.com fuzz=omission\n"
		 "protect hotmail.com fuzz=omission\n");
	/* 10 + 1 + 45, 8 + 1 + 28, 7 + 1; a suffix entry. */
	assert_int_equal(t->st.two, 45 + 28);
	assert_int_equal(t->n - (long)t->st.dots + (long)t->st.dropped,
			 56 + 37 + 8 + 1);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		k = kernel(t, want[i].name);
		if (k != want[i].protect)
			fail_msg("%s: kernel %d, want %d", want[i].name, k,
				 want[i].protect);
		if ((by_name(t, want[i].name) != NULL) != (k >= 0))
			fail_msg("%s: ksim_match differs", want[i].name);
	}
	/* What the second look makes of the excluded ones. */
	assert_int_equal(judge("pro-onmai.com", "protonmail.com"), 0);
	assert_int_equal(judge("prtoxnmal.com", "protonmail.com"), 0);
	assert_int_equal(judge("htmal.com", "hotmail.com"), 0);
	policy_free(&t->p);
	free(t);
}

/*
 * Every string two deletions and at most one insertion from a few labels
 * of 8 bytes or more (two omissions, an omission and a substitution at
 * each alignment, and the three-edit shapes between): the kernel model
 * and ksim_match agree, every kernel match is one similar_judge()
 * accepts, and every two omissions and aligned omission-substitution is
 * the kernel's.
 */
static void test_two_subset_of_second_look(void **state)
{
	static const char *prot[] = { "protonmail.com", "facebook.com",
				      "microsoft.com", "bankofamerica.com",
				      "hotmail.com" };
	static const char alpha[] = "aoxz1-";
	struct table *t = malloc(sizeof(*t));
	char y[80], lab[80], name[160];
	size_t pi, n, i, j, o, c, u, tried = 0, matched = 0;
	const char *dot;
	int kr, aligned;

	(void)state;
	build(t, "protect protonmail.com fuzz=omission\n"
		 "protect facebook.com fuzz=omission\n"
		 "protect microsoft.com fuzz=omission\n"
		 "protect bankofamerica.com fuzz=omission\n"
		 "protect hotmail.com fuzz=omission\n");
	for (pi = 0; pi < sizeof(prot) / sizeof(prot[0]); pi++) {
		const char *L = prot[pi];

		dot = strchr(L, '.');
		n = (size_t)(dot - L);
		for (i = 0; i < n; i++)
			for (j = i + 1; j < n; j++) {
				for (o = 0, u = 0; u < n; u++)
					if (u != i && u != j)
						y[o++] = L[u];
				/* pass c == 0: y; then y with one put in. */
				for (c = 0; c <= (n - 1) * strlen(alpha); c++) {
					size_t at = c ? (c - 1) / strlen(alpha)
						      : 0;
					char ch = c ? alpha[(c - 1) %
							    strlen(alpha)] : 0;

					memcpy(lab, y, at);
					o = at;
					if (c)
						lab[o++] = ch;
					memcpy(lab + o, y + at, n - 2 - at);
					o += n - 2 - at;
					lab[o] = '\0';
					if (lab[0] == '-' || !o)
						continue;
					snprintf(name, sizeof(name), "%s%s",
						 lab, dot);
					tried++;
					kr = kernel(t, name);
					if ((kr >= 0) !=
					    (by_name(t, name) != NULL))
						fail_msg("ksim_match and the "
							 "kernel differ on %s",
							 name);
					aligned = n >= MXG_SIM_LONG &&
						  (!c || (at > 0 && ch != '-' &&
							  (at == i ||
							   at + 1 == j)));
					if (kr < 0) {
						if (aligned && strcmp(lab, L))
							fail_msg("kernel missed"
								 " %s for %s",
								 name, L);
						continue;
					}
					matched++;
					if (!judge(name, L))
						fail_msg("kernel matched %s "
							 "for %s, similar_"
							 "judge did not",
							 name, L);
				}
			}
	}
	assert_int_equal(t->st.dropped, 0);
	print_message("two-edit shapes: %zu tried, %zu matched\n", tried,
		      matched);
	assert_true(tried > 10000);
	assert_true(matched > 1000);
	policy_free(&t->p);
	free(t);
}

#define LONG58	"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdef"

/* Past KSIM_TWO_MAX two-deletions: the later names file none, as said. */
static void test_two_budget(void **state)
{
	/* 63-letter labels: 1,953 two-deletions each; 268 fit. */
	size_t names = KSIM_TWO_MAX / 1953 + 2, i, cap, len = 0;
	char *text = malloc(names * 96), lab[64], name[96];
	struct mxg_policy p;
	struct ksim_stats st;
	__u64 *keys;
	struct mxg_sim *vals;
	__u8 wire[MXG_NAME_MAX];
	__u32 wl;
	long n;

	(void)state;
	assert_non_null(text);
	for (i = 0; i < names; i++)
		len += (size_t)sprintf(text + len,
				       "protect %05zu%.58s.org fuzz=omission\n",
				       i, LONG58);
	policy_init(&p);
	assert_int_equal(load_text(&p, text), 0);
	cap = ksim_count(&p);
	keys = malloc(cap * sizeof(*keys));
	vals = malloc(cap * sizeof(*vals));
	assert_non_null(keys);
	assert_non_null(vals);
	n = ksim_build(&p, SEED, 7, keys, vals, &st);
	assert_true(n > 0 && (size_t)n <= cap);
	assert_int_equal(st.two, (names - 2) * 1953);
	assert_int_equal(st.two_skipped, 2);
	assert_true(st.two <= KSIM_TWO_MAX);
	/* Two omissions: the first name's kernel match, not the last's. */
	for (i = 0; i < names; i += names - 1) {
		snprintf(lab, sizeof(lab), "%05zu%.58s", i, LONG58);
		snprintf(name, sizeof(name), "%.10s%s.org", lab, lab + 12);
		parse_or_fail(name, wire, &wl);
		if (i)
			assert_null(ksim_match(&p, wire, wl));
		else
			assert_ptr_equal(ksim_match(&p, wire, wl),
					 &p.protects[0]);
	}
	free(keys);
	free(vals);
	free(text);
	policy_free(&p);
}

/* The second look's finding for @name: the protected name, or "". */
static const char *second_look(const struct table *t, const char *name,
			       char *buf, size_t size)
{
	struct mxg_secondlook_finding f;
	__u8 wire[MXG_NAME_MAX];
	__u32 len;
	int n;

	parse_or_fail(name, wire, &len);
	n = secondlook_check(&t->p, NULL, wire, len, &f, 1);
	assert_true(n >= 0);
	buf[0] = '\0';
	if (n)
		mxg_name_format(f.protected_wire, f.protected_len, buf, size);
	return buf;
}

/*
 * Moved dots: a name of two labels whose bytes are a protected
 * registrable part's, dots left out, matches as a rule would, with the
 * protect line's action; and the second look finds each.
 */
static void test_moved_dots(void **state)
{
	static const struct {
		const char *name;
		int protect;	/* -1: no kernel match */
	} want[] = {
		{ "gmailc.om", 0 }, { "gmai.lcom", 0 }, { "g.mailcom", 0 },
		{ "GMAILC.OM", 0 }, { "mx.gmailc.om", 0 },
		{ "comcastn.et", 1 }, { "comcas.tnet", 1 },
		{ "paypalco.uk", 2 }, { "paypalc.ouk", 2 }, { "paypa.lcouk", 2 },
		{ "examplec.om", 3 },		/* mail.example.com's part */
		/* The protected names, their own subdomains, and others. */
		{ "gmail.com", -1 }, { "mx.gmail.com", -1 },
		{ "paypal.couk", -1 },		/* the same first label */
		{ "paypal.co.uk", -1 }, { "mailexamplec.om", -1 },
		{ "gmailc.om.evil.net", -1 }, { "hotmailc.om", -1 },
		{ "gmailcom", -1 }, { "gmailc.omm", -1 },
		{ "allowe.dnet", -1 },		/* allowed */
		{ "allowed.net", -1 },
	};
	struct table *t = malloc(sizeof(*t));
	char got[MXG_NAME_TEXT_MAX], prot[MXG_NAME_TEXT_MAX];
	const struct mxg_protect *pr;
	size_t i;
	int k;

	(void)state;
	build(t, "protect gmail.com action=block fuzz=omission\n"
		 "protect comcast.net fuzz=omission\n"
		 "protect paypal.co.uk fuzz=omission\n"
		 "protect mail.example.com fuzz=omission\n"
		 "protect allowed.net fuzz=omission\n"
		 "allow allowe.dnet\n");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		k = kernel(t, want[i].name);
		if (k != want[i].protect)
			fail_msg("%s: kernel %d, want %d", want[i].name, k,
				 want[i].protect);
		pr = by_name(t, want[i].name);
		if ((pr ? (int)(pr - t->p.protects) : -1) != k)
			fail_msg("%s: ksim_match differs", want[i].name);
		if (k < 0)
			continue;
		mxg_name_format(pr->wire, pr->len, prot, sizeof(prot));
		if (strcmp(second_look(t, want[i].name, got, sizeof(got)),
			   prot))
			fail_msg("%s: the second look says '%s', not %s",
				 want[i].name, got, prot);
	}
	/* The entries carry their protect line's action. */
	for (i = t->n - t->st.dots; i < (size_t)t->n; i++) {
		struct mxg_rule v;

		memcpy(&v, &t->vals[i], sizeof(v));
		pr = ksim_protect(&t->p, v.rule_id);
		assert_non_null(pr);
		assert_int_equal(v.action, pr->action);
		assert_int_equal(v.action, pr == &t->p.protects[0] ?
					   MXG_ACTION_BLOCK : MXG_ACTION_ALERT);
	}
	policy_free(&t->p);
	/* A protected name that libpsl makes a suffix has no part to cut. */
	build(t, "protect shop.bd fuzz=omission\n");
	assert_int_equal(t->st.dots, 0);
	policy_free(&t->p);
	/* Two protected names that run together alike: the first. */
	build(t, "protect gmail.com fuzz=omission\n"
		 "protect gmai.lcom fuzz=omission\n");
	assert_int_equal(kernel(t, "gmailc.om"), 0);
	assert_int_equal(kernel(t, "gmai.lcom"), -1);	/* protected */
	assert_int_equal(kernel(t, "gmail.com"), -1);
	policy_free(&t->p);
	free(t);
}

/*
 * Every two-label cut of a few protected names, and of the same bytes
 * with one changed: a kernel match is always one the second look makes
 * (and similar_judge() accepts, split at the first dot), on the name and
 * on a subdomain of it (the policy walk matches those too); every moved
 * dot the second look takes is the kernel's unless a rule, a public
 * suffix or the same first label's length keeps it out.
 */
static void test_dots_subset_of_second_look(void **state)
{
	static const char *prot[] = { "example.org", "gmail.com", "ab.net",
				      "paypal.co.uk", "comcast.net",
				      "aaaa.de" };
	static const char alpha[] = "ax0-";
	struct table *t = malloc(sizeof(*t));
	char d[80], name[200], sub[220], got[MXG_NAME_TEXT_MAX];
	size_t pi, n, j, c, o, tried = 0, matched = 0, l;
	int k, pass;

	(void)state;
	build(t, "protect example.org fuzz=tld-swap\n"
		 "protect gmail.com fuzz=tld-swap\n"
		 "protect ab.net fuzz=tld-swap\n"
		 "protect paypal.co.uk fuzz=tld-swap\n"
		 "protect comcast.net fuzz=tld-swap\n"
		 "protect aaaa.de fuzz=tld-swap\n");
	for (pi = 0; pi < sizeof(prot) / sizeof(prot[0]); pi++) {
		for (n = 0, l = 0; prot[pi][l]; l++)
			if (prot[pi][l] != '.')
				d[n++] = prot[pi][l];
		d[n] = '\0';
		/* pass 0: the bytes as they are; then one changed, at o. */
		for (pass = 0; pass <= (int)(n * (sizeof(alpha) - 1));
		     pass++) {
			char e[80];

			memcpy(e, d, n + 1);
			if (pass) {
				o = (size_t)(pass - 1) / (sizeof(alpha) - 1);
				c = (size_t)(pass - 1) % (sizeof(alpha) - 1);
				if (e[o] == alpha[c])
					continue;
				e[o] = alpha[c];
			}
			for (j = 1; j < n; j++) {
				snprintf(name, sizeof(name), "%.*s.%s", (int)j,
					 e, e + j);
				if (name[0] == '-' || name[j + 1] == '-' ||
				    name[j - 1] == '-' || name[n] == '-')
					continue;
				tried++;
				k = kernel(t, name);
				if ((k >= 0) != (by_name(t, name) != NULL))
					fail_msg("ksim_match and the kernel "
						 "differ on %s", name);
				if (k < 0) {
					if (!pass && strcmp(name, prot[pi]) &&
					    j != strcspn(prot[pi], ".") &&
					    !strcmp(second_look(t, name, got,
								sizeof(got)),
						    prot[pi]) &&
					    /* libpsl: a suffix */
					    strcmp(name, "gmailco.m"))
						fail_msg("kernel missed %s",
							 name);
					continue;
				}
				/* One changed: a one-edit label (same cut). */
				matched++;
				if (k != (int)pi ||
				    (pass && j != strcspn(prot[pi], ".")))
					fail_msg("%s matched for %d", name, k);
				if (!judge(name, prot[pi]))
					fail_msg("kernel matched %s for %s, "
						 "similar_judge did not", name,
						 prot[pi]);
				if (strcmp(second_look(t, name, got,
						       sizeof(got)), prot[pi]))
					fail_msg("kernel matched %s, the second "
						 "look did not", name);
				if (j == strcspn(prot[pi], "."))
					continue;	/* not a dot's */
				snprintf(sub, sizeof(sub), "mx.%s", name);
				if (kernel(t, sub) != k ||
				    strcmp(second_look(t, sub, got,
						       sizeof(got)), prot[pi]))
					fail_msg("%s: not both", sub);
			}
		}
	}
	assert_true(tried > 1300);
	assert_true(matched > 100);
	policy_free(&t->p);
	free(t);
}

/* A recipient's verdict: what the kernel matched, explained. */
static void test_recipient(void **state)
{
	struct table *t = malloc(sizeof(*t));
	struct mxg_rcpt_verdict v;
	const char *err;

	(void)state;
	build(t, "protect example.org fuzz=tld-swap\n"
		 "protect gmail.com action=block fuzz=tld-swap\n");
	assert_int_equal(mxg_rcpt_judge(&t->p, "<user@Exmaple.org>", &v,
					&err), 0);
	assert_int_equal(v.kind, MXG_RCPT_LOOKALIKE);
	assert_null(v.rule);
	assert_int_equal(v.protect, 0);
	assert_int_equal(v.action, MXG_ACTION_ALERT);
	assert_string_equal(v.imitates, "example.org");
	assert_string_equal(v.suggest, "user@example.org");
	assert_non_null(strstr(v.reason, "exmaple.org imitates example.org ("));
	assert_non_null(strstr(v.reason, ":1)"));
	assert_int_equal(mxg_rcpt_judge(&t->p, "gmial.com", &v, &err), 0);
	assert_int_equal(v.kind, MXG_RCPT_LOOKALIKE);
	assert_int_equal(v.protect, 1);
	assert_int_equal(v.action, MXG_ACTION_BLOCK);
	/* A moved dot: the kernel's too, with its line's action. */
	assert_int_equal(mxg_rcpt_judge(&t->p, "<a@Gmailc.om>", &v, &err), 0);
	assert_int_equal(v.kind, MXG_RCPT_LOOKALIKE);
	assert_int_equal(v.protect, 1);
	assert_int_equal(v.action, MXG_ACTION_BLOCK);
	assert_string_equal(v.suggest, "a@gmail.com");
	/* The protected names, other suffixes, unrelated names: clean. */
	assert_int_equal(mxg_rcpt_judge(&t->p, "a@example.org", &v, &err), 0);
	assert_int_not_equal(v.kind, MXG_RCPT_LOOKALIKE);
	assert_int_equal(mxg_rcpt_judge(&t->p, "a@exmaple.net", &v, &err), 0);
	assert_int_not_equal(v.kind, MXG_RCPT_LOOKALIKE);
	assert_int_equal(mxg_rcpt_judge(&t->p, "a@wxample.org", &v, &err), 0);
	assert_int_not_equal(v.kind, MXG_RCPT_LOOKALIKE);
	assert_int_equal(v.protect, -1);
	policy_free(&t->p);
	free(t);
}

/* `check` says where a match is enforced. */
static void test_check_enforced(void **state)
{
	struct table *t = malloc(sizeof(*t));
	struct ctl_reply r = { 0 };

	(void)state;
	build(t, "protect example.org fuzz=tld-swap action=block\n");
	assert_int_equal(check_name(&t->p, "exmaple.org", &r),
			 CHECK_LOOKALIKE);
	assert_non_null(strstr(r.buf, "action: block\nenforced: in the "
				      "kernel, on the question (similarity to "
				      "example.org)\n"));
	free(r.buf);
	memset(&r, 0, sizeof(r));
	/* A moved dot. */
	assert_int_equal(check_name(&t->p, "exampleo.rg", &r),
			 CHECK_LOOKALIKE);
	assert_non_null(strstr(r.buf, "moved the dot"));
	assert_non_null(strstr(r.buf, "action: block\nenforced: in the "
				      "kernel"));
	free(r.buf);
	memset(&r, 0, sizeof(r));
	/* A neighbouring first letter: the second look's alone. */
	assert_int_equal(check_name(&t->p, "wxample.org", &r),
			 CHECK_LOOKALIKE);
	assert_non_null(strstr(r.buf, "enforced: by mxguardd's second look"));
	free(r.buf);
	policy_free(&t->p);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entries),
		cmocka_unit_test(test_keys_direct),
		cmocka_unit_test(test_matches),
		cmocka_unit_test(test_protected_itself),
		cmocka_unit_test(test_slots),
		cmocka_unit_test(test_subset_of_second_look),
		cmocka_unit_test(test_two_edits),
		cmocka_unit_test(test_two_subset_of_second_look),
		cmocka_unit_test(test_two_budget),
		cmocka_unit_test(test_moved_dots),
		cmocka_unit_test(test_dots_subset_of_second_look),
		cmocka_unit_test(test_recipient),
		cmocka_unit_test(test_check_enforced),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
