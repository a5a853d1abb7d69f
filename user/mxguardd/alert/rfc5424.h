/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An alert as an RFC 5424 syslog message with structured data.  Pure: the
 * caller supplies the time, the host name and the pid (output.c).
 */
#ifndef MXGUARD_RFC5424_H
#define MXGUARD_RFC5424_H

#include <stddef.h>

#include "event.h"

struct rfc5424_origin {
	const char *timestamp;		/* "2026-01-02T03:04:05.000006Z" */
	const char *hostname;		/* NULL or "": "-" */
	int pid;
};

/*
 * Write the message for @ev into @buf (NUL-terminated when @sz > 0; a
 * short buffer drops whole pieces).  Returns its length.
 */
size_t rfc5424_format(char *buf, size_t sz, const struct rfc5424_origin *o,
		      const struct mxg_event *ev,
		      const struct mxg_policy *policy,
		      const struct alert_extra *x);

#endif
