// SPDX-License-Identifier: GPL-2.0-only
/*
 * The floor of any cgroup-BPF design: programs at the same hooks as
 * mxguard's that do nothing.  make bench attaches them to a sibling cgroup
 * and compares what the kernel charges per run (bpf_stats).
 *
 * sock_egress and sock_ingress are the floor of a design that tells a
 * non-DNS packet by its socket, as mxguard does (surely_not_dns() in
 * bpf/mxguard.bpf.c): the skb's socket, bpf_sk_fullsock() and the three
 * loads (protocol, type, peer port), nothing else.  make bench attaches them
 * to a third cgroup for the bulk stream only.
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
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

static __always_inline int sock_check(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	__u16 port;

	if (!sk)
		return 1;
	sk = bpf_sk_fullsock(sk);
	if (!sk)
		return 1;
	port = (__u16)*(volatile __u32 *)&sk->dst_port;
	/*
	 * The verdict depends on every read, or the compiler drops them: a
	 * TCP stream to port 53 is dropped.  Only the bulk stream (port
	 * 2525) runs in this program's cgroup.
	 */
	return !(sk->protocol == 6 && sk->type == 1 && port == bpf_htons(53));
}

SEC("cgroup_skb/egress")
int sock_egress(struct __sk_buff *skb)
{
	return sock_check(skb);
}

SEC("cgroup_skb/ingress")
int sock_ingress(struct __sk_buff *skb)
{
	return sock_check(skb);
}
