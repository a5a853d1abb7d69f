/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Per-(process, destination) alert rate limit.  The first alert of a key in
 * a window is emitted; repeats are counted, never dropped silently: when the
 * window ends, the caller gets the count to report as "repeated N times".
 */
#ifndef MXGUARD_RATELIMIT_H
#define MXGUARD_RATELIMIT_H

#include <stddef.h>
#include <linux/types.h>

struct rl_key {
	__u32 type;		/* event type */
	__u32 tgid;
	__u8 dest[16];		/* address, or a name hash for queries */
	__u16 port;
	__u8 outcome;
	__u8 pad;
};

struct rl_entry {
	struct rl_key key;
	__u64 window_end;	/* seconds, caller's clock */
	__u64 repeats;		/* suppressed in this window */
	void *sample;		/* caller's copy of the first event */
	int used;
};

struct ratelimit {
	struct rl_entry *slots;
	size_t cap;		/* power of two */
	size_t used;
	__u32 window;		/* seconds; 0 = no limiting */
	size_t sample_size;
	__u64 suppressed;	/* total, for counters */
	__u64 evicted;		/* keys dropped when full (summary first) */
};

enum rl_verdict { RL_EMIT, RL_SUPPRESS };

typedef void (*rl_flush_fn)(void *ctx, const struct rl_entry *e);

int rl_init(struct ratelimit *rl, __u32 window, size_t cap,
	    size_t sample_size);
void rl_free(struct ratelimit *rl);
/*
 * Account one alert at time @now.  RL_EMIT: write it.  RL_SUPPRESS: it was
 * counted.  When the table is full, the oldest window is flushed early.
 */
enum rl_verdict rl_check(struct ratelimit *rl, const struct rl_key *k,
			 __u64 now, const void *sample, rl_flush_fn flush,
			 void *ctx);
/* Close every window that ended by @now; @flush gets those with repeats. */
void rl_expire(struct ratelimit *rl, __u64 now, rl_flush_fn flush, void *ctx);

#endif
