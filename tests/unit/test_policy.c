// SPDX-License-Identifier: GPL-2.0-only
/* Policy files: syntax, every error message, matching, directories. */
#include <errno.h>

#include "log.h"
#include "lookalike.h"
#include "policy_helpers.h"
#include "policy_int.h"

static void test_good_file(void **state)
{
	static const char text[] =
		"# protected: the Malian TLD swap of .mil\n"
		"\n"
		"lookalike ml of mil\t# default action\n"
		"  lookalike\tArmy.ML.  of  army.mil  action=block\r\n"
		"allow gov.ml#no space before the comment\n"
		"allow mail.gov.ml";	/* no final newline */
	struct mxg_policy p;

	(void)state;
	policy_init(&p);
	assert_int_equal(load_text(&p, text), 0);
	assert_string_equal(warned, "");
	assert_int_equal(p.n, 4);

	assert_int_equal(p.rules[0].kind, MXG_RULE_LOOKALIKE);
	assert_int_equal(p.rules[0].action, MXG_ACTION_ALERT);
	assert_wire(rt_wire(&p, &p.rules[0]), p.rules[0].wire_len, "ml");
	assert_wire(rt_protected_wire(&p, &p.rules[0]),
	            rt_protected_len(&p, &p.rules[0]), "mil");
	assert_string_equal(rt_file(&p, &p.rules[0]), "t.policy");
	assert_int_equal(p.rules[0].line, 3);

	assert_int_equal(p.rules[1].action, MXG_ACTION_BLOCK);
	assert_wire(rt_wire(&p, &p.rules[1]), p.rules[1].wire_len, "army.ml");
	assert_wire(rt_protected_wire(&p, &p.rules[1]),
		    rt_protected_len(&p, &p.rules[1]),
		    "army.mil");
	assert_int_equal(p.rules[1].line, 4);

	assert_int_equal(p.rules[2].kind, MXG_RULE_ALLOW);
	assert_wire(rt_wire(&p, &p.rules[2]), p.rules[2].wire_len, "gov.ml");
	assert_int_equal(p.rules[3].line, 6);
	/* Every rule points at one interned copy of the file name. */
	assert_int_equal(p.nfiles, 1);
	assert_ptr_equal(rt_file(&p, &p.rules[3]), p.files[0]);
	policy_free(&p);
}

struct bad_line {
	const char *text;
	const char *message;
};

static const struct bad_line bad_lines[] = {
	{ "frobnicate x.ml", "unknown directive 'frobnicate'" },
	{ "lookalike", "lookalike: missing suffix" },
	{ "lookalike army.ml", "lookalike: missing 'of'" },
	{ "lookalike army.ml for mil", "lookalike: expected 'of', found 'for'" },
	{ "lookalike army.ml of", "lookalike: missing protected name" },
	{ "allow   # nothing", "allow: missing suffix" },
	{ "lookalike a..ml of mil", "invalid suffix 'a..ml': empty label" },
	{ "lookalike army.ml of mi\\300l",
	  "invalid protected name 'mi\\300l': \\DDD escape above 255" },
	{ "allow .", "the root cannot be a suffix" },
	{ "lookalike army.ml of .", "the root cannot be a protected name" },
	{ "lookalike army.ml of ARMY.ML.",
	  "'ARMY.ML.' is its own protected name" },
	{ "lookalike ml of army.ml",
	  "protected name 'army.ml' is under the lookalike suffix" },
	{ "lookalike army.ml of mil mode=x", "unknown option 'mode'" },
	{ "lookalike army.ml of mil action=drop",
	  "bad action 'drop' (alert or block)" },
	{ "lookalike army.ml of mil action=", "bad action '' (alert or block)" },
	{ "lookalike army.ml of mil action=block action=block",
	  "option 'action' given twice" },
	{ "lookalike army.ml of mil now", "extra token 'now'" },
	{ "allow gov.ml action=block", "allow takes no options ('action=block')" },
	{ "allow gov.ml mil", "extra token 'mil'" },
	{ "lookalike x.ml of mil fuzz=all", "unknown option 'fuzz'" },
	{ "protect", "protect: missing name" },
	{ "protect .", "the root cannot be a protected name" },
	{ "protect gmail.com fuzz=typo", "unknown fuzzer 'typo' (all, or a "
	  "comma-separated list: see mxguard.policy(5))" },
	{ "protect gmail.com fuzz=omission,", "unknown fuzzer '' (all, or a "
	  "comma-separated list: see mxguard.policy(5))" },
	{ "protect gmail.com fuzz=all fuzz=omission",
	  "option 'fuzz' given twice" },
	{ "protect gmail.com action=drop", "bad action 'drop' (alert or block)" },
	{ "protect gmail.com mode=x", "unknown option 'mode'" },
	{ "protect gmail.com now", "extra token 'now'" },
	{ "protect _dmarc.example.com",
	  "protect: '_dmarc.example.com' is not a host name" },
	{ "protect b\\195\\188cher.example",
	  "protect: 'b\\195\\188cher.example' is not a host name" },
	{ "include", "include: missing path" },
	{ "include a.policy b.policy", "extra token 'b.policy'" },
	{ "include a.policy action=block",
	  "include takes no options ('action=block')" },
};

