// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "harness.h"
#include "mxguard/abi.h"

static int failures;

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "  FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	failures++;
}

int test_failures(void)
{
	return failures;
}

long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

int read_text(const char *path, char *buf, size_t sz)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	buf[0] = '\0';
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sz - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

int write_text(const char *path, const char *text)
{
	char tmp[300];
	FILE *f;

	/* rename(2): a reader sees the old file or the new one. */
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "we");
	if (!f)
		return -1;
	fputs(text, f);
	if (fclose(f))
		return -1;
	return rename(tmp, path);
}

int join_cgroup(const char *cg)
{
	char path[600], pid[32];

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	snprintf(pid, sizeof(pid), "%d", getpid());
	return write_file(path, pid);
}

int sub_cgroup(struct tctx *t, const char *name, char *out, size_t sz)
{
	snprintf(out, sz, "%s/%s", t->cg, name);
	return mkdir(out, 0755) && errno != EEXIST ? -errno : 0;
}

pid_t run_async(struct tctx *t, const char *cgroup, int (*fn)(void *),
		void *arg)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* The name an alert should report for the connecting process. */
	prctl(PR_SET_NAME, "smtp");
	if (join_cgroup(cgroup ? cgroup : t->cg))
		_exit(250);
	_exit(fn(arg) & 0xff);
}

int run_wait(pid_t pid)
{
	int st;

	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int run_in(struct tctx *t, const char *cgroup, int (*fn)(void *), void *arg)
{
	return run_wait(run_async(t, cgroup, fn, arg));
}

static int wait_ready(int sock, pid_t daemon)
{
	struct pollfd p = { .fd = sock, .events = POLLIN };
	char msg[256];
	ssize_t n;
	int i, st;

	for (i = 0; i < 300; i++) {
		if (poll(&p, 1, 100) == 1) {
			n = recv(sock, msg, sizeof(msg) - 1, 0);
			if (n > 0) {
				msg[n] = '\0';
				if (strstr(msg, "READY=1"))
					return 0;
			}
		}
		if (waitpid(daemon, &st, WNOHANG) == daemon) {
			fprintf(stderr, "  mxguardd exited before READY\n");
			return -1;
		}
	}
	fprintf(stderr, "  mxguardd not ready after 30 s\n");
	return -1;
}

static int notify_socket(struct tctx *t)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	size_t len;

	snprintf(t->notify, sizeof(t->notify), "@mxguard-test-%d-%lld",
		 getpid(), now_ms());
	len = strlen(t->notify);
	memcpy(sa.sun_path, t->notify, len);
	sa.sun_path[0] = '\0';
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa,
			   offsetof(struct sockaddr_un, sun_path) + len)) {
		perror("notify socket");
		return -1;
	}
	return fd;
}

size_t read_for(int fd, char *buf, size_t sz, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	long long end = now_ms() + ms;
	size_t n = 0;
	ssize_t r;

	while (n + 1 < sz && now_ms() < end &&
	       poll(&p, 1, end - now_ms()) == 1) {
		r = read(fd, buf + n, sz - 1 - n);
		if (r <= 0)
			break;
		n += r;
	}
	buf[n] = '\0';
	return n;
}

/* The lowest descriptor number free in @pid now: its next open's. */
int lowest_free_fd(pid_t pid)
{
	unsigned char used[4096] = { 0 };
	char path[64];
	struct dirent *de;
	DIR *d;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		n = atoi(de->d_name);
		if (de->d_name[0] != '.' && n >= 0 && n < 4096)
			used[n] = 1;
	}
	closedir(d);
	for (n = 0; n < 4096 && used[n]; n++)
		;
	return n;
}

int starve_fds(pid_t pid, struct rlimit *was)
{
	struct rlimit low;
	int n = -1, prev, i;

	if (prlimit(pid, RLIMIT_NOFILE, NULL, was))
		return -1;
	low = *was;
	/* Until it holds still: a client it is closing frees one. */
	for (i = 0; i < 20; i++) {
		prev = n;
		n = lowest_free_fd(pid);
		if (n <= 0)
			return -1;
		if (n == prev)
			return 0;
		low.rlim_cur = n;
		if (prlimit(pid, RLIMIT_NOFILE, &low, NULL))
			return -1;
		usleep(100 * 1000);
	}
	prlimit(pid, RLIMIT_NOFILE, was, NULL);
	return -1;
}

