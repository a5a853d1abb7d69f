// SPDX-License-Identifier: GPL-2.0-only
/* Canonical names: parsing, formatting, and the hashes the kernel must match. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "name.h"
#include "mxguard/hash.h"

/*
 * mxg_name_hash(0, "army.ml"), computed once by ref_hash() below and by a
 * separate Python script.  If this changes, every pinned policy map and
 * every kernel built against the old hash disagrees with user space.
 */
#define ARMY_ML_HASH_SEED0	0x2d26f87a9fbdf0e3ULL

/*
 * An independent statement of the hash: FNV-1a over the canonical bytes,
 * last byte first, then the splitmix64 finaliser.  Written out here rather
 * than taken from hash.h so a change there is caught.
 */
static uint64_t ref_hash(uint64_t seed, const uint8_t *wire, uint32_t len)
{
	uint64_t h = seed ^ 0xcbf29ce484222325ULL;
	int i;

	for (i = (int)len - 1; i >= 0; i--) {
		h ^= wire[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

/* Parses @text or fails the test, naming the parser's message. */
static __u32 parse_ok(const char *text, __u8 *wire)
{
	const char *err = NULL;
	__u32 len = 0;
	int ret = mxg_name_parse(text, wire, &len, &err);

	if (ret)
		fail_msg("parse '%s': %s", text, err);
	return len;
}

static void assert_parse_err(const char *text, const char *want)
{
	__u8 wire[MXG_NAME_MAX];
	const char *err = NULL;
	__u32 len;

	assert_int_equal(mxg_name_parse(text, wire, &len, &err), -EINVAL);
	assert_non_null(err);
	assert_string_equal(err, want);
}

static void test_parse_wire(void **state)
{
	static const __u8 want[] = { 4, 'a', 'r', 'm', 'y', 2, 'm', 'l' };
	__u8 wire[MXG_NAME_MAX];

	(void)state;
	assert_int_equal(parse_ok("army.ml", wire), sizeof(want));
	assert_memory_equal(wire, want, sizeof(want));
}

static void test_parse_case_and_dot(void **state)
{
	static const __u8 want[] = { 4, 'a', 'r', 'm', 'y', 2, 'm', 'l' };
	const char *forms[] = { "Army.ML", "ARMY.ml.", "army.ml." };
	__u8 wire[MXG_NAME_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		memset(wire, 0xaa, sizeof(wire));
		assert_int_equal(parse_ok(forms[i], wire), sizeof(want));
		assert_memory_equal(wire, want, sizeof(want));
	}
}

static void test_parse_root(void **state)
{
	__u8 wire[MXG_NAME_MAX];

	(void)state;
	assert_int_equal(parse_ok(".", wire), 0);
	assert_parse_err("", "empty name");
}

static void test_parse_escapes(void **state)
{
	static const __u8 dotted[] = { 3, 'a', '.', 'b', 2, 'm', 'l' };
	static const __u8 decimal[] = { 3, 'a', 'b', 'c' };
	static const __u8 nul[] = { 2, 0, 'x', 1, 0xff };
	static const __u8 slash[] = { 3, 'a', '\\', 'b' };
	__u8 wire[MXG_NAME_MAX];

	(void)state;
	assert_int_equal(parse_ok("a\\.b.ml", wire), sizeof(dotted));
	assert_memory_equal(wire, dotted, sizeof(dotted));
	/* \065 is 'A', and canonical form lowercases escaped bytes too. */
	assert_int_equal(parse_ok("\\065bc", wire), sizeof(decimal));
	assert_memory_equal(wire, decimal, sizeof(decimal));
	assert_int_equal(parse_ok("\\000x.\\255", wire), sizeof(nul));
	assert_memory_equal(wire, nul, sizeof(nul));
	assert_int_equal(parse_ok("a\\\\b", wire), sizeof(slash));
	assert_memory_equal(wire, slash, sizeof(slash));
}

static void test_parse_escape_errors(void **state)
{
	(void)state;
	assert_parse_err("\\256", "\\DDD escape above 255");
	assert_parse_err("a\\1", "\\DDD escape needs three digits");
	assert_parse_err("a\\12b", "\\DDD escape needs three digits");
	assert_parse_err("a\\", "trailing backslash");
}

static void test_parse_empty_labels(void **state)
{
	(void)state;
	assert_parse_err("a..b", "empty label");
	assert_parse_err(".a", "empty label");
	assert_parse_err("..", "empty label");
	assert_parse_err("a..", "empty label");
}

/* @n labels of @size bytes each, joined by dots. */
static void make_name(char *out, int n, int size)
{
	int i;

	for (i = 0; i < n; i++) {
		memset(out, 'x', size);
		out += size;
		*out++ = i + 1 < n ? '.' : '\0';
	}
}

static void test_parse_lengths(void **state)
{
	char text[1024];
	__u8 wire[MXG_NAME_MAX];

	(void)state;
	make_name(text, 1, 63);
	assert_int_equal(parse_ok(text, wire), 64);
	make_name(text, 1, 64);
	assert_parse_err(text, "label longer than 63 bytes");
	/* 254 wire bytes plus the root byte: the longest legal name. */
	make_name(text, 3, 63);
	strcat(text, ".");
	memset(text + strlen(text), 'y', 61);
	text[3 * 64 + 61] = '\0';
	assert_int_equal(parse_ok(text, wire), 254);
	strcat(text, "y");
	assert_parse_err(text, "name longer than 255 bytes");
	make_name(text, 4, 63);
	assert_parse_err(text, "name longer than 255 bytes");
	make_name(text, 128, 1);
	assert_parse_err(text, "name longer than 255 bytes");
}

static void assert_format(const __u8 *wire, size_t max, const char *want)
{
	char out[MXG_NAME_TEXT_MAX];

	mxg_name_format(wire, max, out, sizeof(out));
	assert_string_equal(out, want);
}

static void test_format_basic(void **state)
{
	static const __u8 army[] = { 4, 'a', 'r', 'm', 'y', 2, 'm', 'l', 0 };

	(void)state;
	assert_format(army, sizeof(army) - 1, "army.ml");
	/* A zero length byte ends the name before @max. */
	assert_format(army, sizeof(army), "army.ml");
	assert_format(army, 0, ".");
	assert_format((const __u8 *)"", 1, ".");
}

static void test_format_hostile(void **state)
{
	static const __u8 quote[] = { 3, 'a', '"', 'b' };
	static const __u8 nul[] = { 3, 'a', 0, 'b', 2, 'm', 'l' };
	static const __u8 high[] = { 2, 0xff, 0x80 };
	static const __u8 dots[] = { 3, 'a', '.', 'b', 1, '\\' };
	static const __u8 misc[] = { 4, ' ', '\n', '-', '_' };

	(void)state;
	assert_format(quote, sizeof(quote), "a\\034b");
	assert_format(nul, sizeof(nul), "a\\000b.ml");
	assert_format(high, sizeof(high), "\\255\\128");
	assert_format(dots, sizeof(dots), "a\\.b.\\\\");
	assert_format(misc, sizeof(misc), "\\032\\010-_");
}

static void test_format_malformed(void **state)
{
	static const __u8 short_label[] = { 3, 'a', 'b' };
	static const __u8 second[] = { 1, 'a', 5, 'b' };
	static const __u8 pointer[] = { 1, 'a', 0xc0, 0x0c };
	static const __u8 long_label[] = { 64, 'a' };

	(void)state;
	assert_format(short_label, sizeof(short_label), "\\?");
	assert_format(second, sizeof(second), "a.\\?");
	assert_format(pointer, sizeof(pointer), "a.\\?");
	assert_format(long_label, sizeof(long_label), "\\?");
}

static void test_format_truncates_whole_escapes(void **state)
{
	static const __u8 wire[] = { 3, 'a', 0xff, 'b' };
	char out[4];

	(void)state;
	mxg_name_format(wire, sizeof(wire), out, sizeof(out));
	/* "a\255b" does not fit: keep "a", never "a\25". */
	assert_string_equal(out, "a");
	mxg_name_format(wire, sizeof(wire), out, 1);
	assert_string_equal(out, "");
}

/* Every byte value, formatted and parsed back, gives the same canonical name. */
static void test_format_round_trip(void **state)
{
	char text[MXG_NAME_TEXT_MAX];
	__u8 wire[MXG_NAME_MAX], back[MXG_NAME_MAX];
	__u32 len = 0, i;
	int c = 0;

	(void)state;
	while (c < 256) {
		__u32 start = len++, n = 0;

		for (; c < 256 && n < 60; c++, n++)
			wire[len++] = mxg_lower((__u8)c);
		wire[start] = (__u8)n;
		if (len > 200) {
			mxg_name_format(wire, len, text, sizeof(text));
			for (i = 0; text[i]; i++)
				assert_true(text[i] > 0x20 && text[i] < 0x7f);
			assert_int_equal(parse_ok(text, back), len);
			assert_memory_equal(back, wire, len);
			len = 0;
		}
	}
	mxg_name_format(wire, len, text, sizeof(text));
	assert_int_equal(parse_ok(text, back), len);
	assert_memory_equal(back, wire, len);
}

static void test_hash_fixed_vector(void **state)
{
	__u8 wire[MXG_NAME_MAX];
	__u32 len;

	(void)state;
	len = parse_ok("army.ml", wire);
	assert_int_equal(ref_hash(0, wire, len), ARMY_ML_HASH_SEED0);
	assert_int_equal(mxg_name_hash(0, wire, len), ARMY_ML_HASH_SEED0);
	/* The root name: the finaliser over the seed alone. */
	assert_int_equal(mxg_name_hash(0, wire, 0), ref_hash(0, wire, 0));
	assert_int_equal(mxg_name_hash(7, wire, 0), ref_hash(7, wire, 0));
}

static void test_hash_suffixes(void **state)
{
	const char *names[] = { "ml", "b.ml", "a.b.ml" };
	__u8 wire[MXG_NAME_MAX], part[MXG_NAME_MAX];
	__u64 hashes[MXG_LABELS_MAX], seed = 0x5eed;
	__u32 offsets[MXG_LABELS_MAX], len, plen;
	int i;

	(void)state;
	len = parse_ok("a.b.ml", wire);
	assert_int_equal(mxg_name_suffixes(seed, wire, len, hashes, offsets,
					   MXG_LABELS_MAX), 3);
	for (i = 0; i < 3; i++) {
		plen = parse_ok(names[i], part);
		assert_int_equal(offsets[i], len - plen);
		assert_int_equal(hashes[i], mxg_name_hash(seed, part, plen));
		assert_int_equal(hashes[i], ref_hash(seed, part, plen));
	}
	/* @max keeps the shortest suffixes, as the kernel meets them. */
	assert_int_equal(mxg_name_suffixes(seed, wire, len, hashes, offsets, 1),
			 1);
	assert_int_equal(offsets[0], 4);
	assert_int_equal(mxg_name_suffixes(seed, wire, 0, hashes, offsets,
					   MXG_LABELS_MAX), 0);
}

static void test_hash_distinct(void **state)
{
	__u8 html[MXG_NAME_MAX], ml[MXG_NAME_MAX], army[MXG_NAME_MAX];
	__u32 hlen, mlen, alen;
	__u64 hashes[4];
	__u32 offsets[4];

	(void)state;
	hlen = parse_ok("html", html);
	mlen = parse_ok("ml", ml);
	alen = parse_ok("army.ml", army);
	assert_int_not_equal(mxg_name_hash(0, html, hlen),
			     mxg_name_hash(0, ml, mlen));
	assert_int_not_equal(mxg_name_hash(0, army, alen),
			     mxg_name_hash(1, army, alen));
	/* "html" has one label: its only suffix is itself, never "ml". */
	assert_int_equal(mxg_name_suffixes(0, html, hlen, hashes, offsets, 4),
			 1);
	assert_int_not_equal(hashes[0], mxg_name_hash(0, ml, mlen));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_wire),
		cmocka_unit_test(test_parse_case_and_dot),
		cmocka_unit_test(test_parse_root),
		cmocka_unit_test(test_parse_escapes),
		cmocka_unit_test(test_parse_escape_errors),
		cmocka_unit_test(test_parse_empty_labels),
		cmocka_unit_test(test_parse_lengths),
		cmocka_unit_test(test_format_basic),
		cmocka_unit_test(test_format_hostile),
		cmocka_unit_test(test_format_malformed),
		cmocka_unit_test(test_format_truncates_whole_escapes),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_hash_fixed_vector),
		cmocka_unit_test(test_hash_suffixes),
		cmocka_unit_test(test_hash_distinct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
