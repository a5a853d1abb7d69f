// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: any bytes as a policy file.  Besides memory errors it
 * checks what the parser promises: a file with errors loads nothing; every
 * rule, hand-written or generated, matches itself; no protected name is
 * flagged; and a second load of the same bytes changes nothing (an error
 * when the file has a hand-written rule, which is then a duplicate).
 * Includes are refused, so an input cannot make the target read files.
 *
 * Speed: the lookalike engine is most of a load's cost (tens of ms per
 * protected name under the sanitizers), and what the parser does with its
 * names does not depend on how they were made.  So the engine's sets are
 * made once and kept (see __wrap_lookalike_generate below), and an input
 * protecting a name met for the first time gets a small stand-in set, made
 * the engine's way (fuzzer ids in order, the mask obeyed), except one input
 * in REAL_EVERY, picked by a hash of its bytes so that a crash replays,
 * which runs the real engine for the first REAL_NAMES protect directives of
 * a load.  Counted by directive, not by new name, so that both loads of an
 * input make the same choice whatever the kept sets held.  Both bounds are
 * the engine's cost: a name with long labels is a hundred ms of homoglyphs
 * and IDN under the sanitizers, and with one input in 1024 and every
 * directive it was most of this target's time once the corpus had learnt to
 * write protect lines.
 *
 * A kept set is hundreds or thousands of names (gmail.com's 1755, under
 * every fuzzer), and the parser's work is per name: replayed whole, one
 * dictionary name is a few ms of the input's time.  So an input replays a
 * window of REPLAY_NAMES names of each kept set, in the order they were
 * made, at an offset picked by the same hash (both loads of an input see
 * the same window, and across inputs every name of a set is replayed);
 * the inputs that run the real engine replay every set whole, so that
 * whole sets still meet each other and the hand-written rules.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "lookalike.h"
#include "policy.h"

#define REAL_EVERY	4096	/* one input in this many runs the engine */
#define REAL_NAMES	1	/* for this many directives of a load */
#define REPLAY_NAMES	32	/* names of a kept set an input replays */

static int real_engine;		/* this input runs the engine */
static int real_names = REAL_NAMES;	/* for this many directives */
static int generations;		/* lookalike_generate calls of this load */
static uint32_t input_hash;	/* picks the window of each kept set */
static size_t nmemo, nmemo_names;	/* kept sets, and their names */
static size_t nkept, nkept_names;	/* the dictionary's: never dropped */

/* The real sets of these are made at start, and kept. */
static const char dictionary[] =
	"protect gmail.com\nprotect army.mil\nprotect paypal.com\n"
	"protect dhl.com fuzz=omission,tld-swap\nprotect example.org "
	"action=block\n";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct mxg_policy p;

	(void)argc;
	(void)argv;
	log_init("fuzz", -1);	/* below LOG_LVL_WARN: silence every message */
	real_engine = 1;
	real_names = 1 << 30;
	policy_init(&p);
	p.no_include = 1;
	policy_load_buffer(&p, "dictionary", dictionary,
			   sizeof(dictionary) - 1);
	policy_free(&p);
	nkept = nmemo;
	nkept_names = nmemo_names;
	real_engine = 0;
	real_names = REAL_NAMES;
	return 0;
}

