// SPDX-License-Identifier: GPL-2.0-only
/*
 * Correspondents: counts and days, the frequent threshold, the cap, the
 * learning window, the names never learnt, and the state file.
 */
#include <errno.h>

#include "config.h"
#include "correspondents.h"
#include "log.h"
#include "lookalike.h"
#include "mxguard/abi.h"
#include "policy_helpers.h"

#define DAY	86400LL
#define T0	(20000 * DAY + 3600)	/* an hour into a UTC day */

static void opts(struct mxg_corr_opts *o, size_t max, long long window)
{
	corr_defaults(o);
	o->max = max;
	o->window_s = window;
}

static int seen(struct mxg_correspondents *t, const char *name,
		long long now, struct mxg_corr_finding *f)
{
	struct mxg_corr_finding spare;
	__u8 wire[MXG_NAME_MAX];
	__u32 len;

	parse_or_fail(name, wire, &len);
	return corr_observe(t, wire, len, now, f ? f : &spare);
}

static const struct mxg_correspondent *
get(const struct mxg_correspondents *t, const char *name)
{
	__u8 wire[MXG_NAME_MAX];
	__u32 len;
	long i;

	parse_or_fail(name, wire, &len);
	i = corr_find(t, wire, len);
	return i < 0 ? NULL : &t->c[i];
}

static int add(struct mxg_correspondents *t, const char *name)
{
	__u8 wire[MXG_NAME_MAX];
	__u32 len;

	parse_or_fail(name, wire, &len);
	return corr_add(t, wire, len, T0);
}

/* The registrable domain counts, per lookup and per distinct UTC day. */
static void test_counts(void **state)
{
	struct mxg_correspondents t;
	struct mxg_corr_opts o;
	const struct mxg_correspondent *c;

	(void)state;
	opts(&o, 16, 0);
	assert_int_equal(corr_init(&t, &o, T0), 0);
	assert_int_equal(seen(&t, "example.org", T0, NULL), CORR_LEARNT);
	assert_int_equal(seen(&t, "mx.example.org", T0 + 60, NULL),
			 CORR_COUNTED);
	assert_int_equal(seen(&t, "example.org", T0 + 120, NULL),
			 CORR_COUNTED);
	c = get(&t, "example.org");
	assert_non_null(c);
	assert_int_equal(c->count, 3);
	assert_int_equal(c->days, 1);
	assert_int_equal(c->first_seen, T0);
	assert_int_equal(c->last_seen, T0 + 120);
	assert_false(corr_is_frequent(&t, c));	/* 3 lookups, one day */
	assert_int_equal(seen(&t, "example.org", T0 + 180, NULL),
			 CORR_COUNTED);
	assert_int_equal(seen(&t, "example.org", T0 + 240, NULL),
			 CORR_COUNTED);
	assert_false(corr_is_frequent(&t, get(&t, "example.org")));
	/* A second day makes it a habit: 5 lookups on 2 days. */
	seen(&t, "example.org", T0 + DAY, NULL);
	c = get(&t, "example.org");
	assert_int_equal(c->days, 2);
	assert_true(corr_is_frequent(&t, c));
	/* Public suffixes are no correspondents. */
	assert_int_equal(seen(&t, "co.uk", T0, NULL), CORR_SKIPPED);
	assert_int_equal(seen(&t, "shop.example.co.uk", T0, NULL),
			 CORR_LEARNT);
	assert_non_null(get(&t, "example.co.uk"));
	assert_int_equal(t.n, 2);
	corr_free(&t);
}

