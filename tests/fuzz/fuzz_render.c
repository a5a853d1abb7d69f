// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: any bytes as a ring-buffer record, through a
 * renderer: JSON (with the journal record and the "@cee:" line made from
 * it), the human line, or RFC 5424, as the input's last byte says
 * (RENDER_FAMILY_* in fuzz_render.h; the rest is the input proper).  The first
 * sizeof(struct mxg_event) bytes are the record (zero-padded when short),
 * so names need not be terminated, rule ids point anywhere, and type,
 * reason, scope, mode and action take any value.  struct render_tail
 * follows (fuzz_render.h): buffer sizes, and what an alert gets from the
 * daemon and from /proc and the cgroup tree, which a process chooses too.
 *
 * Each output must be NUL-terminated inside its buffer (every buffer is
 * malloc'ed to its exact size, so ASan sees a write past it) and hold no
 * raw control byte, invalid UTF-8 or unsafe code point (escape.h).  The
 * JSON must close every string, object and array it opens.  A line cut
 * short must be the start of the full one: whole pieces are dropped.
 *
 * The policy is built once: renderers only read it.  Its file name is
 * hostile, as a file name may be, and holds UTF-8 a cut could split.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "event.h"
#include "fuzz_render.h"
#include "journal.h"
#include "json.h"
#include "log.h"
#include "policy.h"
#include "rfc5424.h"

#define POLICY_FILE	"/tmp/p]\"\\\n\x1b[31m\xe2\x80\xae\xff-\xc3\xbc.policy"
#define NOW		"2026-01-02T03:04:05.000006Z"	/* enrich.c's form */
#define HUMAN_LINE	2048		/* output.c's human_alert() */
#define SYSLOG_LINE	4096		/* output.c's syslog_alert() */

static struct mxg_policy policy;
static struct jw jw;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char text[] =
		"lookalike ml of mil action=block\n"
		"allow gov.ml\n"
		"lookalike b\\195\\188cher.example of bucher.example\n"
		"protect gmail.com fuzz=omission,tld-swap action=block\n";

	(void)argc;
	(void)argv;
	log_init("fuzz", -1);	/* below LOG_LVL_WARN: silence every message */
	policy_init(&policy);
	if (policy_load_buffer(&policy, POLICY_FILE, text, sizeof(text) - 1) ||
	    policy.n < 4)
		abort();
	jw_init(&jw);
	return 0;
}

struct input {
	const uint8_t *p;
	size_t n;
};

/* The next @n bytes, zero-filled past the input's end. */
static void take(struct input *in, void *out, size_t n)
{
	size_t k = n < in->n ? n : in->n;

	memset(out, 0, n);
	memcpy(out, in->p, k);
	in->p += k;
	in->n -= k;
}

/* A copy of the input up to its next NUL, or NULL at its end. */
static char *take_str(struct input *in)
{
	const uint8_t *end = memchr(in->p, 0, in->n);
	size_t k = end ? (size_t)(end - in->p) : in->n;
	char *s;

	if (!in->n)
		return NULL;
	s = malloc(k + 1);
	if (!s)
		abort();
	memcpy(s, in->p, k);
	s[k] = '\0';
	k += end != NULL;
	in->p += k;
	in->n -= k;
	return s;
}

/* NUL within @size; no control byte, invalid UTF-8 or unsafe code point. */
static void check_printable(const char *s, size_t size)
{
	const unsigned char *u = (const unsigned char *)s;
	const char *nul = memchr(s, '\0', size);
	size_t i = 0, n, len;
	unsigned int cp;

	if (!nul)
		abort();
	n = (size_t)(nul - s);
	while (i < n) {
		if (u[i] < 0x80) {
			if (u[i] < 0x20 || u[i] == 0x7f)
				abort();
			i++;
			continue;
		}
		len = utf8_seq_len(u + i, n - i, &cp);
		if (!len || unicode_unsafe(cp))
			abort();
		i += len;
	}
}

static void check_escape(const char *s)
{
	if (!*s || !strchr("\"\\/bfnrtu", *s))
		abort();
	if (*s == 'u' && strspn(s + 1, "0123456789abcdefABCDEF") < 4)
		abort();
}

/* One object: strings closed, escapes whole, brackets balanced. */
static void check_json(const char *s)
{
	size_t i, n = strlen(s);
	int depth = 0, in_str = 0;

	check_printable(s, n + 1);
	if (!n)
		return;		/* an allocation failed: nothing is written */
	if (s[0] != '{' || s[n - 1] != '}')
		abort();
	for (i = 0; i < n; i++) {
		if (in_str && s[i] == '\\')
			check_escape(&s[++i]);
		else if (s[i] == '"')
			in_str = !in_str;
		else if (!in_str && (s[i] == '{' || s[i] == '['))
			depth++;
		else if (!in_str && (s[i] == '}' || s[i] == ']') &&
			 (--depth < 0 || (!depth && i != n - 1)))
			abort();
	}
	if (in_str || depth)
		abort();
}

