// SPDX-License-Identifier: GPL-2.0-only
/*
 * The renderers, with no I/O: a fixed event, policy and enrichment give a
 * fixed JSON line, human line and RFC 5424 message (golden output).  A
 * process name chosen to break lines ("a\nb\xff]\"x") stays data in each,
 * and no buffer size, 0 included, makes a renderer write past its end.
 */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "escape.h"
#include "event.h"
#include "name.h"
#include "policy.h"
#include "journal.h"
#include "rfc5424.h"

#define POLICY_FILE	"/etc/mxguard/policies.d/mil.policy"
#define HOSTILE_COMM	"a\nb\xff]\"x"
/* A file name can hold anything but NUL and '/' in its last part. */
#define HOSTILE_FILE	"/tmp/p]\"\\\n.policy"
/* Valid UTF-8, which every sink keeps as it is: é, and U+1F4E8. */
#define UTF8_COMM	"\xc3\xa9t\xc3\xa9\xf0\x9f\x93\xa8"
#define UTF8_FILE	"/etc/mxguard/r\xc3\xa9seau-\xf0\x9f\x93\xa8.policy"

static const struct alert_env env = {
	.ts = "2026-01-02T03:04:05.000006Z",
	.exe = "/usr/lib/postfix/sbin/smtp",
	.cgroup = "/system.slice/postfix.service",
	.unit = "postfix.service",
	.event_id = "5f1e2d3c4b5a6-9",
	.host_name = "mail.example",
	.host_id = "0123456789abcdef0123456789abcdef",
};

static const struct rfc5424_origin origin = {
	.timestamp = "2026-01-02T03:04:05.000007Z",
	.hostname = "mail.example",
	.pid = 42,
	.enterprise_id = 32473,		/* RFC 5612: documentation only */
};

/* Into a zeroed field, as the datapath leaves them. */
#define set_name(field, text) set_wire(field, sizeof(field), text)

static void set_wire(__u8 *wire, size_t size, const char *text)
{
	__u8 tmp[MXG_NAME_MAX];
	const char *err;
	__u32 len;

	assert_int_equal(mxg_name_parse(text, tmp, &len, &err), 0);
	assert_true(len <= size);
	memset(wire, 0, size);
	memcpy(wire, tmp, len);
}

static void load_policy(struct mxg_policy *p, const char *file)
{
	static const char text[] = "lookalike ml of mil action=block\n";

	policy_init(p);
	assert_int_equal(policy_load_buffer(p, file, text, sizeof(text) - 1),
			 0);
}

/* The seed case: smtp[4242] refused at 192.0.2.25:25, rule 0. */
static void blocked_event(struct mxg_event *ev, const char *comm)
{
	static const __u8 addr[16] = { [10] = 0xff, [11] = 0xff, [12] = 192,
				       [13] = 0, [14] = 2, [15] = 25 };

	memset(ev, 0, sizeof(*ev));
	ev->type = MXG_EV_CONNECT;
	ev->outcome = MXG_OUTCOME_BLOCKED;
	ev->action = MXG_ACTION_BLOCK;
	ev->tgid = ev->resolver_tgid = 4242;
	ev->pid = 4243;
	ev->uid = 108;
	ev->cgroup_id = ev->resolver_cgroup = 77;
	ev->dport = 25;
	ev->rule_id = 5u << 24;		/* generation 5, rule 0 */
	memcpy(ev->addr, addr, sizeof(addr));
	set_name(ev->origin, "army.ml");
	set_name(ev->name, "mx.mali-mail.net");
	set_name(ev->protected_name, "mil");
	memcpy(ev->comm, comm, strlen(comm));
}

/* No control byte, no invalid UTF-8: safe for a line and a terminal. */
static void assert_printable(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n = strlen(s), len;
	unsigned int cp;

	while (i < n) {
		if (u[i] < 0x80) {
			if (u[i] < 0x20 || u[i] == 0x7f)
				fail_msg("raw byte 0x%02x at %zu in: %s",
					 u[i], i, s);
			i++;
			continue;
		}
		len = utf8_seq_len(u + i, n - i, &cp);
		if (!len || unicode_unsafe(cp))
			fail_msg("unsafe byte 0x%02x at %zu in: %s", u[i], i,
				 s);
		i += len;
	}
}

