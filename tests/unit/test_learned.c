// SPDX-License-Identifier: GPL-2.0-only
/* The second look's findings: the cap, expiry, the state file. */
#include <errno.h>

#include "learned.h"
#include "log.h"
#include "lookalike.h"
#include "mxguard/abi.h"
#include "policy_helpers.h"

static struct mxg_finding finding(const char *name, const char *prot,
				  long long first, long long expires)
{
	struct mxg_finding f;

	memset(&f, 0, sizeof(f));
	parse_or_fail(name, f.name, &f.len);
	parse_or_fail(prot, f.protected_name, &f.protected_len);
	f.method = MXG_ORIGIN_EDIT_DISTANCE;
	f.action = MXG_ACTION_BLOCK;
	f.distance = 1;
	f.first_seen = first;
	f.expires = expires;
	f.rule = 7;
	return f;
}

static void test_line_round_trip(void **state)
{
	struct mxg_finding f = finding("dhs.com", "dhl.com", 100, 200), g;
	char line[4096];
	const char *err;

	(void)state;
	learned_format(&f, line, sizeof(line));
	assert_string_equal(line, "dhs.com dhl.com edit-distance 1 block 100 "
				  "200");
	assert_int_equal(learned_parse(line, &g, &err), 0);
	assert_int_equal(g.len, f.len);
	assert_memory_equal(g.name, f.name, f.len);
	assert_int_equal(g.method, MXG_ORIGIN_EDIT_DISTANCE);
	assert_int_equal(g.action, MXG_ACTION_BLOCK);
	assert_int_equal(g.first_seen, 100);
	assert_int_equal(g.expires, 200);
	assert_int_equal(g.rule, -1);		/* not in any policy yet */

	/* A hostile name: spaces and newlines stay escaped, on one line. */
	f = finding("a\\032b\\010c.example", "example.com", 1, 2);
	f.method = MXG_ORIGIN_SKELETON;
	f.action = MXG_ACTION_ALERT;
	learned_format(&f, line, sizeof(line));
	assert_null(strchr(line, '\n'));
	assert_string_equal(line, "a\\032b\\010c.example example.com skeleton 1 "
				  "alert 1 2");
	assert_int_equal(learned_parse(line, &g, &err), 0);
	assert_memory_equal(g.name, f.name, f.len);
	assert_int_equal(g.method, MXG_ORIGIN_SKELETON);

	assert_int_equal(learned_parse("dhs.com dhl.com typo 1 block 1 2", &g,
				       &err), -EINVAL);
	assert_string_equal(err, "method is skeleton, edit-distance or "
				 "correspondent");
	assert_int_equal(learned_parse("dhs.com dhl.com skeleton 1 drop 1 2",
				       &g, &err), -EINVAL);
	assert_int_equal(learned_parse("dhs.com dhl.com skeleton 1 block 1 2 x",
				       &g, &err), -EINVAL);
	assert_int_equal(learned_parse("a..b dhl.com skeleton 1 block 1 2", &g,
				       &err), -EINVAL);
}

/* At the cap the oldest finding makes room. */
static void test_cap(void **state)
{
	struct mxg_finding f, gone;
	struct mxg_learned l;
	char name[32];
	int i;

	(void)state;
	assert_int_equal(learned_init(&l, 4), 0);
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "n%d.example", i);
		f = finding(name, "example.com", i, 1000);
		assert_int_equal(learned_add(&l, &f, &gone), 0);
	}
	f = finding("n4.example", "example.com", 4, 1000);
	assert_int_equal(learned_add(&l, &f, &gone), 1);
	assert_int_equal(l.n, 4);
	assert_wire(gone.name, gone.len, "n0.example");
	assert_wire(l.f[0].name, l.f[0].len, "n1.example");
	assert_wire(l.f[3].name, l.f[3].len, "n4.example");
	assert_int_equal(learned_find(&l, f.name, f.len), 3);
	learned_remove(&l, 1);
	assert_int_equal(l.n, 3);
	assert_wire(l.f[1].name, l.f[1].len, "n3.example");
	learned_free(&l);
}

