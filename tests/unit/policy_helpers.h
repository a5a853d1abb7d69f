/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers the policy, lookalike and second-look tests share: capture what
 * pr_warn writes, load text, match names, compare wire names, temporary
 * directories.  Header-only, so the Makefile's one-file test rule holds.
 */
#ifndef MXGUARD_TEST_POLICY_HELPERS_H
#define MXGUARD_TEST_POLICY_HELPERS_H

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "name.h"
#include "policy.h"

/*
 * A stored rule's names, for assertions: rt_wire() hands out one of a few
 * buffers in turn, so two may be compared in one call.
 */
static inline const __u8 *rt_wire(const struct mxg_policy *p,
				  const struct mxg_policy_rule *r)
{
	static __u8 bufs[4][MXG_NAME_MAX];
	static unsigned int next;

	return mxg_rule_wire(p, r, bufs[next++ % 4]);
}

static inline const __u8 *rt_protected_wire(const struct mxg_policy *p,
					    const struct mxg_policy_rule *r)
{
	return mxg_rule_protected(p, r);
}

static inline __u32 rt_protected_len(const struct mxg_policy *p,
				     const struct mxg_policy_rule *r)
{
	return mxg_rule_protected_len(p, r);
}

static inline const char *rt_file(const struct mxg_policy *p,
				  const struct mxg_policy_rule *r)
{
	return mxg_rule_file(p, r);
}

/* What pr_warn wrote during the last captured call. */
static char warned[1 << 16];
static FILE *capture_file;
static int saved_stderr = -1;

static inline void capture_begin(void)
{
	fflush(stderr);
	capture_file = tmpfile();
	assert_non_null(capture_file);
	saved_stderr = dup(STDERR_FILENO);
	assert_true(saved_stderr >= 0);
	assert_true(dup2(fileno(capture_file), STDERR_FILENO) >= 0);
}

static inline void capture_end(void)
{
	size_t n;

	fflush(stderr);
	assert_true(dup2(saved_stderr, STDERR_FILENO) >= 0);
	close(saved_stderr);
	rewind(capture_file);
	n = fread(warned, 1, sizeof(warned) - 1, capture_file);
	warned[n] = '\0';
	fclose(capture_file);
}

static inline int load_text(struct mxg_policy *p, const char *text)
{
	int errors;

	capture_begin();
	errors = policy_load_buffer(p, "t.policy", text, strlen(text));
	capture_end();
	return errors;
}

static inline int load_path(struct mxg_policy *p, const char *path)
{
	int errors;

	capture_begin();
	errors = policy_load_path(p, path);
	capture_end();
	return errors;
}

static inline void parse_or_fail(const char *text, __u8 *wire, __u32 *len)
{
	const char *err;

	assert_int_equal(mxg_name_parse(text, wire, len, &err), 0);
}

/* The same, for a rule's lengths (bytes: struct mxg_policy_rule). */
static inline __u8 parse_len_or_fail(const char *text, __u8 *wire)
{
	__u32 len;

	parse_or_fail(text, wire, &len);
	return (__u8)len;
}

static inline int match(const struct mxg_policy *p, const char *text)
{
	__u8 wire[MXG_NAME_MAX];
	__u32 len;

	parse_or_fail(text, wire, &len);
	return policy_match(p, wire, len);
}

/* The rule matching @text, which must exist. */
static inline const struct mxg_policy_rule *
rule_for(const struct mxg_policy *p, const char *text)
{
	int i = match(p, text);

	if (i < 0)
		fail_msg("no rule matches '%s'", text);
	return &p->rules[i];
}

static inline void assert_wire(const __u8 *wire, __u32 len, const char *want)
{
	char text[MXG_NAME_TEXT_MAX];

	mxg_name_format(wire, len, text, sizeof(text));
	assert_string_equal(text, want);
}

static inline void write_file(const char *dir, const char *name,
			      const char *text, mode_t mode)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static inline int dir_setup(void **state)
{
	char *dir = strdup("/tmp/mxguard-policy-XXXXXX");

	if (!dir || !mkdtemp(dir))
		return -1;
	*state = dir;
	return 0;
}

static inline int dir_teardown(void **state)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (char *)*state);
	free(*state);
	return system(cmd) ? -1 : 0;
}

#endif
