// SPDX-License-Identifier: GPL-2.0-only
/*
 * Outputs and what reloads and restarts do to them, with the real daemon:
 * a hostile process name in every sink, the JSON file across log rotation
 * and across an outage, the lost-event count across a restart, the
 * generation stored with the swap, protected names over many reloads, and
 * file secrecy for -n and reload.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "harness.h"
#include "mxguard/abi.h"

#define WAIT_MS 5000
#define OUT_SZ 65536

static char out[OUT_SZ];

static const char ml_block[] = "lookalike ml of mil action=block\n";

static const struct zrec zone[] = {
	{ "army.ml", DNS_A, 300, "192.0.2.26" },
	{ NULL, 0, 0, NULL },
};

/* Chosen by the process (prctl): a newline, a byte that is not UTF-8,
 * and the three characters RFC 5424 PARAM-VALUEs escape. */
static const char hostile_comm[] = "a\nb\xff]\"x";

static int resolve_connect(void *arg)
{
	if (arg)
		prctl(PR_SET_NAME, arg);
	if (resolve("army.ml", DNS_A, VIA_UDP))
		return 201;
	return try_connect("192.0.2.26", 25);
}

static void tmp_path(char *out, size_t sz, const char *what)
{
	snprintf(out, sz, "/tmp/mxguard-test-%d.%s", getpid(), what);
}

/* --- the daemon's stderr: its log and the --human lines ------------------ */

struct errlog {
	int fd;
	char all[OUT_SZ];	/* everything read so far */
	size_t len, seen;	/* seen: where the next line search starts */
};

/* Start the daemon with @args, its stderr into @e. */
static int start_logged(struct tctx *t, const char *const *args,
			struct errlog *e)
{
	int p[2], saved, rc;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(p[1], STDERR_FILENO);
	rc = daemon_start(t, args);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(p[1]);
	e->fd = p[0];
	e->len = e->seen = 0;
	return rc;
}

/*
 * The next whole line after the last one returned that contains @needle,
 * or NULL after @ms.  It points into e->all, up to its newline.
 */
static const char *err_line(struct errlog *e, const char *needle, int ms)
{
	long long deadline = now_ms() + ms;
	struct pollfd p = { .fd = e->fd, .events = POLLIN };
	char *line, *nl;
	ssize_t n;

	for (;;) {
		while ((nl = memchr(e->all + e->seen, '\n',
				    e->len - e->seen))) {
			line = e->all + e->seen;
			*nl = '\0';
			e->seen = nl + 1 - e->all;
			if (strstr(line, needle)) {
				*nl = '\n';
				return line;
			}
			*nl = '\n';
		}
		if (now_ms() >= deadline ||
		    poll(&p, 1, deadline - now_ms()) != 1)
			return NULL;
		n = read(e->fd, e->all + e->len, sizeof(e->all) - 1 - e->len);
		if (n <= 0)
			return NULL;
		e->len += n;
		e->all[e->len] = '\0';
	}
}