static void test_each_error(void **state)
{
	char want[512];
	struct mxg_policy p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		policy_init(&p);
		assert_int_equal(load_text(&p, bad_lines[i].text), 1);
		snprintf(want, sizeof(want), "test: t.policy:1: %s\n",
			 bad_lines[i].message);
		assert_string_equal(warned, want);
		assert_int_equal(p.n, 0);
		policy_free(&p);
	}
}

static void test_protected_length(void **state)
{
	char text[512], want[512], name[200];
	struct mxg_policy p;

	(void)state;
	/* 63 + 62 bytes and two length bytes: 127, the most that fits. */
	memset(name, 'a', 63);
	name[63] = '.';
	memset(name + 64, 'b', 62);
	name[126] = '\0';
	snprintf(text, sizeof(text), "lookalike x.ml of %s\n", name);
	policy_init(&p);
	assert_int_equal(load_text(&p, text), 0);
	assert_int_equal(rt_protected_len(&p, &p.rules[0]), 127);
	policy_free(&p);

	strcat(name, "b");
	snprintf(text, sizeof(text), "lookalike x.ml of %s\n", name);
	snprintf(want, sizeof(want),
		 "test: t.policy:1: protected name '%s' is longer than 127 wire bytes\n",
		 name);
	policy_init(&p);
	assert_int_equal(load_text(&p, text), 1);
	assert_string_equal(warned, want);
	policy_free(&p);
}

static void test_line_length_and_nul(void **state)
{
	static const char nul[] = "allow ok.ml\nallow a\0b.ml\n";
	char *text = malloc(2 * 4100);
	struct mxg_policy p;

	(void)state;
	assert_non_null(text);
	/* 4096 bytes is the longest line; 4097 is one too many. */
	memset(text, '#', 4096);
	text[4096] = '\n';
	memset(text + 4097, '#', 4097);
	text[4097 + 4097] = '\0';
	policy_init(&p);
	assert_int_equal(load_text(&p, text), 1);
	assert_string_equal(warned,
			    "test: t.policy:2: line longer than 4096 bytes\n");
	policy_free(&p);
	free(text);

	policy_init(&p);
	capture_begin();
	assert_int_equal(policy_load_buffer(&p, "t.policy", nul,
					    sizeof(nul) - 1), 1);
	capture_end();
	assert_string_equal(warned, "test: t.policy:2: NUL byte in line\n");
	assert_int_equal(p.n, 0);
	policy_free(&p);
}

static void test_duplicate(void **state)
{
	struct mxg_policy p;

	(void)state;
	policy_init(&p);
	assert_int_equal(load_text(&p, "allow gov.ml\n"
				       "\n"
				       "lookalike GOV.ML. of mil\n"), 1);
	assert_string_equal(warned, "test: t.policy:3: duplicate rule for "
				    "'gov.ml' (first at t.policy:1)\n");
	policy_free(&p);
}

/* Every bad line is reported, in order, and the file loads nothing. */
static void test_all_errors_reported(void **state)
{
	struct mxg_policy p;

	(void)state;
	policy_init(&p);
	assert_int_equal(load_text(&p, "allow a.ml\n"
				       "deny b.ml\n"
				       "allow c.ml\n"
				       "lookalike d.ml of\n"
				       "allow a.ml\n"), 3);
	assert_string_equal(warned,
		"test: t.policy:2: unknown directive 'deny'\n"
		"test: t.policy:4: lookalike: missing protected name\n"
		"test: t.policy:5: duplicate rule for 'a.ml' (first at t.policy:1)\n");
	assert_int_equal(p.n, 0);
	assert_int_equal(match(&p, "a.ml"), -1);
	policy_free(&p);
}

static void test_match_label_boundary(void **state)
{
	struct mxg_policy p;

	(void)state;
	policy_init(&p);
	assert_int_equal(load_text(&p, "lookalike ml of mil\n"), 0);
	assert_int_equal(match(&p, "army.ml"), 0);
	assert_int_equal(match(&p, "A.B.ML."), 0);
	assert_int_equal(match(&p, "ml"), 0);
	assert_int_equal(match(&p, "html"), -1);
	assert_int_equal(match(&p, "ml.com"), -1);
	assert_int_equal(match(&p, "."), -1);
	policy_free(&p);
}

static void test_match_most_specific(void **state)
{
	struct mxg_policy p;

	(void)state;
	policy_init(&p);
	assert_int_equal(load_text(&p, "allow gov.ml\n"
				       "lookalike ml of mil action=block\n"
				       "lookalike mail.gov.ml of mail.mil\n"),
			 0);
	assert_int_equal(match(&p, "gov.ml"), 0);
	assert_int_equal(match(&p, "www.gov.ml"), 0);
	assert_int_equal(match(&p, "notgov.ml"), 1);
	assert_int_equal(match(&p, "x.mail.gov.ml"), 2);
	assert_int_equal(p.rules[2].action, MXG_ACTION_ALERT);
	policy_free(&p);
}

