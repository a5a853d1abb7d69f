// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel's side of a 1M-rule load, without mxguard: create a hash map
 * shaped like the policy map (8-byte keys, 16-byte values, N + 1024
 * entries, preallocated as the daemon creates it, or BPF_F_NO_PREALLOC
 * with a second argument "noprealloc") and put N random keys in by
 * BPF_MAP_UPDATE_BATCH, 4096 a call, from one thread and then from two (a
 * fresh map each).
 * What it prints is the floor under "exec to attached" that no change to
 * the daemon can go below.  Not built by default:
 *
 *   cc -O2 -o htab_floor tests/bench/htab_floor.c -lbpf -pthread
 *   ./htab_floor 1000000 [noprealloc]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#define BATCH	4096

struct val {
	unsigned long long a, b;
};

struct job {
	int fd;
	unsigned long long *key;
	struct val *val;
	size_t from, to;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *fill(void *arg)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct job *j = arg;
	size_t i, n;
	__u32 count;

	for (i = j->from; i < j->to; i += n) {
		n = j->to - i < BATCH ? j->to - i : BATCH;
		count = (__u32)n;
		if (bpf_map_update_batch(j->fd, j->key + i, j->val + i, &count,
					 &opts)) {
			perror("BPF_MAP_UPDATE_BATCH");
			exit(1);
		}
	}
	return NULL;
}

static __u32 map_flags;

static void run(size_t n, int threads, unsigned long long *key,
		struct val *val)
{
	struct job j[2];
	pthread_t tid;
	double t0, t1, t2, t3;
	LIBBPF_OPTS(bpf_map_create_opts, copts, .map_flags = map_flags);
	int fd, t;

	t0 = now();
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "floor", 8, sizeof(*val),
			    (__u32)n + 1024, &copts);
	if (fd < 0) {
		perror("BPF_MAP_CREATE");
		exit(1);
	}
	t1 = now();
	for (t = 0; t < threads; t++)
		j[t] = (struct job){ .fd = fd, .key = key, .val = val,
				     .from = n * t / threads,
				     .to = n * (t + 1) / threads };
	if (threads > 1)
		pthread_create(&tid, NULL, fill, &j[1]);
	fill(&j[0]);
	if (threads > 1)
		pthread_join(tid, NULL);
	t2 = now();
	close(fd);
	t3 = now();
	printf("%zu keys, %d thread%s, %s: create %.3f s, insert %.3f s "
	       "(%.0f ns a key), close %.3f s\n", n, threads,
	       threads > 1 ? "s" : "", map_flags ? "no prealloc" : "prealloc",
	       t1 - t0, t2 - t1, (t2 - t1) * 1e9 / n, t3 - t2);
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 0) : 1000000, i;
	unsigned long long *key = malloc(n * sizeof(*key)), x = 88172645463325252ull;
	struct val *val = calloc(n, sizeof(*val));
	int r;

	if (!key || !val)
		return 1;
	if (argc > 2 && !strcmp(argv[2], "noprealloc"))
		map_flags = BPF_F_NO_PREALLOC;
	for (i = 0; i < n; i++) {	/* xorshift: distinct in practice */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		key[i] = x;
	}
	for (r = 0; r < 3; r++) {
		run(n, 1, key, val);
		run(n, 2, key, val);
	}
	return 0;
}