/* How often @needle occurs in what the daemon wrote so far. */
static int err_count(const struct errlog *e, const char *needle)
{
	const char *s = e->all;
	int n = 0;

	while ((s = strstr(s, needle))) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/* A line up to its newline, as a string (into a static buffer). */
static const char *line_of(const char *s)
{
	static char line[8192];
	size_t n;

	if (!s)
		return NULL;
	n = strcspn(s, "\n");
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	memcpy(line, s, n);
	line[n] = '\0';
	return line;
}

/* The line of @text (JSON lines) that holds @needle. */
static const char *json_line(const char *text, const char *needle)
{
	const char *s = strstr(text, needle);

	if (!s)
		return NULL;
	while (s > text && s[-1] != '\n')
		s--;
	return line_of(s);
}

static long long stat_of(struct tctx *t, const char *name)
{
	char key[96];
	const char *s;

	if (ctl(t, out, OUT_SZ, "stats --json"))
		return -1;
	snprintf(key, sizeof(key), "\"%s\":", name);
	s = strstr(out, key);
	return s ? atoll(s + strlen(key)) : -1;
}

/* --- 5: hostile bytes stay data in every sink ---------------------------- */

static int syslog_listen(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	unlink(path);
	strcpy(sa.sun_path, path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -1;
	return fd;
}

/* The default syslog form is "@cee: JSON"; this marks the refusal's. */
#define BLOCKED_CEE	"\"action\":\"blocked\",\"outcome\""

/* The datagram of the refusal; the query and taint records come first. */
static int syslog_blocked(int fd, char *msg, size_t sz)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	msg[0] = '\0';
	while (!strstr(msg, BLOCKED_CEE) && poll(&p, 1, WAIT_MS) == 1) {
		n = recv(fd, msg, sz - 1, 0);
		msg[n > 0 ? n : 0] = '\0';
	}
	return strstr(msg, BLOCKED_CEE) ? (int)strlen(msg) : -1;
}

static int no_raw_bytes(const char *s, size_t n, const char *what)
{
	int ok = !memchr(s, '\n', n) && !memchr(s, '\xff', n);

	if (!ok)
		test_fail(__FILE__, __LINE__, "%s holds a raw newline or 0xff",
			  what);
	return ok;
}

static int t_hostile_comm(struct tctx *t)
{
	char logp[128], json[128], msg[4096];
	static char file[OUT_SZ];
	const char *human, *blocked;
	struct errlog e;
	int fd, n, rc;

	tmp_path(logp, sizeof(logp), "log");
	tmp_path(json, sizeof(json), "json");
	unlink(json);
	fd = syslog_listen(logp);
	if (!ASSERT_TRUE(fd >= 0, "syslog listener"))
		return -1;
	daemon_stop(t, SIGTERM);
	{
		const char *args[] = { "--syslog", "--syslog-socket", logp,
				       "--json", json, "--human", NULL };

		if (!ASSERT_EQ(start_logged(t, args, &e), 0, "daemon"))
			return -1;
	}
	ASSERT_EQ(run_in(t, NULL, resolve_connect, (void *)hostile_comm),
		  EPERM, "blocked connect");

	n = syslog_blocked(fd, msg, sizeof(msg));
	if (ASSERT_TRUE(n > 0, "syslog datagram of the refusal")) {
		no_raw_bytes(msg, n, "syslog datagram");
		ASSERT_HAS(msg, "<28>");
		ASSERT_HAS(msg, " mxguardd[");
		ASSERT_HAS(msg, "]: @cee: {\"@timestamp\":");
		ASSERT_HAS(msg, "\"name\":\"a\\nb\\u00ff]\\\"x\"");
		ASSERT_HAS(msg, "\"message\":\"blocked a\\\\x0ab\\\\xff]\\\"x[");
		ASSERT_TRUE(msg[n - 1] == '}', "the whole JSON object");
	}

	human = line_of(err_line(&e, "blocked a", WAIT_MS));
	ASSERT_HAS(human, "blocked a\\x0ab\\xff]\"x[");
	/* The whole alert on one line: no newline cut it short. */
	ASSERT_HAS(human, "] -> 192.0.2.26:25 army.ml imitates mil (rule ml");
	ASSERT_TRUE(!memchr(e.all, '\xff', e.len), "no raw 0xff on stderr");

	/* JSON went first (output.c), so the line is in the file now. */
	ASSERT_EQ(read_text(json, file, sizeof(file)), 0, "read JSON");
	ASSERT_TRUE(!memchr(file, '\xff', strlen(file)), "no raw 0xff in JSON");
	blocked = json_line(file, "\"action\":\"blocked\"");
	ASSERT_HAS(blocked, "\"name\":\"a\\nb\\u00ff]\\\"x\"");
	ASSERT_HAS(blocked, "\"message\":\"blocked a\\\\x0ab\\\\xff]\\\"x[");

	daemon_stop(t, SIGTERM);
	rc = run_cmd(out, OUT_SZ, "tests/bpf/validate_alerts.py "
		     "user/dist/alert.schema.json %s", json);
	ASSERT_EQ(rc, 0, "alerts valid against the schema");
	if (rc)
		fprintf(stderr, "%s", out);
	close(fd);
	close(e.fd);
	unlink(logp);
	unlink(json);
	return 0;
}

/* --- 8a, 8b: the JSON file across rotation and an outage ------------------ */

static int json_daemon(struct tctx *t, const char *json, struct errlog *e)
{
	const char *args[] = { "--json", json, "--human", NULL };

	unlink(json);
	daemon_stop(t, SIGTERM);
	return ASSERT_EQ(start_logged(t, args, e), 0, "daemon") ? 0 : -1;
}

/* A refusal, and its human line: the JSON output has had its turn. */
static int one_alert(struct tctx *t, struct errlog *e, const char *comm)
{
	char want[64];

	snprintf(want, sizeof(want), "blocked %s[", comm);
	ASSERT_EQ(run_in(t, NULL, resolve_connect, (void *)comm), EPERM,
		  "blocked connect");
	return ASSERT_TRUE(err_line(e, want, WAIT_MS) != NULL,
			   "human line of the alert") ? 0 : -1;
}

static int t_logrotate_bad_policy(struct tctx *t)
{
	char json[128], rotated[160];
	static char file[OUT_SZ];
	struct errlog e;

	tmp_path(json, sizeof(json), "json");
	snprintf(rotated, sizeof(rotated), "%s.1", json);
	unlink(rotated);
	if (json_daemon(t, json, &e) || one_alert(t, &e, "before"))
		return -1;
	/* logrotate: rename, then SIGHUP; the policy is broken meanwhile. */
	ASSERT_EQ(rename(json, rotated), 0, "rotate");
	if (write_text(t->policy_path, "lookalike ml of mil action=block\n"
					"frobnicate\n"))
		return -1;
	kill(t->daemon, SIGHUP);
	ASSERT_TRUE(err_line(&e, "nothing loaded", WAIT_MS) != NULL,
		    "bad policy refused on SIGHUP");
	one_alert(t, &e, "after");
	ASSERT_EQ(read_text(json, file, sizeof(file)), 0, "new file exists");
	ASSERT_HAS(file, "\"name\":\"after\"");
	ASSERT_TRUE(!strstr(file, "\"name\":\"before\""), "new file is new");
	ASSERT_EQ(read_text(rotated, file, sizeof(file)), 0, "rotated file");
	ASSERT_TRUE(!strstr(file, "\"name\":\"after\""),
		    "nothing new in the rotated file");

	/* A good reload after the bad one: loaded, and followed. */
	if (write_text(t->policy_path, "lookalike ml of mil action=alert\n"))
		return -1;
	ASSERT_EQ(ctl(t, out, OUT_SZ, "reload"), 0, "good reload");
	ASSERT_EQ(run_in(t, NULL, resolve_connect, "good"), 0,
		  "the new policy's alert action is followed");
	ASSERT_TRUE(err_line(&e, "alerted good[", WAIT_MS) != NULL,
		    "alerted under the new policy");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "status"), 0, "status");
	ASSERT_HAS(out, "(failed 1)");
	close(e.fd);
	unlink(json);
	unlink(rotated);
	return 0;
}

