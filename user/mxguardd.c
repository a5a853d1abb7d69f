// SPDX-License-Identifier: GPL-2.0-only
/*
 * mxguardd: compile the lookalike policy, load and pin the datapath, and
 * turn its events into alerts.  Enforcement lives in pinned BPF links, so it
 * outlives this process; only --unload removes it.
 */
#include <errno.h>
#include <stddef.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "cgroup.h"
#include "event.h"
#include "loader.h"
#include "log.h"
#include "policy.h"

enum exit_code {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* runtime failure: kernel, attach, I/O */
	EXIT_CONFIG = 2,	/* usage or policy error: nothing changed */
};

#define MAX_POLICY_PATHS 64

static struct {
	const char *policies[MAX_POLICY_PATHS];
	int npolicies;
	const char *cgroup;
	int foreground;
	int unload;
	int check_only;
	int verbosity;
	struct mxg_settings set;
} opt = {
	.set = {
		.pin_dir = MXG_PIN_DIR_DEFAULT,
		.mode = MXG_MODE_ENFORCE,
		.scope = MXG_SCOPE_PROCESS,
		.ttl_min_s = MXG_TTL_MIN_DEFAULT,
		.ttl_max_s = MXG_TTL_MAX_DEFAULT,
		.ports = { 25, 465, 587 },
		.nports = 3,
	},
	.verbosity = LOG_LVL_INFO,
};

static volatile sig_atomic_t stopping;

static void usage(FILE *f)
{
	fprintf(f,
"usage: mxguardd --policy PATH [--policy PATH ...] [--cgroup PATH]\n"
"                [--mode alert|block] [--scope process|unit|host]\n"
"                [--ports 25,465,587] [--ttl-min SECS] [--ttl-max SECS]\n"
"                [--pin-dir DIR] [--foreground] [-n] [-v]\n"
"       mxguardd --unload [--pin-dir DIR]\n"
"\n"
"  --policy PATH   policy file, or directory of *.policy files\n"
"  --cgroup PATH   cgroup v2 to watch (default: the cgroup2 root)\n"
"  --mode alert    dry run: every rule only alerts (default: block,\n"
"                  i.e. each rule acts as written)\n"
"  --scope S       which connects a taint covers (default: process)\n"
"  --ports LIST    monitored destination ports (default: 25,465,587)\n"
"  --ttl-min/max   clamp taint lifetime (default: %d..%d s)\n"
"  --pin-dir DIR   bpffs directory for pins (default: %s)\n"
"  --foreground    print each event as one JSON line on stdout\n"
"  -n              check the policy and exit\n"
"  --unload        detach and remove every pin, then exit\n",
		MXG_TTL_MIN_DEFAULT, MXG_TTL_MAX_DEFAULT, MXG_PIN_DIR_DEFAULT);
}

static int parse_ports(const char *arg)
{
	char *dup = strdup(arg), *tok, *save = NULL, *end;
	long v;
	int n = 0;

	if (!dup)
		return -1;
	for (tok = strtok_r(dup, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		v = strtol(tok, &end, 10);
		if (*end || v <= 0 || v > 65535 || v == 53 ||
		    n == MXG_PORTS_MAX) {
			free(dup);
			return -1;
		}
		opt.set.ports[n++] = v;
	}
	free(dup);
	opt.set.nports = n;
	return n ? 0 : -1;
}

static int parse_choice(const char *arg, const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(arg, names[i]))
			return i;
	return -1;
}

