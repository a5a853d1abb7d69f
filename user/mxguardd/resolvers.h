/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Resolution paths that bypass the DNS programs: a lookup handed to another
 * daemon (systemd-resolved through nss-resolve, nscd) is seen only as that
 * daemon's own upstream query, in its process and its cgroup.  Checked once
 * at start-up, and reported with what is lost and what to do.
 */
#ifndef MXGUARD_RESOLVERS_H
#define MXGUARD_RESOLVERS_H

#include <stdio.h>

/* Where to look; each may be overridden from the environment (tests). */
struct resolver_paths {
	const char *nsswitch;		/* MXGUARD_NSSWITCH_CONF */
	const char *nscd_socket;	/* MXGUARD_NSCD_SOCKET */
	const char *nscd_conf;		/* MXGUARD_NSCD_CONF */
};

#define RESOLVERS_NSSWITCH	"/etc/nsswitch.conf"
#define RESOLVERS_NSCD_SOCKET	"/var/run/nscd/socket"
#define RESOLVERS_NSCD_CONF	"/etc/nscd.conf"

enum resolver_bypass {
	RESOLVER_NSS_RESOLVE = 1 << 0,	/* hosts: lists resolve */
	RESOLVER_NSCD = 1 << 1,		/* nscd is up and caches hosts */
};

/* The defaults, or the environment's overrides. */
void resolvers_paths(struct resolver_paths *p);
/*
 * Does the hosts: database of nsswitch.conf text @f list the NSS module
 * @module?  Read as glibc reads it (2.33 and later): the last hosts line
 * wins, "[STATUS=action]" groups are not modules, and '#' starts a comment
 * only where a line begins with it.
 */
int resolvers_hosts_lists(FILE *f, const char *module);
/* Does nscd.conf text @f leave the hosts cache on?  Only "enable-cache
 * hosts no" turns it off. */
int resolvers_nscd_caches_hosts(FILE *f);
/* Does something accept connections on nscd's socket @path? */
int resolvers_nscd_running(const char *path);
/*
 * Check every path, warn about each bypass found (only note it when
 * @host_scope covers it), and return them as enum resolver_bypass bits.
 */
unsigned int resolvers_check(const struct resolver_paths *p, int host_scope);

#endif
