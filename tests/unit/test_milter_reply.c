// SPDX-License-Identifier: GPL-2.0-only
/* What mxguard-milter answers per recipient (milter_reply.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../user/contrib/postfix/milter_reply.h"

static void answer(struct qry_answer *a, int verdict, int action)
{
	memset(a, 0, sizeof(*a));
	a->verdict = verdict;
	a->action = action;
	strcpy(a->domain, "army.ml");
	strcpy(a->imitates, "mil");
	strcpy(a->suggest, "officer@army.mil");
	strcpy(a->reason, "army.ml imitates mil (mil.policy:1)");
}

static void block_rejects(void **state)
{
	struct mlt_decision d;
	struct qry_answer a;

	(void)state;
	answer(&a, QRY_LOOKALIKE, QRY_BLOCK);
	mlt_decide(0, &a, "<officer@army.ml>", 0, &d);
	assert_int_equal(d.kind, MLT_REJECT);
	assert_string_equal(d.rcode, "550");
	assert_string_equal(d.xcode, "5.1.2");
	assert_string_equal(d.text, "<officer@army.ml>: army.ml imitates mil "
			    "(mil.policy:1); refused by mxguard; did you "
			    "mean officer@army.mil?");
	/* -H holds alert-rule mail only: a block rule still rejects. */
	mlt_decide(0, &a, "<officer@army.ml>", 1, &d);
	assert_int_equal(d.kind, MLT_REJECT);
}

/* smfi_setreply reads '%' as a format: doubled there, not in the log. */
static void percent_in_reason(void **state)
{
	struct mlt_decision d;
	struct qry_answer a;

	(void)state;
	answer(&a, QRY_LOOKALIKE, QRY_BLOCK);
	strcpy(a.reason, "army.ml imitates mil (100%.policy:1)");
	mlt_decide(0, &a, "<officer@army.ml>", 0, &d);
	assert_non_null(strstr(d.text, "(100%%.policy:1)"));
	assert_non_null(strstr(d.log, "(100%.policy:1)"));
	assert_null(strstr(d.log, "%%"));
}

static void alert_marks(void **state)
{
	struct mlt_decision d;
	struct qry_answer a;

	(void)state;
	answer(&a, QRY_LOOKALIKE, QRY_ALERT);
	mlt_decide(0, &a, "<officer@army.ml>", 0, &d);
	assert_int_equal(d.kind, MLT_MARK);
	assert_string_equal(d.text, "<officer@army.ml>: army.ml imitates mil "
			    "(mil.policy:1); marked by mxguard; did you mean "
			    "officer@army.mil?");
	mlt_decide(0, &a, "<officer@army.ml>", 1, &d);
	assert_int_equal(d.kind, MLT_MARK);
	assert_non_null(strstr(d.text, "; held by mxguard;"));
}

static void clean_passes(void **state)
{
	struct mlt_decision d;
	struct qry_answer a;

	(void)state;
	answer(&a, QRY_CLEAN, 0);
	mlt_decide(0, &a, "<buyer@partner.org>", 1, &d);
	assert_int_equal(d.kind, MLT_PASS);
	answer(&a, QRY_ALLOWED, QRY_BLOCK);
	mlt_decide(0, &a, "<x@gov.ml>", 0, &d);
	assert_int_equal(d.kind, MLT_PASS);
}

static void no_verdict(void **state)
{
	struct mlt_decision d;
	struct qry_answer a;

	(void)state;
	memset(&a, 0, sizeof(a));
	mlt_decide(-ECONNREFUSED, &a, "<officer%x@army.ml>", 0, &d);
	assert_int_equal(d.kind, MLT_NO_VERDICT);
	assert_string_equal(d.rcode, "451");
	assert_string_equal(d.xcode, "4.3.0");
	/* Nothing the client chose goes into a reply libmilter formats. */
	assert_null(strchr(d.text, '%'));
	mlt_decide(-ETIMEDOUT, &a, "<a@b>", 1, &d);
	assert_int_equal(d.kind, MLT_NO_VERDICT);
}

static void marks_bounded(void **state)
{
	struct mlt_marks m = { 0 };
	int i;

	(void)state;
	for (i = 0; i < MLT_MARKS_MAX + 5; i++)
		assert_int_equal(mlt_marks_add(&m, "x"), 0);
	assert_int_equal(m.n, MLT_MARKS_MAX);
	assert_int_equal(m.dropped, 5);
	mlt_marks_clear(&m);
	assert_int_equal(m.n, 0);
	assert_int_equal(mlt_marks_add(&m, "again"), 0);
	assert_string_equal(m.v[0], "again");
	mlt_marks_clear(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(block_rejects),
		cmocka_unit_test(percent_in_reason),
		cmocka_unit_test(alert_marks),
		cmocka_unit_test(clean_passes),
		cmocka_unit_test(no_verdict),
		cmocka_unit_test(marks_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
