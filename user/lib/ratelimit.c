// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"

int rl_init(struct ratelimit *rl, __u32 window, size_t cap,
	    size_t sample_size)
{
	size_t n = 16;

	memset(rl, 0, sizeof(*rl));
	while (n < cap * 2)
		n <<= 1;
	rl->slots = calloc(n, sizeof(*rl->slots));
	if (!rl->slots)
		return -ENOMEM;
	rl->cap = n;
	rl->window = window;
	rl->sample_size = sample_size;
	return 0;
}

void rl_free(struct ratelimit *rl)
{
	size_t i;

	for (i = 0; rl->slots && i < rl->cap; i++)
		free(rl->slots[i].sample);
	free(rl->slots);
	memset(rl, 0, sizeof(*rl));
}

static __u64 key_hash(const struct rl_key *k)
{
	const __u8 *p = (const __u8 *)k;
	__u64 h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static struct rl_entry *find(struct ratelimit *rl, const struct rl_key *k,
			     int *found)
{
	size_t mask = rl->cap - 1, i = key_hash(k) & mask;

	while (rl->slots[i].used) {
		if (!memcmp(&rl->slots[i].key, k, sizeof(*k))) {
			*found = 1;
			return &rl->slots[i];
		}
		i = (i + 1) & mask;
	}
	*found = 0;
	return &rl->slots[i];
}

/* Remove by rebuilding the probe chain behind the hole (linear probing). */
static void erase(struct ratelimit *rl, struct rl_entry *e)
{
	size_t mask = rl->cap - 1, i = e - rl->slots, j = i, home;
	struct rl_entry moved;

	free(e->sample);
	memset(e, 0, sizeof(*e));
	rl->used--;
	for (;;) {
		j = (j + 1) & mask;
		if (!rl->slots[j].used)
			return;
		home = key_hash(&rl->slots[j].key) & mask;
		if ((j > i && (home <= i || home > j)) ||
		    (j < i && (home <= i && home > j))) {
			moved = rl->slots[j];
			rl->slots[i] = moved;
			memset(&rl->slots[j], 0, sizeof(rl->slots[j]));
			i = j;
		}
	}
}

static void close_window(struct ratelimit *rl, struct rl_entry *e,
			 rl_flush_fn flush, void *ctx)
{
	if (e->repeats && flush)
		flush(ctx, e);
	erase(rl, e);
}

static void evict_oldest(struct ratelimit *rl, rl_flush_fn flush, void *ctx)
{
	struct rl_entry *oldest = NULL;
	size_t i;

	for (i = 0; i < rl->cap; i++)
		if (rl->slots[i].used &&
		    (!oldest || rl->slots[i].window_end < oldest->window_end))
			oldest = &rl->slots[i];
	if (oldest) {
		rl->evicted++;
		close_window(rl, oldest, flush, ctx);
	}
}

enum rl_verdict rl_check(struct ratelimit *rl, const struct rl_key *k,
			 __u64 now, const void *sample, rl_flush_fn flush,
			 void *ctx)
{
	struct rl_entry *e;
	int found;

	if (!rl->window)
		return RL_EMIT;
	e = find(rl, k, &found);
	if (found && now < e->window_end) {
		e->repeats++;
		rl->suppressed++;
		return RL_SUPPRESS;
	}
	if (found) {
		close_window(rl, e, flush, ctx);
		e = find(rl, k, &found);
	}
	if (rl->used * 2 >= rl->cap) {
		evict_oldest(rl, flush, ctx);
		e = find(rl, k, &found);
	}
	e->key = *k;
	e->used = 1;
	e->repeats = 0;
	e->window_end = now + rl->window;
	e->sample = NULL;
	if (sample && rl->sample_size) {
		e->sample = malloc(rl->sample_size);
		if (e->sample)
			memcpy(e->sample, sample, rl->sample_size);
	}
	rl->used++;
	return RL_EMIT;
}

void rl_expire(struct ratelimit *rl, __u64 now, rl_flush_fn flush, void *ctx)
{
	size_t i = 0;

	/* erase() may pull a later entry into slot i: look at i again. */
	while (rl->window && i < rl->cap) {
		if (rl->slots[i].used && rl->slots[i].window_end <= now)
			close_window(rl, &rl->slots[i], flush, ctx);
		else
			i++;
	}
}
