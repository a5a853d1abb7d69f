// SPDX-License-Identifier: GPL-2.0-only
/*
 * mxguardd as a service, on the real kernel: mxguardctl over the control
 * socket, reload and restart with no verdict lost, capabilities, syslog
 * and JSON outputs against the schema, repeats.  Connection caches are in
 * test_conncache.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <grp.h>

#include "harness.h"
#include "mxguard/abi.h"

#define WAIT_MS 5000
#define OUT_SZ 65536

static char out[OUT_SZ];

static const char ml_block[] = "lookalike ml of mil action=block\n";

static const struct zrec zone[] = {
	{ "army.ml", DNS_A, 300, "192.0.2.26" },
	{ "army.mil", DNS_A, 300, "198.51.100.25" },
	{ NULL, 0, 0, NULL },
};

static int resolve_connect_once(void *arg)
{
	(void)arg;
	if (resolve("army.ml", DNS_A, VIA_UDP))
		return 201;
	return try_connect("192.0.2.26", 25);
}

static int t_ctl_commands(struct tctx *t)
{
	if (!ASSERT_EQ(run_in(t, NULL, resolve_connect_once, NULL), EPERM,
		       "blocked connect"))
		return -1;
	ASSERT_HAS(next_event(t, "blocked", WAIT_MS), "192.0.2.26");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "status"), 0, "status exit");
	ASSERT_HAS(out, "state: loaded");
	ASSERT_HAS(out, "mode: block");
	ASSERT_HAS(out, "policy: 1 rules");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "stats --json"), 0, "stats exit");
	ASSERT_HAS(out, "\"blocks\":1");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "stats --prometheus"), 0, "prom exit");
	ASSERT_HAS(out, "# TYPE mxguard_blocks_total counter\n"
		   "mxguard_blocks_total 1\n");
	ASSERT_HAS(out, "mxguard_build_info{version=\"" MXG_VERSION "\"} 1\n");
	/* node_exporter's textfile collector: replaced whole, by rename. */
	{
		static char prom[OUT_SZ];
		char path[128], cmd[256];

		snprintf(path, sizeof(path), "/tmp/mxguard-test-%d.prom",
			 getpid());
		snprintf(cmd, sizeof(cmd), "stats --textfile %s", path);
		ASSERT_EQ(ctl(t, out, OUT_SZ, cmd), 0, "textfile exit");
		ASSERT_EQ(read_text(path, prom, sizeof(prom)), 0, "textfile");
		ASSERT_HAS(prom, "mxguard_blocks_total 1\n");
		ASSERT_TRUE(strncmp(prom, "ok", 2), "no reply status in it");
		unlink(path);
	}
	ASSERT_EQ(ctl(t, out, OUT_SZ, "check Army.ML"), 1, "check lookalike");
	ASSERT_HAS(out, "imitates: mil");
	ASSERT_HAS(out, "rule: lookalike ml of mil");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "check army.mil"), 0, "check clean");
	ASSERT_HAS(out, "verdict: clean");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "check a..b"), 2, "check bad name");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "list"), 0, "list exit");
	ASSERT_HAS(out, "192.0.2.26");
	ASSERT_HAS(out, "army.ml via army.ml, block");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "bogus"), 2, "unknown command");
	return 0;
}

static int t_check_without_daemon(struct tctx *t)
{
	char bin[512];
	size_t n = strlen(t->daemon_bin);

	daemon_stop(t, SIGTERM);
	snprintf(bin, sizeof(bin), "%.*sctl", (int)(n - 1), t->daemon_bin);
	ASSERT_EQ(run_cmd(out, OUT_SZ, "%s check --policy %s mail.army.ml",
			  bin, t->policy_path), 1, "offline check lookalike");
	ASSERT_HAS(out, "imitates: mil");
	ASSERT_EQ(run_cmd(out, OUT_SZ, "%s check --policy %s mail.html", bin,
			  t->policy_path), 0, "offline check clean");
	ASSERT_EQ(run_cmd(out, OUT_SZ, "%s -s /nonexistent.sock status", bin),
		  2, "no daemon: error");
	return 0;
}