static int parse_secs(const char *arg, __u64 *out)
{
	char *end;
	unsigned long long v = strtoull(arg, &end, 10);

	if (*end || !*arg || v > 365ULL * 86400)
		return -1;
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv)
{
	static const char *const modes[] = { "block", "alert" };
	static const char *const scopes[] = { "process", "unit", "host" };
	static const struct option longopts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "cgroup", required_argument, NULL, 'c' },
		{ "mode", required_argument, NULL, 'm' },
		{ "scope", required_argument, NULL, 's' },
		{ "ports", required_argument, NULL, 'P' },
		{ "ttl-min", required_argument, NULL, 't' },
		{ "ttl-max", required_argument, NULL, 'T' },
		{ "pin-dir", required_argument, NULL, 'd' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "unload", no_argument, NULL, 'u' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c, v;

	while ((c = getopt_long(argc, argv, "p:c:m:s:fnvh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'p':
			if (opt.npolicies == MAX_POLICY_PATHS)
				goto bad;
			opt.policies[opt.npolicies++] = optarg;
			break;
		case 'c': opt.cgroup = optarg; break;
		case 'm':
			v = parse_choice(optarg, modes, 2);
			if (v < 0)
				goto bad;
			opt.set.mode = v;
			break;
		case 's':
			v = parse_choice(optarg, scopes, 3);
			if (v < 0)
				goto bad;
			opt.set.scope = v;
			break;
		case 'P':
			if (parse_ports(optarg))
				goto bad;
			break;
		case 't':
			if (parse_secs(optarg, &opt.set.ttl_min_s))
				goto bad;
			break;
		case 'T':
			if (parse_secs(optarg, &opt.set.ttl_max_s))
				goto bad;
			break;
		case 'd': opt.set.pin_dir = optarg; break;
		case 'f': opt.foreground = 1; break;
		case 'u': opt.unload = 1; break;
		case 'n': opt.check_only = 1; break;
		case 'v': opt.verbosity++; break;
		case 'h': usage(stdout); exit(EXIT_OK);
		default: goto bad;
		}
	}
	if (optind != argc || opt.set.ttl_min_s > opt.set.ttl_max_s)
		goto bad;
	if (!opt.unload && !opt.npolicies) {
		pr_warn("no --policy given\n");
		goto bad;
	}
	return 0;
bad:
	/* getopt has already named an unknown option; name a bad value. */
	if (c != '?' && c != -1 && optarg)
		pr_warn("invalid value '%s'\n", optarg);
	usage(stderr);
	return -1;
}

static int load_policy(struct mxg_policy *p)
{
	int i, errors = 0;

	policy_init(p);
	for (i = 0; i < opt.npolicies; i++)
		errors += policy_load_path(p, opt.policies[i]);
	if (errors) {
		pr_warn("%d error%s in policy; nothing loaded\n", errors,
			errors == 1 ? "" : "s");
		policy_free(p);
		return -1;
	}
	return 0;
}

/* sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET. */
static void notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@'))
		return;
	len = strlen(path);
	if (len >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
	       offsetof(struct sockaddr_un, sun_path) + len);
	close(fd);
}

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static int install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct sigaction ign = { .sa_handler = SIG_IGN };

	sigemptyset(&sa.sa_mask);
	sigemptyset(&ign.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL) ||
	    sigaction(SIGPIPE, &ign, NULL))
		return -1;
	return 0;
}

static int run_events(struct mxg_loader *l, struct event_ctx *ec)
{
	struct ring_buffer *rb;
	int err = 0;

	rb = ring_buffer__new(loader_events_fd(l), event_handle, ec, NULL);
	if (!rb) {
		pr_warn("ring buffer: %s\n", strerror(errno));
		return -1;
	}
	while (!stopping) {
		err = ring_buffer__poll(rb, 500);
		if (err == -EINTR) {
			err = 0;
			continue;
		}
		if (err < 0) {
			pr_warn("ring buffer poll: %s\n", strerror(-err));
			break;
		}
		err = 0;
	}
	ring_buffer__free(rb);
	return err;
}

static int serve(struct mxg_policy *policy)
{
	struct event_ctx ec = { .policy = policy };
	char cgroup[4096];
	struct mxg_loader l;
	int err;

	if (cgroup_resolve(opt.cgroup, cgroup, sizeof(cgroup)))
		return EXIT_CONFIG;
	opt.set.cgroup = cgroup;
	if (loader_start(&l, &opt.set))
		return EXIT_FAIL;
	err = loader_set_policy(&l, policy);
	if (!err)
		err = loader_attach(&l, cgroup);
	if (err) {
		loader_close(&l);
		return EXIT_FAIL;
	}
	pr_info("%s %s: %zu rules, mode %s, pins in %s\n",
		l.adopted ? "adopted enforcement on" : "attached to", cgroup,
		policy->n, opt.set.mode == MXG_MODE_ALERT ? "alert" : "block",
		opt.set.pin_dir);
	jw_init(&ec.jw);
	if (opt.foreground)
		ec.json_out = stdout;
	else
		ec.use_syslog = 1;
	openlog("mxguardd", LOG_PID, LOG_DAEMON);
	notify("READY=1");
	err = run_events(&l, &ec);
	notify("STOPPING=1");
	loader_log_counters(&l);
	pr_info("exiting; enforcement stays pinned in %s\n", opt.set.pin_dir);
	jw_free(&ec.jw);
	loader_close(&l);
	return err ? EXIT_FAIL : EXIT_OK;
}

int main(int argc, char **argv)
{
	struct mxg_policy policy;
	int rc;

	log_init("mxguardd", LOG_LVL_INFO);
	if (parse_args(argc, argv))
		return EXIT_CONFIG;
	log_init("mxguardd", opt.verbosity);
	log_route_libbpf();
	if (opt.unload) {
		if (loader_unload(opt.set.pin_dir))
			return EXIT_FAIL;
		pr_info("unloaded: removed %s\n", opt.set.pin_dir);
		return EXIT_OK;
	}
	if (load_policy(&policy))
		return EXIT_CONFIG;
	if (opt.check_only) {
		pr_info("policy OK: %zu rules\n", policy.n);
		policy_free(&policy);
		return EXIT_OK;
	}
	if (install_signals()) {
		log_warn("sigaction");
		policy_free(&policy);
		return EXIT_FAIL;
	}
	rc = serve(&policy);
	policy_free(&policy);
	return rc;
}
