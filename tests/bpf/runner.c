// SPDX-License-Identifier: GPL-2.0-only
/*
 * Runs each test case in a forked child with its own network namespace and
 * its own cgroup; the parent removes the cgroup and the pins afterwards, even
 * when the child failed, hung or crashed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "harness.h"
#include "loader.h"
#include "log.h"

#define TEST_TIMEOUT_S 90

extern const struct tcase datapath_tests[];
extern const struct tcase service_tests[];
extern const struct tcase conncache_tests[];
extern const struct tcase reload_tests[];
extern const struct tcase failclosed_tests[];
extern const struct tcase control_tests[];
extern const struct tcase sinks_tests[];
extern const struct tcase secondlook_tests[];
extern const struct tcase responder_tests[];
extern const struct tcase correspondents_tests[];
extern const struct tcase similarity_tests[];
static const struct tcase *const suites[] = { datapath_tests, failclosed_tests,
					      service_tests, control_tests,
					      conncache_tests, reload_tests,
					      sinks_tests, secondlook_tests,
					      responder_tests,
					      correspondents_tests,
					      similarity_tests, NULL };
int test_failures(void);

static const uint16_t sink_ports[] = { 25, 465, 587, 2525 };

static int sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc)
		fprintf(stderr, "  command failed (%d): %s\n", rc, cmd);
	return rc;
}

/* Loopback-only topology: documentation ranges are local, nothing routes out. */
static int setup_netns(void)
{
	if (unshare(CLONE_NEWNET)) {
		perror("unshare(CLONE_NEWNET)");
		return -1;
	}
	return sh("ip link set lo up && "
		  "ip route add local 192.0.2.0/24 dev lo && "
		  "ip route add local 198.51.100.0/24 dev lo && "
		  "ip -6 addr add 2001:db8::1/64 dev lo nodad && "
		  "ip -6 route add local 2001:db8::/64 dev lo table local");
}

static int listen_any(int fam, uint16_t port)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	int fd = socket(fam, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fam == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		s6.sin6_port = htons(port);
		if (bind(fd, (struct sockaddr *)&s6, sizeof(s6)))
			return -1;
	} else {
		s4.sin_port = htons(port);
		if (bind(fd, (struct sockaddr *)&s4, sizeof(s4)))
			return -1;
	}
	return listen(fd, 1024) ? -1 : fd;
}

static int open_sinks(void)
{
	size_t i;

	for (i = 0; i < sizeof(sink_ports) / sizeof(sink_ports[0]); i++)
		if (listen_any(AF_INET, sink_ports[i]) < 0 ||
		    listen_any(AF_INET6, sink_ports[i]) < 0) {
			perror("listen on sink port");
			return -1;
		}
	return 0;
}

static int write_policy(struct tctx *t)
{
	FILE *f = fopen(t->policy_path, "we");

	if (!f)
		return -1;
	fputs(t->tc->policy, f);
	return fclose(f);
}

static int run_one(struct tctx *t)
{
	int rc = -1;

	alarm(TEST_TIMEOUT_S);
	srandom(getpid());
	if (setup_netns() || open_sinks() || write_policy(t))
		return 1;
	t->dnsd = dnsd_start(t->tc);
	if (t->dnsd < 0)
		goto out;
	if (daemon_start(t, t->tc->args))
		goto out;
	rc = t->tc->fn(t);
out:
	daemon_stop(t, SIGTERM);
	if (t->dnsd > 0)
		kill(t->dnsd, SIGKILL);
	unlink(t->policy_path);
	return rc || test_failures() ? 1 : 0;
}

static void kill_cgroup(const char *cg)
{
	char path[600], line[64];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	for (i = 0; i < 50; i++) {
		f = fopen(path, "re");
		if (!f)
			return;
		int any = 0;
		while (fgets(line, sizeof(line), f)) {
			kill(atoi(line), SIGKILL);
			any = 1;
		}
		fclose(f);
		if (!any)
			return;
		usleep(20000);
	}
}

