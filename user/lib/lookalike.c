// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fuzzers.  Each one turns the protected name's label (as code points)
 * into candidate labels; put_name() encodes a candidate, puts the rest of
 * the name back around it, checks it and hands it to the caller.  The
 * definitions follow dnstwist's, which names each one; the tables are in
 * lookalike_tables.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <libpsl.h>

#include "mxguard/abi.h"

#include "idn.h"
#include "lookalike.h"
#include "lookalike_int.h"
#include "similar.h"
#include "words.h"
#include "name.h"

#define WIRE_MAX	(MXG_NAME_MAX - 2)	/* no root byte: 253 chars */
#define CAND_MAX	(IDN_LABEL_CP_MAX * 2 + 8)

static const char *const fuzzer_names[MXG_FUZZ__COUNT] = {
	[MXG_FUZZ_TLD_SWAP] = "tld-swap",
	[MXG_FUZZ_ADDITION] = "addition",
	[MXG_FUZZ_BITSQUATTING] = "bitsquatting",
	[MXG_FUZZ_CYRILLIC] = "cyrillic",
	[MXG_FUZZ_HOMOGLYPH] = "homoglyph",
	[MXG_FUZZ_HYPHENATION] = "hyphenation",
	[MXG_FUZZ_INSERTION] = "insertion",
	[MXG_FUZZ_OMISSION] = "omission",
	[MXG_FUZZ_PLURAL] = "plural",
	[MXG_FUZZ_REPETITION] = "repetition",
	[MXG_FUZZ_REPLACEMENT] = "replacement",
	[MXG_FUZZ_SUBDOMAIN] = "subdomain",
	[MXG_FUZZ_TRANSPOSITION] = "transposition",
	[MXG_FUZZ_VARIOUS] = "various",
	[MXG_FUZZ_VOWEL_SWAP] = "vowel-swap",
	[MXG_FUZZ_TLD_TYPO] = "tld-typo",
};

const char *lookalike_fuzzer_name(uint8_t id)
{
	switch (id) {
	case MXG_ORIGIN_PROTECTED:
		return "protected";
	case MXG_ORIGIN_EDIT_DISTANCE:
		return "edit-distance";
	case MXG_ORIGIN_SKELETON:
		return "skeleton";
	case MXG_ORIGIN_CORRESPONDENT:
		return "correspondent";
	case MXG_ORIGIN_SIMILARITY:
		return "similarity";
	}
	return id < MXG_FUZZ__COUNT ? fuzzer_names[id] : NULL;
}

int lookalike_fuzzer_id(const char *name)
{
	int i;

	for (i = 1; i < MXG_FUZZ__COUNT; i++)
		if (!strcmp(fuzzer_names[i], name))
			return i;
	return -1;
}

int lookalike_parse_fuzzers(const char *list, __u32 *mask, const char **bad)
{
	static __thread char word[64];
	const char *s = list, *comma;
	size_t n;
	int id;

	*mask = 0;
	if (!strcmp(list, "all")) {
		*mask = MXG_FUZZ_ALL;
		return 0;
	}
	for (;;) {
		comma = strchr(s, ',');
		n = comma ? (size_t)(comma - s) : strlen(s);
		snprintf(word, sizeof(word), "%.*s", (int)n, s);
		id = lookalike_fuzzer_id(word);
		if (id < 0) {
			*bad = word;
			return -EINVAL;
		}
		*mask |= 1U << id;
		if (!comma)
			return 0;
		s = comma + 1;
	}
}

/* --- the public suffix list ---------------------------------------------- */

static const psl_ctx_t *psl;
static pthread_once_t psl_once = PTHREAD_ONCE_INIT;

static void psl_open(void)
{
	/* The system's list when it is newer than libpsl's built-in one. */
	psl = psl_latest(NULL);
	if (!psl)
		psl = psl_builtin();
}

const struct psl_ctx_st *lookalike_psl(void)
{
	pthread_once(&psl_once, psl_open);
	return psl;
}

/*
 * ICANN suffixes only: "github.io" is a name its owner registered, even if
 * the PSL's private section lists it for cookie scoping.
 */