static const char golden_text[] =
	"blocked smtp[4242] -> 192.0.2.25:25 army.ml via mx.mali-mail.net "
	"imitates mil (rule ml at " POLICY_FILE ":1)";

static const char golden_json[] =
	"{\"@timestamp\":\"2026-01-02T03:04:05.000006Z\","
	"\"ecs\":{\"version\":\"8.11.0\"},"
	"\"message\":\"blocked smtp[4242] -> 192.0.2.25:25 army.ml via "
	"mx.mali-mail.net imitates mil (rule ml at " POLICY_FILE ":1)\","
	"\"event\":{\"kind\":\"alert\",\"module\":\"mxguard\","
	"\"dataset\":\"mxguard.alerts\",\"id\":\"5f1e2d3c4b5a6-9\","
	"\"severity\":73,"
	"\"category\":[\"intrusion_detection\",\"network\"],"
	"\"type\":[\"connection\",\"denied\"],"
	"\"action\":\"blocked\",\"outcome\":\"failure\"},"
	"\"host\":{\"name\":\"mail.example\",\"hostname\":\"mail.example\","
	"\"id\":\"0123456789abcdef0123456789abcdef\"},"
	"\"rule\":{\"id\":\"" POLICY_FILE ":1\","
	"\"name\":\"lookalike ml of mil\",\"ruleset\":\"" POLICY_FILE "\","
	"\"category\":\"rule\",\"description\":\"ml imitates mil\"},"
	"\"process\":{\"pid\":4242,\"thread\":{\"id\":4243},"
	"\"name\":\"smtp\",\"executable\":\"/usr/lib/postfix/sbin/smtp\"},"
	"\"user\":{\"id\":\"108\"},"
	"\"destination\":{\"ip\":\"192.0.2.25\",\"port\":25,"
	"\"domain\":\"mx.mali-mail.net\"},"
	"\"mxguard\":{\"lookalike\":\"army.ml\",\"protected\":\"mil\","
	"\"resolved_name\":\"mx.mali-mail.net\","
	"\"path\":[\"army.ml\",\"mx.mali-mail.net\",\"192.0.2.25\"],"
	"\"mode\":\"block\",\"scope\":\"process\",\"action\":\"block\","
	"\"rule\":{\"suffix\":\"ml\",\"file\":\"" POLICY_FILE "\",\"line\":1,"
	"\"fuzzer\":\"rule\"},\"cgroup_id\":77,"
	"\"cgroup\":\"/system.slice/postfix.service\","
	"\"unit\":\"postfix.service\","
	"\"resolver\":{\"pid\":4242,\"cgroup_id\":77}}}";

static const char golden_syslog[] =
	"<28>1 2026-01-02T03:04:05.000007Z mail.example mxguardd 42 blocked "
	"[mxguard@32473 action=\"blocked\" lookalike=\"army.ml\" "
	"protected=\"mil\" dst=\"192.0.2.25\" dport=\"25\" pid=\"4242\" "
	"comm=\"smtp\" rule=\"" POLICY_FILE ":1\"] "
	"blocked smtp[4242] -> 192.0.2.25:25 army.ml via mx.mali-mail.net "
	"imitates mil (rule ml at " POLICY_FILE ":1)";

static void test_golden_text(void **state)
{
	struct mxg_policy p;
	struct mxg_event ev;
	char line[2048];

	(void)state;
	load_policy(&p, POLICY_FILE);
	blocked_event(&ev, "smtp");
	event_to_text(line, sizeof(line), &ev, &p, NULL);
	assert_string_equal(line, golden_text);
	policy_free(&p);
}

static void test_golden_json(void **state)
{
	struct mxg_policy p;
	struct mxg_event ev;
	struct jw w;

	(void)state;
	load_policy(&p, POLICY_FILE);
	blocked_event(&ev, "smtp");
	jw_init(&w);
	event_to_json(&w, &ev, &p, NULL, &env);
	assert_string_equal(jw_cstr(&w), golden_json);
	jw_free(&w);
	policy_free(&p);
}

static void test_golden_syslog(void **state)
{
	struct mxg_policy p;
	struct mxg_event ev;
	char line[4096];
	size_t n;

	(void)state;
	load_policy(&p, POLICY_FILE);
	blocked_event(&ev, "smtp");
	n = rfc5424_format(line, sizeof(line), &origin, &ev, &p, NULL);
	assert_string_equal(line, golden_syslog);
	assert_int_equal(n, strlen(golden_syslog));
	policy_free(&p);
}