/*
 * Rules learnt and unlearnt at run time, many times over: what matches is
 * what was learnt and not removed, the index stays whole through its
 * back-shifting deletes, and slots are reused so the table stays bounded.
 */
static void test_learn_unlearn(void **state)
{
	enum { NAMES = 600, ROUNDS = 6000 };
	struct mxg_rule_spec r = { .kind = MXG_RULE_LOOKALIKE,
				   .action = MXG_ACTION_BLOCK, .origin = 65 };
	static int idx[NAMES];
	__u8 wire[MXG_NAME_MAX], prot[MXG_NAME_MAX];
	unsigned int seed = 7;
	struct mxg_policy p;
	char name[64];
	size_t base, live = 0;
	int i, k, m;

	(void)state;
	policy_init(&p);
	assert_int_equal(load_text(&p, "protect example.com fuzz=omission\n"
				       "allow gov.ml\n"), 0);
	base = p.n;
	r.protected_len = parse_len_or_fail("example.com", prot);
	r.protected_wire = prot;
	r.file = "second-look";
	for (i = 0; i < NAMES; i++)
		idx[i] = -1;
	for (k = 0; k < ROUNDS; k++) {
		seed = seed * 1103515245u + 12345u;
		i = (seed >> 16) % NAMES;
		snprintf(name, sizeof(name), "l%d.example", i);
		r.wire_len = parse_len_or_fail(name, wire);
		r.wire = wire;
		if (idx[i] < 0) {
			idx[i] = policy_learn(&p, &r);
			assert_true(idx[i] >= 0);
			live++;
		} else {
			assert_int_equal(policy_learn(&p, &r), -EEXIST);
			assert_int_equal(policy_unlearn(&p, idx[i]), 0);
			assert_int_equal(policy_unlearn(&p, idx[i]), -EINVAL);
			idx[i] = -1;
			live--;
		}
	}
	assert_int_equal(p.nlearnt, live);
	assert_true(p.n <= base + NAMES + MXG_POLICY_DEAD_KEEP + 1);
	for (i = 0; i < NAMES; i++) {
		snprintf(name, sizeof(name), "mx.l%d.example", i);
		m = match(&p, name);
		assert_int_equal(m, idx[i]);
		if (m >= 0)
			assert_int_equal(p.rules[m].flags, MXG_RULE_F_LEARNT);
	}
	/* What was there before is untouched. */
	assert_int_equal(p.rules[match(&p, "x.gov.ml")].kind, MXG_RULE_ALLOW);
	assert_int_equal(policy_unlearn(&p, 0), -EINVAL);
	/* The name is the rule's own copy. */
	r.wire_len = parse_len_or_fail("copy.example", wire);
	i = policy_learn(&p, &r);
	memset(wire, 0, sizeof(wire));
	assert_int_equal(match(&p, "copy.example"), i);
	policy_free(&p);
}

/* policy_add and rules appended by hand are found like loaded ones. */
static void test_add_and_hand_appended(void **state)
{
	struct mxg_rule_spec r = { .kind = MXG_RULE_LOOKALIKE, .origin = 3 };
	struct mxg_policy_rule hand = { .kind = MXG_RULE_LOOKALIKE,
					.origin = 3 };
	__u8 wire[MXG_NAME_MAX], ml[MXG_NAME_MAX];
	long ref;
	struct mxg_policy p;

	(void)state;
	policy_init(&p);
	assert_int_equal(load_text(&p, "allow gov.ml\n"), 0);
	r.wire_len = parse_len_or_fail("arrny.ml", wire);
	r.wire = wire;
	assert_int_equal(policy_add(&p, &r), 1);
	assert_int_equal(policy_add(&p, &r), -EEXIST);
	assert_int_equal(match(&p, "www.arrny.ml"), 1);

	/* Bypass the index: still matched, and still a duplicate. */
	hand.wire_len = parse_len_or_fail("ml", ml);
	ref = policy_store_rule_name(&p, ml, hand.wire_len);
	assert_true(ref >= 0);
	hand.name = (__u32)ref;
	assert_true(p.n < p.cap);
	p.rules[p.n++] = hand;
	assert_int_equal(match(&p, "x.ml"), 2);
	assert_int_equal(load_text(&p, "allow ml\n"), 1);
	assert_string_equal(warned, "test: t.policy:1: duplicate rule for 'ml' "
				    "(first at (generated):0)\n");
	policy_free(&p);
}

/*
 * Names that share a suffix with one stored before are stored as their
 * first labels and a reference: each reads back whole, byte for byte, is
 * matched as before, and the arena holds less than the names would.
 */
