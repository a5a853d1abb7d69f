// SPDX-License-Identifier: GPL-2.0-only
/*
 * The OpenSMTPD filter's protocol side (osf.h), on exchanges as smtpd 6.8
 * (Debian 12's opensmtpd) writes them; tests/e2e/submit.sh runs the same
 * program under the real smtpd.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../user/contrib/opensmtpd/osf.h"

/* The daemon, as a table: army.ml blocks, navy.ml alerts, down.ml fails. */
static int ask(void *ctx, const char *rcpt, struct qry_answer *a, char *err,
	       size_t errsz)
{
	(void)ctx;
	memset(a, 0, sizeof(*a));
	if (strstr(rcpt, "@down.ml")) {
		snprintf(err, errsz, "Connection refused");
		return -ECONNREFUSED;
	}
	if (strstr(rcpt, "@army.ml") || strstr(rcpt, "@navy.ml")) {
		a->verdict = QRY_LOOKALIKE;
		a->action = strstr(rcpt, "@army.ml") ? QRY_BLOCK : QRY_ALERT;
		strcpy(a->reason, "army.ml imitates mil (mil.policy:1)");
		strcpy(a->suggest, "officer@army.mil");
		return 0;
	}
	a->verdict = QRY_CLEAN;
	return 0;
}

static void feed(struct osf *f, const char *line, char *out, size_t sz,
		 int want)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "%s", line);
	assert_int_equal(osf_line(f, buf, out, sz), want);
}

static void handshake(void **state)
{
	struct osf f = { .ask = ask };
	char out[512];

	(void)state;
	feed(&f, "config|smtpd-version|6.8.0p2", out, sizeof(out), 0);
	assert_string_equal(out, "");
	feed(&f, "config|smtp-session-timeout|300", out, sizeof(out), 0);
	feed(&f, "config|subsystem|smtp-in", out, sizeof(out), 0);
	assert_false(f.ready);
	feed(&f, "config|ready\n", out, sizeof(out), 0);
	assert_true(f.ready);
	assert_string_equal(out, "register|filter|smtp-in|rcpt-to\n"
			    "register|filter|smtp-in|mail-from\n"
			    "register|filter|smtp-in|data-line\n"
			    "register|ready\n");
}

static void block_rejects(void **state)
{
	struct osf f = { .ask = ask };
	char out[1024];

	(void)state;
	feed(&f, "filter|0.6|1764588000.123456|smtp-in|rcpt-to|"
	     "3a8c2b1f00000001|5e1d9c7700000002|officer@army.ml\n", out,
	     sizeof(out), 0);
	assert_string_equal(out, "filter-result|3a8c2b1f00000001|"
			    "5e1d9c7700000002|reject|550 5.1.2 "
			    "<officer@army.ml>: army.ml imitates mil "
			    "(mil.policy:1); refused by mxguard; did you mean "
			    "officer@army.mil?\n");
	assert_int_equal(f.rejected, 1);
}

static void alert_and_clean_proceed(void **state)
{
	struct osf f = { .ask = ask };
	char out[512];

	(void)state;
	feed(&f, "filter|0.6|1.0|smtp-in|rcpt-to|aa|bb|gunny@navy.ml", out,
	     sizeof(out), 0);
	assert_string_equal(out, "filter-result|aa|bb|proceed\n");
	assert_non_null(strstr(f.note, "alert <gunny@navy.ml>"));
	feed(&f, "filter|0.6|1.0|smtp-in|rcpt-to|aa|cc|buyer@partner.org",
	     out, sizeof(out), 0);
	assert_string_equal(out, "filter-result|aa|cc|proceed\n");
	assert_string_equal(f.note, "");
	assert_int_equal(f.proceeded, 2);
}

/* Protocol 0.4 (OpenSMTPD 6.6) answered token first. */
static void old_protocol_order(void **state)
{
	struct osf f = { .ask = ask };
	char out[512];

	(void)state;
	feed(&f, "filter|0.4|1.0|smtp-in|rcpt-to|sess|tok|x@partner.org",
	     out, sizeof(out), 0);
	assert_string_equal(out, "filter-result|tok|sess|proceed\n");
}

static void daemon_down(void **state)
{
	struct osf f = { .ask = ask };
	char out[512];

	(void)state;
	feed(&f, "filter|0.6|1.0|smtp-in|rcpt-to|s|t|a@down.ml", out,
	     sizeof(out), 0);
	assert_string_equal(out, "filter-result|s|t|proceed\n");
	assert_non_null(strstr(f.note, "Connection refused"));
	f.down_tempfail = 1;
	feed(&f, "filter|0.6|1.0|smtp-in|rcpt-to|s|t|a@down.ml", out,
	     sizeof(out), 0);
	assert_string_equal(out, "filter-result|s|t|reject|451 4.3.0 mxguard "
			    "could not judge this recipient now; try again "
			    "later\n");
	assert_int_equal(f.no_verdict, 2);
}

