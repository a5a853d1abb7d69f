// SPDX-License-Identifier: GPL-2.0-only
/*
 * The lookalike engine: every fuzzer with known outputs, the checks on what
 * it generates, and what "protect" does in a policy (hand-written rules
 * win, protected names are never flagged, the most specific rule wins).
 */
#include <errno.h>

#include "log.h"
#include "idn.h"
#include "lookalike.h"
#include "secondlook.h"
#include "policy_helpers.h"

/* --- what one generation produced ----------------------------------------- */

#define OUT_MAX	4096

struct outputs {
	int n;
	uint8_t fuzzer[OUT_MAX];
	char name[OUT_MAX][MXG_NAME_TEXT_MAX];
};

static struct outputs out;

static int collect(void *ctx, uint8_t fuzzer, const __u8 *wire, __u32 len)
{
	(void)ctx;
	assert_true(out.n < OUT_MAX);
	out.fuzzer[out.n] = fuzzer;
	mxg_name_format(wire, len, out.name[out.n], MXG_NAME_TEXT_MAX);
	out.n++;
	return 0;
}

static void generate(const char *name, const char *fuzzers)
{
	__u8 wire[MXG_NAME_MAX];
	const char *bad;
	__u32 len, mask;

	parse_or_fail(name, wire, &len);
	assert_int_equal(lookalike_parse_fuzzers(fuzzers, &mask, &bad), 0);
	out.n = 0;
	assert_int_equal(lookalike_generate(wire, len, mask, collect, NULL), 0);
}

static int produced(const char *name)
{
	int i;

	for (i = 0; i < out.n; i++)
		if (!strcmp(out.name[i], name))
			return 1;
	return 0;
}

/* Exactly these names (NULL-terminated), in any order, each once. */
static void assert_outputs(const char *const *want)
{
	int n;

	for (n = 0; want[n]; n++)
		if (!produced(want[n]))
			fail_msg("'%s' was not generated", want[n]);
	if (out.n != n) {
		for (int i = 0; i < out.n; i++)
			print_message("got %s\n", out.name[i]);
		fail_msg("%d names generated, %d expected", out.n, n);
	}
}

#define OUTPUTS(...) assert_outputs((const char *const[]){ __VA_ARGS__, NULL })

/* --- fuzzers -------------------------------------------------------------- */

static void test_names_and_ids(void **state)
{
	const char *bad;
	__u32 mask;
	int id;

	(void)state;
	for (id = 1; id < MXG_FUZZ__COUNT; id++)
		assert_int_equal(lookalike_fuzzer_id(lookalike_fuzzer_name(id)),
				 id);
	assert_null(lookalike_fuzzer_name(MXG_FUZZ_EXPLICIT));
	assert_null(lookalike_fuzzer_name(200));
	assert_string_equal(lookalike_fuzzer_name(MXG_FUZZ_TLD_SWAP),
			    "tld-swap");
	assert_string_equal(lookalike_fuzzer_name(MXG_ORIGIN_SKELETON),
			    "skeleton");
	assert_string_equal(lookalike_fuzzer_name(MXG_ORIGIN_EDIT_DISTANCE),
			    "edit-distance");
	assert_int_equal(lookalike_parse_fuzzers("omission,tld-swap", &mask,
						 &bad), 0);
	assert_int_equal(mask, (1U << MXG_FUZZ_OMISSION) |
			       (1U << MXG_FUZZ_TLD_SWAP));
	assert_int_equal(lookalike_parse_fuzzers("omission,typo", &mask, &bad),
			 -EINVAL);
	assert_string_equal(bad, "typo");
}

static void test_transposition(void **state)
{
	(void)state;
	generate("gmail.com", "transposition");
	OUTPUTS("mgail.com", "gamil.com", "gmial.com", "gmali.com");
}

