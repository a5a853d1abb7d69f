// SPDX-License-Identifier: GPL-2.0-only
/* The second look: edit distance, confusable skeletons, what never counts. */
#include <errno.h>

#include "idn.h"
#include "log.h"
#include "lookalike.h"
#include "policy_helpers.h"
#include "secondlook.h"
#include "similar.h"

static unsigned int distance(const char *a, const char *b)
{
	uint32_t x[256], y[256];
	int nx = idn_utf8_decode(a, strlen(a), x, 256);
	int ny = idn_utf8_decode(b, strlen(b), y, 256);

	assert_true(nx >= 0 && ny >= 0);
	return secondlook_distance(x, nx, y, ny);
}

static void test_distance(void **state)
{
	(void)state;
	assert_int_equal(distance("gmail", "gmail"), 0);
	assert_int_equal(distance("gmail", "gmial"), 1);	/* transposed */
	assert_int_equal(distance("gmail", "gmai"), 1);
	assert_int_equal(distance("gmail", "gmaill"), 1);
	assert_int_equal(distance("gmail", "gnail"), 1);
	assert_int_equal(distance("kitten", "sitting"), 3);
	assert_int_equal(distance("", "abc"), 3);
	/* Unrestricted: a transposed pair may be edited again. */
	assert_int_equal(distance("ca", "abc"), 2);
	/* Code points, not bytes: a Cyrillic а is one edit. */
	assert_int_equal(distance("gmаil.com", "gmail.com"), 1);
}

static void test_skeleton(void **state)
{
	char a[256], b[256];

	(void)state;
	assert_true(secondlook_skeleton("gmаil.com", a, sizeof(a)) > 0);
	assert_true(secondlook_skeleton("gmail.com", b, sizeof(b)) > 0);
	assert_string_equal(a, b);
	assert_true(secondlook_skeleton("rnicrosoft", a, sizeof(a)) > 0);
	assert_true(secondlook_skeleton("microsoft", b, sizeof(b)) > 0);
	assert_string_equal(a, b);
	assert_true(secondlook_skeleton("gmx.net", a, sizeof(a)) > 0);
	assert_string_not_equal(a, b);
}

static struct mxg_policy policy;

static int policy_setup(void **state)
{
	(void)state;
	policy_init(&policy);
	return load_text(&policy, "protect gmail.com fuzz=transposition\n"
				  "protect protonmail.com fuzz=omission\n"
				  "protect microsoft.com fuzz=plural\n"
				  "lookalike ml of mil action=block\n"
				  "allow mail.com\n") ? -1 : 0;
}

static int policy_teardown(void **state)
{
	(void)state;
	policy_free(&policy);
	return 0;
}

static struct mxg_secondlook_finding found[8];

static int look(const char *name, const struct mxg_secondlook_opts *o)
{
	__u8 wire[MXG_NAME_MAX];
	__u32 len;

	parse_or_fail(name, wire, &len);
	return secondlook_check(&policy, o, wire, len, found, 8);
}

static void assert_found(const char *name, const char *prot, int method,
			 unsigned int dist)
{
	if (look(name, NULL) != 1)
		fail_msg("'%s': expected one finding", name);
	assert_wire(found[0].protected_wire, found[0].protected_len, prot);
	assert_int_equal(found[0].method, method);
	assert_int_equal(found[0].distance, dist);
}