/* An answer held back, from an IPv6 server: brackets around the address. */
static void test_golden_held_v6(void **state)
{
	struct mxg_policy p;
	struct mxg_event ev;
	char line[2048];

	(void)state;
	load_policy(&p, POLICY_FILE);
	blocked_event(&ev, "smtp");
	ev.type = MXG_EV_DNS_HELD;
	ev.held = 1;
	ev.reason = MXG_HOLD_TOO_BIG;
	ev.transport = IPPROTO_UDP;
	ev.dport = 53;
	memset(ev.addr, 0, sizeof(ev.addr));
	ev.addr[0] = 0x20, ev.addr[1] = 0x01, ev.addr[2] = 0x0d;
	ev.addr[3] = 0xb8, ev.addr[15] = 0x53;
	set_name(ev.name, "army.ml");
	event_to_text(line, sizeof(line), &ev, &p, NULL);
	assert_string_equal(line, "dns-answer-held smtp[4242] <- "
			    "[2001:db8::53]:53 (udp) army.ml: "
			    "message-too-large, answer held back; army.ml "
			    "imitates mil");
	policy_free(&p);
}

static void test_golden_lost(void **state)
{
	struct alert_extra x = { .lost = 7 };
	struct mxg_event ev = { .type = MXG_EV_LOST };
	struct rfc5424_origin nohost = origin;
	char line[4096];

	(void)state;
	nohost.hostname = "";
	rfc5424_format(line, sizeof(line), &nohost, &ev, NULL, &x);
	assert_string_equal(line, "<29>1 2026-01-02T03:04:05.000007Z - "
			    "mxguardd 42 events-lost [mxguard@32473 "
			    "action=\"events-lost\" lookalike=\".\" "
			    "protected=\".\" pid=\"0\" comm=\"\"] events-lost: "
			    "7 events dropped by the ring buffer");
}

/*
 * The SMTP responder's refusal: the recipient, the reason and the
 * suggestion in every renderer, a hostile recipient escaped.
 */
static void test_golden_rcpt_held(void **state)
{
	struct alert_extra x = { .rcpt = "officer@army.ml",
				 .reason = "army.ml imitates mil (" POLICY_FILE
					   ":1)",
				 .suggest = "officer@army.mil" };
	struct mxg_policy p;
	struct mxg_event ev;
	char line[4096];
	struct jw w;

	(void)state;
	load_policy(&p, POLICY_FILE);
	blocked_event(&ev, "smtp");
	ev.type = MXG_EV_RCPT_HELD;
	ev.outcome = MXG_OUTCOME_REDIRECTED;
	event_to_text(line, sizeof(line), &ev, &p, &x);
	assert_string_equal(line, "recipient-held smtp[4242] -> "
			    "192.0.2.25:25 <officer@army.ml>: army.ml imitates "
			    "mil (" POLICY_FILE ":1); did you mean "
			    "officer@army.mil?");
	jw_init(&w);
	event_to_json(&w, &ev, &p, &x, &env);
	assert_non_null(strstr(jw_cstr(&w), "\"email\":{\"to\":{\"address\":"
					  "[\"officer@army.ml\"]}}"));
	assert_non_null(strstr(jw_cstr(&w), "\"recipient\":{\"address\":"
			       "\"officer@army.ml\",\"reason\":\"army.ml "
			       "imitates mil (" POLICY_FILE ":1)\","
			       "\"suggestion\":\"officer@army.mil\"}"));
	assert_non_null(strstr(jw_cstr(&w), "\"action\":\"recipient-held\""));
	jw_free(&w);
	rfc5424_format(line, sizeof(line), &origin, &ev, &p, &x);
	assert_non_null(strstr(line, "recipient-held smtp[4242] -> "
			       "192.0.2.25:25 <officer@army.ml>"));
	x.rcpt = "a\nb\xff@army.ml";
	event_to_text(line, sizeof(line), &ev, &p, &x);
	assert_printable(line);
	policy_free(&p);
}

/*
 * What the issue found: a newline and a 0xff byte in comm reached the
 * syslog datagram and the human line raw.  Each field is escaped for its
 * sink; the human line and MSG carry the printable form.
 */
