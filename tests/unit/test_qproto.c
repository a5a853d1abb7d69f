// SPDX-License-Identifier: GPL-2.0-only
/* The query protocol (qproto.h): requests, answers, the SMTP text. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "qproto.h"

static void lookalike(struct qry_answer *a)
{
	memset(a, 0, sizeof(*a));
	a->verdict = QRY_LOOKALIKE;
	a->action = QRY_BLOCK;
	strcpy(a->domain, "army.ml");
	strcpy(a->imitates, "mil");
	strcpy(a->suggest, "officer@army.mil");
	strcpy(a->reason, "army.ml imitates mil (mil.policy:1)");
}

static void request_format(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(qry_format_request(out, sizeof(out), "<a@b.ml>"), 0);
	assert_string_equal(out, "rcpt <a@b.ml>\n");
	/* What SMTP would not carry never reaches the daemon. */
	assert_int_equal(qry_format_request(out, sizeof(out), ""), -EINVAL);
	assert_int_equal(qry_format_request(out, sizeof(out), "a\n@b"),
			 -EINVAL);
	assert_int_equal(qry_format_request(out, sizeof(out), "a\r@b"),
			 -EINVAL);
	assert_int_equal(qry_format_request(out, sizeof(out), "a b@c"),
			 -EINVAL);
	assert_int_equal(qry_format_request(out, sizeof(out), "\xc3\xa9@b"),
			 -EINVAL);
	/* Too long for the buffer: refused, not cut. */
	assert_int_equal(qry_format_request(out, 10, "abcdef@gh"), -EINVAL);
}

static void request_parse(void **state)
{
	const char *err = NULL;

	(void)state;
	assert_string_equal(qry_parse_request("rcpt x@army.ml", &err),
			    "x@army.ml");
	assert_string_equal(qry_parse_request("rcpt   x@y", &err), "x@y");
	assert_null(qry_parse_request("rcpt ", &err));
	assert_string_equal(err, "no recipient");
	assert_null(qry_parse_request("status", &err));
	assert_null(qry_parse_request("RCPT x@y", &err));
	assert_null(qry_parse_request("", &err));
}

static void answer_round_trip(void **state)
{
	struct qry_answer a, b;
	char line[QRY_LINE_MAX], err[64];

	(void)state;
	lookalike(&a);
	qry_format_answer(line, sizeof(line), &a);
	assert_string_equal(line, "status=ok verdict=lookalike action=block "
			    "domain=army.ml imitates=mil "
			    "suggest=officer@army.mil reason=\"army.ml "
			    "imitates mil (mil.policy:1)\"\n");
	assert_int_equal(qry_parse_answer(line, &b, err, sizeof(err)), 0);
	assert_int_equal(b.verdict, QRY_LOOKALIKE);
	assert_int_equal(b.action, QRY_BLOCK);
	assert_string_equal(b.domain, "army.ml");
	assert_string_equal(b.imitates, "mil");
	assert_string_equal(b.suggest, "officer@army.mil");
	assert_string_equal(b.reason, a.reason);
}

/* A policy file named with quotes, backslashes and bytes past ASCII. */
static void answer_quoting(void **state)
{
	struct qry_answer a, b;
	char line[QRY_LINE_MAX], err[64];

	(void)state;
	lookalike(&a);
	a.action = QRY_ALERT;
	a.suggest[0] = '\0';
	strcpy(a.reason, "x.ml imitates mil (my \"odd\\\" \xff.policy:3)");
	qry_format_answer(line, sizeof(line), &a);
	assert_non_null(strstr(line, "action=alert"));
	assert_null(strstr(line, "suggest="));
	assert_non_null(strstr(line, "reason=\"x.ml imitates mil (my "
				     "\\\"odd\\\\\\\" ?.policy:3)\"\n"));
	assert_int_equal(qry_parse_answer(line, &b, err, sizeof(err)), 0);
	assert_int_equal(b.action, QRY_ALERT);
	assert_string_equal(b.suggest, "");
	assert_string_equal(b.reason,
			    "x.ml imitates mil (my \"odd\\\" ?.policy:3)");
}

static void answer_clean(void **state)
{
	struct qry_answer a = { .verdict = QRY_CLEAN }, b;
	char line[QRY_LINE_MAX], err[64];

	(void)state;
	strcpy(a.domain, "partner.org");
	qry_format_answer(line, sizeof(line), &a);
	assert_string_equal(line,
			    "status=ok verdict=clean domain=partner.org\n");
	assert_int_equal(qry_parse_answer(line, &b, err, sizeof(err)), 0);
	assert_int_equal(b.verdict, QRY_CLEAN);
	assert_string_equal(b.domain, "partner.org");
}