static int t_json_outage(struct tctx *t)
{
	char json[128], moved[160], back[96];
	static char file[OUT_SZ];
	long long written, failed;
	struct errlog e;

	tmp_path(json, sizeof(json), "json");
	snprintf(moved, sizeof(moved), "%s.old", json);
	if (json_daemon(t, json, &e) || one_alert(t, &e, "before"))
		return -1;
	written = stat_of(t, "alerts_written");
	ASSERT_EQ(stat_of(t, "alerts_output_failed"), 0, "no failures yet");
	/* The path cannot be opened now: a directory stands in its place. */
	ASSERT_EQ(rename(json, moved), 0, "move the file away");
	ASSERT_EQ(mkdir(json, 0755), 0, "a directory at the path");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "reload"), 0, "reload (reopens)");
	one_alert(t, &e, "lost1");
	one_alert(t, &e, "lost2");
	failed = stat_of(t, "alerts_output_failed");
	/* Each round is three alerts: the query, the taint, the refusal. */
	ASSERT_EQ(failed, 6, "alerts the JSON file missed are counted");
	ASSERT_EQ(stat_of(t, "alerts_written"), written,
		  "missed alerts are not counted as written");
	ASSERT_EQ(err_count(&e, "json: open"), 1, "the outage logged once");
	/* Writable again: the next alert reopens it. */
	ASSERT_EQ(rmdir(json), 0, "remove the directory");
	one_alert(t, &e, "back");
	ASSERT_EQ(read_text(json, file, sizeof(file)), 0, "file reopened");
	ASSERT_HAS(file, "\"name\":\"back\"");
	ASSERT_TRUE(!strstr(file, "\"name\":\"lost"), "missed ones not there");
	snprintf(back, sizeof(back), "works again; it missed %lld alerts",
		 failed);
	ASSERT_HAS(e.all, back);
	ASSERT_EQ(stat_of(t, "alerts_output_failed"), failed,
		  "no failure after the reopen");
	close(e.fd);
	unlink(json);
	unlink(moved);
	return 0;
}