/* Reports are one-way; unregistered phases still get an answer. */
static void other_lines(void **state)
{
	struct osf f = { .ask = ask };
	char out[512];

	(void)state;
	feed(&f, "report|0.6|1.0|smtp-in|link-connect|s|localhost|pass|"
	     "127.0.0.1:4321|127.0.0.1:25", out, sizeof(out), 0);
	assert_string_equal(out, "");
	feed(&f, "filter|0.6|1.0|smtp-in|mail-from|s|t|a@b", out, sizeof(out),
	     0);
	assert_string_equal(out, "filter-result|s|t|proceed\n");
	/* An address with '|' in it stays whole (the last field). */
	feed(&f, "filter|0.6|1.0|smtp-in|rcpt-to|s|t|\"a|b\"@army.ml", out,
	     sizeof(out), 0);
	assert_non_null(strstr(out, "reject|550 5.1.2 <\"a|b\"@army.ml>"));
	feed(&f, "garbage", out, sizeof(out), -1);
	feed(&f, "filter|0.6|short", out, sizeof(out), -1);
}

static struct osf big = { .ask = ask };

/*
 * An alert-rule recipient: its header goes before the message's first
 * line, once; every line comes back as it was; another session, and the
 * next message of the same one, get nothing.
 */
static void alert_header(void **state)
{
	char out[OSF_OUT_EXTRA + 64];

	(void)state;
	memset(&big.sessions, 0, sizeof(big.sessions));
	feed(&big, "filter|0.6|1.0|smtp-in|mail-from|s1|t1|ops@army.mil", out,
	     sizeof(out), 0);
	assert_string_equal(out, "filter-result|s1|t1|proceed\n");
	feed(&big, "filter|0.6|1.0|smtp-in|rcpt-to|s1|t2|gunny@navy.ml", out,
	     sizeof(out), 0);
	feed(&big, "filter|0.6|1.0|smtp-in|data-line|s2|t9|Subject: other",
	     out, sizeof(out), 0);
	assert_string_equal(out, "filter-dataline|s2|t9|Subject: other\n");
	feed(&big, "filter|0.6|1.0|smtp-in|data-line|s1|t3|Subject: hi", out,
	     sizeof(out), 0);
	assert_string_equal(out, "filter-dataline|s1|t3|X-Mxguard-Lookalike: "
			    "<gunny@navy.ml>: army.ml imitates mil "
			    "(mil.policy:1); marked by mxguard; did you mean "
			    "officer@army.mil?\n"
			    "filter-dataline|s1|t3|Subject: hi\n");
	feed(&big, "filter|0.6|1.0|smtp-in|data-line|s1|t3|", out,
	     sizeof(out), 0);
	assert_string_equal(out, "filter-dataline|s1|t3|\n");
	feed(&big, "filter|0.6|1.0|smtp-in|data-line|s1|t3|a|b", out,
	     sizeof(out), 0);
	assert_string_equal(out, "filter-dataline|s1|t3|a|b\n");
	feed(&big, "filter|0.6|1.0|smtp-in|data-line|s1|t3|.", out,
	     sizeof(out), 0);
	assert_string_equal(out, "filter-dataline|s1|t3|.\n");
	/* Next message on s1, clean recipient: no header. */
	feed(&big, "filter|0.6|1.0|smtp-in|rcpt-to|s1|t4|x@partner.org", out,
	     sizeof(out), 0);
	feed(&big, "filter|0.6|1.0|smtp-in|data-line|s1|t5|Subject: 2", out,
	     sizeof(out), 0);
	assert_string_equal(out, "filter-dataline|s1|t5|Subject: 2\n");
}

/* More marked sessions than slots: the oldest go, nothing overflows. */
static void sessions_bounded(void **state)
{
	char out[OSF_OUT_EXTRA + 64], line[128];
	int i, marked = 0;

	(void)state;
	memset(&big.sessions, 0, sizeof(big.sessions));
	for (i = 0; i < OSF_SESSIONS + 10; i++) {
		snprintf(line, sizeof(line), "filter|0.6|1.0|smtp-in|rcpt-to|"
			 "s%d|t|a%d@navy.ml", i, i);
		feed(&big, line, out, sizeof(out), 0);
	}
	for (i = 0; i < OSF_SESSIONS + 10; i++) {
		snprintf(line, sizeof(line), "filter|0.6|1.0|smtp-in|"
			 "data-line|s%d|t|x", i);
		feed(&big, line, out, sizeof(out), 0);
		marked += strstr(out, "X-Mxguard-Lookalike") != NULL;
	}
	assert_int_equal(marked, OSF_SESSIONS);
	/* Five marks on one message: four headers, the cap. */
	memset(&big.sessions, 0, sizeof(big.sessions));
	for (i = 0; i < 5; i++)
		feed(&big, "filter|0.6|1.0|smtp-in|rcpt-to|z|t|b@navy.ml", out,
		     sizeof(out), 0);
	feed(&big, "filter|0.6|1.0|smtp-in|data-line|z|t|x", out,
	     sizeof(out), 0);
	marked = 0;
	for (const char *p = out; (p = strstr(p, "X-Mxguard-Lookalike")); p++)
		marked++;
	assert_int_equal(marked, OSF_MARKS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(handshake),
		cmocka_unit_test(block_rejects),
		cmocka_unit_test(alert_and_clean_proceed),
		cmocka_unit_test(old_protocol_order),
		cmocka_unit_test(daemon_down),
		cmocka_unit_test(other_lines),
		cmocka_unit_test(alert_header),
		cmocka_unit_test(sessions_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