/* The seed case: .mil -> .ml, by the table and by a dropped letter. */
static void test_mil(void **state)
{
	const char *near[4];

	(void)state;
	generate("mil", "tld-swap");
	OUTPUTS("ml", "il");
	generate("mil", "omission");
	OUTPUTS("ml", "il");	/* "mi" is no TLD, so it is dropped */
	assert_int_equal(lookalike_tld_neighbours("mil", near, 4), 2);
	assert_string_equal(near[0], "ml");
	assert_int_equal(lookalike_tld_neighbours("ml", near, 4), 1);
	assert_string_equal(near[0], "mil");
	assert_int_equal(lookalike_tld_neighbours("com", near, 4), 3);
	assert_int_equal(lookalike_tld_neighbours("org", near, 4), 0);
}

static void test_tld_swap(void **state)
{
	(void)state;
	generate("gmail.com", "tld-swap");
	OUTPUTS("gmail.co", "gmail.cm", "gmail.om", "gmail.net", "gmail.org",
		"gmail.info", "gmail.biz");
	/* Both ways: a .co domain is one letter from .com. */
	generate("example.co", "tld-swap");
	assert_true(produced("example.com"));
	generate("mail.army.mil", "tld-swap");
	assert_true(produced("mail.army.ml"));
	assert_true(produced("mail.army.il"));
	/* A bare TLD swaps only with its neighbours, never with "com". */
	generate("net", "tld-swap");
	OUTPUTS("ne", "et");
	/*
	 * Under a country code, its neighbours only: the gTLDs are where
	 * such a provider runs its service abroad (gmx.com for gmx.de).
	 */
	generate("gmx.de", "tld-swap");
	OUTPUTS("gmx.dev");
	generate("example.co.uk", "tld-swap");
	assert_int_equal(out.n, 0);
	generate("example.ml", "tld-swap");
	OUTPUTS("example.mil");
}

/* A Cyrillic "а" (U+0430) for the Latin "a": an IDN homograph. */
static void test_homoglyph(void **state)
{
	(void)state;
	generate("gmail.com", "homoglyph");
	assert_true(produced("xn--gmil-63d.com"));	/* gmаil */
	assert_true(produced("grnail.com"));
	assert_true(produced("gmai1.com"));
	assert_true(produced("gmaii.com"));
	assert_true(produced("xn--gmil-1na.com"));	/* gmàil */
	assert_false(produced("gmail.com"));
	/* A second, strong glyph: "а" then "і", both Cyrillic. */
	assert_true(produced("xn--gml-7cd4q.com"));
	generate("cloud.com", "homoglyph");
	assert_true(produced("doud.com"));		/* cl -> d */
	generate("dell.com", "homoglyph");
	assert_true(produced("clell.com"));		/* d -> cl */
}

/*
 * Every single-character confusable of UTS #39 (ICU), computed here from
 * the skeletons on their own, that IDNA2008 encodes, is generated.
 */
static void test_homoglyph_uts39(void **state)
{
	static const char label[] = "paypal";
	char skel[8][16], s[64], u[8], alabel[IDN_LABEL_BUF], name[96];
	uint32_t cp[8], c, keep;
	int n = (int)strlen(label), i, total = 0, missing = 0;

	(void)state;
	generate("paypal.com", "homoglyph");
	for (i = 0; i < n; i++) {
		char t[2] = { label[i], 0 };

		cp[i] = (unsigned char)label[i];
		assert_true(secondlook_skeleton(t, skel[i], 16) > 0);
	}
	/* One skeleton per code point of planes 0 and 1. */
	for (c = 0x80; c <= 0x1ffff; c++) {
		if ((c >= 0xd800 && c < 0xe000) ||
		    idn_utf8_encode(&c, 1, u, sizeof(u)) < 0 ||
		    secondlook_skeleton(u, s, sizeof(s)) < 0)
			continue;
		for (i = 0; i < n; i++) {
			if (strcmp(s, skel[i]))
				continue;
			keep = cp[i];
			cp[i] = c;
			if (idn_label_encode(cp, n, alabel) > 0) {
				total++;
				snprintf(name, sizeof(name), "%s.com", alabel);
				if (!produced(name)) {
					print_message("missing U+%04X: %s\n", c,
						      name);
					missing++;
				}
			}
			cp[i] = keep;
		}
	}
	/* Greek alpha, Cyrillic a and more for "a": dozens in all. */
	assert_true(total > 20);
	assert_int_equal(missing, 0);
}

