// SPDX-License-Identifier: GPL-2.0-only
/*
 * RFC 5424 lines.  Each field is made printable first, as on the human
 * line (escape.h), and PARAM-VALUEs then get RFC 5424's own escapes, so a
 * receiver that undoes those sees the same text the human line shows.
 */
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "name.h"
#include "names_abi.h"
#include "rfc5424.h"

/*
 * The SD-ID of our structured data is "mxguard@PEN" (RFC 5424 7.2.2):
 * PEN is the site's IANA private enterprise number, syslog_enterprise_id.
 * There is no default: 32473 is RFC 5612's number for documentation, and
 * a production message must not claim it (the tests use it).  Without a
 * number there is no RFC 5424 output (config.c refuses it); the "@cee:"
 * form carries the same fields with no SD-ID at all.
 */

/*
 * PARAM-VALUE escaping (RFC 5424 6.3.3): '"', '\' and ']'.  @text is
 * printable (escape.h), and each UTF-8 sequence in it is put whole: a line
 * cut short must not end in half of one, which no receiver can decode.
 */
static void sd_param(struct tbuf *b, const char *name, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i, n = strlen(text), len;
	char esc[2] = { '\\' };
	unsigned int cp;

	tb_printf(b, " %s=\"", name);
	for (i = 0; i < n; i += len) {
		len = s[i] < 0x80 ? 1 : utf8_seq_len(s + i, n - i, &cp);
		len = len ? len : 1;	/* invalid: not from escape.h */
		if (s[i] == '"' || s[i] == '\\' || s[i] == ']') {
			esc[1] = text[i];
			tb_put(b, esc, 2);
		} else {
			tb_put(b, text + i, len);
		}
	}
	tb_put(b, "\"", 1);
}

/* A free-form value (comm, a file name): printable first, then escaped. */
static void sd_param_raw(struct tbuf *b, const char *name, const char *raw)
{
	char text[1024];

	text_escape(text, sizeof(text), raw);
	sd_param(b, name, text);
}

/* rule="FILE:LINE", the file name printable first. */
static void sd_rule(struct tbuf *b, const struct mxg_rule_spec *r)
{
	char text[1024];
	struct tbuf t;

	tb_init(&t, text, sizeof(text));
	tb_text(&t, r->file);
	tb_printf(&t, ":%d", r->line);
	sd_param(b, "rule", text);
}

/* HOSTNAME is 1*255PRINTUSASCII (RFC 5424 6.2.4); anything else is '_'. */
static void put_hostname(struct tbuf *b, const char *host)
{
	size_t i;

	if (!host || !*host) {
		tb_put(b, "-", 1);
		return;
	}
	for (i = 0; host[i] && i < 255; i++)
		tb_put(b, host[i] > 32 && host[i] < 127 ? &host[i] : "_", 1);
}

static void header(struct tbuf *b, const struct rfc5424_origin *o,
		   const struct mxg_event *ev)
{
	/* facility daemon (3); warning for refusals, notice for the rest */
	int pri = 3 * 8 + (ev->type == MXG_EV_CONNECT ? 4 : 5);

	tb_printf(b, "<%d>1 %s ", pri, o->timestamp);
	put_hostname(b, o->hostname);
	tb_printf(b, " mxguardd %d %s", o->pid, mxg_event_action(ev));
}

static void structured_data(struct tbuf *b, const struct rfc5424_origin *o,
			    const struct mxg_event *ev,
			    const struct mxg_policy *policy)
{
	const struct mxg_rule_spec *r = event_rule(ev, policy);
	char v[MXG_NAME_TEXT_MAX], comm[17];

	tb_printf(b, " [mxguard@%lu", o->enterprise_id);
	sd_param(b, "action", mxg_event_action(ev));
	mxg_name_format(ev->origin, sizeof(ev->origin), v, sizeof(v));
	sd_param(b, "lookalike", v);
	mxg_name_format(ev->protected_name, sizeof(ev->protected_name), v,
			sizeof(v));
	sd_param(b, "protected", v);
	if (ev->type == MXG_EV_CONNECT || ev->type == MXG_EV_DESTROYED) {
		event_format_addr(ev->addr, v, sizeof(v));
		sd_param(b, "dst", v);
		snprintf(v, sizeof(v), "%u", ev->dport);
		sd_param(b, "dport", v);
	}
	snprintf(v, sizeof(v), "%u", ev->tgid);
	sd_param(b, "pid", v);
	memcpy(comm, ev->comm, 16);
	comm[16] = '\0';
	sd_param_raw(b, "comm", comm);
	if (r)
		sd_rule(b, r);
	tb_put(b, "]", 1);
}

size_t rfc5424_format(char *buf, size_t sz, const struct rfc5424_origin *o,
		      const struct mxg_event *ev,
		      const struct mxg_policy *policy,
		      const struct alert_extra *x)
{
	struct tbuf b;

	tb_init(&b, buf, sz);
	header(&b, o, ev);
	if (o->enterprise_id)
		structured_data(&b, o, ev, policy);
	else
		tb_puts(&b, " -");
	tb_put(&b, " ", 1);
	if (b.full)
		return b.len;
	/* MSG gets the rest: a long one loses its last pieces, not all. */
	event_to_text(buf + b.len, sz - b.len, ev, policy, x);
	return b.len + strlen(buf + b.len);
}

/*
 * BSD form, as glibc's syslog(3) writes to /dev/log: every local syslogd
 * and journald parse its header.  "@cee:" is the CEE cookie that rsyslog's
 * mmjsonparse (and syslog-ng's json-parser) look for before the JSON.
 */
size_t syslog_cee_format(char *buf, size_t sz, const struct rfc5424_origin *o,
			 const struct mxg_event *ev, const char *json)
{
	int pri = 3 * 8 + (ev->type == MXG_EV_CONNECT ? 4 : 5);
	struct tbuf b;

	tb_init(&b, buf, sz);
	tb_printf(&b, "<%d>%s mxguardd[%d]: @cee: ", pri, o->timestamp,
		  o->pid);
	if (b.full)
		return b.len;
	/* A cut JSON object is no JSON: all of it, or nothing after the tag. */
	if (strlen(json) >= sz - b.len) {
		buf[b.len] = '\0';
		return b.len;
	}
	tb_puts(&b, json);
	return b.len;
}