static void test_shared_names(void **state)
{
	static const char *const names[] = {
		"example", "x1.example", "x2.example", "a.x1.example",
		"b.a.x1.example", "x1.example.org", "y.example.org", "ab.cd",
		"z.ab.cd", "q.z.ab.cd", "deep.q.z.ab.cd", "other.x2.example",
		"a.b", "c.a.b",
		"sixty-three-chars-label-"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example",
	};
	const size_t n = sizeof(names) / sizeof(names[0]), bulk = 20000;
	size_t cap = 64 * 1024 + bulk * 64, i, total = 0;
	char *text = malloc(cap), *t = text, name[96];
	__u8 wire[MXG_NAME_MAX], buf[MXG_NAME_MAX];
	struct mxg_policy p;
	__u8 len;

	(void)state;
	assert_non_null(text);
	for (i = 0; i < n; i++)
		t += sprintf(t, "allow %s\n", names[i]);
	for (i = 0; i < bulk; i++)
		t += sprintf(t, "lookalike x%zu.shared.example of "
			     "example.com\n", i);
	policy_init(&p);
	assert_int_equal(load_text(&p, text), 0);
	assert_int_equal(p.n, n + bulk);
	for (i = 0; i < n + bulk; i++) {
		if (i < n)
			snprintf(name, sizeof(name), "%s", names[i]);
		else
			snprintf(name, sizeof(name), "x%zu.shared.example",
				 i - n);
		len = parse_len_or_fail(name, wire);
		total += len;
		assert_int_equal(p.rules[i].wire_len, len);
		assert_memory_equal(mxg_rule_wire(&p, &p.rules[i], buf), wire,
				    len);
		assert_true(mxg_rule_is(&p, &p.rules[i], wire, len));
		assert_int_equal(policy_match(&p, wire, len), (int)i);
	}
	assert_int_equal(match(&p, "mx.deep.q.z.ab.cd"), 10);
	assert_int_equal(match(&p, "w.x1.example"), 1);
	assert_int_equal(match(&p, "x3.example"), 0);
	/* "shared.example" (16 bytes) is held once, not 20000 times. */
	assert_true(p.names.bytes < total - bulk * 8);
	policy_free(&p);
	free(text);
}

/* A duplicate of a shared name is still one, and names its first line. */
static void test_shared_names_duplicates(void **state)
{
	struct mxg_rule_spec r = { .kind = MXG_RULE_ALLOW };
	__u8 wire[MXG_NAME_MAX], buf[MXG_NAME_MAX];
	struct mxg_policy p;

	(void)state;
	policy_init(&p);
	assert_int_equal(load_text(&p, "allow a.example\n"
				       "allow b.example\n"
				       "allow b.example\n"), 1);
	assert_string_equal(warned, "test: t.policy:3: duplicate rule for "
				    "'b.example' (first at t.policy:2)\n");
	policy_free(&p);

	policy_init(&p);
	assert_int_equal(load_text(&p, "allow a.example\n"
				       "allow b.example\n"), 0);
	r.wire_len = parse_len_or_fail("b.example", wire);
	r.wire = wire;
	assert_int_equal(policy_add(&p, &r), -EEXIST);
	r.wire_len = parse_len_or_fail("c.b.example", wire);
	assert_int_equal(policy_add(&p, &r), 2);
	memset(wire, 0, sizeof(wire));
	assert_wire(mxg_rule_wire(&p, &p.rules[2], buf), p.rules[2].wire_len,
		    "c.b.example");
	assert_int_equal(match(&p, "www.c.b.example"), 2);
	/* A learnt name is its own copy, read back the same way. */
	r.kind = MXG_RULE_LOOKALIKE;
	r.protected_len = parse_len_or_fail("example.com", buf);
	r.protected_wire = buf;
	r.wire_len = parse_len_or_fail("d.b.example", wire);
	assert_int_equal(policy_learn(&p, &r), 3);
	memset(wire, 0, sizeof(wire));
	assert_wire(rt_wire(&p, &p.rules[3]), p.rules[3].wire_len,
		    "d.b.example");
	assert_wire(rt_protected_wire(&p, &p.rules[3]),
		    rt_protected_len(&p, &p.rules[3]), "example.com");
	assert_int_equal(match(&p, "d.b.example"), 3);
	policy_free(&p);

	/*
	 * Generated rules merge as before: "gmail.net" of two protects goes
	 * to the nearer one, keeping its stored name.
	 */
	policy_init(&p);
	assert_int_equal(load_text(&p, "protect gmail.co.uk fuzz=tld-swap\n"
				       "protect gmail.com fuzz=tld-swap\n"), 0);
	assert_wire(rt_protected_wire(&p, &p.rules[match(&p, "gmail.net")]),
		    rt_protected_len(&p, &p.rules[match(&p, "gmail.net")]),
		    "gmail.com");
	assert_wire(rt_wire(&p, &p.rules[match(&p, "gmail.net")]),
		    p.rules[match(&p, "gmail.net")].wire_len, "gmail.net");
	policy_free(&p);
}

/*
 * At 16,777,214 rules (the index's 24 bits) the next one is refused with
 * -E2BIG, by policy_add and policy_learn alike.  The count is set by hand
 * over an empty index of 2^25 slots (calloc'd, never touched), so no
 * rule past the first is read.
 */