/* A short buffer cuts the line but always ends it. */
static void answer_short_buffer(void **state)
{
	struct qry_answer a;
	char line[40];
	size_t n;

	(void)state;
	lookalike(&a);
	n = qry_format_answer(line, sizeof(line), &a);
	assert_int_equal(n, strlen(line));
	assert_true(n < sizeof(line));
	assert_int_equal(line[n - 1], '\n');
}

static void answer_refused(void **state)
{
	struct qry_answer b;
	char err[64];

	(void)state;
	/* control.c's refusal, the daemon's own error, nonsense. */
	assert_int_equal(qry_parse_answer("error busy: too many "
					  "connections\n", &b, err,
					  sizeof(err)), -EPROTO);
	assert_string_equal(err, "busy: too many connections");
	assert_int_equal(qry_parse_answer("status=error\n", &b, err,
					  sizeof(err)), -EPROTO);
	assert_int_equal(qry_parse_answer("", &b, err, sizeof(err)),
			 -EPROTO);
	assert_int_equal(qry_parse_answer("verdict=clean status=ok\n", &b,
					  err, sizeof(err)), -EPROTO);
	assert_int_equal(qry_parse_answer("status=ok\n", &b, err,
					  sizeof(err)), -EPROTO);
	/* A lookalike without an action is no verdict. */
	assert_int_equal(qry_parse_answer("status=ok verdict=lookalike\n", &b,
					  err, sizeof(err)), -EPROTO);
	assert_int_equal(qry_parse_answer("status=ok verdict=maybe\n", &b,
					  err, sizeof(err)), -EPROTO);
	assert_int_equal(qry_parse_answer("status=ok verdict=lookalike "
					  "action=block reason=\"open\n", &b,
					  err, sizeof(err)), -EPROTO);
	assert_int_equal(qry_parse_answer("status=ok verdict=clean =x\n", &b,
					  err, sizeof(err)), -EPROTO);
	/* Keys a newer daemon may add are skipped. */
	assert_int_equal(qry_parse_answer("status=ok verdict=clean "
					  "future=\"a b\" domain=x.org\n", &b,
					  err, sizeof(err)), 0);
	assert_string_equal(b.domain, "x.org");
}

static void smtp_text(void **state)
{
	struct qry_answer a;
	char out[512];

	(void)state;
	lookalike(&a);
	qry_smtp_text(out, sizeof(out), "<officer@army.ml>", &a, "refused",
		      0);
	assert_string_equal(out, "<officer@army.ml>: army.ml imitates mil "
			    "(mil.policy:1); refused by mxguard; did you "
			    "mean officer@army.mil?");
	/* Brackets added; no suggestion, no question. */
	a.suggest[0] = '\0';
	qry_smtp_text(out, sizeof(out), "officer@army.ml", &a, "marked", 0);
	assert_string_equal(out, "<officer@army.ml>: army.ml imitates mil "
			    "(mil.policy:1); marked by mxguard");
}

/* libmilter reads the text as a format; CR, LF or bytes past ASCII go. */
static void smtp_text_hostile(void **state)
{
	struct qry_answer a;
	char out[512], tiny[16];

	(void)state;
	lookalike(&a);
	strcpy(a.reason, "100% x\r\n250 ok \x80");
	qry_smtp_text(out, sizeof(out), "<a@b.ml>", &a, "refused", 1);
	assert_string_equal(out, "<a@b.ml>: 100%% x??250 ok ?; refused by "
			    "mxguard; did you mean officer@army.mil?");
	qry_smtp_text(out, sizeof(out), "<a@b.ml>", &a, "refused", 0);
	assert_non_null(strstr(out, "100% x??250"));
	assert_int_equal(qry_smtp_text(tiny, sizeof(tiny), "<a@b.ml>", &a,
				       "refused", 1), sizeof(tiny) - 1);
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
}

static void ask_no_daemon(void **state)
{
	struct qry_answer a;
	char err[128];

	(void)state;
	assert_int_equal(qry_ask("/nonexistent/query.sock", "a@b.ml", 500,
				 &a, err, sizeof(err)), -ENOENT);
	assert_int_equal(qry_ask("/nonexistent/query.sock", "a b", 500, &a,
				 err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(request_format),
		cmocka_unit_test(request_parse),
		cmocka_unit_test(answer_round_trip),
		cmocka_unit_test(answer_quoting),
		cmocka_unit_test(answer_clean),
		cmocka_unit_test(answer_short_buffer),
		cmocka_unit_test(answer_refused),
		cmocka_unit_test(smtp_text),
		cmocka_unit_test(smtp_text_hostile),
		cmocka_unit_test(ask_no_daemon),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
