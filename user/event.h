/* SPDX-License-Identifier: GPL-2.0-only */
/* Turning ring-buffer events into alerts. */
#ifndef MXGUARD_EVENT_H
#define MXGUARD_EVENT_H

#include <stdio.h>

#include "mxguard/abi.h"
#include "json.h"
#include "policy.h"

struct event_ctx {
	const struct mxg_policy *policy;	/* for rule file:line */
	FILE *json_out;				/* JSON lines, or NULL */
	int use_syslog;				/* one line per alert */
	unsigned long long emitted;
	struct jw jw;
};

/* Write the JSON form of @ev into @w (reset first). */
void event_to_json(struct jw *w, const struct mxg_event *ev,
		   const struct mxg_policy *policy);
/* ring_buffer__new() callback; @ctx is a struct event_ctx. */
int event_handle(void *ctx, void *data, size_t size);
/* "192.0.2.1" for v4-mapped addresses, else RFC 5952 IPv6. */
void event_format_addr(const __u8 addr[16], char *out, size_t sz);

#endif