static void test_rule_limit(void **state)
{
	struct mxg_rule_spec r = { .kind = MXG_RULE_LOOKALIKE };
	__u8 wire[MXG_NAME_MAX], prot[MXG_NAME_MAX];
	struct mxg_policy p;

	(void)state;
	policy_init(&p);
	assert_int_equal(load_text(&p, "allow a.example\n"), 0);
	free(p.slots);
	p.nslots = (size_t)1 << 25;
	p.slots = calloc(p.nslots, sizeof(*p.slots));
	assert_non_null(p.slots);
	p.n = p.nindexed = MXG_POLICY_RULES_MAX;
	assert_int_equal(MXG_POLICY_RULES_MAX, 16777214);
	r.wire_len = parse_len_or_fail("b.example", wire);
	r.wire = wire;
	r.protected_len = parse_len_or_fail("example.com", prot);
	r.protected_wire = prot;
	assert_int_equal(policy_add(&p, &r), -E2BIG);
	assert_int_equal(policy_learn(&p, &r), -E2BIG);
	assert_int_equal(p.n, MXG_POLICY_RULES_MAX);
	p.n = 1;
	policy_free(&p);
}

/* Enough rules that a linear scan per rule would take minutes. */
static void test_many_rules(void **state)
{
	const size_t n = 100000;
	char *text = malloc(n * 32), *s = text, name[64];
	struct mxg_policy p;
	size_t i;

	(void)state;
	assert_non_null(text);
	for (i = 0; i < n; i++)
		s += sprintf(s, "allow n%zu.example.ml\n", i);
	policy_init(&p);
	capture_begin();
	assert_int_equal(policy_load_buffer(&p, "big.policy", text, s - text),
			 0);
	capture_end();
	assert_int_equal(p.n, n);
	for (i = 0; i < n; i += 997) {
		snprintf(name, sizeof(name), "www.n%zu.example.ml", i);
		assert_int_equal(match(&p, name), (int)i);
	}
	assert_int_equal(match(&p, "example.ml"), -1);
	policy_free(&p);
	free(text);
}

/*
 * A run of one "of" name is parsed once (parse_lookalike keeps the last):
 * a change of name, and the checks on a line whose name is the last one,
 * still come out as with a fresh parse.
 */
static void test_protected_name_runs(void **state)
{
	static const char text[] =
		"lookalike a.ml of x.com\n"
		"lookalike b.ml of x.com action=block\n"
		"lookalike c.ml of y.com\n"
		"lookalike d.ml of x.com\n"
		"lookalike x.com of x.com\n"
		"lookalike com of x.com\n";
	struct mxg_policy p;

	(void)state;
	policy_init(&p);
	assert_int_equal(load_text(&p, text), 2);
	assert_string_equal(warned,
			    "test: t.policy:5: 'x.com' is its own protected name\n"
			    "test: t.policy:6: protected name 'x.com' is under "
			    "the lookalike suffix\n");
	policy_free(&p);

	policy_init(&p);
	assert_int_equal(load_text(&p, "lookalike a.ml of x.com\n"
				       "lookalike b.ml of x.com action=block\n"
				       "lookalike c.ml of y.com\n"
				       "lookalike d.ml of x.com\n"), 0);
	assert_int_equal(p.n, 4);
	assert_int_equal(p.nprotected, 2);
	assert_wire(rt_protected_wire(&p, &p.rules[1]),
		    rt_protected_len(&p, &p.rules[1]),
		    "x.com");
	assert_int_equal(p.rules[1].action, MXG_ACTION_BLOCK);
	assert_wire(rt_protected_wire(&p, &p.rules[2]),
		    rt_protected_len(&p, &p.rules[2]),
		    "y.com");
	assert_ptr_equal(rt_protected_wire(&p, &p.rules[3]),
	                 rt_protected_wire(&p, &p.rules[0]));
	policy_free(&p);
}

/*
 * Room made for a file's rule lines is given back once it is read, but
 * for some for learnt rules; lines that only look like rules (errors,
 * comments) leave no oversized index behind.
 */
static void test_reserve_given_back(void **state)
{
	const size_t n = 50000;
	char *text = malloc(n * 40), *s = text;
	struct mxg_policy p;
	size_t i;

	(void)state;
	assert_non_null(text);
	for (i = 0; i < n; i++)
		s += sprintf(s, i % 100 ? "   # allow c%zu.ml\n" :
					  "\tallow n%zu.ml\n", i);
	policy_init(&p);
	assert_int_equal(policy_load_buffer(&p, "big.policy", text, s - text),
			 0);
	assert_int_equal(p.n, n / 100);
	assert_true(p.cap <= p.n + 2048);
	assert_true(p.nslots <= 4096);
	assert_int_equal(match(&p, "www.n4900.ml"), 49);
	policy_free(&p);

	/* 50000 lines that begin "a" or "l": reserved for, then given back. */
	for (i = 0, s = text; i < n; i++)
		s += sprintf(s, i % 100 ? "lookalike c%zu.ml of\n" :
					  "allow n%zu.ml\n", i);
	policy_init(&p);
	capture_begin();
	assert_int_equal(policy_load_buffer(&p, "big.policy", text, s - text),
			 (int)(n - n / 100));
	capture_end();
	assert_int_equal(p.n, 0);
	assert_true(p.cap <= 2048);
	assert_true(p.nslots <= 4096);
	policy_free(&p);
	free(text);
}