static int text_is_suffix(const char *text)
{
	const psl_ctx_t *ctx = lookalike_psl();

	return ctx && psl_is_public_suffix2(ctx, text, PSL_TYPE_ICANN |
					    PSL_TYPE_NO_STAR_RULE);
}

int lookalike_is_public_suffix(const __u8 *wire, __u32 len)
{
	char text[MXG_NAME_TEXT_MAX];

	mxg_name_format(wire, len, text, sizeof(text));
	return len && text_is_suffix(text);
}

size_t lookalike_suffix_offset(const char *text)
{
	const char *s = text, *last = text;

	/* Longest first: the first suffix the list knows is the one. */
	while (s) {
		if (text_is_suffix(s))
			return (size_t)(s - text);
		last = s;
		s = strchr(s, '.');
		if (s)
			s++;
	}
	/* A TLD the list does not know is a public suffix all the same. */
	return (size_t)(last - text);
}

int lookalike_tld_neighbours(const char *tld, const char **out, int max)
{
	int i, n = 0;

	for (i = 0; i < lk_ntld_pairs; i++) {
		const char *other = NULL;

		if (!strcmp(tld, lk_tld_pairs[i].gtld))
			other = lk_tld_pairs[i].cctld;
		else if (!strcmp(tld, lk_tld_pairs[i].cctld))
			other = lk_tld_pairs[i].gtld;
		if (!other)
			continue;
		if (n < max)
			out[n] = other;
		n++;
	}
	return n;
}

/* --- one generation ------------------------------------------------------- */

struct gen {
	lookalike_emit_fn emit;
	void *ctx;
	uint8_t fuzzer;
	int tld_mode;		/* fuzzing a public suffix itself */
	int any_first;		/* MXG_GEN_ANY_FIRST */
	unsigned int first;	/* words_first_flags() of the label */
	const __u8 *wire;
	__u32 len;
	__u32 label_off;	/* the fuzzed label's length byte */
	__u32 suf_off;		/* what follows it */
	uint32_t label[IDN_LABEL_CP_MAX];
	int n;
	char suffix[MXG_NAME_TEXT_MAX];	/* text after the label, "" if none */
};

/* Checks and emits a finished name; 0 to go on. */
static int finish(struct gen *g, const __u8 *wire, __u32 len)
{
	if (len == g->len && !memcmp(wire, g->wire, len))
		return 0;
	/* A TLD that does not exist cannot receive mail. */
	if (g->tld_mode && !lookalike_is_public_suffix(wire, len))
		return 0;
	return g->emit(g->ctx, g->fuzzer, wire, len);
}

/*
 * The name with @cp (labels split at '.') in place of the fuzzed label and
 * @suf after it.  Candidates that no registry could hold are dropped.
 */
static int put_name(struct gen *g, const uint32_t *cp, int n, const __u8 *suf,
		    __u32 suflen)
{
	char alabel[IDN_LABEL_BUF];
	__u8 out[MXG_NAME_MAX];
	__u32 o = g->label_off;
	int start = 0, i, k;

	memcpy(out, g->wire, o);
	for (i = 0; i <= n; i++) {
		if (i < n && cp[i] != '.')
			continue;
		k = idn_label_encode(cp + start, i - start, alabel);
		if (k < 0 || o + 1 + (__u32)k > WIRE_MAX)
			return 0;
		out[o++] = (__u8)k;
		memcpy(out + o, alabel, k);
		o += k;
		start = i + 1;
	}
	if (o + suflen > WIRE_MAX)
		return 0;
	memcpy(out + o, suf, suflen);
	return finish(g, out, o + suflen);
}

static int cand(struct gen *g, const uint32_t *cp, int n)
{
	return put_name(g, cp, n, g->wire + g->suf_off, g->len - g->suf_off);
}

/* @s[0..n) with @m code points at @at replaced by @rep[0..r). */
static int splice(const uint32_t *s, int n, int at, int m, const uint32_t *rep,
		  int r, uint32_t *out)
{
	if (n - m + r > CAND_MAX)
		return -1;
	memcpy(out, s, at * sizeof(*s));
	if (r)
		memcpy(out + at, rep, r * sizeof(*s));
	memcpy(out + at + r, s + at + m, (n - at - m) * sizeof(*s));
	return n - m + r;
}

