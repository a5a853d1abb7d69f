// SPDX-License-Identifier: GPL-2.0-only
/*
 * The cgroup_skb programs see DNS on the MTA's own sockets.  A lookup that
 * the MTA hands to another daemon never appears there: the daemon asks
 * upstream itself, from its own process and cgroup, so process and unit
 * scope taint that daemon, and the MTA's connect matches nothing.  Host
 * scope still matches, where the watched cgroup holds the daemon.
 *
 * Only getaddrinfo()/gethostbyname() go this way.  MX lookups through
 * libresolv (Postfix, Exim's dnslookup router) or libasr (OpenSMTPD) send
 * DNS to resolv.conf's servers from the MTA itself, and are seen.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "resolvers.h"

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v && *v ? v : fallback;
}

void resolvers_paths(struct resolver_paths *p)
{
	p->nsswitch = env_or("MXGUARD_NSSWITCH_CONF", RESOLVERS_NSSWITCH);
	p->nscd_socket = env_or("MXGUARD_NSCD_SOCKET", RESOLVERS_NSCD_SOCKET);
	p->nscd_conf = env_or("MXGUARD_NSCD_CONF", RESOLVERS_NSCD_CONF);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

/*
 * The service list of a "hosts" line, or NULL for any other line.  As
 * glibc's process_line(): the database name runs up to a blank or a
 * colon, and is compared case-sensitively ("#hosts:" is just not hosts).
 */
static const char *hosts_services(const char *line)
{
	const char *name;

	while (is_space(*line))
		line++;
	name = line;
	while (*line && !is_space(*line) && *line != ':')
		line++;
	if (!*line || line - name != 5 || strncmp(name, "hosts", 5))
		return NULL;
	while (is_space(*line) || *line == ':')
		line++;
	return line;
}

/* Does service list @s name @module?  Skips "[NOTFOUND=return]" groups. */
static int lists(const char *s, const char *module)
{
	size_t want = strlen(module), len;

	while (*s) {
		while (is_space(*s))
			s++;
		if (*s == '[') {
			s = strchr(s, ']');
			if (!s)
				return 0;	/* glibc refuses the file */
			s++;
			continue;
		}
		len = strcspn(s, " \t\n\r\v\f[");
		if (len == want && !strncmp(s, module, want))
			return 1;
		s += len;
	}
	return 0;
}

int resolvers_hosts_lists(FILE *f, const char *module)
{
	char *line = NULL;
	const char *services;
	size_t cap = 0;
	int listed = 0;

	/*
	 * glibc drops a last line without a newline; counting it here can
	 * only add a warning, never hide one.
	 */
	while (getline(&line, &cap, f) > 0) {
		services = hosts_services(line);
		if (services)
			listed = lists(services, module);
	}
	free(line);
	return listed;
}

int resolvers_nscd_caches_hosts(FILE *f)
{
	char *line = NULL, *hash, key[32], db[32], val[32];
	size_t cap = 0;
	int caches = 1;

	while (getline(&line, &cap, f) > 0) {
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		if (sscanf(line, "%31s %31s %31s", key, db, val) == 3 &&
		    !strcmp(key, "enable-cache") && !strcmp(db, "hosts"))
			caches = strcmp(val, "no") != 0;
	}
	free(line);
	return caches;
}

int resolvers_nscd_running(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, up;

	if (strlen(path) >= sizeof(sa.sun_path))
		return 0;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	/* A stale socket file of a stopped nscd refuses: ECONNREFUSED. */
	up = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return up;
}

static int file_test(const char *path, int (*fn)(FILE *, const char *),
		     const char *arg, int missing)
{
	FILE *f = fopen(path, "re");
	int rc;

	if (!f) {
		if (errno != ENOENT)
			log_warn("read %s", path);
		return missing;
	}
	rc = fn(f, arg);
	fclose(f);
	return rc;
}

static int nscd_conf_test(FILE *f, const char *unused)
{
	(void)unused;
	return resolvers_nscd_caches_hosts(f);
}

static void report(int host_scope, const char *what, const char *who,
		   const char *remedy)
{
	if (host_scope) {
		pr_info("%s: host scope covers them while %s is in the watched "
			"cgroup\n", what, who);
		return;
	}
	pr_warn("%s: the DNS programs see only %s's own queries, so process "
		"and unit scope taint %s, not the MTA, whose connects then "
		"match nothing; set --scope host (with %s in the watched "
		"cgroup), or %s\n", what, who, who, who, remedy);
}

unsigned int resolvers_check(const struct resolver_paths *p, int host_scope)
{
	unsigned int found = 0;
	char what[512], remedy[512];

	/* No nsswitch.conf: glibc's default is "dns [!UNAVAIL=return] files". */
	if (file_test(p->nsswitch, resolvers_hosts_lists, "resolve", 0)) {
		found |= RESOLVER_NSS_RESOLVE;
		snprintf(what, sizeof(what), "%s: hosts: lists resolve, so "
			 "the MTA's getaddrinfo() lookups go to "
			 "systemd-resolved over varlink", p->nsswitch);
		report(host_scope, what, "systemd-resolved",
		       "take resolve out of hosts:, so that they reach the "
		       "127.0.0.53 stub as DNS from the MTA");
	}
	if (resolvers_nscd_running(p->nscd_socket) &&
	    file_test(p->nscd_conf, nscd_conf_test, NULL, 1)) {
		found |= RESOLVER_NSCD;
		snprintf(what, sizeof(what), "nscd answers on %s and caches "
			 "hosts, so it answers the MTA's getaddrinfo() "
			 "lookups, from its cache while it holds them",
			 p->nscd_socket);
		snprintf(remedy, sizeof(remedy), "set 'enable-cache hosts no' "
			 "in %s", p->nscd_conf);
		report(host_scope, what, "nscd", remedy);
	}
	return found;
}
