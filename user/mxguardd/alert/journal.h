/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An alert as a journald record with native fields: MESSAGE (the human
 * line), MESSAGE_ID (one per event action, explained in the catalog,
 * user/dist/mxguard.catalog), PRIORITY, SYSLOG_IDENTIFIER, the MXGUARD_*
 * fields SIEM shippers filter on, and MXGUARD_JSON (the whole JSON alert,
 * so a reader of the journal needs no second source).
 *
 * journal_fields() is pure (golden tests in test_render); output.c sends
 * the result with sd_journal_sendv().
 */
#ifndef MXGUARD_JOURNAL_H
#define MXGUARD_JOURNAL_H

#include <sys/uio.h>

#include "event.h"

#define JOURNAL_FIELDS_MAX	24
#define JOURNAL_BUF		8192

struct journal_rec {
	struct iovec iov[JOURNAL_FIELDS_MAX];
	int n;
	char buf[JOURNAL_BUF];		/* the "KEY=value" strings */
	size_t used;
};

/* MESSAGE_ID of an event action (32 hex digits); NULL for none we know. */
const char *journal_message_id(const char *action);
/* Each action with a MESSAGE_ID, for the catalog test: NULL past the end. */
const char *journal_action_at(int i);

/*
 * Fill @r for @ev; @json is its JSON line (or NULL).  A value that does
 * not fit is cut, whole UTF-8 sequences only; a field past the bound is
 * left out.  Returns the number of fields.
 */
int journal_fields(struct journal_rec *r, const struct mxg_event *ev,
		   const struct mxg_policy *policy,
		   const struct alert_extra *x, const char *json);

#endif