/*
 * A file is read 1 MiB at a time (policy_parse.c, parse_fd): lines that
 * straddle a piece, a line longer than a piece, and a last line with no
 * newline come out as from one buffer, line numbers included.
 */
static void test_file_in_pieces(void **state)
{
	const char *dir = *state;
	const size_t n = 150000, big = 1536 * 1024;
	char *text = malloc(n * 40 + big + 64), *s = text, path[4096];
	struct mxg_policy p;
	size_t i;

	assert_non_null(text);
	for (i = 0; i < n; i++) {
		if (i == n / 2) {	/* line n/2 + 1: 1.5 MiB of comment */
			*s++ = '#';
			memset(s, 'x', big);
			s += big;
			*s++ = '\n';
			continue;
		}
		s += sprintf(s, i % 7 ? "allow n%zu.example.ml\n" :
					"  lookalike l%zu.ml of mil\r\n", i);
	}
	s += sprintf(s, "allow last.ml");	/* no final newline */
	write_file(dir, "big.policy", text, 0644);
	snprintf(path, sizeof(path), "%s/big.policy", dir);
	policy_init(&p);
	assert_int_equal(load_path(&p, path), 1);
	assert_non_null(strstr(warned, "big.policy:75001: line longer than "
				       "4096 bytes\n"));
	policy_free(&p);

	/* Without the long line: every rule, the last one on line n + 1. */
	s = text;
	for (i = 0; i < n; i++)
		s += sprintf(s, i % 7 ? "allow n%zu.example.ml\n" :
					"  lookalike l%zu.ml of mil\r\n", i);
	s += sprintf(s, "allow last.ml");
	write_file(dir, "big.policy", text, 0644);
	policy_init(&p);
	assert_int_equal(load_path(&p, path), 0);
	assert_int_equal(p.n, n + 1);
	assert_int_equal(p.rules[n].line, (int)n + 1);
	assert_int_equal(p.rules[n / 2].line, (int)n / 2 + 1);
	assert_int_equal(p.rules[7].kind, MXG_RULE_LOOKALIKE);
	assert_int_equal(match(&p, "www.n149999.example.ml"), (int)n - 1);
	assert_int_equal(match(&p, "last.ml"), (int)n);
	assert_true(p.cap <= p.n + 2048);
	policy_free(&p);
	free(text);
}

static void test_directory_order(void **state)
{
	const char *dir = *state;
	char path[4096], sub[4096];
	struct mxg_policy p;

	policy_init(&p);
	assert_int_equal(load_path(&p, dir), 0);	/* empty: fine */
	assert_int_equal(p.n, 0);

	write_file(dir, "b.policy", "allow b.ml\n", 0644);
	write_file(dir, "a.policy", "allow a.ml\n", 0644);
	/* strcmp order: capitals sort before lowercase in every locale. */
	write_file(dir, "Z.policy", "allow z.ml\n", 0644);
	write_file(dir, "c.policy.bak", "garbage\n", 0644);
	write_file(dir, "notes.txt", "garbage\n", 0644);
	snprintf(sub, sizeof(sub), "%s/d.policy", dir);
	assert_int_equal(mkdir(sub, 0755), 0);

	assert_int_equal(load_path(&p, dir), 0);
	assert_string_equal(warned, "");
	assert_int_equal(p.n, 3);
	assert_wire(rt_wire(&p, &p.rules[0]), p.rules[0].wire_len, "z.ml");
	snprintf(path, sizeof(path), "%s/Z.policy", dir);
	assert_string_equal(rt_file(&p, &p.rules[0]), path);
	assert_wire(rt_wire(&p, &p.rules[1]), p.rules[1].wire_len, "a.ml");
	assert_wire(rt_wire(&p, &p.rules[2]), p.rules[2].wire_len, "b.ml");
	policy_free(&p);
}

static void test_directory_errors(void **state)
{
	const char *dir = *state;
	char want[8192], path[4096];
	struct mxg_policy p;

	write_file(dir, "a.policy", "allow a.ml\n", 0644);
	write_file(dir, "b.policy", "# second\nallow a.ml\n", 0644);
	policy_init(&p);
	assert_int_equal(load_path(&p, dir), 1);
	snprintf(want, sizeof(want),
		 "test: %s/b.policy:2: duplicate rule for 'a.ml' (first at %s/a.policy:1)\n",
		 dir, dir);
	assert_string_equal(warned, want);
	policy_free(&p);

	snprintf(path, sizeof(path), "%s/missing.policy", dir);
	policy_init(&p);
	assert_int_equal(load_path(&p, path), 1);
	snprintf(want, sizeof(want), "test: %s: No such file or directory\n",
		 path);
	assert_string_equal(warned, want);
	policy_free(&p);
}

static void test_world_writable(void **state)
{
	const char *dir = *state;
	char want[8192], path[4096];
	struct mxg_policy p;

	write_file(dir, "open.policy", "allow a.ml\n", 0666);
	snprintf(path, sizeof(path), "%s/open.policy", dir);
	policy_init(&p);
	assert_int_equal(load_path(&p, path), 1);
	snprintf(want, sizeof(want),
		 "test: %s: refusing: group-writable, anyone may write\n",
		 path);
	assert_string_equal(warned, want);
	assert_int_equal(p.n, 0);
	policy_free(&p);
}