static void test_expiry(void **state)
{
	struct mxg_finding f, gone;
	struct mxg_learned l;

	(void)state;
	assert_int_equal(learned_init(&l, 8), 0);
	f = finding("a.example", "example.com", 0, 100);
	learned_add(&l, &f, &gone);
	f = finding("b.example", "example.com", 0, 50);
	learned_add(&l, &f, &gone);
	assert_int_equal(learned_expired(&l, 49), -1);
	assert_int_equal(learned_expired(&l, 50), 1);
	learned_remove(&l, 1);
	assert_int_equal(learned_expired(&l, 99), -1);
	assert_int_equal(learned_expired(&l, 100), 0);
	learned_free(&l);
}

static void state_path(void **state, char *path, size_t sz)
{
	snprintf(path, sz, "%s/state/learned", (char *)*state);
}

/* Saved atomically into a directory it makes, and read back. */
static void test_save_load(void **state)
{
	struct mxg_learned l, back;
	struct mxg_finding f, gone;
	char path[1024], tmp[4300];
	struct stat st;

	state_path(state, path, sizeof(path));
	assert_int_equal(learned_init(&l, 8), 0);
	f = finding("dhs.com", "dhl.com", 10, 1000);
	learned_add(&l, &f, &gone);
	f = finding("usps.com", "ups.com", 20, 30);	/* expires first */
	learned_add(&l, &f, &gone);
	assert_int_equal(learned_save(&l, path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(access(tmp, F_OK), -1);

	assert_int_equal(learned_init(&back, 8), 0);
	assert_int_equal(learned_load(&back, path, 25), 2);
	assert_int_equal(back.f[1].first_seen, 20);
	learned_free(&back);
	/* An expired finding does not come back. */
	assert_int_equal(learned_init(&back, 8), 0);
	assert_int_equal(learned_load(&back, path, 30), 1);
	assert_wire(back.f[0].name, back.f[0].len, "dhs.com");
	assert_int_equal(back.f[0].rule, -1);
	learned_free(&back);
	/* Past the cap the newest stay. */
	assert_int_equal(learned_init(&back, 1), 0);
	assert_int_equal(learned_load(&back, path, 25), 1);
	assert_wire(back.f[0].name, back.f[0].len, "usps.com");
	learned_free(&back);
	learned_free(&l);
}

/* A missing file is an empty list; a broken line is skipped, and said. */
static void test_load_lines(void **state)
{
	struct mxg_learned l;
	char path[1024];

	state_path(state, path, sizeof(path));
	assert_int_equal(learned_init(&l, 8), 0);
	assert_int_equal(learned_load(&l, "/nonexistent/learned", 0), 0);
	mkdir(strcat(strcpy(path, *state), "/state"), 0700);
	write_file(path, "learned", "# comment\n\n"
		   "dhs.com dhl.com edit-distance 1 block 1 100\n"
		   "dhs.com dhl.com edit-distance 1 block 1 100\n"
		   "garbage\n", 0600);
	state_path(state, path, sizeof(path));
	capture_begin();
	assert_int_equal(learned_load(&l, path, 0), 1);
	capture_end();
	assert_non_null(strstr(warned, "learned:5: expected: name protected"));
	learned_free(&l);
}

/* Anyone but us may write it: not believed at all. */
static void test_refuse_writable(void **state)
{
	struct mxg_learned l;
	char path[1024];

	state_path(state, path, sizeof(path));
	mkdir(strcat(strcpy(path, *state), "/state"), 0700);
	write_file(path, "learned",
		   "dhs.com dhl.com edit-distance 1 block 1 100\n", 0620);
	state_path(state, path, sizeof(path));
	assert_int_equal(learned_init(&l, 8), 0);
	capture_begin();
	assert_int_equal(learned_load(&l, path, 0), -EPERM);
	capture_end();
	assert_non_null(strstr(warned, "refusing learned findings"));
	assert_int_equal(l.n, 0);
	learned_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_round_trip),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test_setup_teardown(test_save_load, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_load_lines, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_refuse_writable, dir_setup,
						dir_teardown),
	};

	log_init("test", LOG_LVL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