/* One label edit under each TLD neighbour, never the label alone. */
static void test_tld_typo(void **state)
{
	(void)state;
	generate("gmail.com", "tld-typo");
	assert_true(produced("gmial.co"));		/* swap */
	assert_true(produced("gmai.cm"));		/* deletion */
	assert_true(produced("gmaiql.om"));		/* insertion */
	assert_true(produced("gmzil.co"));		/* replacement */
	/* A letter and a word ("g" "mail"): the first letter stays. */
	assert_false(produced("fmail.co"));
	assert_false(produced("amail.co"));
	/* Nor left out, as omission keeps it: "mail" is a word. */
	assert_false(produced("mail.co"));
	generate("yahoo.com", "tld-typo");		/* "ahoo": no word */
	assert_true(produced("vahoo.co"));
	assert_true(produced("ahoo.co"));
	/* "ive" is no word, but "hive" is; and "live" keeps its "l". */
	generate("live.com", "tld-typo");
	assert_true(produced("kive.co"));
	assert_false(produced("hive.co"));
	assert_false(produced("ive.co"));
	assert_false(produced("gmail.co"));		/* that is tld-swap */
	assert_false(produced("gmial.net"));		/* not a neighbour */
	generate("example.org", "tld-typo");		/* .org has none */
	assert_int_equal(out.n, 0);
	generate("mil", "tld-typo");			/* nor a bare TLD */
	assert_int_equal(out.n, 0);
}

static void test_cyrillic(void **state)
{
	(void)state;
	generate("gmail.com", "cyrillic");
	OUTPUTS("xn--80ax3fyx1j.com");			/* ԍмаіӏ */
	/* "f" has no Cyrillic twin: no whole-script homograph. */
	generate("fast.com", "cyrillic");
	assert_int_equal(out.n, 0);
}

static void test_bitsquatting(void **state)
{
	(void)state;
	generate("gmail.com", "bitsquatting");
	/*
	 * g is 0x67: bits 0, 1, 2, 3 and 4 make f, e, c, o and w, but the
	 * first letter of a letter and a word ("g" "mail") stays: "email"
	 * and "cmail" are providers, as any letter before "mail" makes one.
	 */
	assert_false(produced("fmail.com"));
	assert_false(produced("email.com"));
	assert_false(produced("cmail.com"));
	assert_false(produced("omail.com"));
	assert_false(produced("wmail.com"));
	/* Elsewhere every flip: a is 0x61, bit 1 makes c. */
	assert_true(produced("gmcil.com"));
	/* Bit 5 makes "G", which is the same name. */
	assert_false(produced("gmail.com"));
	/*
	 * y is 0x79: bits 0, 3, 4 make x, q, i.  A flip is no typing, so in
	 * the first place only a key next to y, even where typing takes any
	 * ("ahoo" is no word): x on QWERTZ.
	 */
	generate("yahoo.com", "bitsquatting");
	assert_true(produced("xahoo.com"));
	assert_false(produced("qahoo.com"));
	assert_false(produced("iahoo.com"));
	/* first=any: every flip of the first letter too. */
	out.n = 0;
	{
		__u8 wire[MXG_NAME_MAX];
		const char *err;
		__u32 len;

		assert_int_equal(mxg_name_parse("gmail.com", wire, &len, &err),
				 0);
		assert_int_equal(lookalike_generate(wire, len,
				 1U << MXG_FUZZ_BITSQUATTING |
				 MXG_GEN_ANY_FIRST, collect, &out), 0);
	}
	assert_true(produced("email.com"));
}

