// SPDX-License-Identifier: GPL-2.0-only
#include "check.h"
#include "lookalike.h"
#include "name.h"
#include "names_abi.h"

int check_name(const struct mxg_policy *p, const char *text,
	       struct ctl_reply *r)
{
	char shown[MXG_NAME_TEXT_MAX], suffix[MXG_NAME_TEXT_MAX];
	char prot[MXG_NAME_TEXT_MAX];
	const struct mxg_policy_rule *rule;
	__u8 wire[MXG_NAME_MAX];
	const char *err, *fuzzer;
	__u32 len;
	int idx;

	if (mxg_name_parse(text, wire, &len, &err)) {
		reply_printf(r, "error invalid name '%s': %s\n", text, err);
		return CHECK_ERROR;
	}
	mxg_name_format(wire, len, shown, sizeof(shown));
	idx = policy_match(p, wire, len);
	if (idx < 0) {
		reply_printf(r, "ok\nname: %s\nverdict: clean\nwhy: no rule "
			     "matches any suffix\n", shown);
		return CHECK_CLEAN;
	}
	rule = &p->rules[idx];
	mxg_name_format(rule->wire, rule->wire_len, suffix, sizeof(suffix));
	if (rule->kind == MXG_RULE_ALLOW) {
		reply_printf(r, "ok\nname: %s\nverdict: allowed\nrule: allow %s"
			     "\nat: %s:%d\n", shown, suffix, rule->file,
			     rule->line);
		return CHECK_CLEAN;
	}
	mxg_name_format(rule->protected_wire, rule->protected_len, prot,
			sizeof(prot));
	fuzzer = lookalike_fuzzer_name(rule->origin);
	reply_printf(r, "lookalike\nname: %s\nverdict: lookalike\n"
		     "imitates: %s\nrule: lookalike %s of %s\nhow: %s\n"
		     "action: %s\nat: %s:%d\n", shown, prot, suffix, prot,
		     fuzzer ? fuzzer : "rule",
		     mxg_action_name(rule->action),
		     rule->file, rule->line);
	return CHECK_LOOKALIKE;
}