/* The reload pattern: load into a fresh policy, keep the old on failure. */
static void test_bad_reload_keeps_old(void **state)
{
	const char *dir = *state;
	struct mxg_policy cur, next;
	char path[4096];

	write_file(dir, "mil.policy", "lookalike ml of mil\n", 0644);
	policy_init(&cur);
	assert_int_equal(load_path(&cur, dir), 0);

	write_file(dir, "mil.policy", "lookalike ml of mil\nallow\n", 0644);
	snprintf(path, sizeof(path), "%s/mil.policy", dir);
	policy_init(&next);
	assert_int_equal(load_path(&next, dir), 1);
	policy_free(&next);

	assert_int_equal(cur.n, 1);
	assert_string_equal(rt_file(&cur, &cur.rules[0]), path);
	assert_int_equal(match(&cur, "army.ml"), 0);
	policy_free(&cur);
}

static void test_duplicate_protect(void **state)
{
	struct mxg_policy p;

	(void)state;
	policy_init(&p);
	/* Two files may protect one name: merged, with a warning. */
	assert_int_equal(load_text(&p, "protect gmail.com fuzz=omission\n"
				       "protect GMAIL.COM. fuzz=plural "
				       "action=block\n"), 0);
	assert_string_equal(warned, "test: t.policy:2: protect 'GMAIL.COM.' "
				    "again (first at t.policy:1): merged\n");
	assert_int_equal(p.nprotects, 1);
	assert_int_equal(p.protects[0].fuzzers,
			 (1U << MXG_FUZZ_OMISSION) | (1U << MXG_FUZZ_PLURAL));
	assert_int_equal(p.protects[0].action, MXG_ACTION_BLOCK);
	assert_int_equal(p.protects[0].line, 1);
	assert_true(match(&p, "gmai.com") >= 0);
	assert_true(match(&p, "gmails.com") >= 0);
	policy_free(&p);
}

/* Two files of a directory protect one name: merged, the policy loads. */
static void test_duplicate_protect_files(void **state)
{
	const char *dir = *state;
	struct mxg_policy p;

	write_file(dir, "a.policy", "protect gmail.com fuzz=omission\n", 0644);
	write_file(dir, "b.policy", "protect gmail.com fuzz=transposition "
				    "action=block\n", 0644);
	policy_init(&p);
	assert_int_equal(load_path(&p, dir), 0);
	assert_non_null(strstr(warned, "b.policy:1: protect 'gmail.com' "
				       "again (first at "));
	assert_non_null(strstr(warned, "a.policy:1): merged\n"));
	assert_int_equal(p.nprotects, 1);
	assert_true(match(&p, "gmai.com") >= 0);
	assert_true(match(&p, "gmial.com") >= 0);
	assert_int_equal(p.rules[match(&p, "gmai.com")].action,
			 MXG_ACTION_BLOCK);
	policy_free(&p);
}

/* Names may be written in Unicode; they are stored as A-labels. */
static void test_unicode_names(void **state)
{
	struct mxg_policy p;

	(void)state;
	policy_init(&p);
	assert_int_equal(load_text(&p, "lookalike Bücher.ml of bücher.example\n"
				       "allow straße.ml\n"), 0);
	assert_string_equal(warned, "");
	assert_wire(rt_wire(&p, &p.rules[0]), p.rules[0].wire_len,
		    "xn--bcher-kva.ml");
	assert_wire(rt_protected_wire(&p, &p.rules[0]),
		    rt_protected_len(&p, &p.rules[0]),
		    "xn--bcher-kva.example");
	/* UTS #46 non-transitional: sharp s stays a sharp s. */
	assert_wire(rt_wire(&p, &p.rules[1]), p.rules[1].wire_len,
	            "xn--strae-oqa.ml");
	assert_int_equal(match(&p, "www.xn--bcher-kva.ml"), 0);
	policy_free(&p);
}

/* A failed load leaves the policy as the last good one left it. */
static void test_failed_load_rolls_back(void **state)
{
	struct mxg_policy p;
	size_t n;

	(void)state;
	policy_init(&p);
	assert_int_equal(load_text(&p, "protect gmail.com fuzz=transposition\n"
				       "allow gov.ml\n"), 0);
	n = p.n;
	assert_int_equal(p.nprotects, 1);
	assert_int_equal(load_text(&p, "protect yahoo.com\n"
				       "allow gmial.com\n"
				       "allow gov.ml\n"), 1);
	assert_int_equal(p.n, n);
	assert_int_equal(p.nprotects, 1);
	assert_int_equal(p.nprotected, 1);
	assert_int_equal(rule_for(&p, "gmial.com")->origin,
			 MXG_FUZZ_TRANSPOSITION);
	assert_int_equal(match(&p, "yahoo.co"), -1);
	policy_free(&p);
}