/* At the cap the least used goes: lowest count, then longest unseen. */
static void test_cap(void **state)
{
	struct mxg_correspondents t;
	struct mxg_corr_opts o;
	int i;

	(void)state;
	opts(&o, 3, 0);
	assert_int_equal(corr_init(&t, &o, T0), 0);
	for (i = 0; i < 4; i++)
		seen(&t, "busy.example", T0 + i, NULL);
	seen(&t, "older.example", T0 + 10, NULL);
	seen(&t, "newer.example", T0 + 20, NULL);
	assert_int_equal(seen(&t, "fresh.example", T0 + 30, NULL),
			 CORR_LEARNT);
	assert_int_equal(t.n, 3);
	assert_int_equal(t.evicted, 1);
	assert_null(get(&t, "older.example"));
	assert_non_null(get(&t, "busy.example"));
	assert_non_null(get(&t, "newer.example"));
	/* A stream of one-off names never pushes out the established one. */
	seen(&t, "one.example", T0 + 40, NULL);
	seen(&t, "two.example", T0 + 50, NULL);
	seen(&t, "three.example", T0 + 60, NULL);
	assert_non_null(get(&t, "busy.example"));
	assert_non_null(get(&t, "three.example"));
	assert_int_equal(t.evicted, 4);
	/* Nor one added by hand, whose count is 0. */
	assert_int_equal(add(&t, "partner.example"), 0);
	seen(&t, "four.example", T0 + 70, NULL);
	seen(&t, "five.example", T0 + 80, NULL);
	assert_non_null(get(&t, "partner.example"));
	assert_non_null(get(&t, "busy.example"));
	corr_free(&t);
}

/* During the window a lookalike is only not learnt; after it, flagged. */
static void test_window(void **state)
{
	struct mxg_correspondents t;
	struct mxg_corr_finding f;
	struct mxg_corr_opts o;

	(void)state;
	opts(&o, 16, DAY);
	assert_int_equal(corr_init(&t, &o, T0), 0);
	assert_true(corr_in_window(&t, T0 + DAY - 1));
	assert_false(corr_in_window(&t, T0 + DAY));
	assert_int_equal(add(&t, "example.org"), 0);
	assert_int_equal(seen(&t, "exampel.org", T0 + 60, &f), CORR_LOOKALIKE);
	assert_true(f.in_window);
	assert_null(get(&t, "exampel.org"));
	assert_int_equal(seen(&t, "mx.exampel.org", T0 + DAY, &f),
			 CORR_LOOKALIKE);
	assert_false(f.in_window);
	assert_wire(f.s.protected_wire, f.s.protected_len, "example.org");
	assert_int_equal(f.s.method, MXG_ORIGIN_EDIT_DISTANCE);
	assert_int_equal(f.s.distance, 1);
	assert_int_equal(f.s.action, MXG_ACTION_ALERT);
	assert_int_equal(t.refused, 2);
	/* Its own names and unrelated ones are learnt as ever. */
	assert_int_equal(seen(&t, "lists.example.org", T0 + DAY, &f),
			 CORR_COUNTED);
	assert_int_equal(seen(&t, "elsewhere.net", T0 + DAY, &f), CORR_LEARNT);
	/* The configured action, as the second look's engine gives it. */
	corr_free(&t);
	opts(&o, 16, 0);
	o.action = MXG_ACTION_BLOCK;
	assert_int_equal(corr_init(&t, &o, T0), 0);
	assert_int_equal(add(&t, "example.org"), 0);
	assert_int_equal(seen(&t, "examp1e.org", T0, &f), CORR_LOOKALIKE);
	assert_int_equal(f.s.action, MXG_ACTION_BLOCK);
	assert_int_equal(f.s.method, MXG_ORIGIN_SKELETON);
	corr_free(&t);
}

/*
 * A name learnt while its look-alike was not yet frequent leaves when it
 * becomes so, if it is the less used: its next lookup is a first sight.
 * Only frequent ones are compared with: before, nothing is flagged.
 */
