// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "journal.h"
#include "name.h"
#include "names_abi.h"

/*
 * One MESSAGE_ID per event action, fixed forever: SIEM rules and
 * `journalctl MESSAGE_ID=...` name them.  A new action gets a new id here
 * and an entry in user/dist/mxguard.catalog (test_render checks both).
 */
static const struct {
	const char *action, *id;
} ids[] = {
	{ "blocked", "85ef3b708d0142e4b334589fe2530f0f" },
	{ "alerted", "fc6c6c4982fb4628958951585cb985ed" },
	{ "dns-lookalike-query", "1a4c7b5eaa3b4714a1523612a6e1a343" },
	{ "tainted", "dcb6db317dbc4ec4b24fadd76a197bc7" },
	{ "connection-destroyed", "fcdda991141448058d2ef182e37add3f" },
	{ "lookalike-suspected", "ea1c370b3d5d49d9a2364eceb05bacf9" },
	{ "events-lost", "a8db15b112ed4a48a224629d64356cab" },
	{ "dns-answer-held", "0d92f6adf4ae404eaa75b99e56d97c7f" },
	{ "dns-answer-incomplete", "db315e9086bf4ca7ae8d46c5663eafec" },
	{ "connect-unexplained", "06b360ef4fe9492cb79692808e336ff6" },
	{ "held", "8196fa21fa654bd79d33080afa429898" },
	{ "recipient-held", "6370bf26b87241368549d3a3cc91d9ae" },
};

const char *journal_message_id(const char *action)
{
	size_t i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (!strcmp(ids[i].action, action))
			return ids[i].id;
	return NULL;
}

const char *journal_action_at(int i)
{
	return i >= 0 && (size_t)i < sizeof(ids) / sizeof(ids[0]) ?
		       ids[i].action : NULL;
}

/* At most @max bytes of @s (length @n), never half a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	while (max && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/* KEY=value into the record; @value is printable already. */
static void field(struct journal_rec *r, const char *key, const char *value)
{
	size_t room = sizeof(r->buf) - r->used, klen = strlen(key);
	size_t vlen = strlen(value), cut;
	char *p = r->buf + r->used;

	if (r->n == JOURNAL_FIELDS_MAX || room < klen + 2)
		return;
	cut = utf8_cut(value, vlen, room - klen - 1);
	memcpy(p, key, klen);
	p[klen] = '=';
	memcpy(p + klen + 1, value, cut);
	r->iov[r->n].iov_base = p;
	r->iov[r->n].iov_len = klen + 1 + cut;
	r->n++;
	r->used += klen + 1 + cut;
}

static void field_u(struct journal_rec *r, const char *key, unsigned long v)
{
	char num[24];

	snprintf(num, sizeof(num), "%lu", v);
	field(r, key, num);
}

int journal_fields(struct journal_rec *r, const struct mxg_event *ev,
		   const struct mxg_policy *policy,
		   const struct alert_extra *x, const char *json)
{
	const struct mxg_rule_spec *rule = event_rule(ev, policy);
	char text[2048], v[MXG_NAME_TEXT_MAX], comm[17];
	const char *action = mxg_event_action(ev), *id;

	r->n = 0;
	r->used = 0;
	event_to_text(text, sizeof(text), ev, policy, x);
	field(r, "MESSAGE", text);
	id = journal_message_id(action);
	if (id)
		field(r, "MESSAGE_ID", id);
	/* As on syslog: warning for a refusal, notice for the rest. */
	field(r, "PRIORITY", ev->type == MXG_EV_CONNECT ||
			     (ev->type == MXG_EV_DNS_HELD && ev->held) ?
			     "4" : "5");
	field(r, "SYSLOG_IDENTIFIER", "mxguardd");
	field(r, "MXGUARD_EVENT_ACTION", action);
	if (ev->type != MXG_EV_LOST) {
		mxg_name_format(ev->origin, sizeof(ev->origin), v, sizeof(v));
		field(r, "MXGUARD_LOOKALIKE", v);
		mxg_name_format(ev->protected_name, sizeof(ev->protected_name),
				v, sizeof(v));
		field(r, "MXGUARD_PROTECTED", v);
		mxg_name_format(ev->name, sizeof(ev->name), v, sizeof(v));
		field(r, "MXGUARD_RESOLVED_NAME", v);
		event_format_addr(ev->addr, v, sizeof(v));
		field(r, "MXGUARD_ADDRESS", v);
		if (ev->dport)
			field_u(r, "MXGUARD_PORT", ev->dport);
		field_u(r, "MXGUARD_PROCESS_PID", ev->tgid);
		memcpy(comm, ev->comm, 16);
		comm[16] = '\0';
		text_escape(v, sizeof(v), comm);
		field(r, "MXGUARD_PROCESS_NAME", v);
		field(r, "MXGUARD_MODE", mxg_mode_name(ev->mode));
		field(r, "MXGUARD_ACTION", mxg_action_name(ev->action));
		field(r, "MXGUARD_SCOPE", mxg_scope_name(ev->scope));
	}
	if (rule) {
		char where[1100];

		text_escape(v, sizeof(v), rule->file);
		snprintf(where, sizeof(where), "%s:%d", v, rule->line);
		field(r, "MXGUARD_RULE", where);
	}
	if (x && ev->type == MXG_EV_LOST)
		field_u(r, "MXGUARD_LOST", x->lost);
	if (json)
		field(r, "MXGUARD_JSON", json);
	return r->n;
}