static void test_edit_distance(void **state)
{
	struct mxg_secondlook_opts o;

	(void)state;
	assert_found("gmial.com", "gmail.com", MXG_ORIGIN_EDIT_DISTANCE, 1);
	assert_found("mx1.gmaill.com", "gmail.com", MXG_ORIGIN_EDIT_DISTANCE,
		     1);
	assert_found("gmail.co", "gmail.com", MXG_ORIGIN_EDIT_DISTANCE, 1);
	/* Ten letters allow two edits; five allow one. */
	assert_found("portonmial.com", "protonmail.com",
		     MXG_ORIGIN_EDIT_DISTANCE, 2);
	/* A label edit under a TLD neighbour counts two; not two edits. */
	assert_found("gmaiil.co", "gmail.com", MXG_ORIGIN_EDIT_DISTANCE, 2);
	assert_int_equal(look("gmaiiil.co", NULL), 0);
	assert_int_equal(look("gmaiil.net", NULL), 0);
	/*
	 * The first letter of a letter and a word ("g" "mail", words.h) is
	 * the brand: no other, not even a key next to it.
	 */
	assert_int_equal(look("amail.com", NULL), 0);
	assert_int_equal(look("fmail.com", NULL), 0);
	/* "rotonmail" is no word: any letter there, or before the label. */
	assert_found("xrotonmail.com", "protonmail.com",
		     MXG_ORIGIN_EDIT_DISTANCE, 1);
	assert_found("aprotonmail.com", "protonmail.com",
		     MXG_ORIGIN_EDIT_DISTANCE, 1);
	secondlook_defaults(&o);
	o.similar_flags = SIMILAR_F_ANY_FIRST;
	assert_int_equal(look("amail.com", &o), 1);
	/* Protected TLDs are the policy's business, not the second look's. */
	assert_int_equal(look("army.ml", NULL), 0);
}

/* An IDN homograph of gmail.com: the skeletons are the same. */
static void test_skeleton_match(void **state)
{
	(void)state;
	assert_found("xn--gmil-63d.com", "gmail.com", MXG_ORIGIN_SKELETON, 1);
	/* Two Cyrillic letters: two edits away, yet it looks the same. */
	assert_found("xn--gml-7cd4q.com", "gmail.com", MXG_ORIGIN_SKELETON, 2);
	assert_found("rnicrosoft.com", "microsoft.com", MXG_ORIGIN_SKELETON,
		     2);
	assert_found("gmai1.com", "gmail.com", MXG_ORIGIN_SKELETON, 1);
}

static void test_registrable_offset(void **state)
{
	__u8 wire[MXG_NAME_MAX];
	__u32 len, off;

	(void)state;
	parse_or_fail("mx1.gmial.com", wire, &len);
	off = secondlook_registrable_offset(wire, len);
	assert_wire(wire + off, len - off, "gmial.com");
	parse_or_fail("a.b.example.co.uk", wire, &len);
	off = secondlook_registrable_offset(wire, len);
	assert_wire(wire + off, len - off, "example.co.uk");
	parse_or_fail("co.uk", wire, &len);
	assert_int_equal(secondlook_registrable_offset(wire, len), 0);
}

static void test_no_finding(void **state)
{
	(void)state;
	/* Protected, under a protected domain, or allowed. */
	assert_int_equal(look("gmail.com", NULL), 0);
	assert_int_equal(look("smtp.gmail.com", NULL), 0);
	assert_int_equal(look("mail.com", NULL), 0);
	assert_int_equal(look("mx.mail.com", NULL), 0);
	assert_int_equal(look("army.mil", NULL), 0);
	/* Unrelated. */
	assert_int_equal(look("example.org", NULL), 0);
	assert_int_equal(look("gmx.net", NULL), 0);
	assert_int_equal(look("outlook.com", NULL), 0);
	assert_int_equal(look("mx.mali-mail.net", NULL), 0);
	assert_int_equal(look("xn--bcher-kva.example", NULL), 0);
}

/* Two protected names near one seen name: the closest comes first. */
static void test_closest_first(void **state)
{
	struct mxg_secondlook_finding one;
	struct mxg_policy p;
	__u8 wire[MXG_NAME_MAX];
	__u32 len;

	(void)state;
	policy_init(&p);
	assert_int_equal(load_text(&p, "protect abcdefghij.com fuzz=plural\n"
				       "protect abcdefghik.com fuzz=plural\n"),
			 0);
	parse_or_fail("abcdefghikx.com", wire, &len);
	assert_int_equal(secondlook_check(&p, NULL, wire, len, found, 8), 2);
	assert_int_equal(found[0].distance, 1);
	assert_wire(found[0].protected_wire, found[0].protected_len,
		    "abcdefghik.com");
	assert_int_equal(found[1].distance, 2);
	assert_int_equal(secondlook_check(&p, NULL, wire, len, &one, 1), 1);
	assert_int_equal(one.distance, 1);
	policy_free(&p);
}

