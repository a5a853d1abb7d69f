/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An alert as a syslog message: RFC 5424 with structured data (for a
 * collector that parses it), or the BSD form with "@cee:" JSON (for a
 * local syslogd).  Pure: the caller supplies the time, the host name and
 * the pid (output.c).
 */
#ifndef MXGUARD_RFC5424_H
#define MXGUARD_RFC5424_H

#include <stddef.h>

#include "event.h"

struct rfc5424_origin {
	const char *timestamp;		/* "2026-01-02T03:04:05.000006Z" */
	const char *hostname;		/* NULL or "": "-" */
	int pid;
	unsigned long enterprise_id;	/* SD-ID mxguard@N; 0: no SD ("-") */
};

/*
 * Write the message for @ev into @buf (NUL-terminated when @sz > 0; a
 * short buffer drops whole pieces).  Returns its length.
 */
size_t rfc5424_format(char *buf, size_t sz, const struct rfc5424_origin *o,
		      const struct mxg_event *ev,
		      const struct mxg_policy *policy,
		      const struct alert_extra *x);

/*
 * The "@cee:" form for a local syslogd: "<PRI>TIMESTAMP mxguardd[PID]:
 * @cee: JSON", @o->timestamp in BSD form ("Dec  1 11:50:00").  @json is
 * put whole or not at all.  Returns the length.
 */
size_t syslog_cee_format(char *buf, size_t sz, const struct rfc5424_origin *o,
			 const struct mxg_event *ev, const char *json);

#endif
