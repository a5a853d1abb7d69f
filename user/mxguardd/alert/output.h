/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Where alerts go: JSON lines (a file or stdout), the journal (native
 * fields, journal.h), syslog (to /dev/log or another datagram socket, as
 * "@cee:" JSON or as RFC 5424 with structured data) and one human line
 * per alert on stderr.  Any combination.
 *
 * An output that fails is tried again at the next alert (the JSON file is
 * reopened, the syslog socket reconnected), and each failure episode is
 * logged once, when it begins and when it ends.
 */
#ifndef MXGUARD_OUTPUT_H
#define MXGUARD_OUTPUT_H

#include "event.h"

/* One failure episode of one output. */
struct sink_state {
	int down;			/* failing since the last success */
	unsigned long long missed;	/* alerts it missed meanwhile */
};

struct output_conf {
	const char *json_path;	/* NULL: none; "-": stdout */
	int journal;
	const char *syslog_path;	/* NULL: no syslog */
	int syslog_format;		/* enum mxg_syslog_format */
	unsigned long enterprise_id;	/* RFC 5424 SD-ID mxguard@N */
	int human;
};

struct output {
	char *json_path;	/* NULL: no JSON; "-": stdout, never reopened */
	int json_fd;		/* -1 while the file cannot be opened */
	struct sink_state json_state;
	char *syslog_path;	/* NULL: no syslog */
	int syslog_fd;
	struct sink_state syslog_state;
	int syslog_format;
	unsigned long enterprise_id;
	int journal;
	struct sink_state journal_state;
	int human;
	char hostname[256];
	struct jw jw;
	/* Alerts every output took, and alerts some output failed to take. */
	unsigned long long written, failed;
};

/* Fails only if the JSON file cannot be opened now (a start-up error). */
int output_open(struct output *o, const struct output_conf *c);
/*
 * Reopen the JSON file (log rotation: SIGUSR1, also SIGHUP and reload).
 * On failure the next alerts try again.  Returns 0 if it is open now.
 */
int output_reopen(struct output *o);
void output_close(struct output *o);
void output_alert(struct output *o, const struct mxg_event *ev,
		  const struct mxg_policy *policy,
		  const struct alert_extra *x);

#endif