static void test_include_relative(void **state)
{
	const char *dir = *state;
	char path[4096], sub[4096];
	struct mxg_policy p;

	snprintf(sub, sizeof(sub), "%s/sub", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	write_file(dir, "a.policy", "include sub/b.policy\nallow a.ml\n", 0644);
	write_file(dir, "sub/b.policy", "include ../c.policy # up\nallow b.ml\n",
		   0644);
	write_file(dir, "c.policy", "allow c.ml\n", 0644);
	snprintf(path, sizeof(path), "%s/a.policy", dir);
	policy_init(&p);
	assert_int_equal(load_path(&p, path), 0);
	assert_string_equal(warned, "");
	assert_int_equal(p.n, 3);
	assert_wire(rt_wire(&p, &p.rules[0]), p.rules[0].wire_len, "c.ml");
	snprintf(path, sizeof(path), "%s/sub/../c.policy", dir);
	assert_string_equal(rt_file(&p, &p.rules[0]), path);
	assert_wire(rt_wire(&p, &p.rules[2]), p.rules[2].wire_len, "a.ml");
	policy_free(&p);

	/* The directory: c.policy was read through a.policy, not twice. */
	policy_init(&p);
	assert_int_equal(load_path(&p, dir), 0);
	assert_string_equal(warned, "");
	assert_int_equal(p.n, 3);
	policy_free(&p);

	/* A buffer's includes start where its name says it lives. */
	snprintf(path, sizeof(path), "%s/buffer.policy", dir);
	policy_init(&p);
	capture_begin();
	assert_int_equal(policy_load_buffer(&p, path, "include sub\n", 12), 0);
	capture_end();
	assert_int_equal(p.n, 2);	/* b.ml and c.ml */
	p.no_include = 1;
	assert_int_equal(load_text(&p, "include c.policy\n"), 1);
	assert_string_equal(warned,
			    "test: t.policy:1: include is disabled here\n");
	policy_free(&p);
}

static void test_include_errors(void **state)
{
	const char *dir = *state;
	char path[4096], want[8192], name[32], text[64];
	struct mxg_policy p;
	int i;

	write_file(dir, "a.policy", "include b.policy\n", 0644);
	write_file(dir, "b.policy", "allow b.ml\ninclude a.policy\n", 0644);
	snprintf(path, sizeof(path), "%s/a.policy", dir);
	policy_init(&p);
	assert_int_equal(load_path(&p, path), 1);
	snprintf(want, sizeof(want), "test: %s/b.policy:2: include loop: "
		 "'%s/a.policy' is already being read\n", dir, dir);
	assert_string_equal(warned, want);
	assert_int_equal(p.n, 0);
	policy_free(&p);

	write_file(dir, "a.policy", "\ninclude nope.policy\n", 0644);
	policy_init(&p);
	assert_int_equal(load_path(&p, path), 1);
	snprintf(want, sizeof(want), "test: %s/a.policy:2: include "
		 "'%s/nope.policy': No such file or directory\n", dir, dir);
	assert_string_equal(warned, want);
	policy_free(&p);

	/* f0 includes f1 ... f8: the eighth file may not open a ninth. */
	for (i = 0; i <= 8; i++) {
		snprintf(name, sizeof(name), "f%d.policy", i);
		snprintf(text, sizeof(text), "allow f%d.ml\ninclude f%d.policy\n",
			 i, i + 1);
		write_file(dir, name, i < 8 ? text : "allow f8.ml\n", 0644);
	}
	snprintf(path, sizeof(path), "%s/f0.policy", dir);
	policy_init(&p);
	assert_int_equal(load_path(&p, path), 1);
	snprintf(want, sizeof(want), "test: %s/f7.policy:2: includes nested "
		 "deeper than 8 files\n", dir);
	assert_string_equal(warned, want);
	assert_int_equal(p.n, 0);
	policy_free(&p);
	snprintf(path, sizeof(path), "%s/f1.policy", dir);
	policy_init(&p);
	assert_int_equal(load_path(&p, path), 0);
	assert_int_equal(p.n, 8);
	policy_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_each_error),
		cmocka_unit_test(test_protected_length),
		cmocka_unit_test(test_line_length_and_nul),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_match_label_boundary),
		cmocka_unit_test(test_match_most_specific),
		cmocka_unit_test(test_add_and_hand_appended),
		cmocka_unit_test(test_learn_unlearn),
		cmocka_unit_test(test_many_rules),
		cmocka_unit_test(test_protected_name_runs),
		cmocka_unit_test(test_reserve_given_back),
		cmocka_unit_test(test_shared_names),
		cmocka_unit_test(test_shared_names_duplicates),
		cmocka_unit_test(test_rule_limit),
		cmocka_unit_test(test_duplicate_protect),
		cmocka_unit_test_setup_teardown(test_duplicate_protect_files,
						dir_setup, dir_teardown),
		cmocka_unit_test(test_unicode_names),
		cmocka_unit_test(test_failed_load_rolls_back),
		cmocka_unit_test_setup_teardown(test_include_relative,
						dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_include_errors,
						dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_file_in_pieces,
						dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_directory_order,
						dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_directory_errors,
						dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_world_writable,
						dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_bad_reload_keeps_old,
						dir_setup, dir_teardown),
	};

	log_init("test", LOG_LVL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
