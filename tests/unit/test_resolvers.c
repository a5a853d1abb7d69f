// SPDX-License-Identifier: GPL-2.0-only
/*
 * The start-up check for resolution paths the DNS programs cannot see:
 * nsswitch.conf's hosts: line as glibc reads it, nscd.conf's hosts cache,
 * and nscd's socket.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "resolvers.h"

static int hosts_lists(const char *text, const char *module)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int rc;

	assert_non_null(f);
	rc = resolvers_hosts_lists(f, module);
	fclose(f);
	return rc;
}

static int nscd_caches(const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int rc;

	assert_non_null(f);
	rc = resolvers_nscd_caches_hosts(f);
	fclose(f);
	return rc;
}

static void test_hosts_debian_default(void **state)
{
	static const char conf[] = "# /etc/nsswitch.conf\n"
				   "passwd:         files\n"
				   "hosts:          files dns\n"
				   "networks:       files\n";

	(void)state;
	assert_int_equal(hosts_lists(conf, "resolve"), 0);
	assert_int_equal(hosts_lists(conf, "dns"), 1);
	assert_int_equal(hosts_lists(conf, "files"), 1);
}

/* What systemd-resolved's documentation recommends. */
static void test_hosts_systemd_recommended(void **state)
{
	(void)state;
	assert_int_equal(hosts_lists("hosts: mymachines resolve "
				     "[!UNAVAIL=return] files myhostname dns\n",
				     "resolve"), 1);
	assert_int_equal(hosts_lists("hosts: files [ NOTFOUND = return ] "
				     "resolve\n", "resolve"), 1);
	assert_int_equal(hosts_lists("hosts: files[NOTFOUND=return]resolve\n",
				     "resolve"), 1);
}

static void test_hosts_actions_are_not_modules(void **state)
{
	(void)state;
	assert_int_equal(hosts_lists("hosts: dns [SUCCESS=return]\n",
				     "SUCCESS=return"), 0);
	assert_int_equal(hosts_lists("hosts: dns [SUCCESS=return]\n",
				     "[SUCCESS=return]"), 0);
	/* An unclosed group: glibc refuses the file (no module is used). */
	assert_int_equal(hosts_lists("hosts: dns [NOTFOUND=return resolve\n",
				     "resolve"), 0);
}

/* The database name is compared exactly, as glibc's process_line(). */
static void test_hosts_other_databases(void **state)
{
	(void)state;
	assert_int_equal(hosts_lists("networks: resolve\n", "resolve"), 0);
	assert_int_equal(hosts_lists("hostsx: resolve\n", "resolve"), 0);
	assert_int_equal(hosts_lists("Hosts: resolve\n", "resolve"), 0);
	assert_int_equal(hosts_lists("#hosts: resolve\n", "resolve"), 0);
	assert_int_equal(hosts_lists("# hosts: resolve\n", "resolve"), 0);
}

static void test_hosts_separators(void **state)
{
	(void)state;
	assert_int_equal(hosts_lists("  hosts:resolve\n", "resolve"), 1);
	assert_int_equal(hosts_lists("hosts resolve\n", "resolve"), 1);
	assert_int_equal(hosts_lists("\thosts:\tfiles\tresolve\r\n",
				     "resolve"), 1);
	assert_int_equal(hosts_lists("hosts :: files resolve\n", "resolve"),
			 1);
}

/* glibc keeps the last line of a database (checked with getent, 2.36). */
static void test_hosts_last_line_wins(void **state)
{
	(void)state;
	assert_int_equal(hosts_lists("hosts: resolve\nhosts: files dns\n",
				     "resolve"), 0);
	assert_int_equal(hosts_lists("hosts: files dns\nhosts: resolve\n",
				     "resolve"), 1);
	/* glibc ignores an unterminated last line; we count it. */
	assert_int_equal(hosts_lists("hosts: files\nhosts: resolve",
				     "resolve"), 1);
}

/*
 * glibc 2.33+ has no comments after a service: "dns # files" asks a module
 * "#", then files (checked with getent on 2.36).  So this one counts.
 */
static void test_hosts_trailing_hash_is_not_a_comment(void **state)
{
	(void)state;
	assert_int_equal(hosts_lists("hosts: files dns # resolve\n",
				     "resolve"), 1);
	assert_int_equal(hosts_lists("hosts: files dns #resolve\n",
				     "resolve"), 0);
}

static void test_hosts_module_names_exact(void **state)
{
	(void)state;
	assert_int_equal(hosts_lists("hosts: files resolved myresolve "
				     "resolv\n", "resolve"), 0);
	assert_int_equal(hosts_lists("", "resolve"), 0);
	assert_int_equal(hosts_lists("hosts:\n", "resolve"), 0);
	assert_int_equal(hosts_lists("hosts:", "resolve"), 0);
}

