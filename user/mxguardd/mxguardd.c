// SPDX-License-Identifier: GPL-2.0-only
/*
 * mxguardd: compile the lookalike policy, load and pin the datapath, and
 * turn its events into alerts.  Enforcement lives in pinned BPF links, so it
 * outlives this process; only --unload (or `mxguardctl unload`) removes it.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "config.h"
#include "daemon.h"
#include "loader.h"
#include "log.h"
#include "policy.h"
#include "resolvers.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: mxguardd [-f FILE] [--policy PATH ...] [--cgroup PATH]\n"
"                [--mode alert|block] [--scope process|unit|host]\n"
"                [--ports 25,465,587] [--ttl-min S] [--ttl-max S]\n"
"                [--pin-dir DIR] [--foreground] [--json FILE] [--syslog]\n"
"                [--syslog-socket PATH] [--syslog-format cee|rfc5424]\n"
"                [--syslog-enterprise-id N] [--journal] [--human]\n"
"                [--control PATH] [--query PATH]\n"
"                [--repeat-window S] [--learned-file PATH]\n"
"                [--learned-lifetime S] [--correspondents-file PATH]\n"
"                [--responder-port PORT]\n"
"                [--responder-netns PATH] [--responder-timeout S]\n"
"                [-n|--check-config] [-v]\n"
"       mxguardd --unload [--pin-dir DIR]\n"
"       mxguardd --version\n"
"See mxguardd(8).\n");
}

enum { OPT_PORTS = 256, OPT_TTL_MIN, OPT_TTL_MAX, OPT_PIN_DIR, OPT_UNLOAD,
       OPT_JSON, OPT_SYSLOG, OPT_SYSLOG_SOCKET, OPT_HUMAN, OPT_CONTROL,
       OPT_REPEAT, OPT_LEARNED_FILE, OPT_LEARNED_LIFETIME, OPT_CORR_FILE,
       OPT_JOURNAL,
       OPT_SYSLOG_FORMAT, OPT_SYSLOG_PEN, OPT_VERSION, OPT_QUERY,
       OPT_RESP_PORT, OPT_RESP_NETNS, OPT_RESP_TIMEOUT };

static const struct option longopts[] = {
	{ "config", required_argument, NULL, 'f' },
	{ "policy", required_argument, NULL, 'p' },
	{ "cgroup", required_argument, NULL, 'c' },
	{ "mode", required_argument, NULL, 'm' },
	{ "scope", required_argument, NULL, 's' },
	{ "ports", required_argument, NULL, OPT_PORTS },
	{ "ttl-min", required_argument, NULL, OPT_TTL_MIN },
	{ "ttl-max", required_argument, NULL, OPT_TTL_MAX },
	{ "pin-dir", required_argument, NULL, OPT_PIN_DIR },
	{ "foreground", no_argument, NULL, 'F' },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "syslog", no_argument, NULL, OPT_SYSLOG },
	{ "syslog-socket", required_argument, NULL, OPT_SYSLOG_SOCKET },
	{ "syslog-format", required_argument, NULL, OPT_SYSLOG_FORMAT },
	{ "syslog-enterprise-id", required_argument, NULL, OPT_SYSLOG_PEN },
	{ "journal", no_argument, NULL, OPT_JOURNAL },
	{ "human", no_argument, NULL, OPT_HUMAN },
	{ "control", required_argument, NULL, OPT_CONTROL },
	{ "query", required_argument, NULL, OPT_QUERY },
	{ "repeat-window", required_argument, NULL, OPT_REPEAT },
	{ "learned-file", required_argument, NULL, OPT_LEARNED_FILE },
	{ "learned-lifetime", required_argument, NULL, OPT_LEARNED_LIFETIME },
	{ "correspondents-file", required_argument, NULL, OPT_CORR_FILE },
	{ "responder-port", required_argument, NULL, OPT_RESP_PORT },
	{ "responder-netns", required_argument, NULL, OPT_RESP_NETNS },
	{ "responder-timeout", required_argument, NULL, OPT_RESP_TIMEOUT },
	{ "unload", no_argument, NULL, OPT_UNLOAD },
	{ "check-config", no_argument, NULL, 'n' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

/* Options map onto configuration keys, so the file and the CLI agree. */
static const char *key_of(int c)
{
	switch (c) {
	case 'c': return "cgroup";
	case 'm': return "mode";
	case 's': return "scope";
	case OPT_PORTS: return "ports";
	case OPT_TTL_MIN: return "ttl_min";
	case OPT_TTL_MAX: return "ttl_max";
	case OPT_PIN_DIR: return "pin_dir";
	case OPT_JSON: return "json_file";
	case OPT_SYSLOG_SOCKET: return "syslog_socket";
	case OPT_SYSLOG_FORMAT: return "syslog_format";
	case OPT_SYSLOG_PEN: return "syslog_enterprise_id";
	case OPT_CONTROL: return "control_socket";
	case OPT_QUERY: return "query_socket";
	case OPT_REPEAT: return "repeat_window";
	case OPT_LEARNED_FILE: return "learned_file";
	case OPT_LEARNED_LIFETIME: return "learned_lifetime";
	case OPT_CORR_FILE: return "correspondents_file";
	case OPT_RESP_PORT: return "responder_port";
	case OPT_RESP_NETNS: return "responder_netns";
	case OPT_RESP_TIMEOUT: return "responder_timeout";
	}
	return NULL;
}

