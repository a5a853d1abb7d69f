// SPDX-License-Identifier: GPL-2.0-only
/* The per-(process, destination) alert rate limiter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ratelimit.h"

struct flushed {
	int calls;
	__u64 repeats[64];
	struct rl_key keys[64];
	int sample_ok;
};

static void on_flush(void *ctx, const struct rl_entry *e)
{
	struct flushed *f = ctx;

	if (f->calls < 64) {
		f->repeats[f->calls] = e->repeats;
		f->keys[f->calls] = e->key;
	}
	f->sample_ok = e->sample && !memcmp(e->sample, "sample!", 8);
	f->calls++;
}

static struct rl_key key(__u32 tgid, __u8 last)
{
	struct rl_key k;

	memset(&k, 0, sizeof(k));
	k.type = 1;
	k.tgid = tgid;
	k.dest[15] = last;
	k.port = 25;
	return k;
}

static void test_first_emits_repeats_fold(void **state)
{
	struct ratelimit rl;
	struct flushed f = { 0 };
	struct rl_key k = key(42, 1);
	int i;

	(void)state;
	assert_int_equal(rl_init(&rl, 60, 16, 8), 0);
	assert_int_equal(rl_check(&rl, &k, 100, "sample!", on_flush, &f),
			 RL_EMIT);
	for (i = 0; i < 9; i++)
		assert_int_equal(rl_check(&rl, &k, 101 + i, "x", on_flush, &f),
				 RL_SUPPRESS);
	assert_int_equal(rl.suppressed, 9);
	/* Before the window ends nothing is flushed... */
	rl_expire(&rl, 159, on_flush, &f);
	assert_int_equal(f.calls, 0);
	/* ...at its end the summary carries the count and the first event. */
	rl_expire(&rl, 160, on_flush, &f);
	assert_int_equal(f.calls, 1);
	assert_int_equal(f.repeats[0], 9);
	assert_true(f.sample_ok);
	assert_int_equal(rl.used, 0);
	rl_free(&rl);
}

static void test_keys_are_independent(void **state)
{
	struct ratelimit rl;
	struct flushed f = { 0 };
	struct rl_key a = key(1, 1), b = key(2, 1), c = key(1, 2);

	(void)state;
	assert_int_equal(rl_init(&rl, 10, 16, 0), 0);
	assert_int_equal(rl_check(&rl, &a, 0, NULL, on_flush, &f), RL_EMIT);
	assert_int_equal(rl_check(&rl, &b, 0, NULL, on_flush, &f), RL_EMIT);
	assert_int_equal(rl_check(&rl, &c, 0, NULL, on_flush, &f), RL_EMIT);
	assert_int_equal(rl_check(&rl, &a, 1, NULL, on_flush, &f),
			 RL_SUPPRESS);
	rl_expire(&rl, 10, on_flush, &f);
	/* Only the key with repeats is summarised. */
	assert_int_equal(f.calls, 1);
	assert_int_equal(f.keys[0].tgid, 1);
	assert_int_equal(f.keys[0].dest[15], 1);
	rl_free(&rl);
}

static void test_new_window_after_expiry(void **state)
{
	struct ratelimit rl;
	struct flushed f = { 0 };
	struct rl_key k = key(7, 7);

	(void)state;
	assert_int_equal(rl_init(&rl, 5, 16, 0), 0);
	rl_check(&rl, &k, 0, NULL, on_flush, &f);
	rl_check(&rl, &k, 1, NULL, on_flush, &f);
	/* A check after the window closes it (summary) and emits anew. */
	assert_int_equal(rl_check(&rl, &k, 6, NULL, on_flush, &f), RL_EMIT);
	assert_int_equal(f.calls, 1);
	assert_int_equal(f.repeats[0], 1);
	rl_free(&rl);
}

static void test_full_table_flushes_oldest(void **state)
{
	struct ratelimit rl;
	struct flushed f = { 0 };
	struct rl_key k;
	int i;

	(void)state;
	assert_int_equal(rl_init(&rl, 1000, 8, 0), 0);
	/* Each key repeats once, so any early close must be reported. */
	for (i = 0; i < 200; i++) {
		k = key(i, 0);
		rl_check(&rl, &k, i, NULL, on_flush, &f);
		rl_check(&rl, &k, i, NULL, on_flush, &f);
	}
	assert_true(rl.used * 2 <= rl.cap);
	assert_true(rl.evicted > 0);
	assert_int_equal(f.calls, rl.evicted);
	rl_expire(&rl, (__u64)-1, on_flush, &f);
	/* Nothing is lost: every key's repeat is in some summary. */
	assert_int_equal(f.calls, 200);
	assert_int_equal(rl.suppressed, 200);
	rl_free(&rl);
}

static void test_window_zero_disables(void **state)
{
	struct ratelimit rl;
	struct rl_key k = key(1, 1);

	(void)state;
	assert_int_equal(rl_init(&rl, 0, 4, 0), 0);
	assert_int_equal(rl_check(&rl, &k, 0, NULL, NULL, NULL), RL_EMIT);
	assert_int_equal(rl_check(&rl, &k, 0, NULL, NULL, NULL), RL_EMIT);
	assert_int_equal(rl.suppressed, 0);
	rl_free(&rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_emits_repeats_fold),
		cmocka_unit_test(test_keys_are_independent),
		cmocka_unit_test(test_new_window_after_expiry),
		cmocka_unit_test(test_full_table_flushes_oldest),
		cmocka_unit_test(test_window_zero_disables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