static char *alloc_line(size_t size)
{
	char *line = malloc(size ? size : 1);

	if (!line)
		abort();
	return line;
}

/* Into @size bytes: printable, and the start of @full. */
static void check_cut(const char *line, size_t size, const char *full)
{
	if (!size)
		return;
	check_printable(line, size);
	if (strncmp(line, full, strlen(line)))
		abort();
}

static void render_text(const struct mxg_event *ev,
			const struct mxg_policy *p,
			const struct alert_extra *x, size_t size)
{
	char *full = alloc_line(HUMAN_LINE), *line = alloc_line(size);

	event_to_text(full, HUMAN_LINE, ev, p, x);
	check_printable(full, HUMAN_LINE);
	event_to_text(line, size, ev, p, x);
	check_cut(line, size, full);
	free(line);
	free(full);
}

static void render_syslog(const struct mxg_event *ev,
			  const struct mxg_policy *p,
			  const struct alert_extra *x,
			  const struct rfc5424_origin *o, size_t size)
{
	char *full = alloc_line(SYSLOG_LINE), *line = alloc_line(size);
	size_t n;

	n = rfc5424_format(full, SYSLOG_LINE, o, ev, p, x);
	check_printable(full, SYSLOG_LINE);
	if (n != strlen(full))
		abort();
	n = rfc5424_format(line, size, o, ev, p, x);
	check_cut(line, size, full);
	if (size ? n != strlen(line) : n != 0)
		abort();
	free(line);
	free(full);
}

/* The journal record and the "@cee:" line: whole fields, one line each. */
static void render_journal_cee(const struct mxg_event *ev,
			       const struct mxg_policy *p,
			       const struct alert_extra *x,
			       const struct rfc5424_origin *o,
			       const char *json)
{
	static struct journal_rec r;
	static char line[1 << 16];
	int i, n;

	n = journal_fields(&r, ev, p, x, json);
	for (i = 0; i < n; i++)
		if (!memchr(r.iov[i].iov_base, '=', r.iov[i].iov_len) ||
		    memchr(r.iov[i].iov_base, '\n', r.iov[i].iov_len))
			abort();
	if (syslog_cee_format(line, sizeof(line), o, ev, json) !=
	    strlen(line) || memchr(line, '\n', strlen(line)))
		abort();
}

/*
 * One family of outputs per input.  Each family renders the whole record
 * (twice, whole and cut, for the lines), so every field reaches every
 * renderer across inputs, and a mutation of an input keeps its renderer:
 * what it finds is the coverage of the code it runs.  All three on every
 * input were seven renderings, and 10M inputs took 22 to 34 minutes
 * (README "Fuzzing").  The byte is the last so that an input of any
 * length chooses, and short inputs from an empty corpus reach all three.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rfc5424_origin o = { .timestamp = NOW };
	struct alert_env env = { .ts = NOW };
	struct input in = { data, size ? size - 1 : 0 };
	unsigned int family = size ? data[size - 1] % RENDER_FAMILIES :
				     RENDER_FAMILY_JSON;
	char *str[RENDER_STRINGS];
	const struct mxg_policy *p;
	const struct alert_extra *px;
	struct alert_extra x;
	struct render_tail t;
	struct mxg_event ev;
	int i;

	take(&in, &ev, sizeof(ev));
	take(&in, &t, sizeof(t));
	for (i = 0; i < RENDER_STRINGS; i++)
		str[i] = take_str(&in);
	x = (struct alert_extra){
		.repeats = t.repeats,
		.lost = t.lost,
		.method = str[0],
		.distance = t.distance,
		.added_to_policy = (int)t.added_to_policy,
		.correspondent = !!(t.flags & RENDER_CORRESPONDENT),
	};
	px = t.flags & RENDER_EXTRA ? &x : NULL;
	p = t.flags & RENDER_NO_POLICY ? NULL : &policy;
	env.exe = str[1];
	env.cgroup = str[2];
	env.unit = str[3];
	o.hostname = str[4];
	o.pid = (int)ev.pid;
	o.enterprise_id = t.flags & RENDER_NO_POLICY ? 0 : 32473;

	switch (family) {
	case RENDER_FAMILY_JSON:
		event_to_json(&jw, &ev, p, px, &env);
		check_json(jw_cstr(&jw));
		render_journal_cee(&ev, p, px, &o, jw_cstr(&jw));
		break;
	case RENDER_FAMILY_TEXT:
		render_text(&ev, p, px, t.text_size % (HUMAN_LINE + 1));
		break;
	default:
		render_syslog(&ev, p, px, &o,
			      t.syslog_size % (SYSLOG_LINE + 1));
		break;
	}
	for (i = 0; i < RENDER_STRINGS; i++)
		free(str[i]);
	return 0;
}
