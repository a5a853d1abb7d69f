// SPDX-License-Identifier: GPL-2.0-only
/*
 * Every value of every enum has a name (names_abi.h), no two values of one
 * enum share it, and the first value past the end is "unknown": a value
 * added to abi.h without a name, or a count in names_abi.h left behind its
 * enum, fails here.  The names themselves are what alerts, metrics and
 * configuration files already use, so a few are pinned.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "event.h"
#include "names_abi.h"

/* Names of 0..@n-1: set, distinct; from @n to 255 "unknown". */
static void check_mapping(const char *(*name_of)(__u32), __u32 n,
			  const char *what)
{
	__u32 v, w;

	for (v = 0; v < n; v++) {
		if (!name_of(v) || !strcmp(name_of(v), "unknown"))
			fail_msg("%s %u has no name", what, v);
		for (w = 0; w < v; w++)
			if (!strcmp(name_of(v), name_of(w)))
				fail_msg("%s %u and %u are both '%s'", what,
					 w, v, name_of(v));
		assert_int_equal(mxg_name_value(name_of, n, name_of(v)), v);
	}
	for (v = n; v < 256; v++)
		if (strcmp(name_of(v), "unknown"))
			fail_msg("%s %u is '%s': is the count in names_abi.h "
				 "behind its enum?", what, v, name_of(v));
	assert_string_equal(name_of(0xffffffffu), "unknown");
	assert_int_equal(mxg_name_value(name_of, n, "unknown"), -1);
}

static void test_scopes(void **state)
{
	(void)state;
	check_mapping(mxg_scope_name, MXG_SCOPES, "scope");
	assert_string_equal(mxg_scope_name(MXG_SCOPE_PROCESS), "process");
	assert_string_equal(mxg_scope_name(MXG_SCOPE_UNIT), "unit");
	assert_string_equal(mxg_scope_name(MXG_SCOPE_HOST), "host");
	assert_string_equal(mxg_scope_name(MXG_SCOPE_NONE), "none");
}

static void test_modes_and_actions(void **state)
{
	(void)state;
	check_mapping(mxg_mode_name, MXG_MODES, "mode");
	check_mapping(mxg_action_name, MXG_ACTIONS, "action");
	assert_string_equal(mxg_mode_name(MXG_MODE_ENFORCE), "block");
	assert_string_equal(mxg_mode_name(MXG_MODE_ALERT), "alert");
	assert_string_equal(mxg_action_name(MXG_ACTION_BLOCK), "block");
	assert_string_equal(mxg_action_name(MXG_ACTION_ALERT), "alert");
	assert_int_equal(mxg_name_value(mxg_mode_name, MXG_MODES, "Block"),
			 -1);
}

static void test_counters(void **state)
{
	(void)state;
	check_mapping(mxg_counter_name, MXG_CNT__MAX, "counter");
	assert_string_equal(mxg_counter_name(MXG_CNT_PACKETS), "dns_packets");
	assert_string_equal(mxg_counter_name(MXG_CNT_PENDING_LOST),
			    "pending_queries_lost");
}

static void test_hold_reasons(void **state)
{
	(void)state;
	check_mapping(mxg_hold_reason_name, MXG_HOLD_REASONS, "hold reason");
	assert_string_equal(mxg_hold_reason_name(MXG_HOLD_TOO_BIG),
			    "message-too-large");
	assert_string_equal(mxg_hold_reason_name(MXG_HOLD_QUESTION),
			    "unreadable-question");
}

static const char *action_of(__u32 type, __u8 outcome, __u8 held)
{
	static struct mxg_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.outcome = outcome;
	ev.held = held;
	return mxg_event_action(&ev);
}

/* Event types are sparse (1..6, then 100..103): each one, and around. */
static void test_event_actions(void **state)
{
	static const struct {
		__u32 type;
		__u8 outcome, held;
		const char *action;
	} want[] = {
		{ MXG_EV_CONNECT, MXG_OUTCOME_BLOCKED, 0, "blocked" },
		{ MXG_EV_CONNECT, MXG_OUTCOME_ALERTED, 0, "alerted" },
		{ MXG_EV_DNS_LOOKALIKE, 0, 0, "dns-lookalike-query" },
		{ MXG_EV_TAINT, 0, 0, "tainted" },
		{ MXG_EV_MX_QUERY, 0, 0, "mx-query" },
		{ MXG_EV_DNS_HELD, 0, 1, "dns-answer-held" },
		{ MXG_EV_DNS_HELD, 0, 0, "dns-answer-incomplete" },
		{ MXG_EV_UNEXPLAINED, 0, 0, "connect-unexplained" },
		{ MXG_EV_DESTROYED, 0, 0, "connection-destroyed" },
		{ MXG_EV_SUSPECT, 0, 0, "lookalike-suspected" },
		{ MXG_EV_LOST, 0, 0, "events-lost" },
		{ MXG_EV_CONNECT, MXG_OUTCOME_REDIRECTED, 0, "held" },
		{ MXG_EV_RCPT_HELD, 0, 0, "recipient-held" },
		{ MXG_EV_SUBMISSION, 0, 0, "submission-lookalike" },
	};
	size_t i, j;
	__u32 t;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_string_equal(action_of(want[i].type, want[i].outcome,
					      want[i].held), want[i].action);
		for (j = 0; j < i; j++)
			if (want[j].type != want[i].type)
				assert_string_not_equal(want[j].action,
							want[i].action);
	}
	for (t = 0; t < 256; t++) {
		for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
			if (want[i].type == t)
				break;
		if (i == sizeof(want) / sizeof(want[0]))
			assert_string_equal(action_of(t, 0, 0), "unknown");
	}
	assert_string_equal(action_of(0xffffffffu, 0, 0), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scopes),
		cmocka_unit_test(test_modes_and_actions),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_hold_reasons),
		cmocka_unit_test(test_event_actions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
