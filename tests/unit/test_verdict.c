// SPDX-License-Identifier: GPL-2.0-only
/* The recipient's verdict, reason and suggestion (verdict.h). */
#include "policy_helpers.h"
#include "verdict.h"

static const char POLICY[] =
	"lookalike ml of mil action=block\n"
	"protect gmail.com fuzz=all action=alert\n"
	"allow partner.ml\n";

static struct mxg_policy pol;

static int setup(void **state)
{
	(void)state;
	policy_init(&pol);
	return load_text(&pol, POLICY) ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	policy_free(&pol);
	return 0;
}

static void judge(const char *rcpt, struct mxg_rcpt_verdict *v)
{
	const char *err = NULL;

	if (mxg_rcpt_judge(&pol, rcpt, v, &err))
		fail_msg("'%s': %s", rcpt, err);
}

static void suffix_rule(void **state)
{
	struct mxg_rcpt_verdict v;

	(void)state;
	judge("<Officer@Army.ML>", &v);
	assert_int_equal(v.kind, MXG_RCPT_LOOKALIKE);
	assert_int_equal(v.action, MXG_ACTION_BLOCK);
	assert_string_equal(v.domain, "army.ml");
	assert_string_equal(v.imitates, "mil");
	assert_string_equal(v.suggest, "Officer@army.mil");
	assert_string_equal(v.reason, "army.ml imitates mil (t.policy:1)");
}

static void generated_rule(void **state)
{
	struct mxg_rcpt_verdict v;

	(void)state;
	judge("bob@gmial.com", &v);
	assert_int_equal(v.kind, MXG_RCPT_LOOKALIKE);
	assert_int_equal(v.action, MXG_ACTION_ALERT);
	assert_string_equal(v.imitates, "gmail.com");
	assert_string_equal(v.suggest, "bob@gmail.com");
	judge("smtp.gmial.com", &v);	/* a bare domain, a deeper name */
	assert_string_equal(v.suggest, "smtp.gmail.com");
}

static void clean_and_allowed(void **state)
{
	struct mxg_rcpt_verdict v;

	(void)state;
	judge("clerk@partner.org", &v);
	assert_int_equal(v.kind, MXG_RCPT_CLEAN);
	assert_null(v.rule);
	assert_string_equal(v.suggest, "");
	assert_string_equal(v.reason, "");
	judge("a@partner.ml", &v);
	assert_int_equal(v.kind, MXG_RCPT_ALLOWED);
	judge("bob@gmail.com", &v);	/* generated names spare the name */
	assert_int_equal(v.kind, MXG_RCPT_CLEAN);
}

/* Senders see the reason: the policy's base name, never the host's path. */
static void reason_names_no_path(void **state)
{
	struct mxg_policy p;
	struct mxg_rcpt_verdict v;
	const char *err;

	(void)state;
	policy_init(&p);
	assert_int_equal(policy_load_buffer(&p, "/etc/mxguard/policies.d/"
					    "mil.policy", POLICY,
					    strlen(POLICY)), 0);
	assert_int_equal(mxg_rcpt_judge(&p, "officer@army.ml", &v, &err), 0);
	assert_string_equal(v.reason, "army.ml imitates mil (mil.policy:1)");
	policy_free(&p);
}

static void refused(void **state)
{
	static const char *const bad[] = {
		"", "<>", "<a@army.ml", "@army.ml", "a b@army.ml",
		"a@", "caf\xc3\xa9@army.ml", "a@army..ml",
	};
	struct mxg_rcpt_verdict v;
	const char *err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = NULL;
		if (!mxg_rcpt_judge(&pol, bad[i], &v, &err))
			fail_msg("'%s' was accepted", bad[i]);
		assert_non_null(err);
	}
}

/* The longest local part and name still fit, escaped, with no cut. */
static void longest(void **state)
{
	char rcpt[600], lab[64];
	struct mxg_rcpt_verdict v;

	(void)state;
	memset(lab, 'a', 63);
	lab[63] = 0;
	snprintf(rcpt, sizeof(rcpt), "%.64s@%s.%s.%s.%.57s.ml",
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		 lab, lab, lab, lab);
	judge(rcpt, &v);
	assert_int_equal(v.kind, MXG_RCPT_LOOKALIKE);
	/* army.mil is one byte longer than army.ml: still under 255 here */
	assert_true(strlen(v.suggest) > 250);
	assert_non_null(strstr(v.suggest, ".mil"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(suffix_rule),
		cmocka_unit_test(generated_rule),
		cmocka_unit_test(clean_and_allowed),
		cmocka_unit_test(refused),
		cmocka_unit_test(reason_names_no_path),
		cmocka_unit_test(longest),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
