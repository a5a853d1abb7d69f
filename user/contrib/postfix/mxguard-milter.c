// SPDX-License-Identifier: GPL-2.0-only
/*
 * mxguard-milter: the typo caught at submission, for Postfix (and any MTA
 * that speaks milter).  Each RCPT is judged by the running mxguardd over
 * its query socket (qproto.h), so the milter and the kernel share one
 * compiled policy:
 *
 *   block rule:  550 5.1.2 "<officer@army.ml>: army.ml imitates mil
 *                (mil.policy:1); refused by mxguard; did you mean
 *                officer@army.mil?"
 *   alert rule:  accepted; at end of message one X-Mxguard-Lookalike
 *                header per such recipient, and with -H the message goes
 *                to Postfix's hold queue (milter quarantine; released
 *                with postsuper -H).  The daemon raises the alert itself
 *                when it is asked (event.action submission-lookalike).
 *
 * Postfix runs non_smtpd_milters (sendmail(1), pickup) inside cleanup,
 * which cannot reject one recipient: it logs "milter configuration error:
 * can't reject recipient in non-smtpd(8) submission" and leaves the
 * message in the maildrop, retried for ever.  So the non-SMTP path gets a
 * socket of its own (-n): there a block rule rejects the whole message at
 * end of message, with the same 550 5.1.2 text, and Postfix bounces it to
 * the sender (the command itself has exited by then).  One process serves
 * both sockets (a child for -n, which follows its parent out).
 *
 * When no verdict comes (daemon stopped or restarting, socket busy, the
 * deadline passed): -d accept (the default) accepts the recipient and logs
 * a warning, since the kernel path still refuses every connect a block
 * rule covers; -d tempfail answers 451 4.3.0 so the client retries.
 * Either way the wait is bounded by -t (default 1000 ms).
 *
 * Decisions go to syslog (mail facility), and to stderr with -f.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "milter_reply.h"
#include "qproto.h"

static struct {
	const char *query;
	int timeout_ms;
	int down_tempfail;
	int hold;
	int foreground;
	int non_smtp;		/* this process serves the -n socket */
} opt = {
	.query = MXG_QUERY_DEFAULT,
	.timeout_ms = 1000,
};

static void say(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (opt.foreground) {
		va_list aq;

		va_copy(aq, ap);
		fputs("mxguard-milter: ", stderr);
		vfprintf(stderr, fmt, aq);
		fputc('\n', stderr);
		va_end(aq);
	}
	vsyslog(prio, fmt, ap);
	va_end(ap);
}

/*
 * Per message: the headers to add at end of message, and on the non-SMTP
 * socket the first block-rule recipient's reply, sent then.
 */
struct msg {
	struct mlt_marks marks;
	int reject;
	char rcode[4], xcode[8];
	char text[MLT_TEXT_MAX];
};

static struct msg *msg_of(SMFICTX *ctx)
{
	struct msg *m = smfi_getpriv(ctx);

	if (!m) {
		m = calloc(1, sizeof(*m));
		if (m && smfi_setpriv(ctx, m) != MI_SUCCESS) {
			free(m);
			m = NULL;
		}
	}
	return m;
}

static void msg_reset(SMFICTX *ctx)
{
	struct msg *m = smfi_getpriv(ctx);

	if (m) {
		mlt_marks_clear(&m->marks);
		m->reject = 0;
	}
}

/* Non-SMTP: no per-recipient reply; keep the first for end of message. */
static sfsistat later(SMFICTX *ctx, const struct mlt_decision *dec)
{
	struct msg *m = msg_of(ctx);

	if (!m)
		return SMFIS_TEMPFAIL;
	if (!m->reject) {
		m->reject = dec->kind == MLT_REJECT ? 5 : 4;
		memcpy(m->rcode, dec->rcode, sizeof(m->rcode));
		memcpy(m->xcode, dec->xcode, sizeof(m->xcode));
		memcpy(m->text, dec->text, sizeof(m->text));
	} else if (dec->kind == MLT_REJECT && m->reject == 4) {
		/* A refusal outranks a "try again". */
		m->reject = 5;
		memcpy(m->rcode, dec->rcode, sizeof(m->rcode));
		memcpy(m->xcode, dec->xcode, sizeof(m->xcode));
		memcpy(m->text, dec->text, sizeof(m->text));
	}
	return SMFIS_CONTINUE;
}

