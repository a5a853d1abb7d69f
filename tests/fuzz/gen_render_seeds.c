// SPDX-License-Identifier: GPL-2.0-only
/*
 * Writes the seed corpus of fuzz_render.c (tests/fuzz/corpus/render/): one
 * valid record of each kind the daemon renders, as the datapath or the
 * daemon would make it, in the input layout of fuzz_render.h, once for
 * each renderer (NAME.json, NAME.text, NAME.syslog: the last byte).
 * `make fuzz-seeds` runs it; the output is committed, beside the inputs
 * that found bugs (syslog-cut-in-utf8), which it leaves alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "fuzz_render.h"
#include "name.h"

struct seed {
	const char *file;
	struct mxg_event ev;
	struct render_tail t;
	const char *str[RENDER_STRINGS];
};

static void wire(__u8 *out, size_t size, const char *text)
{
	__u8 tmp[MXG_NAME_MAX];
	const char *err;
	__u32 len;

	if (mxg_name_parse(text, tmp, &len, &err) || len > size) {
		fprintf(stderr, "%s: %s\n", text, err);
		exit(1);
	}
	memset(out, 0, size);
	memcpy(out, tmp, len);
}

static void v4(__u8 addr[16], __u8 a, __u8 b, __u8 c, __u8 d)
{
	const __u8 mapped[16] = { [10] = 0xff, [11] = 0xff, [12] = a,
				  [13] = b, [14] = c, [15] = d };

	memcpy(addr, mapped, 16);
}

/* smtp[4242], resolved army.ml -> mx.mali-mail.net, rule 0 of gen 1. */
static void base(struct mxg_event *ev, __u32 type)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->ts_ns = 1000000000ULL;
	ev->tgid = ev->resolver_tgid = 4242;
	ev->pid = 4243;
	ev->uid = 108;
	ev->cgroup_id = ev->resolver_cgroup = 77;
	ev->rule_id = 1u << 24;
	ev->action = MXG_ACTION_BLOCK;
	ev->family = 2;
	ev->dport = 25;
	memcpy(ev->comm, "smtp", 4);
	v4(ev->addr, 192, 0, 2, 25);
	wire(ev->origin, sizeof(ev->origin), "army.ml");
	wire(ev->name, sizeof(ev->name), "mx.mali-mail.net");
	wire(ev->protected_name, sizeof(ev->protected_name), "mil");
}