/* --- 8c: the generation is stored before the swap ------------------------ */

static int t_generation_store_fails(struct tctx *t)
{
	int fd = pinned(t, "config_map");

	ASSERT_EQ(run_in(t, NULL, resolve_connect, NULL), EPERM,
		  "blocked before");
	ASSERT_HAS(next_event(t, "blocked", WAIT_MS), "\"suffix\":\"ml\"");
	/* Config writes fail from now on (BPF_MAP_FREEZE), as if ENOMEM. */
	if (!ASSERT_TRUE(fd >= 0 && !bpf_map_freeze(fd), "freeze config"))
		return -1;
	close(fd);
	if (write_text(t->policy_path, "# ml removed: mail would flow\n"))
		return -1;
	ASSERT_EQ(ctl(t, out, OUT_SZ, "reload"), 2, "reload refused");
	ASSERT_HAS(out, "the loaded policy stays");
	/* And it does: the kernel kept the old map, as the daemon says. */
	ASSERT_EQ(run_in(t, NULL, resolve_connect, NULL), EPERM,
		  "old policy still enforced");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "check army.ml"), 1, "daemon agrees");
	/* Its alert names the rule of the generation in force. */
	ASSERT_HAS(next_event(t, "blocked", WAIT_MS), "\"suffix\":\"ml\"");
	return 0;
}

/* --- 8d: protected names do not pile up ---------------------------------- */

static long long map_count(int fd)
{
	__u64 key, next;
	long long n = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}

/* 50 protected names that no other reload uses, and the seed rule. */
static void names_policy(char *buf, size_t sz, int round)
{
	size_t n = snprintf(buf, sz, "%s", ml_block);
	int i;

	for (i = 0; i < 50 && n < sz; i++)
		n += snprintf(buf + n, sz - n, "lookalike x%d.example of "
			      "p%d-%d.example\n", i, round, i);
}

static int t_protected_names_bounded(struct tctx *t)
{
	static char policy[8192];
	long long most = 0, n;
	int fd = pinned(t, "protected_names"), i, failed = 0;

	if (!ASSERT_TRUE(fd >= 0, "pinned protected_names"))
		return -1;
	/* 100 x 50 names: more than the map's 4096 if none were deleted. */
	for (i = 0; i < 100; i++) {
		names_policy(policy, sizeof(policy), i);
		if (write_text(t->policy_path, policy))
			return -1;
		if (ctl(t, out, OUT_SZ, "reload")) {
			if (!failed++)
				fprintf(stderr, "  reload %d: %s", i, out);
			continue;
		}
		n = map_count(fd);
		most = n > most ? n : most;
	}
	close(fd);
	ASSERT_EQ(failed, 0, "reloads refused");
	/* This generation's 51 and the last one's 50. */
	ASSERT_TRUE(most <= 101, "protected names stay bounded");
	fprintf(stderr, "  at most %lld protected names pinned\n", most);
	ASSERT_EQ(run_in(t, NULL, resolve_connect, NULL), EPERM,
		  "still enforced");
	ASSERT_HAS(next_event(t, "blocked", WAIT_MS), "\"protected\":\"mil\"");
	return 0;
}

/* --- 8e: a restart reports no spurious lost events ----------------------- */

/* Set the pinned ring-buffer drop counter to @v (on CPU 0, others 0). */
static int set_drops(struct tctx *t, unsigned long long v)
{
	int ncpu = libbpf_num_possible_cpus(), fd = pinned(t, "counters");
	static unsigned long long vals[1024];
	__u32 key = MXG_CNT_RB_DROPS;
	int rc;

	if (fd < 0 || ncpu <= 0 || ncpu > 1024)
		return -1;
	memset(vals, 0, sizeof(vals));
	vals[0] = v;
	rc = bpf_map_update_elem(fd, &key, vals, BPF_ANY);
	close(fd);
	return rc;
}