static void test_replacement(void **state)
{
	(void)state;
	generate("gmail.com", "replacement");
	/*
	 * "mail" is a word: the first letter is the brand, and no other
	 * takes its place, not even a key next to it ("ymail", "tmail" and
	 * "email" are providers; words.h).
	 */
	assert_false(produced("fmail.com"));
	assert_false(produced("hmail.com"));
	assert_false(produced("amail.com"));
	assert_false(produced("xmail.com"));
	/* Anywhere else any letter, digit or inner hyphen. */
	assert_true(produced("gmqil.com"));
	assert_true(produced("gxail.com"));
	assert_true(produced("gm-il.com"));
	assert_true(produced("gmai0.com"));
	assert_false(produced("gmai-.com"));
	/* 4 positions x 36 others, less "gmai-". */
	assert_int_equal(out.n, 4 * 36 - 1);
	/*
	 * "ahoo" is no word: any letter or digit in the first place, but
	 * none that makes a word ("wahoo" is not in wamerican; "yahoo" is).
	 */
	generate("yahoo.com", "replacement");
	assert_true(produced("xahoo.com"));
	assert_true(produced("tahoo.com"));
	assert_true(produced("vahoo.com"));
	assert_true(produced("1ahoo.com"));
	/* 5 x 36 others, less a hyphen first or last: no "?ahoo" is a word. */
	assert_int_equal(out.n, 5 * 36 - 2);
	/* "ive" is no word, but "hive" and "five" are; "kive" is a typo. */
	generate("live.com", "replacement");
	assert_true(produced("kive.com"));
	assert_true(produced("bive.com"));
	assert_false(produced("hive.com"));
	assert_false(produced("five.com"));
	/* Three letters: only the neighbours ("gol" is a provider). */
	generate("aol.com", "replacement");
	assert_true(produced("sol.com"));
	assert_false(produced("gol.com"));
}

static void test_insertion(void **state)
{
	(void)state;
	generate("gmail.com", "insertion");
	assert_true(produced("gfmail.com"));
	assert_true(produced("fgmail.com"));
	assert_true(produced("gmaikl.com"));
	/* Any character past the first: "gamail", "hotamail". */
	assert_true(produced("gamail.com"));
	assert_true(produced("gmailk.com"));
	assert_true(produced("gm-ail.com"));
	assert_false(produced("-gmail.com"));
	assert_false(produced("gmail-.com"));
	/* Before the first, anything: "gmail" is no word. */
	assert_true(produced("agmail.com"));
	assert_true(produced("0gmail.com"));
	/* ... but not before a word: "email", "gmail" for "mail". */
	generate("mail.ru", "insertion");
	assert_false(produced("email.ru"));
	assert_false(produced("gmail.ru"));
	assert_true(produced("maiol.ru"));
	/* "msn" is none: "gmsn". */
	generate("msn.com", "insertion");
	assert_true(produced("gmsn.com"));
	generate("hotmail.com", "insertion");
	assert_true(produced("hotamail.com"));
}

static void test_small_fuzzers(void **state)
{
	(void)state;
	/*
	 * The first letter of a label of 5 or fewer is not left out
	 * ("mail" is a provider); of a longer one it is.
	 */
	generate("gmail.com", "omission");
	OUTPUTS("gail.com", "gmil.com", "gmal.com", "gmai.com");
	generate("hotmail.com", "omission");
	assert_true(produced("otmail.com"));
	generate("gmail.com", "repetition");
	OUTPUTS("ggmail.com", "gmmail.com", "gmaail.com", "gmaiil.com",
		"gmaill.com");
	generate("gmail.com", "hyphenation");
	OUTPUTS("g-mail.com", "gm-ail.com", "gma-il.com", "gmai-l.com");
	generate("gmail.com", "subdomain");
	OUTPUTS("g.mail.com", "gm.ail.com", "gma.il.com");
	generate("gmail.com", "vowel-swap");
	OUTPUTS("gmeil.com", "gmiil.com", "gmoil.com", "gmuil.com",
		"gmael.com", "gmaal.com", "gmaol.com", "gmaul.com");
	/* dnstwist's plural: an s inside the label, and at its end. */
	generate("gmail.com", "plural");
	OUTPUTS("gmasil.com", "gmails.com");
	generate("example.com", "plural");
	OUTPUTS("exasmple.com", "examsple.com", "exampsle.com", "examples.com");
	generate("box.com", "plural");
	OUTPUTS("boxes.com");
	generate("gmail.com", "addition");
	assert_int_equal(out.n, 36);
	assert_true(produced("gmaila.com"));
	assert_true(produced("gmail0.com"));
	generate("my-bank.com", "addition");
	assert_true(produced("mya-bank.com"));
}

