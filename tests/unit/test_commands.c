// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control commands through their narrow interface (commands.h): a
 * view and ops of the test's making, no daemon.  Who may run what, what
 * each command asks of the daemon, and the shape of each reply.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "loader.h"
#include "policy_helpers.h"

static struct {
	int reloads, unloads, learned, forgets, walks, held;
	int corr_lists, corr_adds, corr_forgets;
	int counters_fail;
	char forgot[256];
} calls;

static int op_counters(void *owner, __u64 cnt[MXG_CNT__MAX],
		       struct mxg_evictions *ev)
{
	int i;

	(void)owner;
	if (calls.counters_fail)
		return -EIO;
	for (i = 0; i < MXG_CNT__MAX; i++)
		cnt[i] = 1000 + i;
	ev->clean = 3;
	ev->names = 4;
	ev->taints = 0;
	return 0;
}

static void op_each_taint(void *owner,
			  void (*fn)(void *ctx, const struct mxg_taint_view *v),
			  void *ctx)
{
	static const __u8 name[] = "\x04" "army" "\x02" "ml";
	struct mxg_taint t = { .action = MXG_ACTION_BLOCK };
	struct mxg_taint_view v = {
		.level = "process", .id = 4242, .t = &t,
		.name = name, .origin = name,
		.addr = { [10] = 0xff, [11] = 0xff, 192, 0, 2, 25 },
	};

	(void)owner;
	calls.walks++;
	fn(ctx, &v);
}

static void op_reload(void *owner, struct ctl_reply *r)
{
	(void)owner;
	calls.reloads++;
	reply_printf(r, "ok\nreloaded\n");
}

static void op_unload(void *owner)
{
	(void)owner;
	calls.unloads++;
}

static void op_learned(void *owner, struct ctl_reply *r)
{
	(void)owner;
	calls.learned++;
	reply_printf(r, "ok\nlearned: 0\n");
}

static void op_forget(void *owner, const char *name, struct ctl_reply *r)
{
	(void)owner;
	calls.forgets++;
	snprintf(calls.forgot, sizeof(calls.forgot), "%s", name);
	reply_printf(r, "ok\n");
}

static void op_held(void *owner, struct ctl_reply *r)
{
	(void)owner;
	calls.held++;
	reply_printf(r, "ok\narmy.ml: 2 refused\n");
}

static void op_correspondents(void *owner, struct ctl_reply *r)
{
	(void)owner;
	calls.corr_lists++;
	reply_printf(r, "ok\ncorrespondents: 0 of at most 4096\n");
}

static void op_corr_edit(void *owner, int add, const char *name,
			 struct ctl_reply *r)
{
	(void)owner;
	if (add)
		calls.corr_adds++;
	else
		calls.corr_forgets++;
	reply_printf(r, "ok\n%s %s\n", add ? "added" : "forgot", name);
}

static const struct cmd_ops ops = {
	.counters = op_counters, .each_taint = op_each_taint,
	.reload = op_reload, .unload = op_unload,
	.learned = op_learned, .forget = op_forget, .held = op_held,
	.correspondents = op_correspondents,
	.correspondent_edit = op_corr_edit,
};

static struct mxg_policy pol;
static struct mxg_conf conf;
static struct cmd_env env;

static const struct ctl_peer reader = { .uid = 1000, .may = CTL_MAY_READ };
static const struct ctl_peer root = {
	.may = CTL_MAY_READ | CTL_MAY_ADMIN,
};

static int setup(void **state)
{
	(void)state;
	memset(&calls, 0, sizeof(calls));
	policy_init(&pol);
	if (load_text(&pol, "lookalike ml of mil action=block\n"))
		return -1;
	conf_defaults(&conf);
	env = (struct cmd_env){
		.ops = &ops,
		.view = {
			.conf = &conf, .policy = &pol, .generation = 7,
			.cgroup = "/sys/fs/cgroup/system.slice/postfix@-.service",
			.lineage = "fd lineage", .started = time(NULL),
			.n = { .alerts_written = 11, .reload_failures = 2,
			       .sl_dropped = 5 },
		},
	};
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	policy_free(&pol);
	conf_free(&conf);
	return 0;
}

