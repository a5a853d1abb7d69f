// SPDX-License-Identifier: GPL-2.0-only
/*
 * File secrecy: the configuration, policy files, included files and the
 * directories policies are read from must be owned by root (or by us) and
 * writable by neither group nor others.  Files are chmod'ed and chown'ed
 * in a temporary directory; chown to another uid needs root, which
 * `make check` has (a run without it fails those cases, it does not skip).
 */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "policy_helpers.h"

#define NOBODY 65534

/* Loading @path fails, naming @named (the file or directory at fault). */
static void expect_refused_at(const char *path, const char *named,
			      const char *why)
{
	struct mxg_policy p;
	char want[8192];

	policy_init(&p);
	assert_int_equal(load_path(&p, path), 1);
	snprintf(want, sizeof(want), "test: %s: refusing: %s\n", named, why);
	assert_string_equal(warned, want);
	assert_int_equal(p.n, 0);
	policy_free(&p);
}

static void expect_refused(const char *path, const char *why)
{
	expect_refused_at(path, path, why);
}

static void expect_loads(const char *path, size_t rules)
{
	struct mxg_policy p;

	policy_init(&p);
	assert_int_equal(load_path(&p, path), 0);
	assert_string_equal(warned, "");
	assert_int_equal(p.n, rules);
	policy_free(&p);
}

static void path_of(char *out, size_t sz, const char *dir, const char *name)
{
	assert_true((size_t)snprintf(out, sz, "%s/%s", dir, name) < sz);
}

static void test_policy_file_modes(void **state)
{
	const char *dir = *state;
	char path[1024];

	path_of(path, sizeof(path), dir, "a.policy");
	write_file(dir, "a.policy", "allow a.ml\n", 0644);
	expect_loads(path, 1);
	assert_int_equal(chmod(path, 0664), 0);
	expect_refused(path, "group-writable");
	assert_int_equal(chmod(path, 0646), 0);
	expect_refused(path, "anyone may write");
	assert_int_equal(chmod(path, 0666), 0);
	expect_refused(path, "group-writable, anyone may write");
	/* Read-only for the group is fine; so is a file only we may read. */
	assert_int_equal(chmod(path, 0400), 0);
	expect_loads(path, 1);
}

static void test_policy_file_owner(void **state)
{
	const char *dir = *state;
	char path[1024], why[64];

	path_of(path, sizeof(path), dir, "a.policy");
	write_file(dir, "a.policy", "allow a.ml\n", 0644);
	assert_int_equal(chown(path, NOBODY, NOBODY), 0);
	snprintf(why, sizeof(why), "owner uid %d", NOBODY);
	expect_refused(path, why);
	assert_int_equal(chmod(path, 0664), 0);
	snprintf(why, sizeof(why), "owner uid %d, group-writable", NOBODY);
	expect_refused(path, why);
	/* Group ownership alone grants nothing when the group cannot write. */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(chown(path, 0, NOBODY), 0);
	expect_loads(path, 1);
}

/* A directory's writers may add a policy: it is checked like a file. */
static void test_policy_dir(void **state)
{
	const char *dir = *state;
	char sub[1024], why[64];

	path_of(sub, sizeof(sub), dir, "policies.d");
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(chmod(sub, 0755), 0);
	write_file(sub, "a.policy", "allow a.ml\n", 0644);
	expect_loads(sub, 1);
	assert_int_equal(chmod(sub, 0775), 0);
	expect_refused(sub, "group-writable");
	assert_int_equal(chmod(sub, 0757), 0);
	expect_refused(sub, "anyone may write");
	assert_int_equal(chmod(sub, 0755), 0);
	assert_int_equal(chown(sub, NOBODY, 0), 0);
	snprintf(why, sizeof(why), "owner uid %d", NOBODY);
	expect_refused(sub, why);
}

/* A bad file inside a good directory is refused by its own name. */
static void test_policy_dir_entry(void **state)
{
	const char *dir = *state;
	char sub[1024], path[1024];

	path_of(sub, sizeof(sub), dir, "policies.d");
	assert_int_equal(mkdir(sub, 0755), 0);
	write_file(sub, "a.policy", "allow a.ml\n", 0644);
	write_file(sub, "b.policy", "allow b.ml\n", 0620);
	path_of(path, sizeof(path), sub, "b.policy");
	expect_refused_at(sub, path, "group-writable");
}