static void test_various(void **state)
{
	(void)state;
	/* The suffix run in, and the last dot typed a key early. */
	generate("gmail.com", "various");
	OUTPUTS("gmailcom.com", "gmailc.om");
	generate("comcast.net", "various");
	assert_true(produced("comcastn.et"));
	/* A country code runs in under its own TLD, not under .com. */
	generate("example.de", "various");
	OUTPUTS("examplede.de");
	generate("mail.ru", "various");
	assert_false(produced("mailru.com"));
	generate("example.net", "various");
	assert_true(produced("examplenet.com"));
	assert_true(produced("example-net.com"));
	generate("example.co.uk", "various");
	OUTPUTS("exampleco.uk", "example.uk");
}

/* An IDN is fuzzed as Unicode and every result encoded again. */
static void test_idn_protected(void **state)
{
	(void)state;
	generate("xn--bcher-kva.example", "omission");
	assert_true(produced("bcher.example"));
	assert_true(produced("xn--bchr-0ra.example"));	/* büchr */
	assert_int_equal(out.n, 6);
}

/* LDH, no "--" in the third and fourth places, labels <= 63, names <= 253. */
static void test_validation(void **state)
{
	char name[300], x[64], w[64];
	__u8 wire[MXG_NAME_MAX];
	__u32 len;

	(void)state;
	generate("ab-c.com", "hyphenation");
	OUTPUTS("a-b-c.com");
	memset(x, 'x', 63);
	x[63] = '\0';
	snprintf(name, sizeof(name), "%s.com", x);
	generate(name, "addition,repetition");
	assert_int_equal(out.n, 0);
	/* 3 x 63 + 56 + "com" and 4 dots: 252 characters, 1 to spare. */
	memset(w, 'w', 56);
	w[56] = '\0';
	snprintf(name, sizeof(name), "%s.%s.%s.%s.com", x, x, x, w);
	assert_int_equal(strlen(name), 252);
	generate(name, "repetition");
	assert_int_equal(out.n, 56);
	strcat(w, "w");
	snprintf(name, sizeof(name), "%s.%s.%s.%s.com", x, x, x, w);
	generate(name, "repetition");
	assert_int_equal(out.n, 0);
	/* Only host names are fuzzed. */
	parse_or_fail("_sip.example.com", wire, &len);
	assert_int_equal(lookalike_generate(wire, len, MXG_FUZZ_ALL, collect,
					    NULL), -EINVAL);
	assert_int_equal(lookalike_generate(wire, 0, MXG_FUZZ_ALL, collect,
					    NULL), -EINVAL);
}

/* --- protect in a policy -------------------------------------------------- */

static void test_protect_rules(void **state)
{
	const struct mxg_policy_rule *r;
	struct mxg_policy p;

	(void)state;
	policy_init(&p);
	assert_int_equal(load_text(&p, "# freemail\n"
				       "protect gmail.com fuzz=transposition\n"
				       "protect mil fuzz=tld-swap,omission "
				       "action=block\n"), 0);
	assert_string_equal(warned, "");
	assert_int_equal(p.n, 6);
	r = rule_for(&p, "alice.gmial.com");
	assert_int_equal(r->kind, MXG_RULE_LOOKALIKE);
	assert_int_equal(r->origin, MXG_FUZZ_TRANSPOSITION);
	assert_int_equal(r->action, MXG_ACTION_ALERT);
	assert_true(r->flags & MXG_RULE_F_GENERATED);
	assert_wire(rt_wire(&p, r), r->wire_len, "gmial.com");
	assert_wire(rt_protected_wire(&p, r), rt_protected_len(&p, r),
	            "gmail.com");
	assert_string_equal(rt_file(&p, r), "t.policy");
	assert_int_equal(r->line, 2);
	/* ml comes from tld-swap and omission: the first generator keeps it. */
	r = rule_for(&p, "army.ml");
	assert_int_equal(r->origin, MXG_FUZZ_TLD_SWAP);
	assert_int_equal(r->action, MXG_ACTION_BLOCK);
	assert_wire(rt_protected_wire(&p, r), rt_protected_len(&p, r), "mil");
	assert_int_equal(r->line, 3);
	assert_int_equal(match(&p, "gmail.com"), -1);
	assert_int_equal(match(&p, "army.mil"), -1);
	/* Every protected name is stored once. */
	assert_ptr_equal(rt_protected_wire(&p, rule_for(&p, "il")),
			 rt_protected_wire(&p, rule_for(&p, "ml")));
	policy_free(&p);
}

