// SPDX-License-Identifier: GPL-2.0-only
/*
 * Print the verifier's processed-instruction count of every mxguard program
 * on the running kernel, one "program insns" line each, then the rodata
 * switches they were verified with.
 *
 * bpftool -d would print the same counts, but only after the full verifier
 * log (150 MB for mxguard), which takes minutes under TCG.  Log level 4
 * (BPF_LOG_STATS) asks the kernel for the statistics line alone.
 *
 * The daemon sets the rodata switches from its helper probes
 * (user/mxguardd/kernel/loader.c).
 * This tool tries the richest variant first and falls back one switch at a
 * time, so it counts what the kernel accepts; vmtest's load check (the real
 * daemon) is what tells whether the probes chose right.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "mxguard.skel.h"

#define STATS_LOG	4	/* BPF_LOG_STATS */
#define LOG_SZ		(1 << 16)	/* global functions add a line each */
#define MAX_PROGS	16

static char logs[MAX_PROGS][LOG_SZ];
static int last_try;

static int print_last(enum libbpf_print_level level, const char *fmt,
		      va_list ap)
{
	return last_try && level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

/* "processed 9919 insns (limit 1000000) ..." -> 9919 */
static long processed(const char *log)
{
	const char *p = strstr(log, "processed ");

	return p ? strtol(p + strlen("processed "), NULL, 10) : -1;
}

static struct mxguard_bpf *load(__u32 walk_ancestry, __u32 skb_current_task,
				__u32 ktime_coarse)
{
	struct bpf_program *prog;
	struct mxguard_bpf *skel;
	int i = 0;

	skel = mxguard_bpf__open();
	if (!skel)
		return NULL;
	skel->rodata->walk_ancestry = walk_ancestry;
	skel->rodata->skb_current_task = skb_current_task;
	skel->rodata->ktime_coarse = ktime_coarse;
	bpf_object__for_each_program(prog, skel->obj) {
		if (i == MAX_PROGS)
			break;
		logs[i][0] = '\0';
		bpf_program__set_log_level(prog, STATS_LOG);
		bpf_program__set_log_buf(prog, logs[i++], LOG_SZ);
	}
	if (mxguard_bpf__load(skel)) {
		mxguard_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

int main(void)
{
	static const __u32 variants[][3] = {
		{ 1, 1, 1 }, { 1, 0, 1 }, { 1, 0, 0 },
		{ 0, 0, 1 }, { 0, 0, 0 },
	};
	struct mxguard_bpf *skel = NULL;
	struct bpf_program *prog;
	size_t v, n = sizeof(variants) / sizeof(variants[0]);
	int i = 0;

	libbpf_set_print(print_last);
	for (v = 0; v < n && !skel; v++) {
		last_try = v == n - 1;
		skel = load(variants[v][0], variants[v][1], variants[v][2]);
	}
	if (!skel) {
		fprintf(stderr, "verifier_stats: load: %s\n", strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(prog, skel->obj) {
		if (i == MAX_PROGS)
			break;
		printf("%s %ld\n", bpf_program__name(prog),
		       processed(logs[i++]));
	}
	printf("# walk_ancestry=%u skb_current_task=%u ktime_coarse=%u\n",
	       skel->rodata->walk_ancestry, skel->rodata->skb_current_task,
	       skel->rodata->ktime_coarse);
	mxguard_bpf__destroy(skel);
	return 0;
}