struct cli {
	const char *config;
	int check_only, unload, verbosity, npolicies, foreground;
	int have_output;
};

static int apply(struct mxg_conf *conf, struct cli *cli, int argc,
		 char **argv, int pass)
{
	const char *err;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:p:c:m:s:Fnvh", longopts,
				NULL)) != -1) {
		if (c == '?') {
			usage(stderr);
			return -1;
		}
		if (pass == 0) {	/* only what decides how to read */
			if (c == 'f')
				cli->config = optarg;
			else if (c == 'v')
				cli->verbosity++;
			else if (c == 'h') {
				usage(stdout);
				exit(EXIT_OK);
			} else if (c == OPT_VERSION) {
				printf("mxguardd %s\n", MXG_VERSION);
				exit(EXIT_OK);
			}
			continue;
		}
		switch (c) {
		case 'f': case 'v': case 'h':
			break;
		case 'n': cli->check_only = 1; break;
		case 'F': cli->foreground = 1; break;
		case OPT_UNLOAD: cli->unload = 1; break;
		case OPT_SYSLOG: conf->syslog = 1; cli->have_output = 1; break;
		case OPT_HUMAN: conf->human = 1; cli->have_output = 1; break;
		case OPT_JOURNAL: conf->journal = 1; cli->have_output = 1; break;
		case OPT_VERSION: break;
		case 'p':
			/* Command-line policies replace the file's. */
			if (!cli->npolicies++)
				while (conf->npolicies)
					free(conf->policies[--conf->npolicies]);
			if (conf_set(conf, "policy", optarg, &err))
				goto bad;
			break;
		default:
			if (c == OPT_JSON)
				cli->have_output = 1;
			if (conf_set(conf, key_of(c), optarg, &err))
				goto bad;
		}
	}
	if (optind != argc) {
		pr_warn("unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -1;
	}
	return 0;
bad:
	pr_warn("--%s %s: %s\n", key_of(c) ? key_of(c) : "policy", optarg,
		err);
	return -1;
}

/* systemd sets INVOCATION_ID for each service it runs (v232+). */
static int started_by_systemd(void)
{
	return getenv("INVOCATION_ID") &&
	       !access("/run/systemd/journal/socket", W_OK);
}