/* Addition and repetition both make "gmaill": addition runs first. */
static void test_first_generator_wins(void **state)
{
	struct mxg_policy p;

	(void)state;
	policy_init(&p);
	assert_int_equal(load_text(&p, "protect gmail.com\n"), 0);
	assert_int_equal(rule_for(&p, "gmaill.com")->origin,
			 MXG_FUZZ_ADDITION);
	assert_int_equal(rule_for(&p, "xn--gmil-63d.com")->origin,
			 MXG_FUZZ_HOMOGLYPH);
	policy_free(&p);
}

/* Whichever comes first in the file, the hand-written rule is the one. */
static void test_explicit_wins(void **state)
{
	static const char *const texts[] = {
		"protect gmail.com fuzz=transposition\nallow gmial.com\n"
		"lookalike gamil.com of gmail.com action=block\n",
		"allow gmial.com\nlookalike gamil.com of gmail.com action=block\n"
		"protect gmail.com fuzz=transposition\n",
	};
	const struct mxg_policy_rule *r;
	struct mxg_policy p;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		policy_init(&p);
		assert_int_equal(load_text(&p, texts[i]), 0);
		assert_string_equal(warned, "");
		assert_int_equal(p.n, 4);
		r = rule_for(&p, "gmial.com");
		assert_int_equal(r->kind, MXG_RULE_ALLOW);
		assert_int_equal(r->origin, MXG_FUZZ_EXPLICIT);
		r = rule_for(&p, "gamil.com");
		assert_int_equal(r->action, MXG_ACTION_BLOCK);
		assert_false(r->flags & MXG_RULE_F_GENERATED);
		assert_int_equal(rule_for(&p, "gmali.com")->origin,
				 MXG_FUZZ_TRANSPOSITION);
		policy_free(&p);
	}
}

/* A later load call sees the generated rules of an earlier one go. */
static void test_explicit_wins_across_loads(void **state)
{
	struct mxg_policy p;

	(void)state;
	policy_init(&p);
	assert_int_equal(load_text(&p, "protect gmail.com "
				       "fuzz=transposition\n"), 0);
	assert_int_equal(load_text(&p, "allow gmial.com\n"), 0);
	assert_string_equal(warned, "");
	assert_int_equal(p.n, 4);
	assert_int_equal(rule_for(&p, "gmial.com")->kind, MXG_RULE_ALLOW);
	policy_free(&p);
}