#define TRY(expr) do { int ret_ = (expr); if (ret_) return ret_; } while (0)

/* --- the fuzzers ---------------------------------------------------------- */

static const char alnum[] = "0123456789abcdefghijklmnopqrstuvwxyz";
static const char ldh[] = "0123456789abcdefghijklmnopqrstuvwxyz-";

/* A character at the end, or before a hyphen ("my-bank" -> "mya-bank"). */
static int fuzz_addition(struct gen *g)
{
	uint32_t buf[CAND_MAX], c;
	int i, j, m;

	for (j = 0; alnum[j]; j++) {
		c = (uint32_t)alnum[j];
		m = splice(g->label, g->n, g->n, 0, &c, 1, buf);
		TRY(cand(g, buf, m));
		for (i = 1; i < g->n; i++) {
			if (g->label[i] != '-')
				continue;
			m = splice(g->label, g->n, i, 0, &c, 1, buf);
			TRY(cand(g, buf, m));
		}
	}
	return 0;
}

/*
 * May any letter take the first place of a label of @n characters made
 * from @g's?  Where the word list says the first letter is not what tells
 * the label from a word (words.h, similar.h's first-letter rule, which
 * the second look applies too): replaced in labels of 4 characters or
 * more ("vahoo"), put in front of labels of 3 or more ("gmsn").
 */
static int first_any(const struct gen *g, int n)
{
	if (g->tld_mode)
		return 0;
	if (n == g->n)
		return (g->first & SIMILAR_TAIL_FREE) &&
		       g->n >= SIMILAR_FIRST_REPLACE_MIN;
	return n == g->n + 1 && (g->first & SIMILAR_LABEL_FREE) &&
	       g->n >= SIMILAR_FIRST_INSERT_MIN;
}

/*
 * Nothing at all in the first place of a letter and a word ("ymail" and
 * "tmail" for "gmail", "email" for "mail"), not even a neighbour: that
 * letter is the brand.
 */
static int first_fixed(const struct gen *g, int n)
{
	if (g->tld_mode || g->any_first)
		return 0;
	if (n == g->n)
		return !!(g->first & SIMILAR_TAIL_WORD);
	return n == g->n + 1 && (g->first & SIMILAR_LABEL_WORD);
}

/*
 * May the first character be left out?  From labels longer than
 * MXG_SIM_SHORT, and from one of MXG_SIM_SHORT when what is left is no
 * word ("ahoo", not "mail"; fuzz_omission).
 */
static int first_drop_ok(const struct gen *g)
{
	return g->n > MXG_SIM_SHORT || g->any_first || g->tld_mode ||
	       (g->n == MXG_SIM_SHORT && (g->first & SIMILAR_TAIL_FREE));
}

/*
 * A candidate whose first character is not @g's nor a key next to it,
 * that the word list knows: another word ("hive" for "live"), no typo.
 */
static int first_makes_word(const struct gen *g, const uint32_t *buf, int m)
{
	char keys[64];

	if (g->any_first || buf[0] == g->label[0] || buf[0] >= 0x80)
		return 0;
	lk_keyboard_neighbours(g->label[0], keys);
	return !strchr(keys, (int)buf[0]) && words_has(buf, m) != 0;
}

/*
 * One flipped bit in one character (memory and transmission errors).  Not
 * in the first character unless the flip is also a key next to it, as
 * typed_at() rules for typing: any letter there makes another word, and
 * the words are brands ("cmail", "email" for "gmail").
 */
static int fuzz_bitsquatting(struct gen *g)
{
	uint32_t buf[CAND_MAX], c;
	char keys[64];
	int i, bit;

	lk_keyboard_neighbours(g->label[0], keys);
	for (i = 0; i < g->n; i++) {
		if (g->label[i] >= 0x80)
			continue;
		for (bit = 0; bit < 8; bit++) {
			c = g->label[i] ^ (1U << bit);
			if (!c || (c != '-' && !strchr(alnum, (int)c)))
				continue;
			if (i == 0 && (first_fixed(g, g->n) ||
				       (!g->any_first && !strchr(keys, (int)c))))
				continue;
			splice(g->label, g->n, i, 1, &c, 1, buf);
			TRY(cand(g, buf, g->n));
		}
	}
	return 0;
}

