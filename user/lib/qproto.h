/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The query protocol: what the MTA integrations (user/contrib/) ask the
 * running daemon about one recipient, and its answer.  One line each way
 * per connection, as on the control socket:
 *
 *   rcpt officer@army.ml
 *   status=ok verdict=lookalike action=block domain=army.ml imitates=mil
 *     suggest=officer@army.mil reason="army.ml imitates mil (mil.policy:1)"
 *
 * (one line).  Fields are key=value, a value quoted when it holds a space,
 * '"' or '\' (backslash escapes inside quotes), which is what Exim's
 * ${extract{key}{...}} reads.  verdict is clean, allowed or lookalike;
 * action (lookalike only) is what the daemon does with such mail now:
 * block, or alert (an alert rule, or any rule in mode=alert).  An answer
 * that is not "status=ok ..." (a refusal, "error busy: ...", a daemon that
 * went away) means "no verdict": each integration then does what its
 * daemon-down setting says.
 *
 * Pure functions plus one small client (qry_ask), so the milter and the
 * OpenSMTPD filter link this file alone.
 */
#ifndef MXGUARD_QPROTO_H
#define MXGUARD_QPROTO_H

#include <stddef.h>

#define MXG_QUERY_DEFAULT	"/run/mxguard/query.sock"
/*
 * One value, truncated to fit; an answer holds six at most, each of which
 * quoting can double, so QRY_LINE_MAX always takes a whole answer.
 */
#define QRY_FIELD_MAX		512
#define QRY_LINE_MAX		8192

enum qry_verdict {
	QRY_CLEAN = 0,
	QRY_ALLOWED = 1,
	QRY_LOOKALIKE = 2,
};

enum qry_action {
	QRY_ALERT = 0,
	QRY_BLOCK = 1,
};

struct qry_answer {
	int verdict;			/* enum qry_verdict */
	int action;			/* enum qry_action, lookalike only */
	char domain[QRY_FIELD_MAX];
	char imitates[QRY_FIELD_MAX];
	char suggest[QRY_FIELD_MAX];	/* "" if none */
	char reason[QRY_FIELD_MAX];
};

/*
 * "rcpt ADDR\n" into @out.  -EINVAL for an address SMTP would not carry
 * (empty, control bytes, spaces, too long).
 */
int qry_format_request(char *out, size_t sz, const char *rcpt);
/* The recipient of a request line ("rcpt ADDR"), or NULL (*err set). */
const char *qry_parse_request(const char *line, const char **err);
/* The answer line, '\n' included.  Truncates (never overflows) @out. */
size_t qry_format_answer(char *out, size_t sz, const struct qry_answer *a);
/*
 * Parse one answer line.  0 for "status=ok ...", -EPROTO for anything
 * else, with *err the daemon's message when it sent one ("busy: ...") or
 * what was wrong with the line.  Unknown keys are skipped (a newer daemon).
 */
int qry_parse_answer(const char *line, struct qry_answer *a,
		     char *err, size_t errsz);
/*
 * The SMTP text for a lookalike recipient, printable ASCII only:
 *   <officer@army.ml>: army.ml imitates mil (mil.policy:1); WHAT by
 *   mxguard; did you mean officer@army.mil?
 * (one line; without a suggestion the last clause goes).  @percent: double
 * every '%' (libmilter's smfi_setreply reads the text as a format).
 */
size_t qry_smtp_text(char *out, size_t sz, const char *rcpt,
		     const struct qry_answer *a, const char *what,
		     int percent);
/*
 * Ask the daemon at @path about @rcpt, all within @timeout_ms (connect,
 * send, answer).  0 with *a filled; -errno when no verdict came
 * (-ETIMEDOUT, -ECONNREFUSED, -ENOENT, -EPROTO ...), with @err saying why.
 */
int qry_ask(const char *path, const char *rcpt, int timeout_ms,
	    struct qry_answer *a, char *err, size_t errsz);

#endif
