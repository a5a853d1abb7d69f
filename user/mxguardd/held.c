// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include <string.h>

#include "event.h"
#include "held.h"
#include "verdict.h"

struct held {
	char domain[MXG_NAME_TEXT_MAX];
	char imitates[MXG_NAME_TEXT_MAX];
	char reason[512];
	char suggest[MXG_RCPT_TEXT_MAX];	/* the last one refused */
	char dest[64];				/* "192.0.2.25:25", or "" */
	unsigned long long refused;
	time_t first, last;
};

static struct {
	struct held h[MXG_HELD_MAX];
	int n;
	unsigned long long untracked;	/* refusals past MXG_HELD_MAX domains */
} held;

static struct held *find(const char *domain)
{
	int i;

	for (i = 0; i < held.n; i++)
		if (!strcmp(held.h[i].domain, domain))
			return &held.h[i];
	if (held.n == MXG_HELD_MAX)
		return NULL;
	return memset(&held.h[held.n++], 0, sizeof(struct held));
}

/* Cut to @sz, as reasons with long policy paths may need. */
static void copy(char *dst, size_t sz, const char *src)
{
	size_t n = strnlen(src, sz - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

void held_note(const struct resp_refusal *r, time_t now)
{
	struct held *h = find(r->v->domain);
	char addr[48];

	if (!h) {
		held.untracked++;
		return;
	}
	if (!h->refused++)
		h->first = now;
	h->last = now;
	copy(h->domain, sizeof(h->domain), r->v->domain);
	copy(h->imitates, sizeof(h->imitates), r->v->imitates);
	copy(h->reason, sizeof(h->reason), r->v->reason);
	copy(h->suggest, sizeof(h->suggest), r->v->suggest);
	if (r->orig) {
		event_format_addr(r->orig->addr, addr, sizeof(addr));
		snprintf(h->dest, sizeof(h->dest), "%s%s%s:%u",
			 strchr(addr, ':') ? "[" : "", addr,
			 strchr(addr, ':') ? "]" : "", r->orig->port);
	}
}

static void stamp(char *out, size_t sz, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, sz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void held_list(const struct mxg_policy *p, struct ctl_reply *r)
{
	struct mxg_rcpt_verdict v;
	char first[32], last[32];
	const char *err;
	int i, still;

	reply_printf(r, "ok\n");
	if (!held.n)
		reply_printf(r, "nothing held by the responder since mxguardd "
			     "started\n");
	for (i = 0; i < held.n; i++) {
		const struct held *h = &held.h[i];

		still = !mxg_rcpt_judge(p, h->domain, &v, &err) &&
			v.kind == MXG_RCPT_LOOKALIKE &&
			v.action == MXG_ACTION_BLOCK;
		stamp(first, sizeof(first), h->first);
		stamp(last, sizeof(last), h->last);
		reply_printf(r, "%s: %llu refused (%s .. %s)%s%s\n", h->domain,
			     h->refused, first, last, h->dest[0] ? " at " : "",
			     h->dest);
		reply_printf(r, "  reason: %s\n", h->reason);
		if (h->suggest[0])
			reply_printf(r, "  did you mean: %s\n", h->suggest);
		if (still)
			reply_printf(r, "  state: held; to release, add `allow "
				     "%s` to a policy file (or remove the "
				     "rule), run `mxguardctl reload`, then "
				     "`postqueue -f` (Postfix) or `exim -qff` "
				     "(Exim)\n", h->domain);
		else
			reply_printf(r, "  state: released by the policy now "
				     "loaded; mail goes on the MTA's next run "
				     "(`postqueue -f`, `exim -qff`)\n");
	}
	if (held.untracked)
		reply_printf(r, "untracked: %llu refusals past %d domains\n",
			     held.untracked, MXG_HELD_MAX);
}

unsigned long long held_untracked(void)
{
	return held.untracked;
}