/* Every Latin letter in its Cyrillic twin (a whole-script homograph). */
static int fuzz_cyrillic(struct gen *g)
{
	uint32_t buf[CAND_MAX], c;
	int i, letters = 0;

	for (i = 0; i < g->n; i++) {
		c = g->label[i];
		buf[i] = c;
		if ((c >= '0' && c <= '9') || c == '-')
			continue;
		buf[i] = lk_cyrillic(c);
		if (!buf[i])
			return 0;
		letters++;
	}
	return letters ? cand(g, buf, g->n) : 0;
}

static int glyph_at(const uint32_t *s, int n, int i, const struct lk_glyph *k)
{
	if (i + k->nfrom > n || s[i] != k->from[0])
		return 0;
	return k->nfrom == 1 || s[i + 1] == k->from[1];
}

/* Strong glyphs after position @from of a first swap: each pair once. */
static int homoglyph_second(struct gen *g, const uint32_t *s, int n, int from)
{
	uint32_t buf[CAND_MAX];
	const struct lk_glyph *k;
	int i, j, m;

	for (i = from; i < n; i++) {
		for (j = 0; j < lk_nglyphs; j++) {
			k = &lk_glyphs[j];
			if (!k->strong || !glyph_at(s, n, i, k))
				continue;
			m = splice(s, n, i, k->nfrom, k->to, k->nto, buf);
			if (m > 0)
				TRY(cand(g, buf, m));
		}
	}
	return 0;
}

/* Each character in turn as each of its UTS #39 confusables. */
static int homoglyph_confusables(struct gen *g)
{
	uint32_t buf[CAND_MAX];
	const uint32_t *conf;
	int i, j, n;

	memcpy(buf, g->label, g->n * sizeof(*buf));
	for (i = 0; i < g->n; i++) {
		n = lk_confusables(g->label[i], &conf);
		for (j = 0; j < n; j++) {
			buf[i] = conf[j];
			TRY(cand(g, buf, g->n));
		}
		buf[i] = g->label[i];
	}
	return 0;
}

/*
 * One glyph that reads like another (the hand table: ASCII look-alikes
 * such as "rn" for "m", and diacritics, which UTS #39 does not count as
 * confusable); then a second, strong one; then every single-character
 * confusable that ICU's UTS #39 data lists.
 */
static int fuzz_homoglyph(struct gen *g)
{
	uint32_t buf[CAND_MAX];
	const struct lk_glyph *k;
	int i, j, m;

	if (lk_tables_init())
		return -ENOMEM;
	for (i = 0; i < g->n; i++) {
		for (j = 0; j < lk_nglyphs; j++) {
			k = &lk_glyphs[j];
			if (!glyph_at(g->label, g->n, i, k))
				continue;
			m = splice(g->label, g->n, i, k->nfrom, k->to, k->nto,
				   buf);
			if (m < 0)
				continue;
			TRY(cand(g, buf, m));
			TRY(homoglyph_second(g, buf, m, i + k->nto));
		}
	}
	return homoglyph_confusables(g);
}

static int fuzz_hyphenation(struct gen *g)
{
	uint32_t buf[CAND_MAX], dash = '-';
	int i;

	for (i = 1; i < g->n; i++) {
		splice(g->label, g->n, i, 0, &dash, 1, buf);
		TRY(cand(g, buf, g->n + 1));
	}
	return 0;
}

/*
 * What may be typed at position @i of @g's label, NUL-terminated in @out
 * (at least 64 bytes).  Anywhere but the first position, any letter,
 * digit or hyphen: dnstwist types only a key next to the intended one,
 * but people also slip in a letter from elsewhere ("gamail", "hotamail").
 * The first letter is the one typists get right: in the spelling-error
 * studies (Pollock and Zamora, 1983; Yannakoudakis and Fawthrop, 1983)
 * few misspellings change it, and any letter there turns "mail" into
 * "email", "imail" and "zmail" and "aol" into "gol", all real providers.
 * So there only the keyboard neighbours of the first letter, as dnstwist.
 * A hyphen never starts or ends a label.
 */
