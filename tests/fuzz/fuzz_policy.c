// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: any bytes as a policy file.  Besides memory errors it
 * checks what the parser promises: a file with errors loads nothing; every
 * rule, hand-written or generated, matches itself; no protected name is
 * flagged; and a second load of the same bytes changes nothing (an error
 * when the file has a hand-written rule, which is then a duplicate).
 * Includes are refused, so an input cannot make the target read files.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "log.h"
#include "policy.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("fuzz", -1);	/* below LOG_LVL_WARN: silence every message */
	return 0;
}

static void check(const struct mxg_policy *p)
{
	const struct mxg_protect *pr;
	size_t i;
	int m;

	for (i = 0; i < p->n; i++)
		if (policy_match(p, p->rules[i].wire, p->rules[i].wire_len) !=
		    (int)i)
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
