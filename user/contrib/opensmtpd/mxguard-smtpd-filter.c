// SPDX-License-Identifier: GPL-2.0-only
/*
 * mxguard-smtpd-filter: the typo caught at submission, for OpenSMTPD.
 * smtpd(8) runs it (smtpd.conf: filter "mxguard" proc-exec "...") and
 * talks smtpd-filters(7) on its stdin and stdout; each RCPT TO is judged
 * by the running mxguardd over its query socket (qproto.h, osf.h).
 *
 * usage: mxguard-smtpd-filter [-q QUERY_SOCKET] [-t MS] [-d accept|tempfail]
 *
 * One request at a time, each bounded by -t (default 1000 ms): smtpd
 * waits for that recipient's session only.  Notes go to stderr, which
 * smtpd logs.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "osf.h"
#include "qproto.h"

static const char *query = MXG_QUERY_DEFAULT;
static int timeout_ms = 1000;

static int ask(void *ctx, const char *rcpt, struct qry_answer *a, char *err,
	       size_t errsz)
{
	(void)ctx;
	return qry_ask(query, rcpt, timeout_ms, a, err, errsz);
}

int main(int argc, char **argv)
{
	static struct osf f = { .ask = ask };
	char *line = NULL, *end, *out = NULL;
	size_t cap = 0, outcap = 0;
	ssize_t n;
	long t;
	int c;

	while ((c = getopt(argc, argv, "q:t:d:")) != -1) {
		switch (c) {
		case 'q':
			query = optarg;
			break;
		case 't':
			errno = 0;
			t = strtol(optarg, &end, 10);
			if (errno || *end || t < 10 || t > 60000) {
				fprintf(stderr, "mxguard-smtpd-filter: -t: 10 "
					"to 60000 ms\n");
				return 2;
			}
			timeout_ms = (int)t;
			break;
		case 'd':
			if (!strcmp(optarg, "tempfail"))
				f.down_tempfail = 1;
			else if (strcmp(optarg, "accept"))
				return 2;
			break;
		default:
			fprintf(stderr, "usage: mxguard-smtpd-filter [-q "
				"QUERY_SOCKET] [-t MS] [-d accept|tempfail]\n");
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((n = getline(&line, &cap, stdin)) > 0) {
		/* A data line of any length goes back whole. */
		if (outcap < (size_t)n + OSF_OUT_EXTRA) {
			free(out);
			outcap = (size_t)n + OSF_OUT_EXTRA;
			out = malloc(outcap);
			if (!out) {
				fprintf(stderr, "mxguard-smtpd-filter: out of "
					"memory\n");
				return 1;
			}
		}
		if (osf_line(&f, line, out, outcap)) {
			fprintf(stderr, "mxguard-smtpd-filter: %s\n", f.note);
			return 1;
		}
		if (f.note[0])
			fprintf(stderr, "mxguard-smtpd-filter: %s\n", f.note);
		if (out[0] && (fputs(out, stdout) < 0 || fflush(stdout)))
			return 1;
	}
	free(line);
	free(out);
	/* smtpd closed our stdin: it is going away, and so do we. */
	return 0;
}