static void typed_at(const struct gen *g, int i, int n, char *out)
{
	const char *src = ldh;
	size_t k = 0;

	if (i == 0 && first_fixed(g, n)) {
		out[0] = '\0';
		return;
	}
	if (i == 0 && !g->any_first && !first_any(g, n)) {
		lk_keyboard_neighbours(g->label[0], out);
		return;
	}
	for (; *src; src++)
		if (*src != '-' || (i > 0 && i < n - 1))
			out[k++] = *src;
	out[k] = '\0';
}

/* One character typed in: at position i of a label one longer. */
static int fuzz_insertion(struct gen *g)
{
	uint32_t buf[CAND_MAX], c;
	char keys[64];
	int i, j;

	for (i = 0; i <= g->n; i++) {
		typed_at(g, i, g->n + 1, keys);
		for (j = 0; keys[j]; j++) {
			c = (uint32_t)keys[j];
			splice(g->label, g->n, i, 0, &c, 1, buf);
			if (!i && first_makes_word(g, buf, g->n + 1))
				continue;
			TRY(cand(g, buf, g->n + 1));
		}
	}
	return 0;
}

/*
 * Any character left out; the first one only from labels longer than
 * MXG_SIM_SHORT, as the second look and the kernel rule (include/mxguard/
 * abi.h): "mail" is not a typo of "gmail" but a provider.  A bare TLD
 * keeps it ("il" for "mil"): only names that exist as TLDs come out.
 */
static int fuzz_omission(struct gen *g)
{
	uint32_t buf[CAND_MAX];
	int i = 1;

	if (first_drop_ok(g))
		i = 0;
	for (; i < g->n; i++) {
		splice(g->label, g->n, i, 1, NULL, 0, buf);
		TRY(cand(g, buf, g->n - 1));
	}
	return 0;
}

/*
 * An s inside the label, as dnstwist's plural puts it ("gmail" ->
 * "gmasil", after the third character up to the third from the end; "es"
 * after s, x or z), and at its end ("gmails", "xses").
 */
static int plural_at(struct gen *g, int at)
{
	static const uint32_t es[] = { 'e', 's' };
	uint32_t buf[CAND_MAX], prev = g->label[at - 1];
	int add = (prev == 's' || prev == 'x' || prev == 'z') ? 2 : 1;

	splice(g->label, g->n, at, 0, es + 2 - add, add, buf);
	return cand(g, buf, g->n + add);
}

static int fuzz_plural(struct gen *g)
{
	int i;

	for (i = 2; i < g->n - 2; i++)
		TRY(plural_at(g, i + 1));
	return plural_at(g, g->n);
}

static int fuzz_repetition(struct gen *g)
{
	uint32_t buf[CAND_MAX];
	int i;

	for (i = 0; i < g->n; i++) {
		splice(g->label, g->n, i, 0, &g->label[i], 1, buf);
		TRY(cand(g, buf, g->n + 1));
	}
	return 0;
}

/* One character typed instead of the intended one (typed_at). */
static int fuzz_replacement(struct gen *g)
{
	uint32_t buf[CAND_MAX], c;
	char keys[64];
	int i, j;

	for (i = 0; i < g->n; i++) {
		typed_at(g, i, g->n, keys);
		for (j = 0; keys[j]; j++) {
			c = (uint32_t)keys[j];
			if (c == g->label[i])
				continue;
			splice(g->label, g->n, i, 1, &c, 1, buf);
			if (!i && first_makes_word(g, buf, g->n))
				continue;
			TRY(cand(g, buf, g->n));
		}
	}
	return 0;
}

/* A dot inside the label: "gm.ail.com". */
static int fuzz_subdomain(struct gen *g)
{
	uint32_t buf[CAND_MAX], dot = '.';
	int i;

	for (i = 1; i < g->n - 1; i++) {
		if (g->label[i] == '-' || g->label[i - 1] == '-')
			continue;
		splice(g->label, g->n, i, 0, &dot, 1, buf);
		TRY(cand(g, buf, g->n + 1));
	}
	return 0;
}