static void test_hostile_text(void **state)
{
	struct mxg_policy p;
	struct mxg_event ev;
	char line[2048];

	(void)state;
	load_policy(&p, HOSTILE_FILE);
	blocked_event(&ev, HOSTILE_COMM);
	event_to_text(line, sizeof(line), &ev, &p, NULL);
	assert_string_equal(line, "blocked a\\x0ab\\xff]\"x[4242] -> "
			    "192.0.2.25:25 army.ml via mx.mali-mail.net "
			    "imitates mil (rule ml at "
			    "/tmp/p]\"\\\\\\x0a.policy:1)");
	assert_printable(line);
	policy_free(&p);
}

/*
 * SD-PARAM values: the printable form, then RFC 5424's escapes of '"',
 * '\' and ']', so a receiver that undoes them has the human line's text.
 */
static void test_hostile_syslog(void **state)
{
	struct mxg_policy p;
	struct mxg_event ev;
	char line[4096];

	(void)state;
	load_policy(&p, HOSTILE_FILE);
	blocked_event(&ev, HOSTILE_COMM);
	rfc5424_format(line, sizeof(line), &origin, &ev, &p, NULL);
	assert_non_null(strstr(line, " comm=\"a\\\\x0ab\\\\xff\\]\\\"x\" "));
	assert_non_null(strstr(line,
		" rule=\"/tmp/p\\]\\\"\\\\\\\\\\\\x0a.policy:1\"] "));
	assert_non_null(strstr(line, "] blocked a\\x0ab\\xff]\"x[4242] -> "));
	assert_printable(line);
	policy_free(&p);
}

static void test_hostile_json(void **state)
{
	struct mxg_policy p;
	struct mxg_event ev;
	struct alert_env hostile = env;
	struct jw w;

	(void)state;
	load_policy(&p, HOSTILE_FILE);
	blocked_event(&ev, HOSTILE_COMM);
	hostile.exe = "/tmp/\x1b[31mevil\xc2\x9b";	/* ESC, and C1 CSI */
	/* U+202E, right-to-left override */
	hostile.cgroup = "/user.slice/\xe2\x80\xae" "evil.scope";
	jw_init(&w);
	event_to_json(&w, &ev, &p, NULL, &hostile);
	assert_non_null(strstr(jw_cstr(&w), "\"name\":\"a\\nb\\u00ff]\\\"x\""));
	assert_non_null(strstr(jw_cstr(&w), "\"message\":\"blocked "
			       "a\\\\x0ab\\\\xff]\\\"x["));
	assert_non_null(strstr(jw_cstr(&w), "\"executable\":"
			       "\"/tmp/\\u001b[31mevil\\u009b\""));
	assert_non_null(strstr(jw_cstr(&w),
			       "\"cgroup\":\"/user.slice/\\u202eevil.scope\""));
	assert_printable(jw_cstr(&w));
	jw_free(&w);
	policy_free(&p);
}

/* Every size from 0 up: no write past @sz, and a prefix of the whole. */
typedef size_t (*render_fn)(char *buf, size_t sz, const struct mxg_event *ev,
			    const struct mxg_policy *p);

static size_t render_syslog(char *buf, size_t sz, const struct mxg_event *ev,
			    const struct mxg_policy *p)
{
	return rfc5424_format(buf, sz, &origin, ev, p, NULL);
}

static size_t render_text(char *buf, size_t sz, const struct mxg_event *ev,
			  const struct mxg_policy *p)
{
	event_to_text(buf, sz, ev, p, NULL);
	return sz ? strlen(buf) : 0;
}

static void check_sizes(render_fn fn, const char *file, const char *comm)
{
	struct mxg_policy p;
	struct mxg_event ev;
	char whole[4096], *buf;
	size_t full, sz, n;

	load_policy(&p, file);
	blocked_event(&ev, comm);
	full = fn(whole, sizeof(whole), &ev, &p);
	for (sz = 0; sz <= full + 1; sz++) {
		/* Exactly @sz bytes, so ASan sees any write outside them. */
		buf = malloc(sz ? sz : 1);
		assert_non_null(buf);
		buf[0] = 'Z';
		n = fn(buf, sz, &ev, &p);
		if (sz) {
			assert_true(n < sz);
			assert_int_equal(strlen(buf), n);
			assert_memory_equal(buf, whole, n);
			assert_printable(buf);
		} else {
			assert_int_equal(n, 0);
			assert_int_equal(buf[0], 'Z');	/* nothing written */
		}
		free(buf);
	}
	assert_int_equal(n, full);
	policy_free(&p);
}