static int configure(struct mxg_conf *conf, struct cli *cli, int argc,
		     char **argv)
{
	const char *err;

	if (apply(conf, cli, argc, argv, 0))
		return -1;
	log_init("mxguardd", LOG_LVL_INFO + cli->verbosity);
	conf_defaults(conf);
	if (conf_load(conf, cli->config ? cli->config : MXG_CONF_DEFAULT,
		      cli->config != NULL))
		return -1;
	if (apply(conf, cli, argc, argv, 1))
		return -1;
	if (conf->ttl_min_s > conf->ttl_max_s) {
		pr_warn("ttl_min is greater than ttl_max\n");
		return -1;
	}
	/* --foreground is the issue-2 contract: JSON lines on stdout. */
	if (cli->foreground && !conf->json_file)
		conf->json_file = strdup("-");
	/*
	 * The journal is the log under systemd (native fields, journal.h);
	 * elsewhere, with no output named, the local syslogd ("@cee:").
	 */
	if (conf->journal < 0)
		conf->journal = !cli->have_output && started_by_systemd();
	if (!conf->json_file && !conf->syslog && !conf->human &&
	    !conf->journal)
		conf->syslog = 1;
	if (conf_check(conf, &err)) {
		pr_warn("%s\n", err);
		return -1;
	}
	if (!conf->npolicies && !cli->unload &&
	    conf_set(conf, "policy", MXG_POLICY_DIR_DEFAULT, &(const char *){0}))
		return -1;
	return 0;
}

/*
 * --unload from the command line: not under a running daemon, which would
 * go on without its pins (`mxguardctl unload` asks it to do this itself).
 */
static int unload(const char *pin_dir)
{
	int lock = bpffs_lock(pin_dir), err;

	if (lock == -EBUSY) {
		pr_warn("a running mxguardd holds %s: stop it, or use "
			"mxguardctl unload\n", pin_dir);
		return EXIT_FAIL;
	}
	/* Other errors (absent, not bpffs) are loader_unload's to report. */
	err = loader_unload(pin_dir);
	if (lock >= 0)
		close(lock);
	if (err == -EMEDIUMTYPE)
		return EXIT_CONFIG;	/* a wrong --pin-dir: nothing changed */
	if (err)
		return EXIT_FAIL;
	pr_info("unloaded: removed the pins in %s\n", pin_dir);
	return EXIT_OK;
}

/*
 * A peer that closes before reading its reply (a control client, a syslog
 * socket, the pipe on stdout) must cost a failed write, not the daemon.
 * SIGPIPE's default ends the process, and systemd counts that as a clean
 * exit, so Restart=on-failure would not even bring it back.
 */
static int ignore_sigpipe(void)
{
	struct sigaction sa = { .sa_handler = SIG_IGN };

	sigemptyset(&sa.sa_mask);
	return sigaction(SIGPIPE, &sa, NULL);
}

int main(int argc, char **argv)
{
	struct resolver_paths resolvers;
	struct mxg_conf conf;
	struct mxg_policy policy;
	struct cli cli = { 0 };
	int rc;

	log_init("mxguardd", LOG_LVL_INFO);
	memset(&conf, 0, sizeof(conf));
	if (configure(&conf, &cli, argc, argv)) {
		conf_free(&conf);
		return EXIT_CONFIG;
	}
	log_route_libbpf();
	if (ignore_sigpipe())
		log_warn("ignore SIGPIPE");
	if (cli.unload) {
		rc = unload(conf.pin_dir);
		conf_free(&conf);
		return rc;
	}
	/* Lookups the datapath cannot see: said at start and by -n alike. */
	resolvers_paths(&resolvers);
	resolvers_check(&resolvers, conf.scope == MXG_SCOPE_HOST);
	if (cli.check_only) {
		rc = daemon_load_policy(&conf, &policy) ? EXIT_CONFIG : EXIT_OK;
		if (rc == EXIT_OK) {
			pr_info("configuration and policy OK: %zu rules\n",
				policy.n);
			policy_free(&policy);
		}
	} else {
		rc = daemon_run(&conf);
	}
	conf_free(&conf);
	return rc;
}