static int fuzz_transposition(struct gen *g)
{
	uint32_t buf[CAND_MAX];
	int i;

	for (i = 0; i < g->n - 1; i++) {
		if (g->label[i] == g->label[i + 1])
			continue;
		memcpy(buf, g->label, g->n * sizeof(*buf));
		buf[i] = g->label[i + 1];
		buf[i + 1] = g->label[i];
		TRY(cand(g, buf, g->n));
	}
	return 0;
}

static int fuzz_vowel_swap(struct gen *g)
{
	static const char vowels[] = "aeiou";
	uint32_t buf[CAND_MAX];
	int i, j;

	for (i = 0; i < g->n; i++) {
		if (g->label[i] >= 0x80 || !strchr(vowels, (int)g->label[i]))
			continue;
		for (j = 0; vowels[j]; j++) {
			if ((uint32_t)vowels[j] == g->label[i])
				continue;
			memcpy(buf, g->label, g->n * sizeof(*buf));
			buf[i] = (uint32_t)vowels[j];
			TRY(cand(g, buf, g->n));
		}
	}
	return 0;
}

/* The label with @text's labels in place of what followed it. */
static int with_suffix(struct gen *g, const uint32_t *cp, int n,
		       const char *text)
{
	__u8 suf[MXG_NAME_MAX] = { 0 };
	const char *err;
	__u32 len = 0;

	if (*text && mxg_name_parse(text, suf, &len, &err))
		return 0;
	return put_name(g, cp, n, suf, len);
}

static int swap_to(struct gen *g, const char *tld)
{
	__u8 wire[MXG_NAME_MAX];
	const char *err;
	__u32 len;

	if (!strcmp(tld, g->suffix))
		return 0;
	if (!g->tld_mode)
		return with_suffix(g, g->label, g->n, tld);
	if (mxg_name_parse(tld, wire, &len, &err))
		return 0;
	return finish(g, wire, len);
}

/* A suffix whose last label is a country code: "de", "co.uk". */
static int is_cc_suffix(const char *suffix)
{
	const char *last = strrchr(suffix, '.');

	last = last ? last + 1 : suffix;
	return strlen(last) == 2 && last[0] >= 'a' && last[0] <= 'z' &&
	       last[1] >= 'a' && last[1] <= 'z';
}

/*
 * A domain's suffix for its one-edit neighbours and the gTLDs everyone
 * mixes up; a bare TLD for its neighbours only, since "com" for "mil"
 * would flag half the Internet.  A name under a country code gets its
 * neighbours only: a provider born under one takes the gTLDs for its
 * service abroad ("gmx.com", "gmx.net" beside "gmx.de", "yandex.com"
 * beside "yandex.ru"), so those are its own more often than a squat, and
 * no slip of "de" types "com".
 */
static int fuzz_tld_swap(struct gen *g)
{
	const char *near[16];
	int i, n;

	n = lookalike_tld_neighbours(g->suffix, near, 16);
	for (i = 0; i < n && i < 16; i++)
		TRY(swap_to(g, near[i]));
	if (g->tld_mode || is_cc_suffix(g->suffix))
		return 0;
	for (i = 0; i < lk_nswap_tlds; i++)
		TRY(swap_to(g, lk_swap_tlds[i]));
	return 0;
}

/*
 * The last dot typed one key early or late: "gmailc.om", "comcastn.et".
 * The label and a one-label suffix are run together and cut again where
 * what is left on the right is a TLD that exists.
 */
static int moved_dot(struct gen *g)
{
	uint32_t buf[CAND_MAX];
	char tld[MXG_NAME_TEXT_MAX];
	size_t slen = strlen(g->suffix), i;
	int n = g->n, k, t;

	if (strchr(g->suffix, '.') || !slen || n + slen > CAND_MAX)
		return 0;
	memcpy(buf, g->label, n * sizeof(*buf));
	for (i = 0; i < slen; i++)
		buf[n + i] = (unsigned char)g->suffix[i];
	for (k = 1; k < n + (int)slen; k++) {
		if (k == n)
			continue;
		for (t = 0; k + t < n + (int)slen; t++) {
			if (buf[k + t] >= 0x80)
				break;
			tld[t] = (char)buf[k + t];
		}
		if (k + t < n + (int)slen)
			continue;
		tld[t] = '\0';
		if (!text_is_suffix(tld))
			continue;
		TRY(with_suffix(g, buf, k, tld));
	}
	return 0;
}

