// SPDX-License-Identifier: GPL-2.0-only
/*
 * mxguardctl: talk to mxguardd over its control socket.  `check` also works
 * without a daemon, given --policy.  Exit status: 0 ok (or clean), 1 a
 * lookalike (check), 2 an error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "ctlproto.h"
#include "log.h"
#include "policy.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: mxguardctl [-s SOCKET] status\n"
"       mxguardctl [-s SOCKET] stats [--json|--prometheus]\n"
"       mxguardctl [-s SOCKET] stats --textfile FILE\n"
"       mxguardctl [-s SOCKET] check NAME\n"
"       mxguardctl check --policy PATH [--policy PATH ...] NAME\n"
"       mxguardctl [-s SOCKET] list | reload | unload\n"
"       mxguardctl [-s SOCKET] learned | forget NAME\n"
"       mxguardctl [-s SOCKET] held\n"
"       mxguardctl [-s SOCKET] correspondents [list|add NAME|forget NAME]\n"
"       mxguardctl --version\n"
"See mxguardctl(8).\n");
}

/* A reply over its bound ends with a CTL_TRUNCATED line: an error. */
static int cut_short(const struct ctl_reply *r)
{
	const char *last;

	if (!r->len || r->truncated)
		return r->truncated;
	last = r->buf + r->len - 1;
	while (last > r->buf && last[-1] != '\n')
		last--;
	return !strncmp(last, CTL_TRUNCATED, strlen(CTL_TRUNCATED));
}

/* First line "ok" / "lookalike" / "error ..." -> exit status; print rest. */
static int print_reply(const struct ctl_reply *r)
{
	const char *body, *first = r->buf ? r->buf : "";
	int rc;

	body = strchr(first, '\n');
	body = body ? body + 1 : "";
	if (!strncmp(first, "ok", 2))
		rc = CHECK_CLEAN;
	else if (!strncmp(first, "lookalike", 9))
		rc = CHECK_LOOKALIKE;
	else
		rc = CHECK_ERROR;
	if (rc == CHECK_ERROR) {
		fprintf(stderr, "mxguardctl: %.*s\n",
			(int)strcspn(first + (strncmp(first, "error ", 6) ? 0 : 6),
				     "\n"),
			first + (strncmp(first, "error ", 6) ? 0 : 6));
		if (!r->buf)
			fprintf(stderr, "mxguardctl: empty reply\n");
	}
	fputs(body, stdout);
	if (rc != CHECK_ERROR && cut_short(r)) {
		fprintf(stderr, "mxguardctl: the reply is incomplete\n");
		rc = CHECK_ERROR;
	}
	return rc;
}

static int local_check(char **policies, int n, const char *name)
{
	struct ctl_reply r = { 0 };
	struct mxg_policy p;
	int i, errors = 0, rc;

	policy_init(&p);
	for (i = 0; i < n; i++)
		errors += policy_load_path(&p, policies[i]);
	if (errors) {
		fprintf(stderr, "mxguardctl: %d error%s in policy\n", errors,
			errors == 1 ? "" : "s");
		policy_free(&p);
		return CHECK_ERROR;
	}
	check_name(&p, name, &r);
	rc = print_reply(&r);
	free(r.buf);
	policy_free(&p);
	return rc;
}

/*
 * node_exporter's textfile collector reads every *.prom file in its
 * directory at each scrape, so the file is replaced whole: written beside
 * it under a name the collector skips, synced, then renamed over it.
 */
