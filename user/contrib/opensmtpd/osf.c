// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include <string.h>

#include "osf.h"

#define FIELDS_MAX	8

/* Split at '|' into at most @max fields; the last keeps its '|'s. */
static int split(char *line, char **f, int max)
{
	int n = 0;

	f[n++] = line;
	while (n < max) {
		line = strchr(line, '|');
		if (!line)
			break;
		*line++ = '\0';
		f[n++] = line;
	}
	return n;
}

/*
 * "filter-result|SESSION|TOKEN|..." since protocol 0.5 (OpenSMTPD 6.7);
 * 0.4 (6.6) had the token first.
 */
static int result(char *out, size_t sz, const char *version,
		  const char *session, const char *token, const char *what)
{
	int old = !strcmp(version, "0.4");

	return snprintf(out, sz, "filter-result|%s|%s|%s\n",
			old ? token : session, old ? session : token, what);
}

static int on_rcpt(struct osf *f, char **fl, char *out, size_t outsz)
{
	const char *version = fl[1], *session = fl[5], *token = fl[6];
	const char *rcpt = fl[7];
	/* An SMTP reply line: a few hundred octets is plenty. */
	char err[256], text[900], what[940];
	struct qry_answer a;
	int rc;

	rc = f->ask(f->ctx, rcpt, &a, err, sizeof(err));
	if (rc) {
		f->no_verdict++;
		snprintf(f->note, sizeof(f->note), "no verdict for %s (%s); "
			 "%s", rcpt, err, f->down_tempfail ? "tempfail" :
			 "accepted (the kernel path still holds)");
		result(out, outsz, version, session, token,
		       f->down_tempfail ? "reject|451 4.3.0 mxguard could "
		       "not judge this recipient now; try again later" :
		       "proceed");
		return 0;
	}
	if (a.verdict == QRY_LOOKALIKE && a.action == QRY_BLOCK) {
		f->rejected++;
		qry_smtp_text(text, sizeof(text), rcpt, &a, "refused", 0);
		snprintf(f->note, sizeof(f->note), "reject %s", text);
		snprintf(what, sizeof(what), "reject|550 5.1.2 %s", text);
		result(out, outsz, version, session, token, what);
		return 0;
	}
	f->proceeded++;
	if (a.verdict == QRY_LOOKALIKE) {
		qry_smtp_text(text, sizeof(text), rcpt, &a, "accepted", 0);
		snprintf(f->note, sizeof(f->note), "alert %s", text);
	}
	result(out, outsz, version, session, token, "proceed");
	return 0;
}

int osf_line(struct osf *f, char *line, char *out, size_t outsz)
{
	char *fl[FIELDS_MAX];
	int n;

	out[0] = '\0';
	f->note[0] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	n = split(line, fl, FIELDS_MAX);
	if (!strcmp(fl[0], "config")) {
		if (n == 2 && !strcmp(fl[1], "ready")) {
			f->ready = 1;
			snprintf(out, outsz, "register|filter|smtp-in|rcpt-to\n"
				 "register|ready\n");
		}
		return 0;
	}
	if (!strcmp(fl[0], "report"))
		return 0;
	if (strcmp(fl[0], "filter") || n < 7) {
		snprintf(f->note, sizeof(f->note), "unexpected line from "
			 "smtpd: %.200s", fl[0]);
		return -1;
	}
	/* filter|VERSION|TIME|smtp-in|PHASE|SESSION|TOKEN[|PARAMS] */
	if (n == 8 && !strcmp(fl[3], "smtp-in") && !strcmp(fl[4], "rcpt-to"))
		return on_rcpt(f, fl, out, outsz);
	/* A phase we did not register: never leave a session waiting. */
	result(out, outsz, fl[1], fl[5], fl[6], "proceed");
	return 0;
}