/*
 * One edit of the label (any deletion, insertion, replacement or swap of
 * neighbours) under each TLD one edit from the protected one: "gmial.co",
 * "yahou.co".  Only the table's neighbours, not the gTLDs everyone mixes
 * up, so a protected name costs about 3 x 40 x its length rules.
 */
static int typo_under(struct gen *g, const uint32_t *cp, int n,
		      const char *const *near, int nnear)
{
	int i;

	for (i = 0; i < nnear; i++)
		TRY(with_suffix(g, cp, n, near[i]));
	return 0;
}

static int fuzz_tld_typo(struct gen *g)
{
	uint32_t buf[CAND_MAX], c;
	const char *near[16];
	char keys[64];
	int i, j, nn;

	if (g->tld_mode)
		return 0;
	nn = lookalike_tld_neighbours(g->suffix, near, 16);
	if (nn > 16)
		nn = 16;
	if (!nn)
		return 0;
	for (i = 0; i < g->n; i++) {
		splice(g->label, g->n, i, 1, NULL, 0, buf);
		/* The first letter as omission, replacement, insertion do. */
		if (g->n > 1 && (i || first_drop_ok(g)))
			TRY(typo_under(g, buf, g->n - 1, near, nn));
		if (i + 1 < g->n && g->label[i] != g->label[i + 1]) {
			memcpy(buf, g->label, g->n * sizeof(*buf));
			buf[i] = g->label[i + 1];
			buf[i + 1] = g->label[i];
			TRY(typo_under(g, buf, g->n, near, nn));
		}
	}
	for (i = 0; i <= g->n; i++) {
		typed_at(g, i, g->n + 1, keys);
		for (j = 0; keys[j]; j++) {
			c = (uint32_t)keys[j];
			splice(g->label, g->n, i, 0, &c, 1, buf);
			if (!i && first_makes_word(g, buf, g->n + 1))
				continue;
			TRY(typo_under(g, buf, g->n + 1, near, nn));
		}
		if (i == g->n)
			continue;
		typed_at(g, i, g->n, keys);
		for (j = 0; keys[j]; j++) {
			c = (uint32_t)keys[j];
			if (c == g->label[i])
				continue;
			splice(g->label, g->n, i, 1, &c, 1, buf);
			if (!i && first_makes_word(g, buf, g->n))
				continue;
			TRY(typo_under(g, buf, g->n, near, nn));
		}
	}
	return 0;
}

/* The suffix run into the label: "gmailcom.com", "example-de.com". */
static int fuzz_various(struct gen *g)
{
	uint32_t buf[CAND_MAX];
	const char *dot = strchr(g->suffix, '.');
	size_t slen = strlen(g->suffix), i;
	int n = g->n;

	if (g->tld_mode || n + slen + 1 > CAND_MAX)
		return 0;
	TRY(moved_dot(g));
	memcpy(buf, g->label, n * sizeof(*buf));
	for (i = 0; i < slen; i++)
		buf[n + i] = (unsigned char)g->suffix[i];
	if (dot) {	/* example.co.uk -> exampleco.uk, example.uk */
		TRY(with_suffix(g, buf, n + (int)slen, ""));
		return with_suffix(g, g->label, n, strrchr(g->suffix, '.') + 1);
	}
	TRY(with_suffix(g, buf, n + (int)slen, g->suffix));
	/*
	 * Under .com, a country code run in is how a provider of that
	 * country writes its own name ("mailru" for Mail.Ru), and no slip
	 * types a second TLD: gTLD names only ("example-net.com").
	 */
	if (!strcmp(g->suffix, "com") || is_cc_suffix(g->suffix))
		return 0;
	TRY(with_suffix(g, buf, n + (int)slen, "com"));
	buf[n] = '-';
	for (i = 0; i < slen; i++)
		buf[n + 1 + i] = (unsigned char)g->suffix[i];
	return with_suffix(g, buf, n + 1 + (int)slen, "com");
}

typedef int (*fuzz_fn)(struct gen *g);

