// SPDX-License-Identifier: GPL-2.0-only
/*
 * remap_rule: which rule of a new policy a live taint belongs to, by its
 * origin name when known, else by the rule of the generation that made it.
 */
#include "loader.h"
#include "policy_helpers.h"
#include "remap.h"

struct two {
	struct mxg_policy was, now;
	struct mxg_gens g;
};

/* @was as generation 255, @now as generation 0: the 8-bit wrap. */
static void load_two(struct two *t, const char *was, const char *now)
{
	policy_init(&t->was);
	policy_init(&t->now);
	assert_int_equal(load_text(&t->was, was), 0);
	assert_int_equal(load_text(&t->now, now), 0);
	t->g = (struct mxg_gens){ .now = &t->now, .now_gen = 0,
				  .prev = &t->was, .prev_gen = 255 };
}

static void free_two(struct two *t)
{
	policy_free(&t->was);
	policy_free(&t->now);
}

/* The id generation 255 gave the rule that matches @name in @was. */
static __u32 old_id(const struct two *t, const char *name)
{
	return 255u << 24 | (__u32)match(&t->was, name);
}

static long by_origin(const struct two *t, __u32 id, const char *origin)
{
	__u8 wire[MXG_NAME_MAX];
	__u32 len;

	parse_or_fail(origin, wire, &len);
	return remap_rule(&t->g, id, wire, len);
}

static long by_rule(const struct two *t, __u32 id)
{
	return remap_rule(&t->g, id, NULL, 0);
}

static void test_rule_moved(void **state)
{
	struct two t;

	(void)state;
	load_two(&t, "lookalike ml of mil action=alert\n",
		 "lookalike xx.example of example.com\n"
		 "lookalike ml of mil action=block\n");
	assert_int_equal(by_rule(&t, old_id(&t, "army.ml")), 1);
	assert_int_equal(by_origin(&t, old_id(&t, "army.ml"), "army.ml"), 1);
	free_two(&t);
}

static void test_rule_removed(void **state)
{
	struct two t;

	(void)state;
	load_two(&t, "lookalike ml of mil\nlookalike gmial.com of gmail.com\n",
		 "lookalike gmial.com of gmail.com\n");
	assert_int_equal(by_rule(&t, old_id(&t, "army.ml")), REMAP_DROP);
	assert_int_equal(by_origin(&t, old_id(&t, "army.ml"), "army.ml"),
			 REMAP_DROP);
	free_two(&t);
}

static void test_rule_now_allow(void **state)
{
	struct two t;

	(void)state;
	load_two(&t, "lookalike ml of mil\n", "allow ml\n");
	assert_int_equal(by_rule(&t, old_id(&t, "army.ml")), REMAP_DROP);
	free_two(&t);
}

/* Known, the whole origin is judged; unknown, only the rule's suffix. */
static void test_new_allow_below_the_suffix(void **state)
{
	struct two t;

	(void)state;
	load_two(&t, "lookalike ml of mil\n",
		 "lookalike ml of mil\nallow gov.ml\n");
	assert_int_equal(by_origin(&t, old_id(&t, "gov.ml"), "gov.ml"),
			 REMAP_DROP);
	assert_int_equal(by_origin(&t, old_id(&t, "army.ml"), "army.ml"), 0);
	assert_int_equal(by_rule(&t, old_id(&t, "gov.ml")), 0);
	free_two(&t);
}

/* A removed specific rule falls back to the broader one that remains. */
static void test_broader_rule_covers(void **state)
{
	struct two t;

	(void)state;
	load_two(&t, "lookalike ml of mil\n"
		     "lookalike army.ml of army.mil action=block\n",
		 "lookalike ml of mil\n");
	assert_int_equal(MXG_RULE_INDEX(old_id(&t, "mail.army.ml")), 1);
	assert_int_equal(by_rule(&t, old_id(&t, "mail.army.ml")), 0);
	free_two(&t);
}

static void test_generation_unknown(void **state)
{
	struct two t;

	(void)state;
	load_two(&t, "lookalike ml of mil\n", "lookalike ml of mil\n");
	/* A generation neither table is (a previous daemon's). */
	assert_int_equal(by_rule(&t, 254u << 24), REMAP_UNKNOWN);
	assert_int_equal(by_origin(&t, 254u << 24, "army.ml"), 0);
	/* Marked unknown before, in a generation still held. */
	assert_int_equal(by_rule(&t, 255u << 24 | MXG_RULE_UNKNOWN),
			 REMAP_UNKNOWN);
	t.g.prev = NULL;		/* a fresh daemon has one table */
	assert_int_equal(by_rule(&t, old_id(&t, "army.ml")), REMAP_UNKNOWN);
	assert_int_equal(by_rule(&t, 0u << 24), 0);
	free_two(&t);
}

/* An id naming an allow rule was never made by that table. */
static void test_id_of_an_allow(void **state)
{
	struct two t;

	(void)state;
	load_two(&t, "allow gov.ml\nlookalike ml of mil\n",
		 "lookalike ml of mil\n");
	assert_int_equal(by_rule(&t, 255u << 24 | 0), REMAP_UNKNOWN);
	assert_int_equal(by_rule(&t, 255u << 24 | 1), 0);
	free_two(&t);
}

/*
 * A kernel similarity match (MXG_RULE_SIM over the protect directive):
 * kept, naming no rule, while the name is still protected and nothing
 * allows the origin; a rule that covers the origin now takes it.
 */
static void test_similarity(void **state)
{
	static const char was[] = "protect example.org fuzz=tld-swap "
				  "action=block\n";
	__u32 id = 255u << 24 | MXG_RULE_SIM | 0;
	struct two t;

	(void)state;
	load_two(&t, was, was);
	assert_int_equal(by_origin(&t, id, "exmaple.org"), REMAP_UNKNOWN);
	/* Without the origin: no rule of that table to judge by. */
	assert_int_equal(by_rule(&t, id), REMAP_UNKNOWN);
	free_two(&t);
	load_two(&t, was, "protect other.org fuzz=tld-swap\n");
	assert_int_equal(by_origin(&t, id, "exmaple.org"), REMAP_DROP);
	free_two(&t);
	load_two(&t, was, "protect example.org fuzz=tld-swap\n"
			  "allow exmaple.org\n");
	assert_int_equal(by_origin(&t, id, "exmaple.org"), REMAP_DROP);
	free_two(&t);
	load_two(&t, was, "protect example.org fuzz=tld-swap\n"
			  "lookalike exmaple.org of example.org\n");
	assert_int_equal(by_origin(&t, id, "exmaple.org"),
			 match(&t.now, "exmaple.org"));
	free_two(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_moved),
		cmocka_unit_test(test_rule_removed),
		cmocka_unit_test(test_rule_now_allow),
		cmocka_unit_test(test_new_allow_below_the_suffix),
		cmocka_unit_test(test_broader_rule_covers),
		cmocka_unit_test(test_generation_unknown),
		cmocka_unit_test(test_id_of_an_allow),
		cmocka_unit_test(test_similarity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