static void test_never_learn(void **state)
{
	struct mxg_correspondents t;
	struct mxg_corr_finding f;
	struct mxg_corr_opts o;
	int i;

	(void)state;
	opts(&o, 16, 0);
	o.min_count = 3;
	o.min_days = 1;
	assert_int_equal(corr_init(&t, &o, T0), 0);
	seen(&t, "example.org", T0, NULL);
	seen(&t, "example.org", T0 + 1, NULL);
	/* example.org is not frequent yet: exampel.org is learnt. */
	assert_int_equal(seen(&t, "exampel.org", T0 + 2, &f), CORR_LEARNT);
	assert_int_equal(seen(&t, "example.org", T0 + 3, NULL), CORR_COUNTED);
	assert_true(corr_is_frequent(&t, get(&t, "example.org")));
	/* Now it is: the sweep took exampel.org out, and it is flagged. */
	assert_int_equal(seen(&t, "exampel.org", T0 + 4, &f), CORR_LOOKALIKE);
	assert_false(f.in_window);
	assert_wire(f.s.protected_wire, f.s.protected_len, "example.org");
	assert_null(get(&t, "exampel.org"));
	assert_int_equal(t.swept, 1);
	for (i = 0; i < (int)t.n; i++)
		assert_int_equal(corr_find(&t, t.c[i].name, t.c[i].len), i);
	/* Two real correspondents that resemble each other both stay. */
	for (i = 0; i < 3; i++)
		seen(&t, "examplo.net", T0 + 10 + i, NULL);
	for (i = 0; i < 3; i++)
		seen(&t, "exampla.net", T0 + 20 + i, NULL);
	assert_int_equal(corr_refresh(&t), 0);
	assert_non_null(get(&t, "examplo.net"));
	corr_free(&t);
}

/*
 * Evictions and forgets move entries and empty hash slots: after each of
 * thousands, every entry is still found where it is, and nothing else.
 */
static void test_index_holds(void **state)
{
	struct mxg_correspondents t;
	struct mxg_corr_opts o;
	__u8 wire[MXG_NAME_MAX];
	char name[64];
	unsigned int seed = 7;
	size_t i;
	__u32 len;
	int k;

	(void)state;
	opts(&o, 64, 0);
	assert_int_equal(corr_init(&t, &o, T0), 0);
	for (k = 0; k < 5000; k++) {
		seed = seed * 1103515245 + 12345;
		snprintf(name, sizeof(name), "n%u.example", (seed >> 16) % 200);
		parse_or_fail(name, wire, &len);
		if ((seed >> 8) % 4 == 0)
			corr_forget(&t, wire, len);
		else
			seen(&t, name, T0 + k, NULL);
		for (i = 0; i < t.n; i++)
			assert_int_equal(corr_find(&t, t.c[i].name, t.c[i].len),
					 (long)i);
	}
	assert_true(t.evicted > 0);
	assert_int_equal(t.n, 64);
	parse_or_fail("absent.example", wire, &len);
	assert_int_equal(corr_find(&t, wire, len), -1);
	corr_free(&t);
}

static void test_add_forget(void **state)
{
	struct mxg_correspondents t;
	struct mxg_corr_opts o;
	__u8 wire[MXG_NAME_MAX];
	__u32 len;

	(void)state;
	opts(&o, 16, 0);
	assert_int_equal(corr_init(&t, &o, T0), 0);
	assert_int_equal(add(&t, "mx.example.org"), -EINVAL);
	assert_int_equal(add(&t, "org"), -EINVAL);
	assert_int_equal(add(&t, "example.org"), 0);
	assert_true(get(&t, "example.org")->added);
	assert_true(corr_is_frequent(&t, get(&t, "example.org")));
	parse_or_fail("example.org", wire, &len);
	assert_int_equal(corr_forget(&t, wire, len), 0);
	assert_int_equal(corr_forget(&t, wire, len), -ENOENT);
	/* Forgotten: its look-alike is learnt like any new name. */
	assert_int_equal(seen(&t, "exampel.org", T0, NULL), CORR_LEARNT);
	corr_free(&t);
}