static void test_include_checked(void **state)
{
	const char *dir = *state;
	char top[1024], inc[1024], sub[1024], why[64];

	write_file(dir, "top.policy", "include inc.policy\nallow a.ml\n",
		   0644);
	write_file(dir, "inc.policy", "allow b.ml\n", 0644);
	path_of(top, sizeof(top), dir, "top.policy");
	path_of(inc, sizeof(inc), dir, "inc.policy");
	expect_loads(top, 2);
	assert_int_equal(chown(inc, NOBODY, NOBODY), 0);
	snprintf(why, sizeof(why), "owner uid %d", NOBODY);
	/* The include is what is named, and nothing of top is kept. */
	expect_refused_at(top, inc, why);

	/* An included directory, too. */
	path_of(sub, sizeof(sub), dir, "inc.d");
	assert_int_equal(mkdir(sub, 0755), 0);
	write_file(sub, "c.policy", "allow c.ml\n", 0644);
	write_file(dir, "top.policy", "include inc.d\n", 0644);
	expect_loads(top, 1);
	assert_int_equal(chmod(sub, 0775), 0);
	expect_refused_at(top, sub, "group-writable");
}

static int conf_errors(const char *path, int required)
{
	struct mxg_conf c;
	int errors;

	conf_defaults(&c);
	capture_begin();
	errors = conf_load(&c, path, required);
	capture_end();
	conf_free(&c);
	return errors;
}

static void test_config_file(void **state)
{
	const char *dir = *state;
	char path[1024], want[8192];

	write_file(dir, "mxguard.conf", "mode = alert\n", 0640);
	path_of(path, sizeof(path), dir, "mxguard.conf");
	assert_int_equal(conf_errors(path, 1), 0);
	assert_string_equal(warned, "");
	assert_int_equal(chmod(path, 0660), 0);
	assert_int_equal(conf_errors(path, 1), 1);
	snprintf(want, sizeof(want), "test: %s: refusing: group-writable\n",
		 path);
	assert_string_equal(warned, want);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(chown(path, NOBODY, 0), 0);
	assert_int_equal(conf_errors(path, 1), 1);
	snprintf(want, sizeof(want), "test: %s: refusing: owner uid %d\n",
		 path, NOBODY);
	assert_string_equal(warned, want);
	/* /dev/null stays a fine empty configuration. */
	assert_int_equal(conf_errors("/dev/null", 1), 0);
}

/* What daemon_load_policy asks first, by path: the same answers. */
static void test_conf_check_perms(void **state)
{
	const char *dir = *state;
	char path[1024], want[8192];

	write_file(dir, "a.policy", "allow a.ml\n", 0644);
	path_of(path, sizeof(path), dir, "a.policy");
	capture_begin();
	assert_int_equal(conf_check_perms(path), 0);
	assert_int_equal(conf_check_perms(dir), 0);
	capture_end();
	assert_string_equal(warned, "");
	assert_int_equal(chmod(dir, 0770), 0);
	capture_begin();
	assert_int_equal(conf_check_perms(dir), -EPERM);
	capture_end();
	snprintf(want, sizeof(want), "test: %s: refusing: group-writable\n",
		 dir);
	assert_string_equal(warned, want);
	assert_int_equal(chmod(dir, 0700), 0);
	path_of(path, sizeof(path), dir, "missing.policy");
	capture_begin();
	assert_int_equal(conf_check_perms(path), -ENOENT);
	capture_end();
	snprintf(want, sizeof(want), "test: %s: No such file or directory\n",
		 path);
	assert_string_equal(warned, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_policy_file_modes,
						dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_policy_file_owner,
						dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_policy_dir, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_policy_dir_entry,
						dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_include_checked,
						dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_config_file, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_conf_check_perms,
						dir_setup, dir_teardown),
	};

	log_init("test", LOG_LVL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
