// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ksim.h"
#include "verdict.h"

/* Local part as written: printable ASCII, no '<', '>' or space. */
static int split(const char *rcpt, char *local, size_t lsz, char *dom,
		 size_t dsz, const char **err)
{
	const char *s = rcpt, *end, *at;
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
			   end[-1] == '\r' || end[-1] == '\n'))
		end--;
	if (end > s && *s == '<') {
		if (end[-1] != '>') {
			*err = "unbalanced '<'";
			return -EINVAL;
		}
		s++;
		end--;
	}
	if (end == s) {
		*err = "empty recipient";
		return -EINVAL;
	}
	for (at = end; at > s && at[-1] != '@'; at--)
		;
	if (at > s) {			/* local@domain */
		n = (size_t)(at - 1 - s);
		if (n == 0 || n >= lsz) {
			*err = n ? "local part too long" : "empty local part";
			return -EINVAL;
		}
		memcpy(local, s, n);
		local[n] = 0;
		for (size_t i = 0; i < n; i++)
			if (local[i] <= ' ' || local[i] >= 0x7f ||
			    local[i] == '<' || local[i] == '>') {
				*err = "local part is not printable ASCII";
				return -EINVAL;
			}
		s = at;
	} else {
		local[0] = 0;
	}
	n = (size_t)(end - s);
	if (n == 0 || n >= dsz) {
		*err = n ? "domain too long" : "empty domain";
		return -EINVAL;
	}
	memcpy(dom, s, n);
	dom[n] = 0;
	return 0;
}

/*
 * No rule: what the kernel's similarity match takes (ksim.h) is a
 * lookalike all the same, explained by its protect line.  The suggestion
 * is the protected name whole: the domain is its first label and suffix.
 */
static int similar(const struct mxg_policy *p, const __u8 *wire, __u32 len,
		   const char *local, struct mxg_rcpt_verdict *v)
{
	const struct mxg_protect *pr = ksim_match(p, wire, len);
	const char *base;

	if (!pr)
		return 0;
	v->kind = MXG_RCPT_LOOKALIKE;
	v->action = pr->action;
	v->protect = pr - p->protects;
	mxg_name_format(pr->wire, pr->len, v->imitates, sizeof(v->imitates));
	base = strrchr(pr->file, '/');
	snprintf(v->reason, sizeof(v->reason), "%s imitates %s (%s:%d)",
		 v->domain, v->imitates, base ? base + 1 : pr->file, pr->line);
	snprintf(v->suggest, sizeof(v->suggest), "%s%s%s", local,
		 local[0] ? "@" : "", v->imitates);
	(void)len;
	return 0;
}

int mxg_rcpt_judge(const struct mxg_policy *p, const char *rcpt,
		   struct mxg_rcpt_verdict *v, const char **err)
{
	char local[65], dom[MXG_NAME_TEXT_MAX], suffix[MXG_NAME_TEXT_MAX];
	__u8 wire[MXG_NAME_MAX], alt[MXG_NAME_MAX], rbuf[MXG_NAME_MAX];
	struct mxg_rule_spec spec, *r = &spec;
	const char *base;
	__u32 len, head;
	int idx;

	memset(v, 0, sizeof(*v));
	if (split(rcpt, local, sizeof(local), dom, sizeof(dom), err) ||
	    mxg_name_parse(dom, wire, &len, err))
		return -EINVAL;
	mxg_name_format(wire, len, v->domain, sizeof(v->domain));
	v->protect = -1;
	idx = policy_match(p, wire, len);
	if (idx < 0)
		return similar(p, wire, len, local, v);
	v->rule = &p->rules[idx];
	mxg_rule_spec_of(p, v->rule, rbuf, r);
	v->action = r->action;
	if (r->kind == MXG_RULE_ALLOW) {
		v->kind = MXG_RCPT_ALLOWED;
		return 0;
	}
	v->kind = MXG_RCPT_LOOKALIKE;
	mxg_name_format(r->protected_wire, r->protected_len, v->imitates,
			sizeof(v->imitates));
	mxg_name_format(r->wire, r->wire_len, suffix, sizeof(suffix));
	/*
	 * The file's base name only: the reason travels to senders (a 550,
	 * a 450 in a delay notice) and to recipients (a header), and the
	 * host's paths are none of theirs.  Alerts keep the full path.
	 */
	base = strrchr(r->file, '/');
	snprintf(v->reason, sizeof(v->reason), "%s imitates %s (%s:%d)",
		 v->domain, v->imitates, base ? base + 1 : r->file, r->line);
	/*
	 * The labels in front of the matched suffix, then the protected
	 * name: wire names (no root byte) end in the suffix, so the head is
	 * a byte prefix.
	 */
	head = len - r->wire_len;
	if (r->protected_len == 0 ||
	    head + r->protected_len > MXG_NAME_MAX)
		return 0;
	memcpy(alt, wire, head);
	memcpy(alt + head, r->protected_wire, r->protected_len);
	mxg_name_format(alt, head + r->protected_len, dom, sizeof(dom));
	snprintf(v->suggest, sizeof(v->suggest), "%s%s%s", local,
		 local[0] ? "@" : "", dom);
	return 0;
}