/* Root only, or the configured group, by SO_PEERCRED. */
static int try_status_as(struct tctx *t, uid_t uid, gid_t gid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char reply[256] = "";
	pid_t pid = fork();
	int st, fd;

	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(gid) || setuid(uid))
			_exit(3);
		strcpy(sa.sun_path, t->control);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			_exit(errno == EACCES ? 1 : 4);
		/* A refused peer may find the socket closed before it writes. */
		sigaction(SIGPIPE, &(struct sigaction){ .sa_handler = SIG_IGN },
			  NULL);
		if (write(fd, "status\n", 7) != 7 && errno != EPIPE)
			_exit(5);
		if (read(fd, reply, sizeof(reply) - 1) <= 0)
			_exit(5);
		_exit(!strncmp(reply, "ok", 2) ? 0 :
		      strstr(reply, "permission denied") ? 2 : 6);
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int t_ctl_peercred(struct tctx *t)
{
	/* The socket is 0660 root:nogroup; peers are checked again inside. */
	ASSERT_EQ(try_status_as(t, 0, 0), 0, "root may talk");
	ASSERT_EQ(try_status_as(t, 65534, 65534), 0, "nogroup member may");
	ASSERT_EQ(try_status_as(t, 1, 1), 1, "others may not connect");
	ASSERT_EQ(chmod(t->control, 0666), 0, "open the socket's mode");
	ASSERT_EQ(try_status_as(t, 1, 1), 2, "SO_PEERCRED refuses others");
	return 0;
}

/*
 * Resolve and connect for @ms (at most 20000 rounds): a fresh lookup each
 * round, so every round meets whatever policy is in the map right then.
 * Exit status: rounds whose connect was not refused.
 */
static int resolve_connect_for(void *arg)
{
	long long end = now_ms() + *(int *)arg;
	int i, leaked = 0;

	for (i = 0; i < 20000 && now_ms() < end; i++) {
		if (resolve("army.ml", DNS_A, VIA_UDP))
			return 201;
		if (try_connect("192.0.2.26", 25) != EPERM)
			leaked++;
		usleep(500);	/* let the reloads interleave */
	}
	return leaked > 200 ? 200 : leaked;
}

static int t_reload_under_stream(struct tctx *t)
{
	static char big[64 * 1024];
	int ms = 4000, i, rc = -1, reloads = 0, st;
	size_t len = 0;
	pid_t client;

	len += snprintf(big, sizeof(big), "%s", ml_block);
	for (i = 0; i < 1500 && len < sizeof(big) - 64; i++)
		len += snprintf(big + len, sizeof(big) - len,
				"lookalike x%d.example of example.com\n", i);
	client = run_async(t, NULL, resolve_connect_for, &ms);
	/* Alternate two policies, by mxguardctl and by SIGHUP. */
	for (i = 0; i < 400; i++) {
		if (waitpid(client, &st, WNOHANG) == client) {
			rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
			break;
		}
		if (write_text(t->policy_path, i % 2 ? ml_block : big))
			return -1;
		if (i % 4 == 0)
			kill(t->daemon, SIGHUP);
		else if (ctl(t, out, OUT_SZ, "reload") == 0)
			reloads++;
		else
			fprintf(stderr, "  reload: %s", out);
	}
	if (rc < 0)
		rc = run_wait(client);
	ASSERT_TRUE(reloads >= 20, "reloads happened during the stream");
	ASSERT_EQ(rc, 0, "connects that were not refused during reloads");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "status"), 0, "status");
	ASSERT_HAS(out, "(failed 0)");
	fprintf(stderr, "  %d reloads (+SIGHUPs) under the stream\n", reloads);
	return 0;
}

static int t_reload_bad_policy(struct tctx *t)
{
	if (write_text(t->policy_path, "lookalike ml of mil action=block\n"
					"lookalike bad..name of mil\n"))
		return -1;
	ASSERT_EQ(ctl(t, out, OUT_SZ, "reload"), 2, "reload of a bad policy");
	ASSERT_HAS(out, "the loaded policy stays");
	kill(t->daemon, SIGHUP);
	ASSERT_EQ(run_in(t, NULL, resolve_connect_once, NULL), EPERM,
		  "old policy still enforced");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "status"), 0, "status");
	ASSERT_HAS(out, "(failed 2)");
	return 0;
}

static int connect_only(void *arg)
{
	return try_connect(arg, 25);
}

static int t_reload_releases(struct tctx *t)
{
	ASSERT_EQ(run_in(t, NULL, resolve_connect_once, NULL), EPERM,
		  "blocked before");
	ASSERT_EQ(run_in(t, NULL, connect_only, "192.0.2.26"), EPERM,
		  "sibling blocked in unit scope");
	if (write_text(t->policy_path, "# ml removed: mail may flow\n"))
		return -1;
	ASSERT_EQ(ctl(t, out, OUT_SZ, "reload"), 0, "reload");
	ASSERT_HAS(out, "purged");
	return ASSERT_EQ(run_in(t, NULL, connect_only, "192.0.2.26"), 0,
			 "released at once, no new lookup") ? 0 : -1;
}