/* The daemon's way: a finding becomes a rule for the registrable part. */
static void test_add_finding(void **state)
{
	struct mxg_rule_spec r = { .kind = MXG_RULE_LOOKALIKE,
				   .action = MXG_ACTION_BLOCK };
	__u8 wire[MXG_NAME_MAX];
	__u32 len, off;
	int idx;

	(void)state;
	parse_or_fail("mx.gmaiil.com", wire, &len);
	assert_int_equal(secondlook_check(&policy, NULL, wire, len, found, 8),
			 1);
	off = secondlook_registrable_offset(wire, len);
	r.wire = wire + off;
	r.wire_len = len - off;
	r.protected_wire = found[0].protected_wire;
	r.protected_len = found[0].protected_len;
	r.origin = found[0].method;
	idx = policy_add(&policy, &r);
	assert_true(idx >= 0);
	memset(wire, 0, sizeof(wire));		/* the policy has its copy */
	assert_int_equal(match(&policy, "www.gmaiil.com"), idx);
	assert_string_equal(lookalike_fuzzer_name(policy.rules[idx].origin),
			    "edit-distance");
	/* Interned: the same bytes as the protect directive's name. */
	assert_ptr_equal(rt_protected_wire(&policy, &policy.rules[idx]),
			 policy.protects[0].wire);
	/* The stored rule, as a spec again, is its own duplicate. */
	mxg_rule_spec_of(&policy, &policy.rules[idx], wire, &r);
	assert_int_equal(policy_add(&policy, &r), -EEXIST);
}

/* A finding takes the action of the name it imitates. */
static void test_action(void **state)
{
	struct mxg_secondlook_index *ix;
	struct mxg_policy p;
	__u8 wire[MXG_NAME_MAX];
	__u32 len;

	(void)state;
	policy_init(&p);
	assert_int_equal(load_text(&p, "protect ups.com\n"
				       "protect dhl.com action=block\n"
				       "lookalike gmial.com of gmail.com "
				       "action=block\n"
				       "lookalike gmaill.com of gmail.com\n"
				       "lookalike xample.org of example.org\n"),
			 0);
	parse_or_fail("usps.com", wire, &len);
	assert_int_equal(secondlook_check(&p, NULL, wire, len, found, 1), 1);
	assert_wire(found[0].protected_wire, found[0].protected_len,
		    "ups.com");
	assert_int_equal(found[0].action, MXG_ACTION_ALERT);
	parse_or_fail("dhs.com", wire, &len);
	assert_int_equal(secondlook_check(&p, NULL, wire, len, found, 1), 1);
	assert_int_equal(found[0].action, MXG_ACTION_BLOCK);
	/* No protect line: the strictest hand-written rule naming it. */
	parse_or_fail("gmai1.com", wire, &len);
	assert_int_equal(secondlook_check(&p, NULL, wire, len, found, 1), 1);
	assert_int_equal(found[0].action, MXG_ACTION_BLOCK);
	parse_or_fail("exarnple.org", wire, &len);
	assert_int_equal(secondlook_check(&p, NULL, wire, len, found, 1), 1);
	assert_int_equal(found[0].action, MXG_ACTION_ALERT);
	ix = secondlook_index(&p, NULL);
	assert_non_null(ix);
	parse_or_fail("dhl.com", wire, &len);
	assert_int_equal(secondlook_action_of(ix, wire, len), MXG_ACTION_BLOCK);
	parse_or_fail("ups.com", wire, &len);
	assert_int_equal(secondlook_action_of(ix, wire, len), MXG_ACTION_ALERT);
	parse_or_fail("fedex.com", wire, &len);
	assert_int_equal(secondlook_action_of(ix, wire, len), -1);
	secondlook_index_free(ix);
	policy_free(&p);
}

/* Made-up labels from a fixed generator, and names a few edits off them. */
static unsigned int rnd_state = 1;

static unsigned int rnd(unsigned int n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 16) % n;
}

static void rnd_label(char *out, int len)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz0123456789-";
	int i;

	for (i = 0; i < len; i++)
		out[i] = set[rnd(i && i < len - 1 ? 37 : 36)];
	out[len] = '\0';
}

