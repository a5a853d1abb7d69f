// SPDX-License-Identifier: GPL-2.0-only
/*
 * `check NAME`: what the policy says about a name, and why.  A rule
 * decides first, as the kernel does on the DNS answer.  A name no rule
 * covers is then judged by similarity (the second look's rules,
 * similar.h), as mxguardd judges the MX names it sees: the reply says so,
 * since the kernel has no rule for it until the daemon learns one.  Names
 * may be written in Unicode ("gmaïl.com"); they are judged as A-labels.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksim.h"
#include "check.h"
#include "idn.h"
#include "lookalike.h"
#include "name.h"
#include "names_abi.h"
#include "secondlook.h"
#include "similar.h"

static int has_8bit(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

/* "why: ..." for @wire against the protected @pw, when it can be said. */
static void why(struct ctl_reply *r, const __u8 *wire, __u32 len,
		const __u8 *pw, __u32 plen, int dot_typed)
{
	char text[320];

	if (!secondlook_explain(wire, len, pw, plen, dot_typed, text,
				sizeof(text)) ||
	    (!dot_typed && !secondlook_explain(wire, len, pw, plen, 1, text,
					       sizeof(text))))
		reply_printf(r, "why: %s\n", text);
}

/*
 * A clean name one first-letter edit from a protected one ("fmail.com"):
 * say that the first-letter rule (mxguard.policy(5), words.h) left it, so
 * whoever reads the reply knows it was looked at.  1 when said.
 */
static int first_letter_only(const struct mxg_policy *p, const __u8 *wire,
			     __u32 len, struct ctl_reply *r)
{
	struct mxg_secondlook_opts o;
	struct mxg_secondlook_finding f;
	char prot[MXG_NAME_TEXT_MAX], text[320];

	secondlook_defaults(&o);
	o.similar_flags = SIMILAR_F_ANY_FIRST;
	if (secondlook_check(p, &o, wire, len, &f, 1) != 1 || f.distance != 1)
		return 0;
	mxg_name_format(f.protected_wire, f.protected_len, prot, sizeof(prot));
	if (secondlook_explain(wire, len, f.protected_wire, f.protected_len,
			       f.dot_typed, text, sizeof(text)))
		snprintf(text, sizeof(text), "one edit");
	reply_printf(r, "why: no rule matches any suffix; one edit from %s "
		     "(%s), but at the first letter, which the first-letter "
		     "rule leaves alone here (mxguard.policy(5), THE FIRST "
		     "LETTER)\n", prot, text);
	return 1;
}

static int by_similarity(const struct mxg_policy *p,
			 const struct mxg_secondlook_index *ix,
			 const __u8 *wire, __u32 len, const char *shown,
			 struct ctl_reply *r)
{
	char prot[MXG_NAME_TEXT_MAX];
	const struct mxg_protect *pr;
	struct mxg_secondlook_finding f;
	int n = ix ? secondlook_match(p, ix, wire, len, &f, 1) :
		     secondlook_check(p, NULL, wire, len, &f, 1);

	if (n < 0) {
		reply_printf(r, "error out of memory\n");
		return CHECK_ERROR;
	}
	if (!n) {
		reply_printf(r, "ok\nname: %s\nverdict: clean\n", shown);
		if (!first_letter_only(p, wire, len, r))
			reply_printf(r, "why: no rule matches any suffix, and "
				     "it is near no protected name\n");
		return CHECK_CLEAN;
	}
	mxg_name_format(f.protected_wire, f.protected_len, prot, sizeof(prot));
	reply_printf(r, "lookalike\nname: %s\nverdict: lookalike\n"
		     "imitates: %s\nrule: none (similarity)\nhow: %s\n"
		     "edits: %u\n", shown, prot,
		     lookalike_fuzzer_name(f.method), f.distance);
	why(r, wire, len, f.protected_wire, f.protected_len, f.dot_typed);
	/* One edit past the first letter: the kernel's own match. */
	pr = ksim_match(p, wire, len);
	if (pr) {
		mxg_name_format(pr->wire, pr->len, prot, sizeof(prot));
		reply_printf(r, "action: %s\nenforced: in the kernel, on the "
			     "question (similarity to %s)\n",
			     mxg_action_name(pr->action), prot);
		return CHECK_LOOKALIKE;
	}
	reply_printf(r, "action: %s\nenforced: by mxguardd's second look, "
		     "once it sees the name queried\n",
		     mxg_action_name(f.action));
	return CHECK_LOOKALIKE;
}

int check_name(const struct mxg_policy *p, const char *text,
	       struct ctl_reply *r)
{
	return check_name_ix(p, NULL, text, r);
}

int check_name_ix(const struct mxg_policy *p,
		  const struct mxg_secondlook_index *ix, const char *text,
		  struct ctl_reply *r)
{
	char shown[MXG_NAME_TEXT_MAX], suffix[MXG_NAME_TEXT_MAX];
	char prot[MXG_NAME_TEXT_MAX], ascii[MXG_NAME_TEXT_MAX];
	struct mxg_rule_spec spec, *rule = &spec;
	__u8 wire[MXG_NAME_MAX], rbuf[MXG_NAME_MAX];
	const char *err, *fuzzer, *name = text;
	__u32 len;
	int idx;

	if (has_8bit(text)) {
		if (idn_name_to_ascii(text, ascii, sizeof(ascii), &err)) {
			reply_printf(r, "error invalid name '%s': %s\n", text,
				     err);
			return CHECK_ERROR;
		}
		name = ascii;
	}
	if (mxg_name_parse(name, wire, &len, &err)) {
		reply_printf(r, "error invalid name '%s': %s\n", text, err);
		return CHECK_ERROR;
	}
	mxg_name_format(wire, len, shown, sizeof(shown));
	idx = policy_match(p, wire, len);
	if (idx < 0)
		return by_similarity(p, ix, wire, len, shown, r);
	mxg_rule_spec_of(p, &p->rules[idx], rbuf, rule);
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
		     "imitates: %s\nrule: lookalike %s of %s\nhow: %s\n",
		     shown, prot, suffix, prot, fuzzer ? fuzzer : "rule");
	why(r, wire, len, rule->protected_wire, rule->protected_len,
	    rule->origin == MXG_FUZZ_SUBDOMAIN);
	reply_printf(r, "action: %s\nat: %s:%d\n",
		     mxg_action_name(rule->action), rule->file, rule->line);
	return CHECK_LOOKALIKE;
}