/* Remove @cg and its children, deepest first. */
static void remove_cgroup(const char *cg)
{
	static const char *const subs[] = { "a", "b", NULL };
	char path[600];
	int i, tries;

	for (i = 0; subs[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s", cg, subs[i]);
		kill_cgroup(path);
		rmdir(path);
	}
	kill_cgroup(cg);
	for (tries = 0; tries < 50 && rmdir(cg) && errno == EBUSY; tries++)
		usleep(20000);
}

/* Names of cgroups, pins and files: MXG_TEST_ID (run.sh's pid) or ours. */
static long test_id(void)
{
	const char *id = getenv("MXG_TEST_ID");

	return id ? atol(id) : (long)getpid();
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * A case in flight: its context, its child, and where its output goes.
 * Cases run in forked children; with MXG_TEST_JOBS=N up to N at once (each
 * has its own netns, cgroup, pins and files, named by its index), and each
 * child's stdout and stderr go to a file that is copied to our stderr when
 * the case ends, so that the log reads case by case.  TAP lines come out in
 * case order whatever order the cases end in.
 */
struct slot {
	struct tctx t;
	pid_t pid;
	int idx;
	double t0;
	char log[300];
	int rc;
	int done;
};

static void case_paths(struct tctx *t, const char *base, int idx)
{
	snprintf(t->cg, sizeof(t->cg), "%s/%s", base, t->tc->name);
	snprintf(t->pin, sizeof(t->pin), "/sys/fs/bpf/mxguard-test-%ld-%d",
		 test_id(), idx);
	snprintf(t->policy_path, sizeof(t->policy_path),
		 "/tmp/mxguard-test-%ld-%d.policy", test_id(), idx);
	snprintf(t->control, sizeof(t->control),
		 "/tmp/mxguard-test-%ld-%d.sock", test_id(), idx);
	snprintf(t->learned, sizeof(t->learned),
		 "/tmp/mxguard-test-%ld-%d.learned", test_id(), idx);
	snprintf(t->corr, sizeof(t->corr),
		 "/tmp/mxguard-test-%ld-%d.corr", test_id(), idx);
}

/* Fork the case; 0 if it runs, else its result (it failed to start). */
static int start_case(struct slot *sl, const char *base)
{
	int fd;

	case_paths(&sl->t, base, sl->idx);
	snprintf(sl->log, sizeof(sl->log), "/tmp/mxguard-test-%ld-%d.log",
		 test_id(), sl->idx);
	sl->t0 = mono_s();
	if (mkdir(sl->t.cg, 0755)) {
		perror(sl->t.cg);
		return 1;
	}
	fflush(NULL);
	sl->pid = fork();
	if (sl->pid < 0) {
		perror("fork");
		return 1;
	}
	if (sl->pid == 0) {
		fd = open(sl->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			  0600);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		_exit(run_one(&sl->t));
	}
	return 0;
}

/* Copy the case's output to stderr, then clean up after it. */
static void finish_case(struct slot *sl, int st)
{
	struct tctx *t = &sl->t;
	char lock[sizeof(t->control) + 8], buf[4096];
	size_t n;
	FILE *f;

	sl->rc = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
	fprintf(stderr, "# %s\n", t->tc->name);
	f = fopen(sl->log, "re");
	if (f) {
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, n, stderr);
		fclose(f);
	}
	unlink(sl->log);
	if (WIFSIGNALED(st))
		fprintf(stderr, "  killed by signal %d%s\n", WTERMSIG(st),
			WTERMSIG(st) == SIGALRM ? " (timeout)" : "");
	remove_cgroup(t->cg);
	loader_unload(t->pin);
	unlink(t->policy_path);
	unlink(t->control);
	/* The daemon's lock beside its socket, left by a kill -9. */
	snprintf(lock, sizeof(lock), "%s.lock", t->control);
	unlink(lock);
	/* And its query socket (query.c: "<control>.query" by default). */
	snprintf(lock, sizeof(lock), "%s.query", t->control);
	unlink(lock);
	unlink(t->learned);
	unlink(t->corr);
	/* On stderr (the log): where a slow kernel's time goes. */
	fprintf(stderr, "# %s: %.2f s\n", t->tc->name, mono_s() - sl->t0);
	sl->done = 1;
}

/*
 * FILTER is a comma-separated list of name substrings: a case runs if it
 * matches one of them, and no item prefixed with '-' (an exclusion).  A list
 * of exclusions alone keeps every other case.  vmtest passes its lists here.
 */
static int selected(const char *name, const char *filter)
{
	char items[512], *item, *save = NULL;
	int wanted = -1;

	if (!filter || !*filter)
		return 1;
	snprintf(items, sizeof(items), "%s", filter);
	for (item = strtok_r(items, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		if (item[0] == '-') {
			if (item[1] && strstr(name, item + 1))
				return 0;
		} else if (wanted != 1) {
			wanted = strstr(name, item) != NULL;
		}
	}
	return wanted != 0;
}

/* MXG_TEST_JOBS: cases at once (1 to 8; 1 by default). */
static int test_jobs(void)
{
	const char *v = getenv("MXG_TEST_JOBS");
	int j = v ? atoi(v) : 1;

	return j < 1 ? 1 : j > 8 ? 8 : j;
}

int main(int argc, char **argv)
{
	const char *filter = argc > 2 ? argv[2] : NULL;
	char root[256], base[320];
	int i, s, n = 0, passed = 0, failed = 0, running = 0, next = 0;
	int jobs = test_jobs(), st, k;
	struct slot *slots;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: %s MXGUARDD [NAME[,NAME|,-NAME]...]\n"
			"  MXG_TEST_JOBS=N runs N cases at once\n", argv[0]);
		return 2;
	}
	log_init("bpf_test", LOG_LVL_WARN);
	if (cgroup2_root(root, sizeof(root))) {
		fprintf(stderr, "no cgroup2 mount\n");
		return 1;
	}
	for (s = 0; suites[s]; s++)
		for (i = 0; suites[s][i].name; i++)
			n += selected(suites[s][i].name, filter);
	slots = calloc(n ? n : 1, sizeof(*slots));
	if (!slots) {
		perror("calloc");
		return 1;
	}
	k = 0;
	for (s = 0; suites[s]; s++)
		for (i = 0; suites[s][i].name; i++)
			if (selected(suites[s][i].name, filter)) {
				slots[k].t.tc = &suites[s][i];
				slots[k].t.daemon_bin = argv[1];
				slots[k].idx = k + 1;
				k++;
			}
	snprintf(base, sizeof(base), "%s/mxguard-test-%ld", root, test_id());
	if (mkdir(base, 0755)) {
		perror(base);
		return 1;
	}
	k = 0;			/* the next TAP line to print */
	while (k < n) {
		while (running < jobs && next < n) {
			if (start_case(&slots[next], base)) {
				slots[next].rc = 1;
				slots[next].done = 1;
			} else {
				running++;
			}
			next++;
		}
		if (running) {
			pid = waitpid(-1, &st, 0);
			if (pid < 0) {
				if (errno == EINTR)
					continue;
				perror("waitpid");
				break;
			}
			for (i = 0; i < next; i++)
				if (slots[i].pid == pid && !slots[i].done) {
					finish_case(&slots[i], st);
					running--;
					break;
				}
		}
		for (; k < n && slots[k].done; k++) {
			if (slots[k].rc) {
				printf("not ok %d - %s\n", k + 1,
				       slots[k].t.tc->name);
				failed++;
			} else {
				printf("ok %d - %s\n", k + 1,
				       slots[k].t.tc->name);
				passed++;
			}
			fflush(stdout);
		}
	}
	rmdir(base);
	free(slots);
	printf("1..%d\n", n);
	printf("%d passed, %d failed\n", passed, failed);
	return failed || k < n || !n ? 1 : 0;
}