/* Up to three random edits, transpositions and confusables included. */
static void perturb(char *label)
{
	static const char *const swaps[][2] = { { "l", "1" }, { "o", "0" },
						{ "m", "rn" }, { "i", "l" } };
	int edits = rnd(4), n, at, e;
	char tmp[80];

	for (e = 0; e < edits; e++) {
		n = strlen(label);
		at = rnd(n);
		switch (rnd(5)) {
		case 0:		/* delete */
			if (n > 1)
				memmove(label + at, label + at + 1, n - at);
			break;
		case 1:		/* insert */
			memmove(label + at + 1, label + at, n - at + 1);
			label[at] = 'a' + rnd(26);
			break;
		case 2:		/* substitute */
			label[at] = 'a' + rnd(26);
			break;
		case 3:		/* transpose */
			if (at + 1 < n) {
				char c = label[at];

				label[at] = label[at + 1];
				label[at + 1] = c;
			}
			break;
		default: {	/* a confusable */
			const char *const *sw = swaps[rnd(4)];
			char *hit = strstr(label, sw[0]);

			if (hit && strlen(label) < 60) {
				snprintf(tmp, sizeof(tmp), "%.*s%s%s",
					 (int)(hit - label), label, sw[1],
					 hit + strlen(sw[0]));
				strcpy(label, tmp);
			}
		}
		}
	}
}

/*
 * The reach table only narrows whom a name is compared with: its findings
 * are those of a comparison with every protected name.
 */
static void test_index_same_as_scan(void **state)
{
	static char text[64 * 1024], labels[300][64];
	struct mxg_secondlook_finding a[8], b[8];
	struct mxg_secondlook_index *ix;
	struct mxg_policy p;
	__u8 wire[MXG_NAME_MAX];
	char name[128];
	size_t len = 0;
	int i, j, na, nb, compared = 0, found_some = 0;
	__u32 wlen;

	(void)state;
	for (i = 0; i < 300; i++) {
		rnd_label(labels[i], 3 + rnd(12));
		len += snprintf(text + len, sizeof(text) - len,
				"protect %s.com fuzz=plural\n", labels[i]);
	}
	policy_init(&p);
	assert_int_equal(load_text(&p, text), 0);
	ix = secondlook_index(&p, NULL);
	assert_non_null(ix);
	assert_int_equal(secondlook_index_size(ix), 300);
	for (i = 0; i < 6000; i++) {
		snprintf(name, sizeof(name), "%s", labels[rnd(300)]);
		perturb(name);
		strcat(name, rnd(4) ? ".com" : ".co");
		if (mxg_name_parse(name, wire, &wlen, &(const char *){ 0 }))
			continue;
		na = secondlook_check(&p, NULL, wire, wlen, a, 8);
		nb = secondlook_match(&p, ix, wire, wlen, b, 8);
		if (na != nb)
			fail_msg("%s: %d findings scanning, %d indexed", name,
				 na, nb);
		for (j = 0; j < na; j++) {
			assert_ptr_equal(a[j].protected_wire,
			                 b[j].protected_wire);
			assert_int_equal(a[j].method, b[j].method);
			assert_int_equal(a[j].distance, b[j].distance);
		}
		compared++;
		found_some += na > 0;
	}
	/* Both kinds of name were met: the comparison meant something. */
	assert_true(compared > 5000);
	assert_true(found_some > 1000 && found_some < compared - 500);
	secondlook_index_free(ix);
	policy_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_distance),
		cmocka_unit_test(test_skeleton),
		cmocka_unit_test(test_edit_distance),
		cmocka_unit_test(test_skeleton_match),
		cmocka_unit_test(test_registrable_offset),
		cmocka_unit_test(test_closest_first),
		cmocka_unit_test(test_no_finding),
		cmocka_unit_test(test_action),
		cmocka_unit_test(test_index_same_as_scan),
		cmocka_unit_test(test_add_finding),	/* changes the policy */
	};

	log_init("test", LOG_LVL_WARN);
	return cmocka_run_group_tests(tests, policy_setup, policy_teardown);
}