int exited_within(pid_t pid, int ms)
{
	int pfd = syscall(SYS_pidfd_open, pid, 0), st = 0, ready;
	struct pollfd p = { .fd = pfd, .events = POLLIN };

	if (pfd < 0)
		return -1;
	ready = poll(&p, 1, ms) == 1;
	close(pfd);
	if (!ready || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/*
 * The arguments of every daemon a test starts: @policy, the watched
 * cgroup, @pin and @control, and files of the test's own: never the
 * host's mxguard.conf, learned rules or correspondents.  No SMTP
 * responder unless a test asks for one (test_responder.c): the other
 * suites expect a port-25 block to be EPERM.  How many of @argv's
 * entries were set; argv[n] is NULL.
 */
static int daemon_argv(const struct tctx *t, const char **argv,
		       const char *policy, const char *pin, const char *control)
{
	int n = 0;

	argv[n++] = t->daemon_bin;
	argv[n++] = "--foreground";
	argv[n++] = "--policy";
	argv[n++] = policy;
	argv[n++] = "--cgroup";
	argv[n++] = t->cg;
	argv[n++] = "--pin-dir";
	argv[n++] = pin;
	argv[n++] = "--control";
	argv[n++] = control;
	argv[n++] = "--config";
	argv[n++] = "/dev/null";
	argv[n++] = "--learned-file";
	argv[n++] = t->learned;
	argv[n++] = "--correspondents-file";
	argv[n++] = t->corr;
	argv[n++] = "--responder-port";
	argv[n++] = "0";
	argv[n] = NULL;
	return n;
}

int daemon_start(struct tctx *t, const char *const *extra)
{
	const char *argv[40];
	int out[2], ns, n, i;

	ns = notify_socket(t);
	if (ns < 0 || pipe2(out, O_CLOEXEC))
		return -1;
	n = daemon_argv(t, argv, t->policy_path, t->pin, t->control);
	for (i = 0; extra && extra[i] && n < 38; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	t->daemon = fork();
	if (t->daemon == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(out[1], STDOUT_FILENO);
		setenv("NOTIFY_SOCKET", t->notify, 1);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	close(out[1]);
	t->daemon_out = out[0];
	t->buflen = 0;
	i = wait_ready(ns, t->daemon);
	close(ns);
	return i;
}

int daemon_exec(struct tctx *t, const char *policy, const char *pin,
	       const char *control, char *buf, size_t sz)
{
	const char *argv[24];
	int p[2], rc;
	pid_t pid;

	daemon_argv(t, argv, policy, pin, control);
	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(p[1], STDOUT_FILENO);
		dup2(p[1], STDERR_FILENO);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	close(p[1]);
	/* Its output ends when it does; one that stays is killed. */
	read_for(p[0], buf, sz, 10000);
	close(p[0]);
	rc = exited_within(pid, 100);
	if (rc < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return rc;
}

int daemon_stop(struct tctx *t, int sig)
{
	int st = -1;

	if (t->daemon <= 0)
		return 0;
	kill(t->daemon, sig);
	waitpid(t->daemon, &st, 0);
	t->daemon = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Pop one complete line from the buffer into t->line. */
static int pop_line(struct tctx *t)
{
	char *nl = memchr(t->buf, '\n', t->buflen);
	size_t n;

	if (!nl)
		return 0;
	n = nl - t->buf;
	if (n >= sizeof(t->line))
		n = sizeof(t->line) - 1;
	memcpy(t->line, t->buf, n);
	t->line[n] = '\0';
	t->buflen -= nl + 1 - t->buf;
	memmove(t->buf, nl + 1, t->buflen);
	return 1;
}

const char *next_event(struct tctx *t, const char *action, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	struct pollfd p = { .fd = t->daemon_out, .events = POLLIN };
	char want[96];
	ssize_t n;

	snprintf(want, sizeof(want), "\"action\":\"%s\"", action ? action : "");
	for (;;) {
		while (pop_line(t)) {
			if (getenv("MXG_TEST_VERBOSE"))
				fprintf(stderr, "  event: %s\n", t->line);
			if (!action || strstr(t->line, want))
				return t->line;
		}
		if (now_ms() >= deadline ||
		    poll(&p, 1, deadline - now_ms()) != 1)
			return NULL;
		n = read(t->daemon_out, t->buf + t->buflen,
			 sizeof(t->buf) - t->buflen);
		if (n <= 0)
			return NULL;
		t->buflen += n;
	}
}

int pinned(struct tctx *t, const char *name)
{
	char path[320];

	snprintf(path, sizeof(path), "%s/%s", t->pin, name);
	return bpf_obj_get(path);
}

long long counter(struct tctx *t, int which)
{
	char path[300];
	int ncpu = libbpf_num_possible_cpus(), fd, i;
	unsigned long long vals[1024], sum = 0;
	__u32 key = which;

	snprintf(path, sizeof(path), "%s/counters", t->pin);
	fd = bpf_obj_get(path);
	if (fd < 0 || ncpu > 1024)
		return -1;
	if (bpf_map_lookup_elem(fd, &key, vals)) {
		close(fd);
		return -1;
	}
	close(fd);
	for (i = 0; i < ncpu; i++)
		sum += vals[i];
	return sum;
}

int run_cmd(char *out, size_t sz, const char *fmt, ...)
{
	char cmd[2048];
	size_t n = 0, r;
	va_list ap;
	FILE *f;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd) - 8, fmt, ap);
	va_end(ap);
	strcat(cmd, " 2>&1");
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (n + 1 < sz && (r = fread(out + n, 1, sz - 1 - n, f)) > 0)
		n += r;
	out[n] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int lockdown_confidentiality(void)
{
	char line[128] = "";
	FILE *f = fopen("/sys/kernel/security/lockdown", "re");

	if (!f)
		return 0;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	return strstr(line, "[confidentiality]") != NULL;
}

int ctl(struct tctx *t, char *out, size_t sz, const char *args)
{
	char bin[512];
	size_t n = strlen(t->daemon_bin);

	/* mxguardctl sits beside mxguardd. */
	snprintf(bin, sizeof(bin), "%.*sctl", (int)(n - 1), t->daemon_bin);
	return run_cmd(out, sz, "%s -s %s %s", bin, t->control, args);
}
