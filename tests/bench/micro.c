// SPDX-License-Identifier: GPL-2.0-only
/*
 * make bench-micro: ns per kernel operation the datapath is made of, each
 * program of tests/bench/micro.bpf.c run with BPF_PROG_TEST_RUN (REPEAT
 * runs, ROUNDS rounds, the median), less the empty program's figure.
 * The maps are filled as mxguard's are at their sizes: a 1M-entry policy
 * hash behind an array of maps, a full 65536-entry LRU.
 *
 * usage: micro MICRO_OBJ
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define REPEAT		1000000
#define ROUNDS		5
#define BIG		1000000
#define LRU		65536

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static double run(struct bpf_program *prog)
{
	__u8 pkt[128] = { 0 };
	__u32 ns[ROUNDS];
	int r;

	/* An IPv4 frame: the test run wants an Ethernet header. */
	pkt[12] = 0x08;
	pkt[14] = 0x45;
	for (r = 0; r < ROUNDS; r++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt,
			    .data_size_in = sizeof(pkt), .repeat = REPEAT);

		if (bpf_prog_test_run_opts(bpf_program__fd(prog), &o))
			return -1;
		ns[r] = o.duration;
	}
	qsort(ns, ROUNDS, sizeof(ns[0]), cmp_u32);
	return ns[ROUNDS / 2];
}

static int fill(struct bpf_object *obj)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	__u64 *keys = calloc(BIG, sizeof(*keys));
	__u64 (*vals)[6] = calloc(BIG, sizeof(*vals));
	struct { __u64 id; __u8 addr[16]; } k24 = { 0 };
	__u64 v48[6] = { 0 };
	__u16 port = 25;
	__u8 one = 1;
	__u32 i, n, done;
	int big = bpf_object__find_map_fd_by_name(obj, "big");
	int lru = bpf_object__find_map_fd_by_name(obj, "lru");
	int ports = bpf_object__find_map_fd_by_name(obj, "ports");

	if (!keys || !vals || big < 0 || lru < 0 || ports < 0)
		return -1;
	for (i = 0; i < BIG; i++)
		keys[i] = i;
	for (done = 0; done < BIG; done += n) {
		n = BIG - done < 4096 ? BIG - done : 4096;
		if (bpf_map_update_batch(big, keys + done, vals + done, &n,
					 &bo))
			return -1;
	}
	free(keys);
	free(vals);
	for (i = 0; i < LRU; i++) {
		k24.id = i;
		if (bpf_map_update_elem(lru, &k24, v48, BPF_ANY))
			return -1;
	}
	return bpf_map_update_elem(ports, &port, &one, BPF_ANY);
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *p;
	double base, ns;

	if (argc != 2) {
		fprintf(stderr, "usage: micro MICRO_OBJ\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj) || fill(obj)) {
		fprintf(stderr, "micro: cannot load %s\n", argv[1]);
		return 1;
	}
	base = run(bpf_object__find_program_by_name(obj, "empty"));
	printf("\none kernel operation, ns (BPF_PROG_TEST_RUN, median of %d "
	       "x %d runs, less the empty program: %.0f ns)\n", ROUNDS,
	       REPEAT, base);
	bpf_object__for_each_program(p, obj) {
		if (!strcmp(bpf_program__name(p), "empty"))
			continue;
		ns = run(p);
		if (ns < 0) {
			fprintf(stderr, "micro: %s: test run failed\n",
				bpf_program__name(p));
			return 1;
		}
		printf("  %-16s %6.0f\n", bpf_program__name(p), ns - base);
	}
	bpf_object__close(obj);
	return 0;
}