static void test_protected_never_flagged(void **state)
{
	const struct mxg_policy_rule *r;
	struct mxg_policy p;

	(void)state;
	policy_init(&p);
	/* Omission makes "mail.com" of "gmail.com": a protected name. */
	assert_int_equal(load_text(&p, "protect gmail.com fuzz=omission\n"
				       "protect mail.com fuzz=addition\n"), 0);
	assert_int_equal(match(&p, "mail.com"), -1);
	assert_int_equal(match(&p, "www.mail.com"), -1);
	assert_int_equal(rule_for(&p, "gmai.com")->origin, MXG_FUZZ_OMISSION);
	assert_wire(rt_protected_wire(&p, rule_for(&p, "mailx.com")),
		    rt_protected_len(&p, rule_for(&p, "mailx.com")),
		    "mail.com");
	policy_free(&p);

	/* An allow rule covers the generated names under it too. */
	policy_init(&p);
	assert_int_equal(load_text(&p, "protect gmail.com fuzz=subdomain\n"
				       "allow mail.com\n"), 0);
	assert_int_equal(rule_for(&p, "g.mail.com")->kind, MXG_RULE_ALLOW);
	assert_int_equal(rule_for(&p, "gm.ail.com")->kind,
			 MXG_RULE_LOOKALIKE);
	policy_free(&p);

	/* A protected domain under a generated suffix is allowed by name. */
	policy_init(&p);
	assert_int_equal(load_text(&p, "protect com fuzz=tld-swap\n"
				       "protect example.co fuzz=omission\n"
				       "protect gmail.com fuzz=transposition\n"),
			 0);
	r = rule_for(&p, "www.example.co");
	assert_int_equal(r->kind, MXG_RULE_ALLOW);
	assert_int_equal(r->origin, MXG_ORIGIN_PROTECTED);
	assert_int_equal(r->line, 2);
	assert_wire(rt_protected_wire(&p, rule_for(&p, "other.co")),
		    rt_protected_len(&p, rule_for(&p, "other.co")),
		    "com");
	assert_wire(rt_protected_wire(&p, rule_for(&p, "exampl.co")),
		    rt_protected_len(&p, rule_for(&p, "exampl.co")),
		    "example.co");
	/* "com" is protected, yet names under it are generated as usual. */
	assert_int_equal(rule_for(&p, "gmial.com")->origin,
			 MXG_FUZZ_TRANSPOSITION);
	policy_free(&p);
}

/*
 * only=protected: a TLD's neighbours only for the names the policy
 * protects under it, so "other.co" does not alert; the blanket form is
 * still there, by hand.
 */
static void test_tld_neighbours_only_protected(void **state)
{
	const struct mxg_policy_rule *r;
	struct mxg_policy p;

	(void)state;
	policy_init(&p);
	assert_int_equal(load_text(&p, "protect com fuzz=tld-swap "
				       "only=protected action=block\n"
				       "protect partner.com fuzz=omission\n"
				       "lookalike ml of mil\n"
				       "lookalike army.mil of navy.mil\n"), 0);
	r = rule_for(&p, "partner.co");
	assert_non_null(r);
	assert_int_equal(r->origin, MXG_FUZZ_TLD_SWAP);
	assert_int_equal(r->action, MXG_ACTION_BLOCK);
	assert_wire(rt_protected_wire(&p, r), rt_protected_len(&p, r),
	            "partner.com");
	assert_non_null(rule_for(&p, "mx.partner.cm"));
	assert_non_null(rule_for(&p, "partner.om"));
	assert_int_equal(match(&p, "other.co"), -1);
	assert_int_equal(match(&p, "partner.com"), -1);
	/* The blanket form, by hand. */
	assert_true(match(&p, "anything.ml") >= 0);
	policy_free(&p);

	policy_init(&p);
	assert_int_equal(load_text(&p, "protect gmail.com only=protected\n"),
			 1);
	assert_non_null(strstr(warned, "only=protected is for a protected "
				       "TLD"));
	policy_free(&p);
}

static void test_protected_under_explicit_rule(void **state)
{
	struct mxg_policy p;

	(void)state;
	policy_init(&p);
	assert_int_equal(load_text(&p, "lookalike co of com\n"
				       "protect example.co fuzz=omission\n"), 1);
	assert_string_equal(warned, "test: t.policy:2: protected name "
		"'example.co' is flagged by 'lookalike co' at t.policy:1\n");
	assert_int_equal(p.n, 0);
	policy_free(&p);
}

