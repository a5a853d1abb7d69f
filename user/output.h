/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Where alerts go: JSON lines (a file or stdout), syslog (RFC 5424 with
 * structured data, to /dev/log or another datagram socket), and one human
 * line per alert on stderr.  Any combination.
 */
#ifndef MXGUARD_OUTPUT_H
#define MXGUARD_OUTPUT_H

#include <stdio.h>

#include "event.h"

struct output {
	FILE *json;
	char *json_path;	/* NULL or "-": stdout, never reopened */
	int syslog_fd;
	char *syslog_path;
	int human;
	char hostname[256];
	struct jw jw;
	unsigned long long written, failed;
};

int output_open(struct output *o, const char *json_path, int use_syslog,
		const char *syslog_path, int human);
/* Reopen the JSON file (log rotation; SIGHUP). */
int output_reopen(struct output *o);
void output_close(struct output *o);
void output_alert(struct output *o, const struct mxg_event *ev,
		  const struct mxg_policy *policy,
		  const struct alert_extra *x);
/* RFC 5424 line for @ev into @buf (exposed for tests). */
size_t output_rfc5424(char *buf, size_t sz, const char *hostname,
		      const struct mxg_event *ev,
		      const struct mxg_policy *policy,
		      const struct alert_extra *x);

#endif