static const char *qid(SMFICTX *ctx)
{
	const char *i = smfi_getsymval(ctx, "i");

	return i ? i : "NOQUEUE";
}

static sfsistat on_envfrom(SMFICTX *ctx, char **argv)
{
	(void)argv;
	msg_reset(ctx);
	return msg_of(ctx) ? SMFIS_CONTINUE : SMFIS_TEMPFAIL;
}

static sfsistat on_envrcpt(SMFICTX *ctx, char **argv)
{
	const char *rcpt = argv[0];
	struct mlt_decision dec;
	struct qry_answer a;
	struct msg *m;
	char err[256];
	int rc;

	rc = qry_ask(opt.query, rcpt, opt.timeout_ms, &a, err, sizeof(err));
	mlt_decide(rc, &a, rcpt, opt.hold, &dec);
	switch (dec.kind) {
	case MLT_NO_VERDICT:
		say(LOG_WARNING, "%s: no verdict for %s from %s (%s); %s",
		    qid(ctx), rcpt, opt.query, err,
		    opt.down_tempfail ? "tempfail" :
		    "accepted (the kernel path still holds)");
		if (!opt.down_tempfail)
			return SMFIS_CONTINUE;
		/* fall through */
	case MLT_REJECT:
		if (dec.kind == MLT_REJECT)
			say(LOG_NOTICE, "%s: reject %s: %s", qid(ctx), rcpt,
			    dec.log);
		if (opt.non_smtp)
			return later(ctx, &dec);
		if (smfi_setreply(ctx, dec.rcode, dec.xcode, dec.text) !=
		    MI_SUCCESS)
			say(LOG_ERR, "%s: smfi_setreply failed", qid(ctx));
		return dec.kind == MLT_REJECT ? SMFIS_REJECT : SMFIS_TEMPFAIL;
	case MLT_MARK:
		m = msg_of(ctx);
		if (!m || mlt_marks_add(&m->marks, dec.text))
			return SMFIS_TEMPFAIL;
		say(LOG_NOTICE, "%s: mark %s: %s", qid(ctx), rcpt, dec.log);
		return SMFIS_CONTINUE;
	case MLT_PASS:
		break;
	}
	return SMFIS_CONTINUE;
}

static sfsistat on_eom(SMFICTX *ctx)
{
	struct msg *m = smfi_getpriv(ctx);
	size_t i;

	if (m && m->reject) {
		m->reject = 0;
		if (smfi_setreply(ctx, m->rcode, m->xcode, m->text) !=
		    MI_SUCCESS)
			say(LOG_ERR, "%s: smfi_setreply failed", qid(ctx));
		say(LOG_NOTICE, "%s: %s the message: %s", qid(ctx),
		    m->rcode[0] == '5' ? "reject" : "tempfail", m->text);
		msg_reset(ctx);
		return m->rcode[0] == '5' ? SMFIS_REJECT : SMFIS_TEMPFAIL;
	}
	if (!m || !m->marks.n)
		return SMFIS_CONTINUE;
	for (i = 0; i < m->marks.n; i++)
		if (smfi_addheader(ctx, MLT_HEADER, m->marks.v[i]) !=
		    MI_SUCCESS)
			say(LOG_ERR, "%s: cannot add %s", qid(ctx),
			    MLT_HEADER);
	if (opt.hold) {
		if (smfi_quarantine(ctx, m->marks.v[0]) == MI_SUCCESS)
			say(LOG_NOTICE, "%s: held: %s", qid(ctx),
			    m->marks.v[0]);
		else
			say(LOG_ERR, "%s: quarantine failed", qid(ctx));
	}
	msg_reset(ctx);
	return SMFIS_CONTINUE;
}