/* Most specific wins, hand-written or generated. */
static void test_most_specific_with_generated(void **state)
{
	const struct mxg_policy_rule *r;
	struct mxg_policy p;

	(void)state;
	policy_init(&p);
	assert_int_equal(load_text(&p, "protect mil fuzz=tld-swap\n"
				       "allow gov.ml\n"
				       "lookalike army.ml of army.mil "
				       "action=block\n"), 0);
	assert_int_equal(rule_for(&p, "www.gov.ml")->kind, MXG_RULE_ALLOW);
	r = rule_for(&p, "mail.army.ml");
	assert_int_equal(r->action, MXG_ACTION_BLOCK);
	assert_int_equal(r->origin, MXG_FUZZ_EXPLICIT);
	r = rule_for(&p, "navy.ml");
	assert_int_equal(r->origin, MXG_FUZZ_TLD_SWAP);
	assert_int_equal(r->action, MXG_ACTION_ALERT);
	policy_free(&p);

	/* Under a hand-written rule, a generated name would only weaken it. */
	policy_init(&p);
	assert_int_equal(load_text(&p, "lookalike ml of mil action=block\n"
				       "protect army.mil fuzz=tld-swap\n"), 0);
	r = rule_for(&p, "army.ml");
	assert_int_equal(r->origin, MXG_FUZZ_EXPLICIT);
	assert_int_equal(r->action, MXG_ACTION_BLOCK);
	assert_int_equal(rule_for(&p, "army.il")->origin, MXG_FUZZ_TLD_SWAP);
	policy_free(&p);
}

/* What ships in policies/ loads as one policy, with the seed case intact. */
static void test_shipped_policies(void **state)
{
	const struct mxg_policy_rule *r;
	struct mxg_policy p;

	(void)state;
	policy_init(&p);
	assert_int_equal(load_path(&p, "policies"), 0);
	assert_string_equal(warned, "");
	r = rule_for(&p, "army.ml");
	assert_int_equal(r->action, MXG_ACTION_BLOCK);
	assert_int_equal(r->origin, MXG_FUZZ_EXPLICIT);
	assert_int_equal(rule_for(&p, "gov.ml")->kind, MXG_RULE_ALLOW);
	/* tld-neighbours.policy: only the neighbours of protected names. */
	assert_int_equal(match(&p, "army.il"), -1);
	assert_int_equal(match(&p, "partner.co"), -1);
	assert_int_equal(match(&p, "example.eu"), -1);
	r = rule_for(&p, "gmail.co");
	assert_int_equal(r->origin, MXG_FUZZ_TLD_SWAP);
	assert_wire(rt_protected_wire(&p, r), rt_protected_len(&p, r),
	            "gmail.com");
	/* tld-neighbours.policy: only the neighbours of protected names. */
	assert_int_equal(match(&p, "army.il"), -1);
	assert_int_equal(match(&p, "partner.co"), -1);
	assert_int_equal(match(&p, "example.eu"), -1);
	r = rule_for(&p, "gmail.co");
	assert_int_equal(r->origin, MXG_FUZZ_TLD_SWAP);
	assert_wire(rt_protected_wire(&p, r), rt_protected_len(&p, r),
	            "gmail.com");
	r = rule_for(&p, "gmial.com");
	assert_wire(rt_protected_wire(&p, r), rt_protected_len(&p, r),
	            "gmail.com");
	assert_int_equal(match(&p, "gmail.com"), -1);
	assert_int_equal(match(&p, "outlook.com"), -1);
	assert_true(p.n > 1000);
	policy_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_ids),
		cmocka_unit_test(test_transposition),
		cmocka_unit_test(test_mil),
		cmocka_unit_test(test_tld_swap),
		cmocka_unit_test(test_homoglyph),
		cmocka_unit_test(test_homoglyph_uts39),
		cmocka_unit_test(test_tld_typo),
		cmocka_unit_test(test_cyrillic),
		cmocka_unit_test(test_bitsquatting),
		cmocka_unit_test(test_replacement),
		cmocka_unit_test(test_insertion),
		cmocka_unit_test(test_small_fuzzers),
		cmocka_unit_test(test_various),
		cmocka_unit_test(test_idn_protected),
		cmocka_unit_test(test_validation),
		cmocka_unit_test(test_protect_rules),
		cmocka_unit_test(test_first_generator_wins),
		cmocka_unit_test(test_explicit_wins),
		cmocka_unit_test(test_explicit_wins_across_loads),
		cmocka_unit_test(test_protected_never_flagged),
		cmocka_unit_test(test_protected_under_explicit_rule),
		cmocka_unit_test(test_tld_neighbours_only_protected),
		cmocka_unit_test(test_most_specific_with_generated),
		cmocka_unit_test(test_shipped_policies),
	};

	log_init("test", LOG_LVL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
