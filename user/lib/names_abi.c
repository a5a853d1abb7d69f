// SPDX-License-Identifier: GPL-2.0-only
/* Names of the ABI's enum values, each defined once (names_abi.h). */
#include <string.h>

#include "names_abi.h"

#define UNKNOWN "unknown"

const char *mxg_scope_name(__u32 scope)
{
	switch ((enum mxg_scope)scope) {
	case MXG_SCOPE_PROCESS:
		return "process";
	case MXG_SCOPE_UNIT:
		return "unit";
	case MXG_SCOPE_HOST:
		return "host";
	case MXG_SCOPE_NONE:
		return "none";
	}
	return UNKNOWN;
}

const char *mxg_mode_name(__u32 mode)
{
	switch ((enum mxg_mode)mode) {
	case MXG_MODE_ENFORCE:
		return "block";
	case MXG_MODE_ALERT:
		return "alert";
	}
	return UNKNOWN;
}

const char *mxg_action_name(__u32 action)
{
	switch ((enum mxg_action)action) {
	case MXG_ACTION_ALERT:
		return "alert";
	case MXG_ACTION_BLOCK:
		return "block";
	}
	return UNKNOWN;
}

static const char *const counter_names[] = {
	[MXG_CNT_PACKETS] = "dns_packets",
	[MXG_CNT_PARSED] = "dns_parsed",
	[MXG_CNT_MALFORMED] = "dns_malformed",
	[MXG_CNT_TRUNCATED] = "dns_truncated_parse",
	[MXG_CNT_QUERY_MATCH] = "lookalike_queries",
	[MXG_CNT_TAINTS] = "taints",
	[MXG_CNT_PROC_NEW] = "process_records_new",
	[MXG_CNT_PROC_EXPIRED] = "process_records_expired",
	[MXG_CNT_TAINT_EXPIRED] = "records_expired",
	[MXG_CNT_CLEAN_RECORDS] = "clean_records",
	[MXG_CNT_TNAMES] = "tainted_names",
	[MXG_CNT_CONNECTS] = "monitored_connects",
	[MXG_CNT_ALERTS] = "alerts",
	[MXG_CNT_BLOCKS] = "blocks",
	[MXG_CNT_RB_DROPS] = "ringbuf_drops",
	[MXG_CNT_NO_OWNER] = "dns_no_owner",
	[MXG_CNT_HELD] = "dns_answers_held",
	[MXG_CNT_INCOMPLETE] = "dns_answers_incomplete",
	[MXG_CNT_UNSOLICITED] = "dns_unsolicited",
	[MXG_CNT_MAP_FULL] = "taint_map_full",
	[MXG_CNT_NESTED] = "scratch_nested",
	[MXG_CNT_TCP_UNATTRIBUTED] = "tcp_unattributed",
	[MXG_CNT_TCP_MESSAGES] = "tcp_messages",
	[MXG_CNT_CLEAN_KEPT] = "clean_kept_taint",
	[MXG_CNT_UNEXPLAINED] = "connects_unexplained",
	[MXG_CNT_CLEAN_NEW] = "clean_records_new",
	[MXG_CNT_CLEAN_EXPIRED] = "clean_records_expired",
	[MXG_CNT_NAMES_NEW] = "names_new",
	[MXG_CNT_PENDING_LOST] = "pending_queries_lost",
	[MXG_CNT_QUERY_DROPS] = "mx_query_drops",
	[MXG_CNT_REDIRECTS] = "responder_redirects",
	[MXG_CNT_NO_RESPONDER] = "responder_absent",
	[MXG_CNT_SIM_MATCH] = "query_similar",
	[MXG_CNT_VCACHE_HIT] = "query_cached",
	[MXG_CNT_NAMES_CLEARED] = "mx_names_cleared",
};

/* A gap in the middle is test_names.c's to find. */
_Static_assert(sizeof(counter_names) / sizeof(counter_names[0]) ==
	       MXG_CNT__MAX, "a name for every counter");

const char *mxg_counter_name(__u32 counter)
{
	return counter < MXG_CNT__MAX && counter_names[counter] ?
	       counter_names[counter] : UNKNOWN;
}

const char *mxg_hold_reason_name(__u32 reason)
{
	switch ((enum mxg_hold_reason)reason) {
	case MXG_HOLD_NONE:
		return "none";
	case MXG_HOLD_MALFORMED:
		return "malformed-record";
	case MXG_HOLD_TOO_BIG:
		return "message-too-large";
	case MXG_HOLD_RECORDS:
		return "too-many-records";
	case MXG_HOLD_MAP_FULL:
		return "taint-map-full";
	case MXG_HOLD_TCP_STREAM:
		return "tcp-unattributed";
	case MXG_HOLD_TCP_MESSAGES:
		return "tcp-too-many-messages";
	case MXG_HOLD_HEADERS:
		return "ipv6-extension-headers";
	case MXG_HOLD_MISMATCH:
		return "question-mismatch";
	case MXG_HOLD_NESTED:
		return "nested";
	case MXG_HOLD_QUESTION:
		return "unreadable-question";
	}
	return UNKNOWN;
}

/* The daemon's own events share the record's type field. */
static const char *user_event_action(__u32 type)
{
	switch ((enum mxg_user_event)type) {
	case MXG_EV_DESTROYED:
		return "connection-destroyed";
	case MXG_EV_SUSPECT:
		return "lookalike-suspected";
	case MXG_EV_LOST:
		return "events-lost";
	case MXG_EV_RCPT_HELD:
		return "recipient-held";
	case MXG_EV_SUBMISSION:
		return "submission-lookalike";
	}
	return NULL;
}

const char *mxg_event_action(const struct mxg_event *ev)
{
	const char *user = user_event_action(ev->type);

	if (user)
		return user;
	switch ((enum mxg_event_type)ev->type) {
	case MXG_EV_CONNECT:
		if (ev->outcome == MXG_OUTCOME_REDIRECTED)
			return "held";
		return ev->outcome == MXG_OUTCOME_BLOCKED ? "blocked" :
							    "alerted";
	case MXG_EV_DNS_LOOKALIKE:
		return "dns-lookalike-query";
	case MXG_EV_TAINT:
		return "tainted";
	case MXG_EV_MX_QUERY:
		/* Second look's input: never rendered as an alert. */
		return "mx-query";
	case MXG_EV_DNS_HELD:
		return ev->held ? "dns-answer-held" : "dns-answer-incomplete";
	case MXG_EV_UNEXPLAINED:
		return "connect-unexplained";
	}
	return UNKNOWN;
}

int mxg_name_value(const char *(*name_of)(__u32 value), __u32 n,
		   const char *name)
{
	__u32 v;

	for (v = 0; v < n; v++)
		if (!strcmp(name, name_of(v)))
			return (int)v;
	return -1;
}
