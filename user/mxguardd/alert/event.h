/* SPDX-License-Identifier: GPL-2.0-only */
/* Turning datapath events (and the daemon's own findings) into alerts. */
#ifndef MXGUARD_EVENT_H
#define MXGUARD_EVENT_H

#include <stddef.h>

#include "mxguard/abi.h"
#include "json.h"
#include "names_abi.h"
#include "policy.h"

struct alert_extra {
	unsigned long long repeats;	/* >0: summary of suppressed repeats */
	unsigned long long lost;	/* MXG_EV_LOST: how many */
	const char *method;		/* MXG_EV_SUSPECT: how it was found */
	unsigned int distance;
	int added_to_policy;		/* MXG_EV_SUSPECT in block mode */
	int correspondent;		/* MXG_EV_SUSPECT: imitates one */
	/* MXG_EV_RCPT_HELD: printable ASCII, as the responder said it */
	const char *rcpt, *reason, *suggest;
};

/*
 * What an alert says beyond the event itself, found by I/O (the clock,
 * /proc, the cgroup tree): enrich.h fills it, once per alert, so the
 * renderers below are pure functions of their arguments.
 */
struct alert_env {
	char ts[64];			/* @timestamp: UTC, microseconds */
	const char *exe;		/* process.executable, or NULL */
	const char *cgroup;		/* under the cgroup2 root, or NULL */
	const char *unit;		/* its systemd unit, or NULL */
	const char *event_id;		/* event.id: unique per host */
	const char *host_name;		/* host.name, or NULL */
	const char *host_id;		/* host.id: /etc/machine-id, or NULL */
};

/* The ECS release whose field set the JSON form follows. */
#define MXG_ECS_VERSION		"8.11.0"

/* Write the JSON form of @ev into @w (reset first). */
void event_to_json(struct jw *w, const struct mxg_event *ev,
		   const struct mxg_policy *policy,
		   const struct alert_extra *x, const struct alert_env *env);
/*
 * One human line ("blocked smtp[42] -> 192.0.2.25:25 ..."), no newline.
 * Every string a process or a packet chose is escaped (escape.h), so the
 * line is printable whatever they hold; a short buffer drops whole pieces.
 */
void event_to_text(char *out, size_t sz, const struct mxg_event *ev,
		   const struct mxg_policy *policy,
		   const struct alert_extra *x);
/* "192.0.2.1" for v4-mapped addresses, else RFC 5952 IPv6. */
void event_format_addr(const __u8 addr[16], char *out, size_t sz);
/* The rule an event refers to, or NULL. */
const struct mxg_rule_spec *event_rule(const struct mxg_event *ev,
				       const struct mxg_policy *policy);

#endif