/* Run @line as @peer; the reply, NUL-terminated (the caller frees it). */
static char *run(const struct ctl_peer *peer, const char *line)
{
	struct ctl_reply r = { 0 };

	commands_dispatch(&env, peer, line, &r);
	reply_append(&r, "", 1);
	assert_non_null(r.buf);
	return r.buf;
}

static void expect(const struct ctl_peer *peer, const char *line,
		   const char *first, const char *has)
{
	char *out = run(peer, line);

	if (strncmp(out, first, strlen(first)))
		fail_msg("'%s': reply starts '%.60s', want '%s'", line, out,
			 first);
	if (has && !strstr(out, has))
		fail_msg("'%s': reply lacks '%s':\n%s", line, has, out);
	free(out);
}

/* Lines of @f that hold @needle. */
static int lines_with(FILE *f, const char *needle)
{
	char line[512];
	int n = 0;

	rewind(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	return n;
}

/* A member asking for reload in a loop cannot flood the log. */
static void refusals_rate_limited(void **state)
{
	FILE *log = tmpfile();
	int saved = dup(STDERR_FILENO), i, refused;
	struct timespec ts;

	(void)state;
	assert_non_null(log);
	fflush(stderr);
	dup2(fileno(log), STDERR_FILENO);
	/* A second of its own: earlier tests' refusals were in theirs. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	usleep(1000000 - ts.tv_nsec / 1000 + 10000);
	for (i = 0; i < 100; i++)
		expect(&reader, "reload", "error permission denied", NULL);
	/* Into the next second: the count of the rest comes out. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	usleep(1000000 - ts.tv_nsec / 1000 + 10000);
	expect(&reader, "reload", "error permission denied", NULL);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	refused = lines_with(log, "control: refused 'reload'");
	/* 10 a second; the loop may straddle a second's end. */
	assert_in_range(refused, 11, 21);
	assert_in_range(lines_with(log, "more refusals not logged"), 1, 2);
	fclose(log);
}

/* What changes state is root's; the group reads. */
static void admin_is_root_only(void **state)
{
	static const char *const admin[] = {
		"reload", "unload", "forget gmial.com",
		"correspondent-add example.org",
		"correspondent-forget example.org",
	};
	size_t i;

	(void)state;
	for (i = 0; i < 5; i++)
		expect(&reader, admin[i], "error permission denied", NULL);
	assert_int_equal(calls.reloads + calls.unloads + calls.forgets +
			 calls.corr_adds + calls.corr_forgets, 0);
	expect(&root, "correspondent-add example.org", "ok",
	       "added example.org");
	expect(&root, "correspondent-forget example.org", "ok",
	       "forgot example.org");
	expect(&root, "correspondent-add", "error usage: correspondent-add "
	       "NAME", NULL);
	assert_int_equal(calls.corr_adds + calls.corr_forgets, 2);
	expect(&root, "reload", "ok", "reloaded");
	expect(&root, "unload", "ok", "enforcement is removed");
	expect(&root, "forget gmial.com", "ok", NULL);
	assert_int_equal(calls.reloads, 1);
	assert_int_equal(calls.unloads, 1);
	assert_string_equal(calls.forgot, "gmial.com");
	expect(&root, "forget", "error usage: forget NAME", NULL);
	assert_int_equal(calls.forgets, 1);
}

static void reads_for_the_group(void **state)
{
	(void)state;
	expect(&reader, "status", "ok", "mode: block\n");
	expect(&reader, "status", "ok", "policy: 1 rules, generation 7\n");
	expect(&reader, "status", "ok", "lineage: fd lineage\n");
	expect(&reader, "status", "ok", "reloads: 0 (failed 2)\n");
	expect(&reader, "check army.ml", "lookalike", "imitates: mil\n");
	expect(&reader, "check partner.org", "ok", "verdict: clean\n");
	expect(&reader, "check", "error usage: check NAME", NULL);
	expect(&reader, "learned", "ok", "learned: 0");
	assert_int_equal(calls.learned, 1);
	expect(&reader, "held", "ok", "army.ml: 2 refused");
	assert_int_equal(calls.held, 1);
	expect(&reader, "correspondents", "ok", "of at most 4096");
	expect(&reader, "correspondents list", "ok", "of at most 4096");
	expect(&reader, "correspondents add", "error usage: correspondents",
	       NULL);
	assert_int_equal(calls.corr_lists, 2);
}

static void list_walks_the_taints(void **state)
{
	(void)state;
	expect(&reader, "list", "ok", "army.ml via army.ml, block");
	expect(&reader, "list", "ok", "192.0.2.25");
	assert_int_equal(calls.walks, 2);
}

static void stats_formats(void **state)
{
	char *out;

	(void)state;
	out = run(&reader, "stats json");
	assert_non_null(strstr(out, "\"alerts_written\":11"));
	assert_non_null(strstr(out, "\"second_look_dropped\":5"));
	assert_non_null(strstr(out, "\"clean_evictions\":3"));
	assert_non_null(strstr(out, "\"responder_refusals\":0"));
	assert_non_null(strstr(out, "\"responder_sessions\":0"));
	assert_non_null(strstr(out, "\"policy_rules\":1}"));
	assert_string_equal(out + strlen(out) - 2, "}\n");
	free(out);
	out = run(&reader, "stats prometheus");
	assert_non_null(strstr(out, "\nmxguard_alerts_written_total 11\n"));
	assert_non_null(strstr(out, "# TYPE mxguard_policy_rules gauge\n"));
	assert_non_null(strstr(out, "\nmxguard_policy_rules 1\n"));
	assert_non_null(strstr(out, "# TYPE mxguard_reloads_total counter\n"));
	assert_non_null(strstr(out, "\nmxguard_build_info{version=\""
			       MXG_VERSION "\"} 1\n"));
	free(out);
	expect(&reader, "stats", "ok\n{", NULL);
	expect(&reader, "stats xml", "error stats format", NULL);
	calls.counters_fail = 1;
	expect(&reader, "stats", "error cannot read", NULL);
	calls.counters_fail = 0;
}

/*
 * The shipped Grafana dashboard (user/contrib/grafana/) queries only
 * metrics the daemon exports: a renamed counter fails here, not on a
 * SOC's wall.
 */
static void dashboard_metrics_exist(void **state)
{
	static char dash[1 << 16];
	char *out, name[128];
	const char *p;
	size_t n, len;
	int found = 0;
	FILE *f;

	(void)state;
	f = fopen("user/contrib/grafana/mxguard.json", "r");
	assert_non_null(f);
	n = fread(dash, 1, sizeof(dash) - 1, f);
	dash[n] = '\0';
	fclose(f);
	out = run(&reader, "stats prometheus");
	for (p = dash; (p = strstr(p, "mxguard_")); p += len) {
		len = strspn(p, "abcdefghijklmnopqrstuvwxyz_");
		if (len >= sizeof(name) - 2)
			fail_msg("metric name too long");
		/* "\nNAME " or "\nNAME{": a sample line of that metric */
		snprintf(name, sizeof(name), "\n%.*s", (int)len, p);
		if (!strstr(out, name))
			fail_msg("dashboard queries %s, which the daemon does "
				 "not export", name + 1);
		found++;
	}
	assert_true(found >= 9);
	free(out);
}

static void unknown(void **state)
{
	(void)state;
	expect(&root, "rm -rf /", "error unknown command 'rm'", NULL);
	expect(&root, "", "error unknown command ''", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(admin_is_root_only, setup,
						teardown),
		cmocka_unit_test_setup_teardown(reads_for_the_group, setup,
						teardown),
		cmocka_unit_test_setup_teardown(list_walks_the_taints, setup,
						teardown),
		cmocka_unit_test_setup_teardown(stats_formats, setup,
						teardown),
		cmocka_unit_test_setup_teardown(dashboard_metrics_exist, setup,
						teardown),
		cmocka_unit_test_setup_teardown(unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(refusals_rate_limited, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