static void line_round_trip(void **state)
{
	struct mxg_correspondent c, back;
	char line[1024];
	const char *err;

	(void)state;
	memset(&c, 0, sizeof(c));
	parse_or_fail("mail-host.example", c.name, &c.len);
	c.count = 42;
	c.days = 9;
	c.first_seen = 100;
	c.last_seen = 200;
	corr_format(&c, line, sizeof(line));
	assert_string_equal(line, "mail-host.example 42 9 100 200 learnt");
	assert_int_equal(corr_parse(line, &back, &err), 0);
	assert_memory_equal(back.name, c.name, c.len);
	assert_int_equal(back.count, 42);
	assert_int_equal(back.days, 9);
	assert_false(back.added);
	assert_int_equal(corr_parse("example.org 1 1 5 4 learnt", &back, &err),
			 -EINVAL);
	assert_int_equal(corr_parse("mx.example.org 1 1 4 5 learnt", &back,
				    &err), -EINVAL);
	assert_string_equal(err, "not a registrable domain");
	assert_int_equal(corr_parse("example.org 1 1 4 5 maybe", &back, &err),
			 -EINVAL);
	assert_int_equal(corr_parse("example.org 1 1 4 5 added x", &back,
				    &err), -EINVAL);
}

static void state_path(void **state, char *path, size_t sz)
{
	snprintf(path, sz, "%s/state/correspondents", (char *)*state);
}