static sfsistat on_abort(SMFICTX *ctx)
{
	msg_reset(ctx);
	return SMFIS_CONTINUE;
}

static sfsistat on_close(SMFICTX *ctx)
{
	struct msg *m = smfi_getpriv(ctx);

	if (m) {
		mlt_marks_clear(&m->marks);
		free(m);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

static struct smfiDesc desc = {
	.xxfi_name = "mxguard",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_QUARANTINE,
	.xxfi_envfrom = on_envfrom,
	.xxfi_envrcpt = on_envrcpt,
	.xxfi_eom = on_eom,
	.xxfi_abort = on_abort,
	.xxfi_close = on_close,
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: mxguard-milter -s SOCKET [-n SOCKET] [-q QUERY_SOCKET] [-t MS]\n"
"                      [-d accept|tempfail] [-H] [-f]\n"
"  -s  for smtpd_milters: unix:/path or inet:PORT@HOST\n"
"  -n  for non_smtpd_milters (sendmail(1) mail): the same forms\n"
"  -q  mxguardd's query socket (default " MXG_QUERY_DEFAULT ")\n"
"  -t  deadline for one verdict, in ms (default 1000)\n"
"  -d  with no verdict: accept (default) or tempfail\n"
"  -H  send mail for alert-rule recipients to the hold queue\n"
"  -f  log to stderr as well as syslog\n"
"See mxguard-milter(8).\n");
}

int main(int argc, char **argv)
{
	const char *conn = NULL, *non_smtp = NULL;
	pid_t child, parent;
	char *end;
	long t;
	int c;

	while ((c = getopt(argc, argv, "s:n:q:t:d:Hfh")) != -1) {
		switch (c) {
		case 's':
			conn = optarg;
			break;
		case 'n':
			non_smtp = optarg;
			break;
		case 'q':
			opt.query = optarg;
			break;
		case 't':
			errno = 0;
			t = strtol(optarg, &end, 10);
			if (errno || *end || t < 10 || t > 60000) {
				fprintf(stderr, "mxguard-milter: -t: 10 to "
					"60000 ms\n");
				return 2;
			}
			opt.timeout_ms = (int)t;
			break;
		case 'd':
			if (!strcmp(optarg, "tempfail")) {
				opt.down_tempfail = 1;
			} else if (strcmp(optarg, "accept")) {
				fprintf(stderr, "mxguard-milter: -d: accept "
					"or tempfail\n");
				return 2;
			}
			break;
		case 'H':
			opt.hold = 1;
			break;
		case 'f':
			opt.foreground = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!conn || optind != argc) {
		usage(stderr);
		return 2;
	}
	/* libmilter serves one socket per process: a child for -n. */
	if (non_smtp) {
		parent = getpid();
		child = fork();
		if (child < 0) {
			perror("mxguard-milter: fork");
			return 1;
		}
		if (child == 0) {
			if (prctl(PR_SET_PDEATHSIG, SIGTERM) ||
			    getppid() != parent)
				return 1;
			conn = non_smtp;
			opt.non_smtp = 1;
		}
	}
	openlog("mxguard-milter", LOG_PID, LOG_MAIL);
	/* Postfix (group postfix) connects; no one else needs to. */
	umask(007);
	if (smfi_setconn((char *)conn) != MI_SUCCESS ||
	    smfi_register(desc) != MI_SUCCESS) {
		say(LOG_ERR, "cannot set up %s", conn);
		return 1;
	}
	/* A stale socket from a previous run is removed (true). */
	if (smfi_opensocket(1) != MI_SUCCESS) {
		say(LOG_ERR, "cannot listen on %s", conn);
		return 1;
	}
	say(LOG_INFO, "listening on %s (%s); asking %s (%d ms), no verdict: "
	    "%s%s", conn, opt.non_smtp ? "non-SMTP" : "SMTP", opt.query,
	    opt.timeout_ms,
	    opt.down_tempfail ? "tempfail" : "accept",
	    opt.hold ? ", alert-rule mail held" : "");
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