static int t_restart_lost_events(struct tctx *t)
{
	ASSERT_EQ(set_drops(t, 5), 0, "drops counted");
	ASSERT_HAS(next_event(t, "events-lost", WAIT_MS), "\"lost\":5");
	ASSERT_EQ(daemon_stop(t, SIGTERM), 0, "stop");
	if (!ASSERT_EQ(daemon_start(t, t->tc->args), 0, "restart"))
		return -1;
	/* The next drops are the first this daemon reports, and all it does. */
	ASSERT_EQ(set_drops(t, 8), 0, "three more drops");
	ASSERT_HAS(next_event(t, "events-lost", WAIT_MS), "\"lost\":3");
	return 0;
}

/* --- 9: file secrecy for -n and for reload ------------------------------- */

static int check_only(struct tctx *t, const char *conf, const char *policy)
{
	return run_cmd(out, OUT_SZ, "%s -n -f %s --policy %s", t->daemon_bin,
		       conf, policy);
}

static int t_secrecy(struct tctx *t)
{
	char dir[128], file[200], conf[128];

	tmp_path(dir, sizeof(dir), "d");
	tmp_path(conf, sizeof(conf), "conf");
	snprintf(file, sizeof(file), "%s/mil.policy", dir);
	mkdir(dir, 0755);
	chmod(dir, 0755);
	if (write_text(file, ml_block) || write_text(conf, "mode = block\n"))
		return -1;
	chmod(file, 0644);
	chmod(conf, 0644);
	ASSERT_EQ(check_only(t, conf, dir), 0, "-n: good");
	chmod(dir, 0775);
	ASSERT_EQ(check_only(t, conf, dir), 2, "-n: group-writable dir");
	ASSERT_HAS(out, ": refusing: group-writable");
	chmod(dir, 0755);
	ASSERT_EQ(chown(file, 65534, 65534), 0, "chown");
	ASSERT_EQ(check_only(t, conf, dir), 2, "-n: policy of another owner");
	ASSERT_HAS(out, "mil.policy: refusing: owner uid 65534");
	ASSERT_EQ(chown(file, 0, 0), 0, "chown back");
	chmod(conf, 0664);
	ASSERT_EQ(check_only(t, conf, dir), 2, "-n: group-writable config");
	ASSERT_HAS(out, ".conf: refusing: group-writable");
	chmod(conf, 0644);
	ASSERT_EQ(check_only(t, conf, dir), 0, "-n: good again");

	/* A running daemon refuses the same on reload, and keeps its policy. */
	chmod(t->policy_path, 0664);
	ASSERT_EQ(ctl(t, out, OUT_SZ, "reload"), 2, "reload refused");
	ASSERT_EQ(run_in(t, NULL, resolve_connect, NULL), EPERM,
		  "old policy still enforced");
	chmod(t->policy_path, 0644);
	ASSERT_EQ(ctl(t, out, OUT_SZ, "reload"), 0, "reload after the fix");
	unlink(file);
	rmdir(dir);
	unlink(conf);
	return 0;
}

const struct tcase sinks_tests[] = {
	{ .name = "sinks_hostile_comm", .fn = t_hostile_comm,
	  .policy = ml_block, .zone = zone },
	{ .name = "sinks_logrotate_bad_policy", .fn = t_logrotate_bad_policy,
	  .policy = ml_block, .zone = zone },
	{ .name = "sinks_json_outage", .fn = t_json_outage, .policy = ml_block,
	  .zone = zone },
	{ .name = "sinks_generation_store_fails",
	  .fn = t_generation_store_fails, .policy = ml_block, .zone = zone },
	{ .name = "sinks_protected_names_bounded",
	  .fn = t_protected_names_bounded, .policy = ml_block, .zone = zone },
	{ .name = "sinks_restart_lost_events", .fn = t_restart_lost_events,
	  .policy = ml_block, .zone = zone },
	{ .name = "sinks_secrecy", .fn = t_secrecy, .policy = ml_block,
	  .zone = zone },
	{ 0 },
};