static const fuzz_fn fuzzers[MXG_FUZZ__COUNT] = {
	[MXG_FUZZ_TLD_SWAP] = fuzz_tld_swap,
	[MXG_FUZZ_ADDITION] = fuzz_addition,
	[MXG_FUZZ_BITSQUATTING] = fuzz_bitsquatting,
	[MXG_FUZZ_CYRILLIC] = fuzz_cyrillic,
	[MXG_FUZZ_HOMOGLYPH] = fuzz_homoglyph,
	[MXG_FUZZ_HYPHENATION] = fuzz_hyphenation,
	[MXG_FUZZ_INSERTION] = fuzz_insertion,
	[MXG_FUZZ_OMISSION] = fuzz_omission,
	[MXG_FUZZ_PLURAL] = fuzz_plural,
	[MXG_FUZZ_REPETITION] = fuzz_repetition,
	[MXG_FUZZ_REPLACEMENT] = fuzz_replacement,
	[MXG_FUZZ_SUBDOMAIN] = fuzz_subdomain,
	[MXG_FUZZ_TRANSPOSITION] = fuzz_transposition,
	[MXG_FUZZ_VARIOUS] = fuzz_various,
	[MXG_FUZZ_VOWEL_SWAP] = fuzz_vowel_swap,
	[MXG_FUZZ_TLD_TYPO] = fuzz_tld_typo,
};

/* --- splitting the protected name ----------------------------------------- */

/* Only host names are fuzzed: LDH labels, A-labels included. */
static int is_host_name(const __u8 *wire, __u32 len)
{
	__u32 pos = 0, i;

	while (pos < len) {
		for (i = 1; i <= wire[pos]; i++) {
			__u8 c = wire[pos + i];

			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			      c == '-'))
				return 0;
		}
		pos += 1 + wire[pos];
	}
	return 1;
}

/* Wire offset of the label that starts at text offset @off. */
static __u32 wire_offset(const __u8 *wire, __u32 len, size_t off)
{
	__u32 pos = 0;
	size_t t = 0;

	while (pos < len && t < off) {
		t += wire[pos] + 1;	/* the label and its dot */
		pos += 1 + wire[pos];
	}
	return pos;
}

static int split(struct gen *g)
{
	char text[MXG_NAME_TEXT_MAX];
	size_t suf;
	__u32 pos = 0, prev = 0;

	mxg_name_format(g->wire, g->len, text, sizeof(text));
	suf = lookalike_suffix_offset(text);
	if (suf == 0) {
		/* A public suffix: fuzz its first label, keep the rest. */
		g->tld_mode = 1;
		g->label_off = 0;
		snprintf(g->suffix, sizeof(g->suffix), "%s", text);
	} else {
		pos = wire_offset(g->wire, g->len, suf);
		/* The registrable label is the one just before the suffix. */
		for (prev = 0; prev + 1 + g->wire[prev] < pos;
		     prev += 1 + g->wire[prev])
			;
		g->label_off = prev;
		snprintf(g->suffix, sizeof(g->suffix), "%s", text + suf);
	}
	g->suf_off = g->label_off + 1 + g->wire[g->label_off];
	g->n = idn_label_decode((const char *)g->wire + g->label_off + 1,
				g->wire[g->label_off], g->label,
				IDN_LABEL_CP_MAX);
	if (g->n <= 0)
		return -EINVAL;
	if (!g->tld_mode)
		g->first = words_first_flags(g->label, g->n);
	return 0;
}

int lookalike_generate(const __u8 *wire, __u32 len, __u32 mask,
		       lookalike_emit_fn emit, void *ctx)
{
	struct gen g = { .emit = emit, .ctx = ctx, .wire = wire, .len = len,
			 .any_first = !!(mask & MXG_GEN_ANY_FIRST) };
	int id, ret;

	if (!len || len > WIRE_MAX || !is_host_name(wire, len))
		return -EINVAL;
	ret = split(&g);
	if (ret)
		return ret;
	for (id = 1; id < MXG_FUZZ__COUNT; id++) {
		if (!(mask & (1U << id)))
			continue;
		g.fuzzer = (uint8_t)id;
		ret = fuzzers[id](&g);
		if (ret)
			return ret;
	}
	return 0;
}