static void test_syslog_sizes(void **state)
{
	(void)state;
	check_sizes(render_syslog, HOSTILE_FILE, HOSTILE_COMM);
}

static void test_text_sizes(void **state)
{
	(void)state;
	check_sizes(render_text, HOSTILE_FILE, HOSTILE_COMM);
}

/*
 * What fuzz_render found: SD-PARAM values were put byte by byte, so a
 * syslog line cut inside the é of a comm or a policy file name ended in
 * half a UTF-8 sequence.  Every cut now falls between whole sequences.
 */
static void test_syslog_sizes_utf8(void **state)
{
	(void)state;
	check_sizes(render_syslog, UTF8_FILE, UTF8_COMM);
}

static void test_text_sizes_utf8(void **state)
{
	(void)state;
	check_sizes(render_text, UTF8_FILE, UTF8_COMM);
}

static void test_text_escape(void **state)
{
	char out[128];

	(void)state;
	assert_int_equal(text_escape(out, sizeof(out), "plain-ASCII ok"), 14);
	assert_string_equal(out, "plain-ASCII ok");
	text_escape(out, sizeof(out), "\\\t\x7f\x1b[2J");
	assert_string_equal(out, "\\\\\\x09\\x7f\\x1b[2J");
	/* Valid UTF-8 passes; C1, separators and bidi controls do not. */
	text_escape(out, sizeof(out),
		    "\xc3\xa9\xc2\x85\xe2\x80\xa8\xe2\x81\xa6");
	assert_string_equal(out, "\xc3\xa9\\xc2\\x85\\xe2\\x80\\xa8"
			    "\\xe2\\x81\\xa6");
	/* Invalid: a lone continuation, an overlong '/', a cut sequence. */
	text_escape(out, sizeof(out), "\x80\xe0\x80\xaf\xe2\x82");
	assert_string_equal(out, "\\x80\\xe0\\x80\\xaf\\xe2\\x82");
	/* A short buffer keeps whole escapes only. */
	assert_int_equal(text_escape(out, 6, "ab\ncd"), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(text_escape(NULL, 0, "abc"), 0);
}


/* Without an enterprise number there is no SD-ID to claim: "-". */
static void test_syslog_no_enterprise(void **state)
{
	struct rfc5424_origin o = origin;
	struct mxg_policy p;
	struct mxg_event ev;
	char line[4096];

	(void)state;
	o.enterprise_id = 0;
	load_policy(&p, POLICY_FILE);
	blocked_event(&ev, "smtp");
	char want[4096];

	rfc5424_format(line, sizeof(line), &o, &ev, &p, NULL);
	snprintf(want, sizeof(want), "<28>1 2026-01-02T03:04:05.000007Z "
		 "mail.example mxguardd 42 blocked - %s", golden_text);
	assert_string_equal(line, want);
	policy_free(&p);
}

/* The local-syslogd form: BSD header, the CEE cookie, the JSON whole. */
static void test_golden_cee(void **state)
{
	struct rfc5424_origin o = origin;
	struct mxg_policy p;
	struct mxg_event ev;
	char line[8192];
	struct jw w;
	size_t n;

	(void)state;
	o.timestamp = "Jan  2 03:04:05";
	load_policy(&p, POLICY_FILE);
	blocked_event(&ev, "smtp");
	jw_init(&w);
	event_to_json(&w, &ev, &p, NULL, &env);
	char want[8192];

	n = syslog_cee_format(line, sizeof(line), &o, &ev, jw_cstr(&w));
	snprintf(want, sizeof(want), "<28>Jan  2 03:04:05 mxguardd[42]: "
		 "@cee: %s", golden_json);
	assert_string_equal(line, want);
	assert_int_equal(n, strlen(line));
	/* Too short for the object: the header alone, never half of it. */
	n = syslog_cee_format(line, 100, &o, &ev, jw_cstr(&w));
	assert_string_equal(line, "<28>Jan  2 03:04:05 mxguardd[42]: @cee: ");
	jw_free(&w);
	policy_free(&p);
}

static const char *field_of(const struct journal_rec *r, const char *key)
{
	static char v[JOURNAL_BUF];
	size_t k = strlen(key);
	int i;

	for (i = 0; i < r->n; i++) {
		const char *f = r->iov[i].iov_base;

		if (r->iov[i].iov_len > k && !strncmp(f, key, k) &&
		    f[k] == '=') {
			memcpy(v, f + k + 1, r->iov[i].iov_len - k - 1);
			v[r->iov[i].iov_len - k - 1] = '\0';
			return v;
		}
	}
	return NULL;
}

static void expect_field(const struct journal_rec *r, const char *key,
			 const char *want)
{
	const char *got = field_of(r, key);

	if (!got || strcmp(got, want))
		fail_msg("%s: got '%s', want '%s'", key, got ? got : "(none)",
			 want);
}

static void test_golden_journal(void **state)
{
	static struct journal_rec r;
	struct mxg_policy p;
	struct mxg_event ev;

	(void)state;
	load_policy(&p, HOSTILE_FILE);
	blocked_event(&ev, HOSTILE_COMM);
	journal_fields(&r, &ev, &p, NULL, "{\"x\":1}");
	expect_field(&r, "MESSAGE_ID", "85ef3b708d0142e4b334589fe2530f0f");
	expect_field(&r, "PRIORITY", "4");
	expect_field(&r, "SYSLOG_IDENTIFIER", "mxguardd");
	expect_field(&r, "MXGUARD_EVENT_ACTION", "blocked");
	expect_field(&r, "MXGUARD_LOOKALIKE", "army.ml");
	expect_field(&r, "MXGUARD_PROTECTED", "mil");
	expect_field(&r, "MXGUARD_RESOLVED_NAME", "mx.mali-mail.net");
	expect_field(&r, "MXGUARD_ADDRESS", "192.0.2.25");
	expect_field(&r, "MXGUARD_PORT", "25");
	expect_field(&r, "MXGUARD_PROCESS_PID", "4242");
	/* A hostile comm and file name arrive printable, as on the line. */
	expect_field(&r, "MXGUARD_PROCESS_NAME", "a\\x0ab\\xff]\"x");
	expect_field(&r, "MXGUARD_RULE", "/tmp/p]\"\\\\\\x0a.policy:1");
	expect_field(&r, "MXGUARD_MODE", "block");
	expect_field(&r, "MXGUARD_JSON", "{\"x\":1}");
	assert_non_null(strstr(field_of(&r, "MESSAGE"), "blocked a\\x0ab"));
	for (int i = 0; i < r.n; i++)
		assert_null(memchr(r.iov[i].iov_base, '\n', r.iov[i].iov_len));
	policy_free(&p);
}

/* Every MESSAGE_ID has its catalog entry, and no entry is a stray. */
static void test_catalog(void **state)
{
	static char cat[1 << 16];
	char want[64];
	const char *a;
	int i, entries = 0;
	size_t n;
	FILE *f;

	(void)state;
	f = fopen("user/dist/mxguard.catalog", "r");
	assert_non_null(f);
	n = fread(cat, 1, sizeof(cat) - 1, f);
	cat[n] = '\0';
	fclose(f);
	for (i = 0; (a = journal_action_at(i)); i++) {
		snprintf(want, sizeof(want), "\n-- %s\n",
			 journal_message_id(a));
		if (!strstr(cat, want))
			fail_msg("no catalog entry for %s (%s)", a, want + 4);
	}
	for (a = cat; (a = strstr(a, "\n-- ")); a++)
		entries++;
	assert_int_equal(entries, i);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_text),
		cmocka_unit_test(test_golden_json),
		cmocka_unit_test(test_golden_syslog),
		cmocka_unit_test(test_golden_held_v6),
		cmocka_unit_test(test_golden_lost),
		cmocka_unit_test(test_golden_rcpt_held),
		cmocka_unit_test(test_hostile_text),
		cmocka_unit_test(test_hostile_syslog),
		cmocka_unit_test(test_hostile_json),
		cmocka_unit_test(test_syslog_sizes),
		cmocka_unit_test(test_syslog_sizes_utf8),
		cmocka_unit_test(test_text_sizes),
		cmocka_unit_test(test_text_sizes_utf8),
		cmocka_unit_test(test_text_escape),
		cmocka_unit_test(test_syslog_no_enterprise),
		cmocka_unit_test(test_golden_cee),
		cmocka_unit_test(test_golden_journal),
		cmocka_unit_test(test_catalog),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