static void write_one(const char *dir, const struct seed *s, __u8 family)
{
	static const char *const ext[RENDER_FAMILIES] = {
		[RENDER_FAMILY_JSON] = "json",
		[RENDER_FAMILY_TEXT] = "text",
		[RENDER_FAMILY_SYSLOG] = "syslog",
	};
	char path[4096];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/%s.%s", dir, s->file, ext[family]);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(1);
	}
	fwrite(&s->ev, sizeof(s->ev), 1, f);
	fwrite(&s->t, sizeof(s->t), 1, f);
	for (i = 0; i < RENDER_STRINGS && s->str[i]; i++)
		fwrite(s->str[i], strlen(s->str[i]) + 1, 1, f);
	fwrite(&family, 1, 1, f);
	if (fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void write_seed(const char *dir, const struct seed *s)
{
	__u8 family;

	for (family = 0; family < RENDER_FAMILIES; family++)
		write_one(dir, s, family);
}

int main(int argc, char **argv)
{
	static const __u8 v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x25 };
	struct seed s;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	memset(&s, 0, sizeof(s));
	s.file = "connect-blocked";
	base(&s.ev, MXG_EV_CONNECT);
	s.ev.outcome = MXG_OUTCOME_BLOCKED;
	s.t.text_size = 60;
	s.t.syslog_size = 120;
	s.str[1] = "/usr/lib/postfix/sbin/smtp";
	s.str[2] = "/system.slice/postfix.service";
	s.str[3] = "postfix.service";
	s.str[4] = "mail.example";
	write_seed(argv[1], &s);

	memset(&s, 0, sizeof(s));
	s.file = "connect-alerted-v6";
	base(&s.ev, MXG_EV_CONNECT);
	memcpy(s.ev.addr, v6, 16);
	memcpy(s.ev.comm, "sm\xc3\xa9tp\n", 7);
	s.ev.family = 10;
	s.ev.rule_id = 1u << 24 | 2;	/* the b\195\188cher.example rule */
	s.ev.action = MXG_ACTION_ALERT;
	s.ev.mode = MXG_MODE_ALERT;
	s.ev.scope = MXG_SCOPE_UNIT;
	wire(s.ev.origin, sizeof(s.ev.origin), "b\\195\\188cher.example");
	wire(s.ev.protected_name, sizeof(s.ev.protected_name),
	     "bucher.example");
	s.t.flags = RENDER_EXTRA;
	s.t.repeats = 7;
	write_seed(argv[1], &s);

	memset(&s, 0, sizeof(s));
	s.file = "dns-lookalike";
	base(&s.ev, MXG_EV_DNS_LOOKALIKE);
	s.ev.qtype = 15;
	memcpy(s.ev.name, s.ev.origin, sizeof(s.ev.name));
	v4(s.ev.addr, 127, 0, 0, 53);
	s.ev.dport = 53;
	write_seed(argv[1], &s);

	memset(&s, 0, sizeof(s));
	s.file = "taint";
	base(&s.ev, MXG_EV_TAINT);
	s.ev.ttl = 300;
	s.ev.dport = 0;
	write_seed(argv[1], &s);

	memset(&s, 0, sizeof(s));
	s.file = "held-udp";
	base(&s.ev, MXG_EV_DNS_HELD);
	s.ev.reason = MXG_HOLD_MAP_FULL;
	s.ev.held = 1;
	s.ev.transport = 17;
	s.ev.dport = 53;
	v4(s.ev.addr, 127, 0, 0, 53);
	memcpy(s.ev.name, s.ev.origin, sizeof(s.ev.name));
	write_seed(argv[1], &s);

	memset(&s, 0, sizeof(s));
	s.file = "incomplete-tcp";
	base(&s.ev, MXG_EV_DNS_HELD);
	s.ev.reason = MXG_HOLD_TCP_STREAM;
	s.ev.transport = 6;
	s.ev.mode = MXG_MODE_ALERT;
	s.ev.dport = 53;
	memset(s.ev.name, 0, sizeof(s.ev.name));
	memset(s.ev.protected_name, 0, sizeof(s.ev.protected_name));
	write_seed(argv[1], &s);

	memset(&s, 0, sizeof(s));
	s.file = "unexplained";
	base(&s.ev, MXG_EV_UNEXPLAINED);
	s.ev.scope = MXG_SCOPE_NONE;
	s.ev.rule_id = 0;
	memset(s.ev.origin, 0, sizeof(s.ev.origin));
	memset(s.ev.name, 0, sizeof(s.ev.name));
	memset(s.ev.protected_name, 0, sizeof(s.ev.protected_name));
	write_seed(argv[1], &s);

	memset(&s, 0, sizeof(s));
	s.file = "destroyed-old-generation";
	base(&s.ev, MXG_EV_DESTROYED);
	s.ev.dport = 587;
	s.t.flags = RENDER_NO_POLICY;
	write_seed(argv[1], &s);

	memset(&s, 0, sizeof(s));
	s.file = "suspect";
	base(&s.ev, MXG_EV_SUSPECT);
	s.ev.rule_id = 1u << 24 | 0xffffffu;	/* not in the policy */
	wire(s.ev.name, sizeof(s.ev.name), "gmial.com");
	wire(s.ev.origin, sizeof(s.ev.origin), "gmial.com");
	wire(s.ev.protected_name, sizeof(s.ev.protected_name), "gmail.com");
	s.t.flags = RENDER_EXTRA;
	s.t.distance = 1;
	s.t.added_to_policy = 1;
	s.str[0] = "transposition";
	write_seed(argv[1], &s);

	memset(&s, 0, sizeof(s));
	s.file = "lost";
	base(&s.ev, MXG_EV_LOST);
	s.t.flags = RENDER_EXTRA | RENDER_NO_POLICY;
	s.t.lost = 12345;
	write_seed(argv[1], &s);
	return 0;
}