/* Connect every 2 ms for @ms; the count of connects not refused. */
static int connect_for(void *arg)
{
	long long end, ms = *(int *)arg;
	struct timespec ts;
	int leaked = 0, tries = 0;

	if (resolve("army.ml", DNS_A, VIA_UDP))
		return 201;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	end = ts.tv_sec * 1000LL + ts.tv_nsec / 1000000 + ms;
	do {
		if (try_connect("192.0.2.26", 25) != EPERM)
			leaked++;
		tries++;
		usleep(2000);
		clock_gettime(CLOCK_MONOTONIC, &ts);
	} while (ts.tv_sec * 1000LL + ts.tv_nsec / 1000000 < end &&
		 tries < 5000);
	return leaked > 200 ? 200 : leaked;
}

static int t_restart_continuous(struct tctx *t)
{
	int ms = 3000;
	pid_t client = run_async(t, NULL, connect_for, &ms);

	usleep(300 * 1000);
	ASSERT_EQ(daemon_stop(t, SIGKILL), 128 + SIGKILL, "kill -9");
	if (!ASSERT_EQ(daemon_start(t, t->tc->args), 0, "restart"))
		return -1;
	ASSERT_EQ(run_wait(client), 0, "connects not refused across restart");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "status"), 0, "status");
	ASSERT_HAS(out, "adopted pinned links");
	/* The restarted daemon reports again. */
	ASSERT_EQ(run_in(t, NULL, resolve_connect_once, NULL), EPERM,
		  "blocked after restart");
	ASSERT_HAS(next_event(t, "blocked", WAIT_MS), "192.0.2.26");
	return 0;
}

static int t_caps_dropped(struct tctx *t)
{
	char path[64], line[256];
	unsigned long long eff = 0, bnd = 0;
	/* NET_ADMIN (12), SYS_PTRACE (19), BPF (39) */
	unsigned long long want = (1ULL << 12) | (1ULL << 19) | (1ULL << 39);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", t->daemon);
	f = fopen(path, "re");
	if (!ASSERT_TRUE(f != NULL, "daemon status"))
		return -1;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "CapEff: %llx", &eff);
		sscanf(line, "CapBnd: %llx", &bnd);
	}
	fclose(f);
	ASSERT_EQ(eff, want, "effective capabilities");
	ASSERT_EQ(bnd, want, "bounding set");
	return 0;
}

static int t_outputs_and_schema(struct tctx *t)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[128], json[128], msg[4096];
	struct pollfd p;
	ssize_t n;
	int fd, rc;

	/* A real /dev/log-style listener, started before the daemon. */
	snprintf(path, sizeof(path), "/tmp/mxguard-test-%d.log", getpid());
	snprintf(json, sizeof(json), "/tmp/mxguard-test-%d.json", getpid());
	unlink(path);
	unlink(json);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -1;
	daemon_stop(t, SIGTERM);
	{
		/* 32473: RFC 5612's documentation number, for tests only. */
		const char *args[] = { "--syslog", "--syslog-socket", path,
				       "--syslog-format", "rfc5424",
				       "--syslog-enterprise-id", "32473",
				       "--json", json, NULL };

		if (!ASSERT_EQ(daemon_start(t, args), 0, "daemon with outputs"))
			return -1;
	}
	ASSERT_EQ(run_in(t, NULL, resolve_connect_once, NULL), EPERM,
		  "blocked connect");
	p.fd = fd;
	p.events = POLLIN;
	msg[0] = '\0';
	/* Skip the query and taint records: wait for the refusal. */
	while (!strstr(msg, " blocked [") && poll(&p, 1, WAIT_MS) == 1) {
		n = recv(fd, msg, sizeof(msg) - 1, 0);
		msg[n > 0 ? n : 0] = '\0';
	}
	ASSERT_HAS(msg, "<28>1 ");
	ASSERT_HAS(msg, " mxguardd ");
	ASSERT_HAS(msg, " blocked [mxguard@32473 action=\"blocked\" "
			"lookalike=\"army.ml\" protected=\"mil\" "
			"dst=\"192.0.2.26\" dport=\"25\"");
	ASSERT_HAS(msg, "] blocked smtp[");
	daemon_stop(t, SIGTERM);	/* flush and close the JSON file */
	rc = run_cmd(out, OUT_SZ, "tests/bpf/validate_alerts.py "
		     "user/dist/alert.schema.json %s", json);
	ASSERT_EQ(rc, 0, "alerts valid against the schema");
	if (rc)
		fprintf(stderr, "%s", out);
	ASSERT_HAS(out, "alerts valid");
	close(fd);
	unlink(path);
	unlink(json);
	return 0;
}

static int connect_ten(void *arg)
{
	int i, refused = 0;

	(void)arg;
	if (resolve("army.ml", DNS_A, VIA_UDP))
		return 201;
	for (i = 0; i < 10; i++)
		refused += try_connect("192.0.2.26", 25) == EPERM;
	return refused;
}