static void test_nscd_hosts_cache(void **state)
{
	(void)state;
	/* nscd caches hosts unless told not to. */
	assert_int_equal(nscd_caches(""), 1);
	assert_int_equal(nscd_caches("\tenable-cache\t\thosts\t\tyes\n"), 1);
	assert_int_equal(nscd_caches("enable-cache hosts no\n"), 0);
	assert_int_equal(nscd_caches("  enable-cache hosts no # LDAP only\n"),
			 0);
	assert_int_equal(nscd_caches("# enable-cache hosts no\n"), 1);
	assert_int_equal(nscd_caches("enable-cache passwd no\n"), 1);
	assert_int_equal(nscd_caches("enable-cache hosts no\n"
				     "enable-cache hosts yes\n"), 1);
	assert_int_equal(nscd_caches("enable-cache hosts\n"), 1);
}

struct scratch {
	char dir[64];
	char nsswitch[96], sock[96], nscd_conf[96];
};

static void scratch_init(struct scratch *s)
{
	strcpy(s->dir, "/tmp/mxguard-resolvers-XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->nsswitch, sizeof(s->nsswitch), "%s/nsswitch.conf", s->dir);
	snprintf(s->sock, sizeof(s->sock), "%s/socket", s->dir);
	snprintf(s->nscd_conf, sizeof(s->nscd_conf), "%s/nscd.conf", s->dir);
}

static void scratch_free(struct scratch *s)
{
	unlink(s->nsswitch);
	unlink(s->sock);
	unlink(s->nscd_conf);
	rmdir(s->dir);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static int listen_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static void test_nscd_socket(void **state)
{
	struct scratch s;
	int fd;

	(void)state;
	scratch_init(&s);
	assert_int_equal(resolvers_nscd_running(s.sock), 0);
	fd = listen_unix(s.sock);
	assert_int_equal(resolvers_nscd_running(s.sock), 1);
	/* A stopped nscd leaves its socket file behind. */
	close(fd);
	assert_int_equal(access(s.sock, F_OK), 0);
	assert_int_equal(resolvers_nscd_running(s.sock), 0);
	scratch_free(&s);
}

static void test_check_reports_each_bypass(void **state)
{
	struct resolver_paths p;
	struct scratch s;
	int fd;

	(void)state;
	scratch_init(&s);
	p = (struct resolver_paths){ s.nsswitch, s.sock, s.nscd_conf };
	/* Nothing there: glibc's defaults, no nscd. */
	assert_int_equal(resolvers_check(&p, 0), 0);
	put(s.nsswitch, "hosts: files resolve [!UNAVAIL=return] dns\n");
	assert_int_equal(resolvers_check(&p, 0), RESOLVER_NSS_RESOLVE);
	fd = listen_unix(s.sock);
	assert_int_equal(resolvers_check(&p, 0),
			 RESOLVER_NSS_RESOLVE | RESOLVER_NSCD);
	/* Host scope notes them instead, but still finds them. */
	assert_int_equal(resolvers_check(&p, 1),
			 RESOLVER_NSS_RESOLVE | RESOLVER_NSCD);
	put(s.nscd_conf, "enable-cache passwd yes\nenable-cache hosts no\n");
	put(s.nsswitch, "hosts: files dns\n");
	assert_int_equal(resolvers_check(&p, 0), 0);
	close(fd);
	scratch_free(&s);
}

static void test_paths_from_environment(void **state)
{
	struct resolver_paths p;

	(void)state;
	unsetenv("MXGUARD_NSSWITCH_CONF");
	unsetenv("MXGUARD_NSCD_SOCKET");
	unsetenv("MXGUARD_NSCD_CONF");
	resolvers_paths(&p);
	assert_string_equal(p.nsswitch, "/etc/nsswitch.conf");
	assert_string_equal(p.nscd_socket, "/var/run/nscd/socket");
	assert_string_equal(p.nscd_conf, "/etc/nscd.conf");
	setenv("MXGUARD_NSSWITCH_CONF", "/tmp/a", 1);
	setenv("MXGUARD_NSCD_SOCKET", "/tmp/b", 1);
	setenv("MXGUARD_NSCD_CONF", "", 1);	/* empty: the default */
	resolvers_paths(&p);
	assert_string_equal(p.nsswitch, "/tmp/a");
	assert_string_equal(p.nscd_socket, "/tmp/b");
	assert_string_equal(p.nscd_conf, "/etc/nscd.conf");
	unsetenv("MXGUARD_NSSWITCH_CONF");
	unsetenv("MXGUARD_NSCD_SOCKET");
	unsetenv("MXGUARD_NSCD_CONF");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hosts_debian_default),
		cmocka_unit_test(test_hosts_systemd_recommended),
		cmocka_unit_test(test_hosts_actions_are_not_modules),
		cmocka_unit_test(test_hosts_other_databases),
		cmocka_unit_test(test_hosts_separators),
		cmocka_unit_test(test_hosts_last_line_wins),
		cmocka_unit_test(test_hosts_trailing_hash_is_not_a_comment),
		cmocka_unit_test(test_hosts_module_names_exact),
		cmocka_unit_test(test_nscd_hosts_cache),
		cmocka_unit_test(test_nscd_socket),
		cmocka_unit_test(test_check_reports_each_bypass),
		cmocka_unit_test(test_paths_from_environment),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