/* Saved atomically into a directory it makes; read back whole. */
static void test_save_load(void **state)
{
	struct mxg_correspondents t, back;
	struct mxg_corr_opts o;
	char path[1024], tmp[1100];
	struct stat st;

	state_path(state, path, sizeof(path));
	opts(&o, 16, DAY);
	assert_int_equal(corr_init(&t, &o, T0), 0);
	seen(&t, "example.org", T0, NULL);
	seen(&t, "example.org", T0 + DAY, NULL);
	add(&t, "partner.example");
	assert_int_equal(corr_save(&t, path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(access(tmp, F_OK), -1);

	/* Ten days on: the window started with the file, not the restart. */
	assert_int_equal(corr_init(&back, &o, T0 + 10 * DAY), 0);
	assert_int_equal(corr_load(&back, path, T0 + 10 * DAY), 2);
	assert_int_equal(back.since, T0);
	assert_false(corr_in_window(&back, T0 + 10 * DAY));
	assert_int_equal(get(&back, "example.org")->count, 2);
	assert_int_equal(get(&back, "example.org")->days, 2);
	assert_true(get(&back, "partner.example")->added);
	/* Its frequent ones are compared with at once. */
	assert_int_equal(seen(&back, "partnor.example", T0 + 10 * DAY, NULL),
			 CORR_LOOKALIKE);
	corr_free(&back);
	/* Past the cap the least used go; added by hand ranks first. */
	o.max = 1;
	assert_int_equal(corr_init(&back, &o, T0), 0);
	assert_int_equal(corr_load(&back, path, T0), 1);
	assert_non_null(get(&back, "partner.example"));
	corr_free(&back);
	corr_free(&t);
}

/* A bad line is said and skipped; the others are kept. */
static void test_load_lines(void **state)
{
	struct mxg_correspondents t;
	struct mxg_corr_opts o;
	char path[1024];

	opts(&o, 16, DAY);
	assert_int_equal(corr_init(&t, &o, T0), 0);
	assert_int_equal(corr_load(&t, "/nonexistent/correspondents", T0), 0);
	assert_int_equal(t.since, T0);
	mkdir(strcat(strcpy(path, *state), "/state"), 0700);
	write_file(path, "correspondents", "# mxguard correspondents v1\n"
		   "since 1000\n"
		   "example.org 3 1 1000 2000 learnt\n"
		   "garbage\n"
		   "example.net 1 1 1000 1000 learnt\n", 0600);
	state_path(state, path, sizeof(path));
	capture_begin();
	assert_int_equal(corr_load(&t, path, T0), 2);
	capture_end();
	assert_non_null(strstr(warned, "correspondents:4: expected: name "
				       "count"));
	assert_int_equal(t.since, 1000);
	corr_free(&t);
}

/* Somebody else's file, or one others may write: refused, nothing kept. */
static void test_refuse(void **state)
{
	struct mxg_correspondents t;
	struct mxg_corr_opts o;
	char path[1024], file[256];
	FILE *f;

	opts(&o, 16, DAY);
	assert_int_equal(corr_init(&t, &o, T0), 0);
	mkdir(strcat(strcpy(path, *state), "/state"), 0700);
	write_file(path, "correspondents",
		   "dhs.com dhl.com edit-distance 1 block 1 100\n", 0600);
	state_path(state, path, sizeof(path));
	capture_begin();
	assert_int_equal(corr_load(&t, path, T0), -EBADMSG);
	capture_end();
	assert_non_null(strstr(warned, "not a correspondents file"));
	assert_int_equal(t.n, 0);
	assert_int_equal(t.since, T0);
	/* Left as it was. */
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(file, sizeof(file), f));
	fclose(f);
	assert_string_equal(file, "dhs.com dhl.com edit-distance 1 block 1 "
				  "100\n");

	strcat(strcpy(path, *state), "/state");
	write_file(path, "correspondents", "# mxguard correspondents v1\n"
		   "example.org 3 1 1000 2000 learnt\n", 0620);
	state_path(state, path, sizeof(path));
	capture_begin();
	assert_int_equal(corr_load(&t, path, T0), -EPERM);
	capture_end();
	assert_non_null(strstr(warned, "refusing correspondents"));
	assert_int_equal(t.n, 0);
	corr_free(&t);
}

/* The settings, their defaults, and what they refuse. */
static void test_config_keys(void **state)
{
	struct mxg_conf c;
	const char *err;

	(void)state;
	conf_defaults(&c);
	assert_true(c.correspondents);
	assert_string_equal(c.correspondents_file, MXG_CORR_FILE_DEFAULT);
	assert_int_equal(c.correspondents_window_s, 7 * DAY);
	assert_int_equal(c.correspondents_min_count, 5);
	assert_int_equal(c.correspondents_min_days, 2);
	assert_int_equal(c.correspondents_action, MXG_ACTION_ALERT);
	assert_int_equal(conf_set(&c, "correspondents", "no", &err), 0);
	assert_false(c.correspondents);
	assert_int_equal(conf_set(&c, "correspondents_window", "0", &err), 0);
	assert_int_equal(c.correspondents_window_s, 0);
	assert_int_equal(conf_set(&c, "correspondents_action", "block", &err),
			 0);
	assert_int_equal(c.correspondents_action, MXG_ACTION_BLOCK);
	assert_int_equal(conf_set(&c, "correspondents_action", "drop", &err),
			 -1);
	assert_string_equal(err, "correspondents_action is alert or block");
	assert_int_equal(conf_set(&c, "correspondents_min_days", "0", &err),
			 -1);
	assert_int_equal(conf_set(&c, "correspondents_min_count", "0", &err),
			 -1);
	assert_int_equal(conf_set(&c, "correspondents_file", "rel/path",
				  &err), -1);
	assert_int_equal(conf_set(&c, "correspondents_files", "/x", &err), -1);
	assert_string_equal(err, "unknown setting");
	conf_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_never_learn),
		cmocka_unit_test(test_index_holds),
		cmocka_unit_test(test_add_forget),
		cmocka_unit_test(line_round_trip),
		cmocka_unit_test(test_config_keys),
		cmocka_unit_test_setup_teardown(test_save_load, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_load_lines, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_refuse, dir_setup,
						dir_teardown),
	};

	log_init("test", LOG_LVL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