static int t_repeats_summarised(struct tctx *t)
{
	const char *ev;

	ASSERT_EQ(run_in(t, NULL, connect_ten, NULL), 10, "ten refusals");
	ev = next_event(t, "blocked", WAIT_MS);
	ASSERT_TRUE(ev && !strstr(ev, "\"repeated\""), "first alert plain");
	ev = next_event(t, "blocked", WAIT_MS);
	ASSERT_HAS(ev, "\"repeated\":9");
	ASSERT_HAS(ev, "repeated 9 times");
	ASSERT_EQ(ctl(t, out, OUT_SZ, "stats --json"), 0, "stats");
	ASSERT_HAS(out, "\"alerts_rate_limited\":9");
	return 0;
}

/*
 * The start-up check of lookups the DNS programs cannot see (nss-resolve,
 * nscd), by -n too; the environment points it at files of our own.
 */
static int check_resolvers_said(struct tctx *t)
{
	static const char *const env = "MXGUARD_NSCD_SOCKET=/nonexistent";
	char nss[128];
	int ok = 1;

	snprintf(nss, sizeof(nss), "/tmp/mxguard-test-%d.nsswitch", getpid());
	if (write_text(nss, "hosts: files dns\n"))
		return -1;
	ok &= ASSERT_EQ(run_cmd(out, OUT_SZ, "%s MXGUARD_NSSWITCH_CONF=%s "
				"%s -n -f /dev/null --policy %s", env, nss,
				t->daemon_bin, t->policy_path), 0,
			"-n, hosts: files dns");
	ok &= ASSERT_TRUE(!strstr(out, "lists resolve") &&
			  !strstr(out, "nscd"), "no resolver warning");
	if (write_text(nss, "hosts: files resolve [!UNAVAIL=return] dns\n"))
		ok = 0;
	ok &= ASSERT_EQ(run_cmd(out, OUT_SZ, "%s MXGUARD_NSSWITCH_CONF=%s "
				"%s -n -f /dev/null --policy %s", env, nss,
				t->daemon_bin, t->policy_path), 0,
			"-n, hosts: resolve");
	ok &= ASSERT_HAS(out, nss);
	ok &= ASSERT_HAS(out, "hosts: lists resolve");
	ok &= ASSERT_HAS(out, "take resolve out of hosts:");
	unlink(nss);
	return ok ? 0 : -1;
}

static int t_check_config(struct tctx *t)
{
	char bad[128];

	snprintf(bad, sizeof(bad), "/tmp/mxguard-test-%d.bad", getpid());
	if (write_text(bad, "lookalike ml of mil\nfrobnicate x\n"))
		return -1;
	ASSERT_EQ(run_cmd(out, OUT_SZ, "%s -n -f /dev/null --policy %s",
			  t->daemon_bin, t->policy_path), 0, "-n good");
	ASSERT_EQ(run_cmd(out, OUT_SZ, "%s -n -f /dev/null --policy %s",
			  t->daemon_bin, bad), 2, "-n bad");
	ASSERT_HAS(out, ":2: unknown directive 'frobnicate'");
	chmod(bad, 0666);
	ASSERT_EQ(run_cmd(out, OUT_SZ, "%s -n -f /dev/null --policy %s",
			  t->daemon_bin, bad), 2, "world-writable policy");
	ASSERT_HAS(out, "anyone may write");
	unlink(bad);
	return check_resolvers_said(t);
}

const struct tcase service_tests[] = {
	{ .name = "ctl_commands", .fn = t_ctl_commands, .policy = ml_block,
	  .zone = zone },
	{ .name = "ctl_check_without_daemon", .fn = t_check_without_daemon,
	  .policy = ml_block, .zone = zone },
	{ .name = "ctl_peercred", .fn = t_ctl_peercred, .policy = ml_block,
	  .zone = zone, .args = { "--config", "tests/bpf/nogroup.conf" } },
	{ .name = "reload_under_stream", .fn = t_reload_under_stream,
	  .policy = ml_block, .zone = zone },
	{ .name = "reload_bad_policy_keeps_old", .fn = t_reload_bad_policy,
	  .policy = ml_block, .zone = zone },
	{ .name = "reload_releases_removed_rule", .fn = t_reload_releases,
	  .policy = ml_block, .zone = zone, .args = { "--scope", "unit" } },
	{ .name = "restart_continuous", .fn = t_restart_continuous,
	  .policy = ml_block, .zone = zone },
	{ .name = "capabilities_dropped", .fn = t_caps_dropped,
	  .policy = ml_block, .zone = zone },
	{ .name = "syslog_json_schema", .fn = t_outputs_and_schema,
	  .policy = ml_block, .zone = zone },
	{ .name = "repeats_summarised", .fn = t_repeats_summarised,
	  .policy = ml_block, .zone = zone,
	  .args = { "--repeat-window", "1" } },
	{ .name = "check_config", .fn = t_check_config, .policy = ml_block,
	  .zone = zone },
	{ 0 },
};