static void check(const struct mxg_policy *p)
{
	const struct mxg_protect *pr;
	__u8 buf[MXG_NAME_MAX];
	size_t i;
	int m;

	for (i = 0; i < p->n; i++)
		if (policy_match(p, mxg_rule_wire(p, &p->rules[i], buf),
				 p->rules[i].wire_len) != (int)i)
			abort();
	for (i = 0; i < p->nprotects; i++) {
		pr = &p->protects[i];
		m = policy_match(p, pr->wire, pr->len);
		if (m >= 0 && p->rules[m].kind == MXG_RULE_LOOKALIKE)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mxg_policy p;
	size_t n;
	int errors;

	uint32_t h = 2166136261u;

	for (n = 0; n < size; n++)
		h = (h ^ data[n]) * 16777619u;
	real_engine = h % REAL_EVERY == 0;
	input_hash = h;
	generations = 0;
	policy_init(&p);
	p.no_include = 1;
	errors = policy_load_buffer(&p, "fuzz.policy", (const char *)data,
				    size);
	if (errors && (p.n || p.nprotects))
		abort();
	check(&p);
	/*
	 * Loaded again: every hand-written rule is now a duplicate, an
	 * error; protect lines merge with themselves, so a policy of only
	 * those loads again and generates the same rules.
	 */
	n = p.n;
	if (!errors && n) {
		size_t i, hand = 0;

		for (i = 0; i < n; i++)
			hand += !(p.rules[i].flags & MXG_RULE_F_GENERATED);
		generations = 0;
		if (!policy_load_buffer(&p, "fuzz.policy", (const char *)data,
					size) != !hand)
			abort();
		if (p.n != n)
			abort();
		check(&p);
	}
	policy_free(&p);
	return 0;
}

/*
 * The expensive part of a load is the lookalikes of each protected name
 * (hundreds of names, each made by the engine).  They depend on the name and
 * the fuzzer mask alone, so they are made once per distinct pair and kept:
 * lookalike_generate() is wrapped at link time (-Wl,--wrap), and a kept set
 * is replayed through the caller's emit in the order it was made.  A
 * generation that its emit stopped early is not kept.
 */
int __real_lookalike_generate(const __u8 *wire, __u32 len, __u32 mask,
			      lookalike_emit_fn emit, void *ctx);
int __wrap_lookalike_generate(const __u8 *wire, __u32 len, __u32 mask,
			      lookalike_emit_fn emit, void *ctx);

#define MEMO_SETS	64
#define MEMO_NAMES	(1 << 18)

struct memo_name {
	__u8 wire[MXG_NAME_MAX];
	__u32 len;
	uint8_t fuzzer;
};

struct memo_set {
	__u8 wire[MXG_NAME_MAX];
	__u32 len, mask;
	int ret;
	size_t first, n;
};

static struct memo_set memo[MEMO_SETS];
static struct memo_name *memo_names;

struct recorder {
	lookalike_emit_fn emit;
	void *ctx;
	int full;
};

static int record(void *ctx, uint8_t fuzzer, const __u8 *wire, __u32 len)
{
	struct recorder *r = ctx;
	struct memo_name *m;

	if (nmemo_names >= MEMO_NAMES || len > MXG_NAME_MAX) {
		r->full = 1;
	} else {
		m = &memo_names[nmemo_names++];
		memcpy(m->wire, wire, len);
		m->len = len;
		m->fuzzer = fuzzer;
	}
	return r->emit(r->ctx, fuzzer, wire, len);
}

/* One stand-in name, if its fuzzer is in the mask. */
static int stand_emit(lookalike_emit_fn emit, void *ctx, __u32 mask,
		      uint8_t fuzzer, const __u8 *wire, __u32 len)
{
	return mask & (1u << fuzzer) ? emit(ctx, fuzzer, wire, len) : 0;
}

/*
 * A few names the way the engine makes them: the TLD swapped for "ml",
 * one character of the first label left out (up to six), its first one
 * doubled, and the name itself (the parser must drop a protected name).
 * -EINVAL, as the engine, for the root or a name that is no host name.
 */
static int stand_in(const __u8 *wire, __u32 len, __u32 mask,
		    lookalike_emit_fn emit, void *ctx)
{
	__u8 out[MXG_NAME_MAX];
	__u32 i, l, last = 0, n;
	int ret;

	if (!len || len > MXG_NAME_MAX - 4)
		return -EINVAL;
	for (i = 0; i < len; i += 1 + wire[i]) {
		for (n = 1; n <= wire[i]; n++) {
			__u8 c = wire[i + n];

			if (!((c >= 'a' && c <= 'z') ||
			      (c >= '0' && c <= '9') || c == '-' || c == '_'))
				return -EINVAL;
		}
		last = i;
	}
	if (last) {
		memcpy(out, wire, last);
		memcpy(out + last, "\002ml", 3);
		ret = stand_emit(emit, ctx, mask, MXG_FUZZ_TLD_SWAP, out,
				 last + 3);
		if (ret)
			return ret;
	}
	l = wire[0];
	for (i = 0; l > 1 && i < l && i < 6; i++) {
		out[0] = l - 1;
		memcpy(out + 1, wire + 1, i);
		memcpy(out + 1 + i, wire + 2 + i, len - 2 - i);
		ret = stand_emit(emit, ctx, mask, MXG_FUZZ_OMISSION, out,
				 len - 1);
		if (ret)
			return ret;
	}
	if (l < 63) {
		out[0] = l + 1;
		out[1] = wire[1];
		memcpy(out + 2, wire + 1, len - 1);
		ret = stand_emit(emit, ctx, mask, MXG_FUZZ_REPETITION, out,
				 len + 1);
		if (ret)
			return ret;
	}
	return stand_emit(emit, ctx, mask, MXG_FUZZ_VARIOUS, wire, len);
}

int __wrap_lookalike_generate(const __u8 *wire, __u32 len, __u32 mask,
			      lookalike_emit_fn emit, void *ctx)
{
	struct recorder r = { .emit = emit, .ctx = ctx };
	struct memo_set *s;
	size_t i, start, from, n;
	/* expand() calls with a mask once per directive, in their order. */
	int nth = mask ? generations++ : 0;
	int ret;

	for (i = 0; i < nmemo; i++) {
		s = &memo[i];
		if (s->len != len || s->mask != mask ||
		    memcmp(s->wire, wire, len))
			continue;
		from = s->first;
		n = s->n;
		if (!real_engine && n > REPLAY_NAMES) {
			/* Mixed with its size: each set its own window. */
			from += ((input_hash ^ (uint32_t)n * 2654435761u) >> 7) %
				(n - REPLAY_NAMES + 1);
			n = REPLAY_NAMES;
		}
		for (start = from; start < from + n; start++) {
			ret = emit(ctx, memo_names[start].fuzzer,
				   memo_names[start].wire,
				   memo_names[start].len);
			if (ret)
				return ret;
		}
		return s->ret;
	}
	/* Mask 0 (the parser's "is it a host name?"): cheap, never counted. */
	if (!real_engine || nth >= real_names)
		return stand_in(wire, len, mask, emit, ctx);
	if (!memo_names)
		memo_names = malloc(MEMO_NAMES * sizeof(*memo_names));
	if (!memo_names || len > MXG_NAME_MAX)
		return __real_lookalike_generate(wire, len, mask, emit, ctx);
	/* Full: start again (the sets are a cache, not a record). */
	if (nmemo == MEMO_SETS || nmemo_names > MEMO_NAMES / 2) {
		nmemo = nkept;
		nmemo_names = nkept_names;
	}
	start = nmemo_names;
	ret = __real_lookalike_generate(wire, len, mask, record, &r);
	if (r.full || (ret && ret != -EINVAL)) {
		nmemo_names = start;	/* stopped early: keep nothing */
		return ret;
	}
	s = &memo[nmemo++];
	memcpy(s->wire, wire, len);
	s->len = len;
	s->mask = mask;
	s->ret = ret;
	s->first = start;
	s->n = nmemo_names - start;
	return ret;
}