static int write_textfile(const char *path, const struct ctl_reply *r)
{
	const char *first = r->buf ? r->buf : "", *body = strchr(first, '\n');
	char tmp[4096];
	size_t len;
	FILE *f;
	int ok;

	if (strncmp(first, "ok\n", 3) || !body)
		return print_reply(r);
	body++;
	if (snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid()) >=
	    (int)sizeof(tmp)) {
		fprintf(stderr, "mxguardctl: %s: name too long\n", path);
		return CHECK_ERROR;
	}
	f = fopen(tmp, "wex");
	if (!f) {
		fprintf(stderr, "mxguardctl: %s: %s\n", tmp, strerror(errno));
		return CHECK_ERROR;
	}
	len = r->len - (size_t)(body - r->buf);
	ok = fwrite(body, 1, len, f) == len && !fflush(f) &&
	     !fsync(fileno(f));
	ok = !fclose(f) && ok;
	if (!ok || rename(tmp, path)) {
		fprintf(stderr, "mxguardctl: %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return CHECK_ERROR;
	}
	return CHECK_CLEAN;
}

/*
 * `correspondents`, `correspondents list`, `... add NAME`, `... forget
 * NAME`: one word each on the wire, so each has its own credential check.
 */
static int correspondents_request(int argc, char **argv, char *req,
				  size_t sz)
{
	if (!argc || (argc == 1 && !strcmp(argv[0], "list")))
		snprintf(req, sz, "correspondents");
	else if (argc == 2 && (!strcmp(argv[0], "add") ||
			       !strcmp(argv[0], "forget")))
		snprintf(req, sz, "correspondent-%s %s", argv[0], argv[1]);
	else
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "policy", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "prometheus", no_argument, NULL, 'P' },
		{ "textfile", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *textfile = NULL;
	const char *sock = MXG_CONTROL_DEFAULT, *fmt = "json";
	char *policies[MXG_CONF_POLICIES_MAX], req[CTL_LINE_MAX];
	struct ctl_reply r = { 0 };
	int c, np = 0, rc, err;

	log_init("mxguardctl", LOG_LVL_WARN);
	while ((c = getopt_long(argc, argv, "s:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': sock = optarg; break;
		case 'p':
			if (np == MXG_CONF_POLICIES_MAX)
				return CHECK_ERROR;
			policies[np++] = optarg;
			break;
		case 'j': fmt = "json"; break;
		case 'P': fmt = "prometheus"; break;
		case 't': textfile = optarg; fmt = "prometheus"; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("mxguardctl %s\n", MXG_VERSION); return 0;
		default: usage(stderr); return CHECK_ERROR;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CHECK_ERROR;
	}
	if (!strcmp(argv[optind], "check")) {
		if (optind + 2 != argc) {
			usage(stderr);
			return CHECK_ERROR;
		}
		if (np)
			return local_check(policies, np, argv[optind + 1]);
		snprintf(req, sizeof(req), "check %s", argv[optind + 1]);
	} else if (!strcmp(argv[optind], "forget") && optind + 2 == argc) {
		snprintf(req, sizeof(req), "forget %s", argv[optind + 1]);
	} else if (!strcmp(argv[optind], "correspondents")) {
		if (correspondents_request(argc - optind - 1, argv + optind + 1,
					   req, sizeof(req))) {
			usage(stderr);
			return CHECK_ERROR;
		}
	} else if (!strcmp(argv[optind], "stats")) {
		snprintf(req, sizeof(req), "stats %s", fmt);
	} else if (optind + 1 == argc &&
		   (!strcmp(argv[optind], "status") ||
		    !strcmp(argv[optind], "list") ||
		    !strcmp(argv[optind], "learned") ||
		    !strcmp(argv[optind], "held") ||
		    !strcmp(argv[optind], "reload") ||
		    !strcmp(argv[optind], "unload"))) {
		snprintf(req, sizeof(req), "%s", argv[optind]);
	} else {
		usage(stderr);
		return CHECK_ERROR;
	}
	err = ctl_request(sock, req, &r);
	if (err) {
		fprintf(stderr, "mxguardctl: %s: %s (is mxguardd running?)\n",
			sock, strerror(-err));
		return CHECK_ERROR;
	}
	rc = textfile && !strncmp(argv[optind], "stats", 5) ?
		     write_textfile(textfile, &r) : print_reply(&r);
	free(r.buf);
	return rc;
}
