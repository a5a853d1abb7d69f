// SPDX-License-Identifier: GPL-2.0-only
/*
 * The floor of any cgroup-BPF design: programs at the same hooks as
 * mxguard's that do nothing.  make bench attaches them to a sibling cgroup
 * and compares what the kernel charges per run (bpf_stats).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("cgroup_skb/egress")
int noop_egress(struct __sk_buff *skb)
{
	(void)skb;
	return 1;
}

SEC("cgroup_skb/ingress")
int noop_ingress(struct __sk_buff *skb)
{
	(void)skb;
	return 1;
}

SEC("cgroup/connect4")
int noop_connect4(struct bpf_sock_addr *ctx)
{
	(void)ctx;
	return 1;
}
