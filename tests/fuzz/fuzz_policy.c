// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: any bytes as a policy file.  Besides memory errors it
 * checks what the parser promises: a file with errors loads nothing, and
 * every loaded rule matches itself.
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mxg_policy p;
	size_t i;
	int errors;

	policy_init(&p);
	errors = policy_load_buffer(&p, "fuzz.policy", (const char *)data,
				    size);
	if (errors && p.n)
		abort();
	for (i = 0; i < p.n; i++)
		if (policy_match(&p, p.rules[i].wire, p.rules[i].wire_len) !=
		    (int)i)
			abort();
	policy_free(&p);
	return 0;
}
