/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The BPF test harness: every test runs in a child with its own network
 * namespace and cgroup, a DNS responder on loopback, and a real mxguardd
 * watching that cgroup.  Assertions print what was expected and what was
 * found, as in the kernel selftests.
 */
#ifndef MXG_TEST_HARNESS_H
#define MXG_TEST_HARNESS_H

#include <stdint.h>
#include <sys/types.h>

#include "dnsmsg.h"

struct zrec {
	const char *name;
	uint16_t type;
	uint32_t ttl;
	const char *value;
};

struct tctx;
/* Build a crafted response for (qname, qtype); return 1 if handled. */
typedef int (*raw_fn)(const char *qname, uint16_t qtype, struct dnsmsg *r);

struct tcase {
	const char *name;
	int (*fn)(struct tctx *t);
	const char *policy;		/* policy file text */
	const char *args[8];		/* extra mxguardd arguments */
	const struct zrec *zone;
	raw_fn raw;
	int glue;			/* MX answers carry A/AAAA glue */
	/* How the responder shapes its answers (fail-closed tests). */
	int tcp_split;			/* prefix and message: two writes */
	int tcp_mss;			/* TCP_MAXSEG of its listeners */
	int pipelined;			/* all queries of a stream: one write */
	int ext_headers;		/* IPv6 UDP: hop-by-hop + dest. options */
};

struct tctx {
	const struct tcase *tc;
	const char *daemon_bin;
	char cg[512];			/* the watched cgroup */
	char pin[256];
	char policy_path[256];
	char control[108];		/* the daemon's control socket */
	char learned[256];		/* its second look's state file */
	char corr[256];			/* its correspondents file */
	char notify[108];
	pid_t daemon;
	int daemon_out;
	pid_t dnsd;
	char buf[65536];		/* daemon stdout not yet consumed */
	size_t buflen;
	char line[16384];		/* the last event read */
};

/* CLOCK_MONOTONIC in milliseconds. */
long long now_ms(void);

void test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define ASSERT_EQ(got, want, what) ({                                        \
	long long _g = (got), _w = (want);                                   \
	if (_g != _w)                                                        \
		test_fail(__FILE__, __LINE__, "%s: got %lld, want %lld",     \
			  (what), _g, _w);                                   \
	_g == _w;                                                            \
})

#define ASSERT_TRUE(cond, what) ({                                           \
	int _c = !!(cond);                                                   \
	if (!_c)                                                             \
		test_fail(__FILE__, __LINE__, "%s: false", (what));          \
	_c;                                                                  \
})

#define ASSERT_HAS(hay, needle) ({                                           \
	const char *_h = (hay), *_n = (needle);                              \
	int _ok = _h && strstr(_h, _n) != NULL;                              \
	if (!_ok)                                                            \
		test_fail(__FILE__, __LINE__, "expected %s in: %s", _n,      \
			  _h ? _h : "(no event)");                           \
	_ok;                                                                 \
})

/* --- daemon and events --------------------------------------------------- */
int daemon_start(struct tctx *t, const char *const *extra);
int daemon_stop(struct tctx *t, int sig);
/*
 * mxguardd with the harness's arguments but @policy, @pin and @control,
 * run to its end; its stdout and stderr in @buf.  Its exit status (128 +
 * signal), or -1 when it was still running after 10 s, and was killed.
 */
int daemon_exec(struct tctx *t, const char *policy, const char *pin,
	       const char *control, char *buf, size_t sz);
/* What arrives on @fd within @ms, up to EOF, in @buf; the byte count. */
size_t read_for(int fd, char *buf, size_t sz, int ms);
/* @pid's exit status (128 + signal) once it ends within @ms; else -1. */
int exited_within(pid_t pid, int ms);
/* The lowest descriptor number free in @pid now: its next open's. */
int lowest_free_fd(pid_t pid);
/*
 * Lower @pid's RLIMIT_NOFILE to its lowest free descriptor, until that
 * holds still: its next open or accept fails with EMFILE.  The limit it
 * had in @was.  0, or -1 (limit restored).
 */
struct rlimit;
int starve_fds(pid_t pid, struct rlimit *was);
/*
 * Next event whose event.action is @action (NULL: any), skipping others;
 * NULL after @timeout_ms or when the daemon's output ends.
 */
const char *next_event(struct tctx *t, const char *action, int timeout_ms);
/* A descriptor of the pinned map @name, or -1. */
int pinned(struct tctx *t, const char *name);
/* A counter from the pinned counters map (enum mxg_counter). */
long long counter(struct tctx *t, int which);

/* --- processes in the watched cgroup ------------------------------------- */
/* Fork; the child joins @cgroup (NULL: the watched one), runs @fn, and
 * exits with its return value.  Returns that value, or -1. */
int run_in(struct tctx *t, const char *cgroup, int (*fn)(void *), void *arg);
int join_cgroup(const char *cg);
/* Start @fn in a child in @cgroup without waiting; run_wait() collects it. */
pid_t run_async(struct tctx *t, const char *cgroup, int (*fn)(void *),
		void *arg);
int run_wait(pid_t pid);
/* Make a child cgroup of the watched one; returns its path in @out. */
int sub_cgroup(struct tctx *t, const char *name, char *out, size_t sz);

/* --- client side --------------------------------------------------------- */
enum { VIA_UDP = 0, VIA_TCP = 1, VIA_SENDTO = 2, VIA_UDP6 = 3 };
/* How long resolve() waits for an answer (default 5000 ms). */
extern int resolve_timeout_ms;
/* Query the loopback responder; returns the RCODE or -errno. */
int resolve(const char *qname, uint16_t qtype, int via);
/* Two queries in one write on one TCP stream; returns 0 if both answered. */
int resolve_tcp_pair(const char *q1, const char *q2, uint16_t qtype);
/*
 * An A query by sendto() on an unconnected UDP socket that stays open;
 * returns the RCODE and the socket in @fd (the caller closes it).
 */
int resolve_keep(const char *qname, int *fd);
/* Another A query on that socket. */
int resolve_on(int fd, const char *qname);
/* connect(); returns 0 or the errno. */
int try_connect(const char *ip, uint16_t port);
/* sendto(MSG_FASTOPEN): TCP Fast Open's implicit connect. */
int try_fastopen(const char *ip, uint16_t port);

/* --- commands ----------------------------------------------------------- */
/* Run a shell command; stdout+stderr into @out.  Returns the exit status. */
int run_cmd(char *out, size_t sz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Replace @path with @text in one rename(2) (policy files). */
int write_text(const char *path, const char *text);
/* @path's first @sz - 1 bytes into @buf, NUL-terminated; 0 or -errno. */
int read_text(const char *path, char *buf, size_t sz);
/*
 * /sys/kernel/security/lockdown says [confidentiality]: what the daemon's
 * own probe is checked against, read independently of it.
 */
int lockdown_confidentiality(void);
/* "mxguardctl -s <this test's socket> ARGS": exit status, output in @out. */
int ctl(struct tctx *t, char *out, size_t sz, const char *args);

/* --- responder ----------------------------------------------------------- */
pid_t dnsd_start(const struct tcase *tc);

#endif
