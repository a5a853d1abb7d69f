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

/* The session's slot; with @create, a free or the oldest one if none. */
static struct osf_session *session(struct osf *f, const char *id, int create)
{
	struct osf_session *s, *old = &f->sessions[0];
	int i;

	for (i = 0; i < OSF_SESSIONS; i++) {
		s = &f->sessions[i];
		if (s->stamp && !strcmp(s->id, id))
			return s;
		if (s->stamp < old->stamp)
			old = s;
	}
	if (!create || strlen(id) >= sizeof(old->id))
		return NULL;
	memset(old, 0, sizeof(*old));
	snprintf(old->id, sizeof(old->id), "%s", id);
	old->stamp = ++f->clock;
	return old;
}

static void mark(struct osf *f, const char *sid, const char *text)
{
	struct osf_session *s = session(f, sid, 1);
	size_t n;

	if (!s || s->nmarks == OSF_MARKS)
		return;
	/* A longer one is cut (a header line stays short). */
	n = strnlen(text, OSF_MARK_MAX - 1);
	memcpy(s->marks[s->nmarks], text, n);
	s->marks[s->nmarks++][n] = '\0';
	s->stamp = ++f->clock;
}

/* Each line back as it came; the headers first, before the message's. */
static int on_data_line(struct osf *f, char **fl, char *out, size_t outsz)
{
	const char *version = fl[1], *sid = fl[5], *token = fl[6];
	const char *line = fl[7];
	struct osf_session *s = session(f, sid, 0);
	int old = !strcmp(version, "0.4"), i;
	size_t at = 0;

	if (s && !s->in_data) {
		s->in_data = 1;
		for (i = 0; i < s->nmarks; i++)
			at += snprintf(out + at, outsz - at,
				       "filter-dataline|%s|%s|%s: %s\n",
				       old ? token : sid, old ? sid : token,
				       "X-Mxguard-Lookalike", s->marks[i]);
		s->nmarks = 0;
	}
	snprintf(out + at, outsz - at, "filter-dataline|%s|%s|%s\n",
		 old ? token : sid, old ? sid : token, line);
	/* The end of the message: the next one starts afresh. */
	if (s && !strcmp(line, "."))
		s->stamp = 0;
	return 0;
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
		qry_smtp_text(text, sizeof(text), rcpt, &a, "marked", 0);
		snprintf(f->note, sizeof(f->note), "alert %s", text);
		mark(f, session, text);
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
				 "register|filter|smtp-in|mail-from\n"
				 "register|filter|smtp-in|data-line\n"
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
	if (n == 8 && !strcmp(fl[3], "smtp-in") &&
	    !strcmp(fl[4], "data-line"))
		return on_data_line(f, fl, out, outsz);
	/* A new transaction: marks of an abandoned one go. */
	if (!strcmp(fl[4], "mail-from")) {
		struct osf_session *s = session(f, fl[5], 0);

		if (s)
			s->stamp = 0;
	}
	/* A phase we did not register: never leave a session waiting. */
	result(out, outsz, fl[1], fl[5], fl[6], "proceed");
	return 0;
}
